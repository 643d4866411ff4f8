/* kernels.c — GEMM through CBLAS (OpenBLAS) and its plain twin. */
#include <cblas.h>
#include <string.h>
#include "kernels.h"

/* OpenBLAS's thread control (declared in its cblas.h on Debian; declared again here so the
 * code does not depend on that header's extensions). */
void openblas_set_num_threads(int num_threads);

void rnl_set_threads(int n) { openblas_set_num_threads(n < 1 ? 1 : n); }

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
 * compiler vectorises; zero entries of A are skipped. Used for small M (the per-step
 * products at batch 1..8), where a BLAS call costs more than the arithmetic. */
/* Output columns are taken RNL_NB at a time and held in a local block (registers: 4 AVX-512
 * vectors in float) across the whole k loop, so each row of B is read once per block and C
 * is written once. The float build uses fused multiply-adds here (one rounding each; the
 * tests compare this kernel with rnl_gemm_ref); the double build keeps plain arithmetic. */
#define RNL_NB 64
#ifdef RNL_DOUBLE
#define RNL_MADD(a, b, c) ((a) * (b) + (c))
#else
#define RNL_MADD(a, b, c) fmaf((a), (b), (c))
#endif
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

void rnl_gemm_sparse_a(int M, int N, int K, rnl_real alpha, const rnl_real *A, int lda,
                       const rnl_real *B, int ldb, rnl_real beta, rnl_real *C, int ldc) {
    gemm_nn_rows(M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}

void rnl_transpose(const rnl_real *src, int rows, int cols, rnl_real *dst) {
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++) dst[(size_t)j * rows + i] = src[(size_t)i * cols + j];
}

void rnl_gemm(char ta, char tb, int M, int N, int K, rnl_real alpha, const rnl_real *A,
              int lda, const rnl_real *B, int ldb, rnl_real beta, rnl_real *C, int ldc) {
    if (M <= 0 || N <= 0) return;
    if (M <= 8 && ta == 'N' && tb == 'N' && K > 0) {
        gemm_nn_rows(M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
        return;
    }
    if (K <= 0) {
        for (int i = 0; i < M; i++)
            for (int j = 0; j < N; j++)
                C[(size_t)i * ldc + j] = beta == 0 ? 0 : beta * C[(size_t)i * ldc + j];
        return;
    }
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
