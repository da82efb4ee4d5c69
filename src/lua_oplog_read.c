/* lua_oplog_read.c - s3dlua.oplog_read: for e in reader(path, {skip_bad=}) do.
 * Entries are tables, or light records (s3d_oplog_next_light, called through
 * the FFI by lua/s3dlua/oplog.lua: one struct filled in place, strings made
 * only when asked). Times are seconds since the epoch (doubles: ~0.2 us of
 * precision today); t_ns is exact: the start in ns after the first entry's. */
#include "oplog.h"
#include "oplog_read.h"
#include "rt.h"
#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define READER_MT "s3dlua.oplog_reader"

typedef struct reader_ud {
    oplog_reader *r;
    int skip_bad;
    double skipped;
    int64_t origin; /* the first entry's start (ns), for t_ns */
} reader_ud;

/* The light record (its twin is in lua/s3dlua/oplog.lua's ffi.cdef). */
typedef struct s3d_oplog_light {
    double idx, thread, n_objects, bytes, duration_ns, line;
    double start, first_byte, end, t_ns;
    const char *op_p, *client_id_p, *endpoint_p, *file_p, *error_p;
    int32_t op_n, client_id_n, endpoint_n, file_n, error_n;
} s3d_oplog_light;

/* The next good entry; 1, 0 at the end, -1 on an error (reader_ud's message). */
static int next_entry(reader_ud *u, oplog_rec *e)
{
    if (!u->r) return 0;
    for (;;) {
        int rc = oplog_reader_next(u->r, e);
        if (rc == 0) return 0;
        if (rc > 0) break;
        if (!u->skip_bad || rc == -2) return -1;
        u->skipped++;
    }
    if (!u->origin) u->origin = e->start;
    return 1;
}

int s3d_oplog_next_light(reader_ud *u, s3d_oplog_light *o);
int s3d_oplog_next_light(reader_ud *u, s3d_oplog_light *o)
{
    oplog_rec e;
    int rc = next_entry(u, &e);
    if (rc <= 0) return rc;
    o->idx = (double)e.idx, o->thread = (double)e.thread;
    o->n_objects = (double)e.n_objects, o->bytes = (double)e.bytes;
    o->duration_ns = (double)e.duration_ns, o->line = (double)e.line;
    o->start = (double)e.start / 1e9, o->end = (double)e.end / 1e9;
    o->first_byte = e.first_byte ? (double)e.first_byte / 1e9 : 0;
    o->t_ns = (double)(e.start - u->origin);
    if (e.op_len == 4 && !memcmp(e.op, "STAT", 4))
        o->op_p = "HEAD", o->op_n = 4; /* DESIGN 5: STAT and HEAD are one op */
    else
        o->op_p = e.op, o->op_n = (int32_t)e.op_len;
    o->client_id_p = e.client_id, o->client_id_n = (int32_t)e.client_id_len;
    o->endpoint_p = e.endpoint, o->endpoint_n = (int32_t)e.endpoint_len;
    o->file_p = e.file, o->file_n = (int32_t)e.file_len;
    o->error_p = e.error, o->error_n = (int32_t)e.error_len;
    return 1;
}

static void set_str(lua_State *L, const char *k, const char *v, size_t n)
{
    lua_pushlstring(L, v, n);
    lua_setfield(L, -2, k);
}

static void set_num(lua_State *L, const char *k, double v)
{
    lua_pushnumber(L, v);
    lua_setfield(L, -2, k);
}

static int l_next(lua_State *L)
{
    reader_ud *u = luaL_checkudata(L, lua_upvalueindex(1), READER_MT);
    oplog_rec e;
    int rc = next_entry(u, &e);
    if (rc < 0) return luaL_error(L, "%s", oplog_reader_error(u->r));
    if (rc == 0) return 0;
    lua_createtable(L, 0, 15);
    set_num(L, "idx", (double)e.idx);
    set_num(L, "thread", (double)e.thread);
    if (e.op_len == 4 && !memcmp(e.op, "STAT", 4))
        set_str(L, "op", "HEAD", 4); /* DESIGN 5: STAT and HEAD are one op */
    else
        set_str(L, "op", e.op, e.op_len);
    set_str(L, "client_id", e.client_id, e.client_id_len);
    set_num(L, "n_objects", (double)e.n_objects);
    set_num(L, "bytes", (double)e.bytes);
    set_str(L, "endpoint", e.endpoint, e.endpoint_len);
    set_str(L, "file", e.file, e.file_len);
    set_str(L, "error", e.error, e.error_len);
    set_num(L, "start", (double)e.start / 1e9);
    if (e.first_byte) set_num(L, "first_byte", (double)e.first_byte / 1e9);
    set_num(L, "end", (double)e.end / 1e9);
    set_num(L, "duration_ns", (double)e.duration_ns);
    set_num(L, "t_ns", (double)(e.start - u->origin));
    set_num(L, "line", (double)e.line);
    return 1;
}

static int l_gc(lua_State *L)
{
    reader_ud *u = luaL_checkudata(L, 1, READER_MT);
    oplog_reader_close(u->r);
    u->r = NULL;
    return 0;
}

/* reader(path [, {skip_bad=, name=}]) -> iterator, state (the reader userdata) */
static int l_reader(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    reader_ud *u = lua_newuserdata(L, sizeof *u);
    memset(u, 0, sizeof *u);
    luaL_getmetatable(L, READER_MT); /* from here on, __gc closes what is opened */
    lua_setmetatable(L, -2);
    char err[600];
    if (!(u->r = oplog_reader_open(path, err, sizeof err))) return luaL_error(L, "%s", err);
    if (lua_istable(L, 2)) {
        lua_getfield(L, 2, "skip_bad");
        u->skip_bad = lua_toboolean(L, -1);
        lua_getfield(L, 2, "name"); /* what errors call the log: the URI it came from */
        if (lua_isstring(L, -1) && oplog_reader_set_name(u->r, lua_tostring(L, -1)))
            return luaL_error(L, "out of memory");
        lua_pop(L, 2);
    }
    lua_pushvalue(L, -1);
    lua_pushcclosure(L, l_next, 1);
    lua_insert(L, -2);
    return 2;
}

static int l_skipped(lua_State *L)
{
    lua_pushnumber(L, ((reader_ud *)luaL_checkudata(L, 1, READER_MT))->skipped);
    return 1;
}

/* rd:error() -> the message of the last error (after a light next gave -1) */
static int l_error(lua_State *L)
{
    reader_ud *u = luaL_checkudata(L, 1, READER_MT);
    lua_pushstring(L, u->r ? oplog_reader_error(u->r) : "the reader is closed");
    return 1;
}

/* rd:close(): the file and buffers go now rather than at collection */
static int l_close(lua_State *L)
{
    return l_gc(L);
}

/* convert(in, out) -> entries: every entry of in, written to out in out's
 * format (by its name); times keep their nanoseconds, idx is renumbered */
static int l_convert(lua_State *L)
{
    const char *in = luaL_checkstring(L, 1), *out = luaL_checkstring(L, 2);
    char err[600];
    oplog_reader *r = oplog_reader_open(in, err, sizeof err);
    if (!r) return luaL_error(L, "%s", err);
    oplog *log = oplog_acquire(out, err, sizeof err);
    if (!log) {
        oplog_reader_close(r);
        return luaL_error(L, "%s", err);
    }
    oplog_rec e;
    int rc;
    double n = 0;
    char op[32], *strs[4] = {0};
    while ((rc = oplog_reader_next(r, &e)) == 1) {
        /* the writer wants C strings; the reader's point into its line */
        const char *src[4] = {e.endpoint, e.file, e.error, e.op};
        size_t len[4] = {e.endpoint_len, e.file_len, e.error_len, e.op_len};
        for (int i = 0; i < 4; i++) {
            char *s = realloc(strs[i], len[i] + 1);
            if (!s) break;
            memcpy(s, src[i], len[i]);
            s[len[i]] = 0;
            strs[i] = s;
        }
        snprintf(op, sizeof op, "%s", strs[3] && strcmp(strs[3], "STAT") ? strs[3] : "HEAD");
        oplog_entry o = {.thread = (int)e.thread,
                         .op = op,
                         .n_objects = e.n_objects,
                         .bytes = e.bytes,
                         .endpoint = strs[0] ? strs[0] : "",
                         .uri = strs[1] ? strs[1] : "",
                         .error = strs[2] ? strs[2] : "",
                         .start = (uint64_t)e.start,
                         .first_byte = (uint64_t)e.first_byte,
                         .end = (uint64_t)e.end,
                         .wall = 1};
        oplog_record(log, &o);
        n++;
    }
    for (int i = 0; i < 4; i++) free(strs[i]);
    if (rc < 0) snprintf(err, sizeof err, "%s", oplog_reader_error(r));
    oplog_reader_close(r);
    char cerr[300];
    if (oplog_close(log, cerr, sizeof cerr) && rc >= 0) {
        snprintf(err, sizeof err, "%s", cerr);
        rc = -1;
    }
    if (rc < 0) return luaL_error(L, "%s", err);
    lua_pushnumber(L, n);
    return 1;
}

/* parse_time("2026-11-24T10:00:00.5Z") -> seconds since the epoch | nil */
static int l_parse_time(lua_State *L)
{
    size_t n;
    const char *t = luaL_checklstring(L, 1, &n);
    int64_t ns = oplog_parse_time(t, n);
    if (ns < 0) return 0;
    lua_pushnumber(L, (double)ns / 1e9);
    return 1;
}

int luaopen_s3dlua_oplog_read(lua_State *L)
{
    static const luaL_Reg methods[] = {
        {"skipped", l_skipped}, {"error", l_error}, {"close", l_close}, {NULL, NULL}};
    static const luaL_Reg funcs[] = {
        {"reader", l_reader}, {"convert", l_convert}, {"parse_time", l_parse_time}, {NULL, NULL}};
    luaL_newmetatable(L, READER_MT);
    lua_pushcfunction(L, l_gc);
    lua_setfield(L, -2, "__gc");
    lua_newtable(L);
    luaL_register(L, NULL, methods);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);
    lua_newtable(L);
    luaL_register(L, NULL, funcs);
    return 1;
}
