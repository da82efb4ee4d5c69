/* oplog.h - the op-log writer (DESIGN 5): one entry per store operation, from
 * every thread, never dropped.
 *
 * Entries are formatted by the thread that made the operation into a block of
 * its own and handed to one writer thread when the block fills (or at a flush);
 * the writer compresses (zstd, when the name ends .zst) and writes. When the
 * writer falls behind, a producer waits for a free block: the workload slows
 * down, no entry is lost. Every block written is complete on disk (a whole
 * zstd frame), so a crash leaves a readable log up to the last one.
 *
 * Formats by name: .tsv (default) or .jsonl, each optionally .zst. TSV has a
 * header line and the 13 columns of s3dlio/warp:
 *   idx thread op client_id n_objects bytes endpoint file error start first_byte end duration_ns
 * with times in RFC 3339 UTC, 9 fractional digits; JSONL the same names. */
#ifndef S3D_OPLOG_H
#define S3D_OPLOG_H
#include <stddef.h>
#include <stdint.h>

typedef struct oplog oplog;

typedef struct oplog_entry {
    int thread;     /* 1-based runtime thread */
    const char *op; /* GET, PUT, HEAD, LIST, DELETE, DELETE_BATCH, ... */
    uint64_t n_objects;
    uint64_t bytes;
    const char *endpoint; /* server URL, or "" */
    const char *uri;      /* the object's URI (uri_base + key) */
    const char *key;
    size_t keylen;
    const char *error;               /* "" on success; tabs and newlines are replaced */
    uint64_t start, first_byte, end; /* uv_hrtime() values; first_byte 0: none */
    int wall; /* the times are ns since the epoch already (a log being converted) */
} oplog_entry;

/* The log writing to path, opened (created or truncated) on first use: every
 * thread asking for one path gets the same log. NULL with err on failure. */
oplog *oplog_acquire(const char *path, char *err, size_t errlen);
/* The log of --op-log: every store opened gets it (NULL: none). */
extern oplog *oplog_default;
/* Writes out and closes every log (once all threads are done); 0, or -1 when
 * one could not be written (reported on stderr). */
int oplog_finish_all(void);
/* Adds one entry; safe from any thread. */
void oplog_record(oplog *log, const oplog_entry *e);
/* Writes everything now and closes the file (single-threaded runs only: other
 * threads may not be recording); later entries are dropped. 0, or -1 with err
 * (a write failed). */
int oplog_close(oplog *log, char *err, size_t errlen);
/* Entries recorded so far (every thread). */
uint64_t oplog_count(const oplog *log);
const char *oplog_path(const oplog *log);
#endif
