/* heads.c — the output heads by rnl_head: the descriptor of the chosen kernel set, and the
 * public name, parse and width functions; the helpers the heads share (the mixture pick,
 * per-row NLLs). The heads themselves are head_<name>.c. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "core/heads.h"
#include "core/kset.h"

/* The table is the kernel set's (kset.c), as for the cells (cells.c): descriptors from the
 * chosen set, names and widths from the plain set's (the same in every set). */
const rnl_head_desc *rnl_head_describe(rnl_head h) {
    return (unsigned)h < RNL_HEAD_COUNT ? rnl_kset_active()->head[h] : NULL;
}

static const rnl_head_desc *head_meta(int h) { return rnl_kset_table(RNL_KSET_PLAIN)->head[h]; }

const char *rnl_head_name(rnl_head h) {
    return (unsigned)h < RNL_HEAD_COUNT ? head_meta(h)->name : "?";
}

int rnl_head_width(const rnl_config *cfg) {
    return (unsigned)cfg->head < RNL_HEAD_COUNT ? head_meta(cfg->head)->width(cfg->output, cfg->mixtures) : 0;
}

int rnl_mixture_pick(const rnl_real *logits, int K, double temperature, rnl_rng *rng) {
    double mx = -INFINITY, tot = 0;
    for (int k = 0; k < K; k++) {
        const double v = (double)logits[k] / temperature;
        mx = v > mx ? v : mx;
    }
    for (int k = 0; k < K; k++) tot += exp((double)logits[k] / temperature - mx);
    const double u = rnl_rng_uniform(rng) * tot;
    double acc = 0;
    for (int k = 0; k < K; k++) {
        acc += exp((double)logits[k] / temperature - mx);
        if (u < acc) return k;
    }
    return K - 1;
}

void rnl_head_rows_by_nll(const rnl_head_desc *hd, const rnl_real *a, const rnl_real *y, int n, int O, int K,
                          const rnl_model_meta *md, double *nll, rnl_real scale, rnl_real *da) {
    const int W = hd->width(O, K);
    for (int b = 0; b < n; b++) {
        rnl_real *d = da ? da + (size_t)b * W : NULL;
        const double v = hd->nll(a + (size_t)b * W, y + (size_t)b * O, O, K, md, d);
        if (nll) *nll += v;
        if (d)
            for (int j = 0; j < W; j++) d[j] *= scale;
    }
}

void rnl_head_grad_by_nll(const rnl_head_desc *hd, const rnl_real *a, const rnl_real *y, int O, int K,
                          const rnl_model_meta *md, rnl_real scale, rnl_real *da) {
    hd->nll(a, y, O, K, md, da);
    const int W = hd->width(O, K);
    for (int j = 0; j < W; j++) da[j] *= scale;
}

void rnl_head_names(char *out, size_t n) {
    size_t k = 0;
    if (n) out[0] = '\0';
    for (int h = 0; h < RNL_HEAD_COUNT && k < n; h++)
        k += (size_t)snprintf(out + k, n - k, "%s%s",
                              h == 0 ? "" : h == RNL_HEAD_COUNT - 1 ? " or " : ", ",
                              head_meta(h)->name);
}

rnl_status rnl_head_parse(const char *s, rnl_head *out) {
    for (int h = 0; h < RNL_HEAD_COUNT; h++)
        if (s && strcmp(s, head_meta(h)->name) == 0) {
            *out = (rnl_head)h;
            return RNL_OK;
        }
    char names[128];
    rnl_head_names(names, sizeof names);
    return rnl_fail(RNL_ERR_USAGE, "head: expected %s, got '%s'", names, s ? s : "");
}
