/* eval.h — the NLL of a model on a split (internal). */
#ifndef RNL_EVAL_H
#define RNL_EVAL_H

#include "data/dataset.h"
#include "rnnlab.h"

/* NLL summed over all predicted steps of a split, and their number (forward only): the
 * pooled NLL per step is nll_sum / frames. If seq_mean is non-NULL it also receives the other
 * convention, the mean over the split's N sequences that have a predicted step of each one's
 * NLL per step,
 *     seq_mean = (1/N) * sum_i nll_i / T_i      (nll_i summed over sequence i's T_i steps),
 * in double (NAN when N = 0); nll_sum and frames are the same bits either way. The batches
 * are fixed (sorted by length, 16 sequences), so the result is reproducible. */
rnl_status rnl_eval_split(const rnl_model *m, rnl_workspace *ws, const rnl_real *params,
                          const rnl_dataset *d, int split, double *nll_sum, double *frames,
                          double *seq_mean);

/* Open a data set to evaluate model m on: speech with the split scheme the model was trained
 * on and the model's own normalisation, unless `scheme` (NULL = the model's) names another
 * split — allowed, and then *note (size n) says that the normalisation is the model's and that
 * the split may hold recordings the model was trained on. A scheme for music data is refused
 * (RNL_ERR_USAGE). *note is "" when there is nothing to say. */
rnl_status rnl_eval_open(const rnl_model *m, const char *data, const char *root, const char *scheme,
                         rnl_dataset **out, char *note, size_t n);

#endif
