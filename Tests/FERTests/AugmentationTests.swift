import Foundation
import XCTest
@testable import FER

/// RandAugment (timm `rand-m9-mstd0.5-inc1`, bicubic, fill 128) and RandomErasing (p 0.25, per-pixel
/// noise). The fixtures in Fixtures/augment/ are made by tools/make_augment_fixtures.py with timm's
/// own operation functions at magnitude 9, no magnitude noise, both signs.
final class AugmentationTests: XCTestCase {
    static let fixtureDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures").appendingPathComponent("augment")

    struct FixtureImage: Decodable { let file: String; let width: Int; let height: Int }
    struct FixtureOutput: Decodable { let image: String; let op: String; let sign: String; let argument: Double?; let file: String }
    struct FixtureMapping: Decodable { let op: String; let magnitude: Double; let sign: String; let argument: Double? }
    struct Fixture: Decodable {
        let fill: [Int]
        let resample: String
        let magnitude: Double
        let images: [String: FixtureImage]
        let outputs: [FixtureOutput]
        let mapping: [FixtureMapping]
    }

    func loadFixture() throws -> Fixture {
        let url = Self.fixtureDir.appendingPathComponent("augment.json")
        return try JSONDecoder().decode(Fixture.self, from: Data(contentsOf: url))
    }

    func decode(_ name: String) throws -> RGBImage {
        try ImageCodec.decodeFile(atPath: Self.fixtureDir.appendingPathComponent(name).path)
    }

    func image(width: Int, height: Int, _ f: (Int, Int, Int) -> Int) -> RGBImage {
        var px = [UInt8](repeating: 0, count: width * height * 3)
        for y in 0..<height {
            for x in 0..<width {
                for c in 0..<3 { px[(y * width + x) * 3 + c] = UInt8(truncatingIfNeeded: f(x, y, c)) }
            }
        }
        return RGBImage(width: width, height: height, pixels: px)
    }

    // MARK: - Each operation against timm

    /// Every operation at magnitude 9, both signs where signed, on the 12x10 and 32x24 fixtures.
    /// Pixel operations (LUTs, enhance blends, smoothing) must match timm byte for byte. Geometric
    /// operations (bicubic affine, fill 128) must have every channel value within 1 level of timm's
    /// and at least 99% of values identical (measured: all identical; the slack covers platform libm
    /// differences in Rotate's cos/sin that can move a truncated bicubic value by one level).
    func testEachOperationMatchesTimmAtMagnitude9() throws {
        let fx = try loadFixture()
        XCTAssertEqual(fx.fill, [128, 128, 128])
        XCTAssertEqual(fx.resample, "bicubic")
        XCTAssertEqual(fx.magnitude, 9)
        var covered = Set<String>()
        for rec in fx.outputs {
            guard let op = RandAugmentOp(rawValue: rec.op) else { XCTFail("unknown op \(rec.op)"); continue }
            covered.insert(rec.op)
            let negate = rec.sign == "-"
            XCTAssertEqual(RandAugment.argument(for: op, magnitude: 9, negate: negate), rec.argument,
                           "\(rec.op) \(rec.sign): argument")
            guard let meta = fx.images[rec.image] else { XCTFail("no image \(rec.image)"); continue }
            let input = try decode(meta.file)
            XCTAssertEqual(input.width, meta.width); XCTAssertEqual(input.height, meta.height)
            let expected = try decode(rec.file)
            let got = RandAugment.apply(op, magnitude: 9, to: input, negate: negate, fill: (128, 128, 128))
            XCTAssertEqual(got.width, expected.width); XCTAssertEqual(got.height, expected.height)
            guard got.pixels.count == expected.pixels.count else { XCTFail("\(rec.file): size"); continue }
            var maxDiff = 0, differing = 0
            for i in 0..<got.pixels.count {
                let d = abs(Int(got.pixels[i]) - Int(expected.pixels[i]))
                maxDiff = max(maxDiff, d)
                if d != 0 { differing += 1 }
            }
            if op.isGeometric {
                XCTAssertLessThanOrEqual(maxDiff, 1, "\(rec.file): max difference \(maxDiff)")
                XCTAssertLessThanOrEqual(Double(differing), 0.01 * Double(got.pixels.count),
                                         "\(rec.file): \(differing) of \(got.pixels.count) values differ")
            } else {
                XCTAssertEqual(maxDiff, 0, "\(rec.file): \(differing) values differ, max \(maxDiff)")
            }
        }
        XCTAssertEqual(covered, Set(RandAugmentOp.allCases.map(\.rawValue)), "every operation has a fixture")
    }

    // MARK: - Magnitude -> argument

    /// timm's level functions, evaluated by the fixture script at magnitudes including truncation
    /// edges (0, 0.5, 2.5, ..., 9.99, 10), must be reproduced exactly (same double arithmetic).
    func testArgumentMappingMatchesTimm() throws {
        let fx = try loadFixture()
        XCTAssertGreaterThan(fx.mapping.count, 100)
        for e in fx.mapping {
            let op = try XCTUnwrap(RandAugmentOp(rawValue: e.op))
            let got = RandAugment.argument(for: op, magnitude: e.magnitude, negate: e.sign == "-")
            XCTAssertEqual(got, e.argument, "\(e.op) m=\(e.magnitude) sign \(e.sign)")
        }
    }

    func testArgumentMappingKnownValues() {
        func arg(_ op: RandAugmentOp, _ m: Double, _ neg: Bool = false) -> Double {
            RandAugment.argument(for: op, magnitude: m, negate: neg) ?? .nan
        }
        XCTAssertNil(RandAugment.argument(for: .autoContrast, magnitude: 9))
        XCTAssertNil(RandAugment.argument(for: .equalize, magnitude: 9))
        XCTAssertNil(RandAugment.argument(for: .invert, magnitude: 9))
        XCTAssertEqual(arg(.rotate, 9), 27, accuracy: 1e-12)
        XCTAssertEqual(arg(.rotate, 9, true), -27, accuracy: 1e-12)
        XCTAssertEqual(arg(.posterizeIncreasing, 9), 1)       // 4 - int(3.6)
        XCTAssertEqual(arg(.posterizeIncreasing, 10), 0)
        XCTAssertEqual(arg(.posterizeIncreasing, 0), 4)
        XCTAssertEqual(arg(.solarizeIncreasing, 9), 26)       // 256 - int(230.4)
        XCTAssertEqual(arg(.solarizeIncreasing, 0), 256)
        XCTAssertEqual(arg(.solarizeAdd, 9), 99)
        XCTAssertEqual(arg(.solarizeAdd, 10), 110)
        for op in [RandAugmentOp.colorIncreasing, .contrastIncreasing, .brightnessIncreasing, .sharpnessIncreasing] {
            XCTAssertEqual(arg(op, 9), 1.81, accuracy: 1e-12)
            XCTAssertEqual(arg(op, 9, true), 0.19, accuracy: 1e-12)
            XCTAssertEqual(arg(op, 10, true), 0.1, accuracy: 1e-12)   // kept >= 0.1
            XCTAssertGreaterThanOrEqual(arg(op, 10, true), 0.1)
        }
        XCTAssertEqual(arg(.shearX, 9), 0.27, accuracy: 1e-12)
        XCTAssertEqual(arg(.shearY, 9, true), -0.27, accuracy: 1e-12)
        XCTAssertEqual(arg(.translateXRel, 9), 0.405, accuracy: 1e-12)
        XCTAssertEqual(arg(.translateYRel, 9, true), -0.405, accuracy: 1e-12)
        XCTAssertEqual(RandAugmentOp.allCases.count, 15)
        XCTAssertEqual(RandAugmentOp.allCases.filter(\.isSigned).count, 9)
    }

    // MARK: - Behaviour independent of the fixtures

    func testGeometricOpsUseTheFillColour() {
        let flat = image(width: 20, height: 16) { _, _, _ in 200 }
        let rotated = RandAugment.apply(.rotate, magnitude: 9, to: flat, fill: (10, 20, 30))
        XCTAssertEqual(Array(rotated.pixels[0..<3]), [10, 20, 30], "corner is outside the rotated image")
        let centre = (8 * 20 + 10) * 3
        XCTAssertEqual(Array(rotated.pixels[centre..<(centre + 3)]), [200, 200, 200])
        // Translating left by 0.405 * 20 = 8.1 pixels: the last 8 columns read past the right edge.
        let moved = RandAugment.apply(.translateXRel, magnitude: 9, to: flat, fill: (1, 2, 3))
        for y in 0..<16 {
            XCTAssertEqual(Array(moved.pixels[(y * 20 + 19) * 3..<(y * 20 + 20) * 3]), [1, 2, 3])
            XCTAssertEqual(Array(moved.pixels[(y * 20) * 3..<(y * 20 + 1) * 3]), [200, 200, 200])
        }
    }

    func testPosterizeZeroBitsIsBlackAndInvertIsAnInvolution() {
        let img = image(width: 7, height: 5) { x, y, c in x * 31 + y * 17 + c * 50 }
        let black = RandAugment.apply(.posterizeIncreasing, magnitude: 10, to: img)
        XCTAssertTrue(black.pixels.allSatisfy { $0 == 0 })
        let inv = RandAugment.apply(.invert, magnitude: 9, to: img)
        XCTAssertEqual(zip(inv.pixels, img.pixels).filter { Int($0) + Int($1) != 255 }.count, 0)
        XCTAssertEqual(RandAugment.apply(.invert, magnitude: 9, to: inv), img)
    }

    // MARK: - The random pipeline

    func testRandAugmentIsDeterministicForASeed() {
        let ra = RandAugment()
        let img = image(width: 24, height: 20) { x, y, c in (x * 11 + y * 7 + c * 60) ^ (x * y) }
        var a = SeededRandom(seed: 42), b = SeededRandom(seed: 42), c = SeededRandom(seed: 43)
        var outA: [RGBImage] = [], outB: [RGBImage] = [], outC: [RGBImage] = []
        for _ in 0..<40 {
            outA.append(ra(img, rng: &a)); outB.append(ra(img, rng: &b)); outC.append(ra(img, rng: &c))
        }
        XCTAssertEqual(outA, outB, "same seed, same outputs")
        XCTAssertEqual(a, b, "same seed, same generator state afterwards")
        XCTAssertNotEqual(outA, outC, "different seed, different outputs")
        XCTAssertGreaterThan(zip(outA, outC).filter { $0 != $1 }.count, 10)
    }

    func testPlanStatistics() {
        let ra = RandAugment()
        var rng = SeededRandom(seed: 2024)
        let draws = 20_000
        var applied = 0, negatives = 0, signed = 0
        var perOp = [RandAugmentOp: Int]()
        var mags: [Double] = []
        for _ in 0..<draws {
            let steps = ra.plan(rng: &rng)
            XCTAssertLessThanOrEqual(steps.count, 2)
            applied += steps.count
            for s in steps {
                perOp[s.op, default: 0] += 1
                mags.append(s.magnitude)
                if s.op.isSigned { signed += 1; if s.negate { negatives += 1 } } else { XCTAssertFalse(s.negate) }
            }
        }
        // 2 layers x p 0.5 -> 1 applied op per image on average (sd of the mean ~0.005).
        XCTAssertEqual(Double(applied) / Double(draws), 1.0, accuracy: 0.03)
        // Each of the 15 ops ~1/15 of the applied ones (expected ~1333, sd ~36).
        XCTAssertEqual(perOp.count, 15)
        for (op, n) in perOp { XCTAssertEqual(Double(n), Double(applied) / 15, accuracy: 200, "\(op)") }
        XCTAssertEqual(Double(negatives) / Double(signed), 0.5, accuracy: 0.03)
        // N(9, 0.5) clipped to [0, 10]: mean ~8.996, sd ~0.49, ~2.3% exactly 10.
        XCTAssertTrue(mags.allSatisfy { $0 >= 0 && $0 <= 10 })
        let mean = mags.reduce(0, +) / Double(mags.count)
        let sd = (mags.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(mags.count)).squareRoot()
        XCTAssertEqual(mean, 9.0, accuracy: 0.03)
        XCTAssertEqual(sd, 0.49, accuracy: 0.03)
        let clipped = Double(mags.filter { $0 == 10 }.count) / Double(mags.count)
        XCTAssertEqual(clipped, 0.0228, accuracy: 0.01)
    }

    func testProbabilityExtremes() {
        let img = image(width: 9, height: 8) { x, y, c in x * 20 + y * 9 + c }
        var rng = SeededRandom(seed: 5)
        let never = RandAugment(probability: 0)
        for _ in 0..<50 { XCTAssertEqual(never(img, rng: &rng), img) }
        let invertOnce = RandAugment(magnitudeStd: 0, layers: 1, probability: 1, ops: [.invert])
        XCTAssertEqual(invertOnce(img, rng: &rng), RandAugment.apply(.invert, magnitude: 9, to: img))
        let invertTwice = RandAugment(magnitudeStd: 0, layers: 2, probability: 1, ops: [.invert])
        XCTAssertEqual(invertTwice(img, rng: &rng), img)
        // p 0.5, one layer: about half the images inverted (sd ~0.008 over 4000 draws).
        let half = RandAugment(layers: 1, probability: 0.5, ops: [.invert])
        var changed = 0
        for _ in 0..<4000 {
            if half(img, rng: &rng) != img { changed += 1 }
        }
        XCTAssertEqual(Double(changed) / 4000, 0.5, accuracy: 0.04)
    }

    // MARK: - RandomErasing

    func testErasingProbabilityIsAboutAQuarter() {
        let re = RandomErasing()
        var rng = SeededRandom(seed: 11)
        let draws = 20_000
        var erased = 0
        for _ in 0..<draws {
            if re.sampleRegion(height: 112, width: 112, rng: &rng) != nil { erased += 1 }
        }
        // Binomial sd at p 0.25: ~0.003; the bound is ~5 sd.
        XCTAssertEqual(Double(erased) / Double(draws), 0.25, accuracy: 0.015)
        let never = RandomErasing(probability: 0)
        for _ in 0..<200 { XCTAssertNil(never.sampleRegion(height: 112, width: 112, rng: &rng)) }
        let always = RandomErasing(probability: 1)
        var hits = 0
        for _ in 0..<1000 {
            if always.sampleRegion(height: 112, width: 112, rng: &rng) != nil { hits += 1 }
        }
        XCTAssertGreaterThanOrEqual(hits, 990, "10 attempts almost always fit on 112x112")
    }

    /// Regions lie inside the image; h and w are sqrt(area * ratio) and sqrt(area / ratio) rounded,
    /// so with area in [0.02, 1/3] of the image and ratio in [0.3, 1/0.3]:
    /// (h - 1/2)(w - 1/2) <= A/3, (h + 1/2)(w + 1/2) >= 0.02 A and (h - 1/2)/(w + 1/2) <= 1/0.3,
    /// (h + 1/2)/(w - 1/2) >= 0.3; the mean area fraction is near (0.02 + 1/3)/2.
    func testErasingRegionBoundsAndArea() {
        let re = RandomErasing(probability: 1)
        var rng = SeededRandom(seed: 12)
        for (h, w) in [(112, 112), (40, 90), (17, 13)] {
            let area = Double(h * w)
            var fractions: [Double] = []
            for _ in 0..<3000 {
                guard let r = re.sampleRegion(height: h, width: w, rng: &rng) else { continue }
                XCTAssertGreaterThanOrEqual(r.top, 0); XCTAssertGreaterThanOrEqual(r.left, 0)
                XCTAssertLessThanOrEqual(r.top + r.height, h); XCTAssertLessThanOrEqual(r.left + r.width, w)
                XCTAssertLessThan(r.height, h); XCTAssertLessThan(r.width, w)
                let rh = Double(r.height), rw = Double(r.width)
                XCTAssertLessThanOrEqual((rh - 0.5) * (rw - 0.5), area / 3 + 1e-9, "\(r) in \(h)x\(w)")
                XCTAssertGreaterThanOrEqual((rh + 0.5) * (rw + 0.5), 0.02 * area - 1e-9, "\(r) in \(h)x\(w)")
                XCTAssertLessThanOrEqual((rh - 0.5) / (rw + 0.5), 1 / 0.3 + 1e-9)
                if rw > 0.5 { XCTAssertGreaterThanOrEqual((rh + 0.5) / (rw - 0.5), 0.3 - 1e-9) }
                fractions.append(rh * rw / area)
            }
            XCTAssertGreaterThan(fractions.count, 2000)
            if h == 112 {
                XCTAssertTrue(fractions.allSatisfy { $0 >= 0.018 && $0 <= 0.34 })
                let mean = fractions.reduce(0, +) / Double(fractions.count)
                XCTAssertEqual(mean, (0.02 + 1.0 / 3.0) / 2, accuracy: 0.01)
            }
        }
    }

    /// Only the returned rectangle changes, in every channel, to noise of mean ~0 and sd ~1.
    func testErasingFillsExactlyTheRegionWithNormalNoise() {
        let re = RandomErasing(probability: 1)
        let (ch, h, w) = (3, 112, 112)
        var rng = SeededRandom(seed: 13)
        var noise: [Double] = []
        var regions = 0, wrongInside = 0, wrongOutside = 0
        for _ in 0..<20 {
            var t = [Float](repeating: 7, count: ch * h * w)
            guard let r = re.apply(to: &t, channels: ch, height: h, width: w, rng: &rng) else { continue }
            regions += 1
            for c in 0..<ch {
                for y in 0..<h {
                    for x in 0..<w {
                        let v = t[(c * h + y) * w + x]
                        let inside = y >= r.top && y < r.top + r.height && x >= r.left && x < r.left + r.width
                        if inside {
                            if v == 7 { wrongInside += 1 }
                            noise.append(Double(v))
                        } else if v != 7 {
                            wrongOutside += 1
                        }
                    }
                }
            }
        }
        XCTAssertEqual(wrongInside, 0, "values inside the region left unchanged")
        XCTAssertEqual(wrongOutside, 0, "values outside the region changed")
        XCTAssertGreaterThanOrEqual(regions, 19)
        XCTAssertGreaterThan(noise.count, 10_000)
        let mean = noise.reduce(0, +) / Double(noise.count)
        let sd = (noise.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(noise.count)).squareRoot()
        XCTAssertEqual(mean, 0, accuracy: 0.05)
        XCTAssertEqual(sd, 1, accuracy: 0.05)
    }

    func testErasingIsDeterministicForASeed() {
        let re = RandomErasing()
        func run(_ seed: UInt64) -> [[Float]] {
            var rng = SeededRandom(seed: seed)
            return (0..<30).map { _ in
                var t = [Float](repeating: 0.25, count: 3 * 32 * 32)
                re.apply(to: &t, channels: 3, height: 32, width: 32, rng: &rng)
                return t
            }
        }
        XCTAssertEqual(run(9), run(9))
        XCTAssertNotEqual(run(9), run(10))
    }
}
