/// Branch-free fp32 math for the CPU backend's hot loops. Unlike libm calls these inline into
/// straight-line arithmetic, so loops over them vectorize.

/// `e^x` for `x <= 0` (inputs below -87 give ~0), relative error below 2e-7: `x = k ln 2 + r` with
/// `|r| <= ln 2 / 2`, a degree-6 Taylor polynomial for `e^r`, and `2^k` built in the exponent bits.
@inline(__always)
func expNonPositive(_ x: Float) -> Float {
    let x = max(x, -87)
    // Adding 1.5 * 2^23 rounds x / ln 2 to the nearest integer k, which then sits in the low
    // mantissa bits: no float-to-int conversion, so the loop stays vectorizable.
    let shifted = x * 1.44269504088896341 + 12_582_912
    let k = shifted - 12_582_912
    let r = (x - k * 0.693145751953125) - k * 1.428606765330187e-06
    var p: Float = 1.0 / 720
    p = p * r + 1.0 / 120
    p = p * r + 1.0 / 24
    p = p * r + 1.0 / 6
    p = p * r + 0.5
    p = p * r + 1
    p = p * r + 1
    let scale = Float(bitPattern: (shifted.bitPattern &- 0x4B40_0000 &+ 127) &<< 23)
    return p * scale
}

/// `(erf(x / sqrt 2), e^{-x^2 / 2})` for GELU: Abramowitz-Stegun 7.1.26 (absolute error below
/// 1.5e-7), sharing the exponential with the GELU derivative.
@inline(__always)
func erfHalfAndGaussian(_ x: Float) -> (erf: Float, gaussian: Float) {
    let u = abs(x) * 0.70710678118654752
    let t = 1 / (1 + 0.3275911 * u)
    var poly: Float = 1.061405429
    poly = poly * t - 1.453152027
    poly = poly * t + 1.421413741
    poly = poly * t - 0.284496736
    poly = poly * t + 0.254829592
    poly *= t
    let g = expNonPositive(-0.5 * x * x)
    let e = 1 - poly * g
    return (x < 0 ? -e : e, g)
}

/// `erf(x)` without an exponential, for GELU's forward pass: Abramowitz-Stegun 7.1.28
/// (`1 - 1 / (1 + a1 u + ... + a6 u^6)^16`), absolute error below 1.2e-6 in fp32 (3e-7 in exact
/// arithmetic). About twice as fast as the exp-based form; backward still needs the Gaussian.
@inline(__always)
func erfPolynomial(_ x: Float) -> Float {
    let u = abs(x)
    var p: Float = 0.0000430638
    p = p * u + 0.0002765672
    p = p * u + 0.0001520143
    p = p * u + 0.0092705272
    p = p * u + 0.0422820123
    p = p * u + 0.0705230784
    p = p * u + 1
    var q = p * p
    q = q * q
    q = q * q
    q = q * q
    return Float(signOf: x, magnitudeOf: 1 - 1 / q)
}

/// `sum_j a[j] * b[j]` with eight independent lanes, so the reduction vectorizes (the compiler may
/// not reorder a scalar float sum).
@inline(__always)
func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ n: Int) -> Float {
    var acc = SIMD8<Float>(repeating: 0)
    var j = 0
    while j + 8 <= n {
        acc += UnsafeRawPointer(a + j).loadUnaligned(as: SIMD8<Float>.self)
            * UnsafeRawPointer(b + j).loadUnaligned(as: SIMD8<Float>.self)
        j += 8
    }
    var s = acc.sum()
    while j < n { s += a[j] * b[j]; j += 1 }
    return s
}

/// `(sum_j a[j], sum_j a[j]^2)` with eight lanes.
@inline(__always)
func sumAndSquares(_ a: UnsafePointer<Float>, _ n: Int) -> (Float, Float) {
    var s1 = SIMD8<Float>(repeating: 0), s2 = SIMD8<Float>(repeating: 0)
    var j = 0
    while j + 8 <= n {
        let v = UnsafeRawPointer(a + j).loadUnaligned(as: SIMD8<Float>.self)
        s1 += v
        s2 += v * v
        j += 8
    }
    var t1 = s1.sum(), t2 = s2.sum()
    while j < n { t1 += a[j]; t2 += a[j] * a[j]; j += 1 }
    return (t1, t2)
}
