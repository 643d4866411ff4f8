/* midi.c — Standard MIDI File reader and writer (see midi.h for the rules). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "data/midi.h"
#include "io/util.h"

/* ================================================================ reading =========== */

/* A bounded cursor over one chunk: every read checks `pos < end` first. */
typedef struct {
    const unsigned char *p; /* the file */
    size_t pos, end;        /* next byte, one past the chunk's last byte */
} cursor;

static int cur_byte(cursor *c, unsigned *out) {
    if (c->pos >= c->end) return -1;
    *out = c->p[c->pos++];
    return 0;
}

/* A variable-length quantity: 7 bits per byte, high bit set on all but the last, at most
 * 4 bytes (28 bits). Returns -1 if cut off, -2 if longer than 4 bytes. */
static int cur_vlq(cursor *c, uint32_t *out) {
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        unsigned b;
        if (cur_byte(c, &b)) return -1;
        v = (v << 7) | (b & 0x7Fu);
        if (!(b & 0x80u)) {
            *out = v;
            return 0;
        }
    }
    return -2;
}

static uint32_t be32(const unsigned char *p) {
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static unsigned be16(const unsigned char *p) { return (unsigned)p[0] << 8 | p[1]; }

/* Notes being built: the sounding note of each (channel, key), and the finished list. */
typedef struct {
    rnl_midi *m;
    size_t cap;
    uint64_t on_start[16][128];
    uint8_t on_vel[16][128]; /* 0 = not sounding */
} note_state;

static rnl_status add_note(note_state *ns, int ch, int key, uint64_t end, const char *what) {
    uint64_t start = ns->on_start[ch][key];
    uint8_t vel = ns->on_vel[ch][key];
    ns->on_vel[ch][key] = 0;
    if (end <= start) return RNL_OK; /* zero-length: nothing sounds */
    rnl_midi *m = ns->m;
    if (m->nnotes == ns->cap) {
        size_t nc = ns->cap ? ns->cap * 2 : 256;
        rnl_midi_note *q = realloc(m->notes, nc * sizeof *q);
        if (!q) return rnl_fail(RNL_ERR_NOMEM, "%s: out of memory reading notes", what);
        m->notes = q;
        ns->cap = nc;
    }
    m->notes[m->nnotes++] = (rnl_midi_note){start, end, (uint8_t)key, (uint8_t)ch, vel};
    return RNL_OK;
}

/* One MTrk chunk's events, c spanning its data; track is the 0-based index for messages. */
static rnl_status read_track(cursor *c, note_state *ns, int track, const char *what) {
    rnl_midi *m = ns->m;
    uint64_t tick = 0;
    unsigned status = 0; /* running status: the last channel-message status, 0 if none */
    rnl_status st = RNL_OK;
    memset(ns->on_vel, 0, sizeof ns->on_vel);
    while (c->pos < c->end) {
        size_t at = c->pos;
        uint32_t delta;
        int r = cur_vlq(c, &delta);
        if (r == -2)
            return rnl_fail(RNL_ERR_DATA, "%s: track %d: delta time at byte %zu is longer than 4 bytes", what, track, at);
        if (r)
            return rnl_fail(RNL_ERR_DATA, "%s: track %d: truncated (delta time at byte %zu)", what, track, at);
        tick += delta;
        unsigned b;
        if (cur_byte(c, &b))
            return rnl_fail(RNL_ERR_DATA, "%s: track %d: truncated (event at byte %zu)", what, track, c->pos);
        if (b == 0xFF) { /* meta event: type, length, data */
            unsigned type;
            uint32_t len;
            status = 0;
            if (cur_byte(c, &type) || cur_vlq(c, &len) || len > c->end - c->pos)
                return rnl_fail(RNL_ERR_DATA, "%s: track %d: truncated meta event at byte %zu", what, track, at);
            const unsigned char *d = c->p + c->pos;
            c->pos += len;
            if (type == 0x51 && len == 3 && !m->tempo_us) {
                m->tempo_us = (uint32_t)d[0] << 16 | (uint32_t)d[1] << 8 | d[2];
            } else if (type == 0x59 && len == 2 && !m->has_key) {
                int sf = (int)(signed char)d[0];
                if (sf < -7 || sf > 7 || d[1] > 1)
                    return rnl_fail(RNL_ERR_DATA, "%s: track %d: bad key signature (%d, %u) at byte %zu", what, track, sf, d[1], at);
                m->has_key = 1;
                m->key_sharps = sf;
                m->key_minor = d[1];
            } else if (type == 0x2F) {
                break; /* end of track */
            }
            continue;
        }
        if (b == 0xF0 || b == 0xF7) { /* system exclusive: length, data (skipped) */
            uint32_t len;
            status = 0;
            if (cur_vlq(c, &len) || len > c->end - c->pos)
                return rnl_fail(RNL_ERR_DATA, "%s: track %d: truncated sysex event at byte %zu", what, track, at);
            c->pos += len;
            continue;
        }
        if (b >= 0xF0)
            return rnl_fail(RNL_ERR_DATA, "%s: track %d: status byte 0x%02X at byte %zu is not allowed in a MIDI file", what, track, b, c->pos - 1);
        unsigned d0, d1 = 0;
        if (b & 0x80u) {
            status = b;
            if (cur_byte(c, &d0))
                return rnl_fail(RNL_ERR_DATA, "%s: track %d: truncated channel event at byte %zu", what, track, at);
        } else {
            if (!status)
                return rnl_fail(RNL_ERR_DATA, "%s: track %d: data byte 0x%02X at byte %zu with no running status", what, track, b, c->pos - 1);
            d0 = b;
        }
        unsigned kind = status & 0xF0u, ch = status & 0x0Fu;
        int two = kind != 0xC0 && kind != 0xD0; /* program change, channel pressure: one */
        if (two && cur_byte(c, &d1))
            return rnl_fail(RNL_ERR_DATA, "%s: track %d: truncated channel event at byte %zu", what, track, at);
        if ((d0 | d1) & 0x80u)
            return rnl_fail(RNL_ERR_DATA, "%s: track %d: data byte >= 0x80 in the event at byte %zu", what, track, at);
        if (kind == 0x90 && d1 > 0) {
            if (ns->on_vel[ch][d0] && (st = add_note(ns, (int)ch, (int)d0, tick, what))) return st;
            ns->on_start[ch][d0] = tick;
            ns->on_vel[ch][d0] = (uint8_t)d1;
        } else if (kind == 0x80 || kind == 0x90) {
            if (ns->on_vel[ch][d0] && (st = add_note(ns, (int)ch, (int)d0, tick, what))) return st;
        }
    }
    for (int ch = 0; ch < 16; ch++)
        for (int k = 0; k < 128; k++)
            if (ns->on_vel[ch][k] && (st = add_note(ns, ch, k, tick, what))) return st;
    if (tick > m->end_tick) m->end_tick = tick;
    return RNL_OK;
}

static int printable_id(const unsigned char *p) {
    for (int i = 0; i < 4; i++)
        if (p[i] < 0x20 || p[i] > 0x7E) return 0;
    return 1;
}

rnl_status rnl_midi_parse(const unsigned char *bytes, size_t n, const char *what,
                          rnl_midi *out) {
    memset(out, 0, sizeof *out);
    if (n < 14) return rnl_fail(RNL_ERR_DATA, "%s: not a MIDI file (%zu bytes, header needs 14)", what, n);
    if (memcmp(bytes, "MThd", 4) != 0) return rnl_fail(RNL_ERR_DATA, "%s: not a MIDI file (no MThd header)", what);
    uint32_t hlen = be32(bytes + 4);
    if (hlen < 6) return rnl_fail(RNL_ERR_DATA, "%s: MIDI header length %u is below 6", what, (unsigned)hlen);
    if (hlen > n - 8) return rnl_fail(RNL_ERR_DATA, "%s: truncated MIDI header (length %u, file %zu bytes)", what, (unsigned)hlen, n);
    unsigned format = be16(bytes + 8), ntracks = be16(bytes + 10), division = be16(bytes + 12);
    if (format == 2) return rnl_fail(RNL_ERR_DATA, "%s: MIDI format 2 (independent sequences) is not supported", what);
    if (format > 2) return rnl_fail(RNL_ERR_DATA, "%s: unknown MIDI format %u", what, format);
    if (ntracks == 0) return rnl_fail(RNL_ERR_DATA, "%s: the MIDI header declares no tracks", what);
    if (ntracks > RNL_MIDI_MAX_TRACKS) return rnl_fail(RNL_ERR_DATA, "%s: %u tracks (at most %d accepted)", what, ntracks, RNL_MIDI_MAX_TRACKS);
    if (division & 0x8000u) return rnl_fail(RNL_ERR_DATA, "%s: SMPTE time division is not supported (ticks per quarter note needed)", what);
    if (division == 0) return rnl_fail(RNL_ERR_DATA, "%s: division of 0 ticks per quarter note", what);

    note_state *ns = calloc(1, sizeof *ns);
    if (!ns) return rnl_fail(RNL_ERR_NOMEM, "%s: out of memory", what);
    ns->m = out;
    out->format = (int)format;
    out->ppq = (int)division;
    rnl_status st = RNL_OK;
    size_t pos = 8 + (size_t)hlen;
    while (out->ntracks < (int)ntracks) {
        if (n - pos < 8) {
            st = rnl_fail(RNL_ERR_DATA, "%s: truncated: %d of %u tracks present", what, out->ntracks, ntracks);
            break;
        }
        const unsigned char *id = bytes + pos;
        uint32_t len = be32(bytes + pos + 4);
        if (len > n - pos - 8) {
            st = rnl_fail(RNL_ERR_DATA, "%s: chunk at byte %zu claims %u bytes, past the end of the file", what, pos, (unsigned)len);
            break;
        }
        cursor c = {bytes, pos + 8, pos + 8 + (size_t)len};
        pos = c.end;
        if (memcmp(id, "MTrk", 4) != 0) {
            if (printable_id(id)) continue; /* an alien chunk: skipped, as the standard says */
            st = rnl_fail(RNL_ERR_DATA, "%s: bad chunk id at byte %zu", what, (size_t)(id - bytes));
            break;
        }
        if ((st = read_track(&c, ns, out->ntracks, what))) break;
        out->ntracks++;
    }
    free(ns);
    if (st) {
        rnl_midi_free(out);
        return st;
    }
    if (!out->tempo_us) out->tempo_us = 500000;
    return RNL_OK;
}

rnl_status rnl_midi_read(const char *path, rnl_midi *out) {
    memset(out, 0, sizeof *out);
    unsigned char *b = NULL;
    size_t n = 0;
    rnl_status st = rnl_read_file(path, &b, &n);
    if (st) return st;
    if (n > RNL_MIDI_MAX_BYTES)
        st = rnl_fail(RNL_ERR_DATA, "%s: %zu bytes is too large for a MIDI file (limit %u)", path, n, RNL_MIDI_MAX_BYTES);
    else
        st = rnl_midi_parse(b, n, path, out);
    free(b);
    return st;
}

void rnl_midi_free(rnl_midi *m) {
    if (!m) return;
    free(m->notes);
    memset(m, 0, sizeof *m);
}

/* ================================================================ writing =========== */

typedef struct {
    uint64_t tick;
    uint8_t on;  /* 0 note-off, 1 note-on: offs sort first */
    uint8_t key;
} wevent;

static int wevent_cmp(const void *a, const void *b) {
    const wevent *x = a, *y = b;
    if (x->tick != y->tick) return x->tick < y->tick ? -1 : 1;
    if (x->on != y->on) return x->on < y->on ? -1 : 1;
    return (int)x->key - (int)y->key;
}

static void put_vlq(rnl_buf *b, uint32_t v) {
    unsigned char tmp[4];
    int n = 0;
    do {
        tmp[n++] = (unsigned char)(v & 0x7Fu);
        v >>= 7;
    } while (v && n < 4);
    unsigned char outb[4];
    for (int i = 0; i < n; i++) outb[i] = (unsigned char)(tmp[n - 1 - i] | (i < n - 1 ? 0x80u : 0));
    rnl_buf_append(b, outb, (size_t)n);
}

static void put_bytes(rnl_buf *b, unsigned a, unsigned c, unsigned d, int n) {
    unsigned char t[3] = {(unsigned char)a, (unsigned char)c, (unsigned char)d};
    rnl_buf_append(b, t, (size_t)n);
}

rnl_status rnl_midi_serialize(const rnl_midi_note *notes, size_t n, int ppq, uint32_t tempo_us,
                              int program, uint64_t end_tick, unsigned char **bytes,
                              size_t *nbytes) {
    *bytes = NULL;
    *nbytes = 0;
    if (ppq < 1 || ppq > 32767 || tempo_us < 1 || tempo_us > 0xFFFFFFu || program < 0 || program > 127)
        return rnl_fail(RNL_ERR_USAGE, "MIDI writer: ppq %d, tempo %u us or program %d out of range", ppq, (unsigned)tempo_us, program);
    wevent *ev = malloc((2 * n + 1) * sizeof *ev);
    if (!ev) return rnl_fail(RNL_ERR_NOMEM, "MIDI writer: out of memory for %zu notes", n);
    for (size_t i = 0; i < n; i++) {
        if (notes[i].key > 127 || notes[i].end <= notes[i].start) {
            free(ev);
            return rnl_fail(RNL_ERR_USAGE, "MIDI writer: note %zu (key %u, ticks %llu..%llu) is invalid", i,
                            notes[i].key, (unsigned long long)notes[i].start, (unsigned long long)notes[i].end);
        }
        ev[2 * i] = (wevent){notes[i].start, 1, notes[i].key};
        ev[2 * i + 1] = (wevent){notes[i].end, 0, notes[i].key};
        if (notes[i].end > end_tick) end_tick = notes[i].end;
    }
    qsort(ev, 2 * n, sizeof *ev, wevent_cmp);

    rnl_buf trk = {0};
    put_vlq(&trk, 0); /* tempo */
    put_bytes(&trk, 0xFF, 0x51, 0x03, 3);
    put_bytes(&trk, tempo_us >> 16, (tempo_us >> 8) & 0xFFu, tempo_us & 0xFFu, 3);
    put_vlq(&trk, 0); /* program change, channel 0 */
    put_bytes(&trk, 0xC0, (unsigned)program, 0, 2);
    uint64_t now = 0;
    rnl_status st = RNL_OK;
    for (size_t i = 0; i <= 2 * n; i++) {
        uint64_t t = i < 2 * n ? ev[i].tick : end_tick;
        if (t - now > 0x0FFFFFFFu) {
            st = rnl_fail(RNL_ERR_USAGE, "MIDI writer: a gap of %llu ticks does not fit a delta time",
                          (unsigned long long)(t - now));
            break;
        }
        put_vlq(&trk, (uint32_t)(t - now));
        now = t;
        if (i == 2 * n)
            put_bytes(&trk, 0xFF, 0x2F, 0x00, 3);
        else if (ev[i].on)
            put_bytes(&trk, 0x90, ev[i].key, RNL_MIDI_VELOCITY, 3);
        else
            put_bytes(&trk, 0x80, ev[i].key, 64, 3);
    }
    free(ev);
    if (!st && (trk.oom || trk.len > 0xFFFFFFFFu))
        st = rnl_fail(RNL_ERR_NOMEM, "MIDI writer: out of memory for the track");
    rnl_buf f = {0};
    if (!st) {
        unsigned char hdr[22] = {'M', 'T', 'h', 'd', 0, 0, 0, 6, 0, 0, 0, 1,
                                 (unsigned char)(ppq >> 8), (unsigned char)(ppq & 0xFF),
                                 'M', 'T', 'r', 'k'};
        uint32_t L = (uint32_t)trk.len;
        hdr[18] = (unsigned char)(L >> 24);
        hdr[19] = (unsigned char)(L >> 16);
        hdr[20] = (unsigned char)(L >> 8);
        hdr[21] = (unsigned char)L;
        rnl_buf_append(&f, hdr, sizeof hdr);
        rnl_buf_append(&f, trk.p, trk.len);
        if (f.oom) st = rnl_fail(RNL_ERR_NOMEM, "MIDI writer: out of memory for the file");
    }
    rnl_buf_free(&trk);
    if (st) {
        rnl_buf_free(&f);
        return st;
    }
    *bytes = (unsigned char *)f.p;
    *nbytes = f.len;
    return RNL_OK;
}

int rnl_midi_has_ext(const char *name) {
    const char *dot = strrchr(name, '.');
    return dot && (strcasecmp(dot, ".mid") == 0 || strcasecmp(dot, ".midi") == 0);
}
