/*
 * dp_dpcls_private.h — layouts shared by dp_dpcls.c (containers, inserts,
 * removals, ranking, reclaim) and dp_dpcls_lookup.c (the batch lookup and
 * its specialised instances). Nothing outside datapath/ includes it; the
 * model and the thread rules are in dp_dpcls.h.
 *
 * Subtable tables are open-addressing hash tables of cache-line buckets,
 * probed bucket after bucket from the hash's home bucket. A slot goes
 * empty -> megaflow -> tombstone -> megaflow... and never back to empty,
 * so a reader never stops early; a table is at most half full (tombstones
 * included), so a probe always ends, nearly always in its home bucket.
 *
 * Fields are marked:
 *   "RCU"    published with a release store, read with an acquire load,
 *            the old object retired (freed after a grace period);
 *   "lookup" written by the lookup thread (the owning PMD) with relaxed
 *            stores, read by anyone;
 *   "lock"   changed only under the classifier's spinlock, never read by
 *            lookups;
 *   otherwise immutable once published.
 */
#ifndef VSWITCH_DATAPATH_DP_DPCLS_PRIVATE_H
#define VSWITCH_DATAPATH_DP_DPCLS_PRIVATE_H

#include <stdint.h>

#include <rte_hash_crc.h>
#include <rte_spinlock.h>

#include "dp_dpcls.h"

/* A slot whose megaflow was removed: probes go on past it. */
#define DPCLS_TOMBSTONE ((struct dp_megaflow *) (uintptr_t) 1)
/* Seed of the subtable hash (any constant; distinct from the EMC's). */
#define DPCLS_HASH_BASIS 0x2f8c6b1du
/* Slots per bucket: five hashes and five pointers fill a cache line. */
#define DPCLS_BUCKET_SLOTS 5
/* Buckets of a new subtable's table: one or two megaflows per mask are
 * common (a port's few flows), so start small. */
#define DPCLS_MIN_BUCKETS 2

/* One cache line of a subtable's hash table. Within a bucket the empty
 * slots are always the last ones (an insert takes the first free slot of
 * the first bucket that has one), so "the last slot is empty" means "the
 * probe ends here". A slot's hash is written before its megaflow pointer
 * is published (release), and a tombstone keeps its old hash. */
struct dpcls_bucket {
    uint32_t hashes[DPCLS_BUCKET_SLOTS];
    uint32_t pad;
    struct dp_megaflow *mfs[DPCLS_BUCKET_SLOTS];  /* RCU: NULL, megaflow
                                                     or TOMBSTONE */
} __attribute__((aligned(64)));

_Static_assert(sizeof(struct dpcls_bucket) == 64, "a bucket is a line");

struct dpcls_table {
    struct dp_rcu_node rcu;
    uint32_t mask;                  /* n_buckets - 1 */
    uint32_t n_used;                /* lock: live + tombstone slots */
    uint32_t n_live;                /* lock */
    struct dpcls_bucket buckets[];
};

/* Looks up the keys of 'pending' (a bitmap over keys[]) in one subtable;
 * returns the bitmap of those found, with rules[i] set for each. */
typedef uint32_t dpcls_lookup_fn(const struct dpcls_subtable *,
                                 const struct ft_key *const keys[],
                                 uint32_t pending,
                                 struct dp_megaflow *rules[]);

/* Embeds struct ft_miniflow_buf, which ends in a flexible array member,
 * before other fields: a GNU extension gcc accepts silently and clang
 * warns about (see ft_key.h's own use). */
#if defined(__clang__)
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wgnu-variable-sized-type-not-at-end"
#endif
struct dpcls_subtable {
    /* What lookups read. */
    dpcls_lookup_fn *lookup;        /* atomic: switched by set_lookup_impl */
    struct dpcls_table *table;      /* RCU */
    uint32_t n_words;
    bool port_only;                 /* the mask has in_port and recirc_id
                                       bits only (dp_dpcls_port_megaflow) */
    uint8_t idx[FT_KEY_U64S];       /* key word of each mask value */
    /* The mask as a miniflow; its values are the per-word masks. */
    struct ft_miniflow_buf mask;

    uint64_t hits;                  /* lookup: since the last ranking */
    uint64_t hits_total;            /* lookup */
    uint32_t n_flows;               /* lock */
    struct dp_rcu_node rcu;
};
#if defined(__clang__)
#pragma clang diagnostic pop
#endif

/* The subtables in search order. */
struct dpcls_pvec {
    struct dp_rcu_node rcu;
    uint32_t n;
    struct dpcls_subtable *subtables[];
};

struct dp_dpcls {
    struct dpcls_pvec *pvec;        /* RCU */
    struct dp_flow_cache *fc;
    uint32_t in_port;
    struct dp_dpcls_stats stats;    /* lookup */
    int64_t next_sort_ms;           /* lock */
    rte_spinlock_t lock;
};

/* Mixes the CRC so that every bit of the index depends on every input bit
 * (CRC is linear; the table index takes the low bits). */
static inline uint32_t
dpcls_hash_finish(uint32_t hash)
{
    hash ^= hash >> 16;
    hash *= 0x85ebca6bu;
    hash ^= hash >> 13;
    hash *= 0xc2b2ae35u;
    hash ^= hash >> 16;
    return hash;
}

/* The subtable hash of a packet's key: CRC32-C over the key's words under
 * the mask, in word order. Always inline: 'n' is a constant in the
 * specialised lookups, and the loop then unrolls. */
static inline __attribute__((always_inline)) uint32_t
dpcls_hash_key(const ft_key_word *words, const uint8_t *idx,
               const uint64_t *mask_values, unsigned int n)
{
    uint32_t hash = DPCLS_HASH_BASIS;

    /* -O2 alone does not peel a 4..10-trip loop; the instances need it. */
#pragma GCC unroll 16
    for (unsigned int i = 0; i < n; i++) {
        hash = rte_hash_crc_8byte(words[idx[i]] & mask_values[i], hash);
    }
    return dpcls_hash_finish(hash);
}

/* The same hash from the already masked values of a megaflow. */
static inline uint32_t
dpcls_hash_masked(const uint64_t *values, unsigned int n)
{
    uint32_t hash = DPCLS_HASH_BASIS;

    for (unsigned int i = 0; i < n; i++) {
        hash = rte_hash_crc_8byte(values[i], hash);
    }
    return dpcls_hash_finish(hash);
}

/* The lookup instance for a subtable of 'n_words' words. */
dpcls_lookup_fn *dpcls_lookup_select(unsigned int n_words, bool generic);
bool dpcls_lookup_is_specialised(dpcls_lookup_fn *);

#endif
