import Foundation

/// The console progress line: redrawn in place on a terminal, plain lines (every `plainEvery`
/// steps) otherwise, so logs captured to a file stay readable.
public final class ProgressLine {
    let isTerminal: Bool
    let plainEvery: Int
    var open = false

    public init(plainEvery: Int = 10) {
        isTerminal = isatty(STDOUT_FILENO) != 0
        self.plainEvery = max(1, plainEvery)
    }

    func update(_ r: Trainer.StepRecord, total: Int, eta: TimeInterval) {
        let text = String(format: "step %d/%d  epoch %d  loss %.4f (cls %.4f, att %.4f)  lr %.3e  %.1f samples/s  ETA %@",
                          r.step, total, r.epoch, r.loss, r.loss_cls, r.loss_att, r.lr, r.samples_per_second, Self.duration(eta))
        if isTerminal {
            print("\r\u{1B}[2K" + text, terminator: "")
            fflush(stdout)
            open = true
        } else if r.step % plainEvery == 0 || r.step == total || r.step == 1 {
            print(text)
            fflush(stdout)
        }
    }

    func finishLine() {
        if open { print(""); open = false }
    }

    static func duration(_ t: TimeInterval) -> String {
        guard t.isFinite else { return "?" }
        let s = Int(t)
        return s >= 3600 ? String(format: "%dh%02dm", s / 3600, s % 3600 / 60) : String(format: "%dm%02ds", s / 60, s % 60)
    }
}
