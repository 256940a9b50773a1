extension SwinConfig {
    /// Floating-point operations (2 per multiply-add) of one image's forward pass: patch embedding,
    /// every block's qkv/attention/projection/MLP, patch merging, and the head with its maps.
    /// Swin-T at 112x112 gives 8.96 GFLOP; a MEK training sample (image + flip, forward + backward)
    /// is 6 times that.
    public var forwardFLOPs: Double {
        var macs = 0.0
        let t0 = Double(stageResolution(0) * stageResolution(0))
        macs += t0 * Double(inChannels * patchSize * patchSize * embedDim)
        for s in 0..<stageCount {
            let t = Double(stageResolution(s) * stageResolution(s))
            let c = Double(stageDim(s))
            let n = Double(stageWindow(s) * stageWindow(s))
            let block = t * (4 * c * c + 2 * Double(mlpRatio) * c * c + 2 * n * c)
            macs += block * Double(depths[s])
            if s < stageCount - 1 { macs += t / 4 * (4 * c) * (2 * c) }
        }
        let tf = Double(finalResolution * finalResolution)
        macs += tf * Double(featureDim * numClasses) + Double(featureDim * numClasses)
        return 2 * macs
    }
}
