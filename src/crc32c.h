/* crc32c.h - CRC-32C (Castagnoli), as iSCSI, ext4 and TFRecord use it. */
#ifndef S3D_CRC32C_H
#define S3D_CRC32C_H
#include <stddef.h>
#include <stdint.h>

/* The CRC-32C of buf continued from crc (0 to start): crc32c(0, "123456789", 9)
 * = 0xe3069283, and crc32c(crc32c(0, a), b) = crc32c(0, a b). */
uint32_t crc32c(uint32_t crc, const void *buf, size_t len);
/* TFRecord's masked form: ((c >> 15) | (c << 17)) + 0xa282ead8. */
uint32_t crc32c_mask(uint32_t c);
#endif
