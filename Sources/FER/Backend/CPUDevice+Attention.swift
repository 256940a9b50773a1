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

    // The loops below are written in "axpy" form (a scalar times a contiguous row added to a
    // contiguous row) over transposed copies of K and V, so the compiler vectorizes them; dot
    // products would be float reductions, which it may not reorder and so leaves scalar.

    public func windowAttention(qkv: Tensor, bias: Tensor, mask: Tensor?, scale: Float, shape: AttentionShape,
                                out: Tensor, probs: Tensor) {
        let n = shape.tokens, d = shape.headDim, heads = shape.heads, c = shape.channels
        let pqkv = ptr(qkv), pb = ptr(bias), po = ptr(out), pp = ptr(probs)
        let pmask: UnsafeMutablePointer<Float>? = mask.map { ptr($0) }
        let rowStride = 3 * c
        parallelFor(shape.windows * heads) { range in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 3 * n * d) { scratch in
                let q = scratch.baseAddress!, kT = q + n * d, v = kT + n * d
                for item in range {
                    let w = item / heads, h = item % heads
                    let base = pqkv + w * n * rowStride + h * d
                    for t in 0..<n {
                        let row = base + t * rowStride
                        for j in 0..<d {
                            q[t * d + j] = row[j] * scale
                            kT[j * n + t] = row[c + j]
                            v[t * d + j] = row[2 * c + j]
                        }
                    }
                    let p = pp + item * n * n
                    let bh = pb + h * n * n
                    let mw = pmask.map { $0 + (w % shape.windowsPerImage) * n * n }
                    for t in 0..<n {
                        let prow = p + t * n
                        prow.update(from: bh + t * n, count: n)
                        if let mw { let mrow = mw + t * n; for m in 0..<n { prow[m] += mrow[m] } }
                        for j in 0..<d {
                            let a = q[t * d + j], krow = kT + j * n
                            for m in 0..<n { prow[m] += a * krow[m] }
                        }
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
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 8 * n * d + n) { scratch in
                let q = scratch.baseAddress!, k = q + n * d, vT = k + n * d, g = vT + n * d
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
                            vT[j * n + t] = row[2 * c + j]
                            g[t * d + j] = grow[j]
                        }
                    }
                    dq.update(repeating: 0, count: 3 * n * d)
                    let p = pp + item * n * n
                    for t in 0..<n {
                        let prow = p + t * n, gt = g + t * d
                        // dP[t, :] = g[t] V^T
                        for m in 0..<n { dp[m] = 0 }
                        for j in 0..<d {
                            let a = gt[j], vrow = vT + j * n
                            for m in 0..<n { dp[m] += a * vrow[m] }
                        }
                        // dV[m] += P[t, m] g[t]; dS = P (dP - sum P dP), written over the probabilities.
                        var dot: Float = 0
                        for m in 0..<n {
                            let pm = prow[m], dvm = dv + m * d
                            dot += pm * dp[m]
                            for j in 0..<d { dvm[j] += pm * gt[j] }
                        }
                        for m in 0..<n { prow[m] = prow[m] * (dp[m] - dot) }
                        let dqt = dq + t * d, qt = q + t * d
                        for m in 0..<n {
                            let ds = prow[m], km = k + m * d, dkm = dk + m * d
                            for j in 0..<d { dqt[j] += ds * km[j] }
                            for j in 0..<d { dkm[j] += ds * qt[j] }
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
