/* tfrecord.c - the TFRecord scanner and framing of tfrecord.h. */
#include "tfrecord.h"
#include "crc32c.h"
#include <stdio.h>
#include <string.h>

static uint64_t get_le64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
    return v;
}

static uint32_t get_le32(const unsigned char *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_le32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}

void tfr_scan_init(tfr_scan *s)
{
    memset(s, 0, sizeof *s);
    s->file_size = UINT64_MAX;
}

#define FAIL(...) (snprintf(s->err, sizeof s->err, __VA_ARGS__), -1)

/* The 12 header bytes are in: the length, checked. */
static int header_done(tfr_scan *s)
{
    s->len = get_le64(s->hdr);
    if (s->verify && crc32c_mask(crc32c(0, s->hdr, 8)) != get_le32(s->hdr + 8))
        return FAIL("record %llu at offset %llu: the length's CRC does not match (a corrupt "
                    "length field, or not a TFRecord file)",
                    (unsigned long long)s->records, (unsigned long long)s->rec_off);
    if (s->file_size != UINT64_MAX &&
        (s->len > s->file_size || s->rec_off + TFR_OVERHEAD + s->len > s->file_size))
        return FAIL("record %llu at offset %llu: length %llu runs past the end of the file "
                    "(%llu bytes): truncated, or a corrupt length",
                    (unsigned long long)s->records, (unsigned long long)s->rec_off,
                    (unsigned long long)s->len, (unsigned long long)s->file_size);
    s->left = s->len;
    s->crc = 0;
    s->state = 1;
    return 0;
}

/* The 4 footer bytes are in: the record is complete. */
static int footer_done(tfr_scan *s)
{
    if (s->verify) {
        uint32_t want = get_le32(s->foot), got = crc32c_mask(s->crc);
        if (want != got)
            return FAIL("record %llu at offset %llu: the data's CRC does not match (stored "
                        "0x%08x, computed 0x%08x): corrupt data",
                        (unsigned long long)s->records, (unsigned long long)s->rec_off, want, got);
    }
    if (s->on_record) s->on_record(s->ud, s->rec_off, s->len);
    s->records++;
    s->rec_off = s->pos;
    s->state = 0;
    s->have = 0;
    return 0;
}

long long tfr_scan_feed(tfr_scan *s, const char *p, size_t n)
{
    size_t used = 0;
    while (used < n) {
        size_t room = n - used;
        if (s->have == 0 && s->state != 1 && room >= 12) { /* whole header or footer: no loop */
            if (s->state == 0) {
                memcpy(s->hdr, p + used, 12);
                used += 12, s->pos += 12;
                if (header_done(s)) return -1;
            } else {
                memcpy(s->foot, p + used, 4);
                used += 4, s->pos += 4;
                if (footer_done(s)) return -1;
                if (s->stop_after_record) break;
            }
            continue;
        }
        if (s->state == 0 || s->state == 2) {
            unsigned char *dst = s->state == 0 ? s->hdr : s->foot;
            unsigned want = s->state == 0 ? 12 : 4;
            size_t take = want - s->have < room ? want - s->have : room;
            memcpy(dst + s->have, p + used, take);
            s->have += (unsigned)take;
            used += take;
            s->pos += take;
            if (s->have < want) break;
            s->have = 0;
            if (s->state == 0) {
                if (header_done(s)) return -1;
            } else {
                if (footer_done(s)) return -1;
                if (s->stop_after_record) break;
            }
        } else {
            size_t take = s->left < room ? (size_t)s->left : room;
            const char *d = p + used;
            if (s->verify) s->crc = crc32c(s->crc, d, take);
            if (s->on_data && take && s->on_data(s->ud, d, take))
                return FAIL("record %llu at offset %llu: out of memory for its %llu bytes",
                            (unsigned long long)s->records, (unsigned long long)s->rec_off,
                            (unsigned long long)s->len);
            s->left -= take;
            used += take;
            s->pos += take;
            if (!s->left) s->state = 2;
        }
    }
    return (long long)used;
}

uint64_t tfr_scan_skip(tfr_scan *s)
{
    if (s->state != 1 || s->verify || s->on_data || s->file_size == UINT64_MAX) return 0;
    uint64_t n = s->left + 4;
    s->pos += n;
    s->left = 0;
    footer_done(s); /* cannot fail without verify */
    return n;
}

int tfr_scan_finish(tfr_scan *s)
{
    if (s->state == 0 && s->have == 0) return 0;
    if (s->state == 0)
        return FAIL("record %llu at offset %llu: the file ends inside its length field (%u of 12 "
                    "header bytes)",
                    (unsigned long long)s->records, (unsigned long long)s->rec_off, s->have);
    if (s->state == 1)
        return FAIL("record %llu at offset %llu: the file ends inside its data (%llu of %llu "
                    "bytes)",
                    (unsigned long long)s->records, (unsigned long long)s->rec_off,
                    (unsigned long long)(s->len - s->left), (unsigned long long)s->len);
    return FAIL("record %llu at offset %llu: the file ends inside its data CRC (%u of 4 bytes)",
                (unsigned long long)s->records, (unsigned long long)s->rec_off, s->have);
}

void tfr_header(uint64_t len, unsigned char out[12])
{
    for (int i = 0; i < 8; i++) out[i] = (unsigned char)(len >> (8 * i));
    put_le32(out + 8, crc32c_mask(crc32c(0, out, 8)));
}

void tfr_footer(const void *data, size_t len, unsigned char out[4])
{
    put_le32(out, crc32c_mask(crc32c(0, data, len)));
}

static size_t put_u64(uint64_t v, char *out)
{
    static const char pairs[] =
        "00010203040506070809101112131415161718192021222324252627282930313233"
        "34353637383940414243444546474849505152535455565758596061626364656667"
        "6869707172737475767778798081828384858687888990919293949596979899";
    char tmp[20];
    size_t n = 20;
    while (v >= 100) { /* two digits per division: one index line per record */
        unsigned d = (unsigned)(v % 100);
        v /= 100;
        tmp[--n] = pairs[2 * d + 1];
        tmp[--n] = pairs[2 * d];
    }
    if (v >= 10) {
        tmp[--n] = pairs[2 * v + 1];
        tmp[--n] = pairs[2 * v];
    } else {
        tmp[--n] = (char)('0' + v);
    }
    memcpy(out, tmp + n, 20 - n);
    return 20 - n;
}

size_t tfr_index_line(uint64_t offset, uint64_t length, char *out)
{
    size_t n = put_u64(offset, out);
    out[n++] = ' ';
    n += put_u64(length + TFR_OVERHEAD, out + n);
    out[n++] = '\n';
    return n;
}
