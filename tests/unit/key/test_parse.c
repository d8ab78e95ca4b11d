/*
 * test_parse.c — unit tests of the packet parser (datapath/dp_parse.c):
 * one or more per protocol, malformed headers, and truncation sweeps that
 * cut every catalogue frame at every length (in a buffer of exactly that
 * size, so ASan sees any over-read) and check that nothing past the cut
 * shows up in the key.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "datapath/dp_parse.h"
#include "frames.h"

#define IP4_A 0x0a000001u
#define IP4_B 0xc0a80102u

static const uint8_t ZERO_MAC[6];

/* Parses 'f' from a heap copy of exactly its length. */
static int
parse_frame(const struct frame *f, struct ft_key *key,
            struct dp_parse_layers *layers)
{
    uint8_t *copy = malloc(f->len ? f->len : 1);
    int error;

    assert_non_null(copy);
    memcpy(copy, f->data, f->len);
    /* Garbage in the key must not survive the parse. */
    memset(key, 0xa5, sizeof *key);
    error = dp_parse(copy, f->len, key, layers);
    /* The simple-match path's shortcut agrees with the full parse on
     * every frame of the suite (malformed, truncated, random ones too). */
    assert_int_equal(dp_parse_tcp_flags(copy, f->len), ntohs(key->tcp_flags));
    free(copy);
    return error;
}

static bool
all_zero(const void *p, size_t n)
{
    const uint8_t *b = p;

    for (size_t i = 0; i < n; i++) {
        if (b[i]) {
            return false;
        }
    }
    return true;
}

/* Fields the parser must never set. */
static void
assert_metadata_zero(const struct ft_key *key)
{
    assert_true(all_zero(key, offsetof(struct ft_key, dl_dst)));
    assert_true(all_zero(key->pad_l2, sizeof key->pad_l2));
    assert_true(all_zero(key->pad_pbb, sizeof key->pad_pbb));
    assert_true(all_zero(key->pad_l4, sizeof key->pad_l4));
}

static void
assert_ipv6_eq(const struct ft_in6_addr *a, const uint8_t b[16])
{
    assert_memory_equal(a->s6, b, 16);
}

static const struct test_frame *
catalogue_frame(const char *name)
{
    static struct test_frame frames[64];
    static size_t n;

    if (!n) {
        n = frames_catalogue(frames, 64);
    }
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(frames[i].name, name)) {
            return &frames[i];
        }
    }
    fail_msg("no frame %s", name);
    return NULL;
}

/* ---- L2 ----------------------------------------------------------------- */

static void
test_short_frame(void **state)
{
    struct ft_key key;
    struct dp_parse_layers layers;
    struct frame f;

    (void) state;
    for (uint32_t len = 0; len < 14; len++) {
        fr_init(&f);
        fr_zeros(&f, len);
        memset(f.data, 0x5a, len);
        assert_int_equal(parse_frame(&f, &key, &layers), -EINVAL);
        assert_true(all_zero(&key, sizeof key));
        assert_int_equal(layers.l3_ofs, DP_LAYER_ABSENT);
    }
}

static void
test_eth_unknown_type(void **state)
{
    const struct test_frame *t = catalogue_frame("eth-unknown-type");
    struct dp_parse_layers layers;
    struct ft_key key;

    (void) state;
    assert_int_equal(parse_frame(&t->frame, &key, &layers), 0);
    assert_memory_equal(key.dl_dst.ea, MAC_B, 6);
    assert_memory_equal(key.dl_src.ea, MAC_A, 6);
    assert_int_equal(ntohs(key.dl_type), 0x88b5);
    assert_int_equal(layers.l2_5_ofs, DP_LAYER_ABSENT);
    assert_int_equal(layers.l3_ofs, 14);
    assert_int_equal(layers.l4_ofs, DP_LAYER_ABSENT);
    assert_metadata_zero(&key);
    assert_true(all_zero(&key.vlans, sizeof key.vlans));
    assert_true(all_zero(&key.ipv6_src,
                         sizeof key - offsetof(struct ft_key, ipv6_src)));
}

static void
test_llc_8023(void **state)
{
    const struct test_frame *t = catalogue_frame("llc-stp");
    struct dp_parse_layers layers;
    struct ft_key key;
    struct frame f;

    (void) state;
    assert_int_equal(parse_frame(&t->frame, &key, &layers), 0);
    assert_int_equal(ntohs(key.dl_type), 0x05ff);
    assert_int_equal(layers.l3_ofs, 14);

    /* SNAP with a non-Ethernet OUI is not an Ethertype either. */
    fr_init(&f);
    fr_eth(&f, MAC_B, MAC_A, 0);
    fr_bytes(&f, (const uint8_t[8]) { 0xaa, 0xaa, 0x03, 0x00, 0x00, 0x0c,
                                      0x20, 0x00 }, 8);
    fr_zeros(&f, 30);
    fr_fix_8023_len(&f, 12);
    assert_int_equal(parse_frame(&f, &key, &layers), 0);
    assert_int_equal(ntohs(key.dl_type), 0x05ff);
}

static void
test_llc_snap_ipv4(void **state)
{
    const struct test_frame *t = catalogue_frame("llc-snap-ipv4-udp");
    struct dp_parse_layers layers;
    struct ft_key key;

    (void) state;
    assert_int_equal(parse_frame(&t->frame, &key, &layers), 0);
    assert_int_equal(ntohs(key.dl_type), 0x0800);
    assert_int_equal(layers.l3_ofs, 22);
    assert_int_equal(ntohl(key.nw_src), IP4_A);
    assert_int_equal(key.nw_proto, 17);
    assert_int_equal(ntohs(key.tp_src), 67);
    assert_int_equal(ntohs(key.tp_dst), 68);
    assert_int_equal(layers.l4_ofs, 42);
    assert_int_equal(layers.payload_ofs, 50);
}

static void
test_vlan_single(void **state)
{
    const struct test_frame *t = catalogue_frame("vlan-ipv4-tcp");
    struct dp_parse_layers layers;
    struct ft_key key;

    (void) state;
    assert_int_equal(parse_frame(&t->frame, &key, &layers), 0);
    assert_int_equal(ntohs(key.vlans[0].tpid), 0x8100);
    assert_int_equal(ntohs(key.vlans[0].tci), 0x200a | FT_VLAN_PRESENT);
    assert_true(ft_key_has_vlan(&key));
    assert_int_equal(key.vlans[1].tpid, 0);
    assert_int_equal(key.vlans[1].tci, 0);
    assert_int_equal(ntohs(key.dl_type), 0x0800);
    assert_int_equal(layers.l3_ofs, 18);
}

static void
test_vlan_qinq(void **state)
{
    const struct test_frame *t = catalogue_frame("qinq-ipv4-udp");
    struct dp_parse_layers layers;
    struct ft_key key;
    struct frame f;

    (void) state;
    assert_int_equal(parse_frame(&t->frame, &key, &layers), 0);
    assert_int_equal(ntohs(key.vlans[0].tpid), 0x88a8);
    assert_int_equal(ntohs(key.vlans[0].tci), 0x0064 | FT_VLAN_PRESENT);
    assert_int_equal(ntohs(key.vlans[1].tpid), 0x8100);
    assert_int_equal(ntohs(key.vlans[1].tci), 0x600a | FT_VLAN_PRESENT);
    assert_int_equal(ntohs(key.dl_type), 0x0800);
    assert_int_equal(layers.l3_ofs, 22);
    assert_int_equal(ntohs(key.tp_dst), 53);

    /* 0x9100 is a tag too. */
    t = catalogue_frame("vlan-ipv6-sctp");
    assert_int_equal(parse_frame(&t->frame, &key, &layers), 0);
    assert_int_equal(ntohs(key.vlans[0].tpid), 0x9100);
    assert_int_equal(ntohs(key.vlans[0].tci), 0xe123 | FT_VLAN_PRESENT);
    assert_int_equal(ntohs(key.dl_type), 0x86dd);

    /* A third tag is not kept: its TPID becomes dl_type, nothing more. */
    fr_init(&f);
    fr_eth(&f, MAC_B, MAC_A, 0x88a8);
    fr_vlan(&f, 1, 0x8100);
    fr_vlan(&f, 2, 0x8100);
    fr_vlan(&f, 3, 0x0800);
    fr_zeros(&f, 20);
    assert_int_equal(parse_frame(&f, &key, &layers), 0);
    assert_int_equal(ntohs(key.vlans[0].tci), 1 | FT_VLAN_PRESENT);
    assert_int_equal(ntohs(key.vlans[1].tci), 2 | FT_VLAN_PRESENT);
    assert_int_equal(ntohs(key.dl_type), 0x8100);
    assert_int_equal(layers.l3_ofs, 22);
    assert_int_equal(key.nw_proto, 0);

    /* A cut tag: dl_type is its TPID. */
    fr_init(&f);
    fr_eth(&f, MAC_B, MAC_A, 0x8100);
    fr_be16(&f, 5);
    assert_int_equal(parse_frame(&f, &key, &layers), -EINVAL);
    assert_int_equal(ntohs(key.dl_type), 0x8100);
    assert_int_equal(key.vlans[0].tci, 0);
    assert_int_equal(layers.l3_ofs, DP_LAYER_ABSENT);
}

static void
test_mpls(void **state)
{
    const struct test_frame *t = catalogue_frame("mpls-2-labels");
    struct dp_parse_layers layers;
    struct ft_key key;
    struct frame f;

    (void) state;
    assert_int_equal(parse_frame(&t->frame, &key, &layers), 0);
    assert_int_equal(ntohs(key.dl_type), 0x8847);
    assert_int_equal(ntohl(key.mpls_lse[0]), 100u << 12 | 1 << 9 | 64);
    assert_int_equal(ntohl(key.mpls_lse[1]), 200u << 12 | 2 << 9 | 1 << 8 | 63);
    assert_int_equal(key.mpls_lse[2], 0);
    assert_int_equal(layers.l2_5_ofs, 14);
    assert_int_equal(layers.l3_ofs, 22);
    /* The payload is not parsed, even though it is IPv4. */
    assert_int_equal(key.nw_src, 0);
    assert_int_equal(key.nw_proto, 0);
    assert_int_equal(layers.l4_ofs, DP_LAYER_ABSENT);

    t = catalogue_frame("mplsm-4-labels");
    assert_int_equal(parse_frame(&t->frame, &key, &layers), 0);
    assert_int_equal(ntohs(key.dl_type), 0x8848);
    assert_int_equal(ntohl(key.mpls_lse[0]) >> 12, 16);
    assert_int_equal(ntohl(key.mpls_lse[2]) >> 12, 18);
    assert_int_equal(layers.l3_ofs, 14 + 16);

    /* No bottom of stack before the end: malformed, no L3. */
    fr_init(&f);
    fr_eth(&f, MAC_B, MAC_A, 0x8847);
    fr_mpls(&f, 1, 0, 0, 1);
    fr_mpls(&f, 2, 0, 0, 1);
    fr_be16(&f, 0);
    assert_int_equal(parse_frame(&f, &key, &layers), -EINVAL);
    assert_int_equal(ntohl(key.mpls_lse[1]) >> 12, 2);
    assert_int_equal(layers.l2_5_ofs, 14);
    assert_int_equal(layers.l3_ofs, DP_LAYER_ABSENT);
}

static void
test_pbb(void **state)
{
    const struct test_frame *t = catalogue_frame("pbb");
    struct dp_parse_layers layers;
    struct ft_key key;

    (void) state;
    assert_int_equal(parse_frame(&t->frame, &key, &layers), 0);
    /* Backbone addresses and B-tag stay; the customer frame is payload. */
    assert_memory_equal(key.dl_dst.ea, MAC_D, 6);
    assert_memory_equal(key.dl_src.ea, MAC_C, 6);
    assert_int_equal(ntohs(key.vlans[0].tpid), 0x88a8);
    assert_int_equal(ntohs(key.dl_type), 0x88e7);
    assert_int_equal(ntohl(key.pbb_isid), 0x123456);
    assert_int_equal(key.pbb_uca, 1);
    assert_int_equal(layers.l2_5_ofs, 18);
    assert_int_equal(layers.l3_ofs, 22);
    assert_int_equal(key.nw_src, 0);
    assert_int_equal(layers.l4_ofs, DP_LAYER_ABSENT);
    assert_metadata_zero(&key);
}

/* ---- ARP ---------------------------------------------------------------- */

static void
test_arp(void **state)
{
    const struct test_frame *t = catalogue_frame("arp-request");
    struct dp_parse_layers layers;
    struct ft_key key;
    struct frame f;

    (void) state;
    assert_int_equal(parse_frame(&t->frame, &key, &layers), 0);
    assert_int_equal(ntohs(key.dl_type), 0x0806);
    assert_int_equal(ntohs(key.arp_op), 1);
    assert_int_equal(key.nw_proto, 1);
    assert_int_equal(ntohl(key.nw_src), IP4_A);
    assert_int_equal(ntohl(key.nw_dst), IP4_B);
    assert_memory_equal(key.arp_sha.ea, MAC_A, 6);
    assert_memory_equal(key.arp_tha.ea, ZERO_MAC, 6);
    assert_int_equal(layers.l3_ofs, 14);
    assert_int_equal(layers.l4_ofs, DP_LAYER_ABSENT);

    t = catalogue_frame("rarp-reply");
    assert_int_equal(parse_frame(&t->frame, &key, &layers), 0);
    assert_int_equal(ntohs(key.dl_type), 0x8035);
    assert_int_equal(ntohs(key.arp_op), 4);
    assert_memory_equal(key.arp_tha.ea, MAC_B, 6);

    /* Opcode above 255: arp_op keeps it whole, nw_proto its low byte. */
    f = t->frame;
    fr_put16(&f, 14 + 6, 0x0102);
    assert_int_equal(parse_frame(&f, &key, &layers), 0);
    assert_int_equal(ntohs(key.arp_op), 0x0102);
    assert_int_equal(key.nw_proto, 2);

    /* Not Ethernet/IPv4: nothing from the body. */
    f = t->frame;
    fr_put16(&f, 14, 6);                    /* hardware type IEEE 802 */
    assert_int_equal(parse_frame(&f, &key, &layers), 0);
    assert_int_equal(key.arp_op, 0);
    assert_int_equal(key.nw_src, 0);
    assert_int_equal(layers.l3_ofs, DP_LAYER_ABSENT);
    f = t->frame;
    f.data[14 + 5] = 16;                    /* protocol address length */
    assert_int_equal(parse_frame(&f, &key, &layers), 0);
    assert_int_equal(key.nw_src, 0);

    /* Truncated body. */
    f = t->frame;
    f.len -= 1;
    assert_int_equal(parse_frame(&f, &key, &layers), -EINVAL);
    assert_int_equal(key.arp_op, 0);
    assert_true(all_zero(&key.arp_sha, 6));
}

/* ---- IPv4 --------------------------------------------------------------- */

static void
test_ipv4_tcp(void **state)
{
    const struct test_frame *t = catalogue_frame("vlan-ipv4-tcp");
    struct dp_parse_layers layers;
    struct ft_key key;

    (void) state;
    assert_int_equal(parse_frame(&t->frame, &key, &layers), 0);
    assert_int_equal(ntohl(key.nw_src), IP4_A);
    assert_int_equal(ntohl(key.nw_dst), IP4_B);
    assert_int_equal(key.nw_proto, 6);
    assert_int_equal(key.nw_tos, 0x2e);
    assert_int_equal(key.nw_ttl, 64);
    assert_int_equal(key.nw_frag, 0);      /* DF alone is no fragment */
    assert_int_equal(ntohs(key.tp_src), 12345);
    assert_int_equal(ntohs(key.tp_dst), 80);
    assert_int_equal(ntohs(key.tcp_flags), 0x012);
    assert_int_equal(layers.l3_ofs, 18);
    assert_int_equal(layers.l4_ofs, 38);
    assert_int_equal(layers.payload_ofs, 58);
    assert_true(all_zero(&key.ipv6_src, 48));
    assert_int_equal(key.ipv6_exthdr, 0);
    assert_metadata_zero(&key);
}

static void
test_ipv4_options(void **state)
{
    const struct test_frame *t = catalogue_frame("ipv4-options-tcp-options");
    struct dp_parse_layers layers;
    struct ft_key key;

    (void) state;
    assert_int_equal(parse_frame(&t->frame, &key, &layers), 0);
    assert_int_equal(layers.l4_ofs, 14 + 28);
    assert_int_equal(layers.payload_ofs, 14 + 28 + 32);
    assert_int_equal(ntohs(key.tp_src), 443);
    assert_int_equal(ntohs(key.tcp_flags), 0x018);
}

static void
test_ipv4_malformed(void **state)
{
    const struct test_frame *t = catalogue_frame("vlan-ipv4-tcp");
    const uint32_t ip = 18;
    struct dp_parse_layers layers;
    struct ft_key key;
    struct frame f;

    (void) state;
    /* IHL below 5. */
    f = t->frame;
    f.data[ip] = 0x44;
    assert_int_equal(parse_frame(&f, &key, &layers), -EINVAL);
    assert_int_equal(ntohs(key.dl_type), 0x0800);
    assert_int_equal(key.nw_src, 0);
    assert_int_equal(key.nw_proto, 0);
    assert_int_equal(layers.l3_ofs, DP_LAYER_ABSENT);

    /* IHL past the total length. */
    f = t->frame;
    f.data[ip] = 0x4f;
    fr_put16(&f, ip + 2, 40);
    assert_int_equal(parse_frame(&f, &key, &layers), -EINVAL);
    assert_int_equal(key.nw_src, 0);

    /* Total length past the frame. */
    f = t->frame;
    fr_put16(&f, ip + 2, (uint16_t) (f.len - ip + 1));
    assert_int_equal(parse_frame(&f, &key, &layers), -EINVAL);
    assert_int_equal(key.nw_src, 0);

    /* Total length below the header length. */
    f = t->frame;
    fr_put16(&f, ip + 2, 19);
    assert_int_equal(parse_frame(&f, &key, &layers), -EINVAL);

    /* Wrong version. */
    f = t->frame;
    f.data[ip] = 0x65;
    assert_int_equal(parse_frame(&f, &key, &layers), -EINVAL);
    assert_int_equal(key.nw_src, 0);

    /* Total length shorter than the frame (Ethernet padding): L4 is
     * bounded by the IP length, so a TCP header cut by it is not read. */
    f = t->frame;
    fr_put16(&f, ip + 2, 20 + 19);
    assert_int_equal(parse_frame(&f, &key, &layers), -EINVAL);
    assert_int_equal(ntohl(key.nw_src), IP4_A);
    assert_int_equal(key.nw_proto, 6);
    assert_int_equal(key.tp_src, 0);
    assert_int_equal(key.tcp_flags, 0);
    assert_int_equal(layers.l3_ofs, ip);
    assert_int_equal(layers.l4_ofs, DP_LAYER_ABSENT);

    /* ...and with the header whole, padding after it is ignored. */
    f = t->frame;
    fr_put16(&f, ip + 2, 20 + 20);
    assert_int_equal(parse_frame(&f, &key, &layers), 0);
    assert_int_equal(ntohs(key.tp_src), 12345);
}

static void
test_ipv4_fragments(void **state)
{
    const struct test_frame *t = catalogue_frame("ipv4-first-fragment");
    struct dp_parse_layers layers;
    struct ft_key key;

    (void) state;
    assert_int_equal(parse_frame(&t->frame, &key, &layers), 0);
    assert_int_equal(key.nw_frag, FT_FRAG_ANY);
    assert_int_equal(ntohs(key.tp_src), 1000);
    assert_int_equal(layers.l4_ofs, 34);

    t = catalogue_frame("ipv4-later-fragment");
    assert_int_equal(parse_frame(&t->frame, &key, &layers), 0);
    assert_int_equal(key.nw_frag, FT_FRAG_ANY | FT_FRAG_LATER);
    assert_int_equal(key.nw_proto, 17);
    assert_int_equal(key.tp_src, 0);
    assert_int_equal(key.tp_dst, 0);
    assert_int_equal(layers.l3_ofs, 14);
    assert_int_equal(layers.l4_ofs, DP_LAYER_ABSENT);
    assert_int_equal(layers.payload_ofs, DP_LAYER_ABSENT);
}

static void
test_tcp_data_offset(void **state)
{
    const struct test_frame *t = catalogue_frame("vlan-ipv4-tcp");
    const uint32_t tcp = 38;
    struct dp_parse_layers layers;
    struct ft_key key;
    struct frame f;

    (void) state;
    /* Every flag bit, NS included, and nothing of the data offset. */
    f = t->frame;
    fr_put16(&f, tcp + 12, 0x5fff);
    assert_int_equal(parse_frame(&f, &key, &layers), 0);
    assert_int_equal(ntohs(key.tcp_flags), 0x0fff);

    for (uint8_t off = 0; off < 16; off++) {
        bool valid = off >= 5 && off * 4u <= t->frame.len - tcp;

        f = t->frame;
        f.data[tcp + 12] = (uint8_t) (off << 4);
        assert_int_equal(parse_frame(&f, &key, &layers), valid ? 0 : -EINVAL);
        assert_int_equal(ntohs(key.tp_src), valid ? 12345 : 0);
        assert_int_equal(ntohs(key.tcp_flags), valid ? 0x012 : 0);
        assert_int_equal(layers.payload_ofs,
                         valid ? tcp + off * 4u : DP_LAYER_ABSENT);
    }
}

static void
test_udp_sctp_icmp(void **state)
{
    const struct test_frame *t = catalogue_frame("qinq-ipv4-udp");
    struct dp_parse_layers layers;
    struct ft_key key;

    (void) state;
    assert_int_equal(parse_frame(&t->frame, &key, &layers), 0);
    assert_int_equal(key.nw_proto, 17);
    assert_int_equal(ntohs(key.tp_src), 5353);
    assert_int_equal(ntohs(key.tp_dst), 53);
    assert_int_equal(key.tcp_flags, 0);
    assert_int_equal(layers.payload_ofs, layers.l4_ofs + 8);

    t = catalogue_frame("ipv4-sctp");
    assert_int_equal(parse_frame(&t->frame, &key, &layers), 0);
    assert_int_equal(key.nw_proto, 132);
    assert_int_equal(ntohs(key.tp_src), 2905);
    assert_int_equal(ntohs(key.tp_dst), 2906);
    assert_int_equal(layers.payload_ofs, layers.l4_ofs + 12);

    t = catalogue_frame("ipv4-icmp");
    assert_int_equal(parse_frame(&t->frame, &key, &layers), 0);
    assert_int_equal(key.nw_proto, 1);
    assert_int_equal(ntohs(key.tp_src), 8);
    assert_int_equal(ntohs(key.tp_dst), 0);
    assert_int_equal(layers.payload_ofs, layers.l4_ofs + 8);
}

static void
test_unknown_l4(void **state)
{
    struct dp_parse_layers layers;
    struct ft_key key;
    struct frame f;
    uint32_t ip;

    (void) state;
    /* GRE: protocol and L4 offset, no ports. */
    fr_init(&f);
    fr_eth(&f, MAC_B, MAC_A, 0x0800);
    ip = fr_ipv4(&f, 47, IP4_A, IP4_B, 0, 64, 0, 0);
    fr_be32(&f, 0x00006558);
    fr_ipv4_end(&f, ip);
    assert_int_equal(parse_frame(&f, &key, &layers), 0);
    assert_int_equal(key.nw_proto, 47);
    assert_int_equal(key.tp_src, 0);
    assert_int_equal(layers.l4_ofs, 34);
    assert_int_equal(layers.payload_ofs, DP_LAYER_ABSENT);

    /* ICMPv6's number inside IPv4 is not ICMP. */
    fr_init(&f);
    fr_eth(&f, MAC_B, MAC_A, 0x0800);
    ip = fr_ipv4(&f, 58, IP4_A, IP4_B, 0, 64, 0, 0);
    fr_icmp(&f, 135, 0);
    fr_ipv4_end(&f, ip);
    assert_int_equal(parse_frame(&f, &key, &layers), 0);
    assert_int_equal(key.tp_src, 0);
    assert_int_equal(layers.l4_ofs, 34);

    /* ...nor ICMPv4's inside IPv6. */
    fr_init(&f);
    fr_eth(&f, MAC_B, MAC_A, 0x86dd);
    ip = fr_ipv6(&f, 1, IP6_A, IP6_B, 0, 0, 64);
    fr_icmp(&f, 8, 0);
    fr_ipv6_end(&f, ip);
    assert_int_equal(parse_frame(&f, &key, &layers), 0);
    assert_int_equal(key.nw_proto, 1);
    assert_int_equal(key.tp_src, 0);
}

/* ---- IPv6 --------------------------------------------------------------- */

static void
test_ipv6_tcp(void **state)
{
    const struct test_frame *t = catalogue_frame("ipv6-tcp");
    struct dp_parse_layers layers;
    struct ft_key key;

    (void) state;
    assert_int_equal(parse_frame(&t->frame, &key, &layers), 0);
    assert_int_equal(ntohs(key.dl_type), 0x86dd);
    assert_ipv6_eq(&key.ipv6_src, IP6_A);
    assert_ipv6_eq(&key.ipv6_dst, IP6_B);
    assert_int_equal(ntohl(key.ipv6_label), 0x12345);
    assert_int_equal(key.nw_tos, 0xb8);
    assert_int_equal(key.nw_ttl, 64);
    assert_int_equal(key.nw_proto, 6);
    assert_int_equal(key.nw_frag, 0);
    assert_int_equal(key.ipv6_exthdr, 0);
    assert_int_equal(key.nw_src, 0);
    assert_int_equal(ntohs(key.tp_src), 40000);
    assert_int_equal(ntohs(key.tp_dst), 22);
    assert_int_equal(ntohs(key.tcp_flags), 0x002);
    assert_int_equal(layers.l3_ofs, 14);
    assert_int_equal(layers.l4_ofs, 54);
    assert_int_equal(layers.payload_ofs, 74);
    assert_metadata_zero(&key);
}

static void
test_ipv6_malformed(void **state)
{
    const struct test_frame *t = catalogue_frame("ipv6-tcp");
    struct dp_parse_layers layers;
    struct ft_key key;
    struct frame f;

    (void) state;
    f = t->frame;
    f.data[14] = 0x40;                      /* version 4 */
    assert_int_equal(parse_frame(&f, &key, &layers), -EINVAL);
    assert_true(all_zero(&key.ipv6_src, 16));
    assert_int_equal(layers.l3_ofs, DP_LAYER_ABSENT);

    f = t->frame;
    fr_put16(&f, 18, (uint16_t) (f.len - 54 + 1));   /* payload too long */
    assert_int_equal(parse_frame(&f, &key, &layers), -EINVAL);
    assert_true(all_zero(&key.ipv6_src, 16));
    assert_int_equal(key.nw_proto, 0);

    f = t->frame;
    fr_put16(&f, 18, 10);                   /* payload cuts TCP */
    assert_int_equal(parse_frame(&f, &key, &layers), -EINVAL);
    assert_ipv6_eq(&key.ipv6_src, IP6_A);
    assert_int_equal(key.nw_proto, 6);
    assert_int_equal(key.tp_src, 0);
}

/* Builds IPv6 with the given chain of extension headers (protocol numbers,
 * each a minimal header) ending in UDP, and returns the parsed flags. */
static uint16_t
exthdr_flags(const uint8_t *chain, size_t n, struct ft_key *key)
{
    struct dp_parse_layers layers;
    struct frame f;
    uint32_t ip;

    fr_init(&f);
    fr_eth(&f, MAC_B, MAC_A, 0x86dd);
    ip = fr_ipv6(&f, n ? chain[0] : 17, IP6_A, IP6_B, 0, 0, 64);
    for (size_t i = 0; i < n; i++) {
        uint8_t next = i + 1 < n ? chain[i + 1] : 17;

        switch (chain[i]) {
        case 44:
            fr_ipv6_frag(&f, next, 0, 0);
            break;
        case 51:
            fr_ipv6_ah(&f, next);
            break;
        default:
            fr_ipv6_opts(&f, next, 0);
            break;
        }
    }
    fr_udp(&f, 1, 2);
    fr_ipv6_end(&f, ip);
    assert_int_equal(parse_frame(&f, key, &layers), 0);
    assert_int_equal(key->nw_proto, 17);
    assert_int_equal(ntohs(key->tp_dst), 2);
    return key->ipv6_exthdr;
}

#define CHAIN(...) (const uint8_t[]) { __VA_ARGS__ }, \
                   sizeof((const uint8_t[]) { __VA_ARGS__ })

static void
test_ipv6_exthdr_flags(void **state)
{
    const struct test_frame *t = catalogue_frame("ipv6-exthdrs-udp");
    struct dp_parse_layers layers;
    struct ft_key key;
    enum { HOP = 0, RT = 43, FRAG = 44, AH = 51, DEST = 60 };

    (void) state;
    /* The full recommended order: no UNSEQ, no UNREP. */
    assert_int_equal(parse_frame(&t->frame, &key, &layers), 0);
    assert_int_equal(key.ipv6_exthdr,
                     FT_IPV6_EXTHDR_HOP | FT_IPV6_EXTHDR_DEST
                     | FT_IPV6_EXTHDR_ROUTER | FT_IPV6_EXTHDR_FRAG
                     | FT_IPV6_EXTHDR_AUTH);
    assert_int_equal(key.nw_proto, 17);
    assert_int_equal(key.nw_frag, FT_FRAG_ANY);   /* first fragment */
    assert_int_equal(ntohs(key.tp_src), 3000);
    assert_int_equal(layers.l4_ofs, 14 + 40 + 8 + 16 + 8 + 8 + 24 + 8);

    assert_int_equal(exthdr_flags(CHAIN(HOP), &key), FT_IPV6_EXTHDR_HOP);
    assert_int_equal(exthdr_flags(CHAIN(DEST, DEST), &key),
                     FT_IPV6_EXTHDR_DEST);
    assert_int_equal(exthdr_flags(CHAIN(RT, DEST), &key),
                     FT_IPV6_EXTHDR_ROUTER | FT_IPV6_EXTHDR_DEST);
    assert_int_equal(exthdr_flags(CHAIN(FRAG, AH), &key),
                     FT_IPV6_EXTHDR_FRAG | FT_IPV6_EXTHDR_AUTH);
    /* Unexpected repeats. */
    assert_int_equal(exthdr_flags(CHAIN(DEST, DEST, DEST), &key),
                     FT_IPV6_EXTHDR_DEST | FT_IPV6_EXTHDR_UNREP);
    assert_int_equal(exthdr_flags(CHAIN(RT, RT), &key),
                     FT_IPV6_EXTHDR_ROUTER | FT_IPV6_EXTHDR_UNREP);
    assert_int_equal(exthdr_flags(CHAIN(AH, AH), &key),
                     FT_IPV6_EXTHDR_AUTH | FT_IPV6_EXTHDR_UNREP);
    assert_int_equal(exthdr_flags(CHAIN(FRAG, FRAG), &key),
                     FT_IPV6_EXTHDR_FRAG | FT_IPV6_EXTHDR_UNREP);
    /* A second hop-by-hop is both a repeat and out of place. */
    assert_int_equal(exthdr_flags(CHAIN(HOP, HOP), &key),
                     FT_IPV6_EXTHDR_HOP | FT_IPV6_EXTHDR_UNREP
                     | FT_IPV6_EXTHDR_UNSEQ);
    /* Unexpected sequencing. */
    assert_int_equal(exthdr_flags(CHAIN(RT, HOP), &key),
                     FT_IPV6_EXTHDR_HOP | FT_IPV6_EXTHDR_ROUTER
                     | FT_IPV6_EXTHDR_UNSEQ);
    assert_int_equal(exthdr_flags(CHAIN(FRAG, RT), &key),
                     FT_IPV6_EXTHDR_FRAG | FT_IPV6_EXTHDR_ROUTER
                     | FT_IPV6_EXTHDR_UNSEQ);
    assert_int_equal(exthdr_flags(CHAIN(AH, FRAG), &key),
                     FT_IPV6_EXTHDR_FRAG | FT_IPV6_EXTHDR_AUTH
                     | FT_IPV6_EXTHDR_UNSEQ);
    assert_int_equal(exthdr_flags(CHAIN(RT, DEST, RT), &key),
                     FT_IPV6_EXTHDR_ROUTER | FT_IPV6_EXTHDR_DEST
                     | FT_IPV6_EXTHDR_UNREP | FT_IPV6_EXTHDR_UNSEQ);
    assert_int_equal(exthdr_flags(CHAIN(DEST, HOP), &key),
                     FT_IPV6_EXTHDR_DEST | FT_IPV6_EXTHDR_HOP
                     | FT_IPV6_EXTHDR_UNSEQ);
}

static void
test_ipv6_esp_nonext(void **state)
{
    const struct test_frame *t = catalogue_frame("ipv6-esp");
    struct dp_parse_layers layers;
    struct ft_key key;
    struct frame f;
    uint32_t ip;

    (void) state;
    assert_int_equal(parse_frame(&t->frame, &key, &layers), 0);
    assert_int_equal(key.ipv6_exthdr, FT_IPV6_EXTHDR_ESP);
    assert_int_equal(key.nw_proto, 50);
    assert_int_equal(key.tp_src, 0);
    assert_int_equal(layers.l4_ofs, 54);

    fr_init(&f);
    fr_eth(&f, MAC_B, MAC_A, 0x86dd);
    ip = fr_ipv6(&f, 0, IP6_A, IP6_B, 0, 0, 64);
    fr_ipv6_opts(&f, 59, 0);
    fr_zeros(&f, 8);                        /* ignored: no next header */
    fr_ipv6_end(&f, ip);
    assert_int_equal(parse_frame(&f, &key, &layers), 0);
    assert_int_equal(key.ipv6_exthdr,
                     FT_IPV6_EXTHDR_HOP | FT_IPV6_EXTHDR_NONEXT);
    assert_int_equal(key.nw_proto, 59);
    assert_int_equal(layers.l4_ofs, DP_LAYER_ABSENT);

    /* An extension header cut by the payload length. */
    fr_init(&f);
    fr_eth(&f, MAC_B, MAC_A, 0x86dd);
    ip = fr_ipv6(&f, 0, IP6_A, IP6_B, 0, 0, 64);
    fr_ipv6_opts(&f, 43, 0);
    fr_ipv6_opts(&f, 6, 3);                 /* routing, 32 bytes */
    fr_ipv6_end(&f, ip);
    fr_put16(&f, ip + 4, 8 + 16);
    assert_int_equal(parse_frame(&f, &key, &layers), -EINVAL);
    assert_int_equal(key.ipv6_exthdr, FT_IPV6_EXTHDR_HOP);
    assert_int_equal(key.nw_proto, 0);
    assert_int_equal(layers.l4_ofs, DP_LAYER_ABSENT);
    assert_ipv6_eq(&key.ipv6_src, IP6_A);
}

static void
test_ipv6_fragments(void **state)
{
    const struct test_frame *t = catalogue_frame("ipv6-later-fragment");
    struct dp_parse_layers layers;
    struct ft_key key;

    (void) state;
    assert_int_equal(parse_frame(&t->frame, &key, &layers), 0);
    assert_int_equal(key.nw_frag, FT_FRAG_ANY | FT_FRAG_LATER);
    assert_int_equal(key.ipv6_exthdr, FT_IPV6_EXTHDR_FRAG);
    assert_int_equal(key.nw_proto, 6);
    assert_int_equal(key.tp_src, 0);
    assert_int_equal(layers.l4_ofs, DP_LAYER_ABSENT);

    /* An atomic fragment (offset 0, no more fragments) is still one. */
    exthdr_flags(CHAIN(44), &key);
    assert_int_equal(key.nw_frag, FT_FRAG_ANY);
}

static void
test_icmpv6(void **state)
{
    const struct test_frame *t = catalogue_frame("ipv6-icmpv6-echo");
    struct dp_parse_layers layers;
    struct ft_key key;

    (void) state;
    assert_int_equal(parse_frame(&t->frame, &key, &layers), 0);
    assert_int_equal(key.nw_proto, 58);
    assert_int_equal(ntohs(key.tp_src), 128);
    assert_int_equal(ntohs(key.tp_dst), 0);
    assert_true(all_zero(&key.nd_target, 16));
    assert_int_equal(layers.payload_ofs, layers.l4_ofs + 8);
}

static void
test_nd(void **state)
{
    const struct test_frame *t = catalogue_frame("ipv6-nd-ns-sll");
    struct dp_parse_layers layers;
    struct ft_key key;

    (void) state;
    assert_int_equal(parse_frame(&t->frame, &key, &layers), 0);
    assert_int_equal(ntohs(key.tp_src), 135);
    assert_ipv6_eq(&key.nd_target, IP6_B);
    assert_memory_equal(key.arp_sha.ea, MAC_A, 6);
    assert_memory_equal(key.arp_tha.ea, ZERO_MAC, 6);

    t = catalogue_frame("ipv6-nd-na-tll");
    assert_int_equal(parse_frame(&t->frame, &key, &layers), 0);
    assert_int_equal(ntohs(key.tp_src), 136);
    assert_ipv6_eq(&key.nd_target, IP6_B);
    assert_memory_equal(key.arp_sha.ea, ZERO_MAC, 6);
    assert_memory_equal(key.arp_tha.ea, MAC_B, 6);
}

/* Builds an NS with target IP6_B and the raw option bytes given. */
static int
parse_ns_with_options(const uint8_t *opts, size_t n, int code,
                      struct ft_key *key)
{
    struct dp_parse_layers layers;
    struct frame f;
    uint32_t ip;

    fr_init(&f);
    fr_eth(&f, MAC_B, MAC_A, 0x86dd);
    ip = fr_ipv6(&f, 58, IP6_A, IP6_B, 0, 0, 255);
    fr_icmp(&f, 135, (uint8_t) code);
    fr_bytes(&f, IP6_B, 16);
    fr_bytes(&f, opts, n);
    fr_ipv6_end(&f, ip);
    return parse_frame(&f, key, &layers);
}

static void
test_nd_malformed_options(void **state)
{
    static const uint8_t sll_tll[] = { 1, 1, 2, 0, 0, 0, 0, 0xa,
                                       2, 1, 2, 0, 0, 0, 0, 0xb };
    static const uint8_t zero_len[] = { 1, 1, 2, 0, 0, 0, 0, 0xa,
                                        5, 0, 0, 0, 0, 0, 0, 0 };
    static const uint8_t overrun[] = { 1, 1, 2, 0, 0, 0, 0, 0xa,
                                       5, 3, 0, 0, 0, 0, 0, 0 };
    static const uint8_t dup_sll[] = { 1, 1, 2, 0, 0, 0, 0, 0xa,
                                       1, 1, 2, 0, 0, 0, 0, 0xb };
    static const uint8_t short_tail[] = { 1, 1, 2, 0, 0, 0, 0, 0xa, 1, 1 };
    static const uint8_t long_sll[] = { 1, 2, 2, 0, 0, 0, 0, 0xa,
                                        0, 0, 0, 0, 0, 0, 0, 0 };
    struct ft_key key;

    (void) state;
    assert_int_equal(parse_ns_with_options(sll_tll, sizeof sll_tll, 0, &key),
                     0);
    assert_memory_equal(key.arp_sha.ea, MAC_A, 6);
    assert_memory_equal(key.arp_tha.ea, MAC_B, 6);

    const struct {
        const uint8_t *opts;
        size_t n;
    } bad[] = {
        { zero_len, sizeof zero_len }, { overrun, sizeof overrun },
        { dup_sll, sizeof dup_sll }, { short_tail, sizeof short_tail },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(parse_ns_with_options(bad[i].opts, bad[i].n, 0, &key),
                         -EINVAL);
        assert_true(all_zero(&key.arp_sha, 6));
        assert_true(all_zero(&key.arp_tha, 6));
        assert_ipv6_eq(&key.nd_target, IP6_B);
        assert_int_equal(ntohs(key.tp_src), 135);
    }

    /* A link-layer option that is not Ethernet-sized is skipped. */
    assert_int_equal(parse_ns_with_options(long_sll, sizeof long_sll, 0, &key),
                     0);
    assert_true(all_zero(&key.arp_sha, 6));

    /* Code other than 0: plain ICMPv6, no ND fields. */
    assert_int_equal(parse_ns_with_options(sll_tll, sizeof sll_tll, 1, &key),
                     0);
    assert_int_equal(ntohs(key.tp_dst), 1);
    assert_true(all_zero(&key.nd_target, 16));
    assert_true(all_zero(&key.arp_sha, 6));

    /* Target cut short. */
    assert_int_equal(parse_ns_with_options(NULL, 0, 0, &key), 0);
    {
        struct dp_parse_layers layers;
        struct frame f;
        uint32_t ip;

        fr_init(&f);
        fr_eth(&f, MAC_B, MAC_A, 0x86dd);
        ip = fr_ipv6(&f, 58, IP6_A, IP6_B, 0, 0, 255);
        fr_icmp(&f, 136, 0);
        fr_bytes(&f, IP6_B, 15);
        fr_ipv6_end(&f, ip);
        assert_int_equal(parse_frame(&f, &key, &layers), -EINVAL);
        assert_int_equal(ntohs(key.tp_src), 136);
        assert_true(all_zero(&key.nd_target, 16));
    }
}

/* ---- whole-parser properties ------------------------------------------- */

static void
test_parse_mbuf(void **state)
{
    const struct test_frame *t = catalogue_frame("vlan-ipv4-tcp");
    struct dp_parse_layers layers, layers2;
    struct ft_key key, key2;
    struct rte_mbuf m;
    uint8_t buf[256 + FRAME_MAX];

    (void) state;
    /* An mbuf laid out by hand: no EAL, no mempool. */
    memset(&m, 0, sizeof m);
    memcpy(buf + 128, t->frame.data, t->frame.len);
    m.buf_addr = buf;
    m.data_off = 128;
    m.data_len = (uint16_t) t->frame.len;
    m.pkt_len = t->frame.len;
    m.nb_segs = 1;
    memset(&key, 0xff, sizeof key);
    assert_int_equal(dp_parse_mbuf(&m, 7, &key, &layers), 0);
    assert_int_equal(key.in_port, 7);
    assert_int_equal(parse_frame(&t->frame, &key2, &layers2), 0);
    key2.in_port = 7;
    assert_memory_equal(&key, &key2, sizeof key);
    assert_memory_equal(&layers, &layers2, sizeof layers);
}

static void
test_huge_frame(void **state)
{
    const struct test_frame *t = catalogue_frame("ipv6-tcp");
    const uint32_t len = 70000;
    struct dp_parse_layers layers;
    struct ft_key key;
    uint8_t *buf = calloc(1, len);

    (void) state;
    assert_non_null(buf);
    memcpy(buf, t->frame.data, t->frame.len);
    assert_int_equal(dp_parse(buf, len, &key, &layers), 0);
    assert_int_equal(ntohs(key.tp_dst), 22);
    /* Payload length at most 65535 - 54 fits the clamped frame. */
    buf[18] = 0xff;
    buf[19] = 0xff;
    assert_int_equal(dp_parse(buf, len, &key, &layers), -EINVAL);
    free(buf);
}

/* Every bit set in 'cut' is set in 'full', except where a cut-short header
 * legitimately leaves its own type in dl_type. */
static void
assert_key_subset(const struct ft_key *cut, const struct ft_key *full,
                  const char *name, uint32_t len)
{
    struct ft_key a = *cut, b = *full;
    uint16_t cut_type = ntohs(cut->dl_type);

    if (cut_type == 0x8100 || cut_type == 0x88a8 || cut_type == 0x9100
        || cut_type == 0x05ff) {
        a.dl_type = b.dl_type;
    }
    const uint8_t *pa = (const void *) &a, *pb = (const void *) &b;
    for (size_t i = 0; i < sizeof a; i++) {
        if (pa[i] & ~pb[i]) {
            fail_msg("%s cut at %u: key byte %zu is 0x%02x, full 0x%02x",
                     name, len, i, pa[i], pb[i]);
        }
    }
}

static void
assert_layers_within(const struct dp_parse_layers *l, uint32_t len)
{
    const uint16_t ofs[] = { l->l2_5_ofs, l->l3_ofs, l->l4_ofs,
                             l->payload_ofs };

    for (size_t i = 0; i < sizeof ofs / sizeof ofs[0]; i++) {
        assert_true(ofs[i] == DP_LAYER_ABSENT || ofs[i] <= len);
    }
}

/* Checks one cut of a catalogue frame against the full parse. */
static void
check_cut(const struct test_frame *t, uint32_t cut, bool lengths_fixed,
          const struct ft_key *full, const struct dp_parse_layers *full_l)
{
    const size_t l3_words = offsetof(struct ft_key, ipv6_src);
    const size_t l4_words = offsetof(struct ft_key, tp_src);
    struct dp_parse_layers layers;
    struct ft_key key;
    struct frame f = t->frame;

    f.len = cut;
    if (lengths_fixed && full_l->l3_ofs != DP_LAYER_ABSENT) {
        /* Shrink the IP length to the cut, so L4 and extension headers
         * (not just the IP header check) meet the cut. */
        uint32_t ip = full_l->l3_ofs;

        if (ntohs(full->dl_type) == 0x0800 && cut >= ip + 20) {
            fr_put16(&f, ip + 2, (uint16_t) (cut - ip));
        } else if (ntohs(full->dl_type) == 0x86dd && cut >= ip + 40) {
            fr_put16(&f, ip + 4, (uint16_t) (cut - ip - 40));
        }
    }
    parse_frame(&f, &key, &layers);
    assert_metadata_zero(&key);
    assert_layers_within(&layers, cut);
    assert_key_subset(&key, full, t->name, cut);
    if (cut < 14) {
        assert_true(all_zero(&key, sizeof key));
    }
    if (full_l->l3_ofs == DP_LAYER_ABSENT || cut < full_l->l3_ofs) {
        assert_true(all_zero((const uint8_t *) &key + l3_words,
                             sizeof key - l3_words));
    }
    if (full_l->payload_ofs != DP_LAYER_ABSENT && cut < full_l->payload_ofs) {
        assert_true(all_zero((const uint8_t *) &key + l4_words,
                             sizeof key - l4_words));
        assert_int_equal(layers.payload_ofs, DP_LAYER_ABSENT);
    }
    if (cut == t->frame.len) {
        assert_memory_equal(&key, full, sizeof key);
    }
}

static void
test_truncation_sweep(void **state)
{
    static struct test_frame frames[64];
    size_t n = frames_catalogue(frames, 64);

    (void) state;
    assert_true(n >= 20);
    for (size_t i = 0; i < n; i++) {
        const struct test_frame *t = &frames[i];
        struct dp_parse_layers full_l;
        struct ft_key full;

        assert_int_equal(parse_frame(&t->frame, &full, &full_l), 0);
        for (uint32_t cut = 0; cut <= t->frame.len; cut++) {
            check_cut(t, cut, false, &full, &full_l);
            check_cut(t, cut, true, &full, &full_l);
        }
    }
}

/* Random bytes after a valid prefix, and random bit flips of catalogue
 * frames: no crash, invariants hold (ASan/UBSan do the rest). */
static void
test_random_garbage(void **state)
{
    static struct test_frame frames[64];
    size_t n = frames_catalogue(frames, 64);
    uint64_t rng = 0x9e3779b97f4a7c15ull;

    (void) state;
    for (int iter = 0; iter < 20000; iter++) {
        const struct test_frame *t = &frames[(size_t) iter % n];
        struct dp_parse_layers layers;
        struct ft_key key;
        struct frame f = t->frame;
        int flips;

        rng = rng * 6364136223846793005ull + 1442695040888963407ull;
        flips = (int) (rng >> 60) + 1;
        for (int k = 0; k < flips; k++) {
            rng = rng * 6364136223846793005ull + 1442695040888963407ull;
            f.data[(rng >> 33) % f.len] ^= (uint8_t) (1u << ((rng >> 20) & 7));
        }
        f.len = (uint32_t) ((rng >> 40) % (f.len + 1));
        parse_frame(&f, &key, &layers);
        assert_metadata_zero(&key);
        assert_layers_within(&layers, f.len);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_short_frame),
        cmocka_unit_test(test_eth_unknown_type),
        cmocka_unit_test(test_llc_8023),
        cmocka_unit_test(test_llc_snap_ipv4),
        cmocka_unit_test(test_vlan_single),
        cmocka_unit_test(test_vlan_qinq),
        cmocka_unit_test(test_mpls),
        cmocka_unit_test(test_pbb),
        cmocka_unit_test(test_arp),
        cmocka_unit_test(test_ipv4_tcp),
        cmocka_unit_test(test_ipv4_options),
        cmocka_unit_test(test_ipv4_malformed),
        cmocka_unit_test(test_ipv4_fragments),
        cmocka_unit_test(test_tcp_data_offset),
        cmocka_unit_test(test_udp_sctp_icmp),
        cmocka_unit_test(test_unknown_l4),
        cmocka_unit_test(test_ipv6_tcp),
        cmocka_unit_test(test_ipv6_malformed),
        cmocka_unit_test(test_ipv6_exthdr_flags),
        cmocka_unit_test(test_ipv6_esp_nonext),
        cmocka_unit_test(test_ipv6_fragments),
        cmocka_unit_test(test_icmpv6),
        cmocka_unit_test(test_nd),
        cmocka_unit_test(test_nd_malformed_options),
        cmocka_unit_test(test_parse_mbuf),
        cmocka_unit_test(test_huge_frame),
        cmocka_unit_test(test_truncation_sweep),
        cmocka_unit_test(test_random_garbage),
    };

    return cmocka_run_group_tests_name("parse", tests, NULL, NULL);
}
