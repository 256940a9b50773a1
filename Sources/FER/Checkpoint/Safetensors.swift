import Foundation

/// A safetensors file (https://github.com/huggingface/safetensors format): an 8-byte little-endian
/// header length, a JSON header mapping tensor names to dtype, shape and byte range, an optional
/// `__metadata__` string map, then the raw little-endian data.
///
/// Reading validates the whole header against the file size before any tensor is touched, so a
/// truncated file or a header whose offsets lie is an error naming the file and the key, never a
/// crash. Floating-point tensors in F32, F16, BF16 and F64 are returned as F32.
public struct SafetensorsFile {
    public struct Entry: Sendable {
        public let name: String
        public let dtype: String
        public let shape: [Int]
        /// Byte range within the data section.
        public let byteRange: Range<Int>
        public var count: Int { shape.reduce(1, *) }
    }

    public let path: String
    public let entries: [String: Entry]
    public let metadata: [String: String]
    private let data: Data
    private let dataStart: Int

    static let elementSizes: [String: Int] = [
        "F64": 8, "F32": 4, "F16": 2, "BF16": 2, "I64": 8, "I32": 4, "I16": 2, "I8": 1,
        "U64": 8, "U32": 4, "U16": 2, "U8": 1, "BOOL": 1, "F8_E4M3": 1, "F8_E5M2": 1,
    ]

    public init(contentsOfFile path: String) throws {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            throw SafetensorsError.unreadable(path, "it is a directory, not a .safetensors file")
        }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path), options: .mappedIfSafe)
        } catch {
            throw SafetensorsError.unreadable(path, (error as NSError).localizedDescription)
        }
        try self.init(data: data, path: path)
    }

    public init(data: Data, path: String) throws {
        self.path = path
        self.data = data
        guard data.count >= 8 else { throw SafetensorsError.truncated(path, "the file has \(data.count) bytes, fewer than the 8-byte header length") }
        var headerLength: UInt64 = 0
        for i in 0..<8 { headerLength |= UInt64(data[data.startIndex + i]) << (8 * UInt64(i)) }
        guard headerLength <= UInt64(data.count - 8) else {
            throw SafetensorsError.truncated(path, "the header claims \(headerLength) bytes but only \(data.count - 8) follow")
        }
        let headerEnd = 8 + Int(headerLength)
        dataStart = headerEnd
        let headerBytes = data.subdata(in: (data.startIndex + 8)..<(data.startIndex + headerEnd))
        guard let json = try? JSONSerialization.jsonObject(with: headerBytes), let header = json as? [String: Any] else {
            throw SafetensorsError.badHeader(path, "the header is not a JSON object")
        }
        let dataSize = data.count - headerEnd
        var entries: [String: Entry] = [:]
        var metadata: [String: String] = [:]
        for (key, value) in header {
            if key == "__metadata__" {
                guard let map = value as? [String: Any] else { throw SafetensorsError.badHeader(path, "__metadata__ is not an object") }
                for (k, v) in map {
                    guard let s = v as? String else { throw SafetensorsError.badHeader(path, "__metadata__ value of '\(k)' is not a string") }
                    metadata[k] = s
                }
                continue
            }
            guard let info = value as? [String: Any],
                  let dtype = info["dtype"] as? String,
                  let shapeValues = info["shape"] as? [Any],
                  let offsetValues = info["data_offsets"] as? [Any], offsetValues.count == 2 else {
                throw SafetensorsError.badEntry(path, key, "needs dtype, shape and two data_offsets")
            }
            guard let size = Self.elementSizes[dtype] else { throw SafetensorsError.badEntry(path, key, "unknown dtype \(dtype)") }
            let shape = try shapeValues.map { v -> Int in
                guard let n = (v as? NSNumber)?.intValue, n >= 0 else { throw SafetensorsError.badEntry(path, key, "shape \(shapeValues) is not a list of non-negative integers") }
                return n
            }
            let offsets = try offsetValues.map { v -> Int in
                guard let n = (v as? NSNumber)?.int64Value, n >= 0, n <= Int64(Int.max / 2) else { throw SafetensorsError.badEntry(path, key, "data_offsets \(offsetValues) are not non-negative integers") }
                return Int(n)
            }
            let (begin, end) = (offsets[0], offsets[1])
            guard begin <= end, end <= dataSize else {
                throw SafetensorsError.badEntry(path, key, "data_offsets [\(begin), \(end)] fall outside the \(dataSize)-byte data section (truncated file or lying header)")
            }
            var elements = 1
            for dim in shape {
                let (product, overflow) = elements.multipliedReportingOverflow(by: dim)
                guard !overflow, product <= dataSize else { throw SafetensorsError.badEntry(path, key, "shape \(shape) is larger than the file") }
                elements = product
            }
            guard end - begin == elements * size else {
                throw SafetensorsError.badEntry(path, key, "shape \(shape) of \(dtype) needs \(elements * size) bytes, data_offsets give \(end - begin)")
            }
            entries[key] = Entry(name: key, dtype: dtype, shape: shape, byteRange: begin..<end)
        }
        self.entries = entries
        self.metadata = metadata
    }

    public var names: [String] { entries.keys.sorted() }

    /// The values of a floating-point tensor as F32.
    public func floats(_ name: String) throws -> [Float] {
        guard let entry = entries[name] else { throw SafetensorsError.missingKey(path, name) }
        let start = data.startIndex + dataStart + entry.byteRange.lowerBound
        let n = entry.count
        var out = [Float](repeating: 0, count: n)
        try data.withUnsafeBytes { (raw: UnsafeRawBufferPointer) in
            let base = raw.baseAddress! + (start - data.startIndex)
            try out.withUnsafeMutableBufferPointer { dst in
                switch entry.dtype {
                case "F32":
                    memcpy(dst.baseAddress!, base, n * 4)
                case "F16":
                    for i in 0..<n { dst[i] = Float(Float16(bitPattern: base.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) }
                case "BF16":
                    for i in 0..<n { dst[i] = Float(bitPattern: UInt32(base.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) << 16) }
                case "F64":
                    for i in 0..<n { dst[i] = Float(base.loadUnaligned(fromByteOffset: 8 * i, as: Double.self)) }
                default:
                    throw SafetensorsError.badEntry(path, name, "dtype \(entry.dtype) is not a floating-point type")
                }
            }
        }
        return out
    }

    /// Serializes F32 tensors (in the given order) and string metadata.
    public static func serialize(_ tensors: [(name: String, shape: [Int], values: [Float])],
                                 metadata: [String: String] = [:]) -> Data {
        var header = "{"
        var parts: [String] = []
        if !metadata.isEmpty {
            let items = metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(metadata[$0]!))" }
            parts.append("\"__metadata__\":{" + items.joined(separator: ",") + "}")
        }
        var offset = 0
        for t in tensors {
            let bytes = t.values.count * 4
            parts.append("\(jsonString(t.name)):{\"dtype\":\"F32\",\"shape\":[\(t.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(offset + bytes)]}")
            offset += bytes
        }
        header += parts.joined(separator: ",") + "}"
        var headerData = Data(header.utf8)
        while headerData.count % 8 != 0 { headerData.append(0x20) }  // pad with spaces so data is 8-aligned
        var out = Data(capacity: 8 + headerData.count + offset)
        var length = UInt64(headerData.count).littleEndian
        withUnsafeBytes(of: &length) { out.append(contentsOf: $0) }
        out.append(headerData)
        for t in tensors { t.values.withUnsafeBytes { out.append(contentsOf: $0) } }
        return out
    }

    static func jsonString(_ s: String) -> String {
        var out = "\""
        for ch in s.unicodeScalars {
            switch ch {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if ch.value < 0x20 { out += String(format: "\\u%04x", ch.value) } else { out.unicodeScalars.append(ch) }
            }
        }
        return out + "\""
    }
}

public enum SafetensorsError: Error, CustomStringConvertible {
    case unreadable(String, String)
    case truncated(String, String)
    case badHeader(String, String)
    case badEntry(String, String, String)
    case missingKey(String, String)

    public var description: String {
        switch self {
        case let .unreadable(path, why): return "\(path): cannot read the file: \(why)"
        case let .truncated(path, why): return "\(path): truncated safetensors file: \(why)"
        case let .badHeader(path, why): return "\(path): invalid safetensors header: \(why)"
        case let .badEntry(path, key, why): return "\(path): tensor '\(key)': \(why)"
        case let .missingKey(path, key): return "\(path): no tensor named '\(key)'"
        }
    }
}
