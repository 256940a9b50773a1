import Foundation

/// Self-contained SVG charts for the run report: line charts, grouped bar charts and a confusion
/// matrix heat map. Each function returns one `<svg>` element (with a `<title>`), sized in pixels,
/// using only SVG 1.1 elements and no scripts, fonts or external references, and escaped so the
/// result is well-formed XML.
public enum SVGChart {
    /// One line of a line chart; `points` are (x, y) in data units, in x order.
    public struct Series {
        public var name: String
        public var color: String
        public var points: [(x: Double, y: Double)]
        public var dashed: Bool
        public init(name: String, color: String, points: [(x: Double, y: Double)], dashed: Bool = false) {
            self.name = name; self.color = color; self.points = points; self.dashed = dashed
        }
    }

    /// Colours for successive series (colour-blind-safe palette).
    public static let palette = ["#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000"]

    /// At most `maxPoints` points: consecutive points averaged in equal buckets (x and y), so long
    /// runs stay small on the page; shorter series are returned unchanged.
    public static func downsampled(_ points: [(x: Double, y: Double)], maxPoints: Int = 400) -> [(x: Double, y: Double)] {
        let finite = points.filter { $0.x.isFinite && $0.y.isFinite }
        guard finite.count > maxPoints, maxPoints > 0 else { return finite }
        var out: [(x: Double, y: Double)] = []
        let n = finite.count
        for b in 0..<maxPoints {
            let lo = b * n / maxPoints, hi = (b + 1) * n / maxPoints
            guard hi > lo else { continue }
            let slice = finite[lo..<hi]
            out.append((slice.map(\.x).reduce(0, +) / Double(slice.count), slice.map(\.y).reduce(0, +) / Double(slice.count)))
        }
        return out
    }

    /// Tick values covering `lo...hi` with a 1-2-5 step, about `count` of them.
    static func ticks(_ lo: Double, _ hi: Double, count: Int = 5) -> [Double] {
        guard hi > lo, lo.isFinite, hi.isFinite else { return [lo] }
        let raw = (hi - lo) / Double(max(1, count))
        let exponent = Int(floor(log10(raw)))
        let multiple = [1.0, 2, 5, 10].first { $0 * pow(10, Double(exponent)) >= raw } ?? 10
        // value(k) = k * multiple * 10^exponent, computed so that 0.6 comes out as 0.6.
        func value(_ k: Double) -> Double {
            exponent < 0 ? k * multiple / pow(10, Double(-exponent)) : k * multiple * pow(10, Double(exponent))
        }
        let step = value(1)
        var out: [Double] = []
        var k = ceil(lo / step - 1e-9)
        while value(k) <= hi + step * 1e-9 { out.append(k == 0 ? 0 : value(k)); k += 1 }
        return out
    }

    /// A compact tick label: integers as integers, small or large magnitudes in exponent form.
    public static func tickLabel(_ v: Double) -> String {
        if v == 0 { return "0" }
        let a = abs(v)
        if a >= 1e5 || a < 1e-3 { return String(format: "%.1e", v) }
        if v == v.rounded() { return String(Int(v)) }
        return String(format: "%g", (v * 1e4).rounded() / 1e4)
    }

    /// Width (pixels, approximate) that the title and a legend of `names` need.
    static func neededWidth(title: String, legend names: [String], left: Double) -> Int {
        let legend = names.reduce(left) { $0 + 30 + Double($1.count) * 6.5 }
        return Int(max(Double(title.count) * 8.5 + 24, legend + 8))
    }

    static func header(_ width: Int, _ height: Int, _ title: String) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(width)\" height=\"\(height)\" viewBox=\"0 0 \(width) \(height)\" "
            + "font-family=\"sans-serif\" font-size=\"12\"><title>\(Markup.escape(title))</title>"
            + "<rect x=\"0\" y=\"0\" width=\"\(width)\" height=\"\(height)\" fill=\"#ffffff\"/>"
            + text(Double(width) / 2, 18, title, anchor: "middle", size: 14, weight: "bold")
    }

    static func text(_ x: Double, _ y: Double, _ s: String, anchor: String = "start", size: Int = 12,
                     weight: String? = nil, fill: String = "#222222", rotate: Double? = nil) -> String {
        let c = Markup.coordinate
        var attrs = "x=\"\(c(x))\" y=\"\(c(y))\" text-anchor=\"\(anchor)\" font-size=\"\(size)\" fill=\"\(fill)\""
        if let weight { attrs += " font-weight=\"\(weight)\"" }
        if let rotate { attrs += " transform=\"rotate(\(c(rotate)) \(c(x)) \(c(y)))\"" }
        return "<text \(attrs)>\(Markup.escape(s))</text>"
    }

    /// A line chart of `series` with axes, ticks, axis labels and a legend. `yRange` fixes the
    /// vertical extent (e.g. 0...1 for accuracies); by default it spans the data.
    public static func lineChart(title: String, xLabel: String, yLabel: String, series: [Series],
                                 yRange: ClosedRange<Double>? = nil, width: Int = 520, height: Int = 300) -> String {
        let c = Markup.coordinate
        let left = 72.0, right = 16.0, top = 46.0, bottom = 44.0
        let plotW = Double(width) - left - right, plotH = Double(height) - top - bottom
        var svg = header(width, height, title)
        let all = series.flatMap(\.points).filter { $0.x.isFinite && $0.y.isFinite }
        // Legend: a row under the title.
        var lx = left
        for s in series {
            svg += "<line x1=\"\(c(lx))\" y1=\"32\" x2=\"\(c(lx + 18))\" y2=\"32\" stroke=\"\(s.color)\" stroke-width=\"2\""
                + (s.dashed ? " stroke-dasharray=\"5 3\"" : "") + "/>"
            svg += text(lx + 22, 36, s.name)
            lx += 30 + Double(s.name.count) * 6.5
        }
        guard let x0 = all.map(\.x).min(), let x1 = all.map(\.x).max(),
              var y0 = all.map(\.y).min(), var y1 = all.map(\.y).max() else {
            svg += "<rect x=\"\(c(left))\" y=\"\(c(top))\" width=\"\(c(plotW))\" height=\"\(c(plotH))\" fill=\"none\" stroke=\"#999999\"/>"
            svg += text(left + plotW / 2, top + plotH / 2, "no data", anchor: "middle", fill: "#888888")
            return svg + "</svg>"
        }
        if let yRange { y0 = min(y0, yRange.lowerBound); y1 = max(y1, yRange.upperBound) }
        if y1 - y0 < 1e-12 { let pad = max(abs(y0) * 0.1, 1e-6); y0 -= pad; y1 += pad }
        let xs = x1 > x0 ? (x0, x1) : (x0 - 1, x0 + 1)
        func px(_ x: Double) -> Double { left + (x - xs.0) / (xs.1 - xs.0) * plotW }
        func py(_ y: Double) -> Double { top + plotH - (y - y0) / (y1 - y0) * plotH }
        for t in ticks(y0, y1) {
            svg += "<line x1=\"\(c(left))\" y1=\"\(c(py(t)))\" x2=\"\(c(left + plotW))\" y2=\"\(c(py(t)))\" stroke=\"#e4e4e4\"/>"
            svg += text(left - 6, py(t) + 4, tickLabel(t), anchor: "end", size: 11)
        }
        for t in ticks(xs.0, xs.1) {
            svg += "<line x1=\"\(c(px(t)))\" y1=\"\(c(top + plotH))\" x2=\"\(c(px(t)))\" y2=\"\(c(top + plotH + 4))\" stroke=\"#666666\"/>"
            svg += text(px(t), top + plotH + 16, tickLabel(t), anchor: "middle", size: 11)
        }
        svg += "<rect x=\"\(c(left))\" y=\"\(c(top))\" width=\"\(c(plotW))\" height=\"\(c(plotH))\" fill=\"none\" stroke=\"#999999\"/>"
        for s in series {
            let pts = s.points.filter { $0.x.isFinite && $0.y.isFinite }
            guard !pts.isEmpty else { continue }
            if pts.count == 1 {
                svg += "<circle cx=\"\(c(px(pts[0].x)))\" cy=\"\(c(py(pts[0].y)))\" r=\"3\" fill=\"\(s.color)\"/>"
                continue
            }
            let list = pts.map { "\(c(px($0.x))),\(c(py($0.y)))" }.joined(separator: " ")
            svg += "<polyline fill=\"none\" stroke=\"\(s.color)\" stroke-width=\"1.5\" stroke-linejoin=\"round\""
                + (s.dashed ? " stroke-dasharray=\"5 3\"" : "") + " points=\"\(list)\"/>"
            if pts.count <= 30 {
                for p in pts { svg += "<circle cx=\"\(c(px(p.x)))\" cy=\"\(c(py(p.y)))\" r=\"2.5\" fill=\"\(s.color)\"/>" }
            }
        }
        svg += text(left + plotW / 2, Double(height) - 8, xLabel, anchor: "middle")
        svg += text(14, top + plotH / 2, yLabel, anchor: "middle", rotate: -90)
        return svg + "</svg>"
    }

    /// Grouped vertical bars: one group per category, one bar per series, values in [0, 1] shown as
    /// percentages above the bars.
    public static func barChart(title: String, categories: [String], series: [(name: String, color: String, values: [Double])],
                                width: Int? = nil, height: Int = 300) -> String {
        let c = Markup.coordinate
        let groups = max(1, categories.count), perGroup = max(1, series.count)
        let barW = 22.0, groupGap = 18.0
        let left = 48.0, right = 16.0, top = 46.0, bottom = 64.0
        let plotW = Double(groups) * (Double(perGroup) * barW + groupGap)
        let w = width ?? max(Int(left + plotW + right), neededWidth(title: title, legend: series.count > 1 ? series.map(\.name) : [], left: left))
        let plotH = Double(height) - top - bottom
        var svg = header(w, height, title)
        var lx = left
        for s in series where series.count > 1 {
            svg += "<rect x=\"\(c(lx))\" y=\"26\" width=\"12\" height=\"12\" fill=\"\(s.color)\"/>" + text(lx + 16, 36, s.name)
            lx += 30 + Double(s.name.count) * 6.5
        }
        func py(_ v: Double) -> Double { top + plotH - min(max(v, 0), 1) * plotH }
        for t in stride(from: 0.0, through: 1.0, by: 0.25) {
            svg += "<line x1=\"\(c(left))\" y1=\"\(c(py(t)))\" x2=\"\(c(left + plotW))\" y2=\"\(c(py(t)))\" stroke=\"#e4e4e4\"/>"
            svg += text(left - 6, py(t) + 4, "\(Int(t * 100))%", anchor: "end", size: 11)
        }
        for (g, name) in categories.enumerated() {
            let gx = left + groupGap / 2 + Double(g) * (Double(perGroup) * barW + groupGap)
            for (k, s) in series.enumerated() where g < s.values.count {
                let v = s.values[g]
                guard v.isFinite else { continue }
                let x = gx + Double(k) * barW
                svg += "<rect x=\"\(c(x + 1))\" y=\"\(c(py(v)))\" width=\"\(c(barW - 2))\" height=\"\(c(top + plotH - py(v)))\" fill=\"\(s.color)\"/>"
                svg += text(x + barW / 2, py(v) - 3, String(format: "%.0f", v * 100), anchor: "middle", size: 9)
            }
            let cx = gx + Double(perGroup) * barW / 2
            svg += text(cx, top + plotH + 14, name, anchor: "end", size: 11, rotate: -30)
        }
        svg += "<line x1=\"\(c(left))\" y1=\"\(c(top + plotH))\" x2=\"\(c(left + plotW))\" y2=\"\(c(top + plotH))\" stroke=\"#666666\"/>"
        return svg + "</svg>"
    }

    /// The confusion matrix (rows = true class, columns = predicted) as a heat map coloured by the
    /// row-normalized fraction (recall on the diagonal), with the count printed in each cell.
    public static func confusionMatrix(title: String, classes: [String], counts: [[Int]], cell: Int = 46) -> String {
        let c = Markup.coordinate
        let n = classes.count
        let labelW = Double(max(6, classes.map(\.count).max() ?? 6)) * 7 + 28
        let top = 40.0 + labelW * 0.62, left = labelW + 8
        let size = Double(n * cell)
        let w = max(Int(left + size + 16), neededWidth(title: title, legend: [], left: 0)), h = Int(top + size + 30)
        var svg = header(w, h, title)
        for (i, name) in classes.enumerated() {
            let y = top + (Double(i) + 0.5) * Double(cell)
            svg += text(left - 6, y + 4, name, anchor: "end", size: 11)
            let x = left + (Double(i) + 0.5) * Double(cell)
            svg += text(x, top - 6, name, anchor: "start", size: 11, rotate: -40)
        }
        for i in 0..<n {
            let row = i < counts.count ? counts[i] : []
            let total = row.reduce(0, +)
            for j in 0..<n {
                let v = j < row.count ? row[j] : 0
                let f = total > 0 ? Double(v) / Double(total) : 0
                let fill = ColorMap.heat.color(Float(f))
                let x = left + Double(j * cell), y = top + Double(i * cell)
                svg += "<rect x=\"\(c(x))\" y=\"\(c(y))\" width=\"\(cell)\" height=\"\(cell)\" fill=\"\(fill.hex)\" stroke=\"#ffffff\"/>"
                svg += text(x + Double(cell) / 2, y + Double(cell) / 2 + 4, String(v), anchor: "middle", size: 12,
                            weight: i == j ? "bold" : nil, fill: f > 0.6 ? "#ffffff" : "#222222")
            }
        }
        svg += text(left + size / 2, top + size + 20, "predicted", anchor: "middle")
        svg += text(12, top + size / 2, "true", anchor: "middle", rotate: -90)
        return svg + "</svg>"
    }
}
