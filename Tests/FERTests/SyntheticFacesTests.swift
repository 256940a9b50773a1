import Foundation
import XCTest
@testable import FER

/// The synthetic imbalanced face dataset: class counts, determinism, image sanity and the intended
/// direction of each expression's features.
final class SyntheticFacesTests: XCTestCase {
    // MARK: Class counts

    func testCountsReproduceRAFDBExactly() {
        let counts = SyntheticFaces.classCounts(total: 12271, imbalance: nil)
        XCTAssertEqual(counts, SyntheticFaces.rafdbTrainCounts)
    }

    func testCountsFollowRAFDBProportionsWithinRounding() {
        let raf = SyntheticFaces.rafdbTrainCounts.map(Double.init)
        let n = raf.reduce(0, +)
        for total in [50, 1000, 3001, 20000] {
            let counts = SyntheticFaces.classCounts(total: total, imbalance: nil)
            XCTAssertEqual(counts.count, 7)
            XCTAssertEqual(counts.reduce(0, +), total, "total \(total)")
            for c in 0..<7 {
                XCTAssertGreaterThanOrEqual(counts[c], 1, "total \(total) class \(c)")
                let quota = Double(total) * raf[c] / n
                XCTAssertLessThan(abs(Double(counts[c]) - quota), 1.0,
                                  "total \(total) class \(c): \(counts[c]) vs quota \(quota)")
            }
        }
    }

    func testSmallTotals() {
        XCTAssertEqual(SyntheticFaces.classCounts(total: 7, imbalance: nil), [1, 1, 1, 1, 1, 1, 1])
        // Fewer images than classes: one each for the most frequent classes.
        XCTAssertEqual(SyntheticFaces.classCounts(total: 3, imbalance: nil), [0, 0, 0, 1, 1, 0, 1])
        XCTAssertEqual(SyntheticFaces.classCounts(total: 0, imbalance: 10), [0, 0, 0, 0, 0, 0, 0])
    }

    func testImbalanceRatioIsHonouredAndOrderKept() {
        let rafOrder = frequencyOrder(SyntheticFaces.rafdbTrainCounts)
        for ratio: Float in [2, 5, 10, 17, 50] {
            let counts = SyntheticFaces.classCounts(total: 30000, imbalance: ratio)
            XCTAssertEqual(counts.reduce(0, +), 30000)
            let measured = Double(counts.max()!) / Double(counts.min()!)
            XCTAssertEqual(measured, Double(ratio), accuracy: Double(ratio) * 0.02, "ratio \(ratio): \(counts)")
            XCTAssertEqual(frequencyOrder(counts), rafOrder, "ratio \(ratio) changed the frequency order: \(counts)")
            XCTAssertEqual(counts.firstIndex(of: counts.max()!), 3, "Happiness must stay the largest class")
            XCTAssertEqual(counts.firstIndex(of: counts.min()!), 1, "Fear must stay the smallest class")
        }
        XCTAssertEqual(SyntheticFaces.classCounts(total: 7000, imbalance: 1), [Int](repeating: 1000, count: 7))
        // A larger ratio makes the rare classes rarer and the common ones commoner.
        let mild = SyntheticFaces.classCounts(total: 10000, imbalance: 5)
        let strong = SyntheticFaces.classCounts(total: 10000, imbalance: 50)
        XCTAssertGreaterThan(mild[1], strong[1])
        XCTAssertLessThan(mild[3], strong[3])
    }

    func testSampleLabelsAreAShuffledDeterministicMultiset() {
        let counts = SyntheticFaces.classCounts(total: 700, imbalance: nil)
        var r1 = SeededRandom(seed: 5), r2 = SeededRandom(seed: 5), r3 = SeededRandom(seed: 6)
        let a = SyntheticFaces.sampleLabels(counts: counts, rng: &r1)
        let b = SyntheticFaces.sampleLabels(counts: counts, rng: &r2)
        let c = SyntheticFaces.sampleLabels(counts: counts, rng: &r3)
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(a, c)
        XCTAssertEqual(a.count, 700)
        for k in 0..<7 { XCTAssertEqual(a.filter { $0 == k }.count, counts[k]) }
        XCTAssertNotEqual(a, a.sorted(), "labels are not shuffled")
        // Well mixed: the first half holds roughly half of the largest class.
        let firstHalfHappy = a.prefix(350).filter { $0 == 3 }.count
        XCTAssertEqual(Double(firstHalfHappy), Double(counts[3]) / 2, accuracy: Double(counts[3]) * 0.2)
    }

    // MARK: Images

    func testSameSeedSameBytesDifferentSeedDifferentBytes() {
        for label in 0..<7 {
            var r1 = SeededRandom(seed: 42), r2 = SeededRandom(seed: 42), r3 = SeededRandom(seed: 43)
            let a = SyntheticFaces.image(label: label, rng: &r1)
            let b = SyntheticFaces.image(label: label, rng: &r2)
            let c = SyntheticFaces.image(label: label, rng: &r3)
            XCTAssertEqual(a, b, "class \(label) is not deterministic")
            XCTAssertNotEqual(a.pixels, c.pixels, "class \(label): different seeds gave the same image")
            XCTAssertEqual(r1, r2, "generators must end in the same state")
        }
    }

    func testRenderIsDeterministicForAGivenGeneratorState() {
        var r = SeededRandom(seed: 9)
        let p = FaceParameters.sample(expression: 4, rng: &r)
        var g1 = SeededRandom(seed: 100), g2 = SeededRandom(seed: 100), g3 = SeededRandom(seed: 101)
        XCTAssertEqual(SyntheticFaces.render(p, rng: &g1), SyntheticFaces.render(p, rng: &g2))
        // Only the pixel noise depends on the generator.
        var quiet = p
        quiet.noiseLevel = 0
        XCTAssertEqual(SyntheticFaces.render(quiet, rng: &g1), SyntheticFaces.render(quiet, rng: &g3))
        XCTAssertNotEqual(SyntheticFaces.render(p, rng: &g2).pixels, SyntheticFaces.render(p, rng: &g3).pixels)
    }

    func testImagesAre112x112RGBAndNotBlank() {
        var rng = SeededRandom(seed: 2024)
        for label in 0..<7 {
            for _ in 0..<3 {
                let img = SyntheticFaces.image(label: label, rng: &rng)
                XCTAssertEqual(img.width, 112)
                XCTAssertEqual(img.height, 112)
                XCTAssertEqual(img.pixels.count, 112 * 112 * 3)
                guard img.pixels.count == 112 * 112 * 3 else { continue }
                var gray = [Double](repeating: 0, count: 112 * 112)
                for i in 0..<gray.count {
                    let r = Double(img.pixels[3 * i]), g = Double(img.pixels[3 * i + 1]), b = Double(img.pixels[3 * i + 2])
                    gray[i] = (r + g + b) / 3
                }
                let mean = gray.reduce(0, +) / Double(gray.count)
                var variance = 0.0
                for v in gray { variance += (v - mean) * (v - mean) / Double(gray.count) }
                XCTAssertGreaterThan(variance, 150, "class \(label): image looks blank (variance \(variance))")
                XCTAssertGreaterThan(mean, 20)
                XCTAssertLessThan(mean, 235)
                XCTAssertGreaterThan(Set(img.pixels).count, 40)
            }
        }
    }

    func testRenderHonoursSize() {
        var rng = SeededRandom(seed: 3)
        let p = FaceParameters.sample(expression: 0, rng: &rng)
        let img = SyntheticFaces.render(p, size: 64, rng: &rng)
        XCTAssertEqual(img.width, 64)
        XCTAssertEqual(img.height, 64)
        XCTAssertEqual(img.pixels.count, 64 * 64 * 3)
    }

    /// Changing only the mouth changes the lower part of the image and leaves the top rows (hair,
    /// forehead) alone: the renderer really draws the action features where they belong.
    func testMouthParametersChangeOnlyTheMouthRegion() {
        var p = FaceParameters()
        p.noiseLevel = 0
        var q = p
        q.mouthOpening = 1
        q.mouthCurvature = 0.9
        let (upper, lower) = rowDifferences(p, q, split: 40, lowerFrom: 58)
        XCTAssertEqual(upper, 0)
        XCTAssertGreaterThan(lower, 112 * 255)
    }

    func testBrowParametersMoveTheBrows() {
        var p = FaceParameters()
        p.noiseLevel = 0
        var q = p
        q.browHeight = 1.2
        let (upper, lower) = rowDifferences(p, q, split: 56, lowerFrom: 70)
        XCTAssertGreaterThan(upper, 50 * 255)
        XCTAssertEqual(lower, 0)
    }

    // MARK: Expression distributions

    /// Identity, pose, lighting and camera are drawn before the expression, so the same generator
    /// state gives the same person and scene for every class.
    func testNuisanceFactorsDoNotDependOnTheClass() {
        func scene(_ label: Int) -> FaceParameters {
            var r = SeededRandom(seed: 77)
            var p = FaceParameters.sample(expression: label, rng: &r)
            p.actionFeatures = FaceParameters.neutralActions
            p.pupilX = 0
            p.pupilY = 0
            return p
        }
        let reference = scene(0)
        for label in 1..<7 { XCTAssertEqual(scene(label), reference, "class \(label) changed a non-expression factor") }
    }

    func testClassMeansDifferInTheIntendedDirections() {
        let names = FaceParameters.actionFeatureNames
        var rng = SeededRandom(seed: 11)
        var means = [[Double]](repeating: [Double](repeating: 0, count: names.count), count: 7)
        let n = 500
        for c in 0..<7 {
            for _ in 0..<n {
                let f = FaceParameters.sample(expression: c, rng: &rng).actionFeatures
                for i in 0..<f.count { means[c][i] += Double(f[i]) / Double(n) }
            }
        }
        func m(_ c: Int, _ feature: String) -> Double { means[c][names.firstIndex(of: feature)!] }
        let surprise = 0, fear = 1, disgust = 2, happy = 3, sad = 4, anger = 5, neutral = 6
        XCTAssertGreaterThan(m(happy, "mouthCurvature"), m(neutral, "mouthCurvature") + 0.3)
        XCTAssertGreaterThan(m(neutral, "mouthCurvature"), m(sad, "mouthCurvature") + 0.1)
        XCTAssertGreaterThan(m(happy, "cheekRaise"), m(neutral, "cheekRaise") + 0.3)
        XCTAssertGreaterThan(m(sad, "browInnerRaise"), m(neutral, "browInnerRaise") + 0.2)
        XCTAssertGreaterThan(m(fear, "browInnerRaise"), m(surprise, "browInnerRaise") + 0.15)
        XCTAssertGreaterThan(m(fear, "mouthWidth"), m(surprise, "mouthWidth") + 0.1)
        XCTAssertGreaterThan(m(surprise, "mouthOpening"), m(fear, "mouthOpening") + 0.05)
        XCTAssertGreaterThan(m(fear, "mouthOpening"), m(neutral, "mouthOpening") + 0.1)
        XCTAssertGreaterThan(m(surprise, "browHeight"), m(neutral, "browHeight") + 0.3)
        XCTAssertGreaterThan(m(fear, "eyeOpening"), m(neutral, "eyeOpening") + 0.1)
        XCTAssertLessThan(m(anger, "browHeight"), m(neutral, "browHeight") - 0.2)
        XCTAssertLessThan(m(disgust, "browHeight"), m(neutral, "browHeight") - 0.2)
        XCTAssertGreaterThan(m(anger, "browAngle"), m(disgust, "browAngle") + 0.05)
        XCTAssertGreaterThan(m(disgust, "browAngle"), m(neutral, "browAngle") + 0.2)
        XCTAssertGreaterThan(m(disgust, "noseWrinkle"), m(anger, "noseWrinkle") + 0.1)
        XCTAssertGreaterThan(m(disgust, "upperLipRaise"), m(anger, "upperLipRaise") + 0.1)
        XCTAssertGreaterThan(m(anger, "lipPress"), m(disgust, "lipPress") + 0.1)
    }

    /// Disgust's raised mouth corner is on either side with equal chance, so horizontal flips (as
    /// in the reference augmentation) keep the class.
    func testDisgustAsymmetryTakesBothSides() {
        var rng = SeededRandom(seed: 8)
        var left = 0, right = 0
        for _ in 0..<400 {
            let a = FaceParameters.sample(expression: 2, rng: &rng).mouthAsymmetry
            if a > 0.1 { right += 1 } else if a < -0.1 { left += 1 }
        }
        XCTAssertGreaterThan(left, 100)
        XCTAssertGreaterThan(right, 100)
    }

    /// A nearest-class-mean rule on the true action features stays well above chance but confuses
    /// each neighbour pair (Surprise/Fear, Disgust/Anger, Sadness/Neutral) a fair number of times
    /// at the hard difficulty. The built-in medium one shows clearer expressions: the features
    /// alone separate the classes far better (measured 99% against 79%), but Surprise and Fear
    /// still overlap.
    func testNeighbourClassesOverlap() {
        let n = 400
        let (hardAccuracy, hard) = nearestMeanConfusion(SyntheticDifficulty.hard.variation, perClass: n)
        XCTAssertGreaterThan(hardAccuracy, 0.5)
        XCTAssertLessThan(hardAccuracy, 0.95)
        for (a, b) in [(0, 1), (2, 5), (4, 6)] {
            XCTAssertGreaterThan(hard[a][b] + hard[b][a], n / 20,
                                 "\(SyntheticFaces.classNames[a]) and \(SyntheticFaces.classNames[b]) are hardly confused")
        }
        let (mediumAccuracy, medium) = nearestMeanConfusion(SyntheticDifficulty.medium.variation, perClass: n)
        XCTAssertGreaterThan(mediumAccuracy, hardAccuracy + 0.1)
        XCTAssertLessThan(mediumAccuracy, 0.995)
        XCTAssertGreaterThan(medium[0][1] + medium[1][0], n / 40, "medium: Surprise and Fear are hardly confused")
    }

    private func nearestMeanConfusion(_ variation: FaceVariation, perClass n: Int) -> (accuracy: Double, confusion: [[Int]]) {
        var rng = SeededRandom(seed: 21)
        var samples: [(Int, [Float])] = []
        for c in 0..<7 {
            for _ in 0..<n { samples.append((c, FaceParameters.sample(expression: c, variation: variation, rng: &rng).actionFeatures)) }
        }
        let spread = FaceParameters.actionSpread
        var centre = [[Float]](repeating: [Float](repeating: 0, count: spread.count), count: 7)
        for (c, f) in samples { for i in 0..<f.count { centre[c][i] += f[i] / Float(n) } }
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: 7), count: 7)
        for (c, f) in samples {
            var best = 0, bestD = Float.infinity
            for k in 0..<7 {
                var d: Float = 0
                for i in 0..<f.count {
                    let z = (f[i] - centre[k][i]) / spread[i]
                    d += z * z
                }
                if d < bestD { bestD = d; best = k }
            }
            confusion[c][best] += 1
        }
        let correct = (0..<7).map { confusion[$0][$0] }.reduce(0, +)
        return (Double(correct) / Double(7 * n), confusion)
    }

    // MARK: Difficulty

    /// The nuisance fields narrow each factor's range around its middle: the easy setting is one
    /// studio setting (same skin, background, frontal pose), medium varies less than hard.
    func testDifficultyScalesTheNuisanceFactors() {
        func spreads(_ difficulty: SyntheticDifficulty) -> (skin: Float, background: Float, yaw: Float) {
            var rng = SeededRandom(seed: 31)
            var skin: [Float] = [], background: [Float] = [], yaw: [Float] = []
            for i in 0..<200 {
                let p = FaceParameters.sample(expression: i % 7, variation: difficulty.variation, rng: &rng)
                skin.append(p.skinColor.sum()); background.append(p.backgroundTop.sum()); yaw.append(p.yaw)
            }
            return (standardDeviation(skin), standardDeviation(background), standardDeviation(yaw))
        }
        let easy = spreads(.easy), medium = spreads(.medium), hard = spreads(.hard)
        XCTAssertEqual(easy.skin, 0, accuracy: 1e-4)
        XCTAssertEqual(easy.background, 0, accuracy: 1e-4)
        XCTAssertEqual(easy.yaw, 0, accuracy: 1e-4)
        for (m, h, name) in [(medium.skin, hard.skin, "skin"), (medium.background, hard.background, "background"), (medium.yaw, hard.yaw, "yaw")] {
            XCTAssertGreaterThan(m, 0.08 * h, name)
            XCTAssertLessThan(m, 0.3 * h, name)
        }
        // The built-in default is the medium setting.
        XCTAssertEqual(SyntheticDifficulty.builtIn, .medium)
        XCTAssertEqual(FaceVariation.builtIn, SyntheticDifficulty.medium.variation)
        XCTAssertEqual(SyntheticDataset.Spec().difficulty, .medium)
    }

    /// Easier settings show expressions more strongly: faces sit further from neutral on the
    /// features that define their class.
    func testEasierSettingsShowStrongerExpressions() {
        func meanCurvature(_ difficulty: SyntheticDifficulty, expression: Int) -> Float {
            var rng = SeededRandom(seed: 17)
            var total: Float = 0
            for _ in 0..<300 { total += FaceParameters.sample(expression: expression, variation: difficulty.variation, rng: &rng).mouthCurvature }
            return total / 300
        }
        let happy = 3, sad = 4
        XCTAssertGreaterThan(meanCurvature(.easy, expression: happy), meanCurvature(.hard, expression: happy) + 0.15)
        XCTAssertLessThan(meanCurvature(.easy, expression: sad), meanCurvature(.hard, expression: sad) - 0.05)
        XCTAssertGreaterThan(meanCurvature(.medium, expression: happy), meanCurvature(.hard, expression: happy) + 0.15)
    }

    /// The difficulty is part of the dataset's identity: different cache folders and different files.
    func testDifficultyNamesTheCacheAndChangesTheImages() {
        let medium = SyntheticDataset.Spec(), hard = SyntheticDataset.Spec(difficulty: .hard)
        XCTAssertNotEqual(SyntheticDataset.cacheFolder(for: medium), SyntheticDataset.cacheFolder(for: hard))
        XCTAssertTrue(SyntheticDataset.cacheFolder(for: hard).lastPathComponent.contains("-hard-"))
        var r1 = SeededRandom(seed: 4), r2 = SeededRandom(seed: 4)
        let a = SyntheticFaces.image(label: 0, variation: .builtIn, rng: &r1)
        let b = SyntheticFaces.image(label: 0, variation: SyntheticDifficulty.hard.variation, rng: &r2)
        XCTAssertNotEqual(a.pixels, b.pixels)
    }

    // MARK: Helpers

    private func standardDeviation(_ v: [Float]) -> Float {
        let mean = v.reduce(0, +) / Float(v.count)
        return (v.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(v.count)).squareRoot()
    }

    private func frequencyOrder(_ counts: [Int]) -> [Int] {
        (0..<counts.count).sorted { counts[$0] != counts[$1] ? counts[$0] > counts[$1] : $0 < $1 }
    }

    /// Summed absolute byte differences of two renders (same noise seed) above row `split` and from
    /// row `lowerFrom` down.
    private func rowDifferences(_ p: FaceParameters, _ q: FaceParameters, split: Int, lowerFrom: Int) -> (Int, Int) {
        var g1 = SeededRandom(seed: 1), g2 = SeededRandom(seed: 1)
        let a = SyntheticFaces.render(p, rng: &g1), b = SyntheticFaces.render(q, rng: &g2)
        let row = a.width * 3
        var upper = 0, lower = 0
        for y in 0..<a.height {
            for x in 0..<row {
                let d = abs(Int(a.pixels[y * row + x]) - Int(b.pixels[y * row + x]))
                if y < split { upper += d } else if y >= lowerFrom { lower += d }
            }
        }
        return (upper, lower)
    }
}
