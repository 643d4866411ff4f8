/*
 * rnnlab.h — the public API of librnnlab: tanh RNN, LSTM and GRU sequence models
 * (Chung, Gulcehre, Cho, Bengio 2014), trained by exact BPTT on a CPU.
 *
 * Conventions
 *   - Every public name starts with rnl_ / RNL_.
 *   - Functions that can fail return an rnl_status; on failure a one-line message naming the
 *     file or option at fault is kept per thread and returned by rnl_last_error().
 *   - Objects come in create/free pairs; the caller owns what a create returns and frees it
 *     with the matching free (free functions accept NULL).
 *   - Dimension letters: T time steps, B sequences in a batch, I inputs, H hidden units,
 *     O outputs, G gates (tanh 1, GRU 3, LSTM 4). Arrays are row-major, time-major:
 *     x[t][b][i] is x[(t*B + b)*I + i].
 *   - rnl_real is float (double when the library is built with -DRNL_DOUBLE, which the
 *     gradient-check tests use). Checkpoints always store float32.
 */
#ifndef RNNLAB_H
#define RNNLAB_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Every function declared between this push and the pop at the end is the library's public
 * interface: the only symbols librnnlab.so exports (the library is built with
 * -fvisibility=hidden; tests/sh_api.sh checks that the two lists are the same). RNL_KSET is
 * defined only inside the library, where its kernel sets compile their own, hidden copies of
 * some of these functions under other names (src/core/kset.h). */
#if defined(__GNUC__) && !defined(RNL_KSET)
#pragma GCC visibility push(default)
#endif

/* The version: MAJOR is the shared library's SONAME (librnnlab.so.MAJOR); it changes when a
 * declaration of this header changes incompatibly. rnl_version() is the version of the
 * library actually loaded ("MAJOR.MINOR.PATCH"), RNL_VERSION that of the header compiled
 * against. */
#define RNL_VERSION_MAJOR 0
#define RNL_VERSION_MINOR 1
#define RNL_VERSION_PATCH 0
#define RNL_VERSION "0.1.0"
const char *rnl_version(void);

#ifdef RNL_DOUBLE
typedef double rnl_real;
#else
typedef float rnl_real;
#endif

/* ------------------------------------------------------------------------------------------
 * Status codes. The numbering is also the tool's exit-code scheme (see docs/ERRORS.md).
 * ---------------------------------------------------------------------------------------- */
typedef enum {
    RNL_OK = 0,
    RNL_ERR_USAGE = 2,   /* bad option, bad argument, inconsistent configuration */
    RNL_ERR_DATA = 3,    /* malformed or missing input data / model file contents */
    RNL_ERR_IO = 4,      /* cannot open, read, write, rename a file */
    RNL_ERR_NUMERIC = 5, /* non-finite loss, gradient or parameter */
    RNL_ERR_NOMEM = 6,   /* allocation failed */
    RNL_ERR_INTERNAL = 7, /* a feature that is not available in this build */
    RNL_ERR_STOPPED = 8   /* the caller asked a long call to stop (the tool: SIGINT/SIGTERM,
                           * exit 128 + the signal's number) */
} rnl_status;

/* A short name for the status ("ok", "usage", "data", "io", "numeric", "nomem", "internal"). */
const char *rnl_status_string(rnl_status s);
/* The message of the last failure on this thread ("" if none). Valid until the next failure. */
const char *rnl_last_error(void);
/* Set the last error (printf-style) and return s; used by every module of the library. */
rnl_status rnl_fail(rnl_status s, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* The library never prints. Where it has progress or a warning to report, it calls a sink the
 * caller gave it, one line at a time (no trailing newline; the line is valid only during the
 * call). A NULL sink drops the lines. */
typedef void (*rnl_log_fn)(void *ctx, const char *line);

/* ------------------------------------------------------------------------------------------
 * Model configuration
 * ---------------------------------------------------------------------------------------- */
/* Each enum ends with a count (RNL_CELL_COUNT, ...) that is not a value of its own: the
 * library's descriptor tables have exactly that many rows, checked when it is compiled. */
typedef enum { RNL_CELL_TANH = 0, RNL_CELL_GRU = 1, RNL_CELL_LSTM = 2, RNL_CELL_COUNT } rnl_cell;
/* PAPER: the equations of Chung et al. 2014 (paper.md §1): GRU with reset before U and
 *        h = (1-z) h_prev + z h~; LSTM with diagonal peepholes.
 * PYTORCH: torch.nn.GRU (reset after U_h, extra recurrent candidate bias c_h,
 *        h = (1-z) n + z h_prev) and torch.nn.LSTM (no peepholes). For tanh both are equal. */
typedef enum { RNL_VARIANT_PAPER = 0, RNL_VARIANT_PYTORCH = 1, RNL_VARIANT_COUNT } rnl_variant;
/* SOFTMAX: the categorical head (text, tokens): targets one-hot over O symbols (heads.h). */
/* GAUSS: a continuous mixture of K diagonal Gaussians over O real values (real-valued .npz
 * data): a density, rnl_gauss_nll. */
typedef enum {
    RNL_HEAD_BERNOULLI = 0,
    RNL_HEAD_MOG = 1,
    RNL_HEAD_SOFTMAX = 2,
    RNL_HEAD_GAUSS = 3,
    RNL_HEAD_COUNT
} rnl_head;

typedef struct {
    rnl_cell cell;
    rnl_variant variant;
    rnl_head head;
    int layers;     /* number of stacked recurrent layers, >= 1 */
    int input;      /* I */
    int hidden;     /* H, the same for every layer */
    int output;     /* O: units of the Bernoulli head; samples per step for the MoG head;
                     * symbols (the vocabulary) of the softmax head */
    int mixtures;   /* K components of the MoG and Gaussian-mixture heads (0 for the others) */
} rnl_config;

/* Names as the command line and checkpoints spell them; "?" for a value outside the enum
 * (the count included). */
const char *rnl_cell_name(rnl_cell c);       /* "tanh", "gru", "lstm" */
const char *rnl_variant_name(rnl_variant v); /* "paper", "pytorch" */
const char *rnl_head_name(rnl_head h);       /* "bernoulli", "mog", "softmax", "gauss" */
/* Parse a name (exact, case-sensitive; s may be NULL). On success *out is set and RNL_OK
 * returned; otherwise *out is untouched and RNL_ERR_USAGE leaves a message listing the valid
 * names. */
rnl_status rnl_cell_parse(const char *s, rnl_cell *out);
rnl_status rnl_variant_parse(const char *s, rnl_variant *out);
rnl_status rnl_head_parse(const char *s, rnl_head *out);
/* Check ranges and consistency of a configuration: RNL_ERR_USAGE naming the first field at
 * fault (a cell, variant or head outside its enum included). */
rnl_status rnl_config_check(const rnl_config *cfg);
/* Gates per unit: tanh 1, GRU 3, LSTM 4; 0 for a value outside the enum. */
int rnl_cell_gates(rnl_cell c);
/* Width of the output layer's logits: O for Bernoulli and softmax, K*(1+2*O) for MoG and gauss; 0 when cfg->head
 * is outside the enum. */
int rnl_head_width(const rnl_config *cfg);

/* ------------------------------------------------------------------------------------------
 * Parameters: one flat buffer carved by a table of named tensors (safetensors names).
 * Per layer l the tensors are consecutive in this order, so gate blocks of W, U and b form
 * single [G*H, I], [G*H, H], [G*H] matrices:
 *   tanh : W [H,I], U [H,H], b [H]
 *   GRU  : W_z W_r W_h [H,I]; U_z U_r U_h [H,H]; b_z b_r b_h [H]; (pytorch) c_h [H]
 *   LSTM : W_i W_f W_c W_o [H,I]; U_i U_f U_c U_o [H,H]; b_i b_f b_c b_o [H];
 *          (paper) v_i v_f v_o [H]
 * then out.W [width, H], out.b [width].
 * ---------------------------------------------------------------------------------------- */
#define RNL_MAX_NAME 32
typedef struct {
    char name[RNL_MAX_NAME]; /* e.g. "rnn.0.W_z", "out.b" */
    int ndim;                /* 1 or 2 */
    int shape[2];
    size_t offset;           /* in elements, into the flat buffer */
    size_t size;             /* elements */
    int noisy;               /* 1 for W and U blocks of recurrent layers (weight noise) */
} rnl_tensor;

typedef struct rnl_model rnl_model;

/* Create a model with zeroed parameters. */
rnl_status rnl_model_create(const rnl_config *cfg, rnl_model **out);
void rnl_model_free(rnl_model *m);
const rnl_config *rnl_model_config(const rnl_model *m);
rnl_real *rnl_model_params(rnl_model *m);             /* flat parameter buffer */
size_t rnl_model_nparams(const rnl_model *m);          /* its length */
int rnl_model_ntensors(const rnl_model *m);
const rnl_tensor *rnl_model_tensor(const rnl_model *m, int i);
const rnl_tensor *rnl_model_find(const rnl_model *m, const char *name); /* NULL if absent */
/* Parameters of the recurrent layers only (Table 1's count), and of everything. */
size_t rnl_model_nparams_recurrent(const rnl_model *m);

/* Initialise as the authors' code: W (input weights) and out.W uniform in [-init, init]
 * (init = 0.1), each H x H block of U orthogonal, biases and peepholes 0, forget-gate bias
 * (LSTM) set to forget_bias. Fully determined by seed. */
rnl_status rnl_model_init(rnl_model *m, uint64_t seed, double forget_bias);

/* Extra data a checkpoint carries: what evaluating and sampling it needs of its data. */
typedef struct {
    double data_mean;      /* speech: the normalisation z = (s - mean) / std of the training */
    double data_std;       /*   split it was trained on; music: 0 and 1 */
    char data_name[64];    /* the data set it was trained on, as given ("" if unknown) */
    char split_scheme[16]; /* speech: the split it was trained on ("index" or "speaker");
                            * "" for music and for models that do not record it */
    char vocab[513];       /* text: the byte of each symbol, in symbol order, as two lowercase
                            * hex digits per byte ("0a20..."); "" for other data */
    char text_split[64];   /* text: the split it was trained on, "TRAIN/VALID/TEST"
                            * percentages (--split, "90/5/5"); "" for other data */
} rnl_model_meta;
rnl_model_meta *rnl_model_metadata(rnl_model *m);

/* ------------------------------------------------------------------------------------------
 * Batches: time-major, sequences sorted by length, longest first.
 * ---------------------------------------------------------------------------------------- */
typedef struct {
    int T;               /* steps (= len[0], the longest) */
    int B;               /* sequences */
    const int *len;      /* [B] steps of each sequence, non-increasing, each in 0..T */
    const rnl_real *x;   /* [T, B, I] inputs (values at padded positions are ignored) */
    const rnl_real *y;   /* [T, B, O] targets (ignored at padded positions) */
} rnl_batch;

/* A workspace holds every activation of a forward pass for backward; it grows on demand
 * (never inside the step loop) and is reused. One per thread. */
typedef struct rnl_workspace rnl_workspace;
rnl_status rnl_workspace_create(rnl_workspace **out);
void rnl_workspace_free(rnl_workspace *ws);
/* Every forward pass first copies the weights into the layouts its products read (packed
 * U^T, W^T, the output layer's W^T). With hold on, passes with the same params pointer reuse
 * the copies the first one made: for evaluation and sampling, where the caller promises not
 * to change params until hold is turned off (which, like turning it on, drops the copies). */
void rnl_workspace_hold(rnl_workspace *ws, int on);

/* Recurrent state carried between calls (truncated BPTT, sampling): h (and c for LSTM) of
 * every layer for B sequences. */
typedef struct {
    int layers, B, H;
    rnl_real *h;  /* [layers, B, H] */
    rnl_real *c;  /* [layers, B, H], LSTM only, else NULL */
} rnl_state;
rnl_status rnl_state_create(const rnl_model *m, int B, rnl_state **out);
void rnl_state_free(rnl_state *s);
void rnl_state_zero(rnl_state *s);

/* Forward pass (and optionally backward) over one batch.
 *   params : the parameters to use (may be a noisy copy of the model's own), length nparams
 *   grad   : if non-NULL, d(loss)/d(params) is ADDED to it, where loss = nll_sum / scale
 *   scale  : normaliser of the loss for the gradient (e.g. the number of predicted frames)
 *   state  : if non-NULL, initial state on entry (NULL = zeros) and final state on return
 *            (the state after each sequence's last step)
 *   nll_sum: out, sum over valid steps of each step's NLL (nats), in double; may be NULL
 *            when grad is given (training needs only the gradient, which is then cheaper)
 * Padded steps contribute nothing. Returns RNL_ERR_NUMERIC if the loss is not finite. */
rnl_status rnl_forward_backward(const rnl_model *m, rnl_workspace *ws, const rnl_real *params,
                                const rnl_batch *batch, rnl_real *grad, double scale,
                                rnl_state *state, double *nll_sum);

/* Dropout of a training pass (inverted dropout, Srivastava et al. 2014; where char-rnn and
 * PyTorch's nn.LSTM(dropout=p) + a dropout before the Linear put it; Zaremba et al. 2014:
 * the non-recurrent connections only). Site s = 0 .. layers-1 is the output of layer s on
 * its way up, to layer s+1's input or, for the top layer, to the output layer; the recurrent
 * state h_{t-1} a layer feeds back to itself is never dropped:
 *     d_s[t, b, j] = m_s[t, b, j] · h_s[t, b, j],   m = 1/(1-p) with probability 1-p, else 0
 * a fresh mask for every site, step, sequence and unit, drawn in that order (s, then t, b, j
 * over all T·B rows, padded ones included) by rnl_dropout_mask from one xoshiro256**
 * generator seeded with `seed`: the same seed gives the same masks, so a pass is
 * reproducible and a finite-difference check can hold the masks fixed. The backward pass
 * multiplies the gradients of those connections by the same masks. */
typedef struct {
    double p;      /* probability that a unit is dropped, in [0, 1); 0 = off */
    uint64_t seed; /* seed of the masks */
} rnl_dropout;
/* rnl_forward_backward with dropout (drop NULL or drop->p == 0: exactly rnl_forward_backward,
 * bit for bit). RNL_ERR_USAGE for p outside [0, 1). Evaluation and sampling never drop. */
rnl_status rnl_forward_backward_dropout(const rnl_model *m, rnl_workspace *ws, const rnl_real *params,
                                        const rnl_batch *batch, rnl_real *grad, double scale,
                                        rnl_state *state, const rnl_dropout *drop, double *nll_sum);

/* Output-layer values of the last forward pass: [T, B, width] logits (head parameters). */
const rnl_real *rnl_workspace_logits(const rnl_workspace *ws);

/* One step for B sequences (sampling, streaming): x [B, I] -> logits [B, width]; state is
 * read and updated. */
rnl_status rnl_step(const rnl_model *m, rnl_workspace *ws, const rnl_real *x, int B,
                    rnl_state *state, rnl_real *logits);

/* ------------------------------------------------------------------------------------------
 * Heads: NLL of one step and its gradient with respect to the logits.
 * ---------------------------------------------------------------------------------------- */
/* Bernoulli: logits a [O], targets y [O] in {0,1}:
 *   nll = sum_k softplus(a_k) - y_k a_k, stable for any a; dnll/da_k = sigmoid(a_k) - y_k. */
double rnl_bernoulli_nll(const rnl_real *a, const rnl_real *y, int O, rnl_real *da);
double rnl_bernoulli_nll_ref(const rnl_real *a, const rnl_real *y, int O, rnl_real *da);
/* The gradient alone, times scale: da_k = (sigmoid(a_k) − y_k) * scale (vectorised). */
void rnl_bernoulli_grad(const rnl_real *a, const rnl_real *y, int O, rnl_real scale, rnl_real *da);

/* Mixture of K diagonal Gaussians over O values (the speech head), discretised: a
 * distribution over the grid of values the targets take. Logit layout, width K*(1+2*O):
 * [K mixture logits | K*O means, component-major (mu[k*O + d]) | K*O log standard
 * deviations, same order].
 *
 * The grid: bin i = 0 .. n-1 is centred on lo + i*step; a target belongs to the nearest
 * centre (the targets lie on the grid); the lowest bin reaches down to −∞, the highest up to
 * +∞, so the bins' masses sum to 1. A MoG model's targets are 16-bit samples s = v/32768
 * (v = −32768 … 32767) standardised with its metadata, z = (s − data_mean)/data_std:
 * rnl_mog_grid16 gives that grid (step = 1/(32768 data_std), the quantisation step in
 * standardised units; lo = (−1 − data_mean)/data_std; n = 65536). With the floor
 * f = log(RNL_MOG_MIN_STD_STEPS * step) and ε = RNL_MOG_UNIFORM:
 *     s_kd  = ls_kd                     for f <= ls_kd <= RNL_MOG_MAX_LOG_STD,
 *             f − log(1 + f − ls_kd)    below f (a soft floor, gradient 1/(1 + f − ls)),
 *             RNL_MOG_MAX_LOG_STD       above (gradient 0)
 *     sigma = exp(s),  log pi = logsoftmax(mixture logits)
 *     M_kd  = Φ((c_d + step/2 − mu_kd)/sigma_kd) − Φ((c_d − step/2 − mu_kd)/sigma_kd)
 *             (c_d the centre of y_d's bin; Φ(−∞) = 0, Φ(+∞) = 1 at the outer bins)
 *     M'_kd = (1 − ε) M_kd + ε / n       (each value also drawn, with weight ε, uniformly)
 *     P     = Σ_k pi_k Π_d M'_kd        (the probability of the step's O grid values)
 *     nll   = −log P + O log(step)       (log-sum-exp, in double)
 * The O log(step) term makes nll the density, in the targets' units, of the distribution
 * that spreads each bin's mass evenly over the bin: nats per step stay in the units of a
 * continuous density over z (comparable with the LPC baseline's), and the bits per sample
 * of rnl_speech_bits_per_sample, (nll/O + ln(std*32768)) / ln 2 = −log2 P / O, are exactly
 * the code length of the 16-bit values. Two bounds follow, for any logits:
 *     O log(step) <= nll <= O (log(step) + log(n/ε)),
 * below because no sigma, however small, gives a bin more than its whole mass, above
 * because the uniform part caps each value's cost at log(n/ε) ≈ 20.3 nats (docs/SPEECH.md
 * has the measurement that made both necessary). da (if non-NULL) receives d nll / d a,
 * width K*(1+2*O). */
typedef struct {
    double step; /* spacing of the grid (> 0) */
    double lo;   /* centre of bin 0 */
    int n;       /* bins (>= 2) */
} rnl_mog_grid;
rnl_mog_grid rnl_mog_grid16(double data_mean, double data_std);
/* The std floor, in grid steps. Below about step/4 a bin's mass is already 1 for a target at
 * the mean, so the data stop pulling sigma down well above the floor. */
#define RNL_MOG_MIN_STD_STEPS 0.125
/* The uniform part's weight ε: at most −log(1 − ε) ≈ 1e-4 nats per value of cost. */
#define RNL_MOG_UNIFORM 1e-4
#define RNL_MOG_MAX_LOG_STD 20.0
double rnl_mog_nll(const rnl_real *a, const rnl_real *y, int O, int K, const rnl_mog_grid *q,
                   rnl_real *da);

/* Mixture of K diagonal Gaussians over O real values, continuous (the head of real-valued
 * .npz data): the same logit layout as the MoG head, width K*(1+2*O), [K mixture logits |
 * K*O means mu[k*O + d] | K*O raw log standard deviations ls, same order]. With the floor
 * f = RNL_GAUSS_MIN_LOG_STD (sigma >= e^f ≈ 1e-3 in the data's units, softly: below f the
 * log std keeps falling as f − log(1 + f − ls), its gradient 1/(1 + f − ls)) and the ceiling
 * RNL_GAUSS_MAX_LOG_STD (gradient 0 above):
 *     log pi = logsoftmax(mixture logits),  z_kd = (y_d − mu_kd)/sigma_kd
 *     nll    = −log Σ_k pi_k Π_d N(y_d; mu_kd, sigma_kd²)        (nats per step, in double)
 * A density, so nll may be negative: a sharp and right prediction of a value costs
 * −log N(mu; mu, sigma²) = log sigma + ½ log 2π, −5.99 nats at sigma = 1e-3 (below the floor
 * sigma still falls, but only logarithmically slowly). Units are those of the data, which
 * are not normalised. da (if non-NULL) receives d nll / d a, width K*(1+2*O). */
#define RNL_GAUSS_MIN_LOG_STD (-6.907755278982137) /* log(1e-3) */
#define RNL_GAUSS_MAX_LOG_STD 20.0
double rnl_gauss_nll(const rnl_real *a, const rnl_real *y, int O, int K, rnl_real *da);

/* ------------------------------------------------------------------------------------------
 * Optimiser, clipping, noise (flat arrays)
 * ---------------------------------------------------------------------------------------- */
typedef struct {
    double lr;        /* learning rate */
    double decay;     /* rho of the running mean square, 0.95 */
    double momentum;  /* mu, 0.9 */
    double eps;       /* added to sqrt(mean square), 1e-8 */
    /* The authors' released pieces (0 = off; a {lr, decay, momentum, eps} initialiser leaves
     * them off): */
    double floor;     /* > 0: rms = max(sqrt(ms), floor), eps not added (the authors' 0.01) */
    double step_clip; /* > 0: the applied step scaled by min(1, step_clip / ||step||), the norm
                       * over all n values; buf is stored unscaled (the authors' 1) */
    int velocity;     /* 1: lr inside the momentum buffer, buf = v (the authors' form) */
} rnl_rmsprop;
/* With the pieces off, PyTorch's torch.optim.RMSprop(alpha=decay, eps, momentum,
 * centered=False):
 *   ms  = decay*ms + (1-decay)*g^2
 *   buf = momentum*buf + g / (sqrt(ms) + eps)
 *   p   = p - lr*buf
 * In general, with rms = max(sqrt(ms), floor) if floor > 0 else sqrt(ms) + eps:
 *   velocity 0:  buf = momentum*buf + g / rms,       step = -lr*buf
 *   velocity 1:  buf = momentum*buf - lr * g / rms,  step = buf
 *   p = p + step * min(1, step_clip / ||step||)   (factor 1 when step_clip = 0)
 * The authors' RMSPropMomentum (jych/librnn) is velocity 1, floor 0.01, step_clip 1. */
void rnl_rmsprop_step(const rnl_rmsprop *o, rnl_real *p, const rnl_real *g, rnl_real *ms,
                      rnl_real *buf, size_t n);
/* Global L2 norm of g (computed in double); if it exceeds max_norm, scale g by
 * max_norm/norm. Returns the norm before clipping. max_norm <= 0 disables clipping. */
double rnl_clip_global_norm(rnl_real *g, size_t n, double max_norm);

/* ------------------------------------------------------------------------------------------
 * Random numbers: xoshiro256** seeded by splitmix64. The state is 4 words so a run can save
 * and restore it exactly.
 * ---------------------------------------------------------------------------------------- */
typedef struct { uint64_t s[4]; } rnl_rng;
void rnl_rng_seed(rnl_rng *r, uint64_t seed);
uint64_t rnl_rng_next(rnl_rng *r);
double rnl_rng_uniform(rnl_rng *r);             /* [0, 1), 53 bits */
double rnl_rng_normal(rnl_rng *r);              /* N(0,1), Box-Muller, no cached value */
uint64_t rnl_rng_below(rnl_rng *r, uint64_t n); /* uniform in [0, n), unbiased; n > 0 */
/* out[k] += sigma * N(0,1) for k < n, drawn by the ziggurat method (weight noise: fast, and
 * still a pure function of the state). Not thread-safe on its very first call (it fills
 * static tables); the library calls it once from the thread that trains. */
void rnl_rng_add_normal(rnl_rng *r, rnl_real *out, size_t n, double sigma);
/* A dropout mask (rnl_dropout): n values, each 0 with probability p (one 32-bit uniform u per
 * value, dropped when u < round(p·2^32), so within 2^-33 of p), else 1/(1-p) rounded to
 * rnl_real; two values per draw of r, the low half first. 0 <= p < 1. */
void rnl_dropout_mask(rnl_rng *r, double p, rnl_real *mask, size_t n);

/* ------------------------------------------------------------------------------------------
 * Checkpoints (safetensors: u64 LE header length, JSON header, raw float32 LE data).
 * ---------------------------------------------------------------------------------------- */
/* Write every tensor of the model plus __metadata__ (cell, variant, layers, hidden, input,
 * output, head, mixtures, version, data_mean, data_std, data_name, and any extra key/value
 * pairs given: extra[2k] = key, extra[2k+1] = value, n_extra pairs). Atomic: the file
 * appears complete or not at all. */
rnl_status rnl_model_save(const rnl_model *m, const char *path, const char *const *extra,
                          int n_extra);
/* Load a checkpoint written by rnl_model_save (or by scripts/, with the same names).
 * Every tensor the configuration needs must be present with the right shape. */
rnl_status rnl_model_load(const char *path, rnl_model **out);

/* ------------------------------------------------------------------------------------------
 * BLAS threads
 * ---------------------------------------------------------------------------------------- */
/* Threads for BLAS (1 unless called; the library sets 1 at model creation). */
void rnl_set_threads(int n);

/* ------------------------------------------------------------------------------------------
 * Kernel sets: the library carries its numerical kernels compiled three times — "avx512"
 * (AVX-512 F/BW/CD/DQ/VL), "avx2" (AVX2 + FMA) and "plain" (the x86-64 baseline) — and
 * uses one, chosen once per process at the first call of rnl_cpu_init or of any
 * computation: the environment variable RNNLAB_CPU if it is set and not empty, else the
 * best set this CPU supports. Results are bit for bit those of one build within a set;
 * between sets they differ by rounding (docs/PERFORMANCE.md, "Kernel sets": the measured
 * differences). rnl_config_check (so rnl_model_create) and rnl_model_load call rnl_cpu_init
 * and return its error.
 * ---------------------------------------------------------------------------------------- */
/* RNL_OK, or RNL_ERR_USAGE when RNNLAB_CPU names no set or one this CPU lacks (the message in
 * rnl_last_error). The choice is made once; later calls return the same result. After a
 * failed choice there is no set to compute with: a kernel function that returns no status
 * (rnl_bernoulli_nll, rnl_rmsprop_step, rnl_rng_add_normal, ...) writes the message to
 * stderr and calls abort(). The name and parse functions (rnl_cell_name, ...) still work. */
rnl_status rnl_cpu_init(void);
/* "avx512", "avx2" or "plain": the set in use (a static string); NULL when rnl_cpu_init
 * fails. */
const char *rnl_cpu_name(void);

/* ==========================================================================================
 * The workflow: data sets, training, evaluation, sampling. The tool `rnnlab` is built on the
 * same functions (and the internals under them); what it does, a program can do through
 * these. Paths are UTF-8 file names; every file the library writes is written atomically.
 * ======================================================================================== */

/* Memory the library allocated for the caller (a sampled roll); NULL is accepted. */
void rnl_free(void *p);

/* ------------------------------------------------------------------------------------------
 * Data sets: three splits of sequences; sequence i of a split has steps(i) predicted steps,
 * each an input x [I] and a target y [O]. Music (a piano-roll .mat file): I = O = 88,
 * x[t] = frame t, y[t] = frame t+1, Bernoulli head. Speech (a directory with manifest.tsv):
 * standardised samples, x = the last I samples, y = the next O, MoG head.
 * ---------------------------------------------------------------------------------------- */
#define RNL_SPLIT_TRAIN 0
#define RNL_SPLIT_VALID 1
#define RNL_SPLIT_TEST 2
/* "train", "valid", "test" to 0, 1, 2; -1 for anything else (NULL included). */
int rnl_split_parse(const char *s);

typedef struct rnl_dataset rnl_dataset;
/* Open a data set as the tool's --data does: a name (jsb, nottingham, musedata, piano, fsdd)
 * under the data root (root, NULL = $RNNLAB_DATA, else ./data, else ../shared/data), or a
 * path: a directory is a speech set, anything else a piano-roll .mat file. scheme: the speech
 * split, "index" or "speaker" (NULL = "index"; ignored for music). The caller frees *out
 * with rnl_dataset_free. Errors: RNL_ERR_USAGE (a name that is no data set, a MIDI or WAV
 * file given where a set was expected), RNL_ERR_DATA (malformed contents), RNL_ERR_IO. */
rnl_status rnl_dataset_open(const char *name, const char *root, const char *scheme,
                            rnl_dataset **out);
/* Open the data set `name` to evaluate model m on: speech with the split scheme the model was
 * trained on and the model's own normalisation (scheme NULL), or another scheme, which is
 * allowed and then note (size n, may be NULL) says that the split may hold recordings the
 * model was trained on; note is "" when there is nothing to say. */
rnl_status rnl_dataset_open_for_model(const rnl_model *m, const char *name, const char *root,
                                      const char *scheme, rnl_dataset **out, char *note,
                                      size_t n);
void rnl_dataset_free(rnl_dataset *d);
const char *rnl_dataset_kind(const rnl_dataset *d); /* "music" or "speech" */
const char *rnl_dataset_path(const rnl_dataset *d); /* the file or directory it was read from */
int rnl_dataset_input(const rnl_dataset *d);        /* I */
int rnl_dataset_output(const rnl_dataset *d);       /* O */
/* Sequences in a split (0 for a split outside 0..2). */
int rnl_dataset_count(const rnl_dataset *d, int split);
/* Predicted steps of sequence i of a split; -1 when split or i is out of range. */
int rnl_dataset_steps(const rnl_dataset *d, int split, int i);
/* Sequence i of a split: x [steps, I] and y [steps, O] (buffers of the caller, sized by
 * rnl_dataset_steps). RNL_ERR_USAGE when split or i is out of range. */
rnl_status rnl_dataset_sequence(const rnl_dataset *d, int split, int i, rnl_real *x,
                                rnl_real *y);
/* The standardisation z = (s - mean) / std applied to speech (music: 0 and 1). */
void rnl_dataset_normalisation(const rnl_dataset *d, double *mean, double *std);
/* Bits per sample of the 16-bit signal for a speech NLL in nats per step (docs/SPEECH.md,
 * "Units"); NAN for music. */
double rnl_dataset_bits_per_sample(const rnl_dataset *d, double nll_per_step);

/* Write piano-roll sequences as a .mat file in the benchmarks' layout (traindata, validdata,
 * testdata), which rnl_dataset_open and the training then read like JSB: split s has
 * nseq[s] sequences of len[s][k] frames, frames[s] holding them back to back, frame-major
 * ([sum of len[s], 88] bytes, each 0 or 1). The train split needs at least one sequence.
 * RNL_ERR_USAGE for a value other than 0/1 or a negative length. */
rnl_status rnl_music_write(const char *path, const int nseq[3], const int *const len[3],
                           const uint8_t *const frames[3]);

/* ------------------------------------------------------------------------------------------
 * Training configuration: the run options of `rnnlab train`, one handle set by key. The keys,
 * types, ranges and defaults are the option table's (`rnnlab train --help` lists them; a key
 * is spelt "max_epochs" or "--max-epochs"), and every value is checked as the command line
 * checks it. The handle keeps the options a future version adds: a program that sets only
 * the keys it knows keeps working.
 * ---------------------------------------------------------------------------------------- */
typedef struct rnl_train_config rnl_train_config;
/* Every option at its default; free with rnl_train_config_free. */
rnl_status rnl_train_config_create(rnl_train_config **out);
void rnl_train_config_free(rnl_train_config *c);
/* Set one option from its text ("1e-3", "gru", "jsb"; a flag takes "1" or "0"). Setting a key
 * twice keeps the last value. RNL_ERR_USAGE for an unknown key or a value out of range (the
 * message names the option as --key). Whether an option applies to the data and unit (e.g.
 * forget_bias only for LSTM) is checked when the training starts. */
rnl_status rnl_train_config_set(rnl_train_config *c, const char *key, const char *value);
/* The canonical text of an option's value into buf (size n): RNL_ERR_USAGE for an unknown
 * key, RNL_ERR_USAGE when n is too small. */
rnl_status rnl_train_config_get(const rnl_train_config *c, const char *key, char *buf,
                                size_t n);
/* The options: key and one-line help of option i in 0 .. rnl_train_option_count()-1 (NULL
 * outside). */
int rnl_train_option_count(void);
const char *rnl_train_option_key(int i);
const char *rnl_train_option_help(int i);

/* What a training reports as it runs (the tool's log lines are made of these). The struct is
 * the library's, valid during the call; fields a kind does not use are 0 (NULL). */
typedef enum {
    RNL_EVENT_START = 0,    /* the model is built (resumed: the state is read) */
    RNL_EVENT_PROGRESS = 1, /* within an epoch, at most every 0.25 s */
    RNL_EVENT_EPOCH = 2,    /* an epoch ended: its line of metrics.csv */
    RNL_EVENT_NOTE = 3,     /* a resume with no epoch left to train: text says why */
    RNL_EVENT_DONE = 4,     /* finished: summary.json is written */
    RNL_EVENT_COUNT
} rnl_event_kind;
typedef struct {
    rnl_event_kind kind;
    int resumed;                     /* 1 when continuing a saved run */
    const char *data_path;           /* START: the data set's file or directory */
    size_t params, params_recurrent; /* START: parameters, all and recurrent (Table 1's) */
    int epoch;                       /* epochs completed (PROGRESS: epoch + 1 is running) */
    int batch, batches;              /* PROGRESS: batches of this epoch done, and in all */
    double steps_per_s;              /* PROGRESS: predicted steps per second this epoch */
    double seconds_left;             /* PROGRESS: at most this long until max_epochs */
    long updates, skipped;           /* EPOCH, DONE: updates, skipped (non-finite gradient) */
    double seconds;                  /* EPOCH, DONE: training wall time so far */
    double train_nll, valid_nll, lr; /* EPOCH: NLL per predicted step (noise off), lr */
    int best_epoch;                  /* EPOCH, DONE */
    int improved;                    /* EPOCH: a new best validation NLL */
    double best_train, best_valid;   /* PROGRESS (best_valid), DONE */
    double test_nll;                 /* DONE: of the best parameters */
    const char *text;                /* NOTE: one line */
} rnl_event;
/* The sink of a training's events (NULL: none). Returning non-zero asks the training to stop:
 * it finishes the update it is in and returns RNL_ERR_STOPPED; the run directory keeps the
 * state of the last finished epoch, from which rnl_train_resume retrains the interrupted
 * epoch bit for bit. (A program stopping on a signal sets a flag in its handler and returns
 * it here.) */
typedef int (*rnl_event_fn)(void *ctx, const rnl_event *e);

/* Train a run from scratch into the directory of option "out" (required, as is "data"):
 * options.json, state.safetensors after every epoch, model.safetensors (the best-validation
 * parameters), metrics.csv and summary.json, as `rnnlab train` writes them (README). Refuses
 * (RNL_ERR_USAGE) a directory that holds a run unless "force" is 1, an option that does not
 * apply, a directory another process trains in. Other errors: RNL_ERR_DATA, RNL_ERR_IO,
 * RNL_ERR_NUMERIC (diverged; summary.json says so), RNL_ERR_STOPPED (fn asked). Options not
 * set are completed as `rnnlab train` completes them: from "protocol", and without "lr" the
 * rate the paper's grid chose for the data set and unit (README, "Defaults"). */
rnl_status rnl_train_run(const rnl_train_config *c, rnl_event_fn fn, void *ctx);
/* Continue the run in dir (after a stop, a crash or kill -9, or with a larger budget): its
 * options are read back from it; c (NULL = none) may set only the stopping options
 * (max_epochs, patience) and quiet, anything else is RNL_ERR_USAGE. A run with nothing left
 * to train reports an RNL_EVENT_NOTE saying why and returns RNL_OK. */
rnl_status rnl_train_resume(const char *dir, const rnl_train_config *c, rnl_event_fn fn,
                            void *ctx);

/* ------------------------------------------------------------------------------------------
 * Evaluation
 * ---------------------------------------------------------------------------------------- */
/* The NLL of model m on a split of d, summed over all predicted steps (nats, double), and the
 * number of those steps: *nll_sum / *steps is the metric of the README (NLL per predicted
 * frame, all sequences pooled), and, for speech, rnl_dataset_bits_per_sample of it the
 * per-sample figure. *seq_mean (if non-NULL) receives the other convention: the mean over
 * the split's sequences of each one's NLL per predicted step (sequences with no predicted
 * step left out; NaN if none has one). Forward only, noise off, fixed batches:
 * reproducible. RNL_ERR_USAGE when the split is out of range, RNL_ERR_DATA when the model
 * (input, output, head) does not fit the data. */
rnl_status rnl_evaluate(const rnl_model *m, const rnl_dataset *d, int split, double *nll_sum,
                        double *steps, double *seq_mean);

/* ------------------------------------------------------------------------------------------
 * Sampling
 * ---------------------------------------------------------------------------------------- */
/* Music. Run a Bernoulli model with input = output = 88 one step at a time: first over the P
 * prime frames (teacher forcing: input t is prime frame t), or over one all-zero frame when
 * P is 0; then `steps` times draw each key of the next frame with probability
 * sigmoid(logit / temperature) from a generator seeded with seed, and feed the drawn frame
 * back. *roll ([P + steps, 88] bytes, 0/1; free with rnl_free) holds the prime followed by
 * the samples. Fully determined by seed. */
rnl_status rnl_music_sample(const rnl_model *m, const uint8_t *prime, int P, int steps,
                            double temperature, uint64_t seed, uint8_t **roll);
/* Frames per quarter note for a checkpoint's data (1 for JSB, else 2; 2 when unknown). */
rnl_status rnl_music_model_frame(const char *model_path, int *fpq);
/* A prime roll from a spec: a .mid/.midi file read on the grid fpq, or DATA:SPLIT:INDEX
 * (e.g. jsb:test:0, DATA resolved with data_root, NULL = the default). *roll: [*P, 88] bytes,
 * free with rnl_free; *P >= 1. */
rnl_status rnl_music_prime(const char *spec, const char *data_root, int fpq, uint8_t **roll,
                           int *P);
/* A roll [T, 88] as a format-0 MIDI file (fpq frames per quarter note, tempo bpm quarter
 * notes per minute, General MIDI program 0..127). */
rnl_status rnl_roll_write_midi(const char *path, const uint8_t *roll, int T, int fpq,
                               double bpm, int program);
/* Speech. Generate round(seconds * 8000) samples from a MoG model (input I >= output O) and
 * write them to out_wav (16-bit PCM mono, 8000 Hz): each step feeds the last I samples
 * (standardised with the checkpoint's data_mean/data_std) through the model, draws a
 * component and its O samples, un-standardises, clips to [-1, 1) and quantises them; the
 * quantised samples are fed back. prime_wav (NULL = I zero samples; else mono 8000 Hz, at
 * least I samples) is run through first and not written. Fully determined by seed. */
rnl_status rnl_speech_sample(const rnl_model *m, double seconds, uint64_t seed,
                             const char *prime_wav, const char *out_wav);

#if defined(__GNUC__) && !defined(RNL_KSET)
#pragma GCC visibility pop
#endif

#ifdef __cplusplus
}
#endif
#endif /* RNNLAB_H */
