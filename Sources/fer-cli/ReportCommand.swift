import FER
import Foundation

/// `fer report`: rebuild a run's report.html from its logs, or compare two runs on one page.
enum ReportCommand {
    static let spec = CommandSpec(
        name: "report", summary: "write report.html for a run folder, or compare two runs",
        usage: "RUN_DIR [--out FILE] | RUN_A RUN_B [--out FILE]",
        options: [
            OptionSpec("out", "FILE", "where to write (default RUN_DIR/report.html; for two runs compare.html in the current folder)"),
            OptionSpec("cams", "N", "CAM overlays per run, one test image per class (default 7; 0 leaves the model and data alone)"),
        ] + CommonOptions.backend)

    static func run(_ args: [String]) throws {
        let o = try spec.parse(args)
        guard (1...2).contains(o.positionals.count) else {
            throw UsageError.other("fer report: give one RUN_DIR, or two to compare (see fer report --help)")
        }
        let count = try o.int("cams", min: 0) ?? 7
        let device = count > 0 ? try CommonOptions.device(o) : nil
        let runs = o.positionals.map { RunFolder(URL(fileURLWithPath: $0)) }
        let written: URL
        if runs.count == 1 {
            written = try RunReport.write(run: runs[0], device: device, to: o.string("out").map { URL(fileURLWithPath: $0) }, camCount: count)
        } else {
            written = try RunReport.writeComparison(runs[0], runs[1], device: device,
                                                    to: URL(fileURLWithPath: o.string("out") ?? "compare.html"), camCount: count)
        }
        print("wrote \(written.path)")
    }

    /// The end of `fer train`: writes the run's report.html; a failure is a warning, never an error.
    static func afterTraining(_ trainer: Trainer) {
        do {
            let url = try RunReport.write(run: trainer.run, device: trainer.model.device)
            print("  report:  \(url.lastPathComponent)")
        } catch {
            note("warning: could not write report.html: \(error) (rebuild it with `fer report \(trainer.run.url.path)`)")
        }
    }
}
