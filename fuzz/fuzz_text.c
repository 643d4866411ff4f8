/* fuzz_text.c — libFuzzer harness for the text reader (src/data/text.c). Each input is a
 * file: its first byte picks the split and whether a model's vocabulary is given (taken from
 * the next bytes), the rest is the text. Any status is fine; on success every step of every
 * split must be a pair of one-hot vectors. A crash, leak or sanitizer report is a finding.
 *
 * Build and run: make fuzz, then
 *   build-fuzz/fuzz_text -max_total_time=60 -max_len=4096 fuzz/corpus/text */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "data/text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int one_hot(const rnl_real *r, int V) {
    int ones = 0;
    for (int k = 0; k < V; k++) {
        if (r[k] != 0 && r[k] != 1) return 0;
        ones += r[k] == 1;
    }
    return ones == 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static char path[64];
    static const char *const splits[4] = {"90/5/5", "50/25/25", "34/33/33", "1/1/98"};
    if (!path[0]) snprintf(path, sizeof path, "/tmp/fuzz_text_%ld.txt", (long)getpid());
    if (size < 1) return 0;
    const int pick = data[0];
    char vocab[41] = "";
    size_t skip = 1;
    if (pick & 4 && size > 21) { /* a model's vocabulary: 20 bytes as hex, maybe malformed */
        for (int i = 0; i < 20; i++) snprintf(vocab + 2 * i, 3, "%02x", data[1 + i]);
        if (pick & 8) vocab[3] = 'G';
        skip = 21;
    }
    FILE *f = fopen(path, "wb");
    if (!f) abort();
    if (size > skip && fwrite(data + skip, 1, size - skip, f) != size - skip) abort();
    if (fclose(f) != 0) abort();
    rnl_dataset d;
    memset(&d, 0, sizeof d);
    if (rnl_text_open(path, splits[pick & 3], vocab[0] ? vocab : NULL, &d) == RNL_OK) {
        const int V = d.input;
        if (V < 1 || V > 256 || d.output != V) abort();
        for (int s = 0; s < 3; s++) {
            const int L = d.steps(&d, s, 0);
            rnl_real *x = calloc((size_t)L * V + 1, sizeof *x), *y = calloc((size_t)L * V + 1, sizeof *y);
            if (!x || !y) abort();
            d.fill(&d, s, 0, 0, 1, x, y);
            for (int t = 0; t < L; t++)
                if (!one_hot(x + (size_t)t * V, V) || !one_hot(y + (size_t)t * V, V)) abort();
            free(x);
            free(y);
        }
        d.destroy(&d);
    }
    return 0;
}
