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
        let threads = try o.int("threads", min: 1) ?? ProcessInfo.processInfo.activeProcessorCount
        let device = try CommonOptions.device(o)
        let timing = o.has("breakdown") || o.has("json")
        let bench = Benchmark(modelName: modelName, mode: mode == "train" ? .train : .infer, batch: batch, steps: steps,
                              warmup: warmup, breakdown: timing)
        // Per-op times need each op finished before the clock stops (OpenCL queues them).
        let openCL = device as? OpenCLDevice
        let r = try bench.run(on: device, synchronize: { try? openCL?.synchronize() })
        if o.has("json") {
            print(try jsonLine(bench.jsonObject(r, device: device, threads: threads)))
            return
        }
        let sorted = r.stepSeconds.sorted(), median = r.median
        let profiled = r.profile, measured = profiled.seconds.values.reduce(0, +)
        let samplesPerSecond = r.samplesPerSecond, gflops = r.gflopsPerSecond, flopsPerStep = r.flopsPerStep, rss = r.peakRSSBytes
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
