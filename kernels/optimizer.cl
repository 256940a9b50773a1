// AdamW (PyTorch semantics: decoupled weight decay, bias correction) over the flat parameter
// buffer, with clipping by total gradient norm folded in. The clip coefficient is computed here,
// on the device, from gradNormSquared[0] (written by sum_squares_*), so a training step needs no
// host round-trip for it. Bias corrections depend only on the step number and come from the host.
//   coef = clip ? min(1, maxNorm / (sqrt(gradNormSquared) + 1e-6)) : 1
//   g = grad * coef;  m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
//   p = p * (1 - lr wd) - stepSize * m / (sqrt(v) / bc2Sqrt + eps),  stepSize = lr / bc1
__kernel void adamw(__global float* params, const int pOff, __global const float* grads, const int gOff,
                    __global float* m, const int mOff, __global float* v, const int vOff,
                    __global const float* gradNormSquared, const int nOff, const int clip, const float maxNorm,
                    const float decay, const float stepSize, const float bc2Sqrt, const float beta1,
                    const float beta2, const float eps, const int n) {
    const int i = get_global_id(0);
    if (i >= n) return;
    float coef = 1.0f;
    if (clip) coef = fmin(1.0f, maxNorm / (sqrt(gradNormSquared[nOff]) + 1e-6f));
    const float g = grads[gOff + i] * coef;
    const float mi = beta1 * m[mOff + i] + (1.0f - beta1) * g;
    const float vi = beta2 * v[vOff + i] + (1.0f - beta2) * g * g;
    m[mOff + i] = mi;
    v[vOff + i] = vi;
    params[pOff + i] = params[pOff + i] * decay - stepSize * mi / (sqrt(vi) / bc2Sqrt + eps);
}
