/* fuzz_wav.c — libFuzzer harness for the audio reader (rnl_wav_read in src/data/wav.c) and
 * libsndfile below it. Each input is written to a temporary file (the reader takes a path)
 * and loaded; any status is fine, a crash, leak or sanitizer report is not. A file that
 * loads must give at least one sample, every one finite and within [-1, 1].
 *
 * Build and run (from the repository root):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined -std=c11 -D_POSIX_C_SOURCE=200809L \
 *     -D_DEFAULT_SOURCE -Iinclude -Isrc fuzz/fuzz_wav.c src/[a-z]*.c \
 *     $(pkg-config --cflags --libs sndfile matio openblas) -lm -lpthread -o build/fuzz_wav
 *   build/fuzz_wav -max_total_time=60 -max_len=4096 fuzz/corpus/wav
 * (the whole library is linked, as `make fuzz` does; the harness only calls the reader.) Seeds: fuzz/corpus/wav, tiny files
 * written with libsndfile: 16-bit PCM WAV, 8-bit unsigned WAV, 32-bit float WAV, 24-bit AIFF.
 */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "data/wav.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static char path[64];
    if (!path[0]) snprintf(path, sizeof path, "/tmp/fuzz_wav_%ld.wav", (long)getpid());
    FILE *f = fopen(path, "wb");
    if (!f) abort();
    if (size && fwrite(data, 1, size, f) != size) abort();
    if (fclose(f) != 0) abort();
    float *s = NULL;
    size_t n = 0;
    int rate = 0;
    if (rnl_wav_read(path, &s, &n, &rate) == RNL_OK) {
        if (n == 0 || rate <= 0) abort();
        for (size_t i = 0; i < n; i++)
            if (!(s[i] >= -1.0f && s[i] <= 1.0f)) abort();
        free(s);
    } else if (s || n) {
        abort();
    }
    return 0;
}
