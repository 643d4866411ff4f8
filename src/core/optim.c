/* optim.c — RMSProp with momentum, global gradient-norm clipping. Flat arrays in, flat
 * arrays out: the optimiser knows nothing of the model's structure. */
#include <math.h>
#include "core/kernels.h"

/* PyTorch's torch.optim.RMSprop (centered=False), so the C trajectory can be compared with
 * a PyTorch reference step by step:
 *   ms  <- decay*ms + (1-decay)*g^2
 *   buf <- momentum*buf + g / (sqrt(ms) + eps)
 *   p   <- p - lr*buf                                                                    */
void rnl_rmsprop_step(const rnl_rmsprop *o, rnl_real *p, const rnl_real *g, rnl_real *ms,
                      rnl_real *buf, size_t n) {
    const rnl_real decay = (rnl_real)o->decay, one_m = (rnl_real)(1.0 - o->decay);
    const rnl_real mom = (rnl_real)o->momentum, eps = (rnl_real)o->eps, lr = (rnl_real)o->lr;
    for (size_t i = 0; i < n; i++) {
        rnl_real m = decay * ms[i] + one_m * g[i] * g[i];
        ms[i] = m;
        rnl_real b = mom * buf[i] + g[i] / (RNL_SQRT(m) + eps);
        buf[i] = b;
        p[i] -= lr * b;
    }
}

double rnl_clip_global_norm(rnl_real *g, size_t n, double max_norm) {
    /* eight partial sums in double: the loop vectorises (one running sum would not) */
    double part[8] = {0}, ss = 0.0;
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; j++) part[j] += (double)g[i + j] * (double)g[i + j];
    for (; i < n; i++) ss += (double)g[i] * (double)g[i];
    for (int j = 0; j < 8; j++) ss += part[j];
    double norm = sqrt(ss);
    if (max_norm > 0 && norm > max_norm) {
        rnl_real s = (rnl_real)(max_norm / norm);
        for (i = 0; i < n; i++) g[i] *= s;
    }
    return norm;
}
