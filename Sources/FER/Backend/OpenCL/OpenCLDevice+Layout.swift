/// Layout ops of the OpenCL backend (kernels/layouts.cl): window partition with cyclic shift,
/// patch merging, patchify, flips; one work-item per element.
extension OpenCLDevice {
    public func windowPartition(_ x: Tensor, grid: GridShape, window: Int, shift: Int, into windows: Tensor, accumulate: Bool) {
        moveWindows(grid: grid, window: window, shift: shift, gridTensor: x, windowTensor: windows,
                    toWindows: true, accumulate: accumulate)
    }

    public func windowMerge(_ windows: Tensor, grid: GridShape, window: Int, shift: Int, into x: Tensor, accumulate: Bool) {
        moveWindows(grid: grid, window: window, shift: shift, gridTensor: x, windowTensor: windows,
                    toWindows: false, accumulate: accumulate)
    }

    private func moveWindows(grid: GridShape, window: Int, shift: Int, gridTensor: Tensor, windowTensor: Tensor,
                             toWindows: Bool, accumulate: Bool) {
        if tuning.rowKernels {
            launch1D("window_move_rows", grid.tokens, [
                .tensor(gridTensor), .tensor(windowTensor), .int(grid.height), .int(grid.width), .int(grid.channels),
                .int(window), .int(shift), .int(grid.tokens), .int(toWindows ? 1 : 0), .int(accumulate ? 1 : 0),
            ])
            return
        }
        launch1D("window_move", grid.count, [
            .tensor(gridTensor), .tensor(windowTensor), .int(grid.height), .int(grid.width), .int(grid.channels),
            .int(window), .int(shift), .int(grid.count), .int(toWindows ? 1 : 0), .int(accumulate ? 1 : 0),
        ])
    }

    public func patchMerge(_ x: Tensor, grid: GridShape, into out: Tensor) {
        mergeMove(grid: grid, x: x, merged: out, forward: true)
    }

    public func patchMergeBackward(_ dout: Tensor, grid: GridShape, into dx: Tensor) {
        mergeMove(grid: grid, x: dx, merged: dout, forward: false)
    }

    private func mergeMove(grid: GridShape, x: Tensor, merged: Tensor, forward: Bool) {
        let shape: [KernelArgument] = [.int(grid.height), .int(grid.width), .int(grid.channels)]
        if tuning.rowKernels {
            let tokens = grid.tokens / 4
            launch1D("patch_merge_rows", tokens, [.tensor(x), .tensor(merged)] + shape + [.int(tokens), .int(forward ? 1 : 0)])
        } else {
            launch1D("patch_merge", grid.count, [.tensor(x), .tensor(merged)] + shape + [.int(grid.count), .int(forward ? 1 : 0)])
        }
    }

    public func patchify(_ images: Tensor, batch: Int, channels: Int, height: Int, width: Int, patch: Int, into out: Tensor) {
        let total = batch * (height / patch) * (width / patch) * channels * patch * patch
        launch1D("patchify", total, [.tensor(images), .tensor(out), .int(channels), .int(height), .int(width),
                                     .int(patch), .int(total)])
    }

    public func flipLastAxis(_ x: Tensor, rows: Int, width: Int, into y: Tensor) {
        launch1D("flip_last_axis", rows * width, [.tensor(x), .tensor(y), .int(width), .int(rows * width)])
    }
}
