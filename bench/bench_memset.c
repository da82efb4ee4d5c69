/* bench_memset.c - memory write bandwidth, the baseline of the data generator:
 * memset of a BUF-byte buffer (64 MiB: past every cache, the yardstick;
 * 1 MiB: what the generator's one-block buffer sees) until TOTAL bytes are set.
 * usage: bench_memset [BUF [TOTAL]]   prints: bytes= secs= gbps= */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    size_t buf = argc > 1 ? (size_t)strtoull(argv[1], NULL, 0) : 64u << 20;
    uint64_t total = argc > 2 ? strtoull(argv[2], NULL, 0) : 8ull << 30;
    char *p = aligned_alloc(4096, buf);
    if (!p || buf == 0) return 1;
    memset(p, 1, buf); /* fault the pages in before timing */
    uint64_t done = 0;
    unsigned char v = 0;
    double t0 = now();
    while (done < total) {
        memset(p, v++, buf);
        __asm__ __volatile__("" : : "r"(p) : "memory"); /* the stores must happen */
        done += buf;
    }
    double secs = now() - t0;
    printf("bytes=%llu secs=%.4f gbps=%.2f\n", (unsigned long long)done, secs, done / secs / 1e9);
    free(p);
    return 0;
}
