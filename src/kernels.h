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

static inline rnl_real rnl_sigmoid(rnl_real x) {
    /* exp of a non-positive argument only: no overflow for any x. */
    if (x >= 0) return (rnl_real)1 / ((rnl_real)1 + RNL_EXP(-x));
    rnl_real e = RNL_EXP(x);
    return e / ((rnl_real)1 + e);
}

#endif
