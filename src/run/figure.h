/* figure.h — the grid's figures (internal): per data set, the best-validation run of each unit,
 * NLL against epochs and against training seconds (the paper's Figures 2-3), drawn by gnuplot
 * into fig-<tag>.png and fig-<tag>.svg from a script fig-<tag>.gp kept beside them. */
#ifndef RNL_FIGURE_H
#define RNL_FIGURE_H

#include "run/report.h"

/* Draw data set d's figure into g->out. Nothing to draw yet (no unit of d has finished its
 * group with a converged run): RNL_OK, nothing written. *gnuplot_missing already 1: nothing
 * done. gnuplot not installed: *gnuplot_missing = 1 and RNL_OK (the script is written, to be
 * drawn by a rerun). gnuplot failed, or a file could not be written: RNL_ERR_IO naming it. */
rnl_status rnl_figure_write(const rnl_grid_results *g, int d, int *gnuplot_missing);

#endif
