/* sample.h — generating from a trained model (the layer; its functions are public): audio from a MoG speech model,
 * piano rolls from a Bernoulli music model, and what the music sampler needs to start (a
 * prime roll, the frame grid of a model's data). The tool's `sample` command is a thin
 * wrapper (docs/SPEECH.md, docs/MUSIC_IO.md); text from a softmax model over bytes. This layer runs models and reads data and
 * checkpoints: it sits above core, data and io. Real-valued sequences (.npy) from a
 * Gaussian-mixture model. */
#ifndef RNL_SAMPLE_H
#define RNL_SAMPLE_H

#include <stdint.h>
#include "rnnlab.h"

/* The samplers' functions are public, declared in rnnlab.h with their contracts:
 * rnl_speech_sample (sample_speech.c); rnl_music_sample, rnl_music_model_frame and
 * rnl_music_prime (sample_music.c). */

/* ------------------------------------------------------------------------------------------
 * Text (sample_text.c)
 * ---------------------------------------------------------------------------------------- */
#define RNL_TEXT_MAX_SAMPLE 100000000 /* bytes of a prime, and characters drawn, at most */
/* Run a softmax model over bytes (its checkpoint's vocab metadata: input = output = V) one
 * step at a time (B = 1): first over the P bytes of prime (teacher forcing), or over one
 * zero input when P is 0; then `chars` times draw the next byte from softmax(logits /
 * temperature) with an rnl_rng seeded with seed (one uniform per byte) and feed it back.
 * *out (malloc'd, *n = P + chars bytes) holds the prime followed by the drawn bytes. A prime
 * byte outside the vocabulary is RNL_ERR_USAGE naming its offset. Fully determined by seed. */
rnl_status rnl_text_sample(const rnl_model *m, const unsigned char *prime, size_t P, long chars, double temperature,
                           uint64_t seed, unsigned char **out, size_t *n);

/* ------------------------------------------------------------------------------------------
 * Real-valued sequences (sample_arrays.c)
 * ---------------------------------------------------------------------------------------- */
#define RNL_ARRAY_MAX_SAMPLE 100000000 /* steps drawn at most */
/* Run a Gaussian-mixture model (input = output = D) one step at a time (B = 1) from a zero
 * input: each step's D values drawn from its mixture at `temperature` (head_gauss.c: one
 * uniform for the component, then one normal per value, from an rnl_rng seeded with seed)
 * and fed back as the next input. *out (malloc'd) holds steps × D values, step-major.
 * Fully determined by seed. */
rnl_status rnl_array_sample(const rnl_model *m, long steps, double temperature, uint64_t seed, float **out);

#endif
