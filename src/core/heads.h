/* heads.h — the output distributions over one step's targets (internal).
 *
 * A head turns the output layer's logits a [width] of one step into the NLL of that step's
 * targets y [O], its gradient d nll / d a, and draws of y for sampling. One descriptor per
 * head, defined beside its equations in head_<name>.c; model.c, the configuration check and
 * the samplers ask the head only through it. To add a head: a value before RNL_HEAD_COUNT in
 * rnnlab.h, a file head_<name>.c defining rnl_head_<name>, its row in kset.c's HEADS,
 * its name in kset_names.h and the Makefile's KSET_SRC (a head is kernel-set code), its tests.
 *
 * Shapes: O targets per step, K mixture components (0 for heads without mixtures), width =
 * the descriptor's width(O, K) logits per step; "rows" are the n valid sequences of one step
 * (time-major batch): logits [n, width], targets [n, O], both contiguous. */
#ifndef RNL_HEADS_H
#define RNL_HEADS_H

#include "rnnlab.h"

/* K <= this for the MoG head: its NLL keeps the K component log-likelihoods on the stack. */
#define RNL_MOG_MAX_MIXTURES 1024

typedef struct rnl_head_desc {
    const char *name;          /* "bernoulli": checkpoint metadata, data sets */
    const char *title;         /* "Bernoulli": messages and tables */
    int min_mixtures;          /* K accepted by rnl_config_check: min..max (0..0: none) */
    int max_mixtures;
    /* Logits per step for O targets and K components. */
    int (*width)(int O, int K);
    /* NLL (nats) of one step; da [width] (if non-NULL) receives d nll / d a. md is the
     * model's metadata: what the head needs of its data (the MoG head: the grid of its
     * targets, from data_mean/data_std; the Bernoulli head reads nothing). */
    double (*nll)(const rnl_real *a, const rnl_real *y, int O, int K, const rnl_model_meta *md,
                  rnl_real *da);
    /* The gradient alone, times scale: da [width] = scale * d nll / d a. */
    void (*grad)(const rnl_real *a, const rnl_real *y, int O, int K, const rnl_model_meta *md,
                 rnl_real scale, rnl_real *da);
    /* The n rows of one step, as rnl_forward_backward needs them: if nll is non-NULL the rows'
     * NLLs are added to *nll (in row order, summed as the head's own nll would); if da is
     * non-NULL it receives da [n, width] = scale * d nll / d a. n may be 0. */
    void (*rows)(const rnl_real *a, const rnl_real *y, int n, int O, int K, const rnl_model_meta *md,
                 double *nll, rnl_real scale, rnl_real *da);
    /* 1: the gradient computes the NLL on the way, so rnl_forward_backward sums it (and
     * checks it is finite) in training too; 0: it sums the NLL only when asked for. */
    int nll_with_grad;
    /* Sample one step's targets y [O] from its logits a [width] at temperature T (> 0 and
     * finite, the caller checks): a pure function of a, T and the rng state, which it
     * advances by a fixed sequence of draws documented per head. */
    void (*draw)(const rnl_real *a, int O, int K, const rnl_model_meta *md, double temperature,
                 rnl_rng *rng, double *y);
} rnl_head_desc;

/* Each kernel set's own copies, as the cells' (cells.h): everything but kset.c asks
 * rnl_head_describe. The gauss head (real-valued arrays, not a hot path) is one copy outside
 * the sets, compiled for the build's target; every set's table points at it. */
extern const rnl_head_desc rnl_head_bernoulli, rnl_head_mog, rnl_head_softmax;
extern const rnl_head_desc rnl_head_gauss;

/* The softmax head's NLL of one step (head_softmax.c has the equations): logits a [O],
 * targets y [O] (one-hot; any y >= 0 is defined), da [O] (if non-NULL) = d nll / d a. The
 * library's version and the libm reference in double it is tested against. */
double rnl_softmax_nll(const rnl_real *a, const rnl_real *y, int O, rnl_real *da);
double rnl_softmax_nll_ref(const rnl_real *a, const rnl_real *y, int O, rnl_real *da);

/* rnl_mog_nll's fast twin (head_mog.c: the same formulas with fewer transcendental calls,
 * equal to rounding); the MoG descriptor's nll, grad and rows use it, rnl_mog_nll stays the
 * reference the tests compare it with. */
double rnl_mog_nll_fast(const rnl_real *a, const rnl_real *y, int O, int K, const rnl_mog_grid *q,
                        rnl_real *da);

/* What the mixture heads (MoG, gauss) share:
 * rnl_mixture_pick — the component of a draw at temperature T: k with probability
 *   softmax(logits[0..K) / T)_k, by one uniform u of rng, the first k whose cumulative weight
 *   exceeds u · Σ_k exp(logits_k / T − max), else K−1;
 * rnl_head_rows_by_nll, rnl_head_grad_by_nll — a head's rows and grad from its own nll (the
 *   gradient of a row comes with its NLL), for heads whose nll computes both anyway. */
int rnl_mixture_pick(const rnl_real *logits, int K, double temperature, rnl_rng *rng);
void rnl_head_rows_by_nll(const rnl_head_desc *hd, const rnl_real *a, const rnl_real *y, int n, int O, int K,
                          const rnl_model_meta *md, double *nll, rnl_real scale, rnl_real *da);
void rnl_head_grad_by_nll(const rnl_head_desc *hd, const rnl_real *a, const rnl_real *y, int O, int K,
                          const rnl_model_meta *md, rnl_real scale, rnl_real *da);

/* The descriptor of h; NULL for a value outside the enum (callers turn that into
 * RNL_ERR_INTERNAL, or RNL_ERR_USAGE where the value came from the caller). */
const rnl_head_desc *rnl_head_describe(rnl_head h);
/* The valid names for messages, "bernoulli, mog or softmax", into out [n] (truncated to fit). */
void rnl_head_names(char *out, size_t n);

#endif
