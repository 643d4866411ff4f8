/* random.h — the generator's building blocks shared with the bulk noise (internal; the
 * generator itself, rnl_rng_*, is public in rnnlab.h). */
#ifndef RNL_RANDOM_H
#define RNL_RANDOM_H

#include <stdint.h>

/* splitmix64 (Steele, Lea & Flood 2014): advance *x and return the next output; seeds
 * xoshiro256** states. */
uint64_t rnl_splitmix64(uint64_t *x);
static inline uint64_t rnl_rotl64(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

#endif
