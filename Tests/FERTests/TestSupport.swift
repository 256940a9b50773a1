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
        return CPUDevice()
    }
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
