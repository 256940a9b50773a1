// Batched row-major GEMM: C_z = alpha * op(A_z) op(B_z) + beta * C_z for z < batch, where op(A) is
// M x K, op(B) is K x N, and matrix z starts stride* z elements after the tensor's offset. With
// beta == 0, C is written without being read (BLAS semantics).
//
// Two families; the host picks one per device from its tile table (OpenCLTuning.swift) and passes
// the tile sizes as -D defines:
//   gemm_rb_*  register-blocked, no local memory: each work-item computes RB_TM rows of C in
//              registers and reads A and B straight from memory, the group walking K in blocks
//              of RB_KB (CPU-shaped: what PoCL vectorizes, with cache blocking).
//   gemm_lt_*  local-memory tiles: a work-group stages LT_TSK-deep slices of A and B in local memory
//              and each work-item computes LT_WPTM x LT_WPTN outputs (GPU-shaped).
// Suffixes: nn, nt, tn, tt = (A transposed?, B transposed?); the register-blocked family has only
// nn and tn: the host runs B^T as a transposed copy (transpose_rows). Any M, N, K, lda, ldb, ldc,
// offset and batch stride work: tiles that stick out of C take a guarded path.
//
// Every kernel takes the same arguments:
//   (M, N, K, alpha, A, aOff, lda, strideA, B, bOff, ldb, strideB, beta, C, cOff, ldc, strideC)

#ifndef RB_TM
#define RB_TM 4        // rows of C per work-item (register blocked)
#endif
#ifndef RB_VW
#define RB_VW 16       // columns of C per work-item: one floatRB_VW per row
#endif
#ifndef RB_KB
#define RB_KB 128      // K block a work-group walks in step
#endif
#ifndef LT_TSM
#define LT_TSM 64      // tile rows per work-group (local-tile kernels)
#endif
#ifndef LT_TSN
#define LT_TSN 64      // tile columns per work-group
#endif
#ifndef LT_TSK
#define LT_TSK 16      // tile depth staged in local memory
#endif
#ifndef LT_WPTM
#define LT_WPTM 4      // rows per work-item
#endif
#ifndef LT_WPTN
#define LT_WPTN 4      // columns per work-item
#endif

#define GEMM_CAT_(a, b) a##b
#define GEMM_CAT(a, b) GEMM_CAT_(a, b)
#define VECW GEMM_CAT(float, RB_VW)
#define VLOADW GEMM_CAT(vload, RB_VW)
#define VSTOREW GEMM_CAT(vstore, RB_VW)
#if RB_VW != 4 && RB_VW != 8 && RB_VW != 16
#error "RB_VW must be 4, 8 or 16"
#endif

#define LT_RTSM (LT_TSM / LT_WPTM)   // work-items along M in a work-group
#define LT_RTSN (LT_TSN / LT_WPTN)   // work-items along N

#define GEMM_ARGS                                                                         \
    const int M, const int N, const int K, const float alpha,                             \
    __global const float* A, const int aOff, const int lda, const int strideA,            \
    __global const float* B, const int bOff, const int ldb, const int strideB,            \
    const float beta, __global float* C, const int cOff, const int ldc, const int strideC

// op(A)[m, k] and op(B)[k, n].
#define OPA(ta, m, k) ((ta) ? A[(k) * lda + (m)] : A[(m) * lda + (k)])
#define OPB(tb, k, n) ((tb) ? B[(n) * ldb + (k)] : B[(k) * ldb + (n)])

void gemm_store(__global float* C, const int index, const float acc, const float alpha, const float beta) {
    C[index] = beta == 0.0f ? alpha * acc : alpha * acc + beta * C[index];
}

// ---------------------------------------------------------------------------------------------
// Register-blocked family. Global size: (ceil(N / RB_VW), ceil(M / RB_TM), batch) rounded
// up to the work-group (RB_GX, RB_GY, 1). Each work-item keeps its outputs in registers and reads A
// and B straight from global memory. The K loop runs in blocks of RB_KB with a work-group barrier
// after each block: no data passes through it; it makes a CPU runtime (PoCL runs the work-items of
// a group one after another between barriers) walk K in step across the group, so the group's
// slices of A and B stay in cache (cache blocking). Every work-item reaches every barrier: items
// past the edge of C compute nothing, and items on the edge clamp their loads inside the matrices
// and store only their own outputs.

// Outer product: per k, one vector of B[k, nb .. nb + RB_VW) and RB_TM scalars of op(A), RB_TM
// vector FMAs. An edge item whose columns stick out shifts its vector
// left to end at column N (when N >= RB_VW) and stores only its own columns.
void gemm_rb_outer(const int ta, GEMM_ARGS) {
    const int n0 = get_global_id(0) * RB_VW, m0 = get_global_id(1) * RB_TM, z = get_global_id(2);
    A += aOff + z * strideA; B += bOff + z * strideB; C += cOff + z * strideC;
    const bool active = m0 < M && n0 < N;
    const bool narrow = N < RB_VW;                       // no full vector fits: gather with guards
    const int nb = (n0 + RB_VW <= N || narrow) ? n0 : N - RB_VW;
    int rows[RB_TM];
    #pragma unroll
    for (int i = 0; i < RB_TM; ++i) rows[i] = min(m0 + i, M - 1);
    VECW acc[RB_TM];
    #pragma unroll
    for (int i = 0; i < RB_TM; ++i) acc[i] = (VECW)(0.0f);
    for (int k0 = 0; k0 < K; k0 += RB_KB) {
        const int k1 = min(K, k0 + RB_KB);
        if (active) {
            for (int k = k0; k < k1; ++k) {
                VECW b;
                if (narrow) {
                    float tmp[RB_VW];
                    #pragma unroll
                    for (int j = 0; j < RB_VW; ++j) tmp[j] = (nb + j < N) ? B[k * ldb + nb + j] : 0.0f;
                    b = VLOADW(0, tmp);
                } else {
                    b = VLOADW(0, B + k * ldb + nb);
                }
                #pragma unroll
                for (int i = 0; i < RB_TM; ++i) acc[i] = fma((VECW)(OPA(ta, rows[i], k)), b, acc[i]);
            }
        }
        barrier(CLK_GLOBAL_MEM_FENCE);
    }
    if (!active) return;
    #pragma unroll
    for (int i = 0; i < RB_TM; ++i) {
        if (m0 + i >= M) break;
        __global float* c = C + (m0 + i) * ldc;
        if (nb == n0 && n0 + RB_VW <= N) {
            VECW r = alpha * acc[i];
            if (beta != 0.0f) r += beta * VLOADW(0, c + n0);
            VSTOREW(r, 0, c + n0);
        } else {
            float tmp[RB_VW];
            VSTOREW(acc[i], 0, tmp);
            #pragma unroll
            for (int j = 0; j < RB_VW; ++j) {
                if (nb + j >= n0 && nb + j < N) gemm_store(c, nb + j, tmp[j], alpha, beta);
            }
        }
    }
}

__kernel void gemm_rb_nn(GEMM_ARGS) { gemm_rb_outer(0, M, N, K, alpha, A, aOff, lda, strideA, B, bOff, ldb, strideB, beta, C, cOff, ldc, strideC); }
__kernel void gemm_rb_tn(GEMM_ARGS) { gemm_rb_outer(1, M, N, K, alpha, A, aOff, lda, strideA, B, bOff, ldb, strideB, beta, C, cOff, ldc, strideC); }

// ---------------------------------------------------------------------------------------------
// Local-tile family. Work-group (LT_RTSN, LT_RTSM, 1) computes an LT_TSM x LT_TSN tile of C;
// global size (ceil(N / LT_TSN) * LT_RTSN, ceil(M / LT_TSM) * LT_RTSM, batch). Work-item (tn, tm)
// owns rows tm + i * LT_RTSM and columns tn + j * LT_RTSN of the tile (strided, so neighbouring
// work-items touch neighbouring addresses). Slices outside op(A) or op(B) are staged as zeros.

void gemm_lt(const int ta, const int tb, __local float* As, __local float* Bs, GEMM_ARGS) {
    const int tn = get_local_id(0), tm = get_local_id(1), z = get_global_id(2);
    const int n0 = get_group_id(0) * LT_TSN, m0 = get_group_id(1) * LT_TSM;
    const int tid = tm * LT_RTSN + tn, threads = LT_RTSM * LT_RTSN;
    A += aOff + z * strideA; B += bOff + z * strideB; C += cOff + z * strideC;
    float acc[LT_WPTM][LT_WPTN];
    #pragma unroll
    for (int i = 0; i < LT_WPTM; ++i) {
        #pragma unroll
        for (int j = 0; j < LT_WPTN; ++j) acc[i][j] = 0.0f;
    }
    for (int k0 = 0; k0 < K; k0 += LT_TSK) {
        // Stage As[k][m] and Bs[k][n]; the loop order follows the contiguous axis in memory.
        for (int l = tid; l < LT_TSK * LT_TSM; l += threads) {
            const int kk = ta ? l / LT_TSM : l % LT_TSK;
            const int mm = ta ? l % LT_TSM : l / LT_TSK;
            const int m = m0 + mm, k = k0 + kk;
            As[kk * LT_TSM + mm] = (m < M && k < K) ? OPA(ta, m, k) : 0.0f;
        }
        for (int l = tid; l < LT_TSK * LT_TSN; l += threads) {
            const int kk = tb ? l % LT_TSK : l / LT_TSN;
            const int nn = tb ? l / LT_TSK : l % LT_TSN;
            const int n = n0 + nn, k = k0 + kk;
            Bs[kk * LT_TSN + nn] = (n < N && k < K) ? OPB(tb, k, n) : 0.0f;
        }
        barrier(CLK_LOCAL_MEM_FENCE);
        for (int kk = 0; kk < LT_TSK; ++kk) {
            float a[LT_WPTM], b[LT_WPTN];
            #pragma unroll
            for (int i = 0; i < LT_WPTM; ++i) a[i] = As[kk * LT_TSM + tm + i * LT_RTSM];
            #pragma unroll
            for (int j = 0; j < LT_WPTN; ++j) b[j] = Bs[kk * LT_TSN + tn + j * LT_RTSN];
            #pragma unroll
            for (int i = 0; i < LT_WPTM; ++i) {
                #pragma unroll
                for (int j = 0; j < LT_WPTN; ++j) acc[i][j] = fma(a[i], b[j], acc[i][j]);
            }
        }
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    #pragma unroll
    for (int i = 0; i < LT_WPTM; ++i) {
        const int m = m0 + tm + i * LT_RTSM;
        if (m >= M) continue;
        #pragma unroll
        for (int j = 0; j < LT_WPTN; ++j) {
            const int n = n0 + tn + j * LT_RTSN;
            if (n < N) gemm_store(C, m * ldc + n, acc[i][j], alpha, beta);
        }
    }
}

#define GEMM_LT_KERNEL(name, ta, tb)                                                             \
    __kernel __attribute__((reqd_work_group_size(LT_RTSN, LT_RTSM, 1))) void name(GEMM_ARGS) {  \
        __local float As[LT_TSK * LT_TSM];                                                       \
        __local float Bs[LT_TSK * LT_TSN];                                                       \
        gemm_lt(ta, tb, As, Bs, M, N, K, alpha, A, aOff, lda, strideA, B, bOff, ldb, strideB,     \
                beta, C, cOff, ldc, strideC);                                                    \
    }

GEMM_LT_KERNEL(gemm_lt_nn, 0, 0)
GEMM_LT_KERNEL(gemm_lt_nt, 0, 1)
GEMM_LT_KERNEL(gemm_lt_tn, 1, 0)
GEMM_LT_KERNEL(gemm_lt_tt, 1, 1)

// ---------------------------------------------------------------------------------------------
// Split-K: a product with a long K and a small C runs as `splits` partial products (batched over
// K slices) into `parts [splits, M, N]`, then this kernel forms C = alpha * sum + beta * C.
// Global size (N, M) rounded up.
__kernel void gemm_splitk_reduce(__global const float* parts, const int pOff, const int splits, const int M, const int N,
                                 const float alpha, const float beta,
                                 __global float* C, const int cOff, const int ldc) {
    const int n = get_global_id(0), m = get_global_id(1);
    if (m >= M || n >= N) return;
    float s = 0.0f;
    for (int p = 0; p < splits; ++p) s += parts[pOff + (p * M + m) * N + n];
    gemm_store(C + cOff, m * ldc + n, s, alpha, beta);
}

// out_z[c, r] = in_z[r, c] for an R x C matrix (row stride ld, batch stride strideIn) into a dense
// C x R one (batch stride R * C): the register-blocked family runs op(B) = B^T as B^T copied once
// and an outer-product product, faster on CPUs than a dot-product kernel and cheap next to the
// product (R * C copies against M * R * C multiply-adds). Global (C, batch), one item per output row.
__kernel void transpose_rows(__global const float* in, const int inOff, const int ld, const int strideIn,
                             const int R, const int C, __global float* out, const int outOff) {
    const int c = get_global_id(0), z = get_global_id(1);
    if (c >= C) return;
    __global const float* src = in + inOff + z * strideIn + c;
    __global float* dst = out + outOff + (z * C + c) * R;
    for (int r = 0; r < R; ++r) dst[r] = src[r * ld];
}
