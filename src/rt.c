/* rt.c - the per-thread runtime: loop, Lua state, deferred queue, blocking. */
#include "rt.h"
#include "hrtimer.h"
#include "http.h"
#include "sched.h"
#include "stats.h"
#include "store.h"
#include <lauxlib.h>
#include <lualib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

_Thread_local rt *rt_self;

extern const struct {
    const char *name;
    const unsigned char *bc;
    size_t len;
} s3d_lua_bundle[];

int luaopen_cjson(lua_State *L);
int luaopen_s3dlua_progress(lua_State *L);
int luaopen_s3dlua_util(lua_State *L);
int luaopen_s3dlua_datagen_c(lua_State *L);
int luaopen_s3dlua_tfrecord_c(lua_State *L);
int luaopen_s3dlua_oplog_read(lua_State *L);

static void on_idle(uv_idle_t *h)
{
    rt *r = h->data;
    deferred *d = r->dq_head;
    r->dq_head = r->dq_tail = NULL;
    while (d) {
        deferred *next = d->next; /* d->fn may queue d again */
        d->next = NULL;
        d->fn(d);
        d = next;
    }
    if (!r->dq_head) uv_idle_stop(h);
}

void rt_defer(rt *r, deferred *d)
{
    d->next = NULL;
    if (r->dq_tail)
        r->dq_tail->next = d;
    else
        r->dq_head = d;
    r->dq_tail = d;
    if (!uv_is_active((uv_handle_t *)&r->idle)) uv_idle_start(&r->idle, on_idle);
}

int rt_block_until(rt *r, volatile int *flag, const char **why)
{
    if (*flag) return 0;
    if (r->in_loop) {
        *why = "a blocking call cannot run inside the event loop: call it from a task "
               "(s3d.spawn) and not from a plain coroutine or callback";
        return -1;
    }
    r->in_loop++;
    while (!*flag) {
        if (!uv_run(&r->loop, UV_RUN_ONCE) && !*flag) {
            r->in_loop--;
            *why = "deadlock: waiting for an operation but nothing is left to run";
            return -1;
        }
    }
    r->in_loop--;
    return 0;
}

void rt_drain(rt *r)
{
    if (r->in_loop) return;
    r->in_loop++;
    while (r->live_tasks > 0) {
        if (!uv_run(&r->loop, UV_RUN_ONCE) && r->live_tasks > 0) {
            fprintf(stderr,
                    "s3dlua: %d task(s) are suspended with nothing left to wake them "
                    "(a coroutine.yield() inside a task, or s3d.park() with no wake?)\n",
                    r->live_tasks);
            r->failed_tasks += r->live_tasks;
            r->live_tasks = 0;
            r->drain_epoch++; /* a given-up task that is woken later ends uncounted */
            break;
        }
    }
    r->in_loop--;
}

int rt_traceback(lua_State *L)
{
    const char *msg = lua_tostring(L, 1);
    if (!msg) {
        if (luaL_callmeta(L, 1, "__tostring") && lua_isstring(L, -1))
            msg = lua_tostring(L, -1); /* an error object (s3dlua.error): its text */
        else
            msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    }
    luaL_traceback(L, L, msg, 1);
    return 1;
}

int rt_pcall(lua_State *L, int nargs, int nres)
{
    int base = lua_gettop(L) - nargs;
    lua_pushcfunction(L, rt_traceback);
    lua_insert(L, base);
    int rc = lua_pcall(L, nargs, nres, base);
    lua_remove(L, base);
    if (rc) {
        fprintf(stderr, "s3dlua: %s\n", lua_tostring(L, -1));
        lua_pop(L, 1);
    }
    return rc;
}

static int load_embedded(lua_State *L)
{
    size_t i = (size_t)lua_tointeger(L, lua_upvalueindex(1));
    const char *name = s3d_lua_bundle[i].name;
    if (luaL_loadbuffer(L, (const char *)s3d_lua_bundle[i].bc, s3d_lua_bundle[i].len, name))
        return lua_error(L);
    lua_pushstring(L, name);
    lua_call(L, 1, 1);
    return 1;
}

void rt_preload(lua_State *L)
{
    static const luaL_Reg cmods[] = {
        {"s3dlua.sched", luaopen_s3dlua_sched},
        {"s3dlua.stats", luaopen_s3dlua_stats},
        {"s3dlua.store", luaopen_s3dlua_store},
        {"s3dlua.progress", luaopen_s3dlua_progress},
        {"s3dlua.util", luaopen_s3dlua_util},
        {"s3dlua.datagen_c", luaopen_s3dlua_datagen_c},
        {"s3dlua.tfrecord_c", luaopen_s3dlua_tfrecord_c},
        {"s3dlua.oplog_read", luaopen_s3dlua_oplog_read},
        {"cjson", luaopen_cjson},
        {NULL, NULL},
    };
    lua_getglobal(L, "package");
    lua_getfield(L, -1, "preload");
    for (const luaL_Reg *m = cmods; m->name; m++) {
        lua_pushcfunction(L, m->func);
        lua_setfield(L, -2, m->name);
    }
    for (size_t i = 0; s3d_lua_bundle[i].name; i++) {
        lua_pushinteger(L, (lua_Integer)i);
        lua_pushcclosure(L, load_embedded, 1);
        lua_setfield(L, -2, s3d_lua_bundle[i].name);
    }
    lua_pop(L, 2);
}

int rt_init(rt *r, int thread_id, int thread_count, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    r->thread_id = thread_id;
    r->thread_count = thread_count;
    int rc = uv_loop_init(&r->loop);
    if (rc) {
        snprintf(err, errlen, "event loop: %s", uv_strerror(rc));
        return -1;
    }
    uv_idle_init(&r->loop, &r->idle);
    r->idle.data = r;
    rt_self = r;
    r->L = luaL_newstate();
    if (!r->L) {
        snprintf(err, errlen, "cannot create a Lua state (out of memory?)");
        return -1;
    }
    luaL_openlibs(r->L);
    lua_newtable(r->L);
    r->pin_ref = luaL_ref(r->L, LUA_REGISTRYINDEX);
    rt_preload(r->L);
    /* The module is the global `s3d` everywhere, so -e and the REPL need no require. */
    lua_getglobal(r->L, "require");
    lua_pushstring(r->L, "s3dlua");
    if (rt_pcall(r->L, 1, 1)) {
        snprintf(err, errlen, "cannot load the s3dlua module");
        return -1;
    }
    lua_setglobal(r->L, "s3d");
    return 0;
}

static void close_walk(uv_handle_t *h, void *arg)
{
    (void)arg;
    if (!uv_is_closing(h)) uv_close(h, NULL);
}

void rt_close(rt *r)
{
    rt_drain(r);
    /* what is still queued can only wake tasks the drain gave up on; their
     * coroutines go with the state */
    r->dq_head = r->dq_tail = NULL;
    if (r->L) lua_close(r->L); /* finalizers may close handles; run the loop after */
    r->L = NULL;
    http_thread_shutdown(r);
    uv_run(&r->loop, UV_RUN_DEFAULT);
    uv_walk(&r->loop, close_walk, NULL);
    uv_run(&r->loop, UV_RUN_DEFAULT);
    uv_loop_close(&r->loop);
    hrtimer_free(r); /* its poll handle was closed with the others */
    store_req_pool_free(r);
    rt_self = NULL;
}
