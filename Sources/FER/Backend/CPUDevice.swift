import COpenBLAS
import Foundation

/// Host memory for the CPU backend (64-byte aligned, zero-filled on creation). Memory goes back
/// to a size-keyed pool when the buffer dies, so the same activations reuse the same pages every
/// step instead of faulting in fresh ones.
final class CPUBuffer: DeviceBuffer {
    let count: Int
    let pointer: UnsafeMutablePointer<Float>
    private let pool: CPUMemoryPool

    init(count: Int, pool: CPUMemoryPool, zeroed: Bool = true) {
        self.count = count
        self.pool = pool
        pointer = pool.acquire(count)
        if zeroed { pointer.initialize(repeating: 0, count: max(1, count)) }
    }

    deinit { pool.release(pointer, count: count) }
}

/// Free blocks by size class, bounded by `limitBytes` of idle memory. Requests are rounded up to a
/// size class (the top 3 bits of the count kept, so at most 12.5% slack): activations and the
/// gradient temporaries of backward then share blocks even when their sizes differ a little,
/// which keeps the process's resident memory near the live peak.
final class CPUMemoryPool: @unchecked Sendable {
    private var free: [Int: [UnsafeMutablePointer<Float>]] = [:]
    private var idleBytes = 0
    private let limitBytes: Int
    private let lock = NSLock()

    init(limitBytes: Int = 4 << 30) { self.limitBytes = limitBytes }

    static func sizeClass(_ count: Int) -> Int {
        let n = max(16, count)
        let shift = max(0, (Int.bitWidth - n.leadingZeroBitCount) - 3)
        return ((n + (1 << shift) - 1) >> shift) << shift
    }

    func acquire(_ count: Int) -> UnsafeMutablePointer<Float> {
        let size = Self.sizeClass(count)
        lock.lock()
        if let p = free[size]?.popLast() {
            idleBytes -= size * 4
            lock.unlock()
            return p
        }
        lock.unlock()
        let raw = UnsafeMutableRawPointer.allocate(byteCount: size * 4, alignment: 64)
        return raw.bindMemory(to: Float.self, capacity: size)
    }

    func release(_ p: UnsafeMutablePointer<Float>, count: Int) {
        let size = Self.sizeClass(count)
        lock.lock()
        if idleBytes + size * 4 <= limitBytes {
            free[size, default: []].append(p)
            idleBytes += size * 4
            lock.unlock()
        } else {
            lock.unlock()
            UnsafeMutableRawPointer(p).deallocate()
        }
    }

    /// Frees every idle block; returns how many bytes that was.
    func trim() -> Int {
        lock.lock()
        let lists = free
        let bytes = idleBytes
        free = [:]
        idleBytes = 0
        lock.unlock()
        for list in lists.values { for p in list { UnsafeMutableRawPointer(p).deallocate() } }
        return bytes
    }

    deinit {
        for list in free.values { for p in list { UnsafeMutableRawPointer(p).deallocate() } }
    }
}

/// The CPU backend: matrix products through OpenBLAS `cblas_sgemm`, everything else as plain Swift
/// loops over contiguous memory (vectorized by the compiler) spread over the worker threads.
public final class CPUDevice: Device {
    public let backendName = "cpu"
    public let deviceDescription: String
    let pool = CPUMemoryPool()

    /// - Parameter threads: worker threads for OpenBLAS and for this backend's own loops; nil uses
    ///   every core.
    public init(threads: Int? = nil) {
        let n = max(1, threads ?? ProcessInfo.processInfo.activeProcessorCount)
        ThreadSettings.workers = n
        openblas_set_num_threads(1)
        deviceDescription = "\(CPUDevice.cpuModelName()) (\(n) threads)"
    }

    static func cpuModelName() -> String {
        if let text = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
           let line = text.split(separator: "\n").first(where: { $0.hasPrefix("model name") }),
           let name = line.split(separator: ":", maxSplits: 1).last {
            return name.trimmingCharacters(in: .whitespaces)
        }
        return "CPU"
    }

    @inline(__always) func ptr(_ t: Tensor) -> UnsafeMutablePointer<Float> {
        unsafeDowncast(t.buffer, to: CPUBuffer.self).pointer + t.offset
    }

    // MARK: Memory

    public func makeTensor(_ shape: [Int]) throws -> Tensor {
        let count = shape.reduce(1, *)
        return Tensor(buffer: CPUBuffer(count: count, pool: pool), shape: shape)
    }

    @discardableResult public func releaseIdleMemory() -> Int { pool.trim() }

    public func makeUninitialized(_ shape: [Int]) throws -> Tensor {
        Tensor(buffer: CPUBuffer(count: shape.reduce(1, *), pool: pool, zeroed: false), shape: shape)
    }

    public func write(_ values: [Float], to tensor: Tensor) throws {
        precondition(values.count == tensor.count, "write of \(values.count) values into a tensor of \(tensor.count)")
        values.withUnsafeBufferPointer { src in
            if let base = src.baseAddress { ptr(tensor).update(from: base, count: values.count) }
        }
    }

    public func read(_ tensor: Tensor) throws -> [Float] {
        Array(UnsafeBufferPointer(start: ptr(tensor), count: tensor.count))
    }

    public func fill(_ tensor: Tensor, with value: Float) {
        let p = ptr(tensor)
        parallelFor(tensor.count, grain: 1 << 16) { r in
            (p + r.lowerBound).update(repeating: value, count: r.count)
        }
    }

    public func copy(_ source: Tensor, to destination: Tensor) {
        precondition(source.count == destination.count, "copy of \(source.count) elements into \(destination.count)")
        let s = ptr(source), d = ptr(destination)
        parallelFor(source.count, grain: 1 << 16) { r in
            (d + r.lowerBound).update(from: s + r.lowerBound, count: r.count)
        }
    }

    // MARK: Matrix products

    /// OpenBLAS runs single-threaded; the product is split into row or column blocks (or batch
    /// items) across this backend's own worker threads. One thread pool for everything avoids
    /// OpenBLAS's spinning threads fighting the elementwise loops for the same cores.
    public func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                     a: Tensor, lda: Int, strideA: Int, b: Tensor, ldb: Int, strideB: Int,
                     beta: Float, c: Tensor, ldc: Int, strideC: Int, batch: Int) {
        guard m > 0, n > 0, batch > 0 else { return }
        let pa = ptr(a), pb = ptr(b), pc = ptr(c)
        let ta = transA ? CblasTrans : CblasNoTrans
        let tb = transB ? CblasTrans : CblasNoTrans
        func single(_ i: Int, rows: Range<Int>, cols: Range<Int>) {
            let ai = pa + i * strideA, bi = pb + i * strideB, ci = pc + i * strideC
            let aBlock = transA ? ai + rows.lowerBound : ai + rows.lowerBound * lda
            let bBlock = transB ? bi + cols.lowerBound * ldb : bi + cols.lowerBound
            let cBlock = ci + rows.lowerBound * ldc + cols.lowerBound
            if k == 0 {
                scale(cBlock, rows: rows.count, cols: cols.count, ld: ldc, by: beta)
                return
            }
            cblas_sgemm(CblasRowMajor, ta, tb, Int32(rows.count), Int32(cols.count), Int32(k), alpha,
                        aBlock, Int32(lda), bBlock, Int32(ldb), beta, cBlock, Int32(ldc))
        }
        let workers = ThreadSettings.workers
        let work = Double(m) * Double(n) * Double(max(k, 1)) * Double(batch)
        if workers <= 1 || work < 2e5 {
            for i in 0..<batch { single(i, rows: 0..<m, cols: 0..<n) }
        } else if batch == 1 && k >= 8 * max(m, n) && m * n <= 1 << 18 {
            // Weight gradients (a small m x n result summed over many tokens): split k, give each
            // thread its own partial result, then add the partials. Row or column blocks of such a
            // small result would leave each thread a skinny, inefficient product.
            let blocks = workers
            let size = (k + blocks - 1) / blocks
            var partials = [Float](repeating: 0, count: blocks * m * n)
            partials.withUnsafeMutableBufferPointer { part in
                let base = part.baseAddress!
                DispatchQueue.concurrentPerform(iterations: blocks) { t in
                    let lo = t * size, hi = min(k, lo + size)
                    guard lo < hi else { return }
                    let aBlock = transA ? pa + lo * lda : pa + lo
                    let bBlock = transB ? pb + lo : pb + lo * ldb
                    cblas_sgemm(CblasRowMajor, ta, tb, Int32(m), Int32(n), Int32(hi - lo), alpha,
                                aBlock, Int32(lda), bBlock, Int32(ldb), 0, base + t * m * n, Int32(n))
                }
                scale(pc, rows: m, cols: n, ld: ldc, by: beta)
                for r in 0..<m {
                    let crow = pc + r * ldc
                    for t in 0..<blocks {
                        let prow = base + t * m * n + r * n
                        for j in 0..<n { crow[j] += prow[j] }
                    }
                }
            }
        } else if batch >= workers {
            parallelFor(batch) { r in for i in r { single(i, rows: 0..<m, cols: 0..<n) } }
        } else if m >= n {
            for i in 0..<batch {
                let blocks = min(workers, max(1, m / 16))
                let size = (m + blocks - 1) / blocks
                DispatchQueue.concurrentPerform(iterations: blocks) { t in
                    let lo = t * size, hi = min(m, lo + size)
                    if lo < hi { single(i, rows: lo..<hi, cols: 0..<n) }
                }
            }
        } else {
            for i in 0..<batch {
                let blocks = min(workers, max(1, n / 16))
                let size = (n + blocks - 1) / blocks
                DispatchQueue.concurrentPerform(iterations: blocks) { t in
                    let lo = t * size, hi = min(n, lo + size)
                    if lo < hi { single(i, rows: 0..<m, cols: lo..<hi) }
                }
            }
        }
    }

    private func scale(_ p: UnsafeMutablePointer<Float>, rows: Int, cols: Int, ld: Int, by beta: Float) {
        for r in 0..<rows {
            let row = p + r * ld
            for j in 0..<cols { row[j] = beta == 0 ? 0 : row[j] * beta }
        }
    }
}
