/* safetensors.h — read and write the safetensors format (internal API).
 *
 * Format: 8-byte little-endian u64 N, then N bytes of UTF-8 JSON: an object mapping each
 * tensor name to {"dtype": "F32"|"F64"|"I32"|"I64"|"U8", "shape": [..], "data_offsets": [a, b]}
 * plus an optional "__metadata__" object of string -> string; then the data region, offsets
 * relative to its start, little-endian, row-major. The writer pads the header with spaces
 * to a multiple of 8 bytes and lays tensors out in the order they were added.
 * The reader checks everything: header length within the file, valid JSON, known dtypes,
 * shape product * dtype size == b - a, offsets inside the data region, no overlaps, at most
 * 4 dimensions, names <= 127 bytes, no duplicate names. Any failure is RNL_ERR_DATA with a
 * message naming the file and the problem.
 *
 * Checksum. The writer adds the metadata entry
 *     "rnnlab_checksum": "crc32c:HHHHHHHH"     (8 lowercase hex digits, last in __metadata__)
 * holding CRC-32C (io/checksum.h) of the message
 *     M = u64(T) || for each tensor, in header order:
 *                       str(name) || str(dtype) || u64(ndim) || u64(dim_0) .. u64(dim_ndim-1)
 *                       || u64(data_offsets[0]) || u64(data_offsets[1])
 *      || u64(K) || for each metadata pair but the checksum, in header order:
 *                       str(key) || str(value)
 *      || u64(D) || the D bytes of the data region (everything after the header)
 * where u64(v) is v as 8 little-endian bytes and str(s) = u64(byte length of s) || its
 * UTF-8 bytes (as decoded from the JSON, so escapes and blanks in the header do not count;
 * the order of the header's entries does). The reader checks the syntax of the value (else
 * RNL_ERR_DATA), recomputes M's CRC and, in rnl_st_read / rnl_st_parse, refuses a mismatch
 * with RNL_ERR_DATA: "FILE: checksum mismatch (the file was changed or damaged after rnnlab
 * wrote it): expected crc32c:..., got crc32c:...". A file without the entry (written by
 * PyTorch's safetensors, say) is accepted unchecked. The entry is the format's own: it is not
 * among the metadata that rnl_st_meta* report, and the writer refuses it from rnl_st_add_meta
 * (RNL_ERR_USAGE), so the metadata a caller adds is exactly the metadata it reads back. */
#ifndef RNL_SAFETENSORS_H
#define RNL_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>
#include "rnnlab.h"

#define RNL_ST_MAX_DIMS 4
#define RNL_ST_MAX_NAME 128

typedef enum { RNL_ST_F32, RNL_ST_F64, RNL_ST_I32, RNL_ST_I64, RNL_ST_U8 } rnl_st_dtype;

typedef struct {
    char name[RNL_ST_MAX_NAME];
    rnl_st_dtype dtype;
    int ndim;
    int64_t shape[RNL_ST_MAX_DIMS];
    size_t numel;               /* product of shape (1 for ndim 0) */
    const unsigned char *data;  /* points into the file's buffer; numel * dtype size bytes,
                                   little-endian, possibly unaligned: read with memcpy or
                                   rnl_st_to_real */
} rnl_st_tensor;

#define RNL_ST_CHECKSUM_KEY "rnnlab_checksum" /* the metadata key of the checksum */

typedef struct rnl_st_file rnl_st_file;

/* How a parsed file's stored checksum compares with its contents. */
typedef enum {
    RNL_ST_SUM_ABSENT,  /* no checksum entry: not checked (not written by rnnlab) */
    RNL_ST_SUM_MATCH,   /* the stored checksum equals the recomputed one */
    RNL_ST_SUM_MISMATCH /* it does not: the file changed after it was written */
} rnl_st_sum;

/* Read and validate a whole file, checksum included. On failure *out is NULL. */
rnl_status rnl_st_read(const char *path, rnl_st_file **out);
/* Parse from memory; `what` names the source in messages. The bytes are copied. Validates
 * like rnl_st_read, checksum included. */
rnl_status rnl_st_parse(const unsigned char *bytes, size_t n, const char *what,
                        rnl_st_file **out);
/* rnl_st_parse with every check but one: a checksum mismatch is no error here, so that the
 * fuzz harness and the tests can look at such a file; rnl_st_checksum says how it compared.
 * A malformed checksum entry is still RNL_ERR_DATA. */
rnl_status rnl_st_parse_unverified(const unsigned char *bytes, size_t n, const char *what,
                                   rnl_st_file **out);
/* The checksum's state; when not ABSENT, *stored and *computed (either may be NULL) get the
 * value in the file and the one recomputed from its contents. */
rnl_st_sum rnl_st_checksum(const rnl_st_file *f, uint32_t *stored, uint32_t *computed);
void rnl_st_free(rnl_st_file *f);
int rnl_st_count(const rnl_st_file *f);
const rnl_st_tensor *rnl_st_get(const rnl_st_file *f, int i);
const rnl_st_tensor *rnl_st_find(const rnl_st_file *f, const char *name); /* NULL if absent */
/* Metadata value for key, NULL if absent (and for RNL_ST_CHECKSUM_KEY). */
const char *rnl_st_meta(const rnl_st_file *f, const char *key);
int rnl_st_meta_count(const rnl_st_file *f);
void rnl_st_meta_get(const rnl_st_file *f, int i, const char **key, const char **value);
/* The file name given to read/parse (for messages). */
const char *rnl_st_path(const rnl_st_file *f);
/* Typed metadata: the value of a required key, parsed whole. RNL_ERR_DATA with a message
 * naming the file and the key when the key is missing or its value is malformed or out of
 * range; *out is set only on success.
 *   _long:   a decimal integer in [lo, hi] (rnl_parse_long's syntax)
 *   _double: a number in [lo, hi] (rnl_parse_double's syntax; NaN refused)
 *   _double_nonfinite: the same, or exactly "inf" (+infinity) or "nan" (as "%.17g" writes
 *            them), which are accepted whatever lo and hi are
 *   _u64:    decimal digits only (no sign, no blanks), 0 .. 2^64-1 */
rnl_status rnl_st_meta_long(const rnl_st_file *f, const char *key, long lo, long hi,
                            long *out);
rnl_status rnl_st_meta_double(const rnl_st_file *f, const char *key, double lo, double hi,
                              double *out);
rnl_status rnl_st_meta_double_nonfinite(const rnl_st_file *f, const char *key, double lo,
                                        double hi, double *out);
rnl_status rnl_st_meta_u64(const rnl_st_file *f, const char *key, uint64_t *out);
/* Convert a F32 or F64 tensor's data to rnl_real (n = numel elements). RNL_ERR_DATA if the
 * dtype is another or any value is not finite (message names the file and tensor). */
rnl_status rnl_st_to_real(const rnl_st_file *f, const rnl_st_tensor *t, rnl_real *dst);

/* Writer: collect tensors and metadata, then write atomically. Data pointers are copied at
 * add time. */
typedef struct rnl_st_writer rnl_st_writer;
rnl_status rnl_st_writer_create(rnl_st_writer **out);
void rnl_st_writer_free(rnl_st_writer *w);
rnl_status rnl_st_add(rnl_st_writer *w, const char *name, rnl_st_dtype dtype, int ndim,
                      const int64_t *shape, const void *data);
/* Convenience: add rnl_real data stored as F32. */
rnl_status rnl_st_add_real(rnl_st_writer *w, const char *name, int ndim, const int64_t *shape,
                           const rnl_real *data);
/* RNL_ERR_USAGE for a duplicate key, text that is not UTF-8, or RNL_ST_CHECKSUM_KEY. */
rnl_status rnl_st_add_meta(rnl_st_writer *w, const char *key, const char *value);
/* Serialise to memory (malloc'd, caller frees) or to a file atomically, with the checksum
 * entry; the bytes are a function of what was added and in which order, nothing else. */
rnl_status rnl_st_serialize(const rnl_st_writer *w, unsigned char **bytes, size_t *n);
rnl_status rnl_st_write(const rnl_st_writer *w, const char *path);

#endif
