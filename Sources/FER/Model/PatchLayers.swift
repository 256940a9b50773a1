/// Patch embedding: a `p x p`, stride-`p` convolution (as patchify + matrix product) then LayerNorm,
/// turning NCHW images into a `[B, H/p, W/p, E]` token grid.
struct PatchEmbedding {
    let projection: Linear
    let norm: LayerNormLayer
    let config: SwinConfig

    init(params: ParameterStore, config: SwinConfig) {
        projection = Linear(params, "encoder.patch_embed.proj")
        norm = LayerNormLayer(params, "encoder.patch_embed.norm", eps: config.layerNormEps)
        self.config = config
    }

    struct Saved { let patches: Tensor; let norm: LayerNormLayer.Saved; let rows: Int }

    func forward(_ d: Device, images: Tensor, batch: Int) throws -> (Tensor, Saved) {
        let side = config.stageResolution(0)
        let rows = batch * side * side
        let patches = try d.makeUninitialized([rows, projection.inFeatures])
        d.patchify(images, batch: batch, channels: config.inChannels, height: config.imageSize,
                   width: config.imageSize, patch: config.patchSize, into: patches)
        let embedded = try d.makeUninitialized([rows, config.embedDim])
        projection.forward(d, patches, rows: rows, into: embedded)
        let out = try d.makeUninitialized([batch, side, side, config.embedDim])
        let saved = try norm.forward(d, embedded, rows: rows, into: out)
        return (out, Saved(patches: patches, norm: saved, rows: rows))
    }

    /// Accumulates parameter gradients (the images need none).
    func backward(_ d: Device, dout: Tensor, saved: Saved) throws {
        let dEmbedded = try d.makeTensor([saved.rows, config.embedDim])
        norm.backward(d, dy: dout, saved: saved.norm, dx: dEmbedded)
        projection.backward(d, dy: dEmbedded, x: saved.patches, rows: saved.rows, dx: nil)
    }
}

/// Swin patch merging at the end of a stage: 2x2 neighbourhoods concatenated on channels,
/// LayerNorm(4C), Linear(4C -> 2C, no bias).
struct PatchMerging {
    let norm: LayerNormLayer
    let reduction: Linear
    let inputGrid: (resolution: Int, channels: Int)

    init(params: ParameterStore, config: SwinConfig, stage: Int) {
        let pre = "encoder.layers.\(stage).downsample."
        norm = LayerNormLayer(params, pre + "norm", eps: config.layerNormEps)
        reduction = Linear(params, pre + "reduction", bias: false)
        inputGrid = (config.stageResolution(stage), config.stageDim(stage))
    }

    struct Saved { let grid: GridShape; let norm: LayerNormLayer.Saved; let normed: Tensor; let rows: Int }

    func forward(_ d: Device, _ x: Tensor, batch: Int) throws -> (Tensor, Saved) {
        let r = inputGrid.resolution, c = inputGrid.channels
        let grid = GridShape(batch: batch, height: r, width: r, channels: c)
        let rows = batch * (r / 2) * (r / 2)
        let merged = try d.makeUninitialized([rows, 4 * c])
        d.patchMerge(x, grid: grid, into: merged)
        let normed = try d.makeUninitialized([rows, 4 * c])
        let saved = try norm.forward(d, merged, rows: rows, into: normed)
        let out = try d.makeUninitialized([batch, r / 2, r / 2, 2 * c])
        reduction.forward(d, normed, rows: rows, into: out)
        return (out, Saved(grid: grid, norm: saved, normed: normed, rows: rows))
    }

    func backward(_ d: Device, dout: Tensor, saved s: Saved) throws -> Tensor {
        let c = inputGrid.channels
        let dNormed = try d.makeUninitialized([s.rows, 4 * c])
        reduction.backward(d, dy: dout, x: s.normed, rows: s.rows, dx: dNormed)
        let dMerged = try d.makeTensor([s.rows, 4 * c])
        norm.backward(d, dy: dNormed, saved: s.norm, dx: dMerged)
        let dx = try d.makeTensor([s.grid.batch, s.grid.height, s.grid.width, c])
        d.patchMergeBackward(dMerged, grid: s.grid, into: dx)
        return dx
    }
}

/// The MEK head: LayerNorm on every token of the last stage, mean over tokens, Linear -> logits; and
/// the class activation maps `cam[b, n, k] = normed[b, n, :] . W_head[k, :]` (no bias) with the head
/// weights detached, so the attention loss trains the features and not `W_head`.
struct ClassifierHead {
    let norm: LayerNormLayer
    let linear: Linear
    let tokens: Int, features: Int, classes: Int

    init(params: ParameterStore, config: SwinConfig) {
        norm = LayerNormLayer(params, "norm", eps: config.layerNormEps)
        linear = Linear(params, "head")
        tokens = config.finalResolution * config.finalResolution
        features = config.featureDim
        classes = config.numClasses
    }

    struct Saved { let norm: LayerNormLayer.Saved; let normed: Tensor; let pooled: Tensor; let batch: Int }

    /// Returns logits `[B, K]` and maps `[B, tokens, K]` (token-major).
    func forward(_ d: Device, _ x: Tensor, batch: Int) throws -> (logits: Tensor, cams: Tensor, saved: Saved) {
        let rows = batch * tokens
        let normed = try d.makeUninitialized([rows, features])
        let saved = try norm.forward(d, x, rows: rows, into: normed)
        let pooled = try d.makeUninitialized([batch, features])
        d.meanTokens(normed, batch: batch, tokens: tokens, channels: features, into: pooled)
        let logits = try d.makeUninitialized([batch, classes])
        linear.forward(d, pooled, rows: batch, into: logits)
        let cams = try d.makeUninitialized([batch, tokens, classes])
        d.gemm(transA: false, transB: true, m: rows, n: classes, k: features, alpha: 1,
               a: normed, lda: features, strideA: 0, b: linear.weight, ldb: features, strideB: 0,
               beta: 0, c: cams, ldc: classes, strideC: 0, batch: 1)
        return (logits, cams, Saved(norm: saved, normed: normed, pooled: pooled, batch: batch))
    }

    /// Gradient of the last-stage tokens from `dlogits` and, when given, `dcams` (which reaches the
    /// features only).
    func backward(_ d: Device, dlogits: Tensor, dcams: Tensor?, saved s: Saved) throws -> Tensor {
        let rows = s.batch * tokens
        let dPooled = try d.makeUninitialized([s.batch, features])
        linear.backward(d, dy: dlogits, x: s.pooled, rows: s.batch, dx: dPooled)
        let dNormed = try d.makeTensor([rows, features])
        d.meanTokensBackward(dPooled, batch: s.batch, tokens: tokens, channels: features, into: dNormed)
        if let dcams {
            d.gemm(transA: false, transB: false, m: rows, n: features, k: classes, alpha: 1,
                   a: dcams, lda: classes, strideA: 0, b: linear.weight, ldb: features, strideB: 0,
                   beta: 1, c: dNormed, ldc: features, strideC: 0, batch: 1)
        }
        let dx = try d.makeTensor([rows, features])
        norm.backward(d, dy: dNormed, saved: s.norm, dx: dx)
        return dx
    }
}
