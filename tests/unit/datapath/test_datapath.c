/*
 * test_datapath.c — the datapath end to end on dummy ports: EAL in memory
 * without hugepages, PMD workers forwarding through each bridge's OpenFlow
 * pipeline holding the one flow a standalone bridge gets from ctl
 * (priority 0, table 0, actions=NORMAL), injected frames captured on the
 * other side. The test plays the daemon's main loop too: after each
 * injected frame it runs the revalidator, which fixes megaflows NORMAL
 * made before a MAC was learned. Also dpdk ports from devargs (net_ring,
 * net_null), errors, worker mask changes and rx queue placement.
 *
 * Single-threaded test code (it is the datapath's "main" thread); the PMD
 * workers run for real, so every check waits for them with a timeout.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <sys/socket.h>

#include <rte_dev.h>
#include <rte_eth_ring.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

#include "datapath/datapath.h"
#include "flowtable/ft_pipeline.h"
#include "lib/timeval.h"
#include "../xlate/xlate_test_util.h"

#define WAIT_MS 3000           /* generous: CI machines are slow */
#define MAX_CAP 512
#define ETH_TYPE_TEST 0x88b5   /* IEEE local experimental Ethertype */

/* ---- frames ------------------------------------------------------------- */

static void
mac_of(uint8_t mac[6], unsigned int n)
{
    static const uint8_t base[6] = { 0x02, 0, 0, 0, 0, 0 };
    memcpy(mac, base, 6);
    mac[4] = (uint8_t) (n >> 8);
    mac[5] = (uint8_t) n;
}

static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

/* dst, src, optional 802.1Q tag (vid < 0: none), test Ethertype, 46 bytes
 * of payload whose first byte is 'seq'. */
static size_t
build_frame(uint8_t *buf, const uint8_t dst[6], const uint8_t src[6],
            int vid, uint8_t pcp, uint8_t seq)
{
    size_t off = 0;
    memcpy(buf, dst, 6);
    memcpy(buf + 6, src, 6);
    off = 12;
    if (vid >= 0) {
        uint16_t tci = (uint16_t) ((pcp << 13) | (vid & 0xfff));
        buf[off++] = 0x81;
        buf[off++] = 0x00;
        buf[off++] = (uint8_t) (tci >> 8);
        buf[off++] = (uint8_t) tci;
    }
    buf[off++] = ETH_TYPE_TEST >> 8;
    buf[off++] = ETH_TYPE_TEST & 0xff;
    memset(buf + off, 0, 46);
    buf[off] = seq;
    return off + 46;
}

/* ---- capture ------------------------------------------------------------ */

struct capture {
    unsigned int n;
    size_t len[MAX_CAP];
    uint8_t head[MAX_CAP][64];
};

static void
capture_cb(const uint8_t *frame, size_t len, void *aux)
{
    struct capture *cap = aux;
    if (cap->n < MAX_CAP) {
        cap->len[cap->n] = len;
        memcpy(cap->head[cap->n], frame, len < 64 ? len : 64);
    }
    cap->n++;
}

static uint64_t
pmd_packets(void)
{
    json_t *stats = dp_pmd_stats();
    uint64_t sum = 0;
    size_t i;
    json_t *pmd;
    json_array_foreach(stats, i, pmd) {
        sum += (uint64_t) json_integer_value(json_object_get(pmd, "packets"));
    }
    json_decref(stats);
    return sum;
}

static void
sleep_ms(unsigned int ms)
{
    struct timespec ts = { ms / 1000, (long) (ms % 1000) * 1000000 };
    nanosleep(&ts, NULL);
}

/* Injects one frame and waits until a worker has processed it (its outputs
 * are in the tx rings once the counter moves), then does what the daemon's
 * main loop does between events: a MAC learned by that frame makes the
 * revalidator fix the megaflows NORMAL flooded with. */
static void
inject_wait(const char *port, const uint8_t *frame, size_t len)
{
    uint64_t before = pmd_packets();
    assert_int_equal(dp_dummy_inject(port, frame, len), 0);
    int64_t deadline = time_msec() + WAIT_MS;
    while (pmd_packets() < before + 1) {
        assert_true(time_msec() < deadline);
        sleep_ms(1);
    }
    dp_run_revalidator(time_msec());
}

/* Pops what 'port' transmitted. */
static unsigned int
captured(const char *port, struct capture *cap)
{
    memset(cap, 0, sizeof *cap);
    int n = dp_dummy_capture(port, MAX_CAP, capture_cb, cap);
    assert_true(n >= 0);
    return (unsigned int) n;
}

/* Waits until 'port' transmitted at least 'want' frames; returns count. */
static unsigned int
captured_wait(const char *port, struct capture *cap, unsigned int want)
{
    memset(cap, 0, sizeof *cap);
    int64_t deadline = time_msec() + WAIT_MS;
    for (;;) {
        int n = dp_dummy_capture(port, MAX_CAP, capture_cb, cap);
        assert_true(n >= 0);
        if (cap->n >= want || time_msec() > deadline) {
            return cap->n;
        }
        sleep_ms(1);
    }
}

static void
drain(const char *port)
{
    struct capture cap;
    while (captured(port, &cap) > 0) {
        continue;
    }
}

/* ---- setup helpers ------------------------------------------------------ */

static void
add_dummy(struct dp_bridge *br, const char *name, uint32_t ofport,
          const struct dp_vlan_config *vlan, const char *n_rxq)
{
    struct dp_port_spec spec = {
        .name = name, .type = "dummy", .ofport = ofport,
        .options = json_object(),
    };
    if (n_rxq) {
        json_object_set_new(spec.options, "n_rxq", json_string(n_rxq));
    }
    if (vlan) {
        spec.vlan = *vlan;
    }
    char err[DP_ERR_LEN] = "";
    int error = dp_port_add(br, &spec, err, sizeof err);
    if (error) {
        fprintf(stderr, "dp_port_add(%s): %s\n", name, err);
    }
    assert_int_equal(error, 0);
    json_decref(spec.options);
}

/* A net_ring vdev made from devargs pairs rx queue i with tx queue i on
 * one ring; with as many rx queues as tx queues (3 on a 2-CPU machine:
 * one per possible worker plus main) whatever a worker sends comes back. */
static int
add_dpdk(struct dp_bridge *br, const char *name, uint32_t ofport,
         const char *devargs, char *err)
{
    struct dp_port_spec spec = {
        .name = name, .type = "dpdk", .ofport = ofport,
        .options = json_pack("{s:s}", "dpdk-devargs", devargs),
    };
    if (!strncmp(devargs, "net_ring", 8)) {
        char n[32];
        long n_cpus = sysconf(_SC_NPROCESSORS_ONLN);
        snprintf(n, sizeof n, "%d",
                 (int) (n_cpus < 1 ? 2 : n_cpus + 1 > 16 ? 16 : n_cpus + 1));
        json_object_set_new(spec.options, "n_rxq", json_string(n));
    }
    int error = dp_port_add(br, &spec, err, DP_ERR_LEN);
    json_decref(spec.options);
    return error;
}

static struct dp_vlan_config
access_vlan(uint16_t tag)
{
    struct dp_vlan_config v;
    memset(&v, 0, sizeof v);
    v.mode = FT_VLAN_ACCESS;
    v.tag = tag;
    return v;
}

static struct dp_vlan_config
trunk_vlans(int a, int b)
{
    struct dp_vlan_config v;
    memset(&v, 0, sizeof v);
    v.mode = FT_VLAN_TRUNK;
    if (a >= 0) {
        v.trunks[a / 64] |= 1ULL << (a % 64);
    }
    if (b >= 0) {
        v.trunks[b / 64] |= 1ULL << (b % 64);
    }
    return v;
}

/* Bridges and the pipelines attached to them (ctl's job in the daemon). */
#define MAX_BRIDGES 8
static struct {
    struct dp_bridge *br;
    struct ft_pipeline *pipeline;
} bridges[MAX_BRIDGES];

/* A pipeline as ctl builds it for fail-mode standalone: one table-0 flow of
 * priority 0 whose action is OUTPUT:NORMAL. */
static struct ft_pipeline *
normal_pipeline(void)
{
    struct ft_pipeline_config cfg = { .qsbr = dp_qsbr() };
    struct ft_pipeline *p = ft_pipeline_create(&cfg);
    assert_non_null(p);
    struct ft_match m;
    struct ft_action normal = t_output(FT_OFPP_NORMAL);
    t_match_all(&m);
    t_add_apply(p, 0, 0, &m, &normal, 1);
    return p;
}

static struct dp_bridge *
new_bridge(const char *name)
{
    struct dp_bridge *br = NULL;
    assert_int_equal(dp_bridge_add(name, &br), 0);
    assert_non_null(br);
    for (unsigned int i = 0; i < MAX_BRIDGES; i++) {
        if (!bridges[i].br) {
            bridges[i].br = br;
            bridges[i].pipeline = normal_pipeline();
            dp_bridge_set_pipeline(br, bridges[i].pipeline);
            return br;
        }
    }
    fail_msg("too many bridges");
    return NULL;
}

/* Deletes the bridge, then its pipeline (nothing translates with it). */
static void
del_bridge(struct dp_bridge *br)
{
    dp_bridge_del(br);
    for (unsigned int i = 0; i < MAX_BRIDGES; i++) {
        if (bridges[i].br == br) {
            ft_pipeline_destroy(bridges[i].pipeline);
            bridges[i].br = NULL;
            bridges[i].pipeline = NULL;
        }
    }
}

/* ---- tests: L2 switching ------------------------------------------------ */

static void
test_flood_and_learn(void **state)
{
    (void) state;
    struct dp_bridge *br = new_bridge("br-learn");
    add_dummy(br, "l1", 1, NULL, NULL);
    add_dummy(br, "l2", 2, NULL, NULL);
    add_dummy(br, "l3", 3, NULL, NULL);

    uint8_t a[6], b[6], frame[128];
    mac_of(a, 0xa);
    mac_of(b, 0xb);
    struct capture cap;

    /* Unknown unicast floods to every other port, never back. */
    size_t len = build_frame(frame, b, a, -1, 0, 1);
    inject_wait("l1", frame, len);
    assert_int_equal(captured("l2", &cap), 1);
    assert_int_equal(cap.len[0], len);
    assert_memory_equal(cap.head[0], frame, 60 < len ? 60 : len);
    assert_int_equal(captured("l3", &cap), 1);
    assert_int_equal(captured("l1", &cap), 0);

    /* The reply goes only where A was learned. */
    len = build_frame(frame, a, b, -1, 0, 2);
    inject_wait("l2", frame, len);
    assert_int_equal(captured("l1", &cap), 1);
    assert_int_equal(cap.head[0][14], 2);
    assert_int_equal(captured("l3", &cap), 0);
    assert_int_equal(captured("l2", &cap), 0);

    /* And now B is known too. */
    len = build_frame(frame, b, a, -1, 0, 3);
    inject_wait("l1", frame, len);
    assert_int_equal(captured("l2", &cap), 1);
    assert_int_equal(captured("l3", &cap), 0);

    /* The MAC table shows both. */
    json_t *fdb = dp_bridge_fdb_dump(br);
    assert_int_equal(json_array_size(fdb), 2);
    json_decref(fdb);
    dp_bridge_fdb_flush(br);
    fdb = dp_bridge_fdb_dump(br);
    assert_int_equal(json_array_size(fdb), 0);
    json_decref(fdb);

    struct dp_port_stats st;
    assert_int_equal(dp_port_get_stats("l1", &st), 0);
    assert_int_equal(st.rx_packets, 2);
    assert_int_equal(st.tx_packets, 1);
    assert_int_equal(dp_port_get_stats("nope", &st), -ENOENT);

    del_bridge(br);
    assert_null(dp_bridge_find("br-learn"));
    assert_false(dp_port_exists("l1"));
}

static void
test_broadcast_floods(void **state)
{
    (void) state;
    struct dp_bridge *br = new_bridge("br-bc");
    add_dummy(br, "b1", 1, NULL, NULL);
    add_dummy(br, "b2", 2, NULL, NULL);
    add_dummy(br, "b3", 3, NULL, NULL);
    add_dummy(br, "b4", 4, NULL, NULL);

    uint8_t a[6], frame[128];
    mac_of(a, 0x1a);
    struct capture cap;
    size_t len = build_frame(frame, bcast, a, -1, 0, 7);
    for (int i = 0; i < 3; i++) {
        inject_wait("b2", frame, len);
    }
    assert_int_equal(captured("b1", &cap), 3);
    assert_int_equal(captured("b3", &cap), 3);
    assert_int_equal(captured("b4", &cap), 3);
    /* Shared (refcounted) buffers: every copy intact. */
    assert_int_equal(cap.len[2], len);
    assert_memory_equal(cap.head[2], frame, 60);
    assert_int_equal(captured("b2", &cap), 0);
    del_bridge(br);
}

static void
test_vlan_access_isolation(void **state)
{
    (void) state;
    struct dp_bridge *br = new_bridge("br-vlan");
    struct dp_vlan_config v10 = access_vlan(10), v20 = access_vlan(20);
    struct dp_vlan_config trunk = trunk_vlans(-1, -1);
    add_dummy(br, "a10", 1, &v10, NULL);
    add_dummy(br, "b10", 2, &v10, NULL);
    add_dummy(br, "c20", 3, &v20, NULL);
    add_dummy(br, "tr", 4, &trunk, NULL);

    uint8_t a[6], frame[128];
    mac_of(a, 0x2a);
    struct capture cap;

    /* Broadcast in VLAN 10: the other access port untagged, the trunk
     * tagged 10, never VLAN 20. */
    size_t len = build_frame(frame, bcast, a, -1, 0, 1);
    inject_wait("a10", frame, len);
    assert_int_equal(captured("b10", &cap), 1);
    assert_int_equal(cap.len[0], len);
    assert_memory_equal(cap.head[0], frame, len < 64 ? len : 64);
    assert_int_equal(captured("c20", &cap), 0);
    assert_int_equal(captured("tr", &cap), 1);
    assert_int_equal(cap.len[0], len + 4);
    assert_int_equal(cap.head[0][12], 0x81);
    assert_int_equal(cap.head[0][13], 0x00);
    assert_int_equal(((cap.head[0][14] << 8) | cap.head[0][15]) & 0xfff, 10);
    assert_int_equal(cap.head[0][16], ETH_TYPE_TEST >> 8);
    assert_memory_equal(cap.head[0], frame, 12);

    /* A tagged frame on an access port is dropped. */
    len = build_frame(frame, bcast, a, 10, 0, 2);
    inject_wait("a10", frame, len);
    assert_int_equal(captured("b10", &cap), 0);
    assert_int_equal(captured("tr", &cap), 0);
    struct dp_port_stats st;
    assert_int_equal(dp_port_get_stats("a10", &st), 0);
    assert_true(st.rx_dropped >= 1);

    /* VLAN 20 from the trunk reaches only c20, untagged. */
    uint8_t b[6];
    mac_of(b, 0x2b);
    len = build_frame(frame, bcast, b, 20, 3, 3);
    inject_wait("tr", frame, len);
    assert_int_equal(captured("c20", &cap), 1);
    assert_int_equal(cap.len[0], len - 4);
    assert_int_equal(cap.head[0][12], ETH_TYPE_TEST >> 8);
    assert_int_equal(captured("a10", &cap), 0);
    assert_int_equal(captured("b10", &cap), 0);
    del_bridge(br);
}

static void
test_trunk_tagging(void **state)
{
    (void) state;
    struct dp_bridge *br = new_bridge("br-trunk");
    struct dp_vlan_config t10 = trunk_vlans(10, -1);
    struct dp_vlan_config t1020 = trunk_vlans(10, 20);
    struct dp_vlan_config v10 = access_vlan(10);
    struct dp_vlan_config nu = trunk_vlans(10, 30);
    nu.mode = FT_VLAN_NATIVE_UNTAGGED;
    nu.tag = 10;
    struct dp_vlan_config nt = trunk_vlans(10, 30);
    nt.mode = FT_VLAN_NATIVE_TAGGED;
    nt.tag = 10;
    add_dummy(br, "t10", 1, &t10, NULL);
    add_dummy(br, "t1020", 2, &t1020, NULL);
    add_dummy(br, "acc10", 3, &v10, NULL);
    add_dummy(br, "nat-u", 4, &nu, NULL);
    add_dummy(br, "nat-t", 5, &nt, NULL);

    uint8_t a[6], frame[128];
    mac_of(a, 0x3a);
    struct capture cap;

    /* Tagged 10 with PCP 5 in on a trunk: trunks keep the tag (and PCP),
     * the access port and native-untagged port get it untagged, the
     * native-tagged port tagged. Two egress forms of one frame. */
    size_t len = build_frame(frame, bcast, a, 10, 5, 9);
    inject_wait("t10", frame, len);
    assert_int_equal(captured("t1020", &cap), 1);
    assert_int_equal(cap.len[0], len);
    assert_memory_equal(cap.head[0], frame, len < 64 ? len : 64);
    assert_int_equal(captured("nat-t", &cap), 1);
    assert_int_equal(cap.len[0], len);
    assert_int_equal(cap.head[0][14] >> 5, 5);
    assert_int_equal(captured("acc10", &cap), 1);
    assert_int_equal(cap.len[0], len - 4);
    assert_memory_equal(cap.head[0], frame, 12);
    assert_int_equal(cap.head[0][12], ETH_TYPE_TEST >> 8);
    assert_int_equal(cap.head[0][14], 9);
    assert_int_equal(captured("nat-u", &cap), 1);
    assert_int_equal(cap.len[0], len - 4);
    assert_int_equal(captured("t10", &cap), 0);

    /* VLAN 20 from t1020: only... no other port carries 20. */
    len = build_frame(frame, bcast, a, 20, 0, 10);
    inject_wait("t1020", frame, len);
    assert_int_equal(captured("t10", &cap), 0);
    assert_int_equal(captured("acc10", &cap), 0);
    assert_int_equal(captured("nat-u", &cap), 0);
    assert_int_equal(captured("nat-t", &cap), 0);

    /* Untagged on the native-untagged port = VLAN 10: trunks get it
     * tagged 10, the access port untagged. */
    uint8_t b[6];
    mac_of(b, 0x3b);
    len = build_frame(frame, bcast, b, -1, 0, 11);
    inject_wait("nat-u", frame, len);
    assert_int_equal(captured("t10", &cap), 1);
    assert_int_equal(cap.len[0], len + 4);
    assert_int_equal(((cap.head[0][14] << 8) | cap.head[0][15]) & 0xfff, 10);
    assert_int_equal(captured("t1020", &cap), 1);
    assert_int_equal(cap.len[0], len + 4);
    assert_int_equal(captured("nat-t", &cap), 1);
    assert_int_equal(cap.len[0], len + 4);
    assert_int_equal(captured("acc10", &cap), 1);
    assert_int_equal(cap.len[0], len);

    /* Reconfigure acc10 into VLAN 30: it leaves VLAN 10. */
    struct dp_vlan_config v30 = access_vlan(30);
    char err[DP_ERR_LEN];
    assert_int_equal(dp_port_reconfigure("acc10", NULL, &v30, err,
                                         sizeof err), 0);
    inject_wait("nat-u", frame, len);
    assert_int_equal(captured("acc10", &cap), 0);
    assert_int_equal(captured("t10", &cap), 1);
    del_bridge(br);
}

/* ---- tests: lifecycle under traffic ------------------------------------- */

static void
test_port_delete_under_traffic(void **state)
{
    (void) state;
    struct dp_bridge *br = new_bridge("br-del");
    char err[DP_ERR_LEN] = "";
    add_dummy(br, "d1", 1, NULL, NULL);
    add_dummy(br, "d2", 2, NULL, NULL);
    add_dummy(br, "d3", 3, NULL, NULL);
    /* Two looped-back net_ring ports make a broadcast storm: a broadcast
     * circles ring A -> ring B -> ring A forever, copied to the dummies on
     * every lap. Traffic the main thread does not have to drive. */
    assert_int_equal(add_dpdk(br, "ringA", 4, "net_ring_delA", err), 0);
    assert_int_equal(add_dpdk(br, "ringB", 5, "net_ring_delB", err), 0);
    uint8_t s1[6], storm[128];
    mac_of(s1, 0x4f);
    size_t storm_len = build_frame(storm, bcast, s1, -1, 0, 0);
    for (int i = 0; i < 8; i++) {
        assert_int_equal(dp_dummy_inject("d1", storm, storm_len), 0);
    }

    struct capture cap;
    assert_true(captured_wait("d2", &cap, 64) >= 64);
    /* Delete ports while the storm runs, several times over. */
    for (int round = 0; round < 3; round++) {
        assert_int_equal(dp_port_del("d3"), 0);
        assert_false(dp_port_exists("d3"));
        drain("d2");
        assert_true(captured_wait("d2", &cap, 32) >= 32);
        add_dummy(br, "d3", 3, NULL, NULL);
        assert_true(captured_wait("d3", &cap, 32) >= 32);
    }
    /* Deleting a ring ends the storm. */
    assert_int_equal(dp_port_del("ringB"), 0);
    assert_int_equal(dp_port_del("ringB"), -ENOENT);
    assert_int_equal(dp_port_del("ringA"), 0);

    /* Quiet now: a frame from d1 floods to d2 and d3 only. */
    sleep_ms(5);
    drain("d1");
    drain("d2");
    drain("d3");
    uint8_t a[6], frame[128];
    mac_of(a, 0x4a);
    size_t len = build_frame(frame, bcast, a, -1, 0, 1);
    inject_wait("d1", frame, len);
    assert_int_equal(captured("d2", &cap), 1);
    assert_int_equal(captured("d3", &cap), 1);
    del_bridge(br);
}

static void
test_pmd_mask_change(void **state)
{
    (void) state;
    struct dp_bridge *br = new_bridge("br-mask");
    add_dummy(br, "m1", 1, NULL, "2");
    add_dummy(br, "m2", 2, NULL, NULL);
    char err[DP_ERR_LEN];
    uint8_t a[6], frame[128];
    mac_of(a, 0x5a);
    size_t len = build_frame(frame, bcast, a, -1, 0, 1);
    struct capture cap;

    long n_cpus = sysconf(_SC_NPROCESSORS_ONLN);
    const char *masks[] = { "0x1", n_cpus > 1 ? "0x3" : "1", "1",
                            n_cpus > 1 ? "0x2" : "0x1" };
    for (size_t i = 0; i < sizeof masks / sizeof masks[0]; i++) {
        assert_int_equal(dp_set_pmd_cpu_mask(masks[i], err, sizeof err), 0);
        json_t *stats = dp_pmd_stats();
        unsigned int want = !strcmp(masks[i], "0x3") ? 2 : 1;
        assert_int_equal(json_array_size(stats), want);
        json_decref(stats);
        /* Every rxq polled by someone. */
        json_t *show = dp_pmd_rxq_show();
        size_t k, total = 0;
        json_t *pmd;
        json_array_foreach(show, k, pmd) {
            total += json_array_size(json_object_get(pmd, "rxqs"));
        }
        assert_int_equal(total, 3);
        json_decref(show);
        inject_wait("m1", frame, len);
        assert_int_equal(captured_wait("m2", &cap, 1), 1);
    }

    assert_int_equal(dp_set_pmd_cpu_mask("0x0", err, sizeof err), -EINVAL);
    assert_non_null(strstr(err, "selects no CPU"));
    assert_int_equal(dp_set_pmd_cpu_mask("zz", err, sizeof err), -EINVAL);
    assert_non_null(strstr(err, "not hexadecimal"));
    assert_int_equal(dp_set_pmd_cpu_mask("0x8000000000000000", err,
                                         sizeof err), -EINVAL);
    assert_non_null(strstr(err, "CPU 63"));
    del_bridge(br);
}

static void
test_rxq_assign(void **state)
{
    (void) state;
    long n_cpus = sysconf(_SC_NPROCESSORS_ONLN);
    char err[DP_ERR_LEN];
    struct dp_bridge *br = new_bridge("br-rxq");
    add_dummy(br, "q4", 1, NULL, "4");
    add_dummy(br, "q1", 2, NULL, NULL);
    json_t *info = dp_port_info("q4");
    assert_int_equal(json_integer_value(json_object_get(info, "n_rxq")), 4);
    json_decref(info);

    if (n_cpus > 1) {
        assert_int_equal(dp_set_pmd_cpu_mask("0x3", err, sizeof err), 0);
    }
    assert_int_equal(dp_set_rxq_assign("roundrobin", err, sizeof err), 0);
    json_t *show = dp_pmd_rxq_show();
    size_t i;
    json_t *pmd;
    size_t total = 0;
    json_array_foreach(show, i, pmd) {
        size_t n = json_array_size(json_object_get(pmd, "rxqs"));
        if (n_cpus > 1) {
            /* 5 queues dealt in turn: 3 and 2. */
            assert_true(n == 3 || n == 2);
        }
        total += n;
        json_t *rxq = json_array_get(json_object_get(pmd, "rxqs"), 0);
        assert_non_null(json_object_get(rxq, "port"));
        assert_non_null(json_object_get(rxq, "usage_pct"));
        assert_true(json_is_true(json_object_get(rxq, "enabled")));
    }
    assert_int_equal(total, 5);
    json_decref(show);

    /* Load on q1 only, then a cycles rebalance puts q1 alone on a worker
     * (it is the heaviest queue, placed first on the emptiest worker, and
     * the idle queues then fill the other one before it). */
    uint8_t a[6], frame[128];
    mac_of(a, 0x6a);
    size_t len = build_frame(frame, bcast, a, -1, 0, 1);
    for (int k = 0; k < 200; k++) {
        assert_int_equal(dp_dummy_inject("q1", frame, len), 0);
    }
    struct capture cap;
    assert_true(captured_wait("q4", &cap, 200) >= 200);
    assert_int_equal(dp_set_rxq_assign("cycles", err, sizeof err), 0);
    dp_pmd_rebalance();
    show = dp_pmd_rxq_show();
    total = 0;
    json_array_foreach(show, i, pmd) {
        json_t *rxqs = json_object_get(pmd, "rxqs");
        total += json_array_size(rxqs);
        if (n_cpus > 1) {
            json_t *first = json_array_get(rxqs, 0);
            if (!strcmp(json_string_value(json_object_get(first, "port")),
                        "q1")) {
                assert_int_equal(json_array_size(rxqs), 1);
            }
        }
    }
    assert_int_equal(total, 5);
    json_decref(show);
    assert_int_equal(dp_set_rxq_assign("random", err, sizeof err), -EINVAL);

    /* n_rxq changes re-create the device and re-place its queues. */
    json_t *opts = json_pack("{s:s}", "n_rxq", "2");
    assert_int_equal(dp_port_reconfigure("q4", opts, NULL, err, sizeof err), 0);
    json_decref(opts);
    info = dp_port_info("q4");
    assert_int_equal(json_integer_value(json_object_get(info, "n_rxq")), 2);
    json_decref(info);
    inject_wait("q4", frame, len);
    assert_int_equal(captured_wait("q1", &cap, 1), 1);

    /* Run the periodic tick past a window for coverage of that path. */
    dp_run_periodic(time_msec() + 6000);
    show = dp_pmd_rxq_show();
    assert_true(json_array_size(show) >= 1);
    json_decref(show);

    del_bridge(br);
    /* Back to one worker on the last CPU for the following tests. */
    char mask[8];
    snprintf(mask, sizeof mask, "0x%x", n_cpus > 1 ? 2 : 1);
    assert_int_equal(dp_set_pmd_cpu_mask(mask, err, sizeof err), 0);
}

/* Queues moving between two workers under traffic: a queue is never
 * polled by both at once, so no frame is received (and forwarded) twice or
 * lost. Each rxq assignment change moves queues (roundrobin deals them by
 * order, cycles by measured load). */
static void
test_rxq_move_under_traffic(void **state)
{
    (void) state;
    long n_cpus = sysconf(_SC_NPROCESSORS_ONLN);
    char err[DP_ERR_LEN];
    if (n_cpus < 2) {
        skip();
    }
    assert_int_equal(dp_set_pmd_cpu_mask("0x3", err, sizeof err), 0);
    struct dp_bridge *br = new_bridge("br-move");
    add_dummy(br, "mv8", 1, NULL, "8");
    add_dummy(br, "mvout", 2, NULL, NULL);

    uint8_t src[6], frame[128];
    unsigned int sent = 0, got = 0;
    struct capture cap;
    for (int round = 0; round < 400; round++) {
        for (unsigned int k = 0; k < 32; k++) {
            mac_of(src, 0x700 + k);
            size_t len = build_frame(frame, bcast, src, -1, 0, (uint8_t) k);
            if (dp_dummy_inject("mv8", frame, len) == 0) {
                sent++;
            }
        }
        assert_int_equal(dp_set_rxq_assign(round & 1 ? "roundrobin"
                                                     : "cycles",
                                           err, sizeof err), 0);
        got += captured("mvout", &cap);
    }
    int64_t deadline = time_msec() + WAIT_MS;
    while (got < sent && time_msec() < deadline) {
        got += captured("mvout", &cap);
        sleep_ms(1);
    }
    sleep_ms(50);
    got += captured("mvout", &cap);
    /* Every frame was received exactly once (a queue polled by two workers
     * would count some twice, a queue dropped in a move fewer), and each
     * one either reached the capture ring or was refused by it: a loaded
     * host can leave the workers a backlog that outruns this thread's
     * draining, and a full tx ring drops as a NIC's would. */
    struct dp_port_stats in, out;
    assert_int_equal(dp_port_get_stats("mv8", &in), 0);
    assert_int_equal(dp_port_get_stats("mvout", &out), 0);
    assert_int_equal(in.rx_packets, sent);
    assert_int_equal(in.rx_dropped, 0);
    assert_int_equal(out.tx_packets, got);
    assert_int_equal(got + out.tx_dropped, sent);

    del_bridge(br);
    assert_int_equal(dp_set_rxq_assign("cycles", err, sizeof err), 0);
    assert_int_equal(dp_set_pmd_cpu_mask("0x2", err, sizeof err), 0);
}

/* A frame can arrive still referenced by someone else (a ring port hands
 * back the very mbuf another holder has queued); a VLAN edit must then go
 * to a private copy. The test plays the other holder: it keeps a reference
 * to the mbuf it feeds in and checks its bytes afterwards. */
static void
test_vlan_edit_of_shared_mbuf(void **state)
{
    (void) state;
    char err[DP_ERR_LEN] = "";
    struct rte_ring *rx = rte_ring_create("shr_rx", 64, 0,
                                          RING_F_SP_ENQ | RING_F_SC_DEQ);
    struct rte_ring *tx = rte_ring_create("shr_tx", 64, 0, RING_F_SC_DEQ);
    assert_non_null(rx);
    assert_non_null(tx);
    assert_true(rte_eth_from_rings("shr", &rx, 1, &tx, 1, 0) >= 0);
    struct rte_mempool *pool = rte_pktmbuf_pool_create("shr_pool", 63, 0, 0,
                                                       RTE_MBUF_DEFAULT_BUF_SIZE,
                                                       0);
    assert_non_null(pool);

    struct dp_bridge *br = new_bridge("br-shr");
    struct dp_vlan_config acc = access_vlan(10);
    add_dummy(br, "sh-acc", 1, &acc, NULL);
    if (add_dpdk(br, "sh-ring", 2, "net_ring_shr", err)) {
        fail_msg("add ring port: %s", err);
    }

    /* Learn X on the access port. */
    uint8_t x[6], y[6], frame[128];
    mac_of(x, 0x51);
    mac_of(y, 0x52);
    size_t len = build_frame(frame, bcast, x, -1, 0, 1);
    inject_wait("sh-acc", frame, len);
    struct rte_mbuf *m;
    while (rte_ring_dequeue(tx, (void **) &m) == 0) {
        rte_pktmbuf_free(m);
    }

    /* A tagged unicast to X through the ring port, whose mbuf we share. */
    len = build_frame(frame, x, y, 10, 0, 2);
    m = rte_pktmbuf_alloc(pool);
    assert_non_null(m);
    memcpy(rte_pktmbuf_append(m, (uint16_t) len), frame, len);
    rte_mbuf_refcnt_update(m, 1);
    uint64_t before = pmd_packets();
    assert_int_equal(rte_ring_enqueue(rx, m), 0);
    int64_t deadline = time_msec() + WAIT_MS;
    while (pmd_packets() < before + 1) {
        assert_true(time_msec() < deadline);
        sleep_ms(1);
    }
    struct capture cap;
    assert_int_equal(captured_wait("sh-acc", &cap, 1), 1);
    assert_int_equal(cap.len[0], len - 4);          /* popped */
    assert_int_equal(cap.head[0][12], ETH_TYPE_TEST >> 8);
    /* Our reference still holds the frame as we queued it. */
    assert_int_equal(rte_pktmbuf_data_len(m), len);
    assert_memory_equal(rte_pktmbuf_mtod(m, uint8_t *), frame, len);
    rte_pktmbuf_free(m);

    /* A runt (no room for two MACs and a type) is dropped: neither
     * forwarded nor learned as 00:00:00:00:00:00. */
    struct dp_port_stats st;
    assert_int_equal(dp_port_get_stats("sh-ring", &st), 0);
    uint64_t drops = st.rx_dropped;
    m = rte_pktmbuf_alloc(pool);
    assert_non_null(m);
    memset(rte_pktmbuf_append(m, 10), 0, 10);
    before = pmd_packets();
    assert_int_equal(rte_ring_enqueue(rx, m), 0);
    deadline = time_msec() + WAIT_MS;
    while (pmd_packets() < before + 1) {
        assert_true(time_msec() < deadline);
        sleep_ms(1);
    }
    assert_int_equal(captured("sh-acc", &cap), 0);
    assert_int_equal(dp_port_get_stats("sh-ring", &st), 0);
    assert_int_equal(st.rx_dropped, drops + 1);
    json_t *fdb = dp_bridge_fdb_dump(br);
    size_t k;
    json_t *e;
    json_array_foreach(fdb, k, e) {
        assert_string_not_equal(json_string_value(json_object_get(e, "mac")),
                                "00:00:00:00:00:00");
    }
    json_decref(fdb);

    del_bridge(br);
    while (rte_ring_dequeue(tx, (void **) &m) == 0) {
        rte_pktmbuf_free(m);
    }
    rte_ring_free(rx);
    rte_ring_free(tx);
    rte_mempool_free(pool);
}

/* A chained mbuf (two segments, as vhost or a jumbo frame gives) flooded
 * to two ports is shared by reference: each segment needs the extra
 * reference, or the first transmission frees the second segment under the
 * other. Checked by counting the pool's mbufs afterwards: a double free
 * shows as one mbuf too many. */
static void
test_flood_chained_mbuf(void **state)
{
    (void) state;
    char err[DP_ERR_LEN] = "";
    struct rte_ring *rx = rte_ring_create("chn_rx", 64, 0,
                                          RING_F_SP_ENQ | RING_F_SC_DEQ);
    struct rte_ring *tx = rte_ring_create("chn_tx", 64, 0, RING_F_SC_DEQ);
    assert_non_null(rx);
    assert_non_null(tx);
    assert_true(rte_eth_from_rings("chn", &rx, 1, &tx, 1, 0) >= 0);
    /* 100 mbufs: room in the pool's ring for a duplicate to show. */
    struct rte_mempool *pool = rte_pktmbuf_pool_create("chn_pool", 100, 0, 0,
                                                       RTE_MBUF_DEFAULT_BUF_SIZE,
                                                       0);
    assert_non_null(pool);

    struct dp_bridge *br = new_bridge("br-chn");
    if (add_dpdk(br, "chn-ring", 1, "net_ring_chn", err)) {
        fail_msg("add ring port: %s", err);
    }
    add_dummy(br, "chn1", 2, NULL, NULL);
    add_dummy(br, "chn2", 3, NULL, NULL);

    uint8_t src[6], frame[128];
    mac_of(src, 0x61);
    size_t len = build_frame(frame, bcast, src, -1, 0, 3);
    struct rte_mbuf *head = rte_pktmbuf_alloc(pool);
    struct rte_mbuf *tail = rte_pktmbuf_alloc(pool);
    assert_non_null(head);
    assert_non_null(tail);
    memcpy(rte_pktmbuf_append(head, 20), frame, 20);
    memcpy(rte_pktmbuf_append(tail, (uint16_t) (len - 20)), frame + 20,
           len - 20);
    assert_int_equal(rte_pktmbuf_chain(head, tail), 0);

    uint64_t before = pmd_packets();
    assert_int_equal(rte_ring_enqueue(rx, head), 0);
    int64_t deadline = time_msec() + WAIT_MS;
    while (pmd_packets() < before + 1) {
        assert_true(time_msec() < deadline);
        sleep_ms(1);
    }
    struct capture cap;
    assert_int_equal(captured_wait("chn1", &cap, 1), 1);
    assert_int_equal(cap.len[0], len);
    assert_int_equal(captured_wait("chn2", &cap, 1), 1);
    assert_int_equal(cap.len[0], len);
    del_bridge(br);

    /* Every mbuf is back exactly once. */
    struct rte_mbuf *all[128];
    unsigned int n = 0;
    while (n < 128 && (all[n] = rte_pktmbuf_alloc(pool)) != NULL) {
        n++;
    }
    assert_int_equal(n, 100);
    for (unsigned int i = 0; i < n; i++) {
        rte_pktmbuf_free(all[i]);
    }
    rte_ring_free(rx);
    rte_ring_free(tx);
    rte_mempool_free(pool);
}

/* ---- tests: dpdk ports, errors, info ------------------------------------ */

static void
test_dpdk_ring_and_null(void **state)
{
    (void) state;
    char err[DP_ERR_LEN] = "";
    struct dp_bridge *br = new_bridge("br-dpdk");
    add_dummy(br, "r1", 1, NULL, NULL);
    add_dummy(br, "r2", 2, NULL, NULL);
    /* net_ring devargs: a looped-back ring, what it sends comes back. */
    assert_int_equal(add_dpdk(br, "ring0", 3, "net_ring_t0", err), 0);
    json_t *info = dp_port_info("ring0");
    assert_string_equal(json_string_value(json_object_get(info, "type")),
                        "dpdk");
    assert_string_equal(json_string_value(json_object_get(info, "devargs")),
                        "net_ring_t0");
    assert_string_equal(json_string_value(json_object_get(info, "driver")),
                        "net_ring");
    json_decref(info);

    uint8_t a[6], frame[128];
    mac_of(a, 0x7a);
    size_t len = build_frame(frame, bcast, a, -1, 0, 1);
    struct capture cap;
    assert_int_equal(dp_dummy_inject("r1", frame, len), 0);
    /* r2 gets it directly and once more through the ring's loop. */
    assert_int_equal(captured_wait("r2", &cap, 2), 2);
    struct dp_port_stats st;
    assert_int_equal(dp_port_get_stats("ring0", &st), 0);
    assert_true(st.tx_packets >= 1);
    assert_true(st.rx_packets >= 1);

    /* The same devargs twice is refused. */
    assert_int_equal(add_dpdk(br, "ring0b", 4, "net_ring_t0", err), -EBUSY);
    assert_non_null(strstr(err, "already in use by port ring0"));
    assert_int_equal(dp_port_del("ring0"), 0);
    /* Hot-removed: it can be added again. */
    assert_int_equal(add_dpdk(br, "ring0", 3, "net_ring_t0", err), 0);
    assert_int_equal(dp_port_del("ring0"), 0);

    /* net_null generates all-zero frames (source = destination = 0, so
     * after the first one they are "sent back" = consumed): rx counts. */
    assert_int_equal(add_dpdk(br, "null1", 5, "net_null_t1,size=128", err), 0);
    int64_t deadline = time_msec() + WAIT_MS;
    do {
        sleep_ms(1);
        assert_int_equal(dp_port_get_stats("null1", &st), 0);
        assert_true(time_msec() < deadline);
    } while (st.rx_packets < 1000);
    assert_int_equal(dp_port_del("null1"), 0);
    del_bridge(br);
}

static void
test_errors(void **state)
{
    (void) state;
    char err[DP_ERR_LEN] = "";
    struct dp_bridge *br = new_bridge("br-err");

    assert_true(add_dpdk(br, "bad0", 1, "net_foo0", err) < 0);
    assert_non_null(strstr(err, "could not probe 'net_foo0': No such device"));
    fprintf(stderr, "bad devargs error: %s\n", err);
    assert_false(dp_port_exists("bad0"));

    /* A PCI address with no device behind it: hot-plug is attempted (the
     * EAL allowlist does not block it) and fails with DPDK's reason. */
    assert_true(add_dpdk(br, "pci0", 1, "0000:ff:1f.7", err) < 0);
    fprintf(stderr, "missing PCI device error: %s\n", err);
    assert_non_null(strstr(err, "could not probe '0000:ff:1f.7'"));

    /* A device that probes but yields no ethdev (a bbdev): the failed add
     * must not leave it hot-plugged. */
    assert_true(add_dpdk(br, "bb0", 1, "baseband_null", err) < 0);
    fprintf(stderr, "no-ethdev device error: %s\n", err);
    assert_false(dp_port_exists("bb0"));
    if (strstr(err, "has no usable ethdev port")) {
        /* Nothing left to remove: the add undid its own probe. */
        assert_true(rte_eal_hotplug_remove("vdev", "baseband_null") < 0);
    }

    struct dp_port_spec spec = { .name = "nodev", .type = "dpdk", .ofport = 2 };
    assert_int_equal(dp_port_add(br, &spec, err, sizeof err), -EINVAL);
    assert_non_null(strstr(err, "dpdk-devargs"));

    spec = (struct dp_port_spec) { .name = "nosuchif0", .type = "system",
                                   .ofport = 3 };
    assert_int_equal(dp_port_add(br, &spec, err, sizeof err), -ENODEV);
    assert_non_null(strstr(err, "'nosuchif0' does not exist"));

    spec = (struct dp_port_spec) { .name = "x", .type = "weird", .ofport = 4 };
    assert_int_equal(dp_port_add(br, &spec, err, sizeof err), -EINVAL);
    assert_non_null(strstr(err, "unknown type 'weird'"));

    add_dummy(br, "e1", 5, NULL, NULL);
    spec = (struct dp_port_spec) { .name = "e1", .type = "dummy", .ofport = 6 };
    assert_int_equal(dp_port_add(br, &spec, err, sizeof err), -EEXIST);
    spec = (struct dp_port_spec) { .name = "e2", .type = "dummy", .ofport = 5 };
    assert_int_equal(dp_port_add(br, &spec, err, sizeof err), -EEXIST);
    assert_non_null(strstr(err, "ofport 5"));
    spec.ofport = 7;
    spec.options = json_pack("{s:s}", "n_rxq", "many");
    assert_int_equal(dp_port_add(br, &spec, err, sizeof err), -EINVAL);
    assert_non_null(strstr(err, "n_rxq"));
    json_decref(spec.options);
    spec.options = json_pack("{s:s}", "mac", "zz:zz");
    assert_int_equal(dp_port_add(br, &spec, err, sizeof err), -EINVAL);
    json_decref(spec.options);
    spec.options = NULL;
    spec.vlan.tag = 5000;
    assert_int_equal(dp_port_add(br, &spec, err, sizeof err), -EINVAL);

    /* A reconfiguration that fails leaves the VLAN settings as they were,
     * whether the options are refused up front or the device cannot be
     * re-created with them. */
    struct dp_vlan_config v7 = access_vlan(7);
    json_t *bad = json_pack("{s:s}", "n_rxq", "many");
    assert_int_equal(dp_port_reconfigure("e1", bad, &v7, err, sizeof err),
                     -EINVAL);
    json_decref(bad);
    bad = json_pack("{s:s}", "mac", "zz:zz");
    assert_int_equal(dp_port_reconfigure("e1", bad, &v7, err, sizeof err),
                     -EINVAL);
    json_decref(bad);
    json_t *info = dp_port_info("e1");
    assert_non_null(info);
    assert_string_equal(json_string_value(json_object_get(info, "vlan_mode")),
                        "trunk");
    assert_int_equal(json_integer_value(json_object_get(info, "tag")), 0);
    assert_null(json_object_get(info, "error"));
    json_decref(info);

    assert_int_equal(dp_bridge_add("br-err", NULL), -EEXIST);
    assert_int_equal(dp_dummy_inject("nope", (const uint8_t *) "x", 1),
                     -ENOENT);
    assert_int_equal(dp_dummy_capture("nope", 1, NULL, NULL), -ENOENT);
    assert_int_equal(dp_port_reconfigure("nope", NULL, NULL, err, sizeof err),
                     -ENOENT);
    del_bridge(br);
}

static void
test_info_and_memory(void **state)
{
    (void) state;
    json_t *mem = dp_memory_info();
    assert_false(json_is_true(json_object_get(mem, "hugepages")));
    assert_int_equal(json_integer_value(json_object_get(mem, "mbufs")), 8192);
    assert_true(json_integer_value(json_object_get(mem, "mempool_mb")) > 0);
    assert_true(json_integer_value(json_object_get(mem, "mbuf_size")) > 2048);
    json_decref(mem);

    struct dp_bridge *br = new_bridge("br-info");
    struct dp_port_spec spec = {
        .name = "i1", .type = "dummy", .ofport = 9,
        .options = json_pack("{s:s, s:s}", "mac", "02:11:22:33:44:55",
                             "mtu", "1400"),
    };
    spec.vlan = access_vlan(42);
    char err[DP_ERR_LEN];
    assert_int_equal(dp_port_add(br, &spec, err, sizeof err), 0);
    json_decref(spec.options);
    json_t *info = dp_port_info("i1");
    char *dump = json_dumps(info, JSON_COMPACT);
    fprintf(stderr, "port info: %s\n", dump);
    free(dump);
    assert_string_equal(json_string_value(json_object_get(info, "mac")),
                        "02:11:22:33:44:55");
    assert_string_equal(json_string_value(json_object_get(info, "bridge")),
                        "br-info");
    assert_string_equal(json_string_value(json_object_get(info, "vlan_mode")),
                        "access");
    assert_int_equal(json_integer_value(json_object_get(info, "tag")), 42);
    assert_int_equal(json_integer_value(json_object_get(info, "ofport")), 9);
    assert_int_equal(json_integer_value(json_object_get(info, "mtu")), 1400);
    assert_string_equal(json_string_value(json_object_get(info, "link")),
                        "up");
    json_decref(info);
    assert_null(dp_port_info("nope"));

    /* MTU alone changes live. */
    json_t *opts = json_pack("{s:s, s:s}", "mac", "02:11:22:33:44:55",
                             "mtu", "1500");
    assert_int_equal(dp_port_reconfigure("i1", opts, NULL, err, sizeof err),
                     0);
    json_decref(opts);
    info = dp_port_info("i1");
    assert_int_equal(json_integer_value(json_object_get(info, "mtu")), 1500);
    json_decref(info);

    json_t *stats = dp_pmd_stats();
    assert_true(json_array_size(stats) >= 1);
    json_t *pmd = json_array_get(stats, 0);
    assert_non_null(json_object_get(pmd, "busy_pct"));
    assert_non_null(json_object_get(pmd, "sleep_us"));
    json_decref(stats);
    dp_pmd_stats_clear();
    stats = dp_pmd_stats();
    assert_int_equal(json_integer_value(json_object_get(
                         json_array_get(stats, 0), "packets")), 0);
    json_decref(stats);

    dp_bridge_set_mac_aging(br, 1);
    dp_bridge_set_mac_table_size(br, 128);
    dp_run_periodic(time_msec());
    del_bridge(br);
}

/* ---- tests: system ports over a veth pair ------------------------------- */

/* A raw AF_PACKET socket on 'ifname': the kernel side of the test. */
static int
raw_socket(const char *ifname)
{
    int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
    if (fd < 0) {
        return -1;
    }
    struct sockaddr_ll sll;
    memset(&sll, 0, sizeof sll);
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons(ETH_P_ALL);
    sll.sll_ifindex = (int) if_nametoindex(ifname);
    if (bind(fd, (struct sockaddr *) &sll, sizeof sll)) {
        close(fd);
        return -1;
    }
    return fd;
}

/* Waits for a frame of our test Ethertype carrying 'seq' on 'fd'. */
static bool
raw_wait(int fd, uint8_t seq)
{
    int64_t deadline = time_msec() + WAIT_MS;
    while (time_msec() < deadline) {
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        if (poll(&pfd, 1, 50) <= 0) {
            continue;
        }
        uint8_t buf[2048];
        ssize_t n = recv(fd, buf, sizeof buf, 0);
        if (n >= 15 && buf[12] == (ETH_TYPE_TEST >> 8)
            && buf[13] == (ETH_TYPE_TEST & 0xff) && buf[14] == seq) {
            return true;
        }
    }
    return false;
}

static void
system_port_roundtrip(const char *mode)
{
    /* Per-process names: the normal and sanitizer builds may run at once. */
    char va[IFNAMSIZ], vb[IFNAMSIZ], cmd[256];
    snprintf(va, sizeof va, "dpt%da", (int) (getpid() % 100000));
    snprintf(vb, sizeof vb, "dpt%db", (int) (getpid() % 100000));
    snprintf(cmd, sizeof cmd, "ip link del %s >/dev/null 2>&1; "
             "ip link add %s type veth peer name %s && ip link set %s up",
             va, va, vb, vb);
    if (system(cmd) != 0) {
        fprintf(stderr, "no veth support here: skipping %s\n", mode);
        skip();
    }
    struct dp_bridge *br = new_bridge("br-sys");
    add_dummy(br, "s1", 1, NULL, NULL);
    struct dp_port_spec spec = {
        .name = va, .type = "system", .ofport = 2,
        .options = json_pack("{s:s}", "xdp-mode", mode),
    };
    char err[DP_ERR_LEN] = "";
    int error = dp_port_add(br, &spec, err, sizeof err);
    json_decref(spec.options);
    if (error) {
        fprintf(stderr, "system port (%s): %s\n", mode, err);
    }
    assert_int_equal(error, 0);
    json_t *info = dp_port_info(va);
    const char *got = json_string_value(json_object_get(info, "mode"));
    assert_string_equal(got, !strcmp(mode, "af-packet") ? "af_packet"
                                                        : "af_xdp");
    /* The class brought the interface up. */
    assert_string_equal(json_string_value(json_object_get(info, "link")),
                        "up");
    json_decref(info);

    int fd = raw_socket(vb);
    assert_true(fd >= 0);
    uint8_t a[6], b[6], frame[128];
    mac_of(a, 0x8a);
    mac_of(b, 0x8b);
    struct capture cap;

    /* dummy -> system port -> kernel peer */
    size_t len = build_frame(frame, bcast, a, -1, 0, 0x51);
    assert_int_equal(dp_dummy_inject("s1", frame, len), 0);
    assert_true(raw_wait(fd, 0x51));

    /* kernel peer -> system port -> dummy (unicast to the learned MAC) */
    len = build_frame(frame, a, b, -1, 0, 0x52);
    assert_int_equal(send(fd, frame, len, 0), (ssize_t) len);
    bool seen = false;
    int64_t deadline = time_msec() + WAIT_MS;
    while (!seen && time_msec() < deadline) {
        captured_wait("s1", &cap, 1);
        for (unsigned int i = 0; i < cap.n && i < MAX_CAP; i++) {
            if (cap.head[i][12] == (ETH_TYPE_TEST >> 8)
                && cap.head[i][14] == 0x52) {
                seen = true;
            }
        }
    }
    assert_true(seen);
    close(fd);
    del_bridge(br);
    snprintf(cmd, sizeof cmd, "ip link del %s", va);
    assert_int_equal(system(cmd), 0);
}

static void
test_system_af_xdp(void **state)
{
    (void) state;
    system_port_roundtrip("native");
}

static void
test_system_af_packet(void **state)
{
    (void) state;
    system_port_roundtrip("af-packet");
}

/* ---- main --------------------------------------------------------------- */

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
    int error = dp_init(&args, err, sizeof err);
    if (error) {
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
        cmocka_unit_test(test_info_and_memory),
        cmocka_unit_test(test_flood_and_learn),
        cmocka_unit_test(test_broadcast_floods),
        cmocka_unit_test(test_vlan_access_isolation),
        cmocka_unit_test(test_trunk_tagging),
        cmocka_unit_test(test_port_delete_under_traffic),
        cmocka_unit_test(test_pmd_mask_change),
        cmocka_unit_test(test_rxq_assign),
        cmocka_unit_test(test_rxq_move_under_traffic),
        cmocka_unit_test(test_dpdk_ring_and_null),
        cmocka_unit_test(test_vlan_edit_of_shared_mbuf),
        cmocka_unit_test(test_flood_chained_mbuf),
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_system_af_xdp),
        cmocka_unit_test(test_system_af_packet),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
