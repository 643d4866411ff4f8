/* matwrite.c — three splits of piano rolls written as a MAT v5 file with libmatio, read back
 * and compared before it is renamed into place (see matwrite.h). */
#include "data/matwrite.h"

#include <errno.h>
#include <matio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "data/pianoroll.h"
#include "io/util.h"

static const char *const SPLIT_VAR[3] = {"traindata", "validdata", "testdata"};

/* One split as a 1xN cell array of T x 88 doubles (column-major: element (t, k) at k*T + t). */
static rnl_status split_var(const rnl_seqset *s, const char *name, const char *path,
                            matvar_t **out) {
    size_t dims[2] = {1, (size_t)s->n};
    matvar_t *cell = Mat_VarCreate(name, MAT_C_CELL, MAT_T_CELL, 2, dims, NULL, 0);
    if (!cell) return rnl_fail(RNL_ERR_NOMEM, "%s: libmatio cannot create %s", path, name);
    for (int i = 0; i < s->n; i++) {
        size_t T = (size_t)s->len[i], d2[2] = {T, RNL_ROLL_KEYS};
        double *buf = malloc((T ? T : 1) * RNL_ROLL_KEYS * sizeof *buf);
        if (!buf) {
            Mat_VarFree(cell);
            return rnl_fail(RNL_ERR_NOMEM, "%s: out of memory for %s{%d}", path, name, i);
        }
        const uint8_t *f = s->frames + s->off[i] * RNL_ROLL_KEYS;
        for (size_t t = 0; t < T; t++)
            for (size_t k = 0; k < RNL_ROLL_KEYS; k++) buf[k * T + t] = f[t * RNL_ROLL_KEYS + k];
        matvar_t *v = Mat_VarCreate(NULL, MAT_C_DOUBLE, MAT_T_DOUBLE, 2, d2, T ? buf : NULL, 0);
        free(buf);
        if (!v) {
            Mat_VarFree(cell);
            return rnl_fail(RNL_ERR_NOMEM, "%s: libmatio cannot create %s{%d}", path, name, i);
        }
        Mat_VarSetCell(cell, i, v);
    }
    *out = cell;
    return RNL_OK;
}

static int same_split(const rnl_seqset *a, const rnl_seqset *b) {
    if (a->n != b->n || a->total != b->total || (a->n && a->dim != b->dim)) return 0;
    for (int i = 0; i < a->n; i++)
        if (a->len[i] != b->len[i] ||
            memcmp(a->frames + a->off[i] * RNL_ROLL_KEYS, b->frames + b->off[i] * RNL_ROLL_KEYS,
                   (size_t)a->len[i] * RNL_ROLL_KEYS) != 0)
            return 0;
    return 1;
}

rnl_status rnl_music_write_mat(const char *path, const rnl_seqset split[3]) {
    for (int s = 0; s < 3; s++)
        if (split[s].n && split[s].dim != RNL_ROLL_KEYS)
            return rnl_fail(RNL_ERR_USAGE, "%s: %s has %d keys per frame, %d expected", path, SPLIT_VAR[s], split[s].dim, RNL_ROLL_KEYS);
    size_t tl = strlen(path) + 48;
    char *tmp = malloc(tl);
    if (!tmp) return rnl_fail(RNL_ERR_NOMEM, "%s: out of memory", path);
    snprintf(tmp, tl, "%s.tmp%ld.mat", path, (long)getpid());
    unlink(tmp);
    rnl_status st = RNL_OK;
    mat_t *mat = Mat_CreateVer(tmp, NULL, MAT_FT_MAT5);
    if (!mat) {
        st = rnl_fail(RNL_ERR_IO, "%s: cannot create the temporary file %s: %s", path, tmp, strerror(errno));
        free(tmp);
        return st;
    }
    for (int s = 0; s < 3 && !st; s++) {
        matvar_t *v = NULL;
        st = split_var(&split[s], SPLIT_VAR[s], path, &v);
        if (!st && Mat_VarWrite(mat, v, MAT_COMPRESSION_ZLIB) != 0)
            st = rnl_fail(RNL_ERR_IO, "%s: libmatio could not write %s to %s", path, SPLIT_VAR[s], tmp);
        Mat_VarFree(v);
    }
    Mat_Close(mat);
    rnl_music back;
    memset(&back, 0, sizeof back);
    if (!st && (st = rnl_music_load(tmp, &back)))
        st = rnl_fail(st, "%s: the file written does not read back: %s", path, rnl_last_error());
    for (int s = 0; s < 3 && !st; s++)
        if (!same_split(&split[s], &back.split[s]))
            st = rnl_fail(RNL_ERR_INTERNAL, "%s: %s read back differs from what was written", path, SPLIT_VAR[s]);
    rnl_music_free(&back);
    unsigned char *bytes = NULL;
    size_t n = 0;
    if (!st) st = rnl_read_file(tmp, &bytes, &n);
    if (!st) st = rnl_write_file_atomic(path, bytes, n);
    free(bytes);
    unlink(tmp);
    free(tmp);
    return st;
}

