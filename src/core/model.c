/* model.c — configuration, the flat parameter buffer and its tensor table, initialisation,
 * the activation workspace, and the forward/backward pass over a batch (BPTT). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "core/cells.h"
#include "core/heads.h"
#include "core/kernels.h"
#include "io/util.h"

#define RNL_MAX_LAYERS 16
#define RNL_MAX_TENSORS (RNL_MAX_LAYERS * 16 + 2)
_Static_assert(3 * RNL_CELL_MAX_GATES + RNL_CELL_MAX_EXTRA <= 16,
               "a layer's W, U, b blocks and extra tensors fit its 16 rows of the table");

struct rnl_model {
    rnl_config cfg;
    const rnl_cell_desc *cell; /* cfg.cell's descriptor */
    const rnl_head_desc *head; /* cfg.head's descriptor */
    int ntensors;
    rnl_tensor tensors[RNL_MAX_TENSORS];
    size_t nparams;            /* total parameters */
    size_t nparams_rec;        /* parameters of the recurrent layers */
    size_t layer_off[RNL_MAX_LAYERS]; /* offset of each layer's first tensor (W) */
    size_t out_off;            /* offset of out.W */
    rnl_real *params;          /* [nparams] */
    rnl_model_meta meta;
};

/* ================================================================ configuration ===== */

static const char *const VARIANTS[] = {
    [RNL_VARIANT_PAPER] = "paper",
    [RNL_VARIANT_PYTORCH] = "pytorch",
};
_Static_assert(sizeof VARIANTS / sizeof VARIANTS[0] == RNL_VARIANT_COUNT,
               "one name per rnl_variant value");

const char *rnl_variant_name(rnl_variant v) {
    return (unsigned)v < RNL_VARIANT_COUNT ? VARIANTS[v] : "?";
}

rnl_status rnl_variant_parse(const char *s, rnl_variant *out) {
    for (int v = 0; v < RNL_VARIANT_COUNT; v++)
        if (s && strcmp(s, VARIANTS[v]) == 0) {
            *out = (rnl_variant)v;
            return RNL_OK;
        }
    return rnl_fail(RNL_ERR_USAGE, "--variant: expected paper or pytorch, got '%s'", s ? s : "");
}

rnl_status rnl_config_check(const rnl_config *c) {
    rnl_status cpu = rnl_cpu_init(); /* the kernel set the descriptors come from */
    if (cpu != RNL_OK) return cpu;
    if (!rnl_cell_describe(c->cell)) return rnl_fail(RNL_ERR_USAGE, "unknown cell %d", (int)c->cell);
    if ((unsigned)c->variant >= RNL_VARIANT_COUNT)
        return rnl_fail(RNL_ERR_USAGE, "unknown variant %d", (int)c->variant);
    const rnl_head_desc *hd = rnl_head_describe(c->head);
    if (!hd) return rnl_fail(RNL_ERR_USAGE, "unknown head %d", (int)c->head);
    if (c->layers < 1 || c->layers > RNL_MAX_LAYERS)
        return rnl_fail(RNL_ERR_USAGE, "--layers: expected 1..%d, got %d", RNL_MAX_LAYERS, c->layers);
    if (c->hidden < 1 || c->hidden > 65536)
        return rnl_fail(RNL_ERR_USAGE, "--hidden: expected 1..65536, got %d", c->hidden);
    if (c->input < 1 || c->input > 65536)
        return rnl_fail(RNL_ERR_USAGE, "input size: expected 1..65536, got %d", c->input);
    if (c->output < 1 || c->output > 65536)
        return rnl_fail(RNL_ERR_USAGE, "output size: expected 1..65536, got %d", c->output);
    if (c->mixtures < hd->min_mixtures || c->mixtures > hd->max_mixtures) {
        if (hd->max_mixtures == 0)
            return rnl_fail(RNL_ERR_USAGE, "a %s head has no mixtures (got %d)", hd->title, c->mixtures);
        return rnl_fail(RNL_ERR_USAGE, "--mixtures: expected %d..%d, got %d", hd->min_mixtures,
                        hd->max_mixtures, c->mixtures);
    }
    return RNL_OK;
}

/* ================================================================ tensor table ====== */

static void add_tensor(rnl_model *m, const char *name, int d0, int d1, int noisy) {
    rnl_tensor *t = &m->tensors[m->ntensors++];
    snprintf(t->name, sizeof t->name, "%s", name);
    t->ndim = d1 > 0 ? 2 : 1;
    t->shape[0] = d0;
    t->shape[1] = d1 > 0 ? d1 : 0;
    t->size = (size_t)d0 * (size_t)(d1 > 0 ? d1 : 1);
    t->offset = m->nparams;
    t->noisy = noisy;
    m->nparams += t->size;
}

/* The tensors of the cell's layers (names from its descriptor: gate suffixes in block
 * order, then the variant's extra tensors) and of the output layer. */
static void build_table(rnl_model *m) {
    const rnl_config *c = &m->cfg;
    const rnl_cell_desc *cd = m->cell;
    const rnl_cell_variant_desc *vd = &cd->variant[c->variant];
    const int G = cd->gates, H = c->hidden, width = m->head->width(c->output, c->mixtures);
    const char *const *gates = cd->gate;
    char name[RNL_MAX_NAME];
    for (int l = 0; l < c->layers; l++) {
        const int I = l == 0 ? c->input : H;
        m->layer_off[l] = m->nparams;
        for (int g = 0; g < G; g++) {
            snprintf(name, sizeof name, "rnn.%d.W%s", l, gates[g]);
            add_tensor(m, name, H, I, 1);
        }
        for (int g = 0; g < G; g++) {
            snprintf(name, sizeof name, "rnn.%d.U%s", l, gates[g]);
            add_tensor(m, name, H, H, 1);
        }
        for (int g = 0; g < G; g++) {
            snprintf(name, sizeof name, "rnn.%d.b%s", l, gates[g]);
            add_tensor(m, name, H, 0, 0);
        }
        for (int e = 0; e < vd->nextra; e++) {
            snprintf(name, sizeof name, "rnn.%d.%s", l, vd->extra[e]);
            add_tensor(m, name, H, 0, 0);
        }
    }
    m->nparams_rec = m->nparams;
    m->out_off = m->nparams;
    add_tensor(m, "out.W", width, H, 0);
    add_tensor(m, "out.b", width, 0, 0);
}

rnl_status rnl_model_create(const rnl_config *cfg, rnl_model **out) {
    *out = NULL;
    rnl_status st = rnl_config_check(cfg);
    if (st) return st;
    const rnl_cell_desc *cd = rnl_cell_describe(cfg->cell);
    const rnl_head_desc *hd = rnl_head_describe(cfg->head);
    if (!cd || !hd) /* rnl_config_check refused these */
        return rnl_fail(RNL_ERR_INTERNAL, "model: no descriptor for cell %d or head %d",
                        (int)cfg->cell, (int)cfg->head);
    rnl_model *m = calloc(1, sizeof *m);
    if (!m) return rnl_fail(RNL_ERR_NOMEM, "out of memory creating a model");
    m->cfg = *cfg;
    m->cell = cd;
    m->head = hd;
    build_table(m);
    m->params = rnl_alloc_reals(m->nparams);
    if (!m->params) {
        size_t n = m->nparams;
        free(m);
        return rnl_fail(RNL_ERR_NOMEM, "out of memory for %zu parameters", n);
    }
    m->meta.data_mean = 0.0;
    m->meta.data_std = 1.0;
    *out = m;
    return RNL_OK;
}

void rnl_model_free(rnl_model *m) {
    if (!m) return;
    free(m->params);
    free(m);
}

const rnl_config *rnl_model_config(const rnl_model *m) { return &m->cfg; }
rnl_real *rnl_model_params(rnl_model *m) { return m->params; }
size_t rnl_model_nparams(const rnl_model *m) { return m->nparams; }
size_t rnl_model_nparams_recurrent(const rnl_model *m) { return m->nparams_rec; }
int rnl_model_ntensors(const rnl_model *m) { return m->ntensors; }
const rnl_tensor *rnl_model_tensor(const rnl_model *m, int i) {
    return i >= 0 && i < m->ntensors ? &m->tensors[i] : NULL;
}
const rnl_tensor *rnl_model_find(const rnl_model *m, const char *name) {
    for (int i = 0; i < m->ntensors; i++)
        if (strcmp(m->tensors[i].name, name) == 0) return &m->tensors[i];
    return NULL;
}
rnl_model_meta *rnl_model_metadata(rnl_model *m) { return &m->meta; }

/* ================================================================ initialisation ==== */

/* An n x n orthogonal matrix: modified Gram-Schmidt on the rows of a Gaussian matrix
 * (positive diagonal of R, hence Haar-distributed). */
static rnl_status orthogonal(rnl_rng *rng, int n, rnl_real *out) {
    double *q = malloc(sizeof(double) * (size_t)n * n);
    if (!q) return rnl_fail(RNL_ERR_NOMEM, "out of memory in orthogonal initialisation");
    for (size_t k = 0; k < (size_t)n * n; k++) q[k] = rnl_rng_normal(rng);
    for (int i = 0; i < n; i++) {
        double *qi = q + (size_t)i * n;
        for (int j = 0; j < i; j++) {
            const double *qj = q + (size_t)j * n;
            double d = 0;
            for (int k = 0; k < n; k++) d += qi[k] * qj[k];
            for (int k = 0; k < n; k++) qi[k] -= d * qj[k];
        }
        double nn = 0;
        for (int k = 0; k < n; k++) nn += qi[k] * qi[k];
        nn = sqrt(nn);
        for (int k = 0; k < n; k++) qi[k] = nn > 0 ? qi[k] / nn : (k == i);
    }
    for (size_t k = 0; k < (size_t)n * n; k++) out[k] = (rnl_real)q[k];
    free(q);
    return RNL_OK;
}

rnl_status rnl_model_init(rnl_model *m, uint64_t seed, double forget_bias) {
    rnl_rng rng;
    rnl_rng_seed(&rng, seed);
    const double scale = 0.1;
    memset(m->params, 0, sizeof(rnl_real) * m->nparams);
    for (int i = 0; i < m->ntensors; i++) {
        const rnl_tensor *t = &m->tensors[i];
        rnl_real *p = m->params + t->offset;
        const char *leaf = strrchr(t->name, '.') + 1;
        if (leaf[0] == 'W') {
            for (size_t k = 0; k < t->size; k++) p[k] = (rnl_real)(scale * (2 * rnl_rng_uniform(&rng) - 1));
        } else if (leaf[0] == 'U') {
            rnl_status st = orthogonal(&rng, t->shape[0], p);
            if (st) return st;
        } else if (strcmp(leaf, "b_f") == 0) {
            for (size_t k = 0; k < t->size; k++) p[k] = (rnl_real)forget_bias;
        }
    }
    return RNL_OK;
}

/* ================================================================ state ============= */

rnl_status rnl_state_create(const rnl_model *m, int B, rnl_state **out) {
    *out = NULL;
    if (B < 1) return rnl_fail(RNL_ERR_USAGE, "state: batch must be >= 1, got %d", B);
    rnl_state *s = calloc(1, sizeof *s);
    if (!s) return rnl_fail(RNL_ERR_NOMEM, "out of memory for a state");
    s->layers = m->cfg.layers;
    s->B = B;
    s->H = m->cfg.hidden;
    size_t n = (size_t)s->layers * B * s->H;
    s->h = calloc(n, sizeof(rnl_real));
    s->c = m->cell->has_c ? calloc(n, sizeof(rnl_real)) : NULL;
    if (!s->h || (m->cell->has_c && !s->c)) {
        rnl_state_free(s);
        return rnl_fail(RNL_ERR_NOMEM, "out of memory for a state");
    }
    *out = s;
    return RNL_OK;
}

void rnl_state_free(rnl_state *s) {
    if (!s) return;
    free(s->h);
    free(s->c);
    free(s);
}

void rnl_state_zero(rnl_state *s) {
    size_t n = (size_t)s->layers * s->B * s->H;
    memset(s->h, 0, n * sizeof(rnl_real));
    if (s->c) memset(s->c, 0, n * sizeof(rnl_real));
}

/* ================================================================ workspace ========= */

struct rnl_workspace {
    rnl_real *arena;  /* one allocation carved into the buffers below */
    size_t cap;       /* elements in arena */
    int *nact;        /* [T] active rows per step */
    int nact_cap;
    int T, B;         /* shape of the last forward pass */
    int *ones;        /* [ones_cap] lengths of 1 for rnl_step, grown on demand */
    int ones_cap;
    rnl_layer_act act[RNL_MAX_LAYERS];
    rnl_real *x0;     /* [T*B, I] inputs, padded rows zeroed */
    rnl_real *logits; /* [T*B, width] */
    rnl_real *dlog;   /* [T*B, width] */
    rnl_real *dA, *dR;        /* [T*B, G*H] */
    rnl_real *dH1, *dH2;      /* [T*B, H] ping-pong gradients on layer outputs */
    rnl_real *dhn, *dcn;      /* [B, H] */
    rnl_real *tmp;            /* [B, 3H] (4H for safety) */
    /* Weight copies in the layouts the products read; at the start of the arena, where their
     * place does not depend on (T, B). */
    rnl_real *Pf[RNL_MAX_LAYERS]; /* each layer's U^T packed (GRU paper: two parts) */
    rnl_real *Pb;             /* U packed, for the backward of the layer being run */
    rnl_real *Po;             /* [H, width] the output layer's W^T packed */
    rnl_real *Pob;            /* [width, H] the output layer's W packed (backward) */
    rnl_real *WT0;            /* [I, G*H] layer 0's W transposed (sparse inputs) */
    rnl_real *dWT0;           /* [I, G*H] gradient of WT0 (sparse inputs) */
    /* Dropout (rnl_dropout), carved only when the pass drops: site s is layer s's output on
     * its way up (to layer s+1 or the output layer). */
    rnl_real *dmask[RNL_MAX_LAYERS]; /* [T*B, H] site s's mask: 0 or 1/(1-p) */
    rnl_real *dout[RNL_MAX_LAYERS];  /* [T*B, H] site s's dropped output, dmask ⊙ h */
    int drop;                 /* the last pass dropped (dmask, dout hold its masks) */
    int x_sparse;             /* layer 0's inputs are mostly zeros (piano roll) */
    int hold;                 /* rnl_workspace_hold */
    const rnl_real *held;     /* the params the copies above were made from, if held */
};

rnl_status rnl_workspace_create(rnl_workspace **out) {
    *out = calloc(1, sizeof **out);
    return *out ? RNL_OK : rnl_fail(RNL_ERR_NOMEM, "out of memory for a workspace");
}

void rnl_workspace_free(rnl_workspace *ws) {
    if (!ws) return;
    free(ws->arena);
    free(ws->nact);
    free(ws->ones);
    free(ws);
}

const rnl_real *rnl_workspace_logits(const rnl_workspace *ws) { return ws->logits; }

void rnl_workspace_hold(rnl_workspace *ws, int on) {
    ws->hold = on != 0;
    ws->held = NULL;
}

/* Carve (or, with base NULL, only count) the buffers for a (T, B) pass. */
static size_t carve(rnl_workspace *ws, const rnl_model *m, int T, int B, rnl_real *base) {
    const rnl_config *c = &m->cfg;
    const rnl_cell_desc *cd = m->cell;
    const size_t TB = (size_t)T * B, H = c->hidden, GH = (size_t)cd->gates * H;
    const size_t W = (size_t)m->head->width(c->output, c->mixtures);
    size_t off = 0;
#define TAKE(ptr, n)                                  \
    do {                                              \
        if (base) (ptr) = base + off;                 \
        off += ((size_t)(n) + 15) & ~(size_t)15;      \
    } while (0)
    const size_t pf = cd->variant[c->variant].split_pf
                          ? rnl_packed_len((int)H, (int)(2 * H)) + rnl_packed_len((int)H, (int)H)
                          : rnl_packed_len((int)H, (int)GH);
    for (int l = 0; l < c->layers; l++) TAKE(ws->Pf[l], pf);
    TAKE(ws->Pb, rnl_packed_len((int)GH, (int)H));
    TAKE(ws->Po, rnl_packed_len((int)H, (int)W));
    TAKE(ws->Pob, rnl_packed_len((int)W, (int)H));
    TAKE(ws->WT0, (size_t)c->input * GH);
    TAKE(ws->dWT0, (size_t)c->input * GH);
    for (int l = 0; l < c->layers; l++) {
        rnl_layer_act *a = &ws->act[l];
        TAKE(a->A, TB * GH);
        TAKE(a->Hs, (TB + B) * H);
        TAKE(a->aux, TB * H);
        if (cd->has_c) TAKE(a->Cs, (TB + B) * H);
        else if (base) a->Cs = NULL;
    }
    TAKE(ws->x0, TB * c->input);
    TAKE(ws->logits, TB * W);
    TAKE(ws->dlog, TB * W);
    TAKE(ws->dA, TB * GH);
    TAKE(ws->dR, TB * GH);
    TAKE(ws->dH1, TB * H);
    TAKE(ws->dH2, TB * H);
    TAKE(ws->dhn, B * H);
    TAKE(ws->dcn, B * H);
    TAKE(ws->tmp, B * 4 * H);
    for (int l = 0; ws->drop && l < c->layers; l++) {
        TAKE(ws->dmask[l], TB * H);
        TAKE(ws->dout[l], TB * H);
    }
#undef TAKE
    return off;
}

static rnl_status ws_prepare(rnl_workspace *ws, const rnl_model *m, int T, int B) {
    size_t need = carve(ws, m, T, B, NULL);
    if (need > ws->cap) {
        /* scratch only: the old contents are not carried over (carve() re-lays it out) */
        rnl_real *p = rnl_alloc_reals(need);
        if (!p) return rnl_fail(RNL_ERR_NOMEM, "out of memory for a workspace of %zu values", need);
        free(ws->arena);
        ws->arena = p;
        ws->cap = need;
        ws->held = NULL;
    }
    if (T > ws->nact_cap) {
        int *p = realloc(ws->nact, sizeof(int) * T);
        if (!p) return rnl_fail(RNL_ERR_NOMEM, "out of memory for a workspace");
        ws->nact = p;
        ws->nact_cap = T;
    }
    carve(ws, m, T, B, ws->arena);
    ws->T = T;
    ws->B = B;
    return RNL_OK;
}

/* ================================================================ forward/backward == */

static void layer_views(const rnl_model *m, const rnl_workspace *ws, int l, const rnl_real *params,
                        rnl_real *grad, rnl_layer_p *p, rnl_layer_g *g) {
    const rnl_config *c = &m->cfg;
    const rnl_cell_variant_desc *vd = &m->cell->variant[c->variant];
    const int H = c->hidden, G = m->cell->gates, I = l == 0 ? c->input : H;
    const size_t o = m->layer_off[l];
    const size_t oU = o + (size_t)G * H * I, ob = oU + (size_t)G * H * H, oe = ob + (size_t)G * H;
    const int has_extra = vd->nextra > 0;
    p->I = I;
    p->H = H;
    p->G = G;
    p->variant = c->variant;
    p->W = params + o;
    p->U = params + oU;
    p->Pf = ws->Pf[l];
    p->Pf2 = vd->split_pf ? ws->Pf[l] + rnl_packed_len(H, 2 * H) : NULL;
    p->Pb = ws->Pb;
    p->b = params + ob;
    p->extra = has_extra ? params + oe : NULL;
    if (g) {
        g->W = grad ? grad + o : NULL;
        g->U = grad ? grad + oU : NULL;
        g->b = grad ? grad + ob : NULL;
        g->extra = grad && has_extra ? grad + oe : NULL;
    }
}

/* Site l's dropout: a fresh mask over all T·B rows of layer l's output h [T*B, H] (the
 * padded rows carry finite states, cells.h), and the dropped output d = mask ⊙ h. */
static void dropout_site(rnl_workspace *ws, int l, rnl_rng *rng, double p, const rnl_real *h, size_t n) {
    rnl_real *mask = ws->dmask[l], *d = ws->dout[l];
    rnl_dropout_mask(rng, p, mask, n);
    for (size_t k = 0; k < n; k++) d[k] = mask[k] * h[k];
}

/* Forward over the batch up to the logits; state in/out as rnl_forward_backward; drop as
 * rnl_forward_backward_dropout (NULL: none). */
static rnl_status forward(const rnl_model *m, rnl_workspace *ws, const rnl_real *params,
                          const rnl_batch *bt, rnl_state *state, const rnl_dropout *drop) {
    const rnl_config *c = &m->cfg;
    const int T = bt->T, B = bt->B, H = c->hidden, I = c->input;
    const int G = m->cell->gates, width = m->head->width(c->output, c->mixtures);
    if (B < 1) return rnl_fail(RNL_ERR_USAGE, "batch: B must be >= 1, got %d", B);
    if (T < 0) return rnl_fail(RNL_ERR_USAGE, "batch: T must be >= 0, got %d", T);
    for (int b = 0; b < B; b++) {
        if (bt->len[b] < 0 || bt->len[b] > T || (b > 0 && bt->len[b] > bt->len[b - 1]))
            return rnl_fail(RNL_ERR_USAGE,
                            "batch: lengths must be non-increasing and within 0..%d (sequence %d has %d)",
                            T, b, bt->len[b]);
    }
    if (state && (state->B != B || state->layers != c->layers || state->H != H))
        return rnl_fail(RNL_ERR_USAGE, "state shape (%d layers, B %d, H %d) does not match the batch",
                        state->layers, state->B, state->H);
    if (drop && !(drop->p >= 0 && drop->p < 1))
        return rnl_fail(RNL_ERR_USAGE, "dropout: expected a probability in [0, 1), got %g", drop->p);
    ws->drop = drop && drop->p > 0;
    rnl_rng mask_rng;
    if (ws->drop) rnl_rng_seed(&mask_rng, drop->seed);
    rnl_status st = ws_prepare(ws, m, T, B);
    if (st) return st;
    /* the weight copies are remade unless held for these params */
    const int fresh = !(ws->hold && ws->held == params);
    if (fresh) ws->held = NULL; /* until this pass has remade them all */
    int *nact = ws->nact;
    for (int t = 0, b = B; t < T; t++) {
        while (b > 0 && bt->len[b - 1] <= t) b--;
        nact[t] = b;
    }
    /* Inputs: valid rows checked and copied, padded rows zeroed; count the non-zeros. */
    size_t nnz = 0;
    for (int t = 0; t < T; t++) {
        rnl_real *dst = ws->x0 + (size_t)t * B * I;
        const rnl_real *src = bt->x + (size_t)t * B * I;
        size_t nv = (size_t)nact[t] * I, bad = 0;
        for (size_t k = 0; k < nv; k++) { /* branch-free, vectorised; the error is rare */
            dst[k] = src[k];
            nnz += src[k] != 0;
            bad += !isfinite(src[k]);
        }
        for (size_t k = 0; bad && k < nv; k++)
            if (!isfinite(src[k]))
                return rnl_fail(RNL_ERR_DATA, "input is not finite at step %d of sequence %zu of the batch",
                                t, k / I);
        memset(dst + nv, 0, sizeof(rnl_real) * ((size_t)B * I - nv));
    }
    const size_t TB = (size_t)T * B;
    /* Piano rolls have ~4 of 88 notes on: below 1/4 density a row-sparse product wins. */
    ws->x_sparse = TB > 0 && nnz * 4 < TB * (size_t)I;
    for (int l = 0; l < c->layers; l++) {
        rnl_layer_p p;
        layer_views(m, ws, l, params, NULL, &p, NULL);
        rnl_layer_act *a = &ws->act[l];
        const rnl_real *in = l == 0 ? ws->x0 : ws->drop ? ws->dout[l - 1] : ws->act[l - 1].Hs + (size_t)B * H;
        const int GH = G * H;
        if (fresh) {
            if (p.Pf2) { /* GRU paper: the z, r blocks and U_h apart */
                rnl_pack('T', H, 2 * H, p.U, H, ws->Pf[l]);
                rnl_pack('T', H, H, p.U + (size_t)2 * H * H, H, ws->Pf[l] + rnl_packed_len(H, 2 * H));
            } else {
                rnl_pack('T', H, GH, p.U, H, ws->Pf[l]);
            }
            if (l == 0) rnl_transpose(p.W, GH, p.I, ws->WT0);
        }
        for (size_t r = 0; r < TB; r++) memcpy(a->A + r * GH, p.b, sizeof(rnl_real) * GH);
        if (l == 0 && ws->x_sparse) { /* A = b + x W^T */
            rnl_gemm_sparse_a((int)TB, GH, p.I, 1, in, p.I, ws->WT0, GH, 1, a->A, GH);
        } else {
            rnl_gemm('N', 'T', (int)TB, GH, p.I, 1, in, p.I, p.W, p.I, 1, a->A, GH);
        }
        if (state) {
            memcpy(a->Hs, state->h + (size_t)l * B * H, sizeof(rnl_real) * B * H);
            if (a->Cs) memcpy(a->Cs, state->c + (size_t)l * B * H, sizeof(rnl_real) * B * H);
        } else {
            memset(a->Hs, 0, sizeof(rnl_real) * B * H);
            if (a->Cs) memset(a->Cs, 0, sizeof(rnl_real) * B * H);
        }
        m->cell->forward(&p, a, T, B, nact, ws->tmp);
        if (state) {
            memcpy(state->h + (size_t)l * B * H, a->Hs + TB * H, sizeof(rnl_real) * B * H);
            if (a->Cs) memcpy(state->c + (size_t)l * B * H, a->Cs + TB * H, sizeof(rnl_real) * B * H);
        }
        if (ws->drop) dropout_site(ws, l, &mask_rng, drop->p, a->Hs + (size_t)B * H, TB * H);
    }
    /* logits = b + h W^T (h dropped, with dropout), the bias rows first (as for A) */
    const rnl_real *htop = ws->drop ? ws->dout[c->layers - 1] : ws->act[c->layers - 1].Hs + (size_t)B * H;
    const rnl_real *oW = params + m->out_off, *ob = oW + (size_t)width * H;
    if (fresh) rnl_pack('T', H, width, oW, H, ws->Po);
    for (size_t r = 0; r < TB; r++) memcpy(ws->logits + r * width, ob, sizeof(rnl_real) * width);
    rnl_gemm_packed((int)TB, width, H, 1, htop, H, ws->Po, H, 0, 0, 1, ws->logits, width);
    ws->held = ws->hold ? params : NULL;
    return RNL_OK;
}

/* The gradient through a dropout site: dh = mask ⊙ d(dropped h), in place. */
static void mask_grad(const rnl_real *mask, rnl_real *g, size_t n) {
    for (size_t k = 0; k < n; k++) g[k] *= mask[k];
}

rnl_status rnl_forward_backward(const rnl_model *m, rnl_workspace *ws, const rnl_real *params,
                                const rnl_batch *bt, rnl_real *grad, double scale,
                                rnl_state *state, double *nll_sum) {
    return rnl_forward_backward_dropout(m, ws, params, bt, grad, scale, state, NULL, nll_sum);
}

rnl_status rnl_forward_backward_dropout(const rnl_model *m, rnl_workspace *ws, const rnl_real *params,
                                        const rnl_batch *bt, rnl_real *grad, double scale,
                                        rnl_state *state, const rnl_dropout *drop, double *nll_sum) {
    const rnl_config *c = &m->cfg;
    if (nll_sum) *nll_sum = 0.0;
    if (!grad && !nll_sum) return rnl_fail(RNL_ERR_USAGE, "rnl_forward_backward: neither grad nor nll_sum requested");
    if (grad && !(scale > 0))
        return rnl_fail(RNL_ERR_USAGE, "loss scale must be positive, got %g", scale);
    rnl_status st = forward(m, ws, params, bt, state, drop);
    if (st) return st;
    const rnl_head_desc *hd = m->head;
    const int T = bt->T, B = bt->B, H = c->hidden, G = m->cell->gates;
    const int width = hd->width(c->output, c->mixtures), O = c->output;
    const size_t TB = (size_t)T * B;
    const int *nact = ws->nact;
    /* Head: NLL of every valid step, d loss / d logits (zero on padded rows). The loss value
     * only when asked for (training needs only the gradient), or when the head gets it with
     * the gradient anyway. */
    double nll = 0.0;
    double *nll_acc = nll_sum || hd->nll_with_grad ? &nll : NULL;
    if (grad) memset(ws->dlog, 0, sizeof(rnl_real) * TB * width);
    const rnl_real inv = grad ? (rnl_real)(1.0 / scale) : 0;
    for (int t = 0; t < T; t++) {
        const size_t r = (size_t)t * B; /* the step's valid rows are r .. r + nact[t] - 1 */
        hd->rows(ws->logits + r * width, bt->y + r * O, nact[t], O, c->mixtures, &m->meta, nll_acc, inv,
                 grad ? ws->dlog + r * width : NULL);
    }
    if (nll_sum) *nll_sum = nll;
    if (!isfinite(nll)) return rnl_fail(RNL_ERR_NUMERIC, "the loss is not finite (%g)", nll);
    if (!grad || T == 0) return RNL_OK;
    /* Subnormal gradients (far-away mixture components) to zero before the products read
     * them: each would cost the FMA a microcode assist (kernels.h). */
    rnl_flush_subnormals(ws->dlog, TB * width);

    /* Output layer (its input h dropped, with dropout: d = m ⊙ h, so dh = m ⊙ dd). */
    const rnl_real *htop = ws->drop ? ws->dout[c->layers - 1] : ws->act[c->layers - 1].Hs + (size_t)B * H;
    const rnl_real *oW = params + m->out_off;
    rnl_real *goW = grad + m->out_off, *gob = goW + (size_t)width * H;
    rnl_gemm('T', 'N', width, H, (int)TB, 1, ws->dlog, width, htop, H, 1, goW, H);
    for (size_t r = 0; r < TB; r++)
        for (int j = 0; j < width; j++) gob[j] += ws->dlog[r * width + j];
    rnl_real *dHin = ws->dH1, *dX = ws->dH2;
    rnl_pack('N', width, H, oW, H, ws->Pob);
    rnl_gemm_packed((int)TB, H, width, 1, ws->dlog, width, ws->Pob, width, 0, 0, 0, dHin, H);
    if (ws->drop) mask_grad(ws->dmask[c->layers - 1], dHin, TB * H);

    /* Layers, top to bottom. */
    for (int l = c->layers - 1; l >= 0; l--) {
        rnl_layer_p p;
        rnl_layer_g g;
        layer_views(m, ws, l, params, grad, &p, &g);
        const int GH = G * H;
        rnl_layer_bw bw = {ws->dA, ws->dR, ws->dhn, ws->dcn, ws->tmp};
        memset(ws->dA, 0, sizeof(rnl_real) * TB * GH);
        if (m->cell->variant[c->variant].uses_dR) memset(ws->dR, 0, sizeof(rnl_real) * TB * GH);
        rnl_pack('N', GH, H, p.U, H, ws->Pb);
        m->cell->backward(&p, &ws->act[l], T, B, nact, dHin, &bw, &g);
        const rnl_real *in = l == 0 ? ws->x0 : ws->drop ? ws->dout[l - 1] : ws->act[l - 1].Hs + (size_t)B * H;
        if (l == 0 && ws->x_sparse) {
            /* dW^T [I, GH] = X^T dA as a sum over the non-zeros of X, then added transposed. */
            memset(ws->dWT0, 0, sizeof(rnl_real) * (size_t)p.I * GH);
            rnl_gemm_sparse_at(p.I, GH, (int)TB, 1, in, p.I, ws->dA, GH, ws->dWT0, GH);
            for (int j = 0; j < GH; j++)
                for (int k = 0; k < p.I; k++) g.W[(size_t)j * p.I + k] += ws->dWT0[(size_t)k * GH + j];
        } else {
            rnl_gemm('T', 'N', GH, p.I, (int)TB, 1, ws->dA, GH, in, p.I, 1, g.W, p.I);
        }
        for (size_t r = 0; r < TB; r++)
            for (int j = 0; j < GH; j++) g.b[j] += ws->dA[r * GH + j];
        if (l > 0) {
            rnl_gemm('N', 'N', (int)TB, H, GH, 1, ws->dA, GH, p.W, p.I, 0, dX, H);
            if (ws->drop) mask_grad(ws->dmask[l - 1], dX, TB * H);
            rnl_real *sw = dHin;
            dHin = dX;
            dX = sw;
        }
    }
    return RNL_OK;
}

rnl_status rnl_step(const rnl_model *m, rnl_workspace *ws, const rnl_real *x, int B,
                    rnl_state *state, rnl_real *logits) {
    if (B > ws->ones_cap) { /* only when B grows: a stepping loop does not allocate */
        int *p = realloc(ws->ones, sizeof(int) * B);
        if (!p) return rnl_fail(RNL_ERR_NOMEM, "out of memory in rnl_step");
        ws->ones = p;
        for (int b = ws->ones_cap; b < B; b++) p[b] = 1;
        ws->ones_cap = B;
    }
    rnl_batch bt = {1, B, ws->ones, x, NULL};
    rnl_status st = forward(m, ws, m->params, &bt, state, NULL);
    if (st) return st;
    memcpy(logits, ws->logits,
           sizeof(rnl_real) * (size_t)B * m->head->width(m->cfg.output, m->cfg.mixtures));
    return RNL_OK;
}
