/* search.h — the paper's random search over the learning rate and the reproduction grid
 * (internal; the tool's `search` and `reproduce` commands are thin wrappers).
 *
 * Every training run is a child process: the rnnlab binary itself (exe, normally
 * "/proc/self/exe") running `train ... --quiet --threads 1 --out RUN` or, when RUN holds a
 * resume state but no summary, `train --resume RUN`. A run whose summary.json exists is
 * finished and is read back, never rerun, so a killed search or grid continues where it
 * stopped. A run that diverges (train exits 5, summary status "diverged") is marked failed;
 * any other failure of a run stops the search with that run's error. */
#ifndef RNL_SEARCH_H
#define RNL_SEARCH_H

#include <stdint.h>
#include "run/train.h"

typedef enum { RNL_RUN_PENDING, RNL_RUN_RUNNING, RNL_RUN_OK, RNL_RUN_FAILED } rnl_run_state;

/* One training run and, once finished, its results (from its summary.json). */
typedef struct {
    rnl_train_opts o;      /* o.out = the run's directory; o.lr, o.seed = its own */
    char label[192];       /* for progress lines: "jsb-gru/trial-03" */
    int blocked;           /* not startable yet (a seed run waiting for its search) */
    int group;             /* the caller's grouping (reproduce: index of data set x unit) */
    rnl_run_state state;
    long pid;              /* while running */
    double started;        /* rnl_now() at start (this session) */
    int epochs, best_epoch;
    double seconds, train_nll, valid_nll, test_nll;
    long params_recurrent, params_total, hidden;
    char error[256];       /* failed: the reason (summary's error) */
} rnl_run;

/* Trial k's learning rate: exp(lo + (hi - lo) * u_k), u_k the k-th uniform draw of a
 * generator seeded with seed, so it depends only on (seed, k, lo, hi). */
double rnl_search_lr(uint64_t seed, int k, double lo, double hi);
/* Training seed of run k of a stream (stream 0: search trials, 1: reproduce's seed runs),
 * a 31-bit hash of (seed, stream, k). */
uint64_t rnl_search_run_seed(uint64_t seed, int stream, int k);
/* "trial-01" .. (1-based; two digits, or as many as n needs). */
void rnl_search_trial_name(int k, int n, char *out, size_t size);

/* Read a run's state back from its directory: finished (summary.json: ok or failed),
 * else pending. RNL_ERR_USAGE if what is there was trained with other settings (lr, seed,
 * unit, data, epochs, patience) than r->o asks for. */
rnl_status rnl_run_load(rnl_run *r);
/* Start r as a child process of exe (resume if it has a state), output appended to
 * RUN/train.log. The child dies with its parent (Linux). */
rnl_status rnl_run_spawn(const char *exe, rnl_run *r);
/* Account for the child's exit (waitpid status): read its summary; exit 5 = failed.
 * Any other failure is returned as an error naming the run and its log's last line. */
rnl_status rnl_run_reap(rnl_run *r, int wait_status);
/* Index of the finished run of lowest validation NLL among runs[0..n-1], or -1. */
int rnl_runs_best(const rnl_run *runs, int n);

/* Called after every finished run (index i) and once before the first start (i = -1); may
 * unblock runs. A non-zero status stops the execution. */
typedef rnl_status (*rnl_runs_cb)(void *ctx, rnl_run *runs, int n, int i);
/* Run every unblocked pending run, `jobs` at a time, until none is left. On an error the
 * running children are terminated (their states stay resumable). Progress on stderr unless
 * quiet: a line per finished run (runs done, running, time left); on a terminal a status line
 * refreshed every second. */
rnl_status rnl_runs_execute(const char *exe, rnl_run *runs, int n, int jobs, int quiet,
                            rnl_runs_cb cb, void *ctx);

/* Fill runs[0..trials-1] (trial k: lr, seed, directory) and read back finished ones; with
 * stride > 1 only the trials k with k % stride == rank are read back (MPI: a rank's own). */
rnl_status rnl_search_prepare(const rnl_search_opts *s, rnl_run *runs, int stride, int rank);
/* Write out/search.json atomically: {"config", "complete", "trials": [...], "best"}. */
rnl_status rnl_search_write(const rnl_search_opts *s, const rnl_run *runs);
/* Hold an exclusive lock on dir/search.lock (released at exit), so that two searches never
 * run in one directory at once. */
rnl_status rnl_search_lock(const char *dir);
/* The whole search on this machine. RNL_ERR_NUMERIC if every trial diverged. */
rnl_status rnl_search(const rnl_search_opts *s, const char *exe);

/* The grid: search for every data set x unit in out/<data>-<cell>/, then `seeds` runs at the
 * best learning rate in out/<data>-<cell>/seed-K/; writes table1.md, table2.md, table2.csv
 * and (with gnuplot) fig-<data>.png/.svg in out after every finished group. */
rnl_status rnl_reproduce(const rnl_reproduce_opts *r, const char *exe);

#endif
