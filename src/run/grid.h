/* grid.h — the paper's grid (`rnnlab reproduce`; internal): a search (search.h) per data set
 * and unit, then `seeds` runs at each search's best learning rate, with the tables (report.h)
 * and figures (figure.h) rewritten as the groups finish.
 *
 * In OUT: reproduce.json (the grid's "config" through the option table: the grid's FIXED
 * options, the searches' FIXED options and the template's stored options; a rerun with any
 * of them changed is refused), <tag>-<unit>/ (a search: search.json, trial-NN/, and the seed
 * runs seed-K/), table1.md, table2.md, table2.csv and, with gnuplot, fig-<tag>.png/.svg. A data
 * set's tag is its name, or for a path its base name without ".mat" or ".txt" (/x/mine.mat ->
 * mine, /x/plays.txt -> plays). */
#ifndef RNL_GRID_H
#define RNL_GRID_H

#include "run/search.h"

/* The tag of a data set as given to --datasets (into out, of size n); RNL_ERR_USAGE if a path
 * has no base name to use. */
rnl_status rnl_grid_tag(const char *data, char *out, size_t n);

/* A rerun's check: o against o->out/reproduce.json if there is one (RNL_ERR_USAGE "OUT/
 * reproduce.json: this grid was made with --OPT A, the command asks for B (...)"). */
rnl_status rnl_reproduce_check(const rnl_reproduce_opts *o);
/* Write o->out/reproduce.json atomically. */
rnl_status rnl_reproduce_write_config(const rnl_reproduce_opts *o);

/* The whole grid on this machine, in o->out locked for it (rnl_dir_lock "reproduce", and each
 * search's directory too). Every unit's template is checked (rnl_train_options_check) before
 * any run starts. Progress and warnings go to sink (may be NULL). On success *figures is 1 if
 * the figures were drawn, 0 if gnuplot is not installed (a warning was sent). A table or
 * figure that could not be written is an error (RNL_ERR_IO naming the file), once every run
 * has finished. */
rnl_status rnl_reproduce(const rnl_reproduce_opts *o, const char *exe, const rnl_runs_sink *sink, int *figures);

#endif
