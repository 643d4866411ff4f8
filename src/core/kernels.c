/* kernels.c — GEMM: register tiles over 64-column panels (row-major or packed B) for the
 * per-step products, OpenBLAS for the large ones, and the plain reference twin. */
#include <cblas.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#include <float.h>
#include <string.h>
#include "core/kernels.h"
/* The AVX-512 kernel set (float) gets the register tiles below for the per-step products
 * (and a vectorised non-zero scan in the sparse kernel); the AVX2 and plain sets and the
 * double build the portable gemm_nn_rows, one panel at a time (kset.h: compiled once per
 * set, so __AVX512F__ is the set's, not the build's). */
#if defined(__AVX512F__) && !defined(RNL_DOUBLE)
#include <immintrin.h>
#define RNL_DENSE_SMALL 1
#define RNL_SMALL_M 16 /* largest M that rnl_gemm sends to the panel driver */
#else
#define RNL_SMALL_M 8
#endif

void rnl_gemm_ref(char ta, char tb, int M, int N, int K, rnl_real alpha, const rnl_real *A,
                  int lda, const rnl_real *B, int ldb, rnl_real beta, rnl_real *C, int ldc) {
    for (int i = 0; i < M; i++) {
        for (int j = 0; j < N; j++) {
            double s = 0.0;
            for (int k = 0; k < K; k++) {
                double a = ta == 'N' ? A[(size_t)i * lda + k] : A[(size_t)k * lda + i];
                double b = tb == 'N' ? B[(size_t)k * ldb + j] : B[(size_t)j * ldb + k];
                s += a * b;
            }
            rnl_real *c = &C[(size_t)i * ldc + j];
            *c = (rnl_real)(alpha * s + (beta == 0 ? 0.0 : (double)beta * *c));
        }
    }
}

/* C row i (+)= alpha * sum_k A[i,k] B[k,:]: axpy over contiguous rows of B, which the
 * compiler vectorises; zero entries of A are skipped. The portable panel kernel.
 * Output columns are taken RNL_NB at a time and held in a local block (registers: 4 AVX-512
 * vectors in float) across the whole k loop, so each row of B is read once per block and C
 * is written once. The float build uses fused multiply-adds here (one rounding each; the
 * tests compare this kernel with rnl_gemm_ref); the double build keeps plain arithmetic. */
#define RNL_NB 64
#ifdef RNL_DOUBLE
#define RNL_MADD(a, b, c) ((a) * (b) + (c))
#else
#define RNL_MADD(a, b, c) fmaf((a), (b), (c))
#endif
#ifndef RNL_DENSE_SMALL /* else the register tiles below serve */
static void gemm_nn_rows(int M, int N, int K, rnl_real alpha, const rnl_real *A, int lda,
                         const rnl_real *B, int ldb, rnl_real beta, rnl_real *C, int ldc) {
    for (int i = 0; i < M; i++) {
        rnl_real *restrict c = C + (size_t)i * ldc;
        const rnl_real *a = A + (size_t)i * lda;
        int j0 = 0;
        for (; j0 + RNL_NB <= N; j0 += RNL_NB) {
            rnl_real acc[RNL_NB];
            for (int j = 0; j < RNL_NB; j++) acc[j] = beta == 0 ? 0 : beta * c[j0 + j];
            for (int k = 0; k < K; k++) {
                if (a[k] == 0) continue;
                const rnl_real s = alpha * a[k];
                const rnl_real *restrict b = B + (size_t)k * ldb + j0;
                for (int j = 0; j < RNL_NB; j++) acc[j] = RNL_MADD(s, b[j], acc[j]);
            }
            for (int j = 0; j < RNL_NB; j++) c[j0 + j] = acc[j];
        }
        if (j0 < N) { /* the last N mod 64 columns, accumulated in C itself */
            const int n = N - j0;
            rnl_real *restrict ct = c + j0;
            for (int j = 0; j < n; j++) ct[j] = beta == 0 ? 0 : beta * ct[j];
            for (int k = 0; k < K; k++) {
                if (a[k] == 0) continue;
                const rnl_real s = alpha * a[k];
                const rnl_real *restrict b = B + (size_t)k * ldb + j0;
                for (int j = 0; j < n; j++) ct[j] = RNL_MADD(s, b[j], ct[j]);
            }
        }
    }
}
#endif

/* ------------------------------------------------ register tiles (AVX-512) --------------- */
/* The per-step recurrent products: C[M,N] (+)= A[M,K]·B[K,N] with M = the batch, K = H and
 * N = G·H, B = U^T (packed, below). Within a panel of 64 columns, C is cut into tiles of
 * R <= 4 rows by V <= 4 vectors of 16 columns, each tile held in R·V registers across the
 * whole k loop: per k, V loads of B's row, R broadcasts of A, R·V fused multiply-adds. Few
 * accumulators would leave the FMA unit waiting on its own latency (4 cycles), so tiles of
 * at most 4 accumulators run two interleaved chains (even and odd k), added at the end.
 * The last vector of a row is masked: no partial-vector loop, no access past N.
 * Tested against rnl_gemm_ref in tests/test_kernels.c. */
#ifdef RNL_DENSE_SMALL
/* Full unrolling of the r/v/s loops lets the compiler keep the accumulators in registers;
 * without it GCC 12 stored every accumulator to the stack on each k (40 vs 100 GFLOP/s). */
#define RNL_UNROLL _Pragma("GCC unroll 32")

static inline __attribute__((always_inline)) void
tile_nn(const int R, const int V, const int S, __m512 *restrict acc /* [S][R][V] */,
        __mmask16 *restrict mask /* [V] */, int K, float alpha, const float *A, int lda,
        const float *B, int ldb, float beta, float *C, int ldc, int ncols) {
    RNL_UNROLL for (int v = 0; v < V; v++) {
        const int left = ncols - 16 * v;
        mask[v] = left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (left > 0 ? left : 0)) - 1u);
    }
    RNL_UNROLL for (int q = 0; q < S * R * V; q++) acc[q] = _mm512_setzero_ps();
    int k = 0;
    for (; k + S <= K; k += S) {
        RNL_UNROLL for (int s = 0; s < S; s++) {
            const float *b = B + (size_t)(k + s) * ldb;
            __m512 bv[4];
            RNL_UNROLL for (int v = 0; v < V; v++) bv[v] = _mm512_maskz_loadu_ps(mask[v], b + 16 * v);
            RNL_UNROLL for (int r = 0; r < R; r++) {
                const __m512 a = _mm512_set1_ps(A[(size_t)r * lda + k + s]);
                __m512 *ac = acc + (s * R + r) * V;
                RNL_UNROLL for (int v = 0; v < V; v++) ac[v] = _mm512_fmadd_ps(a, bv[v], ac[v]);
            }
        }
    }
    for (; k < K; k++) { /* K odd with two chains: the last k goes to the first */
        const float *b = B + (size_t)k * ldb;
        RNL_UNROLL for (int r = 0; r < R; r++) {
            const __m512 a = _mm512_set1_ps(A[(size_t)r * lda + k]);
            __m512 *ac = acc + r * V;
            RNL_UNROLL for (int v = 0; v < V; v++)
                ac[v] = _mm512_fmadd_ps(a, _mm512_maskz_loadu_ps(mask[v], b + 16 * v), ac[v]);
        }
    }
    const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
    RNL_UNROLL for (int r = 0; r < R; r++) {
        RNL_UNROLL for (int v = 0; v < V; v++) {
            const int q = r * V + v;
            __m512 x = S == 2 ? _mm512_add_ps(acc[q], acc[R * V + q]) : acc[q];
            float *c = C + (size_t)r * ldc + 16 * v;
            x = _mm512_mul_ps(va, x);
            if (beta != 0) x = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(mask[v], c), x);
            _mm512_mask_storeu_ps(c, mask[v], x);
        }
    }
}

typedef void (*tile_fn)(int K, float alpha, const float *A, int lda, const float *B, int ldb,
                        float beta, float *C, int ldc, int ncols);
#define RNL_TILE(R, V, S)                                                                    \
    static void tile_##R##_##V(int K, float alpha, const float *A, int lda, const float *B, \
                               int ldb, float beta, float *C, int ldc, int ncols) {          \
        __m512 acc[S * R * V]; /* exact sizes: the compiler keeps them in registers */     \
        __mmask16 mask[V];                                                                   \
        tile_nn(R, V, S, acc, mask, K, alpha, A, lda, B, ldb, beta, C, ldc, ncols);          \
    }
RNL_TILE(1, 1, 2) RNL_TILE(1, 2, 2) RNL_TILE(1, 3, 2) RNL_TILE(1, 4, 2)
RNL_TILE(2, 1, 2) RNL_TILE(2, 2, 2) RNL_TILE(2, 3, 1) RNL_TILE(2, 4, 1)
RNL_TILE(3, 1, 1) RNL_TILE(3, 2, 1) RNL_TILE(3, 3, 1) RNL_TILE(3, 4, 1)
RNL_TILE(4, 1, 1) RNL_TILE(4, 2, 1) RNL_TILE(4, 3, 1) RNL_TILE(4, 4, 1)
#undef RNL_TILE
/* [rows - 1][vectors - 1]: a panel of 64 columns is 4 vectors */
static const tile_fn tiles[4][4] = {
    {tile_1_1, tile_1_2, tile_1_3, tile_1_4},
    {tile_2_1, tile_2_2, tile_2_3, tile_2_4},
    {tile_3_1, tile_3_2, tile_3_3, tile_3_4},
    {tile_4_1, tile_4_2, tile_4_3, tile_4_4},
};

#endif

/* ------------------------------------------------ the panel driver ------------------------ */
/* C is cut into panels of RNL_PANEL (64) columns. Panel q of B starts at B + q·qs with its
 * rows ldb apart: a row-major B has qs = 64 and its own leading dimension; a packed B (below)
 * has qs = its rows · 64 and ldb = 64. Blocks of KC rows of B are outermost, so within a
 * block a panel (KC x 64 values, 64 KB) is read from memory once and from cache by the
 * other row blocks of A; later k blocks add to C. */
static void run_panels(int q0, int q1, int M, int N, int K, rnl_real alpha, const rnl_real *A,
                       int lda, const rnl_real *B, size_t qs, int ldb, rnl_real beta,
                       rnl_real *C, int ldc) {
    enum { KC = 256 };
    for (int k0 = 0; k0 < K; k0 += KC) {
        const int kc = K - k0 < KC ? K - k0 : KC;
        const rnl_real bk = k0 == 0 ? beta : 1;
        for (int q = q0; q < q1; q++) {
            const rnl_real *Bq = B + (size_t)q * qs + (size_t)k0 * ldb;
            const int ncols = N - q * RNL_PANEL;
            rnl_real *Cq = C + (size_t)q * RNL_PANEL;
#ifdef RNL_DENSE_SMALL
            const int nv = ncols >= RNL_PANEL ? RNL_PANEL / 16 : (ncols + 15) / 16;
            for (int i = 0; i < M; i += 4) {
                const int R = M - i < 4 ? M - i : 4;
                tiles[R - 1][nv - 1](kc, alpha, A + (size_t)i * lda + k0, lda, Bq, ldb, bk,
                                     Cq + (size_t)i * ldc, ldc, ncols);
            }
#else
            gemm_nn_rows(M, ncols < RNL_PANEL ? ncols : RNL_PANEL, kc, alpha, A + k0, lda, Bq, ldb,
                         bk, Cq, ldc);
#endif
        }
    }
}

/* With rnl_set_threads(n > 1) and at least 2^20 multiply-adds, the panels are split into n
 * contiguous ranges, one per OpenMP thread. Every element of C is computed by the same
 * arithmetic in the same order whatever the split: results do not depend on n. */
static void gemm_panels(int M, int N, int K, rnl_real alpha, const rnl_real *A, int lda,
                        const rnl_real *B, size_t qs, int ldb, rnl_real beta, rnl_real *C,
                        int ldc) {
    const int np = (N + RNL_PANEL - 1) / RNL_PANEL;
#ifdef _OPENMP
    const int nt = rnl_kernel_threads < np ? rnl_kernel_threads : np;
    if (nt > 1 && (double)M * N * K >= (double)(1 << 20)) {
#pragma omp parallel num_threads(nt)
        {
            const int t = omp_get_thread_num();
            run_panels(np * t / nt, np * (t + 1) / nt, M, N, K, alpha, A, lda, B, qs, ldb, beta, C,
                       ldc);
        }
        return;
    }
#endif
    run_panels(0, np, M, N, K, alpha, A, lda, B, qs, ldb, beta, C, ldc);
}

/* C = beta·C, for products with K = 0. */
static void scale_c(int M, int N, rnl_real beta, rnl_real *C, int ldc) {
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) C[(size_t)i * ldc + j] = beta == 0 ? 0 : beta * C[(size_t)i * ldc + j];
}

/* ------------------------------------------------ packed B (the per-step products) ------ */
/* A recurrent matrix is read T times per pass. Row-major, the tiles read 256 bytes of each of
 * its rows, 4-16 KB apart at H = 1024, and the prefetchers do not keep up: 16 x 1024 x 4096
 * ran at 63 GFLOP/s, against 106 for the same product from the packed layout, where every
 * panel is one contiguous stream (standalone timing, one thread). */
size_t rnl_packed_len(int K, int N) {
    return (size_t)K * (size_t)((N + RNL_PANEL - 1) / RNL_PANEL) * RNL_PANEL;
}

#ifdef RNL_DENSE_SMALL
/* The 16 x 16 block in r[0..16) transposed in registers: r[i] holds row i on entry and
 * column i on exit. Four rounds of two-source shuffles (pairs of floats, then of 64-bit
 * halves, then of 128-bit lanes twice), 64 instructions for 256 values. */
static inline __attribute__((always_inline)) void transpose16(__m512 r[16]) {
    __m512 t[16];
    RNL_UNROLL for (int i = 0; i < 16; i += 2) {
        t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
    }
    RNL_UNROLL for (int i = 0; i < 16; i += 4) {
        r[i] = _mm512_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(1, 0, 1, 0));
        r[i + 1] = _mm512_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(3, 2, 3, 2));
        r[i + 2] = _mm512_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(1, 0, 1, 0));
        r[i + 3] = _mm512_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(3, 2, 3, 2));
    }
    RNL_UNROLL for (int h = 0; h < 16; h += 8) {
        RNL_UNROLL for (int i = 0; i < 4; i++) {
            t[h + i] = _mm512_shuffle_f32x4(r[h + i], r[h + 4 + i], 0x88);
            t[h + 4 + i] = _mm512_shuffle_f32x4(r[h + i], r[h + 4 + i], 0xdd);
        }
    }
    RNL_UNROLL for (int i = 0; i < 8; i++) {
        r[i] = _mm512_shuffle_f32x4(t[i], t[8 + i], 0x88);
        r[8 + i] = _mm512_shuffle_f32x4(t[i], t[8 + i], 0xdd);
    }
}

/* Panel Pq [K, 64] of the transposed pack from source rows src [n, ldb] (n <= 64):
 * Pq[k, j] = src[j, k], zero for j >= n. 16 x 16 blocks: 16 rows of 16 k (masked at K's end,
 * zero vectors past n) transposed in registers, stored as 16 rows of the panel. rnl_pack's
 * scalar loop is the reference (the non-AVX-512 builds run it; tests check both against
 * the layout by hand). */
static void pack_t_panel(int K, int n, const float *src, int ldb, float *Pq) {
    for (int k0 = 0; k0 < K; k0 += 16) {
        const int kn = K - k0 < 16 ? K - k0 : 16;
        const __mmask16 km = (__mmask16)((1u << kn) - 1u);
        for (int j0 = 0; j0 < RNL_PANEL; j0 += 16) {
            __m512 r[16];
            RNL_UNROLL for (int i = 0; i < 16; i++)
                r[i] = j0 + i < n ? _mm512_maskz_loadu_ps(km, src + (size_t)(j0 + i) * ldb + k0) : _mm512_setzero_ps();
            transpose16(r);
            for (int i = 0; i < kn; i++) _mm512_storeu_ps(Pq + (size_t)(k0 + i) * RNL_PANEL + j0, r[i]);
        }
    }
}
#endif

void rnl_pack(char tb, int K, int N, const rnl_real *B, int ldb, rnl_real *P) {
    enum { KB = 16 }; /* transposed: KB rows of P per pass over a panel's 64 source rows */
    const int np = (N + RNL_PANEL - 1) / RNL_PANEL;
    /* a copy: panels on several threads give the same bytes (12-16 MB per pass at H = 1024) */
#ifdef _OPENMP
#pragma omp parallel for num_threads(rnl_kernel_threads) schedule(static) if (rnl_kernel_threads > 1 && (double)K * N >= (double)(1 << 20))
#endif
    for (int q = 0; q < np; q++) {
        rnl_real *Pq = P + (size_t)q * K * RNL_PANEL;
        const int c0 = q * RNL_PANEL, n = N - c0 < RNL_PANEL ? N - c0 : RNL_PANEL;
        if (tb == 'N') {
            for (int k = 0; k < K; k++) {
                rnl_real *d = Pq + (size_t)k * RNL_PANEL;
                memcpy(d, B + (size_t)k * ldb + c0, sizeof(rnl_real) * n);
                memset(d + n, 0, sizeof(rnl_real) * (RNL_PANEL - n));
            }
        } else { /* element (k, c) of the packed matrix is B[c, k] */
#ifdef RNL_DENSE_SMALL
            if (rnl_pack_fast) {
                pack_t_panel(K, n, B + (size_t)c0 * ldb, ldb, Pq);
                continue;
            }
#endif
            for (int k0 = 0; k0 < K; k0 += KB) {
                const int k1 = k0 + KB < K ? k0 + KB : K;
                for (int j = 0; j < n; j++) {
                    const rnl_real *src = B + (size_t)(c0 + j) * ldb;
                    for (int k = k0; k < k1; k++) Pq[(size_t)k * RNL_PANEL + j] = src[k];
                }
                for (int j = n; j < RNL_PANEL; j++)
                    for (int k = k0; k < k1; k++) Pq[(size_t)k * RNL_PANEL + j] = 0;
            }
        }
    }
}

void rnl_gemm_packed(int M, int N, int K, rnl_real alpha, const rnl_real *A, int lda,
                     const rnl_real *P, int PK, int k0, int c0, rnl_real beta, rnl_real *C,
                     int ldc) {
    if (M <= 0 || N <= 0) return;
    if (K <= 0) {
        scale_c(M, N, beta, C, ldc);
        return;
    }
    const size_t qs = (size_t)PK * RNL_PANEL;
    P += (size_t)(c0 / RNL_PANEL) * qs + (size_t)k0 * RNL_PANEL;
    gemm_panels(M, N, K, alpha, A, lda, P, qs, RNL_PANEL, beta, C, ldc);
}

/* The indices of the non-zeros of a[0..n), n <= 128, into idx; returns their count. */
static int list_nonzeros(const rnl_real *a, int n, int *idx) {
    int nz = 0, k = 0;
#ifdef RNL_DENSE_SMALL /* 16 at a time: a compare mask, then its set bits; the last block masked */
    for (; k < n; k += 16) {
        const __mmask16 valid = n - k >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (n - k)) - 1u);
        unsigned bits = _mm512_mask_cmp_ps_mask(valid, _mm512_maskz_loadu_ps(valid, a + k),
                                                _mm512_setzero_ps(), _CMP_NEQ_UQ); /* NaN: non-zero */
        for (; bits; bits &= bits - 1) idx[nz++] = k + __builtin_ctz(bits);
    }
#else
    for (; k < n; k++) {
        idx[nz] = k;
        nz += a[k] != 0;
    }
#endif
    return nz;
}

/* Row by row: the non-zeros of A's row are listed first (one pass over K), then C's row
 * is set from beta·C and the listed rows of B, whole rows at a time (contiguous, the
 * compiler vectorises them; no column blocking and no partial-vector loop). */
void rnl_gemm_sparse_a(int M, int N, int K, rnl_real alpha, const rnl_real *A, int lda,
                       const rnl_real *B, int ldb, rnl_real beta, rnl_real *C, int ldc) {
    enum { LIST = 128 };
    int idx[LIST];
    for (int i = 0; i < M; i++) {
        const rnl_real *a = A + (size_t)i * lda;
        rnl_real *restrict c = C + (size_t)i * ldc;
        if (beta == 0)
            for (int j = 0; j < N; j++) c[j] = 0;
        else if (beta != 1)
            for (int j = 0; j < N; j++) c[j] *= beta;
        for (int k0 = 0; k0 < K; k0 += LIST) {
            const int nz = list_nonzeros(a + k0, K - k0 < LIST ? K - k0 : LIST, idx);
            for (int q = 0; q < nz; q++) {
                const rnl_real s = alpha * a[k0 + idx[q]];
                const rnl_real *restrict b = B + (size_t)(k0 + idx[q]) * ldb;
                for (int j = 0; j < N; j++) c[j] = RNL_MADD(s, b[j], c[j]);
            }
        }
    }
}

void rnl_gemm_sparse_at(int M, int N, int K, rnl_real alpha, const rnl_real *A, int lda,
                        const rnl_real *B, int ldb, rnl_real *C, int ldc) {
    enum { LIST = 128 };
    int idx[LIST];
    for (int r = 0; r < K; r++) {
        const rnl_real *a = A + (size_t)r * lda, *restrict b = B + (size_t)r * ldb;
        for (int i0 = 0; i0 < M; i0 += LIST) {
            const int nz = list_nonzeros(a + i0, M - i0 < LIST ? M - i0 : LIST, idx);
            for (int q = 0; q < nz; q++) {
                const rnl_real s = alpha * a[i0 + idx[q]];
                rnl_real *restrict c = C + (size_t)(i0 + idx[q]) * ldc;
                for (int j = 0; j < N; j++) c[j] = RNL_MADD(s, b[j], c[j]);
            }
        }
    }
}

/* In 16 x 16 tiles, so both the rows read and the rows written stay in cache lines already
 * loaded (the plain double loop writes one element per line per step). */
void rnl_transpose(const rnl_real *src, int rows, int cols, rnl_real *dst) {
    enum { TB = 16 };
    for (int i0 = 0; i0 < rows; i0 += TB)
        for (int j0 = 0; j0 < cols; j0 += TB) {
            const int i1 = i0 + TB < rows ? i0 + TB : rows, j1 = j0 + TB < cols ? j0 + TB : cols;
            for (int j = j0; j < j1; j++)
                for (int i = i0; i < i1; i++) dst[(size_t)j * rows + i] = src[(size_t)i * cols + j];
        }
}

static void blas_gemm(char ta, char tb, int M, int N, int K, rnl_real alpha, const rnl_real *A,
                      int lda, const rnl_real *B, int ldb, rnl_real beta, rnl_real *C, int ldc) {
#ifdef RNL_DOUBLE
    cblas_dgemm(CblasRowMajor, ta == 'N' ? CblasNoTrans : CblasTrans,
                tb == 'N' ? CblasNoTrans : CblasTrans, M, N, K, alpha, A, lda, B, ldb, beta, C,
                ldc);
#else
    cblas_sgemm(CblasRowMajor, ta == 'N' ? CblasNoTrans : CblasTrans,
                tb == 'N' ? CblasNoTrans : CblasTrans, M, N, K, alpha, A, lda, B, ldb, beta, C,
                ldc);
#endif
}

void rnl_gemm(char ta, char tb, int M, int N, int K, rnl_real alpha, const rnl_real *A,
              int lda, const rnl_real *B, int ldb, rnl_real beta, rnl_real *C, int ldc) {
    if (M <= 0 || N <= 0) return;
    /* Small batches go to the panel driver: 1.0-1.7x OpenBLAS on one thread at batch 1-16
     * (standalone timing of both; OpenBLAS repacks B on every call). */
    if (M <= RNL_SMALL_M && ta == 'N' && tb == 'N' && K > 0) {
        gemm_panels(M, N, K, alpha, A, lda, B, RNL_PANEL, ldb, beta, C, ldc);
        return;
    }
    if (K <= 0) {
        scale_c(M, N, beta, C, ldc);
        return;
    }
#ifdef _OPENMP
    /* Large products on --threads N: C cut into N blocks along its longer side, one
     * single-threaded BLAS call per OpenMP thread. OpenBLAS's own threads stay off (see
     * rnl_set_threads): two thread pools spinning against each other on two cores cost more
     * than either gains. The cut is fixed by N, so results are deterministic for a given N. */
    const int nt = rnl_kernel_threads;
    if (nt > 1 && (double)M * N * K >= (double)(1 << 22)) {
#pragma omp parallel num_threads(nt)
        {
            const int t = omp_get_thread_num();
            if (M >= N) {
                const int m0 = (int)((long)M * t / nt), m1 = (int)((long)M * (t + 1) / nt);
                const rnl_real *At = ta == 'N' ? A + (size_t)m0 * lda : A + m0;
                if (m1 > m0)
                    blas_gemm(ta, tb, m1 - m0, N, K, alpha, At, lda, B, ldb, beta,
                              C + (size_t)m0 * ldc, ldc);
            } else {
                const int n0 = (int)((long)N * t / nt), n1 = (int)((long)N * (t + 1) / nt);
                const rnl_real *Bt = tb == 'N' ? B + n0 : B + (size_t)n0 * ldb;
                if (n1 > n0) blas_gemm(ta, tb, M, n1 - n0, K, alpha, A, lda, Bt, ldb, beta, C + n0, ldc);
            }
        }
        return;
    }
#endif
    blas_gemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

/* One compare and one select per value: the loop vectorises (no branch). */
void rnl_flush_subnormals(rnl_real *restrict x, size_t n) {
#ifdef RNL_DOUBLE
    const rnl_real tiny = DBL_MIN;
#else
    const rnl_real tiny = FLT_MIN;
#endif
    for (size_t i = 0; i < n; i++) {
        const rnl_real a = x[i] < 0 ? -x[i] : x[i];
        x[i] = a < tiny && a != 0 ? 0 : x[i];
    }
}

/* The gate functions over a row, 16 values at a time, the last block through rnl_tail_in. */
#define RNL_ROW_APPLY(f, x, n)                                      \
    do {                                                            \
        int j_ = 0;                                                 \
        for (; j_ + 16 <= (n); j_ += 16)                            \
            for (int q_ = 0; q_ < 16; q_++) (x)[j_ + q_] = f((x)[j_ + q_]); \
        if (j_ < (n)) {                                             \
            rnl_real t_[16];                                        \
            rnl_tail_in(t_, (x) + j_, (n) - j_);                    \
            for (int q_ = 0; q_ < 16; q_++) t_[q_] = f(t_[q_]);     \
            rnl_tail_out((x) + j_, t_, (n) - j_);                   \
        }                                                           \
    } while (0)
void rnl_sigmoid_row(rnl_real *restrict x, int n) { RNL_ROW_APPLY(rnl_sigmoid, x, n); }
void rnl_tanh_row(rnl_real *restrict x, int n) { RNL_ROW_APPLY(rnl_tanh, x, n); }
#undef RNL_ROW_APPLY
