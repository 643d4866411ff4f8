/* checksum.h — CRC-32C (Castagnoli), the checksum rnnlab stores in the files it writes.
 *
 * Definition (RFC 3720 §B.4, iSCSI): the CRC of the message bits, least significant bit of
 * each byte first, with the generator polynomial
 *     G(x) = x^32 + x^28 + x^27 + x^26 + x^25 + x^23 + x^22 + x^20 + x^19 + x^18 + x^14
 *            + x^13 + x^11 + x^10 + x^9 + x^8 + x^6 + 1
 * (0x1EDC6F41; 0x82F63B78 bit-reversed), the register preset to all ones and the result
 * inverted. Check value: CRC-32C("123456789") = 0xE3069283.
 *
 * Two implementations of the one function: rnl_crc32c_plain, a byte-at-a-time table (the
 * reference), and rnl_crc32c, which uses the SSE4.2 crc32 instruction (8 bytes per
 * instruction) when the build targets it and is rnl_crc32c_plain otherwise. tests/
 * test_safetensors.c checks that they agree on every length and alignment it tries.
 *
 * Both are incremental: crc = 0 starts a message, and feeding a message in pieces gives the
 * same value as feeding it whole:
 *     rnl_crc32c(rnl_crc32c(0, a, na), b, nb) == rnl_crc32c(0, a||b, na + nb). */
#ifndef RNL_CHECKSUM_H
#define RNL_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

/* CRC-32C of the message that `crc` summarises (0 for the empty one) followed by the n bytes
 * at p (p may be NULL when n is 0). Any alignment of p. */
uint32_t rnl_crc32c(uint32_t crc, const void *p, size_t n);
/* The same value from the byte-at-a-time table: the reference twin of rnl_crc32c. */
uint32_t rnl_crc32c_plain(uint32_t crc, const void *p, size_t n);
/* Which implementation rnl_crc32c is in this build: "sse4.2" or "table". */
const char *rnl_crc32c_impl(void);

#endif
