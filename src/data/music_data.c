/* music_data.c — the piano-roll adapter: a loaded .mat file behind the rnl_dataset
 * interface (see music_data.h). */
#include "data/music_data.h"

#include <stdlib.h>

#include "data/music.h"

/* Next-frame prediction: a sequence of T frames gives T−1 steps, input frame t, target
 * frame t+1. */

static int music_steps(const rnl_dataset *d, int split, int i) {
    const rnl_music *m = d->impl;
    int L = m->split[split].len[i];
    return L > 1 ? L - 1 : 0;
}

static void music_fill(const rnl_dataset *d, int split, int i, int b, int B, rnl_real *x,
                       rnl_real *y) {
    const rnl_music *m = d->impl;
    const rnl_seqset *s = &m->split[split];
    const int D = s->dim, L = s->len[i] > 1 ? s->len[i] - 1 : 0;
    const uint8_t *f = s->frames + s->off[i] * (size_t)D;
    for (int t = 0; t < L; t++) {
        rnl_real *xr = x + ((size_t)t * B + b) * D, *yr = y + ((size_t)t * B + b) * D;
        for (int k = 0; k < D; k++) {
            xr[k] = f[(size_t)t * D + k];
            yr[k] = f[(size_t)(t + 1) * D + k];
        }
    }
}

static void music_destroy(rnl_dataset *d) {
    rnl_music_free(d->impl);
    free(d->impl);
}

rnl_status rnl_music_open(const char *path, rnl_dataset *d) {
    rnl_music *m = calloc(1, sizeof *m);
    if (!m) return rnl_fail(RNL_ERR_NOMEM, "out of memory loading %s", path);
    rnl_status st = rnl_music_load(path, m);
    if (st) {
        free(m);
        return st;
    }
    d->impl = m;
    d->kind = "music";
    for (int s = 0; s < 3; s++) d->nseq[s] = m->split[s].n;
    d->input = d->output = m->split[0].dim;
    d->head = RNL_HEAD_BERNOULLI;
    d->mixtures = 0;
    d->mean = 0;
    d->std = 1;
    d->steps = music_steps;
    d->fill = music_fill;
    d->destroy = music_destroy;
    return RNL_OK;
}
