/* wav.c — audio input/output through libsndfile (see wav.h for the contracts): reading any
 * mono file with checks for truncation, and writing 16-bit PCM WAV built in memory through
 * libsndfile's virtual I/O, then renamed into place. */
#include "data/wav.h"

#include <fcntl.h>
#include <math.h>
#include <sndfile.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/util.h"

/* Frames read per sf_readf_float call. */
#define READ_CHUNK 65536

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
    else if ((uint64_t)info.frames > RNL_WAV_MAX_SAMPLES)
        st = rnl_fail(RNL_ERR_DATA, "%s: %lld samples, more than the %zu accepted", path,
                      (long long)info.frames, RNL_WAV_MAX_SAMPLES);
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
            if (cap >= RNL_WAV_MAX_SAMPLES) break;
            size_t ncap = cap * 2 > RNL_WAV_MAX_SAMPLES ? RNL_WAV_MAX_SAMPLES : cap * 2;
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
short rnl_wav_quantise16(double v) {
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
        for (size_t j = 0; j < k; j++) chunk[j] = rnl_wav_quantise16(samples[i + j]);
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
