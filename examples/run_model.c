/* run_model.c — the embedding use of librnnlab: load a checkpoint through the public API and
 * run the model step by step on a sequence, printing each step's output probabilities.
 *
 *   build/example MODEL.safetensors [STEPS]
 *
 * The input sequence here is synthetic (a rising scale of single notes for a piano-roll
 * model); a program embedding rnnlab would feed its own frames the same way. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include "rnnlab.h"

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s MODEL.safetensors [STEPS]\n", argv[0]);
        return 2;
    }
    int steps = argc > 2 ? atoi(argv[2]) : 8;
    if (steps < 1 || steps > 100000) steps = 8;
    rnl_model *m = NULL;
    rnl_workspace *ws = NULL;
    rnl_state *state = NULL;
    if (rnl_model_load(argv[1], &m) || rnl_workspace_create(&ws) || rnl_state_create(m, 1, &state)) {
        fprintf(stderr, "example: %s\n", rnl_last_error());
        rnl_model_free(m);
        rnl_workspace_free(ws);
        return 1;
    }
    const rnl_config *c = rnl_model_config(m);
    rnl_real *x = calloc((size_t)c->input, sizeof(rnl_real));
    rnl_real *logits = calloc((size_t)rnl_head_width(c), sizeof(rnl_real));
    int status = 0;
    printf("%s-%d (%s), %d inputs, %d outputs\n", rnl_cell_name(c->cell), c->hidden,
           rnl_variant_name(c->variant), c->input, c->output);
    for (int t = 0; t < steps && x && logits; t++) {
        for (int i = 0; i < c->input; i++) x[i] = (i == (39 + 2 * t) % c->input);
        if (rnl_step(m, ws, x, 1, state, logits)) {
            fprintf(stderr, "example: %s\n", rnl_last_error());
            status = 1;
            break;
        }
        int best = 0;
        for (int k = 1; k < rnl_head_width(c); k++)
            if (logits[k] > logits[best]) best = k;
        printf("step %d: most likely unit %d, p = %.4f\n", t, best, 1 / (1 + exp(-(double)logits[best])));
    }
    free(x);
    free(logits);
    rnl_state_free(state);
    rnl_workspace_free(ws);
    rnl_model_free(m);
    return status;
}
