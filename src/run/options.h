/* options.h — the one table of run options (internal).
 *
 * Every option of a training run, a search and the paper's grid is one row of a table here:
 * its name, type, range, default, help text, where it applies and how it is stored. Everything
 * else is generated from the rows:
 *   - the command line (tools/cli.c: `--max-epochs` for the key "max_epochs") and `--help`,
 *     whose defaults are the values rnl_options_defaults writes;
 *   - the resume state (`opt.<key>` metadata of state.safetensors), summary.json's "config",
 *     a trial's options.json and search.json's "config";
 *   - the settings checks of `train --resume`, `search` and `reproduce` (rnl_options_diff);
 *   - the refusal of options that do not apply (rnl_options_check).
 * A new option is one new row (and its field in the struct it lives in).
 */
#ifndef RNL_OPTIONS_H
#define RNL_OPTIONS_H

#include <stddef.h>
#include <stdint.h>
#include "io/json.h"
#include "io/safetensors.h"
#include "io/util.h"
#include "rnnlab.h"

#define RNL_OPT_TEXT_MAX 4096 /* size of every text option's field */

/* ================================================================ the option sets ==== */

/* A training run (`rnnlab train`). */
typedef struct {
    char data[RNL_OPT_TEXT_MAX];         /* data set name or path, as given */
    char data_root[RNL_OPT_TEXT_MAX];    /* "" = the default search (dataroot.h) */
    char split_scheme[RNL_OPT_TEXT_MAX]; /* speech split: "index" or "speaker" */
    char split[RNL_OPT_TEXT_MAX];        /* text split: "TRAIN/VALID/TEST" percentages */
    rnl_cell cell;
    rnl_variant variant;
    int layers;
    int hidden;            /* 0 = Table 1's size for the cell and task */
    int mixtures;          /* K of a mixture head (speech, real-valued .npz); 0 = the data's
                            * own (speech 20, .npz 5) */
    char protocol[RNL_OPT_TEXT_MAX]; /* "paper" or "authors": the defaults of the rows the caller
                            * did not give (rnl_train_options_resolve) */
    double lr;
    int lr_decay_epochs;   /* linear decay of lr over this many epochs (0 = constant) */
    double lr_final;       /* ... down to lr_final * lr */
    int batch;
    char loss_weight[RNL_OPT_TEXT_MAX]; /* what an update's summed NLL is divided by: "sequence"
                            * (its frames), "frame" (batch x the training split's mean frames
                            * per sequence, one constant) or "sum" (1) */
    int max_epochs;
    int patience;          /* epochs without a better validation NLL before stopping */
    double weight_noise;   /* sigma of the Gaussian noise on W and U, per update */
    double dropout;        /* probability of dropping a unit of each layer's output on its way
                            * up (rnl_dropout), a fresh mask per update and step; 0 = off */
    double clip;           /* global gradient-norm threshold (0 = off) */
    double decay, momentum, eps; /* RMSProp */
    double rms_floor;      /* > 0: RMSProp's rms = max(sqrt(ms), rms_floor), eps unused */
    char rmsprop[RNL_OPT_TEXT_MAX]; /* "torch" (lr outside the momentum buffer) or "authors"
                            * (lr inside: the velocity) */
    double step_clip;      /* > 0: the applied step's global norm capped at this */
    double forget_bias;    /* LSTM b_f at initialisation */
    int bptt;              /* truncated BPTT window (0 = full sequences) */
    uint64_t seed;
    int threads;
    char out[RNL_OPT_TEXT_MAX]; /* the run's directory */
    int force;             /* a fresh run may replace the run that out holds */
    int quiet;             /* no progress line (the tool's; kept for the child launch) */
    uint64_t given;        /* bit i: row i of rnl_train_options was set by the caller (the
                            * CLI parser sets it; a library caller may leave it 0) */
} rnl_train_opts;

/* A random search of the learning rate (`rnnlab search`): every trial is `train` with the
 * template's options, its own lr and seed. */
typedef struct {
    rnl_train_opts train;  /* template of every trial */
    int trials;
    double log_lo, log_hi; /* natural-log range of the learning rate */
    uint64_t seed;
    int jobs;
    char out[RNL_OPT_TEXT_MAX];
    int quiet;
    uint64_t given;        /* bit i: row i of rnl_search_options was set by the caller */
} rnl_search_opts;

/* The paper's grid (`rnnlab reproduce`): a search per data set x unit, then seed runs. */
typedef struct {
    rnl_search_opts search;  /* per data set x unit: data and cell set by the grid */
    char datasets[RNL_OPT_TEXT_MAX]; /* comma-separated: jsb,nottingham,musedata,piano */
    char cells[RNL_OPT_TEXT_MAX];    /* comma-separated: tanh,gru,lstm */
    int seeds;               /* further runs at each best learning rate */
    char out[RNL_OPT_TEXT_MAX];
    uint64_t given;          /* bit i: row i of rnl_grid_options was set by the caller */
} rnl_reproduce_opts;

/* ================================================================ the rows =========== */

typedef enum {
    RNL_OPT_INT,     /* int */
    RNL_OPT_REAL,    /* double */
    RNL_OPT_SEED,    /* uint64_t, 0 .. 2^32 */
    RNL_OPT_TEXT,    /* char[RNL_OPT_TEXT_MAX] */
    RNL_OPT_CHOICE,  /* char[RNL_OPT_TEXT_MAX] holding one of the row's choices */
    RNL_OPT_CELL,    /* rnl_cell */
    RNL_OPT_VARIANT, /* rnl_variant */
    RNL_OPT_FLAG,    /* int, 0 or 1; on the command line a bare --name */
    RNL_OPT_RANGE    /* two doubles lo, hi; text "LO:HI" */
} rnl_opt_type;

/* How an option takes part in a run. */
typedef enum {
    RNL_ROLE_FIXED = 1,    /* the run's identity: stored; fixed on resume; compared on reruns */
    RNL_ROLE_STOPPING = 2, /* stored; `train --resume` may change it (it decides only when the
                            * run stops, not what the epochs both runs train compute) */
    RNL_ROLE_SESSION = 4   /* how this process runs (output directory, quiet, jobs): not stored
                            * and not compared */
} rnl_opt_role;
#define RNL_ROLES_STORED (RNL_ROLE_FIXED | RNL_ROLE_STOPPING)

/* Where an option applies (rnl_options_check refuses it elsewhere). */
#define RNL_APPLY_MUSIC 0x01u  /* piano-roll data (Bernoulli head) */
#define RNL_APPLY_SPEECH 0x02u /* speech data (mixture head) */
#define RNL_APPLY_TEXT 0x04u   /* text data (softmax head) */
#define RNL_APPLY_TASKS 0x07u
#define RNL_APPLY_TANH 0x10u
#define RNL_APPLY_GRU 0x20u
#define RNL_APPLY_LSTM 0x40u
#define RNL_APPLY_CELLS 0x70u
#define RNL_APPLY_ALL (RNL_APPLY_TASKS | RNL_APPLY_CELLS)

/* Which commands set an option themselves, so it is not one of their command-line options. */
#define RNL_SET_BY_SEARCH 0x1u /* search draws it per trial (lr, seed) or fixes it (threads, out) */
#define RNL_SET_BY_GRID 0x2u   /* reproduce sets it per data set and unit (data, cell) */

typedef struct {
    const char *key;       /* "max_epochs": stored under this key; on the command line
                            * "--max-epochs" (underscores become dashes) */
    rnl_opt_type type;
    size_t offset;         /* of the field in the option set's struct */
    double lo, hi;         /* accepted range (INT, REAL, SEED, each end of a RANGE) */
    double def;            /* default of a number, flag, cell or variant */
    const char *def_text;  /* default of a TEXT or CHOICE ("" = none), or "LO:HI" */
    const char *choices;   /* CHOICE: the accepted values, "|"-separated */
    unsigned applies;      /* RNL_APPLY_* (ALL for search and grid rows) */
    const char *requires;  /* key of a number option that must be non-zero for this one to
                            * apply ("lr_decay_epochs"), or NULL */
    rnl_opt_role role;
    unsigned set_by;       /* RNL_SET_BY_* */
    const char *help;      /* one line; the default is appended by --help */
} rnl_option;

/* The three tables and their lengths. Rows of rnl_train_options point into rnl_train_opts,
 * of rnl_search_options into rnl_search_opts, of rnl_grid_options into rnl_reproduce_opts. */
extern const rnl_option rnl_train_options[];
extern const int rnl_train_noptions;
extern const rnl_option rnl_search_options[];
extern const int rnl_search_noptions;
extern const rnl_option rnl_grid_options[];
extern const int rnl_grid_noptions;

/* The row of a table with this key or command-line name ("max_epochs" or "--max-epochs");
 * NULL if none. */
const rnl_option *rnl_option_find(const rnl_option *tab, int n, const char *name);
/* "--max-epochs" for "max_epochs" (into buf of size n). */
const char *rnl_option_cli_name(const rnl_option *o, char *buf, size_t n);

/* Every row's default into the struct at base (given bits cleared). rnl_train_defaults,
 * rnl_search_defaults and rnl_reproduce_defaults do it for the three sets. */
void rnl_options_defaults(const rnl_option *tab, int n, void *base);
void rnl_train_defaults(rnl_train_opts *o);
void rnl_search_defaults(rnl_search_opts *s);
void rnl_reproduce_defaults(rnl_reproduce_opts *r);

/* The canonical text of the row's value in the struct at base: the shortest "%g" form that
 * parses back to the same double for reals, the name of a cell or variant, "0"/"1" for flags,
 * "LO:HI" for a range. Returns buf. */
const char *rnl_option_format(const rnl_option *o, const void *base, char *buf, size_t n);
/* Parse text into the row's field (range-checked: the same range everywhere). On failure
 * RNL_ERR_USAGE "WHERE: --key: ..." (where may be NULL: then "--key: ..."). */
rnl_status rnl_option_parse(const rnl_option *o, void *base, const char *text, const char *where);
/* 1 if the row's value at base equals its default. */
int rnl_option_is_default(const rnl_option *o, const void *base);

/* The first row with a role in `roles` whose values at a and b differ, or NULL; its two
 * canonical texts go into va and vb (each of size n). */
const rnl_option *rnl_options_diff(const rnl_option *tab, int n, const void *a, const void *b,
                                   unsigned roles, char *va, char *vb, size_t vn);

/* JSON members `"key": value` for the rows with a role in `roles`, separated by ", " (no
 * braces): numbers and flags as JSON numbers, everything else as strings. */
void rnl_options_to_json(rnl_buf *b, const rnl_option *tab, int n, const void *base,
                         unsigned roles);
/* Read those rows back from a JSON object (every one must be present; each is parsed and
 * range-checked as on the command line). RNL_ERR_DATA naming `what` and the key otherwise. */
rnl_status rnl_options_from_json(const rnl_option *tab, int n, void *base, unsigned roles,
                                 const rnl_json *obj, const char *what);
/* The same as safetensors metadata strings "<prefix><key>" (the resume state: "opt."). */
rnl_status rnl_options_to_meta(rnl_st_writer *w, const rnl_option *tab, int n, const void *base,
                               unsigned roles, const char *prefix);
rnl_status rnl_options_from_meta(const rnl_option *tab, int n, void *base, unsigned roles,
                                 const rnl_st_file *f, const char *prefix);

/* A trial's or run's options as a file of their own (options.json: {"options": {...}} with
 * every stored row of rnl_train_options), written atomically, read strictly. */
rnl_status rnl_train_options_write(const char *path, const rnl_train_opts *o);
rnl_status rnl_train_options_read(const char *path, rnl_train_opts *o);

/* Refuse (RNL_ERR_USAGE, naming the option and why) every row that does not apply where it
 * was used but was given (its bit in `given`) or differs from its default: an option of
 * another unit (`--forget-bias` with a GRU), of another task (`--split-scheme` on music,
 * tasks = RNL_APPLY_MUSIC or _SPEECH; 0 = the task is not known yet: not checked), or one
 * whose `requires` option is zero (`--lr-final` without `--lr-decay-epochs`). */
rnl_status rnl_train_options_check(const rnl_train_opts *o, unsigned tasks);

/* A task's own defaults, where they differ from the rows' (the paper's): text takes
 * char-rnn's (a 2-layer LSTM, its size Table 1's text size, 128 units, windows of 50 steps, 50 streams, RMSProp lr 2e-3
 * decay 0.95 without momentum, no weight noise, 50 epochs). rnl_train_task_defaults sets them
 * in every row the caller did not give (its bit in o->given) and that still holds the row's
 * default; a fresh run calls it once the data set's task is known (a resumed run has its
 * options already). rnl_option_task_default is the text of row o's default for the task,
 * NULL where it is the row's own (--help shows both). task: one RNL_APPLY_ task bit. */
rnl_status rnl_train_task_defaults(rnl_train_opts *o, unsigned task);
const char *rnl_option_task_default(const rnl_option *o, unsigned task);

/* Table 1's size for a unit and task (one RNL_APPLY_ task bit): units of equal recurrent-
 * parameter budget, music tanh 100, GRU 46, LSTM 36; speech 400, 227, 195 (the paper's);
 * text 267, 150, 128 (char-rnn's 2-layer LSTM of 128 on 65 symbols: options.c, docs/TEXT.md).
 * 0 for an impossible unit or task. */
int rnl_default_hidden(rnl_cell c, unsigned task);

/* The learning rate the paper's grid chose for data set `data` (a name: jsb, nottingham,
 * musedata, piano) and unit c (docs/results/table2.csv); the lr row's default (1e-3) for any
 * other data set. */
double rnl_default_lr(const char *data, rnl_cell c);

/* Complete a fresh run's options from --protocol: every row the protocol sets whose given bit
 * is clear takes the protocol's value (authors: the released code's optimiser, schedule, loss
 * and budget; paper: the rows' defaults), so an option given explicitly always wins; then,
 * under paper, an lr not given becomes rnl_default_lr(data, cell). `train`, `search` and
 * `reproduce` call it on what they parsed; a library caller that fills the struct itself
 * calls it with the given bits of the rows it set (0 = set nothing: everything resolved).
 * RNL_ERR_USAGE for an unknown protocol. */
rnl_status rnl_train_options_resolve(rnl_train_opts *o);

/* ================================================================ option sets of several tables == */

/* A part of a stored option set made of several tables' rows (search.json's "config": the
 * template's train rows and the search's own; reproduce.json's: those and the grid's). */
typedef struct {
    const rnl_option *tab; /* a table (rnl_train_options, rnl_search_options, ...) */
    int n;                 /* its length */
    size_t at;             /* offset of the table's struct within the whole option set */
    unsigned roles;        /* its rows with a role in roles ... */
    unsigned skip;         /* ... and none of whose set_by bits is in skip */
} rnl_option_part;

/* rnl_options_to_json, _from_json and _diff over the parts' rows, `set` (a, b) pointing to
 * the whole option set. to_json writes the members of every part, ", "-separated (no
 * braces); diff returns the first row that differs (in part order), its texts in va, vb. */
void rnl_option_parts_to_json(rnl_buf *b, const rnl_option_part *p, int np, const void *set);
rnl_status rnl_option_parts_from_json(const rnl_option_part *p, int np, void *set, const rnl_json *obj,
                                      const char *what);
const rnl_option *rnl_option_parts_diff(const rnl_option_part *p, int np, const void *a, const void *b, char *va,
                                        char *vb, size_t vn);

#endif
