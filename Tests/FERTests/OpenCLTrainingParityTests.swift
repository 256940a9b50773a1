import Foundation
import XCTest
@testable import FER

/// 20 training steps of swin-micro on the CPU and OpenCL backends from the same start (same
/// weights, data, augmentation and drop-path draws): every step's loss agrees to 1e-4 relative and
/// the final weights to 1e-3 of each tensor's largest magnitude, or to 1e-6 absolute for tensors
/// whose weights all stay below 1e-3 (such as the key bias, whose gradient is zero up to rounding:
/// AdamW normalizes that noise into steps of the learning rate's size on either backend).
final class OpenCLTrainingParityTests: XCTestCase {
    func testTwentySwinMicroStepsMatchTheCPUBackend() throws {
        let opencl = try TestSupport.openCLDevice()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("fer-parity-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try SyntheticDataset.write(SyntheticDataset.Spec(train: 64, test: 14, seed: 11, imbalance: 3), to: folder.appendingPathComponent("data"))
        let data = try DatasetReader.read(DatasetOptions(root: folder.appendingPathComponent("data").path))
        let settings = try TrainingSettings(
            modelName: "swin-micro", model: .swinMicro, data: "", format: "rafdb", classNames: data.classNames,
            trainCounts: data.trainCounts, backend: "cpu", threads: 2, batch: 4, steps: 20, warmup: 3, lr: 5e-4,
            seed: 3, method: "mek", smoothing: .rebalanced, epsilon: 0.3, attentionWeight: 0.1,
            classWeighting: .inverse, augment: .reference, evalEvery: 0, saveEvery: 0, evalBatch: 8)
        func train(on d: Device, _ name: String) throws -> (losses: [Float], weights: [String: (shape: [Int], values: [Float])]) {
            let run = RunFolder(folder.appendingPathComponent(name))
            try run.create(settings: settings)
            let trainer = try Trainer(settings: settings, dataset: data, model: try MEKModel(config: .swinMicro, device: d, seed: 9),
                                      run: run, resume: false, log: { _ in })
            var losses: [Float] = []
            trainer.onStep = { losses.append($0.loss) }
            try trainer.train()
            return (losses, try trainer.model.parameters.hostValues())
        }
        let cpu = try train(on: CPUDevice(threads: 2), "cpu")
        let gpu = try train(on: opencl, "opencl")
        XCTAssertEqual(cpu.losses.count, 20)
        XCTAssertEqual(gpu.losses.count, 20)
        var worstLoss: Float = 0
        for (i, (a, b)) in zip(gpu.losses, cpu.losses).enumerated() {
            XCTAssertEqual(a, b, accuracy: 1e-4 * abs(b), "loss of step \(i + 1)")
            worstLoss = max(worstLoss, abs(a - b) / abs(b))
        }
        var worstWeight: Float = 0
        for (name, reference) in cpu.weights {
            let values = try XCTUnwrap(gpu.weights[name]).values
            let scale = max(reference.values.map(abs).max() ?? 0, 1e-3)
            let err = zip(values, reference.values).map { abs($0 - $1) }.max() ?? 0
            worstWeight = max(worstWeight, err / scale)
            XCTAssertLessThanOrEqual(err, 1e-3 * scale, "final \(name): max abs error \(err), scale \(scale)")
            XCTAssertFalse(values.contains { !$0.isFinite }, "final \(name) has a non-finite value")
        }
        print(String(format: "training parity: worst step-loss relative error %.2e, worst final weight error %.2e", worstLoss, worstWeight))
    }
}
