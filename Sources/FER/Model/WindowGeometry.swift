/// Host-side constants of (shifted) window attention: the relative position index and the shift
/// mask of the original Swin implementation. Built once per stage and uploaded.
enum WindowGeometry {
    /// `index[n * N + m]` into the `(2w-1)^2`-row bias table for tokens `n`, `m` of a `w x w` window.
    static func relativePositionIndex(window w: Int) -> [Float] {
        let n = w * w
        var index = [Float](repeating: 0, count: n * n)
        for a in 0..<n {
            for b in 0..<n {
                let dy = a / w - b / w + (w - 1)
                let dx = a % w - b % w + (w - 1)
                index[a * n + b] = Float(dy * (2 * w - 1) + dx)
            }
        }
        return index
    }

    /// `[windowsPerImage, N, N]` additive mask: -100 between tokens that came from different regions
    /// of the cyclically shifted grid, 0 elsewhere.
    static func shiftMask(resolution r: Int, window w: Int, shift: Int) -> [Float] {
        var region = [Int](repeating: 0, count: r * r)
        let bounds = [0, r - w, r - shift, r]
        var label = 0
        for hs in 0..<3 {
            for ws in 0..<3 {
                for y in bounds[hs]..<bounds[hs + 1] {
                    for x in bounds[ws]..<bounds[ws + 1] { region[y * r + x] = label }
                }
                label += 1
            }
        }
        let perSide = r / w, n = w * w
        var mask = [Float](repeating: 0, count: perSide * perSide * n * n)
        for win in 0..<(perSide * perSide) {
            let wy = win / perSide, wx = win % perSide
            func label(_ t: Int) -> Int { region[(wy * w + t / w) * r + wx * w + t % w] }
            for a in 0..<n {
                for b in 0..<n where label(a) != label(b) { mask[(win * n + a) * n + b] = -100 }
            }
        }
        return mask
    }
}
