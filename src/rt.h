/* rt.h - one runtime per OS thread: a libuv loop, a lua_State and the task
 * scheduler state that ties them together (DESIGN 2). */
#ifndef S3D_RT_H
#define S3D_RT_H
#include <stdint.h>
#include <uv.h>
#include <lua.h>

struct task;
struct s3d_req;

/* Work queued to run on the next loop turn (task starts, completions that
 * happened synchronously), so a task never resumes another on the C stack. */
typedef struct deferred {
    void (*fn)(struct deferred *d);
    struct deferred *next;
} deferred;

typedef struct rt {
    uv_loop_t loop;
    lua_State *L;
    int thread_id; /* 1-based */
    int thread_count;
    int in_loop;          /* >0 while a blocking call runs uv_run */
    struct task *current; /* task whose coroutine is running, NULL at top level */
    int live_tasks;
    int failed_tasks;
    unsigned drain_epoch; /* tasks spawned before the last give-up are no longer counted */
    uv_idle_t idle;       /* drains the deferred queue */
    deferred *dq_head, *dq_tail;
    struct s3d_req *free_reqs; /* request pool: no allocation per operation */
    struct s3d_req *staging;   /* built but not yet submitted: reused if building raised */
    int nreqs;     /* requests ever allocated: each owns a slot range in the pin table */
    int pin_ref;   /* registry table anchoring the Lua arguments of requests in flight */
    void *http;    /* http.c's per-thread curl multi state, created on first use */
    void *wire;    /* http_wire.c's per-thread connections, created on first use */
    void *hrtimer; /* hrtimer.c's timerfd and waiters, created on first use */
    int exit_status;
} rt;

/* The runtime of the calling OS thread (one per thread, set by rt_init). */
extern _Thread_local rt *rt_self;

/* Creates the loop and a Lua state with every s3dlua module preloaded.
 * Returns 0, or -1 with a message in err. */
int rt_init(rt *r, int thread_id, int thread_count, char *err, size_t errlen);
/* Runs the loop until no task is left, closes handles, frees the state. */
void rt_close(rt *r);

void rt_defer(rt *r, deferred *d);
/* Runs the loop until *flag becomes non-zero. Returns 0, or -1 when nothing
 * is left that could set it (a deadlock) or when called from inside the loop. */
int rt_block_until(rt *r, volatile int *flag, const char **why);
/* Runs the loop until every task has finished. */
void rt_drain(rt *r);

/* Registers every embedded Lua module and C module in package.preload. */
void rt_preload(lua_State *L);
/* Loads and runs a chunk with a traceback handler; prints errors to stderr.
 * Returns 0 on success. */
int rt_pcall(lua_State *L, int nargs, int nres);
int rt_traceback(lua_State *L);

#endif
