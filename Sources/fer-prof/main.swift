import FER
import Foundation
let cpu = CPUDevice(threads: CommandLine.arguments.count > 3 ? Int(CommandLine.arguments[3])! : nil)
let d = ProfiledDevice(cpu)
let name = CommandLine.arguments.count > 1 ? CommandLine.arguments[1] : "swin-micro"
let b = CommandLine.arguments.count > 2 ? Int(CommandLine.arguments[2])! : 8
let model = try MEKModel(config: try SwinConfig.named(name), device: d)
let images = try d.makeTensor([2*b, 3, 112, 112])
var rngv = SeededRandom(seed: 1)
try d.write((0..<(2*b*3*112*112)).map { _ in rngv.normal() }, to: images)
let w = try d.makeTensor([7]); try d.write([Float](repeating: 1, count: 7), to: w)
let loss = MEKLoss(classWeights: [Float](repeating: 1, count: 7))
let m = try d.makeTensor([model.parameters.layout.totalCount]), v = try d.makeTensor([model.parameters.layout.totalCount]), n2 = try d.makeTensor([1])
var rng: SeededRandom? = SeededRandom(seed: 2)
let steps = 5
for it in 0..<steps {
  if it == 1 { d.reset() }
  let t0 = Date()
  let pass = try model.forward(images: images, batch: 2*b, dropPath: &rng)
  let (_, dl, dc) = try loss.evaluate(device: d, pass: pass, labels: (0..<b).map { $0 % 7 }, classWeightsTensor: w, grid: 7)
  model.parameters.zeroGradients()
  try model.backward(pass, dlogits: dl, dcams: dc)
  d.sumOfSquares(model.parameters.gradients, into: n2, accumulate: false)
  d.adamW(parameters: model.parameters.values, gradients: model.parameters.gradients, m: m, v: v, gradNormSquared: n2, settings: AdamWStep(learningRate: 1e-4, step: it+1))
  print("step \(it): \(Date().timeIntervalSince(t0)) s")
}
let total = d.seconds.values.reduce(0,+)
let n = Double(steps - 1)
for (k, s) in d.operationSeconds.sorted(by: { $0.value > $1.value }) { print(k, String(format: "%.4f s  %.1f%%", s/n, 100*s/total)) }
print("gemm GFLOP/s", d.gemmFlops / d.seconds[.matmul]! / 1e9)
