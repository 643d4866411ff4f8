/* fuzz_npz.c — libFuzzer harness for the .npz data set reader (src/data/npz.c: the ZIP
 * container, inflate, the .npy parser, the head decision). Each input is written to a
 * temporary .npz and opened, and also given to rnl_npy_parse as one .npy; any status is fine,
 * but an opened data set must be consistent (widths, one-hot or 0/1 steps, real values finite
 * and within RNL_NPZ_MAX_ABS for the Gaussian-mixture head), and a crash, leak
 * or sanitizer report is a finding.
 *
 * Build and run: make fuzz, then
 *   build-fuzz/fuzz_npz -max_total_time=60 -max_len=8192 fuzz/corpus/npz */
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "data/npz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    static char path[64];
    if (!path[0]) snprintf(path, sizeof path, "/tmp/fuzz_npz_%ld.npz", (long)getpid());
    rnl_npy a;
    if (rnl_npy_parse(data, size, "fuzz", &a) == RNL_OK)
        for (size_t t = 0; t < a.shape[0]; t++)
            for (size_t d = 0; d < a.shape[1]; d++) (void)rnl_npy_value(&a, t, d);
    FILE *f = fopen(path, "wb");
    if (!f) abort();
    if (size && fwrite(data, 1, size, f) != size) abort();
    if (fclose(f) != 0) abort();
    rnl_dataset d;
    memset(&d, 0, sizeof d);
    if (rnl_npz_open(path, &d) == RNL_OK) {
        const int W = d.input;
        if (W < 1 || W > 65536 || d.output != W) abort();
        for (int s = 0; s < 3; s++)
            for (int i = 0; i < d.nseq[s]; i++) {
                const int L = d.steps(&d, s, i);
                rnl_real *x = calloc((size_t)L * W + 1, sizeof *x), *y = calloc((size_t)L * W + 1, sizeof *y);
                if (!x || !y) abort();
                d.fill(&d, s, i, 0, 1, x, y);
                for (size_t k = 0; k < (size_t)L * W; k++) {
                    if (d.head == RNL_HEAD_GAUSS) { /* real values: finite and within the bound */
                        if (!(fabs((double)x[k]) <= RNL_NPZ_MAX_ABS) || !(fabs((double)y[k]) <= RNL_NPZ_MAX_ABS)) abort();
                    } else if ((x[k] != 0 && x[k] != 1) || (y[k] != 0 && y[k] != 1)) {
                        abort();
                    }
                }
                free(x);
                free(y);
            }
        d.destroy(&d);
    }
    return 0;
}
