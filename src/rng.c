/* rng.c — xoshiro256** (Blackman & Vigna 2018) seeded through splitmix64. One generator per
 * run drives initialisation, shuffling, weight noise and sampling; its four words are saved
 * in the resume state so a resumed run continues the exact same stream. */
#include <math.h>
#include "rnnlab.h"

static uint64_t splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void rnl_rng_seed(rnl_rng *r, uint64_t seed) {
    uint64_t x = seed;
    for (int i = 0; i < 4; i++) r->s[i] = splitmix64(&x);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t rnl_rng_next(rnl_rng *r) {
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
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

/* ---------------------------------------------------------------- ziggurat ---------- */
/* Weight noise needs ~20 K normal draws per update; Box-Muller's log and sincos made them a
 * quarter of the training time. The ziggurat (Marsaglia & Tsang 2000) covers the density
 * f(x) = exp(−x²/2) with 256 strips of equal area v; a draw picks a strip and a point in it
 * and is accepted at once 99% of the time (one 64-bit draw, a multiply, a compare). The
 * tables follow from r and v alone and are computed at first use. rnl_rng_normal
 * (Box-Muller) stays as the plain reference; tests/test_kernels.c compares them. */
#define ZIG_N 256
#define ZIG_R 3.6541528853610088
#define ZIG_V 4.92867323399e-3
static double zig_x[ZIG_N + 1], zig_f[ZIG_N + 1];
static int zig_ready;

static void zig_init(void) {
    zig_x[0] = ZIG_V / exp(-0.5 * ZIG_R * ZIG_R); /* width of the base strip + tail */
    zig_x[1] = ZIG_R;
    for (int i = 1; i < ZIG_N - 1; i++)
        zig_x[i + 1] = sqrt(-2.0 * log(ZIG_V / zig_x[i] + exp(-0.5 * zig_x[i] * zig_x[i])));
    zig_x[ZIG_N] = 0;
    for (int i = 0; i <= ZIG_N; i++) zig_f[i] = exp(-0.5 * zig_x[i] * zig_x[i]);
    zig_ready = 1;
}

static double zig_normal(rnl_rng *r) {
    for (;;) {
        uint64_t u = rnl_rng_next(r);
        int i = (int)(u & 0xff);
        double sign = (u & 0x100) ? -1.0 : 1.0;
        double x = (double)(u >> 11) * 0x1.0p-53 * zig_x[i];
        if (x < zig_x[i + 1]) return sign * x; /* inside the strip's inner rectangle */
        if (i == 0) {                           /* the tail beyond r */
            double a, b;
            do {
                a = -log(1.0 - rnl_rng_uniform(r)) / ZIG_R;
                b = -log(1.0 - rnl_rng_uniform(r));
            } while (2 * b < a * a);
            return sign * (ZIG_R + a);
        }
        double y = zig_f[i + 1] + rnl_rng_uniform(r) * (zig_f[i] - zig_f[i + 1]);
        if (y < exp(-0.5 * x * x)) return sign * x;
    }
}

void rnl_rng_add_normal(rnl_rng *r, rnl_real *out, size_t n, double sigma) {
    if (!zig_ready) zig_init();
    for (size_t k = 0; k < n; k++) out[k] += (rnl_real)(sigma * zig_normal(r));
}
