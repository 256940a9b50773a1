import COpenBLAS
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

    // Each (window, head) pair is a handful of small products (49x49x32 for Swin-T) done by
    // single-threaded OpenBLAS calls straight on the strided qkv layout (no gathering), with the
    // pairs spread over the worker threads. OpenBLAS's tuned kernels run these tiny shapes 3-5x
    // faster than portable Swift loops; the softmax and its backward are plain vectorized loops.

    public func windowAttention(qkv: Tensor, bias: Tensor, mask: Tensor?, scale: Float, shape: AttentionShape,
                                out: Tensor, probs: Tensor) {
        let n = shape.tokens, d = shape.headDim, heads = shape.heads, c = shape.channels
        let pqkv = ptr(qkv), pb = ptr(bias), po = ptr(out), pp = ptr(probs)
        let pmask: UnsafeMutablePointer<Float>? = mask.map { ptr($0) }
        let ld = Int32(3 * c), n32 = Int32(n), d32 = Int32(d)
        parallelFor(shape.windows * heads) { range in
            for item in range {
                let w = item / heads, h = item % heads
                let q = pqkv + w * n * 3 * c + h * d, k = q + c, v = q + 2 * c
                let p = pp + item * n * n
                // S = bias (+ mask), then S += scale * q k^T.
                p.update(from: pb + h * n * n, count: n * n)
                if let pmask {
                    let mw = pmask + (w % shape.windowsPerImage) * n * n
                    for e in 0..<(n * n) { p[e] += mw[e] }
                }
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n32, n32, d32, scale, q, ld, k, ld, 1, p, n32)
                for t in 0..<n { softmaxRow(p + t * n, p + t * n, n) }
                cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n32, d32, n32, 1, p, n32, v, ld, 0,
                            po + w * n * c + h * d, Int32(c))
            }
        }
    }

    public func windowAttentionBackward(dout: Tensor, qkv: Tensor, probs: Tensor, scale: Float,
                                        shape: AttentionShape, dqkv: Tensor) {
        let n = shape.tokens, d = shape.headDim, heads = shape.heads, c = shape.channels
        let pdo = ptr(dout), pqkv = ptr(qkv), pp = ptr(probs), pdq = ptr(dqkv)
        let ld = Int32(3 * c), n32 = Int32(n), d32 = Int32(d)
        parallelFor(shape.windows * heads) { range in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: n * n) { scratch in
                let dp = scratch.baseAddress!
                for item in range {
                    let w = item / heads, h = item % heads
                    let q = pqkv + w * n * 3 * c + h * d, k = q + c, v = q + 2 * c
                    let dq = pdq + w * n * 3 * c + h * d, dk = dq + c, dv = dq + 2 * c
                    let g = pdo + w * n * c + h * d
                    let p = pp + item * n * n
                    // dP = g V^T; dV = P^T g.
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n32, n32, d32, 1, g, Int32(c), v, ld, 0, dp, n32)
                    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, n32, d32, n32, 1, p, n32, g, Int32(c), 0, dv, ld)
                    // dS = P (dP - rowsum(P dP)), written over the probabilities.
                    for t in 0..<n {
                        let prow = p + t * n, drow = dp + t * n
                        var dot: Float = 0
                        for m in 0..<n { dot += prow[m] * drow[m] }
                        for m in 0..<n { prow[m] *= drow[m] - dot }
                    }
                    // dQ = scale dS K; dK = scale dS^T Q.
                    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n32, d32, n32, scale, p, n32, k, ld, 0, dq, ld)
                    cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, n32, d32, n32, scale, p, n32, q, ld, 0, dk, ld)
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
