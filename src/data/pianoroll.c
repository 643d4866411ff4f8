/* pianoroll.c — piano rolls <-> MIDI, MIDI folder import to .mat, sampling (pianoroll.h). */
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <matio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "data/dataroot.h"
#include "data/dataset.h"
#include "data/pianoroll.h"
#include "io/safetensors.h"
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

/* ================================================================ .mat writer ======= */

static const char *const SPLIT_VAR[3] = {"traindata", "validdata", "testdata"};

/* One split as a 1xN cell array of T x 88 doubles (column-major: element (t, k) at k*T + t). */
static rnl_status split_var(const rnl_seqset *s, const char *name, const char *path,
                            matvar_t **out) {
    size_t dims[2] = {1, (size_t)s->n};
    matvar_t *cell = Mat_VarCreate(name, MAT_C_CELL, MAT_T_CELL, 2, dims, NULL, 0);
    if (!cell) return rnl_fail(RNL_ERR_NOMEM, "%s: libmatio cannot create %s", path, name);
    for (int i = 0; i < s->n; i++) {
        size_t T = (size_t)s->len[i], d2[2] = {T, RNL_ROLL_KEYS};
        double *buf = malloc((T ? T : 1) * RNL_ROLL_KEYS * sizeof *buf);
        if (!buf) {
            Mat_VarFree(cell);
            return rnl_fail(RNL_ERR_NOMEM, "%s: out of memory for %s{%d}", path, name, i);
        }
        const uint8_t *f = s->frames + s->off[i] * RNL_ROLL_KEYS;
        for (size_t t = 0; t < T; t++)
            for (size_t k = 0; k < RNL_ROLL_KEYS; k++) buf[k * T + t] = f[t * RNL_ROLL_KEYS + k];
        matvar_t *v = Mat_VarCreate(NULL, MAT_C_DOUBLE, MAT_T_DOUBLE, 2, d2, T ? buf : NULL, 0);
        free(buf);
        if (!v) {
            Mat_VarFree(cell);
            return rnl_fail(RNL_ERR_NOMEM, "%s: libmatio cannot create %s{%d}", path, name, i);
        }
        Mat_VarSetCell(cell, i, v);
    }
    *out = cell;
    return RNL_OK;
}

static int same_split(const rnl_seqset *a, const rnl_seqset *b) {
    if (a->n != b->n || a->total != b->total || (a->n && a->dim != b->dim)) return 0;
    for (int i = 0; i < a->n; i++)
        if (a->len[i] != b->len[i] ||
            memcmp(a->frames + a->off[i] * RNL_ROLL_KEYS, b->frames + b->off[i] * RNL_ROLL_KEYS,
                   (size_t)a->len[i] * RNL_ROLL_KEYS) != 0)
            return 0;
    return 1;
}

rnl_status rnl_music_write_mat(const char *path, const rnl_seqset split[3]) {
    for (int s = 0; s < 3; s++)
        if (split[s].n && split[s].dim != RNL_ROLL_KEYS)
            return rnl_fail(RNL_ERR_USAGE, "%s: %s has %d keys per frame, %d expected", path, SPLIT_VAR[s], split[s].dim, RNL_ROLL_KEYS);
    size_t tl = strlen(path) + 48;
    char *tmp = malloc(tl);
    if (!tmp) return rnl_fail(RNL_ERR_NOMEM, "%s: out of memory", path);
    snprintf(tmp, tl, "%s.tmp%ld.mat", path, (long)getpid());
    unlink(tmp);
    rnl_status st = RNL_OK;
    mat_t *mat = Mat_CreateVer(tmp, NULL, MAT_FT_MAT5);
    if (!mat) {
        st = rnl_fail(RNL_ERR_IO, "%s: cannot create the temporary file %s: %s", path, tmp, strerror(errno));
        free(tmp);
        return st;
    }
    for (int s = 0; s < 3 && !st; s++) {
        matvar_t *v = NULL;
        st = split_var(&split[s], SPLIT_VAR[s], path, &v);
        if (!st && Mat_VarWrite(mat, v, MAT_COMPRESSION_ZLIB) != 0)
            st = rnl_fail(RNL_ERR_IO, "%s: libmatio could not write %s to %s", path, SPLIT_VAR[s], tmp);
        Mat_VarFree(v);
    }
    Mat_Close(mat);
    rnl_music back;
    memset(&back, 0, sizeof back);
    if (!st && (st = rnl_music_load(tmp, &back)))
        st = rnl_fail(st, "%s: the file written does not read back: %s", path, rnl_last_error());
    for (int s = 0; s < 3 && !st; s++)
        if (!same_split(&split[s], &back.split[s]))
            st = rnl_fail(RNL_ERR_INTERNAL, "%s: %s read back differs from what was written", path, SPLIT_VAR[s]);
    rnl_music_free(&back);
    unsigned char *bytes = NULL;
    size_t n = 0;
    if (!st) st = rnl_read_file(tmp, &bytes, &n);
    if (!st) st = rnl_write_file_atomic(path, bytes, n);
    free(bytes);
    unlink(tmp);
    free(tmp);
    return st;
}

/* ================================================================ import ============= */

typedef struct {
    char **p;
    size_t n, cap;
} pathlist;

static int has_midi_ext(const char *name) {
    const char *dot = strrchr(name, '.');
    return dot && (strcasecmp(dot, ".mid") == 0 || strcasecmp(dot, ".midi") == 0);
}

static rnl_status list_add(pathlist *l, const char *path) {
    if (l->n == l->cap) {
        size_t nc = l->cap ? 2 * l->cap : 64;
        char **q = realloc(l->p, nc * sizeof *q);
        if (!q) return rnl_fail(RNL_ERR_NOMEM, "out of memory listing %s", path);
        l->p = q;
        l->cap = nc;
    }
    if (!(l->p[l->n] = strdup(path))) return rnl_fail(RNL_ERR_NOMEM, "out of memory listing %s", path);
    l->n++;
    return RNL_OK;
}

/* Regular files (or symlinks to them) with a MIDI extension under dir; subdirectories are
 * entered (not through symlinks, so no cycles), hidden entries (".name") skipped. */
static rnl_status walk(const char *dir, int depth, pathlist *l) {
    if (depth > 32) return rnl_fail(RNL_ERR_DATA, "%s: directories nested more than 32 deep", dir);
    DIR *d = opendir(dir);
    if (!d) return rnl_fail(RNL_ERR_IO, "%s: cannot list the directory: %s", dir, strerror(errno));
    rnl_status st = RNL_OK;
    struct dirent *e;
    char path[4096];
    while (!st && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.') continue;
        if ((st = rnl_path_join(path, sizeof path, dir, e->d_name))) break;
        struct stat sb;
        if (lstat(path, &sb) != 0) continue;
        if (S_ISDIR(sb.st_mode)) st = walk(path, depth + 1, l);
        else if (has_midi_ext(e->d_name) && (S_ISREG(sb.st_mode) || (S_ISLNK(sb.st_mode) && stat(path, &sb) == 0 && S_ISREG(sb.st_mode))))
            st = list_add(l, path);
    }
    closedir(d);
    return st;
}

static int str_cmp(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

typedef struct {
    uint8_t *roll;
    int T;
} kept_roll;

static int any_note(const uint8_t *r, int T) {
    for (size_t i = 0; i < (size_t)T * RNL_ROLL_KEYS; i++)
        if (r[i]) return 1;
    return 0;
}

rnl_status rnl_import_midi(const rnl_import_opts *o, FILE *log, rnl_import_report *rep) {
    memset(rep, 0, sizeof *rep);
    double fsum = o->frac[0] + o->frac[1] + o->frac[2];
    if (!(o->frac[0] >= 0 && o->frac[1] >= 0 && o->frac[2] >= 0 && fabs(fsum - 1) < 1e-6))
        return rnl_fail(RNL_ERR_USAGE, "import: split fractions %g:%g:%g must be >= 0 and sum to 1", o->frac[0], o->frac[1], o->frac[2]);
    pathlist l = {0};
    kept_roll *kept = NULL;
    int *order = NULL;
    rnl_seqset sets[3];
    memset(sets, 0, sizeof sets);
    rnl_status st = walk(o->dir, 0, &l);
    if (st) goto done;
    qsort(l.p, l.n, sizeof *l.p, str_cmp);
    rep->found = (int)l.n;
    if (l.n == 0) {
        st = rnl_fail(RNL_ERR_DATA, "%s: no .mid or .midi files found (searched recursively)", o->dir);
        goto done;
    }
    if (!(kept = calloc(l.n, sizeof *kept))) {
        st = rnl_fail(RNL_ERR_NOMEM, "%s: out of memory", o->dir);
        goto done;
    }
    for (size_t i = 0; i < l.n; i++) {
        rnl_midi m;
        rnl_roll_stats s;
        int shift = 0;
        uint8_t *r = NULL;
        int T = 0;
        st = rnl_midi_read(l.p[i], &m);
        if (!st && o->transpose) {
            if (m.has_key) {
                shift = rnl_key_shift_to_c(m.key_sharps, m.key_minor);
            } else {
                rep->no_key++;
                if (log) fprintf(log, "warning: %s: no key signature, kept untransposed\n", l.p[i]);
            }
        }
        if (!st) st = rnl_roll_from_midi(&m, o->fpq, shift, l.p[i], &r, &T, &s);
        rnl_midi_free(&m);
        if (!st && !any_note(r, T)) st = rnl_fail(RNL_ERR_DATA, "%s: no notes in 21..108 outside channel 10", l.p[i]);
        if (st == RNL_ERR_NOMEM) goto done;
        if (st) {
            free(r);
            rep->skipped++;
            if (log) fprintf(log, "warning: skipped %s\n", rnl_last_error());
            st = RNL_OK;
            continue;
        }
        rep->stats.notes += s.notes;
        rep->stats.drum += s.drum;
        rep->stats.out_of_range += s.out_of_range;
        rep->stats.too_short += s.too_short;
        kept[rep->kept++] = (kept_roll){r, T};
    }
    const int n = rep->kept;
    if (n == 0) {
        st = rnl_fail(RNL_ERR_DATA, "%s: none of the %d MIDI files could be used", o->dir, rep->found);
        goto done;
    }
    if (!(order = malloc((size_t)n * sizeof *order))) {
        st = rnl_fail(RNL_ERR_NOMEM, "%s: out of memory", o->dir);
        goto done;
    }
    rnl_rng rng;
    rnl_rng_seed(&rng, o->seed);
    for (int i = 0; i < n; i++) order[i] = i;
    for (int i = n - 1; i > 0; i--) {
        int j = (int)rnl_rng_below(&rng, (uint64_t)i + 1);
        int t = order[i];
        order[i] = order[j];
        order[j] = t;
    }
    int nv = (int)lround(n * o->frac[1]), nt = (int)lround(n * o->frac[2]);
    if (nv + nt > n - 1) { /* the train split needs one sequence: take it from test first */
        int over = nv + nt - (n - 1);
        int dt = over < nt ? over : nt;
        nt -= dt;
        nv -= over - dt;
    }
    const int cnt[3] = {n - nv - nt, nv, nt};
    for (int s = 0, next = 0; s < 3; s++) {
        rnl_seqset *q = &sets[s];
        q->n = cnt[s];
        q->dim = RNL_ROLL_KEYS;
        for (int i = 0; i < cnt[s]; i++) q->total += (size_t)kept[order[next + i]].T;
        q->len = malloc((size_t)(cnt[s] ? cnt[s] : 1) * sizeof *q->len);
        q->off = malloc((size_t)(cnt[s] ? cnt[s] : 1) * sizeof *q->off);
        q->frames = malloc((q->total ? q->total : 1) * RNL_ROLL_KEYS);
        if (!q->len || !q->off || !q->frames) {
            st = rnl_fail(RNL_ERR_NOMEM, "%s: out of memory", o->out);
            goto done;
        }
        size_t off = 0;
        for (int i = 0; i < cnt[s]; i++) {
            const kept_roll *k = &kept[order[next + i]];
            q->len[i] = k->T;
            q->off[i] = off;
            memcpy(q->frames + off * RNL_ROLL_KEYS, k->roll, (size_t)k->T * RNL_ROLL_KEYS);
            off += (size_t)k->T;
        }
        next += cnt[s];
        rep->nseq[s] = cnt[s];
        rep->frames[s] = q->total;
    }
    st = rnl_music_write_mat(o->out, sets);
done:
    for (int s = 0; s < 3; s++) {
        free(sets[s].len);
        free(sets[s].off);
        free(sets[s].frames);
    }
    if (kept)
        for (int i = 0; i < rep->kept; i++) free(kept[i].roll);
    free(kept);
    free(order);
    for (size_t i = 0; i < l.n; i++) free(l.p[i]);
    free(l.p);
    return st;
}

/* ================================================================ sampling =========== */

static double sigmoid(double z) {
    if (z >= 0) return 1 / (1 + exp(-z));
    double e = exp(z);
    return e / (1 + e);
}

rnl_status rnl_music_sample(const rnl_model *m, const uint8_t *prime, int P, int steps,
                            double temperature, uint64_t seed, uint8_t **roll) {
    *roll = NULL;
    const rnl_config *c = rnl_model_config(m);
    if (c->head != RNL_HEAD_BERNOULLI || c->input != RNL_ROLL_KEYS || c->output != RNL_ROLL_KEYS)
        return rnl_fail(RNL_ERR_USAGE, "sample: a piano-roll model needs a Bernoulli head with input = output = %d (this one: %s head, input %d, output %d)",
                        RNL_ROLL_KEYS, rnl_head_name(c->head), c->input, c->output);
    if (P < 0 || steps < 0 || (long)P + steps < 1 || (long)P + steps > RNL_ROLL_MAX_FRAMES)
        return rnl_fail(RNL_ERR_USAGE, "sample: %d prime + %d sampled frames (1..%d in all accepted)", P, steps, RNL_ROLL_MAX_FRAMES);
    if (!(temperature > 0 && isfinite(temperature)))
        return rnl_fail(RNL_ERR_USAGE, "sample: temperature %g must be positive and finite", temperature);
    const int K = RNL_ROLL_KEYS, total = P + steps;
    uint8_t *r = calloc((size_t)total, (size_t)K);
    rnl_real *x = calloc((size_t)K, sizeof *x), *logits = calloc((size_t)K, sizeof *logits);
    rnl_workspace *ws = NULL;
    rnl_state *state = NULL;
    rnl_status st = (!r || !x || !logits) ? rnl_fail(RNL_ERR_NOMEM, "sample: out of memory") : RNL_OK;
    if (!st) st = rnl_workspace_create(&ws);
    if (!st) rnl_workspace_hold(ws, 1); /* the model's weights, unchanged while sampling */
    if (!st) st = rnl_state_create(m, 1, &state);
    if (!st && P) memcpy(r, prime, (size_t)P * K);
    rnl_rng rng;
    rnl_rng_seed(&rng, seed);
    /* Step t reads frame t-1 (the zero frame for t = 0 without a prime) and predicts frame
     * t; frames below P are the prime's, the others are drawn. */
    for (int t = (P ? 1 : 0); !st && t < total; t++) {
        for (int k = 0; k < K; k++) x[k] = t ? (rnl_real)r[(size_t)(t - 1) * K + k] : 0;
        if ((st = rnl_step(m, ws, x, 1, state, logits))) break;
        if (t < P) continue;
        for (int k = 0; k < K; k++) {
            double p = sigmoid((double)logits[k] / temperature);
            r[(size_t)t * K + k] = rnl_rng_uniform(&rng) < p;
        }
    }
    rnl_state_free(state);
    rnl_workspace_free(ws);
    free(x);
    free(logits);
    if (st) {
        free(r);
        return st;
    }
    *roll = r;
    return RNL_OK;
}

/* ================================================================ model data, prime = */

int rnl_music_frame_for_data(const char *data) {
    const char *base = strrchr(data, '/');
    base = base ? base + 1 : data;
    for (const char *p = base; *p; p++)
        if (strncasecmp(p, "jsb", 3) == 0) return 1;
    return 2;
}

rnl_status rnl_music_model_frame(const char *model_path, int *fpq) {
    rnl_st_file *f = NULL;
    rnl_status st = rnl_st_read(model_path, &f);
    if (st) return st;
    const char *d = rnl_st_meta(f, "data");
    *fpq = d ? rnl_music_frame_for_data(d) : 2;
    rnl_st_free(f);
    return RNL_OK;
}

rnl_status rnl_music_prime(const char *spec, const char *data_root, int fpq, uint8_t **roll,
                           int *P) {
    *roll = NULL;
    *P = 0;
    if (has_midi_ext(spec)) {
        rnl_midi m;
        rnl_status st = rnl_midi_read(spec, &m);
        if (st) return st;
        st = rnl_roll_from_midi(&m, fpq, 0, spec, roll, P, NULL);
        rnl_midi_free(&m);
        if (!st && *P == 0) st = rnl_fail(RNL_ERR_DATA, "--prime %s: the file has no frames", spec);
        return st;
    }
    char buf[4096];
    if (strlen(spec) >= sizeof buf) return rnl_fail(RNL_ERR_USAGE, "--prime: value too long");
    snprintf(buf, sizeof buf, "%s", spec);
    char *c2 = strrchr(buf, ':');
    char *c1 = c2 ? (*c2 = 0, strrchr(buf, ':')) : NULL;
    if (!c1) return rnl_fail(RNL_ERR_USAGE, "--prime: expected DATA:SPLIT:INDEX (e.g. jsb:test:0) or a .mid file, got '%s'", spec);
    *c1 = 0;
    int split = rnl_split_parse(c1 + 1);
    long index;
    if (split < 0) return rnl_fail(RNL_ERR_USAGE, "--prime %s: split '%s' is not train, valid or test", spec, c1 + 1);
    rnl_status st = rnl_parse_long(c2 + 1, 0, 1L << 30, "--prime INDEX", &index);
    if (st) return st;
    char path[4096];
    if ((st = rnl_data_resolve(buf, data_root, path, sizeof path))) return st;
    rnl_music mu;
    if ((st = rnl_music_load(path, &mu))) return st;
    const rnl_seqset *s = &mu.split[split];
    if (s->dim != RNL_ROLL_KEYS)
        st = rnl_fail(RNL_ERR_DATA, "--prime %s: %s has %d keys per frame, %d needed", spec, path, s->dim, RNL_ROLL_KEYS);
    else if (index >= s->n)
        st = rnl_fail(RNL_ERR_USAGE, "--prime %s: the %s split of %s has %d sequences", spec, c1 + 1, path, s->n);
    else if (s->len[index] < 1)
        st = rnl_fail(RNL_ERR_DATA, "--prime %s: sequence %ld is empty", spec, index);
    else if (!(*roll = malloc((size_t)s->len[index] * RNL_ROLL_KEYS)))
        st = rnl_fail(RNL_ERR_NOMEM, "--prime %s: out of memory", spec);
    if (!st) {
        memcpy(*roll, s->frames + s->off[index] * RNL_ROLL_KEYS, (size_t)s->len[index] * RNL_ROLL_KEYS);
        *P = s->len[index];
    }
    rnl_music_free(&mu);
    return st;
}
