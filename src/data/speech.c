/* speech.c — WAV input/output through libsndfile, the FSDD manifest and data set adapter,
 * and sampling audio from a MoG model (see speech.h for the contracts). */
#include "data/speech.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/util.h"

/* The longest recording accepted (2^30 samples, 37 hours at 8 kHz): keeps every step count
 * inside an int and bounds what a corrupt header can make us allocate. */
#define MAX_SAMPLES ((size_t)1 << 30)
/* Frames read per sf_readf_float call. */
#define READ_CHUNK 65536

long rnl_speech_steps(size_t n) {
    return n >= RNL_SPEECH_IN + RNL_SPEECH_OUT ? (long)((n - RNL_SPEECH_IN) / RNL_SPEECH_HOP) : 0;
}

double rnl_speech_bits_per_sample(double nll_per_step, int O, double std) {
    return (nll_per_step / O + log(std * 32768.0)) / log(2.0);
}

/* ================================================================ reading =========== */

/* libsndfile's last error for a failed open, on one line. */
static const char *sf_message(SNDFILE *f, char *buf, size_t n) {
    snprintf(buf, n, "%s", sf_strerror(f));
    for (char *p = buf; *p; p++)
        if (*p == '\n' || *p == '\r') *p = ' ';
    return buf;
}

/* 1 if libsndfile's log says the data chunk declares more bytes than the file holds
 * ("data : 4768 (should be 1956)" for WAV, "SSND : ..." for AIFF): libsndfile then reads
 * what is there, silently, so a recording cut short would pass as a shorter one. */
static int data_chunk_cut(SNDFILE *f) {
    char log[8192];
    log[0] = '\0';
    sf_command(f, SFC_GET_LOG_INFO, log, sizeof log);
    log[sizeof log - 1] = '\0';
    const char *line = log;
    while (*line) {
        const char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) : strlen(line);
        if (strncmp(line, "data ", 5) == 0 || strncmp(line, "SSND ", 5) == 0)
            for (size_t k = 0; k + 9 <= len; k++)
                if (memcmp(line + k, "should be", 9) == 0) return 1;
        line += len + (end != NULL);
    }
    return 0;
}

rnl_status rnl_wav_read(const char *path, float **samples, size_t *n, int *rate) {
    *samples = NULL;
    *n = 0;
    int fd;
    struct stat sb;
    rnl_status st0 = rnl_open_read(path, RNL_ERR_DATA, ", not an audio file", &fd, &sb);
    if (st0) return st0;
    SF_INFO info;
    memset(&info, 0, sizeof info);
    /* close_desc = 0: the descriptor is ours to close on every path. */
    SNDFILE *f = sf_open_fd(fd, SFM_READ, &info, 0);
    char msg[256];
    if (!f) {
        close(fd);
        return rnl_fail(RNL_ERR_DATA, "%s: not a readable audio file (libsndfile: %s)", path,
                        sf_message(NULL, msg, sizeof msg));
    }
    rnl_status st = RNL_OK;
    float *buf = NULL;
    size_t total = 0;
    const int fmt = info.format & SF_FORMAT_SUBMASK;
    const int is_float = fmt == SF_FORMAT_FLOAT || fmt == SF_FORMAT_DOUBLE;
    if (info.channels != 1)
        st = rnl_fail(RNL_ERR_DATA, "%s: %d channels; only mono audio is accepted", path, info.channels);
    else if (info.samplerate <= 0)
        st = rnl_fail(RNL_ERR_DATA, "%s: invalid sample rate %d", path, info.samplerate);
    else if (info.frames <= 0)
        st = rnl_fail(RNL_ERR_DATA, "%s: contains no samples", path);
    else if ((uint64_t)info.frames > MAX_SAMPLES)
        st = rnl_fail(RNL_ERR_DATA, "%s: %lld samples, more than the %zu accepted", path,
                      (long long)info.frames, MAX_SAMPLES);
    else if (data_chunk_cut(f))
        st = rnl_fail(RNL_ERR_DATA, "%s: truncated (the data chunk is shorter than its header says)", path);
    if (st) goto done;
    /* The header's frame count sizes the first allocation (at most 4 Mi samples, so a lying
     * header cannot make it large); reading continues until libsndfile stops. */
    size_t cap = (size_t)info.frames < ((size_t)1 << 22) ? (size_t)info.frames : ((size_t)1 << 22);
    buf = malloc(cap * sizeof *buf);
    if (!buf) {
        st = rnl_fail(RNL_ERR_NOMEM, "%s: out of memory for %zu samples", path, cap);
        goto done;
    }
    for (;;) {
        if (total == cap) {
            if (cap >= MAX_SAMPLES) break;
            size_t ncap = cap * 2 > MAX_SAMPLES ? MAX_SAMPLES : cap * 2;
            float *q = realloc(buf, ncap * sizeof *q);
            if (!q) {
                st = rnl_fail(RNL_ERR_NOMEM, "%s: out of memory for %zu samples", path, ncap);
                goto done;
            }
            buf = q;
            cap = ncap;
        }
        size_t want = cap - total < READ_CHUNK ? cap - total : READ_CHUNK;
        sf_count_t got = sf_readf_float(f, buf + total, (sf_count_t)want);
        if (got <= 0) break;
        total += (size_t)got;
    }
    if (sf_error(f) != SF_ERR_NO_ERROR)
        st = rnl_fail(RNL_ERR_DATA, "%s: read error after %zu samples (libsndfile: %s)", path, total,
                      sf_message(f, msg, sizeof msg));
    else if (total != (size_t)info.frames)
        st = rnl_fail(RNL_ERR_DATA, "%s: truncated: %zu of the %lld samples its header declares", path,
                      total, (long long)info.frames);
    for (size_t i = 0; !st && i < total; i++)
        if (!(buf[i] >= -1.0f && buf[i] <= 1.0f))
            st = rnl_fail(RNL_ERR_DATA, "%s: sample %zu is %g, outside [-1, 1]%s", path, i, (double)buf[i],
                          is_float ? " (floating-point data must be normalised)" : "");
done:
    sf_close(f);
    close(fd);
    if (st) {
        free(buf);
        return st;
    }
    *samples = buf;
    *n = total;
    if (rate) *rate = info.samplerate;
    return RNL_OK;
}

/* ================================================================ writing =========== */

/* A growable in-memory file for libsndfile's virtual I/O: the WAV is built in memory and
 * then written atomically by rnl_write_file_atomic. */
typedef struct {
    unsigned char *p;
    sf_count_t len, cap, pos; /* bytes used, allocated, current offset */
    int oom;
} memfile;

static sf_count_t mf_len(void *u) { return ((memfile *)u)->len; }
static sf_count_t mf_tell(void *u) { return ((memfile *)u)->pos; }
static sf_count_t mf_seek(sf_count_t off, int whence, void *u) {
    memfile *m = u;
    sf_count_t base = whence == SEEK_SET ? 0 : whence == SEEK_CUR ? m->pos : m->len;
    if (off < -base) return -1;
    m->pos = base + off;
    return m->pos;
}
static sf_count_t mf_read(void *dst, sf_count_t n, void *u) {
    memfile *m = u;
    sf_count_t k = m->pos >= m->len ? 0 : (m->len - m->pos < n ? m->len - m->pos : n);
    if (k > 0) memcpy(dst, m->p + m->pos, (size_t)k);
    m->pos += k;
    return k;
}
static sf_count_t mf_write(const void *src, sf_count_t n, void *u) {
    memfile *m = u;
    if (m->oom || n < 0) return 0;
    sf_count_t end = m->pos + n;
    if (end > m->cap) {
        sf_count_t cap = m->cap ? m->cap : 4096;
        while (cap < end) cap *= 2;
        unsigned char *q = realloc(m->p, (size_t)cap);
        if (!q) {
            m->oom = 1;
            return 0;
        }
        memset(q + m->cap, 0, (size_t)(cap - m->cap));
        m->p = q;
        m->cap = cap;
    }
    memcpy(m->p + m->pos, src, (size_t)n);
    m->pos = end;
    if (end > m->len) m->len = end;
    return n;
}

/* The 16-bit step nearest to v after clipping to [-1, 1): an integer in [-32768, 32767]. */
static short quantise16(double v) {
    double q = nearbyint(v * 32768.0);
    return (short)(q < -32768.0 ? -32768.0 : q > 32767.0 ? 32767.0 : q);
}

rnl_status rnl_wav_write16(const char *path, const float *samples, size_t n, int rate) {
    if (rate <= 0) return rnl_fail(RNL_ERR_USAGE, "%s: invalid sample rate %d", path, rate);
    SF_VIRTUAL_IO vio = {mf_len, mf_seek, mf_read, mf_write, mf_tell};
    memfile mf = {0};
    SF_INFO info;
    memset(&info, 0, sizeof info);
    info.samplerate = rate;
    info.channels = 1;
    info.format = SF_FORMAT_WAV | SF_FORMAT_PCM_16;
    char msg[256];
    SNDFILE *f = sf_open_virtual(&vio, SFM_WRITE, &info, &mf);
    if (!f) {
        free(mf.p);
        return rnl_fail(RNL_ERR_IO, "%s: cannot start a WAV file (libsndfile: %s)", path,
                        sf_message(NULL, msg, sizeof msg));
    }
    rnl_status st = RNL_OK;
    short chunk[4096];
    for (size_t i = 0; i < n && !st; i += 4096) {
        size_t k = n - i < 4096 ? n - i : 4096;
        for (size_t j = 0; j < k; j++) chunk[j] = quantise16(samples[i + j]);
        if (sf_writef_short(f, chunk, (sf_count_t)k) != (sf_count_t)k)
            st = rnl_fail(mf.oom ? RNL_ERR_NOMEM : RNL_ERR_IO, "%s: writing the samples failed (libsndfile: %s)",
                          path, sf_message(f, msg, sizeof msg));
    }
    if (sf_close(f) != 0 && !st)
        st = rnl_fail(RNL_ERR_IO, "%s: finishing the WAV header failed", path);
    if (!st && mf.oom) st = rnl_fail(RNL_ERR_NOMEM, "%s: out of memory building the WAV file", path);
    if (!st) st = rnl_write_file_atomic(path, mf.p, (size_t)mf.len);
    free(mf.p);
    return st;
}

/* ================================================================ manifest ========== */

/* Split one line (NUL-terminated, no '\n') at tabs in place; up to max fields. Returns the
 * number of fields, or max + 1 if there are more. */
static int split_tabs(char *line, char **field, int max) {
    int k = 0;
    for (char *p = line;;) {
        if (k == max) return max + 1;
        field[k++] = p;
        char *t = strchr(p, '\t');
        if (!t) return k;
        *t = '\0';
        p = t + 1;
    }
}

#define MAX_COLS 64

typedef struct {
    char *file;    /* name inside recordings/ (points into the manifest's text) */
    int split;     /* RNL_SPLIT_* under the chosen scheme */
    long samples;  /* the "samples" column, -1 when there is none */
} manifest_row;

static int by_name(const void *a, const void *b) {
    return strcmp((*(const manifest_row *const *)a)->file, (*(const manifest_row *const *)b)->file);
}

/* Parse manifest text (modified in place) into rows; `what` names the file in messages. */
static rnl_status parse_manifest(char *text, const char *what, const char *column,
                                 manifest_row **rows_out, int *n_out) {
    *rows_out = NULL;
    *n_out = 0;
    int nlines = 0;
    for (char *p = text; *p; p++) nlines += *p == '\n';
    manifest_row *rows = malloc(sizeof *rows * (size_t)(nlines + 1));
    if (!rows) return rnl_fail(RNL_ERR_NOMEM, "%s: out of memory", what);
    rnl_status st = RNL_OK;
    char *field[MAX_COLS];
    /* c_other: the other scheme's column, required too (both are part of the format). */
    int ncol = 0, c_file = -1, c_split = -1, c_other = -1, c_samples = -1, n = 0, lineno = 0;
    const char *other = strcmp(column, "split_by_index") == 0 ? "split_by_speaker" : "split_by_index";
    char *p = text;
    while (*p && !st) {
        char *nl = strchr(p, '\n');
        if (!nl) {
            st = rnl_fail(RNL_ERR_DATA, "%s: line %d does not end with a newline", what, lineno + 1);
            break;
        }
        *nl = '\0';
        lineno++;
        for (char *q = p; *q && !st; q++)
            if ((unsigned char)*q < 0x20 && *q != '\t')
                st = rnl_fail(RNL_ERR_DATA, "%s: line %d: control character 0x%02x", what, lineno, (unsigned char)*q);
        if (st) break;
        int k = split_tabs(p, field, MAX_COLS);
        if (lineno == 1) {
            if (k > MAX_COLS) {
                st = rnl_fail(RNL_ERR_DATA, "%s: more than %d columns in the header", what, MAX_COLS);
                break;
            }
            ncol = k;
            for (int c = 0; c < k && !st; c++) {
                int *slot = strcmp(field[c], "file") == 0             ? &c_file
                            : strcmp(field[c], column) == 0           ? &c_split
                            : strcmp(field[c], "samples") == 0        ? &c_samples
                            : strcmp(field[c], "split_by_index") == 0 ? &c_other
                            : strcmp(field[c], "split_by_speaker") == 0 ? &c_other
                                                                      : NULL;
                for (int e = 0; e < c && !st; e++)
                    if (strcmp(field[e], field[c]) == 0)
                        st = rnl_fail(RNL_ERR_DATA, "%s: header: column '%s' appears twice", what, field[c]);
                if (slot) *slot = c;
            }
            if (!st && (c_file < 0 || c_split < 0 || c_other < 0))
                st = rnl_fail(RNL_ERR_DATA, "%s: header lacks the column '%s'", what,
                              c_file < 0 ? "file" : c_split < 0 ? column : other);
        } else if (k != ncol) {
            st = rnl_fail(RNL_ERR_DATA, "%s: line %d has %d fields, the header %d", what, lineno,
                          k > MAX_COLS ? MAX_COLS + 1 : k, ncol);
        } else {
            manifest_row *r = &rows[n];
            r->file = field[c_file];
            const char *s = field[c_split];
            r->split = rnl_split_parse(s);
            r->samples = -1;
            if (!r->file[0] || strchr(r->file, '/') || strcmp(r->file, ".") == 0 || strcmp(r->file, "..") == 0)
                st = rnl_fail(RNL_ERR_DATA, "%s: line %d: bad file name '%s' (a name inside recordings/)", what,
                              lineno, r->file);
            else if (r->split < 0)
                st = rnl_fail(RNL_ERR_DATA, "%s: line %d: %s is '%s', expected train, valid or test", what, lineno,
                              column, s);
            else if (c_samples >= 0) {
                char lab[4200]; /* the manifest path plus the line */
                snprintf(lab, sizeof lab, "%s line %d: samples", what, lineno);
                st = rnl_parse_long(field[c_samples], 1, (long)MAX_SAMPLES, lab, &r->samples);
                if (st) st = RNL_ERR_DATA;
            }
            n++;
        }
        p = nl + 1;
    }
    if (!st && lineno == 0) st = rnl_fail(RNL_ERR_DATA, "%s: empty (expected a header line)", what);
    if (!st && n == 0) st = rnl_fail(RNL_ERR_DATA, "%s: lists no recordings", what);
    if (!st) {
        manifest_row **sorted = malloc(sizeof *sorted * (size_t)n);
        if (!sorted) st = rnl_fail(RNL_ERR_NOMEM, "%s: out of memory", what);
        for (int i = 0; !st && i < n; i++) sorted[i] = &rows[i];
        if (!st) qsort(sorted, (size_t)n, sizeof *sorted, by_name);
        for (int i = 1; !st && i < n; i++)
            if (strcmp(sorted[i - 1]->file, sorted[i]->file) == 0)
                st = rnl_fail(RNL_ERR_DATA, "%s: '%s' is listed twice", what, sorted[i]->file);
        free(sorted);
    }
    if (st) {
        free(rows);
        return st;
    }
    *rows_out = rows;
    *n_out = n;
    return RNL_OK;
}

/* ================================================================ data set ========== */

/* The recordings of one split, back to back. */
typedef struct {
    int n;        /* recordings */
    size_t *off;  /* [n+1] index of each recording's first sample in s; off[n] = total */
    float *s;     /* [total] samples in [-1, 1] (not standardised) */
    size_t cap;   /* samples allocated in s */
} speech_split;

typedef struct {
    speech_split split[3]; /* RNL_SPLIT_TRAIN, _VALID, _TEST */
} speech_set;

static void speech_set_free(speech_set *s) {
    for (int k = 0; k < 3; k++) {
        free(s->split[k].off);
        free(s->split[k].s);
    }
    free(s);
}

size_t rnl_speech_samples(const rnl_dataset *d, int split) {
    const speech_split *sp = &((const speech_set *)d->impl)->split[split];
    return sp->n ? sp->off[sp->n] : 0;
}

static int speech_steps(const rnl_dataset *d, int split, int i) {
    const speech_split *sp = &((const speech_set *)d->impl)->split[split];
    return (int)rnl_speech_steps(sp->off[i + 1] - sp->off[i]);
}

/* Step t of recording i: x[t][b] = z[10t .. 10t+20), y[t][b] = z[10t+20 .. 10t+30) with
 * z = (s - mean) / std. */
static void speech_fill(const rnl_dataset *d, int split, int i, int b, int B, rnl_real *x,
                        rnl_real *y) {
    const speech_split *sp = &((const speech_set *)d->impl)->split[split];
    const float *s = sp->s + sp->off[i];
    const long T = rnl_speech_steps(sp->off[i + 1] - sp->off[i]);
    const double mean = d->mean, std = d->std;
    for (long t = 0; t < T; t++) {
        const float *w = s + (size_t)t * RNL_SPEECH_HOP;
        rnl_real *xr = x + ((size_t)t * B + b) * RNL_SPEECH_IN;
        rnl_real *yr = y + ((size_t)t * B + b) * RNL_SPEECH_OUT;
        for (int k = 0; k < RNL_SPEECH_IN; k++) xr[k] = (rnl_real)(((double)w[k] - mean) / std);
        for (int k = 0; k < RNL_SPEECH_OUT; k++)
            yr[k] = (rnl_real)(((double)w[RNL_SPEECH_IN + k] - mean) / std);
    }
}

static void speech_destroy(rnl_dataset *d) {
    speech_set_free(d->impl);
    d->impl = NULL;
}

/* Append n samples as one more recording of sp. */
static rnl_status split_append(speech_split *sp, const float *v, size_t n, int nmax) {
    if (!sp->off) {
        sp->off = malloc(sizeof *sp->off * (size_t)(nmax + 1));
        if (!sp->off) return RNL_ERR_NOMEM;
        sp->off[0] = 0;
    }
    size_t used = sp->off[sp->n];
    if (used + n > sp->cap) {
        size_t cap = sp->cap ? sp->cap : 1 << 20;
        while (cap < used + n) cap *= 2;
        float *q = realloc(sp->s, cap * sizeof *q);
        if (!q) return RNL_ERR_NOMEM;
        sp->s = q;
        sp->cap = cap;
    }
    memcpy(sp->s + used, v, n * sizeof *v);
    sp->off[++sp->n] = used + n;
    return RNL_OK;
}

rnl_status rnl_speech_open(const char *dir, const char *scheme, rnl_dataset *d) {
    const char *column;
    if (!scheme || !scheme[0] || strcmp(scheme, "index") == 0)
        column = "split_by_index";
    else if (strcmp(scheme, "speaker") == 0)
        column = "split_by_speaker";
    else
        return rnl_fail(RNL_ERR_USAGE, "split scheme '%s': expected index or speaker", scheme);
    char mpath[4096], rdir[4096], wpath[4096];
    rnl_status st = rnl_path_join(mpath, sizeof mpath, dir, "manifest.tsv");
    if (!st) st = rnl_path_join(rdir, sizeof rdir, dir, "recordings");
    if (st) return st;
    unsigned char *text = NULL;
    size_t tn = 0;
    st = rnl_read_file(mpath, &text, &tn);
    if (st) return st;
    if (strlen((char *)text) != tn) {
        free(text);
        return rnl_fail(RNL_ERR_DATA, "%s: contains a NUL byte", mpath);
    }
    manifest_row *rows = NULL;
    int n = 0;
    st = parse_manifest((char *)text, mpath, column, &rows, &n);
    speech_set *set = st ? NULL : calloc(1, sizeof *set);
    if (!st && !set) st = rnl_fail(RNL_ERR_NOMEM, "out of memory loading %s", dir);
    for (int i = 0; i < n && !st; i++) {
        float *v = NULL;
        size_t len = 0;
        st = rnl_path_join(wpath, sizeof wpath, rdir, rows[i].file);
        if (!st) st = rnl_wav_read(wpath, &v, &len, NULL);
        if (!st && rows[i].samples >= 0 && (size_t)rows[i].samples != len)
            st = rnl_fail(RNL_ERR_DATA, "%s: %zu samples, but %s says %ld", wpath, len, mpath, rows[i].samples);
        if (!st && split_append(&set->split[rows[i].split], v, len, n))
            st = rnl_fail(RNL_ERR_NOMEM, "out of memory loading %s", wpath);
        free(v);
    }
    free(rows);
    free(text);
    /* Normalisation from the training split only: mean, then the population variance about
     * it (two passes in double). */
    const speech_split *tr = set ? &set->split[RNL_SPLIT_TRAIN] : NULL;
    double mean = 0, var = 0;
    if (!st) {
        size_t N = tr->n ? tr->off[tr->n] : 0;
        if (N < 2) {
            st = rnl_fail(RNL_ERR_DATA, "%s: the training split (%s) holds %zu samples; at least 2 are needed",
                          mpath, column, N);
        } else {
            for (size_t k = 0; k < N; k++) mean += tr->s[k];
            mean /= (double)N;
            for (size_t k = 0; k < N; k++) var += ((double)tr->s[k] - mean) * ((double)tr->s[k] - mean);
            var /= (double)N;
            if (!(var > 0)) st = rnl_fail(RNL_ERR_DATA, "%s: the training split is constant (std 0)", mpath);
        }
    }
    if (st) {
        if (set) speech_set_free(set);
        return st;
    }
    if (d->path != dir) snprintf(d->path, sizeof d->path, "%s", dir);
    d->impl = set;
    d->kind = "speech";
    for (int s = 0; s < 3; s++) d->nseq[s] = set->split[s].n;
    d->input = RNL_SPEECH_IN;
    d->output = RNL_SPEECH_OUT;
    d->head = RNL_HEAD_MOG;
    d->mixtures = RNL_SPEECH_K;
    d->mean = mean;
    d->std = sqrt(var);
    d->steps = speech_steps;
    d->fill = speech_fill;
    d->destroy = speech_destroy;
    return RNL_OK;
}

/* ================================================================ sampling ========== */

/* Draw O values from the mixture whose parameters are the logits a [K*(1+2*O)] (layout in
 * rnnlab.h): component k with probability softmax(a[0..K))_k, then y_d ~ N(mu_kd, sigma_kd²)
 * with the log-std clamped exactly as rnl_mog_nll does. */
static void mog_draw(const rnl_real *a, int O, int K, rnl_rng *rng, double *y) {
    const rnl_real *mu = a + K, *ls = a + K + (size_t)K * O;
    double mx = -INFINITY, tot = 0;
    for (int k = 0; k < K; k++) mx = a[k] > mx ? a[k] : mx;
    for (int k = 0; k < K; k++) tot += exp((double)a[k] - mx);
    double u = rnl_rng_uniform(rng) * tot, acc = 0;
    int pick = K - 1;
    for (int k = 0; k < K; k++) {
        acc += exp((double)a[k] - mx);
        if (u < acc) {
            pick = k;
            break;
        }
    }
    const double lo = log(RNL_MOG_MIN_STD), hi = RNL_MOG_MAX_LOG_STD;
    for (int d = 0; d < O; d++) {
        double l = ls[(size_t)pick * O + d];
        l = l < lo ? lo : l > hi ? hi : l;
        y[d] = mu[(size_t)pick * O + d] + exp(l) * rnl_rng_normal(rng);
    }
}

rnl_status rnl_speech_sample(const rnl_model *m, double seconds, uint64_t seed,
                             const char *prime_wav, const char *out_wav) {
    const rnl_config *c = rnl_model_config(m);
    if (c->head != RNL_HEAD_MOG)
        return rnl_fail(RNL_ERR_USAGE, "sampling audio needs a model with a MoG head, this one has %s",
                        rnl_head_name(c->head));
    if (!(seconds > 0) || !(seconds <= 3600))
        return rnl_fail(RNL_ERR_USAGE, "seconds must be in (0, 3600], got %g", seconds);
    const size_t nout = (size_t)llround(seconds * RNL_SPEECH_RATE);
    if (nout == 0) return rnl_fail(RNL_ERR_USAGE, "%g seconds is less than one sample at 8000 Hz", seconds);
    /* rnl_model_metadata takes a non-const model; the metadata is only read here. */
    const rnl_model_meta *md = rnl_model_metadata((rnl_model *)m);
    const double mean = md->data_mean, std = md->data_std;
    if (!isfinite(mean) || !(std > 0) || !isfinite(std))
        return rnl_fail(RNL_ERR_DATA, "the model's normalisation (mean %g, std %g) is not usable", mean, std);
    const int I = c->input, O = c->output, W = rnl_head_width(c);

    /* The stream: [primed part | generated samples], raw values in [-1, 1). */
    float *prime = NULL;
    size_t np = 0, used = (size_t)I;
    long psteps = 0;
    if (prime_wav) {
        int rate = 0;
        rnl_status st = rnl_wav_read(prime_wav, &prime, &np, &rate);
        if (st) return st;
        if (rate != RNL_SPEECH_RATE || np < (size_t)I) {
            free(prime);
            return rate != RNL_SPEECH_RATE
                       ? rnl_fail(RNL_ERR_DATA, "%s: %d Hz; a prime must be %d Hz audio", prime_wav, rate, RNL_SPEECH_RATE)
                       : rnl_fail(RNL_ERR_DATA, "%s: %zu samples; a prime needs at least %d", prime_wav, np, I);
        }
        psteps = (long)((np - (size_t)I) / (size_t)O);
        used = (size_t)I + (size_t)O * (size_t)psteps;
    }
    const size_t nsteps = (nout + (size_t)O - 1) / (size_t)O;
    float *stream = calloc(used + nsteps * (size_t)O, sizeof *stream);
    rnl_real *x = malloc(sizeof *x * (size_t)I), *logits = malloc(sizeof *logits * (size_t)W);
    double *y = malloc(sizeof *y * (size_t)O);
    rnl_workspace *ws = NULL;
    rnl_state *state = NULL;
    rnl_status st = RNL_OK;
    if (!stream || !x || !logits || !y) st = rnl_fail(RNL_ERR_NOMEM, "out of memory sampling %zu samples", nout);
    if (!st && prime) memcpy(stream, prime, used * sizeof *stream);
    free(prime);
    if (!st) st = rnl_workspace_create(&ws);
    if (!st) rnl_workspace_hold(ws, 1); /* the model's weights, unchanged while sampling */
    if (!st) st = rnl_state_create(m, 1, &state);
    if (!st) rnl_state_zero(state);
    rnl_rng rng;
    rnl_rng_seed(&rng, seed);
    /* Prime steps t < psteps see stream[tO .. tO+I), as in training; then each generation
     * step sees the last I samples of the stream and appends O. */
    for (long t = 0; !st && t < psteps + (long)nsteps; t++) {
        const float *win = stream + (size_t)t * O;
        for (int k = 0; k < I; k++) x[k] = (rnl_real)(((double)win[k] - mean) / std);
        st = rnl_step(m, ws, x, 1, state, logits);
        if (st || t < psteps) continue;
        const size_t pos = (size_t)t * O + (size_t)I; /* first sample this step draws */
        mog_draw(logits, O, c->mixtures, &rng, y);
        for (int d = 0; d < O && !st; d++) {
            double v = y[d] * std + mean;
            if (!isfinite(v))
                st = rnl_fail(RNL_ERR_NUMERIC, "sampling: a drawn value is not finite at sample %zu", pos + d - used);
            else
                stream[pos + d] = (float)(quantise16(v) / 32768.0);
        }
    }
    if (!st) st = rnl_wav_write16(out_wav, stream + used, nout, RNL_SPEECH_RATE);
    rnl_state_free(state);
    rnl_workspace_free(ws);
    free(stream);
    free(x);
    free(logits);
    free(y);
    return st;
}
