/* manifest.h — the FSDD manifest (manifest.tsv) parsed into rows (internal API). Pure
 * parsing: the text in, a row per recording out; reading the file and the recordings is the
 * caller's (speech.c).
 *
 * Format: a header line of at most 64 tab-separated column names, none twice, that must
 * include file, split_by_index and split_by_speaker (other columns are ignored);
 * if a "samples" column is present, each row's value is an integer in
 * [1, RNL_WAV_MAX_SAMPLES]. Then one line per recording with exactly as many fields as the
 * header, every line ending in '\n' and free of control characters other than tab; file is
 * a name inside recordings/ (not empty, no '/', not "." or ".."), unique; split values are
 * train, valid or test. At least one recording. Any deviation is RNL_ERR_DATA naming the
 * file (`what`) and the line. */
#ifndef RNL_MANIFEST_H
#define RNL_MANIFEST_H

#include "rnnlab.h"

typedef struct {
    char *file;    /* name inside recordings/ (points into the manifest's text) */
    int split;     /* RNL_SPLIT_* under the chosen column */
    long samples;  /* the "samples" column, -1 when there is none */
} rnl_manifest_row;

/* Parse text (NUL-terminated, modified in place: the rows point into it) with the split
 * taken from the column named `column` ("split_by_index" or "split_by_speaker"); `what`
 * names the file in messages. *rows (malloc'd, caller frees; the text must outlive it) gets
 * *n >= 1 rows in file order. On failure *rows is NULL and *n 0. */
rnl_status rnl_manifest_parse(char *text, const char *what, const char *column,
                              rnl_manifest_row **rows, int *n);

#endif
