/* update.h — one training update of the paper's protocol (internal): weight noise, the
 * gradient, global-norm clipping, RMSProp with momentum. The training loop and `rnnlab bench`
 * both run exactly this. */
#ifndef RNL_UPDATE_H
#define RNL_UPDATE_H

#include "rnnlab.h"

typedef struct {
    rnl_rmsprop opt;          /* learning rate (this epoch's), decay, momentum, eps */
    double clip;              /* global gradient-norm threshold (0 = off) */
    double weight_noise;      /* sigma of the noise on every noisy tensor (W, U), 0 = off */
    double dropout;           /* probability of dropping a unit (rnl_dropout), 0 = off */
    rnl_real *noisy, *grad;   /* [nparams] scratch: the noisy parameters, their gradient */
    rnl_real *ms, *buf;       /* [nparams] RMSProp state: mean square, momentum buffer */
} rnl_update_ctx;

/* One update on a batch, its summed NLL divided by `scale` (its predicted steps, or the
 * constant of --loss-weight frame or sum):
 *     θ̃ = θ + σ·ε on W and U (ε ~ N(0, 1) from rng),   g = ∇_θ̃ [NLL(θ̃; batch) / scale],
 *     with dropout p > 0 the NLL of the pass with dropout masks seeded by one draw of rng
 *     (after the noise's; p = 0 draws nothing),
 *     g ← g · min(1, clip / ‖g‖),   then RMSProp on θ with g.
 * state as for rnl_forward_backward. poison != 0 (a test hook) makes the gradient non-finite.
 * When the gradient is not finite nothing changes and *finite = 0 (the caller counts it);
 * RNL_ERR_NUMERIC when the loss or a parameter is not finite. */
rnl_status rnl_update(rnl_model *m, rnl_workspace *ws, rnl_rng *rng, const rnl_update_ctx *u,
                      const rnl_batch *bt, double scale, rnl_state *state, int poison, int *finite);

#endif
