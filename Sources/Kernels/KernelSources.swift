/// The OpenCL C sources of the package's `kernels/` folder, compiled into the binary by the
/// `KernelEmbedder` build-tool plugin, so `fer` needs no file lookup at run time.
public enum KernelSources {
    /// File name (e.g. `gemm.cl`) to source text.
    public static var all: [String: String] { embeddedKernelSources }
}
