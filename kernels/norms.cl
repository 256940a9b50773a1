// Fused layer norm over the last axis of a rows x cols matrix, forward and backward.
// Forward and the dx part of backward come in two shapes: one work-group of NORM_WG items per row,
// reducing in local memory (GPU), and `_rows`, one work-item per row looping over its columns (CPU:
// no barriers, and PoCL pays per work-group). Both take two passes, mean then centred squares,
// like the CPU reference. The weight and bias
// gradients sum over rows: layer_norm_param_partials writes per-chunk partials and the
// column_reduce kernel of reductions.cl adds them up, so no float atomics are needed.

#ifndef NORM_WG
#define NORM_WG 64     // work-group size per row (a power of two)
#endif

float group_sum_norm(__local float* scratch, float v) {
    const int lid = get_local_id(0);
    scratch[lid] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int off = NORM_WG / 2; off > 0; off >>= 1) {
        if (lid < off) scratch[lid] += scratch[lid + off];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    const float r = scratch[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return r;
}

// y = (x - mean) * rstd * w + b per row; saves mean and rstd = 1 / sqrt(var + eps). Global (rows * NORM_WG).
__kernel __attribute__((reqd_work_group_size(NORM_WG, 1, 1)))
void layer_norm_forward(__global const float* x, const int xOff, __global const float* w, const int wOff,
                        __global const float* b, const int bOff, __global float* y, const int yOff,
                        __global float* mean, const int meanOff, __global float* rstd, const int rstdOff,
                        const int cols, const float eps) {
    __local float scratch[NORM_WG];
    const int row = get_group_id(0), lid = get_local_id(0);
    __global const float* in = x + xOff + row * cols;
    __global float* out = y + yOff + row * cols;
    const float invN = 1.0f / (float)cols;
    float s = 0.0f;
    for (int j = lid; j < cols; j += NORM_WG) s += in[j];
    const float mu = group_sum_norm(scratch, s) * invN;
    float sq = 0.0f;
    for (int j = lid; j < cols; j += NORM_WG) { const float d = in[j] - mu; sq += d * d; }
    const float rs = 1.0f / sqrt(group_sum_norm(scratch, sq) * invN + eps);
    if (lid == 0) { mean[meanOff + row] = mu; rstd[rstdOff + row] = rs; }
    for (int j = lid; j < cols; j += NORM_WG) out[j] = (in[j] - mu) * rs * w[wOff + j] + b[bOff + j];
}

// dx += rstd * (g w - mean(g w) - xhat * mean(g w xhat)) per row. Global (rows * NORM_WG).
__kernel __attribute__((reqd_work_group_size(NORM_WG, 1, 1)))
void layer_norm_backward_dx(__global const float* dy, const int dyOff, __global const float* x, const int xOff,
                            __global const float* w, const int wOff, __global const float* mean, const int meanOff,
                            __global const float* rstd, const int rstdOff, __global float* dx, const int dxOff,
                            const int cols) {
    __local float scratch[NORM_WG];
    const int row = get_group_id(0), lid = get_local_id(0);
    __global const float* in = x + xOff + row * cols;
    __global const float* g = dy + dyOff + row * cols;
    __global float* out = dx + dxOff + row * cols;
    const float mu = mean[meanOff + row], rs = rstd[rstdOff + row];
    const float invN = 1.0f / (float)cols;
    float sg = 0.0f, sgx = 0.0f;
    for (int j = lid; j < cols; j += NORM_WG) {
        const float gw = g[j] * w[wOff + j];
        sg += gw;
        sgx += gw * (in[j] - mu) * rs;
    }
    const float mG = group_sum_norm(scratch, sg) * invN;
    const float mGX = group_sum_norm(scratch, sgx) * invN;
    for (int j = lid; j < cols; j += NORM_WG) {
        const float xhat = (in[j] - mu) * rs;
        out[j] += rs * (g[j] * w[wOff + j] - mG - xhat * mGX);
    }
}

// partial[chunk * 2 cols + c] = sum g * xhat, partial[chunk * 2 cols + cols + c] = sum g over the
// rows of the chunk. Global (cols, chunks).
__kernel void layer_norm_param_partials(__global const float* dy, const int dyOff, __global const float* x,
                                        const int xOff, __global const float* mean, const int meanOff,
                                        __global const float* rstd, const int rstdOff, const int rows,
                                        const int cols, const int rowsPerChunk, __global float* partial,
                                        const int pOff) {
    const int c = get_global_id(0), chunk = get_global_id(1);
    const int r0 = chunk * rowsPerChunk;
    if (c >= cols || r0 >= rows) return;
    const int r1 = min(rows, r0 + rowsPerChunk);
    float sw = 0.0f, sb = 0.0f;
    for (int r = r0; r < r1; ++r) {
        const float g = dy[dyOff + r * cols + c];
        sw += g * (x[xOff + r * cols + c] - mean[meanOff + r]) * rstd[rstdOff + r];
        sb += g;
    }
    partial[pOff + chunk * 2 * cols + c] = sw;
    partial[pOff + chunk * 2 * cols + cols + c] = sb;
}

// layer_norm_forward with one work-item per row. Global (rows).
__kernel void layer_norm_forward_rows(__global const float* x, const int xOff, __global const float* w, const int wOff,
                                      __global const float* b, const int bOff, __global float* y, const int yOff,
                                      __global float* mean, const int meanOff, __global float* rstd, const int rstdOff,
                                      const int rows, const int cols, const float eps) {
    const int row = get_global_id(0);
    if (row >= rows) return;
    __global const float* in = x + xOff + row * cols;
    __global float* out = y + yOff + row * cols;
    const float invN = 1.0f / (float)cols;
    float s = 0.0f;
    for (int j = 0; j < cols; ++j) s += in[j];
    const float mu = s * invN;
    float sq = 0.0f;
    for (int j = 0; j < cols; ++j) { const float d = in[j] - mu; sq += d * d; }
    const float rs = 1.0f / sqrt(sq * invN + eps);
    mean[meanOff + row] = mu;
    rstd[rstdOff + row] = rs;
    for (int j = 0; j < cols; ++j) out[j] = (in[j] - mu) * rs * w[wOff + j] + b[bOff + j];
}

// layer_norm_backward_dx with one work-item per row. Global (rows).
__kernel void layer_norm_backward_dx_rows(__global const float* dy, const int dyOff, __global const float* x,
                                          const int xOff, __global const float* w, const int wOff,
                                          __global const float* mean, const int meanOff, __global const float* rstd,
                                          const int rstdOff, __global float* dx, const int dxOff, const int rows,
                                          const int cols) {
    const int row = get_global_id(0);
    if (row >= rows) return;
    __global const float* in = x + xOff + row * cols;
    __global const float* g = dy + dyOff + row * cols;
    __global float* out = dx + dxOff + row * cols;
    const float mu = mean[meanOff + row], rs = rstd[rstdOff + row];
    const float invN = 1.0f / (float)cols;
    float sg = 0.0f, sgx = 0.0f;
    for (int j = 0; j < cols; ++j) {
        const float gw = g[j] * w[wOff + j];
        sg += gw;
        sgx += gw * (in[j] - mu) * rs;
    }
    const float mG = sg * invN, mGX = sgx * invN;
    for (int j = 0; j < cols; ++j) {
        const float xhat = (in[j] - mu) * rs;
        out[j] += rs * (g[j] * w[wOff + j] - mG - xhat * mGX);
    }
}
