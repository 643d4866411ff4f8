/* pianoroll.c — piano rolls <-> MIDI on a frame grid of note values (see pianoroll.h). */
#include "data/pianoroll.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "io/util.h"

/* ================================================================ frame grid ======== */

rnl_status rnl_frame_parse(const char *name, const char *option, int *fpq) {
    if (strcmp(name, "quarter") == 0) *fpq = 1;
    else if (strcmp(name, "eighth") == 0) *fpq = 2;
    else if (strcmp(name, "sixteenth") == 0) *fpq = 4;
    else return rnl_fail(RNL_ERR_USAGE, "%s: expected quarter, eighth or sixteenth, got '%s'", option, name);
    return RNL_OK;
}

const char *rnl_frame_name(int fpq) {
    return fpq == 1 ? "quarter" : fpq == 2 ? "eighth" : fpq == 4 ? "sixteenth" : "unknown";
}

int rnl_key_shift_to_c(int sharps, int minor) {
    /* Each sharp moves the major tonic a fifth up (7 semitones); the relative minor's tonic
     * is 9 semitones above the major one. */
    int tonic = ((7 * sharps + (minor ? 9 : 0)) % 12 + 12) % 12;
    int s = (12 - tonic) % 12; /* 0..11 semitones up to C */
    return s > 5 ? s - 12 : s;
}

/* ================================================================ MIDI -> roll ====== */

typedef struct {
    int key;     /* 0..87 */
    uint64_t a;  /* first frame */
    uint64_t b;  /* one past the last frame */
} span;

static int span_cmp(const void *x, const void *y) {
    const span *p = x, *q = y;
    if (p->key != q->key) return p->key - q->key;
    return p->a < q->a ? -1 : p->a > q->a;
}

rnl_status rnl_roll_from_midi(const rnl_midi *m, int fpq, int shift, const char *what,
                              uint8_t **roll, int *T, rnl_roll_stats *stats) {
    *roll = NULL;
    *T = 0;
    rnl_roll_stats s = {0};
    if (fpq != 1 && fpq != 2 && fpq != 4)
        return rnl_fail(RNL_ERR_USAGE, "%s: %d frames per quarter note (1, 2 or 4 expected)", what, fpq);
    /* Work in units of 1/fpq tick: frame t is [t*L, (t+1)*L) with L = ppq. */
    const uint64_t L = (uint64_t)m->ppq, F = (uint64_t)fpq, MAXF = RNL_ROLL_MAX_FRAMES;
    span *sp = malloc((m->nnotes ? m->nnotes : 1) * sizeof *sp);
    if (!sp) return rnl_fail(RNL_ERR_NOMEM, "%s: out of memory for %zu notes", what, m->nnotes);
    size_t ns = 0;
    uint64_t frames = (2 * m->end_tick * F + L) / (2 * L);
    rnl_status st = RNL_OK;
    s.notes = m->nnotes;
    for (size_t i = 0; i < m->nnotes; i++) {
        const rnl_midi_note *n = &m->notes[i];
        if (n->channel == 9) {
            s.drum++;
            continue;
        }
        int key = (int)n->key + shift - RNL_ROLL_LOW;
        if (key < 0 || key >= RNL_ROLL_KEYS) {
            s.out_of_range++;
            continue;
        }
        uint64_t S = n->start * F, E = n->end * F;
        uint64_t t0 = S / L, t1 = (E - 1) / L, a, b;
        if (t0 == t1) {
            a = t0;
            b = 2 * (E - S) >= L ? t0 + 1 : t0;
        } else {
            a = 2 * ((t0 + 1) * L - S) >= L ? t0 : t0 + 1;
            b = 2 * (E - t1 * L) >= L ? t1 + 1 : t1;
        }
        if (a >= b) {
            s.too_short++;
            continue;
        }
        if (b > frames) frames = b;
        sp[ns++] = (span){key, a, b};
    }
    if (frames > MAXF) {
        st = rnl_fail(RNL_ERR_DATA, "%s: %llu %s frames is longer than the %d accepted", what,
                      (unsigned long long)frames, rnl_frame_name(fpq), RNL_ROLL_MAX_FRAMES);
        goto done;
    }
    if (frames) {
        uint8_t *r = calloc((size_t)frames, RNL_ROLL_KEYS);
        if (!r) {
            st = rnl_fail(RNL_ERR_NOMEM, "%s: out of memory for %llu frames", what, (unsigned long long)frames);
            goto done;
        }
        /* Sorted by key and start, each frame is set once however much notes overlap. */
        qsort(sp, ns, sizeof *sp, span_cmp);
        uint64_t filled = 0;
        for (size_t i = 0; i < ns; i++) {
            if (i == 0 || sp[i].key != sp[i - 1].key) filled = 0;
            for (uint64_t t = sp[i].a > filled ? sp[i].a : filled; t < sp[i].b; t++)
                r[t * RNL_ROLL_KEYS + (size_t)sp[i].key] = 1;
            if (sp[i].b > filled) filled = sp[i].b;
        }
        *roll = r;
        *T = (int)frames;
    }
done:
    free(sp);
    if (stats) *stats = s;
    return st;
}

/* ================================================================ roll -> MIDI ====== */

rnl_status rnl_roll_to_midi(const uint8_t *roll, int T, int fpq, double bpm, int program,
                            unsigned char **bytes, size_t *n) {
    *bytes = NULL;
    *n = 0;
    if (fpq != 1 && fpq != 2 && fpq != 4)
        return rnl_fail(RNL_ERR_USAGE, "MIDI writer: %d frames per quarter note (1, 2 or 4 expected)", fpq);
    if (T < 0 || T > RNL_ROLL_MAX_FRAMES)
        return rnl_fail(RNL_ERR_USAGE, "MIDI writer: %d frames (0..%d accepted)", T, RNL_ROLL_MAX_FRAMES);
    double us = 60e6 / bpm;
    if (!(us >= 1 && us <= 16777215))
        return rnl_fail(RNL_ERR_USAGE, "MIDI writer: tempo %g BPM does not fit a MIDI tempo event", bpm);
    const uint64_t tpf = RNL_ROLL_PPQ / fpq;
    size_t cap = 64, nn = 0;
    rnl_midi_note *notes = malloc(cap * sizeof *notes);
    if (!notes) return rnl_fail(RNL_ERR_NOMEM, "MIDI writer: out of memory");
    for (int k = 0; k < RNL_ROLL_KEYS; k++) {
        for (int t = 0; t < T;) {
            if (!roll[(size_t)t * RNL_ROLL_KEYS + k]) {
                t++;
                continue;
            }
            int t0 = t;
            while (t < T && roll[(size_t)t * RNL_ROLL_KEYS + k]) t++;
            if (nn == cap) {
                rnl_midi_note *q = realloc(notes, 2 * cap * sizeof *q);
                if (!q) {
                    free(notes);
                    return rnl_fail(RNL_ERR_NOMEM, "MIDI writer: out of memory");
                }
                notes = q;
                cap *= 2;
            }
            notes[nn++] = (rnl_midi_note){(uint64_t)t0 * tpf, (uint64_t)t * tpf,
                                          (uint8_t)(k + RNL_ROLL_LOW), 0, RNL_MIDI_VELOCITY};
        }
    }
    rnl_status st = rnl_midi_serialize(notes, nn, RNL_ROLL_PPQ, (uint32_t)lround(us), program,
                                       (uint64_t)T * tpf, bytes, n);
    free(notes);
    return st;
}

rnl_status rnl_roll_write_midi(const char *path, const uint8_t *roll, int T, int fpq,
                               double bpm, int program) {
    unsigned char *b = NULL;
    size_t n = 0;
    rnl_status st = rnl_roll_to_midi(roll, T, fpq, bpm, program, &b, &n);
    if (st) return rnl_fail(st, "%s: %s", path, rnl_last_error());
    st = rnl_write_file_atomic(path, b, n);
    free(b);
    return st;
}

/* ================================================================ data set grid ===== */

int rnl_music_frame_for_data(const char *data) {
    const char *base = strrchr(data, '/');
    base = base ? base + 1 : data;
    for (const char *p = base; *p; p++)
        if (strncasecmp(p, "jsb", 3) == 0) return 1;
    return 2;
}
