/* test_hdr.c - the HDR histogram against known distributions and direct computation. */
#include "hdr.h"
#include "testhelp.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#define HOUR_US (3600LL * 1000 * 1000)

static uint64_t rng = 88172645463325252ULL;

static uint64_t xorshift(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* |got - want| <= rel * want */
static int near(double got, double want, double rel)
{
    return fabs(got - want) <= rel * fabs(want);
}

static int same_counts(const struct hdr *a, const struct hdr *b)
{
    return a->counts_len == b->counts_len &&
           memcmp(a->counts, b->counts, (size_t)a->counts_len * sizeof *a->counts) == 0;
}

static void test_init(void)
{
    struct hdr h;
    test_eq_int(hdr_init(&h, 0, 1000, 3), -EINVAL, "lowest 0 is rejected");
    test_eq_int(hdr_init(&h, 1, 1000, 0), -EINVAL, "0 digits are rejected");
    test_eq_int(hdr_init(&h, 1, 1000, 6), -EINVAL, "6 digits are rejected");
    test_eq_int(hdr_init(&h, 10, 19, 3), -EINVAL, "highest < 2 * lowest is rejected");
    hdr_free(&h);
    test_eq_int(hdr_init(&h, 1, HOUR_US, 3), 0, "1 us .. 1 h, 3 digits");
    /* The figures HdrHistogram's own tests expect for this layout. */
    test_eq_int(h.sub_count, 2048, "2048 sub-buckets");
    test_eq_int(h.counts_len, 23552, "23552 counts, as in HdrHistogram");
    test_eq_int(hdr_total_count(&h), 0, "empty");
    test_eq_int(hdr_value_at_percentile(&h, 99), 0, "empty percentile is 0");
    test_eq_int(hdr_min(&h), 0, "empty min is 0");
    test_eq_int(hdr_max(&h), 0, "empty max is 0");
    test_ok(hdr_mean(&h) == 0 && hdr_stdev(&h) == 0, "empty mean and stdev are 0");
    hdr_free(&h);
    hdr_free(&h);
    test_ok(h.counts == NULL, "hdr_free twice is safe");
}

/* HdrHistogram's classic case: 10000 x 1 ms and one 100 s stall, in microseconds. */
static void test_classic(void)
{
    struct hdr h;
    hdr_init(&h, 1, HOUR_US, 3);
    for (int i = 0; i < 10000; i++) hdr_record(&h, 1000);
    hdr_record(&h, 100000000);
    test_eq_int(hdr_total_count(&h), 10001, "classic: 10001 values");
    test_eq_int(hdr_value_at_percentile(&h, 30), 1000, "classic: p30 = 1000");
    test_eq_int(hdr_value_at_percentile(&h, 99), 1000, "classic: p99 = 1000");
    test_eq_int(hdr_value_at_percentile(&h, 99.99), 1000, "classic: p99.99 = 1000");
    test_ok(near((double)hdr_value_at_percentile(&h, 99.999), 1e8, 1e-3),
            "classic: p99.999 ~ 100 s");
    test_eq_int(hdr_value_at_percentile(&h, 99.999), hdr_highest_equivalent(&h, 100000000),
                "classic: p99.999 is the highest equivalent of 100 s");
    test_eq_int(hdr_value_at_percentile(&h, 0), 1000, "classic: p0 = 1000");
    test_eq_int(hdr_min(&h), 1000, "classic: min = 1000");
    test_eq_int(hdr_max(&h), 100000000, "classic: max = 100 s exactly");
    double mean = (10000.0 * 1000 + 1e8) / 10001;
    double sd = sqrt((10000.0 * pow(1000 - mean, 2) + pow(1e8 - mean, 2)) / 10001);
    test_ok(near(hdr_mean(&h), mean, 1e-3), "classic: mean");
    test_ok(near(hdr_stdev(&h), sd, 1e-3), "classic: stdev");

    struct hdr_iter it;
    int n = 0, ok = 1;
    hdr_iter_init(&it, &h);
    while (hdr_iter_next(&it)) {
        if (n == 0) ok &= it.lowest == 1000 && it.highest == 1000 && it.count == 10000;
        if (n == 1) ok &= it.lowest <= 100000000 && 100000000 <= it.highest && it.count == 1;
        n++;
    }
    test_ok(ok && n == 2 && it.cumulative == 10001, "classic: iterator sees the two buckets");
    hdr_free(&h);
}

static void test_uniform(void)
{
    struct hdr h;
    hdr_init(&h, 1, HOUR_US, 3);
    double sum = 0, sq = 0;
    for (int64_t v = 1; v <= 1000000; v++) {
        hdr_record(&h, v);
        sum += (double)v;
    }
    double mean = sum / 1e6;
    for (int64_t v = 1; v <= 1000000; v++) sq += ((double)v - mean) * ((double)v - mean);
    test_eq_int(hdr_total_count(&h), 1000000, "uniform: 1e6 values");
    const double ps[] = {50, 90, 99, 99.9, 99.99};
    for (size_t i = 0; i < sizeof ps / sizeof *ps; i++) {
        double want = ceil(ps[i] / 100 * 1e6);
        int64_t got = hdr_value_at_percentile(&h, ps[i]);
        char what[64];
        snprintf(what, sizeof what, "uniform: p%g within 3 digits", ps[i]);
        test_ok(got >= want && near((double)got, want, 1e-3), what);
    }
    test_eq_int(hdr_min(&h), 1, "uniform: min");
    test_eq_int(hdr_max(&h), 1000000, "uniform: max");
    test_ok(near(hdr_mean(&h), mean, 1e-3), "uniform: mean");
    test_ok(near(hdr_stdev(&h), sqrt(sq / 1e6), 1e-3), "uniform: stdev");

    int precise = 1;
    for (int64_t v = 1; v <= 1000000; v++) {
        int64_t lo = hdr_lowest_equivalent(&h, v), hi = hdr_highest_equivalent(&h, v);
        precise &= lo <= v && v <= hi && (double)(hi - lo) <= (double)v * 1e-3;
    }
    test_ok(precise, "every value's bucket is narrower than 0.1% of it");

    struct hdr_iter it;
    int64_t sumc = 0, last = -1;
    int ordered = 1;
    hdr_iter_init(&it, &h);
    while (hdr_iter_next(&it)) {
        ordered &= it.count > 0 && it.lowest > last && it.lowest <= it.highest;
        last = it.highest;
        sumc += it.count;
    }
    test_ok(ordered && sumc == 1000000, "iterator: ordered, non-empty, adds up");
    hdr_free(&h);
}

static void test_overflow(void)
{
    struct hdr h;
    hdr_init(&h, 1, 1000, 2);
    hdr_record(&h, 10);
    hdr_record(&h, 5000);
    test_eq_int(h.overflow, 1, "overflow: one value above highest");
    test_eq_int(hdr_max(&h), 1000, "overflow: clamped to highest");
    hdr_record_n(&h, 2000, 10);
    test_eq_int(h.overflow, 11, "overflow: record_n counts every clamped value");
    test_eq_int(hdr_total_count(&h), 12, "overflow: clamped values are counted");
    hdr_record(&h, -5);
    test_eq_int(hdr_min(&h), 0, "negative values count as 0");
    test_eq_int(h.overflow, 11, "negative values are not overflow");
    hdr_record_n(&h, 7, 0);
    hdr_record_n(&h, 7, -3);
    test_eq_int(hdr_total_count(&h), 13, "record_n with count <= 0 records nothing");
    test_eq_int(hdr_value_at_percentile(&h, 100), hdr_highest_equivalent(&h, 1000),
                "overflow: p100 is the highest bucket");
    hdr_free(&h);
}

static void test_merge(void)
{
    struct hdr all, a, b;
    hdr_init(&all, 1, 10000000, 3);
    hdr_init(&a, 1, 10000000, 3);
    hdr_init(&b, 1, 10000000, 3);
    for (int i = 0; i < 200000; i++) {
        int64_t v = (int64_t)(xorshift() % 20000000); /* some overflow too */
        hdr_record(&all, v);
        hdr_record(i % 2 ? &a : &b, v);
    }
    test_eq_int(hdr_merge(&a, &b), 0, "merge: same layout is exact");
    test_ok(same_counts(&a, &all), "merge: halves == all, bucket by bucket");
    test_ok(a.total == all.total && a.overflow == all.overflow && a.min == all.min &&
                a.max == all.max,
            "merge: total, overflow, min, max");
    test_eq_int(hdr_value_at_percentile(&a, 99.9), hdr_value_at_percentile(&all, 99.9),
                "merge: same p99.9");

    hdr_reset(&a);
    struct hdr zero;
    hdr_init(&zero, 1, 10000000, 3);
    test_ok(same_counts(&a, &zero) && a.total == 0 && a.overflow == 0, "reset: all zero");
    test_ok(hdr_min(&a) == 0 && hdr_max(&a) == 0 && hdr_value_at_percentile(&a, 50) == 0,
            "reset: empty again");
    hdr_record(&a, 42);
    test_ok(hdr_min(&a) == 42 && hdr_max(&a) == 42 && hdr_total_count(&a) == 1,
            "reset: records again, min/max fresh");
    hdr_merge(&a, &zero);
    test_ok(hdr_min(&a) == 42 && hdr_total_count(&a) == 1, "merge: empty src changes nothing");
    hdr_free(&zero);
    hdr_free(&all);
    hdr_free(&a);
    hdr_free(&b);
}

static void test_stats(void)
{
    struct hdr h;
    hdr_init(&h, 1, 100000000, 3);
    enum { N = 100000 };
    static int64_t v[N];
    int64_t min = INT64_MAX, max = 0;
    double sum = 0, sq = 0;
    for (int i = 0; i < N; i++) {
        /* log-uniform-ish: latency-like spread over 5 decades */
        v[i] = 100 + (int64_t)(xorshift() % ((uint64_t)1 << (7 + i % 17)));
        hdr_record(&h, v[i]);
        sum += (double)v[i];
        min = v[i] < min ? v[i] : min;
        max = v[i] > max ? v[i] : max;
    }
    double mean = sum / N;
    for (int i = 0; i < N; i++) sq += ((double)v[i] - mean) * ((double)v[i] - mean);
    test_eq_int(hdr_min(&h), min, "stats: exact min");
    test_eq_int(hdr_max(&h), max, "stats: exact max");
    test_ok(near(hdr_mean(&h), mean, 1e-3), "stats: mean within 0.1%");
    test_ok(near(hdr_stdev(&h), sqrt(sq / N), 1e-3), "stats: stdev within 0.1%");
    hdr_free(&h);
}

static void test_merge_layouts(void)
{
    struct hdr src, dst, wide, ns;
    hdr_init(&src, 1, 1000000, 3); /* us, 1 s */
    hdr_init(&dst, 1, 10000000, 2);
    hdr_init(&wide, 1, 10000000, 3);
    hdr_init(&ns, 1000, 10000000000LL, 3);
    for (int i = 0; i < 100000; i++) hdr_record(&src, 1 + (int64_t)(xorshift() % 500000));

    test_eq_int(hdr_merge(&wide, &src), 0, "layouts: larger highest, same digits is exact");
    test_eq_int(hdr_value_at_percentile(&wide, 99), hdr_value_at_percentile(&src, 99),
                "layouts: exact merge keeps p99");

    test_eq_int(hdr_merge(&dst, &src), 1, "layouts: other digits re-bin");
    test_eq_int(hdr_total_count(&dst), 100000, "layouts: every value arrives");
    test_ok(hdr_min(&dst) == hdr_min(&src) && hdr_max(&dst) == hdr_max(&src),
            "layouts: min and max stay exact");
    int close = 1;
    for (double p = 10; p < 100; p += 10)
        close &= near((double)hdr_value_at_percentile(&dst, p),
                      (double)hdr_value_at_percentile(&src, p), 1e-2);
    test_ok(close, "layouts: percentiles within 2 digits");
    test_ok(near(hdr_mean(&dst), hdr_mean(&src), 1e-2), "layouts: mean within 2 digits");

    hdr_merge_scaled(&ns, &src, 1000.0);
    test_ok(near((double)hdr_value_at_percentile(&ns, 50),
                 1000.0 * (double)hdr_value_at_percentile(&src, 50), 2e-3),
            "layouts: us into ns, p50 scaled");
    test_eq_int(hdr_max(&ns), 1000 * hdr_max(&src), "layouts: us into ns, exact max");

    /* Overflow: 3 values beyond dst, one of which had already overflowed src. */
    struct hdr big, small;
    hdr_init(&big, 1, 1000000, 3);
    hdr_init(&small, 1, 100000, 2);
    hdr_record_n(&big, 500, 1000);
    hdr_record(&big, 5000000); /* big's overflow, clamped to 1000000 */
    hdr_record(&big, 900000);
    hdr_record(&big, 800000);
    hdr_merge(&small, &big);
    test_eq_int(small.overflow, 3, "layouts: overflow counted once per value");
    test_eq_int(hdr_max(&small), 100000, "layouts: max clamped to dst highest");
    test_eq_int(hdr_min(&small), 500, "layouts: exact min");
    test_eq_int(hdr_total_count(&small), 1003, "layouts: total");
    hdr_free(&big);
    hdr_free(&small);
    hdr_free(&src);
    hdr_free(&dst);
    hdr_free(&wide);
    hdr_free(&ns);
}

int main(void)
{
    test_init();
    test_classic();
    test_uniform();
    test_overflow();
    test_merge();
    test_stats();
    test_merge_layouts();
    return test_done();
}
