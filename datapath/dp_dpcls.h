/*
 * dp_dpcls.h — the megaflow cache of a PMD worker: megaflows, the per
 * input-port megaflow classifier (dpcls) and the per-PMD container that
 * maps in_port to classifier.
 *
 * What it is
 * ----------
 * A megaflow is the datapath's memory of one translation: "every packet
 * whose key equals K under mask M gets actions A". xlate produces (M, A)
 * for a missed packet; the PMD installs the megaflow here; later packets
 * of any flow that agrees with K on the bits of M find it without going
 * near the OpenFlow pipeline. The installer (upcall path) guarantees that
 * the megaflows of one classifier never overlap (no key matches two), so
 * the first megaflow a lookup finds is the answer: there are no priorities.
 *
 * Tuple-space search. A classifier keeps one subtable per distinct mask; a
 * subtable is a hash table of the masked keys of its megaflows. A lookup
 * hashes the packet's key under each subtable's mask in turn and probes.
 * Subtables are ranked by the hits they took in the last interval and
 * re-sorted once a second (dp_flow_cache_sort(), called by the PMD with its
 * clock), so the busy ones are searched first; the stats count how many
 * subtables a hit cost on average (pmd-perf-show).
 *
 * Batches. dp_dpcls_lookup() takes up to 32 keys and answers with a bitmap
 * of hits. It works subtable by subtable over the still-pending keys: hash
 * them all under the subtable's mask and prefetch their buckets, then probe
 * and prefetch the candidate megaflows, then verify; the memory latency of
 * one key overlaps with the work of the others.
 *
 * Specialised lookups. The per-subtable lookup (hash + probe + verify) is
 * one always-inline body with the number of mask words as a parameter.
 * It is instantiated with constants 1..DP_DPCLS_MAX_SPECIALISED, so the
 * hash and compare loops unroll completely, and once with the count read
 * from the subtable (the generic fallback, any width). A subtable picks
 * its instance when it is created; dp_flow_cache_set_lookup_impl() can
 * force the generic one (tests and the benchmark compare the two). The
 * stage layout of the key (metadata, L2, L3, L4) needs no instance of its
 * own: a subtable keeps its mask as a compact list of word indexes, so only
 * the word count shapes the code. Typical xlate masks have 2 to 8 words
 * (in_port and recirc_id, MACs, VLAN, addresses, ports).
 *
 * No signature pre-filter: the subtable probe already rejects on a 32-bit
 * hash stored in the slot before touching a megaflow, and a per-subtable
 * miss costs one hash and one cache line. A pre-filter pays off with very
 * many subtables; the ranking keeps the common ones in front instead.
 *
 * Why not rte_hash. rte_hash looks keys up by a fixed-length byte key it
 * hashes and compares itself; its bulk lookup wants the keys laid out as
 * such. Here the key of a subtable is "the packet's words under a mask",
 * which would have to be gathered into a buffer per packet per subtable
 * before rte_hash could hash it, and the compare would then run a second
 * time over the copy. The subtable tables here hash and verify straight
 * from the packet's key with the unrolled, mask-specialised loops, probe a
 * whole batch with prefetches in between, and hold a pointer per slot (the
 * megaflow), so a hit is one bucket line plus one megaflow line. They are
 * open-addressing tables of cache-line buckets (five 32-bit hashes and
 * five megaflow pointers), probed bucket by bucket, with tombstones: a
 * slot's hash is stored before its megaflow pointer is published with a
 * release store; a slot goes empty -> megaflow -> tombstone -> megaflow...
 * and never back to empty, so a probing reader never stops early; at most
 * half the slots are used, so a probe nearly always ends in its home
 * bucket (one line, one predictable branch: what a subtable miss, the
 * common case, costs); growth and tombstone clean-up rebuild the array,
 * publish the new one and retire the old one.
 *
 * Threads and memory
 * ------------------
 *  - Lookups (dp_dpcls_lookup, dp_flow_cache_find): the owning PMD, lock-
 *    free, no allocation. They may run concurrently with inserts and
 *    removals.
 *  - Inserts (dp_flow_cache_insert): the owning PMD (upcall path).
 *  - Removals (dp_flow_cache_remove, _flush), action swaps
 *    (dp_megaflow_set_actions): the owning PMD or main.
 *  - Inserts, removals, re-sorts and dp_dpcls_get_subtables() of one
 *    classifier serialise on its spinlock, which lookups never take.
 *  - Nothing reachable by a lookup is freed at once: a removed megaflow is
 *    marked dead, unlinked, and freed once its reference count is zero and
 *    then a grace period of the container's rte_rcu_qsbr has passed; old
 *    subtables, hash arrays, rank vectors and swapped action lists wait one
 *    grace period. PMD workers report quiescence between bursts (holding
 *    no megaflow pointer then). The memory is released by
 *    dp_flow_cache_reclaim(), which main calls periodically.
 *  - dp_flow_cache_dump() walks everything without locks. It must run
 *    either on the thread that calls dp_flow_cache_reclaim() (main) or on a
 *    thread registered online with the qsbr; main revalidates and ages
 *    megaflows that way while the PMD keeps forwarding.
 *  - References: the classifier holds one while a megaflow is installed;
 *    the EMC takes one per entry (dp_megaflow_try_ref()). A pointer found
 *    by a lookup is good until the finder's next quiescent state.
 *  - Per-megaflow stats are written by the owning PMD only (relaxed
 *    stores) and read by anyone (dp_megaflow_get_stats()).
 *  - Limit: at most 'max' megaflows per container (default 200000, that
 *    is per PMD); an insert beyond it fails with -ENOSPC.
 *
 * Memory comes from libc (not the DPDK heap, which the datapath's memory
 * plan sizes for mbufs): megaflows are allocated on the upcall path and
 * freed on main, which glibc's per-thread arenas handle well.
 */
#ifndef VSWITCH_DATAPATH_DP_DPCLS_H
#define VSWITCH_DATAPATH_DP_DPCLS_H

#include <stdbool.h>
#include <stdint.h>

#include "flowtable/ft_dpact.h"
#include "flowtable/ft_key.h"

struct rte_rcu_qsbr;
struct dp_flow_cache;
struct dp_dpcls;
struct dpcls_subtable;

/* Keys per dp_dpcls_lookup() call: a PMD burst, and the bitmap's width. */
#define DP_DPCLS_MAX_BATCH 32
/* Megaflows per PMD unless configured: what OVS allows per PMD too. */
#define DP_FLOW_CACHE_DEFAULT_LIMIT 200000
/* Subtable ranking interval: long enough to count, short enough to follow
 * a change of traffic. */
#define DP_DPCLS_SORT_INTERVAL_MS 1000
/* Mask widths (in words) with a lookup instance of their own. */
#define DP_DPCLS_MAX_SPECIALISED 10
/* Distinct input ports (classifiers) per container. */
#define DP_FLOW_CACHE_MAX_PORTS 1024

/* ---- datapath action lists --------------------------------------------- */

/* An immutable list of datapath actions. Create with dp_actions_create()
 * only: the cache keeps its deferred-free link in a hidden header. */
struct dp_actions {
    uint32_t n;
    struct ft_dpact acts[];
};

/* Copies 'n' actions into a new list; NULL on ENOMEM. Any thread. */
struct dp_actions *dp_actions_create(const struct ft_dpact *acts, uint32_t n);
/* Frees a list that was never installed in a megaflow. */
void dp_actions_free(struct dp_actions *);

/* ---- megaflows ---------------------------------------------------------- */

/* Link of an object waiting for a grace period (internal to the cache). */
struct dp_rcu_node {
    struct dp_rcu_node *next;
    uint64_t token;                 /* rte_rcu_qsbr_start() when retired */
    void (*free)(struct dp_rcu_node *);
};

struct dp_megaflow_stats {
    uint64_t packets;
    uint64_t bytes;
    int64_t used_ms;                /* last hit; 0: never */
    uint16_t tcp_flags;             /* OR of the TCP flags seen */
};

struct dp_megaflow {
    /* Immutable once installed. */
    uint32_t hash;                  /* of the masked key (subtable hash) */
    uint32_t n_words;               /* words in the mask and masked key */
    uint32_t in_port;               /* its classifier's input port */
    bool dead;                      /* atomic: set when removed */
    uint32_t refcnt;                /* atomic */
    uint32_t single_output;         /* atomic: the dp_port when the actions
                                       are one OUTPUT, else
                                       DP_MEGAFLOW_NOT_SINGLE_OUTPUT; kept
                                       with 'actions' (saves the fast path
                                       a cache miss on the list) */
    struct dp_dpcls *cls;           /* the classifier it was installed in */
    struct dpcls_subtable *subtable;/* its subtable (classifier lock) */
    struct dp_actions *actions;     /* RCU: swapped by revalidation */
    void *xcache;                   /* the installer's; released through
                                       the container's xcache_free */
    int64_t created_ms;
    struct dp_megaflow_stats stats; /* owning PMD writes, relaxed */
    struct dp_rcu_node rcu;
    /* The masked key as a miniflow (map, then n_words values), then the
     * mask as a miniflow: see dp_megaflow_key() / dp_megaflow_mask(). */
    uint64_t flow[];
};

#define DP_MEGAFLOW_NOT_SINGLE_OUTPUT UINT32_MAX

static inline const struct ft_miniflow *
dp_megaflow_key(const struct dp_megaflow *mf)
{
    return (const struct ft_miniflow *) (const void *) mf->flow;
}

static inline const struct ft_miniflow *
dp_megaflow_mask(const struct dp_megaflow *mf)
{
    return (const struct ft_miniflow *) (const void *)
        &mf->flow[FT_MAP_UNITS + mf->n_words];
}

/* Has the megaflow been removed from its classifier? A dead megaflow may
 * still be in use (EMC references, a burst in flight) but must not be
 * found anew: the EMC treats a hit on it as a miss. Any thread. */
static inline bool
dp_megaflow_is_dead(const struct dp_megaflow *mf)
{
    return __atomic_load_n(&mf->dead, __ATOMIC_ACQUIRE);
}

/* The current actions (never NULL once installed). Any reader under RCU. */
static inline const struct dp_actions *
dp_megaflow_actions(const struct dp_megaflow *mf)
{
    return __atomic_load_n(&mf->actions, __ATOMIC_ACQUIRE);
}

/* The output port when the actions are exactly one OUTPUT, else
 * DP_MEGAFLOW_NOT_SINGLE_OUTPUT. Any reader under RCU; during an action
 * swap it may describe the old or the new list, as the actions pointer. */
static inline uint32_t
dp_megaflow_single_output(const struct dp_megaflow *mf)
{
    return __atomic_load_n(&mf->single_output, __ATOMIC_RELAXED);
}

/* Takes a reference on a megaflow found under RCU, unless its count has
 * already dropped to zero (it is then on its way to being freed). */
static inline bool
dp_megaflow_try_ref(struct dp_megaflow *mf)
{
    uint32_t n = __atomic_load_n(&mf->refcnt, __ATOMIC_RELAXED);

    do {
        if (!n) {
            return false;
        }
    } while (!__atomic_compare_exchange_n(&mf->refcnt, &n, n + 1, true,
                                          __ATOMIC_RELAXED,
                                          __ATOMIC_RELAXED));
    return true;
}

/* Drops a reference; the last one retires the megaflow (freed after a
 * grace period, by dp_flow_cache_reclaim()). Any thread. */
void dp_megaflow_unref(struct dp_megaflow *);

/* Credits 'packets' packets of 'bytes' bytes hit at 'now_ms'. The owning
 * PMD only (single writer: plain read-modify-write, relaxed stores). */
static inline void
dp_megaflow_account(struct dp_megaflow *mf, uint32_t packets, uint32_t bytes,
                    int64_t now_ms, uint16_t tcp_flags)
{
    struct dp_megaflow_stats *s = &mf->stats;

    __atomic_store_n(&s->packets, s->packets + packets, __ATOMIC_RELAXED);
    __atomic_store_n(&s->bytes, s->bytes + bytes, __ATOMIC_RELAXED);
    __atomic_store_n(&s->used_ms, now_ms, __ATOMIC_RELAXED);
    if (tcp_flags & ~s->tcp_flags) {
        __atomic_store_n(&s->tcp_flags, (uint16_t) (s->tcp_flags | tcp_flags),
                         __ATOMIC_RELAXED);
    }
}

/* A snapshot of the stats (each field atomic, not the set). Any thread. */
void dp_megaflow_get_stats(const struct dp_megaflow *,
                           struct dp_megaflow_stats *);

/* Replaces the actions (revalidation); the old list is freed after a grace
 * period. Takes ownership of 'actions'. PMD or main. */
void dp_megaflow_set_actions(struct dp_megaflow *, struct dp_actions *);

/* ---- the per-PMD container -------------------------------------------- */

/* Releases a megaflow's xcache when the megaflow is freed (on the thread
 * that runs dp_flow_cache_reclaim()). */
typedef void dp_xcache_free_fn(void *xcache, void *aux);

/* Creates an empty container. 'qsbr' is the one the PMD (and every other
 * lookup thread) reports quiescence to; NULL when lookups never run
 * concurrently with changes (single-threaded tools): reclaim then frees at
 * once. 'max_megaflows' 0 means DP_FLOW_CACHE_DEFAULT_LIMIT. NULL on
 * ENOMEM. Main (or the PMD, before it forwards). */
struct dp_flow_cache *dp_flow_cache_create(struct rte_rcu_qsbr *qsbr,
                                           unsigned int max_megaflows,
                                           dp_xcache_free_fn *xcache_free,
                                           void *xcache_aux);
/* Removes every megaflow and frees everything. No lookup may be running
 * and every EMC holding its megaflows must have been flushed or destroyed
 * first. Main. */
void dp_flow_cache_destroy(struct dp_flow_cache *);

/* Megaflow limit (0: the default); existing megaflows above a lowered
 * limit stay until removed. Any thread. */
void dp_flow_cache_set_limit(struct dp_flow_cache *, unsigned int max);
unsigned int dp_flow_cache_limit(const struct dp_flow_cache *);
/* Installed megaflows. Any thread. */
unsigned int dp_flow_cache_count(const struct dp_flow_cache *);

/* The classifier of 'in_port', NULL if no megaflow was ever installed for
 * it. The PMD, lock-free (once per burst). */
struct dp_dpcls *dp_flow_cache_find(const struct dp_flow_cache *,
                                    uint32_t in_port);

/* Installs the megaflow "key under mask -> actions" in the classifier of
 * key->in_port. On success takes ownership of 'actions' and 'xcache',
 * stores the megaflow in '*mfp' and returns 0. Errors (ownership stays
 * with the caller): -ENOSPC past the limit or the port count, -EEXIST if a
 * megaflow with the same mask and masked key is installed ('*mfp' is then
 * that one), -ENOMEM. The caller guarantees no overlap with other
 * megaflows. The owning PMD. */
int dp_flow_cache_insert(struct dp_flow_cache *, const struct ft_key *key,
                         const struct ft_mask *mask,
                         struct dp_actions *actions, void *xcache,
                         int64_t now_ms, struct dp_megaflow **mfp);

/* Removes 'mf' (marks it dead, unlinks it, drops the classifier's
 * reference). -ENOENT if it was already removed. PMD or main; 'mf' must be
 * known to be alive in memory (found by the caller's lookup or dump). */
int dp_flow_cache_remove(struct dp_flow_cache *, struct dp_megaflow *mf);

/* Removes every megaflow. PMD or main. */
void dp_flow_cache_flush(struct dp_flow_cache *);

/* Calls 'cb' for each installed megaflow until it returns false. 'cb' may
 * remove the megaflow it is given or swap its actions. Lock-free; see the
 * threads rules above for who may call it. */
typedef bool dp_megaflow_visit_fn(struct dp_megaflow *, void *aux);
void dp_flow_cache_dump(const struct dp_flow_cache *,
                        dp_megaflow_visit_fn *cb, void *aux);

/* Frees what retired objects' grace periods allow; returns how many were
 * freed. Never waits. Main (periodically); see dp_flow_cache_dump(). */
unsigned int dp_flow_cache_reclaim(struct dp_flow_cache *);

/* Re-ranks the subtables of every classifier by their hits, at most once
 * per DP_DPCLS_SORT_INTERVAL_MS of 'now_ms'. The owning PMD, between
 * bursts; cheap when not due. */
void dp_flow_cache_sort(struct dp_flow_cache *, int64_t now_ms);

enum dp_dpcls_impl {
    DP_DPCLS_IMPL_AUTO,             /* specialised where one exists */
    DP_DPCLS_IMPL_GENERIC,          /* the generic body everywhere */
};
/* Selects the subtable lookup functions, for existing and new subtables.
 * Any thread (lookups see the switch at their next subtable). */
void dp_flow_cache_set_lookup_impl(struct dp_flow_cache *,
                                   enum dp_dpcls_impl);

/* ---- classifiers --------------------------------------------------------- */

/* Classifier counters, written by the lookup thread. */
struct dp_dpcls_stats {
    uint64_t lookups;               /* keys looked up */
    uint64_t hits;                  /* keys that found a megaflow */
    uint64_t subtable_lookups;      /* subtables searched for those hits:
                                       / hits = the average cost of a hit */
};

/* Looks up 'n' (<= DP_DPCLS_MAX_BATCH) keys. Bit i of the result is set
 * when keys[i] matched: rules[i] is then its megaflow (NULL otherwise).
 * The owning PMD, lock-free. */
uint32_t dp_dpcls_lookup(struct dp_dpcls *, const struct ft_key *const keys[],
                         unsigned int n, struct dp_megaflow *rules[]);

uint32_t dp_dpcls_in_port(const struct dp_dpcls *);

/* Subtables (distinct masks) in the classifier. The owning PMD. */
unsigned int dp_dpcls_n_subtables(const struct dp_dpcls *);

/* The megaflow that matches every first-pass packet of the port, if one is
 * installed: its mask has only in_port and recirc_id bits, so it answers
 * for a whole burst without parsing a packet (megaflows of a classifier do
 * not overlap, so no other one can match those packets). Looked for in the
 * two best-ranked subtables; NULL when there is none. Its hits are not
 * counted in the classifier's stats: the caller accounts the megaflow.
 * The owning PMD, lock-free. */
struct dp_megaflow *dp_dpcls_port_megaflow(struct dp_dpcls *);
/* Counts 'n' hits of 'mf' (found by dp_dpcls_port_megaflow()) in the
 * classifier's stats and its subtable's ranking, as a lookup would. The
 * owning PMD. */
void dp_dpcls_credit(struct dp_dpcls *, struct dp_megaflow *mf,
                     unsigned int n);

/* Adds the classifier's counters to '*stats'. Any thread. */
void dp_dpcls_get_stats(const struct dp_dpcls *, struct dp_dpcls_stats *);
/* The same summed over every classifier of the container. */
void dp_flow_cache_get_stats(const struct dp_flow_cache *,
                             struct dp_dpcls_stats *);

struct dp_dpcls_subtable_info {
    unsigned int n_words;           /* mask width */
    unsigned int n_flows;           /* megaflows in it */
    uint64_t hits;                  /* in the current ranking interval */
    uint64_t hits_total;
    bool specialised;               /* uses a width-specialised lookup */
    struct ft_key mask;
};

/* Fills up to 'max' entries, in rank order (searched first first), and
 * returns the number of subtables. Takes the classifier's lock. */
unsigned int dp_dpcls_get_subtables(struct dp_dpcls *,
                                    struct dp_dpcls_subtable_info *info,
                                    unsigned int max);

#endif
