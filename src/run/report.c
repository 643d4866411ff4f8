/* report.c — the grid's tables: table1.md (units and parameters, measured next to the
 * paper's Table 1), table2.md and table2.csv (NLL per data set and unit: the seed runs' mean
 * and standard deviation next to the paper's Table 2, and the searches' details), in both
 * conventions: pooled over frames (the paper's stated metric) and the mean over sequences of
 * each one's NLL per frame. */
#include "run/report.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/speech.h"
#include "io/util.h"

/* ================================================================ the paper ========= */

typedef struct {
    const char *name, *title;
    double train[3], test[3]; /* columns: tanh, GRU, LSTM (cell_look.col) */
} paper_row;

/* Table 2 of the paper: train / test NLL. */
static const paper_row PAPER[] = {
    {"nottingham", "Nottingham", {3.22, 2.79, 3.08}, {3.13, 3.23, 3.20}},
    {"jsb", "JSB Chorales", {8.82, 6.94, 8.15}, {9.10, 8.54, 8.67}},
    {"musedata", "MuseData", {5.64, 5.06, 5.18}, {6.23, 5.99, 6.23}},
    {"piano", "Piano-midi", {5.64, 4.93, 6.49}, {9.03, 8.82, 9.03}},
};

/* Table 2 of the paper, its speech rows: Ubisoft A and B, a private data set (paper.md §2),
 * in a unit the paper states only as "average negative log-probability". */
static const paper_row PAPER_SPEECH[] = {
    {"ubisoft_a", "Ubisoft A", {6.29, 2.31, 1.44}, {6.44, 3.59, 2.70}},
    {"ubisoft_b", "Ubisoft B", {7.61, 0.38, 0.80}, {7.62, 0.88, 1.26}},
};
#define NPAPER_SPEECH ((int)(sizeof PAPER_SPEECH / sizeof *PAPER_SPEECH))

/* The paper's row of a data set given by name (a path never matches). */
static const paper_row *paper_row_for(const char *data) {
    for (size_t i = 0; i < sizeof PAPER / sizeof *PAPER; i++)
        if (strcmp(PAPER[i].name, data) == 0) return &PAPER[i];
    return NULL;
}

/* The tasks of Table 1, in its order; a data set's task is that of its runs (grid_task). */
enum { TASK_MUSIC, TASK_SPEECH, TASK_TEXT, TASK_COUNT };
static const char *const TASK_NAME[] = {[TASK_MUSIC] = "music", [TASK_SPEECH] = "speech", [TASK_TEXT] = "text"};
_Static_assert(sizeof TASK_NAME / sizeof *TASK_NAME == TASK_COUNT, "a name per task");

/* How a unit appears in the tables. */
typedef struct {
    const char *title;                    /* "GRU" */
    int col;                              /* its column of paper_row */
    const char *paper[TASK_COUNT];        /* Table 1's units and parameters: the paper's for music
                                           * and speech, the budget rnnlab chose for text */
} cell_look;

/* Indexed by rnl_cell: a new unit without its row fails the static assert; a value outside
 * the enum is an internal error. Text: char-rnn's 2-layer LSTM of 128 on 65 symbols is the
 * budget, 231,680 recurrent parameters (src/run/options.c TABLE1, docs/TEXT.md). */
static const cell_look LOOKS[] = {
    [RNL_CELL_TANH] = {"tanh", 0, {"100 units, ≈20.1 K", "400 units, ≈168.4 K", "— (rnnlab: 2 × 267, budget 231,680)"}},
    [RNL_CELL_GRU] = {"GRU", 1, {"46 units, ≈20.2 K", "227 units, ≈168.9 K", "— (rnnlab: 2 × 150, budget 231,680)"}},
    [RNL_CELL_LSTM] = {"LSTM", 2, {"36 units, ≈19.8 K", "195 units, ≈169.1 K", "— (char-rnn: 2 × 128, 231,680)"}},
};
_Static_assert(sizeof LOOKS / sizeof *LOOKS == RNL_CELL_COUNT, "a row per unit");

static rnl_status look_of(rnl_cell c, const cell_look **out) {
    if ((unsigned)c >= RNL_CELL_COUNT) return rnl_fail(RNL_ERR_INTERNAL, "report: impossible unit %d", (int)c);
    *out = &LOOKS[c];
    return RNL_OK;
}

rnl_status rnl_report_cell_title(rnl_cell c, const char **title) {
    const cell_look *l = NULL;
    rnl_status st = look_of(c, &l);
    *title = st ? NULL : l->title;
    return st;
}

/* The looks of the grid's units, in look[0..nc-1]. */
static rnl_status looks_of(const rnl_grid_results *g, const cell_look **look, int max) {
    if (g->nc > max) return rnl_fail(RNL_ERR_INTERNAL, "report: %d units, at most %d", g->nc, max);
    rnl_status st = RNL_OK;
    for (int c = 0; c < g->nc && !st; c++) st = look_of(g->cells[c], &look[c]);
    return st;
}

#define MAX_CELLS 16

/* ================================================================ the grid's runs === */

const rnl_run *rnl_grid_group(const rnl_grid_results *g, int d, int c) {
    return g->runs + (size_t)(d * g->nc + c) * (size_t)g->per;
}

int rnl_grid_group_complete(const rnl_grid_results *g, int d, int c) {
    return rnl_runs_finished(rnl_grid_group(g, d, c), g->per);
}

const char *rnl_report_data_title(const rnl_grid_results *g, int d) {
    const paper_row *p = paper_row_for(g->data[d]);
    return p ? p->title : strcmp(g->data[d], "fsdd") == 0 ? "FSDD" : g->tag[d];
}

typedef struct {
    int n;            /* finished seed runs that converged */
    double train_m, train_s, valid_m, valid_s, test_m, test_s;       /* pooled over frames */
    double strain_m, strain_s, svalid_m, svalid_s, stest_m, stest_s; /* mean over sequences */
} seed_stats;

/* Mean and sample standard deviation (n - 1; 0 for one value, NAN for none). */
static void mean_std(const double *x, int n, double *m, double *s) {
    double a = 0, q = 0;
    for (int i = 0; i < n; i++) a += x[i];
    *m = n ? a / n : NAN;
    for (int i = 0; i < n; i++) q += (x[i] - *m) * (x[i] - *m);
    *s = n > 1 ? sqrt(q / (n - 1)) : n == 1 ? 0 : NAN;
}

static seed_stats group_stats(const rnl_grid_results *g, const rnl_run *r) {
    seed_stats s;
    double v[6][256];
    int n = 0;
    for (int j = 0; j < g->seeds && n < 256; j++) {
        const rnl_run *x = &r[g->trials + j];
        if (x->state != RNL_RUN_OK) continue;
        const double row[6] = {x->train_nll, x->valid_nll, x->test_nll, x->train_seq, x->valid_seq, x->test_seq};
        for (int k = 0; k < 6; k++) v[k][n] = row[k];
        n++;
    }
    s.n = n;
    mean_std(v[0], n, &s.train_m, &s.train_s);
    mean_std(v[1], n, &s.valid_m, &s.valid_s);
    mean_std(v[2], n, &s.test_m, &s.test_s);
    mean_std(v[3], n, &s.strain_m, &s.strain_s);
    mean_std(v[4], n, &s.svalid_m, &s.svalid_s);
    mean_std(v[5], n, &s.stest_m, &s.stest_s);
    return s;
}

/* ================================================================ speech ============ */

/* An NLL in nats per step in bits: per sample of the 16-bit signal (speech), per character
 * (text: nats / ln 2). */
typedef double (*bits_fn)(double nll, const rnl_grid_speech *sp);
static double speech_bits(double nll, const rnl_grid_speech *sp) {
    return rnl_speech_bits_per_sample(nll, sp->output, sp->std);
}
static double text_bits(double nll, const rnl_grid_speech *sp) {
    (void)sp;
    return nll / log(2.0);
}

/* The seed runs' train, valid and test NLL in bits (bits(nll, sp)), mean and sample standard
 * deviation over the runs (each run's NLL converted, then averaged). */
static seed_stats bits_stats(const rnl_grid_results *g, const rnl_run *r, bits_fn bits, const rnl_grid_speech *sp) {
    seed_stats s;
    double b[3][256];
    int n = 0;
    for (int j = 0; j < g->seeds && n < 256; j++) {
        const rnl_run *x = &r[g->trials + j];
        if (x->state != RNL_RUN_OK) continue;
        const double nll[3] = {x->train_nll, x->valid_nll, x->test_nll};
        for (int k = 0; k < 3; k++) b[k][n] = bits(nll[k], sp);
        n++;
    }
    s.n = n;
    mean_std(b[0], n, &s.train_m, &s.train_s);
    mean_std(b[1], n, &s.valid_m, &s.valid_s);
    mean_std(b[2], n, &s.test_m, &s.test_s);
    return s;
}

/* Data set d's row of the seed runs in bits, train / test mean ± std, the best test bold:
 * "| title (rnnlab, bits per <what>) |". */
static void bits_row(rnl_buf *md, const rnl_grid_results *g, int d, bits_fn bits, const char *what) {
    seed_stats bs[MAX_CELLS];
    int best_c = -1;
    for (int c = 0; c < g->nc; c++) {
        bs[c] = bits_stats(g, rnl_grid_group(g, d, c), bits, &g->speech[d]);
        if (bs[c].n && (best_c < 0 || bs[c].test_m < bs[best_c].test_m)) best_c = c;
    }
    rnl_buf_printf(md, "| %s (rnnlab, bits per %s) |", rnl_report_data_title(g, d), what);
    for (int c = 0; c < g->nc; c++) {
        const char *bo = c == best_c ? "**" : "";
        if (bs[c].n)
            rnl_buf_printf(md, " %.2f ± %.2f / %s%.2f ± %.2f%s |", bs[c].train_m, bs[c].train_s, bo, bs[c].test_m,
                           bs[c].test_s, bo);
        else
            rnl_buf_printf(md, " — |");
    }
    rnl_buf_printf(md, "\n");
}

/* Index among look[0..nc-1] of the lowest test value of row p (-1: none). */
static int paper_best_of(const paper_row *p, const cell_look *const *look, int nc) {
    int best = -1;
    for (int c = 0; c < nc; c++)
        if (best < 0 || p->test[look[c]->col] < p->test[look[best]->col]) best = c;
    return best;
}

/* A speech data set's rows under its nats row: bits per sample (the seed runs' mean ± std),
 * the paper's Ubisoft A and B rows, and a note on the units and the baseline into `notes`. */
static void speech_rows(rnl_buf *md, rnl_buf *notes, const rnl_grid_results *g, int d, const cell_look *const *look) {
    const rnl_grid_speech *sp = &g->speech[d];
    const char *title = rnl_report_data_title(g, d);
    bits_row(md, g, d, speech_bits, "sample");
    for (int k = 0; k < NPAPER_SPEECH; k++) {
        const paper_row *p = &PAPER_SPEECH[k];
        const int pb = paper_best_of(p, look, g->nc);
        rnl_buf_printf(md, "| %s (paper; other data) |", p->title);
        for (int c = 0; c < g->nc; c++) {
            const char *bo = c == pb ? "**" : "";
            rnl_buf_printf(md, " %.2f / %s%.2f%s |", p->train[look[c]->col], bo, p->test[look[c]->col], bo);
        }
        rnl_buf_printf(md, "\n");
    }
    double lb[3];
    for (int k = 0; k < 3; k++) lb[k] = rnl_speech_bits_per_sample(sp->lpc_nll[k], sp->output, sp->std);
    rnl_buf_printf(notes,
                   "\n%s (split scheme %s): the first row is the NLL in nats per predicted step of %d samples "
                   "standardised with the training split's std (%.6g), the second the same NLL as bits per sample "
                   "of the 16-bit signal, (nats/%d + ln(std · 32768)) / ln 2. The order-20 linear predictor "
                   "(`rnnlab baseline`, full residual covariance) on the same splits: train / valid / test "
                   "%.3f / %.3f / %.3f bits per sample (%.3f / %.3f / %.3f nats per step). The paper's Ubisoft A "
                   "and B rows are of a different, private data set, and the paper states their unit only as "
                   "\"average negative log-probability\": compare the order of the units, not the values.\n",
                   title, sp->scheme, sp->output, sp->std, sp->output, lb[0], lb[1], lb[2], sp->lpc_nll[0],
                   sp->lpc_nll[1], sp->lpc_nll[2]);
}

/* The CSV columns a speech row adds (bits per sample of the seed runs, the baseline, the
 * paper's Ubisoft rows); empty for music. */
#define SPEECH_CSV_HEADER                                                                                         \
    ",train_bits_mean,train_bits_std,valid_bits_mean,valid_bits_std,test_bits_mean,test_bits_std,"              \
    "lpc_train_nll,lpc_valid_nll,lpc_test_nll,lpc_train_bits,lpc_valid_bits,lpc_test_bits,"                     \
    "paper_a_train,paper_a_test,paper_b_train,paper_b_test"
#define SPEECH_CSV_COLUMNS 16

/* A text data set's row under its nats row: bits per character, and its note into `notes`. */
static void text_rows(rnl_buf *md, rnl_buf *notes, const rnl_grid_results *g, int d) {
    bits_row(md, g, d, text_bits, "character");
    rnl_buf_printf(notes,
                   "\n%s (text): the first row is the NLL in nats per predicted character (the softmax head; each "
                   "split evaluated as one stream, the state carried throughout), the second the same NLL in bits "
                   "per character, nats / ln 2. Every run takes the text defaults (char-rnn's: 2 layers, --bptt 50, "
                   "--batch 50, no momentum, no weight noise, --clip 5, 50 epochs; docs/TEXT.md) at its unit's "
                   "Table 1 size; the paper has no text task.\n",
                   rnl_report_data_title(g, d));
}

/* The CSV columns a text row adds (bits per character of the seed runs); empty otherwise. */
#define TEXT_CSV_HEADER ",train_bpc_mean,train_bpc_std,valid_bpc_mean,valid_bpc_std,test_bpc_mean,test_bpc_std"
#define TEXT_CSV_COLUMNS 6

static void text_csv(rnl_buf *csv, const rnl_grid_results *g, int d, int c) {
    double v[TEXT_CSV_COLUMNS];
    for (int i = 0; i < TEXT_CSV_COLUMNS; i++) v[i] = NAN;
    if (g->text[d]) {
        const seed_stats b = bits_stats(g, rnl_grid_group(g, d, c), text_bits, &g->speech[d]);
        const double w[TEXT_CSV_COLUMNS] = {b.train_m, b.train_s, b.valid_m, b.valid_s, b.test_m, b.test_s};
        memcpy(v, w, sizeof v);
    }
    for (int i = 0; i < TEXT_CSV_COLUMNS; i++) {
        rnl_buf_printf(csv, ",");
        if (isfinite(v[i])) rnl_buf_printf(csv, "%.6f", v[i]);
    }
}

static void speech_csv(rnl_buf *csv, const rnl_grid_results *g, int d, int c, const cell_look *look) {
    double v[SPEECH_CSV_COLUMNS];
    for (int i = 0; i < SPEECH_CSV_COLUMNS; i++) v[i] = NAN;
    const rnl_grid_speech *sp = &g->speech[d];
    if (sp->speech) {
        const seed_stats b = bits_stats(g, rnl_grid_group(g, d, c), speech_bits, sp);
        const double w[SPEECH_CSV_COLUMNS] = {
            b.train_m, b.train_s, b.valid_m, b.valid_s, b.test_m, b.test_s, sp->lpc_nll[0], sp->lpc_nll[1],
            sp->lpc_nll[2], rnl_speech_bits_per_sample(sp->lpc_nll[0], sp->output, sp->std),
            rnl_speech_bits_per_sample(sp->lpc_nll[1], sp->output, sp->std),
            rnl_speech_bits_per_sample(sp->lpc_nll[2], sp->output, sp->std), PAPER_SPEECH[0].train[look->col],
            PAPER_SPEECH[0].test[look->col], PAPER_SPEECH[1].train[look->col], PAPER_SPEECH[1].test[look->col]};
        memcpy(v, w, sizeof v);
    }
    for (int i = 0; i < SPEECH_CSV_COLUMNS; i++) {
        rnl_buf_printf(csv, ",");
        if (isfinite(v[i])) rnl_buf_printf(csv, "%.6f", v[i]);
    }
}

/* ================================================================ the tables ======== */

static rnl_status write_text(const char *dir, const char *name, rnl_buf *b) {
    char path[4200];
    rnl_status st = b->oom ? rnl_fail(RNL_ERR_NOMEM, "out of memory writing %s", name)
                           : rnl_path_join(path, sizeof path, dir, name);
    if (!st) st = rnl_write_file_atomic(path, b->p ? b->p : "", b->len);
    rnl_buf_free(b);
    return st;
}

/* Data set d's task: speech (a directory), text (a text file) or music (the rest). */
static int grid_task(const rnl_grid_results *g, int d) {
    return g->speech[d].speech ? TASK_SPEECH : g->text[d] ? TASK_TEXT : TASK_MUSIC;
}

static rnl_status write_table1(const rnl_grid_results *g) {
    const cell_look *look[MAX_CELLS];
    rnl_status st = looks_of(g, look, MAX_CELLS);
    if (st) return st;
    rnl_buf b = {0};
    int has[TASK_COUNT] = {0};
    for (int d = 0; d < g->nd; d++) has[grid_task(g, d)] = 1;
    rnl_buf_printf(&b, "# Table 1 — units and parameters\n\n"
                       "Recurrent-layer parameters as the paper counts them (input and recurrent weights, "
                       "biases, LSTM peepholes; the output layer excluded), measured by rnnlab "
                       "(`params_recurrent` of summary.json, every layer), next to the paper's Table 1. "
                       "`params_total` adds the output layer (music: 88 sigmoid units; speech: the mixture; "
                       "text: the softmax over the vocabulary).\n\n"
                       "| task | unit | units (rnnlab) | params_recurrent (rnnlab) | params_total (rnnlab) | paper |\n"
                       "|---|---|---|---|---|---|\n");
    for (int k = 0; k < TASK_COUNT; k++)
        for (int c = 0; c < g->nc && has[k]; c++) {
            const rnl_run *found = NULL;
            for (int d = 0; d < g->nd && !found; d++) {
                const rnl_run *r = rnl_grid_group(g, d, c);
                for (int j = 0; j < g->per && !found && grid_task(g, d) == k; j++)
                    if (r[j].state == RNL_RUN_OK && r[j].params_recurrent > 0) found = &r[j];
            }
            rnl_buf_printf(&b, "| %s | %s |", TASK_NAME[k], look[c]->title);
            if (found)
                rnl_buf_printf(&b, " %ld | %ld | %ld |", found->hidden, found->params_recurrent, found->params_total);
            else
                rnl_buf_printf(&b, " — | — | — |");
            rnl_buf_printf(&b, " %s |\n", look[c]->paper[k]);
        }
    if (has[TASK_MUSIC])
        rnl_buf_printf(&b, "\nMusic: the paper's counts imply about 100 input units (its piano rolls are 93 to 108 keys "
                           "wide); rnnlab's inputs are the 88 keys of the .mat files, so its input matrices W are "
                           "smaller while the hidden sizes, the recurrent matrices U, the biases and the peepholes are "
                           "the same.\n");
    if (has[TASK_TEXT])
        rnl_buf_printf(&b, "\nText is not in the paper: the budget is char-rnn's default model, a 2-layer LSTM of 128 "
                           "units, 231,680 recurrent parameters on Tiny Shakespeare's 65 symbols; GRU and tanh take "
                           "the sizes whose 2-layer count is nearest (GRU 150: 232,650; tanh 267: 231,756; "
                           "docs/TEXT.md). Another text file's vocabulary changes the input matrices W only.\n");
    return write_text(g->out, "table1.md", &b);
}

static rnl_status write_table2(const rnl_grid_results *g) {
    const cell_look *look[MAX_CELLS];
    rnl_status st = looks_of(g, look, MAX_CELLS);
    if (st) return st;
    const int T = g->trials;
    rnl_buf md = {0}, csv = {0};
    rnl_buf_printf(&md, "# Table 2 — negative log-likelihood per predicted frame (nats), train / test\n\n"
                        "rnnlab: mean ± standard deviation over %d training runs (seeds) at each unit's "
                        "best learning rate from a %d-trial random search (log-uniform, natural log, "
                        "U(%g, %g)); the search's own best trial is not one of them. The paper: one number "
                        "per cell. Bold: the best test NLL of the row.\n\n",
                    g->seeds, T, g->log_lo, g->log_hi);
    rnl_buf_printf(&md, "| data set |");
    for (int c = 0; c < g->nc; c++) rnl_buf_printf(&md, " %s |", look[c]->title);
    rnl_buf_printf(&md, "\n|---|");
    for (int c = 0; c < g->nc; c++) rnl_buf_printf(&md, "---|");
    rnl_buf_printf(&md, "\n");
    rnl_buf_printf(&csv, "data,cell,hidden,params_recurrent,lr,trials_ok,trials_failed,seeds_ok,train_mean,train_std,"
                         "valid_mean,valid_std,test_mean,test_std,best_trial_train,best_trial_valid,"
                         "best_trial_test,paper_train,paper_test,train_seq_mean,train_seq_std,valid_seq_mean,"
                         "valid_seq_std,test_seq_mean,test_seq_std" SPEECH_CSV_HEADER TEXT_CSV_HEADER
                         ",search_seconds,seed_seconds\n");
    rnl_buf notes = {0}, timing = {0};
    /* The same runs in the other convention: the mean over sequences of their NLL per frame. */
    rnl_buf seq = {0};
    rnl_buf_printf(&seq, "\nThe same seed runs, NLL as the mean over sequences of each one's NLL per predicted "
                         "frame (summary.json's `*_nll_seq_mean`; not the paper's stated metric), train / test:\n\n"
                         "| data set |");
    for (int c = 0; c < g->nc; c++) rnl_buf_printf(&seq, " %s |", look[c]->title);
    rnl_buf_printf(&seq, "\n|---|");
    for (int c = 0; c < g->nc; c++) rnl_buf_printf(&seq, "---|");
    rnl_buf_printf(&seq, "\n");
    rnl_buf details = {0};
    rnl_buf_printf(&details, "\nSearch and seed runs:\n\n| data set | unit | best lr | trials ok / diverged | "
                             "best trial: valid / test | seed runs ok | seed best epochs | seed valid |\n"
                             "|---|---|---|---|---|---|---|---|\n");
    for (int d = 0; d < g->nd; d++) {
        const paper_row *p = paper_row_for(g->data[d]);
        const char *title = rnl_report_data_title(g, d);
        seed_stats ss[MAX_CELLS];
        int best_c = -1, paper_best = -1;
        for (int c = 0; c < g->nc; c++) {
            ss[c] = group_stats(g, rnl_grid_group(g, d, c));
            if (ss[c].n && (best_c < 0 || ss[c].test_m < ss[best_c].test_m)) best_c = c;
            if (p && (paper_best < 0 || p->test[look[c]->col] < p->test[look[paper_best]->col])) paper_best = c;
        }
        rnl_buf_printf(&md, "| %s (rnnlab%s) |", title,
                       g->speech[d].speech ? ", nats per step" : g->text[d] ? ", nats per character" : "");
        rnl_buf_printf(&seq, "| %s (rnnlab) |", title);
        int best_s = -1;
        for (int c = 0; c < g->nc; c++)
            if (ss[c].n && isfinite(ss[c].stest_m) && (best_s < 0 || ss[c].stest_m < ss[best_s].stest_m)) best_s = c;
        for (int c = 0; c < g->nc; c++) {
            if (!ss[c].n) {
                rnl_buf_printf(&md, " — |");
                rnl_buf_printf(&seq, " — |");
                continue;
            }
            const char *bo = c == best_c ? "**" : "", *bs = c == best_s ? "**" : "";
            rnl_buf_printf(&md, " %.2f ± %.2f / %s%.2f ± %.2f%s |", ss[c].train_m, ss[c].train_s, bo, ss[c].test_m,
                           ss[c].test_s, bo);
            rnl_buf_printf(&seq, " %.2f ± %.2f / %s%.2f ± %.2f%s |", ss[c].strain_m, ss[c].strain_s, bs,
                           ss[c].stest_m, ss[c].stest_s, bs);
        }
        rnl_buf_printf(&md, "\n");
        rnl_buf_printf(&seq, "\n");
        if (p) {
            rnl_buf_printf(&md, "| %s (paper) |", title);
            for (int c = 0; c < g->nc; c++) {
                const int pc = look[c]->col;
                const char *bo = c == paper_best ? "**" : "";
                rnl_buf_printf(&md, " %.2f / %s%.2f%s |", p->train[pc], bo, p->test[pc], bo);
            }
            rnl_buf_printf(&md, "\n");
        }
        if (g->speech[d].speech) speech_rows(&md, &notes, g, d, look);
        if (g->text[d]) text_rows(&md, &notes, g, d);
        double dsec[2] = {0, 0}; /* run-seconds of d: search trials, seed runs */
        for (int c = 0; c < g->nc; c++) {
            const rnl_run *r = rnl_grid_group(g, d, c);
            const int pc = look[c]->col, searched = rnl_runs_finished(r, T);
            int ok = 0, failed = 0, bi = rnl_runs_best(r, T);
            for (int k = 0; k < T; k++) {
                ok += r[k].state == RNL_RUN_OK;
                failed += r[k].state == RNL_RUN_FAILED;
            }
            const rnl_run *bt = bi >= 0 ? &r[bi] : NULL;
            long hidden = 0, prec = 0;
            for (int j = 0; j < g->per; j++)
                if (r[j].state == RNL_RUN_OK) {
                    hidden = r[j].hidden;
                    prec = r[j].params_recurrent;
                }
            rnl_buf_printf(&csv, "%s,%s,", g->tag[d], rnl_cell_name(g->cells[c]));
            if (prec) rnl_buf_printf(&csv, "%ld,%ld", hidden, prec);
            else rnl_buf_printf(&csv, ",");
            rnl_buf_printf(&csv, ",");
            if (bt && searched) rnl_buf_json_number(&csv, bt->o.lr);
            rnl_buf_printf(&csv, ",%d,%d,%d", ok, failed, ss[c].n);
            const double v[] = {ss[c].train_m, ss[c].train_s, ss[c].valid_m, ss[c].valid_s, ss[c].test_m, ss[c].test_s,
                                bt ? bt->train_nll : NAN, bt ? bt->valid_nll : NAN, bt ? bt->test_nll : NAN,
                                p ? p->train[pc] : NAN, p ? p->test[pc] : NAN, ss[c].strain_m, ss[c].strain_s,
                                ss[c].svalid_m, ss[c].svalid_s, ss[c].stest_m, ss[c].stest_s};
            for (size_t i = 0; i < sizeof v / sizeof *v; i++) {
                rnl_buf_printf(&csv, ",");
                if (isfinite(v[i])) rnl_buf_printf(&csv, "%.6f", v[i]);
            }
            speech_csv(&csv, g, d, c, look[c]);
            text_csv(&csv, g, d, c);
            double sec[2] = {0, 0};
            for (int j = 0; j < g->per; j++)
                if (rnl_run_finished(&r[j]) && isfinite(r[j].seconds)) sec[j >= T] += r[j].seconds;
            rnl_buf_printf(&csv, ",%.3f,%.3f\n", sec[0], sec[1]);
            dsec[0] += sec[0];
            dsec[1] += sec[1];
            rnl_buf_printf(&details, "| %s | %s |", title, look[c]->title);
            if (bt && searched) rnl_buf_printf(&details, " %.3g |", bt->o.lr);
            else rnl_buf_printf(&details, " (searching) |");
            rnl_buf_printf(&details, " %d / %d of %d |", ok, failed, T);
            if (bt) rnl_buf_printf(&details, " %.3f / %.3f |", bt->valid_nll, bt->test_nll);
            else rnl_buf_printf(&details, " — |");
            rnl_buf_printf(&details, " %d of %d |", ss[c].n, g->seeds);
            for (int j = 0; j < g->seeds; j++) {
                const rnl_run *x = &r[T + j];
                if (x->state == RNL_RUN_OK) rnl_buf_printf(&details, "%s%d", j ? ", " : " ", x->best_epoch);
                else rnl_buf_printf(&details, "%s%s", j ? ", " : " ", x->state == RNL_RUN_FAILED ? "diverged" : "—");
            }
            if (ss[c].n) rnl_buf_printf(&details, " | %.3f ± %.3f |\n", ss[c].valid_m, ss[c].valid_s);
            else rnl_buf_printf(&details, " | — |\n");
        }
        rnl_buf_printf(&timing, "%s %s: %.0f s (search trials %.0f s, seed runs %.0f s)", d ? ";" : "", title,
                       dsec[0] + dsec[1], dsec[0], dsec[1]);
    }
    rnl_buf_append(&md, notes.p ? notes.p : "", notes.len);
    rnl_buf_free(&notes);
    rnl_buf_append(&md, seq.p ? seq.p : "", seq.len);
    rnl_buf_append(&md, details.p ? details.p : "", details.len);
    rnl_buf_free(&seq);
    rnl_buf_free(&details);
    rnl_buf_printf(&md, "\nRun-seconds (the finished runs' own training wall-clock seconds, summed):%s.\n",
                   timing.p ? timing.p : "");
    rnl_buf_free(&timing);
    st = write_text(g->out, "table2.md", &md);
    if (!st) st = write_text(g->out, "table2.csv", &csv);
    else rnl_buf_free(&csv);
    return st;
}

rnl_status rnl_report_tables(const rnl_grid_results *g) {
    rnl_status st = write_table1(g);
    return st ? st : write_table2(g);
}
