/* head_gauss.c — the continuous mixture density head (real-valued .npz sequences): K
 * diagonal Gaussians over the O real values of a step, a density (not a distribution over a
 * grid as the speech head's), width K*(1+2*O). Bishop's mixture density network (1994) as
 * Graves 2013 uses it, with a floor on the standard deviations. The layout, the equations
 * and the floor are in rnnlab.h (rnl_gauss_nll). */
#include <math.h>
#include "core/heads.h"

#define HALF_LOG_2PI 0.91893853320467274178

/* The log standard deviation for a raw output l, with the floor f = RNL_GAUSS_MIN_LOG_STD:
 *     s = l                    for f <= l <= RNL_GAUSS_MAX_LOG_STD
 *     s = f − log(1 + f − l)   for l < f   (a soft floor, d s / d l = 1/(1 + f − l) > 0)
 *     s = RNL_GAUSS_MAX_LOG_STD above      (d s / d l = 0)
 * the same soft floor as the speech head's (head_mog.c), at a fixed level. */
static inline double gauss_log_std(double l, double *dsdl) {
    const double f = RNL_GAUSS_MIN_LOG_STD;
    if (l > RNL_GAUSS_MAX_LOG_STD) {
        *dsdl = 0;
        return RNL_GAUSS_MAX_LOG_STD;
    }
    if (l >= f) {
        *dsdl = 1;
        return l;
    }
    *dsdl = 1 / (1 + (f - l));
    return f - log1p(f - l);
}

/* With z_kd = (y_d − mu_kd)/sigma_kd, sigma = exp(s), log pi = logsoftmax(mixture logits),
 *     L_k = log pi_k + Σ_d (−z_kd²/2 − s_kd − log √(2π)),   g = softmax(L)
 *     nll = −log Σ_k exp(L_k)                    (log-sum-exp from the largest, in double)
 *     d nll / d logit_k = pi_k − g_k
 *     d nll / d mu_kd   = −g_k z_kd / sigma_kd
 *     d nll / d ls_kd   = −g_k (z_kd² − 1) · d s / d ls */
double rnl_gauss_nll(const rnl_real *a, const rnl_real *y, int O, int K, rnl_real *da) {
    const rnl_real *logit = a, *mu = a + K, *ls = a + K + (size_t)K * O;
    double mx = -INFINITY, t = 0;
    for (int k = 0; k < K; k++) mx = logit[k] > mx ? logit[k] : mx;
    for (int k = 0; k < K; k++) t += exp((double)logit[k] - mx);
    const double lse_pi = mx + log(t);
    double L[RNL_MOG_MAX_MIXTURES], lmax = -INFINITY;
    for (int k = 0; k < K; k++) {
        double s = (double)logit[k] - lse_pi;
        for (int d = 0; d < O; d++) {
            const size_t j = (size_t)k * O + d;
            double dsdl;
            const double l = gauss_log_std(ls[j], &dsdl), isig = exp(-l), z = ((double)y[d] - mu[j]) * isig;
            s += -0.5 * z * z - l - HALF_LOG_2PI;
            if (da) { /* d L_k / d mu and d L_k / d ls, times −g_k below */
                da[K + j] = (rnl_real)(z * isig);
                da[K + (size_t)K * O + j] = (rnl_real)((z * z - 1) * dsdl);
            }
        }
        L[k] = s;
        lmax = s > lmax ? s : lmax;
    }
    double tot = 0;
    for (int k = 0; k < K; k++) tot += exp(L[k] - lmax);
    const double lse = lmax + log(tot);
    if (da)
        for (int k = 0; k < K; k++) {
            const double g = exp(L[k] - lse), pi = exp((double)logit[k] - lse_pi);
            da[k] = (rnl_real)(pi - g);
            for (int d = 0; d < O; d++) {
                const size_t j = (size_t)k * O + d;
                da[K + j] = (rnl_real)(-g * da[K + j]);
                da[K + (size_t)K * O + j] = (rnl_real)(-g * da[K + (size_t)K * O + j]);
            }
        }
    return -lse;
}

/* ---------------------------------------------------------------- descriptor --------- */

static int gauss_width(int O, int K) { return K * (1 + 2 * O); }

static double gauss_nll(const rnl_real *a, const rnl_real *y, int O, int K, const rnl_model_meta *md,
                        rnl_real *da) {
    return rnl_gauss_nll(a, y, O, K, da);
}

static void gauss_grad(const rnl_real *a, const rnl_real *y, int O, int K, const rnl_model_meta *md,
                       rnl_real scale, rnl_real *da) {
    rnl_head_grad_by_nll(&rnl_head_gauss, a, y, O, K, md, scale, da);
}

/* Row by row: the gradient of a row comes with its NLL. */
static void gauss_rows(const rnl_real *a, const rnl_real *y, int n, int O, int K, const rnl_model_meta *md,
                       double *nll, rnl_real scale, rnl_real *da) {
    rnl_head_rows_by_nll(&rnl_head_gauss, a, y, n, O, K, md, nll, scale, da);
}

/* Draw y [O] from the mixture at temperature T, as the speech head draws (head_mog.c
 * mog_draw) without its grid: the component by rnl_mixture_pick (one uniform), then
 * y_d = mu_kd + sqrt(T) sigma_kd n_d with one normal n_d per value, d = 0 .. O−1. T = 1 is
 * the mixture itself; otherwise its tempered density (weights to the power 1/T, each
 * variance times T). */
static void gauss_draw(const rnl_real *a, int O, int K, const rnl_model_meta *md, double temperature,
                       rnl_rng *rng, double *y) {
    const rnl_real *mu = a + K, *ls = a + K + (size_t)K * O;
    const int pick = rnl_mixture_pick(a, K, temperature, rng);
    const double st = sqrt(temperature);
    for (int d = 0; d < O; d++) {
        double dsdl;
        const double l = gauss_log_std(ls[(size_t)pick * O + d], &dsdl);
        y[d] = mu[(size_t)pick * O + d] + exp(l) * st * rnl_rng_normal(rng);
    }
}

const rnl_head_desc rnl_head_gauss = {
    .name = "gauss",
    .title = "Gaussian mixture",
    .min_mixtures = 1,
    .max_mixtures = RNL_MOG_MAX_MIXTURES,
    .width = gauss_width,
    .nll = gauss_nll,
    .grad = gauss_grad,
    .rows = gauss_rows,
    .nll_with_grad = 1,
    .draw = gauss_draw,
};
