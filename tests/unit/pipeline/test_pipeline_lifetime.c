/*
 * test_pipeline_lifetime.c — unit tests of what happens to flow entries
 * over time in the OpenFlow 1.3 pipeline (flowtable/ft_pipeline.h):
 * timeouts on a test clock (idle refreshed by packets, hard not, the next
 * deadline, FLOW_REMOVED reasons only with SEND_FLOW_REM), group and meter
 * deletes removing their flows, counters with NO_PKT/NO_BYT_COUNTS,
 * references keeping removed flows alive, MODIFY forwarding late credits,
 * the port map and group liveness, and grace-period frees with a real
 * rte_rcu_qsbr.
 *
 * No EAL. The qsbr variable lives in plain aligned memory, as in
 * test_meter.c. Whether a flow was freed is observed through the
 * references it holds (a meter's flow count, a group's ref count); ASan
 * checks the rest.
 */
#include <rte_rcu_qsbr.h>

#include "pipeline_helpers.h"

/* ---- timeouts ------------------------------------------------------------------ */

static void
add_timed(struct ft_pipeline *pl, uint32_t dst, uint16_t idle, uint16_t hard,
          uint16_t flags, uint64_t cookie)
{
    struct mod m;
    mod_init(&m, FT_OFPFC_ADD, 0, 100, match_dst(dst, 32));
    m.fm.idle_timeout = idle;
    m.fm.hard_timeout = hard;
    m.fm.flags = flags;
    m.fm.cookie = cookie;
    mod_apply(&m, act_output(1));
    assert_ok(run(pl, &m, NULL));
}

static void
test_timeouts(void **state)
{
    (void) state;
    struct ft_pipeline *pl = new_pipeline(0, NULL);
    struct removed rem = { 0 };

    ft_pipeline_set_flow_removed_cb(pl, removed_cb, &rem);
    assert_int_equal(ft_pipeline_expire(pl, T0), INT64_MAX);
    add_timed(pl, 1, 10, 0, FT_OFPFF_SEND_FLOW_REM, 0xa);   /* idle */
    add_timed(pl, 2, 0, 20, FT_OFPFF_SEND_FLOW_REM, 0xb);   /* hard */
    add_timed(pl, 3, 5, 0, 0, 0xc);         /* idle, no FLOW_REMOVED */
    add_timed(pl, 4, 0, 0, FT_OFPFF_SEND_FLOW_REM, 0xd);    /* none */
    add_timed(pl, 5, 30, 12, FT_OFPFF_SEND_FLOW_REM, 0xe);  /* both */

    assert_int_equal(ft_pipeline_expire(pl, T0), T0 + 5000);
    assert_int_equal(ft_pipeline_expire(pl, T0 + 4999), T0 + 5000);
    assert_non_null(lookup(pl, 0, 3));

    /* 3 idles out silently. */
    assert_int_equal(ft_pipeline_expire(pl, T0 + 5000), T0 + 10000);
    assert_null(lookup(pl, 0, 3));
    assert_int_equal(rem.n, 0);

    /* Packets refresh the idle timeout... */
    ft_flow_credit(lookup(pl, 0, 1), 2, 200, T0 + 8000);
    assert_int_equal(ft_pipeline_expire(pl, T0 + 10000), T0 + 12000);
    assert_non_null(lookup(pl, 0, 1));

    /* ...but never the hard one. */
    ft_flow_credit(lookup(pl, 0, 5), 1, 100, T0 + 11000);
    assert_int_equal(ft_pipeline_expire(pl, T0 + 12000), T0 + 18000);
    assert_null(lookup(pl, 0, 5));
    assert_int_equal(rem.n, 1);
    assert_int_equal(rem.reason[0], FT_OFPRR_HARD_TIMEOUT);
    assert_int_equal(rem.cookie[0], 0xe);
    assert_int_equal(rem.now_ms[0], T0 + 12000);

    ft_flow_credit(lookup(pl, 0, 2), 1, 100, T0 + 17000);
    assert_int_equal(ft_pipeline_expire(pl, T0 + 18000), T0 + 20000);
    assert_null(lookup(pl, 0, 1));
    assert_int_equal(rem.n, 2);
    assert_int_equal(rem.reason[1], FT_OFPRR_IDLE_TIMEOUT);
    assert_int_equal(rem.cookie[1], 0xa);
    assert_int_equal(rem.packets[1], 2);    /* final counters */
    assert_int_equal(rem.created_ms[1], T0);

    assert_int_equal(ft_pipeline_expire(pl, T0 + 25000), INT64_MAX);
    assert_null(lookup(pl, 0, 2));
    assert_int_equal(rem.n, 3);
    assert_int_equal(rem.reason[2], FT_OFPRR_HARD_TIMEOUT);
    assert_int_equal(rem.cookie[2], 0xb);
    assert_non_null(lookup(pl, 0, 4));

    /* MODIFY keeps the hard deadline; ADD over the entry restarts it. */
    now = T0 + 30000;
    add_timed(pl, 6, 0, 10, 0, 0);
    add_timed(pl, 7, 0, 10, 0, 0);
    now = T0 + 35000;
    struct mod m;
    mod_init(&m, FT_OFPFC_MODIFY_STRICT, 0, 100, match_dst(6, 32));
    mod_apply(&m, act_output(2));
    assert_ok(run(pl, &m, NULL));
    add_timed(pl, 7, 0, 10, 0, 0);
    assert_int_equal(ft_pipeline_expire(pl, T0 + 40000), T0 + 45000);
    assert_null(lookup(pl, 0, 6));
    assert_non_null(lookup(pl, 0, 7));
    assert_int_equal(ft_pipeline_expire(pl, T0 + 45000), INT64_MAX);
    assert_null(lookup(pl, 0, 7));

    /* A transaction left open holds expiry back. */
    add_timed(pl, 8, 1, 0, 0, 0);
    ft_pipeline_begin(pl);
    assert_int_equal(ft_pipeline_expire(pl, T0 + 99000), T0 + 36000);
    assert_non_null(lookup(pl, 0, 8));
    ft_pipeline_commit(pl);
    assert_int_equal(ft_pipeline_expire(pl, T0 + 99000), INT64_MAX);
    assert_null(lookup(pl, 0, 8));
    now = T0;
    ft_pipeline_destroy(pl);
}

/* Many timed entries: expiry is per due entry, not per table scan. */
static void
test_timeouts_many(void **state)
{
    (void) state;
    struct ft_pipeline *pl = new_pipeline(0, NULL);
    enum { N = 20000 };

    ft_pipeline_begin(pl);
    for (uint32_t i = 0; i < N; i++) {
        /* idle 1..100 s, spread */
        add_timed(pl, i, (uint16_t) (1 + i % 100), 0, 0, 0);
    }
    ft_pipeline_commit(pl);
    assert_int_equal(n_flows(pl), N);
    /* Keep every third entry busy. */
    for (int64_t t = 1000; t <= 50000; t += 1000) {
        for (uint32_t i = 0; i < N; i += 3) {
            ft_flow_credit(lookup(pl, 0, i), 1, 64, T0 + t);
        }
        ft_pipeline_expire(pl, T0 + t);
    }
    /* Idle timeouts 1..50 s of untouched entries have gone, the rest is
     * there. */
    unsigned int expect = 0;
    for (uint32_t i = 0; i < N; i++) {
        bool busy = i % 3 == 0;
        bool gone = !busy && 1 + i % 100 <= 50;
        assert_int_equal(lookup(pl, 0, i) == NULL, gone);
        expect += !gone;
    }
    assert_int_equal(n_flows(pl), expect);
    ft_pipeline_destroy(pl);
}

/* ---- group and meter deletes ------------------------------------------------ */

static void
test_group_delete_removes_flows(void **state)
{
    (void) state;
    struct ft_pipeline *pl = new_pipeline(0, NULL);
    struct removed rem = { 0 };
    uint32_t p2 = 2, p3 = 3;
    struct mod m;

    ft_pipeline_set_flow_removed_cb(pl, removed_cb, &rem);
    add_group(pl, 1, FT_OFPGT_INDIRECT, NULL, &p2, 1);
    add_group(pl, 2, FT_OFPGT_INDIRECT, NULL, &p3, 1);
    mod_init(&m, FT_OFPFC_ADD, 0, 10, match_dst(1, 32));
    m.fm.flags = FT_OFPFF_SEND_FLOW_REM;
    m.fm.cookie = 0x51;
    mod_apply(&m, act_group(1));
    assert_ok(run(pl, &m, NULL));
    mod_init(&m, FT_OFPFC_ADD, 1, 10, match_dst(1, 32));
    mod_write(&m, act_group(1));
    assert_ok(run(pl, &m, NULL));
    mod_init(&m, FT_OFPFC_ADD, 0, 10, match_dst(2, 32));
    m.fm.flags = FT_OFPFF_SEND_FLOW_REM;
    mod_apply(&m, act_group(2));
    assert_ok(run(pl, &m, NULL));
    add_flow(pl, 0, 10, 3, 1, 0, FT_OFPFF_SEND_FLOW_REM);
    assert_int_equal(group_refs(pl, 1), 2);

    /* Not while a transaction is open (it would publish with it). */
    struct ft_group_mod gm = { .command = FT_OFPGC_DELETE, .group_id = 1 };
    ft_pipeline_begin(pl);
    assert_err(ft_pipeline_group_mod(pl, &gm, now),
               FT_OFPET_GROUP_MOD_FAILED, FT_OFPGMFC_EPERM);
    ft_pipeline_commit(pl);
    assert_non_null(ft_group_lookup(ft_pipeline_groups(pl), 1));

    uint64_t g0 = ft_pipeline_generation(pl);
    now = T0 + 777;
    assert_ok(ft_pipeline_group_mod(pl, &gm, now));
    assert_true(ft_pipeline_generation(pl) > g0);
    assert_null(ft_group_lookup(ft_pipeline_groups(pl), 1));
    assert_null(lookup(pl, 0, 1));
    assert_null(lookup(pl, 1, 1));
    assert_non_null(lookup(pl, 0, 2));
    assert_non_null(lookup(pl, 0, 3));
    assert_int_equal(rem.n, 1);
    assert_int_equal(rem.reason[0], FT_OFPRR_GROUP_DELETE);
    assert_int_equal(rem.cookie[0], 0x51);
    assert_int_equal(rem.now_ms[0], T0 + 777);

    /* A deleted group's id can be added again; old flows stay gone. */
    add_group(pl, 1, FT_OFPGT_INDIRECT, NULL, &p3, 1);
    assert_int_equal(group_refs(pl, 1), 0);

    /* OFPG_ALL takes every group's users. */
    gm.group_id = FT_OFPG_ALL;
    assert_ok(ft_pipeline_group_mod(pl, &gm, now));
    assert_null(lookup(pl, 0, 2));
    assert_non_null(lookup(pl, 0, 3));
    assert_int_equal(rem.n, 2);
    assert_int_equal(rem.reason[1], FT_OFPRR_GROUP_DELETE);

    /* A failed GROUP_MOD changes nothing. */
    g0 = ft_pipeline_generation(pl);
    gm.group_id = 42;
    gm.command = 9;
    struct ft_ofperr e = ft_pipeline_group_mod(pl, &gm, now);
    assert_false(ft_ofperr_is_ok(e));
    assert_int_equal(ft_pipeline_generation(pl), g0);
    now = T0;
    ft_pipeline_destroy(pl);
}

static void
test_meter_delete_removes_flows(void **state)
{
    (void) state;
    struct ft_pipeline *pl = new_pipeline(0, NULL);
    struct removed rem = { 0 };
    struct mod m;

    ft_pipeline_set_flow_removed_cb(pl, removed_cb, &rem);
    add_meter(pl, 1);
    add_meter(pl, 2);
    for (uint32_t i = 1; i <= 3; i++) {
        mod_init(&m, FT_OFPFC_ADD, (uint8_t) (i - 1), 10, match_dst(i, 32));
        m.fm.insts.meter_id = i == 3 ? 2 : 1;
        m.fm.flags = FT_OFPFF_SEND_FLOW_REM;
        m.fm.cookie = i;
        mod_apply(&m, act_output(1));
        assert_ok(run(pl, &m, NULL));
    }
    add_flow(pl, 0, 10, 9, 1, 0, 0);
    assert_int_equal(meter_flows(pl, 1), 2);
    assert_ptr_equal(lookup(pl, 0, 1)->meter,
                     ft_meter_lookup(ft_pipeline_meters(pl), 1));

    struct ft_meter_mod mm = { .command = FT_OFPMC_DELETE, .meter_id = 1 };
    uint64_t g0 = ft_pipeline_generation(pl);
    assert_ok(ft_pipeline_meter_mod(pl, &mm, now));
    assert_true(ft_pipeline_generation(pl) > g0);
    assert_null(lookup(pl, 0, 1));
    assert_null(lookup(pl, 1, 2));
    assert_non_null(lookup(pl, 2, 3));
    assert_non_null(lookup(pl, 0, 9));
    assert_int_equal(rem.n, 2);
    assert_int_equal(rem.reason[0], FT_OFPRR_DELETE);
    assert_int_equal(rem.reason[1], FT_OFPRR_DELETE);

    /* METER_MOD errors come back as METER_MOD_FAILED codes. */
    struct ft_meter_band_cfg band = { .type = FT_OFPMBT_DROP, .rate = 10 };
    mm.command = FT_OFPMC_MODIFY;
    mm.flags = FT_OFPMF_KBPS;
    mm.n_bands = 1;
    mm.bands = &band;
    mm.meter_id = 1;
    assert_err(ft_pipeline_meter_mod(pl, &mm, now),
               FT_OFPET_METER_MOD_FAILED, FT_OFPMMFC_UNKNOWN_METER);

    mm = (struct ft_meter_mod) { .command = FT_OFPMC_DELETE,
                                 .meter_id = FT_OFPM_ALL };
    assert_ok(ft_pipeline_meter_mod(pl, &mm, now));
    assert_null(lookup(pl, 2, 3));
    assert_int_equal(rem.n, 3);
    assert_int_equal(n_flows(pl), 1);
    ft_pipeline_destroy(pl);
}

/* ---- counters, references, late credits ------------------------------------- */

static void
test_counters(void **state)
{
    (void) state;
    struct ft_pipeline *pl = new_pipeline(0, NULL);

    add_flow(pl, 0, 10, 1, 1, 0, 0);
    add_flow(pl, 0, 10, 2, 1, 0, FT_OFPFF_NO_PKT_COUNTS);
    add_flow(pl, 0, 10, 3, 1, 0, FT_OFPFF_NO_BYT_COUNTS);
    for (uint32_t i = 1; i <= 3; i++) {
        struct ft_flow *f = lookup(pl, 0, i);
        ft_flow_credit(f, 3, 300, T0 + 5);
        ft_flow_credit(f, 2, 200, T0 + 4);      /* used only moves on */
        ft_flow_credit(f, 0, 0, T0 + 50);       /* no packets: not used */
        assert_int_equal(atomic_load(&f->used_ms), T0 + 5);
    }
    assert_int_equal(ft_flow_packet_count(lookup(pl, 0, 1)), 5);
    assert_int_equal(ft_flow_byte_count(lookup(pl, 0, 1)), 500);
    assert_int_equal(ft_flow_packet_count(lookup(pl, 0, 2)), UINT64_MAX);
    assert_int_equal(ft_flow_byte_count(lookup(pl, 0, 2)), 500);
    assert_int_equal(ft_flow_packet_count(lookup(pl, 0, 3)), 5);
    assert_int_equal(ft_flow_byte_count(lookup(pl, 0, 3)), UINT64_MAX);

    /* Table lookups credited by the datapath. */
    ft_pipeline_credit_table(pl, 0, 10, 7);
    ft_pipeline_credit_table(pl, 0, 5, 1);
    ft_pipeline_credit_table(pl, N_TABLES, 5, 1);   /* ignored */
    struct ft_table_stats st;
    ft_pipeline_table_stats(pl, 0, &st);
    assert_int_equal(st.lookup_count, 15);
    assert_int_equal(st.matched_count, 8);
    assert_int_equal(st.active_count, 3);
    ft_pipeline_table_stats(pl, N_TABLES, &st);
    assert_int_equal(st.lookup_count, 0);
    ft_pipeline_destroy(pl);
}

static void
test_flow_refs(void **state)
{
    (void) state;
    struct ft_pipeline *pl = new_pipeline(0, NULL);
    struct mod m;

    add_meter(pl, 1);
    mod_init(&m, FT_OFPFC_ADD, 0, 10, match_dst(1, 32));
    m.fm.insts.meter_id = 1;
    mod_apply(&m, act_output(1));
    assert_ok(run(pl, &m, NULL));
    struct ft_flow *f = lookup(pl, 0, 1);
    assert_int_equal(meter_flows(pl, 1), 1);

    ft_flow_ref(f);                         /* a megaflow keeps it */
    ft_flow_ref(f);                         /* and another */
    mod_init(&m, FT_OFPFC_DELETE, 0, 0, match_ip());
    assert_ok(run(pl, &m, NULL));
    ft_pipeline_reclaim(pl);
    assert_null(lookup(pl, 0, 1));
    assert_false(ft_flow_is_live(f));
    assert_int_equal(meter_flows(pl, 1), 1);    /* still alive */
    ft_flow_credit(f, 1, 10, T0 + 1);           /* still usable */
    assert_int_equal(ft_flow_packet_count(f), 1);

    ft_flow_unref(pl, f);
    ft_pipeline_reclaim(pl);
    assert_int_equal(meter_flows(pl, 1), 1);
    ft_flow_unref(pl, f);                       /* the last one */
    assert_int_equal(meter_flows(pl, 1), 1);    /* freed by main... */
    ft_pipeline_reclaim(pl);
    assert_int_equal(meter_flows(pl, 1), 0);    /* ...at reclaim */

    /* A referenced flow still in its table is untouched by unref. */
    mod_init(&m, FT_OFPFC_ADD, 0, 10, match_dst(2, 32));
    m.fm.insts.meter_id = 1;
    mod_apply(&m, act_output(1));
    assert_ok(run(pl, &m, NULL));
    f = lookup(pl, 0, 2);
    ft_flow_ref(f);
    ft_flow_unref(pl, f);
    ft_pipeline_reclaim(pl);
    assert_true(ft_flow_is_live(f));
    assert_ptr_equal(lookup(pl, 0, 2), f);
    assert_int_equal(meter_flows(pl, 1), 1);

    /* Destroy frees flows still referenced. */
    ft_flow_ref(f);
    mod_init(&m, FT_OFPFC_DELETE, 0, 0, match_ip());
    assert_ok(run(pl, &m, NULL));
    ft_pipeline_destroy(pl);
}

static void
test_modify_forwards_late_credits(void **state)
{
    (void) state;
    struct ft_pipeline *pl = new_pipeline(0, NULL);
    struct mod m;

    add_flow(pl, 0, 10, 1, 1, 0, 0);
    struct ft_flow *f = lookup(pl, 0, 1);
    ft_flow_ref(f);                         /* a megaflow of the old one */
    ft_flow_credit(f, 5, 500, T0 + 1);

    mod_init(&m, FT_OFPFC_MODIFY, 0, 0, match_ip());
    mod_apply(&m, act_output(2));
    assert_ok(run(pl, &m, NULL));
    struct ft_flow *g = lookup(pl, 0, 1);
    assert_ptr_not_equal(f, g);
    assert_false(ft_flow_is_live(f));
    assert_true(ft_flow_is_live(g));
    assert_ptr_equal(f->replaced_by, g);
    assert_int_equal(ft_flow_packet_count(g), 5);

    /* The old megaflow's stats land on the new entry. */
    ft_flow_credit(f, 3, 300, T0 + 20);
    assert_int_equal(ft_flow_packet_count(g), 8);
    assert_int_equal(ft_flow_byte_count(g), 800);
    assert_int_equal(atomic_load(&g->used_ms), T0 + 20);

    /* Through a chain of modifies, even after the middle one is gone. */
    mod_init(&m, FT_OFPFC_MODIFY, 0, 0, match_ip());
    mod_apply(&m, act_output(3));
    assert_ok(run(pl, &m, NULL));
    ft_pipeline_reclaim(pl);
    struct ft_flow *h = lookup(pl, 0, 1);
    assert_int_equal(out_port(h), 3);
    ft_flow_credit(f, 2, 200, T0 + 30);
    assert_int_equal(ft_flow_packet_count(h), 10);

    /* A deleted replacement takes late credits harmlessly. */
    mod_init(&m, FT_OFPFC_DELETE, 0, 0, match_ip());
    assert_ok(run(pl, &m, NULL));
    ft_flow_credit(f, 1, 1, T0 + 40);
    ft_flow_unref(pl, f);
    ft_pipeline_reclaim(pl);
    assert_int_equal(n_flows(pl), 0);
    ft_pipeline_destroy(pl);
}

static void
test_port_map(void **state)
{
    (void) state;
    struct ft_pipeline *pl = new_pipeline(0, NULL);
    const uint32_t watch[2] = { 1, 2 }, outs[2] = { 1, 2 };

    assert_int_equal(ft_pipeline_port_map(pl)->n, 0);
    assert_null(ft_port_map_find(ft_pipeline_port_map(pl), 1));

    struct ft_port ports[] = {
        { .ofp_port = 2, .dp_port = 20, .live = true },
        { .ofp_port = FT_OFPP_LOCAL, .dp_port = 0, .live = true },
        { .ofp_port = 1, .dp_port = 10, .live = true },
    };
    uint64_t g = ft_pipeline_generation(pl);
    assert_int_equal(ft_pipeline_set_ports(pl, ports, 3), 0);
    assert_true(ft_pipeline_generation(pl) > g);
    const struct ft_port_map *map = ft_pipeline_port_map(pl);
    assert_int_equal(map->n, 3);
    assert_int_equal(map->ports[0].ofp_port, 1);
    assert_int_equal(map->ports[1].ofp_port, 2);
    assert_int_equal(map->ports[2].ofp_port, FT_OFPP_LOCAL);
    assert_int_equal(ft_port_map_find(map, 2)->dp_port, 20);
    assert_int_equal(ft_port_map_find(map, FT_OFPP_LOCAL)->dp_port, 0);
    assert_null(ft_port_map_find(map, 3));

    /* Duplicates are refused and change nothing. */
    struct ft_port dup[] = { { .ofp_port = 5 }, { .ofp_port = 5 } };
    assert_int_equal(ft_pipeline_set_ports(pl, dup, 2), -EINVAL);
    assert_ptr_equal(ft_pipeline_port_map(pl), map);

    /* The group table sees liveness through the map: a FAST_FAILOVER
     * group takes the first bucket whose watch port is live. */
    add_group(pl, 1, FT_OFPGT_FF, watch, outs, 2);
    struct ft_group *grp = ft_group_lookup(ft_pipeline_groups(pl), 1);
    struct ft_group_view view;
    uint32_t hmask = 0;
    ft_group_read(grp, &view);
    assert_int_equal(ft_group_choose(grp, &view, 0, &hmask), 0);

    ports[2].config = FT_OFPPC_PORT_DOWN;       /* port 1 */
    assert_int_equal(ft_pipeline_set_ports(pl, ports, 3), 0);
    ft_group_read(grp, &view);
    assert_int_equal(ft_group_choose(grp, &view, 0, &hmask), 1);

    ports[2].config = 0;
    ports[2].live = false;
    ports[0].live = false;                      /* port 2 too */
    assert_int_equal(ft_pipeline_set_ports(pl, ports, 3), 0);
    ft_group_read(grp, &view);
    assert_int_equal(ft_group_choose(grp, &view, 0, &hmask), -1);

    assert_int_equal(ft_pipeline_set_ports(pl, NULL, 0), 0);
    assert_int_equal(ft_pipeline_port_map(pl)->n, 0);
    ft_pipeline_destroy(pl);
}

/* ---- RCU: grace periods with a real qsbr -------------------------------------- */

static void
test_rcu_grace_periods(void **state)
{
    (void) state;
    size_t sz = rte_rcu_qsbr_get_memsize(1);
    struct rte_rcu_qsbr *q = aligned_alloc(RTE_CACHE_LINE_SIZE,
                                           (sz + RTE_CACHE_LINE_SIZE - 1)
                                           & ~(size_t) (RTE_CACHE_LINE_SIZE
                                                        - 1));
    assert_non_null(q);
    assert_int_equal(rte_rcu_qsbr_init(q, 1), 0);
    assert_int_equal(rte_rcu_qsbr_thread_register(q, 0), 0);
    rte_rcu_qsbr_thread_online(q, 0);

    struct ft_pipeline *pl = new_pipeline(0, q);
    struct mod m;
    assert_ptr_equal(ft_pipeline_qsbr(pl), q);
    add_meter(pl, 1);
    mod_init(&m, FT_OFPFC_ADD, 0, 10, match_dst(1, 32));
    m.fm.insts.meter_id = 1;
    mod_apply(&m, act_output(1));
    assert_ok(run(pl, &m, NULL));
    rte_rcu_qsbr_quiescent(q, 0);

    /* The reader loads the version, then the writer deletes. */
    ft_cls_version_t v = ft_pipeline_read_version(pl);
    struct ft_key k = key_dst(1);
    mod_init(&m, FT_OFPFC_DELETE, 0, 0, match_ip());
    assert_ok(run(pl, &m, NULL));
    ft_pipeline_reclaim(pl);

    /* Until the reader is quiescent it sees its version whole. */
    struct ft_flow *f = ft_pipeline_lookup(pl, 0, &k, v, NULL);
    assert_non_null(f);
    assert_null(lookup(pl, 0, 1));
    assert_int_equal(meter_flows(pl, 1), 1);

    /* One grace period: unlinked from the table... */
    rte_rcu_qsbr_quiescent(q, 0);
    ft_pipeline_reclaim(pl);
    assert_null(ft_pipeline_lookup(pl, 0, &k, v, NULL));
    assert_int_equal(meter_flows(pl, 1), 1);
    assert_int_equal(atomic_load(&f->n_packets), 0);    /* memory valid */

    /* ...a second: freed. */
    rte_rcu_qsbr_quiescent(q, 0);
    ft_pipeline_reclaim(pl);
    assert_int_equal(meter_flows(pl, 1), 0);

    /* A megaflow's last unref waits a grace period of its own. */
    mod_init(&m, FT_OFPFC_ADD, 0, 10, match_dst(2, 32));
    m.fm.insts.meter_id = 1;
    mod_apply(&m, act_output(1));
    assert_ok(run(pl, &m, NULL));
    f = lookup(pl, 0, 2);
    ft_flow_ref(f);
    mod_init(&m, FT_OFPFC_DELETE, 0, 0, match_ip());
    assert_ok(run(pl, &m, NULL));
    for (int i = 0; i < 3; i++) {
        rte_rcu_qsbr_quiescent(q, 0);
        ft_pipeline_reclaim(pl);
    }
    assert_int_equal(meter_flows(pl, 1), 1);
    ft_flow_unref(pl, f);
    ft_pipeline_reclaim(pl);
    assert_int_equal(meter_flows(pl, 1), 1);
    rte_rcu_qsbr_quiescent(q, 0);
    ft_pipeline_reclaim(pl);
    assert_int_equal(meter_flows(pl, 1), 0);

    /* An aborted insert is freed after a grace period too. */
    ft_pipeline_begin(pl);
    mod_init(&m, FT_OFPFC_ADD, 0, 10, match_dst(3, 32));
    m.fm.insts.meter_id = 1;
    mod_apply(&m, act_output(1));
    assert_ok(run(pl, &m, NULL));
    ft_pipeline_abort(pl);
    assert_int_equal(meter_flows(pl, 1), 1);
    rte_rcu_qsbr_quiescent(q, 0);
    ft_pipeline_reclaim(pl);
    assert_int_equal(meter_flows(pl, 1), 0);

    /* Old port maps wait for the reader. */
    struct ft_port p = { .ofp_port = 1, .live = true };
    const struct ft_port_map *old = ft_pipeline_port_map(pl);
    assert_int_equal(ft_pipeline_set_ports(pl, &p, 1), 0);
    assert_int_equal(old->n, 0);            /* not freed yet (ASan) */
    rte_rcu_qsbr_quiescent(q, 0);
    ft_pipeline_reclaim(pl);

    /* Destroy frees whatever still waits. */
    mod_init(&m, FT_OFPFC_ADD, 0, 10, match_dst(4, 32));
    mod_apply(&m, act_output(1));
    assert_ok(run(pl, &m, NULL));
    mod_init(&m, FT_OFPFC_DELETE, 0, 0, match_ip());
    assert_ok(run(pl, &m, NULL));
    assert_int_equal(ft_pipeline_set_ports(pl, NULL, 0), 0);
    ft_pipeline_destroy(pl);

    rte_rcu_qsbr_thread_offline(q, 0);
    free(q);
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_timeouts, reset_clock),
        cmocka_unit_test_setup(test_timeouts_many, reset_clock),
        cmocka_unit_test_setup(test_group_delete_removes_flows, reset_clock),
        cmocka_unit_test_setup(test_meter_delete_removes_flows, reset_clock),
        cmocka_unit_test_setup(test_counters, reset_clock),
        cmocka_unit_test_setup(test_flow_refs, reset_clock),
        cmocka_unit_test_setup(test_modify_forwards_late_credits, reset_clock),
        cmocka_unit_test_setup(test_port_map, reset_clock),
        cmocka_unit_test_setup(test_rcu_grace_periods, reset_clock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
