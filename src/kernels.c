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

void rnl_gemm(char ta, char tb, int M, int N, int K, rnl_real alpha, const rnl_real *A,
              int lda, const rnl_real *B, int ldb, rnl_real beta, rnl_real *C, int ldc) {
    if (M <= 0 || N <= 0) return;
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
