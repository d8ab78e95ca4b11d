/*
 * test_of_oxm.c — OXM fields land in struct ft_key exactly as
 * flowtable/ft_key.h prescribes (VLAN present bit in tci, DSCP/ECN inside
 * nw_tos, ICMP in tp_src/tp_dst, ARP opcode mirrored into nw_proto, MPLS
 * label/TC/BOS inside mpls_lse[0], host-order metadata), the field table
 * matches the spec, of_match_from_ft() rebuilds matches with their
 * prerequisites, and SET_FIELD applies to a key. Single-threaded cmocka.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <stdbool.h>

#include "openflow/openflow.h"

static void
add_int(struct of_match *m, uint8_t field, uint64_t v, const uint64_t *mask)
{
    uint8_t w[8], k[8];
    unsigned int len = of_oxm_field_len(field);
    for (unsigned int i = 0; i < len; i++) {
        w[len - 1 - i] = (uint8_t) (v >> (8 * i));
        k[len - 1 - i] = mask ? (uint8_t) (*mask >> (8 * i)) : 0;
    }
    struct of_err err;
    if (of_match_add(m, field, w, mask ? k : NULL, &err)) {
        fail_msg("%s rejected: %s", of_oxm_field_name(field),
                 of_error_code_name(err.type, err.code));
    }
}

static void
test_field_table(void **state)
{
    (void) state;
    /* Spec table 12: wire lengths and maskability. */
    static const struct { uint8_t len; bool maskable; } spec[OF_OXM_N_FIELDS] = {
        {4, 0}, {4, 0}, {8, 1}, {6, 1}, {6, 1}, {2, 0}, {2, 1}, {1, 0}, {1, 0},
        {1, 0}, {1, 0}, {4, 1}, {4, 1}, {2, 0}, {2, 0}, {2, 0}, {2, 0}, {2, 0},
        {2, 0}, {1, 0}, {1, 0}, {2, 0}, {4, 1}, {4, 1}, {6, 1}, {6, 1}, {16, 1},
        {16, 1}, {4, 1}, {1, 0}, {1, 0}, {16, 0}, {6, 0}, {6, 0}, {4, 0}, {1, 0},
        {1, 0}, {3, 1}, {8, 1}, {2, 1},
    };
    for (uint8_t f = 0; f < OF_OXM_N_FIELDS; f++) {
        assert_int_equal(of_oxm_field_len(f), spec[f].len);
        assert_int_equal(of_oxm_field_maskable(f), spec[f].maskable);
        assert_int_equal(of_oxm_field_by_name(of_oxm_field_name(f)), f);
    }
    assert_null(of_oxm_field_name(OF_OXM_N_FIELDS));
    assert_false(of_oxm_field_settable(OFPXMT_OFB_IN_PORT));
    assert_false(of_oxm_field_settable(OFPXMT_OFB_METADATA));
    assert_true(of_oxm_field_settable(OFPXMT_OFB_TUNNEL_ID));
    assert_true(of_oxm_field_settable(OFPXMT_OFB_IPV6_ND_TARGET));
}

static void
test_key_mapping_l2(void **state)
{
    (void) state;
    struct of_match m;
    memset(&m, 0, sizeof m);
    uint64_t meta_mask = 0xff00;
    add_int(&m, OFPXMT_OFB_IN_PORT, 0x01020304, NULL);
    add_int(&m, OFPXMT_OFB_METADATA, 0xab00, &meta_mask);
    add_int(&m, OFPXMT_OFB_VLAN_VID, OFPVID_PRESENT | 100, NULL);
    add_int(&m, OFPXMT_OFB_VLAN_PCP, 5, NULL);
    add_int(&m, OFPXMT_OFB_ETH_TYPE, 0x8847, NULL);
    add_int(&m, OFPXMT_OFB_MPLS_LABEL, 0xabcde, NULL);
    add_int(&m, OFPXMT_OFB_MPLS_TC, 6, NULL);
    add_int(&m, OFPXMT_OFB_MPLS_BOS, 1, NULL);
    uint64_t tun_mask = UINT64_MAX;
    add_int(&m, OFPXMT_OFB_TUNNEL_ID, 0x1122334455667788ull, &tun_mask);

    const struct ft_key *k = &m.ft.key, *km = &m.ft.mask.masks;
    assert_int_equal(k->in_port, 0x01020304);           /* host order */
    assert_int_equal(km->in_port, UINT32_MAX);
    assert_true(k->metadata == 0xab00 && km->metadata == 0xff00);
    assert_int_equal(k->vlans[0].tci, htons(FT_VLAN_PRESENT | 100 | 5 << 13));
    assert_int_equal(km->vlans[0].tci, htons(0xffff));
    assert_int_equal(k->dl_type, htons(0x8847));
    assert_int_equal(k->mpls_lse[0], htonl(0xabcdeu << 12 | 6u << 9 | 1u << 8));
    assert_int_equal(km->mpls_lse[0], htonl(0xffffff00));  /* TTL not matched */
    assert_true(k->tunnel.tun_id == 0x1122334455667788ull);
    assert_int_equal(m.n_fields, 9);
    assert_true(m.fields[8].has_mask);                  /* all-ones, but sent masked */
    assert_int_equal(of_match_check_prereqs(&m, NULL), 0);

    /* Reading back gives the wire form. */
    uint8_t v[16], k2[16];
    bool hm;
    assert_true(of_match_get(&m, OFPXMT_OFB_VLAN_VID, v, k2, &hm));
    assert_int_equal(v[0] << 8 | v[1], 0x1064);
    assert_int_equal(k2[0] << 8 | k2[1], 0x1fff);
    assert_false(hm);
    assert_false(of_match_get(&m, OFPXMT_OFB_IPV4_SRC, v, k2, &hm));
}

static void
test_key_mapping_l3_l4(void **state)
{
    (void) state;
    struct of_match m;

    memset(&m, 0, sizeof m);
    add_int(&m, OFPXMT_OFB_ETH_TYPE, 0x0800, NULL);
    add_int(&m, OFPXMT_OFB_IP_DSCP, 46, NULL);
    add_int(&m, OFPXMT_OFB_IP_ECN, 1, NULL);
    add_int(&m, OFPXMT_OFB_IP_PROTO, 1, NULL);
    add_int(&m, OFPXMT_OFB_ICMPV4_TYPE, 8, NULL);
    add_int(&m, OFPXMT_OFB_ICMPV4_CODE, 3, NULL);
    uint64_t mask24 = 0xffffff00;
    add_int(&m, OFPXMT_OFB_IPV4_SRC, 0x0a000100, &mask24);
    assert_int_equal(m.ft.key.nw_tos, 46 << 2 | 1);
    assert_int_equal(m.ft.mask.masks.nw_tos, 0xff);
    assert_int_equal(m.ft.key.tp_src, htons(8));
    assert_int_equal(m.ft.key.tp_dst, htons(3));
    assert_int_equal(m.ft.mask.masks.tp_src, htons(0x00ff));
    assert_int_equal(m.ft.key.nw_src, htonl(0x0a000100));
    assert_int_equal(m.ft.mask.masks.nw_src, htonl(0xffffff00));

    memset(&m, 0, sizeof m);
    add_int(&m, OFPXMT_OFB_ETH_TYPE, 0x0806, NULL);
    add_int(&m, OFPXMT_OFB_ARP_OP, 0x0102, NULL);
    assert_int_equal(m.ft.key.arp_op, htons(0x0102));
    assert_int_equal(m.ft.key.nw_proto, 0x02);          /* low byte mirrored */
    assert_int_equal(m.ft.mask.masks.nw_proto, 0xff);

    memset(&m, 0, sizeof m);
    add_int(&m, OFPXMT_OFB_ETH_TYPE, 0x86dd, NULL);
    uint64_t fl_mask = 0xf0000, ex_mask = 0x1ff;
    add_int(&m, OFPXMT_OFB_IPV6_FLABEL, 0x50000, &fl_mask);
    add_int(&m, OFPXMT_OFB_IPV6_EXTHDR, FT_IPV6_EXTHDR_HOP | FT_IPV6_EXTHDR_FRAG, &ex_mask);
    assert_int_equal(m.ft.key.ipv6_label, htonl(0x50000));
    assert_int_equal(m.ft.key.ipv6_exthdr, FT_IPV6_EXTHDR_HOP | FT_IPV6_EXTHDR_FRAG);

    memset(&m, 0, sizeof m);
    add_int(&m, OFPXMT_OFB_ETH_TYPE, 0x88e7, NULL);
    add_int(&m, OFPXMT_OFB_PBB_ISID, 0xabcdef, NULL);
    assert_int_equal(m.ft.key.pbb_isid, htonl(0xabcdef));
    assert_int_equal(m.ft.mask.masks.pbb_isid, htonl(0xffffff));
}

/* Byte-wise (key & mask) == match.key. Deliberately not
 * ft_match_matches(): its uint64_t view of struct ft_key breaks strict
 * aliasing, and at -O2 GCC reuses stale loads after a uint16_t store
 * (reported to the flowtable owner). */
static bool
bytes_match(const struct ft_match *m, const struct ft_key *pkt)
{
    const uint8_t *p = (const uint8_t *) pkt, *k = (const uint8_t *) &m->key;
    const uint8_t *mk = (const uint8_t *) &m->mask.masks;
    for (size_t i = 0; i < sizeof *pkt; i++) {
        if ((p[i] & mk[i]) != k[i]) {
            return false;
        }
    }
    return true;
}

/* VLAN_VID=NONE matches "no tag": present bit must be zero, exactly. */
static void
test_vlan_none(void **state)
{
    (void) state;
    struct of_match m;
    memset(&m, 0, sizeof m);
    add_int(&m, OFPXMT_OFB_VLAN_VID, OFPVID_NONE, NULL);
    assert_int_equal(m.ft.key.vlans[0].tci, 0);
    assert_int_equal(m.ft.mask.masks.vlans[0].tci, htons(0x1fff));

    struct ft_key pkt;
    memset(&pkt, 0, sizeof pkt);
    assert_true(bytes_match(&m.ft, &pkt));
    pkt.vlans[0].tci = htons(FT_VLAN_PRESENT | 7);
    assert_false(bytes_match(&m.ft, &pkt));
}

static void
test_match_from_ft(void **state)
{
    (void) state;
    struct ft_match ft;
    memset(&ft, 0, sizeof ft);
    /* An exact TCP/IPv4 key, with fields OXM cannot express set too. */
    ft.key.in_port = 3;
    ft.key.dl_type = htons(0x0800);
    ft.key.nw_proto = 6;
    ft.key.nw_src = htonl(0x0a000001);
    ft.key.tp_src = htons(1000);
    ft.key.tp_dst = htons(80);
    ft.key.recirc_id = 9;
    ft.key.vlans[1].tci = htons(FT_VLAN_PRESENT | 5);
    memset(&ft.mask, 0xff, sizeof ft.mask);

    struct of_match m;
    of_match_from_ft(&m, &ft);
    /* in_port, in_phy_port, metadata, eth_dst, eth_src, eth_type, vlan_vid,
     * ip_dscp, ip_ecn, ip_proto, ipv4_src, ipv4_dst, tcp_src, tcp_dst,
     * tunnel_id: no UDP/SCTP/ICMP (prereqs), no PCP (no tag), no IPv6. */
    static const uint8_t expect[] = {
        OFPXMT_OFB_IN_PORT, OFPXMT_OFB_IN_PHY_PORT, OFPXMT_OFB_METADATA,
        OFPXMT_OFB_ETH_DST, OFPXMT_OFB_ETH_SRC, OFPXMT_OFB_ETH_TYPE,
        OFPXMT_OFB_VLAN_VID, OFPXMT_OFB_IP_DSCP, OFPXMT_OFB_IP_ECN,
        OFPXMT_OFB_IP_PROTO, OFPXMT_OFB_IPV4_SRC, OFPXMT_OFB_IPV4_DST,
        OFPXMT_OFB_TCP_SRC, OFPXMT_OFB_TCP_DST, OFPXMT_OFB_TUNNEL_ID,
    };
    assert_int_equal(m.n_fields, sizeof expect);
    for (size_t i = 0; i < sizeof expect; i++) {
        assert_int_equal(m.fields[i].field, expect[i]);
        assert_false(m.fields[i].has_mask);
    }
    assert_int_equal(of_match_check_prereqs(&m, NULL), 0);

    /* A partial mask comes out masked, a zero mask not at all. */
    memset(&ft, 0, sizeof ft);
    ft.key.dl_type = htons(0x0800);
    ft.mask.masks.dl_type = 0xffff;
    ft.key.nw_dst = htonl(0xc0a80000);
    ft.mask.masks.nw_dst = htonl(0xffff0000);
    of_match_from_ft(&m, &ft);
    assert_int_equal(m.n_fields, 2);
    assert_int_equal(m.fields[1].field, OFPXMT_OFB_IPV4_DST);
    assert_true(m.fields[1].has_mask);
}

static void
test_set_field_apply(void **state)
{
    (void) state;
    struct ft_key key, mask;
    memset(&key, 0, sizeof key);
    memset(&mask, 0, sizeof mask);
    key.vlans[0].tci = htons(FT_VLAN_PRESENT | 5 << 13 | 10);

    struct of_set_field sf = { OFPXMT_OFB_VLAN_VID, 2, { 0x10, 0x14 } };
    of_set_field_apply(&sf, &key, &mask);
    assert_int_equal(key.vlans[0].tci, htons(FT_VLAN_PRESENT | 5 << 13 | 20));
    assert_int_equal(mask.vlans[0].tci, htons(0x1fff));  /* PCP untouched */

    struct of_set_field dscp = { OFPXMT_OFB_IP_DSCP, 1, { 10 } };
    key.nw_tos = 0x03;
    of_set_field_apply(&dscp, &key, NULL);
    assert_int_equal(key.nw_tos, 10 << 2 | 3);           /* ECN kept */

    struct of_set_field tun = { OFPXMT_OFB_TUNNEL_ID, 8, { 0, 0, 0, 0, 0, 0, 0x12, 0x34 } };
    of_set_field_apply(&tun, &key, NULL);
    assert_true(key.tunnel.tun_id == 0x1234);

    struct of_set_field mac = { OFPXMT_OFB_ETH_SRC, 6, { 1, 2, 3, 4, 5, 6 } };
    of_set_field_apply(&mac, &key, &mask);
    assert_memory_equal(key.dl_src.ea, mac.value, 6);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_field_table),
        cmocka_unit_test(test_key_mapping_l2),
        cmocka_unit_test(test_key_mapping_l3_l4),
        cmocka_unit_test(test_vlan_none),
        cmocka_unit_test(test_match_from_ft),
        cmocka_unit_test(test_set_field_apply),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
