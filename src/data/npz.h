/* npz.h — NumPy files as a data set (internal API): the NPY format read strictly, the ZIP
 * container of an .npz (stored or deflated members, zlib), and the adapter.
 *
 * An .npz data set holds one member per sequence, train_<i>.npy, valid_<i>.npy and
 * test_<i>.npy (i = 0, 1, … without gaps; as np.savez('f.npz', train_0=a, …) names them),
 * each a T×D array or a 1-D array of T values (D = 1), all of one width D. What the arrays
 * hold decides the head:
 *   - every value 0 or 1 (any dtype): piano-roll-like frames, the Bernoulli head, input =
 *     output = D, next-frame prediction;
 *   - integers (signed or unsigned, not all 0/1), D = 1: token sequences, the softmax head
 *     over V = 1 + the largest value (every value >= 0), inputs and targets one-hot;
 *   - floating point (not all 0/1), any width D: real-valued sequences, the continuous
 *     Gaussian-mixture head (rnl_gauss_nll) over D values, input = output = D, the values as
 *     they are (no normalisation), RNL_NPZ_MIXTURES components unless --mixtures says.
 *     Every value must be finite and, as float32, within ±RNL_NPZ_MAX_ABS.
 * A sequence of T steps gives T−1 predicted steps (input step t, target step t+1). */
#ifndef RNL_NPZ_H
#define RNL_NPZ_H

#include <stddef.h>
#include "data/adapter.h"
#include "rnnlab.h"

#define RNL_NPZ_MIXTURES 5   /* components of a real-valued data set's head by default */
#define RNL_NPZ_MAX_ABS 1e30 /* real values beyond this are refused (float32 overflows in the head) */

/* One parsed .npy: the header's fields and where its data are (in the caller's buffer). */
typedef struct {
    char kind;        /* 'b' bool, 'i' signed, 'u' unsigned, 'f' floating point */
    int itemsize;     /* bytes per value: 1, 2, 4, 8 (f: 4 or 8) */
    int ndim;         /* 1 or 2 */
    size_t shape[2];  /* T, D (D = 1 for ndim 1) */
    int fortran;      /* 1: column-major (element (t, d) at d*T + t) */
    const unsigned char *data; /* T*D*itemsize bytes, little-endian */
} rnl_npy;

/* Parse the n bytes of an .npy file: magic "\x93NUMPY", version 1.0, 2.0 or 3.0, a header
 * that is exactly a dict {'descr': …, 'fortran_order': …, 'shape': (…)} (keys in any order,
 * padded with spaces, ending in a newline), descr one of |b1 |u1 |i1 <u2 <i2 <u4 <i4 <u8 <i8
 * <f4 <f8 (big-endian, object and structured dtypes refused), a shape of 1 or 2 dimensions
 * and exactly as many data bytes as it implies. RNL_ERR_DATA "WHAT: …" on anything else. */
rnl_status rnl_npy_parse(const unsigned char *b, size_t n, const char *what, rnl_npy *out);
/* Write v [T, D] (C order) as an .npy file of dtype <f4 and shape (T, D), format version
 * 1.0 (the header padded with spaces to a multiple of 64 bytes, as NumPy writes it),
 * atomically. RNL_ERR_IO on a failed write. */
rnl_status rnl_npy_write_f32(const char *path, const float *v, size_t T, size_t D);
/* Element (t, d) of a parsed array, as a double (64-bit integers beyond 2^53 round). */
double rnl_npy_value(const rnl_npy *a, size_t t, size_t d);

/* Read the .npz at path and fill d (kind "npz"). RNL_ERR_DATA naming the file and member on
 * a bad ZIP (not a ZIP, truncated, encrypted, a method other than stored or deflate, a CRC
 * mismatch), a member that is not a sequence name, a gap in the indices, a bad .npy, mixed
 * widths, an empty training or validation split, or values no head takes. */
rnl_status rnl_npz_open(const char *path, rnl_dataset *d);

#endif
