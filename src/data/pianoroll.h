/* pianoroll.h — piano rolls to and from MIDI on a grid of note values, and the grid a data set
 * is sampled on (internal API; docs/MUSIC_IO.md describes the conversions). A folder of MIDI
 * files becomes a .mat data set through import.h; sampling a roll is sample/sample.h's.
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
#include "data/midi.h"
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
/* rnl_roll_write_midi, which writes that file, is public (rnnlab.h). */

/* Frames per quarter note for the data a model was trained on: 1 (quarter) when the name's
 * last path component contains "jsb" (any case: jsb, jsb_chorales.mat, JSB_Chorales.mat),
 * else 2 (eighth). */
int rnl_music_frame_for_data(const char *data);

#endif
