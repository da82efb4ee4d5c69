/* oplog_read.c - the streaming op-log reader (DESIGN 5).
 *
 * Reads our TSV/JSONL, s3dlio's TSV, warp's 15- and 11-column files (tab or
 * comma separated, '#' comment lines), and the minimal 6-column TSV, each
 * plain or zstd (detected by the frame magic, not the name). Memory stays
 * fixed: 1 MiB of input, 1 MiB of decompressed text, the longest line that
 * straddled two chunks. Lines are parsed where they lie in the text (only a
 * line cut by a chunk's end is copied), and a time whose date, hour and
 * minute are those of the previous time costs only its seconds: 10 M lines
 * a second is the budget that leaves room for the caller. */
#include "oplog_read.h"
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <zstd.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define IN_SIZE (1 << 20)

enum col {
    C_IDX,
    C_THREAD,
    C_OP,
    C_CLIENT,
    C_NOBJ,
    C_BYTES,
    C_ENDPOINT,
    C_FILE,
    C_ERROR,
    C_START,
    C_FIRST,
    C_END,
    C_DURATION,
    C_NCOLS,
    C_IGNORED = -1
};

static const struct {
    const char *name;
    int col;
} names[] = {
    {"idx", C_IDX},          {"thread", C_THREAD},    {"op", C_OP},
    {"operation", C_OP},     {"client_id", C_CLIENT}, {"n_objects", C_NOBJ},
    {"bytes", C_BYTES},      {"size", C_BYTES},       {"endpoint", C_ENDPOINT},
    {"file", C_FILE},        {"key", C_FILE},         {"error", C_ERROR},
    {"start", C_START},      {"t_start", C_START},    {"start_time", C_START},
    {"first_byte", C_FIRST}, {"end", C_END},          {"duration_ns", C_DURATION},
};

struct oplog_reader {
    int fd;
    char *path;
    int zst, jsonl;
    int zframe_open; /* the decompressor is inside a frame: the file may not end here */
    int fatal;       /* the input itself failed: no line after this one can be read */
    /* The input thread reads (and decompresses) into one of two chunks
     * while the caller parses the other: a line costs ~150 ns to parse and,
     * from zstd, ~140 ns to decompress; on two cores the two overlap. */
    pthread_t input;
    int input_started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    char *chunk[2];
    ssize_t chunk_len[2]; /* > 0 bytes, 0 the end, -1 failed (input_err says why) */
    int chunk_ready[2];
    int cur;          /* the chunk being parsed, -1 before the first */
    int stop;         /* the reader is closing: the input thread quits */
    int at_end;       /* the input thread delivered the end */
    int input_failed; /* a chunk was delivered; the failure comes with the next */
    char input_err[300];
    char delim;
    int map[64]; /* column position -> enum col */
    int ncols;
    ZSTD_DCtx *dctx;
    char *in, *text; /* text: the chunk being parsed */
    ZSTD_inBuffer zin;
    size_t text_len, text_pos;
    char *line; /* the current line, NUL-terminated: in text, or in own */
    size_t line_len;
    char *own; /* a line that straddled two chunks of text */
    size_t own_cap;
    char time_key[16]; /* "YYYY-MM-DDTHH:MM" of the last time parsed ... */
    int64_t time_base; /* ... and its seconds since the epoch */
    unsigned long long lineno;
    char err[512];
};

const char *oplog_reader_error(const oplog_reader *r)
{
    return r->err;
}

/* Input thread: the next chunk of text into buf (up to IN_SIZE bytes); the
 * byte count, 0 at the end, -1 on an error (in r->input_err). */
static ssize_t read_chunk(oplog_reader *r, char *buf)
{
    size_t got = 0;
    if (r->input_failed) return -1;
    for (;;) {
        if (r->zst && r->zin.pos < r->zin.size) {
            ZSTD_outBuffer out = {buf + got, IN_SIZE - got, 0};
            size_t rc = ZSTD_decompressStream(r->dctx, &out, &r->zin);
            if (ZSTD_isError(rc)) {
                snprintf(r->input_err, sizeof r->input_err, "zstd: %s (corrupt compressed data)",
                         ZSTD_getErrorName(rc));
                r->input_failed = 1;
                return got ? (ssize_t)got : -1; /* the lines before it first */
            }
            r->zframe_open = rc != 0;
            got += out.pos;
            if (got == IN_SIZE) return (ssize_t)got;
            continue;
        }
        ssize_t n = read(r->fd, r->zst ? r->in : buf, IN_SIZE);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            snprintf(r->input_err, sizeof r->input_err, "%s", strerror(errno));
            r->input_failed = 1;
            return got ? (ssize_t)got : -1;
        }
        if (n == 0 && r->zframe_open) {
            snprintf(r->input_err, sizeof r->input_err,
                     "the file ends inside a zstd frame (truncated while written?)");
            r->input_failed = 1;
            return got ? (ssize_t)got : -1;
        }
        if (n == 0 || !r->zst) return n ? n : (ssize_t)got;
        r->zin.src = r->in;
        r->zin.size = (size_t)n;
        r->zin.pos = 0;
    }
}

static void *input_main(void *arg)
{
    oplog_reader *r = arg;
    for (int i = 0;; i ^= 1) {
        pthread_mutex_lock(&r->mu);
        while (r->chunk_ready[i] && !r->stop) pthread_cond_wait(&r->cv, &r->mu);
        int stop = r->stop;
        pthread_mutex_unlock(&r->mu);
        if (stop) return NULL;
        ssize_t n = read_chunk(r, r->chunk[i]);
        pthread_mutex_lock(&r->mu);
        r->chunk_len[i] = n;
        r->chunk_ready[i] = 1;
        pthread_cond_broadcast(&r->cv);
        pthread_mutex_unlock(&r->mu);
        if (n <= 0) return NULL;
    }
}

/* The next chunk into r->text (the one parsed so far goes back to the input
 * thread); 0 at the end of the input, -1 on an error. */
static int refill(oplog_reader *r)
{
    r->text_pos = r->text_len = 0;
    if (r->at_end) return 0; /* the input thread is gone: nothing will come */
    int next = r->cur < 0 ? 0 : r->cur ^ 1;
    pthread_mutex_lock(&r->mu);
    if (r->cur >= 0 && r->chunk_len[r->cur] > 0) {
        r->chunk_ready[r->cur] = 0;
        pthread_cond_broadcast(&r->cv);
    }
    while (!r->chunk_ready[next]) pthread_cond_wait(&r->cv, &r->mu);
    ssize_t n = r->chunk_len[next];
    pthread_mutex_unlock(&r->mu);
    if (n < 0) {
        snprintf(r->err, sizeof r->err, "%s:%llu: %s", r->path, r->lineno + 1, r->input_err);
        r->fatal = 1;
        return -1;
    }
    r->cur = next;
    if (n == 0) {
        r->at_end = 1;
        return 0;
    }
    r->text = r->chunk[next];
    r->text_len = (size_t)n;
    return 1;
}

/* The next line (without its newline) in r->line; 0 at the end, -1 on error. */
static int next_line(oplog_reader *r)
{
    size_t have = 0; /* bytes of a cut line gathered in r->own */
    for (;;) {
        if (r->text_pos == r->text_len) {
            int rc = refill(r);
            if (rc < 0) return -1;
            if (rc == 0) {
                if (!have) return 0;
                r->line = r->own, r->line_len = have;
                break; /* a last line without its newline */
            }
        }
        char *p = r->text + r->text_pos;
        size_t avail = r->text_len - r->text_pos;
        char *nl = memchr(p, '\n', avail);
        size_t take = nl ? (size_t)(nl - p) : avail;
        r->text_pos += take + (nl != NULL);
        if (nl && !have) { /* the common case: the whole line is in the text */
            r->line = p, r->line_len = take;
            break;
        }
        if (have + take + 1 > r->own_cap) {
            size_t cap = r->own_cap ? r->own_cap : 4096;
            while (cap < have + take + 1) cap *= 2;
            char *l = realloc(r->own, cap);
            if (!l) {
                snprintf(r->err, sizeof r->err, "%s: out of memory", r->path);
                return -1;
            }
            r->own = l;
            r->own_cap = cap;
        }
        memcpy(r->own + have, p, take);
        have += take;
        if (nl) {
            r->line = r->own, r->line_len = have;
            break;
        }
    }
    if (r->line_len && r->line[r->line_len - 1] == '\r') r->line_len--;
    r->line[r->line_len] = 0; /* over the newline in the text, or inside own */
    r->lineno++;
    return 1;
}

static int col_of(const char *name, size_t n)
{
    while (n && (*name == ' ' || *name == '"')) name++, n--;
    while (n && (name[n - 1] == ' ' || name[n - 1] == '"')) n--;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strlen(names[i].name) == n && strncasecmp(names[i].name, name, n) == 0)
            return names[i].col;
    return C_IGNORED;
}

static int read_header(oplog_reader *r)
{
    int rc;
    while ((rc = next_line(r)) == 1 && (r->line_len == 0 || r->line[0] == '#')) {
    }
    if (rc <= 0) return rc; /* an empty log: no entries */
    if (r->line[0] == '{') {
        r->jsonl = 1;
        return 2; /* the line is an entry: kept in r->line for the first next() */
    }
    r->delim = strchr(r->line, '\t') ? '\t' : ',';
    const char *p = r->line;
    r->ncols = 0;
    for (;;) {
        const char *e = strchr(p, r->delim);
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (r->ncols < 64) r->map[r->ncols++] = col_of(p, n);
        if (!e) break;
        p = e + 1;
    }
    int have_op = 0, have_file = 0, have_start = 0;
    for (int i = 0; i < r->ncols; i++) {
        have_op |= r->map[i] == C_OP;
        have_file |= r->map[i] == C_FILE;
        have_start |= r->map[i] == C_START;
    }
    if (!have_op || !have_file || !have_start) {
        snprintf(r->err, sizeof r->err,
                 "%s:%llu: not an op-log header (needs op, file and start columns)", r->path,
                 r->lineno);
        return -1;
    }
    return 1;
}

oplog_reader *oplog_reader_open(const char *path, char *err, size_t errlen)
{
    oplog_reader *r = calloc(1, sizeof *r);
    if (!r) {
        snprintf(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    r->cur = -1;
    r->path = strdup(path);
    r->chunk[0] = malloc(IN_SIZE);
    r->chunk[1] = malloc(IN_SIZE);
    r->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (r->fd < 0 || !r->path || !r->chunk[0] || !r->chunk[1]) {
        snprintf(err, errlen, "%s: %s", path, r->fd < 0 ? strerror(errno) : "out of memory");
        oplog_reader_close(r);
        return NULL;
    }
    unsigned char magic[4];
    ssize_t n = pread(r->fd, magic, 4, 0);
    r->zst = n == 4 && magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd;
    if (r->zst && (!(r->dctx = ZSTD_createDCtx()) || !(r->in = malloc(IN_SIZE)))) {
        snprintf(err, errlen, "%s: out of memory", path);
        oplog_reader_close(r);
        return NULL;
    }
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->cv, NULL);
    int rc = pthread_create(&r->input, NULL, input_main, r);
    if (rc) {
        snprintf(err, errlen, "%s: cannot start the input thread: %s", path, strerror(rc));
        pthread_mutex_destroy(&r->mu);
        pthread_cond_destroy(&r->cv);
        oplog_reader_close(r);
        return NULL;
    }
    r->input_started = 1;
    return r;
}

int oplog_reader_set_name(oplog_reader *r, const char *name)
{
    char *p = strdup(name);
    if (!p) return -1;
    free(r->path);
    r->path = p;
    return 0;
}

void oplog_reader_close(oplog_reader *r)
{
    if (!r) return;
    if (r->input_started) {
        pthread_mutex_lock(&r->mu);
        r->stop = 1;
        pthread_cond_broadcast(&r->cv);
        pthread_mutex_unlock(&r->mu);
        pthread_join(r->input, NULL);
        pthread_mutex_destroy(&r->mu);
        pthread_cond_destroy(&r->cv);
    }
    if (r->fd >= 0) close(r->fd);
    ZSTD_freeDCtx(r->dctx);
    free(r->in);
    free(r->chunk[0]);
    free(r->chunk[1]);
    free(r->own);
    free(r->path);
    free(r);
}

/* ---- fields ---- */

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static int digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

/* "YYYY-MM-DDTHH:MM" -> seconds since the epoch of that minute (UTC as
 * written); -1 when it is not one. */
static int64_t parse_minute(const char *s)
{
    static const unsigned char mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y, mo, d, h, mi;
    if (s[4] != '-' || s[7] != '-' || (s[10] != 'T' && s[10] != ' ') || s[13] != ':' ||
        digits(s, 4, &y) || digits(s + 5, 2, &mo) || digits(s + 8, 2, &d) ||
        digits(s + 11, 2, &h) || digits(s + 14, 2, &mi) || mo < 1 || mo > 12 || d < 1 ||
        d > mdays[mo - 1] || h > 23 || mi > 59)
        return -1;
    if (mo == 2 && d == 29 && (y % 4 || (y % 100 == 0 && y % 400))) return -1; /* not a leap year */
    return days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60;
}

/* The rest of an RFC 3339 time after its minute (":SS[.frac](Z|+hh:mm)"),
 * given the minute's seconds; -1 when it is not one. */
static int64_t parse_seconds(const char *s, size_t n, int64_t minute)
{
    int se;
    if (s[16] != ':' || digits(s + 17, 2, &se) || se > 60) return -1;
    size_t i = 19;
    int64_t frac = 0;
    int fd = 0;
    if (i < n && s[i] == '.') {
        for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++)
            if (fd < 9) frac = frac * 10 + (s[i] - '0'), fd++;
        if (fd == 0) return -1;
        while (fd < 9) frac *= 10, fd++;
    }
    int64_t off = 0;
    if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
        i++;
    } else if (i + 6 <= n && (s[i] == '+' || s[i] == '-') && s[i + 3] == ':') {
        int oh, om;
        if (digits(s + i + 1, 2, &oh) || digits(s + i + 4, 2, &om)) return -1;
        off = (s[i] == '+' ? 1 : -1) * ((int64_t)oh * 3600 + om * 60);
        i += 6;
    } else {
        return -1;
    }
    if (i != n) return -1;
    return (minute + se - off) * 1000000000 + frac;
}

int64_t oplog_parse_time(const char *s, size_t n)
{
    int64_t minute;
    if (n < 20 || (minute = parse_minute(s)) < 0) return -1;
    return parse_seconds(s, n, minute);
}

/* oplog_parse_time, remembering the last minute: consecutive entries
 * almost always share it. */
static int64_t parse_time_cached(oplog_reader *r, const char *s, size_t n)
{
    if (n < 20) return -1;
    if (memcmp(s, r->time_key, 16) != 0) {
        int64_t minute = parse_minute(s);
        if (minute < 0) return -1;
        memcpy(r->time_key, s, 16);
        r->time_base = minute;
    }
    return parse_seconds(s, n, r->time_base);
}

static int parse_u64(const char *s, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    if (!n || n > 20) return -1;
    for (size_t i = 0; i < n; i++) {
        unsigned d = (unsigned)(unsigned char)s[i] - '0';
        if (d > 9) return -1;
        v = v * 10 + d;
    }
    if (n == 20 && (s[0] > '1' || (s[0] == '1' && v < 10000000000000000000u)))
        return -1; /* above 2^64 - 1: it wrapped */
    *out = v;
    return 0;
}

static const char *const col_names[] = {
    "idx",  "thread", "op",    "client_id",  "n_objects", "bytes",      "endpoint",
    "file", "error",  "start", "first_byte", "end",       "duration_ns"};

/* One field value (raw text) into rec; -1 with r->err when it is malformed. */
static inline int set_field(oplog_reader *r, oplog_rec *rec, int col, const char *v, size_t n)
{
    uint64_t u;
    int64_t t;
    switch (col) {
    case C_OP:
        rec->op = v, rec->op_len = n;
        return 0;
    case C_CLIENT:
        rec->client_id = v, rec->client_id_len = n;
        return 0;
    case C_ENDPOINT:
        rec->endpoint = v, rec->endpoint_len = n;
        return 0;
    case C_FILE:
        rec->file = v, rec->file_len = n;
        return 0;
    case C_ERROR:
        rec->error = v, rec->error_len = n;
        return 0;
    case C_IDX:
    case C_THREAD:
    case C_NOBJ:
    case C_BYTES:
    case C_DURATION:
        if (!n) return 0;
        if (parse_u64(v, n, &u)) break;
        if (col == C_IDX) rec->idx = u;
        if (col == C_THREAD) rec->thread = u;
        if (col == C_NOBJ) rec->n_objects = u;
        if (col == C_BYTES) rec->bytes = u;
        if (col == C_DURATION) rec->duration_ns = (int64_t)u;
        return 0;
    case C_START:
    case C_FIRST:
    case C_END:
        if (!n) {
            if (col == C_START) break; /* every entry has a start */
            return 0;
        }
        if ((t = parse_time_cached(r, v, n)) < 0) break;
        if (col == C_START) rec->start = t;
        if (col == C_FIRST) rec->first_byte = t;
        if (col == C_END) rec->end = t;
        return 0;
    default:
        return 0;
    }
    snprintf(r->err, sizeof r->err, "%s:%llu: field '%s': '%.*s' is not %s", r->path, r->lineno,
             col_names[col], (int)(n < 60 ? n : 60), v,
             col == C_START || col == C_FIRST || col == C_END ? "an RFC 3339 time" : "a number");
    return -1;
}

/* Where delim occurs in p[0..n): the first max positions into at[]; returns
 * how many there are in all. 16 bytes a step where SSE2 is there: a line has
 * a dozen short fields, and a call or a loop per field cost more than the
 * rest of the parsing. */
static int find_delims(const char *p, size_t n, char delim, uint32_t *at, int max)
{
    int k = 0;
    size_t i = 0;
#ifdef __SSE2__
    const __m128i d = _mm_set1_epi8(delim);
    for (; i + 16 <= n; i += 16) {
        unsigned m = (unsigned)_mm_movemask_epi8(
            _mm_cmpeq_epi8(_mm_loadu_si128((const __m128i *)(const void *)(p + i)), d));
        for (; m; m &= m - 1, k++)
            if (k < max) at[k] = (uint32_t)(i + (unsigned)__builtin_ctz(m));
    }
#endif
    for (; i < n; i++)
        if (p[i] == delim) {
            if (k < max) at[k] = (uint32_t)i;
            k++;
        }
    return k;
}

static int parse_delimited(oplog_reader *r, oplog_rec *rec)
{
    uint32_t at[64];
    int ndelims = find_delims(r->line, r->line_len, r->delim, at, 64);
    if (ndelims + 1 != r->ncols) {
        snprintf(r->err, sizeof r->err, "%s:%llu: %d fields, the header has %d", r->path, r->lineno,
                 ndelims + 1, r->ncols);
        return -1;
    }
    size_t from = 0;
    for (int i = 0; i < r->ncols; i++) {
        size_t to = i < ndelims ? at[i] : r->line_len;
        if (r->map[i] != C_IGNORED && set_field(r, rec, r->map[i], r->line + from, to - from))
            return -1;
        from = to + 1;
    }
    return 0;
}

/* A flat JSON object: "name": string | number | null. Strings are unescaped in
 * place (the line is ours). */
static int parse_json(oplog_reader *r, oplog_rec *rec)
{
    char *p = r->line, *end = r->line + r->line_len;
#define WS()                                                                                       \
    while (p < end && (*p == ' ' || *p == '\t')) p++
#define BAD(what)                                                                                  \
    do {                                                                                           \
        snprintf(r->err, sizeof r->err, "%s:%llu: %s", r->path, r->lineno, what);                  \
        return -1;                                                                                 \
    } while (0)
    WS();
    if (p == end || *p++ != '{') BAD("not a JSON object");
    for (;;) {
        WS();
        if (p < end && *p == '}') return 0;
        if (p == end || *p++ != '"') BAD("a field name expected");
        char *name = p;
        while (p < end && *p != '"') p++;
        if (p == end) BAD("an unterminated field name");
        size_t nlen = (size_t)(p - name);
        p++;
        WS();
        if (p == end || *p++ != ':') BAD("':' expected");
        WS();
        char *v = p, *w = p;
        size_t vlen;
        if (p < end && *p == '"') {
            v = w = ++p;
            while (p < end && *p != '"') {
                if (*p == '\\' && p + 1 < end) {
                    p++;
                    char c = *p++;
                    if (c == 'u' && p + 4 <= end) {
                        unsigned x =
                            (unsigned)strtoul((char[5]){p[0], p[1], p[2], p[3], 0}, NULL, 16);
                        p += 4;
                        if (x >= 0xd800 && x < 0xdc00 && p + 6 <= end && p[0] == '\\' &&
                            p[1] == 'u') {
                            unsigned lo =
                                (unsigned)strtoul((char[5]){p[2], p[3], p[4], p[5], 0}, NULL, 16);
                            if (lo >= 0xdc00 && lo < 0xe000) { /* a surrogate pair: one character */
                                unsigned cp = 0x10000 + ((x - 0xd800) << 10) + (lo - 0xdc00);
                                p += 6;
                                *w++ = (char)(0xf0 | cp >> 18);
                                *w++ = (char)(0x80 | ((cp >> 12) & 63));
                                *w++ = (char)(0x80 | ((cp >> 6) & 63));
                                *w++ = (char)(0x80 | (cp & 63));
                                continue;
                            }
                        }
                        if (x < 0x80)
                            *w++ = (char)x;
                        else if (x < 0x800)
                            *w++ = (char)(0xc0 | x >> 6), *w++ = (char)(0x80 | (x & 63));
                        else
                            *w++ = (char)(0xe0 | x >> 12), *w++ = (char)(0x80 | ((x >> 6) & 63)),
                            *w++ = (char)(0x80 | (x & 63));
                    } else {
                        *w++ = c == 'n'   ? '\n'
                               : c == 't' ? '\t'
                               : c == 'r' ? '\r'
                               : c == 'b' ? '\b'
                               : c == 'f' ? '\f'
                                          : c;
                    }
                } else {
                    *w++ = *p++;
                }
            }
            if (p == end) BAD("an unterminated string");
            p++;
            vlen = (size_t)(w - v);
        } else {
            while (p < end && *p != ',' && *p != '}' && *p != ' ') p++;
            vlen = (size_t)(p - v);
            if (vlen == 4 && !memcmp(v, "null", 4)) vlen = 0;
        }
        int col = col_of(name, nlen);
        if (col != C_IGNORED && set_field(r, rec, col, v, vlen)) return -1;
        WS();
        if (p < end && *p == ',') {
            p++;
            continue;
        }
        if (p < end && *p == '}') return 0;
        BAD("',' or '}' expected");
    }
#undef WS
#undef BAD
}

int oplog_reader_next(oplog_reader *r, oplog_rec *rec)
{
    if (r->fatal) return -2;
    if (!r->ncols && !r->jsonl) {
        int rc = read_header(r);
        if (rc < 0 && r->fatal) return -2;
        if (rc <= 0) return rc;
        if (rc == 2) goto have_line; /* JSONL: the first line is an entry */
    }
    for (;;) {
        int rc = next_line(r);
        if (rc < 0 && r->fatal) return -2;
        if (rc <= 0) return rc;
        if (r->line_len == 0 || r->line[0] == '#') continue;
    have_line:
        /* field by field: memset's rep stos costs more here than the stores */
        rec->idx = rec->thread = rec->n_objects = rec->bytes = 0;
        rec->op = rec->client_id = rec->endpoint = rec->file = rec->error = "";
        rec->op_len = rec->client_id_len = rec->endpoint_len = rec->file_len = rec->error_len = 0;
        rec->start = rec->first_byte = rec->end = rec->duration_ns = 0;
        rec->line = r->lineno;
        if (r->jsonl ? parse_json(r, rec) : parse_delimited(r, rec)) return -1;
        if (!rec->op_len || !rec->start) {
            snprintf(r->err, sizeof r->err, "%s:%llu: an entry needs op and start", r->path,
                     r->lineno);
            return -1;
        }
        if (!rec->end) rec->end = rec->start + rec->duration_ns; /* 0: absent */
        if (!rec->duration_ns && rec->end) rec->duration_ns = rec->end - rec->start;
        return 1;
    }
}
