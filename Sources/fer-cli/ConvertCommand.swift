import FER
import Foundation

/// `fer convert`: import timm Swin weights, or check a file from the PyTorch reference.
enum ConvertCommand {
    static let spec = CommandSpec(
        name: "convert", summary: "convert timm Swin weights to a checkpoint, or validate a reference checkpoint",
        usage: "--from timm-swin IN.safetensors --out OUT.safetensors [--image-size N] [--patch N] [--window N] [--classes A,B,...] | --from mek-pytorch IN.safetensors",
        options: [
            OptionSpec("from", "timm-swin|mek-pytorch", "timm-swin: map a timm SwinTransformer state dict (either key layout) to ours; "
                       + "mek-pytorch: validate a reference checkpoint and report what it holds (converts nothing)"),
            OptionSpec("out", "FILE", "timm-swin: the converted checkpoint (loads with --checkpoint and fer train --init)"),
            OptionSpec("image-size", "N", "target input size (default 112)"),
            OptionSpec("patch", "N", "target patch size (default 2; a different source patch kernel is resampled)"),
            OptionSpec("window", "N", "target attention window (default: the source's; relative position tables are interpolated if it differs)"),
            OptionSpec("classes", "A,B,...", "class names of the head (default the 7 RAF-DB classes); the file's head is kept only if the count matches"),
            OptionSpec("seed", "S", "seed of a fresh head (default 0)"),
        ])

    static func run(_ args: [String]) throws {
        let o = try spec.parse(args)
        guard let from = try o.choice("from", among: ["timm-swin", "mek-pytorch"]) else {
            throw UsageError.other("fer convert: --from timm-swin|mek-pytorch is required (see fer convert --help)")
        }
        guard o.positionals.count == 1 else { throw UsageError.other("fer convert: give exactly one input file") }
        let input = o.positionals[0]
        if from == "mek-pytorch" {
            for line in try ReferenceCheckpoint.inspect(path: input).lines { print(line) }
            return
        }
        guard let out = o.string("out") else { throw UsageError.other("fer convert: --out OUT.safetensors is required with --from timm-swin") }
        var options = TimmConversion.Options()
        options.imageSize = try o.int("image-size", min: 1) ?? options.imageSize
        options.patchSize = try o.int("patch", min: 1) ?? options.patchSize
        options.window = try o.int("window", min: 1)
        if let classes = o.string("classes") { options.classNames = classes.split(separator: ",").map(String.init) }
        options.seed = UInt64(try o.int("seed", min: 0) ?? 0)
        let result = try TimmConversion.convert(try SafetensorsFile(contentsOfFile: input), options: options)
        try TimmConversion.write(result, to: URL(fileURLWithPath: out), source: URL(fileURLWithPath: input).lastPathComponent)
        let c = result.config
        print("\(input): timm Swin, \(result.layout.rawValue)")
        print("architecture: embed \(c.embedDim), depths \(c.depths), heads \(c.heads), MLP ratio \(c.mlpRatio); "
              + "patch \(result.sourcePatchSize) -> \(c.patchSize), window \(result.sourceWindow) -> \(c.window), image \(c.imageSize)")
        for n in result.notes { print("  " + n) }
        if !result.ignoredKeys.isEmpty {
            print("not carried over: \(result.ignoredKeys.count) key(s): " + summarize(result.ignoredKeys))
        }
        print("wrote \(out) (\(result.classNames.count) classes: \(result.classNames.joined(separator: ", ")))")
    }

    static func summarize(_ keys: [String]) -> String {
        keys.count <= 4 ? keys.joined(separator: ", ") : keys.prefix(3).joined(separator: ", ") + ", ... (\(keys.count - 3) more)"
    }
}
