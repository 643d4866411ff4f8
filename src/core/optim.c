/* optim.c — RMSProp with momentum (PyTorch's form and the authors' released one), global
 * gradient-norm clipping. Flat arrays in, flat arrays out: the optimiser knows nothing of the
 * model's structure. */
#include <math.h>
#include "core/kernels.h"

/* sum_i x_i^2 in double: eight partial sums, so the loop vectorises (one running sum would
 * not). */
static double sum_squares(const rnl_real *x, size_t n) {
    double part[8] = {0}, ss = 0.0;
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int j = 0; j < 8; j++) part[j] += (double)x[i + j] * (double)x[i + j];
    for (; i < n; i++) ss += (double)x[i] * (double)x[i];
    for (int j = 0; j < 8; j++) ss += part[j];
    return ss;
}

/* PyTorch's torch.optim.RMSprop (centered=False), so the C trajectory can be compared with
 * a PyTorch reference step by step:
 *   ms  <- decay*ms + (1-decay)*g^2
 *   buf <- momentum*buf + g / (sqrt(ms) + eps)
 *   p   <- p - lr*buf                                                                    */
static void rmsprop_torch(const rnl_rmsprop *o, rnl_real *p, const rnl_real *g, rnl_real *ms, rnl_real *buf,
                          size_t n) {
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

/* The general form (rnnlab.h), first the state, then the step:
 *   ms  <- decay*ms + (1-decay)*g^2
 *   rms  = max(sqrt(ms), floor)  if floor > 0,  else sqrt(ms) + eps
 *   buf <- momentum*buf + g/rms        (velocity 0; step = -lr*buf)
 *   buf <- momentum*buf - lr*g/rms     (velocity 1, the authors'; step = buf)
 *   p   <- p + step * min(1, step_clip / ||step||_2)   (over all n; 1 when step_clip = 0)
 * The authors' RMSPropMomentum: velocity 1, floor 0.01 (its "stabilizer"), step_clip 1 (its
 * momentum_clipping, bound_inc off: the stored velocity keeps its norm). */
static void rmsprop_general(const rnl_rmsprop *o, rnl_real *p, const rnl_real *g, rnl_real *ms, rnl_real *buf,
                            size_t n) {
    const rnl_real decay = (rnl_real)o->decay, one_m = (rnl_real)(1.0 - o->decay);
    const rnl_real mom = (rnl_real)o->momentum, eps = (rnl_real)o->eps, lr = (rnl_real)o->lr;
    const rnl_real fl = (rnl_real)o->floor;
    const int floored = o->floor > 0, vel = o->velocity != 0;
    for (size_t i = 0; i < n; i++) {
        rnl_real m = decay * ms[i] + one_m * g[i] * g[i];
        ms[i] = m;
        const rnl_real r = RNL_SQRT(m);
        const rnl_real rms = floored ? (r > fl ? r : fl) : r + eps;
        buf[i] = vel ? mom * buf[i] - lr * (g[i] / rms) : mom * buf[i] + g[i] / rms;
    }
    /* ||step|| = ||buf|| (velocity) or lr * ||buf|| */
    double scale = 1.0;
    if (o->step_clip > 0) {
        const double norm = sqrt(sum_squares(buf, n)) * (vel ? 1.0 : o->lr);
        if (norm > o->step_clip) scale = o->step_clip / norm;
    }
    const rnl_real s = (rnl_real)(vel ? scale : -scale * o->lr);
    for (size_t i = 0; i < n; i++) p[i] += s * buf[i];
}

void rnl_rmsprop_step(const rnl_rmsprop *o, rnl_real *p, const rnl_real *g, rnl_real *ms,
                      rnl_real *buf, size_t n) {
    if (o->floor > 0 || o->step_clip > 0 || o->velocity) rmsprop_general(o, p, g, ms, buf, n);
    else rmsprop_torch(o, p, g, ms, buf, n);
}

double rnl_clip_global_norm(rnl_real *g, size_t n, double max_norm) {
    double norm = sqrt(sum_squares(g, n));
    if (max_norm > 0 && norm > max_norm) {
        rnl_real s = (rnl_real)(max_norm / norm);
        for (size_t i = 0; i < n; i++) g[i] *= s;
    }
    return norm;
}
