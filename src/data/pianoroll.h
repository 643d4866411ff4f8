/* pianoroll.h — piano rolls to and from MIDI, MIDI folders to piano-roll .mat files, and
 * sampling a piano roll from a Bernoulli model (internal API; the tool's `sample` and
 * `data import-midi` commands are thin wrappers, docs/MUSIC_IO.md describes them).
 *
 * A piano roll is T frames of RNL_ROLL_KEYS 0/1 bytes, frame-major: roll[t*88 + k] is 1 when
 * MIDI note k + RNL_ROLL_LOW sounds in frame t (the layout of the benchmarks, music.h).
 *
 * The frame grid is fixed in ticks by the file's division (ppq, ticks per quarter note):
 * frame t covers [t*ppq/f, (t+1)*ppq/f) ticks for f = 1 (quarter), 2 (eighth) or 4
 * (sixteenth) frames per quarter note, in exact rational arithmetic, so any ppq works.
 * Tempo changes move the grid in seconds, not in ticks: a frame is always a note value,
 * never a duration. Time signatures are ignored (the grid does not need bar lines).
 *
 * The frame rule: a note sounds in frame t when it covers at least half of the frame.
 * A file has round((end of its longest track) / frame) frames — a trailing frame counts
 * when at least half of it lies before the end — and at least enough to hold its last note.
 * Writing a roll puts each run of 1s of a key on the grid exactly (start of the run's first
 * frame to end of its last) and end-of-track at T frames, so roll -> MIDI -> roll is the
 * identity, empty frames at either end included. */
#ifndef RNL_PIANOROLL_H
#define RNL_PIANOROLL_H

#include <stdint.h>
#include <stdio.h>
#include "data/midi.h"
#include "data/music.h"
#include "rnnlab.h"

#define RNL_ROLL_KEYS 88           /* piano keys A0 .. C8 */
#define RNL_ROLL_LOW 21            /* MIDI note of key 0 */
#define RNL_ROLL_PPQ 480           /* division of the files the writer makes */
#define RNL_ROLL_MAX_FRAMES 200000 /* longest roll read from one MIDI file */

/* Frames per quarter note of a grid name ("quarter" 1, "eighth" 2, "sixteenth" 4);
 * RNL_ERR_USAGE naming the option otherwise. */
rnl_status rnl_frame_parse(const char *name, const char *option, int *fpq);
const char *rnl_frame_name(int fpq);

/* Counts of what the MIDI -> roll conversion left out. */
typedef struct {
    size_t notes;        /* notes read from the file (all channels) */
    size_t drum;         /* on channel 10 (index 9), ignored */
    size_t out_of_range; /* outside 21..108 after transposition, dropped */
    size_t too_short;    /* covered no frame by half, so sounded in none */
} rnl_roll_stats;

/* A parsed file to a roll on the grid of fpq frames per quarter note, every note moved by
 * shift semitones first. *roll is malloc'd (T*88 bytes; NULL when T is 0); stats may be
 * NULL. RNL_ERR_DATA naming `what` if the roll would exceed RNL_ROLL_MAX_FRAMES. */
rnl_status rnl_roll_from_midi(const rnl_midi *m, int fpq, int shift, const char *what,
                              uint8_t **roll, int *T, rnl_roll_stats *stats);

/* Semitones (-6..5) that move the tonic of a key signature (sf = sharps, negative for flats;
 * minor 0/1) to C: the major key to C major, the minor key to C minor. */
int rnl_key_shift_to_c(int sharps, int minor);

/* A roll as a format-0 MIDI file (division RNL_ROLL_PPQ, fpq frames per quarter note, tempo
 * in quarter notes per minute, General MIDI program), in memory or written atomically. */
rnl_status rnl_roll_to_midi(const uint8_t *roll, int T, int fpq, double bpm, int program,
                            unsigned char **bytes, size_t *n);
rnl_status rnl_roll_write_midi(const char *path, const uint8_t *roll, int T, int fpq,
                               double bpm, int program);

/* Write three splits (dim 88) as a MAT v5 file in the benchmarks' layout: traindata,
 * validdata, testdata, 1xN cell arrays of T x 88 double 0/1 matrices, zlib-compressed.
 * libmatio writes a temporary file beside path, which is read back with rnl_music_load
 * (and compared) before it is renamed into place; nothing appears at path on failure. */
rnl_status rnl_music_write_mat(const char *path, const rnl_seqset split[3]);

/* ------------------------------------------------------------------------------------------
 * Import of a folder of MIDI files
 * ---------------------------------------------------------------------------------------- */
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
 * RNL_ERR_NOMEM) or has no note in range is skipped with one line "warning: <message>" on
 * log (NULL: silent). The kept files are shuffled with seed (Fisher-Yates, rnl_rng) and cut
 * into valid = round(n*frac[1]), test = round(n*frac[2]) and train = the rest (at least 1).
 * RNL_ERR_DATA if no file is kept or dir cannot be listed (RNL_ERR_IO). */
rnl_status rnl_import_midi(const rnl_import_opts *o, FILE *log, rnl_import_report *rep);

/* ------------------------------------------------------------------------------------------
 * Sampling
 * ---------------------------------------------------------------------------------------- */
/* Run a Bernoulli model with input = output = 88 one step at a time (B = 1): first over the
 * P prime frames (teacher forcing: input t is prime frame t), or over one all-zero frame
 * when P is 0; then `steps` times draw each key of the next frame with probability
 * sigmoid(logit / temperature) from an rnl_rng seeded with seed, and feed the drawn frame
 * back. *roll (malloc'd, (P + steps) * 88 bytes) holds the prime followed by the samples. */
rnl_status rnl_music_sample(const rnl_model *m, const uint8_t *prime, int P, int steps,
                            double temperature, uint64_t seed, uint8_t **roll);

/* Frames per quarter note for the data a model was trained on: 1 (quarter) when the name's
 * last path component contains "jsb" (any case: jsb, jsb_chorales.mat, JSB_Chorales.mat),
 * else 2 (eighth). */
int rnl_music_frame_for_data(const char *data);
/* The same from a checkpoint's "data" metadata (2 when it has none). */
rnl_status rnl_music_model_frame(const char *model_path, int *fpq);

/* A prime roll from a spec: a path ending in .mid or .midi (any case) is read with the grid
 * fpq (drum and out-of-range notes dropped); anything else is DATA:SPLIT:INDEX, e.g.
 * jsb:test:0, with DATA a name or .mat path resolved with data_root (may be NULL).
 * *roll is malloc'd; *P >= 1. */
rnl_status rnl_music_prime(const char *spec, const char *data_root, int fpq, uint8_t **roll,
                           int *P);

#endif
