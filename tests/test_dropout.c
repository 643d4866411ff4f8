/* test_dropout.c — dropout (rnnlab.h rnl_dropout) in single precision: the masks' drop
 * fraction within a binomial bound and their values; a pass with p = 0 is the pass without
 * dropout bit for bit; at the output layer, with out.W = I, the logits are the mask times the
 * logits without dropout, the mask redrawn here from the seed (an independent reading of the
 * definition: site, then step, sequence, unit); the same seed gives the same NLL and gradient,
 * another seed others; a pass without dropout after one with it, on the same workspace, is
 * that of a fresh workspace (evaluation never sees a mask); p outside [0, 1) is refused.
 * The gradient with the masks held fixed is checked by finite differences in
 * dtest_gradcheck.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "rnnlab.h"

/* The masks: the number dropped is Binomial(n, p); |k − np| <= 6 sqrt(np(1−p)) fails with
 * probability < 2e-9 for a fair generator. Every kept value is 1/(1−p) as rnl_real. */
static void test_mask(void) {
    const size_t n = 1000003; /* odd: the last value takes a draw of its own */
    rnl_real *m = malloc(sizeof(rnl_real) * n), *m2 = malloc(sizeof(rnl_real) * n);
    CHECK(m && m2, "out of memory");
    if (!m || !m2) goto done;
    static const double ps[] = {0.0, 0.1, 0.5, 0.9};
    for (size_t i = 0; i < sizeof ps / sizeof *ps; i++) {
        const double p = ps[i];
        rnl_rng r;
        rnl_rng_seed(&r, 17 + i);
        rnl_dropout_mask(&r, p, m, n);
        const rnl_real keep = (rnl_real)(1.0 / (1.0 - p));
        size_t dropped = 0, other = 0;
        for (size_t k = 0; k < n; k++) {
            dropped += m[k] == 0;
            other += m[k] != 0 && m[k] != keep;
        }
        const double mean = p * (double)n, sd = sqrt((double)n * p * (1 - p));
        printf("dropout mask p=%.1f: %zu of %zu dropped (expected %.0f ± %.0f)\n", p, dropped, n, mean, sd);
        CHECK(fabs((double)dropped - mean) <= 6 * sd, "p=%g: %zu dropped of %zu, expected %.0f ± 6 x %.1f", p,
              dropped, n, mean, sd);
        CHECK(other == 0, "p=%g: %zu values neither 0 nor 1/(1-p)", p, other);
        /* Low 32 bits first, then the high: the first draw decides values 0 and 1. */
        rnl_rng r2;
        rnl_rng_seed(&r2, 17 + i);
        const uint64_t u = rnl_rng_next(&r2);
        const double thr = nearbyint(p * 4294967296.0);
        CHECK((m[0] == 0) == ((double)(u & 0xffffffffu) < thr) && (m[1] == 0) == ((double)(u >> 32) < thr),
              "p=%g: the first draw's halves do not decide the first two values", p);
        rnl_rng_seed(&r2, 17 + i);
        rnl_dropout_mask(&r2, p, m2, n);
        CHECK(memcmp(m, m2, sizeof(rnl_real) * n) == 0, "p=%g: the same seed gives another mask", p);
    }
done:
    free(m);
    free(m2);
}

/* A random model and batch (B = 3, lengths 6, 4, 1) to run passes on. */
typedef struct {
    rnl_model *m;
    rnl_workspace *ws;
    rnl_real x[6 * 3 * 4], y[6 * 3 * 4];
    int len[3];
    rnl_batch bt;
} fixture;

static int fixture_make(fixture *f, int layers, int H, int O) {
    memset(f, 0, sizeof *f);
    rnl_config c = {RNL_CELL_LSTM, RNL_VARIANT_PAPER, RNL_HEAD_BERNOULLI, layers, 4, H, O, 0};
    if (rnl_model_create(&c, &f->m) || rnl_workspace_create(&f->ws) || rnl_model_init(f->m, 5, 0)) {
        CHECK(0, "fixture: %s", rnl_last_error());
        return 0;
    }
    rnl_rng r;
    rnl_rng_seed(&r, 9);
    for (size_t k = 0; k < sizeof f->x / sizeof *f->x; k++) f->x[k] = (rnl_real)rnl_rng_normal(&r);
    for (size_t k = 0; k < sizeof f->y / sizeof *f->y; k++) f->y[k] = rnl_rng_uniform(&r) < 0.3;
    f->len[0] = 6, f->len[1] = 4, f->len[2] = 1;
    f->bt = (rnl_batch){6, 3, f->len, f->x, f->y};
    return 1;
}

static void fixture_free(fixture *f) {
    rnl_workspace_free(f->ws);
    rnl_model_free(f->m);
}

/* NLL and gradient of one pass into nll, g (zeroed first); 1 if the pass succeeded. */
static int pass(fixture *f, rnl_workspace *ws, const rnl_dropout *d, double *nll, rnl_real *g) {
    memset(g, 0, sizeof(rnl_real) * rnl_model_nparams(f->m));
    rnl_status st = rnl_forward_backward_dropout(f->m, ws, rnl_model_params(f->m), &f->bt, g, 11, NULL, d, nll);
    CHECK(st == RNL_OK && isfinite(*nll), "pass: %s", st ? rnl_last_error() : "NLL not finite");
    return st == RNL_OK;
}

static void test_passes(void) {
    fixture f;
    if (!fixture_make(&f, 2, 5, 4)) {
        fixture_free(&f);
        return;
    }
    const size_t n = rnl_model_nparams(f.m);
    rnl_real *g0 = malloc(sizeof(rnl_real) * n), *g1 = malloc(sizeof(rnl_real) * n);
    rnl_real *g2 = malloc(sizeof(rnl_real) * n);
    rnl_workspace *fresh = NULL;
    CHECK(g0 && g1 && g2 && !rnl_workspace_create(&fresh), "out of memory");
    if (!g0 || !g1 || !g2 || !fresh) goto done;
    double l0, l1, l2;
    const rnl_dropout off = {0, 99}, on = {0.4, 99}, other = {0.4, 100};
    /* p = 0 (any seed) and NULL: the same bits. */
    if (pass(&f, f.ws, NULL, &l0, g0) && pass(&f, f.ws, &off, &l1, g1))
        CHECK(l0 == l1 && memcmp(g0, g1, sizeof(rnl_real) * n) == 0, "p = 0 differs from no dropout (%.17g, %.17g)",
              l0, l1);
    /* The same seed: the same bits; another seed or no dropout: another NLL and gradient. */
    if (pass(&f, f.ws, &on, &l1, g1) && pass(&f, f.ws, &on, &l2, g2))
        CHECK(l1 == l2 && memcmp(g1, g2, sizeof(rnl_real) * n) == 0, "the same seed gave %.17g, then %.17g", l1, l2);
    CHECK(l1 != l0 && memcmp(g0, g1, sizeof(rnl_real) * n) != 0, "dropout 0.4 changed nothing (NLL %.17g)", l1);
    if (pass(&f, f.ws, &other, &l2, g2))
        CHECK(l2 != l1 && memcmp(g1, g2, sizeof(rnl_real) * n) != 0, "seeds 99 and 100 gave the same pass (%.17g)",
              l1);
    /* Evaluation after a pass with dropout, on the same workspace: the fresh workspace's bits. */
    double e_used, e_fresh;
    rnl_status s1 = rnl_forward_backward(f.m, f.ws, rnl_model_params(f.m), &f.bt, NULL, 1, NULL, &e_used);
    rnl_status s2 = rnl_forward_backward(f.m, fresh, rnl_model_params(f.m), &f.bt, NULL, 1, NULL, &e_fresh);
    CHECK(!s1 && !s2 && e_used == e_fresh && e_used == l0, "evaluation after dropout: %.17g, fresh %.17g, before %.17g",
          e_used, e_fresh, l0);
    /* p outside [0, 1): a usage error, nothing computed. */
    static const double bad[] = {1.0, -0.1, 1.5, NAN};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        const rnl_dropout d = {bad[i], 1};
        double nll = 1;
        rnl_status st = rnl_forward_backward_dropout(f.m, f.ws, rnl_model_params(f.m), &f.bt, NULL, 1, NULL, &d, &nll);
        CHECK(st == RNL_ERR_USAGE && strstr(rnl_last_error(), "dropout"), "p = %g: status %d (%s)", bad[i], (int)st,
              rnl_last_error());
    }
done:
    rnl_workspace_free(fresh);
    free(g0);
    free(g1);
    free(g2);
    fixture_free(&f);
}

/* One layer of H = O units with out.W = I and out.b = 0: the logits are the top layer's h,
 * and with dropout m ⊙ h, m site 0's mask [T*B, H] drawn from the seed. Exact: the product
 * with I adds zeros only, and m·h is one rounding both here and in the library. */
static void test_head_site(void) {
    fixture f;
    const int H = 4;
    if (!fixture_make(&f, 1, H, H)) {
        fixture_free(&f);
        return;
    }
    const rnl_tensor *W = rnl_model_find(f.m, "out.W"), *b = rnl_model_find(f.m, "out.b");
    rnl_real *p = rnl_model_params(f.m);
    for (int i = 0; i < H; i++) {
        p[b->offset + i] = 0;
        for (int j = 0; j < H; j++) p[W->offset + (size_t)i * H + j] = i == j;
    }
    const size_t n = (size_t)f.bt.T * f.bt.B * H;
    rnl_real *plain = malloc(sizeof(rnl_real) * n), *mask = malloc(sizeof(rnl_real) * n);
    CHECK(plain && mask, "out of memory");
    double nll;
    const rnl_dropout d = {0.5, 1234};
    if (plain && mask && !rnl_forward_backward(f.m, f.ws, p, &f.bt, NULL, 1, NULL, &nll)) {
        memcpy(plain, rnl_workspace_logits(f.ws), sizeof(rnl_real) * n);
        rnl_status st = rnl_forward_backward_dropout(f.m, f.ws, p, &f.bt, NULL, 1, NULL, &d, &nll);
        CHECK(st == RNL_OK, "head site: %s", rnl_last_error());
        rnl_rng r;
        rnl_rng_seed(&r, d.seed);
        rnl_dropout_mask(&r, d.p, mask, n);
        const rnl_real *got = rnl_workspace_logits(f.ws);
        size_t wrong = 0, zeros = 0;
        /* valid rows only: the head reads no others */
        for (int t = 0; t < f.bt.T; t++)
            for (int bb = 0; bb < f.bt.B; bb++)
                for (int j = 0; t < f.len[bb] && j < H; j++) {
                    const size_t k = ((size_t)t * f.bt.B + bb) * H + j;
                    wrong += got[k] != mask[k] * plain[k];
                    zeros += mask[k] == 0;
                }
        CHECK(!st && wrong == 0 && zeros > 0, "head site: %zu logits differ from mask x logits (%zu dropped)", wrong,
              zeros);
    }
    free(plain);
    free(mask);
    fixture_free(&f);
}

int main(void) {
    test_mask();
    test_passes();
    test_head_site();
    return CHECK_DONE("dropout");
}
