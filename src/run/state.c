/* state.c — the resume state of a training run (state.safetensors): everything a killed run
 * needs to continue bit for bit — parameters, RMSProp state, best parameters, RNG state,
 * counters, metrics.csv's text — and the run's stored options, written through the option
 * table. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "io/safetensors.h"
#include "run/trainer.h"

rnl_status rnl_trainer_save_state(const rnl_trainer *r) {
    rnl_st_writer *w = NULL;
    rnl_status st = rnl_st_writer_create(&w);
    if (st) return st;
    const size_t n = rnl_model_nparams(r->m);
    int64_t shape[1] = {(int64_t)n};
    char v[128];
    st = rnl_st_add_real(w, "params", 1, shape, rnl_model_params(r->m));
    if (!st) st = rnl_st_add_real(w, "ms", 1, shape, r->ms);
    if (!st) st = rnl_st_add_real(w, "buf", 1, shape, r->buf);
    if (!st) st = rnl_st_add_real(w, "best", 1, shape, r->best);
    if (!st) st = rnl_options_to_meta(w, rnl_train_options, rnl_train_noptions, &r->o, RNL_ROLES_STORED, "opt.");
#define PUT(key, fmt, val)                                   \
    if (!st) {                                               \
        snprintf(v, sizeof v, fmt, val);                     \
        st = rnl_st_add_meta(w, key, v);                     \
    }
    PUT("epoch", "%d", r->epoch)
    PUT("updates", "%ld", r->updates)
    PUT("seconds", "%.17g", r->seconds)
    PUT("best_valid", "%.17g", r->best_valid)
    PUT("best_train", "%.17g", r->best_train)
    PUT("best_epoch", "%d", r->best_epoch)
    PUT("bad", "%d", r->bad)
    PUT("done", "%d", r->done)
    PUT("skipped", "%ld", r->skipped)
    PUT("streak", "%d", r->streak)
    for (int i = 0; i < 4; i++) {
        char key[16];
        snprintf(key, sizeof key, "rng%d", i);
        PUT(key, "%llu", (unsigned long long)r->rng.s[i])
    }
#undef PUT
    if (!st) st = rnl_st_add_meta(w, "metrics", r->metrics.p ? r->metrics.p : "");
    char path[4200];
    if (!st) st = rnl_path_join(path, sizeof path, r->o.out, "state.safetensors");
    if (!st) st = rnl_st_write(w, path);
    rnl_st_writer_free(w);
    return st;
}

static rnl_status copy_tensor(const rnl_st_file *f, const char *name, rnl_real *dst, size_t n) {
    const rnl_st_tensor *t = rnl_st_find(f, name);
    if (!t || t->numel != n)
        return rnl_fail(RNL_ERR_DATA, "%s: resume state has no tensor '%s' of %zu values", rnl_st_path(f), name, n);
    return rnl_st_to_real(f, t, dst);
}

rnl_status rnl_trainer_load_state(rnl_trainer *r, const rnl_st_file *sf) {
    const size_t n = rnl_model_nparams(r->m);
    long ep, upd, be, bad, dn, sk, sr;
    rnl_status st;
    if ((st = copy_tensor(sf, "params", rnl_model_params(r->m), n)) || (st = copy_tensor(sf, "ms", r->ms, n)) ||
        (st = copy_tensor(sf, "buf", r->buf, n)) || (st = copy_tensor(sf, "best", r->best, n)) ||
        (st = rnl_st_meta_long(sf, "epoch", 0, 100000000, &ep)) || (st = rnl_st_meta_long(sf, "updates", 0, LONG_MAX, &upd)) ||
        (st = rnl_st_meta_long(sf, "best_epoch", 0, 100000000, &be)) ||
        (st = rnl_st_meta_long(sf, "bad", 0, 100000000, &bad)) || (st = rnl_st_meta_long(sf, "done", 0, 1, &dn)) ||
        (st = rnl_st_meta_long(sf, "skipped", 0, LONG_MAX, &sk)) || (st = rnl_st_meta_long(sf, "streak", 0, 1000, &sr)) ||
        (st = rnl_st_meta_double(sf, "seconds", 0, 1e308, &r->seconds)) ||
        /* Before the first epoch ends, best_valid is +inf and best_train NaN (no best yet). */
        (st = rnl_st_meta_double_nonfinite(sf, "best_valid", -1e308, 1e308, &r->best_valid)) ||
        (st = rnl_st_meta_double_nonfinite(sf, "best_train", -1e308, 1e308, &r->best_train)))
        return st;
    for (int i = 0; i < 4 && !st; i++) {
        char key[16];
        snprintf(key, sizeof key, "rng%d", i);
        st = rnl_st_meta_u64(sf, key, &r->rng.s[i]);
    }
    if (st) return st;
    r->epoch = (int)ep;
    r->updates = upd;
    r->best_epoch = (int)be;
    r->bad = (int)bad;
    r->done = (int)dn;
    r->skipped = sk;
    r->streak = (int)sr;
    const char *mt = rnl_st_meta(sf, "metrics");
    rnl_buf_printf(&r->metrics, "%s", mt ? mt : "");
    return r->metrics.oom ? rnl_fail(RNL_ERR_NOMEM, "out of memory reading %s", rnl_st_path(sf)) : RNL_OK;
}
