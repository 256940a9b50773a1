/// An 8-bit RGB raster: the one in-memory image type of the data pipeline.
///
/// `pixels` is interleaved R, G, B, row-major, top row first, with no row padding, so
/// `pixels.count == width * height * 3` and the sample of channel `c` at column `x`, row `y`
/// is `pixels[(y * width + x) * 3 + c]`. Decoders (`ImageCodec`) produce it, resizing and
/// augmentation transform it, and `normalizedCHW()` turns it into the model's input layout.
public struct RGBImage: Equatable, Sendable {
    public var width: Int
    public var height: Int
    /// Interleaved RGB samples, row-major; `count == width * height * 3`.
    public var pixels: [UInt8]

    /// Wraps existing samples. The sizes must be non-negative and `pixels.count` must be
    /// `width * height * 3` (a programming error otherwise, checked with `precondition`).
    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(width >= 0 && height >= 0, "RGBImage: negative size \(width)x\(height)")
        precondition(
            pixels.count == width * height * 3,
            "RGBImage: \(width)x\(height) needs \(width * height * 3) samples, got \(pixels.count)")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// A black image of the given size.
    public init(width: Int, height: Int) {
        self.init(width: width, height: height, pixels: [UInt8](repeating: 0, count: max(0, width * height * 3)))
    }

    /// The (r, g, b) triple at column `x`, row `y` (0-based, top-left origin).
    public subscript(x: Int, y: Int) -> (r: UInt8, g: UInt8, b: UInt8) {
        get {
            let i = (y * width + x) * 3
            return (pixels[i], pixels[i + 1], pixels[i + 2])
        }
        set {
            let i = (y * width + x) * 3
            pixels[i] = newValue.r
            pixels[i + 1] = newValue.g
            pixels[i + 2] = newValue.b
        }
    }

    /// The model input: `3 * height * width` floats in CHW order (the R plane, then G, then B),
    /// each `(p / 255 - 0.5) / 0.5`, i.e. mapped to [-1, 1] — torchvision's
    /// `ToTensor()` followed by `Normalize(mean: 0.5, std: 0.5)`.
    public func normalizedCHW() -> [Float] {
        let plane = width * height
        var out = [Float](repeating: 0, count: plane * 3)
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for i in 0..<plane {
                    for c in 0..<3 {
                        // Same operation order as torchvision: divide by 255 first, then normalize.
                        let v = Float(src[i * 3 + c]) / 255
                        dst[c * plane + i] = (v - 0.5) / 0.5
                    }
                }
            }
        }
        return out
    }

    /// The mirror image (left and right swapped), as `PIL.Image.transpose(FLIP_LEFT_RIGHT)`.
    public func horizontallyFlipped() -> RGBImage {
        var out = [UInt8](repeating: 0, count: pixels.count)
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for y in 0..<height {
                    let row = y * width * 3
                    for x in 0..<width {
                        let s = row + x * 3
                        let d = row + (width - 1 - x) * 3
                        dst[d] = src[s]
                        dst[d + 1] = src[s + 1]
                        dst[d + 2] = src[s + 2]
                    }
                }
            }
        }
        return RGBImage(width: width, height: height, pixels: out)
    }
}
