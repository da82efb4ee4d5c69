/* lua_buffer.c - s3dlua.buffer: page-aligned bytes owned by C that cross the
 * Lua boundary without copies; a Lua string is made only when asked for. */
#include "store.h"
#include <lauxlib.h>
#include <string.h>

#define BUFFER_MT "s3dlua.buffer"

s3d_buf *buffer_check(lua_State *L, int idx)
{
    return luaL_checkudata(L, idx, BUFFER_MT);
}

s3d_buf *buffer_push_take(lua_State *L, s3d_buf *src)
{
    s3d_buf *b = lua_newuserdata(L, sizeof *b);
    *b = *src;
    memset(src, 0, sizeof *src);
    luaL_getmetatable(L, BUFFER_MT);
    lua_setmetatable(L, -2);
    return b;
}

const char *buffer_bytes(lua_State *L, int idx, size_t *len)
{
    if (lua_type(L, idx) == LUA_TSTRING) return lua_tolstring(L, idx, len);
    s3d_buf *b = luaL_testudata(L, idx, BUFFER_MT);
    if (!b) luaL_argerror(L, idx, "string or s3dlua.buffer expected");
    *len = b->len;
    return b->data ? b->data : "";
}

/* s3d.buffer(size | string) -> buffer (a size reserves capacity, length 0). */
static int l_new(lua_State *L)
{
    s3d_buf tmp = {0};
    size_t len = 0;
    const char *s = NULL;
    size_t cap;
    if (lua_type(L, 1) == LUA_TSTRING) {
        s = lua_tolstring(L, 1, &len);
        cap = len;
    } else {
        cap = (size_t)sched_check_size(L, 1);
    }
    if (s3d_buf_reserve(&tmp, cap ? cap : 1)) return luaL_error(L, "out of memory");
    if (s) memcpy(tmp.data, s, len);
    tmp.len = len;
    buffer_push_take(L, &tmp);
    return 1;
}

static int l_len(lua_State *L)
{
    lua_pushnumber(L, (lua_Number)buffer_check(L, 1)->len);
    return 1;
}

static int l_cap(lua_State *L)
{
    lua_pushnumber(L, (lua_Number)buffer_check(L, 1)->cap);
    return 1;
}

/* b:tostring([i [, j]]) -> bytes i..j (1-based, inclusive, like string.sub). */
static int l_tostring(lua_State *L)
{
    s3d_buf *b = buffer_check(L, 1);
    lua_Integer n = (lua_Integer)b->len;
    lua_Integer i = luaL_optinteger(L, 2, 1), j = luaL_optinteger(L, 3, n);
    if (i < 0) i += n + 1;
    if (j < 0) j += n + 1;
    if (i < 1) i = 1;
    if (j > n) j = n;
    lua_pushlstring(L, i <= j ? b->data + i - 1 : "", i <= j ? (size_t)(j - i + 1) : 0);
    return 1;
}

/* b:ptr() -> lightuserdata for LuaJIT's FFI (valid while b lives and is not resized). */
static int l_ptr(lua_State *L)
{
    lua_pushlightuserdata(L, buffer_check(L, 1)->data);
    return 1;
}

static int l_clear(lua_State *L)
{
    buffer_check(L, 1)->len = 0;
    return 0;
}

static int l_gc(lua_State *L)
{
    s3d_buf_free(buffer_check(L, 1));
    return 0;
}

static int l_repr(lua_State *L)
{
    s3d_buf *b = buffer_check(L, 1);
    lua_pushfstring(L, "s3dlua.buffer(%d bytes)", (int)b->len);
    return 1;
}

int luaopen_s3dlua_buffer(lua_State *L)
{
    static const luaL_Reg methods[] = {
        {"len", l_len}, {"cap", l_cap},     {"tostring", l_tostring},
        {"ptr", l_ptr}, {"clear", l_clear}, {NULL, NULL},
    };
    luaL_newmetatable(L, BUFFER_MT);
    lua_newtable(L);
    luaL_register(L, NULL, methods);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, l_len);
    lua_setfield(L, -2, "__len");
    lua_pushcfunction(L, l_gc);
    lua_setfield(L, -2, "__gc");
    lua_pushcfunction(L, l_repr);
    lua_setfield(L, -2, "__tostring");
    lua_pop(L, 1);
    lua_pushcfunction(L, l_new);
    return 1;
}
