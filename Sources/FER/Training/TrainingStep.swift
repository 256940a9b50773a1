/// One MEK update, shared by the trainer and `fer bench`: upload the batch, add its horizontal
/// flip (when the attention term is on), one packed forward, the loss, one backward, the gradient
/// norm and the clipped AdamW update, all on the model's device. Owns the optimizer moments.
public final class TrainingStep {
    public let model: MEKModel
    public let loss: MEKLoss
    public let batch: Int
    let device: Device
    let images: Tensor
    public let m: Tensor, v: Tensor
    let gradNormSquared: Tensor
    let classWeights: Tensor
    public var weightDecay: Float = 0.05
    public var clipNorm: Float? = 5

    public init(model: MEKModel, loss: MEKLoss, batch: Int) throws {
        self.model = model
        self.loss = loss
        self.batch = batch
        device = model.device
        let config = model.config
        let packed = loss.packedBatch(batch)
        images = try device.makeTensor([packed, config.inChannels, config.imageSize, config.imageSize])
        let count = model.parameters.layout.totalCount
        m = try device.makeTensor([count])
        v = try device.makeTensor([count])
        gradNormSquared = try device.makeTensor([1])
        classWeights = try device.makeTensor([loss.classWeights.count])
        try device.write(loss.classWeights, to: classWeights)
    }

    public struct Result {
        public var loss: MEKLoss.Value
        /// Total gradient L2 norm before clipping.
        public var gradNorm: Float
    }

    /// Runs update number `step` (0-based) at learning rate `lr`; `dropPath` nil turns drop-path off.
    public func run(images host: [Float], labels: [Int], lr: Double, step: Int, dropPath: inout SeededRandom?) throws -> Result {
        let config = model.config
        let b = labels.count
        guard b == batch, host.count == b * config.inChannels * config.imageSize * config.imageSize else {
            throw ModelError.shape("training batch", expected: [batch, config.inChannels, config.imageSize, config.imageSize],
                                   found: [labels.count, host.count / max(1, config.inChannels * config.imageSize * config.imageSize)])
        }
        let packed = loss.packedBatch(b)
        try device.write(host, to: images.rows(0..<b))
        if loss.usesFlippedView {
            device.flipLastAxis(images.rows(0..<b), rows: b * config.inChannels * config.imageSize, width: config.imageSize,
                                into: images.rows(b..<packed))
        }
        let pass = try model.forward(images: images, batch: packed, dropPath: &dropPath)
        let (value, dlogits, dcams) = try loss.evaluate(device: device, pass: pass, labels: labels,
                                                        classWeightsTensor: classWeights, grid: config.finalResolution)
        guard value.total.isFinite else { throw TrainingError.diverged(step: step, loss: value.total) }
        model.parameters.zeroGradients()
        try model.backward(pass, dlogits: dlogits, dcams: dcams)
        device.sumOfSquares(model.parameters.gradients, into: gradNormSquared, accumulate: false)
        device.adamW(parameters: model.parameters.values, gradients: model.parameters.gradients, m: m, v: v,
                     gradNormSquared: gradNormSquared,
                     settings: AdamWStep(learningRate: Float(lr), step: step + 1, maxGradNorm: clipNorm, weightDecay: weightDecay))
        let norm = try device.read(gradNormSquared)[0].squareRoot()
        return Result(loss: value, gradNorm: norm)
    }
}
