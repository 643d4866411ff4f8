/* dataset.c — opening a data set by name or path and dispatching to its kind's adapter
 * (music_data.c for a .mat file, speech.c for a directory); freeing and counting steps. */
#include "data/dataset.h"

#include <stdlib.h>
#include <sys/stat.h>

#include "data/dataroot.h"
#include "data/music_data.h"
#include "data/speech.h"

rnl_status rnl_dataset_open(const char *name, const char *root, const char *scheme,
                            rnl_dataset **out) {
    *out = NULL;
    rnl_dataset *d = calloc(1, sizeof *d);
    if (!d) return rnl_fail(RNL_ERR_NOMEM, "out of memory opening %s", name);
    rnl_status st = rnl_data_resolve(name, root, d->path, sizeof d->path);
    struct stat sb;
    if (!st && stat(d->path, &sb) == 0 && S_ISDIR(sb.st_mode))
        st = rnl_speech_open(d->path, scheme, d);
    else if (!st)
        st = rnl_music_open(d->path, d);
    if (st) {
        free(d);
        return st;
    }
    *out = d;
    return RNL_OK;
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
