import PackagePlugin

/// Build-tool plugin of the `Kernels` target: compiles the OpenCL C files of the package's root
/// `kernels/` folder into the binary as Swift string literals, so the program needs no file lookup
/// at run time (SwiftPM resources hard-code the build folder and break when the binary moves).
///
/// The files are listed here explicitly: SwiftPM only reruns a build command when one of its
/// declared inputs changes, and a folder outside the target is not watched, so a new kernel file
/// must be added to `kernelFiles` (the `KernelSourcesTests` test fails until it is).
@main
struct KernelEmbedder: BuildToolPlugin {
    static let kernelFiles = [
        "activations.cl",
        "attention.cl",
        "gemm.cl",
        "layouts.cl",
        "losses.cl",
        "norms.cl",
        "optimizer.cl",
        "reductions.cl",
    ]

    func createBuildCommands(context: PluginContext, target: Target) async throws -> [Command] {
        let tool = try context.tool(named: "KernelEmbedderTool")
        let folder = context.package.directoryURL.appending(path: "kernels")
        let inputs = Self.kernelFiles.map { folder.appending(path: $0) }
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedKernelSources.swift")
        return [
            .buildCommand(displayName: "Embedding \(inputs.count) OpenCL kernel files",
                          executable: tool.url,
                          arguments: [output.path] + inputs.map(\.path),
                          inputFiles: inputs,
                          outputFiles: [output])
        ]
    }
}
