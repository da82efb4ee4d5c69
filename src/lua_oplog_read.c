/* lua_oplog_read.c - s3dlua.oplog_read: for e in reader(path, {skip_bad=}) do.
 * Work in progress: entries are tables; times are seconds since the epoch
 * (doubles: ~0.2 us of precision today) and duration_ns a number. */
#include "oplog_read.h"
#include <lauxlib.h>
#include <string.h>

#define READER_MT "s3dlua.oplog_reader"

typedef struct reader_ud {
    oplog_reader *r;
    int skip_bad;
    double skipped;
} reader_ud;

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
    if (!u->r) return 0;
    oplog_rec e;
    for (;;) {
        int rc = oplog_reader_next(u->r, &e);
        if (rc == 0) return 0;
        if (rc > 0) break;
        if (!u->skip_bad) return luaL_error(L, "%s", oplog_reader_error(u->r));
        u->skipped++;
    }
    lua_createtable(L, 0, 14);
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

/* reader(path [, {skip_bad=}]) -> iterator, state (the reader userdata) */
static int l_reader(lua_State *L)
{
    const char *path = luaL_checkstring(L, 1);
    char err[600];
    oplog_reader *r = oplog_reader_open(path, err, sizeof err);
    if (!r) return luaL_error(L, "%s", err);
    reader_ud *u = lua_newuserdata(L, sizeof *u);
    memset(u, 0, sizeof *u);
    u->r = r;
    if (lua_istable(L, 2)) {
        lua_getfield(L, 2, "skip_bad");
        u->skip_bad = lua_toboolean(L, -1);
        lua_pop(L, 1);
    }
    luaL_getmetatable(L, READER_MT);
    lua_setmetatable(L, -2);
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

int luaopen_s3dlua_oplog_read(lua_State *L)
{
    luaL_newmetatable(L, READER_MT);
    lua_pushcfunction(L, l_gc);
    lua_setfield(L, -2, "__gc");
    lua_newtable(L);
    lua_pushcfunction(L, l_skipped);
    lua_setfield(L, -2, "skipped");
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);
    lua_newtable(L);
    lua_pushcfunction(L, l_reader);
    lua_setfield(L, -2, "reader");
    return 1;
}
