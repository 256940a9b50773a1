import Foundation

/// Operation families reported by `fer bench`'s per-operation breakdown.
public enum OpCategory: String, CaseIterable, Sendable {
    case matmul, attention, norms, elementwise, layouts, loss, optimizer, memory
}

/// A `Device` decorator that times every operation by family. Each call waits for the wrapped
/// device to finish (`synchronize`), so the numbers are per-op wall times; use it for measurement,
/// not for production runs.
public final class ProfiledDevice: Device {
    public let base: Device
    public private(set) var seconds: [OpCategory: Double] = [:]
    public private(set) var calls: [OpCategory: Int] = [:]
    /// Seconds per individual operation (`gemm`, `layerNorm`, ...).
    public private(set) var operationSeconds: [String: Double] = [:]
    /// Floating-point operations issued through `gemm`.
    public private(set) var gemmFlops: Double = 0
    /// Seconds per GEMM shape (`m x n x k`, transposes, batch), to find the slow products.
    public private(set) var gemmShapeSeconds: [String: Double] = [:]
    private let synchronize: () -> Void

    /// - Parameter synchronize: waits until the wrapped device has finished its queued work.
    public init(_ base: Device, synchronize: @escaping () -> Void = {}) {
        self.base = base
        self.synchronize = synchronize
    }

    public func reset() { seconds = [:]; calls = [:]; operationSeconds = [:]; gemmFlops = 0; gemmShapeSeconds = [:] }

    @inline(__always)
    private func timed<T>(_ category: OpCategory, function: String = #function, _ body: () throws -> T) rethrows -> T {
        let start = DispatchTime.now().uptimeNanoseconds
        let result = try body()
        synchronize()
        let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
        seconds[category, default: 0] += elapsed
        operationSeconds[String(function.prefix { $0 != "(" }), default: 0] += elapsed
        calls[category, default: 0] += 1
        return result
    }

    public var backendName: String { base.backendName }
    public var deviceDescription: String { base.deviceDescription }

    public func makeTensor(_ shape: [Int]) throws -> Tensor { try timed(.memory) { try base.makeTensor(shape) } }
    public func makeUninitialized(_ shape: [Int]) throws -> Tensor { try timed(.memory) { try base.makeUninitialized(shape) } }
    @discardableResult public func releaseIdleMemory() -> Int { base.releaseIdleMemory() }
    public func write(_ values: [Float], to tensor: Tensor) throws { try timed(.memory) { try base.write(values, to: tensor) } }
    public func read(_ tensor: Tensor) throws -> [Float] { try timed(.memory) { try base.read(tensor) } }
    public func fill(_ tensor: Tensor, with value: Float) { timed(.memory) { base.fill(tensor, with: value) } }
    public func copy(_ source: Tensor, to destination: Tensor) { timed(.memory) { base.copy(source, to: destination) } }

    public func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float, a: Tensor, lda: Int, strideA: Int,
                     b: Tensor, ldb: Int, strideB: Int, beta: Float, c: Tensor, ldc: Int, strideC: Int, batch: Int) {
        gemmFlops += 2 * Double(m) * Double(n) * Double(k) * Double(batch)
        let start = DispatchTime.now().uptimeNanoseconds
        defer {
            let key = "\(m)x\(n)x\(k)\(transA ? " tA" : "")\(transB ? " tB" : "")\(batch > 1 ? " b\(batch)" : "")"
            gemmShapeSeconds[key, default: 0] += Double(DispatchTime.now().uptimeNanoseconds - start) * 1e-9
        }
        timed(.matmul) {
            base.gemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, strideA: strideA,
                      b: b, ldb: ldb, strideB: strideB, beta: beta, c: c, ldc: ldc, strideC: strideC, batch: batch)
        }
    }

    public func addBias(_ x: Tensor, bias: Tensor, rows: Int, cols: Int) { timed(.elementwise) { base.addBias(x, bias: bias, rows: rows, cols: cols) } }
    public func sumRows(_ x: Tensor, rows: Int, cols: Int, into: Tensor, accumulate: Bool) {
        timed(.elementwise) { base.sumRows(x, rows: rows, cols: cols, into: into, accumulate: accumulate) }
    }
    public func axpy(alpha: Float, x: Tensor, y: Tensor) { timed(.elementwise) { base.axpy(alpha: alpha, x: x, y: y) } }
    public func scaleSamples(_ x: Tensor, scales: [Float], into y: Tensor, accumulate: Bool) {
        timed(.elementwise) { base.scaleSamples(x, scales: scales, into: y, accumulate: accumulate) }
    }
    public func gelu(_ x: Tensor, into y: Tensor) { timed(.elementwise) { base.gelu(x, into: y) } }
    public func geluBackward(x: Tensor, dy: Tensor, into dx: Tensor) { timed(.elementwise) { base.geluBackward(x: x, dy: dy, into: dx) } }

    public func layerNorm(_ x: Tensor, weight: Tensor, bias: Tensor, into y: Tensor, mean: Tensor, rstd: Tensor, rows: Int, cols: Int, eps: Float) {
        timed(.norms) { base.layerNorm(x, weight: weight, bias: bias, into: y, mean: mean, rstd: rstd, rows: rows, cols: cols, eps: eps) }
    }
    public func layerNormBackward(dy: Tensor, x: Tensor, weight: Tensor, mean: Tensor, rstd: Tensor, dx: Tensor, dweight: Tensor, dbias: Tensor, rows: Int, cols: Int) {
        timed(.norms) { base.layerNormBackward(dy: dy, x: x, weight: weight, mean: mean, rstd: rstd, dx: dx, dweight: dweight, dbias: dbias, rows: rows, cols: cols) }
    }
    public func softmax(_ x: Tensor, into y: Tensor, rows: Int, cols: Int) { timed(.norms) { base.softmax(x, into: y, rows: rows, cols: cols) } }

    public func gatherRelativeBias(table: Tensor, index: Tensor, into out: Tensor, heads: Int, tokens: Int) {
        timed(.attention) { base.gatherRelativeBias(table: table, index: index, into: out, heads: heads, tokens: tokens) }
    }
    public func windowAttention(qkv: Tensor, bias: Tensor, mask: Tensor?, scale: Float, shape: AttentionShape, out: Tensor, probs: Tensor) {
        timed(.attention) { base.windowAttention(qkv: qkv, bias: bias, mask: mask, scale: scale, shape: shape, out: out, probs: probs) }
    }
    public func windowAttentionBackward(dout: Tensor, qkv: Tensor, probs: Tensor, scale: Float, shape: AttentionShape, dqkv: Tensor) {
        timed(.attention) { base.windowAttentionBackward(dout: dout, qkv: qkv, probs: probs, scale: scale, shape: shape, dqkv: dqkv) }
    }
    public func relativeBiasBackward(dScores: Tensor, index: Tensor, dtable: Tensor, shape: AttentionShape) {
        timed(.attention) { base.relativeBiasBackward(dScores: dScores, index: index, dtable: dtable, shape: shape) }
    }

    public func windowPartition(_ x: Tensor, grid: GridShape, window: Int, shift: Int, into windows: Tensor, accumulate: Bool) {
        timed(.layouts) { base.windowPartition(x, grid: grid, window: window, shift: shift, into: windows, accumulate: accumulate) }
    }
    public func windowMerge(_ windows: Tensor, grid: GridShape, window: Int, shift: Int, into x: Tensor, accumulate: Bool) {
        timed(.layouts) { base.windowMerge(windows, grid: grid, window: window, shift: shift, into: x, accumulate: accumulate) }
    }
    public func patchMerge(_ x: Tensor, grid: GridShape, into out: Tensor) { timed(.layouts) { base.patchMerge(x, grid: grid, into: out) } }
    public func patchMergeBackward(_ dout: Tensor, grid: GridShape, into dx: Tensor) { timed(.layouts) { base.patchMergeBackward(dout, grid: grid, into: dx) } }
    public func patchify(_ images: Tensor, batch: Int, channels: Int, height: Int, width: Int, patch: Int, into out: Tensor) {
        timed(.layouts) { base.patchify(images, batch: batch, channels: channels, height: height, width: width, patch: patch, into: out) }
    }
    public func flipLastAxis(_ x: Tensor, rows: Int, width: Int, into y: Tensor) { timed(.layouts) { base.flipLastAxis(x, rows: rows, width: width, into: y) } }

    public func meanTokens(_ x: Tensor, batch: Int, tokens: Int, channels: Int, into out: Tensor) {
        timed(.elementwise) { base.meanTokens(x, batch: batch, tokens: tokens, channels: channels, into: out) }
    }
    public func meanTokensBackward(_ dout: Tensor, batch: Int, tokens: Int, channels: Int, into dx: Tensor) {
        timed(.elementwise) { base.meanTokensBackward(dout, batch: batch, tokens: tokens, channels: channels, into: dx) }
    }
    public func sumOfSquares(_ x: Tensor, into out: Tensor, accumulate: Bool) { timed(.optimizer) { base.sumOfSquares(x, into: out, accumulate: accumulate) } }

    public func softTargetCrossEntropy(logits: Tensor, targets: Tensor, batch: Int, classes: Int, gradScale: Float, losses: Tensor, dlogits: Tensor) {
        timed(.loss) { base.softTargetCrossEntropy(logits: logits, targets: targets, batch: batch, classes: classes, gradScale: gradScale, losses: losses, dlogits: dlogits) }
    }
    public func attentionConsistency(cams: Tensor, classWeights: Tensor, batch: Int, height: Int, width: Int, classes: Int, gradScale: Float, losses: Tensor, dcams: Tensor) {
        timed(.loss) { base.attentionConsistency(cams: cams, classWeights: classWeights, batch: batch, height: height, width: width, classes: classes, gradScale: gradScale, losses: losses, dcams: dcams) }
    }
    public func adamW(parameters: Tensor, gradients: Tensor, m: Tensor, v: Tensor, gradNormSquared: Tensor, settings: AdamWStep) {
        timed(.optimizer) { base.adamW(parameters: parameters, gradients: gradients, m: m, v: v, gradNormSquared: gradNormSquared, settings: settings) }
    }
}
