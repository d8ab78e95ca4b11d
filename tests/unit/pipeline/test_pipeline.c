/*
 * test_pipeline.c — unit tests of FLOW_MOD semantics in the OpenFlow 1.3
 * pipeline (flowtable/ft_pipeline.h): every command (ADD, ADD over an
 * identical entry, MODIFY, MODIFY_STRICT, DELETE, DELETE_STRICT, OFPTT_ALL)
 * with its filters (cookie masks, out_port, out_group), every FLOW_MOD
 * error each checked to change nothing, transactions (a batch invisible
 * until commit, abort restoring everything), flow queries in OFPMP_FLOW
 * order, table-miss and switch config. Lifetime matters (timeouts, group
 * and meter deletes, references, grace periods) are in
 * test_pipeline_lifetime.c.
 *
 * No EAL: nothing here needs NORMAL's hash tables.
 */
#include "pipeline_helpers.h"

/* ---- ADD ----------------------------------------------------------------- */

static void
test_add_and_lookup(void **state)
{
    (void) state;
    struct ft_pipeline *pl = new_pipeline(0, NULL);
    ft_cls_version_t v0 = ft_pipeline_version(pl);
    uint64_t g0 = ft_pipeline_generation(pl);
    uint32_t changed = 99;
    struct mod m;

    assert_int_equal(ft_pipeline_n_tables(pl), N_TABLES);
    assert_null(lookup(pl, 0, 1));

    mod_init(&m, FT_OFPFC_ADD, 0, 100, match_dst(1, 32));
    m.fm.cookie = 0xabc;
    m.fm.idle_timeout = 7;
    m.fm.hard_timeout = 9;
    m.fm.flags = FT_OFPFF_SEND_FLOW_REM;
    mod_apply(&m, act_output(3));
    assert_ok(run(pl, &m, &changed));
    assert_int_equal(changed, 1);

    ft_cls_version_t v1 = ft_pipeline_version(pl);
    assert_true(v1 > v0);
    assert_true(ft_pipeline_generation(pl) > g0);

    struct ft_flow *f = lookup(pl, 0, 1);
    assert_non_null(f);
    assert_int_equal(out_port(f), 3);
    assert_int_equal(f->cookie, 0xabc);
    assert_int_equal(f->idle_timeout, 7);
    assert_int_equal(f->hard_timeout, 9);
    assert_int_equal(f->flags, FT_OFPFF_SEND_FLOW_REM);
    assert_int_equal(f->created_ms, T0);
    assert_int_equal(f->table_id, 0);
    assert_true(ft_flow_is_live(f));
    assert_int_equal(ft_flow_packet_count(f), 0);

    /* Versions: not there before the commit, nor in another table. */
    struct ft_key k = key_dst(1);
    assert_null(ft_pipeline_lookup(pl, 0, &k, v0, NULL));
    assert_non_null(ft_pipeline_lookup(pl, 0, &k, v1, NULL));
    assert_null(lookup(pl, 1, 1));
    assert_null(lookup(pl, N_TABLES, 1));
    assert_null(lookup(pl, 0, 2));

    /* The megaflow mask covers what the lookup examined. */
    struct ft_mask wc;
    memset(&wc, 0, sizeof wc);
    assert_non_null(ft_pipeline_lookup(pl, 0, &k, v1, &wc));
    assert_int_equal(wc.masks.nw_dst, UINT32_MAX);

    struct ft_table_stats st;
    ft_pipeline_table_stats(pl, 0, &st);
    assert_int_equal(st.table_id, 0);
    assert_int_equal(st.active_count, 1);
    ft_pipeline_table_stats(pl, 1, &st);
    assert_int_equal(st.active_count, 0);
    ft_pipeline_destroy(pl);
}

static void
test_add_replace(void **state)
{
    (void) state;
    struct ft_pipeline *pl = new_pipeline(0, NULL);
    struct removed rem = { 0 };
    uint32_t changed;
    struct mod m;

    ft_pipeline_set_flow_removed_cb(pl, removed_cb, &rem);
    add_flow(pl, 0, 100, 1, 1, 0x1, FT_OFPFF_SEND_FLOW_REM);
    struct ft_flow *old = lookup(pl, 0, 1);
    ft_flow_credit(old, 10, 1000, T0 + 1);

    /* Same match and priority: replaced, counters carried over. */
    now = T0 + 5000;
    mod_init(&m, FT_OFPFC_ADD, 0, 100, match_dst(1, 32));
    m.fm.cookie = 0x2;
    m.fm.hard_timeout = 30;
    mod_apply(&m, act_output(2));
    assert_ok(run(pl, &m, &changed));
    assert_int_equal(changed, 1);
    assert_int_equal(n_flows(pl), 1);
    assert_int_equal(rem.n, 0);             /* a replace is not a removal */

    struct ft_flow *f = lookup(pl, 0, 1);
    assert_non_null(f);
    assert_int_equal(out_port(f), 2);
    assert_int_equal(f->cookie, 0x2);
    assert_int_equal(f->flags, 0);
    assert_int_equal(f->hard_timeout, 30);
    assert_int_equal(f->created_ms, T0 + 5000);     /* duration restarts */
    assert_int_equal(f->hard_base_ms, T0 + 5000);
    assert_int_equal(ft_flow_packet_count(f), 10);
    assert_int_equal(ft_flow_byte_count(f), 1000);

    /* A different priority is a different entry. */
    add_flow(pl, 0, 101, 1, 4, 0x3, 0);
    assert_int_equal(n_flows(pl), 2);
    assert_int_equal(lookup_port(pl, 0, 1), 4);

    /* RESET_COUNTS: the replacement starts from zero. */
    mod_init(&m, FT_OFPFC_ADD, 0, 100, match_dst(1, 32));
    m.fm.flags = FT_OFPFF_RESET_COUNTS;
    mod_apply(&m, act_output(5));
    assert_ok(run(pl, &m, NULL));
    struct ft_flow_filter ff = all_flows;
    ff.strict = true;
    ff.table_id = 0;
    ff.priority = 100;
    ff.match = match_dst(1, 32);
    struct snap s;
    s.len = 0;
    assert_int_equal(ft_pipeline_foreach_flow(pl, &ff, snap_cb, &s), 0);
    assert_non_null(strstr(s.buf, "pk0 by0"));
    assert_non_null(strstr(s.buf, "output:5"));
    assert_int_equal(n_flows(pl), 2);
    now = T0;
    ft_pipeline_destroy(pl);
}

/* ---- MODIFY ---------------------------------------------------------------- */

static void
test_modify(void **state)
{
    (void) state;
    struct ft_pipeline *pl = new_pipeline(0, NULL);
    uint32_t changed;
    struct mod m;

    add_flow(pl, 0, 100, 1, 1, 0x11, FT_OFPFF_SEND_FLOW_REM);
    add_flow(pl, 0, 100, 2, 1, 0x12, 0);
    add_flow(pl, 0, 100, 3, 1, 0x21, 0);
    add_flow(pl, 1, 100, 1, 1, 0x11, 0);        /* other table */
    struct ft_flow *f1 = lookup(pl, 0, 1);
    ft_flow_credit(f1, 4, 400, T0 + 10);

    /* Non-strict over ip, cookie 0x1?: entries 1 and 2 only. out_port is
     * ignored by MODIFY (1.3). */
    now = T0 + 3000;
    mod_init(&m, FT_OFPFC_MODIFY, 0, 0, match_ip());
    m.fm.cookie = 0x10;
    m.fm.cookie_mask = 0xf0;
    m.fm.out_port = 77;
    m.fm.flags = 0;
    m.fm.hard_timeout = 55;                 /* not taken by MODIFY */
    mod_apply(&m, act_output(9));
    assert_ok(run(pl, &m, &changed));
    assert_int_equal(changed, 2);
    assert_int_equal(n_flows(pl), 4);
    assert_int_equal(lookup_port(pl, 0, 1), 9);
    assert_int_equal(lookup_port(pl, 0, 2), 9);
    assert_int_equal(lookup_port(pl, 0, 3), 1);
    assert_int_equal(lookup_port(pl, 1, 1), 1);

    struct ft_flow *n1 = lookup(pl, 0, 1);
    assert_ptr_not_equal(n1, f1);
    assert_int_equal(n1->cookie, 0x11);
    assert_int_equal(n1->flags, FT_OFPFF_SEND_FLOW_REM);
    assert_int_equal(n1->hard_timeout, 0);
    assert_int_equal(n1->created_ms, T0);
    assert_int_equal(ft_flow_packet_count(n1), 4);
    assert_int_equal(ft_flow_byte_count(n1), 400);
    assert_int_equal(atomic_load(&n1->used_ms), T0 + 10);

    /* Matching nothing is success with nothing changed. */
    mod_init(&m, FT_OFPFC_MODIFY, 0, 0, match_dst(50, 32));
    mod_apply(&m, act_output(8));
    assert_ok(run(pl, &m, &changed));
    assert_int_equal(changed, 0);
    assert_int_equal(n_flows(pl), 4);

    /* MODIFY_STRICT: exact match and priority. */
    mod_init(&m, FT_OFPFC_MODIFY_STRICT, 0, 99, match_dst(3, 32));
    mod_apply(&m, act_output(6));
    assert_ok(run(pl, &m, &changed));
    assert_int_equal(changed, 0);
    mod_init(&m, FT_OFPFC_MODIFY_STRICT, 0, 100, match_dst(3, 24));
    mod_apply(&m, act_output(6));
    assert_ok(run(pl, &m, &changed));
    assert_int_equal(changed, 0);
    mod_init(&m, FT_OFPFC_MODIFY_STRICT, 0, 100, match_dst(3, 32));
    mod_apply(&m, act_output(6));
    assert_ok(run(pl, &m, &changed));
    assert_int_equal(changed, 1);
    assert_int_equal(lookup_port(pl, 0, 3), 6);
    assert_int_equal(lookup_port(pl, 0, 2), 9);

    /* Non-strict with a narrower match: only entries as specific. */
    mod_init(&m, FT_OFPFC_MODIFY, 0, 0, match_dst(2, 32));
    mod_apply(&m, act_output(5));
    assert_ok(run(pl, &m, &changed));
    assert_int_equal(changed, 1);
    assert_int_equal(lookup_port(pl, 0, 2), 5);
    assert_int_equal(lookup_port(pl, 0, 1), 9);

    /* RESET_COUNTS in a MODIFY clears the counters. */
    mod_init(&m, FT_OFPFC_MODIFY_STRICT, 0, 100, match_dst(1, 32));
    m.fm.flags = FT_OFPFF_RESET_COUNTS;
    mod_apply(&m, act_output(4));
    assert_ok(run(pl, &m, &changed));
    assert_int_equal(changed, 1);
    struct ft_flow *r1 = lookup(pl, 0, 1);
    assert_int_equal(out_port(r1), 4);
    assert_int_equal(ft_flow_packet_count(r1), 0);
    assert_int_equal(r1->flags, FT_OFPFF_SEND_FLOW_REM);
    now = T0;
    ft_pipeline_destroy(pl);
}

/* ---- DELETE ---------------------------------------------------------------- */

static void
test_delete(void **state)
{
    (void) state;
    struct ft_pipeline *pl = new_pipeline(0, NULL);
    struct removed rem = { 0 };
    uint32_t changed;
    struct mod m;

    ft_pipeline_set_flow_removed_cb(pl, removed_cb, &rem);
    for (uint32_t i = 1; i <= 6; i++) {
        add_flow(pl, 0, 100, i, i % 2 ? 1 : 2, 0x10 + i,
                 i <= 2 ? FT_OFPFF_SEND_FLOW_REM : 0);
    }
    add_flow(pl, 2, 100, 1, 1, 0x11, FT_OFPFF_SEND_FLOW_REM);
    add_flow(pl, 3, 50, 1, 1, 0x99, 0);

    /* DELETE_STRICT: wrong priority, then right. */
    mod_init(&m, FT_OFPFC_DELETE_STRICT, 0, 99, match_dst(1, 32));
    assert_ok(run(pl, &m, &changed));
    assert_int_equal(changed, 0);
    now = T0 + 2500;
    mod_init(&m, FT_OFPFC_DELETE_STRICT, 0, 100, match_dst(1, 32));
    assert_ok(run(pl, &m, &changed));
    assert_int_equal(changed, 1);
    assert_null(lookup(pl, 0, 1));
    assert_non_null(lookup(pl, 2, 1));
    assert_int_equal(rem.n, 1);
    assert_int_equal(rem.reason[0], FT_OFPRR_DELETE);
    assert_int_equal(rem.cookie[0], 0x11);
    assert_int_equal(rem.now_ms[0], T0 + 2500);
    assert_int_equal(rem.created_ms[0], T0);

    /* out_port: of the rest of table 0, the ones to port 2 (2, 4, 6). */
    mod_init(&m, FT_OFPFC_DELETE, 0, 0, match_ip());
    m.fm.out_port = 2;
    assert_ok(run(pl, &m, &changed));
    assert_int_equal(changed, 3);
    assert_null(lookup(pl, 0, 2));
    assert_null(lookup(pl, 0, 4));
    assert_non_null(lookup(pl, 0, 3));
    assert_int_equal(rem.n, 2);             /* 2 had SEND_FLOW_REM */

    /* Cookie mask: 0x13 stays, 0x15 goes. */
    mod_init(&m, FT_OFPFC_DELETE, 0, 0, match_ip());
    m.fm.cookie = 0x15;
    m.fm.cookie_mask = 0xff;
    assert_ok(run(pl, &m, &changed));
    assert_int_equal(changed, 1);
    assert_non_null(lookup(pl, 0, 3));
    assert_null(lookup(pl, 0, 5));

    /* Non-strict DELETE with a narrower match leaves wider entries. */
    add_flow(pl, 1, 10, 0, 1, 0, 0);
    mod_init(&m, FT_OFPFC_ADD, 1, 10, match_dst(0, 8));
    mod_apply(&m, act_output(3));
    assert_ok(run(pl, &m, NULL));
    mod_init(&m, FT_OFPFC_DELETE, 1, 0, match_dst(0, 16));
    assert_ok(run(pl, &m, &changed));
    assert_int_equal(changed, 1);           /* the /32, not the /8 */
    assert_int_equal(lookup_port(pl, 1, 0), 3);

    /* OFPTT_ALL, every table at once, with a cookie filter. */
    assert_int_equal(n_flows(pl), 4);
    mod_init(&m, FT_OFPFC_DELETE, FT_OFPTT_ALL, 0, match_ip());
    m.fm.cookie = 0x10;
    m.fm.cookie_mask = 0xf0;
    assert_ok(run(pl, &m, &changed));
    assert_int_equal(changed, 2);           /* 0x13 in 0, 0x11 in 2 */
    assert_int_equal(rem.n, 3);
    assert_int_equal(rem.reason[2], FT_OFPRR_DELETE);
    mod_init(&m, FT_OFPFC_DELETE, FT_OFPTT_ALL, 0, match_ip());
    assert_ok(run(pl, &m, &changed));
    assert_int_equal(changed, 2);
    assert_int_equal(n_flows(pl), 0);
    for (uint8_t t = 0; t < N_TABLES; t++) {
        struct ft_table_stats st;
        ft_pipeline_table_stats(pl, t, &st);
        assert_int_equal(st.active_count, 0);
    }
    now = T0;
    ft_pipeline_destroy(pl);
}

static void
test_delete_out_group(void **state)
{
    (void) state;
    struct ft_pipeline *pl = new_pipeline(0, NULL);
    uint32_t p2 = 2, p3 = 3;
    uint32_t changed;
    struct mod m;

    add_group(pl, 1, FT_OFPGT_INDIRECT, NULL, &p2, 1);
    add_group(pl, 2, FT_OFPGT_INDIRECT, NULL, &p3, 1);
    mod_init(&m, FT_OFPFC_ADD, 0, 10, match_dst(1, 32));
    mod_apply(&m, act_group(1));
    assert_ok(run(pl, &m, NULL));
    mod_init(&m, FT_OFPFC_ADD, 0, 10, match_dst(2, 32));
    mod_write(&m, act_group(2));            /* write actions count too */
    assert_ok(run(pl, &m, NULL));
    mod_init(&m, FT_OFPFC_ADD, 0, 10, match_dst(3, 32));
    mod_write(&m, act_output(2));
    assert_ok(run(pl, &m, NULL));
    assert_int_equal(group_refs(pl, 1), 1);
    assert_int_equal(group_refs(pl, 2), 1);

    /* The flow's private copy holds the resolved group. */
    struct ft_insts in;
    ft_flow_get_insts(lookup(pl, 0, 1), &in);
    assert_ptr_equal(in.apply.acts[0].group.group,
                     ft_group_lookup(ft_pipeline_groups(pl), 1));

    mod_init(&m, FT_OFPFC_DELETE, 0, 0, match_ip());
    m.fm.out_group = 2;
    assert_ok(run(pl, &m, &changed));
    assert_int_equal(changed, 1);
    assert_null(lookup(pl, 0, 2));
    assert_int_equal(group_refs(pl, 2), 0);  /* freed with the flow */

    /* out_port matches the write-actions output. */
    mod_init(&m, FT_OFPFC_DELETE, 0, 0, match_ip());
    m.fm.out_port = 2;
    assert_ok(run(pl, &m, &changed));
    assert_int_equal(changed, 1);
    assert_null(lookup(pl, 0, 3));

    /* Both filters must hold. */
    mod_init(&m, FT_OFPFC_DELETE, 0, 0, match_ip());
    m.fm.out_port = 2;
    m.fm.out_group = 1;
    assert_ok(run(pl, &m, &changed));
    assert_int_equal(changed, 0);
    mod_init(&m, FT_OFPFC_DELETE, 0, 0, match_ip());
    m.fm.out_group = 1;
    assert_ok(run(pl, &m, &changed));
    assert_int_equal(changed, 1);
    assert_int_equal(group_refs(pl, 1), 0);
    ft_pipeline_destroy(pl);
}

/* ---- errors ------------------------------------------------------------------ */

static void
test_errors(void **state)
{
    (void) state;
    struct ft_pipeline *pl = new_pipeline(0, NULL);
    uint32_t p2 = 2;
    uint32_t changed;
    struct snap before;
    struct mod m;

    add_meter(pl, 1);
    add_group(pl, 5, FT_OFPGT_INDIRECT, NULL, &p2, 1);
    add_flow(pl, 0, 100, 1, 1, 0x1, 0);
    add_flow(pl, 1, 100, 1, 1, 0x2, 0);
    ft_flow_credit(lookup(pl, 0, 1), 3, 300, T0 + 1);
    snapshot(pl, &before);

#define EXPECT(TYPE, CODE)                                              \
    do {                                                                \
        changed = 99;                                                   \
        assert_err(run(pl, &m, &changed), FT_OFPET_##TYPE, (CODE));     \
        assert_int_equal(changed, 0);                                   \
        assert_unchanged(pl, &before);                                  \
    } while (0)

    /* Command. */
    mod_init(&m, 5, 0, 100, match_dst(9, 32));
    mod_apply(&m, act_output(1));
    EXPECT(FLOW_MOD_FAILED, FT_OFPFMFC_BAD_COMMAND);

    /* Table id: beyond n_tables; OFPTT_ALL only for deletes. */
    mod_init(&m, FT_OFPFC_ADD, N_TABLES, 100, match_dst(9, 32));
    mod_apply(&m, act_output(1));
    EXPECT(FLOW_MOD_FAILED, FT_OFPFMFC_BAD_TABLE_ID);
    m.fm.table_id = FT_OFPTT_ALL;
    EXPECT(FLOW_MOD_FAILED, FT_OFPFMFC_BAD_TABLE_ID);
    m.fm.command = FT_OFPFC_MODIFY;
    EXPECT(FLOW_MOD_FAILED, FT_OFPFMFC_BAD_TABLE_ID);
    m.fm.command = FT_OFPFC_DELETE;
    m.fm.table_id = N_TABLES;
    EXPECT(FLOW_MOD_FAILED, FT_OFPFMFC_BAD_TABLE_ID);

    /* Flags outside OFPFF_*. */
    mod_init(&m, FT_OFPFC_ADD, 0, 100, match_dst(9, 32));
    mod_apply(&m, act_output(1));
    m.fm.flags = 0x20;
    EXPECT(FLOW_MOD_FAILED, FT_OFPFMFC_BAD_FLAGS);
    m.fm.command = FT_OFPFC_DELETE;
    EXPECT(FLOW_MOD_FAILED, FT_OFPFMFC_BAD_FLAGS);

    /* GOTO_TABLE: not forward, or past the last table. */
    mod_init(&m, FT_OFPFC_ADD, 1, 100, match_dst(9, 32));
    m.fm.insts.goto_table = 1;
    EXPECT(BAD_INSTRUCTION, FT_OFPBIC_BAD_TABLE_ID);
    m.fm.insts.goto_table = 0;
    EXPECT(BAD_INSTRUCTION, FT_OFPBIC_BAD_TABLE_ID);
    m.fm.insts.goto_table = N_TABLES;
    EXPECT(BAD_INSTRUCTION, FT_OFPBIC_BAD_TABLE_ID);
    m.fm.command = FT_OFPFC_MODIFY;
    m.fm.match = match_ip();
    EXPECT(BAD_INSTRUCTION, FT_OFPBIC_BAD_TABLE_ID);

    /* METER naming a missing meter. */
    mod_init(&m, FT_OFPFC_ADD, 0, 100, match_dst(9, 32));
    m.fm.insts.meter_id = 7;
    EXPECT(METER_MOD_FAILED, FT_OFPMMFC_UNKNOWN_METER);

    /* GROUP naming a missing group; an existing meter is not leaked. */
    mod_init(&m, FT_OFPFC_ADD, 0, 100, match_dst(9, 32));
    m.fm.insts.meter_id = 1;
    mod_apply(&m, act_group(6));
    EXPECT(BAD_ACTION, FT_OFPBAC_BAD_OUT_GROUP);
    assert_int_equal(meter_flows(pl, 1), 0);
    mod_init(&m, FT_OFPFC_MODIFY, 0, 0, match_ip());
    mod_write(&m, act_group(6));
    EXPECT(BAD_ACTION, FT_OFPBAC_BAD_OUT_GROUP);
    assert_int_equal(group_refs(pl, 5), 0);

    /* SET_FIELD ip_dst on a match that does not pin IPv4. */
    struct ft_match any;
    ft_match_init_catchall(&any);
    mod_init(&m, FT_OFPFC_ADD, 0, 100, any);
    mod_apply(&m, act_set_ip_dst());
    EXPECT(BAD_ACTION, FT_OFPBAC_MATCH_INCONSISTENT);
    mod_init(&m, FT_OFPFC_ADD, 0, 100, any);
    mod_write(&m, act_set_ip_dst());
    EXPECT(BAD_ACTION, FT_OFPBAC_MATCH_INCONSISTENT);

    /* OVERLAP with CHECK_OVERLAP: a wider entry of the same priority, and
     * the identical entry itself. */
    mod_init(&m, FT_OFPFC_ADD, 0, 100, match_dst(0, 24));
    mod_apply(&m, act_output(1));
    m.fm.flags = FT_OFPFF_CHECK_OVERLAP;
    EXPECT(FLOW_MOD_FAILED, FT_OFPFMFC_OVERLAP);
    m.fm.match = match_dst(1, 32);
    EXPECT(FLOW_MOD_FAILED, FT_OFPFMFC_OVERLAP);

    /* Everything valid works (the checks are not just refusing). */
    mod_init(&m, FT_OFPFC_ADD, 0, 100, match_dst(9, 32));
    m.fm.insts.meter_id = 1;
    m.fm.flags = FT_OFPFF_CHECK_OVERLAP;
    m.fm.insts.goto_table = 1;
    mod_apply(&m, act_set_ip_dst());
    mod_write(&m, act_group(5));
    assert_ok(run(pl, &m, &changed));
    assert_int_equal(changed, 1);
    assert_int_equal(meter_flows(pl, 1), 1);
    assert_int_equal(group_refs(pl, 5), 1);
    m.fm.priority = 101;                    /* other priority: no overlap */
    assert_ok(run(pl, &m, &changed));
    mod_init(&m, FT_OFPFC_DELETE, FT_OFPTT_ALL, 0, match_ip());
    assert_ok(run(pl, &m, &changed));       /* DELETE takes OFPTT_ALL */
    assert_int_equal(changed, 4);
#undef EXPECT
    ft_pipeline_destroy(pl);
}

static void
test_table_full(void **state)
{
    (void) state;
    struct ft_pipeline *pl = new_pipeline(3, NULL);
    struct snap before;
    struct mod m;

    add_flow(pl, 0, 100, 1, 1, 0, 0);
    add_flow(pl, 0, 100, 2, 1, 0, 0);
    add_flow(pl, 0, 100, 3, 1, 0, 0);
    snapshot(pl, &before);

    mod_init(&m, FT_OFPFC_ADD, 0, 100, match_dst(4, 32));
    mod_apply(&m, act_output(1));
    assert_err(run(pl, &m, NULL), FT_OFPET_FLOW_MOD_FAILED,
               FT_OFPFMFC_TABLE_FULL);
    assert_unchanged(pl, &before);

    /* TABLE_FULL comes before OVERLAP. */
    m.fm.flags = FT_OFPFF_CHECK_OVERLAP;
    m.fm.match = match_dst(0, 24);
    assert_err(run(pl, &m, NULL), FT_OFPET_FLOW_MOD_FAILED,
               FT_OFPFMFC_TABLE_FULL);

    /* Replacing an entry of a full table needs no room; other tables have
     * their own bound. */
    mod_init(&m, FT_OFPFC_ADD, 0, 100, match_dst(3, 32));
    mod_apply(&m, act_output(7));
    assert_ok(run(pl, &m, NULL));
    assert_int_equal(lookup_port(pl, 0, 3), 7);
    add_flow(pl, 1, 100, 4, 1, 0, 0);

    /* Room made by a delete in the same transaction counts. */
    ft_pipeline_begin(pl);
    mod_init(&m, FT_OFPFC_DELETE_STRICT, 0, 100, match_dst(1, 32));
    assert_ok(run(pl, &m, NULL));
    mod_init(&m, FT_OFPFC_ADD, 0, 100, match_dst(4, 32));
    mod_apply(&m, act_output(1));
    assert_ok(run(pl, &m, NULL));
    mod_init(&m, FT_OFPFC_ADD, 0, 100, match_dst(5, 32));
    mod_apply(&m, act_output(1));
    assert_err(run(pl, &m, NULL), FT_OFPET_FLOW_MOD_FAILED,
               FT_OFPFMFC_TABLE_FULL);
    ft_pipeline_commit(pl);
    assert_null(lookup(pl, 0, 1));
    assert_non_null(lookup(pl, 0, 4));
    ft_pipeline_destroy(pl);
}

/* ---- transactions ---------------------------------------------------------- */

static void
test_transaction_commit(void **state)
{
    (void) state;
    struct ft_pipeline *pl = new_pipeline(0, NULL);
    struct mod m;

    for (uint32_t i = 1; i <= 3; i++) {
        add_flow(pl, 0, 100, i, 1, 0, 0);
    }
    ft_cls_version_t v0 = ft_pipeline_version(pl);
    uint64_t g0 = ft_pipeline_generation(pl);

    ft_pipeline_begin(pl);
    for (uint32_t i = 10; i < 60; i++) {
        add_flow(pl, 0, 100, i, 2, 0, 0);
    }
    mod_init(&m, FT_OFPFC_MODIFY_STRICT, 0, 100, match_dst(1, 32));
    mod_apply(&m, act_output(9));
    assert_ok(run(pl, &m, NULL));
    mod_init(&m, FT_OFPFC_DELETE_STRICT, 0, 100, match_dst(2, 32));
    assert_ok(run(pl, &m, NULL));
    /* A failing mod inside the batch leaves the others pending. */
    mod_init(&m, FT_OFPFC_ADD, 0, 100, match_dst(70, 32));
    m.fm.insts.meter_id = 3;
    assert_err(run(pl, &m, NULL), FT_OFPET_METER_MOD_FAILED,
               FT_OFPMMFC_UNKNOWN_METER);

    /* Nothing of the batch is visible yet. */
    assert_int_equal(ft_pipeline_version(pl), v0);
    assert_int_equal(ft_pipeline_generation(pl), g0);
    for (uint32_t i = 10; i < 60; i++) {
        assert_null(lookup(pl, 0, i));
    }
    assert_int_equal(lookup_port(pl, 0, 1), 1);
    assert_non_null(lookup(pl, 0, 2));
    assert_int_equal(n_flows(pl), 3);
    struct ft_table_stats st;
    ft_pipeline_table_stats(pl, 0, &st);
    assert_int_equal(st.active_count, 3);

    ft_pipeline_commit(pl);
    assert_int_equal(ft_pipeline_version(pl), v0 + 1);  /* one step */
    assert_true(ft_pipeline_generation(pl) > g0);
    for (uint32_t i = 10; i < 60; i++) {
        assert_int_equal(lookup_port(pl, 0, i), 2);
    }
    assert_int_equal(lookup_port(pl, 0, 1), 9);
    assert_null(lookup(pl, 0, 2));
    assert_null(lookup(pl, 0, 70));
    assert_int_equal(n_flows(pl), 52);
    ft_pipeline_table_stats(pl, 0, &st);
    assert_int_equal(st.active_count, 52);

    /* The old version still names the old rule set for the new entries. */
    struct ft_key k = key_dst(10);
    assert_null(ft_pipeline_lookup(pl, 0, &k, v0, NULL));

    /* An empty transaction publishes nothing. */
    ft_pipeline_begin(pl);
    ft_pipeline_commit(pl);
    assert_int_equal(ft_pipeline_version(pl), v0 + 1);
    ft_pipeline_destroy(pl);
}

static void
test_transaction_abort(void **state)
{
    (void) state;
    struct ft_pipeline *pl = new_pipeline(0, NULL);
    struct removed rem = { 0 };
    struct snap before;
    struct mod m;

    add_meter(pl, 1);
    ft_pipeline_set_flow_removed_cb(pl, removed_cb, &rem);
    for (uint32_t i = 1; i <= 4; i++) {
        add_flow(pl, 0, 100, i, i, 0x100 + i, FT_OFPFF_SEND_FLOW_REM);
    }
    add_flow(pl, 2, 100, 1, 1, 0, 0);
    ft_flow_credit(lookup(pl, 0, 1), 5, 500, T0 + 1);
    snapshot(pl, &before);
    ft_cls_version_t v0 = ft_pipeline_version(pl);

    ft_pipeline_begin(pl);
    for (uint32_t i = 10; i < 20; i++) {
        mod_init(&m, FT_OFPFC_ADD, 1, 100, match_dst(i, 32));
        m.fm.insts.meter_id = 1;
        m.fm.idle_timeout = 1;
        mod_apply(&m, act_output(1));
        assert_ok(run(pl, &m, NULL));
    }
    mod_init(&m, FT_OFPFC_MODIFY, 0, 0, match_dst(1, 32));
    mod_apply(&m, act_output(7));
    assert_ok(run(pl, &m, NULL));
    mod_init(&m, FT_OFPFC_MODIFY, 0, 0, match_dst(1, 32));   /* again */
    mod_apply(&m, act_output(8));
    assert_ok(run(pl, &m, NULL));
    add_flow(pl, 0, 100, 2, 6, 0x9, 0);                      /* replace */
    mod_init(&m, FT_OFPFC_DELETE_STRICT, 0, 100, match_dst(3, 32));
    assert_ok(run(pl, &m, NULL));
    mod_init(&m, FT_OFPFC_DELETE, FT_OFPTT_ALL, 0, match_dst(4, 32));
    assert_ok(run(pl, &m, NULL));
    mod_init(&m, FT_OFPFC_DELETE, 2, 0, match_ip());
    assert_ok(run(pl, &m, NULL));
    assert_int_equal(meter_flows(pl, 1), 10);
    ft_pipeline_abort(pl);

    assert_unchanged(pl, &before);
    assert_int_equal(ft_pipeline_version(pl), v0);
    assert_int_equal(rem.n, 0);             /* nothing was removed */
    assert_int_equal(meter_flows(pl, 1), 0); /* aborted entries freed */
    for (uint32_t i = 1; i <= 4; i++) {
        assert_int_equal(lookup_port(pl, 0, i), i);
        assert_true(ft_flow_is_live(lookup(pl, 0, i)));
    }
    assert_null(lookup(pl, 1, 10));
    assert_int_equal(lookup_port(pl, 2, 1), 1);
    assert_int_equal(ft_pipeline_expire(pl, T0 + 100000), INT64_MAX);

    /* After an abort the pipeline goes on normally. */
    mod_init(&m, FT_OFPFC_MODIFY, 0, 0, match_dst(1, 32));
    mod_apply(&m, act_output(7));
    assert_ok(run(pl, &m, NULL));
    assert_int_equal(lookup_port(pl, 0, 1), 7);
    assert_int_equal(ft_flow_packet_count(lookup(pl, 0, 1)), 5);
    ft_pipeline_destroy(pl);
}

/* ---- queries ---------------------------------------------------------------------- */

struct order {
    unsigned int n;
    uint8_t table[16];
    int32_t priority[16];
    uint64_t cookie[16];
};

static int
order_cb(const struct ft_flow *f, void *aux)
{
    struct order *o = aux;
    assert_true(o->n < 16);
    o->table[o->n] = f->table_id;
    o->priority[o->n] = f->cr.priority;
    o->cookie[o->n] = f->cookie;
    o->n++;
    return 0;
}

static int
stop_cb(const struct ft_flow *f, void *aux)
{
    (void) f;
    return ++*(int *) aux == 2 ? 42 : 0;
}

static void
test_foreach_flow(void **state)
{
    (void) state;
    struct ft_pipeline *pl = new_pipeline(0, NULL);

    add_flow(pl, 2, 5, 1, 1, 0x21, 0);
    add_flow(pl, 0, 5, 1, 1, 0x01, 0);
    add_flow(pl, 0, 300, 2, 2, 0x02, 0);
    add_flow(pl, 0, 40, 3, 1, 0x03, 0);
    add_flow(pl, 1, 7, 4, 2, 0x11, 0);
    add_flow(pl, 0, 40, 5, 1, 0x04, 0);     /* same priority, later */

    struct order o = { 0 };
    assert_int_equal(ft_pipeline_foreach_flow(pl, &all_flows, order_cb, &o),
                     0);
    const uint64_t want[] = { 0x02, 0x03, 0x04, 0x01, 0x11, 0x21 };
    assert_int_equal(o.n, 6);
    for (unsigned int i = 0; i < 6; i++) {
        assert_int_equal(o.cookie[i], want[i]);
    }

    /* One table; out_port; cookie; strict. */
    struct ft_flow_filter ff = all_flows;
    ff.table_id = 0;
    ff.out_port = 1;
    memset(&o, 0, sizeof o);
    ft_pipeline_foreach_flow(pl, &ff, order_cb, &o);
    assert_int_equal(o.n, 3);
    assert_int_equal(o.cookie[0], 0x03);

    ff = all_flows;
    ff.cookie = 0x10;
    ff.cookie_mask = 0xf0;
    memset(&o, 0, sizeof o);
    ft_pipeline_foreach_flow(pl, &ff, order_cb, &o);
    assert_int_equal(o.n, 1);
    assert_int_equal(o.table[0], 1);

    ff = all_flows;
    ff.strict = true;
    ff.match = match_dst(3, 32);
    ff.priority = 40;
    memset(&o, 0, sizeof o);
    ft_pipeline_foreach_flow(pl, &ff, order_cb, &o);
    assert_int_equal(o.n, 1);
    assert_int_equal(o.cookie[0], 0x03);
    ff.priority = 41;
    memset(&o, 0, sizeof o);
    ft_pipeline_foreach_flow(pl, &ff, order_cb, &o);
    assert_int_equal(o.n, 0);

    /* Non-strict match filter. */
    ff = all_flows;
    ff.match = match_dst(1, 32);
    memset(&o, 0, sizeof o);
    ft_pipeline_foreach_flow(pl, &ff, order_cb, &o);
    assert_int_equal(o.n, 2);               /* tables 0 and 2 */

    /* A nonzero return stops the walk. */
    int calls = 0;
    assert_int_equal(ft_pipeline_foreach_flow(pl, &all_flows, stop_cb,
                                              &calls), 42);
    assert_int_equal(calls, 2);

    ff = all_flows;
    ff.table_id = N_TABLES;
    memset(&o, 0, sizeof o);
    assert_int_equal(ft_pipeline_foreach_flow(pl, &ff, order_cb, &o), 0);
    assert_int_equal(o.n, 0);
    ft_pipeline_destroy(pl);
}

static void
test_table_miss_and_config(void **state)
{
    (void) state;
    struct ft_pipeline *pl = new_pipeline(0, NULL);
    uint64_t g = ft_pipeline_generation(pl);

    for (uint8_t t = 0; t < N_TABLES; t++) {
        assert_int_equal(ft_pipeline_get_table_miss(pl, t),
                         FT_TABLE_MISS_DROP);
    }
    assert_int_equal(ft_pipeline_set_table_miss(pl, 1,
                                                FT_TABLE_MISS_CONTROLLER), 0);
    assert_int_equal(ft_pipeline_set_table_miss(pl, 2,
                                                FT_TABLE_MISS_CONTINUE), 0);
    assert_true(ft_pipeline_generation(pl) > g);
    assert_int_equal(ft_pipeline_get_table_miss(pl, 1),
                     FT_TABLE_MISS_CONTROLLER);
    assert_int_equal(ft_pipeline_get_table_miss(pl, 2),
                     FT_TABLE_MISS_CONTINUE);
    assert_int_equal(ft_pipeline_get_table_miss(pl, 0), FT_TABLE_MISS_DROP);
    assert_int_equal(ft_pipeline_set_table_miss(pl, N_TABLES,
                                                FT_TABLE_MISS_CONTROLLER),
                     -EINVAL);
    assert_int_equal(ft_pipeline_set_table_miss(pl, 0,
                                                (enum ft_table_miss) 7),
                     -EINVAL);
    assert_int_equal(ft_pipeline_get_table_miss(pl, 0), FT_TABLE_MISS_DROP);

    struct ft_switch_config sc;
    ft_pipeline_get_switch_config(pl, &sc);
    assert_int_equal(sc.flags, 0);
    assert_int_equal(sc.miss_send_len, 128);
    g = ft_pipeline_generation(pl);
    sc.flags = FT_OFPC_INVALID_TTL_TO_CONTROLLER;
    sc.miss_send_len = FT_OFPCML_NO_BUFFER;
    ft_pipeline_set_switch_config(pl, &sc);
    assert_true(ft_pipeline_generation(pl) > g);
    struct ft_switch_config rd = ft_pipeline_read_switch_config(pl);
    assert_int_equal(rd.flags, FT_OFPC_INVALID_TTL_TO_CONTROLLER);
    assert_int_equal(rd.miss_send_len, FT_OFPCML_NO_BUFFER);

    const struct ft_normal_ports *np = (const void *) 0x1;
    struct ft_mac_table *mac = (void *) 0x1;
    ft_pipeline_get_normal(pl, &np, &mac);
    assert_null(np);
    assert_null(mac);

    assert_non_null(ft_pipeline_xlate_state(pl));
    assert_null(ft_pipeline_qsbr(pl));
    assert_int_equal(ft_pipeline_xlate_errors(pl), 0);
    ft_pipeline_count_xlate_error(pl);
    ft_pipeline_count_xlate_error(pl);
    assert_int_equal(ft_pipeline_xlate_errors(pl), 2);

    struct ft_pipeline_config dflt = { .n_tables = 0 };
    struct ft_pipeline *all = ft_pipeline_create(&dflt);
    assert_non_null(all);
    assert_int_equal(ft_pipeline_n_tables(all), FT_N_TABLES);
    add_flow(all, FT_N_TABLES - 1, 1, 1, 1, 0, 0);
    assert_non_null(lookup(all, FT_N_TABLES - 1, 1));
    ft_pipeline_destroy(all);
    ft_pipeline_destroy(pl);
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_add_and_lookup, reset_clock),
        cmocka_unit_test_setup(test_add_replace, reset_clock),
        cmocka_unit_test_setup(test_modify, reset_clock),
        cmocka_unit_test_setup(test_delete, reset_clock),
        cmocka_unit_test_setup(test_delete_out_group, reset_clock),
        cmocka_unit_test_setup(test_errors, reset_clock),
        cmocka_unit_test_setup(test_table_full, reset_clock),
        cmocka_unit_test_setup(test_transaction_commit, reset_clock),
        cmocka_unit_test_setup(test_transaction_abort, reset_clock),
        cmocka_unit_test_setup(test_foreach_flow, reset_clock),
        cmocka_unit_test_setup(test_table_miss_and_config, reset_clock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
