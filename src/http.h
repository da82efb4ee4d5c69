/* http.h - HTTP/1.1 requests on the thread's libuv loop, through one of two
 * clients behind the same http_req: our own for plain http:// (http_wire.c:
 * small requests cost a fraction of libcurl's CPU) and libcurl's multi handle
 * driven by curl_multi_socket_action (DESIGN 2) for https://, proxies, and when
 * asked for (`http_client = "curl"`, S3DLUA_HTTP_CLIENT=curl).
 *
 * A request is an http_req the caller owns (usually inside a pooled store
 * request): fill method, url, headers and body, call http_submit(); `done` is
 * called on the loop thread when the transfer has finished (status set, or
 * curl_code non-zero for a transport failure). Headers and the URL live in the
 * request's own memory: no allocation per request besides what libcurl does. */
#ifndef S3D_HTTP_H
#define S3D_HTTP_H
#include "rt.h"
#include "store.h"
#include <curl/curl.h>

#define HTTP_MAX_HEADERS  16
#define HTTP_HEADER_SPACE 4096
#define HTTP_URL_MAX      8192

typedef struct http_req http_req;

/* Streaming body callbacks (optional): return bytes produced/consumed. */
typedef size_t (*http_sink_fn)(http_req *h, const char *data, size_t len);

struct http_req {
    CURL *easy;
    const char *method; /* "GET", "PUT", "HEAD", "DELETE", "POST" */
    char url[HTTP_URL_MAX];
    struct curl_slist hdr[HTTP_MAX_HEADERS];
    char hdr_space[HTTP_HEADER_SPACE];
    int nhdr;
    size_t hdr_used;
    /* request body */
    const char *body;
    size_t body_len, body_off;
    /* response body: into `out` (grown as needed), counted only (discard), or
     * handed to `sink`. Bodies of error statuses always go to `errbody`. */
    s3d_buf *out;
    int discard;
    http_sink_fn sink;
    s3d_buf errbody;
    /* response */
    long status;
    CURLcode curl_code;
    char errbuf[CURL_ERROR_SIZE];
    uint64_t body_bytes;
    int64_t content_length; /* -1 when absent */
    char etag[80];
    char last_modified[64];
    char content_range[96];
    uint64_t t_first; /* uv_hrtime of the first response byte */
    /* options */
    long connect_timeout_ms, low_speed_time_s, low_speed_limit;
    const char *ca_bundle;
    int verify_tls;
    int use_curl; /* 1: libcurl even for http:// */
    void (*done)(http_req *h);
    void *data;
    /* http_wire.c's: already resent once on a fresh connection (a reused one
     * was found dead) */
    int wire_resent;
};

/* Resets h for a new request; keeps the pooled easy handle, the error body's
 * memory and the URL. */
void http_req_init(http_req *h);
/* Appends "Name: value" (value NULL: stop curl sending its default Name);
 * returns 0, or -1 when the header space is full. */
int http_add_header(http_req *h, const char *name, const char *value);
/* Starts the transfer on the calling thread's loop. Returns 0, or -1 with
 * h->curl_code/errbuf set (done is not called then). */
int http_submit(http_req *h);
/* Releases h's easy handle back to the thread's pool and frees errbody. */
void http_req_release(http_req *h);
/* Frees the thread's multi handle, sockets and pooled easy handles. */
void http_thread_shutdown(rt *r);
/* "curl" or "native" from S3DLUA_HTTP_CLIENT (default native): 1 for curl,
 * 0 for native, -1 for anything else. */
int http_client_from_name(const char *name);

/* ---- shared by the two clients (http.c, http_wire.c) ---- */
/* One response header line as received ("Name: value\r\n", or the status
 * line): keeps status, Content-Length, ETag, Last-Modified, Content-Range. */
void http_take_header(http_req *h, const char *line, size_t len);
/* Response body bytes: to errbody (status >= 300), the sink, `out` or
 * nowhere; returns the bytes taken (fewer: the transfer must fail). */
size_t http_take_body(http_req *h, const char *data, size_t len);
/* -vvv: writes header lines to stderr after `mark` ("> ", "< "), with the
 * values of Authorization and x-amz-security-token replaced. */
void http_trace_lines(const char *mark, const char *data, size_t len);

/* http_wire.c */
int wire_submit(http_req *h);
void wire_thread_shutdown(rt *r);

/* Human text of a transport failure ("connection refused", "timed out", ...). */
const char *http_error_text(const http_req *h);
#endif
