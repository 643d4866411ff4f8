/* test_train.c — hand-computed checks of the pieces the training loop is made of: the NLL
 * metric (pooled over frames), the Bernoulli head at extreme logits, RMSProp and clipping by
 * hand, the initialisation's orthogonality and ranges, truncated BPTT against full BPTT,
 * the batch prefix property, and the fast GEMM against its plain twin. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "core/kernels.h"
#include "rnnlab.h"

/* A model whose recurrent weights are zero and whose output bias is b: every step predicts
 * sigmoid(b) whatever the input, so the NLL is computable by hand. */
static void test_hand_nll(void) {
    rnl_config c = {RNL_CELL_GRU, RNL_VARIANT_PAPER, RNL_HEAD_BERNOULLI, 1, 2, 3, 2, 0};
    rnl_model *m;
    rnl_workspace *ws;
    CHECK(rnl_model_create(&c, &m) == RNL_OK && rnl_workspace_create(&ws) == RNL_OK, "create");
    const rnl_tensor *ob = rnl_model_find(m, "out.b");
    CHECK(ob && ob->size == 2, "out.b exists");
    rnl_real *p = rnl_model_params(m);
    p[ob->offset + 0] = 0;            /* p = 1/2 */
    p[ob->offset + 1] = (rnl_real)log(3.0); /* p = 3/4 */
    /* Two sequences: 3 steps and 1 step (T = 3, B = 2). Targets:
     *   seq 0: (1,0) (0,1) (1,1);  seq 1: (0,0).
     * Per-unit NLL: unit 0 (p=1/2): ln 2 either way; unit 1 (p=3/4): y=1 -> ln(4/3),
     * y=0 -> ln 4. Frames: ln2+ln4, ln2+ln(4/3), ln2+ln(4/3), ln2+ln4. */
    rnl_real x[3 * 2 * 2] = {0}, y[3 * 2 * 2] = {0};
    const rnl_real ys[4][2] = {{1, 0}, {0, 1}, {1, 1}, {0, 0}};
    memcpy(&y[(0 * 2 + 0) * 2], ys[0], sizeof ys[0]);
    memcpy(&y[(1 * 2 + 0) * 2], ys[1], sizeof ys[1]);
    memcpy(&y[(2 * 2 + 0) * 2], ys[2], sizeof ys[2]);
    memcpy(&y[(0 * 2 + 1) * 2], ys[3], sizeof ys[3]);
    int len[2] = {3, 1};
    rnl_batch bt = {3, 2, len, x, y};
    double nll;
    CHECK(rnl_forward_backward(m, ws, p, &bt, NULL, 1, NULL, &nll) == RNL_OK, "forward");
    double expect = 4 * log(2.0) + 2 * log(4.0) + 2 * log(4.0 / 3.0);
    CHECK_CLOSE(nll, expect, 1e-6, 0, "hand-computed NLL sum");
    /* Pooled average over the 4 frames, not the mean of per-sequence means. */
    CHECK_CLOSE(nll / 4, expect / 4, 1e-6, 0, "pooled NLL per frame");
    double per_seq_mean = ((3 * log(2.0) + log(4.0) + 2 * log(4.0 / 3.0)) / 3 + (log(2.0) + log(4.0))) / 2;
    CHECK(fabs(nll / 4 - per_seq_mean) > 1e-3, "pooled mean differs from the mean of means");
    /* Gradient of out.b by hand: d/db_k of mean NLL = mean over frames of (p_k − y_k). */
    rnl_real *g = calloc(rnl_model_nparams(m), sizeof(rnl_real));
    CHECK(rnl_forward_backward(m, ws, p, &bt, g, 4, NULL, &nll) == RNL_OK, "backward");
    CHECK_CLOSE(g[ob->offset + 0], (4 * 0.5 - 2) / 4, 1e-6, 1e-7, "d out.b[0]");
    CHECK_CLOSE(g[ob->offset + 1], (4 * 0.75 - 2) / 4, 1e-6, 1e-7, "d out.b[1]");
    free(g);
    /* Non-finite input is refused with a clear error. */
    x[0] = (rnl_real)NAN;
    CHECK(rnl_forward_backward(m, ws, p, &bt, NULL, 1, NULL, &nll) == RNL_ERR_DATA, "NaN input refused");
    CHECK(strstr(rnl_last_error(), "not finite") != NULL, "message: %s", rnl_last_error());
    /* All sequences empty: zero loss, no error. */
    int len0[2] = {0, 0};
    rnl_batch e = {0, 2, len0, x, y};
    CHECK(rnl_forward_backward(m, ws, p, &e, NULL, 1, NULL, &nll) == RNL_OK && nll == 0, "empty batch");
    /* Increasing lengths are refused. */
    int bad[2] = {1, 3};
    rnl_batch bb = {3, 2, bad, x, y};
    CHECK(rnl_forward_backward(m, ws, p, &bb, NULL, 1, NULL, &nll) == RNL_ERR_USAGE, "unsorted lengths refused");
    rnl_workspace_free(ws);
    rnl_model_free(m);
}

static void test_bernoulli_extremes(void) {
    rnl_real a[4] = {1e4f, -1e4f, 1e4f, -1e4f}, y[4] = {1, 0, 0, 1}, d[4];
    double nll = rnl_bernoulli_nll(a, y, 4, d);
    CHECK(isfinite(nll), "finite NLL at |logit| = 1e4");
    CHECK_CLOSE(nll, 2e4, 1e-9, 1e-3, "NLL of two confident mistakes");
    /* sigmoid(-1e4) is 0 to within float range (the fast kernel clamps exp at e^-87). */
    CHECK(fabsf(d[0]) < 1e-30f && fabsf(d[1]) < 1e-30f && d[2] == 1 && fabsf(d[3] + 1) < 1e-30f,
          "gradients at saturation %g %g %g %g", d[0], d[1], d[2], d[3]);
}

static void test_optim_by_hand(void) {
    /* Clip (3,4): norm 5 -> (0.6, 0.8) at threshold 1; untouched at threshold 10. */
    rnl_real g[2] = {3, 4};
    CHECK_CLOSE(rnl_clip_global_norm(g, 2, 1.0), 5.0, 1e-12, 0, "norm before clipping");
    CHECK_CLOSE(g[0], 0.6, 1e-6, 0, "clipped g0");
    CHECK_CLOSE(g[1], 0.8, 1e-6, 0, "clipped g1");
    rnl_real h[2] = {3, 4};
    rnl_clip_global_norm(h, 2, 10.0);
    CHECK(h[0] == 3 && h[1] == 4, "no clipping below the threshold");
    /* RMSProp, two steps on one parameter with g = 2 then g = −1 (decay .9, momentum .5,
     * lr .1, eps 0): ms1 = .1*4 = .4, buf1 = 2/sqrt(.4), p1 = 1 − .1*buf1;
     * ms2 = .9*.4 + .1*1 = .46, buf2 = .5*buf1 − 1/sqrt(.46), p2 = p1 − .1*buf2. */
    rnl_rmsprop o = {0.1, 0.9, 0.5, 0.0};
    rnl_real p = 1, ms = 0, buf = 0, g1 = 2, g2 = -1;
    rnl_rmsprop_step(&o, &p, &g1, &ms, &buf, 1);
    double b1 = 2 / sqrt(0.4), p1 = 1 - 0.1 * b1;
    CHECK_CLOSE(p, p1, 1e-6, 0, "RMSProp step 1");
    rnl_rmsprop_step(&o, &p, &g2, &ms, &buf, 1);
    double b2 = 0.5 * b1 - 1 / sqrt(0.46);
    CHECK_CLOSE(ms, 0.46, 1e-6, 0, "RMSProp mean square");
    CHECK_CLOSE(p, p1 - 0.1 * b2, 1e-6, 0, "RMSProp step 2");
}

static void test_init(void) {
    rnl_config c = {RNL_CELL_LSTM, RNL_VARIANT_PAPER, RNL_HEAD_BERNOULLI, 2, 7, 9, 5, 0};
    rnl_model *m, *m2;
    CHECK(rnl_model_create(&c, &m) == RNL_OK && rnl_model_create(&c, &m2) == RNL_OK, "create");
    CHECK(rnl_model_init(m, 42, 1.0) == RNL_OK && rnl_model_init(m2, 42, 1.0) == RNL_OK, "init");
    CHECK(memcmp(rnl_model_params(m), rnl_model_params(m2), sizeof(rnl_real) * rnl_model_nparams(m)) == 0,
          "same seed, same parameters");
    rnl_model_init(m2, 43, 1.0);
    CHECK(memcmp(rnl_model_params(m), rnl_model_params(m2), sizeof(rnl_real) * rnl_model_nparams(m)) != 0,
          "another seed, other parameters");
    /* Table 1 count for the paper's LSTM-195 on speech (20 inputs): 169,065. */
    rnl_config s = {RNL_CELL_LSTM, RNL_VARIANT_PAPER, RNL_HEAD_MOG, 1, 20, 195, 10, 20};
    rnl_model *ms;
    CHECK(rnl_model_create(&s, &ms) == RNL_OK && rnl_model_nparams_recurrent(ms) == 169065,
          "LSTM-195 recurrent parameters %zu", rnl_model_nparams_recurrent(ms));
    rnl_model_free(ms);
    rnl_config sg = {RNL_CELL_GRU, RNL_VARIANT_PAPER, RNL_HEAD_MOG, 1, 20, 227, 10, 20};
    CHECK(rnl_model_create(&sg, &ms) == RNL_OK && rnl_model_nparams_recurrent(ms) == 168888,
          "GRU-227 recurrent parameters %zu", rnl_model_nparams_recurrent(ms));
    rnl_model_free(ms);
    rnl_config st = {RNL_CELL_TANH, RNL_VARIANT_PAPER, RNL_HEAD_MOG, 1, 20, 400, 10, 20};
    CHECK(rnl_model_create(&st, &ms) == RNL_OK && rnl_model_nparams_recurrent(ms) == 168400,
          "tanh-400 recurrent parameters %zu", rnl_model_nparams_recurrent(ms));
    rnl_model_free(ms);
    const rnl_real *p = rnl_model_params(m);
    for (int i = 0; i < rnl_model_ntensors(m); i++) {
        const rnl_tensor *t = rnl_model_tensor(m, i);
        const char *leaf = strrchr(t->name, '.') + 1;
        const rnl_real *q = p + t->offset;
        if (leaf[0] == 'U') {
            double worst = 0;
            for (int a = 0; a < 9; a++)
                for (int b = 0; b < 9; b++) {
                    double d = 0;
                    for (int k = 0; k < 9; k++) d += (double)q[a * 9 + k] * q[b * 9 + k];
                    worst = fmax(worst, fabs(d - (a == b)));
                }
            CHECK(worst < 1e-5, "%s orthogonal (max |UU^T − I| = %g)", t->name, worst);
        } else if (leaf[0] == 'W') {
            int in = 1;
            for (size_t k = 0; k < t->size; k++) in &= q[k] >= -0.1f && q[k] <= 0.1f && q[k] != 0;
            CHECK(in, "%s uniform in [-0.1, 0.1]", t->name);
        } else {
            double want = strcmp(leaf, "b_f") == 0 ? 1.0 : 0.0;
            int ok = 1;
            for (size_t k = 0; k < t->size; k++) ok &= q[k] == want;
            CHECK(ok, "%s initialised to %g", t->name, want);
        }
    }
    rnl_model_free(m);
    rnl_model_free(m2);
}

/* Running a batch in two windows with the state carried gives the same loss as one pass. */
static void test_state_carry(void) {
    for (int cell = 0; cell < 3; cell++) {
        rnl_config c = {(rnl_cell)cell, RNL_VARIANT_PAPER, RNL_HEAD_BERNOULLI, 2, 3, 5, 3, 0};
        rnl_model *m;
        rnl_workspace *ws;
        rnl_state *s;
        rnl_model_create(&c, &m);
        rnl_model_init(m, 7, 0);
        rnl_workspace_create(&ws);
        rnl_state_create(m, 2, &s);
        rnl_rng r;
        rnl_rng_seed(&r, 5);
        enum { T = 9, B = 2 };
        rnl_real x[T * B * 3], y[T * B * 3];
        for (int k = 0; k < T * B * 3; k++) {
            x[k] = (rnl_real)rnl_rng_normal(&r);
            y[k] = rnl_rng_uniform(&r) < 0.4;
        }
        int len[B] = {9, 6};
        rnl_batch full = {T, B, len, x, y};
        double whole, a, b;
        rnl_forward_backward(m, ws, rnl_model_params(m), &full, NULL, 1, NULL, &whole);
        int l1[B] = {4, 4}, l2[B] = {5, 2};
        rnl_batch w1 = {4, B, l1, x, y}, w2 = {5, B, l2, x + 4 * B * 3, y + 4 * B * 3};
        rnl_state_zero(s);
        rnl_forward_backward(m, ws, rnl_model_params(m), &w1, NULL, 1, s, &a);
        rnl_forward_backward(m, ws, rnl_model_params(m), &w2, NULL, 1, s, &b);
        CHECK_CLOSE(a + b, whole, 1e-5, 0, "windows with carried state = one pass");
        /* rnl_step, one step at a time for sequence 0, gives the same logits. */
        rnl_state *s1;
        rnl_state_create(m, 1, &s1);
        rnl_forward_backward(m, ws, rnl_model_params(m), &full, NULL, 1, NULL, &whole);
        rnl_real ref[T * B * 3];
        memcpy(ref, rnl_workspace_logits(ws), sizeof ref);
        double worst = 0;
        for (int t = 0; t < T; t++) {
            rnl_real lg[3];
            rnl_step(m, ws, x + (size_t)t * B * 3, 1, s1, lg);
            for (int k = 0; k < 3; k++) worst = fmax(worst, fabs(lg[k] - ref[(size_t)t * B * 3 + k]));
        }
        CHECK(worst < 1e-5, "%s: rnl_step matches the batch pass (max diff %g)", rnl_cell_name(c.cell), worst);
        rnl_state_free(s1);
        rnl_state_free(s);
        rnl_workspace_free(ws);
        rnl_model_free(m);
    }
}

/* rnl_workspace_hold: held passes with the same params give the bits of fresh passes, over
 * batches of different shapes (the arena regrows); another params pointer, or changed
 * params after the hold is dropped, are used, not the held copies. */
static void test_hold(void) {
    for (int cell = 0; cell < 3; cell++) {
        rnl_config c = {(rnl_cell)cell, RNL_VARIANT_PAPER, RNL_HEAD_BERNOULLI, 2, 5, 6, 5, 0}; /* 2 layers, I 5, H 6, O 5 */
        rnl_model *m;
        rnl_workspace *ws;
        rnl_model_create(&c, &m);
        rnl_model_init(m, 3, 0);
        rnl_workspace_create(&ws);
        const size_t n = rnl_model_nparams(m);
        rnl_real *p1 = rnl_model_params(m), *p2 = malloc(sizeof(rnl_real) * n);
        for (size_t k = 0; k < n; k++) p2[k] = p1[k] * 0.5f;
        rnl_rng r;
        rnl_rng_seed(&r, 9);
        enum { T = 12, B = 3 };
        rnl_real x[T * B * 5], y[T * B * 5];
        for (int k = 0; k < T * B * 5; k++) {
            x[k] = rnl_rng_uniform(&r) < 0.5;
            y[k] = rnl_rng_uniform(&r) < 0.4;
        }
        int la[B] = {12, 12, 7}, lb[1] = {4};
        rnl_batch ba = {T, B, la, x, y}, bb = {4, 1, lb, x, y};
        double fa1, fb1, fa2, ha1, hb1, ha2, hx, hy;
        rnl_forward_backward(m, ws, p1, &ba, NULL, 1, NULL, &fa1);
        rnl_forward_backward(m, ws, p1, &bb, NULL, 1, NULL, &fb1);
        rnl_forward_backward(m, ws, p2, &ba, NULL, 1, NULL, &fa2);
        rnl_workspace_hold(ws, 1);
        rnl_forward_backward(m, ws, p1, &bb, NULL, 1, NULL, &hb1);
        rnl_forward_backward(m, ws, p1, &ba, NULL, 1, NULL, &ha1);
        rnl_forward_backward(m, ws, p2, &ba, NULL, 1, NULL, &ha2);
        rnl_forward_backward(m, ws, p1, &bb, NULL, 1, NULL, &hx);
        CHECK(ha1 == fa1 && hb1 == fb1 && ha2 == fa2 && hx == fb1,
              "%s: held passes differ from fresh ones (%.17g %.17g %.17g %.17g / %.17g %.17g %.17g)",
              rnl_cell_name(c.cell), ha1, hb1, ha2, hx, fa1, fb1, fa2);
        rnl_workspace_hold(ws, 0);
        for (size_t k = 0; k < n; k++) p1[k] *= 0.5f; /* p1 now equals p2 */
        rnl_forward_backward(m, ws, p1, &ba, NULL, 1, NULL, &hy);
        CHECK(hy == fa2, "%s: after the hold, changed params are not used (%.17g vs %.17g)",
              rnl_cell_name(c.cell), hy, fa2);
        free(p2);
        rnl_workspace_free(ws);
        rnl_model_free(m);
    }
}

static void test_gemm(void) {
    rnl_rng r;
    rnl_rng_seed(&r, 11);
    static const int dims[][3] = {{1, 1, 1}, {1, 138, 46}, {3, 5, 7}, {17, 33, 65}, {64, 184, 46}};
    const char tr[2] = {'N', 'T'};
    for (size_t d = 0; d < sizeof dims / sizeof *dims; d++)
        for (int ta = 0; ta < 2; ta++)
            for (int tb = 0; tb < 2; tb++) {
                int M = dims[d][0], N = dims[d][1], K = dims[d][2];
                int lda = ta ? M : K, ldb = tb ? K : N;
                rnl_real *A = malloc(sizeof(rnl_real) * M * K), *Bm = malloc(sizeof(rnl_real) * K * N);
                rnl_real *C1 = malloc(sizeof(rnl_real) * M * N), *C2 = malloc(sizeof(rnl_real) * M * N);
                for (int k = 0; k < M * K; k++) A[k] = (rnl_real)rnl_rng_normal(&r);
                for (int k = 0; k < K * N; k++) Bm[k] = (rnl_real)rnl_rng_normal(&r);
                for (int k = 0; k < M * N; k++) C1[k] = C2[k] = (rnl_real)rnl_rng_normal(&r);
                rnl_gemm(tr[ta], tr[tb], M, N, K, 0.5f, A, lda, Bm, ldb, 1, C1, N);
                rnl_gemm_ref(tr[ta], tr[tb], M, N, K, 0.5f, A, lda, Bm, ldb, 1, C2, N);
                double worst = 0;
                for (int k = 0; k < M * N; k++) worst = fmax(worst, fabs(C1[k] - C2[k]) / (1 + fabs(C2[k])));
                CHECK(worst < 1e-5, "gemm %c%c %dx%dx%d: max rel diff %g", tr[ta], tr[tb], M, N, K, worst);
                free(A);
                free(Bm);
                free(C1);
                free(C2);
            }
}

int main(void) {
    test_hand_nll();
    test_bernoulli_extremes();
    test_optim_by_hand();
    test_init();
    test_state_carry();
    test_hold();
    test_gemm();
    return CHECK_DONE("train pieces");
}
