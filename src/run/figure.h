/* figure.h — learning-curve figures drawn by gnuplot (internal): the grid's per data set (the
 * paper's Figures 2-3) and `rnnlab plot`'s of any run directories. Each image comes with the
 * gnuplot script (.gp) that draws it and its data file (.dat: one block per key entry, gnuplot's
 * `index`, columns epoch, seconds, train, train_lo, train_hi, valid, valid_lo, valid_hi), kept
 * beside it; gnuplot's own output goes to a .log beside them. */
#ifndef RNL_FIGURE_H
#define RNL_FIGURE_H

#include "run/report.h"

/* Draw data set d's figure into g->out: fig-<tag>.png and .svg (with fig-<tag>.gp, .dat, .log),
 * two panels, NLL against epochs and against training seconds. Per unit whose group has
 * finished: the mean curve of its seed runs that converged, inside a band from their minimum
 * to their maximum, over the epochs every one of those runs reached (1 .. the shortest run's
 * last epoch); x on the seconds panel is the runs' mean training seconds at that epoch. Music:
 * NLL in nats per frame on a log axis; speech: bits per sample of the 16-bit signal
 * (rnl_speech_bits_per_sample) on a linear axis. Nothing to draw yet: RNL_OK, nothing written.
 * *gnuplot_missing already 1: nothing done. gnuplot not installed: *gnuplot_missing = 1 and
 * RNL_OK (the script is written, to be drawn by a rerun). gnuplot failed, or a file could not be
 * written: RNL_ERR_IO naming it. */
rnl_status rnl_figure_write(const rnl_grid_results *g, int d, int *gnuplot_missing);

/* `rnnlab plot`: the learning curves of the run directories runs[0..n-1] (their metrics.csv,
 * each labelled by its path as given) into out, PNG or SVG by its extension, with out's
 * .gp, .dat and .log beside it (FILE.png -> FILE.gp, ...): train dashed, validation solid,
 * against the epoch (x_seconds 0) or the run's training seconds (1); a log y axis when every
 * value is positive, else linear. Errors, each one line: no run, an extension other than .png
 * or .svg, a path that is not a directory (RNL_ERR_USAGE); no metrics.csv there, or a
 * malformed one (RNL_ERR_DATA naming it and the line); gnuplot not installed or failing, a
 * file that cannot be written (RNL_ERR_IO). */
rnl_status rnl_figure_plot(const char *const *runs, int n, const char *out, int x_seconds);

#endif
