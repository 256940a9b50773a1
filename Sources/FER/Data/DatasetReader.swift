import Dispatch
import Foundation

/// Where and how to read a dataset (the `--data`, `--format`, `--train-list`, `--test-list` and
/// `--classes` options).
public struct DatasetOptions: Sendable {
    public var root: String
    public var format: DatasetFormat?
    public var trainList: String?
    public var testList: String?
    public var classes: [String]?

    public init(root: String, format: DatasetFormat? = nil, trainList: String? = nil, testList: String? = nil, classes: [String]? = nil) {
        self.root = root; self.format = format; self.trainList = trainList; self.testList = testList; self.classes = classes
    }
}

/// Reads the list files or folders of each supported format into a `Dataset`. Every problem is an
/// error naming the file and line; images are only checked for existence here (decoding errors
/// surface in the loader, or up front with `--skip-bad`).
public enum DatasetReader {
    public static let rafdbListName = "list_patition_label.txt"
    public static let rafdbClasses = ModelCheckpoint.rafdbClassNames
    public static let ferplusClasses = ["Neutral", "Happiness", "Surprise", "Sadness", "Anger", "Disgust", "Fear", "Contempt"]
    public static let affectnetClasses = ["Neutral", "Happiness", "Sadness", "Surprise", "Fear", "Disgust", "Anger", "Contempt"]
    static let imageExtensions: Set<String> = ["jpg", "jpeg", "png"]

    public static func read(_ options: DatasetOptions) throws -> Dataset {
        let format = try options.format ?? detect(root: options.root)
        let dataset: Dataset
        switch format {
        case .rafdb: dataset = try readRAFDB(root: options.root)
        case .ferplus, .affectnet: dataset = try readLists(options, format: format)
        case .folder: dataset = try readFolder(root: options.root, classes: options.classes)
        }
        try validate(dataset, source: options.root)
        return dataset
    }

    public static func detect(root: String) throws -> DatasetFormat {
        let fm = FileManager.default
        if rafdbListPath(root: root) != nil { return .rafdb }
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: root + "/train", isDirectory: &isDir), isDir.boolValue { return .folder }
        guard fm.fileExists(atPath: root) else { throw DatasetError.missingFile(root, what: "dataset folder") }
        throw DatasetError.cannotDetect(root)
    }

    static func rafdbListPath(root: String) -> String? {
        for candidate in [root + "/" + rafdbListName, root + "/EmoLabel/" + rafdbListName, root]
        where candidate.hasSuffix(rafdbListName) && FileManager.default.fileExists(atPath: candidate) {
            return candidate
        }
        return nil
    }

    /// RAF-DB: the split comes from the name prefix; images beside the list or in `Image/aligned/`
    /// as `<stem>_aligned.jpg`.
    static func readRAFDB(root: String) throws -> Dataset {
        guard let list = rafdbListPath(root: root) else {
            throw DatasetError.missingFile(root + "/" + rafdbListName, what: "RAF-DB list file")
        }
        let listDir = (list as NSString).deletingLastPathComponent
        let datasetRoot = list.hasSuffix("/EmoLabel/" + rafdbListName) ? (listDir as NSString).deletingLastPathComponent : listDir
        var train: [LabeledImage] = [], test: [LabeledImage] = []
        for (lineNumber, name, label) in try parseList(list, labelRange: 1...7) {
            let origin = "\(list):\(lineNumber)"
            let stem = (name as NSString).deletingPathExtension
            let candidates = [listDir + "/" + name, datasetRoot + "/" + name,
                              datasetRoot + "/Image/aligned/" + stem + "_aligned.jpg",
                              datasetRoot + "/Image/aligned/" + name]
            guard let path = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
                throw DatasetError.missingImage(candidates[0], origin: origin)
            }
            let sample = LabeledImage(path: path, label: label - 1, origin: origin)
            if name.hasPrefix("train") { train.append(sample) }
            else if name.hasPrefix("test") { test.append(sample) }
            else { throw DatasetError.badLine(list, line: lineNumber, text: name, expected: "a name starting with train_ or test_") }
        }
        return Dataset(name: "rafdb", classNames: rafdbClasses, train: train, test: test)
    }

    static func readLists(_ options: DatasetOptions, format: DatasetFormat) throws -> Dataset {
        func resolve(_ given: String?, _ fallbackNames: [String]) throws -> String {
            if let given {
                let path = given.hasPrefix("/") || FileManager.default.fileExists(atPath: given) ? given : options.root + "/" + given
                guard FileManager.default.fileExists(atPath: path) else { throw DatasetError.missingFile(path, what: "list file") }
                return path
            }
            for name in fallbackNames where FileManager.default.fileExists(atPath: options.root + "/" + name) {
                return options.root + "/" + name
            }
            throw DatasetError.missingFile(options.root + "/" + fallbackNames[0], what: "list file (pass --train-list / --test-list)")
        }
        let trainList = try resolve(options.trainList, ["train.txt", "train_list.txt"])
        let testList = try resolve(options.testList, ["test.txt", "test_list.txt", "val.txt"])
        func samples(_ list: String) throws -> [LabeledImage] {
            let dir = (list as NSString).deletingLastPathComponent
            return try parseList(list, labelRange: 0...7).map { lineNumber, name, label in
                let origin = "\(list):\(lineNumber)"
                let candidates = name.hasPrefix("/") ? [name] : [dir + "/" + name, options.root + "/" + name]
                guard let path = candidates.first(where: { FileManager.default.fileExists(atPath: $0) }) else {
                    throw DatasetError.missingImage(candidates[0], origin: origin)
                }
                return LabeledImage(path: path, label: label, origin: origin)
            }
        }
        let train = try samples(trainList), test = try samples(testList)
        var classes: [String]
        if format == .ferplus {
            classes = ferplusClasses
        } else {
            let usesContempt = (train + test).contains { $0.label == 7 }
            classes = Array(affectnetClasses.prefix(usesContempt ? 8 : 7))
        }
        if let named = options.classes {
            guard named.count == classes.count else {
                throw DatasetError.classCount(given: named, expected: classes.count, format: format.rawValue)
            }
            classes = named
        }
        return Dataset(name: format.rawValue, classNames: classes, train: train, test: test)
    }

    static func readFolder(root: String, classes named: [String]?) throws -> Dataset {
        let fm = FileManager.default
        let trainDir = root + "/train", testDir = root + "/test"
        for dir in [trainDir, testDir] where !fm.fileExists(atPath: dir) {
            throw DatasetError.missingFile(dir, what: "split folder")
        }
        let found = (try? fm.contentsOfDirectory(atPath: trainDir))?.filter { name in
            var isDir: ObjCBool = false
            return fm.fileExists(atPath: trainDir + "/" + name, isDirectory: &isDir) && isDir.boolValue
        }.sorted() ?? []
        let classes = named ?? found
        guard !classes.isEmpty else { throw DatasetError.emptySplit(trainDir, split: "train (no class folders)") }
        func samples(_ dir: String) throws -> [LabeledImage] {
            var out: [LabeledImage] = []
            for (label, name) in classes.enumerated() {
                let classDir = dir + "/" + name
                let files = ((try? fm.contentsOfDirectory(atPath: classDir)) ?? [])
                    .filter { imageExtensions.contains(($0 as NSString).pathExtension.lowercased()) }.sorted()
                out += files.map { LabeledImage(path: classDir + "/" + $0, label: label, origin: classDir + "/" + $0) }
            }
            return out
        }
        return Dataset(name: "folder", classNames: classes, train: try samples(trainDir), test: try samples(testDir))
    }

    /// `NAME LABEL` lines; blank lines are skipped. Returns (1-based line number, name, label).
    static func parseList(_ path: String, labelRange: ClosedRange<Int>) throws -> [(Int, String, Int)] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw DatasetError.missingFile(path, what: "list file")
        }
        let text = String(decoding: data, as: UTF8.self)
        var out: [(Int, String, Int)] = []
        for (i, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if line.isEmpty { continue }
            let parts = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," })
            guard parts.count == 2, let label = Int(parts[1]) else {
                throw DatasetError.badLine(path, line: i + 1, text: line, expected: "'NAME LABEL'")
            }
            guard labelRange.contains(label) else {
                throw DatasetError.labelOutOfRange(path, line: i + 1, label: label, range: labelRange)
            }
            out.append((i + 1, String(parts[0]), label))
        }
        return out
    }

    static func validate(_ dataset: Dataset, source: String) throws {
        guard !dataset.train.isEmpty else { throw DatasetError.emptySplit(source, split: "train") }
        for (c, n) in dataset.trainCounts.enumerated() where n == 0 {
            throw DatasetError.emptyClass(source, className: dataset.classNames[c], where: "train")
        }
    }
}

extension DatasetReader {
    /// Decodes every image once and drops the unreadable ones (`--skip-bad`), reporting each with
    /// one warning line; returns the cleaned dataset and how many were skipped.
    public static func removeUnreadable(_ dataset: Dataset, log: (String) -> Void) -> (Dataset, skipped: Int) {
        func screen(_ samples: [LabeledImage]) -> [LabeledImage] {
            var bad = [String?](repeating: nil, count: samples.count)
            bad.withUnsafeMutableBufferPointer { out in
                DispatchQueue.concurrentPerform(iterations: samples.count) { i in
                    do { _ = try ImageCodec.decodeFile(atPath: samples[i].path) } catch {
                        out[i] = "warning: skipping \(samples[i].origin): \(error)"
                    }
                }
            }
            for message in bad.compactMap({ $0 }) { log(message) }
            return samples.indices.filter { bad[$0] == nil }.map { samples[$0] }
        }
        var cleaned = dataset
        cleaned.train = screen(dataset.train)
        cleaned.test = screen(dataset.test)
        return (cleaned, dataset.train.count + dataset.test.count - cleaned.train.count - cleaned.test.count)
    }
}
