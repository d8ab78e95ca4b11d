/*
 * test_normal.c — unit tests of the NORMAL action (flowtable/ft_normal.h):
 * MAC learning, ageing on a virtual clock, size bound, flushing, VLAN
 * modes, flooding, RCU-deferred slot reuse and concurrent learners.
 *
 * EAL comes up once in main() without hugepages or PCI, and without shared
 * config files, IPC or telemetry sockets, so the test runs anywhere and in
 * parallel with other EAL tests. (DPDK 22.11 refuses --in-memory together
 * with --no-huge, which implies --legacy-mem; --no-shconf is its stand-in.)
 */
#include <errno.h>
#include <pthread.h>
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
#include <rte_eal.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_rcu_qsbr.h>

#include "flowtable/ft_normal.h"

#define AGING_MS ((int64_t) FT_MAC_DEFAULT_AGING_S * 1000)

/* ---- helpers -------------------------------------------------------------- */

static struct ft_eth_addr
mac_n(unsigned int n)
{
    struct ft_eth_addr ea = { { 0x02, 0x00, 0x00, 0x00,
                                (uint8_t) (n >> 8), (uint8_t) n } };
    return ea;
}

static const struct ft_eth_addr broadcast = {
    { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff }
};
static const struct ft_eth_addr multicast = {
    { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 }
};

/* A frame from 'src' to 'dst'; 'tci' (host order) 0 means untagged. */
static struct ft_key
frame(struct ft_eth_addr src, struct ft_eth_addr dst, uint16_t tci)
{
    struct ft_key key;

    memset(&key, 0, sizeof key);
    key.dl_src = src;
    key.dl_dst = dst;
    key.dl_type = htons(0x0800);
    if (tci) {
        key.vlans[0].tpid = htons(0x8100);
        key.vlans[0].tci = htons(tci);
    }
    return key;
}

static uint16_t
tag(uint16_t vid, uint16_t pcp)
{
    return (uint16_t) (FT_VLAN_PRESENT | (pcp << FT_VLAN_PCP_SHIFT) | vid);
}

static struct ft_normal_port
access_port(uint32_t port, uint16_t vlan)
{
    struct ft_normal_port p;

    memset(&p, 0, sizeof p);
    p.port = port;
    p.mode = FT_VLAN_ACCESS;
    p.tag = vlan;
    return p;
}

static void
trunk_add(struct ft_normal_port *p, uint16_t vlan)
{
    p->trunks[vlan / 64] |= UINT64_C(1) << (vlan % 64);
}

/* A trunk port; 'vlans' is a 0-terminated list, NULL for all VLANs. */
static struct ft_normal_port
trunk_port(uint32_t port, enum ft_vlan_mode mode, uint16_t native,
           const uint16_t *vlans, unsigned int n_vlans)
{
    struct ft_normal_port p;

    memset(&p, 0, sizeof p);
    p.port = port;
    p.mode = mode;
    p.tag = native;
    p.trunks_all = !vlans;
    for (unsigned int i = 0; vlans && i < n_vlans; i++) {
        trunk_add(&p, vlans[i]);
    }
    return p;
}

/* The output to 'port' in 'r', or NULL. */
static const struct ft_normal_output *
output_to(const struct ft_normal_result *r, uint32_t port)
{
    for (unsigned int i = 0; i < r->n_outputs; i++) {
        if (r->outputs[i].port == port) {
            return &r->outputs[i];
        }
    }
    return NULL;
}

static struct ft_mac_table *
table_new(unsigned int max)
{
    static unsigned int n;
    char name[32];

    snprintf(name, sizeof name, "t%u", n++);
    struct ft_mac_table *t = ft_mac_table_create(name, max, NULL);
    assert_non_null(t);
    return t;
}

/* ---- names and snapshots ------------------------------------------------ */

static void
test_vlan_mode_strings(void **state)
{
    static const char *const names[] = {
        "access", "trunk", "native-tagged", "native-untagged"
    };
    enum ft_vlan_mode mode;

    (void) state;
    for (unsigned int i = 0; i < 4; i++) {
        assert_int_equal(ft_vlan_mode_from_string(names[i], &mode), 0);
        assert_string_equal(ft_vlan_mode_to_string(mode), names[i]);
    }
    assert_int_equal(ft_vlan_mode_from_string("access", &mode), 0);
    assert_int_equal(mode, FT_VLAN_ACCESS);
    assert_int_equal(ft_vlan_mode_from_string("Access", &mode), -EINVAL);
    assert_int_equal(ft_vlan_mode_from_string("", &mode), -EINVAL);
    assert_int_equal(ft_vlan_mode_from_string(NULL, &mode), -EINVAL);
    assert_string_equal(ft_vlan_mode_to_string((enum ft_vlan_mode) 42),
                        "unknown");
}

static void
test_ports_create(void **state)
{
    struct ft_normal_port in[3] = {
        access_port(30, 1), access_port(10, 1), access_port(20, 2),
    };

    (void) state;
    struct ft_normal_ports *ports = ft_normal_ports_create(in, 3);
    assert_non_null(ports);
    assert_int_equal(ports->n, 3);
    assert_int_equal(ports->ports[0].port, 10);
    assert_int_equal(ports->ports[1].port, 20);
    assert_int_equal(ports->ports[2].port, 30);
    free(ports);

    ports = ft_normal_ports_create(NULL, 0);
    assert_non_null(ports);
    assert_int_equal(ports->n, 0);
    free(ports);

    in[2].port = 10;                    /* duplicate handle */
    errno = 0;
    assert_null(ft_normal_ports_create(in, 3));
    assert_int_equal(errno, EINVAL);

    in[2] = access_port(20, 4096);      /* VID out of range */
    assert_null(ft_normal_ports_create(in, 3));

    in[2] = access_port(20, 2);
    in[2].mode = (enum ft_vlan_mode) 9;
    assert_null(ft_normal_ports_create(in, 3));

    assert_null(ft_normal_ports_create(in, FT_NORMAL_MAX_OUTPUTS + 1));
}

/* ---- MAC table ------------------------------------------------------------ */

static void
test_learn_lookup(void **state)
{
    struct ft_mac_table *t = table_new(0);
    struct ft_eth_addr a = mac_n(1), b = mac_n(2);
    struct ft_mac_stats st;

    (void) state;
    assert_int_equal(ft_mac_lookup(t, &a, 1), -1);
    assert_int_equal(ft_mac_learn(t, &a, 1, 7, 0), 0);
    assert_int_equal(ft_mac_learn(t, &b, 1, 8, 0), 0);
    assert_int_equal(ft_mac_lookup(t, &a, 1), 7);
    assert_int_equal(ft_mac_lookup(t, &b, 1), 8);
    assert_int_equal(ft_mac_lookup(t, &a, 2), -1);
    assert_int_equal(ft_mac_count(t), 2);

    /* Same station again: no new entry. */
    assert_int_equal(ft_mac_learn(t, &a, 1, 7, 10), 0);
    assert_int_equal(ft_mac_count(t), 2);

    ft_mac_table_get_stats(t, &st);
    assert_int_equal(st.learned, 2);
    assert_int_equal(st.moved, 0);
    assert_int_equal(st.n_entries, 2);
    assert_int_equal(st.max_entries, FT_MAC_DEFAULT_MAX);
    assert_int_equal(ft_mac_table_get_aging(t), FT_MAC_DEFAULT_AGING_S);

    /* Bad arguments learn nothing. */
    assert_int_equal(ft_mac_learn(t, &a, 4096, 7, 0), -EINVAL);
    assert_int_equal(ft_mac_learn(t, &b, 3, UINT32_MAX, 0), 0);
    assert_int_equal(ft_mac_lookup(t, &b, 3), UINT32_MAX);
    ft_mac_flush(t, UINT32_MAX);
    assert_int_equal(ft_mac_lookup(t, &b, 3), -1);
    assert_int_equal(ft_mac_lookup(t, &a, 4096), -1);
    assert_int_equal(ft_mac_count(t), 2);
    ft_mac_table_destroy(t);
}

static void
test_port_move(void **state)
{
    struct ft_mac_table *t = table_new(0);
    struct ft_eth_addr a = mac_n(1);
    struct ft_mac_stats st;

    (void) state;
    assert_int_equal(ft_mac_learn(t, &a, 5, 1, 0), 0);
    assert_int_equal(ft_mac_learn(t, &a, 5, 2, 100), 0);
    assert_int_equal(ft_mac_lookup(t, &a, 5), 2);
    assert_int_equal(ft_mac_count(t), 1);
    ft_mac_table_get_stats(t, &st);
    assert_int_equal(st.learned, 1);
    assert_int_equal(st.moved, 1);
    ft_mac_table_destroy(t);
}

static void
test_ageing(void **state)
{
    struct ft_mac_table *t = table_new(0);
    struct ft_eth_addr a = mac_n(1), b = mac_n(2);
    struct ft_mac_stats st;

    (void) state;
    int64_t t0 = 1000000;
    assert_int_equal(ft_mac_learn(t, &a, 1, 1, t0), 0);
    assert_int_equal(ft_mac_learn(t, &b, 1, 2, t0), 0);

    assert_int_equal(ft_mac_expire(t, t0 + AGING_MS - 1000), 0);
    assert_int_equal(ft_mac_lookup(t, &a, 1), 1);
    assert_int_equal(ft_mac_expire(t, t0 + AGING_MS), 0);  /* not idle > */

    /* b is refreshed half way, a is not. */
    assert_int_equal(ft_mac_learn(t, &b, 1, 2, t0 + AGING_MS / 2), 0);
    assert_int_equal(ft_mac_expire(t, t0 + AGING_MS + 1000), 1);
    assert_int_equal(ft_mac_lookup(t, &a, 1), -1);
    assert_int_equal(ft_mac_lookup(t, &b, 1), 2);
    assert_int_equal(ft_mac_count(t), 1);

    assert_int_equal(ft_mac_expire(t, t0 + AGING_MS / 2 + AGING_MS + 1000),
                     1);
    assert_int_equal(ft_mac_lookup(t, &b, 1), -1);
    assert_int_equal(ft_mac_count(t), 0);
    ft_mac_table_get_stats(t, &st);
    assert_int_equal(st.expired, 2);

    /* Relearning after expiry works. */
    assert_int_equal(ft_mac_learn(t, &a, 1, 3, t0 + 2 * AGING_MS), 0);
    assert_int_equal(ft_mac_lookup(t, &a, 1), 3);
    ft_mac_table_destroy(t);
}

static void
record_last_seen(const struct ft_mac_entry *e, void *aux)
{
    *(int64_t *) aux = e->last_seen_ms;
}

static void
test_refresh_rate_limited(void **state)
{
    struct ft_mac_table *t = table_new(0);
    struct ft_eth_addr a = mac_n(1);
    int64_t seen = -1;

    (void) state;
    assert_int_equal(ft_mac_learn(t, &a, 1, 1, 5000), 0);
    assert_int_equal(ft_mac_learn(t, &a, 1, 1, 5999), 0);
    ft_mac_table_dump(t, record_last_seen, &seen);
    assert_int_equal(seen, 5000);       /* < 1 s later: nothing written */
    assert_int_equal(ft_mac_learn(t, &a, 1, 1, 6000), 0);
    ft_mac_table_dump(t, record_last_seen, &seen);
    assert_int_equal(seen, 6000);
    ft_mac_table_destroy(t);
}

static void
test_set_aging(void **state)
{
    struct ft_mac_table *t = table_new(0);
    struct ft_eth_addr a = mac_n(1);

    (void) state;
    ft_mac_table_set_aging(t, 15);
    assert_int_equal(ft_mac_table_get_aging(t), 15);
    assert_int_equal(ft_mac_learn(t, &a, 1, 1, 0), 0);
    assert_int_equal(ft_mac_expire(t, 14000), 0);
    assert_int_equal(ft_mac_expire(t, 16000), 1);
    ft_mac_table_set_aging(t, 0);
    assert_int_equal(ft_mac_table_get_aging(t), 1);
    ft_mac_table_destroy(t);
}

static void
test_table_full(void **state)
{
    struct ft_mac_table *t = table_new(4);
    struct ft_normal_port p[3] = {
        access_port(1, 1), access_port(2, 1), access_port(3, 1),
    };
    struct ft_normal_ports *ports = ft_normal_ports_create(p, 3);
    struct ft_normal_result r;
    struct ft_mac_stats st;

    (void) state;
    for (unsigned int i = 0; i < 4; i++) {
        struct ft_eth_addr m = mac_n(i);
        assert_int_equal(ft_mac_learn(t, &m, 1, 1, 0), 0);
    }
    struct ft_eth_addr extra = mac_n(100), known = mac_n(0);
    assert_int_equal(ft_mac_learn(t, &extra, 1, 2, 0), -ENOSPC);
    assert_int_equal(ft_mac_count(t), 4);
    /* Existing entries still refresh and move when full. */
    assert_int_equal(ft_mac_learn(t, &known, 1, 3, 0), 0);
    assert_int_equal(ft_mac_lookup(t, &known, 1), 3);

    /* A frame from the unlearnable station is still switched... */
    struct ft_key k = frame(extra, known, 0);
    ft_normal_xlate(ports, t, &k, 2, 0, &r);
    assert_false(r.dropped);
    assert_int_equal(r.n_outputs, 1);
    assert_int_equal(r.outputs[0].port, 3);
    /* ...and frames to it flood, as it stays unknown. */
    k = frame(known, extra, 0);
    ft_normal_xlate(ports, t, &k, 3, 0, &r);
    assert_true(r.flooded);
    assert_int_equal(r.n_outputs, 2);

    ft_mac_table_get_stats(t, &st);
    assert_int_equal(st.full, 2);
    assert_int_equal(st.learned, 4);
    assert_int_equal(st.moved, 1);

    /* Room again after a flush. */
    ft_mac_flush(t, 1);
    assert_int_equal(ft_mac_count(t), 1);
    assert_int_equal(ft_mac_learn(t, &extra, 1, 2, 0), 0);
    assert_int_equal(ft_mac_lookup(t, &extra, 1), 2);
    free(ports);
    ft_mac_table_destroy(t);
}

static void
test_flush(void **state)
{
    struct ft_mac_table *t = table_new(0);
    struct ft_mac_stats st;

    (void) state;
    for (unsigned int i = 0; i < 30; i++) {
        struct ft_eth_addr m = mac_n(i);
        assert_int_equal(ft_mac_learn(t, &m, (uint16_t) (i % 3), i % 2, 0),
                         0);
    }
    assert_int_equal(ft_mac_count(t), 30);
    ft_mac_flush(t, 1);
    assert_int_equal(ft_mac_count(t), 15);
    for (unsigned int i = 0; i < 30; i++) {
        struct ft_eth_addr m = mac_n(i);
        assert_int_equal(ft_mac_lookup(t, &m, (uint16_t) (i % 3)),
                         i % 2 ? -1 : 0);
    }
    ft_mac_flush(t, 5);                 /* nothing there */
    assert_int_equal(ft_mac_count(t), 15);
    ft_mac_flush(t, -1);
    assert_int_equal(ft_mac_count(t), 0);
    ft_mac_table_get_stats(t, &st);
    assert_int_equal(st.flushed, 30);

    /* Slots are reusable: fill again. */
    for (unsigned int i = 0; i < 30; i++) {
        struct ft_eth_addr m = mac_n(i + 1000);
        assert_int_equal(ft_mac_learn(t, &m, 1, 4, 0), 0);
        assert_int_equal(ft_mac_lookup(t, &m, 1), 4);
    }
    assert_int_equal(ft_mac_count(t), 30);
    ft_mac_table_destroy(t);
}

struct dump_seen {
    unsigned int n;
    unsigned int seen_mask;
};

static void
dump_cb(const struct ft_mac_entry *e, void *aux)
{
    struct dump_seen *d = aux;
    unsigned int i = e->mac.ea[5];

    d->n++;
    assert_true(i < 8);
    assert_int_equal(e->vlan, 10 + i);
    assert_int_equal(e->port, 100 + i);
    assert_int_equal(e->last_seen_ms, 1000 * i);
    d->seen_mask |= 1u << i;
}

static void
test_dump(void **state)
{
    struct ft_mac_table *t = table_new(0);
    struct dump_seen d = { 0, 0 };

    (void) state;
    ft_mac_table_dump(t, dump_cb, &d);
    assert_int_equal(d.n, 0);
    for (unsigned int i = 0; i < 8; i++) {
        struct ft_eth_addr m = mac_n(i);
        assert_int_equal(ft_mac_learn(t, &m, (uint16_t) (10 + i), 100 + i,
                                      1000 * i), 0);
    }
    ft_mac_table_dump(t, dump_cb, &d);
    assert_int_equal(d.n, 8);
    assert_int_equal(d.seen_mask, 0xff);
    ft_mac_table_destroy(t);
}

/* ---- switching -------------------------------------------------------------- */

/* Ports 1, 2, 3 access VLAN 10; 4 access VLAN 20; 5 trunk (all). */
static struct ft_normal_ports *
mixed_ports(void)
{
    struct ft_normal_port p[5] = {
        access_port(3, 10), access_port(1, 10), access_port(2, 10),
        access_port(4, 20), trunk_port(5, FT_VLAN_TRUNK, 0, NULL, 0),
    };
    struct ft_normal_ports *ports = ft_normal_ports_create(p, 5);
    assert_non_null(ports);
    return ports;
}

static void
test_multicast_source_not_learned(void **state)
{
    struct ft_mac_table *t = table_new(0);
    struct ft_normal_ports *ports = mixed_ports();
    struct ft_normal_result r;

    (void) state;
    struct ft_key k = frame(multicast, mac_n(1), 0);
    ft_normal_xlate(ports, t, &k, 1, 0, &r);
    k = frame(broadcast, mac_n(1), 0);
    ft_normal_xlate(ports, t, &k, 1, 0, &r);
    assert_int_equal(ft_mac_count(t), 0);
    assert_int_equal(ft_mac_lookup(t, &multicast, 10), -1);
    assert_int_equal(ft_mac_lookup(t, &broadcast, 10), -1);
    free(ports);
    ft_mac_table_destroy(t);
}

static void
test_flood_excludes_input(void **state)
{
    struct ft_mac_table *t = table_new(0);
    struct ft_normal_ports *ports = mixed_ports();
    struct ft_normal_result r;

    (void) state;
    struct ft_key k = frame(mac_n(1), broadcast, 0);
    ft_normal_xlate(ports, t, &k, 1, 0, &r);
    assert_false(r.dropped);
    assert_true(r.flooded);
    assert_int_equal(r.vlan, 10);
    assert_int_equal(r.n_outputs, 3);   /* 2, 3 and the trunk */
    assert_null(output_to(&r, 1));
    assert_non_null(output_to(&r, 2));
    assert_non_null(output_to(&r, 3));
    assert_non_null(output_to(&r, 5));
    assert_null(output_to(&r, 4));
    struct ft_eth_addr src = mac_n(1);
    assert_int_equal(ft_mac_lookup(t, &src, 10), 1);

    /* Multicast and unknown unicast flood the same way. */
    k = frame(mac_n(1), multicast, 0);
    ft_normal_xlate(ports, t, &k, 1, 0, &r);
    assert_true(r.flooded);
    assert_int_equal(r.n_outputs, 3);
    assert_null(output_to(&r, 1));
    k = frame(mac_n(1), mac_n(99), 0);
    ft_normal_xlate(ports, t, &k, 1, 0, &r);
    assert_true(r.flooded);
    assert_int_equal(r.n_outputs, 3);
    assert_null(output_to(&r, 1));
    free(ports);
    ft_mac_table_destroy(t);
}

static void
test_learned_unicast(void **state)
{
    struct ft_mac_table *t = table_new(0);
    struct ft_normal_ports *ports = mixed_ports();
    struct ft_normal_result r;

    (void) state;
    /* 1 talks, 2 answers: both learned, the answer goes only to 1. */
    struct ft_key k = frame(mac_n(1), mac_n(2), 0);
    ft_normal_xlate(ports, t, &k, 1, 0, &r);
    assert_true(r.flooded);
    k = frame(mac_n(2), mac_n(1), 0);
    ft_normal_xlate(ports, t, &k, 2, 0, &r);
    assert_false(r.flooded);
    assert_int_equal(r.n_outputs, 1);
    assert_int_equal(r.outputs[0].port, 1);
    assert_int_equal(r.outputs[0].vlan_tci, 0);

    /* Destination on the input port: nothing to send, not a drop. */
    k = frame(mac_n(3), mac_n(1), 0);
    ft_normal_xlate(ports, t, &k, 1, 0, &r);
    assert_int_equal(r.n_outputs, 0);
    assert_false(r.dropped);
    assert_false(r.flooded);
    free(ports);
    ft_mac_table_destroy(t);
}

static void
test_unknown_in_port_and_stale_entry(void **state)
{
    struct ft_mac_table *t = table_new(0);
    struct ft_normal_ports *ports = mixed_ports();
    struct ft_normal_result r;

    (void) state;
    struct ft_key k = frame(mac_n(1), broadcast, 0);
    ft_normal_xlate(ports, t, &k, 42, 0, &r);
    assert_true(r.dropped);
    assert_int_equal(r.n_outputs, 0);
    assert_int_equal(ft_mac_count(t), 0);

    /* Learned behind a port that has since left the bridge: flood. */
    struct ft_eth_addr gone = mac_n(7);
    assert_int_equal(ft_mac_learn(t, &gone, 10, 42, 0), 0);
    k = frame(mac_n(1), gone, 0);
    ft_normal_xlate(ports, t, &k, 1, 0, &r);
    assert_true(r.flooded);
    assert_int_equal(r.n_outputs, 3);

    /* Learned behind a port that no longer carries the VLAN: flood. */
    assert_int_equal(ft_mac_learn(t, &gone, 10, 4, 0), 0);
    ft_normal_xlate(ports, t, &k, 1, 0, &r);
    assert_true(r.flooded);
    assert_null(output_to(&r, 4));
    free(ports);
    ft_mac_table_destroy(t);
}

static void
test_vlan_isolation(void **state)
{
    struct ft_mac_table *t = table_new(0);
    struct ft_normal_port p[5] = {
        access_port(1, 10), access_port(2, 10), access_port(3, 20),
        access_port(4, 20), trunk_port(5, FT_VLAN_TRUNK, 0,
                                       (const uint16_t[]) { 20 }, 1),
    };
    struct ft_normal_ports *ports = ft_normal_ports_create(p, 5);
    struct ft_normal_result r;

    (void) state;
    struct ft_key k = frame(mac_n(1), broadcast, 0);
    ft_normal_xlate(ports, t, &k, 1, 0, &r);
    assert_int_equal(r.n_outputs, 1);   /* only 2: 5 does not trunk 10 */
    assert_int_equal(r.outputs[0].port, 2);

    struct ft_eth_addr a = mac_n(1);
    assert_int_equal(ft_mac_lookup(t, &a, 10), 1);
    assert_int_equal(ft_mac_lookup(t, &a, 20), -1);

    /* A frame to a in VLAN 20 does not know it, and stays in VLAN 20. */
    k = frame(mac_n(3), a, 0);
    ft_normal_xlate(ports, t, &k, 3, 0, &r);
    assert_true(r.flooded);
    assert_int_equal(r.vlan, 20);
    assert_int_equal(r.n_outputs, 2);
    assert_non_null(output_to(&r, 4));
    assert_non_null(output_to(&r, 5));
    assert_int_equal(output_to(&r, 5)->vlan_tci, tag(20, 0));

    /* The same MAC in two VLANs is two entries. */
    k = frame(a, broadcast, tag(20, 0));
    ft_normal_xlate(ports, t, &k, 5, 0, &r);
    assert_int_equal(ft_mac_lookup(t, &a, 10), 1);
    assert_int_equal(ft_mac_lookup(t, &a, 20), 5);
    assert_int_equal(ft_mac_count(t), 3);
    free(ports);
    ft_mac_table_destroy(t);
}

/* Switches a broadcast with 'tci' in through 'in_port' of 'ports'. */
static void
flood_from(const struct ft_normal_ports *ports, struct ft_mac_table *t,
           uint32_t in_port, uint16_t tci, struct ft_normal_result *r)
{
    struct ft_key k = frame(mac_n(in_port), broadcast, tci);
    ft_normal_xlate(ports, t, &k, in_port, 0, r);
}

static void
test_access_port(void **state)
{
    struct ft_mac_table *t = table_new(0);
    struct ft_normal_port p[2] = {
        access_port(1, 10),
        trunk_port(2, FT_VLAN_TRUNK, 0, NULL, 0),
    };
    struct ft_normal_ports *ports = ft_normal_ports_create(p, 2);
    struct ft_normal_result r;

    (void) state;
    flood_from(ports, t, 1, 0, &r);                 /* untagged: VLAN 10 */
    assert_false(r.dropped);
    assert_int_equal(r.vlan, 10);
    assert_int_equal(output_to(&r, 2)->vlan_tci, tag(10, 0));

    flood_from(ports, t, 1, tag(0, 3), &r);         /* priority-tagged */
    assert_false(r.dropped);
    assert_int_equal(r.vlan, 10);
    assert_int_equal(output_to(&r, 2)->vlan_tci, tag(10, 3));

    flood_from(ports, t, 1, tag(10, 0), &r);        /* tagged: even its own */
    assert_true(r.dropped);
    assert_int_equal(r.n_outputs, 0);
    flood_from(ports, t, 1, tag(11, 0), &r);
    assert_true(r.dropped);

    /* Egress: always untagged. */
    flood_from(ports, t, 2, tag(10, 5), &r);
    assert_int_equal(r.n_outputs, 1);
    assert_int_equal(output_to(&r, 1)->vlan_tci, 0);
    flood_from(ports, t, 2, tag(11, 5), &r);        /* not its VLAN */
    assert_int_equal(r.n_outputs, 0);
    free(ports);
    ft_mac_table_destroy(t);
}

static void
test_trunk_port(void **state)
{
    struct ft_mac_table *t = table_new(0);
    struct ft_normal_port p[3] = {
        trunk_port(1, FT_VLAN_TRUNK, 0, (const uint16_t[]) { 10, 30 }, 2),
        trunk_port(2, FT_VLAN_TRUNK, 0, NULL, 0),
        trunk_port(3, FT_VLAN_TRUNK, 0, (const uint16_t[]) { 0, 10 }, 2),
    };
    struct ft_normal_ports *ports = ft_normal_ports_create(p, 3);
    struct ft_normal_result r;

    (void) state;
    flood_from(ports, t, 1, tag(10, 0), &r);
    assert_false(r.dropped);
    assert_int_equal(r.vlan, 10);
    assert_int_equal(r.n_outputs, 2);
    assert_int_equal(output_to(&r, 2)->vlan_tci, tag(10, 0));
    assert_int_equal(output_to(&r, 3)->vlan_tci, tag(10, 0));

    flood_from(ports, t, 1, tag(20, 0), &r);        /* not trunked */
    assert_true(r.dropped);
    flood_from(ports, t, 1, 0, &r);                 /* VLAN 0 not trunked */
    assert_true(r.dropped);

    /* Untagged into an all-VLAN trunk: VLAN 0, out untagged. */
    flood_from(ports, t, 2, 0, &r);
    assert_false(r.dropped);
    assert_int_equal(r.vlan, 0);
    assert_int_equal(r.n_outputs, 1);               /* 1 lacks VLAN 0 */
    assert_int_equal(output_to(&r, 3)->vlan_tci, 0);

    /* Priority-tagged counts as VLAN 0 too. */
    flood_from(ports, t, 3, tag(0, 6), &r);
    assert_false(r.dropped);
    assert_int_equal(r.vlan, 0);
    assert_int_equal(output_to(&r, 2)->vlan_tci, 0);

    flood_from(ports, t, 2, tag(30, 0), &r);
    assert_int_equal(r.n_outputs, 1);
    assert_int_equal(output_to(&r, 1)->vlan_tci, tag(30, 0));
    free(ports);
    ft_mac_table_destroy(t);
}

static void
test_native_tagged_port(void **state)
{
    struct ft_mac_table *t = table_new(0);
    struct ft_normal_port p[3] = {
        trunk_port(1, FT_VLAN_NATIVE_TAGGED, 10,
                   (const uint16_t[]) { 20 }, 1),
        trunk_port(2, FT_VLAN_TRUNK, 0, NULL, 0),
        access_port(3, 10),
    };
    struct ft_normal_ports *ports = ft_normal_ports_create(p, 3);
    struct ft_normal_result r;

    (void) state;
    flood_from(ports, t, 1, 0, &r);                 /* untagged: native */
    assert_false(r.dropped);
    assert_int_equal(r.vlan, 10);
    assert_int_equal(output_to(&r, 2)->vlan_tci, tag(10, 0));
    assert_int_equal(output_to(&r, 3)->vlan_tci, 0);

    flood_from(ports, t, 1, tag(10, 0), &r);        /* native, tagged */
    assert_false(r.dropped);
    assert_int_equal(r.vlan, 10);
    flood_from(ports, t, 1, tag(20, 0), &r);
    assert_false(r.dropped);
    assert_int_equal(r.vlan, 20);
    flood_from(ports, t, 1, tag(30, 0), &r);
    assert_true(r.dropped);

    /* Egress: tagged, the native VLAN too. */
    flood_from(ports, t, 2, tag(10, 0), &r);
    assert_int_equal(output_to(&r, 1)->vlan_tci, tag(10, 0));
    flood_from(ports, t, 2, tag(20, 0), &r);
    assert_int_equal(output_to(&r, 1)->vlan_tci, tag(20, 0));
    flood_from(ports, t, 2, tag(30, 0), &r);
    assert_null(output_to(&r, 1));
    free(ports);
    ft_mac_table_destroy(t);
}

static void
test_native_untagged_port(void **state)
{
    struct ft_mac_table *t = table_new(0);
    struct ft_normal_port p[2] = {
        trunk_port(1, FT_VLAN_NATIVE_UNTAGGED, 10,
                   (const uint16_t[]) { 20 }, 1),
        trunk_port(2, FT_VLAN_TRUNK, 0, NULL, 0),
    };
    struct ft_normal_ports *ports = ft_normal_ports_create(p, 2);
    struct ft_normal_result r;

    (void) state;
    flood_from(ports, t, 1, 0, &r);
    assert_false(r.dropped);
    assert_int_equal(r.vlan, 10);
    assert_int_equal(output_to(&r, 2)->vlan_tci, tag(10, 0));
    flood_from(ports, t, 1, tag(0, 2), &r);         /* priority-tagged */
    assert_int_equal(r.vlan, 10);
    assert_int_equal(output_to(&r, 2)->vlan_tci, tag(10, 2));
    flood_from(ports, t, 1, tag(20, 0), &r);
    assert_int_equal(r.vlan, 20);
    flood_from(ports, t, 1, tag(21, 0), &r);
    assert_true(r.dropped);

    /* Egress: native VLAN untagged, the others tagged. */
    flood_from(ports, t, 2, tag(10, 4), &r);
    assert_int_equal(output_to(&r, 1)->vlan_tci, 0);
    flood_from(ports, t, 2, tag(20, 4), &r);
    assert_int_equal(output_to(&r, 1)->vlan_tci, tag(20, 4));
    free(ports);
    ft_mac_table_destroy(t);
}

static void
test_pcp_preserved(void **state)
{
    struct ft_mac_table *t = table_new(0);
    struct ft_normal_port p[3] = {
        trunk_port(1, FT_VLAN_TRUNK, 0, NULL, 0),
        trunk_port(2, FT_VLAN_TRUNK, 0, NULL, 0),
        access_port(3, 100),
    };
    struct ft_normal_ports *ports = ft_normal_ports_create(p, 3);
    struct ft_normal_result r;

    (void) state;
    for (uint16_t pcp = 0; pcp < 8; pcp++) {
        flood_from(ports, t, 1, tag(100, pcp), &r);
        assert_int_equal(output_to(&r, 2)->vlan_tci, tag(100, pcp));
        assert_int_equal(output_to(&r, 3)->vlan_tci, 0);
    }
    /* Unicast to a learned station keeps it too. */
    struct ft_key k = frame(mac_n(9), mac_n(1), tag(100, 7));
    ft_normal_xlate(ports, t, &k, 2, 0, &r);
    assert_false(r.flooded);
    assert_int_equal(r.n_outputs, 1);
    assert_int_equal(r.outputs[0].port, 1);
    assert_int_equal(r.outputs[0].vlan_tci, tag(100, 7));
    /* Untagged in (from the access port) goes out with PCP 0. */
    flood_from(ports, t, 3, 0, &r);
    assert_int_equal(output_to(&r, 1)->vlan_tci, tag(100, 0));
    free(ports);
    ft_mac_table_destroy(t);
}

/* ---- RCU and concurrency ---------------------------------------------------- */

static struct rte_rcu_qsbr *
qsbr_new(unsigned int n_threads)
{
    size_t size = rte_rcu_qsbr_get_memsize(n_threads);
    struct rte_rcu_qsbr *v = rte_zmalloc("test_qsbr", size,
                                         RTE_CACHE_LINE_SIZE);
    assert_non_null(v);
    assert_int_equal(rte_rcu_qsbr_init(v, n_threads), 0);
    return v;
}

/* A reader that has not passed a quiescent state holds deleted slots. */
static void
test_rcu_deferred_reuse(void **state)
{
    struct rte_rcu_qsbr *v = qsbr_new(1);
    struct ft_mac_table *t = ft_mac_table_create("rcu", 64, v);
    struct ft_mac_stats st;

    (void) state;
    assert_non_null(t);
    assert_int_equal(rte_rcu_qsbr_thread_register(v, 0), 0);
    rte_rcu_qsbr_thread_online(v, 0);

    for (unsigned int i = 0; i < 3; i++) {
        struct ft_eth_addr m = mac_n(i);
        assert_int_equal(ft_mac_learn(t, &m, 1, 1, 0), 0);
    }
    ft_mac_flush(t, -1);
    assert_int_equal(ft_mac_count(t), 0);
    ft_mac_table_get_stats(t, &st);
    assert_int_equal(st.n_deferred, 3);

    /* Learning goes on meanwhile, on other slots. */
    for (unsigned int i = 0; i < 3; i++) {
        struct ft_eth_addr m = mac_n(i);
        assert_int_equal(ft_mac_lookup(t, &m, 1), -1);
        assert_int_equal(ft_mac_learn(t, &m, 1, 2, 0), 0);
        assert_int_equal(ft_mac_lookup(t, &m, 1), 2);
    }

    /* Once the reader is quiescent, the next delete reclaims them. */
    rte_rcu_qsbr_quiescent(v, 0);
    struct ft_eth_addr d = mac_n(50);
    assert_int_equal(ft_mac_learn(t, &d, 1, 3, 0), 0);
    ft_mac_flush(t, 3);
    ft_mac_table_get_stats(t, &st);
    assert_int_equal(st.n_deferred, 1);
    assert_int_equal(ft_mac_count(t), 3);
    for (unsigned int i = 0; i < 3; i++) {
        struct ft_eth_addr m = mac_n(i);
        assert_int_equal(ft_mac_lookup(t, &m, 1), 2);
    }

    rte_rcu_qsbr_thread_offline(v, 0);
    rte_rcu_qsbr_thread_unregister(v, 0);
    ft_mac_table_destroy(t);
    rte_free(v);
}

struct unregistered_ctx {
    struct ft_mac_table *table;
    int learn_new, learn_known;
    int64_t lookup;
    unsigned int expired;
};

static void *
unregistered_main(void *arg)
{
    struct unregistered_ctx *ctx = arg;
    struct ft_eth_addr known = mac_n(1), unknown = mac_n(2);

    ctx->learn_new = ft_mac_learn(ctx->table, &unknown, 1, 5, 0);
    ctx->learn_known = ft_mac_learn(ctx->table, &known, 1, 6, 0);
    ctx->lookup = ft_mac_lookup(ctx->table, &known, 1);
    ctx->expired = ft_mac_expire(ctx->table, 10 * AGING_MS);
    return NULL;
}

/* A thread unknown to EAL may look up and move, but not take slots. */
static void
test_unregistered_thread(void **state)
{
    struct ft_mac_table *t = table_new(0);
    struct unregistered_ctx ctx = { .table = t };
    struct ft_eth_addr known = mac_n(1), unknown = mac_n(2);
    pthread_t thread;

    (void) state;
    assert_int_equal(ft_mac_learn(t, &known, 1, 4, 0), 0);
    assert_int_equal(pthread_create(&thread, NULL, unregistered_main, &ctx),
                     0);
    pthread_join(thread, NULL);
    assert_int_equal(ctx.learn_new, -EINVAL);
    assert_int_equal(ctx.learn_known, 0);
    assert_int_equal(ctx.lookup, 6);
    assert_int_equal(ctx.expired, 0);
    assert_int_equal(ft_mac_lookup(t, &unknown, 1), -1);
    assert_int_equal(ft_mac_count(t), 1);
    ft_mac_table_destroy(t);
}

#define CONC_THREADS 2
#define CONC_MACS 256
#define CONC_RUN_MS 1000

struct conc {
    struct ft_mac_table *table;
    struct rte_rcu_qsbr *qsbr;
    _Atomic bool stop;
    _Atomic int64_t clock_ms;
    _Atomic unsigned int wrong_port;
    _Atomic unsigned long ops;
    _Atomic int setup_error;
};

struct conc_worker {
    struct conc *c;
    unsigned int id;
};

static uint32_t
conc_port(unsigned int id)
{
    return 100 + id;
}

static struct ft_eth_addr
conc_mac(unsigned int id, unsigned int i)
{
    struct ft_eth_addr ea = { { 0x02, 0x10, (uint8_t) id, 0,
                                (uint8_t) (i >> 8), (uint8_t) i } };
    return ea;
}

/* Learns its own stations and looks up everyone's: a lookup may miss
 * (expired, being recreated) but must never return another thread's port,
 * which would mean a reused slot showed its previous owner. */
static void *
conc_worker_main(void *arg)
{
    struct conc_worker *w = arg;
    struct conc *c = w->c;
    unsigned long ops = 0;

    if (rte_thread_register() || rte_lcore_id() == LCORE_ID_ANY
        || rte_rcu_qsbr_thread_register(c->qsbr, w->id)) {
        atomic_store(&c->setup_error, 1);
        return NULL;
    }
    rte_rcu_qsbr_thread_online(c->qsbr, w->id);
    while (!atomic_load(&c->stop)) {
        for (unsigned int i = 0; i < CONC_MACS; i++) {
            struct ft_eth_addr mine = conc_mac(w->id, i);
            int64_t now = atomic_load(&c->clock_ms);
            int err = ft_mac_learn(c->table, &mine, 1, conc_port(w->id),
                                   now);
            if (err && err != -ENOSPC) {
                atomic_fetch_add(&c->wrong_port, 1);
            }
            for (unsigned int id = 0; id < CONC_THREADS; id++) {
                struct ft_eth_addr m = conc_mac(id, i);
                int64_t port = ft_mac_lookup(c->table, &m, 1);
                if (port != -1 && port != conc_port(id)) {
                    atomic_fetch_add(&c->wrong_port, 1);
                }
            }
            ops++;
        }
        rte_rcu_qsbr_quiescent(c->qsbr, w->id);
    }
    rte_rcu_qsbr_thread_offline(c->qsbr, w->id);
    rte_rcu_qsbr_thread_unregister(c->qsbr, w->id);
    rte_thread_unregister();
    atomic_fetch_add(&c->ops, ops);
    return NULL;
}

static void
count_entry(const struct ft_mac_entry *e, void *aux)
{
    (void) e;
    (*(unsigned int *) aux)++;
}

static void
test_concurrent_learn_expire(void **state)
{
    struct conc c;
    struct conc_worker workers[CONC_THREADS];
    pthread_t threads[CONC_THREADS];
    struct ft_mac_stats st;

    (void) state;
    memset(&c, 0, sizeof c);
    c.qsbr = qsbr_new(CONC_THREADS);
    c.table = ft_mac_table_create("conc", 2 * CONC_MACS, c.qsbr);
    assert_non_null(c.table);
    atomic_init(&c.clock_ms, 0);

    for (unsigned int i = 0; i < CONC_THREADS; i++) {
        workers[i] = (struct conc_worker) { .c = &c, .id = i };
        assert_int_equal(pthread_create(&threads[i], NULL, conc_worker_main,
                                        &workers[i]), 0);
    }

    /* Main jumps the virtual clock past the ageing time and expires, so
     * every round deletes what the workers learned before it. */
    struct timespec start, now, pause = { 0, 1000000 };
    unsigned int rounds = 0, expired = 0;
    clock_gettime(CLOCK_MONOTONIC, &start);
    do {
        int64_t clock = atomic_fetch_add(&c.clock_ms, AGING_MS + 1000)
                        + AGING_MS + 1000;
        expired += ft_mac_expire(c.table, clock);
        if (rounds % 16 == 15) {
            ft_mac_flush(c.table, conc_port(rounds % CONC_THREADS));
        }
        rounds++;
        nanosleep(&pause, NULL);
        clock_gettime(CLOCK_MONOTONIC, &now);
    } while ((now.tv_sec - start.tv_sec) * 1000
             + (now.tv_nsec - start.tv_nsec) / 1000000 < CONC_RUN_MS);
    atomic_store(&c.stop, true);
    for (unsigned int i = 0; i < CONC_THREADS; i++) {
        pthread_join(threads[i], NULL);
    }

    assert_int_equal(atomic_load(&c.setup_error), 0);
    assert_int_equal(atomic_load(&c.wrong_port), 0);
    assert_true(atomic_load(&c.ops) > 0);
    assert_true(expired > 0);

    /* The live count matches what the table holds. */
    unsigned int listed = 0;
    ft_mac_table_dump(c.table, count_entry, &listed);
    assert_int_equal(listed, ft_mac_count(c.table));
    ft_mac_table_get_stats(c.table, &st);
    assert_int_equal(st.learned, st.expired + st.flushed + st.n_entries);
    assert_int_equal(st.moved, 0);

    ft_mac_flush(c.table, -1);
    assert_int_equal(ft_mac_count(c.table), 0);
    print_message("concurrency: %u rounds, %lu learns, %u expired\n",
                  rounds, (unsigned long) atomic_load(&c.ops), expired);
    ft_mac_table_destroy(c.table);
    rte_free(c.qsbr);
}

int
main(int argc, char **argv)
{
    char *eal_args[] = {
        argv[0], "--no-huge", "--no-pci", "--no-shconf", "--no-telemetry",
        "-m", "256", "--log-level=1", "-l", "0",
    };
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vlan_mode_strings),
        cmocka_unit_test(test_ports_create),
        cmocka_unit_test(test_learn_lookup),
        cmocka_unit_test(test_port_move),
        cmocka_unit_test(test_ageing),
        cmocka_unit_test(test_refresh_rate_limited),
        cmocka_unit_test(test_set_aging),
        cmocka_unit_test(test_table_full),
        cmocka_unit_test(test_flush),
        cmocka_unit_test(test_dump),
        cmocka_unit_test(test_multicast_source_not_learned),
        cmocka_unit_test(test_flood_excludes_input),
        cmocka_unit_test(test_learned_unicast),
        cmocka_unit_test(test_unknown_in_port_and_stale_entry),
        cmocka_unit_test(test_vlan_isolation),
        cmocka_unit_test(test_access_port),
        cmocka_unit_test(test_trunk_port),
        cmocka_unit_test(test_native_tagged_port),
        cmocka_unit_test(test_native_untagged_port),
        cmocka_unit_test(test_pcp_preserved),
        cmocka_unit_test(test_rcu_deferred_reuse),
        cmocka_unit_test(test_unregistered_thread),
        cmocka_unit_test(test_concurrent_learn_expire),
    };

    (void) argc;
    if (rte_eal_init((int) RTE_DIM(eal_args), eal_args) < 0) {
        fprintf(stderr, "EAL init failed\n");
        return 1;
    }
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    rte_eal_cleanup();
    return failed;
}
