/// Classification metrics from a confusion matrix (rows = true class, columns = prediction):
/// overall accuracy, per-class accuracy (recall), their mean (the number that matters under
/// imbalance), and macro F1. Accuracies are fractions in [0, 1].
public struct ClassificationMetrics: Codable, Equatable, Sendable {
    public var classes: [String]
    public var confusion: [[Int]]

    public init(classes: [String]) {
        self.classes = classes
        confusion = Array(repeating: Array(repeating: 0, count: classes.count), count: classes.count)
    }

    public init(classes: [String], confusion: [[Int]]) {
        self.classes = classes; self.confusion = confusion
    }

    public mutating func add(truth: Int, prediction: Int) { confusion[truth][prediction] += 1 }

    public var total: Int { confusion.reduce(0) { $0 + $1.reduce(0, +) } }

    public var overallAccuracy: Double {
        let correct = classes.indices.reduce(0) { $0 + confusion[$1][$1] }
        return total == 0 ? 0 : Double(correct) / Double(total)
    }

    /// Recall of each class; a class absent from the data counts as 0.
    public var perClassAccuracy: [Double] {
        classes.indices.map { c in
            let n = confusion[c].reduce(0, +)
            return n == 0 ? 0 : Double(confusion[c][c]) / Double(n)
        }
    }

    /// Mean of the per-class accuracies over the classes present in the data.
    public var meanClassAccuracy: Double {
        let present = classes.indices.filter { confusion[$0].reduce(0, +) > 0 }
        guard !present.isEmpty else { return 0 }
        let acc = perClassAccuracy
        return present.reduce(0) { $0 + acc[$1] } / Double(present.count)
    }

    /// Per-class F1 (0 where precision and recall are both 0).
    public var f1: [Double] {
        classes.indices.map { c in
            let tp = Double(confusion[c][c])
            let predicted = Double(classes.indices.reduce(0) { $0 + confusion[$1][c] })
            let actual = Double(confusion[c].reduce(0, +))
            let precision = predicted == 0 ? 0 : tp / predicted
            let recall = actual == 0 ? 0 : tp / actual
            return precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall)
        }
    }

    /// Mean per-class F1 over the classes present in the data.
    public var macroF1: Double {
        let present = classes.indices.filter { confusion[$0].reduce(0, +) > 0 }
        guard !present.isEmpty else { return 0 }
        let f = f1
        return present.reduce(0) { $0 + f[$1] } / Double(present.count)
    }

    /// A readable table: per-class accuracy and F1, the summary numbers, and the confusion matrix.
    public func table() -> String {
        let width = max(10, (classes.map(\.count).max() ?? 0) + 2)
        func pad(_ s: String, _ w: Int) -> String { s.count >= w ? s : String(repeating: " ", count: w - s.count) + s }
        func padRight(_ s: String, _ w: Int) -> String { s.count >= w ? s : s + String(repeating: " ", count: w - s.count) }
        func pct(_ x: Double) -> String { String(format: "%.2f%%", 100 * x) }
        var lines: [String] = []
        lines.append(padRight("class", width) + pad("count", 7) + pad("accuracy", 10) + pad("F1", 8))
        let acc = perClassAccuracy, f = f1
        for (c, name) in classes.enumerated() {
            lines.append(padRight(name, width) + pad("\(confusion[c].reduce(0, +))", 7) + pad(pct(acc[c]), 10) + pad(String(format: "%.3f", f[c]), 8))
        }
        lines.append("overall accuracy     \(pct(overallAccuracy))  (\(total) images)")
        lines.append("mean class accuracy  \(pct(meanClassAccuracy))")
        lines.append("macro F1             \(String(format: "%.4f", macroF1))")
        lines.append("confusion matrix (rows: true class, columns: predicted)")
        let short = classes.map { String($0.prefix(7)) }
        lines.append(padRight("", width) + short.map { pad($0, 8) }.joined())
        for (c, name) in classes.enumerated() {
            lines.append(padRight(name, width) + confusion[c].map { pad("\($0)", 8) }.joined())
        }
        return lines.joined(separator: "\n")
    }

    /// The object written to `eval.jsonl` and printed by `fer eval --json`.
    public func jsonObject(step: Int?) -> [String: Any] {
        var perClass: [String: Any] = [:]
        for (c, name) in classes.enumerated() { perClass[name] = perClassAccuracy[c] }
        var out: [String: Any] = [
            "overall_accuracy": overallAccuracy,
            "mean_class_accuracy": meanClassAccuracy,
            "per_class_accuracy": perClass,
            "confusion_matrix": confusion,
            "macro_f1": macroF1,
            "classes": classes,
            "count": total,
        ]
        if let step { out["step"] = step }
        return out
    }
}
