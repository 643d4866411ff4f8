/* test_train.c — hand-computed checks of the pieces the training loop is made of: the NLL
 * metric (pooled over frames), the Bernoulli head at extreme logits, RMSProp and clipping by
 * hand, the initialisation's orthogonality and ranges, truncated BPTT against full BPTT,
 * the batch prefix property, and the fast GEMM against its plain twin. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "core/kernels.h"
#include "run/options.h"
#include "rnnlab.h"

/* CHECK that a library call returned RNL_OK, naming it and the library's message; true if
 * it did, so a caller can stop before using what the call did not make. */
static int ok_status(rnl_status st, const char *what) {
    CHECK(st == RNL_OK, "%s: %s (%s)", what, rnl_status_string(st), rnl_last_error());
    return st == RNL_OK;
}

/* One forward pass whose NLL a comparison will use: the status is checked, and so is the
 * NLL (a Bernoulli NLL over at least one valid frame is finite and positive), so that a
 * failing pass, which leaves *nll at 0, cannot make two failures compare equal. */
static void fb_nll(const rnl_model *m, rnl_workspace *ws, const rnl_real *p, const rnl_batch *bt,
                   rnl_state *s, double *nll, const char *what) {
    *nll = 0;
    if (ok_status(rnl_forward_backward(m, ws, p, bt, NULL, 1, s, nll), what))
        CHECK(isfinite(*nll) && *nll > 0, "%s: NLL %g is not finite and positive", what, *nll);
}

/* A model whose recurrent weights are zero and whose output bias is b: every step predicts
 * sigmoid(b) whatever the input, so the NLL is computable by hand. */
static void test_hand_nll(void) {
    rnl_config c = {RNL_CELL_GRU, RNL_VARIANT_PAPER, RNL_HEAD_BERNOULLI, 1, 2, 3, 2, 0};
    rnl_model *m = NULL;
    rnl_workspace *ws = NULL;
    if (!ok_status(rnl_model_create(&c, &m), "hand NLL: create the model") ||
        !ok_status(rnl_workspace_create(&ws), "hand NLL: create the workspace")) {
        rnl_model_free(m);
        return;
    }
    const rnl_tensor *ob = rnl_model_find(m, "out.b");
    CHECK(ob && ob->size == 2, "out.b exists");
    if (!ob || ob->size != 2) {
        rnl_workspace_free(ws);
        rnl_model_free(m);
        return;
    }
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
    CHECK(g != NULL, "out of memory");
    if (g) {
        CHECK(rnl_forward_backward(m, ws, p, &bt, g, 4, NULL, &nll) == RNL_OK, "backward");
        CHECK_CLOSE(g[ob->offset + 0], (4 * 0.5 - 2) / 4, 1e-6, 1e-7, "d out.b[0]");
        CHECK_CLOSE(g[ob->offset + 1], (4 * 0.75 - 2) / 4, 1e-6, 1e-7, "d out.b[1]");
        free(g);
    }
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
    CHECK_CLOSE(rnl_clip_global_norm(h, 2, 10.0), 5.0, 1e-12, 0, "norm, threshold above it");
    CHECK(h[0] == 3 && h[1] == 4, "no clipping below the threshold");
    /* RMSProp, two steps on one parameter with g = 2 then g = −1 (decay .9, momentum .5,
     * lr .1, eps 0): ms1 = .1*4 = .4, buf1 = 2/sqrt(.4), p1 = 1 − .1*buf1;
     * ms2 = .9*.4 + .1*1 = .46, buf2 = .5*buf1 − 1/sqrt(.46), p2 = p1 − .1*buf2. */
    rnl_rmsprop o = {0.1, 0.9, 0.5, 0.0, 0, 0, 0};
    rnl_real p = 1, ms = 0, buf = 0, g1 = 2, g2 = -1;
    rnl_rmsprop_step(&o, &p, &g1, &ms, &buf, 1);
    double b1 = 2 / sqrt(0.4), p1 = 1 - 0.1 * b1;
    CHECK_CLOSE(p, p1, 1e-6, 0, "RMSProp step 1");
    rnl_rmsprop_step(&o, &p, &g2, &ms, &buf, 1);
    double b2 = 0.5 * b1 - 1 / sqrt(0.46);
    CHECK_CLOSE(ms, 0.46, 1e-6, 0, "RMSProp mean square");
    CHECK_CLOSE(p, p1 - 0.1 * b2, 1e-6, 0, "RMSProp step 2");
}

/* A model of configuration s has `want` recurrent parameters (Table 1's count). */
static void check_recurrent(const rnl_config *s, size_t want, const char *what) {
    rnl_model *ms = NULL;
    if (!ok_status(rnl_model_create(s, &ms), "Table 1 model")) return;
    CHECK(rnl_model_nparams_recurrent(ms) == want, "%s: %s-%d x %d recurrent parameters %zu, expected %zu", what,
          rnl_cell_name(s->cell), s->hidden, s->layers, rnl_model_nparams_recurrent(ms), want);
    rnl_model_free(ms);
}

static void test_init(void) {
    rnl_config c = {RNL_CELL_LSTM, RNL_VARIANT_PAPER, RNL_HEAD_BERNOULLI, 2, 7, 9, 5, 0};
    rnl_model *m = NULL, *m2 = NULL;
    if (!ok_status(rnl_model_create(&c, &m), "init: create") ||
        !ok_status(rnl_model_create(&c, &m2), "init: create the second")) {
        rnl_model_free(m);
        return;
    }
    ok_status(rnl_model_init(m, 42, 1.0), "init seed 42");
    ok_status(rnl_model_init(m2, 42, 1.0), "init the second, seed 42");
    CHECK(memcmp(rnl_model_params(m), rnl_model_params(m2), sizeof(rnl_real) * rnl_model_nparams(m)) == 0,
          "same seed, same parameters");
    ok_status(rnl_model_init(m2, 43, 1.0), "init the second, seed 43");
    CHECK(memcmp(rnl_model_params(m), rnl_model_params(m2), sizeof(rnl_real) * rnl_model_nparams(m)) != 0,
          "another seed, other parameters");
    /* Table 1 counts for speech (20 inputs): LSTM-195 169,065, GRU-227 168,888, tanh-400
     * 168,400 recurrent parameters. */
    static const struct { rnl_cell cell; int hidden; size_t count; } table1[] = {
        {RNL_CELL_LSTM, 195, 169065}, {RNL_CELL_GRU, 227, 168888}, {RNL_CELL_TANH, 400, 168400}};
    for (size_t k = 0; k < sizeof table1 / sizeof *table1; k++) {
        const rnl_config s = {table1[k].cell, RNL_VARIANT_PAPER, RNL_HEAD_MOG, 1, 20, table1[k].hidden, 10, 20};
        check_recurrent(&s, table1[k].count, "speech");
    }
    /* Table 1's text sizes (options.c TABLE1): 2 layers on 65 symbols, the budget char-rnn's
     * LSTM-128's 231,680, counted by hand: LSTM 12H^2 + 4IH + 14H, GRU 9H^2 + 3IH + 6H, tanh
     * 3H^2 + IH + 2H; GRU 150 and tanh 267 are the nearest (one unit less or more is farther). */
    static const struct { rnl_cell cell; int hidden; size_t count, below, above; } text1[] = {
        {RNL_CELL_LSTM, 128, 231680, 0, 0}, {RNL_CELL_GRU, 150, 232650, 229758, 235560},
        {RNL_CELL_TANH, 267, 231756, 230090, 233428}};
    for (size_t k = 0; k < sizeof text1 / sizeof *text1; k++) {
        CHECK(rnl_default_hidden(text1[k].cell, RNL_APPLY_TEXT) == text1[k].hidden, "%s text size %d, expected %d",
              rnl_cell_name(text1[k].cell), rnl_default_hidden(text1[k].cell, RNL_APPLY_TEXT), text1[k].hidden);
        rnl_config s = {text1[k].cell, RNL_VARIANT_PAPER, RNL_HEAD_SOFTMAX, 2, 65, text1[k].hidden, 65, 0};
        check_recurrent(&s, text1[k].count, "text");
        if (!text1[k].below) continue;
        const long budget = 231680, d = labs((long)text1[k].count - budget);
        CHECK(labs((long)text1[k].below - budget) > d && labs((long)text1[k].above - budget) > d,
              "text %s-%d is the nearest size to the budget", rnl_cell_name(s.cell), s.hidden);
        s.hidden = text1[k].hidden - 1;
        check_recurrent(&s, text1[k].below, "text, one unit less");
        s.hidden = text1[k].hidden + 1;
        check_recurrent(&s, text1[k].above, "text, one unit more");
    }
    CHECK(rnl_default_hidden(RNL_CELL_GRU, RNL_APPLY_MUSIC) == 46 && rnl_default_hidden(RNL_CELL_GRU, RNL_APPLY_SPEECH) == 227 &&
          rnl_default_hidden(RNL_CELL_GRU, RNL_APPLY_TASKS) == 0, "Table 1 by task bit");
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
        const char *cn = rnl_cell_name(c.cell);
        rnl_model *m = NULL;
        rnl_workspace *ws = NULL;
        rnl_state *s = NULL, *s1 = NULL;
        if (!ok_status(rnl_model_create(&c, &m), "state carry: create the model") ||
            !ok_status(rnl_model_init(m, 7, 0), "state carry: init") ||
            !ok_status(rnl_workspace_create(&ws), "state carry: create the workspace") ||
            !ok_status(rnl_state_create(m, 2, &s), "state carry: create the state (B 2)") ||
            !ok_status(rnl_state_create(m, 1, &s1), "state carry: create the state (B 1)"))
            goto next;
        rnl_rng r;
        rnl_rng_seed(&r, 5);
        /* Parameters N(0, 0.7²) rather than the initialisation's small ones, so that the state
         * carried into window 2 changes its loss far beyond the tolerance (checked below). */
        rnl_real *pm = rnl_model_params(m);
        for (size_t k = 0; k < rnl_model_nparams(m); k++) pm[k] = (rnl_real)(0.7 * rnl_rng_normal(&r));
        enum { T = 9, B = 2 };
        rnl_real x[T * B * 3], y[T * B * 3];
        for (int k = 0; k < T * B * 3; k++) {
            x[k] = (rnl_real)rnl_rng_normal(&r);
            y[k] = rnl_rng_uniform(&r) < 0.4;
        }
        int len[B] = {9, 6};
        rnl_batch full = {T, B, len, x, y};
        double whole, a, b;
        fb_nll(m, ws, rnl_model_params(m), &full, NULL, &whole, "state carry: one pass");
        int l1[B] = {4, 4}, l2[B] = {5, 2};
        rnl_batch w1 = {4, B, l1, x, y}, w2 = {5, B, l2, x + 4 * B * 3, y + 4 * B * 3};
        rnl_state_zero(s);
        fb_nll(m, ws, rnl_model_params(m), &w1, s, &a, "state carry: window 1");
        fb_nll(m, ws, rnl_model_params(m), &w2, s, &b, "state carry: window 2");
        CHECK_CLOSE(a + b, whole, 1e-5, 0, "windows with carried state = one pass");
        /* The carried state matters: window 2 from a zero state is off by more than 100 times
         * the tolerance above (0.24 to 0.63 nats here), so a state that was not carried fails. */
        double b0;
        fb_nll(m, ws, rnl_model_params(m), &w2, NULL, &b0, "state carry: window 2 from zeros");
        CHECK(fabs(b0 - b) > 100 * 1e-5 * whole, "%s: window 2 from a zero state: %.9g, carried: %.9g", cn, b0, b);
        /* rnl_step, one step at a time for sequence 0, gives the same logits. */
        fb_nll(m, ws, rnl_model_params(m), &full, NULL, &whole, "state carry: one pass again");
        rnl_real ref[T * B * 3];
        memcpy(ref, rnl_workspace_logits(ws), sizeof ref);
        double worst = 0;
        int stepped = 0;
        for (int t = 0; t < T; t++) {
            rnl_real lg[3];
            if (!ok_status(rnl_step(m, ws, x + (size_t)t * B * 3, 1, s1, lg), "state carry: rnl_step")) break;
            for (int k = 0; k < 3; k++) worst = fmax(worst, fabs(lg[k] - ref[(size_t)t * B * 3 + k]));
            stepped++;
        }
        CHECK(stepped == T && worst < 1e-5, "%s: rnl_step matches the batch pass over %d of %d steps (max diff %g)",
              cn, stepped, T, worst);
    next:
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
        const char *cn = rnl_cell_name(c.cell);
        rnl_model *m = NULL;
        rnl_workspace *ws = NULL;
        rnl_real *p2 = NULL;
        if (!ok_status(rnl_model_create(&c, &m), "hold: create the model") ||
            !ok_status(rnl_model_init(m, 3, 0), "hold: init") ||
            !ok_status(rnl_workspace_create(&ws), "hold: create the workspace"))
            goto next;
        const size_t n = rnl_model_nparams(m);
        rnl_real *p1 = rnl_model_params(m);
        p2 = malloc(sizeof(rnl_real) * n);
        CHECK(p2 != NULL, "hold: out of memory");
        if (!p2) goto next;
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
        fb_nll(m, ws, p1, &ba, NULL, &fa1, "hold: fresh, p1, batch a");
        fb_nll(m, ws, p1, &bb, NULL, &fb1, "hold: fresh, p1, batch b");
        fb_nll(m, ws, p2, &ba, NULL, &fa2, "hold: fresh, p2, batch a");
        /* The three fresh losses differ, so a held pass that used the wrong copies shows. */
        CHECK(fa1 != fb1 && fa1 != fa2 && fb1 != fa2, "%s: fresh losses coincide (%.17g %.17g %.17g)", cn, fa1,
              fb1, fa2);
        rnl_workspace_hold(ws, 1);
        fb_nll(m, ws, p1, &bb, NULL, &hb1, "hold: held, p1, batch b");
        fb_nll(m, ws, p1, &ba, NULL, &ha1, "hold: held, p1, batch a");
        fb_nll(m, ws, p2, &ba, NULL, &ha2, "hold: held, p2, batch a");
        fb_nll(m, ws, p1, &bb, NULL, &hx, "hold: held, p1, batch b again");
        CHECK(ha1 == fa1 && hb1 == fb1 && ha2 == fa2 && hx == fb1,
              "%s: held passes differ from fresh ones (%.17g %.17g %.17g %.17g / %.17g %.17g %.17g)",
              cn, ha1, hb1, ha2, hx, fa1, fb1, fa2);
        rnl_workspace_hold(ws, 0);
        for (size_t k = 0; k < n; k++) p1[k] *= 0.5f; /* p1 now equals p2 */
        fb_nll(m, ws, p1, &ba, NULL, &hy, "hold: after the hold, changed p1, batch a");
        CHECK(hy == fa2, "%s: after the hold, changed params are not used (%.17g vs %.17g)", cn, hy, fa2);
    next:
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
                CHECK(A && Bm && C1 && C2, "gemm: out of memory");
                if (!A || !Bm || !C1 || !C2) {
                    free(A), free(Bm), free(C1), free(C2);
                    return;
                }
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
