/* sample.h — generating from a trained model (the layer; its functions are public): audio from a MoG speech model,
 * piano rolls from a Bernoulli music model, and what the music sampler needs to start (a
 * prime roll, the frame grid of a model's data). The tool's `sample` command is a thin
 * wrapper (docs/SPEECH.md, docs/MUSIC_IO.md). This layer runs models and reads data and
 * checkpoints: it sits above core, data and io. */
#ifndef RNL_SAMPLE_H
#define RNL_SAMPLE_H

#include <stdint.h>
#include "rnnlab.h"

/* The samplers' functions are public, declared in rnnlab.h with their contracts:
 * rnl_speech_sample (sample_speech.c); rnl_music_sample, rnl_music_model_frame and
 * rnl_music_prime (sample_music.c). */

#endif
