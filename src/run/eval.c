/* eval.c — evaluation of a split: batches of 16 sequences in length order, forward only,
 * the packed weights held for the whole pass. */
#include "run/eval.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/heads.h"
#include "run/batch.h"

/* The NLL per step of each sequence of the last forward pass over bt, summed into *sum (one
 * term nll_b / len_b per sequence with a step; *count of them): the head's own per-step NLL
 * of the logits the pass left in ws, walked sequence by sequence. */
static rnl_status add_seq_means(const rnl_model *m, const rnl_workspace *ws, const rnl_batch *bt, double *sum,
                                long *count) {
    const rnl_config *c = rnl_model_config(m);
    const rnl_head_desc *hd = rnl_head_describe(c->head);
    if (!hd) return rnl_fail(RNL_ERR_INTERNAL, "eval: impossible head %d", (int)c->head);
    const int O = c->output, K = c->mixtures, width = hd->width(O, K), B = bt->B;
    const rnl_real *logits = rnl_workspace_logits(ws); /* [T, B, width] */
    /* rnl_model_metadata takes a non-const model; the metadata is only read here. */
    const rnl_model_meta *md = rnl_model_metadata((rnl_model *)m);
    for (int b = 0; b < B; b++) {
        if (bt->len[b] <= 0) continue;
        double nll = 0;
        for (int t = 0; t < bt->len[b]; t++) {
            const size_t r = (size_t)t * B + b;
            nll += hd->nll(logits + r * width, bt->y + r * O, O, K, md, NULL);
        }
        *sum += nll / bt->len[b];
        ++*count;
    }
    return RNL_OK;
}

/* Long streams (text): each sequence of the split one stream, in windows of EVAL_WINDOW
 * steps with the state carried from window to window, so only one window's activations are
 * ever held; the NLL is that of the whole sequence run at once. */
#define EVAL_WINDOW 1024
static rnl_status eval_streams(const rnl_model *m, rnl_workspace *ws, const rnl_real *params, const rnl_dataset *d,
                               int split, double *nll_sum, double *frames, double *seq_mean) {
    double seq_sum = 0; /* sum over sequences with a step of their NLL per step */
    long seqs = 0;
    rnl_state *state = NULL;
    rnl_batcher bb = {0};
    rnl_status st = rnl_state_create(m, 1, &state);
    rnl_workspace_hold(ws, 1); /* params do not change during the evaluation */
    for (int i = 0; i < d->nseq[split] && !st; i++) {
        const int L = d->steps(d, split, i);
        rnl_state_zero(state);
        double seq_nll = 0, seq_fr = 0;
        for (int t0 = 0; t0 < L && !st; t0 += EVAL_WINDOW) {
            rnl_batch bt;
            double fr, nll = 0;
            st = rnl_batcher_streams(&bb, d, split, i, 1, L, t0, L - t0 < EVAL_WINDOW ? L - t0 : EVAL_WINDOW, &bt, &fr);
            if (!st) st = rnl_forward_backward(m, ws, params, &bt, NULL, 1.0, state, &nll);
            *nll_sum += nll;
            *frames += fr;
            seq_nll += nll;
            seq_fr += fr;
        }
        if (seq_fr > 0) {
            seq_sum += seq_nll / seq_fr;
            seqs++;
        }
    }
    if (seq_mean && seqs > 0) *seq_mean = seq_sum / (double)seqs;
    rnl_workspace_hold(ws, 0);
    rnl_batcher_free(&bb);
    rnl_state_free(state);
    return st;
}

rnl_status rnl_eval_split(const rnl_model *m, rnl_workspace *ws, const rnl_real *params,
                          const rnl_dataset *d, int split, double *nll_sum, double *frames,
                          double *seq_mean) {
    *nll_sum = 0;
    *frames = 0;
    if (seq_mean) *seq_mean = NAN;
    const int n = d->nseq[split];
    if (n == 0) return RNL_OK;
    const rnl_config *c = rnl_model_config(m);
    if (d->input != c->input || d->output != c->output || d->head != c->head)
        return rnl_fail(RNL_ERR_DATA, "the model (%d inputs, %d outputs, %s head) does not fit %s (%d, %d, %s)",
                        c->input, c->output, rnl_head_name(c->head), d->path, d->input, d->output,
                        rnl_head_name(d->head));
    if (d->fill_range) return eval_streams(m, ws, params, d, split, nll_sum, frames, seq_mean);
    int *order = malloc(sizeof(int) * (size_t)n);
    if (!order) return rnl_fail(RNL_ERR_NOMEM, "out of memory in evaluation");
    for (int i = 0; i < n; i++) order[i] = i;
    rnl_status st = rnl_sort_by_length(d, split, order, n);
    rnl_batcher bb = {0};
    const int chunk = 16;
    double seq_sum = 0;
    long seqs = 0;
    rnl_workspace_hold(ws, 1); /* params do not change during the evaluation */
    for (int i = 0; i < n && !st; i += chunk) {
        int k = n - i < chunk ? n - i : chunk;
        rnl_batch bt;
        double fr, nll = 0;
        st = rnl_batcher_make(&bb, d, split, order + i, k, &bt, &fr);
        if (!st && fr > 0) st = rnl_forward_backward(m, ws, params, &bt, NULL, 1.0, NULL, &nll);
        if (!st && fr > 0 && seq_mean) st = add_seq_means(m, ws, &bt, &seq_sum, &seqs);
        *nll_sum += nll;
        *frames += fr;
    }
    rnl_workspace_hold(ws, 0);
    if (seq_mean && seqs > 0) *seq_mean = seq_sum / (double)seqs;
    rnl_batcher_free(&bb);
    free(order);
    return st;
}

rnl_status rnl_eval_open(const rnl_model *m, const char *data, const char *root, const char *scheme,
                         rnl_dataset **out, char *note, size_t n) {
    *out = NULL;
    note[0] = 0;
    /* rnl_model_metadata takes a non-const model; the metadata is only read here. */
    const rnl_model_meta *md = rnl_model_metadata((rnl_model *)m);
    const char *use = scheme ? scheme : md->split_scheme[0] ? md->split_scheme : "index";
    rnl_dataset *d = NULL;
    /* text: the model's vocabulary and split */
    const rnl_data_opts o = {.scheme = use, .split = md->text_split, .vocab = md->vocab[0] ? md->vocab : NULL};
    rnl_status st = rnl_dataset_open_with(data, root, &o, &d);
    if (st) return st;
    if (strcmp(d->kind, "speech") != 0) {
        if (scheme) {
            const char *kind = d->kind; /* a string constant of the adapter's */
            rnl_dataset_free(d);
            return rnl_fail(RNL_ERR_USAGE, "--split-scheme %s does not apply to %s (%s data): it applies only to "
                            "speech data", scheme, data, kind);
        }
        *out = d;
        return RNL_OK;
    }
    if (md->data_std > 0 && (md->data_mean != 0 || md->data_std != 1)) {
        d->mean = md->data_mean;
        d->std = md->data_std;
    }
    if (scheme && strcmp(scheme, md->split_scheme[0] ? md->split_scheme : "index") != 0)
        snprintf(note, n, "the model was trained on the %s split; evaluating on the %s split with the model's "
                 "normalisation (mean %.6g, std %.6g), whose recordings may include ones the model was trained on",
                 md->split_scheme[0] ? md->split_scheme : "index (presumably: it does not record its split)",
                 scheme, d->mean, d->std);
    *out = d;
    return RNL_OK;
}
