/* store.h - the one storage interface (DESIGN 3): a vtable per scheme, URI
 * parsing, stable error codes and the request every operation travels in.
 *
 * An operation is a request submitted on the loop thread; the backend calls
 * req->done(req) on the loop thread when it has finished, successful or not.
 * Backends never touch Lua. */
#ifndef S3D_STORE_H
#define S3D_STORE_H
#include "rt.h"
#include "sched.h"
#include <stddef.h>
#include <stdint.h>

/* Stable error codes; their names are what Lua sees (s3d_code_name). */
enum s3d_code {
    S3D_OK = 0,
    S3D_NOT_FOUND,
    S3D_PERMISSION,
    S3D_EXISTS,
    S3D_IO,
    S3D_BAD_URI,
    S3D_IS_DIR,
    S3D_NOT_DIR,
    S3D_NO_SPACE,
    S3D_UNSUPPORTED,
    S3D_INVALID,
    S3D_TIMEOUT,
    S3D_NOT_EMPTY,
    S3D_NOMEM,
    S3D_ACCESS_DENIED,
    S3D_SIGNATURE,
    S3D_SLOW_DOWN,
    S3D_CONNECTION,
    S3D_HTTP, /* any other HTTP status: Lua sees "http_NNN" (req->http_status) */
    S3D_CODE_COUNT
};
const char *s3d_code_name(int code);
int s3d_code_from_errno(int e);

enum s3d_op {
    OP_GET,
    OP_PUT,
    OP_STAT,
    OP_LIST,
    OP_DELETE,
    OP_OPEN_READ,
    OP_READ,
    OP_OPEN_WRITE,
    OP_WRITE,
    OP_COMMIT,
    OP_ABORT,
    OP_MKBUCKET,
    OP_RMBUCKET,
    OP_DELETE_MANY,
};

enum s3d_fadvise { FADV_AUTO, FADV_NORMAL, FADV_SEQUENTIAL, FADV_RANDOM, FADV_DONTNEED };

/* Page-aligned growable byte buffer; the Lua type s3dlua.buffer wraps one. */
typedef struct s3d_buf {
    char *data;
    size_t len, cap;
} s3d_buf;
int s3d_buf_reserve(s3d_buf *b, size_t cap); /* 0, or -1 when out of memory */
void s3d_buf_free(s3d_buf *b);

typedef struct s3d_stat {
    uint64_t size;
    double mtime; /* seconds since the epoch */
    int is_dir;
    char etag[80];
} s3d_stat;

typedef struct s3d_entry {
    char *key; /* relative to the store, '/'-terminated for a common prefix */
    uint64_t size;
    double mtime;
    int is_prefix;
    char *error; /* delete_many: why this key was not deleted */
} s3d_entry;

typedef struct s3d_list {
    s3d_entry *items;
    size_t n, cap;
    char *next_token; /* NULL when this was the last page */
} s3d_list;
void s3d_list_free(s3d_list *l);
/* Records a key that failed (delete_many); returns 0 or -1 when out of memory. */
int s3d_list_add_error(s3d_list *l, const char *key, size_t keylen, const char *error);
int s3d_list_add(s3d_list *l, const char *key, size_t keylen, uint64_t size, double mtime,
                 int is_prefix);

typedef struct s3d_store s3d_store;
typedef struct s3d_stream s3d_stream;
typedef struct s3d_req s3d_req;

struct s3d_req {
    uv_work_t work; /* file backends run their blocking part on the pool */
    s3d_store *store;
    int op;
    const char *key; /* relative key, anchored by the caller for the request's life */
    size_t keylen;
    uint64_t offset, length; /* range for GET/READ; length 0 = to the end */
    int ranged;
    int suffix;      /* GET: the last `length` bytes (HTTP bytes=-N) */
    int discard;     /* GET: count the bytes, keep none */
    s3d_buf *buf;    /* GET/READ: destination; PUT/WRITE: unused */
    const char *src; /* PUT/WRITE: source bytes */
    size_t srclen;
    s3d_stream *stream; /* READ/WRITE/COMMIT/ABORT, and the result of OPEN_* */
    const char **keys;  /* DELETE_MANY: keys (anchored by the caller) */
    size_t *keylens;
    size_t nkeys;
    int recursive;     /* LIST */
    const char *token; /* LIST: continuation */
    s3d_list list;     /* LIST result */
    s3d_stat st;       /* STAT result; GET and OPEN_READ fill size too */
    uint64_t nbytes;   /* bytes moved */
    int code;          /* enum s3d_code */
    int http_status;   /* last HTTP status, 0 for local stores */
    char detail[200];  /* what went wrong, for the error message */
    uint64_t t_start, t_first, t_end;
    struct oplog *log;             /* binding: the op-log this operation goes to, or NULL */
    uint64_t log_start, log_bytes; /* binding: a writer's commit is logged as its whole PUT */
    /* A backend that retries reports each failed attempt here (NULL: nobody
     * listens): why ("attempt 1 of 4: HTTP 503 SlowDown"), its start, first
     * byte (0: none) and end. */
    void (*on_attempt)(s3d_req *req, const char *why, uint64_t t0, uint64_t t_first, uint64_t t1);
    void (*done)(s3d_req *req);
    sched_wait wait; /* used by the Lua binding */
    deferred later;  /* store_complete_later() */
    int own_buf;     /* binding: 1 when buf is `own` below, handed to Lua on success */
    s3d_buf own;
    int *busy;  /* binding: cleared when the request completes */
    int pin_id; /* binding: slots pin_id*4+1..4 of the pin table */
    int npins;
    void *bounce; /* aligned scratch kept with the pooled request */
    size_t bounce_cap;
    s3d_req *next_free;
};

/* Fails a request with a code and a printf-style detail. */
void s3d_req_fail(s3d_req *req, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void s3d_req_fail_errno(s3d_req *req, int err, const char *what);

s3d_req *store_req_get(rt *r);
void store_req_put(rt *r, s3d_req *req);
void store_req_pool_free(rt *r);

/* Capability flags. */
#define STORE_CAN_RANGE   1u
#define STORE_CAN_STREAM  2u
#define STORE_HAS_BUCKETS 4u

typedef struct store_ops {
    const char *scheme;
    unsigned caps;
    /* Fills st->root etc. from the URI; returns S3D_OK or a code with err set. */
    int (*open)(s3d_store *st, char *err, size_t errlen);
    void (*close)(s3d_store *st);
    /* Every operation: starts req; req->done is called on the loop thread. */
    void (*submit)(s3d_req *req);
    /* Releases a stream that was never committed or aborted (GC); must not block long. */
    void (*stream_free)(s3d_stream *s);
    /* An option of s3d.open(uri, {name = value}), value as text (booleans
     * "true"/"false"). Returns 0, or -1 with err set (unknown name, bad value). */
    int (*set_option)(s3d_store *st, const char *name, const char *value, char *err, size_t errlen);
} store_ops;

struct s3d_store {
    const store_ops *ops;
    char *uri; /* canonical URI of the store's root, '/'-terminated for prefixes */
    char *scheme;
    char *bucket; /* authority part; empty for file:// */
    char *prefix; /* path inside the bucket/file system, with its trailing '/' */
    int fadvise;
    uint64_t object_size; /* null:// reads return this many bytes */
    const char *endpoint; /* the server's URL (s3://), for op-logs; NULL for local stores */
    int refs;
    void *impl;
};

/* Parses uri and opens the store for its scheme. Returns NULL and fills err
 * ("unknown scheme 'x' in 'x://...'") on failure. */
s3d_store *store_open(const char *uri, char *err, size_t errlen);
void store_release(s3d_store *st);
void store_submit(s3d_req *req);
/* Completes req on the next loop turn (work done on the loop thread must not
 * resume the caller from inside its own call). */
void store_complete_later(s3d_req *req);
const store_ops *store_find_scheme(const char *scheme, size_t len);
extern const store_ops store_file_ops, store_direct_ops, store_null_ops, store_s3_ops;

int luaopen_s3dlua_store(lua_State *L);

/* The Lua type s3dlua.buffer (lua_buffer.c). */
s3d_buf *buffer_check(lua_State *L, int idx);
/* Pushes a new buffer userdata that takes over src's memory (src is emptied). */
s3d_buf *buffer_push_take(lua_State *L, s3d_buf *src);
/* Bytes of a string or buffer argument; raises otherwise. */
const char *buffer_bytes(lua_State *L, int idx, size_t *len);
int luaopen_s3dlua_buffer(lua_State *L);
#endif
