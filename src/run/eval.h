/* eval.h — the NLL of a model on a split (internal). */
#ifndef RNL_EVAL_H
#define RNL_EVAL_H

#include "data/dataset.h"
#include "rnnlab.h"

/* NLL summed over all predicted steps of a split, and their number (forward only). The
 * batches are fixed (sorted by length, 16 sequences), so the result is reproducible. */
rnl_status rnl_eval_split(const rnl_model *m, rnl_workspace *ws, const rnl_real *params,
                          const rnl_dataset *d, int split, double *nll_sum, double *frames);

#endif
