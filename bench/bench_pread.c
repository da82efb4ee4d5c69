/* bench_pread.c - the plainest random-read baseline: one thread, one pread() at a time, at
 * random block-aligned offsets of FILE (the same Park-Miller sequence as bench/randread.lua's
 * first task), for SECONDS. Latencies go into the project's HDR histogram (in ns).
 * usage: bench_pread FILE [BS [SECONDS [SEED]]]
 * prints: ops= secs= iops= mbps= p50_us= p99_us= short= */
#include "hdr.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE [BS [SECONDS [SEED]]]\n", argv[0]);
        return 2;
    }
    size_t bs = argc > 2 ? (size_t)strtoull(argv[2], NULL, 0) : 65536;
    double secs = argc > 3 ? atof(argv[3]) : 5.0;
    long long seed = argc > 4 ? atoll(argv[4]) : 42;
    int fd = open(argv[1], O_RDONLY | O_CLOEXEC);
    struct stat sb;
    if (fd < 0 || fstat(fd, &sb)) {
        perror(argv[1]);
        return 1;
    }
    int64_t nblocks = sb.st_size / (off_t)bs;
    char *buf = aligned_alloc(4096, (bs + 4095) & ~(size_t)4095);
    struct hdr h;
    if (nblocks < 1 || !buf || hdr_init(&h, 1, 10LL * 1000 * 1000 * 1000, 3)) {
        fprintf(stderr, "bench_pread: file smaller than one block, or out of memory\n");
        return 1;
    }
    int64_t x = (seed * 7919 + 1 * 104729) % 2147483647; /* task 1 of randread.lua */
    if (x == 0) x = 1;
    int64_t ops = 0, bytes = 0, shortr = 0;
    int64_t start = now_ns(), deadline = start + (int64_t)(secs * 1e9), t1;
    do {
        x = (x * 16807) % 2147483647;
        off_t off = (off_t)(x % nblocks) * (off_t)bs;
        int64_t t0 = now_ns();
        ssize_t n = pread(fd, buf, bs, off);
        t1 = now_ns();
        if (n < 0) {
            perror("pread");
            return 1;
        }
        hdr_record(&h, t1 - t0);
        ops++;
        bytes += n;
        if ((size_t)n != bs) shortr++;
    } while (t1 < deadline);
    double el = (double)(t1 - start) / 1e9;
    printf("ops=%lld secs=%.3f iops=%.0f mbps=%.1f p50_us=%.1f p99_us=%.1f short=%lld\n",
           (long long)ops, el, (double)ops / el, (double)bytes / el / 1e6,
           (double)hdr_value_at_percentile(&h, 50) / 1e3,
           (double)hdr_value_at_percentile(&h, 99) / 1e3, (long long)shortr);
    hdr_free(&h);
    free(buf);
    close(fd);
    return 0;
}
