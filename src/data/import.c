/* import.c — a folder of MIDI files to a piano-roll .mat file: the recursive walk, the
 * conversion of each file, the seeded shuffle and the split (see import.h). */
#include "data/import.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "data/matwrite.h"
#include "data/midi.h"
#include "io/util.h"

typedef struct {
    char **p;
    size_t n, cap;
} pathlist;

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
        else if (rnl_midi_has_ext(e->d_name) && (S_ISREG(sb.st_mode) || (S_ISLNK(sb.st_mode) && stat(path, &sb) == 0 && S_ISREG(sb.st_mode))))
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

/* One formatted line to the sink, if there is one. A line holds a path (< 4096 bytes) or an
 * error message (< 1024) and a few words, so it fits the buffer. */
static void warn(rnl_log_fn sink, void *ctx, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void warn(rnl_log_fn sink, void *ctx, const char *fmt, ...) {
    if (!sink) return;
    char line[4096 + 256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    sink(ctx, line);
}

rnl_status rnl_import_midi(const rnl_import_opts *o, rnl_log_fn sink, void *sink_ctx,
                           rnl_import_report *rep) {
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
                warn(sink, sink_ctx, "warning: %s: no key signature, kept untransposed", l.p[i]);
            }
        }
        if (!st) st = rnl_roll_from_midi(&m, o->fpq, shift, l.p[i], &r, &T, &s);
        rnl_midi_free(&m);
        if (!st && !any_note(r, T)) st = rnl_fail(RNL_ERR_DATA, "%s: no notes in 21..108 outside channel 10", l.p[i]);
        if (st == RNL_ERR_NOMEM) goto done;
        if (st) {
            free(r);
            rep->skipped++;
            warn(sink, sink_ctx, "warning: skipped %s", rnl_last_error());
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

