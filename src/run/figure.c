/* figure.c — the grid's figures: a gnuplot script per data set (the best-validation run of
 * each unit: validation and training NLL against epochs and against seconds, log y axis with
 * listed ticks), run by gnuplot in a child process into PNG and SVG. See figure.h. */
#include "run/figure.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "io/util.h"

#define MAX_CELLS 16

/* A unit's line colour, indexed by rnl_cell: a new unit without its colour fails the static
 * assert; a value outside the enum is an internal error. */
static const char *const CELL_COLOR[] = {
    [RNL_CELL_TANH] = "#d62728",
    [RNL_CELL_GRU] = "#1f77b4",
    [RNL_CELL_LSTM] = "#2ca02c",
};
_Static_assert(sizeof CELL_COLOR / sizeof *CELL_COLOR == RNL_CELL_COUNT, "a colour per unit");

static rnl_status cell_color(rnl_cell c, const char **out) {
    if ((unsigned)c >= RNL_CELL_COUNT) return rnl_fail(RNL_ERR_INTERNAL, "figure: impossible unit %d", (int)c);
    *out = CELL_COLOR[c];
    return RNL_OK;
}

/* gnuplot single-quoted string: a quote is doubled. */
static void gp_string(rnl_buf *b, const char *s) {
    rnl_buf_printf(b, "'");
    for (; *s; s++) rnl_buf_printf(b, *s == '\'' ? "''" : "%c", *s);
    rnl_buf_printf(b, "'");
}

/* The two panels (epochs, seconds) of the units' best runs best[0..nc-1] (NULL: none). */
static void gp_panels(rnl_buf *b, const rnl_grid_results *g, const rnl_run *const *best, const char *const *title,
                      const char *const *color, const char *heading) {
    rnl_buf_printf(b, "set multiplot layout 1,2 title ");
    gp_string(b, heading);
    rnl_buf_printf(b, " font ',15'\n");
    for (int panel = 0; panel < 2; panel++) {
        rnl_buf_printf(b, "set xlabel '%s'\nplot ", panel ? "wall-clock seconds (training)" : "epoch");
        int first = 1;
        for (int c = 0; c < g->nc; c++) {
            if (!best[c]) continue;
            char mpath[4200];
            if (rnl_path_join(mpath, sizeof mpath, best[c]->o.out, "metrics.csv")) continue;
            for (int curve = 0; curve < 2; curve++) {
                rnl_buf_printf(b, "%s", first ? "" : ", \\\n     ");
                first = 0;
                gp_string(b, mpath);
                rnl_buf_printf(b, " skip 1 using %d:%d with lines lw %s dt %d lc rgb '%s' title '%s-%ld %s'",
                               panel ? 3 : 1, curve ? 4 : 5, curve ? "1.5" : "2.5", curve ? 2 : 1, color[c], title[c],
                               best[c]->hidden, curve ? "train" : "valid");
            }
        }
        rnl_buf_printf(b, "\n");
    }
    rnl_buf_printf(b, "unset multiplot\n");
}

/* Widen [*lo, *hi] to the train and validation NLLs of a metrics.csv. */
static void metrics_range(const char *path, double *lo, double *hi) {
    unsigned char *txt = NULL;
    size_t n = 0;
    if (rnl_read_file(path, &txt, &n)) return;
    for (char *line = strchr((char *)txt, '\n'); line && line[1]; line = strchr(line + 1, '\n')) {
        double tr, va;
        if (sscanf(line + 1, "%*d,%*d,%*f,%lf,%lf", &tr, &va) != 2) continue;
        if (isfinite(tr) && tr > 0) *lo = fmin(*lo, tr), *hi = fmax(*hi, tr);
        if (isfinite(va) && va > 0) *lo = fmin(*lo, va), *hi = fmax(*hi, va);
    }
    free(txt);
}

/* y range and about 6-12 round tick values covering it (log axis: the ticks are listed). */
static void gp_yaxis(rnl_buf *b, double lo, double hi) {
    if (!(lo < hi)) {
        lo = lo > 0 && isfinite(lo) ? lo * 0.9 : 1;
        hi = lo * 1.25;
    }
    lo /= 1.02;
    hi *= 1.02;
    static const double steps[] = {0.05, 0.1, 0.2, 0.25, 0.5, 1, 2, 2.5, 5, 10, 20, 25, 50, 100};
    double step = steps[sizeof steps / sizeof *steps - 1];
    for (size_t i = 0; i < sizeof steps / sizeof *steps; i++)
        if ((hi - lo) / steps[i] <= 12) {
            step = steps[i];
            break;
        }
    rnl_buf_printf(b, "set yrange [%.6g:%.6g]\nset ytics (", lo, hi);
    int first = 1;
    for (double t = ceil(lo / step) * step; t <= hi; t += step) {
        rnl_buf_printf(b, "%s%.6g", first ? "" : ", ", t);
        first = 0;
    }
    rnl_buf_printf(b, ")\n");
}

/* Run gnuplot on a script, its output into logp; 0 = ok, 127 = not installed, -1 = not run,
 * not waited for or killed, else its exit status. */
static int run_gnuplot(const char *script, const char *logp) {
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        int fd = open(logp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        execlp("gnuplot", "gnuplot", script, (char *)NULL);
        _exit(127);
    }
    int ws;
    while (waitpid(pid, &ws, 0) < 0)
        if (errno != EINTR) return -1;
    return WIFEXITED(ws) ? WEXITSTATUS(ws) : -1;
}

/* out/<base><ext> into path. */
static rnl_status fig_path(char *path, size_t n, const char *out, const char *base, const char *ext) {
    char name[300];
    snprintf(name, sizeof name, "%s%s", base, ext);
    return rnl_path_join(path, n, out, name);
}

rnl_status rnl_figure_write(const rnl_grid_results *g, int d, int *gnuplot_missing) {
    const rnl_run *best[MAX_CELLS];
    const char *title[MAX_CELLS], *color[MAX_CELLS];
    if (g->nc > MAX_CELLS) return rnl_fail(RNL_ERR_INTERNAL, "figure: %d units, at most %d", g->nc, MAX_CELLS);
    int any = 0;
    rnl_status st = RNL_OK;
    for (int c = 0; c < g->nc && !st; c++) {
        const rnl_run *r = rnl_grid_group(g, d, c);
        int bi = rnl_grid_group_complete(g, d, c) ? rnl_runs_best(r, g->per) : -1;
        best[c] = bi >= 0 ? &r[bi] : NULL;
        any |= bi >= 0;
        st = rnl_report_cell_title(g->cells[c], &title[c]);
        if (!st) st = cell_color(g->cells[c], &color[c]);
    }
    if (st || !any || *gnuplot_missing) return st;
    const char *out = g->out;
    char base[256], script[4200], logp[4200], png[4200], svg[4200], tpng[4300], tsvg[4300], heading[256];
    snprintf(base, sizeof base, "fig-%s", g->tag[d]);
    snprintf(heading, sizeof heading, "%s: best-validation run per unit (solid: validation, dashed: train)",
             rnl_report_data_title(g, d));
    if ((st = fig_path(script, sizeof script, out, base, ".gp")) || (st = fig_path(logp, sizeof logp, out, base, ".log")) ||
        (st = fig_path(png, sizeof png, out, base, ".png")) || (st = fig_path(svg, sizeof svg, out, base, ".svg")))
        return st;
    snprintf(tpng, sizeof tpng, "%s.tmp", png);
    snprintf(tsvg, sizeof tsvg, "%s.tmp", svg);
    rnl_buf b = {0};
    rnl_buf_printf(&b, "# %s — written by rnnlab reproduce; redraw: gnuplot %s.gp (from the directory reproduce ran in)\n"
                       "set datafile separator ','\nset logscale y\nset grid xtics ytics lc rgb '#dddddd'\n"
                       "set ylabel 'NLL per frame (nats, log scale)'\nset key top right box opaque\n"
                       "set format y '%%g'\nset autoscale xfix\nset offsets 0, graph 0.02, 0, 0\n",
                   base, base);
    double lo = INFINITY, hi = -INFINITY;
    for (int c = 0; c < g->nc; c++) {
        char mpath[4200];
        if (best[c] && !rnl_path_join(mpath, sizeof mpath, best[c]->o.out, "metrics.csv")) metrics_range(mpath, &lo, &hi);
    }
    gp_yaxis(&b, lo, hi);
    rnl_buf_printf(&b, "set terminal pngcairo size 1500,600 font 'DejaVu Sans,12'\nset output ");
    gp_string(&b, tpng);
    rnl_buf_printf(&b, "\n");
    gp_panels(&b, g, best, title, color, heading);
    rnl_buf_printf(&b, "set output\nset terminal svg size 1500,600 dynamic font 'DejaVu Sans,12'\nset output ");
    gp_string(&b, tsvg);
    rnl_buf_printf(&b, "\n");
    gp_panels(&b, g, best, title, color, heading);
    rnl_buf_printf(&b, "set output\n");
    st = b.oom ? rnl_fail(RNL_ERR_NOMEM, "out of memory writing %s", script) : rnl_write_file_atomic(script, b.p, b.len);
    rnl_buf_free(&b);
    if (st) return st;
    int rc = run_gnuplot(script, logp);
    if (rc == 127) {
        *gnuplot_missing = 1;
        return RNL_OK;
    }
    if (rc != 0) return rnl_fail(RNL_ERR_IO, "%s: gnuplot failed (exit %d), see %s", script, rc, logp);
    if (rename(tpng, png) != 0) return rnl_fail(RNL_ERR_IO, "%s: cannot rename it into place: %s", png, strerror(errno));
    if (rename(tsvg, svg) != 0) return rnl_fail(RNL_ERR_IO, "%s: cannot rename it into place: %s", svg, strerror(errno));
    return RNL_OK;
}
