/* random.c — xoshiro256** (Blackman & Vigna 2018) seeded through splitmix64. One generator
 * per run drives initialisation, shuffling, weight noise and sampling; its four words are
 * saved in the resume state so a resumed run continues the exact same stream. The bottom
 * layer holds it because data (the import's shuffle) and core (initialisation, noise) both
 * draw from it; core/noise.c builds the weight noise's bulk normals on top. */
#include <math.h>
#include "io/random.h"
#include "rnnlab.h"

uint64_t rnl_splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void rnl_rng_seed(rnl_rng *r, uint64_t seed) {
    uint64_t x = seed;
    for (int i = 0; i < 4; i++) r->s[i] = rnl_splitmix64(&x);
}

uint64_t rnl_rng_next(rnl_rng *r) {
    uint64_t *s = r->s;
    uint64_t result = rnl_rotl64(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rnl_rotl64(s[3], 45);
    return result;
}

double rnl_rng_uniform(rnl_rng *r) { return (double)(rnl_rng_next(r) >> 11) * 0x1.0p-53; }

double rnl_rng_normal(rnl_rng *r) {
    /* Box-Muller with u1 in (0, 1]; the second value is discarded so the state alone
     * determines the stream. */
    double u1 = 1.0 - rnl_rng_uniform(r);
    double u2 = rnl_rng_uniform(r);
    return sqrt(-2.0 * log(u1)) * cos(2.0 * M_PI * u2);
}

uint64_t rnl_rng_below(rnl_rng *r, uint64_t n) {
    /* Rejection of the top partial range keeps the result unbiased. */
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do x = rnl_rng_next(r);
    while (x >= limit);
    return x % n;
}

