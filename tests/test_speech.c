/* test_speech.c — WAV reading and writing, the FSDD data set (fake and real), the framing of
 * every step, normalisation, the linear-prediction baseline against the analytic entropy of
 * an AR process, and sampling audio from a MoG model. Test files are written with libsndfile
 * into a temporary directory; runs from the repository root (the real FSDD is expected at
 * ../shared/data/speech/fsdd; its absence is a failure). */
#include <dirent.h>
#include <math.h>
#include <sndfile.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "data/dataset.h"
#include "data/lpc.h"
#include "rnnlab.h"
#include "data/speech.h"
#include "data/wav.h"
#include "io/util.h"
#include "run/batch.h"
#include "sample/sample.h"

static char tmpdir[64];

static const char *tpath(const char *name) {
    static char buf[8][256];
    static int k;
    k = (k + 1) % 8;
    snprintf(buf[k], sizeof buf[k], "%s/%s", tmpdir, name);
    return buf[k];
}

/* Write frames of `channels` interleaved values (as int: full 32-bit scale) with libsndfile. */
static int write_int(const char *path, int format, int rate, int channels, const int *v, sf_count_t frames) {
    SF_INFO info = {0};
    info.samplerate = rate;
    info.channels = channels;
    info.format = format;
    SNDFILE *f = sf_open(path, SFM_WRITE, &info);
    if (!f) return -1;
    sf_count_t w = frames ? sf_writef_int(f, v, frames) : 0;
    sf_close(f);
    return w == frames ? 0 : -1;
}

static int write_float(const char *path, int format, int rate, const float *v, sf_count_t frames) {
    SF_INFO info = {0};
    info.samplerate = rate;
    info.channels = 1;
    info.format = format;
    SNDFILE *f = sf_open(path, SFM_WRITE, &info);
    if (!f) return -1;
    sf_command(f, SFC_SET_CLIPPING, NULL, SF_FALSE);
    sf_count_t w = sf_writef_float(f, v, frames);
    sf_close(f);
    return w == frames ? 0 : -1;
}

/* 16-bit mono PCM WAV of the given integer samples. */
static int write16(const char *path, int rate, const short *s, size_t n) {
    int *v = malloc(sizeof *v * (n ? n : 1));
    for (size_t i = 0; i < n; i++) v[i] = (int)s[i] * 65536;
    int r = write_int(path, SF_FORMAT_WAV | SF_FORMAT_PCM_16, rate, 1, v, (sf_count_t)n);
    free(v);
    return r;
}

static int write_text(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    fputs(text, f);
    return fclose(f);
}

/* First n bytes of file src copied to dst. */
static int copy_prefix(const char *src, const char *dst, size_t n) {
    unsigned char *d = NULL;
    size_t len = 0;
    if (rnl_read_file(src, &d, &len) != RNL_OK) return -1;
    int r = rnl_write_file_atomic(dst, d, n < len ? n : len) == RNL_OK ? 0 : -1;
    free(d);
    return r;
}

static int contains(const char *s, const char *sub) { return strstr(s, sub) != NULL; }

/* A deterministic 16-bit test signal covering the extremes. */
static short sig(int file, size_t k) {
    if (k == 0) return -32768;
    if (k == 1) return 32767;
    return (short)((int)((k * 7919u + (unsigned)file * 104729u) % 65536u) - 32768) / (file + 1);
}

/* ================================================================ reading =========== */

static void test_read_formats(void) {
    enum { N = 95 };
    short s[N];
    for (size_t k = 0; k < N; k++) s[k] = sig(0, k);
    const char *p16 = tpath("pcm16.wav");
    CHECK(write16(p16, 8000, s, N) == 0, "writing %s", p16);
    float *v = NULL;
    size_t n = 0;
    int rate = 0;
    rnl_status st = rnl_wav_read(p16, &v, &n, &rate);
    CHECK(st == RNL_OK && n == N && rate == 8000, "16-bit: %s", rnl_last_error());
    int exact = st == RNL_OK && n == N;
    for (size_t k = 0; exact && k < N; k++) exact = v[k] == (float)s[k] / 32768.0f && (double)v[k] == s[k] / 32768.0;
    CHECK(exact, "16-bit samples are read as x/32768 exactly");
    CHECK(st == RNL_OK && v[0] == -1.0f && v[1] == 32767.0f / 32768.0f, "extremes of 16-bit");
    free(v);

    /* 8-bit unsigned at 11025 Hz: x/128 with x in -128..127. */
    int i8[64], i24[64];
    for (int k = 0; k < 64; k++) i8[k] = ((k * 37) % 256 - 128) * (1 << 24);
    for (int k = 0; k < 64; k++) i24[k] = ((k * 123457) % (1 << 24) - (1 << 23)) * 256;
    const char *p8 = tpath("u8.wav"), *p24 = tpath("pcm24.aiff"), *pf = tpath("float.wav");
    CHECK(write_int(p8, SF_FORMAT_WAV | SF_FORMAT_PCM_U8, 11025, 1, i8, 64) == 0, "writing %s", p8);
    st = rnl_wav_read(p8, &v, &n, &rate);
    CHECK(st == RNL_OK && n == 64 && rate == 11025, "8-bit: %s", rnl_last_error());
    exact = st == RNL_OK;
    for (int k = 0; exact && k < 64; k++) exact = v[k] == (float)((k * 37) % 256 - 128) / 128.0f;
    CHECK(exact, "8-bit samples are x/128");
    free(v);
    /* 24-bit AIFF at 44100 Hz: x/2^23. */
    CHECK(write_int(p24, SF_FORMAT_AIFF | SF_FORMAT_PCM_24, 44100, 1, i24, 64) == 0, "writing %s", p24);
    st = rnl_wav_read(p24, &v, &n, &rate);
    CHECK(st == RNL_OK && n == 64 && rate == 44100, "24-bit: %s", rnl_last_error());
    exact = st == RNL_OK;
    for (int k = 0; exact && k < 64; k++)
        exact = (double)v[k] == (double)((k * 123457) % (1 << 24) - (1 << 23)) / 8388608.0;
    CHECK(exact, "24-bit samples are x/2^23");
    free(v);
    /* 32-bit float at 16000 Hz: taken as stored. */
    float fl[50];
    for (int k = 0; k < 50; k++) fl[k] = (float)sin(0.3 * k) * 0.9f;
    fl[3] = 1.0f;
    fl[4] = -1.0f;
    CHECK(write_float(pf, SF_FORMAT_WAV | SF_FORMAT_FLOAT, 16000, fl, 50) == 0, "writing %s", pf);
    st = rnl_wav_read(pf, &v, &n, &rate);
    CHECK(st == RNL_OK && n == 50 && rate == 16000 && memcmp(v, fl, sizeof fl) == 0, "float: %s",
          rnl_last_error());
    free(v);
    /* FLAC, if this libsndfile has it. */
    SF_INFO fi = {0, 22050, 1, SF_FORMAT_FLAC | SF_FORMAT_PCM_16, 0, 0};
    if (sf_format_check(&fi)) {
        const char *pfl = tpath("x.flac");
        int iv[N];
        for (int k = 0; k < N; k++) iv[k] = s[k] * 65536;
        CHECK(write_int(pfl, SF_FORMAT_FLAC | SF_FORMAT_PCM_16, 22050, 1, iv, N) == 0, "writing %s", pfl);
        st = rnl_wav_read(pfl, &v, &n, &rate);
        CHECK(st == RNL_OK && n == N && rate == 22050 && v[5] == s[5] / 32768.0f, "flac: %s", rnl_last_error());
        free(v);
    }
}

/* Each bad file is refused with `want` and a message naming it (and containing `word`). */
static void refused(const char *path, rnl_status want, const char *word) {
    float *v = (float *)&v;
    size_t n = 7;
    rnl_status st = rnl_wav_read(path, &v, &n, NULL);
    CHECK(st == want, "%s: status %d, expected %d (%s)", path, (int)st, (int)want, rnl_last_error());
    CHECK(contains(rnl_last_error(), path) && contains(rnl_last_error(), word),
          "%s: message '%s' should name the file and say '%s'", path, rnl_last_error(), word);
    CHECK(v == NULL && n == 0, "%s: outputs cleared on failure", path);
    CHECK(strchr(rnl_last_error(), '\n') == NULL, "%s: one-line message", path);
}

static void test_read_refusals(void) {
    int st2[40];
    for (int k = 0; k < 40; k++) st2[k] = (k * 1000) << 8;
    const char *stereo = tpath("stereo.wav");
    CHECK(write_int(stereo, SF_FORMAT_WAV | SF_FORMAT_PCM_16, 8000, 2, st2, 20) == 0, "writing %s", stereo);
    refused(stereo, RNL_ERR_DATA, "2 channels");
    const char *empty = tpath("empty.wav");
    CHECK(write_int(empty, SF_FORMAT_WAV | SF_FORMAT_PCM_16, 8000, 1, st2, 0) == 0, "writing %s", empty);
    refused(empty, RNL_ERR_DATA, "no samples");
    const char *zero = tpath("zero_bytes.wav");
    CHECK(write_text(zero, "") == 0, "writing %s", zero);
    refused(zero, RNL_ERR_DATA, "not a readable audio file");
    short s[1000];
    for (int k = 0; k < 1000; k++) s[k] = sig(1, k);
    const char *good = tpath("good.wav"), *hdr = tpath("cut_header.wav"), *data = tpath("cut_data.wav");
    CHECK(write16(good, 8000, s, 1000) == 0, "writing %s", good);
    CHECK(copy_prefix(good, hdr, 30) == 0 && copy_prefix(good, data, 1000) == 0, "cutting %s", good);
    refused(hdr, RNL_ERR_DATA, "not a readable audio file");
    refused(data, RNL_ERR_DATA, "truncated");
    const char *text = tpath("text.wav");
    CHECK(write_text(text, "RIFF? no, this is a text file pretending to be audio.\n") == 0, "writing %s", text);
    refused(text, RNL_ERR_DATA, "not a readable audio file");
    refused(tpath("does_not_exist.wav"), RNL_ERR_IO, "cannot open");
    refused(tmpdir, RNL_ERR_DATA, "directory");
    float bad[4] = {0.5f, 1.5f, 0, 0}, nanv[4] = {0, NAN, 0, 0};
    const char *over = tpath("over.wav"), *nanf = tpath("nan.wav");
    CHECK(write_float(over, SF_FORMAT_WAV | SF_FORMAT_FLOAT, 8000, bad, 4) == 0, "writing %s", over);
    CHECK(write_float(nanf, SF_FORMAT_WAV | SF_FORMAT_FLOAT, 8000, nanv, 4) == 0, "writing %s", nanf);
    refused(over, RNL_ERR_DATA, "outside [-1, 1]");
    refused(nanf, RNL_ERR_DATA, "outside [-1, 1]");
}

/* ================================================================ writing =========== */

static void test_write(void) {
    float v[7] = {0.0f, 0.5f, -1.0f, 1.0f, 2.0f, -3.0f, 100.4f / 32768.0f};
    const char *p = tpath("written.wav");
    rnl_status st = rnl_wav_write16(p, v, 7, 8000);
    CHECK(st == RNL_OK, "rnl_wav_write16: %s", rnl_last_error());
    SF_INFO info = {0};
    SNDFILE *f = sf_open(p, SFM_READ, &info);
    short back[8] = {0};
    CHECK(f && info.channels == 1 && info.samplerate == 8000 && info.frames == 7 &&
              info.format == (SF_FORMAT_WAV | SF_FORMAT_PCM_16),
          "written file: 16-bit mono WAV 8000 Hz, 7 frames");
    if (f) {
        CHECK(sf_readf_short(f, back, 7) == 7, "read back");
        sf_close(f);
    }
    const short want[7] = {0, 16384, -32768, 32767, 32767, -32768, 100};
    CHECK(memcmp(back, want, sizeof want) == 0, "clipped to [-1, 1) and rounded to 16 bits");
    st = rnl_wav_write16(tpath("no_such_dir/x.wav"), v, 7, 8000);
    CHECK(st == RNL_ERR_IO && contains(rnl_last_error(), "no_such_dir/x.wav"), "unwritable: %s", rnl_last_error());
}

/* ================================================================ fake FSDD ======== */

/* Recordings of the fake set: lengths chosen around the framing's edges. */
#define NFAKE 6
static const int fake_len[NFAKE] = {95, 30, 29, 19, 120, 41};
static const char *const fake_idx[NFAKE] = {"train", "train", "valid", "test", "train", "test"};
static const char *const fake_spk[NFAKE] = {"valid", "train", "train", "train", "test", "train"};

static void make_fake(const char *dir, const char *manifest) {
    char rec[512], p[600];
    snprintf(rec, sizeof rec, "%s/recordings", dir);
    CHECK(rnl_mkdir_p(rec) == RNL_OK, "mkdir %s", rec);
    for (int i = 0; i < NFAKE; i++) {
        short s[200];
        for (int k = 0; k < fake_len[i]; k++) s[k] = sig(i + 2, k);
        snprintf(p, sizeof p, "%s/r%d.wav", rec, i);
        CHECK(write16(p, 8000, s, fake_len[i]) == 0, "writing %s", p);
    }
    snprintf(p, sizeof p, "%s/manifest.tsv", dir);
    CHECK(write_text(p, manifest) == 0, "writing %s", p);
}

static void fake_manifest(rnl_buf *b) {
    rnl_buf_printf(b, "file\tspeaker\tsamples\tsplit_by_index\tsplit_by_speaker\n");
    for (int i = 0; i < NFAKE; i++)
        rnl_buf_printf(b, "r%d.wav\ts%d\t%d\t%s\t%s\n", i, i % 2, fake_len[i], fake_idx[i], fake_spk[i]);
}

/* Hand computation for one scheme: the recordings of each split in manifest order, the
 * training mean and std, and every step of every recording through fill. */
static void check_fake(const rnl_dataset *d, const char *const *col, const char *what) {
    int idx[3][NFAKE], cnt[3] = {0, 0, 0};
    for (int i = 0; i < NFAKE; i++) {
        int s = rnl_split_parse(col[i]);
        idx[s][cnt[s]++] = i;
    }
    CHECK(d->nseq[0] == cnt[0] && d->nseq[1] == cnt[1] && d->nseq[2] == cnt[2], "%s: split sizes %d/%d/%d",
          what, d->nseq[0], d->nseq[1], d->nseq[2]);
    CHECK(strcmp(d->kind, "speech") == 0 && d->input == 20 && d->output == 10 && d->head == RNL_HEAD_MOG &&
              d->mixtures == 20,
          "%s: speech shape", what);
    double sum = 0, n = 0, ss = 0;
    for (int j = 0; j < cnt[0]; j++)
        for (int k = 0; k < fake_len[idx[0][j]]; k++) sum += sig(idx[0][j] + 2, k) / 32768.0, n++;
    double mean = sum / n;
    for (int j = 0; j < cnt[0]; j++)
        for (int k = 0; k < fake_len[idx[0][j]]; k++) {
            double e = sig(idx[0][j] + 2, k) / 32768.0 - mean;
            ss += e * e;
        }
    double std = sqrt(ss / n);
    CHECK_CLOSE(d->mean, mean, 1e-12, 1e-15, "train mean");
    CHECK_CLOSE(d->std, std, 1e-12, 0, "train std (population)");
    int bad = 0, stepsok = 1;
    for (int s = 0; s < 3; s++)
        for (int j = 0; j < cnt[s]; j++) {
            const int i = idx[s][j], L = fake_len[i], T = L >= 30 ? (L - 20) / 10 : 0;
            stepsok &= d->steps(d, s, j) == T;
            CHECK(rnl_speech_samples(d, s) > 0 || cnt[s] == 0, "samples of split %d", s);
            /* Column 1 of a batch of 2; rows t >= T must stay as they were (sentinel 9). */
            const int Tm = T + 2, B = 2;
            rnl_real *x = malloc(sizeof *x * Tm * B * 20), *y = malloc(sizeof *y * Tm * B * 10);
            for (int k = 0; k < Tm * B * 20; k++) x[k] = 9;
            for (int k = 0; k < Tm * B * 10; k++) y[k] = 9;
            d->fill(d, s, j, 1, B, x, y);
            for (int t = 0; t < Tm; t++)
                for (int b = 0; b < B; b++) {
                    for (int k = 0; k < 20; k++) {
                        double want = b == 1 && t < T ? (sig(i + 2, 10 * t + k) / 32768.0 - mean) / std : 9;
                        bad += fabs(x[(t * B + b) * 20 + k] - want) > 1e-6 * fabs(want) + 1e-7;
                    }
                    for (int k = 0; k < 10; k++) {
                        double want = b == 1 && t < T ? (sig(i + 2, 10 * t + 20 + k) / 32768.0 - mean) / std : 9;
                        bad += fabs(y[(t * B + b) * 10 + k] - want) > 1e-6 * fabs(want) + 1e-7;
                    }
                }
            free(x);
            free(y);
        }
    CHECK(stepsok, "%s: steps = floor((N-20)/10) for N >= 30, else 0", what);
    CHECK(bad == 0, "%s: %d values of x/y differ from s[10t+k] / s[10t+20+k] standardised", what, bad);
}

static void manifest_refused(const char *dir, const char *manifest, const char *scheme, rnl_status want,
                             const char *word) {
    char p[600];
    snprintf(p, sizeof p, "%s/manifest.tsv", dir);
    CHECK(write_text(p, manifest) == 0, "writing %s", p);
    rnl_dataset d;
    memset(&d, 0, sizeof d);
    rnl_status st = rnl_speech_open(dir, scheme, &d);
    CHECK(st == want && contains(rnl_last_error(), word), "manifest %.40s...: status %d (%s), expected %d and '%s'",
          manifest, (int)st, rnl_last_error(), (int)want, word);
    if (!st) d.destroy(&d);
}

static void test_fake_fsdd(void) {
    char dir[256];
    snprintf(dir, sizeof dir, "%s/fsdd", tmpdir);
    rnl_buf b = {0};
    fake_manifest(&b);
    make_fake(dir, b.p);
    rnl_dataset *d = NULL;
    rnl_status st = rnl_dataset_open(dir, NULL, NULL, &d);
    CHECK(st == RNL_OK, "open fake fsdd: %s", rnl_last_error());
    if (!st) check_fake(d, fake_idx, "index (default)");
    rnl_dataset_free(d);
    st = rnl_dataset_open(dir, NULL, "speaker", &d);
    CHECK(st == RNL_OK, "open fake fsdd, speaker: %s", rnl_last_error());
    if (!st) check_fake(d, fake_spk, "speaker");
    rnl_dataset_free(d);
    st = rnl_dataset_open(dir, NULL, "index", &d);
    CHECK(st == RNL_OK, "scheme index");
    if (!st) check_fake(d, fake_idx, "index");
    rnl_dataset_free(d);
    st = rnl_dataset_open(dir, NULL, "gender", &d);
    CHECK(st == RNL_ERR_USAGE && contains(rnl_last_error(), "gender"), "unknown scheme: %s", rnl_last_error());

    const char *H = "file\tsamples\tsplit_by_index\tsplit_by_speaker\n";
    char m[1024];
    manifest_refused(dir, "file\tsplit_by_speaker\nr0.wav\ttrain\n", NULL, RNL_ERR_DATA, "lacks the column 'split_by_index'");
    manifest_refused(dir, "file\tsplit_by_index\nr0.wav\ttrain\n", "speaker", RNL_ERR_DATA, "lacks the column 'split_by_speaker'");
    manifest_refused(dir, "file\tsplit_by_index\nr0.wav\ttrain\n", "index", RNL_ERR_DATA, "lacks the column 'split_by_speaker'");
    snprintf(m, sizeof m, "%sr0.wav\t95\ttrain\n", H);
    manifest_refused(dir, m, NULL, RNL_ERR_DATA, "line 2 has 3 fields");
    snprintf(m, sizeof m, "%sr0.wav\t95\ttraining\ttrain\n", H);
    manifest_refused(dir, m, NULL, RNL_ERR_DATA, "'training'");
    snprintf(m, sizeof m, "%sr0.wav\t95\ttrain\ttrain\r\n", H);
    manifest_refused(dir, m, NULL, RNL_ERR_DATA, "control character");
    snprintf(m, sizeof m, "%sr0.wav\t95\ttrain\ttrain\nr0.wav\t95\ttest\ttest\n", H);
    manifest_refused(dir, m, NULL, RNL_ERR_DATA, "listed twice");
    snprintf(m, sizeof m, "%sr0.wav\t96\ttrain\ttrain\n", H);
    manifest_refused(dir, m, NULL, RNL_ERR_DATA, "r0.wav: 95 samples");
    snprintf(m, sizeof m, "%s../r0.wav\t95\ttrain\ttrain\n", H);
    manifest_refused(dir, m, NULL, RNL_ERR_DATA, "bad file name");
    snprintf(m, sizeof m, "%sr9.wav\t95\ttrain\ttrain\n", H);
    manifest_refused(dir, m, NULL, RNL_ERR_IO, "r9.wav");
    snprintf(m, sizeof m, "%sr0.wav\t95\ttrain\ttrain", H);
    manifest_refused(dir, m, NULL, RNL_ERR_DATA, "newline");
    snprintf(m, sizeof m, "%sr0.wav\t95\ttest\ttrain\n", H);
    manifest_refused(dir, m, NULL, RNL_ERR_DATA, "training split");
    snprintf(m, sizeof m, "%s", H);
    manifest_refused(dir, m, NULL, RNL_ERR_DATA, "no recordings");
    manifest_refused(dir, "", NULL, RNL_ERR_DATA, "empty");
    snprintf(m, sizeof m, "file\tfile\tsplit_by_index\tsplit_by_speaker\nr0.wav\tr0.wav\ttrain\ttrain\n");
    manifest_refused(dir, m, NULL, RNL_ERR_DATA, "appears twice");
    rnl_dataset dd;
    memset(&dd, 0, sizeof dd);
    st = rnl_speech_open(tpath("nowhere"), NULL, &dd);
    CHECK(st == RNL_ERR_IO && contains(rnl_last_error(), "nowhere/manifest.tsv"), "no manifest: %s",
          rnl_last_error());
    rnl_buf_free(&b);
}

/* ================================================================ real FSDD ======== */

static void test_real_fsdd(void) {
    const char *dir = "../shared/data/speech/fsdd";
    rnl_dataset *d = NULL;
    double t0 = rnl_now();
    rnl_status st = rnl_dataset_open(dir, NULL, NULL, &d);
    double secs = rnl_now() - t0;
    CHECK(st == RNL_OK, "FSDD at %s: %s", dir, rnl_last_error());
    if (st) return;
    printf("speech: loaded FSDD (3000 files) in %.2f s\n", secs);
    CHECK(secs < 2.0, "loading FSDD took %.2f s (limit 2 s)", secs);
    CHECK(d->nseq[0] == 2400 && d->nseq[1] == 300 && d->nseq[2] == 300, "split_by_index sizes %d/%d/%d",
          d->nseq[0], d->nseq[1], d->nseq[2]);
    CHECK(rnl_speech_samples(d, 0) == 8407965 && rnl_speech_samples(d, 1) == 1056429 &&
              rnl_speech_samples(d, 2) == 1034030,
          "sample totals %zu/%zu/%zu", rnl_speech_samples(d, 0), rnl_speech_samples(d, 1), rnl_speech_samples(d, 2));
    CHECK(d->std > 0.01 && d->std < 0.5 && fabs(d->mean) < 0.01, "plausible normalisation (mean %g, std %g)",
          d->mean, d->std);
    rnl_dataset_free(d);
    st = rnl_dataset_open(dir, NULL, "speaker", &d);
    CHECK(st == RNL_OK, "FSDD speaker scheme: %s", rnl_last_error());
    if (st) return;
    CHECK(d->nseq[0] == 2000 && d->nseq[1] == 500 && d->nseq[2] == 500, "split_by_speaker sizes %d/%d/%d",
          d->nseq[0], d->nseq[1], d->nseq[2]);
    CHECK(rnl_speech_samples(d, 0) + rnl_speech_samples(d, 1) + rnl_speech_samples(d, 2) == 10498424,
          "10,498,424 samples in all");
    rnl_dataset_free(d);
}

/* ================================================================ batch order ====== */

/* A data set that is only lengths: steps(i) = lens[i]. */
static const int *bo_lens;
static int bo_steps(const rnl_dataset *d, int split, int i) { return bo_lens[i]; }

/* sum over batches of B·(longest) / sum of lengths: 1 = no padding */
static double padding(const rnl_dataset *d, const int *perm, int n, int B) {
    double pad = 0, tot = 0;
    for (int i = 0; i < n; i += B) {
        int mx = 0, m = n - i < B ? n - i : B;
        for (int b = 0; b < m; b++) {
            int l = d->steps(d, RNL_SPLIT_TRAIN, perm[i + b]);
            mx = l > mx ? l : mx;
            tot += l;
        }
        pad += (double)mx * m;
    }
    return pad / tot;
}

static int is_perm(const int *p, int n) {
    char seen[4096] = {0};
    for (int i = 0; i < n; i++) {
        if (p[i] < 0 || p[i] >= n || seen[p[i]]) return 0;
        seen[p[i]] = 1;
    }
    return 1;
}

static void test_bucket_order(void) {
    /* By hand: lengths 0..6 in a scrambled order, B = 2, one window: the sorted order is
     * 6 5 | 4 3 | 2 1 | 0, the three full batches in some order, the short one last. */
    static const int lens[7] = {3, 0, 6, 1, 5, 2, 4};
    bo_lens = lens;
    rnl_dataset fake = {.nseq = {7, 0, 0}, .steps = bo_steps};
    int perm[7] = {0, 1, 2, 3, 4, 5, 6};
    rnl_rng rng, rng0;
    rnl_rng_seed(&rng, 5);
    CHECK(rnl_bucket_order(&fake, RNL_SPLIT_TRAIN, perm, 7, 2, &rng) == RNL_OK, "bucket order: %s", rnl_last_error());
    int pairs = 0;
    for (int k = 0; k < 3; k++) {
        int a = lens[perm[2 * k]], b = lens[perm[2 * k + 1]];
        pairs += a == b + 1 && a % 2 == 0;
    }
    CHECK(pairs == 3 && lens[perm[6]] == 0 && is_perm(perm, 7), "bucket order by hand: batches (6 5) (4 3) (2 1), then (0)");
    /* Batch 1: the order and the generator untouched. */
    rnl_rng_seed(&rng, 5);
    rng0 = rng;
    int same[7] = {0, 1, 2, 3, 4, 5, 6};
    rnl_bucket_order(&fake, RNL_SPLIT_TRAIN, same, 7, 1, &rng);
    int untouched = memcmp(&rng, &rng0, sizeof rng) == 0;
    for (int i = 0; i < 7; i++) untouched &= same[i] == i;
    CHECK(untouched, "batch 1: the bucket order changed the order or drew from the generator");

    /* FSDD's training split at batch 16: a shuffled order pads by a third or more, the
     * bucketed one by under 2 %; the same seed gives the same order. */
    rnl_dataset *d = NULL;
    if (rnl_dataset_open("../shared/data/speech/fsdd", NULL, NULL, &d)) {
        CHECK(0, "FSDD: %s", rnl_last_error());
        return;
    }
    const int n = d->nseq[RNL_SPLIT_TRAIN];
    int *p1 = malloc(sizeof(int) * n), *p2 = malloc(sizeof(int) * n);
    rnl_rng_seed(&rng, 1);
    for (int i = 0; i < n; i++) p1[i] = i;
    for (int i = n - 1; i > 0; i--) {
        int j = (int)rnl_rng_below(&rng, (uint64_t)i + 1), t = p1[i];
        p1[i] = p1[j];
        p1[j] = t;
    }
    memcpy(p2, p1, sizeof(int) * n);
    const double before = padding(d, p1, n, 16);
    rng0 = rng;
    rnl_bucket_order(d, RNL_SPLIT_TRAIN, p1, n, 16, &rng);
    rnl_bucket_order(d, RNL_SPLIT_TRAIN, p2, n, 16, &rng0);
    const double after = padding(d, p1, n, 16);
    printf("speech: FSDD train at batch 16: padded/real steps %.3f shuffled, %.4f bucketed\n", before, after);
    CHECK(before > 1.3 && after < 1.07, "bucketing: padding %.3f -> %.4f", before, after);
    CHECK(is_perm(p1, n) && memcmp(p1, p2, sizeof(int) * n) == 0, "bucketing: not a permutation, or not deterministic");
    free(p1);
    free(p2);
    rnl_dataset_free(d);
}

/* ================================================================ LPC ============== */

/* A synthetic data set: sequences of an AR(2) process framed exactly as speech. */
typedef struct {
    int n[3];
    float *s[3]; /* [n * LEN] */
} ar_set;
#define AR_LEN 4000

static int ar_steps(const rnl_dataset *d, int split, int i) { return (int)rnl_speech_steps(AR_LEN); }
static void ar_fill(const rnl_dataset *d, int split, int i, int b, int B, rnl_real *x, rnl_real *y) {
    const float *s = ((const ar_set *)d->impl)->s[split] + (size_t)i * AR_LEN;
    for (int t = 0; t < ar_steps(d, split, i); t++) {
        for (int k = 0; k < 20; k++) x[((size_t)t * B + b) * 20 + k] = s[10 * t + k];
        for (int k = 0; k < 10; k++) y[((size_t)t * B + b) * 10 + k] = s[10 * t + 20 + k];
    }
}

static void test_lpc(void) {
    const double a1 = 1.3, a2 = -0.6, sigma = 0.5; /* stationary: |roots|^2 = 0.6 */
    ar_set set = {{60, 1, 20}, {NULL, NULL, NULL}};
    rnl_rng rng;
    rnl_rng_seed(&rng, 12345);
    for (int s = 0; s < 3; s++) {
        set.s[s] = malloc(sizeof(float) * set.n[s] * AR_LEN);
        for (int i = 0; i < set.n[s]; i++) {
            double p1 = 0, p2 = 0;
            for (int k = -200; k < AR_LEN; k++) { /* 200 samples of warm-up */
                double v = a1 * p1 + a2 * p2 + sigma * rnl_rng_normal(&rng);
                p2 = p1;
                p1 = v;
                if (k >= 0) set.s[s][(size_t)i * AR_LEN + k] = (float)v;
            }
        }
    }
    rnl_dataset d;
    memset(&d, 0, sizeof d);
    snprintf(d.path, sizeof d.path, "AR(2)");
    d.kind = "speech";
    for (int s = 0; s < 3; s++) d.nseq[s] = set.n[s];
    d.input = 20;
    d.output = 10;
    d.head = RNL_HEAD_MOG;
    d.mean = 0;
    d.std = 1;
    d.steps = ar_steps;
    d.fill = ar_fill;
    d.impl = &set;
    rnl_lpc p;
    rnl_status st = rnl_lpc_fit(&d, &p);
    CHECK(st == RNL_OK, "lpc fit: %s", rnl_last_error());
    if (!st) {
        /* The process's conditional law of the next 10 samples given the past: mean linear
         * in the last two, covariance σ² H Hᵀ with H the unit lower-triangular Toeplitz
         * matrix of the impulse response h (h0 = 1, h1 = a1, h_k = a1 h_{k-1} + a2 h_{k-2}).
         * Entropy: full 10 · ½ ln(2πe σ²); marginals ½ ln(2πe σ² Σ_{j<=k} h_j²). */
        double h[10] = {1, a1}, full = 10 * 0.5 * log(2 * M_PI * M_E * sigma * sigma), diag = 0, cum = 0;
        for (int k = 2; k < 10; k++) h[k] = a1 * h[k - 1] + a2 * h[k - 2];
        for (int k = 0; k < 10; k++) {
            cum += h[k] * h[k];
            diag += 0.5 * log(2 * M_PI * M_E * sigma * sigma * cum);
        }
        double nf[3], nd[3], ns[3];
        for (int s = 0; s < 3; s++) {
            st = rnl_lpc_eval(&p, &d, s, &nf[s], &nd[s], &ns[s]);
            CHECK(st == RNL_OK && ns[s] == set.n[s] * rnl_speech_steps(AR_LEN), "lpc eval split %d", s);
            nf[s] /= ns[s];
            nd[s] /= ns[s];
        }
        printf("speech: AR(2) baseline: full %.4f (train) %.4f (test) vs entropy %.4f; diag %.4f (test) vs %.4f\n",
               nf[0], nf[2], full, nd[2], diag);
        CHECK_CLOSE(nf[0], 10 * 0.5 * (log(2 * M_PI) + 1) + 0.5 * p.logdet, 1e-9, 1e-9,
                    "train NLL = ½O(ln 2π + 1) + ½ ln det Σ");
        CHECK_CLOSE(nf[0], full, 0, 0.03, "train NLL (full covariance) vs analytic entropy");
        CHECK_CLOSE(nf[2], full, 0, 0.06, "test NLL (full covariance) vs analytic entropy");
        CHECK_CLOSE(nd[2], diag, 0, 0.08, "test NLL (independent residuals) vs analytic marginal entropy");
        CHECK(nd[2] > nf[2] + 1, "independent residuals cost more than the full covariance");
        /* First output: y_0 = a1 x_19 + a2 x_18 + e, no bias. */
        const double *c0 = p.coef;
        CHECK(fabs(c0[19] - a1) < 0.02 && fabs(c0[18] - a2) < 0.02 && fabs(c0[20]) < 0.02,
              "coefficients of y_0: %.4f %.4f bias %.4f", c0[19], c0[18], c0[20]);
        CHECK_CLOSE(p.var[0], sigma * sigma, 0.03, 0, "innovation variance");
        rnl_lpc_free(&p);
    }
    d.nseq[0] = 0;
    st = rnl_lpc_fit(&d, &p);
    CHECK(st == RNL_ERR_DATA && contains(rnl_last_error(), "AR(2)"), "no training steps: %s", rnl_last_error());
    for (int s = 0; s < 3; s++) free(set.s[s]);
}

/* ================================================================ sampling ========== */

static rnl_model *mog_model(uint64_t seed) {
    rnl_config c = {RNL_CELL_GRU, RNL_VARIANT_PAPER, RNL_HEAD_MOG, 1, 20, 4, 10, 2};
    rnl_model *m = NULL;
    if (rnl_model_create(&c, &m) || rnl_model_init(m, seed, 0)) return NULL;
    rnl_model_metadata(m)->data_mean = 0.01;
    rnl_model_metadata(m)->data_std = 0.2;
    return m;
}

static long frames_of(const char *path, int *rate, int *ch, int *fmt) {
    SF_INFO info = {0};
    SNDFILE *f = sf_open(path, SFM_READ, &info);
    if (!f) return -1;
    sf_close(f);
    *rate = info.samplerate;
    *ch = info.channels;
    *fmt = info.format;
    return (long)info.frames;
}

static void test_sample(void) {
    rnl_model *m = mog_model(3);
    CHECK(m != NULL, "tiny MoG model");
    if (!m) return;
    const char *out = tpath("sample.wav"), *out2 = tpath("sample2.wav"), *out3 = tpath("sample3.wav");
    rnl_status st = rnl_speech_sample(m, 0.01234, 7, NULL, out);
    CHECK(st == RNL_OK, "sample: %s", rnl_last_error());
    int rate = 0, ch = 0, fmt = 0;
    long fr = frames_of(out, &rate, &ch, &fmt);
    CHECK(fr == 99 && rate == 8000 && ch == 1 && fmt == (SF_FORMAT_WAV | SF_FORMAT_PCM_16),
          "0.01234 s: %ld frames (want round(98.72) = 99), %d Hz, %d channels", fr, rate, ch);
    st = rnl_speech_sample(m, 1.0, 7, NULL, out2);
    fr = frames_of(out2, &rate, &ch, &fmt);
    CHECK(st == RNL_OK && fr == 8000, "1 s: %ld frames", fr);
    st = rnl_speech_sample(m, 0.01234, 7, NULL, out3);
    unsigned char *a = NULL, *b = NULL;
    size_t na = 0, nb = 0;
    rnl_read_file(out, &a, &na);
    rnl_read_file(out3, &b, &nb);
    CHECK(st == RNL_OK && a && b && na == nb && memcmp(a, b, na) == 0, "same seed, same bytes");
    free(b);
    st = rnl_speech_sample(m, 0.01234, 8, NULL, out3);
    rnl_read_file(out3, &b, &nb);
    CHECK(st == RNL_OK && b && na == nb && memcmp(a, b, na) != 0, "another seed, other samples");
    free(a);
    free(b);

    /* A model whose output ignores the state: component 0 always (logit 50 vs -50), mean
     * mu_d, log-std -30 (clamped to ln 1e-3): samples are round(32768 (mu std + mean)) give or
     * take a step (noise 1e-3 std = 0.1 LSB with std 0.003). */
    rnl_model *m2 = mog_model(4);
    const rnl_tensor *oW = rnl_model_find(m2, "out.W"), *ob = rnl_model_find(m2, "out.b");
    rnl_real *P = rnl_model_params(m2);
    memset(P + oW->offset, 0, sizeof(rnl_real) * oW->size);
    rnl_real *bias = P + ob->offset;
    rnl_model_metadata(m2)->data_mean = 0.001;
    rnl_model_metadata(m2)->data_std = 0.003;
    bias[0] = 50;
    bias[1] = -50;
    for (int k = 0; k < 2; k++)
        for (int dd = 0; dd < 10; dd++) {
            double raw = dd < 8 ? 0.25 * (dd - 4) / 4.0 : dd == 8 ? 3.0 : -3.0; /* last two clip */
            bias[2 + k * 10 + dd] = (rnl_real)((raw - 0.001) / 0.003);
            bias[22 + k * 10 + dd] = -30;
        }
    const char *o4 = tpath("const.wav");
    st = rnl_speech_sample(m2, 0.005, 1, NULL, o4); /* 40 samples: 4 steps */
    CHECK(st == RNL_OK, "constant model: %s", rnl_last_error());
    float *v = NULL;
    size_t n = 0;
    st = rnl_wav_read(o4, &v, &n, &rate);
    int ok = st == RNL_OK && n == 40;
    for (size_t i = 0; ok && i < n; i++) {
        int dd = (int)(i % 10);
        double want = dd < 8 ? 32768.0 * 0.25 * (dd - 4) / 4.0 : dd == 8 ? 32767 : -32768;
        ok = fabs(v[i] * 32768.0 - want) <= 1.0;
    }
    CHECK(ok, "samples follow the chosen component's means (clipped to [-1, 1))");
    free(v);
    rnl_model_free(m2);

    /* Priming: a good prime, then bad ones. */
    short s[1000];
    for (int k = 0; k < 1000; k++) s[k] = (short)(3000 * sin(k * 0.05));
    const char *prime = tpath("prime.wav"), *p16k = tpath("prime16k.wav"), *pshort = tpath("prime_short.wav");
    CHECK(write16(prime, 8000, s, 1000) == 0 && write16(p16k, 16000, s, 1000) == 0 && write16(pshort, 8000, s, 19) == 0,
          "writing primes");
    st = rnl_speech_sample(m, 0.1, 7, prime, out3);
    fr = frames_of(out3, &rate, &ch, &fmt);
    CHECK(st == RNL_OK && fr == 800, "primed: %s, %ld frames", rnl_last_error(), fr);
    st = rnl_speech_sample(m, 0.1, 7, tpath("text.wav"), out3);
    CHECK(st == RNL_ERR_DATA && contains(rnl_last_error(), "text.wav"), "text prime: %s", rnl_last_error());
    st = rnl_speech_sample(m, 0.1, 7, tpath("missing_prime.wav"), out3);
    CHECK(st == RNL_ERR_IO && contains(rnl_last_error(), "missing_prime.wav"), "missing prime: %s", rnl_last_error());
    st = rnl_speech_sample(m, 0.1, 7, p16k, out3);
    CHECK(st == RNL_ERR_DATA && contains(rnl_last_error(), "prime16k.wav") && contains(rnl_last_error(), "16000 Hz"),
          "16 kHz prime: %s", rnl_last_error());
    st = rnl_speech_sample(m, 0.1, 7, pshort, out3);
    CHECK(st == RNL_ERR_DATA && contains(rnl_last_error(), "prime_short.wav"), "short prime: %s", rnl_last_error());
    st = rnl_speech_sample(m, 0.1, 7, tpath("stereo.wav"), out3);
    CHECK(st == RNL_ERR_DATA && contains(rnl_last_error(), "stereo.wav"), "stereo prime: %s", rnl_last_error());
    st = rnl_speech_sample(m, 0, 7, NULL, out3);
    CHECK(st == RNL_ERR_USAGE, "0 seconds refused");
    st = rnl_speech_sample(m, 3601, 7, NULL, out3);
    CHECK(st == RNL_ERR_USAGE, "3601 seconds refused");
    st = rnl_speech_sample(m, 0.1, 7, NULL, tpath("no_such_dir/s.wav"));
    CHECK(st == RNL_ERR_IO && contains(rnl_last_error(), "no_such_dir/s.wav"), "unwritable out: %s", rnl_last_error());
    rnl_config bc = {RNL_CELL_GRU, RNL_VARIANT_PAPER, RNL_HEAD_BERNOULLI, 1, 20, 4, 10, 0};
    rnl_model *mb = NULL;
    CHECK(rnl_model_create(&bc, &mb) == RNL_OK, "bernoulli model");
    st = rnl_speech_sample(mb, 0.1, 7, NULL, out3);
    CHECK(st == RNL_ERR_USAGE && contains(rnl_last_error(), "MoG"), "Bernoulli model refused: %s", rnl_last_error());
    rnl_model_free(mb);
    rnl_model_free(m);
    /* Atomic writes leave no temporaries behind. */
    DIR *dir = opendir(tmpdir);
    int tmps = 0;
    for (struct dirent *e; dir && (e = readdir(dir));) tmps += strstr(e->d_name, ".tmp") != NULL;
    if (dir) closedir(dir);
    CHECK(tmps == 0, "%d temporary files left in %s", tmps, tmpdir);
}

static void test_units(void) {
    /* std*32768 = 1 (integer units): bits/sample is nll / (10 ln 2). */
    CHECK_CLOSE(rnl_speech_bits_per_sample(6.931471805599453, 10, 1.0 / 32768), 1.0, 1e-12, 0, "identity scale");
    /* A standard normal in z with std 0.1: p_int = p_z / 3276.8 per sample. */
    double nll = 10 * 0.5 * log(2 * M_PI * M_E);
    CHECK_CLOSE(rnl_speech_bits_per_sample(nll, 10, 0.1), (0.5 * log(2 * M_PI * M_E) + log(3276.8)) / log(2), 1e-12,
                0, "Gaussian conversion");
    CHECK(rnl_speech_steps(0) == 0 && rnl_speech_steps(29) == 0 && rnl_speech_steps(30) == 1 &&
              rnl_speech_steps(39) == 1 && rnl_speech_steps(40) == 2 && rnl_speech_steps(3499) == 347,
          "steps(N)");
}

static void remove_tree(const char *path) {
    DIR *d = opendir(path);
    if (!d) {
        unlink(path);
        return;
    }
    char p[1024];
    for (struct dirent *e; (e = readdir(d));) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) continue;
        snprintf(p, sizeof p, "%s/%s", path, e->d_name);
        remove_tree(p);
    }
    closedir(d);
    rmdir(path);
}

int main(void) {
    snprintf(tmpdir, sizeof tmpdir, "/tmp/rnl_speech_XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    test_units();
    test_read_formats();
    test_read_refusals();
    test_write();
    test_fake_fsdd();
    test_real_fsdd();
    test_bucket_order();
    test_lpc();
    test_sample();
    remove_tree(tmpdir);
    return CHECK_DONE("speech");
}
