/* test_cells.c — the descriptor tables of cells and heads: every enum value has a row whose
 * name parses back to it, a value outside the enum has none and builds no model, the tensor
 * table follows the descriptors, the batched head rows equal the per-step functions, and each
 * head's draw makes the same random draws and values as the samplers' formulas it replaces
 * (rnl_music_sample's σ(a/T) coin flips, the discretised MoG draw of rnnlab.h), re-derived
 * here; the MoG NLL against mpmath (tests/ref/mog_bins.tsv) and its bounds; the softmax NLL
 * against its libm reference and hand values, at logits of any size, and its draw against
 * the inverse-CDF formula of head_softmax.c re-derived here. */
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "core/cells.h"
#include "core/heads.h"

/* ================================================================ cells ============== */

static void test_cell_table(void) {
    for (int c = 0; c < RNL_CELL_COUNT; c++) {
        const rnl_cell_desc *d = rnl_cell_describe((rnl_cell)c);
        CHECK(d != NULL, "cell %d has a descriptor", c);
        if (!d) continue;
        rnl_cell back = RNL_CELL_COUNT;
        CHECK(rnl_cell_parse(d->name, &back) == RNL_OK && back == (rnl_cell)c,
              "cell %d: its name '%s' parses back to it", c, d->name);
        CHECK(strcmp(rnl_cell_name((rnl_cell)c), d->name) == 0, "rnl_cell_name(%d) is the table's", c);
        CHECK(d->title && d->title[0], "cell %s has a title", d->name);
        CHECK(d->gates >= 1 && d->gates <= RNL_CELL_MAX_GATES && rnl_cell_gates((rnl_cell)c) == d->gates,
              "cell %s: gates %d", d->name, d->gates);
        CHECK(d->forward && d->backward && d->gate, "cell %s: forward, backward and gate names", d->name);
        for (int g = 0; d->gate && g < d->gates; g++) CHECK(d->gate[g] != NULL, "cell %s gate %d named", d->name, g);
        for (int v = 0; v < RNL_VARIANT_COUNT; v++) {
            const rnl_cell_variant_desc *vd = &d->variant[v];
            CHECK(vd->nextra >= 0 && vd->nextra <= RNL_CELL_MAX_EXTRA && (vd->nextra == 0 || vd->extra),
                  "cell %s variant %d: %d extra tensors", d->name, v, vd->nextra);
            CHECK(!vd->split_pf || d->gates == 3, "cell %s: split_pf needs the third block apart", d->name);
        }
        /* No two rows share a name. */
        for (int e = 0; e < c; e++)
            CHECK(strcmp(rnl_cell_describe((rnl_cell)e)->name, d->name) != 0, "cells %d, %d: distinct names", e, c);
    }
    CHECK(rnl_cell_gates(RNL_CELL_TANH) == 1 && rnl_cell_gates(RNL_CELL_GRU) == 3 && rnl_cell_gates(RNL_CELL_LSTM) == 4,
          "gates: tanh 1, GRU 3, LSTM 4");
    CHECK(!strcmp(rnl_cell_describe(RNL_CELL_GRU)->title, "GRU") && !strcmp(rnl_cell_describe(RNL_CELL_LSTM)->title, "LSTM"),
          "titles for tables");

    /* Values outside the enum: no descriptor, "?" and 0, never another cell. */
    const int bad[] = {RNL_CELL_COUNT, 7, -1, 1000};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        rnl_cell c = (rnl_cell)bad[i];
        CHECK(rnl_cell_describe(c) == NULL, "cell %d: no descriptor", bad[i]);
        CHECK(strcmp(rnl_cell_name(c), "?") == 0, "cell %d: name '?'", bad[i]);
        CHECK(rnl_cell_gates(c) == 0, "cell %d: 0 gates", bad[i]);
    }

    /* Parse: exact names only; the message lists the table. */
    rnl_cell out = RNL_CELL_GRU;
    CHECK(rnl_cell_parse("LSTM", &out) == RNL_ERR_USAGE && out == RNL_CELL_GRU, "'LSTM' refused, out untouched");
    CHECK(strstr(rnl_last_error(), "--cell: expected tanh, gru or lstm, got 'LSTM'") != NULL,
          "cell parse message: %s", rnl_last_error());
    CHECK(rnl_cell_parse("", &out) == RNL_ERR_USAGE && rnl_cell_parse(NULL, &out) == RNL_ERR_USAGE,
          "empty and NULL refused");
    char names[64];
    rnl_cell_names(names, sizeof names);
    CHECK(strcmp(names, "tanh, gru or lstm") == 0, "rnl_cell_names: %s", names);
    rnl_cell_names(names, 6);
    CHECK(strlen(names) == 5, "rnl_cell_names truncates to fit: '%s'", names);
}

/* ================================================================ heads ============== */

static void test_head_table(void) {
    for (int h = 0; h < RNL_HEAD_COUNT; h++) {
        const rnl_head_desc *d = rnl_head_describe((rnl_head)h);
        CHECK(d != NULL, "head %d has a descriptor", h);
        if (!d) continue;
        rnl_head back = RNL_HEAD_COUNT;
        CHECK(rnl_head_parse(d->name, &back) == RNL_OK && back == (rnl_head)h,
              "head %d: its name '%s' parses back to it", h, d->name);
        CHECK(strcmp(rnl_head_name((rnl_head)h), d->name) == 0, "rnl_head_name(%d) is the table's", h);
        CHECK(d->title && d->title[0] && d->width && d->nll && d->grad && d->rows && d->draw,
              "head %s: every field set", d->name);
        CHECK(d->min_mixtures >= 0 && d->min_mixtures <= d->max_mixtures, "head %s: mixtures range", d->name);
        rnl_config c = {RNL_CELL_GRU, RNL_VARIANT_PAPER, (rnl_head)h, 1, 3, 4, 5, d->max_mixtures ? 2 : 0};
        CHECK(rnl_head_width(&c) == d->width(5, c.mixtures), "head %s: rnl_head_width is the table's", d->name);
        for (int e = 0; e < h; e++)
            CHECK(strcmp(rnl_head_describe((rnl_head)e)->name, d->name) != 0, "heads %d, %d: distinct names", e, h);
    }
    CHECK(rnl_head_describe(RNL_HEAD_BERNOULLI)->width(88, 0) == 88, "Bernoulli width O");
    CHECK(rnl_head_describe(RNL_HEAD_MOG)->width(10, 20) == 20 * 21, "MoG width K(1+2O)");
    CHECK(rnl_head_describe(RNL_HEAD_SOFTMAX)->width(65, 0) == 65, "softmax width O");
    CHECK(rnl_head_describe(RNL_HEAD_GAUSS)->width(3, 5) == 5 * 7, "Gaussian-mixture width K(1+2O)");

    const int bad[] = {RNL_HEAD_COUNT, 7, -1};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        rnl_head h = (rnl_head)bad[i];
        rnl_config c = {RNL_CELL_GRU, RNL_VARIANT_PAPER, h, 1, 3, 4, 5, 2};
        CHECK(rnl_head_describe(h) == NULL, "head %d: no descriptor", bad[i]);
        CHECK(strcmp(rnl_head_name(h), "?") == 0, "head %d: name '?'", bad[i]);
        CHECK(rnl_head_width(&c) == 0, "head %d: width 0", bad[i]);
    }

    rnl_head out = RNL_HEAD_MOG;
    CHECK(rnl_head_parse("gaussian", &out) == RNL_ERR_USAGE && out == RNL_HEAD_MOG, "'gaussian' refused, out untouched");
    CHECK(strstr(rnl_last_error(), "expected bernoulli, mog, softmax or gauss, got 'gaussian'") != NULL,
          "head parse message: %s", rnl_last_error());
    CHECK(rnl_head_parse(NULL, &out) == RNL_ERR_USAGE && rnl_head_parse("MOG", &out) == RNL_ERR_USAGE,
          "NULL and 'MOG' refused");
    char names[64];
    rnl_head_names(names, sizeof names);
    CHECK(strcmp(names, "bernoulli, mog, softmax or gauss") == 0, "rnl_head_names: %s", names);
}

/* ================================================================ models ============= */

/* An impossible cell or head builds nothing (it used to build an LSTM or a MoG head). */
static void test_model_refuses(void) {
    const int bad_cells[] = {RNL_CELL_COUNT, 7, -1};
    for (size_t i = 0; i < sizeof bad_cells / sizeof bad_cells[0]; i++) {
        rnl_config c = {(rnl_cell)bad_cells[i], RNL_VARIANT_PAPER, RNL_HEAD_BERNOULLI, 1, 3, 4, 3, 0};
        rnl_model *m = (rnl_model *)&c; /* must be overwritten with NULL */
        rnl_status st = rnl_model_create(&c, &m);
        CHECK((st == RNL_ERR_USAGE || st == RNL_ERR_INTERNAL) && m == NULL,
              "cell %d: rnl_model_create refuses (status %d)", bad_cells[i], (int)st);
        CHECK(rnl_config_check(&c) == RNL_ERR_USAGE && strstr(rnl_last_error(), "unknown cell"),
              "cell %d: rnl_config_check names it: %s", bad_cells[i], rnl_last_error());
        rnl_model_free(st == RNL_OK ? m : NULL);
    }
    const int bad_heads[] = {RNL_HEAD_COUNT, 7, -1};
    for (size_t i = 0; i < sizeof bad_heads / sizeof bad_heads[0]; i++) {
        for (int k = 0; k <= 2; k += 2) { /* mixtures 0 and 2: neither makes it a known head */
            rnl_config c = {RNL_CELL_GRU, RNL_VARIANT_PAPER, (rnl_head)bad_heads[i], 1, 3, 4, 3, k};
            rnl_model *m = (rnl_model *)&c;
            rnl_status st = rnl_model_create(&c, &m);
            CHECK((st == RNL_ERR_USAGE || st == RNL_ERR_INTERNAL) && m == NULL,
                  "head %d (K %d): rnl_model_create refuses (status %d)", bad_heads[i], k, (int)st);
            rnl_model_free(st == RNL_OK ? m : NULL);
        }
    }
    rnl_config v = {RNL_CELL_GRU, (rnl_variant)RNL_VARIANT_COUNT, RNL_HEAD_BERNOULLI, 1, 3, 4, 3, 0};
    CHECK(rnl_config_check(&v) == RNL_ERR_USAGE, "a variant outside the enum is refused");
    CHECK(strcmp(rnl_variant_name((rnl_variant)RNL_VARIANT_COUNT), "?") == 0, "variant name '?'");

    /* The mixtures range comes from the head's row, with the old messages. */
    rnl_config b = {RNL_CELL_GRU, RNL_VARIANT_PAPER, RNL_HEAD_BERNOULLI, 1, 3, 4, 3, 3};
    CHECK(rnl_config_check(&b) == RNL_ERR_USAGE && strstr(rnl_last_error(), "a Bernoulli head has no mixtures (got 3)"),
          "Bernoulli with mixtures: %s", rnl_last_error());
    rnl_config g = {RNL_CELL_GRU, RNL_VARIANT_PAPER, RNL_HEAD_MOG, 1, 3, 4, 3, 0};
    CHECK(rnl_config_check(&g) == RNL_ERR_USAGE && strstr(rnl_last_error(), "--mixtures: expected 1..1024, got 0"),
          "MoG without mixtures: %s", rnl_last_error());
    g.mixtures = RNL_MOG_MAX_MIXTURES + 1;
    CHECK(rnl_config_check(&g) == RNL_ERR_USAGE, "MoG with too many mixtures");
    g.mixtures = RNL_MOG_MAX_MIXTURES;
    CHECK(rnl_config_check(&g) == RNL_OK, "MoG with the most mixtures");
}

/* The tensor table is the descriptors': per layer G blocks of W, U, b, then the variant's
 * extras; the state has c exactly when the cell says so. */
static void test_model_tensors(void) {
    for (int c = 0; c < RNL_CELL_COUNT; c++)
        for (int v = 0; v < RNL_VARIANT_COUNT; v++) {
            const rnl_cell_desc *d = rnl_cell_describe((rnl_cell)c);
            const rnl_cell_variant_desc *vd = &d->variant[v];
            rnl_config cfg = {(rnl_cell)c, (rnl_variant)v, RNL_HEAD_BERNOULLI, 2, 3, 4, 5, 0};
            rnl_model *m = NULL;
            CHECK(rnl_model_create(&cfg, &m) == RNL_OK, "%s/%s: created", d->name, rnl_variant_name((rnl_variant)v));
            if (!m) continue;
            CHECK(rnl_model_ntensors(m) == 2 * (3 * d->gates + vd->nextra) + 2, "%s/%s: %d tensors", d->name,
                  rnl_variant_name((rnl_variant)v), rnl_model_ntensors(m));
            char name[64];
            for (int l = 0; l < 2; l++) {
                for (int gi = 0; gi < d->gates; gi++) {
                    snprintf(name, sizeof name, "rnn.%d.U%s", l, d->gate[gi]);
                    const rnl_tensor *t = rnl_model_find(m, name);
                    CHECK(t && t->shape[0] == 4 && t->shape[1] == 4 && t->noisy, "%s: [H, H], noisy", name);
                }
                for (int e = 0; e < vd->nextra; e++) {
                    snprintf(name, sizeof name, "rnn.%d.%s", l, vd->extra[e]);
                    const rnl_tensor *t = rnl_model_find(m, name);
                    CHECK(t && t->ndim == 1 && t->shape[0] == 4 && !t->noisy, "%s: [H]", name);
                }
            }
            CHECK((rnl_model_find(m, "rnn.0.c_h") != NULL) == (c == RNL_CELL_GRU && v == RNL_VARIANT_PYTORCH),
                  "%s/%s: c_h only in GRU pytorch", d->name, rnl_variant_name((rnl_variant)v));
            CHECK((rnl_model_find(m, "rnn.1.v_o") != NULL) == (c == RNL_CELL_LSTM && v == RNL_VARIANT_PAPER),
                  "%s/%s: peepholes only in LSTM paper", d->name, rnl_variant_name((rnl_variant)v));
            rnl_state *s = NULL;
            CHECK(rnl_state_create(m, 2, &s) == RNL_OK && (s->c != NULL) == (d->has_c != 0),
                  "%s: the state has c iff has_c", d->name);
            rnl_state_free(s);
            rnl_model_free(m);
        }
}

/* ================================================================ head functions ===== */

/* The metadata of a model with no normalisation: the MoG grid is the 16-bit grid itself,
 * step 1/32768 from -1 (rnl_mog_grid16). */
static const rnl_model_meta META = {.data_mean = 0.0, .data_std = 1.0};

static void fill(rnl_rng *r, rnl_real *x, size_t n, double scale) {
    for (size_t k = 0; k < n; k++) x[k] = (rnl_real)(scale * rnl_rng_normal(r));
}

/* rows() against the per-step nll() and grad(). */
static void test_head_rows(void) {
    enum { N = 37, O = 6, K = 3 };
    rnl_rng r;
    rnl_rng_seed(&r, 11);
    for (int h = 0; h < RNL_HEAD_COUNT; h++) {
        const rnl_head_desc *d = rnl_head_describe((rnl_head)h);
        const int k = d->max_mixtures ? K : 0, W = d->width(O, k);
        rnl_real *a = malloc(sizeof *a * N * W), *y = malloc(sizeof *y * N * O);
        rnl_real *da = malloc(sizeof *da * N * W), *db = malloc(sizeof *db * W), *dc = malloc(sizeof *dc * W);
        fill(&r, a, (size_t)N * W, 2.0);
        for (int j = 0; j < N * O; j++) y[j] = d->max_mixtures ? (rnl_real)(0.3 * rnl_rng_normal(&r)) : rnl_rng_uniform(&r) < 0.2;
        const rnl_real scale = (rnl_real)0.125;
        double sum = 0, each = 0;
        d->rows(a, y, N, O, k, &META, &sum, scale, da);
        int same = 1;
        for (int b = 0; b < N; b++) {
            each += d->nll(a + (size_t)b * W, y + (size_t)b * O, O, k, &META, db);
            d->grad(a + (size_t)b * W, y + (size_t)b * O, O, k, &META, scale, dc);
            for (int j = 0; j < W; j++) {
                same &= da[(size_t)b * W + j] == dc[j];
                same &= fabs(dc[j] - db[j] * scale) <= 1e-6 * (fabs(db[j] * scale) + 1e-6);
            }
        }
        CHECK(same, "head %s: rows' gradient is grad() per row, and grad() is nll()'s times scale", d->name);
        CHECK(isfinite(sum) && fabs(sum - each) <= 1e-5 * fabs(each), "head %s: rows' NLL %.9g vs per row %.9g",
              d->name, sum, each);
        double none = 12.5;
        d->rows(a, y, 0, O, k, &META, &none, scale, da);
        CHECK(none == 12.5, "head %s: no rows add nothing", d->name);
        d->rows(a, y, N, O, k, &META, NULL, scale, da); /* the gradient alone */
        for (int b = 0; b < N; b++) {
            d->grad(a + (size_t)b * W, y + (size_t)b * O, O, k, &META, scale, dc);
            for (int j = 0; j < W; j++) same &= da[(size_t)b * W + j] == dc[j];
        }
        CHECK(same, "head %s: rows without the NLL give the same gradient", d->name);
        free(a);
        free(y);
        free(da);
        free(db);
        free(dc);
    }
}

/* ================================================================ draws ============== */

/* rnl_music_sample (src/data/pianoroll.c) as it draws a frame: its sigmoid, one uniform per
 * key. */
static double old_sigmoid(double z) {
    if (z >= 0) return 1 / (1 + exp(-z));
    double e = exp(z);
    return e / (1 + e);
}
static void old_music_frame(const rnl_real *logits, int O, double temperature, rnl_rng *rng, double *y) {
    for (int k = 0; k < O; k++) {
        double p = old_sigmoid((double)logits[k] / temperature);
        y[k] = rnl_rng_uniform(rng) < p;
    }
}

/* The MoG draw re-derived from rnnlab.h, on the grid of META (step 2^-15 from -1): pick a
 * component by one uniform against the cumulative softmax(a/T), then per value one normal n,
 * z = mu + sqrt(T) sigma n, and the value is z's nearest grid point (the outer bins take
 * everything beyond them). sigma = exp(s) with the soft floor f = log(2^-18) (1/8 step):
 * s = l on [f, 20], f - log(1 + f - l) below, 20 above. */
static double ref_log_std(double l) {
    const double f = log(0.125 / 32768.0);
    return l > 20 ? 20 : l >= f ? l : f - log1p(f - l);
}
static double ref_grid_value(double z) {
    double i = nearbyint((z + 1.0) * 32768.0);
    i = i < 0 ? 0 : i > 65535 ? 65535 : i;
    return (i - 32768.0) / 32768.0;
}
static void ref_mog_draw(const rnl_real *a, int O, int K, double T, rnl_rng *rng, double *y) {
    const rnl_real *mu = a + K, *ls = a + K + (size_t)K * O;
    double mx = -INFINITY, tot = 0;
    for (int k = 0; k < K; k++) mx = a[k] / T > mx ? a[k] / T : mx;
    for (int k = 0; k < K; k++) tot += exp((double)a[k] / T - mx);
    double u = rnl_rng_uniform(rng) * tot, acc = 0;
    int pick = K - 1;
    for (int k = 0; k < K; k++) {
        acc += exp((double)a[k] / T - mx);
        if (u < acc) {
            pick = k;
            break;
        }
    }
    for (int d = 0; d < O; d++) {
        double l = ref_log_std(ls[(size_t)pick * O + d]);
        y[d] = ref_grid_value(mu[(size_t)pick * O + d] + exp(l) * sqrt(T) * rnl_rng_normal(rng));
    }
}

static int same_rng(const rnl_rng *a, const rnl_rng *b) { return memcmp(a, b, sizeof *a) == 0; }

static void test_bernoulli_draw(void) {
    const rnl_head_desc *d = rnl_head_describe(RNL_HEAD_BERNOULLI);
    enum { O = 88 };
    rnl_real a[O];
    double y1[O], y2[O];
    rnl_rng gen, r1, r2;
    rnl_rng_seed(&gen, 5);
    const double temps[] = {1.0, 0.5, 2.0, 0.9};
    int same = 1, rng_same = 1, ones = 0;
    for (int it = 0; it < 400; it++) {
        fill(&gen, a, O, it < 200 ? 2.0 : 30.0);
        const double T = temps[it % 4];
        rnl_rng_seed(&r1, 1000 + (uint64_t)it);
        r2 = r1;
        d->draw(a, O, 0, &META, T, &r1, y1);
        old_music_frame(a, O, T, &r2, y2);
        for (int k = 0; k < O; k++) {
            same &= y1[k] == y2[k] && (y1[k] == 0 || y1[k] == 1);
            ones += y1[k] == 1;
        }
        rng_same &= same_rng(&r1, &r2);
    }
    CHECK(same, "Bernoulli draw: the same 0/1 values as rnl_music_sample's formula");
    CHECK(rng_same, "Bernoulli draw: the same random draws (one uniform per unit)");
    CHECK(ones > 400 * O / 5 && ones < 400 * O * 4 / 5, "Bernoulli draw: both values drawn (%d ones)", ones);

    /* Hand cases: σ(±huge) is exactly 1 or 0, σ(0) = 1/2 against the uniform itself. */
    rnl_real h[4] = {60, -800, 0, 0};
    rnl_rng_seed(&r1, 77);
    r2 = r1;
    double y[4];
    d->draw(h, 4, 0, &META, 1.0, &r1, y);
    double u[4];
    for (int k = 0; k < 4; k++) u[k] = rnl_rng_uniform(&r2);
    CHECK(y[0] == 1 && y[1] == 0 && y[2] == (u[2] < 0.5) && y[3] == (u[3] < 0.5) && same_rng(&r1, &r2),
          "Bernoulli hand cases: %g %g %g %g (u %g %g)", y[0], y[1], y[2], y[3], u[2], u[3]);
    /* A low temperature sharpens: a = 0.01 at T = 1e-4 is σ(100) = 1. */
    rnl_real s[1] = {(rnl_real)0.01};
    int all = 1;
    for (int i = 0; i < 50; i++) {
        d->draw(s, 1, 0, &META, 1e-4, &r1, y);
        all &= y[0] == 1;
    }
    CHECK(all, "Bernoulli draw at a low temperature is the sign of the logit");
}

static void test_mog_draw(void) {
    const rnl_head_desc *d = rnl_head_describe(RNL_HEAD_MOG);
    enum { O = 10, K = 20, W = K * (1 + 2 * O) };
    rnl_real a[W];
    double y1[O], y2[O];
    rnl_rng gen, r1, r2;
    rnl_rng_seed(&gen, 6);
    int same = 1, rng_same = 1, on_grid = 1, edge = 0;
    const double temps[] = {1.0, 0.5, 3.0};
    for (int it = 0; it < 300; it++) {
        fill(&gen, a, W, 3.0);
        /* some log-stds far below the floor and beyond the ceiling, some means off the grid */
        for (int j = K + K * O; j < W; j += 7) a[j] = (rnl_real)(it % 2 ? -50.0 : 40.0);
        for (int j = K; j < K + K * O; j++) a[j] *= (rnl_real)0.2;
        const double T = temps[it % 3];
        rnl_rng_seed(&r1, 2000 + (uint64_t)it);
        r2 = r1;
        d->draw(a, O, K, &META, T, &r1, y1);
        ref_mog_draw(a, O, K, T, &r2, y2);
        for (int k = 0; k < O; k++) {
            same &= memcmp(&y1[k], &y2[k], sizeof(double)) == 0;
            const double i = (y1[k] + 1.0) * 32768.0;
            on_grid &= i == nearbyint(i) && i >= 0 && i <= 65535;
            edge += i == 0 || i == 65535;
        }
        rng_same &= same_rng(&r1, &r2);
    }
    CHECK(same, "MoG draw: bit for bit the values of the formula in rnnlab.h");
    CHECK(rng_same, "MoG draw: the same random draws (one uniform, then O normals)");
    CHECK(on_grid, "MoG draw: every value is a point of the 16-bit grid");
    CHECK(edge > 0, "MoG draw: values beyond the grid land in its outer bins (%d)", edge);

    /* Hand cases, K = 2, O = 2: a component of weight exp(-1000) is never picked; a log-std
     * of -100 is far below the floor (sigma < 1/8 step), so the value is the mean's grid
     * point. Layout [pi0 pi1 | mu00 mu01 mu10 mu11 | ls..]. */
    rnl_real h[2 * (1 + 2 * 2)] = {0, -1000, 0.25f, -0.5f, 0.7f, 0.8f, -100, -3, -2, -3};
    double y[2];
    rnl_rng_seed(&r1, 99);
    r2 = r1;
    d->draw(h, 2, 2, &META, 1.0, &r1, y);
    (void)rnl_rng_uniform(&r2);
    double n0 = rnl_rng_normal(&r2), n1 = rnl_rng_normal(&r2);
    CHECK(y[0] == 0.25 && y[1] == ref_grid_value(-0.5 + exp(-3.0) * n1) && same_rng(&r1, &r2),
          "MoG hand case: component 0, sigma below the floor gives the mean (%.17g, %.17g; n0 %g)", y[0], y[1], n0);
    /* Temperature: weights softmax(pi / T), sigma times sqrt(T); logits {1, 2} at T = 1e-3
     * always pick component 1. */
    h[0] = 1;
    h[1] = 2;
    rnl_rng_seed(&r1, 5);
    r2 = r1;
    d->draw(h, 2, 2, &META, 1e-3, &r1, y);
    (void)rnl_rng_uniform(&r2);
    n0 = rnl_rng_normal(&r2);
    n1 = rnl_rng_normal(&r2);
    CHECK(y[0] == ref_grid_value(0.7f + exp(-2.0) * sqrt(1e-3) * n0) &&
              y[1] == ref_grid_value(0.8f + exp(-3.0) * sqrt(1e-3) * n1),
          "MoG at T = 1e-3: the heavier component, sigma sqrt(T)");
    /* A mean beyond the grid's top lands in the top bin. */
    rnl_real one[1 + 2] = {0, 5, -12}; /* K = 1, O = 1: mu 5 (the grid ends at 1), sigma e^-12 */
    d->draw(one, 1, 1, &META, 1.0, &r1, y);
    CHECK(y[0] == 32767.0 / 32768.0, "MoG: a draw above the grid is its highest value (%.17g)", y[0]);
}

/* The MoG NLL and its gradient against tests/ref/mog_bins.tsv (scripts/make_mog_bins.py,
 * mpmath at 60 digits from the definition): K = 1, O = 1 on META's grid, cases over every
 * region of the bin mass — narrow and wide bins, both tails, both open edges, the uniform
 * part dominating, below the soft floor, above the ceiling. Each line: bin, mu, ls (float32
 * values), nll, d nll / d mu, d nll / d ls. */
static void test_mog_bins(void) {
    FILE *f = fopen("tests/ref/mog_bins.tsv", "r");
    CHECK(f != NULL, "tests/ref/mog_bins.tsv opens");
    if (!f) return;
    char line[512];
    int n = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#') continue;
        int bin;
        double mu, ls, nll, gmu, gls;
        if (sscanf(line, "%d %lf %lf %lf %lf %lf", &bin, &mu, &ls, &nll, &gmu, &gls) != 6) {
            CHECK(0, "mog_bins.tsv: bad line %s", line);
            continue;
        }
        rnl_real a[3] = {(rnl_real)0.7, (rnl_real)mu, (rnl_real)ls}, da[3];
        CHECK((double)a[1] == mu && (double)a[2] == ls, "mog_bins.tsv line %d: float32 values", n + 1);
        rnl_real y[1] = {(rnl_real)((bin - 32768.0) / 32768.0)};
        const rnl_mog_grid q = rnl_mog_grid16(0.0, 1.0);
        for (int fast = 0; fast <= 1; fast++) { /* the reference, then its fast twin */
        const double v = fast ? rnl_mog_nll_fast(a, y, 1, 1, &q, da) : rnl_mog_nll(a, y, 1, 1, &q, da);
        /* the float32 gradient rounds to 6e-8 relative; a derivative below 1e-6 of the
         * other's scale (the uniform part or symmetry make it ~0) is compared absolutely */
        const double tmu = 2e-6 * fabs(gmu) + 1e-9 * (fabs(gmu) + fabs(gls) + 1);
        const double tls = 2e-6 * fabs(gls) + 1e-9 * (fabs(gmu) + fabs(gls) + 1);
        CHECK(fabs(v - nll) <= 1e-11 * (1 + fabs(nll)), "bin %d mu %.9g ls %.9g: nll %.17g vs mpmath %.17g", bin,
              mu, ls, v, nll);
        CHECK(fabs(da[1] - gmu) <= tmu, "bin %d mu %.9g ls %.9g: d/dmu %.9g vs mpmath %.9g", bin, mu, ls,
              (double)da[1], gmu);
        CHECK(fabs(da[2] - gls) <= tls, "bin %d mu %.9g ls %.9g: d/dls %.9g vs mpmath %.9g", bin, mu, ls,
              (double)da[2], gls);
        CHECK(da[0] == 0, "K = 1: no gradient on the mixture logit (%g)", (double)da[0]);
        }
        n++;
    }
    fclose(f);
    CHECK(n >= 20, "mog_bins.tsv: %d cases", n);
}

/* Tallies of fast_vs_ref: worst relative NLL and gradient differences, counts beyond bounds. */
typedef struct {
    double worst_nll, worst_g;
    int bad_nll, bad_g;
} fast_tally;

/* One row of logits a [K(1+2O)] through both, da buffers d1, d2 of that width. */
static void fast_vs_ref(const rnl_real *a, const rnl_real *y, int O, int K, const rnl_mog_grid *q, rnl_real *d1,
                        rnl_real *d2, fast_tally *t) {
    const int W = K * (1 + 2 * O);
    const double v1 = rnl_mog_nll(a, y, O, K, q, d1), v2 = rnl_mog_nll_fast(a, y, O, K, q, d2);
    const double e = fabs(v1 - v2) / (1 + fabs(v1));
    t->worst_nll = fmax(t->worst_nll, e);
    t->bad_nll += !(e <= 1e-12);
    double big = 0;
    for (int j = 0; j < W; j++) big = fmax(big, fabs(d1[j]));
    for (int j = 0; j < W; j++) {
        const double dg = fabs((double)d1[j] - d2[j]);
        t->worst_g = fmax(t->worst_g, dg / (fabs(d1[j]) + 1e-12 * big + 1e-300));
        t->bad_g += !(dg <= 2.5e-7 * fabs(d1[j]) + 1e-12 * big);
    }
}

/* rnl_mog_nll_fast against the reference rnl_mog_nll, O = 10, K = 20 (its vector pass, with
 * the scalar entries it hands back): logits from tame to wild (every case of the bin mass,
 * the floor, the ceiling), and realistic ones — sigma from 1/16 to 4096 grid steps, means a
 * few sigma from the target, where the narrow-bin series carry nearly every entry; and
 * K = 120 (K·O past the vector buffers: the scalar loop). NLL to 1e-12 relative, each
 * gradient value to float rounding (2.5e-7 of itself, or 1e-12 of the row's largest). */
static void test_mog_fast(void) {
    enum { O = 10, K = 20, W = K * (1 + 2 * O), N = 3000, K2 = 120, W2 = K2 * (1 + 2 * O), N2 = 50 };
    const rnl_mog_grid q = rnl_mog_grid16(0.01, 0.05);
    rnl_rng r;
    rnl_rng_seed(&r, 23);
    rnl_real a[W], d1[W], d2[W], y[O];
    fast_tally t = {0, 0, 0, 0};
    for (int it = 0; it < N; it++) {
        const int mode = it % 5;
        for (int d = 0; d < O; d++)
            y[d] = (rnl_real)(q.lo + floor((0.3 + 0.4 * rnl_rng_uniform(&r)) * q.n) * q.step);
        if (mode < 4) {
            fill(&r, a, W, mode == 0 ? 1.0 : mode == 1 ? 10.0 : mode == 2 ? 100.0 : 1e4);
        } else {
            fill(&r, a, K, 1.0);
            for (int j = 0; j < K * O; j++) {
                const double ls = log(q.step) + log(2.0) * (-4 + 16 * rnl_rng_uniform(&r));
                a[K + K * O + j] = (rnl_real)ls;
                a[K + j] = (rnl_real)(y[j % O] + exp(ls) * 3 * rnl_rng_normal(&r));
            }
        }
        fast_vs_ref(a, y, O, K, &q, d1, d2, &t);
    }
    /* K·O above the fast twin's vector buffers (1024): its scalar loop */
    static rnl_real b[W2], e1[W2], e2[W2];
    for (int it = 0; it < N2; it++) {
        fill(&r, b, W2, it % 2 ? 1.0 : 10.0);
        fast_vs_ref(b, y, O, K2, &q, e1, e2, &t);
    }
    printf("cells: MoG fast twin against the reference, %d rows: worst NLL %.2e, gradient %.2e\n", N + N2,
           t.worst_nll, t.worst_g);
    CHECK(t.bad_nll == 0, "MoG fast: %d NLLs beyond 1e-12 of the reference (worst %.3g)", t.bad_nll, t.worst_nll);
    CHECK(t.bad_g == 0, "MoG fast: %d gradient values beyond float rounding of the reference (worst %.3g)", t.bad_g,
          t.worst_g);
}

/* The bounds of rnnlab.h for any logits: O log(step) <= nll <= O (log(step) + log(n/ε)),
 * for logits from tame to wild; and every gradient finite. */
static void test_mog_bounds(void) {
    enum { O = 10, K = 20, W = K * (1 + 2 * O), N = 2000 };
    const rnl_mog_grid q = rnl_mog_grid16(0.01, 0.05);
    const double lo = O * log(q.step), hi = O * (log(q.step) + log(q.n / RNL_MOG_UNIFORM));
    rnl_rng r;
    rnl_rng_seed(&r, 21);
    rnl_real a[W], da[W], y[O];
    int inside = 1, finite = 1, near_top = 0;
    for (int it = 0; it < N; it++) {
        const double sc = it % 4 == 0 ? 1.0 : it % 4 == 1 ? 10.0 : it % 4 == 2 ? 100.0 : 1e4;
        fill(&r, a, W, sc);
        for (int d = 0; d < O; d++)
            y[d] = (rnl_real)(q.lo + floor(rnl_rng_uniform(&r) * q.n) * q.step);
        const double v = it & 1 ? rnl_mog_nll_fast(a, y, O, K, &q, da) : rnl_mog_nll(a, y, O, K, &q, da);
        inside &= v >= lo - 1e-9 && v <= hi + 1e-9;
        near_top += v > hi - 1;
        for (int j = 0; j < W; j++) finite &= isfinite(da[j]);
    }
    CHECK(inside, "MoG NLL within [O log step, O (log step + log(n/eps))] = [%.4g, %.4g]", lo, hi);
    CHECK(finite, "MoG gradient finite for logits up to 1e4");
    CHECK(near_top > 0, "the upper bound is approached by wild logits (%d)", near_top);
}

/* ================================================================ softmax ============ */

/* The softmax NLL and gradient: the library's (rnl_exp, float) against the libm reference,
 * hand values, and logits of any size. */
static void test_softmax_nll(void) {
    enum { O = 67 };
    rnl_real a[O], y[O], da[O], dr[O];
    rnl_rng r;
    rnl_rng_seed(&r, 21);
    double worst = 0, worst_g = 0;
    for (int it = 0; it < 200; it++) {
        fill(&r, a, O, it < 100 ? 3.0 : 40.0);
        for (int k = 0; k < O; k++) y[k] = 0;
        y[rnl_rng_below(&r, O)] = 1;
        double v = rnl_softmax_nll(a, y, O, da), ref = rnl_softmax_nll_ref(a, y, O, dr);
        worst = fmax(worst, fabs(v - ref) / fmax(fabs(ref), 1.0));
        for (int k = 0; k < O; k++) worst_g = fmax(worst_g, fabs(da[k] - dr[k]));
    }
    CHECK(worst <= 1e-6, "softmax NLL: library vs libm reference, worst rel %.3g", worst);
    CHECK(worst_g <= 1e-6, "softmax gradient: library vs libm reference, worst abs %.3g", worst_g);
    /* Hand values: uniform logits give log O for any symbol; a = (0, log 3): −log(3/4) for
     * symbol 1, gradient (1/4, 3/4 − 1). */
    rnl_real u[4] = {2.5f, 2.5f, 2.5f, 2.5f}, t4[4] = {0, 0, 1, 0}, g4[4];
    CHECK_CLOSE(rnl_softmax_nll(u, t4, 4, g4), log(4.0), 1e-6, 0, "softmax: uniform logits give log O");
    CHECK_CLOSE(g4[2], -0.75, 1e-6, 1e-7, "softmax: gradient of the target at uniform logits");
    rnl_real a2[2] = {0, (rnl_real)log(3.0)}, t2[2] = {0, 1}, g2[2];
    CHECK_CLOSE(rnl_softmax_nll(a2, t2, 2, g2), -log(0.75), 1e-6, 0, "softmax: -log(3/4)");
    CHECK_CLOSE(g2[0], 0.25, 1e-6, 1e-7, "softmax: gradient 1/4");
    CHECK_CLOSE(g2[1], -0.25, 1e-6, 1e-7, "softmax: gradient 3/4 - 1");
    /* Any finite logit: 1e30 against 0 costs nothing when right and 1e30 nats when wrong;
     * -1e30 everywhere but one symbol is that symbol for sure. */
    rnl_real big[3] = {1e30f, 0, -1e30f}, hit[3] = {1, 0, 0}, miss[3] = {0, 1, 0}, gb[3];
    double vh = rnl_softmax_nll(big, hit, 3, gb);
    /* (rnl_exp flushes at e^-87, not 0: the other symbols keep a gradient of ~1e-38) */
    CHECK(vh == 0 && gb[0] == 0 && fabs(gb[1]) < 1e-37 && fabs(gb[2]) < 1e-37,
          "softmax: a right logit of 1e30 costs 0 (%g), gradient 0", vh);
    double vm = rnl_softmax_nll(big, miss, 3, gb);
    CHECK(isfinite(vm) && fabs(vm - 1e30) <= 1e24 && gb[0] == 1 && gb[1] == -1,
          "softmax: a wrong logit of 1e30 costs 1e30 nats (%g), gradient (1, -1, 0)", vm);
    CHECK(isfinite(rnl_softmax_nll_ref(big, miss, 3, NULL)), "softmax reference finite at 1e30");
}

/* The softmax draw re-derived from head_softmax.c's comment: m = max a/T, e_k = exp(a_k/T − m),
 * one uniform u; the first c whose running sum exceeds u Σ e; else the last e_k > 0. */
static int ref_softmax_draw(const rnl_real *a, int O, double T, rnl_rng *rng) {
    double m = -INFINITY, tot = 0;
    for (int k = 0; k < O; k++) m = fmax(m, a[k] / T);
    int last = 0;
    for (int k = 0; k < O; k++) {
        tot += exp(a[k] / T - m);
        if (exp(a[k] / T - m) > 0) last = k;
    }
    double u = rnl_rng_uniform(rng) * tot, acc = 0;
    for (int k = 0; k < O; k++) {
        acc += exp(a[k] / T - m);
        if (u < acc) return k;
    }
    return last;
}

static void test_softmax_draw(void) {
    const rnl_head_desc *d = rnl_head_describe(RNL_HEAD_SOFTMAX);
    enum { O = 65 };
    rnl_real a[O];
    double y[O];
    rnl_rng gen, r1, r2;
    rnl_rng_seed(&gen, 8);
    const double temps[] = {1.0, 0.5, 2.0, 0.05};
    int same = 1, rng_same = 1, hits[O] = {0};
    for (int it = 0; it < 2000; it++) {
        fill(&gen, a, O, it < 1000 ? 1.0 : 20.0);
        const double T = temps[it % 4];
        rnl_rng_seed(&r1, 3000 + (uint64_t)it);
        r2 = r1;
        d->draw(a, O, 0, &META, T, &r1, y);
        const int c = ref_softmax_draw(a, O, T, &r2);
        int ones = 0;
        for (int k = 0; k < O; k++) {
            ones += y[k] == 1;
            same &= y[k] == (k == c);
        }
        same &= ones == 1;
        hits[c]++;
        rng_same &= same_rng(&r1, &r2);
    }
    int distinct = 0;
    for (int k = 0; k < O; k++) distinct += hits[k] > 0;
    CHECK(same, "softmax draw: the one-hot vector of the re-derived formula's symbol");
    CHECK(rng_same, "softmax draw: one uniform per step");
    CHECK(distinct > O / 2, "softmax draw: many symbols drawn (%d of %d)", distinct, O);
    /* Temperature: logits (0, 0.01) at T = 1e-4 are softmax(0, 100): always symbol 1; at a
     * large T the two are near even. */
    rnl_real two[2] = {0, 0.01f};
    int ones = 0;
    for (int i = 0; i < 200; i++) {
        d->draw(two, 2, 0, &META, 1e-4, &r1, y);
        ones += y[1] == 1;
    }
    CHECK(ones == 200, "softmax draw at T = 1e-4 is the argmax (%d of 200)", ones);
    ones = 0;
    for (int i = 0; i < 2000; i++) {
        d->draw(two, 2, 0, &META, 100.0, &r1, y);
        ones += y[1] == 1;
    }
    CHECK(ones > 900 && ones < 1100, "softmax draw at T = 100 is near even (%d of 2000)", ones);
}

int main(void) {
    test_cell_table();
    test_head_table();
    test_model_refuses();
    test_model_tensors();
    test_head_rows();
    test_bernoulli_draw();
    test_mog_draw();
    test_mog_bins();
    test_mog_fast();
    test_mog_bounds();
    test_softmax_nll();
    test_softmax_draw();
    return CHECK_DONE("cells");
}
