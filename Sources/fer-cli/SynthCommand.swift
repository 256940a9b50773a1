import FER
import Foundation

/// `fer synth`: write the synthetic imbalanced face dataset in the RAF-DB layout.
enum SynthCommand {
    static let spec = CommandSpec(
        name: "synth", summary: "write the synthetic imbalanced face dataset (RAF-DB layout)",
        usage: "--out DIR [--train N] [--test M] [--seed S] [--imbalance R] [--difficulty easy|medium|hard]",
        options: [
            OptionSpec("out", "DIR", "folder to write"),
            OptionSpec("train", "N", "training images (default 4000)"),
            OptionSpec("test", "M", "test images (default 1000)"),
            OptionSpec("seed", "S", "random seed (default 1); the same seed gives identical files"),
            OptionSpec("imbalance", "R", "largest / smallest class frequency (default: RAF-DB's proportions, about 17)"),
            OptionSpec("difficulty", "easy|medium|hard", DataOptions.difficultyHelp),
        ])

    static func run(_ args: [String]) throws {
        let o = try spec.parse(args)
        guard let out = o.string("out") else { throw UsageError.other("fer synth: --out DIR is required") }
        let spec = SyntheticDataset.Spec(train: try o.int("train", min: 7) ?? 4000, test: try o.int("test", min: 0) ?? 1000,
                                         seed: UInt64(try o.int("seed", min: 0) ?? 1),
                                         imbalance: try o.double("imbalance", min: 1).map(Float.init),
                                         difficulty: try o.choice("difficulty", as: SyntheticDifficulty.self) ?? .builtIn)
        try SyntheticDataset.write(spec, to: URL(fileURLWithPath: out), log: { print($0) })
        print("wrote \(out)/\(DatasetReader.rafdbListName) and \(spec.train + spec.test) images")
    }
}
