import FER
import Foundation

/// `fer`: train, evaluate and run MEK facial-expression models. Each subcommand lives in its own
/// file; this one only dispatches and turns errors into a message and a non-zero exit.
let commands: [(name: String, summary: String, run: ([String]) throws -> Void)] = [
    ("train", "train a model (MEK or a baseline) and write a run folder", TrainCommand.run),
    ("eval", "evaluate a checkpoint on a dataset's test split", EvalCommand.run),
    ("predict", "classify face images with a checkpoint", PredictCommand.run),
    ("synth", "write the synthetic imbalanced face dataset", SynthCommand.run),
    ("bench", "measure training or inference speed", BenchCommand.run),
    ("cam", "draw class activation maps over face images (PNG)", CamCommand.run),
    ("report", "write report.html for a run folder, or compare two runs", ReportCommand.run),
    ("convert", "convert timm Swin weights, or validate a reference checkpoint", ConvertCommand.run),
    ("devices", "list the OpenCL platforms and devices", DevicesCommand.run),
]

func usage() -> String {
    var lines = ["fer: facial-expression recognition with MEK (re-balanced attention consistency and smooth labels)", "",
                 "usage: fer COMMAND [OPTIONS]", "", "commands:"]
    for c in commands { lines.append("  " + c.name.padding(toLength: 10, withPad: " ", startingAt: 0) + c.summary) }
    lines.append("")
    lines.append("Run `fer COMMAND --help` for the options of a command.")
    return lines.joined(separator: "\n")
}

let arguments = Array(CommandLine.arguments.dropFirst())
guard let name = arguments.first, name != "--help", name != "-h", name != "help" else {
    print(usage())
    exit(arguments.isEmpty ? 2 : 0)
}
guard let command = commands.first(where: { $0.name == name }) else {
    FileHandle.standardError.write(Data("fer: unknown command '\(name)'; commands: \(commands.map(\.name).joined(separator: ", "))\n".utf8))
    exit(2)
}
do {
    try command.run(Array(arguments.dropFirst()))
} catch UsageError.help(let text) {
    print(text)
} catch let error as UsageError {
    FileHandle.standardError.write(Data("\(error)\n".utf8))
    exit(2)
} catch {
    FileHandle.standardError.write(Data("fer \(name): error: \(error)\n".utf8))
    exit(1)
}
