/* safetensors.c — read and write the safetensors format (see safetensors.h).
 *
 * The reader treats every file as hostile: the 8-byte header length is checked against the
 * file size and a 100 MB limit before anything is allocated for it, the header goes through
 * the strict JSON reader, and every size and offset is checked with overflow-safe arithmetic
 * before any pointer into the data region is formed. The checksum (safetensors.h) is checked
 * last, once the header is known to describe the file. */
#include "io/safetensors.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/checksum.h"
#include "io/json.h"
#include "io/util.h"

#define ST_MAX_HEADER ((uint64_t)100 * 1000 * 1000) /* bytes of JSON header accepted */
#define ST_META "__metadata__"                      /* the reserved metadata key */
#define ST_SUM_PREFIX "crc32c:"                     /* the checksum value: prefix, then */
#define ST_SUM_HEX 8                                /* this many lowercase hex digits */

/* ------------------------------------------------------------------------------------------
 * Types
 * ---------------------------------------------------------------------------------------- */

typedef struct {
    char *key;   /* malloc'd */
    char *value; /* malloc'd */
} st_pair;

struct rnl_st_file {
    char *path;              /* name given to read/parse, for messages */
    unsigned char *buf;      /* the whole file; tensors' data point into it */
    size_t size;             /* bytes in buf */
    rnl_st_tensor *tensors;  /* [count] in header order */
    int count;               /* tensors */
    st_pair *meta;           /* [nmeta] metadata in header order, the checksum left out */
    int nmeta;               /* metadata pairs */
    rnl_st_sum sum;          /* how the checksum compared */
    uint32_t sum_stored;     /* the checksum in the file (when sum != ABSENT) */
    uint32_t sum_computed;   /* the one recomputed from the file (when sum != ABSENT) */
};

typedef struct {
    char name[RNL_ST_MAX_NAME];     /* tensor name */
    rnl_st_dtype dtype;             /* element type */
    int ndim;                       /* 0..RNL_ST_MAX_DIMS */
    int64_t shape[RNL_ST_MAX_DIMS]; /* dimensions, each >= 0 */
    size_t nbytes;                  /* numel * dtype size */
    unsigned char *data;            /* nbytes, little-endian, malloc'd (NULL if nbytes 0) */
} st_wtensor;

struct rnl_st_writer {
    st_wtensor *t; /* [count] in the order added */
    int count;     /* tensors added */
    int cap;       /* capacity of t */
    st_pair *meta; /* [nmeta] in the order added */
    int nmeta;     /* metadata pairs added */
    int mcap;      /* capacity of meta */
};

/* ------------------------------------------------------------------------------------------
 * Dtypes and byte order
 * ---------------------------------------------------------------------------------------- */

static const char *const k_dtype_names[] = {"F32", "F64", "I32", "I64", "U8"};
static const size_t k_dtype_sizes[] = {4, 8, 4, 8, 1};
#define ST_NDTYPES ((int)(sizeof k_dtype_sizes / sizeof k_dtype_sizes[0]))

static int dtype_valid(rnl_st_dtype d) { return (int)d >= 0 && (int)d < ST_NDTYPES; }

static int host_is_le(void) {
    const uint16_t one = 1;
    unsigned char b;
    memcpy(&b, &one, 1);
    return b == 1;
}

/* Copy n elements of k bytes from host order (src) to little-endian (dst), or back: the
 * operation is its own inverse. */
static void copy_le(unsigned char *dst, const unsigned char *src, size_t n, size_t k) {
    if (k == 1 || host_is_le()) {
        memcpy(dst, src, n * k);
        return;
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < k; j++) dst[i * k + j] = src[i * k + (k - 1 - j)];
}

static uint64_t read_le64(const unsigned char *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
    return v;
}

/* numel of a shape, 0 on overflow of size_t (*ok = 0) */
static size_t shape_numel(int ndim, const int64_t *shape, int *ok) {
    size_t numel = 1;
    *ok = 1;
    for (int d = 0; d < ndim; d++)
        if (shape[d] == 0) return 0;
    for (int d = 0; d < ndim; d++) {
        if (shape[d] < 0 || (uint64_t)shape[d] > SIZE_MAX / numel) {
            *ok = 0;
            return 0;
        }
        numel *= (size_t)shape[d];
    }
    return numel;
}

/* ------------------------------------------------------------------------------------------
 * Checksum: CRC-32C of the message M of safetensors.h, fed piece by piece; the writer and the
 * reader both build M with these functions
 * ---------------------------------------------------------------------------------------- */

/* M ||= u64(v): 8 little-endian bytes */
static uint32_t sum_u64(uint32_t crc, uint64_t v) {
    unsigned char b[8];
    for (int i = 0; i < 8; i++) b[i] = (unsigned char)(v >> (8 * i));
    return rnl_crc32c(crc, b, sizeof b);
}

/* M ||= str(s) = u64(strlen(s)) || s */
static uint32_t sum_str(uint32_t crc, const char *s) {
    size_t n = strlen(s);
    return rnl_crc32c(sum_u64(crc, n), s, n);
}

/* M ||= one tensor's entry: name, dtype, ndim, dims, data_offsets [a, b) */
static uint32_t sum_tensor(uint32_t crc, const char *name, rnl_st_dtype dtype, int ndim,
                           const int64_t *shape, uint64_t a, uint64_t b) {
    crc = sum_str(sum_str(crc, name), k_dtype_names[dtype]);
    crc = sum_u64(crc, (uint64_t)ndim);
    for (int d = 0; d < ndim; d++) crc = sum_u64(crc, (uint64_t)shape[d]);
    return sum_u64(sum_u64(crc, a), b);
}

/* M ||= the data region's length and bytes */
static uint32_t sum_data(uint32_t crc, const unsigned char *data, uint64_t n) {
    return rnl_crc32c(sum_u64(crc, n), data, (size_t)n);
}

/* The value of a checksum entry, "crc32c:" and 8 lowercase hex digits; 0 if malformed. */
static int sum_parse(const char *v, uint32_t *out) {
    size_t np = strlen(ST_SUM_PREFIX);
    if (strncmp(v, ST_SUM_PREFIX, np) != 0 || strlen(v) != np + ST_SUM_HEX) return 0;
    uint32_t x = 0;
    for (const char *c = v + np; *c; c++) {
        int digit = *c >= '0' && *c <= '9' ? *c - '0' : *c >= 'a' && *c <= 'f' ? *c - 'a' + 10 : -1;
        if (digit < 0) return 0;
        x = x << 4 | (uint32_t)digit;
    }
    *out = x;
    return 1;
}

/* Write x as ST_SUM_HEX lowercase hex digits at p (no terminator). */
static void sum_format(uint32_t x, unsigned char *p) {
    static const char hex[] = "0123456789abcdef";
    for (int i = ST_SUM_HEX - 1; i >= 0; i--, x >>= 4) p[i] = (unsigned char)hex[x & 0xfu];
}

/* ------------------------------------------------------------------------------------------
 * Reader: accessors
 * ---------------------------------------------------------------------------------------- */

void rnl_st_free(rnl_st_file *f) {
    if (!f) return;
    for (int i = 0; i < f->nmeta; i++) {
        free(f->meta[i].key);
        free(f->meta[i].value);
    }
    free(f->meta);
    free(f->tensors);
    free(f->buf);
    free(f->path);
    free(f);
}

int rnl_st_count(const rnl_st_file *f) { return f->count; }

const rnl_st_tensor *rnl_st_get(const rnl_st_file *f, int i) {
    return i >= 0 && i < f->count ? &f->tensors[i] : NULL;
}

const rnl_st_tensor *rnl_st_find(const rnl_st_file *f, const char *name) {
    for (int i = 0; i < f->count; i++)
        if (strcmp(f->tensors[i].name, name) == 0) return &f->tensors[i];
    return NULL;
}

const char *rnl_st_meta(const rnl_st_file *f, const char *key) {
    for (int i = 0; i < f->nmeta; i++)
        if (strcmp(f->meta[i].key, key) == 0) return f->meta[i].value;
    return NULL;
}

int rnl_st_meta_count(const rnl_st_file *f) { return f->nmeta; }

void rnl_st_meta_get(const rnl_st_file *f, int i, const char **key, const char **value) {
    *key = i >= 0 && i < f->nmeta ? f->meta[i].key : NULL;
    *value = i >= 0 && i < f->nmeta ? f->meta[i].value : NULL;
}

const char *rnl_st_path(const rnl_st_file *f) { return f->path; }

rnl_st_sum rnl_st_checksum(const rnl_st_file *f, uint32_t *stored, uint32_t *computed) {
    if (f->sum != RNL_ST_SUM_ABSENT) {
        if (stored) *stored = f->sum_stored;
        if (computed) *computed = f->sum_computed;
    }
    return f->sum;
}

/* The value of a required key, or RNL_ERR_DATA naming the file and key; `what` receives
 * "PATH: metadata \"KEY\"" for the parsers' messages. */
static rnl_status meta_required(const rnl_st_file *f, const char *key, char *what, size_t n,
                                const char **s) {
    snprintf(what, n, "%s: metadata \"%.60s\"", f->path, key);
    *s = rnl_st_meta(f, key);
    if (!*s) return rnl_fail(RNL_ERR_DATA, "%s is missing", what);
    return RNL_OK;
}

rnl_status rnl_st_meta_long(const rnl_st_file *f, const char *key, long lo, long hi,
                            long *out) {
    char what[600];
    const char *s;
    rnl_status st = meta_required(f, key, what, sizeof what, &s);
    if (st != RNL_OK) return st;
    return rnl_parse_long(s, lo, hi, what, out) == RNL_OK ? RNL_OK : RNL_ERR_DATA;
}

rnl_status rnl_st_meta_double(const rnl_st_file *f, const char *key, double lo, double hi,
                              double *out) {
    char what[600];
    const char *s;
    rnl_status st = meta_required(f, key, what, sizeof what, &s);
    if (st != RNL_OK) return st;
    return rnl_parse_double(s, lo, hi, what, out) == RNL_OK ? RNL_OK : RNL_ERR_DATA;
}

rnl_status rnl_st_meta_double_nonfinite(const rnl_st_file *f, const char *key, double lo,
                                        double hi, double *out) {
    const char *s = rnl_st_meta(f, key);
    if (s && strcmp(s, "inf") == 0) {
        *out = INFINITY;
        return RNL_OK;
    }
    if (s && strcmp(s, "nan") == 0) {
        *out = NAN;
        return RNL_OK;
    }
    return rnl_st_meta_double(f, key, lo, hi, out);
}

_Static_assert(ULLONG_MAX == UINT64_MAX, "strtoull's range is uint64_t's");

rnl_status rnl_st_meta_u64(const rnl_st_file *f, const char *key, uint64_t *out) {
    char what[600];
    const char *s;
    rnl_status st = meta_required(f, key, what, sizeof what, &s);
    if (st != RNL_OK) return st;
    /* Digits only: strtoull alone would take leading blanks, a sign, and wrap "-1". */
    int digits = *s != '\0';
    for (const char *c = s; *c; c++) digits &= *c >= '0' && *c <= '9';
    char *end = NULL;
    errno = 0;
    unsigned long long v = digits ? strtoull(s, &end, 10) : 0;
    if (!digits || errno == ERANGE || *end != '\0')
        return rnl_fail(RNL_ERR_DATA, "%s: expected an unsigned 64-bit integer, got '%.60s'",
                        what, s);
    *out = (uint64_t)v;
    return RNL_OK;
}

rnl_status rnl_st_to_real(const rnl_st_file *f, const rnl_st_tensor *t, rnl_real *dst) {
    const unsigned char *p = t->data;
    if (t->dtype == RNL_ST_F32) {
        for (size_t i = 0; i < t->numel; i++, p += 4) {
            uint32_t u = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
                         (uint32_t)p[3] << 24;
            float v;
            memcpy(&v, &u, sizeof v);
            if (!isfinite(v))
                return rnl_fail(RNL_ERR_DATA, "%s: tensor \"%s\": element %zu is not finite",
                                f->path, t->name, i);
            dst[i] = (rnl_real)v;
        }
        return RNL_OK;
    }
    if (t->dtype == RNL_ST_F64) {
        for (size_t i = 0; i < t->numel; i++, p += 8) {
            uint64_t u = read_le64(p);
            double v;
            memcpy(&v, &u, sizeof v);
            rnl_real r = (rnl_real)v;
            if (!isfinite(v) || !isfinite(r))
                return rnl_fail(RNL_ERR_DATA,
                                "%s: tensor \"%s\": element %zu is not finite%s", f->path,
                                t->name, i, isfinite(v) ? " in the library's precision" : "");
            dst[i] = r;
        }
        return RNL_OK;
    }
    return rnl_fail(RNL_ERR_DATA, "%s: tensor \"%s\": dtype %s is not a floating-point type",
                    f->path, t->name,
                    dtype_valid(t->dtype) ? k_dtype_names[t->dtype] : "unknown");
}

/* ------------------------------------------------------------------------------------------
 * Reader: validation
 * ---------------------------------------------------------------------------------------- */

/* Byte range of one tensor in the data region, for the overlap check. */
typedef struct {
    uint64_t a, b; /* [a, b) relative to the data region */
    int index;     /* into rnl_st_file.tensors */
} st_range;

static int cmp_range(const void *x, const void *y) {
    const st_range *r = x, *s = y;
    if (r->a != s->a) return r->a < s->a ? -1 : 1;
    if (r->b != s->b) return r->b < s->b ? -1 : 1;
    return 0;
}

/* Fill t (and *range) from the header entry v named `name`; data_len = bytes after header. */
static rnl_status parse_tensor(const char *path, const char *name, const rnl_json *v,
                               const unsigned char *data, uint64_t data_len, rnl_st_tensor *t,
                               st_range *range) {
    size_t nlen = strlen(name);
    if (nlen == 0 || nlen >= RNL_ST_MAX_NAME)
        return rnl_fail(RNL_ERR_DATA, "%s: tensor name of %zu bytes (must be 1..%d)", path,
                        nlen, RNL_ST_MAX_NAME - 1);
    memcpy(t->name, name, nlen + 1);
    if (rnl_json_type_of(v) != RNL_JSON_OBJECT)
        return rnl_fail(RNL_ERR_DATA, "%s: tensor \"%s\": entry is a %s, not an object", path,
                        name, rnl_json_type_name(rnl_json_type_of(v)));
    for (size_t i = 0; i < rnl_json_len(v); i++) {
        const char *k = rnl_json_key_at(v, i);
        if (strcmp(k, "dtype") && strcmp(k, "shape") && strcmp(k, "data_offsets"))
            return rnl_fail(RNL_ERR_DATA, "%s: tensor \"%s\": unknown field \"%.40s\"", path,
                            name, k);
    }

    const char *dt = rnl_json_string(rnl_json_get(v, "dtype"));
    if (!dt)
        return rnl_fail(RNL_ERR_DATA, "%s: tensor \"%s\": missing or non-string \"dtype\"",
                        path, name);
    int d = 0;
    while (d < ST_NDTYPES && strcmp(dt, k_dtype_names[d]) != 0) d++;
    if (d == ST_NDTYPES)
        return rnl_fail(RNL_ERR_DATA,
                        "%s: tensor \"%s\": unsupported dtype \"%.20s\" (F32, F64, I32, I64, U8)",
                        path, name, dt);
    t->dtype = (rnl_st_dtype)d;

    const rnl_json *shape = rnl_json_get(v, "shape");
    if (rnl_json_type_of(shape) != RNL_JSON_ARRAY)
        return rnl_fail(RNL_ERR_DATA, "%s: tensor \"%s\": missing or non-array \"shape\"", path,
                        name);
    if (rnl_json_len(shape) > RNL_ST_MAX_DIMS)
        return rnl_fail(RNL_ERR_DATA, "%s: tensor \"%s\": %zu dimensions (at most %d)", path,
                        name, rnl_json_len(shape), RNL_ST_MAX_DIMS);
    t->ndim = (int)rnl_json_len(shape);
    for (int k = 0; k < t->ndim; k++) {
        int64_t dim;
        if (!rnl_json_integer(rnl_json_at(shape, (size_t)k), &dim) || dim < 0)
            return rnl_fail(RNL_ERR_DATA,
                            "%s: tensor \"%s\": dimension %d is not a non-negative integer",
                            path, name, k);
        t->shape[k] = dim;
    }
    int ok;
    t->numel = shape_numel(t->ndim, t->shape, &ok);
    if (!ok || t->numel > SIZE_MAX / k_dtype_sizes[d])
        return rnl_fail(RNL_ERR_DATA, "%s: tensor \"%s\": shape too large", path, name);
    uint64_t nbytes = (uint64_t)t->numel * k_dtype_sizes[d];

    const rnl_json *off = rnl_json_get(v, "data_offsets");
    int64_t a, b;
    if (rnl_json_type_of(off) != RNL_JSON_ARRAY || rnl_json_len(off) != 2 ||
        !rnl_json_integer(rnl_json_at(off, 0), &a) || !rnl_json_integer(rnl_json_at(off, 1), &b))
        return rnl_fail(RNL_ERR_DATA,
                        "%s: tensor \"%s\": \"data_offsets\" must be an array of two integers",
                        path, name);
    if (a < 0 || b < a || (uint64_t)b > data_len)
        return rnl_fail(RNL_ERR_DATA,
                        "%s: tensor \"%s\": data_offsets [%" PRId64 ", %" PRId64
                        "] outside the data region of %" PRIu64 " bytes",
                        path, name, a, b, data_len);
    if ((uint64_t)(b - a) != nbytes)
        return rnl_fail(RNL_ERR_DATA,
                        "%s: tensor \"%s\": data_offsets span %" PRId64 " bytes but shape and "
                        "dtype %s need %" PRIu64,
                        path, name, b - a, k_dtype_names[d], nbytes);
    t->data = data + a;
    range->a = (uint64_t)a;
    range->b = (uint64_t)b;
    return RNL_OK;
}

static rnl_status parse_meta(rnl_st_file *f, const rnl_json *m) {
    if (rnl_json_type_of(m) != RNL_JSON_OBJECT)
        return rnl_fail(RNL_ERR_DATA, "%s: \"" ST_META "\" is a %s, not an object", f->path,
                        rnl_json_type_name(rnl_json_type_of(m)));
    size_t n = rnl_json_len(m);
    if (n > (size_t)INT32_MAX)
        return rnl_fail(RNL_ERR_DATA, "%s: too many metadata entries", f->path);
    f->meta = calloc(n ? n : 1, sizeof *f->meta);
    if (!f->meta) return rnl_fail(RNL_ERR_NOMEM, "%s: out of memory", f->path);
    for (size_t i = 0; i < n; i++) {
        const char *key = rnl_json_key_at(m, i);
        const char *val = rnl_json_string(rnl_json_at(m, i));
        if (!val)
            return rnl_fail(RNL_ERR_DATA, "%s: metadata \"%.60s\" is a %s, not a string",
                            f->path, key, rnl_json_type_name(rnl_json_type_of(rnl_json_at(m, i))));
        if (strcmp(key, RNL_ST_CHECKSUM_KEY) == 0) {
            if (!sum_parse(val, &f->sum_stored))
                return rnl_fail(RNL_ERR_DATA,
                                "%s: metadata \"" RNL_ST_CHECKSUM_KEY "\" is '%.40s', not '"
                                ST_SUM_PREFIX "' and %d lowercase hex digits (the file was "
                                "changed or damaged)",
                                f->path, val, ST_SUM_HEX);
            /* present; parse_header recomputes it and decides MATCH or MISMATCH */
            f->sum = RNL_ST_SUM_MISMATCH;
            continue;
        }
        st_pair *e = &f->meta[f->nmeta++];
        e->key = strdup(key);
        e->value = strdup(val);
        if (!e->key || !e->value) return rnl_fail(RNL_ERR_NOMEM, "%s: out of memory", f->path);
    }
    return RNL_OK;
}

/* CRC-32C of f's message M (safetensors.h), from the parsed tables and the data region
 * (data_len bytes at data); a tensor's data_offsets are where its data points. */
static uint32_t file_sum(const rnl_st_file *f, const unsigned char *data, uint64_t data_len) {
    uint32_t crc = sum_u64(0, (uint64_t)f->count);
    for (int i = 0; i < f->count; i++) {
        const rnl_st_tensor *t = &f->tensors[i];
        uint64_t a = (uint64_t)(t->data - data);
        crc = sum_tensor(crc, t->name, t->dtype, t->ndim, t->shape, a,
                         a + (uint64_t)t->numel * k_dtype_sizes[t->dtype]);
    }
    crc = sum_u64(crc, (uint64_t)f->nmeta);
    for (int i = 0; i < f->nmeta; i++) crc = sum_str(sum_str(crc, f->meta[i].key), f->meta[i].value);
    return sum_data(crc, data, data_len);
}

/* Validate the header of f->buf and fill f's tables. */
static rnl_status parse_header(rnl_st_file *f) {
    if (f->size < 8)
        return rnl_fail(RNL_ERR_DATA,
                        "%s: %zu bytes is too short for a safetensors file (8-byte header "
                        "length first)",
                        f->path, f->size);
    uint64_t hlen = read_le64(f->buf);
    if (hlen > ST_MAX_HEADER)
        return rnl_fail(RNL_ERR_DATA,
                        "%s: not a safetensors file (its header length would be %" PRIu64
                        " bytes, over the limit of %" PRIu64 ")",
                        f->path, hlen, ST_MAX_HEADER);
    if (hlen > f->size - 8)
        return rnl_fail(RNL_ERR_DATA,
                        "%s: header length %" PRIu64 " but only %zu bytes follow (truncated?)",
                        f->path, hlen, f->size - 8);
    const unsigned char *data = f->buf + 8 + hlen;
    uint64_t data_len = f->size - 8 - hlen;

    rnl_buf what = {0};
    rnl_buf_printf(&what, "%s: header", f->path);
    if (what.oom) return rnl_fail(RNL_ERR_NOMEM, "%s: out of memory", f->path);
    rnl_json_doc *doc;
    rnl_status st = rnl_json_parse((const char *)f->buf + 8, (size_t)hlen, what.p, &doc);
    rnl_buf_free(&what);
    if (st != RNL_OK) return st;

    const rnl_json *root = rnl_json_root(doc);
    st_range *ranges = NULL;
    if (rnl_json_type_of(root) != RNL_JSON_OBJECT) {
        st = rnl_fail(RNL_ERR_DATA, "%s: header is a JSON %s, not an object", f->path,
                      rnl_json_type_name(rnl_json_type_of(root)));
        goto done;
    }
    size_t members = rnl_json_len(root);
    size_t ntensors = members - (rnl_json_get(root, ST_META) ? 1 : 0);
    if (ntensors > (size_t)INT32_MAX) {
        st = rnl_fail(RNL_ERR_DATA, "%s: too many tensors", f->path);
        goto done;
    }
    f->tensors = calloc(ntensors ? ntensors : 1, sizeof *f->tensors);
    ranges = calloc(ntensors ? ntensors : 1, sizeof *ranges);
    if (!f->tensors || !ranges) {
        st = rnl_fail(RNL_ERR_NOMEM, "%s: out of memory for %zu tensors", f->path, ntensors);
        goto done;
    }
    for (size_t i = 0; i < members && st == RNL_OK; i++) {
        const char *key = rnl_json_key_at(root, i);
        if (strcmp(key, ST_META) == 0) {
            st = parse_meta(f, rnl_json_at(root, i));
            continue;
        }
        st = parse_tensor(f->path, key, rnl_json_at(root, i), data, data_len,
                          &f->tensors[f->count], &ranges[f->count]);
        ranges[f->count].index = f->count;
        f->count++;
    }
    if (st != RNL_OK) goto done;

    /* No two tensors share a byte: sorted by start, each starts at or after every earlier
     * end. A zero-size tensor inside another's range counts as an overlap. */
    qsort(ranges, (size_t)f->count, sizeof *ranges, cmp_range);
    uint64_t end = 0;
    int last = -1;
    for (int i = 0; i < f->count; i++) {
        if (ranges[i].a < end) {
            st = rnl_fail(RNL_ERR_DATA, "%s: tensors \"%s\" and \"%s\" overlap in the data region",
                          f->path, f->tensors[last].name, f->tensors[ranges[i].index].name);
            goto done;
        }
        if (ranges[i].b > end || last < 0) {
            end = ranges[i].b;
            last = ranges[i].index;
        }
    }
    if (f->sum != RNL_ST_SUM_ABSENT) {
        f->sum_computed = file_sum(f, data, data_len);
        f->sum = f->sum_computed == f->sum_stored ? RNL_ST_SUM_MATCH : RNL_ST_SUM_MISMATCH;
    }
done:
    free(ranges);
    rnl_json_free(doc);
    return st;
}

/* Parse buf (n bytes, malloc'd); f takes ownership of buf in every case. With `verify`, a
 * checksum mismatch is RNL_ERR_DATA. */
static rnl_status parse_owned(unsigned char *buf, size_t n, const char *what, int verify,
                              rnl_st_file **out) {
    *out = NULL;
    rnl_st_file *f = calloc(1, sizeof *f);
    char *path = strdup(what ? what : "(memory)");
    if (!f || !path) {
        free(f);
        free(path);
        free(buf);
        return rnl_fail(RNL_ERR_NOMEM, "%s: out of memory", what ? what : "(memory)");
    }
    f->path = path;
    f->buf = buf;
    f->size = n;
    rnl_status st = parse_header(f);
    if (st == RNL_OK && verify && f->sum == RNL_ST_SUM_MISMATCH)
        st = rnl_fail(RNL_ERR_DATA,
                      "%s: checksum mismatch (the file was changed or damaged after rnnlab "
                      "wrote it): expected " ST_SUM_PREFIX "%08" PRIx32 ", got " ST_SUM_PREFIX
                      "%08" PRIx32,
                      f->path, f->sum_stored, f->sum_computed);
    if (st != RNL_OK) {
        rnl_st_free(f);
        return st;
    }
    *out = f;
    return RNL_OK;
}

/* rnl_st_parse and rnl_st_parse_unverified: parse a copy of the bytes. */
static rnl_status parse_copy(const unsigned char *bytes, size_t n, const char *what,
                             int verify, rnl_st_file **out) {
    unsigned char *copy = malloc(n ? n : 1);
    if (!copy) {
        *out = NULL;
        return rnl_fail(RNL_ERR_NOMEM, "%s: out of memory for %zu bytes", what, n);
    }
    if (n) memcpy(copy, bytes, n);
    return parse_owned(copy, n, what, verify, out);
}

rnl_status rnl_st_parse(const unsigned char *bytes, size_t n, const char *what,
                        rnl_st_file **out) {
    return parse_copy(bytes, n, what, 1, out);
}

rnl_status rnl_st_parse_unverified(const unsigned char *bytes, size_t n, const char *what,
                                   rnl_st_file **out) {
    return parse_copy(bytes, n, what, 0, out);
}

rnl_status rnl_st_read(const char *path, rnl_st_file **out) {
    unsigned char *buf;
    size_t n;
    *out = NULL;
    rnl_status st = rnl_read_file(path, &buf, &n);
    if (st != RNL_OK) return st;
    return parse_owned(buf, n, path, 1, out);
}

/* ------------------------------------------------------------------------------------------
 * Writer
 * ---------------------------------------------------------------------------------------- */

rnl_status rnl_st_writer_create(rnl_st_writer **out) {
    *out = calloc(1, sizeof **out);
    return *out ? RNL_OK : rnl_fail(RNL_ERR_NOMEM, "safetensors writer: out of memory");
}

void rnl_st_writer_free(rnl_st_writer *w) {
    if (!w) return;
    for (int i = 0; i < w->count; i++) free(w->t[i].data);
    for (int i = 0; i < w->nmeta; i++) {
        free(w->meta[i].key);
        free(w->meta[i].value);
    }
    free(w->t);
    free(w->meta);
    free(w);
}

/* Grow an array of *cap elements of size k to hold one more; 0 on failure. */
static int grow(void **arr, int *cap, int count, size_t k) {
    if (count < *cap) return 1;
    if (*cap > INT32_MAX / 2) return 0;
    int ncap = *cap ? *cap * 2 : 16;
    void *p = realloc(*arr, (size_t)ncap * k);
    if (!p) return 0;
    *arr = p;
    *cap = ncap;
    return 1;
}

/* Check a name/key/value for writing: valid UTF-8 so the reader accepts it back. */
static rnl_status check_text(const char *kind, const char *s) {
    if (!rnl_json_valid_utf8(s, strlen(s)))
        return rnl_fail(RNL_ERR_USAGE, "safetensors writer: %s \"%.60s\" is not valid UTF-8",
                        kind, s);
    return RNL_OK;
}

/* Validate a tensor's name and shape; *nbytes gets its data size. */
static rnl_status check_tensor(const rnl_st_writer *w, const char *name, rnl_st_dtype dtype,
                               int ndim, const int64_t *shape, size_t *nbytes) {
    size_t nlen = strlen(name);
    if (nlen == 0 || nlen >= RNL_ST_MAX_NAME)
        return rnl_fail(RNL_ERR_USAGE, "safetensors writer: tensor name \"%.60s\" must be 1..%d "
                        "bytes", name, RNL_ST_MAX_NAME - 1);
    if (strcmp(name, ST_META) == 0)
        return rnl_fail(RNL_ERR_USAGE, "safetensors writer: \"" ST_META "\" is reserved");
    rnl_status st = check_text("tensor name", name);
    if (st != RNL_OK) return st;
    for (int i = 0; i < w->count; i++)
        if (strcmp(w->t[i].name, name) == 0)
            return rnl_fail(RNL_ERR_USAGE, "safetensors writer: tensor \"%s\" added twice", name);
    if (!dtype_valid(dtype))
        return rnl_fail(RNL_ERR_USAGE, "safetensors writer: tensor \"%s\": unknown dtype %d",
                        name, (int)dtype);
    if (ndim < 0 || ndim > RNL_ST_MAX_DIMS)
        return rnl_fail(RNL_ERR_USAGE, "safetensors writer: tensor \"%s\": %d dimensions "
                        "(0..%d)", name, ndim, RNL_ST_MAX_DIMS);
    for (int d = 0; d < ndim; d++)
        if (shape[d] < 0 || shape[d] > ((int64_t)1 << 53))
            return rnl_fail(RNL_ERR_USAGE,
                            "safetensors writer: tensor \"%s\": dimension %d is %" PRId64, name,
                            d, shape[d]);
    int ok;
    size_t numel = shape_numel(ndim, shape, &ok);
    if (!ok || numel > SIZE_MAX / k_dtype_sizes[dtype])
        return rnl_fail(RNL_ERR_USAGE, "safetensors writer: tensor \"%s\": shape too large", name);
    *nbytes = numel * k_dtype_sizes[dtype];
    return RNL_OK;
}

/* Append a validated tensor whose little-endian bytes are filled by the caller. */
static rnl_status add_tensor(rnl_st_writer *w, const char *name, rnl_st_dtype dtype, int ndim,
                             const int64_t *shape, size_t nbytes, unsigned char **data) {
    if (!grow((void **)&w->t, &w->cap, w->count, sizeof *w->t))
        return rnl_fail(RNL_ERR_NOMEM, "safetensors writer: out of memory");
    st_wtensor *t = &w->t[w->count];
    memset(t, 0, sizeof *t);
    if (nbytes) {
        t->data = malloc(nbytes);
        if (!t->data)
            return rnl_fail(RNL_ERR_NOMEM, "safetensors writer: tensor \"%s\": out of memory for "
                            "%zu bytes", name, nbytes);
    }
    snprintf(t->name, sizeof t->name, "%s", name);
    t->dtype = dtype;
    t->ndim = ndim;
    for (int d = 0; d < ndim; d++) t->shape[d] = shape[d];
    t->nbytes = nbytes;
    w->count++;
    *data = t->data;
    return RNL_OK;
}

rnl_status rnl_st_add(rnl_st_writer *w, const char *name, rnl_st_dtype dtype, int ndim,
                      const int64_t *shape, const void *data) {
    size_t nbytes;
    rnl_status st = check_tensor(w, name, dtype, ndim, shape, &nbytes);
    unsigned char *dst;
    if (st == RNL_OK) st = add_tensor(w, name, dtype, ndim, shape, nbytes, &dst);
    if (st != RNL_OK) return st;
    size_t k = k_dtype_sizes[dtype];
    if (nbytes) copy_le(dst, data, nbytes / k, k);
    return RNL_OK;
}

rnl_status rnl_st_add_real(rnl_st_writer *w, const char *name, int ndim, const int64_t *shape,
                           const rnl_real *data) {
    size_t nbytes;
    rnl_status st = check_tensor(w, name, RNL_ST_F32, ndim, shape, &nbytes);
    if (st != RNL_OK) return st;
    size_t numel = nbytes / 4;
    /* The reader refuses non-finite values, so refuse to write them. */
    for (size_t i = 0; i < numel; i++)
        if (!isfinite((float)data[i]))
            return rnl_fail(RNL_ERR_NUMERIC,
                            "safetensors writer: tensor \"%s\": element %zu (%g) is not finite "
                            "as float32",
                            name, i, (double)data[i]);
    unsigned char *dst;
    st = add_tensor(w, name, RNL_ST_F32, ndim, shape, nbytes, &dst);
    if (st != RNL_OK) return st;
    for (size_t i = 0; i < numel; i++) {
        float v = (float)data[i];
        copy_le(dst + 4 * i, (const unsigned char *)&v, 1, 4);
    }
    return RNL_OK;
}

rnl_status rnl_st_add_meta(rnl_st_writer *w, const char *key, const char *value) {
    if (strcmp(key, RNL_ST_CHECKSUM_KEY) == 0)
        return rnl_fail(RNL_ERR_USAGE, "safetensors writer: metadata \"" RNL_ST_CHECKSUM_KEY
                        "\" is reserved (the writer adds the file's checksum itself)");
    rnl_status st = check_text("metadata key", key);
    if (st == RNL_OK) st = check_text("metadata value", value);
    if (st != RNL_OK) return st;
    for (int i = 0; i < w->nmeta; i++)
        if (strcmp(w->meta[i].key, key) == 0)
            return rnl_fail(RNL_ERR_USAGE, "safetensors writer: metadata \"%.60s\" added twice",
                            key);
    if (!grow((void **)&w->meta, &w->mcap, w->nmeta, sizeof *w->meta))
        return rnl_fail(RNL_ERR_NOMEM, "safetensors writer: out of memory");
    char *k = strdup(key), *v = strdup(value);
    if (!k || !v) {
        free(k);
        free(v);
        return rnl_fail(RNL_ERR_NOMEM, "safetensors writer: out of memory");
    }
    w->meta[w->nmeta].key = k;
    w->meta[w->nmeta].value = v;
    w->nmeta++;
    return RNL_OK;
}

rnl_status rnl_st_serialize(const rnl_st_writer *w, unsigned char **bytes, size_t *n) {
    *bytes = NULL;
    *n = 0;
    rnl_buf h = {0};
    rnl_buf_append(&h, "{", 1);
    rnl_buf_json_string(&h, ST_META);
    rnl_buf_append(&h, ":{", 2);
    for (int i = 0; i < w->nmeta; i++) {
        rnl_buf_json_string(&h, w->meta[i].key);
        rnl_buf_append(&h, ":", 1);
        rnl_buf_json_string(&h, w->meta[i].value);
        rnl_buf_append(&h, ",", 1);
    }
    /* The checksum's digits are a placeholder until the data is in place; sum_at is where
     * they are in the header. */
    rnl_buf_json_string(&h, RNL_ST_CHECKSUM_KEY);
    rnl_buf_append(&h, ":\"" ST_SUM_PREFIX, 2 + strlen(ST_SUM_PREFIX));
    size_t sum_at = h.len;
    rnl_buf_printf(&h, "%0*d\"}", ST_SUM_HEX, 0);
    size_t off = 0;
    for (int i = 0; i < w->count; i++) {
        const st_wtensor *t = &w->t[i];
        rnl_buf_append(&h, ",", 1);
        rnl_buf_json_string(&h, t->name);
        rnl_buf_printf(&h, ":{\"dtype\":\"%s\",\"shape\":[", k_dtype_names[t->dtype]);
        for (int d = 0; d < t->ndim; d++)
            rnl_buf_printf(&h, "%s%" PRId64, d ? "," : "", t->shape[d]);
        if (t->nbytes > SIZE_MAX - off) {
            rnl_buf_free(&h);
            return rnl_fail(RNL_ERR_USAGE, "safetensors writer: data larger than memory");
        }
        rnl_buf_printf(&h, "],\"data_offsets\":[%zu,%zu]}", off, off + t->nbytes);
        off += t->nbytes;
    }
    rnl_buf_append(&h, "}", 1);
    while (!h.oom && h.len % 8 != 0) rnl_buf_append(&h, " ", 1);
    if (h.oom) {
        rnl_buf_free(&h);
        return rnl_fail(RNL_ERR_NOMEM, "safetensors writer: out of memory for the header");
    }
    if (h.len > ST_MAX_HEADER) {
        rnl_buf_free(&h);
        return rnl_fail(RNL_ERR_USAGE, "safetensors writer: header of %zu bytes exceeds the "
                        "limit of %" PRIu64, h.len, ST_MAX_HEADER);
    }
    if (off > SIZE_MAX - 8 - h.len) {
        rnl_buf_free(&h);
        return rnl_fail(RNL_ERR_USAGE, "safetensors writer: data larger than memory");
    }
    size_t total = 8 + h.len + off;
    unsigned char *out = malloc(total);
    if (!out) {
        rnl_buf_free(&h);
        return rnl_fail(RNL_ERR_NOMEM, "safetensors writer: out of memory for %zu bytes", total);
    }
    uint64_t hl = h.len;
    for (int i = 0; i < 8; i++) out[i] = (unsigned char)(hl >> (8 * i));
    memcpy(out + 8, h.p, h.len);
    unsigned char *p = out + 8 + h.len;
    for (int i = 0; i < w->count; i++) {
        if (w->t[i].nbytes) memcpy(p, w->t[i].data, w->t[i].nbytes);
        p += w->t[i].nbytes;
    }

    /* The checksum: M of safetensors.h from what was added, the data as laid out above. */
    uint32_t crc = sum_u64(0, (uint64_t)w->count);
    size_t a = 0;
    for (int i = 0; i < w->count; i++) {
        const st_wtensor *t = &w->t[i];
        crc = sum_tensor(crc, t->name, t->dtype, t->ndim, t->shape, a, a + t->nbytes);
        a += t->nbytes;
    }
    crc = sum_u64(crc, (uint64_t)w->nmeta);
    for (int i = 0; i < w->nmeta; i++) crc = sum_str(sum_str(crc, w->meta[i].key), w->meta[i].value);
    crc = sum_data(crc, out + 8 + h.len, off);
    sum_format(crc, out + 8 + sum_at);
    rnl_buf_free(&h);
    *bytes = out;
    *n = total;
    return RNL_OK;
}

rnl_status rnl_st_write(const rnl_st_writer *w, const char *path) {
    unsigned char *bytes;
    size_t n;
    rnl_status st = rnl_st_serialize(w, &bytes, &n);
    if (st != RNL_OK) return st;
    st = rnl_write_file_atomic(path, bytes, n);
    free(bytes);
    return st;
}
