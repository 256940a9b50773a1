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
        let model = loaded.model, config = model.config
        let pipeline = ImagePipeline(imageSize: config.imageSize, policy: .none)
        let k = config.numClasses, grid = config.finalResolution, cells = grid * grid
        let chunk = 32
        for start in stride(from: 0, to: o.positionals.count, by: chunk) {
            let paths = Array(o.positionals[start..<min(o.positionals.count, start + chunk)])
            var inputs: [Float] = []
            for p in paths { inputs += pipeline.evaluate(try ImageCodec.decodeFile(atPath: p)) }
            let images = try device.makeTensor([paths.count, config.inChannels, config.imageSize, config.imageSize])
            try device.write(inputs, to: images)
            let pass = try model.predict(images: images, batch: paths.count)
            let probsTensor = try device.makeTensor([paths.count, k])
            device.softmax(pass.logits, into: probsTensor, rows: paths.count, cols: k)
            let logits = try device.read(pass.logits), probs = try device.read(probsTensor)
            let cams = o.has("cam") ? try device.read(pass.cams) : []
            for (i, p) in paths.enumerated() {
                let z = Array(logits[(i * k)..<((i + 1) * k)]), pr = Array(probs[(i * k)..<((i + 1) * k)])
                let top = pr.indices.max { pr[$0] < pr[$1] } ?? 0
                if o.has("json") {
                    var object: [String: Any] = ["image": p, "label": loaded.classNames[top],
                                                 "logits": z.map(Double.init), "probabilities": pr.map(Double.init)]
                    if o.has("cam") {
                        object["cam"] = (0..<k).map { c in (0..<grid).map { r in (0..<grid).map { col in
                            Double(cams[((i * cells) + r * grid + col) * k + c]) } } }
                    }
                    print(try jsonLine(object))
                } else {
                    let listing = zip(loaded.classNames, pr).map { String(format: "%@ %.3f", $0.0, $0.1) }.joined(separator: "  ")
                    print("\(p): \(loaded.classNames[top]) (\(String(format: "%.1f%%", 100 * pr[top])))  [\(listing)]")
                }
            }
        }
    }
}
