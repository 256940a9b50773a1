/// Which training-time augmentations run (`--augment`).
public enum AugmentPolicy: String, CaseIterable, Codable, Sendable {
    /// The reference recipe: random horizontal flip, RandAugment rand-m9-mstd0.5-inc1, random erasing p 0.25.
    case reference
    /// Random horizontal flip only.
    case flip
    /// Nothing (evaluation-style preprocessing).
    case none
}

/// Turns a decoded image into the model's input: resize to the input size (bicubic, as the
/// reference), the training augmentations of `policy`, then normalization to `(p/255 - 0.5)/0.5`
/// in CHW order. Deterministic for a given generator state.
public struct ImagePipeline: Sendable {
    public var imageSize: Int
    public var policy: AugmentPolicy
    let randAugment = RandAugment()
    let erasing = RandomErasing()

    public init(imageSize: Int, policy: AugmentPolicy) {
        self.imageSize = imageSize; self.policy = policy
    }

    /// Training preprocessing with augmentations drawn from `rng`.
    public func train(_ image: RGBImage, rng: inout SeededRandom) -> [Float] {
        var img = resize(image)
        if policy != .none && rng.uniform() < 0.5 { img = img.horizontallyFlipped() }
        if policy == .reference { img = randAugment(img, rng: &rng) }
        var chw = img.normalizedCHW()
        if policy == .reference {
            erasing.apply(to: &chw, channels: 3, height: imageSize, width: imageSize, rng: &rng)
        }
        return chw
    }

    /// Evaluation preprocessing: resize and normalize only.
    public func evaluate(_ image: RGBImage) -> [Float] { resize(image).normalizedCHW() }

    func resize(_ image: RGBImage) -> RGBImage {
        image.width == imageSize && image.height == imageSize
            ? image : image.resized(width: imageSize, height: imageSize, filter: .bicubic)
    }
}
