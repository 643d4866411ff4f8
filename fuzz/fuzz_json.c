/* fuzz_json.c — libFuzzer harness for the strict JSON reader.
 *
 * Parses the input; on success walks the whole tree, checks that every string is valid
 * UTF-8 of the length reported and that every key is found by rnl_json_get.
 *
 *   clang -fsanitize=fuzzer,address -std=c11 -D_POSIX_C_SOURCE=200809L -Iinclude -Isrc \
 *       fuzz/fuzz_json.c src/json.c src/util.c src/error.c -lm
 *   ./a.out -max_total_time=60 fuzz/corpus/json
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "io/json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Visit v and everything below it; abort on a broken invariant. */
static void walk(const rnl_json *v, int depth) {
    if (depth > RNL_JSON_MAX_DEPTH) abort();
    switch (rnl_json_type_of(v)) {
    case RNL_JSON_STRING: {
        const char *s = rnl_json_string(v);
        if (!s || strlen(s) != rnl_json_len(v) || !rnl_json_valid_utf8(s, rnl_json_len(v)))
            abort();
        break;
    }
    case RNL_JSON_NUMBER: {
        double x;
        if (!rnl_json_number(v, &x) || x - x != 0) abort(); /* finite */
        break;
    }
    case RNL_JSON_ARRAY:
    case RNL_JSON_OBJECT:
        for (size_t i = 0; i < rnl_json_len(v); i++) {
            const rnl_json *item = rnl_json_at(v, i);
            if (!item) abort();
            if (rnl_json_type_of(v) == RNL_JSON_OBJECT) {
                const char *k = rnl_json_key_at(v, i);
                if (!k || !rnl_json_valid_utf8(k, strlen(k)) || rnl_json_get(v, k) != item)
                    abort();
            }
            walk(item, depth + 1);
        }
        if (rnl_json_at(v, rnl_json_len(v)) != NULL) abort();
        break;
    default: break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    rnl_json_doc *d = NULL;
    if (rnl_json_parse((const char *)data, size, "fuzz", &d) != RNL_OK) {
        if (d) abort();
        return 0;
    }
    walk(rnl_json_root(d), 0);
    rnl_json_free(d);
    return 0;
}
