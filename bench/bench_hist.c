/* bench_hist.c - what recording a latency costs: hdr_record against the cheapest possible
 * histogram (a plain array increment), percentile lookups, merges, and h:record from Lua. */
#include "hdr.h"
#include "stats.h"

#include <lauxlib.h>
#include <lualib.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define N       100000000L /* records per loop */
#define HOUR_US (3600LL * 1000 * 1000)

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Cheap enough not to hide the cost being measured; values 0 .. 2^19-1 (up to ~0.5 s in us,
 * inside both layouts so the rare overflow path is not what gets measured). */
static inline uint64_t xorshift(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s >> 45;
}

static double bench_array(void)
{
    static int64_t counts[1 << 9];
    uint64_t s = 88172645463325252ULL;
    double t = now();
    for (long i = 0; i < N; i++) counts[xorshift(&s) >> 10]++;
    t = now() - t;
    int64_t sum = 0;
    for (int i = 0; i < 1 << 9; i++) sum += counts[i];
    if (sum != N) printf("array: lost counts\n");
    return t * 1e9 / N;
}

static double bench_hdr(struct hdr *h)
{
    uint64_t s = 88172645463325252ULL;
    double t = now();
    for (long i = 0; i < N; i++) hdr_record(h, (int64_t)xorshift(&s));
    t = now() - t;
    if (hdr_total_count(h) != N) printf("hdr: lost counts\n");
    return t * 1e9 / N;
}

static void bench_percentile(const struct hdr *h, const char *what)
{
    enum { REPS = 20000 };
    int64_t sink = 0;
    double t = now();
    for (int i = 0; i < REPS; i++) sink += hdr_value_at_percentile(h, 99.9);
    t = now() - t;
    printf("value_at_percentile(99.9), %-24s %8.2f us/op  (%d counts, p99.9=%lld)\n", what,
           t * 1e6 / REPS, h->counts_len, (long long)(sink / REPS));
}

static void bench_merge(const struct hdr *src)
{
    enum { REPS = 2000 };
    struct hdr dst;
    hdr_init(&dst, src->lowest, src->highest, src->digits);
    double t = now();
    for (int i = 0; i < REPS; i++) hdr_merge(&dst, src);
    t = now() - t;
    printf("hdr_merge, same layout (%d counts):             %8.2f us/op\n", src->counts_len,
           t * 1e6 / REPS);
    hdr_free(&dst);
}

static void bench_lua(void)
{
    lua_State *L = luaL_newstate();
    luaL_openlibs(L);
    lua_pushcfunction(L, luaopen_s3dlua_stats);
    lua_call(L, 0, 1);
    lua_setglobal(L, "stats");
    const char *code = "local h, x, n = stats.histogram(), 1, ...\n"
                       "local t = os.clock()\n"
                       "for i = 1, n do x = (x * 1103515245 + 12345) % 2147483648 "
                       "h:record(x % 1000000) end\n"
                       "return (os.clock() - t) * 1e9 / n, h:count()\n";
    long n = N / 10;
    lua_pushnumber(L, (double)n);
    if (luaL_loadstring(L, code) != 0 || (lua_insert(L, -2), lua_pcall(L, 1, 2, 0)) != 0)
        printf("lua: %s\n", lua_tostring(L, -1));
    else
        printf("Lua h:record(ns) incl. LCG:                     %8.2f ns/op  (%.0f records)\n",
               lua_tonumber(L, -2), lua_tonumber(L, -1));
    lua_close(L);
}

int main(void)
{
    struct hdr h, def;
    if (hdr_init(&h, 1, HOUR_US, 3) != 0 || hdr_init(&def, 1, 1000000, 3) != 0) return 1;
    double base = bench_array();
    printf("baseline counts[v >> 10]++ incl. xorshift:      %8.2f ns/op  %7.1f Mrecords/s\n", base,
           1e3 / base);
    double rec = bench_hdr(&h);
    printf("hdr_record (1 us..1 h, 3 digits) incl. xorshift: %7.2f ns/op  %7.1f Mrecords/s  "
           "(%.2fx baseline)\n",
           rec, 1e3 / rec, rec / base);
    rec = bench_hdr(&def);
    printf("hdr_record (default preset)      incl. xorshift: %7.2f ns/op  %7.1f Mrecords/s  "
           "(%.2fx baseline)\n",
           rec, 1e3 / rec, rec / base);
    bench_percentile(&h, "1 us..1 h, 3 digits:");
    bench_percentile(&def, "default preset:");
    bench_merge(&def);
    bench_lua();
    hdr_free(&h);
    hdr_free(&def);
    return 0;
}
