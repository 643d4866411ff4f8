/* music.c — the piano-roll loader (see music.h for the contract).
 *
 * Reading goes in four stages so that libmatio only ever sees input already known to be
 * sound at the level it would trust blindly:
 *   1. our own check of the 128-byte header and of the top-level element tags against the
 *      file size (catches any truncation between variables or inside one);
 *   2. Mat_VarReadNextInfo over every variable, keeping the three we need (shapes only);
 *   3. a check of those shapes, including a bound on the number of values the file could
 *      possibly hold, before libmatio allocates any data;
 *   4. Mat_VarRead of each variable, the same checks again on what it returned, and the
 *      conversion (with the 0/1 check) into our frame-major layout.
 * A variable is a cell array of T x K sequences (the benchmarks' layout) or a numeric
 * N x T x K array of N sequences of equal length (what scipy.io.savemat writes for a 3-D
 * array). */
#include "data/music.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <matio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const k_vars[3] = {"traindata", "validdata", "testdata"};

/* Every stored value takes at least one byte before compression and deflate expands at most
 * 1032:1, so a file of F bytes cannot describe more than 1032*F values. A larger declared
 * size is corrupt; checking it first keeps libmatio from huge allocations. */
#define MAX_VALUES_PER_BYTE 1032

/* MAT v5 top-level element types. */
#define MI_MATRIX 14
#define MI_COMPRESSED 15

/* ------------------------------------------------------------------------------------------
 * Stage 1: header and top-level elements
 * ---------------------------------------------------------------------------------------- */

static uint32_t get_u32(const unsigned char *p, int big_endian) {
    if (big_endian)
        return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
    return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

/* Read exactly n bytes at offset pos; 0 on success, else errno (EIO for a short read). */
static int read_at(int fd, unsigned char *buf, size_t n, off_t pos) {
    size_t got = 0;
    while (got < n) {
        ssize_t k = pread(fd, buf + got, n - got, pos + (off_t)got);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) return errno;
        if (k == 0) return EIO;
        got += (size_t)k;
    }
    return 0;
}

/* Walk the top-level elements (8-byte tag: type, byte count; then the bytes). */
static rnl_status check_elements(const char *path, int fd, int big, off_t size, int *nvars) {
    off_t pos = 128;
    int count = 0;
    while (pos < size) {
        unsigned char tag[8];
        if (size - pos < 8)
            return rnl_fail(RNL_ERR_DATA, "%s: truncated MAT file: %lld stray bytes after "
                            "variable %d (at byte %lld)", path, (long long)(size - pos),
                            count, (long long)pos);
        int e = read_at(fd, tag, 8, pos);
        if (e) return rnl_fail(RNL_ERR_IO, "%s: read error: %s", path, strerror(e));
        uint32_t type = get_u32(tag, big), nbytes = get_u32(tag + 4, big);
        if (type != MI_MATRIX && type != MI_COMPRESSED)
            return rnl_fail(RNL_ERR_DATA, "%s: corrupt MAT file: element %d at byte %lld has "
                            "type %u, expected a matrix (14) or compressed matrix (15)", path,
                            count, (long long)pos, (unsigned)type);
        if ((off_t)nbytes > size - pos - 8)
            return rnl_fail(RNL_ERR_DATA, "%s: truncated MAT file: variable %d at byte %lld "
                            "declares %u bytes but only %lld remain", path, count,
                            (long long)pos, (unsigned)nbytes, (long long)(size - pos - 8));
        pos += 8 + (off_t)nbytes;
        count++;
    }
    *nvars = count;
    return RNL_OK;
}

/* Check that path is a complete MAT v5 file; gives its size and number of variables. */
static rnl_status check_container(const char *path, off_t *fsize, int *nvars) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) return rnl_fail(RNL_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat sb;
    rnl_status st = RNL_OK;
    unsigned char hdr[128];
    int e;
    if (fstat(fd, &sb) != 0) {
        st = rnl_fail(RNL_ERR_IO, "%s: cannot stat: %s", path, strerror(errno));
    } else if (!S_ISREG(sb.st_mode)) {
        st = rnl_fail(RNL_ERR_IO, "%s: not a regular file", path);
    } else if (sb.st_size == 0) {
        st = rnl_fail(RNL_ERR_DATA, "%s: empty file, not a MAT file", path);
    } else if (sb.st_size < 128) {
        st = rnl_fail(RNL_ERR_DATA, "%s: not a MAT file (%lld bytes, shorter than the 128-byte "
                      "MAT v5 header)", path, (long long)sb.st_size);
    } else if ((e = read_at(fd, hdr, sizeof hdr, 0)) != 0) {
        st = rnl_fail(RNL_ERR_IO, "%s: read error: %s", path, strerror(e));
    } else {
        /* Bytes 126-127 are "MI" written as a 16-bit integer: "IM" in a little-endian file. */
        int big = hdr[126] == 'M' && hdr[127] == 'I';
        int little = hdr[126] == 'I' && hdr[127] == 'M';
        unsigned version = big ? (unsigned)hdr[124] << 8 | hdr[125]
                               : (unsigned)hdr[125] << 8 | hdr[124];
        if (!big && !little)
            st = rnl_fail(RNL_ERR_DATA, "%s: not a MAT v5 file (no endian indicator at byte "
                          "126; MAT v4 files cannot hold cell arrays)", path);
        else if (version == 0x0200)
            st = rnl_fail(RNL_ERR_DATA, "%s: a MAT v7.3 (HDF5) file, which is not supported: "
                          "save it with save(..., '-v7')", path);
        else if (version != 0x0100)
            st = rnl_fail(RNL_ERR_DATA, "%s: unknown MAT file version 0x%04x", path, version);
        else
            st = check_elements(path, fd, big, sb.st_size, nvars);
    }
    close(fd);
    *fsize = sb.st_size;
    return st;
}

/* ------------------------------------------------------------------------------------------
 * Stage 2: find the variables
 * ---------------------------------------------------------------------------------------- */

/* Read the info (shapes, no data) of every variable; keep the three we need in info[]. */
static rnl_status find_vars(const char *path, mat_t *mat, int nvars, matvar_t *info[3]) {
    char seen[256] = "";
    int unreadable = -1;
    for (int i = 0; i < nvars; i++) {
        matvar_t *v = Mat_VarReadNextInfo(mat);
        if (!v) {
            unreadable = i;
            break;
        }
        const char *name = v->name ? v->name : "";
        size_t used = strlen(seen);
        if (used + strlen(name) + 3 < sizeof seen)
            snprintf(seen + used, sizeof seen - used, "%s%s", used ? ", " : "", name);
        int keep = -1;
        for (int s = 0; s < 3; s++)
            if (!info[s] && strcmp(name, k_vars[s]) == 0) keep = s;
        if (keep >= 0)
            info[keep] = v;
        else
            Mat_VarFree(v);
    }
    for (int s = 0; s < 3; s++) {
        if (info[s]) continue;
        if (unreadable >= 0)
            return rnl_fail(RNL_ERR_DATA, "%s: no readable variable '%s' (variable %d of %d "
                            "could not be read by libmatio: corrupt file)", path, k_vars[s],
                            unreadable, nvars);
        return rnl_fail(RNL_ERR_DATA, "%s: no variable '%s' (the file has: %s)", path, k_vars[s],
                        nvars ? seen : "no variables");
    }
    return RNL_OK;
}

/* ------------------------------------------------------------------------------------------
 * Stage 3: shapes
 * ---------------------------------------------------------------------------------------- */

static const char *class_name(enum matio_classes c) {
    switch (c) {
    case MAT_C_EMPTY: return "empty value";
    case MAT_C_CELL: return "cell array";
    case MAT_C_STRUCT: return "struct";
    case MAT_C_OBJECT: return "object";
    case MAT_C_CHAR: return "char array";
    case MAT_C_SPARSE: return "sparse matrix";
    case MAT_C_FUNCTION: return "function handle";
    case MAT_C_OPAQUE: return "opaque object";
    default: return "numeric matrix";
    }
}

/* The matio data type that holds a numeric class's values, MAT_T_UNKNOWN if not numeric. */
static enum matio_types class_data_type(enum matio_classes c) {
    switch (c) {
    case MAT_C_DOUBLE: return MAT_T_DOUBLE;
    case MAT_C_SINGLE: return MAT_T_SINGLE;
    case MAT_C_INT8: return MAT_T_INT8;
    case MAT_C_UINT8: return MAT_T_UINT8;
    case MAT_C_INT16: return MAT_T_INT16;
    case MAT_C_UINT16: return MAT_T_UINT16;
    case MAT_C_INT32: return MAT_T_INT32;
    case MAT_C_UINT32: return MAT_T_UINT32;
    case MAT_C_INT64: return MAT_T_INT64;
    case MAT_C_UINT64: return MAT_T_UINT64;
    default: return MAT_T_UNKNOWN;
    }
}

/* a*b into *out; 0 on overflow. */
static int mul_size(size_t a, size_t b, size_t *out) {
    if (a && b > SIZE_MAX / a) return 0;
    *out = a * b;
    return 1;
}

/* Shape of one checked variable. */
typedef struct {
    size_t ncells; /* sequences */
    size_t frames; /* sum of the cells' row counts */
    size_t T;      /* an N x T x D numeric array: its T (every sequence's length), and */
    int array;     /* 1; a cell array of sequences: 0 */
} var_shape;

/* Check one cell (sequence) of variable `name`: a 2-D real numeric T x dim matrix. *dim is
 * set by the first cell of the file (-1 before). With with_data, also check what libmatio
 * filled in. *values counts the values of the whole file against max_values. */
static rnl_status check_cell(const char *path, const char *name, size_t i, matvar_t *c,
                             int with_data, int *dim, size_t *values, size_t max_values) {
    if (!c)
        return rnl_fail(RNL_ERR_DATA, "%s: %s cell %zu is missing (corrupt file)", path, name, i);
    enum matio_types dt = class_data_type(c->class_type);
    if (dt == MAT_T_UNKNOWN)
        return rnl_fail(RNL_ERR_DATA, "%s: %s cell %zu is a %s, expected a numeric T x K matrix "
                        "of 0/1", path, name, i, class_name(c->class_type));
    if (c->isComplex)
        return rnl_fail(RNL_ERR_DATA, "%s: %s cell %zu is complex, expected real 0/1 values", path,
                        name, i);
    if (c->rank != 2 || !c->dims)
        return rnl_fail(RNL_ERR_DATA, "%s: %s cell %zu is a %d-D array, expected a T x K matrix",
                        path, name, i, c->rank);
    size_t T = c->dims[0], K = c->dims[1], n;
    if (*dim < 0) {
        if (K < 1 || K > INT_MAX)
            return rnl_fail(RNL_ERR_DATA, "%s: %s cell %zu has %zu columns, expected at least 1 "
                            "(88 piano keys)", path, name, i, K);
        *dim = (int)K;
    }
    if (K != (size_t)*dim)
        return rnl_fail(RNL_ERR_DATA, "%s: %s cell %zu has %zu columns, but earlier cells have "
                        "%d", path, name, i, K, *dim);
    if (T > INT_MAX)
        return rnl_fail(RNL_ERR_DATA, "%s: %s cell %zu has %zu frames, more than supported",
                        path, name, i, T);
    if (!mul_size(T, K, &n) || n > max_values - *values)
        return rnl_fail(RNL_ERR_DATA, "%s: %s cell %zu declares %zu x %zu values, more than the "
                        "file can hold (corrupt file)", path, name, i, T, K);
    *values += n;
    if (!with_data || n == 0) return RNL_OK;
    size_t bytes;
    if (c->data_type != dt || !c->data || !mul_size(n, Mat_SizeOf(dt), &bytes) ||
        c->nbytes < bytes)
        return rnl_fail(RNL_ERR_DATA, "%s: %s cell %zu: libmatio returned inconsistent data "
                        "(corrupt file)", path, name, i);
    return RNL_OK;
}

/* Check variable `name` is a real numeric N x T x D array (N sequences of T frames of D
 * keys, as scipy.io.savemat writes an array of equal-length sequences); fills *shape. */
static rnl_status check_array(const char *path, const char *name, matvar_t *v, int with_data,
                              int *dim, size_t *values, size_t max_values, var_shape *shape) {
    enum matio_types dt = class_data_type(v->class_type);
    if (v->isComplex)
        return rnl_fail(RNL_ERR_DATA, "%s: %s is complex, expected real 0/1 values", path, name);
    if (v->rank != 3 || !v->dims)
        return rnl_fail(RNL_ERR_DATA, "%s: %s is a %d-D numeric array, expected a cell array of sequences or an "
                        "N x T x D array of N equal-length sequences", path, name, v->rank);
    const size_t N = v->dims[0], T = v->dims[1], K = v->dims[2];
    size_t nt, n;
    if (*dim < 0) {
        if (K < 1 || K > INT_MAX)
            return rnl_fail(RNL_ERR_DATA, "%s: %s has %zu keys per frame (its third dimension), expected at least "
                            "1", path, name, K);
        *dim = (int)K;
    }
    if (K != (size_t)*dim)
        return rnl_fail(RNL_ERR_DATA, "%s: %s has %zu keys per frame, but earlier variables have %d", path, name, K,
                        *dim);
    if (N > INT_MAX || T > INT_MAX || !mul_size(N, T, &nt) || !mul_size(nt, K, &n) || n > max_values - *values)
        return rnl_fail(RNL_ERR_DATA, "%s: %s declares %zu x %zu x %zu values, more than the file can hold "
                        "(corrupt file)", path, name, N, T, K);
    *values += n;
    shape->ncells = N;
    shape->frames = nt;
    shape->T = T;
    shape->array = 1;
    size_t bytes;
    if (with_data && n > 0 &&
        (v->data_type != dt || !v->data || !mul_size(n, Mat_SizeOf(dt), &bytes) || v->nbytes < bytes))
        return rnl_fail(RNL_ERR_DATA, "%s: %s: libmatio returned inconsistent data (corrupt file)", path, name);
    return RNL_OK;
}

/* Check variable `name` is a 1xN or Nx1 cell array of valid cells, or an N x T x D numeric
 * array (check_array); fills *shape. */
static rnl_status check_var(const char *path, const char *name, matvar_t *v, int with_data,
                            int *dim, size_t *values, size_t max_values, var_shape *shape) {
    if (class_data_type(v->class_type) != MAT_T_UNKNOWN)
        return check_array(path, name, v, with_data, dim, values, max_values, shape);
    if (v->class_type != MAT_C_CELL)
        return rnl_fail(RNL_ERR_DATA, "%s: %s is a %s, expected a cell array of sequences", path,
                        name, class_name(v->class_type));
    if (v->rank != 2 || !v->dims)
        return rnl_fail(RNL_ERR_DATA, "%s: %s is a %d-D cell array, expected 1xN or Nx1", path,
                        name, v->rank);
    size_t ncells;
    if (!mul_size(v->dims[0], v->dims[1], &ncells) || ncells > INT_MAX)
        return rnl_fail(RNL_ERR_DATA, "%s: %s has too many cells", path, name);
    if (ncells > 0 && v->dims[0] != 1 && v->dims[1] != 1)
        return rnl_fail(RNL_ERR_DATA, "%s: %s is a %zux%zu cell array, expected 1xN or Nx1", path,
                        name, v->dims[0], v->dims[1]);
    if (ncells > 0 && !v->data)
        return rnl_fail(RNL_ERR_DATA, "%s: %s: libmatio returned no cells (corrupt file)", path,
                        name);
    shape->ncells = ncells;
    shape->frames = 0;
    shape->array = 0;
    for (size_t i = 0; i < ncells; i++) {
        matvar_t *c = Mat_VarGetCell(v, (int)i);
        rnl_status st = check_cell(path, name, i, c, with_data, dim, values, max_values);
        if (st) return st;
        shape->frames += c->dims[0];
    }
    return RNL_OK;
}

/* ------------------------------------------------------------------------------------------
 * Stage 4: values
 * ---------------------------------------------------------------------------------------- */

/* Element i of a checked numeric cell, as a double (exact for 0 and 1 in every class). */
static double value_at(const matvar_t *c, size_t i) {
    switch (c->class_type) {
    case MAT_C_DOUBLE: return ((const double *)c->data)[i];
    case MAT_C_SINGLE: return ((const float *)c->data)[i];
    case MAT_C_INT8: return ((const int8_t *)c->data)[i];
    case MAT_C_UINT8: return ((const uint8_t *)c->data)[i];
    case MAT_C_INT16: return ((const int16_t *)c->data)[i];
    case MAT_C_UINT16: return ((const uint16_t *)c->data)[i];
    case MAT_C_INT32: return ((const int32_t *)c->data)[i];
    case MAT_C_UINT32: return ((const uint32_t *)c->data)[i];
    case MAT_C_INT64: return (double)((const int64_t *)c->data)[i];
    case MAT_C_UINT64: return (double)((const uint64_t *)c->data)[i];
    default: return -1.0; /* not reached: check_cell admits numeric classes only */
    }
}

/* Copy a checked variable into s, transposing each column-major T x K cell to frame-major. */
static rnl_status convert_var(const char *path, const char *name, matvar_t *v, int dim,
                              const var_shape *shape, rnl_seqset *s) {
    size_t nvalues;
    if (!mul_size(shape->frames, (size_t)dim, &nvalues))
        return rnl_fail(RNL_ERR_DATA, "%s: %s is too large", path, name);
    s->n = (int)shape->ncells;
    s->dim = dim;
    s->total = shape->frames;
    s->len = malloc((shape->ncells ? shape->ncells : 1) * sizeof *s->len);
    s->off = malloc((shape->ncells ? shape->ncells : 1) * sizeof *s->off);
    s->frames = malloc(nvalues ? nvalues : 1);
    if (!s->len || !s->off || !s->frames)
        return rnl_fail(RNL_ERR_NOMEM, "%s: out of memory for %s (%zu frames)", path, name,
                        shape->frames);
    size_t off = 0, K = (size_t)dim, N = shape->ncells;
    for (size_t i = 0; i < shape->ncells; i++) {
        /* a cell: column-major T x K; an N x T x D array: element (i, t, k) at i + N (t + T k) */
        const matvar_t *c = shape->array ? v : Mat_VarGetCell(v, (int)i);
        size_t T = shape->array ? shape->T : c->dims[0];
        uint8_t *dst = s->frames + off * K;
        for (size_t k = 0; k < K; k++) {
            for (size_t t = 0; t < T; t++) {
                double x = value_at(c, shape->array ? i + N * (t + T * k) : k * T + t);
                if (x != 0.0 && x != 1.0)
                    return rnl_fail(RNL_ERR_DATA, "%s: %s cell %zu, frame %zu, key %zu: value %g, "
                                    "expected 0 or 1", path, name, i, t, k, x);
                dst[t * K + k] = x != 0.0;
            }
        }
        s->len[i] = (int)T;
        s->off[i] = off;
        off += T;
    }
    return RNL_OK;
}

/* ------------------------------------------------------------------------------------------
 * Public functions
 * ---------------------------------------------------------------------------------------- */

static rnl_status load_open(const char *path, mat_t *mat, int nvars, off_t fsize,
                            rnl_music *out) {
    matvar_t *info[3] = {NULL, NULL, NULL};
    rnl_status st = find_vars(path, mat, nvars, info);
    int dim = -1;
    size_t values = 0, max_values = SIZE_MAX;
    if ((uint64_t)fsize < SIZE_MAX / MAX_VALUES_PER_BYTE)
        max_values = (size_t)fsize * MAX_VALUES_PER_BYTE;
    var_shape shape[3] = {{0, 0, 0, 0}, {0, 0, 0, 0}, {0, 0, 0, 0}};
    for (int s = 0; s < 3 && !st; s++)
        st = check_var(path, k_vars[s], info[s], 0, &dim, &values, max_values, &shape[s]);
    if (!st && shape[RNL_SPLIT_TRAIN].ncells == 0)
        st = rnl_fail(RNL_ERR_DATA, "%s: traindata holds no sequences", path);
    for (int s = 0; s < 3; s++) Mat_VarFree(info[s]);

    /* Read one split at a time so that only one variable's data is held by libmatio (as
     * doubles: 8 bytes a value for the packaged files). */
    for (int s = 0; s < 3 && !st; s++) {
        matvar_t *v = Mat_VarRead(mat, k_vars[s]);
        if (!v)
            return rnl_fail(RNL_ERR_DATA, "%s: libmatio could not read the data of %s (corrupt "
                            "file)", path, k_vars[s]);
        int dim_again = dim;
        size_t values_again = 0;
        var_shape got;
        st = check_var(path, k_vars[s], v, 1, &dim_again, &values_again, max_values, &got);
        if (!st && (got.ncells != shape[s].ncells || got.frames != shape[s].frames))
            st = rnl_fail(RNL_ERR_DATA, "%s: %s: libmatio's data disagrees with its header "
                          "(corrupt file)", path, k_vars[s]);
        if (!st) st = convert_var(path, k_vars[s], v, dim, &got, &out->split[s]);
        Mat_VarFree(v);
    }
    return st;
}

rnl_status rnl_music_load(const char *path, rnl_music *out) {
    memset(out, 0, sizeof *out);
    if (!path || !*path) return rnl_fail(RNL_ERR_USAGE, "music data: empty file name");
    if (strlen(path) >= sizeof out->path)
        return rnl_fail(RNL_ERR_USAGE, "music data: path too long (%zu bytes max): %.64s...",
                        sizeof out->path - 1, path);
    strcpy(out->path, path);

    off_t fsize = 0;
    int nvars = 0;
    rnl_status st = check_container(path, &fsize, &nvars);
    if (st) return st;
    if (nvars == 0) return rnl_fail(RNL_ERR_DATA, "%s: MAT file holds no variables", path);
    mat_t *mat = Mat_Open(path, MAT_ACC_RDONLY);
    if (!mat) return rnl_fail(RNL_ERR_DATA, "%s: libmatio cannot open it as a MAT file", path);
    st = load_open(path, mat, nvars, fsize, out);
    Mat_Close(mat);
    if (st) rnl_music_free(out);
    return st;
}

void rnl_music_free(rnl_music *m) {
    if (!m) return;
    for (int s = 0; s < 3; s++) {
        free(m->split[s].len);
        free(m->split[s].off);
        free(m->split[s].frames);
    }
    memset(m, 0, sizeof *m);
}

double rnl_seqset_predicted_frames(const rnl_seqset *s) {
    double n = 0;
    for (int i = 0; i < s->n; i++)
        if (s->len[i] > 1) n += s->len[i] - 1;
    return n;
}
