/*
 * test_action.c — unit tests of flowtable/ft_action.h: the prerequisite
 * table of all 40 OXM fields (cross-checked against the OpenFlow codec's
 * own prerequisite check), guaranteed vs holds and the exact megaflow bits
 * holds() un-wildcards, SET_FIELD built the way the bridge builds it
 * (of_set_field_apply onto a zeroed key and mask, then ft_set_field_init)
 * and applied against the codec's own apply, every ft_actions_check()
 * error with its exact code including the action walk, and the list
 * helpers (clone, equal, has_output, has_group, format).
 *
 * No EAL: the code under test needs none.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "flowtable/ft_action.h"
#include "flowtable/ft_group.h"
#include "openflow/openflow.h"

/* ---- helpers -------------------------------------------------------------- */

/* The low 'len' (<= 8) bytes of 'v', big-endian. */
static void
put_be(uint8_t *p, uint64_t v, unsigned int len)
{
    for (unsigned int i = 0; i < len && i < 8; i++) {
        p[len - 1 - i] = (uint8_t) (v >> (8 * i));
    }
}

/* Adds an exact field to 'm' (value as an integer, big-endian on the
 * wire) or with 'mask' when 'has_mask'. */
static void
match_add(struct of_match *m, uint8_t field, uint64_t value, uint64_t mask,
          bool has_mask)
{
    uint8_t v[16] = { 0 }, k[16] = { 0 };
    unsigned int len = of_oxm_field_len(field);
    struct of_err err;

    put_be(v, value, len > 8 ? 8 : len);
    put_be(k, mask, len > 8 ? 8 : len);
    assert_int_equal(of_match_add(m, field, v, has_mask ? k : NULL, &err), 0);
}

/* A match that satisfies exactly 'prereq' (the codec's way of saying it);
 * with 'weaken' its last component is left out. */
static void
prereq_match(enum ft_prereq p, bool weaken, struct of_match *m)
{
    struct {
        uint16_t eth;
        int proto;          /* -1: none */
        int icmp6_type;     /* -1: none */
        bool vlan;
    } spec = { 0, -1, -1, false };

    memset(m, 0, sizeof *m);
    switch (p) {
    case FT_PREREQ_NONE: break;
    case FT_PREREQ_VLAN: spec.vlan = true; break;
    case FT_PREREQ_IP_ANY: spec.eth = 0x0800; break;
    case FT_PREREQ_IPV4: spec.eth = 0x0800; break;
    case FT_PREREQ_IPV6: spec.eth = 0x86dd; break;
    case FT_PREREQ_ARP: spec.eth = 0x0806; break;
    case FT_PREREQ_TCP: spec.eth = 0x0800; spec.proto = 6; break;
    case FT_PREREQ_UDP: spec.eth = 0x86dd; spec.proto = 17; break;
    case FT_PREREQ_SCTP: spec.eth = 0x0800; spec.proto = 132; break;
    case FT_PREREQ_ICMPV4: spec.eth = 0x0800; spec.proto = 1; break;
    case FT_PREREQ_ICMPV6: spec.eth = 0x86dd; spec.proto = 58; break;
    case FT_PREREQ_ND_TARGET:
        spec.eth = 0x86dd; spec.proto = 58; spec.icmp6_type = 136; break;
    case FT_PREREQ_ND_SLL:
        spec.eth = 0x86dd; spec.proto = 58; spec.icmp6_type = 135; break;
    case FT_PREREQ_ND_TLL:
        spec.eth = 0x86dd; spec.proto = 58; spec.icmp6_type = 136; break;
    case FT_PREREQ_MPLS: spec.eth = 0x8847; break;
    case FT_PREREQ_PBB: spec.eth = 0x88e7; break;
    }
    if (weaken) {
        if (spec.icmp6_type >= 0) {
            spec.icmp6_type = -1;
        } else if (spec.proto >= 0) {
            spec.proto = -1;
        } else {
            spec.eth = 0;
            spec.vlan = false;
        }
    }
    if (spec.vlan) {
        match_add(m, OFPXMT_OFB_VLAN_VID, OFPVID_PRESENT, OFPVID_PRESENT,
                  true);
    }
    if (spec.eth) {
        match_add(m, OFPXMT_OFB_ETH_TYPE, spec.eth, 0, false);
    }
    if (spec.proto >= 0) {
        match_add(m, OFPXMT_OFB_IP_PROTO, (uint64_t) spec.proto, 0, false);
    }
    if (spec.icmp6_type >= 0) {
        match_add(m, OFPXMT_OFB_ICMPV6_TYPE, (uint64_t) spec.icmp6_type, 0,
                  false);
    }
}

/* An ft_set_field built as the bridge does. */
static struct ft_set_field
make_sf(uint8_t field, const uint8_t *value)
{
    struct of_set_field osf = { .field = field,
                                .len = (uint8_t) of_oxm_field_len(field) };
    struct ft_key key, mask;
    struct ft_set_field sf;

    memcpy(osf.value, value, osf.len);
    memset(&key, 0, sizeof key);
    memset(&mask, 0, sizeof mask);
    of_set_field_apply(&osf, &key, &mask);
    assert_int_equal(ft_set_field_init(&sf, field, value, osf.len, &key,
                                       &mask), 0);
    return sf;
}

static struct ft_set_field
make_sf_int(uint8_t field, uint64_t v)
{
    uint8_t w[16] = { 0 };
    put_be(w, v, of_oxm_field_len(field));
    return make_sf(field, w);
}

static struct ft_action
act_output(uint32_t port)
{
    struct ft_action a = { .type = FT_OFPAT_OUTPUT };
    a.output.port = port;
    a.output.max_len = 128;
    return a;
}

static struct ft_action
act_plain(uint16_t type)
{
    struct ft_action a = { .type = type };
    return a;
}

static struct ft_action
act_eth(uint16_t type, uint16_t ethertype)
{
    struct ft_action a = { .type = type };
    a.ethertype = ethertype;
    return a;
}

static struct ft_action
act_ttl(uint16_t type, uint8_t ttl)
{
    struct ft_action a = { .type = type };
    a.ttl = ttl;
    return a;
}

static struct ft_action
act_group(uint32_t id)
{
    struct ft_action a = { .type = FT_OFPAT_GROUP };
    a.group.group_id = id;
    return a;
}

static struct ft_action
act_sf(struct ft_set_field sf)
{
    struct ft_action a = { .type = FT_OFPAT_SET_FIELD };
    a.set_field = sf;
    return a;
}

static struct ft_action
act_sf_int(uint8_t field, uint64_t v)
{
    return act_sf(make_sf_int(field, v));
}

static struct ft_action_ctx
ctx_with(const struct ft_match *m)
{
    struct ft_action_ctx c = { .match = m, .groups = NULL,
                               .packet_out = false, .action_set = false,
                               .max_port = FT_OFPP_MAX };
    return c;
}

#define CHECK(ACTS, CTX) \
    ft_actions_check(&(struct ft_action_list) { (ACTS), \
        sizeof(ACTS) / sizeof((ACTS)[0]) }, (CTX))

static void
assert_err(struct ft_ofperr e, uint16_t type, uint16_t code)
{
    if (e.type != type || e.code != code) {
        fail_msg("error %u/%u, expected %u/%u", e.type, e.code, type, code);
    }
}

static void
assert_bad_action(struct ft_ofperr e, uint16_t code)
{
    assert_err(e, FT_OFPET_BAD_ACTION, code);
}

static void
assert_ok(struct ft_ofperr e)
{
    assert_err(e, 0, 0);
}

/* ---- prerequisites ---------------------------------------------------------- */

static const enum ft_prereq expected_prereq[40] = {
    [OFPXMT_OFB_IN_PORT] = FT_PREREQ_NONE,
    [OFPXMT_OFB_IN_PHY_PORT] = FT_PREREQ_NONE,
    [OFPXMT_OFB_METADATA] = FT_PREREQ_NONE,
    [OFPXMT_OFB_ETH_DST] = FT_PREREQ_NONE,
    [OFPXMT_OFB_ETH_SRC] = FT_PREREQ_NONE,
    [OFPXMT_OFB_ETH_TYPE] = FT_PREREQ_NONE,
    [OFPXMT_OFB_VLAN_VID] = FT_PREREQ_NONE,
    [OFPXMT_OFB_VLAN_PCP] = FT_PREREQ_VLAN,
    [OFPXMT_OFB_IP_DSCP] = FT_PREREQ_IP_ANY,
    [OFPXMT_OFB_IP_ECN] = FT_PREREQ_IP_ANY,
    [OFPXMT_OFB_IP_PROTO] = FT_PREREQ_IP_ANY,
    [OFPXMT_OFB_IPV4_SRC] = FT_PREREQ_IPV4,
    [OFPXMT_OFB_IPV4_DST] = FT_PREREQ_IPV4,
    [OFPXMT_OFB_TCP_SRC] = FT_PREREQ_TCP,
    [OFPXMT_OFB_TCP_DST] = FT_PREREQ_TCP,
    [OFPXMT_OFB_UDP_SRC] = FT_PREREQ_UDP,
    [OFPXMT_OFB_UDP_DST] = FT_PREREQ_UDP,
    [OFPXMT_OFB_SCTP_SRC] = FT_PREREQ_SCTP,
    [OFPXMT_OFB_SCTP_DST] = FT_PREREQ_SCTP,
    [OFPXMT_OFB_ICMPV4_TYPE] = FT_PREREQ_ICMPV4,
    [OFPXMT_OFB_ICMPV4_CODE] = FT_PREREQ_ICMPV4,
    [OFPXMT_OFB_ARP_OP] = FT_PREREQ_ARP,
    [OFPXMT_OFB_ARP_SPA] = FT_PREREQ_ARP,
    [OFPXMT_OFB_ARP_TPA] = FT_PREREQ_ARP,
    [OFPXMT_OFB_ARP_SHA] = FT_PREREQ_ARP,
    [OFPXMT_OFB_ARP_THA] = FT_PREREQ_ARP,
    [OFPXMT_OFB_IPV6_SRC] = FT_PREREQ_IPV6,
    [OFPXMT_OFB_IPV6_DST] = FT_PREREQ_IPV6,
    [OFPXMT_OFB_IPV6_FLABEL] = FT_PREREQ_IPV6,
    [OFPXMT_OFB_ICMPV6_TYPE] = FT_PREREQ_ICMPV6,
    [OFPXMT_OFB_ICMPV6_CODE] = FT_PREREQ_ICMPV6,
    [OFPXMT_OFB_IPV6_ND_TARGET] = FT_PREREQ_ND_TARGET,
    [OFPXMT_OFB_IPV6_ND_SLL] = FT_PREREQ_ND_SLL,
    [OFPXMT_OFB_IPV6_ND_TLL] = FT_PREREQ_ND_TLL,
    [OFPXMT_OFB_MPLS_LABEL] = FT_PREREQ_MPLS,
    [OFPXMT_OFB_MPLS_TC] = FT_PREREQ_MPLS,
    [OFPXMT_OFB_MPLS_BOS] = FT_PREREQ_MPLS,
    [OFPXMT_OFB_PBB_ISID] = FT_PREREQ_PBB,
    [OFPXMT_OFB_TUNNEL_ID] = FT_PREREQ_NONE,
    [OFPXMT_OFB_IPV6_EXTHDR] = FT_PREREQ_IPV6,
};

static void
test_prereq_table(void **state)
{
    (void) state;
    for (unsigned int f = 0; f < 40; f++) {
        if (ft_field_prereq((uint8_t) f) != expected_prereq[f]) {
            fail_msg("field %u (%s): prereq %d, expected %d", f,
                     of_oxm_field_name((uint8_t) f),
                     ft_field_prereq((uint8_t) f), expected_prereq[f]);
        }
    }
    assert_int_equal(ft_field_prereq(40), FT_PREREQ_NONE);
    assert_int_equal(ft_field_prereq(255), FT_PREREQ_NONE);
}

/* The table agrees with the codec: a match built to satisfy the field's
 * prerequisite accepts the field, the same match weakened by one
 * component refuses it, and ft_prereq_guaranteed() says the same. */
static void
test_prereq_matches_codec(void **state)
{
    (void) state;
    for (unsigned int f = 0; f < 40; f++) {
        enum ft_prereq p = ft_field_prereq((uint8_t) f);
        struct of_match m;
        struct of_err err;

        if (f == OFPXMT_OFB_IN_PHY_PORT) {
            continue;       /* needs IN_PORT: not a header prerequisite */
        }
        prereq_match(p, false, &m);
        assert_true(ft_prereq_guaranteed(p, &m.ft));
        match_add(&m, (uint8_t) f, 0, 0, false);
        if (of_match_check_prereqs(&m, &err)) {
            fail_msg("field %u (%s): codec refuses the prereq match", f,
                     of_oxm_field_name((uint8_t) f));
        }
        if (p == FT_PREREQ_NONE) {
            continue;
        }
        prereq_match(p, true, &m);
        assert_false(ft_prereq_guaranteed(p, &m.ft));
        match_add(&m, (uint8_t) f, 0, 0, false);
        if (!of_match_check_prereqs(&m, &err)) {
            fail_msg("field %u (%s): codec accepts the weakened match", f,
                     of_oxm_field_name((uint8_t) f));
        }
    }
}

static void
test_prereq_guaranteed_details(void **state)
{
    struct of_match m;

    (void) state;
    /* IP_ANY takes IPv6 too; a partially masked dl_type is not enough. */
    memset(&m, 0, sizeof m);
    match_add(&m, OFPXMT_OFB_ETH_TYPE, 0x86dd, 0, false);
    assert_true(ft_prereq_guaranteed(FT_PREREQ_IP_ANY, &m.ft));
    assert_true(ft_prereq_guaranteed(FT_PREREQ_IPV6, &m.ft));
    assert_false(ft_prereq_guaranteed(FT_PREREQ_IPV4, &m.ft));
    m.ft.mask.masks.dl_type = htons(0xff00);
    ft_match_normalize(&m.ft);
    assert_false(ft_prereq_guaranteed(FT_PREREQ_IP_ANY, &m.ft));

    /* TCP needs nw_proto=6 pinned on IP; ICMPv4 needs IPv4 exactly. */
    prereq_match(FT_PREREQ_TCP, false, &m);
    assert_true(ft_prereq_guaranteed(FT_PREREQ_TCP, &m.ft));
    assert_false(ft_prereq_guaranteed(FT_PREREQ_UDP, &m.ft));
    m.ft.mask.masks.nw_proto = 0x0f;
    assert_false(ft_prereq_guaranteed(FT_PREREQ_TCP, &m.ft));
    memset(&m, 0, sizeof m);
    match_add(&m, OFPXMT_OFB_ETH_TYPE, 0x86dd, 0, false);
    match_add(&m, OFPXMT_OFB_IP_PROTO, 1, 0, false);
    assert_false(ft_prereq_guaranteed(FT_PREREQ_ICMPV4, &m.ft));

    /* ND: SLL wants 135, TLL 136, target either. */
    prereq_match(FT_PREREQ_ND_SLL, false, &m);
    assert_true(ft_prereq_guaranteed(FT_PREREQ_ND_SLL, &m.ft));
    assert_true(ft_prereq_guaranteed(FT_PREREQ_ND_TARGET, &m.ft));
    assert_false(ft_prereq_guaranteed(FT_PREREQ_ND_TLL, &m.ft));
    prereq_match(FT_PREREQ_ND_TLL, false, &m);
    assert_true(ft_prereq_guaranteed(FT_PREREQ_ND_TLL, &m.ft));
    assert_true(ft_prereq_guaranteed(FT_PREREQ_ND_TARGET, &m.ft));
    assert_false(ft_prereq_guaranteed(FT_PREREQ_ND_SLL, &m.ft));

    /* VLAN: the PRESENT bit masked and set. vlan_vid=NONE masks it but
     * clears it; a VID match without the bit in the mask is not enough. */
    memset(&m, 0, sizeof m);
    match_add(&m, OFPXMT_OFB_VLAN_VID, OFPVID_PRESENT | 10, 0, false);
    assert_true(ft_prereq_guaranteed(FT_PREREQ_VLAN, &m.ft));
    memset(&m, 0, sizeof m);
    match_add(&m, OFPXMT_OFB_VLAN_VID, OFPVID_NONE, 0, false);
    assert_false(ft_prereq_guaranteed(FT_PREREQ_VLAN, &m.ft));
    memset(&m, 0, sizeof m);
    match_add(&m, OFPXMT_OFB_VLAN_VID, 10, 0xfff, true);
    assert_false(ft_prereq_guaranteed(FT_PREREQ_VLAN, &m.ft));

    /* MPLS: either ethertype. */
    memset(&m, 0, sizeof m);
    match_add(&m, OFPXMT_OFB_ETH_TYPE, 0x8848, 0, false);
    assert_true(ft_prereq_guaranteed(FT_PREREQ_MPLS, &m.ft));
    assert_false(ft_prereq_guaranteed(FT_PREREQ_PBB, &m.ft));

    /* The catch-all match guarantees nothing but NONE. */
    memset(&m, 0, sizeof m);
    assert_true(ft_prereq_guaranteed(FT_PREREQ_NONE, &m.ft));
    for (int p = FT_PREREQ_VLAN; p <= FT_PREREQ_PBB; p++) {
        assert_false(ft_prereq_guaranteed((enum ft_prereq) p, &m.ft));
    }
}

/* A packet key of the given shape. */
static struct ft_key
pkt(uint16_t eth, uint8_t proto, uint8_t icmp_type, bool vlan)
{
    struct ft_key k;
    memset(&k, 0, sizeof k);
    k.in_port = 3;
    k.dl_type = htons(eth);
    k.nw_proto = proto;
    k.tp_src = htons(icmp_type);
    k.tp_dst = htons(7);
    k.nw_ttl = 64;
    if (vlan) {
        k.vlans[0].tpid = htons(0x8100);
        k.vlans[0].tci = htons(FT_VLAN_PRESENT | 0x2005);
    }
    return k;
}

struct wc_expect {
    bool dl_type, nw_proto, icmp_type, vlan;
};

static void
assert_wc(const struct ft_mask *wc, struct wc_expect e)
{
    struct ft_mask want;
    memset(&want, 0, sizeof want);
    if (e.dl_type) {
        want.masks.dl_type = 0xffff;
    }
    if (e.nw_proto) {
        want.masks.nw_proto = 0xff;
    }
    if (e.icmp_type) {
        want.masks.tp_src = htons(0x00ff);
    }
    if (e.vlan) {
        want.masks.vlans[0].tci = htons(FT_VLAN_PRESENT);
    }
    if (memcmp(&want, wc, sizeof want)) {
        char a[512], b[512];
        ft_key_format(&want.masks, &want.masks, a, sizeof a);
        ft_key_format(&wc->masks, &wc->masks, b, sizeof b);
        fail_msg("wc %s, expected %s", b, a);
    }
}

static void
holds_case(enum ft_prereq p, struct ft_key k, bool expect,
           struct wc_expect e)
{
    struct ft_mask wc;
    memset(&wc, 0, sizeof wc);
    assert_int_equal(ft_prereq_holds(p, &k, &wc), expect);
    assert_wc(&wc, e);
    /* NULL wc is allowed and gives the same answer. */
    assert_int_equal(ft_prereq_holds(p, &k, NULL), expect);
}

static void
test_prereq_holds_wc(void **state)
{
    const struct wc_expect none = { 0 }, dl = { .dl_type = true },
        proto = { .dl_type = true, .nw_proto = true },
        icmp = { .dl_type = true, .nw_proto = true, .icmp_type = true },
        vlan = { .vlan = true };

    (void) state;
    holds_case(FT_PREREQ_NONE, pkt(0x0800, 6, 0, true), true, none);
    holds_case(FT_PREREQ_VLAN, pkt(0x0800, 6, 0, true), true, vlan);
    holds_case(FT_PREREQ_VLAN, pkt(0x0800, 6, 0, false), false, vlan);
    holds_case(FT_PREREQ_IP_ANY, pkt(0x86dd, 6, 0, false), true, dl);
    holds_case(FT_PREREQ_IP_ANY, pkt(0x0806, 1, 0, false), false, dl);
    holds_case(FT_PREREQ_IPV4, pkt(0x0800, 6, 0, false), true, dl);
    holds_case(FT_PREREQ_IPV4, pkt(0x86dd, 6, 0, false), false, dl);
    holds_case(FT_PREREQ_IPV6, pkt(0x86dd, 6, 0, false), true, dl);
    holds_case(FT_PREREQ_ARP, pkt(0x0806, 1, 0, false), true, dl);
    holds_case(FT_PREREQ_MPLS, pkt(0x8848, 0, 0, false), true, dl);
    holds_case(FT_PREREQ_MPLS, pkt(0x0800, 0, 0, false), false, dl);
    holds_case(FT_PREREQ_PBB, pkt(0x88e7, 0, 0, false), true, dl);
    /* L4: nw_proto is read only when the packet is IP. */
    holds_case(FT_PREREQ_TCP, pkt(0x0800, 6, 0, false), true, proto);
    holds_case(FT_PREREQ_TCP, pkt(0x86dd, 17, 0, false), false, proto);
    holds_case(FT_PREREQ_TCP, pkt(0x0806, 6, 0, false), false, dl);
    holds_case(FT_PREREQ_UDP, pkt(0x86dd, 17, 0, false), true, proto);
    holds_case(FT_PREREQ_SCTP, pkt(0x0800, 132, 0, false), true, proto);
    holds_case(FT_PREREQ_ICMPV4, pkt(0x0800, 1, 8, false), true, proto);
    holds_case(FT_PREREQ_ICMPV4, pkt(0x86dd, 1, 8, false), false, dl);
    holds_case(FT_PREREQ_ICMPV6, pkt(0x86dd, 58, 128, false), true, proto);
    holds_case(FT_PREREQ_ICMPV6, pkt(0x0800, 58, 128, false), false, dl);
    /* ND: the ICMP type (low byte of tp_src) only on ICMPv6. */
    holds_case(FT_PREREQ_ND_SLL, pkt(0x86dd, 58, 135, false), true, icmp);
    holds_case(FT_PREREQ_ND_SLL, pkt(0x86dd, 58, 136, false), false, icmp);
    holds_case(FT_PREREQ_ND_TLL, pkt(0x86dd, 58, 136, false), true, icmp);
    holds_case(FT_PREREQ_ND_TARGET, pkt(0x86dd, 58, 135, false), true, icmp);
    holds_case(FT_PREREQ_ND_TARGET, pkt(0x86dd, 58, 136, false), true, icmp);
    holds_case(FT_PREREQ_ND_TARGET, pkt(0x86dd, 58, 128, false), false,
               icmp);
    holds_case(FT_PREREQ_ND_TARGET, pkt(0x86dd, 6, 135, false), false,
               proto);

    /* holds() ORs into wc: bits already there stay. */
    struct ft_mask wc;
    struct ft_key k = pkt(0x0800, 6, 0, false);
    memset(&wc, 0, sizeof wc);
    wc.masks.in_port = UINT32_MAX;
    assert_true(ft_prereq_holds(FT_PREREQ_TCP, &k, &wc));
    assert_int_equal(wc.masks.in_port, UINT32_MAX);
    assert_int_equal(wc.masks.nw_proto, 0xff);
}

/* ---- SET_FIELD ---------------------------------------------------------------- */

/* A packet key with every byte set, so a set that writes outside its
 * field shows. */
static struct ft_key
busy_key(void)
{
    struct ft_key k;
    uint8_t *p = (uint8_t *) &k;
    for (size_t i = 0; i < sizeof k; i++) {
        p[i] = (uint8_t) (0x5a + i * 7);
    }
    k.vlans[0].tci |= htons(FT_VLAN_PRESENT);
    return k;
}

/* Applies 'value' to 'field' both ways and compares: the ft form gives
 * the codec's result and writes exactly the codec's mask. */
static void
sf_roundtrip(uint8_t field, const uint8_t *value, unsigned int n_words)
{
    struct ft_set_field sf = make_sf(field, value);
    struct of_set_field osf = { .field = field,
                                .len = (uint8_t) of_oxm_field_len(field) };
    struct ft_key k1 = busy_key(), k2 = busy_key();
    struct ft_key w1, w2;

    memcpy(osf.value, value, osf.len);
    memset(&w1, 0, sizeof w1);
    memset(&w2, 0, sizeof w2);
    ft_set_field_apply(&sf, &k1, &w1);
    of_set_field_apply(&osf, &k2, &w2);
    if (!ft_key_equal(&k1, &k2) || !ft_key_equal(&w1, &w2)) {
        fail_msg("field %s: ft apply differs from the codec's",
                 of_oxm_field_name(field));
    }
    assert_int_equal(sf.oxm_field, field);
    assert_int_equal(sf.len, osf.len);
    assert_memory_equal(sf.value, value, osf.len);
    assert_int_equal(sf.n_words, n_words);
    for (unsigned int i = 1; i < sf.n_words; i++) {
        assert_true(sf.word[i - 1] < sf.word[i]);
    }
    assert_int_equal(sf.prereq, ft_field_prereq(field));
    /* NULL 'written' is allowed. */
    struct ft_key k3 = busy_key();
    ft_set_field_apply(&sf, &k3, NULL);
    assert_true(ft_key_equal(&k1, &k3));
}

static void
test_set_field_each_header(void **state)
{
    static const uint8_t mac[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0x55 };
    static const uint8_t ip4[4] = { 10, 1, 2, 3 };
    static const uint8_t ip6[16] = { 0x20, 0x01, 0x0d, 0xb8, 1, 2, 3, 4,
                                     5, 6, 7, 8, 9, 10, 11, 12 };
    uint8_t v[16];

    (void) state;
    /* L2: eth_dst in one word, eth_src straddles words 10 and 11. */
    sf_roundtrip(OFPXMT_OFB_ETH_DST, mac, 1);
    sf_roundtrip(OFPXMT_OFB_ETH_SRC, mac, 2);
    put_be(v, 0x0806, 2);
    sf_roundtrip(OFPXMT_OFB_ETH_TYPE, v, 1);
    put_be(v, 5, 1);
    sf_roundtrip(OFPXMT_OFB_VLAN_PCP, v, 1);
    /* MPLS label inside mpls_lse[0]; PBB I-SID. */
    put_be(v, 0xabcde, 4);
    sf_roundtrip(OFPXMT_OFB_MPLS_LABEL, v, 1);
    put_be(v, 1, 1);
    sf_roundtrip(OFPXMT_OFB_MPLS_BOS, v, 1);
    put_be(v, 0x123456, 3);
    sf_roundtrip(OFPXMT_OFB_PBB_ISID, v, 1);
    /* L3: DSCP keeps ECN, IPv4, IPv6 addresses over two words, flow
     * label, ND target and link-layer options, ARP op (+ nw_proto). */
    put_be(v, 46, 1);
    sf_roundtrip(OFPXMT_OFB_IP_DSCP, v, 1);
    put_be(v, 3, 1);
    sf_roundtrip(OFPXMT_OFB_IP_ECN, v, 1);
    sf_roundtrip(OFPXMT_OFB_IPV4_SRC, ip4, 1);
    sf_roundtrip(OFPXMT_OFB_ARP_TPA, ip4, 1);
    sf_roundtrip(OFPXMT_OFB_IPV6_SRC, ip6, 2);
    sf_roundtrip(OFPXMT_OFB_IPV6_DST, ip6, 2);
    sf_roundtrip(OFPXMT_OFB_IPV6_ND_TARGET, ip6, 2);
    sf_roundtrip(OFPXMT_OFB_IPV6_ND_SLL, mac, 1);
    sf_roundtrip(OFPXMT_OFB_ARP_THA, mac, 2);
    put_be(v, 0x12345, 4);
    sf_roundtrip(OFPXMT_OFB_IPV6_FLABEL, v, 1);
    put_be(v, 2, 2);
    sf_roundtrip(OFPXMT_OFB_ARP_OP, v, 2);
    /* L4 and metadata. */
    put_be(v, 8080, 2);
    sf_roundtrip(OFPXMT_OFB_TCP_DST, v, 1);
    put_be(v, 53, 2);
    sf_roundtrip(OFPXMT_OFB_UDP_SRC, v, 1);
    put_be(v, 135, 1);
    sf_roundtrip(OFPXMT_OFB_ICMPV6_TYPE, v, 1);
    put_be(v, 0x0102030405060708ull, 8);
    sf_roundtrip(OFPXMT_OFB_TUNNEL_ID, v, 1);
}

/* VLAN_VID changes the VID of an existing tag and never the PRESENT bit,
 * whatever the controller's value says about it. */
static void
test_set_field_vlan_vid(void **state)
{
    uint8_t v[2];
    struct ft_key k;

    (void) state;
    for (int with_present = 0; with_present < 2; with_present++) {
        put_be(v, (with_present ? OFPVID_PRESENT : 0) | 0x123, 2);
        struct ft_set_field sf = make_sf(OFPXMT_OFB_VLAN_VID, v);
        struct ft_key w;

        assert_int_equal(sf.n_words, 1);
        assert_int_equal(sf.prereq, FT_PREREQ_VLAN);
        memset(&k, 0, sizeof k);
        k.vlans[0].tci = htons(FT_VLAN_PRESENT | 0xa000 | 0xfff);
        memset(&w, 0, sizeof w);
        ft_set_field_apply(&sf, &k, &w);
        assert_int_equal(ntohs(k.vlans[0].tci),
                         FT_VLAN_PRESENT | 0xa000 | 0x123);
        assert_int_equal(ntohs(w.vlans[0].tci), FT_VLAN_VID_MASK);

        /* On an untagged key the bit stays clear (xlate checks the
         * prerequisite first; the apply itself never adds a tag). */
        memset(&k, 0, sizeof k);
        ft_set_field_apply(&sf, &k, NULL);
        assert_int_equal(ntohs(k.vlans[0].tci), 0x123);
    }
}

static void
test_set_field_init_errors(void **state)
{
    struct ft_set_field sf;
    struct ft_key key, mask;
    uint8_t v[16] = { 1, 2, 3, 4 };

    (void) state;
    memset(&key, 0, sizeof key);
    memset(&mask, 0, sizeof mask);
    /* Empty mask. */
    assert_int_equal(ft_set_field_init(&sf, OFPXMT_OFB_IPV4_SRC, v, 4,
                                       &key, &mask), -EINVAL);
    /* Four words. */
    mask.nw_src = UINT32_MAX;
    mask.tp_src = UINT16_MAX;
    mask.dl_type = UINT16_MAX;
    mask.metadata = 1;
    assert_int_equal(ft_set_field_init(&sf, OFPXMT_OFB_IPV4_SRC, v, 4,
                                       &key, &mask), -EINVAL);
    /* Three words are fine. */
    mask.metadata = 0;
    assert_int_equal(ft_set_field_init(&sf, OFPXMT_OFB_IPV4_SRC, v, 4,
                                       &key, &mask), 0);
    assert_int_equal(sf.n_words, 3);
    /* Lengths out of range or not the field's. */
    assert_int_equal(ft_set_field_init(&sf, OFPXMT_OFB_IPV4_SRC, v, 0,
                                       &key, &mask), -EINVAL);
    assert_int_equal(ft_set_field_init(&sf, OFPXMT_OFB_IPV4_SRC, v, 17,
                                       &key, &mask), -EINVAL);
    assert_int_equal(ft_set_field_init(&sf, OFPXMT_OFB_IPV4_SRC, v, 2,
                                       &key, &mask), -EINVAL);
    assert_int_equal(ft_set_field_init(&sf, 40, v, 4, &key, &mask), -EINVAL);
    /* VLAN_VID whose mask is only the PRESENT bit writes nothing. */
    memset(&mask, 0, sizeof mask);
    mask.vlans[0].tci = htons(FT_VLAN_PRESENT);
    assert_int_equal(ft_set_field_init(&sf, OFPXMT_OFB_VLAN_VID, v, 2,
                                       &key, &mask), -EINVAL);
}

/* ---- ft_actions_check ----------------------------------------------------------- */

static void
test_check_output_ports(void **state)
{
    struct ft_action_ctx c = ctx_with(NULL);

    (void) state;
    c.max_port = 10;
    static const uint32_t good[] = {
        1, 10, FT_OFPP_IN_PORT, FT_OFPP_NORMAL, FT_OFPP_FLOOD, FT_OFPP_ALL,
        FT_OFPP_CONTROLLER, FT_OFPP_LOCAL,
    };
    static const uint32_t bad[] = {
        0, 11, FT_OFPP_MAX, FT_OFPP_MAX + 1, 0xfffffff7u, FT_OFPP_ANY,
        FT_OFPP_TABLE,
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        struct ft_action a[] = { act_output(good[i]) };
        assert_ok(CHECK(a, &c));
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct ft_action a[] = { act_output(bad[i]) };
        assert_bad_action(CHECK(a, &c), FT_OFPBAC_BAD_OUT_PORT);
    }
    /* TABLE only in a packet-out; FT_OFPP_MAX when ports are unknown. */
    c.packet_out = true;
    struct ft_action table[] = { act_output(FT_OFPP_TABLE) };
    assert_ok(CHECK(table, &c));
    c.max_port = FT_OFPP_MAX;
    struct ft_action maxp[] = { act_output(FT_OFPP_MAX) };
    assert_ok(CHECK(maxp, &c));
}

static void
test_check_groups(void **state)
{
    struct ft_group_table *t = ft_group_table_create(0, NULL, NULL, NULL);
    struct ft_action_ctx c = ctx_with(NULL);
    struct ft_action out[] = { act_output(1) };
    struct ft_bucket_cfg b = { .weight = 0, .watch_port = FT_OFPP_ANY,
                               .watch_group = FT_OFPG_ANY,
                               .actions = { out, 1 } };
    struct ft_group_mod gm = { .command = FT_OFPGC_ADD,
                               .type = FT_OFPGT_INDIRECT, .group_id = 5,
                               .n_buckets = 1, .buckets = &b };
    struct ft_action g5[] = { act_group(5) }, g6[] = { act_group(6) };
    struct ft_action gany[] = { act_group(FT_OFPG_ANY) };

    (void) state;
    assert_non_null(t);
    assert_ok(ft_group_mod(t, &gm, 0, NULL, 0, NULL));
    /* No table: every GROUP is refused. */
    assert_bad_action(CHECK(g5, &c), FT_OFPBAC_BAD_OUT_GROUP);
    c.groups = t;
    assert_ok(CHECK(g5, &c));
    assert_bad_action(CHECK(g6, &c), FT_OFPBAC_BAD_OUT_GROUP);
    assert_bad_action(CHECK(gany, &c), FT_OFPBAC_BAD_OUT_GROUP);
    ft_group_table_destroy(t);
}

static void
test_check_arguments(void **state)
{
    struct ft_action_ctx c = ctx_with(NULL);

    (void) state;
    struct ft_action ok[] = {
        act_eth(FT_OFPAT_PUSH_VLAN, 0x8100), act_eth(FT_OFPAT_PUSH_VLAN, 0x88a8),
        act_eth(FT_OFPAT_PUSH_MPLS, 0x8847), act_eth(FT_OFPAT_PUSH_MPLS, 0x8848),
        act_eth(FT_OFPAT_PUSH_PBB, 0x88e7), act_eth(FT_OFPAT_POP_MPLS, 0x0800),
        act_ttl(FT_OFPAT_SET_NW_TTL, 0), act_ttl(FT_OFPAT_SET_MPLS_TTL, 255),
    };
    assert_ok(CHECK(ok, &c));
    struct ft_action v[] = { act_eth(FT_OFPAT_PUSH_VLAN, 0x0800) };
    assert_bad_action(CHECK(v, &c), FT_OFPBAC_BAD_ARGUMENT);
    struct ft_action m[] = { act_eth(FT_OFPAT_PUSH_MPLS, 0x8100) };
    assert_bad_action(CHECK(m, &c), FT_OFPBAC_BAD_ARGUMENT);
    struct ft_action p[] = { act_eth(FT_OFPAT_PUSH_PBB, 0x8100) };
    assert_bad_action(CHECK(p, &c), FT_OFPBAC_BAD_ARGUMENT);
    struct ft_action unknown[] = { act_plain(99) };
    assert_bad_action(CHECK(unknown, &c), FT_OFPBAC_BAD_TYPE);
    struct ft_action exp[] = { act_plain(0xffff) };
    assert_bad_action(CHECK(exp, &c), FT_OFPBAC_BAD_TYPE);
}

/* The codec's settable set is the one the check enforces, and every
 * settable field checks fine with its prerequisite matched. */
static void
test_check_set_type(void **state)
{
    (void) state;
    for (unsigned int f = 0; f < 40; f++) {
        struct ft_key key, mask;
        struct ft_set_field sf;
        uint8_t v[16] = { 0 };

        memset(&key, 0, sizeof key);
        memset(&mask, 0, sizeof mask);
        /* Non-settable fields still have key bits: build them by hand. */
        struct of_set_field osf = { .field = (uint8_t) f,
                                    .len = (uint8_t) of_oxm_field_len(
                                        (uint8_t) f) };
        of_set_field_apply(&osf, &key, &mask);
        assert_int_equal(ft_set_field_init(&sf, (uint8_t) f, v, osf.len,
                                           &key, &mask), 0);
        struct ft_action a[] = { act_sf(sf) };
        struct of_match m;
        prereq_match(sf.prereq, false, &m);
        struct ft_action_ctx c = ctx_with(&m.ft);
        struct ft_ofperr e = CHECK(a, &c);
        if (of_oxm_field_settable((uint8_t) f)) {
            if (!ft_ofperr_is_ok(e)) {
                fail_msg("field %s: error %u/%u",
                         of_oxm_field_name((uint8_t) f), e.type, e.code);
            }
        } else {
            assert_bad_action(e, FT_OFPBAC_BAD_SET_TYPE);
        }
    }
    /* Out of the table, and a set_field not built by init. */
    struct ft_action a[] = { act_sf_int(OFPXMT_OFB_TCP_DST, 80) };
    struct ft_action_ctx c = ctx_with(NULL);
    a[0].set_field.oxm_field = 40;
    assert_bad_action(CHECK(a, &c), FT_OFPBAC_BAD_SET_TYPE);
    a[0] = act_sf_int(OFPXMT_OFB_TCP_DST, 80);
    a[0].set_field.len = 4;
    assert_bad_action(CHECK(a, &c), FT_OFPBAC_BAD_SET_LEN);
    a[0] = act_sf_int(OFPXMT_OFB_TCP_DST, 80);
    a[0].set_field.n_words = 0;
    assert_bad_action(CHECK(a, &c), FT_OFPBAC_BAD_SET_ARGUMENT);
}

static void
test_check_match_inconsistent(void **state)
{
    struct of_match ip, arp, untagged, tagged, mpls, tcp6;

    (void) state;
    prereq_match(FT_PREREQ_IPV4, false, &ip);
    prereq_match(FT_PREREQ_ARP, false, &arp);
    memset(&untagged, 0, sizeof untagged);
    match_add(&untagged, OFPXMT_OFB_VLAN_VID, OFPVID_NONE, 0, false);
    memset(&tagged, 0, sizeof tagged);
    match_add(&tagged, OFPXMT_OFB_VLAN_VID, OFPVID_PRESENT | 7, 0, false);
    prereq_match(FT_PREREQ_MPLS, false, &mpls);
    prereq_match(FT_PREREQ_TCP, false, &tcp6);

    struct ft_action_ctx c_ip = ctx_with(&ip.ft), c_arp = ctx_with(&arp.ft);
    struct ft_action_ctx c_un = ctx_with(&untagged.ft);
    struct ft_action_ctx c_tag = ctx_with(&tagged.ft);
    struct ft_action_ctx c_mpls = ctx_with(&mpls.ft);
    struct ft_action_ctx c_tcp = ctx_with(&tcp6.ft);

    /* Set-fields need their field's prerequisite. */
    struct ft_action tcp_src[] = { act_sf_int(OFPXMT_OFB_TCP_SRC, 80) };
    assert_bad_action(CHECK(tcp_src, &c_ip),
                      FT_OFPBAC_MATCH_INCONSISTENT);
    assert_ok(CHECK(tcp_src, &c_tcp));
    struct ft_action arp_op[] = { act_sf_int(OFPXMT_OFB_ARP_OP, 2) };
    assert_bad_action(CHECK(arp_op, &c_ip), FT_OFPBAC_MATCH_INCONSISTENT);
    assert_ok(CHECK(arp_op, &c_arp));
    struct ft_action pcp[] = { act_sf_int(OFPXMT_OFB_VLAN_PCP, 3) };
    assert_bad_action(CHECK(pcp, &c_un), FT_OFPBAC_MATCH_INCONSISTENT);
    assert_ok(CHECK(pcp, &c_tag));
    /* vlan_vid matches without a prerequisite but is set only on a tag. */
    struct ft_action vid[] = { act_sf_int(OFPXMT_OFB_VLAN_VID, 0x1005) };
    assert_bad_action(CHECK(vid, &c_un), FT_OFPBAC_MATCH_INCONSISTENT);
    assert_ok(CHECK(vid, &c_tag));
    /* Fields without a prerequisite are settable anywhere. */
    struct ft_action tun[] = { act_sf_int(OFPXMT_OFB_TUNNEL_ID, 9),
                               act_sf_int(OFPXMT_OFB_ETH_DST, 1) };
    assert_ok(CHECK(tun, &c_un));

    /* Header actions. */
    struct ft_action pop_vlan[] = { act_plain(FT_OFPAT_POP_VLAN) };
    assert_bad_action(CHECK(pop_vlan, &c_un), FT_OFPBAC_MATCH_INCONSISTENT);
    assert_bad_action(CHECK(pop_vlan, &c_ip), FT_OFPBAC_MATCH_INCONSISTENT);
    assert_ok(CHECK(pop_vlan, &c_tag));
    static const uint16_t nw[] = { FT_OFPAT_DEC_NW_TTL, FT_OFPAT_SET_NW_TTL };
    for (size_t i = 0; i < 2; i++) {
        struct ft_action a[] = { act_ttl(nw[i], 5) };
        assert_bad_action(CHECK(a, &c_arp), FT_OFPBAC_MATCH_INCONSISTENT);
        assert_bad_action(CHECK(a, &c_mpls), FT_OFPBAC_MATCH_INCONSISTENT);
        assert_ok(CHECK(a, &c_ip));
        assert_ok(CHECK(a, &c_tcp));    /* IPv6 too */
    }
    static const uint16_t mp[] = {
        FT_OFPAT_SET_MPLS_TTL, FT_OFPAT_DEC_MPLS_TTL, FT_OFPAT_POP_MPLS,
        FT_OFPAT_COPY_TTL_OUT, FT_OFPAT_COPY_TTL_IN,
    };
    for (size_t i = 0; i < sizeof mp / sizeof mp[0]; i++) {
        struct ft_action a[] = { act_ttl(mp[i], 5) };
        if (mp[i] == FT_OFPAT_POP_MPLS) {
            a[0] = act_eth(FT_OFPAT_POP_MPLS, 0x0800);
        }
        assert_bad_action(CHECK(a, &c_ip), FT_OFPBAC_MATCH_INCONSISTENT);
        assert_ok(CHECK(a, &c_mpls));
    }
    struct ft_action pop_pbb[] = { act_plain(FT_OFPAT_POP_PBB) };
    assert_bad_action(CHECK(pop_pbb, &c_ip), FT_OFPBAC_MATCH_INCONSISTENT);

    /* Without a match (buckets, packet-out) prerequisites are xlate's. */
    struct ft_action_ctx c_none = ctx_with(NULL);
    struct ft_action all[] = {
        act_plain(FT_OFPAT_POP_VLAN), act_plain(FT_OFPAT_DEC_NW_TTL),
        act_plain(FT_OFPAT_DEC_MPLS_TTL), act_plain(FT_OFPAT_POP_PBB),
        act_sf_int(OFPXMT_OFB_TCP_SRC, 1), act_sf_int(OFPXMT_OFB_VLAN_VID, 3),
    };
    assert_ok(CHECK(all, &c_none));
}

/* The walk: actions change what the following ones may assume. */
static void
test_check_action_walk(void **state)
{
    struct of_match untagged, tagged, ip, any;

    (void) state;
    memset(&untagged, 0, sizeof untagged);
    match_add(&untagged, OFPXMT_OFB_VLAN_VID, OFPVID_NONE, 0, false);
    memset(&tagged, 0, sizeof tagged);
    match_add(&tagged, OFPXMT_OFB_VLAN_VID, OFPVID_PRESENT | 7, 0, false);
    prereq_match(FT_PREREQ_IPV4, false, &ip);
    memset(&any, 0, sizeof any);
    struct ft_action_ctx c_un = ctx_with(&untagged.ft);
    struct ft_action_ctx c_tag = ctx_with(&tagged.ft);
    struct ft_action_ctx c_ip = ctx_with(&ip.ft);
    struct ft_action_ctx c_any = ctx_with(&any.ft);

    /* push_vlan makes a tag: pcp and vid can be set, and popped. */
    struct ft_action a1[] = {
        act_eth(FT_OFPAT_PUSH_VLAN, 0x8100),
        act_sf_int(OFPXMT_OFB_VLAN_PCP, 3),
        act_sf_int(OFPXMT_OFB_VLAN_VID, 0x1000 | 10), act_output(1),
        act_plain(FT_OFPAT_POP_VLAN),
    };
    assert_ok(CHECK(a1, &c_un));
    assert_ok(CHECK(a1, &c_any));
    /* The pop removed the pushed tag: nothing is known of another. */
    struct ft_action a2[] = {
        act_plain(FT_OFPAT_POP_VLAN), act_plain(FT_OFPAT_POP_VLAN),
    };
    assert_bad_action(CHECK(a2, &c_tag), FT_OFPBAC_MATCH_INCONSISTENT);
    struct ft_action a3[] = {
        act_plain(FT_OFPAT_POP_VLAN), act_sf_int(OFPXMT_OFB_VLAN_PCP, 1),
    };
    assert_bad_action(CHECK(a3, &c_tag), FT_OFPBAC_MATCH_INCONSISTENT);
    /* Two pushes are known, so two pops are fine (and a third is not). */
    struct ft_action a4[] = {
        act_eth(FT_OFPAT_PUSH_VLAN, 0x88a8), act_eth(FT_OFPAT_PUSH_VLAN, 0x8100),
        act_plain(FT_OFPAT_POP_VLAN), act_plain(FT_OFPAT_POP_VLAN),
    };
    assert_ok(CHECK(a4, &c_un));
    struct ft_action a5[] = {
        act_eth(FT_OFPAT_PUSH_VLAN, 0x88a8), act_eth(FT_OFPAT_PUSH_VLAN, 0x8100),
        act_plain(FT_OFPAT_POP_VLAN), act_plain(FT_OFPAT_POP_VLAN),
        act_plain(FT_OFPAT_POP_VLAN),
    };
    assert_bad_action(CHECK(a5, &c_un), FT_OFPBAC_MATCH_INCONSISTENT);
    /* On a tagged match, push then two pops reach the matched tag. */
    struct ft_action a6[] = {
        act_eth(FT_OFPAT_PUSH_VLAN, 0x88a8), act_plain(FT_OFPAT_POP_VLAN),
        act_plain(FT_OFPAT_POP_VLAN),
    };
    assert_ok(CHECK(a6, &c_tag));

    /* push_mpls makes MPLS and hides IP; pop_mpls restores the type. */
    struct ft_action m1[] = {
        act_eth(FT_OFPAT_PUSH_MPLS, 0x8847), act_plain(FT_OFPAT_DEC_MPLS_TTL),
        act_ttl(FT_OFPAT_SET_MPLS_TTL, 9), act_plain(FT_OFPAT_COPY_TTL_OUT),
        act_sf_int(OFPXMT_OFB_MPLS_LABEL, 100),
    };
    assert_ok(CHECK(m1, &c_ip));
    assert_ok(CHECK(m1, &c_any));
    struct ft_action m2[] = {
        act_eth(FT_OFPAT_PUSH_MPLS, 0x8847), act_plain(FT_OFPAT_DEC_NW_TTL),
    };
    assert_bad_action(CHECK(m2, &c_ip), FT_OFPBAC_MATCH_INCONSISTENT);
    struct ft_action m3[] = {
        act_eth(FT_OFPAT_PUSH_MPLS, 0x8847), act_eth(FT_OFPAT_POP_MPLS, 0x0800),
        act_plain(FT_OFPAT_DEC_NW_TTL), act_sf_int(OFPXMT_OFB_IPV4_DST, 1),
    };
    assert_ok(CHECK(m3, &c_any));
    struct ft_action m4[] = {
        act_eth(FT_OFPAT_PUSH_MPLS, 0x8847), act_eth(FT_OFPAT_POP_MPLS, 0x0806),
        act_plain(FT_OFPAT_DEC_NW_TTL),
    };
    assert_bad_action(CHECK(m4, &c_ip), FT_OFPBAC_MATCH_INCONSISTENT);

    /* set_field eth_type changes the ethertype later actions see. */
    struct ft_action e1[] = {
        act_sf_int(OFPXMT_OFB_ETH_TYPE, 0x86dd), act_plain(FT_OFPAT_DEC_NW_TTL),
        act_sf_int(OFPXMT_OFB_IPV6_FLABEL, 5),
    };
    assert_ok(CHECK(e1, &c_any));
    struct ft_action e2[] = {
        act_sf_int(OFPXMT_OFB_ETH_TYPE, 0x0806), act_plain(FT_OFPAT_DEC_NW_TTL),
    };
    assert_bad_action(CHECK(e2, &c_ip), FT_OFPBAC_MATCH_INCONSISTENT);

    /* PBB: push makes it, pop leaves the inner ethertype unknown. */
    struct ft_action p1[] = {
        act_eth(FT_OFPAT_PUSH_PBB, 0x88e7), act_sf_int(OFPXMT_OFB_PBB_ISID, 7),
        act_plain(FT_OFPAT_POP_PBB),
    };
    assert_ok(CHECK(p1, &c_ip));
    struct ft_action p2[] = {
        act_eth(FT_OFPAT_PUSH_PBB, 0x88e7), act_plain(FT_OFPAT_POP_PBB),
        act_plain(FT_OFPAT_DEC_NW_TTL),
    };
    assert_bad_action(CHECK(p2, &c_ip), FT_OFPBAC_MATCH_INCONSISTENT);
    /* After push_pbb the new outer header has no tag. */
    struct ft_action p3[] = {
        act_eth(FT_OFPAT_PUSH_PBB, 0x88e7), act_plain(FT_OFPAT_POP_VLAN),
    };
    assert_bad_action(CHECK(p3, &c_tag), FT_OFPBAC_MATCH_INCONSISTENT);

    /* The walk never changes the caller's match. */
    struct of_match copy = tagged;
    assert_ok(CHECK(a6, &c_tag));
    assert_memory_equal(&copy.ft, &tagged.ft, sizeof copy.ft);
}

static void
test_check_action_set(void **state)
{
    struct of_match untagged;
    struct ft_action_ctx c = ctx_with(NULL);

    (void) state;
    c.action_set = true;
    struct ft_action two_out[] = { act_output(1), act_output(2) };
    assert_bad_action(CHECK(two_out, &c), FT_OFPBAC_UNSUPPORTED_ORDER);
    struct ft_action two_ttl[] = {
        act_plain(FT_OFPAT_DEC_NW_TTL), act_output(1),
        act_plain(FT_OFPAT_DEC_NW_TTL),
    };
    assert_bad_action(CHECK(two_ttl, &c), FT_OFPBAC_UNSUPPORTED_ORDER);
    /* Set-fields: one per field. */
    struct ft_action sf_ok[] = {
        act_sf_int(OFPXMT_OFB_ETH_DST, 1), act_sf_int(OFPXMT_OFB_ETH_SRC, 2),
        act_sf_int(OFPXMT_OFB_TUNNEL_ID, 3), act_output(1),
        act_plain(FT_OFPAT_POP_VLAN),
    };
    assert_ok(CHECK(sf_ok, &c));
    struct ft_action sf_dup[] = {
        act_sf_int(OFPXMT_OFB_ETH_DST, 1), act_sf_int(OFPXMT_OFB_ETH_SRC, 2),
        act_sf_int(OFPXMT_OFB_ETH_DST, 3),
    };
    assert_bad_action(CHECK(sf_dup, &c), FT_OFPBAC_UNSUPPORTED_ORDER);
    /* As a list, duplicates are fine. */
    c.action_set = false;
    assert_ok(CHECK(two_out, &c));
    assert_ok(CHECK(sf_dup, &c));

    /* An action set is walked in execution order: push_vlan runs before
     * the set-field whatever the order written. */
    memset(&untagged, 0, sizeof untagged);
    match_add(&untagged, OFPXMT_OFB_VLAN_VID, OFPVID_NONE, 0, false);
    c.match = &untagged.ft;
    struct ft_action wr[] = {
        act_sf_int(OFPXMT_OFB_VLAN_PCP, 3), act_output(1),
        act_eth(FT_OFPAT_PUSH_VLAN, 0x8100),
    };
    c.action_set = true;
    assert_ok(CHECK(wr, &c));
    c.action_set = false;
    assert_bad_action(CHECK(wr, &c), FT_OFPBAC_MATCH_INCONSISTENT);
    /* ...and pop runs before push: pop_vlan on untagged stays wrong. */
    struct ft_action pp[] = {
        act_eth(FT_OFPAT_PUSH_VLAN, 0x8100), act_plain(FT_OFPAT_POP_VLAN),
    };
    c.action_set = true;
    assert_bad_action(CHECK(pp, &c), FT_OFPBAC_MATCH_INCONSISTENT);
    c.action_set = false;
    assert_ok(CHECK(pp, &c));
}

static void
test_check_too_many(void **state)
{
    struct ft_action *acts = calloc(FT_MAX_ACTIONS + 1, sizeof *acts);
    struct ft_action_ctx c = ctx_with(NULL);

    (void) state;
    assert_non_null(acts);
    for (unsigned int i = 0; i <= FT_MAX_ACTIONS; i++) {
        acts[i] = act_output(1);
    }
    struct ft_action_list l = { acts, FT_MAX_ACTIONS };
    assert_ok(ft_actions_check(&l, &c));
    l.n = FT_MAX_ACTIONS + 1;
    assert_bad_action(ft_actions_check(&l, &c), FT_OFPBAC_TOO_MANY);
    /* TOO_MANY wins over errors inside the list. */
    acts[0] = act_output(0);
    assert_bad_action(ft_actions_check(&l, &c), FT_OFPBAC_TOO_MANY);
    l.n = 0;
    assert_ok(ft_actions_check(&l, &c));
    free(acts);
}

/* ---- list helpers ------------------------------------------------------------------ */

static void
test_list_clone_equal(void **state)
{
    struct ft_action acts[] = {
        act_output(2), act_sf_int(OFPXMT_OFB_IPV4_SRC, 0x0a000001),
        act_group(7), act_eth(FT_OFPAT_PUSH_VLAN, 0x8100),
    };
    struct ft_action_list src = { acts, 4 }, dst, empty = { NULL, 0 };

    (void) state;
    assert_int_equal(ft_action_list_clone(&src, &dst), 0);
    assert_int_equal(dst.n, 4);
    assert_ptr_not_equal(dst.acts, acts);
    assert_true(ft_action_list_equal(&src, &dst));
    /* Deep: changing the source does not change the clone. */
    acts[0].output.port = 3;
    assert_false(ft_action_list_equal(&src, &dst));
    assert_int_equal(dst.acts[0].output.port, 2);
    acts[0].output.port = 2;
    assert_true(ft_action_list_equal(&src, &dst));
    /* A resolved group pointer is not part of the value; the id is. */
    dst.acts[2].group.group = (struct ft_group *) (uintptr_t) 0x1000;
    assert_true(ft_action_list_equal(&src, &dst));
    dst.acts[2].group.group_id = 8;
    assert_false(ft_action_list_equal(&src, &dst));
    dst.acts[2].group.group_id = 7;
    /* Set-field values and ethertypes count; unused union bytes do not. */
    dst.acts[1].set_field.value[3] ^= 1;
    assert_false(ft_action_list_equal(&src, &dst));
    dst.acts[1].set_field.value[3] ^= 1;
    dst.acts[3].ethertype = 0x88a8;
    assert_false(ft_action_list_equal(&src, &dst));
    dst.acts[3].ethertype = 0x8100;
    struct ft_action p1 = act_plain(FT_OFPAT_POP_VLAN);
    struct ft_action p2 = p1;
    memset(&p2.output, 0x77, sizeof p2.output);
    p2.type = FT_OFPAT_POP_VLAN;
    assert_true(ft_action_list_equal(&(struct ft_action_list) { &p1, 1 },
                                     &(struct ft_action_list) { &p2, 1 }));
    /* Lengths differ. */
    struct ft_action_list shorter = { dst.acts, 3 };
    assert_false(ft_action_list_equal(&src, &shorter));
    free(dst.acts);
    /* Empty lists clone to empty. */
    assert_int_equal(ft_action_list_clone(&empty, &dst), 0);
    assert_int_equal(dst.n, 0);
    assert_true(ft_action_list_equal(&empty, &dst));
    free(dst.acts);
}

static void
test_list_has_output_group(void **state)
{
    struct ft_action acts[] = {
        act_output(2), act_group(7), act_output(FT_OFPP_CONTROLLER),
    };
    struct ft_action_list l = { acts, 3 }, empty = { NULL, 0 };

    (void) state;
    assert_true(ft_action_list_has_output(&l, 2));
    assert_true(ft_action_list_has_output(&l, FT_OFPP_CONTROLLER));
    assert_false(ft_action_list_has_output(&l, 3));
    assert_true(ft_action_list_has_output(&l, FT_OFPP_ANY));
    assert_true(ft_action_list_has_output(&empty, FT_OFPP_ANY));
    assert_false(ft_action_list_has_output(&empty, 2));
    assert_true(ft_action_list_has_group(&l, 7));
    assert_false(ft_action_list_has_group(&l, 2));
    assert_true(ft_action_list_has_group(&l, FT_OFPG_ANY));
    assert_true(ft_action_list_has_group(&empty, FT_OFPG_ANY));
    assert_false(ft_action_list_has_group(&empty, 7));
}

static void
assert_format(const struct ft_action *acts, uint32_t n, const char *want)
{
    struct ft_action_list l = { (struct ft_action *) acts, n };
    char buf[1024];
    int len = ft_action_list_format(&l, buf, sizeof buf);
    assert_string_equal(buf, want);
    assert_int_equal(len, (int) strlen(want));
}

static void
test_list_format(void **state)
{
    static const uint8_t mac[6] = { 0x02, 0x11, 0x22, 0x33, 0x44, 0xff };
    static const uint8_t ip6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
                                     0, 0, 0, 0, 0, 0, 0, 1 };
    struct ft_action out_ctl = act_output(FT_OFPP_CONTROLLER);

    (void) state;
    out_ctl.output.max_len = 65535;
    assert_format(NULL, 0, "drop");
    struct ft_action ports[] = {
        act_output(2), act_output(FT_OFPP_IN_PORT), act_output(FT_OFPP_NORMAL),
        act_output(FT_OFPP_FLOOD), act_output(FT_OFPP_ALL), out_ctl,
        act_output(FT_OFPP_LOCAL), act_output(FT_OFPP_TABLE),
    };
    assert_format(ports, 8, "output:2,IN_PORT,NORMAL,FLOOD,ALL,"
                  "CONTROLLER:65535,LOCAL,TABLE");
    struct ft_action hdr[] = {
        act_eth(FT_OFPAT_PUSH_VLAN, 0x8100), act_plain(FT_OFPAT_POP_VLAN),
        act_eth(FT_OFPAT_PUSH_MPLS, 0x8847), act_eth(FT_OFPAT_POP_MPLS, 0x0800),
        act_ttl(FT_OFPAT_SET_MPLS_TTL, 10), act_plain(FT_OFPAT_DEC_MPLS_TTL),
        act_ttl(FT_OFPAT_SET_NW_TTL, 9), act_plain(FT_OFPAT_DEC_NW_TTL),
        act_plain(FT_OFPAT_COPY_TTL_OUT), act_plain(FT_OFPAT_COPY_TTL_IN),
        act_group(5), act_eth(FT_OFPAT_PUSH_PBB, 0x88e7),
        act_plain(FT_OFPAT_POP_PBB),
    };
    struct ft_action q = { .type = FT_OFPAT_SET_QUEUE };
    q.queue_id = 3;
    assert_format(hdr, 13, "push_vlan:0x8100,pop_vlan,push_mpls:0x8847,"
                  "pop_mpls:0x0800,set_mpls_ttl:10,dec_mpls_ttl,"
                  "set_nw_ttl:9,dec_ttl,copy_ttl_out,copy_ttl_in,group:5,"
                  "push_pbb:0x88e7,pop_pbb");
    assert_format(&q, 1, "set_queue:3");
    struct ft_action sf[] = {
        act_sf_int(OFPXMT_OFB_VLAN_VID, 10), act_sf(make_sf(OFPXMT_OFB_ETH_DST, mac)),
        act_sf_int(OFPXMT_OFB_IPV4_SRC, 0x0a000102),
        act_sf(make_sf(OFPXMT_OFB_IPV6_DST, ip6)),
        act_sf_int(OFPXMT_OFB_TUNNEL_ID, 0x1234),
        act_sf_int(OFPXMT_OFB_ETH_TYPE, 0x0800),
        act_sf_int(OFPXMT_OFB_IP_DSCP, 46), act_sf_int(OFPXMT_OFB_TCP_DST, 443),
        act_sf_int(OFPXMT_OFB_MPLS_LABEL, 1000),
    };
    assert_format(sf, 9, "set_field:10->vlan_vid,"
                  "set_field:02:11:22:33:44:ff->eth_dst,"
                  "set_field:10.0.1.2->ipv4_src,"
                  "set_field:2001:db8::1->ipv6_dst,"
                  "set_field:0x1234->tunnel_id,"
                  "set_field:0x800->eth_type,"
                  "set_field:46->ip_dscp,set_field:443->tcp_dst,"
                  "set_field:1000->mpls_label");

    /* snprintf semantics: the length needed, a terminated prefix. */
    struct ft_action_list l = { ports, 2 };
    char small[8];
    assert_int_equal(ft_action_list_format(&l, small, sizeof small),
                     (int) strlen("output:2,IN_PORT"));
    assert_string_equal(small, "output:");
    assert_int_equal(ft_action_list_format(&l, NULL, 0),
                     (int) strlen("output:2,IN_PORT"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_prereq_table),
        cmocka_unit_test(test_prereq_matches_codec),
        cmocka_unit_test(test_prereq_guaranteed_details),
        cmocka_unit_test(test_prereq_holds_wc),
        cmocka_unit_test(test_set_field_each_header),
        cmocka_unit_test(test_set_field_vlan_vid),
        cmocka_unit_test(test_set_field_init_errors),
        cmocka_unit_test(test_check_output_ports),
        cmocka_unit_test(test_check_groups),
        cmocka_unit_test(test_check_arguments),
        cmocka_unit_test(test_check_set_type),
        cmocka_unit_test(test_check_match_inconsistent),
        cmocka_unit_test(test_check_action_walk),
        cmocka_unit_test(test_check_action_set),
        cmocka_unit_test(test_check_too_many),
        cmocka_unit_test(test_list_clone_equal),
        cmocka_unit_test(test_list_has_output_group),
        cmocka_unit_test(test_list_format),
    };
    return cmocka_run_group_tests_name("ft_action", tests, NULL, NULL);
}
