/* dropout.c — the masks of inverted dropout (rnnlab.h rnl_dropout; model.c applies them). */
#include <math.h>
#include "rnnlab.h"

/* P(drop) = thr / 2^32 with thr = round(p · 2^32), capped below 2^32 (p < 1): within 2^-33
 * of p. A kept value is 1/(1-p), so that E[m · h] = h (up to that rounding). */
void rnl_dropout_mask(rnl_rng *r, double p, rnl_real *mask, size_t n) {
    const double t = nearbyint(p * 4294967296.0);
    const uint64_t thr = t >= 4294967295.0 ? 4294967295u : t > 0 ? (uint64_t)t : 0;
    const rnl_real keep = (rnl_real)(1.0 / (1.0 - p));
    for (size_t k = 0; k < n; k += 2) {
        const uint64_t u = rnl_rng_next(r);
        mask[k] = (u & 0xffffffffu) < thr ? 0 : keep;
        if (k + 1 < n) mask[k + 1] = (u >> 32) < thr ? 0 : keep;
    }
}
