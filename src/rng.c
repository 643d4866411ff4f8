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
/* For the bulk path below: the rectangle test as an integer bound on a 23-bit position,
 * k[i] = 2^23·x[i+1]/x[i], and the position's scale to a value, w[i] = x[i]·2^-23. */
static uint32_t zig_k[ZIG_N];
static float zig_w[ZIG_N];
static int zig_ready;

static void zig_init(void) {
    zig_x[0] = ZIG_V / exp(-0.5 * ZIG_R * ZIG_R); /* width of the base strip + tail */
    zig_x[1] = ZIG_R;
    for (int i = 1; i < ZIG_N - 1; i++)
        zig_x[i + 1] = sqrt(-2.0 * log(ZIG_V / zig_x[i] + exp(-0.5 * zig_x[i] * zig_x[i])));
    zig_x[ZIG_N] = 0;
    for (int i = 0; i <= ZIG_N; i++) zig_f[i] = exp(-0.5 * zig_x[i] * zig_x[i]);
    for (int i = 0; i < ZIG_N; i++) {
        zig_k[i] = (uint32_t)(0x1.0p23 * (zig_x[i + 1] / zig_x[i]));
        zig_w[i] = (float)(zig_x[i] * 0x1.0p-23);
    }
    zig_ready = 1;
}

/* The rare cases of a draw of strip i at point x = u·x[i] that missed the inner rectangle:
 * the tail (i = 0) or the wedge test, and a fresh draw if the wedge rejects it. */
static double zig_slow(rnl_rng *r, int i, double x);

static double zig_normal(rnl_rng *r) {
    uint64_t u = rnl_rng_next(r);
    int i = (int)(u & 0xff);
    double sign = (u & 0x100) ? -1.0 : 1.0;
    double x = (double)(u >> 11) * 0x1.0p-53 * zig_x[i];
    if (x < zig_x[i + 1]) return sign * x; /* inside the strip's inner rectangle */
    return sign * zig_slow(r, i, x);
}

static double zig_slow(rnl_rng *r, int i, double x) {
    if (i == 0) { /* the tail beyond r */
        double a, b;
        do {
            a = -log(1.0 - rnl_rng_uniform(r)) / ZIG_R;
            b = -log(1.0 - rnl_rng_uniform(r));
        } while (2 * b < a * a);
        return ZIG_R + a;
    }
    double y = zig_f[i + 1] + rnl_rng_uniform(r) * (zig_f[i] - zig_f[i + 1]);
    if (y < exp(-0.5 * x * x)) return x;
    return fabs(zig_normal(r));
}

/* Weight noise in bulk. The scalar ziggurat above (the reference) is bound by its serial
 * generator; here eight xoshiro256** lanes step together (64-bit SIMD), each 64-bit word
 * gives two 32-bit draws (strip 8 bits, sign 1, position 23), and the rectangle test is the
 * integer compare u < k[i] with k[i] = 2^23·x[i+1]/x[i], so a block of 256 draws is one
 * loop the compiler vectorises. About 1.2% of draws miss the rectangle; they are finished
 * one by one by zig_slow() with the main generator. The lanes are seeded from one draw of
 * the main generator per call (splitmix64), so the noise needs no state of its own and a
 * resumed run continues the same stream. tests/test_kernels.c checks the distribution
 * (moments, tail mass, Kolmogorov-Smirnov) at large and small n. */
#define ZB 256 /* draws per block: 128 words = 16 steps of 8 lanes */

static void lanes_fill(uint64_t st[4][8], uint32_t *out /* [ZB] */) {
    for (int step = 0; step < ZB / 16; step++)
        for (int l = 0; l < 8; l++) {
            uint64_t s0 = st[0][l], s1 = st[1][l], s2 = st[2][l], s3 = st[3][l];
            const uint64_t res = rotl(s1 * 5, 7) * 9;
            out[step * 16 + l] = (uint32_t)res;
            out[step * 16 + 8 + l] = (uint32_t)(res >> 32);
            uint64_t t = s1 << 17;
            s2 ^= s0;
            s3 ^= s1;
            s1 ^= s2;
            s0 ^= s3;
            s2 ^= t;
            st[0][l] = s0, st[1][l] = s1, st[2][l] = s2, st[3][l] = rotl(s3, 45);
        }
}

/* The rectangle step of a block: o[j] += sigma·(draw j) for every draw inside its
 * rectangle, miss[j] = 1 for the others (left for zig_slow). Branch-free; accumulating here
 * rather than in a second pass keeps batch-1 training ~3 % faster. */
static int zig_block(const uint32_t *restrict w, int m, float sg, rnl_real *restrict o,
                     uint32_t *restrict miss) {
    int misses = 0;
    for (int j = 0; j < m; j++) {
        const uint32_t i = w[j] & 0xff, u = w[j] >> 9, neg = (w[j] & 0x100) << 23;
        union { float f; uint32_t b; } v = {(float)u * zig_w[i] * sg};
        v.b ^= neg;
        const uint32_t out = u >= zig_k[i];
        v.b &= out - 1u; /* +0 for a miss */
        o[j] += v.f;
        miss[j] = out;
        misses += (int)out;
    }
    return misses;
}

void rnl_rng_add_normal(rnl_rng *r, rnl_real *out, size_t n, double sigma) {
    if (!zig_ready) zig_init();
    uint64_t st[4][8], x = rnl_rng_next(r);
    for (int l = 0; l < 8; l++)
        for (int i = 0; i < 4; i++) st[i][l] = splitmix64(&x);
    uint32_t w[ZB], miss[ZB];
    for (size_t k0 = 0; k0 < n; k0 += ZB) {
        const int m = n - k0 < ZB ? (int)(n - k0) : ZB;
        rnl_real *o = out + k0;
        lanes_fill(st, w);
        int misses = zig_block(w, m, (float)sigma, o, miss);
        for (int j = 0; misses && j < m; j++)
            if (miss[j]) {
                const int i = (int)(w[j] & 0xff);
                const double d = zig_slow(r, i, (double)(w[j] >> 9) * zig_x[i] * 0x1.0p-23);
                o[j] += (float)(sigma * ((w[j] & 0x100) ? -d : d));
                misses--;
            }
    }
}
