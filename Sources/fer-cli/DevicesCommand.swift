import FER
import Foundation

/// `fer devices`: the OpenCL platforms and devices of this machine, with the index `--device N`
/// takes, their memory and compute units, and the kernel tile-table entry each would use.
enum DevicesCommand {
    static let spec = CommandSpec(
        name: "devices", summary: "list the OpenCL platforms and devices (for --backend opencl --device N)",
        usage: "", options: [])

    static func run(_ args: [String]) throws {
        _ = try spec.parse(args)
        let devices = try OpenCLDevice.listDevices()
        guard !devices.isEmpty else {
            print("no OpenCL device: \(OpenCLError.noPlatform)")
            print("--backend auto uses the CPU backend")
            return
        }
        for d in devices {
            print(d)
            print("    kernels: \(OpenCLTuning.forDevice(d))")
        }
        let auto = devices.first(where: { $0.isGPU }).map { "OpenCL device \($0.index) (\($0.name))" } ?? "the CPU backend (no OpenCL GPU)"
        print("--backend auto uses \(auto)")
    }
}
