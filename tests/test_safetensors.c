/* test_safetensors.c — the safetensors reader and writer: round trips of every dtype, the
 * exact bytes of the format against hand-built files, a catalogue of malformed files that
 * must all be refused with RNL_ERR_DATA (regressions from fuzzing included), and the
 * checksum: CRC-32C's twins against its definition, and every changed data byte or header
 * field of a written file refused. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "io/checksum.h"
#include "io/json.h"
#include "rnnlab.h"
#include "io/safetensors.h"
#include "io/util.h"

/* ------------------------------------------------------------------------------------------
 * Helpers
 * ---------------------------------------------------------------------------------------- */

/* A file: 8-byte little-endian hlen, the header text, then `data_len` bytes of value fill.
 * hlen is the header's length unless `hlen_override` is not NULL. */
static unsigned char *make_file(const char *header, const uint64_t *hlen_override,
                                size_t data_len, unsigned char fill, size_t *n) {
    size_t h = strlen(header);
    *n = 8 + h + data_len;
    unsigned char *b = malloc(*n);
    uint64_t hl = hlen_override ? *hlen_override : h;
    for (int i = 0; i < 8; i++) b[i] = (unsigned char)(hl >> (8 * i));
    memcpy(b + 8, header, h);
    memset(b + 8 + h, fill, data_len);
    return b;
}

/* Parse and free; returns the status. */
static rnl_status parse_status(const unsigned char *b, size_t n, const char *what) {
    rnl_st_file *f = NULL;
    rnl_status st = rnl_st_parse(b, n, what, &f);
    if ((st == RNL_OK) != (f != NULL)) return RNL_ERR_INTERNAL; /* out must match status */
    rnl_st_free(f);
    return st;
}

/* A header with the given text must be refused with RNL_ERR_DATA and a message naming the
 * source and containing `needle`. */
static void expect_bad_header(const char *name, const char *header, size_t data_len,
                              const char *needle) {
    size_t n;
    unsigned char *b = make_file(header, NULL, data_len, 0, &n);
    rnl_status st = parse_status(b, n, name);
    CHECK(st == RNL_ERR_DATA, "%s: status %d (%s)", name, st, rnl_status_string(st));
    CHECK(strstr(rnl_last_error(), name) && strstr(rnl_last_error(), needle),
          "%s: message '%s' lacks '%s'", name, rnl_last_error(), needle);
    free(b);
}

static int host_le(void) {
    uint16_t one = 1;
    unsigned char c;
    memcpy(&c, &one, 1);
    return c == 1;
}

/* ------------------------------------------------------------------------------------------
 * Round trips
 * ---------------------------------------------------------------------------------------- */

static void test_round_trip(const char *dir) {
    float f32[6] = {0.0f, -1.5f, 3.25f, 1e-30f, -7e20f, 0.1f};
    double f64[4] = {1.0 / 3.0, -0.0, 1e300, -2.5e-310};
    int32_t i32[4] = {INT32_MIN, -1, 0, INT32_MAX};
    int64_t i64[3] = {INT64_MIN, 42, INT64_MAX};
    unsigned char u8[5] = {0, 1, 127, 128, 255};
    float scalar = 2.0f;
    int64_t s23[2] = {2, 3}, s4[1] = {4}, s22[2] = {2, 2}, s3[1] = {3}, s5[1] = {5},
            s03[2] = {0, 3}, s1111[4] = {1, 1, 1, 1};

    rnl_st_writer *w;
    CHECK(rnl_st_writer_create(&w) == RNL_OK, "writer");
    CHECK(rnl_st_add(w, "layer.f32", RNL_ST_F32, 2, s23, f32) == RNL_OK, "add f32");
    CHECK(rnl_st_add(w, "f64", RNL_ST_F64, 1, s4, f64) == RNL_OK, "add f64");
    CHECK(rnl_st_add(w, "i32", RNL_ST_I32, 2, s22, i32) == RNL_OK, "add i32");
    CHECK(rnl_st_add(w, "i64", RNL_ST_I64, 1, s3, i64) == RNL_OK, "add i64");
    CHECK(rnl_st_add(w, "u8", RNL_ST_U8, 1, s5, u8) == RNL_OK, "add u8");
    CHECK(rnl_st_add(w, "scalar", RNL_ST_F32, 0, NULL, &scalar) == RNL_OK, "add scalar");
    CHECK(rnl_st_add(w, "empty", RNL_ST_F32, 2, s03, NULL) == RNL_OK, "add empty");
    CHECK(rnl_st_add(w, "four", RNL_ST_U8, 4, s1111, u8) == RNL_OK, "add 4-d");
    CHECK(rnl_st_add_meta(w, "cell", "gru") == RNL_OK, "meta");
    CHECK(rnl_st_add_meta(w, "odd \"key\"\n", "v\\al\tue \xc3\xa9") == RNL_OK, "meta escapes");
    CHECK(rnl_st_add_meta(w, "empty", "") == RNL_OK, "meta empty value");

    unsigned char *bytes;
    size_t n;
    CHECK(rnl_st_serialize(w, &bytes, &n) == RNL_OK, "serialize: %s", rnl_last_error());
    rnl_st_file *f;
    rnl_status st = rnl_st_parse(bytes, n, "mem", &f);
    CHECK(st == RNL_OK, "parse own output: %s", rnl_last_error());
    if (st == RNL_OK) {
        CHECK(rnl_st_count(f) == 8, "count %d", rnl_st_count(f));
        CHECK(!strcmp(rnl_st_get(f, 0)->name, "layer.f32") && !strcmp(rnl_st_get(f, 7)->name,
              "four"), "tensor order kept");
        const rnl_st_tensor *t = rnl_st_find(f, "layer.f32");
        CHECK(t && t->dtype == RNL_ST_F32 && t->ndim == 2 && t->shape[0] == 2 &&
                  t->shape[1] == 3 && t->numel == 6,
              "f32 header");
        CHECK(t && host_le() && memcmp(t->data, f32, sizeof f32) == 0, "f32 bytes");
        rnl_real r[6];
        CHECK(t && rnl_st_to_real(f, t, r) == RNL_OK, "f32 to_real");
        for (int i = 0; i < 6; i++) CHECK(r[i] == (rnl_real)f32[i], "f32[%d] %g", i, (double)r[i]);

        t = rnl_st_find(f, "f64");
        CHECK(t && t->dtype == RNL_ST_F64 && t->numel == 4 && host_le() &&
                  memcmp(t->data, f64, sizeof f64) == 0,
              "f64 bytes");
        t = rnl_st_find(f, "i32");
        CHECK(t && t->dtype == RNL_ST_I32 && t->numel == 4 && memcmp(t->data, i32, 16) == 0,
              "i32 bytes");
        CHECK(t && rnl_st_to_real(f, t, r) == RNL_ERR_DATA && strstr(rnl_last_error(), "i32"),
              "i32 is not real: %s", rnl_last_error());
        t = rnl_st_find(f, "i64");
        CHECK(t && t->dtype == RNL_ST_I64 && memcmp(t->data, i64, sizeof i64) == 0, "i64 bytes");
        t = rnl_st_find(f, "u8");
        CHECK(t && t->dtype == RNL_ST_U8 && t->numel == 5 && memcmp(t->data, u8, 5) == 0, "u8");
        t = rnl_st_find(f, "scalar");
        CHECK(t && t->ndim == 0 && t->numel == 1 && memcmp(t->data, &scalar, 4) == 0, "scalar");
        t = rnl_st_find(f, "empty");
        CHECK(t && t->ndim == 2 && t->shape[0] == 0 && t->numel == 0, "empty tensor");
        CHECK(t && rnl_st_to_real(f, t, r) == RNL_OK, "empty to_real");
        t = rnl_st_find(f, "four");
        CHECK(t && t->ndim == 4 && t->numel == 1 && t->data[0] == 0, "4-d tensor");
        CHECK(rnl_st_find(f, "nope") == NULL && rnl_st_get(f, 8) == NULL &&
                  rnl_st_get(f, -1) == NULL,
              "absent tensors");

        CHECK(rnl_st_meta_count(f) == 3, "meta count %d", rnl_st_meta_count(f));
        const char *mv = rnl_st_meta(f, "odd \"key\"\n");
        CHECK(mv && !strcmp(mv, "v\\al\tue \xc3\xa9"), "escaped meta: %s", mv ? mv : "(null)");
        CHECK(rnl_st_meta(f, "empty") && !*rnl_st_meta(f, "empty"), "empty meta value");
        const char *k, *v;
        rnl_st_meta_get(f, 0, &k, &v);
        CHECK(k && v && !strcmp(k, "cell") && !strcmp(v, "gru"), "meta order kept");
        CHECK(rnl_st_meta(f, "missing") == NULL, "absent meta");
        CHECK(!strcmp(rnl_st_path(f), "mem"), "path");
        rnl_st_free(f);
    }

    /* The same through a file. */
    char path[512];
    snprintf(path, sizeof path, "%s/rt.safetensors", dir);
    CHECK(rnl_st_write(w, path) == RNL_OK, "write: %s", rnl_last_error());
    unsigned char *disk;
    size_t dn;
    CHECK(rnl_read_file(path, &disk, &dn) == RNL_OK && dn == n && memcmp(disk, bytes, n) == 0,
          "file bytes equal serialised bytes");
    free(disk);
    st = rnl_st_read(path, &f);
    CHECK(st == RNL_OK && rnl_st_count(f) == 8 && !strcmp(rnl_st_path(f), path), "read file");
    rnl_st_free(f);
    unlink(path);
    free(bytes);
    rnl_st_writer_free(w);

    /* rnl_st_add_real stores float32. */
    CHECK(rnl_st_writer_create(&w) == RNL_OK, "writer 2");
    rnl_real rv[3] = {(rnl_real)0.5, (rnl_real)-1.25, (rnl_real)1e-3};
    CHECK(rnl_st_add_real(w, "r", 1, s3, rv) == RNL_OK, "add_real");
    CHECK(rnl_st_serialize(w, &bytes, &n) == RNL_OK, "serialize 2");
    CHECK(rnl_st_parse(bytes, n, "mem2", &f) == RNL_OK, "parse 2");
    const rnl_st_tensor *t = rnl_st_find(f, "r");
    rnl_real back[3] = {0, 0, 0};
    CHECK(t && t->dtype == RNL_ST_F32 && rnl_st_to_real(f, t, back) == RNL_OK, "real back");
    for (int i = 0; i < 3; i++)
        CHECK(back[i] == (rnl_real)(float)rv[i], "real[%d] %g", i, (double)back[i]);
    rnl_st_free(f);
    free(bytes);
    rnl_st_writer_free(w);
}

/* ------------------------------------------------------------------------------------------
 * The bytes of the format
 * ---------------------------------------------------------------------------------------- */

static void test_header_bytes(void) {
    rnl_st_writer *w;
    rnl_st_writer_create(&w);
    float a[3] = {1, 2, 3};
    double b[2] = {4, 5};
    int64_t s3[1] = {3}, s2[1] = {2};
    rnl_st_add(w, "a", RNL_ST_F32, 1, s3, a);
    rnl_st_add(w, "b", RNL_ST_F64, 1, s2, b);
    rnl_st_add_meta(w, "m", "x");
    unsigned char *bytes;
    size_t n;
    CHECK(rnl_st_serialize(w, &bytes, &n) == RNL_OK, "serialize");
    uint64_t hlen = 0;
    for (int i = 0; i < 8; i++) hlen |= (uint64_t)bytes[i] << (8 * i);
    CHECK(hlen % 8 == 0, "header length %llu is a multiple of 8", (unsigned long long)hlen);
    CHECK(n == 8 + hlen + 12 + 16, "total size %zu = 8 + %llu + 28", n,
          (unsigned long long)hlen);
    CHECK(bytes[8] == '{', "header starts with '{'");
    size_t close = 8 + (size_t)hlen;
    while (close > 8 && bytes[close - 1] == ' ') close--;
    CHECK(close > 8 && bytes[close - 1] == '}' && 8 + hlen - close < 8,
          "header ends with '}' then fewer than 8 spaces");
    rnl_json_doc *d;
    CHECK(rnl_json_parse((const char *)bytes + 8, (size_t)hlen, "hdr", &d) == RNL_OK,
          "header is JSON: %s", rnl_last_error());
    const rnl_json *r = rnl_json_root(d);
    CHECK(rnl_json_len(r) == 3 && !strcmp(rnl_json_key_at(r, 0), "__metadata__") &&
              !strcmp(rnl_json_key_at(r, 1), "a") && !strcmp(rnl_json_key_at(r, 2), "b"),
          "keys: __metadata__, a, b");
    CHECK(!strcmp(rnl_json_string(rnl_json_get(rnl_json_get(r, "__metadata__"), "m")), "x"),
          "metadata value");
    const rnl_json *ea = rnl_json_get(r, "a"), *eb = rnl_json_get(r, "b");
    int64_t v0 = -1, v1 = -1, dim = -1;
    CHECK(!strcmp(rnl_json_string(rnl_json_get(ea, "dtype")), "F32") &&
              rnl_json_integer(rnl_json_at(rnl_json_get(ea, "shape"), 0), &dim) && dim == 3 &&
              rnl_json_integer(rnl_json_at(rnl_json_get(ea, "data_offsets"), 0), &v0) &&
              rnl_json_integer(rnl_json_at(rnl_json_get(ea, "data_offsets"), 1), &v1) &&
              v0 == 0 && v1 == 12,
          "a: F32 [3] at [0, 12]");
    CHECK(!strcmp(rnl_json_string(rnl_json_get(eb, "dtype")), "F64") &&
              rnl_json_integer(rnl_json_at(rnl_json_get(eb, "data_offsets"), 0), &v0) &&
              rnl_json_integer(rnl_json_at(rnl_json_get(eb, "data_offsets"), 1), &v1) &&
              v0 == 12 && v1 == 28,
          "b: F64 at [12, 28] right after a");
    /* Data: little-endian float 1.0 = 00 00 80 3f, double 4.0 = 00 .. 00 10 40. */
    const unsigned char *data = bytes + 8 + hlen;
    static const unsigned char one_f32[4] = {0x00, 0x00, 0x80, 0x3f};
    static const unsigned char four_f64[8] = {0, 0, 0, 0, 0, 0, 0x10, 0x40};
    CHECK(memcmp(data, one_f32, 4) == 0, "1.0f little-endian");
    CHECK(memcmp(data + 12, four_f64, 8) == 0, "4.0 little-endian");
    rnl_json_free(d);
    free(bytes);
    rnl_st_writer_free(w);
}

/* The writer's output equals a file built here byte by byte from the format's definition.
 * The checksum 28394a5b is CRC-32C of M = u64(1) str("w") str("F32") u64(1) u64(2) u64(0)
 * u64(8) u64(1) str("k") str("v") u64(8) and the 8 data bytes (safetensors.h), computed
 * outside rnnlab (a bit-at-a-time CRC-32C in Python); test_checksum_message checks the same
 * message with this file's bitwise CRC. */
static void test_hand_built_write(void) {
    static const char hdr[] =
        "{\"__metadata__\":{\"k\":\"v\",\"rnnlab_checksum\":\"crc32c:28394a5b\"},"
        "\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
    /* 115 bytes, padded with 5 spaces to 120 = 0x78 */
    unsigned char want[136];
    static const unsigned char len_le[8] = {0x78, 0, 0, 0, 0, 0, 0, 0};
    memcpy(want, len_le, 8);
    memcpy(want + 8, hdr, 115);
    memset(want + 123, ' ', 5);
    static const unsigned char vals[8] = {0x00, 0x00, 0x80, 0x3f,  /* 1.0f */
                                          0x00, 0x00, 0x00, 0xc0}; /* -2.0f */
    memcpy(want + 128, vals, 8);
    CHECK(sizeof hdr - 1 == 115, "hand header is 115 bytes");

    rnl_st_writer *w;
    rnl_st_writer_create(&w);
    float x[2] = {1.0f, -2.0f};
    int64_t s2[1] = {2};
    rnl_st_add(w, "w", RNL_ST_F32, 1, s2, x);
    rnl_st_add_meta(w, "k", "v");
    unsigned char *bytes;
    size_t n;
    CHECK(rnl_st_serialize(w, &bytes, &n) == RNL_OK, "serialize");
    CHECK(n == sizeof want, "size %zu, want %zu", n, sizeof want);
    size_t first = 0;
    while (first < n && first < sizeof want && bytes[first] == want[first]) first++;
    CHECK(n == sizeof want && first == n, "bytes differ first at offset %zu", first);
    free(bytes);
    rnl_st_writer_free(w);

    /* No metadata, no tensors: the checksum alone (CRC-32C of u64(0) u64(0) u64(0)), its
     * 54 bytes padded to 56. */
    rnl_st_writer_create(&w);
    static const char ehdr[] = "{\"__metadata__\":{\"rnnlab_checksum\":\"crc32c:84fbecee\"}}  ";
    unsigned char empty[64] = {56, 0, 0, 0, 0, 0, 0, 0};
    CHECK(sizeof ehdr - 1 == 56, "empty header is 56 bytes");
    memcpy(empty + 8, ehdr, 56);
    CHECK(rnl_st_serialize(w, &bytes, &n) == RNL_OK && n == 64 && !memcmp(bytes, empty, 64),
          "empty file bytes");
    free(bytes);
    rnl_st_writer_free(w);
}

/* The reader accepts a file built by hand as another writer might: no padding, tensors out
 * of data order, a 0-d tensor, extra bytes after the last tensor. */
static void test_hand_built_read(void) {
    static const char hdr[] = "{\"b\":{\"dtype\":\"U8\",\"shape\":[3],\"data_offsets\":[8,11]},"
                              "\"a\":{\"dtype\":\"F64\",\"shape\":[],\"data_offsets\":[0,8]}}";
    unsigned char file[8 + 106 + 11 + 2];
    static const unsigned char len_le[8] = {106, 0, 0, 0, 0, 0, 0, 0};
    static const unsigned char data[13] = {0, 0, 0, 0, 0, 0, 0xe0, 0x3f, /* 0.5 */
                                           1, 2, 3, 0xaa, 0xbb};         /* u8, spare */
    CHECK(sizeof hdr - 1 == 106, "hand header is 106 bytes");
    memcpy(file, len_le, 8);
    memcpy(file + 8, hdr, 106);
    memcpy(file + 114, data, 13);
    rnl_st_file *f;
    rnl_status st = rnl_st_parse(file, sizeof file, "hand", &f);
    CHECK(st == RNL_OK, "hand-built file: %s", rnl_last_error());
    if (st != RNL_OK) return;
    const rnl_st_tensor *a = rnl_st_find(f, "a"), *b = rnl_st_find(f, "b");
    rnl_real r = 0;
    CHECK(a && a->ndim == 0 && a->numel == 1 && a->dtype == RNL_ST_F64 &&
              rnl_st_to_real(f, a, &r) == RNL_OK && r == (rnl_real)0.5,
          "a = 0.5");
    CHECK(b && b->dtype == RNL_ST_U8 && b->numel == 3 && b->data[0] == 1 && b->data[2] == 3,
          "b = 1 2 3");
    CHECK(rnl_st_meta_count(f) == 0, "no metadata");
    rnl_st_free(f);

    /* Every proper prefix of it is refused (a truncated file never half-loads). */
    int bad = 0;
    for (size_t k = 0; k < 8 + 106 + 11; k++) {
        rnl_status s = parse_status(file, k, "prefix");
        if (s != RNL_ERR_DATA) bad++;
    }
    CHECK(bad == 0, "%d truncated prefixes were not refused with RNL_ERR_DATA", bad);
}

/* ------------------------------------------------------------------------------------------
 * Malformed files
 * ---------------------------------------------------------------------------------------- */

static void test_bad_prefixes(void) {
    size_t n;
    CHECK(parse_status((const unsigned char *)"", 0, "empty.st") == RNL_ERR_DATA, "empty file");
    CHECK(strstr(rnl_last_error(), "empty.st") != NULL, "message names the file: %s",
          rnl_last_error());
    CHECK(parse_status((const unsigned char *)"\x02\0\0\0\0\0\0", 7, "seven") == RNL_ERR_DATA,
          "7 bytes");
    unsigned char *b = make_file("{}", NULL, 0, 0, &n);
    CHECK(parse_status(b, n, "ok") == RNL_OK, "minimal valid file {}: %s", rnl_last_error());
    CHECK(parse_status(b, 8, "nohdr") == RNL_ERR_DATA, "8 bytes claiming a 2-byte header");
    free(b);

    static const uint64_t lens[] = {3, 1000, 100000001, (uint64_t)1 << 32, (uint64_t)1 << 63,
                                    UINT64_MAX, UINT64_MAX - 7};
    for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
        b = make_file("{}", &lens[i], 0, 0, &n);
        rnl_status st = parse_status(b, n, "len");
        CHECK(st == RNL_ERR_DATA, "header length %llu: status %d", (unsigned long long)lens[i], st);
        free(b);
    }
    /* A header length just above the 100 MB limit is refused before anything is read. */
    const uint64_t over = (uint64_t)100 * 1000 * 1000 + 1, zero = 0;
    b = make_file("{}", &over, 0, 0, &n);
    CHECK(parse_status(b, n, "huge") == RNL_ERR_DATA && strstr(rnl_last_error(), "limit"),
          "limit message: %s", rnl_last_error());
    free(b);
    b = make_file("", &zero, 0, 0, &n);
    CHECK(parse_status(b, n, "zero") == RNL_ERR_DATA, "header length 0");
    free(b);
    unsigned char nul[8 + 4] = {4, 0, 0, 0, 0, 0, 0, 0, '{', '}', 0, ' '};
    CHECK(parse_status(nul, sizeof nul, "nul") == RNL_ERR_DATA, "NUL byte in the header");

    rnl_st_file *f = (rnl_st_file *)1;
    CHECK(rnl_st_read("/nonexistent/dir/x.safetensors", &f) == RNL_ERR_IO && f == NULL,
          "missing file is RNL_ERR_IO with out = NULL");
}

/* An entry {"dtype":..,"shape":..,"data_offsets":..} for tensor `name` (JSON text pieces). */
#define ENTRY(name, dtype, shape, offsets)                                                    \
    "\"" name "\":{\"dtype\":\"" dtype "\",\"shape\":" shape ",\"data_offsets\":" offsets "}"
/* The header of a file with the single tensor "w". */
#define ONE(dtype, shape, offsets) "{" ENTRY("w", dtype, shape, offsets) "}"

/* Malformed headers: name (also the source name in the message), header text, data bytes
 * after the header, and a piece of the message expected. */
static const struct {
    const char *name;
    const char *header;
    size_t data_len;
    const char *needle;
} k_bad_headers[] = {
    {"notjson", "hello", 8, "invalid JSON"},
    {"trunc", "{\"w\":{\"dtype\":\"F32\"", 8, "invalid JSON"},
    {"trailing", "{} x", 0, "invalid JSON"},
    {"array", "[1,2]", 8, "not an object"},
    {"string", "\"x\"", 8, "not an object"},
    {"entry-number", "{\"w\":5}", 8, "not an object"},
    {"no-dtype", "{\"w\":{\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "dtype"},
    {"no-shape", "{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", 8, "shape"},
    {"no-offsets", "{\"w\":{\"dtype\":\"F32\",\"shape\":[2]}}", 8, "data_offsets"},
    {"unknown-field", "{\"w\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1],\"x\":0}}", 8,
     "unknown field"},
    {"dtype-f16", ONE("F16", "[4]", "[0,8]"), 8, "dtype"},
    {"dtype-lower", ONE("f32", "[2]", "[0,8]"), 8, "dtype"},
    {"dtype-number", "{\"w\":{\"dtype\":1,\"shape\":[2],\"data_offsets\":[0,8]}}", 8, "dtype"},
    {"size-mismatch", ONE("F32", "[3]", "[0,8]"), 12, "need 12"},
    {"size-mismatch-dtype", ONE("F64", "[2]", "[0,8]"), 16, "need 16"},
    {"past-end", ONE("F32", "[2]", "[4,12]"), 8, "outside"},
    {"truncated-data", ONE("F32", "[2]", "[0,8]"), 7, "outside"},
    {"reversed", ONE("U8", "[0]", "[8,0]"), 8, "outside"},
    {"neg-offset", ONE("U8", "[1]", "[-1,0]"), 8, "outside"},
    {"frac-offset", ONE("U8", "[1]", "[0.5,1.5]"), 8, "two integers"},
    {"three-offsets", ONE("U8", "[1]", "[0,1,2]"), 8, "two integers"},
    {"offsets-strings", ONE("U8", "[1]", "[\"0\",\"1\"]"), 8, "two integers"},
    {"offsets-object", ONE("U8", "[1]", "{}"), 8, "two integers"},
    {"huge-offset", ONE("U8", "[1]", "[18446744073709551615,18446744073709551616]"), 8,
     "two integers"},
    {"overlap",
     "{" ENTRY("a", "F32", "[2]", "[0,8]") "," ENTRY("b", "F32", "[2]", "[4,12]") "}", 12,
     "overlap"},
    {"same-range", "{" ENTRY("a", "F32", "[2]", "[0,8]") "," ENTRY("b", "U8", "[8]", "[0,8]") "}",
     8, "overlap"},
    {"contained",
     "{" ENTRY("a", "U8", "[16]", "[0,16]") "," ENTRY("b", "U8", "[2]", "[4,6]") "," ENTRY(
         "c", "U8", "[2]", "[8,10]") "}",
     16, "overlap"},
    {"empty-inside", "{" ENTRY("a", "U8", "[8]", "[0,8]") "," ENTRY("b", "U8", "[0]", "[4,4]") "}",
     8, "overlap"},
    {"neg-dim", ONE("U8", "[-2]", "[0,2]"), 8, "dimension 0"},
    {"neg-dims-cancel", ONE("U8", "[-2,-1]", "[0,2]"), 8, "dimension 0"},
    {"frac-dim", ONE("U8", "[2.5]", "[0,2]"), 8, "dimension 0"},
    {"string-dim", ONE("U8", "[\"2\"]", "[0,2]"), 8, "dimension 0"},
    {"dim-above-2^53", ONE("U8", "[2305843009213693952]", "[0,0]"), 8, "dimension 0"},
    {"shape-object", ONE("U8", "{}", "[0,0]"), 8, "shape"},
    {"five-dims", ONE("U8", "[1,1,1,1,1]", "[0,1]"), 8, "5 dimensions"},
    {"overflow-shape", ONE("F64", "[4294967296,4294967296,4294967296,2]", "[0,8]"), 8,
     "too large"},
    {"wrap-bytes", ONE("F64", "[2147483648,2147483648]", "[0,0]"), 8, "too large"},
    {"wrap-numel", ONE("U8", "[1099511627776,1073741824]", "[0,0]"), 8, "too large"},
    {"duplicate", "{" ENTRY("w", "U8", "[1]", "[0,1]") "," ENTRY("w", "U8", "[1]", "[1,2]") "}",
     8, "duplicate"},
    {"empty-name", "{" ENTRY("", "U8", "[1]", "[0,1]") "}", 8, "name"},
    {"bad-utf8-name", "{" ENTRY("\xff", "U8", "[1]", "[0,1]") "}", 8, "UTF-8"},
    {"meta-number", "{\"__metadata__\":{\"a\":1}}", 0, "not a string"},
    {"meta-null", "{\"__metadata__\":{\"a\":null}}", 0, "not a string"},
    {"meta-object", "{\"__metadata__\":{\"a\":{}}}", 0, "not a string"},
    {"meta-array", "{\"__metadata__\":[\"a\"]}", 0, "not an object"},
    {"meta-dup", "{\"__metadata__\":{},\"__metadata__\":{}}", 0, "duplicate"},
};

static void test_bad_headers(void) {
    for (size_t i = 0; i < sizeof k_bad_headers / sizeof k_bad_headers[0]; i++)
        expect_bad_header(k_bad_headers[i].name, k_bad_headers[i].header,
                          k_bad_headers[i].data_len, k_bad_headers[i].needle);

    char longname[400];
    snprintf(longname, sizeof longname, "{" ENTRY("%0128d", "U8", "[1]", "[0,1]") "}", 7);
    expect_bad_header("long-name", longname, 8, "name of 128 bytes");
    snprintf(longname, sizeof longname, "{" ENTRY("%0127d", "U8", "[1]", "[0,1]") "}", 7);
    size_t n;
    unsigned char *b = make_file(longname, NULL, 1, 0, &n);
    CHECK(parse_status(b, n, "name127") == RNL_OK, "a 127-byte name is fine: %s",
          rnl_last_error());
    free(b);
}

/* Zero-size tensors at one offset share nothing; the data region may have spare bytes. */
static void test_edge_valid(void) {
    size_t n;
    unsigned char *b = make_file("{\"a\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[4,4]},"
                                 "\"b\":{\"dtype\":\"F32\",\"shape\":[0,5],\"data_offsets\":[4,4]},"
                                 "\"c\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4]},"
                                 "\"d\":{\"dtype\":\"U8\",\"shape\":[2],\"data_offsets\":[4,6]}}",
                                 NULL, 10, 9, &n);
    CHECK(parse_status(b, n, "edge") == RNL_OK, "edge file: %s", rnl_last_error());
    free(b);
    b = make_file("{\"w\":{\"dtype\":\"U8\",\"shape\":[0,4294967296,4294967296,4294967296],"
                  "\"data_offsets\":[0,0]}}",
                  NULL, 0, 0, &n);
    CHECK(parse_status(b, n, "zero-dim") == RNL_OK, "huge dims with a zero are 0 elements: %s",
          rnl_last_error());
    free(b);
}

static void test_to_real_errors(void) {
    size_t n;
    /* F32 NaN (00 00 c0 7f) and F64 +inf. */
    unsigned char *b = make_file("{\"n\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                                 "\"i\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[8,16]},"
                                 "\"big\":{\"dtype\":\"F64\",\"shape\":[1],"
                                 "\"data_offsets\":[16,24]}}",
                                 NULL, 24, 0, &n);
    unsigned char *data = b + n - 24;
    static const unsigned char nan_f32[4] = {0, 0, 0xc0, 0x7f};
    static const unsigned char inf_f64[8] = {0, 0, 0, 0, 0, 0, 0xf0, 0x7f};
    static const unsigned char e300_f64[8] = {0x9c, 0x75, 0x00, 0x88, 0x3c, 0xe4, 0x37, 0x7e};
    memcpy(data + 4, nan_f32, 4);
    memcpy(data + 8, inf_f64, 8);
    memcpy(data + 16, e300_f64, 8); /* 1e300 */
    rnl_st_file *f;
    CHECK(rnl_st_parse(b, n, "nonfinite", &f) == RNL_OK, "file parses: %s", rnl_last_error());
    rnl_real r[2];
    CHECK(rnl_st_to_real(f, rnl_st_find(f, "n"), r) == RNL_ERR_DATA &&
              strstr(rnl_last_error(), "\"n\"") && strstr(rnl_last_error(), "element 1"),
          "F32 NaN: %s", rnl_last_error());
    CHECK(rnl_st_to_real(f, rnl_st_find(f, "i"), r) == RNL_ERR_DATA, "F64 inf");
    rnl_status st = rnl_st_to_real(f, rnl_st_find(f, "big"), r);
#ifdef RNL_DOUBLE
    CHECK(st == RNL_OK && r[0] == 1e300, "1e300 fits a double");
#else
    CHECK(st == RNL_ERR_DATA, "1e300 does not fit a float: status %d", st);
#endif
    rnl_st_free(f);
    free(b);
}

/* Single-byte corruptions of a valid file: never a crash, only OK or RNL_ERR_DATA. */
static void test_corruptions(void) {
    rnl_st_writer *w;
    rnl_st_writer_create(&w);
    float x[4] = {1, 2, 3, 4};
    int64_t s22[2] = {2, 2};
    rnl_st_add(w, "rnn.0.W", RNL_ST_F32, 2, s22, x);
    rnl_st_add(w, "out.b", RNL_ST_F32, 1, s22, x);
    rnl_st_add_meta(w, "cell", "tanh");
    unsigned char *bytes;
    size_t n;
    rnl_st_serialize(w, &bytes, &n);
    rnl_st_writer_free(w);
    static const unsigned char subs[] = {0x00, '"', '{', '}', '[', ']', ',', ':', '-', '9', 0xff,
                                         'e', '\\', ' '};
    int unexpected = 0, tried = 0;
    rnl_real scratch[4];
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < sizeof subs; k++) {
            unsigned char keep = bytes[i];
            bytes[i] = subs[k];
            rnl_st_file *f = NULL;
            rnl_status st = rnl_st_parse(bytes, n, "corrupt", &f);
            tried++;
            if (st == RNL_OK) {
                for (int t = 0; t < rnl_st_count(f); t++) {
                    const rnl_st_tensor *tt = rnl_st_get(f, t);
                    if (tt->numel <= 4 && (tt->dtype == RNL_ST_F32 || tt->dtype == RNL_ST_F64))
                        rnl_st_to_real(f, tt, scratch);
                    else if (tt->numel > 4)
                        unexpected++; /* the corrupted file cannot hold more than 4 values */
                }
            } else if (st != RNL_ERR_DATA) {
                unexpected++;
            }
            rnl_st_free(f);
            bytes[i] = keep;
        }
    }
    CHECK(tried > 1000 && unexpected == 0, "%d of %d corruptions gave an unexpected result",
          unexpected, tried);
    free(bytes);
}

/* ------------------------------------------------------------------------------------------
 * Checksum: CRC-32C itself, then the checksum entry of written files
 * ---------------------------------------------------------------------------------------- */

/* CRC-32C straight from its definition (checksum.h), one bit at a time: the register preset
 * to ones, each message bit (least significant first) shifted in against the reflected
 * polynomial 0x82F63B78, the result inverted. Slow and obviously right. */
static uint32_t crc32c_bitwise(uint32_t crc, const unsigned char *p, size_t n) {
    uint32_t r = ~crc;
    for (size_t i = 0; i < n; i++) {
        r ^= p[i];
        for (int k = 0; k < 8; k++) r = (r >> 1) ^ (r & 1u ? 0x82F63B78u : 0u);
    }
    return ~r;
}

/* A reproducible byte stream (xorshift64*). */
static void fill_bytes(unsigned char *p, size_t n, uint64_t seed) {
    uint64_t x = seed | 1;
    for (size_t i = 0; i < n; i++) {
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        p[i] = (unsigned char)((x * 0x2545F4914F6CDD1Dull) >> 56);
    }
}

static void test_crc32c(void) {
    /* The check value of the CRC catalogue and the four CRC-32C vectors of RFC 3720 B.4. */
    const unsigned char *digits = (const unsigned char *)"123456789";
    CHECK(rnl_crc32c_plain(0, digits, 9) == 0xE3069283u, "plain CRC-32C(123456789) = %08x",
          rnl_crc32c_plain(0, digits, 9));
    CHECK(rnl_crc32c(0, digits, 9) == 0xE3069283u, "%s CRC-32C(123456789) = %08x",
          rnl_crc32c_impl(), rnl_crc32c(0, digits, 9));
    CHECK(crc32c_bitwise(0, digits, 9) == 0xE3069283u, "bitwise CRC-32C(123456789)");
    unsigned char v[4][32];
    static const uint32_t want[4] = {0x8A9136AAu, 0x62A8AB43u, 0x46DD794Eu, 0x113FDB5Cu};
    for (int i = 0; i < 32; i++) {
        v[0][i] = 0;
        v[1][i] = 0xff;
        v[2][i] = (unsigned char)i;
        v[3][i] = (unsigned char)(31 - i);
    }
    for (int k = 0; k < 4; k++)
        CHECK(rnl_crc32c_plain(0, v[k], 32) == want[k] && rnl_crc32c(0, v[k], 32) == want[k],
              "RFC 3720 vector %d: plain %08x, %s %08x, want %08x", k,
              rnl_crc32c_plain(0, v[k], 32), rnl_crc32c_impl(), rnl_crc32c(0, v[k], 32),
              want[k]);
    CHECK(rnl_crc32c(0, NULL, 0) == 0 && rnl_crc32c_plain(0, NULL, 0) == 0, "empty message");

    /* Every entry of the table: each one-byte message, against the bitwise definition. */
    int bad = 0;
    for (int b = 0; b < 256; b++) {
        unsigned char c = (unsigned char)b;
        uint32_t ref = crc32c_bitwise(0, &c, 1);
        bad += rnl_crc32c_plain(0, &c, 1) != ref || rnl_crc32c(0, &c, 1) != ref;
    }
    CHECK(bad == 0, "%d one-byte messages differ from the bitwise CRC", bad);

    /* Plain and fast agree (and equal the bitwise CRC) on every length 0..600 at every
     * alignment 0..15, and on a few long buffers. */
    enum { BIG = (1 << 20) + 16 + 7 };
    unsigned char *buf = malloc(BIG);
    fill_bytes(buf, BIG, 42);
    bad = 0;
    int tried = 0;
    for (size_t align = 0; align < 16; align++)
        for (size_t len = 0; len <= 600; len++, tried++) {
            uint32_t ref = crc32c_bitwise(0, buf + align, len);
            bad += rnl_crc32c_plain(0, buf + align, len) != ref ||
                   rnl_crc32c(0, buf + align, len) != ref;
        }
    CHECK(tried == 16 * 601 && bad == 0, "%d of %d lengths/alignments differ", bad, tried);
    static const size_t big_lens[] = {4096, 65537, (1 << 20) + 7};
    for (size_t i = 0; i < sizeof big_lens / sizeof big_lens[0]; i++)
        for (size_t align = 0; align < 16; align += 5) {
            uint32_t ref = crc32c_bitwise(0, buf + align, big_lens[i]);
            CHECK(rnl_crc32c(0, buf + align, big_lens[i]) == ref &&
                      rnl_crc32c_plain(0, buf + align, big_lens[i]) == ref,
                  "length %zu at alignment %zu", big_lens[i], align);
        }
    /* Incremental: any split of a message gives the whole message's CRC. */
    uint32_t whole = rnl_crc32c(0, buf, 1000);
    bad = 0;
    for (size_t cut = 0; cut <= 1000; cut++) {
        bad += rnl_crc32c(rnl_crc32c(0, buf, cut), buf + cut, 1000 - cut) != whole;
        bad += rnl_crc32c_plain(rnl_crc32c_plain(0, buf, cut), buf + cut, 1000 - cut) != whole;
    }
    CHECK(bad == 0, "%d splits of a 1000-byte message differ from it whole", bad);
    free(buf);
}

/* The checksum entry of the file at b: its 8 hex digits (a pointer into b), or NULL. */
static unsigned char *find_sum(unsigned char *b, size_t n) {
    static const char key[] = "\"" RNL_ST_CHECKSUM_KEY "\":\"crc32c:";
    size_t k = sizeof key - 1;
    for (size_t i = 8; i + k + 8 <= n; i++)
        if (memcmp(b + i, key, k) == 0) return b + i + k;
    return NULL;
}

/* A copy of the file at b (n bytes) whose header has its first `from` replaced by `to`, the
 * header length adjusted and the data region kept; NULL if `from` is not in the header. */
static unsigned char *rewrite_header(const unsigned char *b, size_t n, const char *from,
                                     const char *to, size_t *out_n) {
    uint64_t hlen = 0;
    for (int i = 0; i < 8; i++) hlen |= (uint64_t)b[i] << (8 * i);
    size_t fl = strlen(from), tl = strlen(to), at = 0;
    int found = 0;
    for (size_t i = 8; !found && i + fl <= 8 + hlen; i++)
        if (memcmp(b + i, from, fl) == 0) {
            found = 1;
            at = i;
        }
    if (!found) return NULL;
    uint64_t nh = hlen - fl + tl;
    *out_n = n - fl + tl;
    unsigned char *o = malloc(*out_n);
    for (int i = 0; i < 8; i++) o[i] = (unsigned char)(nh >> (8 * i));
    memcpy(o + 8, b + 8, at - 8);
    memcpy(o + at, to, tl);
    memcpy(o + at + tl, b + at + fl, n - at - fl);
    return o;
}

/* The file of the checksum tests: tensors of every kind of field and metadata. */
static void checksum_file(unsigned char **bytes, size_t *n) {
    rnl_st_writer *w;
    rnl_st_writer_create(&w);
    float x[6] = {1, 2, 3, 4, 5, 6};
    unsigned char u[4] = {1, 2, 3, 4};
    int64_t s23[2] = {2, 3}, s4[1] = {4};
    CHECK(rnl_st_add(w, "rnn.0.W", RNL_ST_F32, 2, s23, x) == RNL_OK, "add W");
    CHECK(rnl_st_add(w, "a", RNL_ST_U8, 1, s4, u) == RNL_OK, "add a");
    /* b holds a's bytes: only their data_offsets tell them apart */
    CHECK(rnl_st_add(w, "b", RNL_ST_U8, 1, s4, u) == RNL_OK, "add b");
    CHECK(rnl_st_add_meta(w, "cell", "gru") == RNL_OK, "meta cell");
    CHECK(rnl_st_add_meta(w, "epoch", "12") == RNL_OK, "meta epoch");
    CHECK(rnl_st_serialize(w, bytes, n) == RNL_OK, "serialize: %s", rnl_last_error());
    rnl_st_writer_free(w);
}

/* The file must be refused by rnl_st_parse with a checksum mismatch naming `what`, and be
 * otherwise valid: rnl_st_parse_unverified accepts it and reports MISMATCH. */
static void expect_mismatch(const unsigned char *b, size_t n, const char *what) {
    rnl_st_file *f = NULL;
    rnl_status st = rnl_st_parse(b, n, what, &f);
    CHECK(st == RNL_ERR_DATA && f == NULL, "%s: status %d", what, (int)st);
    CHECK(strstr(rnl_last_error(), what) && strstr(rnl_last_error(), "checksum mismatch") &&
              strstr(rnl_last_error(), "expected crc32c:") && !strchr(rnl_last_error(), '\n'),
          "%s: message '%s'", what, rnl_last_error());
    st = rnl_st_parse_unverified(b, n, what, &f);
    uint32_t stored = 0, computed = 0;
    CHECK(st == RNL_OK && rnl_st_checksum(f, &stored, &computed) == RNL_ST_SUM_MISMATCH &&
              stored != computed,
          "%s: unverified parse: status %d (%s)", what, (int)st, rnl_last_error());
    rnl_st_free(f);
}

/* What the writer stores: the entry, last in __metadata__, hidden from the metadata
 * accessors, matching; the same input gives the same bytes. */
static void test_checksum_written(void) {
    unsigned char *b, *b2;
    size_t n, n2;
    checksum_file(&b, &n);
    checksum_file(&b2, &n2);
    CHECK(n == n2 && memcmp(b, b2, n) == 0, "the same input gives the same bytes");
    free(b2);
    unsigned char *hex = find_sum(b, n);
    CHECK(hex != NULL && hex[8] == '"' && hex[9] == '}', "checksum entry last in __metadata__");
    rnl_st_file *f;
    CHECK(rnl_st_parse(b, n, "sum", &f) == RNL_OK, "parse: %s", rnl_last_error());
    uint32_t stored = 1, computed = 2;
    CHECK(rnl_st_checksum(f, &stored, &computed) == RNL_ST_SUM_MATCH && stored == computed,
          "checksum matches: %08x %08x", stored, computed);
    char want[9];
    snprintf(want, sizeof want, "%08x", stored);
    CHECK(hex && memcmp(hex, want, 8) == 0, "stored value is the lowercase hex of the CRC");
    CHECK(rnl_st_meta(f, RNL_ST_CHECKSUM_KEY) == NULL && rnl_st_meta_count(f) == 2,
          "the checksum is not among the metadata (%d pairs)", rnl_st_meta_count(f));
    const char *k, *v;
    rnl_st_meta_get(f, 1, &k, &v);
    CHECK(k && !strcmp(k, "epoch") && !strcmp(v, "12"), "metadata kept in order");
    rnl_st_free(f);

    /* The message M of safetensors.h, built here by hand from the definition, and this
     * file's bitwise CRC give the stored value. */
    rnl_buf m = {0};
    unsigned char le[8];
#define U64(v)                                                                        \
    do {                                                                              \
        for (int i_ = 0; i_ < 8; i_++) le[i_] = (unsigned char)((uint64_t)(v) >> (8 * i_)); \
        rnl_buf_append(&m, le, 8);                                                    \
    } while (0)
#define STR(s)                  \
    do {                        \
        U64(strlen(s));         \
        rnl_buf_append(&m, s, strlen(s)); \
    } while (0)
    U64(3);
    STR("rnn.0.W"); STR("F32"); U64(2); U64(2); U64(3); U64(0); U64(24);
    STR("a"); STR("U8"); U64(1); U64(4); U64(24); U64(28);
    STR("b"); STR("U8"); U64(1); U64(4); U64(28); U64(32);
    U64(2);
    STR("cell"); STR("gru"); STR("epoch"); STR("12");
    U64(32);
    rnl_buf_append(&m, b + n - 32, 32);
#undef U64
#undef STR
    CHECK(!m.oom && crc32c_bitwise(0, (const unsigned char *)m.p, m.len) == stored,
          "CRC of the message built by hand: %08x, stored %08x",
          crc32c_bitwise(0, (const unsigned char *)m.p, m.len), stored);
    rnl_buf_free(&m);

    /* The writer keeps the key for itself. */
    rnl_st_writer *w;
    rnl_st_writer_create(&w);
    CHECK(rnl_st_add_meta(w, RNL_ST_CHECKSUM_KEY, "crc32c:00000000") == RNL_ERR_USAGE &&
              strstr(rnl_last_error(), "reserved"),
          "the checksum key is reserved: %s", rnl_last_error());
    rnl_st_writer_free(w);
    free(b);
}

/* Any changed byte of the data, and any change of a field that matters, is refused. */
static void test_checksum_changes(const char *dir) {
    unsigned char *b;
    size_t n;
    checksum_file(&b, &n);
    /* Every bit of every data byte, one at a time. */
    int bad = 0, tried = 0;
    for (size_t i = n - 32; i < n; i++)
        for (int bit = 0; bit < 8; bit++, tried++) {
            b[i] ^= (unsigned char)(1u << bit);
            rnl_st_file *f = NULL;
            rnl_status st = rnl_st_parse(b, n, "flip", &f);
            bad += st != RNL_ERR_DATA || !strstr(rnl_last_error(), "flip: checksum mismatch");
            rnl_st_free(f);
            b[i] ^= (unsigned char)(1u << bit);
        }
    CHECK(tried == 256 && bad == 0, "%d of %d flipped data bits were not refused", bad, tried);
    b[n - 1] ^= 0xff;
    expect_mismatch(b, n, "last-byte");
    b[n - 1] ^= 0xff;

    /* Through a file: the message names it. */
    char path[512];
    snprintf(path, sizeof path, "%s/flipped.safetensors", dir);
    b[n - 20] ^= 0x01;
    CHECK(rnl_write_file_atomic(path, b, n) == RNL_OK, "write flipped file");
    rnl_st_file *f = (rnl_st_file *)1;
    CHECK(rnl_st_read(path, &f) == RNL_ERR_DATA && f == NULL, "flipped file refused");
    char want[1200];
    snprintf(want, sizeof want, "%s: checksum mismatch (the file was changed or damaged after "
             "rnnlab wrote it): expected crc32c:", path);
    CHECK(strncmp(rnl_last_error(), want, strlen(want)) == 0, "message: '%s'", rnl_last_error());
    b[n - 20] ^= 0x01;
    CHECK(rnl_write_file_atomic(path, b, n) == RNL_OK && rnl_st_read(path, &f) == RNL_OK,
          "the untouched file reads: %s", rnl_last_error());
    rnl_st_free(f);
    unlink(path);

    /* Header fields, each changed so that the file stays valid safetensors. */
    static const struct {
        const char *what, *from, *to;
    } k_changes[] = {
        {"meta-value", "\"gru\"", "\"grv\""},
        {"meta-value-longer", "\"12\"", "\"120\""},
        {"meta-key", "\"cell\"", "\"celm\""},
        {"meta-added", "\"cell\":", "\"x\":\"y\",\"cell\":"},
        {"meta-removed", "\"epoch\":\"12\",", ""},
        {"meta-reordered", "\"cell\":\"gru\",\"epoch\":\"12\"", "\"epoch\":\"12\",\"cell\":\"gru\""},
        {"name", "\"rnn.0.W\"", "\"rnn.1.W\""},
        {"shape", "[2,3]", "[3,2]"},
        {"shape-rank", "[2,3]", "[6]"},
        {"dtype", "\"F32\"", "\"I32\""},
        {"offsets", "\"data_offsets\":[24,28]", "\"data_offsets\":[28,32]"},
        {"tensor-removed", ",\"b\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[28,32]}", ""},
    };
    for (size_t i = 0; i < sizeof k_changes / sizeof k_changes[0]; i++) {
        size_t m;
        unsigned char *c = b;
        /* the offsets of a and b swap: two steps through a placeholder */
        if (!strcmp(k_changes[i].what, "offsets")) {
            unsigned char *c1 = rewrite_header(b, n, "[28,32]", "[XX,YY]", &m);
            unsigned char *c2 = c1 ? rewrite_header(c1, m, "[24,28]", "[28,32]", &m) : NULL;
            c = c2 ? rewrite_header(c2, m, "[XX,YY]", "[24,28]", &m) : NULL;
            free(c1);
            free(c2);
        } else {
            c = rewrite_header(b, n, k_changes[i].from, k_changes[i].to, &m);
        }
        CHECK(c != NULL, "%s: pattern not in the header", k_changes[i].what);
        if (c) expect_mismatch(c, m, k_changes[i].what);
        free(c);
    }
    free(b);
}

/* A file without the entry is accepted unchecked; a malformed entry is refused. */
static void test_checksum_absent_malformed(void) {
    unsigned char *b;
    size_t n;
    checksum_file(&b, &n);
    unsigned char *hex = find_sum(b, n);
    CHECK(hex != NULL, "entry found");
    if (!hex) {
        free(b);
        return;
    }
    char entry[64];
    snprintf(entry, sizeof entry, ",\"" RNL_ST_CHECKSUM_KEY "\":\"crc32c:%.8s\"", (char *)hex);

    /* Removed (as a file written by Python's safetensors has none), even with changed data. */
    size_t m;
    unsigned char *c = rewrite_header(b, n, entry, "", &m);
    CHECK(c != NULL, "entry removed");
    if (c) {
        c[m - 1] ^= 0xff;
        rnl_st_file *f;
        CHECK(rnl_st_parse(c, m, "nosum", &f) == RNL_OK, "no checksum: accepted: %s",
              rnl_last_error());
        CHECK(f && rnl_st_checksum(f, NULL, NULL) == RNL_ST_SUM_ABSENT &&
                  rnl_st_meta_count(f) == 2 && rnl_st_count(f) == 3,
              "no checksum: ABSENT, the rest intact");
        rnl_st_free(f);
    }
    free(c);

    /* Malformed values: each refused, naming the file and the key, even by the unverified
     * parse. */
    static const char *const k_bad[] = {
        "",           "crc32c:",          "crc32c:1234567",   "crc32c:123456789",
        "crc32c:ABCDEF01", "crc32c:1234567g", "crc32:12345678", "CRC32C:12345678",
        "sha256:12345678", " crc32c:12345678", "crc32c:12345678 ", "crc32c:-1234567",
        "crc32c:0x123456",
    };
    char from[64];
    snprintf(from, sizeof from, "\"crc32c:%.8s\"", (char *)hex);
    for (size_t i = 0; i < sizeof k_bad / sizeof k_bad[0]; i++) {
        char to[64];
        snprintf(to, sizeof to, "\"%s\"", k_bad[i]);
        c = rewrite_header(b, n, from, to, &m);
        rnl_st_file *f = NULL;
        rnl_status st = c ? rnl_st_parse(c, m, "badsum", &f) : RNL_OK;
        CHECK(st == RNL_ERR_DATA && strstr(rnl_last_error(), "badsum: metadata \"" RNL_ST_CHECKSUM_KEY "\""),
              "'%s': status %d, '%s'", k_bad[i], (int)st, rnl_last_error());
        st = c ? rnl_st_parse_unverified(c, m, "badsum", &f) : RNL_OK;
        CHECK(st == RNL_ERR_DATA && f == NULL, "'%s': unverified parse also refuses", k_bad[i]);
        free(c);
    }
    c = rewrite_header(b, n, from, "7", &m);
    CHECK(c && parse_status(c, m, "numsum") == RNL_ERR_DATA &&
              strstr(rnl_last_error(), "not a string"),
          "a number as the checksum: %s", rnl_last_error());
    free(c);
    free(b);
}

/* ------------------------------------------------------------------------------------------
 * Writer errors
 * ---------------------------------------------------------------------------------------- */

static void test_writer_errors(const char *dir) {
    rnl_st_writer *w;
    rnl_st_writer_create(&w);
    float x[2] = {1, 2};
    int64_t s2[1] = {2}, neg[1] = {-1}, s5[5] = {1, 1, 1, 1, 1};
    char longname[200];
    memset(longname, 'a', 128);
    longname[128] = '\0';
    CHECK(rnl_st_add(w, "x", RNL_ST_F32, 1, s2, x) == RNL_OK, "first add");
    CHECK(rnl_st_add(w, "x", RNL_ST_F32, 1, s2, x) == RNL_ERR_USAGE, "duplicate name");
    CHECK(rnl_st_add(w, "__metadata__", RNL_ST_F32, 1, s2, x) == RNL_ERR_USAGE, "reserved name");
    CHECK(rnl_st_add(w, "", RNL_ST_F32, 1, s2, x) == RNL_ERR_USAGE, "empty name");
    CHECK(rnl_st_add(w, longname, RNL_ST_F32, 1, s2, x) == RNL_ERR_USAGE, "128-byte name");
    CHECK(rnl_st_add(w, "bad\xff", RNL_ST_F32, 1, s2, x) == RNL_ERR_USAGE, "invalid UTF-8 name");
    CHECK(rnl_st_add(w, "n", RNL_ST_F32, 1, neg, x) == RNL_ERR_USAGE, "negative dimension");
    CHECK(rnl_st_add(w, "d", RNL_ST_F32, 5, s5, x) == RNL_ERR_USAGE, "5 dimensions");
    CHECK(rnl_st_add(w, "t", (rnl_st_dtype)99, 1, s2, x) == RNL_ERR_USAGE, "unknown dtype");
    CHECK(rnl_st_add_meta(w, "k", "v") == RNL_OK, "meta");
    CHECK(rnl_st_add_meta(w, "k", "w") == RNL_ERR_USAGE, "duplicate meta key");
    CHECK(rnl_st_add_meta(w, "k2", "\xc0\xaf") == RNL_ERR_USAGE, "invalid UTF-8 meta value");
    rnl_real bad[2] = {1, (rnl_real)NAN};
    CHECK(rnl_st_add_real(w, "nan", 1, s2, bad) == RNL_ERR_NUMERIC &&
              strstr(rnl_last_error(), "\"nan\""),
          "non-finite real refused: %s", rnl_last_error());
    /* Failed adds left nothing behind: the file has x only. */
    unsigned char *bytes;
    size_t n;
    rnl_st_file *f;
    CHECK(rnl_st_serialize(w, &bytes, &n) == RNL_OK && rnl_st_parse(bytes, n, "w", &f) == RNL_OK &&
              rnl_st_count(f) == 1 && rnl_st_meta_count(f) == 1,
          "only valid adds kept");
    rnl_st_free(f);
    free(bytes);

    char path[512];
    snprintf(path, sizeof path, "%s/missing/x.safetensors", dir);
    CHECK(rnl_st_write(w, path) == RNL_ERR_IO, "write into a missing directory");
    rnl_st_writer_free(w);
}

int main(void) {
    char dir[] = "/tmp/rnl_test_st_XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    test_round_trip(dir);
    test_header_bytes();
    test_hand_built_write();
    test_hand_built_read();
    test_bad_prefixes();
    test_bad_headers();
    test_edge_valid();
    test_to_real_errors();
    test_corruptions();
    test_crc32c();
    test_checksum_written();
    test_checksum_changes(dir);
    test_checksum_absent_malformed();
    test_writer_errors(dir);
    CHECK(rmdir(dir) == 0, "test directory left empty");
    return CHECK_DONE("test_safetensors");
}
