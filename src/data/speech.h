/* speech.h — raw speech for the MoG head (internal API): WAV input and output through
 * libsndfile, the Free Spoken Digit Dataset (FSDD) with its manifest, the paper's framing,
 * normalisation, and sampling audio from a trained model. docs/SPEECH.md has the details.
 *
 * Framing (Chung et al. 2014 §2: "look at 20 consecutive samples to predict the following
 * 10"): a recording s[0..N) gives steps t = 0 .. rnl_speech_steps(N)-1 with
 *     input  x_t = s[10t .. 10t+20)     (RNL_SPEECH_IN samples)
 *     target y_t = s[10t+20 .. 10t+30)  (RNL_SPEECH_OUT samples)
 * so the targets tile the recording from sample 20 on (hop RNL_SPEECH_HOP = 10) and only
 * whole targets are used: steps(N) = floor((N-20)/10) for N >= 30, else 0.
 *
 * Units: samples are read as floats in [-1, 1) (libsndfile's float reading of 16-bit PCM is
 * x/32768 exactly) and the model sees z = (s - mean) / std with the TRAINING split's mean and
 * (population) standard deviation over all of its samples. */
#ifndef RNL_SPEECH_H
#define RNL_SPEECH_H

#include <stddef.h>
#include <stdint.h>
#include "data/adapter.h"
#include "rnnlab.h"

#define RNL_SPEECH_IN 20     /* samples of input per step */
#define RNL_SPEECH_OUT 10    /* samples predicted per step */
#define RNL_SPEECH_HOP 10    /* samples between consecutive steps (= OUT: targets tile) */
#define RNL_SPEECH_K 20      /* mixture components of the output layer */
#define RNL_SPEECH_RATE 8000 /* Hz of FSDD and of written samples */

/* Steps of a recording of n samples: floor((n-20)/10) if n >= 30, else 0. */
long rnl_speech_steps(size_t n);

/* Read a mono audio file of any rate and sample format libsndfile reads, as floats in
 * [-1, 1] (integer formats are scaled by 1/2^(bits-1); float formats are taken as stored
 * and must be finite and within [-1, 1]). *samples is malloc'd (caller frees), *n > 0.
 * rate may be NULL. Missing or unopenable file: RNL_ERR_IO; not audio, stereo, no samples,
 * a data chunk cut short, a short read or a bad value: RNL_ERR_DATA; each message is one
 * line naming the file. */
rnl_status rnl_wav_read(const char *path, float **samples, size_t *n, int *rate);

/* Write n samples (any real values; each is clipped to [-1, 1) and rounded to the nearest
 * 16-bit step, v -> clamp(round(v * 32768), -32768, 32767)) as a 16-bit PCM mono WAV at
 * `rate` Hz. Atomic: the file appears complete or not at all. RNL_ERR_IO names the file. */
rnl_status rnl_wav_write16(const char *path, const float *samples, size_t n, int rate);

/* Open the FSDD-style directory dir (manifest.tsv and recordings/) as a data set: fills d as
 * rnl_dataset_open expects (kind "speech", input 20, output 10, MoG head with 20 mixtures,
 * mean/std of the training split, steps/fill/destroy). scheme: "index" (the default when
 * NULL or "") uses the manifest's split_by_index column, "speaker" split_by_speaker; any
 * other is RNL_ERR_USAGE.
 *
 * manifest.tsv: a header line of tab-separated column names that must include file,
 * split_by_index and split_by_speaker (each once); if a "samples" column is present, each
 * recording must hold exactly that many samples (this catches truncated data). Then one
 * line per recording with exactly as many fields as the header; file is a name inside
 * recordings/ (no '/'), unique; split values are train, valid or test. Any deviation is
 * RNL_ERR_DATA naming manifest.tsv and the line. Every recording is read with
 * rnl_wav_read. The training split must have at least 2 samples and a positive std. */
rnl_status rnl_speech_open(const char *dir, const char *scheme, rnl_dataset *d);

/* Samples in a split of a data set opened by rnl_speech_open (all of each recording, also
 * those before the first target and after the last). */
size_t rnl_speech_samples(const rnl_dataset *d, int split);

/* Bits per sample of the 16-bit signal from an NLL in nats per step of O standardised
 * samples: the density over z = (v/32768 - mean)/std is p_int(v) = p_z(z) / (std * 32768)
 * per sample, so
 *     bits/sample = (nll_per_step / O + ln(std * 32768)) / ln 2.                          */
double rnl_speech_bits_per_sample(double nll_per_step, int O, double std);

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

#endif
