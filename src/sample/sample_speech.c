/* sample_speech.c — generating audio from a trained MoG model, one step at a time, with an
 * optional prime recording (see sample.h for the contract). */
#include "sample/sample.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/heads.h"
#include "data/speech.h"
#include "data/wav.h"

rnl_status rnl_speech_sample(const rnl_model *m, double seconds, uint64_t seed,
                             const char *prime_wav, const char *out_wav) {
    const rnl_config *c = rnl_model_config(m);
    if (c->head != RNL_HEAD_MOG)
        return rnl_fail(RNL_ERR_USAGE, "sampling audio needs a model with a MoG head, this one has %s",
                        rnl_head_name(c->head));
    if (!(seconds > 0) || !(seconds <= 3600))
        return rnl_fail(RNL_ERR_USAGE, "seconds must be in (0, 3600], got %g", seconds);
    const size_t nout = (size_t)llround(seconds * RNL_SPEECH_RATE);
    if (nout == 0) return rnl_fail(RNL_ERR_USAGE, "%g seconds is less than one sample at 8000 Hz", seconds);
    /* rnl_model_metadata takes a non-const model; the metadata is only read here. */
    const rnl_model_meta *md = rnl_model_metadata((rnl_model *)m);
    const double mean = md->data_mean, std = md->data_std;
    if (!isfinite(mean) || !(std > 0) || !isfinite(std))
        return rnl_fail(RNL_ERR_DATA, "the model's normalisation (mean %g, std %g) is not usable", mean, std);
    const int I = c->input, O = c->output, W = rnl_head_width(c);
    const rnl_head_desc *head = rnl_head_describe(c->head);
    if (!head) return rnl_fail(RNL_ERR_INTERNAL, "sampling: impossible head %d", (int)c->head);

    /* The stream: [primed part | generated samples], raw values in [-1, 1). */
    float *prime = NULL;
    size_t np = 0, used = (size_t)I;
    long psteps = 0;
    if (prime_wav) {
        int rate = 0;
        rnl_status st = rnl_wav_read(prime_wav, &prime, &np, &rate);
        if (st) return st;
        if (rate != RNL_SPEECH_RATE || np < (size_t)I) {
            free(prime);
            return rate != RNL_SPEECH_RATE
                       ? rnl_fail(RNL_ERR_DATA, "%s: %d Hz; a prime must be %d Hz audio", prime_wav, rate, RNL_SPEECH_RATE)
                       : rnl_fail(RNL_ERR_DATA, "%s: %zu samples; a prime needs at least %d", prime_wav, np, I);
        }
        psteps = (long)((np - (size_t)I) / (size_t)O);
        used = (size_t)I + (size_t)O * (size_t)psteps;
    }
    const size_t nsteps = (nout + (size_t)O - 1) / (size_t)O;
    float *stream = calloc(used + nsteps * (size_t)O, sizeof *stream);
    rnl_real *x = malloc(sizeof *x * (size_t)I), *logits = malloc(sizeof *logits * (size_t)W);
    double *y = malloc(sizeof *y * (size_t)O);
    rnl_workspace *ws = NULL;
    rnl_state *state = NULL;
    rnl_status st = RNL_OK;
    if (!stream || !x || !logits || !y) st = rnl_fail(RNL_ERR_NOMEM, "out of memory sampling %zu samples", nout);
    if (!st && prime) memcpy(stream, prime, used * sizeof *stream);
    free(prime);
    if (!st) st = rnl_workspace_create(&ws);
    if (!st) rnl_workspace_hold(ws, 1); /* the model's weights, unchanged while sampling */
    if (!st) st = rnl_state_create(m, 1, &state);
    if (!st) rnl_state_zero(state);
    rnl_rng rng;
    rnl_rng_seed(&rng, seed);
    /* Prime steps t < psteps see stream[tO .. tO+I), as in training; then each generation
     * step sees the last I samples of the stream and appends O. */
    for (long t = 0; !st && t < psteps + (long)nsteps; t++) {
        const float *win = stream + (size_t)t * O;
        for (int k = 0; k < I; k++) x[k] = (rnl_real)(((double)win[k] - mean) / std);
        st = rnl_step(m, ws, x, 1, state, logits);
        if (st || t < psteps) continue;
        const size_t pos = (size_t)t * O + (size_t)I; /* first sample this step draws */
        head->draw(logits, O, c->mixtures, md, 1.0, &rng, y);
        for (int d = 0; d < O && !st; d++) {
            double v = y[d] * std + mean;
            if (!isfinite(v))
                st = rnl_fail(RNL_ERR_NUMERIC, "sampling: a drawn value is not finite at sample %zu", pos + d - used);
            else
                stream[pos + d] = (float)(rnl_wav_quantise16(v) / 32768.0);
        }
    }
    if (!st) st = rnl_wav_write16(out_wav, stream + used, nout, RNL_SPEECH_RATE);
    rnl_state_free(state);
    rnl_workspace_free(ws);
    free(stream);
    free(x);
    free(logits);
    free(y);
    return st;
}
