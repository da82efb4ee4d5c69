/* sigv4.c - AWS Signature Version 4: canonical request, string to sign, signature.
 *
 * Per request: the canonical request is written into the signer's scratch buffer (flushed into
 * the SHA-256 context whenever it fills, so no request is too long), hashed, and the string to
 * sign is HMAC'd with the day's signing key. HMAC is RFC 2104 done by hand on EVP digests so
 * that the key's inner and outer pad blocks are absorbed once per day into template contexts
 * that each signature copies: OpenSSL 3's HMAC() and EVP_MAC_init cost 1-4 us and 2-13
 * allocations per call, copying a template about a quarter of that. */
#include "sigv4.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

static const char hex_upper[] = "0123456789ABCDEF";
static const char hex_lower[] = "0123456789abcdef";

#define ALGORITHM "AWS4-HMAC-SHA256"

/* RFC 3986 unreserved: never percent-encoded. */
static inline int unreserved(unsigned c)
{
    return c - 'a' < 26u || c - 'A' < 26u || c - '0' < 10u || c == '-' || c == '.' || c == '_' ||
           c == '~';
}

static inline int hexval(unsigned c)
{
    if (c - '0' < 10u) return (int)(c - '0');
    c |= 0x20;
    if (c - 'a' < 6u) return (int)(c - 'a' + 10);
    return -1;
}

static inline unsigned lower(unsigned c)
{
    return c - 'A' < 26u ? c + 32 : c;
}

static void to_hex(const unsigned char *d, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex_lower[d[i] >> 4];
        out[2 * i + 1] = hex_lower[d[i] & 15];
    }
    out[2 * n] = 0;
}

/* ---- output buffer: fixed (fails with .full) or flushed into a digest when it fills ---- */

struct wbuf {
    char *p;
    size_t len, cap;
    EVP_MD_CTX *md; /* NULL: fixed buffer */
    int full;       /* a fixed buffer overflowed */
    int err;        /* a digest update failed */
};

static void w_slow(struct wbuf *w, const void *s, size_t n)
{
    if (!w->md) {
        w->full = 1;
        w->cap = w->len; /* nothing more fits: later writes all come here */
        return;
    }
    if (w->len && !EVP_DigestUpdate(w->md, w->p, w->len)) w->err = 1;
    w->len = 0;
    if (n > w->cap) {
        if (!EVP_DigestUpdate(w->md, s, n)) w->err = 1;
        return;
    }
    memcpy(w->p, s, n);
    w->len = n;
}

static inline void w_put(struct wbuf *w, const void *s, size_t n)
{
    if (n <= w->cap - w->len) {
        memcpy(w->p + w->len, s, n);
        w->len += n;
    } else {
        w_slow(w, s, n);
    }
}

static inline void w_putc(struct wbuf *w, char c)
{
    if (w->len < w->cap)
        w->p[w->len++] = c;
    else
        w_slow(w, &c, 1);
}

/* Room for n more bytes without a flush? Then the caller writes through a local pointer,
 * which the compiler need not reload after every byte as it must w->p and w->len. */
static inline char *w_room(struct wbuf *w, size_t n)
{
    return n <= w->cap - w->len ? w->p + w->len : NULL;
}

static inline void w_puts(struct wbuf *w, const char *s)
{
    w_put(w, s, strlen(s));
}

/* Writes in[0..n) decoded once and encoded canonically: unreserved bytes as themselves, a
 * literal '/' as itself when keep_slash ("%2F" stays encoded), anything else as %XX. twice
 * encodes the result again, which only turns each '%' into "%25". */
static void put_canonical(struct wbuf *w, const char *in, size_t n, int keep_slash, int twice)
{
    const unsigned char *p = (const unsigned char *)in, *end = p + n;
    /* With room for the worst case (5: "%25XX" per byte) bytes go straight in through a
     * local pointer; otherwise each goes through w_put, which may flush. */
    char *o = w_room(w, 5 * n), *o0 = o;
    while (p < end) {
        unsigned c = *p++;
        int escaped = 0;
        if (c == '%' && end - p >= 2 && hexval(p[0]) >= 0 && hexval(p[1]) >= 0) {
            c = (unsigned)(hexval(p[0]) << 4 | hexval(p[1]));
            p += 2;
            escaped = 1;
        }
        char b[5];
        size_t k = 0;
        if (unreserved(c) || (c == '/' && keep_slash && !escaped)) {
            b[k++] = (char)c;
        } else {
            b[k++] = '%';
            if (twice) {
                b[k++] = '2';
                b[k++] = '5';
            }
            b[k++] = hex_upper[c >> 4];
            b[k++] = hex_upper[c & 15];
        }
        if (o) {
            memcpy(o, b, k);
            o += k;
        } else {
            w_put(w, b, k);
        }
    }
    if (o) w->len += (size_t)(o - o0);
}

/* Streams the canonical (decoded, re-encoded, '/' encoded) bytes of a query component, so
 * that parameters sort by their canonical form without being copied anywhere. */
struct citer {
    const unsigned char *p, *end;
    char pend[2];
    int npend;
};

static int citer_next(struct citer *it)
{
    if (it->npend) return (unsigned char)it->pend[2 - it->npend--];
    if (it->p >= it->end) return -1;
    unsigned c = *it->p++;
    if (c == '%' && it->end - it->p >= 2 && hexval(it->p[0]) >= 0 && hexval(it->p[1]) >= 0) {
        c = (unsigned)(hexval(it->p[0]) << 4 | hexval(it->p[1]));
        it->p += 2;
    }
    if (unreserved(c)) return (int)c;
    it->pend[0] = hex_upper[c >> 4];
    it->pend[1] = hex_upper[c & 15];
    it->npend = 2;
    return '%';
}

static int canon_cmp(const char *a, size_t an, const char *b, size_t bn)
{
    struct citer x = {(const unsigned char *)a, (const unsigned char *)a + an, {0}, 0};
    struct citer y = {(const unsigned char *)b, (const unsigned char *)b + bn, {0}, 0};
    for (;;) {
        int ca = citer_next(&x), cb = citer_next(&y);
        if (ca != cb) return ca - cb; /* end of string (-1) sorts first */
        if (ca < 0) return 0;
    }
}

/* ---- request parts ---- */

struct qpair {
    const char *k, *v;
    size_t kn, vn;
};

struct hent {
    const char *name, *val;
    size_t nn, vn;
    int repeat; /* same name as the previous entry (after sorting) */
    int raw;    /* added by the signer, known clean: no trimming needed */
};

struct prepared {
    struct hent h[SIGV4_MAX_HEADERS + 3];
    size_t nh;
    struct qpair q[SIGV4_MAX_QUERY];
    size_t nq;
    const char *payload;
    size_t payload_len;
};

static int name_cmp(const struct hent *a, const struct hent *b)
{
    size_t n = a->nn < b->nn ? a->nn : b->nn;
    for (size_t i = 0; i < n; i++) {
        unsigned ca = lower((unsigned char)a->name[i]), cb = lower((unsigned char)b->name[i]);
        if (ca != cb) return ca < cb ? -1 : 1;
    }
    return (a->nn > b->nn) - (a->nn < b->nn);
}

/* name[0..nn) equals the lowercase literal lc, ignoring case. */
static int name_is(const char *name, size_t nn, const char *lc)
{
    size_t i = 0;
    for (; i < nn && lc[i]; i++)
        if (lower((unsigned char)name[i]) != (unsigned char)lc[i]) return 0;
    return i == nn && !lc[i];
}

/* Non-empty, without whitespace or control characters, and without ':' unless colon_ok
 * (methods, header names and payload hashes have none; session tokens might). */
static int valid_token(const char *s, size_t *len, int colon_ok)
{
    size_t i = 0;
    if (!s) return 0;
    for (; s[i]; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c <= ' ' || c == 0x7f || (c == ':' && !colon_ok)) return 0;
    }
    *len = i;
    return i > 0;
}

/* Header values may hold any byte but CR, LF and other controls (tab is fine). */
static int valid_value(const char *s, size_t *len)
{
    size_t i = 0;
    if (!s) return 0;
    for (; s[i]; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < ' ' && c != '\t') || c == 0x7f) return 0;
    }
    *len = i;
    return 1;
}

static int parse_query(const char *q, struct prepared *p)
{
    p->nq = 0;
    if (!q) return 0;
    if (*q == '?') q++;
    while (*q) {
        const char *amp = strchr(q, '&');
        size_t seg = amp ? (size_t)(amp - q) : strlen(q);
        if (seg) {
            if (p->nq == SIGV4_MAX_QUERY) return -E2BIG;
            struct qpair *e = &p->q[p->nq++];
            const char *eq = memchr(q, '=', seg);
            e->k = q;
            e->kn = eq ? (size_t)(eq - q) : seg;
            e->v = eq ? eq + 1 : q + seg;
            e->vn = eq ? seg - e->kn - 1 : 0;
        }
        q += seg;
        if (*q == '&') q++;
    }
    /* Insertion sort: stable, no allocation, and query lists are short. */
    for (size_t i = 1; i < p->nq; i++) {
        struct qpair t = p->q[i];
        size_t j = i;
        while (j > 0) {
            const struct qpair *o = &p->q[j - 1];
            int c = canon_cmp(o->k, o->kn, t.k, t.kn);
            if (c == 0) c = canon_cmp(o->v, o->vn, t.v, t.vn);
            if (c <= 0) break;
            p->q[j] = p->q[j - 1];
            j--;
        }
        p->q[j] = t;
    }
    return 0;
}

static void add_header(struct prepared *p, const char *name, const char *val, size_t vn)
{
    struct hent *e = &p->h[p->nh++];
    e->name = name;
    e->nn = strlen(name);
    e->val = val;
    e->vn = vn;
    e->raw = 1;
}

/* Validates r and collects what the canonical request needs; writes nothing. */
static int prepare(const sigv4_signer *s, const sigv4_request *r, const char *amz_date,
                   struct prepared *p)
{
    size_t n;
    int host = 0;

    if (!valid_token(r->method, &n, 0)) return -EINVAL;
    if (r->path && r->path[0] && r->path[0] != '/') return -EINVAL;
    p->payload = r->payload_hash ? r->payload_hash : SIGV4_EMPTY_SHA256;
    if (!valid_token(p->payload, &p->payload_len, 0)) return -EINVAL;
    if (r->nheaders > SIGV4_MAX_HEADERS) return -E2BIG;
    if (r->nheaders && !r->headers) return -EINVAL;

    p->nh = 0;
    for (size_t i = 0; i < r->nheaders; i++) {
        const sigv4_header *h = &r->headers[i];
        struct hent *e = &p->h[p->nh];
        if (!valid_token(h->name, &e->nn, 0) || !valid_value(h->value, &e->vn)) return -EINVAL;
        e->name = h->name;
        e->val = h->value;
        e->raw = 0;
        if (name_is(e->name, e->nn, "authorization") || name_is(e->name, e->nn, "x-amz-date") ||
            ((s->flags & SIGV4_CONTENT_SHA256) &&
             name_is(e->name, e->nn, "x-amz-content-sha256")) ||
            (s->session_token && name_is(e->name, e->nn, "x-amz-security-token")))
            return -EINVAL;
        host |= name_is(e->name, e->nn, "host");
        p->nh++;
    }
    if (!host) return -EINVAL;
    add_header(p, "x-amz-date", amz_date, SIGV4_DATE_SIZE - 1);
    if (s->flags & SIGV4_CONTENT_SHA256)
        add_header(p, "x-amz-content-sha256", p->payload, p->payload_len);
    if (s->session_token) add_header(p, "x-amz-security-token", s->session_token, s->token_len);

    /* Stable insertion sort by lowercase name: repeated names keep the caller's order. */
    for (size_t i = 1; i < p->nh; i++) {
        struct hent t = p->h[i];
        size_t j = i;
        while (j > 0 && name_cmp(&p->h[j - 1], &t) > 0) {
            p->h[j] = p->h[j - 1];
            j--;
        }
        p->h[j] = t;
    }
    for (size_t i = 0; i < p->nh; i++) p->h[i].repeat = i && name_cmp(&p->h[i - 1], &p->h[i]) == 0;
    return parse_query(r->query, p);
}

static int put_path(struct wbuf *w, const char *path, unsigned flags)
{
    int twice = (flags & SIGV4_DOUBLE_ENCODE) != 0;
    if (!path || !path[0]) {
        w_putc(w, '/');
        return 0;
    }
    if (!(flags & SIGV4_NORMALIZE_PATH)) {
        put_canonical(w, path, strlen(path), 1, twice);
        return 0;
    }
    /* RFC 3986 remove_dot_segments, also dropping empty segments ("//"). */
    struct {
        const char *p;
        size_t n;
    } seg[SIGV4_MAX_SEGMENTS];
    size_t ns = 0;
    /* "/a/" and "/a/b/.." keep their trailing slash, as in RFC 3986. */
    const char *last = strrchr(path, '/') + 1;
    int trailing = !*last || !strcmp(last, ".") || !strcmp(last, "..");
    const char *p = path;
    while (*p) {
        while (*p == '/') p++;
        const char *start = p;
        while (*p && *p != '/') p++;
        size_t n = (size_t)(p - start);
        if (n == 0 || (n == 1 && start[0] == '.')) continue;
        if (n == 2 && start[0] == '.' && start[1] == '.') {
            if (ns) ns--;
            continue;
        }
        if (ns == SIGV4_MAX_SEGMENTS) return -E2BIG;
        seg[ns].p = start;
        seg[ns++].n = n;
    }
    for (size_t i = 0; i < ns; i++) {
        w_putc(w, '/');
        put_canonical(w, seg[i].p, seg[i].n, 1, twice);
    }
    if (!ns || trailing) w_putc(w, '/');
    return 0;
}

/* Trimmed, inner runs of spaces/tabs as one space. */
static void put_value(struct wbuf *w, const char *v, size_t n)
{
    size_t i = 0;
    while (n && (v[n - 1] == ' ' || v[n - 1] == '\t')) n--;
    while (i < n && (v[i] == ' ' || v[i] == '\t')) i++;
    while (i < n) {
        size_t run = i;
        while (run < n && v[run] != ' ' && v[run] != '\t') run++;
        w_put(w, v + i, run - i);
        if (run == n) break;
        w_putc(w, ' ');
        i = run;
        while (i < n && (v[i] == ' ' || v[i] == '\t')) i++;
    }
}

static void put_lower(struct wbuf *w, const char *s, size_t n)
{
    char *o = w_room(w, n);
    if (o) {
        for (size_t i = 0; i < n; i++) o[i] = (char)lower((unsigned char)s[i]);
        w->len += n;
        return;
    }
    for (size_t i = 0; i < n; i++) w_putc(w, (char)lower((unsigned char)s[i]));
}

static void put_signed_headers(struct wbuf *w, const struct prepared *p)
{
    for (size_t i = 0; i < p->nh; i++) {
        if (p->h[i].repeat) continue;
        if (i) w_putc(w, ';');
        put_lower(w, p->h[i].name, p->h[i].nn);
    }
}

/* Writes the canonical request into w and, when auth is not NULL, the SignedHeaders list
 * into auth too. */
static int put_creq(struct wbuf *w, struct wbuf *auth, const sigv4_signer *s,
                    const sigv4_request *r, const struct prepared *p)
{
    w_puts(w, r->method);
    w_putc(w, '\n');
    int rc = put_path(w, r->path, s->flags);
    if (rc) return rc;
    w_putc(w, '\n');
    for (size_t i = 0; i < p->nq; i++) {
        if (i) w_putc(w, '&');
        put_canonical(w, p->q[i].k, p->q[i].kn, 0, 0);
        w_putc(w, '=');
        put_canonical(w, p->q[i].v, p->q[i].vn, 0, 0);
    }
    w_putc(w, '\n');
    for (size_t i = 0; i < p->nh; i++) {
        if (p->h[i].repeat) {
            w_putc(w, ',');
        } else {
            if (i) w_putc(w, '\n');
            put_lower(w, p->h[i].name, p->h[i].nn);
            w_putc(w, ':');
        }
        if (p->h[i].raw)
            w_put(w, p->h[i].val, p->h[i].vn);
        else
            put_value(w, p->h[i].val, p->h[i].vn);
    }
    w_put(w, "\n\n", 2);
    if (auth) { /* write the list once, into the Authorization value, and copy it */
        size_t start = auth->len;
        put_signed_headers(auth, p);
        w_put(w, auth->p + start, auth->len - start);
    } else {
        put_signed_headers(w, p);
    }
    w_putc(w, '\n');
    w_put(w, p->payload, p->payload_len);
    return 0;
}

/* ---- dates, keys, HMAC ---- */

static void put2(char *o, int v)
{
    o[0] = (char)('0' + v / 10);
    o[1] = (char)('0' + v % 10);
}

/* Formats t as YYYYMMDD'T'HHMMSS'Z' into s->date_str; the last one is remembered, since many
 * requests share a second. */
static int format_date(sigv4_signer *s, time_t t)
{
    struct tm tm;
    if (s->date_str[0] && s->date_time == t) return 0;
    if (!gmtime_r(&t, &tm) || tm.tm_year < -1900 || tm.tm_year > 9999 - 1900) return -EINVAL;
    int y = tm.tm_year + 1900;
    char *o = s->date_str;
    put2(o, y / 100);
    put2(o + 2, y % 100);
    put2(o + 4, tm.tm_mon + 1);
    put2(o + 6, tm.tm_mday);
    o[8] = 'T';
    put2(o + 9, tm.tm_hour);
    put2(o + 11, tm.tm_min);
    put2(o + 13, tm.tm_sec);
    o[15] = 'Z';
    o[16] = 0;
    s->date_time = t;
    return 0;
}

/* HMAC-SHA256 (RFC 2104) on context c. out may alias key. */
static int hmac_ctx(EVP_MD_CTX *c, const EVP_MD *md, const void *key, size_t keylen,
                    const void *msg, size_t len, unsigned char out[32])
{
    unsigned char k[64] = {0}, pad[64], ih[32];
    unsigned int n;
    int ok = 1;
    if (keylen > sizeof k)
        ok = EVP_DigestInit_ex2(c, md, NULL) && EVP_DigestUpdate(c, key, keylen) &&
             EVP_DigestFinal_ex(c, k, &n);
    else
        memcpy(k, key, keylen);
    for (size_t i = 0; i < 64; i++) pad[i] = k[i] ^ 0x36;
    ok = ok && EVP_DigestInit_ex2(c, md, NULL) && EVP_DigestUpdate(c, pad, 64) &&
         EVP_DigestUpdate(c, msg, len) && EVP_DigestFinal_ex(c, ih, &n);
    for (size_t i = 0; i < 64; i++) pad[i] = k[i] ^ 0x5c;
    ok = ok && EVP_DigestInit_ex2(c, md, NULL) && EVP_DigestUpdate(c, pad, 64) &&
         EVP_DigestUpdate(c, ih, 32) && EVP_DigestFinal_ex(c, out, &n);
    OPENSSL_cleanse(k, sizeof k);
    OPENSSL_cleanse(pad, sizeof pad);
    OPENSSL_cleanse(ih, sizeof ih);
    return ok ? 0 : -EIO;
}

/* Starts c as a SHA-256 that has absorbed the 64-byte block (key ^ x). */
static int pad_template(EVP_MD_CTX *c, const EVP_MD *md, const unsigned char key[32],
                        unsigned char x)
{
    unsigned char pad[64];
    for (size_t i = 0; i < 64; i++) pad[i] = (unsigned char)((i < 32 ? key[i] : 0) ^ x);
    int ok = EVP_DigestInit_ex2(c, md, NULL) && EVP_DigestUpdate(c, pad, 64);
    OPENSSL_cleanse(pad, sizeof pad);
    return ok ? 0 : -EIO;
}

static void append(char *dst, size_t *len, const char *src)
{
    size_t n = strlen(src);
    memcpy(dst + *len, src, n);
    *len += n;
    dst[*len] = 0;
}

/* Derives the signing key for the date in s->date_str unless it is the cached one:
 * kDate = HMAC("AWS4" secret, YYYYMMDD), then region, service and "aws4_request". */
static int ensure_key(sigv4_signer *s)
{
    if (memcmp(s->key_date, s->date_str, 8) == 0) return 0;
    unsigned char k[32];
    int rc = hmac_ctx(s->work, s->md, s->secret, s->secret_len, s->date_str, 8, k);
    if (!rc) rc = hmac_ctx(s->work, s->md, k, 32, s->region, strlen(s->region), k);
    if (!rc) rc = hmac_ctx(s->work, s->md, k, 32, s->service, strlen(s->service), k);
    if (!rc) rc = hmac_ctx(s->work, s->md, k, 32, "aws4_request", 12, k);
    if (!rc) rc = pad_template(s->inner, s->md, k, 0x36);
    if (!rc) rc = pad_template(s->outer, s->md, k, 0x5c);
    if (rc) {
        OPENSSL_cleanse(k, sizeof k);
        s->key_date[0] = 0;
        return rc;
    }
    memcpy(s->key, k, sizeof k);
    OPENSSL_cleanse(k, sizeof k);
    memcpy(s->key_date, s->date_str, 8);
    s->key_date[8] = 0;
    s->derivations++;

    s->scope_len = 0;
    append(s->scope, &s->scope_len, s->key_date);
    append(s->scope, &s->scope_len, "/");
    append(s->scope, &s->scope_len, s->region);
    append(s->scope, &s->scope_len, "/");
    append(s->scope, &s->scope_len, s->service);
    append(s->scope, &s->scope_len, "/aws4_request");
    s->auth_prefix_len = 0;
    append(s->auth_prefix, &s->auth_prefix_len, ALGORITHM " Credential=");
    append(s->auth_prefix, &s->auth_prefix_len, s->access_key);
    append(s->auth_prefix, &s->auth_prefix_len, "/");
    append(s->auth_prefix, &s->auth_prefix_len, s->scope);
    append(s->auth_prefix, &s->auth_prefix_len, ", SignedHeaders=");
    return 0;
}

/* Hashes the canonical request into hex, writing SignedHeaders into auth when not NULL. */
static int creq_hash(sigv4_signer *s, const sigv4_request *r, const struct prepared *p,
                     struct wbuf *auth, char hex[SIGV4_SHA256_HEX_SIZE])
{
    struct wbuf w = {s->scratch, 0, sizeof s->scratch, s->hash, 0, 0};
    unsigned char d[32];
    unsigned int n;
    if (!EVP_DigestInit_ex2(s->hash, s->md, NULL)) return -EIO;
    int rc = put_creq(&w, auth, s, r, p);
    if (rc) return rc;
    if (w.err || !EVP_DigestUpdate(s->hash, w.p, w.len) || !EVP_DigestFinal_ex(s->hash, d, &n))
        return -EIO;
    to_hex(d, 32, hex);
    return 0;
}

/* "AWS4-HMAC-SHA256\n<date>\n<scope>\n<hash>" into out (STS_SIZE bytes); returns its length. */
static size_t put_sts(const sigv4_signer *s, const char *hash, char *out)
{
    size_t len = 0;
    out[0] = 0;
    append(out, &len, ALGORITHM "\n");
    append(out, &len, s->date_str);
    append(out, &len, "\n");
    append(out, &len, s->scope);
    append(out, &len, "\n");
    append(out, &len, hash);
    return len;
}

#define STS_SIZE 320 /* 17 + 17 + sizeof scope + 65, rounded up */

/* ---- public API ---- */

static int valid_field(const char *v, size_t size)
{
    if (!v || !v[0] || strlen(v) >= size) return 0;
    for (const char *p = v; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c <= ' ' || c == 0x7f || c == '/' || c == ',') return 0;
    }
    return 1;
}

int sigv4_init(sigv4_signer *s, const char *access_key, const char *secret,
               const char *session_token, const char *region, const char *service)
{
    size_t n = 0;
    memset(s, 0, sizeof *s);
    if (!valid_field(access_key, sizeof s->access_key) || !valid_field(region, sizeof s->region) ||
        !valid_field(service, sizeof s->service) || !secret || !secret[0] ||
        strlen(secret) > sizeof s->secret - 5)
        return -EINVAL;
    if (session_token && session_token[0] && !valid_token(session_token, &n, 1)) return -EINVAL;

    strcpy(s->access_key, access_key);
    strcpy(s->region, region);
    strcpy(s->service, service);
    memcpy(s->secret, "AWS4", 4);
    strcpy(s->secret + 4, secret);
    s->secret_len = 4 + strlen(secret);
    s->flags = strcmp(service, "s3") == 0 ? SIGV4_FLAGS_S3 : SIGV4_FLAGS_GENERIC;
    if (session_token && session_token[0]) {
        if (!(s->session_token = strdup(session_token))) goto nomem;
        s->token_len = n;
    }
    s->md = EVP_MD_fetch(NULL, "SHA256", NULL);
    s->hash = EVP_MD_CTX_new();
    s->work = EVP_MD_CTX_new();
    s->inner = EVP_MD_CTX_new();
    s->outer = EVP_MD_CTX_new();
    if (!s->md || !s->hash || !s->work || !s->inner || !s->outer) goto nomem;
    return 0;
nomem:
    sigv4_clear(s);
    return -ENOMEM;
}

void sigv4_clear(sigv4_signer *s)
{
    if (!s) return;
    if (s->session_token) {
        OPENSSL_cleanse(s->session_token, strlen(s->session_token));
        free(s->session_token);
    }
    EVP_MD_CTX_free(s->hash);
    EVP_MD_CTX_free(s->work);
    EVP_MD_CTX_free(s->inner);
    EVP_MD_CTX_free(s->outer);
    EVP_MD_free(s->md);
    /* The secret, the key and the last canonical request (which may hold the token). */
    OPENSSL_cleanse(s, sizeof *s);
}

int sigv4_sign(sigv4_signer *s, const sigv4_request *r, char *auth, size_t auth_cap,
               char amz_date[SIGV4_DATE_SIZE])
{
    struct prepared p;
    char hash[SIGV4_SHA256_HEX_SIZE], sts[STS_SIZE];
    unsigned char mac[32], ih[32];
    unsigned int n;
    int rc;

    if (!auth || !auth_cap || !amz_date) return -EINVAL;
    auth[0] = 0;
    amz_date[0] = 0;
    if (!s || !s->md || !r) return -EINVAL;
    if ((rc = format_date(s, r->time)) || (rc = prepare(s, r, s->date_str, &p)) ||
        (rc = ensure_key(s)))
        return rc;

    struct wbuf a = {auth, 0, auth_cap - 1, NULL, 0, 0};
    w_put(&a, s->auth_prefix, s->auth_prefix_len);
    if ((rc = creq_hash(s, r, &p, &a, hash))) goto fail;
    if (a.full) {
        rc = -ENOSPC;
        goto fail;
    }

    size_t len = put_sts(s, hash, sts);
    if (!EVP_MD_CTX_copy_ex(s->work, s->inner) || !EVP_DigestUpdate(s->work, sts, len) ||
        !EVP_DigestFinal_ex(s->work, ih, &n) || !EVP_MD_CTX_copy_ex(s->work, s->outer) ||
        !EVP_DigestUpdate(s->work, ih, 32) || !EVP_DigestFinal_ex(s->work, mac, &n)) {
        rc = -EIO;
        goto fail;
    }
    to_hex(mac, 32, hash);
    w_puts(&a, ", Signature=");
    w_put(&a, hash, 64);
    if (a.full) {
        rc = -ENOSPC;
        goto fail;
    }
    auth[a.len] = 0;
    memcpy(amz_date, s->date_str, SIGV4_DATE_SIZE);
    return (int)a.len;
fail:
    auth[0] = 0;
    return rc;
}

int sigv4_canonical_request(sigv4_signer *s, const sigv4_request *r, char *out, size_t cap)
{
    struct prepared p;
    int rc;
    if (!out || !cap) return -EINVAL;
    out[0] = 0;
    if (!s || !s->md || !r) return -EINVAL;
    if ((rc = format_date(s, r->time)) || (rc = prepare(s, r, s->date_str, &p))) return rc;
    struct wbuf w = {out, 0, cap - 1, NULL, 0, 0};
    if ((rc = put_creq(&w, NULL, s, r, &p))) {
        out[0] = 0;
        return rc;
    }
    if (w.full) {
        out[0] = 0;
        return -ENOSPC;
    }
    out[w.len] = 0;
    return (int)w.len;
}

int sigv4_string_to_sign(sigv4_signer *s, const sigv4_request *r, char *out, size_t cap)
{
    struct prepared p;
    char hash[SIGV4_SHA256_HEX_SIZE], sts[STS_SIZE];
    int rc;
    if (!out || !cap) return -EINVAL;
    out[0] = 0;
    if (!s || !s->md || !r) return -EINVAL;
    if ((rc = format_date(s, r->time)) || (rc = prepare(s, r, s->date_str, &p)) ||
        (rc = ensure_key(s)) || (rc = creq_hash(s, r, &p, NULL, hash)))
        return rc;
    size_t len = put_sts(s, hash, sts);
    if (len >= cap) return -ENOSPC;
    memcpy(out, sts, len + 1);
    return (int)len;
}

size_t sigv4_uri_encode(char *out, size_t cap, const char *in, size_t len, int keep_slash)
{
    size_t o = 0, w = 0; /* o: full length, w: bytes written (stops at the first misfit) */
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)in[i];
        if (unreserved(c) || (c == '/' && keep_slash)) {
            if (w == o && o + 1 < cap) out[w++] = (char)c;
            o++;
        } else {
            if (w == o && o + 3 < cap) {
                out[w++] = '%';
                out[w++] = hex_upper[c >> 4];
                out[w++] = hex_upper[c & 15];
            }
            o += 3;
        }
    }
    if (cap) out[w] = 0;
    return o;
}

int sigv4_sha256_hex(const void *data, size_t len, char out[SIGV4_SHA256_HEX_SIZE])
{
    unsigned char d[32];
    unsigned int n;
    if (!EVP_Digest(data, len, d, &n, EVP_sha256(), NULL)) {
        out[0] = 0;
        return -ENOMEM;
    }
    to_hex(d, 32, out);
    return 0;
}

int sigv4_sha256_init(sigv4_sha256 *h)
{
    h->ctx = EVP_MD_CTX_new();
    if (!h->ctx || !EVP_DigestInit_ex2(h->ctx, EVP_sha256(), NULL)) {
        sigv4_sha256_free(h);
        return -ENOMEM;
    }
    return 0;
}

int sigv4_sha256_update(sigv4_sha256 *h, const void *data, size_t len)
{
    return h->ctx && EVP_DigestUpdate(h->ctx, data, len) ? 0 : -EIO;
}

int sigv4_sha256_final(sigv4_sha256 *h, char out[SIGV4_SHA256_HEX_SIZE])
{
    unsigned char d[32];
    unsigned int n;
    int ok = h->ctx && EVP_DigestFinal_ex(h->ctx, d, &n);
    sigv4_sha256_free(h);
    if (!ok) {
        out[0] = 0;
        return -EIO;
    }
    to_hex(d, 32, out);
    return 0;
}

void sigv4_sha256_free(sigv4_sha256 *h)
{
    EVP_MD_CTX_free(h->ctx);
    h->ctx = NULL;
}

int sigv4_hmac_sha256(const void *key, size_t keylen, const void *msg, size_t len,
                      unsigned char out[32])
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    if (!c) return -ENOMEM;
    int rc = hmac_ctx(c, EVP_sha256(), key, keylen, msg, len, out);
    EVP_MD_CTX_free(c);
    return rc ? -ENOMEM : 0;
}
