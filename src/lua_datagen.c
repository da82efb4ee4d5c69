/* lua_datagen.c - s3dlua.datagen_c: generators (datagen.h) and seeded random
 * numbers for Lua; lua/s3dlua/datagen.lua builds the public module on it. */
#include "datagen.h"
#include "sched.h"
#include "store.h"
#include <lauxlib.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define GEN_MT "s3dlua.datagen"
#define RNG_MT "s3dlua.rng"

typedef struct gen_ud {
    datagen g;
    uint64_t pos; /* where fill() goes on */
} gen_ud;

/* A seed: a whole number up to 2^53, or a string of decimal digits or 0x and
 * hex digits up to 2^64-1 (nothing else: no sign, space or octal). */
static uint64_t check_seed(lua_State *L, int idx, const char *what)
{
    if (lua_type(L, idx) == LUA_TNUMBER) {
        lua_Number v = lua_tonumber(L, idx);
        if (v < 0 || v > 9007199254740992.0 || v != floor(v))
            luaL_error(L, "%s: a whole number from 0 to 2^53 (or a string for larger ones)", what);
        return (uint64_t)v;
    }
    const char *s = lua_tostring(L, idx), *p = s;
    int hex = s && s[0] == '0' && (s[1] == 'x' || s[1] == 'X');
    uint64_t v = 0, base = hex ? 16 : 10;
    if (hex) p += 2;
    if (!p || !*p) luaL_error(L, "%s: a number or a string of digits", what);
    for (; *p; p++) {
        int d = *p >= '0' && *p <= '9'          ? *p - '0'
                : hex && *p >= 'a' && *p <= 'f' ? *p - 'a' + 10
                : hex && *p >= 'A' && *p <= 'F' ? *p - 'A' + 10
                                                : -1;
        if (d < 0) luaL_error(L, "%s: '%s' is not a %s number", what, s, hex ? "hex" : "decimal");
        if (v > (UINT64_MAX - (uint64_t)d) / base)
            luaL_error(L, "%s: '%s' is above 2^64-1", what, s);
        v = v * base + (uint64_t)d;
    }
    return v;
}

static uint64_t opt_field_size(lua_State *L, int t, const char *name, uint64_t dflt)
{
    lua_getfield(L, t, name);
    uint64_t v = lua_isnil(L, -1) ? dflt : sched_check_size(L, lua_gettop(L));
    lua_pop(L, 1);
    return v;
}

static uint32_t opt_field_ratio(lua_State *L, int t, const char *name)
{
    lua_getfield(L, t, name);
    lua_Number v = lua_isnil(L, -1) ? 1 : luaL_checknumber(L, -1);
    lua_pop(L, 1);
    if (v < 1 || v > 1 << 20 || v != floor(v))
        luaL_error(L, "datagen: %s must be a whole number from 1 (got %f)", name, (double)v);
    return (uint32_t)v;
}

/* {size=, block=, dedup=, compress=, seed=, index=} -> g (raises on bad options) */
static void check_opts(lua_State *L, int t, datagen *g)
{
    luaL_checktype(L, t, LUA_TTABLE);
    uint64_t size = opt_field_size(L, t, "size", DATAGEN_UNBOUNDED);
    uint64_t block = opt_field_size(L, t, "block", DATAGEN_DEFAULT_BLOCK);
    uint32_t dedup = opt_field_ratio(L, t, "dedup"), compress = opt_field_ratio(L, t, "compress");
    uint64_t seed = 0;
    lua_getfield(L, t, "seed");
    if (!lua_isnil(L, -1)) seed = check_seed(L, lua_gettop(L), "datagen: seed");
    lua_pop(L, 1);
    lua_getfield(L, t, "index"); /* object `index` of the set made from `seed` */
    if (!lua_isnil(L, -1))
        seed = datagen_derive_seed(seed, check_seed(L, lua_gettop(L), "datagen: index"));
    lua_pop(L, 1);
    char err[200];
    if (datagen_init(g, size, block, dedup, compress, seed, err, sizeof err))
        luaL_error(L, "datagen: %s", err);
}

static gen_ud *check_gen(lua_State *L, int idx)
{
    return luaL_checkudata(L, idx, GEN_MT);
}

/* datagen.new(opts) -> generator */
static int l_new(lua_State *L)
{
    datagen g;
    check_opts(L, 1, &g);
    gen_ud *u = lua_newuserdata(L, sizeof *u);
    u->g = g;
    u->pos = 0;
    luaL_getmetatable(L, GEN_MT);
    lua_setmetatable(L, -2);
    return 1;
}

/* How many bytes from `off` into buf: n (default: buf's capacity), not past
 * the end of a sized object; buf grows to n. */
static size_t span(lua_State *L, gen_ud *u, s3d_buf *b, int nidx, uint64_t off)
{
    uint64_t n = lua_isnoneornil(L, nidx) ? b->cap : sched_check_size(L, nidx);
    n = off >= u->g.size ? 0 : (n < u->g.size - off ? n : u->g.size - off);
    if (n > SIZE_MAX / 2) luaL_error(L, "datagen: %f bytes do not fit in a buffer", (double)n);
    if (n > b->cap && s3d_buf_reserve(b, (size_t)n)) luaL_error(L, "out of memory");
    return (size_t)n;
}

/* gen:fill(buf [, n]) -> bytes: the next bytes of the object (0 at its end) */
static int l_fill(lua_State *L)
{
    gen_ud *u = check_gen(L, 1);
    s3d_buf *b = buffer_check(L, 2);
    size_t n = span(L, u, b, 3, u->pos);
    datagen_fill(&u->g, u->pos, b->data, n);
    b->len = n;
    u->pos += n;
    lua_pushnumber(L, (lua_Number)n);
    return 1;
}

/* gen:fill_at(buf, offset [, n]) -> bytes: the bytes at offset (fill's place stays) */
static int l_fill_at(lua_State *L)
{
    gen_ud *u = check_gen(L, 1);
    s3d_buf *b = buffer_check(L, 2);
    uint64_t off = sched_check_size(L, 3);
    size_t n = span(L, u, b, 4, off);
    datagen_fill(&u->g, off, b->data, n);
    b->len = n;
    lua_pushnumber(L, (lua_Number)n);
    return 1;
}

/* gen:block(i) -> a new buffer holding block i (0-based, as offsets are) */
static int l_block(lua_State *L)
{
    gen_ud *u = check_gen(L, 1);
    uint64_t i = sched_check_size(L, 2);
    if (i > UINT64_MAX / u->g.block)
        return luaL_error(L, "datagen: block %f is out of range", (double)i);
    uint64_t off = i * u->g.block, n = u->g.block;
    n = off >= u->g.size ? 0 : (n < u->g.size - off ? n : u->g.size - off);
    s3d_buf tmp = {0};
    if (s3d_buf_reserve(&tmp, n ? (size_t)n : 1)) return luaL_error(L, "out of memory");
    datagen_fill(&u->g, off, tmp.data, (size_t)n);
    tmp.len = (size_t)n;
    buffer_push_take(L, &tmp);
    return 1;
}

static int l_size(lua_State *L)
{
    gen_ud *u = check_gen(L, 1);
    if (u->g.size != DATAGEN_UNBOUNDED)
        lua_pushnumber(L, (lua_Number)u->g.size);
    else
        lua_pushnil(L);
    return 1;
}

static int l_tell(lua_State *L)
{
    lua_pushnumber(L, (lua_Number)check_gen(L, 1)->pos);
    return 1;
}

static int l_seek(lua_State *L)
{
    check_gen(L, 1)->pos = sched_check_size(L, 2);
    return 0;
}

/* gen:options() -> {size=, block=, dedup=, compress=, seed= (a string: 64 bits)} */
static int l_options(lua_State *L)
{
    gen_ud *u = check_gen(L, 1);
    lua_createtable(L, 0, 5);
    if (u->g.size != DATAGEN_UNBOUNDED)
        lua_pushnumber(L, (lua_Number)u->g.size), lua_setfield(L, -2, "size");
    lua_pushnumber(L, (lua_Number)u->g.block), lua_setfield(L, -2, "block");
    lua_pushnumber(L, u->g.dedup), lua_setfield(L, -2, "dedup");
    lua_pushnumber(L, u->g.compress), lua_setfield(L, -2, "compress");
    char seed[24];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)u->g.seed);
    lua_pushstring(L, seed), lua_setfield(L, -2, "seed");
    return 1;
}

static int l_gen_repr(lua_State *L)
{
    gen_ud *u = check_gen(L, 1);
    if (u->g.size == DATAGEN_UNBOUNDED)
        lua_pushfstring(L, "s3dlua.datagen(unbounded, compress %d)", (int)u->g.compress);
    else
        lua_pushfstring(L, "s3dlua.datagen(size %f, dedup %d, compress %d)", (double)u->g.size,
                        (int)u->g.dedup, (int)u->g.compress);
    return 1;
}

/* datagen.verify(buf, gen | opts, offset) -> true | false, offset of the first
 * wrong byte (in the object) */
static int l_verify(lua_State *L)
{
    size_t len;
    const char *p = buffer_bytes(L, 1, &len);
    datagen g;
    gen_ud *u = luaL_testudata(L, 2, GEN_MT);
    if (u)
        g = u->g;
    else
        check_opts(L, 2, &g);
    uint64_t off = lua_isnoneornil(L, 3) ? 0 : sched_check_size(L, 3);
    size_t bad = datagen_verify(&g, off, p, len);
    if (bad == len) {
        lua_pushboolean(L, 1);
        return 1;
    }
    lua_pushboolean(L, 0);
    lua_pushnumber(L, (lua_Number)(off + bad));
    return 2;
}

/* ---- seeded random numbers (xoshiro256++) for size samplers ---- */

typedef struct rng_ud {
    uint64_t s[4];
    double spare; /* Box-Muller makes normals in pairs */
    int has_spare;
} rng_ud;

static uint64_t rng_next(rng_ud *r)
{
    uint64_t *s = r->s;
    uint64_t x = s[0] + s[3];
    uint64_t out = ((x << 23) | (x >> 41)) + s[0];
    uint64_t t = s[1] << 17;
    s[2] ^= s[0], s[3] ^= s[1], s[1] ^= s[2], s[0] ^= s[3];
    s[2] ^= t;
    s[3] = (s[3] << 45) | (s[3] >> 19);
    return out;
}

static double rng_unit(rng_ud *r) /* [0, 1) */
{
    return (double)(rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

/* datagen.rng(seed) -> r: r:uniform() in [0, 1), r:normal() standard normal */
static int l_rng(lua_State *L)
{
    uint64_t seed = lua_isnoneornil(L, 1) ? 0 : check_seed(L, 1, "rng: seed");
    rng_ud *r = lua_newuserdata(L, sizeof *r);
    memset(r, 0, sizeof *r);
    for (int i = 0; i < 4; i++) r->s[i] = datagen_mix64(seed + (uint64_t)i * 0x632be59bd9b4e019ull);
    luaL_getmetatable(L, RNG_MT);
    lua_setmetatable(L, -2);
    return 1;
}

static int l_rng_uniform(lua_State *L)
{
    lua_pushnumber(L, rng_unit(luaL_checkudata(L, 1, RNG_MT)));
    return 1;
}

static int l_rng_normal(lua_State *L)
{
    rng_ud *r = luaL_checkudata(L, 1, RNG_MT);
    if (r->has_spare) {
        r->has_spare = 0;
        lua_pushnumber(L, r->spare);
        return 1;
    }
    double u1 = 1.0 - rng_unit(r), u2 = rng_unit(r); /* u1 in (0, 1]: log is finite */
    double m = sqrt(-2.0 * log(u1));
    r->spare = m * sin(2 * M_PI * u2);
    r->has_spare = 1;
    lua_pushnumber(L, m * cos(2 * M_PI * u2));
    return 1;
}

int luaopen_s3dlua_datagen_c(lua_State *L)
{
    static const luaL_Reg gen_methods[] = {
        {"fill", l_fill}, {"fill_at", l_fill_at}, {"block", l_block},     {"size", l_size},
        {"tell", l_tell}, {"seek", l_seek},       {"options", l_options}, {NULL, NULL},
    };
    static const luaL_Reg rng_methods[] = {
        {"uniform", l_rng_uniform},
        {"normal", l_rng_normal},
        {NULL, NULL},
    };
    static const luaL_Reg funcs[] = {
        {"new", l_new},
        {"verify", l_verify},
        {"rng", l_rng},
        {NULL, NULL},
    };
    luaL_newmetatable(L, GEN_MT);
    lua_newtable(L);
    luaL_register(L, NULL, gen_methods);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, l_gen_repr);
    lua_setfield(L, -2, "__tostring");
    lua_pop(L, 1);
    luaL_newmetatable(L, RNG_MT);
    lua_newtable(L);
    luaL_register(L, NULL, rng_methods);
    lua_setfield(L, -2, "__index");
    lua_pop(L, 1);
    lua_newtable(L);
    luaL_register(L, NULL, funcs);
    return 1;
}
