/* cmd_music.c — `sample` for piano-roll models (called by cmd_sample for a Bernoulli model)
 * and `data import-midi` (called by cmd_data). The work is in src/sample/sample_music.c
 * and src/data/import.c; this file parses options, prints (the import's warnings too), and
 * runs fluidsynth for --wav. docs/MUSIC_IO.md has the details. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "data/import.h"
#include "data/midi.h"
#include "data/pianoroll.h"
#include "io/util.h"
#include "sample/sample.h"

/* ================================================================ rendering ========= */

static const char *const SOUNDFONTS[] = {"/usr/share/sounds/sf2/FluidR3_GM.sf2",
                                         "/usr/share/sounds/sf2/default-GM.sf2"};
#define INSTALL_HINT "apt-get install fluidsynth fluid-soundfont-gm"

/* The first executable `name` on $PATH into out; 0 if found. */
static int find_program(const char *name, char *out, size_t n) {
    const char *path = getenv("PATH");
    if (!path || !*path) path = "/usr/local/bin:/usr/bin:/bin";
    while (*path) {
        const char *colon = strchr(path, ':');
        size_t len = colon ? (size_t)(colon - path) : strlen(path);
        if (len && (size_t)snprintf(out, n, "%.*s/%s", (int)len, path, name) < n && access(out, X_OK) == 0)
            return 0;
        path += len + (colon ? 1 : 0);
    }
    return -1;
}

/* fluidsynth -ni -F WAV -r 44100 SOUNDFONT MIDI, into a temporary file renamed to wav. */
static rnl_status render_wav(const char *mid, const char *wav) {
    char prog[4096];
    const char *sf = NULL;
    if (find_program("fluidsynth", prog, sizeof prog) != 0)
        return rnl_fail(RNL_ERR_IO, "--wav %s: fluidsynth is not installed (%s); the MIDI file %s was written", wav, INSTALL_HINT, mid);
    for (size_t i = 0; i < sizeof SOUNDFONTS / sizeof *SOUNDFONTS && !sf; i++)
        if (access(SOUNDFONTS[i], R_OK) == 0) sf = SOUNDFONTS[i];
    if (!sf)
        return rnl_fail(RNL_ERR_IO, "--wav %s: no General MIDI soundfont in /usr/share/sounds/sf2 (%s); the MIDI file %s was written", wav, INSTALL_HINT, mid);
    size_t tl = strlen(wav) + 48;
    char *tmp = malloc(tl);
    if (!tmp) return rnl_fail(RNL_ERR_NOMEM, "--wav %s: out of memory", wav);
    snprintf(tmp, tl, "%s.tmp%ld.wav", wav, (long)getpid());
    unlink(tmp);
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        free(tmp);
        return rnl_fail(RNL_ERR_IO, "--wav %s: cannot start fluidsynth: %s", wav, strerror(errno));
    }
    if (pid == 0) {
        int fd = open("/dev/null", O_WRONLY);
        if (fd >= 0) dup2(fd, STDOUT_FILENO);
        char *const args[] = {prog, "-ni", "-F", tmp, "-r", "44100", (char *)sf, (char *)mid, NULL};
        execv(prog, args);
        _exit(127);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    rnl_status st = RNL_OK;
    struct stat sb;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        st = rnl_fail(RNL_ERR_IO, "--wav %s: fluidsynth failed (status %d); the MIDI file %s was written", wav, status, mid);
    else if (stat(tmp, &sb) != 0 || sb.st_size <= 44)
        st = rnl_fail(RNL_ERR_IO, "--wav %s: fluidsynth wrote no audio; the MIDI file %s was written", wav, mid);
    else if (rename(tmp, wav) != 0)
        st = rnl_fail(RNL_ERR_IO, "--wav %s: cannot rename %s to it: %s", wav, tmp, strerror(errno));
    if (st) unlink(tmp);
    free(tmp);
    return st;
}

/* ================================================================ sample ============ */

/* 1 if a and b name one file: the same string, the same existing file, or the same name in
 * the same directory (for files not written yet). */
static int same_file(const char *a, const char *b) {
    struct stat sa, sb;
    if (strcmp(a, b) == 0) return 1;
    if (stat(a, &sa) == 0 && stat(b, &sb) == 0) return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
    const char *ba = strrchr(a, '/'), *bb = strrchr(b, '/');
    char da[4096], db[4096], ra[PATH_MAX], rb[PATH_MAX];
    snprintf(da, sizeof da, "%.*s", ba ? (int)(ba - a) + (ba == a) : 1, ba ? a : ".");
    snprintf(db, sizeof db, "%.*s", bb ? (int)(bb - b) + (bb == b) : 1, bb ? b : ".");
    ba = ba ? ba + 1 : a;
    bb = bb ? bb + 1 : b;
    return strcmp(ba, bb) == 0 && realpath(da, ra) && realpath(db, rb) && strcmp(ra, rb) == 0;
}

/* The files a music sample writes: --out a MIDI file, named so; --wav audio, named otherwise,
 * and not the same file (the rendering would replace the MIDI it is rendered from). */
static rnl_status check_outputs(const char *model, const char *out, const char *wav) {
    if (!rnl_midi_has_ext(out))
        return rnl_fail(RNL_ERR_USAGE, "sample --out %s: %s is a music model, which writes a MIDI file: give --out "
                        "FILE.mid (and --wav FILE.wav for audio)", out, model);
    if (!wav[0]) return RNL_OK;
    if (same_file(out, wav))
        return rnl_fail(RNL_ERR_USAGE, "sample: --out and --wav name the same file %s: give --out FILE.mid --wav FILE.wav",
                        out);
    if (rnl_midi_has_ext(wav))
        return rnl_fail(RNL_ERR_USAGE, "sample --wav %s: --wav writes WAV audio, not MIDI: give --wav FILE.wav", wav);
    return RNL_OK;
}

int cmd_sample_music(int argc, char **argv) {
    char model[4096] = "", out[4096] = "", prime[4096] = "", frame[4096] = "", wav[4096] = "",
         root[4096] = "";
    int steps = 0, program = 0; /* steps 0: not given */
    uint64_t seed = 1;
    double temperature = 1.0, tempo = 120;
    const opt opts[] = {
        {"--model", OPT_STRING, model, 0, 0, "checkpoint of a piano-roll (Bernoulli, 88 keys) model (required)"},
        {"--steps", OPT_INT, &steps, 1, RNL_ROLL_MAX_FRAMES, "frames to sample after the prime, >= 1 (required)"},
        {"--out", OPT_STRING, out, 0, 0, "MIDI file to write (required)"},
        {"--seed", OPT_U64, &seed, 0, 0, "seed of the draws: the same seed gives the same file"},
        {"--temperature", OPT_DOUBLE, &temperature, 1e-3, 1e3, "note probability is sigmoid(logit / temperature)"},
        {"--prime", OPT_STRING, prime, 0, 0, "DATA:SPLIT:INDEX (e.g. jsb:test:0) or FILE.mid to run the model over first"},
        {"--data-root", OPT_STRING, root, 0, 0, "where named data sets live (for --prime)"},
        {"--frame", OPT_STRING, frame, 0, 0, "quarter, eighth or sixteenth (none: from the model's data, quarter for JSB, else eighth)"},
        {"--tempo", OPT_DOUBLE, &tempo, 4, 1000, "quarter notes per minute"},
        {"--program", OPT_INT, &program, 0, 127, "General MIDI program (0 = acoustic grand piano)"},
        {"--wav", OPT_STRING, wav, 0, 0, "also render to this WAV file with fluidsynth"},
    };
    int r = cli_parse(argc, argv, 2, opts, (int)(sizeof opts / sizeof *opts), "sample",
                      "--model FILE --steps N --out FILE.mid [--prime DATA:SPLIT:INDEX|FILE.mid] [options]", NULL, 0, NULL);
    if (r) return r > 0 ? 0 : cli_fail(RNL_ERR_USAGE);
    if (!model[0] || !out[0] || steps < 1)
        return cli_fail(rnl_fail(RNL_ERR_USAGE, "sample: --model, --steps and --out are required"));
    int fpq = 2;
    rnl_status st = check_outputs(model, out, wav);
    if (!st) st = frame[0] ? rnl_frame_parse(frame, "--frame", &fpq) : rnl_music_model_frame(model, &fpq);
    if (st) return cli_fail(st);
    rnl_model *m = NULL;
    uint8_t *pr = NULL, *roll = NULL;
    int P = 0;
    st = rnl_model_load(model, &m);
    if (!st && prime[0]) st = rnl_music_prime(prime, root[0] ? root : NULL, fpq, &pr, &P);
    if (!st) st = rnl_music_sample(m, pr, P, steps, temperature, seed, &roll);
    if (!st) st = rnl_roll_write_midi(out, roll, P + steps, fpq, tempo, program);
    if (!st) {
        size_t on = 0;
        for (size_t i = 0; i < (size_t)(P + steps) * RNL_ROLL_KEYS; i++) on += roll[i];
        printf("sample: wrote %s: %d frames (%d prime + %d sampled), %s frames at %g BPM, %zu key-frames on, seed %llu, temperature %g\n",
               out, P + steps, P, steps, rnl_frame_name(fpq), tempo, on, (unsigned long long)seed, temperature);
        if (wav[0]) {
            st = render_wav(out, wav);
            if (!st) printf("sample: rendered %s\n", wav);
        }
    }
    free(pr);
    free(roll);
    rnl_model_free(m);
    return st ? cli_fail(st) : 0;
}

/* ================================================================ import-midi ======= */

static rnl_status parse_split(const char *s, double frac[3]) {
    char buf[256];
    size_t len = strlen(s);
    if (len >= sizeof buf) return rnl_fail(RNL_ERR_USAGE, "--split: value too long");
    memcpy(buf, s, len + 1);
    char *parts[3], *p = buf;
    for (int i = 0; i < 3; i++) {
        parts[i] = p;
        char *c = strchr(p, ':');
        if ((i < 2) != (c != NULL))
            return rnl_fail(RNL_ERR_USAGE, "--split: expected TRAIN:VALID:TEST fractions (e.g. 0.8:0.1:0.1), got '%s'", s);
        if (c) {
            *c = 0;
            p = c + 1;
        }
    }
    for (int i = 0; i < 3; i++) {
        rnl_status st = rnl_parse_double(parts[i], 0, 1, "--split fraction", &frac[i]);
        if (st) return st;
    }
    return RNL_OK;
}

/* The import's warnings, one line each on stderr. */
static void warn_stderr(void *ctx, const char *line) { fprintf(stderr, "%s\n", line); }

int cmd_import_midi(int argc, char **argv) {
    char out[4096] = "", frame[4096] = "eighth", transpose[4096] = "none", split[4096] = "0.8:0.1:0.1";
    uint64_t seed = 1;
    const char *pos[1];
    int npos = 0;
    const opt opts[] = {
        {"--out", OPT_STRING, out, 0, 0, ".mat file to write (required)"},
        {"--frame", OPT_STRING, frame, 0, 0, "grid: quarter, eighth or sixteenth notes"},
        {"--transpose", OPT_STRING, transpose, 0, 0, "none, or c: move each file's key signature to C major / C minor"},
        {"--split", OPT_STRING, split, 0, 0, "train:valid:test fractions of the files"},
        {"--seed", OPT_U64, &seed, 0, 0, "seed of the file shuffle before the split"},
    };
    int r = cli_parse(argc, argv, 3, opts, (int)(sizeof opts / sizeof *opts), "data import-midi",
                      "DIR --out FILE.mat [options]   (DIR is searched recursively for *.mid, *.midi)", pos, 1, &npos);
    if (r) return r > 0 ? 0 : cli_fail(RNL_ERR_USAGE);
    if (npos != 1 || !out[0])
        return cli_fail(rnl_fail(RNL_ERR_USAGE, "data import-midi: expected 'rnnlab data import-midi DIR --out FILE.mat'"));
    rnl_import_opts o = {pos[0], out, 2, 0, {0, 0, 0}, seed};
    rnl_status st = rnl_frame_parse(frame, "--frame", &o.fpq);
    if (!st) {
        if (strcmp(transpose, "c") == 0 || strcmp(transpose, "C") == 0) o.transpose = 1;
        else if (strcmp(transpose, "none") != 0)
            st = rnl_fail(RNL_ERR_USAGE, "--transpose: expected none or c, got '%s'", transpose);
    }
    if (!st) st = parse_split(split, o.frac);
    if (st) return cli_fail(st);
    rnl_import_report rep;
    st = rnl_import_midi(&o, warn_stderr, NULL, &rep);
    if (st) return cli_fail(st);
    printf("import-midi: %d MIDI files found, %d kept, %d skipped%s\n", rep.found, rep.kept, rep.skipped,
           o.transpose ? "" : ", not transposed");
    if (o.transpose) printf("import-midi: %d kept files had no key signature and were not transposed\n", rep.no_key);
    printf("import-midi: %s frames: train %zu in %d sequences, valid %zu in %d, test %zu in %d\n",
           rnl_frame_name(o.fpq), rep.frames[0], rep.nseq[0], rep.frames[1], rep.nseq[1], rep.frames[2], rep.nseq[2]);
    printf("import-midi: notes in kept files: %zu read, %zu on channel 10 ignored, %zu outside 21..108 dropped, %zu shorter than half a frame dropped\n",
           rep.stats.notes, rep.stats.drum, rep.stats.out_of_range, rep.stats.too_short);
    printf("import-midi: wrote %s\n", out);
    return 0;
}
