/* figure.c — learning-curve figures drawn by gnuplot: the grid's per data set (each unit's seed
 * runs as a mean curve inside a min-max band, against epochs and against seconds) and
 * `rnnlab plot`'s of any run directories. Each figure is a data file (.dat) and a script (.gp)
 * kept beside the image, so it can be redrawn or checked; gnuplot runs in a child process.
 * See figure.h. */
#include "run/figure.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "data/speech.h"
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

/* Colours of `rnnlab plot`'s runs, in turn. */
static const char *const RUN_COLOR[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e",
                                        "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};
#define NRUN_COLOR ((int)(sizeof RUN_COLOR / sizeof *RUN_COLOR))

static rnl_status cell_color(rnl_cell c, const char **out) {
    if ((unsigned)c >= RNL_CELL_COUNT) return rnl_fail(RNL_ERR_INTERNAL, "figure: impossible unit %d", (int)c);
    *out = CELL_COLOR[c];
    return RNL_OK;
}

/* ================================================================ metrics.csv ======= */

/* One run's learning curves: row i is epoch i + 1. */
enum { M_EPOCH, M_SECONDS, M_TRAIN, M_VALID, M_COLS };
typedef struct {
    int n;     /* epochs */
    double *v; /* [n][M_COLS] */
} curve;

static void curve_free(curve *c) {
    free(c->v);
    c->v = NULL;
    c->n = 0;
}

/* A number of a metrics.csv line at *p, followed by ',' (or, if last, the end of the line). */
static int csv_number(char **p, int last, double *out) {
    char *e;
    errno = 0;
    *out = strtod(*p, &e);
    if (e == *p || errno == ERANGE) return 0;
    if (last ? (*e != ',' && *e != '\n' && *e != '\r' && *e != 0) : *e != ',') return 0;
    *p = *e == ',' ? e + 1 : e;
    return 1;
}

/* Read RUN's metrics.csv (epoch,updates,seconds,train_nll,valid_nll,...: epochs 1, 2, ... in
 * order). Missing: RNL_ERR_DATA saying the directory holds no run yet; malformed: RNL_ERR_DATA
 * naming the line. */
static rnl_status curve_read(const char *run, curve *c) {
    char path[4200];
    memset(c, 0, sizeof *c);
    rnl_status st = rnl_path_join(path, sizeof path, run, "metrics.csv");
    if (st) return st;
    if (!rnl_file_exists(path))
        return rnl_fail(RNL_ERR_DATA, "%s: no such file (not a run directory, or no epoch of it has finished)", path);
    unsigned char *txt = NULL;
    size_t len = 0;
    if ((st = rnl_read_file(path, &txt, &len))) return st;
    static const char head[] = "epoch,updates,seconds,train_nll,valid_nll";
    size_t lines = 0;
    for (size_t i = 0; i < len; i++) lines += txt[i] == '\n';
    if (strlen((char *)txt) != len || strncmp((char *)txt, head, sizeof head - 1) != 0)
        st = rnl_fail(RNL_ERR_DATA, "%s: not a metrics.csv (its first line is not %s,...)", path, head);
    else if (!(c->v = malloc((lines + 1) * M_COLS * sizeof *c->v)))
        st = rnl_fail(RNL_ERR_NOMEM, "%s: out of memory", path);
    char *p = strchr((char *)txt, '\n');
    for (int line = 2; !st && p && p[1]; line++) {
        p++;
        double *row = c->v + (size_t)c->n * M_COLS, updates;
        if (!csv_number(&p, 0, &row[M_EPOCH]) || !csv_number(&p, 0, &updates) || !csv_number(&p, 0, &row[M_SECONDS]) ||
            !csv_number(&p, 0, &row[M_TRAIN]) || !csv_number(&p, 1, &row[M_VALID]))
            st = rnl_fail(RNL_ERR_DATA, "%s: line %d: expected epoch,updates,seconds,train_nll,valid_nll", path, line);
        else if (row[M_EPOCH] != c->n + 1)
            st = rnl_fail(RNL_ERR_DATA, "%s: line %d: epoch %g where %d was expected", path, line, row[M_EPOCH], c->n + 1);
        else
            c->n++;
        p = strchr(p, '\n');
    }
    if (!st && c->n == 0) st = rnl_fail(RNL_ERR_DATA, "%s: no epoch in it yet", path);
    free(txt);
    if (st) curve_free(c);
    return st;
}

/* ================================================================ series ============ */

/* What one key entry draws: per row x (epoch, seconds) and the train and validation values,
 * each as mean, low and high (a single run: all three the same). */
enum { S_EPOCH, S_SECONDS, S_TRAIN, S_TRAIN_LO, S_TRAIN_HI, S_VALID, S_VALID_LO, S_VALID_HI, S_COLS };
typedef struct {
    int n;           /* rows */
    double *v;       /* [n][S_COLS] */
    char title[300]; /* key title, before " valid" / " train" */
    const char *color;
    int band;        /* draw the lo-hi band */
} series;

/* The y value a figure draws for an NLL in nats per step: the NLL itself, for speech bits per
 * sample of the 16-bit signal (out > 0: O samples per step, std of the training split), for
 * text bits per character (nats / ln 2). */
typedef struct {
    int out;
    double std;
    int text;
} y_units;

static double y_of(const y_units *u, double nll) {
    return u->out > 0 ? rnl_speech_bits_per_sample(nll, u->out, u->std) : u->text ? nll / log(2.0) : nll;
}

/* Seed runs c[0..k-1] as one series: at every epoch all k runs reached (1 .. the shortest
 * run's last), x = the epoch and the runs' mean seconds, the values' mean, min and max. */
static rnl_status series_of_runs(const curve *c, int k, const y_units *u, series *s) {
    int n = c[0].n;
    for (int j = 1; j < k; j++) n = c[j].n < n ? c[j].n : n;
    s->n = n;
    s->band = k > 1;
    if (!(s->v = malloc((size_t)n * S_COLS * sizeof *s->v))) return rnl_fail(RNL_ERR_NOMEM, "figure: out of memory");
    for (int i = 0; i < n; i++) {
        double *r = s->v + (size_t)i * S_COLS;
        r[S_EPOCH] = i + 1;
        r[S_SECONDS] = 0;
        r[S_TRAIN] = r[S_VALID] = 0;
        r[S_TRAIN_LO] = r[S_VALID_LO] = INFINITY;
        r[S_TRAIN_HI] = r[S_VALID_HI] = -INFINITY;
        for (int j = 0; j < k; j++) {
            const double *m = c[j].v + (size_t)i * M_COLS;
            const double tr = y_of(u, m[M_TRAIN]), va = y_of(u, m[M_VALID]);
            r[S_SECONDS] += m[M_SECONDS] / k;
            r[S_TRAIN] += tr / k;
            r[S_VALID] += va / k;
            r[S_TRAIN_LO] = fmin(r[S_TRAIN_LO], tr);
            r[S_TRAIN_HI] = fmax(r[S_TRAIN_HI], tr);
            r[S_VALID_LO] = fmin(r[S_VALID_LO], va);
            r[S_VALID_HI] = fmax(r[S_VALID_HI], va);
        }
    }
    return RNL_OK;
}

static void series_free(series *s, int n) {
    for (int i = 0; i < n; i++) free(s[i].v);
}

/* The data file: series i is gnuplot's `index i` (blocks two blank lines apart), a
 * non-finite value written NaN (gnuplot leaves it out). */
static rnl_status write_dat(const char *path, const series *s, int ns) {
    rnl_buf b = {0};
    rnl_buf_printf(&b, "# epoch seconds train train_lo train_hi valid valid_lo valid_hi\n");
    for (int i = 0; i < ns; i++) {
        rnl_buf_printf(&b, "%s# %s\n", i ? "\n\n" : "", s[i].title);
        for (int r = 0; r < s[i].n; r++) {
            for (int k = 0; k < S_COLS; k++) {
                const double x = s[i].v[(size_t)r * S_COLS + k];
                if (isfinite(x)) rnl_buf_printf(&b, "%s%.9g", k ? " " : "", x);
                else rnl_buf_printf(&b, "%sNaN", k ? " " : "");
            }
            rnl_buf_printf(&b, "\n");
        }
    }
    rnl_status st = b.oom ? rnl_fail(RNL_ERR_NOMEM, "out of memory writing %s", path)
                          : rnl_write_file_atomic(path, b.p, b.len);
    rnl_buf_free(&b);
    return st;
}

/* ================================================================ gnuplot =========== */

/* gnuplot single-quoted string: a quote is doubled. */
static void gp_string(rnl_buf *b, const char *s) {
    rnl_buf_printf(b, "'");
    for (; *s; s++) rnl_buf_printf(b, *s == '\'' ? "''" : "%c", *s);
    rnl_buf_printf(b, "'");
}

/* Smallest and largest finite value drawn (the bands included). */
static void series_range(const series *s, int ns, double *lo, double *hi) {
    *lo = INFINITY;
    *hi = -INFINITY;
    static const int cols[] = {S_TRAIN_LO, S_TRAIN_HI, S_VALID_LO, S_VALID_HI};
    for (int i = 0; i < ns; i++)
        for (int r = 0; r < s[i].n; r++)
            for (size_t k = 0; k < sizeof cols / sizeof *cols; k++) {
                const double x = s[i].v[(size_t)r * S_COLS + cols[k]];
                if (isfinite(x)) *lo = fmin(*lo, x), *hi = fmax(*hi, x);
            }
}

/* A log y axis over [lo, hi] (both > 0) with about 6-12 listed round ticks. */
static void gp_log_yaxis(rnl_buf *b, double lo, double hi) {
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
    rnl_buf_printf(b, "set logscale y\nset yrange [%.6g:%.6g]\nset ytics (", lo, hi);
    int first = 1;
    for (double t = ceil(lo / step) * step; t <= hi; t += step) {
        rnl_buf_printf(b, "%s%.6g", first ? "" : ", ", t);
        first = 0;
    }
    rnl_buf_printf(b, ")\n");
}

/* The y axis: log when asked and every value is positive, else linear. */
static void gp_yaxis(rnl_buf *b, const series *s, int ns, int log_y, const char *label) {
    double lo, hi;
    series_range(s, ns, &lo, &hi);
    log_y = log_y && lo > 0;
    rnl_buf_printf(b, "set ylabel ");
    char text[300];
    snprintf(text, sizeof text, "%s%s", label, log_y ? " (log scale)" : "");
    gp_string(b, text);
    rnl_buf_printf(b, "\n");
    if (log_y) gp_log_yaxis(b, lo, hi);
    else rnl_buf_printf(b, "unset logscale y\nset autoscale y\nset ytics autofreq\n");
}

/* One panel: every series against x (S_EPOCH or S_SECONDS) from the data file dat. */
static void gp_panel(rnl_buf *b, const series *s, int ns, const char *dat, int x) {
    rnl_buf_printf(b, "set xlabel '%s'\nplot ", x == S_SECONDS ? "wall-clock seconds (training)" : "epoch");
    int first = 1;
    for (int i = 0; i < ns; i++) {
        static const int lo[2] = {S_VALID_LO, S_TRAIN_LO}, mid[2] = {S_VALID, S_TRAIN};
        for (int which = 0; which < 2 && s[i].band; which++) {
            rnl_buf_printf(b, "%s", first ? "" : ", \\\n     ");
            first = 0;
            gp_string(b, dat);
            rnl_buf_printf(b, " index %d using %d:%d:%d with filledcurves fc rgb '%s' fs transparent solid %s noborder "
                              "notitle", i, x + 1, lo[which] + 1, lo[which] + 2, s[i].color, which ? "0.10" : "0.20");
        }
        for (int which = 0; which < 2; which++) {
            char title[340];
            snprintf(title, sizeof title, "%s %s", s[i].title, which ? "train" : "valid");
            rnl_buf_printf(b, "%s", first ? "" : ", \\\n     ");
            first = 0;
            gp_string(b, dat);
            rnl_buf_printf(b, " index %d using %d:%d with lines lw %s dt %d lc rgb '%s' title ", i, x + 1, mid[which] + 1,
                           which ? "1.5" : "2.5", which ? 2 : 1, s[i].color);
            gp_string(b, title);
        }
    }
    rnl_buf_printf(b, "\n");
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

/* The figure's terminals, by the image's file name extension. */
typedef struct {
    const char *ext, *terminal;
} gp_terminal;
static const gp_terminal TERMINALS[] = {
    {".png", "pngcairo size %d,%d font 'DejaVu Sans,12'"},
    {".svg", "svg size %d,%d dynamic font 'DejaVu Sans,12'"},
};
#define NTERMINALS ((int)(sizeof TERMINALS / sizeof *TERMINALS))

static const gp_terminal *terminal_of(const char *path) {
    size_t n = strlen(path);
    for (int i = 0; i < NTERMINALS; i++) {
        size_t e = strlen(TERMINALS[i].ext);
        if (n > e && strcmp(path + n - e, TERMINALS[i].ext) == 0) return &TERMINALS[i];
    }
    return NULL;
}

/* A figure: its files (base + .gp, .dat, .log) and images. */
typedef struct {
    char base[4200];                      /* path without extension */
    char gp[4300], dat[4300], log[4300];
    int nimg;
    char img[NTERMINALS][4300], tmp[NTERMINALS][4310];
    const gp_terminal *term[NTERMINALS];
} figure_files;

/* Write the script (header, then per image its terminal and the panels) and the data file,
 * run gnuplot, rename the images into place. gnuplot missing: *missing = 1, RNL_OK (the
 * script and data are written). */
static rnl_status draw(const figure_files *f, const series *s, int ns, const char *header, const char *heading,
                       int panels, int x, int width, int height, int *missing) {
    rnl_status st = write_dat(f->dat, s, ns);
    if (st) return st;
    rnl_buf b = {0};
    rnl_buf_printf(&b, "%s", header);
    for (int i = 0; i < f->nimg; i++) {
        rnl_buf_printf(&b, "set terminal ");
        rnl_buf_printf(&b, f->term[i]->terminal, width, height);
        rnl_buf_printf(&b, "\nset output ");
        gp_string(&b, f->tmp[i]);
        rnl_buf_printf(&b, "\nset multiplot layout 1,%d title ", panels);
        gp_string(&b, heading);
        rnl_buf_printf(&b, " font ',14'\n");
        for (int p = 0; p < panels; p++) gp_panel(&b, s, ns, f->dat, panels > 1 ? (p ? S_SECONDS : S_EPOCH) : x);
        rnl_buf_printf(&b, "unset multiplot\nset output\n");
    }
    st = b.oom ? rnl_fail(RNL_ERR_NOMEM, "out of memory writing %s", f->gp) : rnl_write_file_atomic(f->gp, b.p, b.len);
    rnl_buf_free(&b);
    if (st) return st;
    int rc = run_gnuplot(f->gp, f->log);
    if (rc == 127) {
        *missing = 1;
        return RNL_OK;
    }
    if (rc != 0) return rnl_fail(RNL_ERR_IO, "%s: gnuplot failed (exit %d), see %s", f->gp, rc, f->log);
    for (int i = 0; i < f->nimg; i++)
        if (rename(f->tmp[i], f->img[i]) != 0)
            return rnl_fail(RNL_ERR_IO, "%s: cannot rename it into place: %s", f->img[i], strerror(errno));
    return RNL_OK;
}

/* The files of a figure at base (path without extension) drawn into the images ext[0..n-1]. */
static rnl_status figure_files_at(figure_files *f, const char *base, const char *const *ext, int n) {
    memset(f, 0, sizeof *f);
    const size_t n0 = strlen(base);
    if (n0 >= sizeof f->base) return rnl_fail(RNL_ERR_USAGE, "figure: path too long: %.100s...", base);
    memcpy(f->base, base, n0 + 1);
    snprintf(f->gp, sizeof f->gp, "%s.gp", base);
    snprintf(f->dat, sizeof f->dat, "%s.dat", base);
    snprintf(f->log, sizeof f->log, "%s.log", base);
    for (int i = 0; i < n; i++) {
        snprintf(f->img[i], sizeof f->img[i], "%s%s", base, ext[i]);
        snprintf(f->tmp[i], sizeof f->tmp[i], "%s%s.tmp", base, ext[i]);
        if (!(f->term[i] = terminal_of(f->img[i])))
            return rnl_fail(RNL_ERR_INTERNAL, "figure: no terminal for %s", f->img[i]);
    }
    f->nimg = n;
    return RNL_OK;
}

static const char GP_HEADER[] = "set grid xtics ytics lc rgb '#dddddd'\nset key top right box opaque\n"
                                "set format y '%g'\nset autoscale xfix\nset offsets 0, graph 0.02, 0, 0\n";

/* ================================================================ the grid ========== */

rnl_status rnl_figure_write(const rnl_grid_results *g, int d, int *gnuplot_missing) {
    if (g->nc > MAX_CELLS) return rnl_fail(RNL_ERR_INTERNAL, "figure: %d units, at most %d", g->nc, MAX_CELLS);
    series s[MAX_CELLS];
    int ns = 0;
    const rnl_grid_speech *sp = &g->speech[d];
    const y_units u = {sp->speech ? sp->output : 0, sp->std, g->text[d]};
    curve *c = calloc((size_t)g->seeds, sizeof *c);
    rnl_status st = c ? RNL_OK : rnl_fail(RNL_ERR_NOMEM, "figure: out of memory");
    for (int ci = 0; ci < g->nc && !st; ci++) {
        const rnl_run *r = rnl_grid_group(g, d, ci);
        if (!rnl_grid_group_complete(g, d, ci)) continue;
        int k = 0;
        long hidden = 0;
        for (int j = g->trials; j < g->per && !st; j++)
            if (r[j].state == RNL_RUN_OK && !(st = curve_read(r[j].o.out, &c[k]))) {
                hidden = r[j].hidden;
                k++;
            }
        const char *title = NULL;
        if (!st && k) st = rnl_report_cell_title(g->cells[ci], &title);
        if (!st && k) st = cell_color(g->cells[ci], &s[ns].color);
        if (!st && k) {
            snprintf(s[ns].title, sizeof s[ns].title, "%s-%ld (%d run%s)", title, hidden, k, k > 1 ? "s" : "");
            st = series_of_runs(c, k, &u, &s[ns]);
            ns++;
        }
        for (int j = 0; j < k; j++) curve_free(&c[j]);
    }
    free(c);
    if (st || !ns || *gnuplot_missing) {
        series_free(s, ns);
        return st;
    }
    char name[300], base[4200], heading[512], header[2048];
    snprintf(name, sizeof name, "fig-%s", g->tag[d]);
    static const char *const ext[] = {".png", ".svg"};
    figure_files f;
    st = rnl_path_join(base, sizeof base, g->out, name);
    if (!st) st = figure_files_at(&f, base, ext, 2);
    snprintf(heading, sizeof heading, "%s: mean of each unit's seed runs, band = their min to max (solid: validation, "
             "dashed: train)", rnl_report_data_title(g, d));
    snprintf(header, sizeof header, "# %s — written by rnnlab reproduce; redraw: gnuplot %s.gp (from the directory "
             "reproduce ran in); data: %s.dat\n%s", name, name, name, GP_HEADER);
    if (!st) {
        rnl_buf b = {0};
        rnl_buf_printf(&b, "%s", header);
        gp_yaxis(&b, s, ns, !u.out,
                 u.out ? "bits per sample of the 16-bit signal" : u.text ? "bits per character" : "NLL per frame (nats)");
        st = b.oom ? rnl_fail(RNL_ERR_NOMEM, "figure: out of memory")
                   : draw(&f, s, ns, b.p, heading, 2, S_EPOCH, 1500, 600, gnuplot_missing);
        rnl_buf_free(&b);
    }
    series_free(s, ns);
    return st;
}

/* ================================================================ rnnlab plot ======= */

rnl_status rnl_figure_plot(const char *const *runs, int n, const char *out, int x_seconds) {
    if (n < 1) return rnl_fail(RNL_ERR_USAGE, "plot: no run directory given");
    const gp_terminal *term = terminal_of(out);
    if (!term)
        return rnl_fail(RNL_ERR_USAGE, "plot: --out %s: expected a file name ending in .png or .svg", out);
    for (int i = 0; i < n; i++) {
        struct stat sb;
        if (stat(runs[i], &sb) != 0 || !S_ISDIR(sb.st_mode))
            return rnl_fail(RNL_ERR_USAGE, "plot: %s is not a run directory (a directory `rnnlab train --out` wrote)",
                            runs[i]);
    }
    series *s = calloc((size_t)n, sizeof *s);
    if (!s) return rnl_fail(RNL_ERR_NOMEM, "plot: out of memory");
    const y_units u = {0, 1, 0};
    rnl_status st = RNL_OK;
    int ns = 0;
    for (; ns < n && !st; ns++) {
        curve c;
        if ((st = curve_read(runs[ns], &c))) break;
        /* The run's name: its path as given, without trailing slashes. */
        size_t len = strlen(runs[ns]);
        while (len > 1 && runs[ns][len - 1] == '/') len--;
        snprintf(s[ns].title, sizeof s[ns].title, "%.*s", (int)(len < 280 ? len : 280), runs[ns]);
        s[ns].color = RUN_COLOR[ns % NRUN_COLOR];
        st = series_of_runs(&c, 1, &u, &s[ns]);
        curve_free(&c);
    }
    char base[4200];
    const size_t blen = strlen(out) - strlen(term->ext);
    figure_files f;
    if (!st && blen >= sizeof base) st = rnl_fail(RNL_ERR_USAGE, "plot: --out: path too long");
    if (!st) {
        memcpy(base, out, blen);
        base[blen] = 0;
        st = figure_files_at(&f, base, &term->ext, 1);
    }
    if (!st) {
        rnl_buf b = {0};
        rnl_buf_printf(&b, "# written by rnnlab plot; redraw: gnuplot %s; data: %s\n%s", f.gp, f.dat, GP_HEADER);
        gp_yaxis(&b, s, ns, 1, "NLL in nats per predicted frame or step, from metrics.csv");
        int missing = 0;
        st = b.oom ? rnl_fail(RNL_ERR_NOMEM, "plot: out of memory")
                   : draw(&f, s, ns, b.p, "learning curves (solid: validation, dashed: train)", 1,
                          x_seconds ? S_SECONDS : S_EPOCH, 1000, 600, &missing);
        rnl_buf_free(&b);
        if (!st && missing)
            st = rnl_fail(RNL_ERR_IO, "plot: gnuplot not found (apt-get install gnuplot-nox); its script is %s", f.gp);
    }
    series_free(s, ns);
    free(s);
    return st;
}
