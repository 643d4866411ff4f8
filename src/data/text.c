/* text.c — the text adapter: a file's bytes as symbols behind the rnl_dataset interface (see
 * text.h). */
#include "data/text.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/util.h"

typedef struct {
    unsigned char *sym; /* [N] the symbol of every byte of the file */
    size_t start[3];    /* each split's first byte */
    size_t len[3];      /* ... and its bytes */
    int V;              /* symbols */
    char hex[513];      /* the vocabulary as rnl_model_meta.vocab */
} text_impl;

static const char *const SPLIT_NAMES[3] = {"training", "validation", "test"};

int rnl_text_vocab_bytes(const char *hex, unsigned char out[256]) {
    size_t n = hex ? strlen(hex) : 0;
    if (n == 0 || n % 2 || n > 512) return 0;
    int seen[256] = {0};
    for (size_t i = 0; i < n / 2; i++) {
        unsigned v = 0;
        for (int j = 0; j < 2; j++) {
            char c = hex[2 * i + (size_t)j];
            int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
            if (d < 0) return 0;
            v = v * 16 + (unsigned)d;
        }
        if (seen[v]++) return 0;
        out[i] = (unsigned char)v;
    }
    return (int)(n / 2);
}

static int text_steps(const rnl_dataset *d, int split, int i) {
    const text_impl *t = d->impl;
    return t->len[split] > 1 ? (int)(t->len[split] - 1) : 0;
}

/* One-hot rows: x[r, b] = e(sym[p + r]), y[r, b] = e(sym[p + r + 1]); the caller zeroed them. */
static void text_fill_range(const rnl_dataset *d, int split, int i, int t0, int n, int b, int B, rnl_real *x,
                            rnl_real *y) {
    const text_impl *t = d->impl;
    const unsigned char *s = t->sym + t->start[split] + (size_t)t0;
    const size_t V = (size_t)t->V;
    for (int r = 0; r < n; r++) {
        x[((size_t)r * B + b) * V + s[r]] = 1;
        y[((size_t)r * B + b) * V + s[r + 1]] = 1;
    }
}

static void text_fill(const rnl_dataset *d, int split, int i, int b, int B, rnl_real *x, rnl_real *y) {
    text_fill_range(d, split, i, 0, text_steps(d, split, i), b, B, x, y);
}

static void text_destroy(rnl_dataset *d) {
    text_impl *t = d->impl;
    free(t->sym);
    free(t);
}

/* The vocabulary: the model's, or the distinct bytes of the training split. map[byte] =
 * symbol + 1 (0: not a symbol). */
static rnl_status make_vocab(const char *path, const unsigned char *txt, size_t ntrain, const char *vocab,
                             text_impl *t, int map[256]) {
    unsigned char bytes[256];
    int V = 0;
    if (vocab) {
        if (!(V = rnl_text_vocab_bytes(vocab, bytes)))
            return rnl_fail(RNL_ERR_DATA, "%s: the model's vocabulary is not 1 to 256 distinct bytes as hex digits",
                            path);
    } else {
        int seen[256] = {0};
        for (size_t i = 0; i < ntrain; i++) seen[txt[i]] = 1;
        for (int c = 0; c < 256; c++)
            if (seen[c]) bytes[V++] = (unsigned char)c;
    }
    memset(map, 0, sizeof(int) * 256);
    for (int k = 0; k < V; k++) {
        map[bytes[k]] = k + 1;
        snprintf(t->hex + 2 * k, 3, "%02x", bytes[k]);
    }
    t->V = V;
    return RNL_OK;
}

/* "90/5/5": three percentages summing to 100, the first two positive. */
static rnl_status parse_split(const char *text, double f[2]) {
    double p[3];
    const char *c = text;
    for (int i = 0; i < 3; i++) {
        char *end;
        p[i] = strtod(c, &end);
        if (end == c || !(p[i] >= 0 && p[i] <= 100) || *end != (i < 2 ? '/' : '\0')) break;
        c = end + 1;
        if (i == 2 && p[0] > 0 && p[1] > 0 && fabs(p[0] + p[1] + p[2] - 100) < 1e-9) {
            f[0] = p[0] / 100;
            f[1] = p[1] / 100;
            return RNL_OK;
        }
    }
    return rnl_fail(RNL_ERR_USAGE, "--split %.100s: expected TRAIN/VALID/TEST percentages summing to 100, the first "
                    "two positive, e.g. 90/5/5", text);
}

rnl_status rnl_text_open(const char *path, const char *split, const char *vocab, rnl_dataset *d) {
    if (!split || !*split) split = "90/5/5";
    double f[2] = {0, 0};
    rnl_status st = strlen(split) < sizeof d->split_text
                        ? parse_split(split, f)
                        : rnl_fail(RNL_ERR_USAGE, "--split: longer than %zu characters", sizeof d->split_text - 1);
    if (st) return st;
    const double ft = f[0], fv = f[1];
    unsigned char *txt = NULL;
    size_t N = 0;
    if ((st = rnl_read_file(path, &txt, &N))) return st;
    if (N > (size_t)1 << 31) {
        free(txt);
        return rnl_fail(RNL_ERR_DATA, "%s: %zu bytes, more than the 2^31 a text data set may have", path, N);
    }
    text_impl *t = calloc(1, sizeof *t);
    if (!t) {
        free(txt);
        return rnl_fail(RNL_ERR_NOMEM, "out of memory loading %s", path);
    }
    t->len[0] = (size_t)(ft * (double)N);
    t->len[1] = (size_t)(fv * (double)N);
    t->len[2] = N - t->len[0] - t->len[1];
    t->start[1] = t->len[0];
    t->start[2] = t->len[0] + t->len[1];
    for (int s = 0; s < 3 && !st; s++)
        if (t->len[s] < 2)
            st = rnl_fail(RNL_ERR_DATA, "%s: the %s split has %zu bytes of %zu (--split %s): at least 2 needed "
                          "(one symbol predicted from another)", path, SPLIT_NAMES[s], t->len[s], N, split);
    int map[256];
    if (!st) st = make_vocab(path, txt, t->len[0], vocab, t, map);
    for (size_t i = 0; i < N && !st; i++) {
        if (map[txt[i]]) {
            txt[i] = (unsigned char)(map[txt[i]] - 1);
            continue;
        }
        const int s = i < t->start[1] ? 0 : i < t->start[2] ? 1 : 2;
        st = rnl_fail(RNL_ERR_DATA, "%s: byte 0x%02x at offset %zu (%s split) is not in the %s vocabulary of %d "
                      "symbols", path, txt[i], i, SPLIT_NAMES[s], vocab ? "model's" : "training split's", t->V);
    }
    if (st) {
        free(txt);
        free(t);
        return st;
    }
    t->sym = txt;
    d->impl = t;
    d->kind = "text";
    for (int s = 0; s < 3; s++) d->nseq[s] = 1;
    d->input = d->output = t->V;
    d->head = RNL_HEAD_SOFTMAX;
    d->mixtures = 0;
    d->mean = 0;
    d->std = 1;
    d->steps = text_steps;
    d->fill = text_fill;
    d->fill_range = text_fill_range;
    d->destroy = text_destroy;
    d->vocab = t->hex;
    snprintf(d->split_text, sizeof d->split_text, "%s", split);
    return RNL_OK;
}
