import Foundation

/// What `fer bench` measures: a MEK training step (image + flip, forward, backward, clipped AdamW)
/// or an inference forward pass on random inputs, repeated, with per-operation times from a
/// `ProfiledDevice` when `breakdown` is on.
public struct Benchmark {
    public enum Mode: String, CaseIterable, Sendable { case train, infer }

    public var modelName: String
    public var mode: Mode
    public var batch: Int
    public var steps: Int
    public var warmup: Int
    public var breakdown: Bool

    public init(modelName: String, mode: Mode, batch: Int, steps: Int, warmup: Int, breakdown: Bool) {
        self.modelName = modelName; self.mode = mode; self.batch = batch
        self.steps = steps; self.warmup = warmup; self.breakdown = breakdown
    }

    /// The measurements, in the shape `fer bench --json` prints.
    public struct Result {
        public var stepSeconds: [Double]
        public var flopsPerStep: Double
        public var peakRSSBytes: Int
        public var profile: ProfiledDevice
        public var batch: Int
        public var median: Double { stepSeconds.sorted()[stepSeconds.count / 2] }
        public var samplesPerSecond: Double { Double(batch) / median }
        public var gflopsPerSecond: Double { flopsPerStep / median / 1e9 }
        public var gemmGFLOPSPerSecond: Double {
            let s = profile.seconds[.matmul] ?? 0
            return s > 0 ? profile.gemmFlops / s / 1e9 : 0
        }
    }

    /// Runs on `base`; `synchronize` waits for queued device work (needed for per-op times).
    public func run(on base: Device, synchronize: @escaping () -> Void = {}) throws -> Result {
        let profiled = ProfiledDevice(base, synchronize: synchronize)
        let device: Device = breakdown ? profiled : base
        let config = try SwinConfig.named(modelName)
        let model = try MEKModel(config: config, device: device, seed: 1)
        var rng = SeededRandom(seed: 7)
        let perImage = config.inChannels * config.imageSize * config.imageSize
        let images = (0..<(batch * perImage)).map { _ in rng.uniform() * 2 - 1 }
        let labels = (0..<batch).map { $0 % config.numClasses }
        let loss = MEKLoss(classWeights: try ClassWeights.inverseFrequency(counts: [Int](repeating: 10, count: config.numClasses)))
        let trainStep = mode == .train ? try TrainingStep(model: model, loss: loss, batch: batch) : nil
        let input = try device.makeTensor([batch, config.inChannels, config.imageSize, config.imageSize])
        var dropPath: SeededRandom? = SeededRandom(seed: 3)
        var times: [Double] = []
        for i in 0..<(warmup + steps) {
            if i == warmup { profiled.reset() }
            let start = Date()
            if let trainStep {
                _ = try trainStep.run(images: images, labels: labels, lr: 1e-4, step: i, dropPath: &dropPath)
            } else {
                try device.write(images, to: input)
                _ = try device.read(try model.predict(images: input, batch: batch).logits)
            }
            if i >= warmup { times.append(Date().timeIntervalSince(start)) }
        }
        return Result(stepSeconds: times, flopsPerStep: config.forwardFLOPs * Double(batch) * (mode == .train ? 6 : 1),
                      peakRSSBytes: ProcessMemory.peakResidentBytes() ?? 0, profile: profiled, batch: batch)
    }

    /// The `--json` object: `samples_per_second`, `step_seconds` {median, min, max},
    /// `gflops_per_second`, `peak_rss_bytes`, `backend`, `device`, `threads`, `breakdown`, ...
    public func jsonObject(_ r: Result, device: Device, threads: Int) -> [String: Any] {
        let measured = r.profile.seconds.values.reduce(0, +)
        var breakdownObject: [String: Any] = [:]
        for category in OpCategory.allCases {
            let s = r.profile.seconds[category] ?? 0
            breakdownObject[category.rawValue] = ["seconds_per_step": s / Double(steps), "share": measured > 0 ? s / measured : 0]
        }
        let sorted = r.stepSeconds.sorted()
        return [
            "model": modelName, "mode": mode.rawValue, "batch": batch, "steps": steps,
            "samples_per_second": r.samplesPerSecond,
            "step_seconds": ["median": r.median, "min": sorted.first ?? 0, "max": sorted.last ?? 0],
            "gflops_per_second": r.gflopsPerSecond, "model_gflops_per_step": r.flopsPerStep / 1e9,
            "gemm_gflops_per_second": r.gemmGFLOPSPerSecond,
            "peak_rss_bytes": r.peakRSSBytes, "backend": device.backendName, "device": device.deviceDescription,
            "threads": threads, "breakdown": breakdownObject,
            "operations": r.profile.operationSeconds.mapValues { $0 / Double(steps) },
        ]
    }
}
