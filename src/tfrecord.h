/* tfrecord.h - TFRecord framing (DESIGN 5): each record is u64 length (LE),
 * u32 masked CRC-32C of those 8 bytes, the data, u32 masked CRC-32C of the
 * data. The scanner walks a file fed in pieces of any size, keeping nothing but
 * the current record's header and footer bytes: an indexer needs no memory
 * that grows with the file, and a reader gets each record's bytes as they pass. */
#ifndef S3D_TFRECORD_H
#define S3D_TFRECORD_H
#include <stddef.h>
#include <stdint.h>

#define TFR_OVERHEAD 16 /* header 12 + footer 4 */

typedef struct tfr_scan {
    /* set by the caller */
    int verify;            /* check both CRCs of every record */
    uint64_t file_size;    /* UINT64_MAX when unknown: a length past it fails at once */
    int stop_after_record; /* feed returns after each record (readers) */
    int (*on_data)(void *ud, const char *p, size_t n);             /* a record's bytes (optional) */
    void (*on_record)(void *ud, uint64_t offset, uint64_t length); /* one complete */
    void *ud;
    /* state */
    uint64_t pos;     /* file offset of the next byte fed */
    uint64_t rec_off; /* where the current record starts */
    uint64_t records; /* complete so far */
    int state;        /* 0: header, 1: data, 2: footer */
    unsigned have;    /* header or footer bytes gathered */
    unsigned char hdr[12], foot[4];
    uint64_t len, left; /* the record's data length, what is still to come */
    uint32_t crc;       /* of the data so far (verify) */
    char err[256];
} tfr_scan;

void tfr_scan_init(tfr_scan *s);
/* Feeds n bytes; returns how many were used (n, or fewer when a record ended
 * and stop_after_record is set), or -1 with s->err naming the record and the
 * byte offset. */
long long tfr_scan_feed(tfr_scan *s, const char *p, size_t n);
/* Inside a record's data without verify: passes over the rest of it and its
 * footer as if fed (the caller reads on from s->pos); returns the bytes
 * passed over, 0 when there is nothing to pass. The file size must be known,
 * so a record running past the end failed already at its header. */
uint64_t tfr_scan_skip(tfr_scan *s);
/* The end of the input: 0, or -1 when it cut a record short. */
int tfr_scan_finish(tfr_scan *s);
/* The 12 bytes before a record of `len` bytes, and the 4 after `data`. */
void tfr_header(uint64_t len, unsigned char out[12]);
void tfr_footer(const void *data, size_t len, unsigned char out[4]);
/* "<offset> <size>\n" (size = 16 + length), as DALI's tfrecord2idx writes it,
 * into out (>= 42 bytes); returns the bytes written. */
size_t tfr_index_line(uint64_t offset, uint64_t length, char *out);
#endif
