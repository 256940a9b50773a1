import Foundation
import XCTest
@testable import FER

/// The drawing behind `fer cam`: font, upsampling, colour overlay, panel layouts, PNG output.
final class CAMRenderingTests: XCTestCase {
    /// A 7x7 map that is 0 everywhere except 1 at (`row`, `column`).
    func hotCell(row: Int, column: Int, side: Int = 7) -> HeatMap {
        var v = [Float](repeating: 0, count: side * side)
        v[row * side + column] = 1
        return HeatMap(width: side, height: side, values: v)
    }

    /// Pixel position of the highest map value, read back from the colours of an overlay on a
    /// uniform grey (128) face by inverting the blended colour map (nearest of 201 levels).
    func hottestPixel(_ image: RGBImage, x xs: Range<Int>? = nil, y ys: Range<Int>? = nil, alpha: Float = 0.5) -> (x: Int, y: Int) {
        let levels: [(t: Float, c: SIMD3<Float>)] = (0...200).map { i in
            let t = Float(i) / 200, c = ColorMap.jet.color(t)
            return (t, (1 - alpha) * SIMD3<Float>(128, 128, 128) + alpha * SIMD3<Float>(Float(c.r), Float(c.g), Float(c.b)))
        }
        var best = (x: 0, y: 0), bestValue: Float = -1
        for y in ys ?? 0..<image.height {
            for x in xs ?? 0..<image.width {
                let p = image[x, y], v = SIMD3<Float>(Float(p.r), Float(p.g), Float(p.b))
                if v == levels[0].c { continue }  // the colour of 0: skip the search (speed)
                let t = levels.min { (($0.c - v) * ($0.c - v)).sum() < (($1.c - v) * ($1.c - v)).sum() }!.t
                if t > bestValue { bestValue = t; best = (x, y) }
            }
        }
        return best
    }

    func testFontHasDistinctGlyphsForPrintableASCII() {
        XCTAssertEqual(BitmapFont.designs.count, 95)
        for (i, rows) in BitmapFont.rows.enumerated() {
            XCTAssertEqual(rows.count, 7, "glyph \(i + 32) has \(rows.count) rows")
            XCTAssertTrue(rows.allSatisfy { $0 < 32 }, "glyph \(i + 32) is wider than 5")
            XCTAssertEqual(rows.contains { $0 != 0 }, i != 0, "only the space is blank (glyph \(i + 32))")
        }
        let alphanumerics = (0..<95).filter { Character(UnicodeScalar(UInt8($0 + 32))).isLetter || Character(UnicodeScalar(UInt8($0 + 32))).isNumber }
        XCTAssertEqual(Set(alphanumerics.map { BitmapFont.rows[$0] }).count, alphanumerics.count, "letters and digits are distinguishable")
        XCTAssertEqual(BitmapFont.glyph("\u{e9}"), BitmapFont.glyph("?"))
        XCTAssertEqual(BitmapFont.width(of: "Fear", scale: 2), (4 * 6 - 1) * 2)
        XCTAssertLessThanOrEqual(BitmapFont.width(of: BitmapFont.fitting("Happiness 0.912", maxWidth: 60), scale: 1), 60)
    }

    func testDrawnTextPutsInkWhereTheGlyphHasIt() {
        var image = RGBImage(width: 20, height: 10, color: .white)
        image.drawText("T", x: 2, y: 1, scale: 1, color: .black)
        // T: full top row, then the centre column.
        for x in 2..<7 { XCTAssertEqual(image[x, 1].r, 0, "top bar of T at x=\(x)") }
        XCTAssertEqual(image[4, 5].r, 0)
        XCTAssertEqual(image[2, 5].r, 255)
        XCTAssertEqual(image[8, 1].r, 255, "nothing right of the glyph")
    }

    func testHottestCellLandsOnItsBlockAfterBilinearUpsampling() {
        let map = hotCell(row: 2, column: 5)
        let up = map.resizedBilinear(width: 112, height: 112)
        let peak = up.values.indices.max { up.values[$0] < up.values[$1] }!
        let (px, py) = (peak % 112, peak / 112)
        XCTAssertTrue((80..<96).contains(px) && (32..<48).contains(py), "peak at (\(px), \(py)), expected within column block 5 and row block 2")
        // Cell centres map onto source cells exactly: the centre of block (2, 5) is (87.5, 39.5).
        XCTAssertEqual(up[87, 39], up[88, 40], accuracy: 1e-6)
        XCTAssertGreaterThan(up[87, 39], 0.9)
        XCTAssertEqual(up[10, 100], 0, "far from the hot cell the map stays 0")
        // Symmetry: the upsampled map is symmetric about the hot cell's centre.
        XCTAssertEqual(up[80, 39], up[95, 39], accuracy: 1e-6)
        // Upsampling a constant map gives the same constant, of any size.
        let flat = HeatMap(width: 7, height: 7, values: [Float](repeating: 0.25, count: 49)).resizedBilinear(width: 100, height: 60)
        XCTAssertTrue(flat.values.allSatisfy { abs($0 - 0.25) < 1e-6 })
    }

    func testOverlayColoursTheHotCellOverTheFace() {
        let face = RGBImage(width: 112, height: 112, color: RGBColor(128, 128, 128))
        let overlay = CAMRenderer.overlay(face: face, map: hotCell(row: 2, column: 5), alpha: 0.5)
        XCTAssertEqual(overlay.width, 112)
        let hot = hottestPixel(overlay)
        XCTAssertTrue((80..<96).contains(hot.x) && (32..<48).contains(hot.y), "hottest pixel at \(hot)")
        // Far away: the face blended with the colour of 0 (dark blue, (0, 0, 128)).
        let cold = overlay[5, 105]
        XCTAssertEqual([cold.r, cold.g, cold.b], [64, 64, 128])
        // Every pixel is the face blended with the colour of the upsampled map there.
        let up = hotCell(row: 2, column: 5).resizedBilinear(width: 112, height: 112)
        for (x, y) in [(87, 39), (84, 44), (70, 39), (5, 105)] {
            let c = ColorMap.jet.color(up[x, y]), p = overlay[x, y]
            XCTAssertEqual([p.r, p.g, p.b], [c.r, c.g, c.b].map { UInt8((64 + Float($0) / 2).rounded()) }, "pixel (\(x), \(y))")
        }
    }

    func testFlipViewShowsTheMirroredMapMirroredBack() throws {
        // The mirrored face's map has the hot cell at column 1; mirrored back it must sit at column 5,
        // on the same side as in the image's own map.
        let loaded = try ModelCheckpoint.load(path: TestSupport.fixture("golden_micro_model.safetensors"),
                                              device: try TestSupport.device(), log: { _ in })
        var renderer = CAMRenderer(model: loaded.model, classNames: loaded.classNames)
        renderer.minimumSide = 112
        let own = hotCell(row: 2, column: 5), mirroredView = hotCell(row: 2, column: 1)
        XCTAssertEqual(mirroredView.horizontallyFlipped(), own)
        let face = RGBImage(width: 112, height: 112, color: RGBColor(128, 128, 128))
        var probabilities = [Float](repeating: 0.05, count: 7)
        probabilities[3] = 0.7
        let analysis = CAMRenderer.Analysis(face: face, probabilities: probabilities, maps: [HeatMap](repeating: own, count: 7),
                                            flippedBack: [HeatMap](repeating: mirroredView.horizontallyFlipped(), count: 7))
        XCTAssertEqual(analysis.predicted, 3)
        XCTAssertEqual(analysis.consistencyError(3), 0)
        let picture = renderer.render(analysis, selection: .predicted)
        var grid = PanelGrid(columns: 2)
        grid.textScale = 1  // the renderer's scale for faces under 200 pixels
        XCTAssertEqual(picture.width, 2 * 112 + 3 * grid.gap)
        let top = grid.gap + grid.titleHeight
        for panel in 0..<2 {
            let x0 = grid.gap + panel * (112 + grid.gap)
            let hot = hottestPixel(picture, x: x0..<(x0 + 112), y: top..<(top + 112))
            XCTAssertTrue((x0 + 80..<x0 + 96).contains(hot.x) && (top + 32..<top + 48).contains(hot.y),
                          "panel \(panel): hottest pixel at \(hot), expected the block of row 2, column 5")
        }
    }

    func testFlippedBackMapsOfAnImageAreTheMirroredImagesMaps() throws {
        let loaded = try ModelCheckpoint.load(path: TestSupport.fixture("golden_micro_model.safetensors"),
                                              device: try TestSupport.device(), log: { _ in })
        let renderer = CAMRenderer(model: loaded.model, classNames: loaded.classNames)
        var rng = SeededRandom(seed: 7)
        let face = RGBImage(width: 112, height: 112, pixels: (0..<(112 * 112 * 3)).map { _ in UInt8(rng.uniform() * 255) })
        let both = try renderer.analyze([face, face.horizontallyFlipped()], flip: true)
        for k in 0..<7 {
            let a = both[0].flippedBack![k].values, b = both[1].maps[k].horizontallyFlipped().values
            assertClose(a, b, relative: 1e-5, "class \(k): flipped-back map vs the mirrored face's map, mirrored")
        }
        XCTAssertEqual(both[0].probabilities.reduce(0, +), 1, accuracy: 1e-5)
    }

    func testAllClassesGridHasATitledPanelPerClass() throws {
        let loaded = try ModelCheckpoint.load(path: TestSupport.fixture("golden_micro_model.safetensors"),
                                              device: try TestSupport.device(), log: { _ in })
        var renderer = CAMRenderer(model: loaded.model, classNames: loaded.classNames)
        renderer.minimumSide = 112
        let face = RGBImage(width: 112, height: 112, color: RGBColor(128, 128, 128))
        let maps = (0..<7).map { hotCell(row: $0, column: $0) }
        let analysis = CAMRenderer.Analysis(face: face, probabilities: [Float](repeating: 1.0 / 7, count: 7), maps: maps, flippedBack: nil)
        let picture = renderer.render(analysis, selection: .all)
        var grid = PanelGrid(columns: 4)
        grid.textScale = 1
        let cellH = 112 + grid.titleHeight
        XCTAssertEqual(picture.width, 4 * 112 + 5 * grid.gap)
        XCTAssertEqual(picture.height, 2 * cellH + 3 * grid.gap)
        for slot in 0..<8 {
            let x0 = grid.gap + (slot % 4) * (112 + grid.gap), y0 = grid.gap + (slot / 4) * (cellH + grid.gap)
            var ink = 0
            for y in y0..<(y0 + grid.titleHeight) { for x in x0..<(x0 + 112) where picture[x, y].r < 100 { ink += 1 } }
            XCTAssertEqual(ink > 0, slot < 7, "title ink in slot \(slot)")
            if slot < 7 {
                let hot = hottestPixel(picture, x: x0..<(x0 + 112), y: (y0 + grid.titleHeight)..<(y0 + cellH))
                let column = (hot.x - x0) / 16, row = (hot.y - y0 - grid.titleHeight) / 16
                XCTAssertEqual([row, column], [slot, slot], "panel \(slot) shows its own class map")
            }
        }
    }

    func testRenderedPNGDecodesToTheSamePixels() throws {
        let face = RGBImage(width: 90, height: 70, pixels: (0..<(90 * 70 * 3)).map { UInt8($0 % 251) })
        var picture = CAMRenderer.overlay(face: face, map: hotCell(row: 3, column: 4), alpha: 0.4)
        picture.drawText("Fear 0.5", x: 2, y: 2, scale: 1, color: .white)
        let png = try ImageCodec.encodePNG(picture)
        XCTAssertEqual(Array(png.prefix(4)), [0x89, 0x50, 0x4E, 0x47])
        XCTAssertEqual(try ImageCodec.decode(png, source: "rendered"), picture)
    }
}
