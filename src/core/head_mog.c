/* head_mog.c — the mixture-of-Gaussians head (speech): K diagonal Gaussians over the O
 * values of a step, width K*(1+2*O); the layout of the logits is in rnnlab.h
 * (rnl_mog_nll). */
#include <math.h>
#include "core/heads.h"

/* The log standard deviation the head uses for a raw log-std output l:
 *     s = min(max(l, log RNL_MOG_MIN_STD), RNL_MOG_MAX_LOG_STD)
 * *clamped is set when a bound was taken (there d s / d l = 0). The NLL, its gradient and
 * the draws all read sigma through here. */
static inline double mog_log_std(double l, int *clamped) {
    const double lo = log(RNL_MOG_MIN_STD), hi = RNL_MOG_MAX_LOG_STD;
    *clamped = l < lo || l > hi;
    return l < lo ? lo : l > hi ? hi : l;
}

/* Mixture of diagonal Gaussians (see rnnlab.h for the layout). With responsibilities
 * g_k = softmax_k(log pi_k + Σ_d log N_kd) and u = (y − mu)/sigma:
 *     d nll / d logit_k = pi_k − g_k
 *     d nll / d mu_kd   = −g_k u / sigma
 *     d nll / d ls_kd   = g_k (1 − u²)     (0 where the log-std is clamped)            */
double rnl_mog_nll(const rnl_real *a, const rnl_real *y, int O, int K, rnl_real *da) {
    const rnl_real *logit = a, *mu = a + K, *ls = a + K + (size_t)K * O;
    const double half_log_2pi = 0.91893853320467274178;
    double lmax = -INFINITY, lse_pi = 0, comp_max = -INFINITY;
    for (int k = 0; k < K; k++) lmax = logit[k] > lmax ? logit[k] : lmax;
    for (int k = 0; k < K; k++) lse_pi += exp((double)logit[k] - lmax);
    lse_pi = lmax + log(lse_pi);
    /* Component log-likelihoods; at most K at once on the stack. */
    double L[RNL_MOG_MAX_MIXTURES];
    for (int k = 0; k < K; k++) {
        double s = (double)logit[k] - lse_pi;
        for (int d = 0; d < O; d++) {
            int clamped;
            double l = mog_log_std(ls[(size_t)k * O + d], &clamped);
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
                int clamped;
                double lc = mog_log_std(ls[j], &clamped);
                double inv = exp(-lc), u = ((double)y[d] - mu[j]) * inv;
                da[K + j] = (rnl_real)(-g * u * inv);
                da[K + (size_t)K * O + j] = (rnl_real)(clamped ? 0.0 : g * (1 - u * u));
            }
        }
    }
    return -lse;
}

/* ---------------------------------------------------------------- descriptor --------- */

static int mog_width(int O, int K) { return K * (1 + 2 * O); }

static double mog_nll(const rnl_real *a, const rnl_real *y, int O, int K, rnl_real *da) {
    return rnl_mog_nll(a, y, O, K, da);
}

static void mog_grad(const rnl_real *a, const rnl_real *y, int O, int K, rnl_real scale,
                     rnl_real *da) {
    const int W = mog_width(O, K);
    rnl_mog_nll(a, y, O, K, da);
    for (int j = 0; j < W; j++) da[j] *= scale;
}

/* Row by row: the gradient of a row comes with its NLL. */
static void mog_rows(const rnl_real *a, const rnl_real *y, int n, int O, int K, double *nll,
                     rnl_real scale, rnl_real *da) {
    const int W = mog_width(O, K);
    for (int b = 0; b < n; b++) {
        rnl_real *d = da ? da + (size_t)b * W : NULL;
        double v = rnl_mog_nll(a + (size_t)b * W, y + (size_t)b * O, O, K, d);
        if (nll) *nll += v;
        if (d)
            for (int j = 0; j < W; j++) d[j] *= scale;
    }
}

/* Draw y [O] from the mixture at temperature T: component k with probability
 * softmax(a[0..K) / T)_k, chosen by one uniform u: the first k whose cumulative weight
 * exceeds u · Σ_k exp(a_k / T − max), else K−1; then y_d = mu_kd + sqrt(T) sigma_kd n_d with
 * n_d ~ N(0, 1) drawn for d = 0 .. O−1 (one uniform, then O normals). T = 1 is the mixture
 * itself; otherwise its tempered density: the weights raised to 1/T, each Gaussian's variance
 * times T (a Gaussian's density to the power 1/T). */
static void mog_draw(const rnl_real *a, int O, int K, double temperature, rnl_rng *rng,
                     double *y) {
    const rnl_real *mu = a + K, *ls = a + K + (size_t)K * O;
    double mx = -INFINITY, tot = 0;
    for (int k = 0; k < K; k++) {
        double v = (double)a[k] / temperature;
        mx = v > mx ? v : mx;
    }
    for (int k = 0; k < K; k++) tot += exp((double)a[k] / temperature - mx);
    double u = rnl_rng_uniform(rng) * tot, acc = 0;
    int pick = K - 1;
    for (int k = 0; k < K; k++) {
        acc += exp((double)a[k] / temperature - mx);
        if (u < acc) {
            pick = k;
            break;
        }
    }
    const double st = sqrt(temperature);
    for (int d = 0; d < O; d++) {
        int clamped;
        double l = mog_log_std(ls[(size_t)pick * O + d], &clamped);
        y[d] = mu[(size_t)pick * O + d] + exp(l) * st * rnl_rng_normal(rng);
    }
}

const rnl_head_desc rnl_head_mog = {
    .name = "mog",
    .title = "MoG",
    .min_mixtures = 1,
    .max_mixtures = RNL_MOG_MAX_MIXTURES,
    .width = mog_width,
    .nll = mog_nll,
    .grad = mog_grad,
    .rows = mog_rows,
    .nll_with_grad = 1,
    .draw = mog_draw,
};
