/* eval.h — the NLL of a model on a split (internal). */
#ifndef RNL_EVAL_H
#define RNL_EVAL_H

#include "data/dataset.h"
#include "rnnlab.h"

/* NLL summed over all predicted steps of a split, and their number (forward only). The
 * batches are fixed (sorted by length, 16 sequences), so the result is reproducible. */
rnl_status rnl_eval_split(const rnl_model *m, rnl_workspace *ws, const rnl_real *params,
                          const rnl_dataset *d, int split, double *nll_sum, double *frames);

/* Open a data set to evaluate model m on: speech with the split scheme the model was trained
 * on and the model's own normalisation, unless `scheme` (NULL = the model's) names another
 * split — allowed, and then *note (size n) says that the normalisation is the model's and that
 * the split may hold recordings the model was trained on. A scheme for music data is refused
 * (RNL_ERR_USAGE). *note is "" when there is nothing to say. */
rnl_status rnl_eval_open(const rnl_model *m, const char *data, const char *root, const char *scheme,
                         rnl_dataset **out, char *note, size_t n);

#endif
