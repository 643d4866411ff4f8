/* test_midi.c — MIDI reader and writer (src/data/midi.c), piano roll <-> MIDI
 * (src/data/pianoroll.c), folder import (src/data/import.c, src/data/matwrite.c) and sampling
 * (src/sample/sample_music.c).
 *
 * Every file is generated here in a temporary directory: the writer's bytes are compared
 * with a hand-assembled file; random rolls must survive roll -> MIDI -> roll unchanged;
 * hand-assembled files check the reader's event handling and the half-frame rule; malformed
 * files (and every truncation and many byte flips of a good one) must fail with
 * RNL_ERR_DATA naming the file, never crash; a generated folder with a broken file is
 * imported and read back with rnl_music_load; sampling from a small random model is
 * checked for determinism and key range. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "data/midi.h"
#include "data/music.h"
#include "data/import.h"
#include "data/pianoroll.h"
#include "io/util.h"
#include "sample/sample.h"

static char g_tmp[256]; /* the test's temporary directory */

static const char *tmp_path(const char *name) {
    static char paths[32][512];
    static int next;
    char *p = paths[next++ % 32];
    snprintf(p, 512, "%s/%s", g_tmp, name);
    return p;
}

static const char *write_bytes(const char *name, const void *data, size_t n) {
    const char *path = tmp_path(name);
    CHECK(rnl_write_file_atomic(path, data, n) == RNL_OK, "write %s: %s", path, rnl_last_error());
    return path;
}

/* A random roll of T frames: each key on with probability p (1/1000 units), key 0 and 87
 * forced on somewhere when T > 2, the first and last frame empty when `quiet_ends`. */
static uint8_t *random_roll(uint64_t *state, int T, int p_milli, int quiet_ends) {
    uint8_t *r = calloc((size_t)(T ? T : 1), RNL_ROLL_KEYS);
    rnl_rng g;
    rnl_rng_seed(&g, (*state)++);
    for (int t = 0; t < T; t++)
        for (int k = 0; k < RNL_ROLL_KEYS; k++)
            r[t * RNL_ROLL_KEYS + k] = (int)rnl_rng_below(&g, 1000) < p_milli;
    if (T > 2) {
        r[(T / 2) * RNL_ROLL_KEYS + 0] = 1;
        r[(T / 2) * RNL_ROLL_KEYS + 87] = 1;
        r[(T / 2 + 1) * RNL_ROLL_KEYS + 87] = 1; /* a held edge note */
    }
    if (quiet_ends && T > 0) {
        memset(r, 0, RNL_ROLL_KEYS);
        memset(r + (size_t)(T - 1) * RNL_ROLL_KEYS, 0, RNL_ROLL_KEYS);
    }
    return r;
}

/* ================================================================ writer bytes ====== */

static void test_writer_bytes(void) {
    /* Frame 0: C4 (60); frame 1: C4 and E4 (64); frame 2: silent. Quarter-note frames at
     * 480 ticks, 120 BPM (500000 us = 07 A1 20), program 0. */
    uint8_t roll[3 * RNL_ROLL_KEYS] = {0};
    roll[0 * RNL_ROLL_KEYS + 60 - 21] = 1;
    roll[1 * RNL_ROLL_KEYS + 60 - 21] = 1;
    roll[1 * RNL_ROLL_KEYS + 64 - 21] = 1;
    static const unsigned char want[] = {
        'M', 'T', 'h', 'd', 0, 0, 0, 6, 0, 0, 0, 1, 0x01, 0xE0, /* format 0, 1 track, 480 */
        'M', 'T', 'r', 'k', 0, 0, 0, 33,
        0x00, 0xFF, 0x51, 0x03, 0x07, 0xA1, 0x20, /* tempo */
        0x00, 0xC0, 0x00,                         /* program change */
        0x00, 0x90, 0x3C, 0x50,                   /* t=0    C4 on */
        0x83, 0x60, 0x90, 0x40, 0x50,             /* t=480  E4 on */
        0x83, 0x60, 0x80, 0x3C, 0x40,             /* t=960  C4 off */
        0x00, 0x80, 0x40, 0x40,                   /*        E4 off */
        0x83, 0x60, 0xFF, 0x2F, 0x00,             /* t=1440 end of track */
    };
    unsigned char *b = NULL;
    size_t n = 0;
    CHECK(rnl_roll_to_midi(roll, 3, 1, 120, 0, &b, &n) == RNL_OK, "writer: %s", rnl_last_error());
    CHECK(n == sizeof want && b && memcmp(b, want, n) == 0, "writer bytes differ from the hand-assembled file (%zu vs %zu bytes)", n, sizeof want);
    free(b);
    /* Eighth notes: 240 ticks (0x81 0x70) per frame; program 5; 60 BPM = 1000000 us. */
    uint8_t one[2 * RNL_ROLL_KEYS] = {0};
    one[1 * RNL_ROLL_KEYS + 0] = 1; /* A0 in frame 1 */
    static const unsigned char want2[] = {
        'M', 'T', 'h', 'd', 0, 0, 0, 6, 0, 0, 0, 1, 0x01, 0xE0,
        'M', 'T', 'r', 'k', 0, 0, 0, 24,
        0x00, 0xFF, 0x51, 0x03, 0x0F, 0x42, 0x40,
        0x00, 0xC0, 0x05,
        0x81, 0x70, 0x90, 0x15, 0x50,
        0x81, 0x70, 0x80, 0x15, 0x40,
        0x00, 0xFF, 0x2F, 0x00,
    };
    CHECK(rnl_roll_to_midi(one, 2, 2, 60, 5, &b, &n) == RNL_OK, "writer: %s", rnl_last_error());
    CHECK(n == sizeof want2 && b && memcmp(b, want2, n) == 0, "writer bytes (eighth, A0) differ");
    free(b);
    CHECK(rnl_roll_to_midi(one, 2, 3, 60, 0, &b, &n) == RNL_ERR_USAGE, "fpq 3 refused");
    CHECK(rnl_roll_to_midi(one, 2, 2, 1, 0, &b, &n) == RNL_ERR_USAGE, "1 BPM does not fit 24 bits");
}

/* ================================================================ round trip ======== */

static int roundtrip(const uint8_t *roll, int T, int fpq, int via_file) {
    unsigned char *b = NULL;
    size_t n = 0;
    rnl_midi m;
    uint8_t *back = NULL;
    int T2 = -1, ok = 0;
    rnl_status st;
    if (via_file) {
        const char *p = tmp_path("rt.mid");
        st = rnl_roll_write_midi(p, roll, T, fpq, 100, 0);
        if (!st) st = rnl_midi_read(p, &m);
    } else {
        st = rnl_roll_to_midi(roll, T, fpq, 100, 0, &b, &n);
        if (!st) st = rnl_midi_parse(b, n, "memory", &m);
    }
    if (!st) {
        rnl_roll_stats s;
        st = rnl_roll_from_midi(&m, fpq, 0, "memory", &back, &T2, &s);
        ok = !st && T2 == T && (T == 0 || memcmp(back, roll, (size_t)T * RNL_ROLL_KEYS) == 0) &&
             s.too_short == 0 && s.drum == 0 && s.out_of_range == 0;
        rnl_midi_free(&m);
    }
    free(b);
    free(back);
    return ok;
}

static void test_roundtrip(void) {
    uint64_t seed = 100;
    static const int dens[] = {0, 20, 150, 500, 900, 1000};
    static const int lens[] = {0, 1, 2, 3, 17, 160, 400};
    int fails = 0, runs = 0;
    for (int di = 0; di < 6; di++)
        for (int li = 0; li < 7; li++)
            for (int fpq = 1; fpq <= 4; fpq *= 2)
                for (int q = 0; q < 2; q++) {
                    int T = lens[li];
                    uint8_t *r = random_roll(&seed, T, dens[di], q);
                    if (!roundtrip(r, T, fpq, runs % 7 == 0)) {
                        fails++;
                        fprintf(stderr, "round trip failed: T=%d density=%d fpq=%d quiet_ends=%d\n", T, dens[di], fpq, q);
                    }
                    runs++;
                    free(r);
                }
    CHECK(fails == 0, "%d of %d random rolls did not survive roll -> MIDI -> roll", fails, runs);
    /* Only silence: the length is carried by end-of-track alone. */
    uint8_t silent[5 * RNL_ROLL_KEYS] = {0};
    CHECK(roundtrip(silent, 5, 2, 0), "5 silent frames round trip");
}

/* ================================================================ reader ============ */

static void test_reader_events(void) {
    /* Format 1, 2 tracks, ppq 96, eighth grid (48 ticks per frame). Track 0: tempo, key
     * signature (D major), sysex, text. Track 1: running status, note-on velocity 0 as
     * note-off, a drum note, an out-of-range note, a short note, a late note. */
    static const unsigned char f[] = {
        'M', 'T', 'h', 'd', 0, 0, 0, 6, 0, 1, 0, 2, 0, 96,
        'M', 'T', 'r', 'k', 0, 0, 0, 28,
        0x00, 0xFF, 0x51, 0x03, 0x09, 0x27, 0xC0, /* 600000 us */
        0x00, 0xFF, 0x59, 0x02, 0x02, 0x00,       /* D major */
        0x00, 0xF0, 0x03, 0x7E, 0x7F, 0xF7,       /* sysex, skipped */
        0x00, 0xFF, 0x01, 0x01, 'x',              /* text */
        0x00, 0xFF, 0x2F, 0x00,
        'M', 'T', 'r', 'k', 0, 0, 0, 51,
        0x00, 0x90, 60, 100,      /* t=0   C4 on */
        0x00, 64, 90,             /* t=0   E4 on (running status) */
        0x60, 60, 0,              /* t=96  C4 off (velocity 0, running status) */
        0x00, 0x99, 36, 100,      /* t=96  drum note on channel 10 */
        0x10, 0x89, 36, 0,        /* t=112 drum off */
        0x00, 0x90, 10, 100,      /* t=112 note 10: below A0 */
        0x10, 0x80, 64, 0,        /* t=128 E4 off -> E4 covers frames 0, 1 and 2/3 of 2 */
        0x00, 0x80, 10, 0,        /* t=128 */
        0x00, 0x90, 67, 100,      /* t=128 G4 on: 32 ticks into frame 2 */
        0x14, 0x80, 67, 0,        /* t=148 off: 16 + 4 ticks, under 24 in both frames */
        0x0C, 0x90, 72, 100,      /* t=160 C5 on: 16 ticks into frame 3 */
        0x81, 0x00, 0x80, 72, 0,  /* t=288 off: covers 2/3 of frame 3, frames 4, 5 */
        0x00, 0xFF, 0x2F, 0x00,
    };
    rnl_midi m;
    CHECK(rnl_midi_parse(f, sizeof f, "events", &m) == RNL_OK, "parse: %s", rnl_last_error());
    CHECK(m.format == 1 && m.ntracks == 2 && m.ppq == 96, "header %d %d %d", m.format, m.ntracks, m.ppq);
    CHECK(m.tempo_us == 600000, "tempo %u", (unsigned)m.tempo_us);
    CHECK(m.has_key && m.key_sharps == 2 && m.key_minor == 0, "key signature");
    CHECK(m.nnotes == 6 && m.end_tick == 288, "%zu notes, end %llu", m.nnotes, (unsigned long long)m.end_tick);
    uint8_t *r = NULL;
    int T = 0;
    rnl_roll_stats s;
    CHECK(rnl_roll_from_midi(&m, 2, 0, "events", &r, &T, &s) == RNL_OK, "to roll: %s", rnl_last_error());
    CHECK(T == 6, "T = %d (288 ticks / 48)", T);
    CHECK(s.notes == 6 && s.drum == 1 && s.out_of_range == 1 && s.too_short == 1, "stats %zu %zu %zu %zu", s.notes, s.drum, s.out_of_range, s.too_short);
    static const int want[6][3] = {{60, 64, 0}, {60, 64, 0}, {64, 0, 0}, {72, 0, 0}, {72, 0, 0}, {72, 0, 0}};
    int good = r != NULL;
    for (int t = 0; t < T && good; t++) {
        int cnt = 0;
        for (int k = 0; k < RNL_ROLL_KEYS; k++) cnt += r[t * RNL_ROLL_KEYS + k];
        int wc = 0;
        for (int j = 0; j < 3 && want[t][j]; j++, wc++)
            if (!r[t * RNL_ROLL_KEYS + want[t][j] - 21]) good = 0;
        if (cnt != wc) good = 0;
    }
    CHECK(good, "frames of the hand-assembled file");
    free(r);
    /* Transposed by the key signature: D major -> C major is 2 down. */
    CHECK(rnl_roll_from_midi(&m, 2, rnl_key_shift_to_c(m.key_sharps, m.key_minor), "events", &r, &T, NULL) == RNL_OK && r &&
              r[58 - 21] && r[62 - 21] && !r[60 - 21],
          "transposed to C major");
    free(r);
    /* Quarter grid (96 ticks): E4 covers frame 0 and a third of frame 1, C5 a third of
     * frame 1 and all of frame 2. */
    CHECK(rnl_roll_from_midi(&m, 1, 0, "events", &r, &T, NULL) == RNL_OK && T == 3 && r &&
              r[60 - 21] && r[64 - 21] && !r[RNL_ROLL_KEYS + 64 - 21] && !r[RNL_ROLL_KEYS + 72 - 21] && r[2 * RNL_ROLL_KEYS + 72 - 21],
          "quarter grid of the hand-assembled file (T=%d)", T);
    free(r);
    rnl_midi_free(&m);

    CHECK(rnl_key_shift_to_c(0, 0) == 0 && rnl_key_shift_to_c(1, 0) == 5 && rnl_key_shift_to_c(2, 0) == -2 &&
              rnl_key_shift_to_c(-1, 0) == -5 && rnl_key_shift_to_c(0, 1) == 3 && rnl_key_shift_to_c(-3, 1) == 0 &&
              rnl_key_shift_to_c(6, 0) == -6 && rnl_key_shift_to_c(-7, 0) == 1,
          "key shifts to C");
}

/* ================================================================ malformed ========= */

/* A valid format-0 file: one note, end of track. */
static const unsigned char GOOD[] = {
    'M', 'T', 'h', 'd', 0, 0, 0, 6, 0, 0, 0, 1, 0, 96,
    'M', 'T', 'r', 'k', 0, 0, 0, 20,
    0x00, 0xFF, 0x51, 0x03, 0x07, 0xA1, 0x20,
    0x00, 0x90, 60, 100,
    0x60, 0x80, 60, 0,
    0x00, 0xFF, 0x2F, 0x00,
    0x00, /* padding after end-of-track: ignored */
};

static void expect_bad(const char *name, const unsigned char *b, size_t n, const char *needle) {
    const char *path = write_bytes(name, b, n);
    rnl_midi m;
    rnl_status st = rnl_midi_read(path, &m);
    CHECK(st == RNL_ERR_DATA && strstr(rnl_last_error(), path) && strstr(rnl_last_error(), needle),
          "%s: status %d, message '%s' (want data, the path and '%s')", name, (int)st, rnl_last_error(), needle);
    CHECK(m.notes == NULL && m.nnotes == 0, "%s: nothing to free after a failure", name);
}

static void test_malformed(void) {
    rnl_midi m;
    CHECK(rnl_midi_parse(GOOD, sizeof GOOD, "good", &m) == RNL_OK && m.nnotes == 1, "the good file parses: %s", rnl_last_error());
    rnl_midi_free(&m);
    unsigned char b[64];
    size_t n = sizeof GOOD;
#define MUT(stmt) (memcpy(b, GOOD, n), (stmt))
    expect_bad("trunc_header.mid", GOOD, 10, "header");
    MUT(b[7] = 200);
    expect_bad("header_len.mid", b, n, "truncated MIDI header");
    MUT(b[3] = 'x');
    expect_bad("bad_magic.mid", b, n, "MThd");
    MUT((b[14] = 0, b[15] = 1, b[16] = 2, b[17] = 3));
    expect_bad("bad_chunk_id.mid", b, n, "bad chunk id");
    MUT(b[21] = 200);
    expect_bad("track_past_eof.mid", b, n, "past the end");
    expect_bad("no_track.mid", GOOD, 14, "tracks present");
    /* Chunk lengths 13 and 14: the note-off is cut after its status byte, its key. */
    MUT(b[21] = 13);
    expect_bad("trunc_track.mid", b, 22 + 13, "truncated");
    MUT(b[21] = 14);
    expect_bad("trunc_track2.mid", b, 22 + 14, "truncated");
    MUT((b[29] = 0x81, b[30] = 0x80, b[31] = 0x80, b[32] = 0x80, b[33] = 0x00));
    expect_bad("long_vlq.mid", b, n, "longer than 4 bytes");
    MUT((b[12] = 0xE7, b[13] = 0x28));
    expect_bad("smpte.mid", b, n, "SMPTE");
    MUT(b[9] = 2);
    expect_bad("format2.mid", b, n, "format 2");
    MUT(b[11] = 0);
    expect_bad("zero_tracks.mid", b, n, "no tracks");
    MUT(b[30] = 60); /* the first channel event has no status byte */
    expect_bad("no_status.mid", b, n, "no running status");
    MUT(b[30] = 0xF4);
    expect_bad("bad_status.mid", b, n, "not allowed");
    MUT(b[31] = 0x90);
    expect_bad("data_high.mid", b, n, ">= 0x80");
    MUT((b[12] = 0, b[13] = 0));
    expect_bad("division0.mid", b, n, "division");
#undef MUT
    /* An alien chunk with a printable id is skipped. */
    unsigned char alien[128];
    memcpy(alien, GOOD, 14);
    memcpy(alien + 14, "XFIH\0\0\0\2ab", 10);
    memcpy(alien + 24, GOOD + 14, sizeof GOOD - 14);
    CHECK(rnl_midi_parse(alien, 10 + sizeof GOOD, "alien", &m) == RNL_OK && m.nnotes == 1, "alien chunk skipped: %s", rnl_last_error());
    rnl_midi_free(&m);

    /* Every truncation fails cleanly; byte flips never crash and leave a sane result. */
    int bad = 0;
    for (size_t len = 0; len < sizeof GOOD; len++) {
        rnl_status st = rnl_midi_parse(GOOD, len, "cut", &m);
        if (st != RNL_ERR_DATA) bad++;
        rnl_midi_free(&m);
    }
    CHECK(bad == 0, "%d truncations of the good file were not refused", bad);
    rnl_rng g;
    rnl_rng_seed(&g, 9);
    int odd = 0;
    for (int i = 0; i < 20000; i++) {
        memcpy(b, GOOD, sizeof GOOD);
        int flips = 1 + (int)rnl_rng_below(&g, 3);
        for (int j = 0; j < flips; j++) b[rnl_rng_below(&g, sizeof GOOD)] = (unsigned char)rnl_rng_next(&g);
        rnl_status st = rnl_midi_parse(b, sizeof GOOD, "flip", &m);
        if (st == RNL_OK) {
            uint8_t *r = NULL;
            int T = 0;
            for (size_t k = 0; k < m.nnotes; k++)
                if (m.notes[k].end <= m.notes[k].start || m.notes[k].key > 127) odd++;
            st = rnl_roll_from_midi(&m, 4, 0, "flip", &r, &T, NULL);
            if (st != RNL_OK && st != RNL_ERR_DATA) odd++;
            free(r);
        } else if (st != RNL_ERR_DATA) {
            odd++;
        }
        rnl_midi_free(&m);
    }
    CHECK(odd == 0, "%d byte-flipped files gave an unexpected result", odd);
    CHECK(rnl_midi_read(tmp_path("missing.mid"), &m) == RNL_ERR_IO, "missing file is an I/O error");
}

/* ================================================================ import ============ */

static int seq_matches(const rnl_seqset *s, int i, uint8_t **rolls, const int *lens, int nr) {
    for (int j = 0; j < nr; j++)
        if (lens[j] == s->len[i] && memcmp(rolls[j], s->frames + s->off[i] * RNL_ROLL_KEYS, (size_t)lens[j] * RNL_ROLL_KEYS) == 0)
            return j;
    return -1;
}

/* A log sink that keeps the lines, each followed by '\n' (as the tool prints them). */
typedef struct {
    char text[8192];
    int lines;
} log_text;

static void collect_line(void *ctx, const char *line) {
    log_text *l = ctx;
    size_t used = strlen(l->text);
    snprintf(l->text + used, sizeof l->text - used, "%s\n", line);
    l->lines++;
}

static void test_import(void) {
    char dir[512], sub[600];
    snprintf(dir, sizeof dir, "%s/midis", g_tmp);
    snprintf(sub, sizeof sub, "%s/more", dir);
    CHECK(rnl_mkdir_p(sub) == RNL_OK, "mkdir %s", sub);
    enum { NR = 12 };
    uint8_t *rolls[NR];
    int lens[NR], total = 0;
    uint64_t seed = 500;
    for (int i = 0; i < NR; i++) {
        lens[i] = 5 + 7 * i;
        rolls[i] = random_roll(&seed, lens[i], 60, i % 2);
        total += lens[i];
        char name[700];
        snprintf(name, sizeof name, "%s/song%02d.%s", i < 9 ? dir : sub, i, i % 3 ? "mid" : "MIDI");
        CHECK(rnl_roll_write_midi(name, rolls[i], lens[i], 4, 90, 0) == RNL_OK, "write %s: %s", name, rnl_last_error());
    }
    char p[800];
    snprintf(p, sizeof p, "%s/broken.mid", dir);
    FILE *f = fopen(p, "wb");
    if (f) {
        fwrite(GOOD, 1, 20, f);
        fclose(f);
    }
    snprintf(p, sizeof p, "%s/readme.txt", dir);
    if ((f = fopen(p, "wb"))) fclose(f);
    /* Drums only: read fine, no notes, skipped. */
    unsigned char drums[sizeof GOOD];
    memcpy(drums, GOOD, sizeof GOOD);
    drums[30] = 0x99;
    drums[34] = 0x89;
    snprintf(p, sizeof p, "%s/drums.mid", sub);
    CHECK(rnl_write_file_atomic(p, drums, sizeof drums) == RNL_OK, "write drums");

    const char *out = tmp_path("imported.mat");
    rnl_import_opts o = {dir, out, 4, 0, {0.6, 0.2, 0.2}, 7};
    rnl_import_report rep;
    log_text logbuf = {"", 0};
    rnl_status st = rnl_import_midi(&o, collect_line, &logbuf, &rep);
    CHECK(st == RNL_OK, "import: %s", rnl_last_error());
    CHECK(rep.found == NR + 2 && rep.kept == NR && rep.skipped == 2, "found %d kept %d skipped %d", rep.found, rep.kept, rep.skipped);
    CHECK(rep.nseq[0] == 8 && rep.nseq[1] == 2 && rep.nseq[2] == 2, "split %d/%d/%d", rep.nseq[0], rep.nseq[1], rep.nseq[2]);
    CHECK(rep.frames[0] + rep.frames[1] + rep.frames[2] == (size_t)total, "frames %zu+%zu+%zu vs %d", rep.frames[0], rep.frames[1], rep.frames[2], total);
    CHECK(logbuf.lines == 2 && strstr(logbuf.text, "warning: skipped ") == logbuf.text && strstr(logbuf.text, "broken.mid") &&
              strstr(logbuf.text, "drums.mid") && !strstr(logbuf.text, "\n\n"),
          "one warning line per skipped file, naming it: '%s'", logbuf.text);

    rnl_music mu;
    st = rnl_music_load(out, &mu);
    CHECK(st == RNL_OK, "rnl_music_load: %s", rnl_last_error());
    if (!st) {
        int seen[NR] = {0}, good = 1;
        for (int s = 0; s < 3; s++) {
            CHECK(mu.split[s].n == rep.nseq[s] && mu.split[s].total == rep.frames[s] && mu.split[s].dim == 88,
                  "split %d: %d sequences, %zu frames", s, mu.split[s].n, mu.split[s].total);
            for (int i = 0; i < mu.split[s].n; i++) {
                int j = seq_matches(&mu.split[s], i, rolls, lens, NR);
                if (j < 0 || seen[j]++) good = 0;
            }
        }
        CHECK(good, "every imported sequence is exactly one of the generated rolls");
        rnl_music_free(&mu);
    }
    /* Same seed, same split; another seed, another order. */
    rnl_music a, b2;
    const char *out2 = tmp_path("imported2.mat");
    o.out = out2;
    CHECK(rnl_import_midi(&o, NULL, NULL, &rep) == RNL_OK, "second import");
    if (rnl_music_load(out, &a) == RNL_OK) {
        if (rnl_music_load(out2, &b2) == RNL_OK) {
            int same = 1;
            for (int s = 0; s < 3; s++)
                same &= a.split[s].total == b2.split[s].total &&
                        memcmp(a.split[s].frames, b2.split[s].frames, a.split[s].total * 88) == 0;
            CHECK(same, "same seed gives the same splits");
            rnl_music_free(&b2);
        }
        o.seed = 8;
        CHECK(rnl_import_midi(&o, NULL, NULL, &rep) == RNL_OK, "third import");
        if (rnl_music_load(out2, &b2) == RNL_OK) {
            CHECK(memcmp(a.split[0].len, b2.split[0].len, 8 * sizeof(int)) != 0, "another seed gives another order");
            rnl_music_free(&b2);
        }
        rnl_music_free(&a);
    }
    /* One file: valid and test are empty and the loader accepts it. */
    char one[700];
    snprintf(one, sizeof one, "%s/one", g_tmp);
    rnl_mkdir_p(one);
    snprintf(p, sizeof p, "%s/x.mid", one);
    CHECK(rnl_write_file_atomic(p, GOOD, sizeof GOOD) == RNL_OK, "write x.mid");
    rnl_import_opts o1 = {one, tmp_path("one.mat"), 2, 1, {0.8, 0.1, 0.1}, 1};
    CHECK(rnl_import_midi(&o1, NULL, NULL, &rep) == RNL_OK && rep.kept == 1 && rep.nseq[0] == 1 && rep.no_key == 1,
          "one-file import: %s", rnl_last_error());
    CHECK(rnl_music_load(o1.out, &a) == RNL_OK && a.split[0].n == 1 && a.split[1].n == 0 && a.split[2].n == 0 &&
              a.split[0].len[0] == 2 && a.split[0].frames[60 - 21],
          "one-file .mat reads back: %s", rnl_last_error());
    rnl_music_free(&a);
    /* Nothing usable: an error, and no file written. */
    snprintf(p, sizeof p, "%s/x.mid", one);
    CHECK(rnl_write_file_atomic(p, GOOD, 12) == RNL_OK, "overwrite x.mid");
    o1.out = tmp_path("none.mat");
    CHECK(rnl_import_midi(&o1, NULL, NULL, &rep) == RNL_ERR_DATA && !rnl_file_exists(o1.out), "no usable file: %s", rnl_last_error());
    o1.frac[0] = 0.5;
    CHECK(rnl_import_midi(&o1, NULL, NULL, &rep) == RNL_ERR_USAGE, "fractions must sum to 1");
    for (int i = 0; i < NR; i++) free(rolls[i]);
    /* The key-signature warning: x.mid has none, so a transposing import says so. */
    CHECK(rnl_write_file_atomic(p, GOOD, sizeof GOOD) == RNL_OK, "restore x.mid");
    o1.frac[0] = 0.8;
    logbuf = (log_text){"", 0};
    CHECK(rnl_import_midi(&o1, collect_line, &logbuf, &rep) == RNL_OK && rep.no_key == 1 && logbuf.lines == 1 &&
              strstr(logbuf.text, "warning: ") == logbuf.text && strstr(logbuf.text, "x.mid: no key signature, kept untransposed\n"),
          "no-key warning: '%s' (%s)", logbuf.text, rnl_last_error());
}

/* ================================================================ sampling ========== */

static void test_sample(void) {
    rnl_config c = {RNL_CELL_GRU, RNL_VARIANT_PAPER, RNL_HEAD_BERNOULLI, 1, 88, 16, 88, 0};
    rnl_model *m = NULL;
    CHECK(rnl_model_create(&c, &m) == RNL_OK && rnl_model_init(m, 3, 1.0) == RNL_OK, "model: %s", rnl_last_error());
    if (!m) return;
    /* Larger output weights so some probabilities are far from 1/2. */
    const rnl_tensor *ow = rnl_model_find(m, "out.W");
    if (ow)
        for (size_t i = 0; i < ow->size; i++) rnl_model_params(m)[ow->offset + i] *= 30;
    const char *mp = tmp_path("model.safetensors"), *mp2 = tmp_path("model2.safetensors");
    const char *extra[] = {"data", "jsb"};
    CHECK(rnl_model_save(m, mp, extra, 1) == RNL_OK, "save: %s", rnl_last_error());
    CHECK(rnl_model_save(m, mp2, NULL, 0) == RNL_OK, "save: %s", rnl_last_error());
    rnl_model_free(m);
    m = NULL;
    int fpq = 0;
    CHECK(rnl_music_model_frame(mp, &fpq) == RNL_OK && fpq == 1, "JSB model: quarter frames (%d)", fpq);
    CHECK(rnl_music_model_frame(mp2, &fpq) == RNL_OK && fpq == 2, "no data: eighth frames (%d)", fpq);
    CHECK(rnl_music_frame_for_data("/data/music/JSB_Chorales.mat") == 1 && rnl_music_frame_for_data("nottingham") == 2 &&
              rnl_music_frame_for_data("/jsb/piano_midi.mat") == 2,
          "frame from the data name");
    CHECK(rnl_model_load(mp, &m) == RNL_OK, "load: %s", rnl_last_error());
    if (!m) return;

    uint8_t *r1 = NULL, *r2 = NULL, *r3 = NULL;
    CHECK(rnl_music_sample(m, NULL, 0, 64, 1.0, 5, &r1) == RNL_OK, "sample: %s", rnl_last_error());
    CHECK(rnl_music_sample(m, NULL, 0, 64, 1.0, 5, &r2) == RNL_OK, "sample again");
    CHECK(rnl_music_sample(m, NULL, 0, 64, 1.0, 6, &r3) == RNL_OK, "sample, seed 6");
    CHECK(r1 && r2 && memcmp(r1, r2, 64 * 88) == 0, "same seed, same roll");
    CHECK(r1 && r3 && memcmp(r1, r3, 64 * 88) != 0, "another seed, another roll");
    size_t on = 0;
    for (size_t i = 0; r1 && i < 64 * 88; i++) on += r1[i];
    CHECK(on > 0 && on < 64 * 88, "%zu of %d key-frames on", on, 64 * 88);
    const char *f1 = tmp_path("s1.mid"), *f2 = tmp_path("s2.mid");
    CHECK(r1 && rnl_roll_write_midi(f1, r1, 64, 1, 100, 0) == RNL_OK, "write s1");
    CHECK(r2 && rnl_roll_write_midi(f2, r2, 64, 1, 100, 0) == RNL_OK, "write s2");
    unsigned char *b1 = NULL, *b2 = NULL;
    size_t n1 = 0, n2 = 0;
    rnl_read_file(f1, &b1, &n1);
    rnl_read_file(f2, &b2, &n2);
    CHECK(b1 && b2 && n1 == n2 && memcmp(b1, b2, n1) == 0, "same seed, byte-identical MIDI");
    free(b1);
    free(b2);
    rnl_midi mid;
    CHECK(rnl_midi_read(f1, &mid) == RNL_OK, "read sample: %s", rnl_last_error());
    int range = 1;
    for (size_t i = 0; i < mid.nnotes; i++)
        if (mid.notes[i].key < 21 || mid.notes[i].key > 108) range = 0;
    CHECK(range && mid.nnotes > 0, "all %zu notes within 21..108", mid.nnotes);
    rnl_midi_free(&mid);
    free(r1);
    free(r2);
    free(r3);

    /* Priming from a .mat (DATA:SPLIT:INDEX) and from a MIDI file: the output starts with it. */
    uint8_t *pr = NULL;
    int P = 0;
    char spec[700];
    snprintf(spec, sizeof spec, "%s:train:0", tmp_path("one.mat"));
    CHECK(rnl_music_prime(spec, NULL, 2, &pr, &P) == RNL_OK && P == 2 && pr && pr[60 - 21], "prime from .mat: %s", rnl_last_error());
    free(pr);
    snprintf(spec, sizeof spec, "%s:valid:0", tmp_path("one.mat"));
    CHECK(rnl_music_prime(spec, NULL, 2, &pr, &P) == RNL_ERR_USAGE, "index past the split refused");
    CHECK(rnl_music_prime("jsb:nosplit:0", NULL, 2, &pr, &P) == RNL_ERR_USAGE, "bad split refused");
    CHECK(rnl_music_prime("justaname", NULL, 2, &pr, &P) == RNL_ERR_USAGE, "bad spec refused");
    CHECK(rnl_music_prime(tmp_path("s1.mid"), NULL, 1, &pr, &P) == RNL_OK && P == 64, "prime from MIDI: %s", rnl_last_error());
    uint8_t *rp = NULL;
    CHECK(pr && rnl_music_sample(m, pr, P, 10, 0.5, 1, &rp) == RNL_OK && rp && memcmp(rp, pr, (size_t)P * 88) == 0,
          "the sample starts with the prime");
    free(rp);
    free(pr);
    rnl_model_free(m);

    rnl_config c2 = {RNL_CELL_TANH, RNL_VARIANT_PAPER, RNL_HEAD_BERNOULLI, 1, 10, 4, 10, 0};
    CHECK(rnl_model_create(&c2, &m) == RNL_OK, "small model");
    CHECK(rnl_music_sample(m, NULL, 0, 5, 1.0, 1, &rp) == RNL_ERR_USAGE, "10-unit model refused");
    rnl_model_free(m);
}

int main(void) {
    snprintf(g_tmp, sizeof g_tmp, "/tmp/rnl_test_midi_XXXXXX");
    if (!mkdtemp(g_tmp)) {
        perror("mkdtemp");
        return 1;
    }
    test_writer_bytes();
    test_roundtrip();
    test_reader_events();
    test_malformed();
    test_import();
    test_sample();
    if (!check_failed_) {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_tmp);
        if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", g_tmp);
    }
    return CHECK_DONE("test_midi");
}
