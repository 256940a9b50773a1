import Foundation
import XCTest
@testable import FER

/// `fer convert`: timm Swin files in both key layouts and with 4x4 patches (made with timm's own
/// SwinTransformer by tools/make_timm_fixture.py), converted, loaded and run against timm's
/// features; the resampling methods; and the reference-checkpoint check.
final class TimmConversionTests: XCTestCase {
    static let folder = "timm/"
    let expected = try! SafetensorsFile(contentsOfFile: TestSupport.fixture(folder + "timm_features.safetensors"))

    func options(classes: [String] = ModelCheckpoint.rafdbClassNames) -> TimmConversion.Options {
        var o = TimmConversion.Options()
        o.imageSize = 56
        o.classNames = classes
        return o
    }

    /// Converts `name`, writes it, loads it back as any checkpoint, and returns it with the result.
    func convertAndLoad(_ name: String, options: TimmConversion.Options) throws -> (TimmConversion.Result, ModelCheckpoint.Loaded) {
        let file = try SafetensorsFile(contentsOfFile: TestSupport.fixture(Self.folder + name))
        let result = try TimmConversion.convert(file, options: options)
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("fer-convert-\(UUID().uuidString).safetensors")
        addTeardownBlock { try? FileManager.default.removeItem(at: out) }
        try TimmConversion.write(result, to: out, source: name)
        var notes: [String] = []
        let loaded = try ModelCheckpoint.load(path: out.path, device: try TestSupport.device(), log: { notes.append($0) })
        XCTAssertEqual(notes, [], "a converted file has exactly our keys")
        return (result, loaded)
    }

    /// Last-stage tokens before and after the final norm, and logits, on the fixture input.
    func run(_ model: MEKModel) throws -> (tokens: [Float], normed: [Float], logits: [Float]) {
        let d = model.device
        let images = try d.makeTensor([2, 3, 56, 56])
        try d.write(try expected.floats("input"), to: images)
        let f = try model.features(images: images, batch: 2)
        let logits = try d.read(try model.predict(images: images, batch: 2).logits)
        return (f.tokens, f.normed, logits)
    }

    func maxRelativeError(_ a: [Float], _ b: [Float]) -> Float {
        let scale = b.map(abs).max() ?? 1
        return zip(a, b).map { abs($0 - $1) }.max()! / scale
    }

    func testNewLayoutConvertsAndMatchesTimmFeatures() throws {
        let (result, loaded) = try convertAndLoad("timm_swin_new.safetensors", options: options())
        XCTAssertEqual(result.layout, .downsampleAtStageStart)
        XCTAssertEqual(result.ignoredKeys, [])
        XCTAssertEqual(result.notes, [], "same patch, window and class count: nothing resampled or fresh")
        let c = loaded.model.config
        XCTAssertEqual([c.embedDim, c.patchSize, c.window, c.imageSize, c.mlpRatio], [8, 2, 7, 56, 4])
        XCTAssertEqual(c.depths, [2, 2, 1]); XCTAssertEqual(c.heads, [1, 2, 4])
        XCTAssertEqual(loaded.classNames, ModelCheckpoint.rafdbClassNames)
        let out = try run(loaded.model)
        assertClose(out.tokens, try expected.floats("tokens"), relative: 1e-4, "last-stage tokens (before norm)")
        assertClose(out.normed, try expected.floats("features"), relative: 1e-4, "forward_features (after norm)")
        assertClose(out.logits, try expected.floats("logits"), relative: 1e-4, "logits through the kept head")
        print("timm new layout: max relative error tokens \(maxRelativeError(out.tokens, try expected.floats("tokens"))), "
              + "features \(maxRelativeError(out.normed, try expected.floats("features"))), logits \(maxRelativeError(out.logits, try expected.floats("logits")))")
    }

    func testOldLayoutGivesTheSameModel() throws {
        let (old, loaded) = try convertAndLoad("timm_swin_old.safetensors", options: options())
        XCTAssertEqual(old.layout, .downsampleAtStageEnd)
        XCTAssertEqual(old.ignoredKeys, (0..<3).map { "layers.\($0).blocks.0.attn.relative_position_index" })
        let new = try TimmConversion.convert(try SafetensorsFile(contentsOfFile: TestSupport.fixture(Self.folder + "timm_swin_new.safetensors")),
                                             options: options())
        XCTAssertEqual(old.tensors.map(\.name), new.tensors.map(\.name))
        for (a, b) in zip(old.tensors, new.tensors) { XCTAssertEqual(a.values, b.values, a.name) }
        let out = try run(loaded.model)
        assertClose(out.normed, try expected.floats("features"), relative: 1e-4, "old layout: forward_features")
        print("timm old layout: max relative error features \(maxRelativeError(out.normed, try expected.floats("features")))")
    }

    func testFourPixelPatchesAreResampledSoThatTheResponseIsKept() throws {
        // timm's model saw the input enlarged 2x by pixel replication with 4x4 patches; ours sees the
        // input itself with 2x2 patches. With the kernel summed over 2x2 blocks they must agree.
        let (result, loaded) = try convertAndLoad("timm_swin_patch4.safetensors", options: options())
        XCTAssertEqual(result.sourcePatchSize, 4)
        XCTAssertEqual(loaded.model.config.patchSize, 2)
        XCTAssertEqual(result.ignoredKeys, ["head.fc.bias", "head.fc.weight"], "a 10-class head is not carried over")
        XCTAssertTrue(result.notes.contains { $0.hasPrefix("head: fresh 7-class head") })
        XCTAssertTrue(result.notes.contains { $0.hasPrefix("patch_embed.proj.weight: 4x4 -> 2x2") })
        let out = try run(loaded.model)
        assertClose(out.tokens, try expected.floats("patch4_tokens"), relative: 1e-4, "patch 4 -> 2: last-stage tokens")
        assertClose(out.normed, try expected.floats("patch4_features"), relative: 1e-4, "patch 4 -> 2: forward_features")
        print("timm patch 4 -> 2: max relative error tokens \(maxRelativeError(out.tokens, try expected.floats("patch4_tokens"))), "
              + "features \(maxRelativeError(out.normed, try expected.floats("patch4_features")))")
    }

    func testPatchKernelResamplingKeepsTheResponseToBlockConstantInputs() throws {
        var rng = SeededRandom(seed: 11)
        let (outC, inC) = (5, 3)
        func response(_ w: [Float], patch p: Int, _ input: [Float]) -> [Float] {
            (0..<outC).map { o in (0..<(inC * p * p)).reduce(Float(0)) { $0 + w[o * inC * p * p + $1] * input[$1] } }
        }
        for (from, to) in [(4, 2), (4, 1), (2, 4), (6, 2)] {
            let w = (0..<(outC * inC * from * from)).map { _ in rng.uniform() - 0.5 }
            let resampled = try WeightResampling.patchKernel(w, outChannels: outC, inChannels: inC, from: from, to: to)
            XCTAssertEqual(resampled.count, outC * inC * to * to)
            // A constant image, and a random image at the small size enlarged by replication.
            let small = max(from, to) == from ? to : from, big = max(from, to)
            for constant in [true, false] {
                let coarse = (0..<(inC * small * small)).map { _ in constant ? 0.7 : rng.uniform() * 2 - 1 }
                let f = big / small
                let fine = (0..<(inC * big * big)).map { i -> Float in
                    let c = i / (big * big), y = (i / big) % big, x = i % big
                    return coarse[c * small * small + (y / f) * small + x / f]
                }
                let (inFrom, inTo) = from > to ? (fine, coarse) : (coarse, fine)
                assertClose(response(resampled, patch: to, inTo), response(w, patch: from, inFrom), relative: 1e-5,
                            "\(from) -> \(to), \(constant ? "constant" : "block-constant") input")
            }
        }
        XCTAssertEqual(try WeightResampling.patchKernel([1, 2, 3, 4], outChannels: 1, inChannels: 1, from: 2, to: 2), [1, 2, 3, 4])
        XCTAssertThrowsError(try WeightResampling.patchKernel([Float](repeating: 0, count: 9), outChannels: 1, inChannels: 1, from: 3, to: 2))
    }

    func testRelativePositionTablesInterpolateAsTorchBicubic() throws {
        let src7 = try expected.floats("rpb_src7"), src12 = try expected.floats("rpb_src12")
        assertClose(try WeightResampling.relativePositionTable(src7, heads: 2, fromWindow: 7, toWindow: 12),
                    try expected.floats("rpb_7to12"), relative: 1e-5, "window 7 -> 12")
        assertClose(try WeightResampling.relativePositionTable(src12, heads: 2, fromWindow: 12, toWindow: 7),
                    try expected.floats("rpb_12to7"), relative: 1e-5, "window 12 -> 7")
        XCTAssertEqual(try WeightResampling.relativePositionTable(src7, heads: 2, fromWindow: 7, toWindow: 7), src7, "kept when the window matches")
    }

    func testAnotherWindowInterpolatesTheTablesAndStillLoads() throws {
        var o = options()
        o.imageSize = 112
        o.window = 14
        let (result, loaded) = try convertAndLoad("timm_swin_new.safetensors", options: o)
        XCTAssertEqual(loaded.model.config.window, 14)
        XCTAssertEqual(result.notes.filter { $0.contains("window 7 -> 14") }.count, 5, "every block: the grids are 56, 28 and 14 tokens")
        XCTAssertTrue(result.tensors.contains { $0.name == "encoder.layers.2.blocks.0.attn.relative_position_bias_table" && $0.shape == [729, 4] })
    }

    func testConvertedBackboneInitializesTraining() throws {
        // What `fer train --init` does: copy the encoder.* keys into a fresh model of another class count.
        let file = try SafetensorsFile(contentsOfFile: TestSupport.fixture(Self.folder + "timm_swin_new.safetensors"))
        let result = try TimmConversion.convert(file, options: options())
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("fer-init-\(UUID().uuidString).safetensors")
        defer { try? FileManager.default.removeItem(at: out) }
        try TimmConversion.write(result, to: out, source: "test")
        var config = result.config
        config.numClasses = 3
        let model = try MEKModel(config: config, device: try TestSupport.device(), seed: 5)
        let unused = try ModelCheckpoint.copyParameters(from: try SafetensorsFile(contentsOfFile: out.path), into: model,
                                                        only: { $0.hasPrefix("encoder.") })
        XCTAssertEqual(Set(unused), ["head.weight", "head.bias", "norm.weight", "norm.bias"])
        let values = try model.parameters.hostValues()
        XCTAssertEqual(values["encoder.layers.1.downsample.reduction.weight"]!.values,
                       result.tensors.first { $0.name == "encoder.layers.1.downsample.reduction.weight" }!.values)
    }

    func testFilesThatAreNotTimmSwinAreRefused() throws {
        let golden = try SafetensorsFile(contentsOfFile: TestSupport.fixture("golden_micro_model.safetensors"))
        XCTAssertThrowsError(try TimmConversion.convert(golden)) { error in
            XCTAssertTrue("\(error)".contains("--from mek-pytorch"), "\(error)")
        }
        let absolute = SafetensorsFile.serialize([("patch_embed.proj.weight", [8, 3, 2, 2], [Float](repeating: 0, count: 96)),
                                                  ("absolute_pos_embed", [1, 4, 8], [Float](repeating: 0, count: 32))])
        XCTAssertThrowsError(try TimmConversion.convert(try SafetensorsFile(data: absolute, path: "ape.safetensors"))) { error in
            XCTAssertTrue("\(error)".contains("absolute position"), "\(error)")
        }
    }

    func testReferenceCheckpointIsValidatedAndDescribed() throws {
        let summary = try ReferenceCheckpoint.inspect(path: TestSupport.fixture("golden_micro_model.safetensors"))
        XCTAssertEqual(summary.config, SwinConfig.swinMicro)
        XCTAssertEqual(summary.classNames, ModelCheckpoint.rafdbClassNames)
        XCTAssertFalse(summary.classNamesFromFile)
        XCTAssertEqual(summary.dtypes, ["F16": ParameterLayout(config: .swinMicro).specs.count])
        let reasons = Dictionary(uniqueKeysWithValues: summary.ignored.map { ($0.reason, $0.keys) })
        XCTAssertEqual(reasons["the backbone's own norm/head, unused by the MEK head"], ["encoder.norm.bias", "encoder.norm.weight"])
        XCTAssertTrue(reasons["buffers the model recomputes"]?.allSatisfy { $0.hasSuffix("relative_position_index") || $0.hasSuffix("attn_mask") } == true)
        XCTAssertNil(reasons["not part of the model"])
        XCTAssertTrue(summary.lines[0].contains("a valid MEK checkpoint"))
        XCTAssertThrowsError(try ReferenceCheckpoint.inspect(path: TestSupport.fixture(Self.folder + "timm_swin_new.safetensors"))) { error in
            XCTAssertTrue("\(error)".contains("--from timm-swin"), "\(error)")
        }
    }
}
