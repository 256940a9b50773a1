/// Drawing on `RGBImage`: filled rectangles, pasting, bitmap text, colour-mapped overlays and
/// panel grids. Everything clips to the image, so callers may draw partly outside it.
public extension RGBImage {
    /// An image filled with one colour.
    init(width: Int, height: Int, color: RGBColor) {
        var pixels = [UInt8](repeating: 0, count: max(0, width * height) * 3)
        for i in stride(from: 0, to: pixels.count, by: 3) { pixels[i] = color.r; pixels[i + 1] = color.g; pixels[i + 2] = color.b }
        self.init(width: width, height: height, pixels: pixels)
    }

    mutating func fill(x: Int, y: Int, width w: Int, height h: Int, color: RGBColor) {
        let x0 = max(0, x), y0 = max(0, y), x1 = min(width, x + w), y1 = min(height, y + h)
        guard x0 < x1, y0 < y1 else { return }
        for row in y0..<y1 {
            for col in x0..<x1 {
                let i = (row * width + col) * 3
                pixels[i] = color.r; pixels[i + 1] = color.g; pixels[i + 2] = color.b
            }
        }
    }

    /// Copies `image` with its top-left corner at (`x`, `y`).
    mutating func paste(_ image: RGBImage, x: Int, y: Int) {
        let x0 = max(0, x), y0 = max(0, y)
        let x1 = min(width, x + image.width), y1 = min(height, y + image.height)
        guard x0 < x1, y0 < y1 else { return }
        for row in y0..<y1 {
            let dst = (row * width + x0) * 3
            let src = ((row - y) * image.width + (x0 - x)) * 3
            pixels.replaceSubrange(dst..<(dst + (x1 - x0) * 3), with: image.pixels[src..<(src + (x1 - x0) * 3)])
        }
    }

    /// Draws `text` with the built-in font, top-left corner of the first glyph at (`x`, `y`).
    mutating func drawText(_ text: String, x: Int, y: Int, scale: Int = 1, color: RGBColor) {
        var penX = x
        for ch in text {
            for gy in 0..<BitmapFont.glyphHeight {
                for gx in 0..<BitmapFont.glyphWidth where BitmapFont.isInk(ch, x: gx, y: gy) {
                    fill(x: penX + gx * scale, y: y + gy * scale, width: scale, height: scale, color: color)
                }
            }
            penX += BitmapFont.advance * scale
        }
    }

    /// `self` with `map` (values in [0, 1], same size as the image) drawn in `colors` over it:
    /// `out = (1 - alpha) * pixel + alpha * colors(value)`, rounded.
    func blended(with map: HeatMap, colors: ColorMap = .jet, alpha: Float = 0.5) -> RGBImage {
        precondition(map.width == width && map.height == height,
                     "RGBImage.blended: map is \(map.width)x\(map.height), image \(width)x\(height)")
        var out = self
        for i in 0..<(width * height) {
            let c = colors.color(map.values[i])
            let over = [c.r, c.g, c.b]
            for ch in 0..<3 {
                let v = (1 - alpha) * Float(pixels[i * 3 + ch]) + alpha * Float(over[ch])
                out.pixels[i * 3 + ch] = UInt8(min(255, max(0, v.rounded())))
            }
        }
        return out
    }
}

/// Lays out titled panels in a grid: each panel is its image with a title bar above it, on a white
/// background with `gap` pixels between and around panels. Titles are cut with "..." to the panel
/// width. All panels take the size of the largest one (smaller images are centred).
public struct PanelGrid {
    public var columns: Int
    public var gap = 8
    public var textScale = 2
    public var background = RGBColor.white
    public var textColor = RGBColor(20, 20, 20)

    public init(columns: Int) { self.columns = max(1, columns) }

    public var titleHeight: Int { BitmapFont.lineHeight * textScale + 4 }

    public func compose(_ panels: [(image: RGBImage, title: String)]) -> RGBImage {
        guard !panels.isEmpty else { return RGBImage(width: 1, height: 1, color: background) }
        let cellW = panels.map(\.image.width).max()!, cellH = panels.map(\.image.height).max()! + titleHeight
        let cols = min(columns, panels.count), rows = (panels.count + cols - 1) / cols
        var canvas = RGBImage(width: cols * cellW + (cols + 1) * gap, height: rows * cellH + (rows + 1) * gap, color: background)
        for (i, panel) in panels.enumerated() {
            let x = gap + (i % cols) * (cellW + gap), y = gap + (i / cols) * (cellH + gap)
            let title = BitmapFont.fitting(panel.title, maxWidth: cellW, scale: textScale)
            let tx = x + (cellW - BitmapFont.width(of: title, scale: textScale)) / 2
            canvas.drawText(title, x: tx, y: y + 1, scale: textScale, color: textColor)
            canvas.paste(panel.image, x: x + (cellW - panel.image.width) / 2, y: y + titleHeight)
        }
        return canvas
    }
}
