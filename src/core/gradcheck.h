/* gradcheck.h — finite-difference check of rnl_forward_backward (internal). */
#ifndef RNL_GRADCHECK_H
#define RNL_GRADCHECK_H
#include "rnnlab.h"

typedef struct {
    double max_rel;        /* largest |analytic − numeric| / max(|analytic| + |numeric|, floor) */
    char worst[96];        /* "tensor[index]" where it occurred */
    size_t checked;        /* parameters checked */
    double loss;           /* the loss at the unperturbed parameters */
} rnl_gradcheck_result;

/* Build a random model (parameters N(0, 0.5²)) and a random batch of B sequences with the
 * given lengths (non-increasing; T = len[0]; inputs N(0,1), Bernoulli targets), then compare
 * every parameter's analytic gradient with the central difference (L(θ+eps) − L(θ−eps))/2eps
 * of loss = nll_sum / frames. Also checks that the loss does not depend on padded inputs.
 * drop (NULL = none): every pass drops with these masks (the same seed: the masks held
 * fixed, so the loss is a smooth function of the parameters). */
rnl_status rnl_gradcheck(const rnl_config *cfg, int B, const int *len, uint64_t seed, double eps,
                         double floor, const rnl_dropout *drop, rnl_gradcheck_result *res);

#endif
