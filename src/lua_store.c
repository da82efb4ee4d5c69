/* lua_store.c - the Lua face of the store interface (s3dlua.store).
 *
 * Every method builds a request, submits it and ends in sched_suspend(): inside
 * a task the coroutine yields until completion, outside it the call blocks.
 * push_result() turns the finished request into Lua values in both cases.
 * Expected failures return nil, err (an s3dlua.error: .code, .message, .uri,
 * .detail, .status; tostring gives the message); wrong arguments raise. */
#include "log.h"
#include "oplog.h"
#include "store.h"
#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STORE_MT  "s3dlua.store"
#define STREAM_MT "s3dlua.stream"
#define ERROR_MT  "s3dlua.error"

typedef struct store_ud {
    s3d_store *st;
    struct oplog *log; /* st:with_oplog(log): every operation through this handle is logged */
} store_ud;

typedef struct stream_ud {
    s3d_stream *s;
    s3d_store *st;
    int writing;
    int busy;
    char *key; /* for error messages */
    uint64_t size;
    struct oplog *log;        /* from the store handle that opened it */
    uint64_t t_open, written; /* a writer's commit is logged as one PUT of this */
} stream_ud;

static s3d_store *check_store(lua_State *L, int idx)
{
    store_ud *u = luaL_checkudata(L, idx, STORE_MT);
    if (!u->st) luaL_argerror(L, idx, "store is closed");
    return u->st;
}

static stream_ud *check_stream(lua_State *L, int idx)
{
    return luaL_checkudata(L, idx, STREAM_MT);
}

/* Pushes nil, err where err = {code=, message=, uri=, detail=, status=} and
 * tostring(err) is the message, so assert(store:get(k)) reports it whole. */
static int push_error_parts(lua_State *L, int code, const char *uri, size_t urilen,
                            const char *detail, int http_status)
{
    char name[32];
    if (code == S3D_HTTP)
        snprintf(name, sizeof name, "http_%d", http_status);
    else
        snprintf(name, sizeof name, "%s", s3d_code_name(code));
    lua_pushnil(L);
    lua_createtable(L, 0, 4);
    lua_pushstring(L, name);
    lua_setfield(L, -2, "code");
    if (http_status) {
        lua_pushinteger(L, http_status);
        lua_setfield(L, -2, "status");
    }
    lua_pushlstring(L, uri, urilen);
    lua_setfield(L, -2, "uri");
    lua_pushstring(L, detail && *detail ? detail : name);
    lua_setfield(L, -2, "detail");
    lua_pushlstring(L, uri, urilen);
    lua_pushstring(L, ": ");
    lua_pushstring(L, detail && *detail ? detail : name);
    lua_concat(L, 3);
    lua_setfield(L, -2, "message");
    luaL_getmetatable(L, ERROR_MT);
    lua_setmetatable(L, -2);
    return 2;
}

static int push_req_error(lua_State *L, s3d_req *req)
{
    const char *base = req->store->uri;
    size_t blen = strlen(base);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    luaL_addlstring(&b, base, blen);
    if (req->key) luaL_addlstring(&b, req->key, req->keylen);
    luaL_pushresult(&b);
    size_t ulen;
    const char *uri = lua_tolstring(L, -1, &ulen);
    int n = push_error_parts(L, req->code, uri, ulen, req->detail, req->http_status);
    lua_remove(L, -n - 1);
    return n;
}

static void push_entry(lua_State *L, const s3d_entry *e)
{
    lua_createtable(L, 0, 4);
    lua_pushstring(L, e->key);
    lua_setfield(L, -2, "key");
    lua_pushnumber(L, (lua_Number)e->size);
    lua_setfield(L, -2, "size");
    lua_pushnumber(L, e->mtime);
    lua_setfield(L, -2, "mtime");
    if (e->is_prefix) {
        lua_pushboolean(L, 1);
        lua_setfield(L, -2, "is_prefix");
    }
}

/* A C function's stack is not kept alive while its coroutine is suspended, so
 * the arguments a request points into (store, key, data, buffers) are pinned
 * in a registry table for the request's life. */
#define PIN_SLOTS 4

static void pin_args(lua_State *L, s3d_req *req)
{
    rt *r = rt_self;
    int n = lua_gettop(L);
    if (n > PIN_SLOTS) n = PIN_SLOTS;
    lua_rawgeti(L, LUA_REGISTRYINDEX, r->pin_ref);
    for (int i = 1; i <= n; i++) {
        lua_pushvalue(L, i);
        lua_rawseti(L, -2, req->pin_id * PIN_SLOTS + i);
    }
    lua_pop(L, 1);
    req->npins = n;
}

static void unpin_args(lua_State *L, s3d_req *req)
{
    rt *r = rt_self;
    lua_rawgeti(L, LUA_REGISTRYINDEX, r->pin_ref);
    for (int i = 1; i <= req->npins; i++) {
        lua_pushnil(L);
        lua_rawseti(L, -2, req->pin_id * PIN_SLOTS + i);
    }
    lua_pop(L, 1);
    req->npins = 0;
}

static const char *const op_names[] = {
    [OP_GET] = "GET",
    [OP_PUT] = "PUT",
    [OP_STAT] = "HEAD",
    [OP_LIST] = "LIST",
    [OP_DELETE] = "DELETE",
    [OP_OPEN_READ] = "OPEN_READ",
    [OP_READ] = "READ",
    [OP_OPEN_WRITE] = "OPEN_WRITE",
    [OP_WRITE] = "WRITE",
    [OP_COMMIT] = "COMMIT",
    [OP_ABORT] = "ABORT",
    [OP_MKBUCKET] = "CREATE_CONTAINER",
    [OP_RMBUCKET] = "DELETE_CONTAINER",
    [OP_DELETE_MANY] = "DELETE_BATCH",
};

/* The op-log's name for a store operation; NULL: not logged by itself (a
 * writer's open and writes are its commit's PUT; an abort wrote nothing). */
static const char *oplog_op(const s3d_req *req)
{
    switch (req->op) {
    case OP_OPEN_WRITE:
    case OP_WRITE:
    case OP_ABORT:
        return NULL;
    case OP_READ:
        return "GET";
    case OP_OPEN_READ:
        return "HEAD";
    case OP_COMMIT:
        return "PUT";
    default:
        return op_names[req->op];
    }
}

static void record_op(const s3d_req *req)
{
    const char *op = oplog_op(req);
    if (!op) return;
    oplog_entry e = {
        .thread = rt_self->thread_id,
        .op = op,
        .n_objects = req->op == OP_LIST          ? req->list.n
                     : req->op == OP_DELETE_MANY ? req->nkeys
                                                 : 1,
        .bytes = req->op == OP_COMMIT ? req->log_bytes
                 : req->op == OP_LIST ? 0
                                      : req->nbytes,
        .endpoint = req->store->endpoint ? req->store->endpoint : "",
        .uri = req->store->uri,
        .key = req->key,
        .keylen = req->key ? req->keylen : 0,
        .error = req->code ? req->detail : "",
        .start = req->op == OP_COMMIT && req->log_start ? req->log_start : req->t_start,
        .first_byte = req->t_first,
        .end = req->t_end ? req->t_end : uv_hrtime(),
    };
    oplog_record(req->log, &e);
}

/* A failed attempt the backend will retry: an entry of its own, its error
 * saying which attempt and why (so an op-log shows every request sent). */
static void record_attempt(s3d_req *req, const char *why, uint64_t t0, uint64_t t_first,
                           uint64_t t1)
{
    oplog_entry e = {
        .thread = rt_self->thread_id,
        .op = oplog_op(req) ? oplog_op(req) : op_names[req->op],
        .n_objects = 1,
        .endpoint = req->store->endpoint ? req->store->endpoint : "",
        .uri = req->store->uri,
        .key = req->key,
        .keylen = req->key ? req->keylen : 0,
        .error = why,
        .start = t0,
        .first_byte = t_first,
        .end = t1,
    };
    oplog_record(req->log, &e);
}

static void log_req(const s3d_req *req)
{
    s3d_log(2, "%s %s%.*s: %s%s%llu bytes in %.3f ms", op_names[req->op], req->store->uri,
            (int)req->keylen, req->key ? req->key : "", req->code ? req->detail : "",
            req->code ? ", " : "", (unsigned long long)req->nbytes,
            (double)(req->t_end - req->t_start) / 1e6);
}

static int push_result(lua_State *L, void *op)
{
    s3d_req *req = op;
    rt *r = rt_self;
    int n = 1;
    if (req->busy) *req->busy = 0;
    if (s3d_log_level >= 2) log_req(req);
    if (req->log) record_op(req);
    if (req->code) {
        n = push_req_error(L, req);
        if (req->stream && req->op == OP_OPEN_WRITE) req->store->ops->stream_free(req->stream);
        unpin_args(L, req); /* last: pushing may run the GC, which must not free req->key */
        store_req_put(r, req);
        return n;
    }
    switch (req->op) {
    case OP_GET:
        if (req->discard || req->own_buf == 0)
            lua_pushnumber(L, (lua_Number)req->nbytes);
        else
            buffer_push_take(L, &req->own);
        break;
    case OP_READ:
        if (req->own_buf == 0) {
            lua_pushnumber(L, (lua_Number)req->nbytes);
        } else if (req->nbytes == 0) {
            lua_pushnil(L); /* the end; store_req_put frees the unused buffer */
        } else {
            buffer_push_take(L, &req->own);
        }
        break;
    case OP_PUT:
    case OP_WRITE:
    case OP_COMMIT:
        lua_pushnumber(L, (lua_Number)req->nbytes);
        break;
    case OP_STAT:
        lua_createtable(L, 0, 4);
        lua_pushnumber(L, (lua_Number)req->st.size);
        lua_setfield(L, -2, "size");
        lua_pushnumber(L, req->st.mtime);
        lua_setfield(L, -2, "mtime");
        lua_pushboolean(L, req->st.is_dir);
        lua_setfield(L, -2, "is_dir");
        if (req->st.etag[0]) {
            lua_pushstring(L, req->st.etag);
            lua_setfield(L, -2, "etag");
        }
        break;
    case OP_DELETE_MANY:
        lua_pushnumber(L, (lua_Number)req->nbytes);
        lua_createtable(L, (int)req->list.n, 0);
        for (size_t i = 0; i < req->list.n; i++) {
            lua_createtable(L, 0, 2);
            lua_pushstring(L, req->list.items[i].key);
            lua_setfield(L, -2, "key");
            lua_pushstring(L, req->list.items[i].error ? req->list.items[i].error : "");
            lua_setfield(L, -2, "error");
            lua_rawseti(L, -2, (int)i + 1);
        }
        n = 2;
        break;
    case OP_LIST:
        lua_createtable(L, (int)req->list.n, 0);
        for (size_t i = 0; i < req->list.n; i++) {
            push_entry(L, &req->list.items[i]);
            lua_rawseti(L, -2, (int)i + 1);
        }
        if (req->list.next_token)
            lua_pushstring(L, req->list.next_token);
        else
            lua_pushnil(L);
        n = 2;
        break;
    case OP_OPEN_READ:
    case OP_OPEN_WRITE: {
        stream_ud *u = lua_newuserdata(L, sizeof *u);
        memset(u, 0, sizeof *u);
        luaL_getmetatable(L, STREAM_MT);
        lua_setmetatable(L, -2);
        u->s = req->stream;
        u->st = req->store;
        u->st->refs++;
        u->writing = req->op == OP_OPEN_WRITE;
        u->size = req->st.size;
        u->log = req->log;
        u->t_open = req->t_start;
        u->key = malloc(req->keylen + 1);
        if (u->key) {
            memcpy(u->key, req->key, req->keylen);
            u->key[req->keylen] = 0;
        }
        break;
    }
    default:
        lua_pushboolean(L, 1);
        break;
    }
    unpin_args(L, req);
    store_req_put(r, req);
    return n;
}

static void on_done(s3d_req *req)
{
    sched_complete(&req->wait);
}

/* Argument checks after new_req() may raise; the request then stays in
 * rt->staging and the next new_req() takes it back instead of leaking it. */
static s3d_req *new_req(lua_State *L, s3d_store *st, int op)
{
    rt *r = rt_self;
    if (r->staging) store_req_put(r, r->staging);
    s3d_req *req = r->staging = store_req_get(r);
    if (!req) luaL_error(L, "out of memory");
    req->store = st;
    req->op = op;
    req->done = on_done;
    req->own_buf = 0;
    store_ud *su = luaL_testudata(L, 1, STORE_MT); /* store methods: the handle is self */
    req->log = su ? su->log : NULL;
    req->on_attempt = req->log ? record_attempt : NULL;
    return req;
}

static int submit(lua_State *L, s3d_req *req)
{
    rt_self->staging = NULL;
    pin_args(L, req);
    store_submit(req);
    return sched_suspend(L, &req->wait, push_result, req);
}

static void get_key(lua_State *L, int idx, s3d_req *req)
{
    if (lua_type(L, idx) != LUA_TSTRING) luaL_typerror(L, idx, "string");
    req->key = lua_tolstring(L, idx, &req->keylen);
}

static uint64_t opt_size(lua_State *L, int t, const char *field, uint64_t def, int *present)
{
    lua_getfield(L, t, field);
    uint64_t v = def;
    if (!lua_isnil(L, -1)) {
        v = sched_check_size(L, lua_gettop(L));
        if (present) *present = 1;
    }
    lua_pop(L, 1);
    return v;
}

static int opt_bool(lua_State *L, int t, const char *field)
{
    lua_getfield(L, t, field);
    int v = lua_toboolean(L, -1);
    lua_pop(L, 1);
    return v;
}

/* Fills buf/discard/range of a GET or READ from an options table at idx. */
static void read_opts(lua_State *L, int idx, s3d_req *req)
{
    req->own_buf = 1; /* result goes into a new buffer */
    if (lua_isnoneornil(L, idx)) return;
    luaL_checktype(L, idx, LUA_TTABLE);
    int has_off = 0, has_len = 0, has_suffix = 0;
    req->offset = opt_size(L, idx, "offset", 0, &has_off);
    req->length = opt_size(L, idx, "length", 0, &has_len);
    uint64_t suffix = opt_size(L, idx, "suffix", 0, &has_suffix);
    if (has_suffix) {
        if (has_off || has_len)
            luaL_argerror(L, idx, "suffix cannot be combined with offset/length");
        if (!suffix) luaL_argerror(L, idx, "suffix must be at least 1 byte");
        req->suffix = 1;
        req->length = suffix;
    }
    req->ranged = has_off || has_len || has_suffix;
    req->discard = opt_bool(L, idx, "discard");
    lua_getfield(L, idx, "into");
    if (!lua_isnil(L, -1)) {
        req->buf = buffer_check(L, lua_gettop(L));
        req->own_buf = 0; /* result is a count; the caller holds the buffer */
    }
    lua_pop(L, 1); /* the buffer stays anchored by the options table */
}

static void use_own_buf(s3d_req *req)
{
    if (req->own_buf && !req->discard) req->buf = &req->own;
    if (req->discard) req->own_buf = 0;
}

/* store:get(key [, {offset=, length=, into=buf, discard=true}])
 * -> buffer (or byte count with into/discard) | nil, err */
static int l_get(lua_State *L)
{
    s3d_store *st = check_store(L, 1);
    s3d_req *req = new_req(L, st, OP_GET);
    get_key(L, 2, req);
    read_opts(L, 3, req);
    if (req->ranged && !(st->ops->caps & STORE_CAN_RANGE))
        return luaL_error(L, "%s:// cannot read ranges", st->scheme);
    use_own_buf(req);
    return submit(L, req);
}

/* store:put(key, string | buffer) -> bytes written | nil, err */
static int l_put(lua_State *L)
{
    s3d_store *st = check_store(L, 1);
    s3d_req *req = new_req(L, st, OP_PUT);
    get_key(L, 2, req);
    req->src = buffer_bytes(L, 3, &req->srclen);
    return submit(L, req);
}

/* store:stat(key) -> {size=, mtime=, is_dir=, etag=} | nil, err */
static int l_stat(lua_State *L)
{
    s3d_store *st = check_store(L, 1);
    s3d_req *req = new_req(L, st, OP_STAT);
    get_key(L, 2, req);
    return submit(L, req);
}

/* store:delete(key) -> true | nil, err. A key ending in '/' removes an
 * empty directory tree on file stores. */
static int l_delete(lua_State *L)
{
    s3d_store *st = check_store(L, 1);
    s3d_req *req = new_req(L, st, OP_DELETE);
    get_key(L, 2, req);
    return submit(L, req);
}

/* store:delete_many({keys}) -> number deleted, {failures} | nil, err.
 * failures: array of {key=, error=} for the keys that could not be deleted. */
static int l_delete_many(lua_State *L)
{
    s3d_store *st = check_store(L, 1);
    luaL_checktype(L, 2, LUA_TTABLE);
    size_t n = lua_objlen(L, 2);
    s3d_req *req = new_req(L, st, OP_DELETE_MANY);
    req->nkeys = n;
    if (n) {
        req->keys = malloc(n * sizeof *req->keys);
        req->keylens = malloc(n * sizeof *req->keylens);
        if (!req->keys || !req->keylens) return luaL_error(L, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        lua_rawgeti(L, 2, (int)i + 1);
        if (lua_type(L, -1) != LUA_TSTRING)
            return luaL_argerror(L, 2, "array of key strings expected");
        req->keys[i] = lua_tolstring(L, -1, &req->keylens[i]); /* anchored by the table */
        lua_pop(L, 1);
    }
    return submit(L, req);
}

/* store:list_page(prefix, recursive, token) -> {entries}, next_token | nil, err.
 * The iterator over all pages is store:list() in s3dlua.lua. */
static int l_list_page(lua_State *L)
{
    s3d_store *st = check_store(L, 1);
    s3d_req *req = new_req(L, st, OP_LIST);
    req->key = luaL_optlstring(L, 2, "", &req->keylen);
    req->recursive = lua_toboolean(L, 3);
    req->token = luaL_optstring(L, 4, NULL);
    return submit(L, req);
}

static int l_bucket_op(lua_State *L, int op)
{
    s3d_store *st = check_store(L, 1);
    s3d_req *req = new_req(L, st, op);
    return submit(L, req);
}

static int l_create_bucket(lua_State *L)
{
    return l_bucket_op(L, OP_MKBUCKET);
}

static int l_delete_bucket(lua_State *L)
{
    return l_bucket_op(L, OP_RMBUCKET);
}

/* store:reader(key) -> stream | nil, err */
static int l_reader(lua_State *L)
{
    s3d_store *st = check_store(L, 1);
    if (!(st->ops->caps & STORE_CAN_STREAM))
        return luaL_error(L, "%s:// cannot stream", st->scheme);
    s3d_req *req = new_req(L, st, OP_OPEN_READ);
    get_key(L, 2, req);
    return submit(L, req);
}

/* store:writer(key) -> stream | nil, err; nothing is visible at key
 * until stream:commit(). */
static int l_writer(lua_State *L)
{
    s3d_store *st = check_store(L, 1);
    if (!(st->ops->caps & STORE_CAN_STREAM))
        return luaL_error(L, "%s:// cannot stream", st->scheme);
    s3d_req *req = new_req(L, st, OP_OPEN_WRITE);
    get_key(L, 2, req);
    return submit(L, req);
}

static int l_uri(lua_State *L)
{
    s3d_store *st = check_store(L, 1);
    int has_key = !lua_isnoneornil(L, 2);
    lua_pushstring(L, st->uri);
    if (has_key) {
        lua_pushvalue(L, 2);
        lua_concat(L, 2);
    }
    return 1;
}

static int l_scheme(lua_State *L)
{
    lua_pushstring(L, check_store(L, 1)->scheme);
    return 1;
}

static int l_store_gc(lua_State *L)
{
    store_ud *u = luaL_checkudata(L, 1, STORE_MT);
    store_release(u->st);
    u->st = NULL;
    return 0;
}

static int l_store_tostring(lua_State *L)
{
    store_ud *u = luaL_checkudata(L, 1, STORE_MT);
    lua_pushfstring(L, "s3dlua.store(%s)", u->st ? u->st->uri : "closed");
    return 1;
}

/* ---- streams ---- */

static s3d_req *stream_req(lua_State *L, stream_ud *u, int op)
{
    if (!u->s) luaL_error(L, "stream is closed");
    if (u->busy) luaL_error(L, "stream is busy: one operation at a time per stream");
    s3d_req *req = new_req(L, u->st, op);
    req->log = u->log;
    req->on_attempt = req->log ? record_attempt : NULL;
    req->log_start = u->t_open;
    req->log_bytes = u->written;
    req->stream = u->s;
    req->key = u->key;
    req->keylen = u->key ? strlen(u->key) : 0;
    return req;
}

static int stream_submit(lua_State *L, stream_ud *u, s3d_req *req)
{
    u->busy = 1;
    req->busy = &u->busy; /* the userdata is anchored on the caller's stack meanwhile */
    if (req->op == OP_COMMIT || req->op == OP_ABORT) u->s = NULL; /* the backend frees it */
    return submit(L, req);
}

/* Shared by read and read_at: args from `first` are [buf] [n]. */
static int stream_read(lua_State *L, stream_ud *u, s3d_req *req, int first)
{
    int bi = first;
    req->own_buf = 1;
    if (luaL_testudata(L, first, "s3dlua.buffer")) {
        req->buf = buffer_check(L, first);
        req->own_buf = 0;
        bi++;
        req->length = req->buf->cap;
    }
    if (!lua_isnoneornil(L, bi)) req->length = sched_check_size(L, bi);
    if (!req->own_buf && req->length > req->buf->cap &&
        s3d_buf_reserve(req->buf, (size_t)req->length))
        return luaL_error(L, "out of memory");
    use_own_buf(req);
    return stream_submit(L, u, req);
}

/* stream:read([n]) -> buffer, nil at the end | nil, err
 * stream:read(buf [, n]) -> bytes read into buf, 0 at the end */
static int l_stream_read(lua_State *L)
{
    stream_ud *u = check_stream(L, 1);
    if (u->writing) return luaL_error(L, "stream was opened for writing");
    return stream_read(L, u, stream_req(L, u, OP_READ), 2);
}

/* stream:read_at(offset, [buf], [n]): like read, at an absolute offset (pread). */
static int l_stream_read_at(lua_State *L)
{
    stream_ud *u = check_stream(L, 1);
    if (u->writing) return luaL_error(L, "stream was opened for writing");
    uint64_t off = sched_check_size(L, 2);
    s3d_req *req = stream_req(L, u, OP_READ);
    req->ranged = 1;
    req->offset = off;
    return stream_read(L, u, req, 3);
}

/* stream:write(string | buffer) -> bytes | nil, err */
static int l_stream_write(lua_State *L)
{
    stream_ud *u = check_stream(L, 1);
    if (!u->writing) return luaL_error(L, "stream was opened for reading");
    s3d_req *req = stream_req(L, u, OP_WRITE);
    req->src = buffer_bytes(L, 2, &req->srclen);
    u->written += req->srclen;
    return stream_submit(L, u, req);
}

/* stream:commit() -> total bytes | nil, err: makes the object visible. */
static int l_stream_commit(lua_State *L)
{
    stream_ud *u = check_stream(L, 1);
    if (!u->writing) return luaL_error(L, "stream was opened for reading");
    return stream_submit(L, u, stream_req(L, u, OP_COMMIT));
}

/* stream:close(): a reader is closed; an uncommitted writer is aborted. */
static int l_stream_close(lua_State *L)
{
    stream_ud *u = check_stream(L, 1);
    if (!u->s) return 0;
    if (u->busy) return luaL_error(L, "stream is busy");
    if (u->writing) return stream_submit(L, u, stream_req(L, u, OP_ABORT));
    u->st->ops->stream_free(u->s);
    u->s = NULL;
    return 0;
}

static int l_stream_size(lua_State *L)
{
    lua_pushnumber(L, (lua_Number)check_stream(L, 1)->size);
    return 1;
}

static int l_stream_gc(lua_State *L)
{
    stream_ud *u = check_stream(L, 1);
    if (u->s) u->st->ops->stream_free(u->s);
    u->s = NULL;
    store_release(u->st);
    u->st = NULL;
    free(u->key);
    u->key = NULL;
    return 0;
}

/* ---- module ---- */

/* ---- op-logs ---- */
#define OPLOG_MT "s3dlua.oplog"

typedef struct oplog_ud {
    oplog *log;
} oplog_ud;

/* oplog.open(path) -> log: .tsv or .jsonl, optionally .zst; one per path for
 * the whole process (every thread asking gets the same), written out at exit
 * or by log:close() */
static int l_oplog_open(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    char err[300];
    oplog *log = oplog_acquire(path, err, sizeof err);
    if (!log) return luaL_error(L, "op-log %s", err);
    oplog_ud *u = lua_newuserdata(L, sizeof *u);
    u->log = log;
    luaL_getmetatable(L, OPLOG_MT);
    lua_setmetatable(L, -2);
    return 1;
}

static oplog *check_oplog(lua_State *L, int idx)
{
    return ((oplog_ud *)luaL_checkudata(L, idx, OPLOG_MT))->log;
}

static int l_oplog_count(lua_State *L)
{
    lua_pushnumber(L, (lua_Number)oplog_count(check_oplog(L, 1)));
    return 1;
}

static int l_oplog_path(lua_State *L)
{
    lua_pushstring(L, oplog_path(check_oplog(L, 1)));
    return 1;
}

/* log:close() -> true | nil, err: everything on disk now (one thread only) */
static int l_oplog_close(lua_State *L)
{
    oplog *log = check_oplog(L, 1);
    if (rt_self->thread_count > 1)
        return luaL_error(L, "log:close() with --threads: the log is written out at the end");
    char err[300];
    if (oplog_close(log, err, sizeof err)) {
        lua_pushnil(L);
        lua_pushstring(L, err);
        return 2;
    }
    lua_pushboolean(L, 1);
    return 1;
}

/* store:with_oplog(log) -> the same store through a handle that logs every
 * operation to log (the op-log as a decorator: no backend knows of it) */
static int l_with_oplog(lua_State *L)
{
    s3d_store *st = check_store(L, 1);
    oplog *log = check_oplog(L, 2);
    store_ud *u = lua_newuserdata(L, sizeof *u);
    u->st = st;
    u->log = log;
    st->refs++;
    luaL_getmetatable(L, STORE_MT);
    lua_setmetatable(L, -2);
    return 1;
}

/* store.open(uri [, {fadvise=, size=}]) -> store | nil, err */
static int l_open(lua_State *L)
{
    const char *uri = luaL_checkstring(L, 1);
    char err[512];
    s3d_store *st = store_open(uri, err, sizeof err);
    if (!st) {
        const char *colon = strstr(err, ": ");
        const char *detail = colon ? colon + 2 : err;
        int code = strstr(err, "out of memory") ? S3D_NOMEM : S3D_BAD_URI;
        return push_error_parts(L, code, uri, strlen(uri), detail, 0);
    }
    store_ud *u = lua_newuserdata(L, sizeof *u);
    u->st = st;
    u->log = oplog_default; /* --op-log: every store logs */
    luaL_getmetatable(L, STORE_MT);
    lua_setmetatable(L, -2);
    if (lua_istable(L, 2)) {
        static const char *const modes[] = {"auto",   "normal",   "sequential",
                                            "random", "dontneed", NULL};
        lua_getfield(L, 2, "fadvise");
        if (!lua_isnil(L, -1)) st->fadvise = luaL_checkoption(L, -1, NULL, modes);
        lua_pop(L, 1);
        st->object_size = opt_size(L, 2, "size", st->object_size, NULL);
        /* every other option belongs to the backend */
        for (lua_pushnil(L); lua_next(L, 2); lua_pop(L, 1)) {
            if (lua_type(L, -2) != LUA_TSTRING)
                return luaL_argerror(L, 2, "option names are strings");
            const char *name = lua_tostring(L, -2);
            if (!strcmp(name, "fadvise") || !strcmp(name, "size")) continue;
            char value[1024];
            int t = lua_type(L, -1);
            if (t == LUA_TBOOLEAN)
                snprintf(value, sizeof value, "%s", lua_toboolean(L, -1) ? "true" : "false");
            else if (t == LUA_TNUMBER)
                snprintf(value, sizeof value, "%.17g", lua_tonumber(L, -1));
            else if (t == LUA_TSTRING)
                snprintf(value, sizeof value, "%s", lua_tostring(L, -1));
            else
                return luaL_error(L, "option '%s': a string, number or boolean expected", name);
            if (!st->ops->set_option)
                return luaL_error(L, "%s:// has no option '%s'", st->scheme, name);
            if (st->ops->set_option(st, name, value, err, sizeof err))
                return luaL_error(L, "%s: %s", uri, err);
        }
    }
    return 1;
}

static int l_error_tostring(lua_State *L)
{
    lua_getfield(L, 1, "message");
    return 1;
}

static int l_code_name_list(lua_State *L)
{
    lua_createtable(L, S3D_CODE_COUNT, 0);
    for (int i = 0; i < S3D_CODE_COUNT; i++) {
        lua_pushstring(L, s3d_code_name(i));
        lua_rawseti(L, -2, i + 1);
    }
    return 1;
}

int luaopen_s3dlua_store(lua_State *L)
{
    static const luaL_Reg store_methods[] = {
        {"get", l_get},
        {"put", l_put},
        {"stat", l_stat},
        {"delete", l_delete},
        {"delete_many", l_delete_many},
        {"list_page", l_list_page},
        {"reader", l_reader},
        {"writer", l_writer},
        {"create_bucket", l_create_bucket},
        {"delete_bucket", l_delete_bucket},
        {"uri", l_uri},
        {"scheme", l_scheme},
        {"with_oplog", l_with_oplog},
        {NULL, NULL},
    };
    static const luaL_Reg stream_methods[] = {
        {"read", l_stream_read},
        {"read_at", l_stream_read_at},
        {"write", l_stream_write},
        {"commit", l_stream_commit},
        {"close", l_stream_close},
        {"size", l_stream_size},
        {NULL, NULL},
    };
    luaL_newmetatable(L, STORE_MT);
    lua_newtable(L);
    luaL_register(L, NULL, store_methods);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, l_store_gc);
    lua_setfield(L, -2, "__gc");
    lua_pushcfunction(L, l_store_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pop(L, 1);

    luaL_newmetatable(L, STREAM_MT);
    lua_newtable(L);
    luaL_register(L, NULL, stream_methods);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, l_stream_gc);
    lua_setfield(L, -2, "__gc");
    lua_pop(L, 1);

    static const luaL_Reg oplog_methods[] = {
        {"count", l_oplog_count},
        {"path", l_oplog_path},
        {"close", l_oplog_close},
        {NULL, NULL},
    };
    luaL_newmetatable(L, OPLOG_MT);
    lua_newtable(L);
    luaL_register(L, NULL, oplog_methods);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);

    luaL_newmetatable(L, ERROR_MT);
    lua_pushcfunction(L, l_error_tostring);
    lua_setfield(L, -2, "__tostring");
    lua_pop(L, 1);

    lua_newtable(L);
    lua_pushcfunction(L, l_open);
    lua_setfield(L, -2, "open");
    lua_pushcfunction(L, l_oplog_open);
    lua_setfield(L, -2, "oplog_open");
    luaopen_s3dlua_buffer(L);
    lua_setfield(L, -2, "buffer");
    l_code_name_list(L);
    lua_setfield(L, -2, "codes");
    /* The store methods table, so Lua can add methods (list iterator, ...). */
    luaL_getmetatable(L, STORE_MT);
    lua_getfield(L, -1, "__index");
    lua_setfield(L, -3, "methods");
    lua_pop(L, 1);
    return 1;
}
