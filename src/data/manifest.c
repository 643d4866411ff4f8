/* manifest.c — the FSDD manifest parser: tab-separated text into rows of file name, split and
 * sample count, every line checked (see manifest.h for the format). */
#include "data/manifest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "data/split.h"
#include "data/wav.h"
#include "io/util.h"

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

static int by_name(const void *a, const void *b) {
    return strcmp((*(const rnl_manifest_row *const *)a)->file, (*(const rnl_manifest_row *const *)b)->file);
}

rnl_status rnl_manifest_parse(char *text, const char *what, const char *column,
                              rnl_manifest_row **rows_out, int *n_out) {
    *rows_out = NULL;
    *n_out = 0;
    int nlines = 0;
    for (char *p = text; *p; p++) nlines += *p == '\n';
    rnl_manifest_row *rows = malloc(sizeof *rows * (size_t)(nlines + 1));
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
            rnl_manifest_row *r = &rows[n];
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
                st = rnl_parse_long(field[c_samples], 1, (long)RNL_WAV_MAX_SAMPLES, lab, &r->samples);
                if (st) st = RNL_ERR_DATA;
            }
            n++;
        }
        p = nl + 1;
    }
    if (!st && lineno == 0) st = rnl_fail(RNL_ERR_DATA, "%s: empty (expected a header line)", what);
    if (!st && n == 0) st = rnl_fail(RNL_ERR_DATA, "%s: lists no recordings", what);
    if (!st) {
        rnl_manifest_row **sorted = malloc(sizeof *sorted * (size_t)n);
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
