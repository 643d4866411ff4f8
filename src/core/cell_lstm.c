/* cell_lstm.c — long short-term memory (Graves 2013, as in Chung et al. 2014 eqs. 2-4),
 * with diagonal peepholes in the PAPER variant; PYTORCH (torch.nn.LSTM) has none.
 *
 *     i_t  = σ(W_i x_t + U_i h_{t-1} + v_i ⊙ c_{t-1} + b_i)   input gate sees c_{t-1}
 *     f_t  = σ(W_f x_t + U_f h_{t-1} + v_f ⊙ c_{t-1} + b_f)   forget gate sees c_{t-1}
 *     c~_t = tanh(W_c x_t + U_c h_{t-1} + b_c)
 *     c_t  = f_t ⊙ c_{t-1} + i_t ⊙ c~_t
 *     o_t  = σ(W_o x_t + U_o h_{t-1} + v_o ⊙ c_t + b_o)       output gate sees c_t
 *     h_t  = o_t ⊙ tanh(c_t)
 *
 * Gate columns of A: [i | f | c~ | o]. Backward, with dh = dh_t + dh_next, dc_next from t+1:
 *     da_o = dh tanh(c) o(1−o)
 *     dc   = dc_next + dh o (1 − tanh²c) + da_o v_o
 *     da_i = dc c~ i(1−i),  da_f = dc c_{t-1} f(1−f),  da_c = dc i (1 − c~²)
 *     dc_{t-1} = dc f + da_i v_i + da_f v_f,   dh_{t-1} = dA U
 *     dv_i += da_i c_{t-1},  dv_f += da_f c_{t-1},  dv_o += da_o c_t,  dU += dA^T h_{t-1} */
#include <string.h>
#include "core/cells.h"
#include "core/kernels.h"

/* One row (sequence) of one step: the gate pre-activations in ai..ao become the gate values,
 * c and tanh(c) and h are written. The gate functions run over whole rows (rnl_sigmoid_row,
 * rnl_tanh_row), the rest in loops the compiler vectorises (restrict pointers per gate); the
 * PyTorch variant passes zero peepholes (adding 0 is exact). */
static void lstm_row(int H, rnl_real *restrict ai, rnl_real *restrict af, rnl_real *restrict ac,
                     rnl_real *restrict ao, const rnl_real *restrict cp, rnl_real *restrict c,
                     rnl_real *restrict tc, rnl_real *restrict h, const rnl_real *restrict vi,
                     const rnl_real *restrict vf, const rnl_real *restrict vo) {
    for (int j = 0; j < H; j++) {
        ai[j] += vi[j] * cp[j];
        af[j] += vf[j] * cp[j];
    }
    rnl_sigmoid_row(ai, 2 * H); /* i and f are adjacent: [i | f] */
    rnl_tanh_row(ac, H);
    for (int j = 0; j < H; j++) {
        c[j] = af[j] * cp[j] + ai[j] * ac[j];
        ao[j] += vo[j] * c[j];
        tc[j] = c[j];
    }
    rnl_sigmoid_row(ao, H);
    rnl_tanh_row(tc, H);
    for (int j = 0; j < H; j++) h[j] = ao[j] * tc[j];
}

static void lstm_forward(const rnl_layer_p *p, rnl_layer_act *a, int T, int B, const int *nact,
                         rnl_real *tmp) {
    const int H = p->H, G4 = 4 * H;
    /* tmp [B, 4H] is free here: its first 3H values serve as zero peepholes. */
    if (!p->extra) memset(tmp, 0, sizeof(rnl_real) * 3 * H);
    const rnl_real *v = p->extra ? p->extra : tmp;
    for (int t = 0; t < T; t++) {
        const int Bt = nact[t];
        rnl_real *at = a->A + (size_t)t * B * G4;          /* [B, 4H] */
        const rnl_real *hp = a->Hs + (size_t)t * B * H;    /* [B, H] */
        const rnl_real *cp = a->Cs + (size_t)t * B * H;
        rnl_real *h = a->Hs + (size_t)(t + 1) * B * H;
        rnl_real *c = a->Cs + (size_t)(t + 1) * B * H;
        rnl_real *tc = a->aux + (size_t)t * B * H;
        rnl_gemm_packed(Bt, G4, H, 1, hp, H, p->Pf, H, 0, 0, 1, at, G4);
        for (int b = 0; b < Bt; b++) {
            rnl_real *ab = at + (size_t)b * G4;
            size_t k = (size_t)b * H;
            lstm_row(H, ab, ab + H, ab + 2 * H, ab + 3 * H, cp + k, c + k, tc + k, h + k, v, v + H,
                     v + 2 * H);
        }
        memcpy(h + (size_t)Bt * H, hp + (size_t)Bt * H, sizeof(rnl_real) * (B - Bt) * H);
        memcpy(c + (size_t)Bt * H, cp + (size_t)Bt * H, sizeof(rnl_real) * (B - Bt) * H);
    }
}

/* One row of one step backward (equations above); peep is a constant at both call sites, so
 * the compiler makes a loop with and one without the peephole terms, both vectorised. */
static inline __attribute__((always_inline)) void
lstm_row_bw(int H, const rnl_real *restrict ig_, const rnl_real *restrict fg_,
            const rnl_real *restrict cc_, const rnl_real *restrict og_,
            const rnl_real *restrict cp, const rnl_real *restrict c, const rnl_real *restrict tc,
            const rnl_real *restrict din, const rnl_real *restrict dhn, rnl_real *restrict dcn,
            rnl_real *restrict dai_, rnl_real *restrict daf_, rnl_real *restrict dac_,
            rnl_real *restrict dao_, const rnl_real *restrict vi, const rnl_real *restrict vf,
            const rnl_real *restrict vo, rnl_real *restrict gvi, rnl_real *restrict gvf,
            rnl_real *restrict gvo, const int peep) {
    for (int j = 0; j < H; j++) {
        rnl_real dh = din[j] + dhn[j];
        rnl_real ig = ig_[j], fg = fg_[j], cc = cc_[j], og = og_[j];
        rnl_real dao = dh * tc[j] * og * (1 - og);
        rnl_real dc = dcn[j] + dh * og * (1 - tc[j] * tc[j]);
        if (peep) dc += dao * vo[j];
        rnl_real dai = dc * cc * ig * (1 - ig);
        rnl_real daf = dc * cp[j] * fg * (1 - fg);
        rnl_real dac = dc * ig * (1 - cc * cc);
        rnl_real dcp = dc * fg;
        if (peep) {
            dcp += dai * vi[j] + daf * vf[j];
            gvi[j] += dai * cp[j];
            gvf[j] += daf * cp[j];
            gvo[j] += dao * c[j];
        }
        dcn[j] = dcp;
        dai_[j] = dai;
        daf_[j] = daf;
        dac_[j] = dac;
        dao_[j] = dao;
    }
}

static void lstm_backward(const rnl_layer_p *p, const rnl_layer_act *a, int T, int B,
                          const int *nact, const rnl_real *dHin, rnl_layer_bw *bw,
                          rnl_layer_g *g) {
    const int H = p->H, G4 = 4 * H;
    const rnl_real *vi = p->extra, *vf = p->extra ? p->extra + H : NULL,
                   *vo = p->extra ? p->extra + 2 * H : NULL;
    rnl_real *gvi = g->extra, *gvf = g->extra ? g->extra + H : NULL,
             *gvo = g->extra ? g->extra + 2 * H : NULL;
    rnl_real *dhn = bw->dhn, *dcn = bw->dcn;
    memset(dhn, 0, sizeof(rnl_real) * B * H);
    memset(dcn, 0, sizeof(rnl_real) * B * H);
    for (int t = T - 1; t >= 0; t--) {
        const int Bt = nact[t];
        const rnl_real *at = a->A + (size_t)t * B * G4;
        const rnl_real *cp = a->Cs + (size_t)t * B * H;
        const rnl_real *c = a->Cs + (size_t)(t + 1) * B * H;
        const rnl_real *tc = a->aux + (size_t)t * B * H;
        const rnl_real *din = dHin + (size_t)t * B * H;
        rnl_real *da = bw->dA + (size_t)t * B * G4;
        for (int b = 0; b < Bt; b++) {
            const rnl_real *ab = at + (size_t)b * G4;
            rnl_real *db = da + (size_t)b * G4;
            const size_t k = (size_t)b * H;
            if (vi)
                lstm_row_bw(H, ab, ab + H, ab + 2 * H, ab + 3 * H, cp + k, c + k, tc + k, din + k,
                            dhn + k, dcn + k, db, db + H, db + 2 * H, db + 3 * H, vi, vf, vo, gvi,
                            gvf, gvo, 1);
            else
                lstm_row_bw(H, ab, ab + H, ab + 2 * H, ab + 3 * H, cp + k, c + k, tc + k, din + k,
                            dhn + k, dcn + k, db, db + H, db + 2 * H, db + 3 * H, NULL, NULL, NULL,
                            NULL, NULL, NULL, 0);
        }
        rnl_gemm_packed(Bt, H, G4, 1, da, G4, p->Pb, G4, 0, 0, 0, dhn, H);
    }
    rnl_gemm('T', 'N', G4, H, T * B, 1, bw->dA, G4, a->Hs, H, 1, g->U, H);
}

/* ---------------------------------------------------------------- descriptor --------- */

static const char *const lstm_gates[] = {"_i", "_f", "_c", "_o"};
static const char *const lstm_paper_extra[] = {"v_i", "v_f", "v_o"};

/* PAPER: the diagonal peepholes v_i, v_f, v_o; PYTORCH: none. */
const rnl_cell_desc rnl_cell_lstm = {
    .name = "lstm",
    .title = "LSTM",
    .gates = 4,
    .gate = lstm_gates,
    .has_c = 1,
    .variant = {[RNL_VARIANT_PAPER] = {3, lstm_paper_extra, 0, 0},
                [RNL_VARIANT_PYTORCH] = {0, NULL, 0, 0}},
    .forward = lstm_forward,
    .backward = lstm_backward,
};
