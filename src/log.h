/* log.h - leveled logging to stderr: -v gives info, -vv debug. */
#ifndef S3D_LOG_H
#define S3D_LOG_H
extern int s3d_log_level; /* 0 quiet, 1 info (-v), 2 debug (-vv) */
void s3d_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#endif
