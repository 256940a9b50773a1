import FER
import Foundation

/// `fer train`: a fresh run, or `--resume RUN_DIR` to continue one.
enum TrainCommand {
    static let spec = CommandSpec(
        name: "train", summary: "train a model (MEK or a baseline) and write a run folder",
        usage: "[--data DIR] [--method mek|ce] [--model swin-micro|swin-t] [--steps N] [--out RUN_DIR] ... | --resume RUN_DIR [--steps N]",
        options: DataOptions.options + [
            OptionSpec("model", "swin-t|swin-micro", "architecture (default swin-micro)"),
            OptionSpec("method", "mek|ce", "mek: re-balanced smoothing + attention consistency (default); ce: plain cross-entropy"),
            OptionSpec("smoothing", "rebalanced|uniform|none", "label smoothing (default from --method)"),
            OptionSpec("epsilon", "E", "smoothing mass (default 0.3)"),
            OptionSpec("attention-weight", "W", "weight of the attention consistency loss (mek default 0.1; 0 skips the flipped pass)"),
            OptionSpec("class-weights", "inverse|none", "re-balancing weights N/(10 n_c) or all ones (default from --method)"),
            OptionSpec("batch", "N", "batch size (default 16 on the built-in data, 32 otherwise)"),
            OptionSpec("steps", "N", "total updates (default 400 on the built-in data, 20000 otherwise)"),
            OptionSpec("warmup", "N", "warmup updates (default 10% of --steps, at most 2000)"),
            OptionSpec("lr", "R", "base learning rate at batch 512, scaled by batch/512 (default 5e-4; 1.6e-2 on the built-in data, which trains from scratch)"),
            OptionSpec("seed", "S", "random seed (default 0)"),
            OptionSpec("augment", "reference|flip|none", "training augmentation (default reference; flip on the built-in data)"),
            OptionSpec("eval-every", "N", "evaluate every N steps (default: 5 times per run; 0 only at the end)"),
            OptionSpec("save-every", "N", "save last.safetensors every N steps (default 500; 0 only at the end)"),
            OptionSpec("out", "RUN_DIR", "run folder (default runs/<time>-<method>)"),
            OptionSpec("resume", "RUN_DIR", "continue the run in RUN_DIR (other options come from its config.json)"),
            OptionSpec("init", "FILE", "start the backbone (encoder.* keys) from a checkpoint; the head starts fresh"),
        ] + CommonOptions.backend)

    static func run(_ args: [String]) throws {
        let o = try spec.parse(args)
        guard o.positionals.isEmpty else { throw UsageError.other("fer train: unexpected argument '\(o.positionals[0])' (see fer train --help)") }
        if let resumeDir = o.string("resume") {
            try resume(resumeDir, o)
            return
        }
        // Every option is validated before anything slow (building the default data) starts.
        let modelName = try o.choice("model", among: SwinConfig.names) ?? "swin-micro"
        var config = try SwinConfig.named(modelName)
        let method = try o.choice("method", among: ["mek", "ce"]) ?? "mek"
        let isMEK = method == "mek"
        // The built-in data trains from scratch in a few minutes: a smaller batch, a from-scratch
        // learning rate and flips only. Real data gets the reference recipe (pretrained start).
        let builtIn = o.string("data") == nil
        let steps = try o.int("steps", min: 1) ?? (builtIn ? 400 : 20000)
        let batch = try o.int("batch", min: 1) ?? (builtIn ? 16 : 32)
        let warmup = try o.int("warmup", min: 0) ?? min(2000, steps / 10)
        let lr = try o.double("lr", min: 0) ?? (builtIn ? 1.6e-2 : 5e-4)
        let seed = UInt64(try o.int("seed", min: 0) ?? 0)
        let smoothing = try o.choice("smoothing", as: Smoothing.self) ?? (isMEK ? .rebalanced : .none)
        let epsilon = Float(try o.double("epsilon", min: 0) ?? 0.3)
        guard epsilon < 1 else { throw UsageError.badValue(command: "train", option: "--epsilon", value: "\(epsilon)", expected: "a number in [0, 1)") }
        let attentionWeight = Float(try o.double("attention-weight", min: 0) ?? (isMEK ? 0.1 : 0))
        let weighting = try o.choice("class-weights", as: ClassWeighting.self) ?? (isMEK ? .inverse : .none)
        let augment = try o.choice("augment", as: AugmentPolicy.self) ?? (builtIn ? .flip : .reference)
        let evalEvery = try o.int("eval-every", min: 0) ?? max(1, steps / 5)
        let saveEvery = try o.int("save-every", min: 0) ?? 500
        let threads = try o.int("threads", min: 1) ?? ProcessInfo.processInfo.activeProcessorCount
        _ = try o.choice("format", as: DatasetFormat.self)
        let run = o.string("out").map { RunFolder(URL(fileURLWithPath: $0)) } ?? RunFolder.fresh(method: method)
        if FileManager.default.fileExists(atPath: run.config.path) {
            throw UsageError.other("fer train: \(run.url.path) already holds a run; use --resume \(run.url.path) or another --out")
        }
        let device = try CommonOptions.device(o)
        let (dataset, root, format) = try DataOptions.load(o)
        config.numClasses = dataset.classNames.count
        let settings = try TrainingSettings(
            modelName: modelName, model: config, data: root, format: format, classNames: dataset.classNames,
            trainCounts: dataset.trainCounts, backend: device.backendName, threads: threads, batch: batch, steps: steps,
            warmup: warmup, lr: lr, seed: seed, method: method, smoothing: smoothing, epsilon: epsilon,
            attentionWeight: attentionWeight, classWeighting: weighting, augment: augment, evalEvery: evalEvery,
            saveEvery: saveEvery, initFrom: o.string("init"))
        let model = try MEKModel(config: config, device: device, seed: mix(settings.seed, 0x1417))
        if let initPath = settings.initFrom {
            let file = try SafetensorsFile(contentsOfFile: initPath)
            let ignored = try ModelCheckpoint.copyParameters(from: file, into: model, only: { $0.hasPrefix("encoder.") })
            note("initialized the backbone from \(initPath)" + (ignored.isEmpty ? "" : "; not used: \(ignored.count) key(s) (head and buffers)"))
        }
        try run.create(settings: settings)
        describe(settings, dataset: dataset, device: device, run: run)
        let trainer = try Trainer(settings: settings, dataset: dataset, model: model, run: run, resume: false, log: { print($0) })
        try finish(trainer, until: settings.steps)
    }

    static func resume(_ dir: String, _ o: ParsedOptions) throws {
        let run = RunFolder(URL(fileURLWithPath: dir))
        let settings = try run.loadSettings()
        let device = try BackendSelection.make(kind: try o.choice("backend", as: BackendKind.self) ?? BackendKind(rawValue: settings.backend) ?? .auto,
                                               deviceIndex: try o.int("device", min: 0), threads: try o.int("threads", min: 1) ?? settings.threads, log: note)
        let dataset = try DatasetReader.read(DatasetOptions(root: settings.data, format: DatasetFormat(rawValue: settings.format)))
        guard dataset.classNames == settings.classNames, dataset.trainCounts == settings.trainCounts else {
            throw UsageError.other("fer train: the dataset at \(settings.data) changed since the run started (classes or counts differ)")
        }
        let loaded = try ModelCheckpoint.load(path: run.last.path, device: device, log: note)
        let trainer = try Trainer(settings: settings, dataset: dataset, model: loaded.model, run: run, resume: true, log: { print($0) })
        if let weightsStep = loaded.metadata["fer.step"].flatMap(Int.init), weightsStep != trainer.completedSteps {
            throw UsageError.other("fer train: \(run.last.path) is at step \(weightsStep) but \(run.lastState.path) at step \(trainer.completedSteps); the run was interrupted while saving, so it cannot be resumed exactly")
        }
        try run.truncateLogs(after: trainer.completedSteps)
        let target = try o.int("steps", min: 1) ?? settings.steps
        print("resuming \(run.url.path) at step \(trainer.completedSteps), training to step \(target)")
        try finish(trainer, until: target)
    }

    static func finish(_ trainer: Trainer, until target: Int) throws {
        let metrics = try trainer.train(until: target, progressLine: ProgressLine())
        if let metrics {
            print("")
            print(metrics.table())
        }
        print("")
        print("run folder: \(trainer.run.url.path)")
        print("  weights: \(trainer.run.last.lastPathComponent) (last), \(trainer.run.best.lastPathComponent) (best mean class accuracy)")
        print("  logs:    metrics.jsonl, eval.jsonl, config.json")
        ReportCommand.afterTraining(trainer)
    }

    static func describe(_ s: TrainingSettings, dataset: Dataset, device: Device, run: RunFolder) {
        print("model \(s.modelName) on \(device.backendName) (\(device.deviceDescription))")
        print("data \(s.data) [\(s.format)]: \(dataset.train.count) train / \(dataset.test.count) test images, classes "
              + zip(s.classNames, s.trainCounts).map { "\($0) \($1)" }.joined(separator: ", "))
        print("method \(s.method): smoothing \(s.smoothing.rawValue) e=\(s.epsilon), attention weight \(s.attentionWeight), class weights \(s.classWeighting.rawValue)")
        print(String(format: "batch %d, %d steps (warmup %d), lr %.3e (base %.1e at 512), augment %@, seed %d",
                     s.batch, s.steps, s.warmup, s.schedule.baseLR, s.lr, s.augment.rawValue, Int(s.seed)))
        print("run folder \(run.url.path)")
    }
}
