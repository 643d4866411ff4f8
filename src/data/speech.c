/* speech.c — the FSDD data set adapter: a directory of recordings listed by its manifest, read
 * into memory per split, normalised with the training split's statistics and framed into
 * steps behind the rnl_dataset interface (see speech.h for the contracts). */
#include "data/speech.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/manifest.h"
#include "data/wav.h"
#include "io/util.h"

long rnl_speech_steps(size_t n) {
    return n >= RNL_SPEECH_IN + RNL_SPEECH_OUT ? (long)((n - RNL_SPEECH_IN) / RNL_SPEECH_HOP) : 0;
}

double rnl_speech_bits_per_sample(double nll_per_step, int O, double std) {
    return (nll_per_step / O + log(std * 32768.0)) / log(2.0);
}

/* ================================================================ data set ========== */

/* The recordings of one split, back to back. */
typedef struct {
    int n;        /* recordings */
    size_t *off;  /* [n+1] index of each recording's first sample in s; off[n] = total */
    float *s;     /* [total] samples in [-1, 1] (not standardised) */
    size_t cap;   /* samples allocated in s */
} speech_split;

typedef struct {
    speech_split split[3]; /* RNL_SPLIT_TRAIN, _VALID, _TEST */
} speech_set;

static void speech_set_free(speech_set *s) {
    for (int k = 0; k < 3; k++) {
        free(s->split[k].off);
        free(s->split[k].s);
    }
    free(s);
}

size_t rnl_speech_samples(const rnl_dataset *d, int split) {
    const speech_split *sp = &((const speech_set *)d->impl)->split[split];
    return sp->n ? sp->off[sp->n] : 0;
}

static int speech_steps(const rnl_dataset *d, int split, int i) {
    const speech_split *sp = &((const speech_set *)d->impl)->split[split];
    return (int)rnl_speech_steps(sp->off[i + 1] - sp->off[i]);
}

/* Step t of recording i: x[t][b] = z[10t .. 10t+20), y[t][b] = z[10t+20 .. 10t+30) with
 * z = (s - mean) / std. */
static void speech_fill(const rnl_dataset *d, int split, int i, int b, int B, rnl_real *x,
                        rnl_real *y) {
    const speech_split *sp = &((const speech_set *)d->impl)->split[split];
    const float *s = sp->s + sp->off[i];
    const long T = rnl_speech_steps(sp->off[i + 1] - sp->off[i]);
    const double mean = d->mean, std = d->std;
    for (long t = 0; t < T; t++) {
        const float *w = s + (size_t)t * RNL_SPEECH_HOP;
        rnl_real *xr = x + ((size_t)t * B + b) * RNL_SPEECH_IN;
        rnl_real *yr = y + ((size_t)t * B + b) * RNL_SPEECH_OUT;
        for (int k = 0; k < RNL_SPEECH_IN; k++) xr[k] = (rnl_real)(((double)w[k] - mean) / std);
        for (int k = 0; k < RNL_SPEECH_OUT; k++)
            yr[k] = (rnl_real)(((double)w[RNL_SPEECH_IN + k] - mean) / std);
    }
}

static void speech_destroy(rnl_dataset *d) {
    speech_set_free(d->impl);
    d->impl = NULL;
}

/* Append n samples as one more recording of sp. */
static rnl_status split_append(speech_split *sp, const float *v, size_t n, int nmax) {
    if (!sp->off) {
        sp->off = malloc(sizeof *sp->off * (size_t)(nmax + 1));
        if (!sp->off) return RNL_ERR_NOMEM;
        sp->off[0] = 0;
    }
    size_t used = sp->off[sp->n];
    if (used + n > sp->cap) {
        size_t cap = sp->cap ? sp->cap : 1 << 20;
        while (cap < used + n) cap *= 2;
        float *q = realloc(sp->s, cap * sizeof *q);
        if (!q) return RNL_ERR_NOMEM;
        sp->s = q;
        sp->cap = cap;
    }
    memcpy(sp->s + used, v, n * sizeof *v);
    sp->off[++sp->n] = used + n;
    return RNL_OK;
}

rnl_status rnl_speech_open(const char *dir, const char *scheme, rnl_dataset *d) {
    const char *column;
    if (!scheme || !scheme[0] || strcmp(scheme, "index") == 0)
        column = "split_by_index";
    else if (strcmp(scheme, "speaker") == 0)
        column = "split_by_speaker";
    else
        return rnl_fail(RNL_ERR_USAGE, "split scheme '%s': expected index or speaker", scheme);
    char mpath[4096], rdir[4096], wpath[4096];
    rnl_status st = rnl_path_join(mpath, sizeof mpath, dir, "manifest.tsv");
    if (!st) st = rnl_path_join(rdir, sizeof rdir, dir, "recordings");
    if (st) return st;
    unsigned char *text = NULL;
    size_t tn = 0;
    st = rnl_read_file(mpath, &text, &tn);
    if (st) return st;
    if (strlen((char *)text) != tn) {
        free(text);
        return rnl_fail(RNL_ERR_DATA, "%s: contains a NUL byte", mpath);
    }
    rnl_manifest_row *rows = NULL;
    int n = 0;
    st = rnl_manifest_parse((char *)text, mpath, column, &rows, &n);
    speech_set *set = st ? NULL : calloc(1, sizeof *set);
    if (!st && !set) st = rnl_fail(RNL_ERR_NOMEM, "out of memory loading %s", dir);
    for (int i = 0; i < n && !st; i++) {
        float *v = NULL;
        size_t len = 0;
        st = rnl_path_join(wpath, sizeof wpath, rdir, rows[i].file);
        if (!st) st = rnl_wav_read(wpath, &v, &len, NULL);
        if (!st && rows[i].samples >= 0 && (size_t)rows[i].samples != len)
            st = rnl_fail(RNL_ERR_DATA, "%s: %zu samples, but %s says %ld", wpath, len, mpath, rows[i].samples);
        if (!st && split_append(&set->split[rows[i].split], v, len, n))
            st = rnl_fail(RNL_ERR_NOMEM, "out of memory loading %s", wpath);
        free(v);
    }
    free(rows);
    free(text);
    /* Normalisation from the training split only: mean, then the population variance about
     * it (two passes in double). */
    const speech_split *tr = set ? &set->split[RNL_SPLIT_TRAIN] : NULL;
    double mean = 0, var = 0;
    if (!st) {
        size_t N = tr->n ? tr->off[tr->n] : 0;
        if (N < 2) {
            st = rnl_fail(RNL_ERR_DATA, "%s: the training split (%s) holds %zu samples; at least 2 are needed",
                          mpath, column, N);
        } else {
            for (size_t k = 0; k < N; k++) mean += tr->s[k];
            mean /= (double)N;
            for (size_t k = 0; k < N; k++) var += ((double)tr->s[k] - mean) * ((double)tr->s[k] - mean);
            var /= (double)N;
            if (!(var > 0)) st = rnl_fail(RNL_ERR_DATA, "%s: the training split is constant (std 0)", mpath);
        }
    }
    if (st) {
        if (set) speech_set_free(set);
        return st;
    }
    if (d->path != dir) snprintf(d->path, sizeof d->path, "%s", dir);
    d->impl = set;
    d->kind = "speech";
    for (int s = 0; s < 3; s++) d->nseq[s] = set->split[s].n;
    d->input = RNL_SPEECH_IN;
    d->output = RNL_SPEECH_OUT;
    d->head = RNL_HEAD_MOG;
    d->mixtures = RNL_SPEECH_K;
    d->mean = mean;
    d->std = sqrt(var);
    d->steps = speech_steps;
    d->fill = speech_fill;
    d->destroy = speech_destroy;
    return RNL_OK;
}
