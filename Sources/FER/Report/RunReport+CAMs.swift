import Foundation

extension RunReport {
    /// CAM overlays of a few test images for the page, or why there are none.
    public struct CAMSection {
        public struct Example {
            public let png: Data
            public let caption: String
        }
        public let examples: [Example]
        /// Which checkpoint and data were used, or why the section is empty.
        public let note: String?
    }

    /// Loads `best.safetensors` (else `last.safetensors`) of the run and the test split of the data
    /// named in its config.json (`data`, `format`), and draws the predicted class's CAM over the
    /// first test image of each class (up to `count`). Never throws: a missing checkpoint or data
    /// folder, or any error, gives an empty section whose note says why.
    public static func camSection(for log: RunLog, device: Device, count: Int = 7) -> CAMSection {
        let fm = FileManager.default
        let checkpoint = [log.run.best, log.run.last].first { fm.fileExists(atPath: $0.path) }
        guard let checkpoint else { return CAMSection(examples: [], note: "No checkpoint (best.safetensors or last.safetensors) in the run folder.") }
        guard let data = log.config?["data"] as? String else { return CAMSection(examples: [], note: "config.json names no data folder.") }
        guard fm.fileExists(atPath: data) else {
            return CAMSection(examples: [], note: "The data folder \(data) is gone; CAM overlays skipped.")
        }
        do {
            let format = (log.config?["format"] as? String).flatMap(DatasetFormat.init(rawValue:))
            let classes = format == .folder ? log.config?["classNames"] as? [String] : nil
            let dataset = try DatasetReader.read(DatasetOptions(root: data, format: format, classes: classes))
            var picked: [LabeledImage] = []
            for c in dataset.classNames.indices {
                if let sample = dataset.test.first(where: { $0.label == c }) { picked.append(sample) }
                if picked.count == count { break }
            }
            guard !picked.isEmpty else { return CAMSection(examples: [], note: "The test split of \(data) is empty.") }
            var notes: [String] = []
            let loaded = try ModelCheckpoint.load(path: checkpoint.path, device: device, log: { notes.append($0) })
            var renderer = CAMRenderer(model: loaded.model, classNames: loaded.classNames)
            renderer.minimumSide = 144
            renderer.maximumSide = 144
            let analyses = try renderer.analyze(try picked.map { try ImageCodec.decodeFile(atPath: $0.path) }, flip: false)
            let examples = try zip(picked, analyses).map { sample, a -> CAMSection.Example in
                let truth = dataset.classNames.indices.contains(sample.label) ? dataset.classNames[sample.label] : "?"
                let caption = "true \(truth), predicted \(loaded.classNames[a.predicted]) "
                    + String(format: "%.3f", Double(a.probabilities[a.predicted]))
                return .init(png: try ImageCodec.encodePNG(renderer.render(a, selection: .predicted)), caption: caption)
            }
            return CAMSection(examples: examples, note: "Predicted-class maps from \(checkpoint.lastPathComponent) on test images of \(data).")
        } catch {
            return CAMSection(examples: [], note: "CAM overlays skipped: \(error)")
        }
    }

    static func camHTML(_ cams: CAMSection?) -> String {
        guard let cams else { return "<p class=\"note\">CAM overlays were not computed for this page.</p>" }
        var html = cams.note.map { "<p class=\"note\">\(Markup.escape($0))</p>" } ?? ""
        if !cams.examples.isEmpty {
            html += "<div class=\"charts\">"
            for e in cams.examples {
                html += "<figure><img src=\"data:image/png;base64,\(e.png.base64EncodedString())\" alt=\"\(Markup.escape(e.caption))\"/>"
                    + "<figcaption>\(Markup.escape(e.caption))</figcaption></figure>"
            }
            html += "</div>"
        }
        return html
    }
}
