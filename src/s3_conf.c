/* s3_conf.c - AWS CLI-compatible configuration: AWS_ACCESS_KEY_ID,
 * AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN, AWS_REGION / AWS_DEFAULT_REGION,
 * AWS_PROFILE with ~/.aws/credentials and ~/.aws/config (or
 * AWS_SHARED_CREDENTIALS_FILE / AWS_CONFIG_FILE), AWS_ENDPOINT_URL_S3 /
 * AWS_ENDPOINT_URL, AWS_CA_BUNDLE. Environment wins over files. */
#include "s3_conf.h"
#include "http.h"
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void set(char *dst, size_t cap, const char *v)
{
    if (v) snprintf(dst, cap, "%s", v);
}

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s)) s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1])) s[--n] = 0;
    return s;
}

/* Reads `key` of section `section` from an INI file into dst (if present). */
static void ini_get(const char *path, const char *section, const char *key, char *dst, size_t cap)
{
    FILE *f = fopen(path, "r");
    if (!f) return;
    char line[4096];
    int in = 0;
    while (fgets(line, sizeof line, f)) {
        char *s = trim(line);
        if (*s == '#' || *s == ';' || !*s) continue;
        if (*s == '[') {
            char *end = strchr(s, ']');
            if (end) *end = 0;
            in = strcmp(trim(s + 1), section) == 0;
            continue;
        }
        if (!in) continue;
        char *eq = strchr(s, '=');
        if (!eq) continue;
        *eq = 0;
        if (strcmp(trim(s), key) == 0) {
            set(dst, cap, trim(eq + 1));
            break;
        }
    }
    fclose(f);
}

static void aws_file(char *out, size_t cap, const char *envname, const char *name)
{
    const char *v = env(envname);
    if (v) {
        snprintf(out, cap, "%s", v);
        return;
    }
    const char *home = env("HOME");
    snprintf(out, cap, "%s/.aws/%s", home ? home : "", name);
}

/* A value from the profile: credentials file section [p], then config file
 * section [profile p] ([default] for the default profile). */
static void profile_get(const s3_conf *c, const char *key, char *dst, size_t cap)
{
    char creds[1024], config[1024], section[160];
    aws_file(creds, sizeof creds, "AWS_SHARED_CREDENTIALS_FILE", "credentials");
    aws_file(config, sizeof config, "AWS_CONFIG_FILE", "config");
    ini_get(creds, c->profile, key, dst, cap);
    if (strcmp(c->profile, "default") == 0)
        snprintf(section, sizeof section, "default");
    else
        snprintf(section, sizeof section, "profile %s", c->profile);
    if (!*dst) ini_get(config, section, key, dst, cap);
}

int s3_conf_set_endpoint(s3_conf *c, const char *ep, char *err, size_t errlen)
{
    if (ep && *ep) {
        set(c->endpoint, sizeof c->endpoint, ep);
        c->path_style = 1;
    } else {
        snprintf(c->endpoint, sizeof c->endpoint, "https://s3.%s.amazonaws.com", c->region);
        c->path_style = 0;
    }
    size_t n = strlen(c->endpoint);
    while (n && c->endpoint[n - 1] == '/') c->endpoint[--n] = 0;
    const char *hp = strstr(c->endpoint, "://");
    if (!hp || (strncmp(c->endpoint, "http://", 7) && strncmp(c->endpoint, "https://", 8))) {
        snprintf(err, errlen, "endpoint '%s' is not an http:// or https:// URL", c->endpoint);
        return -1;
    }
    hp += 3;
    size_t hl = strcspn(hp, "/");
    snprintf(c->host, sizeof c->host, "%.*s", (int)hl, hp);
    return 0;
}

int s3_conf_load(s3_conf *c, const char *endpoint, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    set(c->profile, sizeof c->profile, env("AWS_PROFILE") ? env("AWS_PROFILE") : "default");
    set(c->access_key, sizeof c->access_key, env("AWS_ACCESS_KEY_ID"));
    set(c->secret_key, sizeof c->secret_key, env("AWS_SECRET_ACCESS_KEY"));
    set(c->session_token, sizeof c->session_token, env("AWS_SESSION_TOKEN"));
    if (!*c->access_key) {
        profile_get(c, "aws_access_key_id", c->access_key, sizeof c->access_key);
        profile_get(c, "aws_secret_access_key", c->secret_key, sizeof c->secret_key);
        profile_get(c, "aws_session_token", c->session_token, sizeof c->session_token);
    }
    if (*c->access_key && !*c->secret_key) {
        snprintf(err, errlen,
                 "an access key id is set but no secret access key "
                 "(AWS_SECRET_ACCESS_KEY or aws_secret_access_key)");
        return -1;
    }
    set(c->region, sizeof c->region,
        env("AWS_REGION") ? env("AWS_REGION") : env("AWS_DEFAULT_REGION"));
    if (!*c->region) profile_get(c, "region", c->region, sizeof c->region);
    if (!*c->region) set(c->region, sizeof c->region, "us-east-1");
    const char *ep = endpoint && *endpoint ? endpoint : env("AWS_ENDPOINT_URL_S3");
    if (!ep) ep = env("AWS_ENDPOINT_URL");
    char file_ep[512] = "";
    if (!ep) {
        profile_get(c, "endpoint_url", file_ep, sizeof file_ep);
        if (*file_ep) ep = file_ep;
    }
    if (s3_conf_set_endpoint(c, ep, err, errlen)) return -1;
    set(c->ca_bundle, sizeof c->ca_bundle, env("AWS_CA_BUNDLE"));
    if (!*c->ca_bundle) profile_get(c, "ca_bundle", c->ca_bundle, sizeof c->ca_bundle);
    c->verify_tls = 1;
    c->part_size = 8u << 20;
    c->part_concurrency = 4;
    c->multipart_threshold = 16u << 20;
    c->max_attempts = 4;
    c->connect_timeout_ms = 10000;
    c->low_speed_time_s = 30;
    c->use_curl = http_client_from_name(env("S3DLUA_HTTP_CLIENT"));
    if (c->use_curl < 0) {
        snprintf(err, errlen, "S3DLUA_HTTP_CLIENT='%s': native or curl", env("S3DLUA_HTTP_CLIENT"));
        return -1;
    }
    return 0;
}
