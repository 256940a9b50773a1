import Foundation

/// Fused window attention of the CPU backend: one (window, head) pair at a time in cache-sized
/// scratch, so the 49x49 score matrices never leave L1/L2.
extension CPUDevice {
    public func gatherRelativeBias(table: Tensor, index: Tensor, into out: Tensor, heads: Int, tokens: Int) {
        let pt = ptr(table), pi = ptr(index), po = ptr(out)
        let nn = tokens * tokens
        for h in 0..<heads {
            for e in 0..<nn { po[h * nn + e] = pt[Int(pi[e]) * heads + h] }
        }
    }

    public func windowAttention(qkv: Tensor, bias: Tensor, mask: Tensor?, scale: Float, shape: AttentionShape,
                                out: Tensor, probs: Tensor) {
        let n = shape.tokens, d = shape.headDim, heads = shape.heads, c = shape.channels
        let pqkv = ptr(qkv), pb = ptr(bias), po = ptr(out), pp = ptr(probs)
        let pmask: UnsafeMutablePointer<Float>? = mask.map { ptr($0) }
        let rowStride = 3 * c
        parallelFor(shape.windows * heads) { range in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 3 * n * d) { scratch in
                let q = scratch.baseAddress!, k = q + n * d, v = k + n * d
                for item in range {
                    let w = item / heads, h = item % heads
                    let base = pqkv + w * n * rowStride + h * d
                    for t in 0..<n {
                        let row = base + t * rowStride
                        for j in 0..<d {
                            q[t * d + j] = row[j] * scale
                            k[t * d + j] = row[c + j]
                            v[t * d + j] = row[2 * c + j]
                        }
                    }
                    let p = pp + item * n * n
                    let bh = pb + h * n * n
                    let mw = pmask.map { $0 + (w % shape.windowsPerImage) * n * n }
                    for t in 0..<n {
                        let prow = p + t * n, qt = q + t * d
                        for m in 0..<n {
                            let km = k + m * d
                            var s: Float = 0
                            for j in 0..<d { s += qt[j] * km[j] }
                            prow[m] = s + bh[t * n + m]
                        }
                        if let mw = mw { for m in 0..<n { prow[m] += mw[t * n + m] } }
                        softmaxRow(prow, prow, n)
                        let orow = po + (w * n + t) * c + h * d
                        for j in 0..<d { orow[j] = 0 }
                        for m in 0..<n {
                            let pm = prow[m], vm = v + m * d
                            for j in 0..<d { orow[j] += pm * vm[j] }
                        }
                    }
                }
            }
        }
    }

    public func windowAttentionBackward(dout: Tensor, qkv: Tensor, probs: Tensor, scale: Float,
                                        shape: AttentionShape, dqkv: Tensor) {
        let n = shape.tokens, d = shape.headDim, heads = shape.heads, c = shape.channels
        let pdo = ptr(dout), pqkv = ptr(qkv), pp = ptr(probs), pdq = ptr(dqkv)
        let rowStride = 3 * c
        parallelFor(shape.windows * heads) { range in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 7 * n * d + n) { scratch in
                let q = scratch.baseAddress!, k = q + n * d, v = k + n * d, g = v + n * d
                let dq = g + n * d, dk = dq + n * d, dv = dk + n * d, dp = dv + n * d
                for item in range {
                    let w = item / heads, h = item % heads
                    let base = pqkv + w * n * rowStride + h * d
                    for t in 0..<n {
                        let row = base + t * rowStride
                        let grow = pdo + (w * n + t) * c + h * d
                        for j in 0..<d {
                            q[t * d + j] = row[j] * scale
                            k[t * d + j] = row[c + j]
                            v[t * d + j] = row[2 * c + j]
                            g[t * d + j] = grow[j]
                        }
                    }
                    for e in 0..<(3 * n * d) { dq[e] = 0 }
                    let p = pp + item * n * n
                    for t in 0..<n {
                        let prow = p + t * n, gt = g + t * d
                        // dP[t, m] = g[t] . v[m]; dV[m] += P[t, m] g[t]
                        var dot: Float = 0
                        for m in 0..<n {
                            let vm = v + m * d, dvm = dv + m * d
                            var s: Float = 0
                            let pm = prow[m]
                            for j in 0..<d { s += gt[j] * vm[j]; dvm[j] += pm * gt[j] }
                            dp[m] = s
                            dot += pm * s
                        }
                        // dS = P (dP - sum P dP), written over the probabilities.
                        for m in 0..<n { prow[m] = prow[m] * (dp[m] - dot) }
                        let dqt = dq + t * d, qt = q + t * d
                        for m in 0..<n {
                            let ds = prow[m], km = k + m * d, dkm = dk + m * d
                            for j in 0..<d { dqt[j] += ds * km[j]; dkm[j] += ds * qt[j] }
                        }
                    }
                    let outBase = pdq + w * n * rowStride + h * d
                    for t in 0..<n {
                        let row = outBase + t * rowStride
                        for j in 0..<d {
                            row[j] = dq[t * d + j] * scale
                            row[c + j] = dk[t * d + j]
                            row[2 * c + j] = dv[t * d + j]
                        }
                    }
                }
            }
        }
    }

    public func relativeBiasBackward(dScores: Tensor, index: Tensor, dtable: Tensor, shape: AttentionShape) {
        let n = shape.tokens, heads = shape.heads, nn = n * n
        let ps = ptr(dScores), pi = ptr(index), pt = ptr(dtable)
        var summed = [Float](repeating: 0, count: heads * nn)
        summed.withUnsafeMutableBufferPointer { sb in
            let out = sb.baseAddress!
            parallelFor(heads * n) { rows in
                for r in rows {
                    let h = r / n, t = r % n
                    let o = out + h * nn + t * n
                    for w in 0..<shape.windows {
                        let src = ps + (w * heads + h) * nn + t * n
                        for m in 0..<n { o[m] += src[m] }
                    }
                }
            }
        }
        for h in 0..<heads {
            for e in 0..<nn { pt[Int(pi[e]) * heads + h] += summed[h * nn + e] }
        }
    }
}
