import Foundation

/// Validation of a checkpoint saved from the PyTorch reference implementation (or by us): every
/// parameter the model needs is present with the right shape and finite values, and the rest is
/// accounted for (`fer convert --from mek-pytorch`). Nothing is converted: such files load as they
/// are (`ModelCheckpoint.load`).
public enum ReferenceCheckpoint {
    public struct Summary {
        public let path: String
        public let config: SwinConfig
        public let classNames: [String]
        /// Whether the class names come from the file's metadata (else the RAF-DB default).
        public let classNamesFromFile: Bool
        public let parameterCount: Int
        /// Element type -> number of used tensors stored in it.
        public let dtypes: [String: Int]
        /// Unused keys by reason.
        public let ignored: [(reason: String, keys: [String])]

        /// A human-readable account, one fact per line.
        public var lines: [String] {
            let c = config
            var out = [
                "\(path): a valid MEK checkpoint",
                "architecture: embed \(c.embedDim), depths \(c.depths), heads \(c.heads), window \(c.window), patch \(c.patchSize), "
                    + "MLP ratio \(c.mlpRatio), image \(c.imageSize)",
                "classes (\(classNames.count), \(classNamesFromFile ? "from the file" : "not in the file: RAF-DB order assumed")): "
                    + classNames.joined(separator: ", "),
                "parameters: \(parameterCount) in \(dtypes.values.reduce(0, +)) tensors ("
                    + dtypes.keys.sorted().map { "\(dtypes[$0]!) \($0)" }.joined(separator: ", ") + ")",
            ]
            if ignored.isEmpty { out.append("ignored keys: none") }
            for group in ignored {
                out.append("ignored (\(group.reason)): \(group.keys.count) key(s): \(ModelCheckpoint.summarize(group.keys))")
            }
            return out
        }
    }

    public static func inspect(path: String) throws -> Summary {
        let file = try SafetensorsFile(contentsOfFile: path)
        for prefix in ["module.", "model."] where !file.names.isEmpty && file.names.allSatisfy({ $0.hasPrefix(prefix) }) {
            throw CheckpointError.inconsistent(path, "every key starts with '\(prefix)' (a wrapped state_dict); save model.state_dict() of the unwrapped model")
        }
        if file.entries["encoder.patch_embed.proj.weight"] == nil && file.entries["patch_embed.proj.weight"] != nil {
            throw CheckpointError.inconsistent(path, "this is a plain timm/Swin state dict (no encoder. prefix); use --from timm-swin")
        }
        let config = try ModelCheckpoint.inferConfig(file)
        let layout = ParameterLayout(config: config)
        var dtypes: [String: Int] = [:]
        for spec in layout.specs {
            guard let entry = file.entries[spec.name] else { throw CheckpointError.missingKey(path, spec.name, expected: spec.shape) }
            guard entry.shape == spec.shape else { throw CheckpointError.wrongShape(path, spec.name, expected: spec.shape, found: entry.shape) }
            let values = try file.floats(spec.name)
            if let bad = values.firstIndex(where: { !$0.isFinite }) {
                throw CheckpointError.inconsistent(path, "\(spec.name) holds a non-finite value (\(values[bad]) at element \(bad))")
            }
            dtypes[entry.dtype, default: 0] += 1
        }
        var groups: [String: [String]] = [:]
        for name in file.names where layout.spec(named: name) == nil {
            let reason: String
            if name.hasSuffix("relative_position_index") || name.hasSuffix("attn_mask") {
                reason = "buffers the model recomputes"
            } else if name.hasPrefix("encoder.norm.") || name.hasPrefix("encoder.head.") || name.hasPrefix("encoder.feature") {
                reason = "the backbone's own norm/head, unused by the MEK head"
            } else {
                reason = "not part of the model"
            }
            groups[reason, default: []].append(name)
        }
        let names = ModelCheckpoint.classNames(file, count: config.numClasses)
        let fromFile = file.metadata[ModelCheckpoint.classesKey] != nil && names.count == config.numClasses
            && (try? JSONDecoder().decode([String].self, from: Data(file.metadata[ModelCheckpoint.classesKey]!.utf8))) == names
        return Summary(path: path, config: config, classNames: names, classNamesFromFile: fromFile,
                       parameterCount: layout.totalCount, dtypes: dtypes,
                       ignored: groups.keys.sorted().map { ($0, groups[$0]!.sorted()) })
    }
}
