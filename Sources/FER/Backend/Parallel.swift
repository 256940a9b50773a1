import Dispatch
import Foundation

/// Splits `0..<count` into contiguous chunks of at least `grain` items and runs `body` on them across
/// the worker threads. Runs inline when there is only one chunk, so tiny ops pay no dispatch cost.
@inline(__always)
func parallelFor(_ count: Int, grain: Int = 1, _ body: (Range<Int>) -> Void) {
    guard count > 0 else { return }
    let workers = ThreadSettings.workers
    let chunks = min(workers * 4, max(1, count / max(1, grain)))
    if chunks <= 1 || workers <= 1 {
        body(0..<count)
        return
    }
    let size = (count + chunks - 1) / chunks
    DispatchQueue.concurrentPerform(iterations: chunks) { i in
        let lo = i * size
        let hi = min(count, lo + size)
        if lo < hi { body(lo..<hi) }
    }
}

/// Number of threads the CPU backend's own loops use (OpenBLAS is set to the same number).
public enum ThreadSettings {
    nonisolated(unsafe) static var workers: Int = ProcessInfo.processInfo.activeProcessorCount
}
