import Foundation

/// Per-step learning rate: linear warmup from `warmupLR`, then cosine from `baseLR` down to `minLR`
/// over `totalSteps` (timm's CosineLRScheduler with `warmup_prefix=False`, one cycle, stepped per
/// update): `lr(t) = warmupLR + t * (baseLR - warmupLR) / warmupSteps` for `t < warmupSteps`, else
/// `minLR + (baseLR - minLR) * (1 + cos(pi * t / totalSteps)) / 2`, and `minLR` from `totalSteps` on.
public struct LearningRateSchedule: Codable, Equatable, Sendable {
    public var baseLR: Double
    public var warmupLR: Double
    public var minLR: Double
    public var warmupSteps: Int
    public var totalSteps: Int

    public init(baseLR: Double, warmupLR: Double, minLR: Double, warmupSteps: Int, totalSteps: Int) {
        self.baseLR = baseLR; self.warmupLR = warmupLR; self.minLR = minLR
        self.warmupSteps = warmupSteps; self.totalSteps = totalSteps
    }

    /// The reference recipe's rates (base 5e-4, warmup start 5e-7, minimum 5e-6 at batch 512),
    /// scaled linearly by `batch / 512`. `base` overrides the unscaled base rate.
    public static func reference(batch: Int, warmupSteps: Int, totalSteps: Int, base: Double = 5e-4) -> LearningRateSchedule {
        let scale = Double(batch) / 512
        return LearningRateSchedule(baseLR: base * scale, warmupLR: 5e-7 * scale, minLR: 5e-6 * scale,
                                    warmupSteps: warmupSteps, totalSteps: totalSteps)
    }

    /// The rate of update `t` (0-based: the first update uses `rate(0)`).
    public func rate(at t: Int) -> Double {
        if t < warmupSteps {
            let increment = (baseLR - warmupLR) / Double(warmupSteps)
            return warmupLR + Double(t) * increment
        }
        guard t < totalSteps else { return minLR }
        return minLR + 0.5 * (baseLR - minLR) * (1 + cos(Double.pi * Double(t) / Double(totalSteps)))
    }
}
