/* gradcheck.c — finite differences against the analytic gradient, every parameter. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "core/gradcheck.h"

static double loss_at(const rnl_model *m, rnl_workspace *ws, const rnl_real *p,
                      const rnl_batch *bt, double frames, const rnl_dropout *drop, rnl_status *st) {
    double nll = 0;
    *st = rnl_forward_backward_dropout(m, ws, p, bt, NULL, frames, NULL, drop, &nll);
    return nll / frames;
}

rnl_status rnl_gradcheck(const rnl_config *cfg, int B, const int *len, uint64_t seed, double eps,
                         double floor, const rnl_dropout *drop, rnl_gradcheck_result *res) {
    memset(res, 0, sizeof *res);
    rnl_model *m = NULL;
    rnl_workspace *ws = NULL;
    rnl_real *x = NULL, *y = NULL, *g = NULL, *p = NULL;
    rnl_status st = rnl_model_create(cfg, &m);
    if (st) return st;
    st = rnl_workspace_create(&ws);
    if (st) goto done;
    const int T = B > 0 ? len[0] : 0, I = cfg->input, O = cfg->output;
    const size_t n = rnl_model_nparams(m);
    x = malloc(sizeof(rnl_real) * ((size_t)T * B * I + 1));
    y = malloc(sizeof(rnl_real) * ((size_t)T * B * O + 1));
    g = calloc(n, sizeof(rnl_real));
    if (!x || !y || !g) {
        st = rnl_fail(RNL_ERR_NOMEM, "out of memory in gradcheck");
        goto done;
    }
    rnl_rng rng;
    rnl_rng_seed(&rng, seed);
    p = rnl_model_params(m);
    for (size_t k = 0; k < n; k++) p[k] = (rnl_real)(0.5 * rnl_rng_normal(&rng));
    for (size_t k = 0; k < (size_t)T * B * I; k++) x[k] = (rnl_real)rnl_rng_normal(&rng);
    for (size_t k = 0; k < (size_t)T * B * O; k++) y[k] = rnl_rng_uniform(&rng) < 0.3 ? 1 : 0;
    double frames = 0;
    for (int b = 0; b < B; b++) frames += len[b];
    if (frames <= 0) frames = 1;
    rnl_batch bt = {T, B, len, x, y};
    double nll = 0;
    st = rnl_forward_backward_dropout(m, ws, p, &bt, g, frames, NULL, drop, &nll);
    if (st) goto done;
    /* Padded inputs must not matter: poison them and compare the loss. */
    double l0 = nll / frames;
    res->loss = l0;
    for (int t = 0; t < T; t++)
        for (int b = 0; b < B; b++)
            if (t >= len[b])
                for (int i = 0; i < I; i++) x[((size_t)t * B + b) * I + i] = (rnl_real)1e30;
    double lp = loss_at(m, ws, p, &bt, frames, drop, &st);
    if (st) goto done;
    if (lp != l0) {
        st = rnl_fail(RNL_ERR_NUMERIC, "gradcheck: padded inputs changed the loss (%.17g vs %.17g)", lp, l0);
        goto done;
    }
    for (int ti = 0; ti < rnl_model_ntensors(m); ti++) {
        const rnl_tensor *t = rnl_model_tensor(m, ti);
        for (size_t k = 0; k < t->size; k++) {
            rnl_real *q = p + t->offset + k, old = *q;
            *q = (rnl_real)(old + eps);
            double lplus = loss_at(m, ws, p, &bt, frames, drop, &st);
            *q = (rnl_real)(old - eps);
            double lminus = loss_at(m, ws, p, &bt, frames, drop, &st);
            *q = old;
            if (st) goto done;
            double num = (lplus - lminus) / (2 * eps), ana = g[t->offset + k];
            double den = fabs(ana) + fabs(num);
            double rel = fabs(ana - num) / (den > floor ? den : floor);
            res->checked++;
            if (rel > res->max_rel || isnan(rel)) {
                res->max_rel = isnan(rel) ? INFINITY : rel;
                snprintf(res->worst, sizeof res->worst, "%s[%zu] (%.3g vs %.3g)", t->name, k, ana, num);
            }
        }
    }
done:
    free(x);
    free(y);
    free(g);
    rnl_workspace_free(ws);
    rnl_model_free(m);
    return st;
}
