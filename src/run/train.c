/* train.c — the paper's training protocol: epochs of shuffled batches, one update each
 * (update.c: weight noise drawn per update, clipping, RMSProp with momentum), early stopping
 * on validation NLL with the best parameters kept, and the resume state (state.c) written
 * after every epoch so that a killed run continues bit-identically. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "io/json.h"
#include "io/lock.h"
#include "io/safetensors.h"
#include "run/batch.h"
#include "run/eval.h"
#include "run/trainer.h"
#include "run/update.h"

/* Learning rate of epoch e (0-based): constant, or decayed linearly from lr to
 * lr_final*lr over lr_decay_epochs epochs and constant after (the authors' code: to 1 %
 * over 500 epochs). */
static double lr_at(const rnl_train_opts *o, int e) {
    if (o->lr_decay_epochs <= 0) return o->lr;
    double f = e >= o->lr_decay_epochs ? 1.0 : (double)e / o->lr_decay_epochs;
    return o->lr * (1.0 - (1.0 - o->lr_final) * f);
}

static void emit(const rnl_trainer *r, rnl_train_event *e) {
    if (!r->fn) return;
    e->opts = &r->o;
    r->fn(r->ctx, e);
}

static void trainer_free(rnl_trainer *r) {
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

static rnl_status save_best_model(rnl_trainer *r) {
    char path[4200];
    rnl_status st = rnl_path_join(path, sizeof path, r->o.out, "model.safetensors");
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

/* ================================================================ the directory ===== */

/* The files that make a run; a directory holding any of them holds a run. */
static const char *const RUN_FILES[] = {"options.json", "state.safetensors", "model.safetensors", "summary.json",
                                        "metrics.csv"};
#define NRUN_FILES ((int)(sizeof RUN_FILES / sizeof *RUN_FILES))

/* What dir holds, for the refusal: "a finished run", "an unfinished run (after epoch 3)". */
static void describe_run(const char *dir, char *out, size_t n) {
    char path[4200];
    unsigned char *txt = NULL;
    size_t len = 0;
    rnl_json_doc *doc = NULL;
    snprintf(out, n, "a run");
    if (!rnl_path_join(path, sizeof path, dir, "summary.json") && rnl_file_exists(path)) {
        const char *status = NULL;
        if (!rnl_json_read(path, &doc))
            status = rnl_json_string(rnl_json_get(rnl_json_root(doc), "status"));
        snprintf(out, n, "%s", status && strcmp(status, "diverged") == 0 ? "a diverged run" : "a finished run");
    } else if (!rnl_path_join(path, sizeof path, dir, "metrics.csv") && !rnl_read_file(path, &txt, &len)) {
        int epochs = -1;
        for (size_t i = 0; i < len; i++) epochs += txt[i] == '\n';
        snprintf(out, n, "an unfinished run (stopped after epoch %d)", epochs > 0 ? epochs : 0);
    } else {
        snprintf(out, n, "an unfinished run (stopped before its first epoch)");
    }
    rnl_json_free(doc);
    free(txt);
}

/* A fresh run may write into dir only if it holds no run, or if force: then the old run's
 * files are removed first (nothing of two runs is ever mixed). */
static rnl_status claim_dir(const char *dir, int force) {
    char path[4200];
    int held = 0;
    for (int i = 0; i < NRUN_FILES; i++) {
        rnl_status st = rnl_path_join(path, sizeof path, dir, RUN_FILES[i]);
        if (st) return st;
        held |= rnl_file_exists(path);
    }
    if (!held) return RNL_OK;
    if (!force) {
        char what[128];
        describe_run(dir, what, sizeof what);
        return rnl_fail(RNL_ERR_USAGE, "%s holds %s: continue it with --resume %s, write elsewhere with another --out, "
                        "or replace it with --force", dir, what, dir);
    }
    for (int i = 0; i < NRUN_FILES; i++) {
        rnl_status st = rnl_path_join(path, sizeof path, dir, RUN_FILES[i]);
        if (st) return st;
        if (unlink(path) != 0 && rnl_file_exists(path))
            return rnl_fail(RNL_ERR_IO, "--force: cannot remove %s", path);
    }
    return RNL_OK;
}

/* A split with no predicted step cannot train (train) or choose the best epoch (valid). */
static rnl_status check_splits(const rnl_dataset *d) {
    static const char *const names[2] = {"training", "validation"};
    for (int s = RNL_SPLIT_TRAIN; s <= RNL_SPLIT_VALID; s++) {
        if (rnl_dataset_steps_total(d, s) > 0) continue;
        const char *ext = strrchr(d->path, '.');
        return rnl_fail(RNL_ERR_DATA, "%s: the %s split is empty (%d sequences with a predicted step)%s", d->path,
                        names[s], d->nseq[s],
                        ext && strcmp(ext, ".mat") == 0
                            ? ": give it sequences, e.g. import more files with rnnlab data import-midi --split"
                            : "");
    }
    return RNL_OK;
}

/* ================================================================ setting up ======== */

/* --loss-weight: what an update's summed NLL is divided by. Indexed by the kind, named as
 * the option's choices are. */
typedef enum { LOSS_SEQUENCE, LOSS_FRAME, LOSS_SUM, LOSS_COUNT } loss_kind;
static const char *const LOSS_NAMES[] = {[LOSS_SEQUENCE] = "sequence", [LOSS_FRAME] = "frame", [LOSS_SUM] = "sum"};
_Static_assert(sizeof LOSS_NAMES / sizeof *LOSS_NAMES == LOSS_COUNT, "a name per loss weighting");

/* --rmsprop: where the learning rate sits (rnnlab.h rnl_rmsprop's velocity). */
typedef enum { FORM_TORCH, FORM_AUTHORS, FORM_COUNT } form_kind;
static const char *const FORM_NAMES[] = {[FORM_TORCH] = "torch", [FORM_AUTHORS] = "authors"};
_Static_assert(sizeof FORM_NAMES / sizeof *FORM_NAMES == FORM_COUNT, "a name per momentum form");

/* The index of name in names[0..n), n if it is none of them. */
static int name_index(const char *const *names, int n, const char *name) {
    int k = 0;
    while (k < n && strcmp(names[k], name) != 0) k++;
    return k;
}

/* The constant divisor of an update's summed NLL (0: the update's own frames):
 *   sequence: 0        — loss = NLL / frames of the update: at batch 1 every sequence (or
 *                        --bptt window) weighs the same, whatever its length;
 *   frame:    B * C    — C = the training split's predicted frames / its sequences (or
 *                        windows) with a frame: every frame weighs the same, and a mean-length
 *                        update's gradient is the size of sequence weighting's;
 *   sum:      1        — the authors' released code: the NLL summed over the sequence. */
static rnl_status loss_scale_of(const rnl_train_opts *o, const rnl_dataset *d, double *scale) {
    switch ((loss_kind)name_index(LOSS_NAMES, LOSS_COUNT, o->loss_weight)) {
    case LOSS_SEQUENCE: *scale = 0; return RNL_OK;
    case LOSS_SUM: *scale = 1; return RNL_OK;
    case LOSS_FRAME: {
        double frames = 0, units = 0;
        for (int i = 0; i < d->nseq[RNL_SPLIT_TRAIN]; i++) {
            const int t = d->steps(d, RNL_SPLIT_TRAIN, i);
            frames += t;
            units += o->bptt > 0 ? (t + o->bptt - 1) / o->bptt : t > 0;
        }
        *scale = o->batch * (frames / units); /* units > 0: check_splits saw a frame */
        return RNL_OK;
    }
    case LOSS_COUNT: break;
    }
    return rnl_fail(RNL_ERR_INTERNAL, "train: impossible --loss-weight '%s'", o->loss_weight);
}

/* fresh: a new run, whose options still take its task's defaults (a resumed run has its own). */
static rnl_status setup(rnl_trainer *r, int fresh) {
    rnl_train_opts *o = &r->o;
    const rnl_data_opts dopts = {.scheme = o->split_scheme, .split = o->split};
    rnl_status st = rnl_dataset_open_with(o->data, o->data_root[0] ? o->data_root : NULL, &dopts, &r->data);
    if (st) return st;
    const int speech = strcmp(r->data->kind, "speech") == 0, text = strcmp(r->data->kind, "text") == 0;
    const unsigned task = speech ? RNL_APPLY_SPEECH : text ? RNL_APPLY_TEXT : RNL_APPLY_MUSIC;
    if (fresh && (st = rnl_train_task_defaults(o, task))) return st;
    if ((st = rnl_train_options_check(o, task)) || (st = check_splits(r->data))) return st;
    if (r->data->fill_range && o->bptt < 1)
        return rnl_fail(RNL_ERR_USAGE, "--bptt 0: %s data trains in windows of a stream, --bptt must be at least 1 "
                        "(its default: 50)", r->data->kind);
    if (o->hidden == 0 && !(o->hidden = rnl_default_hidden(o->cell, task)))
        return rnl_fail(RNL_ERR_INTERNAL, "train: no Table 1 size for unit %d", (int)o->cell);
    if (o->mixtures > 0 && r->data->mixtures == 0)
        return rnl_fail(RNL_ERR_USAGE, "--mixtures %d does not apply to %s: its %s head has no mixtures (only speech "
                        "and real-valued .npz data have one)", o->mixtures, o->data, rnl_head_name(r->data->head));
    rnl_config c = {o->cell, o->variant, r->data->head, o->layers,
                    r->data->input, o->hidden, r->data->output, o->mixtures > 0 ? o->mixtures : r->data->mixtures};
    if ((st = rnl_model_create(&c, &r->m)) || (st = rnl_workspace_create(&r->ws))) return st;
    rnl_model_meta *meta = rnl_model_metadata(r->m);
    meta->data_mean = r->data->mean;
    meta->data_std = r->data->std;
    snprintf(meta->data_name, sizeof meta->data_name, "%.63s", o->data);
    if (speech) snprintf(meta->split_scheme, sizeof meta->split_scheme, "%.15s", o->split_scheme);
    if (r->data->vocab) snprintf(meta->vocab, sizeof meta->vocab, "%s", r->data->vocab);
    snprintf(meta->text_split, sizeof meta->text_split, "%s", r->data->split_text);
    size_t n = rnl_model_nparams(r->m);
    r->noisy = rnl_alloc_reals(n);
    r->grad = rnl_alloc_reals(n);
    r->ms = rnl_alloc_reals(n);
    r->buf = rnl_alloc_reals(n);
    r->best = rnl_alloc_reals(n);
    if (!r->noisy || !r->grad || !r->ms || !r->buf || !r->best)
        return rnl_fail(RNL_ERR_NOMEM, "out of memory for %zu parameters", n);
    if ((st = loss_scale_of(o, r->data, &r->loss_scale))) return st;
    const int form = name_index(FORM_NAMES, FORM_COUNT, o->rmsprop);
    if (form == FORM_COUNT) return rnl_fail(RNL_ERR_INTERNAL, "train: impossible --rmsprop '%s'", o->rmsprop);
    r->velocity = form == FORM_AUTHORS;
    rnl_set_threads(o->threads);
    /* Fault injection for the tests (docs/ERRORS.md): RNNLAB_FAULT_NAN_UPDATE=K makes the
     * gradient of update K non-finite, to exercise the divergence path. */
    const char *fault = getenv("RNNLAB_FAULT_NAN_UPDATE"), *count = getenv("RNNLAB_FAULT_NAN_COUNT");
    r->fault_count = LONG_MAX / 2;
    if (fault && (st = rnl_parse_long(fault, 1, LONG_MAX / 2, "RNNLAB_FAULT_NAN_UPDATE", &r->fault_update))) return st;
    if (count && (st = rnl_parse_long(count, 1, LONG_MAX / 2, "RNNLAB_FAULT_NAN_COUNT", &r->fault_count))) return st;
    return RNL_OK;
}

/* The options a resume continues with: the saved ones (state, else options.json), with the
 * stopping options the caller gave. A run that has both files must agree with itself. */
static rnl_status resume_options(const rnl_train_opts *given, rnl_trainer *r, rnl_st_file **sf) {
    char state[4200], opts[4200];
    rnl_status st = rnl_path_join(state, sizeof state, given->out, "state.safetensors");
    if (!st) st = rnl_path_join(opts, sizeof opts, given->out, "options.json");
    if (st) return st;
    const int has_state = rnl_file_exists(state), has_opts = rnl_file_exists(opts);
    if (!has_state && !has_opts)
        return rnl_fail(RNL_ERR_USAGE, "--resume %s: no state.safetensors or options.json there, nothing to resume",
                        given->out);
    rnl_train_opts file;
    if (has_opts && (st = rnl_train_options_read(opts, &file))) return st;
    if (has_state) {
        if ((st = rnl_st_read(state, sf))) return st;
        rnl_train_defaults(&r->o);
        if ((st = rnl_options_from_meta(rnl_train_options, rnl_train_noptions, &r->o, RNL_ROLES_STORED, *sf, "opt.")))
            return st;
        char a[RNL_OPT_TEXT_MAX + 64], b[RNL_OPT_TEXT_MAX + 64], name[160];
        const rnl_option *d = has_opts ? rnl_options_diff(rnl_train_options, rnl_train_noptions, &file, &r->o,
                                                          RNL_ROLE_FIXED, a, b, sizeof a)
                                       : NULL;
        /* hidden 0 in options.json is resolved to Table 1's size in the state. */
        if (d && strcmp(d->key, "hidden") == 0 && file.hidden == 0) {
            file.hidden = r->o.hidden;
            d = rnl_options_diff(rnl_train_options, rnl_train_noptions, &file, &r->o, RNL_ROLE_FIXED, a, b, sizeof a);
        }
        if (d)
            return rnl_fail(RNL_ERR_DATA, "%s: options.json and state.safetensors disagree on %s (%s against %s): "
                            "the run's files were edited or mixed",
                            given->out, rnl_option_cli_name(d, name, sizeof name), a, b);
    } else {
        r->o = file;
    }
    for (int i = 0; i < rnl_train_noptions; i++) {
        const rnl_option *o = &rnl_train_options[i];
        if (o->role == RNL_ROLE_STOPPING && ((given->given >> i) & 1u)) {
            char v[64];
            if ((st = rnl_option_parse(o, &r->o, rnl_option_format(o, given, v, sizeof v), NULL))) return st;
        }
    }
    snprintf(r->o.out, sizeof r->o.out, "%s", given->out);
    r->o.quiet = given->quiet;
    r->o.given = 0;
    return RNL_OK;
}

/* ================================================================ the loop ========== */

/* One update on a batch; nothing changes when the gradient is not finite (counted). */
static rnl_status update(rnl_trainer *r, const rnl_batch *bt, double frames, rnl_state *state) {
    const rnl_update_ctx u = {{r->lr_now, r->o.decay, r->o.momentum, r->o.eps, r->o.rms_floor, r->o.step_clip,
                               r->velocity},
                              r->o.clip, r->o.weight_noise, r->o.dropout, r->noisy, r->grad, r->ms, r->buf};
    const long k = r->updates + 1;
    const int poison = r->fault_update > 0 && k >= r->fault_update && k < r->fault_update + r->fault_count;
    int finite;
    rnl_status st = rnl_update(r->m, r->ws, &r->rng, &u, bt, r->loss_scale > 0 ? r->loss_scale : frames, state, poison,
                               &finite);
    if (st == RNL_ERR_NUMERIC) {
        char msg[1024];
        snprintf(msg, sizeof msg, "%s", rnl_last_error());
        return rnl_fail(RNL_ERR_NUMERIC, "epoch %d, update %ld: %s", r->epoch + 1, k, msg);
    }
    if (st) return st;
    r->updates++;
    if (!finite) {
        /* An exploding gradient through a long sequence can overflow float before clipping
         * can act; like mixed-precision trainers, skip that update and count it. Ten in a
         * row is divergence. */
        r->skipped++;
        if (++r->streak >= 10)
            return rnl_fail(RNL_ERR_NUMERIC,
                            "epoch %d, update %ld: the gradient was not finite in 10 consecutive updates (diverged; learning rate too large?)",
                            r->epoch + 1, r->updates);
        return RNL_OK;
    }
    r->streak = 0;
    return RNL_OK;
}

/* The progress event after batch k of nb (at most every 0.25 s): steps so far since t0. */
static void progress(rnl_trainer *r, double t0, double *last_report, double last_epoch_s, int k, int nb,
                     double steps) {
    if (!r->fn || rnl_now() - *last_report <= 0.25) return;
    const double now = rnl_now(), el = now - t0;
    *last_report = now;
    double epoch_s = last_epoch_s > 0 ? last_epoch_s : el * nb / (k + 1);
    double left = epoch_s * (r->o.max_epochs - r->epoch) - el;
    rnl_train_event e = {.kind = RNL_TRAIN_PROGRESS, .epoch = r->epoch, .batch = k + 1, .batches = nb,
                         .steps_per_s = el > 0 ? steps / el : 0.0, .seconds_left = left > 0 ? left : 0,
                         .best_valid = r->best_valid};
    emit(r, &e);
}

/* Long streams (text: d->fill_range), as char-rnn trains: the training sequence cut into
 * B = --batch contiguous streams of S = floor(steps / B) steps (the last steps mod B are
 * dropped), walked in windows of W = --bptt steps, one update per window, the state carried
 * from window to window and zeroed at the start of every epoch. One window is filled at a
 * time (a whole stream of Tiny Shakespeare would be 20,077 steps of 65 values per column). */
static rnl_status train_streams(rnl_trainer *r, double last_epoch_s) {
    const rnl_dataset *d = r->data;
    const int B = r->o.batch, W = r->o.bptt, S = d->steps(d, RNL_SPLIT_TRAIN, 0) / B;
    if (S < 1)
        return rnl_fail(RNL_ERR_DATA, "%s: the training split has %d steps, fewer than the %d streams of --batch",
                        d->path, d->steps(d, RNL_SPLIT_TRAIN, 0), B);
    rnl_batcher bb = {0};
    rnl_state *state = NULL;
    rnl_status st = rnl_state_create(r->m, B, &state);
    if (!st) rnl_state_zero(state);
    const int nb = (S + W - 1) / W;
    double t0 = rnl_now(), last_report = t0, steps = 0;
    for (int k = 0; k < nb && !st; k++) {
        rnl_batch bt;
        double frames;
        const int w0 = k * W;
        st = rnl_batcher_streams(&bb, d, RNL_SPLIT_TRAIN, 0, B, S, w0, S - w0 < W ? S - w0 : W, &bt, &frames);
        if (!st) st = update(r, &bt, frames, state);
        steps += frames;
        if (!st && r->stop && *r->stop) st = rnl_fail(RNL_ERR_STOPPED, "stopped during epoch %d", r->epoch + 1);
        if (!st) progress(r, t0, &last_report, last_epoch_s, k, nb, steps);
    }
    rnl_state_free(state);
    rnl_batcher_free(&bb);
    return st;
}

static rnl_status train_epoch(rnl_trainer *r, double last_epoch_s) {
    const rnl_dataset *d = r->data;
    if (d->fill_range) return train_streams(r, last_epoch_s);
    const int B = r->o.batch, nseq = d->nseq[RNL_SPLIT_TRAIN];
    int *perm = malloc(sizeof(int) * (nseq > 0 ? nseq : 1));
    rnl_batcher bb = {0};
    rnl_state *state = NULL;
    if (!perm) return rnl_fail(RNL_ERR_NOMEM, "out of memory for an epoch");
    for (int i = 0; i < nseq; i++) perm[i] = i;
    for (int i = nseq - 1; i > 0; i--) {
        int j = (int)rnl_rng_below(&r->rng, (uint64_t)i + 1), t = perm[i];
        perm[i] = perm[j];
        perm[j] = t;
    }
    /* batches of similar lengths (B > 1 only; batch 1 keeps the shuffle as it is) */
    rnl_status st = rnl_bucket_order(d, RNL_SPLIT_TRAIN, perm, nseq, B, &r->rng);
    if (st) {
        free(perm);
        return st;
    }
    const int nb = (nseq + B - 1) / B;
    double t0 = rnl_now(), last_report = t0, steps = 0;
    for (int i = 0, k = 0; i < nseq && !st; i += B, k++) {
        int n = nseq - i < B ? nseq - i : B;
        rnl_batch bt;
        double frames;
        st = rnl_batcher_make(&bb, d, RNL_SPLIT_TRAIN, perm + i, n, &bt, &frames);
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
                if (!st && r->stop && *r->stop) break;
            }
        }
        steps += frames;
        if (!st && r->stop && *r->stop) st = rnl_fail(RNL_ERR_STOPPED, "stopped during epoch %d", r->epoch + 1);
        progress(r, t0, &last_report, last_epoch_s, k, nb, steps);
    }
    rnl_state_free(state);
    rnl_batcher_free(&bb);
    free(perm);
    return st;
}

static rnl_status eval_split(rnl_trainer *r, const rnl_real *params, int split, double *nll) {
    double sum, frames;
    rnl_status st = rnl_eval_split(r->m, r->ws, params, r->data, split, &sum, &frames, NULL);
    *nll = frames > 0 ? sum / frames : NAN;
    return st;
}

static rnl_status write_metrics(const rnl_trainer *r) {
    char path[4200];
    rnl_status st = rnl_path_join(path, sizeof path, r->o.out, "metrics.csv");
    return st ? st : rnl_write_file_atomic(path, r->metrics.p, r->metrics.len);
}

rnl_status rnl_train(rnl_train_opts *opts, int resume, rnl_train_fn fn, void *ctx, const volatile sig_atomic_t *stop) {
    rnl_trainer r;
    memset(&r, 0, sizeof r);
    r.fn = fn;
    r.ctx = ctx;
    r.stop = stop;
    rnl_status st = RNL_OK;
    rnl_st_file *sf = NULL;
    rnl_lock *lock = NULL;
    if (!opts->out[0]) return rnl_fail(RNL_ERR_USAGE, "train: no output directory (--out DIR)");
    if (resume) {
        /* The lock first: another process may be writing the files about to be read. */
        if ((st = rnl_dir_lock(opts->out, "train", &lock)) || (st = resume_options(opts, &r, &sf)) || (st = setup(&r, 0)))
            goto done;
    } else {
        /* The data and the model first, so that a mistake there leaves no directory behind;
         * then the directory, locked, checked for a run under the lock. */
        r.o = *opts;
        if ((st = setup(&r, 1)) || (st = rnl_dir_lock(r.o.out, "train", &lock)) || (st = claim_dir(r.o.out, r.o.force)))
            goto done;
    }
    const size_t n = rnl_model_nparams(r.m);
    if (sf) {
        if ((st = rnl_trainer_load_state(&r, sf))) goto done;
        /* A finished run continues if the new stopping rules allow more epochs. */
        if (r.done && r.epoch < r.o.max_epochs && r.bad < r.o.patience) r.done = 0;
    } else {
        char path[4200];
        if ((st = rnl_path_join(path, sizeof path, r.o.out, "options.json")) ||
            (st = rnl_train_options_write(path, &r.o)))
            goto done;
        if ((st = rnl_model_init(r.m, r.o.seed, r.o.forget_bias))) goto done;
        rnl_rng_seed(&r.rng, r.o.seed ^ 0x5eed5eed5eed5eedULL);
        memcpy(r.best, rnl_model_params(r.m), sizeof(rnl_real) * n);
        r.best_valid = INFINITY;
        r.best_train = NAN;
        rnl_buf_printf(&r.metrics, "epoch,updates,seconds,train_nll,valid_nll,lr\n");
        if ((st = rnl_trainer_save_state(&r))) goto done;
    }
    rnl_train_event start = {.kind = RNL_TRAIN_START, .resumed = sf != NULL, .data_path = r.data->path,
                             .params = n, .params_recurrent = rnl_model_nparams_recurrent(r.m), .epoch = r.epoch};
    emit(&r, &start);
    if (sf && !(!r.done && r.epoch < r.o.max_epochs && r.bad < r.o.patience)) {
        char why[RNL_OPT_TEXT_MAX + 256];
        if (r.bad >= r.o.patience)
            snprintf(why, sizeof why, "%s stopped by patience after epoch %d (%d epochs without a better validation NLL "
                     "since epoch %d): raise --patience above %d to continue", r.o.out, r.epoch, r.bad, r.best_epoch,
                     r.o.patience);
        else
            snprintf(why, sizeof why, "%s has trained its budget of %d epochs: raise --max-epochs above %d to continue",
                     r.o.out, r.o.max_epochs, r.epoch);
        rnl_train_event note = {.kind = RNL_TRAIN_NOTE, .epoch = r.epoch, .text = why};
        emit(&r, &note);
    }
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
        if (r.metrics.oom) st = rnl_fail(RNL_ERR_NOMEM, "out of memory for metrics.csv");
        if (st || (st = write_metrics(&r)) || (st = rnl_trainer_save_state(&r))) break;
        rnl_train_event e = {.kind = RNL_TRAIN_EPOCH, .epoch = r.epoch, .updates = r.updates, .skipped = r.skipped,
                             .seconds = r.seconds, .train_nll = tr, .valid_nll = va, .lr = r.lr_now,
                             .best_epoch = r.best_epoch, .improved = improved};
        emit(&r, &e);
    }
    if (st == RNL_ERR_NUMERIC) {
        char msg[1024];
        snprintf(msg, sizeof msg, "%s", rnl_last_error());
        const double none[3] = {NAN, NAN, NAN};
        rnl_trainer_write_summary(&r, "diverged", msg, NAN, 0, none);
        rnl_fail(RNL_ERR_NUMERIC, "%s", msg);
        goto done;
    }
    if (st) goto done;
    if (r.best_epoch == 0 && (st = save_best_model(&r))) goto done;
    /* The best parameters on every split: the test NLL pooled, and the mean over sequences
     * of each one's NLL per frame on all three (summary.json reports both conventions; the
     * pooled train and valid NLL are those of the best epoch). */
    double test_sum, test_frames, seq_mean[3], sum, frames;
    for (int s = RNL_SPLIT_TRAIN; s <= RNL_SPLIT_VALID && !st; s++)
        st = rnl_eval_split(r.m, r.ws, r.best, r.data, s, &sum, &frames, &seq_mean[s]);
    if (!st) st = rnl_eval_split(r.m, r.ws, r.best, r.data, RNL_SPLIT_TEST, &test_sum, &test_frames,
                                 &seq_mean[RNL_SPLIT_TEST]);
    if (st) goto done;
    double test = test_frames > 0 ? test_sum / test_frames : NAN;
    if (!r.done) {
        r.done = 1;
        if ((st = rnl_trainer_save_state(&r))) goto done;
    }
    st = rnl_trainer_write_summary(&r, "ok", NULL, test, test_frames, seq_mean);
    if (!st) {
        rnl_train_event e = {.kind = RNL_TRAIN_DONE, .epoch = r.epoch, .updates = r.updates, .skipped = r.skipped,
                             .seconds = r.seconds, .best_epoch = r.best_epoch, .best_train = r.best_train,
                             .best_valid = r.best_valid, .test_nll = test};
        emit(&r, &e);
    }
done:
    rnl_st_free(sf);
    trainer_free(&r);
    rnl_dir_unlock(lock);
    return st;
}
