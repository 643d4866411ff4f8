/* dataset.h — opening a data set by name or path and freeing it (internal API). The struct
 * it returns, rnl_dataset, is adapter.h's; the split indices and names are split.h's. */
#ifndef RNL_DATASET_H
#define RNL_DATASET_H

#include "data/adapter.h"
#include "rnnlab.h"

/* rnl_dataset_open and rnl_dataset_free are public (rnnlab.h): a name or path (see
 * dataroot.h); a directory is a speech set (rnl_speech_open), a .mat file a piano-roll set
 * (rnl_music_open), an .npz file NumPy sequences (rnl_npz_open; an .npy is refused,
 * RNL_ERR_USAGE), any other file text (rnl_text_open: its bytes are the symbols). What is not
 * a data set is refused before an adapter sees it, in one line saying what to do: a folder of
 * MIDI files or a MIDI file (by extension or "MThd"), a WAV file (RNL_ERR_USAGE: the user
 * named the wrong thing), a directory without manifest.tsv (RNL_ERR_DATA). */
/* How to cut what rnl_dataset_open cannot know from the file: the speech split scheme, and
 * for text the split fractions and (evaluating a model) the model's vocabulary. */
typedef struct {
    const char *scheme;   /* speech: "index" or "speaker"; NULL = default */
    const char *split;    /* text: "TRAIN/VALID/TEST" percentages; NULL = "90/5/5" */
    const char *vocab;    /* text: symbols as rnl_model_meta.vocab; NULL = the distinct bytes of
                           * the training split */
} rnl_data_opts;
/* rnl_dataset_open with every choice: o may be NULL (the defaults). */
rnl_status rnl_dataset_open_with(const char *name, const char *root, const rnl_data_opts *o,
                                 rnl_dataset **out);
/* 1 if name (resolved as rnl_dataset_open resolves it) is a file that it would read as text,
 * without reading it (a search's trials take the text defaults: options.h); 0 otherwise,
 * and for anything that does not resolve (which may leave a message as the last error). */
int rnl_dataset_is_text(const char *name, const char *root);
/* Sum of steps over a split. */
double rnl_dataset_steps_total(const rnl_dataset *d, int split);

#endif
