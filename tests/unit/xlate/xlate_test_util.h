/*
 * xlate_test_util.h — builders shared by the xlate tests: pipelines made
 * through the public API exactly as the bridge makes them (flow mods in
 * transactions, group and meter mods, port maps), packet keys, actions
 * and a translation helper that renders the datapath actions as text.
 *
 * Header-only (static functions); single-threaded tests.
 */
#ifndef VSWITCH_TESTS_XLATE_TEST_UTIL_H
#define VSWITCH_TESTS_XLATE_TEST_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>

#include <cmocka.h>

#include "flowtable/ft_pipeline.h"
#include "flowtable/ft_xlate.h"

/* OXM field numbers the tests set. */
enum {
    T_OXM_ETH_DST = 3, T_OXM_ETH_SRC = 4, T_OXM_VLAN_VID = 6,
    T_OXM_VLAN_PCP = 7, T_OXM_IP_DSCP = 8, T_OXM_IPV4_SRC = 11,
    T_OXM_IPV4_DST = 12, T_OXM_TCP_SRC = 13, T_OXM_TCP_DST = 14,
    T_OXM_MPLS_LABEL = 34, T_OXM_TUNNEL_ID = 38,
};

#define T_ETH_IP 0x0800
#define T_ETH_ARP 0x0806
#define T_ETH_MPLS 0x8847

/* Datapath port of OpenFlow port N in the tests' port maps. */
#define T_DP(N) (100u + (N))
#define T_DP_LOCAL 99u

static inline uint32_t
t_ip(unsigned a, unsigned b, unsigned c, unsigned d)
{
    return htonl(a << 24 | b << 16 | c << 8 | d);
}

/* ---- pipelines ------------------------------------------------------------ */

static inline struct ft_pipeline *
t_pipeline(uint8_t n_tables)
{
    struct ft_pipeline_config cfg = { .n_tables = n_tables };
    struct ft_pipeline *p = ft_pipeline_create(&cfg);

    assert_non_null(p);
    return p;
}

/* Ports 1..n (dp 101..) live, plus LOCAL (dp 99). */
static inline void
t_set_ports(struct ft_pipeline *p, unsigned int n)
{
    struct ft_port ports[64];

    assert_true(n < 64);
    for (unsigned int i = 0; i < n; i++) {
        ports[i] = (struct ft_port) {
            .ofp_port = i + 1, .dp_port = T_DP(i + 1), .live = true,
        };
    }
    ports[n] = (struct ft_port) {
        .ofp_port = FT_OFPP_LOCAL, .dp_port = T_DP_LOCAL, .live = true,
    };
    assert_int_equal(ft_pipeline_set_ports(p, ports, n + 1), 0);
}

static inline void
t_insts_init(struct ft_insts *in)
{
    memset(in, 0, sizeof *in);
    in->goto_table = FT_NO_GOTO;
}

static inline struct ft_ofperr
t_flow_mod_nocommit(struct ft_pipeline *p, uint8_t table, uint16_t prio,
                    const struct ft_match *m, const struct ft_insts *in,
                    uint64_t cookie)
{
    struct ft_flow_mod fm;

    memset(&fm, 0, sizeof fm);
    fm.command = FT_OFPFC_ADD;
    fm.table_id = table;
    fm.priority = prio;
    fm.cookie = cookie;
    fm.out_port = FT_OFPP_ANY;
    fm.out_group = FT_OFPG_ANY;
    fm.match = *m;
    ft_match_normalize(&fm.match);
    fm.insts = *in;
    return ft_pipeline_flow_mod(p, &fm, 0, NULL);
}

static inline void
t_add_flow(struct ft_pipeline *p, uint8_t table, uint16_t prio,
           const struct ft_match *m, const struct ft_insts *in)
{
    struct ft_ofperr err;

    ft_pipeline_begin(p);
    err = t_flow_mod_nocommit(p, table, prio, m, in, 0);
    if (!ft_ofperr_is_ok(err)) {
        fail_msg("flow_mod: type %u code %u", err.type, err.code);
    }
    ft_pipeline_commit(p);
}

/* One entry applying 'acts' (and nothing else). */
static inline void
t_add_apply(struct ft_pipeline *p, uint8_t table, uint16_t prio,
            const struct ft_match *m, struct ft_action *acts, uint32_t n)
{
    struct ft_insts in;

    t_insts_init(&in);
    in.has_apply = true;
    in.apply.acts = acts;
    in.apply.n = n;
    t_add_flow(p, table, prio, m, &in);
}

static inline void
t_add_group(struct ft_pipeline *p, uint8_t type, uint32_t id,
            const struct ft_bucket_cfg *buckets, uint32_t n)
{
    struct ft_group_mod gm = {
        .command = FT_OFPGC_ADD, .type = type, .group_id = id,
        .n_buckets = n, .buckets = buckets,
    };
    struct ft_ofperr err = ft_pipeline_group_mod(p, &gm, 0);

    if (!ft_ofperr_is_ok(err)) {
        fail_msg("group_mod %u: type %u code %u", id, err.type, err.code);
    }
}

static inline struct ft_bucket_cfg
t_bucket(struct ft_action *acts, uint32_t n)
{
    return (struct ft_bucket_cfg) {
        .weight = 0, .watch_port = FT_OFPP_ANY, .watch_group = FT_OFPG_ANY,
        .actions = { .acts = acts, .n = n },
    };
}

/* ---- matches ---------------------------------------------------------------- */

static inline void
t_match_all(struct ft_match *m)
{
    ft_match_init_catchall(m);
}

static inline void
t_match_in_port(struct ft_match *m, uint32_t port)
{
    m->key.in_port = port;
    m->mask.masks.in_port = UINT32_MAX;
}

static inline void
t_match_dl_type(struct ft_match *m, uint16_t type)
{
    m->key.dl_type = htons(type);
    m->mask.masks.dl_type = UINT16_MAX;
}

static inline void
t_match_nw_dst(struct ft_match *m, be32 addr, unsigned int plen)
{
    be32 mask = plen ? htonl(~0u << (32 - plen)) : 0;

    t_match_dl_type(m, T_ETH_IP);
    m->key.nw_dst = addr & mask;
    m->mask.masks.nw_dst = mask;
}

static inline void
t_match_metadata(struct ft_match *m, uint64_t value, uint64_t mask)
{
    m->key.metadata = value & mask;
    m->mask.masks.metadata = mask;
}

/* ---- actions ------------------------------------------------------------------ */

static inline struct ft_action
t_output(uint32_t port)
{
    struct ft_action a;

    memset(&a, 0, sizeof a);
    a.type = FT_OFPAT_OUTPUT;
    a.output.port = port;
    a.output.max_len = FT_OFPCML_NO_BUFFER;
    return a;
}

static inline struct ft_action
t_controller(uint16_t max_len)
{
    struct ft_action a = t_output(FT_OFPP_CONTROLLER);

    a.output.max_len = max_len;
    return a;
}

static inline struct ft_action
t_simple(uint16_t type)
{
    struct ft_action a;

    memset(&a, 0, sizeof a);
    a.type = type;
    return a;
}

static inline struct ft_action
t_ethertype(uint16_t type, uint16_t ethertype)
{
    struct ft_action a = t_simple(type);

    a.ethertype = ethertype;
    return a;
}

static inline struct ft_action
t_ttl(uint16_t type, uint8_t ttl)
{
    struct ft_action a = t_simple(type);

    a.ttl = ttl;
    return a;
}

static inline struct ft_action
t_group(struct ft_pipeline *p, uint32_t id)
{
    struct ft_action a = t_simple(FT_OFPAT_GROUP);

    a.group.group_id = id;
    (void) p;                       /* the pipeline resolves it on install */
    return a;
}

static inline struct ft_action
t_set_queue(uint32_t q)
{
    struct ft_action a = t_simple(FT_OFPAT_SET_QUEUE);

    a.queue_id = q;
    return a;
}

/* SET_FIELD from the key bits a value means, as the bridge builds it. */
static inline struct ft_action
t_set_field_bits(uint8_t oxm, const void *wire, unsigned int len,
                 const struct ft_key *k, const struct ft_key *m)
{
    struct ft_action a = t_simple(FT_OFPAT_SET_FIELD);

    assert_int_equal(ft_set_field_init(&a.set_field, oxm, wire, len, k, m), 0);
    return a;
}

static inline struct ft_action
t_set_nw_dst(be32 addr)
{
    struct ft_key k, m;

    memset(&k, 0, sizeof k);
    memset(&m, 0, sizeof m);
    k.nw_dst = addr;
    m.nw_dst = UINT32_MAX;
    return t_set_field_bits(T_OXM_IPV4_DST, &addr, 4, &k, &m);
}

static inline struct ft_action
t_set_nw_src(be32 addr)
{
    struct ft_key k, m;

    memset(&k, 0, sizeof k);
    memset(&m, 0, sizeof m);
    k.nw_src = addr;
    m.nw_src = UINT32_MAX;
    return t_set_field_bits(T_OXM_IPV4_SRC, &addr, 4, &k, &m);
}

static inline struct ft_action
t_set_tp_dst(uint16_t port)
{
    struct ft_key k, m;
    be16 v = htons(port);

    memset(&k, 0, sizeof k);
    memset(&m, 0, sizeof m);
    k.tp_dst = v;
    m.tp_dst = UINT16_MAX;
    return t_set_field_bits(T_OXM_TCP_DST, &v, 2, &k, &m);
}

static inline struct ft_action
t_set_vlan_vid(uint16_t vid)
{
    struct ft_key k, m;
    be16 v = htons(vid | FT_VLAN_PRESENT);

    memset(&k, 0, sizeof k);
    memset(&m, 0, sizeof m);
    k.vlans[0].tci = htons(vid | FT_VLAN_PRESENT);
    m.vlans[0].tci = htons(FT_VLAN_VID_MASK | FT_VLAN_PRESENT);
    return t_set_field_bits(T_OXM_VLAN_VID, &v, 2, &k, &m);
}

static inline struct ft_action
t_set_eth_dst(uint8_t last)
{
    struct ft_key k, m;
    uint8_t mac[6] = { 0x02, 0, 0, 0, 0xee, last };

    memset(&k, 0, sizeof k);
    memset(&m, 0, sizeof m);
    memcpy(k.dl_dst.ea, mac, 6);
    memset(m.dl_dst.ea, 0xff, 6);
    return t_set_field_bits(T_OXM_ETH_DST, mac, 6, &k, &m);
}

/* ---- keys -------------------------------------------------------------------- */

static inline void
t_mac(struct ft_eth_addr *a, uint32_t n)
{
    a->ea[0] = 0x02;
    a->ea[1] = 0;
    a->ea[2] = (uint8_t) (n >> 24);
    a->ea[3] = (uint8_t) (n >> 16);
    a->ea[4] = (uint8_t) (n >> 8);
    a->ea[5] = (uint8_t) n;
}

static inline struct ft_key
t_key_tcp(uint32_t in_port, be32 src, be32 dst, uint16_t sport,
          uint16_t dport)
{
    struct ft_key k;

    memset(&k, 0, sizeof k);
    k.in_port = in_port;
    t_mac(&k.dl_src, 0x1000 + in_port);
    t_mac(&k.dl_dst, 0x2000);
    k.dl_type = htons(T_ETH_IP);
    k.nw_src = src;
    k.nw_dst = dst;
    k.nw_proto = 6;
    k.nw_ttl = 64;
    k.tp_src = htons(sport);
    k.tp_dst = htons(dport);
    return k;
}

static inline struct ft_key
t_key_ip(uint32_t in_port, be32 dst)
{
    return t_key_tcp(in_port, t_ip(192, 168, 0, 1), dst, 1000, 80);
}

/* An MPLS packet: labels[0] on top, the last one bottom of stack. */
static inline struct ft_key
t_key_mpls(uint32_t in_port, const uint32_t *labels, unsigned int n,
           uint8_t ttl)
{
    struct ft_key k;

    memset(&k, 0, sizeof k);
    k.in_port = in_port;
    t_mac(&k.dl_src, 0x1000 + in_port);
    t_mac(&k.dl_dst, 0x2000);
    k.dl_type = htons(T_ETH_MPLS);
    for (unsigned int i = 0; i < n && i < FT_MPLS_MAX; i++) {
        k.mpls_lse[i] = htonl(labels[i] << 12 | (i + 1 == n ? 0x100u : 0)
                              | ttl);
    }
    return k;
}

/* ---- translating ---------------------------------------------------------------- */

static inline struct ft_xlate_out *
t_out_new(void)
{
    struct ft_xlate_out *out = calloc(1, sizeof *out);

    assert_non_null(out);
    return out;
}

/* Translates 'key' and returns the actions as text (static buffer). */
static inline const char *
t_xlate(struct ft_pipeline *p, const struct ft_key *key,
        struct ft_xlate_out *out)
{
    static char buf[8192];
    struct ft_xlate_in in = { .key = key, .now_ms = 1000 };

    ft_xlate(p, &in, out);
    ft_dpacts_format(out->acts, out->n_acts, buf, sizeof buf);
    return buf;
}

static inline const char *
t_packet_out(struct ft_pipeline *p, const struct ft_key *key,
             struct ft_action *acts, uint32_t n, struct ft_xlate_out *out)
{
    static char buf[8192];
    struct ft_xlate_in in = { .key = key, .now_ms = 1000 };
    struct ft_action_list list = { .acts = acts, .n = n };

    ft_xlate_packet_out(p, &in, &list, out);
    ft_dpacts_format(out->acts, out->n_acts, buf, sizeof buf);
    return buf;
}

/* Is any bit of the field at [ofs, ofs+len) set in 'wc'? */
static inline bool
t_wc_has(const struct ft_xlate_out *out, size_t ofs, size_t len)
{
    const uint8_t *m = (const uint8_t *) &out->wc.masks + ofs;

    for (size_t i = 0; i < len; i++) {
        if (m[i]) {
            return true;
        }
    }
    return false;
}

/* The usual test fixture: a pipeline of 'n_tables' with 6 ports and an
 * output buffer; FX opens a test with 'p' and 'out' in scope. */
struct t_fx {
    struct ft_pipeline *p;
    struct ft_xlate_out *out;
};

static inline int
t_fx_setup(void **state, uint8_t n_tables)
{
    struct t_fx *fx = calloc(1, sizeof *fx);

    assert_non_null(fx);
    fx->p = t_pipeline(n_tables);
    t_set_ports(fx->p, 6);
    fx->out = t_out_new();
    *state = fx;
    return 0;
}

static inline int
t_fx_teardown(void **state)
{
    struct t_fx *fx = *state;

    ft_pipeline_destroy(fx->p);
    free(fx->out);
    free(fx);
    return 0;
}

#define FX struct t_fx *fx = *state; struct ft_pipeline *p = fx->p; \
    struct ft_xlate_out *out = fx->out

static inline void
t_match_ip(struct ft_match *m)
{
    t_match_all(m);
    t_match_dl_type(m, T_ETH_IP);
}

#define T_WC_HAS(OUT, FIELD) \
    t_wc_has(OUT, offsetof(struct ft_key, FIELD), \
             sizeof(((struct ft_key *) 0)->FIELD))

#endif
