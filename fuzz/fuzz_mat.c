/* fuzz_mat.c — libFuzzer harness for the piano-roll loader (src/music.c) and libmatio below
 * it. Each input is written to a temporary file (libmatio reads only from files) and loaded;
 * any status is fine, a crash, leak or sanitizer report is not.
 *
 * Build and run (from the repository root):
 *   clang -g -O1 -fsanitize=fuzzer,address -std=c11 -D_POSIX_C_SOURCE=200809L \
 *     -D_DEFAULT_SOURCE -Iinclude -Isrc fuzz/fuzz_mat.c src/music.c src/error.c src/util.c \
 *     $(pkg-config --cflags --libs matio) -lm -o build/fuzz_mat
 *   build/fuzz_mat -max_total_time=60 -max_len=4096 -rss_limit_mb=4096 \
 *     -malloc_limit_mb=8192 fuzz/corpus/mat
 * libmatio 1.5.23 allocates whatever a corrupt header declares (a tag's byte count, up to
 * 4 GB, or a product of dimensions) before it finds the data missing, and may touch up to
 * ~2 GB of it. That is resource use, not memory corruption, and the loader still returns
 * RNL_ERR_DATA; to look for real bugs the harness makes allocations above 1 GB fail (as
 * under a ulimit) instead of reporting them as out-of-memory crashes. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "data/music.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *__asan_default_options(void);

const char *__asan_default_options(void) {
    return "allocator_may_return_null=1:max_allocation_size_mb=1024";
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static char path[64];
    if (!path[0]) {
        snprintf(path, sizeof path, "/tmp/fuzz_mat_%ld.mat", (long)getpid());
    }
    FILE *f = fopen(path, "wb");
    if (!f) abort();
    if (size && fwrite(data, 1, size, f) != size) abort();
    if (fclose(f) != 0) abort();
    rnl_music m;
    if (rnl_music_load(path, &m) == RNL_OK) {
        for (int s = 0; s < 3; s++)
            for (size_t i = 0; i < m.split[s].total * (size_t)m.split[s].dim; i++)
                if (m.split[s].frames[i] > 1) abort();
    }
    rnl_music_free(&m);
    return 0;
}
