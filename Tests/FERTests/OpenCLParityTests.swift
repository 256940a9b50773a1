import Foundation
import XCTest
@testable import FER

/// Every `Device` operation on the CPU backend (the reference) and on the OpenCL backend, from one
/// table of cases (the ggml test-backend-ops way): seeded random inputs, odd sizes, forward and
/// backward ops. For each case every tensor the op touches (inputs included) is compared after the
/// op: max |opencl - cpu| <= tolerance * max |cpu| per tensor, any NaN or infinity fails, and each
/// tensor is an interior view of a larger buffer whose sentinel cells must survive (out-of-bounds
/// writes). A failure names the case and its seed; `FER_PARITY_FILTER=<part of the case name>`
/// reruns just the matching cases, with the same inputs.
final class OpenCLParityTests: XCTestCase {
    /// How a tensor of a case starts.
    enum Fill {
        /// Normal with this standard deviation.
        case normal(Float)
        /// Uniform in the range.
        case uniform(Float, Float)
        /// Rows of `n` positive values that sum to 1 (softmax outputs).
        case probabilities(Int)
        /// Given values.
        case values([Float])
    }

    struct Case {
        let name: String
        let seed: UInt64
        /// Bound on max |opencl - cpu| relative to max |cpu|, per tensor...
        let tolerance: Float
        /// ...plus this absolute bound (for ops whose backends approximate a function to an
        /// absolute error, like erf in GELU).
        var absolute: Float = 0
        /// Every tensor the op reads or writes, in the order `op` receives them.
        let tensors: [(shape: [Int], fill: Fill)]
        let op: (Device, [Tensor]) -> Void
    }

    static let pad = 13
    static let sentinel: Float = -7777.25

    // MARK: The table

    static func gemmCase(_ ta: Bool, _ tb: Bool, m: Int, n: Int, k: Int, alpha: Float = 1, beta: Float = 0,
                         batch: Int = 1, extraLd: Int = 0, seed: UInt64, tolerance: Float = 1e-5) -> Case {
        let lda = (ta ? m : k) + extraLd, ldb = (tb ? k : n) + extraLd, ldc = n + extraLd
        let rowsA = ta ? k : m, rowsB = tb ? n : k
        let sa = rowsA * lda + 3, sb = rowsB * ldb + 1, sc = m * ldc + 2
        let name = "gemm \(ta ? "t" : "n")\(tb ? "t" : "n") m\(m) n\(n) k\(k) alpha\(alpha) beta\(beta) batch\(batch) ld+\(extraLd)"
        return Case(name: name, seed: seed, tolerance: tolerance,
                    tensors: [([max(1, batch * sa)], .normal(1)), ([max(1, batch * sb)], .normal(1)),
                              ([max(1, batch * sc)], .normal(1))]) { d, t in
            d.gemm(transA: ta, transB: tb, m: m, n: n, k: k, alpha: alpha, a: t[0], lda: lda, strideA: sa,
                   b: t[1], ldb: ldb, strideB: sb, beta: beta, c: t[2], ldc: ldc, strideC: sc, batch: batch)
        }
    }

    static var cases: [Case] {
        var c: [Case] = []
        var seed: UInt64 = 1
        func next() -> UInt64 { seed += 1; return seed }

        // Memory
        for n in [1, 97, 4099] {
            c.append(Case(name: "fill n\(n)", seed: next(), tolerance: 0, tensors: [([n], .normal(1))]) { d, t in
                d.fill(t[0], with: 2.5)
            })
            c.append(Case(name: "copy n\(n)", seed: next(), tolerance: 0, tensors: [([n], .normal(1)), ([n], .normal(1))]) { d, t in
                d.copy(t[0], to: t[1])
            })
        }

        // Matrix products: every transpose pair over odd sizes, alpha/beta, padded leading
        // dimensions, batches with strides, an empty K, and long K (split-K on GPU tunings).
        for (ta, tb) in [(false, false), (false, true), (true, false), (true, true)] {
            for (m, n, k) in [(1, 1, 1), (7, 49, 97), (97, 7, 49), (49, 97, 7), (64, 64, 64), (33, 65, 17),
                              (5, 17, 9), (3, 16, 5), (9, 33, 130), (6, 15, 300)] {
                c.append(gemmCase(ta, tb, m: m, n: n, k: k, seed: next()))
            }
            c.append(gemmCase(ta, tb, m: 49, n: 49, k: 32, alpha: 0.5, beta: 1, batch: 3, seed: next()))
            c.append(gemmCase(ta, tb, m: 13, n: 19, k: 23, alpha: -1.5, beta: 0.25, extraLd: 5, seed: next()))
            c.append(gemmCase(ta, tb, m: 5, n: 9, k: 0, beta: 0.5, seed: next()))
            c.append(gemmCase(ta, tb, m: 24, n: 40, k: 2500, beta: 1, seed: next(), tolerance: 2e-5))
        }
        c.append(gemmCase(false, true, m: 392, n: 288, k: 96, seed: next()))   // a Swin qkv projection
        c.append(gemmCase(true, false, m: 96, n: 97, k: 3000, beta: 1, seed: next(), tolerance: 2e-5))  // weight gradient

        // Elementwise
        for (rows, cols) in [(1, 1), (7, 97), (50, 49)] {
            c.append(Case(name: "addBias \(rows)x\(cols)", seed: next(), tolerance: 1e-6,
                          tensors: [([rows, cols], .normal(1)), ([cols], .normal(1))]) { d, t in
                d.addBias(t[0], bias: t[1], rows: rows, cols: cols)
            })
            for acc in [false, true] {
                c.append(Case(name: "sumRows \(rows)x\(cols) accumulate \(acc)", seed: next(), tolerance: 1e-5,
                              tensors: [([rows, cols], .normal(1)), ([cols], .normal(1))]) { d, t in
                    d.sumRows(t[0], rows: rows, cols: cols, into: t[1], accumulate: acc)
                })
            }
        }
        c.append(Case(name: "sumRows 1000x7", seed: next(), tolerance: 1e-5,
                      tensors: [([1000, 7], .normal(1)), ([7], .normal(1))]) { d, t in
            d.sumRows(t[0], rows: 1000, cols: 7, into: t[1], accumulate: true)
        })
        for n in [1, 997] {
            c.append(Case(name: "axpy n\(n)", seed: next(), tolerance: 1e-6, tensors: [([n], .normal(1)), ([n], .normal(1))]) { d, t in
                d.axpy(alpha: -0.75, x: t[0], y: t[1])
            })
            // Both backends approximate erf (absolute errors ~1.5e-7), hence the absolute term.
            c.append(Case(name: "gelu n\(n)", seed: next(), tolerance: 1e-6, absolute: 1e-6,
                          tensors: [([n], .normal(3)), ([n], .normal(1))]) { d, t in
                d.gelu(t[0], into: t[1])
            })
            c.append(Case(name: "geluBackward n\(n)", seed: next(), tolerance: 1e-6, absolute: 1e-6,
                          tensors: [([n], .normal(3)), ([n], .normal(1)), ([n], .normal(1))]) { d, t in
                d.geluBackward(x: t[0], dy: t[1], into: t[2])
            })
            c.append(Case(name: "geluBackward in place n\(n)", seed: next(), tolerance: 1e-6, absolute: 1e-6,
                          tensors: [([n], .normal(3)), ([n], .normal(1))]) { d, t in
                d.geluBackward(x: t[0], dy: t[1], into: t[1])
            })
        }
        for acc in [false, true] {
            c.append(Case(name: "scaleSamples 5x49x7 accumulate \(acc)", seed: next(), tolerance: 1e-6,
                          tensors: [([5, 49, 7], .normal(1)), ([5, 49, 7], .normal(1))]) { d, t in
                d.scaleSamples(t[0], scales: [0, 1.25, 1, 0, 1.25], into: t[1], accumulate: acc)
            })
        }

        // Normalization and softmax
        for (rows, cols) in [(1, 1), (7, 97), (49, 768), (300, 96)] {
            c.append(Case(name: "layerNorm \(rows)x\(cols)", seed: next(), tolerance: 2e-5,
                          tensors: [([rows, cols], .normal(2)), ([cols], .normal(1)), ([cols], .normal(1)),
                                    ([rows, cols], .normal(1)), ([rows], .normal(1)), ([rows], .normal(1))]) { d, t in
                d.layerNorm(t[0], weight: t[1], bias: t[2], into: t[3], mean: t[4], rstd: t[5], rows: rows, cols: cols, eps: 1e-5)
            })
            c.append(Case(name: "layerNormBackward \(rows)x\(cols)", seed: next(), tolerance: 2e-5,
                          tensors: [([rows, cols], .normal(1)), ([rows, cols], .normal(2)), ([cols], .normal(1)),
                                    ([rows], .normal(0.5)), ([rows], .uniform(0.5, 2)), ([rows, cols], .normal(1)),
                                    ([cols], .normal(1)), ([cols], .normal(1))]) { d, t in
                d.layerNormBackward(dy: t[0], x: t[1], weight: t[2], mean: t[3], rstd: t[4], dx: t[5], dweight: t[6],
                                    dbias: t[7], rows: rows, cols: cols)
            })
        }
        for (rows, cols) in [(7, 97), (49, 1), (3, 7)] {
            c.append(Case(name: "softmax \(rows)x\(cols)", seed: next(), tolerance: 1e-6,
                          tensors: [([rows, cols], .normal(4)), ([rows, cols], .normal(1))]) { d, t in
                d.softmax(t[0], into: t[1], rows: rows, cols: cols)
            })
        }

        // Window attention: Swin geometry (7x7 windows, the real index and shift mask) and a tiny one.
        for (window, heads, headDim, perImage, images, masked) in [(7, 3, 32, 4, 2, true), (7, 2, 16, 4, 1, false),
                                                                   (2, 2, 5, 1, 3, false), (1, 1, 1, 1, 1, false)] {
            let n = window * window, ch = heads * headDim, windows = perImage * images
            let shape = AttentionShape(windows: windows, tokens: n, heads: heads, headDim: headDim, windowsPerImage: perImage)
            let index = WindowGeometry.relativePositionIndex(window: window)
            let tableRows = (2 * window - 1) * (2 * window - 1)
            let mask: [Float] = masked
                ? WindowGeometry.shiftMask(resolution: window * 2, window: window, shift: window / 2) : [0]
            let tag = "w\(window) heads\(heads) d\(headDim) windows\(windows)\(masked ? " masked" : "")"
            c.append(Case(name: "gatherRelativeBias \(tag)", seed: next(), tolerance: 0,
                          tensors: [([tableRows, heads], .normal(1)), ([n * n], .values(index)), ([heads, n, n], .normal(1))]) { d, t in
                d.gatherRelativeBias(table: t[0], index: t[1], into: t[2], heads: heads, tokens: n)
            })
            c.append(Case(name: "windowAttention \(tag)", seed: next(), tolerance: 1e-5,
                          tensors: [([windows * n, 3 * ch], .normal(1)), ([heads, n, n], .normal(1)), ([mask.count], .values(mask)),
                                    ([windows * n, ch], .normal(1)), ([windows, heads, n, n], .normal(1))]) { d, t in
                d.windowAttention(qkv: t[0], bias: t[1], mask: masked ? t[2] : nil, scale: 1 / Float(headDim).squareRoot(),
                                  shape: shape, out: t[3], probs: t[4])
            })
            c.append(Case(name: "windowAttentionBackward \(tag)", seed: next(), tolerance: 1e-5,
                          tensors: [([windows * n, ch], .normal(1)), ([windows * n, 3 * ch], .normal(1)),
                                    ([windows * heads * n * n], .probabilities(n)), ([windows * n, 3 * ch], .normal(1))]) { d, t in
                d.windowAttentionBackward(dout: t[0], qkv: t[1], probs: t[2], scale: 1 / Float(headDim).squareRoot(),
                                          shape: shape, dqkv: t[3])
            })
            c.append(Case(name: "relativeBiasBackward \(tag)", seed: next(), tolerance: 1e-5,
                          tensors: [([windows, heads, n, n], .normal(1)), ([n * n], .values(index)),
                                    ([tableRows, heads], .normal(1))]) { d, t in
                d.relativeBiasBackward(dScores: t[0], index: t[1], dtable: t[2], shape: shape)
            })
        }

        // Layouts
        for (grid, window, shift) in [(GridShape(batch: 2, height: 14, width: 14, channels: 5), 7, 3),
                                      (GridShape(batch: 2, height: 14, width: 14, channels: 5), 7, 0),
                                      (GridShape(batch: 1, height: 7, width: 7, channels: 3), 7, 0),
                                      (GridShape(batch: 3, height: 6, width: 4, channels: 1), 2, 1)] {
            for acc in [false, true] {
                let tag = "\(grid.batch)x\(grid.height)x\(grid.width)x\(grid.channels) window \(window) shift \(shift) accumulate \(acc)"
                c.append(Case(name: "windowPartition \(tag)", seed: next(), tolerance: 0,
                              tensors: [([grid.count], .normal(1)), ([grid.count], .normal(1))]) { d, t in
                    d.windowPartition(t[0], grid: grid, window: window, shift: shift, into: t[1], accumulate: acc)
                })
                c.append(Case(name: "windowMerge \(tag)", seed: next(), tolerance: 0,
                              tensors: [([grid.count], .normal(1)), ([grid.count], .normal(1))]) { d, t in
                    d.windowMerge(t[0], grid: grid, window: window, shift: shift, into: t[1], accumulate: acc)
                })
            }
        }
        for grid in [GridShape(batch: 2, height: 14, width: 14, channels: 5), GridShape(batch: 1, height: 2, width: 2, channels: 1)] {
            let tag = "\(grid.batch)x\(grid.height)x\(grid.width)x\(grid.channels)"
            c.append(Case(name: "patchMerge \(tag)", seed: next(), tolerance: 0,
                          tensors: [([grid.count], .normal(1)), ([grid.count], .normal(1))]) { d, t in
                d.patchMerge(t[0], grid: grid, into: t[1])
            })
            c.append(Case(name: "patchMergeBackward \(tag)", seed: next(), tolerance: 0,
                          tensors: [([grid.count], .normal(1)), ([grid.count], .normal(1))]) { d, t in
                d.patchMergeBackward(t[0], grid: grid, into: t[1])
            })
        }
        for (b, ch, h, w, p) in [(2, 3, 8, 6, 2), (1, 1, 1, 1, 1), (3, 2, 9, 9, 3)] {
            let count = b * ch * h * w
            c.append(Case(name: "patchify \(b)x\(ch)x\(h)x\(w) patch \(p)", seed: next(), tolerance: 0,
                          tensors: [([count], .normal(1)), ([count], .normal(1))]) { d, t in
                d.patchify(t[0], batch: b, channels: ch, height: h, width: w, patch: p, into: t[1])
            })
        }
        for (rows, width) in [(7, 97), (6, 7), (1, 1)] {
            c.append(Case(name: "flipLastAxis \(rows)x\(width)", seed: next(), tolerance: 0,
                          tensors: [([rows, width], .normal(1)), ([rows, width], .normal(1))]) { d, t in
                d.flipLastAxis(t[0], rows: rows, width: width, into: t[1])
            })
        }

        // Reductions
        for (b, n, ch) in [(3, 49, 97), (1, 1, 1), (4, 7, 768)] {
            c.append(Case(name: "meanTokens \(b)x\(n)x\(ch)", seed: next(), tolerance: 1e-6,
                          tensors: [([b, n, ch], .normal(1)), ([b, ch], .normal(1))]) { d, t in
                d.meanTokens(t[0], batch: b, tokens: n, channels: ch, into: t[1])
            })
            c.append(Case(name: "meanTokensBackward \(b)x\(n)x\(ch)", seed: next(), tolerance: 1e-6,
                          tensors: [([b, ch], .normal(1)), ([b, n, ch], .normal(1))]) { d, t in
                d.meanTokensBackward(t[0], batch: b, tokens: n, channels: ch, into: t[1])
            })
        }
        for n in [1, 97, 100_003] {
            for acc in [false, true] {
                c.append(Case(name: "sumOfSquares n\(n) accumulate \(acc)", seed: next(), tolerance: 1e-5,
                              tensors: [([n], .normal(1)), ([1], .uniform(0, 5))]) { d, t in
                    d.sumOfSquares(t[0], into: t[1], accumulate: acc)
                })
            }
        }

        // Losses
        for (b, k) in [(5, 7), (1, 1), (3, 97)] {
            c.append(Case(name: "softTargetCrossEntropy \(b)x\(k)", seed: next(), tolerance: 1e-6,
                          tensors: [([b, k], .normal(3)), ([b, k], .probabilities(k)), ([b], .normal(1)), ([b, k], .normal(1))]) { d, t in
                d.softTargetCrossEntropy(logits: t[0], targets: t[1], batch: b, classes: k, gradScale: 1 / Float(b),
                                         losses: t[2], dlogits: t[3])
            })
        }
        for (b, side, k) in [(3, 7, 7), (1, 1, 1), (2, 5, 3)] {
            c.append(Case(name: "attentionConsistency \(b)x\(side)x\(side)x\(k)", seed: next(), tolerance: 1e-6,
                          tensors: [([2 * b, side * side, k], .normal(2)), ([k], .uniform(0.2, 4)), ([b], .normal(1)),
                                    ([2 * b, side * side, k], .normal(1))]) { d, t in
                d.attentionConsistency(cams: t[0], classWeights: t[1], batch: b, height: side, width: side, classes: k,
                                       gradScale: 0.1 / Float(b), losses: t[2], dcams: t[3])
            })
        }

        // Optimizer: clipping active (norm^2 = 100 > 5^2), inactive, and off.
        for (n, normSquared, clip) in [(1000, Float(100), Float?(5)), (97, Float(1), Float?(5)), (1, Float(100), Float?.none)] {
            c.append(Case(name: "adamW n\(n) normSquared \(normSquared) clip \(clip.map { "\($0)" } ?? "off")", seed: next(),
                          tolerance: 1e-6,
                          tensors: [([n], .normal(1)), ([n], .normal(1)), ([n], .normal(0.1)), ([n], .uniform(0, 0.01)),
                                    ([1], .values([normSquared]))]) { d, t in
                d.adamW(parameters: t[0], gradients: t[1], m: t[2], v: t[3], gradNormSquared: t[4],
                        settings: AdamWStep(learningRate: 1e-3, step: 7, maxGradNorm: clip))
            })
        }
        return c
    }

    // MARK: The harness

    static func hostValues(_ fill: Fill, count: Int, rng: inout SeededRandom) -> [Float] {
        switch fill {
        case let .normal(std): return (0..<count).map { _ in rng.normal() * std }
        case let .uniform(lo, hi): return (0..<count).map { _ in lo + (hi - lo) * rng.uniform() }
        case let .values(v): precondition(v.count == count, "values fill of \(v.count) for \(count)"); return v
        case let .probabilities(n):
            var out = (0..<count).map { _ in rng.uniform() + 0.01 }
            for r in 0..<(count / n) {
                let s = out[(r * n)..<((r + 1) * n)].reduce(0, +)
                for j in 0..<n { out[r * n + j] /= s }
            }
            return out
        }
    }

    /// Runs `c` on `d` with every tensor inside a sentinel-padded buffer; returns the interiors
    /// after the op, failing on a touched sentinel.
    static func run(_ c: Case, on d: Device, inputs: [[Float]], label: String) throws -> [[Float]] {
        var views: [Tensor] = []
        var fulls: [Tensor] = []
        for (values, spec) in zip(inputs, c.tensors) {
            let full = try d.makeTensor([values.count + 2 * pad])
            let pads = [Float](repeating: sentinel, count: pad)
            try d.write(pads + values + pads, to: full)
            fulls.append(full)
            views.append(full.slice(start: pad, shape: spec.shape))
        }
        c.op(d, views)
        var out: [[Float]] = []
        for (i, full) in fulls.enumerated() {
            let all = try d.read(full)
            let head = all[0..<pad], tail = all[(all.count - pad)...]
            if !(head.allSatisfy { $0 == sentinel } && tail.allSatisfy { $0 == sentinel }) {
                XCTFail("\(c.name) (seed \(c.seed)) on \(label): tensor \(i) was written outside its view")
            }
            out.append(Array(all[pad..<(all.count - pad)]))
        }
        return out
    }

    /// Runs the whole table on `device`; returns the largest relative error per op name.
    func runTable(on device: OpenCLDevice, label: String) throws -> [String: (error: Float, name: String)] {
        let cpu = CPUDevice()
        var worst: [String: (error: Float, name: String)] = [:]
        let filter = ProcessInfo.processInfo.environment["FER_PARITY_FILTER"]
        for c in Self.cases where filter.map({ c.name.contains($0) }) ?? true {
            var rng = SeededRandom(seed: c.seed)
            let inputs = zip(c.tensors, c.tensors.indices).map { spec, _ in
                Self.hostValues(spec.fill, count: spec.shape.reduce(1, *), rng: &rng)
            }
            let expected = try Self.run(c, on: cpu, inputs: inputs, label: "cpu")
            let actual = try Self.run(c, on: device, inputs: inputs, label: label)
            var caseWorst: Float = 0
            for (i, (a, e)) in zip(actual, expected).enumerated() {
                if let bad = a.firstIndex(where: { !$0.isFinite }) {
                    XCTFail("\(c.name) (seed \(c.seed)) on \(label): tensor \(i) has \(a[bad]) at \(bad)")
                    continue
                }
                var maxErr: Float = 0, maxRef: Float = 0
                for j in a.indices {
                    maxErr = max(maxErr, abs(a[j] - e[j]))
                    maxRef = max(maxRef, abs(e[j]))
                }
                let relative = maxRef > 0 ? maxErr / maxRef : maxErr
                caseWorst = max(caseWorst, relative)
                XCTAssertLessThanOrEqual(maxErr, c.tolerance * maxRef + c.absolute,
                                         "\(c.name) (seed \(c.seed)) on \(label): tensor \(i) max abs error \(maxErr), "
                                         + "bound \(c.tolerance) x max |ref| \(maxRef) + \(c.absolute)")
            }
            let op = String(c.name.prefix(while: { $0 != " " }))
            if caseWorst >= worst[op]?.error ?? 0 { worst[op] = (caseWorst, c.name) }
        }
        return worst
    }

    func report(_ worst: [String: (error: Float, name: String)], _ label: String) {
        for (op, w) in worst.sorted(by: { $0.key < $1.key }) {
            print("parity \(label): \(op) max relative error \(String(format: "%.2e", w.error)) (\(w.name))")
        }
    }

    func testEveryOpMatchesCPUOnOpenCL() throws {
        let d = try TestSupport.openCLDevice()
        let worst = try runTable(on: d, label: "opencl \(d.tuning.name)")
        report(worst, "opencl \(d.tuning.name)")
        XCTAssertNil(d.error)
    }

    /// The same table with the GPU entry of the tile table (local-memory GEMM tiles, split-K, GPU
    /// work-group sizes), so those kernels are checked on PoCL too.
    func testEveryOpMatchesCPUOnOpenCLWithGPUTuning() throws {
        let d = try TestSupport.openCLDeviceWithGPUTuning()
        XCTAssertEqual(d.tuning.gemm, .localTiles)
        let worst = try runTable(on: d, label: "opencl \(d.tuning.name)")
        report(worst, "opencl \(d.tuning.name)")
        XCTAssertNil(d.error)
    }

    func testTableCoversEveryDeviceOperation() {
        let names = Set(Self.cases.map { String($0.name.prefix(while: { $0 != " " })) })
        print("parity table: \(Self.cases.count) cases over \(names.count) operations")
        let protocolOps: Set<String> = [
            "fill", "copy", "gemm", "addBias", "sumRows", "axpy", "scaleSamples", "gelu", "geluBackward", "layerNorm",
            "layerNormBackward", "softmax", "gatherRelativeBias", "windowAttention", "windowAttentionBackward",
            "relativeBiasBackward", "windowPartition", "windowMerge", "patchMerge", "patchMergeBackward", "patchify",
            "flipLastAxis", "meanTokens", "meanTokensBackward", "sumOfSquares", "softTargetCrossEntropy",
            "attentionConsistency", "adamW",
        ]
        XCTAssertEqual(names, protocolOps)
    }
}
