/// The interpolation used by `RGBImage.resized(width:height:filter:)`.
public enum ResizeFilter: Sendable {
    /// Triangle filter, support 1 (PIL `Image.BILINEAR`, torchvision `InterpolationMode.BILINEAR`).
    case bilinear
    /// Keys cubic with a = -0.5, support 2 (PIL `Image.BICUBIC`).
    case bicubic
}

public extension RGBImage {
    /// This image resampled to `width` x `height`, reproducing Pillow 13's `Image.resize(size, filter)`
    /// for 8-bit images bit for bit: a separable convolution whose kernel is widened by the scale
    /// factor when shrinking (so downsampling averages, i.e. antialiases), weights normalized to sum
    /// to one and quantized to 22-bit fixed point, and two passes, each rounded to 8 bits. A pass
    /// whose size does not change is skipped (it would be the identity). The horizontal pass runs
    /// first unless the height shrinks by more than twice as many pixels as the width does, as in
    /// Pillow 13 (Pillow 12 and older always ran it first; the order only moves results by rounding,
    /// and never differs for a square image resized to a square). Both sizes must be positive and
    /// the source non-empty.
    func resized(width newWidth: Int, height newHeight: Int, filter: ResizeFilter) -> RGBImage {
        precondition(newWidth > 0 && newHeight > 0, "resized: target size \(newWidth)x\(newHeight) must be positive")
        precondition(width > 0 && height > 0, "resized: source image \(width)x\(height) is empty")
        func horizontal(_ image: RGBImage) -> RGBImage {
            guard newWidth != image.width else { return image }
            return image.convolvedHorizontally(ResampleTaps(inSize: image.width, outSize: newWidth, filter: filter))
        }
        func vertical(_ image: RGBImage) -> RGBImage {
            guard newHeight != image.height else { return image }
            return image.convolvedVertically(ResampleTaps(inSize: image.height, outSize: newHeight, filter: filter))
        }
        let verticalFirst = newHeight < height && height - newHeight > 2 * (width - newWidth)
        return verticalFirst ? horizontal(vertical(self)) : vertical(horizontal(self))
    }
}

/// Fixed-point precision of the resampling weights: 32 bits less 8 for the sample and 2 of
/// headroom, as in PIL, so one weighted sum of 8-bit samples fits a 32-bit integer.
private let precisionBits = 22

/// For each output position along one axis: the first input index, the number of inputs it
/// reads and their fixed-point weights (`weights[o * stride ..< o * stride + count[o]]`).
private struct ResampleTaps {
    var first: [Int]
    var count: [Int]
    var weights: [Int32]
    var stride: Int

    init(inSize: Int, outSize: Int, filter: ResizeFilter) {
        let support: Double
        switch filter {
        case .bilinear: support = 1
        case .bicubic: support = 2
        }
        let scale = Double(inSize) / Double(outSize)
        // When shrinking, stretch the kernel over `scale` input pixels per output pixel.
        let filterScale = max(scale, 1)
        let radius = support * filterScale
        stride = Int(radius.rounded(.up)) * 2 + 1
        first = [Int](repeating: 0, count: outSize)
        count = [Int](repeating: 0, count: outSize)
        weights = [Int32](repeating: 0, count: outSize * stride)
        let inverseScale = 1 / filterScale
        var k = [Double](repeating: 0, count: stride)
        for o in 0..<outSize {
            // Centre of output pixel o in input coordinates (pixel centres at i + 0.5).
            let center = (Double(o) + 0.5) * scale
            // C-style truncation toward zero, then clamping to the image.
            let lo = max(Int(center - radius + 0.5), 0)
            let hi = min(Int(center + radius + 0.5), inSize)
            let n = hi - lo
            var total = 0.0
            for i in 0..<n {
                let w = Self.kernel(filter, (Double(i + lo) - center + 0.5) * inverseScale)
                k[i] = w
                total += w
            }
            first[o] = lo
            count[o] = n
            for i in 0..<n {
                let w = total != 0 ? k[i] / total : k[i]
                // Round half away from zero into fixed point.
                let f = w * Double(1 << precisionBits)
                weights[o * stride + i] = Int32(w < 0 ? f - 0.5 : f + 0.5)
            }
        }
    }

    static func kernel(_ filter: ResizeFilter, _ x: Double) -> Double {
        let x = abs(x)
        switch filter {
        case .bilinear:
            return x < 1 ? 1 - x : 0
        case .bicubic:
            let a = -0.5
            if x < 1 { return ((a + 2) * x - (a + 3)) * x * x + 1 }
            if x < 2 { return (((x - 5) * x + 8) * x - 4) * a }
            return 0
        }
    }
}

/// Rounds a fixed-point weighted sum (which already includes the +0.5 bias) back to a sample.
@inline(__always)
private func clampToByte(_ sum: Int) -> UInt8 {
    let v = sum >> precisionBits
    return v < 0 ? 0 : (v > 255 ? 255 : UInt8(v))
}

private extension RGBImage {
    func convolvedHorizontally(_ taps: ResampleTaps) -> RGBImage {
        let outWidth = taps.first.count
        var out = [UInt8](repeating: 0, count: outWidth * height * 3)
        let bias = 1 << (precisionBits - 1)
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                taps.weights.withUnsafeBufferPointer { w in
                    for y in 0..<height {
                        let srcRow = y * width * 3
                        let dstRow = y * outWidth * 3
                        for o in 0..<outWidth {
                            var r = bias, g = bias, b = bias
                            let base = srcRow + taps.first[o] * 3
                            let wb = o * taps.stride
                            for i in 0..<taps.count[o] {
                                let k = Int(w[wb + i])
                                let s = base + i * 3
                                r += Int(src[s]) * k
                                g += Int(src[s + 1]) * k
                                b += Int(src[s + 2]) * k
                            }
                            let d = dstRow + o * 3
                            dst[d] = clampToByte(r)
                            dst[d + 1] = clampToByte(g)
                            dst[d + 2] = clampToByte(b)
                        }
                    }
                }
            }
        }
        return RGBImage(width: outWidth, height: height, pixels: out)
    }

    func convolvedVertically(_ taps: ResampleTaps) -> RGBImage {
        let outHeight = taps.first.count
        let rowLength = width * 3
        var out = [UInt8](repeating: 0, count: rowLength * outHeight)
        let bias = 1 << (precisionBits - 1)
        var sums = [Int](repeating: 0, count: rowLength)
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                taps.weights.withUnsafeBufferPointer { w in
                    sums.withUnsafeMutableBufferPointer { acc in
                        for o in 0..<outHeight {
                            for j in 0..<rowLength { acc[j] = bias }
                            let wb = o * taps.stride
                            // Accumulate whole rows so the inner loop walks memory contiguously.
                            for i in 0..<taps.count[o] {
                                let k = Int(w[wb + i])
                                let s = (taps.first[o] + i) * rowLength
                                for j in 0..<rowLength { acc[j] += Int(src[s + j]) * k }
                            }
                            let d = o * rowLength
                            for j in 0..<rowLength { dst[d + j] = clampToByte(acc[j]) }
                        }
                    }
                }
            }
        }
        return RGBImage(width: width, height: outHeight, pixels: out)
    }
}
