/* dataset.c — opening a data set by name or path and dispatching to its kind's adapter
 * (music_data.c for a .mat file, npz.c for an .npz, speech.c for a directory, text.c for any
 * other file);
 * freeing and counting steps.
 * Before a path reaches an adapter it is checked for the files users give by mistake (a
 * folder of MIDI files, a .mid or .wav file), which are told what to do instead of getting
 * the .mat reader's or the manifest's view of them. */
#include "data/dataset.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "data/dataroot.h"
#include "data/midi.h"
#include "data/music_data.h"
#include "data/npz.h"
#include "data/speech.h"
#include "data/text.h"
#include "io/util.h"

/* ------------------------------------------------------------------------------------------
 * What a path that is not a data set is
 * ---------------------------------------------------------------------------------------- */

/* 1 if dir or a directory under it (at most depth levels, hidden entries and symlinked
 * directories skipped, as data import-midi walks) holds a file with a MIDI extension. */
static int has_midi_files(const char *dir, int depth) {
    DIR *d = opendir(dir);
    if (!d) return 0;
    int found = 0;
    struct dirent *e;
    char path[4096];
    while (!found && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || rnl_path_join(path, sizeof path, dir, e->d_name)) continue;
        struct stat sb;
        if (lstat(path, &sb) != 0) continue;
        if (S_ISDIR(sb.st_mode)) found = depth > 0 && has_midi_files(path, depth - 1);
        else found = rnl_midi_has_ext(e->d_name);
    }
    closedir(d);
    return found;
}

/* A directory without manifest.tsv is not a speech data set: say what it is. */
static rnl_status check_dir(const char *dir) {
    char manifest[4200];
    rnl_status st = rnl_path_join(manifest, sizeof manifest, dir, "manifest.tsv");
    if (st) return st;
    if (rnl_file_exists(manifest)) return RNL_OK;
    if (has_midi_files(dir, 8))
        return rnl_fail(RNL_ERR_USAGE, "%s is a folder of MIDI files, not a data set: import it "
                        "with rnnlab data import-midi %s --out FILE.mat, then --data FILE.mat", dir, dir);
    return rnl_fail(RNL_ERR_DATA, "%s: not a speech data set (no manifest.tsv; see docs/SPEECH.md)",
                    dir);
}

static int has_ext(const char *path, const char *ext) {
    const char *dot = strrchr(path, '.');
    return dot && strcasecmp(dot, ext) == 0;
}

/* A file that rnl_dataset_open reads as text: not a directory, .mat, .npz or .npy. */
static int is_text_file(const char *path) {
    return !has_ext(path, ".mat") && !has_ext(path, ".npz") && !has_ext(path, ".npy");
}

/* A MIDI or WAV file (by its extension or its first bytes: "MThd", "RIFF....WAVE") is not a
 * piano-roll .mat file: point to what takes it. Anything else goes to the .mat reader. */
static rnl_status check_file(const char *path) {
    unsigned char head[12] = {0};
    size_t got = 0;
    FILE *f = fopen(path, "rb");
    if (f) {
        got = fread(head, 1, sizeof head, f);
        fclose(f);
    }
    if (rnl_midi_has_ext(path) || (got >= 4 && memcmp(head, "MThd", 4) == 0))
        return rnl_fail(RNL_ERR_USAGE, "%s is a MIDI file: import a folder of MIDI files with "
                        "rnnlab data import-midi DIR --out FILE.mat, then --data FILE.mat", path);
    if (has_ext(path, ".wav") ||
        (got == sizeof head && memcmp(head, "RIFF", 4) == 0 && memcmp(head + 8, "WAVE", 4) == 0))
        return rnl_fail(RNL_ERR_USAGE, "%s is a WAV file: a speech data set is a directory holding "
                        "manifest.tsv and recordings/ (see docs/SPEECH.md): give --data that directory",
                        path);
    return RNL_OK;
}

/* ------------------------------------------------------------------------------------------
 * Opening
 * ---------------------------------------------------------------------------------------- */

rnl_status rnl_dataset_open(const char *name, const char *root, const char *scheme,
                            rnl_dataset **out) {
    const rnl_data_opts o = {.scheme = scheme};
    return rnl_dataset_open_with(name, root, &o, out);
}

rnl_status rnl_dataset_open_with(const char *name, const char *root, const rnl_data_opts *o,
                                 rnl_dataset **out) {
    *out = NULL;
    const rnl_data_opts none = {0};
    if (!o) o = &none;
    rnl_dataset *d = calloc(1, sizeof *d);
    if (!d) return rnl_fail(RNL_ERR_NOMEM, "out of memory opening %s", name);
    rnl_status st = rnl_data_resolve(name, root, d->path, sizeof d->path);
    struct stat sb;
    int dir = !st && stat(d->path, &sb) == 0 && S_ISDIR(sb.st_mode);
    if (!st) st = dir ? check_dir(d->path) : check_file(d->path);
    if (!st) {
        if (dir) st = rnl_speech_open(d->path, o->scheme, d);
        else if (has_ext(d->path, ".mat")) st = rnl_music_open(d->path, d);
        else if (has_ext(d->path, ".npz")) st = rnl_npz_open(d->path, d);
        else if (has_ext(d->path, ".npy"))
            st = rnl_fail(RNL_ERR_USAGE, "%s is one array: a data set is an .npz of sequences train_<i>, valid_<i>, "
                          "test_<i> (np.savez; see docs/TEXT.md)", d->path);
        else st = rnl_text_open(d->path, o->split, o->vocab, d); /* is_text_file */
    }
    if (st) {
        free(d);
        return st;
    }
    *out = d;
    return RNL_OK;
}

int rnl_dataset_is_text(const char *name, const char *root) {
    char path[4096];
    struct stat sb;
    if (rnl_data_resolve(name, root, path, sizeof path) || stat(path, &sb) != 0 || S_ISDIR(sb.st_mode)) return 0;
    return is_text_file(path) && check_file(path) == RNL_OK;
}

void rnl_dataset_free(rnl_dataset *d) {
    if (!d) return;
    if (d->destroy) d->destroy(d);
    free(d);
}

double rnl_dataset_steps_total(const rnl_dataset *d, int split) {
    double s = 0;
    for (int i = 0; i < d->nseq[split]; i++) s += d->steps(d, split, i);
    return s;
}
