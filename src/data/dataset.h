/* dataset.h — opening a data set by name or path and freeing it (internal API). The struct
 * it returns, rnl_dataset, is adapter.h's; the split indices and names are split.h's. */
#ifndef RNL_DATASET_H
#define RNL_DATASET_H

#include "data/adapter.h"
#include "rnnlab.h"

/* rnl_dataset_open and rnl_dataset_free are public (rnnlab.h): a name or path (see
 * dataroot.h); a directory is a speech set (rnl_speech_open), anything else a piano-roll .mat
 * file (rnl_music_open). What is not a data set is refused before an adapter sees it, in one
 * line saying what to do: a folder of MIDI files or a MIDI file (by extension or "MThd"), a
 * WAV file (RNL_ERR_USAGE: the user named the wrong thing), a directory without manifest.tsv
 * (RNL_ERR_DATA). */
/* Sum of steps over a split. */
double rnl_dataset_steps_total(const rnl_dataset *d, int split);

#endif
