import FER
import Foundation

/// `fer predict`: class, probabilities and optionally the CAM maps of each image.
enum PredictCommand {
    static let spec = CommandSpec(
        name: "predict", summary: "classify face images with a checkpoint",
        usage: "--checkpoint FILE [--json] [--cam] IMAGE...",
        options: [
            OptionSpec("checkpoint", "FILE", "model weights (.safetensors, ours or converted from the PyTorch reference)"),
            OptionSpec("json", nil, "one JSON object per image and line: image, label, logits, probabilities"),
            OptionSpec("cam", nil, "add the class activation maps ([class][row][column]) to the JSON output"),
        ] + CommonOptions.backend)

    static func run(_ args: [String]) throws {
        let o = try spec.parse(args)
        guard let path = o.string("checkpoint") else { throw UsageError.other("fer predict: --checkpoint FILE is required") }
        guard !o.positionals.isEmpty else { throw UsageError.other("fer predict: give at least one IMAGE") }
        let device = try CommonOptions.device(o)
        let loaded = try ModelCheckpoint.load(path: path, device: device, log: note)
        let predictions = try Predictor(model: loaded.model, classNames: loaded.classNames)
            .predict(paths: o.positionals, withCAM: o.has("cam"))
        for p in predictions {
            if o.has("json") {
                var object: [String: Any] = ["image": p.image, "label": p.label,
                                             "logits": p.logits.map(Double.init), "probabilities": p.probabilities.map(Double.init)]
                if let cam = p.cam { object["cam"] = cam.map { $0.map { $0.map(Double.init) } } }
                print(try jsonLine(object))
            } else {
                let top = p.probabilities.max() ?? 0
                let listing = zip(loaded.classNames, p.probabilities).map { String(format: "%@ %.3f", $0.0, $0.1) }.joined(separator: "  ")
                print("\(p.image): \(p.label) (\(String(format: "%.1f%%", 100 * top)))  [\(listing)]")
            }
        }
    }
}
