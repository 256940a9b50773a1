import Foundation

/// The files of one training run, with names scripts can rely on:
/// `config.json` (every setting, resolved), `metrics.jsonl` (one object per step), `eval.jsonl`
/// (one object per evaluation), `last.safetensors` + `last.state.safetensors`, `best.safetensors`.
public struct RunFolder: Sendable {
    public let url: URL
    public var config: URL { url.appendingPathComponent("config.json") }
    public var metrics: URL { url.appendingPathComponent("metrics.jsonl") }
    public var evaluations: URL { url.appendingPathComponent("eval.jsonl") }
    public var last: URL { url.appendingPathComponent("last.safetensors") }
    public var lastState: URL { url.appendingPathComponent("last.state.safetensors") }
    public var best: URL { url.appendingPathComponent("best.safetensors") }

    public init(_ url: URL) { self.url = url }

    /// A fresh folder under `runs/` named by time and method.
    public static func fresh(under parent: String = "runs", method: String) -> RunFolder {
        let f = DateFormatter()
        f.dateFormat = "yyyyMMdd-HHmmss"
        var name = "\(f.string(from: Date()))-\(method)"
        var n = 1
        while FileManager.default.fileExists(atPath: parent + "/" + name) { n += 1; name = "\(f.string(from: Date()))-\(method)-\(n)" }
        return RunFolder(URL(fileURLWithPath: parent).appendingPathComponent(name))
    }

    public func create(settings: TrainingSettings) throws {
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        try AtomicFile.write(try stableJSON(settings, pretty: true), to: config)
        for file in [metrics, evaluations] { try Data().write(to: file) }
    }

    public func loadSettings() throws -> TrainingSettings {
        guard let data = FileManager.default.contents(atPath: config.path) else {
            throw FileError.cannotRead(config.path, "no config.json; is \(url.path) a run folder?")
        }
        do { return try JSONDecoder().decode(TrainingSettings.self, from: data) } catch {
            throw FileError.cannotRead(config.path, "not a valid run configuration: \(error)")
        }
    }

    public func appendStep(_ record: Trainer.StepRecord) throws {
        try append(try stableJSON(record), to: metrics)
    }

    public func appendEvaluation(_ metrics: ClassificationMetrics, step: Int) throws {
        let data = try JSONSerialization.data(withJSONObject: metrics.jsonObject(step: step), options: [.sortedKeys])
        try append(data, to: evaluations)
    }

    /// Drops log lines written after `step` (a run resumed from an older save repeats those steps).
    public func truncateLogs(after step: Int) throws {
        for file in [metrics, evaluations] {
            guard let data = FileManager.default.contents(atPath: file.path) else { continue }
            let kept = String(decoding: data, as: UTF8.self).split(separator: "\n").filter { line in
                guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                      let s = object["step"] as? Int else { return false }
                return s <= step
            }
            try AtomicFile.write(Data(kept.map { $0 + "\n" }.joined().utf8), to: file)
        }
    }

    private func append(_ line: Data, to file: URL) throws {
        guard let handle = FileHandle(forWritingAtPath: file.path) else {
            throw FileError.cannotWrite(file.path, "cannot open for appending")
        }
        defer { try? handle.close() }
        do {
            try handle.seekToEnd()
            try handle.write(contentsOf: line + Data("\n".utf8))
        } catch {
            throw FileError.cannotWrite(file.path, "\(error)")
        }
    }
}
