/* kset.h — the kernel sets (internal): the library's numerical core compiled three times,
 * for AVX-512, for AVX2 + FMA and for the x86-64 baseline, and one of them chosen once, at
 * the first call, from the CPU (cpu.c). Everything else is compiled once, for the build's
 * target, and reaches the core through this table.
 *
 * Which files form a set: the Makefile's KSET_SRC (the kernels, the cells, the heads, the
 * weight noise and the optimiser: everything with intrinsics, fused multiply-adds or hot
 * vectorised loops). Each set's objects are compiled with -DRNL_KSET=<name> and
 * `-include src/core/kset_names.h`, which renames their external symbols (rnl_gemm becomes
 * rnl_gemm_avx512), so the three copies link side by side; the names this header declares
 * (rnl_gemm, ...) are cpu.c's wrappers, which call the chosen set.
 *
 * Within one set the results are those of a single build with that set's flags. Between
 * sets they differ where the code takes a different path (docs/PERFORMANCE.md, "Kernel
 * sets"): the AVX-512 set's register tiles sum in another order than the portable panel
 * kernel, and its mixture NLL and noise take vector paths; plain and AVX2 run the same
 * source, the FMAs in libm (plain) or in hardware (AVX2), which round alike. */
#ifndef RNL_KSET_H
#define RNL_KSET_H

#include <stdint.h>
#include "core/cells.h"
#include "core/heads.h"

/* The sets, in the order of preference: the best one the CPU supports is the default. */
typedef enum { RNL_KSET_PLAIN, RNL_KSET_AVX2, RNL_KSET_AVX512, RNL_KSET_COUNT } rnl_kset;

/* One set: its name (RNNLAB_CPU's value), the functions other layers call, and its cells
 * and heads (descriptors whose forward, backward, rows, ... are the set's). The functions'
 * contracts are in kernels.h, noise.h, heads.h and rnnlab.h under the same names. */
typedef struct rnl_kernel_set {
    const char *name;
    /* kernels.c */
    void (*gemm)(char ta, char tb, int M, int N, int K, rnl_real alpha, const rnl_real *A,
                 int lda, const rnl_real *B, int ldb, rnl_real beta, rnl_real *C, int ldc);
    void (*gemm_ref)(char ta, char tb, int M, int N, int K, rnl_real alpha, const rnl_real *A,
                     int lda, const rnl_real *B, int ldb, rnl_real beta, rnl_real *C, int ldc);
    void (*gemm_sparse_a)(int M, int N, int K, rnl_real alpha, const rnl_real *A, int lda,
                          const rnl_real *B, int ldb, rnl_real beta, rnl_real *C, int ldc);
    size_t (*packed_len)(int K, int N);
    void (*pack)(char tb, int K, int N, const rnl_real *B, int ldb, rnl_real *P);
    void (*gemm_packed)(int M, int N, int K, rnl_real alpha, const rnl_real *A, int lda,
                        const rnl_real *P, int PK, int k0, int c0, rnl_real beta, rnl_real *C,
                        int ldc);
    void (*gemm_sparse_at)(int M, int N, int K, rnl_real alpha, const rnl_real *A, int lda,
                           const rnl_real *B, int ldb, rnl_real *C, int ldc);
    void (*transpose)(const rnl_real *src, int rows, int cols, rnl_real *dst);
    void (*flush_subnormals)(rnl_real *x, size_t n);
    void (*sigmoid_row)(rnl_real *x, int n);
    void (*tanh_row)(rnl_real *x, int n);
    /* noise.c */
    void (*rng_add_normal)(rnl_rng *r, rnl_real *out, size_t n, double sigma);
    void (*rng_lanes)(uint64_t st[4][8], uint32_t out[256], int fast);
    int (*rng_zig_block)(const uint32_t *w, int m, float sg, rnl_real *o, uint16_t *mbits, int fast);
    /* head_bernoulli.c, head_mog.c, head_softmax.c */
    double (*bernoulli_nll)(const rnl_real *a, const rnl_real *y, int O, rnl_real *da);
    double (*bernoulli_nll_ref)(const rnl_real *a, const rnl_real *y, int O, rnl_real *da);
    void (*bernoulli_grad)(const rnl_real *a, const rnl_real *y, int O, rnl_real scale, rnl_real *da);
    rnl_mog_grid (*mog_grid16)(double data_mean, double data_std);
    double (*mog_nll)(const rnl_real *a, const rnl_real *y, int O, int K, const rnl_mog_grid *q,
                      rnl_real *da);
    double (*mog_nll_fast)(const rnl_real *a, const rnl_real *y, int O, int K,
                           const rnl_mog_grid *q, rnl_real *da);
    double (*softmax_nll)(const rnl_real *a, const rnl_real *y, int O, rnl_real *da);
    double (*softmax_nll_ref)(const rnl_real *a, const rnl_real *y, int O, rnl_real *da);
    /* optim.c */
    void (*rmsprop_step)(const rnl_rmsprop *o, rnl_real *p, const rnl_real *g, rnl_real *ms,
                         rnl_real *buf, size_t n);
    double (*clip_global_norm)(rnl_real *g, size_t n, double max_norm);
    /* [RNL_CELL_COUNT] and [RNL_HEAD_COUNT]: the tables cells.c and heads.c read */
    const rnl_cell_desc *const *cell;
    const rnl_head_desc *const *head;
} rnl_kernel_set;

/* The three sets (kset.c, compiled once per set). */
extern const rnl_kernel_set rnl_kernels_plain, rnl_kernels_avx2, rnl_kernels_avx512;

/* The set in use: chosen at the first call (rnl_cpu_init, rnnlab.h). If that choice failed
 * (RNNLAB_CPU names no set, or one this CPU lacks) there is no set to compute with: the
 * message goes to stderr and the process aborts. Every status-returning entry point that
 * leads to computing (rnl_model_create, rnl_model_load; the tool at start) calls
 * rnl_cpu_init first and returns the error instead, so only a program that calls a
 * kernel directly and ignores rnl_cpu_init can get there. */
const rnl_kernel_set *rnl_kset_active(void);
/* 1 if this CPU (and its operating system) supports set k, else 0. */
int rnl_kset_supported(rnl_kset k);
/* Set k's table, for any k < RNL_KSET_COUNT (supported or not; its metadata, such as the
 * cells' names, is the same in every set). */
const rnl_kernel_set *rnl_kset_table(rnl_kset k);

#endif
