/* test_st_meta.c — the typed metadata getters of safetensors.h (rnl_st_meta_long, _double,
 * _double_nonfinite, _u64): values in range read back, and every missing, malformed or
 * out-of-range value is RNL_ERR_DATA naming the file and the key, with *out untouched. */
#include <math.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "io/safetensors.h"

/* A file with only metadata, parsed from memory under the name "meta.st". */
static rnl_st_file *file_with(const char *const *kv, int n) {
    rnl_st_writer *w = NULL;
    rnl_st_file *f = NULL;
    unsigned char *bytes = NULL;
    size_t len = 0;
    rnl_status st = rnl_st_writer_create(&w);
    for (int k = 0; k < n && st == RNL_OK; k++) st = rnl_st_add_meta(w, kv[2 * k], kv[2 * k + 1]);
    if (st == RNL_OK) st = rnl_st_serialize(w, &bytes, &len);
    if (st == RNL_OK) st = rnl_st_parse(bytes, len, "meta.st", &f);
    CHECK(st == RNL_OK, "test file: %s", rnl_last_error());
    rnl_st_writer_free(w);
    free(bytes);
    return f;
}

/* The last failure was RNL_ERR_DATA st and its message names the file and key. */
static void refused(rnl_status st, const char *key, const char *what) {
    CHECK(st == RNL_ERR_DATA, "%s: status %d, expected data", what, (int)st);
    char want[64];
    snprintf(want, sizeof want, "meta.st: metadata \"%s\"", key);
    CHECK(strstr(rnl_last_error(), want) != NULL, "%s: message '%s' lacks '%s'", what, rnl_last_error(), want);
}

int main(void) {
    static const char *const kv[] = {
        "n", "42", "neg", "-7", "big", "99999999999999999999", "frac", "1.5", "blank", " 3",
        "empty", "", "x", "0.25", "inf", "inf", "nan", "nan", "minf", "-inf", "seed",
        "18446744073709551615", "over", "18446744073709551616", "sign", "+5", "minus", "-1",
        "hex", "0x10", "trail", "5 ", "zero", "0",
    };
    rnl_st_file *f = file_with(kv, (int)(sizeof kv / sizeof kv[0] / 2));
    if (!f) return CHECK_DONE("st_meta");

    long l = 11;
    CHECK(rnl_st_meta_long(f, "n", 0, 100, &l) == RNL_OK && l == 42, "long 42");
    CHECK(rnl_st_meta_long(f, "neg", -10, 0, &l) == RNL_OK && l == -7, "long -7");
    l = 11;
    refused(rnl_st_meta_long(f, "n", 0, 41, &l), "n", "long above the range");
    CHECK(l == 11, "out untouched on failure");
    refused(rnl_st_meta_long(f, "absent", 0, 1, &l), "absent", "long missing");
    CHECK(strstr(rnl_last_error(), "missing") != NULL, "missing says so: %s", rnl_last_error());
    refused(rnl_st_meta_long(f, "big", 0, LONG_MAX, &l), "big", "long overflow");
    refused(rnl_st_meta_long(f, "frac", 0, 10, &l), "frac", "long with a fraction");
    refused(rnl_st_meta_long(f, "blank", 0, 10, &l), "blank", "long with a leading blank");
    refused(rnl_st_meta_long(f, "empty", 0, 10, &l), "empty", "long empty");
    CHECK(l == 11, "out untouched after every failure");

    double d = 3;
    CHECK(rnl_st_meta_double(f, "x", 0, 1, &d) == RNL_OK && d == 0.25, "double 0.25");
    refused(rnl_st_meta_double(f, "x", 0.5, 1, &d), "x", "double below the range");
    refused(rnl_st_meta_double(f, "nan", -1e308, 1e308, &d), "nan", "double nan refused");
    refused(rnl_st_meta_double(f, "inf", -1e308, 1e308, &d), "inf", "double inf out of a finite range");
    refused(rnl_st_meta_double(f, "absent", 0, 1, &d), "absent", "double missing");
    refused(rnl_st_meta_double(f, "trail", 0, 10, &d), "trail", "double with a trailing blank");
    CHECK(d == 0.25, "double untouched on failure");
    CHECK(rnl_st_meta_double_nonfinite(f, "inf", -1e308, 1e308, &d) == RNL_OK && isinf(d) && d > 0,
          "nonfinite: inf");
    CHECK(rnl_st_meta_double_nonfinite(f, "nan", -1e308, 1e308, &d) == RNL_OK && isnan(d), "nonfinite: nan");
    CHECK(rnl_st_meta_double_nonfinite(f, "x", 0, 1, &d) == RNL_OK && d == 0.25, "nonfinite: a number");
    refused(rnl_st_meta_double_nonfinite(f, "minf", -1e308, 1e308, &d), "minf", "nonfinite: -inf is not accepted");
    refused(rnl_st_meta_double_nonfinite(f, "x", 0.5, 1, &d), "x", "nonfinite: range still checked");
    refused(rnl_st_meta_double_nonfinite(f, "absent", 0, 1, &d), "absent", "nonfinite: missing");

    uint64_t u = 5;
    CHECK(rnl_st_meta_u64(f, "seed", &u) == RNL_OK && u == UINT64_MAX, "u64 2^64-1");
    CHECK(rnl_st_meta_u64(f, "zero", &u) == RNL_OK && u == 0, "u64 0");
    u = 5;
    const char *bad[] = {"over", "sign", "minus", "hex", "blank", "trail", "empty", "frac", "absent"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) refused(rnl_st_meta_u64(f, bad[i], &u), bad[i], bad[i]);
    CHECK(u == 5, "u64 untouched on failure");

    /* The writer's checksum entry is the format's, not a metadata key the getters see. */
    CHECK(rnl_st_checksum(f, NULL, NULL) == RNL_ST_SUM_MATCH, "the file carries a checksum");
    refused(rnl_st_meta_long(f, RNL_ST_CHECKSUM_KEY, LONG_MIN, LONG_MAX, &l), RNL_ST_CHECKSUM_KEY,
            "the checksum entry is not metadata");
    CHECK(strstr(rnl_last_error(), "missing") != NULL, "it is missing: %s", rnl_last_error());
    rnl_st_free(f);
    return CHECK_DONE("st_meta");
}
