// Fused loss kernels: each computes per-sample losses and the input gradients in one pass, one
// work-item per sample (classes and map sizes are small), summing in the CPU reference's order.

// losses[b] = -sum_c t[b,c] log_softmax(z[b])_c;
// dlogits[b,c] = gradScale * (softmax(z[b])_c * sum_c t[b,c] - t[b,c]). Global (batch).
__kernel void soft_target_cross_entropy(__global const float* logits, const int zOff, __global const float* targets,
                                        const int tOff, const int batch, const int classes, const float gradScale,
                                        __global float* losses, const int lOff, __global float* dlogits, const int dOff) {
    const int b = get_global_id(0);
    if (b >= batch) return;
    __global const float* z = logits + zOff + b * classes;
    __global const float* t = targets + tOff + b * classes;
    __global float* d = dlogits + dOff + b * classes;
    float mx = -INFINITY;
    for (int c = 0; c < classes; ++c) mx = fmax(mx, z[c]);
    float sum = 0.0f;
    for (int c = 0; c < classes; ++c) sum += exp(z[c] - mx);
    const float lse = mx + log(sum);
    float loss = 0.0f, tsum = 0.0f;
    for (int c = 0; c < classes; ++c) { loss -= t[c] * (z[c] - lse); tsum += t[c]; }
    losses[lOff + b] = loss;
    for (int c = 0; c < classes; ++c) d[c] = gradScale * (exp(z[c] - lse) * tsum - t[c]);
}

// Re-balanced attention consistency between maps cams[0..batch) and their flips
// cams[batch..2 batch), maps [2 batch, H*W, K] token-major:
// losses[b] = sum_k w_k mean_{i,j} (m[b,i,j,k] - m'[b,i,W-1-j,k])^2, and the gradients of both
// halves scaled by gradScale. Global (batch).
__kernel void attention_consistency(__global const float* cams, const int cOff, __global const float* weights,
                                    const int wOff, const int batch, const int height, const int width,
                                    const int classes, const float gradScale, __global float* losses,
                                    const int lOff, __global float* dcams, const int dOff) {
    const int b = get_global_id(0);
    if (b >= batch) return;
    const int cells = height * width;
    const float inv = 1.0f / (float)cells;
    float loss = 0.0f;
    for (int i = 0; i < height; ++i) {
        for (int j = 0; j < width; ++j) {
            const int a = (b * cells + i * width + j) * classes;
            const int f = ((batch + b) * cells + i * width + (width - 1 - j)) * classes;
            for (int k = 0; k < classes; ++k) {
                const float wk = weights[wOff + k];
                const float diff = cams[cOff + a + k] - cams[cOff + f + k];
                loss += wk * diff * diff * inv;
                const float g = gradScale * wk * 2.0f * diff * inv;
                dcams[dOff + a + k] = g;
                dcams[dOff + f + k] = -g;
            }
        }
    }
    losses[lOff + b] = loss;
}
