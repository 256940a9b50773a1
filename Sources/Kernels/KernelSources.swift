/// The OpenCL C sources of kernels/, compiled into the binary so `fer` needs no file lookup at run
/// time. Filled by the OpenCL backend work; empty until then.
public enum KernelSources {
    /// File name (e.g. `gemm.cl`) to source text.
    public static let all: [String: String] = [:]
}
