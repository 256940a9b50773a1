/// Which backend a command runs on (`--backend`).
public enum BackendKind: String, CaseIterable, Sendable {
    case cpu, opencl, auto
}

/// Creates the device for a command.
public enum BackendSelection {
    public static func make(kind: BackendKind, deviceIndex: Int?, threads: Int?, log: (String) -> Void) throws -> Device {
        switch kind {
        case .cpu, .auto:
            return CPUDevice(threads: threads)
        case .opencl:
            throw BackendError.unavailable("the OpenCL backend is not part of this build yet")
        }
    }
}

public enum BackendError: Error, CustomStringConvertible {
    case unavailable(String)
    public var description: String {
        switch self { case .unavailable(let why): return why }
    }
}
