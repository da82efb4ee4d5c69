/* lua_util.c - s3dlua.util: small system helpers the Lua side needs (glob and
 * regex matching, isatty, cwd, core count, logging). */
#include "log.h"
#include "store.h"
#include <errno.h>
#include <fnmatch.h>
#include <lauxlib.h>
#include <lua.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define REGEX_MT "s3dlua.regex"

/* util.glob(pattern, s) -> boolean (fnmatch, '*' matches '/' too) */
static int l_glob(lua_State *L)
{
    lua_pushboolean(L, fnmatch(luaL_checkstring(L, 1), luaL_checkstring(L, 2), 0) == 0);
    return 1;
}

/* util.regex(re) -> compiled POSIX extended regex | nil, message */
static int l_regex(lua_State *L)
{
    const char *src = luaL_checkstring(L, 1);
    regex_t *re = lua_newuserdata(L, sizeof *re);
    int rc = regcomp(re, src, REG_EXTENDED | REG_NOSUB);
    if (rc) {
        char msg[256];
        regerror(rc, re, msg, sizeof msg);
        lua_pushnil(L);
        lua_pushfstring(L, "bad regex '%s': %s", src, msg);
        return 2;
    }
    luaL_getmetatable(L, REGEX_MT);
    lua_setmetatable(L, -2);
    return 1;
}

static int l_regex_match(lua_State *L)
{
    regex_t *re = luaL_checkudata(L, 1, REGEX_MT);
    lua_pushboolean(L, regexec(re, luaL_checkstring(L, 2), 0, NULL, 0) == 0);
    return 1;
}

static int l_regex_gc(lua_State *L)
{
    regfree(luaL_checkudata(L, 1, REGEX_MT));
    return 0;
}

/* util.write(fd, string | buffer) -> true | nil, message: all of it, from C,
 * so a large buffer never becomes a Lua string (stdout output of `get`). */
static int l_write(lua_State *L)
{
    int fd = (int)luaL_checkinteger(L, 1);
    size_t len;
    const char *p = buffer_bytes(L, 2, &len);
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            lua_pushnil(L);
            lua_pushstring(L, strerror(errno));
            return 2;
        }
        p += n, len -= (size_t)n;
    }
    lua_pushboolean(L, 1);
    return 1;
}

static int l_isatty(lua_State *L)
{
    lua_pushboolean(L, isatty((int)luaL_checkinteger(L, 1)));
    return 1;
}

static int l_cwd(lua_State *L)
{
    char *p = getcwd(NULL, 0);
    if (!p) return luaL_error(L, "getcwd failed");
    lua_pushstring(L, p);
    free(p);
    return 1;
}

static int l_cpus(lua_State *L)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    lua_pushinteger(L, n > 0 ? n : 1);
    return 1;
}

/* util.log(level, msg): 1 info (-v), 2 debug (-vv) */
static int l_log(lua_State *L)
{
    int level = (int)luaL_checkinteger(L, 1);
    if (level <= s3d_log_level) s3d_log(level, "%s", luaL_checkstring(L, 2));
    return 0;
}

static int l_log_level(lua_State *L)
{
    lua_pushinteger(L, s3d_log_level);
    return 1;
}

int luaopen_s3dlua_util(lua_State *L)
{
    static const luaL_Reg funcs[] = {
        {"glob", l_glob}, {"regex", l_regex}, {"isatty", l_isatty}, {"write", l_write},
        {"cwd", l_cwd},   {"cpus", l_cpus},   {"log", l_log},       {"log_level", l_log_level},
        {NULL, NULL},
    };
    luaL_newmetatable(L, REGEX_MT);
    lua_newtable(L);
    lua_pushcfunction(L, l_regex_match);
    lua_setfield(L, -2, "match");
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, l_regex_gc);
    lua_setfield(L, -2, "__gc");
    lua_pop(L, 1);
    lua_newtable(L);
    luaL_register(L, NULL, funcs);
    return 1;
}
