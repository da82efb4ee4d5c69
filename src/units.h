/* units.h - sizes ("4KiB", "1MB", "2GiB") and durations ("30s", "500ms"). */
#ifndef S3D_UNITS_H
#define S3D_UNITS_H
#include <stdint.h>

/* Returns 0 and sets *out, or -1 when s is not a size. Plain numbers are bytes;
 * k/M/G/T are powers of 1000, Ki/Mi/Gi/Ti powers of 1024; an optional "B". */
int units_parse_size(const char *s, uint64_t *out);
/* Returns 0 and sets *out_ns, or -1. Units ns us ms s m h; a bare number is seconds. */
int units_parse_duration(const char *s, uint64_t *out_ns);
/* Formats bytes as "1.50 MiB" into buf; returns buf. */
const char *units_fmt_size(double bytes, char *buf, int len);
#endif
