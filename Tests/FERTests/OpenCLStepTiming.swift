import Foundation
import XCTest
@testable import FER

/// Time of one Swin-T forward + backward on the OpenCL backend, with the time per kernel. Not a
/// test of behaviour: runs only with `FER_BENCH_OPENCL=1` (`FER_BENCH_BATCH` images, default 4,
/// packed with their flips as in training).
final class OpenCLStepTiming: XCTestCase {
    func testPrintSwinTStepTime() throws {
        guard ProcessInfo.processInfo.environment["FER_BENCH_OPENCL"] == "1" else {
            throw XCTSkip("set FER_BENCH_OPENCL=1 to time a Swin-T step on OpenCL")
        }
        let d = try TestSupport.openCLDevice()
        let b = Int(ProcessInfo.processInfo.environment["FER_BENCH_BATCH"] ?? "") ?? 4
        let model = try MEKModel(config: .swinT, device: d, seed: 1)
        let s = model.config.imageSize
        let images = try d.makeTensor([2 * b, 3, s, s])
        var rng = SeededRandom(seed: 3)
        try d.write((0..<images.count).map { _ in rng.normal() }, to: images)
        let dlogits = try d.makeTensor([2 * b, 7])
        let dcams = try d.makeTensor([2 * b, 49, 7])
        d.fill(dlogits, with: 0.01); d.fill(dcams, with: 0.001)
        func step() throws {
            model.parameters.zeroGradients()
            let pass = try model.predict(images: images, batch: 2 * b)
            try model.backward(pass, dlogits: dlogits, dcams: dcams)
            _ = try d.read(model.parameters.gradients.slice(start: 0, shape: [1]))
        }
        try step()
        let start = Date()
        try step()
        print(String(format: "opencl swin-t step, %d images (+ flips): %.0f ms", b, Date().timeIntervalSince(start) * 1e3))
        d.runtime.profile = [:]
        try step()
        let profile = d.runtime.profile ?? [:]
        d.runtime.profile = nil
        let total = profile.values.reduce(0) { $0 + $1.seconds }
        for (name, p) in profile.sorted(by: { $0.value.seconds > $1.value.seconds }) {
            print(String(format: "  %-28@ %5d launches %8.1f ms %5.1f%%", name as NSString, p.launches, p.seconds * 1e3,
                         100 * p.seconds / total))
        }
    }
}
