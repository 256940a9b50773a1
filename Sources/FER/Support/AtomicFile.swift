import Foundation

/// Writes files so that a reader never sees a partial one: the bytes go to a temporary file in the
/// same folder, are flushed to disk (fsync), and the temporary file is renamed over the target.
public enum AtomicFile {
    public static func write(_ data: Data, to url: URL) throws {
        let folder = url.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let temporary = folder.appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())")
        let fd = open(temporary.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard fd >= 0 else { throw FileError.cannotWrite(temporary.path, String(cString: strerror(errno))) }
        var ok = true
        var message = ""
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let n = Foundation.write(fd, raw.baseAddress! + offset, raw.count - offset)
                if n <= 0 { ok = false; message = String(cString: strerror(errno)); return }
                offset += n
            }
        }
        if ok && fsync(fd) != 0 { ok = false; message = String(cString: strerror(errno)) }
        close(fd)
        guard ok else {
            unlink(temporary.path)
            throw FileError.cannotWrite(url.path, message)
        }
        guard rename(temporary.path, url.path) == 0 else {
            let why = String(cString: strerror(errno))
            unlink(temporary.path)
            throw FileError.cannotWrite(url.path, why)
        }
        // Make the rename itself durable.
        let dirFD = open(folder.path, O_RDONLY)
        if dirFD >= 0 { fsync(dirFD); close(dirFD) }
    }
}

public enum FileError: Error, CustomStringConvertible {
    case cannotWrite(String, String)
    case cannotRead(String, String)

    public var description: String {
        switch self {
        case let .cannotWrite(path, why): return "cannot write \(path): \(why)"
        case let .cannotRead(path, why): return "cannot read \(path): \(why)"
        }
    }
}
