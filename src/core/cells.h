/* cells.h — the recurrent units over time for one layer (internal).
 *
 * Division of work with model.c: before a cell's forward, model.c has put the input
 * projections of every step into act->A (A = X·W^T + b, one GEMM for all steps). The cell
 * adds the recurrent terms step by step and applies the gates. After a cell's backward,
 * model.c turns dA into dW, db and the gradient for the layer below (GEMMs over all steps);
 * the cell itself accumulates dU and its extra tensors (peepholes, c_h).
 *
 * Batch layout: time-major, rows of step t are t*B .. t*B+B-1; sequences are sorted longest
 * first so the nact[t] rows active at step t are a prefix. Inactive rows carry their state
 * (h_t = h_{t-1}), so block T of Hs/Cs holds every sequence's final state. */
#ifndef RNL_CELLS_H
#define RNL_CELLS_H

#include "rnnlab.h"

typedef struct {
    int I, H, G;            /* inputs, hidden units, gates */
    rnl_variant variant;
    const rnl_real *W;      /* [G*H, I] input weights, gate blocks stacked */
    const rnl_real *U;      /* [G*H, H] recurrent weights */
    /* The per-step products read U from packed copies (rnl_pack, kernels.h) that model.c
     * makes once per pass (or keeps, rnl_workspace_hold): Pf = U^T [H, G*H] for the forward
     * (GRU paper: Pf = U^T of the z, r blocks [H, 2H] and Pf2 = U_h^T [H, H], as its
     * products take them apart), Pb = U [G*H, H] for the backward, filled before each
     * layer's rnl_*_backward. */
    const rnl_real *Pf, *Pf2, *Pb;
    const rnl_real *b;      /* [G*H] biases */
    const rnl_real *extra;  /* GRU pytorch: c_h [H]; LSTM paper: v_i v_f v_o [3H]; else NULL */
} rnl_layer_p;

typedef struct {
    rnl_real *W, *U, *b, *extra; /* gradients, same shapes as rnl_layer_p */
} rnl_layer_g;

typedef struct {
    rnl_real *A;    /* [T*B, G*H] in: X·W^T + b; out: gate activations */
    rnl_real *Hs;   /* [(T+1)*B, H] block 0 = initial h, block t+1 = h_t */
    rnl_real *Cs;   /* [(T+1)*B, H] LSTM cell state, same layout (else NULL) */
    rnl_real *aux;  /* [T*B, H] GRU paper: r*h_prev; GRU pytorch: U_h h_prev + c_h;
                       LSTM: tanh(c_t); tanh: unused */
} rnl_layer_act;

typedef struct {
    rnl_real *dA;   /* [T*B, G*H] out: d loss / d(gate pre-activations), zero when inactive */
    rnl_real *dR;   /* [T*B, G*H] GRU pytorch only: d loss / d(recurrent pre-activations) */
    rnl_real *dhn;  /* [B, H] scratch: gradient flowing to h_{t-1} */
    rnl_real *dcn;  /* [B, H] scratch: gradient flowing to c_{t-1} (LSTM) */
    rnl_real *tmp;  /* [B, 3H] scratch */
} rnl_layer_bw;

/* Forward over T steps. tmp is [B, 3H] scratch. */
void rnl_tanh_forward(const rnl_layer_p *p, rnl_layer_act *a, int T, int B, const int *nact,
                      rnl_real *tmp);
void rnl_gru_forward(const rnl_layer_p *p, rnl_layer_act *a, int T, int B, const int *nact,
                     rnl_real *tmp);
void rnl_lstm_forward(const rnl_layer_p *p, rnl_layer_act *a, int T, int B, const int *nact,
                      rnl_real *tmp);

/* Backward over T steps, t = T-1 .. 0. dHin [T*B, H] is d loss / d h_t from above (output
 * layer or the next layer); bw->dA (and dR) must be zero on entry. Adds dU and extra into g. */
void rnl_tanh_backward(const rnl_layer_p *p, const rnl_layer_act *a, int T, int B,
                       const int *nact, const rnl_real *dHin, rnl_layer_bw *bw, rnl_layer_g *g);
void rnl_gru_backward(const rnl_layer_p *p, const rnl_layer_act *a, int T, int B,
                      const int *nact, const rnl_real *dHin, rnl_layer_bw *bw, rnl_layer_g *g);
void rnl_lstm_backward(const rnl_layer_p *p, const rnl_layer_act *a, int T, int B,
                       const int *nact, const rnl_real *dHin, rnl_layer_bw *bw, rnl_layer_g *g);

#endif
