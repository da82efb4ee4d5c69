/* http_wire.c - our own HTTP/1.1 client for plain http:// on the thread's
 * libuv loop, behind the same http_req as the libcurl one (http.c).
 *
 * Why a second client: a 4 KiB GET through libcurl 7.88 costs ~50 us of CPU in
 * libcurl alone (URL parsing, connection lookup, request building through its
 * printf, header parsing, ~20 mallocs), which caps small-object rates at about
 * half of wrk's (docs/ARCHITECTURE.md has the figures). Here a request is one
 * memcpy'd header block and one writev on a kept-alive connection, and the
 * response is parsed in place from one per-thread read buffer: no allocation
 * per request. libcurl keeps what it does well: TLS, proxies.
 *
 * What it does: keep-alive connections per host (LIFO, so the warmest one is
 * reused), a dead reused connection detected before any answer byte is resent
 * once on a fresh one (as curl does), Content-Length, chunked and
 * close-delimited bodies, 1xx interim answers, HEAD/204/304 without body,
 * connect and low-speed timeouts with curl's meaning, curl's error codes so
 * retries and messages do not depend on the client, -vvv traces with secrets
 * masked. */
#include "http.h"
#include "log.h"
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define READ_BUF_SIZE   (512 * 1024) /* large bodies arrive in few reads */
#define MAX_HEADER_SIZE (256 * 1024) /* a response's header block, all lines */
#define MAX_ADDRS       16
#define RESOLVE_TTL_NS  (60ull * 1000000000ull) /* curl's DNS cache time */
#define IDLE_MAX_MS     118000                  /* curl's CURLOPT_MAXAGE_CONN */
#define IDLE_MAX_CONNS  1024                    /* per host; more are closed */

typedef struct wire_host wire_host;
typedef struct wire_conn wire_conn;

enum parse_state {
    P_STATUS,     /* the status line (empty lines before it are skipped) */
    P_HEADER,     /* header lines up to the empty one */
    P_BODY,       /* `remaining` bytes of body or of the current chunk */
    P_CHUNK_SIZE, /* "1a2b;ext\r\n" */
    P_CHUNK_END,  /* the CRLF after a chunk's data */
    P_TRAILER,    /* trailer lines after the 0 chunk, up to the empty one */
    P_UNTIL_EOF,  /* a body without length: the server's close ends it */
};

struct wire_conn {
    uv_tcp_t tcp;
    uv_timer_t timer; /* connect timeout, then low-speed checks, then idle age */
    uv_connect_t connect;
    uv_write_t write;
    wire_host *host;
    wire_conn *prev, *next; /* in the host's idle list, or the thread's busy list */
    http_req *h;            /* the request in flight; NULL when idle */
    int connected, closing, handles_open, writing, reused, idle, keep_alive, chunked, head, interim;
    int tried;        /* the host's addresses tried before this connection's */
    int write_status; /* a failed write's uv error, reported if no answer comes */
    enum parse_state state;
    uint64_t remaining;  /* body or chunk bytes still to come */
    uint64_t got;        /* response bytes of this request (any part) */
    size_t header_bytes; /* of this response, against MAX_HEADER_SIZE */
    uint64_t win_bytes;  /* moved since the last low-speed check */
    size_t win_queue;    /* write queue size at the last check */
    char *line;          /* a line split across reads */
    size_t line_len, line_cap;
    char *wbuf; /* the request's header block */
    size_t wcap;
};

struct wire_host {
    wire_host *next;
    char authority[256]; /* host[:port] as in the URL, sent as Host: */
    char name[256];      /* for the resolver and messages */
    int port;
    struct sockaddr_storage addr[MAX_ADDRS];
    int naddr, next_addr;
    int numeric;    /* an IP literal: never resolved again */
    int refreshing; /* a lookup runs on libuv's pool; the old addresses serve meanwhile */
    uv_getaddrinfo_t lookup;
    uint64_t resolved_at;
    wire_conn idle; /* list head; idle.next is the most recently used */
    int nidle;
};

typedef struct wire_thread {
    wire_host *hosts;
    wire_conn busy; /* list head of connections carrying a request or connecting */
    char *rbuf;     /* every read lands here and is parsed before the next */
    int rbuf_busy;
} wire_thread;

static void conn_close(wire_conn *c);
static int start(http_req *h, int fresh, int tried);

/* ---- lists ---- */

static void list_init(wire_conn *head)
{
    head->prev = head->next = head;
}

static void list_unlink(wire_conn *c)
{
    if (!c->next) return;
    c->prev->next = c->next;
    c->next->prev = c->prev;
    c->prev = c->next = NULL;
}

static void list_push(wire_conn *head, wire_conn *c)
{
    c->next = head->next;
    c->prev = head;
    head->next->prev = c;
    head->next = c;
}

static wire_thread *thread_state(void)
{
    rt *r = rt_self;
    if (r->wire) return r->wire;
    wire_thread *wt = calloc(1, sizeof *wt);
    if (!wt) return NULL;
    wt->rbuf = malloc(READ_BUF_SIZE);
    if (!wt->rbuf) {
        free(wt);
        return NULL;
    }
    list_init(&wt->busy);
    r->wire = wt;
    return wt;
}

/* ---- ending a request ---- */

/* Hands h its result and calls its done; the connection is already idle or
 * closing, so done may start the next request on it at once. */
static void deliver(http_req *h, CURLcode code)
{
    h->curl_code = code;
    if (code) s3d_log(2, "http %s %s: %s", h->method, h->url, http_error_text(h));
    h->done(h);
}

static void fail(wire_conn *c, CURLcode code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void fail(wire_conn *c, CURLcode code, const char *fmt, ...)
{
    http_req *h = c->h;
    c->h = NULL;
    conn_close(c);
    if (!h) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(h->errbuf, sizeof h->errbuf, fmt, ap);
    va_end(ap);
    deliver(h, code);
}

static void on_idle_timer(uv_timer_t *t);

static void go_idle(wire_conn *c)
{
    wire_host *ho = c->host;
    list_unlink(c);
    if (ho->nidle >= IDLE_MAX_CONNS) return conn_close(c);
    list_push(&ho->idle, c);
    ho->nidle++;
    c->idle = 1;
    uv_timer_start(&c->timer, on_idle_timer, IDLE_MAX_MS, 0);
}

/* The whole response is in: the connection goes back to its host (or is
 * closed) before done runs. `extra` bytes after it mean the server is not
 * speaking request-response any more: the connection is not reused. */
static void complete(wire_conn *c, size_t extra)
{
    http_req *h = c->h;
    c->h = NULL;
    if (extra || c->writing || c->write_status || !c->keep_alive)
        conn_close(c);
    else
        go_idle(c);
    deliver(h, CURLE_OK);
}

/* ---- the response parser ---- */

static int starts_with_ci(const char *s, size_t len, const char *word)
{
    size_t n = strlen(word);
    return len >= n && strncasecmp(s, word, n) == 0;
}

/* Does the comma-separated header value contain `token` (any case)? */
static int has_token(const char *v, size_t vl, const char *token)
{
    size_t tl = strlen(token);
    for (size_t i = 0; i + tl <= vl; i++) {
        if (strncasecmp(v + i, token, tl)) continue;
        int left = i == 0 || v[i - 1] == ',' || v[i - 1] == ' ' || v[i - 1] == '\t';
        int right = i + tl == vl || v[i + tl] == ',' || v[i + tl] == ' ' || v[i + tl] == ';';
        if (left && right) return 1;
    }
    return 0;
}

/* Status line "HTTP/1.x SSS reason"; returns -1 when it is not one. */
static int status_line(wire_conn *c, const char *s, size_t len)
{
    if (len < 12 || memcmp(s, "HTTP/1.", 7) || (s[7] != '0' && s[7] != '1') || s[8] != ' ')
        return -1;
    for (int i = 9; i < 12; i++)
        if (s[i] < '0' || s[i] > '9') return -1;
    if (len > 12 && s[12] != ' ') return -1;
    int status = (s[9] - '0') * 100 + (s[10] - '0') * 10 + (s[11] - '0');
    c->keep_alive = s[7] == '1'; /* HTTP/1.0 closes unless it says keep-alive */
    c->chunked = 0;
    c->interim = status >= 100 && status < 200;
    http_take_header(c->h, s, len);
    return 0;
}

static int header_line(wire_conn *c, const char *s, size_t len)
{
    if (*s == ' ' || *s == '\t') return 0; /* an obsolete folded continuation: nothing we use */
    const char *colon = memchr(s, ':', len);
    if (!colon) return 0;
    size_t nl = (size_t)(colon - s);
    const char *v = colon + 1;
    size_t vl = len - nl - 1;
    while (vl && (*v == ' ' || *v == '\t')) v++, vl--;
    while (vl && (v[vl - 1] == ' ' || v[vl - 1] == '\t')) vl--;
    if (nl == 14 && starts_with_ci(s, nl, "content-length")) {
        uint64_t n = 0;
        if (!vl) return -1;
        for (size_t i = 0; i < vl; i++) {
            if (v[i] < '0' || v[i] > '9' || n > (UINT64_MAX - 9) / 10) return -1;
            n = n * 10 + (uint64_t)(v[i] - '0');
        }
        if (c->h->content_length >= 0 && (uint64_t)c->h->content_length != n) return -1;
        c->h->content_length = (int64_t)n;
        return 0;
    }
    if (nl == 17 && starts_with_ci(s, nl, "transfer-encoding")) {
        c->chunked = has_token(v, vl, "chunked");
        return 0;
    }
    if (nl == 10 && starts_with_ci(s, nl, "connection")) {
        if (has_token(v, vl, "close"))
            c->keep_alive = 0;
        else if (has_token(v, vl, "keep-alive"))
            c->keep_alive = 1;
        return 0;
    }
    http_take_header(c->h, s, len);
    return 0;
}

/* The empty line after the headers: what kind of body follows. Returns 1
 * when the response is complete without one. */
static int headers_end(wire_conn *c)
{
    http_req *h = c->h;
    if (c->interim) { /* 100 Continue and friends: the real answer follows */
        c->state = P_STATUS;
        return 0;
    }
    if (c->head || h->status == 204 || h->status == 304) return 1;
    if (c->chunked) {
        c->state = P_CHUNK_SIZE;
        return 0;
    }
    if (h->content_length >= 0) {
        c->remaining = (uint64_t)h->content_length;
        c->state = P_BODY;
        return c->remaining == 0;
    }
    c->keep_alive = 0;
    c->state = P_UNTIL_EOF;
    return 0;
}

/* One line without its CRLF. Returns 1 when the request has ended (done has
 * run: the connection may carry another request by now), 0 to go on. */
static int on_line(wire_conn *c, const char *s, size_t len, size_t extra)
{
    switch (c->state) {
    case P_STATUS:
        if (len == 0) return 0; /* RFC 9112 2.2: ignore empty lines before the status line */
        if (status_line(c, s, len)) {
            char shown[41];
            size_t n = len < 40 ? len : 40;
            for (size_t i = 0; i < n; i++) shown[i] = s[i] >= 32 && s[i] < 127 ? s[i] : '?';
            shown[n] = 0;
            fail(c, CURLE_WEIRD_SERVER_REPLY, "not an HTTP/1.x response from %s: \"%s\"",
                 c->host->authority, shown);
            return 1;
        }
        c->h->content_length = -1;
        c->state = P_HEADER;
        return 0;
    case P_HEADER:
        if (len) {
            if (header_line(c, s, len) == 0) return 0;
            fail(c, CURLE_WEIRD_SERVER_REPLY, "bad response header from %s: %.*s",
                 c->host->authority, (int)(len < 60 ? len : 60), s);
            return 1;
        }
        if (headers_end(c)) {
            complete(c, extra);
            return 1;
        }
        return 0;
    case P_CHUNK_SIZE: {
        uint64_t n = 0;
        size_t i = 0;
        for (; i < len; i++) {
            int d = s[i] >= '0' && s[i] <= '9'   ? s[i] - '0'
                    : s[i] >= 'a' && s[i] <= 'f' ? s[i] - 'a' + 10
                    : s[i] >= 'A' && s[i] <= 'F' ? s[i] - 'A' + 10
                                                 : -1;
            if (d < 0) break;
            if (n >> 56) break; /* absurd: caught below */
            n = n * 16 + (uint64_t)d;
        }
        if (i == 0 || n >> 56 || (i < len && s[i] != ';' && s[i] != ' ' && s[i] != '\t')) {
            fail(c, CURLE_RECV_ERROR, "bad chunk size line from %s", c->host->authority);
            return 1;
        }
        c->remaining = n;
        c->state = n ? P_BODY : P_TRAILER;
        return 0;
    }
    case P_CHUNK_END:
        if (len) {
            fail(c, CURLE_RECV_ERROR, "bad chunk end from %s", c->host->authority);
            return 1;
        }
        c->state = P_CHUNK_SIZE;
        return 0;
    case P_TRAILER:
        if (len) return 0; /* trailer fields: nothing we use */
        complete(c, extra);
        return 1;
    default:
        return 0;
    }
}

static int is_line_state(enum parse_state s)
{
    return s == P_STATUS || s == P_HEADER || s == P_CHUNK_SIZE || s == P_CHUNK_END ||
           s == P_TRAILER;
}

static int stash(wire_conn *c, const char *p, size_t n)
{
    if (c->line_len + n > c->line_cap) {
        size_t cap = c->line_cap ? c->line_cap : 1024;
        while (cap < c->line_len + n) cap *= 2;
        char *l = realloc(c->line, cap);
        if (!l) return -1;
        c->line = l;
        c->line_cap = cap;
    }
    memcpy(c->line + c->line_len, p, n);
    c->line_len += n;
    return 0;
}

static int body_bytes(wire_conn *c, const char *p, size_t n)
{
    if (http_take_body(c->h, p, n) == n) return 0;
    fail(c, CURLE_WRITE_ERROR, "Failure writing output to destination");
    return 1;
}

/* Parses n bytes of response; stops as soon as the request has ended. */
static void feed(wire_conn *c, const char *p, size_t n)
{
    while (n) {
        if (is_line_state(c->state)) {
            const char *nl = memchr(p, '\n', n);
            size_t take = nl ? (size_t)(nl - p) + 1 : n;
            if (c->state == P_STATUS || c->state == P_HEADER || c->state == P_TRAILER) {
                c->header_bytes += take;
                if (c->header_bytes > MAX_HEADER_SIZE)
                    return fail(c, CURLE_RECV_ERROR, "response headers from %s exceed %d KiB",
                                c->host->authority, MAX_HEADER_SIZE / 1024);
            } else if (c->line_len + take > 4096) {
                return fail(c, CURLE_RECV_ERROR, "bad chunk size line from %s", c->host->authority);
            }
            const char *line = p;
            size_t len = take;
            if (c->line_len || !nl) { /* a line split across reads */
                if (stash(c, p, take))
                    return fail(c, CURLE_OUT_OF_MEMORY, "out of memory reading a response");
                if (!nl) return;
                line = c->line;
                len = c->line_len;
                c->line_len = 0;
            }
            p += take, n -= take;
            if (c->h && s3d_log_level >= 3 && (c->state == P_STATUS || c->state == P_HEADER))
                http_trace_lines("< ", line, len);
            len--; /* the \n */
            if (len && line[len - 1] == '\r') len--;
            if (on_line(c, line, len, n)) return;
        } else if (c->state == P_BODY) {
            size_t take = n < c->remaining ? n : (size_t)c->remaining;
            if (body_bytes(c, p, take)) return;
            p += take, n -= take;
            c->remaining -= take;
            if (c->remaining) return;
            if (c->chunked) {
                c->state = P_CHUNK_END;
            } else {
                return complete(c, n);
            }
        } else { /* P_UNTIL_EOF */
            body_bytes(c, p, n);
            return;
        }
    }
}

/* ---- socket events ---- */

static void on_alloc(uv_handle_t *handle, size_t hint, uv_buf_t *buf)
{
    (void)hint, (void)handle;
    wire_thread *wt = rt_self->wire;
    /* libuv reads and calls on_read before it asks again, and on_read parses
     * everything: one buffer serves every connection of the thread */
    if (wt->rbuf_busy) {
        *buf = uv_buf_init(NULL, 0); /* cannot happen; libuv reports UV_ENOBUFS */
        return;
    }
    wt->rbuf_busy = 1;
    *buf = uv_buf_init(wt->rbuf, READ_BUF_SIZE);
}

static const char *uv_text(int err)
{
    return err == UV_EOF ? "connection closed by the server" : uv_strerror(err);
}

/* The server closed (or reset) the connection while h waited for its answer. */
static void lost(wire_conn *c, int err)
{
    http_req *h = c->h;
    if (c->state == P_UNTIL_EOF && err == UV_EOF) return complete(c, 0);
    if (!c->got && c->reused && !h->wire_resent) {
        /* a kept-alive connection the server had already given up: curl's
         * "Connection died, retrying a fresh connect" */
        s3d_log(3, "* connection to %s died before answering; resending on a fresh one",
                c->host->authority);
        c->h = NULL;
        conn_close(c);
        h->wire_resent = 1;
        if (start(h, 1, 0)) deliver(h, h->curl_code);
        return;
    }
    if (c->write_status && !c->got)
        return fail(c, CURLE_SEND_ERROR, "Send failure to %s: %s", c->host->authority,
                    uv_strerror(c->write_status));
    if (!c->got)
        return fail(c, err == UV_EOF ? CURLE_GOT_NOTHING : CURLE_RECV_ERROR,
                    err == UV_EOF ? "Empty reply from server %s" : "Recv failure from %s: %s",
                    c->host->authority, uv_text(err));
    if (c->state == P_BODY && !c->chunked)
        return fail(c, CURLE_PARTIAL_FILE, "transfer closed with %llu bytes remaining to read (%s)",
                    (unsigned long long)c->remaining, uv_text(err));
    fail(c, c->state == P_STATUS || c->state == P_HEADER ? CURLE_RECV_ERROR : CURLE_PARTIAL_FILE,
         "transfer closed before the response from %s was complete (%s)", c->host->authority,
         uv_text(err));
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf)
{
    wire_conn *c = s->data;
    wire_thread *wt = rt_self->wire;
    if (buf->base == wt->rbuf) wt->rbuf_busy = 0;
    if (n == 0 || c->closing) return;
    if (!c->h) return conn_close(c); /* idle: the server closed it, or said something unasked */
    if (n < 0) return lost(c, (int)n);
    c->got += (uint64_t)n;
    c->win_bytes += (uint64_t)n;
    feed(c, buf->base, (size_t)n);
}

static void on_written(uv_write_t *w, int status)
{
    wire_conn *c = w->data;
    c->writing = 0;
    if (status == 0 || c->closing || status == UV_ECANCELED) return;
    c->write_status = status;
    if (!c->h) return;
    if (c->got) return; /* an answer is coming (an early error, say): let it finish */
    lost(c, status);
}

#define BODY_SEGMENT (1u << 30) /* a uv_buf_t's length is an unsigned int */
#define MAX_SEGMENTS 7          /* 7 GiB: above S3's 5 GiB for one PUT */

/* Writes the request: the header block and the caller's body (not copied). */
static void send_request(wire_conn *c, size_t hlen)
{
    http_req *h = c->h;
    uv_buf_t b[1 + MAX_SEGMENTS];
    unsigned nb = 0;
    b[nb++] = uv_buf_init(c->wbuf, (unsigned)hlen);
    for (size_t off = 0; off < h->body_len && nb < 1 + MAX_SEGMENTS; off += BODY_SEGMENT) {
        size_t n = h->body_len - off < BODY_SEGMENT ? h->body_len - off : BODY_SEGMENT;
        b[nb++] = uv_buf_init((char *)h->body + off, (unsigned)n);
    }
    uv_buf_t *bp = b;
    if (c->connected) {
        int w = uv_try_write((uv_stream_t *)&c->tcp, b, nb);
        if (w < 0 && w != UV_EAGAIN) {
            c->write_status = w;
            return lost(c, w);
        }
        size_t sent = w > 0 ? (size_t)w : 0;
        c->win_bytes += sent;
        while (nb && sent >= bp->len) sent -= bp->len, bp++, nb--;
        if (!nb) return;
        bp->base += sent;
        bp->len -= sent;
    }
    c->writing = 1;
    c->write.data = c;
    int rc = uv_write(&c->write, (uv_stream_t *)&c->tcp, bp, nb, on_written);
    if (rc) {
        c->writing = 0;
        c->write_status = rc;
        lost(c, rc);
    }
}

static int append(wire_conn *c, size_t *used, const char *s, size_t n)
{
    if (*used + n > c->wcap) {
        size_t cap = c->wcap ? c->wcap : 8192;
        while (cap < *used + n) cap *= 2;
        char *w = realloc(c->wbuf, cap);
        if (!w) return -1;
        c->wbuf = w;
        c->wcap = cap;
    }
    memcpy(c->wbuf + *used, s, n);
    *used += n;
    return 0;
}

/* "METHOD target HTTP/1.1", Host, the caller's headers (curl's conventions:
 * "Name:" means do not send Name, "Name;" sends it empty), Content-Length. */
static int build_request(wire_conn *c, const char *target, size_t *len)
{
    http_req *h = c->h;
    size_t u = 0;
    const wire_host *ho = c->host;
    int bad = append(c, &u, h->method, strlen(h->method)) || append(c, &u, " ", 1) ||
              append(c, &u, target, strlen(target)) || append(c, &u, " HTTP/1.1\r\nHost: ", 17) ||
              append(c, &u, ho->authority, strlen(ho->authority)) || append(c, &u, "\r\n", 2);
    for (int i = 0; i < h->nhdr && !bad; i++) {
        const char *d = h->hdr[i].data;
        size_t dl = strlen(d);
        if (dl && d[dl - 1] == ':') continue; /* suppressed: nothing to send */
        if (dl && d[dl - 1] == ';')
            bad = append(c, &u, d, dl - 1) || append(c, &u, ":\r\n", 3);
        else
            bad = append(c, &u, d, dl) || append(c, &u, "\r\n", 2);
    }
    if (!bad && (h->body_len || !strcmp(h->method, "PUT") || !strcmp(h->method, "POST"))) {
        char cl[48];
        int n = snprintf(cl, sizeof cl, "Content-Length: %zu\r\n", h->body_len);
        bad = append(c, &u, cl, (size_t)n);
    }
    if (bad || append(c, &u, "\r\n", 2)) return -1;
    *len = u;
    return 0;
}

/* ---- timers: connect timeout, low speed, idle age ---- */

static void on_progress_timer(uv_timer_t *t)
{
    wire_conn *c = t->data;
    http_req *h = c->h;
    if (!h || c->closing) return;
    size_t q = uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp);
    uint64_t moved = c->win_bytes + (c->win_queue > q ? c->win_queue - q : 0);
    c->win_bytes = 0;
    c->win_queue = q;
    if (moved < (uint64_t)h->low_speed_limit * (uint64_t)h->low_speed_time_s)
        fail(c, CURLE_OPERATION_TIMEDOUT,
             "Operation too slow. Less than %ld bytes/sec transferred the last %ld seconds",
             h->low_speed_limit, h->low_speed_time_s);
}

static void watch_progress(wire_conn *c)
{
    http_req *h = c->h;
    c->win_bytes = 0;
    c->win_queue = uv_stream_get_write_queue_size((uv_stream_t *)&c->tcp);
    if (h->low_speed_time_s > 0 && h->low_speed_limit > 0) {
        uint64_t ms = (uint64_t)h->low_speed_time_s * 1000;
        uv_timer_start(&c->timer, on_progress_timer, ms, ms);
    } else {
        uv_timer_stop(&c->timer);
    }
}

static void on_connect_timer(uv_timer_t *t)
{
    wire_conn *c = t->data;
    if (c->h)
        fail(c, CURLE_OPERATION_TIMEDOUT, "Connection to %s timed out after %ld milliseconds",
             c->host->authority, c->h->connect_timeout_ms);
    else
        conn_close(c);
}

static void on_idle_timer(uv_timer_t *t)
{
    conn_close(t->data);
}

/* ---- connections ---- */

static void on_conn_handle_closed(uv_handle_t *handle)
{
    wire_conn *c = handle->data;
    if (--c->handles_open) return;
    free(c->line);
    free(c->wbuf);
    free(c);
}

static void conn_close(wire_conn *c)
{
    if (c->closing) return;
    c->closing = 1;
    if (c->idle) c->host->nidle--, c->idle = 0;
    list_unlink(c);
    uv_close((uv_handle_t *)&c->tcp, on_conn_handle_closed);
    uv_close((uv_handle_t *)&c->timer, on_conn_handle_closed);
}

static void on_connected(uv_connect_t *req, int status)
{
    wire_conn *c = req->data;
    if (c->closing) return;
    if (status < 0) {
        http_req *h = c->h;
        int tried = c->tried + 1;
        if (h && tried < c->host->naddr) { /* curl too tries every address of a name */
            s3d_log(3, "* connecting to %s port %d failed (%s); trying its next address",
                    c->host->name, c->host->port, uv_strerror(status));
            c->h = NULL;
            conn_close(c);
            if (start(h, 1, tried)) deliver(h, h->curl_code);
            return;
        }
        return fail(c, CURLE_COULDNT_CONNECT, "Failed to connect to %s port %d: %s", c->host->name,
                    c->host->port, uv_strerror(status));
    }
    c->connected = 1;
    int rc = uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read);
    if (rc)
        return fail(c, CURLE_RECV_ERROR, "cannot read from %s: %s", c->host->authority,
                    uv_strerror(rc));
    if (s3d_log_level >= 3)
        fprintf(stderr, "* Connected to %s port %d (s3dlua's HTTP/1.1 client)\n", c->host->name,
                c->host->port);
    if (c->h) watch_progress(c);
}

static wire_conn *conn_new(wire_host *ho, http_req *h, int tried)
{
    wire_conn *c = calloc(1, sizeof *c);
    if (!c) {
        h->curl_code = CURLE_OUT_OF_MEMORY;
        return NULL;
    }
    c->host = ho;
    c->tried = tried;
    uv_tcp_init(&rt_self->loop, &c->tcp);
    uv_timer_init(&rt_self->loop, &c->timer);
    c->tcp.data = c->timer.data = c->connect.data = c;
    c->handles_open = 2;
    const struct sockaddr *sa = (const struct sockaddr *)&ho->addr[ho->next_addr];
    ho->next_addr = (ho->next_addr + 1) % ho->naddr; /* spread over every address */
    uv_tcp_nodelay(&c->tcp, 1);
    int rc = uv_tcp_connect(&c->connect, &c->tcp, sa, on_connected);
    if (rc) {
        h->curl_code = CURLE_COULDNT_CONNECT;
        snprintf(h->errbuf, sizeof h->errbuf, "Failed to connect to %.200s port %d: %s", ho->name,
                 ho->port, uv_strerror(rc));
        conn_close(c);
        return NULL;
    }
    uv_timer_start(&c->timer, on_connect_timer,
                   (uint64_t)(h->connect_timeout_ms > 0 ? h->connect_timeout_ms : 300000), 0);
    return c;
}

/* ---- hosts: names resolved on first use (blocking, once per thread and
 * host), then again every minute in the background ---- */

static void take_addrs(wire_host *ho, const struct addrinfo *res)
{
    int n = 0;
    for (const struct addrinfo *ai = res; ai && n < MAX_ADDRS; ai = ai->ai_next)
        if (ai->ai_addrlen <= sizeof ho->addr[0] &&
            (ai->ai_family == AF_INET || ai->ai_family == AF_INET6))
            memcpy(&ho->addr[n++], ai->ai_addr, ai->ai_addrlen);
    if (!n) return; /* keep what worked before */
    ho->naddr = n;
    ho->next_addr = 0;
}

static void on_refreshed(uv_getaddrinfo_t *req, int status, struct addrinfo *res)
{
    wire_host *ho = req->data;
    ho->refreshing = 0;
    ho->resolved_at = uv_hrtime(); /* a failed lookup is tried again a minute later */
    if (status == 0)
        take_addrs(ho, res);
    else if (status != UV_ECANCELED)
        s3d_log(2, "looking up %s again failed (%s); keeping its addresses", ho->name,
                uv_strerror(status));
    uv_freeaddrinfo(res);
}

static const struct addrinfo lookup_hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};

static int resolve(wire_host *ho, http_req *h)
{
    struct in6_addr a6;
    struct in_addr a4;
    ho->naddr = ho->next_addr = 0;
    if (inet_pton(AF_INET, ho->name, &a4) == 1) {
        struct sockaddr_in *s = (struct sockaddr_in *)&ho->addr[0];
        memset(s, 0, sizeof *s);
        s->sin_family = AF_INET;
        s->sin_port = htons((uint16_t)ho->port);
        s->sin_addr = a4;
        ho->naddr = ho->numeric = 1;
    } else if (inet_pton(AF_INET6, ho->name, &a6) == 1) {
        struct sockaddr_in6 *s = (struct sockaddr_in6 *)&ho->addr[0];
        memset(s, 0, sizeof *s);
        s->sin6_family = AF_INET6;
        s->sin6_port = htons((uint16_t)ho->port);
        s->sin6_addr = a6;
        ho->naddr = ho->numeric = 1;
    } else {
        struct addrinfo *res;
        char port[16];
        snprintf(port, sizeof port, "%d", ho->port);
        int rc = getaddrinfo(ho->name, port, &lookup_hints, &res);
        if (rc) {
            h->curl_code = CURLE_COULDNT_RESOLVE_HOST;
            snprintf(h->errbuf, sizeof h->errbuf, "Could not resolve host: %.200s (%s)", ho->name,
                     gai_strerror(rc));
            return -1;
        }
        take_addrs(ho, res);
        freeaddrinfo(res);
        if (!ho->naddr) {
            h->curl_code = CURLE_COULDNT_RESOLVE_HOST;
            snprintf(h->errbuf, sizeof h->errbuf, "Could not resolve host: %.200s", ho->name);
            return -1;
        }
    }
    ho->resolved_at = uv_hrtime();
    return 0;
}

static void refresh(wire_host *ho)
{
    char port[16];
    snprintf(port, sizeof port, "%d", ho->port);
    ho->lookup.data = ho;
    if (uv_getaddrinfo(&rt_self->loop, &ho->lookup, on_refreshed, ho->name, port, &lookup_hints) ==
        0)
        ho->refreshing = 1;
    else
        ho->resolved_at = uv_hrtime();
}

/* The host of "http://authority/..." (created on first use); *target is set
 * to the request target ("/path?query"). */
static wire_host *host_for(wire_thread *wt, http_req *h, const char **target)
{
    const char *a = h->url + 7;
    size_t al = strcspn(a, "/?#");
    *target = a[al] == '/' ? a + al : a[al] ? NULL : "/";
    if (!*target || al == 0 || al >= sizeof wt->hosts->authority || memchr(a, '@', al)) {
        h->curl_code = CURLE_URL_MALFORMAT;
        snprintf(h->errbuf, sizeof h->errbuf, "URL not understood: %.200s", h->url);
        return NULL;
    }
    wire_host *ho = wt->hosts;
    while (ho && (strncmp(ho->authority, a, al) || ho->authority[al])) ho = ho->next;
    if (!ho) {
        ho = calloc(1, sizeof *ho);
        if (!ho) {
            h->curl_code = CURLE_OUT_OF_MEMORY;
            return NULL;
        }
        memcpy(ho->authority, a, al);
        const char *name = a, *port = NULL;
        size_t nl = al;
        if (*a == '[') { /* [v6]:port */
            const char *end = memchr(a, ']', al);
            if (end)
                name = a + 1, nl = (size_t)(end - a - 1), port = end + 1 < a + al ? end + 1 : NULL;
        } else {
            const char *colon = memchr(a, ':', al);
            if (colon) nl = (size_t)(colon - a), port = colon;
        }
        memcpy(ho->name, name, nl);
        ho->port = port && *port == ':' ? atoi(port + 1) : 80;
        list_init(&ho->idle);
        ho->next = wt->hosts;
        wt->hosts = ho;
    }
    if (ho->port <= 0 || ho->port > 65535) {
        h->curl_code = CURLE_URL_MALFORMAT;
        snprintf(h->errbuf, sizeof h->errbuf, "bad port in URL: %.200s", h->url);
        return NULL;
    }
    if (!ho->naddr) {
        if (resolve(ho, h)) return NULL;
    } else if (!ho->numeric && !ho->refreshing && uv_hrtime() - ho->resolved_at > RESOLVE_TTL_NS) {
        refresh(ho);
    }
    return ho;
}

/* Puts h on a connection (an idle one unless `fresh`; a new one goes to the
 * host's next address, `tried` of them having failed) and writes it. Returns
 * -1 with h->curl_code/errbuf set when it could not be started. */
static int start(http_req *h, int fresh, int tried)
{
    wire_thread *wt = thread_state();
    if (!wt) {
        h->curl_code = CURLE_OUT_OF_MEMORY;
        return -1;
    }
    if (h->body_len > (size_t)MAX_SEGMENTS * BODY_SEGMENT) {
        h->curl_code = CURLE_FILESIZE_EXCEEDED;
        snprintf(h->errbuf, sizeof h->errbuf, "a request body of %zu bytes is more than 7 GiB",
                 h->body_len);
        return -1;
    }
    const char *target;
    wire_host *ho = host_for(wt, h, &target);
    if (!ho) return -1;
    wire_conn *c = NULL;
    if (!fresh && ho->nidle) {
        c = ho->idle.next;
        list_unlink(c);
        ho->nidle--;
        c->idle = 0;
        c->reused = 1;
    } else {
        c = conn_new(ho, h, tried);
        if (!c) return -1;
    }
    list_push(&wt->busy, c);
    c->h = h;
    c->state = P_STATUS;
    c->got = 0;
    c->header_bytes = 0;
    c->line_len = 0;
    c->write_status = 0;
    c->chunked = c->interim = 0;
    c->keep_alive = 1;
    c->head = strcmp(h->method, "HEAD") == 0;
    size_t hlen;
    if (build_request(c, target, &hlen)) {
        c->h = NULL;
        conn_close(c);
        h->curl_code = CURLE_OUT_OF_MEMORY;
        snprintf(h->errbuf, sizeof h->errbuf, "out of memory building a request");
        return -1;
    }
    if (s3d_log_level >= 3) http_trace_lines("> ", c->wbuf, hlen - 2);
    if (c->connected) watch_progress(c);
    send_request(c, hlen);
    return 0;
}

int wire_submit(http_req *h)
{
    h->wire_resent = 0;
    return start(h, 0, 0);
}

void wire_thread_shutdown(rt *r)
{
    wire_thread *wt = r->wire;
    if (!wt) return;
    for (wire_host *ho = wt->hosts; ho; ho = ho->next) {
        while (ho->idle.next != &ho->idle) conn_close(ho->idle.next);
        if (ho->refreshing) uv_cancel((uv_req_t *)&ho->lookup);
    }
    while (wt->busy.next != &wt->busy) {
        wire_conn *c = wt->busy.next;
        c->h = NULL; /* nothing is in flight when a thread ends; were it, none would wait */
        conn_close(c);
    }
    uv_run(&r->loop, UV_RUN_DEFAULT); /* the close callbacks free the connections */
    while (wt->hosts) {
        wire_host *next = wt->hosts->next;
        free(wt->hosts);
        wt->hosts = next;
    }
    free(wt->rbuf);
    free(wt);
    r->wire = NULL;
}
