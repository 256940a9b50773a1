// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "swift-fer",
    products: [
        .executable(name: "fer", targets: ["fer"]),
        .library(name: "FER", targets: ["FER"]),
    ],
    targets: [
        .systemLibrary(name: "COpenBLAS", path: "Sources/COpenBLAS"),
        .systemLibrary(name: "COpenCL", path: "Sources/COpenCL"),
        .systemLibrary(name: "CImageCodecs", path: "Sources/CImageCodecs"),
        .executableTarget(name: "KernelEmbedderTool", path: "Plugins/KernelEmbedderTool"),
        .plugin(name: "KernelEmbedder", capability: .buildTool(), dependencies: ["KernelEmbedderTool"]),
        .target(name: "Kernels", path: "Sources/Kernels", plugins: ["KernelEmbedder"]),
        .target(
            name: "FER",
            dependencies: ["COpenBLAS", "COpenCL", "CImageCodecs", "Kernels"],
            path: "Sources/FER",
            // Optimized in every configuration: the numeric loops run 10-50x slower unoptimized, and
            // the test suite (a debug build) trains real models.
            swiftSettings: [.unsafeFlags(["-Ounchecked"])]
        ),
        .executableTarget(name: "fer", dependencies: ["FER"], path: "Sources/fer-cli"),
        .testTarget(
            name: "FERTests",
            dependencies: ["FER", "Kernels"],
            path: "Tests/FERTests",
            exclude: ["Fixtures"]
        ),
    ],
    swiftLanguageModes: [.v5]
)
