/* heads.c — output layers: NLL of one step and its gradient w.r.t. the logits. */
#include <math.h>
#include "core/kernels.h"

/* Bernoulli, one independent unit per note:
 *     nll = Σ_k softplus(a_k) − y_k a_k,   softplus(a) = max(a,0) + log1p(exp(−|a|))
 *     d nll / d a_k = σ(a_k) − y_k
 * exp only ever sees −|a|, so the value is finite for any finite logit. This is the libm
 * reference; the float build's rnl_bernoulli_nll below is its vectorised twin. */
double rnl_bernoulli_nll_ref(const rnl_real *a, const rnl_real *y, int O, rnl_real *da) {
    double nll = 0.0;
    for (int k = 0; k < O; k++) {
        double ak = a[k], e = exp(-fabs(ak));
        nll += (ak > 0 ? ak : 0) + log1p(e) - (double)y[k] * ak;
        if (da) da[k] = (rnl_real)((ak >= 0 ? 1 / (1 + e) : e / (1 + e)) - y[k]);
    }
    return nll;
}

#ifdef RNL_DOUBLE
double rnl_bernoulli_nll(const rnl_real *a, const rnl_real *y, int O, rnl_real *da) {
    return rnl_bernoulli_nll_ref(a, y, O, da);
}
#else
/* log1p(e) for e in [0, 1] without cancellation: with s = e/(2+e) in [0, 1/3],
 * log1p(e) = 2 atanh(s) = 2s (1 + s²/3 + s⁴/5 + … + s¹⁴/15); the next term is < 5e-9
 * relative. */
static inline float log1p_unit(float e) {
    float s = e / (2.0f + e), z = s * s;
    float p = 1.0f / 15.0f; /* fmaf: see rnl_exp in kernels.h */
    p = fmaf(p, z, 1.0f / 13.0f);
    p = fmaf(p, z, 1.0f / 11.0f);
    p = fmaf(p, z, 1.0f / 9.0f);
    p = fmaf(p, z, 1.0f / 7.0f);
    p = fmaf(p, z, 1.0f / 5.0f);
    p = fmaf(p, z, 1.0f / 3.0f);
    p = fmaf(p, z, 1.0f);
    return 2.0f * s * p;
}

static inline float bernoulli_term(float ak, float yk) {
    float ab = ak < 0 ? -ak : ak;
    return (ak > 0 ? ak : 0.0f) + log1p_unit(rnl_exp(-ab)) - yk * ak;
}

/* A frame, or the frames of up to 16 sequences at one step (model.c): at most a few
 * thousand terms of O(1), summed in float, ~100 per partial sum. Sixteen partial sums
 * (one vector) so the loop vectorises: a single running sum is an ordered reduction the
 * compiler must keep scalar. */
double rnl_bernoulli_nll(const rnl_real *a, const rnl_real *y, int O, rnl_real *da) {
    float part[16] = {0}, acc = 0.0f;
    int k = 0;
    for (; k + 16 <= O; k += 16)
        for (int j = 0; j < 16; j++) part[j] += bernoulli_term(a[k + j], y[k + j]);
    if (k < O) { /* the last block as a vector; its padded lanes (a = y = 0) are not added */
        float ta[16], ty[16];
        rnl_tail_in(ta, a + k, O - k);
        rnl_tail_in(ty, y + k, O - k);
        for (int j = 0; j < 16; j++) part[j] += j < O - k ? bernoulli_term(ta[j], ty[j]) : 0.0f;
    }
    for (int j = 0; j < 16; j++) acc += part[j];
    if (da) rnl_bernoulli_grad(a, y, O, 1, da);
    return acc;
}
#endif

void rnl_bernoulli_grad(const rnl_real *a, const rnl_real *y, int O, rnl_real scale, rnl_real *da) {
    int k = 0;
    for (; k + 16 <= O; k += 16)
        for (int j = 0; j < 16; j++) da[k + j] = (rnl_sigmoid(a[k + j]) - y[k + j]) * scale;
    if (k < O) {
        rnl_real ta[16], ty[16], td[16];
        rnl_tail_in(ta, a + k, O - k);
        rnl_tail_in(ty, y + k, O - k);
        for (int j = 0; j < 16; j++) td[j] = (rnl_sigmoid(ta[j]) - ty[j]) * scale;
        rnl_tail_out(da + k, td, O - k);
    }
}

/* Mixture of diagonal Gaussians (see rnnlab.h for the layout). With responsibilities
 * g_k = softmax_k(log pi_k + Σ_d log N_kd) and u = (y − mu)/sigma:
 *     d nll / d logit_k = pi_k − g_k
 *     d nll / d mu_kd   = −g_k u / sigma
 *     d nll / d ls_kd   = g_k (1 − u²)     (0 where the log-std is clamped)            */
double rnl_mog_nll(const rnl_real *a, const rnl_real *y, int O, int K, rnl_real *da) {
    const rnl_real *logit = a, *mu = a + K, *ls = a + K + (size_t)K * O;
    const double lo = log(RNL_MOG_MIN_STD), hi = RNL_MOG_MAX_LOG_STD;
    const double half_log_2pi = 0.91893853320467274178;
    double lmax = -INFINITY, lse_pi = 0, comp_max = -INFINITY;
    for (int k = 0; k < K; k++) lmax = logit[k] > lmax ? logit[k] : lmax;
    for (int k = 0; k < K; k++) lse_pi += exp((double)logit[k] - lmax);
    lse_pi = lmax + log(lse_pi);
    /* Component log-likelihoods; at most K at once on the stack for K <= 1024. */
    double L[1024];
    for (int k = 0; k < K; k++) {
        double s = (double)logit[k] - lse_pi;
        for (int d = 0; d < O; d++) {
            double l = ls[(size_t)k * O + d];
            l = l < lo ? lo : l > hi ? hi : l;
            double u = ((double)y[d] - mu[(size_t)k * O + d]) * exp(-l);
            s += -0.5 * u * u - l - half_log_2pi;
        }
        L[k] = s;
        comp_max = s > comp_max ? s : comp_max;
    }
    double tot = 0;
    for (int k = 0; k < K; k++) tot += exp(L[k] - comp_max);
    double lse = comp_max + log(tot);
    if (da) {
        for (int k = 0; k < K; k++) {
            double g = exp(L[k] - lse), pi = exp((double)logit[k] - lse_pi);
            da[k] = (rnl_real)(pi - g);
            for (int d = 0; d < O; d++) {
                size_t j = (size_t)k * O + d;
                double l = ls[j], lc = l < lo ? lo : l > hi ? hi : l;
                double inv = exp(-lc), u = ((double)y[d] - mu[j]) * inv;
                da[K + j] = (rnl_real)(-g * u * inv);
                da[K + (size_t)K * O + j] = (rnl_real)(l < lo || l > hi ? 0.0 : g * (1 - u * u));
            }
        }
    }
    return -lse;
}
