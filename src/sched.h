/* sched.h - coroutine tasks on the thread's loop: spawn, join, sleep, and the
 * yield-or-block helper every asynchronous binding uses (the cosocket pattern). */
#ifndef S3D_SCHED_H
#define S3D_SCHED_H
#include "rt.h"

typedef struct task task;

/* Results of an asynchronous operation are pushed by this function onto the
 * given state; it returns how many values it pushed. */
typedef int (*push_results_fn)(lua_State *L, void *op);

/* Call at the end of a Lua C function that started an asynchronous operation
 * `op`. Inside a task it yields; the operation's completion must then call
 * sched_complete(). Outside a task it runs the loop until *done is set and
 * returns the pushed results directly. Either way the Lua caller sees the
 * values push() pushes. */
typedef struct sched_wait {
    deferred later;          /* used when the wake-up must wait for the next loop turn */
    struct sched_wait *next; /* in a joined task's list of waiters */
    task *task;              /* NULL when blocking */
    volatile int done;
    push_results_fn push;
    void *op;
} sched_wait;

/* w must be zeroed before the operation starts: a backend may complete it
 * synchronously (sched_complete before sched_suspend), which is then simply
 * returned without yielding. */
int sched_suspend(lua_State *L, sched_wait *w, push_results_fn push, void *op);
/* Completion side: marks w done and, for a task, resumes it with the results. */
void sched_complete(sched_wait *w);

/* Is L the coroutine of the running task? */
int sched_in_task(lua_State *L);

int luaopen_s3dlua_sched(lua_State *L);
/* Parses sizes ("4KiB", "1MB", 4096) and durations ("30s", "500ms", seconds as
 * numbers) from Lua arguments; raise a Lua error naming the bad value. */
uint64_t sched_check_duration_ns(lua_State *L, int idx);
uint64_t sched_check_size(lua_State *L, int idx);
#endif
