/*
 * dp_parse.c — the one-pass packet parser (see dp_parse.h for what it
 * understands and the decisions it makes).
 *
 * Every reader checks the bytes it needs against the end of its region
 * before touching them: 'len' for L2, the IP total/payload length for what
 * lies inside an IP packet. Offsets are uint32_t and satisfy ofs <= end at
 * every step, so "end - ofs" is the room left and never wraps.
 *
 * Multi-byte fields go into the key in network byte order, loaded with
 * memcpy (frames may sit at any alignment). DPDK's packed header structs
 * (alignment 1) describe the layouts where they fit.
 *
 * Thread-safety: reentrant; any thread, PMD workers included.
 */
#include "dp_parse.h"

#include <errno.h>
#include <string.h>

#include <rte_arp.h>
#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_icmp.h>
#include <rte_ip.h>
#include <rte_sctp.h>
#include <rte_tcp.h>
#include <rte_udp.h>

#include "lib/util.h"

/* Frames are clamped to this length so that every offset fits a uint16_t
 * and differs from DP_LAYER_ABSENT (an mbuf segment is never longer). */
#define MAX_FRAME_LEN (DP_LAYER_ABSENT - 1)

#define ETH_HEADER_LEN   14
#define ETH_ADDR_LEN     6
#define ETH_TYPE_MIN     0x0600     /* smaller values are 802.3 lengths */
#define ETH_TYPE_NONE    0x05ff     /* OVS's dl_type of non-Ethernet-II */
#define ETH_TYPE_PBB     0x88e7     /* 802.1ah I-TAG */
#define VLAN_HEADER_LEN  4          /* TCI + next Ethertype */
#define LLC_SNAP_LEN     8          /* DSAP SSAP CTRL OUI[3] TYPE[2] */
#define MPLS_LSE_LEN     4
#define MPLS_BOS_BIT     0x00000100u
#define PBB_ITAG_LEN     4          /* I-TAG TCI after the 0x88e7 TPID */
#define PBB_UCA_SHIFT    27
#define PBB_ISID_MASK    0x00ffffffu
#define ARP_ETH_IPV4_LEN 28         /* fixed header + Ethernet/IPv4 body */
#define IPV4_MIN_HLEN    20
#define IPV6_HLEN        40
#define TCP_MIN_HLEN     20
#define UDP_HLEN         8
#define SCTP_HLEN        12
#define ICMP_HLEN        8          /* type, code, csum, 4 bytes of rest */
#define ND_MIN_LEN       24         /* ICMPv6 header + 16-byte target */
#define ND_OPT_UNIT      8          /* option lengths count 8-byte units */
#define ND_OPT_SLL       1
#define ND_OPT_TLL       2
#define ND_NS            135
#define ND_NA            136
#define TCP_FLAGS_MASK   0x0fff

#define IP_PROTO_HOPOPTS  0
#define IP_PROTO_ICMP     1
#define IP_PROTO_TCP      6
#define IP_PROTO_UDP      17
#define IP_PROTO_ROUTING  43
#define IP_PROTO_FRAGMENT 44
#define IP_PROTO_ESP      50
#define IP_PROTO_AH       51
#define IP_PROTO_ICMPV6   58
#define IP_PROTO_NONE     59
#define IP_PROTO_DSTOPTS  60
#define IP_PROTO_SCTP     132

static inline be16
load_be16(const uint8_t *p)
{
    be16 v;

    memcpy(&v, p, sizeof v);
    return v;
}

static inline be32
load_be32(const uint8_t *p)
{
    be32 v;

    memcpy(&v, p, sizeof v);
    return v;
}

static inline bool
is_vlan_tpid(uint16_t type)
{
    return type == RTE_ETHER_TYPE_VLAN || type == RTE_ETHER_TYPE_QINQ
           || type == RTE_ETHER_TYPE_QINQ1;
}

/* ---- L4 ----------------------------------------------------------------- */

/* Neighbour Discovery NS/NA: target address and link-layer options. */
static int
parse_nd(const uint8_t *data, uint32_t ofs, uint32_t end, struct ft_key *key)
{
    struct ft_eth_addr sll = {{ 0 }}, tll = {{ 0 }};
    bool have_sll = false, have_tll = false;

    if (end - ofs < ND_MIN_LEN) {
        return -EINVAL;
    }
    memcpy(&key->nd_target, data + ofs + ICMP_HLEN, sizeof key->nd_target);
    for (ofs += ND_MIN_LEN; ofs < end;) {
        uint8_t type;
        uint32_t opt_len;

        if (end - ofs < ND_OPT_UNIT) {
            return -EINVAL;
        }
        type = data[ofs];
        opt_len = (uint32_t) data[ofs + 1] * ND_OPT_UNIT;
        if (opt_len == 0 || opt_len > end - ofs) {
            return -EINVAL;
        }
        /* Only Ethernet-sized addresses (one unit) are link-layer options
         * of ours; a repeated one makes the whole list suspect. */
        if (type == ND_OPT_SLL && opt_len == ND_OPT_UNIT) {
            if (have_sll) {
                return -EINVAL;
            }
            have_sll = true;
            memcpy(&sll, data + ofs + 2, ETH_ADDR_LEN);
        } else if (type == ND_OPT_TLL && opt_len == ND_OPT_UNIT) {
            if (have_tll) {
                return -EINVAL;
            }
            have_tll = true;
            memcpy(&tll, data + ofs + 2, ETH_ADDR_LEN);
        }
        ofs += opt_len;
    }
    key->arp_sha = sll;
    key->arp_tha = tll;
    return 0;
}

/* Transport header at 'ofs' inside an IP packet ending at 'end'. */
static int
parse_l4(const uint8_t *data, uint32_t ofs, uint32_t end, uint8_t proto,
         bool ipv6, struct ft_key *key, struct dp_parse_layers *layers)
{
    uint32_t room = end - ofs;
    uint32_t hlen;

    switch (proto) {
    case IP_PROTO_TCP: {
        const struct rte_tcp_hdr *tcp = (const void *) (data + ofs);

        if (room < TCP_MIN_HLEN) {
            return -EINVAL;
        }
        hlen = (uint32_t) (tcp->data_off >> 4) * 4;
        if (hlen < TCP_MIN_HLEN || hlen > room) {
            return -EINVAL;
        }
        key->tp_src = tcp->src_port;
        key->tp_dst = tcp->dst_port;
        key->tcp_flags = load_be16(&tcp->data_off) & htons(TCP_FLAGS_MASK);
        break;
    }
    case IP_PROTO_UDP: {
        const struct rte_udp_hdr *udp = (const void *) (data + ofs);

        if (room < UDP_HLEN) {
            return -EINVAL;
        }
        hlen = UDP_HLEN;
        key->tp_src = udp->src_port;
        key->tp_dst = udp->dst_port;
        break;
    }
    case IP_PROTO_SCTP: {
        const struct rte_sctp_hdr *sctp = (const void *) (data + ofs);

        if (room < SCTP_HLEN) {
            return -EINVAL;
        }
        hlen = SCTP_HLEN;
        key->tp_src = sctp->src_port;
        key->tp_dst = sctp->dst_port;
        break;
    }
    case IP_PROTO_ICMP:
    case IP_PROTO_ICMPV6: {
        const struct rte_icmp_hdr *icmp = (const void *) (data + ofs);

        /* ICMPv4 only inside IPv4, ICMPv6 only inside IPv6. */
        if ((proto == IP_PROTO_ICMPV6) != ipv6) {
            layers->l4_ofs = (uint16_t) ofs;
            return 0;
        }
        if (room < ICMP_HLEN) {
            return -EINVAL;
        }
        hlen = ICMP_HLEN;
        key->tp_src = htons(icmp->icmp_type);
        key->tp_dst = htons(icmp->icmp_code);
        if (ipv6 && icmp->icmp_code == 0
            && (icmp->icmp_type == ND_NS || icmp->icmp_type == ND_NA)) {
            layers->l4_ofs = (uint16_t) ofs;
            layers->payload_ofs = (uint16_t) (ofs + hlen);
            return parse_nd(data, ofs, end, key);
        }
        break;
    }
    default:
        /* Some other protocol: where it starts is all we know. */
        layers->l4_ofs = (uint16_t) ofs;
        return 0;
    }
    layers->l4_ofs = (uint16_t) ofs;
    layers->payload_ofs = (uint16_t) (ofs + hlen);
    return 0;
}

/* ---- L3 ----------------------------------------------------------------- */

static int
parse_ipv4(const uint8_t *data, uint32_t ofs, uint32_t len,
           struct ft_key *key, struct dp_parse_layers *layers)
{
    const struct rte_ipv4_hdr *ip = (const void *) (data + ofs);
    uint32_t room = len - ofs;
    uint32_t hlen, total_len;
    uint16_t frag_off;

    if (room < IPV4_MIN_HLEN || (ip->version_ihl >> 4) != 4) {
        return -EINVAL;
    }
    hlen = (uint32_t) (ip->version_ihl & 0x0f) * 4;
    total_len = ntohs(ip->total_length);
    if (hlen < IPV4_MIN_HLEN || hlen > total_len || total_len > room) {
        return -EINVAL;
    }
    key->nw_src = ip->src_addr;
    key->nw_dst = ip->dst_addr;
    key->nw_tos = ip->type_of_service;
    key->nw_ttl = ip->time_to_live;
    key->nw_proto = ip->next_proto_id;
    frag_off = ntohs(ip->fragment_offset);
    if (frag_off & (RTE_IPV4_HDR_MF_FLAG | RTE_IPV4_HDR_OFFSET_MASK)) {
        key->nw_frag = FT_FRAG_ANY;
        if (frag_off & RTE_IPV4_HDR_OFFSET_MASK) {
            key->nw_frag |= FT_FRAG_LATER;
        }
    }
    layers->l3_ofs = (uint16_t) ofs;
    if (key->nw_frag & FT_FRAG_LATER) {
        return 0;
    }
    return parse_l4(data, ofs + hlen, ofs + total_len, ip->next_proto_id,
                    false, key, layers);
}

/* Position of each extension header in RFC 8200's recommended order. */
enum exthdr_rank {
    RANK_NONE,
    RANK_HOP,
    RANK_DEST_FIRST,     /* destination options before a routing header */
    RANK_ROUTING,
    RANK_FRAGMENT,
    RANK_AH,
    RANK_ESP,
    RANK_DEST_LAST,      /* destination options for the final destination */
};

struct exthdr_walk {
    uint16_t flags;          /* FT_IPV6_EXTHDR_* */
    uint8_t last_rank;       /* highest rank seen so far */
    uint8_t n_headers;
    uint8_t n_dest;
};

/* Records one extension header in the IPV6_EXTHDR flags. */
static void
exthdr_note(struct exthdr_walk *walk, uint16_t flag)
{
    uint8_t rank;

    switch (flag) {
    case FT_IPV6_EXTHDR_HOP:    rank = RANK_HOP; break;
    case FT_IPV6_EXTHDR_ROUTER: rank = RANK_ROUTING; break;
    case FT_IPV6_EXTHDR_FRAG:   rank = RANK_FRAGMENT; break;
    case FT_IPV6_EXTHDR_AUTH:   rank = RANK_AH; break;
    case FT_IPV6_EXTHDR_ESP:    rank = RANK_ESP; break;
    default: /* FT_IPV6_EXTHDR_DEST */
        /* The first destination header counts as the one before routing
         * while nothing from routing on has been seen; any other as the
         * final one. Two are allowed. */
        rank = walk->n_dest == 0 && walk->last_rank < RANK_ROUTING
               ? RANK_DEST_FIRST : RANK_DEST_LAST;
        if (++walk->n_dest > 2) {
            walk->flags |= FT_IPV6_EXTHDR_UNREP;
        }
        break;
    }
    if (flag != FT_IPV6_EXTHDR_DEST && (walk->flags & flag)) {
        walk->flags |= FT_IPV6_EXTHDR_UNREP;
    }
    if (rank < walk->last_rank || (rank == RANK_HOP && walk->n_headers)) {
        walk->flags |= FT_IPV6_EXTHDR_UNSEQ;
    }
    walk->flags |= flag;
    walk->last_rank = MAX(walk->last_rank, (uint8_t) rank);
    if (walk->n_headers < UINT8_MAX) {
        walk->n_headers++;
    }
}

static int
parse_ipv6(const uint8_t *data, uint32_t ofs, uint32_t len,
           struct ft_key *key, struct dp_parse_layers *layers)
{
    const struct rte_ipv6_hdr *ip6 = (const void *) (data + ofs);
    struct exthdr_walk walk = { 0 };
    uint32_t room = len - ofs;
    uint32_t vtc_flow, end;
    uint8_t next;

    if (room < IPV6_HLEN) {
        return -EINVAL;
    }
    vtc_flow = ntohl(ip6->vtc_flow);
    if (vtc_flow >> 28 != 6 || ntohs(ip6->payload_len) > room - IPV6_HLEN) {
        return -EINVAL;
    }
    end = ofs + IPV6_HLEN + ntohs(ip6->payload_len);
    memcpy(&key->ipv6_src, ip6->src_addr, sizeof key->ipv6_src);
    memcpy(&key->ipv6_dst, ip6->dst_addr, sizeof key->ipv6_dst);
    key->ipv6_label = htonl(vtc_flow & 0x000fffff);
    key->nw_tos = (uint8_t) (vtc_flow >> 20);
    key->nw_ttl = ip6->hop_limits;
    layers->l3_ofs = (uint16_t) ofs;

    next = ip6->proto;
    for (ofs += IPV6_HLEN;;) {
        uint32_t hlen;

        switch (next) {
        case IP_PROTO_HOPOPTS:
        case IP_PROTO_ROUTING:
        case IP_PROTO_DSTOPTS:
        case IP_PROTO_AH:
            /* All begin with next-header and a length byte; the smallest
             * is 8 bytes. AH counts 4-byte units minus 2, the others
             * 8-byte units minus 1. */
            if (end - ofs < 8) {
                goto truncated;
            }
            hlen = next == IP_PROTO_AH ? ((uint32_t) data[ofs + 1] + 2) * 4
                                       : ((uint32_t) data[ofs + 1] + 1) * 8;
            if (hlen > end - ofs) {
                goto truncated;
            }
            exthdr_note(&walk, next == IP_PROTO_HOPOPTS ? FT_IPV6_EXTHDR_HOP
                               : next == IP_PROTO_ROUTING ? FT_IPV6_EXTHDR_ROUTER
                               : next == IP_PROTO_DSTOPTS ? FT_IPV6_EXTHDR_DEST
                               : FT_IPV6_EXTHDR_AUTH);
            next = data[ofs];
            ofs += hlen;
            break;

        case IP_PROTO_FRAGMENT: {
            const struct rte_ipv6_fragment_ext *frag
                = (const void *) (data + ofs);

            if (end - ofs < sizeof *frag) {
                goto truncated;
            }
            exthdr_note(&walk, FT_IPV6_EXTHDR_FRAG);
            key->nw_frag |= FT_FRAG_ANY;
            next = frag->next_header;
            ofs += sizeof *frag;
            if (ntohs(frag->frag_data) & RTE_IPV6_EHDR_FO_MASK) {
                /* A later fragment: what follows is data, not headers. */
                key->nw_frag |= FT_FRAG_LATER;
                key->nw_proto = next;
                key->ipv6_exthdr = walk.flags;
                return 0;
            }
            break;
        }

        case IP_PROTO_ESP:
            /* Everything after the ESP header is encrypted. */
            exthdr_note(&walk, FT_IPV6_EXTHDR_ESP);
            key->nw_proto = next;
            key->ipv6_exthdr = walk.flags;
            layers->l4_ofs = (uint16_t) ofs;
            return 0;

        case IP_PROTO_NONE:
            walk.flags |= FT_IPV6_EXTHDR_NONEXT;
            key->nw_proto = next;
            key->ipv6_exthdr = walk.flags;
            return 0;

        default:
            key->nw_proto = next;
            key->ipv6_exthdr = walk.flags;
            return parse_l4(data, ofs, end, next, true, key, layers);
        }
    }

truncated:
    key->ipv6_exthdr = walk.flags;
    return -EINVAL;
}

static int
parse_arp(const uint8_t *data, uint32_t ofs, uint32_t len,
          struct ft_key *key, struct dp_parse_layers *layers)
{
    const uint8_t *arp = data + ofs;
    uint16_t op;

    if (len - ofs < ARP_ETH_IPV4_LEN) {
        return -EINVAL;
    }
    /* Only Ethernet hardware and IPv4 protocol addresses fit the key. */
    if (load_be16(arp) != htons(RTE_ARP_HRD_ETHER)
        || load_be16(arp + 2) != htons(RTE_ETHER_TYPE_IPV4)
        || arp[4] != ETH_ADDR_LEN || arp[5] != 4) {
        return 0;
    }
    op = ntohs(load_be16(arp + 6));
    key->arp_op = htons(op);
    key->nw_proto = (uint8_t) op;
    memcpy(&key->arp_sha, arp + 8, ETH_ADDR_LEN);
    key->nw_src = load_be32(arp + 14);
    memcpy(&key->arp_tha, arp + 18, ETH_ADDR_LEN);
    key->nw_dst = load_be32(arp + 24);
    layers->l3_ofs = (uint16_t) ofs;
    return 0;
}

/* ---- L2.5 --------------------------------------------------------------- */

static int
parse_mpls(const uint8_t *data, uint32_t ofs, uint32_t len,
           struct ft_key *key, struct dp_parse_layers *layers)
{
    for (unsigned int n = 0;; n++) {
        be32 lse;

        if (len - ofs < MPLS_LSE_LEN) {
            return -EINVAL;
        }
        if (n == 0) {
            layers->l2_5_ofs = (uint16_t) ofs;
        }
        lse = load_be32(data + ofs);
        if (n < FT_MPLS_MAX) {
            key->mpls_lse[n] = lse;
        }
        ofs += MPLS_LSE_LEN;
        if (lse & htonl(MPLS_BOS_BIT)) {
            break;
        }
    }
    /* The payload's type is not on the wire; it is not parsed. */
    layers->l3_ofs = (uint16_t) ofs;
    return 0;
}

static int
parse_pbb(const uint8_t *data, uint32_t ofs, uint32_t len,
          struct ft_key *key, struct dp_parse_layers *layers)
{
    uint32_t itag;

    if (len - ofs < PBB_ITAG_LEN) {
        return -EINVAL;
    }
    itag = ntohl(load_be32(data + ofs));
    key->pbb_isid = htonl(itag & PBB_ISID_MASK);
    key->pbb_uca = (itag >> PBB_UCA_SHIFT) & 1;
    layers->l2_5_ofs = (uint16_t) ofs;
    ofs += PBB_ITAG_LEN;
    /* The customer frame follows: C-DA, C-SA, Ethertype at least. */
    if (len - ofs < ETH_HEADER_LEN) {
        return -EINVAL;
    }
    layers->l3_ofs = (uint16_t) ofs;
    return 0;
}

/* ---- L2 ----------------------------------------------------------------- */

int
dp_parse(const uint8_t *data, uint32_t len, struct ft_key *key,
         struct dp_parse_layers *layers)
{
    uint32_t ofs = 2 * ETH_ADDR_LEN;
    uint16_t type;

    ft_key_zero(key);
    layers->l2_5_ofs = DP_LAYER_ABSENT;
    layers->l3_ofs = DP_LAYER_ABSENT;
    layers->l4_ofs = DP_LAYER_ABSENT;
    layers->payload_ofs = DP_LAYER_ABSENT;

    if (unlikely(len < ETH_HEADER_LEN)) {
        return -EINVAL;
    }
    len = MIN(len, (uint32_t) MAX_FRAME_LEN);
    memcpy(&key->dl_dst, data, ETH_ADDR_LEN);
    memcpy(&key->dl_src, data + ETH_ADDR_LEN, ETH_ADDR_LEN);
    type = ntohs(load_be16(data + ofs));
    ofs += 2;

    for (int i = 0; i < FT_VLAN_MAX && is_vlan_tpid(type); i++) {
        if (len - ofs < VLAN_HEADER_LEN) {
            key->dl_type = htons(type);
            return -EINVAL;
        }
        key->vlans[i].tpid = htons(type);
        key->vlans[i].tci = load_be16(data + ofs) | htons(FT_VLAN_PRESENT);
        type = ntohs(load_be16(data + ofs + 2));
        ofs += VLAN_HEADER_LEN;
    }

    if (unlikely(type < ETH_TYPE_MIN)) {
        /* 802.3: a length, then LLC. Only SNAP with the Ethernet OUI maps
         * back to an Ethertype. */
        static const uint8_t snap_prefix[6] = { 0xaa, 0xaa, 0x03, 0, 0, 0 };

        type = ETH_TYPE_NONE;
        if (len - ofs >= LLC_SNAP_LEN
            && !memcmp(data + ofs, snap_prefix, sizeof snap_prefix)) {
            uint16_t snap_type = ntohs(load_be16(data + ofs + 6));

            ofs += LLC_SNAP_LEN;
            if (snap_type >= ETH_TYPE_MIN) {
                type = snap_type;
            }
        }
    }
    key->dl_type = htons(type);

    switch (type) {
    case RTE_ETHER_TYPE_IPV4:
        return parse_ipv4(data, ofs, len, key, layers);
    case RTE_ETHER_TYPE_IPV6:
        return parse_ipv6(data, ofs, len, key, layers);
    case RTE_ETHER_TYPE_ARP:
    case RTE_ETHER_TYPE_RARP:
        return parse_arp(data, ofs, len, key, layers);
    case RTE_ETHER_TYPE_MPLS:
    case RTE_ETHER_TYPE_MPLSM:
        return parse_mpls(data, ofs, len, key, layers);
    case ETH_TYPE_PBB:
        return parse_pbb(data, ofs, len, key, layers);
    default:
        layers->l3_ofs = (uint16_t) ofs;
        return 0;
    }
}

/* ---- TCP flags only ------------------------------------------------------ */

uint16_t
dp_parse_tcp_flags(const uint8_t *data, uint32_t len)
{
    uint32_t ofs = ETH_HEADER_LEN;
    uint16_t type;

    if (unlikely(len < ETH_HEADER_LEN)) {
        return 0;
    }
    len = MIN(len, (uint32_t) MAX_FRAME_LEN);
    type = ntohs(load_be16(data + 2 * ETH_ADDR_LEN));
    for (int i = 0; i < FT_VLAN_MAX && is_vlan_tpid(type); i++) {
        if (len - ofs < VLAN_HEADER_LEN) {
            return 0;
        }
        type = ntohs(load_be16(data + ofs + 2));
        ofs += VLAN_HEADER_LEN;
    }
    if (likely(type == RTE_ETHER_TYPE_IPV4)) {
        /* The checks of parse_ipv4() and parse_l4() for TCP, in order. */
        const struct rte_ipv4_hdr *ip = (const void *) (data + ofs);
        uint32_t room = len - ofs;

        if (room < IPV4_MIN_HLEN || (ip->version_ihl >> 4) != 4
            || ip->next_proto_id != IP_PROTO_TCP) {
            return 0;
        }
        uint32_t hlen = (uint32_t) (ip->version_ihl & 0x0f) * 4;
        uint32_t total_len = ntohs(ip->total_length);
        if (hlen < IPV4_MIN_HLEN || hlen > total_len || total_len > room
            || (ntohs(ip->fragment_offset) & RTE_IPV4_HDR_OFFSET_MASK)
            || total_len - hlen < TCP_MIN_HLEN) {
            return 0;
        }
        const struct rte_tcp_hdr *tcp = (const void *) (data + ofs + hlen);
        uint32_t tcp_hlen = (uint32_t) (tcp->data_off >> 4) * 4;
        if (tcp_hlen < TCP_MIN_HLEN || tcp_hlen > total_len - hlen) {
            return 0;
        }
        return ntohs(load_be16(&tcp->data_off)) & TCP_FLAGS_MASK;
    }
    if (type == RTE_ETHER_TYPE_ARP || type == RTE_ETHER_TYPE_RARP) {
        return 0;
    }
    /* IPv6 (extension headers), LLC/SNAP, MPLS, PBB: the full parser. */
    struct ft_key key;
    struct dp_parse_layers layers;
    dp_parse(data, len, &key, &layers);
    return ntohs(key.tcp_flags);
}
