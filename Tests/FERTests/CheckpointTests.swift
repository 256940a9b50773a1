import Foundation
import XCTest
@testable import FER

/// Safetensors reading and writing, and the checkpoint loader's errors on bad files.
final class CheckpointTests: XCTestCase {
    let d: Device = CPUDevice(threads: 2)
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("fer-ckpt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    func errorText(_ body: () throws -> Void) -> String {
        do { try body(); return "no error" } catch { return "\(error)" }
    }

    func testRoundTripKeepsValuesConfigAndClassNames() throws {
        let config = SwinConfig(embedDim: 16, depths: [1, 1, 2, 1], heads: [1, 2, 2, 4], numClasses: 5)
        let model = try MEKModel(config: config, device: d, seed: 42)
        let url = folder.appendingPathComponent("m.safetensors")
        let names = ["a", "b", "c", "d", "e"]
        try ModelCheckpoint.save(model, classNames: names, to: url)
        let loaded = try ModelCheckpoint.load(path: url.path, device: d, seed: 7, log: { XCTFail("unexpected notice: \($0)") })
        XCTAssertEqual(loaded.model.config, config)
        XCTAssertEqual(loaded.classNames, names)
        XCTAssertEqual(try d.read(loaded.model.parameters.values), try d.read(model.parameters.values))
    }

    func testHalfPrecisionTensorsAreConvertedOnLoad() throws {
        // The golden reference file stores every float tensor as F16.
        let file = try SafetensorsFile(contentsOfFile: TestSupport.fixture("golden_micro_model.safetensors"))
        XCTAssertEqual(file.entries["head.weight"]?.dtype, "F16")
        let values = try file.floats("head.weight")
        XCTAssertEqual(values.count, 7 * 256)
        XCTAssertTrue(values.allSatisfy { $0.isFinite } && values.contains { $0 != 0 })
        // BF16: 1.5 is 0x3FC0, -2 is 0xC000.
        let header = #"{"t":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]}}"#
        var data = Data()
        var n = UInt64(header.utf8.count).littleEndian
        withUnsafeBytes(of: &n) { data.append(contentsOf: $0) }
        data.append(Data(header.utf8))
        data.append(contentsOf: [0xC0, 0x3F, 0x00, 0xC0])
        XCTAssertEqual(try SafetensorsFile(data: data, path: "bf16").floats("t"), [1.5, -2])
    }

    func testMissingKeyIsNamedWithItsExpectedShape() throws {
        let model = try MEKModel(config: .swinMicro, device: d)
        let values = try model.parameters.hostValues()
        let tensors = model.parameters.layout.specs.filter { $0.name != "encoder.layers.1.blocks.0.mlp.fc2.bias" }
            .map { (name: $0.name, shape: $0.shape, values: values[$0.name]!.values) }
        let url = folder.appendingPathComponent("missing.safetensors")
        try SafetensorsFile.serialize(tensors).write(to: url)
        let text = errorText { _ = try ModelCheckpoint.load(path: url.path, device: d, log: { _ in }) }
        XCTAssertTrue(text.contains("missing tensor 'encoder.layers.1.blocks.0.mlp.fc2.bias'"), text)
        XCTAssertTrue(text.contains("[64]") && text.contains(url.path), text)
    }

    func testWrongShapeNamesKeyExpectedAndFound() throws {
        let model = try MEKModel(config: .swinMicro, device: d)
        let values = try model.parameters.hostValues()
        let tensors = model.parameters.layout.specs.map { spec -> (name: String, shape: [Int], values: [Float]) in
            if spec.name == "encoder.layers.0.blocks.0.attn.proj.weight" { return (spec.name, [32, 16], Array(repeating: 0, count: 512)) }
            return (spec.name, spec.shape, values[spec.name]!.values)
        }
        let url = folder.appendingPathComponent("shape.safetensors")
        try SafetensorsFile.serialize(tensors).write(to: url)
        let text = errorText { _ = try ModelCheckpoint.load(path: url.path, device: d, log: { _ in }) }
        XCTAssertTrue(text.contains("'encoder.layers.0.blocks.0.attn.proj.weight' has shape [32, 16], expected [32, 32]"), text)
    }

    /// Shapes the architecture is read from are checked before use: a scalar head, a
    /// one-channel patch kernel and a folder given as the file are errors that name the culprit.
    func testOddShapesAndFoldersAreNamedErrorsNotCrashes() throws {
        let model = try MEKModel(config: .swinMicro, device: d)
        let values = try model.parameters.hostValues()
        func write(_ name: String, replacing key: String, shape: [Int], count: Int) throws -> String {
            let tensors = model.parameters.layout.specs.map { spec -> (name: String, shape: [Int], values: [Float]) in
                spec.name == key ? (spec.name, shape, Array(repeating: 0, count: count)) : (spec.name, spec.shape, values[spec.name]!.values)
            }
            let url = folder.appendingPathComponent(name)
            try SafetensorsFile.serialize(tensors).write(to: url)
            return errorText { _ = try ModelCheckpoint.load(path: url.path, device: d, log: { _ in }) }
        }
        let scalarHead = try write("head.safetensors", replacing: "head.weight", shape: [], count: 1)
        XCTAssertTrue(scalarHead.contains("head.weight has shape [], expected [out, in]"), scalarHead)
        let scalarFC1 = try write("fc1.safetensors", replacing: "encoder.layers.0.blocks.0.mlp.fc1.weight", shape: [], count: 1)
        XCTAssertTrue(scalarFC1.contains("encoder.layers.0.blocks.0.mlp.fc1.weight has shape []"), scalarFC1)
        let gray = try write("gray.safetensors", replacing: "encoder.patch_embed.proj.weight", shape: [32, 1, 2, 2], count: 128)
        XCTAssertTrue(gray.contains("inChannels is 1"), gray)
        let directory = errorText { _ = try SafetensorsFile(contentsOfFile: folder.path) }
        XCTAssertTrue(directory.contains(folder.path) && directory.contains("is a directory"), directory)
    }

    func testTruncatedFileIsAnErrorNotACrash() throws {
        let full = try Data(contentsOf: URL(fileURLWithPath: TestSupport.fixture("golden_micro_model.safetensors")))
        for cut in [0, 5, 100, full.count / 2, full.count - 1] {
            let text = errorText { _ = try SafetensorsFile(data: full.prefix(cut), path: "cut.safetensors") }
            XCTAssertTrue(text.contains("cut.safetensors"), "cut at \(cut): \(text)")
            XCTAssertTrue(text.contains("truncated") || text.contains("outside"), "cut at \(cut): \(text)")
        }
    }

    func testHeaderThatLiesAboutOffsetsIsRejected() throws {
        func file(_ header: String, dataBytes: Int) -> Data {
            var data = Data()
            var n = UInt64(header.utf8.count).littleEndian
            withUnsafeBytes(of: &n) { data.append(contentsOf: $0) }
            data.append(Data(header.utf8))
            data.append(Data(count: dataBytes))
            return data
        }
        let beyond = errorText { _ = try SafetensorsFile(data: file(#"{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}"#, dataBytes: 8), path: "lie.safetensors") }
        XCTAssertTrue(beyond.contains("'w'") && beyond.contains("outside"), beyond)
        let sizeMismatch = errorText { _ = try SafetensorsFile(data: file(#"{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,16]}}"#, dataBytes: 16), path: "lie.safetensors") }
        XCTAssertTrue(sizeMismatch.contains("needs 12 bytes"), sizeMismatch)
        let huge = errorText { _ = try SafetensorsFile(data: file(#"{"w":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,16]}}"#, dataBytes: 16), path: "lie.safetensors") }
        XCTAssertTrue(huge.contains("'w'"), huge)
        let notJSON = errorText { _ = try SafetensorsFile(data: file("{not json", dataBytes: 0), path: "lie.safetensors") }
        XCTAssertTrue(notJSON.contains("not a JSON object"), notJSON)
        var bigHeader = Data([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0])
        bigHeader.append(Data(count: 10))
        let claim = errorText { _ = try SafetensorsFile(data: bigHeader, path: "lie.safetensors") }
        XCTAssertTrue(claim.contains("header claims"), claim)
    }

    func testConfigIsInferredFromShapesWithoutMetadata() throws {
        let file = try SafetensorsFile(contentsOfFile: TestSupport.fixture("golden_micro_model.safetensors"))
        XCTAssertTrue(file.metadata.isEmpty)
        let config = try ModelCheckpoint.inferConfig(file)
        XCTAssertEqual(config.embedDim, 32)
        XCTAssertEqual(config.depths, [1, 1, 2, 1])
        XCTAssertEqual(config.heads, [1, 2, 4, 8])
        XCTAssertEqual(config.window, 7)
        XCTAssertEqual(config.patchSize, 2)
        XCTAssertEqual(config.numClasses, 7)
    }

    func testRAFDBClassWeightsMatchThePublishedVector() throws {
        let w = try ClassWeights.inverseFrequency(counts: [1290, 281, 717, 4772, 1982, 705, 2524])
        let published: [Float] = [0.95124031, 4.36690391, 1.71143654, 0.25714585, 0.6191221, 1.74056738, 0.48617274]
        for (a, b) in zip(w, published) { XCTAssertEqual(a, b, accuracy: 1e-6) }
        XCTAssertThrowsError(try ClassWeights.inverseFrequency(counts: [3, 0, 2]))
    }
}
