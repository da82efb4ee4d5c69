/* sigv4.h - AWS Signature Version 4 request signing (HMAC-SHA256 on OpenSSL's libcrypto).
 *
 * One signer holds one set of credentials for one (region, service). It caches the derived
 * signing key and recomputes it only when the request date (UTC day) changes, keeps its
 * OpenSSL contexts across requests and builds the canonical request in a scratch buffer inside
 * the struct, so signing allocates nothing of its own (OpenSSL 3.0's EVP still does three
 * small malloc/free pairs per signature, one per digest it starts).
 *
 * Typical S3 use, per request:
 *
 *     sigv4_header h[] = {{"host", "bucket.s3.amazonaws.com"}, {"range", "bytes=0-9"}};
 *     sigv4_request r = {.method = "GET", .path = "/key%20name", .query = "versionId=3",
 *                        .headers = h, .nheaders = 2, .payload_hash = SIGV4_EMPTY_SHA256,
 *                        .time = time(NULL)};
 *     char auth[SIGV4_AUTH_SIZE], date[SIGV4_DATE_SIZE];
 *     if (sigv4_sign(&signer, &r, auth, sizeof auth, date) < 0) ...
 *     then send exactly: the headers in h, "Authorization: <auth>", "x-amz-date: <date>",
 *     "x-amz-content-sha256: <payload_hash>" (S3, SIGV4_CONTENT_SHA256) and, when
 *     signer.session_token is not NULL, "x-amz-security-token: <session_token>".
 *
 * Errors are negative errno values: -EINVAL (bad argument or header), -E2BIG (more than
 * SIGV4_MAX_HEADERS headers, SIGV4_MAX_QUERY query parameters or SIGV4_MAX_SEGMENTS path
 * segments), -ENOSPC (an output buffer is too small), -ENOMEM / -EIO (libcrypto failed).
 * Not thread-safe: use one signer per thread (they are cheap), or lock around it.
 * The secret is never logged or returned by anything here. */
#ifndef S3D_SIGV4_H
#define S3D_SIGV4_H
#include <stddef.h>
#include <time.h>

#define SIGV4_DATE_SIZE       17   /* "20150830T123600Z" and its NUL */
#define SIGV4_SHA256_HEX_SIZE 65   /* 64 lowercase hex digits and a NUL */
#define SIGV4_AUTH_SIZE       1024 /* enough for any Authorization value with short header names */
#define SIGV4_MAX_HEADERS     32   /* caller headers per request */
#define SIGV4_MAX_QUERY       64   /* query parameters per request */
#define SIGV4_MAX_SEGMENTS    256  /* path segments, only with SIGV4_NORMALIZE_PATH */
#define SIGV4_SCRATCH         4096 /* canonical request buffer; longer ones are hashed in pieces */

/* SHA-256 of the empty string: the payload hash of GET, HEAD, DELETE. */
#define SIGV4_EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
/* Payload hash that tells S3 the body is not signed (fine over TLS). */
#define SIGV4_UNSIGNED_PAYLOAD "UNSIGNED-PAYLOAD"

/* Canonicalization rules. S3 differs from every other service on the first two. */
enum {
    /* The canonical URI is the path URI-encoded twice ('%' of the wire path becomes "%25").
     * Every service but S3. */
    SIGV4_DOUBLE_ENCODE = 1 << 0,
    /* Remove empty, "." and ".." path segments before encoding. Every service but S3. */
    SIGV4_NORMALIZE_PATH = 1 << 1,
    /* Add and sign "x-amz-content-sha256: <payload hash>". S3 requires that header. */
    SIGV4_CONTENT_SHA256 = 1 << 2,
};
#define SIGV4_FLAGS_S3      SIGV4_CONTENT_SHA256
#define SIGV4_FLAGS_GENERIC (SIGV4_DOUBLE_ENCODE | SIGV4_NORMALIZE_PATH)

/* A header to sign. Names are matched case-insensitively; values are signed trimmed, with
 * runs of spaces and tabs collapsed to one space (what AWS does with what it receives). */
typedef struct sigv4_header {
    const char *name;
    const char *value;
} sigv4_header;

/* One request to sign. Nothing here is kept after the call. */
typedef struct sigv4_request {
    const char *method; /* "GET", "PUT", ... */
    /* The path exactly as sent: URI-encoded once (sigv4_uri_encode with keep_slash), e.g.
     * "/bucket/my%20key". It is decoded once and re-encoded canonically, so an unencoded path
     * gives the same signature, but what goes on the wire must be the encoded form.
     * "%2F" stays "%2F". NULL or "" means "/". */
    const char *path;
    /* The query string exactly as sent, without '?' ("list-type=2&prefix=a%2Fb"), or NULL.
     * Each name and value is decoded once and re-encoded ('/' too), the pairs are sorted by
     * name then value; "lifecycle" signs as "lifecycle=". A literal '+' is a plus sign
     * (canonical "%2B"): encode spaces as %20. */
    const char *query;
    /* The headers to sign, all of which must then be sent with these values. "host" is
     * required. Do not pass authorization or x-amz-date, nor x-amz-content-sha256 with
     * SIGV4_CONTENT_SHA256, nor x-amz-security-token when the signer has a token: the signer
     * adds those (-EINVAL otherwise). Repeated names are joined with ',' in the given order. */
    const sigv4_header *headers;
    size_t nheaders;
    /* Lowercase hex SHA-256 of the body, or SIGV4_UNSIGNED_PAYLOAD; NULL = empty body. */
    const char *payload_hash;
    time_t time; /* request time; signs as x-amz-date in UTC */
} sigv4_request;

/* The public fields may be read; flags may be changed between requests. The rest is private. */
typedef struct sigv4_signer {
    unsigned flags;            /* SIGV4_* rules; sigv4_init picks S3's for service "s3" */
    char access_key[256];      /* access key id */
    char region[64];           /* "us-east-1" */
    char service[64];          /* "s3" */
    char *session_token;       /* malloc'd copy, or NULL; send it as x-amz-security-token */
    unsigned long derivations; /* signing keys derived so far (one per new date) */

    /* private */
    char secret[4 + 256]; /* "AWS4" + secret access key; never printed */
    size_t secret_len;
    size_t token_len;
    char key_date[9];      /* YYYYMMDD of the cached key, "" before the first */
    unsigned char key[32]; /* signing key for key_date */
    char auth_prefix[512]; /* "AWS4-HMAC-SHA256 Credential=<ak>/<scope>, SignedHeaders=" */
    size_t auth_prefix_len;
    char scope[160]; /* "<date>/<region>/<service>/aws4_request" */
    size_t scope_len;
    time_t date_time; /* the time last formatted into date_str */
    char date_str[SIGV4_DATE_SIZE];
    struct evp_md_st *md;        /* SHA-256, fetched once */
    struct evp_md_ctx_st *hash;  /* canonical request digest */
    struct evp_md_ctx_st *work;  /* HMAC working context */
    struct evp_md_ctx_st *inner; /* signing key ^ ipad absorbed */
    struct evp_md_ctx_st *outer; /* signing key ^ opad absorbed */
    char scratch[SIGV4_SCRATCH]; /* canonical request being built */
} sigv4_signer;

/* Sets up s with copies of the credentials; session_token may be NULL or "". flags become
 * SIGV4_FLAGS_S3 when service is "s3", else SIGV4_FLAGS_GENERIC. Returns 0, -EINVAL (a NULL
 * or empty argument, too long, or containing characters that cannot appear in a Credential:
 * '/', ',', whitespace, control characters; a token with whitespace or control characters),
 * or -ENOMEM. On error s owns nothing and sigv4_clear(s) is still safe. */
int sigv4_init(sigv4_signer *s, const char *access_key, const char *secret,
               const char *session_token, const char *region, const char *service);
/* Wipes the secret, the cached key and the token (OPENSSL_cleanse) and frees everything s
 * owns. Safe on a zeroed or already cleared signer. */
void sigv4_clear(sigv4_signer *s);

/* Signs r. Writes the Authorization header value (NUL-terminated) into auth[0..auth_cap) and
 * the x-amz-date value into amz_date. Returns the length of the Authorization value, or a
 * negative errno (see the top of this file); on error auth and amz_date hold "". */
int sigv4_sign(sigv4_signer *s, const sigv4_request *r, char *auth, size_t auth_cap,
               char amz_date[SIGV4_DATE_SIZE]);

/* The intermediate steps, for tests and debugging (slower than sigv4_sign, same rules).
 * Each writes a NUL-terminated string and returns its length, or a negative errno
 * (-ENOSPC when it does not fit in cap). */
int sigv4_canonical_request(sigv4_signer *s, const sigv4_request *r, char *out, size_t cap);
int sigv4_string_to_sign(sigv4_signer *s, const sigv4_request *r, char *out, size_t cap);

/* Percent-encodes in[0..len) the AWS way: A-Z a-z 0-9 - . _ ~ are kept, '/' is kept when
 * keep_slash (object keys in paths) and encoded otherwise (query names and values), every
 * other byte becomes %XX with uppercase hex (UTF-8 is encoded byte by byte). Writes at most
 * cap bytes including a NUL (when cap > 0) and returns the full encoded length, like
 * snprintf: the output was truncated when the result is >= cap. 3 * len + 1 always fits. */
size_t sigv4_uri_encode(char *out, size_t cap, const char *in, size_t len, int keep_slash);

/* Lowercase hex SHA-256 of data[0..len) into out (the payload hash). Returns 0, or -ENOMEM
 * (out is then ""). */
int sigv4_sha256_hex(const void *data, size_t len, char out[SIGV4_SHA256_HEX_SIZE]);

/* The same for a body that arrives in pieces: init, update as often as needed, final. */
typedef struct sigv4_sha256 {
    struct evp_md_ctx_st *ctx;
} sigv4_sha256;
/* Returns 0 or -ENOMEM. */
int sigv4_sha256_init(sigv4_sha256 *h);
/* Returns 0, or -EIO (also on a zeroed or finished h). */
int sigv4_sha256_update(sigv4_sha256 *h, const void *data, size_t len);
/* Writes the hex digest and releases h. Returns 0 or -EIO (out is then ""). */
int sigv4_sha256_final(sigv4_sha256 *h, char out[SIGV4_SHA256_HEX_SIZE]);
/* Releases h without a digest (abandoned bodies). Safe after final and on a zeroed h. */
void sigv4_sha256_free(sigv4_sha256 *h);

/* HMAC-SHA256(key, msg) into out, with a context of its own (not the fast path; for other
 * services' signers and tests). Returns 0 or -ENOMEM. */
int sigv4_hmac_sha256(const void *key, size_t keylen, const void *msg, size_t len,
                      unsigned char out[32]);
#endif
