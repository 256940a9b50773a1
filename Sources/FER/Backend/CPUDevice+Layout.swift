/// Layout ops of the CPU backend: window partition with cyclic shift, patch merging, patchify, flips.
extension CPUDevice {
    public func windowPartition(_ x: Tensor, grid: GridShape, window: Int, shift: Int, into windows: Tensor, accumulate: Bool) {
        moveWindows(grid: grid, window: window, shift: shift, gridTensor: x, windowTensor: windows,
                    toWindows: true, accumulate: accumulate)
    }

    public func windowMerge(_ windows: Tensor, grid: GridShape, window: Int, shift: Int, into x: Tensor, accumulate: Bool) {
        moveWindows(grid: grid, window: window, shift: shift, gridTensor: x, windowTensor: windows,
                    toWindows: false, accumulate: accumulate)
    }

    /// One mapping serves both directions: window row `(w, t)` <-> grid pixel
    /// `((wr * ws + r + shift) % H, (wc * ws + c + shift) % W)`.
    private func moveWindows(grid: GridShape, window ws: Int, shift: Int, gridTensor: Tensor, windowTensor: Tensor,
                             toWindows: Bool, accumulate: Bool) {
        let h = grid.height, w = grid.width, c = grid.channels
        let nwh = h / ws, nww = w / ws
        let pg = ptr(gridTensor), pw = ptr(windowTensor)
        let rowsTotal = grid.batch * nwh * nww * ws  // one window row of ws tokens per item
        parallelFor(rowsTotal, grain: max(1, 4096 / max(1, ws * c))) { range in
            for item in range {
                let r = item % ws
                let win = item / ws
                let b = win / (nwh * nww)
                let wr = (win / nww) % nwh, wc = win % nww
                let y = (wr * ws + r + shift) % h
                for cc in 0..<ws {
                    let xpos = (wc * ws + cc + shift) % w
                    let g = pg + ((b * h + y) * w + xpos) * c
                    let v = pw + (win * ws * ws + r * ws + cc) * c
                    if toWindows {
                        if accumulate { for j in 0..<c { v[j] += g[j] } } else { v.update(from: g, count: c) }
                    } else {
                        if accumulate { for j in 0..<c { g[j] += v[j] } } else { g.update(from: v, count: c) }
                    }
                }
            }
        }
    }

    public func patchMerge(_ x: Tensor, grid: GridShape, into out: Tensor) {
        mergeMove(grid: grid, x: x, merged: out, forward: true)
    }

    public func patchMergeBackward(_ dout: Tensor, grid: GridShape, into dx: Tensor) {
        mergeMove(grid: grid, x: dx, merged: dout, forward: false)
    }

    private func mergeMove(grid: GridShape, x: Tensor, merged: Tensor, forward: Bool) {
        let h = grid.height, w = grid.width, c = grid.channels
        let oh = h / 2, ow = w / 2
        let px = ptr(x), pm = ptr(merged)
        let offsets = [(0, 0), (1, 0), (0, 1), (1, 1)]  // (row, column) of each quarter
        parallelFor(grid.batch * oh, grain: 1) { range in
            for item in range {
                let b = item / oh, i = item % oh
                for j in 0..<ow {
                    let m = pm + ((b * oh + i) * ow + j) * 4 * c
                    for (q, (dr, dc)) in offsets.enumerated() {
                        let g = px + ((b * h + 2 * i + dr) * w + 2 * j + dc) * c
                        let part = m + q * c
                        if forward { part.update(from: g, count: c) } else { for e in 0..<c { g[e] += part[e] } }
                    }
                }
            }
        }
    }

    public func patchify(_ images: Tensor, batch: Int, channels: Int, height: Int, width: Int, patch: Int, into out: Tensor) {
        let hp = height / patch, wp = width / patch, cols = channels * patch * patch
        let pi = ptr(images), po = ptr(out)
        parallelFor(batch * hp, grain: 1) { range in
            for item in range {
                let b = item / hp, py = item % hp
                for px in 0..<wp {
                    let row = po + ((b * hp + py) * wp + px) * cols
                    for ci in 0..<channels {
                        for ky in 0..<patch {
                            let src = pi + ((b * channels + ci) * height + py * patch + ky) * width + px * patch
                            for kx in 0..<patch { row[(ci * patch + ky) * patch + kx] = src[kx] }
                        }
                    }
                }
            }
        }
    }

    public func flipLastAxis(_ x: Tensor, rows: Int, width: Int, into y: Tensor) {
        let px = ptr(x), py = ptr(y)
        parallelFor(rows, grain: max(1, 8192 / max(1, width))) { range in
            for r in range {
                let s = px + r * width, d = py + r * width
                for j in 0..<width { d[j] = s[width - 1 - j] }
            }
        }
    }
}
