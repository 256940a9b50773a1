import Foundation

/// One labelled image of a dataset, with where it was listed (for error messages).
public struct LabeledImage: Sendable, Equatable {
    public let path: String
    public let label: Int
    /// `file:line` of the list entry, or the image path for folder datasets.
    public let origin: String

    public init(path: String, label: Int, origin: String) {
        self.path = path; self.label = label; self.origin = origin
    }
}

/// A FER dataset: class names (their order defines the model's outputs) and the two splits.
/// The re-balancing weights come from `trainCounts`.
public struct Dataset: Sendable {
    public var name: String
    public var classNames: [String]
    public var train: [LabeledImage]
    public var test: [LabeledImage]

    public init(name: String, classNames: [String], train: [LabeledImage], test: [LabeledImage]) {
        self.name = name; self.classNames = classNames; self.train = train; self.test = test
    }

    public var trainCounts: [Int] { Self.counts(train, classes: classNames.count) }
    public var testCounts: [Int] { Self.counts(test, classes: classNames.count) }

    static func counts(_ samples: [LabeledImage], classes: Int) -> [Int] {
        var c = [Int](repeating: 0, count: classes)
        for s in samples { c[s.label] += 1 }
        return c
    }
}

/// The on-disk layouts `fer` reads.
public enum DatasetFormat: String, CaseIterable, Codable, Sendable {
    /// RAF-DB: `list_patition_label.txt` with `train_00001.jpg 5` lines (labels 1..7).
    case rafdb
    /// FERPlus: one `NAME LABEL` list per split, labels 0..7.
    case ferplus
    /// AffectNet: one `NAME LABEL` list per split, labels 0..6 (or 0..7 with Contempt).
    case affectnet
    /// `DIR/train/<class>/*.{jpg,png}` and `DIR/test/<class>/*`.
    case folder
}

public enum DatasetError: Error, CustomStringConvertible {
    case missingFile(String, what: String)
    case badLine(String, line: Int, text: String, expected: String)
    case labelOutOfRange(String, line: Int, label: Int, range: ClosedRange<Int>)
    case missingImage(String, origin: String)
    case emptyClass(String, className: String, where: String)
    case emptySplit(String, split: String)
    case cannotDetect(String)
    case badImage(String)
    case classCount(given: [String], expected: Int, format: String)

    public var description: String {
        switch self {
        case let .missingFile(path, what): return "\(path): \(what) not found"
        case let .badLine(file, line, text, expected): return "\(file):\(line): cannot parse '\(text)'; expected \(expected)"
        case let .labelOutOfRange(file, line, label, range): return "\(file):\(line): label \(label) is outside \(range.lowerBound)...\(range.upperBound)"
        case let .missingImage(path, origin): return "\(origin): image \(path) does not exist"
        case let .emptyClass(source, name, place): return "\(source): class '\(name)' has no images in the \(place) split; every class needs training samples"
        case let .emptySplit(source, split): return "\(source): the \(split) split is empty"
        case let .cannotDetect(root): return "\(root): cannot tell the dataset format (no list_patition_label.txt, no train/ and test/ folders); pass --format rafdb|ferplus|affectnet|folder"
        case let .badImage(text): return text
        case let .classCount(given, expected, format):
            return "--classes gives \(given.count) name(s) (\(given.joined(separator: ","))), but the \(format) labels have \(expected) classes"
        }
    }
}
