/* oplog.c - the op-log writer of oplog.h. */
#include "oplog.h"
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>
#include <zstd.h>

#define BLOCK_SIZE   (256 * 1024)
#define URI_MAX      8192 /* bytes of a URI (store + key) written; longer ones are cut */
#define ENDPOINT_MAX 1024
#define ERROR_MAX    512
/* the longest line: every text byte escaped as \u00XX in JSON, plus the rest */
#define ENTRY_MAX   (6 * (URI_MAX + ENDPOINT_MAX + ERROR_MAX) + 512)
#define MAX_THREADS 1024
#define MAX_WAITING 64 /* blocks beyond the threads' own: 16 MiB of lines, then producers wait */

typedef struct block {
    struct block *next;
    size_t len;
    char data[BLOCK_SIZE];
} block;

struct oplog {
    struct oplog *next_open; /* the registry of logs by path */
    int closed;
    char *canonical; /* realpath of the file: ./x.tsv and x.tsv are one log */
    char *path;
    int fd;
    int jsonl, zst;
    uint64_t wall0, mono0; /* one wall-clock anchor: times are wall0 + (t - mono0) */
    atomic_uint_least64_t next_idx;
    block *cur[MAX_THREADS + 1]; /* each thread's block being filled (its own slot) */
    pthread_mutex_t mu;
    pthread_cond_t has_work, has_free;
    block *queue_head, *queue_tail; /* full blocks, in order, for the writer */
    block *free_blocks;
    int nblocks;
    int nholders; /* threads that hold a block of their own */
    int stopping;
    int write_errno; /* the first failed write, reported at close */
    pthread_t writer;
    ZSTD_CCtx *cctx;
    char *zbuf;
    size_t zcap;
};

static void write_all(oplog *log, const char *p, size_t n)
{
    while (n && !log->write_errno) {
        ssize_t w = write(log->fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            log->write_errno = errno;
            return;
        }
        p += w, n -= (size_t)w;
    }
}

/* One block to the file: a whole zstd frame each time, so what is on disk
 * always decompresses. */
static void write_block(oplog *log, const block *b)
{
    if (!log->zst) return write_all(log, b->data, b->len);
    size_t z = ZSTD_compress2(log->cctx, log->zbuf, log->zcap, b->data, b->len);
    if (ZSTD_isError(z)) {
        log->write_errno = EIO;
        return;
    }
    write_all(log, log->zbuf, z);
}

static void *writer_main(void *arg)
{
    oplog *log = arg;
    pthread_mutex_lock(&log->mu);
    for (;;) {
        while (!log->queue_head && !log->stopping) pthread_cond_wait(&log->has_work, &log->mu);
        block *b = log->queue_head;
        if (!b) break; /* stopping, and nothing is left */
        log->queue_head = b->next;
        if (!log->queue_head) log->queue_tail = NULL;
        pthread_mutex_unlock(&log->mu);
        write_block(log, b);
        pthread_mutex_lock(&log->mu);
        b->next = log->free_blocks;
        log->free_blocks = b;
        pthread_cond_signal(&log->has_free);
    }
    pthread_mutex_unlock(&log->mu);
    return NULL;
}

static block *take_free(oplog *log)
{
    pthread_mutex_lock(&log->mu);
    block *b;
    for (;;) {
        if ((b = log->free_blocks)) {
            log->free_blocks = b->next;
            break;
        }
        if (log->nblocks < MAX_WAITING + log->nholders && (b = malloc(sizeof *b))) {
            log->nblocks++;
            break;
        }
        pthread_cond_wait(&log->has_free, &log->mu); /* lossless: wait for the writer */
    }
    pthread_mutex_unlock(&log->mu);
    b->len = 0;
    b->next = NULL;
    return b;
}

static void hand_over(oplog *log, block *b)
{
    pthread_mutex_lock(&log->mu);
    if (log->queue_tail)
        log->queue_tail->next = b;
    else
        log->queue_head = b;
    log->queue_tail = b;
    pthread_cond_signal(&log->has_work);
    pthread_mutex_unlock(&log->mu);
}

static oplog *oplog_open(const char *path, char *err, size_t errlen)
{
    oplog *log = calloc(1, sizeof *log);
    if (!log || !(log->path = strdup(path))) {
        free(log);
        snprintf(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    size_t n = strlen(path);
    log->zst = n > 4 && strcmp(path + n - 4, ".zst") == 0;
    size_t base = log->zst ? n - 4 : n;
    log->jsonl = base > 6 && strncmp(path + base - 6, ".jsonl", 6) == 0;
    log->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (log->fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        free(log->path);
        free(log);
        return NULL;
    }
    if (log->zst) {
        log->cctx = ZSTD_createCCtx();
        log->zcap = ZSTD_compressBound(BLOCK_SIZE);
        log->zbuf = malloc(log->zcap);
        if (!log->cctx || !log->zbuf) {
            snprintf(err, errlen, "%s: out of memory", path);
            goto fail;
        }
        ZSTD_CCtx_setParameter(log->cctx, ZSTD_c_compressionLevel, 1);
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    log->mono0 = uv_hrtime();
    log->wall0 = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
    atomic_init(&log->next_idx, 0);
    pthread_mutex_init(&log->mu, NULL);
    pthread_cond_init(&log->has_work, NULL);
    pthread_cond_init(&log->has_free, NULL);
    if (!log->jsonl) {
        static const char header[] =
            "idx\tthread\top\tclient_id\tn_objects\tbytes\tendpoint\tfile\t"
            "error\tstart\tfirst_byte\tend\tduration_ns\n";
        block *b = take_free(log);
        memcpy(b->data, header, sizeof header - 1);
        b->len = sizeof header - 1;
        write_block(log, b); /* the header alone, first (a frame of its own) */
        b->next = log->free_blocks;
        log->free_blocks = b;
    }
    if (pthread_create(&log->writer, NULL, writer_main, log)) {
        snprintf(err, errlen, "%s: cannot start the writer thread", path);
        goto fail;
    }
    return log;
fail:
    ZSTD_freeCCtx(log->cctx);
    free(log->zbuf);
    close(log->fd);
    free(log->path);
    free(log);
    return NULL;
}

/* ---- formatting ---- */

static char *put_u64(char *p, uint64_t v)
{
    char tmp[20];
    int n = 0;
    do tmp[n++] = (char)('0' + v % 10), v /= 10;
    while (v);
    while (n) *p++ = tmp[--n];
    return p;
}

/* RFC 3339 UTC with 9 fractional digits; the date part is cached per second. */
static char *put_time(char *p, const oplog *log, uint64_t mono, int is_wall)
{
    static _Thread_local uint64_t cached_sec = UINT64_MAX;
    static _Thread_local char cached[64]; /* "2026-11-24T10:00:00" (room for any int) */
    uint64_t wall = is_wall ? mono : log->wall0 + (mono - log->mono0);
    uint64_t sec = wall / 1000000000ull, ns = wall % 1000000000ull;
    if (sec != cached_sec) {
        time_t t = (time_t)sec;
        struct tm tm;
        gmtime_r(&t, &tm);
        snprintf(cached, sizeof cached, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900,
                 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
        cached_sec = sec;
    }
    memcpy(p, cached, 19);
    p += 19;
    *p++ = '.';
    for (int i = 8; i >= 0; i--) p[i] = (char)('0' + ns % 10), ns /= 10;
    p += 9;
    *p++ = 'Z';
    return p;
}

/* A text field: TSV cannot hold tabs or line ends (written %09 %0D %0A, as in
 * a URI); JSON escapes quotes, backslashes and control characters. Stops at
 * `max` input bytes. */
static char *put_text(char *p, const char *s, size_t n, int json, size_t max)
{
    static const char hex[] = "0123456789abcdef";
    if (n > max) {
        n = max;
        while (n && ((unsigned char)s[n] & 0xc0) == 0x80) n--; /* not inside a UTF-8 character */
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (json) {
            if (c == '"' || c == '\\') {
                *p++ = '\\', *p++ = (char)c;
            } else if (c < 0x20) {
                memcpy(p, "\\u00", 4);
                p[4] = hex[c >> 4], p[5] = hex[c & 15];
                p += 6;
            } else {
                *p++ = (char)c;
            }
        } else if (c == '\t' || c == '\n' || c == '\r') {
            *p++ = '%', *p++ = '0', *p++ = c == '\t' ? '9' : c == '\n' ? 'A' : 'D';
        } else {
            *p++ = (char)c;
        }
    }
    return p;
}

static char *put_str(char *p, const char *s)
{
    size_t n = strlen(s);
    memcpy(p, s, n);
    return p + n;
}

static char *format(char *p, const oplog *log, const oplog_entry *e, uint64_t idx)
{
    int j = log->jsonl;
    const char *sep = j ? "," : "\t";
    if (j) p = put_str(p, "{\"idx\":");
    p = put_u64(p, idx);
    p = put_str(p, j ? ",\"thread\":" : sep);
    p = put_u64(p, (uint64_t)e->thread);
    p = put_str(p, j ? ",\"op\":\"" : sep);
    p = put_str(p, e->op);
    p = put_str(p, j ? "\",\"client_id\":\"\",\"n_objects\":" : "\t\t");
    p = put_u64(p, e->n_objects);
    p = put_str(p, j ? ",\"bytes\":" : sep);
    p = put_u64(p, e->bytes);
    p = put_str(p, j ? ",\"endpoint\":\"" : sep);
    p = put_text(p, e->endpoint, strlen(e->endpoint), j, ENDPOINT_MAX);
    p = put_str(p, j ? "\",\"file\":\"" : sep);
    size_t ul = strlen(e->uri), ul_max = ul < URI_MAX ? ul : URI_MAX;
    p = put_text(p, e->uri, ul, j, ul_max);
    p = put_text(p, e->key ? e->key : "", e->keylen, j, URI_MAX - ul_max);
    p = put_str(p, j ? "\",\"error\":\"" : sep);
    p = put_text(p, e->error, strlen(e->error), j, ERROR_MAX);
    p = put_str(p, j ? "\",\"start\":\"" : sep);
    p = put_time(p, log, e->start, e->wall);
    p = put_str(p, j ? "\",\"first_byte\":" : sep);
    if (e->first_byte) {
        if (j) *p++ = '"';
        p = put_time(p, log, e->first_byte, e->wall);
        if (j) *p++ = '"';
    } else if (j) {
        p = put_str(p, "null");
    }
    p = put_str(p, j ? ",\"end\":\"" : sep);
    p = put_time(p, log, e->end, e->wall);
    p = put_str(p, j ? "\",\"duration_ns\":" : sep);
    p = put_u64(p, e->end >= e->start ? e->end - e->start : 0);
    p = put_str(p, j ? "}\n" : "\n");
    return p;
}

void oplog_record(oplog *log, const oplog_entry *e)
{
    if (log->closed) return; /* closed by the script: it asked for no more */
    int t = e->thread >= 1 && e->thread <= MAX_THREADS ? e->thread : 0;
    block *b = log->cur[t];
    if (!b) {
        pthread_mutex_lock(&log->mu);
        log->nholders++; /* each thread's block comes on top of the waiting ones */
        pthread_mutex_unlock(&log->mu);
        b = log->cur[t] = take_free(log);
    }
    if (BLOCK_SIZE - b->len < ENTRY_MAX) {
        hand_over(log, b);
        b = log->cur[t] = take_free(log);
    }
    uint64_t idx = atomic_fetch_add(&log->next_idx, 1);
    char *end = format(b->data + b->len, log, e, idx);
    b->len = (size_t)(end - b->data);
}

uint64_t oplog_count(const oplog *log)
{
    return atomic_load(&((oplog *)log)->next_idx);
}

const char *oplog_path(const oplog *log)
{
    return log->path;
}

int oplog_close(oplog *log, char *err, size_t errlen)
{
    if (log->closed) return 0;
    log->closed = 1;
    for (int t = 0; t <= MAX_THREADS; t++) {
        if (!log->cur[t]) continue;
        if (log->cur[t]->len)
            hand_over(log, log->cur[t]);
        else
            free(log->cur[t]); /* counted in nblocks, never queued */
        log->cur[t] = NULL;
    }
    pthread_mutex_lock(&log->mu);
    log->stopping = 1;
    pthread_cond_signal(&log->has_work);
    pthread_mutex_unlock(&log->mu);
    pthread_join(log->writer, NULL);
    int rc = 0;
    if (log->write_errno) {
        snprintf(err, errlen, "%s: %s", log->path, strerror(log->write_errno));
        rc = -1;
    }
    if (close(log->fd) && !rc) {
        snprintf(err, errlen, "%s: %s", log->path, strerror(errno));
        rc = -1;
    }
    return rc;
}

/* ---- the registry: one log per path, for the whole process ---- */

static pthread_mutex_t registry_mu = PTHREAD_MUTEX_INITIALIZER;
static oplog *registry;
oplog *oplog_default;

oplog *oplog_acquire(const char *path, char *err, size_t errlen)
{
    pthread_mutex_lock(&registry_mu);
    char *canonical = realpath(path, NULL); /* NULL: no such file yet, so not open */
    oplog *log = registry;
    while (log &&
           (log->closed || !canonical || !log->canonical || strcmp(log->canonical, canonical)))
        log = log->next_open;
    free(canonical);
    if (!log && (log = oplog_open(path, err, errlen))) {
        log->canonical = realpath(path, NULL);
        if (!log->canonical) log->canonical = strdup(path);
        log->next_open = registry;
        registry = log;
    }
    pthread_mutex_unlock(&registry_mu);
    return log;
}

static void oplog_free(oplog *log)
{
    while (log->free_blocks) {
        block *b = log->free_blocks;
        log->free_blocks = b->next;
        free(b);
    }
    pthread_mutex_destroy(&log->mu);
    pthread_cond_destroy(&log->has_work);
    pthread_cond_destroy(&log->has_free);
    ZSTD_freeCCtx(log->cctx);
    free(log->zbuf);
    free(log->canonical);
    free(log->path);
    free(log);
}

int oplog_finish_all(void)
{
    int rc = 0;
    pthread_mutex_lock(&registry_mu);
    while (registry) {
        oplog *log = registry;
        registry = log->next_open;
        char err[300];
        if (oplog_close(log, err, sizeof err)) {
            fprintf(stderr, "s3dlua: op-log %s\n", err);
            rc = -1;
        }
        oplog_free(log);
    }
    oplog_default = NULL;
    pthread_mutex_unlock(&registry_mu);
    return rc;
}
