/* adapter.h — what the training loop needs of a data set, whatever its kind (internal): the
 * rnl_dataset struct that each kind's adapter (music_data.c, speech.c, text.c, npz.c) fills and that the
 * training loop, the evaluation and the LPC baseline read. Opening one by name is dataset.h's.
 * A data set is three splits of sequences; sequence i of a split has steps(i) predicted
 * steps, each an input vector of `input` values and a target of `output` values. */
#ifndef RNL_ADAPTER_H
#define RNL_ADAPTER_H

#include "data/split.h"
#include "rnnlab.h"

struct rnl_dataset {
    char path[4096];   /* the file or directory it was read from */
    const char *kind;  /* "music", "speech", "text" or "npz" */
    int nseq[3];       /* sequences per split (train, valid, test) */
    int input, output; /* values per step of x and y */
    rnl_head head;     /* the output layer this data wants */
    int mixtures;      /* K for a MoG head, else 0 */
    double mean, std;  /* normalisation applied to the data (0 and 1 when none) */
    /* Predicted steps of sequence i of a split (>= 0). */
    int (*steps)(const rnl_dataset *d, int split, int i);
    /* Write sequence i's steps into column b of time-major x [T, B, input] and
     * y [T, B, output] (rows t < steps(i) only; the caller zeroes the rest). */
    void (*fill)(const rnl_dataset *d, int split, int i, int b, int B, rnl_real *x, rnl_real *y);
    /* Long streams (text), else NULL: steps t0 .. t0+n-1 of sequence i into rows 0 .. n-1 of
     * column b (0 <= t0, t0 + n <= steps(i)). A data set with it is trained as streams (its
     * training sequence cut into --batch columns, windows of --bptt) and evaluated in windows
     * with the state carried, so no whole sequence is ever held in a batch. */
    void (*fill_range)(const rnl_dataset *d, int split, int i, int t0, int n, int b, int B, rnl_real *x,
                       rnl_real *y);
    const char *vocab; /* text: the byte of each symbol as hex (rnl_model_meta.vocab), else NULL */
    char split_text[64]; /* text: the split it was cut with (--split, "90/5/5"), else "" */
    void (*destroy)(rnl_dataset *d); /* frees impl */
    void *impl;
};

#endif
