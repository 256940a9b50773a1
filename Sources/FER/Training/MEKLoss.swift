/// How the classification targets are smoothed.
public enum Smoothing: String, Codable, CaseIterable, Sendable {
    /// MEK's re-balanced smooth labels: the mass `e` goes to the non-target classes in proportion to
    /// their class weights.
    case rebalanced
    /// Ordinary label smoothing: `1 - e` on the target plus `e / K` on every class.
    case uniform
    /// One-hot targets (plain cross-entropy).
    case none
}

/// The MEK objective (shared/MEK.md): `L_cls + attentionWeight * L_att` on a batch packed as
/// `[originals; horizontal flips]`, so one forward pass of `2B` images gives both views.
///
/// With `attentionWeight == 0` the flipped half is not needed and `evaluate` expects a batch of the
/// `B` originals only.
public struct MEKLoss {
    public var smoothing: Smoothing
    public var epsilon: Float
    public var attentionWeight: Float
    /// Weights used by re-balanced smoothing and by the attention term (all ones for `--class-weights none`).
    public var classWeights: [Float]

    public init(smoothing: Smoothing = .rebalanced, epsilon: Float = 0.3, attentionWeight: Float = 0.1, classWeights: [Float]) {
        self.smoothing = smoothing; self.epsilon = epsilon
        self.attentionWeight = attentionWeight; self.classWeights = classWeights
    }

    public var usesFlippedView: Bool { attentionWeight != 0 }
    /// Images per forward pass for `batch` samples: originals, then their flips when used.
    public func packedBatch(_ batch: Int) -> Int { usesFlippedView ? 2 * batch : batch }

    /// Target distributions `[labels.count, K]`, row-major.
    public func targets(labels: [Int]) throws -> [Float] {
        let k = classWeights.count
        var t = [Float](repeating: 0, count: labels.count * k)
        for (b, y) in labels.enumerated() {
            guard y >= 0 && y < k else { throw LossError.labelOutOfRange(y, classes: k) }
            let row = b * k
            switch smoothing {
            case .none:
                t[row + y] = 1
            case .uniform:
                for c in 0..<k { t[row + c] = epsilon / Float(k) }
                t[row + y] += 1 - epsilon
            case .rebalanced:
                var others = 0.0
                for c in 0..<k where c != y { others += Double(classWeights[c]) }
                for c in 0..<k where c != y { t[row + c] = Float(Double(epsilon) * Double(classWeights[c]) / others) }
                t[row + y] = 1 - epsilon
            }
        }
        return t
    }

    /// Loss values of one batch, host side.
    public struct Value: Equatable {
        public var total: Float
        public var classification: Float
        public var attention: Float
    }

    /// Computes the loss of `pass` (a forward of `[originals; flips]`, or of originals only when the
    /// attention weight is 0) and the gradients of its logits and maps, ready for `model.backward`.
    public func evaluate(device d: Device, pass: MEKModel.ForwardPass, labels: [Int],
                         classWeightsTensor: Tensor, grid: Int) throws -> (value: Value, dlogits: Tensor, dcams: Tensor?) {
        let b = labels.count, k = classWeights.count
        let expectedBatch = packedBatch(b)
        guard pass.batch == expectedBatch else {
            throw ModelError.shape("forward batch", expected: [expectedBatch], found: [pass.batch])
        }
        let targetTensor = try d.makeTensor([b, k])
        try d.write(try targets(labels: labels), to: targetTensor)
        let dlogits = try d.makeTensor([pass.batch, k])
        let clsLosses = try d.makeTensor([b])
        d.softTargetCrossEntropy(logits: pass.logits.rows(0..<b), targets: targetTensor, batch: b, classes: k,
                                 gradScale: 1 / Float(b), losses: clsLosses, dlogits: dlogits.rows(0..<b))
        var dcams: Tensor? = nil
        var attention: Float = 0
        if usesFlippedView {
            let grads = try d.makeTensor(pass.cams.shape)
            let attLosses = try d.makeTensor([b])
            d.attentionConsistency(cams: pass.cams, classWeights: classWeightsTensor, batch: b, height: grid, width: grid,
                                   classes: k, gradScale: attentionWeight / Float(b), losses: attLosses, dcams: grads)
            attention = try d.read(attLosses).reduce(0, +) / Float(b)
            dcams = grads
        }
        let classification = try d.read(clsLosses).reduce(0, +) / Float(b)
        let value = Value(total: classification + attentionWeight * attention, classification: classification, attention: attention)
        return (value, dlogits, dcams)
    }
}
