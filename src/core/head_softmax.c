/* head_softmax.c — the categorical head (text, token sequences): one distribution over O
 * symbols per step, P(symbol k) = softmax(a)_k, width O.
 *
 * The target encoding: y [O] is the one-hot vector of the step's symbol (y_k = 1 for the
 * symbol, 0 elsewhere), the same vector the next step takes as its input. So a symbol
 * sequence is next-frame prediction exactly as a piano roll is, and the data adapters, the
 * padded batches and the samplers' feedback of a draw as the next input stay as they are;
 * the cost, O values per target instead of one index, is what the logits cost anyway.
 * The NLL is written for any non-negative y (soft targets), which the one-hot case is:
 *     nll = (Σ_k y_k) lse(a) − Σ_k y_k a_k,   lse(a) = m + log Σ_k exp(a_k − m),  m = max_k a_k
 *     d nll / d a_k = (Σ_j y_j) softmax(a)_k − y_k
 * For a one-hot y of symbol c that is −log softmax(a)_c, F.cross_entropy's value, in nats.
 * exp only ever sees a_k − m <= 0, so the value is finite for any finite logits; the sums
 * are in double (O may be large: 65536 terms of float would lose digits). */
#include <math.h>
#include "core/heads.h"
#include "core/kernels.h"

/* The libm reference in double, the definition term by term. */
double rnl_softmax_nll_ref(const rnl_real *a, const rnl_real *y, int O, rnl_real *da) {
    double m = -INFINITY, s = 0, ya = 0, ys = 0;
    for (int k = 0; k < O; k++) m = a[k] > m ? a[k] : m;
    for (int k = 0; k < O; k++) {
        s += exp((double)a[k] - m);
        ya += (double)y[k] * a[k];
        ys += y[k];
    }
    const double lse = m + log(s);
    if (da)
        for (int k = 0; k < O; k++) da[k] = (rnl_real)(ys * exp((double)a[k] - m) / s - y[k]);
    return ys * lse - ya;
}

/* The library's: the exponentials by rnl_exp (the vectorised float exp of kernels.h; libm's
 * exp in the double build), each sum in double. scale multiplies the gradient; the NLL is
 * returned (unscaled). */
static double softmax_step(const rnl_real *a, const rnl_real *y, int O, rnl_real scale, rnl_real *da) {
    rnl_real m = a[0];
    for (int k = 1; k < O; k++) m = a[k] > m ? a[k] : m;
    double s = 0, ya = 0, ys = 0;
    for (int k = 0; k < O; k++) {
        s += rnl_exp(a[k] - m);
        ya += (double)y[k] * a[k];
        ys += y[k];
    }
    if (da) {
        const rnl_real f = (rnl_real)(ys / s);
        for (int k = 0; k < O; k++) da[k] = (f * rnl_exp(a[k] - m) - y[k]) * scale;
    }
    return ys * ((double)m + log(s)) - ya;
}

double rnl_softmax_nll(const rnl_real *a, const rnl_real *y, int O, rnl_real *da) {
    return softmax_step(a, y, O, 1, da);
}

/* ---------------------------------------------------------------- descriptor --------- */

static int softmax_width(int O, int K) { return O; }

static double softmax_nll(const rnl_real *a, const rnl_real *y, int O, int K, const rnl_model_meta *md,
                          rnl_real *da) {
    return softmax_step(a, y, O, 1, da);
}

static void softmax_grad(const rnl_real *a, const rnl_real *y, int O, int K, const rnl_model_meta *md,
                         rnl_real scale, rnl_real *da) {
    softmax_step(a, y, O, scale, da);
}

/* Row by row (each row's normaliser is its own); the NLLs summed in row order. */
static void softmax_rows(const rnl_real *a, const rnl_real *y, int n, int O, int K, const rnl_model_meta *md,
                         double *nll, rnl_real scale, rnl_real *da) {
    for (int b = 0; b < n; b++) {
        double v = softmax_step(a + (size_t)b * O, y + (size_t)b * O, O, scale, da ? da + (size_t)b * O : NULL);
        if (nll) *nll += v;
    }
}

/* One symbol c ~ softmax(a / T), y = its one-hot vector. With m = max_k a_k / T and
 * e_k = exp(a_k / T − m) in double, one uniform u ∈ [0, 1) (the only draw) picks the first
 * c whose running sum e_0 + … + e_c exceeds u Σ_k e_k; if rounding leaves none, the last
 * symbol with e_k > 0. */
static void softmax_draw(const rnl_real *a, int O, int K, const rnl_model_meta *md, double temperature,
                         rnl_rng *rng, double *y) {
    double m = -INFINITY, tot = 0;
    for (int k = 0; k < O; k++) {
        double v = (double)a[k] / temperature;
        m = v > m ? v : m;
    }
    int last = 0;
    for (int k = 0; k < O; k++) {
        double e = exp((double)a[k] / temperature - m);
        tot += e;
        if (e > 0) last = k;
    }
    double u = rnl_rng_uniform(rng) * tot, acc = 0;
    int pick = last;
    for (int k = 0; k < O; k++) {
        acc += exp((double)a[k] / temperature - m);
        if (u < acc) {
            pick = k;
            break;
        }
    }
    for (int k = 0; k < O; k++) y[k] = k == pick;
}

const rnl_head_desc rnl_head_softmax = {
    .name = "softmax",
    .title = "categorical (softmax)",
    .min_mixtures = 0,
    .max_mixtures = 0,
    .width = softmax_width,
    .nll = softmax_nll,
    .grad = softmax_grad,
    .rows = softmax_rows,
    .nll_with_grad = 1,
    .draw = softmax_draw,
};
