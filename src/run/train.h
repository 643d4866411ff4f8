/* train.h — the training loop (internal; the tool's `train` is a thin wrapper).
 *
 * A run lives in one directory: options.json (its options, written first), state.safetensors
 * (the resume state, after every epoch), model.safetensors (the best parameters),
 * metrics.csv and, once finished, summary.json — each written atomically. */
#ifndef RNL_TRAIN_H
#define RNL_TRAIN_H

#include <signal.h>
#include "run/options.h"
#include "rnnlab.h"

/* What a run reports while it trains; the library never prints, the caller's sink does. */
typedef enum {
    RNL_TRAIN_START,    /* the model is built (resumed: the state is read) */
    RNL_TRAIN_PROGRESS, /* within an epoch, at most every 0.25 s */
    RNL_TRAIN_EPOCH,    /* an epoch ended: its line of metrics.csv */
    RNL_TRAIN_NOTE,     /* a resume with no epoch left to train: text says why */
    RNL_TRAIN_DONE      /* finished: summary.json is written */
} rnl_train_event_kind;

typedef struct {
    rnl_train_event_kind kind;
    const rnl_train_opts *opts; /* the run's options (resumed: the saved ones) */
    int resumed;                /* 1 when continuing a saved run */
    const char *data_path;      /* START: the data set's file or directory */
    size_t params, params_recurrent; /* START */
    int epoch;                  /* epochs completed (PROGRESS: epoch + 1 is running) */
    int batch, batches;         /* PROGRESS: batches of this epoch done, and in all */
    double steps_per_s;         /* PROGRESS: predicted steps per second in this epoch */
    double seconds_left;        /* PROGRESS: at most this long until max_epochs */
    long updates, skipped;      /* EPOCH, DONE: updates so far, skipped for a non-finite gradient */
    double seconds;             /* EPOCH, DONE: training wall time so far */
    double train_nll, valid_nll, lr; /* EPOCH */
    int best_epoch;             /* EPOCH, DONE */
    int improved;               /* EPOCH: a new best validation NLL */
    double best_train, best_valid; /* PROGRESS (best_valid), DONE */
    double test_nll;            /* DONE: of the best parameters */
    const char *text;           /* NOTE: one line */
} rnl_train_event;

typedef void (*rnl_train_fn)(void *ctx, const rnl_train_event *e);

/* Train from scratch (resume = 0) or continue the run in o->out (resume = 1). A resume reads
 * the options back from o->out/state.safetensors, or from o->out/options.json when the run
 * has not saved a state yet (a search trial prepared by its search); the stopping options
 * (max_epochs, patience) whose bit is set in o->given replace the saved ones, and quiet is
 * o's. Events go to fn(ctx, ...) (fn may be NULL).
 * A fresh run refuses (RNL_ERR_USAGE) a directory that holds a run unless o->force; both
 * take the directory's lock (io/lock.h) for as long as they train.
 * stop (may be NULL): once *stop is non-zero (a signal handler sets it) the run finishes the
 * update it is in and returns RNL_ERR_STOPPED; its state stays that of the last finished
 * epoch, from which --resume retrains the interrupted epoch bit for bit. */
rnl_status rnl_train(rnl_train_opts *o, int resume, rnl_train_fn fn, void *ctx, const volatile sig_atomic_t *stop);

#endif
