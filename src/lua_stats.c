/* lua_stats.c - Lua binding of the stats module: HDR histograms, counters, rate meters.
 *
 * The Lua side always speaks nanoseconds; histograms store microseconds by default (a preset's
 * "1 s" then needs 10^6 rather than 10^9 trackable values: ~12x less memory, same relative
 * precision) or nanoseconds with unit = "ns". Histograms and counters are kept in per-state
 * registry tables keyed by name; that both keeps them alive until the state closes (results
 * survive the script's locals) and lets stats_merge_states() find them after threads join. */
#include "stats.h"

#include "hdr.h"
#include "units.h"

#include <errno.h>
#include <lauxlib.h>
#include <lua.h>
#include <stdio.h>
#include <string.h>
#include <uv.h>

#define HIST_MT     "s3dlua.histogram"
#define COUNTER_MT  "s3dlua.counter"
#define RATE_MT     "s3dlua.rate"
#define REG_HIST    "s3dlua.stats.histograms" /* registry: name -> histogram */
#define REG_COUNTER "s3dlua.stats.counters"   /* registry: name -> counter */
#define RATE_SLOTS  16

struct histogram {
    struct hdr h;
    int64_t scale; /* nanoseconds per stored unit: 1000 (us) or 1 (ns) */
    double per_ns; /* 1 / scale, so recording multiplies instead of dividing */
    char name[];
};

struct counter {
    int64_t value;
    char name[];
};

/* A sliding window made of RATE_SLOTS full slots plus the slot being filled. */
struct rate {
    uint64_t start, slot_ns, slot; /* slot: number of the newest slot since start */
    double counts[RATE_SLOTS + 1];
    double total;
};

static const struct preset {
    const char *name;
    int digits;
    int64_t highest_ns;
} presets[] = {
    {"default", 3, 1000000000LL},
    {"training", 3, 10000000000LL},
    {"inference", 4, 1000000000LL},
    {"high_frequency", 2, 100000000LL},
};

static void push_metatables(lua_State *L);

static struct histogram *check_histogram(lua_State *L, int idx)
{
    return luaL_checkudata(L, idx, HIST_MT);
}

static struct counter *check_counter(lua_State *L, int idx)
{
    return luaL_checkudata(L, idx, COUNTER_MT);
}

static struct rate *check_rate(lua_State *L, int idx)
{
    return luaL_checkudata(L, idx, RATE_MT);
}

/* Pushes the registry table `reg`, creating it on first use. [-0, +1] */
static void push_objects(lua_State *L, const char *reg)
{
    lua_getfield(L, LUA_REGISTRYINDEX, reg);
    if (lua_istable(L, -1)) return;
    lua_pop(L, 1);
    lua_newtable(L);
    lua_pushvalue(L, -1);
    lua_setfield(L, LUA_REGISTRYINDEX, reg);
}

/* Pushes a fresh name "#<n>" for the n-th unnamed object of this kind in L, skipping names a
 * script took explicitly. Expects the objects table at -1. [-0, +1] */
static void push_auto_name(lua_State *L, const char *reg)
{
    char key[64], name[32];
    snprintf(key, sizeof key, "%s.seq", reg);
    lua_getfield(L, LUA_REGISTRYINDEX, key);
    lua_Integer n = lua_tointeger(L, -1);
    lua_pop(L, 1);
    for (;;) {
        snprintf(name, sizeof name, "#%ld", (long)++n);
        lua_getfield(L, -1, name);
        int taken = !lua_isnil(L, -1);
        lua_pop(L, 1);
        if (!taken) break;
    }
    lua_pushinteger(L, n);
    lua_setfield(L, LUA_REGISTRYINDEX, key);
    lua_pushstring(L, name);
}

/* Pushes the histogram called `name` in L, creating it with this layout (in stored units)
 * when missing. With strict, an existing one of another layout raises; without, it is
 * returned as is. Raises on invalid layout or out-of-memory. [-0, +1] */
static struct histogram *hist_get(lua_State *L, const char *name, size_t len,
                                  const struct hdr *layout, int64_t scale, int strict)
{
    push_objects(L, REG_HIST);
    lua_pushlstring(L, name, len);
    lua_rawget(L, -2);
    struct histogram *hg = lua_touserdata(L, -1);
    if (hg) {
        if (strict && (hg->h.lowest != layout->lowest || hg->h.highest != layout->highest ||
                       hg->h.digits != layout->digits || hg->scale != scale))
            luaL_error(L, "histogram '%s' already exists with another layout", name);
        lua_remove(L, -2);
        return hg;
    }
    lua_pop(L, 1);
    hg = lua_newuserdata(L, sizeof *hg + len + 1);
    memset(hg, 0, sizeof *hg);
    int rc = hdr_init(&hg->h, layout->lowest, layout->highest, layout->digits);
    if (rc != 0)
        luaL_error(L, "histogram '%s': %s (lowest %f, highest %f, digits %d, in %s)", name,
                   rc == -EINVAL ? "invalid layout" : "out of memory", (double)layout->lowest,
                   (double)layout->highest, layout->digits, scale == 1 ? "ns" : "us");
    hg->scale = scale;
    hg->per_ns = 1.0 / (double)scale;
    memcpy(hg->name, name, len + 1);
    push_metatables(L);
    luaL_getmetatable(L, HIST_MT);
    lua_setmetatable(L, -2);
    lua_pushlstring(L, name, len);
    lua_pushvalue(L, -2);
    lua_rawset(L, -4);
    lua_remove(L, -2);
    return hg;
}

/* Like hist_get, for counters. [-0, +1] */
static struct counter *counter_get(lua_State *L, const char *name, size_t len)
{
    push_objects(L, REG_COUNTER);
    lua_pushlstring(L, name, len);
    lua_rawget(L, -2);
    struct counter *c = lua_touserdata(L, -1);
    if (!c) {
        lua_pop(L, 1);
        c = lua_newuserdata(L, sizeof *c + len + 1);
        c->value = 0;
        memcpy(c->name, name, len + 1);
        push_metatables(L);
        luaL_getmetatable(L, COUNTER_MT);
        lua_setmetatable(L, -2);
        lua_pushlstring(L, name, len);
        lua_pushvalue(L, -2);
        lua_rawset(L, -4);
    }
    lua_remove(L, -2);
    return c;
}

/* Pushes opts[key] (opts at index 1); raises unless it is nil or of type `type`. [-0, +1] */
static int opt_field(lua_State *L, const char *key, int type)
{
    lua_getfield(L, 1, key);
    int t = lua_type(L, -1);
    if (t != LUA_TNIL && t != type)
        luaL_error(L, "histogram: option '%s' must be a %s", key, lua_typename(L, type));
    return t != LUA_TNIL;
}

/* Reads opts[key], a duration: a number of ns, or a string like "500us", "100ms", "10s" (see
 * units.h). Returns def when absent; raises when malformed. */
static int64_t opt_duration(lua_State *L, const char *key, int64_t def)
{
    lua_getfield(L, 1, key);
    int t = lua_type(L, -1);
    uint64_t ns = 0;
    if (t == LUA_TNIL) {
        ns = (uint64_t)def;
    } else if (t == LUA_TNUMBER) {
        lua_Number n = lua_tonumber(L, -1);
        if (!(n >= 0 && n < 9e18)) luaL_error(L, "histogram: bad %s %f", key, n);
        ns = (uint64_t)n;
    } else if (t != LUA_TSTRING || units_parse_duration(lua_tostring(L, -1), &ns) != 0 ||
               ns > (uint64_t)9e18) {
        luaL_error(L, "histogram: bad %s (want ns or a duration like \"100ms\")", key);
    }
    lua_pop(L, 1);
    return (int64_t)ns;
}

/* stats.histogram([preset | {preset=, digits=, lowest=, highest=, unit=, name=}])
 * Returns the histogram of that name (created if needed); raises on bad options. */
static int l_histogram(lua_State *L)
{
    const struct preset *p = &presets[0];
    const char *preset = NULL;
    int64_t scale = 1000, lowest_ns = 0;
    lua_settop(L, 1);
    int t = lua_type(L, 1);
    if (t == LUA_TSTRING) {
        preset = lua_tostring(L, 1);
    } else if (t == LUA_TTABLE) {
        if (opt_field(L, "preset", LUA_TSTRING)) preset = lua_tostring(L, -1);
    } else if (t != LUA_TNIL) {
        return luaL_typerror(L, 1, "preset name or options table");
    }
    if (preset) {
        size_t i, n = sizeof presets / sizeof *presets;
        for (i = 0; i < n && strcmp(presets[i].name, preset) != 0; i++) {
        }
        if (i == n) return luaL_error(L, "histogram: unknown preset '%s'", preset);
        p = &presets[i];
    }
    int digits = p->digits;
    int64_t highest_ns = p->highest_ns;
    if (t == LUA_TTABLE) {
        if (opt_field(L, "digits", LUA_TNUMBER)) digits = (int)lua_tointeger(L, -1);
        if (digits < 1 || digits > 5) return luaL_error(L, "histogram: digits must be 1..5");
        lowest_ns = opt_duration(L, "lowest", 0);
        highest_ns = opt_duration(L, "highest", highest_ns);
        const char *unit = opt_field(L, "unit", LUA_TSTRING) ? lua_tostring(L, -1) : "us";
        if (strcmp(unit, "ns") == 0)
            scale = 1;
        else if (strcmp(unit, "us") != 0)
            return luaL_error(L, "histogram: unit must be \"us\" or \"ns\", not '%s'", unit);
        opt_field(L, "name", LUA_TSTRING);
    } else {
        lua_pushnil(L);
    }
    /* The name is now at the top of the stack, or nil. */
    struct hdr layout = {.digits = digits};
    layout.lowest = lowest_ns / scale > 1 ? lowest_ns / scale : 1;
    layout.highest = (highest_ns + scale - 1) / scale;
    size_t len;
    const char *name;
    if (lua_isnil(L, -1)) {
        push_objects(L, REG_HIST);
        push_auto_name(L, REG_HIST);
        name = lua_tolstring(L, -1, &len);
    } else {
        name = lua_tolstring(L, -1, &len);
    }
    hist_get(L, name, len, &layout, scale, 1);
    return 1;
}

/* Nanoseconds (a Lua number) to stored units, rounded; NaN and negatives count as 0. */
static inline int64_t to_units(const struct histogram *hg, lua_Number ns)
{
    double u = ns * hg->per_ns;
    if (!(u > 0)) return 0;
    if (u >= 9e18) return INT64_MAX;
    return (int64_t)(u + 0.5);
}

/* The fast path of h:record(ns): s3dlua.lua calls it through LuaJIT's FFI
 * with the histogram userdata (an FFI void* argument receives the userdata's
 * payload address), so a compiled loop records in a few ns instead of paying
 * for a classic C call (~70 ns, and LuaJIT cannot compile across it). */
void s3d_histogram_record_ns(void *ud, double ns);
void s3d_histogram_record_ns(void *ud, double ns)
{
    struct histogram *hg = ud;
    hdr_record(&hg->h, to_units(hg, ns));
}

/* h:record(ns [, count]) */
static int h_record(lua_State *L)
{
    struct histogram *hg = check_histogram(L, 1);
    int64_t v = to_units(hg, luaL_checknumber(L, 2));
    if (lua_isnoneornil(L, 3)) {
        hdr_record(&hg->h, v);
    } else {
        lua_Integer n = luaL_checkinteger(L, 3);
        luaL_argcheck(L, n >= 0, 3, "count must be >= 0");
        hdr_record_n(&hg->h, v, n);
    }
    return 0;
}

static double percentile_ns(const struct histogram *hg, double p)
{
    return (double)hdr_value_at_percentile(&hg->h, p) * (double)hg->scale;
}

/* h:percentile(p) -> ns; p in 0..100 */
static int h_percentile(lua_State *L)
{
    struct histogram *hg = check_histogram(L, 1);
    lua_Number p = luaL_checknumber(L, 2);
    luaL_argcheck(L, p >= 0 && p <= 100, 2, "percentile must be in 0..100");
    lua_pushnumber(L, percentile_ns(hg, p));
    return 1;
}

static int h_min(lua_State *L)
{
    struct histogram *hg = check_histogram(L, 1);
    lua_pushnumber(L, (double)hdr_min(&hg->h) * (double)hg->scale);
    return 1;
}

static int h_max(lua_State *L)
{
    struct histogram *hg = check_histogram(L, 1);
    lua_pushnumber(L, (double)hdr_max(&hg->h) * (double)hg->scale);
    return 1;
}

static int h_mean(lua_State *L)
{
    struct histogram *hg = check_histogram(L, 1);
    lua_pushnumber(L, hdr_mean(&hg->h) * (double)hg->scale);
    return 1;
}

static int h_stdev(lua_State *L)
{
    struct histogram *hg = check_histogram(L, 1);
    lua_pushnumber(L, hdr_stdev(&hg->h) * (double)hg->scale);
    return 1;
}

static int h_count(lua_State *L)
{
    lua_pushnumber(L, (double)hdr_total_count(&check_histogram(L, 1)->h));
    return 1;
}

/* h:overflow() -> how many values were above the highest trackable value */
static int h_overflow(lua_State *L)
{
    lua_pushnumber(L, (double)check_histogram(L, 1)->h.overflow);
    return 1;
}

static int h_name(lua_State *L)
{
    lua_pushstring(L, check_histogram(L, 1)->name);
    return 1;
}

static int h_reset(lua_State *L)
{
    hdr_reset(&check_histogram(L, 1)->h);
    return 0;
}

static void hist_merge(struct histogram *dst, const struct histogram *src)
{
    if (dst->scale == src->scale)
        hdr_merge(&dst->h, &src->h);
    else
        hdr_merge_scaled(&dst->h, &src->h, (double)src->scale / (double)dst->scale);
}

/* h:merge(other) -> h */
static int h_merge(lua_State *L)
{
    struct histogram *dst = check_histogram(L, 1);
    luaL_argcheck(L, lua_touserdata(L, 2) != dst, 2, "cannot merge a histogram into itself");
    hist_merge(dst, check_histogram(L, 2));
    lua_settop(L, 1);
    return 1;
}

/* Formats ns with 3 significant digits in the largest unit that keeps it >= 1. */
static void fmt_ns(char *buf, size_t size, double ns)
{
    static const struct {
        double div;
        const char *unit;
    } u[] = {{1e9, "s"}, {1e6, "ms"}, {1e3, "us"}, {1, "ns"}};
    int i = 0;
    while (i < 3 && ns < u[i].div * 0.9995) i++;
    double v = ns / u[i].div;
    const char *f = i == 3 ? "%.0f%s" : v < 9.995 ? "%.2f%s" : v < 99.95 ? "%.1f%s" : "%.0f%s";
    snprintf(buf, size, f, v, u[i].unit);
}

/* h:report() -> "n=1000 p50=1.23ms p90=... p99=... p99.9=... p99.99=... max=..." */
static int h_report(lua_State *L)
{
    struct histogram *hg = check_histogram(L, 1);
    static const struct {
        const char *label;
        double p;
    } ps[] = {{"p50", 50}, {"p90", 90}, {"p99", 99}, {"p99.9", 99.9}, {"p99.99", 99.99}};
    char out[256], v[32];
    size_t n = (size_t)snprintf(out, sizeof out, "n=%lld", (long long)hg->h.total);
    if (hg->h.total) {
        for (size_t i = 0; i < sizeof ps / sizeof *ps; i++) {
            fmt_ns(v, sizeof v, percentile_ns(hg, ps[i].p));
            n += (size_t)snprintf(out + n, sizeof out - n, " %s=%s", ps[i].label, v);
        }
        fmt_ns(v, sizeof v, (double)hdr_max(&hg->h) * (double)hg->scale);
        n += (size_t)snprintf(out + n, sizeof out - n, " max=%s", v);
    }
    if (hg->h.overflow)
        snprintf(out + n, sizeof out - n, " overflow=%lld", (long long)hg->h.overflow);
    lua_pushstring(L, out);
    return 1;
}

/* h:percentiles() -> {p50=, p90=, p95=, p99=, p99_9=, p99_99=, min=, max=, mean=, stdev=,
 * count=, overflow=}, times in ns */
static int h_percentiles(lua_State *L)
{
    struct histogram *hg = check_histogram(L, 1);
    static const struct {
        const char *key;
        double p;
    } ps[] = {{"p50", 50}, {"p90", 90},     {"p95", 95},
              {"p99", 99}, {"p99_9", 99.9}, {"p99_99", 99.99}};
    double s = (double)hg->scale;
    lua_createtable(L, 0, 12);
    for (size_t i = 0; i < sizeof ps / sizeof *ps; i++) {
        lua_pushnumber(L, percentile_ns(hg, ps[i].p));
        lua_setfield(L, -2, ps[i].key);
    }
    lua_pushnumber(L, (double)hdr_min(&hg->h) * s);
    lua_setfield(L, -2, "min");
    lua_pushnumber(L, (double)hdr_max(&hg->h) * s);
    lua_setfield(L, -2, "max");
    lua_pushnumber(L, hdr_mean(&hg->h) * s);
    lua_setfield(L, -2, "mean");
    lua_pushnumber(L, hdr_stdev(&hg->h) * s);
    lua_setfield(L, -2, "stdev");
    lua_pushnumber(L, (double)hg->h.total);
    lua_setfield(L, -2, "count");
    lua_pushnumber(L, (double)hg->h.overflow);
    lua_setfield(L, -2, "overflow");
    return 1;
}

static int h_tostring(lua_State *L)
{
    struct histogram *hg = check_histogram(L, 1);
    h_report(L);
    lua_pushfstring(L, "histogram %s: %s", hg->name, lua_tostring(L, -1));
    return 1;
}

static int h_gc(lua_State *L)
{
    hdr_free(&check_histogram(L, 1)->h);
    return 0;
}

/* stats.counter([name]) -> the counter of that name, created at 0 if needed */
static int l_counter(lua_State *L)
{
    size_t len;
    const char *name;
    lua_settop(L, 1);
    if (lua_isnil(L, 1)) {
        push_objects(L, REG_COUNTER);
        push_auto_name(L, REG_COUNTER);
        name = lua_tolstring(L, -1, &len);
    } else {
        name = luaL_checklstring(L, 1, &len);
    }
    counter_get(L, name, len);
    return 1;
}

/* c:add([n = 1]) -> c */
static int c_add(lua_State *L)
{
    check_counter(L, 1)->value += luaL_optinteger(L, 2, 1);
    lua_settop(L, 1);
    return 1;
}

static int c_get(lua_State *L)
{
    lua_pushnumber(L, (double)check_counter(L, 1)->value);
    return 1;
}

static int c_reset(lua_State *L)
{
    check_counter(L, 1)->value = 0;
    return 0;
}

static int c_name(lua_State *L)
{
    lua_pushstring(L, check_counter(L, 1)->name);
    return 1;
}

static int c_tostring(lua_State *L)
{
    struct counter *c = check_counter(L, 1);
    lua_pushfstring(L, "counter %s: %f", c->name, (double)c->value);
    return 1;
}

/* Moves the window to `now`, zeroing the slots it leaves behind. */
static void rate_advance(struct rate *r, uint64_t now)
{
    uint64_t slot = (now - r->start) / r->slot_ns;
    if (slot <= r->slot) return;
    uint64_t n = slot - r->slot;
    if (n > RATE_SLOTS + 1) n = RATE_SLOTS + 1;
    for (uint64_t k = 1; k <= n; k++) r->counts[(r->slot + k) % (RATE_SLOTS + 1)] = 0;
    r->slot = slot;
}

/* stats.rate([window_seconds = 1]) -> a rate meter */
static int l_rate(lua_State *L)
{
    lua_Number window = luaL_optnumber(L, 1, 1.0);
    luaL_argcheck(L, window > 0 && window < 1e9, 1, "window must be > 0 seconds");
    struct rate *r = lua_newuserdata(L, sizeof *r);
    memset(r, 0, sizeof *r);
    r->start = uv_hrtime();
    r->slot_ns = (uint64_t)(window * 1e9 / RATE_SLOTS);
    if (r->slot_ns == 0) r->slot_ns = 1;
    push_metatables(L);
    luaL_getmetatable(L, RATE_MT);
    lua_setmetatable(L, -2);
    return 1;
}

/* r:add([n = 1]) -> r */
static int r_add(lua_State *L)
{
    struct rate *r = check_rate(L, 1);
    lua_Number n = luaL_optnumber(L, 2, 1);
    rate_advance(r, uv_hrtime());
    r->counts[r->slot % (RATE_SLOTS + 1)] += n;
    r->total += n;
    lua_settop(L, 1);
    return 1;
}

/* r:rate() -> events per second over the last window (or since creation, if shorter) */
static int r_rate(lua_State *L)
{
    struct rate *r = check_rate(L, 1);
    uint64_t now = uv_hrtime(), elapsed = now - r->start;
    rate_advance(r, now);
    double sum = 0;
    for (int i = 0; i <= RATE_SLOTS; i++) sum += r->counts[i];
    /* RATE_SLOTS full slots plus the part of the current one that has passed. */
    uint64_t covered = RATE_SLOTS * r->slot_ns + (elapsed - r->slot * r->slot_ns);
    if (covered > elapsed) covered = elapsed;
    lua_pushnumber(L, covered ? sum / ((double)covered * 1e-9) : 0);
    return 1;
}

static int r_total(lua_State *L)
{
    lua_pushnumber(L, check_rate(L, 1)->total);
    return 1;
}

/* r:elapsed() -> seconds since the meter was created */
static int r_elapsed(lua_State *L)
{
    lua_pushnumber(L, (double)(uv_hrtime() - check_rate(L, 1)->start) * 1e-9);
    return 1;
}

/* stats.histograms() / stats.counters() -> a new table name -> object of this state */
static int list_objects(lua_State *L, const char *reg)
{
    lua_newtable(L);
    push_objects(L, reg);
    lua_pushnil(L);
    while (lua_next(L, -2)) {
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_rawset(L, -5);
    }
    lua_pop(L, 1);
    return 1;
}

static int l_histograms(lua_State *L)
{
    return list_objects(L, REG_HIST);
}

static int l_counters(lua_State *L)
{
    return list_objects(L, REG_COUNTER);
}

static const luaL_Reg hist_methods[] = {{"record", h_record},
                                        {"percentile", h_percentile},
                                        {"min", h_min},
                                        {"max", h_max},
                                        {"mean", h_mean},
                                        {"stdev", h_stdev},
                                        {"count", h_count},
                                        {"overflow", h_overflow},
                                        {"name", h_name},
                                        {"reset", h_reset},
                                        {"merge", h_merge},
                                        {"report", h_report},
                                        {"percentiles", h_percentiles},
                                        {NULL, NULL}};
static const luaL_Reg hist_meta[] = {{"__tostring", h_tostring}, {"__gc", h_gc}, {NULL, NULL}};

static const luaL_Reg counter_methods[] = {
    {"add", c_add}, {"get", c_get}, {"reset", c_reset}, {"name", c_name}, {NULL, NULL}};
static const luaL_Reg counter_meta[] = {{"__tostring", c_tostring}, {NULL, NULL}};

static const luaL_Reg rate_methods[] = {
    {"add", r_add}, {"rate", r_rate}, {"total", r_total}, {"elapsed", r_elapsed}, {NULL, NULL}};

/* Creates the three metatables in L's registry once, so objects can also be made in a state
 * that never required the module (stats_merge_states does). Methods live in a separate
 * __index table so a script cannot reach __gc and free a histogram still in use. [-0, +0] */
static void push_metatables(lua_State *L)
{
    static const struct {
        const char *name;
        const luaL_Reg *methods, *meta;
    } mts[] = {{HIST_MT, hist_methods, hist_meta},
               {COUNTER_MT, counter_methods, counter_meta},
               {RATE_MT, rate_methods, NULL}};
    for (size_t i = 0; i < sizeof mts / sizeof *mts; i++) {
        if (luaL_newmetatable(L, mts[i].name)) {
            if (mts[i].meta) luaL_setfuncs(L, mts[i].meta, 0);
            lua_newtable(L);
            luaL_setfuncs(L, mts[i].methods, 0);
            lua_setfield(L, -2, "__index");
        }
        lua_pop(L, 1);
    }
}

int luaopen_s3dlua_stats(lua_State *L)
{
    static const luaL_Reg funcs[] = {{"histogram", l_histogram}, {"counter", l_counter},
                                     {"rate", l_rate},           {"histograms", l_histograms},
                                     {"counters", l_counters},   {NULL, NULL}};
    push_metatables(L);
    luaL_newlib(L, funcs);
    return 1;
}

void stats_merge_states(lua_State *dst, lua_State *src)
{
    /* Keys of the registry tables are always the names (strings), values the objects. */
    lua_getfield(src, LUA_REGISTRYINDEX, REG_HIST);
    if (lua_istable(src, -1)) {
        lua_pushnil(src);
        while (lua_next(src, -2)) {
            size_t len;
            const char *name = lua_tolstring(src, -2, &len);
            const struct histogram *s = lua_touserdata(src, -1);
            hist_merge(hist_get(dst, name, len, &s->h, s->scale, 0), s);
            lua_pop(dst, 1);
            lua_pop(src, 1);
        }
    }
    lua_pop(src, 1);
    lua_getfield(src, LUA_REGISTRYINDEX, REG_COUNTER);
    if (lua_istable(src, -1)) {
        lua_pushnil(src);
        while (lua_next(src, -2)) {
            size_t len;
            const char *name = lua_tolstring(src, -2, &len);
            const struct counter *s = lua_touserdata(src, -1);
            counter_get(dst, name, len)->value += s->value;
            lua_pop(dst, 1);
            lua_pop(src, 1);
        }
    }
    lua_pop(src, 1);
}
