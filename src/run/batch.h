/* batch.h — padded, time-major batches of a data set's sequences (internal). */
#ifndef RNL_BATCH_H
#define RNL_BATCH_H

#include "data/dataset.h"
#include "rnnlab.h"

/* Reusable buffers of one batch; zero-initialise ({0}) before first use. */
typedef struct {
    rnl_real *x, *y;  /* [T, B, input], [T, B, output] */
    int *len;         /* [B] steps of each sequence, longest first */
    int *order;       /* [B] sequence indices in that order */
    void *keys;       /* [B] scratch of the sort */
    size_t cap_xy;    /* elements allocated in x and y */
    int cap_b;        /* entries allocated in len, order, keys */
} rnl_batcher;

void rnl_batcher_free(rnl_batcher *bb);

/* Sort seqs[0..n) of a split in place: most predicted steps first, ties by index, so that
 * every batch and every evaluation is deterministic. */
rnl_status rnl_sort_by_length(const rnl_dataset *d, int split, int *seqs, int n);

/* The epoch's order for batches of B > 1 sequences, from the shuffled order perm[0..n):
 * cut into windows of RNL_BUCKET_BATCHES·B consecutive sequences, each window sorted by
 * length (most predicted steps first; ties keep their shuffled order), so each batch of B
 * consecutive entries holds sequences of near-equal length and little padding; then the
 * n / B full batches are put in a random order (Fisher-Yates on rng: n/B − 1 draws), a
 * short last batch (n mod B) staying last. Deterministic from the rng state. B <= 1:
 * nothing changes and nothing is drawn. */
#define RNL_BUCKET_BATCHES 50
rnl_status rnl_bucket_order(const rnl_dataset *d, int split, int *perm, int n, int B, rnl_rng *rng);

/* A batch of sequences seqs[0..n) of a split, in rnl_sort_by_length's order, padded with
 * zeros. *frames = its predicted steps. out points into bb until the next call. */
rnl_status rnl_batcher_make(rnl_batcher *bb, const rnl_dataset *d, int split, const int *seqs, int n,
                            rnl_batch *out, double *frames);

/* A window of B streams of a long sequence (d->fill_range: text): column b holds steps
 * b*S + t0 .. b*S + t0 + W − 1 of sequence i of the split (0 <= t0, t0 + W <= S, B*S <=
 * steps(i)), every column W long. *frames = B*W. out points into bb until the next call. */
rnl_status rnl_batcher_streams(rnl_batcher *bb, const rnl_dataset *d, int split, int i, int B, int S, int t0,
                               int W, rnl_batch *out, double *frames);

#endif
