import Foundation

/// Where a sampler stands: the epoch and the index of the next batch within it. Stored in training
/// state files so a resumed run continues with the same batches.
public struct SamplerPosition: Codable, Equatable, Sendable {
    public var epoch: Int
    public var batch: Int
    public init(epoch: Int = 0, batch: Int = 0) { self.epoch = epoch; self.batch = batch }

    /// The position after this one: the next batch, or the first of the next epoch.
    public func next(batchesPerEpoch: Int) -> SamplerPosition {
        batch + 1 >= batchesPerEpoch ? SamplerPosition(epoch: epoch + 1, batch: 0) : SamplerPosition(epoch: epoch, batch: batch + 1)
    }
}

/// One batch of model inputs.
public struct Batch: Sendable {
    /// Normalized images, NCHW, `labels.count` of them.
    public var images: [Float]
    public var labels: [Int]
    /// The sampler position this batch was drawn at.
    public var position: SamplerPosition
}

/// Decodes and preprocesses batches on a background thread, a few batches ahead of the consumer.
///
/// Training order: each epoch is a seeded permutation of the samples, cut into full batches (the
/// incomplete last batch is dropped, like the reference). Each sample's augmentation generator is
/// derived from (seed, epoch, position in epoch), so the batches are identical whatever the thread
/// timing, and a loader started at a saved `SamplerPosition` continues the exact sequence.
/// Evaluation order: the samples in order, one pass, the last batch possibly smaller.
public final class BatchLoader: @unchecked Sendable {
    public let samples: [LabeledImage]
    public let batchSize: Int
    public let training: Bool
    public let pipeline: ImagePipeline
    public let seed: UInt64
    public var batchesPerEpoch: Int {
        training ? samples.count / batchSize : (samples.count + batchSize - 1) / batchSize
    }

    private let condition = NSCondition()
    private var ready: [Result<Batch, Error>] = []
    private var cancelled = false
    private var finished = false
    private let capacity: Int
    private var thread: Thread?

    public init(samples: [LabeledImage], pipeline: ImagePipeline, batchSize: Int, training: Bool, seed: UInt64,
                start: SamplerPosition = SamplerPosition(), prefetch: Int = 2) throws {
        guard batchSize > 0 else { throw LoaderError.badBatch("batch size must be positive, got \(batchSize)") }
        if training && samples.count < batchSize {
            throw LoaderError.badBatch("the training split has \(samples.count) images, fewer than one batch of \(batchSize)")
        }
        self.samples = samples
        self.pipeline = pipeline
        self.batchSize = batchSize
        self.training = training
        self.seed = seed
        self.capacity = max(1, prefetch)
        let thread = Thread { [weak self] in self?.produce(from: start) }
        thread.name = "fer-loader"
        self.thread = thread
        thread.start()
    }

    deinit { stop() }

    /// Stops the background thread; pending batches are dropped.
    public func stop() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }

    /// The next batch, waiting for it if needed; nil after the single evaluation pass.
    public func next() throws -> Batch? {
        condition.lock()
        defer { condition.unlock() }
        while ready.isEmpty && !finished { condition.wait() }
        if ready.isEmpty { return nil }
        let item = ready.removeFirst()
        condition.broadcast()
        return try item.get()
    }

    /// Sample indices of batch `position` (training: within that epoch's permutation).
    public func indices(at position: SamplerPosition) -> [Int] {
        let lo = position.batch * batchSize
        let hi = min(samples.count, lo + batchSize)
        guard training else { return Array(lo..<hi) }
        let order = permutation(epoch: position.epoch)
        return Array(order[lo..<hi])
    }

    func permutation(epoch: Int) -> [Int] {
        var rng = SeededRandom(seed: mix(seed, 0x5EED_0000 &+ UInt64(epoch)))
        var order = Array(0..<samples.count)
        if order.count > 1 {
            for i in stride(from: order.count - 1, to: 0, by: -1) {
                let j = Int(rng.next() % UInt64(i + 1))
                order.swapAt(i, j)
            }
        }
        return order
    }

    private func produce(from start: SamplerPosition) {
        var position = start
        var cachedEpoch = -1
        var order: [Int] = []
        while true {
            condition.lock()
            while ready.count >= capacity && !cancelled { condition.wait() }
            let stop = cancelled
            condition.unlock()
            if stop { return }
            if !training && position.batch >= batchesPerEpoch {
                condition.lock(); finished = true; condition.broadcast(); condition.unlock()
                return
            }
            if training && position.epoch != cachedEpoch {
                order = permutation(epoch: position.epoch)
                cachedEpoch = position.epoch
            }
            let lo = position.batch * batchSize
            let hi = min(samples.count, lo + batchSize)
            let chosen = training ? Array(order[lo..<hi]) : Array(lo..<hi)
            let result = Result { try makeBatch(chosen, position: position) }
            condition.lock()
            ready.append(result)
            condition.broadcast()
            condition.unlock()
            if case .failure = result {
                condition.lock(); finished = true; condition.unlock()
                return
            }
            if training {
                position = position.next(batchesPerEpoch: batchesPerEpoch)
            } else {
                position.batch += 1
            }
        }
    }

    private func makeBatch(_ chosen: [Int], position: SamplerPosition) throws -> Batch {
        let perImage = 3 * pipeline.imageSize * pipeline.imageSize
        var images = [Float](repeating: 0, count: chosen.count * perImage)
        var errors = [Error?](repeating: nil, count: chosen.count)
        images.withUnsafeMutableBufferPointer { out in
            errors.withUnsafeMutableBufferPointer { errs in
                DispatchQueue.concurrentPerform(iterations: chosen.count) { slot in
                    let sample = samples[chosen[slot]]
                    do {
                        let image = try ImageCodec.decodeFile(atPath: sample.path)
                        let values: [Float]
                        if training {
                            var rng = SeededRandom(seed: mix(seed, UInt64(position.epoch) << 32 | UInt64(position.batch * batchSize + slot)))
                            values = pipeline.train(image, rng: &rng)
                        } else {
                            values = pipeline.evaluate(image)
                        }
                        for i in 0..<perImage { out[slot * perImage + i] = values[i] }
                    } catch {
                        errs[slot] = LoaderError.badImage(origin: sample.origin, underlying: "\(error)")
                    }
                }
            }
        }
        if let error = errors.compactMap({ $0 }).first { throw error }
        return Batch(images: images, labels: chosen.map { samples[$0].label }, position: position)
    }
}

/// A well-mixed 64-bit combination of two values (SplitMix64 finalizer), for deriving seeds.
@inline(__always)
public func mix(_ a: UInt64, _ b: UInt64) -> UInt64 {
    var z = a &+ 0x9E37_79B9_7F4A_7C15 &* (b &+ 1)
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}

public enum LoaderError: Error, CustomStringConvertible {
    case badBatch(String)
    case badImage(origin: String, underlying: String)

    public var description: String {
        switch self {
        case .badBatch(let why): return why
        case let .badImage(origin, underlying): return "\(origin): \(underlying) (pass --skip-bad to skip unreadable images)"
        }
    }
}
