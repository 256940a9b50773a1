import Foundation

/// The operations of timm's "increasing" RandAugment set (`_RAND_INCREASING_TRANSFORMS`), in timm's
/// order. The raw value is timm's name for the operation.
public enum RandAugmentOp: String, CaseIterable, Sendable {
    case autoContrast = "AutoContrast"
    case equalize = "Equalize"
    case invert = "Invert"
    case rotate = "Rotate"
    case posterizeIncreasing = "PosterizeIncreasing"
    case solarizeIncreasing = "SolarizeIncreasing"
    case solarizeAdd = "SolarizeAdd"
    case colorIncreasing = "ColorIncreasing"
    case contrastIncreasing = "ContrastIncreasing"
    case brightnessIncreasing = "BrightnessIncreasing"
    case sharpnessIncreasing = "SharpnessIncreasing"
    case shearX = "ShearX"
    case shearY = "ShearY"
    case translateXRel = "TranslateXRel"
    case translateYRel = "TranslateYRel"

    /// Whether timm negates this operation's argument with probability 1/2.
    public var isSigned: Bool {
        switch self {
        case .rotate, .colorIncreasing, .contrastIncreasing, .brightnessIncreasing, .sharpnessIncreasing,
             .shearX, .shearY, .translateXRel, .translateYRel:
            return true
        default:
            return false
        }
    }

    /// Whether the operation moves pixels (and so resamples and fills).
    public var isGeometric: Bool {
        switch self {
        case .rotate, .shearX, .shearY, .translateXRel, .translateYRel: return true
        default: return false
        }
    }
}

/// RandAugment as timm's `rand-m9-mstd0.5-inc1` builds it inside `create_transform(...,
/// interpolation='bicubic', mean=0.5)`: `layers` operations drawn uniformly with replacement from the
/// 15 increasing operations; each is applied with probability `probability`; an applied operation
/// draws its magnitude from N(magnitude, magnitudeStd) clipped to [0, 10] and maps it to its PIL-level
/// argument (with a random sign for the signed operations). Geometric operations resample with
/// PIL's BICUBIC affine transform and fill uncovered pixels with `fill`.
///
/// The operations reproduce Pillow's (13.x) integer and float arithmetic, so at a fixed magnitude and
/// sign they give the same bytes as timm's functions (see Tests/FERTests/AugmentationTests.swift).
public struct RandAugment: Sendable {
    public var magnitude: Float
    public var magnitudeStd: Float
    public var layers: Int
    public var probability: Float
    public var fill: (UInt8, UInt8, UInt8)
    public var ops: [RandAugmentOp]

    /// The magnitude scale: argument mappings divide the magnitude by this, and noisy magnitudes are
    /// clipped to [0, maxMagnitude].
    public static let maxMagnitude: Double = 10

    public init(magnitude: Float = 9, magnitudeStd: Float = 0.5, layers: Int = 2, probability: Float = 0.5,
                fill: (UInt8, UInt8, UInt8) = (128, 128, 128), ops: [RandAugmentOp] = RandAugmentOp.allCases) {
        precondition(layers >= 0, "RandAugment: layers must be >= 0")
        precondition(!ops.isEmpty, "RandAugment: empty operation set")
        self.magnitude = magnitude
        self.magnitudeStd = magnitudeStd
        self.layers = layers
        self.probability = probability
        self.fill = fill
        self.ops = ops
    }

    /// One operation the random draw decided to apply: which, at what (noisy, clipped) magnitude,
    /// and with which sign.
    public struct Step: Equatable, Sendable {
        public var op: RandAugmentOp
        public var magnitude: Double
        public var negate: Bool
        public init(op: RandAugmentOp, magnitude: Double, negate: Bool) {
            self.op = op; self.magnitude = magnitude; self.negate = negate
        }
    }

    /// The random decisions for one image, in timm's order: the `layers` operations are chosen first
    /// (uniformly, with replacement); then for each a uniform decides whether it is applied (skipped
    /// when above `probability`), and only an applied one draws its magnitude (normal noise, clipped
    /// to [0, 10]) and, if signed, a uniform for the sign (negative when above 1/2).
    public func plan(rng: inout SeededRandom) -> [Step] {
        var chosen: [RandAugmentOp] = []
        chosen.reserveCapacity(layers)
        for _ in 0..<layers {
            chosen.append(ops[Int(rng.next() % UInt64(ops.count))])
        }
        var steps: [Step] = []
        for op in chosen {
            if probability < 1, rng.uniform() > probability { continue }
            var m = Double(magnitude)
            if magnitudeStd > 0 {
                m += Double(magnitudeStd) * Double(rng.normal())
            }
            m = max(0, min(m, Self.maxMagnitude))
            let negate = op.isSigned ? rng.uniform() > 0.5 : false
            steps.append(Step(op: op, magnitude: m, negate: negate))
        }
        return steps
    }

    /// One random draw of the augmentation: `plan(rng:)`, then its steps applied in order.
    public func callAsFunction(_ image: RGBImage, rng: inout SeededRandom) -> RGBImage {
        var out = image
        for step in plan(rng: &rng) {
            let arg = Self.argument(for: step.op, magnitude: step.magnitude, negate: step.negate)
            out = Self.apply(step.op, argument: arg, to: out, fill: fill)
        }
        return out
    }

    // MARK: - Magnitude -> argument

    /// The PIL-level argument timm hands to the operation for `magnitude` (on the 0...10 scale, used
    /// as given, not clipped): degrees for Rotate, bits kept for PosterizeIncreasing, the threshold
    /// for SolarizeIncreasing, the amount added for SolarizeAdd, the enhancement factor for the
    /// four enhance operations, the shear factor for ShearX/Y and the fraction of the width/height
    /// for TranslateX/YRel; nil for AutoContrast, Equalize and Invert. `negate` is the random sign.
    public static func argument(for op: RandAugmentOp, magnitude: Double, negate: Bool = false) -> Double? {
        let fraction = magnitude / maxMagnitude
        func signed(_ v: Double) -> Double { negate ? -v : v }
        switch op {
        case .autoContrast, .equalize, .invert:
            return nil
        case .rotate:
            return signed(fraction * 30)
        case .posterizeIncreasing:
            return Double(4 - Int((fraction * 4).rounded(.towardZero)))
        case .solarizeIncreasing:
            return Double(256 - min(256, Int((fraction * 256).rounded(.towardZero))))
        case .solarizeAdd:
            return Double(min(128, Int((fraction * 110).rounded(.towardZero))))
        case .colorIncreasing, .contrastIncreasing, .brightnessIncreasing, .sharpnessIncreasing:
            return max(0.1, 1.0 + signed(fraction * 0.9))
        case .shearX, .shearY:
            return signed(fraction * 0.3)
        case .translateXRel, .translateYRel:
            return signed(fraction * 0.45)
        }
    }

    /// Applies `op` at a fixed `magnitude` (0...10 scale) and sign, as timm's `AugmentOp` does once its
    /// random choices are made.
    public static func apply(_ op: RandAugmentOp, magnitude: Float, to image: RGBImage, negate: Bool = false,
                             fill: (UInt8, UInt8, UInt8) = (128, 128, 128)) -> RGBImage {
        apply(op, argument: argument(for: op, magnitude: Double(magnitude), negate: negate), to: image, fill: fill)
    }

    /// Applies `op` with its PIL-level `argument` (see `argument(for:magnitude:negate:)`); nil, which
    /// the operations without an argument take, is read as 0 by the others.
    public static func apply(_ op: RandAugmentOp, argument: Double?, to image: RGBImage,
                             fill: (UInt8, UInt8, UInt8) = (128, 128, 128)) -> RGBImage {
        let arg = argument ?? 0
        switch op {
        case .autoContrast: return autoContrast(image)
        case .equalize: return equalize(image)
        case .invert: return mapChannels(image, lut: (0..<256).map { UInt8(255 - $0) })
        case .rotate: return rotate(image, degrees: arg, fill: fill)
        case .posterizeIncreasing: return posterize(image, bits: Int(arg))
        case .solarizeIncreasing: return solarize(image, threshold: Int(arg))
        case .solarizeAdd: return solarizeAdd(image, add: Int(arg), threshold: 128)
        case .colorIncreasing: return blend(grayscale(image), image, factor: arg)
        case .contrastIncreasing: return contrast(image, factor: arg)
        case .brightnessIncreasing:
            let black = RGBImage(width: image.width, height: image.height,
                                 pixels: [UInt8](repeating: 0, count: image.pixels.count))
            return blend(black, image, factor: arg)
        case .sharpnessIncreasing: return blend(smooth(image), image, factor: arg)
        case .shearX: return affine(image, [1, arg, 0, 0, 1, 0], fill: fill)
        case .shearY: return affine(image, [1, 0, 0, arg, 1, 0], fill: fill)
        case .translateXRel: return affine(image, [1, 0, arg * Double(image.width), 0, 1, 0], fill: fill)
        case .translateYRel: return affine(image, [1, 0, 0, 0, 1, arg * Double(image.height)], fill: fill)
        }
    }

    // MARK: - Pixel operations (Pillow ImageOps / ImageEnhance semantics)

    /// Applies one 256-entry table to all three channels.
    static func mapChannels(_ image: RGBImage, lut: [UInt8]) -> RGBImage {
        mapChannels(image, luts: [lut, lut, lut])
    }

    /// Applies a 256-entry table per channel.
    static func mapChannels(_ image: RGBImage, luts: [[UInt8]]) -> RGBImage {
        var out = image
        let n = image.width * image.height
        image.pixels.withUnsafeBufferPointer { src in
            out.pixels.withUnsafeMutableBufferPointer { dst in
                for c in 0..<3 {
                    let table = luts[c]
                    for i in 0..<n { dst[i * 3 + c] = table[Int(src[i * 3 + c])] }
                }
            }
        }
        return out
    }

    static func histograms(_ image: RGBImage) -> [[Int]] {
        var h = [[Int]](repeating: [Int](repeating: 0, count: 256), count: 3)
        let n = image.width * image.height
        for i in 0..<n {
            for c in 0..<3 { h[c][Int(image.pixels[i * 3 + c])] += 1 }
        }
        return h
    }

    /// Per channel, stretch [lowest used level, highest used level] to [0, 255] (no cutoff); a channel
    /// with a single level is left as is.
    static func autoContrast(_ image: RGBImage) -> RGBImage {
        let luts = histograms(image).map { h -> [UInt8] in
            guard let lo = h.firstIndex(where: { $0 != 0 }), let hi = h.lastIndex(where: { $0 != 0 }), hi > lo
            else { return (0..<256).map { UInt8($0) } }
            let scale = 255.0 / Double(hi - lo)
            let offset = -Double(lo) * scale
            return (0..<256).map { i in
                let v = Int((Double(i) * scale + offset).rounded(.towardZero))
                return UInt8(max(0, min(255, v)))
            }
        }
        return mapChannels(image, luts: luts)
    }

    /// Per-channel histogram equalization with Pillow's step rule: step = (pixels - count of the
    /// highest used level) / 255 (integer), level i maps to (step/2 + pixels below i) / step.
    static func equalize(_ image: RGBImage) -> RGBImage {
        let luts = histograms(image).map { h -> [UInt8] in
            let used = h.filter { $0 != 0 }
            let identity = (0..<256).map { UInt8($0) }
            guard used.count > 1 else { return identity }
            let step = (used.reduce(0, +) - used[used.count - 1]) / 255
            guard step > 0 else { return identity }
            var acc = step / 2
            var lut = [UInt8](repeating: 0, count: 256)
            for i in 0..<256 {
                lut[i] = UInt8(min(255, acc / step))
                acc += h[i]
            }
            return lut
        }
        return mapChannels(image, luts: luts)
    }

    /// Keeps the `bits` most significant bits. bits >= 8 is the identity; bits <= 0 keeps nothing
    /// (all black, what Pillow's mask arithmetic gave before Pillow began refusing bits = 0).
    static func posterize(_ image: RGBImage, bits: Int) -> RGBImage {
        if bits >= 8 { return image }
        let mask: Int = bits <= 0 ? 0 : (0xFF << (8 - bits)) & 0xFF
        return mapChannels(image, lut: (0..<256).map { UInt8($0 & mask) })
    }

    /// Levels at or above `threshold` are inverted.
    static func solarize(_ image: RGBImage, threshold: Int) -> RGBImage {
        mapChannels(image, lut: (0..<256).map { UInt8($0 < threshold ? $0 : 255 - $0) })
    }

    /// Levels below `threshold` get `add` added (saturating at 255).
    static func solarizeAdd(_ image: RGBImage, add: Int, threshold: Int) -> RGBImage {
        mapChannels(image, lut: (0..<256).map { UInt8($0 < threshold ? max(0, min(255, $0 + add)) : $0) })
    }

    /// Pillow's RGB -> L luma: (19595 R + 38470 G + 7471 B + 32768) >> 16.
    @inline(__always) static func luma(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> UInt8 {
        let weighted: Int = Int(r) * 19595 + Int(g) * 38470 + Int(b) * 7471
        return UInt8(truncatingIfNeeded: (weighted + 0x8000) >> 16)
    }

    /// The image converted to L and back to RGB (the degenerate image of ImageEnhance.Color).
    static func grayscale(_ image: RGBImage) -> RGBImage {
        var out = image
        let n = image.width * image.height
        for i in 0..<n {
            let l = luma(image.pixels[i * 3], image.pixels[i * 3 + 1], image.pixels[i * 3 + 2])
            out.pixels[i * 3] = l; out.pixels[i * 3 + 1] = l; out.pixels[i * 3 + 2] = l
        }
        return out
    }

    /// ImageEnhance.Contrast: blend towards a flat image at the rounded mean of the L image.
    static func contrast(_ image: RGBImage, factor: Double) -> RGBImage {
        let n = image.width * image.height
        var sum = 0
        for i in 0..<n { sum += Int(luma(image.pixels[i * 3], image.pixels[i * 3 + 1], image.pixels[i * 3 + 2])) }
        let mean = n > 0 ? Int(Double(sum) / Double(n) + 0.5) : 0
        let flat = RGBImage(width: image.width, height: image.height,
                            pixels: [UInt8](repeating: UInt8(max(0, min(255, mean))), count: image.pixels.count))
        return blend(flat, image, factor: factor)
    }

    /// Pillow's Image.blend(a, b, alpha): a + alpha (b - a) in single precision, clipped to [0, 255]
    /// and truncated.
    static func blend(_ a: RGBImage, _ b: RGBImage, factor: Double) -> RGBImage {
        precondition(a.pixels.count == b.pixels.count, "blend: size mismatch")
        let alpha = Float(factor)
        var out = b
        a.pixels.withUnsafeBufferPointer { pa in
            b.pixels.withUnsafeBufferPointer { pb in
                out.pixels.withUnsafeMutableBufferPointer { po in
                    for i in 0..<pa.count {
                        let lo = Int32(pa[i])
                        let v: Float = Float(lo) + alpha * Float(Int32(pb[i]) - lo)
                        po[i] = v <= 0 ? 0 : (v >= 255 ? 255 : UInt8(v))
                    }
                }
            }
        }
        return out
    }

    /// Pillow's ImageFilter.SMOOTH (3x3 kernel [1 1 1; 1 5 1; 1 1 1] / 13, rounded); the outermost
    /// rows and columns are copied unchanged.
    static func smooth(_ image: RGBImage) -> RGBImage {
        let w = image.width, h = image.height
        var out = image
        guard w >= 3, h >= 3 else { return out }
        let edge: Float = 1 / Float(13), centre: Float = 5 / Float(13)
        image.pixels.withUnsafeBufferPointer { src in
            out.pixels.withUnsafeMutableBufferPointer { dst in
                @inline(__always) func px(_ x: Int, _ y: Int, _ c: Int) -> Float { Float(src[(y * w + x) * 3 + c]) }
                for y in 1..<(h - 1) {
                    for x in 1..<(w - 1) {
                        for c in 0..<3 {
                            // Pillow sums the row below, then the row itself, then the row above,
                            // each left-to-right, onto a 0.5 rounding bias.
                            var s: Float = 0.5
                            s += px(x - 1, y + 1, c) * edge + px(x, y + 1, c) * edge + px(x + 1, y + 1, c) * edge
                            s += px(x - 1, y, c) * edge + px(x, y, c) * centre + px(x + 1, y, c) * edge
                            s += px(x - 1, y - 1, c) * edge + px(x, y - 1, c) * edge + px(x + 1, y - 1, c) * edge
                            dst[(y * w + x) * 3 + c] = s <= 0 ? 0 : (s >= 255 ? 255 : UInt8(s))
                        }
                    }
                }
            }
        }
        return out
    }

    // MARK: - Geometric operations (Pillow Image.transform / Image.rotate, BICUBIC)

    /// Image.rotate(degrees, BICUBIC, fillcolor: fill) about the image centre, same size.
    static func rotate(_ image: RGBImage, degrees: Double, fill: (UInt8, UInt8, UInt8)) -> RGBImage {
        // Python's float modulo: result takes the sign of the divisor.
        var angle = fmod(degrees, 360)
        if angle != 0, angle < 0 { angle += 360 }
        if angle == 0 { return image }
        if angle == 180 { return rotated180(image) }
        if angle == 90 || angle == 270, image.width == image.height {
            return rotatedQuarter(image, counterClockwise: angle == 90)
        }
        let theta = -(angle * (Double.pi / 180))
        let cosT = roundTo15Digits(cos(theta)), sinT = roundTo15Digits(sin(theta))
        var m = [cosT, sinT, 0.0, roundTo15Digits(-sin(theta)), cosT, 0.0]
        let cx = Double(image.width) / 2, cy = Double(image.height) / 2
        // The inverse map is centre + R (p - centre).
        m[2] = m[0] * -cx + m[1] * -cy + 0.0
        m[5] = m[3] * -cx + m[4] * -cy + 0.0
        m[2] += cx
        m[5] += cy
        return affine(image, m, fill: fill)
    }

    /// Python's round(x, 15): the nearest 15-decimal value, via a correctly rounded decimal string.
    static func roundTo15Digits(_ x: Double) -> Double {
        Double(String(format: "%.15f", x)) ?? x
    }

    static func rotated180(_ image: RGBImage) -> RGBImage {
        var out = image
        let n = image.width * image.height
        for i in 0..<n {
            for c in 0..<3 { out.pixels[(n - 1 - i) * 3 + c] = image.pixels[i * 3 + c] }
        }
        return out
    }

    /// 90-degree turns of a square image (Pillow's ROTATE_90 is counter-clockwise).
    static func rotatedQuarter(_ image: RGBImage, counterClockwise: Bool) -> RGBImage {
        let s = image.width
        var out = image
        for y in 0..<s {
            for x in 0..<s {
                let (sx, sy) = counterClockwise ? (s - 1 - y, x) : (y, s - 1 - x)
                for c in 0..<3 { out.pixels[(y * s + x) * 3 + c] = image.pixels[(sy * s + sx) * 3 + c] }
            }
        }
        return out
    }

    /// Image.transform(size, AFFINE, m, BICUBIC, fillcolor: fill): output pixel (x, y) samples the
    /// input at (m0 (x+.5) + m1 (y+.5) + m2, m3 (x+.5) + m4 (y+.5) + m5); samples outside
    /// [0, w) x [0, h) take the fill colour. Pillow's transform bicubic is the a = -1 cubic
    /// convolution with edge-clamped taps, its result clipped to [0, 255] and truncated.
    static func affine(_ image: RGBImage, _ m: [Double], fill: (UInt8, UInt8, UInt8)) -> RGBImage {
        let w = image.width, h = image.height
        var out = image
        precondition(m.count == 6, "affine: 6 coefficients expected")
        let m0 = m[0], m1 = m[1], m2 = m[2], m3 = m[3], m4 = m[4], m5 = m[5]
        @inline(__always) func cubic(_ v1: Double, _ v2: Double, _ v3: Double, _ v4: Double, _ d: Double) -> Double {
            let p1 = v2
            let p2 = -v1 + v3
            let p3 = 2 * (v1 - v2) + v3 - v4
            let p4 = -v1 + v2 - v3 + v4
            return p1 + d * (p2 + d * (p3 + d * p4))
        }
        image.pixels.withUnsafeBufferPointer { src in
            out.pixels.withUnsafeMutableBufferPointer { dst in
                for y in 0..<h {
                    for x in 0..<w {
                        let o = (y * w + x) * 3
                        let xo = Double(x) + 0.5, yo = Double(y) + 0.5
                        var xin = m0 * xo + m1 * yo + m2
                        var yin = m3 * xo + m4 * yo + m5
                        if !(xin >= 0 && xin < Double(w) && yin >= 0 && yin < Double(h)) {
                            dst[o] = fill.0; dst[o + 1] = fill.1; dst[o + 2] = fill.2
                            continue
                        }
                        xin -= 0.5
                        yin -= 0.5
                        let fx = xin.rounded(.down), fy = yin.rounded(.down)
                        let dx = xin - fx, dy = yin - fy
                        let x0 = Int(fx) - 1, y0 = Int(fy) - 1
                        // Taps clamped to the image (Pillow's edge handling).
                        let c0 = max(0, min(w - 1, x0)) * 3, c1 = max(0, min(w - 1, x0 + 1)) * 3
                        let c2 = max(0, min(w - 1, x0 + 2)) * 3, c3 = max(0, min(w - 1, x0 + 3)) * 3
                        let r0 = max(0, min(h - 1, y0)) * w * 3, r1 = max(0, min(h - 1, y0 + 1)) * w * 3
                        let r2 = max(0, min(h - 1, y0 + 2)) * w * 3, r3 = max(0, min(h - 1, y0 + 3)) * w * 3
                        // First pass along x: Pillow forms the polynomial coefficients from the
                        // uint8 taps in integer arithmetic, then evaluates in double.
                        @inline(__always) func row(_ base: Int, _ c: Int) -> Double {
                            let a = Int(src[base + c0 + c]), b = Int(src[base + c1 + c])
                            let e = Int(src[base + c2 + c]), f = Int(src[base + c3 + c])
                            return Double(b) + dx * (Double(e - a) + dx * (Double(2 * (a - b) + e - f)
                                                                            + dx * Double(-a + b - e + f)))
                        }
                        for c in 0..<3 {
                            let v = cubic(row(r0, c), row(r1, c), row(r2, c), row(r3, c), dy)
                            dst[o + c] = v <= 0 ? 0 : (v >= 255 ? 255 : UInt8(v))
                        }
                    }
                }
            }
        }
        return out
    }
}
