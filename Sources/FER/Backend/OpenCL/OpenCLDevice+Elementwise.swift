import COpenCL

/// Bias, residual, activation, normalization and softmax ops of the OpenCL backend
/// (kernels/activations.cl, kernels/norms.cl, column sums from kernels/reductions.cl).
extension OpenCLDevice {
    public func addBias(_ x: Tensor, bias: Tensor, rows: Int, cols: Int) {
        launch2D("add_bias", cols, rows, [.tensor(x), .tensor(bias), .int(rows), .int(cols)])
    }

    /// Rows per chunk of the two-pass column sums.
    static let rowsPerChunk = 32

    public func sumRows(_ x: Tensor, rows: Int, cols: Int, into: Tensor, accumulate: Bool) {
        guard cols > 0 else { return }
        run {
            let chunks = max(1, (rows + Self.rowsPerChunk - 1) / Self.rowsPerChunk)
            let partial = try scratch(chunks * cols)
            if rows == 0 { fill(partial, with: 0) }
            launch2D("column_partials", cols, chunks, [.tensor(x), .int(rows), .int(cols), .int(Self.rowsPerChunk),
                                                       .tensor(partial), .int(cols)])
            launch1D("column_reduce", cols, [.tensor(partial), .int(cols), .int(chunks), .int(cols), .tensor(into),
                                             .int(accumulate ? 1 : 0)])
        }
    }

    public func axpy(alpha: Float, x: Tensor, y: Tensor) {
        precondition(x.count == y.count, "axpy of \(x.count) elements onto \(y.count)")
        launch1D("axpy", x.count, [.float(alpha), .tensor(x), .tensor(y), .int(x.count)])
    }

    public func scaleSamples(_ x: Tensor, scales: [Float], into y: Tensor, accumulate: Bool) {
        precondition(x.count == y.count && x.count % max(1, scales.count) == 0, "scaleSamples shapes")
        guard !scales.isEmpty, x.count > 0 else { return }
        run {
            let staging = try pool.makeStaging(scales)
            defer { clReleaseMemObject(staging) }
            try runtime.launch("scale_samples", global: [x.count], local: [tuning.elementGroup],
                               [.tensor(x), .mem(staging), .tensor(y), .int(x.count / scales.count), .int(x.count),
                                .int(accumulate ? 1 : 0)])
        }
    }

    public func gelu(_ x: Tensor, into y: Tensor) {
        precondition(x.count == y.count, "gelu of \(x.count) elements into \(y.count)")
        launch1D("gelu_forward", x.count, [.tensor(x), .tensor(y), .int(x.count)])
    }

    public func geluBackward(x: Tensor, dy: Tensor, into dx: Tensor) {
        precondition(x.count == dy.count && x.count == dx.count, "geluBackward shapes")
        launch1D("gelu_backward", x.count, [.tensor(x), .tensor(dy), .tensor(dx), .int(x.count)])
    }

    public func layerNorm(_ x: Tensor, weight: Tensor, bias: Tensor, into y: Tensor,
                          mean: Tensor, rstd: Tensor, rows: Int, cols: Int, eps: Float) {
        if tuning.rowKernels {
            launch1D("layer_norm_forward_rows", rows, [.tensor(x), .tensor(weight), .tensor(bias), .tensor(y), .tensor(mean),
                                                       .tensor(rstd), .int(rows), .int(cols), .float(eps)])
            return
        }
        let g = tuning.normGroup
        launch("layer_norm_forward", global: [rows * g], local: [g],
               [.tensor(x), .tensor(weight), .tensor(bias), .tensor(y), .tensor(mean), .tensor(rstd), .int(cols), .float(eps)])
    }

    public func layerNormBackward(dy: Tensor, x: Tensor, weight: Tensor, mean: Tensor, rstd: Tensor,
                                  dx: Tensor, dweight: Tensor, dbias: Tensor, rows: Int, cols: Int) {
        guard rows > 0, cols > 0 else { return }
        if tuning.rowKernels {
            launch1D("layer_norm_backward_dx_rows", rows, [.tensor(dy), .tensor(x), .tensor(weight), .tensor(mean),
                                                           .tensor(rstd), .tensor(dx), .int(rows), .int(cols)])
        } else {
            let g = tuning.normGroup
            launch("layer_norm_backward_dx", global: [rows * g], local: [g],
                   [.tensor(dy), .tensor(x), .tensor(weight), .tensor(mean), .tensor(rstd), .tensor(dx), .int(cols)])
        }
        run {
            let chunks = (rows + Self.rowsPerChunk - 1) / Self.rowsPerChunk
            let partial = try scratch(chunks * 2 * cols)
            launch2D("layer_norm_param_partials", cols, chunks,
                     [.tensor(dy), .tensor(x), .tensor(mean), .tensor(rstd), .int(rows), .int(cols),
                      .int(Self.rowsPerChunk), .tensor(partial)])
            launch1D("column_reduce", cols, [.tensor(partial), .int(2 * cols), .int(chunks), .int(cols),
                                             .tensor(dweight), .int(1)])
            let biasPart = partial.slice(start: cols, shape: [chunks * 2 * cols - cols])
            launch1D("column_reduce", cols, [.tensor(biasPart), .int(2 * cols), .int(chunks), .int(cols),
                                             .tensor(dbias), .int(1)])
        }
    }

    public func softmax(_ x: Tensor, into y: Tensor, rows: Int, cols: Int) {
        launch1D("softmax_rows", rows, [.tensor(x), .tensor(y), .int(rows), .int(cols)])
    }
}
