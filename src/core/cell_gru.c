/* cell_gru.c — the gated recurrent unit, two variants.
 *
 * PAPER (Chung et al. 2014, eqs. 5-8: reset applied BEFORE the recurrent matrix):
 *     z_t  = σ(W_z x_t + U_z h_{t-1} + b_z)
 *     r_t  = σ(W_r x_t + U_r h_{t-1} + b_r)
 *     h~_t = tanh(W_h x_t + U_h (r_t ⊙ h_{t-1}) + b_h)
 *     h_t  = (1 − z_t) ⊙ h_{t-1} + z_t ⊙ h~_t
 *
 * PYTORCH (torch.nn.GRU; Cho et al. 2014's original form, reset AFTER U_h, recurrent
 * candidate bias c_h, z the other way round):
 *     z_t = σ(W_z x_t + U_z h_{t-1} + b_z),  r_t = σ(W_r x_t + U_r h_{t-1} + b_r)
 *     n_t = tanh(W_h x_t + b_h + r_t ⊙ (U_h h_{t-1} + c_h))
 *     h_t = (1 − z_t) ⊙ n_t + z_t ⊙ h_{t-1}
 *
 * Gate columns of A: [z | r | h] (z at 0, r at H, candidate at 2H). */
#include <string.h>
#include "core/cells.h"
#include "core/kernels.h"

/* ---------------------------------------------------------------- forward ------------ */

static void gru_forward(const rnl_layer_p *p, rnl_layer_act *a, int T, int B, const int *nact,
                        rnl_real *tmp) {
    const int H = p->H, G3 = 3 * H;
    for (int t = 0; t < T; t++) {
        const int Bt = nact[t];
        rnl_real *at = a->A + (size_t)t * B * G3;          /* [B, 3H] */
        const rnl_real *hp = a->Hs + (size_t)t * B * H;    /* [B, H] h_{t-1} */
        rnl_real *h = a->Hs + (size_t)(t + 1) * B * H;     /* [B, H] h_t */
        rnl_real *aux = a->aux + (size_t)t * B * H;        /* [B, H] */
        if (p->variant == RNL_VARIANT_PAPER) {
            rnl_gemm_packed(Bt, 2 * H, H, 1, hp, H, p->Pf, H, 0, 0, 1, at, G3);
            for (int b = 0; b < Bt; b++) {
                rnl_real *ab = at + (size_t)b * G3;
                rnl_sigmoid_row(ab, 2 * H);
                for (int j = 0; j < H; j++) aux[(size_t)b * H + j] = ab[H + j] * hp[(size_t)b * H + j];
            }
            rnl_gemm_packed(Bt, H, H, 1, aux, H, p->Pf2, H, 0, 0, 1, at + 2 * H, G3);
            for (int b = 0; b < Bt; b++) {
                rnl_real *ab = at + (size_t)b * G3;
                rnl_tanh_row(ab + 2 * H, H);
                for (int j = 0; j < H; j++) {
                    rnl_real z = ab[j], hc = ab[2 * H + j];
                    h[(size_t)b * H + j] = (1 - z) * hp[(size_t)b * H + j] + z * hc;
                }
            }
        } else {
            /* tmp [Bt, 3H] = h_{t-1} U^T */
            rnl_gemm_packed(Bt, G3, H, 1, hp, H, p->Pf, H, 0, 0, 0, tmp, G3);
            for (int b = 0; b < Bt; b++) {
                rnl_real *ab = at + (size_t)b * G3;
                const rnl_real *rb = tmp + (size_t)b * G3;
                for (int j = 0; j < 2 * H; j++) ab[j] += rb[j];
                rnl_sigmoid_row(ab, 2 * H);
                for (int j = 0; j < H; j++) {
                    rnl_real un = rb[2 * H + j] + p->extra[j];
                    aux[(size_t)b * H + j] = un;
                    ab[2 * H + j] += ab[H + j] * un;
                }
                rnl_tanh_row(ab + 2 * H, H);
                for (int j = 0; j < H; j++) {
                    rnl_real z = ab[j], n = ab[2 * H + j];
                    h[(size_t)b * H + j] = (1 - z) * n + z * hp[(size_t)b * H + j];
                }
            }
        }
        memcpy(h + (size_t)Bt * H, hp + (size_t)Bt * H, sizeof(rnl_real) * (B - Bt) * H);
    }
}

/* ---------------------------------------------------------------- backward ----------- */
/* PAPER, with dh = dh_t + dh_next:
 *     dz = dh (h~ − h_{t-1}),  dh~ = dh z,  da_z = dz z(1−z),  da_h = dh~ (1 − h~²)
 *     d(rh) = da_h U_h,  dr = d(rh) ⊙ h_{t-1},  da_r = dr r(1−r)
 *     dh_{t-1} = dh (1−z) + d(rh) ⊙ r + [da_z da_r] [U_z; U_r]
 *     dU_{z,r} += [da_z da_r]^T h_{t-1},  dU_h += da_h^T (r ⊙ h_{t-1})
 * PYTORCH:
 *     dn = dh (1−z),  dz = dh (h_{t-1} − n),  da_n = dn (1 − n²)
 *     dr = da_n ⊙ un,  d(un) = da_n ⊙ r      (un = U_h h_{t-1} + c_h)
 *     input side dA = [da_z da_r da_n], recurrent side dR = [da_z da_r d(un)]
 *     dh_{t-1} = dh z + dR U,  dU += dR^T h_{t-1},  dc_h += Σ d(un)                        */
/* One row of the first elementwise part of a step backward, per variant (equations above);
 * restrict pointers per gate block so the loops vectorise. dhn is read and rewritten. */
static void paper_row_bw(int H, const rnl_real *restrict z_, const rnl_real *restrict hc_,
                         const rnl_real *restrict hp, const rnl_real *restrict din,
                         rnl_real *restrict dhn, rnl_real *restrict daz, rnl_real *restrict dah) {
    for (int j = 0; j < H; j++) {
        rnl_real dh = din[j] + dhn[j], z = z_[j], hc = hc_[j];
        daz[j] = dh * (hc - hp[j]) * z * (1 - z);
        dah[j] = dh * z * (1 - hc * hc);
        dhn[j] = dh * (1 - z);
    }
}

static void pytorch_row_bw(int H, const rnl_real *restrict z_, const rnl_real *restrict r_,
                           const rnl_real *restrict n_, const rnl_real *restrict hp,
                           const rnl_real *restrict un, const rnl_real *restrict din,
                           rnl_real *restrict dhn, rnl_real *restrict daz, rnl_real *restrict dar,
                           rnl_real *restrict dan_, rnl_real *restrict drz,
                           rnl_real *restrict drr, rnl_real *restrict drn) {
    for (int j = 0; j < H; j++) {
        rnl_real dh = din[j] + dhn[j];
        rnl_real z = z_[j], r = r_[j], n = n_[j];
        rnl_real dan = dh * (1 - z) * (1 - n * n);
        rnl_real dz = dh * (hp[j] - n) * z * (1 - z);
        rnl_real dr = dan * un[j] * r * (1 - r);
        daz[j] = drz[j] = dz;
        dar[j] = drr[j] = dr;
        dan_[j] = dan;
        drn[j] = dan * r;
        dhn[j] = dh * z;
    }
}

static void gru_backward(const rnl_layer_p *p, const rnl_layer_act *a, int T, int B,
                         const int *nact, const rnl_real *dHin, rnl_layer_bw *bw,
                         rnl_layer_g *g) {
    const int H = p->H, G3 = 3 * H;
    rnl_real *dhn = bw->dhn;
    memset(dhn, 0, sizeof(rnl_real) * B * H);
    for (int t = T - 1; t >= 0; t--) {
        const int Bt = nact[t];
        const rnl_real *at = a->A + (size_t)t * B * G3;
        const rnl_real *hp = a->Hs + (size_t)t * B * H;
        const rnl_real *aux = a->aux + (size_t)t * B * H;
        const rnl_real *din = dHin + (size_t)t * B * H;
        rnl_real *da = bw->dA + (size_t)t * B * G3;
        if (p->variant == RNL_VARIANT_PAPER) {
            for (int b = 0; b < Bt; b++) {
                const rnl_real *ab = at + (size_t)b * G3;
                rnl_real *db = da + (size_t)b * G3;
                const size_t k = (size_t)b * H;
                paper_row_bw(H, ab, ab + 2 * H, hp + k, din + k, dhn + k, db, db + 2 * H);
            }
            rnl_gemm_packed(Bt, H, H, 1, da + 2 * H, G3, p->Pb, G3, 2 * H, 0, 0, bw->tmp, H);
            for (int b = 0; b < Bt; b++) {
                const rnl_real *ab = at + (size_t)b * G3;
                rnl_real *db = da + (size_t)b * G3;
                for (int j = 0; j < H; j++) {
                    size_t k = (size_t)b * H + j;
                    rnl_real r = ab[H + j], drh = bw->tmp[k];
                    db[H + j] = drh * hp[k] * r * (1 - r);
                    dhn[k] += drh * r;
                }
            }
            rnl_gemm_packed(Bt, H, 2 * H, 1, da, G3, p->Pb, G3, 0, 0, 1, dhn, H);
        } else {
            rnl_real *dr = bw->dR + (size_t)t * B * G3;
            for (int b = 0; b < Bt; b++) {
                const rnl_real *ab = at + (size_t)b * G3;
                rnl_real *db = da + (size_t)b * G3, *drb = dr + (size_t)b * G3;
                const size_t k = (size_t)b * H;
                pytorch_row_bw(H, ab, ab + H, ab + 2 * H, hp + k, aux + k, din + k, dhn + k, db,
                               db + H, db + 2 * H, drb, drb + H, drb + 2 * H);
            }
            rnl_gemm_packed(Bt, H, G3, 1, dr, G3, p->Pb, G3, 0, 0, 1, dhn, H);
        }
    }
    if (p->variant == RNL_VARIANT_PAPER) {
        rnl_gemm('T', 'N', 2 * H, H, T * B, 1, bw->dA, G3, a->Hs, H, 1, g->U, H);
        rnl_gemm('T', 'N', H, H, T * B, 1, bw->dA + 2 * H, G3, a->aux, H, 1,
                 g->U + (size_t)2 * H * H, H);
    } else {
        rnl_gemm('T', 'N', G3, H, T * B, 1, bw->dR, G3, a->Hs, H, 1, g->U, H);
        for (int t = 0; t < T; t++)
            for (int b = 0; b < nact[t]; b++) {
                const rnl_real *drb = bw->dR + ((size_t)t * B + b) * G3 + 2 * H;
                for (int j = 0; j < H; j++) g->extra[j] += drb[j];
            }
    }
}

/* ---------------------------------------------------------------- descriptor --------- */

static const char *const gru_gates[] = {"_z", "_r", "_h"};
static const char *const gru_pytorch_extra[] = {"c_h"};

/* PAPER: U_h multiplies r ⊙ h_{t-1}, so the forward takes U apart (split_pf).
 * PYTORCH: the recurrent candidate bias c_h, and the recurrent-side gradients in dR. */
const rnl_cell_desc rnl_cell_gru = {
    .name = "gru",
    .title = "GRU",
    .gates = 3,
    .gate = gru_gates,
    .has_c = 0,
    .variant = {[RNL_VARIANT_PAPER] = {0, NULL, 1, 0},
                [RNL_VARIANT_PYTORCH] = {1, gru_pytorch_extra, 0, 1}},
    .forward = gru_forward,
    .backward = gru_backward,
};
