/* import.h — a folder of MIDI files imported as a piano-roll .mat data set (internal API; the
 * tool's `data import-midi` command is a thin wrapper, docs/MUSIC_IO.md describes it). Each
 * file becomes one sequence through rnl_roll_from_midi (pianoroll.h); the file is written by
 * rnl_music_write_mat (matwrite.h). */
#ifndef RNL_IMPORT_H
#define RNL_IMPORT_H

#include <stdint.h>
#include "data/pianoroll.h"
#include "rnnlab.h"

typedef struct {
    const char *dir;    /* searched recursively; files named *.mid / *.midi, any case */
    const char *out;    /* the .mat file to write */
    int fpq;            /* frames per quarter note: 1, 2 or 4 */
    int transpose;      /* 1: move each file's key (first key signature) to C major / minor */
    double frac[3];     /* train, valid, test fractions, >= 0, sum 1 */
    uint64_t seed;      /* shuffle of the files before the split */
} rnl_import_opts;

typedef struct {
    int found;            /* MIDI files found */
    int kept;             /* written as sequences */
    int skipped;          /* unreadable, unsupported or without notes (one warning each) */
    int no_key;           /* kept without transposition: no key signature (warned) */
    int nseq[3];          /* sequences per split */
    size_t frames[3];     /* frames per split */
    rnl_roll_stats stats; /* summed over the kept files */
} rnl_import_report;

/* Files are listed, sorted by path, read and converted; a file that fails (any status but
 * RNL_ERR_NOMEM) or has no note in range is skipped with the line
 * "warning: skipped <message>" to sink(sink_ctx, line); with transpose, a kept file without
 * a key signature gives "warning: <path>: no key signature, kept untransposed" (sink NULL:
 * silent; lines carry no newline, see rnl_log_fn in rnnlab.h). The kept files are shuffled
 * with seed (Fisher-Yates, rnl_rng) and cut into valid = round(n*frac[1]),
 * test = round(n*frac[2]) and train = the rest (at least 1). RNL_ERR_DATA if no file is kept
 * or dir cannot be listed (RNL_ERR_IO). */
rnl_status rnl_import_midi(const rnl_import_opts *o, rnl_log_fn sink, void *sink_ctx,
                           rnl_import_report *rep);

#endif
