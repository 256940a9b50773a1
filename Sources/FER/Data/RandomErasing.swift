import Foundation

/// timm's RandomErasing(probability, mode='pixel', max_count=1) as create_transform places it: on the
/// normalized float CHW tensor of one image, after Normalize. With probability `probability` one
/// rectangle is chosen: up to `maxAttempts` times draw an area fraction uniform in [minArea, maxArea]
/// and a log-uniform aspect ratio (height / width) in [minAspect, maxAspect], round
/// h = sqrt(area * ratio) and w = sqrt(area / ratio) half-to-even (as Python's round), and accept the
/// first with h < height and w < width, placed uniformly; its pixels in every channel are replaced by
/// independent standard normal values. If no attempt fits nothing is erased.
public struct RandomErasing: Sendable {
    public var probability: Float
    public var minArea: Double
    public var maxArea: Double
    public var minAspect: Double
    public var maxAspect: Double
    public var maxAttempts: Int

    /// A rectangle of the image, in pixels.
    public struct Region: Equatable, Sendable {
        public var top: Int
        public var left: Int
        public var height: Int
        public var width: Int
        public init(top: Int, left: Int, height: Int, width: Int) {
            self.top = top; self.left = left; self.height = height; self.width = width
        }
    }

    /// `maxAspect` defaults to 1 / minAspect, as in timm.
    public init(probability: Float = 0.25, minArea: Double = 0.02, maxArea: Double = 1.0 / 3.0,
                minAspect: Double = 0.3, maxAspect: Double? = nil, maxAttempts: Int = 10) {
        precondition(minArea > 0 && minArea <= maxArea, "RandomErasing: need 0 < minArea <= maxArea")
        precondition(minAspect > 0, "RandomErasing: minAspect must be positive")
        self.probability = probability
        self.minArea = minArea
        self.maxArea = maxArea
        self.minAspect = minAspect
        self.maxAspect = maxAspect ?? 1 / minAspect
        self.maxAttempts = maxAttempts
    }

    /// Uniform in [0, 1) with 53 random bits.
    private static func unit(_ rng: inout SeededRandom) -> Double {
        Double(rng.next() >> 11) * (1.0 / 9_007_199_254_740_992.0)
    }

    /// Uniform integer in lo...hi (both inclusive).
    private static func integer(_ lo: Int, _ hi: Int, _ rng: inout SeededRandom) -> Int {
        lo + Int(rng.next() % UInt64(hi - lo + 1))
    }

    /// The random part of one call: nil when this draw erases nothing (the probability test failed
    /// or no attempt fitted). Consumes the same draws as `apply` does before it fills.
    public func sampleRegion(height: Int, width: Int, rng: inout SeededRandom) -> Region? {
        // timm skips when random() > probability.
        if rng.uniform() > probability { return nil }
        let area = Double(height * width)
        let logLo = log(minAspect), logHi = log(maxAspect)
        for _ in 0..<maxAttempts {
            let target = (minArea + (maxArea - minArea) * Self.unit(&rng)) * area
            let ratio = exp(logLo + (logHi - logLo) * Self.unit(&rng))
            let h = Int((target * ratio).squareRoot().rounded(.toNearestOrEven))
            let w = Int((target / ratio).squareRoot().rounded(.toNearestOrEven))
            if w < width && h < height {
                let top = Self.integer(0, height - h, &rng)
                let left = Self.integer(0, width - w, &rng)
                return Region(top: top, left: left, height: h, width: w)
            }
        }
        return nil
    }

    /// Erases (or not) one image stored channel-major (`chw[(c * height + y) * width + x]`), filling
    /// the region channel by channel, row by row with standard normal noise. Returns the region.
    @discardableResult
    public func apply(to chw: inout [Float], channels: Int, height: Int, width: Int,
                      rng: inout SeededRandom) -> Region? {
        precondition(chw.count == channels * height * width, "RandomErasing: tensor size mismatch")
        guard let r = sampleRegion(height: height, width: width, rng: &rng) else { return nil }
        for c in 0..<channels {
            for y in r.top..<(r.top + r.height) {
                let row = (c * height + y) * width
                for x in r.left..<(r.left + r.width) {
                    chw[row + x] = rng.normal()
                }
            }
        }
        return r
    }
}
