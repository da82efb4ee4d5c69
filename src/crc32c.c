/* crc32c.c - CRC-32C through Intel ISA-L (Debian libisal): its crc32_iscsi
 * picks the fastest code for the CPU at run time (folding with PCLMULQDQ and
 * three interleaved crc32 streams); bench/bench_crc32c.c measures it against a
 * plain SSE4.2 crc32 loop (docs/ARCHITECTURE.md has the figures). */
#include "crc32c.h"
#include <isa-l/crc.h>
#include <limits.h>

uint32_t crc32c(uint32_t crc, const void *buf, size_t len)
{
    /* ISA-L keeps the register without the final inversion, and takes an int */
    uint32_t r = ~crc;
    const unsigned char *p = buf;
    while (len) {
        size_t n = len < (size_t)INT_MAX ? len : (size_t)1 << 30;
        r = crc32_iscsi((unsigned char *)p, (int)n, r);
        p += n, len -= n;
    }
    return ~r;
}

uint32_t crc32c_mask(uint32_t c)
{
    return ((c >> 15) | (c << 17)) + 0xa282ead8u;
}
