/* oplog_read.h - streaming op-log reader (DESIGN 5). */
#ifndef S3D_OPLOG_READ_H
#define S3D_OPLOG_READ_H
#include <stddef.h>
#include <stdint.h>

typedef struct oplog_reader oplog_reader;

/* One entry; strings point into the reader's line (valid until the next call).
 * Times are nanoseconds since the epoch (0: absent). */
typedef struct oplog_rec {
    uint64_t idx, thread, n_objects, bytes;
    const char *op, *client_id, *endpoint, *file, *error;
    size_t op_len, client_id_len, endpoint_len, file_len, error_len;
    int64_t start, first_byte, end, duration_ns;
    unsigned long long line; /* where it came from */
} oplog_rec;

oplog_reader *oplog_reader_open(const char *path, char *err, size_t errlen);
/* 1: *rec is the next entry; 0: the end; -1: a bad line, oplog_reader_error()
 * names file:line and the field (the reader can go on with the next line);
 * -2: the input itself failed (unreadable, corrupt or cut zstd): no more. */
int oplog_reader_next(oplog_reader *r, oplog_rec *rec);
const char *oplog_reader_error(const oplog_reader *r);
/* The name errors give for the log (a URI it was fetched from); 0 or -1. */
int oplog_reader_set_name(oplog_reader *r, const char *name);
void oplog_reader_close(oplog_reader *r);
/* RFC 3339 ("2026-11-24T10:00:00.123456789Z", "...+02:00", fraction of any
 * length or none) -> ns since the epoch; -1 when it is not one. */
int64_t oplog_parse_time(const char *s, size_t n);
#endif
