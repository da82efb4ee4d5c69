/* log.c - leveled logging to stderr, one line per call, thread-tagged. */
#include "log.h"
#include "rt.h"
#include <stdarg.h>
#include <stdio.h>

int s3d_log_level;

void s3d_log(int level, const char *fmt, ...)
{
    if (level > s3d_log_level) return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    /* one fprintf per line so lines of different threads do not interleave */
    fprintf(stderr, "s3dlua[%d] %s: %s\n", rt_self ? rt_self->thread_id : 0,
            level >= 2 ? "debug" : "info", line);
}
