import Foundation

/// Draws what a MEK model attends to: the class activation map (`MEKModel.ForwardPass.cams`) of a
/// class, upsampled bilinearly to the face's size, min-max scaled, coloured with `ColorMap.jet` and
/// blended over the face. These are the images of `fer cam` and of the run report.
///
/// Layouts (`render`): one titled overlay of the predicted or a chosen class; with `.all` a grid of
/// one panel per class titled with the class and its probability; and, when the analysis was made
/// with `flip: true`, each map beside the map of the mirrored image mirrored back (the pair the
/// attention consistency loss compares, titled with their mean squared difference). Maps of a pair
/// share one colour scale so that a difference in strength shows; maps of different classes are
/// scaled each on its own. Faces smaller than `minimumSide` are enlarged (bicubic) for display, and
/// larger than `maximumSide` reduced, before the map is upsampled onto them.
public struct CAMRenderer {
    public let model: MEKModel
    public let classNames: [String]
    public var minimumSide = 224
    public var maximumSide = 448
    public var alpha: Float = 0.5

    public init(model: MEKModel, classNames: [String]) {
        precondition(classNames.count == model.config.numClasses, "CAMRenderer: \(classNames.count) names for \(model.config.numClasses) classes")
        self.model = model; self.classNames = classNames
    }

    /// Which class maps to draw.
    public enum Selection: Equatable, Sendable {
        case predicted
        case classIndex(Int)
        case all
    }

    /// The model's output for one face.
    public struct Analysis {
        public let face: RGBImage
        public let probabilities: [Float]
        /// One `side x side` map per class.
        public let maps: [HeatMap]
        /// With `flip`: the maps of the mirrored face, mirrored back (`column -> side - 1 - column`).
        public let flippedBack: [HeatMap]?
        public var predicted: Int { probabilities.indices.max { probabilities[$0] < probabilities[$1] } ?? 0 }

        /// `mean((map - flippedBack)^2)` of class `k`: the per-class term of the attention loss.
        public func consistencyError(_ k: Int) -> Float? {
            guard let flippedBack else { return nil }
            let a = maps[k].values, b = flippedBack[k].values
            return zip(a, b).reduce(Float(0)) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) } / Float(a.count)
        }
    }

    /// Runs the model (evaluation preprocessing: resize to the input size, normalize) on `faces`,
    /// and with `flip` also on their mirror images, in batches of `chunk`.
    public func analyze(_ faces: [RGBImage], flip: Bool, chunk: Int = 16) throws -> [Analysis] {
        let config = model.config, d = model.device
        let pipeline = ImagePipeline(imageSize: config.imageSize, policy: .none)
        let k = config.numClasses, side = config.finalResolution
        var out: [Analysis] = []
        for start in stride(from: 0, to: faces.count, by: max(1, chunk)) {
            let group = Array(faces[start..<min(faces.count, start + max(1, chunk))])
            let n = group.count, batch = flip ? 2 * n : n
            var inputs: [Float] = []
            inputs.reserveCapacity(batch * 3 * config.imageSize * config.imageSize)
            let resized = group.map { pipeline.resize($0) }
            for r in resized { inputs += r.normalizedCHW() }
            if flip { for r in resized { inputs += r.horizontallyFlipped().normalizedCHW() } }
            let images = try d.makeTensor([batch, config.inChannels, config.imageSize, config.imageSize])
            try d.write(inputs, to: images)
            let pass = try model.predict(images: images, batch: batch)
            let logits = try d.read(pass.logits), cams = try d.read(pass.cams)
            for i in 0..<n {
                let z = logits[(i * k)..<((i + 1) * k)].map(Double.init)
                let top = z.max() ?? 0
                let e = z.map { Foundation.exp($0 - top) }
                let sum = e.reduce(0, +)
                let maps = (0..<k).map { HeatMap.classMap(cams: cams, image: i, classIndex: $0, classes: k, side: side) }
                let back = flip ? (0..<k).map { HeatMap.classMap(cams: cams, image: n + i, classIndex: $0, classes: k, side: side).horizontallyFlipped() } : nil
                out.append(Analysis(face: group[i], probabilities: e.map { Float($0 / sum) }, maps: maps, flippedBack: back))
            }
        }
        return out
    }

    /// The face as displayed: scaled (bicubic, aspect kept) so its shorter side is at least
    /// `minimumSide` and its longer side at most `maximumSide`.
    public func displayFace(_ face: RGBImage) -> RGBImage {
        let short = min(face.width, face.height), long = max(face.width, face.height)
        guard short > 0 else { return face }
        var scale = 1.0
        if short < minimumSide { scale = Double(minimumSide) / Double(short) }
        if Double(long) * scale > Double(maximumSide) { scale = Double(maximumSide) / Double(long) }
        if scale == 1 { return face }
        let w = max(1, Int((Double(face.width) * scale).rounded())), h = max(1, Int((Double(face.height) * scale).rounded()))
        return face.resized(width: w, height: h, filter: .bicubic)
    }

    /// `map` upsampled bilinearly to the face's size, scaled so that `range` (default: the map's
    /// own minimum and maximum) spans the colour map, and blended over the face.
    public static func overlay(face: RGBImage, map: HeatMap, range: ClosedRange<Float>? = nil, alpha: Float = 0.5) -> RGBImage {
        let scaled = map.normalized(to: range ?? map.range).resizedBilinear(width: face.width, height: face.height)
        return face.blended(with: scaled, colors: .jet, alpha: alpha)
    }

    func title(_ k: Int, _ a: Analysis) -> String {
        String(format: "%@ %.3f", classNames[k], Double(a.probabilities[k]))
    }

    /// The picture for one analysed face (see the type's documentation for the layouts).
    public func render(_ a: Analysis, selection: Selection) -> RGBImage {
        let face = displayFace(a.face)
        let classes: [Int]
        switch selection {
        case .predicted: classes = [a.predicted]
        case .classIndex(let k): classes = [k]
        case .all: classes = Array(0..<classNames.count)
        }
        var panels: [(image: RGBImage, title: String)] = []
        for k in classes {
            if let back = a.flippedBack {
                let lo = min(a.maps[k].range.lowerBound, back[k].range.lowerBound)
                let hi = max(a.maps[k].range.upperBound, back[k].range.upperBound)
                panels.append((Self.overlay(face: face, map: a.maps[k], range: lo...hi, alpha: alpha), title(k, a)))
                let mse = a.consistencyError(k) ?? 0
                panels.append((Self.overlay(face: face, map: back[k], range: lo...hi, alpha: alpha),
                               String(format: "flip: mse %.3g", Double(mse))))
            } else {
                panels.append((Self.overlay(face: face, map: a.maps[k], alpha: alpha), title(k, a)))
            }
        }
        let columns = a.flippedBack != nil ? 2 : (selection == .all ? min(4, classes.count) : 1)
        var grid = PanelGrid(columns: columns)
        grid.textScale = face.width >= 200 ? 2 : 1
        return grid.compose(panels)
    }
}
