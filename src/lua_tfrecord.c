/* lua_tfrecord.c - s3dlua.tfrecord_c: the TFRecord scanner (tfrecord.h),
 * record framing and CRC-32C for lua/s3dlua/tfrecord.lua, which reads and
 * writes through the stores. */
#include "crc32c.h"
#include "sched.h"
#include "store.h"
#include "tfrecord.h"
#include <lauxlib.h>
#include <string.h>

#define SCAN_MT "s3dlua.tfrecord_scanner"

typedef struct scan_ud {
    tfr_scan s;
    s3d_buf index;  /* index lines not taken yet */
    s3d_buf *dest;  /* record bytes land here (readers), or NULL */
    int dest_ref;   /* keeps dest alive */
    int got_record; /* the last feed ended a record */
    uint64_t last_off, last_len;
} scan_ud;

static int on_data(void *ud, const char *p, size_t n)
{
    scan_ud *u = ud;
    s3d_buf *b = u->dest;
    if (b->len + n > b->cap) {
        size_t want = b->cap ? b->cap : 4096;
        while (want < b->len + n) want *= 2;
        if (s3d_buf_reserve(b, want)) return -1;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    return 0;
}

static void on_record(void *ud, uint64_t off, uint64_t len)
{
    scan_ud *u = ud;
    u->got_record = 1;
    u->last_off = off;
    u->last_len = len;
    if (u->s.stop_after_record) return; /* a reader: no index */
    char line[48];
    size_t n = tfr_index_line(off, len, line);
    s3d_buf *b = &u->index;
    if (b->len + n > b->cap && s3d_buf_reserve(b, b->cap ? b->cap * 2 : 65536)) return;
    memcpy(b->data + b->len, line, n);
    b->len += n;
}

static scan_ud *check_scan(lua_State *L, int idx)
{
    return luaL_checkudata(L, idx, SCAN_MT);
}

/* tfrecord_c.scanner{verify=, size=, records=} -> scanner. records=true: feed
 * stops after each record and its bytes go to the buffer given by target(). */
static int l_scanner(lua_State *L)
{
    int has_opts = lua_istable(L, 1);
    scan_ud *u = lua_newuserdata(L, sizeof *u);
    memset(u, 0, sizeof *u);
    tfr_scan_init(&u->s);
    u->dest_ref = LUA_NOREF;
    u->s.ud = u;
    u->s.on_record = on_record;
    if (has_opts) {
        lua_getfield(L, 1, "verify");
        u->s.verify = lua_toboolean(L, -1);
        lua_getfield(L, 1, "records");
        u->s.stop_after_record = lua_toboolean(L, -1);
        lua_getfield(L, 1, "size");
        if (!lua_isnil(L, -1)) u->s.file_size = sched_check_size(L, lua_gettop(L));
        lua_pop(L, 3);
    }
    luaL_getmetatable(L, SCAN_MT);
    lua_setmetatable(L, -2);
    return 1;
}

/* sc:target(buf): where the next records' bytes go (each record starts it anew) */
static int l_target(lua_State *L)
{
    scan_ud *u = check_scan(L, 1);
    s3d_buf *b = buffer_check(L, 2);
    luaL_unref(L, LUA_REGISTRYINDEX, u->dest_ref);
    lua_pushvalue(L, 2);
    u->dest_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    u->dest = b;
    u->s.on_data = on_data;
    return 0;
}

/* sc:feed(buf_or_string [, from]) -> used, record_done | nil, err
 * from: 0-based offset in the data to start at. */
static int l_feed(lua_State *L)
{
    scan_ud *u = check_scan(L, 1);
    size_t len;
    const char *p = buffer_bytes(L, 2, &len);
    size_t from = lua_isnoneornil(L, 3) ? 0 : (size_t)sched_check_size(L, 3);
    if (from > len) return luaL_argerror(L, 3, "past the end of the data");
    if (u->dest && u->s.state == 0 && u->s.have == 0) u->dest->len = 0; /* a new record */
    u->got_record = 0;
    long long used = tfr_scan_feed(&u->s, p + from, len - from);
    if (used < 0) {
        lua_pushnil(L);
        lua_pushstring(L, u->s.err);
        return 2;
    }
    lua_pushnumber(L, (lua_Number)used);
    lua_pushboolean(L, u->got_record);
    return 2;
}

/* sc:skip() -> bytes passed over: the rest of the current record, unread
 * (index without verify, size known); read on from sc:offset() */
static int l_skip(lua_State *L)
{
    lua_pushnumber(L, (lua_Number)tfr_scan_skip(&check_scan(L, 1)->s));
    return 1;
}

/* sc:finish() -> true | nil, err (the input ended inside a record) */
static int l_finish(lua_State *L)
{
    scan_ud *u = check_scan(L, 1);
    if (tfr_scan_finish(&u->s)) {
        lua_pushnil(L);
        lua_pushstring(L, u->s.err);
        return 2;
    }
    lua_pushboolean(L, 1);
    return 1;
}

/* sc:index(buf [, min]) -> bytes: the index lines so far go into buf
 * (replacing it), when there are at least min bytes of them (default 1) */
static int l_index(lua_State *L)
{
    scan_ud *u = check_scan(L, 1);
    s3d_buf *b = buffer_check(L, 2);
    if (u->index.len < (size_t)luaL_optnumber(L, 3, 1)) {
        b->len = 0;
        lua_pushnumber(L, 0);
        return 1;
    }
    if (u->index.len > b->cap && s3d_buf_reserve(b, u->index.len))
        return luaL_error(L, "out of memory");
    if (u->index.len) memcpy(b->data, u->index.data, u->index.len);
    b->len = u->index.len;
    u->index.len = 0;
    lua_pushnumber(L, (lua_Number)b->len);
    return 1;
}

/* sc:records() -> complete records; sc:offset() -> bytes fed; sc:last() -> offset, length */
static int l_records(lua_State *L)
{
    lua_pushnumber(L, (lua_Number)check_scan(L, 1)->s.records);
    return 1;
}

static int l_offset(lua_State *L)
{
    lua_pushnumber(L, (lua_Number)check_scan(L, 1)->s.pos);
    return 1;
}

static int l_last(lua_State *L)
{
    scan_ud *u = check_scan(L, 1);
    lua_pushnumber(L, (lua_Number)u->last_off);
    lua_pushnumber(L, (lua_Number)u->last_len);
    return 2;
}

static int l_scan_gc(lua_State *L)
{
    scan_ud *u = check_scan(L, 1);
    s3d_buf_free(&u->index);
    luaL_unref(L, LUA_REGISTRYINDEX, u->dest_ref);
    u->dest_ref = LUA_NOREF;
    u->dest = NULL;
    return 0;
}

/* tfrecord_c.append(buf, data) -> offset: data framed as a record at the end of buf */
static int l_append(lua_State *L)
{
    s3d_buf *b = buffer_check(L, 1);
    size_t len;
    const char *d = buffer_bytes(L, 2, &len);
    size_t need = b->len + len + TFR_OVERHEAD;
    if (need > b->cap) {
        size_t cap = b->cap ? b->cap : 65536;
        while (cap < need) cap *= 2;
        if (s3d_buf_reserve(b, cap)) return luaL_error(L, "out of memory");
        d = buffer_bytes(L, 2, &len); /* buf and data may be the same buffer */
    }
    size_t off = b->len;
    unsigned char *p = (unsigned char *)b->data + off;
    memmove(p + 12, d, len);
    tfr_header(len, p);
    tfr_footer(p + 12, len, p + 12 + len);
    b->len = need;
    lua_pushnumber(L, (lua_Number)off);
    return 1;
}

/* tfrecord_c.unframe(buf [, verify]) -> length | nil, err: buf holds one whole
 * record; its data is moved to the front (and its CRCs checked with verify) */
static int l_unframe(lua_State *L)
{
    s3d_buf *b = buffer_check(L, 1);
    int verify = lua_toboolean(L, 2);
    tfr_scan s;
    tfr_scan_init(&s);
    s.verify = verify;
    s.file_size = b->len;
    long long used = tfr_scan_feed(&s, b->data, b->len);
    if (used < 0 || tfr_scan_finish(&s) || s.records != 1) {
        lua_pushnil(L);
        lua_pushstring(L, used < 0 || s.err[0] ? s.err : "not exactly one record");
        return 2;
    }
    memmove(b->data, b->data + 12, (size_t)s.len);
    b->len = (size_t)s.len;
    lua_pushnumber(L, (lua_Number)s.len);
    return 1;
}

/* tfrecord_c.crc32c(data [, crc]) -> crc; tfrecord_c.mask(crc) -> masked */
static int l_crc32c(lua_State *L)
{
    size_t len;
    const char *d = buffer_bytes(L, 1, &len);
    uint32_t crc = (uint32_t)luaL_optnumber(L, 2, 0);
    lua_pushnumber(L, crc32c(crc, d, len));
    return 1;
}

static int l_mask(lua_State *L)
{
    lua_pushnumber(L, crc32c_mask((uint32_t)luaL_checknumber(L, 1)));
    return 1;
}

int luaopen_s3dlua_tfrecord_c(lua_State *L)
{
    static const luaL_Reg scan_methods[] = {
        {"target", l_target}, {"feed", l_feed},       {"finish", l_finish},
        {"index", l_index},   {"records", l_records}, {"offset", l_offset},
        {"last", l_last},     {"skip", l_skip},       {NULL, NULL},
    };
    static const luaL_Reg funcs[] = {
        {"scanner", l_scanner}, {"append", l_append}, {"unframe", l_unframe},
        {"crc32c", l_crc32c},   {"mask", l_mask},     {NULL, NULL},
    };
    luaL_newmetatable(L, SCAN_MT);
    lua_newtable(L);
    luaL_register(L, NULL, scan_methods);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, l_scan_gc);
    lua_setfield(L, -2, "__gc");
    lua_pop(L, 1);
    lua_newtable(L);
    luaL_register(L, NULL, funcs);
    return 1;
}
