import Foundation
import XCTest
@testable import FER

/// Schedule, optimizer, metrics and the trainer's resume guarantee.
final class TrainingTests: XCTestCase {
    struct ScheduleFixture: Decodable {
        struct Config: Decodable { let base, warmup_lr, min_lr: Double; let warmup, total: Int; let steps: [Int]; let lr: [Double] }
        let configs: [Config]
    }

    func testScheduleMatchesTimmCosineLRScheduler() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: TestSupport.fixture("schedule_timm.json")))
        let fixture = try JSONDecoder().decode(ScheduleFixture.self, from: data)
        XCTAssertEqual(fixture.configs.count, 2)
        for c in fixture.configs {
            let s = LearningRateSchedule(baseLR: c.base, warmupLR: c.warmup_lr, minLR: c.min_lr, warmupSteps: c.warmup, totalSteps: c.total)
            for (t, expected) in zip(c.steps, c.lr) {
                XCTAssertEqual(s.rate(at: t), expected, accuracy: 1e-12 * expected, "step \(t) of total \(c.total)")
            }
        }
        // The reference scaling: batch 32 gives 3.125e-5, 3.125e-8, 3.125e-7.
        let r = LearningRateSchedule.reference(batch: 32, warmupSteps: 2000, totalSteps: 20000)
        XCTAssertEqual(r.baseLR, 3.125e-5, accuracy: 1e-18)
        XCTAssertEqual(r.warmupLR, 3.125e-8, accuracy: 1e-21)
        XCTAssertEqual(r.minLR, 3.125e-7, accuracy: 1e-20)
    }

    /// One clipped AdamW step, then a second on the same clipped gradients, against torch.optim.AdamW
    /// on the golden fixture's gradients (<= 1e-6 relative to each tensor's largest magnitude).
    func testAdamWWithClippingMatchesPyTorch() throws {
        let d = try TestSupport.device()
        let loaded = try ModelCheckpoint.load(path: TestSupport.fixture("golden_micro_model.safetensors"), device: d, log: { _ in })
        let params = loaded.model.parameters
        let io = try SafetensorsFile(contentsOfFile: TestSupport.fixture("golden_micro_io.safetensors"))
        let reference = try SafetensorsFile(contentsOfFile: TestSupport.fixture("golden_micro_adamw.safetensors"))
        var flatGrad = [Float](repeating: 0, count: params.layout.totalCount)
        for spec in params.layout.specs {
            flatGrad.replaceSubrange(spec.offset..<(spec.offset + spec.count), with: try io.floats("grad." + spec.name))
        }
        try d.write(flatGrad, to: params.gradients)
        let normSquared = try d.makeTensor([1])
        d.sumOfSquares(params.gradients, into: normSquared, accumulate: false)
        let norm = try d.read(normSquared)[0].squareRoot()
        XCTAssertEqual(norm, try reference.floats("total_norm")[0], accuracy: 1e-5 * norm)
        let m = try d.makeTensor([params.layout.totalCount]), v = try d.makeTensor([params.layout.totalCount])
        d.adamW(parameters: params.values, gradients: params.gradients, m: m, v: v, gradNormSquared: normSquared,
                settings: AdamWStep(learningRate: 1e-3, step: 1, maxGradNorm: 5))
        let keys = ["encoder.patch_embed.proj.weight", "encoder.layers.0.blocks.0.attn.qkv.weight",
                    "encoder.layers.0.blocks.0.attn.relative_position_bias_table", "encoder.layers.2.blocks.1.mlp.fc2.bias",
                    "encoder.layers.1.downsample.reduction.weight", "norm.weight", "head.weight", "head.bias"]
        var after = try params.hostValues()
        for key in keys { assertClose(after[key]!.values, try reference.floats("after." + key), relative: 1e-6, "after one step: \(key)") }
        // PyTorch's clip_grad_norm_ scales .grad in place; the second step sees the clipped gradients.
        let coef = try reference.floats("clip_coef")[0]
        try d.write(flatGrad.map { $0 * coef }, to: params.gradients)
        d.adamW(parameters: params.values, gradients: params.gradients, m: m, v: v, gradNormSquared: normSquared,
                settings: AdamWStep(learningRate: 1e-3, step: 2, maxGradNorm: nil))
        after = try params.hostValues()
        for key in keys { assertClose(after[key]!.values, try reference.floats("after2." + key), relative: 1e-6, "after two steps: \(key)") }
    }

    func testMetricsOnAHandMadeConfusionMatrix() {
        // rows = truth; 3 classes.
        let m = ClassificationMetrics(classes: ["a", "b", "c"], confusion: [[8, 2, 0], [1, 3, 0], [0, 2, 4]])
        XCTAssertEqual(m.total, 20)
        XCTAssertEqual(m.overallAccuracy, 15.0 / 20, accuracy: 1e-12)
        XCTAssertEqual(m.perClassAccuracy[0], 0.8, accuracy: 1e-12)
        XCTAssertEqual(m.perClassAccuracy[1], 0.75, accuracy: 1e-12)
        XCTAssertEqual(m.perClassAccuracy[2], 4.0 / 6, accuracy: 1e-12)
        XCTAssertEqual(m.meanClassAccuracy, (0.8 + 0.75 + 4.0 / 6) / 3, accuracy: 1e-12)
        // F1: a: p 8/9 r 0.8; b: p 3/7 r 0.75; c: p 1 r 2/3.
        func harmonic(_ p: Double, _ r: Double) -> Double { 2 * p * r / (p + r) }
        let f1: [Double] = [harmonic(8.0 / 9, 0.8), harmonic(3.0 / 7, 0.75), harmonic(1, 2.0 / 3)]
        for c in 0..<3 { XCTAssertEqual(m.f1[c], f1[c], accuracy: 1e-12) }
        XCTAssertEqual(m.macroF1, f1.reduce(0, +) / 3, accuracy: 1e-12)
        let json = m.jsonObject(step: 7)
        XCTAssertEqual(json["step"] as? Int, 7)
        XCTAssertEqual((json["per_class_accuracy"] as? [String: Double])?["b"], 0.75)
        XCTAssertTrue(m.table().contains("mean class accuracy"))
    }

    func testSmoothingVariantsGiveTheirTargets() throws {
        let w: [Float] = [1, 2, 3, 4]
        let rebalanced = try MEKLoss(smoothing: .rebalanced, epsilon: 0.3, classWeights: w).targets(labels: [1])
        let expected: [Float] = [0.0375, 0.7, 0.1125, 0.15]  // 0.3 * w_c / (1 + 3 + 4) off the target
        assertClose(rebalanced, expected, relative: 1e-6, "re-balanced targets")
        let uniform = try MEKLoss(smoothing: .uniform, epsilon: 0.4, classWeights: w).targets(labels: [2])
        assertClose(uniform, [0.1, 0.1, 0.7, 0.1], relative: 1e-6, "uniform targets")
        XCTAssertEqual(try MEKLoss(smoothing: .none, classWeights: w).targets(labels: [0]), [1, 0, 0, 0])
        XCTAssertThrowsError(try MEKLoss(classWeights: w).targets(labels: [4]))
    }
}

/// Trainer runs on a tiny synthetic dataset and a tiny model (28x28 inputs), fast enough for CI.
final class TrainerRunTests: XCTestCase {
    static let tinyConfig = SwinConfig(imageSize: 28, patchSize: 2, embedDim: 16, depths: [2, 1], heads: [1, 2], window: 7)
    static var datasetFolder: URL?

    /// A small synthetic set, written once per test process.
    static func dataset() throws -> Dataset {
        if datasetFolder == nil {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fer-train-\(UUID().uuidString)")
            try SyntheticDataset.write(SyntheticDataset.Spec(train: 280, test: 140, seed: 5, imbalance: 3), to: folder)
            datasetFolder = folder
        }
        return try DatasetReader.read(DatasetOptions(root: datasetFolder!.path))
    }

    func settings(_ dataset: Dataset, steps: Int, method: String = "mek", lr: Double = 5e-4, augment: AugmentPolicy = .reference) throws -> TrainingSettings {
        let mek = method == "mek"
        return try TrainingSettings(modelName: "tiny", model: Self.tinyConfig, data: "", format: "rafdb", classNames: dataset.classNames,
                                    trainCounts: dataset.trainCounts, backend: "cpu", threads: 2, batch: 8, steps: steps,
                                    warmup: 2, lr: lr, seed: 3, method: method, smoothing: mek ? .rebalanced : .none, epsilon: 0.3,
                                    attentionWeight: mek ? 0.1 : 0, classWeighting: mek ? .inverse : .none, augment: augment,
                                    evalEvery: 0, saveEvery: 0, evalBatch: 32)
    }

    func freshRun() -> RunFolder {
        RunFolder(FileManager.default.temporaryDirectory.appendingPathComponent("fer-run-\(UUID().uuidString)"))
    }

    func testResumeReproducesTheUninterruptedRunExactly() throws {
        let d = CPUDevice(threads: 2)
        let data = try Self.dataset()
        let s = try settings(data, steps: 6)
        // Straight: 6 steps.
        let runA = freshRun()
        try runA.create(settings: s)
        let trainerA = try Trainer(settings: s, dataset: data, model: try MEKModel(config: s.model, device: d, seed: 9), run: runA, resume: false, log: { _ in })
        var lossesA: [Float] = []
        trainerA.onStep = { lossesA.append($0.loss) }
        try trainerA.train()
        // Interrupted: 3 steps, save, a new process-like start from the files, 3 more.
        let runB = freshRun()
        try runB.create(settings: s)
        let trainerB = try Trainer(settings: s, dataset: data, model: try MEKModel(config: s.model, device: d, seed: 9), run: runB, resume: false, log: { _ in })
        var lossesB: [Float] = []
        trainerB.onStep = { lossesB.append($0.loss) }
        try trainerB.train(until: 3)
        try trainerB.save()
        let reloaded = try ModelCheckpoint.load(path: runB.last.path, device: d, log: { _ in })
        let trainerC = try Trainer(settings: try runB.loadSettings(), dataset: data, model: reloaded.model, run: runB, resume: true, log: { _ in })
        XCTAssertEqual(trainerC.completedSteps, 3)
        trainerC.onStep = { lossesB.append($0.loss) }
        try trainerC.train()
        XCTAssertEqual(lossesA.count, 6)
        XCTAssertEqual(lossesA, lossesB, "losses step by step")
        XCTAssertEqual(try d.read(trainerA.model.parameters.values), try d.read(trainerC.model.parameters.values), "final weights")
        // The run folder holds what scripts rely on.
        for url in [runB.config, runB.metrics, runB.evaluations, runB.last, runB.lastState, runB.best] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: url.path), url.lastPathComponent)
        }
        let lines = String(decoding: try Data(contentsOf: runB.metrics), as: UTF8.self).split(separator: "\n")
        XCTAssertEqual(lines.count, 6)
        let first = try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any]
        for key in ["step", "loss", "loss_cls", "loss_att", "lr", "samples_per_second"] { XCTAssertNotNil(first?[key], key) }
    }

    /// A small imbalanced 3-class set whose classes differ by the colour of a blob at a random place,
    /// with noise: easy enough that a few dozen steps must learn it, so a failure means the loop is
    /// broken. (Colour, not position: Swin has no absolute position embedding and pools globally.)
    static func blobDataset(in folder: URL) throws -> Dataset {
        var rng = SeededRandom(seed: 21)
        for (split, counts) in [("train", [48, 24, 12]), ("test", [10, 10, 10])] {
            for (c, n) in counts.enumerated() {
                let dir = folder.appendingPathComponent("\(split)/class\(c)")
                try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
                for i in 0..<n {
                    var px = [UInt8](repeating: 0, count: 28 * 28 * 3)
                    let (cx, cy) = (9 + Int(rng.next() % 10), 9 + Int(rng.next() % 10))
                    for y in 0..<28 { for x in 0..<28 {
                        let inside = (x - cx) * (x - cx) + (y - cy) * (y - cy) <= 81
                        for ch in 0..<3 {
                            let v = Float(inside && ch == c ? 220 : 70) + rng.normal() * 25
                            px[(y * 28 + x) * 3 + ch] = UInt8(max(0, min(255, v)))
                        }
                    } }
                    try ImageCodec.encodePNG(RGBImage(width: 28, height: 28, pixels: px)).write(to: dir.appendingPathComponent("\(i).png"))
                }
            }
        }
        return try DatasetReader.read(DatasetOptions(root: folder.path))
    }

    /// Both methods learn the blob set: the plain CE baseline and the full MEK step (re-balanced
    /// smoothing, attention consistency on the flipped batch, inverse-frequency class weights).
    func testShortRunReducesLossAndBeatsChanceOnMeanClassAccuracy() throws {
        let d = CPUDevice(threads: 2)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fer-blobs-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let data = try Self.blobDataset(in: folder)
        for method in ["ce", "mek"] {
            var s = try settings(data, steps: 100, method: method, lr: 0.25, augment: .none)
            s.model.numClasses = 3
            let run = freshRun()
            try run.create(settings: s)
            let trainer = try Trainer(settings: s, dataset: data, model: try MEKModel(config: s.model, device: d, seed: 4), run: run, resume: false, log: { _ in })
            var losses: [Float] = [], attention: [Float] = []
            trainer.onStep = { losses.append($0.loss_cls); attention.append($0.loss_att) }
            let metrics = try XCTUnwrap(try trainer.train())
            let early = losses.prefix(10).reduce(0, +) / 10, late = losses.suffix(10).reduce(0, +) / 10
            // With smoothing e = 0.3 the loss cannot fall as far as plain CE's, hence the looser bound.
            XCTAssertLessThan(late, early * (method == "ce" ? 0.8 : 0.9), "\(method): classification loss \(early) -> \(late)")
            if method == "mek" {
                XCTAssertTrue(attention.contains { $0 > 0 }, "the MEK step computes the attention consistency loss")
            } else {
                XCTAssertEqual(attention.max(), 0, "CE skips the flipped pass")
            }
            // Chance is 1/3 on this balanced test split.
            XCTAssertGreaterThan(metrics.meanClassAccuracy, 0.5, "\(method)\n" + metrics.table())
        }
    }
}
