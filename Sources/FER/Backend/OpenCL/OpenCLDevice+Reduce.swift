import Foundation

/// Reductions, losses and the optimizer update of the OpenCL backend (kernels/reductions.cl,
/// kernels/losses.cl, kernels/optimizer.cl).
extension OpenCLDevice {
    public func meanTokens(_ x: Tensor, batch: Int, tokens: Int, channels: Int, into out: Tensor) {
        launch2D("mean_tokens", channels, batch, [.tensor(x), .int(batch), .int(tokens), .int(channels), .tensor(out)])
    }

    public func meanTokensBackward(_ dout: Tensor, batch: Int, tokens: Int, channels: Int, into dx: Tensor) {
        let total = batch * tokens * channels
        launch1D("mean_tokens_backward", total, [.tensor(dout), .int(tokens), .int(channels), .int(total), .tensor(dx)])
    }

    public func sumOfSquares(_ x: Tensor, into out: Tensor, accumulate: Bool) {
        let g = tuning.reduceGroup
        run {
            let groups = max(1, min(256, (x.count + g - 1) / g))
            let partial = try scratch(groups)
            try runtime.launch("sum_squares_partial", global: [groups * g], local: [g],
                               [.tensor(x), .int(x.count), .tensor(partial)])
            try runtime.launch("sum_squares_final", global: [g], local: [g],
                               [.tensor(partial), .int(groups), .tensor(out), .int(accumulate ? 1 : 0)])
        }
    }

    public func softTargetCrossEntropy(logits: Tensor, targets: Tensor, batch: Int, classes: Int,
                                       gradScale: Float, losses: Tensor, dlogits: Tensor) {
        launch1D("soft_target_cross_entropy", batch, [.tensor(logits), .tensor(targets), .int(batch), .int(classes),
                                                      .float(gradScale), .tensor(losses), .tensor(dlogits)])
    }

    public func attentionConsistency(cams: Tensor, classWeights: Tensor, batch: Int, height: Int, width: Int,
                                     classes: Int, gradScale: Float, losses: Tensor, dcams: Tensor) {
        launch1D("attention_consistency", batch, [.tensor(cams), .tensor(classWeights), .int(batch), .int(height),
                                                  .int(width), .int(classes), .float(gradScale), .tensor(losses),
                                                  .tensor(dcams)])
    }

    public func adamW(parameters: Tensor, gradients: Tensor, m: Tensor, v: Tensor,
                      gradNormSquared: Tensor, settings s: AdamWStep) {
        precondition(parameters.count == gradients.count && m.count == parameters.count && v.count == parameters.count,
                     "adamW: parameters, gradients and moments differ in size")
        let bc1 = 1 - Float(pow(Double(s.beta1), Double(s.step)))
        let bc2 = 1 - Float(pow(Double(s.beta2), Double(s.step)))
        launch1D("adamw", parameters.count, [
            .tensor(parameters), .tensor(gradients), .tensor(m), .tensor(v), .tensor(gradNormSquared),
            .int(s.maxGradNorm == nil ? 0 : 1), .float(s.maxGradNorm ?? 0), .float(1 - s.learningRate * s.weightDecay),
            .float(s.learningRate / bc1), .float(bc2.squareRoot()), .float(s.beta1), .float(s.beta2), .float(s.epsilon),
            .int(parameters.count),
        ])
    }
}
