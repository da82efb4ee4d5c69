/* sched.c - coroutine tasks on the thread's libuv loop (DESIGN 2).
 *
 * A task is a coroutine plus a small struct in a userdata. A storage call made
 * inside a task starts its operation and yields; the completion callback
 * resumes the coroutine with the results. The same call outside a task runs
 * the loop until its own operation completes, so the REPL and plain scripts
 * simply block. Task starts and join wake-ups go through the deferred queue,
 * so resumptions never nest more than one level deep on the C stack. */
#include "sched.h"
#include "hrtimer.h"
#include "units.h"
#include <errno.h>
#include <lauxlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TASK_MT "s3dlua.task"

enum { TASK_QUEUED, TASK_RUNNING, TASK_DONE, TASK_FAILED };

struct task {
    lua_State *co;
    int co_ref;  /* keeps the coroutine (and so its results) alive */
    int ud_ref;  /* keeps the task alive until it finishes */
    int err_ref; /* traceback of a failed task */
    int state;
    int nargs;
    int joined;               /* a failure seen by a joiner no longer fails the run */
    int parked, wake_pending; /* s3d.park() / task:wake() */
    unsigned epoch;           /* rt's drain_epoch when spawned */
    deferred start;
    sched_wait self_wait; /* sleep and join of this task */
    sched_wait *joiners;
};

static task *check_task(lua_State *L, int idx)
{
    return luaL_checkudata(L, idx, TASK_MT);
}

int sched_in_task(lua_State *L)
{
    rt *r = rt_self;
    return r->current && r->current->co == L;
}

static void task_finish(task *t, int status);

static void task_resume(task *t, int nargs)
{
    rt *r = rt_self;
    task *prev = r->current;
    r->current = t;
    t->state = TASK_RUNNING;
    int st = lua_resume(t->co, nargs);
    r->current = prev;
    if (st != LUA_YIELD) task_finish(t, st);
}

static void wake_later(deferred *d)
{
    sched_wait *w = (sched_wait *)((char *)d - offsetof(sched_wait, later));
    sched_complete(w);
}

static void task_finish(task *t, int status)
{
    rt *r = rt_self;
    lua_State *L = r->L;
    if (status != 0) {
        int base = lua_gettop(L);
        lua_pushvalue(t->co, -1);
        lua_xmove(t->co, L, 1); /* the error object, to read it on a live state */
        const char *msg = lua_tostring(L, -1);
        if (!msg && luaL_callmeta(L, -1, "__tostring")) msg = lua_tostring(L, -1);
        luaL_traceback(L, t->co, msg ? msg : "(error object is not a string)", 0);
        lua_replace(L, base + 1); /* keep only the traceback */
        lua_settop(L, base + 1);
        fprintf(stderr, "s3dlua: task failed: %s\n", lua_tostring(L, -1));
        t->err_ref = luaL_ref(L, LUA_REGISTRYINDEX);
        t->state = TASK_FAILED;
        r->failed_tasks++;
    } else {
        t->state = TASK_DONE;
    }
    for (sched_wait *w = t->joiners, *next; w; w = next) {
        next = w->next;
        w->later.fn = wake_later;
        rt_defer(r, &w->later);
    }
    t->joiners = NULL;
    if (t->epoch == r->drain_epoch) r->live_tasks--;
    int ref = t->ud_ref;
    t->ud_ref = LUA_NOREF;
    luaL_unref(L, LUA_REGISTRYINDEX, ref); /* t may be collected from here on */
}

int sched_suspend(lua_State *L, sched_wait *w, push_results_fn push, void *op)
{
    rt *r = rt_self;
    w->push = push;
    w->op = op;
    if (w->done) return push(L, op); /* the operation completed while being started */
    if (sched_in_task(L)) {
        w->task = r->current;
        return lua_yield(L, 0);
    }
    w->task = NULL;
    const char *why;
    if (rt_block_until(r, &w->done, &why)) return luaL_error(L, "%s", why);
    return push(L, op);
}

void sched_complete(sched_wait *w)
{
    task *t = w->task;
    w->done = 1;
    if (!t) return; /* the blocked caller pushes the results itself */
    int n = w->push(t->co, w->op);
    task_resume(t, n);
}

/* ---- Lua API ---- */

static void task_start(deferred *d)
{
    task *t = (task *)((char *)d - offsetof(task, start));
    task_resume(t, t->nargs);
}

/* s3d.spawn(fn, ...) -> task; the task starts on the next loop turn. */
static int l_spawn(lua_State *L)
{
    rt *r = rt_self;
    int n = lua_gettop(L);
    luaL_checktype(L, 1, LUA_TFUNCTION);
    task *t = lua_newuserdata(L, sizeof *t);
    memset(t, 0, sizeof *t);
    t->co_ref = t->ud_ref = t->err_ref = LUA_NOREF;
    luaL_getmetatable(L, TASK_MT);
    lua_setmetatable(L, -2);
    t->co = lua_newthread(L);
    t->co_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    lua_pushvalue(L, -1);
    t->ud_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    for (int i = 1; i <= n; i++) lua_pushvalue(L, i);
    lua_xmove(L, t->co, n);
    t->nargs = n - 1;
    t->state = TASK_QUEUED;
    t->start.fn = task_start;
    t->epoch = r->drain_epoch;
    r->live_tasks++;
    rt_defer(r, &t->start);
    return 1;
}

static int push_task_results(lua_State *L, void *op)
{
    task *t = op;
    if (t->state == TASK_FAILED) {
        if (!t->joined) rt_self->failed_tasks--; /* a joiner took charge of the error */
        t->joined = 1;
        lua_pushnil(L);
        lua_rawgeti(L, LUA_REGISTRYINDEX, t->err_ref);
        return 2;
    }
    int n = lua_gettop(t->co);
    luaL_checkstack(L, n, "too many task results");
    for (int i = 1; i <= n; i++) {
        lua_pushvalue(t->co, i);
        lua_xmove(t->co, L, 1);
    }
    return n;
}

/* task:join() -> the task function's results, or nil, traceback if it failed. */
static int l_task_join(lua_State *L)
{
    task *t = check_task(L, 1);
    if (t->state == TASK_DONE || t->state == TASK_FAILED) return push_task_results(L, t);
    if (sched_in_task(L) && rt_self->current == t)
        return luaL_error(L, "a task cannot join itself");
    sched_wait local, *w = sched_in_task(L) ? &rt_self->current->self_wait : &local;
    memset(w, 0, sizeof *w);
    w->next = t->joiners;
    t->joiners = w;
    lua_settop(L, 1); /* keep t anchored on this stack while waiting */
    return sched_suspend(L, w, push_task_results, t);
}

static int push_nothing(lua_State *L, void *op)
{
    (void)L, (void)op;
    return 0;
}

/* s3d.park(): the running task sleeps until another calls its :wake(); a
 * wake that came first makes park return at once (none is lost). */
static int l_park(lua_State *L)
{
    rt *r = rt_self;
    if (!sched_in_task(L)) return luaL_error(L, "park: only a task can park (s3d.spawn)");
    task *t = r->current;
    if (t->wake_pending) {
        t->wake_pending = 0;
        return 0;
    }
    sched_wait *w = &t->self_wait;
    memset(w, 0, sizeof *w);
    t->parked = 1;
    return sched_suspend(L, w, push_nothing, NULL);
}

/* task:wake(): resumes a parked task on the next loop turn. */
static int l_task_wake(lua_State *L)
{
    task *t = check_task(L, 1);
    if (t->parked) {
        t->parked = 0;
        t->self_wait.later.fn = wake_later;
        rt_defer(rt_self, &t->self_wait.later);
    } else if (t->state != TASK_DONE && t->state != TASK_FAILED) {
        t->wake_pending = 1;
    }
    return 0;
}

static int l_task_status(lua_State *L)
{
    static const char *names[] = {"queued", "running", "done", "failed"};
    task *t = check_task(L, 1);
    lua_pushstring(L, names[t->state]);
    return 1;
}

static int l_task_gc(lua_State *L)
{
    task *t = check_task(L, 1);
    luaL_unref(L, LUA_REGISTRYINDEX, t->co_ref);
    luaL_unref(L, LUA_REGISTRYINDEX, t->err_ref);
    t->co_ref = t->err_ref = LUA_NOREF;
    return 0;
}

/* sched.wait_all(): at top level, runs the loop until every task has
 * finished; returns the number that failed. (s3d.wait(tasks...) joins given
 * tasks; it is written in Lua on top of task:join.) */
static int l_wait(lua_State *L)
{
    rt *r = rt_self;
    if (sched_in_task(L))
        return luaL_error(L, "s3d.wait() without tasks cannot run inside a task "
                             "(it would wait for itself); pass the tasks to wait for");
    int before = r->failed_tasks;
    rt_drain(r);
    lua_pushinteger(L, r->failed_tasks - before);
    return 1;
}

static void yield_now(deferred *d)
{
    sched_wait *w = (sched_wait *)((char *)d - offsetof(sched_wait, later));
    sched_complete(w);
}

/* Returns at the monotonic time due (hrtimer.c: microseconds, never early):
 * a task yields meanwhile; a top-level caller runs the loop. */
static int wait_until(lua_State *L, uint64_t due, const char *name)
{
    rt *r = rt_self;
    uint64_t now = uv_hrtime();
    if (due <= now) return 0;
    if (due - now <= HRTIMER_MIN_WAIT_NS) {
        hrtimer_spin_until(due);
        return 0;
    }
    sched_wait local, *w = sched_in_task(L) ? &r->current->self_wait : &local;
    if (w == &local && r->in_loop)
        return luaL_error(L,
                          "%s: a blocking call cannot run inside the event loop: call it from a "
                          "task (s3d.spawn) and not from a plain coroutine or callback",
                          name);
    memset(w, 0, sizeof *w);
    if (hrtimer_add(r, due, w)) return luaL_error(L, "%s: timerfd: %s", name, strerror(errno));
    if (w != &local) return sched_suspend(L, w, push_nothing, NULL);
    const char *why;
    if (rt_block_until(r, &local.done, &why)) return luaL_error(L, "%s", why);
    return 0;
}

/* s3d.sleep(duration): seconds as a number or "500ms". 0 just lets others run. */
static int l_sleep(lua_State *L)
{
    rt *r = rt_self;
    uint64_t ns = sched_check_duration_ns(L, 1);
    if (ns == 0) {
        if (!sched_in_task(L)) return 0;
        sched_wait *w = &r->current->self_wait;
        memset(w, 0, sizeof *w);
        w->later.fn = yield_now;
        rt_defer(r, &w->later);
        return sched_suspend(L, w, push_nothing, NULL);
    }
    return wait_until(L, uv_hrtime() + ns, "sleep");
}

/* s3d.sleep_until(t): returns at the monotonic time t (ns, s3d.now()'s
 * clock) to within microseconds; at once when t has passed, and without
 * yielding then: s3d.now() - t tells how late the caller is. */
static int l_sleep_until(lua_State *L)
{
    lua_Number t = luaL_checknumber(L, 1);
    uint64_t due = !(t > 0) ? 0 : t >= 18446744073709549568.0 ? UINT64_MAX : (uint64_t)t;
    return wait_until(L, due, "sleep_until");
}

/* s3d.now() -> monotonic nanoseconds. */
static int l_now(lua_State *L)
{
    lua_pushnumber(L, (lua_Number)uv_hrtime());
    return 1;
}

uint64_t sched_check_duration_ns(lua_State *L, int idx)
{
    if (lua_type(L, idx) == LUA_TNUMBER) {
        lua_Number s = lua_tonumber(L, idx);
        if (s < 0) luaL_argerror(L, idx, "negative duration");
        return (uint64_t)(s * 1e9 + 0.5);
    }
    const char *s = luaL_checkstring(L, idx);
    uint64_t ns;
    if (units_parse_duration(s, &ns))
        luaL_argerror(L, idx, lua_pushfstring(L, "bad duration '%s' (e.g. \"30s\", \"500ms\")", s));
    return ns;
}

uint64_t sched_check_size(lua_State *L, int idx)
{
    if (lua_type(L, idx) == LUA_TNUMBER) {
        lua_Number v = lua_tonumber(L, idx);
        if (v < 0 || v != (lua_Number)(uint64_t)v) luaL_argerror(L, idx, "bad size");
        return (uint64_t)v;
    }
    const char *s = luaL_checkstring(L, idx);
    uint64_t v;
    if (units_parse_size(s, &v))
        luaL_argerror(L, idx, lua_pushfstring(L, "bad size '%s' (e.g. \"4KiB\", \"1MB\")", s));
    return v;
}

/* s3d.size("4KiB") -> 4096; s3d.duration("500ms") -> 0.5 (seconds). Both raise
 * on bad input; size_or_nil/duration... are left to Lua. */
static int l_size(lua_State *L)
{
    lua_pushnumber(L, (lua_Number)sched_check_size(L, 1));
    return 1;
}

static int l_duration(lua_State *L)
{
    lua_pushnumber(L, (lua_Number)sched_check_duration_ns(L, 1) / 1e9);
    return 1;
}

static int l_duration_ns(lua_State *L)
{
    lua_pushnumber(L, (lua_Number)sched_check_duration_ns(L, 1));
    return 1;
}

static int l_fmt_size(lua_State *L)
{
    char buf[32];
    lua_pushstring(L, units_fmt_size(luaL_checknumber(L, 1), buf, sizeof buf));
    return 1;
}

static int l_in_task(lua_State *L)
{
    lua_pushboolean(L, sched_in_task(L));
    return 1;
}

static int l_live_tasks(lua_State *L)
{
    lua_pushinteger(L, rt_self->live_tasks);
    return 1;
}

int luaopen_s3dlua_sched(lua_State *L)
{
    static const luaL_Reg task_methods[] = {
        {"join", l_task_join}, {"status", l_task_status}, {"wake", l_task_wake}, {NULL, NULL}};
    static const luaL_Reg funcs[] = {
        {"spawn", l_spawn},
        {"wait_all", l_wait},
        {"sleep", l_sleep},
        {"sleep_until", l_sleep_until},
        {"park", l_park},
        {"now", l_now},
        {"size", l_size},
        {"duration", l_duration},
        {"duration_ns", l_duration_ns},
        {"fmt_size", l_fmt_size},
        {"in_task", l_in_task},
        {"live_tasks", l_live_tasks},
        {NULL, NULL},
    };
    luaL_newmetatable(L, TASK_MT);
    lua_newtable(L);
    luaL_register(L, NULL, task_methods);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, l_task_gc);
    lua_setfield(L, -2, "__gc");
    lua_pop(L, 1);
    lua_newtable(L);
    luaL_register(L, NULL, funcs);
    lua_newtable(L);
    lua_pushinteger(L, rt_self->thread_id);
    lua_setfield(L, -2, "id");
    lua_pushinteger(L, rt_self->thread_count);
    lua_setfield(L, -2, "count");
    lua_setfield(L, -2, "thread");
    return 1;
}
