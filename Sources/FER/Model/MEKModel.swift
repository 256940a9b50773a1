/// The MEK classifier: a Swin backbone with the LayerNorm + mean-pool + Linear head and class
/// activation maps (shared/MEK.md).
///
/// How forward and backward are written: every layer is a pair of plain functions in the style of
/// llm.c. `forward` returns the layer's output and a `Saved` value holding exactly what its backward
/// needs; `backward` takes the output gradient and that value, accumulates (`+=`) into the parameter
/// gradients of the flat `ParameterStore`, and returns the input gradient. There is no tape: the
/// model's structure is fixed, so the backward order is just the forward order reversed, which
/// keeps the data flow visible and the memory of each step explicit. Every computation goes through
/// the `Device` protocol; the model never sees a backend or raw memory.
public final class MEKModel {
    public let config: SwinConfig
    public let parameters: ParameterStore
    public var device: Device { parameters.device }

    let embedding: PatchEmbedding
    let stages: [[SwinBlock]]
    let mergers: [PatchMerging]
    let head: ClassifierHead

    /// Builds the model on `device` with fresh seeded weights.
    public init(config: SwinConfig, device: Device, seed: UInt64 = 0) throws {
        try config.validate()
        self.config = config
        let layout = ParameterLayout(config: config)
        parameters = try ParameterStore(layout: layout, device: device)
        try parameters.load(flat: layout.initialValues(seed: seed))
        embedding = PatchEmbedding(params: parameters, config: config)
        var stages: [[SwinBlock]] = []
        var mergers: [PatchMerging] = []
        var blockIndex = 0
        let total = config.totalBlocks
        for s in 0..<config.stageCount {
            let w = config.stageWindow(s)
            let index = try device.makeTensor([w * w * w * w])
            try device.write(WindowGeometry.relativePositionIndex(window: w), to: index)
            var mask: Tensor? = nil
            let shift = config.shift(stage: s, block: 1)
            if config.depths[s] > 1 && shift > 0 {
                let values = WindowGeometry.shiftMask(resolution: config.stageResolution(s), window: w, shift: shift)
                let t = try device.makeTensor([values.count])
                try device.write(values, to: t)
                mask = t
            }
            var blocks: [SwinBlock] = []
            for b in 0..<config.depths[s] {
                let rate = total > 1 ? config.dropPathRate * Float(blockIndex) / Float(total - 1) : 0
                blocks.append(SwinBlock(params: parameters, prefix: "encoder.layers.\(s).blocks.\(b).", config: config,
                                        stage: s, block: b, dropRate: rate, relativeIndex: index, mask: mask))
                blockIndex += 1
            }
            stages.append(blocks)
            if s < config.stageCount - 1 { mergers.append(PatchMerging(params: parameters, config: config, stage: s)) }
        }
        self.stages = stages
        self.mergers = mergers
        head = ClassifierHead(params: parameters, config: config)
    }

    /// The activations one forward pass keeps for its backward, plus its outputs. Backward
    /// releases each layer's saved tensors as soon as it is done with them, so the memory of
    /// forward activations is handed to backward's temporaries instead of adding to it.
    public final class ForwardPass {
        public let batch: Int
        /// `[batch, classes]`.
        public let logits: Tensor
        /// Class activation maps `[batch, H*W, classes]`, token-major (`H = W = finalResolution`).
        public let cams: Tensor
        var embedding: PatchEmbedding.Saved?
        var blocks: [[SwinBlock.Saved?]]
        var mergers: [PatchMerging.Saved?]
        var head: ClassifierHead.Saved?

        init(batch: Int, logits: Tensor, cams: Tensor, embedding: PatchEmbedding.Saved?, blocks: [[SwinBlock.Saved?]],
             mergers: [PatchMerging.Saved?], head: ClassifierHead.Saved?) {
            self.batch = batch; self.logits = logits; self.cams = cams; self.embedding = embedding
            self.blocks = blocks; self.mergers = mergers; self.head = head
        }
    }

    /// Runs the model on normalized NCHW images `[batch, 3, S, S]`. With a generator, drop-path is
    /// active (training mode); with nil it is off (evaluation). With `keepActivations` false
    /// nothing is kept for backward, so each layer's memory is released as soon as the next one
    /// has run (inference).
    public func forward(images: Tensor, batch: Int, dropPath rng: inout SeededRandom?,
                        keepActivations: Bool = true) throws -> ForwardPass {
        let expected = [batch, config.inChannels, config.imageSize, config.imageSize]
        guard images.count == expected.reduce(1, *) else {
            throw ModelError.shape("images", expected: expected, found: images.shape)
        }
        let d = device
        var (x, embedSaved) = try embedding.forward(d, images: images, batch: batch)
        var blockSaved: [[SwinBlock.Saved?]] = []
        var mergeSaved: [PatchMerging.Saved?] = []
        for (s, blocks) in stages.enumerated() {
            var saved: [SwinBlock.Saved?] = []
            for block in blocks {
                let (y, sv) = try block.forward(d, x, batch: batch, rng: &rng)
                x = y
                saved.append(keepActivations ? sv : nil)
            }
            blockSaved.append(saved)
            if s < mergers.count {
                let (y, sv) = try mergers[s].forward(d, x, batch: batch)
                x = y
                mergeSaved.append(keepActivations ? sv : nil)
            }
        }
        let (logits, cams, headSaved) = try head.forward(d, x, batch: batch)
        return ForwardPass(batch: batch, logits: logits, cams: cams, embedding: keepActivations ? embedSaved : nil,
                           blocks: blockSaved, mergers: mergeSaved, head: keepActivations ? headSaved : nil)
    }

    /// Evaluation-mode forward (no drop-path). Activations are kept for a backward pass only when
    /// asked (tests that differentiate an evaluation-mode pass).
    public func predict(images: Tensor, batch: Int, keepActivations: Bool = false) throws -> ForwardPass {
        var none: SeededRandom? = nil
        return try forward(images: images, batch: batch, dropPath: &none, keepActivations: keepActivations)
    }

    /// Accumulates every parameter gradient from the gradients of the logits and (optionally) of the
    /// class activation maps of `pass`.
    public func backward(_ pass: ForwardPass, dlogits: Tensor, dcams: Tensor?) throws {
        let d = device
        guard let headSaved = pass.head, let embeddingSaved = pass.embedding else {
            throw ModelError.noSavedActivations
        }
        pass.head = nil
        var dx = try head.backward(d, dlogits: dlogits, dcams: dcams, saved: headSaved)
        for s in stride(from: stages.count - 1, through: 0, by: -1) {
            if s < mergers.count, let saved = pass.mergers[s] {
                pass.mergers[s] = nil
                dx = try mergers[s].backward(d, dout: dx, saved: saved)
            }
            for b in stride(from: stages[s].count - 1, through: 0, by: -1) {
                guard let saved = pass.blocks[s][b] else { throw ModelError.noSavedActivations }
                pass.blocks[s][b] = nil
                dx = try stages[s][b].backward(d, dout: dx, saved: saved)
            }
        }
        pass.embedding = nil
        try embedding.backward(d, dout: dx, saved: embeddingSaved)
    }
}

public enum ModelError: Error, CustomStringConvertible {
    case shape(String, expected: [Int], found: [Int])
    case noSavedActivations

    public var description: String {
        switch self {
        case let .shape(what, expected, found):
            return "\(what) has shape \(describe(shape: found)), the model expects \(describe(shape: expected))"
        case .noSavedActivations:
            return "this forward pass kept no activations (inference, or backward already ran on it)"
        }
    }
}
