/* datagen.c - the generator of datagen.h. */
#include "datagen.h"
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define TABLE_WORDS (1u << 17) /* 1 MiB: stays in L2/L3 while blocks stream through */
#define TABLE_MASK  (TABLE_WORDS - 1)
#define STEP        0x9e3779b97f4a7c15ull /* odd: key + j * STEP differs for every key */

static uint64_t table[TABLE_WORDS];
static pthread_once_t table_once = PTHREAD_ONCE_INIT;

uint64_t datagen_mix64(uint64_t x)
{
    x += STEP;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

/* xoshiro256++ from a fixed seed: the same table in every process */
static void make_table(void)
{
    uint64_t s[4];
    for (int i = 0; i < 4; i++) s[i] = datagen_mix64(0x5333444c5541ull + (uint64_t)i);
    for (uint32_t i = 0; i < TABLE_WORDS; i++) {
        table[i] = rotl(s[0] + s[3], 23) + s[0];
        uint64_t t = s[1] << 17;
        s[2] ^= s[0], s[3] ^= s[1], s[1] ^= s[2], s[0] ^= s[3];
        s[2] ^= t;
        s[3] = rotl(s[3], 45);
    }
}

/* The bytes are the little-endian form of the words on every machine. */
static inline uint64_t le64(uint64_t x)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    return __builtin_bswap64(x);
#else
    return x;
#endif
}

static inline uint64_t word(uint64_t key, uint64_t j)
{
    return le64(table[j & TABLE_MASK] ^ (key + j * STEP));
}

/* Words [j, j + n) of key's stream into dst (any alignment). */
static void put_words(uint64_t key, uint64_t j, char *dst, size_t n)
{
    while (n) {
        size_t t = (size_t)(j & TABLE_MASK), run = TABLE_WORDS - t;
        if (run > n) run = n;
        const uint64_t *tp = table + t;
        uint64_t s = key + j * STEP;
        size_t i = 0;
#if defined(__SSE2__) && !(defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__)
        /* four 16-byte lanes per turn: two words each, the second word one STEP on */
        __m128i k0 = _mm_set_epi64x((long long)(s + STEP), (long long)s);
        const __m128i step2 = _mm_set1_epi64x((long long)(2 * STEP));
        const __m128i step8 = _mm_set1_epi64x((long long)(8 * STEP));
        __m128i k1 = _mm_add_epi64(k0, step2), k2 = _mm_add_epi64(k1, step2),
                k3 = _mm_add_epi64(k2, step2);
        for (; i + 8 <= run; i += 8) {
            __m128i a = _mm_loadu_si128((const __m128i *)(tp + i));
            __m128i b = _mm_loadu_si128((const __m128i *)(tp + i + 2));
            __m128i c = _mm_loadu_si128((const __m128i *)(tp + i + 4));
            __m128i d = _mm_loadu_si128((const __m128i *)(tp + i + 6));
            _mm_storeu_si128((__m128i *)(dst + 8 * i), _mm_xor_si128(a, k0));
            _mm_storeu_si128((__m128i *)(dst + 8 * i + 16), _mm_xor_si128(b, k1));
            _mm_storeu_si128((__m128i *)(dst + 8 * i + 32), _mm_xor_si128(c, k2));
            _mm_storeu_si128((__m128i *)(dst + 8 * i + 48), _mm_xor_si128(d, k3));
            k0 = _mm_add_epi64(k0, step8), k1 = _mm_add_epi64(k1, step8);
            k2 = _mm_add_epi64(k2, step8), k3 = _mm_add_epi64(k3, step8);
        }
        s += i * STEP;
#endif
        for (; i < run; i++, s += STEP) {
            uint64_t w = le64(tp[i] ^ s);
            memcpy(dst + 8 * i, &w, 8);
        }
        dst += 8 * run, j += run, n -= run;
    }
}

/* Bytes [in, in + n) of key's stream (offsets within the block). */
static void put_bytes(uint64_t key, uint64_t in, char *dst, size_t n)
{
    uint64_t j = in / 8;
    size_t skip = (size_t)(in % 8);
    if (skip) {
        uint64_t w = word(key, j++);
        size_t take = 8 - skip < n ? 8 - skip : n;
        memcpy(dst, (const char *)&w + skip, take);
        dst += take, n -= take;
    }
    size_t nw = n / 8;
    put_words(key, j, dst, nw);
    dst += 8 * nw, j += nw, n -= 8 * nw;
    if (n) {
        uint64_t w = word(key, j);
        memcpy(dst, &w, n);
    }
}

static uint64_t block_key(const datagen *g, uint64_t b)
{
    uint64_t u = g->nunique ? b % g->nunique : b;
    return datagen_mix64(g->seed_key + datagen_mix64(u));
}

/* Bytes [in, in + n) of one block: per page, the random head, then zeros. */
static void fill_block(const datagen *g, uint64_t key, uint64_t in, char *dst, size_t n)
{
    if (g->random_bytes >= DATAGEN_PAGE) return put_bytes(key, in, dst, n);
    while (n) {
        size_t po = (size_t)(in % DATAGEN_PAGE), pn = DATAGEN_PAGE - po, rn = 0;
        if (pn > n) pn = n;
        if (po < g->random_bytes) {
            rn = g->random_bytes - po < pn ? g->random_bytes - po : pn;
            put_bytes(key, in, dst, rn);
        }
        memset(dst + rn, 0, pn - rn);
        in += pn, dst += pn, n -= pn;
    }
}

int datagen_init(datagen *g, uint64_t size, uint64_t block, uint32_t dedup, uint32_t compress,
                 uint64_t seed, char *err, size_t errlen)
{
    pthread_once(&table_once, make_table);
    memset(g, 0, sizeof *g);
    if (block < DATAGEN_PAGE || block % DATAGEN_PAGE) {
        snprintf(err, errlen, "block %llu: a multiple of 4 KiB", (unsigned long long)block);
        return -1;
    }
    if (dedup < 1 || compress < 1) {
        snprintf(err, errlen, "dedup and compress are ratios of at least 1");
        return -1;
    }
    if (dedup > 1 && size == DATAGEN_UNBOUNDED) {
        snprintf(err, errlen,
                 "dedup needs the size (blocks repeat with a period of ceil(blocks / dedup))");
        return -1;
    }
    g->size = size;
    g->block = block;
    g->dedup = dedup;
    g->compress = compress;
    g->seed = seed;
    g->seed_key = datagen_mix64(seed ^ 0x64617461ull);
    if (size != DATAGEN_UNBOUNDED) {
        uint64_t nblocks = size / block + (size % block != 0);
        g->nunique = (nblocks + dedup - 1) / dedup;
    }
    uint32_t r = (DATAGEN_PAGE + compress - 1) / compress;
    g->random_bytes = (r + 7) & ~7u;
    return 0;
}

void datagen_fill(const datagen *g, uint64_t off, char *dst, size_t len)
{
    while (len) {
        uint64_t b = off / g->block, in = off % g->block;
        size_t n = g->block - in < len ? (size_t)(g->block - in) : len;
        fill_block(g, block_key(g, b), in, dst, n);
        off += n, dst += n, len -= n;
    }
}

size_t datagen_verify(const datagen *g, uint64_t off, const char *src, size_t len)
{
    char want[16384];
    size_t done = 0;
    while (done < len) {
        size_t n = len - done < sizeof want ? len - done : sizeof want;
        datagen_fill(g, off + done, want, n);
        if (memcmp(want, src + done, n)) {
            size_t i = 0;
            while (want[i] == src[done + i]) i++;
            return done + i;
        }
        done += n;
    }
    return len;
}

uint64_t datagen_derive_seed(uint64_t base, uint64_t index)
{
    return datagen_mix64(datagen_mix64(base) ^ (index * 0xd6e8feb86659fd93ull));
}
