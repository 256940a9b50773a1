// Reductions: column sums (bias gradients, layer-norm parameter gradients), mean over tokens and
// its backward, and the sum of squares into a one-element device buffer (gradient norms).
// Float sums across work-items never use atomics: a first kernel writes per-chunk or per-group
// partials and a second one reduces them in a fixed order, so results are deterministic.

#ifndef RED_WG
#define RED_WG 256     // work-group size of the group reductions (a power of two)
#endif

// partial[chunk * pStride + c] = sum of x[r, c] over rows r of the chunk; global (cols, chunks).
__kernel void column_partials(__global const float* x, const int xOff, const int rows, const int cols,
                              const int rowsPerChunk, __global float* partial, const int pOff, const int pStride) {
    const int c = get_global_id(0), chunk = get_global_id(1);
    const int r0 = chunk * rowsPerChunk;
    if (c >= cols || r0 >= rows) return;
    const int r1 = min(rows, r0 + rowsPerChunk);
    float s = 0.0f;
    for (int r = r0; r < r1; ++r) s += x[xOff + r * cols + c];
    partial[pOff + chunk * pStride + c] = s;
}

// out[c] (+)= sum over chunks of partial[pOff + chunk * pStride + c]; global (cols).
__kernel void column_reduce(__global const float* partial, const int pOff, const int pStride, const int chunks,
                            const int cols, __global float* out, const int outOff, const int accumulate) {
    const int c = get_global_id(0);
    if (c >= cols) return;
    float s = 0.0f;
    for (int k = 0; k < chunks; ++k) s += partial[pOff + k * pStride + c];
    out[outOff + c] = accumulate ? out[outOff + c] + s : s;
}

// out[b, c] = mean over n of x[b, n, c]; global (channels, batch).
__kernel void mean_tokens(__global const float* x, const int xOff, const int batch, const int tokens,
                          const int channels, __global float* out, const int outOff) {
    const int c = get_global_id(0), b = get_global_id(1);
    if (c >= channels || b >= batch) return;
    float s = 0.0f;
    for (int n = 0; n < tokens; ++n) s += x[xOff + (b * tokens + n) * channels + c];
    out[outOff + b * channels + c] = s * (1.0f / (float)tokens);
}

// dx[b, n, c] += dout[b, c] / tokens; one item per element of dx.
__kernel void mean_tokens_backward(__global const float* dout, const int dOff, const int tokens, const int channels,
                                   const int total, __global float* dx, const int dxOff) {
    const int i = get_global_id(0);
    if (i >= total) return;
    const int c = i % channels, b = i / (tokens * channels);
    dx[dxOff + i] += dout[dOff + b * channels + c] * (1.0f / (float)tokens);
}

float group_sum_red(__local float* scratch, float v) {
    const int lid = get_local_id(0);
    scratch[lid] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int off = RED_WG / 2; off > 0; off >>= 1) {
        if (lid < off) scratch[lid] += scratch[lid + off];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    const float r = scratch[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return r;
}

// partial[group] = sum of x[i]^2 over a grid-stride loop; work-groups of RED_WG items.
__kernel __attribute__((reqd_work_group_size(RED_WG, 1, 1)))
void sum_squares_partial(__global const float* x, const int xOff, const int n, __global float* partial,
                         const int pOff) {
    __local float scratch[RED_WG];
    float s = 0.0f;
    for (int i = get_global_id(0); i < n; i += get_global_size(0)) { const float v = x[xOff + i]; s += v * v; }
    s = group_sum_red(scratch, s);
    if (get_local_id(0) == 0) partial[pOff + get_group_id(0)] = s;
}

// out[0] (+)= sum of the `count` partials; one work-group of RED_WG items.
__kernel __attribute__((reqd_work_group_size(RED_WG, 1, 1)))
void sum_squares_final(__global const float* partial, const int pOff, const int count, __global float* out, const int outOff,
                       const int accumulate) {
    __local float scratch[RED_WG];
    float s = 0.0f;
    for (int i = get_local_id(0); i < count; i += RED_WG) s += partial[pOff + i];
    s = group_sum_red(scratch, s);
    if (get_local_id(0) == 0) out[outOff] = accumulate ? out[outOff] + s : s;
}
