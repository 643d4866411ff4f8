/* sample_music.c — generating a piano roll from a trained Bernoulli model, the prime it may
 * start from, and the frame grid a checkpoint's data implies (see sample.h). */
#include "sample/sample.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/heads.h"
#include "data/dataroot.h"
#include "data/midi.h"
#include "data/music.h"
#include "data/pianoroll.h"
#include "io/safetensors.h"
#include "io/util.h"

rnl_status rnl_music_sample(const rnl_model *m, const uint8_t *prime, int P, int steps,
                            double temperature, uint64_t seed, uint8_t **roll) {
    *roll = NULL;
    const rnl_config *c = rnl_model_config(m);
    if (c->head != RNL_HEAD_BERNOULLI || c->input != RNL_ROLL_KEYS || c->output != RNL_ROLL_KEYS)
        return rnl_fail(RNL_ERR_USAGE, "sample: a piano-roll model needs a Bernoulli head with input = output = %d (this one: %s head, input %d, output %d)",
                        RNL_ROLL_KEYS, rnl_head_name(c->head), c->input, c->output);
    if (P < 0 || steps < 0 || (long)P + steps < 1 || (long)P + steps > RNL_ROLL_MAX_FRAMES)
        return rnl_fail(RNL_ERR_USAGE, "sample: %d prime + %d sampled frames (1..%d in all accepted)", P, steps, RNL_ROLL_MAX_FRAMES);
    if (!(temperature > 0 && isfinite(temperature)))
        return rnl_fail(RNL_ERR_USAGE, "sample: temperature %g must be positive and finite", temperature);
    const int K = RNL_ROLL_KEYS, total = P + steps;
    const rnl_head_desc *head = rnl_head_describe(c->head);
    if (!head) return rnl_fail(RNL_ERR_INTERNAL, "sample: impossible head %d", (int)c->head);
    /* rnl_model_metadata takes a non-const model; the metadata is only read here. */
    const rnl_model_meta *md = rnl_model_metadata((rnl_model *)m);
    uint8_t *r = calloc((size_t)total, (size_t)K);
    rnl_real *x = calloc((size_t)K, sizeof *x), *logits = calloc((size_t)K, sizeof *logits);
    double *y = calloc((size_t)K, sizeof *y);
    rnl_workspace *ws = NULL;
    rnl_state *state = NULL;
    rnl_status st = (!r || !x || !logits || !y) ? rnl_fail(RNL_ERR_NOMEM, "sample: out of memory") : RNL_OK;
    if (!st) st = rnl_workspace_create(&ws);
    if (!st) rnl_workspace_hold(ws, 1); /* the model's weights, unchanged while sampling */
    if (!st) st = rnl_state_create(m, 1, &state);
    if (!st && P) memcpy(r, prime, (size_t)P * K);
    rnl_rng rng;
    rnl_rng_seed(&rng, seed);
    /* Step t reads frame t-1 (the zero frame for t = 0 without a prime) and predicts frame
     * t; frames below P are the prime's, the others are drawn. */
    for (int t = (P ? 1 : 0); !st && t < total; t++) {
        for (int k = 0; k < K; k++) x[k] = t ? (rnl_real)r[(size_t)(t - 1) * K + k] : 0;
        if ((st = rnl_step(m, ws, x, 1, state, logits))) break;
        if (t < P) continue;
        head->draw(logits, K, 0, md, temperature, &rng, y);
        for (int k = 0; k < K; k++) r[(size_t)t * K + k] = y[k] != 0;
    }
    rnl_state_free(state);
    rnl_workspace_free(ws);
    free(x);
    free(logits);
    free(y);
    if (st) {
        free(r);
        return st;
    }
    *roll = r;
    return RNL_OK;
}


rnl_status rnl_music_model_frame(const char *model_path, int *fpq) {
    rnl_st_file *f = NULL;
    rnl_status st = rnl_st_read(model_path, &f);
    if (st) return st;
    const char *d = rnl_st_meta(f, "data");
    *fpq = d ? rnl_music_frame_for_data(d) : 2;
    rnl_st_free(f);
    return RNL_OK;
}

rnl_status rnl_music_prime(const char *spec, const char *data_root, int fpq, uint8_t **roll,
                           int *P) {
    *roll = NULL;
    *P = 0;
    if (rnl_midi_has_ext(spec)) {
        rnl_midi m;
        rnl_status st = rnl_midi_read(spec, &m);
        if (st) return st;
        st = rnl_roll_from_midi(&m, fpq, 0, spec, roll, P, NULL);
        rnl_midi_free(&m);
        if (!st && *P == 0) st = rnl_fail(RNL_ERR_DATA, "--prime %s: the file has no frames", spec);
        return st;
    }
    char buf[4096];
    if (strlen(spec) >= sizeof buf) return rnl_fail(RNL_ERR_USAGE, "--prime: value too long");
    snprintf(buf, sizeof buf, "%s", spec);
    char *c2 = strrchr(buf, ':');
    char *c1 = c2 ? (*c2 = 0, strrchr(buf, ':')) : NULL;
    if (!c1) return rnl_fail(RNL_ERR_USAGE, "--prime: expected DATA:SPLIT:INDEX (e.g. jsb:test:0) or a .mid file, got '%s'", spec);
    *c1 = 0;
    int split = rnl_split_parse(c1 + 1);
    long index;
    if (split < 0) return rnl_fail(RNL_ERR_USAGE, "--prime %s: split '%s' is not train, valid or test", spec, c1 + 1);
    rnl_status st = rnl_parse_long(c2 + 1, 0, 1L << 30, "--prime INDEX", &index);
    if (st) return st;
    char path[4096];
    if ((st = rnl_data_resolve(buf, data_root, path, sizeof path))) return st;
    rnl_music mu;
    if ((st = rnl_music_load(path, &mu))) return st;
    const rnl_seqset *s = &mu.split[split];
    if (s->dim != RNL_ROLL_KEYS)
        st = rnl_fail(RNL_ERR_DATA, "--prime %s: %s has %d keys per frame, %d needed", spec, path, s->dim, RNL_ROLL_KEYS);
    else if (index >= s->n)
        st = rnl_fail(RNL_ERR_USAGE, "--prime %s: the %s split of %s has %d sequences", spec, c1 + 1, path, s->n);
    else if (s->len[index] < 1)
        st = rnl_fail(RNL_ERR_DATA, "--prime %s: sequence %ld is empty", spec, index);
    else if (!(*roll = malloc((size_t)s->len[index] * RNL_ROLL_KEYS)))
        st = rnl_fail(RNL_ERR_NOMEM, "--prime %s: out of memory", spec);
    if (!st) {
        memcpy(*roll, s->frames + s->off[index] * RNL_ROLL_KEYS, (size_t)s->len[index] * RNL_ROLL_KEYS);
        *P = s->len[index];
    }
    rnl_music_free(&mu);
    return st;
}
