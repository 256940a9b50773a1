import Foundation

/// The MEK training loop (shared/MEK.md): per step, the batch and its horizontal flip go through the
/// model as one packed batch, `L_cls + w * L_att` is back-propagated, gradients are clipped to total
/// norm `clipNorm` and AdamW updates the parameters at the scheduled rate. Evaluates every
/// `evalEvery` steps and at the end, keeps the best checkpoint by mean class accuracy, and writes
/// the run folder (`RunFolder`). With attention weight 0 the flipped half is skipped entirely.
public final class Trainer {
    public let settings: TrainingSettings
    public let dataset: Dataset
    public let model: MEKModel
    public let run: RunFolder
    let device: Device
    let step: TrainingStep
    var progress: TrainingProgress
    let log: (String) -> Void

    /// Step callback for tests and progress displays.
    public var onStep: ((StepRecord) -> Void)?

    public struct StepRecord: Codable, Equatable, Sendable {
        public var step: Int
        public var epoch: Int
        public var loss: Float
        public var loss_cls: Float
        public var loss_att: Float
        public var lr: Double
        public var grad_norm: Float
        public var samples_per_second: Double
    }

    /// A fresh run (`resume == nil`) or one continued from `run`'s saved state.
    public init(settings: TrainingSettings, dataset: Dataset, model: MEKModel, run: RunFolder, resume: Bool,
                log: @escaping (String) -> Void) throws {
        self.settings = settings
        self.dataset = dataset
        self.model = model
        self.run = run
        self.log = log
        device = model.device
        step = try TrainingStep(model: model, loss: settings.loss, batch: settings.batch)
        step.weightDecay = settings.weightDecay
        step.clipNorm = settings.clipNorm
        if resume {
            let count = model.parameters.layout.totalCount
            let (saved, mv, vv) = try TrainingStateFile.load(from: run.lastState.path, parameterCount: count)
            try device.write(mv, to: step.m)
            try device.write(vv, to: step.v)
            progress = saved
        } else {
            progress = TrainingProgress(step: 0, sampler: SamplerPosition(), dropPathRandom: SeededRandom(seed: mix(settings.seed, 0xD209)))
        }
    }

    /// Updates done so far.
    public var completedSteps: Int { progress.step }

    /// Trains until `until` updates have been made in total (default: the configured steps).
    @discardableResult
    public func train(until target: Int? = nil, progressLine: ProgressLine? = nil) throws -> ClassificationMetrics? {
        let total = target ?? settings.steps
        let config = model.config
        let b = settings.batch
        let pipeline = ImagePipeline(imageSize: config.imageSize, policy: settings.augment)
        let loader = try BatchLoader(samples: dataset.train, pipeline: pipeline, batchSize: b, training: true,
                                     seed: settings.seed, start: progress.sampler)
        defer { loader.stop() }
        var lastMetrics: ClassificationMetrics? = nil
        var rng: SeededRandom? = progress.dropPathRandom
        let started = Date()
        let startStep = progress.step
        while progress.step < total {
            let stepStart = Date()
            guard let batch = try loader.next() else { break }
            let lr = settings.schedule.rate(at: progress.step)
            let result = try step.run(images: batch.images, labels: batch.labels, lr: lr, step: progress.step, dropPath: &rng)
            let value = result.loss, gradNorm = result.gradNorm
            progress.step += 1
            progress.sampler = batch.position.next(batchesPerEpoch: loader.batchesPerEpoch)
            progress.dropPathRandom = rng!
            let seconds = Date().timeIntervalSince(stepStart)
            let record = StepRecord(step: progress.step, epoch: batch.position.epoch, loss: value.total,
                                    loss_cls: value.classification, loss_att: value.attention, lr: lr,
                                    grad_norm: gradNorm, samples_per_second: Double(b) / max(seconds, 1e-9))
            try run.appendStep(record)
            onStep?(record)
            let elapsed = Date().timeIntervalSince(started)
            let eta = elapsed / Double(progress.step - startStep) * Double(total - progress.step)
            progressLine?.update(record, total: total, eta: eta)

            let isLast = progress.step == total
            if isLast || (settings.evalEvery > 0 && progress.step % settings.evalEvery == 0) {
                progressLine?.finishLine()
                lastMetrics = try evaluateAndTrackBest()
            }
            if isLast || (settings.saveEvery > 0 && progress.step % settings.saveEvery == 0) {
                try save()
            }
        }
        progressLine?.finishLine()
        return lastMetrics
    }

    /// Evaluates on the test split, logs it, and updates `best.safetensors` when mean class
    /// accuracy improved.
    func evaluateAndTrackBest() throws -> ClassificationMetrics? {
        guard !dataset.test.isEmpty else { return nil }
        // Evaluation's activations have another batch size than training's: hand each phase's
        // cached blocks back before the other starts, so the process never holds both sets.
        model.device.releaseIdleMemory()
        let metrics = try Evaluator.evaluate(model: model, samples: dataset.test, classNames: dataset.classNames,
                                             batchSize: settings.evalBatch)
        model.device.releaseIdleMemory()
        try run.appendEvaluation(metrics, step: progress.step)
        log(String(format: "eval step %d: overall accuracy %.2f%%, mean class accuracy %.2f%%, macro F1 %.4f",
                   progress.step, 100 * metrics.overallAccuracy, 100 * metrics.meanClassAccuracy, metrics.macroF1))
        if progress.bestMeanClassAccuracy.map({ metrics.meanClassAccuracy > $0 }) ?? true {
            progress.bestMeanClassAccuracy = metrics.meanClassAccuracy
            progress.bestStep = progress.step
            try ModelCheckpoint.save(model, classNames: dataset.classNames, to: run.best,
                                     extraMetadata: ["fer.step": "\(progress.step)"])
        }
        return metrics
    }

    /// Writes `last.safetensors` and its training state (both atomically; the state last, so a
    /// crash in between leaves a state that is at most one save older than the weights).
    public func save() throws {
        try ModelCheckpoint.save(model, classNames: dataset.classNames, to: run.last,
                                 extraMetadata: ["fer.step": "\(progress.step)"])
        try TrainingStateFile.save(progress: progress, m: try device.read(step.m), v: try device.read(step.v), to: run.lastState)
    }
}

public enum TrainingError: Error, CustomStringConvertible {
    case diverged(step: Int, loss: Float)
    case badSetting(String)

    public var description: String {
        switch self {
        case let .diverged(step, loss):
            return "training diverged at step \(step + 1): loss is \(loss); lower --lr or check the data"
        case .badSetting(let why): return why
        }
    }
}
