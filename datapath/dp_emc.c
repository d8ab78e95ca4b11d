/*
 * dp_emc.c — the exact-match cache of a PMD worker (model in dp_emc.h).
 *
 * An entry is one 256-byte, cache-aligned block: megaflow pointer and hash
 * first (the line a lookup prefetches and checks), then the whole key. The
 * cache is private to its PMD, so nothing here is atomic except the
 * counters main reads and the insertion probability main may change.
 */
#include "dp_emc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_prefetch.h>

_Static_assert(offsetof(struct ft_key, ipv6_dst)
               == offsetof(struct ft_key, ipv6_src) + 16,
               "dp_key_hash_5tuple hashes both IPv6 addresses at once");
_Static_assert(offsetof(struct ft_key, dl_src)
               == offsetof(struct ft_key, dl_dst) + 6
               && offsetof(struct ft_key, dl_type)
                  == offsetof(struct ft_key, dl_src) + 6,
               "dp_key_hash_5tuple hashes MACs and type at once");

struct dp_emc_entry {
    struct dp_megaflow *mf;         /* NULL: empty */
    uint32_t hash;
    uint32_t pad;
    struct ft_key key;
} __attribute__((aligned(RTE_CACHE_LINE_SIZE)));

struct dp_emc {
    struct dp_emc_entry *entries;
    uint32_t mask;                  /* capacity - 1 */
    uint32_t n_used;
    uint32_t sweep_pos;
    uint32_t insert_inv_prob;       /* atomic: main may change it */
    uint64_t rng;                   /* xorshift64* state */
    struct dp_emc_stats stats;      /* PMD writes, relaxed */
};

static inline void
emc_count(uint64_t *counter, uint64_t n)
{
    __atomic_store_n(counter, __atomic_load_n(counter, __ATOMIC_RELAXED) + n,
                     __ATOMIC_RELAXED);
}

/* The two candidate slots of 'hash'. */
static inline struct dp_emc_entry *
emc_slot(const struct dp_emc *emc, uint32_t hash, unsigned int seg)
{
    return &emc->entries[(hash >> (16 * seg)) & emc->mask];
}

static inline uint32_t
emc_rand32(struct dp_emc *emc)
{
    uint64_t x = emc->rng;

    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    emc->rng = x;
    return (uint32_t) ((x * UINT64_C(0x2545f4914f6cdd1d)) >> 32);
}

static void
emc_clear(struct dp_emc *emc, struct dp_emc_entry *e)
{
    struct dp_megaflow *mf = e->mf;

    e->mf = NULL;
    emc->n_used--;
    dp_megaflow_unref(mf);
}

struct dp_emc *
dp_emc_create(unsigned int n_entries, unsigned int insert_inv_prob)
{
    struct dp_emc *emc;
    void *p;

    if (!n_entries) {
        n_entries = DP_EMC_DEFAULT_ENTRIES;
    }
    if (n_entries < 2 || n_entries > DP_EMC_MAX_ENTRIES
        || (n_entries & (n_entries - 1))) {
        errno = EINVAL;
        return NULL;
    }
    emc = calloc(1, sizeof *emc);
    if (!emc || posix_memalign(&p, RTE_CACHE_LINE_SIZE,
                               n_entries * sizeof emc->entries[0])) {
        free(emc);
        errno = ENOMEM;
        return NULL;
    }
    emc->entries = memset(p, 0, n_entries * sizeof emc->entries[0]);
    emc->mask = n_entries - 1;
    emc->insert_inv_prob = insert_inv_prob;
    /* Any nonzero seed; distinct per cache so PMDs do not insert in step. */
    emc->rng = (rte_rdtsc() ^ (uint64_t) (uintptr_t) emc) | 1;
    return emc;
}

void
dp_emc_flush(struct dp_emc *emc)
{
    for (uint32_t i = 0; i <= emc->mask; i++) {
        if (emc->entries[i].mf) {
            emc_clear(emc, &emc->entries[i]);
        }
    }
}

void
dp_emc_destroy(struct dp_emc *emc)
{
    if (emc) {
        dp_emc_flush(emc);
        free(emc->entries);
        free(emc);
    }
}

void
dp_emc_set_insert_inv_prob(struct dp_emc *emc, unsigned int inv_prob)
{
    __atomic_store_n(&emc->insert_inv_prob, inv_prob, __ATOMIC_RELAXED);
}

unsigned int
dp_emc_get_insert_inv_prob(const struct dp_emc *emc)
{
    return __atomic_load_n(&emc->insert_inv_prob, __ATOMIC_RELAXED);
}

unsigned int
dp_emc_capacity(const struct dp_emc *emc)
{
    return emc->mask + 1;
}

unsigned int
dp_emc_count(const struct dp_emc *emc)
{
    return emc->n_used;
}

void
dp_emc_get_stats(const struct dp_emc *emc, struct dp_emc_stats *stats)
{
    stats->lookups = __atomic_load_n(&emc->stats.lookups, __ATOMIC_RELAXED);
    stats->hits = __atomic_load_n(&emc->stats.hits, __ATOMIC_RELAXED);
    stats->inserts = __atomic_load_n(&emc->stats.inserts, __ATOMIC_RELAXED);
    stats->evictions = __atomic_load_n(&emc->stats.evictions,
                                       __ATOMIC_RELAXED);
    stats->dead_cleared = __atomic_load_n(&emc->stats.dead_cleared,
                                          __ATOMIC_RELAXED);
}

uint32_t
dp_emc_lookup(struct dp_emc *emc, const struct ft_key *const keys[],
              const uint32_t hashes[], unsigned int n,
              struct dp_megaflow *mfs[])
{
    uint32_t hits = 0;
    unsigned int dead = 0;

    if (unlikely(n > 32)) {
        n = 32;
    }
    for (unsigned int i = 0; i < n; i++) {
        rte_prefetch0(emc_slot(emc, hashes[i], 0));
        rte_prefetch0(emc_slot(emc, hashes[i], 1));
    }
    for (unsigned int i = 0; i < n; i++) {
        uint32_t hash = hashes[i];

        mfs[i] = NULL;
        for (unsigned int seg = 0; seg < 2; seg++) {
            struct dp_emc_entry *e = emc_slot(emc, hash, seg);

            if (e->mf && e->hash == hash && ft_key_equal(&e->key, keys[i])) {
                if (unlikely(dp_megaflow_is_dead(e->mf))) {
                    emc_clear(emc, e);
                    dead++;
                } else {
                    mfs[i] = e->mf;
                    hits |= UINT32_C(1) << i;
                }
                break;
            }
        }
    }
    emc_count(&emc->stats.lookups, n);
    emc_count(&emc->stats.hits, (uint64_t) __builtin_popcount(hits));
    if (unlikely(dead)) {
        emc_count(&emc->stats.dead_cleared, dead);
    }
    return hits;
}

/* Victim preference: empty, then dead, then live. */
static inline unsigned int
emc_victim_rank(const struct dp_emc_entry *e)
{
    return !e->mf ? 0 : dp_megaflow_is_dead(e->mf) ? 1 : 2;
}

bool
dp_emc_insert(struct dp_emc *emc, const struct ft_key *key, uint32_t hash,
              struct dp_megaflow *mf)
{
    struct dp_emc_entry *victim = NULL;

    for (unsigned int seg = 0; seg < 2; seg++) {
        struct dp_emc_entry *e = emc_slot(emc, hash, seg);

        if (e->mf && e->hash == hash && ft_key_equal(&e->key, key)) {
            /* Already cached: point it at the new megaflow. */
            if (e->mf != mf) {
                struct dp_megaflow *old = e->mf;

                if (dp_megaflow_is_dead(mf) || !dp_megaflow_try_ref(mf)) {
                    return false;
                }
                e->mf = mf;
                dp_megaflow_unref(old);
                emc_count(&emc->stats.inserts, 1);
            }
            return true;
        }
        if (!victim) {
            victim = e;
        } else {
            unsigned int rv = emc_victim_rank(victim);
            unsigned int re = emc_victim_rank(e);

            if (re < rv || (re == rv && rv == 2 && e->hash < victim->hash)) {
                victim = e;
            }
        }
    }

    if (dp_megaflow_is_dead(mf) || !dp_megaflow_try_ref(mf)) {
        return false;
    }
    if (victim->mf) {
        emc_count(dp_megaflow_is_dead(victim->mf) ? &emc->stats.dead_cleared
                                                  : &emc->stats.evictions, 1);
        emc_clear(emc, victim);
    }
    victim->hash = hash;
    victim->key = *key;
    victim->mf = mf;
    emc->n_used++;
    emc_count(&emc->stats.inserts, 1);
    return true;
}

bool
dp_emc_probabilistic_insert(struct dp_emc *emc, const struct ft_key *key,
                            uint32_t hash, struct dp_megaflow *mf)
{
    unsigned int inv = __atomic_load_n(&emc->insert_inv_prob,
                                       __ATOMIC_RELAXED);

    if (!inv || (inv > 1 && emc_rand32(emc) > UINT32_MAX / inv)) {
        return false;
    }
    return dp_emc_insert(emc, key, hash, mf);
}

unsigned int
dp_emc_sweep(struct dp_emc *emc, unsigned int n_slots)
{
    unsigned int cleared = 0;

    if (n_slots > emc->mask + 1) {
        n_slots = emc->mask + 1;
    }
    for (unsigned int i = 0; i < n_slots; i++) {
        struct dp_emc_entry *e = &emc->entries[emc->sweep_pos];

        emc->sweep_pos = (emc->sweep_pos + 1) & emc->mask;
        if (e->mf && dp_megaflow_is_dead(e->mf)) {
            emc_clear(emc, e);
            cleared++;
        }
    }
    if (cleared) {
        emc_count(&emc->stats.dead_cleared, cleared);
    }
    return cleared;
}
