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
 * message naming the file and the problem. */
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

typedef struct rnl_st_file rnl_st_file;

/* Read and validate a whole file. */
rnl_status rnl_st_read(const char *path, rnl_st_file **out);
/* Parse from memory (the fuzz harness uses this); `what` names the source in messages.
 * The bytes are copied. */
rnl_status rnl_st_parse(const unsigned char *bytes, size_t n, const char *what,
                        rnl_st_file **out);
void rnl_st_free(rnl_st_file *f);
int rnl_st_count(const rnl_st_file *f);
const rnl_st_tensor *rnl_st_get(const rnl_st_file *f, int i);
const rnl_st_tensor *rnl_st_find(const rnl_st_file *f, const char *name); /* NULL if absent */
/* Metadata value for key, NULL if absent. */
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
rnl_status rnl_st_add_meta(rnl_st_writer *w, const char *key, const char *value);
/* Serialise to memory (malloc'd, caller frees) or to a file atomically. */
rnl_status rnl_st_serialize(const rnl_st_writer *w, unsigned char **bytes, size_t *n);
rnl_status rnl_st_write(const rnl_st_writer *w, const char *path);

#endif
