/* heads.c — output layers: NLL of one step and its gradient w.r.t. the logits. */
#include "kernels.h"

/* Bernoulli, one independent unit per note:
 *     nll = Σ_k softplus(a_k) − y_k a_k,   softplus(a) = max(a,0) + log1p(exp(−|a|))
 *     d nll / d a_k = σ(a_k) − y_k
 * exp only ever sees −|a|, so the value is finite for any finite logit. */
double rnl_bernoulli_nll(const rnl_real *a, const rnl_real *y, int O, rnl_real *da) {
    double nll = 0.0;
    for (int k = 0; k < O; k++) {
        rnl_real ak = a[k];
        rnl_real e = RNL_EXP(-(ak < 0 ? -ak : ak));
        rnl_real sp = (ak > 0 ? ak : 0) + RNL_LOG1P(e);
        nll += (double)sp - (double)y[k] * (double)ak;
        if (da) {
            rnl_real s = ak >= 0 ? 1 / (1 + e) : e / (1 + e);
            da[k] = s - y[k];
        }
    }
    return nll;
}
