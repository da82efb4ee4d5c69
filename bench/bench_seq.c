/* bench_seq.c - the plainest sequential baseline: one thread, write() or read() of BS-byte
 * blocks in a loop, with no second file (dd also reads /dev/zero or writes /dev/null for
 * every block). Timed from open to close, like bench/seq.lua from writer() to commit().
 * usage: bench_seq write FILE [BS [COUNT]]   (COUNT blocks of zeros, no fsync)
 *        bench_seq read FILE [BS]            (to EOF)
 * prints: bytes= secs= mbps= */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    if (argc < 3 || (strcmp(argv[1], "write") && strcmp(argv[1], "read"))) {
        fprintf(stderr, "usage: %s write|read FILE [BS [COUNT]]\n", argv[0]);
        return 2;
    }
    int writing = strcmp(argv[1], "write") == 0;
    size_t bs = argc > 3 ? (size_t)strtoull(argv[3], NULL, 0) : 1 << 20;
    long count = argc > 4 ? atol(argv[4]) : 1024;
    char *buf = calloc(1, bs);
    if (!buf) return 1;
    double t0 = now();
    int fd = writing ? open(argv[2], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)
                     : open(argv[2], O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        perror(argv[2]);
        return 1;
    }
    int64_t bytes = 0;
    if (writing) {
        for (long i = 0; i < count; i++) {
            for (size_t done = 0; done < bs;) {
                ssize_t n = write(fd, buf + done, bs - done);
                if (n < 0) {
                    perror("write");
                    return 1;
                }
                done += (size_t)n;
            }
            bytes += (int64_t)bs;
        }
    } else {
        ssize_t n;
        while ((n = read(fd, buf, bs)) > 0) bytes += n;
        if (n < 0) {
            perror("read");
            return 1;
        }
    }
    if (close(fd)) {
        perror("close");
        return 1;
    }
    double secs = now() - t0;
    printf("bytes=%lld secs=%.4f mbps=%.1f\n", (long long)bytes, secs, (double)bytes / secs / 1e6);
    free(buf);
    return 0;
}
