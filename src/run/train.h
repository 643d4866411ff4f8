/* train.h — the training loop and evaluation on piano-roll data (internal; the tool's
 * train/eval commands are thin wrappers). */
#ifndef RNL_TRAIN_H
#define RNL_TRAIN_H

#include "data/dataset.h"
#include "rnnlab.h"

typedef struct {
    char data[4096];       /* data set name or .mat path, as given */
    char data_root[4096];  /* --data-root ("" = default search) */
    char out[4096];        /* output directory */
    char split_scheme[4096]; /* speech split: "index" (default) or "speaker" */
    rnl_cell cell;
    rnl_variant variant;
    int layers;
    int hidden;            /* 0 = Table 1's size for the cell and task */
    double lr;
    int batch;
    int max_epochs;
    int patience;          /* epochs without a better validation NLL before stopping */
    double weight_noise;   /* sigma of the Gaussian noise on W and U, per batch */
    double clip;           /* global gradient-norm threshold (0 = off) */
    double decay, momentum, eps; /* RMSProp */
    double forget_bias;    /* LSTM b_f at initialisation */
    uint64_t seed;
    int threads;
    int bptt;              /* truncated BPTT window (0 = full sequences) */
    int lr_decay_epochs;   /* linear decay of lr over this many epochs (0 = constant) */
    double lr_final;       /* ... down to lr_final * lr */
    int quiet;             /* no progress line */
    int resume_max_epochs; /* with resume: new epoch budget (0 = the saved one) */
    int resume_patience;   /* with resume: new patience (0 = the saved one) */
} rnl_train_opts;

/* Defaults: the paper's protocol (README "Training protocol"). */
void rnl_train_defaults(rnl_train_opts *o);
/* Table 1's sizes: music tanh 100, GRU 46, LSTM 36; speech tanh 400, GRU 227, LSTM 195. */
int rnl_default_hidden(rnl_cell c, int speech);

/* Train from scratch (resume = 0) or continue the run in o->out (resume = 1: the options are
 * read back from o->out/state.safetensors, except out). Writes model.safetensors,
 * metrics.csv, summary.json, state.safetensors in o->out, each atomically. */
rnl_status rnl_train(rnl_train_opts *o, int resume);

/* NLL summed over all predicted steps of a split, and their number (forward only). The
 * batches are fixed (sorted by length, 16 sequences), so the result is reproducible. */
rnl_status rnl_eval_split(const rnl_model *m, rnl_workspace *ws, const rnl_real *params,
                          const rnl_dataset *d, int split, double *nll_sum, double *frames);

#endif
