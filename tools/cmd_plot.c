/* cmd_plot.c — plot: the learning curves of any run directories (their metrics.csv) drawn by
 * gnuplot into a PNG or SVG, as the grid's figures are (src/run/figure.c). */
#include <stdio.h>
#include <string.h>
#include "cli.h"
#include "run/figure.h"

#define MAX_RUNS 64

int cmd_plot(int argc, char **argv) {
    char out[4096] = "", x[4096] = "epoch";
    const opt opts[] = {
        {"--out", OPT_STRING, out, 0, 0, "the image: FILE.png or FILE.svg (FILE.gp, FILE.dat and FILE.log beside it)"},
        {"--x", OPT_STRING, x, 0, 0, "epoch, or seconds (each run's training wall-clock seconds)"},
    };
    const char *runs[MAX_RUNS];
    int nruns = 0;
    int r = cli_parse(argc, argv, 2, opts, (int)(sizeof opts / sizeof *opts), "plot",
                      "RUN [RUN...] --out FILE.png|FILE.svg [--x epoch|seconds]", runs, MAX_RUNS, &nruns);
    if (r) return r > 0 ? 0 : cli_fail(RNL_ERR_USAGE);
    if (strcmp(x, "epoch") != 0 && strcmp(x, "seconds") != 0)
        return cli_fail(rnl_fail(RNL_ERR_USAGE, "--x: expected epoch or seconds, got '%s'", x));
    if (!out[0]) return cli_fail(rnl_fail(RNL_ERR_USAGE, "plot: --out FILE.png (or .svg) is required"));
    if (nruns == 0) return cli_fail(rnl_fail(RNL_ERR_USAGE, "plot: no run directory given (rnnlab plot RUN [RUN...] --out FILE.png)"));
    rnl_status st = rnl_figure_plot(runs, nruns, out, strcmp(x, "seconds") == 0);
    if (st) return cli_fail(st);
    printf("plot: %s (%d run%s)\n", out, nruns, nruns > 1 ? "s" : "");
    return 0;
}
