/* fuzz_safetensors.c — libFuzzer harness for the safetensors reader.
 *
 * Parses the input as a whole file; on success reads every tensor's data through
 * rnl_st_to_real into a scratch buffer and every metadata pair, so that any pointer the
 * reader formed outside the buffer is caught by AddressSanitizer.
 *
 *   clang -fsanitize=fuzzer,address -std=c11 -D_POSIX_C_SOURCE=200809L -Iinclude -Isrc \
 *       fuzz/fuzz_safetensors.c src/safetensors.c src/json.c src/util.c src/error.c -lm
 *   ./a.out -max_total_time=60 fuzz/corpus/safetensors
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "io/safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    rnl_st_file *f = NULL;
    if (rnl_st_parse(data, size, "fuzz", &f) != RNL_OK) {
        if (f) abort(); /* a failed parse must not hand out a file */
        return 0;
    }
    volatile unsigned sink = 0;
    for (int i = 0; i < rnl_st_count(f); i++) {
        const rnl_st_tensor *t = rnl_st_get(f, i);
        if (!t || rnl_st_find(f, t->name) != t) abort(); /* names are unique */
        if (t->dtype == RNL_ST_F32 || t->dtype == RNL_ST_F64) {
            rnl_real *scratch = malloc((t->numel ? t->numel : 1) * sizeof *scratch);
            if (!scratch) abort();
            if (rnl_st_to_real(f, t, scratch) == RNL_OK && t->numel)
                sink += (unsigned)(scratch[0] != scratch[0]);
            free(scratch);
        } else {
            size_t bytes = t->numel * (t->dtype == RNL_ST_U8 ? 1 : t->dtype == RNL_ST_I32 ? 4 : 8);
            for (size_t k = 0; k < bytes; k++) sink += t->data[k];
        }
    }
    for (int i = 0; i < rnl_st_meta_count(f); i++) {
        const char *k, *v;
        rnl_st_meta_get(f, i, &k, &v);
        if (!k || !v || rnl_st_meta(f, k) != v) abort(); /* keys are unique */
        sink += (unsigned)strlen(k) + (unsigned)strlen(v);
    }
    (void)sink;
    rnl_st_free(f);
    return 0;
}
