import Foundation
import XCTest
@testable import FER

/// Dataset formats, their errors, the loader's determinism and the synthetic set's reproducibility.
/// Each test builds a small tree of real PNG files in a temporary folder.
final class DatasetTests: XCTestCase {
    var root: URL!
    let fm = FileManager.default

    override func setUpWithError() throws {
        root = fm.temporaryDirectory.appendingPathComponent("fer-data-\(UUID().uuidString)")
        try fm.createDirectory(at: root, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? fm.removeItem(at: root) }

    func image(_ value: UInt8, size: Int = 16) throws -> Data {
        try ImageCodec.encodePNG(RGBImage(width: size, height: size, pixels: [UInt8](repeating: value, count: size * size * 3)))
    }

    func write(_ text: String, _ relative: String) throws {
        let url = root.appendingPathComponent(relative)
        try fm.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
    }

    func writeImage(_ relative: String, _ value: UInt8 = 100) throws {
        let url = root.appendingPathComponent(relative)
        try fm.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try image(value).write(to: url)
    }

    func errorText(_ body: () throws -> Void) -> String {
        do { try body(); return "no error" } catch { return "\(error)" }
    }

    /// A RAF-DB tree with one training image per class (labels 1..7) and two test images.
    func makeRAFDB(aligned: Bool) throws {
        var lines: [String] = []
        for c in 1...7 {
            let name = String(format: "train_%05d.jpg", c)
            lines.append("\(name) \(c)")
            try writeImage(aligned ? "Image/aligned/" + String(format: "train_%05d_aligned.jpg", c) : name, UInt8(c * 30))
        }
        for (i, c) in [(1, 4), (2, 2)] {
            let name = String(format: "test_%04d.jpg", i)
            lines.append("\(name) \(c)")
            try writeImage(aligned ? "Image/aligned/" + String(format: "test_%04d_aligned.jpg", i) : name)
        }
        try write(lines.joined(separator: "\n") + "\n", aligned ? "EmoLabel/list_patition_label.txt" : "list_patition_label.txt")
    }

    func testRAFDBBesideTheListMapsLabelsAndSplits() throws {
        try makeRAFDB(aligned: false)
        XCTAssertEqual(try DatasetReader.detect(root: root.path), .rafdb)
        let d = try DatasetReader.read(DatasetOptions(root: root.path))
        XCTAssertEqual(d.classNames, ["Surprise", "Fear", "Disgust", "Happiness", "Sadness", "Anger", "Neutral"])
        XCTAssertEqual(d.train.map(\.label), [0, 1, 2, 3, 4, 5, 6])
        XCTAssertEqual(d.test.map(\.label), [3, 1])
        XCTAssertTrue(d.train[0].path.hasSuffix("/train_00001.jpg"))
        XCTAssertTrue(d.train[2].origin.hasSuffix("list_patition_label.txt:3"))
    }

    func testRAFDBOriginalAlignedLayout() throws {
        try makeRAFDB(aligned: true)
        let d = try DatasetReader.read(DatasetOptions(root: root.path, format: .rafdb))
        XCTAssertEqual(d.train.count, 7)
        XCTAssertTrue(d.train[6].path.hasSuffix("Image/aligned/train_00007_aligned.jpg"), d.train[6].path)
    }

    func testFERPlusAndAffectNetLists() throws {
        for c in 0..<8 { try writeImage("img/a\(c).png") }
        try write((0..<8).map { "img/a\($0).png \($0)" }.joined(separator: "\n"), "train.txt")
        try write("img/a1.png 1\nimg/a2.png 7\n", "test.txt")
        let ferplus = try DatasetReader.read(DatasetOptions(root: root.path, format: .ferplus, trainList: "train.txt", testList: "test.txt"))
        XCTAssertEqual(ferplus.classNames.count, 8)
        XCTAssertEqual(ferplus.classNames.last, "Contempt")
        XCTAssertThrowsError(try DatasetReader.read(DatasetOptions(root: root.path, format: .ferplus, trainList: "train.txt",
                                                                   testList: "test.txt", classes: ["a", "b"]))) { error in
            XCTAssertEqual("\(error)", "--classes gives 2 name(s) (a,b), but the ferplus labels have 8 classes")
        }
        XCTAssertEqual(ferplus.test.map(\.label), [1, 7])
        // AffectNet with labels 0..6 only has 7 classes.
        try write((0..<7).map { "img/a\($0).png \($0)" }.joined(separator: "\n"), "train7.txt")
        try write("img/a3.png 3\n", "test7.txt")
        let affect = try DatasetReader.read(DatasetOptions(root: root.path, format: .affectnet, trainList: "train7.txt", testList: "test7.txt"))
        XCTAssertEqual(affect.classNames.count, 7)
        XCTAssertEqual(affect.trainCounts, [1, 1, 1, 1, 1, 1, 1])
    }

    func testFolderFormatSortsClassesOrTakesThemFromClasses() throws {
        for name in ["sad", "happy", "angry"] {
            try writeImage("train/\(name)/x1.png")
            try writeImage("train/\(name)/x2.jpg")
            try writeImage("test/\(name)/y.png")
        }
        try write("not an image", "train/happy/readme.txt")
        XCTAssertEqual(try DatasetReader.detect(root: root.path), .folder)
        let sorted = try DatasetReader.read(DatasetOptions(root: root.path))
        XCTAssertEqual(sorted.classNames, ["angry", "happy", "sad"])
        XCTAssertEqual(sorted.trainCounts, [2, 2, 2])
        let named = try DatasetReader.read(DatasetOptions(root: root.path, format: .folder, classes: ["sad", "angry", "happy"]))
        XCTAssertEqual(named.classNames, ["sad", "angry", "happy"])
        XCTAssertTrue(named.train[0].path.contains("/train/sad/"))
    }

    func testBadListsNameFileAndLine() throws {
        XCTAssertTrue(errorText { _ = try DatasetReader.read(DatasetOptions(root: root.path, format: .rafdb)) }
            .contains("list_patition_label.txt: RAF-DB list file not found"))
        try makeRAFDB(aligned: false)
        let list = root.appendingPathComponent("list_patition_label.txt")
        let good = try String(contentsOf: list, encoding: .utf8)
        try (good + "train_00099.jpg five\n").write(to: list, atomically: true, encoding: .utf8)
        var text = errorText { _ = try DatasetReader.read(DatasetOptions(root: root.path)) }
        XCTAssertTrue(text.contains("list_patition_label.txt:10: cannot parse 'train_00099.jpg five'"), text)
        try (good + "train_00001.jpg 9\n").write(to: list, atomically: true, encoding: .utf8)
        text = errorText { _ = try DatasetReader.read(DatasetOptions(root: root.path)) }
        XCTAssertTrue(text.contains(":10: label 9 is outside 1...7"), text)
        try (good + "train_00123.jpg 2\n").write(to: list, atomically: true, encoding: .utf8)
        text = errorText { _ = try DatasetReader.read(DatasetOptions(root: root.path)) }
        XCTAssertTrue(text.contains(":10: image") && text.contains("train_00123.jpg does not exist"), text)
        // Fear (label 2) removed from the training split.
        try good.split(separator: "\n").filter { !$0.hasPrefix("train_00002") }.joined(separator: "\n")
            .write(to: list, atomically: true, encoding: .utf8)
        text = errorText { _ = try DatasetReader.read(DatasetOptions(root: root.path)) }
        XCTAssertTrue(text.contains("class 'Fear' has no images in the train split"), text)
    }

    func testUnreadableImagesStopTheLoaderOrAreSkipped() throws {
        try makeRAFDB(aligned: false)
        let truncated = try image(7).prefix(30)
        try truncated.write(to: root.appendingPathComponent("train_00003.jpg"))
        try Data("hello".utf8).write(to: root.appendingPathComponent("test_0002.jpg"))
        let d = try DatasetReader.read(DatasetOptions(root: root.path))
        let loader = try BatchLoader(samples: d.train, pipeline: ImagePipeline(imageSize: 16, policy: .none), batchSize: 7,
                                     training: false, seed: 0)
        let text = errorText { _ = try loader.next() }
        XCTAssertTrue(text.contains("list_patition_label.txt:3") && text.contains("--skip-bad"), text)
        var warnings: [String] = []
        let (cleaned, skipped) = DatasetReader.removeUnreadable(d, log: { warnings.append($0) })
        XCTAssertEqual(skipped, 2)
        XCTAssertEqual(warnings.count, 2)
        XCTAssertEqual(cleaned.train.count, 6)
        XCTAssertEqual(cleaned.test.count, 1)
    }

    func testLoaderOrderIsSeededDeterministicAndResumable() throws {
        for i in 0..<20 { try writeImage("train/c\(i % 2)/\(i).png", UInt8(i * 10)) }
        for i in 0..<2 { try writeImage("test/c\(i)/t.png") }
        let d = try DatasetReader.read(DatasetOptions(root: root.path))
        let pipeline = ImagePipeline(imageSize: 16, policy: .reference)
        func batches(seed: UInt64, start: SamplerPosition, count: Int) throws -> [Batch] {
            let loader = try BatchLoader(samples: d.train, pipeline: pipeline, batchSize: 6, training: true, seed: seed, start: start)
            defer { loader.stop() }
            return try (0..<count).map { _ in try XCTUnwrap(try loader.next()) }
        }
        let a = try batches(seed: 1, start: SamplerPosition(), count: 7)
        let b = try batches(seed: 1, start: SamplerPosition(), count: 7)
        XCTAssertEqual(a.map(\.images), b.map(\.images), "same seed, same augmented batches")
        XCTAssertEqual(a.map(\.labels), b.map(\.labels))
        // 20 images in batches of 6: 3 batches per epoch (the incomplete fourth is dropped).
        XCTAssertEqual(a.map(\.position), [SamplerPosition(epoch: 0, batch: 0), SamplerPosition(epoch: 0, batch: 1), SamplerPosition(epoch: 0, batch: 2),
                                           SamplerPosition(epoch: 1, batch: 0), SamplerPosition(epoch: 1, batch: 1), SamplerPosition(epoch: 1, batch: 2),
                                           SamplerPosition(epoch: 2, batch: 0)])
        let resumed = try batches(seed: 1, start: SamplerPosition(epoch: 1, batch: 1), count: 3)
        XCTAssertEqual(resumed.map(\.images), Array(a[4..<7]).map(\.images), "a loader started at a saved position continues the sequence")
        let other = try batches(seed: 2, start: SamplerPosition(), count: 1)
        XCTAssertNotEqual(other[0].images, a[0].images)
        // Within an epoch every image appears at most once.
        let firstEpoch = (0..<3).flatMap { try! BatchLoader(samples: d.train, pipeline: pipeline, batchSize: 6, training: true, seed: 1).indices(at: SamplerPosition(epoch: 0, batch: $0)) }
        XCTAssertEqual(Set(firstEpoch).count, 18)
    }

    func testSyntheticDatasetIsReproducibleByteForByte() throws {
        let spec = SyntheticDataset.Spec(train: 21, test: 7, seed: 3, imbalance: nil)
        let a = root.appendingPathComponent("a"), b = root.appendingPathComponent("b")
        try SyntheticDataset.write(spec, to: a)
        try SyntheticDataset.write(spec, to: b)
        let names = try fm.contentsOfDirectory(atPath: a.path).sorted()
        XCTAssertEqual(names, try fm.contentsOfDirectory(atPath: b.path).sorted())
        XCTAssertEqual(names.filter { $0.hasSuffix(".jpg") }.count, 28)
        for name in names {
            XCTAssertEqual(try Data(contentsOf: a.appendingPathComponent(name)), try Data(contentsOf: b.appendingPathComponent(name)), name)
        }
        let d = try DatasetReader.read(DatasetOptions(root: a.path))
        XCTAssertEqual(d.trainCounts, SyntheticFaces.classCounts(total: 21, imbalance: nil))
        let c = root.appendingPathComponent("c")
        try SyntheticDataset.write(SyntheticDataset.Spec(train: 21, test: 7, seed: 4), to: c)
        XCTAssertNotEqual(try Data(contentsOf: a.appendingPathComponent("train_00001.jpg")), try Data(contentsOf: c.appendingPathComponent("train_00001.jpg")))
    }
}
