/* speech.h — raw speech for the MoG head as a data set (internal API): the Free Spoken Digit
 * Dataset (FSDD) directory behind the rnl_dataset interface, the paper's framing and
 * normalisation, and the bits-per-sample conversion. The audio files are read by wav.h, the
 * manifest parsed by manifest.h; sampling audio from a model is sample/sample.h's.
 * docs/SPEECH.md has the details.
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
#include "data/adapter.h"
#include "rnnlab.h"

#define RNL_SPEECH_IN 20     /* samples of input per step */
#define RNL_SPEECH_OUT 10    /* samples predicted per step */
#define RNL_SPEECH_HOP 10    /* samples between consecutive steps (= OUT: targets tile) */
#define RNL_SPEECH_K 20      /* mixture components of the output layer */
#define RNL_SPEECH_RATE 8000 /* Hz of FSDD and of written samples */

/* Steps of a recording of n samples: floor((n-20)/10) if n >= 30, else 0. */
long rnl_speech_steps(size_t n);

/* Open the FSDD-style directory dir (manifest.tsv and recordings/) as a data set: fills d as
 * rnl_dataset_open expects (kind "speech", input 20, output 10, MoG head with 20 mixtures,
 * mean/std of the training split, steps/fill/destroy). scheme: "index" (the default when
 * NULL or "") uses the manifest's split_by_index column, "speaker" split_by_speaker; any
 * other is RNL_ERR_USAGE.
 *
 * manifest.tsv (format in manifest.h; a NUL byte in it is RNL_ERR_DATA): if a "samples"
 * column is present, each recording must hold exactly that many samples (this catches
 * truncated data). Every recording is read with rnl_wav_read (wav.h). The training split
 * must have at least 2 samples and a positive std. */
rnl_status rnl_speech_open(const char *dir, const char *scheme, rnl_dataset *d);

/* Samples in a split of a data set opened by rnl_speech_open (all of each recording, also
 * those before the first target and after the last). */
size_t rnl_speech_samples(const rnl_dataset *d, int split);

/* Bits per sample of the 16-bit signal from an NLL in nats per step of O standardised
 * samples: the density over z = (v/32768 - mean)/std is p_int(v) = p_z(z) / (std * 32768)
 * per sample, so
 *     bits/sample = (nll_per_step / O + ln(std * 32768)) / ln 2.                          */
double rnl_speech_bits_per_sample(double nll_per_step, int O, double std);

#endif
