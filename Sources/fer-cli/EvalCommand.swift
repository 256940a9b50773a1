import FER
import Foundation

/// `fer eval`: metrics of a checkpoint on a dataset's test split.
enum EvalCommand {
    static let spec = CommandSpec(
        name: "eval", summary: "evaluate a checkpoint on a dataset's test split",
        usage: "--checkpoint FILE [--data DIR] [--json]",
        options: [
            OptionSpec("checkpoint", "FILE", "model weights (.safetensors)"),
            OptionSpec("json", nil, "print one JSON object shaped like a line of eval.jsonl"),
            OptionSpec("batch", "N", "evaluation batch size (default 64)"),
        ] + DataOptions.options + CommonOptions.backend)

    static func run(_ args: [String]) throws {
        let o = try spec.parse(args)
        guard let path = o.string("checkpoint") else { throw UsageError.other("fer eval: --checkpoint FILE is required") }
        let batchSize = try o.int("batch", min: 1) ?? 64
        let device = try CommonOptions.device(o)
        let loaded = try ModelCheckpoint.load(path: path, device: device, log: note)
        let (dataset, root, _) = try DataOptions.load(o)
        guard dataset.classNames.count == loaded.model.config.numClasses else {
            throw UsageError.other("fer eval: \(path) predicts \(loaded.model.config.numClasses) classes, the dataset at \(root) has \(dataset.classNames.count)")
        }
        guard !dataset.test.isEmpty else { throw DatasetError.emptySplit(root, split: "test") }
        let metrics = try Evaluator.evaluate(model: loaded.model, samples: dataset.test, classNames: dataset.classNames,
                                             batchSize: batchSize)
        if o.has("json") {
            print(try jsonLine(metrics.jsonObject(step: nil)))
        } else {
            print("\(path) on \(root) (test split)")
            print(metrics.table())
        }
    }
}
