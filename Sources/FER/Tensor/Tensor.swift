/// Storage that belongs to one device. Only the backend that made a buffer looks inside it;
/// everything above the backends sees it as an opaque handle.
public protocol DeviceBuffer: AnyObject {
    /// Number of fp32 elements the buffer holds.
    var count: Int { get }
}

/// An fp32 tensor: a row-major view of `shape` into a device buffer, starting at `offset` elements.
///
/// Tensors are cheap values; several can view one buffer (the flat parameter buffer hands out one
/// view per named parameter). The element type is fp32 throughout; the layout is always contiguous
/// row-major, so a shape and an offset describe a view completely.
public struct Tensor {
    public let buffer: DeviceBuffer
    public let offset: Int
    public let shape: [Int]

    public init(buffer: DeviceBuffer, offset: Int = 0, shape: [Int]) {
        self.buffer = buffer
        self.offset = offset
        self.shape = shape
    }

    /// Number of elements.
    public var count: Int { shape.reduce(1, *) }

    /// The same elements seen with another shape of equal element count.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        precondition(newShape.reduce(1, *) == count, "reshape \(shape) -> \(newShape) changes the element count")
        return Tensor(buffer: buffer, offset: offset, shape: newShape)
    }

    /// A contiguous sub-range of the elements, `start` counted from this view's first element.
    public func slice(start: Int, shape newShape: [Int]) -> Tensor {
        let n = newShape.reduce(1, *)
        precondition(start >= 0 && start + n <= count, "slice [\(start), \(start + n)) outside a tensor of \(count) elements")
        return Tensor(buffer: buffer, offset: offset + start, shape: newShape)
    }

    /// Rows `range` of the first axis.
    public func rows(_ range: Range<Int>) -> Tensor {
        let rowSize = shape.dropFirst().reduce(1, *)
        return slice(start: range.lowerBound * rowSize, shape: [range.count] + shape.dropFirst())
    }
}

/// Human-readable shape, e.g. `[2, 3, 112, 112]`.
public func describe(shape: [Int]) -> String { "[" + shape.map(String.init).joined(separator: ", ") + "]" }
