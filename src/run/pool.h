/* pool.h — training runs as child processes, a pool of them run J at a time (internal).
 *
 * Every run is a child process: the rnnlab binary itself (exe, normally "/proc/self/exe")
 * running `train --resume RUN --quiet`, where RUN holds the run's options.json (written by
 * rnl_run_spawn through the option table) and, once it has trained an epoch, its resume state.
 * A run whose summary.json exists is finished and is read back, never rerun, so a killed
 * search or grid continues where it stopped. A run that diverges (train exits 5, summary
 * status "diverged") is marked failed; any other failure of a run stops the pool with that
 * run's error.
 *
 * The pool does not print: it reports finished runs and, about every second, the pool's state
 * through a sink the caller gives (the tool prints them). */
#ifndef RNL_POOL_H
#define RNL_POOL_H

#include "run/options.h"

typedef enum { RNL_RUN_PENDING, RNL_RUN_RUNNING, RNL_RUN_OK, RNL_RUN_FAILED } rnl_run_state;

/* One training run and, once finished, its results (from its summary.json). */
typedef struct {
    rnl_train_opts o;      /* o.out = the run's directory; every stored option = what it trains */
    char label[192];       /* for progress lines: "jsb-gru/trial-03" */
    int blocked;           /* not startable yet (a seed run waiting for its search) */
    int group;             /* the caller's grouping (reproduce: index of data set x unit) */
    rnl_run_state state;
    long pid;              /* while running */
    double started;        /* rnl_now() at start (this session) */
    int epochs, best_epoch;
    double seconds, train_nll, valid_nll, test_nll; /* NLL pooled over frames */
    double train_seq, valid_seq, test_seq; /* the mean over sequences of their NLL per frame */
    long params_recurrent, params_total, hidden;
    char error[256];       /* failed: the reason (summary's error) */
} rnl_run;

/* 1 if the run has ended (ok or failed). */
int rnl_run_finished(const rnl_run *r);
/* 1 if runs[0..n-1] have all ended. */
int rnl_runs_finished(const rnl_run *runs, int n);

/* Read a run back from its directory: finished (summary.json: ok or diverged), else pending.
 * What is there must have been made with r->o: the stored options (every FIXED and STOPPING
 * row of the option table) of its options.json — or, for a run made before options.json
 * existed, of its state.safetensors — must equal r->o's, else RNL_ERR_USAGE
 * "RUN/options.json: this run was made with --OPT A, the command asks for B (...)".
 * r->o.hidden 0 (Table 1's size) matches the size it resolved to for r->o's unit and data. */
rnl_status rnl_run_load(rnl_run *r);
/* Start r as a child process of exe: r->o is written to RUN/options.json (unless the run has
 * a resume state already) and the child continues from RUN; its output goes to RUN/train.log.
 * The child dies with its parent (Linux). */
rnl_status rnl_run_spawn(const char *exe, rnl_run *r);
/* Account for the child's exit (waitpid status): read its summary; exit 5 = failed.
 * Any other failure is returned as an error naming the run and its log's last line. */
rnl_status rnl_run_reap(rnl_run *r, int wait_status);
/* Index of the finished run of lowest validation NLL among runs[0..n-1], or -1. */
int rnl_runs_best(const rnl_run *runs, int n);

/* ================================================================ what the pool reports == */

typedef enum {
    RNL_RUNS_FINISHED, /* a run ended (run; the counts include it) */
    RNL_RUNS_STATUS,   /* the pool's state, about every second while runs are running */
    RNL_RUNS_NOTE,     /* a progress line of the caller (text), e.g. reproduce's plan */
    RNL_RUNS_WARNING   /* a warning line of the caller (text): shown even when quiet */
} rnl_runs_event_kind;

typedef struct {
    rnl_runs_event_kind kind;
    const rnl_run *run;    /* FINISHED */
    int total, done, failed, running, waiting; /* FINISHED, STATUS: runs of the pool */
    double seconds_left;   /* FINISHED, STATUS: expected wall time left; NAN until a run ended */
    const char *text;      /* NOTE, WARNING: one line, no newline, no "rnnlab: " prefix */
} rnl_runs_event;

typedef void (*rnl_runs_fn)(void *ctx, const rnl_runs_event *e);

/* Where the events go; a NULL sink or fn drops them. */
typedef struct {
    rnl_runs_fn fn;
    void *ctx;
} rnl_runs_sink;

/* Send a NOTE or WARNING line (printf format) to the sink. */
void rnl_runs_say(const rnl_runs_sink *sink, rnl_runs_event_kind kind, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Called after every finished run (index i) and once before the first start (i = -1); may
 * unblock runs. A non-zero status stops the execution. */
typedef rnl_status (*rnl_runs_cb)(void *ctx, rnl_run *runs, int n, int i);
/* Run every unblocked pending run, `jobs` at a time, until none is left. On an error the
 * running children are terminated (their states stay resumable). Each finished run is
 * reported to sink (after the freed slots are refilled, so "running" counts the new runs),
 * and the pool's state about every second while waiting. */
rnl_status rnl_runs_execute(const char *exe, rnl_run *runs, int n, int jobs, rnl_runs_cb cb, void *ctx,
                            const rnl_runs_sink *sink);

#endif
