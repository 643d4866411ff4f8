/* test_reference.c — the C library against PyTorch, both output layers.
 *
 * tests/ref/<case>.safetensors are written by scripts/make_refs.py in float64 from an
 * independent PyTorch implementation (the paper's units op by op, the pytorch variants by
 * torch.nn.GRU / torch.nn.LSTM themselves); tests/ref/mog_*.safetensors by
 * scripts/make_mog_refs.py for the discretised mixture-of-Gaussians head (the MoG NLL by
 * rnnlab_torch.mog_loss, checked against mpmath step by step; the grid from the file's
 * data_mean/data_std; mog_floor puts a log-std below the soft floor and one above the
 * ceiling at every step); tests/ref/softmax_*.safetensors by scripts/make_softmax_refs.py for
 * the categorical head (F.cross_entropy against one-hot targets; softmax_lstm_pytorch_wide_sparse
 * has logits up to ±37); tests/ref/gauss_head.safetensors by scripts/make_gauss_refs.py
 * for the continuous Gaussian-mixture head, row by row (run_gauss_head). The metadata says
 * which head a case uses. The
 * *_sparse cases have 0/1 inputs at 5 % density, as piano rolls do, so that the library takes
 * its sparse-input path for layer 0 (x·W^T over the listed non-zeros, X^T·dA by
 * rnl_gemm_sparse_at and a transposed add); every other case has N(0,1) inputs and takes the
 * dense products. Each case checks which path its inputs select, by the library's own rule
 * (src/core/model.c, forward: non-zeros of the valid rows * 4 < T*B*I). For every case this test loads the parameters
 * and the batch (garbage at padded steps), runs rnl_forward_backward once and compares
 *   loss (= nll_sum / n_valid), nll_sum, logits at the valid steps, every gradient tensor
 * with |c - r| <= 1e-4 |r| + 2e-7 (float32 library), then runs the reference's 10 training
 * steps (rnl_clip_global_norm + rnl_rmsprop_step from zeroed state) and compares
 *   traj[k] (loss before step k) and traj_gnorm[k] (norm before clipping): 1e-4 |r| + 2e-7,
 *   final.<name> (parameters after the steps):                            1e-4 |r| + 1e-4.
 * The final parameters get a larger absolute term because RMSprop divides each gradient
 * element by the root of its own running mean square: an element whose first gradients are
 * tiny (|g| ~ 1e-5 of the largest) turns float32 rounding into a visible change of a step.
 * Measured: PyTorch itself run in float32 ends 7e-6 away from its float64 run on
 * lstm_paper_l2 rnn.0.W_f[3] (parameters move by up to 1.5 over the 10 steps); the library
 * ends 2.2e-5 away while its gradients agree to 1e-9 absolute.
 * (PyTorch's clip_grad_norm_ scales by clip/(norm + 1e-6), the library by clip/norm: a
 * relative difference of 5e-6 at these norms, well inside the tolerance.)
 * Each tensor is one CHECK that reports its worst element; one line per tensor gives
 * case, tensor, max abs diff and max rel diff (|c - r| / max(|r|, 1e-6)).
 * A missing or malformed case file is a failure. Runs from the repository root. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "rnnlab.h"
#include "io/safetensors.h"
#include "io/util.h"
#include "run/options.h"
#include "run/update.h"

#define RTOL 1e-4
#define ATOL 2e-7
#define ATOL_FINAL 1e-4

static const char *const CASES[] = {
    "tanh_paper",   "gru_paper",     "gru_pytorch",   "lstm_paper",    "lstm_pytorch",
    "gru_paper_l2", "lstm_paper_l2", "tanh_paper_l2", "gru_paper_t1",  "lstm_paper_h1",
    "mog_gru_paper", "mog_lstm_paper", "mog_floor",
    "softmax_lstm_paper_sparse", "softmax_gru_pytorch_sparse", "softmax_tanh_paper_l2", "softmax_lstm_pytorch_wide_sparse",
    "tanh_paper_sparse", "gru_paper_sparse", "gru_pytorch_sparse", "lstm_paper_sparse", "lstm_pytorch_sparse",
};
#define NCASES ((int)(sizeof CASES / sizeof CASES[0]))

/* Largest rel diff of any element, for the summary: one pass (loss, logits, gradients) and
 * trajectory (traj, traj_gnorm, final parameters). */
static double worst_pass, worst_traj;

/* Compare n library values c with reference values r; one CHECK for the whole tensor. */
static void compare(const char *cs, const char *what, const rnl_real *c, const double *r,
                    size_t n, double rtol, double atol, double *worst_rel)
{
    double max_abs = 0, max_rel = 0, worst_excess = -1;
    size_t worst = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)c[i] - r[i]);
        if (!(d == d)) d = INFINITY; /* NaN fails */
        double rel = d / fmax(fabs(r[i]), 1e-6);
        if (d > max_abs) max_abs = d;
        if (rel > max_rel) max_rel = rel;
        double excess = d - (atol + rtol * fabs(r[i]));
        if (i == 0 || excess > worst_excess) worst_excess = excess, worst = i;
    }
    if (max_rel > *worst_rel) *worst_rel = max_rel;
    printf("%-14s %-22s max abs %.3e  max rel %.3e\n", cs, what, max_abs, max_rel);
    fflush(stdout); /* keep a FAIL line after its tensor's line */
    CHECK(n == 0 || worst_excess <= 0, "%s %s[%zu]: %.9g vs reference %.9g (tol %g rel + %g)",
          cs, what, worst, n ? (double)c[worst] : 0.0, n ? r[worst] : 0.0, rtol, atol);
}

/* A reference tensor as doubles (F64, the expected element count); NULL + CHECK otherwise. */
static double *ref_f64(const rnl_st_file *f, const char *cs, const char *name, size_t numel)
{
    const rnl_st_tensor *t = rnl_st_find(f, name);
    CHECK(t && t->dtype == RNL_ST_F64 && t->numel == numel,
          "%s: tensor %s missing, not F64 or not %zu elements", cs, name, numel);
    if (!t || t->dtype != RNL_ST_F64 || t->numel != numel) return NULL;
    double *v = malloc((numel ? numel : 1) * sizeof *v);
    if (v) memcpy(v, t->data, numel * sizeof *v); /* little-endian host (x86, arm64) */
    return v;
}

static long meta_long(const rnl_st_file *f, const char *key, long lo, long hi, int *ok)
{
    const char *s = rnl_st_meta(f, key);
    long v = 0;
    if (!s || rnl_parse_long(s, lo, hi, key, &v) != RNL_OK) {
        CHECK(0, "%s: metadata %s missing or bad (%s)", rnl_st_path(f), key, s ? s : "absent");
        *ok = 0;
    }
    return v;
}

static double meta_double(const rnl_st_file *f, const char *key, int *ok)
{
    const char *s = rnl_st_meta(f, key);
    double v = 0;
    if (!s || rnl_parse_double(s, 0, 1e9, key, &v) != RNL_OK) {
        CHECK(0, "%s: metadata %s missing or bad (%s)", rnl_st_path(f), key, s ? s : "absent");
        *ok = 0;
    }
    return v;
}

/* Fill the model's parameters from the file: every model tensor must be there with its
 * shape, and every rnn.* / out.* tensor of the file must be one of the model's. */
static int load_params(const rnl_st_file *f, const char *cs, rnl_model *m, rnl_real *p)
{
    int ok = 1;
    for (int i = 0; i < rnl_model_ntensors(m); i++) {
        const rnl_tensor *mt = rnl_model_tensor(m, i);
        const char *name = mt->name;
        const rnl_st_tensor *t = rnl_st_find(f, name);
        int shape_ok = t && t->ndim == mt->ndim && t->shape[0] == mt->shape[0] &&
                       (mt->ndim == 1 || t->shape[1] == mt->shape[1]);
        CHECK(shape_ok, "%s: model tensor %s missing from the file or of another shape", cs,
              name);
        if (!shape_ok || rnl_st_to_real(f, t, p + mt->offset) != RNL_OK) ok = 0;
    }
    for (int i = 0; i < rnl_st_count(f); i++) {
        const char *n = rnl_st_get(f, i)->name;
        if (strncmp(n, "rnn.", 4) == 0 || strncmp(n, "out.", 4) == 0)
            CHECK(rnl_model_find(m, n) != NULL, "%s: file tensor %s is not in the model", cs, n);
    }
    return ok;
}

/* tests/ref/<cs>.safetensors of ref_version 1, or NULL (counted as a failure). */
static rnl_st_file *open_case(const char *cs)
{
    char path[256];
    snprintf(path, sizeof path, "tests/ref/%s.safetensors", cs);
    rnl_st_file *f = NULL;
    rnl_status st = rnl_st_read(path, &f);
    CHECK(st == RNL_OK, "%s: cannot read the reference: %s", path, rnl_last_error());
    if (st != RNL_OK) return NULL;
    const char *ver = rnl_st_meta(f, "ref_version");
    CHECK(ver && strcmp(ver, "1") == 0, "%s: ref_version %s, expected 1", path, ver ? ver : "absent");
    return f;
}

static void run_case(const char *cs)
{
    rnl_st_file *f = open_case(cs);
    if (!f) return;
    rnl_status st;
    int ok = 1;
    rnl_config cfg = {0};
    const char *cell = rnl_st_meta(f, "cell"), *variant = rnl_st_meta(f, "variant");
    CHECK(cell && rnl_cell_parse(cell, &cfg.cell) == RNL_OK, "%s: bad cell", rnl_st_path(f));
    CHECK(variant && rnl_variant_parse(variant, &cfg.variant) == RNL_OK, "%s: bad variant", rnl_st_path(f));
    const char *head = rnl_st_meta(f, "head"); /* absent: Bernoulli */
    const int head_ok = rnl_head_parse(head ? head : "bernoulli", &cfg.head) == RNL_OK;
    CHECK(head_ok, "%s: bad head: %s", rnl_st_path(f), rnl_last_error());
    if (!head_ok) ok = 0;
    cfg.layers = (int)meta_long(f, "layers", 1, 16, &ok);
    cfg.input = (int)meta_long(f, "input", 1, 4096, &ok);
    cfg.hidden = (int)meta_long(f, "hidden", 1, 4096, &ok);
    cfg.output = (int)meta_long(f, "output", 1, 4096, &ok);
    /* K from the file (absent: 0); rnl_model_create refuses a K the head does not take. */
    if (rnl_st_meta(f, "mixtures")) cfg.mixtures = (int)meta_long(f, "mixtures", 0, 1024, &ok);
    int T = (int)meta_long(f, "T", 1, 100000, &ok), B = (int)meta_long(f, "B", 1, 100000, &ok);
    int steps = (int)meta_long(f, "steps", 1, 1000, &ok);
    rnl_rmsprop opt = {meta_double(f, "lr", &ok), meta_double(f, "decay", &ok),
                       meta_double(f, "momentum", &ok), meta_double(f, "eps", &ok), 0, 0, 0};
    double clip = meta_double(f, "clip", &ok);
    if (!ok || !cell || !variant) {
        rnl_st_free(f);
        return;
    }

    rnl_model *m = NULL;
    rnl_workspace *ws = NULL;
    st = rnl_model_create(&cfg, &m);
    CHECK(st == RNL_OK, "%s: rnl_model_create: %s", cs, rnl_last_error());
    if (st == RNL_OK && rnl_st_meta(f, "data_std")) { /* the MoG head's grid */
        rnl_model_metadata(m)->data_mean = meta_double(f, "data_mean", &ok);
        rnl_model_metadata(m)->data_std = meta_double(f, "data_std", &ok);
    }
    if (st == RNL_OK) st = rnl_workspace_create(&ws);
    if (st != RNL_OK) {
        rnl_model_free(m);
        rnl_st_free(f);
        return;
    }
    size_t np = rnl_model_nparams(m);
    int I = cfg.input, O = cfg.output, W = rnl_head_width(&cfg);
    size_t nx = (size_t)T * B * I, ny = (size_t)T * B * O, nl = (size_t)T * B * W;
    rnl_real *p = rnl_model_params(m);
    rnl_real *g = calloc(np, sizeof *g), *ms = calloc(np, sizeof *ms);
    rnl_real *buf = calloc(np, sizeof *buf), *x = malloc(nx * sizeof *x);
    rnl_real *y = malloc(ny * sizeof *y), *cv = malloc(nl * sizeof *cv);
    double *rv = malloc(nl * sizeof *rv);
    rnl_real *traj_r = malloc(2 * steps * sizeof *traj_r); /* [loss_k..., norm_k...] */
    int *len = malloc(B * sizeof *len);
    double *loss = ref_f64(f, cs, "loss", 1), *nll_ref = ref_f64(f, cs, "nll_sum", 1);
    double *logits = ref_f64(f, cs, "logits", nl), *traj = ref_f64(f, cs, "traj", steps);
    double *gnorm = ref_f64(f, cs, "traj_gnorm", steps);
    const rnl_st_tensor *tx = rnl_st_find(f, "x"), *ty = rnl_st_find(f, "y");
    const rnl_st_tensor *tl = rnl_st_find(f, "len");
    if (!g || !ms || !buf || !x || !y || !cv || !rv || !traj_r || !len) {
        CHECK(0, "%s: out of memory", cs);
        goto done;
    }
    CHECK(tx && tx->numel == nx && rnl_st_to_real(f, tx, x) == RNL_OK, "%s: bad x", cs);
    CHECK(ty && ty->numel == ny && rnl_st_to_real(f, ty, y) == RNL_OK, "%s: bad y", cs);
    CHECK(tl && tl->dtype == RNL_ST_I64 && tl->numel == (size_t)B, "%s: bad len", cs);
    if (!loss || !nll_ref || !logits || !traj || !gnorm || !tx || tx->numel != nx || !ty ||
        ty->numel != ny || !tl || tl->dtype != RNL_ST_I64 || tl->numel != (size_t)B)
        goto done;
    long n_valid = 0;
    for (int b = 0; b < B; b++) {
        int64_t v;
        memcpy(&v, tl->data + 8 * b, 8);
        len[b] = (int)v;
        n_valid += len[b];
    }
    size_t nnz = 0;
    for (int t = 0; t < T; t++)
        for (int b = 0; b < B; b++)
            for (int i = 0; t < len[b] && i < I; i++) nnz += x[((size_t)t * B + b) * I + i] != 0;
    const int sparse = nnz * 4 < nx, want_sparse = strstr(cs, "_sparse") != NULL;
    CHECK(sparse == want_sparse, "%s: %zu non-zero inputs of %zu take the %s path, not the %s one", cs, nnz, nx,
          sparse ? "sparse" : "dense", want_sparse ? "sparse" : "dense");
    if (!load_params(f, cs, m, p)) goto done;
    rnl_batch batch = {T, B, len, x, y};

    /* ---- one forward/backward ---- */
    double nll = 0;
    st = rnl_forward_backward(m, ws, p, &batch, g, (double)n_valid, NULL, &nll);
    CHECK(st == RNL_OK, "%s: rnl_forward_backward: %s", cs, rnl_last_error());
    if (st != RNL_OK) goto done;
    rnl_real cl[2] = {(rnl_real)(nll / n_valid), (rnl_real)nll};
    double rl[2] = {loss[0], nll_ref[0]};
    compare(cs, "loss", cl, rl, 1, RTOL, ATOL, &worst_pass);
    compare(cs, "nll_sum", cl + 1, rl + 1, 1, RTOL, ATOL, &worst_pass);
    const rnl_real *lg = rnl_workspace_logits(ws);
    size_t nv = 0;
    for (int t = 0; t < T; t++)
        for (int b = 0; b < B; b++)
            if (t < len[b])
                for (int k = 0; k < W; k++, nv++) {
                    size_t i = ((size_t)t * B + b) * W + k;
                    cv[nv] = lg[i];
                    rv[nv] = logits[i];
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

    /* ---- the training trajectory: clip + RMSprop from zeroed state ---- */
    for (int k = 0; k < steps; k++) {
        memset(g, 0, np * sizeof *g);
        st = rnl_forward_backward(m, ws, p, &batch, g, (double)n_valid, NULL, &nll);
        CHECK(st == RNL_OK, "%s: step %d: rnl_forward_backward: %s", cs, k, rnl_last_error());
        if (st != RNL_OK) goto done;
        traj_r[k] = (rnl_real)(nll / n_valid);
        traj_r[steps + k] = (rnl_real)rnl_clip_global_norm(g, np, clip);
        rnl_rmsprop_step(&opt, p, g, ms, buf, np);
    }
    compare(cs, "traj", traj_r, traj, steps, RTOL, ATOL, &worst_traj);
    compare(cs, "traj_gnorm", traj_r + steps, gnorm, steps, RTOL, ATOL, &worst_traj);
    for (int i = 0; i < rnl_model_ntensors(m); i++) {
        const rnl_tensor *mt = rnl_model_tensor(m, i);
        snprintf(name, sizeof name, "final.%s", mt->name);
        double *r = ref_f64(f, cs, name, mt->size);
        if (r) compare(cs, name, p + mt->offset, r, mt->size, RTOL, ATOL_FINAL, &worst_traj);
        free(r);
    }

done:
    free(g), free(ms), free(buf), free(x), free(y), free(cv), free(rv);
    free(traj_r), free(len), free(loss), free(nll_ref), free(logits), free(traj), free(gnorm);
    rnl_workspace_free(ws);
    rnl_model_free(m);
    rnl_st_free(f);
}

/* ---- the authors' released optimiser (tests/ref/authors_*.safetensors) -------------------
 * scripts/make_authors_refs.py writes, from the equations of jych/librnn's RMSPropMomentum
 * (float64, PyTorch autograd for the gradient of the summed NLL), the parameters after each of
 * 6 updates with a learning rate falling step by step, the step cap active in some updates
 * and the RMS floor on some elements. Here: the options `--protocol authors` resolves to (with
 * the weight noise off) drive rnl_update exactly as the training loop does, and after update k
 * every tensor must equal after.<k>.<name> within 1e-4 |r| + 1e-5. The same updates with
 * --rmsprop torch (lr outside the velocity) must not: the learning rate's place is tested. */
static const char *const AUTHORS_CASES[] = {"authors_gru_paper", "authors_lstm_paper", "authors_tanh_paper"};
#define NAUTHORS ((int)(sizeof AUTHORS_CASES / sizeof *AUTHORS_CASES))
#define ATOL_AUTHORS 1e-5

/* Replay the file's updates from its initial parameters with velocity form vel; compare after
 * each update (compare != 0) or return the largest deviation from the last update's tensors. */
static double authors_replay(const rnl_st_file *f, const char *cs, const rnl_train_opts *o, int vel, int steps,
                             int compare_each)
{
    rnl_config cfg = {0};
    int ok = 1;
    double dev = INFINITY;
    if (rnl_cell_parse(rnl_st_meta(f, "cell") ? rnl_st_meta(f, "cell") : "", &cfg.cell) ||
        rnl_variant_parse(rnl_st_meta(f, "variant") ? rnl_st_meta(f, "variant") : "", &cfg.variant)) {
        CHECK(0, "%s: bad cell or variant", cs);
        return dev;
    }
    cfg.head = RNL_HEAD_BERNOULLI;
    cfg.layers = (int)meta_long(f, "layers", 1, 16, &ok);
    cfg.input = (int)meta_long(f, "input", 1, 4096, &ok);
    cfg.hidden = (int)meta_long(f, "hidden", 1, 4096, &ok);
    cfg.output = (int)meta_long(f, "output", 1, 4096, &ok);
    const int T = (int)meta_long(f, "T", 1, 100000, &ok), B = (int)meta_long(f, "B", 1, 64, &ok);
    rnl_model *m = NULL;
    rnl_workspace *ws = NULL;
    if (!ok || rnl_model_create(&cfg, &m) || rnl_workspace_create(&ws)) {
        CHECK(0, "%s: cannot build the model: %s", cs, rnl_last_error());
        rnl_model_free(m);
        return dev;
    }
    const size_t np = rnl_model_nparams(m), nx = (size_t)T * B * cfg.input, ny = (size_t)T * B * cfg.output;
    rnl_real *p = rnl_model_params(m), *x = malloc(nx * sizeof *x), *y = malloc(ny * sizeof *y);
    rnl_real *noisy = calloc(np, sizeof *noisy), *grad = calloc(np, sizeof *grad);
    rnl_real *ms = calloc(np, sizeof *ms), *buf = calloc(np, sizeof *buf);
    double *lr = ref_f64(f, cs, "lr", (size_t)steps);
    const rnl_st_tensor *tx = rnl_st_find(f, "x"), *ty = rnl_st_find(f, "y"), *tl = rnl_st_find(f, "len");
    int len[64];
    if (!x || !y || !noisy || !grad || !ms || !buf || !lr || !tx || tx->numel != nx || !ty || ty->numel != ny ||
        !tl || tl->dtype != RNL_ST_I64 || tl->numel != (size_t)B || rnl_st_to_real(f, tx, x) ||
        rnl_st_to_real(f, ty, y) || !load_params(f, cs, m, p)) {
        CHECK(0, "%s: malformed case file", cs);
        goto done;
    }
    for (int b = 0; b < B; b++) {
        int64_t v;
        memcpy(&v, tl->data + 8 * b, 8);
        len[b] = (int)v;
    }
    const rnl_batch batch = {T, B, len, x, y};
    rnl_rng rng;
    rnl_rng_seed(&rng, 1);
    for (int k = 0; k < steps; k++) {
        /* --loss-weight sum: the summed NLL, divided by 1 */
        const rnl_update_ctx u = {{lr[k], o->decay, o->momentum, o->eps, o->rms_floor, o->step_clip, vel},
                                  o->clip, o->weight_noise, o->dropout, noisy, grad, ms, buf};
        int finite = 0;
        rnl_status st = rnl_update(m, ws, &rng, &u, &batch, 1.0, NULL, 0, &finite);
        CHECK(st == RNL_OK && finite, "%s: update %d: %s", cs, k + 1, st ? rnl_last_error() : "not finite");
        if (st || !finite) goto done;
        if (!compare_each && k + 1 < steps) continue;
        dev = 0;
        for (int i = 0; i < rnl_model_ntensors(m); i++) {
            const rnl_tensor *mt = rnl_model_tensor(m, i);
            char name[RNL_ST_MAX_NAME], what[RNL_ST_MAX_NAME + 16];
            snprintf(name, sizeof name, "after.%d.%s", k + 1, mt->name);
            double *r = ref_f64(f, cs, name, mt->size);
            if (!r) continue;
            snprintf(what, sizeof what, "%d:%s", k + 1, mt->name);
            if (compare_each) compare(cs, what, p + mt->offset, r, mt->size, RTOL, ATOL_AUTHORS, &worst_traj);
            for (size_t j = 0; j < mt->size; j++) dev = fmax(dev, fabs((double)p[mt->offset + j] - r[j]));
            free(r);
        }
    }
done:
    free(x), free(y), free(noisy), free(grad), free(ms), free(buf), free(lr);
    rnl_workspace_free(ws);
    rnl_model_free(m);
    return dev;
}

static void run_authors_case(const char *cs)
{
    rnl_st_file *f = open_case(cs);
    if (!f) return;
    int ok = 1;
    const int steps = (int)meta_long(f, "steps", 1, 100, &ok);
    const double decay = meta_double(f, "decay", &ok), mom = meta_double(f, "momentum", &ok);
    const double floor = meta_double(f, "rms_floor", &ok), cap = meta_double(f, "step_clip", &ok);
    /* What --protocol authors gives a run that sets nothing else. */
    rnl_train_opts o;
    rnl_train_defaults(&o);
    snprintf(o.protocol, sizeof o.protocol, "authors");
    CHECK(rnl_train_options_resolve(&o) == RNL_OK, "%s: resolve: %s", cs, rnl_last_error());
    CHECK(o.rms_floor == floor && o.step_clip == cap && o.clip == 0 && o.decay == decay && o.momentum == mom &&
          strcmp(o.rmsprop, "authors") == 0 && strcmp(o.loss_weight, "sum") == 0 && o.batch == 1,
          "%s: --protocol authors gives floor %g, step clip %g, clip %g, decay %g, momentum %g, rmsprop %s, loss %s, "
          "batch %d", cs, o.rms_floor, o.step_clip, o.clip, o.decay, o.momentum, o.rmsprop, o.loss_weight, o.batch);
    o.weight_noise = 0; /* the reference is noiseless */
    if (ok) {
        authors_replay(f, cs, &o, 1, steps, 1);
        const double torch_dev = authors_replay(f, cs, &o, 0, steps, 0);
        CHECK(torch_dev > 100 * ATOL_AUTHORS, "%s: lr outside the velocity ends only %.3g from the reference: the "
              "trajectory does not test the learning rate's place", cs, torch_dev);
    }
    rnl_st_free(f);
}

/* tests/ref/gauss_head.safetensors (scripts/make_gauss_refs.py): the continuous
 * Gaussian-mixture head row by row against torch.distributions' MixtureSameFamily and
 * autograd (float32 logits and targets, as rounded by the script; the NLL in double: 1e-9
 * relative; the gradient in float: RTOL, ATOL, relative to the row's largest |grad| as
 * well, since a far miss's gradient reaches 1e8). Rows below the std floor and above the
 * ceiling included. */
static void run_gauss_head(void)
{
    const char *path = "tests/ref/gauss_head.safetensors", *cs = "gauss_head";
    rnl_st_file *f = NULL;
    rnl_status st = rnl_st_read(path, &f);
    CHECK(st == RNL_OK, "%s: %s", path, rnl_last_error());
    if (st) return;
    int ok = 1;
    const int K = (int)meta_long(f, "K", 1, 64, &ok), O = (int)meta_long(f, "O", 1, 64, &ok);
    const rnl_st_tensor *tn = rnl_st_find(f, "nll");
    const size_t N = tn ? tn->numel : 0, W = (size_t)K * (1 + 2 * O);
    double *lg = ok ? ref_f64(f, cs, "logits", N * W) : NULL, *y = ok ? ref_f64(f, cs, "y", N * O) : NULL;
    double *nll = ok ? ref_f64(f, cs, "nll", N) : NULL, *grad = ok ? ref_f64(f, cs, "grad", N * W) : NULL;
    rnl_real *a = malloc(sizeof *a * (W + 1)), *yr = malloc(sizeof *yr * ((size_t)O + 1));
    rnl_real *da = malloc(sizeof *da * (W + 1));
    CHECK(N > 0 && a && yr && da, "%s: no rows or out of memory", cs);
    size_t bad_nll = 0, bad_grad = 0;
    double worst = 0;
    for (size_t n = 0; lg && y && nll && grad && a && yr && da && n < N; n++) {
        for (size_t j = 0; j < W; j++) a[j] = (rnl_real)lg[n * W + j];
        for (int d = 0; d < O; d++) yr[d] = (rnl_real)y[n * O + d];
        const double v = rnl_gauss_nll(a, yr, O, K, da);
        const double rel = fabs(v - nll[n]) / fmax(fabs(nll[n]), 1.0);
        worst = fmax(worst, rel);
        bad_nll += !(rel <= 1e-9);
        double gmax = 0;
        for (size_t j = 0; j < W; j++) gmax = fmax(gmax, fabs(grad[n * W + j]));
        for (size_t j = 0; j < W; j++) {
            const double r = grad[n * W + j], e = fabs((double)da[j] - r);
            bad_grad += !(e <= ATOL + RTOL * fmax(fabs(r), 1e-3 * gmax));
        }
    }
    printf("%-14s %-22s %zu rows, NLL max rel %.3e, %zu gradient elements off\n", cs, "nll, grad", N, worst, bad_grad);
    CHECK(bad_nll == 0 && bad_grad == 0 && N > 0, "%s: %zu NLLs and %zu gradient elements differ from PyTorch", cs,
          bad_nll, bad_grad);
    free(lg);
    free(y);
    free(nll);
    free(grad);
    free(a);
    free(yr);
    free(da);
    rnl_st_free(f);
}

int main(void)
{
    for (int i = 0; i < NCASES; i++) run_case(CASES[i]);
    run_gauss_head();
    for (int i = 0; i < NAUTHORS; i++) run_authors_case(AUTHORS_CASES[i]);
    printf("reference: largest relative difference: loss/logits/gradients %.3e, "
           "trajectory/final parameters %.3e\n", worst_pass, worst_traj);
    return CHECK_DONE("reference");
}
