/* test_mog_reference.c — the mixture-of-Gaussians head through a whole model, against PyTorch.
 *
 * tests/ref/mog_<case>.safetensors are written by scripts/make_mog_refs.py in float64 (the
 * paper's units op by op, the MoG NLL by rnnlab_torch.mog_loss, itself checked against
 * torch.distributions and finite differences). Cases: GRU and LSTM (paper variants) with
 * I=4, H=4, O=3 values, K=2 components, T=5, B=2, lengths [5,3], real-valued targets; and
 * mog_clamp, where one log-std logit of component 0 lies below ln 1e-3 and one above 20 at
 * every step, so the clamp of rnl_mog_nll decides the loss and zeroes those gradients.
 * For every case: one rnl_forward_backward, then
 *   loss, nll_sum, logits at valid steps, every gradient:  |c - r| <= 1e-4 |r| + 1e-6
 * and the reference's 10 steps of rnl_clip_global_norm + rnl_rmsprop_step from zeroed state:
 *   traj[k], traj_gnorm[k]:                                 1e-4 |r| + 1e-6
 *   final.<name> (parameters after the 10 steps):           1e-4 |r| + 1e-4
 * (the larger absolute term for the final parameters as in test_reference.c: RMSprop turns
 * float32 rounding of tiny early gradients into visible changes of a step).
 * One CHECK per tensor; a line per tensor gives case, tensor, max abs and max rel diff
 * (|c - r| / max(|r|, 1e-6)). A missing or malformed file is a failure. Runs from the
 * repository root. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "rnnlab.h"
#include "safetensors.h"
#include "util.h"

#define RTOL 1e-4
#define ATOL 1e-6
#define ATOL_FINAL 1e-4

static const char *const CASES[] = {"mog_gru_paper", "mog_lstm_paper", "mog_clamp"};
#define NCASES ((int)(sizeof CASES / sizeof CASES[0]))

static double worst_pass, worst_traj;

/* One CHECK for n library values c against reference values r. */
static void compare(const char *cs, const char *what, const rnl_real *c, const double *r, size_t n,
                    double rtol, double atol, double *worst_rel) {
    double max_abs = 0, max_rel = 0, worst_excess = -INFINITY;
    size_t worst = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)c[i] - r[i]);
        if (d != d) d = INFINITY;
        double rel = d / fmax(fabs(r[i]), 1e-6), excess = d - (atol + rtol * fabs(r[i]));
        max_abs = fmax(max_abs, d);
        max_rel = fmax(max_rel, rel);
        if (excess > worst_excess) worst_excess = excess, worst = i;
    }
    *worst_rel = fmax(*worst_rel, max_rel);
    printf("%-15s %-20s max abs %.3e  max rel %.3e\n", cs, what, max_abs, max_rel);
    fflush(stdout);
    CHECK(n == 0 || worst_excess <= 0, "%s %s[%zu]: %.9g vs reference %.9g (tol %g rel + %g)", cs, what, worst,
          n ? (double)c[worst] : 0.0, n ? r[worst] : 0.0, rtol, atol);
}

/* A F64 tensor of numel elements as a malloc'd copy; NULL (and a failed CHECK) otherwise. */
static double *ref_f64(const rnl_st_file *f, const char *cs, const char *name, size_t numel) {
    const rnl_st_tensor *t = rnl_st_find(f, name);
    int ok = t && t->dtype == RNL_ST_F64 && t->numel == numel;
    CHECK(ok, "%s: tensor %s missing, not F64 or not %zu elements", cs, name, numel);
    double *v = ok ? malloc((numel ? numel : 1) * sizeof *v) : NULL;
    if (v) memcpy(v, t->data, numel * sizeof *v); /* little-endian host */
    return v;
}

static long meta_long(const rnl_st_file *f, const char *key, long lo, long hi, int *ok) {
    const char *s = rnl_st_meta(f, key);
    long v = 0;
    if (!s || rnl_parse_long(s, lo, hi, key, &v) != RNL_OK) {
        CHECK(0, "%s: metadata %s missing or bad", rnl_st_path(f), key);
        *ok = 0;
    }
    return v;
}

static double meta_double(const rnl_st_file *f, const char *key, int *ok) {
    const char *s = rnl_st_meta(f, key);
    double v = 0;
    if (!s || rnl_parse_double(s, 0, 1e9, key, &v) != RNL_OK) {
        CHECK(0, "%s: metadata %s missing or bad", rnl_st_path(f), key);
        *ok = 0;
    }
    return v;
}

static void run_case(const char *cs) {
    char path[256];
    snprintf(path, sizeof path, "tests/ref/%s.safetensors", cs);
    rnl_st_file *f = NULL;
    rnl_status st = rnl_st_read(path, &f);
    CHECK(st == RNL_OK, "%s: cannot read the reference: %s", path, rnl_last_error());
    if (st) return;
    int ok = 1;
    const char *ver = rnl_st_meta(f, "ref_version"), *head = rnl_st_meta(f, "head");
    const char *cell = rnl_st_meta(f, "cell"), *variant = rnl_st_meta(f, "variant");
    rnl_config cfg = {0};
    CHECK(ver && strcmp(ver, "1") == 0, "%s: ref_version", path);
    CHECK(head && strcmp(head, "mog") == 0, "%s: head is not mog", path);
    CHECK(cell && rnl_cell_parse(cell, &cfg.cell) == RNL_OK, "%s: bad cell", path);
    CHECK(variant && rnl_variant_parse(variant, &cfg.variant) == RNL_OK, "%s: bad variant", path);
    cfg.head = RNL_HEAD_MOG;
    cfg.layers = (int)meta_long(f, "layers", 1, 16, &ok);
    cfg.input = (int)meta_long(f, "input", 1, 4096, &ok);
    cfg.hidden = (int)meta_long(f, "hidden", 1, 4096, &ok);
    cfg.output = (int)meta_long(f, "output", 1, 4096, &ok);
    cfg.mixtures = (int)meta_long(f, "mixtures", 1, 1024, &ok);
    const int T = (int)meta_long(f, "T", 1, 100000, &ok), B = (int)meta_long(f, "B", 1, 100000, &ok);
    const int steps = (int)meta_long(f, "steps", 1, 1000, &ok);
    rnl_rmsprop opt = {meta_double(f, "lr", &ok), meta_double(f, "decay", &ok), meta_double(f, "momentum", &ok),
                       meta_double(f, "eps", &ok)};
    const double clip = meta_double(f, "clip", &ok);
    rnl_model *m = NULL;
    rnl_workspace *ws = NULL;
    if (ok && cell && variant && head) {
        st = rnl_model_create(&cfg, &m);
        if (!st) st = rnl_workspace_create(&ws);
        CHECK(st == RNL_OK, "%s: model: %s", cs, rnl_last_error());
    }
    if (!ws) {
        rnl_model_free(m);
        rnl_st_free(f);
        return;
    }
    const size_t np = rnl_model_nparams(m), W = (size_t)rnl_head_width(&cfg);
    const size_t nx = (size_t)T * B * cfg.input, ny = (size_t)T * B * cfg.output;
    rnl_real *p = rnl_model_params(m);
    rnl_real *g = calloc(np, sizeof *g), *ms = calloc(np, sizeof *ms), *buf = calloc(np, sizeof *buf);
    rnl_real *x = malloc(nx * sizeof *x), *y = malloc(ny * sizeof *y), *cv = malloc(T * B * W * sizeof *cv);
    rnl_real *traj_c = malloc(2 * (size_t)steps * sizeof *traj_c); /* [loss_k..., norm_k...] */
    double *rv = malloc(T * B * W * sizeof *rv);
    int *len = malloc(B * sizeof *len);
    double *loss = ref_f64(f, cs, "loss", 1), *nll_ref = ref_f64(f, cs, "nll_sum", 1);
    double *logits = ref_f64(f, cs, "logits", T * B * W), *traj = ref_f64(f, cs, "traj", steps);
    double *gnorm = ref_f64(f, cs, "traj_gnorm", steps);
    const rnl_st_tensor *tx = rnl_st_find(f, "x"), *ty = rnl_st_find(f, "y"), *tl = rnl_st_find(f, "len");
    int good = g && ms && buf && x && y && cv && traj_c && rv && len && loss && nll_ref && logits && traj && gnorm;
    good = good && tx && tx->numel == nx && rnl_st_to_real(f, tx, x) == RNL_OK;
    good = good && ty && ty->numel == ny && rnl_st_to_real(f, ty, y) == RNL_OK;
    good = good && tl && tl->dtype == RNL_ST_I64 && tl->numel == (size_t)B;
    CHECK(good, "%s: inputs, lengths or reference values missing or malformed", cs);
    long n_valid = 0;
    for (int b = 0; good && b < B; b++) {
        int64_t v;
        memcpy(&v, tl->data + 8 * b, 8);
        len[b] = (int)v;
        n_valid += len[b];
    }
    for (int i = 0; good && i < rnl_model_ntensors(m); i++) {
        const rnl_tensor *mt = rnl_model_tensor(m, i);
        const rnl_st_tensor *t = rnl_st_find(f, mt->name);
        int shape_ok = t && t->numel == mt->size && t->ndim == mt->ndim;
        CHECK(shape_ok, "%s: model tensor %s missing or of another size", cs, mt->name);
        good = shape_ok && rnl_st_to_real(f, t, p + mt->offset) == RNL_OK;
    }
    rnl_batch batch = {T, B, len, x, y};
    double nll = 0;
    if (good) {
        st = rnl_forward_backward(m, ws, p, &batch, g, (double)n_valid, NULL, &nll);
        CHECK(st == RNL_OK, "%s: rnl_forward_backward: %s", cs, rnl_last_error());
        good = st == RNL_OK;
    }
    if (good) {
        rnl_real cl[2] = {(rnl_real)(nll / n_valid), (rnl_real)nll};
        compare(cs, "loss", cl, loss, 1, RTOL, ATOL, &worst_pass);
        compare(cs, "nll_sum", cl + 1, nll_ref, 1, RTOL, ATOL, &worst_pass);
        const rnl_real *lg = rnl_workspace_logits(ws);
        size_t nv = 0;
        for (int t = 0; t < T; t++)
            for (int b = 0; b < B; b++)
                if (t < len[b])
                    for (size_t k = 0; k < W; k++, nv++) {
                        cv[nv] = lg[((size_t)t * B + b) * W + k];
                        rv[nv] = logits[((size_t)t * B + b) * W + k];
                    }
        compare(cs, "logits", cv, rv, nv, RTOL, ATOL, &worst_pass);
        char name[RNL_ST_MAX_NAME];
        for (int i = 0; i < rnl_model_ntensors(m); i++) {
            const rnl_tensor *mt = rnl_model_tensor(m, i);
            snprintf(name, sizeof name, "grad.%s", mt->name);
            double *r = ref_f64(f, cs, name, mt->size);
            if (r) compare(cs, name, g + mt->offset, r, mt->size, RTOL, ATOL, &worst_pass);
            free(r);
        }
        for (int k = 0; good && k < steps; k++) {
            memset(g, 0, np * sizeof *g);
            st = rnl_forward_backward(m, ws, p, &batch, g, (double)n_valid, NULL, &nll);
            CHECK(st == RNL_OK, "%s: step %d: %s", cs, k, rnl_last_error());
            good = st == RNL_OK;
            traj_c[k] = (rnl_real)(nll / n_valid);
            traj_c[steps + k] = (rnl_real)rnl_clip_global_norm(g, np, clip);
            rnl_rmsprop_step(&opt, p, g, ms, buf, np);
        }
        if (good) {
            compare(cs, "traj", traj_c, traj, steps, RTOL, ATOL, &worst_traj);
            compare(cs, "traj_gnorm", traj_c + steps, gnorm, steps, RTOL, ATOL, &worst_traj);
            for (int i = 0; i < rnl_model_ntensors(m); i++) {
                const rnl_tensor *mt = rnl_model_tensor(m, i);
                snprintf(name, sizeof name, "final.%s", mt->name);
                double *r = ref_f64(f, cs, name, mt->size);
                if (r) compare(cs, name, p + mt->offset, r, mt->size, RTOL, ATOL_FINAL, &worst_traj);
                free(r);
            }
        }
    }
    free(g), free(ms), free(buf), free(x), free(y), free(cv), free(traj_c), free(rv), free(len);
    free(loss), free(nll_ref), free(logits), free(traj), free(gnorm);
    rnl_workspace_free(ws);
    rnl_model_free(m);
    rnl_st_free(f);
}

int main(void) {
    for (int i = 0; i < NCASES; i++) run_case(CASES[i]);
    printf("mog reference: largest relative difference: loss/logits/gradients %.3e, trajectory/final "
           "parameters %.3e\n", worst_pass, worst_traj);
    return CHECK_DONE("mog_reference");
}
