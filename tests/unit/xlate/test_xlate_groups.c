/*
 * test_xlate_groups.c — translation of groups (each type, clones,
 * stickiness and the hash-only mask of SELECT, fast failover on port
 * liveness), the bounds (depth, bucket fan-out, action count), freezing
 * and recirculation (after popping the bottom MPLS label, inside a clone,
 * content addressing, lifetime, depth) and xcaches (crediting flows,
 * groups, tables; references). No EAL: nothing here uses NORMAL.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <rte_common.h>
#include <rte_rcu_qsbr.h>

#include "flowtable/ft_pipeline.h"
#include "flowtable/ft_xlate.h"
#include "xlate_test_util.h"

static int
setup(void **state)
{
    return t_fx_setup(state, 16);
}

static void
match_mpls(struct ft_match *m)
{
    t_match_all(m);
    t_match_dl_type(m, T_ETH_MPLS);
}

/* ---- groups ------------------------------------------------------------------ */

static void
add_all_group(struct ft_pipeline *p)
{
    static struct ft_action b0[2], b1[1], b2[2];
    struct ft_bucket_cfg b[3];

    b0[0] = t_set_nw_dst(t_ip(1, 1, 1, 1));
    b0[1] = t_output(2);
    b1[0] = t_output(3);
    b2[0] = t_set_nw_dst(t_ip(2, 2, 2, 2));
    b2[1] = t_output(4);
    b[0] = t_bucket(b0, 2);
    b[1] = t_bucket(b1, 1);
    b[2] = t_bucket(b2, 2);
    t_add_group(p, FT_OFPGT_ALL, 1, b, 3);
}

static void
test_group_all(void **state)
{
    FX;
    struct ft_match m;
    struct ft_action more[] = { t_group(p, 1), t_output(5) };
    struct ft_action last[] = { t_group(p, 1) };
    struct ft_key k = t_key_ip(6, t_ip(10, 0, 0, 1));

    add_all_group(p);
    t_match_ip(&m);
    t_add_apply(p, 0, 10, &m, more, 2);
    /* Each modifying bucket on a copy; the bucket that only outputs needs
     * none; output 5 then sees the packet unmodified. */
    assert_string_equal(t_xlate(p, &k, out),
                        "clone(set(nw_dst=1.1.1.1),102),103,"
                        "clone(set(nw_dst=2.2.2.2),104),105");
    /* The group once, then each of its three buckets alone. */
    assert_int_equal(out->n_groups, 4);
    assert_int_equal(out->groups[0].bucket, -1);
    assert_false(out->groups[0].bucket_only);
    for (int i = 1; i < 4; i++) {
        assert_int_equal(out->groups[i].bucket, i - 1);
        assert_true(out->groups[i].bucket_only);
    }

    /* Nothing follows the group: its last bucket needs no copy. */
    t_add_apply(p, 0, 10, &m, last, 1);
    assert_string_equal(t_xlate(p, &k, out),
                        "clone(set(nw_dst=1.1.1.1),102),103,"
                        "set(nw_dst=2.2.2.2),104");

    /* A bucket's set-field whose prerequisite fails is skipped. */
    k.dl_type = htons(T_ETH_ARP);
    assert_string_equal(t_packet_out(p, &k, more, 2, out), "102,103,104,105");
}

static void
test_group_select(void **state)
{
    FX;
    struct ft_action ba[4][1];
    struct ft_bucket_cfg b[4];
    struct ft_match m;
    struct ft_action a[] = { t_group(p, 2) };
    unsigned int hits[4] = { 0 };

    for (int i = 0; i < 4; i++) {
        ba[i][0] = t_output((uint32_t) i + 1);
        b[i] = t_bucket(ba[i], 1);
        b[i].weight = 1;
    }
    t_add_group(p, FT_OFPGT_SELECT, 2, b, 4);
    t_match_ip(&m);
    t_add_apply(p, 0, 10, &m, a, 1);

    for (uint32_t h = 0; h < 1024; h++) {
        struct ft_key k = t_key_tcp(6, t_ip(10, 0, 0, h & 7),
                                    t_ip(10, 1, 0, 1), (uint16_t) h, 80);
        char first[8192];

        k.dp_hash = h * 2654435761u;
        snprintf(first, sizeof first, "%s", t_xlate(p, &k, out));
        assert_int_equal(out->n_acts, 1);
        assert_int_equal(out->acts[0].type, FT_DPACT_OUTPUT);
        hits[out->acts[0].output.dp_port - T_DP(1)]++;
        /* Only the slot bits of the hash, never the 5-tuple. */
        assert_int_equal(out->wc.masks.dp_hash, FT_GROUP_SELECT_SLOTS - 1);
        assert_false(T_WC_HAS(out, nw_src));
        assert_false(T_WC_HAS(out, tp_src));
        assert_int_equal(out->groups[0].bucket,
                         (int32_t) (out->acts[0].output.dp_port - T_DP(1)));
        /* Sticky: the same hash, or one equal in the slot bits, picks the
         * same bucket whatever else differs. */
        k.dp_hash += FT_GROUP_SELECT_SLOTS;
        k.nw_src = t_ip(172, 16, 0, 1);
        k.tp_src = htons(9);
        assert_string_equal(t_xlate(p, &k, out), first);
    }
    for (int i = 0; i < 4; i++) {
        assert_true(hits[i] > 128);     /* equal weights, 1024 hashes */
    }
}

static void
test_group_indirect(void **state)
{
    FX;
    struct ft_action ba[] = { t_set_eth_dst(5), t_output(2) };
    struct ft_bucket_cfg b = t_bucket(ba, 2);
    struct ft_match m;
    struct ft_action a[] = { t_group(p, 3), t_output(4) };
    struct ft_key k = t_key_ip(6, t_ip(10, 0, 0, 1));

    t_add_group(p, FT_OFPGT_INDIRECT, 3, &b, 1);
    t_match_all(&m);
    t_add_apply(p, 0, 10, &m, a, 2);
    assert_string_equal(t_xlate(p, &k, out),
                        "clone(set(dl_dst=02:00:00:00:ee:05),102),104");
    assert_int_equal(out->n_groups, 1);
    assert_int_equal(out->groups[0].bucket, 0);
}

static void
test_group_fast_failover(void **state)
{
    FX;
    struct ft_action b0[] = { t_output(2) }, b1[] = { t_output(3) };
    struct ft_bucket_cfg b[2] = { t_bucket(b0, 1), t_bucket(b1, 1) };
    struct ft_port ports[4];
    struct ft_match m;
    struct ft_action a[] = { t_group(p, 4) };
    struct ft_key k = t_key_ip(1, t_ip(10, 0, 0, 1));
    uint64_t gen;

    b[0].watch_port = 2;
    b[1].watch_port = 3;
    t_add_group(p, FT_OFPGT_FF, 4, b, 2);
    t_match_all(&m);
    t_add_apply(p, 0, 10, &m, a, 1);
    assert_string_equal(t_xlate(p, &k, out), "102");
    assert_int_equal(out->groups[0].bucket, 0);
    gen = out->generation;

    for (uint32_t i = 0; i < 4; i++) {
        ports[i] = (struct ft_port) {
            .ofp_port = i + 1, .dp_port = T_DP(i + 1), .live = i != 1,
        };
    }
    assert_int_equal(ft_pipeline_set_ports(p, ports, 4), 0);
    assert_string_equal(t_xlate(p, &k, out), "103");
    assert_int_equal(out->groups[0].bucket, 1);
    assert_true(out->generation != gen);    /* revalidation sees it */

    ports[2].live = false;
    assert_int_equal(ft_pipeline_set_ports(p, ports, 4), 0);
    assert_string_equal(t_xlate(p, &k, out), "drop");
    assert_int_equal(out->groups[0].bucket, -1);
}

/* ---- bounds ------------------------------------------------------------------ */

static void
test_depth_bound(void **state)
{
    FX;
    struct ft_pipeline *big = t_pipeline(100);
    struct ft_match m;
    struct ft_insts in;
    struct ft_action a[] = { t_output(2) };
    struct ft_key k = t_key_ip(1, t_ip(10, 0, 0, 1));
    uint64_t errors = ft_pipeline_xlate_errors(big);

    (void) p;
    t_set_ports(big, 4);
    t_match_all(&m);
    for (uint8_t t = 0; t < 99; t++) {
        t_insts_init(&in);
        in.goto_table = (uint8_t) (t + 1);
        t_add_flow(big, t, 1, &m, &in);
    }
    t_add_apply(big, 99, 1, &m, a, 1);
    assert_string_equal(t_xlate(big, &k, out), "drop");
    assert_int_equal(out->error, FT_XLATE_TOO_DEEP);
    assert_int_equal(ft_pipeline_xlate_errors(big), errors + 1);

    /* Within the bound the same chain works. */
    t_add_apply(big, FT_XLATE_MAX_DEPTH - 1, 2, &m, a, 1);
    assert_string_equal(t_xlate(big, &k, out), "102");
    assert_int_equal(out->error, FT_XLATE_OK);
    ft_pipeline_destroy(big);
}

static void
test_bucket_fanout_bound(void **state)
{
    FX;
    static struct ft_action leaf[1], mid[1];
    struct ft_bucket_cfg b[64];
    struct ft_match m;
    struct ft_action a[] = { t_group(p, 11), t_output(2) };
    struct ft_key k = t_key_ip(1, t_ip(10, 0, 0, 1));
    uint64_t errors = ft_pipeline_xlate_errors(p);

    /* 64 buckets of 64 buckets: 4160 bucket runs > FT_XLATE_MAX_BUCKETS,
     * though they emit nothing (port 9 does not exist). */
    leaf[0] = t_output(9);
    for (int i = 0; i < 64; i++) {
        b[i] = t_bucket(leaf, 1);
    }
    t_add_group(p, FT_OFPGT_ALL, 10, b, 64);
    mid[0] = t_group(p, 10);
    for (int i = 0; i < 64; i++) {
        b[i] = t_bucket(mid, 1);
    }
    t_add_group(p, FT_OFPGT_ALL, 11, b, 64);
    t_match_all(&m);
    t_add_apply(p, 0, 10, &m, a, 2);
    assert_string_equal(t_xlate(p, &k, out), "drop");
    assert_int_equal(out->error, FT_XLATE_TOO_MANY_BUCKETS);
    assert_int_equal(out->n_acts, 0);
    assert_int_equal(ft_pipeline_xlate_errors(p), errors + 1);
    assert_string_equal(ft_xlate_error_name(out->error), "too many buckets");
}

static void
test_action_count_bound(void **state)
{
    FX;
    static struct ft_action leaf[1], mid[1];
    struct ft_bucket_cfg b[200];
    struct ft_match m;
    struct ft_action a[] = { t_group(p, 21) };
    struct ft_key k = t_key_ip(1, t_ip(10, 0, 0, 1));

    leaf[0] = t_output(2);
    for (int i = 0; i < 200; i++) {
        b[i] = t_bucket(leaf, 1);
    }
    t_add_group(p, FT_OFPGT_ALL, 20, b, 200);
    mid[0] = t_group(p, 20);
    for (int i = 0; i < 8; i++) {
        b[i] = t_bucket(mid, 1);
    }
    t_add_group(p, FT_OFPGT_ALL, 21, b, 8);
    t_match_all(&m);
    t_add_apply(p, 0, 10, &m, a, 1);
    /* 1600 outputs > FT_XLATE_MAX_DPACTS. */
    assert_string_equal(t_xlate(p, &k, out), "drop");
    assert_int_equal(out->error, FT_XLATE_TOO_MANY_ACTIONS);
}

/* ---- recirculation ---------------------------------------------------------------- */

/* Table 0: MPLS → pop to IPv4, goto 1. Table 1: 10.0.0.0/24 → output 2. */
static void
add_pop_then_route(struct ft_pipeline *p)
{
    struct ft_match m;
    struct ft_insts in;
    static struct ft_action pop[1], fwd[1];

    pop[0] = t_ethertype(FT_OFPAT_POP_MPLS, T_ETH_IP);
    fwd[0] = t_output(2);
    match_mpls(&m);
    t_insts_init(&in);
    in.has_apply = true;
    in.apply = (struct ft_action_list) { pop, 1 };
    in.goto_table = 1;
    t_add_flow(p, 0, 10, &m, &in);
    t_match_all(&m);
    t_match_nw_dst(&m, t_ip(10, 0, 0, 0), 24);
    t_add_apply(p, 1, 10, &m, fwd, 1);
}

static uint32_t
recirc_id_of(const struct ft_xlate_out *out)
{
    assert_true(out->n_acts > 0);
    assert_int_equal(out->acts[out->n_acts - 1].type, FT_DPACT_RECIRC);
    return out->acts[out->n_acts - 1].recirc.id;
}

static void
test_recirc_after_pop_mpls(void **state)
{
    FX;
    uint32_t labels[] = { 100 }, other[] = { 200 };
    struct ft_key k = t_key_mpls(1, labels, 1, 64);
    struct ft_key k2 = t_key_mpls(1, other, 1, 64);
    struct ft_key ip = t_key_ip(1, t_ip(10, 0, 0, 5));
    uint32_t id;
    char buf[128];

    add_pop_then_route(p);
    t_xlate(p, &k, out);
    assert_int_equal(out->n_acts, 2);
    assert_int_equal(out->acts[0].type, FT_DPACT_POP_MPLS);
    id = recirc_id_of(out);
    assert_int_not_equal(id, 0);
    assert_int_equal(out->n_recirc, 1);
    assert_int_equal(out->recirc_ids[0], id);
    assert_int_equal(ft_pipeline_n_recirc(p), 1);
    snprintf(buf, sizeof buf, "pop_mpls(eth_type=0x0800),recirc(0x%x)", id);
    assert_string_equal(t_xlate(p, &k, out), buf);

    /* Same frozen work, same state. */
    t_xlate(p, &k2, out);
    assert_int_equal(recirc_id_of(out), id);
    assert_int_equal(ft_pipeline_n_recirc(p), 1);

    /* The datapath re-parses and comes back with the id. */
    ip.recirc_id = id;
    assert_string_equal(t_xlate(p, &ip, out), "102");
    assert_int_equal(out->recirc_ids[0], id);
    assert_int_equal(out->wc.masks.recirc_id, UINT32_MAX);
    assert_int_equal(out->table_lookup[0], 1);  /* resumed at table 1 */
    ip.nw_dst = t_ip(10, 9, 9, 9);
    assert_string_equal(t_xlate(p, &ip, out), "drop");
}

static void
test_recirc_unknown_id(void **state)
{
    FX;
    struct ft_key ip = t_key_ip(1, t_ip(10, 0, 0, 5));
    uint64_t errors = ft_pipeline_xlate_errors(p);

    ip.recirc_id = 0x12345;
    assert_string_equal(t_xlate(p, &ip, out), "drop");
    assert_int_equal(out->error, FT_XLATE_NO_RECIRC_STATE);
    assert_int_equal(ft_pipeline_xlate_errors(p), errors + 1);
}

static void
test_recirc_lifetime(void **state)
{
    FX;
    uint32_t labels[] = { 100 };
    struct ft_key k = t_key_mpls(1, labels, 1, 64);
    struct ft_xcache *xc1, *xc2;
    uint32_t id;

    add_pop_then_route(p);
    t_xlate(p, &k, out);
    id = recirc_id_of(out);
    xc1 = ft_xcache_create(p, out, &k);
    xc2 = ft_xcache_create(p, out, &k);
    assert_non_null(xc1);
    assert_non_null(xc2);

    ft_pipeline_reclaim(p);
    assert_int_equal(ft_pipeline_n_recirc(p), 1);   /* referenced */
    ft_xcache_destroy(p, xc1);
    ft_pipeline_reclaim(p);
    assert_int_equal(ft_pipeline_n_recirc(p), 1);
    ft_xcache_destroy(p, xc2);
    ft_pipeline_reclaim(p);
    assert_int_equal(ft_pipeline_n_recirc(p), 0);   /* last ref gone */

    /* The id is not handed out again for other work right away. */
    k.in_port = 2;
    t_xlate(p, &k, out);
    assert_int_not_equal(recirc_id_of(out), id);
    /* A translation nobody keeps leaves nothing behind. */
    ft_pipeline_reclaim(p);
    assert_int_equal(ft_pipeline_n_recirc(p), 0);
}

/* With a qsbr: an unreferenced state lives a grace period after it was
 * last handed out, then is unlinked (its id no longer resumes), then
 * freed a grace period later. The main thread plays the reader here,
 * reporting quiescence by hand. */
static void
test_recirc_grace_period(void **state)
{
    FX;
    size_t size = rte_rcu_qsbr_get_memsize(1);
    struct rte_rcu_qsbr *v = aligned_alloc(RTE_CACHE_LINE_SIZE,
                                           RTE_ALIGN_CEIL(size,
                                                          RTE_CACHE_LINE_SIZE));
    struct ft_pipeline_config cfg = { .n_tables = 4, .qsbr = v };
    struct ft_pipeline *q;
    uint32_t labels[] = { 100 };
    struct ft_key k = t_key_mpls(1, labels, 1, 64);
    struct ft_key ip = t_key_ip(1, t_ip(10, 0, 0, 5));
    struct ft_xcache *xc;
    uint32_t id, id2;

    (void) p;
    assert_non_null(v);
    assert_int_equal(rte_rcu_qsbr_init(v, 1), 0);
    assert_int_equal(rte_rcu_qsbr_thread_register(v, 0), 0);
    rte_rcu_qsbr_thread_online(v, 0);
    q = ft_pipeline_create(&cfg);
    assert_non_null(q);
    t_set_ports(q, 4);
    add_pop_then_route(q);

    t_xlate(q, &k, out);
    id = recirc_id_of(out);
    ft_pipeline_reclaim(q);
    assert_int_equal(ft_pipeline_n_recirc(q), 1);  /* reader not quiet */
    rte_rcu_qsbr_quiescent(v, 0);
    ft_pipeline_reclaim(q);
    assert_int_equal(ft_pipeline_n_recirc(q), 0);  /* unlinked */
    ip.recirc_id = id;
    t_xlate(q, &ip, out);
    assert_int_equal(out->error, FT_XLATE_NO_RECIRC_STATE);
    rte_rcu_qsbr_quiescent(v, 0);
    ft_pipeline_reclaim(q);                         /* freed */

    /* Handed out again after a quiescent state: the grace starts over,
     * so the translation can still reference it. */
    t_xlate(q, &k, out);
    id2 = recirc_id_of(out);
    assert_int_not_equal(id2, id);
    rte_rcu_qsbr_quiescent(v, 0);
    t_xlate(q, &k, out);
    assert_int_equal(recirc_id_of(out), id2);
    ft_pipeline_reclaim(q);
    assert_int_equal(ft_pipeline_n_recirc(q), 1);
    xc = ft_xcache_create(q, out, &k);
    assert_non_null(xc);
    for (int i = 0; i < 3; i++) {
        rte_rcu_qsbr_quiescent(v, 0);
        ft_pipeline_reclaim(q);
    }
    assert_int_equal(ft_pipeline_n_recirc(q), 1);  /* referenced */
    ip.recirc_id = id2;
    assert_string_equal(t_xlate(q, &ip, out), "102");
    ft_xcache_destroy(q, xc);
    for (int i = 0; i < 3; i++) {
        rte_rcu_qsbr_quiescent(v, 0);
        ft_pipeline_reclaim(q);
    }
    assert_int_equal(ft_pipeline_n_recirc(q), 0);

    rte_rcu_qsbr_thread_offline(v, 0);
    ft_pipeline_destroy(q);
    free(v);
}

static void
test_recirc_freezes_rest_of_entry(void **state)
{
    FX;
    struct ft_match m;
    struct ft_insts in;
    struct ft_action a[] = {
        t_output(3), t_ethertype(FT_OFPAT_POP_MPLS, T_ETH_IP),
        t_set_nw_dst(t_ip(9, 9, 9, 9)), t_output(2),
    };
    struct ft_action w[] = { t_output(4) };
    uint32_t labels[] = { 100 };
    struct ft_key k = t_key_mpls(1, labels, 1, 64);
    struct ft_key ip = t_key_ip(1, t_ip(10, 0, 0, 5));
    char buf[128];

    match_mpls(&m);
    t_insts_init(&in);
    in.has_apply = true;
    in.apply = (struct ft_action_list) { a, 4 };
    in.has_write = true;
    in.write = (struct ft_action_list) { w, 1 };
    in.has_write_metadata = true;
    in.metadata = 0x77;
    in.metadata_mask = 0xff;
    t_add_flow(p, 0, 10, &m, &in);

    t_xlate(p, &k, out);
    snprintf(buf, sizeof buf, "103,pop_mpls(eth_type=0x0800),recirc(0x%x)",
             recirc_id_of(out));
    assert_string_equal(t_xlate(p, &k, out), buf);

    /* The rest of the list, then the action set written after it. */
    ip.recirc_id = recirc_id_of(out);
    assert_string_equal(t_xlate(p, &ip, out), "set(nw_dst=9.9.9.9),102,104");
    assert_false(T_WC_HAS(out, nw_dst));
}

static void
test_recirc_in_bucket_clone(void **state)
{
    FX;
    struct ft_action b0[] = {
        t_ethertype(FT_OFPAT_POP_MPLS, T_ETH_IP),
        t_set_nw_dst(t_ip(9, 9, 9, 9)), t_output(2),
    };
    struct ft_action b1[] = { t_output(3) };
    struct ft_bucket_cfg b[2] = { t_bucket(b0, 3), t_bucket(b1, 1) };
    struct ft_match m;
    struct ft_action a[] = { t_group(p, 7) };
    uint32_t labels[] = { 100 };
    struct ft_key k = t_key_mpls(1, labels, 1, 64);
    struct ft_key ip = t_key_ip(1, t_ip(10, 0, 0, 5));
    char buf[128];
    uint32_t id;

    t_add_group(p, FT_OFPGT_ALL, 7, b, 2);
    match_mpls(&m);
    t_add_apply(p, 0, 10, &m, a, 1);
    t_xlate(p, &k, out);
    assert_int_equal(out->acts[0].type, FT_DPACT_CLONE);
    id = out->acts[2].recirc.id;
    /* The copy recirculates; the original goes on to the next bucket. */
    snprintf(buf, sizeof buf,
             "clone(pop_mpls(eth_type=0x0800),recirc(0x%x)),103", id);
    assert_string_equal(t_xlate(p, &k, out), buf);

    ip.recirc_id = id;
    assert_string_equal(t_xlate(p, &ip, out), "set(nw_dst=9.9.9.9),102");
}

static void
test_recirc_select_after_pop(void **state)
{
    FX;
    struct ft_action ba[] = { t_output(2) };
    struct ft_bucket_cfg b = t_bucket(ba, 1);
    struct ft_match m;
    struct ft_action a[] = {
        t_ethertype(FT_OFPAT_POP_MPLS, T_ETH_IP), t_group(p, 8),
    };
    uint32_t labels[] = { 100 };
    struct ft_key k = t_key_mpls(1, labels, 1, 64);
    struct ft_key ip = t_key_ip(1, t_ip(10, 0, 0, 5));

    b.weight = 1;
    t_add_group(p, FT_OFPGT_SELECT, 8, &b, 1);
    match_mpls(&m);
    t_add_apply(p, 0, 10, &m, a, 2);
    t_xlate(p, &k, out);
    /* The choice needs the inner packet's hash: freeze before it. */
    assert_int_equal(out->n_acts, 2);
    assert_int_equal(out->n_groups, 0);
    assert_false(T_WC_HAS(out, dp_hash));
    ip.recirc_id = recirc_id_of(out);
    assert_string_equal(t_xlate(p, &ip, out), "102");
    assert_int_equal(out->wc.masks.dp_hash, FT_GROUP_SELECT_SLOTS - 1);
}

static void
test_recirc_depth_bound(void **state)
{
    FX;
    struct ft_match m;
    struct ft_insts in;
    struct ft_action pop[] = { t_ethertype(FT_OFPAT_POP_MPLS, T_ETH_MPLS) };
    uint32_t labels[] = { 100 };
    struct ft_key k = t_key_mpls(1, labels, 1, 64);
    uint32_t id = 0;

    /* MPLS in MPLS all the way down: every table pops the bottom label
     * and the next one must look at what is under it. */
    match_mpls(&m);
    for (uint8_t t = 0; t < 15; t++) {
        t_insts_init(&in);
        in.has_apply = true;
        in.apply = (struct ft_action_list) { pop, 1 };
        in.goto_table = (uint8_t) (t + 1);
        t_add_flow(p, t, 10, &m, &in);
    }
    for (int pass = 1; pass <= FT_RECIRC_MAX_DEPTH; pass++) {
        k.recirc_id = id;
        t_xlate(p, &k, out);
        assert_int_equal(out->error, FT_XLATE_OK);
        id = recirc_id_of(out);
    }
    k.recirc_id = id;
    assert_string_equal(t_xlate(p, &k, out), "drop");
    assert_int_equal(out->error, FT_XLATE_RECIRC_TOO_DEEP);
}

/* ---- xcache --------------------------------------------------------------------------- */

static void
test_xcache_credits(void **state)
{
    FX;
    struct ft_action ba[] = { t_output(3) };
    struct ft_bucket_cfg b = t_bucket(ba, 1);
    struct ft_match m;
    struct ft_insts in;
    struct ft_action a0[] = { t_group(p, 1) };
    struct ft_action a1[] = { t_output(2) };
    struct ft_key k = t_key_ip(1, t_ip(10, 0, 0, 1));
    struct ft_group_stats *gs = malloc(sizeof *gs);
    struct ft_table_stats ts;
    struct ft_flow *f0, *f1;
    struct ft_xcache *xc;
    struct ft_flow_mod del;

    t_add_group(p, FT_OFPGT_INDIRECT, 1, &b, 1);
    t_match_ip(&m);
    t_insts_init(&in);
    in.has_apply = true;
    in.apply = (struct ft_action_list) { a0, 1 };
    in.goto_table = 2;
    t_add_flow(p, 0, 10, &m, &in);
    assert_int_equal(ft_pipeline_set_table_miss(p, 2,
                                                FT_TABLE_MISS_CONTINUE), 0);
    t_match_all(&m);
    t_add_apply(p, 3, 10, &m, a1, 1);

    assert_string_equal(t_xlate(p, &k, out), "103,102");
    assert_int_equal(out->n_flows, 2);
    f0 = out->flows[0];
    f1 = out->flows[1];
    xc = ft_xcache_create(p, out, &k);
    assert_non_null(xc);

    ft_xcache_credit(p, xc, 10, 1500, 5000);
    ft_xcache_credit(p, xc, 0, 0, 6000);       /* nothing: no change */
    assert_int_equal(ft_flow_packet_count(f0), 10);
    assert_int_equal(ft_flow_byte_count(f0), 1500);
    assert_int_equal(ft_flow_packet_count(f1), 10);
    assert_int_equal(ft_group_get_stats(ft_pipeline_groups(p), 1, 0, gs), 0);
    assert_int_equal(gs->packet_count, 10);
    assert_int_equal(gs->byte_count, 1500);
    assert_int_equal(gs->buckets[0].packet_count, 10);
    ft_pipeline_table_stats(p, 0, &ts);
    assert_int_equal(ts.lookup_count, 10);
    assert_int_equal(ts.matched_count, 10);
    ft_pipeline_table_stats(p, 2, &ts);
    assert_int_equal(ts.lookup_count, 10);
    assert_int_equal(ts.matched_count, 0);
    ft_pipeline_table_stats(p, 3, &ts);
    assert_int_equal(ts.matched_count, 10);
    ft_pipeline_table_stats(p, 1, &ts);
    assert_int_equal(ts.lookup_count, 0);      /* skipped by the goto */

    /* The xcache keeps a removed entry alive for late credits. */
    memset(&del, 0, sizeof del);
    del.command = FT_OFPFC_DELETE;
    del.table_id = FT_OFPTT_ALL;
    del.out_port = FT_OFPP_ANY;
    del.out_group = FT_OFPG_ANY;
    ft_pipeline_begin(p);
    assert_true(ft_ofperr_is_ok(ft_pipeline_flow_mod(p, &del, 0, NULL)));
    ft_pipeline_commit(p);
    ft_pipeline_reclaim(p);
    assert_false(ft_flow_is_live(f0));
    ft_xcache_credit(p, xc, 1, 100, 7000);
    assert_int_equal(ft_flow_packet_count(f0), 11);
    ft_xcache_destroy(p, xc);
    ft_pipeline_reclaim(p);
    free(gs);
}

/* An ALL group runs every bucket for one packet: the group counts the
 * packet once, each bucket counts it too. */
static void
test_xcache_credits_all_group(void **state)
{
    FX;
    struct ft_action b1a[] = { t_output(2) };
    struct ft_action b2a[] = { t_output(3) };
    struct ft_bucket_cfg b[] = { t_bucket(b1a, 1), t_bucket(b2a, 1) };
    struct ft_action a0[] = { t_group(p, 7) };
    struct ft_key k = t_key_ip(1, t_ip(10, 0, 0, 1));
    struct ft_group_stats *gs = malloc(sizeof *gs);
    struct ft_match m;
    struct ft_xcache *xc;

    t_add_group(p, FT_OFPGT_ALL, 7, b, 2);
    t_match_all(&m);
    t_add_apply(p, 0, 10, &m, a0, 1);
    assert_string_equal(t_xlate(p, &k, out), "102,103");
    xc = ft_xcache_create(p, out, &k);
    assert_non_null(xc);
    ft_xcache_credit(p, xc, 4, 400, 5000);
    assert_int_equal(ft_group_get_stats(ft_pipeline_groups(p), 7, 0, gs), 0);
    assert_int_equal(gs->packet_count, 4);
    assert_int_equal(gs->byte_count, 400);
    assert_int_equal(gs->buckets[0].packet_count, 4);
    assert_int_equal(gs->buckets[1].packet_count, 4);
    assert_int_equal(gs->buckets[1].byte_count, 400);
    ft_xcache_destroy(p, xc);
    ft_pipeline_reclaim(p);
    free(gs);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
#define T(NAME) cmocka_unit_test_setup_teardown(NAME, setup, t_fx_teardown)
        T(test_group_all),
        T(test_group_select),
        T(test_group_indirect),
        T(test_group_fast_failover),
        T(test_depth_bound),
        T(test_bucket_fanout_bound),
        T(test_action_count_bound),
        T(test_recirc_after_pop_mpls),
        T(test_recirc_unknown_id),
        T(test_recirc_lifetime),
        T(test_recirc_grace_period),
        T(test_recirc_freezes_rest_of_entry),
        T(test_recirc_in_bucket_clone),
        T(test_recirc_select_after_pop),
        T(test_recirc_depth_bound),
        T(test_xcache_credits),
        T(test_xcache_credits_all_group),
#undef T
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
