/* npz.c — NumPy .npy arrays read strictly, the ZIP container of an .npz, and the .npz data
 * set adapter (see npz.h). Nothing is trusted: every length, offset and count read from a
 * file is checked against the bytes that are there before it is used. */
#include "data/npz.h"

#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "io/util.h"

/* ================================================================ NPY ================ */

static uint32_t rd16(const unsigned char *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }
static uint32_t rd32(const unsigned char *p) { return rd16(p) | rd16(p + 2) << 16; }
static uint64_t rd64(const unsigned char *p) { return rd32(p) | (uint64_t)rd32(p + 4) << 32; }

/* The header dict, a tiny Python literal: a cursor over [p, end). */
typedef struct {
    const char *p, *end;
} cur;

static void skip_sp(cur *c) {
    while (c->p < c->end && *c->p == ' ') c->p++;
}
static int eat(cur *c, char ch) {
    skip_sp(c);
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return 1;
    }
    return 0;
}
/* A quoted string 'abc' (no escapes) into out [n]. */
static int quoted(cur *c, char *out, size_t n) {
    if (!eat(c, '\'')) return 0;
    size_t k = 0;
    while (c->p < c->end && *c->p != '\'') {
        if (k + 1 >= n || (unsigned char)*c->p < 32 || (unsigned char)*c->p >= 127) return 0;
        out[k++] = *c->p++;
    }
    out[k] = 0;
    return c->p < c->end && *c->p++ == '\'';
}
static int word(cur *c, const char *w) {
    skip_sp(c);
    size_t n = strlen(w);
    if ((size_t)(c->end - c->p) < n || memcmp(c->p, w, n) != 0) return 0;
    c->p += n;
    return 1;
}
/* (T,) or (T, D) with optional trailing comma; each a decimal below 2^40. */
static int shape_tuple(cur *c, rnl_npy *a) {
    if (!eat(c, '(')) return 0;
    a->ndim = 0;
    for (;;) {
        skip_sp(c);
        if (c->p < c->end && *c->p == ')') break;
        if (a->ndim == 2 || c->p >= c->end || *c->p < '0' || *c->p > '9') return 0;
        uint64_t v = 0;
        while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
            v = v * 10 + (uint64_t)(*c->p++ - '0');
            if (v >= (uint64_t)1 << 40) return 0;
        }
        a->shape[a->ndim++] = (size_t)v;
        if (!eat(c, ',')) break;
    }
    return eat(c, ')') && a->ndim >= 1;
}

static const struct {
    const char *descr;
    char kind;
    int size;
} DTYPES[] = {
    {"|b1", 'b', 1}, {"|u1", 'u', 1}, {"|i1", 'i', 1}, {"<u2", 'u', 2}, {"<i2", 'i', 2}, {"<u4", 'u', 4},
    {"<i4", 'i', 4}, {"<u8", 'u', 8}, {"<i8", 'i', 8}, {"<f4", 'f', 4}, {"<f8", 'f', 8},
};

rnl_status rnl_npy_write_f32(const char *path, const float *v, size_t T, size_t D) {
    char dict[160];
    int hl = snprintf(dict, sizeof dict, "{'descr': '<f4', 'fortran_order': False, 'shape': (%zu, %zu), }", T, D);
    /* magic (6) + version (2) + length (2) + dict + padding + newline: a multiple of 64 */
    const size_t head = ((size_t)10 + (size_t)hl + 1 + 63) / 64 * 64, n = head + T * D * 4;
    unsigned char *b = malloc(n);
    if (!b) return rnl_fail(RNL_ERR_NOMEM, "out of memory writing %s", path);
    memcpy(b, "\x93NUMPY\x01\x00", 8);
    b[8] = (unsigned char)((head - 10) & 0xff);
    b[9] = (unsigned char)((head - 10) >> 8);
    memcpy(b + 10, dict, (size_t)hl);
    memset(b + 10 + hl, ' ', head - 10 - (size_t)hl - 1);
    b[head - 1] = '\n';
    for (size_t k = 0; k < T * D; k++) { /* little-endian float32, whatever the host */
        uint32_t u;
        memcpy(&u, &v[k], 4);
        for (int j = 0; j < 4; j++) b[head + 4 * k + (size_t)j] = (unsigned char)(u >> (8 * j));
    }
    rnl_status st = rnl_write_file_atomic(path, b, n);
    free(b);
    return st;
}

rnl_status rnl_npy_parse(const unsigned char *b, size_t n, const char *what, rnl_npy *out) {
    memset(out, 0, sizeof *out);
    if (n < 10 || memcmp(b, "\x93NUMPY", 6) != 0)
        return rnl_fail(RNL_ERR_DATA, "%s: not an .npy array (no \\x93NUMPY magic)", what);
    const int major = b[6];
    if (!(major >= 1 && major <= 3) || b[7] != 0)
        return rnl_fail(RNL_ERR_DATA, "%s: .npy version %d.%d (1.0, 2.0 and 3.0 are read)", what, b[6], b[7]);
    const size_t pre = major == 1 ? 10 : 12;
    if (n < pre) return rnl_fail(RNL_ERR_DATA, "%s: truncated .npy header", what);
    const size_t hlen = major == 1 ? rd16(b + 8) : rd32(b + 8);
    if (hlen > n - pre || hlen < 2 || b[pre + hlen - 1] != '\n')
        return rnl_fail(RNL_ERR_DATA, "%s: .npy header of %zu bytes does not fit the %zu there or does not end in a "
                        "newline", what, hlen, n - pre);
    cur c = {(const char *)b + pre, (const char *)b + pre + hlen - 1};
    char key[32], descr[16] = "";
    int have[3] = {0, 0, 0}, ok = eat(&c, '{');
    while (ok && !eat(&c, '}')) {
        ok = quoted(&c, key, sizeof key) && eat(&c, ':');
        const int k = !ok ? -1 : !strcmp(key, "descr") ? 0 : !strcmp(key, "fortran_order") ? 1 : !strcmp(key, "shape") ? 2 : -1;
        if (k < 0 || have[k]++) {
            ok = 0;
            break;
        }
        if (k == 0) ok = quoted(&c, descr, sizeof descr);
        else if (k == 1) ok = word(&c, "True") ? (out->fortran = 1) : word(&c, "False");
        else ok = shape_tuple(&c, out);
        if (ok && !eat(&c, ',')) ok = eat(&c, '}') ? (c.p--, 1) : 0;
    }
    skip_sp(&c);
    if (!ok || c.p != c.end || !have[0] || !have[1] || !have[2]) {
        char shown[81]; /* the header's start, printable characters only (one line) */
        size_t k = 0;
        for (; k + 1 < sizeof shown && k + 1 < hlen; k++) {
            const unsigned char ch = b[pre + k];
            shown[k] = ch >= 32 && ch < 127 ? (char)ch : '?';
        }
        shown[k] = 0;
        return rnl_fail(RNL_ERR_DATA, "%s: .npy header is not {'descr': …, 'fortran_order': …, 'shape': (…)} with "
                        "a 1- or 2-dimensional shape: %s", what, shown);
    }
    int t = -1;
    for (int i = 0; i < (int)(sizeof DTYPES / sizeof *DTYPES); i++)
        if (strcmp(descr, DTYPES[i].descr) == 0) t = i;
    if (t < 0)
        return rnl_fail(RNL_ERR_DATA, "%s: dtype '%s' is not read (bool, integers or float32/float64, little-endian; "
                        "no objects or pickles)", what, descr);
    out->kind = DTYPES[t].kind;
    out->itemsize = DTYPES[t].size;
    if (out->ndim == 1) out->shape[1] = 1;
    const uint64_t count = (uint64_t)out->shape[0] * out->shape[1];
    if (count > ((uint64_t)1 << 40) / (uint64_t)out->itemsize || count * (uint64_t)out->itemsize != n - pre - hlen)
        return rnl_fail(RNL_ERR_DATA, "%s: shape (%zu, %zu) of '%s' needs %llu data bytes, the file has %zu", what,
                        out->shape[0], out->shape[1], descr, (unsigned long long)(count * (uint64_t)out->itemsize),
                        n - pre - hlen);
    out->data = b + pre + hlen;
    return RNL_OK;
}

double rnl_npy_value(const rnl_npy *a, size_t t, size_t d) {
    const size_t i = a->fortran ? d * a->shape[0] + t : t * a->shape[1] + d;
    const unsigned char *p = a->data + i * (size_t)a->itemsize;
    uint64_t u = a->itemsize == 1 ? p[0] : a->itemsize == 2 ? rd16(p) : a->itemsize == 4 ? rd32(p) : rd64(p);
    if (a->kind == 'f') {
        if (a->itemsize == 4) {
            float f;
            uint32_t w = (uint32_t)u;
            memcpy(&f, &w, 4);
            return f;
        }
        double v;
        memcpy(&v, &u, 8);
        return v;
    }
    if (a->kind == 'i' && a->itemsize < 8 && (u >> (8 * a->itemsize - 1)) & 1) /* sign-extend */
        u |= ~(uint64_t)0 << (8 * a->itemsize);
    return a->kind == 'i' ? (double)(int64_t)u : (double)u;
}

/* ================================================================ ZIP ================ */

/* One member: its name and where its compressed bytes are. */
typedef struct {
    char name[64];
    uint32_t method, crc;
    uint64_t csize, usize;
    const unsigned char *data;
} zip_member;

/* A zip64 extended-information field (id 1) supplies, in order, those of usize, csize and
 * the local header offset that are 0xFFFFFFFF in the entry. */
static int zip64_fields(const unsigned char *x, size_t xlen, uint64_t *us, uint64_t *cs, uint64_t *off) {
    for (size_t i = 0; i + 4 <= xlen;) {
        const uint32_t id = rd16(x + i), len = rd16(x + i + 2);
        if (i + 4 + len > xlen) return 0;
        if (id == 1) {
            const unsigned char *f = x + i + 4;
            size_t k = 0;
            uint64_t *v[3] = {us, cs, off};
            for (int j = 0; j < 3; j++)
                if (*v[j] == 0xFFFFFFFFu) {
                    if ((k + 1) * 8 > len) return 0;
                    *v[j] = rd64(f + 8 * k++);
                }
            return 1;
        }
        i += 4 + len;
    }
    return *us != 0xFFFFFFFFu && *cs != 0xFFFFFFFFu && *off != 0xFFFFFFFFu;
}

/* The members of the ZIP in b [n] (central directory order) into *out (malloc'd), *count. */
static rnl_status zip_list(const char *path, const unsigned char *b, size_t n, zip_member **out, size_t *count) {
    *out = NULL;
    *count = 0;
    size_t e = SIZE_MAX;
    for (size_t i = n >= 22 ? n - 22 : 0; n >= 22; i--) {
        if (rd32(b + i) == 0x06054b50u) {
            e = i;
            break;
        }
        if (i == 0 || n - i > 22 + 65535) break;
    }
    if (e == SIZE_MAX) return rnl_fail(RNL_ERR_DATA, "%s: not a ZIP file (no end of central directory): an .npz is "
                                       "what np.savez writes", path);
    uint64_t entries = rd16(b + e + 10), cd_size = rd32(b + e + 12), cd_off = rd32(b + e + 16);
    if (entries == 0xFFFF || cd_off == 0xFFFFFFFFu || cd_size == 0xFFFFFFFFu) {
        if (e < 20 || rd32(b + e - 20) != 0x07064b50u)
            return rnl_fail(RNL_ERR_DATA, "%s: ZIP64 end of central directory locator missing", path);
        const uint64_t z = rd64(b + e - 20 + 8);
        if (z > n || n - z < 56 || rd32(b + z) != 0x06064b50u)
            return rnl_fail(RNL_ERR_DATA, "%s: ZIP64 end of central directory out of the file", path);
        entries = rd64(b + z + 32);
        cd_size = rd64(b + z + 40);
        cd_off = rd64(b + z + 48);
    }
    if (cd_off > n || cd_size > n - cd_off || entries > cd_size / 46)
        return rnl_fail(RNL_ERR_DATA, "%s: ZIP central directory (%llu entries) out of the file (truncated?)", path,
                        (unsigned long long)entries);
    zip_member *m = calloc(entries ? (size_t)entries : 1, sizeof *m);
    if (!m) return rnl_fail(RNL_ERR_NOMEM, "out of memory reading %s", path);
    const unsigned char *p = b + cd_off, *end = b + cd_off + cd_size;
    rnl_status st = RNL_OK;
    for (uint64_t k = 0; k < entries && !st; k++) {
        if (end - p < 46 || rd32(p) != 0x02014b50u) {
            st = rnl_fail(RNL_ERR_DATA, "%s: ZIP central directory entry %llu is damaged", path, (unsigned long long)k);
            break;
        }
        const uint32_t flags = rd16(p + 8), nlen = rd16(p + 28), xlen = rd16(p + 30), clen = rd16(p + 32);
        uint64_t cs = rd32(p + 20), us = rd32(p + 24), lho = rd32(p + 42);
        if ((size_t)(end - p) < 46 + (size_t)nlen + xlen + clen) {
            st = rnl_fail(RNL_ERR_DATA, "%s: ZIP central directory entry %llu runs past the directory", path,
                          (unsigned long long)k);
            break;
        }
        zip_member *z = &m[k];
        for (uint32_t j = 0; j < nlen && j < sizeof z->name - 1; j++) /* printable, for messages */
            z->name[j] = p[46 + j] >= 32 && p[46 + j] < 127 ? (char)p[46 + j] : '?';
        if (nlen >= sizeof z->name || memchr(p + 46, 0, nlen))
            st = rnl_fail(RNL_ERR_DATA, "%s: member %llu has a name of %u bytes (at most 63, no NUL)", path,
                          (unsigned long long)k, nlen);
        else if (flags & 1)
            st = rnl_fail(RNL_ERR_DATA, "%s: member %s is encrypted", path, z->name);
        else if (!zip64_fields(p + 46 + nlen, xlen, &us, &cs, &lho))
            st = rnl_fail(RNL_ERR_DATA, "%s: member %s: bad ZIP64 extra field", path, z->name);
        else if (lho > n || n - lho < 30 || rd32(b + lho) != 0x04034b50u)
            st = rnl_fail(RNL_ERR_DATA, "%s: member %s: local header out of the file or damaged (truncated?)", path,
                          z->name);
        else {
            const uint64_t at = lho + 30 + rd16(b + lho + 26) + rd16(b + lho + 28);
            if (at > n || cs > n - at)
                st = rnl_fail(RNL_ERR_DATA, "%s: member %s: %llu compressed bytes run past the end of the file "
                              "(truncated?)", path, z->name, (unsigned long long)cs);
            z->method = rd16(p + 10);
            z->crc = rd32(p + 16);
            z->csize = cs;
            z->usize = us;
            z->data = b + at;
        }
        p += 46 + nlen + xlen + clen;
    }
    if (st) {
        free(m);
        return st;
    }
    *out = m;
    *count = (size_t)entries;
    return RNL_OK;
}

/* A member's bytes: stored (*buf = NULL, *bytes points into the file) or inflated into
 * *buf (malloc'd); the CRC-32 checked either way. */
static rnl_status zip_read(const char *path, const zip_member *z, unsigned char **buf, const unsigned char **bytes) {
    *buf = NULL;
    *bytes = NULL;
    if (z->method == 0) {
        if (z->csize != z->usize)
            return rnl_fail(RNL_ERR_DATA, "%s: stored member %s has sizes %llu and %llu", path, z->name,
                            (unsigned long long)z->csize, (unsigned long long)z->usize);
        *bytes = z->data;
    } else if (z->method == 8) {
        /* deflate expands at most ~1032:1; more is a damaged or hostile size */
        if (z->usize > (uint64_t)1 << 32 || z->usize > z->csize * 1032 + 1024)
            return rnl_fail(RNL_ERR_DATA, "%s: member %s claims %llu bytes from %llu compressed", path, z->name,
                            (unsigned long long)z->usize, (unsigned long long)z->csize);
        unsigned char *o = malloc(z->usize ? (size_t)z->usize : 1);
        if (!o) return rnl_fail(RNL_ERR_NOMEM, "out of memory inflating %s of %s", z->name, path);
        z_stream s;
        memset(&s, 0, sizeof s);
        int rc = inflateInit2(&s, -MAX_WBITS);
        if (rc == Z_OK) {
            s.next_in = (Bytef *)(uintptr_t)z->data;
            s.avail_in = (uInt)z->csize;
            s.next_out = o;
            s.avail_out = (uInt)z->usize;
            rc = z->csize > UINT_MAX ? Z_DATA_ERROR : inflate(&s, Z_FINISH);
            inflateEnd(&s);
        }
        if (rc != Z_STREAM_END || s.total_out != z->usize) {
            free(o);
            return rnl_fail(RNL_ERR_DATA, "%s: member %s does not inflate to its %llu bytes (damaged)", path, z->name,
                            (unsigned long long)z->usize);
        }
        *buf = o;
        *bytes = o;
    } else {
        return rnl_fail(RNL_ERR_DATA, "%s: member %s uses ZIP method %u (stored and deflate are read: np.savez or "
                        "np.savez_compressed)", path, z->name, z->method);
    }
    uLong crc = crc32(0L, Z_NULL, 0);
    for (uint64_t off = 0; off < z->usize; off += 1u << 30) {
        const uint64_t k = z->usize - off < (1u << 30) ? z->usize - off : (1u << 30);
        crc = crc32(crc, *bytes + off, (uInt)k);
    }
    if ((uint32_t)crc != z->crc) {
        free(*buf);
        *buf = NULL;
        return rnl_fail(RNL_ERR_DATA, "%s: member %s fails its CRC-32 (damaged)", path, z->name);
    }
    return RNL_OK;
}

/* ================================================================ the data set ======= */

typedef struct {
    int n;          /* sequences */
    size_t *off;    /* [n] first step of each in v */
    size_t *len;    /* [n] steps (frames) of each */
} npz_split;

typedef struct {
    npz_split split[3];
    uint32_t *v;    /* every frame's D values (0/1), or every token, concatenated */
    rnl_real *r;    /* real-valued data: every frame's D values, concatenated (v unused) */
    int D;          /* values per frame (tokens: 1) */
    int tokens;     /* 1: the softmax head over V = input symbols */
    int real;       /* 1: real values, the Gaussian-mixture head over D values */
    int V;
} npz_impl;

static const char *const SPLIT_PREFIX[3] = {"train_", "valid_", "test_"};

/* "train_12.npy" -> split 0, index 12; -1 if it is not such a name. */
static int member_split(const char *name, long *index) {
    for (int s = 0; s < 3; s++) {
        size_t p = strlen(SPLIT_PREFIX[s]);
        if (strncmp(name, SPLIT_PREFIX[s], p) != 0) continue;
        const char *q = name + p;
        char *end;
        if (*q < '0' || *q > '9' || (q[0] == '0' && q[1] >= '0' && q[1] <= '9')) return -1;
        long i = strtol(q, &end, 10);
        if (strcmp(end, ".npy") != 0 || i < 0 || i >= 10000000) return -1;
        *index = i;
        return s;
    }
    return -1;
}

static int npz_steps(const rnl_dataset *d, int split, int i) {
    const npz_impl *z = d->impl;
    const size_t L = z->split[split].len[i];
    return L > 1 ? (int)(L - 1) : 0;
}

static void npz_fill(const rnl_dataset *d, int split, int i, int b, int B, rnl_real *x, rnl_real *y) {
    const npz_impl *z = d->impl;
    const int L = npz_steps(d, split, i), W = d->input;
    const uint32_t *v = z->v + z->split[split].off[i] * (size_t)z->D;
    for (int t = 0; t < L; t++) {
        rnl_real *xr = x + ((size_t)t * B + b) * W, *yr = y + ((size_t)t * B + b) * W;
        if (z->real) {
            const rnl_real *r = z->r + z->split[split].off[i] * (size_t)z->D;
            for (int k = 0; k < z->D; k++) {
                xr[k] = r[(size_t)t * z->D + k];
                yr[k] = r[(size_t)(t + 1) * z->D + k];
            }
        } else if (z->tokens) {
            xr[v[t]] = 1;
            yr[v[t + 1]] = 1;
        } else {
            for (int k = 0; k < z->D; k++) {
                xr[k] = (rnl_real)v[(size_t)t * z->D + k];
                yr[k] = (rnl_real)v[(size_t)(t + 1) * z->D + k];
            }
        }
    }
}

static void npz_free(npz_impl *z) {
    for (int s = 0; s < 3; s++) {
        free(z->split[s].off);
        free(z->split[s].len);
    }
    free(z->v);
    free(z->r);
    free(z);
}

static void npz_destroy(rnl_dataset *d) { npz_free(d->impl); }

/* The members, parsed: arr[s][i] (pointing into file bytes or bufs). */
typedef struct {
    rnl_npy *arr[3];
    int n[3];
    unsigned char **bufs;
    size_t nbufs;
} npz_arrays;

static void arrays_free(npz_arrays *a) {
    for (int s = 0; s < 3; s++) free(a->arr[s]);
    for (size_t i = 0; i < a->nbufs; i++) free(a->bufs[i]);
    free(a->bufs);
}

static rnl_status load_arrays(const char *path, const unsigned char *b, size_t n, npz_arrays *a) {
    zip_member *m = NULL;
    size_t count = 0;
    rnl_status st = zip_list(path, b, n, &m, &count);
    if (st) return st;
    long idx;
    for (size_t k = 0; k < count && !st; k++) {
        const int s = member_split(m[k].name, &idx);
        if (s < 0)
            st = rnl_fail(RNL_ERR_DATA, "%s: member %s is not a sequence (names: train_<i>, valid_<i>, test_<i>, "
                          "i = 0, 1, ...)", path, m[k].name);
        else if (idx >= (long)count)
            st = rnl_fail(RNL_ERR_DATA, "%s: member %s: index %ld with %zu members (the indices of a split run 0, 1, "
                          "... without gaps)", path, m[k].name, idx, count);
        else if (idx + 1 > a->n[s])
            a->n[s] = (int)idx + 1;
    }
    for (int s = 0; s < 3 && !st; s++)
        if (!(a->arr[s] = calloc(a->n[s] ? (size_t)a->n[s] : 1, sizeof(rnl_npy))))
            st = rnl_fail(RNL_ERR_NOMEM, "out of memory reading %s", path);
    if (!st && !(a->bufs = calloc(count ? count : 1, sizeof *a->bufs)))
        st = rnl_fail(RNL_ERR_NOMEM, "out of memory reading %s", path);
    for (size_t k = 0; k < count && !st; k++) {
        const int s = member_split(m[k].name, &idx);
        const unsigned char *bytes;
        char what[4200];
        snprintf(what, sizeof what, "%s: %s", path, m[k].name);
        if (a->arr[s][idx].data)
            st = rnl_fail(RNL_ERR_DATA, "%s: member %s appears twice", path, m[k].name);
        if (!st) st = zip_read(path, &m[k], &a->bufs[a->nbufs], &bytes);
        if (!st) a->nbufs++;
        if (!st) st = rnl_npy_parse(bytes, (size_t)m[k].usize, what, &a->arr[s][idx]);
    }
    for (int s = 0; s < 3 && !st; s++)
        for (int i = 0; i < a->n[s] && !st; i++)
            if (!a->arr[s][i].data)
                st = rnl_fail(RNL_ERR_DATA, "%s: %s%d.npy is missing (the indices of a split run 0, 1, ... without "
                              "gaps)", path, SPLIT_PREFIX[s], i);
    free(m);
    return st;
}

/* Decide the head from the values and copy them into z. */
static rnl_status convert(const char *path, const npz_arrays *a, npz_impl *z) {
    size_t total = 0, D = 0;
    int binary = 1, integer = 1;
    double vmax = 0, vabs = 0;
    for (int s = 0; s < 3; s++)
        for (int i = 0; i < a->n[s]; i++) {
            const rnl_npy *q = &a->arr[s][i];
            if (D && q->shape[1] != D)
                return rnl_fail(RNL_ERR_DATA, "%s: %s%d.npy has %zu values per step, the others %zu", path,
                                SPLIT_PREFIX[s], i, q->shape[1], D);
            D = q->shape[1];
            if (q->shape[0] > ((size_t)1 << 31) || total > ((size_t)1 << 31))
                return rnl_fail(RNL_ERR_DATA, "%s: more than 2^31 steps", path);
            total += q->shape[0];
            integer &= q->kind != 'f';
            for (size_t t = 0; t < q->shape[0]; t++)
                for (size_t k = 0; k < D; k++) {
                    const double v = rnl_npy_value(q, t, k);
                    if (!isfinite(v)) return rnl_fail(RNL_ERR_DATA, "%s: %s%d.npy holds a non-finite value", path, SPLIT_PREFIX[s], i);
                    binary &= v == 0 || v == 1;
                    if (v < 0 && !binary && integer)
                        return rnl_fail(RNL_ERR_DATA, "%s: %s%d.npy holds the negative token %.0f (tokens are 0, 1, ...)",
                                        path, SPLIT_PREFIX[s], i, v);
                    vmax = v > vmax ? v : vmax;
                    vabs = fabs(v) > vabs ? fabs(v) : vabs;
                }
        }
    if (D == 0 || D > 65536) return rnl_fail(RNL_ERR_DATA, "%s: %zu values per step (1 .. 65536)", path, D);
    z->real = !binary && !integer;
    if (z->real && vabs > RNL_NPZ_MAX_ABS)
        return rnl_fail(RNL_ERR_DATA, "%s: a real value of magnitude %g: at most %g (scale the data to about unit size)",
                        path, vabs, RNL_NPZ_MAX_ABS);
    if (!z->real && !binary && D != 1)
        return rnl_fail(RNL_ERR_DATA, "%s: integer arrays of %zu columns: token sequences are 1-D or T x 1", path, D);
    if (!z->real && !binary && vmax >= 65536)
        return rnl_fail(RNL_ERR_DATA, "%s: token %.0f: at most 65536 symbols (0 .. 65535)", path, vmax);
    z->D = (int)D;
    z->tokens = !binary && !z->real;
    z->V = binary || z->real ? (int)D : (int)vmax + 1;
    if (z->real ? !(z->r = malloc(sizeof *z->r * (total * D > 0 ? total * D : 1)))
                : !(z->v = malloc(sizeof *z->v * (total * D > 0 ? total * D : 1))))
        return rnl_fail(RNL_ERR_NOMEM, "out of memory reading %s", path);
    size_t at = 0;
    for (int s = 0; s < 3; s++) {
        npz_split *p = &z->split[s];
        p->n = a->n[s];
        p->off = calloc(p->n ? (size_t)p->n : 1, sizeof *p->off);
        p->len = calloc(p->n ? (size_t)p->n : 1, sizeof *p->len);
        if (!p->off || !p->len) return rnl_fail(RNL_ERR_NOMEM, "out of memory reading %s", path);
        for (int i = 0; i < p->n; i++) {
            const rnl_npy *q = &a->arr[s][i];
            p->off[i] = at;
            p->len[i] = q->shape[0];
            for (size_t t = 0; t < q->shape[0]; t++, at++)
                for (size_t k = 0; k < D; k++) {
                    const double v = rnl_npy_value(q, t, k);
                    if (z->real) z->r[at * D + k] = (rnl_real)v;
                    else z->v[at * D + k] = (uint32_t)v;
                }
        }
    }
    return RNL_OK;
}

rnl_status rnl_npz_open(const char *path, rnl_dataset *d) {
    unsigned char *b = NULL;
    size_t n = 0;
    rnl_status st = rnl_read_file(path, &b, &n);
    if (st) return st;
    npz_arrays a;
    memset(&a, 0, sizeof a);
    npz_impl *z = calloc(1, sizeof *z);
    if (!z) st = rnl_fail(RNL_ERR_NOMEM, "out of memory reading %s", path);
    if (!st) st = load_arrays(path, b, n, &a);
    if (!st) st = convert(path, &a, z);
    arrays_free(&a);
    free(b);
    if (st) {
        if (z) npz_free(z);
        return st;
    }
    d->impl = z;
    d->kind = "npz";
    for (int s = 0; s < 3; s++) d->nseq[s] = z->split[s].n;
    d->input = d->output = z->V;
    d->head = z->real ? RNL_HEAD_GAUSS : z->tokens ? RNL_HEAD_SOFTMAX : RNL_HEAD_BERNOULLI;
    d->mixtures = z->real ? RNL_NPZ_MIXTURES : 0;
    d->mean = 0;
    d->std = 1;
    d->steps = npz_steps;
    d->fill = npz_fill;
    d->destroy = npz_destroy;
    return RNL_OK;
}
