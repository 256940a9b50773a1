import Foundation
import XCTest
@testable import FER

/// GEMM throughput of the OpenCL backend on a few shapes, for tuning the tile table. Not a test of
/// behaviour: it runs only with `FER_BENCH_OPENCL=1` and prints GFLOP/s.
final class OpenCLGemmTiming: XCTestCase {
    func testPrintGemmThroughput() throws {
        guard ProcessInfo.processInfo.environment["FER_BENCH_OPENCL"] == "1" else {
            throw XCTSkip("set FER_BENCH_OPENCL=1 to time the OpenCL GEMM")
        }
        let d = try TestSupport.openCLDevice()
        let shapes: [(String, Bool, Bool, Int, Int, Int)] = [
            ("1024^3 nn", false, false, 1024, 1024, 1024),
            ("1024^3 nt", false, true, 1024, 1024, 1024),
            ("swin qkv x W^T 25088x288x96 (nt)", false, true, 25088, 288, 96),
            ("swin dx = dy W 25088x96x288 (nn)", false, false, 25088, 96, 288),
            ("swin dW = dy^T x 288x96x25088 (tn)", true, false, 288, 96, 25088),
        ]
        for family in [OpenCLTuning.GemmFamily.registerBlocked, .localTiles] {
            d.gemmFamily = family
            for (name, ta, tb, m, n, k) in shapes {
                let a = try d.makeTensor([m * k]), b = try d.makeTensor([k * n]), c = try d.makeTensor([m * n])
                d.fill(a, with: 0.5); d.fill(b, with: 0.25)
                func once() {
                    d.gemm(transA: ta, transB: tb, m: m, n: n, k: k, alpha: 1, a: a, lda: ta ? m : k, strideA: 0,
                           b: b, ldb: tb ? k : n, strideB: 0, beta: 0, c: c, ldc: n, strideC: 0, batch: 1)
                }
                once()
                try d.synchronize()
                // Best of 8: the machine may be shared, and the best run is the closest to the kernel's own speed.
                var seconds = Double.infinity
                for _ in 0..<8 {
                    let start = Date()
                    once()
                    try d.synchronize()
                    seconds = min(seconds, Date().timeIntervalSince(start))
                }
                print(String(format: "opencl gemm %@ [%@]: %.1f GFLOP/s (%.1f ms)", name, family.rawValue,
                             2 * Double(m) * Double(n) * Double(k) / seconds / 1e9, seconds * 1e3))
            }
        }
        d.gemmFamily = d.tuning.gemm
    }
}
