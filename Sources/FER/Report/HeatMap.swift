/// A single-channel map on a grid (a class activation map, or its upsampled version), row-major:
/// `values[row * width + column]`.
public struct HeatMap: Equatable, Sendable {
    public let width: Int
    public let height: Int
    public var values: [Float]

    public init(width: Int, height: Int, values: [Float]) {
        precondition(width > 0 && height > 0 && values.count == width * height,
                     "HeatMap: \(width)x\(height) needs \(width * height) values, got \(values.count)")
        self.width = width; self.height = height; self.values = values
    }

    public subscript(x: Int, y: Int) -> Float { values[y * width + x] }

    /// Class `k` of the token-major maps of one image (`cams[b, t, k]` as `MEKModel.ForwardPass`
    /// holds them, `t = row * side + column`).
    public static func classMap(cams: [Float], image b: Int, classIndex k: Int, classes: Int, side: Int) -> HeatMap {
        let cells = side * side
        precondition(cams.count >= (b + 1) * cells * classes, "HeatMap.classMap: cams hold fewer than \(b + 1) images")
        return HeatMap(width: side, height: side, values: (0..<cells).map { cams[(b * cells + $0) * classes + k] })
    }

    /// The map mirrored left-right (`column -> width - 1 - column`), as the attention consistency loss
    /// flips the flipped image's map back.
    public func horizontallyFlipped() -> HeatMap {
        var out = values
        for y in 0..<height { for x in 0..<width { out[y * width + x] = values[y * width + width - 1 - x] } }
        return HeatMap(width: width, height: height, values: out)
    }

    public var range: ClosedRange<Float> {
        let finite = values.filter(\.isFinite)
        guard let lo = finite.min(), let hi = finite.max() else { return 0...0 }
        return lo...hi
    }

    /// Linearly mapped so that `range` becomes [0, 1] (a flat map becomes all 0.5).
    public func normalized(to range: ClosedRange<Float>? = nil) -> HeatMap {
        let r = range ?? self.range
        let span = r.upperBound - r.lowerBound
        return HeatMap(width: width, height: height,
                       values: values.map { span > 0 ? ($0 - r.lowerBound) / span : 0.5 })
    }

    /// Bilinear upsampling (or downsampling) to `newWidth x newHeight` with pixel centres aligned
    /// as `torch.nn.functional.interpolate(mode="bilinear", align_corners=False)` and OpenCV's
    /// `resize`: output pixel `x` samples source coordinate `(x + 0.5) * width / newWidth - 0.5`,
    /// clamped to the grid, so each source cell's centre lands on the centre of the block of output
    /// pixels it covers, and the maximum of a single hot cell stays on that cell's block.
    public func resizedBilinear(width newWidth: Int, height newHeight: Int) -> HeatMap {
        precondition(newWidth > 0 && newHeight > 0, "HeatMap.resizedBilinear: empty target size")
        func taps(_ n: Int, _ size: Int) -> [(Int, Int, Float)] {
            (0..<n).map { o in
                let s = max(0, (Float(o) + 0.5) * Float(size) / Float(n) - 0.5)
                let i0 = min(Int(s), size - 1)
                let i1 = min(i0 + 1, size - 1)
                return (i0, i1, s - Float(i0))
            }
        }
        let xs = taps(newWidth, width), ys = taps(newHeight, height)
        var out = [Float](repeating: 0, count: newWidth * newHeight)
        for (oy, (y0, y1, fy)) in ys.enumerated() {
            for (ox, (x0, x1, fx)) in xs.enumerated() {
                let top = self[x0, y0] * (1 - fx) + self[x1, y0] * fx
                let bottom = self[x0, y1] * (1 - fx) + self[x1, y1] * fx
                out[oy * newWidth + ox] = top * (1 - fy) + bottom * fy
            }
        }
        return HeatMap(width: newWidth, height: newHeight, values: out)
    }
}
