import Foundation

/// JSON with sorted keys, so files written from equal values are byte-identical (checkpoints,
/// run folders and datasets must be reproducible).
public func stableJSON<T: Encodable>(_ value: T, pretty: Bool = false) throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = pretty ? [.sortedKeys, .prettyPrinted] : [.sortedKeys]
    return try encoder.encode(value)
}
