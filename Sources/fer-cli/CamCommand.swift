import FER
import Foundation

/// `fer cam`: class activation map overlays as PNG files, one per image.
enum CamCommand {
    static let spec = CommandSpec(
        name: "cam", summary: "draw class activation maps over face images (PNG)",
        usage: "--checkpoint FILE [--out DIR] [--class NAME|all] [--flip] IMAGE...",
        options: [
            OptionSpec("checkpoint", "FILE", "model weights (.safetensors)"),
            OptionSpec("out", "DIR", "folder for the PNG files (default cams); each is named IMAGE-cam[-CLASS|-all][-flip].png"),
            OptionSpec("class", "NAME|all", "the class whose map is drawn (name or index; default: the predicted class); all: one panel per class"),
            OptionSpec("flip", nil, "beside each map, the mirrored image's map mirrored back (the attention consistency pair)"),
            OptionSpec("alpha", "A", "opacity of the colour map over the face, 0...1 (default 0.5)"),
        ] + CommonOptions.backend)

    static func run(_ args: [String]) throws {
        let o = try spec.parse(args)
        guard let path = o.string("checkpoint") else { throw UsageError.other("fer cam: --checkpoint FILE is required") }
        guard !o.positionals.isEmpty else { throw UsageError.other("fer cam: give at least one IMAGE") }
        let alpha = try o.double("alpha", min: 0) ?? 0.5
        guard alpha <= 1 else { throw UsageError.badValue(command: "cam", option: "--alpha", value: "\(alpha)", expected: "a number in 0...1") }
        let device = try CommonOptions.device(o)
        let loaded = try ModelCheckpoint.load(path: path, device: device, log: note)
        let selection = try parseSelection(o.string("class"), classNames: loaded.classNames)
        var renderer = CAMRenderer(model: loaded.model, classNames: loaded.classNames)
        renderer.alpha = Float(alpha)
        let outDir = URL(fileURLWithPath: o.string("out") ?? "cams")
        try FileManager.default.createDirectory(at: outDir, withIntermediateDirectories: true)
        let suffix: String
        switch selection {
        case .predicted: suffix = ""
        case .all: suffix = "-all"
        case .classIndex(let k): suffix = "-" + safeName(loaded.classNames[k])
        }
        var used: Set<String> = []
        let chunk = 16
        for start in stride(from: 0, to: o.positionals.count, by: chunk) {
            let paths = Array(o.positionals[start..<min(o.positionals.count, start + chunk)])
            let faces = try paths.map { try ImageCodec.decodeFile(atPath: $0) }
            let analyses = try renderer.analyze(faces, flip: o.has("flip"))
            for (p, a) in zip(paths, analyses) {
                let stem = safeName(URL(fileURLWithPath: p).deletingPathExtension().lastPathComponent)
                var name = stem + "-cam" + suffix + (o.has("flip") ? "-flip" : "")
                var n = 2
                while used.contains(name) { name = stem + "-\(n)-cam" + suffix + (o.has("flip") ? "-flip" : ""); n += 1 }
                used.insert(name)
                let file = outDir.appendingPathComponent(name + ".png")
                try AtomicFile.write(try ImageCodec.encodePNG(renderer.render(a, selection: selection)), to: file)
                let top = a.predicted
                print("\(p): \(loaded.classNames[top]) \(String(format: "%.3f", Double(a.probabilities[top]))) -> \(file.path)")
            }
        }
    }

    /// `nil` = predicted; `all`; a class name (case-insensitive) or index.
    static func parseSelection(_ text: String?, classNames: [String]) throws -> CAMRenderer.Selection {
        guard let text else { return .predicted }
        if text.lowercased() == "all" { return .all }
        if let k = classNames.firstIndex(where: { $0.lowercased() == text.lowercased() }) { return .classIndex(k) }
        if let k = Int(text), classNames.indices.contains(k) { return .classIndex(k) }
        throw UsageError.badValue(command: "cam", option: "--class", value: text,
                                  expected: "all, or one of " + classNames.joined(separator: ", ") + " (or an index 0...\(classNames.count - 1))")
    }

    /// Letters, digits, `-`, `_` and `.` kept; anything else becomes `_`.
    static func safeName(_ s: String) -> String {
        String(s.map { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == "." ? $0 : "_" })
    }
}
