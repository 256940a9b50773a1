/// One Swin transformer block: `x + DropPath(W-MSA(LN(x)))`, then `x + DropPath(MLP(LN(x)))`, with
/// the window attention on a cyclically shifted grid when `shift > 0`.
final class SwinBlock {
    let norm1: LayerNormLayer, norm2: LayerNormLayer
    let qkv: Linear, proj: Linear, fc1: Linear, fc2: Linear
    let table: Tensor, dTable: Tensor
    let dim: Int, heads: Int, window: Int, shift: Int, resolution: Int
    let relativeIndex: Tensor
    let mask: Tensor?
    /// Drop-path probability of this block in training.
    let dropRate: Float

    init(params: ParameterStore, prefix: String, config: SwinConfig, stage: Int, block: Int,
         dropRate: Float, relativeIndex: Tensor, mask: Tensor?) {
        let eps = config.layerNormEps
        norm1 = LayerNormLayer(params, prefix + "norm1", eps: eps)
        norm2 = LayerNormLayer(params, prefix + "norm2", eps: eps)
        qkv = Linear(params, prefix + "attn.qkv")
        proj = Linear(params, prefix + "attn.proj")
        fc1 = Linear(params, prefix + "mlp.fc1")
        fc2 = Linear(params, prefix + "mlp.fc2")
        table = params.value(prefix + "attn.relative_position_bias_table")
        dTable = params.gradient(prefix + "attn.relative_position_bias_table")
        dim = config.stageDim(stage)
        heads = config.heads[stage]
        window = config.stageWindow(stage)
        shift = config.shift(stage: stage, block: block)
        resolution = config.stageResolution(stage)
        self.relativeIndex = relativeIndex
        self.mask = shift > 0 ? mask : nil
        self.dropRate = dropRate
    }

    /// What backward needs from forward.
    struct Saved {
        let grid: GridShape
        let norm1: LayerNormLayer.Saved, norm2: LayerNormLayer.Saved
        let windows: Tensor, qkv: Tensor, probs: Tensor, attention: Tensor
        /// The MLP's pre-activation; its GELU is recomputed in backward rather than kept.
        let norm2Out: Tensor, hidden: Tensor
        let attentionScales: [Float], mlpScales: [Float]
    }

    func attentionShape(batch: Int) -> AttentionShape {
        let perImage = (resolution / window) * (resolution / window)
        return AttentionShape(windows: batch * perImage, tokens: window * window, heads: heads,
                              headDim: dim / heads, windowsPerImage: perImage)
    }

    var scale: Float { 1 / Float(dim / heads).squareRoot() }

    /// Per-sample residual scales: 1 in evaluation; 0 or 1/keep in training (stochastic depth).
    func dropPathScales(batch: Int, rng: inout SeededRandom?) -> [Float] {
        guard dropRate > 0, rng != nil else { return [Float](repeating: 1, count: batch) }
        let keep = 1 - dropRate
        return (0..<batch).map { _ in rng!.uniform() < keep ? 1 / keep : 0 }
    }

    /// `x` is `[B, H, W, C]`; returns the block output of the same shape.
    func forward(_ d: Device, _ x: Tensor, batch: Int, rng: inout SeededRandom?) throws -> (Tensor, Saved) {
        let grid = GridShape(batch: batch, height: resolution, width: resolution, channels: dim)
        let t = grid.tokens, c = dim
        let shape = attentionShape(batch: batch)
        let attentionScales = dropPathScales(batch: batch, rng: &rng)
        let mlpScales = dropPathScales(batch: batch, rng: &rng)

        let normed = try d.makeUninitialized([t, c])
        let saved1 = try norm1.forward(d, x, rows: t, into: normed)
        let windows = try d.makeUninitialized([t, c])
        d.windowPartition(normed, grid: grid, window: window, shift: shift, into: windows, accumulate: false)
        let qkvOut = try d.makeUninitialized([t, 3 * c])
        qkv.forward(d, windows, rows: t, into: qkvOut)
        let bias = try d.makeUninitialized([heads, shape.tokens, shape.tokens])
        d.gatherRelativeBias(table: table, index: relativeIndex, into: bias, heads: heads, tokens: shape.tokens)
        let attention = try d.makeUninitialized([t, c])
        let probs = try d.makeUninitialized([shape.windows, heads, shape.tokens, shape.tokens])
        d.windowAttention(qkv: qkvOut, bias: bias, mask: mask, scale: scale, shape: shape, out: attention, probs: probs)
        let projected = try d.makeUninitialized([t, c])
        proj.forward(d, attention, rows: t, into: projected)
        let branch = try d.makeUninitialized([t, c])
        d.windowMerge(projected, grid: grid, window: window, shift: shift, into: branch, accumulate: false)
        let x1 = try d.makeUninitialized([t, c])
        d.copy(x, to: x1)
        d.scaleSamples(branch, scales: attentionScales, into: x1, accumulate: true)

        let normed2 = try d.makeUninitialized([t, c])
        let saved2 = try norm2.forward(d, x1, rows: t, into: normed2)
        let hidden = try d.makeUninitialized([t, fc1.outFeatures])
        fc1.forward(d, normed2, rows: t, into: hidden)
        let activated = try d.makeUninitialized([t, fc1.outFeatures])
        d.gelu(hidden, into: activated)
        let mlpOut = try d.makeUninitialized([t, c])
        fc2.forward(d, activated, rows: t, into: mlpOut)
        let out = try d.makeUninitialized([batch, resolution, resolution, c])
        d.copy(x1, to: out)
        d.scaleSamples(mlpOut, scales: mlpScales, into: out, accumulate: true)

        let saved = Saved(grid: grid, norm1: saved1, norm2: saved2, windows: windows, qkv: qkvOut, probs: probs,
                          attention: attention, norm2Out: normed2, hidden: hidden,
                          attentionScales: attentionScales, mlpScales: mlpScales)
        return (out, saved)
    }

    /// Accumulates parameter gradients and returns the gradient of the block input.
    func backward(_ d: Device, dout: Tensor, saved s: Saved) throws -> Tensor {
        let t = s.grid.tokens, c = dim, hiddenSize = fc1.outFeatures
        let batch = s.grid.batch
        let shape = attentionShape(batch: batch)

        let dMlp = try d.makeUninitialized([t, c])
        d.scaleSamples(dout, scales: s.mlpScales, into: dMlp, accumulate: false)
        let dActivated = try d.makeUninitialized([t, hiddenSize])
        do {
            let activated = try d.makeUninitialized([t, hiddenSize])
            d.gelu(s.hidden, into: activated)
            fc2.backward(d, dy: dMlp, x: activated, rows: t, dx: dActivated)
        }
        d.geluBackward(x: s.hidden, dy: dActivated, into: dActivated)
        let dNormed2 = try d.makeUninitialized([t, c])
        fc1.backward(d, dy: dActivated, x: s.norm2Out, rows: t, dx: dNormed2)
        let dx = try d.makeUninitialized([batch, resolution, resolution, c])
        d.copy(dout, to: dx)
        norm2.backward(d, dy: dNormed2, saved: s.norm2, dx: dx)

        let dBranch = try d.makeUninitialized([t, c])
        d.scaleSamples(dx, scales: s.attentionScales, into: dBranch, accumulate: false)
        let dProjected = try d.makeUninitialized([t, c])
        d.windowPartition(dBranch, grid: s.grid, window: window, shift: shift, into: dProjected, accumulate: false)
        let dAttention = try d.makeUninitialized([t, c])
        proj.backward(d, dy: dProjected, x: s.attention, rows: t, dx: dAttention)
        let dQkv = try d.makeUninitialized([t, 3 * c])
        d.windowAttentionBackward(dout: dAttention, qkv: s.qkv, probs: s.probs, scale: scale, shape: shape, dqkv: dQkv)
        d.relativeBiasBackward(dScores: s.probs, index: relativeIndex, dtable: dTable, shape: shape)
        let dWindows = try d.makeUninitialized([t, c])
        qkv.backward(d, dy: dQkv, x: s.windows, rows: t, dx: dWindows)
        let dNormed = try d.makeUninitialized([t, c])
        d.windowMerge(dWindows, grid: s.grid, window: window, shift: shift, into: dNormed, accumulate: false)
        norm1.backward(d, dy: dNormed, saved: s.norm1, dx: dx)
        return dx
    }
}
