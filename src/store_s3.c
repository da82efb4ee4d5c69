/* store_s3.c - s3://bucket/prefix: the S3 REST API over http.c, signed with
 * SigV4 (sigv4.c), errors parsed from S3's XML (xml.c).
 *
 * Every store operation is one s3_op (pooled per store, so no allocation per
 * request) that may take several HTTP requests: a retry after a 5xx, SlowDown
 * or a dropped connection (idempotent requests only, exponential backoff with
 * full jitter), or the steps of a multipart upload. Writers stage one part
 * (part_size, 8 MiB by default) and create the multipart upload only when the
 * first part is full, so small objects are a single PUT; a failed or
 * abandoned multipart upload is aborted so nothing half-written stays. */
#include "http.h"
#include "log.h"
#include "s3_conf.h"
#include "sigv4.h"
#include "store.h"
#include "units.h"
#include "xml.h"
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define LIST_PAGE    1000
#define DELETE_BATCH 1000 /* DeleteObjects takes at most 1000 keys */

typedef struct s3_impl s3_impl;

struct s3d_stream {
    int writing;
    char *key; /* full object key in the bucket */
    uint64_t size, pos;
    s3d_buf stage;
    char upload_id[512];
    char (*etags)[80]; /* by part number - 1 */
    int nparts, capparts;
    uint64_t total;
    s3d_store *st;              /* for a fire-and-forget abort */
    int inflight;               /* parts being uploaded (at most conf.part_concurrency) */
    s3d_req *waiting;           /* a write/commit/abort waiting for a part slot or for all parts */
    int fail_code, fail_status; /* the first failed part, reported by the next call */
    char fail_detail[200];
    int orphaned;    /* collected while parts were in flight: freed by the last one */
    const char *ext; /* a large put: parts are slices of the caller's body, not copies */
    size_t ext_len, ext_off;
};

/* STEP_WHY: a HEAD failed with 400/403 and, having no body, no reason; a
 * one-byte GET of the same key fetches S3's XML error (SignatureDoesNotMatch,
 * AccessDenied, ...) so the error says why. */
enum step { STEP_MAIN, STEP_CREATE_UPLOAD, STEP_PART, STEP_COMPLETE, STEP_ABORT, STEP_WHY };

typedef struct s3_op {
    http_req h; /* first: the http completion gives us back the op */
    s3d_req *req;
    s3d_store *st;
    int attempt;
    uint64_t t_attempt; /* when this attempt's request went out */
    int idempotent;
    int step;
    int orphan;              /* abort of a garbage-collected writer: nobody waits */
    int seq;                 /* a sequential stream read: advances the stream position */
    int keep_error;          /* an abort after a failure: the failure is what gets reported */
    uint64_t range_start;    /* first byte a ranged GET asked for */
    uint64_t range_len;      /* and how many (0: to the end) */
    size_t batch, batch_len; /* delete_many: first key and count of this request */
    char content_md5[32];
    /* a DeleteResult error being read */
    char del_key[1100], del_code[64], del_msg[200];
    s3d_stream *part_of; /* an UploadPart of this writer (no request waits on it) */
    int part_no;
    const char *part_src; /* the part's bytes when they are not in body (large puts) */
    size_t part_len;
    uv_timer_t *timer;
    struct s3_op *next_free;
    s3d_buf body; /* request bodies we build; a part's data (kept for the next part) */
    s3d_buf resp; /* XML answers */
    char path[HTTP_URL_MAX / 2];
    char query[2048];
    char list_prefix_full[2048];
    size_t strip; /* bytes of the store prefix to cut from listed keys */
    /* what the XML said */
    char code[64];
    char message[256];
    char upload_id[512];
    int truncated;
} s3_op;

struct s3_impl {
    s3_conf conf;
    sigv4_signer signer;
    int anonymous;
    s3_op *free_ops;
};

/* ---- helpers ---- */

static s3_op *op_get(s3d_store *st)
{
    s3_impl *im = st->impl;
    s3_op *op = im->free_ops;
    if (op) {
        im->free_ops = op->next_free;
        CURL *easy = op->h.easy;
        s3d_buf eb = op->h.errbody, body = op->body, resp = op->resp;
        uv_timer_t *timer = op->timer;
        memset(op, 0, offsetof(s3_op, path));
        op->h.easy = easy;
        op->h.errbody = eb;
        op->body = body;
        op->body.len = 0;
        op->resp = resp;
        op->resp.len = 0;
        op->timer = timer;
    } else {
        op = calloc(1, sizeof *op);
        if (!op) return NULL;
    }
    op->st = st;
    op->path[0] = op->query[0] = op->code[0] = op->message[0] = op->upload_id[0] = 0;
    return op;
}

static void op_put(s3_op *op)
{
    s3_impl *im = op->st->impl;
    op->next_free = im->free_ops;
    im->free_ops = op;
}

static void timer_free_cb(uv_handle_t *h)
{
    free(h);
}

static void op_free(s3_op *op)
{
    http_req_release(&op->h);
    s3d_buf_free(&op->body);
    s3d_buf_free(&op->resp);
    if (op->timer) uv_close((uv_handle_t *)op->timer, timer_free_cb);
    free(op);
}

/* Appends the URI-encoding of s (S3 rules: unreserved kept, '/' kept when
 * keep_slash) to dst at *used. */
static int append_encoded(char *dst, size_t cap, size_t *used, const char *s, size_t len,
                          int keep_slash)
{
    size_t n = sigv4_uri_encode(dst + *used, cap - *used, s, len, keep_slash);
    if (*used + n >= cap) return -1;
    *used += n;
    return 0;
}

/* Path-style for custom endpoints; virtual-hosted (bucket.s3.region...) for
 * AWS, except for bucket names with dots, which TLS wildcards do not cover. */
static int path_style(const s3d_store *st)
{
    const s3_conf *c = &((const s3_impl *)st->impl)->conf;
    return c->path_style || strchr(st->bucket, '.') != NULL;
}

/* Builds op->path ("/bucket/key" path-style, "/key" virtual-hosted) and the URL. */
static int build_target(s3_op *op, const char *key, size_t klen)
{
    s3_impl *im = op->st->impl;
    const s3_conf *c = &im->conf;
    size_t used = 0;
    op->path[used++] = '/';
    if (path_style(op->st)) {
        if (append_encoded(op->path, sizeof op->path, &used, op->st->bucket, strlen(op->st->bucket),
                           0))
            return -1;
        if (key) op->path[used++] = '/';
    }
    if (key && append_encoded(op->path, sizeof op->path, &used, key, klen, 1)) return -1;
    op->path[used] = 0;
    int n;
    if (path_style(op->st)) {
        n = snprintf(op->h.url, sizeof op->h.url, "%s%s%s%s", c->endpoint, op->path,
                     op->query[0] ? "?" : "", op->query);
    } else {
        const char *scheme_end = strstr(c->endpoint, "://") + 3;
        n = snprintf(op->h.url, sizeof op->h.url, "%.*s%s.%s%s%s%s",
                     (int)(scheme_end - c->endpoint), c->endpoint, op->st->bucket, c->host,
                     op->path, op->query[0] ? "?" : "", op->query);
    }
    return n < 0 || (size_t)n >= sizeof op->h.url ? -1 : 0;
}

/* Full key: the store prefix + the request's key. */
static int full_key(s3d_store *st, const char *key, size_t klen, char *out, size_t cap)
{
    int n = snprintf(out, cap, "%s%.*s", st->prefix, (int)klen, key ? key : "");
    return n < 0 || (size_t)n >= cap ? -1 : n;
}

static void on_http_done(http_req *h);

/* Signs and submits op->h for `method` with the given payload. */
static void start_http(s3_op *op, const char *method, const char *body, size_t len,
                       const char *range)
{
    s3_impl *im = op->st->impl;
    const s3_conf *c = &im->conf;
    http_req *h = &op->h;
    http_req_init(h);
    h->method = method;
    h->body = body;
    h->body_len = len;
    h->done = on_http_done;
    h->data = op;
    h->connect_timeout_ms = c->connect_timeout_ms;
    h->low_speed_time_s = c->low_speed_time_s;
    h->verify_tls = c->verify_tls;
    h->use_curl = c->use_curl;
    h->ca_bundle = c->ca_bundle[0] ? c->ca_bundle : NULL;
    if (op->req && op->req->op == OP_GET && op->step == STEP_MAIN) {
        h->out = op->req->buf;
        h->discard = op->req->discard;
        if (h->out) h->out->len = 0;
    } else if (op->req && op->req->op == OP_READ && op->step == STEP_MAIN) {
        h->out = op->req->buf;
        h->out->len = 0;
    } else if (op->part_of) {
        h->discard = 1; /* UploadPart answers with headers only */
    } else {
        h->out = &op->resp;
        op->resp.len = 0;
    }
    char host[400];
    if (path_style(op->st))
        snprintf(host, sizeof host, "%s", c->host);
    else
        snprintf(host, sizeof host, "%s.%s", op->st->bucket, c->host);
    char hash[SIGV4_SHA256_HEX_SIZE];
    if (c->unsigned_payload && len)
        strcpy(hash, "UNSIGNED-PAYLOAD");
    else if (!len)
        memcpy(hash, SIGV4_EMPTY_SHA256, sizeof hash); /* most requests: no body to hash */
    else
        sigv4_sha256_hex(body, len, hash);
    sigv4_header hdrs[2];
    size_t nh = 0;
    hdrs[nh++] = (sigv4_header){"host", host};
    if (range) hdrs[nh++] = (sigv4_header){"range", range};
    if (!im->anonymous) {
        char auth[SIGV4_AUTH_SIZE], amzdate[SIGV4_DATE_SIZE];
        sigv4_request r = {.method = method,
                           .path = op->path,
                           .query = op->query,
                           .headers = hdrs,
                           .nheaders = nh,
                           .payload_hash = hash,
                           .time = time(NULL)};
        if (sigv4_sign(&im->signer, &r, auth, sizeof auth, amzdate) < 0) {
            h->curl_code = CURLE_FAILED_INIT;
            snprintf(h->errbuf, sizeof h->errbuf, "cannot sign the request (key too long?)");
            return on_http_done(h);
        }
        http_add_header(h, "Authorization", auth);
        http_add_header(h, "x-amz-date", amzdate);
        if (im->signer.session_token)
            http_add_header(h, "x-amz-security-token", im->signer.session_token);
    }
    http_add_header(h, "x-amz-content-sha256", hash);
    if (range) http_add_header(h, "Range", range);
    if (op->content_md5[0]) http_add_header(h, "Content-MD5", op->content_md5);
    http_add_header(h, "Expect", NULL); /* no 100-continue round trip */
    op->t_attempt = uv_hrtime();
    if (http_submit(h)) on_http_done(h);
}

/* ---- errors ---- */

static void on_error_elem(void *ud, const char *path, const char *text, size_t len)
{
    s3_op *op = ud;
    if (strcmp(path, "Error/Code") == 0)
        snprintf(op->code, sizeof op->code, "%.*s", (int)len, text);
    else if (strcmp(path, "Error/Message") == 0)
        snprintf(op->message, sizeof op->message, "%.*s", (int)len, text);
}

static int code_for(const char *code, long status)
{
    static const struct {
        const char *name;
        int code;
    } map[] = {
        {"NoSuchKey", S3D_NOT_FOUND},
        {"NoSuchBucket", S3D_NOT_FOUND},
        {"NoSuchUpload", S3D_NOT_FOUND},
        {"NotFound", S3D_NOT_FOUND},
        {"AccessDenied", S3D_ACCESS_DENIED},
        {"InvalidAccessKeyId", S3D_ACCESS_DENIED},
        {"SignatureDoesNotMatch", S3D_SIGNATURE},
        {"SlowDown", S3D_SLOW_DOWN},
        {"BucketAlreadyExists", S3D_EXISTS},
        {"BucketAlreadyOwnedByYou", S3D_EXISTS},
        {"BucketNotEmpty", S3D_NOT_EMPTY},
        {"InvalidRange", S3D_INVALID},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (strcmp(code, map[i].name) == 0) return map[i].code;
    if (!*code && status == 404) return S3D_NOT_FOUND;
    if (!*code && status == 403) return S3D_ACCESS_DENIED;
    if (status == 416) return S3D_INVALID;
    if (status == 503 && !*code) return S3D_HTTP;
    return S3D_HTTP;
}

/* Decides whether a failed attempt is worth another; true for transport
 * failures and 500/502/503/504/SlowDown on idempotent requests. */
static int retryable(const s3_op *op)
{
    const http_req *h = &op->h;
    if (!op->idempotent) return 0;
    if (h->curl_code) {
        switch (h->curl_code) {
        case CURLE_COULDNT_CONNECT:
        case CURLE_SEND_ERROR:
        case CURLE_RECV_ERROR:
        case CURLE_GOT_NOTHING:
        case CURLE_OPERATION_TIMEDOUT:
        case CURLE_PARTIAL_FILE:
            return 1;
        default:
            return 0;
        }
    }
    return h->status == 500 || h->status == 502 || h->status == 503 || h->status == 504 ||
           strcmp(op->code, "SlowDown") == 0;
}

/* What went wrong with op's last attempt: a code, the HTTP status (0 for a
 * transport failure) and a message naming the status and S3's own code. */
static int describe_failure(const s3_op *op, int *status, char *detail, size_t cap)
{
    const http_req *h = &op->h;
    if (h->curl_code) {
        *status = 0;
        snprintf(detail, cap, "%s", http_error_text(h));
        return h->curl_code == CURLE_OPERATION_TIMEDOUT ? S3D_TIMEOUT : S3D_CONNECTION;
    }
    *status = (int)h->status;
    int code = code_for(op->code, h->status);
    if (op->code[0])
        snprintf(detail, cap, "HTTP %ld %.60s%s%.120s", h->status, op->code,
                 op->message[0] ? ": " : "", op->message);
    else if (code == S3D_NOT_FOUND)
        snprintf(detail, cap, "not found (HTTP %ld)", h->status);
    else if (code == S3D_ACCESS_DENIED)
        snprintf(detail, cap, "access denied (HTTP %ld)", h->status);
    else
        snprintf(detail, cap, "HTTP %ld", h->status);
    return code;
}

static void fail_from_response(s3_op *op)
{
    s3d_req *req = op->req;
    if (!req || op->keep_error) return;
    req->code = describe_failure(op, &req->http_status, req->detail, sizeof req->detail);
}

/* ---- completion and the steps of each operation ---- */

static void stream_free_s3(s3d_stream *s);

/* Ends a store request; a commit or abort also frees its stream, which the
 * binding has already forgotten. */
static void req_complete(s3d_req *req)
{
    if ((req->op == OP_COMMIT || req->op == OP_ABORT || req->op == OP_PUT) && req->stream) {
        stream_free_s3(req->stream);
        req->stream = NULL;
    }
    req->t_end = uv_hrtime();
    req->done(req);
}

static void finish(s3_op *op)
{
    s3d_req *req = op->req;
    if (op->orphan) {
        s3d_store *st = op->st;
        op_free(op); /* the store may be gone once we release it */
        store_release(st);
        return;
    }
    op_put(op);
    req_complete(req);
}

static void retry_fire(uv_timer_t *t);
static void run_step(s3_op *op);

/* A uniform number in [0, 1) from a per-thread xorshift generator seeded
 * from the clock, the pid and the thread: clients that fail together must not
 * retry together (rand() unseeded gives every process the same delays). */
static double jitter(void)
{
    static _Thread_local uint64_t x;
    if (!x) x = (uv_hrtime() ^ ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)&x) | 1;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return (double)(x >> 11) / 9007199254740992.0;
}

static void schedule_retry(s3_op *op)
{
    if (op->req && op->req->on_attempt && !op->part_of) {
        const s3_conf *c = &((s3_impl *)op->st->impl)->conf;
        char why[200];
        if (op->h.curl_code)
            snprintf(why, sizeof why, "attempt %d of %d: %.150s", op->attempt, c->max_attempts,
                     http_error_text(&op->h));
        else
            snprintf(why, sizeof why, "attempt %d of %d: HTTP %ld%s%.60s", op->attempt,
                     c->max_attempts, op->h.status, op->code[0] ? " " : "", op->code);
        op->req->on_attempt(op->req, why, op->t_attempt, op->h.t_first, uv_hrtime());
    }
    s3_impl *im = op->st->impl;
    double cap_ms = 50.0 * (1 << (op->attempt < 10 ? op->attempt : 10));
    if (cap_ms > 5000) cap_ms = 5000;
    uint64_t delay = (uint64_t)(cap_ms * jitter()); /* full jitter */
    s3d_log(1, "retrying %s %s in %llu ms (attempt %d of %d): %s", op->h.method, op->path,
            (unsigned long long)delay, op->attempt + 1, im->conf.max_attempts,
            op->h.curl_code ? http_error_text(&op->h)
            : op->code[0]   ? op->code
                            : "5xx");
    if (!op->timer) {
        op->timer = malloc(sizeof *op->timer);
        if (!op->timer) {
            fail_from_response(op);
            return finish(op);
        }
        uv_timer_init(&rt_self->loop, op->timer);
    }
    op->timer->data = op;
    uv_timer_start(op->timer, retry_fire, delay, 0);
}

static void retry_fire(uv_timer_t *t)
{
    run_step(t->data);
}

static double parse_http_date(const char *s)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    if (!strptime(s, "%a, %d %b %Y %H:%M:%S", &tm)) return 0;
    return (double)timegm(&tm);
}

static double parse_iso_date(const char *s, size_t len)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%.*s", (int)len, s);
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *rest = strptime(buf, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!rest) return 0;
    double frac = *rest == '.' ? strtod(rest, NULL) : 0;
    return (double)timegm(&tm) + frac;
}

/* ListObjectsV2 answer: Contents and CommonPrefixes into req->list. */
typedef struct list_ctx {
    s3_op *op;
    char key[1100];
    size_t klen;
    uint64_t size;
    double mtime;
    int oom;
} list_ctx;

static void on_list_elem(void *ud, const char *path, const char *text, size_t len)
{
    list_ctx *lc = ud;
    s3_op *op = lc->op;
    s3d_list *l = &op->req->list;
    if (strncmp(path, "ListBucketResult/", 17)) return on_error_elem(op, path, text, len);
    path += 17;
    if (strcmp(path, "Contents/Key") == 0 || strcmp(path, "CommonPrefixes/Prefix") == 0) {
        lc->klen = len < sizeof lc->key ? len : sizeof lc->key - 1;
        memcpy(lc->key, text, lc->klen);
        lc->key[lc->klen] = 0;
        lc->size = 0;
        lc->mtime = 0;
    } else if (strcmp(path, "Contents/Size") == 0) {
        char num[32];
        snprintf(num, sizeof num, "%.*s", (int)(len < 31 ? len : 31), text);
        lc->size = strtoull(num, NULL, 10);
    } else if (strcmp(path, "Contents/LastModified") == 0) {
        lc->mtime = parse_iso_date(text, len);
    }
    int is_prefix = strcmp(path, "CommonPrefixes") == 0;
    if ((strcmp(path, "Contents") == 0 || is_prefix) && lc->klen >= op->strip) {
        if (s3d_list_add(l, lc->key + op->strip, lc->klen - op->strip, lc->size, lc->mtime,
                         is_prefix))
            lc->oom = 1;
    } else if (strcmp(path, "IsTruncated") == 0) {
        op->truncated = len == 4 && memcmp(text, "true", 4) == 0;
    } else if (strcmp(path, "NextContinuationToken") == 0 && !l->next_token) {
        l->next_token = malloc(len + 1);
        if (l->next_token) {
            memcpy(l->next_token, text, len);
            l->next_token[len] = 0;
        }
    }
}

static int entry_cmp(const void *a, const void *b)
{
    return strcmp(((const s3d_entry *)a)->key, ((const s3d_entry *)b)->key);
}

static void on_upload_elem(void *ud, const char *path, const char *text, size_t len)
{
    s3_op *op = ud;
    if (strcmp(path, "InitiateMultipartUploadResult/UploadId") == 0)
        snprintf(op->upload_id, sizeof op->upload_id, "%.*s", (int)len, text);
    else
        on_error_elem(op, path, text, len);
}

static int parse_xml(s3_op *op, const char *buf, size_t len, xml_elem_fn fn, void *ud)
{
    char err[128];
    if (!len) return 0;
    if (xml_parse(buf, len, fn, ud, err, sizeof err)) {
        if (op->req) s3d_req_fail(op->req, S3D_IO, "unreadable XML answer (%s)", err);
        return -1;
    }
    return 0;
}

static int build_complete_body(s3_op *op, s3d_stream *s)
{
    size_t need = 64 + (size_t)s->nparts * 160;
    op->body.len = 0;
    if (s3d_buf_reserve(&op->body, need)) return -1;
    size_t n = (size_t)snprintf(op->body.data, need, "<CompleteMultipartUpload>");
    for (int i = 0; i < s->nparts; i++)
        n += (size_t)snprintf(op->body.data + n, need - n,
                              "<Part><PartNumber>%d</PartNumber><ETag>%s</ETag></Part>", i + 1,
                              s->etags[i]);
    n += (size_t)snprintf(op->body.data + n, need - n, "</CompleteMultipartUpload>");
    op->body.len = n;
    return 0;
}

/* Appends s XML-escaped to b; returns 0 or -1 when out of memory. */
static int xml_escape_append(s3d_buf *b, const char *s, size_t len)
{
    if (s3d_buf_reserve(b, b->len + len * 6 + 1)) return -1;
    for (size_t i = 0; i < len; i++) {
        const char *rep = NULL;
        switch (s[i]) {
        case '&':
            rep = "&amp;";
            break;
        case '<':
            rep = "&lt;";
            break;
        case '>':
            rep = "&gt;";
            break;
        case '"':
            rep = "&quot;";
            break;
        case '\'':
            rep = "&apos;";
            break;
        default:
            b->data[b->len++] = s[i];
            continue;
        }
        size_t rl = strlen(rep);
        memcpy(b->data + b->len, rep, rl);
        b->len += rl;
    }
    return 0;
}

static int buf_append(s3d_buf *b, const char *s)
{
    size_t n = strlen(s);
    if (s3d_buf_reserve(b, b->len + n + 1)) return -1;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    return 0;
}

/* The DeleteObjects body for keys [batch, batch + DELETE_BATCH) and its MD5. */
static int build_delete_body(s3_op *op)
{
    s3d_req *req = op->req;
    size_t plen = strlen(op->st->prefix);
    op->body.len = 0;
    op->batch_len = req->nkeys - op->batch < DELETE_BATCH ? req->nkeys - op->batch : DELETE_BATCH;
    if (buf_append(&op->body, "<Delete><Quiet>true</Quiet>")) return -1;
    for (size_t i = op->batch; i < op->batch + op->batch_len; i++) {
        if (buf_append(&op->body, "<Object><Key>") ||
            xml_escape_append(&op->body, op->st->prefix, plen) ||
            xml_escape_append(&op->body, req->keys[i], req->keylens[i]) ||
            buf_append(&op->body, "</Key></Object>"))
            return -1;
    }
    if (buf_append(&op->body, "</Delete>")) return -1;
    unsigned char md5[16];
    unsigned int mdlen = 0;
    if (!EVP_Digest(op->body.data, op->body.len, md5, &mdlen, EVP_md5(), NULL)) return -1;
    EVP_EncodeBlock((unsigned char *)op->content_md5, md5, 16);
    return 0;
}

static void on_delete_elem(void *ud, const char *path, const char *text, size_t len)
{
    s3_op *op = ud;
    size_t plen = strlen(op->st->prefix);
    if (strcmp(path, "DeleteResult/Error/Key") == 0) {
        if (len >= plen) text += plen, len -= plen; /* back to the store's key */
        snprintf(op->del_key, sizeof op->del_key, "%.*s", (int)len, text);
    } else if (strcmp(path, "DeleteResult/Error/Code") == 0) {
        snprintf(op->del_code, sizeof op->del_code, "%.*s", (int)len, text);
    } else if (strcmp(path, "DeleteResult/Error/Message") == 0) {
        snprintf(op->del_msg, sizeof op->del_msg, "%.*s", (int)len, text);
    } else if (strcmp(path, "DeleteResult/Error") == 0) {
        char why[300];
        snprintf(why, sizeof why, "%s: %s", op->del_code, op->del_msg);
        s3d_list_add_error(&op->req->list, op->del_key, strlen(op->del_key), why);
        op->del_key[0] = op->del_code[0] = op->del_msg[0] = 0;
    } else {
        on_error_elem(op, path, text, len);
    }
}

/* The next request of op, from its operation and step. */
static void run_step(s3_op *op)
{
    s3d_req *req = op->req;
    s3d_stream *s = req ? req->stream : NULL;
    const s3_conf *c = &((s3_impl *)op->st->impl)->conf;
    char key[2048];
    int klen;
    op->code[0] = op->message[0] = 0;
    op->query[0] = 0;
    switch (op->step) {
    case STEP_CREATE_UPLOAD:
        op->idempotent = 0;
        snprintf(op->query, sizeof op->query, "uploads=");
        build_target(op, s->key, strlen(s->key));
        return start_http(op, "POST", "", 0, NULL);
    case STEP_PART: {
        s3d_stream *ps = op->part_of;
        op->idempotent = 1;
        char enc[1600];
        size_t used = 0;
        append_encoded(enc, sizeof enc, &used, ps->upload_id, strlen(ps->upload_id), 0);
        enc[used] = 0;
        snprintf(op->query, sizeof op->query, "partNumber=%d&uploadId=%s", op->part_no, enc);
        build_target(op, ps->key, strlen(ps->key));
        if (op->part_src) return start_http(op, "PUT", op->part_src, op->part_len, NULL);
        return start_http(op, "PUT", op->body.data, op->body.len, NULL);
    }
    case STEP_WHY:
        op->idempotent = 0;
        klen = full_key(op->st, req->key, req->keylen, key, sizeof key);
        if (klen < 0 || build_target(op, key, (size_t)klen)) break;
        return start_http(op, "GET", NULL, 0, "bytes=0-0");
    case STEP_COMPLETE:
    case STEP_ABORT: {
        op->idempotent = op->step == STEP_ABORT;
        const char *uid = s ? s->upload_id : op->upload_id;
        char enc[1100];
        size_t used = 0;
        append_encoded(enc, sizeof enc, &used, uid, strlen(uid), 0);
        enc[used] = 0;
        snprintf(op->query, sizeof op->query, "uploadId=%s", enc);
        build_target(op, s ? s->key : op->list_prefix_full,
                     strlen(s ? s->key : op->list_prefix_full));
        if (op->step == STEP_ABORT) return start_http(op, "DELETE", NULL, 0, NULL);
        return start_http(op, "POST", op->body.data, op->body.len, NULL);
    }
    default:
        break;
    }
    switch (req->op) {
    case OP_GET:
    case OP_READ: {
        op->idempotent = 1;
        char range[64], *rp = NULL;
        uint64_t off = req->offset, len = req->length;
        if (req->op == OP_READ) { /* always a range; a retry asks for the same one */
            op->seq = !req->ranged;
            if (op->seq) off = s->pos;
            if (!len) len = 1u << 20;
            if (off >= s->size) {
                req->buf->len = 0;
                return finish(op);
            }
            if (len > s->size - off) len = s->size - off;
            klen = snprintf(key, sizeof key, "%s", s->key);
        } else {
            klen = full_key(op->st, req->key, req->keylen, key, sizeof key);
        }
        op->range_start = off;
        op->range_len = req->suffix ? 0 : len;
        if (req->suffix) {
            snprintf(range, sizeof range, "bytes=-%llu", (unsigned long long)len);
            rp = range;
        } else if (req->ranged || req->op == OP_READ) {
            if (len)
                snprintf(range, sizeof range, "bytes=%llu-%llu", (unsigned long long)off,
                         (unsigned long long)(off + len - 1));
            else
                snprintf(range, sizeof range, "bytes=%llu-", (unsigned long long)off);
            rp = range;
        }
        if (klen < 0 || build_target(op, key, (size_t)klen)) break;
        return start_http(op, "GET", NULL, 0, rp);
    }
    case OP_STAT:
    case OP_OPEN_READ:
        op->idempotent = 1;
        klen = full_key(op->st, req->key, req->keylen, key, sizeof key);
        if (klen < 0 || build_target(op, key, (size_t)klen)) break;
        return start_http(op, "HEAD", NULL, 0, NULL);
    case OP_PUT:
        op->idempotent = 1;
        klen = full_key(op->st, req->key, req->keylen, key, sizeof key);
        if (klen < 0 || build_target(op, key, (size_t)klen)) break;
        return start_http(op, "PUT", req->src, req->srclen, NULL);
    case OP_COMMIT: /* a writer that never filled a part: one PUT */
        op->idempotent = 1;
        build_target(op, s->key, strlen(s->key));
        return start_http(op, "PUT", s->stage.data ? s->stage.data : "", s->stage.len, NULL);
    case OP_DELETE:
        op->idempotent = 1;
        klen = full_key(op->st, req->key, req->keylen, key, sizeof key);
        if (klen < 0 || build_target(op, key, (size_t)klen)) break;
        return start_http(op, "DELETE", NULL, 0, NULL);
    case OP_LIST: {
        op->idempotent = 1;
        klen = full_key(op->st, req->key, req->keylen, key, sizeof key);
        op->strip = strlen(op->st->prefix);
        size_t used = 0;
        char *q = op->query;
        used += (size_t)snprintf(q, sizeof op->query, "list-type=2&max-keys=%d", LIST_PAGE);
        if (req->token) {
            used += (size_t)snprintf(q + used, sizeof op->query - used, "&continuation-token=");
            if (append_encoded(q, sizeof op->query, &used, req->token, strlen(req->token), 0))
                break;
        }
        if (!req->recursive)
            used += (size_t)snprintf(q + used, sizeof op->query - used, "&delimiter=%%2F");
        used += (size_t)snprintf(q + used, sizeof op->query - used, "&prefix=");
        if (append_encoded(q, sizeof op->query, &used, key, (size_t)klen, 0)) break;
        q[used] = 0;
        if (build_target(op, NULL, 0)) break;
        return start_http(op, "GET", NULL, 0, NULL);
    }
    case OP_DELETE_MANY:
        op->idempotent = 1;
        if (op->batch >= req->nkeys) return finish(op); /* no keys at all */
        if (build_delete_body(op)) {
            s3d_req_fail(req, S3D_NOMEM, "out of memory");
            return finish(op);
        }
        snprintf(op->query, sizeof op->query, "delete=");
        if (build_target(op, NULL, 0)) break;
        return start_http(op, "POST", op->body.data, op->body.len, NULL);
    case OP_MKBUCKET:
    case OP_RMBUCKET:
        op->idempotent = req->op == OP_RMBUCKET;
        if (build_target(op, NULL, 0)) break;
        if (req->op == OP_RMBUCKET) return start_http(op, "DELETE", NULL, 0, NULL);
        if (strcmp(c->region, "us-east-1") == 0) return start_http(op, "PUT", NULL, 0, NULL);
        op->body.len = 0;
        if (s3d_buf_reserve(&op->body, 256)) break;
        op->body.len = (size_t)snprintf(op->body.data, 256,
                                        "<CreateBucketConfiguration><LocationConstraint>%s"
                                        "</LocationConstraint></CreateBucketConfiguration>",
                                        c->region);
        return start_http(op, "PUT", op->body.data, op->body.len, NULL);
    default:
        break;
    }
    s3d_req_fail(req, S3D_BAD_URI, "key too long for a request");
    finish(op);
}

/* ---- writers: parts staged, uploaded concurrently, completed in order ----
 *
 * write() copies into the stage; each full part is handed to an UploadPart op
 * (the stage buffer and the op's own body buffer swap, so a part is not
 * copied again) and write() returns while it uploads, unless
 * part_concurrency parts are already in flight: then it waits for one. Memory
 * is bounded by (part_concurrency + 1) x part_size per writer. commit() sends
 * the last part, waits for all of them and completes; any failure aborts the
 * upload and is reported by the next call. */

static void writer_advance(s3d_req *req);

/* Aborts op's multipart upload; the request completes when that is done,
 * with the error that caused it when keep_error. */
static void abort_upload(s3_op *op, int keep_error)
{
    op->step = STEP_ABORT;
    op->attempt = 0;
    op->keep_error = keep_error;
    run_step(op);
}

static int ensure_parts(s3d_stream *s, int n)
{
    if (n <= s->capparts) return 0;
    int cap = s->capparts ? s->capparts * 2 : 16;
    while (cap < n) cap *= 2;
    char(*e)[80] = realloc(s->etags, (size_t)cap * sizeof *e);
    if (!e) return -1;
    memset(e + s->capparts, 0, (size_t)(cap - s->capparts) * sizeof *e);
    s->etags = e;
    s->capparts = cap;
    return 0;
}

static void stream_fail(s3d_stream *s, int code, int status, const char *detail)
{
    if (s->fail_code) return; /* the first failure is the one worth reporting */
    s->fail_code = code;
    s->fail_status = status;
    snprintf(s->fail_detail, sizeof s->fail_detail, "%.190s", detail);
}

/* Starts uploading the first n bytes of the stage as the next part. */
static int start_part(s3d_stream *s, size_t n)
{
    s3_op *op = op_get(s->st);
    if (!op || ensure_parts(s, s->nparts + 1)) {
        if (op) op_put(op);
        stream_fail(s, S3D_NOMEM, 0, "out of memory");
        return -1;
    }
    if (s->ext) { /* a large put: the part is a slice of the caller's body */
        op->part_src = s->ext + s->ext_off;
        op->part_len = n;
        s->ext_off += n;
    } else if (n == s->stage.len) {
        s3d_buf t = op->body; /* swap: no copy of a whole part */
        op->body = s->stage;
        s->stage = t;
        s->stage.len = 0;
    } else {
        if (s3d_buf_reserve(&op->body, n)) {
            op_put(op);
            stream_fail(s, S3D_NOMEM, 0, "out of memory");
            return -1;
        }
        memcpy(op->body.data, s->stage.data, n);
        op->body.len = n;
        memmove(s->stage.data, s->stage.data + n, s->stage.len - n);
        s->stage.len -= n;
    }
    op->part_of = s;
    op->part_no = ++s->nparts;
    op->step = STEP_PART;
    s->inflight++;
    s->total += n;
    run_step(op);
    return 0;
}

static void orphan_abort(s3d_store *st, const char *upload_id, const char *key)
{
    s3_op *op = op_get(st);
    if (!op) return;
    st->refs++; /* released when the abort finishes */
    op->orphan = 1;
    op->step = STEP_ABORT;
    snprintf(op->upload_id, sizeof op->upload_id, "%s", upload_id);
    snprintf(op->list_prefix_full, sizeof op->list_prefix_full, "%s", key);
    s3d_log(1, "aborting the multipart upload of an abandoned writer: %s", key);
    run_step(op);
}

static void part_done(s3_op *op, int ok)
{
    s3d_stream *s = op->part_of;
    if (ok) {
        snprintf(s->etags[op->part_no - 1], 80, "%s", op->h.etag);
    } else {
        int status;
        char detail[200];
        int code = describe_failure(op, &status, detail, sizeof detail);
        char where[200];
        snprintf(where, sizeof where, "part %d: %.180s", op->part_no, detail);
        stream_fail(s, code, status, where);
    }
    s->inflight--;
    op_put(op);
    if (s->orphaned) {
        if (s->inflight) return;
        s3d_store *st = s->st;
        if (s->upload_id[0]) orphan_abort(st, s->upload_id, s->key);
        stream_free_s3(s);
        store_release(st);
        return;
    }
    if (s->waiting) writer_advance(s->waiting);
}

/* Moves a writer's request on as far as it can go; it completes the request
 * or leaves it in s->waiting for the next part to finish. */
static void writer_advance(s3d_req *req)
{
    s3d_stream *s = req->stream;
    const s3_conf *c = &((s3_impl *)req->store->impl)->conf;
    s->waiting = NULL;
    if (s->fail_code || req->op == OP_ABORT) {
        if (s->inflight) { /* let the parts in flight end before aborting */
            s->waiting = req;
            return;
        }
        if (s->fail_code && req->op != OP_ABORT) {
            req->code = s->fail_code;
            req->http_status = s->fail_status;
            snprintf(req->detail, sizeof req->detail, "%s", s->fail_detail);
        }
        if (!s->upload_id[0]) return req_complete(req);
        s3_op *op = op_get(req->store);
        if (!op) return req_complete(req);
        op->req = req;
        return abort_upload(op, req->op != OP_ABORT);
    }
    int committing = req->op == OP_COMMIT || req->op == OP_PUT;
    if (!s->upload_id[0]) {
        if (committing && !s->ext) { /* it all fit in one part: a single PUT */
            s3_op *op = op_get(req->store);
            if (!op) {
                s3d_req_fail(req, S3D_NOMEM, "out of memory");
                return req_complete(req);
            }
            op->req = req;
            return run_step(op);
        }
        if (!s->ext && s->stage.len < c->part_size) {
            req->nbytes = req->srclen;
            return req_complete(req);
        }
        s3_op *op = op_get(req->store); /* the first full part: create the upload */
        if (!op) {
            s3d_req_fail(req, S3D_NOMEM, "out of memory");
            return req_complete(req);
        }
        op->req = req;
        op->step = STEP_CREATE_UPLOAD;
        return run_step(op);
    }
    for (;;) {
        size_t pending = s->ext ? s->ext_len - s->ext_off : s->stage.len;
        if (pending < c->part_size && !(committing && pending)) break;
        if (s->inflight >= c->part_concurrency) {
            s->waiting = req;
            return;
        }
        if (start_part(s, pending < c->part_size ? pending : (size_t)c->part_size))
            return writer_advance(req);
    }
    if (!committing) {
        req->nbytes = req->srclen;
        return req_complete(req);
    }
    if (s->inflight) {
        s->waiting = req;
        return;
    }
    if (s->fail_code) return writer_advance(req);
    s3_op *op = op_get(req->store);
    if (!op || build_complete_body(op, s)) {
        if (op) op_put(op);
        s3d_req_fail(req, S3D_NOMEM, "out of memory");
        return req_complete(req);
    }
    op->req = req;
    op->step = STEP_COMPLETE;
    run_step(op);
}

/* A server that ignores or misreads a Range header must not pass unnoticed:
 * the answer's Content-Range has to start where we asked. */
static int range_matches(s3_op *op, const http_req *h)
{
    s3d_req *req = op->req;
    unsigned long long first = 0, last = 0, total = 0;
    if (h->status == 200) {
        /* the whole object: fine when that is all we asked for */
        if (!req->suffix && op->range_start == 0 &&
            (!op->range_len || h->body_bytes <= op->range_len))
            return 1;
        s3d_req_fail(req, S3D_IO, "the server ignored the Range header (HTTP 200)");
        return 0;
    }
    if (sscanf(h->content_range, "bytes %llu-%llu/%llu", &first, &last, &total) != 3) {
        s3d_req_fail(req, S3D_IO, "HTTP 206 without a readable Content-Range ('%s')",
                     h->content_range);
        return 0;
    }
    unsigned long long want =
        req->suffix ? (total > req->length ? total - req->length : 0) : op->range_start;
    if (first != want) {
        s3d_req_fail(req, S3D_IO, "asked for bytes from %llu, the server sent %s", want,
                     h->content_range);
        return 0;
    }
    return 1;
}

static void on_http_done(http_req *h)
{
    s3_op *op = h->data;
    s3d_req *req = op->req;
    s3d_stream *s = req ? req->stream : NULL;
    const s3_conf *c = &((s3_impl *)op->st->impl)->conf;
    if (req && !req->t_first) req->t_first = h->t_first;
    if (h->status >= 300 || h->curl_code) {
        if (h->errbody.len) parse_xml(op, h->errbody.data, h->errbody.len, on_error_elem, op);
        if (++op->attempt < c->max_attempts && retryable(op)) return schedule_retry(op);
        if (op->part_of) return part_done(op, 0);
        if (op->orphan) return finish(op);
        if (op->step == STEP_MAIN && !op->code[0] && (h->status == 403 || h->status == 400) &&
            (req->op == OP_STAT || req->op == OP_OPEN_READ)) {
            op->step = STEP_WHY;
            return run_step(op);
        }
        fail_from_response(op);
        /* leave nothing half-written: abort, then report the first error */
        if (s && s->writing && s->upload_id[0] && op->step != STEP_ABORT)
            return abort_upload(op, 1);
        return finish(op);
    }
    if (op->part_of) return part_done(op, 1);
    if (op->orphan) return finish(op);
    req->http_status = (int)h->status;
    op->attempt = 0;
    switch (op->step) {
    case STEP_CREATE_UPLOAD:
        if (parse_xml(op, op->resp.data, op->resp.len, on_upload_elem, op)) return finish(op);
        if (!op->upload_id[0]) {
            s3d_req_fail(req, S3D_IO, "CreateMultipartUpload answered without an UploadId");
            return finish(op);
        }
        snprintf(s->upload_id, sizeof s->upload_id, "%s", op->upload_id);
        op_put(op);
        return writer_advance(req);
    case STEP_COMPLETE:
        /* S3 may answer 200 and still put an <Error> in the body */
        parse_xml(op, op->resp.data, op->resp.len, on_error_elem, op);
        if (op->code[0]) {
            fail_from_response(op);
            return abort_upload(op, 1);
        }
        req->nbytes = s->total;
        return finish(op);
    case STEP_ABORT:
        if (req->op == OP_ABORT) req->nbytes = 0;
        return finish(op);
    case STEP_WHY: /* the GET worked where the HEAD did not: report the HEAD */
        s3d_req_fail(req, S3D_ACCESS_DENIED, "HEAD refused (HTTP 403/400), GET allowed");
        return finish(op);
    default:
        break;
    }
    switch (req->op) {
    case OP_GET:
    case OP_READ:
        req->nbytes = h->body_bytes;
        if ((req->ranged || req->op == OP_READ) && !range_matches(op, h)) break;
        if (op->seq) s->pos += h->body_bytes;
        if (h->content_length >= 0 && (uint64_t)h->content_length != h->body_bytes) {
            s3d_req_fail(req, S3D_IO, "short body: %llu of %lld bytes",
                         (unsigned long long)h->body_bytes, (long long)h->content_length);
            req->http_status = (int)h->status;
        }
        break;
    case OP_STAT:
    case OP_OPEN_READ:
        req->st.size = h->content_length > 0 ? (uint64_t)h->content_length : 0;
        req->st.mtime = parse_http_date(h->last_modified);
        snprintf(req->st.etag, sizeof req->st.etag, "%s", h->etag);
        if (req->op == OP_OPEN_READ) {
            s3d_stream *ns = calloc(1, sizeof *ns);
            char key[2048];
            int kl = full_key(op->st, req->key, req->keylen, key, sizeof key);
            if (!ns || kl < 0 || !(ns->key = strdup(key))) {
                free(ns);
                s3d_req_fail(req, S3D_NOMEM, "out of memory");
                break;
            }
            ns->size = req->st.size;
            req->stream = ns;
        }
        break;
    case OP_PUT:
        req->nbytes = req->srclen;
        snprintf(req->st.etag, sizeof req->st.etag, "%s", h->etag);
        break;
    case OP_COMMIT:
        req->nbytes = s->stage.len;
        break;
    case OP_DELETE_MANY: {
        size_t failed_before = req->list.n;
        if (parse_xml(op, op->resp.data, op->resp.len, on_delete_elem, op)) break;
        if (op->code[0]) { /* a 200 carrying an <Error> for the whole request */
            fail_from_response(op);
            break;
        }
        req->nbytes += op->batch_len - (req->list.n - failed_before);
        op->batch += op->batch_len;
        op->content_md5[0] = 0;
        if (op->batch < req->nkeys) return run_step(op); /* the next 1000 */
        break;
    }
    case OP_LIST: {
        list_ctx lc = {.op = op};
        if (parse_xml(op, op->resp.data, op->resp.len, on_list_elem, &lc)) break;
        if (lc.oom) s3d_req_fail(req, S3D_NOMEM, "out of memory while listing");
        if (!op->truncated) {
            free(req->list.next_token);
            req->list.next_token = NULL;
        }
        if (req->list.n) qsort(req->list.items, req->list.n, sizeof *req->list.items, entry_cmp);
        break;
    }
    default:
        break;
    }
    finish(op);
}

/* ---- the vtable ---- */

static void stream_free_s3(s3d_stream *s)
{
    s3d_buf_free(&s->stage);
    free(s->etags);
    free(s->key);
    free(s);
}

static void s3_submit(s3d_req *req)
{
    s3d_store *st = req->store;
    s3d_stream *s = req->stream;
    switch (req->op) {
    case OP_OPEN_WRITE: { /* local until the first part is full */
        char key[2048];
        s3d_stream *ns = calloc(1, sizeof *ns);
        int kl = full_key(st, req->key, req->keylen, key, sizeof key);
        if (!ns || kl < 0 || !(ns->key = strdup(key))) {
            free(ns);
            s3d_req_fail(req, S3D_NOMEM, "out of memory");
        } else {
            ns->writing = 1;
            ns->st = st;
            req->stream = ns;
        }
        req->t_end = uv_hrtime();
        return req->done(req);
    }
    case OP_PUT: { /* above the threshold: a multipart upload from the caller's body */
        const s3_conf *c = &((s3_impl *)st->impl)->conf;
        if (req->srclen <= c->multipart_threshold) break;
        char key[2048];
        s3d_stream *ns = calloc(1, sizeof *ns);
        int kl = full_key(st, req->key, req->keylen, key, sizeof key);
        if (!ns || kl < 0 || !(ns->key = strdup(key))) {
            free(ns);
            s3d_req_fail(req, S3D_NOMEM, "out of memory");
            return req_complete(req);
        }
        ns->writing = 1;
        ns->st = st;
        ns->ext = req->src;
        ns->ext_len = req->srclen;
        req->stream = ns;
        return writer_advance(req);
    }
    case OP_WRITE:
        if (s->fail_code) return writer_advance(req);
        if (s3d_buf_reserve(&s->stage, s->stage.len + req->srclen)) {
            s3d_req_fail(req, S3D_NOMEM, "out of memory");
            return req_complete(req);
        }
        memcpy(s->stage.data + s->stage.len, req->src, req->srclen);
        s->stage.len += req->srclen;
        return writer_advance(req);
    case OP_COMMIT:
    case OP_ABORT:
        return writer_advance(req);
    default:
        break;
    }
    s3_op *op = op_get(st);
    if (!op) {
        s3d_req_fail(req, S3D_NOMEM, "out of memory");
        return req_complete(req);
    }
    op->req = req;
    run_step(op);
}

/* Commit and abort free the stream once the request is done. The binding
 * calls done() and then forgets the stream, so free it here afterwards. */
static void s3_stream_free(s3d_stream *s)
{
    if (s->writing && s->inflight) {
        /* parts still upload: the last one to finish aborts and frees */
        s->orphaned = 1;
        s->waiting = NULL;
        s->st->refs++;
        return;
    }
    if (s->writing && s->upload_id[0]) orphan_abort(s->st, s->upload_id, s->key);
    stream_free_s3(s);
}

/* Options of s3d.open("s3://...", {...}): they override the environment. */
static int s3_set_option(s3d_store *st, const char *name, const char *value, char *err,
                         size_t errlen)
{
    s3_impl *im = st->impl;
    s3_conf *c = &im->conf;
    uint64_t n;
    int is_true = !strcmp(value, "true"), is_false = !strcmp(value, "false");
    if (!strcmp(name, "endpoint")) {
        if (s3_conf_set_endpoint(c, value, err, errlen)) return -1;
    } else if (!strcmp(name, "region")) {
        snprintf(c->region, sizeof c->region, "%s", value);
        if (!im->anonymous) { /* the region is part of the signing scope */
            sigv4_clear(&im->signer);
            if (sigv4_init(&im->signer, c->access_key, c->secret_key,
                           c->session_token[0] ? c->session_token : NULL, c->region, "s3")) {
                snprintf(err, errlen, "cannot sign for region '%s'", c->region);
                return -1;
            }
        }
    } else if (!strcmp(name, "part_size")) {
        if (units_parse_size(value, &n) || n < (5u << 20) || n > (5ull << 30)) {
            snprintf(err, errlen, "part_size '%s': 5 MiB to 5 GiB", value);
            return -1;
        }
        c->part_size = n;
    } else if (!strcmp(name, "multipart_threshold")) {
        if (units_parse_size(value, &n) || n < (5u << 20)) {
            snprintf(err, errlen, "multipart_threshold '%s': at least 5 MiB", value);
            return -1;
        }
        c->multipart_threshold = n;
    } else if (!strcmp(name, "part_concurrency") || !strcmp(name, "max_attempts")) {
        int v = atoi(value);
        if (v < 1 || v > 1000) {
            snprintf(err, errlen, "%s '%s': 1 to 1000", name, value);
            return -1;
        }
        *(name[0] == 'p' ? &c->part_concurrency : &c->max_attempts) = v;
    } else if (!strcmp(name, "connect_timeout") || !strcmp(name, "low_speed_time")) {
        if (units_parse_duration(value, &n) || n < 1000000) {
            snprintf(err, errlen, "%s '%s': a duration of at least 1ms", name, value);
            return -1;
        }
        if (name[0] == 'c')
            c->connect_timeout_ms = (long)(n / 1000000);
        else
            c->low_speed_time_s = (long)((n + 999999999) / 1000000000);
    } else if (!strcmp(name, "http_client")) {
        int v = http_client_from_name(value);
        if (v < 0) {
            snprintf(err, errlen, "http_client '%s': native or curl", value);
            return -1;
        }
        c->use_curl = v;
    } else if (!strcmp(name, "ca_bundle")) {
        snprintf(c->ca_bundle, sizeof c->ca_bundle, "%s", value);
    } else if (!strcmp(name, "unsigned_payload") || !strcmp(name, "verify_tls") ||
               !strcmp(name, "path_style")) {
        if (!is_true && !is_false) {
            snprintf(err, errlen, "%s: true or false", name);
            return -1;
        }
        if (name[0] == 'u') c->unsigned_payload = is_true;
        if (name[0] == 'v') c->verify_tls = is_true;
        if (name[0] == 'p') c->path_style = is_true;
    } else {
        snprintf(err, errlen,
                 "s3:// has no option '%s' (endpoint, region, part_size, multipart_threshold, "
                 "part_concurrency, "
                 "max_attempts, connect_timeout, low_speed_time, ca_bundle, unsigned_payload, "
                 "verify_tls, path_style, http_client)",
                 name);
        return -1;
    }
    return 0;
}

static int s3_open(s3d_store *st, char *err, size_t errlen)
{
    s3_impl *im = calloc(1, sizeof *im);
    if (!im) {
        snprintf(err, errlen, "out of memory");
        return S3D_NOMEM;
    }
    if (s3_conf_load(&im->conf, NULL, err, errlen)) {
        free(im);
        return S3D_INVALID;
    }
    im->anonymous = !im->conf.access_key[0];
    if (!im->anonymous && sigv4_init(&im->signer, im->conf.access_key, im->conf.secret_key,
                                     im->conf.session_token[0] ? im->conf.session_token : NULL,
                                     im->conf.region, "s3")) {
        snprintf(err, errlen, "cannot set up request signing");
        free(im);
        return S3D_INVALID;
    }
    st->impl = im;
    st->endpoint = im->conf.endpoint; /* follows the endpoint option too */
    return S3D_OK;
}

static void s3_close(s3d_store *st)
{
    s3_impl *im = st->impl;
    while (im->free_ops) {
        s3_op *op = im->free_ops;
        im->free_ops = op->next_free;
        op_free(op);
    }
    if (!im->anonymous) sigv4_clear(&im->signer);
    memset(&im->conf, 0, sizeof im->conf); /* the secret goes with it */
    free(im);
}

const store_ops store_s3_ops = {
    .scheme = "s3",
    .caps = STORE_CAN_RANGE | STORE_CAN_STREAM | STORE_HAS_BUCKETS,
    .open = s3_open,
    .close = s3_close,
    .submit = s3_submit,
    .stream_free = s3_stream_free,
    .set_option = s3_set_option,
};
