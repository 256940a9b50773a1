/// Whether the loss re-weights by inverse class frequency (`--class-weights`).
public enum ClassWeighting: String, Codable, CaseIterable, Sendable {
    case inverse, none
}

/// Every setting of a training run, resolved (no "default" left), as written to `config.json`.
public struct TrainingSettings: Codable, Equatable, Sendable {
    public var modelName: String
    public var model: SwinConfig
    /// Dataset folder; the built-in synthetic set's cache folder when none was given.
    public var data: String
    public var format: String
    public var classNames: [String]
    public var trainCounts: [Int]
    public var backend: String
    public var threads: Int
    public var batch: Int
    public var steps: Int
    public var warmup: Int
    /// Base learning rate at batch 512 (the reference convention); the schedule holds the scaled rates.
    public var lr: Double
    public var schedule: LearningRateSchedule
    public var weightDecay: Float
    public var clipNorm: Float
    public var seed: UInt64
    public var method: String
    public var smoothing: Smoothing
    public var epsilon: Float
    public var attentionWeight: Float
    public var classWeighting: ClassWeighting
    public var classWeights: [Float]
    public var augment: AugmentPolicy
    public var evalEvery: Int
    public var saveEvery: Int
    public var evalBatch: Int
    public var initFrom: String?

    public init(modelName: String, model: SwinConfig, data: String, format: String, classNames: [String], trainCounts: [Int],
                backend: String, threads: Int, batch: Int, steps: Int, warmup: Int, lr: Double, weightDecay: Float = 0.05,
                clipNorm: Float = 5, seed: UInt64, method: String, smoothing: Smoothing, epsilon: Float,
                attentionWeight: Float, classWeighting: ClassWeighting, augment: AugmentPolicy, evalEvery: Int,
                saveEvery: Int, evalBatch: Int = 64, initFrom: String? = nil) throws {
        self.modelName = modelName; self.model = model; self.data = data; self.format = format
        self.classNames = classNames; self.trainCounts = trainCounts; self.backend = backend; self.threads = threads
        self.batch = batch; self.steps = steps; self.warmup = warmup; self.lr = lr
        self.schedule = .reference(batch: batch, warmupSteps: warmup, totalSteps: steps, base: lr)
        self.weightDecay = weightDecay; self.clipNorm = clipNorm; self.seed = seed; self.method = method
        self.smoothing = smoothing; self.epsilon = epsilon; self.attentionWeight = attentionWeight
        self.classWeighting = classWeighting
        self.classWeights = classWeighting == .inverse
            ? try ClassWeights.inverseFrequency(counts: trainCounts)
            : [Float](repeating: 1, count: trainCounts.count)
        self.augment = augment; self.evalEvery = evalEvery; self.saveEvery = saveEvery; self.evalBatch = evalBatch
        self.initFrom = initFrom
    }

    public var loss: MEKLoss {
        MEKLoss(smoothing: smoothing, epsilon: epsilon, attentionWeight: attentionWeight, classWeights: classWeights)
    }
}
