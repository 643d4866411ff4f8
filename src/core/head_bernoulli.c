/* head_bernoulli.c — the Bernoulli head (piano rolls): one independent binary unit per
 * target, P(y_k = 1) = σ(a_k), width O. */
#include <math.h>
#include "core/heads.h"
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

/* ---------------------------------------------------------------- descriptor --------- */

static int bernoulli_width(int O, int K) { return O; }

static double bernoulli_nll(const rnl_real *a, const rnl_real *y, int O, int K, const rnl_model_meta *md,
                            rnl_real *da) {
    return rnl_bernoulli_nll(a, y, O, da);
}

static void bernoulli_grad(const rnl_real *a, const rnl_real *y, int O, int K, const rnl_model_meta *md,
                           rnl_real scale, rnl_real *da) {
    rnl_bernoulli_grad(a, y, O, scale, da);
}

/* The rows of a step are contiguous (width = O): the NLL in float partial sums of 16 rows
 * at most (see rnl_bernoulli_nll), the gradient in one call for all of them. */
static void bernoulli_rows(const rnl_real *a, const rnl_real *y, int n, int O, int K, const rnl_model_meta *md,
                           double *nll, rnl_real scale, rnl_real *da) {
    for (int b = 0; nll && b < n; b += 16) {
        const int rows = n - b < 16 ? n - b : 16;
        *nll += rnl_bernoulli_nll(a + (size_t)b * O, y + (size_t)b * O, rows * O, NULL);
    }
    if (da) rnl_bernoulli_grad(a, y, n * O, scale, da);
}

/* σ(z) in double, exp only of −|z|. */
static double sigmoid_d(double z) {
    if (z >= 0) return 1 / (1 + exp(-z));
    double e = exp(z);
    return e / (1 + e);
}

/* y_k ~ Bernoulli(σ(a_k / T)): y_k = 1 when the k-th uniform draw u_k ∈ [0, 1) is below
 * σ(a_k / T), else 0; one rnl_rng_uniform per unit, k = 0 .. O−1. */
static void bernoulli_draw(const rnl_real *a, int O, int K, const rnl_model_meta *md, double temperature,
                           rnl_rng *rng, double *y) {
    for (int k = 0; k < O; k++) {
        double p = sigmoid_d((double)a[k] / temperature);
        y[k] = rnl_rng_uniform(rng) < p;
    }
}

const rnl_head_desc rnl_head_bernoulli = {
    .name = "bernoulli",
    .title = "Bernoulli",
    .min_mixtures = 0,
    .max_mixtures = 0,
    .width = bernoulli_width,
    .nll = bernoulli_nll,
    .grad = bernoulli_grad,
    .rows = bernoulli_rows,
    .nll_with_grad = 0,
    .draw = bernoulli_draw,
};
