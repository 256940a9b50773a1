import COpenCL

/// A failure of the OpenCL backend: a status code from an OpenCL call (named, e.g.
/// `CL_OUT_OF_RESOURCES`), a program that did not build (with the device's build log), or a
/// missing platform or device. The description says what failed and, where there is one, what to do.
public enum OpenCLError: Error, CustomStringConvertible, Equatable {
    /// An OpenCL call returned `status`.
    case call(String, status: Int32)
    /// The kernel program did not build; `log` is the device compiler's build log.
    case build(device: String, options: String, status: Int32, log: String)
    /// No OpenCL platform (no ICD installed).
    case noPlatform
    /// `--device N` names no device; `available` devices exist.
    case noDevice(index: Int, available: Int)
    /// A tensor that this device did not make was passed to it.
    case foreignTensor(String)
    /// A request the backend cannot serve on this device (too large for 32-bit indexing, more local
    /// memory than the device has, ...).
    case unsupported(String)

    /// The `CL_...` name of an OpenCL status code (every code of cl.h up to 3.0, plus the
    /// extension codes a driver is likely to return), or `unknown OpenCL status N`.
    public static func name(of status: Int32) -> String {
        statusNames[status] ?? "unknown OpenCL status \(status)"
    }

    public var description: String {
        switch self {
        case let .call(function, status):
            var text = "\(function) failed: \(OpenCLError.name(of: status)) (\(status))"
            if let hint = OpenCLError.hint(for: status) { text += ". " + hint }
            return text
        case let .build(device, options, status, log):
            return "the OpenCL kernels did not build on \(device): \(OpenCLError.name(of: status)) (\(status)); "
                + "build options: \(options)\nbuild log:\n\(log)"
        case .noPlatform:
            return "no OpenCL platform found. Install one, e.g. on Debian/Ubuntu "
                + "`apt-get install pocl-opencl-icd ocl-icd-opencl-dev` (OpenCL on the CPU) or the GPU vendor's "
                + "OpenCL driver, or use --backend cpu"
        case let .noDevice(index, available):
            return "OpenCL device \(index) does not exist: \(available) device(s) found (see `fer devices`)"
        case let .foreignTensor(what):
            return "\(what) was not made by this OpenCL device; tensors cannot move between devices implicitly"
        case let .unsupported(what):
            return "the OpenCL backend cannot do this on this device: \(what)"
        }
    }

    /// What the user can do about the statuses that a correct program still meets at run time.
    static func hint(for status: Int32) -> String? {
        switch status {
        case -4, -5, -6, -61:
            return "The device ran out of memory or resources: use a smaller --batch-size, or --backend cpu"
        case -14, -9999:
            return "A kernel failed on the device (a lost device or an out-of-bounds access); "
                + "results of this run are not trustworthy"
        case -1, -2:
            return "Check the device with `fer devices` and `clinfo -l`"
        case -1001:
            return "No OpenCL platform is installed (e.g. `apt-get install pocl-opencl-icd`)"
        default:
            return nil
        }
    }

    static let statusNames: [Int32: String] = [
        0: "CL_SUCCESS",
        -1: "CL_DEVICE_NOT_FOUND",
        -2: "CL_DEVICE_NOT_AVAILABLE",
        -3: "CL_COMPILER_NOT_AVAILABLE",
        -4: "CL_MEM_OBJECT_ALLOCATION_FAILURE",
        -5: "CL_OUT_OF_RESOURCES",
        -6: "CL_OUT_OF_HOST_MEMORY",
        -7: "CL_PROFILING_INFO_NOT_AVAILABLE",
        -8: "CL_MEM_COPY_OVERLAP",
        -9: "CL_IMAGE_FORMAT_MISMATCH",
        -10: "CL_IMAGE_FORMAT_NOT_SUPPORTED",
        -11: "CL_BUILD_PROGRAM_FAILURE",
        -12: "CL_MAP_FAILURE",
        -13: "CL_MISALIGNED_SUB_BUFFER_OFFSET",
        -14: "CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST",
        -15: "CL_COMPILE_PROGRAM_FAILURE",
        -16: "CL_LINKER_NOT_AVAILABLE",
        -17: "CL_LINK_PROGRAM_FAILURE",
        -18: "CL_DEVICE_PARTITION_FAILED",
        -19: "CL_KERNEL_ARG_INFO_NOT_AVAILABLE",
        -30: "CL_INVALID_VALUE",
        -31: "CL_INVALID_DEVICE_TYPE",
        -32: "CL_INVALID_PLATFORM",
        -33: "CL_INVALID_DEVICE",
        -34: "CL_INVALID_CONTEXT",
        -35: "CL_INVALID_QUEUE_PROPERTIES",
        -36: "CL_INVALID_COMMAND_QUEUE",
        -37: "CL_INVALID_HOST_PTR",
        -38: "CL_INVALID_MEM_OBJECT",
        -39: "CL_INVALID_IMAGE_FORMAT_DESCRIPTOR",
        -40: "CL_INVALID_IMAGE_SIZE",
        -41: "CL_INVALID_SAMPLER",
        -42: "CL_INVALID_BINARY",
        -43: "CL_INVALID_BUILD_OPTIONS",
        -44: "CL_INVALID_PROGRAM",
        -45: "CL_INVALID_PROGRAM_EXECUTABLE",
        -46: "CL_INVALID_KERNEL_NAME",
        -47: "CL_INVALID_KERNEL_DEFINITION",
        -48: "CL_INVALID_KERNEL",
        -49: "CL_INVALID_ARG_INDEX",
        -50: "CL_INVALID_ARG_VALUE",
        -51: "CL_INVALID_ARG_SIZE",
        -52: "CL_INVALID_KERNEL_ARGS",
        -53: "CL_INVALID_WORK_DIMENSION",
        -54: "CL_INVALID_WORK_GROUP_SIZE",
        -55: "CL_INVALID_WORK_ITEM_SIZE",
        -56: "CL_INVALID_GLOBAL_OFFSET",
        -57: "CL_INVALID_EVENT_WAIT_LIST",
        -58: "CL_INVALID_EVENT",
        -59: "CL_INVALID_OPERATION",
        -60: "CL_INVALID_GL_OBJECT",
        -61: "CL_INVALID_BUFFER_SIZE",
        -62: "CL_INVALID_MIP_LEVEL",
        -63: "CL_INVALID_GLOBAL_WORK_SIZE",
        -64: "CL_INVALID_PROPERTY",
        -65: "CL_INVALID_IMAGE_DESCRIPTOR",
        -66: "CL_INVALID_COMPILER_OPTIONS",
        -67: "CL_INVALID_LINKER_OPTIONS",
        -68: "CL_INVALID_DEVICE_PARTITION_COUNT",
        -69: "CL_INVALID_PIPE_SIZE",
        -70: "CL_INVALID_DEVICE_QUEUE",
        -71: "CL_INVALID_SPEC_ID",
        -72: "CL_MAX_SIZE_RESTRICTION_EXCEEDED",
        -1001: "CL_PLATFORM_NOT_FOUND_KHR",
        -1057: "CL_DEVICE_PARTITION_FAILED_EXT",
        -1058: "CL_INVALID_PARTITION_COUNT_EXT",
        -1059: "CL_INVALID_PARTITION_NAME_EXT",
        -1121: "CL_CONTEXT_TERMINATED_KHR",
        -1138: "CL_INVALID_COMMAND_BUFFER_KHR",
        -1139: "CL_INVALID_SYNC_POINT_WAIT_LIST_KHR",
        -1140: "CL_INCOMPATIBLE_COMMAND_QUEUE_KHR",
        -9999: "NVIDIA driver error: illegal memory access",
    ]
}

/// Throws `OpenCLError.call` unless `status` is `CL_SUCCESS`.
@inline(__always)
func clCheck(_ status: cl_int, _ function: @autoclosure () -> String) throws {
    if status != CL_SUCCESS { throw OpenCLError.call(function(), status: status) }
}
