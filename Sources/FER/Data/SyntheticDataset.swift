import Foundation

/// The built-in dataset: procedurally drawn faces (`SyntheticFaces`) written in the RAF-DB layout
/// (`list_patition_label.txt` + `train_00001.jpg`...), so the same reading code runs on it.
public enum SyntheticDataset {
    /// What to generate; equal specs give byte-identical folders.
    public struct Spec: Codable, Equatable, Sendable {
        public var train: Int
        public var test: Int
        public var seed: UInt64
        /// Largest / smallest class frequency; nil keeps RAF-DB's own proportions (about 17).
        public var imbalance: Float?
        /// How clear the expressions are and how much everything else varies.
        public var difficulty: SyntheticDifficulty
        /// The renderer's version: a cache made by an older renderer is rebuilt, not reused.
        public var renderer: Int = SyntheticDataset.rendererVersion
        public init(train: Int = 4000, test: Int = 1000, seed: UInt64 = 1, imbalance: Float? = nil,
                    difficulty: SyntheticDifficulty = .builtIn) {
            self.train = train; self.test = test; self.seed = seed; self.imbalance = imbalance
            self.difficulty = difficulty
        }
    }

    static let markerName = "synthetic.json"
    /// Bumped whenever `SyntheticFaces` draws differently.
    public static let rendererVersion = 3

    /// Writes the dataset into `folder` (created if needed). The marker file naming the spec is
    /// written last, so an interrupted write is redone rather than used.
    public static func write(_ spec: Spec, to folder: URL, log: (String) -> Void = { _ in }) throws {
        guard spec.train >= 7, spec.test >= 0 else {
            throw DatasetError.badImage("synthetic dataset: --train must be at least 7 (one image per class), got \(spec.train)")
        }
        if let r = spec.imbalance, !(r >= 1) {
            throw DatasetError.badImage("synthetic dataset: --imbalance must be >= 1, got \(r)")
        }
        let variation = spec.difficulty.variation
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try? FileManager.default.removeItem(at: folder.appendingPathComponent(markerName))
        var lines: [String] = []
        for (split, total, salt) in [("train", spec.train, UInt64(1)), ("test", spec.test, UInt64(2))] where total > 0 {
            let counts = SyntheticFaces.classCounts(total: total, imbalance: spec.imbalance)
            var rng = SeededRandom(seed: mix(spec.seed, salt))
            // Our own shuffle, not the standard library's, whose algorithm may change between
            // Swift versions: the same seed must give the same files.
            let labels = SyntheticFaces.sampleLabels(counts: counts, rng: &rng)
            let digits = split == "train" ? 5 : 4
            let names = labels.indices.map { split + "_" + String(format: "%0\(digits)d", $0 + 1) + ".jpg" }
            var failures = [String?](repeating: nil, count: labels.count)
            failures.withUnsafeMutableBufferPointer { out in
                DispatchQueue.concurrentPerform(iterations: labels.count) { i in
                    var imageRNG = SeededRandom(seed: mix(spec.seed, salt << 40 | UInt64(i)))
                    let image = SyntheticFaces.image(label: labels[i], variation: variation, rng: &imageRNG)
                    do {
                        try ImageCodec.encodeJPEG(image, quality: 95).write(to: folder.appendingPathComponent(names[i]))
                    } catch {
                        out[i] = "\(folder.path)/\(names[i]): \(error)"
                    }
                }
            }
            if let failure = failures.compactMap({ $0 }).first { throw DatasetError.badImage(failure) }
            lines += zip(names, labels).map { "\($0) \($1 + 1)" }
            log("synthetic \(split) (\(spec.difficulty.rawValue)): \(total) images, per class \(zip(SyntheticFaces.classNames, counts).map { "\($0) \($1)" }.joined(separator: ", "))")
        }
        try AtomicFile.write(Data((lines.joined(separator: "\n") + "\n").utf8),
                             to: folder.appendingPathComponent(DatasetReader.rafdbListName))
        try AtomicFile.write(try stableJSON(spec), to: folder.appendingPathComponent(markerName))
    }

    /// The cache folder for `spec` (under `$FER_CACHE`, else `~/.cache/swift-fer`).
    public static func cacheFolder(for spec: Spec) -> URL {
        let base = ProcessInfo.processInfo.environment["FER_CACHE"].map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/swift-fer")
        let imbalance = spec.imbalance.map { String(format: "-r%g", $0) } ?? ""
        return base.appendingPathComponent(
            "synthetic-v\(spec.renderer)-\(spec.difficulty.rawValue)-\(spec.train)-\(spec.test)-s\(spec.seed)\(imbalance)")
    }

    /// The cached folder for `spec`, built on first use.
    public static func ensureCached(_ spec: Spec, log: (String) -> Void) throws -> URL {
        let folder = cacheFolder(for: spec)
        let marker = folder.appendingPathComponent(markerName)
        if let data = FileManager.default.contents(atPath: marker.path),
           let stored = try? JSONDecoder().decode(Spec.self, from: data), stored == spec {
            return folder
        }
        log("building the synthetic dataset in \(folder.path) (once) ...")
        try write(spec, to: folder, log: log)
        return folder
    }
}
