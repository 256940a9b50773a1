/// Re-balancing weights `w_c = N / (10 n_c)` from the training split's label counts (shared/MEK.md).
/// Rare classes get large weights; computed from the data actually loaded, never hard-coded.
public enum ClassWeights {
    public static func inverseFrequency(counts: [Int]) throws -> [Float] {
        let total = counts.reduce(0, +)
        for (c, n) in counts.enumerated() where n <= 0 {
            throw LossError.emptyClass(c)
        }
        return counts.map { Float(Double(total) / (10 * Double($0))) }
    }
}

public enum LossError: Error, CustomStringConvertible {
    case emptyClass(Int)
    case labelOutOfRange(Int, classes: Int)

    public var description: String {
        switch self {
        case .emptyClass(let c): return "class \(c) has no training samples, so its re-balancing weight is undefined"
        case let .labelOutOfRange(l, k): return "label \(l) is outside 0..<\(k)"
        }
    }
}
