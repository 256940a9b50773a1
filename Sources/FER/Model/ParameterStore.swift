/// The model's parameters and their gradients on one device: two flat buffers laid out by a
/// `ParameterLayout`, with a named view into each for every parameter.
public final class ParameterStore {
    public let device: Device
    public let layout: ParameterLayout
    /// All parameter values, back to back.
    public let values: Tensor
    /// All parameter gradients, same layout as `values`; backward passes accumulate into it.
    public let gradients: Tensor

    public init(layout: ParameterLayout, device: Device) throws {
        self.device = device
        self.layout = layout
        values = try device.makeTensor([layout.totalCount])
        gradients = try device.makeTensor([layout.totalCount])
    }

    /// The value view of a parameter the model itself declared (its names are fixed at build time).
    func value(_ name: String) -> Tensor { view(values, name) }
    func gradient(_ name: String) -> Tensor { view(gradients, name) }

    private func view(_ flat: Tensor, _ name: String) -> Tensor {
        guard let spec = layout.spec(named: name) else {
            preconditionFailure("the model asked for parameter '\(name)', which its layout does not declare")
        }
        return flat.slice(start: spec.offset, shape: spec.shape)
    }

    public func zeroGradients() { device.fill(gradients, with: 0) }

    /// Host copies of every parameter, by name.
    public func hostValues() throws -> [String: (shape: [Int], values: [Float])] {
        try hostTensors(values)
    }

    public func hostGradients() throws -> [String: (shape: [Int], values: [Float])] {
        try hostTensors(gradients)
    }

    private func hostTensors(_ flat: Tensor) throws -> [String: (shape: [Int], values: [Float])] {
        let all = try device.read(flat)
        var out: [String: (shape: [Int], values: [Float])] = [:]
        for spec in layout.specs {
            out[spec.name] = (spec.shape, Array(all[spec.offset..<(spec.offset + spec.count)]))
        }
        return out
    }

    /// Replaces every value from one flat host array in layout order.
    public func load(flat: [Float]) throws {
        precondition(flat.count == layout.totalCount, "flat parameter array of \(flat.count), layout needs \(layout.totalCount)")
        try device.write(flat, to: values)
    }
}
