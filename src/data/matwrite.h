/* matwrite.h — piano-roll splits written as a benchmark-style MAT v5 file (internal API); the
 * reader is music.h. */
#ifndef RNL_MATWRITE_H
#define RNL_MATWRITE_H

#include "data/music.h"
#include "rnnlab.h"

/* Write three splits (dim 88) as a MAT v5 file in the benchmarks' layout: traindata,
 * validdata, testdata, 1xN cell arrays of T x 88 double 0/1 matrices, zlib-compressed.
 * libmatio writes a temporary file beside path, which is read back with rnl_music_load
 * (and compared) before it is renamed into place; nothing appears at path on failure. */
rnl_status rnl_music_write_mat(const char *path, const rnl_seqset split[3]);

#endif
