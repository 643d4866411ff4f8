/* util.h — internal helpers shared by the library and the tool: growable strings, checked
 * number parsing, atomic file writes. Not part of the public API. */
#ifndef RNL_UTIL_H
#define RNL_UTIL_H

#include <stddef.h>
#include <stdio.h>
#include "rnnlab.h"

/* A growable NUL-terminated byte buffer. Zero-initialise ({0}) before first use. */
typedef struct {
    char *p;     /* contents, NUL-terminated (NULL while empty and never grown) */
    size_t len;  /* bytes used, excluding the NUL */
    size_t cap;  /* bytes allocated */
    int oom;     /* set once an allocation failed; later appends are ignored */
} rnl_buf;
void rnl_buf_append(rnl_buf *b, const void *data, size_t n);
void rnl_buf_printf(rnl_buf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Append s as a JSON string literal (quotes and escapes included). */
void rnl_buf_json_string(rnl_buf *b, const char *s);
/* Append a double as JSON: shortest "%.17g"-exact form; non-finite values become null. */
void rnl_buf_json_number(rnl_buf *b, double v);
void rnl_buf_free(rnl_buf *b);

/* Parse a whole string as a number in [lo, hi]; RNL_ERR_USAGE naming `what` otherwise
 * (empty, trailing characters, overflow, out of range, NaN). */
rnl_status rnl_parse_long(const char *s, long lo, long hi, const char *what, long *out);
rnl_status rnl_parse_double(const char *s, double lo, double hi, const char *what, double *out);

/* Write n bytes to path atomically: a temporary file in the same directory, fsync, rename,
 * fsync of the directory. On any failure the old file (if any) is untouched, the temporary
 * is removed and RNL_ERR_IO names the path and the system error. */
rnl_status rnl_write_file_atomic(const char *path, const void *data, size_t n);
/* Open path for reading (O_CLOEXEC) and fstat it into *sb. A directory is refused with
 * status dir_status and the message "PATH: is a directory" + dir_tail (callers differ: for
 * a file the tool reads whole it is an I/O error, for an audio file a data error).
 * On success *fd is open and the caller closes it. */
struct stat;
rnl_status rnl_open_read(const char *path, rnl_status dir_status, const char *dir_tail, int *fd,
                         struct stat *sb);
/* Read a whole file into a malloc'd buffer (NUL-terminated for convenience). */
rnl_status rnl_read_file(const char *path, unsigned char **data, size_t *n);
/* mkdir -p for one directory path (mode 0755); ok if it exists as a directory. */
rnl_status rnl_mkdir_p(const char *path);
/* Join dir and name into out (size n); RNL_ERR_USAGE if it does not fit. */
rnl_status rnl_path_join(char *out, size_t n, const char *dir, const char *name);
int rnl_file_exists(const char *path);

/* n zero-filled reals for the large numeric buffers (parameters, gradients, optimiser
 * state, the workspace), 64-byte aligned; from 4 MB on 2 MB aligned and marked for
 * transparent huge pages (Linux madvise), so that per-step products streaming a 12 MB matrix
 * row by row do not miss the TLB on every row (GRU-1024's h·Uᵀ: 55 -> 75 GFLOP/s in a
 * standalone timing). Release with free(). NULL when out of memory or when n·sizeof(rnl_real)
 * overflows. */
rnl_real *rnl_alloc_reals(size_t n);

/* Monotonic seconds. */
double rnl_now(void);

#endif
