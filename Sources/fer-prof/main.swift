import FER
import Foundation
let d = ProfiledDevice(CPUDevice(threads: 2))
let name = CommandLine.arguments.count > 1 ? CommandLine.arguments[1] : "swin-micro"
let b = CommandLine.arguments.count > 2 ? Int(CommandLine.arguments[2])! : 8
let model = try MEKModel(config: try SwinConfig.named(name), device: d)
let step = try TrainingStep(model: model, loss: MEKLoss(classWeights: [Float](repeating: 1, count: 7)), batch: b)
var r = SeededRandom(seed: 1)
let imgs = (0..<(b*3*112*112)).map { _ in r.normal() }
var dp: SeededRandom? = SeededRandom(seed: 2)
for i in 0..<4 { if i == 1 { d.reset() }; _ = try step.run(images: imgs, labels: (0..<b).map { $0 % 7 }, lr: 1e-4, step: i, dropPath: &dp) }
for (k, s) in d.gemmShapeSeconds.sorted(by: { $0.value > $1.value }).prefix(14) { print(k, String(format: "%.4f", s / 3)) }
