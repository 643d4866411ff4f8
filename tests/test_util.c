/* test_util.c — checked number parsing, JSON output helpers, atomic writes, file and path
 * helpers (util.c) and the strict JSON reader (json.c). */
#include <dirent.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "io/json.h"
#include "rnnlab.h"
#include "io/util.h"

/* ------------------------------------------------------------------------------------------
 * Helpers
 * ---------------------------------------------------------------------------------------- */

/* Entries of dir whose name contains needle. */
static int count_entries(const char *dir, const char *needle) {
    DIR *d = opendir(dir);
    if (!d) return -1;
    int k = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strstr(e->d_name, needle)) k++;
    closedir(d);
    return k;
}

/* The whole content of path equals the n bytes of want. */
static int file_equals(const char *path, const void *want, size_t n) {
    unsigned char *data;
    size_t len;
    if (rnl_read_file(path, &data, &len) != RNL_OK) return 0;
    int same = len == n && memcmp(data, want, n) == 0;
    free(data);
    return same;
}

/* Parse a NUL-terminated document; returns the status and frees the tree. */
static rnl_status json_status(const char *text) {
    rnl_json_doc *d;
    rnl_status st = rnl_json_parse(text, strlen(text), "t", &d);
    rnl_json_free(d);
    return st;
}

/* ------------------------------------------------------------------------------------------
 * Number parsing
 * ---------------------------------------------------------------------------------------- */

static void test_parse_long(void) {
    long v = -1;
    CHECK(rnl_parse_long("42", 0, 100, "--n", &v) == RNL_OK && v == 42, "42 -> %ld", v);
    CHECK(rnl_parse_long("-7", -10, 10, "--n", &v) == RNL_OK && v == -7, "-7 -> %ld", v);
    CHECK(rnl_parse_long("0", 0, 0, "--n", &v) == RNL_OK && v == 0, "0 in [0,0]");
    CHECK(rnl_parse_long("10", 1, 10, "--n", &v) == RNL_OK && v == 10, "upper bound inclusive");

    static const char *const bad[] = {"", "abc", "12abc", " 12", "12 ", "1.5", "0x10", "--3",
                                      "99999999999999999999", "-99999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        v = 1234;
        rnl_status st = rnl_parse_long(bad[i], LONG_MIN, LONG_MAX, "--n", &v);
        CHECK(st == RNL_ERR_USAGE, "parse_long('%s') status %d", bad[i], st);
        CHECK(v == 1234, "parse_long('%s') wrote the output on failure", bad[i]);
    }
    CHECK(rnl_parse_long(NULL, 0, 1, "--n", &v) == RNL_ERR_USAGE, "NULL rejected");
    CHECK(rnl_parse_long("11", 1, 10, "--layers", &v) == RNL_ERR_USAGE, "above range");
    CHECK(strcmp(rnl_last_error(), "--layers: expected an integer in [1, 10], got '11'") == 0,
          "message: %s", rnl_last_error());
    CHECK(rnl_parse_long("0", 1, 10, "--layers", &v) == RNL_ERR_USAGE, "below range");
}

static void test_parse_double(void) {
    double v = -1;
    CHECK(rnl_parse_double("1e-3", 0, 1, "--lr", &v) == RNL_OK && v == 1e-3, "1e-3 -> %g", v);
    CHECK(rnl_parse_double("-2.5", -3, 3, "--x", &v) == RNL_OK && v == -2.5, "-2.5 -> %g", v);
    CHECK(rnl_parse_double("10", 1e-12, 10, "--lr", &v) == RNL_OK && v == 10, "bound inclusive");
    /* Underflow is a valid tiny number, not an error. */
    CHECK(rnl_parse_double("1e-400", -1, 1, "--x", &v) == RNL_OK && fabs(v) < 1e-300,
          "underflow accepted as ~0: %g", v);

    static const char *const bad[] = {"", "abc", "1.5x", " 1", "1 ", "nan", "NaN", "-nan", "inf",
                                      "-inf", "1e999", "-1e999", "1e", ".", "e5"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        v = 1234;
        rnl_status st = rnl_parse_double(bad[i], -1e308, 1e308, "--x", &v);
        CHECK(st == RNL_ERR_USAGE, "parse_double('%s') status %d", bad[i], st);
        CHECK(v == 1234, "parse_double('%s') wrote the output on failure", bad[i]);
    }
    CHECK(rnl_parse_double("abc", 1e-12, 10, "--lr", &v) == RNL_ERR_USAGE, "abc");
    CHECK(strcmp(rnl_last_error(), "--lr: expected a number in [1e-12, 10], got 'abc'") == 0,
          "message: %s", rnl_last_error());
    CHECK(rnl_parse_double("20", 1e-12, 10, "--lr", &v) == RNL_ERR_USAGE, "above range");
    CHECK(strstr(rnl_last_error(), "--lr") && strstr(rnl_last_error(), "'20'"), "message: %s",
          rnl_last_error());
    CHECK(rnl_parse_double("0", 1e-12, 10, "--lr", &v) == RNL_ERR_USAGE, "below range");
    CHECK(rnl_parse_double("inf", 0, INFINITY, "--x", &v) == RNL_OK && isinf(v),
          "inf accepted when the range includes it");
}

/* ------------------------------------------------------------------------------------------
 * Buffers and JSON output
 * ---------------------------------------------------------------------------------------- */

static void test_buf(void) {
    rnl_buf b = {0};
    rnl_buf_append(&b, "ab", 2);
    rnl_buf_printf(&b, "%d-%s", 12, "x");
    CHECK(b.p && strcmp(b.p, "ab12-x") == 0 && b.len == 6, "buf: %s", b.p ? b.p : "(null)");
    for (int i = 0; i < 1000; i++) rnl_buf_printf(&b, "%04d", i);
    CHECK(b.len == 6 + 4000 && !b.oom, "buf grows: len %zu", b.len);
    CHECK(strncmp(b.p + 6 + 4 * 999, "0999", 4) == 0 && b.p[b.len] == '\0', "buf tail");
    rnl_buf_free(&b);
    CHECK(b.p == NULL && b.len == 0, "buf_free resets");

    rnl_buf_json_string(&b, "q\"b\\n\nt\tc\x01 \xc3\xa9");
    CHECK(b.p && strcmp(b.p, "\"q\\\"b\\\\n\\nt\\tc\\u0001 \xc3\xa9\"") == 0, "json string: %s",
          b.p ? b.p : "(null)");
    /* What the writer escapes, the reader reads back to the same bytes. */
    rnl_json_doc *d;
    CHECK(rnl_json_parse(b.p, b.len, "t", &d) == RNL_OK &&
              strcmp(rnl_json_string(rnl_json_root(d)), "q\"b\\n\nt\tc\x01 \xc3\xa9") == 0,
          "json string round trip");
    rnl_json_free(d);
    rnl_buf_free(&b);
}

/* The JSON text of v, in a static buffer. */
static const char *json_number_text(double v) {
    static char out[64];
    rnl_buf b = {0};
    rnl_buf_json_number(&b, v);
    snprintf(out, sizeof out, "%s", b.p ? b.p : "");
    rnl_buf_free(&b);
    return out;
}

static void test_json_number(void) {
    static const struct {
        double v;
        const char *text;
    } cases[] = {{0, "0"},       {3, "3"},        {-42, "-42"}, {0.5, "0.5"},
                 {0.1, "0.1"},   {-2.25, "-2.25"}, {1e6, "1000000"},
                 {9007199254740992.0, "9007199254740992"},     {1e-7, "1e-07"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        CHECK(strcmp(json_number_text(cases[i].v), cases[i].text) == 0, "%.17g -> %s (want %s)",
              cases[i].v, json_number_text(cases[i].v), cases[i].text);
    CHECK(strcmp(json_number_text(NAN), "null") == 0, "NaN -> null");
    CHECK(strcmp(json_number_text(INFINITY), "null") == 0, "inf -> null");
    CHECK(strcmp(json_number_text(-INFINITY), "null") == 0, "-inf -> null");

    /* Round trip of many doubles spread over the whole range, through the JSON reader. */
    uint64_t s = 0x9E3779B97F4A7C15u;
    int bad = 0, tried = 0;
    for (int i = 0; i < 5000; i++) {
        s ^= s << 13, s ^= s >> 7, s ^= s << 17;
        double v;
        memcpy(&v, &s, sizeof v);
        if (!isfinite(v)) continue;
        tried++;
        const char *t = json_number_text(v);
        rnl_json_doc *d;
        double back = NAN;
        if (rnl_json_parse(t, strlen(t), "t", &d) != RNL_OK ||
            !rnl_json_number(rnl_json_root(d), &back) || back != v ||
            signbit(back) != signbit(v)) {
            if (bad++ < 5) fprintf(stderr, "round trip %.17g -> %s -> %.17g\n", v, t, back);
        }
        rnl_json_free(d);
    }
    CHECK(tried > 4000 && bad == 0, "json numbers round trip: %d of %d failed", bad, tried);
}

/* ------------------------------------------------------------------------------------------
 * Files, directories, paths
 * ---------------------------------------------------------------------------------------- */

static void test_atomic_write(const char *dir) {
    char path[512], missing[512];
    snprintf(path, sizeof path, "%s/out.bin", dir);
    snprintf(missing, sizeof missing, "%s/no/such/dir/out.bin", dir);

    const char first[] = "first version, rather long";
    CHECK(rnl_write_file_atomic(path, first, sizeof first) == RNL_OK, "write: %s",
          rnl_last_error());
    CHECK(file_equals(path, first, sizeof first), "content after the first write");
    /* A shorter file replaces the old one whole (no tail of the old content). */
    CHECK(rnl_write_file_atomic(path, "2nd", 3) == RNL_OK, "rewrite: %s", rnl_last_error());
    CHECK(file_equals(path, "2nd", 3), "content replaced whole");
    CHECK(rnl_write_file_atomic(path, "", 0) == RNL_OK && file_equals(path, "", 0),
          "empty file");
    CHECK(count_entries(dir, ".tmp.") == 0, "no temporary left after success");

    rnl_status st = rnl_write_file_atomic(missing, "x", 1);
    CHECK(st == RNL_ERR_IO, "write into a missing directory: status %d", st);
    CHECK(strstr(rnl_last_error(), missing) && strstr(rnl_last_error(), "No such file"),
          "message names path and error: %s", rnl_last_error());
    CHECK(count_entries(dir, ".tmp.") == 0, "no temporary left after failure");

    /* rename() onto a directory fails after the temporary was written: it must go away. */
    char sub[512];
    snprintf(sub, sizeof sub, "%s/adir", dir);
    CHECK(mkdir(sub, 0755) == 0, "mkdir %s", sub);
    st = rnl_write_file_atomic(sub, "data", 4);
    CHECK(st == RNL_ERR_IO, "write over a directory: status %d", st);
    CHECK(count_entries(dir, ".tmp.") == 0, "no temporary left after a failed rename");
    rmdir(sub);

    /* A read-only directory: EACCES, old file untouched. Root ignores permissions. */
    if (geteuid() != 0) {
        CHECK(rnl_write_file_atomic(path, "keep", 4) == RNL_OK, "write before chmod");
        chmod(dir, 0555);
        st = rnl_write_file_atomic(path, "lost", 4);
        chmod(dir, 0755);
        CHECK(st == RNL_ERR_IO && strstr(rnl_last_error(), "Permission denied"),
              "read-only directory: status %d, %s", st, rnl_last_error());
        CHECK(file_equals(path, "keep", 4), "old file kept after a failed write");
    }
    unlink(path);
}

static void test_files(const char *dir) {
    char path[512], deep[512];
    unsigned char *data = NULL;
    size_t n = 99;
    snprintf(path, sizeof path, "%s/missing.txt", dir);
    CHECK(rnl_read_file(path, &data, &n) == RNL_ERR_IO && data == NULL, "read missing file");
    CHECK(strstr(rnl_last_error(), path) != NULL, "message names the file: %s",
          rnl_last_error());
    CHECK(!rnl_file_exists(path), "file_exists on a missing file");
    CHECK(rnl_read_file(dir, &data, &n) == RNL_ERR_IO, "read a directory");

    snprintf(path, sizeof path, "%s/empty.txt", dir);
    CHECK(rnl_write_file_atomic(path, "", 0) == RNL_OK, "write empty");
    CHECK(rnl_read_file(path, &data, &n) == RNL_OK && n == 0 && data && data[0] == '\0',
          "read empty file");
    free(data);
    CHECK(rnl_file_exists(path), "file_exists");
    unlink(path);

    /* A file larger than one read() and larger than the initial guess. */
    size_t big = 3 * 1000 * 1000 + 7;
    unsigned char *src = malloc(big);
    for (size_t i = 0; i < big; i++) src[i] = (unsigned char)(i * 31 + 7);
    snprintf(path, sizeof path, "%s/big.bin", dir);
    CHECK(rnl_write_file_atomic(path, src, big) == RNL_OK, "write big");
    CHECK(rnl_read_file(path, &data, &n) == RNL_OK && n == big && memcmp(data, src, big) == 0 &&
              data[n] == '\0',
          "read big file back: %zu bytes", n);
    free(data);
    free(src);
    unlink(path);

    snprintf(deep, sizeof deep, "%s/a/b//c/", dir);
    CHECK(rnl_mkdir_p(deep) == RNL_OK, "mkdir -p: %s", rnl_last_error());
    CHECK(rnl_mkdir_p(deep) == RNL_OK, "mkdir -p again");
    snprintf(path, sizeof path, "%s/a/b/c", dir);
    struct stat sb;
    CHECK(stat(path, &sb) == 0 && S_ISDIR(sb.st_mode), "directory made");
    snprintf(path, sizeof path, "%s/a/file", dir);
    CHECK(rnl_write_file_atomic(path, "x", 1) == RNL_OK, "file for mkdir");
    snprintf(deep, sizeof deep, "%s/a/file/sub", dir);
    CHECK(rnl_mkdir_p(deep) == RNL_ERR_IO, "mkdir -p through a file fails");
    CHECK(rnl_mkdir_p(path) == RNL_ERR_IO, "mkdir -p of an existing file fails");
    unlink(path);
    snprintf(path, sizeof path, "%s/a/b/c", dir);
    rmdir(path);
    snprintf(path, sizeof path, "%s/a/b", dir);
    rmdir(path);
    snprintf(path, sizeof path, "%s/a", dir);
    rmdir(path);

    char out[16];
    CHECK(rnl_path_join(out, sizeof out, "dir", "f.txt") == RNL_OK && !strcmp(out, "dir/f.txt"),
          "join: %s", out);
    CHECK(rnl_path_join(out, sizeof out, "dir/", "f") == RNL_OK && !strcmp(out, "dir/f"),
          "join with slash: %s", out);
    CHECK(rnl_path_join(out, sizeof out, "", "f") == RNL_OK && !strcmp(out, "f"), "join empty");
    CHECK(rnl_path_join(out, sizeof out, "a-long-directory", "name") == RNL_ERR_USAGE,
          "join too long");
    CHECK(rnl_path_join(out, 10, "dir", "f.txt") == RNL_OK, "exactly fits (9 chars + NUL)");
    CHECK(rnl_path_join(out, 9, "dir", "f.txt") == RNL_ERR_USAGE, "one byte short");

    double t0 = rnl_now(), t1 = rnl_now();
    CHECK(t0 > 0 && t1 >= t0, "monotonic clock: %g then %g", t0, t1);
}

/* ------------------------------------------------------------------------------------------
 * JSON reader
 * ---------------------------------------------------------------------------------------- */

static void test_json_valid(void) {
    const char *text = " {\"b\": [true, false, null, -0, 1.5e3, 1E-2, 12],\n"
                       "  \"a\": {\"s\": \"x\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\"},"
                       "  \"e\": [], \"o\": {}, \"u\": \"\xe2\x82\xac\"} \n";
    rnl_json_doc *d;
    rnl_status st = rnl_json_parse(text, strlen(text), "doc", &d);
    CHECK(st == RNL_OK, "valid document: %s", rnl_last_error());
    if (st != RNL_OK) return;
    const rnl_json *r = rnl_json_root(d);
    CHECK(rnl_json_type_of(r) == RNL_JSON_OBJECT && rnl_json_len(r) == 5, "root object of 5");
    CHECK(!strcmp(rnl_json_key_at(r, 0), "b") && !strcmp(rnl_json_key_at(r, 1), "a") &&
              !strcmp(rnl_json_key_at(r, 4), "u"),
          "key order kept");
    const rnl_json *b = rnl_json_get(r, "b");
    CHECK(rnl_json_type_of(b) == RNL_JSON_ARRAY && rnl_json_len(b) == 7, "array of 7");
    int flag = -1;
    CHECK(rnl_json_bool(rnl_json_at(b, 0), &flag) && flag == 1, "true");
    CHECK(rnl_json_bool(rnl_json_at(b, 1), &flag) && flag == 0, "false");
    CHECK(rnl_json_type_of(rnl_json_at(b, 2)) == RNL_JSON_NULL && rnl_json_at(b, 2), "null");
    double x = 1;
    CHECK(rnl_json_number(rnl_json_at(b, 3), &x) && x == 0 && signbit(x), "-0");
    CHECK(rnl_json_number(rnl_json_at(b, 4), &x) && x == 1500, "1.5e3");
    CHECK(rnl_json_number(rnl_json_at(b, 5), &x) && x == 0.01, "1E-2");
    int64_t iv = 0;
    CHECK(rnl_json_integer(rnl_json_at(b, 6), &iv) && iv == 12, "integer 12");
    CHECK(!rnl_json_integer(rnl_json_at(b, 4 + 1), &iv), "0.01 is not an integer");
    CHECK(rnl_json_at(b, 7) == NULL, "index past the end");
    const char *s = rnl_json_string(rnl_json_get(rnl_json_get(r, "a"), "s"));
    const char *want = "x\"\\/\b\f\n\r\t\xc3\xa9\xf0\x9f\x98\x80";
    CHECK(s && !strcmp(s, want), "escapes decoded: %s", s ? s : "(null)");
    CHECK(rnl_json_len(rnl_json_get(rnl_json_get(r, "a"), "s")) == strlen(want), "string len");
    CHECK(!strcmp(rnl_json_string(rnl_json_get(r, "u")), "\xe2\x82\xac"), "raw UTF-8 kept");
    CHECK(rnl_json_len(rnl_json_get(r, "e")) == 0 && rnl_json_len(rnl_json_get(r, "o")) == 0 &&
              rnl_json_type_of(rnl_json_get(r, "o")) == RNL_JSON_OBJECT,
          "empty containers");
    CHECK(rnl_json_get(r, "missing") == NULL && rnl_json_get(b, "x") == NULL &&
              rnl_json_get(NULL, "x") == NULL && rnl_json_string(b) == NULL &&
              !rnl_json_number(NULL, &x) && rnl_json_key_at(b, 0) == NULL,
          "absent and wrong-type lookups answer NULL/0");
    rnl_json_free(d);

    static const char *const scalars[] = {"0", "-1", "\"\"", "true", "null", "[]", "{}",
                                          " [ 1 , [ 2 ] ] ", "1.7976931348623157e308", "5e-324",
                                          "123456789012345678901234567890"};
    for (size_t i = 0; i < sizeof scalars / sizeof scalars[0]; i++)
        CHECK(json_status(scalars[i]) == RNL_OK, "valid '%s': %s", scalars[i], rnl_last_error());

    CHECK(rnl_json_parse("[2e53]", 6, "t", &d) == RNL_OK, "2e53 parses");
    CHECK(!rnl_json_integer(rnl_json_at(rnl_json_root(d), 0), &iv), "2e53 is beyond 2^53");
    rnl_json_free(d);
}

static void test_json_invalid(void) {
    static const char *const bad[] = {
        "", " ", "{", "}", "[", "]", "[1,]", "[,1]", "{\"a\":1,}", "{a:1}", "{\"a\" 1}",
        "{\"a\":}", "{1:2}", "'x'", "01", "-01", "1.", ".5", "+1", "-", "1e", "1e+", "0x10",
        "NaN", "Infinity", "-Infinity", "[1 2]", "\"abc", "\"\\x\"", "\"\\u12\"", "\"\\u12g4\"",
        "\"\\ud800\"", "\"\\udc00\"", "\"\\ud800\\u0041\"", "\"\\ud800x\"", "\"\\u0000\"",
        "\"a\x01b\"", "\"a\tb\"", "\"\xff\"", "\"\xc0\xaf\"", "\"\xed\xa0\x80\"",
        "\"\xf4\x90\x80\x80\"", "\"\xe0\x80\xaf\"", "\"\xf0\x80\x80\xaf\"", "\"\xe2\x82\"",
        "\"\x80\"", "1e999", "-1e999", "{\"a\":1,\"a\":2}",
        "{\"b\":1,\"a\":2,\"b\":3}", "[1] x", "1 2", "tru", "nul", "falsey", "\xef\xbb\xbf{}",
        "/*c*/1", "[1]//", "{\"a\":[}", "[\"a\":1]", "\"\\\"",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        rnl_status st = json_status(bad[i]);
        CHECK(st == RNL_ERR_DATA, "invalid JSON #%zu accepted (status %d)", i, st);
        CHECK(strstr(rnl_last_error(), "t: invalid JSON at line") != NULL,
              "invalid #%zu message: %s", i, rnl_last_error());
    }
    /* A NUL byte inside the given length is not whitespace. */
    rnl_json_doc *d;
    CHECK(rnl_json_parse("[1]\0", 4, "t", &d) == RNL_ERR_DATA, "NUL after the document");
    /* The reader stops at n even where the text goes on. */
    CHECK(rnl_json_parse("[1,2]", 3, "t", &d) == RNL_ERR_DATA, "cut at n");
    char *exact = malloc(5);
    memcpy(exact, "[1,2", 4);
    CHECK(rnl_json_parse(exact, 4, "t", &d) == RNL_ERR_DATA, "unterminated, no NUL after");
    memcpy(exact, "\"ab\\", 4);
    CHECK(rnl_json_parse(exact, 4, "t", &d) == RNL_ERR_DATA, "string ends in a backslash");
    free(exact);

    const char *pos = "{\n  \"a\": x}";
    CHECK(rnl_json_parse(pos, strlen(pos), "cfg.json", &d) == RNL_ERR_DATA, "bad value");
    CHECK(strstr(rnl_last_error(), "cfg.json: invalid JSON at line 2, column 8 (byte 9)") != NULL,
          "position in message: %s", rnl_last_error());
    CHECK(strstr(rnl_last_error(), "'x'") != NULL, "message shows the byte: %s",
          rnl_last_error());
}

static void test_json_depth(void) {
    char buf[2 * (RNL_JSON_MAX_DEPTH + 2) + 8];
    for (int depth = RNL_JSON_MAX_DEPTH; depth <= RNL_JSON_MAX_DEPTH + 1; depth++) {
        int k = 0;
        for (int i = 0; i < depth; i++) buf[k++] = '[';
        for (int i = 0; i < depth; i++) buf[k++] = ']';
        buf[k] = '\0';
        rnl_status st = json_status(buf);
        if (depth <= RNL_JSON_MAX_DEPTH)
            CHECK(st == RNL_OK, "depth %d accepted: %s", depth, rnl_last_error());
        else
            CHECK(st == RNL_ERR_DATA && strstr(rnl_last_error(), "nesting"),
                  "depth %d rejected: %s", depth, rnl_last_error());
    }
    /* Objects count as levels too; a very deep document must not exhaust the C stack. */
    size_t n = 200000;
    char *deep = malloc(n + 1);
    for (size_t i = 0; i < n; i++) deep[i] = i % 2 ? '[' : '{';
    deep[n] = '\0';
    CHECK(json_status(deep) == RNL_ERR_DATA, "200000 open brackets rejected");
    for (size_t i = 0; i < n; i++) deep[i] = '[';
    CHECK(json_status(deep) == RNL_ERR_DATA, "200000 '[' rejected");
    free(deep);
}

static void test_json_large(void) {
    /* An array of 100000 numbers and an object of 5000 keys: contiguous items, unique keys. */
    rnl_buf b = {0};
    rnl_buf_append(&b, "[", 1);
    for (int i = 0; i < 100000; i++) rnl_buf_printf(&b, "%s%d", i ? "," : "", i);
    rnl_buf_append(&b, "]", 1);
    rnl_json_doc *d;
    CHECK(rnl_json_parse(b.p, b.len, "t", &d) == RNL_OK, "big array: %s", rnl_last_error());
    const rnl_json *r = rnl_json_root(d);
    int64_t v = -1;
    CHECK(rnl_json_len(r) == 100000 && rnl_json_integer(rnl_json_at(r, 99999), &v) && v == 99999,
          "last item %lld", (long long)v);
    rnl_json_free(d);
    rnl_buf_free(&b);

    rnl_buf_append(&b, "{", 1);
    for (int i = 0; i < 5000; i++) rnl_buf_printf(&b, "%s\"k%d\":%d", i ? "," : "", i, i);
    rnl_buf_append(&b, "}", 1);
    CHECK(rnl_json_parse(b.p, b.len, "t", &d) == RNL_OK, "big object: %s", rnl_last_error());
    CHECK(rnl_json_integer(rnl_json_get(rnl_json_root(d), "k4321"), &v) && v == 4321,
          "lookup k4321");
    rnl_json_free(d);
    b.len -= 1;
    rnl_buf_append(&b, ",\"k17\":0}", 9);
    CHECK(rnl_json_parse(b.p, b.len, "t", &d) == RNL_ERR_DATA &&
              strstr(rnl_last_error(), "duplicate key \"k17\""),
          "duplicate among 5001 keys: %s", rnl_last_error());
    rnl_buf_free(&b);

    CHECK(rnl_json_valid_utf8("a\xc3\xa9\xf0\x9f\x98\x80", 7), "valid UTF-8");
    CHECK(!rnl_json_valid_utf8("a\xc3", 2), "truncated UTF-8");
    CHECK(!rnl_json_valid_utf8("\xed\xa0\x80", 3), "UTF-8 surrogate");
}

int main(void) {
    char dir[] = "/tmp/rnl_test_util_XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    test_parse_long();
    test_parse_double();
    test_buf();
    test_json_number();
    test_atomic_write(dir);
    test_files(dir);
    test_json_valid();
    test_json_invalid();
    test_json_depth();
    test_json_large();
    CHECK(rmdir(dir) == 0, "test directory left empty");
    return CHECK_DONE("test_util");
}
