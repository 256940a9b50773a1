import Foundation
import XCTest
@testable import FER

/// Each backward op against central finite differences of its forward, on tiny shapes.
///
/// The probe loss is `L = sum(out * R)` for a fixed random `R`, so `dL/dout = R`. Differences are
/// taken in fp32 with step 1e-2 (1e-3 for the smooth ops), so the check is
/// `|analytic - numeric| <= 2e-2 * max(1, |numeric|)` per probed element, on the elements with the
/// largest analytic gradients plus random ones.
final class FiniteDifferenceTests: XCTestCase {
    let d: Device = CPUDevice(threads: 2)

    func random(_ n: Int, _ rng: inout SeededRandom, scale: Float = 1) -> [Float] {
        (0..<n).map { _ in rng.normal() * scale }
    }

    func tensor(_ values: [Float], _ shape: [Int]) throws -> Tensor {
        let t = try d.makeTensor(shape)
        try d.write(values, to: t)
        return t
    }

    /// Compares `analytic` (gradient of `loss` at `x`) with central differences of `loss`.
    func check(_ name: String, x: [Float], analytic: [Float], step: Float = 1e-2, probes: Int = 24,
               seed: UInt64 = 1, loss: ([Float]) throws -> Float) throws {
        XCTAssertEqual(x.count, analytic.count)
        var rng = SeededRandom(seed: seed)
        let largest = analytic.indices.sorted { abs(analytic[$0]) > abs(analytic[$1]) }.prefix(probes / 2)
        let indices = Array(largest) + (0..<(probes / 2)).map { _ in Int(rng.next() % UInt64(x.count)) }
        var maxErr: Float = 0
        for i in indices {
            var plus = x, minus = x
            plus[i] += step
            minus[i] -= step
            let numeric = (try loss(plus) - loss(minus)) / (2 * step)
            let err = abs(numeric - analytic[i]) / max(1, abs(numeric))
            maxErr = max(maxErr, err)
            XCTAssertLessThanOrEqual(err, 2e-2, "\(name): element \(i) analytic \(analytic[i]) numeric \(numeric)")
        }
        XCTAssertTrue(analytic.contains { $0 != 0 }, "\(name): analytic gradient is all zeros")
    }

    func probeLoss(_ out: Tensor, _ r: [Float]) throws -> Float {
        let v = try d.read(out)
        var s: Float = 0
        for i in 0..<v.count { s += v[i] * r[i] }
        return s
    }

    func testLayerNormBackward() throws {
        var rng = SeededRandom(seed: 7)
        let rows = 5, cols = 7
        let x = random(rows * cols, &rng), w = random(cols, &rng), b = random(cols, &rng), r = random(rows * cols, &rng)
        func forward(_ xv: [Float], _ wv: [Float], _ bv: [Float]) throws -> Float {
            let y = try d.makeTensor([rows, cols]), m = try d.makeTensor([rows]), s = try d.makeTensor([rows])
            d.layerNorm(try tensor(xv, [rows, cols]), weight: try tensor(wv, [cols]), bias: try tensor(bv, [cols]),
                        into: y, mean: m, rstd: s, rows: rows, cols: cols, eps: 1e-5)
            return try probeLoss(y, r)
        }
        let xt = try tensor(x, [rows, cols]), wt = try tensor(w, [cols]), bt = try tensor(b, [cols])
        let y = try d.makeTensor([rows, cols]), m = try d.makeTensor([rows]), s = try d.makeTensor([rows])
        d.layerNorm(xt, weight: wt, bias: bt, into: y, mean: m, rstd: s, rows: rows, cols: cols, eps: 1e-5)
        let dx = try d.makeTensor([rows, cols]), dw = try d.makeTensor([cols]), db = try d.makeTensor([cols])
        d.layerNormBackward(dy: try tensor(r, [rows, cols]), x: xt, weight: wt, mean: m, rstd: s, dx: dx, dweight: dw, dbias: db, rows: rows, cols: cols)
        try check("layerNorm dx", x: x, analytic: try d.read(dx), step: 1e-3) { try forward($0, w, b) }
        try check("layerNorm dweight", x: w, analytic: try d.read(dw), step: 1e-3) { try forward(x, $0, b) }
        try check("layerNorm dbias", x: b, analytic: try d.read(db), step: 1e-3) { try forward(x, w, $0) }
    }

    func testGeluBackward() throws {
        var rng = SeededRandom(seed: 8)
        let n = 97
        let x = random(n, &rng, scale: 2), r = random(n, &rng)
        func forward(_ xv: [Float]) throws -> Float {
            let y = try d.makeTensor([n])
            d.gelu(try tensor(xv, [n]), into: y)
            return try probeLoss(y, r)
        }
        let dx = try d.makeTensor([n])
        d.geluBackward(x: try tensor(x, [n]), dy: try tensor(r, [n]), into: dx)
        try check("gelu", x: x, analytic: try d.read(dx), step: 1e-3) { try forward($0) }
    }

    func testWindowAttentionBackward() throws {
        var rng = SeededRandom(seed: 9)
        let window = 3, heads = 2, headDim = 4, perImage = 4, images = 2
        let shape = AttentionShape(windows: images * perImage, tokens: window * window, heads: heads, headDim: headDim, windowsPerImage: perImage)
        let n = shape.tokens, c = shape.channels
        let qkv = random(shape.windows * n * 3 * c, &rng)
        let table = random((2 * window - 1) * (2 * window - 1) * heads, &rng)
        let index = WindowGeometry.relativePositionIndex(window: window)
        let mask = WindowGeometry.shiftMask(resolution: 6, window: window, shift: 1)
        let r = random(shape.windows * n * c, &rng)
        let indexT = try tensor(index, [n * n]), maskT = try tensor(mask, [perImage, n, n])
        let scale: Float = 0.5
        func forward(_ qv: [Float], _ tv: [Float]) throws -> (Float, Tensor, Tensor, Tensor) {
            let bias = try d.makeTensor([heads, n, n])
            d.gatherRelativeBias(table: try tensor(tv, [tv.count / heads, heads]), index: indexT, into: bias, heads: heads, tokens: n)
            let out = try d.makeTensor([shape.windows * n, c]), probs = try d.makeTensor([shape.windows, heads, n, n])
            let q = try tensor(qv, [shape.windows * n, 3 * c])
            d.windowAttention(qkv: q, bias: bias, mask: maskT, scale: scale, shape: shape, out: out, probs: probs)
            return (try probeLoss(out, r), q, probs, out)
        }
        let (_, q, probs, _) = try forward(qkv, table)
        let dqkv = try d.makeTensor([shape.windows * n, 3 * c]), dtable = try d.makeTensor([table.count / heads, heads])
        d.windowAttentionBackward(dout: try tensor(r, [shape.windows * n, c]), qkv: q, probs: probs, scale: scale, shape: shape, dqkv: dqkv)
        d.relativeBiasBackward(dScores: probs, index: indexT, dtable: dtable, shape: shape)
        try check("attention dqkv", x: qkv, analytic: try d.read(dqkv), step: 1e-3) { try forward($0, table).0 }
        try check("attention dtable", x: table, analytic: try d.read(dtable), step: 1e-3) { try forward(qkv, $0).0 }
    }

    func testLayoutOpsAreAdjoint() throws {
        // Partition/merge and patch merge are permutations: backward must be the exact transpose,
        // <P x, y> == <x, P^T y>, to fp32 rounding.
        var rng = SeededRandom(seed: 10)
        let grid = GridShape(batch: 2, height: 6, width: 6, channels: 3)
        let x = random(grid.count, &rng), y = random(grid.count, &rng)
        let px = try d.makeTensor([grid.count]), pty = try d.makeTensor([grid.count])
        d.windowPartition(try tensor(x, [grid.count]), grid: grid, window: 3, shift: 1, into: px, accumulate: false)
        d.windowMerge(try tensor(y, [grid.count]), grid: grid, window: 3, shift: 1, into: pty, accumulate: false)
        let lhs = zip(try d.read(px), y).map(*).reduce(0, +), rhs = zip(x, try d.read(pty)).map(*).reduce(0, +)
        XCTAssertEqual(lhs, rhs, accuracy: 1e-4 * max(1, abs(lhs)))
        let merged = try d.makeTensor([grid.count]), back = try d.makeTensor([grid.count])
        d.patchMerge(try tensor(x, [grid.count]), grid: grid, into: merged)
        d.patchMergeBackward(try tensor(y, [grid.count]), grid: grid, into: back)
        let lhs2 = zip(try d.read(merged), y).map(*).reduce(0, +), rhs2 = zip(x, try d.read(back)).map(*).reduce(0, +)
        XCTAssertEqual(lhs2, rhs2, accuracy: 1e-4 * max(1, abs(lhs2)))
        // And the shift really moves data: shift 1 differs from shift 0.
        let p0 = try d.makeTensor([grid.count])
        d.windowPartition(try tensor(x, [grid.count]), grid: grid, window: 3, shift: 0, into: p0, accumulate: false)
        XCTAssertNotEqual(try d.read(p0), try d.read(px))
    }

    func testLossBackward() throws {
        var rng = SeededRandom(seed: 11)
        let b = 3, k = 5, cells = 4
        let logits = random(b * k, &rng)
        let weights: [Float] = [0.5, 2, 1, 0.3, 4]
        let targets = try MEKLoss(classWeights: weights).targets(labels: [0, 3, 1])
        func ce(_ z: [Float]) throws -> Float {
            let l = try d.makeTensor([b]), g = try d.makeTensor([b, k])
            d.softTargetCrossEntropy(logits: try tensor(z, [b, k]), targets: try tensor(targets, [b, k]), batch: b, classes: k,
                                     gradScale: 1, losses: l, dlogits: g)
            return try d.read(l).reduce(0, +)
        }
        let l = try d.makeTensor([b]), g = try d.makeTensor([b, k])
        d.softTargetCrossEntropy(logits: try tensor(logits, [b, k]), targets: try tensor(targets, [b, k]), batch: b, classes: k,
                                 gradScale: 1, losses: l, dlogits: g)
        try check("soft-target cross-entropy", x: logits, analytic: try d.read(g), step: 1e-3, probes: 15) { try ce($0) }

        let cams = random(2 * b * cells * k, &rng)
        let wt = try tensor(weights, [k])
        func att(_ m: [Float]) throws -> Float {
            let l = try d.makeTensor([b]), g = try d.makeTensor([2 * b, cells, k])
            d.attentionConsistency(cams: try tensor(m, [2 * b, cells, k]), classWeights: wt, batch: b, height: 2, width: 2,
                                   classes: k, gradScale: 1, losses: l, dcams: g)
            return try d.read(l).reduce(0, +)
        }
        let la = try d.makeTensor([b]), ga = try d.makeTensor([2 * b, cells, k])
        d.attentionConsistency(cams: try tensor(cams, [2 * b, cells, k]), classWeights: wt, batch: b, height: 2, width: 2,
                               classes: k, gradScale: 1, losses: la, dcams: ga)
        try check("attention consistency", x: cams, analytic: try d.read(ga), step: 1e-3) { try att($0) }
    }

    /// The whole model on a tiny configuration (two stages, a shifted block, drop-path off): the
    /// gradient of the MEK loss with respect to sampled parameters of every kind.
    func testWholeModelGradient() throws {
        let config = SwinConfig(imageSize: 24, patchSize: 2, embedDim: 8, depths: [2, 1], heads: [1, 2], window: 6, numClasses: 4)
        let model = try MEKModel(config: config, device: d, seed: 3)
        var rng = SeededRandom(seed: 12)
        // Move every parameter away from its init so no gradient hides behind ones and zeros.
        var flat = try d.read(model.parameters.values)
        for i in flat.indices { flat[i] += rng.normal() * 0.1 }
        try model.parameters.load(flat: flat)
        let b = 2
        let images = try d.makeTensor([2 * b, 3, 24, 24])
        let x = random(b * 3 * 24 * 24, &rng)
        try d.write(x, to: images.rows(0..<b))
        d.flipLastAxis(images.rows(0..<b), rows: b * 3 * 24, width: 24, into: images.rows(b..<(2 * b)))
        let weights: [Float] = [0.5, 2, 1, 3]
        let wt = try tensor(weights, [4])
        let loss = MEKLoss(attentionWeight: 1, classWeights: weights)
        func lossValue(_ params: [Float]) throws -> Float {
            try model.parameters.load(flat: params)
            let pass = try model.predict(images: images, batch: 2 * b, keepActivations: true)
            return try loss.evaluate(device: d, pass: pass, labels: [1, 2], classWeightsTensor: wt, grid: config.finalResolution).value.total
        }
        try model.parameters.load(flat: flat)
        model.parameters.zeroGradients()
        let pass = try model.predict(images: images, batch: 2 * b, keepActivations: true)
        let (_, dl, dc) = try loss.evaluate(device: d, pass: pass, labels: [1, 2], classWeightsTensor: wt, grid: config.finalResolution)
        try model.backward(pass, dlogits: dl, dcams: dc)
        let grads = try d.read(model.parameters.gradients)
        // Probe a few elements of each parameter kind.
        for spec in model.parameters.layout.specs where spec.name.hasSuffix("qkv.weight") || spec.name.contains("bias_table")
            || spec.name.hasSuffix("patch_embed.proj.weight") || spec.name.hasSuffix("reduction.weight") || spec.name == "norm.weight" {
            let range = spec.offset..<(spec.offset + spec.count)
            let sub = Array(grads[range])
            try check("model \(spec.name)", x: Array(flat[range]), analytic: sub, step: 1e-2, probes: 6) { values in
                var p = flat
                p.replaceSubrange(range, with: values)
                return try lossValue(p)
            }
        }
    }
}
