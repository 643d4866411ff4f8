/* search.h — the paper's random search over the learning rate (internal; the tool's `search`
 * is a thin wrapper, and the grid of grid.h runs one search per data set and unit).
 *
 * A search in DIR: trial k trains the template's options with its own learning rate and seed
 * in DIR/trial-NN/ (a run of the pool, pool.h); DIR/search.json holds the search's "config"
 * (written through the option table: the template's stored options except those the search
 * sets, and the search's own FIXED options), the trials' results and the best. A rerun into
 * DIR with any of those options changed is refused (RNL_ERR_USAGE naming the first option that
 * differs and both values); an identical rerun continues the unfinished trials and reads the
 * finished ones back. */
#ifndef RNL_SEARCH_H
#define RNL_SEARCH_H

#include <stdint.h>
#include "io/json.h"
#include "run/pool.h"

/* Trial k's learning rate: exp(lo + (hi - lo) * u_k), u_k the k-th uniform draw of a
 * generator seeded with seed, so it depends only on (seed, k, lo, hi). */
double rnl_search_lr(uint64_t seed, int k, double lo, double hi);
/* Training seed of run k of a stream (stream 0: search trials, 1: reproduce's seed runs),
 * a 31-bit hash of (seed, stream, k). */
uint64_t rnl_search_run_seed(uint64_t seed, int stream, int k);
/* "trial-01" .. (1-based; two digits, or as many as n needs). */
void rnl_search_trial_name(int k, int n, char *out, size_t size);

/* Check s (required options, ranges, and rnl_train_options_check of the template, whose task
 * is not known yet), compare it with s->out/search.json if there is one, then fill
 * runs[0..trials-1] (trial k: lr, seed, one thread, quiet, directory) and read back those
 * already there (rnl_run_load: a trial made with other options is refused). With stride > 1
 * only the trials k with k % stride == rank are read back (MPI: a rank's own). Writes
 * nothing. */
rnl_status rnl_search_prepare(const rnl_search_opts *s, rnl_run *runs, int stride, int rank);
/* Write s->out/search.json atomically: {"version", "config", "complete", "trials", "best"}. */
rnl_status rnl_search_write(const rnl_search_opts *s, const rnl_run *runs);
/* The whole search on this machine, in s->out locked for it (rnl_dir_lock "search").
 * Progress goes to sink (may be NULL). On success *best (if not NULL) is the best trial.
 * RNL_ERR_NUMERIC if every trial diverged. */
rnl_status rnl_search(const rnl_search_opts *s, const char *exe, const rnl_runs_sink *sink, rnl_run *best);

/* ================================================================ stored configs ==== */

/* Read the JSON file at path; *doc = NULL (and RNL_OK) if there is no such file. */
rnl_status rnl_config_read(const char *path, rnl_json_doc **doc);
/* A rerun's check: read the parts' rows from `config` (the "config" object of the file at
 * path; every row must be there) into `had` (an option set of want's type, defaults set),
 * and compare them with `want`. The first row that differs is RNL_ERR_USAGE "PATH: this WHAT
 * was made with --OPT A, the command asks for B (rerun with the original options or choose
 * a new --out)"; a missing or bad row RNL_ERR_DATA. */
rnl_status rnl_config_compare(const rnl_json *config, const char *path, const char *what, const rnl_option_part *p,
                              int np, const void *want, void *had);

#endif
