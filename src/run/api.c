/* api.c — the public workflow of rnnlab.h over the internals: data set accessors, the
 * training configuration (a handle over the option table's struct, set by key through the
 * table's own parser), training and resuming with the public event type, evaluation. The
 * tool calls the internals directly; this file is what a program linked against the shared
 * library reaches. */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "data/dataset.h"
#include "data/matwrite.h"
#include "data/speech.h"
#include "run/api.h"
#include "run/eval.h"
#include "run/options.h"
#include "run/train.h"

#define RNL_STR2(x) #x
#define RNL_STR(x) RNL_STR2(x)
_Static_assert(sizeof RNL_VERSION == sizeof(RNL_STR(RNL_VERSION_MAJOR) "." RNL_STR(RNL_VERSION_MINOR) "." RNL_STR(
                   RNL_VERSION_PATCH)),
               "RNL_VERSION is not RNL_VERSION_MAJOR.MINOR.PATCH");

const char *rnl_version(void) {
    return RNL_STR(RNL_VERSION_MAJOR) "." RNL_STR(RNL_VERSION_MINOR) "." RNL_STR(RNL_VERSION_PATCH);
}

void rnl_free(void *p) { free(p); }

/* ================================================================ data sets ========= */

static int split_ok(int split) { return split >= 0 && split < 3; }

const char *rnl_dataset_kind(const rnl_dataset *d) { return d->kind; }
const char *rnl_dataset_path(const rnl_dataset *d) { return d->path; }
int rnl_dataset_input(const rnl_dataset *d) { return d->input; }
int rnl_dataset_output(const rnl_dataset *d) { return d->output; }
int rnl_dataset_count(const rnl_dataset *d, int split) { return split_ok(split) ? d->nseq[split] : 0; }

int rnl_dataset_steps(const rnl_dataset *d, int split, int i) {
    return split_ok(split) && i >= 0 && i < d->nseq[split] ? d->steps(d, split, i) : -1;
}

rnl_status rnl_dataset_sequence(const rnl_dataset *d, int split, int i, rnl_real *x, rnl_real *y) {
    const int T = rnl_dataset_steps(d, split, i);
    if (T < 0)
        return rnl_fail(RNL_ERR_USAGE, "%s: no sequence %d in split %d (it has %d)", d->path, i, split,
                        rnl_dataset_count(d, split));
    if (T == 0) return RNL_OK;
    memset(x, 0, sizeof(rnl_real) * (size_t)T * (size_t)d->input);
    memset(y, 0, sizeof(rnl_real) * (size_t)T * (size_t)d->output);
    d->fill(d, split, i, 0, 1, x, y);
    return RNL_OK;
}

void rnl_dataset_normalisation(const rnl_dataset *d, double *mean, double *std) {
    *mean = d->mean;
    *std = d->std;
}

double rnl_dataset_bits_per_sample(const rnl_dataset *d, double nll_per_step) {
    return strcmp(d->kind, "speech") == 0 ? rnl_speech_bits_per_sample(nll_per_step, d->output, d->std) : NAN;
}

rnl_status rnl_dataset_open_for_model(const rnl_model *m, const char *name, const char *root, const char *scheme,
                                      rnl_dataset **out, char *note, size_t n) {
    char local[512];
    return rnl_eval_open(m, name, root, scheme, out, note && n ? note : local, note && n ? n : sizeof local);
}

rnl_status rnl_music_write(const char *path, const int nseq[3], const int *const len[3],
                           const uint8_t *const frames[3]) {
    rnl_seqset s[3];
    memset(s, 0, sizeof s);
    rnl_status st = RNL_OK;
    static const char *const names[3] = {"train", "valid", "test"};
    for (int k = 0; k < 3 && !st; k++) {
        const char *need = nseq[k] < 0                          ? "a count >= 0"
                           : k == RNL_SPLIT_TRAIN && nseq[k] == 0   ? "at least one sequence"
                           : nseq[k] > 0 && (!len[k] || !frames[k]) ? "its lengths and frames"
                                                                    : NULL;
        if (need) {
            st = rnl_fail(RNL_ERR_USAGE, "%s: the %s split needs %s", path, names[k], need);
            break;
        }
        s[k] = (rnl_seqset){nseq[k], 88, (int *)len[k], calloc((size_t)nseq[k] + 1, sizeof(size_t)),
                            (uint8_t *)frames[k], 0};
        if (!s[k].off) st = rnl_fail(RNL_ERR_NOMEM, "%s: out of memory", path);
        for (int i = 0; i < nseq[k] && !st; i++) {
            if (len[k][i] < 0) st = rnl_fail(RNL_ERR_USAGE, "%s: %s sequence %d has length %d", path, names[k], i, len[k][i]);
            s[k].off[i] = s[k].total;
            s[k].total += (size_t)(st ? 0 : len[k][i]);
        }
        for (size_t j = 0; j < s[k].total * 88 && !st; j++)
            if (frames[k][j] > 1)
                st = rnl_fail(RNL_ERR_USAGE, "%s: %s frame %zu key %zu is %d (a piano roll holds 0 or 1)", path, names[k],
                              j / 88, j % 88, frames[k][j]);
    }
    if (!st) st = rnl_music_write_mat(path, s);
    for (int k = 0; k < 3; k++) free(s[k].off);
    return st;
}

/* ================================================================ configuration ===== */

struct rnl_train_config {
    rnl_train_opts o; /* the option table's struct; `given` marks the keys set */
};

rnl_status rnl_train_config_create(rnl_train_config **out) {
    *out = malloc(sizeof **out);
    if (!*out) return rnl_fail(RNL_ERR_NOMEM, "out of memory for a training configuration");
    rnl_train_defaults(&(*out)->o);
    return RNL_OK;
}

void rnl_train_config_free(rnl_train_config *c) { free(c); }

static const rnl_option *find_row(const char *key) {
    const rnl_option *row = key ? rnl_option_find(rnl_train_options, rnl_train_noptions, key) : NULL;
    if (!row)
        rnl_fail(RNL_ERR_USAGE, "train: unknown option '%s' (rnl_train_option_key lists them; 'rnnlab train --help' too)",
                 key ? key : "(null)");
    return row;
}

rnl_status rnl_train_config_set(rnl_train_config *c, const char *key, const char *value) {
    const rnl_option *row = find_row(key);
    if (!row) return RNL_ERR_USAGE;
    char name[160];
    if (!value) return rnl_fail(RNL_ERR_USAGE, "%s needs a value", rnl_option_cli_name(row, name, sizeof name));
    rnl_status st = rnl_option_parse(row, &c->o, value, "train");
    if (!st) c->o.given |= 1ull << (row - rnl_train_options);
    return st;
}

rnl_status rnl_train_config_get(const rnl_train_config *c, const char *key, char *buf, size_t n) {
    const rnl_option *row = find_row(key);
    if (!row) return RNL_ERR_USAGE;
    char v[RNL_OPT_TEXT_MAX + 64];
    rnl_option_format(row, &c->o, v, sizeof v);
    if (!buf || strlen(v) >= n) return rnl_fail(RNL_ERR_USAGE, "%s: its value needs %zu bytes", key, strlen(v) + 1);
    memcpy(buf, v, strlen(v) + 1);
    return RNL_OK;
}

int rnl_train_option_count(void) { return rnl_train_noptions; }
const char *rnl_train_option_key(int i) { return i >= 0 && i < rnl_train_noptions ? rnl_train_options[i].key : NULL; }
const char *rnl_train_option_help(int i) { return i >= 0 && i < rnl_train_noptions ? rnl_train_options[i].help : NULL; }

/* ================================================================ training ========== */

rnl_status rnl_resume_options_check(const rnl_train_opts *o) {
    char name[160];
    for (int i = 0; i < rnl_train_noptions; i++) {
        const rnl_option *row = &rnl_train_options[i];
        if (((o->given >> i) & 1u) && row->role != RNL_ROLE_STOPPING && strcmp(row->key, "quiet") != 0)
            return rnl_fail(RNL_ERR_USAGE, "train --resume: %s cannot change (the run's options are saved; only "
                            "--max-epochs and --patience can)", rnl_option_cli_name(row, name, sizeof name));
    }
    return RNL_OK;
}

/* The internal events as the public ones: the same kinds, in the same order. */
static const rnl_event_kind EVENT_KIND[] = {
    [RNL_TRAIN_START] = RNL_EVENT_START, [RNL_TRAIN_PROGRESS] = RNL_EVENT_PROGRESS,
    [RNL_TRAIN_EPOCH] = RNL_EVENT_EPOCH, [RNL_TRAIN_NOTE] = RNL_EVENT_NOTE,
    [RNL_TRAIN_DONE] = RNL_EVENT_DONE,
};
_Static_assert(sizeof EVENT_KIND / sizeof *EVENT_KIND == RNL_EVENT_COUNT, "one public event kind per internal one");

typedef struct {
    rnl_event_fn fn;
    void *ctx;
    volatile sig_atomic_t stop; /* set when fn returns non-zero; rnl_train polls it */
} event_bridge;

static void bridge(void *ctx, const rnl_train_event *e) {
    event_bridge *b = ctx;
    const rnl_event pe = {EVENT_KIND[e->kind], e->resumed, e->data_path, e->params, e->params_recurrent, e->epoch,
                          e->batch, e->batches, e->steps_per_s, e->seconds_left, e->updates, e->skipped, e->seconds,
                          e->train_nll, e->valid_nll, e->lr, e->best_epoch, e->improved, e->best_train,
                          e->best_valid, e->test_nll, e->text};
    if (b->fn(b->ctx, &pe)) b->stop = 1;
}

static rnl_status train(rnl_train_opts *o, int resume, rnl_event_fn fn, void *ctx) {
    event_bridge b = {fn, ctx, 0};
    return rnl_train(o, resume, fn ? bridge : NULL, &b, &b.stop);
}

rnl_status rnl_train_run(const rnl_train_config *c, rnl_event_fn fn, void *ctx) {
    rnl_train_opts o = c->o;
    if (!o.data[0]) return rnl_fail(RNL_ERR_USAGE, "train: option data is required (jsb, nottingham, musedata, piano, fsdd, or a path)");
    if (!o.out[0]) return rnl_fail(RNL_ERR_USAGE, "train: option out (the run's directory) is required");
    rnl_status st = rnl_train_options_resolve(&o); /* --protocol's defaults, the grid's lr: as the tool */
    if (st) return st;
    return train(&o, 0, fn, ctx);
}

rnl_status rnl_train_resume(const char *dir, const rnl_train_config *c, rnl_event_fn fn, void *ctx) {
    if (!dir || !dir[0]) return rnl_fail(RNL_ERR_USAGE, "train --resume: no run directory");
    if (strlen(dir) >= RNL_OPT_TEXT_MAX) return rnl_fail(RNL_ERR_USAGE, "train --resume: directory name too long");
    rnl_train_opts o;
    if (c) o = c->o;
    else rnl_train_defaults(&o);
    rnl_status st = rnl_resume_options_check(&o);
    if (st) return st;
    snprintf(o.out, sizeof o.out, "%s", dir);
    return train(&o, 1, fn, ctx);
}

/* ================================================================ evaluation ======== */

rnl_status rnl_evaluate(const rnl_model *m, const rnl_dataset *d, int split, double *nll_sum, double *steps,
                        double *seq_mean) {
    if (!split_ok(split)) return rnl_fail(RNL_ERR_USAGE, "evaluate: split %d is not 0 (train), 1 (valid) or 2 (test)", split);
    rnl_workspace *ws = NULL;
    rnl_status st = rnl_workspace_create(&ws);
    if (!st) st = rnl_eval_split(m, ws, rnl_model_params((rnl_model *)m), d, split, nll_sum, steps, seq_mean);
    rnl_workspace_free(ws);
    return st;
}
