/* cli.h — the tool's shared pieces: one option parser for the run options of
 * src/run/options.h (their rows become command-line options) and for a command's own local
 * options; --help shows every option with its default read from the variable itself. */
#ifndef RNL_CLI_H
#define RNL_CLI_H

#include "rnnlab.h"
#include "run/options.h"

typedef enum { OPT_INT, OPT_DOUBLE, OPT_STRING, OPT_FLAG, OPT_CELL, OPT_VARIANT, OPT_U64, OPT_ROW } opt_type;

/* A run option on the command line: what an OPT_ROW entry's ptr points to. */
typedef struct {
    const rnl_option *row; /* the run option */
    void *base;            /* the struct its offset points into */
    uint64_t *given;       /* the option set's `given` mask (bit = the row's index) */
    int bit;               /* the row's index in its table */
    char cli[64];          /* "--max-epochs" */
} cli_row;

typedef struct {
    const char *name;   /* "--lr" */
    opt_type type;
    void *ptr;          /* int*, double*, char[4096], int* (flag), rnl_cell*, rnl_variant*, uint64_t*,
                         * cli_row* (OPT_ROW) */
    double lo, hi;      /* accepted range (numbers; not for OPT_ROW, whose row has its own) */
    const char *help;
} opt;

/* Append to opts[*n..max) an entry for every row of a table whose field lives at base,
 * except rows set by the command itself (skip: RNL_SET_BY_* bits) and rows whose key is in
 * the NULL-terminated list `except`. rows[i] is the storage of opts[i] (same indices).
 * given: the option set's mask. */
void cli_add_rows(opt *opts, cli_row *rows, int *n, int max, const rnl_option *tab, int ntab, void *base,
                  uint64_t *given, unsigned skip, const char *const *except);

/* Parse argv[first..] against the table. Returns 1 if --help was given (help printed),
 * 0 on success, -1 on error (message set for fail()). Non-option words go to positional
 * (at most max_pos; NULL/0 for none). OPT_STRING targets must be char[4096]. An option given
 * twice is an error. */
int cli_parse(int argc, char **argv, int first, const opt *opts, int n, const char *cmd,
              const char *synopsis, const char **positional, int max_pos, int *npos);
/* 1 if the option (e.g. "--max-epochs") appears in argv[first..], as "--x v" or "--x=v". */
int cli_given(int argc, char **argv, int first, const char *name);
/* Print "rnnlab: <last error>" and return st as the exit code. */
int cli_fail(rnl_status st);

/* Commands: argv[1] is the command name. Return the exit code. */
int cmd_train(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_gradcheck(int argc, char **argv);
int cmd_data(int argc, char **argv);
int cmd_baseline(int argc, char **argv);
int cmd_sample(int argc, char **argv);
/* tools/cmd_music.c: `sample` for a Bernoulli (piano-roll) model, called by cmd_sample, and
 * `data import-midi DIR --out FILE.mat`, called by cmd_data; both parse their own options. */
int cmd_sample_music(int argc, char **argv);
int cmd_import_midi(int argc, char **argv);
/* tools/cmd_text.c and cmd_arrays.c: `sample` for a text (softmax) model and for a real-valued
 * (Gaussian-mixture) model, called by cmd_sample. */
int cmd_sample_text(int argc, char **argv);
int cmd_sample_arrays(int argc, char **argv);
int cmd_bench(int argc, char **argv);
/* tools/cmd_search.c: the random search over the learning rate and the paper's grid. */
int cmd_search(int argc, char **argv);
int cmd_reproduce(int argc, char **argv);
/* tools/cmd_plot.c: the learning curves of run directories. */
int cmd_plot(int argc, char **argv);

#endif
