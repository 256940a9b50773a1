// Window attention, fused: one work-group of ATT_WG items per (window, head) pair, in two shapes.
//   window_attention_*       q, k, v and the N x N scores of the pair in local memory, the work
//                            spread over (row, column) pairs (GPU-shaped).
//   window_attention_*_rows  one work-item per query row (then per key row in backward), reading
//                            q, k, v from global memory (cache-resident) with float4 dot products
//                            and a row of scores in private memory; N <= ATT_MAXN (CPU-shaped: few
//                            barriers, which PoCL pays for per work-group).
// Layouts: qkv [windows * N, 3C] (q, k, v blocks, each head-major, C = heads * D); bias
// [heads, N, N]; mask [windowsPerImage, N, N]; out [windows * N, C]; probs [windows, heads, N, N].

#ifndef ATT_WG
#define ATT_WG 64
#endif
#ifndef ATT_MAXN
#define ATT_MAXN 64    // most tokens per window the _rows kernels hold in private memory
#endif

// out[h, e] = table[index[e], h]; the index holds integral values stored as float. Global (heads * N*N).
__kernel void gather_relative_bias(__global const float* table, const int tOff, __global const float* index,
                                   const int iOff, __global float* out, const int oOff, const int heads, const int nn) {
    const int i = get_global_id(0);
    if (i >= heads * nn) return;
    const int h = i / nn, e = i % nn;
    out[oOff + i] = table[tOff + (int)index[iOff + e] * heads + h];
}

// Forward: probs = softmax(q * scale . k^T + bias + mask), out = probs @ v.
// Local memory: lq, lk, lv [N * D] each, ls [N * N]. Global (windows * heads * ATT_WG).
__kernel __attribute__((reqd_work_group_size(ATT_WG, 1, 1)))
void window_attention_forward(__global const float* qkv, const int qkvOff, __global const float* bias, const int biasOff,
                              __global const float* mask, const int maskOff, const int hasMask, const float scale,
                              const int N, const int D, const int heads, const int windowsPerImage,
                              __global float* out, const int outOff, __global float* probs, const int probsOff,
                              __local float* lq, __local float* lk, __local float* lv, __local float* ls) {
    const int item = get_group_id(0), lid = get_local_id(0);
    const int w = item / heads, h = item % heads;
    const int C = heads * D, rowStride = 3 * C;
    __global const float* base = qkv + qkvOff + w * N * rowStride + h * D;
    for (int e = lid; e < N * D; e += ATT_WG) {
        const int t = e / D, j = e % D;
        __global const float* row = base + t * rowStride;
        lq[e] = row[j] * scale;
        lk[e] = row[C + j];
        lv[e] = row[2 * C + j];
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    __global const float* bh = bias + biasOff + h * N * N;
    __global const float* mw = mask + maskOff + (w % windowsPerImage) * N * N;
    for (int e = lid; e < N * N; e += ATT_WG) {
        const int t = e / N, m = e % N;
        float s = 0.0f;
        for (int j = 0; j < D; ++j) s += lq[t * D + j] * lk[m * D + j];
        s += bh[e];
        if (hasMask) s += mw[e];
        ls[e] = s;
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    __global float* p = probs + probsOff + item * N * N;
    for (int t = lid; t < N; t += ATT_WG) {
        __local float* row = ls + t * N;
        float mx = -INFINITY;
        for (int m = 0; m < N; ++m) mx = fmax(mx, row[m]);
        float sum = 0.0f;
        for (int m = 0; m < N; ++m) { const float e = exp(row[m] - mx); row[m] = e; sum += e; }
        const float inv = 1.0f / sum;
        for (int m = 0; m < N; ++m) { row[m] *= inv; p[t * N + m] = row[m]; }
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int e = lid; e < N * D; e += ATT_WG) {
        const int t = e / D, j = e % D;
        float o = 0.0f;
        for (int m = 0; m < N; ++m) o += ls[t * N + m] * lv[m * D + j];
        out[outOff + (w * N + t) * C + h * D + j] = o;
    }
}

// Backward: with P = probs and g = dout,
//   dV = P^T g,  dP = g V^T,  dS = P * (dP - rowsum(P * dP)),  dQ = scale * dS K,  dK = dS^T (scale * Q).
// Writes dqkv (all three blocks) and overwrites probs with dS for relative_bias_*.
// Local memory: lk, lv, lg [N * D] each (lg is reused for scale * q once g is no longer needed),
// ls [N * N], lrow [N]. Global (windows * heads * ATT_WG).
__kernel __attribute__((reqd_work_group_size(ATT_WG, 1, 1)))
void window_attention_backward(__global const float* dout, const int doutOff, __global const float* qkv,
                               const int qkvOff, __global float* probs, const int probsOff, const float scale,
                               const int N, const int D, const int heads, __global float* dqkv, const int dqkvOff,
                               __local float* lk, __local float* lv, __local float* lg, __local float* ls,
                               __local float* lrow) {
    const int item = get_group_id(0), lid = get_local_id(0);
    const int w = item / heads, h = item % heads;
    const int C = heads * D, rowStride = 3 * C;
    __global const float* base = qkv + qkvOff + w * N * rowStride + h * D;
    __global float* dbase = dqkv + dqkvOff + w * N * rowStride + h * D;
    __global float* p = probs + probsOff + item * N * N;
    for (int e = lid; e < N * D; e += ATT_WG) {
        const int t = e / D, j = e % D;
        __global const float* row = base + t * rowStride;
        lk[e] = row[C + j];
        lv[e] = row[2 * C + j];
        lg[e] = dout[doutOff + (w * N + t) * C + h * D + j];
    }
    for (int e = lid; e < N * N; e += ATT_WG) ls[e] = p[e];
    barrier(CLK_LOCAL_MEM_FENCE);
    // dV[m, j] = sum_t P[t, m] g[t, j]
    for (int e = lid; e < N * D; e += ATT_WG) {
        const int m = e / D, j = e % D;
        float s = 0.0f;
        for (int t = 0; t < N; ++t) s += ls[t * N + m] * lg[t * D + j];
        dbase[m * rowStride + 2 * C + j] = s;
    }
    // rowsum(P * dP)
    for (int t = lid; t < N; t += ATT_WG) {
        float dot = 0.0f;
        for (int m = 0; m < N; ++m) {
            float dp = 0.0f;
            for (int j = 0; j < D; ++j) dp += lg[t * D + j] * lv[m * D + j];
            dot += ls[t * N + m] * dp;
        }
        lrow[t] = dot;
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int e = lid; e < N * N; e += ATT_WG) {
        const int t = e / N, m = e % N;
        float dp = 0.0f;
        for (int j = 0; j < D; ++j) dp += lg[t * D + j] * lv[m * D + j];
        const float ds = ls[e] * (dp - lrow[t]);
        ls[e] = ds;
        p[e] = ds;
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int e = lid; e < N * D; e += ATT_WG) {
        const int t = e / D, j = e % D;
        lg[e] = base[t * rowStride + j] * scale;
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int e = lid; e < N * D; e += ATT_WG) {
        const int t = e / D, j = e % D;
        float dq = 0.0f, dk = 0.0f;
        for (int m = 0; m < N; ++m) {
            dq += ls[t * N + m] * lk[m * D + j];
            dk += ls[m * N + t] * lg[m * D + j];
        }
        dbase[t * rowStride + j] = dq * scale;
        dbase[t * rowStride + C + j] = dk;
    }
}

// summed[h, e] = sum over windows of dS[w, h, e]. Global (heads * N*N).
__kernel void relative_bias_window_sum(__global const float* ds, const int dsOff, const int windows, const int heads,
                                       const int nn, __global float* summed, const int sOff) {
    const int i = get_global_id(0);
    if (i >= heads * nn) return;
    const int h = i / nn, e = i % nn;
    float s = 0.0f;
    for (int w = 0; w < windows; ++w) s += ds[dsOff + (w * heads + h) * nn + e];
    summed[sOff + i] = s;
}

// dtable[r, h] += sum of summed[h, e] over the e with index[e] == r, in increasing e (the order of
// the CPU reference). Gathering per table entry avoids scattered float atomics. Global (rows * heads).
__kernel void relative_bias_scatter(__global const float* summed, const int sOff, __global const float* index, const int iOff,
                                    __global float* dtable, const int tOff, const int heads, const int nn,
                                    const int tableRows) {
    const int i = get_global_id(0);
    if (i >= tableRows * heads) return;
    const int r = i / heads, h = i % heads;
    float acc = dtable[tOff + i];
    for (int e = 0; e < nn; ++e) {
        if ((int)index[iOff + e] == r) acc += summed[sOff + h * nn + e];
    }
    dtable[tOff + i] = acc;
}

// a . b over D floats, in float4 chunks.
float att_dot(__global const float* a, __global const float* b, const int D) {
    float4 acc = (float4)(0.0f);
    int j = 0;
    for (; j + 4 <= D; j += 4) acc = fma(vload4(0, a + j), vload4(0, b + j), acc);
    float s = (acc.x + acc.y) + (acc.z + acc.w);
    for (; j < D; ++j) s = fma(a[j], b[j], s);
    return s;
}

// out[j] = scale * sum_{i < count} w[i * wStride] * rows[i * rowStride + j] for j < D.
void att_weighted_rows(__global const float* w, const int wStride, const int count,
                              __global const float* rows, const int rowStride, const int D, const float scale,
                              __global float* out) {
    int j = 0;
    for (; j + 4 <= D; j += 4) {
        float4 acc = (float4)(0.0f);
        for (int i = 0; i < count; ++i) acc = fma((float4)(w[i * wStride]), vload4(0, rows + i * rowStride + j), acc);
        vstore4(acc * scale, 0, out + j);
    }
    for (; j < D; ++j) {
        float acc = 0.0f;
        for (int i = 0; i < count; ++i) acc = fma(w[i * wStride], rows[i * rowStride + j], acc);
        out[j] = acc * scale;
    }
}

// Forward, one work-item per query row t. Global (windows * heads * ATT_WG), no barriers.
__kernel __attribute__((reqd_work_group_size(ATT_WG, 1, 1)))
void window_attention_forward_rows(__global const float* qkv, const int qkvOff, __global const float* bias,
                                   const int biasOff, __global const float* mask, const int maskOff, const int hasMask,
                                   const float scale, const int N, const int D, const int heads,
                                   const int windowsPerImage, __global float* out, const int outOff,
                                   __global float* probs, const int probsOff) {
    const int item = get_group_id(0);
    const int w = item / heads, h = item % heads;
    const int C = heads * D, rowStride = 3 * C;
    __global const float* base = qkv + qkvOff + w * N * rowStride + h * D;
    __global float* p = probs + probsOff + item * N * N;
    for (int t = get_local_id(0); t < N; t += ATT_WG) {
        __global const float* q = base + t * rowStride;
        __global const float* bh = bias + biasOff + (h * N + t) * N;
        __global const float* mw = mask + maskOff + ((w % windowsPerImage) * N + t) * N;
        float s[ATT_MAXN];
        float mx = -INFINITY;
        for (int m = 0; m < N; ++m) {
            float v = att_dot(q, base + m * rowStride + C, D) * scale + bh[m];
            if (hasMask) v += mw[m];
            s[m] = v;
            mx = fmax(mx, v);
        }
        float sum = 0.0f;
        for (int m = 0; m < N; ++m) { s[m] = exp(s[m] - mx); sum += s[m]; }
        const float inv = 1.0f / sum;
        for (int m = 0; m < N; ++m) p[t * N + m] = s[m] * inv;
        att_weighted_rows(p + t * N, 1, N, base + 2 * C, rowStride, D, 1.0f, out + outOff + (w * N + t) * C + h * D);
    }
}

// Backward in three phases separated by work-group barriers: dV per key row m (reads P); dS and
// dQ per query row t (overwrites P with dS); dK per key row m (reads dS).
// Global (windows * heads * ATT_WG).
__kernel __attribute__((reqd_work_group_size(ATT_WG, 1, 1)))
void window_attention_backward_rows(__global const float* dout, const int doutOff, __global const float* qkv,
                                    const int qkvOff, __global float* probs, const int probsOff, const float scale,
                                    const int N, const int D, const int heads, __global float* dqkv,
                                    const int dqkvOff) {
    const int item = get_group_id(0), lid = get_local_id(0);
    const int w = item / heads, h = item % heads;
    const int C = heads * D, rowStride = 3 * C;
    __global const float* base = qkv + qkvOff + w * N * rowStride + h * D;
    __global const float* g = dout + doutOff + w * N * C + h * D;
    __global float* dbase = dqkv + dqkvOff + w * N * rowStride + h * D;
    __global float* p = probs + probsOff + item * N * N;
    for (int m = lid; m < N; m += ATT_WG) {
        att_weighted_rows(p + m, N, N, g, C, D, 1.0f, dbase + m * rowStride + 2 * C);
    }
    barrier(CLK_GLOBAL_MEM_FENCE);
    for (int t = lid; t < N; t += ATT_WG) {
        float dp[ATT_MAXN];
        float dot = 0.0f;
        for (int m = 0; m < N; ++m) {
            dp[m] = att_dot(g + t * C, base + m * rowStride + 2 * C, D);
            dot += p[t * N + m] * dp[m];
        }
        for (int m = 0; m < N; ++m) p[t * N + m] = p[t * N + m] * (dp[m] - dot);
        att_weighted_rows(p + t * N, 1, N, base + C, rowStride, D, scale, dbase + t * rowStride);
    }
    barrier(CLK_GLOBAL_MEM_FENCE);
    for (int m = lid; m < N; m += ATT_WG) {
        att_weighted_rows(p + m, N, N, base, rowStride, D, scale, dbase + m * rowStride + C);
    }
}
