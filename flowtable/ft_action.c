/*
 * ft_action.c — OpenFlow actions as the pipeline keeps them: field
 * prerequisites, SET_FIELD in key-word form, the semantic check of an
 * action list (ft_actions_check), and list helpers (clone, compare,
 * out_port / out_group filters, ovs-ofctl style formatting).
 *
 * Field knowledge. flowtable may not include openflow/, so this file has
 * its own table of the 40 OXM basic fields (OpenFlow 1.3.5 §7.2.3.7-8):
 * name, wire length, settable or not, prerequisite and how ovs-ofctl
 * prints the value. The numbers, lengths and the settable set are the
 * codec's (openflow/of_oxm.c is the source of truth; the unit tests
 * compare the two tables field by field). Where a field's bits live in
 * struct ft_key is NOT known here: the bridge computes it with the codec
 * (of_set_field_apply onto a zeroed key and mask) and hands the result to
 * ft_set_field_init().
 *
 * Prerequisites (enum ft_prereq) come in two uses:
 *  - ft_prereq_guaranteed(): FLOW_MOD time. Does the match pin the fields
 *    that make the prerequisite true for every packet it matches? Only
 *    exact (fully masked) fields count: dl_type=0x0800/0x86dd for IP_ANY,
 *    plus nw_proto=6 for TCP, plus ICMP type 135 for ND_SLL, the VLAN
 *    PRESENT bit masked and set for VLAN.
 *  - ft_prereq_holds(): translation time, on one packet's key. It ORs
 *    into the megaflow mask exactly the bits it read and reads as little
 *    as it can (it stops at the first field that fails), because every
 *    bit un-wildcarded there narrows the megaflow.
 *
 * SET_FIELD's prerequisite is the field's match prerequisite, except
 * VLAN_VID: matching vlan_vid needs nothing (OFPVID_NONE is a valid
 * match), but setting it rewrites an existing tag and never adds one, so
 * a set_field of vlan_vid needs a VLAN (as Open vSwitch). ft_set_field
 * .prereq holds this stronger form; xlate should test it per packet.
 *
 * ft_actions_check() runs in two passes:
 *  1. each action alone, in list order: type, output port, group, push
 *     ethertype, settable field, and for an action set the
 *     one-per-type rule;
 *  2. with a match only: a walk that keeps a copy of the match and updates
 *     it as the actions would change the packet (push/pop of VLAN, MPLS,
 *     PBB, set_field including eth_type), checking each action's header
 *     prerequisite against the updated copy. An action set is walked in
 *     the order it executes (OpenFlow 1.3 §5.10: copy TTL in, pop, push
 *     MPLS, push PBB, push VLAN, copy TTL out, decrement TTL, set, qos,
 *     group, output; actions of one class in list order), so
 *     write_actions(set_field:vlan_pcp, push_vlan) is valid on an
 *     untagged match. What the walk cannot know is unknown, not assumed:
 *     after POP_VLAN the presence of a further tag is whatever the match
 *     said of the second tag (OXM cannot say anything about it, so it is
 *     unknown and VLAN actions after it are inconsistent); after POP_PBB
 *     the inner frame's ethertype and tags are unknown.
 *
 * Pure functions; any thread.
 */
#include "ft_action.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "ft_group.h"
#include "lib/util.h"

/* OXM basic field numbers (OFPXMT_OFB_*), as on the wire. */
enum {
    OXM_IN_PORT = 0, OXM_IN_PHY_PORT = 1, OXM_METADATA = 2, OXM_ETH_DST = 3,
    OXM_ETH_SRC = 4, OXM_ETH_TYPE = 5, OXM_VLAN_VID = 6, OXM_VLAN_PCP = 7,
    OXM_IP_DSCP = 8, OXM_IP_ECN = 9, OXM_IP_PROTO = 10, OXM_IPV4_SRC = 11,
    OXM_IPV4_DST = 12, OXM_TCP_SRC = 13, OXM_TCP_DST = 14, OXM_UDP_SRC = 15,
    OXM_UDP_DST = 16, OXM_SCTP_SRC = 17, OXM_SCTP_DST = 18,
    OXM_ICMPV4_TYPE = 19, OXM_ICMPV4_CODE = 20, OXM_ARP_OP = 21,
    OXM_ARP_SPA = 22, OXM_ARP_TPA = 23, OXM_ARP_SHA = 24, OXM_ARP_THA = 25,
    OXM_IPV6_SRC = 26, OXM_IPV6_DST = 27, OXM_IPV6_FLABEL = 28,
    OXM_ICMPV6_TYPE = 29, OXM_ICMPV6_CODE = 30, OXM_IPV6_ND_TARGET = 31,
    OXM_IPV6_ND_SLL = 32, OXM_IPV6_ND_TLL = 33, OXM_MPLS_LABEL = 34,
    OXM_MPLS_TC = 35, OXM_MPLS_BOS = 36, OXM_PBB_ISID = 37,
    OXM_TUNNEL_ID = 38, OXM_IPV6_EXTHDR = 39,
    OXM_N_FIELDS = 40,
};

/* How ovs-ofctl prints a field's value. */
enum field_fmt { FMT_DEC, FMT_HEX, FMT_MAC, FMT_IPV4, FMT_IPV6 };

struct field_info {
    const char *name;               /* OXM name, as the codec's */
    uint8_t len;                    /* wire value length */
    bool settable;                  /* allowed in SET_FIELD */
    uint8_t prereq;                 /* enum ft_prereq (match form) */
    uint8_t fmt;                    /* enum field_fmt */
};

#define F(ID, NAME, LEN, SET, PRE, FMT) \
    [ID] = { NAME, LEN, SET, FT_PREREQ_##PRE, FMT_##FMT }

static const struct field_info fields[OXM_N_FIELDS] = {
    F(OXM_IN_PORT, "in_port", 4, false, NONE, DEC),
    /* IN_PHY_PORT needs IN_PORT in the match: a match-syntax rule, not a
     * packet header, so no ft_prereq expresses it. */
    F(OXM_IN_PHY_PORT, "in_phy_port", 4, false, NONE, DEC),
    F(OXM_METADATA, "metadata", 8, false, NONE, HEX),
    F(OXM_ETH_DST, "eth_dst", 6, true, NONE, MAC),
    F(OXM_ETH_SRC, "eth_src", 6, true, NONE, MAC),
    F(OXM_ETH_TYPE, "eth_type", 2, true, NONE, HEX),
    F(OXM_VLAN_VID, "vlan_vid", 2, true, NONE, DEC),
    F(OXM_VLAN_PCP, "vlan_pcp", 1, true, VLAN, DEC),
    F(OXM_IP_DSCP, "ip_dscp", 1, true, IP_ANY, DEC),
    F(OXM_IP_ECN, "ip_ecn", 1, true, IP_ANY, DEC),
    F(OXM_IP_PROTO, "ip_proto", 1, true, IP_ANY, DEC),
    F(OXM_IPV4_SRC, "ipv4_src", 4, true, IPV4, IPV4),
    F(OXM_IPV4_DST, "ipv4_dst", 4, true, IPV4, IPV4),
    F(OXM_TCP_SRC, "tcp_src", 2, true, TCP, DEC),
    F(OXM_TCP_DST, "tcp_dst", 2, true, TCP, DEC),
    F(OXM_UDP_SRC, "udp_src", 2, true, UDP, DEC),
    F(OXM_UDP_DST, "udp_dst", 2, true, UDP, DEC),
    F(OXM_SCTP_SRC, "sctp_src", 2, true, SCTP, DEC),
    F(OXM_SCTP_DST, "sctp_dst", 2, true, SCTP, DEC),
    F(OXM_ICMPV4_TYPE, "icmpv4_type", 1, true, ICMPV4, DEC),
    F(OXM_ICMPV4_CODE, "icmpv4_code", 1, true, ICMPV4, DEC),
    F(OXM_ARP_OP, "arp_op", 2, true, ARP, DEC),
    F(OXM_ARP_SPA, "arp_spa", 4, true, ARP, IPV4),
    F(OXM_ARP_TPA, "arp_tpa", 4, true, ARP, IPV4),
    F(OXM_ARP_SHA, "arp_sha", 6, true, ARP, MAC),
    F(OXM_ARP_THA, "arp_tha", 6, true, ARP, MAC),
    F(OXM_IPV6_SRC, "ipv6_src", 16, true, IPV6, IPV6),
    F(OXM_IPV6_DST, "ipv6_dst", 16, true, IPV6, IPV6),
    F(OXM_IPV6_FLABEL, "ipv6_flabel", 4, true, IPV6, HEX),
    F(OXM_ICMPV6_TYPE, "icmpv6_type", 1, true, ICMPV6, DEC),
    F(OXM_ICMPV6_CODE, "icmpv6_code", 1, true, ICMPV6, DEC),
    F(OXM_IPV6_ND_TARGET, "ipv6_nd_target", 16, true, ND_TARGET, IPV6),
    F(OXM_IPV6_ND_SLL, "ipv6_nd_sll", 6, true, ND_SLL, MAC),
    F(OXM_IPV6_ND_TLL, "ipv6_nd_tll", 6, true, ND_TLL, MAC),
    F(OXM_MPLS_LABEL, "mpls_label", 4, true, MPLS, DEC),
    F(OXM_MPLS_TC, "mpls_tc", 1, true, MPLS, DEC),
    F(OXM_MPLS_BOS, "mpls_bos", 1, true, MPLS, DEC),
    F(OXM_PBB_ISID, "pbb_isid", 3, true, PBB, DEC),
    F(OXM_TUNNEL_ID, "tunnel_id", 8, true, NONE, HEX),
    F(OXM_IPV6_EXTHDR, "ipv6_exthdr", 2, false, IPV6, HEX),
};
#undef F

#define ETH_TYPE_IP     0x0800
#define ETH_TYPE_ARP    0x0806
#define ETH_TYPE_IPV6   0x86dd
#define ETH_TYPE_VLAN   0x8100
#define ETH_TYPE_VLAN_8021AD 0x88a8
#define ETH_TYPE_MPLS   0x8847
#define ETH_TYPE_MPLS_MCAST 0x8848
#define ETH_TYPE_PBB    0x88e7

#define IPPROTO_ICMP_   1
#define IPPROTO_TCP_    6
#define IPPROTO_UDP_    17
#define IPPROTO_ICMPV6_ 58
#define IPPROTO_SCTP_   132

#define ND_SOLICIT 135              /* ICMPv6 neighbour solicitation */
#define ND_ADVERT  136              /* ICMPv6 neighbour advertisement */

enum ft_prereq
ft_field_prereq(uint8_t oxm_field)
{
    return oxm_field < OXM_N_FIELDS ? (enum ft_prereq) fields[oxm_field].prereq
                                    : FT_PREREQ_NONE;
}

/* What a SET_FIELD of 'oxm_field' needs (see the essay: VLAN_VID). */
static enum ft_prereq
set_field_prereq(uint8_t oxm_field)
{
    return oxm_field == OXM_VLAN_VID ? FT_PREREQ_VLAN
                                     : ft_field_prereq(oxm_field);
}

/* ---- prerequisites on a match ------------------------------------------ */

static bool
match_dl_type_is(const struct ft_match *m, uint16_t type)
{
    return m->mask.masks.dl_type == UINT16_MAX
           && m->key.dl_type == htons(type);
}

static bool
match_nw_proto_is(const struct ft_match *m, uint8_t proto)
{
    return m->mask.masks.nw_proto == UINT8_MAX && m->key.nw_proto == proto;
}

/* The ICMP type lives in the low byte of tp_src (ft_key.h). */
static bool
match_icmp_type_is(const struct ft_match *m, uint8_t type)
{
    return (ntohs(m->mask.masks.tp_src) & 0xff) == 0xff
           && (ntohs(m->key.tp_src) & 0xff) == type;
}

static bool
match_is_ip(const struct ft_match *m)
{
    return match_dl_type_is(m, ETH_TYPE_IP)
           || match_dl_type_is(m, ETH_TYPE_IPV6);
}

static bool
match_is_icmpv6(const struct ft_match *m)
{
    return match_dl_type_is(m, ETH_TYPE_IPV6)
           && match_nw_proto_is(m, IPPROTO_ICMPV6_);
}

bool
ft_prereq_guaranteed(enum ft_prereq prereq, const struct ft_match *m)
{
    switch (prereq) {
    case FT_PREREQ_NONE:
        return true;
    case FT_PREREQ_VLAN:
        return (m->mask.masks.vlans[0].tci & htons(FT_VLAN_PRESENT))
               && (m->key.vlans[0].tci & htons(FT_VLAN_PRESENT));
    case FT_PREREQ_IP_ANY:
        return match_is_ip(m);
    case FT_PREREQ_IPV4:
        return match_dl_type_is(m, ETH_TYPE_IP);
    case FT_PREREQ_IPV6:
        return match_dl_type_is(m, ETH_TYPE_IPV6);
    case FT_PREREQ_ARP:
        return match_dl_type_is(m, ETH_TYPE_ARP);
    case FT_PREREQ_TCP:
        return match_is_ip(m) && match_nw_proto_is(m, IPPROTO_TCP_);
    case FT_PREREQ_UDP:
        return match_is_ip(m) && match_nw_proto_is(m, IPPROTO_UDP_);
    case FT_PREREQ_SCTP:
        return match_is_ip(m) && match_nw_proto_is(m, IPPROTO_SCTP_);
    case FT_PREREQ_ICMPV4:
        return match_dl_type_is(m, ETH_TYPE_IP)
               && match_nw_proto_is(m, IPPROTO_ICMP_);
    case FT_PREREQ_ICMPV6:
        return match_is_icmpv6(m);
    case FT_PREREQ_ND_TARGET:
        return match_is_icmpv6(m)
               && (match_icmp_type_is(m, ND_SOLICIT)
                   || match_icmp_type_is(m, ND_ADVERT));
    case FT_PREREQ_ND_SLL:
        return match_is_icmpv6(m) && match_icmp_type_is(m, ND_SOLICIT);
    case FT_PREREQ_ND_TLL:
        return match_is_icmpv6(m) && match_icmp_type_is(m, ND_ADVERT);
    case FT_PREREQ_MPLS:
        return match_dl_type_is(m, ETH_TYPE_MPLS)
               || match_dl_type_is(m, ETH_TYPE_MPLS_MCAST);
    case FT_PREREQ_PBB:
        return match_dl_type_is(m, ETH_TYPE_PBB);
    }
    return false;
}

/* ---- prerequisites on a packet ----------------------------------------- */

/* Each reader un-wildcards exactly the bits it looks at. */
static uint16_t
read_dl_type(const struct ft_key *key, struct ft_mask *wc)
{
    if (wc) {
        wc->masks.dl_type = UINT16_MAX;
    }
    return ntohs(key->dl_type);
}

static uint8_t
read_nw_proto(const struct ft_key *key, struct ft_mask *wc)
{
    if (wc) {
        wc->masks.nw_proto = UINT8_MAX;
    }
    return key->nw_proto;
}

static uint8_t
read_icmp_type(const struct ft_key *key, struct ft_mask *wc)
{
    if (wc) {
        wc->masks.tp_src |= htons(0xff);
    }
    return (uint8_t) ntohs(key->tp_src);
}

static bool
key_is_ip(const struct ft_key *key, struct ft_mask *wc)
{
    uint16_t type = read_dl_type(key, wc);
    return type == ETH_TYPE_IP || type == ETH_TYPE_IPV6;
}

static bool
key_is_icmpv6(const struct ft_key *key, struct ft_mask *wc)
{
    return read_dl_type(key, wc) == ETH_TYPE_IPV6
           && read_nw_proto(key, wc) == IPPROTO_ICMPV6_;
}

bool
ft_prereq_holds(enum ft_prereq prereq, const struct ft_key *key,
                struct ft_mask *wc)
{
    uint16_t type;

    switch (prereq) {
    case FT_PREREQ_NONE:
        return true;
    case FT_PREREQ_VLAN:
        if (wc) {
            wc->masks.vlans[0].tci |= htons(FT_VLAN_PRESENT);
        }
        return ft_key_has_vlan(key);
    case FT_PREREQ_IP_ANY:
        return key_is_ip(key, wc);
    case FT_PREREQ_IPV4:
        return read_dl_type(key, wc) == ETH_TYPE_IP;
    case FT_PREREQ_IPV6:
        return read_dl_type(key, wc) == ETH_TYPE_IPV6;
    case FT_PREREQ_ARP:
        return read_dl_type(key, wc) == ETH_TYPE_ARP;
    case FT_PREREQ_TCP:
        return key_is_ip(key, wc) && read_nw_proto(key, wc) == IPPROTO_TCP_;
    case FT_PREREQ_UDP:
        return key_is_ip(key, wc) && read_nw_proto(key, wc) == IPPROTO_UDP_;
    case FT_PREREQ_SCTP:
        return key_is_ip(key, wc)
               && read_nw_proto(key, wc) == IPPROTO_SCTP_;
    case FT_PREREQ_ICMPV4:
        return read_dl_type(key, wc) == ETH_TYPE_IP
               && read_nw_proto(key, wc) == IPPROTO_ICMP_;
    case FT_PREREQ_ICMPV6:
        return key_is_icmpv6(key, wc);
    case FT_PREREQ_ND_TARGET:
        if (!key_is_icmpv6(key, wc)) {
            return false;
        }
        type = read_icmp_type(key, wc);
        return type == ND_SOLICIT || type == ND_ADVERT;
    case FT_PREREQ_ND_SLL:
        return key_is_icmpv6(key, wc) && read_icmp_type(key, wc) == ND_SOLICIT;
    case FT_PREREQ_ND_TLL:
        return key_is_icmpv6(key, wc) && read_icmp_type(key, wc) == ND_ADVERT;
    case FT_PREREQ_MPLS:
        type = read_dl_type(key, wc);
        return type == ETH_TYPE_MPLS || type == ETH_TYPE_MPLS_MCAST;
    case FT_PREREQ_PBB:
        return read_dl_type(key, wc) == ETH_TYPE_PBB;
    }
    return false;
}

/* ---- SET_FIELD ------------------------------------------------------------ */

int
ft_set_field_init(struct ft_set_field *sf, uint8_t oxm_field,
                  const void *value, unsigned int len,
                  const struct ft_key *key_bits,
                  const struct ft_key *mask_bits)
{
    struct ft_key mask = *mask_bits;
    const ft_key_word *k = ft_key_u64(key_bits);
    const ft_key_word *m = ft_key_u64(&mask);

    memset(sf, 0, sizeof *sf);
    if (oxm_field >= OXM_N_FIELDS || !len || len > FT_SET_FIELD_MAX_LEN
        || len != fields[oxm_field].len) {
        return -EINVAL;
    }
    if (oxm_field == OXM_VLAN_VID) {
        /* The tag's presence is not the controller's to set. */
        mask.vlans[0].tci &= htons((uint16_t) ~FT_VLAN_PRESENT);
    }
    for (size_t i = 0; i < FT_KEY_U64S; i++) {
        if (!m[i]) {
            continue;
        }
        if (sf->n_words == FT_SET_FIELD_MAX_WORDS) {
            memset(sf, 0, sizeof *sf);
            return -EINVAL;
        }
        sf->word[sf->n_words] = (uint8_t) i;
        sf->mask[sf->n_words] = m[i];
        sf->bits[sf->n_words] = k[i] & m[i];
        sf->n_words++;
    }
    if (!sf->n_words) {
        return -EINVAL;
    }
    sf->oxm_field = oxm_field;
    sf->len = (uint8_t) len;
    memcpy(sf->value, value, len);
    sf->prereq = (uint8_t) set_field_prereq(oxm_field);
    return 0;
}

void
ft_set_field_apply(const struct ft_set_field *sf, struct ft_key *key,
                   struct ft_key *written)
{
    ft_key_word *k = ft_key_u64_rw(key);
    ft_key_word *w = written ? ft_key_u64_rw(written) : NULL;

    for (unsigned int i = 0; i < sf->n_words && i < FT_SET_FIELD_MAX_WORDS;
         i++) {
        unsigned int idx = sf->word[i];
        k[idx] = (k[idx] & ~sf->mask[i]) | (sf->bits[i] & sf->mask[i]);
        if (w) {
            w[idx] |= sf->mask[i];
        }
    }
}

/* ---- ft_actions_check ------------------------------------------------------ */

#define BAD_ACTION(CODE) FT_OFPERR(BAD_ACTION, FT_OFPBAC_##CODE)

static bool
known_action_type(uint16_t type)
{
    switch (type) {
    case FT_OFPAT_OUTPUT:
    case FT_OFPAT_COPY_TTL_OUT:
    case FT_OFPAT_COPY_TTL_IN:
    case FT_OFPAT_SET_MPLS_TTL:
    case FT_OFPAT_DEC_MPLS_TTL:
    case FT_OFPAT_PUSH_VLAN:
    case FT_OFPAT_POP_VLAN:
    case FT_OFPAT_PUSH_MPLS:
    case FT_OFPAT_POP_MPLS:
    case FT_OFPAT_SET_QUEUE:
    case FT_OFPAT_GROUP:
    case FT_OFPAT_SET_NW_TTL:
    case FT_OFPAT_DEC_NW_TTL:
    case FT_OFPAT_SET_FIELD:
    case FT_OFPAT_PUSH_PBB:
    case FT_OFPAT_POP_PBB:
        return true;
    }
    return false;
}

static bool
output_port_ok(uint32_t port, const struct ft_action_ctx *ctx)
{
    switch (port) {
    case FT_OFPP_IN_PORT:
    case FT_OFPP_NORMAL:
    case FT_OFPP_FLOOD:
    case FT_OFPP_ALL:
    case FT_OFPP_CONTROLLER:
    case FT_OFPP_LOCAL:
        return true;
    case FT_OFPP_TABLE:
        return ctx->packet_out;
    default:
        return port != 0 && port <= FT_OFPP_MAX && port <= ctx->max_port;
    }
}

/* Pass 1: what an action is wrong for by itself. '*seen_types' and
 * '*seen_fields' track an action set's one-per-type rule. */
static struct ft_ofperr
check_one(const struct ft_action *a, const struct ft_action_ctx *ctx,
          uint32_t *seen_types, uint64_t *seen_fields)
{
    if (!known_action_type(a->type)) {
        return BAD_ACTION(BAD_TYPE);
    }
    switch (a->type) {
    case FT_OFPAT_OUTPUT:
        if (!output_port_ok(a->output.port, ctx)) {
            return BAD_ACTION(BAD_OUT_PORT);
        }
        break;
    case FT_OFPAT_GROUP:
        if (!ctx->groups || a->group.group_id > FT_OFPG_MAX
            || !ft_group_lookup(ctx->groups, a->group.group_id)) {
            return BAD_ACTION(BAD_OUT_GROUP);
        }
        break;
    case FT_OFPAT_PUSH_VLAN:
        if (a->ethertype != ETH_TYPE_VLAN
            && a->ethertype != ETH_TYPE_VLAN_8021AD) {
            return BAD_ACTION(BAD_ARGUMENT);
        }
        break;
    case FT_OFPAT_PUSH_MPLS:
        if (a->ethertype != ETH_TYPE_MPLS
            && a->ethertype != ETH_TYPE_MPLS_MCAST) {
            return BAD_ACTION(BAD_ARGUMENT);
        }
        break;
    case FT_OFPAT_PUSH_PBB:
        if (a->ethertype != ETH_TYPE_PBB) {
            return BAD_ACTION(BAD_ARGUMENT);
        }
        break;
    case FT_OFPAT_SET_FIELD: {
        const struct ft_set_field *sf = &a->set_field;
        if (sf->oxm_field >= OXM_N_FIELDS
            || !fields[sf->oxm_field].settable) {
            return BAD_ACTION(BAD_SET_TYPE);
        }
        if (sf->len != fields[sf->oxm_field].len) {
            return BAD_ACTION(BAD_SET_LEN);
        }
        if (!sf->n_words || sf->n_words > FT_SET_FIELD_MAX_WORDS) {
            /* Not built by ft_set_field_init(): nothing to write. */
            return BAD_ACTION(BAD_SET_ARGUMENT);
        }
        for (unsigned int i = 0; i < sf->n_words; i++) {
            if (sf->word[i] >= FT_KEY_U64S) {
                return BAD_ACTION(BAD_SET_ARGUMENT);
            }
        }
        if (ctx->action_set) {
            uint64_t bit = UINT64_C(1) << sf->oxm_field;
            if (*seen_fields & bit) {
                return BAD_ACTION(UNSUPPORTED_ORDER);
            }
            *seen_fields |= bit;
        }
        return FT_OFPERR_OK;
    }
    default:
        break;
    }
    if (ctx->action_set) {
        uint32_t bit = UINT32_C(1) << a->type;
        if (*seen_types & bit) {
            return BAD_ACTION(UNSUPPORTED_ORDER);
        }
        *seen_types |= bit;
    }
    return FT_OFPERR_OK;
}

/* The class of an action in the action set's execution order (§5.10). */
static unsigned int
action_set_rank(uint16_t type)
{
    switch (type) {
    case FT_OFPAT_COPY_TTL_IN:  return 0;
    case FT_OFPAT_POP_VLAN:
    case FT_OFPAT_POP_MPLS:
    case FT_OFPAT_POP_PBB:      return 1;
    case FT_OFPAT_PUSH_MPLS:    return 2;
    case FT_OFPAT_PUSH_PBB:     return 3;
    case FT_OFPAT_PUSH_VLAN:    return 4;
    case FT_OFPAT_COPY_TTL_OUT: return 5;
    case FT_OFPAT_DEC_MPLS_TTL:
    case FT_OFPAT_DEC_NW_TTL:   return 6;
    case FT_OFPAT_SET_FIELD:
    case FT_OFPAT_SET_MPLS_TTL:
    case FT_OFPAT_SET_NW_TTL:   return 7;
    case FT_OFPAT_SET_QUEUE:    return 8;
    case FT_OFPAT_GROUP:        return 9;
    default:                    return 10;   /* OUTPUT */
    }
}
#define N_RANKS 11

static void
set_dl_type(struct ft_match *m, uint16_t type)
{
    m->key.dl_type = htons(type);
    m->mask.masks.dl_type = UINT16_MAX;
}

/* Pass 2: action 'a' on the packets of match 'm' (updated in place). */
static struct ft_ofperr
walk_one(const struct ft_action *a, struct ft_match *m)
{
    enum ft_prereq need = FT_PREREQ_NONE;

    switch (a->type) {
    case FT_OFPAT_POP_VLAN:
        need = FT_PREREQ_VLAN;
        break;
    case FT_OFPAT_SET_NW_TTL:
    case FT_OFPAT_DEC_NW_TTL:
        need = FT_PREREQ_IP_ANY;
        break;
    case FT_OFPAT_SET_MPLS_TTL:
    case FT_OFPAT_DEC_MPLS_TTL:
    case FT_OFPAT_POP_MPLS:
    case FT_OFPAT_COPY_TTL_OUT:
    case FT_OFPAT_COPY_TTL_IN:
        need = FT_PREREQ_MPLS;
        break;
    case FT_OFPAT_POP_PBB:
        need = FT_PREREQ_PBB;
        break;
    case FT_OFPAT_SET_FIELD:
        need = set_field_prereq(a->set_field.oxm_field);
        break;
    default:
        break;
    }
    if (!ft_prereq_guaranteed(need, m)) {
        return BAD_ACTION(MATCH_INCONSISTENT);
    }

    switch (a->type) {
    case FT_OFPAT_PUSH_VLAN:
        /* The new outer tag copies the old one's VID and PCP (§7.2.5);
         * the old tag becomes the second. */
        m->key.vlans[1] = m->key.vlans[0];
        m->mask.masks.vlans[1] = m->mask.masks.vlans[0];
        m->key.vlans[0].tpid = htons(a->ethertype);
        m->mask.masks.vlans[0].tpid = UINT16_MAX;
        m->key.vlans[0].tci |= htons(FT_VLAN_PRESENT);
        m->mask.masks.vlans[0].tci |= htons(FT_VLAN_PRESENT);
        break;
    case FT_OFPAT_POP_VLAN:
        m->key.vlans[0] = m->key.vlans[1];
        m->mask.masks.vlans[0] = m->mask.masks.vlans[1];
        memset(&m->key.vlans[1], 0, sizeof m->key.vlans[1]);
        memset(&m->mask.masks.vlans[1], 0, sizeof m->mask.masks.vlans[1]);
        break;
    case FT_OFPAT_PUSH_MPLS:
        /* MPLS goes after the VLAN tags, which stay. */
        set_dl_type(m, a->ethertype);
        break;
    case FT_OFPAT_POP_MPLS:
        set_dl_type(m, a->ethertype);
        break;
    case FT_OFPAT_PUSH_PBB:
        /* A new outer Ethernet header with an I-TAG and no VLAN tag; the
         * old tags are inside the encapsulated frame. */
        set_dl_type(m, ETH_TYPE_PBB);
        memset(m->key.vlans, 0, sizeof m->key.vlans);
        memset(m->mask.masks.vlans, 0, sizeof m->mask.masks.vlans);
        m->mask.masks.vlans[0].tci = htons(FT_VLAN_PRESENT);
        break;
    case FT_OFPAT_POP_PBB:
        /* The inner frame's ethertype and tags were never matched. */
        m->key.dl_type = 0;
        m->mask.masks.dl_type = 0;
        memset(m->key.vlans, 0, sizeof m->key.vlans);
        memset(m->mask.masks.vlans, 0, sizeof m->mask.masks.vlans);
        break;
    case FT_OFPAT_SET_FIELD: {
        struct ft_key written;
        memset(&written, 0, sizeof written);
        ft_set_field_apply(&a->set_field, &m->key, &written);
        ft_key_word *mw = ft_key_u64_rw(&m->mask.masks);
        const ft_key_word *ww = ft_key_u64(&written);
        for (size_t i = 0; i < FT_KEY_U64S; i++) {
            mw[i] |= ww[i];
        }
        break;
    }
    default:
        break;
    }
    return FT_OFPERR_OK;
}

struct ft_ofperr
ft_actions_check(const struct ft_action_list *list,
                 const struct ft_action_ctx *ctx)
{
    uint32_t seen_types = 0;
    uint64_t seen_fields = 0;
    struct ft_ofperr err;

    if (list->n > FT_MAX_ACTIONS) {
        return BAD_ACTION(TOO_MANY);
    }
    if (list->n && !list->acts) {
        return BAD_ACTION(BAD_TYPE);
    }
    for (uint32_t i = 0; i < list->n; i++) {
        err = check_one(&list->acts[i], ctx, &seen_types, &seen_fields);
        if (!ft_ofperr_is_ok(err)) {
            return err;
        }
    }
    if (!ctx->match) {
        return FT_OFPERR_OK;
    }

    struct ft_match m = *ctx->match;
    unsigned int n_ranks = ctx->action_set ? N_RANKS : 1;
    for (unsigned int r = 0; r < n_ranks; r++) {
        for (uint32_t i = 0; i < list->n; i++) {
            const struct ft_action *a = &list->acts[i];
            if (ctx->action_set && action_set_rank(a->type) != r) {
                continue;
            }
            err = walk_one(a, &m);
            if (!ft_ofperr_is_ok(err)) {
                return err;
            }
        }
    }
    return FT_OFPERR_OK;
}

/* ---- list helpers -------------------------------------------------------- */

int
ft_action_list_clone(const struct ft_action_list *src,
                     struct ft_action_list *dst)
{
    dst->acts = NULL;
    dst->n = 0;
    if (!src->n) {
        return 0;
    }
    dst->acts = malloc(src->n * sizeof *dst->acts);
    if (!dst->acts) {
        return -ENOMEM;
    }
    memcpy(dst->acts, src->acts, src->n * sizeof *dst->acts);
    dst->n = src->n;
    return 0;
}

/* Field by field: the union's unused bytes carry no meaning, and a GROUP
 * action's pointer is a resolution of its id, not part of its value. */
static bool
action_equal(const struct ft_action *a, const struct ft_action *b)
{
    if (a->type != b->type) {
        return false;
    }
    switch (a->type) {
    case FT_OFPAT_OUTPUT:
        return a->output.port == b->output.port
               && (a->output.port != FT_OFPP_CONTROLLER
                   || a->output.max_len == b->output.max_len);
    case FT_OFPAT_GROUP:
        return a->group.group_id == b->group.group_id;
    case FT_OFPAT_SET_QUEUE:
        return a->queue_id == b->queue_id;
    case FT_OFPAT_SET_MPLS_TTL:
    case FT_OFPAT_SET_NW_TTL:
        return a->ttl == b->ttl;
    case FT_OFPAT_PUSH_VLAN:
    case FT_OFPAT_PUSH_MPLS:
    case FT_OFPAT_PUSH_PBB:
    case FT_OFPAT_POP_MPLS:
        return a->ethertype == b->ethertype;
    case FT_OFPAT_SET_FIELD:
        return a->set_field.oxm_field == b->set_field.oxm_field
               && a->set_field.len == b->set_field.len
               && a->set_field.len <= FT_SET_FIELD_MAX_LEN
               && !memcmp(a->set_field.value, b->set_field.value,
                          a->set_field.len);
    default:
        return true;
    }
}

bool
ft_action_list_equal(const struct ft_action_list *a,
                     const struct ft_action_list *b)
{
    if (a->n != b->n) {
        return false;
    }
    for (uint32_t i = 0; i < a->n; i++) {
        if (!action_equal(&a->acts[i], &b->acts[i])) {
            return false;
        }
    }
    return true;
}

bool
ft_action_list_has_output(const struct ft_action_list *list, uint32_t port)
{
    if (port == FT_OFPP_ANY) {
        return true;
    }
    for (uint32_t i = 0; i < list->n; i++) {
        if (list->acts[i].type == FT_OFPAT_OUTPUT
            && list->acts[i].output.port == port) {
            return true;
        }
    }
    return false;
}

bool
ft_action_list_has_group(const struct ft_action_list *list,
                         uint32_t group_id)
{
    if (group_id == FT_OFPG_ANY) {
        return true;
    }
    for (uint32_t i = 0; i < list->n; i++) {
        if (list->acts[i].type == FT_OFPAT_GROUP
            && list->acts[i].group.group_id == group_id) {
            return true;
        }
    }
    return false;
}

/* ---- formatting ------------------------------------------------------------ */

/* snprintf into a buffer that may run out: 'len' counts what was needed. */
struct fmt_buf {
    char *buf;
    size_t size;
    size_t len;
};

static void PRINTF_FORMAT(2, 3)
fmt_put(struct fmt_buf *f, const char *fmt, ...)
{
    va_list ap;
    size_t room = f->len < f->size ? f->size - f->len : 0;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(room ? f->buf + f->len : NULL, room, fmt, ap);
    va_end(ap);
    if (n > 0) {
        f->len += (size_t) n;
    }
}

static uint64_t
wire_to_uint(const uint8_t *p, unsigned int len)
{
    uint64_t v = 0;
    for (unsigned int i = 0; i < len; i++) {
        v = v << 8 | p[i];
    }
    return v;
}

static void
format_field_value(struct fmt_buf *f, const struct ft_set_field *sf)
{
    const uint8_t *v = sf->value;
    enum field_fmt fmt = sf->oxm_field < OXM_N_FIELDS
                         ? fields[sf->oxm_field].fmt : FMT_HEX;
    unsigned int len = MIN(sf->len, FT_SET_FIELD_MAX_LEN);
    char ip6[INET6_ADDRSTRLEN];

    if ((fmt == FMT_MAC && len != 6) || (fmt == FMT_IPV4 && len != 4)
        || (fmt == FMT_IPV6 && len != 16)) {
        fmt = FMT_HEX;
    }
    switch (fmt) {
    case FMT_MAC:
        fmt_put(f, "%02x:%02x:%02x:%02x:%02x:%02x",
                v[0], v[1], v[2], v[3], v[4], v[5]);
        break;
    case FMT_IPV4:
        fmt_put(f, "%u.%u.%u.%u", v[0], v[1], v[2], v[3]);
        break;
    case FMT_IPV6:
        fmt_put(f, "%s", inet_ntop(AF_INET6, v, ip6, sizeof ip6)
                         ? ip6 : "?");
        break;
    case FMT_DEC:
        fmt_put(f, "%" PRIu64, wire_to_uint(v, MIN(len, 8u)));
        break;
    default:
        fmt_put(f, "0x%" PRIx64, wire_to_uint(v, MIN(len, 8u)));
        break;
    }
}

static void
format_port(struct fmt_buf *f, uint32_t port, uint16_t max_len)
{
    switch (port) {
    case FT_OFPP_IN_PORT:    fmt_put(f, "IN_PORT"); break;
    case FT_OFPP_TABLE:      fmt_put(f, "TABLE"); break;
    case FT_OFPP_NORMAL:     fmt_put(f, "NORMAL"); break;
    case FT_OFPP_FLOOD:      fmt_put(f, "FLOOD"); break;
    case FT_OFPP_ALL:        fmt_put(f, "ALL"); break;
    case FT_OFPP_CONTROLLER: fmt_put(f, "CONTROLLER:%u", max_len); break;
    case FT_OFPP_LOCAL:      fmt_put(f, "LOCAL"); break;
    case FT_OFPP_ANY:        fmt_put(f, "ANY"); break;
    default:                 fmt_put(f, "output:%" PRIu32, port); break;
    }
}

static void
format_action(struct fmt_buf *f, const struct ft_action *a)
{
    switch (a->type) {
    case FT_OFPAT_OUTPUT:
        format_port(f, a->output.port, a->output.max_len);
        break;
    case FT_OFPAT_COPY_TTL_OUT:
        fmt_put(f, "copy_ttl_out");
        break;
    case FT_OFPAT_COPY_TTL_IN:
        fmt_put(f, "copy_ttl_in");
        break;
    case FT_OFPAT_SET_MPLS_TTL:
        fmt_put(f, "set_mpls_ttl:%u", a->ttl);
        break;
    case FT_OFPAT_DEC_MPLS_TTL:
        fmt_put(f, "dec_mpls_ttl");
        break;
    case FT_OFPAT_PUSH_VLAN:
        fmt_put(f, "push_vlan:0x%04x", a->ethertype);
        break;
    case FT_OFPAT_POP_VLAN:
        fmt_put(f, "pop_vlan");
        break;
    case FT_OFPAT_PUSH_MPLS:
        fmt_put(f, "push_mpls:0x%04x", a->ethertype);
        break;
    case FT_OFPAT_POP_MPLS:
        fmt_put(f, "pop_mpls:0x%04x", a->ethertype);
        break;
    case FT_OFPAT_SET_QUEUE:
        fmt_put(f, "set_queue:%" PRIu32, a->queue_id);
        break;
    case FT_OFPAT_GROUP:
        fmt_put(f, "group:%" PRIu32, a->group.group_id);
        break;
    case FT_OFPAT_SET_NW_TTL:
        fmt_put(f, "set_nw_ttl:%u", a->ttl);
        break;
    case FT_OFPAT_DEC_NW_TTL:
        fmt_put(f, "dec_ttl");
        break;
    case FT_OFPAT_SET_FIELD:
        fmt_put(f, "set_field:");
        format_field_value(f, &a->set_field);
        if (a->set_field.oxm_field < OXM_N_FIELDS) {
            fmt_put(f, "->%s", fields[a->set_field.oxm_field].name);
        } else {
            fmt_put(f, "->field%u", a->set_field.oxm_field);
        }
        break;
    case FT_OFPAT_PUSH_PBB:
        fmt_put(f, "push_pbb:0x%04x", a->ethertype);
        break;
    case FT_OFPAT_POP_PBB:
        fmt_put(f, "pop_pbb");
        break;
    default:
        fmt_put(f, "unknown_action:%u", a->type);
        break;
    }
}

int
ft_action_list_format(const struct ft_action_list *list, char *buf,
                      size_t size)
{
    struct fmt_buf f = { .buf = buf, .size = size, .len = 0 };

    if (size) {
        buf[0] = '\0';
    }
    if (!list->n) {
        fmt_put(&f, "drop");
    }
    for (uint32_t i = 0; i < list->n; i++) {
        if (i) {
            fmt_put(&f, ",");
        }
        format_action(&f, &list->acts[i]);
    }
    return (int) MIN(f.len, (size_t) INT32_MAX);
}
