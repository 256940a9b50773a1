/// How a parameter is initialized and what it is.
public enum ParameterKind: String, Sendable {
    case convWeight, convBias, linearWeight, linearBias, normWeight, normBias, positionTable
}

/// One named parameter inside the flat parameter buffer.
public struct ParameterSpec: Sendable {
    public let name: String
    public let shape: [Int]
    public let offset: Int
    public let kind: ParameterKind
    public var count: Int { shape.reduce(1, *) }
}

/// The model's parameters in the reference implementation's state_dict order and names, laid out
/// back to back in one flat buffer: the optimizer, the gradient norm and (later) an allreduce see a
/// single array, and checkpoints see named views of it.
public struct ParameterLayout: Sendable {
    public let specs: [ParameterSpec]
    public let totalCount: Int
    private let indexByName: [String: Int]

    public init(config: SwinConfig) {
        var specs: [ParameterSpec] = []
        var offset = 0
        func add(_ name: String, _ shape: [Int], _ kind: ParameterKind) {
            specs.append(ParameterSpec(name: name, shape: shape, offset: offset, kind: kind))
            offset += shape.reduce(1, *)
        }
        let e = config.embedDim, p = config.patchSize
        add("encoder.patch_embed.proj.weight", [e, config.inChannels, p, p], .convWeight)
        add("encoder.patch_embed.proj.bias", [e], .convBias)
        add("encoder.patch_embed.norm.weight", [e], .normWeight)
        add("encoder.patch_embed.norm.bias", [e], .normBias)
        for s in 0..<config.stageCount {
            let c = config.stageDim(s), w = config.stageWindow(s), hidden = c * config.mlpRatio
            for b in 0..<config.depths[s] {
                let pre = "encoder.layers.\(s).blocks.\(b)."
                add(pre + "norm1.weight", [c], .normWeight)
                add(pre + "norm1.bias", [c], .normBias)
                add(pre + "attn.relative_position_bias_table", [(2 * w - 1) * (2 * w - 1), config.heads[s]], .positionTable)
                add(pre + "attn.qkv.weight", [3 * c, c], .linearWeight)
                add(pre + "attn.qkv.bias", [3 * c], .linearBias)
                add(pre + "attn.proj.weight", [c, c], .linearWeight)
                add(pre + "attn.proj.bias", [c], .linearBias)
                add(pre + "norm2.weight", [c], .normWeight)
                add(pre + "norm2.bias", [c], .normBias)
                add(pre + "mlp.fc1.weight", [hidden, c], .linearWeight)
                add(pre + "mlp.fc1.bias", [hidden], .linearBias)
                add(pre + "mlp.fc2.weight", [c, hidden], .linearWeight)
                add(pre + "mlp.fc2.bias", [c], .linearBias)
            }
            if s < config.stageCount - 1 {
                let pre = "encoder.layers.\(s).downsample."
                add(pre + "norm.weight", [4 * c], .normWeight)
                add(pre + "norm.bias", [4 * c], .normBias)
                add(pre + "reduction.weight", [2 * c, 4 * c], .linearWeight)
            }
        }
        let f = config.featureDim
        add("norm.weight", [f], .normWeight)
        add("norm.bias", [f], .normBias)
        add("head.weight", [config.numClasses, f], .linearWeight)
        add("head.bias", [config.numClasses], .linearBias)
        self.specs = specs
        self.totalCount = offset
        var index: [String: Int] = [:]
        for (i, spec) in specs.enumerated() { index[spec.name] = i }
        self.indexByName = index
    }

    public func spec(named name: String) -> ParameterSpec? { indexByName[name].map { specs[$0] } }

    /// Fresh initial values, seeded: truncated normal (std 0.02) for linear weights and relative
    /// position tables, PyTorch's default uniform for the patch convolution, ones and zeros for
    /// LayerNorm, zeros for linear biases (timm's Swin init).
    public func initialValues(seed: UInt64) -> [Float] {
        var rng = SeededRandom(seed: seed)
        var values = [Float](repeating: 0, count: totalCount)
        for spec in specs {
            let range = spec.offset..<(spec.offset + spec.count)
            switch spec.kind {
            case .linearWeight, .positionTable:
                for i in range { values[i] = rng.truncatedNormal(std: 0.02) }
            case .convWeight, .convBias:
                let fanIn = spec.kind == .convWeight ? spec.shape.dropFirst().reduce(1, *) : specs[0].shape.dropFirst().reduce(1, *)
                let bound = 1 / Float(fanIn).squareRoot()
                for i in range { values[i] = (rng.uniform() * 2 - 1) * bound }
            case .normWeight:
                for i in range { values[i] = 1 }
            case .normBias, .linearBias:
                break
            }
        }
        return values
    }
}
