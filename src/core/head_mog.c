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
 *  - log1p of a small argument (|x| < 0.01: S − 1 and usually r) by its series;
 *  - the far tail, where the uniform part swamps the Gaussian's: for an inner bin wholly on
 *    one side of the mean (a = m − h > 0) the mass is at most its width times the density at
 *    its nearer edge, M <= 2h φ(a), so with
 *        B = log(1 − ε) + log(step) − s − a²/2 − log √(2π)  >=  log((1 − ε) M)
 *    B < log(ε/n) − 43 means r = (1 − ε) M n/ε < e^−43 < 2^−62: log M' = log(ε/n) + log1p(r)
 *    rounds to log(ε/n) exactly in double (|log(ε/n)| ≈ 20, half an ulp ≈ 1.8e-15), and the
 *    derivatives, w · d log M/dμ with w = r/(1 + r) < 2^−62, are below 1e-15 σ⁻¹ (a + 1):
 *    returned as log(ε/n) and 0, 0 without the bin mass (its erfcx, log and expm1 were three
 *    quarters of a trained speech model's time: docs/PERFORMANCE.md). The reference computes
 *    them in full; the tests compare the two;
 *  - on AVX-512 (F and VL; float builds, K·O <= 1024) the entries 8 at a time in double vectors
 *    (entries8: vexp and vlog1p01 below, the same series), the entries outside the narrow
 *    case or the floor (a mask) handed back to the scalar entry_fast.
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

/* The constants of one call. */
typedef struct {
    double step, f, log_step, l1me, a2; /* grid step, floor, log step, log(1 − ε), log(ε/n) */
} mog_consts;

/* The far-tail cut-off (see rnl_mog_nll_fast): B < log(ε/n) − MOG_TAIL_CUT. */
#define MOG_TAIL_CUT 43.0

/* One entry (k, d) of the fast twin: returns log M'_kd; *gmu = d log M' / d mu and
 * *gls = d log M' / d ls (the raw log-std), before the factor −g_k. */
static inline double entry_fast(const mog_consts *z, double c, int open_lo, int open_hi, double mu, double l0,
                                double *gmu, double *gls) {
    double l, dsdl; /* the log std with the floor precomputed (mog_log_std) */
    if (l0 > RNL_MOG_MAX_LOG_STD) l = RNL_MOG_MAX_LOG_STD, dsdl = 0;
    else if (l0 >= z->f) l = l0, dsdl = 1;
    else l = z->f - log1p(z->f - l0), dsdl = 1 / (1 + (z->f - l0));
    double dmu, ds, lm;
    const double isig = exp(-l);
    double m = (c - mu) * isig, sign = 1;
    const double h = 0.5 * z->step * isig;
    if (m < 0) m = -m, sign = -1;
    if (!open_lo && !open_hi && h * (1 + m) < 0.1)
        lm = narrow_bin(m, h, sign, isig, l, z->log_step, &dmu, &ds);
    else if (!open_lo && !open_hi && dsdl == 1 && m > h &&
             z->l1me + z->log_step - l - 0.5 * (m - h) * (m - h) - HALF_LOG_2PI < z->a2 - MOG_TAIL_CUT) {
        *gmu = *gls = 0;
        return z->a2; /* the far tail: the uniform part alone, to rounding */
    } else
        lm = log_bin_mass(c, open_lo, open_hi, z->step, mu, l, &dmu, &ds);
    /* M' = (1 − ε) M + ε/n in logs, w = (1 − ε) M / M' */
    const double a1 = z->l1me + lm;
    double lmp, w;
    if (a1 >= z->a2) {
        const double r = exp(z->a2 - a1);
        lmp = a1 + log1p_small(r);
        w = 1 / (1 + r);
    } else {
        const double r = exp(a1 - z->a2);
        lmp = z->a2 + log1p_small(r);
        w = r / (1 + r);
    }
    *gmu = dmu * w;
    *gls = ds * w * dsdl;
    return lmp;
}

#if defined(__AVX512F__) && defined(__AVX512VL__) && !defined(RNL_DOUBLE)
#include <immintrin.h>
#define MOG_VECTOR 1
#define MOG_VEC_MAX 1024 /* K·O up to this go through the vector pass (its buffers on the stack) */

/* e^x for 8 doubles: x = k ln2 + r (Cody-Waite, |r| <= ln2/2), e^r by its Taylor polynomial
 * to r^13 (truncation < 5e-18 relative), times 2^k by scalef (which also underflows to 0 and
 * overflows to +inf correctly); x clamped to [−746, 710]. */
static inline __m512d vexp(__m512d x) {
    x = _mm512_min_pd(_mm512_max_pd(x, _mm512_set1_pd(-746.0)), _mm512_set1_pd(710.0));
    const __m512d k = _mm512_roundscale_pd(_mm512_mul_pd(x, _mm512_set1_pd(1.4426950408889634074)),
                                           _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512d r = _mm512_fnmadd_pd(k, _mm512_set1_pd(6.93147180369123816490e-01), x);
    r = _mm512_fnmadd_pd(k, _mm512_set1_pd(1.90821492927058770002e-10), r);
    static const double inv_fact[14] = {1.0, 1.0, 1.0 / 2, 1.0 / 6, 1.0 / 24, 1.0 / 120, 1.0 / 720, 1.0 / 5040,
                                        1.0 / 40320, 1.0 / 362880, 1.0 / 3628800, 1.0 / 39916800,
                                        1.0 / 479001600, 1.0 / 6227020800};
    __m512d p = _mm512_set1_pd(inv_fact[13]);
    for (int i = 12; i >= 0; i--) p = _mm512_fmadd_pd(p, r, _mm512_set1_pd(inv_fact[i]));
    return _mm512_scalef_pd(p, k);
}

/* log1p(r) for 8 doubles r in [0, 1]: below 0.01 the series of log1p_small; above,
 * u = 1 + r reduced to [√½, √2] by a factor 2^e, log u' = 2 atanh(t), t = (u'−1)/(u'+1),
 * |t| <= 0.1716, by its series to t^21 (truncation < 3e-19), and the rounding of 1 + r
 * corrected as log1p(r) = log(u) · r / (u − 1) (u − 1 is exact). */
static inline __m512d vlog1p01(__m512d r) {
    __m512d t = _mm512_set1_pd(1.0 / 9);
    const __m512d nr = _mm512_sub_pd(_mm512_setzero_pd(), r);
    for (int i = 8; i >= 1; i--) t = _mm512_fmadd_pd(nr, t, _mm512_set1_pd(1.0 / i));
    const __m512d small = _mm512_mul_pd(r, t);
    const __m512d u = _mm512_add_pd(_mm512_set1_pd(1.0), r);
    const __mmask8 big = _mm512_cmp_pd_mask(u, _mm512_set1_pd(1.41421356237309504880), _CMP_GT_OQ);
    const __m512d e = _mm512_mask_blend_pd(big, _mm512_setzero_pd(), _mm512_set1_pd(1.0));
    const __m512d u2 = _mm512_mask_blend_pd(big, u, _mm512_mul_pd(u, _mm512_set1_pd(0.5)));
    const __m512d tt = _mm512_div_pd(_mm512_sub_pd(u2, _mm512_set1_pd(1.0)), _mm512_add_pd(u2, _mm512_set1_pd(1.0)));
    const __m512d t2 = _mm512_mul_pd(tt, tt);
    __m512d s = _mm512_set1_pd(1.0 / 21);
    for (int i = 19; i >= 1; i -= 2) s = _mm512_fmadd_pd(s, t2, _mm512_set1_pd(1.0 / i));
    const __m512d logu = _mm512_fmadd_pd(e, _mm512_set1_pd(0.69314718055994530942),
                                         _mm512_mul_pd(_mm512_mul_pd(_mm512_set1_pd(2.0), tt), s));
    const __m512d um1 = _mm512_sub_pd(u, _mm512_set1_pd(1.0));
    const __mmask8 exact = _mm512_cmp_pd_mask(um1, _mm512_setzero_pd(), _CMP_NEQ_OQ);
    const __m512d big_res = _mm512_mask_blend_pd(exact, r, _mm512_mul_pd(logu, _mm512_div_pd(r, um1)));
    const __mmask8 tiny = _mm512_cmp_pd_mask(r, _mm512_set1_pd(0.01), _CMP_LT_OQ);
    return _mm512_mask_blend_pd(tiny, big_res, small);
}

/* The entries j0 .. j0+n−1 (n <= 8) by entry_fast's formulas, 8 at a time, where the entry
 * is an inner bin within the narrow case and its log std between the floor and the ceiling
 * (nearly all); the others (*slow lanes) go through entry_fast itself. cj, opn: the bin
 * centre of each entry's value and whether that bin is an outer one. */
static void entries8(const mog_consts *z, const double *cj, const unsigned char *opn, const rnl_real *mu,
                     const rnl_real *ls, int j0, int n, double *lmp, double *gmu, double *gls) {
    const __mmask8 live = (__mmask8)((1u << n) - 1u);
    const __m512d one = _mm512_set1_pd(1.0);
    const __m512d vmu = _mm512_cvtps_pd(_mm256_maskz_loadu_ps(live, mu + j0));
    const __m512d l = _mm512_cvtps_pd(_mm256_maskz_loadu_ps(live, ls + j0));
    const __m512d c = _mm512_maskz_loadu_pd(live, cj + j0);
    const __m512d isig = vexp(_mm512_sub_pd(_mm512_setzero_pd(), l));
    const __m512d dm = _mm512_mul_pd(_mm512_sub_pd(c, vmu), isig);
    const __mmask8 neg = _mm512_cmp_pd_mask(dm, _mm512_setzero_pd(), _CMP_LT_OQ);
    const __m512d m = _mm512_abs_pd(dm);
    const __m512d sign = _mm512_mask_blend_pd(neg, one, _mm512_set1_pd(-1.0));
    const __m512d h = _mm512_mul_pd(_mm512_set1_pd(0.5 * z->step), isig);
    /* inner: an inner bin with l in [f, max] (no floor or ceiling to apply) */
    __mmask8 inner = live & _mm512_cmp_pd_mask(l, _mm512_set1_pd(z->f), _CMP_GE_OQ);
    inner &= _mm512_cmp_pd_mask(l, _mm512_set1_pd(RNL_MOG_MAX_LOG_STD), _CMP_LE_OQ);
    for (int i = 0; i < n; i++)
        if (opn[j0 + i]) inner &= (__mmask8) ~(1u << i);
    __mmask8 fast = inner & _mm512_cmp_pd_mask(_mm512_mul_pd(h, _mm512_add_pd(one, m)), _mm512_set1_pd(0.1), _CMP_LT_OQ);
    /* narrow_bin */
    const __m512d m2 = _mm512_mul_pd(m, m), h2 = _mm512_mul_pd(h, h);
    const __m512d he2 = _mm512_sub_pd(m2, one);
    const __m512d he4 = _mm512_fmadd_pd(_mm512_sub_pd(m2, _mm512_set1_pd(6.0)), m2, _mm512_set1_pd(3.0));
    const __m512d he6 = _mm512_fmadd_pd(
        _mm512_fmadd_pd(_mm512_sub_pd(m2, _mm512_set1_pd(15.0)), m2, _mm512_set1_pd(45.0)), m2, _mm512_set1_pd(-15.0));
    __m512d S1 = _mm512_mul_pd(he6, _mm512_set1_pd(1.0 / 5040));
    S1 = _mm512_fmadd_pd(h2, S1, _mm512_mul_pd(he4, _mm512_set1_pd(1.0 / 120)));
    S1 = _mm512_fmadd_pd(h2, S1, _mm512_mul_pd(he2, _mm512_set1_pd(1.0 / 6)));
    S1 = _mm512_mul_pd(h2, S1);
    const __m512d S = _mm512_add_pd(one, S1);
    /* log1p(S1), |S1| < 0.002: the series (S1 may be negative) */
    __m512d t = _mm512_set1_pd(1.0 / 9);
    const __m512d nS1 = _mm512_sub_pd(_mm512_setzero_pd(), S1);
    for (int i = 8; i >= 1; i--) t = _mm512_fmadd_pd(nS1, t, _mm512_set1_pd(1.0 / i));
    __m512d logm = _mm512_sub_pd(_mm512_set1_pd(z->log_step - HALF_LOG_2PI), l);
    logm = _mm512_fnmadd_pd(_mm512_set1_pd(0.5), m2, logm);
    logm = _mm512_fmadd_pd(S1, t, logm);
    const __m512d x = _mm512_mul_pd(m, h), x2 = _mm512_mul_pd(x, x);
    __m512d sh = _mm512_fmadd_pd(x2, _mm512_set1_pd(1.0 / 362880), _mm512_set1_pd(1.0 / 5040));
    sh = _mm512_fmadd_pd(x2, sh, _mm512_set1_pd(1.0 / 120));
    sh = _mm512_fmadd_pd(x2, sh, _mm512_set1_pd(1.0 / 6));
    sh = _mm512_mul_pd(x, _mm512_fmadd_pd(x2, sh, one));
    __m512d ch = _mm512_fmadd_pd(x2, _mm512_set1_pd(1.0 / 40320), _mm512_set1_pd(1.0 / 720));
    ch = _mm512_fmadd_pd(x2, ch, _mm512_set1_pd(1.0 / 24));
    ch = _mm512_fmadd_pd(x2, ch, _mm512_set1_pd(0.5));
    ch = _mm512_fmadd_pd(x2, ch, one);
    const __m512d nu = _mm512_mul_pd(_mm512_set1_pd(-0.5), h2);
    __m512d eu = _mm512_fmadd_pd(nu, _mm512_set1_pd(1.0 / 120), _mm512_set1_pd(1.0 / 24));
    eu = _mm512_fmadd_pd(nu, eu, _mm512_set1_pd(1.0 / 6));
    eu = _mm512_fmadd_pd(nu, eu, _mm512_set1_pd(0.5));
    eu = _mm512_fmadd_pd(nu, eu, one);
    eu = _mm512_fmadd_pd(nu, eu, one);
    const __m512d w0 = _mm512_div_pd(eu, _mm512_mul_pd(h, S));
    const __m512d dmu = _mm512_mul_pd(_mm512_mul_pd(sign, _mm512_mul_pd(w0, sh)), isig);
    const __m512d ds = _mm512_mul_pd(w0, _mm512_fmsub_pd(m, sh, _mm512_mul_pd(h, ch)));
    /* the uniform part */
    const __m512d a1 = _mm512_add_pd(_mm512_set1_pd(z->l1me), logm), a2 = _mm512_set1_pd(z->a2);
    const __mmask8 hi1 = _mm512_cmp_pd_mask(a1, a2, _CMP_GE_OQ);
    const __m512d r = vexp(_mm512_sub_pd(_mm512_setzero_pd(), _mm512_abs_pd(_mm512_sub_pd(a1, a2))));
    const __m512d lp = _mm512_add_pd(_mm512_max_pd(a1, a2), vlog1p01(r));
    const __m512d inv = _mm512_div_pd(one, _mm512_add_pd(one, r));
    const __m512d w = _mm512_mask_blend_pd(hi1, _mm512_mul_pd(r, inv), inv);
    _mm512_mask_storeu_pd(lmp + j0, live, lp);
    _mm512_mask_storeu_pd(gmu + j0, live, _mm512_mul_pd(dmu, w));
    _mm512_mask_storeu_pd(gls + j0, live, _mm512_mul_pd(ds, w));
    /* the far tail (entry_fast's test, for the lanes with l in [f, max] and an inner bin) */
    const __m512d am = _mm512_sub_pd(m, h);
    __m512d bnd = _mm512_sub_pd(_mm512_set1_pd(z->l1me + z->log_step - HALF_LOG_2PI), l);
    bnd = _mm512_fnmadd_pd(_mm512_mul_pd(_mm512_set1_pd(0.5), am), am, bnd);
    __mmask8 tail = inner & ~fast & _mm512_cmp_pd_mask(am, _mm512_setzero_pd(), _CMP_GT_OQ);
    tail &= _mm512_cmp_pd_mask(bnd, _mm512_set1_pd(z->a2 - MOG_TAIL_CUT), _CMP_LT_OQ);
    _mm512_mask_storeu_pd(lmp + j0, tail, a2);
    _mm512_mask_storeu_pd(gmu + j0, tail, _mm512_setzero_pd());
    _mm512_mask_storeu_pd(gls + j0, tail, _mm512_setzero_pd());
    fast |= tail;
    for (int i = 0; i < n; i++)
        if (!((fast >> i) & 1u)) {
            const int j = j0 + i;
            lmp[j] = entry_fast(z, cj[j], opn[j] & 1, opn[j] >> 1 & 1, mu[j], ls[j], &gmu[j], &gls[j]);
        }
}
#endif

double rnl_mog_nll_fast(const rnl_real *a, const rnl_real *y, int O, int K, const rnl_mog_grid *q,
                        rnl_real *da) {
    enum { OMAX = 64 };
    if (O > OMAX) return rnl_mog_nll(a, y, O, K, q, da);
    const rnl_real *logit = a, *mu = a + K, *ls = a + K + (size_t)K * O;
    const mog_consts z = {q->step, log(RNL_MOG_MIN_STD_STEPS * q->step), log(q->step), log1p(-RNL_MOG_UNIFORM),
                          log(RNL_MOG_UNIFORM / q->n)};
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
#ifdef MOG_VECTOR
    if ((size_t)K * O <= MOG_VEC_MAX) {
        /* every entry's log M' and derivative factors first, 8 at a time; then the sums */
        const int n = K * O;
        double cj[MOG_VEC_MAX], lmp[MOG_VEC_MAX], gmu[MOG_VEC_MAX], gls[MOG_VEC_MAX];
        unsigned char opn[MOG_VEC_MAX];
        for (int j = 0; j < n; j++) {
            cj[j] = c[j % O];
            opn[j] = (unsigned char)(open_lo[j % O] | open_hi[j % O] << 1);
        }
        for (int j0 = 0; j0 < n; j0 += 8) entries8(&z, cj, opn, mu, ls, j0, n - j0 < 8 ? n - j0 : 8, lmp, gmu, gls);
        for (int k = 0; k < K; k++) {
            double sum = (double)logit[k] - lse_pi;
            for (int d = 0; d < O; d++) sum += lmp[k * O + d];
            L[k] = sum;
            comp_max = sum > comp_max ? sum : comp_max;
        }
        if (da)
            for (int j = 0; j < n; j++) {
                da[K + j] = (rnl_real)gmu[j];
                da[K + (size_t)K * O + j] = (rnl_real)gls[j];
            }
        const double lse = mixture_lse(logit, L, K, O, comp_max, lse_pi, da);
        return -lse + O * z.log_step;
    }
#endif
    for (int k = 0; k < K; k++) {
        double sum = (double)logit[k] - lse_pi;
        for (int d = 0; d < O; d++) {
            const size_t j = (size_t)k * O + d;
            double gm, gl;
            sum += entry_fast(&z, c[d], open_lo[d], open_hi[d], mu[j], ls[j], &gm, &gl);
            if (da) {
                da[K + j] = (rnl_real)gm;
                da[K + (size_t)K * O + j] = (rnl_real)gl;
            }
        }
        L[k] = sum;
        comp_max = sum > comp_max ? sum : comp_max;
    }
    const double lse = mixture_lse(logit, L, K, O, comp_max, lse_pi, da);
    return -lse + O * z.log_step;
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
    rnl_head_grad_by_nll(&rnl_head_mog, a, y, O, K, md, scale, da);
}

/* Row by row: the gradient of a row comes with its NLL. */
static void mog_rows(const rnl_real *a, const rnl_real *y, int n, int O, int K, const rnl_model_meta *md,
                     double *nll, rnl_real scale, rnl_real *da) {
    rnl_head_rows_by_nll(&rnl_head_mog, a, y, n, O, K, md, nll, scale, da);
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
    const int pick = rnl_mixture_pick(a, K, temperature, rng);
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
