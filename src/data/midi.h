/* midi.h — Standard MIDI Files (SMF) read into a list of notes, and written from one
 * (internal API).
 *
 * Reader. A file is untrusted input: every byte read is bounds-checked against its chunk and
 * the file, and anything the reader does not understand or does not support is refused with
 * RNL_ERR_DATA and one line naming the file and the problem:
 *   - the header chunk must be "MThd" with length >= 6 (extra bytes skipped); format 0 or 1
 *     (format 2, independent sequences, is refused); at least one and at most
 *     RNL_MIDI_MAX_TRACKS tracks; the division must be ticks per quarter note (> 0): SMPTE
 *     time codes (bit 15 set) are refused;
 *   - the declared tracks must all be present; a chunk whose length runs past the end of the
 *     file is refused; chunks with another id of four printable ASCII characters are skipped
 *     (the standard's rule for alien chunks), any other id is refused;
 *   - inside a track: delta times are variable-length quantities of at most 4 bytes; running
 *     status is honoured for channel messages (a data byte with no status before it is
 *     refused); data bytes must be < 0x80; system-exclusive events (F0, F7) are skipped;
 *     meta events are read for tempo (FF 51), key signature (FF 59) and end of track (FF 2F,
 *     which ends the track; bytes after it in the chunk are ignored); sysex and meta events
 *     cancel running status; F1..FE other than F7 are refused; an event cut off by the end
 *     of its chunk is refused. A track without an end-of-track event ends at its chunk's end.
 *   - files larger than RNL_MIDI_MAX_BYTES are refused before they are read.
 * Notes: a note-on with velocity > 0 starts a note on (channel, key); a note-off or a
 * note-on with velocity 0 ends it. A second note-on for a key that is already sounding on
 * the same channel ends the first one at that tick. A note-off with no note sounding is
 * ignored; notes still sounding at the end of their track end there. Zero-length notes are
 * dropped. Times are absolute ticks, 64-bit, per track from 0 (format 1 tracks share one
 * time line).
 *
 * Writer. Format 0, one track, all events with their own status byte (no running status):
 * a tempo meta event, a program change, note-on (velocity RNL_MIDI_VELOCITY) and note-off
 * (velocity 64) pairs on channel 0, and an end-of-track meta event at the given end tick.
 * At one tick, note-offs come before note-ons, each group in ascending key order. */
#ifndef RNL_MIDI_H
#define RNL_MIDI_H

#include <stddef.h>
#include <stdint.h>
#include "rnnlab.h"

#define RNL_MIDI_MAX_BYTES (64u << 20) /* largest file the reader accepts */
#define RNL_MIDI_MAX_TRACKS 1024        /* most tracks a header may declare */
#define RNL_MIDI_VELOCITY 80            /* note-on velocity the writer uses */

/* One note: key sounding on channel from tick start (inclusive) to end (exclusive). */
typedef struct {
    uint64_t start, end; /* ticks, start < end */
    uint8_t key;         /* MIDI note number 0..127 */
    uint8_t channel;     /* 0..15 (9 is the General MIDI drum channel, "channel 10") */
    uint8_t velocity;    /* 1..127 */
} rnl_midi_note;

/* What the reader keeps of a file. */
typedef struct {
    int format;            /* 0 or 1 */
    int ntracks;           /* MTrk chunks read */
    int ppq;               /* ticks per quarter note, > 0 */
    rnl_midi_note *notes;  /* [nnotes], in the order they ended, malloc'd */
    size_t nnotes;
    uint64_t end_tick;     /* the latest end-of-track (or last event) tick of any track */
    uint32_t tempo_us;     /* first tempo meta event, microseconds per quarter (500000 if none) */
    int has_key;           /* 1 if a key-signature meta event was seen */
    int key_sharps;        /* its sf byte: -7 (7 flats) .. 7 (7 sharps) */
    int key_minor;         /* its mi byte: 0 major, 1 minor */
} rnl_midi;

/* Parse a whole file from memory; `what` names the source in messages. On failure *out is
 * left zeroed (nothing to free). */
rnl_status rnl_midi_parse(const unsigned char *bytes, size_t n, const char *what,
                          rnl_midi *out);
/* Read and parse a file (RNL_ERR_IO if it cannot be read). */
rnl_status rnl_midi_read(const char *path, rnl_midi *out);
/* Free the notes and zero the struct; NULL is accepted. */
void rnl_midi_free(rnl_midi *m);
/* 1 if name ends in .mid or .midi (any case), else 0: how a MIDI file is recognised. */
int rnl_midi_has_ext(const char *name);

/* Serialise notes (any order; channel 0 is used whatever their channel field says) as a
 * format-0 file with division ppq (1..32767), tempo in microseconds per quarter note
 * (1..0xFFFFFF), General MIDI program 0..127 and an end-of-track event at end_tick (moved
 * later if a note ends after it). *bytes is malloc'd; the caller frees it. Overlapping notes
 * of one key must not be given (the roll writer never produces them). */
rnl_status rnl_midi_serialize(const rnl_midi_note *notes, size_t n, int ppq, uint32_t tempo_us,
                              int program, uint64_t end_tick, unsigned char **bytes,
                              size_t *nbytes);

#endif
