/* The durability reference of the benchmarks: one writer appending 4 KiB and calling fsync, in a
 * loop, for a fixed time, in a given directory (the database's). Prints the fsyncs per second it
 * reached, the ceiling for a server that syncs once per acknowledged write.
 * Usage: fsync_writer DIR SECONDS   → prints "fsync_per_s=<float> fsyncs=<n> seconds=<float>" */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define GC_BENCH_BLOCK 4096
#define GC_BENCH_MAX_SECONDS 600.0

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int parse_seconds(const char *s, double *out)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (errno != 0 || end == s || *end != '\0' || !(v > 0.0) || v > GC_BENCH_MAX_SECONDS)
        return -1;
    *out = v;
    return 0;
}

int main(int argc, char **argv)
{
    int result = 1;
    int fd = -1;
    char path[4096] = "";
    double seconds = 0.0;
    if (argc != 3 || parse_seconds(argv[2], &seconds) != 0) {
        fprintf(stderr, "usage: fsync_writer DIR SECONDS (0 < SECONDS <= %.0f)\n",
                GC_BENCH_MAX_SECONDS);
        return 2;
    }
    int n = snprintf(path, sizeof path, "%s/fsync-writer.%ld.dat", argv[1], (long)getpid());
    if (n < 0 || (size_t)n >= sizeof path) {
        fprintf(stderr, "fsync_writer: directory name too long\n");
        return 2;
    }
    static char block[GC_BENCH_BLOCK];
    memset(block, 'x', sizeof block);

    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
    if (fd < 0) {
        fprintf(stderr, "fsync_writer: open %s: %s\n", path, strerror(errno));
        goto out;
    }
    long long count = 0;
    double start = now_s(), elapsed = 0.0;
    while (elapsed < seconds) {
        ssize_t w = write(fd, block, sizeof block);
        if (w != (ssize_t)sizeof block) {
            fprintf(stderr, "fsync_writer: write: %s\n", w < 0 ? strerror(errno) : "short write");
            goto out;
        }
        if (fsync(fd) != 0) {
            fprintf(stderr, "fsync_writer: fsync: %s\n", strerror(errno));
            goto out;
        }
        count++;
        elapsed = now_s() - start;
    }
    printf("fsync_per_s=%.1f fsyncs=%lld seconds=%.3f\n", (double)count / elapsed, count, elapsed);
    result = 0;
out:
    if (fd >= 0)
        close(fd);
    if (path[0])
        unlink(path);
    return result;
}
