/* batch.c — the batcher: sequences sorted by length, copied time-major, zero padded; and
 * the epoch's bucketed order for batches of more than one sequence. */
#include "run/batch.h"

#include <stdlib.h>
#include <string.h>

typedef struct {
    int len, idx; /* predicted steps and index of a sequence */
} len_idx;

static int by_len_desc(const void *a, const void *b) {
    const len_idx *p = a, *q = b;
    return p->len != q->len ? (q->len > p->len ? 1 : -1) : (p->idx > q->idx) - (p->idx < q->idx);
}

/* Sort through the caller's key buffer li[n]; lens (optional) receives the sorted lengths. */
static void sort_keys(const rnl_dataset *d, int split, int *seqs, int n, len_idx *li, int *lens) {
    for (int i = 0; i < n; i++) li[i] = (len_idx){d->steps(d, split, seqs[i]), seqs[i]};
    qsort(li, (size_t)n, sizeof *li, by_len_desc);
    for (int i = 0; i < n; i++) {
        seqs[i] = li[i].idx;
        if (lens) lens[i] = li[i].len;
    }
}

rnl_status rnl_sort_by_length(const rnl_dataset *d, int split, int *seqs, int n) {
    if (n <= 0) return RNL_OK;
    len_idx *li = malloc(sizeof *li * (size_t)n);
    if (!li) return rnl_fail(RNL_ERR_NOMEM, "out of memory sorting %d sequences", n);
    sort_keys(d, split, seqs, n, li, NULL);
    free(li);
    return RNL_OK;
}

typedef struct {
    int len, pos; /* predicted steps, place in the shuffled order */
} len_pos;

/* Most steps first, ties by place: the sort is deterministic whatever qsort does. */
static int by_len_pos(const void *a, const void *b) {
    const len_pos *p = a, *q = b;
    return p->len != q->len ? (q->len > p->len ? 1 : -1) : (p->pos > q->pos) - (p->pos < q->pos);
}

rnl_status rnl_bucket_order(const rnl_dataset *d, int split, int *perm, int n, int B, rnl_rng *rng) {
    if (B <= 1 || n <= 1) return RNL_OK;
    const int nb = n / B, win = RNL_BUCKET_BATCHES * B;
    len_pos *lp = malloc(sizeof *lp * (size_t)n);
    int *tmp = malloc(sizeof *tmp * (size_t)n), *ord = malloc(sizeof *ord * (size_t)(nb > 0 ? nb : 1));
    if (!lp || !tmp || !ord) {
        free(lp);
        free(tmp);
        free(ord);
        return rnl_fail(RNL_ERR_NOMEM, "out of memory ordering %d sequences", n);
    }
    for (int i = 0; i < n; i++) lp[i] = (len_pos){d->steps(d, split, perm[i]), i};
    for (int w = 0; w < n; w += win) qsort(lp + w, (size_t)(n - w < win ? n - w : win), sizeof *lp, by_len_pos);
    for (int i = 0; i < n; i++) tmp[i] = perm[lp[i].pos];
    /* the full batches in a random order: Fisher-Yates over batch indices */
    for (int k = 0; k < nb; k++) ord[k] = k;
    for (int k = nb - 1; k > 0; k--) {
        int j = (int)rnl_rng_below(rng, (uint64_t)k + 1), t = ord[k];
        ord[k] = ord[j];
        ord[j] = t;
    }
    for (int k = 0; k < nb; k++) memcpy(perm + (size_t)k * B, tmp + (size_t)ord[k] * B, sizeof(int) * (size_t)B);
    memcpy(perm + (size_t)nb * B, tmp + (size_t)nb * B, sizeof(int) * (size_t)(n - nb * B));
    free(lp);
    free(tmp);
    free(ord);
    return RNL_OK;
}

void rnl_batcher_free(rnl_batcher *bb) {
    free(bb->x);
    free(bb->y);
    free(bb->len);
    free(bb->order);
    free(bb->keys);
    memset(bb, 0, sizeof *bb);
}

/* Room for n sequences' lengths, order and sort keys. */
static rnl_status batcher_reserve_b(rnl_batcher *bb, int n) {
    if (n > bb->cap_b) {
        int *l = realloc(bb->len, sizeof(int) * (size_t)n), *o = realloc(bb->order, sizeof(int) * (size_t)n);
        if (l) bb->len = l;
        if (o) bb->order = o;
        len_idx *k = realloc(bb->keys, sizeof(len_idx) * (size_t)n);
        if (k) bb->keys = k;
        if (!l || !o || !k) return rnl_fail(RNL_ERR_NOMEM, "out of memory for a batch");
        bb->cap_b = n;
    }
    return RNL_OK;
}

/* Room for T steps of n sequences in x and y, zeroed. */
static rnl_status batcher_reserve_xy(rnl_batcher *bb, const rnl_dataset *d, int n, int T) {
    size_t nx = (size_t)T * n * d->input, ny = (size_t)T * n * d->output;
    size_t need = (nx > ny ? nx : ny) + 1;
    if (need > bb->cap_xy) {
        rnl_real *x = realloc(bb->x, sizeof(rnl_real) * need), *y = realloc(bb->y, sizeof(rnl_real) * need);
        if (x) bb->x = x;
        if (y) bb->y = y;
        if (!x || !y) return rnl_fail(RNL_ERR_NOMEM, "out of memory for a batch");
        bb->cap_xy = need;
    }
    memset(bb->x, 0, sizeof(rnl_real) * nx);
    memset(bb->y, 0, sizeof(rnl_real) * ny);
    return RNL_OK;
}

/* The batch of T steps of n sequences that bb holds. */
static void batch_out(const rnl_batcher *bb, int T, int n, rnl_batch *out) {
    out->T = T;
    out->B = n;
    out->len = bb->len;
    out->x = bb->x;
    out->y = bb->y;
}

rnl_status rnl_batcher_make(rnl_batcher *bb, const rnl_dataset *d, int split, const int *seqs, int n,
                            rnl_batch *out, double *frames) {
    rnl_status st = batcher_reserve_b(bb, n);
    if (st) return st;
    memcpy(bb->order, seqs, sizeof(int) * (size_t)(n > 0 ? n : 0));
    sort_keys(d, split, bb->order, n, bb->keys, bb->len);
    const int T = n > 0 ? bb->len[0] : 0;
    if ((st = batcher_reserve_xy(bb, d, n, T))) return st;
    *frames = 0;
    for (int b = 0; b < n; b++) {
        *frames += bb->len[b];
        d->fill(d, split, bb->order[b], b, n, bb->x, bb->y);
    }
    batch_out(bb, T, n, out);
    return RNL_OK;
}

rnl_status rnl_batcher_streams(rnl_batcher *bb, const rnl_dataset *d, int split, int i, int B, int S, int t0,
                               int W, rnl_batch *out, double *frames) {
    rnl_status st = batcher_reserve_b(bb, B);
    if (!st) st = batcher_reserve_xy(bb, d, B, W);
    if (st) return st;
    for (int b = 0; b < B; b++) {
        bb->len[b] = W;
        bb->order[b] = i;
        d->fill_range(d, split, i, b * S + t0, W, b, B, bb->x, bb->y);
    }
    *frames = (double)B * W;
    batch_out(bb, W, B, out);
    return RNL_OK;
}
