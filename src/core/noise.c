/* noise.c — weight noise: N(0, sigma²) added to the noisy tensors in bulk, by a ziggurat over
 * eight xoshiro256** lanes seeded from the run's generator (io/random.c), so the noise is a
 * pure function of the generator's state. */
#include <math.h>
#include "core/noise.h"
#include "io/random.h"
#include "io/util.h"
#include "rnnlab.h"

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
static uint32_t zig_wk[2 * ZIG_N]; /* (bits of w[i], k[i]) pairs, for the AVX-512 lookups */
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
        union { float f; uint32_t b; } wb = {zig_w[i]};
        zig_wk[2 * i] = wb.b;
        zig_wk[2 * i + 1] = zig_k[i];
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
            const uint64_t res = rnl_rotl64(s1 * 5, 7) * 9;
            out[step * 16 + l] = (uint32_t)res;
            out[step * 16 + 8 + l] = (uint32_t)(res >> 32);
            uint64_t t = s1 << 17;
            s2 ^= s0;
            s3 ^= s1;
            s1 ^= s2;
            s0 ^= s3;
            s2 ^= t;
            st[0][l] = s0, st[1][l] = s1, st[2][l] = s2, st[3][l] = rnl_rotl64(s3, 45);
        }
}

/* The rectangle step of a block: o[j] += sigma·(draw j) for every draw inside its
 * rectangle; the others (left for zig_slow) are marked by bit j mod 16 of mbits[j / 16].
 * Branch-free; accumulating here rather than in a second pass keeps batch-1 training ~3 %
 * faster. */
static int zig_block(const uint32_t *restrict w, int m, float sg, rnl_real *restrict o,
                     uint16_t *restrict mbits) {
    int misses = 0;
    for (int j0 = 0; j0 < m; j0 += 16) {
        const int n = m - j0 < 16 ? m - j0 : 16;
        uint32_t bits = 0;
        for (int q = 0; q < n; q++) {
            const int j = j0 + q;
            const uint32_t i = w[j] & 0xff, u = w[j] >> 9, neg = (w[j] & 0x100) << 23;
            union { float f; uint32_t b; } v = {(float)u * zig_w[i] * sg};
            v.b ^= neg;
            const uint32_t out = u >= zig_k[i];
            v.b &= out - 1u; /* +0 for a miss */
            o[j] += v.f;
            bits |= out << q;
            misses += (int)out;
        }
        mbits[j0 / 16] = (uint16_t)bits;
    }
    return misses;
}

#if defined(__AVX512F__) && !defined(RNL_DOUBLE)
/* The same two steps in AVX-512 intrinsics, the same bits (tests/test_kernels.c compares
 * them with the plain loops above): GCC 12 kept the eight lanes in scalar registers and
 * emulated the table lookups element by element, 2.4 ns per draw. */
#include <immintrin.h>
#define RNL_ZIG_FAST 1
static void lanes_fill_fast(uint64_t st[4][8], uint32_t *out /* [ZB] */) {
    __m512i s0 = _mm512_loadu_si512(st[0]), s1 = _mm512_loadu_si512(st[1]);
    __m512i s2 = _mm512_loadu_si512(st[2]), s3 = _mm512_loadu_si512(st[3]);
    for (int step = 0; step < ZB / 16; step++) {
        __m512i res = _mm512_add_epi64(_mm512_slli_epi64(s1, 2), s1); /* s1·5 */
        res = _mm512_rol_epi64(res, 7);
        res = _mm512_add_epi64(_mm512_slli_epi64(res, 3), res); /* ·9 */
        _mm256_storeu_si256((__m256i *)(out + step * 16), _mm512_cvtepi64_epi32(res));
        _mm256_storeu_si256((__m256i *)(out + step * 16 + 8),
                            _mm512_cvtepi64_epi32(_mm512_srli_epi64(res, 32)));
        const __m512i t = _mm512_slli_epi64(s1, 17);
        s2 = _mm512_xor_si512(s2, s0);
        s3 = _mm512_xor_si512(s3, s1);
        s1 = _mm512_xor_si512(s1, s2);
        s0 = _mm512_xor_si512(s0, s3);
        s2 = _mm512_xor_si512(s2, t);
        s3 = _mm512_rol_epi64(s3, 45);
    }
    _mm512_storeu_si512(st[0], s0);
    _mm512_storeu_si512(st[1], s1);
    _mm512_storeu_si512(st[2], s2);
    _mm512_storeu_si512(st[3], s3);
}

static int zig_block_fast(const uint32_t *restrict w, int m, float sg, float *restrict o,
                          uint16_t *restrict mbits) {
    int misses = 0;
    const __m512i lo8 = _mm512_set1_epi32(0xff), bit8 = _mm512_set1_epi32(0x100);
    const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
    const __m512 vs = _mm512_set1_ps(sg);
    for (int j = 0; j < m; j += 16) {
        const __mmask16 valid = m - j >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (m - j)) - 1u);
        const __m512i wv = _mm512_loadu_si512(w + j);
        const __m512i i = _mm512_and_si512(wv, lo8), u = _mm512_srli_epi32(wv, 9);
        const __m512i neg = _mm512_slli_epi32(_mm512_and_si512(wv, bit8), 23);
        /* (w[i], k[i]) pairs: two gathers of 8 64-bit entries, then even and odd halves */
        const __m512i g0 = _mm512_i32gather_epi64(_mm512_castsi512_si256(i), zig_wk, 8);
        const __m512i g1 = _mm512_i32gather_epi64(_mm512_extracti64x4_epi64(i, 1), zig_wk, 8);
        const __m512 wt = _mm512_castsi512_ps(_mm512_permutex2var_epi32(g0, even, g1));
        const __m512i kt = _mm512_permutex2var_epi32(g0, odd, g1);
        __m512 v = _mm512_mul_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(u), wt), vs);
        v = _mm512_castsi512_ps(_mm512_xor_si512(_mm512_castps_si512(v), neg));
        const __mmask16 out = _mm512_cmpge_epu32_mask(u, kt) & valid;
        const __m512 ov = _mm512_maskz_loadu_ps(valid, o + j);
        _mm512_mask_storeu_ps(o + j, valid & (__mmask16)~out, _mm512_add_ps(ov, v));
        mbits[j / 16] = out;
        misses += __builtin_popcount(out);
    }
    return misses;
}
#endif

void rnl_rng_lanes(uint64_t st[4][8], uint32_t out[256], int fast) {
#ifdef RNL_ZIG_FAST
    if (fast) {
        lanes_fill_fast(st, out);
        return;
    }
#endif
    lanes_fill(st, out);
}

int rnl_rng_zig_block(const uint32_t *w, int m, float sg, rnl_real *o, uint16_t *mbits, int fast) {
#ifdef RNL_ZIG_FAST
    if (fast) return zig_block_fast(w, m, sg, o, mbits);
#endif
    return zig_block(w, m, sg, o, mbits);
}

void rnl_rng_add_normal(rnl_rng *r, rnl_real *out, size_t n, double sigma) {
    if (!zig_ready) zig_init();
    uint64_t st[4][8], x = rnl_rng_next(r);
    for (int l = 0; l < 8; l++)
        for (int i = 0; i < 4; i++) st[i][l] = rnl_splitmix64(&x);
    uint32_t w[ZB];
    uint16_t mbits[ZB / 16];
    for (size_t k0 = 0; k0 < n; k0 += ZB) {
        const int m = n - k0 < ZB ? (int)(n - k0) : ZB;
        rnl_real *o = out + k0;
        rnl_rng_lanes(st, w, 1);
        int misses = rnl_rng_zig_block(w, m, (float)sigma, o, mbits, 1);
        for (int q = 0; misses && q < (m + 15) / 16; q++) /* ~3 misses per block */
            for (unsigned bits = mbits[q]; bits; bits &= bits - 1) {
                const int j = q * 16 + __builtin_ctz(bits), i = (int)(w[j] & 0xff);
                const double d = zig_slow(r, i, (double)(w[j] >> 9) * zig_x[i] * 0x1.0p-23);
                o[j] += (float)(sigma * ((w[j] & 0x100) ? -d : d));
                misses--;
            }
    }
}
