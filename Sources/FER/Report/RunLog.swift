import Foundation

/// The logs of one run folder (`RunFolder`) read back for reports: every `metrics.jsonl` step, every
/// `eval.jsonl` evaluation and the raw `config.json`. Lines that do not parse (a run killed while
/// writing leaves a partial last line) are skipped and counted, not fatal.
public struct RunLog {
    public struct Step: Sendable {
        public var step: Int
        public var epoch: Int
        public var loss: Double
        public var lossCls: Double
        public var lossAtt: Double
        public var lr: Double
        public var gradNorm: Double
        public var samplesPerSecond: Double
    }

    public struct Evaluation: Sendable {
        public var step: Int
        public var overallAccuracy: Double
        public var meanClassAccuracy: Double
        public var macroF1: Double
        public var classes: [String]
        /// In `classes` order.
        public var perClassAccuracy: [Double]
        /// Rows = true class, columns = predicted.
        public var confusion: [[Int]]
        public var count: Int
    }

    public let run: RunFolder
    public let steps: [Step]
    public let evaluations: [Evaluation]
    /// config.json as written, and parsed as a JSON object (nil if missing or unreadable).
    public let configText: String?
    public let config: [String: Any]?
    public let skippedLines: Int

    public var name: String { run.url.lastPathComponent }
    public var lastStep: Step? { steps.last }
    public var lastEvaluation: Evaluation? { evaluations.last }
    /// The evaluation with the highest mean class accuracy (the one `best.safetensors` holds).
    public var bestEvaluation: Evaluation? { evaluations.max { $0.meanClassAccuracy < $1.meanClassAccuracy } }
    public var classNames: [String] {
        lastEvaluation?.classes ?? (config?["classNames"] as? [String]) ?? []
    }
    /// `method` from config.json (mek / ce), when present.
    public var method: String? { config?["method"] as? String }

    /// Reads the run folder at `run`; it must hold at least config.json or metrics.jsonl.
    public static func read(_ run: RunFolder) throws -> RunLog {
        let fm = FileManager.default
        guard fm.fileExists(atPath: run.config.path) || fm.fileExists(atPath: run.metrics.path) else {
            throw FileError.cannotRead(run.url.path, "no config.json or metrics.jsonl; is it a run folder?")
        }
        var skipped = 0
        func lines(_ url: URL) -> [[String: Any]] {
            guard let data = fm.contents(atPath: url.path) else { return [] }
            var out: [[String: Any]] = []
            for line in String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline) where !line.allSatisfy(\.isWhitespace) {
                if let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] { out.append(object) } else { skipped += 1 }
            }
            return out
        }
        func number(_ o: [String: Any], _ key: String) -> Double? { (o[key] as? NSNumber)?.doubleValue }
        var steps: [Step] = []
        for o in lines(run.metrics) {
            guard let step = number(o, "step"), let loss = number(o, "loss") else { skipped += 1; continue }
            steps.append(Step(step: Int(step), epoch: Int(number(o, "epoch") ?? 0), loss: loss,
                              lossCls: number(o, "loss_cls") ?? .nan, lossAtt: number(o, "loss_att") ?? .nan,
                              lr: number(o, "lr") ?? .nan, gradNorm: number(o, "grad_norm") ?? .nan,
                              samplesPerSecond: number(o, "samples_per_second") ?? .nan))
        }
        var evaluations: [Evaluation] = []
        for o in lines(run.evaluations) {
            guard let overall = number(o, "overall_accuracy"), let mean = number(o, "mean_class_accuracy") else { skipped += 1; continue }
            let classes = o["classes"] as? [String] ?? []
            let perClassMap = o["per_class_accuracy"] as? [String: Any] ?? [:]
            let perClass = classes.map { (perClassMap[$0] as? NSNumber)?.doubleValue ?? .nan }
            let confusion = (o["confusion_matrix"] as? [[Any]] ?? []).map { $0.map { ($0 as? NSNumber)?.intValue ?? 0 } }
            evaluations.append(Evaluation(step: Int(number(o, "step") ?? 0), overallAccuracy: overall, meanClassAccuracy: mean,
                                          macroF1: number(o, "macro_f1") ?? .nan, classes: classes, perClassAccuracy: perClass,
                                          confusion: confusion, count: Int(number(o, "count") ?? 0)))
        }
        var configText: String? = nil, config: [String: Any]? = nil
        if let data = fm.contents(atPath: run.config.path) {
            configText = String(decoding: data, as: UTF8.self)
            config = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        }
        return RunLog(run: run, steps: steps, evaluations: evaluations, configText: configText, config: config, skippedLines: skipped)
    }
}
