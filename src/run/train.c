/* train.c — the paper's training protocol on piano rolls: RMSProp with momentum, global
 * gradient-norm clipping, weight noise on W and U drawn once per update, early stopping on
 * validation NLL with the best parameters kept, and an atomic resume state written after
 * every epoch so that a killed run continues bit-identically. */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "data/dataroot.h"
#include "io/safetensors.h"
#include "run/train.h"
#include "io/util.h"

/* ================================================================ options =========== */

int rnl_default_hidden(rnl_cell c, int speech) {
    if (speech) return c == RNL_CELL_TANH ? 400 : c == RNL_CELL_GRU ? 227 : 195;
    return c == RNL_CELL_TANH ? 100 : c == RNL_CELL_GRU ? 46 : 36;
}

void rnl_train_defaults(rnl_train_opts *o) {
    memset(o, 0, sizeof *o);
    o->cell = RNL_CELL_GRU;
    o->variant = RNL_VARIANT_PAPER;
    o->layers = 1;
    o->hidden = 0;
    o->lr = 1e-3;
    o->batch = 1;
    o->max_epochs = 200;
    o->patience = 20;
    o->weight_noise = 0.075;
    o->clip = 1.0;
    o->decay = 0.95;
    o->momentum = 0.9;
    o->eps = 1e-8;
    o->forget_bias = 0.0;
    o->seed = 1;
    o->threads = 1;
    o->bptt = 0;
    o->lr_decay_epochs = 0;
    o->lr_final = 0.01;
}

/* Learning rate of epoch e (0-based): constant, or decayed linearly from lr to
 * lr_final*lr over lr_decay_epochs epochs and constant after (the authors' code: to 1 %
 * over 500 epochs). */
static double lr_at(const rnl_train_opts *o, int e) {
    if (o->lr_decay_epochs <= 0) return o->lr;
    double f = e >= o->lr_decay_epochs ? 1.0 : (double)e / o->lr_decay_epochs;
    return o->lr * (1.0 - (1.0 - o->lr_final) * f);
}

/* ================================================================ batches =========== */

typedef struct {
    rnl_real *x, *y;  /* [T, B, dim] */
    int *len;         /* [B] */
    int *order;       /* [B] sequence indices, longest first */
    size_t cap_xy;    /* elements allocated in x and y */
    int cap_b;
} batcher;

static void batcher_free(batcher *bb) {
    free(bb->x);
    free(bb->y);
    free(bb->len);
    free(bb->order);
}

/* A batch of sequences seqs[0..n) of a split, sorted longest first (ties by index, so
 * batches are deterministic), padded with zeros. */
static rnl_status make_batch(batcher *bb, const rnl_dataset *d, int split, const int *seqs, int n,
                             rnl_batch *out, double *frames) {
    if (n > bb->cap_b) {
        int *l = realloc(bb->len, sizeof(int) * n), *o = realloc(bb->order, sizeof(int) * n);
        if (l) bb->len = l;
        if (o) bb->order = o;
        if (!l || !o) return rnl_fail(RNL_ERR_NOMEM, "out of memory for a batch");
        bb->cap_b = n;
    }
    for (int i = 0; i < n; i++) {
        int v = seqs[i], j = i, lv = d->steps(d, split, v);
        bb->len[i] = lv;
        while (j > 0 && (bb->len[j - 1] < lv || (bb->len[j - 1] == lv && bb->order[j - 1] > v))) {
            bb->order[j] = bb->order[j - 1];
            bb->len[j] = bb->len[j - 1];
            j--;
        }
        bb->order[j] = v;
        bb->len[j] = lv;
    }
    const int T = n > 0 ? bb->len[0] : 0;
    size_t nx = (size_t)T * n * d->input, ny = (size_t)T * n * d->output;
    size_t need = (nx > ny ? nx : ny) + 1;
    if (need > bb->cap_xy) {
        rnl_real *x = realloc(bb->x, sizeof(rnl_real) * need), *y = realloc(bb->y, sizeof(rnl_real) * need);
        if (x) bb->x = x;
        if (y) bb->y = y;
        if (!x || !y) return rnl_fail(RNL_ERR_NOMEM, "out of memory for a batch");
        bb->cap_xy = need;
    }
    memset(bb->x, 0, sizeof(rnl_real) * nx);
    memset(bb->y, 0, sizeof(rnl_real) * ny);
    *frames = 0;
    for (int b = 0; b < n; b++) {
        *frames += bb->len[b];
        d->fill(d, split, bb->order[b], b, n, bb->x, bb->y);
    }
    out->T = T;
    out->B = n;
    out->len = bb->len;
    out->x = bb->x;
    out->y = bb->y;
    return RNL_OK;
}

/* ================================================================ evaluation ======== */

typedef struct {
    int len, idx; /* steps and index of a sequence */
} len_idx;
static int by_len_desc(const void *a, const void *b) {
    const len_idx *p = a, *q = b;
    return p->len != q->len ? (q->len > p->len ? 1 : -1) : (p->idx > q->idx) - (p->idx < q->idx);
}

rnl_status rnl_eval_split(const rnl_model *m, rnl_workspace *ws, const rnl_real *params,
                          const rnl_dataset *d, int split, double *nll_sum, double *frames) {
    *nll_sum = 0;
    *frames = 0;
    const int n = d->nseq[split];
    if (n == 0) return RNL_OK;
    const rnl_config *c = rnl_model_config(m);
    if (d->input != c->input || d->output != c->output || d->head != c->head)
        return rnl_fail(RNL_ERR_DATA, "the model (%d inputs, %d outputs, %s head) does not fit %s (%d, %d, %s)",
                        c->input, c->output, rnl_head_name(c->head), d->path, d->input, d->output,
                        rnl_head_name(d->head));
    len_idx *li = malloc(sizeof *li * n);
    int *order = malloc(sizeof(int) * n);
    if (!li || !order) {
        free(li);
        free(order);
        return rnl_fail(RNL_ERR_NOMEM, "out of memory in evaluation");
    }
    for (int i = 0; i < n; i++) li[i] = (len_idx){d->steps(d, split, i), i};
    qsort(li, n, sizeof *li, by_len_desc);
    for (int i = 0; i < n; i++) order[i] = li[i].idx;
    free(li);
    batcher bb = {0};
    rnl_status st = RNL_OK;
    const int chunk = 16;
    rnl_workspace_hold(ws, 1); /* params do not change during the evaluation */
    for (int i = 0; i < n && !st; i += chunk) {
        int k = n - i < chunk ? n - i : chunk;
        rnl_batch bt;
        double fr, nll = 0;
        st = make_batch(&bb, d, split, order + i, k, &bt, &fr);
        if (!st && fr > 0) st = rnl_forward_backward(m, ws, params, &bt, NULL, 1.0, NULL, &nll);
        *nll_sum += nll;
        *frames += fr;
    }
    rnl_workspace_hold(ws, 0);
    batcher_free(&bb);
    free(order);
    return st;
}

/* ================================================================ run state ========= */

typedef struct {
    rnl_train_opts o;
    rnl_dataset *data;
    rnl_model *m;
    rnl_workspace *ws;
    rnl_real *noisy, *grad, *ms, *buf, *best; /* [nparams] each */
    rnl_rng rng;
    int epoch;           /* epochs completed */
    long updates;
    double seconds;      /* training wall time so far (previous sessions included) */
    double best_valid, best_train;
    int best_epoch, bad;
    int done;
    rnl_buf metrics;     /* metrics.csv contents */
    long fault_update;   /* test hook: poison gradients from this update on (0 = never) */
    long fault_count;    /* ... for this many updates */
    long skipped;        /* updates skipped because their gradient was not finite */
    int streak;          /* consecutive such updates (10 in a row = diverged) */
    double lr_now;       /* this epoch's learning rate (schedule) */
} run;

static void run_free(run *r) {
    rnl_dataset_free(r->data);
    rnl_model_free(r->m);
    rnl_workspace_free(r->ws);
    free(r->noisy);
    free(r->grad);
    free(r->ms);
    free(r->buf);
    free(r->best);
    rnl_buf_free(&r->metrics);
}

static rnl_status out_path(const run *r, const char *name, char *p, size_t n) {
    return rnl_path_join(p, n, r->o.out, name);
}

/* Options as metadata strings: written into the state (for resume) and summary.json. */
#define OPT_FIELDS(X)                                                                     \
    X("lr", "%.17g", o->lr, rnl_parse_double, double, 0, 1e6)                             \
    X("batch", "%d", o->batch, rnl_parse_long, long, 1, 1000000)                          \
    X("max_epochs", "%d", o->max_epochs, rnl_parse_long, long, 0, 100000000)              \
    X("patience", "%d", o->patience, rnl_parse_long, long, 1, 100000000)                  \
    X("weight_noise", "%.17g", o->weight_noise, rnl_parse_double, double, 0, 1e6)         \
    X("clip", "%.17g", o->clip, rnl_parse_double, double, 0, 1e30)                        \
    X("decay", "%.17g", o->decay, rnl_parse_double, double, 0, 1)                         \
    X("momentum", "%.17g", o->momentum, rnl_parse_double, double, 0, 1)                   \
    X("eps", "%.17g", o->eps, rnl_parse_double, double, 0, 1)                             \
    X("forget_bias", "%.17g", o->forget_bias, rnl_parse_double, double, -1e6, 1e6)        \
    X("threads", "%d", o->threads, rnl_parse_long, long, 1, 1024)                         \
    X("bptt", "%d", o->bptt, rnl_parse_long, long, 0, 100000000)                          \
    X("layers", "%d", o->layers, rnl_parse_long, long, 1, 16)                             \
    X("hidden", "%d", o->hidden, rnl_parse_long, long, 1, 65536)                          \
    X("lr_decay_epochs", "%d", o->lr_decay_epochs, rnl_parse_long, long, 0, 100000000)    \
    X("lr_final", "%.17g", o->lr_final, rnl_parse_double, double, 0, 1)

static rnl_status save_state(run *r) {
    rnl_st_writer *w = NULL;
    rnl_status st = rnl_st_writer_create(&w);
    if (st) return st;
    const size_t n = rnl_model_nparams(r->m);
    int64_t shape[1] = {(int64_t)n};
    const rnl_train_opts *o = &r->o;
    char v[128];
    st = rnl_st_add_real(w, "params", 1, shape, rnl_model_params(r->m));
    if (!st) st = rnl_st_add_real(w, "ms", 1, shape, r->ms);
    if (!st) st = rnl_st_add_real(w, "buf", 1, shape, r->buf);
    if (!st) st = rnl_st_add_real(w, "best", 1, shape, r->best);
#define PUT(key, fmt, val)                                   \
    if (!st) {                                               \
        snprintf(v, sizeof v, fmt, val);                     \
        st = rnl_st_add_meta(w, key, v);                     \
    }
#define PUT_OPT(key, fmt, field, parse, type, lo, hi) PUT("opt." key, fmt, field)
    OPT_FIELDS(PUT_OPT)
    PUT("opt.cell", "%s", rnl_cell_name(o->cell))
    PUT("opt.variant", "%s", rnl_variant_name(o->variant))
    PUT("opt.seed", "%llu", (unsigned long long)o->seed)
    PUT("epoch", "%d", r->epoch)
    PUT("updates", "%ld", r->updates)
    PUT("seconds", "%.17g", r->seconds)
    PUT("best_valid", "%.17g", r->best_valid)
    PUT("best_train", "%.17g", r->best_train)
    PUT("best_epoch", "%d", r->best_epoch)
    PUT("bad", "%d", r->bad)
    PUT("done", "%d", r->done)
    PUT("skipped", "%ld", r->skipped)
    PUT("streak", "%d", r->streak)
    for (int i = 0; i < 4; i++) {
        char key[8];
        snprintf(key, sizeof key, "rng%d", i);
        PUT(key, "%llu", (unsigned long long)r->rng.s[i])
    }
#undef PUT_OPT
#undef PUT
    if (!st) st = rnl_st_add_meta(w, "opt.data", o->data);
    if (!st) st = rnl_st_add_meta(w, "opt.data_root", o->data_root);
    if (!st) st = rnl_st_add_meta(w, "opt.split_scheme", o->split_scheme);
    if (!st) st = rnl_st_add_meta(w, "metrics", r->metrics.p ? r->metrics.p : "");
    char path[4200];
    if (!st) st = out_path(r, "state.safetensors", path, sizeof path);
    if (!st) st = rnl_st_write(w, path);
    rnl_st_writer_free(w);
    return st;
}

static rnl_status meta_long(const rnl_st_file *f, const char *key, long lo, long hi, long *out) {
    const char *s = rnl_st_meta(f, key);
    if (!s) return rnl_fail(RNL_ERR_DATA, "%s: resume state lacks '%s'", rnl_st_path(f), key);
    return rnl_parse_long(s, lo, hi, key, out);
}
static rnl_status meta_double(const rnl_st_file *f, const char *key, double *out) {
    const char *s = rnl_st_meta(f, key);
    if (!s) return rnl_fail(RNL_ERR_DATA, "%s: resume state lacks '%s'", rnl_st_path(f), key);
    /* Before the first epoch ends, best_valid is +inf and best_train NaN (no best yet). */
    if (strcmp(s, "inf") == 0 || strcmp(s, "nan") == 0) {
        *out = s[0] == 'i' ? INFINITY : NAN;
        return RNL_OK;
    }
    return rnl_parse_double(s, -1e308, 1e308, key, out);
}
static rnl_status meta_u64(const rnl_st_file *f, const char *key, uint64_t *out) {
    const char *s = rnl_st_meta(f, key);
    char *end;
    if (!s || !*s) return rnl_fail(RNL_ERR_DATA, "%s: resume state lacks '%s'", rnl_st_path(f), key);
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || s[0] == '-')
        return rnl_fail(RNL_ERR_DATA, "%s: '%s' is not an unsigned integer", rnl_st_path(f), key);
    *out = v;
    return RNL_OK;
}

/* Read the options of a run back from its state file. */
static rnl_status load_opts(const rnl_st_file *f, rnl_train_opts *o) {
    rnl_status st = RNL_OK;
    long lv;
    double dv;
    (void)lv;
    (void)dv;
#define GET_OPT(key, fmt, field, parse, type, lo, hi)                                        \
    if (!st) {                                                                               \
        const char *s_ = rnl_st_meta(f, "opt." key);                                         \
        type v_;                                                                             \
        if (!s_) st = rnl_fail(RNL_ERR_DATA, "%s: resume state lacks 'opt.%s'", rnl_st_path(f), key); \
        else if (!(st = parse(s_, lo, hi, "opt." key, &v_))) field = v_;                     \
    }
    OPT_FIELDS(GET_OPT)
#undef GET_OPT
    if (st) return st;
    const char *cell = rnl_st_meta(f, "opt.cell"), *var = rnl_st_meta(f, "opt.variant");
    const char *data = rnl_st_meta(f, "opt.data"), *root = rnl_st_meta(f, "opt.data_root");
    if (!cell || !var || !data || !root)
        return rnl_fail(RNL_ERR_DATA, "%s: resume state lacks the cell, variant or data", rnl_st_path(f));
    if ((st = rnl_cell_parse(cell, &o->cell)) || (st = rnl_variant_parse(var, &o->variant))) return st;
    const char *scheme = rnl_st_meta(f, "opt.split_scheme");
    snprintf(o->data, sizeof o->data, "%s", data);
    snprintf(o->data_root, sizeof o->data_root, "%s", root);
    snprintf(o->split_scheme, sizeof o->split_scheme, "%s", scheme ? scheme : "");
    return meta_u64(f, "opt.seed", &o->seed);
}

static rnl_status copy_tensor(const rnl_st_file *f, const char *name, rnl_real *dst, size_t n) {
    const rnl_st_tensor *t = rnl_st_find(f, name);
    if (!t || t->numel != n)
        return rnl_fail(RNL_ERR_DATA, "%s: resume state has no tensor '%s' of %zu values", rnl_st_path(f), name, n);
    return rnl_st_to_real(f, t, dst);
}

/* ================================================================ files ============= */

static rnl_status write_summary(run *r, const char *status, const char *error, double test_nll,
                                double test_frames) {
    const rnl_config *c = rnl_model_config(r->m);
    const rnl_train_opts *o = &r->o;
    rnl_buf b = {0};
    rnl_buf_printf(&b, "{\n  \"version\": \"%s\",\n  \"status\": ", RNL_VERSION);
    rnl_buf_json_string(&b, status);
    if (error) {
        rnl_buf_printf(&b, ",\n  \"error\": ");
        rnl_buf_json_string(&b, error);
    }
    rnl_buf_printf(&b, ",\n  \"data\": ");
    rnl_buf_json_string(&b, o->data);
    rnl_buf_printf(&b, ",\n  \"data_path\": ");
    rnl_buf_json_string(&b, r->data->path);
    rnl_buf_printf(&b, ",\n  \"cell\": \"%s\",\n  \"variant\": \"%s\",\n  \"layers\": %d,\n"
                       "  \"hidden\": %d,\n  \"input\": %d,\n  \"output\": %d,\n  \"head\": \"%s\",\n",
                   rnl_cell_name(c->cell), rnl_variant_name(c->variant), c->layers, c->hidden,
                   c->input, c->output, rnl_head_name(c->head));
    rnl_buf_printf(&b, "  \"params_recurrent\": %zu,\n  \"params_total\": %zu,\n",
                   rnl_model_nparams_recurrent(r->m), rnl_model_nparams(r->m));
    rnl_buf_printf(&b, "  \"best_epoch\": %d,\n  \"epochs\": %d,\n  \"updates\": %ld,\n  \"skipped_updates\": %ld,\n",
                   r->best_epoch, r->epoch, r->updates, r->skipped);
    rnl_buf_printf(&b, "  \"train_nll\": ");
    rnl_buf_json_number(&b, r->best_train);
    rnl_buf_printf(&b, ",\n  \"valid_nll\": ");
    rnl_buf_json_number(&b, r->best_valid);
    rnl_buf_printf(&b, ",\n  \"test_nll\": ");
    rnl_buf_json_number(&b, test_nll);
    rnl_buf_printf(&b, ",\n  \"test_frames\": %.0f,\n  \"seconds\": ", test_frames);
    rnl_buf_json_number(&b, r->seconds);
    rnl_buf_printf(&b, ",\n  \"seed\": %llu,\n  \"config\": {", (unsigned long long)o->seed);
    rnl_buf_printf(&b, "\"cell\": \"%s\", \"variant\": \"%s\", \"seed\": %llu, \"data_root\": ",
                   rnl_cell_name(o->cell), rnl_variant_name(o->variant), (unsigned long long)o->seed);
    rnl_buf_json_string(&b, o->data_root);
    rnl_buf_printf(&b, ", \"split_scheme\": ");
    rnl_buf_json_string(&b, o->split_scheme[0] ? o->split_scheme : "index");
#define JSON_OPT(key, fmt, field, parse, type, lo, hi) \
    rnl_buf_printf(&b, ", \"" key "\": ");             \
    rnl_buf_json_number(&b, (double)(field));
    OPT_FIELDS(JSON_OPT)
#undef JSON_OPT
    rnl_buf_printf(&b, "}\n}\n");
    char path[4200];
    rnl_status st = b.oom ? rnl_fail(RNL_ERR_NOMEM, "out of memory writing summary.json")
                          : out_path(r, "summary.json", path, sizeof path);
    if (!st) st = rnl_write_file_atomic(path, b.p, b.len);
    rnl_buf_free(&b);
    return st;
}

static rnl_status save_best_model(run *r) {
    char path[4200];
    rnl_status st = out_path(r, "model.safetensors", path, sizeof path);
    if (st) return st;
    rnl_real *p = rnl_model_params(r->m);
    size_t n = rnl_model_nparams(r->m);
    /* The model file holds the best parameters: swap them in for the write. */
    rnl_real *tmp = malloc(sizeof(rnl_real) * n);
    if (!tmp) return rnl_fail(RNL_ERR_NOMEM, "out of memory saving the model");
    memcpy(tmp, p, sizeof(rnl_real) * n);
    memcpy(p, r->best, sizeof(rnl_real) * n);
    char ep[32];
    snprintf(ep, sizeof ep, "%d", r->best_epoch);
    const char *extra[] = {"epoch", ep, "data", r->o.data};
    st = rnl_model_save(r->m, path, extra, 2);
    memcpy(p, tmp, sizeof(rnl_real) * n);
    free(tmp);
    return st;
}

/* ================================================================ the loop ========== */

static rnl_status setup(run *r) {
    rnl_train_opts *o = &r->o;
    rnl_status st = rnl_dataset_open(o->data, o->data_root[0] ? o->data_root : NULL,
                                     o->split_scheme[0] ? o->split_scheme : NULL, &r->data);
    if (st) return st;
    if (o->hidden == 0) o->hidden = rnl_default_hidden(o->cell, strcmp(r->data->kind, "speech") == 0);
    rnl_config c = {o->cell, o->variant, r->data->head, o->layers,
                    r->data->input, o->hidden, r->data->output, r->data->mixtures};
    if ((st = rnl_model_create(&c, &r->m)) || (st = rnl_workspace_create(&r->ws))) return st;
    rnl_model_meta *meta = rnl_model_metadata(r->m);
    meta->data_mean = r->data->mean;
    meta->data_std = r->data->std;
    snprintf(meta->data_name, sizeof meta->data_name, "%.63s", o->data);
    size_t n = rnl_model_nparams(r->m);
    r->noisy = rnl_alloc_reals(n);
    r->grad = rnl_alloc_reals(n);
    r->ms = rnl_alloc_reals(n);
    r->buf = rnl_alloc_reals(n);
    r->best = rnl_alloc_reals(n);
    if (!r->noisy || !r->grad || !r->ms || !r->buf || !r->best)
        return rnl_fail(RNL_ERR_NOMEM, "out of memory for %zu parameters", n);
    rnl_set_threads(o->threads);
    /* Fault injection for the tests (docs/ERRORS.md): RNNLAB_FAULT_NAN_UPDATE=K makes the
     * gradient of update K non-finite, to exercise the divergence path. */
    const char *fault = getenv("RNNLAB_FAULT_NAN_UPDATE"), *count = getenv("RNNLAB_FAULT_NAN_COUNT");
    r->fault_count = LONG_MAX / 2;
    if (fault && (st = rnl_parse_long(fault, 1, LONG_MAX / 2, "RNNLAB_FAULT_NAN_UPDATE", &r->fault_update))) return st;
    if (count && (st = rnl_parse_long(count, 1, LONG_MAX / 2, "RNNLAB_FAULT_NAN_COUNT", &r->fault_count))) return st;
    return RNL_OK;
}

/* One line on a terminal, rewritten in place: epoch, batch, steps/s, time left. */
static void progress(const run *r, int done, int total, double steps, double t_epoch0,
                     double last_epoch_s) {
    double el = rnl_now() - t_epoch0;
    double epoch_s = last_epoch_s > 0 ? last_epoch_s : (done > 0 ? el * total / done : 0);
    double left = epoch_s * (r->o.max_epochs - r->epoch) - el;
    fprintf(stderr, "\r\033[Kepoch %d/%d  batch %d/%d  %.0f steps/s  best valid %.4f  at most %.0f s left",
            r->epoch + 1, r->o.max_epochs, done, total, el > 0 ? steps / el : 0.0, r->best_valid,
            left > 0 ? left : 0);
}

/* One update on a batch: noisy copy of the parameters, gradient, clipping, RMSProp.
 * Nothing is changed when the loss or the gradient is not finite. */
static rnl_status update(run *r, const rnl_batch *bt, double frames, rnl_state *state) {
    rnl_model *m = r->m;
    const size_t n = rnl_model_nparams(m);
    rnl_real *p = rnl_model_params(m);
    memcpy(r->noisy, p, sizeof(rnl_real) * n);
    if (r->o.weight_noise > 0)
        for (int i = 0; i < rnl_model_ntensors(m); i++) {
            const rnl_tensor *t = rnl_model_tensor(m, i);
            if (t->noisy) rnl_rng_add_normal(&r->rng, r->noisy + t->offset, t->size, r->o.weight_noise);
        }
    memset(r->grad, 0, sizeof(rnl_real) * n);
    rnl_status st = rnl_forward_backward(m, r->ws, r->noisy, bt, r->grad, frames, state, NULL);
    if (!st && r->fault_update > 0 && r->updates + 1 >= r->fault_update &&
        r->updates + 1 < r->fault_update + r->fault_count)
        r->grad[0] = (rnl_real)NAN;
    if (st == RNL_ERR_NUMERIC)
        return rnl_fail(RNL_ERR_NUMERIC, "epoch %d, update %ld: the training loss is not finite (learning rate too large?)",
                        r->epoch + 1, r->updates + 1);
    if (st) return st;
    double norm = rnl_clip_global_norm(r->grad, n, r->o.clip);
    if (!isfinite(norm)) {
        /* An exploding gradient through a long sequence can overflow float before clipping
         * can act; like mixed-precision trainers, skip that update and count it. Ten in a
         * row is divergence. */
        r->skipped++;
        r->updates++;
        if (++r->streak >= 10)
            return rnl_fail(RNL_ERR_NUMERIC,
                            "epoch %d, update %ld: the gradient was not finite in 10 consecutive updates (diverged; learning rate too large?)",
                            r->epoch + 1, r->updates);
        return RNL_OK;
    }
    r->streak = 0;
    rnl_rmsprop o = {r->lr_now, r->o.decay, r->o.momentum, r->o.eps};
    rnl_rmsprop_step(&o, p, r->grad, r->ms, r->buf, n);
    for (size_t k = 0; k < n; k++)
        if (!isfinite(p[k]))
            return rnl_fail(RNL_ERR_NUMERIC, "epoch %d, update %ld: a parameter became non-finite",
                            r->epoch + 1, r->updates + 1);
    r->updates++;
    return RNL_OK;
}

static rnl_status train_epoch(run *r, double last_epoch_s) {
    const rnl_dataset *d = r->data;
    const int B = r->o.batch, nseq = d->nseq[RNL_SPLIT_TRAIN];
    int *perm = malloc(sizeof(int) * (nseq > 0 ? nseq : 1));
    batcher bb = {0};
    rnl_state *state = NULL;
    if (!perm) return rnl_fail(RNL_ERR_NOMEM, "out of memory for an epoch");
    for (int i = 0; i < nseq; i++) perm[i] = i;
    for (int i = nseq - 1; i > 0; i--) {
        int j = (int)rnl_rng_below(&r->rng, (uint64_t)i + 1), t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    const int tty = !r->o.quiet && isatty(2), nb = (nseq + B - 1) / B;
    double t0 = rnl_now(), last_print = t0, steps = 0;
    rnl_status st = RNL_OK;
    for (int i = 0, k = 0; i < nseq && !st; i += B, k++) {
        int n = nseq - i < B ? nseq - i : B;
        rnl_batch bt;
        double frames;
        st = make_batch(&bb, d, RNL_SPLIT_TRAIN, perm + i, n, &bt, &frames);
        if (st || frames == 0) continue;
        if (r->o.bptt <= 0) {
            st = update(r, &bt, frames, NULL);
        } else {
            /* Truncated BPTT: windows of bptt steps, state carried, one update per window. */
            if (!state || state->B < n) {
                rnl_state_free(state);
                state = NULL;
                if ((st = rnl_state_create(r->m, n, &state))) break;
            }
            state->B = n;
            rnl_state_zero(state);
            int lens[n];
            for (int t0w = 0; t0w < bt.T && !st; t0w += r->o.bptt) {
                double fw = 0;
                for (int b = 0; b < n; b++) {
                    int L = bt.len[b] - t0w;
                    lens[b] = L < 0 ? 0 : L > r->o.bptt ? r->o.bptt : L;
                    fw += lens[b];
                }
                rnl_batch w = {lens[0], n, lens, bt.x + (size_t)t0w * n * d->input,
                               bt.y + (size_t)t0w * n * d->output};
                st = update(r, &w, fw, state);
            }
        }
        steps += frames;
        if (tty && rnl_now() - last_print > 0.25) {
            last_print = rnl_now();
            progress(r, k + 1, nb, steps, t0, last_epoch_s);
        }
    }
    if (tty) fprintf(stderr, "\r\033[K");
    rnl_state_free(state);
    batcher_free(&bb);
    free(perm);
    return st;
}

static rnl_status eval_split(run *r, const rnl_real *params, int split, double *nll) {
    double sum, frames;
    rnl_status st = rnl_eval_split(r->m, r->ws, params, r->data, split, &sum, &frames);
    *nll = frames > 0 ? sum / frames : NAN;
    return st;
}

rnl_status rnl_train(rnl_train_opts *opts, int resume) {
    run r;
    memset(&r, 0, sizeof r);
    rnl_status st = RNL_OK;
    char path[4200];
    rnl_st_file *sf = NULL;
    r.o = *opts;
    if ((st = rnl_mkdir_p(opts->out))) return st;
    if (resume) {
        if ((st = rnl_path_join(path, sizeof path, opts->out, "state.safetensors"))) return st;
        if (!rnl_file_exists(path))
            return rnl_fail(RNL_ERR_USAGE, "--resume %s: no state.safetensors there, nothing to resume", opts->out);
        if ((st = rnl_st_read(path, &sf))) return st;
        if ((st = load_opts(sf, &r.o))) goto done;
        snprintf(r.o.out, sizeof r.o.out, "%s", opts->out);
        r.o.quiet = opts->quiet;
        if (opts->resume_max_epochs > 0) r.o.max_epochs = opts->resume_max_epochs;
        if (opts->resume_patience > 0) r.o.patience = opts->resume_patience;
    }
    if ((st = setup(&r))) goto done;
    const size_t n = rnl_model_nparams(r.m);
    if (resume) {
        long ep, upd, be, bad, dn, sk, sr;
        if ((st = copy_tensor(sf, "params", rnl_model_params(r.m), n)) ||
            (st = copy_tensor(sf, "ms", r.ms, n)) || (st = copy_tensor(sf, "buf", r.buf, n)) ||
            (st = copy_tensor(sf, "best", r.best, n)) ||
            (st = meta_long(sf, "epoch", 0, 100000000, &ep)) ||
            (st = meta_long(sf, "updates", 0, LONG_MAX, &upd)) ||
            (st = meta_long(sf, "best_epoch", 0, 100000000, &be)) ||
            (st = meta_long(sf, "bad", 0, 100000000, &bad)) ||
            (st = meta_long(sf, "done", 0, 1, &dn)) ||
            (st = meta_long(sf, "skipped", 0, LONG_MAX, &sk)) ||
            (st = meta_long(sf, "streak", 0, 1000, &sr)) ||
            (st = meta_double(sf, "seconds", &r.seconds)) ||
            (st = meta_double(sf, "best_valid", &r.best_valid)) ||
            (st = meta_double(sf, "best_train", &r.best_train)))
            goto done;
        for (int i = 0; i < 4 && !st; i++) {
            char key[8];
            snprintf(key, sizeof key, "rng%d", i);
            st = meta_u64(sf, key, &r.rng.s[i]);
        }
        if (st) goto done;
        r.epoch = (int)ep;
        r.updates = upd;
        r.best_epoch = (int)be;
        r.bad = (int)bad;
        r.done = (int)dn;
        r.skipped = sk;
        r.streak = (int)sr;
        /* A finished run continues if the new stopping rules allow more epochs. */
        if (r.done && r.epoch < r.o.max_epochs && r.bad < r.o.patience) r.done = 0;
        const char *mt = rnl_st_meta(sf, "metrics");
        rnl_buf_printf(&r.metrics, "%s", mt ? mt : "");
        if (!r.o.quiet)
            fprintf(stderr, "rnnlab: resuming %s after epoch %d\n", r.o.out, r.epoch);
    } else {
        if ((st = rnl_model_init(r.m, r.o.seed, r.o.forget_bias))) goto done;
        rnl_rng_seed(&r.rng, r.o.seed ^ 0x5eed5eed5eed5eedULL);
        memcpy(r.best, rnl_model_params(r.m), sizeof(rnl_real) * n);
        r.best_valid = INFINITY;
        r.best_train = NAN;
        rnl_buf_printf(&r.metrics, "epoch,updates,seconds,train_nll,valid_nll,lr\n");
        if ((st = save_state(&r))) goto done;
    }
    if (!r.o.quiet)
        fprintf(stderr, "rnnlab %s: %s %s-%d (%s) on %s, %zu parameters (%zu recurrent), lr %g, batch %d, seed %llu\n",
                RNL_VERSION, resume ? "resumed" : "training", rnl_cell_name(r.o.cell), r.o.hidden,
                rnl_variant_name(r.o.variant), r.data->path, n, rnl_model_nparams_recurrent(r.m), r.o.lr,
                r.o.batch, (unsigned long long)r.o.seed);
    double last_epoch_s = 0;
    while (!r.done && r.epoch < r.o.max_epochs && r.bad < r.o.patience) {
        double t0 = rnl_now();
        r.lr_now = lr_at(&r.o, r.epoch);
        st = train_epoch(&r, last_epoch_s);
        if (st) break;
        double tr, va;
        if ((st = eval_split(&r, rnl_model_params(r.m), RNL_SPLIT_TRAIN, &tr)) ||
            (st = eval_split(&r, rnl_model_params(r.m), RNL_SPLIT_VALID, &va)))
            break;
        last_epoch_s = rnl_now() - t0;
        r.seconds += last_epoch_s;
        r.epoch++;
        int improved = va < r.best_valid;
        if (improved) {
            r.best_valid = va;
            r.best_train = tr;
            r.best_epoch = r.epoch;
            r.bad = 0;
            memcpy(r.best, rnl_model_params(r.m), sizeof(rnl_real) * n);
            if ((st = save_best_model(&r))) break;
        } else {
            r.bad++;
        }
        rnl_buf_printf(&r.metrics, "%d,%ld,%.3f,%.6f,%.6f,%g\n", r.epoch, r.updates, r.seconds, tr, va, r.lr_now);
        if ((st = rnl_path_join(path, sizeof path, r.o.out, "metrics.csv")) ||
            (st = rnl_write_file_atomic(path, r.metrics.p, r.metrics.len)) || (st = save_state(&r)))
            break;
        printf("epoch=%d updates=%ld seconds=%.3f train_nll=%.6f valid_nll=%.6f lr=%g best_epoch=%d skipped=%ld%s\n",
               r.epoch, r.updates, r.seconds, tr, va, r.lr_now, r.best_epoch, r.skipped, improved ? " *" : "");
        fflush(stdout);
    }
    if (st == RNL_ERR_NUMERIC) {
        char msg[1024];
        snprintf(msg, sizeof msg, "%s", rnl_last_error());
        write_summary(&r, "diverged", msg, NAN, 0);
        rnl_fail(RNL_ERR_NUMERIC, "%s", msg);
        goto done;
    }
    if (st) goto done;
    if (r.best_epoch == 0 && (st = save_best_model(&r))) goto done;
    double test_sum, test_frames;
    st = rnl_eval_split(r.m, r.ws, r.best, r.data, RNL_SPLIT_TEST, &test_sum, &test_frames);
    if (st) goto done;
    double test = test_frames > 0 ? test_sum / test_frames : NAN;
    if (!r.done) {
        r.done = 1;
        if ((st = save_state(&r))) goto done;
    }
    st = write_summary(&r, "ok", NULL, test, test_frames);
    if (!st && !r.o.quiet)
        fprintf(stderr, "rnnlab: best epoch %d: train %.4f, valid %.4f, test %.4f nats per frame (%.1f s)\n",
                r.best_epoch, r.best_train, r.best_valid, test, r.seconds);
done:
    rnl_st_free(sf);
    run_free(&r);
    return st;
}
