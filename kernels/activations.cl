// Elementwise kernels: fill, copy, bias add, axpy, per-sample scales, exact GELU and its
// backward, row softmax. One work-item per element (or per row for softmax); every kernel guards
// against the rounded-up global size. Tensors are (buffer, element offset) pairs.

__kernel void fill(__global float* y, const int yOff, const int n, const float value) {
    const int i = get_global_id(0);
    if (i < n) y[yOff + i] = value;
}

__kernel void copy_elements(__global const float* x, const int xOff, __global float* y, const int yOff, const int n) {
    const int i = get_global_id(0);
    if (i < n) y[yOff + i] = x[xOff + i];
}

// x[r, c] += bias[c]; global size (cols, rows) rounded up.
__kernel void add_bias(__global float* x, const int xOff, __global const float* bias, const int bOff,
                       const int rows, const int cols) {
    const int c = get_global_id(0), r = get_global_id(1);
    if (c < cols && r < rows) x[xOff + r * cols + c] += bias[bOff + c];
}

// y += alpha * x.
__kernel void axpy(const float alpha, __global const float* x, const int xOff, __global float* y, const int yOff,
                   const int n) {
    const int i = get_global_id(0);
    if (i < n) y[yOff + i] += alpha * x[xOff + i];
}

// y[s, :] (+)= scales[s] * x[s, :] for samples of `per` elements each.
__kernel void scale_samples(__global const float* x, const int xOff, __global const float* scales,
                            __global float* y, const int yOff, const int per, const int n, const int accumulate) {
    const int i = get_global_id(0);
    if (i >= n) return;
    const float v = scales[i / per] * x[xOff + i];
    if (accumulate) y[yOff + i] += v; else y[yOff + i] = v;
}

// Exact GELU: 0.5 x (1 + erf(x / sqrt 2)).
__kernel void gelu_forward(__global const float* x, const int xOff, __global float* y, const int yOff, const int n) {
    const int i = get_global_id(0);
    if (i >= n) return;
    const float v = x[xOff + i];
    y[yOff + i] = 0.5f * v * (1.0f + erf(v * 0.70710678118654752f));
}

// dx = dy * (Phi(x) + x phi(x)); dx may alias dy (each item reads its element before writing it).
__kernel void gelu_backward(__global const float* x, const int xOff, __global const float* dy, const int dyOff,
                            __global float* dx, const int dxOff, const int n) {
    const int i = get_global_id(0);
    if (i >= n) return;
    const float v = x[xOff + i];
    const float cdf = 0.5f * (1.0f + erf(v * 0.70710678118654752f));
    const float pdf = exp(-0.5f * v * v) * 0.39894228040143268f;
    dx[dxOff + i] = dy[dyOff + i] * (cdf + v * pdf);
}

// Stable softmax of each row of a rows x cols matrix, one work-item per row; y may alias x.
__kernel void softmax_rows(__global const float* x, const int xOff, __global float* y, const int yOff,
                           const int rows, const int cols) {
    const int r = get_global_id(0);
    if (r >= rows) return;
    __global const float* in = x + xOff + r * cols;
    __global float* out = y + yOff + r * cols;
    float mx = -INFINITY;
    for (int j = 0; j < cols; ++j) mx = fmax(mx, in[j]);
    float sum = 0.0f;
    for (int j = 0; j < cols; ++j) { const float e = exp(in[j] - mx); out[j] = e; sum += e; }
    const float inv = 1.0f / sum;
    for (int j = 0; j < cols; ++j) out[j] *= inv;
}
