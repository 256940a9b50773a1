import COpenCL
import Foundation

/// The OpenCL backend: every `Device` operation as a kernel of kernels/ on one OpenCL device (a GPU,
/// or the CPU through PoCL), on one in-order queue, with buffers from a pool.
///
/// Contract beyond `Device`'s:
/// - No operation waits for the device except `read` (and `write` never waits either: host data
///   goes through a staging buffer filled at creation). A training step issues all its kernels
///   and waits only when it reads its loss.
/// - Sticky error: an OpenCL failure inside a non-throwing operation is recorded (the first one
///   only), every later operation is skipped, and `read`, `write` and `makeTensor` throw the
///   recorded error from then on. `error` shows it without throwing. Shape mismatches are
///   programming errors and stop the program, as on the CPU backend.
/// - Not thread-safe for concurrent operations (neither is a queue's kernel-argument state);
///   tensors may be released on any thread.
public final class OpenCLDevice: Device {
    public let backendName = "opencl"
    public let deviceDescription: String
    /// The device this backend runs on.
    public let info: OpenCLDeviceInfo
    let runtime: OpenCLRuntime
    let pool: OpenCLBufferPool
    /// The kernel parameters in use (from the tile table unless given to `init`).
    public var tuning: OpenCLTuning { runtime.tuning }
    /// Which GEMM family runs. Both families are built into every program, so tests can run the
    /// GPU-shaped kernels on a CPU device and the other way round.
    var gemmFamily: OpenCLTuning.GemmFamily
    private let errorLock = NSLock()
    private var firstError: Error?

    /// Every OpenCL device on this machine, across platforms; `index` is what `init(deviceIndex:)`
    /// and `--device N` take. Empty when no OpenCL platform is installed.
    public static func listDevices() throws -> [OpenCLDeviceInfo] { try OpenCLRuntime.listDevices() }

    /// Opens device `deviceIndex` (nil: the first GPU, else the first device) and builds the kernels
    /// with `tuning` (nil: the tile table's entry for the device).
    public init(deviceIndex: Int? = nil, tuning: OpenCLTuning? = nil) throws {
        let devices = try OpenCLRuntime.listDevices()
        guard !devices.isEmpty else { throw OpenCLError.noPlatform }
        let chosen: OpenCLDeviceInfo
        if let i = deviceIndex {
            guard devices.indices.contains(i) else { throw OpenCLError.noDevice(index: i, available: devices.count) }
            chosen = devices[i]
        } else {
            chosen = devices.first(where: { $0.isGPU }) ?? devices[0]
        }
        var t = tuning ?? OpenCLTuning.forDevice(chosen)
        t.fit(maxWorkGroupSize: chosen.maxWorkGroupSize)
        info = chosen
        runtime = try OpenCLRuntime(device: chosen, tuning: t)
        pool = OpenCLBufferPool(context: runtime.context)
        gemmFamily = t.gemm
        deviceDescription = "\(chosen.name) (\(chosen.type), \(chosen.platform); kernels \(t))"
    }

    /// The recorded (sticky) error, if an operation has failed.
    public var error: Error? {
        errorLock.lock(); defer { errorLock.unlock() }
        return firstError
    }

    /// Runs `body` unless an error is already recorded; records its error if it throws.
    func run(_ body: () throws -> Void) {
        guard error == nil else { return }
        do { try body() } catch {
            errorLock.lock()
            if firstError == nil { firstError = error }
            errorLock.unlock()
        }
    }

    func throwIfFailed() throws {
        if let e = error { throw e }
    }

    /// Enqueues kernel `name` (see `OpenCLRuntime.launch`), recording a failure.
    func launch(_ name: String, global: [Int], local: [Int], _ args: [KernelArgument]) {
        run { try runtime.launch(name, global: global, local: local, args) }
    }

    /// A 1-D launch of one work-item per element.
    func launch1D(_ name: String, _ n: Int, _ args: [KernelArgument]) {
        launch(name, global: [n], local: [tuning.elementGroup], args)
    }

    /// A 2-D launch over `(x, y)` work-items.
    func launch2D(_ name: String, _ x: Int, _ y: Int, _ args: [KernelArgument]) {
        let lx = min(32, tuning.elementGroup)
        launch(name, global: [x, y], local: [lx, max(1, tuning.elementGroup / lx / 4)], args)
    }

    /// A pooled scratch buffer of `count` floats (contents undefined).
    func scratch(_ count: Int) throws -> Tensor {
        Tensor(buffer: try pool.obtain(count: count), shape: [count])
    }

    // MARK: Memory

    public func makeTensor(_ shape: [Int]) throws -> Tensor {
        try throwIfFailed()
        let count = shape.reduce(1, *)
        guard count <= Int(Int32.max) else {
            throw OpenCLError.unsupported("a tensor of shape \(describe(shape: shape)) exceeds 2^31 elements")
        }
        let t = Tensor(buffer: try pool.obtain(count: count), shape: shape)
        fill(t, with: 0)
        try throwIfFailed()
        return t
    }

    public func write(_ values: [Float], to tensor: Tensor) throws {
        precondition(values.count == tensor.count, "write of \(values.count) values into a tensor of \(tensor.count)")
        try throwIfFailed()
        guard !values.isEmpty else { return }
        let destination = try runtime.mem(of: tensor)
        let staging = try pool.makeStaging(values)
        defer { clReleaseMemObject(staging) }
        try clCheck(clEnqueueCopyBuffer(runtime.queue, staging, destination, 0, tensor.offset * 4, values.count * 4, 0, nil, nil),
                    "clEnqueueCopyBuffer(write)")
    }

    public func read(_ tensor: Tensor) throws -> [Float] {
        try throwIfFailed()
        var out = [Float](repeating: 0, count: tensor.count)
        guard !out.isEmpty else {
            try clCheck(clFinish(runtime.queue), "clFinish")
            return out
        }
        let source = try runtime.mem(of: tensor)
        do {
            try out.withUnsafeMutableBytes { raw in
                try clCheck(clEnqueueReadBuffer(runtime.queue, source, cl_bool(CL_TRUE), tensor.offset * 4, raw.count,
                                                raw.baseAddress, 0, nil, nil), "clEnqueueReadBuffer")
            }
        } catch {
            run { throw error }
            throw error
        }
        return out
    }

    public func fill(_ tensor: Tensor, with value: Float) {
        launch1D("fill", tensor.count, [.tensor(tensor), .int(tensor.count), .float(value)])
    }

    public func copy(_ source: Tensor, to destination: Tensor) {
        precondition(source.count == destination.count, "copy of \(source.count) elements into \(destination.count)")
        launch1D("copy_elements", source.count, [.tensor(source), .tensor(destination), .int(source.count)])
    }

    /// Waits for every enqueued command; throws the sticky error or the queue's failure.
    public func synchronize() throws {
        try throwIfFailed()
        try clCheck(clFinish(runtime.queue), "clFinish")
    }

    /// Releases the pool's idle buffers to the driver (it frees each once the commands using it
    /// have finished).
    @discardableResult public func releaseIdleMemory() -> Int { pool.trim() }

    /// Pool statistics: bytes held by live tensors and bytes cached for reuse.
    public var memoryInUse: (live: Int, cached: Int) { (pool.liveBytes, pool.cachedBytes) }

    // MARK: Matrix products

    public func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                     a: Tensor, lda: Int, strideA: Int, b: Tensor, ldb: Int, strideB: Int,
                     beta: Float, c: Tensor, ldc: Int, strideC: Int, batch: Int) {
        guard m > 0, n > 0, batch > 0 else { return }
        run {
            let am = try runtime.mem(of: a), bm = try runtime.mem(of: b), cm = try runtime.mem(of: c)
            if gemmFamily == .registerBlocked && transB && k > 0 {
                // op(B) = B^T: copy B^T out once, then the outer-product kernel (see transpose_rows).
                let bt = try scratch(batch * k * n)
                try runtime.launch("transpose_rows", global: [k, batch], local: [min(64, tuning.elementGroup), 1],
                                   [.tensor(b), .int(ldb), .int(strideB), .int(n), .int(k), .tensor(bt)])
                return gemm(transA: transA, transB: false, m: m, n: n, k: k, alpha: alpha, a: a, lda: lda, strideA: strideA,
                            b: bt, ldb: n, strideB: k * n, beta: beta, c: c, ldc: ldc, strideC: strideC, batch: batch)
            }
            let splits = splitCount(m: m, n: n, k: k, batch: batch)
            guard splits > 1 else {
                try gemmLaunch(transA, transB, m, n, k, alpha, am, a.offset, lda, strideA, bm, b.offset, ldb, strideB,
                               beta, cm, c.offset, ldc, strideC, batch)
                return
            }
            // Split-K: K slices as a batch of partial products into `parts`, then one reduction.
            let slice = (k + splits - 1) / splits
            let full = k / slice, rest = k - full * slice
            let parts = try scratch((full + (rest > 0 ? 1 : 0)) * m * n)
            let pm = try runtime.mem(of: parts)
            let sa = transA ? slice * lda : slice, sb = transB ? slice : slice * ldb
            try gemmLaunch(transA, transB, m, n, slice, 1, am, a.offset, lda, sa, bm, b.offset, ldb, sb,
                           0, pm, 0, n, m * n, full)
            if rest > 0 {
                try gemmLaunch(transA, transB, m, n, rest, 1, am, a.offset + full * sa, lda, 0, bm, b.offset + full * sb,
                               ldb, 0, 0, pm, full * m * n, n, 0, 1)
            }
            try runtime.launch("gemm_splitk_reduce", global: [n, m], local: [16, max(1, min(16, tuning.elementGroup / 16))],
                               [.mem(pm), .int(0), .int(full + (rest > 0 ? 1 : 0)), .int(m), .int(n), .float(alpha), .float(beta),
                                .mem(cm), .int(c.offset), .int(ldc)])
        }
    }

    /// How many K slices a product runs as: more than 1 only for a single product whose C yields
    /// too few work-groups to fill the device (the tile table's `splitKGroupsPerUnit`).
    func splitCount(m: Int, n: Int, k: Int, batch: Int) -> Int {
        let t = tuning
        guard t.splitKGroupsPerUnit > 0, batch == 1, k >= 2 * t.splitKMinSlice else { return 1 }
        let groups: Int
        switch gemmFamily {
        case .localTiles:
            groups = ((m + t.ltTileM - 1) / t.ltTileM) * ((n + t.ltTileN - 1) / t.ltTileN)
        case .registerBlocked:
            groups = max(1, ((m + t.rbRows - 1) / t.rbRows) * ((n + t.rbVectorWidth - 1) / t.rbVectorWidth)
                         / (t.rbGroupX * t.rbGroupY))
        }
        let target = t.splitKGroupsPerUnit * max(1, info.computeUnits)
        guard groups < target else { return 1 }
        return min((target + groups - 1) / groups, k / t.splitKMinSlice, 64)
    }

    private func gemmLaunch(_ transA: Bool, _ transB: Bool, _ m: Int, _ n: Int, _ k: Int, _ alpha: Float,
                            _ a: cl_mem, _ aOff: Int, _ lda: Int, _ sA: Int, _ b: cl_mem, _ bOff: Int, _ ldb: Int, _ sB: Int,
                            _ beta: Float, _ c: cl_mem, _ cOff: Int, _ ldc: Int, _ sC: Int, _ batch: Int) throws {
        let suffix = (transA ? "t" : "n") + (transB ? "t" : "n")
        let args: [KernelArgument] = [.int(m), .int(n), .int(k), .float(alpha), .mem(a), .int(aOff), .int(lda), .int(sA),
                                      .mem(b), .int(bOff), .int(ldb), .int(sB), .float(beta), .mem(c), .int(cOff),
                                      .int(ldc), .int(sC)]
        let t = tuning
        switch gemmFamily {
        case .registerBlocked:
            // B^T arrives here only with K == 0 (B unread): `gemm` runs it as a transposed copy.
            let cols = t.rbVectorWidth
            try runtime.launch("gemm_rb_" + (transA ? "tn" : "nn"), global: [(n + cols - 1) / cols, (m + t.rbRows - 1) / t.rbRows, batch],
                               local: [t.rbGroupX, t.rbGroupY, 1], args)
        case .localTiles:
            let gx = t.ltTileN / t.ltWorkN, gy = t.ltTileM / t.ltWorkM
            try runtime.launch("gemm_lt_" + suffix,
                               global: [(n + t.ltTileN - 1) / t.ltTileN * gx, (m + t.ltTileM - 1) / t.ltTileM * gy, batch],
                               local: [gx, gy, 1], args)
        }
    }
}
