/* report.h — the grid's results as the paper's tables (internal): table1.md (units and
 * parameters), table2.md and table2.csv (NLL per data set and unit, next to the paper's).
 * The grid (grid.h) fills an rnl_grid_results; the figures (figure.h) read the same. */
#ifndef RNL_REPORT_H
#define RNL_REPORT_H

#include "run/pool.h"

/* A speech data set's units (the grid fills one per data set; music: speech 0): its NLLs are
 * nats per step of `output` standardised samples, turned into bits per sample of the 16-bit
 * signal with the training split's std (rnl_speech_bits_per_sample), and the order-20 linear
 * predictor's NLL on each split (the baseline of `rnnlab baseline`, full covariance). */
typedef struct {
    int speech;               /* 1 for a speech data set */
    int output;               /* samples per predicted step (10) */
    double std;               /* the training split's std of the samples in [-1, 1) */
    const char *scheme;       /* the split scheme ("index", "speaker") */
    double lpc_nll[3];        /* the baseline, nats per step: train, valid, test */
} rnl_grid_speech;

/* What the grid has run so far: for data set d and unit c, group d * nc + c of `per` runs,
 * its `trials` search trials, then its `seeds` seed runs. */
typedef struct {
    int nd, nc;               /* data sets, units */
    const char *const *data;  /* [nd] as given: a name (jsb) or a path (/x/mine.mat) */
    const char *const *tag;   /* [nd] the name in directory and file names and tables (jsb, mine) */
    const rnl_cell *cells;    /* [nc] */
    int trials, seeds, per;   /* per = trials + seeds */
    const rnl_run *runs;      /* [nd * nc * per] */
    double log_lo, log_hi;    /* the searches' natural-log range of the learning rate */
    const char *out;          /* where the tables and figures are written */
    const rnl_grid_speech *speech; /* [nd] */
    const int *text;          /* [nd] 1 for a text data set: NLL in nats per character, also
                               * reported in bits per character (nats / ln 2) */
} rnl_grid_results;

/* The runs of data set d and unit c (trials first, then seed runs). */
const rnl_run *rnl_grid_group(const rnl_grid_results *g, int d, int c);
/* 1 if every run of that group has ended. */
int rnl_grid_group_complete(const rnl_grid_results *g, int d, int c);

/* The paper's name of data set d when it was given by the name of one of the paper's sets
 * ("JSB Chorales"), else its tag. */
const char *rnl_report_data_title(const rnl_grid_results *g, int d);
/* The unit's name in tables and figures ("tanh", "GRU", "LSTM"); RNL_ERR_INTERNAL for an
 * impossible unit. */
rnl_status rnl_report_cell_title(rnl_cell c, const char **title);

/* Write table1.md, table2.md and table2.csv into g->out atomically (each from what has
 * finished so far); RNL_ERR_IO naming the file that could not be written. */
rnl_status rnl_report_tables(const rnl_grid_results *g);

#endif
