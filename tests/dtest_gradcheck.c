/* dtest_gradcheck.c — finite-difference gradient checks in double precision (the library's
 * own sources compiled with -DRNL_DOUBLE): every unit and variant, the output layer, every
 * parameter tensor, the Bernoulli, mixture-of-Gaussians and softmax heads, with masks, lengths 1..T, B = 1 and B > 1, H = 1, several layers.
 * Tolerance: |a − n| <= 1e-6 · max(|a| + |n|, 1e-3) for every parameter (a relative test with
 * an absolute floor of 1e-9: central differences with eps 1e-5 carry ~1e-10 of rounding noise
 * on a loss of order 1, so tinier gradients cannot be told apart more finely).
 *
 * The sparse-input path. rnl_gradcheck feeds N(0,1) inputs, which always take the dense
 * products. Piano rolls take another path: forward() in src/core/model.c counts the non-zero
 * inputs of the valid rows (nnz) and sets
 *     ws->x_sparse = TB > 0 && nnz * 4 < TB * I          (TB = T*B, padded rows included)
 * (the only condition: no flag, any values, not only 0/1), and then layer 0 computes x·W^T
 * by rnl_gemm_sparse_a over a transposed copy of W, and its input-weight gradient X^T·dA by
 * rnl_gemm_sparse_at into dWT0, added transposed into grad W. sparse_check() below makes
 * 0/1 inputs at 5 % density (every input column on at least once after the first step, so
 * no element of W has a gradient that is 0 on both sides), checks with the same formula
 * that the library takes the sparse path, compares every parameter's gradient with
 * central differences, with the tolerance above, and checks that a second pass adds to the
 * gradient rather than overwriting it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "core/gradcheck.h"

static void run(rnl_cell cell, rnl_variant var, int layers, int I, int H, int O, int B,
                const int *len, const char *what) {
    rnl_config c = {cell, var, RNL_HEAD_BERNOULLI, layers, I, H, O, 0};
    rnl_gradcheck_result r;
    rnl_status st = rnl_gradcheck(&c, B, len, 1234 + (uint64_t)layers * 7 + (uint64_t)H, 1e-5, 1e-3, NULL, &r);
    CHECK(st == RNL_OK, "%s: %s", what, rnl_last_error());
    printf("gradcheck %-5s %-7s L=%d H=%d B=%d %-14s params=%5zu max_rel=%.2e at %s\n",
           rnl_cell_name(cell), rnl_variant_name(var), layers, H, B, what, r.checked, r.max_rel,
           r.worst);
    CHECK(r.checked > 0 && r.max_rel <= 1e-6, "%s %s %s: max relative error %.3e at %s",
          rnl_cell_name(cell), rnl_variant_name(var), what, r.max_rel, r.worst);
}

/* Dropout (rnl_dropout) with the masks held fixed (the same seed in every pass): the loss is
 * then smooth in the parameters and the same tolerance holds. The loss must differ from the
 * one without dropout (same parameters and batch), or the masks did nothing. */
static void run_drop(rnl_cell cell, rnl_variant var, rnl_head head, int layers, int I, int H, int O, int K,
                     int B, const int *len, double p, const char *what) {
    rnl_config c = {cell, var, head, layers, I, H, O, K};
    const rnl_dropout drop = {p, 4242 + (uint64_t)layers};
    const uint64_t seed = 321 + (uint64_t)layers * 5 + (uint64_t)head;
    rnl_gradcheck_result r, r0;
    rnl_status st = rnl_gradcheck(&c, B, len, seed, 1e-5, 1e-3, &drop, &r);
    CHECK(st == RNL_OK, "dropout %s: %s", what, rnl_last_error());
    st = rnl_gradcheck(&c, B, len, seed, 1e-5, 1e-3, NULL, &r0);
    CHECK(st == RNL_OK, "dropout %s (without): %s", what, rnl_last_error());
    printf("gradcheck %-5s %-7s L=%d H=%d B=%d dropout %.2f %-9s %-14s params=%5zu max_rel=%.2e at %s "
           "(loss %.6f, without dropout %.6f)\n",
           rnl_cell_name(cell), rnl_variant_name(var), layers, H, B, p, rnl_head_name(head), what, r.checked,
           r.max_rel, r.worst, r.loss, r0.loss);
    CHECK(r.checked > 0 && r.max_rel <= 1e-6, "dropout %s %s %s: max relative error %.3e at %s",
          rnl_cell_name(cell), rnl_variant_name(var), what, r.max_rel, r.worst);
    CHECK(r.loss != r0.loss, "dropout %s %s %s: the loss %.17g is the one without dropout", rnl_cell_name(cell),
          rnl_variant_name(var), what, r.loss);
}

/* ---------------------------------------------------------------- sparse 0/1 inputs */

/* loss = nll_sum / frames at the parameters p (status checked by the caller). */
static double sparse_loss(const rnl_model *m, rnl_workspace *ws, const rnl_real *p, const rnl_batch *bt,
                          double frames, rnl_status *st) {
    double nll = 0;
    *st = rnl_forward_backward(m, ws, p, bt, NULL, frames, NULL, &nll);
    return nll / frames;
}

/* Finite differences over every parameter with 0/1 inputs at ~5 % density (see the top). */
static void sparse_check(rnl_cell cell, rnl_variant var, int layers, int I, int H, int O, int B,
                         const int *len, uint64_t seed, const char *what) {
    const double eps = 1e-5, floor = 1e-3;
    rnl_config c = {cell, var, RNL_HEAD_BERNOULLI, layers, I, H, O, 0};
    const char *cn = rnl_cell_name(cell), *vn = rnl_variant_name(var);
    rnl_model *m = NULL;
    rnl_workspace *ws = NULL;
    rnl_status st = rnl_model_create(&c, &m);
    CHECK(st == RNL_OK, "sparse %s %s %s: create: %s", cn, vn, what, rnl_last_error());
    if (st) return;
    st = rnl_workspace_create(&ws);
    CHECK(st == RNL_OK, "sparse %s %s %s: workspace: %s", cn, vn, what, rnl_last_error());
    const int T = len[0];
    const size_t n = rnl_model_nparams(m), nx = (size_t)T * B * I, ny = (size_t)T * B * O;
    rnl_real *x = malloc(sizeof(rnl_real) * nx), *y = malloc(sizeof(rnl_real) * ny);
    rnl_real *g = calloc(n, sizeof(rnl_real));
    CHECK(x && y && g, "sparse %s %s %s: out of memory", cn, vn, what);
    if (st || !x || !y || !g) goto done;
    rnl_rng rng;
    rnl_rng_seed(&rng, seed);
    rnl_real *p = rnl_model_params(m);
    for (size_t k = 0; k < n; k++) p[k] = (rnl_real)(0.5 * rnl_rng_normal(&rng));
    /* x[t, b, i]: 1e30 at padded steps (which must be ignored); at the valid steps 0 but for
     * round(5 % of them) ones: first one in each column at a random valid step t >= 1 (at
     * t = 0 the GRU's reset and the LSTM's forget gate act on a zero state, so a column on
     * only there has zero gradients in W_r, W_f on both sides), then the rest anywhere. */
    size_t valid_rows = 0, later_rows = 0;
    for (int b = 0; b < B; b++) valid_rows += (size_t)len[b], later_rows += (size_t)(len[b] - 1);
    for (int t = 0; t < T; t++)
        for (int b = 0; b < B; b++)
            for (int i = 0; i < I; i++) x[((size_t)t * B + b) * I + i] = t < len[b] ? 0 : (rnl_real)1e30;
    const size_t target = (size_t)lround(0.05 * (double)valid_rows * I);
    CHECK(target >= (size_t)I && later_rows > 0, "sparse %s %s %s: %zu ones cannot cover %d columns", cn, vn,
          what, target, I);
    size_t ones = 0;
    for (int i = 0; i < I && later_rows > 0; i++) {
        size_t r = (size_t)(rnl_rng_uniform(&rng) * (double)later_rows); /* the r-th valid row at t >= 1 */
        for (int t = 1; t < T; t++)
            for (int b = 0; b < B; b++)
                if (t < len[b] && r-- == 0) {
                    x[((size_t)t * B + b) * I + i] = 1;
                    ones++;
                }
    }
    while (ones < target) {
        const size_t r = (size_t)(rnl_rng_uniform(&rng) * (double)valid_rows);
        const int i = (int)(rnl_rng_uniform(&rng) * I);
        size_t row = r; /* the r-th valid row, as (t, b) */
        for (int t = 0; t < T; t++)
            for (int b = 0; b < B; b++)
                if (t < len[b] && row-- == 0) {
                    rnl_real *v = x + ((size_t)t * B + b) * I + i;
                    ones += *v == 0;
                    *v = 1;
                }
    }
    for (size_t k = 0; k < ny; k++) y[k] = rnl_rng_uniform(&rng) < 0.3 ? 1 : 0;
    /* The library's own count (model.c, forward: non-zeros of the valid rows) and test. */
    size_t nnz = 0;
    for (int t = 0; t < T; t++)
        for (int b = 0; b < B; b++)
            for (int i = 0; t < len[b] && i < I; i++) nnz += x[((size_t)t * B + b) * I + i] != 0;
    const double density = (double)nnz / ((double)valid_rows * I);
    CHECK(nnz * 4 < (size_t)T * B * I, "sparse %s %s %s: %zu non-zeros of %d x %d x %d do not take the sparse path",
          cn, vn, what, nnz, T, B, I);
    CHECK(density >= 0.045 && density <= 0.055, "sparse %s %s %s: density %.3f, not about 5 %%", cn, vn, what,
          density);
    double frames = (double)valid_rows;
    rnl_batch bt = {T, B, len, x, y};
    double nll = 0;
    st = rnl_forward_backward(m, ws, p, &bt, g, frames, NULL, &nll);
    CHECK(st == RNL_OK && isfinite(nll) && nll > 0, "sparse %s %s %s: forward/backward: %s (NLL %g)", cn, vn, what,
          st ? rnl_last_error() : "ok", nll);
    if (st) goto done;
    /* The gradient is added to grad, not written over it (the transpose-add of the sparse
     * path included): a second pass into the same buffer doubles it. */
    rnl_real *g2 = malloc(sizeof(rnl_real) * n);
    CHECK(g2 != NULL, "sparse %s %s %s: out of memory", cn, vn, what);
    if (!g2) goto done;
    memcpy(g2, g, sizeof(rnl_real) * n);
    st = rnl_forward_backward(m, ws, p, &bt, g2, frames, NULL, &nll);
    double acc = 0;
    for (size_t k = 0; k < n; k++) acc = fmax(acc, fabs(g2[k] - 2 * g[k]) / fmax(fabs(g[k]), 1e-3));
    free(g2);
    CHECK(st == RNL_OK && acc <= 1e-12, "sparse %s %s %s: a second pass does not add to grad (max rel %.3g): %s", cn,
          vn, what, acc, st ? rnl_last_error() : "ok");
    if (st) goto done;
    /* Padded inputs do not matter: 0 instead of 1e30 there gives the same loss, bit for bit. */
    const double l0 = nll / frames;
    for (int t = 0; t < T; t++)
        for (int b = 0; b < B; b++)
            if (t >= len[b]) memset(x + ((size_t)t * B + b) * I, 0, sizeof(rnl_real) * I);
    const double lz = sparse_loss(m, ws, p, &bt, frames, &st);
    CHECK(st == RNL_OK && lz == l0, "sparse %s %s %s: padded inputs changed the loss (%.17g vs %.17g)", cn, vn,
          what, lz, l0);
    /* Every parameter: |a − n| <= 1e-6 · max(|a| + |n|, 1e-3); the input weights of layer 0
     * (rnn.0.W*) must have a non-zero gradient everywhere, or the check would say little. */
    double max_rel = 0;
    char worst[96] = "none";
    size_t checked = 0, w0 = 0, w0_zero = 0;
    int failed_calls = 0;
    for (int ti = 0; ti < rnl_model_ntensors(m); ti++) {
        const rnl_tensor *t = rnl_model_tensor(m, ti);
        const int input_w = strncmp(t->name, "rnn.0.W", 7) == 0;
        for (size_t k = 0; k < t->size; k++) {
            rnl_real *q = p + t->offset + k, old = *q;
            rnl_status s1, s2;
            *q = (rnl_real)(old + eps);
            const double lplus = sparse_loss(m, ws, p, &bt, frames, &s1);
            *q = (rnl_real)(old - eps);
            const double lminus = sparse_loss(m, ws, p, &bt, frames, &s2);
            *q = old;
            failed_calls += (s1 != RNL_OK) + (s2 != RNL_OK);
            const double num = (lplus - lminus) / (2 * eps), ana = g[t->offset + k];
            const double den = fabs(ana) + fabs(num);
            double rel = fabs(ana - num) / (den > floor ? den : floor);
            if (isnan(rel)) rel = INFINITY;
            checked++;
            w0 += input_w;
            w0_zero += input_w && ana == 0;
            if (rel > max_rel) {
                max_rel = rel;
                snprintf(worst, sizeof worst, "%s[%zu] (%.3g vs %.3g)", t->name, k, ana, num);
            }
        }
    }
    printf("gradcheck %-5s %-7s L=%d I=%d H=%d B=%d sparse %-10s density=%.3f params=%5zu max_rel=%.2e at %s\n", cn,
           vn, layers, I, H, B, what, density, checked, max_rel, worst);
    CHECK(failed_calls == 0, "sparse %s %s %s: %d perturbed passes failed: %s", cn, vn, what, failed_calls,
          rnl_last_error());
    CHECK(checked == n, "sparse %s %s %s: %zu of %zu parameters checked", cn, vn, what, checked, n);
    CHECK(w0 > 0 && w0_zero == 0, "sparse %s %s %s: %zu of %zu input-weight gradients are 0", cn, vn, what, w0_zero,
          w0);
    CHECK(max_rel <= 1e-6, "sparse %s %s %s: max relative error %.3e at %s", cn, vn, what, max_rel, worst);
done:
    free(x);
    free(y);
    free(g);
    rnl_workspace_free(ws);
    rnl_model_free(m);
}

int main(void) {
    static const int lens_b3[] = {6, 4, 1}, lens_b4[] = {5, 5, 2, 0}, len1[] = {1}, len7[] = {7};
    for (int cell = 0; cell < 3; cell++)
        for (int var = 0; var < 2; var++) {
            if (cell == RNL_CELL_TANH && var == RNL_VARIANT_PYTORCH) continue;
            rnl_cell c = (rnl_cell)cell;
            rnl_variant v = (rnl_variant)var;
            run(c, v, 1, 3, 4, 5, 1, len7, "B=1 T=7");
            run(c, v, 1, 3, 4, 5, 3, lens_b3, "B=3 masked");
            run(c, v, 1, 3, 4, 5, 4, lens_b4, "B=4 empty seq");
            run(c, v, 1, 2, 1, 2, 3, lens_b3, "H=1");
            run(c, v, 1, 3, 4, 5, 1, len1, "T=1");
            run(c, v, 2, 3, 4, 5, 3, lens_b3, "2 layers");
            run(c, v, 3, 2, 3, 2, 3, lens_b3, "3 layers");
        }
    /* Dropout: every unit and variant, 1 to 3 layers (the sites between layers and before
     * the output layer), B = 1 and B = 3 with masked lengths, the three heads. */
    for (int cell = 0; cell < 3; cell++)
        for (int var = 0; var < 2; var++) {
            if (cell == RNL_CELL_TANH && var == RNL_VARIANT_PYTORCH) continue;
            rnl_cell c = (rnl_cell)cell;
            rnl_variant v = (rnl_variant)var;
            run_drop(c, v, RNL_HEAD_BERNOULLI, 1, 3, 4, 5, 0, 1, len7, 0.5, "B=1 T=7");
            run_drop(c, v, RNL_HEAD_BERNOULLI, 2, 3, 4, 5, 0, 3, lens_b3, 0.3, "2 layers B=3");
            run_drop(c, v, RNL_HEAD_BERNOULLI, 3, 2, 3, 2, 0, 3, lens_b3, 0.5, "3 layers B=3");
            run_drop(c, v, RNL_HEAD_BERNOULLI, 2, 3, 4, 5, 0, 4, lens_b4, 0.2, "B=4 empty seq");
        }
    run_drop(RNL_CELL_LSTM, RNL_VARIANT_PAPER, RNL_HEAD_SOFTMAX, 2, 5, 4, 5, 0, 3, lens_b3, 0.5, "softmax");
    run_drop(RNL_CELL_GRU, RNL_VARIANT_PAPER, RNL_HEAD_MOG, 2, 3, 4, 2, 3, 3, lens_b3, 0.5, "mog K=3");
    /* The sparse-input path (0/1 inputs at ~5 %): every unit and variant, B = 3 with masked
     * lengths, 1 and 2 layers, and I = 130 so that the non-zero lists run over two blocks
     * of 128 (kernels.c, LIST). */
    static const int lens_s[] = {16, 12, 5}, lens_s2[] = {20, 14};
    for (int cell = 0; cell < 3; cell++)
        for (int var = 0; var < 2; var++) {
            if (cell == RNL_CELL_TANH && var == RNL_VARIANT_PYTORCH) continue;
            rnl_cell c = (rnl_cell)cell;
            rnl_variant v = (rnl_variant)var;
            const uint64_t seed = 500 + 10 * (uint64_t)cell + (uint64_t)var;
            sparse_check(c, v, 1, 24, 4, 5, 3, lens_s, seed, "B=3 masked");
            sparse_check(c, v, 2, 24, 4, 5, 3, lens_s, seed + 1, "2 layers");
            sparse_check(c, v, 1, 130, 3, 4, 2, lens_s2, seed + 2, "I=130");
        }
    /* The mixture-of-Gaussians head (speech): K = 3 components over O = 2 values. */
    for (int cell = 0; cell < 3; cell++) {
        rnl_config c = {(rnl_cell)cell, RNL_VARIANT_PAPER, RNL_HEAD_MOG, 1, 3, 4, 2, 3};
        rnl_gradcheck_result r;
        rnl_status st = rnl_gradcheck(&c, 3, lens_b3, 99, 1e-5, 1e-3, NULL, &r);
        CHECK(st == RNL_OK, "mog: %s", rnl_last_error());
        printf("gradcheck %-5s mog head K=3 O=2 params=%5zu max_rel=%.2e at %s\n", rnl_cell_name(c.cell),
               r.checked, r.max_rel, r.worst);
        CHECK(r.checked > 0 && r.max_rel <= 1e-6, "mog %s: max relative error %.3e at %s",
              rnl_cell_name(c.cell), r.max_rel, r.worst);
    }
    /* The softmax head (text): O = 5 symbols (rnl_gradcheck's 0/1 targets are not one-hot;
     * the head's NLL is defined, and smooth, for any y >= 0); the continuous Gaussian-mixture
     * head (real-valued .npz): K = 3 over O = 2 (the 0/1 targets are real values to it; its
     * raw log stds lie above the floor: the floor and the ceiling are checked against
     * PyTorch's autograd, tests/ref/gauss_head.safetensors in test_reference.c). Every unit,
     * 1 and 2 layers. */
    static const struct {
        rnl_head head;
        int I, O, K;
        uint64_t seed;
    } heads[] = {{RNL_HEAD_SOFTMAX, 5, 5, 0, 77}, {RNL_HEAD_GAUSS, 3, 2, 3, 55}};
    for (size_t h = 0; h < sizeof heads / sizeof *heads; h++)
        for (int cell = 0; cell < 3; cell++)
            for (int layers = 1; layers <= 2; layers++) {
                rnl_config c = {(rnl_cell)cell, RNL_VARIANT_PAPER, heads[h].head, layers, heads[h].I, 4, heads[h].O,
                                heads[h].K};
                const char *hn = rnl_head_name(c.head);
                rnl_gradcheck_result r;
                rnl_status st = rnl_gradcheck(&c, 3, lens_b3, heads[h].seed, 1e-5, 1e-3, NULL, &r);
                CHECK(st == RNL_OK, "%s: %s", hn, rnl_last_error());
                printf("gradcheck %-5s %s head O=%d K=%d layers=%d params=%5zu max_rel=%.2e at %s\n",
                       rnl_cell_name(c.cell), hn, c.output, c.mixtures, layers, r.checked, r.max_rel, r.worst);
                CHECK(r.checked > 0 && r.max_rel <= 1e-6, "%s %s: max relative error %.3e at %s", hn,
                      rnl_cell_name(c.cell), r.max_rel, r.worst);
            }
    run_drop(RNL_CELL_LSTM, RNL_VARIANT_PYTORCH, RNL_HEAD_GAUSS, 2, 3, 4, 2, 3, 3, lens_b3, 0.5, "gauss K=3");
    return CHECK_DONE("gradcheck (double)");
}
