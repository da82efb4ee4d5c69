/* hrtimer.h - wake-ups at a monotonic time with microsecond precision, for
 * schedules (replay) that libuv's millisecond timers cannot keep (DESIGN 5). */
#ifndef S3D_HRTIMER_H
#define S3D_HRTIMER_H
#include "sched.h"

/* At most this long before a due time the timerfd fires; the rest is spun
 * on the clock (wake-ups through epoll take 5-60 us on a loaded VM). */
#define HRTIMER_SPIN_NS 60000
/* Waits shorter than this are spun whole. */
#define HRTIMER_MIN_WAIT_NS 2000

/* Completes w (sched_complete) at the monotonic time due (uv_hrtime's clock).
 * Returns 0, or -1 when the thread's timerfd cannot be made (errno). */
int hrtimer_add(rt *r, uint64_t due, sched_wait *w);
/* Spins until the monotonic time due. */
void hrtimer_spin_until(uint64_t due);
/* Frees the thread's timer state; after its loop is closed. */
void hrtimer_free(rt *r);
#endif
