/* cell_tanh.c — the simple recurrent unit (Chung et al. 2014, eq. 1, with a bias):
 *
 *     h_t = tanh(W x_t + U h_{t-1} + b)
 *
 * Backward:  da_t = (dh_t + dh_next) * (1 - h_t^2);   dh_{t-1} = da_t U;   dU += da_t^T h_{t-1}
 */
#include <string.h>
#include "core/cells.h"
#include "core/kernels.h"

static void tanh_forward(const rnl_layer_p *p, rnl_layer_act *a, int T, int B, const int *nact,
                         rnl_real *tmp) {
    const int H = p->H;
    for (int t = 0; t < T; t++) {
        const int Bt = nact[t];
        rnl_real *at = a->A + (size_t)t * B * H;          /* [B, H] */
        const rnl_real *hp = a->Hs + (size_t)t * B * H;   /* [B, H] h_{t-1} */
        rnl_real *h = a->Hs + (size_t)(t + 1) * B * H;    /* [B, H] h_t */
        rnl_gemm_packed(Bt, H, H, 1, hp, H, p->Pf, H, 0, 0, 1, at, H);
        rnl_tanh_row(at, Bt * H);
        memcpy(h, at, sizeof(rnl_real) * Bt * H);
        memcpy(h + (size_t)Bt * H, hp + (size_t)Bt * H, sizeof(rnl_real) * (B - Bt) * H);
    }
}

static void tanh_backward(const rnl_layer_p *p, const rnl_layer_act *a, int T, int B,
                          const int *nact, const rnl_real *dHin, rnl_layer_bw *bw,
                          rnl_layer_g *g) {
    const int H = p->H;
    memset(bw->dhn, 0, sizeof(rnl_real) * B * H);
    for (int t = T - 1; t >= 0; t--) {
        const int Bt = nact[t];
        const rnl_real *h = a->A + (size_t)t * B * H;
        const rnl_real *din = dHin + (size_t)t * B * H;
        rnl_real *da = bw->dA + (size_t)t * B * H;
        for (size_t k = 0; k < (size_t)Bt * H; k++) {
            rnl_real dh = din[k] + bw->dhn[k];
            da[k] = dh * (1 - h[k] * h[k]);
        }
        rnl_gemm_packed(Bt, H, H, 1, da, H, p->Pb, H, 0, 0, 0, bw->dhn, H);
    }
    rnl_gemm('T', 'N', H, H, T * B, 1, bw->dA, H, a->Hs, H, 1, g->U, H);
}

/* ---------------------------------------------------------------- descriptor --------- */

static const char *const tanh_gates[] = {""};

/* One gate, no extra tensors in either variant (they are the same unit). */
const rnl_cell_desc rnl_cell_tanh = {
    .name = "tanh",
    .title = "tanh",
    .gates = 1,
    .gate = tanh_gates,
    .has_c = 0,
    .variant = {[RNL_VARIANT_PAPER] = {0, NULL, 0, 0}, [RNL_VARIANT_PYTORCH] = {0, NULL, 0, 0}},
    .forward = tanh_forward,
    .backward = tanh_backward,
};
