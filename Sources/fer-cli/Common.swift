import FER
import Foundation

/// Options shared by the commands that compute.
enum CommonOptions {
    static let backend = [
        OptionSpec("backend", "cpu|opencl|auto", "compute backend (default auto: a GPU through OpenCL if present, else the CPU)"),
        OptionSpec("device", "N", "OpenCL device index from `fer devices` (default: the first GPU)"),
        OptionSpec("threads", "N", "CPU threads (default: all cores)"),
    ]

    static func device(_ o: ParsedOptions) throws -> Device {
        let kind = try o.choice("backend", as: BackendKind.self) ?? .auto
        return try BackendSelection.make(kind: kind, deviceIndex: try o.int("device", min: 0),
                                         threads: try o.int("threads", min: 1), log: note)
    }
}

/// A line on standard error.
func note(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

/// One JSON object on one line.
func jsonLine(_ object: Any) throws -> String {
    String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
}

/// Dataset options shared by `train` and `eval`; without `--data` the built-in synthetic set.
enum DataOptions {
    static let options = [
        OptionSpec("data", "DIR", "dataset folder (default: the built-in synthetic faces, generated once into a cache)"),
        OptionSpec("format", "rafdb|ferplus|affectnet|folder", "dataset layout (default: detected)"),
        OptionSpec("train-list", "FILE", "ferplus/affectnet: training list (NAME LABEL per line)"),
        OptionSpec("test-list", "FILE", "ferplus/affectnet: test list"),
        OptionSpec("classes", "A,B,...", "class names (folder format: which folders and in what order)"),
        OptionSpec("skip-bad", nil, "skip unreadable images with a warning instead of stopping"),
        OptionSpec("difficulty", "easy|medium|hard", "built-in data only: " + difficultyHelp),
    ]

    static let difficultyHelp = "how clear the synthetic expressions are and how much pose, lighting, "
        + "identity and background vary (default medium; hard is closest to RAF-DB and needs long runs)"

    static func load(_ o: ParsedOptions) throws -> (dataset: Dataset, root: String, format: String) {
        let root: String
        if let data = o.string("data") {
            guard o.string("difficulty") == nil else {
                throw UsageError.other("--difficulty applies to the built-in synthetic data only; it cannot be combined with --data \(data) "
                                       + "(write a synthetic folder with `fer synth --difficulty ...` and pass that as --data)")
            }
            root = data
        } else {
            let difficulty = try o.choice("difficulty", as: SyntheticDifficulty.self) ?? .builtIn
            root = try SyntheticDataset.ensureCached(SyntheticDataset.Spec(difficulty: difficulty), log: note).path
        }
        let format = try o.choice("format", as: DatasetFormat.self)
        let options = DatasetOptions(root: root, format: format, trainList: o.string("train-list"), testList: o.string("test-list"),
                                     classes: o.string("classes").map { $0.split(separator: ",").map(String.init) })
        var dataset = try DatasetReader.read(options)
        if o.has("skip-bad") {
            let (cleaned, skipped) = DatasetReader.removeUnreadable(dataset, log: note)
            if skipped > 0 { note("skipped \(skipped) unreadable image(s)") }
            dataset = cleaned
        }
        let resolved = try format ?? DatasetReader.detect(root: root)
        return (dataset, root, resolved.rawValue)
    }
}
