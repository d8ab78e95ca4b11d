/*
 * test_ofswitch.c — the switch front's request handlers, driven by a
 * controller-side client over loopback (of_connmgr in between), against a
 * real pipeline and a fake datapath (ofs_harness.h): FEATURES and switch
 * config, FLOW_MOD with flow stats and aggregates, every FLOW_MOD error
 * path, groups, meters, ports (PORT_DESC, PORT_STATS, PORT_MOD, PORT_STATUS),
 * TABLE_MOD, queues, PACKET_OUT down to the datapath actions, and the
 * other multipart replies (DESC, TABLE, TABLE_FEATURES, split replies).
 * Bundles, barriers and asynchronous messages: test_ofswitch_async.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flowtable/ft_group.h"
#include "flowtable/ft_meter.h"
#include "ofs_harness.h"
#include "openflow/of_ft.h"

static struct client cl, cl2;

static void
start(void)
{
    env_setup(16, false);
    client_connect(&cl);
}

static void
stop(void)
{
    client_close(&cl);
    env_teardown();
}

/* ---- builders ------------------------------------------------------------ */

static struct of_action
output(uint32_t port)
{
    struct of_action a;
    memset(&a, 0, sizeof a);
    a.type = OFPAT_OUTPUT;
    a.output.port = port;
    return a;
}

static struct of_action
group_act(uint32_t group_id)
{
    struct of_action a;
    memset(&a, 0, sizeof a);
    a.type = OFPAT_GROUP;
    a.group.group_id = group_id;
    return a;
}

static struct of_instruction
apply(struct of_action *acts, uint32_t n)
{
    struct of_instruction in;
    memset(&in, 0, sizeof in);
    in.type = OFPIT_APPLY_ACTIONS;
    in.actions = (struct of_action_list) { acts, n };
    return in;
}

static void
match_in_port(struct of_match *m, uint32_t port)
{
    uint8_t v[4] = { (uint8_t) (port >> 24), (uint8_t) (port >> 16),
                     (uint8_t) (port >> 8), (uint8_t) port };
    assert_int_equal(of_match_add(m, OFPXMT_OFB_IN_PORT, v, NULL, NULL), 0);
}

static void
match_eth_type(struct of_match *m, uint16_t type)
{
    uint8_t v[2] = { (uint8_t) (type >> 8), (uint8_t) type };
    assert_int_equal(of_match_add(m, OFPXMT_OFB_ETH_TYPE, v, NULL, NULL), 0);
}

static void
assert_msg_equal(const struct of_msg *a, const struct of_msg *b)
{
    if (!of_msg_equal(a, b)) {
        static char ta[32768], tb[32768];
        of_msg_format(a, ta, sizeof ta);
        of_msg_format(b, tb, sizeof tb);
        fail_msg("messages differ:\n  %s\n  %s", ta, tb);
    }
}

/* The flow-stats entry with 'cookie' in 'r', or NULL. */
static const struct of_flow_stats *
find_flow(const struct mp_reply *r, uint64_t cookie)
{
    for (uint32_t i = 0; i < r->msg.multipart.flows.n; i++) {
        if (r->msg.multipart.flows.items[i].cookie == cookie) {
            return &r->msg.multipart.flows.items[i];
        }
    }
    return NULL;
}

static uint32_t
count_flows(void)
{
    struct of_msg req;
    struct mp_reply r;
    build_mp_request(&req, 0x5000, OFPMP_FLOW);
    client_multipart(&cl, &req, &r);
    uint32_t n = r.msg.multipart.flows.n;
    mp_reply_free(&r);
    return n;
}

/* Expects 'fs' to carry exactly the match and instructions of 'fm'. */
static void
assert_flow_is(const struct of_flow_stats *fs, const struct of_msg *fm)
{
    assert_non_null(fs);
    struct of_msg echo = *fm;
    echo.arena.head = NULL;
    echo.flow_mod.match = fs->match;
    echo.flow_mod.instructions = fs->instructions;
    assert_msg_equal(fm, &echo);
    assert_int_equal(fs->priority, fm->flow_mod.priority);
    assert_int_equal(fs->table_id, fm->flow_mod.table_id);
}

/* ---- FEATURES, switch config ----------------------------------------------- */

static void
test_features_and_config(void **state)
{
    (void) state;
    start();
    struct of_msg m, *r;

    of_msg_init(&m, OFPT_FEATURES_REQUEST, 10);
    client_send(&cl, &m);
    r = client_recv(&cl);
    assert_int_equal(r->type, OFPT_FEATURES_REPLY);
    assert_int_equal(r->xid, 10);
    assert_int_equal(r->features.datapath_id, 0x0000aabbccddeeffull);
    assert_int_equal(r->features.n_tables, 16);
    assert_int_equal(r->features.n_buffers, 0);
    /* FLOW_STATS | TABLE_STATS | PORT_STATS | GROUP_STATS, no more. */
    assert_int_equal(r->features.capabilities, 0xf);
    rx_free(r);

    of_msg_init(&m, OFPT_GET_CONFIG_REQUEST, 11);
    client_send(&cl, &m);
    r = client_recv(&cl);
    assert_int_equal(r->type, OFPT_GET_CONFIG_REPLY);
    assert_int_equal(r->config.flags, 0);
    assert_int_equal(r->config.miss_send_len, 128);
    rx_free(r);

    of_msg_init(&m, OFPT_SET_CONFIG, 12);
    m.config.flags = FT_OFPC_INVALID_TTL_TO_CONTROLLER;
    m.config.miss_send_len = 256;
    client_send(&cl, &m);
    client_barrier(&cl);
    struct ft_switch_config sc;
    ft_pipeline_get_switch_config(env.pl, &sc);
    assert_int_equal(sc.miss_send_len, 256);
    assert_int_equal(sc.flags, FT_OFPC_INVALID_TTL_TO_CONTROLLER);
    of_msg_init(&m, OFPT_GET_CONFIG_REQUEST, 13);
    client_send(&cl, &m);
    r = client_recv(&cl);
    assert_int_equal(r->config.miss_send_len, 256);
    assert_int_equal(r->config.flags, FT_OFPC_INVALID_TTL_TO_CONTROLLER);
    rx_free(r);

    /* Fragment handling other than NORMAL is not implemented. */
    of_msg_init(&m, OFPT_SET_CONFIG, 14);
    m.config.flags = 1;                 /* OFPC_FRAG_DROP */
    m.config.miss_send_len = 64;
    client_req_error(&cl, &m, OFPET_SWITCH_CONFIG_FAILED, 0);
    ft_pipeline_get_switch_config(env.pl, &sc);
    assert_int_equal(sc.miss_send_len, 256);
    stop();
}

/* ---- FLOW_MOD, flow stats, aggregate ------------------------------------------- */

static void
test_flow_mod_and_stats(void **state)
{
    (void) state;
    start();
    struct of_action a_out2 = output(2), a_out1 = output(1), a_out3 = output(3);
    struct of_action a_ctl = output(OFPP_CONTROLLER);
    a_ctl.output.max_len = 128;

    struct of_msg fa, fb, fc;
    struct of_instruction ia = apply(&a_out2, 1);
    build_flow_mod(&fa, 1, 0, 0, 100);
    fa.flow_mod.cookie = 0xa;
    match_in_port(&fa.flow_mod.match, 1);
    fa.flow_mod.instructions = (struct of_instruction_list) { &ia, 1 };

    struct of_instruction ib[3];
    ib[0] = apply(&a_out1, 1);
    memset(&ib[1], 0, sizeof ib[1]);
    ib[1].type = OFPIT_WRITE_METADATA;
    ib[1].write_metadata.metadata = 0x10;
    ib[1].write_metadata.metadata_mask = 0xff;
    memset(&ib[2], 0, sizeof ib[2]);
    ib[2].type = OFPIT_GOTO_TABLE;
    ib[2].goto_table.table_id = 1;
    build_flow_mod(&fb, 2, 0, 0, 200);
    fb.flow_mod.cookie = 0xb;
    fb.flow_mod.idle_timeout = 100;
    match_in_port(&fb.flow_mod.match, 2);
    match_eth_type(&fb.flow_mod.match, 0x0800);
    fb.flow_mod.instructions = (struct of_instruction_list) { ib, 3 };

    struct of_instruction ic = apply(&a_ctl, 1);
    build_flow_mod(&fc, 3, 0, 1, 10);
    fc.flow_mod.cookie = 0xc;
    fc.flow_mod.instructions = (struct of_instruction_list) { &ic, 1 };

    client_send(&cl, &fa);
    client_send(&cl, &fb);
    client_send(&cl, &fc);
    client_barrier(&cl);

    env.now_ms += 1500;
    struct of_msg req;
    struct mp_reply r;
    build_mp_request(&req, 20, OFPMP_FLOW);
    client_multipart(&cl, &req, &r);
    assert_int_equal(r.msg.multipart.flows.n, 3);
    assert_flow_is(find_flow(&r, 0xa), &fa);
    assert_flow_is(find_flow(&r, 0xb), &fb);
    assert_flow_is(find_flow(&r, 0xc), &fc);
    const struct of_flow_stats *fs = find_flow(&r, 0xb);
    assert_int_equal(fs->duration_sec, 1);
    assert_int_equal(fs->duration_nsec, 500000000);
    assert_int_equal(fs->idle_timeout, 100);
    assert_int_equal(fs->packet_count, 0);
    mp_reply_free(&r);

    /* Filters: one table; a cookie. */
    build_mp_request(&req, 21, OFPMP_FLOW);
    req.multipart.flow_request.table_id = 1;
    client_multipart(&cl, &req, &r);
    assert_int_equal(r.msg.multipart.flows.n, 1);
    assert_non_null(find_flow(&r, 0xc));
    mp_reply_free(&r);
    build_mp_request(&req, 22, OFPMP_FLOW);
    req.multipart.flow_request.cookie = 0xa;
    req.multipart.flow_request.cookie_mask = UINT64_MAX;
    client_multipart(&cl, &req, &r);
    assert_int_equal(r.msg.multipart.flows.n, 1);
    assert_non_null(find_flow(&r, 0xa));
    mp_reply_free(&r);

    /* Aggregate over everything. */
    build_mp_request(&req, 23, OFPMP_AGGREGATE);
    client_multipart(&cl, &req, &r);
    assert_int_equal(r.n_parts, 1);
    assert_int_equal(r.msg.multipart.aggregate.flow_count, 3);
    assert_int_equal(r.msg.multipart.aggregate.packet_count, 0);
    assert_int_equal(r.msg.multipart.aggregate.byte_count, 0);
    mp_reply_free(&r);

    /* MODIFY_STRICT replaces A's instructions, keeps its cookie. */
    struct of_msg fm;
    struct of_instruction im = apply(&a_out3, 1);
    build_flow_mod(&fm, 30, 2, 0, 100);
    match_in_port(&fm.flow_mod.match, 1);
    fm.flow_mod.cookie = 0xeeee;
    fm.flow_mod.instructions = (struct of_instruction_list) { &im, 1 };
    client_send(&cl, &fm);
    client_barrier(&cl);
    build_mp_request(&req, 31, OFPMP_FLOW);
    client_multipart(&cl, &req, &r);
    assert_int_equal(r.msg.multipart.flows.n, 3);
    fs = find_flow(&r, 0xa);
    assert_non_null(fs);
    assert_int_equal(fs->instructions.n, 1);
    assert_int_equal(fs->instructions.items[0].actions.items[0].output.port,
                     3);
    mp_reply_free(&r);

    /* DELETE_STRICT removes B only; DELETE of all tables the rest. */
    struct of_msg fd;
    build_flow_mod(&fd, 32, 4, 0, 200);
    match_in_port(&fd.flow_mod.match, 2);
    match_eth_type(&fd.flow_mod.match, 0x0800);
    client_send(&cl, &fd);
    client_barrier(&cl);
    build_mp_request(&req, 33, OFPMP_FLOW);
    client_multipart(&cl, &req, &r);
    assert_int_equal(r.msg.multipart.flows.n, 2);
    assert_null(find_flow(&r, 0xb));
    mp_reply_free(&r);
    build_flow_mod(&fd, 34, 3, OFPTT_ALL, 0);
    client_send(&cl, &fd);
    client_barrier(&cl);
    assert_int_equal(count_flows(), 0);
    stop();
}

/* Every error a FLOW_MOD can earn, each with its spec code; nothing of a
 * failed mod stays in the pipeline. */
static void
test_flow_mod_errors(void **state)
{
    (void) state;
    start();
    struct of_msg m;
    struct of_action out2 = output(2);
    struct of_instruction in1 = apply(&out2, 1);

    /* Table past the last. */
    build_flow_mod(&m, 1, 0, 16, 1);
    client_req_error(&cl, &m, OFPET_FLOW_MOD_FAILED, OFPFMFC_BAD_TABLE_ID);

    /* A buffered packet that does not exist (ADD), ignored by DELETE. */
    build_flow_mod(&m, 2, 0, 0, 1);
    m.flow_mod.buffer_id = 5;
    client_req_error(&cl, &m, OFPET_BAD_REQUEST, OFPBRC_BUFFER_UNKNOWN);
    build_flow_mod(&m, 3, 3, OFPTT_ALL, 0);
    m.flow_mod.buffer_id = 5;
    client_send(&cl, &m);
    client_barrier(&cl);

    /* An experimenter action. */
    struct of_action exp;
    memset(&exp, 0, sizeof exp);
    exp.type = OFPAT_EXPERIMENTER;
    exp.experimenter.experimenter = 0x00002320;
    struct of_instruction in_exp = apply(&exp, 1);
    build_flow_mod(&m, 4, 0, 0, 1);
    m.flow_mod.instructions = (struct of_instruction_list) { &in_exp, 1 };
    client_req_error(&cl, &m, OFPET_BAD_ACTION, OFPBAC_BAD_EXPERIMENTER);

    /* GOTO_TABLE backwards, and past the last table. */
    struct of_instruction go;
    memset(&go, 0, sizeof go);
    go.type = OFPIT_GOTO_TABLE;
    go.goto_table.table_id = 1;
    build_flow_mod(&m, 5, 0, 2, 1);
    m.flow_mod.instructions = (struct of_instruction_list) { &go, 1 };
    client_req_error(&cl, &m, OFPET_BAD_INSTRUCTION, OFPBIC_BAD_TABLE_ID);
    go.goto_table.table_id = 16;
    build_flow_mod(&m, 6, 0, 2, 1);
    m.flow_mod.instructions = (struct of_instruction_list) { &go, 1 };
    client_req_error(&cl, &m, OFPET_BAD_INSTRUCTION, OFPBIC_BAD_TABLE_ID);

    /* A meter that does not exist; meter 0. */
    struct of_instruction mi;
    memset(&mi, 0, sizeof mi);
    mi.type = OFPIT_METER;
    mi.meter.meter_id = 99;
    build_flow_mod(&m, 7, 0, 0, 1);
    m.flow_mod.instructions = (struct of_instruction_list) { &mi, 1 };
    client_req_error(&cl, &m, OFPET_METER_MOD_FAILED, 3 /* UNKNOWN_METER */);
    mi.meter.meter_id = 0;
    client_req_error(&cl, &m, OFPET_METER_MOD_FAILED, 2 /* INVALID_METER */);

    /* A group that does not exist. */
    struct of_action ga = group_act(77);
    struct of_instruction gi = apply(&ga, 1);
    build_flow_mod(&m, 8, 0, 0, 1);
    m.flow_mod.instructions = (struct of_instruction_list) { &gi, 1 };
    client_req_error(&cl, &m, OFPET_BAD_ACTION, OFPBAC_BAD_OUT_GROUP);

    /* SET_FIELD whose prerequisite the match does not guarantee. */
    struct of_action sf;
    memset(&sf, 0, sizeof sf);
    sf.type = OFPAT_SET_FIELD;
    sf.set_field = (struct of_set_field) { OFPXMT_OFB_IPV4_SRC, 4,
                                           { 10, 0, 0, 1 } };
    struct of_instruction si = apply(&sf, 1);
    build_flow_mod(&m, 9, 0, 0, 1);
    m.flow_mod.instructions = (struct of_instruction_list) { &si, 1 };
    client_req_error(&cl, &m, OFPET_BAD_ACTION, OFPBAC_MATCH_INCONSISTENT);

    /* OUTPUT:TABLE is for packet-outs only. */
    struct of_action ot = output(OFPP_TABLE);
    struct of_instruction oi = apply(&ot, 1);
    build_flow_mod(&m, 10, 0, 0, 1);
    m.flow_mod.instructions = (struct of_instruction_list) { &oi, 1 };
    client_req_error(&cl, &m, OFPET_BAD_ACTION, OFPBAC_BAD_OUT_PORT);

    /* An action set with two outputs. */
    struct of_action two[2] = { output(1), output(2) };
    struct of_instruction wi;
    memset(&wi, 0, sizeof wi);
    wi.type = OFPIT_WRITE_ACTIONS;
    wi.actions = (struct of_action_list) { two, 2 };
    build_flow_mod(&m, 11, 0, 0, 1);
    m.flow_mod.instructions = (struct of_instruction_list) { &wi, 1 };
    client_req_error(&cl, &m, OFPET_BAD_ACTION, OFPBAC_UNSUPPORTED_ORDER);

    /* Unknown flags. */
    build_flow_mod(&m, 12, 0, 0, 1);
    m.flow_mod.flags = 0x80;
    client_req_error(&cl, &m, OFPET_FLOW_MOD_FAILED, 7 /* BAD_FLAGS */);

    /* CHECK_OVERLAP against an overlapping entry of the same priority. */
    build_flow_mod(&m, 13, 0, 0, 50);
    match_in_port(&m.flow_mod.match, 1);
    m.flow_mod.instructions = (struct of_instruction_list) { &in1, 1 };
    client_send(&cl, &m);
    client_barrier(&cl);
    build_flow_mod(&m, 14, 0, 0, 50);
    match_eth_type(&m.flow_mod.match, 0x0800);
    m.flow_mod.flags = 0x2;             /* CHECK_OVERLAP */
    m.flow_mod.instructions = (struct of_instruction_list) { &in1, 1 };
    client_req_error(&cl, &m, OFPET_FLOW_MOD_FAILED, 3 /* OVERLAP */);

    /* A flow-stats request for a table that does not exist. */
    struct of_msg req;
    build_mp_request(&req, 15, OFPMP_FLOW);
    req.multipart.flow_request.table_id = 20;
    client_req_error(&cl, &req, OFPET_BAD_REQUEST, OFPBRC_BAD_TABLE_ID);

    /* Only the one good flow is in. */
    assert_int_equal(count_flows(), 1);
    stop();
}

/* ---- groups --------------------------------------------------------------------- */

static void
send_group_mod(uint32_t xid, uint16_t command, uint8_t type, uint32_t id,
               struct of_bucket *buckets, uint32_t n)
{
    struct of_msg m;
    of_msg_init(&m, OFPT_GROUP_MOD, xid);
    m.group_mod.command = command;
    m.group_mod.type = type;
    m.group_mod.group_id = id;
    m.group_mod.buckets = (struct of_bucket_list) { buckets, n };
    client_send(&cl, &m);
}

static void
test_groups(void **state)
{
    (void) state;
    start();
    struct of_action outs[4] = { output(1), output(2), output(3), output(2) };
    struct of_bucket all[2] = {
        { 0, OFPP_ANY, OFPG_ANY, { &outs[0], 1 } },
        { 0, OFPP_ANY, OFPG_ANY, { &outs[1], 1 } },
    };
    struct of_bucket sel[2] = {
        { 1, OFPP_ANY, OFPG_ANY, { &outs[0], 1 } },
        { 3, OFPP_ANY, OFPG_ANY, { &outs[1], 1 } },
    };
    struct of_bucket ind[1] = { { 0, OFPP_ANY, OFPG_ANY, { &outs[2], 1 } } };
    struct of_bucket ff[2] = {
        { 0, 1, OFPG_ANY, { &outs[0], 1 } },
        { 0, 2, OFPG_ANY, { &outs[3], 1 } },
    };
    send_group_mod(1, 0, 0, 1, all, 2);
    send_group_mod(2, 0, 1, 2, sel, 2);
    send_group_mod(3, 0, 2, 3, ind, 1);
    send_group_mod(4, 0, 3, 4, ff, 2);
    client_barrier(&cl);

    /* GROUP_DESC gives back exactly what was sent, by id. */
    struct of_msg req, expect;
    struct mp_reply r;
    of_msg_init(&req, OFPT_MULTIPART_REQUEST, 10);
    req.multipart.type = OFPMP_GROUP_DESC;
    client_multipart(&cl, &req, &r);
    struct of_group_desc descs[4] = {
        { 0, 1, { all, 2 } }, { 1, 2, { sel, 2 } },
        { 2, 3, { ind, 1 } }, { 3, 4, { ff, 2 } },
    };
    of_msg_init(&expect, OFPT_MULTIPART_REPLY, 10);
    expect.multipart.type = OFPMP_GROUP_DESC;
    expect.multipart.group_descs = (struct of_group_desc_list) { descs, 4 };
    assert_msg_equal(&expect, &r.msg);
    mp_reply_free(&r);

    /* A flow forwarding to group 1 (reported in its stats), sent flow
     * removal when the group goes. */
    struct of_action g1 = group_act(1);
    struct of_instruction gi = apply(&g1, 1);
    struct of_msg fm;
    build_flow_mod(&fm, 11, 0, 0, 5);
    fm.flow_mod.cookie = 0x61;
    fm.flow_mod.flags = 0x1;            /* SEND_FLOW_REM */
    fm.flow_mod.instructions = (struct of_instruction_list) { &gi, 1 };
    client_send(&cl, &fm);
    client_barrier(&cl);

    env.now_ms += 2000;
    build_mp_request(&req, 12, OFPMP_GROUP);
    req.multipart.id_request.id = 1;
    client_multipart(&cl, &req, &r);
    assert_int_equal(r.msg.multipart.group_stats.n, 1);
    const struct of_group_stats *gs = &r.msg.multipart.group_stats.items[0];
    assert_int_equal(gs->group_id, 1);
    assert_int_equal(gs->ref_count, 1);
    assert_int_equal(gs->bucket_stats.n, 2);
    assert_int_equal(gs->duration_sec, 2);
    mp_reply_free(&r);
    build_mp_request(&req, 13, OFPMP_GROUP);
    client_multipart(&cl, &req, &r);
    assert_int_equal(r.msg.multipart.group_stats.n, 4);
    for (uint32_t i = 0; i < 4; i++) {
        assert_int_equal(r.msg.multipart.group_stats.items[i].group_id, i + 1);
    }
    mp_reply_free(&r);
    build_mp_request(&req, 14, OFPMP_GROUP);
    req.multipart.id_request.id = 9;
    client_multipart(&cl, &req, &r);
    assert_int_equal(r.msg.multipart.group_stats.n, 0);
    mp_reply_free(&r);

    /* GROUP_FEATURES is the group table's. */
    struct ft_group_features gf;
    struct of_group_features ogf;
    ft_group_get_features(ft_pipeline_groups(env.pl), &gf);
    of_ft_group_features_from_ft(&gf, &ogf);
    of_msg_init(&req, OFPT_MULTIPART_REQUEST, 15);
    req.multipart.type = OFPMP_GROUP_FEATURES;
    client_multipart(&cl, &req, &r);
    assert_memory_equal(&r.msg.multipart.group_features, &ogf, sizeof ogf);
    assert_true(ogf.types != 0);
    mp_reply_free(&r);

    /* Errors. */
    send_group_mod(16, 0, 0, 1, all, 2);
    client_expect_error(&cl, 16, OFPET_GROUP_MOD_FAILED, 0 /* EXISTS */);
    send_group_mod(17, 1, 0, 9, all, 2);
    client_expect_error(&cl, 17, OFPET_GROUP_MOD_FAILED, 8 /* UNKNOWN */);
    struct of_action to1 = group_act(1), to5 = group_act(5);
    struct of_bucket chain1[1] = { { 0, OFPP_ANY, OFPG_ANY, { &to1, 1 } } };
    struct of_bucket chain5[1] = { { 0, OFPP_ANY, OFPG_ANY, { &to5, 1 } } };
    send_group_mod(18, 0, 2, 5, chain1, 1);     /* 5 -> 1 */
    client_barrier(&cl);
    send_group_mod(19, 1, 2, 1, chain5, 1);     /* 1 -> 5 -> 1 */
    client_expect_error(&cl, 19, OFPET_GROUP_MOD_FAILED, 7 /* LOOP */);
    send_group_mod(20, 2, 0, 1, NULL, 0);       /* 5 still chains to 1 */
    client_expect_error(&cl, 20, OFPET_GROUP_MOD_FAILED, 9 /* CHAINED */);

    /* Deleting group 1 (after 5) removes the flow that uses it. */
    send_group_mod(21, 2, 0, 5, NULL, 0);
    send_group_mod(22, 2, 0, 1, NULL, 0);
    struct of_msg *fr = client_recv(&cl);
    assert_int_equal(fr->type, OFPT_FLOW_REMOVED);
    assert_int_equal(fr->flow_removed.reason, OFPRR_GROUP_DELETE);
    assert_int_equal(fr->flow_removed.cookie, 0x61);
    rx_free(fr);
    client_barrier(&cl);
    assert_int_equal(count_flows(), 0);
    assert_int_equal(ft_group_count(ft_pipeline_groups(env.pl)), 3);
    stop();
}

/* ---- meters ------------------------------------------------------------------------ */

static void
send_meter_mod(uint32_t xid, uint16_t command, uint16_t flags, uint32_t id,
               struct of_meter_band *bands, uint32_t n)
{
    struct of_msg m;
    of_msg_init(&m, OFPT_METER_MOD, xid);
    m.meter_mod.command = command;
    m.meter_mod.flags = flags;
    m.meter_mod.meter_id = id;
    m.meter_mod.bands = (struct of_meter_band_list) { bands, n };
    client_send(&cl, &m);
}

static void
test_meters(void **state)
{
    (void) state;
    start();
    struct of_meter_band drop = { OFPMBT_DROP, 1000, 0, 0, 0 };
    struct of_meter_band remark = { OFPMBT_DSCP_REMARK, 100, 10, 1, 0 };
    send_meter_mod(1, 0, 0x1 | 0x8, 1, &drop, 1);      /* KBPS | STATS */
    send_meter_mod(2, 0, 0x2 | 0x4, 2, &remark, 1);    /* PKTPS | BURST */
    client_barrier(&cl);

    struct of_msg req, expect;
    struct mp_reply r;
    build_mp_request(&req, 10, OFPMP_METER_CONFIG);
    client_multipart(&cl, &req, &r);
    struct of_meter_config mc[2] = { { 0x9, 1, { &drop, 1 } },
                                     { 0x6, 2, { &remark, 1 } } };
    of_msg_init(&expect, OFPT_MULTIPART_REPLY, 10);
    expect.multipart.type = OFPMP_METER_CONFIG;
    expect.multipart.meter_configs = (struct of_meter_config_list) { mc, 2 };
    assert_msg_equal(&expect, &r.msg);
    mp_reply_free(&r);

    /* A flow through meter 1 shows in its stats. */
    struct of_instruction mi;
    memset(&mi, 0, sizeof mi);
    mi.type = OFPIT_METER;
    mi.meter.meter_id = 1;
    struct of_msg fm;
    build_flow_mod(&fm, 11, 0, 0, 5);
    fm.flow_mod.flags = 0x1;
    fm.flow_mod.cookie = 0x71;
    fm.flow_mod.instructions = (struct of_instruction_list) { &mi, 1 };
    client_send(&cl, &fm);
    client_barrier(&cl);
    env.now_ms += 3000;
    build_mp_request(&req, 12, OFPMP_METER);
    req.multipart.id_request.id = 1;
    client_multipart(&cl, &req, &r);
    assert_int_equal(r.msg.multipart.meter_stats.n, 1);
    assert_int_equal(r.msg.multipart.meter_stats.items[0].duration_sec, 3);
    assert_int_equal(r.msg.multipart.meter_stats.items[0].meter_id, 1);
    assert_int_equal(r.msg.multipart.meter_stats.items[0].flow_count, 1);
    assert_int_equal(r.msg.multipart.meter_stats.items[0].band_stats.n, 1);
    mp_reply_free(&r);
    build_mp_request(&req, 13, OFPMP_METER);
    client_multipart(&cl, &req, &r);
    assert_int_equal(r.msg.multipart.meter_stats.n, 2);
    mp_reply_free(&r);
    build_mp_request(&req, 14, OFPMP_METER);
    req.multipart.id_request.id = 99;
    client_req_error(&cl, &req, OFPET_METER_MOD_FAILED, 3 /* UNKNOWN */);

    /* METER_FEATURES is the meter table's. */
    struct ft_meter_features mf;
    struct of_meter_features omf;
    ft_meter_get_features(ft_pipeline_meters(env.pl), &mf);
    of_ft_meter_features_from_ft(&mf, &omf);
    of_msg_init(&req, OFPT_MULTIPART_REQUEST, 15);
    req.multipart.type = OFPMP_METER_FEATURES;
    client_multipart(&cl, &req, &r);
    assert_memory_equal(&r.msg.multipart.meter_features, &omf, sizeof omf);
    assert_true(omf.max_meter > 0);
    mp_reply_free(&r);

    /* Errors. */
    send_meter_mod(16, 0, 0x1, 1, &drop, 1);
    client_expect_error(&cl, 16, OFPET_METER_MOD_FAILED, 1 /* EXISTS */);
    struct of_meter_band exp = { OFPMBT_EXPERIMENTER, 10, 0, 0, 0x2320 };
    send_meter_mod(17, 0, 0x1, 3, &exp, 1);
    client_expect_error(&cl, 17, OFPET_METER_MOD_FAILED, OFPMMFC_BAD_BAND);
    send_meter_mod(18, 1, 0x1, 50, &drop, 1);
    client_expect_error(&cl, 18, OFPET_METER_MOD_FAILED, 3 /* UNKNOWN */);
    send_meter_mod(19, 0, 0x1, 0, &drop, 1);
    client_expect_error(&cl, 19, OFPET_METER_MOD_FAILED, 2 /* INVALID */);

    /* Deleting meter 1 removes its flow. */
    send_meter_mod(20, 2, 0, 1, NULL, 0);
    struct of_msg *fr = client_recv(&cl);
    assert_int_equal(fr->type, OFPT_FLOW_REMOVED);
    assert_int_equal(fr->flow_removed.reason, OFPRR_DELETE);
    assert_int_equal(fr->flow_removed.cookie, 0x71);
    rx_free(fr);
    client_barrier(&cl);
    assert_int_equal(count_flows(), 0);
    stop();
}

/* ---- ports ------------------------------------------------------------------------- */

static void
test_ports(void **state)
{
    (void) state;
    start();
    struct of_msg req, expect, m;
    struct mp_reply r;

    of_msg_init(&req, OFPT_MULTIPART_REQUEST, 10);
    req.multipart.type = OFPMP_PORT_DESC;
    client_multipart(&cl, &req, &r);
    of_msg_init(&expect, OFPT_MULTIPART_REPLY, 10);
    expect.multipart.type = OFPMP_PORT_DESC;
    expect.multipart.ports = (struct of_port_list) { env.dp.ports, 3 };
    assert_msg_equal(&expect, &r.msg);
    mp_reply_free(&r);

    build_mp_request(&req, 11, OFPMP_PORT_STATS);
    client_multipart(&cl, &req, &r);
    of_msg_init(&expect, OFPT_MULTIPART_REPLY, 11);
    expect.multipart.type = OFPMP_PORT_STATS;
    expect.multipart.port_stats = (struct of_port_stats_list) {
        env.dp.stats, 3 };
    assert_msg_equal(&expect, &r.msg);
    mp_reply_free(&r);
    build_mp_request(&req, 12, OFPMP_PORT_STATS);
    req.multipart.port_queue.port_no = 2;
    client_multipart(&cl, &req, &r);
    assert_int_equal(r.msg.multipart.port_stats.n, 1);
    assert_int_equal(r.msg.multipart.port_stats.items[0].rx_packets, 1002);
    assert_int_equal(r.msg.multipart.port_stats.items[0].rx_crc_err,
                     UINT64_MAX);
    mp_reply_free(&r);
    build_mp_request(&req, 13, OFPMP_PORT_STATS);
    req.multipart.port_queue.port_no = 9;
    client_multipart(&cl, &req, &r);
    assert_int_equal(r.msg.multipart.port_stats.n, 0);
    mp_reply_free(&r);

    /* PORT_MOD: NO_FWD on port 1 reaches the datapath and is reported to
     * the other controller, not to the one that asked. */
    client_connect(&cl2);
    of_msg_init(&m, OFPT_PORT_MOD, 14);
    m.port_mod.port_no = 1;
    memcpy(m.port_mod.hw_addr, env.dp.ports[0].hw_addr, 6);
    m.port_mod.config = FT_OFPPC_NO_FWD;
    m.port_mod.mask = FT_OFPPC_NO_FWD;
    client_send(&cl, &m);
    client_barrier(&cl);
    struct of_msg *ps = client_recv(&cl2);
    assert_int_equal(ps->type, OFPT_PORT_STATUS);
    assert_int_equal(ps->port_status.reason, OFPPR_MODIFY);
    assert_int_equal(ps->port_status.desc.port_no, 1);
    assert_int_equal(ps->port_status.desc.config, FT_OFPPC_NO_FWD);
    rx_free(ps);
    assert_int_equal(env.dp.n_port_mods, 1);
    assert_int_equal(env.dp.mod_port, 1);
    assert_int_equal(env.dp.mod_mask, FT_OFPPC_NO_FWD);
    assert_int_equal(env.dp.mod_config, FT_OFPPC_NO_FWD);
    /* The same again changes nothing: no datapath call, no status. */
    client_send(&cl, &m);
    client_barrier(&cl);
    client_barrier(&cl2);
    assert_int_equal(env.dp.n_port_mods, 1);
    /* Config bits outside the mask are not applied. */
    m.port_mod.config = FT_OFPPC_NO_FWD | FT_OFPPC_NO_PACKET_IN;
    m.port_mod.mask = FT_OFPPC_NO_RECV;
    client_send(&cl, &m);
    client_barrier(&cl);
    assert_int_equal(env.dp.n_port_mods, 1);
    assert_int_equal(env.dp.ports[0].config, FT_OFPPC_NO_FWD);

    /* Errors: unknown port, another port's address, a config bit 1.3
     * does not define, an advertisement we cannot make. */
    m.port_mod.mask = FT_OFPPC_PORT_DOWN;
    m.port_mod.config = FT_OFPPC_PORT_DOWN;
    m.port_mod.port_no = 9;
    client_req_error(&cl, &m, OFPET_PORT_MOD_FAILED, 0 /* BAD_PORT */);
    m.port_mod.port_no = 2;
    client_req_error(&cl, &m, OFPET_PORT_MOD_FAILED, 1 /* BAD_HW_ADDR */);
    m.port_mod.port_no = 1;
    m.port_mod.mask = 0x2;              /* OFPPC_NO_STP: gone in 1.3 */
    client_req_error(&cl, &m, OFPET_PORT_MOD_FAILED, 2 /* BAD_CONFIG */);
    m.port_mod.mask = FT_OFPPC_PORT_DOWN;
    m.port_mod.advertise = 0x20;
    client_req_error(&cl, &m, OFPET_PORT_MOD_FAILED, 3 /* BAD_ADVERTISE */);
    assert_int_equal(env.dp.n_port_mods, 1);

    /* A change the datapath reports itself goes to everyone. */
    struct of_port p4 = env.dp.ports[1];
    p4.port_no = 4;
    snprintf(p4.name, sizeof p4.name, "p4");
    ofswitch_port_changed(env.sw, OFPPR_ADD, &p4);
    struct client *both[2] = { &cl, &cl2 };
    for (int i = 0; i < 2; i++) {
        ps = client_recv(both[i]);
        assert_int_equal(ps->type, OFPT_PORT_STATUS);
        assert_int_equal(ps->port_status.reason, OFPPR_ADD);
        assert_memory_equal(&ps->port_status.desc, &p4, sizeof p4);
        rx_free(ps);
    }
    client_close(&cl2);
    stop();
}

/* Without port counters in the datapath, PORT_STATS is neither claimed
 * nor answered. */
static void
test_no_port_stats(void **state)
{
    (void) state;
    env.dp.no_port_stats = true;
    start();
    env.dp.no_port_stats = false;
    struct of_msg m, *r;
    of_msg_init(&m, OFPT_FEATURES_REQUEST, 1);
    client_send(&cl, &m);
    r = client_recv(&cl);
    assert_int_equal(r->features.capabilities, 0xb);
    rx_free(r);
    build_mp_request(&m, 2, OFPMP_PORT_STATS);
    client_req_error(&cl, &m, OFPET_BAD_REQUEST, OFPBRC_BAD_MULTIPART);
    stop();
}

/* ---- TABLE_MOD, queues -------------------------------------------------------------- */

static void
test_table_mod_and_queues(void **state)
{
    (void) state;
    start();
    struct of_msg m, *r;
    struct mp_reply mp;

    of_msg_init(&m, OFPT_TABLE_MOD, 1);
    m.table_mod.table_id = 16;
    client_req_error(&cl, &m, OFPET_TABLE_MOD_FAILED, 0 /* BAD_TABLE */);
    m.table_mod.table_id = 3;
    m.table_mod.config = 4;
    client_req_error(&cl, &m, OFPET_TABLE_MOD_FAILED, 1 /* BAD_CONFIG */);
    m.table_mod.config = 3;             /* OFPTC_DEPRECATED_MASK */
    client_send(&cl, &m);
    m.table_mod.table_id = OFPTT_ALL;
    m.table_mod.config = 0;
    client_send(&cl, &m);
    client_barrier(&cl);

    /* No queues anywhere. */
    build_mp_request(&m, 2, OFPMP_QUEUE);
    client_multipart(&cl, &m, &mp);
    assert_int_equal(mp.msg.multipart.queue_stats.n, 0);
    mp_reply_free(&mp);
    build_mp_request(&m, 3, OFPMP_QUEUE);
    m.multipart.port_queue.port_no = 1;
    client_multipart(&cl, &m, &mp);
    assert_int_equal(mp.msg.multipart.queue_stats.n, 0);
    mp_reply_free(&mp);
    m.multipart.port_queue.queue_id = 5;
    client_req_error(&cl, &m, OFPET_QUEUE_OP_FAILED, 1 /* BAD_QUEUE */);
    m.multipart.port_queue.port_no = 9;
    m.multipart.port_queue.queue_id = 0xffffffffu;
    client_req_error(&cl, &m, OFPET_QUEUE_OP_FAILED, 0 /* BAD_PORT */);

    of_msg_init(&m, OFPT_QUEUE_GET_CONFIG_REQUEST, 4);
    m.queue_get_config_request.port = 2;
    client_send(&cl, &m);
    r = client_recv(&cl);
    assert_int_equal(r->type, OFPT_QUEUE_GET_CONFIG_REPLY);
    assert_int_equal(r->xid, 4);
    assert_int_equal(r->queue_get_config_reply.port, 2);
    assert_int_equal(r->queue_get_config_reply.queues.n, 0);
    rx_free(r);
    m.queue_get_config_request.port = 9;
    client_req_error(&cl, &m, OFPET_QUEUE_OP_FAILED, 0 /* BAD_PORT */);
    stop();
}

/* ---- PACKET_OUT -------------------------------------------------------------------- */

/* A 60-byte Ethernet/IPv4/UDP frame. */
static size_t
build_packet(uint8_t *p)
{
    static const uint8_t hdr[] = {
        0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00,
        0x45, 0, 0, 46, 0, 0, 0, 0, 64, 17, 0, 0,
        10, 0, 0, 1, 10, 0, 0, 2,
        0x30, 0x39, 0x00, 0x35, 0, 26, 0, 0,
    };
    memset(p, 0xab, 60);
    memcpy(p, hdr, sizeof hdr);
    return 60;
}

static void
send_packet_out(uint32_t xid, uint32_t in_port, struct of_action *acts,
                uint32_t n, const uint8_t *pkt, size_t len)
{
    struct of_msg m;
    of_msg_init(&m, OFPT_PACKET_OUT, xid);
    m.packet_out.buffer_id = OFP_NO_BUFFER;
    m.packet_out.in_port = in_port;
    m.packet_out.actions = (struct of_action_list) { acts, n };
    m.packet_out.data = (struct of_blob) { pkt, (uint32_t) len };
    client_send(&cl, &m);
}

static void
test_packet_out(void **state)
{
    (void) state;
    start();
    uint8_t pkt[64];
    size_t len = build_packet(pkt);

    /* Table 0: in_port=1 -> output:2. */
    struct of_action out2 = output(2);
    struct of_instruction in = apply(&out2, 1);
    struct of_msg fm;
    build_flow_mod(&fm, 1, 0, 0, 10);
    fm.flow_mod.cookie = 0x99;
    match_in_port(&fm.flow_mod.match, 1);
    fm.flow_mod.instructions = (struct of_instruction_list) { &in, 1 };
    client_send(&cl, &fm);
    client_barrier(&cl);

    /* OUTPUT:TABLE runs the packet through that flow. */
    struct of_action table = output(OFPP_TABLE);
    send_packet_out(2, 1, &table, 1, pkt, len);
    client_barrier(&cl);
    assert_int_equal(env.dp.n_packet_outs, 1);
    assert_int_equal(env.dp.po_in_port, 1);
    assert_int_equal(env.dp.po_len, len);
    assert_memory_equal(env.dp.po_data, pkt, len);
    assert_int_equal(env.dp.po_n_acts, 1);
    assert_int_equal(env.dp.po_acts[0].type, FT_DPACT_OUTPUT);
    assert_int_equal(env.dp.po_acts[0].output.dp_port, 2 + FAKE_DP_PORT_BASE);
    /* ... and the flow counts it. */
    struct of_msg req;
    struct mp_reply r;
    build_mp_request(&req, 3, OFPMP_FLOW);
    client_multipart(&cl, &req, &r);
    assert_int_equal(r.msg.multipart.flows.n, 1);
    assert_int_equal(r.msg.multipart.flows.items[0].packet_count, 1);
    assert_int_equal(r.msg.multipart.flows.items[0].byte_count, len);
    mp_reply_free(&r);
    /* The aggregate sums what is counted: an entry that counts nothing
     * (NO_PKT_COUNTS | NO_BYT_COUNTS reads all-ones) adds nothing. */
    build_flow_mod(&fm, 8, 0, 1, 10);
    fm.flow_mod.flags = 0x18;
    client_send(&cl, &fm);
    client_barrier(&cl);
    build_mp_request(&req, 9, OFPMP_AGGREGATE);
    client_multipart(&cl, &req, &r);
    assert_int_equal(r.msg.multipart.aggregate.flow_count, 2);
    assert_int_equal(r.msg.multipart.aggregate.packet_count, 1);
    assert_int_equal(r.msg.multipart.aggregate.byte_count, len);
    mp_reply_free(&r);

    /* Actions of its own, from the controller: a set-field, an output. */
    struct of_action acts[2];
    memset(acts, 0, sizeof acts);
    acts[0].type = OFPAT_SET_FIELD;
    acts[0].set_field = (struct of_set_field) {
        OFPXMT_OFB_ETH_DST, 6, { 0x02, 0, 0, 0, 0, 0x33 } };
    acts[1] = output(1);
    send_packet_out(4, OFPP_CONTROLLER, acts, 2, pkt, len);
    client_barrier(&cl);
    assert_int_equal(env.dp.n_packet_outs, 2);
    assert_int_equal(env.dp.po_in_port, OFPP_CONTROLLER);
    assert_true(env.dp.po_n_acts >= 2);
    bool set_seen = false;
    for (unsigned int i = 0; i + 1 < env.dp.po_n_acts; i++) {
        set_seen |= env.dp.po_acts[i].type == FT_DPACT_SET_MASKED;
    }
    assert_true(set_seen);
    const struct ft_dpact *last = &env.dp.po_acts[env.dp.po_n_acts - 1];
    assert_int_equal(last->type, FT_DPACT_OUTPUT);
    assert_int_equal(last->output.dp_port, 1 + FAKE_DP_PORT_BASE);

    /* Through a group. */
    struct of_action out3 = output(3);
    struct of_bucket b = { 0, OFPP_ANY, OFPG_ANY, { &out3, 1 } };
    struct of_msg gm;
    of_msg_init(&gm, OFPT_GROUP_MOD, 5);
    gm.group_mod.type = 2;              /* INDIRECT */
    gm.group_mod.group_id = 8;
    gm.group_mod.buckets = (struct of_bucket_list) { &b, 1 };
    client_send(&cl, &gm);
    struct of_action g8 = group_act(8);
    send_packet_out(6, OFPP_LOCAL, &g8, 1, pkt, len);
    client_barrier(&cl);
    assert_int_equal(env.dp.n_packet_outs, 3);
    assert_int_equal(env.dp.po_n_acts, 1);
    assert_int_equal(env.dp.po_acts[0].type, FT_DPACT_OUTPUT);
    assert_int_equal(env.dp.po_acts[0].output.dp_port, 3 + FAKE_DP_PORT_BASE);

    /* Errors. */
    struct of_msg m;
    of_msg_init(&m, OFPT_PACKET_OUT, 7);
    m.packet_out.buffer_id = 3;
    m.packet_out.in_port = 1;
    m.packet_out.actions = (struct of_action_list) { &out2, 1 };
    client_req_error(&cl, &m, OFPET_BAD_REQUEST, OFPBRC_BUFFER_UNKNOWN);
    m.packet_out.buffer_id = OFP_NO_BUFFER;
    m.packet_out.data = (struct of_blob) { pkt, (uint32_t) len };
    m.packet_out.in_port = 0;
    client_req_error(&cl, &m, OFPET_BAD_REQUEST, OFPBRC_BAD_PORT);
    m.packet_out.in_port = 0xffffff50u;     /* reserved range */
    client_req_error(&cl, &m, OFPET_BAD_REQUEST, OFPBRC_BAD_PORT);
    m.packet_out.in_port = 1;
    m.packet_out.data.len = 10;
    client_req_error(&cl, &m, OFPET_BAD_REQUEST, OFPBRC_BAD_PACKET);
    m.packet_out.data.len = (uint32_t) len;
    struct of_action g9 = group_act(9);
    m.packet_out.actions = (struct of_action_list) { &g9, 1 };
    client_req_error(&cl, &m, OFPET_BAD_ACTION, OFPBAC_BAD_OUT_GROUP);
    assert_int_equal(env.dp.n_packet_outs, 3);
    stop();
}

/* ---- other multipart replies ----------------------------------------------------- */

static void
test_desc_table_stats(void **state)
{
    (void) state;
    start();
    struct of_msg req;
    struct mp_reply r;
    struct of_desc desc;
    memset(&desc, 0, sizeof desc);
    snprintf(desc.mfr_desc, sizeof desc.mfr_desc, "maker");
    snprintf(desc.dp_desc, sizeof desc.dp_desc, "br0");
    ofswitch_set_desc(env.sw, &desc);
    of_msg_init(&req, OFPT_MULTIPART_REQUEST, 1);
    req.multipart.type = OFPMP_DESC;
    client_multipart(&cl, &req, &r);
    assert_memory_equal(&r.msg.multipart.desc, &desc, sizeof desc);
    mp_reply_free(&r);

    struct of_action out2 = output(2);
    struct of_instruction in = apply(&out2, 1);
    struct of_msg fm;
    for (uint16_t i = 0; i < 2; i++) {
        build_flow_mod(&fm, 2, 0, 5, (uint16_t) (10 + i));
        fm.flow_mod.instructions = (struct of_instruction_list) { &in, 1 };
        client_send(&cl, &fm);
    }
    client_barrier(&cl);
    of_msg_init(&req, OFPT_MULTIPART_REQUEST, 3);
    req.multipart.type = OFPMP_TABLE;
    client_multipart(&cl, &req, &r);
    assert_int_equal(r.msg.multipart.tables.n, 16);
    for (uint32_t i = 0; i < 16; i++) {
        const struct of_table_stats *ts = &r.msg.multipart.tables.items[i];
        assert_int_equal(ts->table_id, i);
        assert_int_equal(ts->active_count, i == 5 ? 2 : 0);
    }
    mp_reply_free(&r);

    of_msg_init(&req, OFPT_MULTIPART_REQUEST, 4);
    req.multipart.type = OFPMP_EXPERIMENTER;
    req.multipart.experimenter.experimenter = 0x2320;
    client_req_error(&cl, &req, OFPET_BAD_REQUEST, OFPBRC_BAD_EXPERIMENTER);
    stop();
}

static const struct of_table_feature_prop *
tf_prop(const struct of_table_features *tf, uint16_t type)
{
    for (uint32_t i = 0; i < tf->properties.n; i++) {
        if (tf->properties.items[i].type == type) {
            return &tf->properties.items[i];
        }
    }
    fail_msg("table %u has no property %u", tf->table_id, type);
    return NULL;
}

static bool
has_u32(const struct of_u32_list *l, uint32_t v)
{
    for (uint32_t i = 0; i < l->n; i++) {
        if (l->items[i] == v) {
            return true;
        }
    }
    return false;
}

static void
test_table_features(void **state)
{
    (void) state;
    start();
    ofswitch_set_max_flows(env.sw, 5000);
    struct of_msg req;
    struct mp_reply r;
    of_msg_init(&req, OFPT_MULTIPART_REQUEST, 1);
    req.multipart.type = OFPMP_TABLE_FEATURES;
    client_multipart(&cl, &req, &r);
    assert_int_equal(r.msg.multipart.table_features.n, 16);
    for (uint32_t t = 0; t < 16; t++) {
        const struct of_table_features *tf =
            &r.msg.multipart.table_features.items[t];
        char name[32];
        snprintf(name, sizeof name, "table%u", t);
        assert_int_equal(tf->table_id, t);
        assert_string_equal(tf->name, name);
        assert_int_equal(tf->max_entries, 5000);
        assert_int_equal(tf->metadata_write, UINT64_MAX);
        assert_int_equal(tf->properties.n, 14);
        uint16_t seen = 0;
        for (uint32_t i = 0; i < tf->properties.n; i++) {
            seen |= (uint16_t) (1u << tf->properties.items[i].type);
        }
        assert_int_equal(seen, 0xf5ff);     /* 0..15 but 9 and 11 */

        /* Next tables: every later one; GOTO_TABLE only if there is one. */
        const struct of_table_feature_prop *p = tf_prop(tf,
                                                        OFPTFPT_NEXT_TABLES);
        assert_int_equal(p->tables.n, 15 - t);
        for (uint32_t i = 0; i < p->tables.n; i++) {
            assert_int_equal(p->tables.items[i], t + 1 + i);
        }
        p = tf_prop(tf, OFPTFPT_INSTRUCTIONS);
        bool has_goto = false;
        for (uint32_t i = 0; i < p->ids.n; i++) {
            has_goto |= p->ids.items[i].type == OFPIT_GOTO_TABLE;
        }
        assert_int_equal(p->ids.n, t == 15 ? 5 : 6);
        assert_int_equal(has_goto, t != 15);
        p = tf_prop(tf, OFPTFPT_APPLY_ACTIONS_MISS);
        assert_int_equal(p->ids.n, 16);

        /* in_port exact; ipv4_src maskable (HM, doubled length). */
        p = tf_prop(tf, OFPTFPT_MATCH);
        assert_true(has_u32(&p->oxm_ids, 0x80000004u));
        assert_true(has_u32(&p->oxm_ids, 0x80001708u));
        assert_int_equal(p->oxm_ids.n, OF_OXM_N_FIELDS);
        p = tf_prop(tf, OFPTFPT_WILDCARDS);
        assert_true(has_u32(&p->oxm_ids, 0x80001604u));
        p = tf_prop(tf, OFPTFPT_APPLY_SETFIELD);
        assert_false(has_u32(&p->oxm_ids, 0x80000004u));   /* in_port */
        assert_true(has_u32(&p->oxm_ids, 0x80000606u));    /* eth_dst */
    }
    mp_reply_free(&r);

    /* With a body: a request to change the tables, refused. */
    struct of_table_features tf;
    memset(&tf, 0, sizeof tf);
    tf.table_id = 0;
    snprintf(tf.name, sizeof tf.name, "mine");
    req.xid = 2;
    req.multipart.table_features = (struct of_table_features_list) { &tf, 1 };
    client_req_error(&cl, &req, OFPET_TABLE_FEATURES_FAILED, 5 /* EPERM */);
    stop();
}

/* A reply bigger than one message comes in MORE-flagged parts that
 * together list every flow. */
static void
test_split_reply(void **state)
{
    (void) state;
    start();
    struct of_action out2 = output(2);
    struct of_instruction in = apply(&out2, 1);
    struct of_msg fm;
    enum { N = 1500 };
    for (uint32_t i = 0; i < N; i++) {
        build_flow_mod(&fm, i, 0, 0, 100);
        fm.flow_mod.cookie = i;
        match_in_port(&fm.flow_mod.match, 1);
        uint8_t v[4] = { 10, 0, (uint8_t) (i >> 8), (uint8_t) i };
        match_eth_type(&fm.flow_mod.match, 0x0800);
        assert_int_equal(of_match_add(&fm.flow_mod.match,
                                      OFPXMT_OFB_IPV4_DST, v, NULL, NULL), 0);
        fm.flow_mod.instructions = (struct of_instruction_list) { &in, 1 };
        client_send(&cl, &fm);
    }
    client_barrier(&cl);
    struct of_msg req;
    struct mp_reply r;
    build_mp_request(&req, 7, OFPMP_FLOW);
    client_multipart(&cl, &req, &r);
    assert_true(r.n_parts >= 2);
    assert_int_equal(r.msg.multipart.flows.n, N);
    static bool seen[N];
    memset(seen, 0, sizeof seen);
    for (uint32_t i = 0; i < N; i++) {
        uint64_t c = r.msg.multipart.flows.items[i].cookie;
        assert_true(c < N && !seen[c]);
        seen[c] = true;
    }
    mp_reply_free(&r);
    stop();
}

int
main(int argc, char *argv[])
{
    if (argc > 1) {
        cmocka_set_test_filter(argv[1]);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_features_and_config),
        cmocka_unit_test(test_flow_mod_and_stats),
        cmocka_unit_test(test_flow_mod_errors),
        cmocka_unit_test(test_groups),
        cmocka_unit_test(test_meters),
        cmocka_unit_test(test_ports),
        cmocka_unit_test(test_no_port_stats),
        cmocka_unit_test(test_table_mod_and_queues),
        cmocka_unit_test(test_packet_out),
        cmocka_unit_test(test_desc_table_stats),
        cmocka_unit_test(test_table_features),
        cmocka_unit_test(test_split_reply),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
