import Foundation
import XCTest
@testable import FER

/// The model, losses and gradients against the PyTorch reference fixture made by
/// tools/make_golden.py (swin-micro, perturbed weights, 2 images, drop-path off).
final class GoldenModelTests: XCTestCase {
    struct Golden {
        let loaded: ModelCheckpoint.Loaded
        let io: SafetensorsFile
        let input: [Float]
        let labels: [Int]
    }

    func loadGolden(device: Device) throws -> Golden {
        var notes: [String] = []
        let loaded = try ModelCheckpoint.load(path: TestSupport.fixture("golden_micro_model.safetensors"), device: device,
                                              log: { notes.append($0) })
        XCTAssertEqual(notes.count, 1, "one notice line for the ignored keys")
        let io = try SafetensorsFile(contentsOfFile: TestSupport.fixture("golden_micro_io.safetensors"))
        return Golden(loaded: loaded, io: io, input: try io.floats("input"), labels: try io.floats("labels").map { Int($0) })
    }

    /// Logits, CAMs, loss parts and every parameter gradient, for one packed forward of
    /// `[x; flip(x)]` and one backward.
    func runGoldenStep(device d: Device) throws -> (Golden, MEKModel.ForwardPass, MEKLoss.Value) {
        let g = try loadGolden(device: d)
        let model = g.loaded.model
        XCTAssertEqual(model.config, SwinConfig.swinMicro)
        let b = 2, s = model.config.imageSize
        let images = try d.makeTensor([2 * b, 3, s, s])
        let originals = images.rows(0..<b)
        try d.write(g.input, to: originals)
        d.flipLastAxis(originals, rows: b * 3 * s, width: s, into: images.rows(b..<(2 * b)))
        let pass = try model.predict(images: images, batch: 2 * b, keepActivations: true)
        let weights = try ClassWeights.inverseFrequency(counts: [1290, 281, 717, 4772, 1982, 705, 2524])
        let weightTensor = try d.makeTensor([7])
        try d.write(weights, to: weightTensor)
        let loss = MEKLoss(classWeights: weights)
        model.parameters.zeroGradients()
        let (value, dlogits, dcams) = try loss.evaluate(device: d, pass: pass, labels: g.labels,
                                                        classWeightsTensor: weightTensor, grid: model.config.finalResolution)
        try model.backward(pass, dlogits: dlogits, dcams: dcams)
        return (g, pass, value)
    }

    /// `[B, 49, K]` token-major maps to PyTorch's `[B, K, 7, 7]`.
    func camsToReferenceLayout(_ cams: [Float], batch: Int, tokens: Int, classes: Int) -> [Float] {
        var out = [Float](repeating: 0, count: cams.count)
        for b in 0..<batch { for t in 0..<tokens { for k in 0..<classes {
            out[(b * classes + k) * tokens + t] = cams[(b * tokens + t) * classes + k]
        } } }
        return out
    }

    func testLogitsCamsLossAndGradientsMatchPyTorch() throws {
        try checkGoldenStep(on: try TestSupport.device())
    }

    /// The same fixture on the OpenCL backend, whatever `FER_TEST_BACKEND` says.
    func testLogitsCamsLossAndGradientsMatchPyTorchOnOpenCL() throws {
        try checkGoldenStep(on: try TestSupport.openCLDevice())
    }

    func checkGoldenStep(on d: Device) throws {
        let (g, pass, value) = try runGoldenStep(device: d)
        let logits = try d.read(pass.logits)
        let cams = camsToReferenceLayout(try d.read(pass.cams), batch: 4, tokens: 49, classes: 7)
        // Forward: max abs error <= 1e-4 of the largest reference magnitude.
        assertClose(Array(logits[0..<14]), try g.io.floats("logits"), relative: 1e-4, "logits")
        assertClose(Array(logits[14..<28]), try g.io.floats("logits_flip"), relative: 1e-4, "logits of the flipped images")
        assertClose(Array(cams[0..<686]), try g.io.floats("cam"), relative: 1e-4, "cam")
        assertClose(Array(cams[686..<1372]), try g.io.floats("cam_flip"), relative: 1e-4, "cam of the flipped images")
        // Loss: 1e-5 relative.
        assertClose([value.total], try g.io.floats("loss"), relative: 1e-5, "loss")
        assertClose([value.classification], try g.io.floats("loss_cls"), relative: 1e-5, "loss_cls")
        assertClose([value.attention], try g.io.floats("loss_att"), relative: 1e-5, "loss_att")
        // Every parameter gradient: 1e-3 relative to the tensor's largest reference magnitude.
        let grads = try g.loaded.model.parameters.hostGradients()
        var checked = 0
        for spec in g.loaded.model.parameters.layout.specs {
            let reference = try g.io.floats("grad." + spec.name)
            assertClose(grads[spec.name]!.values, reference, relative: 1e-3, "grad of \(spec.name)")
            checked += 1
        }
        XCTAssertEqual(checked, 82)
    }

    func testSmoothTargetsMatchReference() throws {
        let g = try loadGolden(device: try TestSupport.device())
        let weights = try ClassWeights.inverseFrequency(counts: [1290, 281, 717, 4772, 1982, 705, 2524])
        let targets = try MEKLoss(classWeights: weights).targets(labels: g.labels)
        assertClose(targets, try g.io.floats("targets"), relative: 1e-6, "re-balanced smooth targets")
    }

    func testLoaderIgnoresReferenceBuffersWithOneNotice() throws {
        let g = try loadGolden(device: try TestSupport.device())
        XCTAssertTrue(g.loaded.ignoredKeys.contains("encoder.layers.0.blocks.0.attn.relative_position_index"))
        XCTAssertTrue(g.loaded.ignoredKeys.contains("encoder.layers.2.blocks.1.attn_mask"))
        XCTAssertTrue(g.loaded.ignoredKeys.contains("encoder.norm.weight"))
        XCTAssertEqual(g.loaded.classNames, ModelCheckpoint.rafdbClassNames)
    }
}
