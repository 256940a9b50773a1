import Foundation
import XCTest
@testable import FER

/// `fer bench --steps 1 --json` runs and produces well-formed output (speed itself is measured by
/// benchmarks, never by tests).
final class BenchmarkTests: XCTestCase {
    func testOneStepProducesWellFormedJSON() throws {
        let device = CPUDevice(threads: 2)
        for mode in Benchmark.Mode.allCases {
            let bench = Benchmark(modelName: "swin-micro", mode: mode, batch: 2, steps: 1, warmup: 0, breakdown: true)
            let result = try bench.run(on: device)
            let data = try JSONSerialization.data(withJSONObject: bench.jsonObject(result, device: device, threads: 2))
            let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
            for key in ["samples_per_second", "step_seconds", "gflops_per_second", "peak_rss_bytes", "backend", "device", "threads", "breakdown"] {
                XCTAssertNotNil(object[key], "\(mode): \(key)")
            }
            XCTAssertGreaterThan(object["samples_per_second"] as? Double ?? 0, 0)
            let steps = try XCTUnwrap(object["step_seconds"] as? [String: Double])
            XCTAssertEqual(Set(steps.keys), ["median", "min", "max"])
            XCTAssertLessThanOrEqual(steps["min"]!, steps["max"]!)
            let breakdown = try XCTUnwrap(object["breakdown"] as? [String: [String: Double]])
            XCTAssertEqual(Set(breakdown.keys), Set(OpCategory.allCases.map(\.rawValue)))
            let shares = breakdown.values.compactMap { $0["share"] }.reduce(0, +)
            XCTAssertEqual(shares, 1, accuracy: 1e-6, "shares of the step add up to one")
            XCTAssertGreaterThan(breakdown["matmul"]?["seconds_per_step"] ?? 0, 0)
            XCTAssertEqual(object["backend"] as? String, "cpu")
        }
        // The FLOP count behind "effective GFLOP/s": Swin-T at 112x112 is 8.96 GFLOP per image.
        XCTAssertEqual(SwinConfig.swinT.forwardFLOPs / 1e9, 8.96, accuracy: 0.01)
    }
}
