import Foundation

public extension RunFolder {
    /// The run's HTML report (`RunReport`).
    var report: URL { url.appendingPathComponent("report.html") }
}

/// `report.html`: one self-contained page for a training run, or two runs side by side (MEK vs CE),
/// rebuilt from the run folder's logs (`RunLog`).
///
/// The page holds a summary table with the final numbers, line charts of the losses (total,
/// classification, attention), the learning rate and the overall and mean class accuracy over
/// steps, per-class accuracy bars and the confusion matrix (both from the last evaluation), the
/// run configuration, and CAM overlays of a few test images (`RunReport.camSection`) as PNG
/// `data:` URIs. Everything is inline (SVG charts, CSS, images): no scripts, no fonts or files
/// from the network, so it opens offline. The markup is XHTML-compatible (every element closed,
/// only XML's entities), so it parses as XML as well as HTML.
public enum RunReport {
    /// A page and the titles of its charts, in order (one `<svg>` each).
    public struct Page {
        public let html: String
        public let chartTitles: [String]
    }

    /// Writes `report.html` for one run (default: into the run folder); with a device, CAM overlays
    /// from the test set are included when the checkpoint and the data are still there.
    @discardableResult
    public static func write(run: RunFolder, device: Device?, to url: URL? = nil, camCount: Int = 7) throws -> URL {
        let log = try RunLog.read(run)
        let cams = device.map { camSection(for: log, device: $0, count: camCount) }
        let target = url ?? run.report
        try AtomicFile.write(Data(page([(log, cams)]).html.utf8), to: target)
        return target
    }

    /// Writes a page comparing runs `a` and `b` (same charts with both runs as series).
    @discardableResult
    public static func writeComparison(_ a: RunFolder, _ b: RunFolder, device: Device?, to url: URL, camCount: Int = 7) throws -> URL {
        let logs = try [RunLog.read(a), RunLog.read(b)]
        let runs = logs.map { log in (log, device.map { camSection(for: log, device: $0, count: camCount) }) }
        try AtomicFile.write(Data(page(runs).html.utf8), to: url)
        return url
    }

    /// The page for one or two runs. `cams` nil leaves the CAM section out with a note.
    public static func page(_ runs: [(log: RunLog, cams: CAMSection?)]) -> Page {
        precondition(!runs.isEmpty, "RunReport.page: no runs")
        let labels = runLabels(runs.map(\.log))
        let title = runs.count == 1 ? "Training run \(labels[0])" : "Runs compared: " + labels.joined(separator: " vs ")
        var charts: [(title: String, svg: String)] = []
        charts += lossCharts(runs.map(\.log), labels)
        charts += accuracyCharts(runs.map(\.log), labels)
        var body = "<h1>\(Markup.escape(title))</h1>\n"
        body += summaryTable(runs.map(\.log), labels)
        body += section("Training curves", "<div class=\"charts\">" + charts.map(\.svg).joined(separator: "\n") + "</div>")
        let finalCharts = lastEvaluationCharts(runs.map(\.log), labels)
        body += section("Last evaluation", finalCharts.isEmpty
                        ? "<p class=\"note\">No evaluation in eval.jsonl yet.</p>"
                        : "<div class=\"charts\">" + finalCharts.map(\.svg).joined(separator: "\n") + "</div>")
        charts += finalCharts
        body += section("Class activation maps", runs.enumerated().map { i, r in
            (runs.count > 1 ? "<h3>\(Markup.escape(labels[i]))</h3>" : "") + camHTML(r.cams)
        }.joined())
        body += section("Configuration", configurationHTML(runs.map(\.log), labels))
        let html = """
        <!DOCTYPE html>
        <html xmlns="http://www.w3.org/1999/xhtml" lang="en">
        <head>
        <meta charset="utf-8"/>
        <title>\(Markup.escape(title))</title>
        <style>
        body { font-family: sans-serif; margin: 1.5em auto; max-width: 1180px; padding: 0 1em; color: #222; }
        h1 { font-size: 1.5em; } h2 { font-size: 1.2em; border-bottom: 1px solid #ddd; padding-bottom: 2px; }
        .charts { display: flex; flex-wrap: wrap; gap: 12px; align-items: flex-start; }
        table { border-collapse: collapse; margin: 0.5em 0; }
        th, td { border: 1px solid #ccc; padding: 3px 10px; text-align: right; }
        th:first-child, td:first-child { text-align: left; }
        pre { background: #f6f6f6; padding: 8px; overflow-x: auto; font-size: 12px; }
        figure { display: inline-block; margin: 4px; } figcaption { font-size: 12px; text-align: center; }
        .note { color: #666; font-style: italic; }
        </style>
        </head>
        <body>
        \(body)</body>
        </html>

        """
        return Page(html: html, chartTitles: charts.map(\.title))
    }

    // MARK: - Pieces

    static func section(_ heading: String, _ content: String) -> String {
        "<h2>\(Markup.escape(heading))</h2>\n\(content)\n"
    }

    /// Folder names, made distinct (and prefixed A/B when comparing).
    static func runLabels(_ logs: [RunLog]) -> [String] {
        if logs.count == 1 { return [logs[0].name] }
        return logs.enumerated().map { i, log in
            let letter = String(UnicodeScalar(UInt8(65 + i % 26)))
            return "\(letter): \(log.name)" + (log.method.map { " (\($0))" } ?? "")
        }
    }

    static func percent(_ v: Double?) -> String {
        guard let v, v.isFinite else { return "-" }
        return String(format: "%.2f%%", v * 100)
    }

    static func decimal(_ v: Double?, _ digits: Int = 4) -> String {
        guard let v, v.isFinite else { return "-" }
        return String(format: "%.\(digits)f", v)
    }

    static func scientific(_ v: Double?) -> String {
        guard let v, v.isFinite else { return "-" }
        return String(format: "%.3e", v)
    }

    static func summaryTable(_ logs: [RunLog], _ labels: [String]) -> String {
        func row(_ name: String, _ value: (RunLog) -> String) -> String {
            "<tr><td>\(Markup.escape(name))</td>" + logs.map { "<td>\(Markup.escape(value($0)))</td>" }.joined() + "</tr>"
        }
        var rows = [
            row("method") { $0.method ?? "-" },
            row("model") { ($0.config?["modelName"] as? String) ?? "-" },
            row("last step") { $0.lastStep.map { String($0.step) } ?? "-" },
            row("loss (last step)") { decimal($0.lastStep?.loss) },
            row("classification loss (last step)") { decimal($0.lastStep?.lossCls) },
            row("attention loss (last step)") { decimal($0.lastStep?.lossAtt) },
            row("learning rate (last step)") { scientific($0.lastStep?.lr) },
            row("last evaluation at step") { $0.lastEvaluation.map { String($0.step) } ?? "-" },
            row("overall accuracy") { percent($0.lastEvaluation?.overallAccuracy) },
            row("mean class accuracy") { percent($0.lastEvaluation?.meanClassAccuracy) },
            row("macro F1") { decimal($0.lastEvaluation?.macroF1) },
            row("best mean class accuracy") { log in
                log.bestEvaluation.map { percent($0.meanClassAccuracy) + " (step \($0.step))" } ?? "-"
            },
        ]
        if logs.contains(where: { $0.skippedLines > 0 }) {
            rows.append(row("unreadable log lines skipped") { String($0.skippedLines) })
        }
        let head = "<tr><th></th>" + labels.map { "<th>\(Markup.escape($0))</th>" }.joined() + "</tr>"
        return section("Summary", "<table>" + head + rows.joined() + "</table>")
    }

    static func seriesColor(_ i: Int) -> String { SVGChart.palette[i % SVGChart.palette.count] }

    static func lossCharts(_ logs: [RunLog], _ labels: [String]) -> [(title: String, svg: String)] {
        func points(_ log: RunLog, _ value: (RunLog.Step) -> Double) -> [(x: Double, y: Double)] {
            SVGChart.downsampled(log.steps.map { (Double($0.step), value($0)) })
        }
        var out: [(title: String, svg: String)] = []
        if logs.count == 1 {
            let log = logs[0]
            let t = "Loss"
            out.append((t, SVGChart.lineChart(title: t, xLabel: "step", yLabel: "loss", series: [
                .init(name: "total", color: seriesColor(0), points: points(log) { $0.loss }),
                .init(name: "classification", color: seriesColor(1), points: points(log) { $0.lossCls }),
            ])))
            let ta = "Attention consistency loss"
            out.append((ta, SVGChart.lineChart(title: ta, xLabel: "step", yLabel: "loss", series: [
                .init(name: "attention", color: seriesColor(2), points: points(log) { $0.lossAtt }),
            ])))
            let tl = "Learning rate"
            out.append((tl, SVGChart.lineChart(title: tl, xLabel: "step", yLabel: "lr", series: [
                .init(name: "lr", color: seriesColor(3), points: points(log) { $0.lr }),
            ])))
            return out
        }
        for (t, y, value) in [("Total loss", "loss", { (s: RunLog.Step) in s.loss }),
                              ("Classification loss", "loss", { (s: RunLog.Step) in s.lossCls }),
                              ("Attention consistency loss", "loss", { (s: RunLog.Step) in s.lossAtt }),
                              ("Learning rate", "lr", { (s: RunLog.Step) in s.lr })] {
            out.append((t, SVGChart.lineChart(title: t, xLabel: "step", yLabel: y, series: logs.enumerated().map { i, log in
                .init(name: labels[i], color: seriesColor(i), points: points(log, value), dashed: i > 0)
            })))
        }
        return out
    }

    static func accuracyCharts(_ logs: [RunLog], _ labels: [String]) -> [(title: String, svg: String)] {
        func points(_ log: RunLog, _ value: (RunLog.Evaluation) -> Double) -> [(x: Double, y: Double)] {
            log.evaluations.map { (Double($0.step), value($0)) }
        }
        if logs.count == 1 {
            let t = "Test accuracy"
            return [(t, SVGChart.lineChart(title: t, xLabel: "step", yLabel: "accuracy", series: [
                .init(name: "overall", color: seriesColor(0), points: points(logs[0]) { $0.overallAccuracy }),
                .init(name: "mean class", color: seriesColor(1), points: points(logs[0]) { $0.meanClassAccuracy }),
            ], yRange: 0...1))]
        }
        return [("Overall accuracy", { (e: RunLog.Evaluation) in e.overallAccuracy }),
                ("Mean class accuracy", { (e: RunLog.Evaluation) in e.meanClassAccuracy })].map { t, value in
            (t, SVGChart.lineChart(title: t, xLabel: "step", yLabel: "accuracy", series: logs.enumerated().map { i, log in
                .init(name: labels[i], color: seriesColor(i), points: points(log, value), dashed: i > 0)
            }, yRange: 0...1))
        }
    }

    static func lastEvaluationCharts(_ logs: [RunLog], _ labels: [String]) -> [(title: String, svg: String)] {
        let evaluated = logs.enumerated().compactMap { i, log in log.lastEvaluation.map { (i, $0) } }
        guard let first = evaluated.first?.1 else { return [] }
        var out: [(title: String, svg: String)] = []
        let t = "Per-class accuracy"
        out.append((t, SVGChart.barChart(title: t, categories: first.classes, series: evaluated.map { i, e in
            // Align by class name so runs with the same classes in another order still line up.
            (name: labels[i], color: seriesColor(i), values: first.classes.map { name in
                e.classes.firstIndex(of: name).map { e.perClassAccuracy[$0] } ?? .nan })
        })))
        for (i, e) in evaluated {
            let tc = "Confusion matrix" + (logs.count > 1 ? " " + labels[i] : "") + " (step \(e.step))"
            out.append((tc, SVGChart.confusionMatrix(title: tc, classes: e.classes, counts: e.confusion)))
        }
        return out
    }

    static func configurationHTML(_ logs: [RunLog], _ labels: [String]) -> String {
        var html = ""
        if logs.count > 1 {
            let flat = logs.map { flatten($0.config ?? [:]) }
            let keys = Set(flat.flatMap(\.keys)).sorted().filter { k in Set(flat.map { $0[k] ?? "-" }).count > 1 }
            if keys.isEmpty {
                html += "<p>The configurations are identical.</p>"
            } else {
                html += "<table><tr><th>setting that differs</th>" + labels.map { "<th>\(Markup.escape($0))</th>" }.joined() + "</tr>"
                for k in keys {
                    html += "<tr><td>\(Markup.escape(k))</td>" + flat.map { "<td>\(Markup.escape($0[k] ?? "-"))</td>" }.joined() + "</tr>"
                }
                html += "</table>"
            }
        }
        for (i, log) in logs.enumerated() {
            let text = log.configText ?? "(no config.json)"
            html += logs.count > 1
                ? "<details><summary>config.json of \(Markup.escape(labels[i]))</summary><pre>\(Markup.escape(text))</pre></details>"
                : "<pre>\(Markup.escape(text))</pre>"
        }
        return html
    }

    /// Nested JSON objects flattened to `a.b` keys with compact JSON values.
    static func flatten(_ object: [String: Any], prefix: String = "") -> [String: String] {
        var out: [String: String] = [:]
        for (k, v) in object {
            if let nested = v as? [String: Any] {
                out.merge(flatten(nested, prefix: prefix + k + "."), uniquingKeysWith: { a, _ in a })
            } else if let data = try? JSONSerialization.data(withJSONObject: [v], options: [.sortedKeys]) {
                out[prefix + k] = String(String(decoding: data, as: UTF8.self).dropFirst().dropLast())
            }
        }
        return out
    }
}
