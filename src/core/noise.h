/* noise.h — the weight noise's bulk normals (internal). */
#ifndef RNL_NOISE_H
#define RNL_NOISE_H

#include <stdint.h>
#include "rnnlab.h"

/* The two steps of rnl_rng_add_normal's bulk ziggurat (noise.c): fill 256 draws from eight
 * xoshiro256** lanes, and the rectangle step of a block of m <= 256 draws (misses marked in
 * mbits[(m + 15) / 16]). fast selects the AVX-512 version where the build has it (else the
 * plain loops run); rnl_rng_add_normal asks for it, the tests compare the two. */
void rnl_rng_lanes(uint64_t st[4][8], uint32_t out[256], int fast);
int rnl_rng_zig_block(const uint32_t *w, int m, float sg, rnl_real *o, uint16_t *mbits, int fast);

#endif
