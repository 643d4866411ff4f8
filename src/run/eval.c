/* eval.c — evaluation of a split: batches of 16 sequences in length order, forward only,
 * the packed weights held for the whole pass. */
#include "run/eval.h"

#include <stdlib.h>
#include "run/batch.h"

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
    int *order = malloc(sizeof(int) * (size_t)n);
    if (!order) return rnl_fail(RNL_ERR_NOMEM, "out of memory in evaluation");
    for (int i = 0; i < n; i++) order[i] = i;
    rnl_status st = rnl_sort_by_length(d, split, order, n);
    rnl_batcher bb = {0};
    const int chunk = 16;
    rnl_workspace_hold(ws, 1); /* params do not change during the evaluation */
    for (int i = 0; i < n && !st; i += chunk) {
        int k = n - i < chunk ? n - i : chunk;
        rnl_batch bt;
        double fr, nll = 0;
        st = rnl_batcher_make(&bb, d, split, order + i, k, &bt, &fr);
        if (!st && fr > 0) st = rnl_forward_backward(m, ws, params, &bt, NULL, 1.0, NULL, &nll);
        *nll_sum += nll;
        *frames += fr;
    }
    rnl_workspace_hold(ws, 0);
    rnl_batcher_free(&bb);
    free(order);
    return st;
}
