/// One option of a command: `--name VALUE`, or a flag `--name` when `value` is nil.
public struct OptionSpec: Sendable {
    public let name: String
    public let value: String?
    public let help: String
    public init(_ name: String, _ value: String? = nil, _ help: String) {
        self.name = name; self.value = value; self.help = help
    }
}

/// A subcommand's interface, from which both parsing and `--help` are derived.
public struct CommandSpec: Sendable {
    public let name: String
    public let summary: String
    public let usage: String
    public let options: [OptionSpec]
    public init(name: String, summary: String, usage: String, options: [OptionSpec]) {
        self.name = name; self.summary = summary; self.usage = usage; self.options = options
    }

    public var help: String {
        var lines = ["fer \(name): \(summary)", "", "usage: fer \(name) \(usage)", "", "options:"]
        let width = options.map { "--\($0.name)" + ($0.value.map { " " + $0 } ?? "") }.map(\.count).max() ?? 0
        for o in options {
            let left = "--\(o.name)" + (o.value.map { " " + $0 } ?? "")
            lines.append("  " + left + String(repeating: " ", count: width - left.count + 2) + o.help)
        }
        lines.append("  --help" + String(repeating: " ", count: max(2, width - 4)) + "show this help")
        return lines.joined(separator: "\n")
    }

    /// Parses `arguments` (after the subcommand name). `--help` throws `UsageError.help`.
    public func parse(_ arguments: [String]) throws -> ParsedOptions {
        var parsed = ParsedOptions(command: name)
        var i = 0
        while i < arguments.count {
            let arg = arguments[i]
            i += 1
            guard arg.hasPrefix("--"), arg.count > 2 else {
                parsed.positionals.append(arg)
                continue
            }
            if arg == "--help" { throw UsageError.help(help) }
            var key = String(arg.dropFirst(2))
            var inline: String? = nil
            if let eq = key.firstIndex(of: "=") {
                inline = String(key[key.index(after: eq)...])
                key = String(key[..<eq])
            }
            guard let spec = options.first(where: { $0.name == key }) else {
                throw UsageError.unknownOption(command: name, option: "--" + key, accepted: options.map { "--" + $0.name })
            }
            if spec.value == nil {
                if inline != nil { throw UsageError.badValue(command: name, option: "--" + key, value: inline!, expected: "no value (it is a flag)") }
                parsed.flags.insert(key)
            } else if let inline {
                parsed.values[key] = inline
            } else {
                guard i < arguments.count else { throw UsageError.missingValue(command: name, option: "--" + key, placeholder: spec.value!) }
                parsed.values[key] = arguments[i]
                i += 1
            }
        }
        return parsed
    }
}

/// Parsed options with typed accessors whose errors name the option, the value and what is accepted.
public struct ParsedOptions: Sendable {
    public let command: String
    public var values: [String: String] = [:]
    public var flags: Set<String> = []
    public var positionals: [String] = []

    init(command: String) { self.command = command }

    public func has(_ flag: String) -> Bool { flags.contains(flag) }
    public func string(_ name: String) -> String? { values[name] }

    public func int(_ name: String, min: Int? = nil) throws -> Int? {
        guard let text = values[name] else { return nil }
        guard let v = Int(text), v >= (min ?? Int.min) else {
            throw UsageError.badValue(command: command, option: "--" + name, value: text,
                                      expected: min.map { "an integer >= \($0)" } ?? "an integer")
        }
        return v
    }

    public func double(_ name: String, min: Double? = nil) throws -> Double? {
        guard let text = values[name] else { return nil }
        guard let v = Double(text), v.isFinite, v >= (min ?? -Double.infinity) else {
            throw UsageError.badValue(command: command, option: "--" + name, value: text,
                                      expected: min.map { "a number >= \($0)" } ?? "a number")
        }
        return v
    }

    public func choice<T: RawRepresentable & CaseIterable>(_ name: String, as: T.Type) throws -> T? where T.RawValue == String {
        guard let text = values[name] else { return nil }
        guard let v = T(rawValue: text) else {
            throw UsageError.badValue(command: command, option: "--" + name, value: text,
                                      expected: "one of " + T.allCases.map(\.rawValue).joined(separator: ", "))
        }
        return v
    }

    public func choice(_ name: String, among accepted: [String]) throws -> String? {
        guard let text = values[name] else { return nil }
        guard accepted.contains(text) else {
            throw UsageError.badValue(command: command, option: "--" + name, value: text, expected: "one of " + accepted.joined(separator: ", "))
        }
        return text
    }
}

public enum UsageError: Error, CustomStringConvertible {
    case help(String)
    case unknownOption(command: String, option: String, accepted: [String])
    case missingValue(command: String, option: String, placeholder: String)
    case badValue(command: String, option: String, value: String, expected: String)
    case other(String)

    public var description: String {
        switch self {
        case .help(let text): return text
        case let .unknownOption(command, option, accepted):
            return "fer \(command): unknown option \(option); accepted: \(accepted.joined(separator: " ")) (see fer \(command) --help)"
        case let .missingValue(command, option, placeholder):
            return "fer \(command): \(option) needs a value (\(placeholder))"
        case let .badValue(command, option, value, expected):
            return "fer \(command): \(option) '\(value)' is not valid; expected \(expected)"
        case .other(let text): return text
        }
    }
}
