import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest
@testable import FER

/// report.html from the fixture run folder made by tools/make_report_fixture.py.
final class RunReportTests: XCTestCase {
    let fixtureRun = RunFolder(URL(fileURLWithPath: TestSupport.fixture("report_run")))

    /// Element names (local, with namespace URI), `<title>` texts inside SVGs, and image sources.
    final class Collector: NSObject, XMLParserDelegate {
        var elements: [(name: String, namespace: String?)] = []
        var svgTitles: [String] = []
        var imageSources: [String] = []
        var text = ""
        var depthInSVG = 0
        var inTitle = false

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            elements.append((name, namespaceURI))
            if name == "svg" { depthInSVG += 1 }
            if name == "title" && depthInSVG > 0 { inTitle = true; text = "" }
            if name == "img", let src = attributes["src"] { imageSources.append(src) }
        }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            if name == "svg" { depthInSVG -= 1 }
            if name == "title" && inTitle { svgTitles.append(text); inTitle = false }
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) { if inTitle { text += string } }
    }

    func parse(_ html: String, file: StaticString = #filePath, line: UInt = #line) -> Collector {
        let parser = XMLParser(data: Data(html.utf8))
        parser.shouldProcessNamespaces = true
        let collector = Collector()
        parser.delegate = collector
        let ok = parser.parse()
        XCTAssertTrue(ok, "report.html is not well-formed XML: \(parser.parserError.map { "\($0)" } ?? "?") at line \(parser.lineNumber)",
                      file: file, line: line)
        return collector
    }

    func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("fer-report-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    /// A copy of the fixture run whose config.json has `changes` applied.
    func copyOfFixture(in folder: URL, name: String, changes: [String: Any] = [:]) throws -> RunFolder {
        let run = RunFolder(folder.appendingPathComponent(name))
        try FileManager.default.createDirectory(at: run.url, withIntermediateDirectories: true)
        for file in ["metrics.jsonl", "eval.jsonl"] {
            try FileManager.default.copyItem(at: fixtureRun.url.appendingPathComponent(file), to: run.url.appendingPathComponent(file))
        }
        var config = try JSONSerialization.jsonObject(with: Data(contentsOf: fixtureRun.config)) as! [String: Any]
        for (k, v) in changes { config[k] = v }
        try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted, .sortedKeys]).write(to: run.config)
        return run
    }

    func testLogIsReadBack() throws {
        let log = try RunLog.read(fixtureRun)
        XCTAssertEqual(log.steps.count, 40)
        XCTAssertEqual(log.evaluations.map(\.step), [20, 40])
        XCTAssertEqual(log.classNames, ["Happiness", "Sadness", "Neutral"])
        for (a, b) in zip(log.lastEvaluation?.perClassAccuracy ?? [], [0.9, 0.6, 0.8]) { XCTAssertEqual(a, b, accuracy: 1e-12) }
        XCTAssertEqual(log.lastEvaluation?.confusion, [[36, 1, 3], [4, 12, 4], [3, 4, 28]])
        XCTAssertEqual(log.bestEvaluation?.step, 40)
        XCTAssertEqual(log.skippedLines, 0)
    }

    func testReportParsesAsXMLWithOneSVGPerChartAndTheFinalNumbers() throws {
        let out = try temporaryFolder().appendingPathComponent("report.html")
        try RunReport.write(run: fixtureRun, device: nil, to: out)
        let html = try String(contentsOf: out, encoding: .utf8)
        let parsed = parse(html)
        let page = RunReport.page([(try RunLog.read(fixtureRun), nil)])
        XCTAssertEqual(page.html, html)
        XCTAssertEqual(page.chartTitles, ["Loss", "Attention consistency loss", "Learning rate", "Test accuracy",
                                          "Per-class accuracy", "Confusion matrix (step 40)"])
        let svgs = parsed.elements.filter { $0.name == "svg" }
        XCTAssertEqual(svgs.count, page.chartTitles.count, "one <svg> per chart")
        XCTAssertTrue(svgs.allSatisfy { $0.namespace == "http://www.w3.org/2000/svg" })
        XCTAssertEqual(parsed.svgTitles, page.chartTitles)
        XCTAssertEqual(parsed.elements.first?.name, "html")
        XCTAssertEqual(parsed.elements.first?.namespace, "http://www.w3.org/1999/xhtml")
        XCTAssertFalse(parsed.elements.contains { $0.name == "script" }, "no scripts")
        XCTAssertFalse(html.contains("http://") && html.replacingOccurrences(of: "http://www.w3.org/", with: "").contains("http://"),
                       "no references to the network")
        // The final numbers of the logs: last step, losses, lr; last evaluation; best.
        for expected in ["0.4321", "0.4012", "0.3090", "3.125e-07", "80.00%", "76.67%", "0.7654", "76.67% (step 40)"] {
            XCTAssertTrue(html.contains(expected), "the report shows \(expected)")
        }
        // The confusion matrix counts appear as cell texts, the config as text.
        for count in ["36", "28", "12"] { XCTAssertTrue(html.contains(">\(count)</text>"), "count \(count) in the heat map") }
        XCTAssertTrue(html.contains("&quot;method&quot; : &quot;mek&quot;") || html.contains("&quot;method&quot;: &quot;mek&quot;"))
        XCTAssertTrue(html.contains("CAM overlays were not computed"))
    }

    func testCAMSectionIsSkippedWithANoteWhenDataOrWeightsAreMissing() throws {
        let d = try TestSupport.device()
        let log = try RunLog.read(fixtureRun)
        XCTAssertTrue(RunReport.camSection(for: log, device: d).note?.contains("No checkpoint") == true)
        let folder = try temporaryFolder()
        let run = try copyOfFixture(in: folder, name: "run")
        let config = SwinConfig(imageSize: 56, embedDim: 8, depths: [1, 1], heads: [1, 2], numClasses: 3)
        try ModelCheckpoint.save(try MEKModel(config: config, device: d, seed: 3), classNames: log.classNames, to: run.best)
        let section = RunReport.camSection(for: try RunLog.read(run), device: d)
        XCTAssertTrue(section.examples.isEmpty)
        XCTAssertTrue(section.note?.contains("is gone") == true, section.note ?? "no note")
        // The page still builds and says so.
        try RunReport.write(run: run, device: d)
        let html = try String(contentsOf: run.report, encoding: .utf8)
        XCTAssertTrue(html.contains("is gone; CAM overlays skipped"))
        XCTAssertTrue(parse(html).imageSources.isEmpty)
    }

    func testReportEmbedsCAMOverlaysOfTestImagesAsPNGDataURIs() throws {
        let d = try TestSupport.device()
        let folder = try temporaryFolder()
        // A folder dataset with the run's three classes: 2 train and 1 test image each.
        let data = folder.appendingPathComponent("data")
        let classes = ["Happiness", "Sadness", "Neutral"]
        for (c, name) in classes.enumerated() {
            for split in ["train", "test"] {
                let dir = data.appendingPathComponent(split).appendingPathComponent(name)
                try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
                for i in 0..<(split == "train" ? 2 : 1) {
                    let img = RGBImage(width: 64, height: 64, pixels: (0..<(64 * 64 * 3)).map { UInt8(($0 * (c + 3) + i * 17) % 256) })
                    try ImageCodec.encodePNG(img).write(to: dir.appendingPathComponent("\(i).png"))
                }
            }
        }
        let run = try copyOfFixture(in: folder, name: "run", changes: ["data": data.path])
        let config = SwinConfig(imageSize: 56, embedDim: 8, depths: [1, 1], heads: [1, 2], numClasses: 3)
        try ModelCheckpoint.save(try MEKModel(config: config, device: d, seed: 3), classNames: classes, to: run.best)
        try RunReport.write(run: run, device: d)
        let html = try String(contentsOf: run.report, encoding: .utf8)
        let parsed = parse(html)
        XCTAssertEqual(parsed.imageSources.count, 3, "one overlay per class")
        for src in parsed.imageSources {
            XCTAssertTrue(src.hasPrefix("data:image/png;base64,"))
            let png = try XCTUnwrap(Data(base64Encoded: String(src.dropFirst("data:image/png;base64,".count))))
            let image = try ImageCodec.decode(png, source: "report image")
            XCTAssertEqual(image.width, 144 + 2 * PanelGrid(columns: 1).gap, "a 144-pixel face panel")
        }
        XCTAssertTrue(html.contains("true Sadness, predicted"))
        XCTAssertTrue(html.contains("from best.safetensors"))
    }

    func testTwoRunsSideBySide() throws {
        let folder = try temporaryFolder()
        let ce = try copyOfFixture(in: folder, name: "ce-run", changes: ["method": "ce", "attentionWeight": 0])
        let out = folder.appendingPathComponent("compare.html")
        try RunReport.writeComparison(fixtureRun, ce, device: nil, to: out)
        let html = try String(contentsOf: out, encoding: .utf8)
        let parsed = parse(html)
        let page = RunReport.page([(try RunLog.read(fixtureRun), nil), (try RunLog.read(ce), nil)])
        XCTAssertEqual(page.chartTitles.count, 9)
        XCTAssertEqual(parsed.svgTitles, page.chartTitles)
        XCTAssertTrue(page.chartTitles.contains("Confusion matrix A: report_run (mek) (step 40)"))
        XCTAssertTrue(page.chartTitles.contains("Confusion matrix B: ce-run (ce) (step 40)"))
        XCTAssertTrue(html.contains("<td>attentionWeight</td><td>0.1</td><td>0</td>"), "the settings that differ are listed")
        XCTAssertTrue(html.contains("<td>method</td><td>mek</td><td>ce</td>"))
    }

    func testAnInterruptedOrEmptyRunStillGetsAPage() throws {
        let folder = try temporaryFolder()
        let run = try copyOfFixture(in: folder, name: "cut")
        let handle = try FileHandle(forWritingTo: run.metrics)
        handle.seekToEndOfFile()
        handle.write(Data("{\"epoch\":1,\"loss\":0.4".utf8))  // killed mid-line
        try handle.close()
        let log = try RunLog.read(run)
        XCTAssertEqual(log.steps.count, 40)
        XCTAssertEqual(log.skippedLines, 1)
        XCTAssertTrue(RunReport.page([(log, nil)]).html.contains("<td>unreadable log lines skipped</td><td>1</td>"))
        // Nothing logged yet: every chart says so, the page still parses.
        let fresh = try copyOfFixture(in: folder, name: "fresh")
        for file in [fresh.metrics, fresh.evaluations] { try Data().write(to: file) }
        let page = RunReport.page([(try RunLog.read(fresh), nil)])
        XCTAssertEqual(parse(page.html).svgTitles, page.chartTitles)
        XCTAssertEqual(page.chartTitles.count, 4, "no per-class or confusion chart without an evaluation")
        XCTAssertTrue(page.html.contains("No evaluation in eval.jsonl yet."))
        XCTAssertThrowsError(try RunLog.read(RunFolder(folder.appendingPathComponent("nothing-here"))))
    }

    func testChartHelpers() {
        XCTAssertEqual(SVGChart.ticks(0, 1), [0, 0.2, 0.4, 0.6, 0.8, 1])
        XCTAssertEqual(SVGChart.ticks(0, 20000), [0, 5000, 10000, 15000, 20000])
        let many = (0..<10000).map { (x: Double($0), y: Double($0 % 2)) }
        let few = SVGChart.downsampled(many, maxPoints: 100)
        XCTAssertEqual(few.count, 100)
        XCTAssertTrue(few.allSatisfy { abs($0.y - 0.5) < 1e-9 }, "bucket means")
        XCTAssertEqual(Markup.escape("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;")
        let empty = SVGChart.lineChart(title: "Empty", xLabel: "x", yLabel: "y", series: [])
        XCTAssertTrue(empty.contains("no data"))
    }
}
