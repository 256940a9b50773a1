import Foundation

/// Everything besides the weights that a resumed run needs to continue exactly: the step, the
/// sampler position, the drop-path generator, the best score so far; stored with the AdamW moments
/// in `last.state.safetensors` (tensors `adam.m`, `adam.v`; the rest as JSON metadata).
public struct TrainingProgress: Codable, Equatable, Sendable {
    /// Updates done so far.
    public var step: Int
    public var sampler: SamplerPosition
    public var dropPathRandom: SeededRandom
    public var bestMeanClassAccuracy: Double?
    public var bestStep: Int?

    public init(step: Int, sampler: SamplerPosition, dropPathRandom: SeededRandom,
                bestMeanClassAccuracy: Double? = nil, bestStep: Int? = nil) {
        self.step = step; self.sampler = sampler; self.dropPathRandom = dropPathRandom
        self.bestMeanClassAccuracy = bestMeanClassAccuracy; self.bestStep = bestStep
    }
}

public enum TrainingStateFile {
    static let progressKey = "fer.training_progress"

    public static func save(progress: TrainingProgress, m: [Float], v: [Float], to url: URL) throws {
        let json = String(decoding: try stableJSON(progress), as: UTF8.self)
        let data = SafetensorsFile.serialize([("adam.m", [m.count], m), ("adam.v", [v.count], v)],
                                             metadata: [progressKey: json])
        try AtomicFile.write(data, to: url)
    }

    public static func load(from path: String, parameterCount: Int) throws -> (TrainingProgress, m: [Float], v: [Float]) {
        let file = try SafetensorsFile(contentsOfFile: path)
        guard let text = file.metadata[progressKey],
              let progress = try? JSONDecoder().decode(TrainingProgress.self, from: Data(text.utf8)) else {
            throw CheckpointError.inconsistent(path, "no valid \(progressKey) metadata; is this a training-state file?")
        }
        for key in ["adam.m", "adam.v"] {
            guard let e = file.entries[key] else { throw CheckpointError.missingKey(path, key, expected: [parameterCount]) }
            guard e.shape == [parameterCount] else {
                throw CheckpointError.wrongShape(path, key, expected: [parameterCount], found: e.shape)
            }
        }
        return (progress, try file.floats("adam.m"), try file.floats("adam.v"))
    }
}
