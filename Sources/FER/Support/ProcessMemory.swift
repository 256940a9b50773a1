import Foundation

/// Memory figures of this process, from /proc (Linux).
public enum ProcessMemory {
    /// Peak resident set size (VmHWM) in bytes, or nil where /proc is unavailable.
    public static func peakResidentBytes() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let parts = line.split(separator: " ").filter { !$0.isEmpty }
            if parts.count >= 2, let kb = Int(parts[1]) { return kb * 1024 }
        }
        return nil
    }
}
