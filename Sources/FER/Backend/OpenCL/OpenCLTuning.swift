/// Kernel parameters chosen per device: which GEMM family runs and its tile sizes, and the
/// work-group sizes of the other kernels. They reach the kernels as `-D` defines in the program's
/// build options, so the kernels hold no tile constants of their own (the CLBlast way).
///
/// The table is small on purpose: a CPU entry (PoCL and CPU drivers: no local memory, wide vector
/// rows, several outputs per work-item) and GPU entries (local-memory tiles). The first entry whose
/// device type and vendor match wins; `gpuDefault` serves any other GPU or accelerator.
public struct OpenCLTuning: Equatable, CustomStringConvertible {
    public enum GemmFamily: String {
        /// `gemm_rb_*`: register-blocked, no local memory (CPU-shaped).
        case registerBlocked = "rb"
        /// `gemm_lt_*`: local-memory tiles (GPU-shaped).
        case localTiles = "lt"
    }

    /// Table entry name, for logs (`cpu`, `nvidia-gpu`, ...).
    public var name: String
    public var gemm: GemmFamily
    /// Register-blocked GEMM: rows per work-item, vector width of a row (columns per work-item),
    /// the K block a work-group walks in step (cache blocking), and the work-group shape (columns x
    /// rows of work-items).
    public var rbRows = 8, rbVectorWidth = 16, rbBlockK = 128, rbGroupX = 4, rbGroupY = 4
    /// Local-tile GEMM: the work-group's tile (M x N x K) and each work-item's share (M x N).
    public var ltTileM = 64, ltTileN = 64, ltTileK = 16, ltWorkM = 4, ltWorkN = 4
    /// Split-K: a single product whose C gives fewer than `splitKGroupsPerUnit * computeUnits`
    /// work-groups is split along K into slices of at least `splitKMinSlice`; 0 disables it.
    public var splitKGroupsPerUnit = 0, splitKMinSlice = 512
    /// Work-group sizes (powers of two): layer norm rows, reductions, window attention, 1-D kernels.
    public var normGroup = 64, reduceGroup = 256, attentionGroup = 64, elementGroup = 256
    /// Row kernels: layer norm, window moves and window attention with one work-item per row or
    /// token (CPU-shaped) instead of work spread over a group per row (GPU-shaped).
    public var rowKernels = false
    /// Most tokens per window the row-shaped attention kernels hold in private memory (`ATT_MAXN`).
    public var attentionMaxTokens = 64

    public var description: String {
        switch gemm {
        case .registerBlocked:
            return "\(name): gemm rb \(rbRows)x\(rbVectorWidth) per item, k block \(rbBlockK), group \(rbGroupX)x\(rbGroupY)"
                + (rowKernels ? ", row kernels" : "")
        case .localTiles:
            return "\(name): gemm lt \(ltTileM)x\(ltTileN)x\(ltTileK), \(ltWorkM)x\(ltWorkN) per item"
                + (splitKGroupsPerUnit > 0 ? ", split-K" : "")
        }
    }

    /// The `-D` defines passed to the program build.
    var defines: [String: Int] {
        ["RB_TM": rbRows, "RB_VW": rbVectorWidth, "RB_KB": rbBlockK,
         "LT_TSM": ltTileM, "LT_TSN": ltTileN, "LT_TSK": ltTileK, "LT_WPTM": ltWorkM, "LT_WPTN": ltWorkN,
         "NORM_WG": normGroup, "RED_WG": reduceGroup, "ATT_WG": attentionGroup, "ATT_MAXN": attentionMaxTokens]
    }

    /// Work-items per work-group of the local-tile GEMM.
    var ltGroupSize: Int { (ltTileM / ltWorkM) * (ltTileN / ltWorkN) }

    /// CPU devices. On PoCL (2 AVX-512 cores, best of 8, machine shared) the register-blocked GEMM
    /// runs 1024^3 at ~70 GFLOP/s and the Swin shape 25088x288x96 at ~58, against 3-4 for the
    /// local-tile kernels; the row kernels beat group-per-row ones several times over.
    public static let cpu = OpenCLTuning(name: "cpu", gemm: .registerBlocked, rowKernels: true)
    /// NVIDIA and AMD GPUs: 64x64x16 tiles in local memory, 4x4 outputs per work-item (256 items).
    public static let largeGPU = OpenCLTuning(name: "gpu-64", gemm: .localTiles, splitKGroupsPerUnit: 2,
                                              normGroup: 128, reduceGroup: 256, attentionGroup: 128)
    /// Any other GPU or accelerator (Intel, mobile): 32x32x16 tiles, 4x4 per item (64 items).
    public static let gpuDefault = OpenCLTuning(name: "gpu-32", gemm: .localTiles, ltTileM: 32, ltTileN: 32,
                                                splitKGroupsPerUnit: 2, normGroup: 64, reduceGroup: 128,
                                                attentionGroup: 64, elementGroup: 128)

    /// The table: (device is a GPU?, vendor substring or nil for any, entry). First match wins.
    static let table: [(gpu: Bool, vendor: String?, tuning: OpenCLTuning)] = [
        (false, nil, .cpu),
        (true, "NVIDIA", .largeGPU),
        (true, "Advanced Micro Devices", .largeGPU),
        (true, "AMD", .largeGPU),
    ]

    /// The tile-table entry `OpenCLDevice` uses on `device` (for `fer devices` and logs).
    public static func forDevice(_ device: OpenCLDeviceInfo) -> OpenCLTuning {
        choose(isCPU: device.type == "CPU", vendor: device.vendor, maxWorkGroupSize: device.maxWorkGroupSize)
    }

    /// The entry for a device, shrunk if the device's work-group limit is below the entry's sizes.
    static func choose(isCPU: Bool, vendor: String, maxWorkGroupSize: Int) -> OpenCLTuning {
        var t = table.first(where: { $0.gpu != isCPU && ($0.vendor.map { vendor.contains($0) } ?? true) })?.tuning
            ?? .gpuDefault
        t.fit(maxWorkGroupSize: maxWorkGroupSize)
        return t
    }

    /// Halves the group sizes (and the local tiles) until they fit `maxWorkGroupSize`.
    mutating func fit(maxWorkGroupSize limit: Int) {
        let cap = max(1, limit)
        while normGroup > cap { normGroup /= 2 }
        while reduceGroup > cap { reduceGroup /= 2 }
        while attentionGroup > cap { attentionGroup /= 2 }
        while elementGroup > cap { elementGroup /= 2 }
        while gemm == .localTiles && ltGroupSize > cap && ltTileM > ltWorkM {
            ltTileM /= 2; ltTileN /= 2
        }
    }
}
