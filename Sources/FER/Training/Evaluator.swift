/// Runs a model over a split in evaluation mode and gathers the confusion matrix.
public enum Evaluator {
    public static func evaluate(model: MEKModel, samples: [LabeledImage], classNames: [String],
                                batchSize: Int = 64) throws -> ClassificationMetrics {
        let d = model.device
        let config = model.config
        let pipeline = ImagePipeline(imageSize: config.imageSize, policy: .none)
        let loader = try BatchLoader(samples: samples, pipeline: pipeline, batchSize: batchSize, training: false, seed: 0)
        defer { loader.stop() }
        var metrics = ClassificationMetrics(classes: classNames)
        let k = config.numClasses
        while let batch = try loader.next() {
            let n = batch.labels.count
            let images = try d.makeTensor([n, config.inChannels, config.imageSize, config.imageSize])
            try d.write(batch.images, to: images)
            let logits = try d.read(try model.predict(images: images, batch: n).logits)
            for (i, truth) in batch.labels.enumerated() {
                var best = 0
                for c in 1..<k where logits[i * k + c] > logits[i * k + best] { best = c }
                metrics.add(truth: truth, prediction: best)
            }
        }
        return metrics
    }
}
