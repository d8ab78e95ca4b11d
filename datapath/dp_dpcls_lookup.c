/*
 * dp_dpcls_lookup.c — the batch megaflow lookup: dp_dpcls_lookup() walks a
 * classifier's subtables in rank order, and each subtable's lookup function
 * (an instance of the one body below) hashes, probes and verifies the keys
 * still pending.
 *
 * Runs of keys on one megaflow are found first (dpcls_subtable_lookup):
 * the key after a resolved one is checked against its megaflow alone.
 * The batch body runs in three passes over the other pending keys, so that
 * the cache misses of one key overlap with the work on the others:
 *   1. hash each key under the mask, prefetch its home bucket (one line);
 *   2. find the first slot whose stored hash equals the key's (five
 *      compares per bucket, no branch per slot), prefetch that megaflow's
 *      masked key;
 *   3. verify the key against the megaflow word by word. A mismatch there
 *      is a 32-bit hash collision: the probe goes on from the next slot
 *      (dpcls_probe_rest, out of line, rare).
 * The word count 'n_words_const' is a compile-time constant in the
 * specialised instances (hash and verify unroll completely) and 0 in the
 * generic one, which reads the count from the subtable.
 *
 * Threads: lookups run on the owning PMD, lock-free, concurrently with
 * inserts and removals (dp_dpcls_private.h says how slots are published).
 * A probe always ends: tables are never more than half used, so a bucket
 * with an empty slot exists, and slots never return to empty while
 * published.
 */
#include "dp_dpcls_private.h"

#include <rte_branch_prediction.h>
#include <rte_prefetch.h>

#include "datapath/datapath.h"

_Static_assert(DP_DPCLS_MAX_BATCH == DP_BURST, "a lookup batch is a burst");
_Static_assert(DP_DPCLS_MAX_BATCH <= 32, "the hit bitmap is 32 bits");

/* Does 'key' under the subtable's mask equal the megaflow's masked key? */
static inline __attribute__((always_inline)) bool
dpcls_verify(const struct dpcls_subtable *st, const ft_key_word *words,
             const struct dp_megaflow *mf, unsigned int n_words)
{
    const uint64_t *masked = &mf->flow[FT_MAP_UNITS];
    const uint64_t *mask_values = st->mask.storage;
    uint64_t diff = 0;

#pragma GCC unroll 16
    for (unsigned int i = 0; i < n_words; i++) {
        diff |= (words[st->idx[i]] & mask_values[i]) ^ masked[i];
    }
    return !diff;
}

/* Continues a probe after a hash collision, from slot 'slot' of bucket
 * 'b', verifying every candidate with the generic compare. */
static struct dp_megaflow * __attribute__((noinline))
dpcls_probe_rest(const struct dpcls_subtable *st, const struct dpcls_table *t,
                 const ft_key_word *words, uint32_t hash, uint32_t b,
                 unsigned int slot)
{
    for (;; b = (b + 1) & t->mask, slot = 0) {
        const struct dpcls_bucket *bk = &t->buckets[b];

        for (; slot < DPCLS_BUCKET_SLOTS; slot++) {
            struct dp_megaflow *mf = __atomic_load_n(&bk->mfs[slot],
                                                     __ATOMIC_ACQUIRE);
            if (!mf) {
                return NULL;
            }
            if (mf != DPCLS_TOMBSTONE
                && __atomic_load_n(&bk->hashes[slot],
                                   __ATOMIC_RELAXED) == hash
                && dpcls_verify(st, words, mf, st->n_words)) {
                return mf;
            }
        }
    }
}

/* The slots of 'bk' whose stored hash is 'hash', as a bitmap. */
static inline __attribute__((always_inline)) uint32_t
dpcls_bucket_match(const struct dpcls_bucket *bk, uint32_t hash)
{
    uint32_t match = 0;

#pragma GCC unroll 8
    for (unsigned int i = 0; i < DPCLS_BUCKET_SLOTS; i++) {
        match |= (uint32_t) (__atomic_load_n(&bk->hashes[i], __ATOMIC_RELAXED)
                             == hash) << i;
    }
    return match;
}

static inline __attribute__((always_inline)) uint32_t
dpcls_subtable_batch(const struct dpcls_subtable *st,
                     const struct ft_key *const keys[], uint32_t pending,
                     struct dp_megaflow *rules[],
                     const unsigned int n_words_const)
{
    const unsigned int n_words = n_words_const ? n_words_const
                                               : st->n_words;
    const struct dpcls_table *t = __atomic_load_n(&st->table,
                                                  __ATOMIC_ACQUIRE);
    const uint32_t tmask = t->mask;
    uint32_t hashes[DP_DPCLS_MAX_BATCH];
    uint32_t where[DP_DPCLS_MAX_BATCH];     /* bucket << 3 | slot */
    struct dp_megaflow *cand[DP_DPCLS_MAX_BATCH];
    uint32_t candidates = 0;
    uint32_t found = 0;

    /* 1: hash under the mask, prefetch the home bucket. */
    for (uint32_t map = pending; map; map &= map - 1) {
        unsigned int i = (unsigned int) __builtin_ctz(map);
        uint32_t hash = dpcls_hash_key(ft_key_u64(keys[i]), st->idx,
                                       st->mask.storage, n_words);

        hashes[i] = hash;
        rte_prefetch0(&t->buckets[hash & tmask]);
    }

    /* 2: first slot whose hash matches, bucket by bucket; prefetch its
     * megaflow's masked key. A bucket whose last slot is empty ends the
     * probe, which at the table's load is nearly always the first. */
    for (uint32_t map = pending; map; map &= map - 1) {
        unsigned int i = (unsigned int) __builtin_ctz(map);
        uint32_t hash = hashes[i];

        for (uint32_t b = hash & tmask;; b = (b + 1) & tmask) {
            const struct dpcls_bucket *bk = &t->buckets[b];
            uint32_t match = dpcls_bucket_match(bk, hash);
            struct dp_megaflow *mf = NULL;

            for (; match; match &= match - 1) {
                unsigned int slot = (unsigned int) __builtin_ctz(match);

                mf = __atomic_load_n(&bk->mfs[slot], __ATOMIC_ACQUIRE);
                if (mf && mf != DPCLS_TOMBSTONE) {
                    cand[i] = mf;
                    where[i] = b << 3 | slot;
                    candidates |= UINT32_C(1) << i;
                    rte_prefetch0(&mf->flow[FT_MAP_UNITS]);
                    break;
                }
                mf = NULL;
            }
            if (mf || !__atomic_load_n(&bk->mfs[DPCLS_BUCKET_SLOTS - 1],
                                       __ATOMIC_ACQUIRE)) {
                break;
            }
        }
    }

    /* 3: verify. */
    for (uint32_t map = candidates; map; map &= map - 1) {
        unsigned int i = (unsigned int) __builtin_ctz(map);
        const ft_key_word *words = ft_key_u64(keys[i]);
        struct dp_megaflow *mf = cand[i];

        if (unlikely(!dpcls_verify(st, words, mf, n_words))) {
            mf = dpcls_probe_rest(st, t, words, hashes[i], where[i] >> 3,
                                  (where[i] & 7) + 1);
            if (!mf) {
                continue;
            }
        }
        rules[i] = mf;
        found |= UINT32_C(1) << i;
    }
    return found;
}

/* The keys of a burst often follow one another on one megaflow. The first
 * pending key is resolved on its own; the keys after it are verified
 * against its megaflow (one masked compare, no hash, no probe) for as long
 * as they match: megaflows never overlap, so a megaflow that matches a key
 * is its answer. The first key that does not match ends the run, and it
 * and the rest go through the batch passes. A burst of many flows pays
 * one compare and one unbatched key for it. */
static inline __attribute__((always_inline)) uint32_t
dpcls_subtable_lookup(const struct dpcls_subtable *st,
                      const struct ft_key *const keys[], uint32_t pending,
                      struct dp_megaflow *rules[],
                      const unsigned int n_words_const)
{
    const unsigned int n_words = n_words_const ? n_words_const
                                               : st->n_words;

    if (!(pending & (pending - 1))) {
        return dpcls_subtable_batch(st, keys, pending, rules, n_words_const);
    }
    unsigned int first = (unsigned int) __builtin_ctz(pending);
    uint32_t found = dpcls_subtable_batch(st, keys, UINT32_C(1) << first,
                                          rules, n_words_const);
    pending &= pending - 1;
    if (found) {
        struct dp_megaflow *mf = rules[first];

        for (uint32_t map = pending; map; map &= map - 1) {
            unsigned int i = (unsigned int) __builtin_ctz(map);

            if (!dpcls_verify(st, ft_key_u64(keys[i]), mf, n_words)) {
                break;
            }
            rules[i] = mf;
            found |= UINT32_C(1) << i;
            pending &= ~(UINT32_C(1) << i);
        }
    }
    if (pending) {
        found |= dpcls_subtable_batch(st, keys, pending, rules,
                                      n_words_const);
    }
    return found;
}

/* ---- instances ------------------------------------------------------------ */

static uint32_t
dpcls_lookup_generic(const struct dpcls_subtable *st,
                     const struct ft_key *const keys[], uint32_t pending,
                     struct dp_megaflow *rules[])
{
    return dpcls_subtable_lookup(st, keys, pending, rules, 0);
}

#define DPCLS_LOOKUP_WIDTH(N)                                               \
    static uint32_t                                                         \
    dpcls_lookup_w##N(const struct dpcls_subtable *st,                      \
                      const struct ft_key *const keys[], uint32_t pending,  \
                      struct dp_megaflow *rules[])                          \
    {                                                                       \
        return dpcls_subtable_lookup(st, keys, pending, rules, N);          \
    }

DPCLS_LOOKUP_WIDTH(1)
DPCLS_LOOKUP_WIDTH(2)
DPCLS_LOOKUP_WIDTH(3)
DPCLS_LOOKUP_WIDTH(4)
DPCLS_LOOKUP_WIDTH(5)
DPCLS_LOOKUP_WIDTH(6)
DPCLS_LOOKUP_WIDTH(7)
DPCLS_LOOKUP_WIDTH(8)
DPCLS_LOOKUP_WIDTH(9)
DPCLS_LOOKUP_WIDTH(10)

static dpcls_lookup_fn *const dpcls_lookup_by_width[] = {
    NULL,
    dpcls_lookup_w1, dpcls_lookup_w2, dpcls_lookup_w3, dpcls_lookup_w4,
    dpcls_lookup_w5, dpcls_lookup_w6, dpcls_lookup_w7, dpcls_lookup_w8,
    dpcls_lookup_w9, dpcls_lookup_w10,
};
_Static_assert(sizeof dpcls_lookup_by_width / sizeof dpcls_lookup_by_width[0]
               == DP_DPCLS_MAX_SPECIALISED + 1, "one instance per width");

dpcls_lookup_fn *
dpcls_lookup_select(unsigned int n_words, bool generic)
{
    if (!generic && n_words >= 1 && n_words <= DP_DPCLS_MAX_SPECIALISED) {
        return dpcls_lookup_by_width[n_words];
    }
    return dpcls_lookup_generic;
}

bool
dpcls_lookup_is_specialised(dpcls_lookup_fn *fn)
{
    return fn != dpcls_lookup_generic;
}

/* ---- the classifier lookup ------------------------------------------------ */

static inline void
dpcls_counter_add(uint64_t *counter, uint64_t n)
{
    __atomic_store_n(counter, __atomic_load_n(counter, __ATOMIC_RELAXED) + n,
                     __ATOMIC_RELAXED);
}

uint32_t
dp_dpcls_lookup(struct dp_dpcls *cls, const struct ft_key *const keys[],
                unsigned int n, struct dp_megaflow *rules[])
{
    if (unlikely(n > DP_DPCLS_MAX_BATCH)) {
        n = DP_DPCLS_MAX_BATCH;
    }
    const uint32_t all = n == 32 ? UINT32_MAX : (UINT32_C(1) << n) - 1;
    const struct dpcls_pvec *pvec = __atomic_load_n(&cls->pvec,
                                                    __ATOMIC_ACQUIRE);
    uint32_t pending = all;
    uint64_t subtable_lookups = 0;

    for (uint32_t rank = 0; pending && rank < pvec->n; rank++) {
        struct dpcls_subtable *st = pvec->subtables[rank];
        dpcls_lookup_fn *fn = __atomic_load_n(&st->lookup, __ATOMIC_RELAXED);
        uint32_t found = fn(st, keys, pending, rules);

        if (found) {
            unsigned int k = (unsigned int) __builtin_popcount(found);

            dpcls_counter_add(&st->hits, k);
            dpcls_counter_add(&st->hits_total, k);
            subtable_lookups += (uint64_t) (rank + 1) * k;
            pending &= ~found;
        }
    }
    for (uint32_t map = pending; map; map &= map - 1) {
        rules[__builtin_ctz(map)] = NULL;
    }

    uint32_t hits = all & ~pending;
    dpcls_counter_add(&cls->stats.lookups, n);
    if (hits) {
        dpcls_counter_add(&cls->stats.hits,
                          (uint64_t) __builtin_popcount(hits));
        dpcls_counter_add(&cls->stats.subtable_lookups, subtable_lookups);
    }
    return hits;
}

unsigned int
dp_dpcls_n_subtables(const struct dp_dpcls *cls)
{
    return __atomic_load_n(&cls->pvec, __ATOMIC_ACQUIRE)->n;
}

struct dp_megaflow *
dp_dpcls_port_megaflow(struct dp_dpcls *cls)
{
    const struct dpcls_pvec *pvec = __atomic_load_n(&cls->pvec,
                                                    __ATOMIC_ACQUIRE);
    /* The ranking puts the subtable that takes the port's traffic first;
     * a second look covers the interval before the next ranking. */
    unsigned int n = pvec->n < 2 ? pvec->n : 2;

    for (unsigned int rank = 0; rank < n; rank++) {
        struct dpcls_subtable *st = pvec->subtables[rank];

        if (st->port_only) {
            struct ft_key probe;
            const struct ft_key *keys[1] = { &probe };
            struct dp_megaflow *mf[1];

            ft_key_zero(&probe);
            probe.in_port = cls->in_port;
            dpcls_lookup_fn *fn = __atomic_load_n(&st->lookup,
                                                  __ATOMIC_RELAXED);
            return fn(st, keys, 1, mf) ? mf[0] : NULL;
        }
    }
    return NULL;
}

void
dp_dpcls_credit(struct dp_dpcls *cls, struct dp_megaflow *mf, unsigned int n)
{
    struct dpcls_subtable *st = mf->subtable;

    dpcls_counter_add(&st->hits, n);
    dpcls_counter_add(&st->hits_total, n);
    dpcls_counter_add(&cls->stats.lookups, n);
    dpcls_counter_add(&cls->stats.hits, n);
    dpcls_counter_add(&cls->stats.subtable_lookups, n);
}
