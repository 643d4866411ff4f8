/* lpc.c — the linear-prediction baseline of the speech task (see lpc.h). */
#include "data/lpc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define HALF_LOG_2PI 0.91893853320467274178

/* ================================================================ linear algebra ==== */

/* In-place Cholesky factorisation of the symmetric positive definite n x n matrix a
 * (row-major; only the lower triangle is read): a = L Lᵀ with L in the lower triangle, the
 * upper triangle zeroed. Returns 0, or -1 if a pivot is not positive and finite. */
static int cholesky(double *a, int n) {
    for (int j = 0; j < n; j++) {
        double s = a[j * n + j];
        for (int k = 0; k < j; k++) s -= a[j * n + k] * a[j * n + k];
        if (!(s > 0) || !isfinite(s)) return -1;
        const double ljj = sqrt(s);
        a[j * n + j] = ljj;
        for (int i = j + 1; i < n; i++) {
            double t = a[i * n + j];
            for (int k = 0; k < j; k++) t -= a[i * n + k] * a[j * n + k];
            a[i * n + j] = t / ljj;
        }
        for (int k = j + 1; k < n; k++) a[j * n + k] = 0;
    }
    return 0;
}

/* Solve L z = b (forward substitution) in place, L lower-triangular n x n. */
static void solve_lower(const double *L, int n, double *b) {
    for (int i = 0; i < n; i++) {
        double s = b[i];
        for (int k = 0; k < i; k++) s -= L[i * n + k] * b[k];
        b[i] = s / L[i * n + i];
    }
}

/* Solve Lᵀ z = b (back substitution) in place. */
static void solve_upper_t(const double *L, int n, double *b) {
    for (int i = n - 1; i >= 0; i--) {
        double s = b[i];
        for (int k = i + 1; k < n; k++) s -= L[k * n + i] * b[k];
        b[i] = s / L[i * n + i];
    }
}

/* ================================================================ steps of a split = */

/* Buffers for the steps of one sequence, batch of one: x [T, I], y [T, O]. */
typedef struct {
    rnl_real *x, *y;
    int cap; /* steps allocated */
} seqbuf;

/* Fill sb with sequence i of a split; returns its steps, or -1 when out of memory. */
static int seq_load(const rnl_dataset *d, int split, int i, seqbuf *sb) {
    int T = d->steps(d, split, i);
    if (T > sb->cap) {
        rnl_real *x = realloc(sb->x, sizeof *x * (size_t)T * d->input);
        if (x) sb->x = x;
        rnl_real *y = realloc(sb->y, sizeof *y * (size_t)T * d->output);
        if (y) sb->y = y;
        if (!x || !y) return -1;
        sb->cap = T;
    }
    if (T > 0) d->fill(d, split, i, 0, 1, sb->x, sb->y);
    return T;
}

/* r = y - C [x; 1]  (r [O]) */
static void residual(const rnl_lpc *p, const rnl_real *x, const rnl_real *y, double *r) {
    const int I = p->I;
    for (int o = 0; o < p->O; o++) {
        const double *c = p->coef + (size_t)o * (I + 1);
        double s = c[I];
        for (int k = 0; k < I; k++) s += c[k] * x[k];
        r[o] = y[o] - s;
    }
}

/* ================================================================ fit / eval ======== */

void rnl_lpc_free(rnl_lpc *p) {
    if (!p) return;
    free(p->coef);
    free(p->chol);
    free(p->var);
    memset(p, 0, sizeof *p);
}

rnl_status rnl_lpc_fit(const rnl_dataset *d, rnl_lpc *out) {
    memset(out, 0, sizeof *out);
    const int I = d->input, O = d->output, n = I + 1;
    double *A = calloc((size_t)n * n, sizeof *A);   /* [n, n] Σ x~ x~ᵀ (lower triangle) */
    double *Bm = calloc((size_t)n * O, sizeof *Bm); /* [n, O] Σ x~ yᵀ */
    double *xt = malloc(sizeof *xt * (size_t)n), *r = malloc(sizeof *r * (size_t)O), *col = malloc(sizeof *col * n);
    out->coef = malloc(sizeof *out->coef * (size_t)O * n);
    out->chol = calloc((size_t)O * O, sizeof *out->chol);
    out->var = malloc(sizeof *out->var * (size_t)O);
    out->I = I;
    out->O = O;
    seqbuf sb = {0};
    rnl_status st = RNL_OK;
    if (!A || !Bm || !xt || !r || !col || !out->coef || !out->chol || !out->var)
        st = rnl_fail(RNL_ERR_NOMEM, "%s: out of memory for the linear predictor", d->path);
    /* Pass 1: the normal equations. */
    double N = 0;
    for (int i = 0; !st && i < d->nseq[RNL_SPLIT_TRAIN]; i++) {
        int T = seq_load(d, RNL_SPLIT_TRAIN, i, &sb);
        if (T < 0) st = rnl_fail(RNL_ERR_NOMEM, "%s: out of memory for sequence %d", d->path, i);
        for (int t = 0; t < T; t++) {
            const rnl_real *x = sb.x + (size_t)t * I, *y = sb.y + (size_t)t * O;
            for (int k = 0; k < I; k++) xt[k] = x[k];
            xt[I] = 1;
            for (int a = 0; a < n; a++) {
                for (int b = 0; b <= a; b++) A[a * n + b] += xt[a] * xt[b];
                for (int o = 0; o < O; o++) Bm[a * O + o] += xt[a] * y[o];
            }
        }
        N += T > 0 ? T : 0;
    }
    if (!st && N <= n)
        st = rnl_fail(RNL_ERR_DATA, "%s: %.0f training steps are too few to fit %d coefficients per output",
                      d->path, N, n);
    if (!st && cholesky(A, n))
        st = rnl_fail(RNL_ERR_NUMERIC, "%s: the inputs of the linear predictor are linearly dependent", d->path);
    for (int o = 0; !st && o < O; o++) {
        for (int a = 0; a < n; a++) col[a] = Bm[a * O + o];
        solve_lower(A, n, col);
        solve_upper_t(A, n, col);
        memcpy(out->coef + (size_t)o * n, col, sizeof *col * n);
    }
    /* Pass 2: the residual covariance (lower triangle accumulated in chol). */
    double *S = out->chol;
    for (int i = 0; !st && i < d->nseq[RNL_SPLIT_TRAIN]; i++) {
        int T = seq_load(d, RNL_SPLIT_TRAIN, i, &sb);
        if (T < 0) st = rnl_fail(RNL_ERR_NOMEM, "%s: out of memory for sequence %d", d->path, i);
        for (int t = 0; t < T; t++) {
            residual(out, sb.x + (size_t)t * I, sb.y + (size_t)t * O, r);
            for (int a = 0; a < O; a++)
                for (int b = 0; b <= a; b++) S[a * O + b] += r[a] * r[b];
        }
    }
    if (!st) {
        for (int a = 0; a < O; a++)
            for (int b = 0; b <= a; b++) S[a * O + b] /= N;
        for (int o = 0; o < O; o++) out->var[o] = S[o * O + o];
        if (cholesky(S, O))
            st = rnl_fail(RNL_ERR_NUMERIC, "%s: the residual covariance of the linear predictor is singular", d->path);
    }
    if (!st) {
        out->logdet = 0;
        for (int o = 0; o < O; o++) out->logdet += 2 * log(S[o * O + o]);
        out->steps = N;
    }
    free(A);
    free(Bm);
    free(xt);
    free(r);
    free(col);
    free(sb.x);
    free(sb.y);
    if (st) rnl_lpc_free(out);
    return st;
}

rnl_status rnl_lpc_eval(const rnl_lpc *p, const rnl_dataset *d, int split, double *nll_full,
                        double *nll_diag, double *steps) {
    *nll_full = *nll_diag = *steps = 0;
    const int O = p->O;
    if (d->input != p->I || d->output != O)
        return rnl_fail(RNL_ERR_USAGE, "%s: %d inputs and %d outputs per step, the predictor was fitted for %d and %d",
                        d->path, d->input, d->output, p->I, O);
    double *r = malloc(sizeof *r * (size_t)O * 2), *z = r ? r + O : NULL;
    if (!r) return rnl_fail(RNL_ERR_NOMEM, "%s: out of memory", d->path);
    /* Constant parts per step: full ½(O ln 2π + ln det Σ), diag Σ_o ½(ln 2π + ln Σ_oo). */
    double c_full = O * HALF_LOG_2PI + 0.5 * p->logdet, c_diag = O * HALF_LOG_2PI;
    for (int o = 0; o < O; o++) c_diag += 0.5 * log(p->var[o]);
    seqbuf sb = {0};
    rnl_status st = RNL_OK;
    double full = 0, diag = 0, N = 0;
    for (int i = 0; !st && i < d->nseq[split]; i++) {
        int T = seq_load(d, split, i, &sb);
        if (T < 0) st = rnl_fail(RNL_ERR_NOMEM, "%s: out of memory for sequence %d", d->path, i);
        for (int t = 0; t < T; t++) {
            residual(p, sb.x + (size_t)t * p->I, sb.y + (size_t)t * O, r);
            double q = 0, qd = 0;
            for (int o = 0; o < O; o++) qd += r[o] * r[o] / p->var[o];
            memcpy(z, r, sizeof *z * O);
            solve_lower(p->chol, O, z);
            for (int o = 0; o < O; o++) q += z[o] * z[o];
            full += c_full + 0.5 * q;
            diag += c_diag + 0.5 * qd;
        }
        N += T > 0 ? T : 0;
    }
    free(r);
    free(sb.x);
    free(sb.y);
    if (st) return st;
    *nll_full = full;
    *nll_diag = diag;
    *steps = N;
    return RNL_OK;
}
