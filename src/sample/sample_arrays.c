/* sample_arrays.c — generating real-valued sequences from a Gaussian-mixture model (see
 * sample.h). */
#include "sample/sample.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/heads.h"

rnl_status rnl_array_sample(const rnl_model *m, long steps, double temperature, uint64_t seed, float **out) {
    *out = NULL;
    const rnl_config *c = rnl_model_config(m);
    const rnl_model_meta *md = rnl_model_metadata((rnl_model *)m); /* read only */
    if (c->head != RNL_HEAD_GAUSS || c->input != c->output)
        return rnl_fail(RNL_ERR_USAGE, "sample: a real-valued model needs a Gaussian-mixture head whose output is "
                        "its next input (this one: %s head, input %d, output %d)", rnl_head_name(c->head), c->input,
                        c->output);
    if (steps < 1 || steps > RNL_ARRAY_MAX_SAMPLE)
        return rnl_fail(RNL_ERR_USAGE, "sample: %ld steps (1 .. %d)", steps, RNL_ARRAY_MAX_SAMPLE);
    if (!(temperature > 0 && isfinite(temperature)))
        return rnl_fail(RNL_ERR_USAGE, "sample: temperature %g must be positive and finite", temperature);
    const rnl_head_desc *head = rnl_head_describe(c->head);
    if (!head) return rnl_fail(RNL_ERR_INTERNAL, "sample: impossible head %d", (int)c->head);
    const int D = c->output, W = head->width(D, c->mixtures);
    /* one block: a step's draw y [D] (doubles first, for their alignment), then its input
     * x [D] and its logits [W] */
    double *buf = malloc(sizeof(double) * (size_t)D + sizeof(rnl_real) * (size_t)(D + W));
    float *v = malloc(sizeof *v * (size_t)steps * D);
    rnl_workspace *ws = NULL;
    rnl_state *state = NULL;
    rnl_status st = buf && v ? rnl_workspace_create(&ws) : rnl_fail(RNL_ERR_NOMEM, "sample: out of memory");
    if (!st) st = rnl_state_create(m, 1, &state);
    if (st) goto done;
    rnl_workspace_hold(ws, 1); /* the model's weights, unchanged while sampling */
    double *y = buf;
    rnl_real *x = (rnl_real *)(void *)(buf + D), *logits = x + D;
    memset(x, 0, sizeof *x * (size_t)D);
    rnl_rng rng;
    rnl_rng_seed(&rng, seed);
    /* step t reads the values drawn at t − 1 (zeros at t = 0) and draws those of t */
    for (long t = 0; !st && t < steps; t++) {
        if ((st = rnl_step(m, ws, x, 1, state, logits))) break;
        head->draw(logits, D, c->mixtures, md, temperature, &rng, y);
        for (int d = 0; d < D && !st; d++) {
            v[(size_t)t * D + d] = (float)y[d];
            x[d] = (rnl_real)y[d];
            if (!isfinite(v[(size_t)t * D + d]))
                st = rnl_fail(RNL_ERR_NUMERIC, "sample: step %ld drew a non-finite value", t);
        }
    }
done:
    rnl_state_free(state);
    rnl_workspace_free(ws);
    free(buf);
    if (!st) *out = v;
    else free(v);
    return st;
}
