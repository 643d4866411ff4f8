/* dataset.h — what the training loop needs of a data set, whatever its kind (internal).
 * A data set is three splits of sequences; sequence i of a split has steps(i) predicted
 * steps, each an input vector of `input` values and a target of `output` values. */
#ifndef RNL_DATASET_H
#define RNL_DATASET_H

#include "rnnlab.h"

#ifndef RNL_SPLIT_TRAIN
#define RNL_SPLIT_TRAIN 0
#define RNL_SPLIT_VALID 1
#define RNL_SPLIT_TEST 2
#endif

typedef struct rnl_dataset rnl_dataset;
struct rnl_dataset {
    char path[4096];   /* the file or directory it was read from */
    const char *kind;  /* "music" or "speech" */
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
    void (*destroy)(rnl_dataset *d); /* frees impl */
    void *impl;
};

/* Open a data set by name or path (see dataroot.h); scheme selects a speech split
 * ("index" or "speaker"; NULL = default). */
rnl_status rnl_dataset_open(const char *name, const char *root, const char *scheme,
                            rnl_dataset **out);
void rnl_dataset_free(rnl_dataset *d);
/* Sum of steps over a split. */
double rnl_dataset_steps_total(const rnl_dataset *d, int split);
/* Split name to index ("train", "valid", "test"), -1 if none. */
int rnl_split_parse(const char *s);

#endif
