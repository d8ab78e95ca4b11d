/*
 * test_emc.c — unit tests of the exact-match cache (datapath/dp_emc.h) and
 * the packet hash:
 *  - two candidate slots per hash, replacement policy, exact key compare;
 *  - probabilistic insertion at 1/N within a binomial tolerance, 1 and 0;
 *  - a hit on a dead megaflow is a miss and clears the slot;
 *  - references: a megaflow cached by the EMC is freed only after the EMC
 *    let go of it; flush and destroy drop every reference;
 *  - the slow sweep of dead entries;
 *  - dp_packet_hash(): RSS when present, else CRC32-C of the 5-tuple and
 *    in_port (Ethernet fields for non-IP), recirc_id mixed in.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <rte_hash_crc.h>
#include <rte_mbuf.h>

#include "datapath/dp_emc.h"

static unsigned int xcache_frees;

static void
count_xcache_free(void *xcache, void *aux)
{
    (void) xcache;
    (void) aux;
    xcache_frees++;
}

struct fixture {
    struct dp_flow_cache *fc;
    struct dp_emc *emc;
};

/* Megaflow 'id': in_port 1, matching exactly tp_src == id. */
static struct dp_megaflow *
megaflow(struct dp_flow_cache *fc, uint16_t id)
{
    struct ft_key key;
    struct ft_mask mask;
    struct ft_dpact act = { .type = FT_DPACT_OUTPUT };
    struct dp_megaflow *mf;

    memset(&key, 0, sizeof key);
    memset(&mask, 0, sizeof mask);
    key.in_port = 1;
    key.tp_src = id;
    mask.masks.in_port = UINT32_MAX;
    mask.masks.tp_src = 0xffff;
    act.output.dp_port = id;
    assert_int_equal(dp_flow_cache_insert(fc, &key, &mask,
                                          dp_actions_create(&act, 1),
                                          (void *) (uintptr_t) (id + 1u), 0,
                                          &mf), 0);
    return mf;
}

/* A packet key of megaflow 'id', told apart from others by 'variant'. */
static void
packet_key(struct ft_key *key, uint16_t id, uint32_t variant)
{
    memset(key, 0, sizeof *key);
    key->in_port = 1;
    key->tp_src = id;
    key->dl_type = htons(0x0800);
    key->nw_src = htonl(variant);
}

static struct dp_megaflow *
emc_get(struct dp_emc *emc, const struct ft_key *key, uint32_t hash)
{
    const struct ft_key *kp[1] = { key };
    struct dp_megaflow *mfs[1] = { (struct dp_megaflow *) 1 };
    uint32_t hits = dp_emc_lookup(emc, kp, &hash, 1, mfs);

    assert_int_equal(hits, mfs[0] != NULL);
    return mfs[0];
}

static int
setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);

    xcache_frees = 0;
    f->fc = dp_flow_cache_create(NULL, 0, count_xcache_free, NULL);
    f->emc = dp_emc_create(16, 1);
    *state = f;
    return f->fc && f->emc ? 0 : -1;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;

    dp_emc_destroy(f->emc);
    dp_flow_cache_destroy(f->fc);
    free(f);
    return 0;
}

static void
test_create_args(void **state)
{
    struct dp_emc *emc;

    (void) state;
    errno = 0;
    assert_null(dp_emc_create(3, 1));
    assert_int_equal(errno, EINVAL);
    assert_null(dp_emc_create(1, 1));
    assert_null(dp_emc_create(2 * DP_EMC_MAX_ENTRIES, 1));
    emc = dp_emc_create(0, DP_EMC_DEFAULT_INSERT_INV_PROB);
    assert_non_null(emc);
    assert_int_equal(dp_emc_capacity(emc), DP_EMC_DEFAULT_ENTRIES);
    assert_int_equal(dp_emc_get_insert_inv_prob(emc), 100);
    dp_emc_set_insert_inv_prob(emc, 7);
    assert_int_equal(dp_emc_get_insert_inv_prob(emc), 7);
    assert_int_equal(dp_emc_count(emc), 0);
    dp_emc_destroy(emc);
    emc = dp_emc_create(DP_EMC_MAX_ENTRIES, 1);
    assert_non_null(emc);
    dp_emc_destroy(emc);
}

static void
test_two_way(void **state)
{
    struct fixture *f = *state;
    struct dp_megaflow *m1 = megaflow(f->fc, 1);
    struct dp_megaflow *m2 = megaflow(f->fc, 2);
    struct dp_megaflow *m3 = megaflow(f->fc, 3);
    struct ft_key k1, k2, k3, k4;
    /* 16 slots: candidates are hash & 15 and (hash >> 16) & 15. k1 and k2
     * share their first slot (2), k3 has both of k2's candidates. */
    const uint32_t h1 = 0x00010002, h2 = 0x00030002, h3 = 0x00030002;

    packet_key(&k1, 1, 1);
    packet_key(&k2, 2, 2);
    packet_key(&k3, 3, 3);
    assert_true(dp_emc_insert(f->emc, &k1, h1, m1));   /* slot 2 */
    assert_true(dp_emc_insert(f->emc, &k2, h2, m2));   /* slot 3 */
    assert_int_equal(dp_emc_count(f->emc), 2);
    assert_int_equal(m1->refcnt, 2);
    assert_ptr_equal(emc_get(f->emc, &k1, h1), m1);
    assert_ptr_equal(emc_get(f->emc, &k2, h2), m2);

    /* The full key is compared: same hash, other key, no hit. */
    k4 = k1;
    k4.nw_dst = htonl(9);
    assert_null(emc_get(f->emc, &k4, h1));
    /* And the hash: the right key under another hash is not found. */
    assert_null(emc_get(f->emc, &k1, 0x00050005));

    /* Both candidates live: the one with the smaller stored hash (k1's)
     * goes, and drops its reference. */
    assert_true(dp_emc_insert(f->emc, &k3, h3, m3));
    assert_int_equal(dp_emc_count(f->emc), 2);
    assert_null(emc_get(f->emc, &k1, h1));
    assert_ptr_equal(emc_get(f->emc, &k2, h2), m2);
    assert_ptr_equal(emc_get(f->emc, &k3, h3), m3);
    assert_int_equal(m1->refcnt, 1);
    assert_int_equal(m3->refcnt, 2);

    /* Re-inserting a cached key moves it to the new megaflow. */
    assert_true(dp_emc_insert(f->emc, &k3, h3, m1));
    assert_ptr_equal(emc_get(f->emc, &k3, h3), m1);
    assert_int_equal(m3->refcnt, 1);
    assert_int_equal(m1->refcnt, 2);
    assert_int_equal(dp_emc_count(f->emc), 2);

    /* A batch: hits and misses in one call. */
    const struct ft_key *kp[4] = { &k2, &k1, &k3, &k4 };
    uint32_t hashes[4] = { h2, h1, h3, h1 };
    struct dp_megaflow *mfs[4];
    assert_int_equal(dp_emc_lookup(f->emc, kp, hashes, 4, mfs), 0x5);
    assert_ptr_equal(mfs[0], m2);
    assert_null(mfs[1]);
    assert_ptr_equal(mfs[2], m1);
    assert_null(mfs[3]);

    struct dp_emc_stats st;
    dp_emc_get_stats(f->emc, &st);
    assert_int_equal(st.inserts, 4);
    assert_int_equal(st.evictions, 1);
    assert_int_equal(st.lookups, 12);
    assert_int_equal(st.hits, 7);

    /* Flush drops every reference. */
    dp_emc_flush(f->emc);
    assert_int_equal(dp_emc_count(f->emc), 0);
    assert_int_equal(m1->refcnt, 1);
    assert_int_equal(m2->refcnt, 1);
    assert_null(emc_get(f->emc, &k2, h2));
}

static void
test_dead_megaflow(void **state)
{
    struct fixture *f = *state;
    struct dp_megaflow *m1 = megaflow(f->fc, 1);
    struct dp_megaflow *m2 = megaflow(f->fc, 2);
    struct ft_key k1, k2, k3;

    packet_key(&k1, 1, 1);
    packet_key(&k2, 2, 2);
    packet_key(&k3, 2, 3);
    assert_true(dp_emc_insert(f->emc, &k1, 0x00040004, m1));
    assert_true(dp_emc_insert(f->emc, &k2, 0x00050005, m2));

    /* Removal from the classifier: the EMC still holds the megaflow,
     * which is dead; a hit on it is a miss and clears the slot. */
    assert_int_equal(dp_flow_cache_remove(f->fc, m1), 0);
    dp_flow_cache_reclaim(f->fc);
    assert_int_equal(xcache_frees, 0);      /* the EMC's reference */
    assert_int_equal(m1->refcnt, 1);
    assert_null(emc_get(f->emc, &k1, 0x00040004));
    assert_int_equal(dp_emc_count(f->emc), 1);
    struct dp_emc_stats st;
    dp_emc_get_stats(f->emc, &st);
    assert_int_equal(st.dead_cleared, 1);
    /* The last reference is gone: freed after the grace period. */
    assert_int_equal(dp_flow_cache_reclaim(f->fc), 1);
    assert_int_equal(xcache_frees, 1);

    /* A dead megaflow is never cached. */
    assert_int_equal(dp_flow_cache_remove(f->fc, m2), 0);
    assert_false(dp_emc_insert(f->emc, &k3, 0x00060006, m2));
    assert_int_equal(dp_emc_count(f->emc), 1);  /* k2's stale entry */

    /* A slot of a dead megaflow is the preferred victim over a live one. */
    struct dp_megaflow *m3 = megaflow(f->fc, 3);
    struct dp_megaflow *m4 = megaflow(f->fc, 4);
    struct ft_key k4, k5;
    packet_key(&k4, 3, 4);
    packet_key(&k5, 4, 5);
    /* k4 lives in slot 6 (first candidate of 0x00050006); k5's candidates
     * are slots 5 (k2, dead) and 6 (k4, live, smaller hash). */
    assert_true(dp_emc_insert(f->emc, &k4, 0x00050006, m3));
    assert_true(dp_emc_insert(f->emc, &k5, 0x00060005, m4));
    assert_ptr_equal(emc_get(f->emc, &k4, 0x00050006), m3);
    assert_ptr_equal(emc_get(f->emc, &k5, 0x00060005), m4);
    assert_int_equal(m2->refcnt, 0);
    dp_flow_cache_reclaim(f->fc);
    assert_int_equal(xcache_frees, 2);
}

/* Megaflows stay allocated while the EMC references them, however long
 * after their removal, and are freed once it lets go. */
static void
test_refcount(void **state)
{
    struct fixture *f = *state;
    struct dp_megaflow *mfs[8];
    struct ft_key keys[8];

    for (uint16_t i = 0; i < 8; i++) {
        mfs[i] = megaflow(f->fc, i);
        packet_key(&keys[i], i, i);
        assert_true(dp_emc_insert(f->emc, &keys[i], i * 0x00010001u, mfs[i]));
        assert_int_equal(mfs[i]->refcnt, 2);
    }
    dp_flow_cache_flush(f->fc);
    for (unsigned int i = 0; i < 10; i++) {
        dp_flow_cache_reclaim(f->fc);
    }
    assert_int_equal(xcache_frees, 0);
    for (uint16_t i = 0; i < 8; i++) {
        assert_true(dp_megaflow_is_dead(mfs[i]));
        assert_int_equal(mfs[i]->refcnt, 1);
        assert_int_equal(dp_megaflow_actions(mfs[i])->acts[0].output.dp_port,
                         i);
    }
    /* A reference cannot be revived once the count is zero. */
    dp_emc_flush(f->emc);
    for (uint16_t i = 0; i < 8; i++) {
        assert_int_equal(mfs[i]->refcnt, 0);
        assert_false(dp_megaflow_try_ref(mfs[i]));
    }
    assert_int_equal(dp_flow_cache_reclaim(f->fc), 8);
    assert_int_equal(xcache_frees, 8);

    /* Destroying the EMC drops its references too. */
    struct dp_megaflow *mf = megaflow(f->fc, 9);
    struct ft_key k;
    packet_key(&k, 9, 9);
    struct dp_emc *emc = dp_emc_create(64, 1);
    assert_true(dp_emc_insert(emc, &k, 77, mf));
    assert_int_equal(dp_flow_cache_remove(f->fc, mf), 0);
    dp_flow_cache_reclaim(f->fc);
    assert_int_equal(xcache_frees, 8);
    dp_emc_destroy(emc);
    dp_flow_cache_reclaim(f->fc);
    assert_int_equal(xcache_frees, 9);
}

static unsigned int
count_inserts(struct dp_emc *emc, struct dp_megaflow *mf, unsigned int tries)
{
    struct ft_key key;
    unsigned int n = 0;

    for (unsigned int i = 0; i < tries; i++) {
        packet_key(&key, 1, i);     /* a new flow each time */
        n += dp_emc_probabilistic_insert(emc, &key, i * 2654435761u, mf);
    }
    return n;
}

static void
test_probabilistic_insert(void **state)
{
    struct fixture *f = *state;
    struct dp_megaflow *mf = megaflow(f->fc, 1);
    struct dp_emc *emc = dp_emc_create(1024, 100);
    struct dp_emc_stats st;

    /* 1/100 over 200000 tries: mean 2000, sd ~44.5; 10% is > 4 sd. */
    unsigned int n = count_inserts(emc, mf, 200000);
    print_message("1/100: %u inserts of 200000\n", n);
    assert_in_range(n, 1800, 2200);
    dp_emc_get_stats(emc, &st);
    assert_int_equal(st.inserts, n);

    dp_emc_set_insert_inv_prob(emc, 10);
    n = count_inserts(emc, mf, 20000);
    assert_in_range(n, 1800, 2200);         /* mean 2000, sd ~42 */

    dp_emc_set_insert_inv_prob(emc, 1);
    assert_int_equal(count_inserts(emc, mf, 1000), 1000);

    dp_emc_set_insert_inv_prob(emc, 0);
    dp_emc_flush(emc);
    assert_int_equal(count_inserts(emc, mf, 100000), 0);
    assert_int_equal(dp_emc_count(emc), 0);
    dp_emc_destroy(emc);
}

static void
test_sweep(void **state)
{
    struct fixture *f = *state;
    struct dp_emc *emc = dp_emc_create(256, 1);
    struct dp_megaflow *mfs[100];
    unsigned int dead_cached = 0;

    for (uint16_t i = 0; i < 100; i++) {
        struct ft_key key;

        mfs[i] = megaflow(f->fc, i);
        packet_key(&key, i, i);
        /* Distinct slots: i and 128 + i. */
        assert_true(dp_emc_insert(emc, &key, (128u + i) << 16 | i, mfs[i]));
    }
    assert_int_equal(dp_emc_count(emc), 100);
    for (uint16_t i = 0; i < 100; i += 3) {
        assert_int_equal(dp_flow_cache_remove(f->fc, mfs[i]), 0);
        dead_cached++;
    }

    /* A few slots per call: only dead entries go. */
    unsigned int cleared = 0;
    assert_int_equal(dp_emc_sweep(emc, 0), 0);
    cleared += dp_emc_sweep(emc, 10);
    assert_int_equal(cleared, 4);           /* slots 0..9: ids 0,3,6,9 */
    for (unsigned int call = 0; call < 30; call++) {
        cleared += dp_emc_sweep(emc, 9);
    }
    assert_int_equal(cleared, dead_cached);
    assert_int_equal(dp_emc_count(emc), 100 - dead_cached);
    assert_int_equal(dp_emc_sweep(emc, 1000), 0);   /* wraps, nothing left */
    for (uint16_t i = 0; i < 100; i++) {
        assert_int_equal(mfs[i]->refcnt, i % 3 ? 2 : 0);
    }
    struct dp_emc_stats st;
    dp_emc_get_stats(emc, &st);
    assert_int_equal(st.dead_cleared, dead_cached);
    dp_flow_cache_reclaim(f->fc);
    assert_int_equal(xcache_frees, dead_cached);
    dp_emc_destroy(emc);
}

static void
test_packet_hash(void **state)
{
    struct rte_mbuf m;
    struct ft_key key, k2;

    (void) state;
    memset(&m, 0, sizeof m);
    memset(&key, 0, sizeof key);
    key.in_port = 5;
    key.dl_type = htons(0x0800);
    key.nw_src = htonl(0x0a000001);
    key.nw_dst = htonl(0x0a000002);
    key.nw_proto = 6;
    key.tp_src = htons(1234);
    key.tp_dst = htons(80);

    /* The NIC's RSS hash when the mbuf has one. */
    m.ol_flags = RTE_MBUF_F_RX_RSS_HASH;
    m.hash.rss = 0xdeadbeef;
    assert_int_equal(dp_packet_hash(&m, &key), 0xdeadbeef);

    /* Else CRC32-C of in_port, addresses, ports and protocol. */
    m.ol_flags = 0;
    uint32_t want = rte_hash_crc_8byte((uint64_t) key.nw_src << 32
                                       | key.nw_dst,
                                       DP_PACKET_HASH_BASIS ^ 5);
    want = rte_hash_crc_8byte((uint64_t) key.tp_src << 48
                              | (uint64_t) key.tp_dst << 32 | 6, want);
    uint32_t h = dp_packet_hash(&m, &key);
    assert_int_equal(h, want);
    assert_int_equal(dp_key_hash_5tuple(&key), want);

    /* Each 5-tuple field and in_port counts; other fields do not. */
    k2 = key; k2.in_port = 6;               assert_true(dp_packet_hash(&m, &k2) != h);
    k2 = key; k2.nw_src ^= htonl(1);        assert_true(dp_packet_hash(&m, &k2) != h);
    k2 = key; k2.nw_dst ^= htonl(1);        assert_true(dp_packet_hash(&m, &k2) != h);
    k2 = key; k2.tp_src ^= htons(1);        assert_true(dp_packet_hash(&m, &k2) != h);
    k2 = key; k2.tp_dst ^= htons(1);        assert_true(dp_packet_hash(&m, &k2) != h);
    k2 = key; k2.nw_proto = 17;             assert_true(dp_packet_hash(&m, &k2) != h);
    k2 = key; k2.dl_src.ea[5] = 1;          assert_int_equal(dp_packet_hash(&m, &k2), h);
    k2 = key; k2.nw_ttl = 3;                assert_int_equal(dp_packet_hash(&m, &k2), h);

    /* IPv6: both addresses. */
    k2 = key;
    k2.dl_type = htons(0x86dd);
    k2.nw_src = k2.nw_dst = 0;
    uint32_t h6 = dp_packet_hash(&m, &k2);
    k2.ipv6_dst.s6[15] = 1;
    assert_true(dp_packet_hash(&m, &k2) != h6);
    h6 = dp_packet_hash(&m, &k2);
    k2.ipv6_src.s6[0] = 0x20;
    assert_true(dp_packet_hash(&m, &k2) != h6);

    /* Non-IP: Ethernet addresses, type and VLAN stand in. */
    memset(&k2, 0, sizeof k2);
    k2.in_port = 5;
    k2.dl_type = htons(0x0806);
    uint32_t harp = dp_packet_hash(&m, &k2);
    k2.dl_src.ea[5] = 1;
    assert_true(dp_packet_hash(&m, &k2) != harp);
    harp = dp_packet_hash(&m, &k2);
    k2.vlans[0].tci = htons(0x1005);
    assert_true(dp_packet_hash(&m, &k2) != harp);

    /* Recirculated: recirc_id mixed in, over RSS too. */
    k2 = key;
    k2.recirc_id = 9;
    assert_int_equal(dp_packet_hash(&m, &k2), rte_hash_crc_4byte(9, h));
    m.ol_flags = RTE_MBUF_F_RX_RSS_HASH;
    assert_int_equal(dp_packet_hash(&m, &k2),
                     rte_hash_crc_4byte(9, 0xdeadbeef));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_args),
        cmocka_unit_test_setup_teardown(test_two_way, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dead_megaflow, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refcount, setup, teardown),
        cmocka_unit_test_setup_teardown(test_probabilistic_insert, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_sweep, setup, teardown),
        cmocka_unit_test(test_packet_hash),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
