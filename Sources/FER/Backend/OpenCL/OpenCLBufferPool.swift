import COpenCL
import Foundation

/// Device memory of the OpenCL backend: one `cl_mem` from the pool. When the last tensor viewing it
/// goes away, the `cl_mem` goes back to the pool instead of to the driver.
final class OpenCLBuffer: DeviceBuffer {
    let count: Int
    let mem: cl_mem
    let pool: OpenCLBufferPool

    init(count: Int, mem: cl_mem, pool: OpenCLBufferPool) {
        self.count = count; self.mem = mem; self.pool = pool
    }

    deinit { pool.recycle(mem, count: count) }
}

/// Buffers reused across training steps, keyed by element count. A step allocates the same sizes
/// every time, so after the first step allocation is a dictionary lookup and no driver call.
///
/// Reuse is safe without events because every command goes to one in-order queue: a recycled
/// buffer's next user is enqueued after every command of its previous user. The pool retains the
/// context, so buffers may outlive the device that made them. Thread-safe (buffers may be released
/// on any thread).
final class OpenCLBufferPool {
    let context: cl_context
    private let lock = NSLock()
    private var free: [Int: [cl_mem]] = [:]
    private(set) var cachedBytes = 0
    private(set) var liveBytes = 0

    init(context: cl_context) {
        clRetainContext(context)
        self.context = context
    }

    deinit {
        for list in free.values { for m in list { clReleaseMemObject(m) } }
        clReleaseContext(context)
    }

    /// A buffer of `count` floats (contents undefined): a pooled one of that size, else a new one.
    /// When the driver is out of memory, the pool's idle buffers are released and the allocation
    /// retried once.
    func obtain(count: Int) throws -> OpenCLBuffer {
        let key = max(1, count)
        lock.lock()
        if let m = free[key]?.popLast() {
            cachedBytes -= key * 4
            liveBytes += key * 4
            lock.unlock()
            return OpenCLBuffer(count: count, mem: m, pool: self)
        }
        lock.unlock()
        var status: cl_int = CL_SUCCESS
        var mem = clCreateBuffer(context, cl_mem_flags(CL_MEM_READ_WRITE), key * 4, nil, &status)
        if mem == nil || status != CL_SUCCESS, trim() > 0 {
            mem = clCreateBuffer(context, cl_mem_flags(CL_MEM_READ_WRITE), key * 4, nil, &status)
        }
        guard let m = mem, status == CL_SUCCESS else {
            throw OpenCLError.call("clCreateBuffer(\(key * 4) bytes)", status: status == CL_SUCCESS ? -4 : status)
        }
        lock.lock(); liveBytes += key * 4; lock.unlock()
        return OpenCLBuffer(count: count, mem: m, pool: self)
    }

    func recycle(_ mem: cl_mem, count: Int) {
        let key = max(1, count)
        lock.lock()
        free[key, default: []].append(mem)
        cachedBytes += key * 4
        liveBytes -= key * 4
        lock.unlock()
    }

    /// Releases every idle buffer to the driver; returns how many bytes that freed.
    @discardableResult
    func trim() -> Int {
        lock.lock()
        let lists = free
        free = [:]
        let bytes = cachedBytes
        cachedBytes = 0
        lock.unlock()
        for list in lists.values { for m in list { clReleaseMemObject(m) } }
        return bytes
    }

    /// A read-only buffer holding a copy of `values`, made without the queue (the copy happens in
    /// `clCreateBuffer`), so uploading small per-call data needs no host wait. Not pooled: the
    /// caller releases it after enqueueing its users (the driver keeps it alive until they ran).
    func makeStaging(_ values: [Float]) throws -> cl_mem {
        var status: cl_int = CL_SUCCESS
        let mem = values.withUnsafeBytes { raw -> cl_mem? in
            clCreateBuffer(context, cl_mem_flags(CL_MEM_READ_ONLY | CL_MEM_COPY_HOST_PTR), max(4, raw.count),
                           UnsafeMutableRawPointer(mutating: raw.baseAddress), &status)
        }
        guard let m = mem, status == CL_SUCCESS else {
            throw OpenCLError.call("clCreateBuffer(staging, \(values.count * 4) bytes)", status: status == CL_SUCCESS ? -4 : status)
        }
        return m
    }
}
