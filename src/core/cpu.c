/* cpu.c — the choice of kernel set (kset.h) and the functions that reach it: the set is
 * chosen once, at the first call, from the CPU or from RNNLAB_CPU; every kernel name other
 * layers call (rnl_gemm, rnl_cell_describe's descriptors, ...) is a wrapper here that calls
 * the chosen set's copy. Compiled for the build's own target, like the rest of the library. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/kernels.h"
#include "core/kset.h"
#include "core/noise.h"

/* ---------------------------------------------------------------- shared state ------- */
int rnl_kernel_threads = 1;
int rnl_pack_fast = 1;

/* OpenBLAS's thread control (declared in its cblas.h on Debian; declared again here so the
 * code does not depend on that header's extensions). */
void openblas_set_num_threads(int num_threads);

void rnl_set_threads(int n) {
    rnl_kernel_threads = n < 1 ? 1 : n;
#ifdef _OPENMP
    openblas_set_num_threads(1); /* the threads are OpenMP's: rnl_gemm splits the work */
#else
    openblas_set_num_threads(rnl_kernel_threads);
#endif
}

/* ---------------------------------------------------------------- the choice --------- */
static const rnl_kernel_set *const SETS[] = {
    [RNL_KSET_PLAIN] = &rnl_kernels_plain,
    [RNL_KSET_AVX2] = &rnl_kernels_avx2,
    [RNL_KSET_AVX512] = &rnl_kernels_avx512,
};
_Static_assert(sizeof SETS / sizeof SETS[0] == RNL_KSET_COUNT, "one row of SETS per rnl_kset");

/* What each set's objects are compiled for (the Makefile's KSET_FLAGS_<set>), as the CPU
 * reports it. __builtin_cpu_supports also asks the operating system (XGETBV) whether it
 * saves the ymm / zmm registers, so a CPU with AVX-512 under a kernel that disabled it
 * counts as without. */
static const char *missing_feature(rnl_kset k) {
    __builtin_cpu_init();
    switch (k) {
    case RNL_KSET_AVX512:
        if (!__builtin_cpu_supports("avx512f")) return "avx512f";
        if (!__builtin_cpu_supports("avx512bw")) return "avx512bw";
        if (!__builtin_cpu_supports("avx512dq")) return "avx512dq";
        if (!__builtin_cpu_supports("avx512vl")) return "avx512vl";
        if (!__builtin_cpu_supports("avx512cd")) return "avx512cd";
        return missing_feature(RNL_KSET_AVX2);
    case RNL_KSET_AVX2:
        if (!__builtin_cpu_supports("avx")) return "avx";
        if (!__builtin_cpu_supports("avx2")) return "avx2";
        if (!__builtin_cpu_supports("fma")) return "fma";
        if (!__builtin_cpu_supports("bmi")) return "bmi";
        if (!__builtin_cpu_supports("bmi2")) return "bmi2";
        if (!__builtin_cpu_supports("popcnt")) return "popcnt";
        return NULL;
    case RNL_KSET_PLAIN: return NULL; /* x86-64 itself */
    case RNL_KSET_COUNT: break;
    }
    return "(no such set)";
}

int rnl_kset_supported(rnl_kset k) { return (unsigned)k < RNL_KSET_COUNT && !missing_feature(k); }

const rnl_kernel_set *rnl_kset_table(rnl_kset k) {
    return (unsigned)k < RNL_KSET_COUNT ? SETS[k] : NULL;
}

static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static const rnl_kernel_set *g_set; /* NULL after a failed choice */
static char g_why[256];             /* the failed choice's message */

/* "avx512, avx2 or plain" of the sets this CPU supports, best first, into out [n]. */
static void supported_list(char *out, size_t n) {
    size_t k = 0;
    out[0] = '\0';
    for (int s = RNL_KSET_COUNT - 1; s >= 0 && k < n; s--)
        if (rnl_kset_supported((rnl_kset)s))
            k += (size_t)snprintf(out + k, n - k, "%s%s", k ? ", " : "", SETS[s]->name);
}

static void choose(void) {
    const char *want = getenv("RNNLAB_CPU");
    if (!want || !*want) { /* the best set this CPU supports; plain always is */
        int s = RNL_KSET_COUNT - 1;
        while (s > 0 && !rnl_kset_supported((rnl_kset)s)) s--;
        g_set = SETS[s];
        return;
    }
    for (int s = 0; s < RNL_KSET_COUNT; s++) {
        if (strcmp(want, SETS[s]->name) != 0) continue;
        const char *lack = missing_feature((rnl_kset)s);
        if (!lack) {
            g_set = SETS[s];
            return;
        }
        char have[64];
        supported_list(have, sizeof have);
        snprintf(g_why, sizeof g_why, "RNNLAB_CPU=%s: this CPU lacks %s (its kernel sets: %s)",
                 want, lack, have);
        return;
    }
    snprintf(g_why, sizeof g_why, "RNNLAB_CPU: expected avx512, avx2 or plain, got '%.64s'", want);
}

rnl_status rnl_cpu_init(void) {
    pthread_once(&g_once, choose);
    return g_set ? RNL_OK : rnl_fail(RNL_ERR_USAGE, "%s", g_why);
}

const char *rnl_cpu_name(void) { return rnl_cpu_init() == RNL_OK ? g_set->name : NULL; }

const rnl_kernel_set *rnl_kset_active(void) {
    pthread_once(&g_once, choose);
    if (!g_set) {
        fprintf(stderr, "rnnlab: %s\n", g_why);
        abort();
    }
    return g_set;
}

/* ---------------------------------------------------------------- the wrappers ------- */
/* Each calls the chosen set's copy with the same arguments; contracts in kernels.h,
 * noise.h, heads.h and rnnlab.h. */
#define KS (rnl_kset_active())

void rnl_gemm(char ta, char tb, int M, int N, int K, rnl_real alpha, const rnl_real *A,
              int lda, const rnl_real *B, int ldb, rnl_real beta, rnl_real *C, int ldc) {
    KS->gemm(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}
void rnl_gemm_ref(char ta, char tb, int M, int N, int K, rnl_real alpha, const rnl_real *A,
                  int lda, const rnl_real *B, int ldb, rnl_real beta, rnl_real *C, int ldc) {
    KS->gemm_ref(ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}
void rnl_gemm_sparse_a(int M, int N, int K, rnl_real alpha, const rnl_real *A, int lda,
                       const rnl_real *B, int ldb, rnl_real beta, rnl_real *C, int ldc) {
    KS->gemm_sparse_a(M, N, K, alpha, A, lda, B, ldb, beta, C, ldc);
}
size_t rnl_packed_len(int K, int N) { return KS->packed_len(K, N); }
void rnl_pack(char tb, int K, int N, const rnl_real *B, int ldb, rnl_real *P) {
    KS->pack(tb, K, N, B, ldb, P);
}
void rnl_gemm_packed(int M, int N, int K, rnl_real alpha, const rnl_real *A, int lda,
                     const rnl_real *P, int PK, int k0, int c0, rnl_real beta, rnl_real *C,
                     int ldc) {
    KS->gemm_packed(M, N, K, alpha, A, lda, P, PK, k0, c0, beta, C, ldc);
}
void rnl_gemm_sparse_at(int M, int N, int K, rnl_real alpha, const rnl_real *A, int lda,
                        const rnl_real *B, int ldb, rnl_real *C, int ldc) {
    KS->gemm_sparse_at(M, N, K, alpha, A, lda, B, ldb, C, ldc);
}
void rnl_transpose(const rnl_real *src, int rows, int cols, rnl_real *dst) {
    KS->transpose(src, rows, cols, dst);
}
void rnl_flush_subnormals(rnl_real *x, size_t n) { KS->flush_subnormals(x, n); }
void rnl_sigmoid_row(rnl_real *x, int n) { KS->sigmoid_row(x, n); }
void rnl_tanh_row(rnl_real *x, int n) { KS->tanh_row(x, n); }

void rnl_rng_add_normal(rnl_rng *r, rnl_real *out, size_t n, double sigma) {
    KS->rng_add_normal(r, out, n, sigma);
}
void rnl_rng_lanes(uint64_t st[4][8], uint32_t out[256], int fast) { KS->rng_lanes(st, out, fast); }
int rnl_rng_zig_block(const uint32_t *w, int m, float sg, rnl_real *o, uint16_t *mbits, int fast) {
    return KS->rng_zig_block(w, m, sg, o, mbits, fast);
}

double rnl_bernoulli_nll(const rnl_real *a, const rnl_real *y, int O, rnl_real *da) {
    return KS->bernoulli_nll(a, y, O, da);
}
double rnl_bernoulli_nll_ref(const rnl_real *a, const rnl_real *y, int O, rnl_real *da) {
    return KS->bernoulli_nll_ref(a, y, O, da);
}
void rnl_bernoulli_grad(const rnl_real *a, const rnl_real *y, int O, rnl_real scale, rnl_real *da) {
    KS->bernoulli_grad(a, y, O, scale, da);
}
rnl_mog_grid rnl_mog_grid16(double data_mean, double data_std) {
    return KS->mog_grid16(data_mean, data_std);
}
double rnl_mog_nll(const rnl_real *a, const rnl_real *y, int O, int K, const rnl_mog_grid *q,
                   rnl_real *da) {
    return KS->mog_nll(a, y, O, K, q, da);
}
double rnl_mog_nll_fast(const rnl_real *a, const rnl_real *y, int O, int K, const rnl_mog_grid *q,
                        rnl_real *da) {
    return KS->mog_nll_fast(a, y, O, K, q, da);
}
double rnl_softmax_nll(const rnl_real *a, const rnl_real *y, int O, rnl_real *da) {
    return KS->softmax_nll(a, y, O, da);
}
double rnl_softmax_nll_ref(const rnl_real *a, const rnl_real *y, int O, rnl_real *da) {
    return KS->softmax_nll_ref(a, y, O, da);
}

void rnl_rmsprop_step(const rnl_rmsprop *o, rnl_real *p, const rnl_real *g, rnl_real *ms,
                      rnl_real *buf, size_t n) {
    KS->rmsprop_step(o, p, g, ms, buf, n);
}
double rnl_clip_global_norm(rnl_real *g, size_t n, double max_norm) {
    return KS->clip_global_norm(g, n, max_norm);
}
#undef KS
