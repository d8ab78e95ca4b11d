/*
 * test_dpcls.c — unit tests of the megaflow cache (datapath/dp_dpcls.h):
 *  - a property test against a linear-scan reference over thousands of
 *    non-overlapping megaflows with random masks (100k lookups, the
 *    specialised and the generic lookup functions give identical answers);
 *  - forced 32-bit hash collisions inside a subtable;
 *  - insert / duplicate / remove / dump / action swap / stats;
 *  - subtable ranking and the subtable-lookups-per-hit counter;
 *  - the megaflow limit (-ENOSPC) and the port limit;
 *  - RCU: a removed megaflow is freed only after a grace period; a "PMD"
 *    thread looks up and installs while "main" dumps, removes from the
 *    dump, swaps actions and reclaims (run under ASan: no use after
 *    free).
 *
 * No EAL: the cache allocates from libc and rte_rcu_qsbr needs only
 * memory, so the test runs anywhere and in parallel with others.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <rte_common.h>
#include <rte_hash_crc.h>
#include <rte_rcu_qsbr.h>

#include "datapath/dp_dpcls.h"

#define KEY_WORDS ((unsigned int) FT_KEY_U64S)

/* ---- helpers ------------------------------------------------------------- */

static uint64_t rng_state;

static uint64_t
rnd(void)
{
    uint64_t x = rng_state;

    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    rng_state = x;
    return x * UINT64_C(0x2545f4914f6cdd1d);
}

static uint32_t
below(uint32_t n)
{
    return (uint32_t) ((rnd() >> 32) % n);
}

static uint64_t *
kw(struct ft_key *key)
{
    return (uint64_t *) (void *) key;
}

static const uint64_t *
ckw(const struct ft_key *key)
{
    return (const uint64_t *) (const void *) key;
}

/* Frees counted by xcache_free; the xcache pointer is an id + 1. */
static atomic_uint xcache_frees;
static atomic_uint last_freed_id;

static void
count_xcache_free(void *xcache, void *aux)
{
    assert_ptr_equal(aux, &xcache_frees);
    atomic_store(&last_freed_id, (unsigned int) (uintptr_t) xcache - 1);
    atomic_fetch_add(&xcache_frees, 1);
}

static void *
xcache_of(unsigned int id)
{
    return (void *) (uintptr_t) (id + 1);
}

/* One OUTPUT action naming 'port': identifies the megaflow. */
static struct dp_actions *
actions_for(uint32_t port)
{
    struct ft_dpact act = { .type = FT_DPACT_OUTPUT };

    act.output.dp_port = port;
    return dp_actions_create(&act, 1);
}

static uint32_t
actions_port(const struct dp_megaflow *mf)
{
    const struct dp_actions *a = dp_megaflow_actions(mf);

    return a->n == 1 ? a->acts[0].output.dp_port : UINT32_MAX;
}

static struct dp_megaflow *
must_insert(struct dp_flow_cache *fc, const struct ft_key *key,
            const struct ft_mask *mask, uint32_t id)
{
    struct dp_megaflow *mf;
    struct dp_actions *acts = actions_for(id);

    assert_non_null(acts);
    assert_int_equal(dp_flow_cache_insert(fc, key, mask, acts, xcache_of(id),
                                          1000, &mf), 0);
    assert_non_null(mf);
    return mf;
}

/* Looks up one key. */
static struct dp_megaflow *
lookup1(struct dp_flow_cache *fc, const struct ft_key *key)
{
    struct dp_dpcls *cls = dp_flow_cache_find(fc, key->in_port);
    const struct ft_key *keys[1] = { key };
    struct dp_megaflow *rules[1] = { (struct dp_megaflow *) 1 };

    if (!cls) {
        return NULL;
    }
    uint32_t hits = dp_dpcls_lookup(cls, keys, 1, rules);
    assert_int_equal(hits != 0, rules[0] != NULL);
    return rules[0];
}

static bool
count_visit(struct dp_megaflow *mf, void *aux)
{
    (void) mf;
    (*(unsigned int *) aux)++;
    return true;
}

static unsigned int
dump_count(const struct dp_flow_cache *fc)
{
    unsigned int n = 0;

    dp_flow_cache_dump(fc, count_visit, &n);
    return n;
}

static void
setup_key_mask(struct ft_key *key, struct ft_mask *mask, uint32_t in_port)
{
    memset(key, 0, sizeof *key);
    memset(mask, 0, sizeof *mask);
    key->in_port = in_port;
    mask->masks.in_port = UINT32_MAX;
}

/* rte_rcu_qsbr_synchronize() without its busy spin (the box may have fewer
 * cores than threads). */
static void
wait_grace_period(struct rte_rcu_qsbr *qsbr)
{
    uint64_t token = rte_rcu_qsbr_start(qsbr);

    while (rte_rcu_qsbr_check(qsbr, token, false) != 1) {
        sched_yield();
    }
}

static struct rte_rcu_qsbr *
qsbr_new(unsigned int n_threads)
{
    size_t size = rte_rcu_qsbr_get_memsize(n_threads);
    struct rte_rcu_qsbr *qsbr = aligned_alloc(RTE_CACHE_LINE_SIZE,
                                              RTE_ALIGN_CEIL(size,
                                                  RTE_CACHE_LINE_SIZE));
    assert_non_null(qsbr);
    assert_int_equal(rte_rcu_qsbr_init(qsbr, n_threads), 0);
    return qsbr;
}

/* ---- property test vs a linear scan ---------------------------------------- */

/* Every mask examines the low DISC_BITS of word DISC_WORD (the IPv4
 * addresses' word), whose value in keys and megaflows is drawn from
 * DISC_VALUES values: the reference scans only the megaflows of the key's
 * bucket, which is exactly the set that can match it. */
#define DISC_WORD (offsetof(struct ft_key, nw_src) / 8)
#define DISC_BITS UINT64_C(0x3ff)
#define N_MASKS 28
#define N_FLOWS 3000
#define N_LOOKUPS 100000

struct ref_flow {
    struct ft_key key;              /* masked */
    struct ft_key mask;
    struct dp_megaflow *mf;
    bool removed;
    struct ref_flow *next;          /* same bucket */
};

struct prop {
    struct ft_key masks[N_MASKS];
    struct ref_flow flows[N_FLOWS];
    unsigned int n_flows;
    struct ref_flow *bucket[DISC_BITS + 1];
};

static bool
ref_matches(const struct ref_flow *rf, const struct ft_key *key)
{
    for (unsigned int w = 0; w < KEY_WORDS; w++) {
        if ((ckw(key)[w] & ckw(&rf->mask)[w]) != ckw(&rf->key)[w]) {
            return false;
        }
    }
    return true;
}

static bool
ref_overlap(const struct ref_flow *a, const struct ref_flow *b)
{
    for (unsigned int w = 0; w < KEY_WORDS; w++) {
        uint64_t common = ckw(&a->mask)[w] & ckw(&b->mask)[w];

        if ((ckw(&a->key)[w] ^ ckw(&b->key)[w]) & common) {
            return false;
        }
    }
    return true;
}

/* The single live megaflow matching 'key' (NULL if none), by brute force. */
static struct dp_megaflow *
ref_lookup(const struct prop *p, const struct ft_key *key)
{
    struct dp_megaflow *found = NULL;

    for (const struct ref_flow *rf = p->bucket[ckw(key)[DISC_WORD]
                                               & DISC_BITS];
         rf; rf = rf->next) {
        if (!rf->removed && ref_matches(rf, key)) {
            assert_null(found);     /* megaflows never overlap */
            found = rf->mf;
        }
    }
    return found;
}

static void
random_mask(struct ft_key *mask, unsigned int extra_words)
{
    memset(mask, 0, sizeof *mask);
    kw(mask)[DISC_WORD] = DISC_BITS | (rnd() & rnd());
    for (unsigned int i = 0; i < extra_words; i++) {
        unsigned int w = below(KEY_WORDS);
        uint64_t bits;

        switch (below(4)) {
        case 0: bits = UINT64_MAX; break;
        case 1: bits = UINT64_C(0xffffffff) << (32 * below(2)); break;
        case 2: bits = UINT64_C(0xff) << (8 * below(8)); break;
        default: bits = rnd() | 1; break;
        }
        kw(mask)[w] |= bits;
    }
}

static unsigned int
mask_words(const struct ft_key *mask)
{
    unsigned int n = 0;

    for (unsigned int w = 0; w < KEY_WORDS; w++) {
        n += ckw(mask)[w] != 0;
    }
    return n;
}

/* A random key of port 7 whose discriminating bits are in range. */
static void
random_key(struct ft_key *key)
{
    for (unsigned int w = 0; w < KEY_WORDS; w++) {
        kw(key)[w] = rnd();
    }
    key->in_port = 7;
}

/* A key matching 'rf': its masked bits, anything elsewhere. */
static void
key_in_flow(const struct ref_flow *rf, struct ft_key *key)
{
    random_key(key);
    for (unsigned int w = 0; w < KEY_WORDS; w++) {
        kw(key)[w] = (kw(key)[w] & ~ckw(&rf->mask)[w]) | ckw(&rf->key)[w];
    }
    key->in_port = 7;
}

static void
make_lookup_keys(const struct prop *p, struct ft_key *keys, unsigned int n)
{
    for (unsigned int i = 0; i < n; i++) {
        const struct ref_flow *rf = &p->flows[below(p->n_flows)];
        unsigned int kind = below(4);

        if (kind <= 1) {
            key_in_flow(rf, &keys[i]);
        } else if (kind == 2) {
            /* A near miss: one examined bit flipped (the in_port word
             * excepted, it selects the classifier). */
            unsigned int w;

            key_in_flow(rf, &keys[i]);
            do {
                w = below(KEY_WORDS);
            } while (!ckw(&rf->mask)[w]
                     || w == offsetof(struct ft_key, in_port) / 8);
            uint64_t m = ckw(&rf->mask)[w];
            unsigned int bit;
            do {
                bit = below(64);
            } while (!(m >> bit & 1));
            kw(&keys[i])[w] ^= UINT64_C(1) << bit;
        } else {
            random_key(&keys[i]);
            kw(&keys[i])[DISC_WORD] = (kw(&keys[i])[DISC_WORD] & ~DISC_BITS)
                                      | (rnd() & DISC_BITS);
        }
    }
}

/* Runs 'n' lookups in batches of 32 (the last one shorter) and checks
 * every answer against the reference; stores the answers. */
static unsigned int
run_lookups(struct prop *p, struct dp_dpcls *cls, const struct ft_key *keys,
            unsigned int n, struct dp_megaflow **answers)
{
    unsigned int hits = 0;

    for (unsigned int base = 0; base < n; base += 32) {
        unsigned int batch = RTE_MIN(32u, n - base);
        const struct ft_key *kp[32];
        struct dp_megaflow *rules[32];

        for (unsigned int i = 0; i < batch; i++) {
            kp[i] = &keys[base + i];
            rules[i] = (struct dp_megaflow *) 1;   /* must be overwritten */
        }
        uint32_t map = dp_dpcls_lookup(cls, kp, batch, rules);
        for (unsigned int i = 0; i < batch; i++) {
            struct dp_megaflow *want = ref_lookup(p, kp[i]);

            assert_ptr_equal(rules[i], want);
            assert_int_equal(map >> i & 1, want != NULL);
            if (want) {
                assert_true(ft_key_matches_miniflow(kp[i],
                                                    dp_megaflow_mask(want),
                                                    dp_megaflow_key(want)));
                hits++;
            }
            answers[base + i] = rules[i];
        }
    }
    return hits;
}

static void
test_property_vs_linear_scan(void **state)
{
    struct prop *p = calloc(1, sizeof *p);
    struct ft_key *keys = malloc(N_LOOKUPS * sizeof *keys);
    struct dp_megaflow **auto_ans = malloc(N_LOOKUPS * sizeof *auto_ans);
    struct dp_megaflow **gen_ans = malloc(N_LOOKUPS * sizeof *gen_ans);
    struct dp_flow_cache *fc = dp_flow_cache_create(NULL, 0,
                                                    count_xcache_free,
                                                    &xcache_frees);
    unsigned int rejected = 0;
    bool mask_used[N_MASKS] = { false };
    unsigned int n_masks_used = 0;

    (void) state;
    assert_non_null(p);
    assert_non_null(keys);
    assert_non_null(fc);
    rng_state = 0x9e3779b97f4a7c15ull;

    /* Widths 1..16: every specialised instance and the generic one. */
    for (unsigned int m = 0; m < N_MASKS; m++) {
        random_mask(&p->masks[m], m < 16 ? m : below(16));
    }
    while (p->n_flows < N_FLOWS) {
        struct ref_flow *rf = &p->flows[p->n_flows];
        struct ft_key key;
        struct ft_mask mask;
        bool clash = false;

        unsigned int m = below(N_MASKS);

        rf->mask = p->masks[m];
        random_key(&key);
        for (unsigned int w = 0; w < KEY_WORDS; w++) {
            kw(&rf->key)[w] = ckw(&key)[w] & ckw(&rf->mask)[w];
        }
        for (struct ref_flow *o = p->bucket[ckw(&rf->key)[DISC_WORD]
                                            & DISC_BITS]; o; o = o->next) {
            clash |= ref_overlap(o, rf);
        }
        if (clash) {
            rejected++;
            continue;
        }
        mask.masks = rf->mask;
        rf->mf = must_insert(fc, &key, &mask, p->n_flows);
        n_masks_used += !mask_used[m];
        mask_used[m] = true;
        rf->next = p->bucket[ckw(&rf->key)[DISC_WORD] & DISC_BITS];
        p->bucket[ckw(&rf->key)[DISC_WORD] & DISC_BITS] = rf;
        p->n_flows++;
    }
    assert_int_equal(dp_flow_cache_count(fc), N_FLOWS);
    assert_int_equal(dump_count(fc), N_FLOWS);

    struct dp_dpcls *cls = dp_flow_cache_find(fc, 7);
    assert_non_null(cls);
    assert_null(dp_flow_cache_find(fc, 8));

    /* Subtables: one per mask in use; widths as the masks say; both kinds
     * of lookup function in use. */
    struct dp_dpcls_subtable_info info[N_MASKS];
    unsigned int n_st = dp_dpcls_get_subtables(cls, info, N_MASKS);
    unsigned int n_spec = 0, n_flows = 0;
    assert_int_equal(n_st, n_masks_used);
    for (unsigned int i = 0; i < n_st; i++) {
        assert_int_equal(info[i].n_words, mask_words(&info[i].mask));
        assert_int_equal(info[i].specialised,
                         info[i].n_words <= DP_DPCLS_MAX_SPECIALISED);
        n_spec += info[i].specialised;
        n_flows += info[i].n_flows;
    }
    assert_int_equal(n_flows, N_FLOWS);
    assert_true(n_spec > 0 && n_spec < n_st);

    make_lookup_keys(p, keys, N_LOOKUPS);
    unsigned int hits = run_lookups(p, cls, keys, N_LOOKUPS, auto_ans);
    dp_flow_cache_set_lookup_impl(fc, DP_DPCLS_IMPL_GENERIC);
    n_st = dp_dpcls_get_subtables(cls, info, N_MASKS);
    for (unsigned int i = 0; i < n_st; i++) {
        assert_false(info[i].specialised);
    }
    unsigned int gen_hits = run_lookups(p, cls, keys, N_LOOKUPS, gen_ans);
    assert_int_equal(hits, gen_hits);
    assert_memory_equal(auto_ans, gen_ans, N_LOOKUPS * sizeof *auto_ans);
    /* About half the keys were built inside a megaflow. */
    assert_true(hits > N_LOOKUPS / 3 && hits < N_LOOKUPS * 3 / 4);
    dp_flow_cache_set_lookup_impl(fc, DP_DPCLS_IMPL_AUTO);

    /* Remove half; the reference follows. */
    for (unsigned int i = 0; i < N_FLOWS; i += 2) {
        assert_int_equal(dp_flow_cache_remove(fc, p->flows[i].mf), 0);
        assert_true(dp_megaflow_is_dead(p->flows[i].mf));
        p->flows[i].removed = true;
    }
    /* Removed megaflows are still readable by a lookup in flight: they are
     * freed at reclaim (no qsbr: at once). */
    assert_int_equal(dp_flow_cache_reclaim(fc) >= N_FLOWS / 2, true);
    assert_int_equal(dp_flow_cache_count(fc), N_FLOWS / 2);
    make_lookup_keys(p, keys, N_LOOKUPS / 5);
    hits = run_lookups(p, cls, keys, N_LOOKUPS / 5, auto_ans);
    dp_flow_cache_set_lookup_impl(fc, DP_DPCLS_IMPL_GENERIC);
    gen_hits = run_lookups(p, cls, keys, N_LOOKUPS / 5, gen_ans);
    assert_int_equal(hits, gen_hits);
    assert_true(hits > 0);

    struct dp_dpcls_stats st;
    dp_flow_cache_get_stats(fc, &st);
    assert_int_equal(st.lookups, 2 * N_LOOKUPS + 2 * (N_LOOKUPS / 5));
    assert_true(st.hits > 0 && st.subtable_lookups >= st.hits);

    print_message("property: %u megaflows (%u overlaps rejected), %u "
                  "subtables, %u specialised\n", N_FLOWS, rejected, n_st,
                  n_spec);
    dp_flow_cache_destroy(fc);
    free(gen_ans);
    free(auto_ans);
    free(keys);
    free(p);
}

/* ---- hash collisions ------------------------------------------------------- */

/* Finds a nonzero difference (da, db) in two key words that leaves the
 * subtable hash of a two-word mask unchanged, using only the bits
 * [first, last) of the 128 (a's 64, then b's). The hash is a CRC32-C chain
 * over the masked words, which is linear over GF(2): a difference d
 * changes it by a linear function L(d) of d alone, so any d in the kernel
 * of L (64 or 128 inputs, 32 outputs) collides. The test then asserts the
 * two megaflows really got the same hash, so it notices if the hash ever
 * stops being a plain CRC chain. */
static void
find_crc_kernel(unsigned int first, unsigned int last, uint64_t *da,
                uint64_t *db)
{
    uint32_t pivot_val[32];
    uint64_t pivot_a[32], pivot_b[32];
    bool have[32] = { false };

    for (unsigned int j = first; j < last; j++) {
        uint64_t a = j < 64 ? UINT64_C(1) << j : 0;
        uint64_t b = j < 64 ? 0 : UINT64_C(1) << (j - 64);
        uint32_t v = rte_hash_crc_8byte(b, rte_hash_crc_8byte(a, 0));

        while (v) {
            unsigned int top = 31 - (unsigned int) __builtin_clz(v);

            if (!have[top]) {
                have[top] = true;
                pivot_val[top] = v;
                pivot_a[top] = a;
                pivot_b[top] = b;
                break;
            }
            v ^= pivot_val[top];
            a ^= pivot_a[top];
            b ^= pivot_b[top];
        }
        if (!v) {
            *da = a;
            *db = b;
            return;
        }
    }
    fail_msg("no CRC kernel element found");
}

/* Two megaflows of one subtable whose masked keys differ by a kernel
 * element: same hash, so the probe meets one while looking for the other
 * and only the word-by-word verification tells them apart. The difference
 * is put in both words, in the first only and in the last only, so a
 * verification that skipped any word would be caught. */
static void
test_hash_collision(void **state)
{
    struct dp_flow_cache *fc = dp_flow_cache_create(NULL, 0, NULL, NULL);
    struct ft_key key1, key2, mask_key;
    struct ft_mask mask;
    /* Two whole words: dl addresses and tp ports (the last word). */
    const unsigned int wa = offsetof(struct ft_key, dl_dst) / 8;
    const unsigned int wb = offsetof(struct ft_key, tp_src) / 8;
    static const unsigned int ranges[3][2] = { { 0, 128 }, { 0, 64 },
                                               { 64, 128 } };

    (void) state;
    memset(&mask_key, 0, sizeof mask_key);
    kw(&mask_key)[wa] = UINT64_MAX;
    kw(&mask_key)[wb] = UINT64_MAX;
    mask.masks = mask_key;

    for (unsigned int round = 0; round < 6; round++) {
        uint64_t da = 0, db = 0;

        find_crc_kernel(ranges[round % 3][0], ranges[round % 3][1], &da,
                        &db);
        assert_true(da || db);
        assert_true(round % 3 != 1 || !db);
        assert_true(round % 3 != 2 || !da);
        memset(&key1, 0, sizeof key1);
        key1.in_port = 3;           /* not in the mask: the classifier's */
        kw(&key1)[wa] = UINT64_C(0x0123456789abcdef);
        kw(&key1)[wb] = UINT64_C(0xfedcba9876543210);
        key2 = key1;
        kw(&key2)[wa] ^= da;
        kw(&key2)[wb] ^= db;

        dp_flow_cache_set_lookup_impl(fc, round < 3 ? DP_DPCLS_IMPL_AUTO
                                                    : DP_DPCLS_IMPL_GENERIC);
        struct dp_megaflow *m1 = must_insert(fc, &key1, &mask, 1);
        struct dp_megaflow *m2 = must_insert(fc, &key2, &mask, 2);

        assert_ptr_not_equal(m1, m2);
        assert_int_equal(m1->hash, m2->hash);   /* the collision */
        assert_ptr_equal(lookup1(fc, &key1), m1);
        assert_ptr_equal(lookup1(fc, &key2), m2);

        /* A batch with both, twice each. */
        const struct ft_key *kp[4] = { &key2, &key1, &key1, &key2 };
        struct dp_megaflow *rules[4];
        struct dp_dpcls *cls = dp_flow_cache_find(fc, 3);
        assert_int_equal(dp_dpcls_lookup(cls, kp, 4, rules), 0xf);
        assert_ptr_equal(rules[0], m2);
        assert_ptr_equal(rules[1], m1);
        assert_ptr_equal(rules[2], m1);
        assert_ptr_equal(rules[3], m2);

        /* Whichever comes first in the probe, removing it leaves the
         * other findable past the tombstone, and never found by the
         * other's key. */
        assert_int_equal(dp_flow_cache_remove(fc, m1), 0);
        assert_null(lookup1(fc, &key1));
        assert_ptr_equal(lookup1(fc, &key2), m2);
        m1 = must_insert(fc, &key1, &mask, 1);
        assert_ptr_equal(lookup1(fc, &key1), m1);
        assert_int_equal(dp_flow_cache_remove(fc, m2), 0);
        assert_ptr_equal(lookup1(fc, &key1), m1);
        assert_null(lookup1(fc, &key2));
        assert_int_equal(dp_flow_cache_remove(fc, m1), 0);
        dp_flow_cache_reclaim(fc);
    }
    dp_flow_cache_destroy(fc);
}

/* ---- insert, remove, dump, actions, stats ---------------------------------- */

static bool
remove_odd_visit(struct dp_megaflow *mf, void *fc)
{
    if (actions_port(mf) & 1) {
        assert_int_equal(dp_flow_cache_remove(fc, mf), 0);
    }
    return true;
}

static bool
stop_after_three(struct dp_megaflow *mf, void *aux)
{
    (void) mf;
    return ++*(unsigned int *) aux < 3;
}

static void
test_insert_remove(void **state)
{
    struct dp_flow_cache *fc;
    struct dp_megaflow *mf, *dup;
    struct ft_key key;
    struct ft_mask mask;

    (void) state;
    atomic_store(&xcache_frees, 0);
    fc = dp_flow_cache_create(NULL, 0, count_xcache_free, &xcache_frees);
    assert_non_null(fc);
    assert_int_equal(dp_flow_cache_limit(fc), DP_FLOW_CACHE_DEFAULT_LIMIT);
    assert_null(dp_flow_cache_find(fc, 1));

    setup_key_mask(&key, &mask, 1);
    key.dl_type = htons(0x0800);
    key.nw_src = htonl(0x0a000001);
    key.nw_dst = htonl(0x0a000002);
    key.tp_dst = htons(80);
    mask.masks.dl_type = 0xffff;
    mask.masks.nw_src = htonl(0xffffff00);
    mask.masks.tp_dst = 0xffff;
    mf = must_insert(fc, &key, &mask, 100);
    assert_int_equal(dp_flow_cache_count(fc), 1);
    assert_int_equal(mf->in_port, 1);
    assert_int_equal(mf->created_ms, 1000);
    assert_int_equal(mf->refcnt, 1);
    assert_false(dp_megaflow_is_dead(mf));
    assert_ptr_equal(mf->xcache, xcache_of(100));
    assert_int_equal(actions_port(mf), 100);
    assert_int_equal(dp_dpcls_in_port(dp_flow_cache_find(fc, 1)), 1);

    /* The megaflow's miniflows: masked key and mask. */
    struct ft_key k2;
    ft_miniflow_expand(dp_megaflow_mask(mf), &k2);
    assert_memory_equal(&k2, &mask.masks, sizeof k2);
    ft_miniflow_expand(dp_megaflow_key(mf), &k2);
    assert_int_equal(k2.nw_src, htonl(0x0a000000));
    assert_int_equal(k2.nw_dst, 0);

    /* Matching keys hit, others miss. */
    assert_ptr_equal(lookup1(fc, &key), mf);
    k2 = key;
    k2.nw_src = htonl(0x0a0000fe);
    k2.nw_dst = htonl(0x01020304);
    k2.tp_src = htons(1234);
    assert_ptr_equal(lookup1(fc, &k2), mf);
    k2.tp_dst = htons(81);
    assert_null(lookup1(fc, &k2));
    k2 = key;
    k2.in_port = 2;                 /* another classifier */
    assert_null(lookup1(fc, &k2));

    /* Same mask and masked key: -EEXIST names the installed one, and the
     * caller keeps its actions. */
    k2 = key;
    k2.nw_src = htonl(0x0a000077);
    struct dp_actions *acts = actions_for(101);
    assert_int_equal(dp_flow_cache_insert(fc, &k2, &mask, acts, NULL, 0,
                                          &dup), -EEXIST);
    assert_ptr_equal(dup, mf);
    assert_int_equal(dp_flow_cache_count(fc), 1);
    dp_actions_free(acts);

    /* Stats: the PMD accounts, anyone reads. */
    struct dp_megaflow_stats stats;
    dp_megaflow_get_stats(mf, &stats);
    assert_int_equal(stats.packets, 0);
    assert_int_equal(stats.used_ms, 0);
    dp_megaflow_account(mf, 3, 180, 2000, 0x02);
    dp_megaflow_account(mf, 1, 60, 2500, 0x10);
    dp_megaflow_get_stats(mf, &stats);
    assert_int_equal(stats.packets, 4);
    assert_int_equal(stats.bytes, 240);
    assert_int_equal(stats.used_ms, 2500);
    assert_int_equal(stats.tcp_flags, 0x12);

    /* Action swap: visible at once, the old list freed later. */
    dp_megaflow_set_actions(mf, actions_for(200));
    assert_int_equal(actions_port(mf), 200);
    assert_int_equal(actions_port(lookup1(fc, &key)), 200);

    /* Removal: dead, unlinked, the subtable gone, freed at reclaim. */
    assert_int_equal(dp_flow_cache_remove(fc, mf), 0);
    assert_true(dp_megaflow_is_dead(mf));
    assert_int_equal(dp_flow_cache_remove(fc, mf), -ENOENT);
    assert_null(lookup1(fc, &key));
    assert_int_equal(dp_flow_cache_count(fc), 0);
    assert_int_equal(dp_dpcls_get_subtables(dp_flow_cache_find(fc, 1), NULL,
                                            0), 0);
    assert_int_equal(atomic_load(&xcache_frees), 0);
    assert_true(dp_flow_cache_reclaim(fc) >= 2);   /* megaflow, actions */
    assert_int_equal(atomic_load(&xcache_frees), 1);
    assert_int_equal(atomic_load(&last_freed_id), 100);

    /* Many megaflows in one subtable: the table grows and stays exact. */
    struct dp_megaflow *mfs[3000];
    for (unsigned int i = 0; i < 3000; i++) {
        key.nw_src = htonl(0x0b000000 + (i << 8));
        mfs[i] = must_insert(fc, &key, &mask, i);
    }
    for (unsigned int i = 0; i < 3000; i++) {
        key.nw_src = htonl(0x0b000000 + (i << 8) + 9);
        assert_ptr_equal(lookup1(fc, &key), mfs[i]);
    }
    struct dp_dpcls_subtable_info info[2];
    assert_int_equal(dp_dpcls_get_subtables(dp_flow_cache_find(fc, 1), info,
                                            2), 1);
    assert_int_equal(info[0].n_flows, 3000);
    assert_int_equal(info[0].n_words, 4);   /* in_port, dl_type, nw, tp */
    assert_true(info[0].specialised);
    assert_int_equal(dump_count(fc), 3000);

    /* Churn: tombstones are cleaned up as inserts rebuild the table. */
    for (unsigned int round = 0; round < 4; round++) {
        for (unsigned int i = 0; i < 3000; i += 2) {
            assert_int_equal(dp_flow_cache_remove(fc, mfs[i]), 0);
        }
        for (unsigned int i = 0; i < 3000; i += 2) {
            key.nw_src = htonl(0x0b000000 + (i << 8));
            mfs[i] = must_insert(fc, &key, &mask, i);
        }
        dp_flow_cache_reclaim(fc);
    }
    for (unsigned int i = 0; i < 3000; i++) {
        key.nw_src = htonl(0x0b000000 + (i << 8) + 1);
        assert_ptr_equal(lookup1(fc, &key), mfs[i]);
    }

    /* A dump may remove what it visits, and may stop early. */
    dp_flow_cache_dump(fc, remove_odd_visit, fc);
    assert_int_equal(dp_flow_cache_count(fc), 1500);
    assert_int_equal(dump_count(fc), 1500);
    for (unsigned int i = 0; i < 3000; i++) {
        key.nw_src = htonl(0x0b000000 + (i << 8));
        assert_ptr_equal(lookup1(fc, &key), i & 1 ? NULL : mfs[i]);
    }
    unsigned int seen = 0;
    dp_flow_cache_dump(fc, stop_after_three, &seen);
    assert_int_equal(seen, 3);

    /* Flush empties everything; megaflows are freed at reclaim. */
    unsigned int before = atomic_load(&xcache_frees);
    dp_flow_cache_flush(fc);
    assert_int_equal(dp_flow_cache_count(fc), 0);
    assert_int_equal(dump_count(fc), 0);
    key.nw_src = htonl(0x0b000000);
    assert_null(lookup1(fc, &key));
    dp_flow_cache_reclaim(fc);
    assert_int_equal(atomic_load(&xcache_frees) - before, 3000);
    dp_flow_cache_destroy(fc);
}

/* ---- ranking ----------------------------------------------------------------- */

static void
lookup_n(struct dp_flow_cache *fc, const struct ft_key *key, unsigned int n,
         struct dp_megaflow *want)
{
    struct dp_dpcls *cls = dp_flow_cache_find(fc, key->in_port);
    const struct ft_key *kp[32];
    struct dp_megaflow *rules[32];

    for (unsigned int i = 0; i < 32; i++) {
        kp[i] = key;
    }
    while (n) {
        unsigned int batch = RTE_MIN(n, 32u);

        assert_int_equal(dp_dpcls_lookup(cls, kp, batch, rules),
                         batch == 32 ? UINT32_MAX : (1u << batch) - 1);
        for (unsigned int i = 0; i < batch; i++) {
            assert_ptr_equal(rules[i], want);
        }
        n -= batch;
    }
}

static void
test_ranking(void **state)
{
    struct dp_flow_cache *fc = dp_flow_cache_create(NULL, 0, NULL, NULL);
    struct ft_key keys[3];
    struct ft_mask masks[3];
    struct dp_megaflow *mf[3];
    struct dp_dpcls_subtable_info info[3];
    struct dp_dpcls_stats s0, s1;

    (void) state;
    /* Three masks (L2, L3, L4), one megaflow each, disjoint by dl_type. */
    for (unsigned int i = 0; i < 3; i++) {
        setup_key_mask(&keys[i], &masks[i], 4);
        keys[i].dl_type = htons((uint16_t) (0x0800 + i));
        masks[i].masks.dl_type = 0xffff;
    }
    masks[0].masks.vlans[0].tci = 0xffff;
    masks[1].masks.nw_src = UINT32_MAX;
    masks[2].masks.tp_src = 0xffff;
    for (unsigned int i = 0; i < 3; i++) {
        mf[i] = must_insert(fc, &keys[i], &masks[i], i);
    }
    struct dp_dpcls *cls = dp_flow_cache_find(fc, 4);

    /* New subtables rank last: creation order. */
    assert_int_equal(dp_dpcls_get_subtables(cls, info, 3), 3);
    assert_int_equal(info[0].mask.vlans[0].tci, 0xffff);
    assert_int_equal(info[1].mask.nw_src, UINT32_MAX);
    assert_int_equal(info[2].mask.tp_src, 0xffff);

    /* Hits in the last subtable cost three subtable lookups each. */
    memset(&s0, 0, sizeof s0);
    dp_dpcls_get_stats(cls, &s0);
    lookup_n(fc, &keys[2], 100, mf[2]);
    lookup_n(fc, &keys[1], 10, mf[1]);
    memset(&s1, 0, sizeof s1);
    dp_dpcls_get_stats(cls, &s1);
    assert_int_equal(s1.hits - s0.hits, 110);
    assert_int_equal(s1.subtable_lookups - s0.subtable_lookups,
                     100 * 3 + 10 * 2);
    dp_dpcls_get_subtables(cls, info, 3);
    assert_int_equal(info[0].hits, 0);
    assert_int_equal(info[1].hits, 10);
    assert_int_equal(info[2].hits, 100);

    /* The first sort is due at once: by hits, ties in place. */
    dp_flow_cache_sort(fc, 5000);
    dp_dpcls_get_subtables(cls, info, 3);
    assert_int_equal(info[0].mask.tp_src, 0xffff);
    assert_int_equal(info[1].mask.nw_src, UINT32_MAX);
    assert_int_equal(info[2].mask.vlans[0].tci, 0xffff);
    assert_int_equal(info[0].hits, 0);      /* a new interval */
    assert_int_equal(info[0].hits_total, 100);

    s0 = s1;
    lookup_n(fc, &keys[2], 64, mf[2]);
    memset(&s1, 0, sizeof s1);
    dp_dpcls_get_stats(cls, &s1);
    assert_int_equal(s1.subtable_lookups - s0.subtable_lookups, 64);

    /* Not due before a second has passed. */
    lookup_n(fc, &keys[0], 200, mf[0]);
    dp_flow_cache_sort(fc, 5999);
    dp_dpcls_get_subtables(cls, info, 3);
    assert_int_equal(info[2].mask.vlans[0].tci, 0xffff);
    assert_int_equal(info[2].hits, 200);
    dp_flow_cache_sort(fc, 6000);
    dp_dpcls_get_subtables(cls, info, 3);
    assert_int_equal(info[0].mask.vlans[0].tci, 0xffff);
    assert_int_equal(info[1].mask.tp_src, 0xffff);
    assert_int_equal(info[2].mask.nw_src, UINT32_MAX);

    /* Keys of several subtables in one batch. */
    const struct ft_key *kp[5] = { &keys[1], &keys[0], &keys[2], &keys[1],
                                   &keys[0] };
    struct dp_megaflow *rules[5];
    assert_int_equal(dp_dpcls_lookup(cls, kp, 5, rules), 0x1f);
    assert_ptr_equal(rules[0], mf[1]);
    assert_ptr_equal(rules[1], mf[0]);
    assert_ptr_equal(rules[2], mf[2]);
    assert_ptr_equal(rules[3], mf[1]);
    assert_ptr_equal(rules[4], mf[0]);
    assert_int_equal(dp_dpcls_lookup(cls, kp, 0, rules), 0);

    /* An emptied subtable leaves the ranking. */
    assert_int_equal(dp_flow_cache_remove(fc, mf[0]), 0);
    assert_int_equal(dp_dpcls_get_subtables(cls, info, 3), 2);
    assert_int_equal(info[0].mask.tp_src, 0xffff);
    dp_flow_cache_destroy(fc);
}

/* ---- limits --------------------------------------------------------------- */

static void
test_limit(void **state)
{
    struct dp_flow_cache *fc = dp_flow_cache_create(NULL, 10, NULL, NULL);
    struct dp_megaflow *mfs[12], *mf;
    struct ft_key key;
    struct ft_mask mask;

    (void) state;
    assert_int_equal(dp_flow_cache_limit(fc), 10);
    setup_key_mask(&key, &mask, 1);
    mask.masks.tp_src = 0xffff;
    for (unsigned int i = 0; i < 10; i++) {
        key.tp_src = (uint16_t) i;
        mfs[i] = must_insert(fc, &key, &mask, i);
    }
    key.tp_src = 10;
    struct dp_actions *acts = actions_for(10);
    assert_int_equal(dp_flow_cache_insert(fc, &key, &mask, acts, NULL, 0,
                                          &mf), -ENOSPC);
    assert_null(mf);
    assert_int_equal(dp_flow_cache_count(fc), 10);
    assert_null(lookup1(fc, &key));

    /* Room again after a removal. */
    assert_int_equal(dp_flow_cache_remove(fc, mfs[3]), 0);
    assert_int_equal(dp_flow_cache_insert(fc, &key, &mask, acts, NULL, 0,
                                          &mfs[10]), 0);
    key.tp_src = 11;
    acts = actions_for(11);
    assert_int_equal(dp_flow_cache_insert(fc, &key, &mask, acts, NULL, 0,
                                          &mf), -ENOSPC);
    /* Raised limit. */
    dp_flow_cache_set_limit(fc, 11);
    assert_int_equal(dp_flow_cache_insert(fc, &key, &mask, acts, NULL, 0,
                                          &mfs[11]), 0);
    assert_int_equal(dp_flow_cache_count(fc), 11);
    /* Lowered below the count: nothing is removed, inserts fail. */
    dp_flow_cache_set_limit(fc, 5);
    assert_int_equal(dp_flow_cache_count(fc), 11);
    key.tp_src = 12;
    acts = actions_for(12);
    assert_int_equal(dp_flow_cache_insert(fc, &key, &mask, acts, NULL, 0,
                                          &mf), -ENOSPC);
    dp_flow_cache_set_limit(fc, 0);
    assert_int_equal(dp_flow_cache_limit(fc), DP_FLOW_CACHE_DEFAULT_LIMIT);
    assert_int_equal(dp_flow_cache_insert(fc, &key, &mask, acts, NULL, 0,
                                          &mf), 0);
    dp_flow_cache_destroy(fc);

    /* Input ports: DP_FLOW_CACHE_MAX_PORTS classifiers. */
    fc = dp_flow_cache_create(NULL, 0, NULL, NULL);
    for (uint32_t port = 0; port < DP_FLOW_CACHE_MAX_PORTS; port++) {
        key.in_port = port * 7919u;
        must_insert(fc, &key, &mask, port);
    }
    for (uint32_t port = 0; port < DP_FLOW_CACHE_MAX_PORTS; port++) {
        key.in_port = port * 7919u;
        assert_int_equal(dp_dpcls_in_port(dp_flow_cache_find(fc,
                                                             key.in_port)),
                         key.in_port);
        assert_int_equal(actions_port(lookup1(fc, &key)), port);
    }
    key.in_port = 1;
    acts = actions_for(1);
    assert_int_equal(dp_flow_cache_insert(fc, &key, &mask, acts, NULL, 0,
                                          &mf), -ENOSPC);
    dp_actions_free(acts);
    assert_int_equal(dp_flow_cache_count(fc), DP_FLOW_CACHE_MAX_PORTS);
    dp_flow_cache_destroy(fc);
}

/* ---- RCU ---------------------------------------------------------------------- */

/* A removed megaflow, a swapped action list and an emptied subtable wait
 * for every online reader's quiescent state. */
static void
test_grace_period(void **state)
{
    struct rte_rcu_qsbr *qsbr = qsbr_new(1);
    struct dp_flow_cache *fc;
    struct ft_key key;
    struct ft_mask mask;

    (void) state;
    atomic_store(&xcache_frees, 0);
    fc = dp_flow_cache_create(qsbr, 0, count_xcache_free, &xcache_frees);
    /* This thread plays the PMD. */
    assert_int_equal(rte_rcu_qsbr_thread_register(qsbr, 0), 0);
    rte_rcu_qsbr_thread_online(qsbr, 0);

    setup_key_mask(&key, &mask, 1);
    mask.masks.metadata = UINT64_MAX;
    key.metadata = 42;
    struct dp_megaflow *mf = must_insert(fc, &key, &mask, 42);
    assert_ptr_equal(lookup1(fc, &key), mf);    /* the PMD holds 'mf' */

    /* A swapped action list stays readable by a reader that loaded it. */
    rte_rcu_qsbr_quiescent(qsbr, 0);
    dp_flow_cache_reclaim(fc);
    const struct dp_actions *old_acts = dp_megaflow_actions(mf);
    dp_megaflow_set_actions(mf, actions_for(42));
    assert_ptr_not_equal(dp_megaflow_actions(mf), old_acts);
    assert_int_equal(dp_flow_cache_reclaim(fc), 0);
    assert_int_equal(old_acts->n, 1);
    assert_int_equal(old_acts->acts[0].output.dp_port, 42);
    rte_rcu_qsbr_quiescent(qsbr, 0);
    assert_int_equal(dp_flow_cache_reclaim(fc), 1);

    assert_int_equal(dp_flow_cache_remove(fc, mf), 0);
    assert_int_equal(dp_flow_cache_reclaim(fc), 0);
    assert_int_equal(atomic_load(&xcache_frees), 0);
    /* Still readable: this is what a burst in flight does. */
    assert_int_equal(actions_port(mf), 42);
    assert_true(ft_key_matches_miniflow(&key, dp_megaflow_mask(mf),
                                        dp_megaflow_key(mf)));

    rte_rcu_qsbr_quiescent(qsbr, 0);
    /* The rank vector replaced by the removal, the subtable, the
     * megaflow. */
    assert_int_equal(dp_flow_cache_reclaim(fc), 3);
    assert_int_equal(atomic_load(&xcache_frees), 1);

    /* Held by a reference past the grace period, freed after its drop and
     * another grace period. */
    mf = must_insert(fc, &key, &mask, 43);
    assert_true(dp_megaflow_try_ref(mf));
    assert_int_equal(mf->refcnt, 2);
    assert_int_equal(dp_flow_cache_remove(fc, mf), 0);
    rte_rcu_qsbr_quiescent(qsbr, 0);
    dp_flow_cache_reclaim(fc);
    assert_int_equal(atomic_load(&xcache_frees), 1);
    assert_int_equal(mf->refcnt, 1);
    dp_megaflow_unref(mf);
    dp_flow_cache_reclaim(fc);
    assert_int_equal(atomic_load(&xcache_frees), 1);
    rte_rcu_qsbr_quiescent(qsbr, 0);
    assert_int_equal(dp_flow_cache_reclaim(fc), 1);
    assert_int_equal(atomic_load(&xcache_frees), 2);
    assert_int_equal(atomic_load(&last_freed_id), 43);

    /* An offline reader does not hold anything back. */
    mf = must_insert(fc, &key, &mask, 44);
    rte_rcu_qsbr_thread_offline(qsbr, 0);
    assert_int_equal(dp_flow_cache_remove(fc, mf), 0);
    assert_true(dp_flow_cache_reclaim(fc) >= 1);
    assert_int_equal(atomic_load(&xcache_frees), 3);

    rte_rcu_qsbr_thread_unregister(qsbr, 0);
    dp_flow_cache_destroy(fc);
    free(qsbr);
}

#define N_STABLE 64
#define N_CHURN 256
#define N_CHURN_MASKS 6
#define METADATA_WORD (offsetof(struct ft_key, metadata) / 8)

/* The production split: a "PMD" thread looks up, installs what it misses
 * (the upcall path) and re-ranks; the "main" thread dumps, removes
 * megaflows from inside the dump (revalidation, ageing), swaps actions
 * and reclaims. Stable megaflows are never removed; churn megaflow j is
 * the only one that can match churn key j (metadata), under whichever of
 * N_CHURN_MASKS masks it was last installed with, so subtables come and
 * go and tables grow and shrink while the other thread reads them. */
struct conc {
    struct rte_rcu_qsbr *qsbr;
    struct dp_flow_cache *fc;
    struct ft_key stable_keys[N_STABLE];
    struct dp_megaflow *stable[N_STABLE];
    struct ft_key churn_keys[N_CHURN];
    atomic_bool stop;
    atomic_ulong lookups;
    atomic_ulong churn_hits;
    atomic_uint inserts;
    atomic_uint errors;
};

static void
churn_mask(unsigned int m, struct ft_mask *mask)
{
    memset(mask, 0, sizeof *mask);
    mask->masks.in_port = UINT32_MAX;
    mask->masks.metadata = UINT64_MAX;      /* the flow's identity */
    if (m & 1) {
        mask->masks.nw_src = UINT32_MAX;
    }
    if (m & 2) {
        mask->masks.tp_dst = 0xffff;
    }
    if (m & 4) {
        memset(&mask->masks.ipv6_src, 0xff, 16);
    }
    if (m == 5) {
        memset(&mask->masks.tunnel, 0xff, sizeof mask->masks.tunnel);
    }
}

/* Checks one lookup answer; returns whether it was a churn hit. */
static bool
conc_check(struct conc *c, const struct ft_key *key, struct dp_megaflow *mf,
           bool hit)
{
    if (key >= c->stable_keys && key < c->stable_keys + N_STABLE) {
        /* Stable megaflows are always there. */
        unsigned int id = (unsigned int) (key - c->stable_keys);

        if (mf != c->stable[id] || !hit || actions_port(mf) != id) {
            atomic_fetch_add(&c->errors, 1);
        }
        return false;
    }
    if (!mf) {
        return false;
    }
    /* A churn megaflow, maybe removed by main meanwhile but never freed
     * under our feet: read all of it. */
    unsigned int id = (unsigned int) (key - c->churn_keys);
    if (!hit || !ft_key_matches_miniflow(key, dp_megaflow_mask(mf),
                                         dp_megaflow_key(mf))
        || actions_port(mf) != 1000 + id || mf->in_port != 1) {
        atomic_fetch_add(&c->errors, 1);
    }
    return true;
}

static void *
conc_pmd(void *arg)
{
    struct conc *c = arg;
    uint64_t seed = 0x1234567;
    int64_t clock_ms = 0;

    rte_rcu_qsbr_thread_register(c->qsbr, 0);
    rte_rcu_qsbr_thread_online(c->qsbr, 0);
    while (!atomic_load(&c->stop)) {
        struct dp_dpcls *cls = dp_flow_cache_find(c->fc, 1);
        const struct ft_key *kp[32];
        struct dp_megaflow *rules[32];
        unsigned long churn_hits = 0;

        for (unsigned int i = 0; i < 32; i++) {
            seed = seed * 6364136223846793005ull + 1442695040888963407ull;
            unsigned int r = (unsigned int) (seed >> 33);
            kp[i] = i & 1 ? &c->stable_keys[r % N_STABLE]
                          : &c->churn_keys[r % N_CHURN];
        }
        uint32_t hits = dp_dpcls_lookup(cls, kp, 32, rules);
        for (unsigned int i = 0; i < 32; i++) {
            churn_hits += conc_check(c, kp[i], rules[i], hits >> i & 1);
        }
        /* Upcalls: install the churn flows that missed, each under a
         * mask of the moment. Only this thread installs, so nothing it
         * just missed can be there already. */
        for (unsigned int i = 0; i < 32; i += 2) {
            if (rules[i] || (seed >> (i + 7)) & 1) {
                continue;
            }
            unsigned int id = (unsigned int) (kp[i] - c->churn_keys);
            struct ft_mask mask;
            struct dp_megaflow *mf;
            struct dp_actions *acts = actions_for(1000 + id);
            bool dup = false;

            for (unsigned int k = 0; k < i; k += 2) {
                dup |= kp[k] == kp[i];
            }
            if (dup) {
                dp_actions_free(acts);
                continue;           /* installed a moment ago */
            }
            churn_mask((unsigned int) (seed >> (i + 20)) % N_CHURN_MASKS,
                       &mask);
            if (dp_flow_cache_insert(c->fc, kp[i], &mask, acts,
                                     xcache_of(1000 + id), clock_ms, &mf)) {
                dp_actions_free(acts);
                atomic_fetch_add(&c->errors, 1);
            } else {
                atomic_fetch_add(&c->inserts, 1);
            }
        }
        atomic_fetch_add_explicit(&c->lookups, 32, memory_order_relaxed);
        atomic_fetch_add_explicit(&c->churn_hits, churn_hits,
                                  memory_order_relaxed);
        /* Between bursts: re-rank on the PMD's clock, then quiesce. */
        clock_ms += 7;
        dp_flow_cache_sort(c->fc, clock_ms);
        rte_rcu_qsbr_quiescent(c->qsbr, 0);
    }
    rte_rcu_qsbr_thread_offline(c->qsbr, 0);
    rte_rcu_qsbr_thread_unregister(c->qsbr, 0);
    return NULL;
}

struct revalidate {
    struct dp_flow_cache *fc;
    unsigned int n_stable;
    unsigned int removed;
    unsigned int keep_one_in;       /* 0: remove every churn megaflow */
    uint64_t seed;
};

static bool
revalidate_visit(struct dp_megaflow *mf, void *aux)
{
    struct revalidate *r = aux;
    uint64_t metadata = ft_miniflow_get(dp_megaflow_key(mf), METADATA_WORD);

    if (metadata < 0x20000) {
        r->n_stable++;
        return true;
    }
    r->seed = r->seed * 6364136223846793005ull + 1;
    if (!r->keep_one_in || (r->seed >> 40) % r->keep_one_in) {
        assert_int_equal(dp_flow_cache_remove(r->fc, mf), 0);
        r->removed++;
    }
    return true;
}

static void
test_concurrent_lookups(void **state)
{
    struct conc *c = calloc(1, sizeof *c);
    struct ft_mask mask;
    pthread_t pmd;

    (void) state;
    atomic_store(&xcache_frees, 0);
    c->qsbr = qsbr_new(1);
    c->fc = dp_flow_cache_create(c->qsbr, 0, count_xcache_free,
                                 &xcache_frees);
    rng_state = 0xfeedface12345ull;

    for (unsigned int i = 0; i < N_STABLE; i++) {
        struct ft_key *k = &c->stable_keys[i];

        for (unsigned int w = 0; w < KEY_WORDS; w++) {
            kw(k)[w] = rnd();
        }
        k->in_port = 1;
        k->metadata = 0x10000 + i;
        churn_mask(i % 4, &mask);
        c->stable[i] = must_insert(c->fc, k, &mask, i);
    }
    for (unsigned int j = 0; j < N_CHURN; j++) {
        struct ft_key *k = &c->churn_keys[j];

        for (unsigned int w = 0; w < KEY_WORDS; w++) {
            kw(k)[w] = rnd();
        }
        k->in_port = 1;
        k->metadata = 0x20000 + j;
    }

    assert_int_equal(pthread_create(&pmd, NULL, conc_pmd, c), 0);

    /* Main: revalidation sweeps remove churn megaflows from inside the
     * dump (every 8th sweep removes them all, dropping subtables), swap
     * the stable megaflows' actions, and reclaim. At least 300 sweeps and
     * 20000 installs by the PMD; at most ~8 s on a crowded machine. */
    struct revalidate r = { .fc = c->fc, .seed = 42 };
    unsigned int sweeps = 0;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    do {
        r.n_stable = 0;
        r.keep_one_in = sweeps % 8 == 7 ? 0 : 2;
        dp_flow_cache_dump(c->fc, revalidate_visit, &r);
        assert_int_equal(r.n_stable, N_STABLE);
        for (unsigned int k = 0; k < 4; k++) {
            unsigned int id = below(N_STABLE);

            dp_megaflow_set_actions(c->stable[id], actions_for(id));
        }
        dp_flow_cache_reclaim(c->fc);
        sweeps++;
        sched_yield();              /* let the PMD in on a busy box */
        clock_gettime(CLOCK_MONOTONIC, &t1);
    } while ((sweeps < 300 || atomic_load(&c->inserts) < 20000)
             && t1.tv_sec - t0.tv_sec < 8);
    atomic_store(&c->stop, true);
    pthread_join(pmd, NULL);

    assert_int_equal(atomic_load(&c->errors), 0);
    assert_true(atomic_load(&c->churn_hits) > 0);
    assert_true(r.removed > 0);
    /* Every megaflow ever installed is freed once removed. */
    dp_flow_cache_flush(c->fc);
    assert_int_equal(dp_flow_cache_count(c->fc), 0);
    wait_grace_period(c->qsbr);
    dp_flow_cache_reclaim(c->fc);
    assert_int_equal(atomic_load(&xcache_frees),
                     N_STABLE + atomic_load(&c->inserts));
    print_message("concurrency: %u sweeps removed %u, PMD installed %u, "
                  "%lu lookups, %lu churn hits\n", sweeps, r.removed,
                  atomic_load(&c->inserts), atomic_load(&c->lookups),
                  atomic_load(&c->churn_hits));
    dp_flow_cache_destroy(c->fc);
    free(c->qsbr);
    free(c);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_property_vs_linear_scan),
        cmocka_unit_test(test_hash_collision),
        cmocka_unit_test(test_insert_remove),
        cmocka_unit_test(test_ranking),
        cmocka_unit_test(test_limit),
        cmocka_unit_test(test_grace_period),
        cmocka_unit_test(test_concurrent_lookups),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
