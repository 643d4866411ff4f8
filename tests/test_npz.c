/* test_npz.c — the strict .npy reader (src/data/npz.c) on hand-built arrays: every dtype's
 * values (sign extension, float bits), C and Fortran order, 1-D and 2-D shapes, versions 1
 * and 2; and every way a header or its data can be wrong (magic, version, the dict's keys and
 * values, big-endian and object dtypes, 3-D shapes, data bytes short or extra), each refused
 * with RNL_ERR_DATA and a one-line message, truncation at every length included. The ZIP side
 * is tests/sh_npz.sh's, on files numpy writes. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "data/npz.h"

/* An .npy of version major with header dict text h (padded to 16 bytes as numpy does) and
 * data [nd]; returns its length in out [cap]. */
static size_t npy(unsigned char *out, size_t cap, int major, const char *h, const void *data, size_t nd) {
    const size_t pre = major == 1 ? 10 : 12;
    size_t hl = strlen(h) + 1;
    while ((pre + hl) % 16) hl++;
    if (pre + hl + nd > cap) return 0;
    memcpy(out, "\x93NUMPY", 6);
    out[6] = (unsigned char)major;
    out[7] = 0;
    if (major == 1) {
        out[8] = (unsigned char)(hl & 255);
        out[9] = (unsigned char)(hl >> 8);
    } else {
        for (int i = 0; i < 4; i++) out[8 + i] = (unsigned char)(hl >> (8 * i));
    }
    memset(out + pre, ' ', hl);
    memcpy(out + pre, h, strlen(h));
    out[pre + hl - 1] = '\n';
    memcpy(out + pre + hl, data, nd);
    return pre + hl + nd;
}

static int one_line(void) { return strchr(rnl_last_error(), '\n') == NULL; }

static void test_values(void) {
    unsigned char f[512];
    rnl_npy a;
    /* little-endian bytes written out by hand */
    const unsigned char i1[3] = {0xfb, 0x7f, 0x80};             /* -5, 127, -128 */
    const unsigned char i2[4] = {0xd4, 0xfe, 0xff, 0x7f};       /* -300, 32767 */
    const unsigned char u2[2] = {0xff, 0xff};                   /* 65535 */
    const unsigned char i8[8] = {0, 0, 0, 0, 0, 0xff, 0xff, 0xff}; /* -2^40 */
    const unsigned char f4[4] = {0, 0, 0xc0, 0x3f};             /* 1.5 */
    const unsigned char f8[8] = {0, 0, 0, 0, 0, 0, 0x02, 0xc0}; /* -2.25 */
    const unsigned char b1[2] = {1, 0};
    const unsigned char u4[4] = {0x78, 0x56, 0x34, 0x12};
    struct {
        const char *h;
        const void *d;
        size_t n, count;
        double v[3];
    } cases[] = {
        {"{'descr': '|i1', 'fortran_order': False, 'shape': (3,), }", i1, 3, 3, {-5, 127, -128}},
        {"{'descr': '<i2', 'fortran_order': False, 'shape': (2,), }", i2, 4, 2, {-300, 32767}},
        {"{'descr': '<u2', 'fortran_order': False, 'shape': (1,), }", u2, 2, 1, {65535}},
        {"{'descr': '<i8', 'fortran_order': False, 'shape': (1,), }", i8, 8, 1, {-1099511627776.0}},
        {"{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", f4, 4, 1, {1.5}},
        {"{'descr': '<f8', 'fortran_order': False, 'shape': (1,), }", f8, 8, 1, {-2.25}},
        {"{'descr': '|b1', 'fortran_order': False, 'shape': (2,), }", b1, 2, 2, {1, 0}},
        {"{'descr': '<u4', 'fortran_order': False, 'shape': (1,)}", u4, 4, 1, {305419896}},
        {"{'shape': (1,), 'descr': '<u4', 'fortran_order': False}", u4, 4, 1, {305419896}},
    };
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++)
        for (int major = 1; major <= 2; major++) {
            size_t n = npy(f, sizeof f, major, cases[c].h, cases[c].d, cases[c].n);
            rnl_status st = rnl_npy_parse(f, n, "t", &a);
            int same = st == RNL_OK && a.shape[0] == cases[c].count && a.shape[1] == 1 && a.ndim == 1;
            for (size_t k = 0; same && k < cases[c].count; k++) same &= rnl_npy_value(&a, k, 0) == cases[c].v[k];
            CHECK(same, "case %zu, version %d: %s (%s)", c, major, cases[c].h, st ? rnl_last_error() : "values");
        }
    /* A 2 x 3 array in C order and the same array in Fortran order: element (t, d) = 10t + d. */
    const unsigned char corder[6] = {0, 1, 2, 10, 11, 12}, forder[6] = {0, 10, 1, 11, 2, 12};
    for (int fo = 0; fo < 2; fo++) {
        char h[128];
        snprintf(h, sizeof h, "{'descr': '|u1', 'fortran_order': %s, 'shape': (2, 3), }", fo ? "True" : "False");
        size_t n = npy(f, sizeof f, 1, h, fo ? forder : corder, 6);
        rnl_status st = rnl_npy_parse(f, n, "t", &a);
        int same = st == RNL_OK && a.ndim == 2 && a.shape[0] == 2 && a.shape[1] == 3 && a.fortran == fo;
        for (int t = 0; same && t < 2; t++)
            for (int d = 0; d < 3; d++) same &= rnl_npy_value(&a, (size_t)t, (size_t)d) == 10 * t + d;
        CHECK(same, "%s order: element (t, d) = 10t + d", fo ? "Fortran" : "C");
    }
    /* An empty sequence is an array too. */
    size_t n = npy(f, sizeof f, 1, "{'descr': '<f8', 'fortran_order': False, 'shape': (0, 4), }", "", 0);
    CHECK(rnl_npy_parse(f, n, "t", &a) == RNL_OK && a.shape[0] == 0 && a.shape[1] == 4, "shape (0, 4)");
}

static void test_refused(void) {
    unsigned char f[512], data[64] = {0};
    rnl_npy a;
    const char *bad[] = {
        "{'descr': '>f8', 'fortran_order': False, 'shape': (1,), }",            /* big-endian */
        "{'descr': '|O', 'fortran_order': False, 'shape': (1,), }",             /* objects */
        "{'descr': '<U1', 'fortran_order': False, 'shape': (1,), }",            /* strings */
        "{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1, 1), }",       /* 3-D */
        "{'descr': '<f8', 'fortran_order': False, 'shape': (), }",              /* a scalar */
        "{'descr': '<f8', 'fortran_order': False}",                             /* no shape */
        "{'descr': '<f8', 'fortran_order': False, 'shape': (1,), 'x': 1}",      /* an extra key */
        "{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, 'shape': (1,)}", /* twice */
        "{'descr': '<f8', 'fortran_order': 0, 'shape': (1,), }",                /* not a bool */
        "{'descr': '<f8', 'fortran_order': False, 'shape': (-1,), }",           /* negative */
        "{'descr': '<f8', 'fortran_order': False, 'shape': (1,) }x",            /* junk after */
        "{\"descr\": '<f8', 'fortran_order': False, 'shape': (1,), }",          /* other quotes */
        "['descr', '<f8']",                                                     /* not a dict */
        "{'descr': '<f8', 'fortran_order': False, 'shape': (1099511627776,), }", /* too large */
        "{'descr': '<f\n8', 'fortran_order': False, 'shape': (1,), }",          /* a newline inside */
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        size_t n = npy(f, sizeof f, 1, bad[i], data, 8);
        rnl_status st = rnl_npy_parse(f, n, "bad.npy", &a);
        CHECK(st == RNL_ERR_DATA && strstr(rnl_last_error(), "bad.npy: ") && one_line(), "refused: %s -> %s", bad[i],
              rnl_last_error());
    }
    const char *ok = "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }";
    size_t n = npy(f, sizeof f, 1, ok, data, 16);
    CHECK(rnl_npy_parse(f, n, "t", &a) == RNL_OK, "the good header");
    CHECK(rnl_npy_parse(f, n - 1, "t", &a) == RNL_ERR_DATA && strstr(rnl_last_error(), "needs 16 data bytes"),
          "a byte short: %s", rnl_last_error());
    unsigned char g[512];
    memcpy(g, f, n);
    g[n] = 0;
    CHECK(rnl_npy_parse(g, n + 1, "t", &a) == RNL_ERR_DATA, "a byte extra");
    int all = 1;
    for (size_t k = 0; k < n; k++) all &= rnl_npy_parse(f, k, "t", &a) == RNL_ERR_DATA && one_line();
    CHECK(all, "truncated at every length: refused in one line");
    memcpy(g, f, n);
    g[0] = 0x92;
    CHECK(rnl_npy_parse(g, n, "t", &a) == RNL_ERR_DATA && strstr(rnl_last_error(), "magic"), "bad magic");
    memcpy(g, f, n);
    g[6] = 4;
    CHECK(rnl_npy_parse(g, n, "t", &a) == RNL_ERR_DATA && strstr(rnl_last_error(), "version 4.0"), "version 4");
    memcpy(g, f, n);
    g[8] = (unsigned char)(g[8] + 16); /* a header longer than the file */
    CHECK(rnl_npy_parse(g, n, "t", &a) == RNL_ERR_DATA && one_line(), "header past the end: %s", rnl_last_error());
    /* Every single-byte corruption of the header: refused or parsed, never a crash, one line. */
    int lines = 1;
    for (size_t k = 0; k < n; k++)
        for (int v = 0; v < 256; v += 37) {
            memcpy(g, f, n);
            g[k] = (unsigned char)v;
            if (rnl_npy_parse(g, n, "t", &a) != RNL_OK) lines &= one_line();
        }
    CHECK(lines, "every corrupted byte: an error of one line");
}

int main(void) {
    test_values();
    test_refused();
    return CHECK_DONE("npz");
}
