/* music.h — polyphonic piano-roll data sets (Boulanger-Lewandowski et al. 2012) read from
 * MATLAB v5 .mat files with libmatio (internal API).
 *
 * File layout (the TCN packaging, see ../shared/data/README.md): three variables traindata,
 * validdata and testdata, each a 1xN or Nx1 cell array; each cell is one sequence, a T x K
 * numeric matrix of 0/1 (K = 88 piano keys, column k is MIDI note k+21). Any numeric class is
 * accepted (double, single, int*, uint*, logical); complex and sparse data are not. MATLAB is
 * column-major: frame t, key k of a T x K cell is element k*T + t of its data.
 *
 * The loader checks everything and never trusts the file: the 128-byte header (MAT v5 only;
 * v4 cannot hold cells and v7.3/HDF5 is refused), the top-level elements against the file
 * size (truncation), the shapes and sizes libmatio reports before it is asked for the data,
 * and every value. Any failure is RNL_ERR_DATA with one line naming the file and the problem
 * (variable, cell, frame and key for a bad value); a file that cannot be opened is
 * RNL_ERR_IO. Cell, frame and key numbers in messages are 0-based.
 *
 * libmatio is used with its default (silent) logging; the loader never changes it. */
#ifndef RNL_MUSIC_H
#define RNL_MUSIC_H

#include <stddef.h>
#include <stdint.h>
#include "data/split.h"
#include "rnnlab.h"

/* The sequences of one split, stored back to back. */
typedef struct {
    int n;           /* number of sequences */
    int dim;         /* K, values per frame (88 for the piano roll) */
    int *len;        /* [n] frames of each sequence (may be 0 or 1) */
    size_t *off;     /* [n] index of each sequence's first frame in frames (in frames) */
    uint8_t *frames; /* [total, dim] 0/1 values, frame-major: frame t, key k of sequence s is
                        frames[(off[s] + t)*dim + k] */
    size_t total;    /* sum of len: frames in the split */
} rnl_seqset;

/* A whole data set as loaded from one file. */
typedef struct {
    rnl_seqset split[3]; /* 0 train, 1 valid, 2 test; all with the same dim */
    char path[4096];     /* the file it was read from */
} rnl_music;

/* Read traindata, validdata and testdata from a MAT v5 file into *out (the caller frees it
 * with rnl_music_free; on failure *out is left zeroed, nothing to free). The train split
 * must hold at least one sequence; valid and test may be empty. */
rnl_status rnl_music_load(const char *path, rnl_music *out);
/* Free what rnl_music_load allocated and zero the struct; NULL is accepted. */
void rnl_music_free(rnl_music *m);

/* Frames a next-frame predictor is scored on: the sum over sequences of max(len - 1, 0). */
double rnl_seqset_predicted_frames(const rnl_seqset *s);

#endif
