/* units.c - human sizes and durations, accepted wherever Lua takes them. */
#include "units.h"
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int parse_number(const char *s, double *v, const char **rest)
{
    char *end;
    while (isspace((unsigned char)*s)) s++;
    if (!*s || *s == '-') return -1;
    errno = 0;
    *v = strtod(s, &end);
    if (end == s || errno || !isfinite(*v) || *v < 0) return -1;
    while (isspace((unsigned char)*end)) end++;
    *rest = end;
    return 0;
}

int units_parse_size(const char *s, uint64_t *out)
{
    static const struct {
        const char *suffix;
        double mult;
    } units[] = {
        {"", 1},
        {"b", 1},
        {"k", 1e3},
        {"kb", 1e3},
        {"m", 1e6},
        {"mb", 1e6},
        {"g", 1e9},
        {"gb", 1e9},
        {"t", 1e12},
        {"tb", 1e12},
        {"ki", 1024.0},
        {"kib", 1024.0},
        {"mi", 1048576.0},
        {"mib", 1048576.0},
        {"gi", 1073741824.0},
        {"gib", 1073741824.0},
        {"ti", 1099511627776.0},
        {"tib", 1099511627776.0},
    };
    double v;
    const char *rest;
    if (parse_number(s, &v, &rest)) return -1;
    size_t n = strlen(rest);
    while (n && isspace((unsigned char)rest[n - 1])) n--;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strlen(units[i].suffix) == n && strncasecmp(rest, units[i].suffix, n) == 0) {
            double bytes = v * units[i].mult;
            if (bytes >= 18446744073709551615.0 || bytes != floor(bytes)) return -1;
            *out = (uint64_t)bytes;
            return 0;
        }
    }
    return -1;
}

int units_parse_duration(const char *s, uint64_t *out_ns)
{
    static const struct {
        const char *suffix;
        double mult;
    } units[] = {
        {"", 1e9},   {"s", 1e9},  {"ns", 1},     {"us", 1e3},   {"µs", 1e3},
        {"ms", 1e6}, {"m", 60e9}, {"min", 60e9}, {"h", 3600e9},
    };
    double v;
    const char *rest;
    if (parse_number(s, &v, &rest)) return -1;
    size_t n = strlen(rest);
    while (n && isspace((unsigned char)rest[n - 1])) n--;
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
        if (strlen(units[i].suffix) == n && strncmp(rest, units[i].suffix, n) == 0) {
            double ns = v * units[i].mult;
            if (ns >= 18446744073709551615.0) return -1;
            *out_ns = (uint64_t)llround(ns);
            return 0;
        }
    }
    return -1;
}

const char *units_fmt_size(double bytes, char *buf, int len)
{
    static const char *names[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
    int i = 0;
    while (bytes >= 1024 && i < 5) bytes /= 1024, i++;
    snprintf(buf, (size_t)len, i ? "%.2f %s" : "%.0f %s", bytes, names[i]);
    return buf;
}
