/* http.c - libcurl's multi_socket interface on the thread's libuv loop.
 *
 * The glue of curl's docs/examples/multi-uv.c with the changes DESIGN 2
 * measured: a socket's uv_poll_t lives as long as the socket (we open and
 * close sockets through CURLOPT_OPENSOCKETFUNCTION/CLOSESOCKETFUNCTION), so a
 * connection going back to curl's cache and coming out again costs an
 * epoll_ctl, not a handle teardown; a 0 ms timeout is a real 0 ms timer;
 * CURLOPT_NOSIGNAL; large receive buffers; easy handles are pooled. */
#include "http.h"
#include "log.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

typedef struct sock_ctx {
    uv_poll_t poll;
    curl_socket_t fd;
    struct http_thread *ht;
} sock_ctx;

typedef struct http_thread {
    CURLM *multi;
    uv_timer_t timer;
    sock_ctx **socks; /* indexed by fd */
    int nsocks;
    CURL **free_easy;
    int nfree, capfree;
    rt *r;
} http_thread;

static http_thread *thread_state(void);

void http_req_init(http_req *h)
{
    /* url is left alone: the caller may have built it already */
    h->errbody.len = 0;
    h->method = NULL;
    h->nhdr = 0;
    h->hdr_used = 0;
    h->body = NULL;
    h->body_len = h->body_off = 0;
    h->out = NULL;
    h->discard = 0;
    h->sink = NULL;
    h->status = 0;
    h->curl_code = CURLE_OK;
    h->errbuf[0] = 0;
    h->body_bytes = 0;
    h->content_length = -1;
    h->etag[0] = h->last_modified[0] = h->content_range[0] = 0;
    h->t_first = 0;
    h->connect_timeout_ms = 10000;
    h->low_speed_time_s = 30;
    h->low_speed_limit = 1;
    h->ca_bundle = NULL;
    h->verify_tls = 1;
    h->use_curl = 0;
    h->wire_resent = 0;
    h->done = NULL;
    h->data = NULL;
}

int http_add_header(http_req *h, const char *name, const char *value)
{
    if (!value) { /* "Name:" tells curl not to send a header it would add */
        size_t nl = strlen(name);
        if (h->nhdr >= HTTP_MAX_HEADERS || h->hdr_used + nl + 2 > HTTP_HEADER_SPACE) return -1;
        char *p = h->hdr_space + h->hdr_used;
        memcpy(p, name, nl);
        p[nl] = ':', p[nl + 1] = 0;
        h->hdr_used += nl + 2;
        h->hdr[h->nhdr].data = p;
        h->hdr[h->nhdr].next = NULL;
        if (h->nhdr) h->hdr[h->nhdr - 1].next = &h->hdr[h->nhdr];
        h->nhdr++;
        return 0;
    }
    size_t nl = strlen(name), vl = strlen(value);
    if (h->nhdr >= HTTP_MAX_HEADERS || h->hdr_used + nl + vl + 3 > HTTP_HEADER_SPACE) return -1;
    char *p = h->hdr_space + h->hdr_used;
    memcpy(p, name, nl);
    p[nl] = ':';
    p[nl + 1] = ' ';
    memcpy(p + nl + 2, value, vl + 1);
    /* "Name:" with nothing after tells curl to drop a default header; an empty
     * value must be sent as "Name;" */
    if (vl == 0) p[nl] = ';', p[nl + 1] = 0;
    h->hdr_used += nl + vl + 3;
    h->hdr[h->nhdr].data = p;
    h->hdr[h->nhdr].next = NULL;
    if (h->nhdr) h->hdr[h->nhdr - 1].next = &h->hdr[h->nhdr];
    h->nhdr++;
    return 0;
}

/* ---- what both clients do with a response ---- */

void http_take_header(http_req *h, const char *buf, size_t len)
{
    if (!h->t_first) h->t_first = uv_hrtime();
    struct {
        const char *name;
        char *dst;
        size_t cap;
    } want[] = {
        {"etag:", h->etag, sizeof h->etag},
        {"last-modified:", h->last_modified, sizeof h->last_modified},
        {"content-range:", h->content_range, sizeof h->content_range},
    };
    if (len > 5 && strncmp(buf, "HTTP/", 5) == 0) {
        /* a new response (after 100-continue or a redirect): forget the last one */
        h->etag[0] = h->last_modified[0] = h->content_range[0] = 0;
        h->content_length = -1;
        const char *sp = memchr(buf, ' ', len);
        h->status = sp ? strtol(sp + 1, NULL, 10) : 0;
        return;
    }
    if (len > 15 && strncasecmp(buf, "content-length:", 15) == 0) {
        h->content_length = strtoll(buf + 15, NULL, 10);
        return;
    }
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        size_t nl = strlen(want[i].name);
        if (len <= nl || strncasecmp(buf, want[i].name, nl)) continue;
        const char *v = buf + nl;
        size_t vl = len - nl;
        while (vl && (*v == ' ' || *v == '\t')) v++, vl--;
        while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' ')) vl--;
        if (vl >= want[i].cap) vl = want[i].cap - 1;
        memcpy(want[i].dst, v, vl);
        want[i].dst[vl] = 0;
    }
}

size_t http_take_body(http_req *h, const char *data, size_t len)
{
    if (h->status >= 300) {
        /* keep up to 64 KiB of an error body for its XML message */
        size_t room = h->errbody.len < 65536 ? 65536 - h->errbody.len : 0;
        size_t take = len < room ? len : room;
        if (take && !s3d_buf_reserve(&h->errbody, h->errbody.len + take)) {
            memcpy(h->errbody.data + h->errbody.len, data, take);
            h->errbody.len += take;
        }
        return len;
    }
    h->body_bytes += len;
    if (h->sink) return h->sink(h, data, len);
    if (h->discard || !h->out) return len;
    s3d_buf *b = h->out;
    if (b->len + len > b->cap) {
        size_t want = b->cap ? b->cap * 2 : 65536;
        if (h->content_length > 0 && (size_t)h->content_length > want)
            want = (size_t)h->content_length;
        while (want < b->len + len) want *= 2;
        if (s3d_buf_reserve(b, want)) return 0; /* the transfer fails: a write error */
    }
    memcpy(b->data + b->len, data, len);
    b->len += len;
    return len;
}

void http_trace_lines(const char *mark, const char *data, size_t len)
{
    for (size_t i = 0; i < len;) {
        const char *line = data + i;
        const char *nl = memchr(line, '\n', len - i);
        size_t ll = nl ? (size_t)(nl - line) + 1 : len - i;
        if ((ll > 14 && strncasecmp(line, "authorization:", 14) == 0) ||
            (ll > 21 && strncasecmp(line, "x-amz-security-token:", 21) == 0)) {
            const char *colon = memchr(line, ':', ll);
            fprintf(stderr, "%s%.*s: [redacted]\n", mark, (int)(colon - line), line);
        } else {
            fprintf(stderr, "%s%.*s", mark, (int)ll, line);
        }
        if (!nl) fputc('\n', stderr);
        i += ll;
    }
}

int http_client_from_name(const char *name)
{
    if (!name || !*name || !strcmp(name, "native")) return 0;
    if (!strcmp(name, "curl")) return 1;
    return -1;
}

/* ---- libcurl callbacks ---- */

static size_t on_header(char *buf, size_t size, size_t n, void *ud)
{
    http_take_header(ud, buf, size * n);
    return size * n;
}

static size_t on_body(char *data, size_t size, size_t n, void *ud)
{
    return http_take_body(ud, data, size * n);
}

static size_t on_read(char *dst, size_t size, size_t n, void *ud)
{
    http_req *h = ud;
    size_t room = size * n, left = h->body_len - h->body_off;
    size_t take = left < room ? left : room;
    if (take) memcpy(dst, h->body + h->body_off, take);
    h->body_off += take;
    return take;
}

static int on_seek(void *ud, curl_off_t off, int origin)
{
    http_req *h = ud;
    if (origin != SEEK_SET || off < 0 || (size_t)off > h->body_len) return CURL_SEEKFUNC_FAIL;
    h->body_off = (size_t)off;
    return CURL_SEEKFUNC_OK;
}

/* libcurl's trace for -vvv, without what must never be logged */
static int on_trace(CURL *e, curl_infotype type, char *data, size_t len, void *ud)
{
    (void)e, (void)ud;
    if (type == CURLINFO_TEXT)
        fprintf(stderr, "* %.*s", (int)len, data);
    else if (type == CURLINFO_HEADER_IN || type == CURLINFO_HEADER_OUT)
        http_trace_lines(type == CURLINFO_HEADER_IN ? "< " : "> ", data, len);
    return 0;
}

/* ---- sockets: their poll handles live as long as they do ---- */

static void check_done(http_thread *ht)
{
    CURLMsg *msg;
    int left;
    while ((msg = curl_multi_info_read(ht->multi, &left))) {
        if (msg->msg != CURLMSG_DONE) continue;
        CURL *easy = msg->easy_handle;
        http_req *h = NULL;
        curl_easy_getinfo(easy, CURLINFO_PRIVATE, (char **)&h);
        h->curl_code = msg->data.result;
        curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &h->status);
        curl_multi_remove_handle(ht->multi, easy);
        if (h->curl_code) s3d_log(2, "http %s %s: %s", h->method, h->url, http_error_text(h));
        h->done(h);
    }
}

static void on_poll(uv_poll_t *p, int status, int events)
{
    sock_ctx *sc = p->data;
    int flags = 0;
    if (status < 0) flags = CURL_CSELECT_ERR;
    if (events & UV_READABLE) flags |= CURL_CSELECT_IN;
    if (events & UV_WRITABLE) flags |= CURL_CSELECT_OUT;
    int running;
    curl_multi_socket_action(sc->ht->multi, sc->fd, flags, &running);
    check_done(sc->ht);
}

static sock_ctx *sock_lookup(http_thread *ht, curl_socket_t fd)
{
    return fd >= 0 && fd < ht->nsocks ? ht->socks[fd] : NULL;
}

static int on_socket(CURL *easy, curl_socket_t fd, int what, void *userp, void *socketp)
{
    (void)easy, (void)socketp;
    http_thread *ht = userp;
    sock_ctx *sc = sock_lookup(ht, fd);
    if (!sc) return 0; /* not a socket we opened (should not happen) */
    if (what == CURL_POLL_REMOVE) {
        uv_poll_stop(&sc->poll); /* keep the handle: the socket may come back from the cache */
        return 0;
    }
    int ev = 0;
    if (what & CURL_POLL_IN) ev |= UV_READABLE;
    if (what & CURL_POLL_OUT) ev |= UV_WRITABLE;
    uv_poll_start(&sc->poll, ev, on_poll);
    return 0;
}

static curl_socket_t on_open_socket(void *ud, curlsocktype purpose, struct curl_sockaddr *addr)
{
    (void)purpose;
    http_thread *ht = ud;
    curl_socket_t fd = socket(addr->family, addr->socktype | SOCK_CLOEXEC, addr->protocol);
    if (fd < 0) return CURL_SOCKET_BAD;
    if (fd >= ht->nsocks) {
        int n = ht->nsocks ? ht->nsocks : 64;
        while (n <= fd) n *= 2;
        sock_ctx **s = realloc(ht->socks, (size_t)n * sizeof *s);
        if (!s) goto fail;
        memset(s + ht->nsocks, 0, (size_t)(n - ht->nsocks) * sizeof *s);
        ht->socks = s;
        ht->nsocks = n;
    }
    sock_ctx *sc = calloc(1, sizeof *sc);
    if (!sc) goto fail;
    sc->fd = fd;
    sc->ht = ht;
    if (uv_poll_init_socket(&ht->r->loop, &sc->poll, fd)) {
        free(sc);
        goto fail;
    }
    sc->poll.data = sc;
    ht->socks[fd] = sc;
    return fd;
fail:
    close(fd);
    return CURL_SOCKET_BAD;
}

static void free_handle(uv_handle_t *h)
{
    free(h->data);
}

static int on_close_socket(void *ud, curl_socket_t fd)
{
    http_thread *ht = ud;
    sock_ctx *sc = sock_lookup(ht, fd);
    if (sc) {
        ht->socks[fd] = NULL;
        uv_close((uv_handle_t *)&sc->poll, free_handle); /* deregisters fd from epoll now */
    }
    return close(fd);
}

static void on_timer(uv_timer_t *t)
{
    http_thread *ht = t->data;
    int running;
    curl_multi_socket_action(ht->multi, CURL_SOCKET_TIMEOUT, 0, &running);
    check_done(ht);
}

static int on_timeout(CURLM *multi, long ms, void *userp)
{
    (void)multi;
    http_thread *ht = userp;
    if (ms < 0)
        uv_timer_stop(&ht->timer);
    else
        uv_timer_start(&ht->timer, on_timer, (uint64_t)ms, 0);
    return 0;
}

static http_thread *thread_state(void)
{
    rt *r = rt_self;
    if (r->http) return r->http;
    http_thread *ht = calloc(1, sizeof *ht);
    if (!ht) return NULL;
    ht->r = r;
    ht->multi = curl_multi_init();
    if (!ht->multi) {
        free(ht);
        return NULL;
    }
    uv_timer_init(&r->loop, &ht->timer);
    ht->timer.data = ht;
    curl_multi_setopt(ht->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(ht->multi, CURLMOPT_SOCKETDATA, ht);
    curl_multi_setopt(ht->multi, CURLMOPT_TIMERFUNCTION, on_timeout);
    curl_multi_setopt(ht->multi, CURLMOPT_TIMERDATA, ht);
    r->http = ht;
    return ht;
}

static CURL *easy_get(http_thread *ht)
{
    if (ht->nfree) {
        CURL *e = ht->free_easy[--ht->nfree];
        curl_easy_reset(e);
        return e;
    }
    return curl_easy_init();
}

/* Our client for plain http:// unless a proxy is configured (libcurl knows
 * proxies and no_proxy) or the caller asked for libcurl. */
static int wants_native(const http_req *h)
{
    static _Thread_local int proxy = -1;
    if (h->use_curl || strncmp(h->url, "http://", 7)) return 0;
    if (proxy < 0) {
        const char *vars[] = {"http_proxy", "all_proxy", "ALL_PROXY"};
        proxy = 0;
        for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++) {
            const char *v = getenv(vars[i]);
            if (v && *v) proxy = 1;
        }
    }
    return !proxy;
}

int http_submit(http_req *h)
{
    if (wants_native(h)) return wire_submit(h);
    http_thread *ht = thread_state();
    if (!ht) {
        h->curl_code = CURLE_OUT_OF_MEMORY;
        return -1;
    }
    if (h->easy)
        curl_easy_reset(h->easy); /* options of the last request must not leak into this one */
    else
        h->easy = easy_get(ht);
    CURL *e = h->easy;
    if (!e) {
        h->curl_code = CURLE_OUT_OF_MEMORY;
        return -1;
    }
    curl_easy_setopt(e, CURLOPT_URL, h->url);
    curl_easy_setopt(e, CURLOPT_PRIVATE, (char *)h);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, h->errbuf);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, h->nhdr ? h->hdr : NULL);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, h);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, h);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, ht);
    curl_easy_setopt(e, CURLOPT_CLOSESOCKETFUNCTION, on_close_socket);
    curl_easy_setopt(e, CURLOPT_CLOSESOCKETDATA, ht);
    curl_easy_setopt(e, CURLOPT_BUFFERSIZE, 512L * 1024);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, h->connect_timeout_ms);
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, h->low_speed_time_s);
    curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, h->low_speed_limit);
    curl_easy_setopt(e, CURLOPT_TCP_NODELAY, 1L);
    if (s3d_log_level >= 3) { /* -vvv: the wire, secrets masked */
        curl_easy_setopt(e, CURLOPT_VERBOSE, 1L);
        curl_easy_setopt(e, CURLOPT_DEBUGFUNCTION, on_trace);
    }
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, h->verify_tls ? 1L : 0L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, h->verify_tls ? 2L : 0L);
    if (h->ca_bundle) curl_easy_setopt(e, CURLOPT_CAINFO, h->ca_bundle);
    if (strcmp(h->method, "HEAD") == 0) {
        curl_easy_setopt(e, CURLOPT_NOBODY, 1L);
    } else if (strcmp(h->method, "GET") == 0) {
        curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    } else if (strcmp(h->method, "PUT") == 0 || strcmp(h->method, "POST") == 0) {
        if (h->method[1] == 'U') {
            curl_easy_setopt(e, CURLOPT_UPLOAD, 1L);
            curl_easy_setopt(e, CURLOPT_INFILESIZE_LARGE, (curl_off_t)h->body_len);
        } else {
            curl_easy_setopt(e, CURLOPT_POST, 1L);
            curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)h->body_len);
        }
        /* the body is read from memory; seeking lets curl resend it (redirects, auth) */
        curl_easy_setopt(e, CURLOPT_READFUNCTION, on_read);
        curl_easy_setopt(e, CURLOPT_READDATA, h);
        curl_easy_setopt(e, CURLOPT_SEEKFUNCTION, on_seek);
        curl_easy_setopt(e, CURLOPT_SEEKDATA, h);
    } else {
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, h->method);
    }
    CURLMcode mc = curl_multi_add_handle(ht->multi, e);
    if (mc != CURLM_OK) {
        h->curl_code = CURLE_FAILED_INIT;
        snprintf(h->errbuf, sizeof h->errbuf, "%s", curl_multi_strerror(mc));
        return -1;
    }
    return 0;
}

void http_req_release(http_req *h)
{
    http_thread *ht = rt_self ? rt_self->http : NULL;
    if (h->easy) {
        if (ht && ht->nfree < 1024) {
            if (ht->nfree == ht->capfree) {
                int cap = ht->capfree ? ht->capfree * 2 : 64;
                CURL **f = realloc(ht->free_easy, (size_t)cap * sizeof *f);
                if (f) ht->free_easy = f, ht->capfree = cap;
            }
            if (ht->nfree < ht->capfree) {
                ht->free_easy[ht->nfree++] = h->easy;
                h->easy = NULL;
            }
        }
        if (h->easy) curl_easy_cleanup(h->easy);
        h->easy = NULL;
    }
    s3d_buf_free(&h->errbody);
}

void http_thread_shutdown(rt *r)
{
    wire_thread_shutdown(r);
    http_thread *ht = r->http;
    if (!ht) return;
    for (int i = 0; i < ht->nfree; i++) curl_easy_cleanup(ht->free_easy[i]);
    free(ht->free_easy);
    curl_multi_cleanup(ht->multi); /* closes cached connections through on_close_socket */
    uv_close((uv_handle_t *)&ht->timer, NULL);
    uv_run(&r->loop, UV_RUN_DEFAULT); /* let the close callbacks free the socket contexts */
    free(ht->socks);
    free(ht);
    r->http = NULL;
}

const char *http_error_text(const http_req *h)
{
    if (h->errbuf[0]) return h->errbuf;
    return curl_easy_strerror(h->curl_code);
}
