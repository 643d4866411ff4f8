/* error.c — status names and the per-thread last-error message. */
#include <stdarg.h>
#include <stdio.h>
#include "rnnlab.h"

static _Thread_local char g_err[1024];

const char *rnl_status_string(rnl_status s) {
    switch (s) {
    case RNL_OK: return "ok";
    case RNL_ERR_USAGE: return "usage";
    case RNL_ERR_DATA: return "data";
    case RNL_ERR_IO: return "io";
    case RNL_ERR_NUMERIC: return "numeric";
    case RNL_ERR_NOMEM: return "nomem";
    case RNL_ERR_INTERNAL: return "internal";
    case RNL_ERR_STOPPED: return "stopped";
    }
    return "unknown";
}

const char *rnl_last_error(void) { return g_err; }

rnl_status rnl_fail(rnl_status s, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(g_err, sizeof g_err, fmt, ap);
    va_end(ap);
    return s;
}
