/// Which backend a command runs on (`--backend cpu|opencl|auto`).
public enum BackendKind: String, CaseIterable, Sendable {
    /// The CPU backend (OpenBLAS + Swift loops).
    case cpu
    /// The OpenCL backend on device `--device N` (default: the first GPU, else the first device).
    case opencl
    /// A GPU through OpenCL when one is present, else the CPU backend. A failed OpenCL start falls
    /// back to the CPU with one log line saying why.
    case auto
}

/// Creates the device for a command.
public enum BackendSelection {
    /// The device for `kind`. `deviceIndex` indexes `OpenCLDevice.listDevices()` (for `auto` it is
    /// used when it names a GPU); `threads` sizes the CPU backend; `log` receives at most one line,
    /// for `auto`, saying why it did not take a GPU. Throws for `opencl` when no OpenCL device can
    /// start (the error names the OpenCL status, or says how to install a platform).
    public static func make(kind: BackendKind, deviceIndex: Int? = nil, threads: Int? = nil,
                            log: (String) -> Void = { _ in }) throws -> Device {
        switch kind {
        case .cpu:
            return CPUDevice(threads: threads)
        case .opencl:
            return try OpenCLDevice(deviceIndex: deviceIndex)
        case .auto:
            let gpu: OpenCLDeviceInfo
            do {
                let devices = try OpenCLDevice.listDevices()
                if let i = deviceIndex, devices.indices.contains(i), devices[i].isGPU {
                    gpu = devices[i]
                } else if let first = devices.first(where: { $0.isGPU }) {
                    gpu = first
                } else {
                    log("backend auto: no OpenCL GPU found (\(devices.count) OpenCL device(s)); using the CPU backend")
                    return CPUDevice(threads: threads)
                }
            } catch {
                log("backend auto: OpenCL unavailable (\(error)); using the CPU backend")
                return CPUDevice(threads: threads)
            }
            do {
                return try OpenCLDevice(deviceIndex: gpu.index)
            } catch {
                log("backend auto: OpenCL on \(gpu.name) failed to start (\(error)); using the CPU backend")
                return CPUDevice(threads: threads)
            }
        }
    }
}
