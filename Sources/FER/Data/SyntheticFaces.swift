import Foundation

// A procedural, class-imbalanced facial-expression dataset: cartoon faces drawn by a small
// anti-aliased software rasterizer. Every image is a sample of identity and nuisance factors (face
// shape, skin, hair, glasses, pose, lighting, background, noise) that do not depend on the label,
// plus facial "action" features (brows, lids, mouth, nose wrinkle, cheeks) drawn from a per-class
// distribution whose neighbours overlap the way real expressions do.

/// Hair drawn around a synthetic face.
public enum HairStyle: Int, Codable, Sendable, CaseIterable {
    case none, short, medium, long
}

/// Everything that determines one synthetic face. Coordinates are in "face units": the origin is the
/// centre of the face ellipse, +x to the image right, +y down, and at `scale == 1` the image spans
/// two units (one unit is half the image side).
public struct FaceParameters: Equatable, Codable, Sendable {
    // MARK: Identity (independent of the expression)
    /// Half-axes of the head ellipse.
    public var faceHalfWidth: Float = 0.55
    public var faceHalfHeight: Float = 0.72
    /// How much the lower half narrows towards the chin (0 = ellipse).
    public var jawTaper: Float = 0.2
    public var skinColor: SIMD3<Float> = [0.85, 0.66, 0.54]
    /// Cheek blush strength, 0...1.
    public var blush: Float = 0.3
    /// Baseline visibility of skin folds (age), 0...1.
    public var lineDepth: Float = 0.2
    public var hairStyle: HairStyle = .short
    public var hairColor: SIMD3<Float> = [0.2, 0.13, 0.08]
    /// Height of the hairline at the centre (negative is up).
    public var hairlineHeight: Float = -0.42
    /// Side parting, -1...1: tilts the hairline.
    public var hairPart: Float = 0
    /// Extra hair volume around the skull.
    public var hairVolume: Float = 0.04
    public var hasGlasses: Bool = false
    public var glassesColor: SIMD3<Float> = [0.1, 0.1, 0.1]
    /// 0 = rectangular frames, 1 = round.
    public var glassesRoundness: Float = 0.5
    public var glassesSize: Float = 1
    /// Horizontal distance of each eye centre from the face axis.
    public var eyeSpacing: Float = 0.21
    /// Vertical position of the eyes.
    public var eyeLevel: Float = -0.08
    /// Eye size multiplier.
    public var eyeSize: Float = 1
    public var irisColor: SIMD3<Float> = [0.3, 0.18, 0.1]
    /// Brow half-thickness and arch.
    public var browThickness: Float = 0.025
    public var browArch: Float = 0.015
    public var browColor: SIMD3<Float> = [0.15, 0.1, 0.07]
    /// Vertical position of the nose tip and half-width of the nostrils.
    public var noseLength: Float = 0.14
    public var noseWidth: Float = 0.045
    /// Vertical position of the mouth and lip thickness.
    public var mouthLevel: Float = 0.34
    public var lipThickness: Float = 0.025
    public var lipColor: SIMD3<Float> = [0.7, 0.38, 0.36]
    public var clothesColor: SIMD3<Float> = [0.3, 0.35, 0.5]

    // MARK: Action features (what the expression changes)
    /// Upper-lid opening: 1 relaxed, > 1 wide (surprise, fear, glare), < 1 narrowed or drooping.
    public var eyeOpening: Float = 1
    /// Lower lid pushed up by the cheek or tensed (happiness, disgust, anger), 0...1.
    public var lowerLidRaise: Float = 0.1
    /// Upper-lid slant: > 0 inner part raised and outer part lowered (sadness, fear), < 0 the
    /// opposite, a hard glare (anger).
    public var lidSlant: Float = 0
    /// Gaze, -1...1 (not an expression cue).
    public var pupilX: Float = 0
    public var pupilY: Float = 0
    /// Whole-brow raise (> 0 up, < 0 lowered).
    public var browHeight: Float = 0
    /// Brow slant: > 0 inner ends pulled down and together (anger, disgust).
    public var browAngle: Float = 0
    /// Inner brow ends raised (sadness, fear).
    public var browInnerRaise: Float = 0
    /// Mouth-corner lift: > 0 smile, < 0 down-turned.
    public var mouthCurvature: Float = 0.05
    /// Jaw/lip opening, 0 closed ... 1 wide open.
    public var mouthOpening: Float = 0
    /// Mouth width multiplier (stretched > 1, pursed < 1).
    public var mouthWidth: Float = 1
    /// One corner raised: > 0 the right (+x) corner, < 0 the left one (disgust, contempt-like).
    public var mouthAsymmetry: Float = 0
    /// Lips pressed thin and tight, 0...1 (anger).
    public var lipPress: Float = 0.1
    /// Upper lip raised, showing teeth (disgust), 0...1.
    public var upperLipRaise: Float = 0
    /// Nose wrinkling and nostril flare (disgust), 0...1.
    public var noseWrinkle: Float = 0
    /// Cheeks raised (happiness), 0...1: blush higher, deeper nasolabial folds.
    public var cheekRaise: Float = 0

    // MARK: Pose, lighting, camera (independent of the expression)
    /// Yaw-like turn, -1...1: features shift sideways and the far eye narrows.
    public var yaw: Float = 0
    /// In-plane rotation in radians.
    public var roll: Float = 0
    public var scale: Float = 1.55
    /// Translation of the face centre, in half-image units.
    public var offsetX: Float = 0
    public var offsetY: Float = 0
    /// Direction of the key light in the image plane, radians, and how strongly it shades the face.
    public var lightAngle: Float = 0
    public var lightStrength: Float = 0.2
    /// Brightness gradient across the whole image, along the light direction.
    public var lightGradient: Float = 0.1
    public var exposure: Float = 1
    /// Per-channel white-balance multipliers.
    public var colorCast: SIMD3<Float> = [1, 1, 1]
    public var backgroundTop: SIMD3<Float> = [0.6, 0.62, 0.65]
    public var backgroundBottom: SIMD3<Float> = [0.45, 0.47, 0.5]
    /// Gaussian pixel-noise standard deviation, in 0...1 intensity units.
    public var noiseLevel: Float = 0.02
    /// Blend towards a 3x3 binomial blur, 0...1.
    public var blur: Float = 0

    /// A relaxed, frontal, neutral face with default identity.
    public init() {}
}

// MARK: - Expression distributions

extension FaceParameters {
    /// The action features, in a fixed order, as a vector (used for sampling and by tests).
    static let actionFeatureNames = [
        "eyeOpening", "lowerLidRaise", "lidSlant", "browHeight", "browAngle", "browInnerRaise",
        "mouthCurvature", "mouthOpening", "mouthWidth", "mouthAsymmetry", "lipPress", "upperLipRaise",
        "noseWrinkle", "cheekRaise",
    ]

    var actionFeatures: [Float] {
        get {
            [eyeOpening, lowerLidRaise, lidSlant, browHeight, browAngle, browInnerRaise, mouthCurvature,
             mouthOpening, mouthWidth, mouthAsymmetry, lipPress, upperLipRaise, noseWrinkle, cheekRaise]
        }
        set {
            eyeOpening = newValue[0]; lowerLidRaise = newValue[1]; lidSlant = newValue[2]
            browHeight = newValue[3]; browAngle = newValue[4]; browInnerRaise = newValue[5]
            mouthCurvature = newValue[6]; mouthOpening = newValue[7]; mouthWidth = newValue[8]
            mouthAsymmetry = newValue[9]; lipPress = newValue[10]; upperLipRaise = newValue[11]
            noseWrinkle = newValue[12]; cheekRaise = newValue[13]
        }
    }

    /// The relaxed face every expression is measured from (the Neutral prototype).
    static let neutralActions: [Float] = [1.0, 0.1, 0, 0, 0, 0, 0.05, 0.0, 1.0, 0, 0.1, 0, 0, 0]

    /// Full-intensity prototypes, in the action-feature order, for classes 0...6. Each sample moves
    /// from the neutral face towards its prototype by a random intensity, feature by feature with
    /// extra jitter, so weak expressions of every class look nearly neutral (as in RAF-DB).
    ///
    /// - Surprise: brows high, eyes wide, jaw dropped into a round O, no inner-brow raise.
    /// - Fear: also raised brows, wide eyes and an open mouth (its neighbour is Surprise), but the
    ///   inner brow ends rise and pull together, the upper lids slant, the lips are stretched wide
    ///   and opened less.
    /// - Disgust: lowered, knitted brows like Anger (its neighbour), but with a wrinkled nose, raised
    ///   upper lip showing teeth on one side, an asymmetric down-turned mouth and raised cheeks.
    /// - Happiness: corners lifted, often open with teeth, cheeks up narrowing the eyes.
    /// - Sadness: inner brow ends raised, drooping lids, slightly down-turned closed mouth; at low
    ///   intensity it is hard to tell from Neutral (its neighbour).
    /// - Anger: brows pulled down and together, glaring lids, lips pressed thin and narrow (a
    ///   minority shouts with an open mouth).
    /// - Neutral: the relaxed face, with the same feature jitter as the others.
    static let expressionPrototypes: [[Float]] = [
        // eyeO lowLid slant browH angle inner curve open width asym press ulr wrink cheek
        [1.50, 0.05, 0.15, 0.95, 0.00, 0.35, 0.00, 0.75, 0.90, 0.0, 0.05, 0.00, 0.00, 0.00], // Surprise
        [1.35, 0.20, 0.40, 0.70, 0.15, 0.75, -0.15, 0.50, 1.15, 0.0, 0.20, 0.05, 0.05, 0.00], // Fear
        [0.85, 0.45, -0.15, -0.50, 0.60, 0.00, -0.30, 0.15, 0.95, 0.45, 0.25, 0.60, 0.65, 0.35], // Disgust
        [0.70, 0.65, 0.00, 0.05, 0.00, 0.00, 1.00, 0.35, 1.30, 0.0, 0.00, 0.10, 0.15, 0.90], // Happiness
        [0.85, 0.15, 0.35, 0.05, -0.10, 0.50, -0.35, 0.03, 0.95, 0.0, 0.30, 0.00, 0.00, 0.00], // Sadness
        [1.05, 0.50, -0.35, -0.65, 0.85, -0.15, -0.20, 0.08, 0.85, 0.0, 0.70, 0.15, 0.30, 0.15], // Anger
        neutralActions, // Neutral
    ]

    /// Per-feature standard deviation added to every sample (person-to-person variation).
    static let actionSpread: [Float] = [0.19, 0.14, 0.21, 0.26, 0.2, 0.2, 0.2, 0.1, 0.13, 0.14, 0.2, 0.12, 0.12, 0.15]

    static let actionRange: [(Float, Float)] = [
        (0.3, 1.9), (0, 1), (-1, 1), (-1.3, 1.4), (-0.6, 1.3), (-0.5, 1.2), (-1, 1.3), (0, 1.1),
        (0.6, 1.5), (-1, 1), (0, 1), (0, 1), (0, 1), (0, 1),
    ]

    /// A random face showing expression `expression` (0 Surprise, 1 Fear, 2 Disgust, 3 Happiness,
    /// 4 Sadness, 5 Anger, 6 Neutral), varied as `variation` says. Identity, pose, lighting and
    /// camera are drawn the same way for every class; only the action features depend on it.
    public static func sample(expression: Int, variation: FaceVariation = .builtIn,
                              rng: inout SeededRandom) -> FaceParameters {
        precondition(expression >= 0 && expression < expressionPrototypes.count,
                     "expression \(expression) is outside 0..<\(expressionPrototypes.count)")
        var p = FaceParameters()
        p.sampleIdentity(variation, rng: &rng)
        p.sampleActions(expression: expression, variation, rng: &rng)
        return p
    }

    mutating func sampleActions(expression: Int, _ variation: FaceVariation, rng: inout SeededRandom) {
        var proto = Self.expressionPrototypes[expression]
        // Mixtures inside a class: not every surprised face drops the jaw, some angry faces shout,
        // some smiles are closed, some fearful faces keep the mouth nearly shut.
        let mix = rng.uniform()
        switch expression {
        case 0 where mix < 0.2: proto[7] = 0.3
        case 1 where mix < 0.3: proto[7] = 0.12
        case 3 where mix < 0.4: proto[7] = 0.03; proto[8] = 1.15
        case 5 where mix < 0.25: proto[7] = 0.55; proto[10] = 0.3; proto[11] = 0.5
        default: break
        }
        if expression == 2, rng.uniform() < 0.5 { proto[9] = -proto[9] }
        // Expression intensity: weak expressions drift towards neutral.
        let intensity = min(max(variation.intensityMean + variation.intensitySpread * rng.normal(), 0.1), 1.2)
        let base = Self.neutralActions
        let gains = variation.featureGain
        var f = base
        for i in 0..<f.count {
            let gain = intensity * (gains.lowerBound + (gains.upperBound - gains.lowerBound) * rng.uniform())
            // The mouth asymmetry's sign carries the class (Disgust), so it gets half the spread.
            let spread = variation.personSpread * Self.actionSpread[i] * (i == 9 ? 0.5 : 1)
            let v = base[i] + gain * (proto[i] - base[i]) + spread * rng.normal()
            let r = Self.actionRange[i]
            f[i] = min(max(v, r.0), r.1)
        }
        actionFeatures = f
        pupilX = min(max(0.35 * rng.normal(), -1), 1)
        pupilY = min(max(0.3 * rng.normal(), -1), 1)
    }

    /// Draws everything but the expression. Each group of factors is drawn over its full range
    /// scaled by the matching `variation` field around the range's middle; the number of random
    /// draws never changes, so the same seed gives the same person at every variation.
    mutating func sampleIdentity(_ variation: FaceVariation, rng: inout SeededRandom) {
        var nz = variation.identity
        func u(_ lo: Float, _ hi: Float) -> Float { (lo + hi) / 2 + nz * (hi - lo) * (rng.uniform() - 0.5) }
        func jitter(_ c: SIMD3<Float>, _ amount: Float) -> SIMD3<Float> {
            let j = SIMD3<Float>(u(-amount, amount), u(-amount, amount), u(-amount, amount))
            return simdClamp(c + j, 0, 1)
        }
        func pick(_ list: [SIMD3<Float>]) -> SIMD3<Float> {
            list[min(Int(rng.uniform() * Float(list.count)), list.count - 1)]
        }
        faceHalfWidth = u(0.49, 0.6)
        faceHalfHeight = u(0.66, 0.77)
        jawTaper = u(0.05, 0.35)
        // Skin: a continuum from light to dark, then a small tint.
        let t = u(0, 1)
        let light = SIMD3<Float>(0.97, 0.82, 0.72), mid = SIMD3<Float>(0.78, 0.57, 0.43)
        let dark = SIMD3<Float>(0.38, 0.25, 0.18)
        skinColor = jitter(t < 0.55 ? mix(light, mid, t / 0.55) : mix(mid, dark, (t - 0.55) / 0.45), 0.03)
        blush = u(0, 1)
        lineDepth = u(0, 0.5)
        let style = u(0, 1)
        hairStyle = style < 0.12 ? .none : style < 0.47 ? .short : style < 0.72 ? .medium : .long
        hairColor = jitter(pick([[0.07, 0.06, 0.06], [0.2, 0.13, 0.08], [0.4, 0.26, 0.15],
                                 [0.78, 0.64, 0.4], [0.55, 0.24, 0.11], [0.62, 0.61, 0.6]]), 0.04)
        hairlineHeight = u(-0.5, -0.38)
        hairPart = u(-1, 1)
        hairVolume = u(0.02, 0.09)
        hasGlasses = rng.uniform() < 0.2 * nz
        glassesColor = jitter(pick([[0.08, 0.08, 0.08], [0.35, 0.2, 0.1], [0.7, 0.7, 0.72], [0.5, 0.1, 0.12]]), 0.05)
        glassesRoundness = u(0, 1)
        glassesSize = u(0.9, 1.12)
        eyeSpacing = u(0.19, 0.235)
        eyeLevel = u(-0.12, -0.04)
        eyeSize = u(0.85, 1.15)
        irisColor = jitter(pick([[0.22, 0.13, 0.07], [0.38, 0.23, 0.11], [0.42, 0.38, 0.2],
                                 [0.3, 0.45, 0.65], [0.3, 0.45, 0.3], [0.45, 0.5, 0.55]]), 0.04)
        browThickness = u(0.018, 0.034)
        browArch = u(0.0, 0.03)
        browColor = hairStyle == .none
            ? jitter([0.15, 0.1, 0.07], 0.06)
            : simdClamp(hairColor * u(0.55, 0.9), 0, 1)
        noseLength = u(0.1, 0.17)
        noseWidth = u(0.038, 0.055)
        mouthLevel = noseLength + u(0.17, 0.23)
        lipThickness = u(0.018, 0.034)
        lipColor = simdClamp(mix(skinColor, SIMD3<Float>(0.72, 0.3, 0.3), u(0.3, 0.7)) * u(0.8, 0.95), 0, 1)
        clothesColor = SIMD3<Float>(u(0.05, 0.9), u(0.05, 0.9), u(0.05, 0.9))

        nz = variation.pose
        yaw = min(max(nz * 0.33 * rng.normal(), -0.8), 0.8)
        roll = min(max(nz * 0.09 * rng.normal(), -0.25), 0.25)
        // Tight crops like RAF-DB's aligned faces: brows to chin fill the frame.
        scale = u(1.45, 1.7)
        offsetX = min(max(nz * 0.04 * rng.normal(), -0.1), 0.1)
        offsetY = min(max(nz * 0.04 * rng.normal(), -0.1), 0.1)
        nz = variation.lighting
        lightAngle = u(0, 2 * Float.pi)
        lightStrength = u(0.05, 0.45)
        lightGradient = u(0, 0.25)
        exposure = u(0.78, 1.15)
        colorCast = SIMD3<Float>(u(0.92, 1.08), u(0.95, 1.05), u(0.92, 1.08))
        nz = variation.background
        let bg = SIMD3<Float>(u(0.1, 0.95), u(0.1, 0.95), u(0.1, 0.95))
        backgroundTop = simdClamp(mix(bg, SIMD3<Float>(repeating: (bg.x + bg.y + bg.z) / 3), u(0, 0.8)), 0, 1)
        backgroundBottom = simdClamp(backgroundTop * u(0.55, 1.15) + SIMD3<Float>(u(-0.08, 0.08), u(-0.08, 0.08), u(-0.08, 0.08)), 0, 1)
        nz = variation.lighting
        noiseLevel = u(0.004, 0.05)
        blur = rng.uniform() < 0.35 * nz ? u(0.2, 1) : 0
    }
}

// MARK: - Dataset helpers

/// The built-in synthetic imbalanced facial-expression dataset: class names and proportions,
/// label sampling and image generation.
public enum SyntheticFaces {
    public static let classNames = ["Surprise", "Fear", "Disgust", "Happiness", "Sadness", "Anger", "Neutral"]
    /// RAF-DB basic-expression training-set counts, in `classNames` order.
    public static let rafdbTrainCounts = [1290, 281, 717, 4772, 1982, 705, 2524]
    public static let defaultImageSize = 112

    /// Class proportions: RAF-DB's training proportions when `imbalance` is nil; otherwise
    /// `p_c ∝ n_c^α` with `α = ln R / ln(max n / min n)`, which keeps RAF-DB's frequency order and
    /// makes the largest/smallest ratio exactly `R` (R = 1 is uniform; values below 1 count as 1).
    public static func proportions(imbalance: Float?) -> [Double] {
        let n = rafdbTrainCounts.map(Double.init)
        var alpha = 1.0
        if let r = imbalance {
            let natural = n.max()! / n.min()!
            let ratio = r.isFinite ? max(Double(r), 1) : natural
            alpha = log(ratio) / log(natural)
        }
        let w = n.map { pow($0, alpha) }
        let s = w.reduce(0, +)
        return w.map { $0 / s }
    }

    /// Per-class image counts summing to `total`, by largest-remainder rounding of
    /// `total * proportions(imbalance:)`, every class getting at least one image. With fewer images
    /// than classes, the most frequent classes get one each.
    public static func classCounts(total: Int, imbalance: Float? = nil) -> [Int] {
        let p = proportions(imbalance: imbalance)
        let k = p.count
        var counts = [Int](repeating: 0, count: k)
        guard total > 0 else { return counts }
        let byFrequency = (0..<k).sorted { p[$0] != p[$1] ? p[$0] > p[$1] : $0 < $1 }
        if total < k {
            for i in byFrequency.prefix(total) { counts[i] = 1 }
            return counts
        }
        let quota = p.map { Double(total) * $0 }
        counts = quota.map { max(1, Int($0.rounded(.down))) }
        var diff = total - counts.reduce(0, +)
        if diff > 0 {
            let order = (0..<k).sorted {
                let ra = quota[$0] - Double(counts[$0]), rb = quota[$1] - Double(counts[$1])
                return ra != rb ? ra > rb : $0 < $1
            }
            var j = 0
            while diff > 0 { counts[order[j % k]] += 1; diff -= 1; j += 1 }
        }
        while diff < 0 {
            // Take from the class most over its quota that can spare one.
            var best = -1
            for i in 0..<k where counts[i] > 1 {
                if best < 0 || Double(counts[i]) - quota[i] > Double(counts[best]) - quota[best] { best = i }
            }
            counts[best] -= 1
            diff += 1
        }
        return counts
    }

    /// `counts[c]` copies of each label `c`, shuffled by a Fisher-Yates pass driven by `rng`
    /// (deterministic for a given generator state, independent of the standard library's shuffle).
    public static func sampleLabels(counts: [Int], rng: inout SeededRandom) -> [Int] {
        var labels: [Int] = []
        labels.reserveCapacity(counts.reduce(0) { $0 + max($1, 0) })
        for (c, n) in counts.enumerated() where n > 0 { labels += [Int](repeating: c, count: n) }
        var i = labels.count - 1
        while i > 0 {
            let j = Int(rng.next() % UInt64(i + 1))
            labels.swapAt(i, j)
            i -= 1
        }
        return labels
    }

    /// Same as `FaceParameters.sample(expression:variation:rng:)`.
    public static func sample(expression: Int, variation: FaceVariation = .builtIn, rng: inout SeededRandom) -> FaceParameters {
        FaceParameters.sample(expression: expression, variation: variation, rng: &rng)
    }

    /// One image of class `label`: parameters sampled, then rendered, both from `rng`.
    public static func image(label: Int, variation: FaceVariation = .builtIn, size: Int = defaultImageSize,
                             rng: inout SeededRandom) -> RGBImage {
        let p = FaceParameters.sample(expression: label, variation: variation, rng: &rng)
        return render(p, size: size, rng: &rng)
    }

    /// Draws `p` as a `size` x `size` RGB image. Shapes are signed-distance fields evaluated at pixel
    /// centres with one-pixel anti-aliasing; the only randomness is the pixel noise, seeded from one
    /// draw of `rng`.
    public static func render(_ p: FaceParameters, size: Int = defaultImageSize, rng: inout SeededRandom) -> RGBImage {
        let noiseSeed = rng.next()
        let n = max(size, 8)
        var canvas = Canvas(size: n, p: p)
        FaceRenderer(p: p).draw(on: &canvas)
        return canvas.finish(p: p, noiseSeed: noiseSeed)
    }
}

// MARK: - Rasterizer

@inline(__always) private func mix(_ a: SIMD3<Float>, _ b: SIMD3<Float>, _ t: Float) -> SIMD3<Float> { a + (b - a) * t }
@inline(__always) private func simdClamp(_ v: SIMD3<Float>, _ lo: Float, _ hi: Float) -> SIMD3<Float> {
    v.clamped(lowerBound: SIMD3(repeating: lo), upperBound: SIMD3(repeating: hi))
}
@inline(__always) private func clamp01(_ x: Float) -> Float { min(max(x, 0), 1) }
@inline(__always) private func length(_ v: SIMD2<Float>) -> Float { (v * v).sum().squareRoot() }

/// Approximate signed distance to an axis-aligned ellipse centred at the origin.
@inline(__always) private func sdEllipse(_ p: SIMD2<Float>, _ r: SIMD2<Float>) -> Float {
    let q0 = p / r, q1 = p / (r * r)
    let k0 = length(q0), k1 = length(q1)
    if k1 < 1e-12 { return -min(r.x, r.y) }
    return k0 * (k0 - 1) / k1
}

/// Signed distance to a rounded box centred at the origin, half-extents `h`, corner radius `rad`.
@inline(__always) private func sdRoundBox(_ p: SIMD2<Float>, _ h: SIMD2<Float>, _ rad: Float) -> Float {
    let q = SIMD2<Float>(abs(p.x), abs(p.y)) - h + SIMD2(repeating: rad)
    let outside = length(simd_max2(q, .zero))
    return outside + min(max(q.x, q.y), 0) - rad
}

@inline(__always) private func simd_max2(_ a: SIMD2<Float>, _ b: SIMD2<Float>) -> SIMD2<Float> {
    SIMD2(max(a.x, b.x), max(a.y, b.y))
}

/// Points along a quadratic Bezier curve.
private func bezier(_ a: SIMD2<Float>, _ c: SIMD2<Float>, _ b: SIMD2<Float>, _ n: Int) -> [SIMD2<Float>] {
    (0...n).map { i in
        let t = Float(i) / Float(n), s = 1 - t
        return a * (s * s) + c * (2 * s * t) + b * (t * t)
    }
}

private struct Paint {
    var d: Float
    var color: SIMD3<Float>
    var alpha: Float
    @inline(__always) init(_ d: Float, _ color: SIMD3<Float>, _ alpha: Float = 1) {
        self.d = d; self.color = color; self.alpha = alpha
    }
}

/// A float RGB buffer and the similarity transform from face units to pixels.
private struct Canvas {
    let size: Int
    var rgb: [Float]
    let ppu: Float
    let cosR: Float, sinR: Float
    let ox: Float, oy: Float

    init(size: Int, p: FaceParameters) {
        self.size = size
        rgb = [Float](repeating: 0, count: size * size * 3)
        let half = Float(size) / 2
        ppu = half * max(p.scale, 0.05)
        cosR = cos(p.roll); sinR = sin(p.roll)
        ox = half * (1 + p.offsetX)
        // The point between the eyes and the mouth (0.2 face units below the centre) sits at the
        // image centre, moved by the offset.
        oy = half * (1 + p.offsetY) - 0.2 * ppu
    }

    @inline(__always) func toPixel(_ q: SIMD2<Float>) -> SIMD2<Float> {
        SIMD2(ox + ppu * (cosR * q.x - sinR * q.y), oy + ppu * (sinR * q.x + cosR * q.y))
    }

    /// The pixel rectangle covering the face-space box [lo, hi], with a one-pixel margin.
    func pixelBox(_ lo: SIMD2<Float>, _ hi: SIMD2<Float>) -> (Int, Int, Int, Int)? {
        let corners = [toPixel(lo), toPixel(hi), toPixel(SIMD2(lo.x, hi.y)), toPixel(SIMD2(hi.x, lo.y))]
        var mn = corners[0], mx = corners[0]
        for c in corners { mn = simd_min2(mn, c); mx = simd_max2(mx, c) }
        let x0 = max(Int((mn.x - 1.5).rounded(.down)), 0), y0 = max(Int((mn.y - 1.5).rounded(.down)), 0)
        let x1 = min(Int((mx.x + 1.5).rounded(.up)), size - 1), y1 = min(Int((mx.y + 1.5).rounded(.up)), size - 1)
        guard x0 <= x1, y0 <= y1 else { return nil }
        return (x0, y0, x1, y1)
    }

    /// Composites `shader` over the box: coverage = clamp(0.5 - distance in pixels) * alpha.
    mutating func paint(_ lo: SIMD2<Float>, _ hi: SIMD2<Float>, _ shader: (SIMD2<Float>) -> Paint) {
        guard let (x0, y0, x1, y1) = pixelBox(lo, hi) else { return }
        let ox = self.ox, oy = self.oy, c = cosR, s = sinR, ppu = self.ppu, inv = 1 / self.ppu, n = size
        rgb.withUnsafeMutableBufferPointer { buf in
            for y in y0...y1 {
                let dy = Float(y) + 0.5 - oy
                for x in x0...x1 {
                    let dx = Float(x) + 0.5 - ox
                    let q = SIMD2<Float>((c * dx + s * dy) * inv, (c * dy - s * dx) * inv)
                    let sp = shader(q)
                    let cov = min(max(0.5 - sp.d * ppu, 0), 1) * sp.alpha
                    if cov <= 0 { continue }
                    let i = (y * n + x) * 3
                    buf[i] += (sp.color.x - buf[i]) * cov
                    buf[i + 1] += (sp.color.y - buf[i + 1]) * cov
                    buf[i + 2] += (sp.color.z - buf[i + 2]) * cov
                }
            }
        }
    }

    /// Multiplies the pixels of the box by `factor(q)`.
    mutating func modulate(_ lo: SIMD2<Float>, _ hi: SIMD2<Float>, _ factor: (SIMD2<Float>) -> Float) {
        guard let (x0, y0, x1, y1) = pixelBox(lo, hi) else { return }
        let ox = self.ox, oy = self.oy, c = cosR, s = sinR, inv = 1 / self.ppu, n = size
        rgb.withUnsafeMutableBufferPointer { buf in
            for y in y0...y1 {
                let dy = Float(y) + 0.5 - oy
                for x in x0...x1 {
                    let dx = Float(x) + 0.5 - ox
                    let f = factor(SIMD2<Float>((c * dx + s * dy) * inv, (c * dy - s * dx) * inv))
                    let i = (y * n + x) * 3
                    buf[i] *= f; buf[i + 1] *= f; buf[i + 2] *= f
                }
            }
        }
    }

    /// A polyline of variable half-width (face units), round-capped.
    mutating func stroke(_ pts: [SIMD2<Float>], halfWidth: (Float) -> Float, color: SIMD3<Float>, alpha: Float) {
        guard alpha > 0.004, pts.count >= 2 else { return }
        let widths = (0..<pts.count).map { halfWidth(Float($0) / Float(pts.count - 1)) }
        var lo = pts[0], hi = pts[0]
        for q in pts { lo = simd_min2(lo, q); hi = simd_max2(hi, q) }
        let m = SIMD2<Float>(repeating: (widths.max() ?? 0) + 1 / ppu)
        paint(lo - m, hi + m) { q in
            var best = Float.infinity
            for i in 0..<(pts.count - 1) {
                let a = pts[i], ba = pts[i + 1] - a, pa = q - a
                let h = min(max((pa * ba).sum() / max((ba * ba).sum(), 1e-12), 0), 1)
                let d = length(pa - ba * h) - (widths[i] + (widths[i + 1] - widths[i]) * h)
                best = min(best, d)
            }
            return Paint(best, color, alpha)
        }
    }

    /// Light gradient, white balance, blur, noise, and quantisation to 8 bits.
    func finish(p: FaceParameters, noiseSeed: UInt64) -> RGBImage {
        let n = size
        var src = rgb
        if p.blur > 0 {
            var out = src
            let b = min(max(p.blur, 0), 1)
            src.withUnsafeBufferPointer { s in
                out.withUnsafeMutableBufferPointer { o in
                    for y in 0..<n {
                        let ym = max(y - 1, 0), yp = min(y + 1, n - 1)
                        for x in 0..<n {
                            let xm = max(x - 1, 0), xp = min(x + 1, n - 1)
                            for ch in 0..<3 {
                                @inline(__always) func v(_ yy: Int, _ xx: Int) -> Float { s[(yy * n + xx) * 3 + ch] }
                                let sum = v(ym, xm) + 2 * v(ym, x) + v(ym, xp)
                                    + 2 * v(y, xm) + 4 * v(y, x) + 2 * v(y, xp)
                                    + v(yp, xm) + 2 * v(yp, x) + v(yp, xp)
                                let i = (y * n + x) * 3 + ch
                                o[i] = s[i] + (sum * (1 / 16) - s[i]) * b
                            }
                        }
                    }
                }
            }
            src = out
        }
        var pixels = [UInt8](repeating: 0, count: n * n * 3)
        let lx = cos(p.lightAngle), ly = sin(p.lightAngle)
        let sigma = max(p.noiseLevel, 0) * 255 * 1.7320508 // Irwin-Hall(4) has variance 1/3
        let cast = p.colorCast * (255 * p.exposure)
        var state = noiseSeed
        src.withUnsafeBufferPointer { s in
            pixels.withUnsafeMutableBufferPointer { out in
                for y in 0..<n {
                    let v = (Float(y) + 0.5) / Float(n) * 2 - 1
                    for x in 0..<n {
                        let u = (Float(x) + 0.5) / Float(n) * 2 - 1
                        let g = max(1 + p.lightGradient * (lx * u + ly * v), 0)
                        let i = (y * n + x) * 3
                        for ch in 0..<3 {
                            // SplitMix64; four 16-bit uniforms summed approximate a Gaussian.
                            state &+= 0x9E37_79B9_7F4A_7C15
                            var z = state
                            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
                            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
                            z ^= z >> 31
                            let sum = Float(z & 0xFFFF) + Float((z >> 16) & 0xFFFF) + Float((z >> 32) & 0xFFFF) + Float(z >> 48)
                            let gauss = sum * (1 / 65536) - 2
                            let value = s[i + ch] * g * cast[ch] + gauss * sigma
                            out[i + ch] = UInt8(min(max(value.rounded(), 0), 255))
                        }
                    }
                }
            }
        }
        return RGBImage(width: n, height: n, pixels: pixels)
    }
}

@inline(__always) private func simd_min2(_ a: SIMD2<Float>, _ b: SIMD2<Float>) -> SIMD2<Float> {
    SIMD2(min(a.x, b.x), min(a.y, b.y))
}

/// Lays out and draws the parts of one face, back to front.
private struct FaceRenderer {
    let p: FaceParameters
    var a: Float { p.faceHalfWidth }
    var b: Float { p.faceHalfHeight }
    /// Sideways shift of eyes and mouth, and of the (nearer) nose, for the yaw-like turn.
    var shift: Float { p.yaw * 0.1 }
    var noseShift: Float { p.yaw * 0.16 }

    func draw(on c: inout Canvas) {
        background(&c)
        body(&c)
        if p.hairStyle == .long { hairBack(&c) }
        ears(&c)
        face(&c)
        cheeks(&c)
        folds(&c)
        nose(&c)
        for s: Float in [-1, 1] { eye(&c, side: s) }
        for s: Float in [-1, 1] { brow(&c, side: s) }
        mouth(&c)
        shading(&c)
        if p.hairStyle != .none { hairTop(&c) }
        if p.hasGlasses { glasses(&c) }
    }

    func background(_ c: inout Canvas) {
        let n = c.size, top = p.backgroundTop, bottom = p.backgroundBottom
        c.rgb.withUnsafeMutableBufferPointer { buf in
            for y in 0..<n {
                for x in 0..<n {
                    let t = (Float(y) + 0.3 * Float(x)) / (1.3 * Float(n))
                    let col = mix(top, bottom, t)
                    let i = (y * n + x) * 3
                    buf[i] = col.x; buf[i + 1] = col.y; buf[i + 2] = col.z
                }
            }
        }
    }

    func faceDistance(_ q: SIMD2<Float>) -> Float {
        let t = max(q.y, 0) / b
        let f = 1 - p.jawTaper * t * t
        return sdEllipse(SIMD2(q.x / f, q.y), SIMD2(a, b))
    }

    func body(_ c: inout Canvas) {
        let neckColor = p.skinColor * 0.78
        let neckTop = b * 0.3, neckHalf = a * 0.42
        c.paint(SIMD2(-neckHalf, neckTop), SIMD2(neckHalf, 2)) { q in
            Paint(sdRoundBox(q - SIMD2(0, neckTop + 0.6), SIMD2(neckHalf, 0.6), 0.02), neckColor)
        }
        let center = SIMD2<Float>(0, b + 0.48), radii = SIMD2<Float>(a * 1.8, 0.34)
        let clothes = p.clothesColor
        c.paint(center - radii, center + radii) { q in
            Paint(sdEllipse(q - center, radii), clothes)
        }
    }

    func hairBack(_ c: inout Canvas) {
        let h = SIMD2<Float>(a * 1.18 + p.hairVolume, b * 0.95 + 0.1)
        let center = SIMD2<Float>(0, 0.12)
        let color = p.hairColor * 0.85
        c.paint(center - h, center + h) { q in
            Paint(sdRoundBox(q - center, h, a * 0.9), color)
        }
    }

    func ears(_ c: inout Canvas) {
        let color = p.skinColor * 0.9
        for s: Float in [-1, 1] {
            // The far ear (on the side the face turns to) hides behind the head.
            let center = SIMD2<Float>(s * (a - 0.02) - p.yaw * 0.06, p.eyeLevel + 0.08)
            let radii = SIMD2<Float>(0.07 * max(1 - 0.8 * p.yaw * s, 0.2), 0.12)
            c.paint(center - radii, center + radii) { q in Paint(sdEllipse(q - center, radii), color) }
        }
    }

    func face(_ c: inout Canvas) {
        let color = p.skinColor
        let lo = SIMD2<Float>(-a, -b), hi = SIMD2<Float>(a, b)
        c.paint(lo, hi) { q in Paint(self.faceDistance(q), color) }
    }

    /// Soft blush on the cheek apples, higher when the cheeks are raised.
    func cheeks(_ c: inout Canvas) {
        let blushColor = simdClamp(mix(p.skinColor, SIMD3<Float>(0.85, 0.35, 0.35), 0.6), 0, 1)
        let strength = 0.1 + 0.2 * p.blush + 0.25 * p.cheekRaise
        let highlight = simdClamp(p.skinColor * 1.12, 0, 1)
        for s: Float in [-1, 1] {
            let center = SIMD2<Float>(s * (p.eyeSpacing + 0.06) + shift, p.eyeLevel + 0.21 - 0.06 * p.cheekRaise)
            let radii = SIMD2<Float>(0.11, 0.075 + 0.02 * p.cheekRaise)
            c.paint(center - radii, center + radii) { q in
                let r = (q - center) / radii
                let w = max(1 - (r * r).sum(), 0)
                return Paint(-1, blushColor, strength * w * w)
            }
            // The raised cheek catches light just below the eye.
            let hc = center + SIMD2(0, -0.035), hr = radii * 0.6
            let hs = 0.35 * p.cheekRaise
            c.paint(hc - hr, hc + hr) { q in
                let r = (q - hc) / hr
                let w = max(1 - (r * r).sum(), 0)
                return Paint(-1, highlight, hs * w)
            }
        }
    }

    var lineColor: SIMD3<Float> { p.skinColor * 0.62 }

    /// Forehead wrinkles (raised brows), furrows between the brows (knitted brows), nasolabial folds
    /// (smile, disgust, age) and nose-bridge wrinkles (disgust).
    func folds(_ c: inout Canvas) {
        let ey = p.eyeLevel
        let browBase = ey - 0.12
        let lift = max(p.browHeight - 0.3, 0) * 0.9 + max(p.browInnerRaise - 0.3, 0) * 0.8
        let forehead = min(lift, 0.75)
        for k in 0..<3 {
            let y = browBase - 0.075 - 0.04 * Float(k) - 0.04 * max(p.browHeight, 0)
            let halfW: Float = p.browInnerRaise > p.browHeight ? 0.12 : 0.2
            let pts = bezier(SIMD2(-halfW + shift, y), SIMD2(shift, y - 0.02 * p.browInnerRaise), SIMD2(halfW + shift, y), 8)
            c.stroke(pts, halfWidth: { t in 0.007 * (1 - abs(2 * t - 1) * 0.6) }, color: lineColor, alpha: forehead)
        }
        let furrow = clamp01((p.browAngle - 0.3) * 1.3)
        for s: Float in [-1, 1] {
            let x = s * 0.028 + shift
            let pts = bezier(SIMD2(x, browBase + 0.01), SIMD2(x + s * 0.006, browBase + 0.04), SIMD2(x, browBase + 0.075), 4)
            c.stroke(pts, halfWidth: { _ in 0.006 }, color: lineColor, alpha: furrow)
        }
        let nasolabial = clamp01(0.3 * p.lineDepth + 0.7 * p.cheekRaise + 0.45 * p.noseWrinkle + 0.2 * max(p.mouthCurvature, 0))
        let corner = mouthCorner()
        for s: Float in [-1, 1] {
            let start = SIMD2<Float>(s * (p.noseWidth + 0.035) + noseShift, p.noseLength - 0.01)
            let end = SIMD2<Float>(s * (corner.x + 0.035) + shift, corner.y(s) + 0.02)
            let ctrl = SIMD2<Float>(s * max(corner.x + 0.05, p.noseWidth + 0.08) + shift, (start.y + end.y) / 2 - 0.02)
            c.stroke(bezier(start, ctrl, end, 8), halfWidth: { t in 0.008 * (1 - 0.6 * t) }, color: lineColor, alpha: nasolabial)
        }
        let wrinkle = clamp01(p.noseWrinkle * 0.9)
        for k in 0..<3 {
            let y = ey + 0.02 + 0.03 * Float(k)
            let x = noseShift * (0.5 + 0.15 * Float(k))
            let pts = bezier(SIMD2(x - 0.035, y), SIMD2(x, y - 0.015), SIMD2(x + 0.035, y), 6)
            c.stroke(pts, halfWidth: { _ in 0.006 }, color: lineColor, alpha: wrinkle)
        }
    }

    func nose(_ c: inout Canvas) {
        let tip = SIMD2<Float>(noseShift, p.noseLength)
        let dark = p.skinColor * 0.55
        // Bridge shadow on the side away from the light.
        let side: Float = cos(p.lightAngle) >= 0 ? -1 : 1
        let bridge = bezier(SIMD2(noseShift * 0.55 + side * 0.03, p.eyeLevel + 0.02),
                            SIMD2(noseShift * 0.8 + side * 0.04, (p.eyeLevel + tip.y) / 2),
                            SIMD2(tip.x + side * 0.045, tip.y - 0.03), 6)
        c.stroke(bridge, halfWidth: { _ in 0.008 }, color: p.skinColor * 0.75, alpha: 0.35)
        let shadowC = tip + SIMD2(0, 0.018), shadowR = SIMD2<Float>(p.noseWidth * 1.3, 0.028)
        let shadowColor = p.skinColor * 0.72
        c.paint(shadowC - shadowR, shadowC + shadowR) { q in
            let r = (q - shadowC) / shadowR
            return Paint(-1, shadowColor, 0.5 * max(1 - (r * r).sum(), 0))
        }
        let flare = 1 + 0.5 * p.noseWrinkle
        for s: Float in [-1, 1] {
            let center = tip + SIMD2(s * p.noseWidth * 0.62, 0.012 - 0.01 * p.noseWrinkle)
            let radii = SIMD2<Float>(0.018 * flare, 0.01 * flare)
            c.paint(center - radii, center + radii) { q in Paint(sdEllipse(q - center, radii), dark, 0.85) }
        }
    }

    func eye(_ c: inout Canvas, side s: Float) {
        let ex = s * p.eyeSpacing + shift, ey = p.eyeLevel
        let ew = 0.1 * p.eyeSize * max(1 - 0.22 * p.yaw * s, 0.5)
        let up = 0.05 * p.eyeSize * p.eyeOpening
        let low = 0.035 * p.eyeSize * (1 - 0.65 * p.lowerLidRaise)
        let slant = p.lidSlant
        // u runs from the inner corner (-1) to the outer one (+1).
        func top(_ u: Float) -> Float {
            let w = max(1 - u * u, 0)
            return ey - up * w.squareRoot() * (1 - 0.45 * slant * u) - 0.008 * (1 - abs(u))
        }
        func bottom(_ u: Float) -> Float { ey + low * max(1 - u * u, 0).squareRoot() }
        let ppu = c.ppu
        let iris = SIMD2<Float>(ex + p.pupilX * ew * 0.38, ey - 0.006 + p.pupilY * 0.012)
        let ir = 0.037 * p.eyeSize
        let white = SIMD3<Float>(0.93, 0.92, 0.9), irisColor = p.irisColor
        let pupilColor = SIMD3<Float>(0.03, 0.03, 0.03)
        let glint = iris + SIMD2(-0.012, -0.012) * p.eyeSize
        c.paint(SIMD2(ex - ew, ey - up * 1.6 - 0.01), SIMD2(ex + ew, ey + low + 0.01)) { q in
            let u = (q.x - ex) / ew * s
            let d = max(max(top(u) - q.y, q.y - bottom(u)), (abs(u) - 1) * ew)
            let di = length(q - iris)
            let ci = clamp01(0.5 - (di - ir) * ppu)
            let cp = clamp01(0.5 - (di - ir * 0.45) * ppu)
            let cg = clamp01(0.5 - (length(q - glint) - ir * 0.25) * ppu)
            var col = mix(white, irisColor, ci)
            col = mix(col, pupilColor, cp)
            col = mix(col, white, cg * 0.9)
            return Paint(d, col, 1)
        }
        let lid = (0...10).map { i -> SIMD2<Float> in
            let u = Float(i) / 5 - 1
            return SIMD2(ex + s * u * ew, top(u))
        }
        c.stroke(lid, halfWidth: { t in 0.006 + 0.01 * (1 - abs(2 * t - 1)) + 0.004 * t }, color: SIMD3(0.1, 0.07, 0.06), alpha: 0.92)
        let lower = (0...8).map { i -> SIMD2<Float> in
            let u = Float(i) / 4 - 1
            return SIMD2(ex + s * u * ew, bottom(u))
        }
        c.stroke(lower, halfWidth: { _ in 0.005 }, color: p.skinColor * 0.5, alpha: 0.5)
        // Lid crease above, and the bulge under a raised lower lid.
        let crease = (0...8).map { i -> SIMD2<Float> in
            let u = Float(i) / 4 * 0.9 - 0.8
            return SIMD2(ex + s * u * ew, top(u) - 0.03 - 0.01 * p.eyeSize)
        }
        c.stroke(crease, halfWidth: { _ in 0.005 }, color: lineColor, alpha: 0.3)
        let bag = (0...6).map { i -> SIMD2<Float> in
            let u = Float(i) / 3 * 0.8 - 0.8
            return SIMD2(ex + s * u * ew, bottom(u) + 0.022)
        }
        c.stroke(bag, halfWidth: { _ in 0.005 }, color: lineColor, alpha: 0.1 + 0.5 * p.lowerLidRaise)
    }

    func brow(_ c: inout Canvas, side s: Float) {
        let ew = 0.1 * p.eyeSize
        let base = p.eyeLevel - 0.115
        let raise = p.browHeight * 0.055
        let innerX = s * (p.eyeSpacing - ew * 0.85 + 0.012 * max(-p.browAngle, 0) - 0.015 * max(p.browAngle, 0)) + shift
        let outerX = s * (p.eyeSpacing + ew * 1.25) + shift
        let innerY = base - raise + 0.045 * p.browAngle - 0.05 * p.browInnerRaise
        let outerY = base + 0.01 - raise * 0.85 - 0.022 * p.browAngle + 0.012 * p.browInnerRaise
        let midX = s * (p.eyeSpacing + ew * 0.15) + shift
        let midY = (innerY + outerY) / 2 - p.browArch - 0.012 - 0.01 * max(p.browHeight, 0) + 0.01 * p.browInnerRaise
        let pts = bezier(SIMD2(innerX, innerY), SIMD2(midX, midY), SIMD2(outerX, outerY), 8)
        let th = p.browThickness
        c.stroke(pts, halfWidth: { t in th * (1 - 0.55 * t * t) }, color: p.browColor, alpha: 0.95)
    }

    /// Mouth-corner geometry shared by the mouth and the folds.
    func mouthCorner() -> (x: Float, y: (Float) -> Float) {
        let mw = 0.145 * p.mouthWidth
        let my = p.mouthLevel, curve = p.mouthCurvature * 0.065, asym = p.mouthAsymmetry * 0.04
        return (mw, { s in my - curve - (s > 0 ? asym : 0) })
    }

    func mouth(_ c: inout Canvas) {
        let mx = shift, my = p.mouthLevel
        let mw = 0.145 * p.mouthWidth
        let curve = p.mouthCurvature * 0.065, asym = p.mouthAsymmetry * 0.04
        let open = p.mouthOpening
        let press = p.lipPress
        let raiseSide: Float = p.mouthAsymmetry >= 0 ? 1 : -1
        // Midline: corners up for a smile; one corner up for an asymmetric mouth.
        func mid(_ t: Float) -> Float {
            let t2 = t * t
            return my - curve * t2 - asym * t2 * (1 + t) / 2 + 0.01 * p.mouthCurvature * (1 - t2)
        }
        func openUp(_ t: Float) -> Float {
            let w = max(1 - t * t, 0)
            return open * 0.05 * w.squareRoot() + p.upperLipRaise * 0.022 * w * (1 + 0.6 * raiseSide * t)
        }
        func openDown(_ t: Float) -> Float { open * 0.14 * max(1 - t * t, 0).squareRoot() }
        let lipUp = p.lipThickness * (1 - 0.75 * press), lipDown = p.lipThickness * 1.3 * (1 - 0.7 * press)
        func outerTop(_ t: Float) -> Float { mid(t) - openUp(t) - lipUp * max(1 - t * t, 0).squareRoot() * (1 - 0.25 * abs(t)) }
        func outerBottom(_ t: Float) -> Float { mid(t) + openDown(t) + lipDown * max(1 - t * t, 0).squareRoot() }
        let lip = p.lipColor
        let inside = SIMD3<Float>(0.28, 0.07, 0.08), teeth = SIMD3<Float>(0.95, 0.93, 0.88)
        let tongue = SIMD3<Float>(0.72, 0.32, 0.34)
        let ppu = c.ppu
        let showTeeth = open > 0.1 || p.upperLipRaise > 0.35
        let span = 0.2 + open * 0.16
        c.paint(SIMD2(mx - mw - 0.01, my - span), SIMD2(mx + mw + 0.01, my + span)) { q in
            let t = (q.x - mx) / mw
            let at = abs(t)
            let edge = (at - 1) * mw
            let d = max(max(outerTop(t) - q.y, q.y - outerBottom(t)), edge)
            let holeTop = mid(t) - openUp(t), holeBottom = mid(t) + openDown(t)
            let dh = max(max(holeTop - q.y, q.y - holeBottom), (at - 0.97) * mw)
            let ch = clamp01(0.5 - dh * ppu)
            var col = lip
            if ch > 0 {
                var innerColor = inside
                if showTeeth {
                    let teethH = min((holeBottom - holeTop) * 0.5, 0.03)
                    let ct = clamp01(0.5 - (q.y - (holeTop + teethH)) * ppu) * clamp01(0.5 - (at - 0.8) * mw * ppu)
                    innerColor = mix(innerColor, teeth, ct)
                }
                let tc = clamp01(0.5 - (holeBottom - 0.025 - q.y) * ppu) * clamp01(0.5 - (at - 0.5) * mw * ppu)
                innerColor = mix(innerColor, tongue, tc * clamp01(open * 2 - 0.6))
                col = mix(col, innerColor, ch)
            }
            return Paint(d, col, 1)
        }
        let line = (0...12).map { i -> SIMD2<Float> in
            let t = Float(i) / 6 - 1
            return SIMD2(mx + t * mw * 1.02, mid(t))
        }
        let lineAlpha = clamp01(1 - open * 6) * (0.7 + 0.3 * press)
        c.stroke(line, halfWidth: { t in (0.005 + 0.004 * press) * (1 - 0.3 * abs(2 * t - 1)) }, color: lip * 0.35, alpha: lineAlpha)
    }

    /// Lambert shading of the head as an ellipsoid, from the key light.
    func shading(_ c: inout Canvas) {
        let strength = p.lightStrength
        guard strength > 0 else { return }
        var l = SIMD3<Float>(cos(p.lightAngle) * 0.75, sin(p.lightAngle) * 0.75, 0.66)
        l /= (l * l).sum().squareRoot()
        let a = self.a, b = self.b, ppu = c.ppu
        c.modulate(SIMD2(-a, -b), SIMD2(a, b)) { q in
            let cov = clamp01(0.5 - self.faceDistance(q) * ppu)
            if cov <= 0 { return 1 }
            let nx = q.x / a, ny = q.y / b
            let nz = max(1 - nx * nx - ny * ny, 0).squareRoot()
            let lam = max(nx * l.x + ny * l.y + nz * l.z, 0)
            return 1 - cov * strength * (1 - lam)
        }
    }

    func hairTop(_ c: inout Canvas) {
        let center = SIMD2<Float>(0, -0.04)
        let radii = SIMD2<Float>(a + 0.03 + p.hairVolume, b + 0.02 + p.hairVolume * 0.8)
        let k: Float = p.hairStyle == .short ? 0.75 : p.hairStyle == .medium ? 1.25 : 1.5
        let h0 = p.hairlineHeight + (p.hairStyle == .medium ? 0.05 : 0)
        let part = p.hairPart * 0.05
        let wavy: Float = p.hairStyle == .medium ? 0.018 : 0.006
        let side: Float = p.hairStyle == .short ? 0.15 : 0.3
        let color = p.hairColor
        c.paint(center - radii, center + radii) { q in
            let hairline = min(h0 + k * q.x * q.x + part * q.x + wavy * sin(q.x * 38), p.eyeLevel + side)
            let d = max(sdEllipse(q - center, radii), q.y - hairline)
            let strands = 1 + 0.05 * sin(q.x * 65 + q.y * 9)
            return Paint(d, color * strands)
        }
    }

    func glasses(_ c: inout Canvas) {
        let hs = SIMD2<Float>(0.125, 0.085) * p.glassesSize * p.eyeSize
        let rad = min(hs.x, hs.y) * (0.2 + 0.8 * p.glassesRoundness)
        let frame = p.glassesColor
        let tint = SIMD3<Float>(0.75, 0.8, 0.85)
        let half: Float = 0.011
        for s: Float in [-1, 1] {
            let center = SIMD2<Float>(s * p.eyeSpacing + shift, p.eyeLevel + 0.005)
            let sz = hs * SIMD2(max(1 - 0.2 * p.yaw * s, 0.5), 1)
            c.paint(center - sz, center + sz) { q in Paint(sdRoundBox(q - center, sz, rad), tint, 0.1) }
            c.paint(center - sz - half, center + sz + half) { q in
                Paint(abs(sdRoundBox(q - center, sz, rad)) - half, frame)
            }
            let templeStart = SIMD2<Float>(center.x + s * sz.x, center.y - sz.y * 0.5)
            let templeEnd = SIMD2<Float>(s * (a - 0.02), p.eyeLevel - 0.02)
            c.stroke([templeStart, templeEnd], halfWidth: { _ in half * 0.8 }, color: frame, alpha: 1)
        }
        let l = SIMD2<Float>(-p.eyeSpacing + shift + hs.x * 0.95, p.eyeLevel - 0.02)
        let r = SIMD2<Float>(p.eyeSpacing + shift - hs.x * 0.95, p.eyeLevel - 0.02)
        c.stroke(bezier(l, SIMD2((l.x + r.x) / 2, p.eyeLevel - 0.05), r, 6), halfWidth: { _ in half }, color: frame, alpha: 1)
    }
}
