import COpenBLAS
import Foundation

/// Host memory for the CPU backend (64-byte aligned, zero-filled).
final class CPUBuffer: DeviceBuffer {
    let count: Int
    let pointer: UnsafeMutablePointer<Float>

    init(count: Int) {
        self.count = count
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(1, count) * 4, alignment: 64)
        pointer = raw.bindMemory(to: Float.self, capacity: max(1, count))
        pointer.initialize(repeating: 0, count: max(1, count))
    }

    deinit { UnsafeMutableRawPointer(pointer).deallocate() }
}

/// The CPU backend: matrix products through OpenBLAS `cblas_sgemm`, everything else as plain Swift
/// loops over contiguous memory (vectorized by the compiler) spread over the worker threads.
public final class CPUDevice: Device {
    public let backendName = "cpu"
    public let deviceDescription: String

    /// - Parameter threads: worker threads for OpenBLAS and for this backend's own loops; nil uses
    ///   every core.
    public init(threads: Int? = nil) {
        let n = max(1, threads ?? ProcessInfo.processInfo.activeProcessorCount)
        ThreadSettings.workers = n
        openblas_set_num_threads(Int32(n))
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
        return Tensor(buffer: CPUBuffer(count: count), shape: shape)
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

    public func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                     a: Tensor, lda: Int, strideA: Int, b: Tensor, ldb: Int, strideB: Int,
                     beta: Float, c: Tensor, ldc: Int, strideC: Int, batch: Int) {
        guard m > 0, n > 0, batch > 0 else { return }
        let pa = ptr(a), pb = ptr(b), pc = ptr(c)
        let ta = transA ? CblasTrans : CblasNoTrans
        let tb = transB ? CblasTrans : CblasNoTrans
        for i in 0..<batch {
            if k == 0 {
                scale(pc + i * strideC, rows: m, cols: n, ld: ldc, by: beta)
                continue
            }
            cblas_sgemm(CblasRowMajor, ta, tb, Int32(m), Int32(n), Int32(k), alpha,
                        pa + i * strideA, Int32(lda), pb + i * strideB, Int32(ldb),
                        beta, pc + i * strideC, Int32(ldc))
        }
    }

    private func scale(_ p: UnsafeMutablePointer<Float>, rows: Int, cols: Int, ld: Int, by beta: Float) {
        for r in 0..<rows {
            let row = p + r * ld
            for j in 0..<cols { row[j] = beta == 0 ? 0 : row[j] * beta }
        }
    }
}
