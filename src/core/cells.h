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
     * layer's backward. */
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

/* ================================================================ descriptors ======= */
/* One descriptor per cell, defined beside its equations in cell_<name>.c; model.c and the
 * checkpoints ask the cell only through it. To add a cell: a value before RNL_CELL_COUNT in
 * rnnlab.h, a file cell_<name>.c defining rnl_cell_<name>, its row in kset.c's CELLS,
 * its name in kset_names.h and the Makefile's KSET_SRC (a cell is kernel-set code), its tests. */

/* Forward over T steps. tmp is [B, 4H] scratch. */
typedef void (*rnl_cell_forward_fn)(const rnl_layer_p *p, rnl_layer_act *a, int T, int B,
                                    const int *nact, rnl_real *tmp);
/* Backward over T steps, t = T-1 .. 0. dHin [T*B, H] is d loss / d h_t from above (output
 * layer or the next layer); bw->dA (and dR when the variant uses it) must be zero on entry.
 * Adds dU and extra into g. */
typedef void (*rnl_cell_backward_fn)(const rnl_layer_p *p, const rnl_layer_act *a, int T,
                                     int B, const int *nact, const rnl_real *dHin,
                                     rnl_layer_bw *bw, rnl_layer_g *g);

/* What differs between the variants of one cell (indexed by rnl_variant). */
typedef struct {
    int nextra;                /* extra [H] tensors after the biases, 0..RNL_CELL_MAX_EXTRA */
    const char *const *extra;  /* [nextra] their names: GRU pytorch "c_h"; LSTM paper "v_i",
                                  "v_f", "v_o" (in the order rnl_layer_p.extra holds them) */
    int split_pf;              /* 1: the forward reads U^T in two packed parts, Pf = U^T of
                                  the first 2 gate blocks [H, 2H] and Pf2 = U^T of the third
                                  [H, H] (GRU paper); 0: Pf = U^T [H, G*H] */
    int uses_dR;               /* 1: the backward writes bw->dR [T*B, G*H] (GRU pytorch) */
} rnl_cell_variant_desc;

#define RNL_CELL_MAX_GATES 4
#define RNL_CELL_MAX_EXTRA 3

typedef struct rnl_cell_desc {
    const char *name;          /* "gru": the command line, checkpoint metadata */
    const char *title;         /* "GRU": tables and figures */
    int gates;                 /* G, 1..RNL_CELL_MAX_GATES: blocks of W, U and b */
    const char *const *gate;   /* [G] suffixes of the tensor names in block order: "_z",
                                  "_r", "_h" (tanh: "") */
    int has_c;                 /* 1: a cell state c besides h (rnl_state.c, act->Cs) */
    rnl_cell_variant_desc variant[RNL_VARIANT_COUNT];
    rnl_cell_forward_fn forward;
    rnl_cell_backward_fn backward;
    /* Workspace: every cell gets A, dA, dR [T*B, G*H], Hs [(T+1)*B, H], aux [T*B, H] and tmp
     * [B, 4H]; Cs [(T+1)*B, H] when has_c; Pf as split_pf says. */
} rnl_cell_desc;

/* Each kernel set's own copies (kset.h; renamed per set by kset_names.h): only the set's
 * table (kset.c) names them, everything else asks rnl_cell_describe. */
extern const rnl_cell_desc rnl_cell_tanh, rnl_cell_gru, rnl_cell_lstm;

/* The descriptor of c; NULL for a value outside the enum (callers turn that into
 * RNL_ERR_INTERNAL, or RNL_ERR_USAGE where the value came from the caller). */
const rnl_cell_desc *rnl_cell_describe(rnl_cell c);
/* The valid names for messages, "tanh, gru or lstm", into out [n] (truncated to fit). */
void rnl_cell_names(char *out, size_t n);

#endif
