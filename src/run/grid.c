/* grid.c — the paper's grid: a search per data set x unit, then seed runs at each best
 * learning rate, all on one pool of child processes; reproduce.json checked on a rerun; the
 * tables and figures rewritten as groups finish. See grid.h. */
#include "run/grid.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "data/dataroot.h"
#include "data/dataset.h"
#include "data/lpc.h"
#include "io/lock.h"
#include "io/util.h"
#include "run/figure.h"
#include "run/report.h"

#define MAX_LIST 16 /* data sets, units */
#define TAG_MAX 64  /* bytes of a data set's tag */

typedef struct {
    const rnl_reproduce_opts *opt;
    char list[RNL_OPT_TEXT_MAX];    /* --datasets, split at its commas */
    const char *data[MAX_LIST];     /* into list */
    char tag[MAX_LIST][TAG_MAX];
    const char *tags[MAX_LIST];     /* tag[d] */
    rnl_cell cells[MAX_LIST];
    int nd, nc, per;                /* per = trials + seeds runs per group */
    rnl_search_opts *search;        /* [nd * nc] */
    rnl_run *runs;                  /* [nd * nc * per] */
    rnl_lock *lock[1 + MAX_LIST * MAX_LIST]; /* out, then every search's directory */
    rnl_grid_speech speech[MAX_LIST]; /* per data set: its speech units and baseline (music: 0) */
    int text[MAX_LIST];             /* per data set: 1 for text (its runs take the text defaults) */
    rnl_grid_results res;           /* the view of the runs for tables and figures */
    const rnl_runs_sink *sink;
    int gnuplot_missing;
} grid;

/* ================================================================ the lists ========= */

/* Split a comma-separated list (copied into buf) into out[0..*n-1]. */
static rnl_status split_list(const char *s, const char *what, char *buf, size_t size, const char **out, int *n) {
    *n = 0;
    if (strlen(s) >= size) return rnl_fail(RNL_ERR_USAGE, "%s: list too long", what);
    snprintf(buf, size, "%s", s);
    for (char *p = buf; *p;) {
        char *e = strchr(p, ',');
        if (e) *e = 0;
        if (!*p) return rnl_fail(RNL_ERR_USAGE, "%s: bad list '%s'", what, s);
        if (*n == MAX_LIST) return rnl_fail(RNL_ERR_USAGE, "%s: at most %d names", what, MAX_LIST);
        for (int i = 0; i < *n; i++)
            if (strcmp(out[i], p) == 0) return rnl_fail(RNL_ERR_USAGE, "%s: '%s' given twice", what, p);
        out[(*n)++] = p;
        if (!e) break;
        p = e + 1;
        if (!*p) return rnl_fail(RNL_ERR_USAGE, "%s: bad list '%s'", what, s);
    }
    if (*n == 0) return rnl_fail(RNL_ERR_USAGE, "%s: empty list", what);
    return RNL_OK;
}

rnl_status rnl_grid_tag(const char *data, char *out, size_t n) {
    size_t len = strlen(data);
    const int ext = len >= 4 && (strcmp(data + len - 4, ".mat") == 0 || strcmp(data + len - 4, ".txt") == 0);
    const int is_path = strchr(data, '/') || ext;
    const char *b = data;
    if (is_path) {
        /* The base name: after the last '/' that is not at the end, without ".mat" or ".txt". */
        while (len > 0 && data[len - 1] == '/') len--;
        size_t start = len;
        while (start > 0 && data[start - 1] != '/') start--;
        b = data + start;
        len -= start;
        if (len > 4 && (strncmp(b + len - 4, ".mat", 4) == 0 || strncmp(b + len - 4, ".txt", 4) == 0)) len -= 4;
    }
    if (len == 0 || (len == 1 && b[0] == '.') || (len == 2 && b[0] == '.' && b[1] == '.'))
        return rnl_fail(RNL_ERR_USAGE, "--datasets: '%s' has no base name to name its runs by", data);
    if (len >= n) return rnl_fail(RNL_ERR_USAGE, "--datasets: the name of '%s' is too long (at most %zu bytes)", data, n - 1);
    memcpy(out, b, len);
    out[len] = 0;
    return RNL_OK;
}

static rnl_status grid_lists(grid *g) {
    const rnl_reproduce_opts *o = g->opt;
    char cbuf[RNL_OPT_TEXT_MAX];
    const char *cells[MAX_LIST];
    rnl_status st = split_list(o->datasets, "--datasets", g->list, sizeof g->list, g->data, &g->nd);
    if (!st) st = split_list(o->cells, "--cells", cbuf, sizeof cbuf, cells, &g->nc);
    for (int c = 0; c < g->nc && !st; c++)
        if (rnl_cell_parse(cells[c], &g->cells[c]))
            st = rnl_fail(RNL_ERR_USAGE, "--cells: expected tanh, gru or lstm, got '%.100s'", cells[c]);
    for (int d = 0; d < g->nd && !st; d++) {
        st = rnl_grid_tag(g->data[d], g->tag[d], sizeof g->tag[d]);
        g->tags[d] = g->tag[d];
        for (int e = 0; e < d && !st; e++)
            if (strcmp(g->tag[e], g->tag[d]) == 0)
                st = rnl_fail(RNL_ERR_USAGE, "--datasets: '%s' and '%s' would both run in %s/%s-<unit> (rename one)",
                              g->data[e], g->data[d], o->out, g->tag[d]);
    }
    return st;
}

/* ================================================================ speech ============ */

/* Data set d resolved to path: a directory is speech (dataset.h), whose report needs its
 * training std and the linear-prediction baseline on each split (fitted once, here). */
static rnl_status grid_speech(grid *g, int d, const char *path) {
    struct stat sb;
    rnl_grid_speech *sp = &g->speech[d];
    memset(sp, 0, sizeof *sp);
    if (stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode)) return RNL_OK;
    const rnl_train_opts *t = &g->opt->search.train;
    rnl_dataset *ds = NULL;
    rnl_lpc lpc = {0};
    rnl_status st = rnl_dataset_open(path, NULL, t->split_scheme, &ds);
    if (!st) st = rnl_lpc_fit(ds, &lpc);
    for (int k = 0; k < 3 && !st; k++) {
        double full, diag, steps;
        st = rnl_lpc_eval(&lpc, ds, k, &full, &diag, &steps);
        sp->lpc_nll[k] = steps > 0 ? full / steps : NAN;
    }
    if (!st) {
        sp->speech = 1;
        sp->output = ds->output;
        sp->std = ds->std;
        sp->scheme = t->split_scheme[0] ? t->split_scheme : "index";
    }
    rnl_lpc_free(&lpc);
    rnl_dataset_free(ds);
    return st;
}

/* ================================================================ reproduce.json ==== */

/* The rows of reproduce.json's "config": the grid's FIXED options, the searches' FIXED
 * options (none is set by the grid), and the template's stored options except those a search
 * or the grid sets (lr, seed, threads; data, cell). */
static int grid_config(rnl_option_part p[3]) {
    p[0] = (rnl_option_part){rnl_grid_options, rnl_grid_noptions, 0, RNL_ROLE_FIXED, 0};
    p[1] = (rnl_option_part){rnl_search_options, rnl_search_noptions, offsetof(rnl_reproduce_opts, search),
                             RNL_ROLE_FIXED, RNL_SET_BY_GRID};
    p[2] = (rnl_option_part){rnl_train_options, rnl_train_noptions, offsetof(rnl_reproduce_opts, search.train),
                             RNL_ROLES_STORED, RNL_SET_BY_SEARCH | RNL_SET_BY_GRID};
    return 3;
}

rnl_status rnl_reproduce_check(const rnl_reproduce_opts *o) {
    char path[4200];
    rnl_json_doc *doc = NULL;
    rnl_status st = rnl_path_join(path, sizeof path, o->out, "reproduce.json");
    if (!st) st = rnl_config_read(path, &doc);
    if (st || !doc) return st;
    rnl_option_part p[3];
    const int np = grid_config(p);
    rnl_reproduce_opts *had = malloc(sizeof *had);
    if (!had) st = rnl_fail(RNL_ERR_NOMEM, "out of memory reading %s", path);
    if (!st) {
        rnl_reproduce_defaults(had);
        st = rnl_config_compare(rnl_json_get(rnl_json_root(doc), "config"), path, "grid", p, np, o, had);
    }
    free(had);
    rnl_json_free(doc);
    return st;
}

rnl_status rnl_reproduce_write_config(const rnl_reproduce_opts *o) {
    rnl_option_part p[3];
    const int np = grid_config(p);
    rnl_buf b = {0};
    rnl_buf_printf(&b, "{\n  \"version\": \"%s\",\n  \"config\": {", RNL_VERSION);
    rnl_option_parts_to_json(&b, p, np, o);
    rnl_buf_printf(&b, "}\n}\n");
    char path[4200];
    rnl_status st = b.oom ? rnl_fail(RNL_ERR_NOMEM, "out of memory writing reproduce.json")
                          : rnl_path_join(path, sizeof path, o->out, "reproduce.json");
    if (!st) st = rnl_mkdir_p(o->out);
    if (!st) st = rnl_write_file_atomic(path, b.p, b.len);
    rnl_buf_free(&b);
    return st;
}

/* ================================================================ running =========== */

static rnl_run *group_runs(const grid *g, int gi) { return g->runs + (size_t)gi * (size_t)g->per; }

/* Tables, then the figures of data set `figures_for` (-1: all, FIG_NONE: none). During the
 * grid a figure that cannot be drawn is a warning (the runs matter more); at the end
 * (final) it is the grid's error. */
#define FIG_NONE (-2)
static rnl_status write_reports(grid *g, int figures_for, int final) {
    rnl_status st = rnl_report_tables(&g->res);
    for (int d = 0; d < g->nd && !st; d++) {
        if (figures_for != -1 && figures_for != d) continue;
        const int was_missing = g->gnuplot_missing;
        rnl_status fs = rnl_figure_write(&g->res, d, &g->gnuplot_missing);
        if (g->gnuplot_missing && !was_missing)
            rnl_runs_say(g->sink, RNL_RUNS_WARNING, "reproduce: gnuplot not found, figures skipped (apt-get install "
                                                    "gnuplot-nox; rerun reproduce to draw them)");
        if (fs && final) st = fs;
        else if (fs) rnl_runs_say(g->sink, RNL_RUNS_WARNING, "reproduce: warning: %s", rnl_last_error());
    }
    return st;
}

/* Once a group's search is over: its seed runs get the best learning rate and may start. */
static rnl_status release_seeds(grid *g, int gi) {
    rnl_run *r = group_runs(g, gi);
    const int T = g->opt->search.trials;
    if (!r[T].blocked || !rnl_runs_finished(r, T)) return RNL_OK;
    const int bi = rnl_runs_best(r, T);
    rnl_status st = rnl_search_write(&g->search[gi], r);
    for (int j = T; j < g->per && !st; j++) {
        r[j].blocked = 0;
        if (bi < 0) {
            r[j].state = RNL_RUN_FAILED;
            snprintf(r[j].error, sizeof r[j].error, "every trial of the search diverged");
            continue;
        }
        r[j].o.lr = r[bi].o.lr;
        st = rnl_run_load(&r[j]);
    }
    return st;
}

static rnl_status grid_cb(void *ctx, rnl_run *runs, int n, int i) {
    grid *g = ctx;
    (void)runs;
    (void)n;
    rnl_status st = RNL_OK;
    const int T = g->opt->search.trials;
    if (i < 0) {
        for (int gi = 0; gi < g->nd * g->nc && !st; gi++) {
            st = rnl_search_write(&g->search[gi], group_runs(g, gi));
            if (!st) st = release_seeds(g, gi);
        }
        /* The figures of groups finished before are drawn at the end (or were already). */
        return st ? st : write_reports(g, FIG_NONE, 0);
    }
    const int gi = g->runs[i].group;
    rnl_run *r = group_runs(g, gi);
    if (i - gi * g->per < T) {
        st = rnl_search_write(&g->search[gi], r);
        if (!st) st = release_seeds(g, gi);
    }
    if (!st) st = write_reports(g, rnl_runs_finished(r, g->per) ? gi / g->nc : FIG_NONE, 0);
    return st;
}

/* Data set d x unit c: its search (trials read back) and its seed runs, blocked until the
 * search is over. */
static rnl_status prepare_group(grid *g, int gi) {
    const rnl_reproduce_opts *o = g->opt;
    const int d = gi / g->nc, c = gi % g->nc, T = o->search.trials;
    rnl_search_opts *s = &g->search[gi];
    *s = o->search;
    snprintf(s->train.data, sizeof s->train.data, "%s", g->data[d]);
    s->train.cell = g->cells[c];
    /* The grid gives data and cell: a task's defaults (text: cell lstm) must not replace them. */
    for (int k = 0; k < rnl_train_noptions; k++)
        if (rnl_train_options[k].set_by & RNL_SET_BY_GRID) s->train.given |= 1ull << k;
    char name[TAG_MAX + 16];
    snprintf(name, sizeof name, "%s-%s", g->tag[d], rnl_cell_name(g->cells[c]));
    rnl_status st = rnl_path_join(s->out, sizeof s->out, o->out, name);
    if (!st) st = rnl_dir_lock(s->out, "reproduce", &g->lock[1 + gi]);
    rnl_run *r = group_runs(g, gi);
    if (!st) st = rnl_search_prepare(s, r, 1, 0);
    for (int j = 0; j < g->per && !st; j++) {
        char lab[64];
        if (j >= T) {
            r[j] = r[0];
            r[j].state = RNL_RUN_PENDING;
            r[j].blocked = 1;
            r[j].o.lr = 0;
            r[j].o.seed = rnl_search_run_seed(o->search.seed, 1, j - T);
            r[j].epochs = r[j].best_epoch = 0;
            r[j].seconds = r[j].train_nll = r[j].valid_nll = r[j].test_nll = NAN;
            r[j].train_seq = r[j].valid_seq = r[j].test_seq = NAN;
            r[j].error[0] = 0;
            snprintf(lab, sizeof lab, "seed-%d", j - T + 1);
            if ((st = rnl_path_join(r[j].o.out, sizeof r[j].o.out, s->out, lab))) break;
        } else {
            snprintf(lab, sizeof lab, "%s", r[j].label);
        }
        r[j].group = gi;
        snprintf(r[j].label, sizeof r[j].label, "%s/%s", name, lab);
    }
    return st;
}

static void grid_free(grid *g) {
    for (size_t i = 0; i < sizeof g->lock / sizeof *g->lock; i++) rnl_dir_unlock(g->lock[i]);
    free(g->runs);
    free(g->search);
    free(g);
}

rnl_status rnl_reproduce(const rnl_reproduce_opts *o, const char *exe, const rnl_runs_sink *sink, int *figures) {
    if (!o->out[0]) return rnl_fail(RNL_ERR_USAGE, "reproduce: --out DIR is required");
    if (o->seeds < 1) return rnl_fail(RNL_ERR_USAGE, "reproduce: --seeds must be at least 1");
    grid *g = calloc(1, sizeof *g);
    if (!g) return rnl_fail(RNL_ERR_NOMEM, "out of memory for the grid");
    g->opt = o;
    g->sink = sink;
    rnl_status st = grid_lists(g);
    for (int d = 0; d < g->nd && !st; d++) {
        char path[4200];
        st = rnl_data_resolve(g->data[d], o->search.train.data_root[0] ? o->search.train.data_root : NULL, path,
                              sizeof path);
        if (!st) st = grid_speech(g, d, path);
        g->text[d] = !st && rnl_dataset_is_text(g->data[d], o->search.train.data_root[0] ? o->search.train.data_root : NULL);
    }
    if (!st) st = rnl_dir_lock(o->out, "reproduce", &g->lock[0]);
    if (!st) st = rnl_reproduce_check(o);
    const int T = o->search.trials, G = g->nd * g->nc;
    g->per = T + o->seeds;
    if (!st) {
        g->runs = calloc((size_t)G * (size_t)g->per, sizeof *g->runs);
        g->search = calloc((size_t)G, sizeof *g->search);
        if (!g->runs || !g->search) st = rnl_fail(RNL_ERR_NOMEM, "out of memory for the grid");
    }
    for (int gi = 0; gi < G && !st; gi++) st = prepare_group(g, gi);
    if (!st) st = rnl_reproduce_write_config(o);
    g->res = (rnl_grid_results){g->nd, g->nc, g->data, g->tags, g->cells, T, o->seeds, g->per, g->runs,
                                o->search.log_lo, o->search.log_hi, o->out, g->speech, g->text};
    if (!st)
        rnl_runs_say(sink, RNL_RUNS_NOTE, "reproduce: %d data set(s) x %d unit(s): %d search trials + %d seed runs "
                     "each, %d at a time, into %s", g->nd, g->nc, T, o->seeds, o->search.jobs, o->out);
    if (!st) st = rnl_runs_execute(exe, g->runs, G * g->per, o->search.jobs, grid_cb, g, sink);
    if (!st) st = write_reports(g, -1, 1);
    if (!st && figures) *figures = !g->gnuplot_missing;
    grid_free(g);
    return st;
}
