// The OpenCL runtime of the OpenCL backend.
//
// Design, in short:
// - Small on purpose (the tinygrad way): find a device, make one context and ONE in-order command
//   queue, build one program from every file of kernels/ (embedded in the binary by the Kernels
//   target) with stated build options, look kernels up by name, set arguments, enqueue. Ordering
//   comes from the in-order queue alone: no events, no host waits except `read`. The intelligence
//   is in the kernels; this file only moves arguments.
// - Tile table: kernel parameters (GEMM family and tile sizes, work-group sizes, row- or
//   group-shaped kernels) are chosen per device from a small table in OpenCLTuning.swift and reach
//   the kernels as -D defines, so a CPU (PoCL) gets CPU-shaped kernels and a GPU gets local-memory
//   tiles, from the same sources:
//     cpu     (any CPU device)  GEMM rb: 8 rows x float16 per work-item, 4x4 groups walking K in
//                               blocks of 128 (cache blocking by barrier), B^T as a transposed copy;
//                               one work-item per row for layer norm, window moves and attention.
//     gpu-64  (NVIDIA, AMD)     GEMM lt: 64x64x16 local-memory tiles, 4x4 per work-item (256),
//                               split-K when C gives < 2 groups per compute unit; group-per-row
//                               layer norm (128), local-memory window attention (128).
//     gpu-32  (any other GPU)   GEMM lt: 32x32x16 tiles, 4x4 per work-item (64); groups of 64/128.
//   Build options: `-cl-std=CL1.2` and the -D defines only; no -cl-fast-relaxed-math or
//   -cl-mad-enable, so results stay within ~1e-6 of the CPU backend (see OpenCLParityTests).
// - Sticky error: most `Device` operations do not throw (a training step is a long list of them).
//   The first OpenCL failure inside one is recorded; every later operation is skipped, and the
//   recorded error is thrown from the next throwing call (`read`, `write`, `makeTensor`), which a
//   step makes at least once to fetch its loss. Once failed, the device stays failed: results after
//   an error are not trustworthy, so every later throwing call throws the same error. Nothing in the
//   backend traps on an OpenCL status.
import COpenCL
import Foundation
import Kernels

/// One argument of a kernel launch. A tensor becomes two kernel arguments, its buffer and its
/// element offset (every kernel takes tensors as `(__global float* x, int xOff)`).
enum KernelArgument {
    case tensor(Tensor)
    case optionalTensor(Tensor?)
    case mem(cl_mem?)
    case int(Int)
    case float(Float)
    /// `__local` memory of this many bytes.
    case local(bytes: Int)
}

/// What `listDevices` reports about one OpenCL device.
public struct OpenCLDeviceInfo: CustomStringConvertible {
    /// Index across all platforms, in platform order: what `--device N` takes.
    public let index: Int
    public let platform: String
    public let name: String
    public let vendor: String
    /// `GPU`, `CPU`, `accelerator` or `other`.
    public let type: String
    public var isGPU: Bool { type == "GPU" }
    public let globalMemoryBytes: UInt64
    public let localMemoryBytes: UInt64
    public let maxAllocationBytes: UInt64
    public let computeUnits: Int
    public let maxWorkGroupSize: Int
    /// e.g. `OpenCL C 1.2 PoCL`.
    public let openCLCVersion: String
    let id: cl_device_id

    public var description: String {
        let gib = Double(globalMemoryBytes) / Double(1 << 30)
        return "[\(index)] \(name) (\(type), \(platform)): \(String(format: "%.1f", gib)) GiB, "
            + "\(computeUnits) compute units, \(localMemoryBytes / 1024) KiB local memory, \(openCLCVersion)"
    }
}

/// Context, queue, program and kernels on one OpenCL device.
final class OpenCLRuntime {
    let info: OpenCLDeviceInfo
    let context: cl_context
    let queue: cl_command_queue
    let program: cl_program
    let tuning: OpenCLTuning
    /// The options the program was built with.
    let buildOptions: String
    private var kernels: [String: cl_kernel] = [:]
    /// When set, every launch waits for its kernel and adds its wall time here, by kernel name
    /// (for benchmarks; it serializes host and device).
    var profile: [String: (launches: Int, seconds: Double)]?

    /// Creates the context and queue on `info`'s device and builds every kernel file with `tuning`.
    init(device info: OpenCLDeviceInfo, tuning: OpenCLTuning) throws {
        self.info = info
        self.tuning = tuning
        var status: cl_int = CL_SUCCESS
        var id: cl_device_id? = info.id
        guard let context = clCreateContext(nil, 1, &id, nil, nil, &status), status == CL_SUCCESS else {
            throw OpenCLError.call("clCreateContext", status: status)
        }
        guard let queue = clCreateCommandQueue(context, info.id, 0, &status), status == CL_SUCCESS else {
            clReleaseContext(context)
            throw OpenCLError.call("clCreateCommandQueue", status: status)
        }
        let options = (["-cl-std=CL1.2"] + tuning.defines.sorted(by: { $0.key < $1.key }).map { "-D \($0.key)=\($0.value)" })
            .joined(separator: " ")
        do {
            program = try OpenCLRuntime.buildProgram(context: context, device: info, options: options)
        } catch {
            clReleaseCommandQueue(queue)
            clReleaseContext(context)
            throw error
        }
        self.context = context
        self.queue = queue
        buildOptions = options
    }

    deinit {
        clFinish(queue)
        for kernel in kernels.values { clReleaseKernel(kernel) }
        clReleaseProgram(program)
        clReleaseCommandQueue(queue)
        clReleaseContext(context)
    }

    /// Builds all of `KernelSources.all` as one program (files in name order). A failure carries the
    /// device's build log.
    static func buildProgram(context: cl_context, device: OpenCLDeviceInfo, options: String) throws -> cl_program {
        let sources = KernelSources.all.sorted(by: { $0.key < $1.key }).map { "// \($0.key)\n" + $0.value }
        guard !sources.isEmpty else { throw OpenCLError.unsupported("the binary holds no kernel sources") }
        var status: cl_int = CL_SUCCESS
        let cStrings = sources.map { strdup($0) }
        defer { cStrings.forEach { free($0) } }
        var pointers = cStrings.map { UnsafePointer<CChar>($0) }
        var lengths = sources.map { $0.utf8.count }
        guard let program = clCreateProgramWithSource(context, cl_uint(sources.count), &pointers, &lengths, &status),
              status == CL_SUCCESS else {
            throw OpenCLError.call("clCreateProgramWithSource", status: status)
        }
        var id: cl_device_id? = device.id
        status = clBuildProgram(program, 1, &id, options, nil, nil)
        if status != CL_SUCCESS {
            let log = buildLog(program: program, device: device.id)
            clReleaseProgram(program)
            throw OpenCLError.build(device: device.name, options: options, status: status, log: log)
        }
        return program
    }

    static func buildLog(program: cl_program, device: cl_device_id) -> String {
        var size = 0
        guard clGetProgramBuildInfo(program, device, cl_program_build_info(CL_PROGRAM_BUILD_LOG), 0, nil, &size) == CL_SUCCESS,
              size > 1 else { return "(no build log)" }
        var bytes = [CChar](repeating: 0, count: size + 1)
        guard clGetProgramBuildInfo(program, device, cl_program_build_info(CL_PROGRAM_BUILD_LOG), size, &bytes, nil) == CL_SUCCESS
        else { return "(the build log could not be read)" }
        return String(cString: bytes)
    }

    /// The kernel named `name` (created once, then cached).
    func kernel(_ name: String) throws -> cl_kernel {
        if let k = kernels[name] { return k }
        var status: cl_int = CL_SUCCESS
        guard let k = clCreateKernel(program, name, &status), status == CL_SUCCESS else {
            throw OpenCLError.call("clCreateKernel(\(name))", status: status)
        }
        kernels[name] = k
        return k
    }

    /// Sets `args` and enqueues `name` over `global` work-items (each dimension rounded up to a
    /// multiple of `local`). Nothing is enqueued when a dimension is empty.
    func launch(_ name: String, global: [Int], local: [Int], _ args: [KernelArgument]) throws {
        precondition(global.count == local.count && (1...3).contains(global.count), "launch \(name): bad work sizes")
        guard global.allSatisfy({ $0 > 0 }) else { return }
        let k = try kernel(name)
        var index: cl_uint = 0
        func set<T>(_ value: T) throws {
            let status = withUnsafeBytes(of: value) { raw in clSetKernelArg(k, index, raw.count, raw.baseAddress) }
            try clCheck(status, "clSetKernelArg(\(name), \(index))")
            index += 1
        }
        for arg in args {
            switch arg {
            case let .tensor(t):
                try set(try mem(of: t) as cl_mem?)
                try set(try int32(t.offset, "offset of a tensor passed to \(name)"))
            case let .optionalTensor(t):
                try set(try t.map { try mem(of: $0) } as cl_mem?)
                try set(try int32(t?.offset ?? 0, "offset of a tensor passed to \(name)"))
            case let .mem(m):
                try set(m)
            case let .int(v):
                try set(try int32(v, "an integer argument of \(name)"))
            case let .float(v):
                try set(cl_float(v))
            case let .local(bytes):
                try clCheck(clSetKernelArg(k, index, max(4, bytes), nil), "clSetKernelArg(\(name), \(index), local)")
                index += 1
            }
        }
        var globalSizes = zip(global, local).map { g, l in (g + l - 1) / l * l }
        var localSizes = local
        for g in globalSizes { _ = try int32(g, "the work size of \(name)") }
        let start = profile == nil ? 0 : DispatchTime.now().uptimeNanoseconds
        if profile != nil { try clCheck(clFinish(queue), "clFinish") }
        try clCheck(clEnqueueNDRangeKernel(queue, k, cl_uint(global.count), nil, &globalSizes, &localSizes, 0, nil, nil),
                    "clEnqueueNDRangeKernel(\(name))")
        if let p = profile {
            try clCheck(clFinish(queue), "clFinish")
            let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
            let old = p[name] ?? (0, 0)
            profile?[name] = (old.launches + 1, old.seconds + seconds)
        }
    }

    /// The `cl_mem` behind a tensor of this runtime's context.
    func mem(of t: Tensor) throws -> cl_mem {
        guard let b = t.buffer as? OpenCLBuffer, b.pool.context == context else {
            throw OpenCLError.foreignTensor("a tensor of shape \(describe(shape: t.shape))")
        }
        return b.mem
    }

    private func int32(_ v: Int, _ what: String) throws -> Int32 {
        guard let r = Int32(exactly: v) else {
            throw OpenCLError.unsupported("\(what) is \(v), beyond the kernels' 32-bit indexing")
        }
        return r
    }

    // MARK: Discovery

    /// Every device of every platform, in platform order. An empty list when no platform is installed.
    static func listDevices() throws -> [OpenCLDeviceInfo] {
        var count: cl_uint = 0
        let status = clGetPlatformIDs(0, nil, &count)
        if status == -1001 || count == 0 { return [] }  // CL_PLATFORM_NOT_FOUND_KHR: no ICD installed
        try clCheck(status, "clGetPlatformIDs")
        var platforms = [cl_platform_id?](repeating: nil, count: Int(count))
        try clCheck(clGetPlatformIDs(count, &platforms, nil), "clGetPlatformIDs")
        var result: [OpenCLDeviceInfo] = []
        for case let platform? in platforms {
            let platformName = try platformString(platform, cl_platform_info(CL_PLATFORM_NAME))
            var n: cl_uint = 0
            let s = clGetDeviceIDs(platform, cl_device_type(CL_DEVICE_TYPE_ALL), 0, nil, &n)
            if s == CL_DEVICE_NOT_FOUND || n == 0 { continue }
            try clCheck(s, "clGetDeviceIDs")
            var ids = [cl_device_id?](repeating: nil, count: Int(n))
            try clCheck(clGetDeviceIDs(platform, cl_device_type(CL_DEVICE_TYPE_ALL), n, &ids, nil), "clGetDeviceIDs")
            for case let id? in ids {
                let type: cl_device_type = try deviceValue(id, CL_DEVICE_TYPE)
                let typeName = type & cl_device_type(CL_DEVICE_TYPE_GPU) != 0 ? "GPU"
                    : type & cl_device_type(CL_DEVICE_TYPE_CPU) != 0 ? "CPU"
                    : type & cl_device_type(CL_DEVICE_TYPE_ACCELERATOR) != 0 ? "accelerator" : "other"
                let units: cl_uint = try deviceValue(id, CL_DEVICE_MAX_COMPUTE_UNITS)
                let group: Int = try deviceValue(id, CL_DEVICE_MAX_WORK_GROUP_SIZE)
                result.append(OpenCLDeviceInfo(
                    index: result.count, platform: platformName,
                    name: try deviceString(id, CL_DEVICE_NAME), vendor: try deviceString(id, CL_DEVICE_VENDOR),
                    type: typeName,
                    globalMemoryBytes: try deviceValue(id, CL_DEVICE_GLOBAL_MEM_SIZE),
                    localMemoryBytes: try deviceValue(id, CL_DEVICE_LOCAL_MEM_SIZE),
                    maxAllocationBytes: try deviceValue(id, CL_DEVICE_MAX_MEM_ALLOC_SIZE),
                    computeUnits: Int(units), maxWorkGroupSize: group,
                    openCLCVersion: try deviceString(id, CL_DEVICE_OPENCL_C_VERSION), id: id))
            }
        }
        return result
    }

    private static func platformString(_ p: cl_platform_id, _ param: cl_platform_info) throws -> String {
        var size = 0
        try clCheck(clGetPlatformInfo(p, param, 0, nil, &size), "clGetPlatformInfo")
        var bytes = [CChar](repeating: 0, count: size + 1)
        try clCheck(clGetPlatformInfo(p, param, size, &bytes, nil), "clGetPlatformInfo")
        return String(cString: bytes).trimmingCharacters(in: .whitespaces)
    }

    private static func deviceString(_ d: cl_device_id, _ param: Int32) throws -> String {
        var size = 0
        try clCheck(clGetDeviceInfo(d, cl_device_info(param), 0, nil, &size), "clGetDeviceInfo")
        var bytes = [CChar](repeating: 0, count: size + 1)
        try clCheck(clGetDeviceInfo(d, cl_device_info(param), size, &bytes, nil), "clGetDeviceInfo")
        return String(cString: bytes).trimmingCharacters(in: .whitespaces)
    }

    private static func deviceValue<T: FixedWidthInteger>(_ d: cl_device_id, _ param: Int32) throws -> T {
        var value: T = 0
        try clCheck(clGetDeviceInfo(d, cl_device_info(param), MemoryLayout<T>.size, &value, nil), "clGetDeviceInfo")
        return value
    }
}
