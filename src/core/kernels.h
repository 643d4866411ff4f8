/* kernels.h — the numerical floor of the library: one GEMM choke point (CBLAS) with a plain
 * reference kernel beside it, and the elementwise activations. Knows nothing above it. */
#ifndef RNL_KERNELS_H
#define RNL_KERNELS_H

#include <math.h>
#include "rnnlab.h"

#ifdef RNL_DOUBLE
#define RNL_SQRT sqrt
#define RNL_EXP exp
#define RNL_TANH tanh
#define RNL_LOG1P log1p
#else
#define RNL_SQRT sqrtf
#define RNL_EXP expf
#define RNL_TANH tanhf
#define RNL_LOG1P log1pf
#endif

/* Row-major C[M,N] = alpha * op(A) * op(B) + beta * C, op(A) [M,K], op(B) [K,N];
 * ta/tb are 'N' or 'T' (op(X) = X or X^T as stored with its leading dimension).
 * beta == 0 overwrites C without reading it. */
void rnl_gemm(char ta, char tb, int M, int N, int K, rnl_real alpha, const rnl_real *A,
              int lda, const rnl_real *B, int ldb, rnl_real beta, rnl_real *C, int ldc);
/* The plain triple loop with the same contract (accumulates in double); the tests check the
 * fast path against it. */
void rnl_gemm_ref(char ta, char tb, int M, int N, int K, rnl_real alpha, const rnl_real *A,
                  int lda, const rnl_real *B, int ldb, rnl_real beta, rnl_real *C, int ldc);

/* C[M,N] = alpha*A·B + beta*C with A [M,K] whose rows are mostly zero (a piano roll): each
 * row of C is a sum of the rows of B [K,N] that A's non-zeros select. Exact same contract as
 * rnl_gemm('N','N', ...); used where the caller knows A is sparse. */
void rnl_gemm_sparse_a(int M, int N, int K, rnl_real alpha, const rnl_real *A, int lda,
                       const rnl_real *B, int ldb, rnl_real beta, rnl_real *C, int ldc);
/* Packed B for the per-step products: B [K, N] stored as ceil(N/64) panels of RNL_PANEL
 * columns, panel q = columns 64q..64q+63 of every row, row after row (stride 64), zeros past
 * N; rnl_packed_len(K, N) values. rnl_pack reads B [K, N] (tb 'N') or B^T with B [N, K]
 * (tb 'T'), leading dimension ldb. */
#define RNL_PANEL 64
size_t rnl_packed_len(int K, int N);
void rnl_pack(char tb, int K, int N, const rnl_real *B, int ldb, rnl_real *P);
/* 1 (the default): the transposed pack by 16 x 16 register transposes on AVX-512 float
 * builds; 0: by the plain scalar loop, its reference (the tests compare the two). */
extern int rnl_pack_fast;
/* The thread count rnl_set_threads stored (>= 1). Like rnl_pack_fast, one variable shared by
 * every kernel set (kset.h), defined in cpu.c. */
extern int rnl_kernel_threads;
/* C[M,N] = alpha * A[M,K] · B[k0 : k0+K, c0 : c0+N] + beta * C, B packed in P with PK rows;
 * c0 a multiple of RNL_PANEL. Same contract as rnl_gemm('N','N', ...) on that block. */
void rnl_gemm_packed(int M, int N, int K, rnl_real alpha, const rnl_real *A, int lda,
                     const rnl_real *P, int PK, int k0, int c0, rnl_real beta, rnl_real *C,
                     int ldc);
/* C[M,N] += alpha * A^T·B with A [K,M] (lda) mostly zero, B [K,N]: for each row r of A,
 * the rows of C that its non-zeros select get alpha·a·B[r,:] (the input weights' gradient
 * of a piano-roll layer, X^T·dA). Same result as rnl_gemm('T','N', ..., beta 1). */
void rnl_gemm_sparse_at(int M, int N, int K, rnl_real alpha, const rnl_real *A, int lda,
                        const rnl_real *B, int ldb, rnl_real *C, int ldc);
/* dst[cols, rows] = src[rows, cols]^T */
void rnl_transpose(const rnl_real *src, int rows, int cols, rnl_real *dst);

/* ---------------------------------------------------------------- row tails --------- */
/* A row whose length is not a multiple of 16 ends in a block of n < 16 values. Moved into a
 * zero-padded 16-wide local (by masked loads and stores on AVX-512), that block runs as one
 * vector like the rest of the row instead of as a scalar loop, which at H = 36..100 cost as
 * much as the vector part (the gate functions divide). */
#if defined(__AVX512F__) && !defined(RNL_DOUBLE)
#include <immintrin.h>
static inline void rnl_tail_in(rnl_real t[16], const rnl_real *x, int n) {
    _mm512_storeu_ps(t, _mm512_maskz_loadu_ps((__mmask16)((1u << n) - 1u), x));
}
static inline void rnl_tail_out(rnl_real *x, const rnl_real t[16], int n) {
    _mm512_mask_storeu_ps(x, (__mmask16)((1u << n) - 1u), _mm512_loadu_ps(t));
}
#else
static inline void rnl_tail_in(rnl_real t[16], const rnl_real *x, int n) {
    for (int q = 0; q < 16; q++) t[q] = q < n ? x[q] : 0;
}
static inline void rnl_tail_out(rnl_real *x, const rnl_real t[16], int n) {
    for (int q = 0; q < n; q++) x[q] = t[q];
}
#endif
/* x[0..n): every subnormal value (0 < |x| < the smallest normal, FLT_MIN or DBL_MIN) set
 * to +0; normal values, zeros, infinities and NaN unchanged. The mixture head's gradient has
 * many values near exp(−100) (the responsibilities of far-away components), which float
 * rounds to subnormals; the x86 FMA takes a microcode assist on each subnormal operand, and
 * the two products that read the head's gradient (the output layer's weight gradient and
 * its input gradient) ran 4-6 times slower than the same products on normal data. */
void rnl_flush_subnormals(rnl_real *x, size_t n);

/* x[0..n) = sigmoid(x), tanh(x) in place (rnl_sigmoid, rnl_tanh below), whole vectors. */
void rnl_sigmoid_row(rnl_real *x, int n);
void rnl_tanh_row(rnl_real *x, int n);

/* ---------------------------------------------------------------- activations ------- */
/* The reference versions call libm; the fast float versions below are branch-free so the
 * gate loops vectorise, and tests/test_kernels.c checks them against the reference over the
 * whole float range (max relative error of exp and sigmoid 2.5e-7, absolute error of tanh
 * 2e-7). The double build (gradient checks) uses libm throughout. */
static inline rnl_real rnl_sigmoid_ref(rnl_real x) {
    /* exp of a non-positive argument only: no overflow for any x. */
    if (x >= 0) return (rnl_real)1 / ((rnl_real)1 + RNL_EXP(-x));
    rnl_real e = RNL_EXP(x);
    return e / ((rnl_real)1 + e);
}
static inline rnl_real rnl_tanh_ref(rnl_real x) { return RNL_TANH(x); }

#ifdef RNL_DOUBLE
static inline double rnl_exp(double x) { return exp(x); }
static inline double rnl_sigmoid(double x) { return rnl_sigmoid_ref(x); }
static inline double rnl_tanh(double x) { return tanh(x); }
#else
/* exp(x): x = k·ln2 + r with |r| <= ln2/2 (Cody-Waite split of ln2), e^r by its degree-7
 * Taylor polynomial (truncation < 3e-9 relative), times 2^k built in the exponent bits.
 * The polynomials here are written with fmaf: -std=c11 keeps the compiler from fusing
 * a*b + c itself, and the unfused Horner chains were twice as long (the Bernoulli loss of
 * one batch-1 evaluation step spent a quarter of the step in them).
 * x is clamped to [-87, 88] (e^-87 = 1.6e-38, e^88 = 1.7e38); NaN stays NaN. */
static inline float rnl_exp(float x) {
    x = x < -87.0f ? -87.0f : x;
    x = x > 88.0f ? 88.0f : x;
    float k = __builtin_rintf(x * 1.44269504088896341f);
    float r = fmaf(k, -0.693145751953125f, x);
    r = fmaf(k, -1.428606820309417232e-6f, r);
    float p = 1.0f / 5040.0f;
    p = fmaf(p, r, 1.0f / 720.0f);
    p = fmaf(p, r, 1.0f / 120.0f);
    p = fmaf(p, r, 1.0f / 24.0f);
    p = fmaf(p, r, 1.0f / 6.0f);
    p = fmaf(p, r, 0.5f);
    p = fmaf(p, r, 1.0f);
    p = fmaf(p, r, 1.0f);
    /* 2^k in the exponent bits; a NaN x gives k = NaN, which must not reach the integer
     * conversion (undefined): it gets exponent 0 and p carries the NaN through. */
    float kk = k == k ? k : 0.0f;
    union { unsigned u; float f; } u = {(unsigned)((int)kk + 127) << 23};
    return p * u.f;
}
/* sigmoid(x) = 1/(1 + e^-x): no cancellation for either sign. */
static inline float rnl_sigmoid(float x) { return 1.0f / (1.0f + rnl_exp(-x)); }
/* tanh: an odd minimax polynomial for |x| < 0.625 (coefficients of the Cephes tanhf), and
 * 1 − 2/(e^{2|x|} + 1) with the sign restored beyond; both computed, one selected. */
static inline float rnl_tanh(float x) {
    float ax = x < 0 ? -x : x, z = x * x;
    float p = -5.70498872745e-3f;
    p = fmaf(p, z, 2.06390887954e-2f);
    p = fmaf(p, z, -5.37397155531e-2f);
    p = fmaf(p, z, 1.33314422036e-1f);
    p = fmaf(p, z, -3.33332819422e-1f);
    float small = fmaf(x * z, p, x);
    float big = 1.0f - 2.0f / (rnl_exp(2.0f * ax) + 1.0f);
    big = x < 0 ? -big : big;
    return ax < 0.625f ? small : big;
}
#endif

#endif
