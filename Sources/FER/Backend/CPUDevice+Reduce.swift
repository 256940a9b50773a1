import Foundation

/// Reductions, losses and the optimizer update of the CPU backend.
extension CPUDevice {
    public func meanTokens(_ x: Tensor, batch: Int, tokens: Int, channels: Int, into out: Tensor) {
        let px = ptr(x), po = ptr(out)
        let inv = 1 / Float(tokens)
        for b in 0..<batch {
            let o = po + b * channels
            for j in 0..<channels { o[j] = 0 }
            for t in 0..<tokens {
                let row = px + (b * tokens + t) * channels
                for j in 0..<channels { o[j] += row[j] }
            }
            for j in 0..<channels { o[j] *= inv }
        }
    }

    public func meanTokensBackward(_ dout: Tensor, batch: Int, tokens: Int, channels: Int, into dx: Tensor) {
        let pd = ptr(dout), px = ptr(dx)
        let inv = 1 / Float(tokens)
        for b in 0..<batch {
            let g = pd + b * channels
            for t in 0..<tokens {
                let row = px + (b * tokens + t) * channels
                for j in 0..<channels { row[j] += g[j] * inv }
            }
        }
    }

    public func sumOfSquares(_ x: Tensor, into out: Tensor, accumulate: Bool) {
        let px = ptr(x)
        let n = x.count
        let chunk = 1 << 16
        let chunks = (n + chunk - 1) / chunk
        var partial = [Double](repeating: 0, count: chunks)
        partial.withUnsafeMutableBufferPointer { part in
            parallelFor(chunks) { range in
                for ci in range {
                    // Eight float lanes summed into doubles every 64 elements: vectorized, yet
                    // accurate to ~1e-7 relative over millions of gradients.
                    var total = 0.0
                    var i = ci * chunk
                    let end = min(n, (ci + 1) * chunk)
                    while i < end {
                        let stop = min(end, i + 64)
                        var s: Float = 0
                        while i < stop { s += px[i] * px[i]; i += 1 }
                        total += Double(s)
                    }
                    part[ci] = total
                }
            }
        }
        let total = Float(partial.reduce(0, +))
        let po = ptr(out)
        po[0] = accumulate ? po[0] + total : total
    }

    public func softTargetCrossEntropy(logits: Tensor, targets: Tensor, batch: Int, classes: Int,
                                       gradScale: Float, losses: Tensor, dlogits: Tensor) {
        let pz = ptr(logits), pt = ptr(targets), pl = ptr(losses), pd = ptr(dlogits)
        for b in 0..<batch {
            let z = pz + b * classes, t = pt + b * classes, d = pd + b * classes
            var mx = -Float.infinity
            for c in 0..<classes { mx = max(mx, z[c]) }
            var sum: Float = 0
            for c in 0..<classes { sum += expf(z[c] - mx) }
            let lse = mx + logf(sum)
            var loss: Float = 0, tsum: Float = 0
            for c in 0..<classes { loss -= t[c] * (z[c] - lse); tsum += t[c] }
            pl[b] = loss
            for c in 0..<classes { d[c] = gradScale * (expf(z[c] - lse) * tsum - t[c]) }
        }
    }

    public func attentionConsistency(cams: Tensor, classWeights: Tensor, batch: Int, height: Int, width: Int,
                                     classes: Int, gradScale: Float, losses: Tensor, dcams: Tensor) {
        let pc = ptr(cams), pw = ptr(classWeights), pl = ptr(losses), pd = ptr(dcams)
        let cells = height * width
        let inv = 1 / Float(cells)
        for b in 0..<batch {
            var loss: Float = 0
            for i in 0..<height {
                for j in 0..<width {
                    let a = (b * cells + i * width + j) * classes
                    let f = ((batch + b) * cells + i * width + (width - 1 - j)) * classes
                    for k in 0..<classes {
                        let diff = pc[a + k] - pc[f + k]
                        loss += pw[k] * diff * diff * inv
                        let g = gradScale * pw[k] * 2 * diff * inv
                        pd[a + k] = g
                        pd[f + k] = -g
                    }
                }
            }
            pl[b] = loss
        }
    }

    public func adamW(parameters: Tensor, gradients: Tensor, m: Tensor, v: Tensor,
                      gradNormSquared: Tensor, settings s: AdamWStep) {
        var coef: Float = 1
        if let maxNorm = s.maxGradNorm {
            let norm = ptr(gradNormSquared)[0].squareRoot()
            coef = min(1, maxNorm / (norm + 1e-6))
        }
        let pp = ptr(parameters), pg = ptr(gradients), pm = ptr(m), pv = ptr(v)
        let decay = 1 - s.learningRate * s.weightDecay
        let bc1 = 1 - Float(pow(Double(s.beta1), Double(s.step)))
        let bc2 = 1 - Float(pow(Double(s.beta2), Double(s.step)))
        let stepSize = s.learningRate / bc1
        let bc2Sqrt = bc2.squareRoot()
        let b1 = s.beta1, b2 = s.beta2, eps = s.epsilon
        parallelFor(parameters.count, grain: 1 << 14) { r in
            for i in r {
                let g = pg[i] * coef
                let mi = b1 * pm[i] + (1 - b1) * g
                let vi = b2 * pv[i] + (1 - b2) * g * g
                pm[i] = mi
                pv[i] = vi
                pp[i] = pp[i] * decay - stepSize * mi / (vi.squareRoot() / bc2Sqrt + eps)
            }
        }
    }
}
