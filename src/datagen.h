/* datagen.h - data with exact dedup and compression ratios (DESIGN 5).
 *
 * An object of `size` bytes is made of blocks (1 MiB default). With dedup N,
 * block i holds unique block (i mod ceil(nblocks / N)): 1 block in N is unique.
 * With compress N, every 4 KiB page of a block starts with ceil(4096 / N)
 * bytes (rounded up to 8) of random-looking data and the rest is zero, so any
 * compressor, whatever its chunk size from 4 KiB up, gets about N:1;
 * compress 1 is incompressible. The bytes are a pure function of (seed, block
 * index, options): any range can be regenerated anywhere, for verification.
 *
 * How: a unique block's 64-bit word j is T[j mod 128Ki] ^ (key + j * K), T a
 * fixed 1 MiB table of xoshiro256++ output made once per process, key a hash
 * of (seed, unique block index), K odd. Two different keys differ in every
 * word, so no 8-byte-aligned piece of one block equals the same piece of
 * another (no dedup between blocks or seeds), and the xor with T leaves the
 * data as incompressible as T. Generating is a load, an add, a xor and a store
 * per 8 bytes: memory speed, no state but the key. */
#ifndef S3D_DATAGEN_H
#define S3D_DATAGEN_H
#include <stddef.h>
#include <stdint.h>

#define DATAGEN_PAGE          4096
#define DATAGEN_DEFAULT_BLOCK (1u << 20)
#define DATAGEN_UNBOUNDED     UINT64_MAX /* a size for a stream without end */

typedef struct datagen {
    uint64_t size;     /* bytes; DATAGEN_UNBOUNDED: no end (then dedup must be 1) */
    uint64_t block;    /* bytes per block, a multiple of 8, >= DATAGEN_PAGE */
    uint32_t dedup;    /* 1..: 1 block in `dedup` is unique */
    uint32_t compress; /* 1..: each page compresses about compress:1 */
    uint64_t seed;
    uint64_t nunique;      /* unique blocks (0: every block is unique) */
    uint32_t random_bytes; /* per page: the random-looking head, then zeros */
    uint64_t seed_key;     /* hash of the seed, the start of every block key */
} datagen;

/* Sets g up; returns 0, or -1 with a reason in err. */
int datagen_init(datagen *g, uint64_t size, uint64_t block, uint32_t dedup, uint32_t compress,
                 uint64_t seed, char *err, size_t errlen);
/* The bytes [off, off + len) of the object into dst (len need not stop at the
 * object's end: the pattern goes on). */
void datagen_fill(const datagen *g, uint64_t off, char *dst, size_t len);
/* Compares src with the bytes [off, off + len); returns the index in src of
 * the first difference, or len when they are equal. */
size_t datagen_verify(const datagen *g, uint64_t off, const char *src, size_t len);
/* The seed of object `index` of a set made from `base` (put --num): objects
 * of one set share no block. */
uint64_t datagen_derive_seed(uint64_t base, uint64_t index);
/* splitmix64's finalizer: a bijective 64-bit mix. */
uint64_t datagen_mix64(uint64_t x);
#endif
