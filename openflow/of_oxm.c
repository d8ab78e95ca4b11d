/*
 * of_oxm.c — OXM: the 40 OpenFlow 1.3 basic match fields, the match
 * structure (ofp_match) and the SET_FIELD action argument.
 *
 * One descriptor per field (oxm_fields[] below) says everything the codec
 * needs: wire length, maskable, settable, prerequisites, and where its bits
 * live in struct ft_key. Integer fields map to a key member (host or
 * network order) with a shift and a bit width, which covers the packed
 * ones: VLAN_VID/PCP inside vlans[0].tci, DSCP/ECN inside nw_tos, MPLS
 * label/TC/BOS inside mpls_lse[0]. Address fields are byte copies.
 * Matches, SET_FIELD, of_match_from_ft() and the prerequisite check are all
 * loops over this table; nothing here switches on a field id except the
 * one quirk the key conventions impose (ARP_OP mirrored into nw_proto).
 *
 * Pure; any thread.
 */
#include <stdio.h>

#include "openflow/of_private.h"

enum oxm_map {
    MAP_INT,            /* integer in a key member, shifted and masked */
    MAP_BYTES,          /* byte string copied to a key member */
};

enum oxm_fmt { FMT_INT, FMT_MAC, FMT_IPV4, FMT_IPV6 };

/* "Field 'field' must be present with value & mask == value"; mask 0 means
 * mere presence (IN_PHY_PORT needs IN_PORT). */
struct oxm_cond {
    uint8_t field;
    uint16_t value;
    uint16_t mask;
};

struct oxm_desc {
    const char *name;
    uint8_t len;                /* wire value length */
    uint8_t bits;               /* MAP_INT: value width */
    bool maskable;
    bool settable;              /* allowed in SET_FIELD */
    uint8_t map;                /* enum oxm_map */
    uint8_t fmt;                /* enum oxm_fmt, for JSON */
    uint16_t key_off;           /* member offset in struct ft_key */
    uint8_t key_size;           /* MAP_INT: member size in bytes */
    bool key_host;              /* MAP_INT: member is host order */
    uint8_t shift;              /* MAP_INT: field's position in the member */
    uint8_t n_pre;              /* prerequisites: any one satisfies */
    struct oxm_cond pre[2];
    struct oxm_cond also;       /* and this one too, when 'also.mask' */
};

#define KOFF(m) offsetof(struct ft_key, m)
#define KSZ(m) sizeof(((struct ft_key *) 0)->m)

#define INT_FIELD(NAME, LEN, BITS, MASKABLE, SETTABLE, MEMBER, HOST, SHIFT, FMT) \
    .name = NAME, .len = LEN, .bits = BITS, .maskable = MASKABLE,               \
    .settable = SETTABLE, .map = MAP_INT, .fmt = FMT, .key_off = KOFF(MEMBER),  \
    .key_size = KSZ(MEMBER), .key_host = HOST, .shift = SHIFT
#define BYTES_FIELD(NAME, LEN, MASKABLE, MEMBER, FMT)                            \
    .name = NAME, .len = LEN, .bits = LEN * 8, .maskable = MASKABLE,           \
    .settable = true, .map = MAP_BYTES, .fmt = FMT, .key_off = KOFF(MEMBER)

#define PRE1(F, V, M) .n_pre = 1, .pre = { { F, V, M } }
#define PRE2(F, V1, V2, M) .n_pre = 2, .pre = { { F, V1, M }, { F, V2, M } }
#define ETH(T) PRE1(OFPXMT_OFB_ETH_TYPE, T, 0xffff)
#define IP_ANY PRE2(OFPXMT_OFB_ETH_TYPE, 0x0800, 0x86dd, 0xffff)
#define PROTO(P) PRE1(OFPXMT_OFB_IP_PROTO, P, 0xff)
/* ICMP types only exist on their own IP version, whatever IP_PROTO says. */
#define ICMP(P, T) PROTO(P), .also = { OFPXMT_OFB_ETH_TYPE, T, 0xffff }

static const struct oxm_desc oxm_fields[OF_OXM_N_FIELDS] = {
    [OFPXMT_OFB_IN_PORT] = { INT_FIELD("in_port", 4, 32, false, false, in_port, true, 0, FMT_INT) },
    [OFPXMT_OFB_IN_PHY_PORT] = { INT_FIELD("in_phy_port", 4, 32, false, false, in_phy_port, true, 0, FMT_INT),
                                 PRE1(OFPXMT_OFB_IN_PORT, 0, 0) },
    [OFPXMT_OFB_METADATA] = { INT_FIELD("metadata", 8, 64, true, false, metadata, true, 0, FMT_INT) },
    [OFPXMT_OFB_ETH_DST] = { BYTES_FIELD("eth_dst", 6, true, dl_dst, FMT_MAC) },
    [OFPXMT_OFB_ETH_SRC] = { BYTES_FIELD("eth_src", 6, true, dl_src, FMT_MAC) },
    [OFPXMT_OFB_ETH_TYPE] = { INT_FIELD("eth_type", 2, 16, false, true, dl_type, false, 0, FMT_INT) },
    [OFPXMT_OFB_VLAN_VID] = { INT_FIELD("vlan_vid", 2, 13, true, true, vlans[0].tci, false, 0, FMT_INT) },
    [OFPXMT_OFB_VLAN_PCP] = { INT_FIELD("vlan_pcp", 1, 3, false, true, vlans[0].tci, false, 13, FMT_INT),
                              PRE1(OFPXMT_OFB_VLAN_VID, OFPVID_PRESENT, OFPVID_PRESENT) },
    [OFPXMT_OFB_IP_DSCP] = { INT_FIELD("ip_dscp", 1, 6, false, true, nw_tos, false, 2, FMT_INT), IP_ANY },
    [OFPXMT_OFB_IP_ECN] = { INT_FIELD("ip_ecn", 1, 2, false, true, nw_tos, false, 0, FMT_INT), IP_ANY },
    [OFPXMT_OFB_IP_PROTO] = { INT_FIELD("ip_proto", 1, 8, false, true, nw_proto, false, 0, FMT_INT), IP_ANY },
    [OFPXMT_OFB_IPV4_SRC] = { INT_FIELD("ipv4_src", 4, 32, true, true, nw_src, false, 0, FMT_IPV4), ETH(0x0800) },
    [OFPXMT_OFB_IPV4_DST] = { INT_FIELD("ipv4_dst", 4, 32, true, true, nw_dst, false, 0, FMT_IPV4), ETH(0x0800) },
    [OFPXMT_OFB_TCP_SRC] = { INT_FIELD("tcp_src", 2, 16, false, true, tp_src, false, 0, FMT_INT), PROTO(6) },
    [OFPXMT_OFB_TCP_DST] = { INT_FIELD("tcp_dst", 2, 16, false, true, tp_dst, false, 0, FMT_INT), PROTO(6) },
    [OFPXMT_OFB_UDP_SRC] = { INT_FIELD("udp_src", 2, 16, false, true, tp_src, false, 0, FMT_INT), PROTO(17) },
    [OFPXMT_OFB_UDP_DST] = { INT_FIELD("udp_dst", 2, 16, false, true, tp_dst, false, 0, FMT_INT), PROTO(17) },
    [OFPXMT_OFB_SCTP_SRC] = { INT_FIELD("sctp_src", 2, 16, false, true, tp_src, false, 0, FMT_INT), PROTO(132) },
    [OFPXMT_OFB_SCTP_DST] = { INT_FIELD("sctp_dst", 2, 16, false, true, tp_dst, false, 0, FMT_INT), PROTO(132) },
    [OFPXMT_OFB_ICMPV4_TYPE] = { INT_FIELD("icmpv4_type", 1, 8, false, true, tp_src, false, 0, FMT_INT), ICMP(1, 0x0800) },
    [OFPXMT_OFB_ICMPV4_CODE] = { INT_FIELD("icmpv4_code", 1, 8, false, true, tp_dst, false, 0, FMT_INT), ICMP(1, 0x0800) },
    [OFPXMT_OFB_ARP_OP] = { INT_FIELD("arp_op", 2, 16, false, true, arp_op, false, 0, FMT_INT), ETH(0x0806) },
    [OFPXMT_OFB_ARP_SPA] = { INT_FIELD("arp_spa", 4, 32, true, true, nw_src, false, 0, FMT_IPV4), ETH(0x0806) },
    [OFPXMT_OFB_ARP_TPA] = { INT_FIELD("arp_tpa", 4, 32, true, true, nw_dst, false, 0, FMT_IPV4), ETH(0x0806) },
    [OFPXMT_OFB_ARP_SHA] = { BYTES_FIELD("arp_sha", 6, true, arp_sha, FMT_MAC), ETH(0x0806) },
    [OFPXMT_OFB_ARP_THA] = { BYTES_FIELD("arp_tha", 6, true, arp_tha, FMT_MAC), ETH(0x0806) },
    [OFPXMT_OFB_IPV6_SRC] = { BYTES_FIELD("ipv6_src", 16, true, ipv6_src, FMT_IPV6), ETH(0x86dd) },
    [OFPXMT_OFB_IPV6_DST] = { BYTES_FIELD("ipv6_dst", 16, true, ipv6_dst, FMT_IPV6), ETH(0x86dd) },
    [OFPXMT_OFB_IPV6_FLABEL] = { INT_FIELD("ipv6_flabel", 4, 20, true, true, ipv6_label, false, 0, FMT_INT), ETH(0x86dd) },
    [OFPXMT_OFB_ICMPV6_TYPE] = { INT_FIELD("icmpv6_type", 1, 8, false, true, tp_src, false, 0, FMT_INT), ICMP(58, 0x86dd) },
    [OFPXMT_OFB_ICMPV6_CODE] = { INT_FIELD("icmpv6_code", 1, 8, false, true, tp_dst, false, 0, FMT_INT), ICMP(58, 0x86dd) },
    [OFPXMT_OFB_IPV6_ND_TARGET] = { BYTES_FIELD("ipv6_nd_target", 16, false, nd_target, FMT_IPV6),
                                    PRE2(OFPXMT_OFB_ICMPV6_TYPE, 135, 136, 0xff) },
    [OFPXMT_OFB_IPV6_ND_SLL] = { BYTES_FIELD("ipv6_nd_sll", 6, false, arp_sha, FMT_MAC),
                                 PRE1(OFPXMT_OFB_ICMPV6_TYPE, 135, 0xff) },
    [OFPXMT_OFB_IPV6_ND_TLL] = { BYTES_FIELD("ipv6_nd_tll", 6, false, arp_tha, FMT_MAC),
                                 PRE1(OFPXMT_OFB_ICMPV6_TYPE, 136, 0xff) },
    [OFPXMT_OFB_MPLS_LABEL] = { INT_FIELD("mpls_label", 4, 20, false, true, mpls_lse[0], false, 12, FMT_INT),
                                PRE2(OFPXMT_OFB_ETH_TYPE, 0x8847, 0x8848, 0xffff) },
    [OFPXMT_OFB_MPLS_TC] = { INT_FIELD("mpls_tc", 1, 3, false, true, mpls_lse[0], false, 9, FMT_INT),
                             PRE2(OFPXMT_OFB_ETH_TYPE, 0x8847, 0x8848, 0xffff) },
    [OFPXMT_OFB_MPLS_BOS] = { INT_FIELD("mpls_bos", 1, 1, false, true, mpls_lse[0], false, 8, FMT_INT),
                              PRE2(OFPXMT_OFB_ETH_TYPE, 0x8847, 0x8848, 0xffff) },
    [OFPXMT_OFB_PBB_ISID] = { INT_FIELD("pbb_isid", 3, 24, true, true, pbb_isid, false, 0, FMT_INT), ETH(0x88e7) },
    [OFPXMT_OFB_TUNNEL_ID] = { INT_FIELD("tunnel_id", 8, 64, true, true, tunnel.tun_id, true, 0, FMT_INT) },
    [OFPXMT_OFB_IPV6_EXTHDR] = { INT_FIELD("ipv6_exthdr", 2, 9, true, false, ipv6_exthdr, true, 0, FMT_INT),
                                 ETH(0x86dd) },
};

static const struct oxm_desc *
oxm_desc(unsigned int field)
{
    return field < OF_OXM_N_FIELDS ? &oxm_fields[field] : NULL;
}

const char *
of_oxm_field_name(uint8_t field)
{
    const struct oxm_desc *d = oxm_desc(field);
    return d ? d->name : NULL;
}

int
of_oxm_field_by_name(const char *name)
{
    for (unsigned int i = 0; i < OF_OXM_N_FIELDS; i++) {
        if (!strcmp(oxm_fields[i].name, name)) {
            return (int) i;
        }
    }
    return -1;
}

unsigned int
of_oxm_field_len(uint8_t field)
{
    const struct oxm_desc *d = oxm_desc(field);
    return d ? d->len : 0;
}

bool
of_oxm_field_maskable(uint8_t field)
{
    const struct oxm_desc *d = oxm_desc(field);
    return d && d->maskable;
}

bool
of_oxm_field_settable(uint8_t field)
{
    const struct oxm_desc *d = oxm_desc(field);
    return d && d->settable;
}

/* ---- key access, driven by the descriptor ---- */

uint64_t
of_wire_to_uint(const uint8_t *p, unsigned int len)
{
    uint64_t v = 0;
    for (unsigned int i = 0; i < len; i++) {
        v = v << 8 | p[i];
    }
    return v;
}

void
of_uint_to_wire(uint64_t v, uint8_t *p, unsigned int len)
{
    for (unsigned int i = len; i-- > 0; v >>= 8) {
        p[i] = (uint8_t) v;
    }
}

static uint64_t
width_mask(unsigned int bits)
{
    return bits >= 64 ? UINT64_MAX : ((uint64_t) 1 << bits) - 1;
}

/* Reads the key member holding 'd' as a host integer. */
static uint64_t
member_read(const struct oxm_desc *d, const struct ft_key *key)
{
    const uint8_t *p = (const uint8_t *) key + d->key_off;
    if (d->key_host) {
        switch (d->key_size) {
        case 2: { uint16_t v; memcpy(&v, p, 2); return v; }
        case 4: { uint32_t v; memcpy(&v, p, 4); return v; }
        default: { uint64_t v; memcpy(&v, p, 8); return v; }
        }
    }
    return of_wire_to_uint(p, d->key_size);
}

static void
member_write(const struct oxm_desc *d, struct ft_key *key, uint64_t v)
{
    uint8_t *p = (uint8_t *) key + d->key_off;
    if (d->key_host) {
        switch (d->key_size) {
        case 2: { uint16_t x = (uint16_t) v; memcpy(p, &x, 2); break; }
        case 4: { uint32_t x = (uint32_t) v; memcpy(p, &x, 4); break; }
        default: memcpy(p, &v, 8); break;
        }
    } else {
        of_uint_to_wire(v, p, d->key_size);
    }
}

/* Extracts field 'd' from 'key' into its wire form. */
static void
field_get(const struct oxm_desc *d, const struct ft_key *key, uint8_t *wire)
{
    if (d->map == MAP_BYTES) {
        memcpy(wire, (const uint8_t *) key + d->key_off, d->len);
    } else {
        uint64_t v = member_read(d, key) >> d->shift & width_mask(d->bits);
        of_uint_to_wire(v, wire, d->len);
    }
}

/* Stores the wire value 'wire' of field 'd' into 'key', keeping other bits. */
static void
field_set(const struct oxm_desc *d, struct ft_key *key, const uint8_t *wire)
{
    if (d->map == MAP_BYTES) {
        memcpy((uint8_t *) key + d->key_off, wire, d->len);
        return;
    }
    uint64_t fmask = width_mask(d->bits) << d->shift;
    uint64_t v = member_read(d, key) & ~fmask;
    v |= (of_wire_to_uint(wire, d->len) << d->shift) & fmask;
    member_write(d, key, v);
    if (d == &oxm_fields[OFPXMT_OFB_ARP_OP]) {
        /* Key convention: nw_proto carries the opcode's low byte too. */
        key->nw_proto = wire[1];
    }
}

/* Does the wire value fit the field's width? */
static bool
value_fits(const struct oxm_desc *d, const uint8_t *wire)
{
    return d->map == MAP_BYTES || d->len * 8 == d->bits
           || !(of_wire_to_uint(wire, d->len) & ~width_mask(d->bits));
}

/* ---- match building and checking ---- */

static bool
match_has(const struct of_match *match, uint8_t field)
{
    for (unsigned int i = 0; i < match->n_fields; i++) {
        if (match->fields[i].field == field) {
            return true;
        }
    }
    return false;
}

int
of_match_add(struct of_match *match, uint8_t field, const void *value,
             const void *mask, struct of_err *err)
{
    const struct oxm_desc *d = oxm_desc(field);
    const uint8_t *v = value, *m = mask;

    if (!d) {
        of_fail(err, OFPET_BAD_MATCH, OFPBMC_BAD_FIELD);
        return -EINVAL;
    }
    if (m && !d->maskable) {
        of_fail(err, OFPET_BAD_MATCH, OFPBMC_BAD_MASK);
        return -EINVAL;
    }
    if (match_has(match, field)) {
        of_fail(err, OFPET_BAD_MATCH, OFPBMC_DUP_FIELD);
        return -EINVAL;
    }
    if (!value_fits(d, v)) {
        of_fail(err, OFPET_BAD_MATCH, OFPBMC_BAD_VALUE);
        return -EINVAL;
    }
    uint8_t full[OF_OXM_MAX_VALUE_LEN];
    if (m) {
        if (!value_fits(d, m)) {
            of_fail(err, OFPET_BAD_MATCH, OFPBMC_BAD_MASK);
            return -EINVAL;
        }
        /* A value bit outside its mask can never match: the spec's
         * OFPBMC_BAD_WILDCARDS, and rejecting it keeps key pre-masked. */
        for (unsigned int i = 0; i < d->len; i++) {
            if (v[i] & ~m[i]) {
                of_fail(err, OFPET_BAD_MATCH, OFPBMC_BAD_WILDCARDS);
                return -EINVAL;
            }
        }
    } else {
        if (d->map == MAP_BYTES) {
            memset(full, 0xff, d->len);
        } else {
            of_uint_to_wire(width_mask(d->bits), full, d->len);
        }
        m = full;
    }
    field_set(d, &match->ft.key, v);
    field_set(d, &match->ft.mask.masks, m);
    match->fields[match->n_fields].field = field;
    match->fields[match->n_fields].has_mask = mask != NULL;
    match->n_fields++;
    return 0;
}

bool
of_match_get(const struct of_match *match, uint8_t field,
             uint8_t value[OF_OXM_MAX_VALUE_LEN],
             uint8_t mask[OF_OXM_MAX_VALUE_LEN], bool *has_mask)
{
    const struct oxm_desc *d = oxm_desc(field);
    if (!d) {
        return false;
    }
    for (unsigned int i = 0; i < match->n_fields; i++) {
        if (match->fields[i].field == field) {
            field_get(d, &match->ft.key, value);
            field_get(d, &match->ft.mask.masks, mask);
            *has_mask = match->fields[i].has_mask;
            return true;
        }
    }
    return false;
}

static bool
cond_holds(const struct of_match *match, const struct oxm_cond *c)
{
    if (!match_has(match, c->field)) {
        return false;
    }
    if (!c->mask) {
        return true;
    }
    const struct oxm_desc *d = &oxm_fields[c->field];
    uint8_t vw[8], mw[8];
    field_get(d, &match->ft.key, vw);
    field_get(d, &match->ft.mask.masks, mw);
    uint64_t v = of_wire_to_uint(vw, d->len), m = of_wire_to_uint(mw, d->len);
    return (m & c->mask) == c->mask && (v & c->mask) == c->value;
}

static bool
prereqs_hold(const struct of_match *match, const struct oxm_desc *d)
{
    if (d->also.mask && !cond_holds(match, &d->also)) {
        return false;
    }
    if (!d->n_pre) {
        return true;
    }
    for (unsigned int i = 0; i < d->n_pre; i++) {
        if (cond_holds(match, &d->pre[i])) {
            return true;
        }
    }
    return false;
}

int
of_match_check_prereqs(const struct of_match *match, struct of_err *err)
{
    /* Each field checks only its direct prerequisite: that field is
     * itself in the match and checked in turn, which makes it transitive. */
    for (unsigned int i = 0; i < match->n_fields; i++) {
        if (!prereqs_hold(match, &oxm_fields[match->fields[i].field])) {
            of_fail(err, OFPET_BAD_MATCH, OFPBMC_BAD_PREREQ);
            return -EINVAL;
        }
    }
    return 0;
}

void
of_match_from_ft(struct of_match *match, const struct ft_match *ft)
{
    memset(match, 0, sizeof *match);
    /* Prerequisites always have lower ids than their dependents, so one
     * pass in id order sees a field's prerequisites before the field. */
    for (unsigned int f = 0; f < OF_OXM_N_FIELDS; f++) {
        const struct oxm_desc *d = &oxm_fields[f];
        uint8_t v[OF_OXM_MAX_VALUE_LEN], m[OF_OXM_MAX_VALUE_LEN];
        uint8_t full[OF_OXM_MAX_VALUE_LEN];
        field_get(d, &ft->mask.masks, m);
        field_get(d, &ft->key, v);
        if (d->map == MAP_BYTES) {
            memset(full, 0xff, d->len);
        } else {
            of_uint_to_wire(width_mask(d->bits), full, d->len);
        }
        bool any = false;
        for (unsigned int i = 0; i < d->len; i++) {
            any |= m[i] != 0;
            v[i] &= m[i];
        }
        bool exact = !memcmp(m, full, d->len);
        if (!any || (!exact && !d->maskable) || !prereqs_hold(match, d)) {
            continue;
        }
        of_match_add(match, (uint8_t) f, v, exact ? NULL : m, NULL);
    }
}

/* ---- wire codec ---- */

int
of_match_decode(struct of_dec *dec, const uint8_t *buf, size_t len,
                struct of_match *match, size_t *consumed)
{
    memset(match, 0, sizeof *match);
    if (len < 4) {
        return of_fail(dec->err, dec->err_len.type, dec->err_len.code);
    }
    uint16_t type = of_get16(buf);
    uint16_t mlen = of_get16(buf + 2);
    if (type != OFPMT_OXM) {
        return of_fail(dec->err, OFPET_BAD_MATCH, OFPBMC_BAD_TYPE);
    }
    size_t padded = ((size_t) mlen + 7) & ~(size_t) 7;
    if (mlen < 4 || padded > len) {
        return of_fail(dec->err, OFPET_BAD_MATCH, OFPBMC_BAD_LEN);
    }
    for (size_t pos = 4; pos < mlen;) {
        if (mlen - pos < 4) {
            return of_fail(dec->err, OFPET_BAD_MATCH, OFPBMC_BAD_LEN);
        }
        const uint8_t *h = buf + pos;
        uint16_t oxm_class = of_get16(h);
        uint8_t field = h[2] >> 1;
        bool hm = h[2] & 1;
        uint8_t olen = h[3];
        if (oxm_class != OFPXMC_OPENFLOW_BASIC || field >= OF_OXM_N_FIELDS) {
            return of_fail(dec->err, OFPET_BAD_MATCH, OFPBMC_BAD_FIELD);
        }
        const struct oxm_desc *d = &oxm_fields[field];
        if ((size_t) olen > mlen - pos - 4) {
            return of_fail(dec->err, OFPET_BAD_MATCH, OFPBMC_BAD_LEN);
        }
        if (hm && !d->maskable) {
            return of_fail(dec->err, OFPET_BAD_MATCH, OFPBMC_BAD_MASK);
        }
        if (olen != d->len * (hm ? 2 : 1)) {
            return of_fail(dec->err, OFPET_BAD_MATCH, OFPBMC_BAD_LEN);
        }
        if (of_match_add(match, field, h + 4, hm ? h + 4 + d->len : NULL,
                         dec->err)) {
            return -EBADMSG;
        }
        pos += 4 + olen;
    }
    if (of_match_check_prereqs(match, dec->err)) {
        return -EBADMSG;
    }
    *consumed = padded;
    return 0;
}

int
of_match_encode(const struct of_match *match, struct of_buf *out)
{
    size_t start = out->len;
    uint8_t tlv[4 + 2 * OF_OXM_MAX_VALUE_LEN];
    int error = of_buf_put_zeros(out, 4);

    if (match->n_fields > OF_OXM_N_FIELDS) {
        return -EINVAL;
    }
    for (unsigned int i = 0; i < match->n_fields && !error; i++) {
        const struct of_oxm_ref *ref = &match->fields[i];
        const struct oxm_desc *d = oxm_desc(ref->field);
        if (!d || (ref->has_mask && !d->maskable)) {
            error = -EINVAL;
            break;
        }
        of_put16(tlv, OFPXMC_OPENFLOW_BASIC);
        tlv[2] = (uint8_t) (ref->field << 1 | (ref->has_mask ? 1 : 0));
        tlv[3] = (uint8_t) (d->len * (ref->has_mask ? 2 : 1));
        field_get(d, &match->ft.key, tlv + 4);
        if (ref->has_mask) {
            field_get(d, &match->ft.mask.masks, tlv + 4 + d->len);
        }
        error = of_buf_put(out, tlv, 4u + tlv[3]);
    }
    if (!error) {
        size_t mlen = out->len - start;
        of_put16(out->data + start, OFPMT_OXM);
        of_put16(out->data + start + 2, (uint16_t) mlen);
        error = of_buf_put_zeros(out, ((mlen + 7) & ~(size_t) 7) - mlen);
    }
    if (error) {
        out->len = start;
    }
    return error;
}

bool
of_match_equal(const struct of_match *a, const struct of_match *b)
{
    return a->n_fields == b->n_fields
           && !memcmp(a->fields, b->fields, a->n_fields * sizeof a->fields[0])
           && !memcmp(&a->ft, &b->ft, sizeof a->ft);
}

static void
fmt_value(struct of_fmt *f, const struct oxm_desc *d, const uint8_t *w)
{
    switch (d->fmt) {
    case FMT_MAC:
        of_fmt_printf(f, "\"%02x:%02x:%02x:%02x:%02x:%02x\"",
                      w[0], w[1], w[2], w[3], w[4], w[5]);
        break;
    case FMT_IPV4:
        of_fmt_printf(f, "\"%u.%u.%u.%u\"", w[0], w[1], w[2], w[3]);
        break;
    case FMT_IPV6:
        of_fmt_printf(f, "\"");
        for (int i = 0; i < 16; i += 2) {
            of_fmt_printf(f, "%s%02x%02x", i ? ":" : "", w[i], w[i + 1]);
        }
        of_fmt_printf(f, "\"");
        break;
    default:
        of_fmt_printf(f, "%llu",
                      (unsigned long long) of_wire_to_uint(w, d->len));
        break;
    }
}

void
of_match_format(struct of_fmt *f, const struct of_match *match)
{
    of_fmt_printf(f, "[");
    for (unsigned int i = 0; i < match->n_fields && i < OF_OXM_N_FIELDS; i++) {
        const struct of_oxm_ref *ref = &match->fields[i];
        const struct oxm_desc *d = oxm_desc(ref->field);
        uint8_t w[OF_OXM_MAX_VALUE_LEN];
        if (!d) {
            continue;
        }
        of_fmt_printf(f, "%s{\"field\":\"%s\",\"value\":", i ? "," : "", d->name);
        field_get(d, &match->ft.key, w);
        fmt_value(f, d, w);
        if (ref->has_mask) {
            of_fmt_printf(f, ",\"mask\":");
            field_get(d, &match->ft.mask.masks, w);
            fmt_value(f, d, w);
        }
        of_fmt_printf(f, "}");
    }
    of_fmt_printf(f, "]");
}

/* ---- SET_FIELD ---- */

int
of_set_field_decode(const uint8_t *buf, size_t len, struct of_set_field *sf,
                    struct of_err *err)
{
    memset(sf, 0, sizeof *sf);
    if (len < 4) {
        return of_fail(err, OFPET_BAD_ACTION, OFPBAC_BAD_SET_LEN);
    }
    uint16_t oxm_class = of_get16(buf);
    uint8_t field = buf[2] >> 1;
    bool hm = buf[2] & 1;
    uint8_t olen = buf[3];
    const struct oxm_desc *d = oxm_desc(field);
    if (oxm_class != OFPXMC_OPENFLOW_BASIC || !d || !d->settable) {
        return of_fail(err, OFPET_BAD_ACTION, OFPBAC_BAD_SET_TYPE);
    }
    if (hm) {
        /* OpenFlow 1.3 has no masked set-field. */
        return of_fail(err, OFPET_BAD_ACTION, OFPBAC_BAD_SET_ARGUMENT);
    }
    /* The action is exactly header + OXM, padded to 8 (len counts from
     * the OXM, which starts 4 bytes into the action). */
    if (olen != d->len || (size_t) olen + 4 > len
        || ((4 + 4 + (size_t) olen + 7) & ~(size_t) 7) != len + 4) {
        return of_fail(err, OFPET_BAD_ACTION, OFPBAC_BAD_SET_LEN);
    }
    if (!value_fits(d, buf + 4)) {
        return of_fail(err, OFPET_BAD_ACTION, OFPBAC_BAD_SET_ARGUMENT);
    }
    sf->field = field;
    sf->len = olen;
    memcpy(sf->value, buf + 4, olen);
    return 0;
}

int
of_set_field_encode(const struct of_set_field *sf, struct of_buf *out)
{
    const struct oxm_desc *d = oxm_desc(sf->field);
    if (!d || !d->settable || sf->len != d->len) {
        return -EINVAL;
    }
    uint8_t tlv[4 + OF_OXM_MAX_VALUE_LEN];
    of_put16(tlv, OFPXMC_OPENFLOW_BASIC);
    tlv[2] = (uint8_t) (sf->field << 1);
    tlv[3] = d->len;
    memcpy(tlv + 4, sf->value, d->len);
    return of_buf_put(out, tlv, 4u + d->len);
}

void
of_set_field_format(struct of_fmt *f, const struct of_set_field *sf)
{
    const struct oxm_desc *d = oxm_desc(sf->field);
    if (!d) {
        of_fmt_printf(f, "null");
        return;
    }
    of_fmt_printf(f, "{\"field\":\"%s\",\"value\":", d->name);
    fmt_value(f, d, sf->value);
    of_fmt_printf(f, "}");
}

void
of_set_field_apply(const struct of_set_field *sf, struct ft_key *key,
                   struct ft_key *mask)
{
    const struct oxm_desc *d = oxm_desc(sf->field);
    if (!d || sf->len != d->len) {
        return;
    }
    field_set(d, key, sf->value);
    if (mask) {
        uint8_t full[OF_OXM_MAX_VALUE_LEN];
        if (d->map == MAP_BYTES) {
            memset(full, 0xff, d->len);
        } else {
            of_uint_to_wire(width_mask(d->bits), full, d->len);
        }
        field_set(d, mask, full);
    }
}
