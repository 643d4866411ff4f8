/* lpc.h — the classical baseline for the speech task (internal API): an order-I linear
 * predictor of the next O samples with Gaussian residuals, fitted by least squares on a data
 * set's training split (in the data set's own, standardised units) through its steps/fill
 * interface, so it sees exactly the steps a recurrent model sees.
 *
 * Model, per step with input x [I] and target y [O]:
 *     y = C x~ + r,   x~ = [x; 1] (I+1),   C [O, I+1],   r ~ N(0, Σ)
 * C: O separate least-squares regressions (normal equations X~ᵀX~ C_oᵀ = X~ᵀ y_o solved in
 * double by a Cholesky factorisation). Σ [O, O]: the maximum-likelihood covariance of the
 * training residuals, (1/N) Σ_t r_t r_tᵀ. Two NLLs per step (nats):
 *     full: ½ (O ln 2π + ln det Σ + rᵀ Σ⁻¹ r)          (the baseline reported)
 *     diag: Σ_o ½ (ln 2π + ln Σ_oo + r_o² / Σ_oo)      (independent residuals, for contrast)
 * On the training split the full NLL per step is exactly ½ O (ln 2π + 1) + ½ ln det Σ. */
#ifndef RNL_LPC_H
#define RNL_LPC_H

#include "data/adapter.h"
#include "rnnlab.h"

typedef struct {
    int I, O;       /* inputs (predictor order) and outputs per step */
    double *coef;   /* [O, I+1] row o: weights of y_o on x_0..x_{I-1}, then its bias */
    double *chol;   /* [O, O] lower-triangular L with Σ = L Lᵀ (upper part zero) */
    double *var;    /* [O] residual variances Σ_oo */
    double logdet;  /* ln det Σ */
    double steps;   /* training steps the fit used */
} rnl_lpc;

/* Fit on d's training split. *out is zeroed first; free it with rnl_lpc_free. Needs more
 * training steps than I+1 and linearly independent inputs: RNL_ERR_DATA / RNL_ERR_NUMERIC
 * naming d->path otherwise. */
rnl_status rnl_lpc_fit(const rnl_dataset *d, rnl_lpc *out);
/* NLL summed over every step of a split (nats; full covariance and independent residuals)
 * and the number of steps. d must have the fit's I and O. */
rnl_status rnl_lpc_eval(const rnl_lpc *p, const rnl_dataset *d, int split, double *nll_full,
                        double *nll_diag, double *steps);
/* Free what rnl_lpc_fit allocated and zero the struct; NULL is accepted. */
void rnl_lpc_free(rnl_lpc *p);

#endif
