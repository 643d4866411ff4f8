/* test_kernels.c — every fast kernel against its plain twin: exp/sigmoid/tanh against libm
 * over the whole float range, the vectorised Bernoulli NLL against the libm one, the
 * small-M and sparse GEMM paths against the triple loop, and the ziggurat normal sampler
 * against the normal distribution (moments and a Kolmogorov-Smirnov bound). */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "core/kernels.h"
#include "core/noise.h"
#include "io/util.h"

static void test_activations(void) {
    double e_exp = 0, e_sig = 0, e_tanh = 0;
    /* Dense sweep of [-90, 90] plus the neighbourhood of 0 and the tanh branch point. */
    for (int i = -900000; i <= 900000; i++) {
        float x = (float)(i * 1e-4);
        if (x > -87 && x < 88) {
            double r = exp((double)x), f = rnl_exp(x);
            e_exp = fmax(e_exp, fabs(f - r) / r);
        }
        double rs = 1 / (1 + exp(-(double)x)), fs = rnl_sigmoid(x);
        if (rs > 1e-37) e_sig = fmax(e_sig, fabs(fs - rs) / rs);
        e_tanh = fmax(e_tanh, fabs(rnl_tanh(x) - tanh((double)x)));
    }
    for (float x = 1e-30f; x < 1; x *= 1.5f) {
        e_tanh = fmax(e_tanh, fabs(rnl_tanh(x) - tanh((double)x)) / tanh((double)x) * 1e-7);
        CHECK(fabs(rnl_tanh(x) - tanh((double)x)) <= 2e-7 * tanh((double)x) + 1e-45, "tanh relative at %g", x);
    }
    printf("kernels: max rel err exp %.2e, sigmoid %.2e; max abs err tanh %.2e\n", e_exp, e_sig, e_tanh);
    CHECK(e_exp < 2.5e-7, "exp relative error %g", e_exp);
    CHECK(e_sig < 2.5e-7, "sigmoid relative error %g", e_sig);
    CHECK(e_tanh < 2e-7, "tanh absolute error %g", e_tanh);
    CHECK(rnl_sigmoid(1e30f) == 1 && rnl_sigmoid(-1e30f) < 1e-30f, "sigmoid saturates");
    CHECK(rnl_tanh(1e30f) == 1 && rnl_tanh(-1e30f) == -1, "tanh saturates");
    CHECK(isnan(rnl_tanh(NAN)) && isnan(rnl_sigmoid(NAN)), "NaN propagates");
}

static void test_bernoulli(void) {
    rnl_rng r;
    rnl_rng_seed(&r, 3);
    double worst = 0;
    rnl_real a[88], y[88], d1[88], d2[88];
    for (int it = 0; it < 2000; it++) {
        double scale = it < 1000 ? 3 : 40;
        for (int k = 0; k < 88; k++) {
            a[k] = (rnl_real)(scale * rnl_rng_normal(&r));
            y[k] = rnl_rng_uniform(&r) < 0.1;
        }
        double f = rnl_bernoulli_nll(a, y, 88, d1), g = rnl_bernoulli_nll_ref(a, y, 88, d2);
        worst = fmax(worst, fabs(f - g) / fmax(g, 1e-3));
        for (int k = 0; k < 88; k++) CHECK(fabs(d1[k] - d2[k]) <= 3e-7, "d nll at %g", a[k]);
    }
    printf("kernels: Bernoulli NLL max rel diff %.2e\n", worst);
    CHECK(worst < 2e-6, "Bernoulli NLL relative difference %g", worst);
}

static void test_gemm_paths(void) {
    rnl_rng r;
    rnl_rng_seed(&r, 9);
    static const int dims[][3] = {{1, 138, 46}, {4, 184, 36}, {8, 300, 100}, {9, 20, 7}, {40, 138, 88}};
    for (size_t d = 0; d < sizeof dims / sizeof *dims; d++) {
        int M = dims[d][0], N = dims[d][1], K = dims[d][2];
        rnl_real *A = malloc(sizeof(rnl_real) * M * K), *B = malloc(sizeof(rnl_real) * K * N);
        rnl_real *C1 = malloc(sizeof(rnl_real) * M * N), *C2 = malloc(sizeof(rnl_real) * M * N);
        rnl_real *C3 = malloc(sizeof(rnl_real) * M * N);
        for (int k = 0; k < M * K; k++) A[k] = rnl_rng_uniform(&r) < 0.05 ? 1 : 0; /* a piano roll */
        for (int k = 0; k < K * N; k++) B[k] = (rnl_real)rnl_rng_normal(&r);
        for (int k = 0; k < M * N; k++) C1[k] = C2[k] = C3[k] = (rnl_real)rnl_rng_normal(&r);
        rnl_gemm('N', 'N', M, N, K, 1, A, K, B, N, 1, C1, N);
        rnl_gemm_sparse_a(M, N, K, 1, A, K, B, N, 1, C3, N);
        rnl_gemm_ref('N', 'N', M, N, K, 1, A, K, B, N, 1, C2, N);
        double w1 = 0, w3 = 0;
        for (int k = 0; k < M * N; k++) {
            w1 = fmax(w1, fabs(C1[k] - C2[k]) / (1 + fabs(C2[k])));
            w3 = fmax(w3, fabs(C3[k] - C2[k]) / (1 + fabs(C2[k])));
        }
        CHECK(w1 < 1e-5 && w3 < 1e-5, "gemm %dx%dx%d: %g %g", M, N, K, w1, w3);
        rnl_real *T1 = malloc(sizeof(rnl_real) * K * N);
        rnl_transpose(B, K, N, T1);
        int ok = 1;
        for (int i = 0; i < K; i++)
            for (int j = 0; j < N; j++) ok &= T1[(size_t)j * K + i] == B[(size_t)i * N + j];
        CHECK(ok, "transpose %dx%d", K, N);
        free(T1);
        free(A);
        free(B);
        free(C1);
        free(C2);
        free(C3);
    }
}

/* The dense small-batch path (every tile shape, masked last vectors, both k chains, K odd)
 * (k blocks of 256, batch up to 16) and the sparse-A kernel (same contract, here on dense and on mostly-zero A, K beyond its
 * 128-entry list), on submatrices (leading dimensions wider than the operands, guard values after each row
 * that must stay untouched), against the double-accumulating reference. */
static void test_gemm_dense_small(void) {
    rnl_rng r;
    rnl_rng_seed(&r, 11);
    static const int Ns[] = {1, 15, 16, 17, 46, 92, 127, 128, 129, 138, 300};
    static const int Ks[] = {1, 2, 7, 36, 46, 200, 600}; /* 600: three k blocks */
    static const rnl_real betas[] = {0, 1, 0.5f};
    int cases = 0;
    double worst = 0;
    for (int M = 1; M <= 17; M++)
        for (size_t n = 0; n < sizeof Ns / sizeof *Ns; n++)
            for (size_t kk = 0; kk < sizeof Ks / sizeof *Ks; kk++) {
                const int N = Ns[n], K = Ks[kk], lda = K + 3, ldb = N + 5, ldc = N + 7;
                const rnl_real beta = betas[(M + n + kk) % 3], alpha = (M & 1) ? 1 : 0.7f;
                rnl_real *A = malloc(sizeof(rnl_real) * M * lda), *B = malloc(sizeof(rnl_real) * K * ldb);
                rnl_real *C1 = malloc(sizeof(rnl_real) * M * ldc), *C2 = malloc(sizeof(rnl_real) * M * ldc);
                rnl_real *C3 = malloc(sizeof(rnl_real) * M * ldc);
                const int sparse = (M + N + K) % 2;
                for (int k = 0; k < M * lda; k++)
                    A[k] = sparse && rnl_rng_uniform(&r) < 0.9 ? 0 : (rnl_real)rnl_rng_normal(&r);
                for (int k = 0; k < K * ldb; k++) B[k] = (rnl_real)rnl_rng_normal(&r);
                for (int k = 0; k < M * ldc; k++) C1[k] = C2[k] = C3[k] = (rnl_real)rnl_rng_normal(&r);
                rnl_gemm('N', 'N', M, N, K, alpha, A, lda, B, ldb, beta, C1, ldc);
                rnl_gemm_sparse_a(M, N, K, alpha, A, lda, B, ldb, beta, C3, ldc);
                rnl_gemm_ref('N', 'N', M, N, K, alpha, A, lda, B, ldb, beta, C2, ldc);
                int guards = 1;
                for (int i = 0; i < M; i++)
                    for (int j = 0; j < ldc; j++) {
                        size_t at = (size_t)i * ldc + j;
                        if (j >= N) { guards &= C1[at] == C2[at] && C3[at] == C2[at]; continue; }
                        double scale = K + fabs(C2[at]); /* rounding grows at most ~K·eps */
                        worst = fmax(worst, fabs(C1[at] - C2[at]) / scale);
                        worst = fmax(worst, fabs(C3[at] - C2[at]) / scale);
                    }
                CHECK(guards, "gemm %dx%dx%d wrote past N", M, N, K);
                free(C3);
                cases++;
                free(A);
                free(B);
                free(C1);
                free(C2);
            }
    /* Split over threads (OpenMP builds): the same bits as one thread, for any count. */
    for (int M = 1; M <= 16; M += 15) {
        const int N = 1000, K = 600;
        rnl_real *A = malloc(sizeof(rnl_real) * M * K), *B = malloc(sizeof(rnl_real) * K * N);
        rnl_real *C1 = malloc(sizeof(rnl_real) * M * N), *C2 = malloc(sizeof(rnl_real) * M * N);
        for (int k = 0; k < M * K; k++) A[k] = (rnl_real)rnl_rng_normal(&r);
        for (int k = 0; k < K * N; k++) B[k] = (rnl_real)rnl_rng_normal(&r);
        rnl_set_threads(1);
        rnl_gemm('N', 'N', M, N, K, 1, A, K, B, N, 0, C1, N);
        for (int nt = 2; nt <= 3; nt++) {
            rnl_set_threads(nt);
            rnl_gemm('N', 'N', M, N, K, 1, A, K, B, N, 0, C2, N);
            CHECK(memcmp(C1, C2, sizeof(rnl_real) * M * N) == 0, "gemm %dx%dx%d on %d threads differs", M, N, K, nt);
        }
        rnl_set_threads(1);
        rnl_gemm_ref('N', 'N', M, N, K, 1, A, K, B, N, 0, C2, N);
        for (int k = 0; k < M * N; k++) worst = fmax(worst, fabs(C1[k] - C2[k]) / (K + fabs(C2[k])));
        free(A);
        free(B);
        free(C1);
        free(C2);
    }
    /* Large products on threads: C cut along its longer side, one BLAS call per thread;
     * every transpose combination and both cuts, against the reference, and the same bits
     * on a second call with the same thread count. */
    static const int big[][3] = {{300, 200, 100}, {150, 400, 90}};
    for (size_t d = 0; d < sizeof big / sizeof *big; d++)
        for (int tr = 0; tr < 4; tr++) {
            const int M = big[d][0], N = big[d][1], K = big[d][2];
            const char ta = tr & 1 ? 'T' : 'N', tb = tr & 2 ? 'T' : 'N';
            const int lda = ta == 'N' ? K : M, ldb = tb == 'N' ? N : K;
            rnl_real *A = malloc(sizeof(rnl_real) * M * K), *B = malloc(sizeof(rnl_real) * K * N);
            rnl_real *C1 = malloc(sizeof(rnl_real) * M * N), *C2 = malloc(sizeof(rnl_real) * M * N);
            rnl_real *C3 = malloc(sizeof(rnl_real) * M * N);
            for (int k = 0; k < M * K; k++) A[k] = (rnl_real)rnl_rng_normal(&r);
            for (int k = 0; k < K * N; k++) B[k] = (rnl_real)rnl_rng_normal(&r);
            for (int k = 0; k < M * N; k++) C1[k] = C2[k] = C3[k] = (rnl_real)rnl_rng_normal(&r);
            rnl_set_threads(2);
            rnl_gemm(ta, tb, M, N, K, 0.5f, A, lda, B, ldb, 1, C1, N);
            rnl_gemm(ta, tb, M, N, K, 0.5f, A, lda, B, ldb, 1, C3, N);
            rnl_set_threads(1);
            rnl_gemm_ref(ta, tb, M, N, K, 0.5f, A, lda, B, ldb, 1, C2, N);
            CHECK(memcmp(C1, C3, sizeof(rnl_real) * M * N) == 0, "gemm %c%c on 2 threads not repeatable", ta, tb);
            double w = 0;
            for (int k = 0; k < M * N; k++) w = fmax(w, fabs(C1[k] - C2[k]) / (K + fabs(C2[k])));
            CHECK(w < 1e-6, "gemm %c%c %dx%dx%d on 2 threads: scaled error %g", ta, tb, M, N, K, w);
            worst = fmax(worst, w);
            cases++;
            free(A);
            free(B);
            free(C1);
            free(C2);
            free(C3);
        }
    printf("kernels: dense small-M and sparse-A gemm, %d shapes, worst scaled error %.2e\n", cases, worst);
    CHECK(worst < 1e-6, "dense gemm scaled error %g", worst);
}

/* The packed path the cells use: B [PK, PN] packed from itself ('N') and from its transpose
 * ('T'); every product over a block [k0, k0+K) x [c0, c0+N) of it (c0 on a panel boundary,
 * N ending inside a panel or on one), batch 1..20, against the reference on the same block;
 * guard columns after N untouched; the pack itself element by element, with its zero padding;
 * on 2 and 3 threads the same bits as on one. */
static void test_gemm_packed(void) {
    rnl_rng r;
    rnl_rng_seed(&r, 12);
    static const int shapes[][2] = {{46, 138}, {36, 144}, {100, 100}, {1, 1}, {200, 129}, {600, 300},
                                    {195, 780}, {17, 15}, {227, 454}};
    int cases = 0, packs_ok = 1;
    double worst = 0;
    for (size_t d = 0; d < sizeof shapes / sizeof *shapes; d++) {
        const int PK = shapes[d][0], PN = shapes[d][1];
        rnl_real *B = malloc(sizeof(rnl_real) * PK * PN), *BT = malloc(sizeof(rnl_real) * PK * PN);
        rnl_real *P1 = malloc(sizeof(rnl_real) * rnl_packed_len(PK, PN));
        rnl_real *P2 = malloc(sizeof(rnl_real) * rnl_packed_len(PK, PN));
        for (int k = 0; k < PK * PN; k++) B[k] = (rnl_real)rnl_rng_normal(&r);
        for (int i = 0; i < PK; i++)
            for (int j = 0; j < PN; j++) BT[(size_t)j * PK + i] = B[(size_t)i * PN + j];
        rnl_pack('N', PK, PN, B, PN, P1);
        for (int fast = 0; fast <= 1; fast++) { /* the transposed pack: reference loop, then fast */
            rnl_pack_fast = fast;
            for (size_t k = 0; k < rnl_packed_len(PK, PN); k++) P2[k] = (rnl_real)NAN;
            rnl_pack('T', PK, PN, BT, PK, P2);
            for (int q = 0; q * RNL_PANEL < PN; q++)
                for (int k = 0; k < PK; k++)
                    for (int j = 0; j < RNL_PANEL; j++) {
                        const size_t at = ((size_t)q * PK + k) * RNL_PANEL + j;
                        const int c = q * RNL_PANEL + j;
                        const rnl_real want = c < PN ? B[(size_t)k * PN + c] : 0;
                        packs_ok &= P1[at] == want && P2[at] == want;
                    }
        }
        const int k0s[] = {0, PK / 3, PK - 1}, c0s[] = {0, RNL_PANEL, 2 * RNL_PANEL};
        for (int M = 1; M <= 20; M += M < 6 ? 1 : 7)
            for (int a = 0; a < 3; a++)
                for (int b = 0; b < 3; b++) {
                    const int k0 = k0s[a], c0 = c0s[b];
                    if (c0 >= PN) continue;
                    const int K = PK - k0 - (a == 1 ? PK / 5 : 0), N = PN - c0 - (b == 1 ? 3 : 0);
                    if (K < 0 || N <= 0) continue;
                    const int lda = K + 2, ldc = N + 4;
                    const rnl_real alpha = (M & 1) ? 1 : 0.7f, beta = (rnl_real)((M + a + b) % 3) * 0.5f;
                    rnl_real *A = malloc(sizeof(rnl_real) * M * lda);
                    rnl_real *C1 = malloc(sizeof(rnl_real) * M * ldc), *C2 = malloc(sizeof(rnl_real) * M * ldc);
                    for (int k = 0; k < M * lda; k++) A[k] = (rnl_real)rnl_rng_normal(&r);
                    for (int k = 0; k < M * ldc; k++) C1[k] = C2[k] = (rnl_real)rnl_rng_normal(&r);
                    rnl_gemm_packed(M, N, K, alpha, A, lda, (a + b) & 1 ? P1 : P2, PK, k0, c0, beta, C1, ldc);
                    rnl_gemm_ref('N', 'N', M, N, K, alpha, A, lda, B + (size_t)k0 * PN + c0, PN, beta, C2, ldc);
                    int guards = 1;
                    for (int i = 0; i < M; i++)
                        for (int j = 0; j < ldc; j++) {
                            const size_t at = (size_t)i * ldc + j;
                            if (j >= N) guards &= C1[at] == C2[at];
                            else worst = fmax(worst, fabs(C1[at] - C2[at]) / (K + 1 + fabs(C2[at])));
                        }
                    CHECK(guards, "packed gemm %dx%dx%d (k0 %d, c0 %d) wrote past N", M, N, K, k0, c0);
                    if (M == 16 && a == 0 && b == 0) { /* threads: the same bits */
                        for (int nt = 2; nt <= 3; nt++) {
                            memcpy(C2, C1, sizeof(rnl_real) * M * ldc);
                            rnl_real *C3 = malloc(sizeof(rnl_real) * M * ldc);
                            memcpy(C3, C1, sizeof(rnl_real) * M * ldc);
                            rnl_set_threads(1);
                            rnl_gemm_packed(M, N, K, alpha, A, lda, P1, PK, k0, c0, beta, C2, ldc);
                            rnl_set_threads(nt);
                            rnl_gemm_packed(M, N, K, alpha, A, lda, P1, PK, k0, c0, beta, C3, ldc);
                            rnl_set_threads(1);
                            CHECK(memcmp(C2, C3, sizeof(rnl_real) * M * ldc) == 0,
                                  "packed gemm %dx%dx%d on %d threads differs", M, N, K, nt);
                            free(C3);
                        }
                    }
                    cases++;
                    free(A);
                    free(C1);
                    free(C2);
                }
        free(B);
        free(BT);
        free(P1);
        free(P2);
    }
    CHECK(packs_ok, "rnl_pack: a packed element or its padding is wrong");
    printf("kernels: packed gemm, %d blocks, worst scaled error %.2e\n", cases, worst);
    CHECK(cases > 300 && worst < 1e-6, "packed gemm: %d cases, scaled error %g", cases, worst);
}

/* The row forms of the gate functions give the scalar functions' bits on every element,
 * for every row length around the vector width, and leave the element after the row alone. */
static void test_rows(void) {
    rnl_rng r;
    rnl_rng_seed(&r, 13);
    int ok = 1;
    for (int n = 1; n <= 70; n++) {
        rnl_real x[72], s1[72], s2[72];
        for (int k = 0; k < 72; k++) x[k] = (rnl_real)(8 * rnl_rng_normal(&r));
        memcpy(s1, x, sizeof x);
        memcpy(s2, x, sizeof x);
        rnl_sigmoid_row(s1, n);
        rnl_tanh_row(s2, n);
        for (int k = 0; k < 72; k++) {
            ok &= k < n ? s1[k] == rnl_sigmoid(x[k]) : s1[k] == x[k];
            ok &= k < n ? s2[k] == rnl_tanh(x[k]) : s2[k] == x[k];
        }
    }
    CHECK(ok, "rnl_sigmoid_row / rnl_tanh_row differ from the scalar functions");
}

/* The AVX-512 steps of the bulk ziggurat give the plain loops' bits: 256 draws from the
 * same lane states (and the same states after), and the rectangle step on blocks of every
 * length class (whole vectors, a partial last vector), values and miss marks alike. */
/* rnl_flush_subnormals by hand: subnormals of either sign to +0, the smallest normals, zeros,
 * infinities, NaN and ordinary values kept bit for bit. */
static void test_flush(void) {
#ifdef RNL_DOUBLE
    const rnl_real mn = DBL_MIN;
#else
    const rnl_real mn = FLT_MIN;
#endif
    rnl_real x[] = {mn, -mn, mn / 2, -mn / 4, mn / (rnl_real)(1 << 20), 0, -0.0f, 1, -3.5f,
                    (rnl_real)INFINITY, (rnl_real)-INFINITY, (rnl_real)NAN, 1e-30f};
    const rnl_real want[] = {mn, -mn, 0, 0, 0, 0, -0.0f, 1, -3.5f, (rnl_real)INFINITY, (rnl_real)-INFINITY,
                             (rnl_real)NAN, 1e-30f};
    const size_t n = sizeof x / sizeof x[0];
    rnl_flush_subnormals(x, n);
    int ok = 1;
    for (size_t i = 0; i < n; i++) ok &= isnan(want[i]) ? isnan(x[i]) : memcmp(&x[i], &want[i], sizeof x[i]) == 0;
    ok &= !signbit(x[2]) && !signbit(x[3]);
    CHECK(ok, "rnl_flush_subnormals: subnormals to +0, everything else unchanged");
}

static void test_zig_fast(void) {
    rnl_rng r;
    rnl_rng_seed(&r, 14);
    int same = 1, misses = 0;
    for (int rep = 0; rep < 40; rep++) {
        uint64_t s1[4][8], s2[4][8];
        for (int i = 0; i < 4; i++)
            for (int l = 0; l < 8; l++) s1[i][l] = s2[i][l] = rnl_rng_next(&r);
        uint32_t w1[256], w2[256];
        rnl_rng_lanes(s1, w1, 0);
        rnl_rng_lanes(s2, w2, 1);
        same &= memcmp(w1, w2, sizeof w1) == 0 && memcmp(s1, s2, sizeof s1) == 0;
        const int m = rep < 20 ? 256 : 1 + (int)rnl_rng_below(&r, 256);
        rnl_real o1[256], o2[256];
        uint16_t b1[16] = {0}, b2[16] = {0};
        for (int j = 0; j < 256; j++) o1[j] = o2[j] = (rnl_real)rnl_rng_normal(&r);
        const int n1 = rnl_rng_zig_block(w1, m, 0.075f, o1, b1, 0);
        const int n2 = rnl_rng_zig_block(w1, m, 0.075f, o2, b2, 1);
        same &= n1 == n2 && memcmp(o1, o2, sizeof o1) == 0 && memcmp(b1, b2, sizeof b1) == 0;
        misses += n1;
    }
    CHECK(same, "bulk ziggurat: the AVX-512 steps differ from the plain loops");
    CHECK(misses > 0, "bulk ziggurat: no misses in 40 blocks, the slow path went untested");
}

/* rnl_gemm_sparse_at (X^T·dA over the non-zeros of X) against the reference 'T','N' product,
 * on mostly-zero and on dense A, M below and beyond its 128-entry list. */
static void test_gemm_sparse_at(void) {
    rnl_rng r;
    rnl_rng_seed(&r, 15);
    static const int dims[][3] = {{88, 138, 64}, {88, 144, 1}, {1, 5, 3}, {300, 17, 40}, {20, 80, 33}};
    double worst = 0;
    for (size_t d = 0; d < sizeof dims / sizeof *dims; d++)
        for (int dense = 0; dense < 2; dense++) {
            const int M = dims[d][0], N = dims[d][1], K = dims[d][2], lda = M + 3, ldb = N + 1, ldc = N + 2;
            rnl_real *A = malloc(sizeof(rnl_real) * K * lda), *B = malloc(sizeof(rnl_real) * K * ldb);
            rnl_real *C1 = malloc(sizeof(rnl_real) * M * ldc), *C2 = malloc(sizeof(rnl_real) * M * ldc);
            for (int k = 0; k < K * lda; k++)
                A[k] = dense || rnl_rng_uniform(&r) < 0.05 ? (rnl_real)rnl_rng_normal(&r) : 0;
            for (int k = 0; k < K * ldb; k++) B[k] = (rnl_real)rnl_rng_normal(&r);
            for (int k = 0; k < M * ldc; k++) C1[k] = C2[k] = (rnl_real)rnl_rng_normal(&r);
            rnl_gemm_sparse_at(M, N, K, 0.5f, A, lda, B, ldb, C1, ldc);
            rnl_gemm_ref('T', 'N', M, N, K, 0.5f, A, lda, B, ldb, 1, C2, ldc);
            int guards = 1;
            for (int i = 0; i < M; i++)
                for (int j = 0; j < ldc; j++) {
                    const size_t at = (size_t)i * ldc + j;
                    if (j >= N) guards &= C1[at] == C2[at];
                    else worst = fmax(worst, fabs(C1[at] - C2[at]) / (K + fabs(C2[at])));
                }
            CHECK(guards, "sparse A^T gemm %dx%dx%d wrote past N", M, N, K);
            free(A);
            free(B);
            free(C1);
            free(C2);
        }
    CHECK(worst < 1e-6, "sparse A^T gemm: scaled error %g", worst);
}

static double normal_cdf(double x) { return 0.5 * erfc(-x / sqrt(2.0)); }
static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void test_ziggurat(void) {
    enum { N = 400000 };
    rnl_real *v = calloc(N, sizeof(rnl_real));
    double *s = malloc(sizeof(double) * N);
    rnl_rng r;
    rnl_rng_seed(&r, 2024);
    rnl_rng_add_normal(&r, v, N, 1.0);
    double m1 = 0, m2 = 0, m4 = 0, tail = 0;
    for (int k = 0; k < N; k++) {
        s[k] = v[k];
        m1 += v[k];
        m2 += (double)v[k] * v[k];
        m4 += pow(v[k], 4);
        tail += fabs(v[k]) > 3.6541528853610088;
    }
    m1 /= N;
    m2 /= N;
    m4 /= N;
    qsort(s, N, sizeof(double), cmp_double);
    double ks = 0;
    for (int k = 0; k < N; k++) {
        double F = normal_cdf(s[k]);
        ks = fmax(ks, fmax(fabs(F - (double)k / N), fabs(F - (double)(k + 1) / N)));
    }
    printf("kernels: ziggurat mean %.4f var %.4f kurtosis %.3f tail %.2e KS %.2e\n", m1, m2, m4 / (m2 * m2),
           tail / N, ks);
    CHECK(fabs(m1) < 0.01 && fabs(m2 - 1) < 0.01, "moments %g %g", m1, m2);
    CHECK(fabs(m4 / (m2 * m2) - 3) < 0.05, "kurtosis %g", m4 / (m2 * m2));
    /* P(|z| > r) = 2.58e-4: the tail path is exercised and about right. */
    CHECK(tail / N > 1.5e-4 && tail / N < 3.7e-4, "tail fraction %g", tail / N);
    CHECK(ks < 1.63 / sqrt((double)N), "Kolmogorov-Smirnov statistic %g", ks);
    /* Deterministic: the same seed gives the same draws. */
    rnl_real *w = calloc(N, sizeof(rnl_real));
    rnl_rng_seed(&r, 2024);
    rnl_rng_add_normal(&r, w, N, 1.0);
    CHECK(memcmp(v, w, sizeof(rnl_real) * N) == 0, "same seed, same noise");
    free(v);
    free(w);
    free(s);
}

int main(void) {
    test_flush();
    test_activations();
    test_bernoulli();
    test_gemm_paths();
    test_gemm_dense_small();
    test_gemm_packed();
    test_rows();
    test_zig_fast();
    test_gemm_sparse_at();
    test_ziggurat();
    return CHECK_DONE("kernels");
}
