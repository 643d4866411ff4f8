/* heads.c — the table of output heads: one row per rnl_head, and the public name, parse and
 * width functions that read it. The heads themselves are head_<name>.c. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include "core/heads.h"

static const rnl_head_desc *const HEADS[] = {
    [RNL_HEAD_BERNOULLI] = &rnl_head_bernoulli,
    [RNL_HEAD_MOG] = &rnl_head_mog,
    [RNL_HEAD_SOFTMAX] = &rnl_head_softmax,
    [RNL_HEAD_GAUSS] = &rnl_head_gauss,
};
_Static_assert(sizeof HEADS / sizeof HEADS[0] == RNL_HEAD_COUNT,
               "one row of HEADS per rnl_head value");

const rnl_head_desc *rnl_head_describe(rnl_head h) {
    return (unsigned)h < RNL_HEAD_COUNT ? HEADS[h] : NULL;
}

const char *rnl_head_name(rnl_head h) {
    const rnl_head_desc *d = rnl_head_describe(h);
    return d ? d->name : "?";
}

int rnl_head_width(const rnl_config *cfg) {
    const rnl_head_desc *d = rnl_head_describe(cfg->head);
    return d ? d->width(cfg->output, cfg->mixtures) : 0;
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
                              HEADS[h]->name);
}

rnl_status rnl_head_parse(const char *s, rnl_head *out) {
    for (int h = 0; h < RNL_HEAD_COUNT; h++)
        if (s && strcmp(s, HEADS[h]->name) == 0) {
            *out = (rnl_head)h;
            return RNL_OK;
        }
    char names[128];
    rnl_head_names(names, sizeof names);
    return rnl_fail(RNL_ERR_USAGE, "head: expected %s, got '%s'", names, s ? s : "");
}
