/* progress.c - process-wide transfer counters shared by all runtime threads,
 * so one thread can draw a progress bar for the work of all of them. */
#include <lauxlib.h>
#include <lua.h>
#include <stdatomic.h>
#include <stdint.h>

static _Atomic uint64_t counters[4]; /* total bytes, total objects, done bytes, done objects */

/* progress.add(slot, n) with slot 1..4 as above. */
static int l_add(lua_State *L)
{
    int slot = (int)luaL_checkinteger(L, 1);
    luaL_argcheck(L, slot >= 1 && slot <= 4, 1, "slot 1..4");
    atomic_fetch_add(&counters[slot - 1], (uint64_t)luaL_checknumber(L, 2));
    return 0;
}

/* progress.get() -> total_bytes, total_objects, done_bytes, done_objects */
static int l_get(lua_State *L)
{
    for (int i = 0; i < 4; i++) lua_pushnumber(L, (lua_Number)atomic_load(&counters[i]));
    return 4;
}

int luaopen_s3dlua_progress(lua_State *L)
{
    lua_newtable(L);
    lua_pushcfunction(L, l_add);
    lua_setfield(L, -2, "add");
    lua_pushcfunction(L, l_get);
    lua_setfield(L, -2, "get");
    return 1;
}
