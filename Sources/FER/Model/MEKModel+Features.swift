extension MEKModel {
    /// The last stage's tokens of an evaluation-mode forward pass, `[batch, H*W, C]` (token
    /// `row * W + column`, `H = W = finalResolution`, `C = featureDim`): before the head LayerNorm
    /// (`norm`), as timm's `SwinTransformer.layers` outputs them, and after it, as timm's
    /// `forward_features` does. For comparing backbones with other implementations.
    func features(images: Tensor, batch: Int) throws -> (tokens: [Float], normed: [Float]) {
        let pass = try predict(images: images, batch: batch, keepActivations: true)
        guard let head = pass.head else { throw ModelError.noSavedActivations }
        return (try device.read(head.norm.x), try device.read(head.normed))
    }
}
