/*
 * test_ofswitch_async.c — the switch front's state that outlives one
 * request and its asynchronous messages, over loopback against a real
 * pipeline and a fake datapath (ofs_harness.h): bundles (commit, discard,
 * a failing message aborting all, every EXT-230 error, per-connection
 * scope), barriers that wait for the datapath's generation, FLOW_REMOVED
 * (delete and timeouts) and PACKET_IN contents.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ofs_harness.h"

static struct client cl, cl2;

static void
start(bool lazy_sync)
{
    env_setup(16, lazy_sync);
    client_connect(&cl);
}

static void
stop(void)
{
    client_close(&cl);
    env_teardown();
}

static struct of_action out2 = { .type = OFPAT_OUTPUT, .output = { 2, 0 } };
static struct of_instruction apply_out2 = {
    .type = OFPIT_APPLY_ACTIONS, .actions = { &out2, 1 },
};

/* A FLOW_MOD ADD in table 0 matching in_port 'port', output:2. */
static void
flow_add(struct of_msg *m, uint32_t xid, uint32_t port, uint64_t cookie)
{
    build_flow_mod(m, xid, 0, 0, 100);
    m->flow_mod.cookie = cookie;
    uint8_t v[4] = { 0, 0, 0, (uint8_t) port };
    assert_int_equal(of_match_add(&m->flow_mod.match, OFPXMT_OFB_IN_PORT, v,
                                  NULL, NULL), 0);
    m->flow_mod.instructions = (struct of_instruction_list) { &apply_out2, 1 };
}

static int
count_cb(const struct ft_flow *flow, void *aux)
{
    (void) flow;
    (*(int *) aux)++;
    return 0;
}

/* Flows in the pipeline (what packets would see). */
static int
n_flows(void)
{
    struct ft_flow_filter f;
    memset(&f, 0, sizeof f);
    f.table_id = FT_OFPTT_ALL;
    f.out_port = FT_OFPP_ANY;
    f.out_group = FT_OFPG_ANY;
    int n = 0;
    ft_pipeline_foreach_flow(env.pl, &f, count_cb, &n);
    return n;
}

/* ---- bundles ---------------------------------------------------------------- */

static void
bundle_ctrl(struct client *c, uint32_t xid, uint32_t id, uint16_t type,
            uint16_t flags)
{
    struct of_msg m;
    of_msg_init(&m, OFPT_EXPERIMENTER, xid);
    m.bundle_ctrl.experimenter = ONF_EXPERIMENTER_ID;
    m.bundle_ctrl.exp_type = ONF_ET_BUNDLE_CONTROL;
    m.bundle_ctrl.bundle_id = id;
    m.bundle_ctrl.type = type;
    m.bundle_ctrl.flags = flags;
    client_send(c, &m);
}

static void
expect_ctrl_reply(struct client *c, uint32_t xid, uint32_t id, uint16_t type,
                  uint16_t flags)
{
    struct of_msg *r = client_recv(c);
    if (r->type == OFPT_ERROR) {
        fail_msg("bundle request xid %u failed: type %u code %u", xid,
                 r->error.type, r->error.code);
    }
    assert_int_equal(r->type, OFPT_EXPERIMENTER);
    assert_int_equal(r->xid, xid);
    assert_int_equal(r->bundle_ctrl.experimenter, ONF_EXPERIMENTER_ID);
    assert_int_equal(r->bundle_ctrl.exp_type, ONF_ET_BUNDLE_CONTROL);
    assert_int_equal(r->bundle_ctrl.bundle_id, id);
    assert_int_equal(r->bundle_ctrl.type, type);
    assert_int_equal(r->bundle_ctrl.flags, flags);
    rx_free(r);
}

/* An EXT-230 error: OFPET_EXPERIMENTER, the ONF code, data = the ONF
 * experimenter id then the request's first bytes. */
static void
expect_onf_error(struct client *c, uint32_t xid, uint16_t code)
{
    struct of_msg *r = client_recv(c);
    assert_int_equal(r->type, OFPT_ERROR);
    assert_int_equal(r->xid, xid);
    assert_int_equal(r->error.type, OFPET_EXPERIMENTER);
    if (r->error.code != code) {
        fail_msg("xid %u: ONF error %u, expected %u", xid, r->error.code,
                 code);
    }
    assert_true(r->error.data.len >= 4 + OFP_HEADER_LEN);
    const uint8_t *d = r->error.data.data;
    assert_int_equal((uint32_t) d[0] << 24 | d[1] << 16 | d[2] << 8 | d[3],
                     ONF_EXPERIMENTER_ID);
    assert_int_equal(d[4 + 1], OFPT_EXPERIMENTER);      /* the request */
    rx_free(r);
}

static void
bundle_add(struct client *c, uint32_t xid, uint32_t id, uint16_t flags,
           struct of_msg *inner)
{
    struct of_msg m;
    of_msg_init(&m, OFPT_EXPERIMENTER, xid);
    m.bundle_add.experimenter = ONF_EXPERIMENTER_ID;
    m.bundle_add.exp_type = ONF_ET_BUNDLE_ADD_MESSAGE;
    m.bundle_add.bundle_id = id;
    m.bundle_add.flags = flags;
    m.bundle_add.message = inner;
    client_send(c, &m);
}

#define BF (ONF_BF_ATOMIC | ONF_BF_ORDERED)

static void
test_bundle_commit_discard(void **state)
{
    (void) state;
    start(false);
    struct of_msg f1, f2;

    /* Open, add two, close: nothing visible yet. */
    bundle_ctrl(&cl, 1, 10, ONF_BCT_OPEN_REQUEST, BF);
    expect_ctrl_reply(&cl, 1, 10, ONF_BCT_OPEN_REPLY, BF);
    flow_add(&f1, 2, 1, 0xb1);
    bundle_add(&cl, 2, 10, BF, &f1);
    flow_add(&f2, 3, 2, 0xb2);
    bundle_add(&cl, 3, 10, BF, &f2);
    client_barrier(&cl);
    assert_int_equal(n_flows(), 0);
    assert_int_equal(ofswitch_n_bundles(env.sw), 1);
    bundle_ctrl(&cl, 4, 10, ONF_BCT_CLOSE_REQUEST, BF);
    expect_ctrl_reply(&cl, 4, 10, ONF_BCT_CLOSE_REPLY, BF);
    assert_int_equal(n_flows(), 0);

    /* Commit: both at once. */
    bundle_ctrl(&cl, 5, 10, ONF_BCT_COMMIT_REQUEST, BF);
    expect_ctrl_reply(&cl, 5, 10, ONF_BCT_COMMIT_REPLY, BF);
    client_barrier(&cl);
    assert_int_equal(n_flows(), 2);
    assert_int_equal(ofswitch_n_bundles(env.sw), 0);

    /* An ADD to an unknown id opens it; DISCARD drops its messages. */
    struct of_msg f3;
    flow_add(&f3, 6, 3, 0xb3);
    bundle_add(&cl, 6, 11, ONF_BF_ATOMIC, &f3);
    client_barrier(&cl);
    assert_int_equal(ofswitch_n_bundles(env.sw), 1);
    bundle_ctrl(&cl, 7, 11, ONF_BCT_DISCARD_REQUEST, ONF_BF_ATOMIC);
    expect_ctrl_reply(&cl, 7, 11, ONF_BCT_DISCARD_REPLY, ONF_BF_ATOMIC);
    assert_int_equal(ofswitch_n_bundles(env.sw), 0);
    client_barrier(&cl);
    assert_int_equal(n_flows(), 2);

    /* Commit straight from open (no CLOSE) works too. */
    bundle_ctrl(&cl, 8, 12, ONF_BCT_OPEN_REQUEST, 0);
    expect_ctrl_reply(&cl, 8, 12, ONF_BCT_OPEN_REPLY, 0);
    struct of_msg del;
    build_flow_mod(&del, 9, 3, OFPTT_ALL, 0);
    bundle_add(&cl, 9, 12, 0, &del);
    bundle_ctrl(&cl, 10, 12, ONF_BCT_COMMIT_REQUEST, 0);
    expect_ctrl_reply(&cl, 10, 12, ONF_BCT_COMMIT_REPLY, 0);
    assert_int_equal(n_flows(), 0);
    stop();
}

/* One failing message aborts the whole bundle: its own error (its xid,
 * its bytes echoed), then MSG_FAILED for the commit; nothing applied. */
static void
test_bundle_failure_aborts_all(void **state)
{
    (void) state;
    start(false);
    struct of_msg good1, bad, good2;

    bundle_ctrl(&cl, 1, 20, ONF_BCT_OPEN_REQUEST, BF);
    expect_ctrl_reply(&cl, 1, 20, ONF_BCT_OPEN_REPLY, BF);
    flow_add(&good1, 2, 1, 0xc1);
    bundle_add(&cl, 2, 20, BF, &good1);
    /* Valid on the wire, refused by the pipeline at commit: meter 99. */
    struct of_instruction meter = { .type = OFPIT_METER, .meter = { 99 } };
    flow_add(&bad, 0x44, 2, 0xc2);
    bad.flow_mod.instructions = (struct of_instruction_list) { &meter, 1 };
    bundle_add(&cl, 0x44, 20, BF, &bad);
    flow_add(&good2, 4, 3, 0xc3);
    bundle_add(&cl, 4, 20, BF, &good2);
    client_barrier(&cl);

    bundle_ctrl(&cl, 5, 20, ONF_BCT_COMMIT_REQUEST, BF);
    struct of_msg *e = client_recv(&cl);
    assert_int_equal(e->type, OFPT_ERROR);
    assert_int_equal(e->xid, 0x44);
    assert_int_equal(e->error.type, OFPET_METER_MOD_FAILED);
    assert_int_equal(e->error.code, 3);         /* UNKNOWN_METER */
    assert_true(e->error.data.len >= OFP_HEADER_LEN);
    assert_int_equal(e->error.data.data[1], OFPT_FLOW_MOD);
    assert_int_equal(e->error.data.data[7], 0x44);
    rx_free(e);
    expect_onf_error(&cl, 5, 2313);             /* MSG_FAILED */
    client_barrier(&cl);
    assert_int_equal(n_flows(), 0);
    assert_int_equal(ofswitch_n_bundles(env.sw), 0);
    /* The bundle is gone. */
    bundle_ctrl(&cl, 6, 20, ONF_BCT_COMMIT_REQUEST, BF);
    expect_onf_error(&cl, 6, 2302);             /* BAD_ID */
    stop();
}

static void
test_bundle_errors(void **state)
{
    (void) state;
    start(false);
    struct of_msg f;

    /* Unknown ids. */
    bundle_ctrl(&cl, 1, 30, ONF_BCT_COMMIT_REQUEST, 0);
    expect_onf_error(&cl, 1, 2302);
    bundle_ctrl(&cl, 2, 30, ONF_BCT_CLOSE_REQUEST, 0);
    expect_onf_error(&cl, 2, 2302);
    bundle_ctrl(&cl, 3, 30, ONF_BCT_DISCARD_REQUEST, 0);
    expect_onf_error(&cl, 3, 2302);

    /* Flags we do not know. */
    bundle_ctrl(&cl, 4, 30, ONF_BCT_OPEN_REQUEST, 0x4);
    expect_onf_error(&cl, 4, 2307);

    /* Opening an open id: refused, and the bundle is discarded. */
    bundle_ctrl(&cl, 5, 31, ONF_BCT_OPEN_REQUEST, 0);
    expect_ctrl_reply(&cl, 5, 31, ONF_BCT_OPEN_REPLY, 0);
    bundle_ctrl(&cl, 6, 31, ONF_BCT_OPEN_REQUEST, 0);
    expect_onf_error(&cl, 6, 2302);
    assert_int_equal(ofswitch_n_bundles(env.sw), 0);

    /* Commit with other flags than the open's: BAD_FLAGS, discarded. */
    bundle_ctrl(&cl, 7, 32, ONF_BCT_OPEN_REQUEST, ONF_BF_ATOMIC);
    expect_ctrl_reply(&cl, 7, 32, ONF_BCT_OPEN_REPLY, ONF_BF_ATOMIC);
    bundle_ctrl(&cl, 8, 32, ONF_BCT_COMMIT_REQUEST, BF);
    expect_onf_error(&cl, 8, 2307);
    assert_int_equal(ofswitch_n_bundles(env.sw), 0);

    /* ADD to a closed bundle: BUNDLE_CLOSED, discarded. */
    bundle_ctrl(&cl, 9, 33, ONF_BCT_OPEN_REQUEST, 0);
    expect_ctrl_reply(&cl, 9, 33, ONF_BCT_OPEN_REPLY, 0);
    bundle_ctrl(&cl, 10, 33, ONF_BCT_CLOSE_REQUEST, 0);
    expect_ctrl_reply(&cl, 10, 33, ONF_BCT_CLOSE_REPLY, 0);
    flow_add(&f, 11, 1, 1);
    bundle_add(&cl, 11, 33, 0, &f);
    expect_onf_error(&cl, 11, 2304);
    assert_int_equal(ofswitch_n_bundles(env.sw), 0);

    /* Closing twice. */
    bundle_ctrl(&cl, 12, 34, ONF_BCT_OPEN_REQUEST, 0);
    expect_ctrl_reply(&cl, 12, 34, ONF_BCT_OPEN_REPLY, 0);
    bundle_ctrl(&cl, 13, 34, ONF_BCT_CLOSE_REQUEST, 0);
    expect_ctrl_reply(&cl, 13, 34, ONF_BCT_CLOSE_REPLY, 0);
    bundle_ctrl(&cl, 14, 34, ONF_BCT_CLOSE_REQUEST, 0);
    expect_onf_error(&cl, 14, 2304);

    /* Messages that cannot be bundled; an inner xid that differs. */
    bundle_ctrl(&cl, 15, 35, ONF_BCT_OPEN_REQUEST, 0);
    expect_ctrl_reply(&cl, 15, 35, ONF_BCT_OPEN_REPLY, 0);
    struct of_msg gm;
    of_msg_init(&gm, OFPT_GROUP_MOD, 16);
    gm.group_mod.type = 0;
    gm.group_mod.group_id = 1;
    bundle_add(&cl, 16, 35, 0, &gm);
    expect_onf_error(&cl, 16, 2310);            /* MSG_UNSUP */
    flow_add(&f, 99, 1, 1);
    bundle_add(&cl, 17, 35, 0, &f);
    expect_onf_error(&cl, 17, 2309);            /* MSG_BAD_XID */
    /* A bundled message invalid in itself: its own error, bundle kept. */
    flow_add(&f, 18, 1, 1);
    f.flow_mod.buffer_id = 7;
    bundle_add(&cl, 18, 35, 0, &f);
    client_expect_error(&cl, 18, OFPET_BAD_REQUEST, OFPBRC_BUFFER_UNKNOWN);
    assert_int_equal(ofswitch_n_bundles(env.sw), 1);

    /* A reply type as a request. */
    bundle_ctrl(&cl, 19, 35, ONF_BCT_OPEN_REPLY, 0);
    expect_onf_error(&cl, 19, 2306);            /* BAD_TYPE */

    /* Bundles are per connection: another one cannot see id 35... */
    client_connect(&cl2);
    bundle_ctrl(&cl2, 20, 35, ONF_BCT_COMMIT_REQUEST, 0);
    expect_onf_error(&cl2, 20, 2302);
    /* ... and may use the same id for its own. */
    bundle_ctrl(&cl2, 21, 35, ONF_BCT_OPEN_REQUEST, 0);
    expect_ctrl_reply(&cl2, 21, 35, ONF_BCT_OPEN_REPLY, 0);
    assert_int_equal(ofswitch_n_bundles(env.sw), 2);
    /* A connection's bundles go with it. */
    client_close(&cl2);
    assert_int_equal(ofswitch_n_bundles(env.sw), 1);
    client_close(&cl);
    assert_int_equal(ofswitch_n_bundles(env.sw), 0);
    env_teardown();
}

/* ---- barriers ----------------------------------------------------------------- */

/* A change completes (and a barrier answers) only once the datapath says
 * it reached the change's pipeline generation. */
static void
test_barrier_waits_for_datapath(void **state)
{
    (void) state;
    start(true);
    struct of_msg f, b;

    flow_add(&f, 1, 1, 0xd1);
    client_send(&cl, &f);
    of_msg_init(&b, OFPT_BARRIER_REQUEST, 2);
    client_send(&cl, &b);
    assert_null(client_recv_timeout(&cl, 150));
    /* The pipeline has it; the datapath was asked for its generation. */
    assert_int_equal(n_flows(), 1);
    uint64_t gen = ft_pipeline_generation(env.pl);
    assert_int_equal(env.dp.sync_asked, gen);
    assert_int_equal(ofswitch_n_waiting(env.sw), 1);

    /* An earlier generation is not enough. */
    ofswitch_generation_applied(env.sw, gen - 1);
    assert_null(client_recv_timeout(&cl, 50));
    assert_int_equal(ofswitch_n_waiting(env.sw), 1);

    ofswitch_generation_applied(env.sw, gen);
    struct of_msg *r = client_recv(&cl);
    assert_int_equal(r->type, OFPT_BARRIER_REPLY);
    assert_int_equal(r->xid, 2);
    rx_free(r);
    assert_int_equal(ofswitch_n_waiting(env.sw), 0);

    /* A failed change does not wait: its error comes at once. */
    build_flow_mod(&f, 3, 0, 16, 1);
    client_send(&cl, &f);
    client_expect_error(&cl, 3, OFPET_FLOW_MOD_FAILED, OFPFMFC_BAD_TABLE_ID);
    of_msg_init(&b, OFPT_BARRIER_REQUEST, 4);
    client_send(&cl, &b);
    r = client_recv(&cl);
    assert_int_equal(r->type, OFPT_BARRIER_REPLY);
    rx_free(r);

    /* Group and meter mods and bundle commits wait the same way; one
     * report covers every change up to it. */
    struct of_msg gm, mm;
    of_msg_init(&gm, OFPT_GROUP_MOD, 5);
    gm.group_mod.type = 0;
    gm.group_mod.group_id = 1;
    client_send(&cl, &gm);
    struct of_meter_band drop = { OFPMBT_DROP, 1000, 0, 0, 0 };
    of_msg_init(&mm, OFPT_METER_MOD, 6);
    mm.meter_mod.flags = 1;
    mm.meter_mod.meter_id = 1;
    mm.meter_mod.bands = (struct of_meter_band_list) { &drop, 1 };
    client_send(&cl, &mm);
    bundle_ctrl(&cl, 7, 1, ONF_BCT_OPEN_REQUEST, 0);
    expect_ctrl_reply(&cl, 7, 1, ONF_BCT_OPEN_REPLY, 0);
    flow_add(&f, 8, 2, 0xd2);
    bundle_add(&cl, 8, 1, 0, &f);
    bundle_ctrl(&cl, 9, 1, ONF_BCT_COMMIT_REQUEST, 0);
    expect_ctrl_reply(&cl, 9, 1, ONF_BCT_COMMIT_REPLY, 0);
    of_msg_init(&b, OFPT_BARRIER_REQUEST, 10);
    client_send(&cl, &b);
    assert_null(client_recv_timeout(&cl, 100));
    assert_int_equal(ofswitch_n_waiting(env.sw), 3);
    ofswitch_generation_applied(env.sw, ft_pipeline_generation(env.pl));
    r = client_recv(&cl);
    assert_int_equal(r->type, OFPT_BARRIER_REPLY);
    assert_int_equal(r->xid, 10);
    rx_free(r);

    /* Requests still waiting when the switch goes are completed. */
    flow_add(&f, 11, 3, 0xd3);
    client_send(&cl, &f);
    for (int i = 0; i < 50 && !ofswitch_n_waiting(env.sw); i++) {
        evloop_run_once(env.loop, 2);
    }
    assert_int_equal(ofswitch_n_waiting(env.sw), 1);
    stop();
}

/* ---- FLOW_REMOVED ------------------------------------------------------------ */

static void
test_flow_removed(void **state)
{
    (void) state;
    start(false);
    struct of_msg f;

    /* Deleted with SEND_FLOW_REM: reported with its match and counters. */
    flow_add(&f, 1, 1, 0xe1);
    f.flow_mod.flags = 0x1;
    f.flow_mod.idle_timeout = 50;
    f.flow_mod.hard_timeout = 70;
    client_send(&cl, &f);
    client_barrier(&cl);
    env.now_ms += 2500;
    struct of_msg d;
    build_flow_mod(&d, 2, 3, OFPTT_ALL, 0);
    client_send(&cl, &d);
    struct of_msg *r = client_recv(&cl);
    assert_int_equal(r->type, OFPT_FLOW_REMOVED);
    assert_int_equal(r->flow_removed.reason, OFPRR_DELETE);
    assert_int_equal(r->flow_removed.cookie, 0xe1);
    assert_int_equal(r->flow_removed.priority, 100);
    assert_int_equal(r->flow_removed.table_id, 0);
    assert_int_equal(r->flow_removed.duration_sec, 2);
    assert_int_equal(r->flow_removed.duration_nsec, 500000000);
    assert_int_equal(r->flow_removed.idle_timeout, 50);
    assert_int_equal(r->flow_removed.hard_timeout, 70);
    assert_int_equal(r->flow_removed.packet_count, 0);
    struct of_msg echo;
    of_msg_init(&echo, OFPT_FLOW_REMOVED, r->xid);
    echo.flow_removed = r->flow_removed;
    echo.flow_removed.match = f.flow_mod.match;
    assert_true(of_msg_equal(r, &echo));
    rx_free(r);
    client_barrier(&cl);

    /* Without SEND_FLOW_REM: silent. */
    flow_add(&f, 3, 1, 0xe2);
    client_send(&cl, &f);
    build_flow_mod(&d, 4, 3, OFPTT_ALL, 0);
    client_send(&cl, &d);
    client_barrier(&cl);

    /* Timeouts, as the bridge's expiry run reports them. */
    flow_add(&f, 5, 1, 0xe3);
    f.flow_mod.flags = 0x1;
    f.flow_mod.idle_timeout = 5;
    client_send(&cl, &f);
    flow_add(&f, 6, 2, 0xe4);
    f.flow_mod.flags = 0x1;
    f.flow_mod.hard_timeout = 3;
    client_send(&cl, &f);
    client_barrier(&cl);
    env.now_ms += 4000;
    ft_pipeline_expire(env.pl, env.now_ms);
    r = client_recv(&cl);
    assert_int_equal(r->type, OFPT_FLOW_REMOVED);
    assert_int_equal(r->flow_removed.reason, OFPRR_HARD_TIMEOUT);
    assert_int_equal(r->flow_removed.cookie, 0xe4);
    assert_int_equal(r->flow_removed.duration_sec, 4);
    rx_free(r);
    env.now_ms += 2000;
    ft_pipeline_expire(env.pl, env.now_ms);
    r = client_recv(&cl);
    assert_int_equal(r->type, OFPT_FLOW_REMOVED);
    assert_int_equal(r->flow_removed.reason, OFPRR_IDLE_TIMEOUT);
    assert_int_equal(r->flow_removed.cookie, 0xe3);
    assert_int_equal(r->flow_removed.duration_sec, 6);
    rx_free(r);
    assert_int_equal(n_flows(), 0);
    stop();
}

/* ---- PACKET_IN ------------------------------------------------------------------ */

static void
test_packet_in(void **state)
{
    (void) state;
    start(false);
    uint8_t pkt[100];
    for (int i = 0; i < 100; i++) {
        pkt[i] = (uint8_t) (i * 7);
    }
    struct ft_key key;
    memset(&key, 0, sizeof key);
    key.in_port = 2;
    key.metadata = 0x55;
    key.tunnel.tun_id = 7;
    key.dl_type = 0x0008;                   /* not reported */

    assert_int_equal(ofswitch_send_packet_in(env.sw, OFPR_ACTION, 3, 0xc0c0,
                                             &key, pkt, sizeof pkt, 64), 1);
    struct of_msg *r = client_recv(&cl);
    assert_int_equal(r->type, OFPT_PACKET_IN);
    assert_int_equal(r->packet_in.buffer_id, OFP_NO_BUFFER);
    assert_int_equal(r->packet_in.total_len, 100);
    assert_int_equal(r->packet_in.reason, OFPR_ACTION);
    assert_int_equal(r->packet_in.table_id, 3);
    assert_int_equal(r->packet_in.cookie, 0xc0c0);
    assert_int_equal(r->packet_in.data.len, 64);
    assert_memory_equal(r->packet_in.data.data, pkt, 64);
    const struct of_match *m = &r->packet_in.match;
    assert_int_equal(m->n_fields, 3);
    uint8_t v[OF_OXM_MAX_VALUE_LEN], mk[OF_OXM_MAX_VALUE_LEN];
    bool hm;
    assert_true(of_match_get(m, OFPXMT_OFB_IN_PORT, v, mk, &hm));
    assert_false(hm);
    assert_int_equal(v[3], 2);
    assert_true(of_match_get(m, OFPXMT_OFB_METADATA, v, mk, &hm));
    assert_int_equal(v[7], 0x55);
    assert_true(of_match_get(m, OFPXMT_OFB_TUNNEL_ID, v, mk, &hm));
    assert_int_equal(v[7], 7);
    rx_free(r);

    /* No metadata, no tunnel: in_port alone; NO_BUFFER sends it all. */
    key.metadata = 0;
    key.tunnel.tun_id = 0;
    assert_int_equal(ofswitch_send_packet_in(env.sw, OFPR_NO_MATCH, 0,
                                             UINT64_MAX, &key, pkt,
                                             sizeof pkt, OFPCML_NO_BUFFER), 1);
    r = client_recv(&cl);
    assert_int_equal(r->type, OFPT_PACKET_IN);
    assert_int_equal(r->packet_in.reason, OFPR_NO_MATCH);
    assert_int_equal(r->packet_in.cookie, UINT64_MAX);
    assert_int_equal(r->packet_in.match.n_fields, 1);
    assert_int_equal(r->packet_in.data.len, 100);
    assert_int_equal(r->packet_in.total_len, 100);
    assert_memory_equal(r->packet_in.data.data, pkt, 100);
    rx_free(r);
    stop();
}

int
main(int argc, char *argv[])
{
    if (argc > 1) {
        cmocka_set_test_filter(argv[1]);
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bundle_commit_discard),
        cmocka_unit_test(test_bundle_failure_aborts_all),
        cmocka_unit_test(test_bundle_errors),
        cmocka_unit_test(test_barrier_waits_for_datapath),
        cmocka_unit_test(test_flow_removed),
        cmocka_unit_test(test_packet_in),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
