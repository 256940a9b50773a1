import Foundation

/// Model weights as safetensors with the reference implementation's key names (shared/MEK.md), so a
/// PyTorch state_dict converted to safetensors loads unchanged and our files load in PyTorch.
///
/// The architecture is read from tensor shapes (embed dim, depths, heads, window, patch size, class
/// count); files we write also carry it, with the class names, in the metadata (`fer.config`,
/// `fer.classes`). The image size is not visible in the weights (no absolute position embedding), so
/// a file without metadata is taken to be for 112x112 inputs.
public enum ModelCheckpoint {
    public static let configKey = "fer.config"
    public static let classesKey = "fer.classes"

    /// The RAF-DB class order of shared/MEK.md, used when a file does not name its classes.
    public static let rafdbClassNames = ["Surprise", "Fear", "Disgust", "Happiness", "Sadness", "Anger", "Neutral"]

    /// A model restored from a file.
    public struct Loaded {
        public let model: MEKModel
        public let classNames: [String]
        /// Keys in the file that the model does not use (reference buffers, `encoder.norm`, ...).
        public let ignoredKeys: [String]
        /// The file's string metadata (ours carry `fer.config`, `fer.classes`, `fer.step`).
        public let metadata: [String: String]
    }

    /// Writes every parameter plus the architecture and class names, atomically.
    public static func save(_ model: MEKModel, classNames: [String], to url: URL,
                            extraMetadata: [String: String] = [:]) throws {
        let values = try model.parameters.hostValues()
        let tensors = model.parameters.layout.specs.map { spec in
            (name: spec.name, shape: spec.shape, values: values[spec.name]!.values)
        }
        var metadata = extraMetadata
        metadata["format"] = "pt"
        metadata[configKey] = String(decoding: try stableJSON(model.config), as: UTF8.self)
        metadata[classesKey] = String(decoding: try stableJSON(classNames), as: UTF8.self)
        try AtomicFile.write(SafetensorsFile.serialize(tensors, metadata: metadata), to: url)
    }

    /// Loads a complete model (all parameters must be present with the right shapes).
    public static func load(path: String, device: Device, seed: UInt64 = 0,
                            log: (String) -> Void = { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }) throws -> Loaded {
        let file = try SafetensorsFile(contentsOfFile: path)
        let config = try inferConfig(file)
        let model = try MEKModel(config: config, device: device, seed: seed)
        let ignored = try copyParameters(from: file, into: model, only: { _ in true })
        if !ignored.isEmpty {
            log("note: \(path): ignoring \(ignored.count) key(s) the model does not use: \(summarize(ignored))")
        }
        return Loaded(model: model, classNames: classNames(file, count: config.numClasses), ignoredKeys: ignored,
                      metadata: file.metadata)
    }

    /// Copies the parameters selected by `only` from `file` into `model`, checking each key and shape.
    /// Returns the file's keys that were not used.
    @discardableResult
    public static func copyParameters(from file: SafetensorsFile, into model: MEKModel,
                                      only: (String) -> Bool) throws -> [String] {
        let layout = model.parameters.layout
        var flat = try model.device.read(model.parameters.values)
        for spec in layout.specs where only(spec.name) {
            guard let entry = file.entries[spec.name] else {
                throw CheckpointError.missingKey(file.path, spec.name, expected: spec.shape)
            }
            guard entry.shape == spec.shape else {
                throw CheckpointError.wrongShape(file.path, spec.name, expected: spec.shape, found: entry.shape)
            }
            let values = try file.floats(spec.name)
            flat.replaceSubrange(spec.offset..<(spec.offset + spec.count), with: values)
        }
        try model.parameters.load(flat: flat)
        return file.names.filter { layout.spec(named: $0) == nil || !only($0) }
    }

    /// The architecture of the weights in `file`: from metadata when we wrote it, else from shapes.
    public static func inferConfig(_ file: SafetensorsFile) throws -> SwinConfig {
        func shape(_ key: String) throws -> [Int] {
            guard let e = file.entries[key] else { throw CheckpointError.missingKey(file.path, key, expected: nil) }
            return e.shape
        }
        let patch = try shape("encoder.patch_embed.proj.weight")
        guard patch.count == 4, patch[2] == patch[3] else {
            throw CheckpointError.inconsistent(file.path, "encoder.patch_embed.proj.weight has shape \(describe(shape: patch)), expected [embed, channels, p, p]")
        }
        var depths: [Int] = []
        var heads: [Int] = []
        var window = 0
        while file.entries["encoder.layers.\(depths.count).blocks.0.norm1.weight"] != nil {
            let s = depths.count
            var blocks = 0
            while file.entries["encoder.layers.\(s).blocks.\(blocks).norm1.weight"] != nil { blocks += 1 }
            let table = try shape("encoder.layers.\(s).blocks.0.attn.relative_position_bias_table")
            guard table.count == 2 else {
                throw CheckpointError.inconsistent(file.path, "encoder.layers.\(s).blocks.0.attn.relative_position_bias_table has shape \(describe(shape: table))")
            }
            if s == 0 {
                let side = Int(Double(table[0]).squareRoot().rounded())
                guard side * side == table[0], side % 2 == 1 else {
                    throw CheckpointError.inconsistent(file.path, "relative position table of \(table[0]) rows is not (2w-1)^2")
                }
                window = (side + 1) / 2
            }
            depths.append(blocks)
            heads.append(table[1])
        }
        guard !depths.isEmpty else { throw CheckpointError.missingKey(file.path, "encoder.layers.0.blocks.0.norm1.weight", expected: nil) }
        /// A weight matrix's shape, refused unless it has two positive sides.
        func matrix(_ key: String) throws -> [Int] {
            let s = try shape(key)
            guard s.count == 2, s[0] > 0, s[1] > 0 else {
                throw CheckpointError.inconsistent(file.path, "\(key) has shape \(describe(shape: s)), expected [out, in]")
            }
            return s
        }
        let head = try matrix("head.weight")
        let fc1 = try matrix("encoder.layers.0.blocks.0.mlp.fc1.weight")
        var config = SwinConfig(patchSize: patch[2], inChannels: patch[1], embedDim: patch[0], depths: depths, heads: heads,
                                window: window, mlpRatio: max(1, fc1[0] / max(1, patch[0])), numClasses: head[0])
        if let text = file.metadata[configKey] {
            guard let stored = try? JSONDecoder().decode(SwinConfig.self, from: Data(text.utf8)) else {
                throw CheckpointError.inconsistent(file.path, "metadata \(configKey) is not a valid model configuration")
            }
            guard stored.embedDim == config.embedDim, stored.depths == config.depths, stored.heads == config.heads,
                  stored.numClasses == config.numClasses, stored.patchSize == config.patchSize else {
                throw CheckpointError.inconsistent(file.path, "metadata \(configKey) disagrees with the tensor shapes")
            }
            config = stored
        }
        do { try config.validate() } catch {
            throw CheckpointError.inconsistent(file.path, "\(error)")
        }
        return config
    }

    static func classNames(_ file: SafetensorsFile, count: Int) -> [String] {
        if let text = file.metadata[classesKey],
           let names = try? JSONDecoder().decode([String].self, from: Data(text.utf8)), names.count == count {
            return names
        }
        return count == rafdbClassNames.count ? rafdbClassNames : (0..<count).map { "class\($0)" }
    }

    static func summarize(_ keys: [String]) -> String {
        keys.count <= 4 ? keys.joined(separator: ", ") : keys.prefix(3).joined(separator: ", ") + ", ... (\(keys.count - 3) more)"
    }
}

public enum CheckpointError: Error, CustomStringConvertible {
    case missingKey(String, String, expected: [Int]?)
    case wrongShape(String, String, expected: [Int], found: [Int])
    case inconsistent(String, String)

    public var description: String {
        switch self {
        case let .missingKey(path, key, expected):
            return "\(path): missing tensor '\(key)'" + (expected.map { " (expected shape \(describe(shape: $0)))" } ?? "")
        case let .wrongShape(path, key, expected, found):
            return "\(path): tensor '\(key)' has shape \(describe(shape: found)), expected \(describe(shape: expected))"
        case let .inconsistent(path, why):
            return "\(path): \(why)"
        }
    }
}
