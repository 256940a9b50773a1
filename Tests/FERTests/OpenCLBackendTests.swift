import Foundation
import Kernels
import XCTest
@testable import FER

/// The OpenCL backend's machinery around the kernels: error names, the sticky error, the buffer
/// pool, build failures, device listing, the tile table, backend selection, and the embedded
/// kernel sources.
final class OpenCLBackendTests: XCTestCase {
    func testEveryOpenCL12StatusCodeHasItsName() {
        for code in Array(Int32(-19)...0) + Array(Int32(-72)...(-30)) {
            XCTAssertTrue(OpenCLError.name(of: code).hasPrefix("CL_"), "status \(code) has no name")
        }
        XCTAssertEqual(OpenCLError.name(of: -5), "CL_OUT_OF_RESOURCES")
        XCTAssertEqual(OpenCLError.name(of: -4), "CL_MEM_OBJECT_ALLOCATION_FAILURE")
        XCTAssertEqual(OpenCLError.name(of: -1), "CL_DEVICE_NOT_FOUND")
        XCTAssertEqual(OpenCLError.name(of: -1001), "CL_PLATFORM_NOT_FOUND_KHR")
        let text = OpenCLError.call("clEnqueueNDRangeKernel(gemm_rb_nn)", status: -4).description
        XCTAssertTrue(text.contains("CL_MEM_OBJECT_ALLOCATION_FAILURE (-4)") && text.contains("--batch-size"), text)
        XCTAssertTrue(OpenCLError.noPlatform.description.contains("apt-get install pocl-opencl-icd ocl-icd-opencl-dev"))
    }

    /// A failure inside a non-throwing op is recorded, later ops are skipped, and the next
    /// `read`/`write`/`makeTensor` throws it (on a device of its own: the failure is permanent).
    func testFailureInsideAnOpIsThrownFromTheNextRead() throws {
        try TestSupport.skipIfOpenCLDisabled()
        let d = try OpenCLDevice()
        let t = try d.makeTensor([4])
        d.launch("no_such_kernel", global: [4], local: [4], [.tensor(t)])
        guard case let .call(function, status)? = d.error as? OpenCLError else {
            return XCTFail("expected a recorded OpenCL call error, found \(String(describing: d.error))")
        }
        XCTAssertEqual(function, "clCreateKernel(no_such_kernel)")
        XCTAssertEqual(status, -46)
        d.fill(t, with: 1)  // skipped, no trap
        XCTAssertThrowsError(try d.read(t)) { error in
            XCTAssertTrue("\(error)".contains("CL_INVALID_KERNEL_NAME"), "\(error)")
        }
        XCTAssertThrowsError(try d.makeTensor([1]))
        XCTAssertThrowsError(try d.write([0, 0, 0, 0], to: t))
    }

    func testTensorOfAnotherDeviceIsAnErrorNotATrap() throws {
        try TestSupport.skipIfOpenCLDisabled()
        let d = try OpenCLDevice()
        let mine = try d.makeTensor([3])
        let foreign = try CPUDevice().makeTensor([3])
        d.axpy(alpha: 1, x: foreign, y: mine)
        XCTAssertThrowsError(try d.read(mine)) { error in
            guard case .foreignTensor? = error as? OpenCLError else { return XCTFail("\(error)") }
        }
    }

    func testTensorBeyond32BitIndexingIsRefused() throws {
        let d = try TestSupport.openCLDevice()
        XCTAssertThrowsError(try d.makeTensor([1 << 16, 1 << 16])) { error in
            guard case .unsupported? = error as? OpenCLError else { return XCTFail("\(error)") }
        }
        XCTAssertNil(d.error, "a refused allocation is thrown, not recorded")
    }

    func testPoolReusesFreedBuffersAndMakeTensorZeroFills() throws {
        let d = try TestSupport.openCLDevice()
        let count = 12_345
        var first: Tensor? = try d.makeTensor([count])
        let firstMem = try d.runtime.mem(of: first!)
        try d.write([Float](repeating: 3, count: count), to: first!)
        first = nil
        let second = try d.makeTensor([count])
        XCTAssertEqual(try d.runtime.mem(of: second), firstMem, "a freed buffer of the same size is reused")
        XCTAssertEqual(try d.read(second), [Float](repeating: 0, count: count), "makeTensor zero-fills a reused buffer")
        XCTAssertGreaterThanOrEqual(d.memoryInUse.live, count * 4)
        // Idle buffers go back to the driver on request; live ones stay.
        var idle: Tensor? = try d.makeTensor([777])
        idle = nil
        XCTAssertNil(idle)
        XCTAssertGreaterThanOrEqual(d.releaseIdleMemory(), 777 * 4)
        XCTAssertEqual(d.memoryInUse.cached, 0)
        XCTAssertEqual(d.releaseIdleMemory(), 0)
        XCTAssertEqual(try d.read(second), [Float](repeating: 0, count: count), "a live tensor survives the release")
    }

    /// The CPU backend's block cache behaves the same way.
    func testCPUPoolReleasesIdleBlocksOnly() throws {
        let d = CPUDevice(threads: 2)
        let live = try d.makeTensor([1000])
        try d.write([Float](repeating: 2, count: 1000), to: live)
        var idle: Tensor? = try d.makeTensor([5000])
        idle = nil
        XCTAssertNil(idle)
        XCTAssertEqual(d.releaseIdleMemory(), CPUMemoryPool.sizeClass(5000) * 4)
        XCTAssertEqual(d.releaseIdleMemory(), 0)
        XCTAssertEqual(try d.read(live), [Float](repeating: 2, count: 1000))
    }

    func testBuildFailureCarriesTheBuildLog() throws {
        try TestSupport.skipIfOpenCLDisabled()
        var tuning = OpenCLTuning.cpu
        tuning.rbVectorWidth = 3
        XCTAssertThrowsError(try OpenCLDevice(tuning: tuning)) { error in
            guard case let .build(_, options, status, log)? = error as? OpenCLError else { return XCTFail("\(error)") }
            XCTAssertTrue(options.contains("-D RB_VW=3"), options)
            XCTAssertEqual(status, -11)
            XCTAssertTrue(log.contains("RB_VW must be 4, 8 or 16"), log)
        }
    }

    func testListDevicesReportsMemoryAndComputeUnits() throws {
        try TestSupport.skipIfOpenCLDisabled()
        let devices = try OpenCLDevice.listDevices()
        XCTAssertFalse(devices.isEmpty, "no OpenCL device: install pocl-opencl-icd or set FER_SKIP_OPENCL=1")
        for (i, info) in devices.enumerated() {
            XCTAssertEqual(info.index, i)
            XCTAssertGreaterThan(info.computeUnits, 0)
            XCTAssertGreaterThan(info.globalMemoryBytes, 0)
            XCTAssertTrue(["GPU", "CPU", "accelerator", "other"].contains(info.type))
            XCTAssertTrue(info.description.contains(info.name))
        }
    }

    func testTileTablePicksKernelsPerDeviceType() {
        XCTAssertEqual(OpenCLTuning.choose(isCPU: true, vendor: "AuthenticAMD", maxWorkGroupSize: 4096), .cpu)
        XCTAssertEqual(OpenCLTuning.choose(isCPU: false, vendor: "NVIDIA Corporation", maxWorkGroupSize: 1024), .largeGPU)
        XCTAssertEqual(OpenCLTuning.choose(isCPU: false, vendor: "Advanced Micro Devices, Inc.", maxWorkGroupSize: 256).name,
                       "gpu-64")
        let other = OpenCLTuning.choose(isCPU: false, vendor: "Intel(R) Corporation", maxWorkGroupSize: 512)
        XCTAssertEqual(other.name, "gpu-32")
        let small = OpenCLTuning.choose(isCPU: false, vendor: "NVIDIA Corporation", maxWorkGroupSize: 64)
        XCTAssertLessThanOrEqual(small.ltGroupSize, 64)
        XCTAssertLessThanOrEqual(small.normGroup, 64)
        XCTAssertLessThanOrEqual(small.reduceGroup, 64)
    }

    func testBackendSelection() throws {
        XCTAssertEqual(try BackendSelection.make(kind: .cpu).backendName, "cpu")
        var lines: [String] = []
        let auto = try BackendSelection.make(kind: .auto, log: { lines.append($0) })
        let hasGPU = (try? OpenCLDevice.listDevices().contains(where: { $0.isGPU })) ?? false
        if hasGPU {
            XCTAssertEqual(auto.backendName, "opencl")
            XCTAssertEqual(lines, [])
        } else {
            XCTAssertEqual(auto.backendName, "cpu")
            XCTAssertEqual(lines.count, 1, "auto says in one line why it did not take a GPU")
            XCTAssertTrue(lines.first?.contains("using the CPU backend") ?? false, "\(lines)")
        }
        try TestSupport.skipIfOpenCLDisabled()
        XCTAssertEqual(try BackendSelection.make(kind: .opencl, deviceIndex: 0).backendName, "opencl")
        XCTAssertThrowsError(try BackendSelection.make(kind: .opencl, deviceIndex: 999)) { error in
            guard case .noDevice(999, _)? = error as? OpenCLError else { return XCTFail("\(error)") }
        }
    }

    /// The binary's kernels are exactly kernels/*.cl: a file missing from the plugin's list, or an
    /// out-of-date build, fails here.
    func testEmbeddedKernelsMatchTheKernelsFolder() throws {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("kernels")
        let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".cl") }
        XCTAssertEqual(Set(KernelSources.all.keys), Set(files),
                       "kernels/ and the embedded kernels differ: list every .cl file in Plugins/KernelEmbedder")
        for name in files {
            let text = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
            XCTAssertEqual(KernelSources.all[name], text, "\(name) differs from its embedded copy: rebuild")
        }
    }
}
