/// Fused window attention of the OpenCL backend (kernels/attention.cl): one work-group per
/// (window, head); with the tile table's row kernels one work-item per row (CPU), else the pair's
/// q, k, v and scores in local memory (GPU).
extension OpenCLDevice {
    public func gatherRelativeBias(table: Tensor, index: Tensor, into out: Tensor, heads: Int, tokens: Int) {
        let nn = tokens * tokens
        launch1D("gather_relative_bias", heads * nn, [.tensor(table), .tensor(index), .tensor(out), .int(heads), .int(nn)])
    }

    /// The row-shaped kernels when the tile table asks for them and a row of scores fits them.
    private func useRowAttention(tokens: Int) -> Bool {
        tuning.rowKernels && tokens <= tuning.attentionMaxTokens
    }

    /// Local memory of one work-group, in bytes, checked against the device's.
    private func attentionLocalBytes(_ floats: Int) throws -> Int {
        let bytes = floats * 4
        guard UInt64(bytes) <= info.localMemoryBytes else {
            throw OpenCLError.unsupported("window attention needs \(bytes) bytes of local memory per work-group, "
                                          + "the device has \(info.localMemoryBytes)")
        }
        return bytes
    }

    public func windowAttention(qkv: Tensor, bias: Tensor, mask: Tensor?, scale: Float, shape: AttentionShape,
                                out: Tensor, probs: Tensor) {
        let n = shape.tokens, d = shape.headDim, g = tuning.attentionGroup
        if useRowAttention(tokens: n) {
            launch("window_attention_forward_rows", global: [shape.windows * shape.heads * g], local: [g], [
                .tensor(qkv), .tensor(bias), .optionalTensor(mask), .int(mask == nil ? 0 : 1), .float(scale),
                .int(n), .int(d), .int(shape.heads), .int(shape.windowsPerImage), .tensor(out), .tensor(probs),
            ])
            return
        }
        run {
            _ = try attentionLocalBytes(3 * n * d + n * n)
            try runtime.launch("window_attention_forward", global: [shape.windows * shape.heads * g], local: [g], [
                .tensor(qkv), .tensor(bias), .optionalTensor(mask), .int(mask == nil ? 0 : 1), .float(scale),
                .int(n), .int(d), .int(shape.heads), .int(shape.windowsPerImage), .tensor(out), .tensor(probs),
                .local(bytes: n * d * 4), .local(bytes: n * d * 4), .local(bytes: n * d * 4), .local(bytes: n * n * 4),
            ])
        }
    }

    public func windowAttentionBackward(dout: Tensor, qkv: Tensor, probs: Tensor, scale: Float,
                                        shape: AttentionShape, dqkv: Tensor) {
        let n = shape.tokens, d = shape.headDim, g = tuning.attentionGroup
        if useRowAttention(tokens: n) {
            launch("window_attention_backward_rows", global: [shape.windows * shape.heads * g], local: [g], [
                .tensor(dout), .tensor(qkv), .tensor(probs), .float(scale), .int(n), .int(d), .int(shape.heads),
                .tensor(dqkv),
            ])
            return
        }
        run {
            _ = try attentionLocalBytes(3 * n * d + n * n + n)
            try runtime.launch("window_attention_backward", global: [shape.windows * shape.heads * g], local: [g], [
                .tensor(dout), .tensor(qkv), .tensor(probs), .float(scale), .int(n), .int(d), .int(shape.heads),
                .tensor(dqkv), .local(bytes: n * d * 4), .local(bytes: n * d * 4), .local(bytes: n * d * 4),
                .local(bytes: n * n * 4), .local(bytes: n * 4),
            ])
        }
    }

    public func relativeBiasBackward(dScores: Tensor, index: Tensor, dtable: Tensor, shape: AttentionShape) {
        let nn = shape.tokens * shape.tokens, heads = shape.heads
        run {
            let summed = try scratch(heads * nn)
            launch1D("relative_bias_window_sum", heads * nn,
                     [.tensor(dScores), .int(shape.windows), .int(heads), .int(nn), .tensor(summed)])
            let rows = dtable.count / heads
            launch1D("relative_bias_scatter", rows * heads,
                     [.tensor(summed), .tensor(index), .tensor(dtable), .int(heads), .int(nn), .int(rows)])
        }
    }
}
