/* options.c — the one table of run options (see options.h) and the functions generated from
 * it: defaults, canonical text, parsing with one range, comparison, JSON, metadata, and the
 * check that an option applies where it is used. */
#include "run/options.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ================================================================ the tables ========= */

#define T_(field) offsetof(rnl_train_opts, field)
#define S_(field) offsetof(rnl_search_opts, field)
#define G_(field) offsetof(rnl_reproduce_opts, field)
#define BIG 100000000.0

/* The training run. Defaults: the paper's protocol (README "Training protocol"). */
const rnl_option rnl_train_options[] = {
    {"data", RNL_OPT_TEXT, T_(data), 0, 0, 0, "", NULL, RNL_APPLY_ALL, NULL, RNL_ROLE_FIXED,
     RNL_SET_BY_GRID, "data set: jsb, nottingham, musedata, piano, fsdd, tinyshakespeare, a .mat file, a speech directory or a text file (required)"},
    {"data_root", RNL_OPT_TEXT, T_(data_root), 0, 0, 0, "", NULL, RNL_APPLY_ALL, NULL, RNL_ROLE_FIXED, 0,
     "where named data sets live (else $RNNLAB_DATA, ./data, ../shared/data)"},
    {"split_scheme", RNL_OPT_CHOICE, T_(split_scheme), 0, 0, 0, "index", "index|speaker", RNL_APPLY_SPEECH | RNL_APPLY_CELLS,
     NULL, RNL_ROLE_FIXED, 0, "speech split: index (FSDD takes 0-4 test, 5-9 valid) or speaker"},
    {"split", RNL_OPT_TEXT, T_(split), 0, 0, 0, "90/5/5", NULL, RNL_APPLY_TEXT | RNL_APPLY_CELLS, NULL, RNL_ROLE_FIXED,
     0, "text split: TRAIN/VALID/TEST percentages of the file, contiguous in file order"},
    {"cell", RNL_OPT_CELL, T_(cell), 0, 0, RNL_CELL_GRU, NULL, NULL, RNL_APPLY_ALL, NULL, RNL_ROLE_FIXED,
     RNL_SET_BY_GRID, "recurrent unit: tanh, gru, lstm"},
    {"variant", RNL_OPT_VARIANT, T_(variant), 0, 0, RNL_VARIANT_PAPER, NULL, NULL, RNL_APPLY_ALL, NULL,
     RNL_ROLE_FIXED, 0, "unit equations: paper or pytorch (torch.nn.GRU/LSTM; the two tanh forms are one)"},
    {"layers", RNL_OPT_INT, T_(layers), 1, 16, 1, NULL, NULL, RNL_APPLY_ALL, NULL, RNL_ROLE_FIXED, 0,
     "stacked recurrent layers"},
    {"hidden", RNL_OPT_INT, T_(hidden), 0, 65536, 0, NULL, NULL, RNL_APPLY_ALL, NULL, RNL_ROLE_FIXED, 0,
     "hidden units (0 = Table 1's size, of equal parameter budget: music tanh 100, gru 46, lstm 36; "
     "speech 400, 227, 195; text 267, 150, 128, char-rnn's 2 x 128 LSTM's budget, docs/TEXT.md)"},
    {"mixtures", RNL_OPT_INT, T_(mixtures), 0, 1024, 0, NULL, NULL, RNL_APPLY_ALL, NULL, RNL_ROLE_FIXED, 0,
     "components of the output mixture, for data with a mixture head (speech: the discretised MoG; real-valued "
     ".npz: the continuous Gaussian mixture) (0 = the data's own: speech 20, .npz 5)"},
    {"protocol", RNL_OPT_CHOICE, T_(protocol), 0, 0, 0, "paper", "paper|authors", RNL_APPLY_ALL, NULL, RNL_ROLE_FIXED,
     0, "defaults of the options not given: paper (the rows' defaults; --lr from the grid) or authors (the released "
     "code: --rmsprop authors --rms-floor 0.01 --step-clip 1 --clip 0 --lr 0.001 --lr-decay-epochs 500 --loss-weight "
     "sum --max-epochs 500 --patience 500); an option given explicitly wins"},
    {"lr", RNL_OPT_REAL, T_(lr), 1e-12, 10, 1e-3, NULL, NULL, RNL_APPLY_ALL, NULL, RNL_ROLE_FIXED,
     RNL_SET_BY_SEARCH, "RMSProp learning rate; not given: the grid's choice for jsb, nottingham, musedata, piano and "
     "the unit (README, docs/results/table2.csv), else this"},
    {"lr_decay_epochs", RNL_OPT_INT, T_(lr_decay_epochs), 0, BIG, 0, NULL, NULL, RNL_APPLY_ALL, NULL, RNL_ROLE_FIXED, 0,
     "decay lr linearly over this many epochs (0 = constant)"},
    {"lr_final", RNL_OPT_REAL, T_(lr_final), 0, 1, 0.01, NULL, NULL, RNL_APPLY_ALL, "lr_decay_epochs", RNL_ROLE_FIXED, 0,
     "with --lr-decay-epochs: final lr as a fraction of --lr"},
    {"batch", RNL_OPT_INT, T_(batch), 1, 100000, 1, NULL, NULL, RNL_APPLY_ALL, NULL, RNL_ROLE_FIXED, 0,
     "sequences per update (text: parallel streams of the training text)"},
    {"loss_weight", RNL_OPT_CHOICE, T_(loss_weight), 0, 0, 0, "sequence", "sequence|frame|sum", RNL_APPLY_ALL, NULL,
     RNL_ROLE_FIXED, 0, "an update's summed NLL divided by its frames (sequence: every sequence weighs the same), by "
     "batch x the mean frames per training sequence (frame: every frame weighs the same), or by 1 (sum)"},
    {"max_epochs", RNL_OPT_INT, T_(max_epochs), 1, BIG, 200, NULL, NULL, RNL_APPLY_ALL, NULL, RNL_ROLE_STOPPING, 0,
     "epoch budget (train --resume may raise or lower it)"},
    {"patience", RNL_OPT_INT, T_(patience), 1, BIG, 20, NULL, NULL, RNL_APPLY_ALL, NULL, RNL_ROLE_STOPPING, 0,
     "epochs without a better validation NLL before stopping (train --resume may change it)"},
    {"weight_noise", RNL_OPT_REAL, T_(weight_noise), 0, 10, 0.075, NULL, NULL, RNL_APPLY_ALL, NULL, RNL_ROLE_FIXED, 0,
     "std of Gaussian noise on W and U, one draw per update = per forward pass (batch 1: per sequence) (0 = off)"},
    {"dropout", RNL_OPT_REAL, T_(dropout), 0, 0.999999, 0, NULL, NULL, RNL_APPLY_ALL, NULL, RNL_ROLE_FIXED, 0,
     "probability of dropping each unit of every layer's output on its way up (to the next layer and to the "
     "output layer; never the recurrent state), inverted (kept units x 1/(1-P)), a fresh mask per update and "
     "step; off when evaluating and sampling (0 = off)"},
    {"clip", RNL_OPT_REAL, T_(clip), 0, 1e30, 1.0, NULL, NULL, RNL_APPLY_ALL, NULL, RNL_ROLE_FIXED, 0,
     "global gradient-norm threshold (0 = off)"},
    {"decay", RNL_OPT_REAL, T_(decay), 0, 0.999999, 0.95, NULL, NULL, RNL_APPLY_ALL, NULL, RNL_ROLE_FIXED, 0,
     "RMSProp decay of the mean square"},
    {"momentum", RNL_OPT_REAL, T_(momentum), 0, 0.999999, 0.9, NULL, NULL, RNL_APPLY_ALL, NULL, RNL_ROLE_FIXED, 0,
     "RMSProp momentum"},
    {"eps", RNL_OPT_REAL, T_(eps), 1e-30, 1, 1e-8, NULL, NULL, RNL_APPLY_ALL, NULL, RNL_ROLE_FIXED, 0,
     "RMSProp epsilon added to the root mean square (not with --rms-floor)"},
    {"rms_floor", RNL_OPT_REAL, T_(rms_floor), 0, 1, 0, NULL, NULL, RNL_APPLY_ALL, NULL, RNL_ROLE_FIXED, 0,
     "RMSProp's root mean square floored at this instead of --eps added (0 = off; the authors' 0.01)"},
    {"rmsprop", RNL_OPT_CHOICE, T_(rmsprop), 0, 0, 0, "torch", "torch|authors", RNL_APPLY_ALL, NULL, RNL_ROLE_FIXED, 0,
     "momentum form: torch (buf = mu*buf + g/rms, step -lr*buf) or authors (v = mu*v - lr*g/rms, step v)"},
    {"step_clip", RNL_OPT_REAL, T_(step_clip), 0, 1e30, 0, NULL, NULL, RNL_APPLY_ALL, NULL, RNL_ROLE_FIXED, 0,
     "the applied step's global norm capped at this, the momentum buffer kept (0 = off; the authors' 1)"},
    {"forget_bias", RNL_OPT_REAL, T_(forget_bias), -100, 100, 0, NULL, NULL, RNL_APPLY_TASKS | RNL_APPLY_LSTM, NULL,
     RNL_ROLE_FIXED, 0, "initial LSTM forget-gate bias"},
    {"bptt", RNL_OPT_INT, T_(bptt), 0, BIG, 0, NULL, NULL, RNL_APPLY_ALL, NULL, RNL_ROLE_FIXED, 0,
     "truncated BPTT window in steps (0 = whole sequences)"},
    {"seed", RNL_OPT_SEED, T_(seed), 0, 4294967294.0, 1, NULL, NULL, RNL_APPLY_ALL, NULL, RNL_ROLE_FIXED,
     RNL_SET_BY_SEARCH, "seed of initialisation, shuffling and noise"},
    {"threads", RNL_OPT_INT, T_(threads), 1, 1024, 1, NULL, NULL, RNL_APPLY_ALL, NULL, RNL_ROLE_FIXED,
     RNL_SET_BY_SEARCH, "threads of the large products (OpenMP, OpenBLAS)"},
    {"out", RNL_OPT_TEXT, T_(out), 0, 0, 0, "", NULL, RNL_APPLY_ALL, NULL, RNL_ROLE_SESSION, RNL_SET_BY_SEARCH,
     "output directory (required)"},
    {"force", RNL_OPT_FLAG, T_(force), 0, 1, 0, NULL, NULL, RNL_APPLY_ALL, NULL, RNL_ROLE_SESSION, RNL_SET_BY_SEARCH,
     "replace the run that --out holds (its files are removed first)"},
    {"quiet", RNL_OPT_FLAG, T_(quiet), 0, 1, 0, NULL, NULL, RNL_APPLY_ALL, NULL, RNL_ROLE_SESSION, RNL_SET_BY_SEARCH,
     "no progress line"},
};
const int rnl_train_noptions = (int)(sizeof rnl_train_options / sizeof *rnl_train_options);
_Static_assert(sizeof rnl_train_options / sizeof *rnl_train_options <= 64, "given is a 64-bit mask");

/* The search's own settings; its trials take the rows of rnl_train_options not set by it. */
const rnl_option rnl_search_options[] = {
    {"trials", RNL_OPT_INT, S_(trials), 1, 100000, 10, NULL, NULL, RNL_APPLY_ALL, NULL, RNL_ROLE_FIXED, 0,
     "learning rates tried"},
    {"lr_log_range", RNL_OPT_RANGE, S_(log_lo), -27.631021115928547, 2.302585092994046, 0, "-12:-6", NULL, RNL_APPLY_ALL, NULL, RNL_ROLE_FIXED, 0,
     "LO:HI: learning rates log-uniform, exp(U(LO, HI)), natural log (within train's --lr range)"},
    {"seed", RNL_OPT_SEED, S_(seed), 0, 4294967294.0, 1, NULL, NULL, RNL_APPLY_ALL, NULL, RNL_ROLE_FIXED, 0,
     "seed of the learning-rate draws and of the runs' training seeds"},
    {"jobs", RNL_OPT_INT, S_(jobs), 1, 1024, 2, NULL, NULL, RNL_APPLY_ALL, NULL, RNL_ROLE_SESSION, 0,
     "runs at once (one thread each; under mpirun: one per rank)"},
    {"out", RNL_OPT_TEXT, S_(out), 0, 0, 0, "", NULL, RNL_APPLY_ALL, NULL, RNL_ROLE_SESSION, RNL_SET_BY_GRID,
     "output directory (required)"},
    {"quiet", RNL_OPT_FLAG, S_(quiet), 0, 1, 0, NULL, NULL, RNL_APPLY_ALL, NULL, RNL_ROLE_SESSION, 0,
     "no progress lines"},
};
const int rnl_search_noptions = (int)(sizeof rnl_search_options / sizeof *rnl_search_options);

/* The grid's own settings; each of its searches takes the rows above not set by the grid. */
const rnl_option rnl_grid_options[] = {
    {"datasets", RNL_OPT_TEXT, G_(datasets), 0, 0, 0, "jsb,nottingham,musedata,piano", NULL, RNL_APPLY_ALL, NULL,
     RNL_ROLE_FIXED, 0, "comma-separated data sets (names, .mat files, speech directories or text files)"},
    {"cells", RNL_OPT_TEXT, G_(cells), 0, 0, 0, "tanh,gru,lstm", NULL, RNL_APPLY_ALL, NULL, RNL_ROLE_FIXED, 0,
     "comma-separated units"},
    {"seeds", RNL_OPT_INT, G_(seeds), 1, 1000, 3, NULL, NULL, RNL_APPLY_ALL, NULL, RNL_ROLE_FIXED, 0,
     "further runs at each best learning rate (Table 2's mean and std)"},
    {"out", RNL_OPT_TEXT, G_(out), 0, 0, 0, "", NULL, RNL_APPLY_ALL, NULL, RNL_ROLE_SESSION, 0,
     "output directory (required)"},
};
const int rnl_grid_noptions = (int)(sizeof rnl_grid_options / sizeof *rnl_grid_options);

/* ================================================================ rows =============== */

const rnl_option *rnl_option_find(const rnl_option *tab, int n, const char *name) {
    char cli[128];
    for (int i = 0; i < n; i++)
        if (strcmp(tab[i].key, name) == 0 || strcmp(rnl_option_cli_name(&tab[i], cli, sizeof cli), name) == 0)
            return &tab[i];
    return NULL;
}

const char *rnl_option_cli_name(const rnl_option *o, char *buf, size_t n) {
    snprintf(buf, n, "--%s", o->key);
    for (char *p = buf + 2; *p; p++)
        if (*p == '_') *p = '-';
    return buf;
}

/* The shortest "%.Ng" text that reads back as exactly v. */
static void format_real(double v, char *buf, size_t n) {
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(buf, n, "%.*g", prec, v);
        if (strtod(buf, NULL) == v) return;
    }
}

#define FIELD(o, base, type) ((type *)((char *)(base) + (o)->offset))
#define CFIELD(o, base, type) ((const type *)((const char *)(base) + (o)->offset))

void rnl_options_defaults(const rnl_option *tab, int n, void *base) {
    for (int i = 0; i < n; i++) {
        const rnl_option *o = &tab[i];
        switch (o->type) {
        case RNL_OPT_INT:
        case RNL_OPT_FLAG: *FIELD(o, base, int) = (int)o->def; break;
        case RNL_OPT_REAL: *FIELD(o, base, double) = o->def; break;
        case RNL_OPT_SEED: *FIELD(o, base, uint64_t) = (uint64_t)o->def; break;
        case RNL_OPT_TEXT:
        case RNL_OPT_CHOICE: snprintf(FIELD(o, base, char), RNL_OPT_TEXT_MAX, "%s", o->def_text); break;
        case RNL_OPT_CELL: *FIELD(o, base, rnl_cell) = (rnl_cell)(int)o->def; break;
        case RNL_OPT_VARIANT: *FIELD(o, base, rnl_variant) = (rnl_variant)(int)o->def; break;
        case RNL_OPT_RANGE: {
            double *r = FIELD(o, base, double);
            char *end;
            r[0] = strtod(o->def_text, &end);
            r[1] = strtod(end + 1, NULL);
            break;
        }
        }
    }
}

void rnl_train_defaults(rnl_train_opts *o) {
    memset(o, 0, sizeof *o);
    rnl_options_defaults(rnl_train_options, rnl_train_noptions, o);
}

void rnl_search_defaults(rnl_search_opts *s) {
    memset(s, 0, sizeof *s);
    rnl_train_defaults(&s->train);
    rnl_options_defaults(rnl_search_options, rnl_search_noptions, s);
}

void rnl_reproduce_defaults(rnl_reproduce_opts *r) {
    memset(r, 0, sizeof *r);
    rnl_search_defaults(&r->search);
    rnl_options_defaults(rnl_grid_options, rnl_grid_noptions, r);
}

const char *rnl_option_format(const rnl_option *o, const void *base, char *buf, size_t n) {
    switch (o->type) {
    case RNL_OPT_INT:
    case RNL_OPT_FLAG: snprintf(buf, n, "%d", *CFIELD(o, base, int)); break;
    case RNL_OPT_REAL: format_real(*CFIELD(o, base, double), buf, n); break;
    case RNL_OPT_SEED: snprintf(buf, n, "%llu", (unsigned long long)*CFIELD(o, base, uint64_t)); break;
    case RNL_OPT_TEXT:
    case RNL_OPT_CHOICE: snprintf(buf, n, "%s", CFIELD(o, base, char)); break;
    case RNL_OPT_CELL: snprintf(buf, n, "%s", rnl_cell_name(*CFIELD(o, base, rnl_cell))); break;
    case RNL_OPT_VARIANT: snprintf(buf, n, "%s", rnl_variant_name(*CFIELD(o, base, rnl_variant))); break;
    case RNL_OPT_RANGE: {
        const double *r = CFIELD(o, base, double);
        char a[40], b[40];
        format_real(r[0], a, sizeof a);
        format_real(r[1], b, sizeof b);
        snprintf(buf, n, "%s:%s", a, b);
        break;
    }
    }
    return buf;
}

/* Is word one of the "|"-separated choices? */
static int is_choice(const char *choices, const char *word) {
    size_t n = strlen(word);
    for (const char *p = choices; *p;) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == n && strncmp(p, word, n) == 0) return 1;
        if (!bar) break;
        p = bar + 1;
    }
    return 0;
}

rnl_status rnl_option_parse(const rnl_option *o, void *base, const char *text, const char *where) {
    char name[160], what[4300];
    rnl_option_cli_name(o, name, sizeof name);
    snprintf(what, sizeof what, "%s%s%s", where ? where : "", where ? ": " : "", name);
    long l;
    double d;
    rnl_status st = RNL_OK;
    switch (o->type) {
    case RNL_OPT_INT:
        if (!(st = rnl_parse_long(text, (long)o->lo, (long)o->hi, what, &l))) *FIELD(o, base, int) = (int)l;
        break;
    case RNL_OPT_FLAG:
        if (!(st = rnl_parse_long(text, 0, 1, what, &l))) *FIELD(o, base, int) = (int)l;
        break;
    case RNL_OPT_REAL:
        if (!(st = rnl_parse_double(text, o->lo, o->hi, what, &d))) *FIELD(o, base, double) = d;
        break;
    case RNL_OPT_SEED:
        if (!(st = rnl_parse_long(text, (long)o->lo, (long)o->hi, what, &l))) *FIELD(o, base, uint64_t) = (uint64_t)l;
        break;
    case RNL_OPT_TEXT:
        if (strlen(text) >= RNL_OPT_TEXT_MAX) return rnl_fail(RNL_ERR_USAGE, "%s: value too long", what);
        snprintf(FIELD(o, base, char), RNL_OPT_TEXT_MAX, "%s", text);
        break;
    case RNL_OPT_CHOICE:
        if (!is_choice(o->choices, text))
            return rnl_fail(RNL_ERR_USAGE, "%s: expected one of %s, got '%.100s'", what, o->choices, text);
        snprintf(FIELD(o, base, char), RNL_OPT_TEXT_MAX, "%s", text);
        break;
    case RNL_OPT_CELL:
        if (rnl_cell_parse(text, FIELD(o, base, rnl_cell)))
            return rnl_fail(RNL_ERR_USAGE, "%s: expected tanh, gru or lstm, got '%.100s'", what, text);
        break;
    case RNL_OPT_VARIANT:
        if (rnl_variant_parse(text, FIELD(o, base, rnl_variant)))
            return rnl_fail(RNL_ERR_USAGE, "%s: expected paper or pytorch, got '%.100s'", what, text);
        break;
    case RNL_OPT_RANGE: {
        const char *c = strchr(text, ':');
        char a[128];
        double lo, hi;
        if (!c || (size_t)(c - text) >= sizeof a)
            return rnl_fail(RNL_ERR_USAGE, "%s: expected LO:HI, e.g. %s, got '%.100s'", what, o->def_text, text);
        memcpy(a, text, (size_t)(c - text));
        a[c - text] = 0;
        if ((st = rnl_parse_double(a, o->lo, o->hi, what, &lo)) || (st = rnl_parse_double(c + 1, o->lo, o->hi, what, &hi)))
            return st;
        if (!(lo <= hi)) return rnl_fail(RNL_ERR_USAGE, "%s %s: the low end is above the high end", what, text);
        double *r = FIELD(o, base, double);
        r[0] = lo;
        r[1] = hi;
        break;
    }
    }
    return st;
}

/* The canonical text of a row's default (as rnl_option_format would print it). */
static const char *default_text(const rnl_option *o, char *buf, size_t n) {
    switch (o->type) {
    case RNL_OPT_INT:
    case RNL_OPT_FLAG: snprintf(buf, n, "%d", (int)o->def); break;
    case RNL_OPT_REAL: format_real(o->def, buf, n); break;
    case RNL_OPT_SEED: snprintf(buf, n, "%llu", (unsigned long long)o->def); break;
    case RNL_OPT_TEXT:
    case RNL_OPT_CHOICE: snprintf(buf, n, "%s", o->def_text); break;
    case RNL_OPT_CELL: snprintf(buf, n, "%s", rnl_cell_name((rnl_cell)(int)o->def)); break;
    case RNL_OPT_VARIANT: snprintf(buf, n, "%s", rnl_variant_name((rnl_variant)(int)o->def)); break;
    case RNL_OPT_RANGE: {
        char *end;
        char a[40], b[40];
        format_real(strtod(o->def_text, &end), a, sizeof a);
        format_real(strtod(end + 1, NULL), b, sizeof b);
        snprintf(buf, n, "%s:%s", a, b);
        break;
    }
    }
    return buf;
}

int rnl_option_is_default(const rnl_option *o, const void *base) {
    char a[RNL_OPT_TEXT_MAX + 64], b[RNL_OPT_TEXT_MAX + 64];
    return strcmp(rnl_option_format(o, base, a, sizeof a), default_text(o, b, sizeof b)) == 0;
}

const rnl_option *rnl_options_diff(const rnl_option *tab, int n, const void *a, const void *b,
                                   unsigned roles, char *va, char *vb, size_t vn) {
    for (int i = 0; i < n; i++) {
        if (!(tab[i].role & roles)) continue;
        rnl_option_format(&tab[i], a, va, vn);
        rnl_option_format(&tab[i], b, vb, vn);
        if (strcmp(va, vb) != 0) return &tab[i];
    }
    return NULL;
}

/* ================================================================ storage ============ */

/* Rows added after runs were stored without them, whose default is exactly what those runs
 * did (dropout 0: no dropout; mixtures 0: the data's own K): a stored option set that lacks one of these keys takes the
 * row's default, so such runs still resume and rerun. Any other missing key is an error. */
static const char *const LATE_ROWS[] = {"dropout", "mixtures"};

static int is_late_row(const rnl_option *o) {
    for (size_t k = 0; k < sizeof LATE_ROWS / sizeof *LATE_ROWS; k++)
        if (strcmp(LATE_ROWS[k], o->key) == 0) return 1;
    return 0;
}

static int is_number_type(rnl_opt_type t) {
    return t == RNL_OPT_INT || t == RNL_OPT_REAL || t == RNL_OPT_SEED || t == RNL_OPT_FLAG;
}

void rnl_options_to_json(rnl_buf *b, const rnl_option *tab, int n, const void *base, unsigned roles) {
    char v[RNL_OPT_TEXT_MAX + 64];
    int first = 1;
    for (int i = 0; i < n; i++) {
        if (!(tab[i].role & roles)) continue;
        rnl_buf_printf(b, "%s", first ? "" : ", ");
        first = 0;
        rnl_buf_json_string(b, tab[i].key);
        rnl_buf_printf(b, ": ");
        rnl_option_format(&tab[i], base, v, sizeof v);
        if (is_number_type(tab[i].type)) rnl_buf_printf(b, "%s", v);
        else rnl_buf_json_string(b, v);
    }
}

rnl_status rnl_options_from_json(const rnl_option *tab, int n, void *base, unsigned roles,
                                 const rnl_json *obj, const char *what) {
    if (rnl_json_type_of(obj) != RNL_JSON_OBJECT)
        return rnl_fail(RNL_ERR_DATA, "%s: the options are not a JSON object", what);
    char text[64];
    for (int i = 0; i < n; i++) {
        const rnl_option *o = &tab[i];
        if (!(o->role & roles)) continue;
        const rnl_json *v = rnl_json_get(obj, o->key);
        if (!v && is_late_row(o)) {
            rnl_options_defaults(o, 1, base);
            continue;
        }
        const char *s = NULL;
        double d;
        if (is_number_type(o->type) && rnl_json_number(v, &d)) {
            snprintf(text, sizeof text, "%.17g", d);
            s = text;
        } else if (!is_number_type(o->type)) {
            s = rnl_json_string(v);
        }
        if (!s) return rnl_fail(RNL_ERR_DATA, "%s: option \"%s\" is missing or not a %s", what, o->key,
                                is_number_type(o->type) ? "number" : "string");
        if (rnl_option_parse(o, base, s, what))
            return rnl_fail(RNL_ERR_DATA, "%s", rnl_last_error());
    }
    return RNL_OK;
}

rnl_status rnl_options_to_meta(rnl_st_writer *w, const rnl_option *tab, int n, const void *base,
                               unsigned roles, const char *prefix) {
    char key[160], v[RNL_OPT_TEXT_MAX + 64];
    rnl_status st = RNL_OK;
    for (int i = 0; i < n && !st; i++) {
        if (!(tab[i].role & roles)) continue;
        snprintf(key, sizeof key, "%s%s", prefix, tab[i].key);
        st = rnl_st_add_meta(w, key, rnl_option_format(&tab[i], base, v, sizeof v));
    }
    return st;
}

rnl_status rnl_options_from_meta(const rnl_option *tab, int n, void *base, unsigned roles,
                                 const rnl_st_file *f, const char *prefix) {
    char key[160];
    for (int i = 0; i < n; i++) {
        const rnl_option *o = &tab[i];
        if (!(o->role & roles)) continue;
        snprintf(key, sizeof key, "%s%s", prefix, o->key);
        const char *s = rnl_st_meta(f, key);
        if (!s && is_late_row(o)) {
            rnl_options_defaults(o, 1, base);
            continue;
        }
        if (!s) return rnl_fail(RNL_ERR_DATA, "%s: resume state lacks '%s'", rnl_st_path(f), key);
        /* States written before split_scheme had a default stored "" for it. */
        if (!*s && o->type == RNL_OPT_CHOICE) s = o->def_text;
        if (rnl_option_parse(o, base, s, rnl_st_path(f))) return rnl_fail(RNL_ERR_DATA, "%s", rnl_last_error());
    }
    return RNL_OK;
}

rnl_status rnl_train_options_write(const char *path, const rnl_train_opts *o) {
    rnl_buf b = {0};
    rnl_buf_printf(&b, "{\"version\": \"%s\", \"options\": {", RNL_VERSION);
    rnl_options_to_json(&b, rnl_train_options, rnl_train_noptions, o, RNL_ROLES_STORED);
    rnl_buf_printf(&b, "}}\n");
    rnl_status st = b.oom ? rnl_fail(RNL_ERR_NOMEM, "out of memory writing %s", path)
                          : rnl_write_file_atomic(path, b.p, b.len);
    rnl_buf_free(&b);
    return st;
}

rnl_status rnl_train_options_read(const char *path, rnl_train_opts *o) {
    rnl_json_doc *doc = NULL;
    rnl_status st = rnl_json_read(path, &doc);
    if (st) return st;
    rnl_train_defaults(o);
    st = rnl_options_from_json(rnl_train_options, rnl_train_noptions, o, RNL_ROLES_STORED,
                               rnl_json_get(rnl_json_root(doc), "options"), path);
    rnl_json_free(doc);
    return st;
}

/* ================================================================ applicability ====== */

/* RNL_APPLY_TANH, _GRU, _LSTM are the bits 0x10 << cell. */
_Static_assert(RNL_CELL_TANH == 0 && RNL_CELL_GRU == 1 && RNL_CELL_LSTM == 2 && RNL_CELL_COUNT == 3,
               "the RNL_APPLY_ cell bits follow rnl_cell");
static unsigned cell_bit(rnl_cell c) {
    return (int)c >= 0 && c < RNL_CELL_COUNT ? RNL_APPLY_TANH << (int)c : 0;
}

/* The names of the bits of a that are set, for messages: "lstm", "gru and lstm". */
static void mask_text(unsigned a, const char *const names[3], const unsigned bits[3], char *buf, size_t n) {
    buf[0] = 0;
    for (int i = 0, k = 0; i < 3; i++)
        if (a & bits[i]) snprintf(buf + strlen(buf), n - strlen(buf), "%s%s", k++ ? " and " : "", names[i]);
}
/* The units a row applies to. */
static void cells_text(unsigned a, char *buf, size_t n) {
    static const char *const names[3] = {"tanh", "gru", "lstm"};
    static const unsigned bits[3] = {RNL_APPLY_TANH, RNL_APPLY_GRU, RNL_APPLY_LSTM};
    mask_text(a, names, bits, buf, n);
}
/* The tasks of a mask, for messages: "speech", "music and text". */
static void tasks_text(unsigned a, char *buf, size_t n) {
    static const char *const names[3] = {"music", "speech", "text"};
    static const unsigned bits[3] = {RNL_APPLY_MUSIC, RNL_APPLY_SPEECH, RNL_APPLY_TEXT};
    mask_text(a, names, bits, buf, n);
}

/* A number row's value is zero (the "requires" rule: --lr-final needs --lr-decay-epochs). */
static int is_zero(const rnl_option *o, const void *base) {
    char v[64];
    return strtod(rnl_option_format(o, base, v, sizeof v), NULL) == 0;
}

rnl_status rnl_train_options_check(const rnl_train_opts *o, unsigned tasks) {
    const unsigned cb = cell_bit(o->cell);
    if (!cb) return rnl_fail(RNL_ERR_INTERNAL, "options: impossible unit %d", (int)o->cell);
    char name[160], where[64], v[RNL_OPT_TEXT_MAX + 64];
    for (int i = 0; i < rnl_train_noptions; i++) {
        const rnl_option *r = &rnl_train_options[i];
        if (!((o->given >> i) & 1u) && rnl_option_is_default(r, o)) continue;
        rnl_option_cli_name(r, name, sizeof name);
        rnl_option_format(r, o, v, sizeof v);
        if (!(r->applies & cb)) {
            cells_text(r->applies, where, sizeof where);
            return rnl_fail(RNL_ERR_USAGE, "%s %s does not apply to --cell %s: it applies only to %s", name, v,
                            rnl_cell_name(o->cell), where);
        }
        if (tasks && !(r->applies & tasks)) {
            char own[64];
            tasks_text(tasks, own, sizeof own);
            tasks_text(r->applies, where, sizeof where);
            return rnl_fail(RNL_ERR_USAGE, "%s %s does not apply to %s (%s data): it applies only to %s data", name, v,
                            o->data, own, where);
        }
        if (r->requires) {
            const rnl_option *q = rnl_option_find(rnl_train_options, rnl_train_noptions, r->requires);
            if (!q) return rnl_fail(RNL_ERR_INTERNAL, "options: %s requires the unknown option %s", r->key, r->requires);
            char qn[160];
            if (is_zero(q, o))
                return rnl_fail(RNL_ERR_USAGE, "%s does nothing without %s (set that, or drop %s)", name,
                                rnl_option_cli_name(q, qn, sizeof qn), name);
        }
    }
    /* The floor replaces eps: a given or changed eps would do nothing. */
    const rnl_option *eps = rnl_option_find(rnl_train_options, rnl_train_noptions, "eps");
    if (o->rms_floor > 0 && eps && (((o->given >> (eps - rnl_train_options)) & 1u) || !rnl_option_is_default(eps, o)))
        return rnl_fail(RNL_ERR_USAGE, "--eps does nothing with --rms-floor %g (the floor replaces it): drop one of them",
                        o->rms_floor);
    return RNL_OK;
}

/* Text's defaults (char-rnn's; options.h). The size is not one of them: hidden 0 is Table 1's
 * text size of the unit (TABLE1 below; LSTM 128, char-rnn's). clip: char-rnn clamps each gradient element at 5,
 * rnnlab's clip is the global norm, also 5 here. */
typedef struct {
    const char *key, *value;
} task_default;
static const task_default TEXT_DEFAULTS[] = {
    {"cell", "lstm"},     {"layers", "2"},     {"bptt", "50"},   {"batch", "50"},      {"lr", "0.002"},
    {"momentum", "0"},    {"weight_noise", "0"}, {"max_epochs", "50"}, {"clip", "5"},
};

const char *rnl_option_task_default(const rnl_option *o, unsigned task) {
    if (task != RNL_APPLY_TEXT) return NULL;
    for (size_t k = 0; k < sizeof TEXT_DEFAULTS / sizeof *TEXT_DEFAULTS; k++)
        if (strcmp(TEXT_DEFAULTS[k].key, o->key) == 0) return TEXT_DEFAULTS[k].value;
    return NULL;
}

rnl_status rnl_train_task_defaults(rnl_train_opts *o, unsigned task) {
    for (int i = 0; i < rnl_train_noptions; i++) {
        const rnl_option *r = &rnl_train_options[i];
        const char *v = rnl_option_task_default(r, task);
        if (!v || ((o->given >> i) & 1u) || !rnl_option_is_default(r, o)) continue;
        rnl_status st = rnl_option_parse(r, o, v, "text defaults");
        if (st) return st;
    }
    return RNL_OK;
}

/* Table 1's sizes: units of equal recurrent-parameter budget per task, [cell][task]. Music and
 * speech are the paper's Table 1. Text is rnnlab's choice, char-rnn's default model being the
 * budget: a 2-layer LSTM of 128 units on Tiny Shakespeare's 65 symbols. Recurrent parameters
 * as Table 1 counts them (input and recurrent weights, biases, LSTM peepholes), I = 65 inputs,
 * 2 layers (the second layer's input is the first's H):
 *   LSTM  4(IH + H^2 + H) + 3H + 4(2H^2 + H) + 3H = 12H^2 + 4IH + 14H;  H = 128: 231,680
 *   GRU   3(IH + H^2 + H) + 3(2H^2 + H)          =  9H^2 + 3IH + 6H;   H = 150: 232,650 (+0.42 %;
 *         H = 149: 229,758, -0.83 %)
 *   tanh  (IH + H^2 + H) + (2H^2 + H)             =  3H^2 + IH + 2H;    H = 267: 231,756 (+0.03 %;
 *         H = 266: 230,090, -0.69 %)
 * (tests/test_train.c checks these counts against the built models). */
enum { TASK_MUSIC, TASK_SPEECH, TASK_TEXT, TASK_COUNT };
static const int TABLE1[][TASK_COUNT] = {
    [RNL_CELL_TANH] = {[TASK_MUSIC] = 100, [TASK_SPEECH] = 400, [TASK_TEXT] = 267},
    [RNL_CELL_GRU] = {[TASK_MUSIC] = 46, [TASK_SPEECH] = 227, [TASK_TEXT] = 150},
    [RNL_CELL_LSTM] = {[TASK_MUSIC] = 36, [TASK_SPEECH] = 195, [TASK_TEXT] = 128},
};
_Static_assert(sizeof TABLE1 / sizeof *TABLE1 == RNL_CELL_COUNT, "Table 1 has a row per unit");
/* Column k is the task of bit 1 << k: music, speech, text. */
_Static_assert(RNL_APPLY_MUSIC == 1u << TASK_MUSIC && RNL_APPLY_SPEECH == 1u << TASK_SPEECH &&
               RNL_APPLY_TEXT == 1u << TASK_TEXT && RNL_APPLY_TASKS == (1u << TASK_COUNT) - 1,
               "Table 1 has a column per task bit");

int rnl_default_hidden(rnl_cell c, unsigned task) {
    for (int k = 0; k < TASK_COUNT; k++)
        if (task == 1u << k) return (int)c >= 0 && c < RNL_CELL_COUNT ? TABLE1[c][k] : 0;
    return 0;
}

/* The learning rate the paper's grid chose for each data set and unit: the `lr` column of
 * docs/results/table2.csv (`rnnlab reproduce`, scripts/paper-grid.sh: the best validation NLL
 * of a 10-trial log-uniform search, natural log U(-12, -6); commit 96835ad), as
 * written there. [cell] columns follow rnl_cell. */
static const struct {
    const char *data;
    double lr[RNL_CELL_COUNT];
} GRID_LR[] = {
    {"jsb", {[RNL_CELL_TANH] = 4.1797069548180034e-05, [RNL_CELL_GRU] = 0.0001745082475971984,
             [RNL_CELL_LSTM] = 0.0004252487680125411}},
    {"nottingham", {[RNL_CELL_TANH] = 4.1797069548180034e-05, [RNL_CELL_GRU] = 9.405962872767505e-05,
                    [RNL_CELL_LSTM] = 0.0004252487680125411}},
    {"musedata", {[RNL_CELL_TANH] = 0.0001745082475971984, [RNL_CELL_GRU] = 0.0001745082475971984,
                  [RNL_CELL_LSTM] = 0.0014451284030305587}},
    {"piano", {[RNL_CELL_TANH] = 4.084340870361012e-05, [RNL_CELL_GRU] = 0.0001745082475971984,
               [RNL_CELL_LSTM] = 0.0014451284030305587}},
};
_Static_assert(RNL_CELL_COUNT == 3, "GRID_LR has a rate per unit: add the new unit's column");

double rnl_default_lr(const char *data, rnl_cell c) {
    const rnl_option *lr = rnl_option_find(rnl_train_options, rnl_train_noptions, "lr");
    for (size_t i = 0; i < sizeof GRID_LR / sizeof *GRID_LR; i++)
        if (strcmp(GRID_LR[i].data, data) == 0 && (int)c >= 0 && c < RNL_CELL_COUNT) return GRID_LR[i].lr[c];
    return lr->def;
}

/* --protocol: the values a protocol gives the rows the caller did not give. Indexed by the
 * protocol's position in the row's choices (paper|authors). */
typedef struct {
    const char *key, *value;
} proto_value;
static const proto_value AUTHORS[] = {
    /* jych/librnn exp/music/jsb/gru.yaml, RMSPropMomentum, RNNCost, LinearDecayOverEpoch,
     * EpochCounter (/work/shared/docs/paper.md §3 [code]) */
    {"rmsprop", "authors"},  {"rms_floor", "0.01"},     {"step_clip", "1"},      {"clip", "0"},
    {"lr", "0.001"},         {"lr_decay_epochs", "500"}, {"lr_final", "0.01"},   {"loss_weight", "sum"},
    {"batch", "1"},          {"decay", "0.95"},          {"momentum", "0.9"},    {"weight_noise", "0.075"},
    {"max_epochs", "500"},   {"patience", "500"},
};
typedef enum { PROTO_PAPER, PROTO_AUTHORS, PROTO_COUNT } proto_kind;
static const struct {
    const char *name;
    const proto_value *values;
    int n;
} PROTOCOLS[] = {
    [PROTO_PAPER] = {"paper", NULL, 0},
    [PROTO_AUTHORS] = {"authors", AUTHORS, (int)(sizeof AUTHORS / sizeof *AUTHORS)},
};
_Static_assert(sizeof PROTOCOLS / sizeof *PROTOCOLS == PROTO_COUNT, "a row per protocol");

rnl_status rnl_train_options_resolve(rnl_train_opts *o) {
    int k = 0;
    while (k < PROTO_COUNT && strcmp(PROTOCOLS[k].name, o->protocol) != 0) k++;
    if (k == PROTO_COUNT) return rnl_fail(RNL_ERR_USAGE, "--protocol: expected paper or authors, got '%.100s'", o->protocol);
    int lr_set = 0;
    for (int i = 0; i < PROTOCOLS[k].n; i++) {
        const proto_value *v = &PROTOCOLS[k].values[i];
        const rnl_option *r = rnl_option_find(rnl_train_options, rnl_train_noptions, v->key);
        if (!r) return rnl_fail(RNL_ERR_INTERNAL, "options: protocol %s sets the unknown option %s", o->protocol, v->key);
        lr_set |= strcmp(v->key, "lr") == 0;
        if ((o->given >> (r - rnl_train_options)) & 1u) continue;
        rnl_status st = rnl_option_parse(r, o, v->value, "--protocol");
        if (st) return st;
    }
    const rnl_option *lr = rnl_option_find(rnl_train_options, rnl_train_noptions, "lr");
    if (!lr_set && !((o->given >> (lr - rnl_train_options)) & 1u)) o->lr = rnl_default_lr(o->data, o->cell);
    return RNL_OK;
}

/* ================================================================ option sets of several tables == */

/* The rows of part p, copied (a copy keeps its offset, so it is a table of its own). */
static int part_rows(const rnl_option_part *p, rnl_option *rows, int max) {
    int k = 0;
    for (int i = 0; i < p->n && k < max; i++)
        if ((p->tab[i].role & p->roles) && !(p->tab[i].set_by & p->skip)) rows[k++] = p->tab[i];
    return k;
}

#define PART_MAX 64 /* rows of one part (the tables' given masks hold 64) */

void rnl_option_parts_to_json(rnl_buf *b, const rnl_option_part *p, int np, const void *set) {
    rnl_option rows[PART_MAX];
    int first = 1;
    for (int i = 0; i < np; i++) {
        int k = part_rows(&p[i], rows, PART_MAX);
        if (!k) continue;
        rnl_buf_printf(b, "%s", first ? "" : ", ");
        first = 0;
        rnl_options_to_json(b, rows, k, (const char *)set + p[i].at, p[i].roles);
    }
}

rnl_status rnl_option_parts_from_json(const rnl_option_part *p, int np, void *set, const rnl_json *obj,
                                      const char *what) {
    rnl_option rows[PART_MAX];
    rnl_status st = RNL_OK;
    for (int i = 0; i < np && !st; i++) {
        int k = part_rows(&p[i], rows, PART_MAX);
        st = rnl_options_from_json(rows, k, (char *)set + p[i].at, p[i].roles, obj, what);
    }
    return st;
}

const rnl_option *rnl_option_parts_diff(const rnl_option_part *p, int np, const void *a, const void *b, char *va,
                                        char *vb, size_t vn) {
    rnl_option rows[PART_MAX];
    for (int i = 0; i < np; i++) {
        int k = part_rows(&p[i], rows, PART_MAX);
        const rnl_option *d = rnl_options_diff(rows, k, (const char *)a + p[i].at, (const char *)b + p[i].at,
                                               p[i].roles, va, vb, vn);
        /* The row of the table itself (the copy is on this stack); keys are unique. */
        if (d) return rnl_option_find(p[i].tab, p[i].n, d->key);
    }
    return NULL;
}
