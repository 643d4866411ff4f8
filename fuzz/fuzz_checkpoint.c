/* fuzz_checkpoint.c — libFuzzer harness for model checkpoints through the public loader:
 * the safetensors container, the metadata (cell, variant, sizes, normalisation) and the
 * tensor table against the configuration. A file that loads must give a usable model: one
 * forward step is run on it. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include "rnnlab.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    char path[64];
    snprintf(path, sizeof path, "/tmp/fuzz_checkpoint.%d", (int)getpid());
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    rnl_model *m = NULL;
    if (rnl_model_load(path, &m) == RNL_OK) {
        const rnl_config *c = rnl_model_config(m);
        rnl_workspace *ws = NULL;
        rnl_state *s = NULL;
        /* Keep the forward step cheap: only small models. */
        if ((size_t)c->input * c->hidden < 1u << 16 && rnl_workspace_create(&ws) == RNL_OK &&
            rnl_state_create(m, 1, &s) == RNL_OK) {
            rnl_real *x = calloc((size_t)c->input, sizeof(rnl_real));
            rnl_real *y = calloc((size_t)rnl_head_width(c), sizeof(rnl_real));
            if (x && y) rnl_step(m, ws, x, 1, s, y);
            free(x);
            free(y);
        }
        rnl_state_free(s);
        rnl_workspace_free(ws);
        rnl_model_free(m);
    }
    unlink(path);
    return 0;
}
