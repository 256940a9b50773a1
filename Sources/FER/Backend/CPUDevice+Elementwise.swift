import COpenBLAS
import Foundation

/// Bias, residual, activation, normalization and softmax ops of the CPU backend.
extension CPUDevice {
    public func addBias(_ x: Tensor, bias: Tensor, rows: Int, cols: Int) {
        let px = ptr(x), pb = ptr(bias)
        parallelFor(rows, grain: max(1, 16384 / max(1, cols))) { r in
            for i in r {
                let row = px + i * cols
                for j in 0..<cols { row[j] += pb[j] }
            }
        }
    }

    /// Column sums as `x^T 1` through OpenBLAS `sgemv`, each thread taking a block of columns.
    public func sumRows(_ x: Tensor, rows: Int, cols: Int, into: Tensor, accumulate: Bool) {
        guard rows > 0, cols > 0 else {
            if !accumulate { fill(into, with: 0) }
            return
        }
        let px = ptr(x), po = ptr(into)
        let ones = [Float](repeating: 1, count: rows)
        let blocks = min(ThreadSettings.workers, max(1, cols / 16))
        let size = (cols + blocks - 1) / blocks
        ones.withUnsafeBufferPointer { one in
            let pOne = one.baseAddress!
            DispatchQueue.concurrentPerform(iterations: blocks) { b in
                let c0 = b * size, c1 = min(cols, c0 + size)
                guard c0 < c1 else { return }
                cblas_sgemv(CblasRowMajor, CblasTrans, Int32(rows), Int32(c1 - c0), 1, px + c0, Int32(cols),
                            pOne, 1, accumulate ? 1 : 0, po + c0, 1)
            }
        }
    }

    public func axpy(alpha: Float, x: Tensor, y: Tensor) {
        precondition(x.count == y.count, "axpy of \(x.count) elements onto \(y.count)")
        let px = ptr(x), py = ptr(y)
        parallelFor(x.count, grain: 1 << 15) { r in
            for i in r { py[i] += alpha * px[i] }
        }
    }

    public func scaleSamples(_ x: Tensor, scales: [Float], into y: Tensor, accumulate: Bool) {
        precondition(x.count == y.count && x.count % max(1, scales.count) == 0, "scaleSamples shapes")
        let per = x.count / max(1, scales.count)
        let px = ptr(x), py = ptr(y)
        scales.withUnsafeBufferPointer { s in
            parallelFor(x.count, grain: 1 << 15) { r in
                var i = r.lowerBound
                while i < r.upperBound {
                    let sample = i / per
                    let end = min(r.upperBound, (sample + 1) * per)
                    let f = s[sample]
                    if accumulate {
                        for j in i..<end { py[j] += f * px[j] }
                    } else {
                        for j in i..<end { py[j] = f * px[j] }
                    }
                    i = end
                }
            }
        }
    }

    public func gelu(_ x: Tensor, into y: Tensor) {
        let px = ptr(x), py = ptr(y)
        parallelFor(x.count, grain: 1 << 14) { r in
            for i in r {
                let v = px[i]
                py[i] = 0.5 * v * (1 + erfPolynomial(v * 0.70710678118654752))
            }
        }
    }

    public func geluBackward(x: Tensor, dy: Tensor, into dx: Tensor) {
        let px = ptr(x), pdy = ptr(dy), pdx = ptr(dx)
        // In place (dx == dy) gets its own loop: with three pointers, two of them equal, the
        // vectorizer's overlap check fails and it would fall back to scalar code (5x slower).
        let inPlace = pdx == pdy
        parallelFor(x.count, grain: 1 << 14) { r in
            if inPlace {
                for i in r {
                    let v = px[i]
                    let (erf, gaussian) = erfHalfAndGaussian(v)
                    pdx[i] *= 0.5 * (1 + erf) + v * gaussian * 0.39894228040143268
                }
            } else {
                for i in r {
                    let v = px[i]
                    let (erf, gaussian) = erfHalfAndGaussian(v)
                    pdx[i] = pdy[i] * (0.5 * (1 + erf) + v * gaussian * 0.39894228040143268)
                }
            }
        }
    }

    public func layerNorm(_ x: Tensor, weight: Tensor, bias: Tensor, into y: Tensor,
                          mean: Tensor, rstd: Tensor, rows: Int, cols: Int, eps: Float) {
        let px = ptr(x), pw = ptr(weight), pb = ptr(bias), py = ptr(y), pm = ptr(mean), pr = ptr(rstd)
        let invN = 1 / Float(cols)
        parallelFor(rows, grain: max(1, 8192 / max(1, cols))) { r in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: cols) { buffer in
                let centred = buffer.baseAddress!
                for i in r {
                    let row = px + i * cols
                    // Two-pass statistics (mean, then squared deviations) for accuracy, each vectorized.
                    let mu = sumAndSquares(row, cols).0 * invN
                    for j in 0..<cols { centred[j] = row[j] - mu }
                    let rs = 1 / (dot(centred, centred, cols) * invN + eps).squareRoot()
                    pm[i] = mu
                    pr[i] = rs
                    let out = py + i * cols
                    for j in 0..<cols { out[j] = centred[j] * rs * pw[j] + pb[j] }
                }
            }
        }
    }

    public func layerNormBackward(dy: Tensor, x: Tensor, weight: Tensor, mean: Tensor, rstd: Tensor,
                                  dx: Tensor, dweight: Tensor, dbias: Tensor, rows: Int, cols: Int) {
        let pdy = ptr(dy), px = ptr(x), pw = ptr(weight), pm = ptr(mean), pr = ptr(rstd), pdx = ptr(dx)
        let workers = max(1, min(ThreadSettings.workers, rows))
        // Per-thread partial sums for the parameter gradients, reduced at the end.
        var partial = [Float](repeating: 0, count: workers * 2 * cols)
        let invN = 1 / Float(cols)
        partial.withUnsafeMutableBufferPointer { part in
            let base = part.baseAddress!
            let per = (rows + workers - 1) / workers
            DispatchQueue.concurrentPerform(iterations: workers) { t in
                let lo = t * per, hi = min(rows, lo + per)
                guard lo < hi else { return }
                let dw = base + t * 2 * cols, db = dw + cols
                withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * cols) { buffer in
                    let xhat = buffer.baseAddress!, gw = xhat + cols
                    for i in lo..<hi {
                        let row = px + i * cols, g = pdy + i * cols, out = pdx + i * cols
                        let mu = pm[i], rs = pr[i]
                        for j in 0..<cols {
                            xhat[j] = (row[j] - mu) * rs
                            gw[j] = g[j] * pw[j]
                            dw[j] += g[j] * xhat[j]
                            db[j] += g[j]
                        }
                        let mG = sumAndSquares(gw, cols).0 * invN, mGX = dot(gw, xhat, cols) * invN
                        for j in 0..<cols { out[j] += rs * (gw[j] - mG - xhat[j] * mGX) }
                    }
                }
            }
        }
        let pdw = ptr(dweight), pdb = ptr(dbias)
        for t in 0..<workers {
            for j in 0..<cols {
                pdw[j] += partial[t * 2 * cols + j]
                pdb[j] += partial[t * 2 * cols + cols + j]
            }
        }
    }

    public func softmax(_ x: Tensor, into y: Tensor, rows: Int, cols: Int) {
        let px = ptr(x), py = ptr(y)
        parallelFor(rows, grain: max(1, 4096 / max(1, cols))) { r in
            for i in r {
                softmaxRow(px + i * cols, py + i * cols, cols)
            }
        }
    }
}

/// `out = softmax(x)` over `n` values, stable (max subtracted); `out` may alias `x`.
@inline(__always)
func softmaxRow(_ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ n: Int) {
    var mx = -Float.infinity
    for j in 0..<n { mx = max(mx, x[j]) }
    var sum: Float = 0
    for j in 0..<n { let e = expNonPositive(x[j] - mx); out[j] = e; sum += e }
    let inv = 1 / sum
    for j in 0..<n { out[j] *= inv }
}

