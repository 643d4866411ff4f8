/* music_data.h — a piano-roll .mat file as a data set (internal API): the adapter between
 * music.h's reader and the rnl_dataset interface of adapter.h.
 *
 * Next-frame prediction: a sequence of T frames gives T−1 steps, input frame t, target
 * frame t+1 (input = output = the file's keys per frame, 88 for the benchmarks). */
#ifndef RNL_MUSIC_DATA_H
#define RNL_MUSIC_DATA_H

#include "data/adapter.h"
#include "rnnlab.h"

/* Load the .mat file at path with rnl_music_load and fill d as rnl_dataset_open expects
 * (kind "music", a Bernoulli head, no mixtures, mean 0, std 1, steps/fill/destroy; d->path is
 * left to the caller). On failure d is unchanged and the status is rnl_music_load's. */
rnl_status rnl_music_open(const char *path, rnl_dataset *d);

#endif
