/// Geometry of a windowed-attention call: `windows` windows of `tokens` tokens each, `heads` heads of
/// `headDim` channels; windows are grouped per image, `windowsPerImage` of them, so window `w` uses
/// shift-mask slice `w % windowsPerImage`.
public struct AttentionShape: Equatable {
    public var windows: Int
    public var tokens: Int
    public var heads: Int
    public var headDim: Int
    public var windowsPerImage: Int
    public var channels: Int { heads * headDim }
    public init(windows: Int, tokens: Int, heads: Int, headDim: Int, windowsPerImage: Int) {
        self.windows = windows; self.tokens = tokens; self.heads = heads
        self.headDim = headDim; self.windowsPerImage = windowsPerImage
    }
}

/// Geometry of a token grid in `[batch, height, width, channels]` layout.
public struct GridShape: Equatable {
    public var batch: Int
    public var height: Int
    public var width: Int
    public var channels: Int
    public init(batch: Int, height: Int, width: Int, channels: Int) {
        self.batch = batch; self.height = height; self.width = width; self.channels = channels
    }
    public var tokens: Int { batch * height * width }
    public var count: Int { tokens * channels }
}

/// Settings of one AdamW update (PyTorch semantics: decoupled weight decay, bias correction), with
/// gradient clipping by total L2 norm folded in.
public struct AdamWStep {
    public var learningRate: Float
    public var beta1: Float = 0.9
    public var beta2: Float = 0.999
    public var epsilon: Float = 1e-8
    public var weightDecay: Float = 0.05
    /// 1-based step number, for bias correction.
    public var step: Int
    /// Gradients are scaled by `min(1, maxGradNorm / (norm + 1e-6))` first; `nil` disables clipping.
    public var maxGradNorm: Float?
    public init(learningRate: Float, step: Int, maxGradNorm: Float? = 5,
                beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-8, weightDecay: Float = 0.05) {
        self.learningRate = learningRate; self.step = step; self.maxGradNorm = maxGradNorm
        self.beta1 = beta1; self.beta2 = beta2; self.epsilon = epsilon; self.weightDecay = weightDecay
    }
}

/// A compute device: owns tensor storage and runs every operation the model, the losses and the
/// optimizer need, forward and backward.
///
/// Contract, for every backend:
/// - All tensors are fp32, row-major, and belong to this device. Shapes are given explicitly where a
///   call could not infer them; callers check shapes once at their public boundary.
/// - Operations are issued in order; a result is visible to every later call. `read` waits for all
///   earlier work. Nothing else returns host data, so a GPU backend runs a whole step without a sync
///   other than the scalars the caller reads.
/// - "accumulate" means `+=` into the destination, the way gradients are gathered (llm.c style); all
///   parameter-gradient outputs accumulate.
/// - Errors from the device itself (out of memory, a lost device) are thrown from `read`/`allocate`,
///   never trapped.
public protocol Device: AnyObject {
    /// Short backend name (`cpu`, `opencl`).
    var backendName: String { get }
    /// The concrete device, for logs and benchmarks (CPU model, GPU name).
    var deviceDescription: String { get }

    // MARK: Memory
    /// A zero-filled tensor.
    func makeTensor(_ shape: [Int]) throws -> Tensor
    /// A tensor whose contents are unspecified, for outputs an op overwrites completely (saves
    /// the zero-fill on hot paths). Never pass one as an accumulation target.
    func makeUninitialized(_ shape: [Int]) throws -> Tensor
    /// Returns the memory cached for reuse by freed tensors to the system, e.g. after an
    /// evaluation whose batch size differs from training; returns how many bytes that was.
    @discardableResult func releaseIdleMemory() -> Int
    /// Copies host values into `tensor` (counts must match).
    func write(_ values: [Float], to tensor: Tensor) throws
    /// Copies a tensor's values to the host, waiting for pending work.
    func read(_ tensor: Tensor) throws -> [Float]
    func fill(_ tensor: Tensor, with value: Float)
    func copy(_ source: Tensor, to destination: Tensor)

    // MARK: Matrix products
    /// Batched row-major GEMM: `C_i = alpha * op(A_i) op(B_i) + beta * C_i` for `i < batch`, where
    /// `op(A_i)` is `m x k`, `op(B_i)` is `k x n`, and `A_i` starts `strideA * i` elements after `a`.
    func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
              a: Tensor, lda: Int, strideA: Int, b: Tensor, ldb: Int, strideB: Int,
              beta: Float, c: Tensor, ldc: Int, strideC: Int, batch: Int)

    // MARK: Elementwise
    /// `x[r, c] += bias[c]` for a `rows x cols` matrix.
    func addBias(_ x: Tensor, bias: Tensor, rows: Int, cols: Int)
    /// `into[c] (+)= sum_r x[r, c]`: bias gradients.
    func sumRows(_ x: Tensor, rows: Int, cols: Int, into: Tensor, accumulate: Bool)
    /// `y += alpha * x` over all elements.
    func axpy(alpha: Float, x: Tensor, y: Tensor)
    /// `y[s, :] (+)= scales[s] * x[s, :]` for `scales.count` equal-sized samples: residual branches
    /// under per-sample drop-path, and their backward.
    func scaleSamples(_ x: Tensor, scales: [Float], into y: Tensor, accumulate: Bool)
    /// Exact (erf) GELU.
    func gelu(_ x: Tensor, into y: Tensor)
    /// `dx = dy * gelu'(x)`; `dx` may alias `dy`.
    func geluBackward(x: Tensor, dy: Tensor, into dx: Tensor)

    // MARK: Normalization and softmax
    /// Layer norm over the last axis of a `rows x cols` matrix; saves per-row mean and 1/std.
    func layerNorm(_ x: Tensor, weight: Tensor, bias: Tensor, into y: Tensor,
                   mean: Tensor, rstd: Tensor, rows: Int, cols: Int, eps: Float)
    /// Accumulates `dx`, `dweight`, `dbias` from `dy`.
    func layerNormBackward(dy: Tensor, x: Tensor, weight: Tensor, mean: Tensor, rstd: Tensor,
                           dx: Tensor, dweight: Tensor, dbias: Tensor, rows: Int, cols: Int)
    /// Row softmax of a `rows x cols` matrix.
    func softmax(_ x: Tensor, into y: Tensor, rows: Int, cols: Int)

    // MARK: Window attention
    /// `out[heads, N, N] = table[index[n, m], h]`: the relative position bias of every head.
    func gatherRelativeBias(table: Tensor, index: Tensor, into out: Tensor, heads: Int, tokens: Int)
    /// Fused window attention. `qkv` is `[windows * N, 3C]` (q, k, v blocks, each head-major),
    /// `bias` `[heads, N, N]`, `mask` `[windowsPerImage, N, N]` or nil. Writes `out [windows * N, C]`
    /// (heads concatenated) and the probabilities `probs [windows, heads, N, N]` for backward.
    func windowAttention(qkv: Tensor, bias: Tensor, mask: Tensor?, scale: Float, shape: AttentionShape,
                         out: Tensor, probs: Tensor)
    /// Backward of `windowAttention`: writes `dqkv`, and overwrites `probs` with the score gradient
    /// `dS [windows, heads, N, N]` (the probabilities are not needed after this call).
    func windowAttentionBackward(dout: Tensor, qkv: Tensor, probs: Tensor, scale: Float,
                                 shape: AttentionShape, dqkv: Tensor)
    /// `dtable[index[n, m], h] += sum_w dS[w, h, n, m]`.
    func relativeBiasBackward(dScores: Tensor, index: Tensor, dtable: Tensor, shape: AttentionShape)

    // MARK: Layouts
    /// Cyclic shift by `-shift` on both axes, then partition into `window x window` windows:
    /// `[B, H, W, C] -> [B * nW, window^2, C]`; with `accumulate` adds into `windows`.
    func windowPartition(_ x: Tensor, grid: GridShape, window: Int, shift: Int, into windows: Tensor, accumulate: Bool)
    /// Inverse of `windowPartition` (windows back to the grid, shift by `+shift`).
    func windowMerge(_ windows: Tensor, grid: GridShape, window: Int, shift: Int, into x: Tensor, accumulate: Bool)
    /// Swin patch merging gather: `[B, H, W, C] -> [B, H/2, W/2, 4C]` in the order
    /// `x[0::2, 0::2], x[1::2, 0::2], x[0::2, 1::2], x[1::2, 1::2]`.
    func patchMerge(_ x: Tensor, grid: GridShape, into out: Tensor)
    /// Backward of `patchMerge`, accumulating into `dx`.
    func patchMergeBackward(_ dout: Tensor, grid: GridShape, into dx: Tensor)
    /// Non-overlapping `patch x patch` patches of NCHW images as rows:
    /// `[B, C, H, W] -> [B * (H/p) * (W/p), C * p * p]`, columns ordered `(c, ky, kx)` like a conv weight.
    func patchify(_ images: Tensor, batch: Int, channels: Int, height: Int, width: Int, patch: Int, into out: Tensor)
    /// Mirrors the last axis of `[rows, width]` data (images as `[B * C * H, W]`, maps as rows).
    func flipLastAxis(_ x: Tensor, rows: Int, width: Int, into y: Tensor)

    // MARK: Reductions
    /// `out[b, c] = mean_n x[b, n, c]`.
    func meanTokens(_ x: Tensor, batch: Int, tokens: Int, channels: Int, into out: Tensor)
    /// `dx[b, n, c] += dout[b, c] / tokens`.
    func meanTokensBackward(_ dout: Tensor, batch: Int, tokens: Int, channels: Int, into dx: Tensor)
    /// `out[0] (+)= sum x^2`, staying on the device (gradient norms).
    func sumOfSquares(_ x: Tensor, into out: Tensor, accumulate: Bool)

    // MARK: Losses
    /// Soft-target cross-entropy per sample: `losses[b] = -sum_c t[b, c] log_softmax(z[b])_c`, and
    /// `dlogits[b] = gradScale * (softmax(z[b]) - t[b]) * sum_c t[b, c]`.
    func softTargetCrossEntropy(logits: Tensor, targets: Tensor, batch: Int, classes: Int,
                                gradScale: Float, losses: Tensor, dlogits: Tensor)
    /// Re-balanced attention consistency between the maps of `batch` images (`cams[0..<batch]`) and
    /// of their flips (`cams[batch..<2 batch]`), maps `[2 batch, H*W, K]` token-major.
    /// `losses[b] = sum_k w_k mean_{i,j} (m[b, i, j, k] - m'[b, i, W-1-j, k])^2`; gradients for both
    /// halves are written to `dcams` scaled by `gradScale`.
    func attentionConsistency(cams: Tensor, classWeights: Tensor, batch: Int, height: Int, width: Int,
                              classes: Int, gradScale: Float, losses: Tensor, dcams: Tensor)

    // MARK: Optimizer
    /// One AdamW update of the flat parameter buffer from the flat gradient buffer, with the first
    /// and second moments `m`, `v`; clipping uses `gradNormSquared[0]` (from `sumOfSquares`).
    func adamW(parameters: Tensor, gradients: Tensor, m: Tensor, v: Tensor,
               gradNormSquared: Tensor, settings: AdamWStep)
}

extension Device {
    /// Backends without a cheaper path hand out zero-filled tensors.
    public func makeUninitialized(_ shape: [Int]) throws -> Tensor { try makeTensor(shape) }
    /// Backends without a cache have nothing to release.
    @discardableResult public func releaseIdleMemory() -> Int { 0 }
}
