import Foundation
import XCTest
@testable import FER

/// Shared test helpers: fixture paths, the device under test, and tolerance checks.
enum TestSupport {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func fixture(_ name: String) -> String { fixtures.appendingPathComponent(name).path }

    /// The device the model-level tests run on: `FER_TEST_BACKEND=opencl` selects OpenCL, anything
    /// else the CPU backend.
    static func device() throws -> Device {
        if ProcessInfo.processInfo.environment["FER_TEST_BACKEND"] == "opencl" { return try openCLDevice() }
        return CPUDevice()
    }

    /// The process-wide OpenCL device with the tile-table tuning for this machine's device (its
    /// programs are built once per test process). Skips the test when `FER_SKIP_OPENCL=1`; without
    /// an OpenCL platform it throws, so the test fails with how to install one: a silent skip would
    /// hide a broken CI.
    static func openCLDevice() throws -> OpenCLDevice {
        try skipIfOpenCLDisabled()
        return try explained(sharedOpenCL)
    }

    /// A second process-wide OpenCL device that runs the GPU-shaped kernels (local-memory GEMM tiles,
    /// split-K, the GPU work-group sizes) whatever the device is, so PoCL checks them too.
    static func openCLDeviceWithGPUTuning() throws -> OpenCLDevice {
        try skipIfOpenCLDisabled()
        return try explained(sharedOpenCLGPUTuned)
    }

    struct OpenCLUnavailable: Error, CustomStringConvertible {
        let reason: Error
        var description: String { "OpenCL tests cannot run: \(reason). Set FER_SKIP_OPENCL=1 to skip them deliberately." }
    }

    private static func explained(_ result: Result<OpenCLDevice, Error>) throws -> OpenCLDevice {
        do { return try result.get() } catch { throw OpenCLUnavailable(reason: error) }
    }

    static func skipIfOpenCLDisabled() throws {
        if ProcessInfo.processInfo.environment["FER_SKIP_OPENCL"] == "1" {
            throw XCTSkip("FER_SKIP_OPENCL=1: OpenCL tests skipped")
        }
    }

    private static let sharedOpenCL = Result { try OpenCLDevice() }
    private static let sharedOpenCLGPUTuned = Result { try OpenCLDevice(tuning: .largeGPU) }
}

/// `max |a - b| <= tolerance * max(|b|)` (relative to the reference's largest magnitude), with a
/// message naming the tensor, the error and the bound.
func assertClose(_ a: [Float], _ b: [Float], relative tolerance: Float, _ name: String,
                 file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, "\(name): \(a.count) values vs \(b.count) expected", file: file, line: line)
    guard a.count == b.count else { return }
    var maxErr: Float = 0, maxRef: Float = 0
    for i in 0..<a.count {
        if !a[i].isFinite { XCTFail("\(name): non-finite value at \(i)", file: file, line: line); return }
        maxErr = max(maxErr, abs(a[i] - b[i]))
        maxRef = max(maxRef, abs(b[i]))
    }
    let bound = tolerance * max(maxRef, 1e-30)
    XCTAssertLessThanOrEqual(maxErr, bound, "\(name): max abs error \(maxErr) > \(tolerance) x max |ref| \(maxRef)", file: file, line: line)
}
