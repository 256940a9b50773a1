import FER
import Foundation

/// `fer devices`: the CPU backend and every OpenCL platform/device, with the index `--device` takes.
enum DevicesCommand {
    static let spec = CommandSpec(name: "devices", summary: "list the compute devices (CPU, OpenCL platforms and devices)",
                                  usage: "[--json]", options: [OptionSpec("json", nil, "print one JSON object")])

    static func run(_ args: [String]) throws {
        let o = try spec.parse(args)
        let cpu = CPUDevice()
        var openCL: [OpenCLDeviceInfo] = []
        var openCLError: String? = nil
        do { openCL = try OpenCLDevice.listDevices() } catch { openCLError = "\(error)" }
        if o.has("json") {
            var object: [String: Any] = [
                "cpu": ["description": cpu.deviceDescription, "threads": ProcessInfo.processInfo.activeProcessorCount],
                "opencl": openCL.map { d -> [String: Any] in
                    ["index": d.index, "platform": d.platform, "name": d.name, "vendor": d.vendor, "type": d.type,
                     "global_memory_bytes": d.globalMemoryBytes, "compute_units": d.computeUnits,
                     "max_work_group_size": d.maxWorkGroupSize, "opencl_c": d.openCLCVersion,
                     "tuning": "\(OpenCLTuning.forDevice(d))"]
                },
            ]
            if let openCLError { object["opencl_error"] = openCLError }
            print(try jsonLine(object))
            return
        }
        print("cpu backend: \(cpu.deviceDescription)")
        if let openCLError {
            print("opencl: \(openCLError)")
            return
        }
        if openCL.isEmpty { print("opencl: no devices") }
        var platform = ""
        for d in openCL {
            if d.platform != platform {
                platform = d.platform
                print("opencl platform: \(platform)")
            }
            print(String(format: "  [%d] %@ (%@, %@): %.1f GiB, %d compute units, %@", d.index, d.name, d.type, d.vendor,
                         Double(d.globalMemoryBytes) / Double(1 << 30), d.computeUnits, d.openCLCVersion))
            print("      tiles: \(OpenCLTuning.forDevice(d))")
        }
        print("use --backend opencl --device N, or --backend auto (a GPU when present, else the CPU)")
    }
}
