/*
 * test_xlate.c — translation, one behaviour per test: each instruction,
 * each action, each kind of output and reserved port, the action set's
 * order, table misses, packet-out, NORMAL (with VLANs) and traces.
 * Groups, bounds, recirculation and xcaches are in test_xlate_groups.c.
 *
 * Pipelines are built through the public API as the bridge builds them;
 * expectations are on the datapath actions as ft_dpacts_format writes
 * them (port N is datapath port 100 + N, LOCAL is 99) and on the megaflow
 * mask. EAL comes up in main() for NORMAL's MAC table (rte_hash), without
 * hugepages, PCI or shared files, like tests/unit/normal.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <rte_eal.h>

#include "flowtable/ft_pipeline.h"
#include "flowtable/ft_xlate.h"
#include "xlate_test_util.h"

static int
setup(void **state)
{
    return t_fx_setup(state, 8);
}

/* Only in_port and recirc_id, always exact, plus what 'extra' adds. */
static void
assert_wc_only(const struct ft_xlate_out *out, const struct ft_key *extra)
{
    struct ft_key want;
    const ft_key_word *a = ft_key_u64(&out->wc.masks), *b;

    memset(&want, 0, sizeof want);
    if (extra) {
        want = *extra;
    }
    want.in_port = UINT32_MAX;
    want.recirc_id = UINT32_MAX;
    b = ft_key_u64(&want);
    for (size_t i = 0; i < FT_KEY_U64S; i++) {
        if (a[i] != b[i]) {
            char got[512], exp[512];
            struct ft_key zero;

            memset(&zero, 0, sizeof zero);
            ft_key_format(&zero, &out->wc.masks, got, sizeof got);
            ft_key_format(&zero, &want, exp, sizeof exp);
            fail_msg("wc word %zu: got %s, want %s", i, got, exp);
        }
    }
}

/* ---- instructions ------------------------------------------------------------ */

static void
test_apply_output(void **state)
{
    FX;
    struct ft_match m;
    struct ft_action a[] = { t_output(2) };
    struct ft_key k = t_key_ip(1, t_ip(10, 0, 0, 1));

    t_match_all(&m);
    t_match_in_port(&m, 1);
    t_add_apply(p, 0, 100, &m, a, 1);
    assert_string_equal(t_xlate(p, &k, out), "102");
    assert_int_equal(out->error, FT_XLATE_OK);
    assert_int_equal(out->n_flows, 1);
    assert_int_equal(out->n_table_lookups, 1);
    assert_int_equal(out->table_matched[0], 1);
    assert_false(out->uses_normal);
    assert_wc_only(out, NULL);     /* in_port only: the rule's mask */
}

static void
test_goto_and_write_metadata(void **state)
{
    FX;
    struct ft_match m;
    struct ft_insts in;
    struct ft_action a[] = { t_output(3) };
    struct ft_key k = t_key_ip(1, t_ip(10, 0, 0, 1));

    t_match_all(&m);
    t_insts_init(&in);
    in.has_write_metadata = true;
    in.metadata = 0xab00;
    in.metadata_mask = 0xff00;
    in.goto_table = 2;
    t_add_flow(p, 0, 10, &m, &in);
    t_match_all(&m);
    t_match_metadata(&m, 0xab00, 0xff00);
    t_add_apply(p, 2, 10, &m, a, 1);

    assert_string_equal(t_xlate(p, &k, out), "103");
    assert_int_equal(out->n_table_lookups, 2);
    assert_int_equal(out->table_lookup[1], 2);
    /* The metadata table 2 read was written by table 0, not input. */
    assert_false(T_WC_HAS(out, metadata));

    /* Bits outside the write mask are the packet's: they still count. */
    k.metadata = 0x1;
    assert_string_equal(t_xlate(p, &k, out), "103");
}

static void
test_clear_actions(void **state)
{
    FX;
    struct ft_match m;
    struct ft_insts in;
    struct ft_action w[] = { t_output(2) };
    struct ft_action a[] = { t_output(3) };
    struct ft_key k = t_key_ip(1, t_ip(10, 0, 0, 1));

    t_match_all(&m);
    t_insts_init(&in);
    in.has_write = true;
    in.write = (struct ft_action_list) { w, 1 };
    in.goto_table = 1;
    t_add_flow(p, 0, 10, &m, &in);

    /* Without CLEAR the set written by table 0 runs at the end. */
    t_insts_init(&in);
    in.has_apply = true;
    in.apply = (struct ft_action_list) { a, 1 };
    t_add_flow(p, 1, 10, &m, &in);
    assert_string_equal(t_xlate(p, &k, out), "103,102");

    in.clear_actions = true;
    t_add_flow(p, 1, 10, &m, &in);  /* ADD replaces */
    assert_string_equal(t_xlate(p, &k, out), "103");
}

static void
test_write_actions_replace(void **state)
{
    FX;
    struct ft_match m;
    struct ft_insts in;
    struct ft_action w0[] = { t_output(2), t_set_nw_dst(t_ip(1, 1, 1, 1)) };
    struct ft_action w1[] = { t_output(4) };
    struct ft_key k = t_key_ip(1, t_ip(10, 0, 0, 1));

    t_match_all(&m);
    t_match_dl_type(&m, T_ETH_IP);
    t_insts_init(&in);
    in.has_write = true;
    in.write = (struct ft_action_list) { w0, 2 };
    in.goto_table = 1;
    t_add_flow(p, 0, 10, &m, &in);
    t_insts_init(&in);
    in.has_write = true;
    in.write = (struct ft_action_list) { w1, 1 };
    t_add_flow(p, 1, 10, &m, &in);

    /* Table 1's output replaces table 0's; the set-field stays. */
    assert_string_equal(t_xlate(p, &k, out), "set(nw_dst=1.1.1.1),104");
}

static void
test_meter_instruction(void **state)
{
    FX;
    struct ft_meter_band_cfg band = { .type = FT_OFPMBT_DROP, .rate = 1000 };
    struct ft_meter_mod mm = {
        .command = FT_OFPMC_ADD, .flags = FT_OFPMF_KBPS, .meter_id = 7,
        .n_bands = 1, .bands = &band,
    };
    struct ft_match m;
    struct ft_insts in;
    struct ft_action a0[] = { t_set_nw_dst(t_ip(1, 2, 3, 4)) };
    struct ft_action a1[] = { t_output(2) };
    struct ft_key k = t_key_ip(1, t_ip(10, 0, 0, 1));

    assert_true(ft_ofperr_is_ok(ft_pipeline_meter_mod(p, &mm, 0)));
    t_match_all(&m);
    t_match_dl_type(&m, T_ETH_IP);
    t_insts_init(&in);
    in.has_apply = true;
    in.apply = (struct ft_action_list) { a0, 1 };
    in.goto_table = 1;
    t_add_flow(p, 0, 10, &m, &in);
    t_insts_init(&in);
    in.meter_id = 7;
    in.has_apply = true;
    in.apply = (struct ft_action_list) { a1, 1 };
    t_add_flow(p, 1, 10, &m, &in);

    /* The set before the meter is committed first: the meter sees the
     * packet as it is. */
    assert_string_equal(t_xlate(p, &k, out),
                        "set(nw_dst=1.2.3.4),meter(7),102");
    assert_int_equal(out->acts[1].type, FT_DPACT_METER);
    assert_non_null(out->acts[1].meter.meter);
    assert_ptr_equal(out->acts[1].meter.meter, out->flows[1]->meter);
    assert_ptr_equal(out->acts[1].meter.meter,
                     ft_meter_lookup(ft_pipeline_meters(p), 7));
}

/* ---- set-field and TTLs ------------------------------------------------------- */

static void
test_set_field(void **state)
{
    FX;
    struct ft_match m;
    struct ft_action a[] = { t_set_nw_dst(t_ip(10, 1, 1, 1)), t_output(2) };
    struct ft_key k = t_key_ip(1, t_ip(10, 0, 0, 1));
    struct ft_key want;

    t_match_all(&m);
    t_match_dl_type(&m, T_ETH_IP);
    t_add_apply(p, 0, 10, &m, a, 2);
    assert_string_equal(t_xlate(p, &k, out), "set(nw_dst=10.1.1.1),102");
    /* The match and the prerequisite read dl_type; the written field is
     * not read. */
    memset(&want, 0, sizeof want);
    want.dl_type = UINT16_MAX;
    assert_wc_only(out, &want);

    /* A set to the value the packet has is still emitted: another packet
     * of this megaflow may carry another value. */
    k.nw_dst = t_ip(10, 1, 1, 1);
    assert_string_equal(t_xlate(p, &k, out), "set(nw_dst=10.1.1.1),102");

    /* Prerequisite not met (ARP) where nothing checked it beforehand (a
     * packet-out or a bucket): skipped, as Open vSwitch. */
    k.dl_type = htons(T_ETH_ARP);
    assert_string_equal(t_packet_out(p, &k, a, 2, out), "102");
    assert_true(T_WC_HAS(out, dl_type));
}

static void
test_set_fields_merge_per_word(void **state)
{
    FX;
    struct ft_match m;
    struct ft_action a[] = {
        t_set_nw_src(t_ip(1, 1, 1, 1)), t_set_nw_dst(t_ip(2, 2, 2, 2)),
        t_set_tp_dst(8080), t_output(2), t_set_tp_dst(9090), t_output(3),
    };
    struct ft_key k = t_key_ip(1, t_ip(10, 0, 0, 1));

    t_match_all(&m);
    t_match_dl_type(&m, T_ETH_IP);
    m.key.nw_proto = 6;
    m.mask.masks.nw_proto = 0xff;
    t_add_apply(p, 0, 10, &m, a, 6);
    assert_string_equal(t_xlate(p, &k, out),
                        "set(nw_src=1.1.1.1,nw_dst=2.2.2.2),set(tp_dst=8080),"
                        "102,set(tp_dst=9090),103");
    /* Both addresses share one key word: one action. */
    assert_int_equal(out->acts[0].type, FT_DPACT_SET_MASKED);
    assert_int_equal(out->acts[1].type, FT_DPACT_SET_MASKED);
    assert_int_equal(out->acts[2].type, FT_DPACT_OUTPUT);
    assert_false(T_WC_HAS(out, tp_dst));
    assert_false(T_WC_HAS(out, nw_dst));
}

static void
test_nw_ttl(void **state)
{
    FX;
    struct ft_match m;
    struct ft_action dec[] = { t_simple(FT_OFPAT_DEC_NW_TTL), t_output(2) };
    struct ft_action set[] = { t_ttl(FT_OFPAT_SET_NW_TTL, 5), t_output(2) };
    struct ft_key k = t_key_ip(1, t_ip(10, 0, 0, 1));

    t_match_all(&m);
    t_match_dl_type(&m, T_ETH_IP);
    t_add_apply(p, 0, 10, &m, dec, 2);
    assert_string_equal(t_xlate(p, &k, out), "set(nw_ttl=63),102");
    assert_true(T_WC_HAS(out, nw_ttl));

    t_add_apply(p, 0, 10, &m, set, 2);
    assert_string_equal(t_xlate(p, &k, out), "set(nw_ttl=5),102");
    assert_false(T_WC_HAS(out, nw_ttl));

    k.dl_type = htons(T_ETH_ARP);   /* not IP: skipped */
    assert_string_equal(t_packet_out(p, &k, dec, 2, out), "102");
    assert_string_equal(t_packet_out(p, &k, set, 2, out), "102");
}

static void
test_invalid_ttl(void **state)
{
    FX;
    struct ft_match m;
    struct ft_insts in;
    struct ft_action a[] = {
        t_output(2), t_simple(FT_OFPAT_DEC_NW_TTL), t_output(3),
    };
    struct ft_action w[] = { t_output(4) };
    struct ft_switch_config sc = { .flags = 0, .miss_send_len = 128 };
    struct ft_key k = t_key_ip(1, t_ip(10, 0, 0, 1));

    t_match_all(&m);
    t_match_dl_type(&m, T_ETH_IP);
    t_insts_init(&in);
    in.has_apply = true;
    in.apply = (struct ft_action_list) { a, 3 };
    in.has_write = true;
    in.write = (struct ft_action_list) { w, 1 };
    t_add_flow(p, 0, 10, &m, &in);

    k.nw_ttl = 1;
    /* Processing stops at the expired TTL: no output 3, no action set. */
    ft_pipeline_set_switch_config(p, &sc);
    assert_string_equal(t_xlate(p, &k, out), "102");
    assert_false(out->has_controller);

    sc.flags = FT_OFPC_INVALID_TTL_TO_CONTROLLER;
    ft_pipeline_set_switch_config(p, &sc);
    assert_string_equal(t_xlate(p, &k, out),
                        "102,controller(reason=invalid_ttl,table=0,"
                        "cookie=0x0)");
    assert_true(out->has_controller);

    k.nw_ttl = 2;
    assert_string_equal(t_xlate(p, &k, out), "102,set(nw_ttl=1),103,104");
}

static void
test_mpls_ttl(void **state)
{
    FX;
    struct ft_match m;
    struct ft_action dec[] = { t_simple(FT_OFPAT_DEC_MPLS_TTL), t_output(2) };
    struct ft_action set[] = { t_ttl(FT_OFPAT_SET_MPLS_TTL, 9), t_output(2) };
    uint32_t labels[] = { 100 };
    struct ft_key k = t_key_mpls(1, labels, 1, 30);
    struct ft_key ip = t_key_ip(1, t_ip(10, 0, 0, 1));
    struct ft_switch_config sc = {
        .flags = FT_OFPC_INVALID_TTL_TO_CONTROLLER, .miss_send_len = 128,
    };

    t_match_all(&m);
    t_match_dl_type(&m, T_ETH_MPLS);
    t_add_apply(p, 0, 10, &m, dec, 2);
    assert_string_equal(t_xlate(p, &k, out), "set(mpls_ttl=29),102");
    assert_string_equal(t_packet_out(p, &ip, dec, 2, out), "102");

    ft_pipeline_set_switch_config(p, &sc);
    k = t_key_mpls(1, labels, 1, 1);
    assert_string_equal(t_xlate(p, &k, out),
                        "controller(reason=invalid_ttl,table=0,cookie=0x0)");

    t_add_apply(p, 0, 10, &m, set, 2);
    assert_string_equal(t_xlate(p, &k, out), "set(mpls_ttl=9),102");
}

static void
test_copy_ttl(void **state)
{
    FX;
    struct ft_match m;
    struct ft_action out_[] = { t_simple(FT_OFPAT_COPY_TTL_OUT), t_output(2) };
    struct ft_action in_[] = { t_simple(FT_OFPAT_COPY_TTL_IN), t_output(2) };
    uint32_t labels[] = { 100, 200 };
    struct ft_key k = t_key_mpls(1, labels, 2, 30);

    k.mpls_lse[1] = htonl(200u << 12 | 0x100 | 7);  /* inner TTL 7 */
    t_match_all(&m);
    t_match_dl_type(&m, T_ETH_MPLS);
    t_add_apply(p, 0, 10, &m, out_, 2);
    assert_string_equal(t_xlate(p, &k, out), "set(mpls_ttl=7),102");

    t_add_apply(p, 0, 10, &m, in_, 2);
    assert_string_equal(t_xlate(p, &k, out), "set(mpls_lse1=0x1e/0xff),102");
}

/* ---- pushes and pops ------------------------------------------------------------ */

static void
test_push_vlan(void **state)
{
    FX;
    struct ft_match m;
    struct ft_action a[] = {
        t_ethertype(FT_OFPAT_PUSH_VLAN, 0x8100), t_output(2),
    };
    struct ft_key k = t_key_ip(1, t_ip(10, 0, 0, 1));

    t_match_all(&m);
    t_add_apply(p, 0, 10, &m, a, 2);
    assert_string_equal(t_xlate(p, &k, out),
                        "push_vlan(tpid=0x8100,vid=0,pcp=0),102");
    assert_true(T_WC_HAS(out, vlans[0].tci));

    /* Onto a tag: the new one copies its VID and PCP. */
    k.vlans[0].tpid = htons(0x8100);
    k.vlans[0].tci = htons(FT_VLAN_PRESENT | 3 << 13 | 42);
    assert_string_equal(t_xlate(p, &k, out),
                        "push_vlan(tpid=0x8100,vid=42,pcp=3),102");
}

static void
test_pop_vlan(void **state)
{
    FX;
    struct ft_match m;
    struct ft_action a[] = { t_simple(FT_OFPAT_POP_VLAN), t_output(2) };
    struct ft_key k = t_key_ip(1, t_ip(10, 0, 0, 1));

    t_match_all(&m);
    m.key.vlans[0].tci = htons(FT_VLAN_PRESENT);
    m.mask.masks.vlans[0].tci = htons(FT_VLAN_PRESENT);
    t_add_apply(p, 0, 10, &m, a, 2);
    assert_string_equal(t_packet_out(p, &k, a, 2, out), "102");  /* no tag */
    k.vlans[0].tpid = htons(0x8100);
    k.vlans[0].tci = htons(FT_VLAN_PRESENT | 42);
    assert_string_equal(t_xlate(p, &k, out), "pop_vlan,102");
}

static void
test_push_pop_vlan_then_match(void **state)
{
    FX;
    struct ft_match m;
    struct ft_insts in;
    struct ft_action a[] = {
        t_ethertype(FT_OFPAT_PUSH_VLAN, 0x8100), t_set_vlan_vid(7),
    };
    struct ft_action b[] = { t_output(3) };
    struct ft_key k = t_key_ip(1, t_ip(10, 0, 0, 1));

    t_match_all(&m);
    t_insts_init(&in);
    in.has_apply = true;
    in.apply = (struct ft_action_list) { a, 2 };
    in.goto_table = 1;
    t_add_flow(p, 0, 10, &m, &in);
    m.key.vlans[0].tci = htons(FT_VLAN_PRESENT | 7);
    m.mask.masks.vlans[0].tci = htons(FT_VLAN_PRESENT | FT_VLAN_VID_MASK);
    t_add_apply(p, 1, 10, &m, b, 1);
    /* Table 1 sees the pushed, rewritten tag. */
    assert_string_equal(t_xlate(p, &k, out),
                        "push_vlan(tpid=0x8100,vid=0,pcp=0),set(vlan_tci=0x0007/0x0fff),"
                        "103");
}

static void
test_push_mpls(void **state)
{
    FX;
    struct ft_match m;
    struct ft_action a[] = {
        t_ethertype(FT_OFPAT_PUSH_MPLS, 0x8847), t_output(2),
    };
    struct ft_key k = t_key_ip(1, t_ip(10, 0, 0, 1));
    uint32_t labels[] = { 100 };
    struct ft_key mk = t_key_mpls(1, labels, 1, 30);

    t_match_all(&m);
    t_add_apply(p, 0, 10, &m, a, 2);
    k.nw_tos = 0xa0;                /* precedence 5 */
    assert_string_equal(t_xlate(p, &k, out),
                        "push_mpls(label=0,tc=5,ttl=64,bos=1,"
                        "eth_type=0x8847),102");
    assert_true(T_WC_HAS(out, nw_ttl));
    /* Onto a label: a copy of it, not bottom of stack. */
    assert_string_equal(t_xlate(p, &mk, out),
                        "push_mpls(label=100,tc=0,ttl=30,bos=0,"
                        "eth_type=0x8847),102");
}

static void
test_pop_mpls(void **state)
{
    FX;
    struct ft_match m;
    struct ft_action a[] = {
        t_ethertype(FT_OFPAT_POP_MPLS, 0x8847),
        t_ttl(FT_OFPAT_SET_MPLS_TTL, 5), t_output(2),
    };
    uint32_t labels[] = { 100, 200 };
    struct ft_key k = t_key_mpls(1, labels, 2, 30);
    struct ft_key ip = t_key_ip(1, t_ip(10, 0, 0, 1));

    t_match_all(&m);
    t_match_dl_type(&m, T_ETH_MPLS);
    t_add_apply(p, 0, 10, &m, a, 3);
    /* Not the bottom label: the next one is in the key, no recirculation. */
    assert_string_equal(t_xlate(p, &k, out),
                        "pop_mpls(eth_type=0x8847),set(mpls_ttl=5),102");
    assert_int_equal(out->n_recirc, 0);
    assert_string_equal(t_packet_out(p, &ip, a, 3, out), "102");
}

static void
test_push_pop_mpls_keeps_ip(void **state)
{
    FX;
    struct ft_match m;
    struct ft_action a[] = {
        t_ethertype(FT_OFPAT_PUSH_MPLS, 0x8847), t_output(2),
        t_ethertype(FT_OFPAT_POP_MPLS, 0x0800),
        t_simple(FT_OFPAT_DEC_NW_TTL), t_output(3),
    };
    struct ft_key k = t_key_ip(1, t_ip(10, 0, 0, 1));

    t_match_all(&m);
    t_add_apply(p, 0, 10, &m, a, 5);
    /* The IP header under the label is the one this walk covered: it is
     * still known after the pop, no recirculation needed. */
    assert_string_equal(t_xlate(p, &k, out),
                        "push_mpls(label=0,tc=0,ttl=64,bos=1,eth_type=0x8847),"
                        "102,pop_mpls(eth_type=0x0800),set(nw_ttl=63),103");
    assert_int_equal(out->n_recirc, 0);
}

static void
test_pbb(void **state)
{
    FX;
    struct ft_match m;
    struct ft_action push[] = {
        t_ethertype(FT_OFPAT_PUSH_PBB, 0x88e7), t_output(2),
    };
    struct ft_action pop[] = { t_simple(FT_OFPAT_POP_PBB), t_output(2) };
    struct ft_key k = t_key_ip(1, t_ip(10, 0, 0, 1));
    struct ft_key pk = k;

    t_match_all(&m);
    t_add_apply(p, 0, 10, &m, push, 2);
    assert_string_equal(t_xlate(p, &k, out), "push_pbb(isid=0),102");

    pk.dl_type = htons(0x88e7);
    pk.pbb_isid = htonl(4242);
    assert_string_equal(t_xlate(p, &pk, out), "push_pbb(isid=4242),102");

    /* Outputs need nothing of the customer frame behind the I-TAG. */
    t_match_dl_type(&m, 0x88e7);
    t_add_apply(p, 0, 20, &m, pop, 2);
    assert_string_equal(t_xlate(p, &pk, out), "pop_pbb,102");
    assert_string_equal(t_packet_out(p, &k, pop, 2, out), "102");
}

static void
test_set_queue(void **state)
{
    FX;
    struct ft_match m;
    struct ft_action a[] = { t_set_queue(5), t_output(2) };
    struct ft_key k = t_key_ip(1, t_ip(10, 0, 0, 1));

    t_match_all(&m);
    t_add_apply(p, 0, 10, &m, a, 2);
    assert_string_equal(t_xlate(p, &k, out), "set_queue(5),102");
}

/* ---- outputs --------------------------------------------------------------------- */

static void
test_output_port_rules(void **state)
{
    FX;
    struct ft_port ports[] = {
        { .ofp_port = 1, .dp_port = T_DP(1), .live = true },
        { .ofp_port = 2, .dp_port = T_DP(2), .live = true },
        { .ofp_port = 3, .dp_port = T_DP(3), .live = true,
          .config = FT_OFPPC_NO_FWD },
    };
    struct ft_match m;
    struct ft_action a[] = { t_output(9), t_output(3), t_output(1),
                             t_output(2) };
    struct ft_key k = t_key_ip(1, t_ip(10, 0, 0, 1));

    assert_int_equal(ft_pipeline_set_ports(p, ports, 3), 0);
    t_match_all(&m);
    t_add_apply(p, 0, 10, &m, a, 4);
    /* 9: not on the bridge; 3: NO_FWD; 1: the input port. */
    assert_string_equal(t_xlate(p, &k, out), "102");
}

static void
test_output_in_port_and_local(void **state)
{
    FX;
    struct ft_match m;
    struct ft_action a[] = { t_output(FT_OFPP_IN_PORT),
                             t_output(FT_OFPP_LOCAL) };
    struct ft_key k = t_key_ip(4, t_ip(10, 0, 0, 1));

    t_match_all(&m);
    t_add_apply(p, 0, 10, &m, a, 2);
    assert_string_equal(t_xlate(p, &k, out), "104,99");
    k.in_port = FT_OFPP_LOCAL;      /* LOCAL is then the input port */
    assert_string_equal(t_xlate(p, &k, out), "99");
}

static void
test_flood_and_all(void **state)
{
    FX;
    struct ft_port ports[] = {
        { .ofp_port = 1, .dp_port = T_DP(1), .live = true },
        { .ofp_port = 2, .dp_port = T_DP(2), .live = true },
        { .ofp_port = 3, .dp_port = T_DP(3), .live = true,
          .config = FT_OFPPC_NO_FWD },
        { .ofp_port = 4, .dp_port = T_DP(4), .live = false },
        { .ofp_port = FT_OFPP_LOCAL, .dp_port = T_DP_LOCAL, .live = true },
    };
    struct ft_match m;
    struct ft_action flood[] = { t_output(FT_OFPP_FLOOD) };
    struct ft_action all[] = { t_output(FT_OFPP_ALL) };
    struct ft_key k = t_key_ip(1, t_ip(10, 0, 0, 1));

    assert_int_equal(ft_pipeline_set_ports(p, ports, 5), 0);
    t_match_all(&m);
    t_add_apply(p, 0, 10, &m, flood, 1);
    assert_string_equal(t_xlate(p, &k, out), "102,99");
    t_add_apply(p, 0, 10, &m, all, 1);
    assert_string_equal(t_xlate(p, &k, out), "102,104,99");
}

static void
test_output_controller(void **state)
{
    FX;
    struct ft_match m;
    struct ft_insts in;
    struct ft_action a[] = { t_controller(128) };
    struct ft_port ports[] = {
        { .ofp_port = 1, .dp_port = T_DP(1), .live = true,
          .config = FT_OFPPC_NO_PACKET_IN },
        { .ofp_port = 2, .dp_port = T_DP(2), .live = true },
    };
    struct ft_key k = t_key_ip(2, t_ip(10, 0, 0, 1));
    struct ft_ofperr err;

    t_match_all(&m);
    t_match_in_port(&m, 2);
    t_insts_init(&in);
    in.has_apply = true;
    in.apply = (struct ft_action_list) { a, 1 };
    ft_pipeline_begin(p);
    err = t_flow_mod_nocommit(p, 3, 50, &m, &in, 0xc0c0);
    assert_true(ft_ofperr_is_ok(err));
    ft_pipeline_commit(p);
    t_match_all(&m);
    t_insts_init(&in);
    in.goto_table = 3;
    t_add_flow(p, 0, 10, &m, &in);

    assert_string_equal(t_xlate(p, &k, out),
                        "controller(reason=action,table=3,cookie=0xc0c0,"
                        "max_len=128)");
    assert_true(out->has_controller);
    assert_int_equal(out->acts[0].controller.metadata, 0);

    /* NO_PACKET_IN on the input port suppresses it. */
    assert_int_equal(ft_pipeline_set_ports(p, ports, 2), 0);
    k.in_port = 1;
    t_match_all(&m);
    t_match_in_port(&m, 1);
    ft_pipeline_begin(p);
    err = t_flow_mod_nocommit(p, 3, 50, &m, &in, 0);
    ft_pipeline_commit(p);
    t_add_apply(p, 3, 60, &m, a, 1);
    assert_string_equal(t_xlate(p, &k, out), "drop");
    assert_false(out->has_controller);
}

/* ---- the action set ----------------------------------------------------------------- */

static void
test_action_set_order(void **state)
{
    FX;
    struct ft_match m;
    struct ft_insts in;
    /* Written in the "wrong" order on purpose. */
    struct ft_action w[] = {
        t_output(2), t_set_vlan_vid(7), t_ethertype(FT_OFPAT_PUSH_VLAN, 0x8100),
    };
    struct ft_key k = t_key_ip(1, t_ip(10, 0, 0, 1));

    t_match_all(&m);
    t_insts_init(&in);
    in.has_write = true;
    in.write = (struct ft_action_list) { w, 3 };
    t_add_flow(p, 0, 10, &m, &in);
    assert_string_equal(t_xlate(p, &k, out),
                        "push_vlan(tpid=0x8100,vid=0,pcp=0),set(vlan_tci=0x0007/0x0fff),102");
}

static void
test_action_set_full_order(void **state)
{
    FX;
    struct ft_match m;
    struct ft_insts in;
    struct ft_action w[] = {
        t_output(2), t_set_queue(3), t_simple(FT_OFPAT_DEC_MPLS_TTL),
        t_ethertype(FT_OFPAT_PUSH_MPLS, 0x8847), t_simple(FT_OFPAT_POP_VLAN),
    };
    struct ft_key k = t_key_ip(1, t_ip(10, 0, 0, 1));

    k.vlans[0].tpid = htons(0x8100);
    k.vlans[0].tci = htons(FT_VLAN_PRESENT | 10);
    t_match_all(&m);
    t_match_dl_type(&m, T_ETH_IP);
    m.key.vlans[0].tci = htons(FT_VLAN_PRESENT);
    m.mask.masks.vlans[0].tci = htons(FT_VLAN_PRESENT);
    t_insts_init(&in);
    in.has_write = true;
    in.write = (struct ft_action_list) { w, 5 };
    t_add_flow(p, 0, 10, &m, &in);
    /* pop, push, decrement, (set,) qos, output. */
    assert_string_equal(t_xlate(p, &k, out),
                        "pop_vlan,push_mpls(label=0,tc=0,ttl=64,bos=1,"
                        "eth_type=0x8847),set_queue(3),set(mpls_ttl=63),102");
}

static void
test_action_set_group_beats_output(void **state)
{
    FX;
    struct ft_action ba[] = { t_output(3) };
    struct ft_bucket_cfg b = t_bucket(ba, 1);
    struct ft_match m;
    struct ft_insts in;
    struct ft_action w[] = { t_output(2), t_group(p, 5) };
    struct ft_key k = t_key_ip(1, t_ip(10, 0, 0, 1));

    t_add_group(p, FT_OFPGT_INDIRECT, 5, &b, 1);
    t_match_all(&m);
    t_insts_init(&in);
    in.has_write = true;
    in.write = (struct ft_action_list) { w, 2 };
    t_add_flow(p, 0, 10, &m, &in);
    assert_string_equal(t_xlate(p, &k, out), "103");
}

/* ---- table misses ----------------------------------------------------------------------- */

static void
test_table_miss_drop(void **state)
{
    FX;
    struct ft_key k = t_key_ip(1, t_ip(10, 0, 0, 1));

    assert_string_equal(t_xlate(p, &k, out), "drop");
    assert_int_equal(out->error, FT_XLATE_OK);
    assert_int_equal(out->n_table_lookups, 1);
    assert_int_equal(out->table_matched[0], 0);
    assert_wc_only(out, NULL);
}

static void
test_table_miss_controller(void **state)
{
    FX;
    struct ft_switch_config sc = { .miss_send_len = 200 };
    struct ft_key k = t_key_ip(1, t_ip(10, 0, 0, 1));

    ft_pipeline_set_switch_config(p, &sc);
    assert_int_equal(ft_pipeline_set_table_miss(p, 0,
                                                FT_TABLE_MISS_CONTROLLER), 0);
    assert_string_equal(t_xlate(p, &k, out),
                        "controller(reason=no_match,table=0,"
                        "cookie=0xffffffffffffffff,max_len=200)");
    assert_true(out->has_controller);
}

static void
test_table_miss_continue(void **state)
{
    FX;
    struct ft_match m;
    struct ft_action a[] = { t_output(2) };
    struct ft_key k = t_key_ip(1, t_ip(10, 0, 0, 1));

    assert_int_equal(ft_pipeline_set_table_miss(p, 0,
                                                FT_TABLE_MISS_CONTINUE), 0);
    t_match_all(&m);
    t_add_apply(p, 1, 10, &m, a, 1);
    assert_string_equal(t_xlate(p, &k, out), "102");
    assert_int_equal(out->n_table_lookups, 2);
    assert_int_equal(out->table_matched[0], 0);
    assert_int_equal(out->table_matched[1], 1);
}

static void
test_table_miss_entry_reason(void **state)
{
    FX;
    struct ft_match m;
    struct ft_action a[] = { t_controller(FT_OFPCML_NO_BUFFER) };
    struct ft_key k = t_key_ip(1, t_ip(10, 0, 0, 1));

    /* Priority 0, all wildcards: a table-miss entry, reason NO_MATCH. */
    t_match_all(&m);
    t_add_apply(p, 0, 0, &m, a, 1);
    assert_string_equal(t_xlate(p, &k, out),
                        "controller(reason=no_match,table=0,cookie=0x0)");

    /* Any other entry sends with reason ACTION. */
    t_add_apply(p, 0, 1, &m, a, 1);
    assert_string_equal(t_xlate(p, &k, out),
                        "controller(reason=action,table=0,cookie=0x0)");
    t_match_in_port(&m, 1);
    t_add_apply(p, 0, 0, &m, a, 1);
    assert_string_equal(t_xlate(p, &k, out),
                        "controller(reason=action,table=0,cookie=0x0)");
}

/* ---- packet-out ------------------------------------------------------------------------- */

static void
test_packet_out_table(void **state)
{
    FX;
    struct ft_match m;
    struct ft_action pipe[] = { t_output(2) };
    struct ft_action po[] = {
        t_set_nw_dst(t_ip(9, 9, 9, 9)), t_output(FT_OFPP_TABLE), t_output(3),
    };
    struct ft_action po_last[] = { t_output(3), t_output(FT_OFPP_TABLE) };
    struct ft_key k = t_key_ip(FT_OFPP_CONTROLLER, t_ip(10, 0, 0, 1));

    t_match_all(&m);
    t_match_nw_dst(&m, t_ip(9, 9, 9, 9), 32);
    t_add_apply(p, 0, 10, &m, pipe, 1);
    /* The pipeline sees the set-field; it runs on a copy because the
     * packet-out goes on after it. */
    assert_string_equal(t_packet_out(p, &k, po, 3, out),
                        "clone(set(nw_dst=9.9.9.9),102),set(nw_dst=9.9.9.9),"
                        "103");
    assert_int_equal(out->n_flows, 1);
    /* Last: no copy needed; the miss drops. */
    assert_string_equal(t_packet_out(p, &k, po_last, 2, out), "103");
    /* A flow cannot output to TABLE: ignored in translation. */
    t_match_all(&m);
    k.in_port = 1;
    assert_string_equal(t_packet_out(p, &k, pipe, 1, out), "102");
}

/* ---- trace ---------------------------------------------------------------------------------- */

struct trace_buf {
    char text[8192];
    size_t len;
};

static void
trace_cb(void *aux, unsigned int depth, const char *line)
{
    struct trace_buf *t = aux;
    int n = snprintf(t->text + t->len, sizeof t->text - t->len, "%*s%s\n",
                     (int) depth * 2, "", line);

    if (n > 0 && (size_t) n < sizeof t->text - t->len) {
        t->len += (size_t) n;
    }
}

static void
test_trace(void **state)
{
    FX;
    struct ft_match m;
    struct ft_insts in;
    struct ft_action a[] = { t_simple(FT_OFPAT_DEC_NW_TTL), t_output(2) };
    struct ft_key k = t_key_ip(1, t_ip(10, 0, 0, 7));
    struct trace_buf t = { .len = 0 };
    struct ft_xlate_in xin = {
        .key = &k, .trace = trace_cb, .trace_aux = &t,
    };
    char plain[256];
    struct ft_ofperr err;

    t_match_all(&m);
    t_match_nw_dst(&m, t_ip(10, 0, 0, 0), 24);
    t_insts_init(&in);
    in.has_apply = true;
    in.apply = (struct ft_action_list) { a, 2 };
    ft_pipeline_begin(p);
    err = t_flow_mod_nocommit(p, 0, 100, &m, &in, 0x1);
    assert_true(ft_ofperr_is_ok(err));
    ft_pipeline_commit(p);

    ft_xlate(p, &xin, out);
    ft_dpacts_format(out->acts, out->n_acts, plain, sizeof plain);
    assert_string_equal(plain, "set(nw_ttl=63),102");
    assert_non_null(strstr(t.text, "table 0: priority 100 ip,"
                                   "nw_dst=10.0.0.0/24 cookie 0x1 → "
                                   "apply_actions("));
    assert_non_null(strstr(t.text, "output to port 2 (datapath port 102)"));
    assert_non_null(strstr(t.text, "datapath actions: set(nw_ttl=63),102"));
    assert_non_null(strstr(t.text, "megaflow: "));
    assert_non_null(strstr(t.text, "nw_ttl=64"));

    /* Tracing changes nothing. */
    t.len = 0;
    k.dl_type = htons(T_ETH_ARP);
    ft_xlate(p, &xin, out);
    assert_non_null(strstr(t.text, "table 0: no match: drop"));
    assert_non_null(strstr(t.text, "datapath actions: drop"));
}

/* ---- NORMAL -------------------------------------------------------------------------------- */

struct normal_fx {
    struct ft_mac_table *mac;
    struct ft_normal_ports *ports;
};

/* Ports: 1 access VLAN 10, 2 trunk (all), 3 access VLAN 10, 4 access
 * VLAN 20. */
static struct normal_fx
normal_setup(struct ft_pipeline *p)
{
    struct ft_normal_port np[4];
    struct normal_fx n;

    memset(np, 0, sizeof np);
    np[0] = (struct ft_normal_port) { .port = 1, .mode = FT_VLAN_ACCESS,
                                      .tag = 10 };
    np[1] = (struct ft_normal_port) { .port = 2, .mode = FT_VLAN_TRUNK,
                                      .trunks_all = true };
    np[2] = (struct ft_normal_port) { .port = 3, .mode = FT_VLAN_ACCESS,
                                      .tag = 10 };
    np[3] = (struct ft_normal_port) { .port = 4, .mode = FT_VLAN_ACCESS,
                                      .tag = 20 };
    n.mac = ft_mac_table_create("xlate", 0, NULL);
    assert_non_null(n.mac);
    n.ports = ft_normal_ports_create(np, 4);
    assert_non_null(n.ports);
    ft_pipeline_set_normal(p, n.ports, n.mac);
    return n;
}

static void
normal_teardown(struct ft_pipeline *p, struct normal_fx *n)
{
    ft_pipeline_set_normal(p, NULL, NULL);
    ft_mac_table_destroy(n->mac);
    free(n->ports);
}

static void
test_normal(void **state)
{
    FX;
    struct normal_fx n = normal_setup(p);
    struct ft_match m;
    struct ft_action a[] = { t_output(FT_OFPP_NORMAL) };
    struct ft_key k = t_key_ip(1, t_ip(10, 0, 0, 1));
    struct ft_key back = t_key_ip(3, t_ip(10, 0, 0, 1));
    struct ft_xlate_in in = { .key = &k, .now_ms = 1000, .may_learn = true };
    char buf[256];

    t_match_all(&m);
    t_add_apply(p, 0, 10, &m, a, 1);

    /* Unknown destination, access VLAN 10: flood to the trunk (tagged)
     * and the other VLAN 10 access port (untagged). */
    ft_xlate(p, &in, out);
    ft_dpacts_format(out->acts, out->n_acts, buf, sizeof buf);
    assert_string_equal(buf, "push_vlan(tpid=0x8100,vid=10,pcp=0),102,"
                             "pop_vlan,103");
    assert_true(out->uses_normal);
    assert_true(out->normal_learned);
    assert_int_equal(out->normal_vlan, 10);
    assert_int_equal(out->normal_port, 1);
    assert_true(T_WC_HAS(out, dl_src));
    assert_true(T_WC_HAS(out, dl_dst));
    assert_true(T_WC_HAS(out, vlans[0].tci));
    assert_false(T_WC_HAS(out, nw_dst));
    assert_false(T_WC_HAS(out, dl_type));

    /* The reply from port 3 goes to the learned port only. */
    back.dl_dst = k.dl_src;
    back.dl_src = k.dl_dst;
    in.key = &back;
    ft_xlate(p, &in, out);
    ft_dpacts_format(out->acts, out->n_acts, buf, sizeof buf);
    assert_string_equal(buf, "101");

    normal_teardown(p, &n);
}

static void
test_normal_without_learning(void **state)
{
    FX;
    struct normal_fx n = normal_setup(p);
    struct ft_match m;
    struct ft_action a[] = { t_output(FT_OFPP_NORMAL) };
    struct ft_key k = t_key_ip(1, t_ip(10, 0, 0, 1));
    struct ft_xlate_in in = { .key = &k, .now_ms = 1000, .may_learn = false };

    t_match_all(&m);
    t_add_apply(p, 0, 10, &m, a, 1);
    ft_xlate(p, &in, out);
    assert_false(out->normal_learned);
    assert_int_equal(ft_mac_count(n.mac), 0);
    assert_int_equal(ft_mac_lookup(n.mac, &k.dl_src, 10), -1);
    normal_teardown(p, &n);
}

static void
test_normal_then_output_restores_tag(void **state)
{
    FX;
    struct normal_fx n = normal_setup(p);
    struct ft_match m;
    struct ft_action a[] = { t_output(FT_OFPP_NORMAL), t_output(5) };
    struct ft_key k = t_key_ip(2, t_ip(10, 0, 0, 1));
    struct ft_xlate_in in = { .key = &k, .now_ms = 1000, .may_learn = true };
    char buf[256];

    k.vlans[0].tpid = htons(0x8100);
    k.vlans[0].tci = htons(FT_VLAN_PRESENT | 10);
    t_match_all(&m);
    t_add_apply(p, 0, 10, &m, a, 2);
    /* Tagged VLAN 10 on the trunk: flooded untagged to the access ports;
     * output 5 afterwards gets the packet as it came in, tag and all. */
    ft_xlate(p, &in, out);
    ft_dpacts_format(out->acts, out->n_acts, buf, sizeof buf);
    assert_string_equal(buf, "pop_vlan,101,103,"
                             "push_vlan(tpid=0x8100,vid=10,pcp=0),105");
    normal_teardown(p, &n);
}

/* A megaflow that carries traffic keeps NORMAL's entry for its source
 * alive: the datapath, not NORMAL, sees those packets. */
static void
test_normal_xcache_refresh(void **state)
{
    FX;
    struct normal_fx n = normal_setup(p);
    struct ft_match m;
    struct ft_action a[] = { t_output(FT_OFPP_NORMAL) };
    struct ft_key k = t_key_ip(1, t_ip(10, 0, 0, 1));
    struct ft_xlate_in in = { .key = &k, .now_ms = 1000, .may_learn = true };
    int64_t aging = FT_MAC_DEFAULT_AGING_S * 1000;
    struct ft_xcache *xc;

    t_match_all(&m);
    t_add_apply(p, 0, 10, &m, a, 1);
    ft_xlate(p, &in, out);
    assert_int_equal(ft_mac_lookup(n.mac, &k.dl_src, 10), 1);
    xc = ft_xcache_create(p, out, &k);
    assert_non_null(xc);

    ft_xcache_credit(p, xc, 5, 500, 1000 + aging - 1000);
    assert_int_equal(ft_mac_expire(n.mac, 1000 + aging + 1000), 0);
    assert_int_equal(ft_mac_lookup(n.mac, &k.dl_src, 10), 1);

    /* Without traffic the entry ages out as usual. */
    assert_int_equal(ft_mac_expire(n.mac, 1000 + 3 * aging), 1);
    assert_int_equal(ft_mac_lookup(n.mac, &k.dl_src, 10), -1);
    ft_xcache_destroy(p, xc);
    normal_teardown(p, &n);
}

int
main(int argc, char **argv)
{
    char *eal_args[] = {
        argv[0], "--no-huge", "--no-pci", "--no-shconf", "--no-telemetry",
        "-m", "256", "--log-level=1", "-l", "0",
    };
    const struct CMUnitTest tests[] = {
#define T(NAME) cmocka_unit_test_setup_teardown(NAME, setup, t_fx_teardown)
        T(test_apply_output),
        T(test_goto_and_write_metadata),
        T(test_clear_actions),
        T(test_write_actions_replace),
        T(test_meter_instruction),
        T(test_set_field),
        T(test_set_fields_merge_per_word),
        T(test_nw_ttl),
        T(test_invalid_ttl),
        T(test_mpls_ttl),
        T(test_copy_ttl),
        T(test_push_vlan),
        T(test_pop_vlan),
        T(test_push_pop_vlan_then_match),
        T(test_push_mpls),
        T(test_pop_mpls),
        T(test_push_pop_mpls_keeps_ip),
        T(test_pbb),
        T(test_set_queue),
        T(test_output_port_rules),
        T(test_output_in_port_and_local),
        T(test_flood_and_all),
        T(test_output_controller),
        T(test_action_set_order),
        T(test_action_set_full_order),
        T(test_action_set_group_beats_output),
        T(test_table_miss_drop),
        T(test_table_miss_controller),
        T(test_table_miss_continue),
        T(test_table_miss_entry_reason),
        T(test_packet_out_table),
        T(test_trace),
        T(test_normal),
        T(test_normal_without_learning),
        T(test_normal_then_output_restores_tag),
        T(test_normal_xcache_refresh),
#undef T
    };

    (void) argc;
    if (rte_eal_init((int) (sizeof eal_args / sizeof eal_args[0]),
                     eal_args) < 0) {
        fprintf(stderr, "EAL init failed\n");
        return 1;
    }
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    rte_eal_cleanup();
    return rc;
}
