/* head_mog.c — the mixture-of-Gaussians head (speech): K diagonal Gaussians over the O
 * values of a step, discretised onto the 16-bit grid of the targets; width K*(1+2*O). The
 * layout of the logits and the density are in rnnlab.h (rnl_mog_nll). */
#include <math.h>
#include "core/heads.h"

/* ---------------------------------------------------------------- the grid ----------- */

/* The targets of a MoG model are 16-bit samples s = v/32768, v = −32768 … 32767,
 * standardised as z = (s − mean)/std with the model's data_mean/data_std: bin i holds
 * v = i − 32768, its centre is lo + i·step with
 *     step = 1/(32768 std),   lo = (−1 − mean)/std,   n = 65536 bins.                     */
rnl_mog_grid rnl_mog_grid16(double mean, double std) {
    rnl_mog_grid g = {1.0 / (32768.0 * std), (-1.0 - mean) / std, 65536};
    return g;
}

/* Bin of a target y: i = round((y − lo)/step) limited to 0 … n−1 (a target is within a
 * float rounding of its centre, far less than step/2, so i is its own bin). */
static inline double mog_bin(const rnl_mog_grid *q, double y) {
    double i = nearbyint((y - q->lo) / q->step);
    return i < 0 ? 0 : i > q->n - 1 ? q->n - 1 : i;
}

/* The log standard deviation the head uses for a raw log-std output l, with the floor
 * f = log(RNL_MOG_MIN_STD_STEPS · step):
 *     s = l                    for f <= l <= RNL_MOG_MAX_LOG_STD
 *     s = f − log(1 + f − l)   for l < f   (a soft floor: d s / d l = 1/(1 + f − l) > 0)
 *     s = RNL_MOG_MAX_LOG_STD  above       (d s / d l = 0)
 * Below the floor s still falls, logarithmically slowly, and keeps a gradient: a component
 * pushed there by the data can be pulled back. *dsdl receives d s / d l. The NLL, its
 * gradient and the draws all read sigma through here. */
static inline double mog_log_std(const rnl_mog_grid *q, double l, double *dsdl) {
    const double f = log(RNL_MOG_MIN_STD_STEPS * q->step), hi = RNL_MOG_MAX_LOG_STD;
    if (l > hi) {
        *dsdl = 0;
        return hi;
    }
    if (l >= f) {
        *dsdl = 1;
        return l;
    }
    const double t = f - l;
    *dsdl = 1 / (1 + t);
    return f - log1p(t);
}

/* ---------------------------------------------------------------- one bin ------------ */

#define SQRT1_2 0.70710678118654752440   /* 1/√2 */
#define SQRT2_PI 0.79788456080286535588  /* √(2/π) */
#define HALF_LOG_2PI 0.91893853320467274178

/* φ(x) = exp(−x²/2)/√(2π) and Q(x) = 1 − Φ(x) = erfc(x/√2)/2. */
static inline double npdf(double x) { return exp(-0.5 * x * x - HALF_LOG_2PI); }
static inline double nq(double x) { return 0.5 * erfc(x * SQRT1_2); }

/* erfcx(x) = exp(x²) erfc(x) for x >= 0, relative error ~1e-15. Below 26 from libm's erfc
 * (which is accurate there and above 1e-300), x² split exactly by fma so that exp does not
 * amplify its rounding; above, the asymptotic series
 *     erfcx(x) = 1/(x√π) Σ_n (−1)^n (2n−1)!! / (2x²)^n,
 * whose eighth term is below 1e-17 for x >= 26. */
static double erfcx_pos(double x) {
    if (x < 26.0) {
        double x2 = x * x, e = fma(x, x, -x2);
        return exp(x2) * (1.0 + e) * erfc(x);
    }
    const double r = 0.5 / (x * x);
    double t = 1.0, s = 1.0;
    for (int n = 1; n <= 8; n++) {
        t *= -(2 * n - 1) * r;
        s += t;
    }
    return s / (x * 1.77245385090551602730);
}

/* log Φ(b) and λ = φ(b)/Φ(b) (the mass below b and its inverse Mills ratio), for any b. */
static void log_cdf(double b, double *logm, double *lambda) {
    if (b < 0) { /* Φ(b) = Q(−b) = exp(−b²/2) erfcx(−b/√2) / 2 */
        double E = erfcx_pos(-b * SQRT1_2);
        *logm = -0.5 * b * b + log(0.5 * E);
        *lambda = SQRT2_PI / E;
    } else {
        double qb = nq(b);
        *logm = log1p(-qb);
        *lambda = npdf(b) / (1.0 - qb);
    }
}

/* The mass of a Gaussian N(mu, sigma²) over one bin, M = Φ(b) − Φ(a) with the bin's edges
 * standardised, a = (c − step/2 − mu)/sigma and b = (c + step/2 − mu)/sigma (a = −∞ for the
 * lowest bin, b = +∞ for the highest), and its derivatives:
 *     returns log M,
 *     *dmu = d log M / d mu      = (φ(a) − φ(b)) / (sigma M)
 *     *ds  = d log M / d log σ   = (a φ(a) − b φ(b)) / M
 * Inside, with m = (a+b)/2 = (c − mu)/sigma and h = (b−a)/2 = step/(2 sigma), reflected to
 * m >= 0 (M is even in m, d/dmu odd, d/dlogσ even):
 *  - narrow, h(1+m) < 0.1: Taylor of φ about m integrated over [m−h, m+h] (He_j the
 *    probabilists' Hermite polynomials), relative error below (h(1+m))^8/9! < 3e-14:
 *        M = 2h φ(m) (1 + He2 h²/3! + He4 h⁴/5! + He6 h⁶/7!)
 *    with φ(a) − φ(b) = 2 φ(m) e^{−h²/2} sinh(mh) and
 *    a φ(a) − b φ(b) = 2 φ(m) e^{−h²/2} (m sinh(mh) − h cosh(mh)) exactly;
 *  - a <= 0 (the bin straddles the mean): M = 1 − Q(b) − Q(−a), no cancellation;
 *  - a > 0 (both edges in the upper tail): M = Q(a) (1 − ρ), ρ = Q(b)/Q(a)
 *    = e^{−2mh} erfcx(b/√2)/erfcx(a/√2), and φ(a)/Q(a) = √(2/π)/erfcx(a/√2), so nothing
 *    underflows however far the bin lies. */
static double log_bin_mass(double c, int open_lo, int open_hi, double step, double mu, double s,
                           double *dmu, double *ds) {
    const double isig = exp(-s);
    if (open_lo || open_hi) {
        /* One open edge: M = Φ(b) (lowest bin) or Q(a) = Φ(−a) (highest). */
        const double e = open_lo ? (c + 0.5 * step - mu) * isig : -(c - 0.5 * step - mu) * isig;
        double logm, lambda;
        log_cdf(e, &logm, &lambda);
        *dmu = (open_lo ? -lambda : lambda) * isig;
        *ds = -e * lambda;
        return logm;
    }
    double m = (c - mu) * isig, h = 0.5 * step * isig, sign = 1;
    if (m < 0) m = -m, sign = -1;
    const double a = m - h, b = m + h;
    double logm, num_mu, num_s; /* (φ(a) − φ(b))/M and (a φ(a) − b φ(b))/M, reflected */
    if (h * (1 + m) < 0.1) {
        const double m2 = m * m, h2 = h * h;
        const double he2 = m2 - 1, he4 = (m2 - 6) * m2 + 3, he6 = ((m2 - 15) * m2 + 45) * m2 - 15;
        const double S = 1 + h2 * (he2 / 6 + h2 * (he4 / 120 + h2 * he6 / 5040));
        logm = log(2 * h) - 0.5 * m2 - HALF_LOG_2PI + log(S);
        /* sinh and cosh of mh < 0.1 from one expm1 (exp(mh) − exp(−mh) would cancel) */
        const double em = expm1(m * h), ei = 1 / (1 + em), sh = 0.5 * (em + em * ei), ch = sh + ei;
        const double w = exp(-0.5 * h2) / (h * S);
        num_mu = w * sh;
        num_s = w * (m * sh - h * ch);
    } else if (a <= 0) {
        const double M = 1 - nq(b) - nq(-a), pa = npdf(a), pb = npdf(b);
        logm = log(M);
        num_mu = (pa - pb) / M;
        num_s = (a * pa - b * pb) / M;
    } else {
        const double Ea = erfcx_pos(a * SQRT1_2), Eb = erfcx_pos(b * SQRT1_2);
        const double one_m_rho = -expm1(-2 * m * h + log(Eb / Ea)), eps = exp(-2 * m * h);
        const double lambda = SQRT2_PI / Ea;
        logm = -0.5 * a * a + log(0.5 * Ea) + log(one_m_rho);
        num_mu = lambda * -expm1(-2 * m * h) / one_m_rho;
        num_s = lambda * (a - b * eps) / one_m_rho;
    }
    *dmu = sign * num_mu * isig;
    *ds = num_s;
    return logm;
}

/* ---------------------------------------------------------------- the mixture -------- */

/* log Σ_k exp(x_k) over x [n], from the largest. */
static double logsumexp_f(const rnl_real *x, int n) {
    double mx = -INFINITY, t = 0;
    for (int k = 0; k < n; k++) mx = x[k] > mx ? x[k] : mx;
    for (int k = 0; k < n; k++) t += exp((double)x[k] - mx);
    return mx + log(t);
}

/* lse = log Σ_k exp(L_k) from the component log-likelihoods L [K] (comp_max their largest);
 * with da, the gradient finished: d nll / d logit_k = pi_k − g_k and the per-bin derivatives
 * parked in da's mean and log-std blocks multiplied by −g_k (g = softmax(L)). */
static double mixture_lse(const rnl_real *logit, const double *L, int K, int O, double comp_max, double lse_pi,
                          rnl_real *da) {
    double tot = 0;
    for (int k = 0; k < K; k++) tot += exp(L[k] - comp_max);
    const double lse = comp_max + log(tot);
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
    return lse;
}

/* With M'_kd = (1 − ε) M_kd + ε/n (ε = RNL_MOG_UNIFORM), L_k = log pi_k + Σ_d log M'_kd
 * and responsibilities g_k = softmax_k(L):
 *     nll = −log Σ_k exp(L_k) + O log(step)
 *     d nll / d logit_k = pi_k − g_k
 *     d nll / d mu_kd   = −g_k d log M'_kd / d mu
 *     d nll / d ls_kd   = −g_k d log M'_kd / d log σ · d s / d ls   (mog_log_std)
 * The per-bin derivatives are parked in da on the way and multiplied by −g_k at the end. */
double rnl_mog_nll(const rnl_real *a, const rnl_real *y, int O, int K, const rnl_mog_grid *q,
                   rnl_real *da) {
    const rnl_real *logit = a, *mu = a + K, *ls = a + K + (size_t)K * O;
    const double lse_pi = logsumexp_f(logit, K);
    double comp_max = -INFINITY;
    /* Component log-likelihoods; at most K at once on the stack. */
    double L[RNL_MOG_MAX_MIXTURES];
    for (int k = 0; k < K; k++) {
        double s = (double)logit[k] - lse_pi;
        for (int d = 0; d < O; d++) {
            const size_t j = (size_t)k * O + d;
            const double i = mog_bin(q, y[d]);
            double dsdl;
            const double l = mog_log_std(q, ls[j], &dsdl);
            double dmu, ds;
            double lm = log_bin_mass(q->lo + i * q->step, i == 0, i == q->n - 1, q->step, mu[j], l, &dmu, &ds);
            /* M' = (1 − ε) M + ε/n, in logs: d log M' = w d log M with w = (1 − ε) M / M' */
            const double a1 = log1p(-RNL_MOG_UNIFORM) + lm, a2 = log(RNL_MOG_UNIFORM / q->n);
            const double mx = a1 > a2 ? a1 : a2, lmp = mx + log(exp(a1 - mx) + exp(a2 - mx));
            const double w = exp(a1 - lmp);
            dmu *= w, ds *= w, lm = lmp;
            s += lm;
            if (da) {
                da[K + j] = (rnl_real)dmu;
                da[K + (size_t)K * O + j] = (rnl_real)(ds * dsdl);
            }
        }
        L[k] = s;
        comp_max = s > comp_max ? s : comp_max;
    }
    const double lse = mixture_lse(logit, L, K, O, comp_max, lse_pi, da);
    return -lse + O * log(q->step);
}

/* ---------------------------------------------------------------- the fast twin ------ */
/* rnl_mog_nll_fast: the same NLL and gradient with about a third of the transcendental calls
 * (the reference, above, makes about twelve per entry (k, d); training FSDD at batch 16
 * spent ~45 % of its time in them). What changes, entry by entry:
 *  - once per call, not per entry: the floor f, log(step), log(1 − ε), log(ε/n); once per
 *    value d, not per component: the bin of y_d;
 *  - the narrow case (h(1+m) < 0.1, nearly every entry once sigma is a few steps wide):
 *    log(2h) = log(step) − s; log S as log1p(S − 1); with x = mh < 0.1,
 *        sinh x = x (1 + x²/3! + x⁴/5! + x⁶/7! + x⁸/9!)   (relative error < 3e-18)
 *        cosh x = 1 + x²/2! + x⁴/4! + x⁶/6! + x⁸/8!       (< 3e-17)
 *    and with u = h²/2 < 0.005, e^{−u} = Σ_{j<=5} (−u)^j / j!  (< 2e-17);
 *    the other cases call the reference's log_bin_mass;
 *  - the uniform part: with r = e^{−|a1 − a2|},
 *        log M' = max(a1, a2) + log1p(r),   w = 1/(1 + r) (a1 >= a2) or r/(1 + r)
 *    (one exp and one log1p in place of three exps and a log);
 *  - log1p of a small argument (|x| < 0.01: S − 1 and usually r) by its series.
 * Every step is the reference's formula rearranged, so the two agree to rounding: tested in
 * tests/test_cells.c against the reference on random logits of every scale (NLL to 1e-12
 * relative, gradients to float rounding) and against mpmath (tests/ref/mog_bins.tsv). */

/* log(1 + x) for |x| < 0.01 by its series to x⁹ (relative error below 0.01⁹/10 = 1e-19);
 * libm's log1p otherwise. Both arguments that go through here are mostly tiny: S − 1 ~ h²
 * and the uniform part's ratio r ~ 1e-5. */
static inline double log1p_small(double x) {
    if (!(x < 0.01 && x > -0.01)) return log1p(x);
    /* Horner in fused multiply-adds (one rounding and half the latency per step; -std=c11
     * keeps the compiler from fusing): x (1 − x (1/2 − x (1/3 − … x/9))) */
    double t = 1.0 / 9;
    t = fma(-x, t, 1.0 / 8);
    t = fma(-x, t, 1.0 / 7);
    t = fma(-x, t, 1.0 / 6);
    t = fma(-x, t, 1.0 / 5);
    t = fma(-x, t, 1.0 / 4);
    t = fma(-x, t, 1.0 / 3);
    t = fma(-x, t, 1.0 / 2);
    t = fma(-x, t, 1.0);
    return x * t;
}

/* The narrow-bin mass (see log_bin_mass) given m >= 0 (reflected), h, the sign of the
 * reflection, s and log(step). */
static inline double narrow_bin(double m, double h, double sign, double isig, double s, double log_step,
                                double *dmu, double *ds) {
    const double m2 = m * m, h2 = h * h;
    const double he2 = m2 - 1, he4 = (m2 - 6) * m2 + 3, he6 = ((m2 - 15) * m2 + 45) * m2 - 15;
    const double S1 = h2 * (he2 / 6 + h2 * (he4 / 120 + h2 * he6 / 5040)), S = 1 + S1;
    const double logm = log_step - s - 0.5 * m2 - HALF_LOG_2PI + log1p_small(S1);
    const double x = m * h, x2 = x * x;
    const double sh = x * fma(x2, fma(x2, fma(x2, fma(x2, 1.0 / 362880, 1.0 / 5040), 1.0 / 120), 1.0 / 6), 1);
    const double ch = fma(x2, fma(x2, fma(x2, fma(x2, 1.0 / 40320, 1.0 / 720), 1.0 / 24), 0.5), 1);
    const double u = 0.5 * h2;
    const double eu = fma(-u, fma(-u, fma(-u, fma(-u, fma(-u, 1.0 / 120, 1.0 / 24), 1.0 / 6), 0.5), 1), 1);
    const double w = eu / (h * S);
    *dmu = sign * (w * sh) * isig;
    *ds = w * (m * sh - h * ch);
    return logm;
}

double rnl_mog_nll_fast(const rnl_real *a, const rnl_real *y, int O, int K, const rnl_mog_grid *q,
                        rnl_real *da) {
    enum { OMAX = 64 };
    if (O > OMAX) return rnl_mog_nll(a, y, O, K, q, da);
    const rnl_real *logit = a, *mu = a + K, *ls = a + K + (size_t)K * O;
    const double f = log(RNL_MOG_MIN_STD_STEPS * q->step), log_step = log(q->step);
    const double l1me = log1p(-RNL_MOG_UNIFORM), a2 = log(RNL_MOG_UNIFORM / q->n);
    double c[OMAX];
    int open_lo[OMAX], open_hi[OMAX];
    for (int d = 0; d < O; d++) {
        const double i = mog_bin(q, y[d]);
        c[d] = q->lo + i * q->step;
        open_lo[d] = i == 0;
        open_hi[d] = i == q->n - 1;
    }
    const double lse_pi = logsumexp_f(logit, K);
    double comp_max = -INFINITY;
    double L[RNL_MOG_MAX_MIXTURES];
    for (int k = 0; k < K; k++) {
        double sum = (double)logit[k] - lse_pi;
        for (int d = 0; d < O; d++) {
            const size_t j = (size_t)k * O + d;
            /* the log std with the floor f precomputed (mog_log_std) */
            const double l0 = ls[j];
            double l, dsdl;
            if (l0 > RNL_MOG_MAX_LOG_STD) l = RNL_MOG_MAX_LOG_STD, dsdl = 0;
            else if (l0 >= f) l = l0, dsdl = 1;
            else l = f - log1p(f - l0), dsdl = 1 / (1 + (f - l0));
            double dmu, ds, lm;
            const double isig = exp(-l);
            double m = (c[d] - mu[j]) * isig, sign = 1;
            const double h = 0.5 * q->step * isig;
            if (m < 0) m = -m, sign = -1;
            if (!open_lo[d] && !open_hi[d] && h * (1 + m) < 0.1)
                lm = narrow_bin(m, h, sign, isig, l, log_step, &dmu, &ds);
            else
                lm = log_bin_mass(c[d], open_lo[d], open_hi[d], q->step, mu[j], l, &dmu, &ds);
            /* M' = (1 − ε) M + ε/n in logs, w = (1 − ε) M / M' */
            const double a1 = l1me + lm;
            double lmp, w;
            if (a1 >= a2) {
                const double r = exp(a2 - a1);
                lmp = a1 + log1p_small(r);
                w = 1 / (1 + r);
            } else {
                const double r = exp(a1 - a2);
                lmp = a2 + log1p_small(r);
                w = r / (1 + r);
            }
            sum += lmp;
            if (da) {
                da[K + j] = (rnl_real)(dmu * w);
                da[K + (size_t)K * O + j] = (rnl_real)(ds * w * dsdl);
            }
        }
        L[k] = sum;
        comp_max = sum > comp_max ? sum : comp_max;
    }
    const double lse = mixture_lse(logit, L, K, O, comp_max, lse_pi, da);
    return -lse + O * log_step;
}

/* ---------------------------------------------------------------- descriptor --------- */

static int mog_width(int O, int K) { return K * (1 + 2 * O); }

static double mog_nll(const rnl_real *a, const rnl_real *y, int O, int K, const rnl_model_meta *md,
                      rnl_real *da) {
    const rnl_mog_grid q = rnl_mog_grid16(md->data_mean, md->data_std);
    return rnl_mog_nll_fast(a, y, O, K, &q, da);
}

static void mog_grad(const rnl_real *a, const rnl_real *y, int O, int K, const rnl_model_meta *md,
                     rnl_real scale, rnl_real *da) {
    const int W = mog_width(O, K);
    const rnl_mog_grid q = rnl_mog_grid16(md->data_mean, md->data_std);
    rnl_mog_nll_fast(a, y, O, K, &q, da);
    for (int j = 0; j < W; j++) da[j] *= scale;
}

/* Row by row: the gradient of a row comes with its NLL. */
static void mog_rows(const rnl_real *a, const rnl_real *y, int n, int O, int K, const rnl_model_meta *md,
                     double *nll, rnl_real scale, rnl_real *da) {
    const int W = mog_width(O, K);
    const rnl_mog_grid q = rnl_mog_grid16(md->data_mean, md->data_std);
    for (int b = 0; b < n; b++) {
        rnl_real *d = da ? da + (size_t)b * W : NULL;
        double v = rnl_mog_nll_fast(a + (size_t)b * W, y + (size_t)b * O, O, K, &q, d);
        if (nll) *nll += v;
        if (d)
            for (int j = 0; j < W; j++) d[j] *= scale;
    }
}

/* Draw y [O] from the mixture at temperature T: component k with probability
 * softmax(a[0..K) / T)_k, chosen by one uniform u: the first k whose cumulative weight
 * exceeds u · Σ_k exp(a_k / T − max), else K−1; then for d = 0 .. O−1 one normal n_d,
 * z_d = mu_kd + sqrt(T) sigma_kd n_d, and y_d the centre of z_d's bin (mog_bin: the nearest
 * grid value, the lowest and highest bins taking everything beyond them). The bin of z_d is
 * drawn with probability Φ(b) − Φ(a), the component's mass over it, so y is a draw of the
 * discretised mixture (one uniform, then O normals). The uniform part of weight
 * RNL_MOG_UNIFORM is left out: it guards the NLL against confident misses, and drawing it
 * would only add a click at a random value about once per 10^4 values. T = 1 is the mixture; otherwise
 * the discretisation of its tempered density: the weights raised to 1/T, each Gaussian's
 * variance times T (a Gaussian's density to the power 1/T). */
static void mog_draw(const rnl_real *a, int O, int K, const rnl_model_meta *md, double temperature,
                     rnl_rng *rng, double *y) {
    const rnl_real *mu = a + K, *ls = a + K + (size_t)K * O;
    const rnl_mog_grid q = rnl_mog_grid16(md->data_mean, md->data_std);
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
        double dsdl;
        double l = mog_log_std(&q, ls[(size_t)pick * O + d], &dsdl);
        double z = mu[(size_t)pick * O + d] + exp(l) * st * rnl_rng_normal(rng);
        y[d] = q.lo + mog_bin(&q, z) * q.step;
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
