/// Classifies image files with a loaded model: decoding, the evaluation preprocessing, batched
/// forward passes, softmax on the device, and the CAM maps rearranged as `[class][row][column]`.
public struct Predictor {
    public let model: MEKModel
    public let classNames: [String]
    public var batchSize = 32

    public init(model: MEKModel, classNames: [String]) {
        self.model = model
        self.classNames = classNames
    }

    public struct Prediction {
        public let image: String
        public let label: String
        public let logits: [Float]
        public let probabilities: [Float]
        /// `[class][row][column]`, present when requested.
        public let cam: [[[Float]]]?
    }

    public func predict(paths: [String], withCAM: Bool = false) throws -> [Prediction] {
        let device = model.device, config = model.config
        let pipeline = ImagePipeline(imageSize: config.imageSize, policy: .none)
        let k = config.numClasses, grid = config.finalResolution, cells = grid * grid
        var out: [Prediction] = []
        for start in stride(from: 0, to: paths.count, by: batchSize) {
            let chunk = Array(paths[start..<min(paths.count, start + batchSize)])
            var inputs: [Float] = []
            for p in chunk { inputs += pipeline.evaluate(try ImageCodec.decodeFile(atPath: p)) }
            let images = try device.makeTensor([chunk.count, config.inChannels, config.imageSize, config.imageSize])
            try device.write(inputs, to: images)
            let pass = try model.predict(images: images, batch: chunk.count)
            let probsTensor = try device.makeTensor([chunk.count, k])
            device.softmax(pass.logits, into: probsTensor, rows: chunk.count, cols: k)
            let logits = try device.read(pass.logits), probs = try device.read(probsTensor)
            let cams = withCAM ? try device.read(pass.cams) : []
            for (i, path) in chunk.enumerated() {
                let p = Array(probs[(i * k)..<((i + 1) * k)])
                let top = p.indices.max { p[$0] < p[$1] } ?? 0
                let cam: [[[Float]]]? = withCAM ? (0..<k).map { c in (0..<grid).map { r in (0..<grid).map { col in
                    cams[(i * cells + r * grid + col) * k + c] } } } : nil
                out.append(Prediction(image: path, label: classNames[top], logits: Array(logits[(i * k)..<((i + 1) * k)]),
                                      probabilities: p, cam: cam))
            }
        }
        return out
    }
}
