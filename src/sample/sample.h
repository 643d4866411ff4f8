/* sample.h — generating from a trained model (internal API): audio from a MoG speech model,
 * piano rolls from a Bernoulli music model, and what the music sampler needs to start (a
 * prime roll, the frame grid of a model's data). The tool's `sample` command is a thin
 * wrapper (docs/SPEECH.md, docs/MUSIC_IO.md); text from a softmax model over bytes. This layer runs models and reads data and
 * checkpoints: it sits above core, data and io. */
#ifndef RNL_SAMPLE_H
#define RNL_SAMPLE_H

#include <stdint.h>
#include "rnnlab.h"

/* ------------------------------------------------------------------------------------------
 * Speech (sample_speech.c)
 * ---------------------------------------------------------------------------------------- */
/* Generate round(seconds * 8000) samples from a MoG model (head RNL_HEAD_MOG, input I >=
 * output O; a speech model has I = 20, O = 10) and write them to out_wav as 16-bit PCM mono
 * at 8000 Hz (atomically). Each step feeds the last I samples of the stream (standardised
 * with the checkpoint's data_mean/data_std) through rnl_step, picks a component with the
 * mixture weights and draws each of the O samples from its Gaussian (log-std clamped as in
 * rnl_mog_nll); the drawn values are un-standardised, clipped to [-1, 1) and quantised to
 * 16 bits, and the quantised samples are what is fed back and written.
 * Without prime_wav (NULL) the stream starts with I zero samples. With prime_wav (mono,
 * 8000 Hz, at least I samples) the model first runs over its steps(N) = floor((N-I)/O)
 * windows exactly as in training and generation continues from that state, the stream being
 * the prime's first I + O*steps(N) samples; the prime is not written to out_wav.
 * Fully determined by seed. */
rnl_status rnl_speech_sample(const rnl_model *m, double seconds, uint64_t seed,
                             const char *prime_wav, const char *out_wav);

/* ------------------------------------------------------------------------------------------
 * Piano rolls (sample_music.c)
 * ---------------------------------------------------------------------------------------- */
/* Run a Bernoulli model with input = output = 88 one step at a time (B = 1): first over the
 * P prime frames (teacher forcing: input t is prime frame t), or over one all-zero frame
 * when P is 0; then `steps` times draw each key of the next frame with probability
 * sigmoid(logit / temperature) from an rnl_rng seeded with seed, and feed the drawn frame
 * back. *roll (malloc'd, (P + steps) * 88 bytes) holds the prime followed by the samples. */
rnl_status rnl_music_sample(const rnl_model *m, const uint8_t *prime, int P, int steps,
                            double temperature, uint64_t seed, uint8_t **roll);

/* Frames per quarter note for a model: rnl_music_frame_for_data (pianoroll.h) of its
 * checkpoint's "data" metadata, 2 when it has none. */
rnl_status rnl_music_model_frame(const char *model_path, int *fpq);

/* A prime roll from a spec: a path ending in .mid or .midi (any case) is read with the grid
 * fpq (drum and out-of-range notes dropped); anything else is DATA:SPLIT:INDEX, e.g.
 * jsb:test:0, with DATA a name or .mat path resolved with data_root (may be NULL).
 * *roll is malloc'd; *P >= 1. */
rnl_status rnl_music_prime(const char *spec, const char *data_root, int fpq, uint8_t **roll,
                           int *P);

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

#endif
