/* fuzz_safetensors.c — libFuzzer harness for the safetensors reader.
 *
 * Parses the input as a whole file without failing on a checksum mismatch (almost every
 * mutation of a checksummed seed is one, and the checks behind it deserve the fuzzing too);
 * on success reads every tensor's data through rnl_st_to_real into a scratch buffer and every
 * metadata pair, so that any pointer the reader formed outside the buffer is caught by
 * AddressSanitizer. The verifying parse must agree: it succeeds exactly when the unverified
 * one did and the checksum is absent or matches.
 *
 *   make fuzz-run FUZZ_ONLY=build-fuzz/fuzz_safetensors FUZZ_SECONDS=60
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "io/safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    rnl_st_file *f = NULL, *g = NULL;
    rnl_status st = rnl_st_parse_unverified(data, size, "fuzz", &f);
    rnl_status sv = rnl_st_parse(data, size, "fuzz", &g);
    if ((sv == RNL_OK) != (g != NULL)) abort();
    rnl_st_free(g);
    if (st != RNL_OK) {
        if (f || sv == RNL_OK) abort(); /* a failed parse hands out no file; verifying is stricter */
        return 0;
    }
    uint32_t stored, computed;
    rnl_st_sum sum = rnl_st_checksum(f, &stored, &computed);
    if ((sv == RNL_OK) != (sum != RNL_ST_SUM_MISMATCH)) abort(); /* only a mismatch differs */
    if (sum != RNL_ST_SUM_ABSENT && (sum == RNL_ST_SUM_MATCH) != (stored == computed)) abort();
    if (rnl_st_meta(f, RNL_ST_CHECKSUM_KEY)) abort(); /* the entry is not metadata */
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
