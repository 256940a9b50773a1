import CImageCodecs
import Foundation

/// Why an image could not be read or written. Every case that concerns a file names it
/// (`source`), says what was wrong and what to do; the description is one line meant for the user.
public enum ImageError: Error, CustomStringConvertible, Equatable {
    /// The file could not be read at all (missing, a directory, no permission).
    case unreadable(source: String, reason: String)
    /// The bytes are neither PNG nor JPEG (judged by the signature at the start).
    case notAnImage(source: String, leadingBytes: String)
    /// The data starts like a PNG or JPEG but the decoder gave up; `detail` is its message.
    case corrupt(source: String, format: String, detail: String)
    /// The header declares more than `limit` pixels on a side; refused before decoding pixels.
    case tooLarge(source: String, width: Int, height: Int, limit: Int)
    /// A well-formed image of a kind this decoder does not handle (e.g. a CMYK JPEG).
    case unsupported(source: String, format: String, detail: String)
    /// Encoding failed (an inconsistent `RGBImage`, a bad quality, or the library's error).
    case encodeFailed(format: String, detail: String)

    /// The file (or label) the error is about, when there is one.
    public var source: String? {
        switch self {
        case .unreadable(let s, _), .notAnImage(let s, _), .corrupt(let s, _, _),
            .tooLarge(let s, _, _, _), .unsupported(let s, _, _):
            return s
        case .encodeFailed:
            return nil
        }
    }

    public var description: String {
        switch self {
        case .unreadable(let source, let reason):
            return "\(source): cannot read the file (\(reason)); check the path and permissions"
        case .notAnImage(let source, let leading):
            return "\(source): not a PNG or JPEG image (first bytes: \(leading)); replace or remove the file"
        case .corrupt(let source, let format, let detail):
            return "\(source): truncated or corrupt \(format) data (\(detail)); re-export or remove the file"
        case .tooLarge(let source, let width, let height, let limit):
            return "\(source): image is \(width)x\(height) pixels, over the limit of \(limit) per side; "
                + "downscale it before use"
        case .unsupported(let source, let format, let detail):
            return "\(source): unsupported \(format) (\(detail)); convert it to 8-bit RGB or grayscale"
        case .encodeFailed(let format, let detail):
            return "cannot encode \(format): \(detail)"
        }
    }
}

/// PNG and JPEG decoding to `RGBImage` (libpng's simplified API, TurboJPEG) and encoding back.
///
/// Decoding reproduces what the PyTorch reference sees through `PIL.Image.open(p).convert("RGB")`:
/// grayscale is replicated to three channels, alpha is dropped (not composited), palette images
/// are expanded, colour-management chunks (gAMA, cHRM, sRGB, iCCP) are ignored as PIL ignores
/// them, and 16-bit samples keep their high byte. Two documented differences: 16-bit PNGs *with
/// alpha* come out as libpng's rounded `v / 257`, within 1 of PIL's `v >> 8`; 16-bit grayscale
/// keeps the high byte where PIL (mode "I;16") clips every value above 255 to white. JPEGs decode
/// with TurboJPEG's defaults (accurate integer IDCT, smooth chroma upsampling), as PIL's libjpeg.
/// Nothing here traps on bad input: every failure is an `ImageError` naming `source`.
public enum ImageCodec {
    /// The largest accepted width or height, checked from the header before any pixel is decoded.
    public static let maxSide = 8192

    /// Decodes PNG or JPEG bytes (detected by signature) to RGB. `source` names the data in errors
    /// (normally its file path).
    public static func decode(_ data: Data, source: String) throws -> RGBImage {
        let bytes = [UInt8](data.prefix(8))
        if bytes.count >= 4 && bytes[0...3] == [0x89, 0x50, 0x4E, 0x47] {
            return try decodePNG(data, source: source)
        }
        if bytes.count >= 3 && bytes[0...2] == [0xFF, 0xD8, 0xFF] {
            return try decodeJPEG(data, source: source)
        }
        let leading = bytes.isEmpty ? "empty file" : bytes.map { String(format: "%02x", $0) }.joined(separator: " ")
        throw ImageError.notAnImage(source: source, leadingBytes: leading)
    }

    /// Reads and decodes the file at `path`; a missing or unreadable file is an `ImageError`.
    public static func decodeFile(atPath path: String) throws -> RGBImage {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ImageError.unreadable(source: path, reason: "no such file")
        }
        if isDirectory.boolValue { throw ImageError.unreadable(source: path, reason: "it is a directory") }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw ImageError.unreadable(source: path, reason: "\(error.localizedDescription)")
        }
        return try decode(data, source: path)
    }

    /// An 8-bit RGB PNG of `image` (libpng's default compression; deterministic).
    public static func encodePNG(_ image: RGBImage) throws -> Data {
        try checkEncodable(image, format: "PNG")
        var png = png_image()
        png.version = UInt32(PNG_IMAGE_VERSION)
        png.width = UInt32(image.width)
        png.height = UInt32(image.height)
        png.format = UInt32(PNG_FORMAT_FLAG_COLOR)
        return try image.pixels.withUnsafeBytes { src -> Data in
            var size: png_alloc_size_t = 0
            // First call sizes the output, second writes it.
            guard png_image_write_to_memory(&png, nil, &size, 0, src.baseAddress, 0, nil) != 0 else {
                throw ImageError.encodeFailed(format: "PNG", detail: pngMessage(png))
            }
            var out = Data(count: Int(size))
            let ok = out.withUnsafeMutableBytes { dst in
                png_image_write_to_memory(&png, dst.baseAddress, &size, 0, src.baseAddress, 0, nil)
            }
            guard ok != 0 else { throw ImageError.encodeFailed(format: "PNG", detail: pngMessage(png)) }
            return out.prefix(Int(size))
        }
    }

    /// A baseline JPEG of `image` at `quality` (1...100) with 4:4:4 chroma (no subsampling) and the
    /// accurate DCT; the same input always gives the same bytes.
    public static func encodeJPEG(_ image: RGBImage, quality: Int = 95) throws -> Data {
        try checkEncodable(image, format: "JPEG")
        guard (1...100).contains(quality) else {
            throw ImageError.encodeFailed(format: "JPEG", detail: "quality \(quality) is outside 1...100")
        }
        guard let handle = tjInitCompress() else {
            throw ImageError.encodeFailed(format: "JPEG", detail: String(cString: tjGetErrorStr2(nil)))
        }
        defer { tjDestroy(handle) }
        var buffer: UnsafeMutablePointer<UInt8>? = nil
        var size: UInt = 0
        defer { if let buffer { tjFree(buffer) } }
        let rc = image.pixels.withUnsafeBufferPointer { src in
            tjCompress2(
                handle, src.baseAddress, Int32(image.width), 0, Int32(image.height), Int32(TJPF_RGB.rawValue),
                &buffer, &size, Int32(TJSAMP_444.rawValue), Int32(quality), TJFLAG_ACCURATEDCT)
        }
        guard rc == 0, let buffer else {
            throw ImageError.encodeFailed(format: "JPEG", detail: String(cString: tjGetErrorStr2(handle)))
        }
        return Data(bytes: buffer, count: Int(size))
    }

    // MARK: - PNG

    private static func decodePNG(_ original: Data, source: String) throws -> RGBImage {
        let data = withoutColorimetryChunks(original)
        return try data.withUnsafeBytes { raw -> RGBImage in
            var png = png_image()
            png.version = UInt32(PNG_IMAGE_VERSION)
            guard png_image_begin_read_from_memory(&png, raw.baseAddress, raw.count) != 0 else {
                throw ImageError.corrupt(source: source, format: "PNG", detail: pngMessage(png))
            }
            defer { png_image_free(&png) }
            let width = Int(png.width), height = Int(png.height)
            try checkSize(width: width, height: height, source: source)
            let isSixteenBit = png.format & UInt32(PNG_FORMAT_FLAG_LINEAR) != 0
            let hasAlpha = png.format & UInt32(PNG_FORMAT_FLAG_ALPHA) != 0
            let count = width * height
            var pixels = [UInt8](repeating: 0, count: count * 3)
            if isSixteenBit && !hasAlpha {
                // With no gamma chunks libpng takes a 16-bit file as linear; reading it as linear
                // 16-bit is then the identity, and the high byte is what PIL keeps.
                png.format = UInt32(PNG_FORMAT_FLAG_LINEAR | PNG_FORMAT_FLAG_COLOR)
                var wide = [UInt16](repeating: 0, count: count * 3)
                guard png_image_finish_read(&png, nil, &wide, 0, nil) != 0 else {
                    throw ImageError.corrupt(source: source, format: "PNG", detail: pngMessage(png))
                }
                for i in 0..<wide.count { pixels[i] = UInt8(truncatingIfNeeded: wide[i] >> 8) }
                return RGBImage(width: width, height: height, pixels: pixels)
            }
            if isSixteenBit {
                // Linear output would premultiply by alpha; declaring the 16-bit data sRGB instead
                // gives 8-bit samples rounded as v / 257 with the colour left alone.
                png.flags |= UInt32(PNG_IMAGE_FLAG_16BIT_sRGB)
            }
            let channels = hasAlpha ? 4 : 3
            png.format = UInt32(PNG_FORMAT_FLAG_COLOR | (hasAlpha ? PNG_FORMAT_FLAG_ALPHA : 0))
            var decoded = [UInt8](repeating: 0, count: count * channels)
            guard png_image_finish_read(&png, nil, &decoded, 0, nil) != 0 else {
                throw ImageError.corrupt(source: source, format: "PNG", detail: pngMessage(png))
            }
            if !hasAlpha { return RGBImage(width: width, height: height, pixels: decoded) }
            for i in 0..<count {
                pixels[i * 3] = decoded[i * 4]
                pixels[i * 3 + 1] = decoded[i * 4 + 1]
                pixels[i * 3 + 2] = decoded[i * 4 + 2]
            }
            return RGBImage(width: width, height: height, pixels: pixels)
        }
    }

    /// The PNG stream less its gAMA, cHRM, sRGB, iCCP and tRNS chunks. PIL ignores the first four,
    /// while libpng's simplified API would gamma-convert by them; tRNS only makes alpha, which is
    /// dropped anyway (and would make libpng composite). Ancillary chunks carry their own CRC, so
    /// removing whole chunks leaves a valid stream. A stream that does not parse is returned as is
    /// for libpng to report.
    private static func withoutColorimetryChunks(_ data: Data) -> Data {
        let dropped: Set<[UInt8]> = [Array("gAMA".utf8), Array("cHRM".utf8), Array("sRGB".utf8),
                                     Array("iCCP".utf8), Array("tRNS".utf8)]
        let bytes = [UInt8](data)
        guard bytes.count > 8 else { return data }
        var kept = [UInt8](bytes[0..<8])
        kept.reserveCapacity(bytes.count)
        var offset = 8
        var removedAny = false
        while offset + 12 <= bytes.count {
            let length = bytes[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) }
            let end = offset + 12 + length
            guard end <= bytes.count else { break }
            if dropped.contains(Array(bytes[offset + 4..<offset + 8])) {
                removedAny = true
            } else {
                kept.append(contentsOf: bytes[offset..<end])
            }
            offset = end
        }
        guard removedAny else { return data }
        kept.append(contentsOf: bytes[offset...])
        return Data(kept)
    }

    private static func pngMessage(_ png: png_image) -> String {
        withUnsafeBytes(of: png.message) { raw in
            let text = raw.prefix { $0 != 0 }
            let message = String(decoding: text, as: UTF8.self)
            return message.isEmpty ? "libpng gave no message" : message
        }
    }

    // MARK: - JPEG

    private static func decodeJPEG(_ data: Data, source: String) throws -> RGBImage {
        guard let handle = tjInitDecompress() else {
            throw ImageError.corrupt(source: source, format: "JPEG", detail: String(cString: tjGetErrorStr2(nil)))
        }
        defer { tjDestroy(handle) }
        return try data.withUnsafeBytes { raw -> RGBImage in
            let jpeg = raw.bindMemory(to: UInt8.self)
            var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colorspace: Int32 = 0
            guard tjDecompressHeader3(handle, jpeg.baseAddress, UInt(jpeg.count), &width, &height,
                                      &subsampling, &colorspace) == 0 else {
                throw ImageError.corrupt(source: source, format: "JPEG", detail: jpegMessage(handle))
            }
            guard width > 0, height > 0 else {
                throw ImageError.corrupt(source: source, format: "JPEG", detail: "no image frame in the data")
            }
            try checkSize(width: Int(width), height: Int(height), source: source)
            if colorspace == Int32(TJCS_CMYK.rawValue) || colorspace == Int32(TJCS_YCCK.rawValue) {
                throw ImageError.unsupported(source: source, format: "JPEG", detail: "CMYK colour space")
            }
            var pixels = [UInt8](repeating: 0, count: Int(width) * Int(height) * 3)
            let rc = pixels.withUnsafeMutableBufferPointer { dst in
                tjDecompress2(handle, jpeg.baseAddress, UInt(jpeg.count), dst.baseAddress, width, 0, height,
                              Int32(TJPF_RGB.rawValue), 0)
            }
            if rc != 0 {
                // libjpeg warnings (e.g. extraneous bytes) still give a full image, which PIL accepts
                // too; running out of data does not, and PIL refuses it as truncated.
                let message = jpegMessage(handle)
                let isWarning = tjGetErrorCode(handle) == Int32(TJERR_WARNING.rawValue)
                if !isWarning || message.contains("Premature end") {
                    throw ImageError.corrupt(source: source, format: "JPEG", detail: message)
                }
            }
            return RGBImage(width: Int(width), height: Int(height), pixels: pixels)
        }
    }

    private static func jpegMessage(_ handle: tjhandle) -> String {
        guard let text = tjGetErrorStr2(handle) else { return "TurboJPEG gave no message" }
        return String(cString: text)
    }

    // MARK: - Checks

    private static func checkSize(width: Int, height: Int, source: String) throws {
        if width > maxSide || height > maxSide {
            throw ImageError.tooLarge(source: source, width: width, height: height, limit: maxSide)
        }
    }

    private static func checkEncodable(_ image: RGBImage, format: String) throws {
        guard image.width > 0, image.height > 0 else {
            throw ImageError.encodeFailed(format: format, detail: "image is \(image.width)x\(image.height)")
        }
        guard image.pixels.count == image.width * image.height * 3 else {
            throw ImageError.encodeFailed(
                format: format,
                detail: "a \(image.width)x\(image.height) image needs \(image.width * image.height * 3) "
                    + "samples, it has \(image.pixels.count)")
        }
    }
}
