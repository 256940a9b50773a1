import Foundation

/// Converts a timm Swin Transformer state dict (safetensors) to this project's key names and
/// architecture (`fer convert --from timm-swin`), so pretrained weights can start a run
/// (`fer train --init`) or be loaded whole (`ModelCheckpoint.load`).
///
/// Both timm layouts are read. The older one (the Swin authors' checkpoints and timm < 0.9) puts
/// patch merging at the end of a stage, `layers.{s}.downsample` for s = 0..n-2, as we do; the newer
/// one (timm >= 0.9) puts it at the start of the next stage, `layers.{s+1}.downsample`, which maps
/// to our `encoder.layers.{s}.downsample`. As timm itself, a file is taken as the older layout when
/// it has `layers.0.downsample.reduction.weight`. Patch merging is otherwise the same in both and in
/// timm 1.0 (checked against timm 1.0.31's `PatchMerging`): the 2x2 quarters are concatenated in
/// the order (row 0, col 0), (row 1, col 0), (row 0, col 1), (row 1, col 1) -- timm's
/// `reshape(B, H/2, 2, W/2, 2, C).permute(0, 1, 3, 4, 2, 5)` gives exactly that order, as our
/// `patchMerge` -- then LayerNorm(4C), then the bias-free reduction; so no weight permutation is
/// needed (Swin V2's merging, norm after the reduction, is a different model and not accepted).
///
/// What maps where: `patch_embed.*` and `layers.*` go under `encoder.`; timm's final `norm`,
/// applied to the last stage's tokens before pooling, becomes our `norm`, the head LayerNorm at the
/// same place (so the converted model's pooled features are timm's pre-logits features; the
/// reference's unused `encoder.norm` is not written). The classifier (`head.fc.*`, or `head.*` in
/// the older layout) is kept only when it has as many classes as the target; otherwise a fresh
/// head is written (truncated normal 0.02, zero bias, seeded) and reported. `fer train --init`
/// copies only `encoder.*`, so the head and its LayerNorm start fresh there in any case. Buffers
/// (`relative_position_index`, `attn_mask`) are dropped; an absolute position embedding is refused
/// (our model has none).
///
/// Architecture changes: the patch size (`WeightResampling.patchKernel`, which documents the
/// method) and the window (relative position tables kept when a stage's window matches, else
/// bicubic-interpolated by `WeightResampling.relativePositionTable`). The image size is free (Swin
/// has no position embedding), within `SwinConfig.validate`.
public enum TimmConversion {
    /// The target architecture, beyond what the weights fix (dims, depths, heads, MLP ratio).
    public struct Options: Sendable {
        public var imageSize = 112
        public var patchSize = 2
        /// Attention window; nil keeps the source's.
        public var window: Int? = nil
        public var classNames = ModelCheckpoint.rafdbClassNames
        /// Seed of a fresh head.
        public var seed: UInt64 = 0
        public init() {}
    }

    public enum Layout: String, Sendable {
        case downsampleAtStageEnd = "older layout (layers.{s}.downsample ends stage s)"
        case downsampleAtStageStart = "timm >= 0.9 layout (layers.{s+1}.downsample starts stage s+1)"
    }

    /// A converted model: tensors in our layout order, ready for `write`.
    public struct Result {
        public let config: SwinConfig
        public let classNames: [String]
        public let layout: Layout
        public let tensors: [(name: String, shape: [Int], values: [Float])]
        /// Source keys not carried over (buffers, a head of another class count, ...).
        public let ignoredKeys: [String]
        /// What was changed on the way (resampled, interpolated, fresh), one line each.
        public let notes: [String]
        public let sourcePatchSize: Int
        public let sourceWindow: Int
    }

    public static func convert(_ file: SafetensorsFile, options: Options = Options()) throws -> Result {
        let path = file.path
        // A wrapper prefix shared by every key (DataParallel's `module.`, some trainers' `model.`).
        var prefix = ""
        for candidate in ["module.", "model."] where !file.names.isEmpty && file.names.allSatisfy({ $0.hasPrefix(candidate) }) {
            prefix = candidate
        }
        let keys = file.names.map { String($0.dropFirst(prefix.count)) }
        func source(_ key: String) -> String { prefix + key }
        guard keys.contains("patch_embed.proj.weight") else {
            let hint = keys.contains(where: { $0.hasPrefix("encoder.") })
                ? " (its keys start with encoder.: a file in our/the reference layout; use --from mek-pytorch or load it directly)" : ""
            throw ConversionError.notTimmSwin(path, "no patch_embed.proj.weight" + hint)
        }
        if let ape = keys.first(where: { $0.hasPrefix("absolute_pos_embed") }) {
            throw ConversionError.unsupported(path, "\(ape): absolute position embeddings are not part of this model")
        }
        if keys.contains(where: { $0.contains("logit_scale") || $0.contains("cpb_mlp") }) {
            throw ConversionError.unsupported(path, "Swin V2 weights (logit_scale / cpb_mlp); only Swin (V1) converts")
        }
        let layout: Layout = keys.contains("layers.0.downsample.reduction.weight") ? .downsampleAtStageEnd : .downsampleAtStageStart

        // timm key -> our key (nil: not carried over).
        func ourName(_ key: String) -> String? {
            if key.hasSuffix("relative_position_index") || key.hasSuffix("attn_mask") { return nil }
            if key.hasPrefix("patch_embed.") { return "encoder." + key }
            let parts = key.split(separator: ".", maxSplits: 3).map(String.init)
            if parts.count == 4, parts[0] == "layers", let s = Int(parts[1]) {
                if parts[2] == "blocks" { return "encoder." + key }
                if parts[2] == "downsample" {
                    let stage = layout == .downsampleAtStageEnd ? s : s - 1
                    return stage >= 0 ? "encoder.layers.\(stage).downsample.\(parts[3])" : nil
                }
            }
            if key == "norm.weight" || key == "norm.bias" { return key }
            if key.hasPrefix("head.fc.") { return "head." + key.dropFirst("head.fc.".count) }
            if key == "head.weight" || key == "head.bias" { return key }
            return nil
        }
        var mapped: [String: String] = [:]  // our -> timm
        for key in keys { if let ours = ourName(key) { mapped[ours] = key } }
        func shape(_ ours: String) throws -> [Int] {
            guard let key = mapped[ours], let entry = file.entries[source(key)] else {
                throw CheckpointError.missingKey(path, ours.hasPrefix("encoder.") ? String(ours.dropFirst("encoder.".count)) : ours, expected: nil)
            }
            return entry.shape
        }

        // The source architecture, from shapes.
        let patch = try shape("encoder.patch_embed.proj.weight")
        guard patch.count == 4, patch[2] == patch[3] else {
            throw ConversionError.notTimmSwin(path, "patch_embed.proj.weight has shape \(describe(shape: patch)), expected [embed, channels, p, p]")
        }
        var depths: [Int] = [], heads: [Int] = [], sourceWindows: [Int] = []
        while mapped["encoder.layers.\(depths.count).blocks.0.norm1.weight"] != nil {
            let s = depths.count
            var blocks = 0
            while mapped["encoder.layers.\(s).blocks.\(blocks).norm1.weight"] != nil { blocks += 1 }
            let table = try shape("encoder.layers.\(s).blocks.0.attn.relative_position_bias_table")
            let side = Int(Double(table.first ?? 0).squareRoot().rounded())
            guard table.count == 2, side * side == table[0], side % 2 == 1 else {
                throw ConversionError.notTimmSwin(path, "layers.\(s).blocks.0.attn.relative_position_bias_table has shape \(describe(shape: table)), not [(2w-1)^2, heads]")
            }
            depths.append(blocks); heads.append(table[1]); sourceWindows.append((side + 1) / 2)
        }
        guard !depths.isEmpty else { throw CheckpointError.missingKey(path, "layers.0.blocks.0.norm1.weight", expected: nil) }
        let fc1 = try shape("encoder.layers.0.blocks.0.mlp.fc1.weight")
        guard fc1.count == 2, fc1[0] > 0 else {
            throw ConversionError.notTimmSwin(path, "layers.0.blocks.0.mlp.fc1.weight has shape \(describe(shape: fc1)), not [hidden, dim]")
        }
        let sourceWindow = sourceWindows.max()!
        var config = SwinConfig(imageSize: options.imageSize, patchSize: options.patchSize, inChannels: patch[1], embedDim: patch[0],
                                depths: depths, heads: heads, window: options.window ?? sourceWindow,
                                mlpRatio: max(1, fc1[0] / max(1, patch[0])), numClasses: options.classNames.count)
        config.dropPathRate = SwinConfig.swinT.dropPathRate
        do { try config.validate() } catch {
            throw ConversionError.target("\(error) (set the target with --image-size, --patch and --window)")
        }

        // Values in our layout, each checked against the expected shape.
        let ourLayout = ParameterLayout(config: config)
        let fresh = ourLayout.initialValues(seed: options.seed)
        var notes: [String] = []
        var tensors: [(name: String, shape: [Int], values: [Float])] = []
        var used: Set<String> = []
        let headShape = mapped["head.weight"].flatMap { file.entries[source($0)]?.shape }
        let keepHead = headShape == [config.numClasses, config.featureDim] && mapped["head.bias"] != nil
        if !keepHead {
            notes.append("head: fresh \(config.numClasses)-class head (seed \(options.seed))"
                         + (headShape.map { "; the file's head has shape \(describe(shape: $0))" } ?? "; the file has no head"))
        }
        for spec in ourLayout.specs {
            let isHead = spec.name.hasPrefix("head.")
            if isHead && !keepHead || (spec.name.hasPrefix("norm.") && mapped[spec.name] == nil) {
                if spec.name.hasPrefix("norm.") && spec.name.hasSuffix("weight") { notes.append("norm: not in the file; fresh LayerNorm (ones, zeros)") }
                tensors.append((spec.name, spec.shape, Array(fresh[spec.offset..<(spec.offset + spec.count)])))
                continue
            }
            guard let key = mapped[spec.name], let entry = file.entries[source(key)] else {
                let timmName = timmKey(for: spec.name, layout: layout)
                throw CheckpointError.missingKey(path, timmName, expected: spec.shape)
            }
            var values = try file.floats(source(key))
            var found = entry.shape
            if spec.name == "encoder.patch_embed.proj.weight" && found[2] != config.patchSize {
                values = try WeightResampling.patchKernel(values, outChannels: found[0], inChannels: found[1], from: found[2], to: config.patchSize)
                notes.append("patch_embed.proj.weight: \(found[2])x\(found[2]) -> \(config.patchSize)x\(config.patchSize) "
                             + (found[2] > config.patchSize ? "(sum over blocks)" : "(spread over blocks)"))
                found = spec.shape
            } else if spec.kind == .positionTable && found != spec.shape, found.count == 2, found[1] == spec.shape[1] {
                let fromW = (Int(Double(found[0]).squareRoot().rounded()) + 1) / 2, toW = (Int(Double(spec.shape[0]).squareRoot().rounded()) + 1) / 2
                values = try WeightResampling.relativePositionTable(values, heads: found[1], fromWindow: fromW, toWindow: toW)
                notes.append("\(key): window \(fromW) -> \(toW) (bicubic)")
                found = spec.shape
            }
            guard found == spec.shape else {
                throw CheckpointError.wrongShape(path, source(key), expected: spec.shape, found: found)
            }
            tensors.append((spec.name, spec.shape, values))
            used.insert(source(key))
        }
        let ignored = keys.map(source).filter { !used.contains($0) }.sorted()
        return Result(config: config, classNames: options.classNames, layout: layout, tensors: tensors, ignoredKeys: ignored,
                      notes: notes, sourcePatchSize: patch[2], sourceWindow: sourceWindow)
    }

    /// Writes `result` as a checkpoint `ModelCheckpoint.load` reads (architecture and class names in
    /// the metadata, plus where it came from).
    public static func write(_ result: Result, to url: URL, source: String) throws {
        let metadata = [
            "format": "pt",
            ModelCheckpoint.configKey: String(decoding: try JSONEncoder().encode(result.config), as: UTF8.self),
            ModelCheckpoint.classesKey: String(decoding: try JSONEncoder().encode(result.classNames), as: UTF8.self),
            "fer.converted_from": "timm-swin: \(source) (\(result.layout.rawValue))",
        ]
        try AtomicFile.write(SafetensorsFile.serialize(result.tensors, metadata: metadata), to: url)
    }

    /// The timm name (in `layout`) of one of our keys, for error messages.
    static func timmKey(for ours: String, layout: Layout) -> String {
        guard ours.hasPrefix("encoder.") else { return ours.hasPrefix("head.") ? "head.fc." + ours.dropFirst(5) : ours }
        let key = String(ours.dropFirst("encoder.".count))
        let parts = key.split(separator: ".", maxSplits: 3).map(String.init)
        if layout == .downsampleAtStageStart, parts.count == 4, parts[2] == "downsample", let s = Int(parts[1]) {
            return "layers.\(s + 1).downsample.\(parts[3])"
        }
        return key
    }
}

public enum ConversionError: Error, CustomStringConvertible {
    case notTimmSwin(String, String)
    case unsupported(String, String)
    case target(String)

    public var description: String {
        switch self {
        case let .notTimmSwin(path, why): return "\(path): not a timm Swin state dict: \(why)"
        case let .unsupported(path, why): return "\(path): cannot convert: \(why)"
        case let .target(why): return "the target architecture is invalid: \(why)"
        }
    }
}
