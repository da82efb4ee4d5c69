/* hrtimer.c - one timerfd per thread (CLOCK_MONOTONIC, absolute, watched by a
 * uv_poll) serving a min-heap of waiters. The timerfd is armed a margin
 * before the earliest due time; when it fires, every waiter due within the
 * margin is completed in order, each after spinning on the clock to its exact
 * time. The margin is an eighth of the wait, at most HRTIMER_SPIN_NS: a
 * replay at 20k ops/s waits 50 us at a time, and spinning most of that
 * burnt a core, which a VM's CPU quota then took back as millisecond stalls
 * (measured: p99 lateness 4.4 ms at 10k ops/s with a fixed 60 us margin,
 * 78 us without). The poll is referenced only while someone waits, so an
 * idle timer never keeps the loop alive. */
#include "hrtimer.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

typedef struct waiter {
    uint64_t due;
    uint64_t spin; /* the margin spun before due */
    uint64_t seq;  /* equal due times complete in the order they were added */
    sched_wait *w;
} waiter;

typedef struct hrtimer {
    int fd;
    uv_poll_t poll;
    int polling;
    waiter *heap;
    int n, cap;
    uint64_t seq;
    uint64_t armed; /* the due time the timerfd is set for, 0: none */
} hrtimer;

static int before(const waiter *a, const waiter *b)
{
    return a->due < b->due || (a->due == b->due && a->seq < b->seq);
}

static void heap_push(hrtimer *t, waiter v)
{
    int i = t->n++;
    while (i > 0) {
        int p = (i - 1) / 2;
        if (!before(&v, &t->heap[p])) break;
        t->heap[i] = t->heap[p];
        i = p;
    }
    t->heap[i] = v;
}

static waiter heap_pop(hrtimer *t)
{
    waiter top = t->heap[0], last = t->heap[--t->n];
    int i = 0;
    for (;;) {
        int c = 2 * i + 1;
        if (c >= t->n) break;
        if (c + 1 < t->n && before(&t->heap[c + 1], &t->heap[c])) c++;
        if (!before(&t->heap[c], &last)) break;
        t->heap[i] = t->heap[c];
        i = c;
    }
    if (t->n) t->heap[i] = last;
    return top;
}

void hrtimer_spin_until(uint64_t due)
{
    while (uv_hrtime() < due) {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
    }
}

static void arm(hrtimer *t)
{
    uint64_t at = t->heap[0].due > t->heap[0].spin ? t->heap[0].due - t->heap[0].spin : 1;
    if (at == t->armed) return;
    struct itimerspec its = {
        .it_value = {.tv_sec = (time_t)(at / 1000000000), .tv_nsec = (long)(at % 1000000000)}};
    timerfd_settime(t->fd, TFD_TIMER_ABSTIME, &its, NULL);
    t->armed = at;
}

static void on_fire(uv_poll_t *p, int status, int events)
{
    (void)status, (void)events;
    hrtimer *t = p->data;
    uint64_t expirations;
    if (read(t->fd, &expirations, sizeof expirations) < 0 && errno != EAGAIN) return;
    t->armed = 0;
    /* complete what is due now or within the spin margin; a completion may
     * add waiters (a task sleeping again), which the loop then sees too */
    while (t->n && t->heap[0].due <= uv_hrtime() + t->heap[0].spin) {
        waiter v = heap_pop(t);
        hrtimer_spin_until(v.due);
        sched_complete(v.w);
    }
    if (t->n) {
        arm(t);
    } else {
        /* nobody waits: the poll stays (no epoll_ctl per sleep) but no
         * longer keeps the loop alive, and the timerfd is disarmed */
        struct itimerspec off = {{0, 0}, {0, 0}};
        timerfd_settime(t->fd, TFD_TIMER_ABSTIME, &off, NULL);
        t->armed = 0;
        uv_unref((uv_handle_t *)&t->poll);
    }
}

int hrtimer_add(rt *r, uint64_t due, sched_wait *w)
{
    hrtimer *t = r->hrtimer;
    if (!t) {
        if (!(t = calloc(1, sizeof *t))) return -1;
        t->fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
        if (t->fd < 0 || uv_poll_init(&r->loop, &t->poll, t->fd)) {
            int e = errno;
            if (t->fd >= 0) close(t->fd);
            free(t);
            errno = e;
            return -1;
        }
        t->poll.data = t;
        r->hrtimer = t;
    }
    if (t->n == t->cap) {
        int cap = t->cap ? t->cap * 2 : 16;
        waiter *h = realloc(t->heap, (size_t)cap * sizeof *h);
        if (!h) return -1;
        t->heap = h;
        t->cap = cap;
    }
    uint64_t now = uv_hrtime(), spin = due > now ? (due - now) / 8 : 0;
    heap_push(t, (waiter){due, spin < HRTIMER_SPIN_NS ? spin : HRTIMER_SPIN_NS, t->seq++, w});
    if (!t->polling) {
        uv_poll_start(&t->poll, UV_READABLE, on_fire);
        t->polling = 1;
    }
    uv_ref((uv_handle_t *)&t->poll);
    arm(t);
    return 0;
}

void hrtimer_free(rt *r)
{
    hrtimer *t = r->hrtimer;
    if (!t) return;
    close(t->fd);
    free(t->heap);
    free(t);
    r->hrtimer = NULL;
}
