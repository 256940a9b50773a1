import FER
import Foundation

/// `fer bench`: step time, throughput, effective GFLOP/s, peak memory and a per-operation
/// breakdown of a MEK training step or of inference, on random inputs.
enum BenchCommand {
    static let spec = CommandSpec(
        name: "bench", summary: "measure training or inference speed",
        usage: "[--model swin-t|swin-micro] [--batch N] [--mode train|infer] [--steps K] [--warmup W] [--json]",
        options: [
            OptionSpec("model", "swin-t|swin-micro", "architecture (default swin-micro)"),
            OptionSpec("batch", "N", "batch size (default 8 for train, 32 for infer)"),
            OptionSpec("mode", "train|infer", "a full MEK training step (image + flip, forward, backward, AdamW) or a forward pass (default train)"),
            OptionSpec("steps", "K", "measured steps (default 10)"),
            OptionSpec("warmup", "W", "unmeasured steps first (default 2)"),
            OptionSpec("breakdown", nil, "time every operation separately (waits after each; slower overall)"),
            OptionSpec("json", nil, "print one JSON object"),
        ] + CommonOptions.backend)

    static func run(_ args: [String]) throws {
        let o = try spec.parse(args)
        let modelName = try o.choice("model", among: SwinConfig.names) ?? "swin-micro"
        let mode = try o.choice("mode", among: ["train", "infer"]) ?? "train"
        let batch = try o.int("batch", min: 1) ?? (mode == "train" ? 8 : 32)
        let steps = try o.int("steps", min: 1) ?? 10
        let warmup = try o.int("warmup", min: 0) ?? 2
        let base = try CommonOptions.device(o)
        let profiled = ProfiledDevice(base)
        let timing = o.has("breakdown") || o.has("json")
        let device: Device = timing ? profiled : base
        let config = try SwinConfig.named(modelName)
        let model = try MEKModel(config: config, device: device, seed: 1)
        var rng = SeededRandom(seed: 7)
        let perImage = config.inChannels * config.imageSize * config.imageSize
        let images = (0..<(batch * perImage)).map { _ in rng.uniform() * 2 - 1 }
        let labels = (0..<batch).map { $0 % config.numClasses }
        let counts = [Int](repeating: 10, count: config.numClasses)
        let loss = MEKLoss(classWeights: try ClassWeights.inverseFrequency(counts: counts))
        let trainStep = mode == "train" ? try TrainingStep(model: model, loss: loss, batch: batch) : nil
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
        let sorted = times.sorted()
        let median = sorted[sorted.count / 2]
        let flopsPerStep = config.forwardFLOPs * Double(batch) * (mode == "train" ? 6 : 1)
        let samplesPerSecond = Double(batch) / median
        let gflops = flopsPerStep / median / 1e9
        let rss = ProcessMemory.peakResidentBytes() ?? 0
        let measured = profiled.seconds.values.reduce(0, +)
        var breakdown: [String: Any] = [:]
        for category in OpCategory.allCases {
            let s = profiled.seconds[category] ?? 0
            breakdown[category.rawValue] = ["seconds_per_step": s / Double(steps), "share": measured > 0 ? s / measured : 0]
        }
        let threads = try o.int("threads", min: 1) ?? ProcessInfo.processInfo.activeProcessorCount
        if o.has("json") {
            let object: [String: Any] = [
                "model": modelName, "mode": mode, "batch": batch, "steps": steps,
                "samples_per_second": samplesPerSecond,
                "step_seconds": ["median": median, "min": sorted.first!, "max": sorted.last!],
                "gflops_per_second": gflops, "model_gflops_per_step": flopsPerStep / 1e9,
                "gemm_gflops_per_second": (profiled.seconds[.matmul] ?? 0) > 0 ? profiled.gemmFlops / profiled.seconds[.matmul]! / 1e9 : 0,
                "peak_rss_bytes": rss, "backend": device.backendName, "device": device.deviceDescription,
                "threads": threads, "breakdown": breakdown,
                "operations": profiled.operationSeconds.mapValues { $0 / Double(steps) },
            ]
            print(try jsonLine(object))
            return
        }
        print("\(modelName) \(mode), batch \(batch), \(device.backendName): \(device.deviceDescription)")
        print(String(format: "step time  median %.4f s  min %.4f s  max %.4f s  (%d steps after %d warmup)",
                     median, sorted.first!, sorted.last!, steps, warmup))
        print(String(format: "throughput %.2f samples/s, %.1f GFLOP/s effective (%.2f GFLOP per step), peak RSS %.0f MB",
                     samplesPerSecond, gflops, flopsPerStep / 1e9, Double(rss) / 1e6))
        if timing {
            print("breakdown (each op timed separately):")
            for category in OpCategory.allCases where (profiled.seconds[category] ?? 0) > 0 {
                let s = profiled.seconds[category]!
                let name = category.rawValue.padding(toLength: 12, withPad: " ", startingAt: 0)
                print("  " + name + String(format: " %8.4f s/step  %5.1f%%", s / Double(steps), 100 * s / measured))
            }
            if let mm = profiled.seconds[.matmul], mm > 0 {
                print(String(format: "  gemm throughput %.1f GFLOP/s", profiled.gemmFlops / mm / 1e9))
            }
            print("slowest operations:")
            for (name, s) in profiled.operationSeconds.sorted(by: { $0.value > $1.value }).prefix(8) {
                print("  " + name.padding(toLength: 26, withPad: " ", startingAt: 0) + String(format: " %8.4f s/step", s / Double(steps)))
            }
        }
    }
}
