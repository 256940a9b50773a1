/// Architecture of a Swin classifier with the MEK head (shared/MEK.md): patch embedding, stages of
/// (shifted-)window blocks with patch merging between them, LayerNorm + mean pool + Linear head.
public struct SwinConfig: Codable, Equatable, Sendable {
    public var imageSize: Int = 112
    public var patchSize: Int = 2
    public var inChannels: Int = 3
    public var embedDim: Int
    public var depths: [Int]
    public var heads: [Int]
    public var window: Int = 7
    public var mlpRatio: Int = 4
    public var numClasses: Int = 7
    /// Stochastic-depth rate of the last block; block i of n gets `rate * i / (n - 1)`.
    public var dropPathRate: Float = 0.1
    public var layerNormEps: Float = 1e-5

    public init(imageSize: Int = 112, patchSize: Int = 2, inChannels: Int = 3, embedDim: Int, depths: [Int],
                heads: [Int], window: Int = 7, mlpRatio: Int = 4, numClasses: Int = 7,
                dropPathRate: Float = 0.1, layerNormEps: Float = 1e-5) {
        self.imageSize = imageSize; self.patchSize = patchSize; self.inChannels = inChannels
        self.embedDim = embedDim; self.depths = depths; self.heads = heads; self.window = window
        self.mlpRatio = mlpRatio; self.numClasses = numClasses; self.dropPathRate = dropPathRate
        self.layerNormEps = layerNormEps
    }

    /// The paper's Swin-T: embed 96, depths [2, 2, 6, 2], heads [3, 6, 12, 24].
    public static let swinT = SwinConfig(embedDim: 96, depths: [2, 2, 6, 2], heads: [3, 6, 12, 24])
    /// A small model for tests and quick CPU runs: embed 32, depths [1, 1, 2, 1], heads [1, 2, 4, 8].
    public static let swinMicro = SwinConfig(embedDim: 32, depths: [1, 1, 2, 1], heads: [1, 2, 4, 8])

    /// Names accepted by `named(_:)`.
    public static let names = ["swin-t", "swin-micro"]

    public static func named(_ name: String) throws -> SwinConfig {
        switch name {
        case "swin-t": return .swinT
        case "swin-micro": return .swinMicro
        default: throw ConfigError.unknownModel(name)
        }
    }

    public var stageCount: Int { depths.count }
    public func stageDim(_ s: Int) -> Int { embedDim << s }
    /// Token grid side of stage `s`.
    public func stageResolution(_ s: Int) -> Int { (imageSize / patchSize) >> s }
    /// Window side actually used by stage `s`: the grid itself when it is not larger than the window.
    public func stageWindow(_ s: Int) -> Int { min(window, stageResolution(s)) }
    /// Shift of block `b` in stage `s` (0 for even blocks and for stages that fit one window).
    public func shift(stage s: Int, block b: Int) -> Int {
        (b % 2 == 1 && stageResolution(s) > window) ? window / 2 : 0
    }
    public var featureDim: Int { stageDim(stageCount - 1) }
    public var finalResolution: Int { stageResolution(stageCount - 1) }
    public var totalBlocks: Int { depths.reduce(0, +) }

    /// Checks that the numbers describe a buildable model; the message names the offending field.
    public func validate() throws {
        func fail(_ why: String) -> ConfigError { .invalid(why) }
        guard imageSize > 0, patchSize > 0, embedDim > 0, numClasses > 1, window > 0, mlpRatio > 0 else {
            throw fail("imageSize, patchSize, embedDim, window and mlpRatio must be positive and numClasses > 1")
        }
        // The image pipeline always feeds RGB.
        guard inChannels == 3 else { throw fail("inChannels is \(inChannels); the model takes RGB images, so it must be 3") }
        guard !depths.isEmpty, depths.count == heads.count else {
            throw fail("depths \(depths) and heads \(heads) must be non-empty and of equal length")
        }
        guard imageSize % patchSize == 0 else { throw fail("imageSize \(imageSize) is not a multiple of patchSize \(patchSize)") }
        for s in 0..<stageCount {
            let r = stageResolution(s)
            guard r > 0, (imageSize / patchSize) % (1 << s) == 0 else {
                throw fail("stage \(s) resolution is not an integer (image \(imageSize), patch \(patchSize))")
            }
            guard r % stageWindow(s) == 0 else { throw fail("stage \(s) resolution \(r) is not a multiple of window \(stageWindow(s))") }
            guard heads[s] > 0, stageDim(s) % heads[s] == 0 else {
                throw fail("stage \(s) dim \(stageDim(s)) is not divisible by heads \(heads[s])")
            }
            guard depths[s] > 0 else { throw fail("stage \(s) depth must be positive") }
        }
    }
}

public enum ConfigError: Error, CustomStringConvertible {
    case unknownModel(String)
    case invalid(String)

    public var description: String {
        switch self {
        case .unknownModel(let name):
            return "unknown model '\(name)'; choose one of: \(SwinConfig.names.joined(separator: ", "))"
        case .invalid(let why):
            return "invalid model configuration: \(why)"
        }
    }
}
