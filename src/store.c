/* store.c - URI parsing, the scheme registry, error codes, the request pool. */
#include "store.h"
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const store_ops *const schemes[] = {&store_file_ops, &store_direct_ops, &store_null_ops,
                                           &store_s3_ops};

static const char *const code_names[S3D_CODE_COUNT] = {
    [S3D_OK] = "ok",
    [S3D_NOT_FOUND] = "not_found",
    [S3D_PERMISSION] = "permission",
    [S3D_EXISTS] = "exists",
    [S3D_IO] = "io",
    [S3D_BAD_URI] = "bad_uri",
    [S3D_IS_DIR] = "is_dir",
    [S3D_NOT_DIR] = "not_dir",
    [S3D_NO_SPACE] = "no_space",
    [S3D_UNSUPPORTED] = "unsupported",
    [S3D_INVALID] = "invalid",
    [S3D_TIMEOUT] = "timeout",
    [S3D_NOT_EMPTY] = "not_empty",
    [S3D_NOMEM] = "no_memory",
    [S3D_ACCESS_DENIED] = "access_denied",
    [S3D_SIGNATURE] = "signature_mismatch",
    [S3D_SLOW_DOWN] = "slow_down",
    [S3D_CONNECTION] = "connection",
    [S3D_HTTP] = "http",
};

const char *s3d_code_name(int code)
{
    return code >= 0 && code < S3D_CODE_COUNT ? code_names[code] : "io";
}

int s3d_code_from_errno(int e)
{
    switch (e) {
    case ENOENT:
        return S3D_NOT_FOUND;
    case EACCES:
    case EPERM:
    case EROFS:
        return S3D_PERMISSION;
    case EEXIST:
        return S3D_EXISTS;
    case EISDIR:
        return S3D_IS_DIR;
    case ENOTDIR:
        return S3D_NOT_DIR;
    case ENOSPC:
    case EDQUOT:
        return S3D_NO_SPACE;
    case ENOTEMPTY:
        return S3D_NOT_EMPTY;
    case ENOMEM:
        return S3D_NOMEM;
    case EINVAL:
        return S3D_INVALID;
    case ETIMEDOUT:
        return S3D_TIMEOUT;
    default:
        return S3D_IO;
    }
}

void s3d_req_fail(s3d_req *req, int code, const char *fmt, ...)
{
    va_list ap;
    req->code = code;
    va_start(ap, fmt);
    vsnprintf(req->detail, sizeof req->detail, fmt, ap);
    va_end(ap);
}

void s3d_req_fail_errno(s3d_req *req, int err, const char *what)
{
    int code = s3d_code_from_errno(err);
    if (code == S3D_NOT_FOUND)
        s3d_req_fail(req, code, "not found");
    else if (code == S3D_PERMISSION)
        s3d_req_fail(req, code, "permission denied (%s%s%s)", what ? what : "", what ? ": " : "",
                     strerror(err));
    else
        s3d_req_fail(req, code, "%s%s%s", what ? what : "", what ? ": " : "", strerror(err));
}

int s3d_buf_reserve(s3d_buf *b, size_t cap)
{
    if (cap <= b->cap) return 0;
    size_t want = (cap + 4095) & ~(size_t)4095; /* whole pages: O_DIRECT reads land here */
    void *p;
    if (posix_memalign(&p, 4096, want)) return -1;
    if (b->len) memcpy(p, b->data, b->len);
    free(b->data);
    b->data = p;
    b->cap = want;
    return 0;
}

void s3d_buf_free(s3d_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

int s3d_list_add(s3d_list *l, const char *key, size_t keylen, uint64_t size, double mtime,
                 int is_prefix)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        s3d_entry *items = realloc(l->items, cap * sizeof *items);
        if (!items) return -1;
        l->items = items;
        l->cap = cap;
    }
    char *k = malloc(keylen + 1);
    if (!k) return -1;
    memcpy(k, key, keylen);
    k[keylen] = 0;
    l->items[l->n++] = (s3d_entry){k, size, mtime, is_prefix, NULL};
    return 0;
}

int s3d_list_add_error(s3d_list *l, const char *key, size_t keylen, const char *error)
{
    if (s3d_list_add(l, key, keylen, 0, 0, 0)) return -1;
    l->items[l->n - 1].error = strdup(error);
    return l->items[l->n - 1].error ? 0 : -1;
}

void s3d_list_free(s3d_list *l)
{
    for (size_t i = 0; i < l->n; i++) free(l->items[i].key), free(l->items[i].error);
    free(l->items);
    free(l->next_token);
    memset(l, 0, sizeof *l);
}

s3d_req *store_req_get(rt *r)
{
    s3d_req *req = r->free_reqs;
    if (req) {
        r->free_reqs = req->next_free;
        void *bounce = req->bounce;
        size_t bounce_cap = req->bounce_cap;
        int pin_id = req->pin_id;
        memset(req, 0, sizeof *req);
        req->bounce = bounce;
        req->bounce_cap = bounce_cap;
        req->pin_id = pin_id;
    } else {
        req = calloc(1, sizeof *req);
        if (!req) return NULL;
        req->pin_id = r->nreqs++;
    }
    return req;
}

void store_req_put(rt *r, s3d_req *req)
{
    s3d_list_free(&req->list);
    free(req->keys);
    free(req->keylens);
    req->keys = NULL;
    req->keylens = NULL;
    s3d_buf_free(&req->own); /* only non-empty when nobody took it */
    req->next_free = r->free_reqs;
    r->free_reqs = req;
}

void store_req_pool_free(rt *r)
{
    if (r->staging) store_req_put(r, r->staging);
    r->staging = NULL;
    while (r->free_reqs) {
        s3d_req *req = r->free_reqs;
        r->free_reqs = req->next_free;
        free(req->bounce);
        free(req);
    }
}

const store_ops *store_find_scheme(const char *scheme, size_t len)
{
    for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++)
        if (strlen(schemes[i]->scheme) == len && memcmp(schemes[i]->scheme, scheme, len) == 0)
            return schemes[i];
    return NULL;
}

static char *strndup_or_null(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = 0;
    }
    return p;
}

s3d_store *store_open(const char *uri, char *err, size_t errlen)
{
    const char *sep = strstr(uri, "://");
    if (!sep || sep == uri) {
        snprintf(err, errlen, "%s: not a URI (expected scheme://..., e.g. file:///tmp/data/)", uri);
        return NULL;
    }
    size_t slen = (size_t)(sep - uri);
    const store_ops *ops = store_find_scheme(uri, slen);
    if (!ops) {
        char known[128] = "";
        for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++) {
            strncat(known, i ? ", " : "", sizeof known - strlen(known) - 1);
            strncat(known, schemes[i]->scheme, sizeof known - strlen(known) - 1);
        }
        snprintf(err, errlen, "%s: unknown scheme '%.*s' (this build knows: %s)", uri, (int)slen,
                 uri, known);
        return NULL;
    }
    const char *rest = sep + 3, *path = rest;
    size_t blen = 0;
    if (ops->caps & STORE_HAS_BUCKETS) {
        const char *slash = strchr(rest, '/');
        blen = slash ? (size_t)(slash - rest) : strlen(rest);
        path = rest + blen + (slash ? 1 : 0);
        if (blen == 0) {
            snprintf(err, errlen, "%s: no bucket in URI", uri);
            return NULL;
        }
    }
    size_t plen = strlen(path);
    int add_slash = plen > 0 && path[plen - 1] != '/';
    s3d_store *st = calloc(1, sizeof *st);
    if (!st) goto oom;
    st->ops = ops;
    st->refs = 1;
    st->scheme = strndup_or_null(uri, slen);
    st->bucket = strndup_or_null(rest, blen);
    st->prefix = malloc(plen + 2);
    size_t ulen = slen + 3 + blen + 1 + plen + 2;
    st->uri = malloc(ulen);
    if (!st->scheme || !st->bucket || !st->prefix || !st->uri) goto oom;
    snprintf(st->prefix, plen + 2, "%s%s", path, add_slash ? "/" : "");
    snprintf(st->uri, ulen, "%.*s://%s%s%s", (int)slen, uri, st->bucket,
             (ops->caps & STORE_HAS_BUCKETS) ? "/" : "", st->prefix);
    if (ops->open && ops->open(st, err, errlen) != S3D_OK) {
        char why[512]; /* the backend's reason, prefixed with the URI as every error here */
        snprintf(why, sizeof why, "%s", err);
        snprintf(err, errlen, "%s: %s", uri, why);
        store_release(st);
        return NULL;
    }
    return st;
oom:
    snprintf(err, errlen, "%s: out of memory", uri);
    store_release(st);
    return NULL;
}

void store_release(s3d_store *st)
{
    if (!st || --st->refs > 0) return;
    if (st->ops && st->ops->close && st->impl) st->ops->close(st);
    free(st->uri);
    free(st->scheme);
    free(st->bucket);
    free(st->prefix);
    free(st);
}

static void complete_now(deferred *d)
{
    s3d_req *req = (s3d_req *)((char *)d - offsetof(s3d_req, later));
    req->t_end = uv_hrtime();
    req->done(req);
}

void store_complete_later(s3d_req *req)
{
    req->later.fn = complete_now;
    rt_defer(rt_self, &req->later);
}

void store_submit(s3d_req *req)
{
    req->t_start = uv_hrtime();
    req->store->ops->submit(req);
}
