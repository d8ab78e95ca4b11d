/*
 * test_fastpath.c — the PMD fast path end to end: dummy ports, a real PMD
 * worker, real OpenFlow pipelines; frames injected on one port, captured on
 * others. Covers forwarding by OpenFlow flows (output, set-field with the
 * bytes checked, drop), the EMC and megaflow counters, revalidation after
 * a flow change with a generation sync, a flood of new flows against the
 * upcall rate limit, packet-in and packet-out, SELECT groups, meters, idle
 * megaflow expiry and flow stats crediting.
 *
 * The test is the datapath's main thread: it runs dp_run_upcalls() and
 * dp_run_revalidator() as the daemon's loop would. Every wait on the
 * worker has a deadline.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <rte_ethdev.h>

#include "datapath/datapath.h"
#include "flowtable/ft_pipeline.h"
#include "flowtable/ft_xlate.h"
#include "lib/timeval.h"
#include "../xlate/xlate_test_util.h"

#define WAIT_MS 3000
#define MAX_CAP 1024
#define FRAME_LEN 64                 /* Ethernet + IPv4 + UDP + payload */

/* ---- frames ----------------------------------------------------------------- */

struct flow_id {
    uint32_t src_mac;                /* 02:00:xx:xx:xx:xx */
    uint32_t nw_src, nw_dst;         /* host order */
    uint16_t sport, dport;
};

static uint16_t
ip_csum(const uint8_t *h, size_t len)
{
    uint32_t sum = 0;
    for (size_t i = 0; i < len; i += 2) {
        sum += (uint32_t) (h[i] << 8 | h[i + 1]);
    }
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return (uint16_t) ~sum;
}

/* UDP over IPv4 to 02:00:00:00:20:00; payload byte 0 = 'seq'. */
static size_t
build_udp(uint8_t *f, const struct flow_id *id, uint8_t seq)
{
    memset(f, 0, FRAME_LEN);
    f[0] = 0x02; f[4] = 0x20;
    f[6] = 0x02;
    f[8] = (uint8_t) (id->src_mac >> 24); f[9] = (uint8_t) (id->src_mac >> 16);
    f[10] = (uint8_t) (id->src_mac >> 8); f[11] = (uint8_t) id->src_mac;
    f[12] = 0x08; f[13] = 0x00;
    uint8_t *ip = f + 14;
    ip[0] = 0x45;
    uint16_t tot = FRAME_LEN - 14;
    ip[2] = (uint8_t) (tot >> 8); ip[3] = (uint8_t) tot;
    ip[8] = 64; ip[9] = 17;
    uint32_t s = htonl(id->nw_src), d = htonl(id->nw_dst);
    memcpy(ip + 12, &s, 4);
    memcpy(ip + 16, &d, 4);
    uint16_t c = ip_csum(ip, 20);
    ip[10] = (uint8_t) (c >> 8); ip[11] = (uint8_t) c;
    uint8_t *udp = ip + 20;
    udp[0] = (uint8_t) (id->sport >> 8); udp[1] = (uint8_t) id->sport;
    udp[2] = (uint8_t) (id->dport >> 8); udp[3] = (uint8_t) id->dport;
    uint16_t ulen = tot - 20;
    udp[4] = (uint8_t) (ulen >> 8); udp[5] = (uint8_t) ulen;
    udp[8] = seq;                    /* checksum 0: none */
    return FRAME_LEN;
}

static struct flow_id
flow(uint32_t n)
{
    return (struct flow_id) {
        .src_mac = 0x1000, .nw_src = 0x0a000001, .nw_dst = 0x0a000100 + n,
        .sport = (uint16_t) (1000 + n), .dport = 80,
    };
}

/* ---- capture and waits ---------------------------------------------------------- */

struct capture {
    unsigned int n;
    size_t len[MAX_CAP];
    uint8_t data[MAX_CAP][FRAME_LEN];
};

static void
capture_cb(const uint8_t *frame, size_t len, void *aux)
{
    struct capture *cap = aux;
    if (cap->n < MAX_CAP) {
        cap->len[cap->n] = len;
        memcpy(cap->data[cap->n], frame, len < FRAME_LEN ? len : FRAME_LEN);
    }
    cap->n++;
}

static struct capture cap;           /* big: not on the stack */

static void
sleep_ms(unsigned int ms)
{
    struct timespec ts = { ms / 1000, (long) (ms % 1000) * 1000000 };
    nanosleep(&ts, NULL);
}

static uint64_t
perf_sum(const char *field)
{
    json_t *perf = dp_pmd_perf();
    uint64_t sum = 0;
    size_t i;
    json_t *pmd;
    json_array_foreach(perf, i, pmd) {
        sum += (uint64_t) json_integer_value(json_object_get(pmd, field));
    }
    json_decref(perf);
    return sum;
}

/* Waits until the worker processed 'n' more packets than 'before'. */
static void
wait_packets(uint64_t before, uint64_t n)
{
    int64_t deadline = time_msec() + WAIT_MS;
    while (perf_sum("packets") < before + n) {
        assert_true(time_msec() < deadline);
        sleep_ms(1);
    }
}

static void
inject(const char *port, const struct flow_id *id, uint8_t seq)
{
    uint8_t f[FRAME_LEN];
    size_t len = build_udp(f, id, seq);
    assert_int_equal(dp_dummy_inject(port, f, len), 0);
}

static void
inject_wait(const char *port, const struct flow_id *id, uint8_t seq)
{
    uint64_t before = perf_sum("packets");
    inject(port, id, seq);
    wait_packets(before, 1);
}

/* Pops everything 'port' transmitted into 'cap'. */
static unsigned int
captured(const char *port)
{
    memset(&cap, 0, sizeof cap);
    int n = dp_dummy_capture(port, MAX_CAP, capture_cb, &cap);
    assert_true(n >= 0);
    return cap.n;
}

/* ---- bridges ------------------------------------------------------------------ */

struct fx {
    struct dp_bridge *br;
    struct ft_pipeline *p;
};

static struct fx fx;

static void bridge_down(void);

/* Bridge "br-fp" with dummy ports fp1..fp<n> = OpenFlow ports 1..n and an
 * empty pipeline (every table misses: drop). */
static void
bridge_up(unsigned int n_ports)
{
    char err[DP_ERR_LEN];
    struct ft_pipeline_config cfg = { .n_tables = 4, .qsbr = dp_qsbr() };

    if (fx.br) {
        bridge_down();               /* a failed test left it behind */
    }
    assert_int_equal(dp_bridge_add("br-fp", &fx.br), 0);
    fx.p = ft_pipeline_create(&cfg);
    assert_non_null(fx.p);
    dp_bridge_set_pipeline(fx.br, fx.p);
    for (unsigned int i = 1; i <= n_ports; i++) {
        char name[16];
        snprintf(name, sizeof name, "fp%u", i);
        struct dp_port_spec spec = { .name = name, .type = "dummy",
                                     .ofport = i };
        if (dp_port_add(fx.br, &spec, err, sizeof err)) {
            fail_msg("add %s: %s", name, err);
        }
    }
}

static void
bridge_down(void)
{
    dp_bridge_del(fx.br);
    ft_pipeline_destroy(fx.p);
    memset(&fx, 0, sizeof fx);
    struct dp_flow_config dflt = {
        .emc_insert_inv_prob = 100, .megaflow_limit = 200000,
        .idle_ms = 10000, .revalidate_ms = 500, .upcall_rate = 100000,
        .upcall_burst = 1000,
    };
    dp_set_flow_config(&dflt);
}

static void
add_apply(uint16_t prio, const struct ft_match *m, struct ft_action *acts,
          uint32_t n, uint64_t cookie)
{
    struct ft_insts in;
    t_insts_init(&in);
    in.has_apply = true;
    in.apply.acts = acts;
    in.apply.n = n;
    ft_pipeline_begin(fx.p);
    struct ft_ofperr e = t_flow_mod_nocommit(fx.p, 0, prio, m, &in, cookie);
    assert_true(ft_ofperr_is_ok(e));
    ft_pipeline_commit(fx.p);
}

static void
flow_in_port_output(uint32_t in_port, uint32_t out_port)
{
    struct ft_match m;
    struct ft_action a = t_output(out_port);
    t_match_all(&m);
    t_match_in_port(&m, in_port);
    add_apply(10, &m, &a, 1, 0);
}

static uint64_t last_synced;
static unsigned int n_synced;

static void
generation_cb(void *aux, uint64_t generation)
{
    (void) aux;
    last_synced = generation;
    n_synced++;
}

/* Asks the datapath to reflect the pipeline's generation and runs the
 * main loop until it says it does. */
static void
sync_pipeline(void)
{
    uint64_t g = ft_pipeline_generation(fx.p);
    dp_bridge_set_generation_cb(fx.br, generation_cb, NULL);
    unsigned int before = n_synced;
    if (dp_bridge_sync_generation(fx.br, g)) {
        return;
    }
    int64_t deadline = time_msec() + WAIT_MS;
    while (n_synced == before) {
        assert_true(time_msec() < deadline);
        dp_run_revalidator(time_msec());
        sleep_ms(1);
    }
    assert_int_equal(last_synced, g);
}

static json_t *
find_megaflow(json_t *flows, uint32_t in_port)
{
    size_t i;
    json_t *f;
    json_array_foreach(flows, i, f) {
        if (json_integer_value(json_object_get(f, "in_port")) == in_port) {
            return f;
        }
    }
    return NULL;
}

/* ---- tests -------------------------------------------------------------------- */

/* in_port=1 -> 2; in_port=2 -> set nw_dst, output 3; in_port=3: dropped
 * (no flow: the table misses). Without a pipeline the bridge drops. */
static void
test_openflow_forwarding(void **state)
{
    (void) state;
    bridge_up(3);
    flow_in_port_output(1, 2);
    struct ft_match m;
    struct ft_action set_out[] = { t_set_nw_dst(t_ip(192, 168, 7, 9)),
                                   t_output(3) };
    t_match_all(&m);
    t_match_in_port(&m, 2);
    t_match_dl_type(&m, T_ETH_IP);
    add_apply(10, &m, set_out, 2, 0);

    struct flow_id id = flow(1);
    uint8_t want[FRAME_LEN];
    build_udp(want, &id, 7);

    inject_wait("fp1", &id, 7);
    assert_int_equal(captured("fp2"), 1);
    assert_int_equal(cap.len[0], FRAME_LEN);
    assert_memory_equal(cap.data[0], want, FRAME_LEN);
    assert_int_equal(captured("fp3"), 0);
    assert_int_equal(captured("fp1"), 0);

    inject_wait("fp2", &id, 8);
    assert_int_equal(captured("fp3"), 1);
    const uint8_t *ip = cap.data[0] + 14;
    assert_int_equal(ip[16], 192);
    assert_int_equal(ip[17], 168);
    assert_int_equal(ip[18], 7);
    assert_int_equal(ip[19], 9);
    assert_int_equal(ip_csum(ip, 20), 0);    /* header checksum fixed */
    /* everything before the checksum and between it and nw_dst as sent */
    assert_memory_equal(cap.data[0], want, 14 + 10);
    assert_memory_equal(cap.data[0] + 26, want + 26, 4);
    assert_int_equal(cap.data[0][14 + 28], 8);
    assert_int_equal(captured("fp1"), 0);

    struct dp_port_stats st;
    assert_int_equal(dp_port_get_stats("fp3", &st), 0);
    uint64_t drops = st.rx_dropped;
    inject_wait("fp3", &id, 9);
    assert_int_equal(captured("fp1") + captured("fp2"), 0);
    assert_int_equal(dp_port_get_stats("fp3", &st), 0);
    assert_int_equal(st.rx_dropped, drops + 1);

    /* Detached: dropped at rx; re-attached: forwarding again. */
    dp_bridge_set_pipeline(fx.br, NULL);
    inject_wait("fp1", &id, 10);
    assert_int_equal(captured("fp2"), 0);
    dp_bridge_set_pipeline(fx.br, fx.p);
    inject_wait("fp1", &id, 11);
    assert_int_equal(captured("fp2"), 1);
    bridge_down();
}

/* The first packet of a flow is a miss. An in_port-only flow gives a
 * port-only megaflow: the rest of the port's packets take the simple-match
 * path, unparsed. With two masks on the port the EMC is consulted: with
 * emc-insert-inv-prob 1 a classifier hit goes into the EMC at once, so the
 * rest hit the EMC; with the EMC disabled they hit the classifier. */
static void
test_cache_counters(void **state)
{
    (void) state;
    bridge_up(2);
    struct dp_flow_config cfg = { .emc_insert_inv_prob = 1 };
    dp_set_flow_config(&cfg);
    flow_in_port_output(1, 2);
    uint64_t miss0 = perf_sum("misses"), emc0 = perf_sum("emc_hits");
    uint64_t mega0 = perf_sum("megaflow_hits");
    uint64_t simple0 = perf_sum("simple_hits");
    struct flow_id id = flow(2);
    for (int i = 0; i < 10; i++) {
        inject_wait("fp1", &id, (uint8_t) i);
    }
    assert_int_equal(captured("fp2"), 10);
    assert_int_equal(perf_sum("misses") - miss0, 1);
    assert_int_equal(perf_sum("simple_hits") - simple0, 9);
    assert_int_equal(perf_sum("megaflow_hits") - mega0, 0);
    assert_int_equal(perf_sum("emc_hits") - emc0, 0);
    /* pmd-stats carries the same counters. */
    json_t *stats = dp_pmd_stats();
    json_t *pmd = json_array_get(stats, 0);
    assert_non_null(json_object_get(pmd, "simple_hits"));
    assert_non_null(json_object_get(pmd, "emc_hits"));
    assert_non_null(json_object_get(pmd, "megaflow_hits"));
    assert_non_null(json_object_get(pmd, "misses"));
    assert_non_null(json_object_get(pmd, "packets"));
    json_decref(stats);

    json_t *flows = dp_bridge_dump_dp_flows(fx.br);
    assert_int_equal(json_array_size(flows), 1);
    json_t *f = json_array_get(flows, 0);
    assert_int_equal(json_integer_value(json_object_get(f, "packets")), 10);
    assert_int_equal(json_integer_value(json_object_get(f, "in_port")), 1);
    assert_string_equal(json_string_value(json_object_get(f, "match")),
                        "recirc_id=0x0,in_port=1");
    json_decref(flows);

    /* A higher-priority dl_src flow: the port-only megaflow goes, and the
     * port gets two masks (dl_src alone for the matching source; dl_src,
     * dl_type and nw_dst for the others). */
    struct ft_match m;
    struct ft_action out2 = t_output(2);
    t_match_all(&m);
    memcpy(m.key.dl_src.ea, (const uint8_t[6]) { 2, 0, 0, 0, 0x99, 0x99 },
           6);
    memset(m.mask.masks.dl_src.ea, 0xff, 6);
    add_apply(30, &m, &out2, 1, 0);
    t_match_all(&m);
    t_match_nw_dst(&m, htonl(id.nw_dst), 32);
    add_apply(20, &m, &out2, 1, 0);
    sync_pipeline();
    struct flow_id special = id;
    special.src_mac = 0x9999;
    inject_wait("fp1", &special, 0);
    miss0 = perf_sum("misses");
    emc0 = perf_sum("emc_hits");
    mega0 = perf_sum("megaflow_hits");
    simple0 = perf_sum("simple_hits");
    for (int i = 0; i < 10; i++) {
        inject_wait("fp1", &id, (uint8_t) i);
    }
    assert_int_equal(captured("fp2"), 11);
    /* A miss, a classifier hit (inserted into the EMC), then the EMC. */
    assert_int_equal(perf_sum("misses") - miss0, 1);
    assert_int_equal(perf_sum("megaflow_hits") - mega0, 1);
    assert_int_equal(perf_sum("emc_hits") - emc0, 8);
    assert_int_equal(perf_sum("simple_hits") - simple0, 0);

    /* EMC off: hits go to the megaflow classifier. */
    cfg = (struct dp_flow_config) { .emc_disable = true };
    dp_set_flow_config(&cfg);
    emc0 = perf_sum("emc_hits");
    mega0 = perf_sum("megaflow_hits");
    inject_wait("fp1", &id, 11);
    assert_int_equal(perf_sum("emc_hits"), emc0);
    assert_int_equal(perf_sum("megaflow_hits"), mega0 + 1);
    json_t *perf = dp_pmd_perf();
    json_t *p0 = json_array_get(perf, 0);
    assert_true(json_integer_value(json_object_get(p0, "megaflows")) >= 2);
    assert_int_equal(json_array_size(json_object_get(p0,
                                                     "miss_cycles_hist")),
                     32);
    json_decref(perf);
    bridge_down();
}

/* A flow changes: after the sync every packet follows the new actions and
 * the untouched flow's megaflow kept its stats and was not re-missed. */
static void
test_revalidation(void **state)
{
    (void) state;
    bridge_up(5);
    flow_in_port_output(1, 2);
    flow_in_port_output(4, 5);
    struct flow_id a = flow(3), b = flow(4);
    inject_wait("fp1", &a, 1);
    inject_wait("fp4", &b, 1);
    assert_int_equal(captured("fp2"), 1);
    assert_int_equal(captured("fp5"), 1);
    uint64_t miss0 = perf_sum("misses");
    json_t *flows = dp_bridge_dump_dp_flows(fx.br);
    char old_actions[256];
    snprintf(old_actions, sizeof old_actions, "%s", json_string_value(
                 json_object_get(find_megaflow(flows, 1), "actions")));
    json_decref(flows);

    /* Replace in_port=1's actions (ADD of the same match). */
    flow_in_port_output(1, 3);
    sync_pipeline();
    for (int i = 0; i < 20; i++) {
        inject_wait("fp1", &a, (uint8_t) (2 + i));
        inject_wait("fp4", &b, (uint8_t) (2 + i));
    }
    assert_int_equal(captured("fp2"), 0);
    assert_int_equal(captured("fp3"), 20);
    assert_int_equal(captured("fp5"), 20);
    /* Same mask: both megaflows revalidated in place, no new miss. */
    assert_int_equal(perf_sum("misses"), miss0);
    flows = dp_bridge_dump_dp_flows(fx.br);
    json_t *fb = find_megaflow(flows, 4);
    assert_non_null(fb);
    assert_int_equal(json_integer_value(json_object_get(fb, "packets")), 21);
    json_t *fa = find_megaflow(flows, 1);
    assert_non_null(fa);
    assert_string_not_equal(json_string_value(json_object_get(fa, "actions")),
                            old_actions);
    json_decref(flows);
    /* Already in sync: answered at once. */
    assert_true(dp_bridge_sync_generation(fx.br,
                                          ft_pipeline_generation(fx.p)));
    bridge_down();
}

/* Many new flows beyond the upcall rate: the excess is dropped and
 * counted, an established flow keeps forwarding, counters add up. */
static void
test_miss_flood(void **state)
{
    (void) state;
    bridge_up(3);
    struct dp_flow_config cfg = { .upcall_rate = 50, .upcall_burst = 20 };
    dp_set_flow_config(&cfg);
    /* dl_src exact in one subtable: every source MAC is its own
     * megaflow. 02:00:00:00:10:00 -> 3, any other source -> 2. */
    struct ft_match m;
    struct ft_action to3 = t_output(3);
    t_match_all(&m);
    t_mac(&m.key.dl_src, 0x1000);
    memset(&m.mask.masks.dl_src, 0xff, sizeof m.mask.masks.dl_src);
    add_apply(20, &m, &to3, 1, 0);
    flow_in_port_output(1, 2);
    struct flow_id est = flow(5);
    inject_wait("fp1", &est, 0);
    assert_int_equal(captured("fp3"), 1);

    uint64_t pk0 = perf_sum("packets"), miss0 = perf_sum("misses");
    uint64_t hand0 = perf_sum("upcalls_handled");
    uint64_t drop0 = perf_sum("upcalls_dropped");
    const unsigned int n_new = 300, n_est = 100;
    unsigned int sent = 0;
    for (unsigned int i = 0; i < n_new; i++) {
        struct flow_id id = flow(100 + i);
        id.src_mac = 0x20000 + i;
        inject("fp1", &id, 1);
        sent++;
        if (i % 3 == 0 && i / 3 < n_est) {
            inject("fp1", &est, 2);
            sent++;
        }
    }
    wait_packets(pk0, sent);
    unsigned int est_out = captured("fp3");
    unsigned int new_out = captured("fp2");
    uint64_t misses = perf_sum("misses") - miss0;
    uint64_t handled = perf_sum("upcalls_handled") - hand0;
    uint64_t dropped = perf_sum("upcalls_dropped") - drop0;
    assert_int_equal(est_out, n_est);         /* never a miss, never lost */
    assert_int_equal(misses, n_new);
    assert_int_equal(misses, handled + dropped);
    assert_true(dropped > 0);
    if (handled < 19) {
        fail_msg("handled %llu dropped %llu", (unsigned long long) handled,
                 (unsigned long long) dropped);
    }                                         /* at least the bucket */
    assert_int_equal(new_out, handled);
    bridge_down();
}

static struct {
    unsigned int n;
    struct ft_dpact act;
    struct ft_key key;
    uint8_t data[FRAME_LEN];
    size_t len;
} pin;

static void
packet_in_cb(void *aux, const struct ft_dpact *act, const struct ft_key *key,
             const uint8_t *packet, size_t len)
{
    (void) aux;
    pin.n++;
    pin.act = *act;
    pin.key = *key;
    pin.len = len;
    memcpy(pin.data, packet, len < FRAME_LEN ? len : FRAME_LEN);
}

/* A flow sending to the controller: the packet arrives on main with its
 * reason, table and cookie. */
static void
test_packet_in(void **state)
{
    (void) state;
    bridge_up(2);
    memset(&pin, 0, sizeof pin);
    dp_bridge_set_packet_in_cb(fx.br, packet_in_cb, NULL);
    struct ft_match m;
    struct ft_action ctl = t_controller(128);
    t_match_all(&m);
    t_match_in_port(&m, 2);
    add_apply(10, &m, &ctl, 1, 0x5566);
    struct flow_id id = flow(6);
    uint8_t want[FRAME_LEN];
    build_udp(want, &id, 3);
    inject_wait("fp2", &id, 3);
    int64_t deadline = time_msec() + WAIT_MS;
    while (!pin.n) {
        assert_true(time_msec() < deadline);
        dp_run_upcalls(64);
        sleep_ms(1);
    }
    assert_int_equal(pin.n, 1);
    assert_int_equal(pin.act.type, FT_DPACT_CONTROLLER);
    assert_int_equal(pin.act.controller.reason, FT_OFPR_ACTION);
    assert_int_equal(pin.act.controller.table_id, 0);
    assert_int_equal(pin.act.controller.cookie, 0x5566);
    assert_int_equal(pin.act.controller.max_len, 128);
    assert_int_equal(pin.key.in_port, 2);
    assert_int_equal(pin.len, FRAME_LEN);
    assert_memory_equal(pin.data, want, FRAME_LEN);
    assert_int_equal(captured("fp1"), 0);
    bridge_down();
}

/* PACKET_OUT: the translated actions run on main during the call. */
static void
test_packet_out(void **state)
{
    (void) state;
    bridge_up(3);
    struct flow_id id = flow(7);
    uint8_t frame[FRAME_LEN];
    size_t len = build_udp(frame, &id, 9);
    struct ft_action a[] = { t_output(3), t_output(2) };
    struct ft_action_list list = { a, 2 };
    struct ft_key key;
    struct ft_xlate_out *out = malloc(sizeof *out);
    assert_non_null(out);
    memset(&key, 0, sizeof key);
    key.in_port = FT_OFPP_CONTROLLER;
    struct ft_xlate_in xin = { .key = &key, .now_ms = time_msec() };
    ft_xlate_packet_out(fx.p, &xin, &list, out);
    assert_int_equal(out->error, FT_XLATE_OK);
    assert_int_equal(dp_bridge_packet_out(fx.br, frame, len,
                                          FT_OFPP_CONTROLLER, out->acts,
                                          out->n_acts), 0);
    assert_int_equal(captured("fp3"), 1);
    assert_memory_equal(cap.data[0], frame, FRAME_LEN);
    assert_int_equal(captured("fp2"), 1);
    assert_int_equal(captured("fp1"), 0);
    assert_int_equal(dp_bridge_packet_out(fx.br, frame, 4,
                                          FT_OFPP_CONTROLLER, out->acts,
                                          out->n_acts), -EINVAL);
    free(out);
    bridge_down();
}

/* SELECT group of two buckets: flows spread by hash, each one sticks. */
static void
test_select_group(void **state)
{
    (void) state;
    bridge_up(3);
    struct ft_action o2 = t_output(2), o3 = t_output(3);
    struct ft_bucket_cfg b[2] = { t_bucket(&o2, 1), t_bucket(&o3, 1) };
    b[0].weight = b[1].weight = 1;
    t_add_group(fx.p, FT_OFPGT_SELECT, 1, b, 2);
    struct ft_match m;
    struct ft_action g = t_group(fx.p, 1);
    t_match_all(&m);
    t_match_in_port(&m, 1);
    add_apply(10, &m, &g, 1, 0);

    enum { N_FLOWS = 32, ROUNDS = 3 };
    int where[N_FLOWS];
    for (int r = 0; r < ROUNDS; r++) {
        for (int i = 0; i < N_FLOWS; i++) {
            struct flow_id id = flow(200 + (uint32_t) i);
            inject_wait("fp1", &id, (uint8_t) i);
            int port = captured("fp2") ? 2 : 0;
            if (captured("fp3")) {
                assert_int_equal(port, 0);
                port = 3;
            }
            assert_int_not_equal(port, 0);
            if (r == 0) {
                where[i] = port;
            } else {
                assert_int_equal(where[i], port);    /* sticks */
            }
        }
    }
    int n2 = 0;
    for (int i = 0; i < N_FLOWS; i++) {
        n2 += where[i] == 2;
    }
    assert_true(n2 > 0 && n2 < N_FLOWS);             /* spreads */
    bridge_down();
}

/* A meter of 10 packets/s with a burst of 5 lets few of 60 through. */
static void
test_meter_drops(void **state)
{
    (void) state;
    bridge_up(2);
    struct ft_meter_band_cfg band = { .type = FT_OFPMBT_DROP, .rate = 10,
                                      .burst_size = 5 };
    struct ft_meter_mod mm = { .command = FT_OFPMC_ADD,
                               .flags = FT_OFPMF_PKTPS | FT_OFPMF_BURST,
                               .meter_id = 1, .n_bands = 1,
                               .bands = &band };
    assert_true(ft_ofperr_is_ok(ft_pipeline_meter_mod(fx.p, &mm,
                                                      time_msec())));
    struct ft_insts in;
    struct ft_action out = t_output(2);
    struct ft_match m;
    t_insts_init(&in);
    in.meter_id = 1;
    in.has_apply = true;
    in.apply.acts = &out;
    in.apply.n = 1;
    t_match_all(&m);
    t_match_in_port(&m, 1);
    t_add_flow(fx.p, 0, 10, &m, &in);

    uint64_t pk0 = perf_sum("packets");
    struct flow_id id = flow(8);
    for (int i = 0; i < 60; i++) {
        inject("fp1", &id, (uint8_t) i);
    }
    wait_packets(pk0, 60);
    unsigned int passed = captured("fp2");
    assert_true(passed >= 1);
    assert_true(passed < 30);
    bridge_down();
}

/* An idle megaflow is removed by the revalidator after idle_ms. */
static void
test_idle_expiry(void **state)
{
    (void) state;
    bridge_up(2);
    struct dp_flow_config cfg = { .idle_ms = 50, .revalidate_ms = 10 };
    dp_set_flow_config(&cfg);
    flow_in_port_output(1, 2);
    struct flow_id id = flow(9);
    inject_wait("fp1", &id, 1);
    json_t *flows = dp_bridge_dump_dp_flows(fx.br);
    assert_int_equal(json_array_size(flows), 1);
    json_decref(flows);
    dp_run_revalidator(time_msec());
    flows = dp_bridge_dump_dp_flows(fx.br);
    assert_int_equal(json_array_size(flows), 1);      /* not idle yet */
    json_decref(flows);
    sleep_ms(80);
    dp_run_revalidator(time_msec());
    flows = dp_bridge_dump_dp_flows(fx.br);
    assert_int_equal(json_array_size(flows), 0);
    json_decref(flows);
    /* The next packet installs it again. */
    inject_wait("fp1", &id, 2);
    assert_int_equal(captured("fp2"), 2);
    bridge_down();
}

static int
find_flow_cb(const struct ft_flow *f, void *aux)
{
    *(const struct ft_flow **) aux = f;
    return 1;
}

/* Megaflow stats reach the OpenFlow flow on the revalidator's rounds. */
static void
test_flow_stats_credit(void **state)
{
    (void) state;
    bridge_up(2);
    struct dp_flow_config cfg = { .revalidate_ms = 1 };
    dp_set_flow_config(&cfg);
    flow_in_port_output(1, 2);
    struct ft_flow_filter filter;
    memset(&filter, 0, sizeof filter);
    filter.table_id = FT_OFPTT_ALL;
    filter.out_port = FT_OFPP_ANY;
    filter.out_group = FT_OFPG_ANY;
    t_match_all(&filter.match);
    const struct ft_flow *f = NULL;
    ft_pipeline_foreach_flow(fx.p, &filter, find_flow_cb, &f);
    assert_non_null(f);
    assert_int_equal(ft_flow_packet_count(f), 0);
    struct flow_id id = flow(10);
    for (int i = 0; i < 12; i++) {
        inject_wait("fp1", &id, (uint8_t) i);
    }
    sleep_ms(2);
    dp_run_revalidator(time_msec());
    assert_int_equal(ft_flow_packet_count(f), 12);
    assert_int_equal(ft_flow_byte_count(f), 12 * FRAME_LEN);
    /* Credited once: another round adds nothing. */
    sleep_ms(2);
    dp_run_revalidator(time_msec());
    assert_int_equal(ft_flow_packet_count(f), 12);
    bridge_down();
}

/* OpenFlow port config: NO_RECV drops at rx, PORT_DOWN stops output. */
static void
test_port_config(void **state)
{
    (void) state;
    bridge_up(2);
    flow_in_port_output(1, 2);
    struct flow_id id = flow(11);
    assert_int_equal(dp_port_set_of_config("fp1", 0x04, 0x04), 0);
    assert_int_equal(dp_port_get_of_config("fp1"), 0x04);
    inject_wait("fp1", &id, 1);
    assert_int_equal(captured("fp2"), 0);
    assert_int_equal(dp_port_set_of_config("fp1", 0, 0x04), 0);
    inject_wait("fp1", &id, 2);
    assert_int_equal(captured("fp2"), 1);
    assert_int_equal(dp_port_set_of_config("fp2", 0x01, 0x01), 0);
    inject_wait("fp1", &id, 3);
    assert_int_equal(captured("fp2"), 0);
    assert_int_equal(dp_port_set_of_config("nope", 0, 0), -ENOENT);
    assert_int_equal(dp_port_set_of_config("fp1", 0x1000, 0x1000), -EINVAL);
    bridge_down();
}

/* A link going down is seen by the periodic tick: the bridge's port-status
 * callback hears of it (for PORT_STATUS), and the port map's liveness
 * follows (FAST_FAILOVER and FLOOD read it). */
static unsigned int link_events;
static char link_event_port[16];

static void
on_link_event(void *aux, const char *port_name)
{
    (void) aux;
    link_events++;
    snprintf(link_event_port, sizeof link_event_port, "%s", port_name);
}

static void
test_link_change_reported(void **state)
{
    (void) state;
    bridge_up(2);
    link_events = 0;
    dp_bridge_set_port_status_cb(fx.br, on_link_event, NULL);
    dp_run_periodic(time_msec());
    assert_int_equal(link_events, 0);           /* nothing changed yet */

    json_t *info = dp_port_info("fp2");
    uint16_t port_id = (uint16_t) json_integer_value(
        json_object_get(info, "port_id"));
    json_decref(info);
    assert_int_equal(rte_eth_dev_set_link_down(port_id), 0);
    dp_run_periodic(time_msec());
    assert_int_equal(link_events, 1);
    assert_string_equal(link_event_port, "fp2");
    assert_int_equal(rte_eth_dev_set_link_up(port_id), 0);
    dp_run_periodic(time_msec());
    assert_int_equal(link_events, 2);
    dp_bridge_set_port_status_cb(fx.br, NULL, NULL);
    bridge_down();
}

/* Popping the bottom MPLS label recirculates (xlate must see the IPv4
 * header to route): the worker re-parses and looks the packet up again
 * with the recirculation id; both passes become megaflows. */
static void
test_recirculation(void **state)
{
    (void) state;
    bridge_up(3);
    struct ft_match m;
    struct ft_insts in;
    struct ft_action pop = t_ethertype(FT_OFPAT_POP_MPLS, T_ETH_IP);
    struct ft_action fwd = t_output(2);
    t_match_all(&m);
    t_match_in_port(&m, 1);
    t_match_dl_type(&m, T_ETH_MPLS);
    t_insts_init(&in);
    in.has_apply = true;
    in.apply = (struct ft_action_list) { &pop, 1 };
    in.goto_table = 1;
    t_add_flow(fx.p, 0, 10, &m, &in);
    t_match_all(&m);
    t_match_nw_dst(&m, t_ip(10, 0, 1, 0), 24);
    t_add_apply(fx.p, 1, 10, &m, &fwd, 1);

    uint8_t ip_frame[FRAME_LEN], mpls[FRAME_LEN + 4];
    for (int i = 0; i < 3; i++) {
        struct flow_id id = flow(0);
        id.nw_dst = i < 2 ? 0x0a000105 : 0x0a000205;  /* 10.0.1.5 routed */
        build_udp(ip_frame, &id, (uint8_t) i);
        memcpy(mpls, ip_frame, 12);
        mpls[12] = 0x88;
        mpls[13] = 0x47;
        /* label 100, TC 0, bottom of stack, TTL 64 */
        mpls[14] = 0x00; mpls[15] = 0x06; mpls[16] = 0x41; mpls[17] = 64;
        memcpy(mpls + 18, ip_frame + 14, FRAME_LEN - 14);
        uint64_t before = perf_sum("packets");
        assert_int_equal(dp_dummy_inject("fp1", mpls, sizeof mpls), 0);
        wait_packets(before, 1);
        /* The recirculated pass runs within the same burst. */
        if (i < 2) {
            assert_int_equal(captured("fp2"), 1);
            assert_int_equal(cap.len[0], FRAME_LEN);
            assert_memory_equal(cap.data[0], ip_frame, FRAME_LEN);
        } else {
            assert_int_equal(captured("fp2"), 0);
        }
    }
    /* First pass: pop and recirculate; second pass (recirc_id set): one
     * megaflow routed, one dropped. */
    json_t *flows = dp_bridge_dump_dp_flows(fx.br);
    size_t i;
    json_t *f;
    unsigned int n_first = 0, n_second = 0;
    json_array_foreach(flows, i, f) {
        const char *match = json_string_value(json_object_get(f, "match"));
        const char *acts = json_string_value(json_object_get(f, "actions"));
        if (strstr(acts, "recirc(")) {
            assert_non_null(strstr(match, "recirc_id=0x0,"));
            assert_int_equal(json_integer_value(json_object_get(f, "packets")),
                             3);
            n_first++;
        } else {
            assert_null(strstr(match, "recirc_id=0x0,"));
            n_second++;
        }
    }
    assert_int_equal(n_first, 1);
    assert_int_equal(n_second, 2);
    json_decref(flows);
    bridge_down();
}

/* Past the megaflow limit a miss is still translated and forwarded, just
 * not installed. */
static void
test_megaflow_limit(void **state)
{
    (void) state;
    bridge_up(3);
    struct dp_flow_config cfg = { .megaflow_limit = 2 };
    dp_set_flow_config(&cfg);
    struct ft_match m;
    struct ft_action to3 = t_output(3);
    t_match_all(&m);
    t_mac(&m.key.dl_src, 0x1000);
    memset(&m.mask.masks.dl_src, 0xff, sizeof m.mask.masks.dl_src);
    add_apply(20, &m, &to3, 1, 0);
    flow_in_port_output(1, 2);
    uint64_t miss0 = perf_sum("misses");
    for (uint32_t i = 0; i < 5; i++) {
        struct flow_id id = flow(i);
        id.src_mac = 0x30000 + i;
        inject_wait("fp1", &id, (uint8_t) i);
        inject_wait("fp1", &id, (uint8_t) i);
    }
    assert_int_equal(captured("fp2"), 10);
    json_t *flows = dp_bridge_dump_dp_flows(fx.br);
    assert_int_equal(json_array_size(flows), 2);
    json_decref(flows);
    /* Two flows installed (one miss each), three missed every time. */
    assert_int_equal(perf_sum("misses") - miss0, 2 + 3 * 2);
    assert_true(perf_sum("megaflow_full") >= 6);
    bridge_down();
}

/* ---- main ---------------------------------------------------------------------- */

static int
group_setup(void **state)
{
    (void) state;
    struct dp_init_args args = {
        .no_huge = true,
        .in_memory = true,
        .n_mbufs = 8192,
        .eal_extra = "--log-level=lib.eal:error --no-telemetry",
    };
    char err[DP_ERR_LEN];
    if (dp_init(&args, err, sizeof err)) {
        fprintf(stderr, "dp_init: %s\n", err);
        return -1;
    }
    dp_set_pmd_max_sleep(100);
    return 0;
}

static int
group_teardown(void **state)
{
    (void) state;
    dp_fini();
    return 0;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_openflow_forwarding),
        cmocka_unit_test(test_cache_counters),
        cmocka_unit_test(test_revalidation),
        cmocka_unit_test(test_miss_flood),
        cmocka_unit_test(test_packet_in),
        cmocka_unit_test(test_packet_out),
        cmocka_unit_test(test_select_group),
        cmocka_unit_test(test_meter_drops),
        cmocka_unit_test(test_idle_expiry),
        cmocka_unit_test(test_flow_stats_credit),
        cmocka_unit_test(test_port_config),
        cmocka_unit_test(test_link_change_reported),
        cmocka_unit_test(test_recirculation),
        cmocka_unit_test(test_megaflow_limit),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
