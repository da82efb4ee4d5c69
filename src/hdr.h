/* hdr.h - HDR histogram (Gil Tene's HdrHistogram algorithm) with int64 counts.
 *
 * Values are integers in whatever unit the caller picks (s3dlua records microseconds by
 * default). A histogram keeps `digits` significant decimal digits for every value between
 * `lowest` and `highest`: each power-of-two bucket is split into sub-buckets fine enough that
 * the relative error stays below 10^-digits. Recording is an index computation and an
 * increment; percentiles walk the counts. Histograms of the same layout merge exactly.
 *
 * The caller owns struct hdr (it may live inside a Lua userdata); hdr_init allocates only the
 * counts array, hdr_free releases it. Not thread-safe: one histogram per thread, merged after. */
#ifndef S3D_HDR_H
#define S3D_HDR_H
#include <stdbool.h>
#include <stdint.h>

struct hdr {
    int64_t lowest;  /* lowest discernible value, >= 1 */
    int64_t highest; /* highest trackable value; larger values are clamped to it */
    int digits;      /* significant figures, 1..5 */
    int unit_magnitude;
    int sub_half_magnitude; /* log2(sub_half) */
    int lzc_base;           /* leading-zero count base for the bucket index */
    int32_t sub_count;      /* sub-buckets per bucket */
    int32_t sub_half;
    int64_t sub_mask;
    int32_t bucket_count;
    int32_t counts_len;
    int64_t total;    /* values recorded, overflowed ones included */
    int64_t overflow; /* values that were above highest and recorded as highest */
    int64_t min, max; /* exact recorded extremes (after clamping) */
    int64_t *counts;
};

/* One non-empty bucket, as seen by the iterator. */
struct hdr_iter {
    const struct hdr *h;
    int32_t index;  /* counts index of the current bucket */
    int64_t count;  /* values in it */
    int64_t lowest; /* its value range, [lowest, highest] */
    int64_t highest;
    int64_t cumulative; /* values in this bucket and every bucket before it */
};

/* Sets up h for values in [lowest, highest] with `digits` significant figures.
 * Returns 0, -EINVAL for lowest < 1, highest < 2 * lowest or digits outside 1..5, or
 * -ENOMEM; on error h owns nothing and hdr_free(h) is still safe. */
int hdr_init(struct hdr *h, int64_t lowest, int64_t highest, int digits);
/* Releases the counts. Safe on a zeroed or already freed struct. */
void hdr_free(struct hdr *h);

/* Counts `count` occurrences of value. Never fails: values above highest count as highest
 * (and in h->overflow), negative values count as 0, count <= 0 records nothing. */
void hdr_record_n(struct hdr *h, int64_t value, int64_t count);
/* hdr_record_n(h, value, 1). */
void hdr_record(struct hdr *h, int64_t value);

/* The value below which `percentile` percent (0..100, clamped) of the recorded values fall,
 * as HdrHistogram reports it: the highest value equivalent to the bucket where the count is
 * reached (the lowest one for percentile 0). Returns 0 for an empty histogram. */
int64_t hdr_value_at_percentile(const struct hdr *h, double percentile);
/* Exact smallest / largest recorded value; 0 for an empty histogram. */
int64_t hdr_min(const struct hdr *h);
int64_t hdr_max(const struct hdr *h);
/* Mean and population standard deviation over bucket midpoints (HdrHistogram's definition,
 * accurate to the histogram's precision); 0 for an empty histogram. */
double hdr_mean(const struct hdr *h);
double hdr_stdev(const struct hdr *h);
/* Number of recorded values. */
int64_t hdr_total_count(const struct hdr *h);
/* Forgets every value; keeps the layout and the memory. */
void hdr_reset(struct hdr *h);

/* Adds src into dst. Exact (counts added) when both have the same precision and unit
 * magnitude and src->highest <= dst->highest; otherwise each of src's buckets is re-recorded
 * at its midpoint into dst's layout. Never fails; returns 0 when exact, 1 when re-binned. */
int hdr_merge(struct hdr *dst, const struct hdr *src);
/* Like the re-binning path of hdr_merge, with src's values multiplied by factor first (to
 * merge histograms recorded in different units, e.g. 1000.0 for microseconds into ns). */
void hdr_merge_scaled(struct hdr *dst, const struct hdr *src, double factor);

/* Iterates over the non-empty buckets in increasing value order:
 *   struct hdr_iter it; hdr_iter_init(&it, h); while (hdr_iter_next(&it)) use(it.count...);
 * The histogram must not change meanwhile. hdr_iter_next returns false at the end. */
void hdr_iter_init(struct hdr_iter *it, const struct hdr *h);
bool hdr_iter_next(struct hdr_iter *it);

/* Value range of the bucket that holds value (HdrHistogram's "equivalent values"). */
int64_t hdr_lowest_equivalent(const struct hdr *h, int64_t value);
int64_t hdr_highest_equivalent(const struct hdr *h, int64_t value);
#endif
