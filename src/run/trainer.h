/* trainer.h — the state of one training run, shared by the loop (train.c), its resume state
 * (state.c) and its summary (summary.c). Internal to those three files. */
#ifndef RNL_TRAINER_H
#define RNL_TRAINER_H

#include "data/dataset.h"
#include "io/util.h"
#include "run/train.h"

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
    int velocity;        /* --rmsprop authors: lr inside the momentum buffer */
    double loss_scale;   /* an update's loss = its summed NLL / loss_scale; 0 = / its frames
                          * (--loss-weight sequence) */
    rnl_train_fn fn;     /* the caller's event sink (may be NULL) */
    void *ctx;
    const volatile sig_atomic_t *stop; /* the caller's stop request (may be NULL) */
} rnl_trainer;

/* Write OUT/state.safetensors: parameters, RMSProp state, best parameters, the stored
 * options ("opt.<key>"), counters, RNG state and metrics.csv's text. */
rnl_status rnl_trainer_save_state(const rnl_trainer *r);
/* Read the counters, tensors and metrics of a state into r (its model already built). */
rnl_status rnl_trainer_load_state(rnl_trainer *r, const rnl_st_file *f);
/* OUT/summary.json; status "ok" or "diverged" (with error). seq_mean [3]: the mean over
 * sequences of each one's NLL per frame on the train, valid and test splits (NAN: unknown). */
rnl_status rnl_trainer_write_summary(const rnl_trainer *r, const char *status, const char *error,
                                     double test_nll, double test_frames, const double *seq_mean);

#endif
