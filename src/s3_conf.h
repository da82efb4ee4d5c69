/* s3_conf.h - S3 configuration the way the AWS CLI finds it: environment,
 * then the profile in ~/.aws/credentials and ~/.aws/config, then defaults. */
#ifndef S3D_S3_CONF_H
#define S3D_S3_CONF_H
#include <stddef.h>
#include <stdint.h>

typedef struct s3_conf {
    char endpoint[512]; /* scheme://host[:port], no trailing slash */
    char host[300];     /* host[:port] as sent in the Host header */
    int path_style;     /* 1 for custom endpoints, 0 for AWS (virtual-hosted) */
    char region[64];
    char access_key[256];
    char secret_key[256]; /* never printed */
    char session_token[4096];
    char ca_bundle[1024];
    char profile[128];
    int verify_tls;
    int unsigned_payload;
    uint64_t part_size;
    int part_concurrency;         /* parts of one writer in flight */
    uint64_t multipart_threshold; /* puts above this are multipart uploads */
    int max_attempts;
    long connect_timeout_ms;
    long low_speed_time_s;
    int use_curl; /* libcurl for http:// endpoints too (http_client = "curl") */
} s3_conf;

/* Fills c from the environment and the AWS files; the endpoint may be given
 * (non-NULL overrides AWS_ENDPOINT_URL). Returns 0, or -1 with err set. */
int s3_conf_load(s3_conf *c, const char *endpoint, char *err, size_t errlen);
/* Sets the endpoint (NULL or "": AWS for c->region, virtual-hosted) and the
 * Host derived from it. Returns 0, or -1 with err set. */
int s3_conf_set_endpoint(s3_conf *c, const char *endpoint, char *err, size_t errlen);
#endif
