/// An 8-bit RGB colour.
public struct RGBColor: Equatable, Sendable {
    public var r: UInt8, g: UInt8, b: UInt8
    public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) { self.r = r; self.g = g; self.b = b }

    public static let white = RGBColor(255, 255, 255)
    public static let black = RGBColor(0, 0, 0)

    /// `#rrggbb`, for SVG and CSS.
    public var hex: String {
        let digits = Array("0123456789abcdef")
        return "#" + [r, g, b].map { String([digits[Int($0 >> 4)], digits[Int($0 & 15)]]) }.joined()
    }
}

/// A colour map from [0, 1] to colours: piecewise linear between stops.
///
/// `jet` is the classic blue-cyan-yellow-red map used for CAMs (dark blue at 0, red/dark red at 1),
/// defined here by its stops; `heat` (white to deep red) is for confusion matrices, where the count
/// is printed on the cell and must stay readable. Values outside [0, 1] (and NaN) are clamped.
public struct ColorMap: Sendable {
    public let stops: [(position: Float, color: (Float, Float, Float))]

    public init(stops: [(position: Float, color: (Float, Float, Float))]) {
        precondition(stops.count >= 2 && stops.first!.position == 0 && stops.last!.position == 1, "ColorMap: stops must span 0...1")
        self.stops = stops
    }

    public static let jet = ColorMap(stops: [
        (0, (0, 0, 0.5)), (0.125, (0, 0, 1)), (0.375, (0, 1, 1)),
        (0.625, (1, 1, 0)), (0.875, (1, 0, 0)), (1, (0.5, 0, 0)),
    ])

    public static let heat = ColorMap(stops: [
        (0, (1, 1, 1)), (0.5, (0.99, 0.62, 0.4)), (1, (0.65, 0.06, 0.08)),
    ])

    /// The colour at `t` (clamped to [0, 1]).
    public func color(_ t: Float) -> RGBColor {
        let x = t.isNaN ? 0 : min(max(t, 0), 1)
        var i = 1
        while i < stops.count - 1 && stops[i].position < x { i += 1 }
        let (p0, c0) = stops[i - 1], (p1, c1) = stops[i]
        let f = p1 > p0 ? (x - p0) / (p1 - p0) : 0
        func channel(_ a: Float, _ b: Float) -> UInt8 { UInt8(min(255, max(0, ((a + (b - a) * f) * 255).rounded()))) }
        return RGBColor(channel(c0.0, c1.0), channel(c0.1, c1.1), channel(c0.2, c1.2))
    }
}
