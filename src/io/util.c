/* util.c — growable strings, JSON output helpers, checked number parsing, atomic file
 * writes and small filesystem helpers (see util.h for the contracts). */
#include "io/util.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

/* ------------------------------------------------------------------------------------------
 * Growable buffer
 * ---------------------------------------------------------------------------------------- */

/* Make room for `extra` more bytes plus the NUL; 0 (and b->oom set) on failure. */
static int buf_reserve(rnl_buf *b, size_t extra) {
    if (b->oom) return 0;
    if (extra > SIZE_MAX - b->len - 1) {
        b->oom = 1;
        return 0;
    }
    size_t need = b->len + extra + 1;
    if (need <= b->cap) return 1;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need) cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    char *p = realloc(b->p, cap);
    if (!p) {
        b->oom = 1;
        return 0;
    }
    b->p = p;
    b->cap = cap;
    return 1;
}

void rnl_buf_append(rnl_buf *b, const void *data, size_t n) {
    if (!buf_reserve(b, n)) return;
    if (n) memcpy(b->p + b->len, data, n);
    b->len += n;
    b->p[b->len] = '\0';
}

void rnl_buf_printf(rnl_buf *b, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (k < 0) {
        b->oom = 1;
        return;
    }
    if (!buf_reserve(b, (size_t)k)) return;
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)k + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)k;
}

void rnl_buf_json_string(rnl_buf *b, const char *s) {
    rnl_buf_append(b, "\"", 1);
    for (const unsigned char *c = (const unsigned char *)s; *c; c++) {
        switch (*c) {
        case '"': rnl_buf_append(b, "\\\"", 2); break;
        case '\\': rnl_buf_append(b, "\\\\", 2); break;
        case '\b': rnl_buf_append(b, "\\b", 2); break;
        case '\f': rnl_buf_append(b, "\\f", 2); break;
        case '\n': rnl_buf_append(b, "\\n", 2); break;
        case '\r': rnl_buf_append(b, "\\r", 2); break;
        case '\t': rnl_buf_append(b, "\\t", 2); break;
        default:
            if (*c < 0x20 || *c == 0x7f)
                rnl_buf_printf(b, "\\u%04x", (unsigned)*c);
            else
                rnl_buf_append(b, c, 1);
        }
    }
    rnl_buf_append(b, "\"", 1);
}

void rnl_buf_json_number(rnl_buf *b, double v) {
    if (!isfinite(v)) {
        rnl_buf_append(b, "null", 4);
        return;
    }
    /* Integers below 2^63 in magnitude are exact in "%.0f" and read back as the same double. */
    if (v == floor(v) && fabs(v) < 9.2e18) {
        rnl_buf_printf(b, "%.0f", v);
        return;
    }
    /* The shortest precision that reads back to the same double; 17 digits always do. */
    char tmp[40];
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(tmp, sizeof tmp, "%.*g", prec, v);
        if (prec == 17 || strtod(tmp, NULL) == v) break;
    }
    rnl_buf_append(b, tmp, strlen(tmp));
}

void rnl_buf_free(rnl_buf *b) {
    free(b->p);
    b->p = NULL;
    b->len = b->cap = 0;
    b->oom = 0;
}

/* ------------------------------------------------------------------------------------------
 * Checked number parsing
 * ---------------------------------------------------------------------------------------- */

rnl_status rnl_parse_long(const char *s, long lo, long hi, const char *what, long *out) {
    const char *shown = s ? s : "";
    /* strtol would skip leading blanks; a whole-string parse does not. */
    if (!s || !*s || isspace((unsigned char)*s))
        return rnl_fail(RNL_ERR_USAGE, "%s: expected an integer in [%ld, %ld], got '%s'", what,
                        lo, hi, shown);
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (end == s || *end != '\0')
        return rnl_fail(RNL_ERR_USAGE, "%s: expected an integer in [%ld, %ld], got '%s'", what,
                        lo, hi, shown);
    if (errno == ERANGE || v < lo || v > hi)
        return rnl_fail(RNL_ERR_USAGE, "%s: expected an integer in [%ld, %ld], got '%s'", what,
                        lo, hi, shown);
    *out = v;
    return RNL_OK;
}

rnl_status rnl_parse_double(const char *s, double lo, double hi, const char *what, double *out) {
    const char *shown = s ? s : "";
    if (!s || !*s || isspace((unsigned char)*s))
        return rnl_fail(RNL_ERR_USAGE, "%s: expected a number in [%g, %g], got '%s'", what, lo,
                        hi, shown);
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end != '\0' || isnan(v))
        return rnl_fail(RNL_ERR_USAGE, "%s: expected a number in [%g, %g], got '%s'", what, lo,
                        hi, shown);
    /* ERANGE is also set on underflow to a subnormal or zero, which is a fine value; only an
     * overflow (strtod returns +-HUGE_VAL) is refused. */
    if ((errno == ERANGE && isinf(v)) || v < lo || v > hi)
        return rnl_fail(RNL_ERR_USAGE, "%s: expected a number in [%g, %g], got '%s'", what, lo,
                        hi, shown);
    *out = v;
    return RNL_OK;
}

/* ------------------------------------------------------------------------------------------
 * Atomic writes and reading whole files
 * ---------------------------------------------------------------------------------------- */

/* Distinguishes temporaries of concurrent writes from threads of the same process. */
static atomic_uint g_tmp_counter;

/* The directory part of path ("." when there is none), malloc'd; NULL if out of memory. */
static char *dir_of(const char *path) {
    const char *slash = strrchr(path, '/');
    if (!slash) return strdup(".");
    size_t k = (size_t)(slash - path);
    if (k == 0) k = 1; /* "/name" lives in "/" */
    char *d = malloc(k + 1);
    if (!d) return NULL;
    memcpy(d, path, k);
    d[k] = '\0';
    return d;
}

/* write() all n bytes, retrying on EINTR and short writes; -1 with errno set on failure. */
static int write_all(int fd, const unsigned char *p, size_t n) {
    while (n > 0) {
        size_t chunk = n > (size_t)1 << 30 ? (size_t)1 << 30 : n;
        ssize_t k = write(fd, p, chunk);
        if (k < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        if (k == 0) {
            errno = EIO;
            return -1;
        }
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

rnl_status rnl_write_file_atomic(const char *path, const void *data, size_t n) {
    if (!path || !*path) return rnl_fail(RNL_ERR_USAGE, "write: empty file name");
    size_t tlen = strlen(path) + 64;
    char *tmp = malloc(tlen);
    char *dir = dir_of(path);
    if (!tmp || !dir) {
        free(tmp);
        free(dir);
        return rnl_fail(RNL_ERR_NOMEM, "%s: out of memory preparing the write", path);
    }
    snprintf(tmp, tlen, "%s.tmp.%ld.%u", path, (long)getpid(),
             atomic_fetch_add(&g_tmp_counter, 1u));

    rnl_status st = RNL_OK;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0 && errno == EEXIST) {
        /* A leftover of a crashed process that had our pid: it is ours to replace. */
        unlink(tmp);
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    }
    if (fd < 0) {
        st = rnl_fail(RNL_ERR_IO, "%s: cannot create temporary file %s: %s", path, tmp,
                      strerror(errno));
        goto done; /* nothing was created */
    }
    int err = 0;
    const char *step = "";
    if (write_all(fd, data, n) != 0) {
        step = "write";
        err = errno;
    } else if (fsync(fd) != 0) {
        step = "fsync";
        err = errno;
    }
    if (close(fd) != 0 && !err) {
        step = "close";
        err = errno;
    }
    if (!err && rename(tmp, path) != 0) {
        step = "rename of the temporary file";
        err = errno;
    }
    if (err) {
        unlink(tmp);
        st = rnl_fail(RNL_ERR_IO, "%s: %s failed: %s", path, step, strerror(err));
        goto done;
    }
    /* Make the rename itself durable. Some file systems cannot fsync a directory (EINVAL);
     * the data is in place then and nothing better can be done. */
    int dfd = open(dir, O_RDONLY | O_CLOEXEC);
    if (dfd < 0) {
        st = rnl_fail(RNL_ERR_IO, "%s: written, but cannot open directory %s to sync it: %s",
                      path, dir, strerror(errno));
        goto done;
    }
    if (fsync(dfd) != 0 && errno != EINVAL)
        st = rnl_fail(RNL_ERR_IO, "%s: written, but cannot sync directory %s: %s", path, dir,
                      strerror(errno));
    close(dfd);
done:
    free(tmp);
    free(dir);
    return st;
}

rnl_status rnl_open_read(const char *path, rnl_status dir_status, const char *dir_tail, int *fd,
                         struct stat *sb) {
    *fd = open(path, O_RDONLY | O_CLOEXEC);
    if (*fd < 0) return rnl_fail(RNL_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    if (fstat(*fd, sb) != 0) {
        int e = errno;
        close(*fd);
        *fd = -1;
        return rnl_fail(RNL_ERR_IO, "%s: cannot stat: %s", path, strerror(e));
    }
    if (S_ISDIR(sb->st_mode)) {
        close(*fd);
        *fd = -1;
        return rnl_fail(dir_status, "%s: is a directory%s", path, dir_tail);
    }
    return RNL_OK;
}

rnl_status rnl_read_file(const char *path, unsigned char **data, size_t *n) {
    *data = NULL;
    *n = 0;
    int fd;
    struct stat sb;
    rnl_status st = rnl_open_read(path, RNL_ERR_IO, "", &fd, &sb);
    if (st) return st;
    /* The size is a hint (pipes and /proc report 0): read until end of file either way. */
    size_t cap = S_ISREG(sb.st_mode) && sb.st_size > 0 && (uintmax_t)sb.st_size < SIZE_MAX - 1
                     ? (size_t)sb.st_size + 1
                     : 4096;
    size_t len = 0;
    unsigned char *p = malloc(cap);
    if (!p) {
        close(fd);
        return rnl_fail(RNL_ERR_NOMEM, "%s: out of memory for %zu bytes", path, cap);
    }
    for (;;) {
        if (len + 1 >= cap) {
            size_t ncap = cap > SIZE_MAX / 2 ? SIZE_MAX : cap * 2;
            unsigned char *q = ncap > cap ? realloc(p, ncap) : NULL;
            if (!q) {
                free(p);
                close(fd);
                return rnl_fail(RNL_ERR_NOMEM, "%s: out of memory after %zu bytes", path, len);
            }
            p = q;
            cap = ncap;
        }
        ssize_t k = read(fd, p + len, cap - 1 - len);
        if (k < 0) {
            if (errno == EINTR) continue;
            int e = errno;
            free(p);
            close(fd);
            return rnl_fail(RNL_ERR_IO, "%s: read error: %s", path, strerror(e));
        }
        if (k == 0) break;
        len += (size_t)k;
    }
    close(fd);
    p[len] = '\0';
    *data = p;
    *n = len;
    return RNL_OK;
}

/* ------------------------------------------------------------------------------------------
 * Paths and directories
 * ---------------------------------------------------------------------------------------- */

/* mkdir one component; ok if it is already a directory. */
static rnl_status mkdir_one(const char *p, const char *full) {
    if (mkdir(p, 0755) == 0) return RNL_OK;
    int e = errno;
    struct stat sb;
    if (stat(p, &sb) == 0) {
        if (S_ISDIR(sb.st_mode)) return RNL_OK;
        return rnl_fail(RNL_ERR_IO, "%s: cannot create directory: %s exists and is not a directory",
                        full, p);
    }
    return rnl_fail(RNL_ERR_IO, "%s: cannot create directory %s: %s", full, p, strerror(e));
}

rnl_status rnl_mkdir_p(const char *path) {
    if (!path || !*path) return rnl_fail(RNL_ERR_USAGE, "mkdir: empty directory name");
    char *p = strdup(path);
    if (!p) return rnl_fail(RNL_ERR_NOMEM, "%s: out of memory", path);
    rnl_status st = RNL_OK;
    for (char *c = p + 1; *c && st == RNL_OK; c++) {
        if (*c != '/' || c[-1] == '/') continue;
        *c = '\0';
        st = mkdir_one(p, path);
        *c = '/';
    }
    if (st == RNL_OK) st = mkdir_one(p, path);
    free(p);
    return st;
}

rnl_status rnl_path_join(char *out, size_t n, const char *dir, const char *name) {
    size_t dl = strlen(dir);
    const char *sep = dl == 0 || dir[dl - 1] == '/' ? "" : "/";
    int k = snprintf(out, n, "%s%s%s", dir, sep, name);
    if (k < 0 || (size_t)k >= n) {
        if (n) out[0] = '\0';
        return rnl_fail(RNL_ERR_USAGE, "path too long (%zu bytes max): %s%s%s", n ? n - 1 : 0,
                        dir, sep, name);
    }
    return RNL_OK;
}

int rnl_file_exists(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0;
}

/* ------------------------------------------------------------------------------------------
 * Time
 * ---------------------------------------------------------------------------------------- */

double rnl_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

rnl_real *rnl_alloc_reals(size_t n) {
    const size_t huge = (size_t)2 << 20;
    if (n > (SIZE_MAX - huge) / sizeof(rnl_real)) return NULL;
    const size_t bytes = n * sizeof(rnl_real), align = bytes >= 2 * huge ? huge : 64;
    const size_t size = bytes ? (bytes + align - 1) / align * align : align;
    rnl_real *p = aligned_alloc(align, size);
    if (!p) return NULL;
#ifdef MADV_HUGEPAGE
    if (align == huge) (void)madvise(p, size, MADV_HUGEPAGE); /* advice only: failure is fine */
#endif
    memset(p, 0, size);
    return p;
}
