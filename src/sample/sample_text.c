/* sample_text.c — generating text from a trained softmax model over bytes (see sample.h). */
#include "sample/sample.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/heads.h"
#include "data/text.h"

rnl_status rnl_text_sample(const rnl_model *m, const unsigned char *prime, size_t P, long chars, double temperature,
                           uint64_t seed, unsigned char **out, size_t *n) {
    *out = NULL;
    *n = 0;
    const rnl_config *c = rnl_model_config(m);
    /* rnl_model_metadata takes a non-const model; the metadata is only read here. */
    const rnl_model_meta *md = rnl_model_metadata((rnl_model *)m);
    unsigned char bytes[256];
    const int V = rnl_text_vocab_bytes(md->vocab, bytes);
    if (c->head != RNL_HEAD_SOFTMAX || !V || c->input != V || c->output != V)
        return rnl_fail(RNL_ERR_USAGE, "sample: a text model needs a softmax head over its vocabulary of bytes (this "
                        "one: %s head, input %d, output %d, %d bytes of vocabulary)", rnl_head_name(c->head),
                        c->input, c->output, V);
    if (chars < 0 || chars > RNL_TEXT_MAX_SAMPLE || P > RNL_TEXT_MAX_SAMPLE)
        return rnl_fail(RNL_ERR_USAGE, "sample: %ld characters and a prime of %zu (each at most %d)", chars, P,
                        RNL_TEXT_MAX_SAMPLE);
    if (!(temperature > 0 && isfinite(temperature)))
        return rnl_fail(RNL_ERR_USAGE, "sample: temperature %g must be positive and finite", temperature);
    int sym[256];
    for (int b = 0; b < 256; b++) sym[b] = -1;
    for (int k = 0; k < V; k++) sym[bytes[k]] = k;
    for (size_t i = 0; i < P; i++)
        if (sym[prime[i]] < 0)
            return rnl_fail(RNL_ERR_USAGE, "sample --prime: byte 0x%02x at offset %zu is not in the model's vocabulary "
                            "of %d bytes", prime[i], i, V);
    const rnl_head_desc *head = rnl_head_describe(c->head);
    if (!head) return rnl_fail(RNL_ERR_INTERNAL, "sample: impossible head %d", (int)c->head);
    const size_t total = P + (size_t)chars;
    unsigned char *txt = malloc(total + 1);
    rnl_real *x = calloc((size_t)V, sizeof *x), *logits = calloc((size_t)V, sizeof *logits);
    double *y = calloc((size_t)V, sizeof *y);
    rnl_workspace *ws = NULL;
    rnl_state *state = NULL;
    rnl_status st = (!txt || !x || !logits || !y) ? rnl_fail(RNL_ERR_NOMEM, "sample: out of memory") : RNL_OK;
    if (!st) st = rnl_workspace_create(&ws);
    if (!st) rnl_workspace_hold(ws, 1); /* the model's weights, unchanged while sampling */
    if (!st) st = rnl_state_create(m, 1, &state);
    if (!st && P) memcpy(txt, prime, P);
    rnl_rng rng;
    rnl_rng_seed(&rng, seed);
    /* Step t reads byte t−1 (the zero vector for t = 0 without a prime) and predicts byte t;
     * bytes below P are the prime's, the others are drawn (one uniform each, head_softmax.c). */
    for (size_t t = P ? 1 : 0; !st && t < total; t++) {
        memset(x, 0, sizeof *x * (size_t)V);
        if (t) x[sym[txt[t - 1]]] = 1;
        if ((st = rnl_step(m, ws, x, 1, state, logits))) break;
        if (t < P) continue;
        head->draw(logits, V, 0, md, temperature, &rng, y);
        int k = 0;
        while (k < V - 1 && y[k] == 0) k++;
        txt[t] = bytes[k];
    }
    rnl_state_free(state);
    rnl_workspace_free(ws);
    free(x);
    free(logits);
    free(y);
    if (st) {
        free(txt);
        return st;
    }
    *out = txt;
    *n = total;
    return RNL_OK;
}
