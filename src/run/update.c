/* update.c — one training update (see update.h). */
#include "run/update.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

/* 1 if no p[k] is Inf or NaN: an exponent field of all ones marks both. An integer OR over
 * the exponents vectorises (a float reduction would not, without reassociation), so the
 * check after every update costs a fraction of a pass over the parameters. */
static int all_finite(const rnl_real *p, size_t n) {
#ifdef RNL_DOUBLE
    const uint64_t *u = (const uint64_t *)(const void *)p;
    uint64_t any = 0;
    for (size_t k = 0; k < n; k++) any |= (~u[k] & 0x7ff0000000000000ULL) == 0;
#else
    const uint32_t *u = (const uint32_t *)(const void *)p;
    uint32_t any = 0;
    for (size_t k = 0; k < n; k++) any |= (~u[k] & 0x7f800000u) == 0;
#endif
    return !any;
}

rnl_status rnl_update(rnl_model *m, rnl_workspace *ws, rnl_rng *rng, const rnl_update_ctx *u,
                      const rnl_batch *bt, double scale, rnl_state *state, int poison, int *finite) {
    const size_t n = rnl_model_nparams(m);
    rnl_real *p = rnl_model_params(m);
    *finite = 1;
    memcpy(u->noisy, p, sizeof(rnl_real) * n);
    if (u->weight_noise > 0)
        for (int i = 0; i < rnl_model_ntensors(m); i++) {
            const rnl_tensor *t = rnl_model_tensor(m, i);
            if (t->noisy) rnl_rng_add_normal(rng, u->noisy + t->offset, t->size, u->weight_noise);
        }
    memset(u->grad, 0, sizeof(rnl_real) * n);
    rnl_dropout drop = {u->dropout, 0};
    if (u->dropout > 0) drop.seed = rnl_rng_next(rng);
    rnl_status st = rnl_forward_backward_dropout(m, ws, u->noisy, bt, u->grad, scale, state, &drop, NULL);
    if (!st && poison) u->grad[0] = (rnl_real)NAN;
    if (st == RNL_ERR_NUMERIC)
        return rnl_fail(RNL_ERR_NUMERIC, "the training loss is not finite (learning rate too large?)");
    if (st) return st;
    double norm = rnl_clip_global_norm(u->grad, n, u->clip);
    if (!isfinite(norm)) {
        *finite = 0;
        return RNL_OK;
    }
    rnl_rmsprop_step(&u->opt, p, u->grad, u->ms, u->buf, n);
    return all_finite(p, n) ? RNL_OK : rnl_fail(RNL_ERR_NUMERIC, "a parameter became non-finite");
}
