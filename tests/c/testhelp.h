/* testhelp.h - minimal TAP-style assertions for the C unit tests.
 * Each check prints "ok N - what" or "not ok N - what (file:line)"; tests/run.sh
 * counts those lines. test_done() returns the exit status. */
#ifndef S3D_TESTHELP_H
#define S3D_TESTHELP_H
#include <stdio.h>
#include <string.h>

static int th_count, th_failed;

#define test_ok(cond, what)                                                                        \
    do {                                                                                           \
        ++th_count;                                                                                \
        if (cond) {                                                                                \
            printf("ok %d - %s\n", th_count, (what));                                              \
        } else {                                                                                   \
            ++th_failed;                                                                           \
            printf("not ok %d - %s (%s:%d: %s)\n", th_count, (what), __FILE__, __LINE__, #cond);   \
        }                                                                                          \
    } while (0)

#define test_eq_int(a, b, what)                                                                    \
    do {                                                                                           \
        long long th_a = (long long)(a), th_b = (long long)(b);                                    \
        test_ok(th_a == th_b, (what));                                                             \
        if (th_a != th_b) printf("#   got %lld, want %lld\n", th_a, th_b);                         \
    } while (0)

#define test_eq_str(a, b, what)                                                                    \
    do {                                                                                           \
        const char *th_a = (a), *th_b = (b);                                                       \
        int th_same = th_a && th_b && strcmp(th_a, th_b) == 0;                                     \
        test_ok(th_same, (what));                                                                  \
        if (!th_same)                                                                              \
            printf("#   got '%s', want '%s'\n", th_a ? th_a : "(null)", th_b ? th_b : "(null)");   \
    } while (0)

static inline int test_done(void)
{
    printf("# %d checks, %d failed\n", th_count, th_failed);
    return th_failed ? 1 : 0;
}
#endif
