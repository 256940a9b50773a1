import FER
import Foundation
let folder = URL(fileURLWithPath: "/tmp/blobs")
var rng = SeededRandom(seed: 21)
for (split, counts) in [("train", [48, 24, 12]), ("test", [10, 10, 10])] {
  for (c, n) in counts.enumerated() {
    let dir = folder.appendingPathComponent("\(split)/class\(c)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    for i in 0..<n {
      var px = [UInt8](repeating: 0, count: 28 * 28 * 3)
      let (cx, cy) = (6 + Int(rng.next() % 16), 6 + Int(rng.next() % 16))
      for y in 0..<28 { for x in 0..<28 {
        let inside = (x - cx) * (x - cx) + (y - cy) * (y - cy) <= 20
        for ch in 0..<3 { let v = Float(inside && ch == c ? 220 : 70) + rng.normal() * 25; px[(y * 28 + x) * 3 + ch] = UInt8(max(0, min(255, v))) }
      } }
      try ImageCodec.encodePNG(RGBImage(width: 28, height: 28, pixels: px)).write(to: dir.appendingPathComponent("\(i).png"))
    }
  }
}
let data = try DatasetReader.read(DatasetOptions(root: folder.path))
print(data.classNames, data.trainCounts)
let loader = try BatchLoader(samples: data.train, pipeline: ImagePipeline(imageSize: 28, policy: .none), batchSize: 8, training: true, seed: 1)
let b = try loader.next()!
for i in 0..<8 {
  let img = Array(b.images[(i*2352)..<((i+1)*2352)])
  let means = (0..<3).map { ch in img[(ch*784)..<((ch+1)*784)].max()! }
  print(b.labels[i], means)
}
loader.stop()
let d = CPUDevice(threads: 2)
for dpr in [Float(0.1), 0] {
var cfg = SwinConfig(imageSize: 28, patchSize: 2, embedDim: 16, depths: [2, 1], heads: [1, 2], window: 7, numClasses: 3)
cfg.dropPathRate = dpr
let s = try TrainingSettings(modelName: "tiny", model: cfg, data: "", format: "folder", classNames: data.classNames,
  trainCounts: data.trainCounts, backend: "cpu", threads: 2, batch: 8, steps: 60, warmup: 2, lr: 0.25, seed: 3, method: "ce",
  smoothing: .none, epsilon: 0.3, attentionWeight: 0, classWeighting: .none, augment: .none, evalEvery: 0, saveEvery: 0, evalBatch: 32)
let run = RunFolder(URL(fileURLWithPath: "/tmp/tinyrun-\(UUID().uuidString)"))
try run.create(settings: s)
let t = try Trainer(settings: s, dataset: data, model: try MEKModel(config: cfg, device: d, seed: 4), run: run, resume: false, log: { print($0) })
t.onStep = { r in if r.step % 10 == 0 { print(r.step, r.loss_cls, r.grad_norm, r.lr) } }
let m = try t.train()
print(dpr, m!.meanClassAccuracy)
}
