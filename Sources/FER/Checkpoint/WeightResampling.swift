/// Resampling of pretrained Swin weights to another patch size or window size (used by
/// `TimmConversion`).
public enum WeightResampling {
    /// The patch-embedding kernel `[out, in, from, from]` (PyTorch Conv2d layout) for `to x to`
    /// patches, keeping its response.
    ///
    /// Why and how: a model with `to`-pixel patches looks at the face at `to/from` of the source's
    /// resolution (timm's ImageNet Swin-T: 4x4 patches at 224; ours: 2x2 at 112), so one new patch
    /// covers the same face region as one source patch. With `f = from / to`, we want the new kernel
    /// whose response to the area-reduced patch (each f x f block of pixels averaged into one) best
    /// matches, in least squares, the source kernel's response to the full patch: FlexiViT's
    /// pseudo-inverse resize, with the box (area) filter as the resize. For a box filter the
    /// least-squares solution is exact and simple: **each new weight is the sum of the f x f block of
    /// source weights it covers** (the block average times the area ratio f^2). The source response is
    /// then reproduced exactly for every input that is constant on f x f blocks: a constant image,
    /// and any image that is a pixel-replicated (nearest) enlargement of the new-resolution image;
    /// for images reduced with a wider filter (PIL's antialiased bicubic) it is the nearest
    /// box-filter match. Resampling the kernel as a picture (bilinear/bicubic to the smaller size)
    /// would instead scale every response, flat regions included, by 1/f^2.
    ///
    /// The other direction (`to = f * from`) uses the minimum-norm least-squares solution, each
    /// source weight spread evenly over the f x f new weights it becomes (`w / f^2`), again exact on
    /// f x f-constant inputs. The bias is unchanged in both cases. Only integer ratios are supported.
    public static func patchKernel(_ weight: [Float], outChannels: Int, inChannels: Int, from: Int, to: Int) throws -> [Float] {
        guard from > 0, to > 0, weight.count == outChannels * inChannels * from * from else {
            throw ResamplingError.shape("patch kernel of \(weight.count) values is not [\(outChannels), \(inChannels), \(from), \(from)]")
        }
        if from == to { return weight }
        let planes = outChannels * inChannels
        var out = [Float](repeating: 0, count: planes * to * to)
        if from % to == 0 {
            let f = from / to
            for p in 0..<planes {
                for i in 0..<to { for j in 0..<to {
                    var sum: Float = 0
                    for a in 0..<f { for b in 0..<f { sum += weight[p * from * from + (i * f + a) * from + (j * f + b)] } }
                    out[p * to * to + i * to + j] = sum
                } }
            }
        } else if to % from == 0 {
            let f = to / from, area = Float(f * f)
            for p in 0..<planes {
                for i in 0..<to { for j in 0..<to {
                    out[p * to * to + i * to + j] = weight[p * from * from + (i / f) * from + (j / f)] / area
                } }
            }
        } else {
            throw ResamplingError.ratio("patch size \(from) -> \(to) is not an integer ratio; choose --patch so that one divides the other")
        }
        return out
    }

    /// A relative position bias table `[(2*from-1)^2, heads]` (row-major over the (dy, dx) offset grid,
    /// heads last, as Swin stores it) resized for window `to`: kept when the window matches, else
    /// each head's (2*from-1)^2 grid is interpolated to (2*to-1)^2 with bicubic interpolation exactly as
    /// `torch.nn.functional.interpolate(mode="bicubic", align_corners=False)` does it (cubic
    /// convolution with a = -0.75, borders replicated), which is what timm and the Swin authors use
    /// to move these tables between window sizes.
    public static func relativePositionTable(_ table: [Float], heads: Int, fromWindow: Int, toWindow: Int) throws -> [Float] {
        let src = 2 * fromWindow - 1, dst = 2 * toWindow - 1
        guard heads > 0, fromWindow > 0, toWindow > 0, table.count == src * src * heads else {
            throw ResamplingError.shape("relative position table of \(table.count) values is not [\(src * src), \(heads)]")
        }
        if src == dst { return table }
        let taps = bicubicTaps(input: src, output: dst)
        var out = [Float](repeating: 0, count: dst * dst * heads)
        for h in 0..<heads {
            for (oy, ty) in taps.enumerated() {
                for (ox, tx) in taps.enumerated() {
                    var v: Float = 0
                    for (iy, wy) in ty { for (ix, wx) in tx { v += wy * wx * table[(iy * src + ix) * heads + h] } }
                    out[(oy * dst + ox) * heads + h] = v
                }
            }
        }
        return out
    }

    /// Per output index, the 4 (clamped input index, weight) pairs of PyTorch's bicubic kernel.
    static func bicubicTaps(input: Int, output: Int) -> [[(Int, Float)]] {
        let a: Float = -0.75
        func near(_ x: Float) -> Float { ((a + 2) * x - (a + 3)) * x * x + 1 }            // |x| <= 1
        func far(_ x: Float) -> Float { ((a * x - 5 * a) * x + 8 * a) * x - 4 * a }       // 1 < |x| < 2
        let scale = Float(input) / Float(output)
        return (0..<output).map { o in
            let real = scale * (Float(o) + 0.5) - 0.5
            let base = Int(real.rounded(.down))
            let t = real - Float(base)
            let weights = [far(t + 1), near(t), near(1 - t), far(2 - t)]
            return (0..<4).map { k in (min(max(base - 1 + k, 0), input - 1), weights[k]) }
        }
    }
}

public enum ResamplingError: Error, CustomStringConvertible {
    case shape(String)
    case ratio(String)

    public var description: String {
        switch self {
        case .shape(let why): return "cannot resample: \(why)"
        case .ratio(let why): return "cannot resample: \(why)"
        }
    }
}
