/// A fully connected layer `y = x W^T + b` on `rows x inFeatures` inputs, over parameter views.
struct Linear {
    let weight: Tensor, dWeight: Tensor
    let bias: Tensor?, dBias: Tensor?
    let inFeatures: Int, outFeatures: Int

    init(_ params: ParameterStore, _ prefix: String, bias hasBias: Bool = true) {
        weight = params.value(prefix + ".weight")
        dWeight = params.gradient(prefix + ".weight")
        bias = hasBias ? params.value(prefix + ".bias") : nil
        dBias = hasBias ? params.gradient(prefix + ".bias") : nil
        outFeatures = weight.shape[0]
        inFeatures = weight.count / outFeatures
    }

    func forward(_ d: Device, _ x: Tensor, rows: Int, into y: Tensor) {
        d.gemm(transA: false, transB: true, m: rows, n: outFeatures, k: inFeatures, alpha: 1,
               a: x, lda: inFeatures, strideA: 0, b: weight, ldb: inFeatures, strideB: 0,
               beta: 0, c: y, ldc: outFeatures, strideC: 0, batch: 1)
        if let bias { d.addBias(y, bias: bias, rows: rows, cols: outFeatures) }
    }

    /// Accumulates the parameter gradients; writes `dx` when given.
    func backward(_ d: Device, dy: Tensor, x: Tensor, rows: Int, dx: Tensor?) {
        d.gemm(transA: true, transB: false, m: outFeatures, n: inFeatures, k: rows, alpha: 1,
               a: dy, lda: outFeatures, strideA: 0, b: x, ldb: inFeatures, strideB: 0,
               beta: 1, c: dWeight, ldc: inFeatures, strideC: 0, batch: 1)
        if let dBias { d.sumRows(dy, rows: rows, cols: outFeatures, into: dBias, accumulate: true) }
        if let dx {
            d.gemm(transA: false, transB: false, m: rows, n: inFeatures, k: outFeatures, alpha: 1,
                   a: dy, lda: outFeatures, strideA: 0, b: weight, ldb: inFeatures, strideB: 0,
                   beta: 0, c: dx, ldc: inFeatures, strideC: 0, batch: 1)
        }
    }
}

/// LayerNorm over the last axis, with the per-row statistics its backward needs.
struct LayerNormLayer {
    let weight: Tensor, bias: Tensor, dWeight: Tensor, dBias: Tensor
    let features: Int
    let eps: Float

    init(_ params: ParameterStore, _ prefix: String, eps: Float) {
        weight = params.value(prefix + ".weight"); bias = params.value(prefix + ".bias")
        dWeight = params.gradient(prefix + ".weight"); dBias = params.gradient(prefix + ".bias")
        features = weight.count
        self.eps = eps
    }

    struct Saved { let x: Tensor; let mean: Tensor; let rstd: Tensor; let rows: Int }

    func forward(_ d: Device, _ x: Tensor, rows: Int, into y: Tensor) throws -> Saved {
        let mean = try d.makeUninitialized([rows]), rstd = try d.makeUninitialized([rows])
        d.layerNorm(x, weight: weight, bias: bias, into: y, mean: mean, rstd: rstd, rows: rows, cols: features, eps: eps)
        return Saved(x: x, mean: mean, rstd: rstd, rows: rows)
    }

    /// Accumulates into `dx` and the parameter gradients.
    func backward(_ d: Device, dy: Tensor, saved: Saved, dx: Tensor) {
        d.layerNormBackward(dy: dy, x: saved.x, weight: weight, mean: saved.mean, rstd: saved.rstd,
                            dx: dx, dweight: dWeight, dbias: dBias, rows: saved.rows, cols: features)
    }
}
