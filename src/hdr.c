/* hdr.c - HDR histogram: layout, recording, percentiles, merging, iteration.
 *
 * Layout (as in HdrHistogram): bucket 0 holds sub_count sub-buckets of width 2^unit_magnitude;
 * each next bucket covers twice the range with half as many new sub-buckets (its lower half
 * overlaps the previous bucket), so counts_len = (bucket_count + 1) * sub_half and the width
 * doubles every bucket while the relative precision stays constant. */
#include "hdr.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Which power-of-two bucket holds v: the position of v's top bit above the first bucket's
 * range. OR-ing sub_mask makes every small value land in bucket 0 without a branch. */
static inline int32_t bucket_of(const struct hdr *h, int64_t v)
{
    return h->lzc_base - __builtin_clzll((uint64_t)(v | h->sub_mask));
}

static inline int32_t counts_index(const struct hdr *h, int64_t v)
{
    int32_t b = bucket_of(h, v);
    int32_t sub = (int32_t)(v >> (b + h->unit_magnitude));
    return ((b + 1) << h->sub_half_magnitude) + (sub - h->sub_half);
}

/* Lowest value of the sub-bucket at counts index i, and the sub-bucket's width. */
static int64_t index_lowest(const struct hdr *h, int32_t i, int64_t *width)
{
    int32_t b = (i >> h->sub_half_magnitude) - 1;
    int32_t sub = (i & (h->sub_half - 1)) + h->sub_half;
    if (b < 0) {
        sub -= h->sub_half;
        b = 0;
    }
    if (width) *width = (int64_t)1 << (b + h->unit_magnitude);
    return (int64_t)sub << (b + h->unit_magnitude);
}

/* Buckets needed so that `value` falls below the last bucket's top. */
static int32_t buckets_for(const struct hdr *h, int64_t value)
{
    int64_t top = (int64_t)h->sub_count << h->unit_magnitude;
    int32_t n = 1;
    while (top <= value) {
        if (top > INT64_MAX / 2) return n + 1;
        top <<= 1;
        n++;
    }
    return n;
}

int hdr_init(struct hdr *h, int64_t lowest, int64_t highest, int digits)
{
    memset(h, 0, sizeof *h);
    if (lowest < 1 || digits < 1 || digits > 5 || highest / 2 < lowest) return -EINVAL;

    /* 2 * 10^digits values at unit resolution keep the relative error under 10^-digits. */
    int64_t single_unit = 2;
    for (int i = 0; i < digits; i++) single_unit *= 10;
    int sub_magnitude = 0;
    while (((int64_t)1 << sub_magnitude) < single_unit) sub_magnitude++;

    h->lowest = lowest;
    h->highest = highest;
    h->digits = digits;
    h->unit_magnitude = 63 - __builtin_clzll((uint64_t)lowest);
    h->sub_half_magnitude = sub_magnitude - 1;
    if (h->unit_magnitude + h->sub_half_magnitude > 61) return -EINVAL;
    h->sub_count = (int32_t)1 << sub_magnitude;
    h->sub_half = h->sub_count / 2;
    h->sub_mask = (int64_t)(h->sub_count - 1) << h->unit_magnitude;
    h->lzc_base = 64 - h->unit_magnitude - h->sub_half_magnitude - 1;
    h->bucket_count = buckets_for(h, highest);
    h->counts_len = (h->bucket_count + 1) * h->sub_half;
    h->counts = calloc((size_t)h->counts_len, sizeof *h->counts);
    if (!h->counts) return -ENOMEM;
    h->min = INT64_MAX;
    return 0;
}

void hdr_free(struct hdr *h)
{
    free(h->counts);
    h->counts = NULL;
}

/* The recording core, for values already known to be in [0, highest]. */
static inline void add_at(struct hdr *h, int64_t v, int64_t n)
{
    h->counts[counts_index(h, v)] += n;
    h->total += n;
    if (v < h->min) h->min = v;
    if (v > h->max) h->max = v;
}

void hdr_record(struct hdr *h, int64_t value)
{
    /* One unsigned compare catches both negative and too large values. */
    if ((uint64_t)value > (uint64_t)h->highest) {
        if (value < 0) {
            value = 0;
        } else {
            value = h->highest;
            h->overflow++;
        }
    }
    add_at(h, value, 1);
}

void hdr_record_n(struct hdr *h, int64_t value, int64_t count)
{
    if (count <= 0) return;
    if ((uint64_t)value > (uint64_t)h->highest) {
        if (value < 0) {
            value = 0;
        } else {
            value = h->highest;
            h->overflow += count;
        }
    }
    add_at(h, value, count);
}

int64_t hdr_lowest_equivalent(const struct hdr *h, int64_t value)
{
    if (value < 0) value = 0;
    return index_lowest(h, counts_index(h, value), NULL);
}

int64_t hdr_highest_equivalent(const struct hdr *h, int64_t value)
{
    int64_t width;
    if (value < 0) value = 0;
    int64_t lo = index_lowest(h, counts_index(h, value), &width);
    return lo + (width - 1);
}

int64_t hdr_value_at_percentile(const struct hdr *h, double percentile)
{
    if (h->total == 0) return 0;
    double p = percentile > 0 ? percentile : 0; /* NaN too */
    if (p > 100) p = 100;
    int64_t want = (int64_t)(p / 100 * (double)h->total + 0.5);
    if (want < 1) want = 1;
    int64_t seen = 0;
    for (int32_t i = 0; i < h->counts_len; i++) {
        seen += h->counts[i];
        if (seen >= want) {
            int64_t width, lo = index_lowest(h, i, &width);
            return p == 0 ? lo : lo + (width - 1);
        }
    }
    return 0; /* not reached while counts and total agree */
}

int64_t hdr_min(const struct hdr *h)
{
    return h->total ? h->min : 0;
}

int64_t hdr_max(const struct hdr *h)
{
    return h->total ? h->max : 0;
}

int64_t hdr_total_count(const struct hdr *h)
{
    return h->total;
}

static double midpoint(const struct hdr_iter *it)
{
    return (double)it->lowest + (double)((it->highest - it->lowest + 1) >> 1);
}

double hdr_mean(const struct hdr *h)
{
    if (h->total == 0) return 0;
    double sum = 0;
    struct hdr_iter it;
    hdr_iter_init(&it, h);
    while (hdr_iter_next(&it)) sum += midpoint(&it) * (double)it.count;
    return sum / (double)h->total;
}

double hdr_stdev(const struct hdr *h)
{
    if (h->total == 0) return 0;
    double mean = hdr_mean(h), sum = 0;
    struct hdr_iter it;
    hdr_iter_init(&it, h);
    while (hdr_iter_next(&it)) {
        double d = midpoint(&it) - mean;
        sum += d * d * (double)it.count;
    }
    return sqrt(sum / (double)h->total);
}

void hdr_reset(struct hdr *h)
{
    memset(h->counts, 0, (size_t)h->counts_len * sizeof *h->counts);
    h->total = h->overflow = h->max = 0;
    h->min = INT64_MAX;
}

int hdr_merge(struct hdr *dst, const struct hdr *src)
{
    /* Same sub-bucket geometry and a range dst covers: index i means the same values in
     * both, so adding counts is exact. */
    if (src->unit_magnitude == dst->unit_magnitude &&
        src->sub_half_magnitude == dst->sub_half_magnitude && src->highest <= dst->highest) {
        for (int32_t i = 0; i < src->counts_len; i++) dst->counts[i] += src->counts[i];
        dst->total += src->total;
        dst->overflow += src->overflow;
        if (src->total && src->min < dst->min) dst->min = src->min;
        if (src->total && src->max > dst->max) dst->max = src->max;
        return 0;
    }
    hdr_merge_scaled(dst, src, 1.0);
    return 1;
}

static int64_t scale(int64_t v, double factor)
{
    if (factor == 1.0) return v; /* stay exact above 2^53 */
    double x = (double)v * factor;
    if (!(x > 0)) return 0;
    if (x >= 9.2e18) return INT64_MAX;
    return (int64_t)(x + 0.5);
}

void hdr_merge_scaled(struct hdr *dst, const struct hdr *src, double factor)
{
    if (src->total == 0) return;
    int64_t min = dst->min, max = dst->max;
    /* src's own overflow sits in the bucket of src->highest; count it once, whether or
     * not that bucket overflows dst too. */
    int64_t overflow = src->overflow;
    int64_t src_top = hdr_lowest_equivalent(src, src->highest);
    struct hdr_iter it;
    hdr_iter_init(&it, src);
    while (hdr_iter_next(&it)) {
        /* The midpoint is the least biased stand-in for the values of a src bucket. */
        int64_t v = scale(it.lowest + ((it.highest - it.lowest + 1) >> 1), factor);
        if (v > dst->highest) {
            v = dst->highest;
            overflow += it.count - (it.lowest == src_top ? src->overflow : 0);
        }
        add_at(dst, v, it.count);
    }
    dst->overflow += overflow;
    /* The extremes are known exactly; don't let midpoints blur them. */
    int64_t smin = scale(src->min, factor), smax = scale(src->max, factor);
    if (smin > dst->highest) smin = dst->highest;
    if (smax > dst->highest) smax = dst->highest;
    dst->min = smin < min ? smin : min;
    dst->max = smax > max ? smax : max;
}

void hdr_iter_init(struct hdr_iter *it, const struct hdr *h)
{
    memset(it, 0, sizeof *it);
    it->h = h;
    it->index = -1;
}

bool hdr_iter_next(struct hdr_iter *it)
{
    const struct hdr *h = it->h;
    /* Stopping once every value has been seen skips the empty tail of the counts. */
    for (int32_t i = it->index + 1; i < h->counts_len && it->cumulative < h->total; i++) {
        if (h->counts[i] == 0) continue;
        int64_t width;
        it->index = i;
        it->count = h->counts[i];
        it->cumulative += it->count;
        it->lowest = index_lowest(h, i, &width);
        it->highest = it->lowest + (width - 1);
        return true;
    }
    it->index = h->counts_len;
    it->count = 0;
    return false;
}
