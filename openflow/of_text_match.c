/*
 * of_text_match.c — match fields in ovs-ofctl syntax: parsing into an
 * OVS-style key/mask, ovs-ofctl's normalisation, the OXM form in the order
 * ovs-ofctl puts fields on the wire, and ovs-ofctl's match_format().
 *
 * The working form is a struct ft_match: the flowtable key follows Open
 * vSwitch's struct flow conventions (flowtable/ft_key.h), so ovs-ofctl's
 * semantics carry over as they are — tp_src is one field whether written
 * tp_src, tcp_src or icmp_type; nw_src means the ARP SPA in an ARP flow;
 * the ARP opcode lives in nw_proto; dl_vlan and dl_vlan_pcp edit parts of
 * one TCI.
 *
 * No key layout is duplicated here: fields are written into the working
 * key with of_set_field_apply() (value into the key, mask into the mask)
 * and read back through of_match_get() on a view listing every OXM field
 * (struct fview), both in the OXM wire form the codec owns.
 *
 * Pure; any thread.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "openflow/of_private.h"
#include "openflow/of_text_private.h"

#define ETH_TYPE_IP    0x0800
#define ETH_TYPE_ARP   0x0806
#define ETH_TYPE_RARP  0x8035
#define ETH_TYPE_IPV6  0x86dd
#define ETH_TYPE_MPLS  0x8847
#define ETH_TYPE_MPLSM 0x8848
#define ETH_TYPE_PBB   0x88e7
#define IPPROTO_ICMP_  1
#define IPPROTO_TCP_   6
#define IPPROTO_UDP_   17
#define IPPROTO_ICMP6_ 58
#define IPPROTO_SCTP_  132
#define ND_SOLICIT     135
#define ND_ADVERT      136

/* ------------------------------------------------------------------------
 * Field access through the codec's OXM mapping.
 * ---------------------------------------------------------------------- */

/* Value bit widths of the OXM basic fields (the spec's table); the wire
 * form is whole bytes, the mask of an exact match is the width's ones. */
static const uint8_t oxm_bits[OF_OXM_N_FIELDS] = {
    [OFPXMT_OFB_IN_PORT] = 32, [OFPXMT_OFB_IN_PHY_PORT] = 32,
    [OFPXMT_OFB_METADATA] = 64, [OFPXMT_OFB_ETH_DST] = 48,
    [OFPXMT_OFB_ETH_SRC] = 48, [OFPXMT_OFB_ETH_TYPE] = 16,
    [OFPXMT_OFB_VLAN_VID] = 13, [OFPXMT_OFB_VLAN_PCP] = 3,
    [OFPXMT_OFB_IP_DSCP] = 6, [OFPXMT_OFB_IP_ECN] = 2,
    [OFPXMT_OFB_IP_PROTO] = 8, [OFPXMT_OFB_IPV4_SRC] = 32,
    [OFPXMT_OFB_IPV4_DST] = 32, [OFPXMT_OFB_TCP_SRC] = 16,
    [OFPXMT_OFB_TCP_DST] = 16, [OFPXMT_OFB_UDP_SRC] = 16,
    [OFPXMT_OFB_UDP_DST] = 16, [OFPXMT_OFB_SCTP_SRC] = 16,
    [OFPXMT_OFB_SCTP_DST] = 16, [OFPXMT_OFB_ICMPV4_TYPE] = 8,
    [OFPXMT_OFB_ICMPV4_CODE] = 8, [OFPXMT_OFB_ARP_OP] = 16,
    [OFPXMT_OFB_ARP_SPA] = 32, [OFPXMT_OFB_ARP_TPA] = 32,
    [OFPXMT_OFB_ARP_SHA] = 48, [OFPXMT_OFB_ARP_THA] = 48,
    [OFPXMT_OFB_IPV6_SRC] = 128, [OFPXMT_OFB_IPV6_DST] = 128,
    [OFPXMT_OFB_IPV6_FLABEL] = 20, [OFPXMT_OFB_ICMPV6_TYPE] = 8,
    [OFPXMT_OFB_ICMPV6_CODE] = 8, [OFPXMT_OFB_IPV6_ND_TARGET] = 128,
    [OFPXMT_OFB_IPV6_ND_SLL] = 48, [OFPXMT_OFB_IPV6_ND_TLL] = 48,
    [OFPXMT_OFB_MPLS_LABEL] = 20, [OFPXMT_OFB_MPLS_TC] = 3,
    [OFPXMT_OFB_MPLS_BOS] = 1, [OFPXMT_OFB_PBB_ISID] = 24,
    [OFPXMT_OFB_TUNNEL_ID] = 64, [OFPXMT_OFB_IPV6_EXTHDR] = 9,
};

unsigned int
tx_field_bits(uint8_t field)
{
    return field < OF_OXM_N_FIELDS ? oxm_bits[field] : 0;
}

/* The all-ones mask of 'field' in wire form. */
static void
full_mask(uint8_t field, uint8_t *mask)
{
    unsigned int len = of_oxm_field_len(field);
    unsigned int bits = oxm_bits[field];
    memset(mask, 0, len);
    for (unsigned int i = 0; i < bits; i++) {
        mask[len - 1 - i / 8] |= (uint8_t) (1u << (i % 8));
    }
}

static bool
all_zero(const uint8_t *p, unsigned int len)
{
    for (unsigned int i = 0; i < len; i++) {
        if (p[i]) {
            return false;
        }
    }
    return true;
}

/* A read view of an ft_match listing every OXM field, so that
 * of_match_get() reads any field's wire value and mask straight from the
 * key (it only looks the field up in the list). */
struct fview {
    struct of_match m;
};

static void
fview_init(struct fview *v, const struct ft_match *ft)
{
    v->m.ft = *ft;
    v->m.n_fields = OF_OXM_N_FIELDS;
    for (unsigned int i = 0; i < OF_OXM_N_FIELDS; i++) {
        v->m.fields[i].field = (uint8_t) i;
        v->m.fields[i].has_mask = 0;
    }
}

/* Reads 'field': wire value and mask; returns false if not matched. */
static bool
fview_get(const struct fview *v, uint8_t field, uint8_t *value, uint8_t *mask)
{
    bool hm;
    of_match_get(&v->m, field, value, mask, &hm);
    return !all_zero(mask, of_oxm_field_len(field));
}

static uint64_t
fview_int(const struct fview *v, uint8_t field, uint64_t *mask)
{
    uint8_t val[OF_OXM_MAX_VALUE_LEN], msk[OF_OXM_MAX_VALUE_LEN];
    unsigned int len = of_oxm_field_len(field);
    fview_get(v, field, val, msk);
    if (mask) {
        *mask = of_wire_to_uint(msk, len);
    }
    return of_wire_to_uint(val, len);
}

/* Writes 'field' into 'ft' (value into the key, mask into the mask),
 * replacing whatever those bits held; the key is masked. */
static void
ft_write(struct ft_match *ft, uint8_t field, const uint8_t *value,
         const uint8_t *mask)
{
    struct of_set_field sf = { .field = field,
                               .len = (uint8_t) of_oxm_field_len(field) };
    uint8_t masked[OF_OXM_MAX_VALUE_LEN];
    for (unsigned int i = 0; i < sf.len; i++) {
        masked[i] = value[i] & mask[i];
    }
    memcpy(sf.value, mask, sf.len);
    of_set_field_apply(&sf, &ft->mask.masks, NULL);
    memcpy(sf.value, masked, sf.len);
    of_set_field_apply(&sf, &ft->key, NULL);
}

static void
ft_write_int(struct ft_match *ft, uint8_t field, uint64_t value, uint64_t mask)
{
    uint8_t v[8], m[8];
    unsigned int len = of_oxm_field_len(field);
    of_uint_to_wire(value, v, len);
    of_uint_to_wire(mask, m, len);
    ft_write(ft, field, v, m);
}

static void
ft_clear(struct ft_match *ft, uint8_t field)
{
    static const uint8_t zeros[OF_OXM_MAX_VALUE_LEN];
    ft_write(ft, field, zeros, zeros);
}

/* ------------------------------------------------------------------------
 * The text fields.
 * ---------------------------------------------------------------------- */

enum tf_kind {
    K_PORT,             /* OpenFlow port number or name, exact */
    K_INT,              /* unsigned integer of the field's width */
    K_MAC,              /* Ethernet address [/mask] */
    K_IPV4,             /* dotted quad [/prefix or /mask] */
    K_IPV6,             /* IPv6 address [/prefix or /mask] */
};

/* How a text field lands in the key, beyond "write OXM field 'oxm'". */
enum tf_store {
    S_OXM,              /* the OXM field 'oxm', value and mask as given */
    S_VLAN_TCI,         /* the whole 16-bit TCI */
    S_DL_VLAN,          /* the VID, 0xffff meaning "no tag" */
    S_DL_VLAN_PCP,      /* the PCP, which implies a tag */
    S_NW_TOS,           /* the TOS byte's DSCP bits, unshifted */
};

struct tf_desc {
    const char *names[4];           /* canonical (ovs) name first */
    uint8_t kind;                   /* enum tf_kind */
    uint8_t store;                  /* enum tf_store */
    uint8_t oxm;                    /* OFPXMT_OFB_* written (S_OXM) */
    uint8_t bits;                   /* K_INT width */
    bool maskable;                  /* the text may give a mask */
};

#define F(KIND, STORE, OXM, BITS, MASKABLE, ...)                          \
    { .names = { __VA_ARGS__ }, .kind = KIND, .store = STORE, .oxm = OXM, \
      .bits = BITS, .maskable = MASKABLE }
static const struct tf_desc tf_fields[] = {
    F(K_PORT, S_OXM, OFPXMT_OFB_IN_PORT, 32, false, "in_port", "in_port_oxm"),
    F(K_PORT, S_OXM, OFPXMT_OFB_IN_PHY_PORT, 32, false, "in_phy_port"),
    F(K_INT, S_OXM, OFPXMT_OFB_METADATA, 64, true, "metadata"),
    F(K_INT, S_OXM, OFPXMT_OFB_TUNNEL_ID, 64, true, "tun_id", "tunnel_id"),
    F(K_MAC, S_OXM, OFPXMT_OFB_ETH_SRC, 48, true, "dl_src", "eth_src"),
    F(K_MAC, S_OXM, OFPXMT_OFB_ETH_DST, 48, true, "dl_dst", "eth_dst"),
    F(K_INT, S_OXM, OFPXMT_OFB_ETH_TYPE, 16, false, "dl_type", "eth_type"),
    F(K_INT, S_VLAN_TCI, OFPXMT_OFB_VLAN_VID, 16, true, "vlan_tci"),
    F(K_INT, S_DL_VLAN, OFPXMT_OFB_VLAN_VID, 16, false, "dl_vlan"),
    F(K_INT, S_DL_VLAN_PCP, OFPXMT_OFB_VLAN_PCP, 3, false, "dl_vlan_pcp", "vlan_pcp"),
    F(K_INT, S_OXM, OFPXMT_OFB_VLAN_VID, 13, true, "vlan_vid"),
    F(K_INT, S_OXM, OFPXMT_OFB_MPLS_LABEL, 20, false, "mpls_label"),
    F(K_INT, S_OXM, OFPXMT_OFB_MPLS_TC, 3, false, "mpls_tc"),
    F(K_INT, S_OXM, OFPXMT_OFB_MPLS_BOS, 1, false, "mpls_bos"),
    F(K_INT, S_OXM, OFPXMT_OFB_PBB_ISID, 24, true, "pbb_isid"),
    F(K_IPV4, S_OXM, OFPXMT_OFB_IPV4_SRC, 32, true, "nw_src", "ip_src", "ipv4_src"),
    F(K_IPV4, S_OXM, OFPXMT_OFB_IPV4_DST, 32, true, "nw_dst", "ip_dst", "ipv4_dst"),
    F(K_IPV4, S_OXM, OFPXMT_OFB_ARP_SPA, 32, true, "arp_spa"),
    F(K_IPV4, S_OXM, OFPXMT_OFB_ARP_TPA, 32, true, "arp_tpa"),
    F(K_IPV6, S_OXM, OFPXMT_OFB_IPV6_SRC, 128, true, "ipv6_src"),
    F(K_IPV6, S_OXM, OFPXMT_OFB_IPV6_DST, 128, true, "ipv6_dst"),
    F(K_INT, S_OXM, OFPXMT_OFB_IPV6_FLABEL, 20, true, "ipv6_label", "ipv6_flabel"),
    F(K_INT, S_OXM, OFPXMT_OFB_IP_PROTO, 8, false, "nw_proto", "ip_proto"),
    F(K_INT, S_NW_TOS, OFPXMT_OFB_IP_DSCP, 8, false, "nw_tos"),
    F(K_INT, S_OXM, OFPXMT_OFB_IP_DSCP, 6, false, "ip_dscp"),
    F(K_INT, S_OXM, OFPXMT_OFB_IP_ECN, 2, false, "nw_ecn", "ip_ecn"),
    F(K_INT, S_OXM, OFPXMT_OFB_ARP_OP, 16, false, "arp_op"),
    F(K_MAC, S_OXM, OFPXMT_OFB_ARP_SHA, 48, true, "arp_sha"),
    F(K_MAC, S_OXM, OFPXMT_OFB_ARP_THA, 48, true, "arp_tha"),
    F(K_MAC, S_OXM, OFPXMT_OFB_IPV6_ND_SLL, 48, true, "nd_sll", "ipv6_nd_sll"),
    F(K_MAC, S_OXM, OFPXMT_OFB_IPV6_ND_TLL, 48, true, "nd_tll", "ipv6_nd_tll"),
    F(K_IPV6, S_OXM, OFPXMT_OFB_IPV6_ND_TARGET, 128, true, "nd_target", "ipv6_nd_target"),
    F(K_INT, S_OXM, OFPXMT_OFB_TCP_SRC, 16, true, "tp_src", "tcp_src", "udp_src", "sctp_src"),
    F(K_INT, S_OXM, OFPXMT_OFB_TCP_DST, 16, true, "tp_dst", "tcp_dst", "udp_dst", "sctp_dst"),
    /* ICMP type and code are tp_src and tp_dst, whole (as in ovs). */
    F(K_INT, S_OXM, OFPXMT_OFB_TCP_SRC, 8, false, "icmp_type", "icmpv4_type", "icmpv6_type"),
    F(K_INT, S_OXM, OFPXMT_OFB_TCP_DST, 8, false, "icmp_code", "icmpv4_code", "icmpv6_code"),
    F(K_INT, S_OXM, OFPXMT_OFB_IPV6_EXTHDR, 9, true, "ipv6_exthdr"),
};
#undef F

/* Open vSwitch fields with no OpenFlow 1.3 basic match field (exact names
 * and name prefixes), refused with a message saying so rather than
 * "unknown". */
static const char *const ovs_only_fields[] = {
    "nw_ttl", "ip_ttl", "ip_frag", "nw_frag", "tcp_flags", "mpls_ttl",
    "tun_src", "tun_dst", "tun_ipv6_src", "tun_ipv6_dst", "tun_flags",
    "tun_gbp_id", "tun_gbp_flags", "tun_tos", "tun_ttl", "tun_erspan_ver",
    "pkt_mark", "skb_priority", "recirc_id", "dp_hash", "conj_id",
    "actset_output", "packet_type", "nd_reserved", "nd_options_type",
    "igmp_type", "igmp_code", "vlan_tci1", "dl_vlan1", "dl_vlan_pcp1",
};
static const char *const ovs_only_prefixes[] = {
    "reg", "xreg", "xxreg", "ct_", "tun_metadata", "nsh_", "tun_erspan",
};

static const struct tf_desc *
tf_lookup(const char *name)
{
    for (size_t i = 0; i < OF_ARRAY_SIZE(tf_fields); i++) {
        for (size_t j = 0; j < 4 && tf_fields[i].names[j]; j++) {
            if (!strcmp(name, tf_fields[i].names[j])) {
                return &tf_fields[i];
            }
        }
    }
    return NULL;
}

static bool
is_ovs_only(const char *name)
{
    for (size_t i = 0; i < OF_ARRAY_SIZE(ovs_only_fields); i++) {
        if (!strcmp(name, ovs_only_fields[i])) {
            return true;
        }
    }
    for (size_t i = 0; i < OF_ARRAY_SIZE(ovs_only_prefixes); i++) {
        const char *p = ovs_only_prefixes[i];
        if (!strncmp(name, p, strlen(p)) && name[strlen(p)]) {
            return true;
        }
    }
    return false;
}

/* Protocol shorthands: eth_type and, for some, ip_proto. */
static const struct {
    const char *name;
    uint16_t dl_type;
    uint8_t nw_proto;
} protocols[] = {
    { "ip", ETH_TYPE_IP, 0 }, { "ipv4", ETH_TYPE_IP, 0 },
    { "ipv6", ETH_TYPE_IPV6, 0 },
    { "icmp", ETH_TYPE_IP, IPPROTO_ICMP_ }, { "icmp6", ETH_TYPE_IPV6, IPPROTO_ICMP6_ },
    { "tcp", ETH_TYPE_IP, IPPROTO_TCP_ }, { "tcp6", ETH_TYPE_IPV6, IPPROTO_TCP_ },
    { "udp", ETH_TYPE_IP, IPPROTO_UDP_ }, { "udp6", ETH_TYPE_IPV6, IPPROTO_UDP_ },
    { "sctp", ETH_TYPE_IP, IPPROTO_SCTP_ }, { "sctp6", ETH_TYPE_IPV6, IPPROTO_SCTP_ },
    { "arp", ETH_TYPE_ARP, 0 }, { "rarp", ETH_TYPE_RARP, 0 },
    { "mpls", ETH_TYPE_MPLS, 0 }, { "mplsm", ETH_TYPE_MPLSM, 0 },
};

void
tx_match_init(struct tx_match *m)
{
    memset(m, 0, sizeof *m);
}

/* ---- values ---- */

static int
prefix_mask(const char *s, unsigned int max, uint8_t *mask, unsigned int len,
            const char *name, const char *text, struct tx_err *e)
{
    uint64_t n;
    if (tx_parse_uint(s, max, name, &n, NULL)) {
        return tx_fail(e, "%s: bad prefix length in \"%s\" (0 to %u)",
                       name, text, max);
    }
    memset(mask, 0, len);
    for (unsigned int i = 0; i < n; i++) {
        mask[i / 8] |= (uint8_t) (0x80u >> (i % 8));
    }
    return 0;
}

/* Parses "value[/mask]" of 'd' into wire value and mask ('*has_mask' set
 * when a mask was written). */
static int
parse_value_mask(const struct tf_desc *d, const char *name, const char *text,
                 uint8_t *value, uint8_t *mask, bool *has_mask,
                 struct tx_err *e)
{
    char buf[128];
    unsigned int len = of_oxm_field_len(d->oxm);
    if (d->store != S_OXM) {
        len = d->kind == K_INT ? (d->bits + 7u) / 8 : len;
    }
    if (strlen(text) >= sizeof buf) {
        return tx_fail(e, "%s: value too long", name);
    }
    snprintf(buf, sizeof buf, "%s", text);
    char *slash = d->kind == K_PORT ? NULL : strchr(buf, '/');
    if (slash) {
        *slash++ = '\0';
    }
    *has_mask = slash != NULL;

    switch (d->kind) {
    case K_PORT: {
        uint32_t port;
        if (tx_parse_port(buf, name, &port, e)) {
            return -EINVAL;
        }
        of_uint_to_wire(port, value, 4);
        memset(mask, 0xff, 4);
        return 0;
    }
    case K_INT: {
        uint64_t width = d->bits >= 64 ? UINT64_MAX : (1ull << d->bits) - 1;
        uint64_t max = d->store == S_DL_VLAN ? 0xffff : width;
        uint64_t full = width, v, m;
        if (d->store == S_OXM) {
            uint8_t fm[OF_OXM_MAX_VALUE_LEN];
            full_mask(d->oxm, fm);
            full = of_wire_to_uint(fm, len);
        }
        if (tx_parse_uint(buf, max, name, &v, e)) {
            return -EINVAL;
        }
        m = full;
        if (slash && tx_parse_uint(slash, full, name, &m, e)) {
            return -EINVAL;
        }
        if (!d->maskable && m != full) {
            return tx_fail(e, "%s: this field cannot be masked (\"%s\")",
                           name, text);
        }
        of_uint_to_wire(v, value, len);
        of_uint_to_wire(m, mask, len);
        return 0;
    }
    case K_MAC:
        if (!tx_parse_mac(buf, value)) {
            return tx_fail(e, "%s: invalid Ethernet address \"%s\"", name, buf);
        }
        if (slash && !tx_parse_mac(slash, mask)) {
            return tx_fail(e, "%s: invalid Ethernet mask \"%s\"", name, slash);
        }
        if (!slash) {
            memset(mask, 0xff, 6);
        }
        return 0;
    case K_IPV4:
        if (!tx_parse_ipv4(buf, value)) {
            return tx_fail(e, "%s: invalid IP address \"%s\"", name, buf);
        }
        if (!slash) {
            memset(mask, 0xff, 4);
        } else if (strchr(slash, '.')) {
            if (!tx_parse_ipv4(slash, mask)) {
                return tx_fail(e, "%s: invalid IP mask \"%s\"", name, slash);
            }
        } else if (prefix_mask(slash, 32, mask, 4, name, text, e)) {
            return -EINVAL;
        }
        return 0;
    case K_IPV6:
        if (!tx_parse_ipv6(buf, value)) {
            return tx_fail(e, "%s: invalid IPv6 address \"%s\"", name, buf);
        }
        if (!slash) {
            memset(mask, 0xff, 16);
        } else if (strchr(slash, ':')) {
            if (!tx_parse_ipv6(slash, mask)) {
                return tx_fail(e, "%s: invalid IPv6 mask \"%s\"", name, slash);
            }
        } else if (prefix_mask(slash, 128, mask, 16, name, text, e)) {
            return -EINVAL;
        }
        return 0;
    }
    return -EINVAL;
}

int
tx_match_parse_kv(struct tx_match *m, const char *key, const char *value,
                  struct tx_err *e)
{
    for (size_t i = 0; i < OF_ARRAY_SIZE(protocols); i++) {
        if (!strcmp(key, protocols[i].name)) {
            if (*value) {
                return tx_fail(e, "%s: a protocol shorthand takes no value",
                               key);
            }
            ft_write_int(&m->ft, OFPXMT_OFB_ETH_TYPE, protocols[i].dl_type,
                         0xffff);
            if (protocols[i].nw_proto) {
                ft_write_int(&m->ft, OFPXMT_OFB_IP_PROTO,
                             protocols[i].nw_proto, 0xff);
            }
            return 1;
        }
    }
    if (!strcmp(key, "eth")) {
        /* packet_type=Ethernet: the only kind OpenFlow 1.3 knows. */
        return 1;
    }

    const struct tf_desc *d = tf_lookup(key);
    if (!d) {
        if (is_ovs_only(key)) {
            return tx_fail(e, "%s: Open vSwitch extension field; OpenFlow 1.3 "
                           "has no match field for it", key);
        }
        return 0;
    }
    if (!*value) {
        return tx_fail(e, "%s: missing value", key);
    }

    uint8_t v[OF_OXM_MAX_VALUE_LEN], msk[OF_OXM_MAX_VALUE_LEN];
    bool has_mask;
    if (parse_value_mask(d, key, value, v, msk, &has_mask, e)) {
        return -EINVAL;
    }

    struct fview view;
    switch (d->store) {
    case S_OXM:
        ft_write(&m->ft, d->oxm, v, msk);
        if (d->oxm == OFPXMT_OFB_IN_PHY_PORT) {
            m->in_phy_port = true;
        } else if (d->oxm == OFPXMT_OFB_PBB_ISID) {
            m->pbb_isid = !all_zero(msk, 3);
        } else if (d->oxm == OFPXMT_OFB_IPV6_EXTHDR) {
            m->ipv6_exthdr = !all_zero(msk, 2);
        }
        break;
    case S_VLAN_TCI: {
        uint16_t tci = (uint16_t) of_wire_to_uint(v, 2);
        uint16_t tmask = (uint16_t) of_wire_to_uint(msk, 2);
        ft_write_int(&m->ft, OFPXMT_OFB_VLAN_VID, tci & 0x1fff, tmask & 0x1fff);
        ft_write_int(&m->ft, OFPXMT_OFB_VLAN_PCP, tci >> 13, tmask >> 13);
        break;
    }
    case S_DL_VLAN: {
        uint16_t vid = (uint16_t) of_wire_to_uint(v, 2);
        if (vid == 0xffff) {
            /* OpenFlow 1.0's OFP_VLAN_NONE: no tag at all. */
            ft_write_int(&m->ft, OFPXMT_OFB_VLAN_VID, 0, 0x1fff);
            ft_write_int(&m->ft, OFPXMT_OFB_VLAN_PCP, 0, 7);
        } else if (vid > 0xfff) {
            return tx_fail(e, "%s: VLAN id %s out of range (0 to 4095, or "
                           "0xffff for no VLAN)", key, value);
        } else {
            ft_write_int(&m->ft, OFPXMT_OFB_VLAN_VID, vid | OFPVID_PRESENT,
                         0x1fff);
        }
        break;
    }
    case S_DL_VLAN_PCP: {
        uint64_t vmask;
        fview_init(&view, &m->ft);
        uint64_t vid = fview_int(&view, OFPXMT_OFB_VLAN_VID, &vmask);
        ft_write_int(&m->ft, OFPXMT_OFB_VLAN_VID, vid | OFPVID_PRESENT,
                     vmask | OFPVID_PRESENT);
        ft_write_int(&m->ft, OFPXMT_OFB_VLAN_PCP, of_wire_to_uint(v, 1), 7);
        break;
    }
    case S_NW_TOS:
        ft_write_int(&m->ft, OFPXMT_OFB_IP_DSCP, of_wire_to_uint(v, 1) >> 2,
                     0x3f);
        break;
    }
    return 1;
}

/* ------------------------------------------------------------------------
 * Normalisation and the OXM form.
 * ---------------------------------------------------------------------- */

enum {
    MAY_NW_ADDR = 1 << 0, MAY_TP_ADDR = 1 << 1, MAY_NW_PROTO = 1 << 2,
    MAY_IPVX = 1 << 3, MAY_ARP_SHA = 1 << 4, MAY_ARP_THA = 1 << 5,
    MAY_IPV6 = 1 << 6, MAY_ND_TARGET = 1 << 7, MAY_MPLS = 1 << 8,
};

/* Drops what ovs-ofctl's normalisation drops: fields of a protocol the
 * match does not pin down (the packet could not carry them). */
static void
normalize(struct ft_match *ft)
{
    struct fview v;
    fview_init(&v, ft);
    uint64_t dl_type = fview_int(&v, OFPXMT_OFB_ETH_TYPE, NULL);
    uint64_t nw_proto = fview_int(&v, OFPXMT_OFB_IP_PROTO, NULL);
    uint64_t tp_src = fview_int(&v, OFPXMT_OFB_TCP_SRC, NULL);
    unsigned int may = 0;

    if (dl_type == ETH_TYPE_IP) {
        may |= MAY_NW_PROTO | MAY_IPVX | MAY_NW_ADDR;
        if (nw_proto == IPPROTO_TCP_ || nw_proto == IPPROTO_UDP_
            || nw_proto == IPPROTO_SCTP_ || nw_proto == IPPROTO_ICMP_) {
            may |= MAY_TP_ADDR;
        }
    } else if (dl_type == ETH_TYPE_IPV6) {
        may |= MAY_NW_PROTO | MAY_IPVX | MAY_IPV6;
        if (nw_proto == IPPROTO_TCP_ || nw_proto == IPPROTO_UDP_
            || nw_proto == IPPROTO_SCTP_) {
            may |= MAY_TP_ADDR;
        } else if (nw_proto == IPPROTO_ICMP6_) {
            may |= MAY_TP_ADDR;
            if (tp_src == ND_SOLICIT) {
                may |= MAY_ND_TARGET | MAY_ARP_SHA;
            } else if (tp_src == ND_ADVERT) {
                may |= MAY_ND_TARGET | MAY_ARP_THA;
            }
        }
    } else if (dl_type == ETH_TYPE_ARP || dl_type == ETH_TYPE_RARP) {
        may |= MAY_NW_PROTO | MAY_NW_ADDR | MAY_ARP_SHA | MAY_ARP_THA;
    } else if (dl_type == ETH_TYPE_MPLS || dl_type == ETH_TYPE_MPLSM) {
        may |= MAY_MPLS;
    }

    if (!(may & MAY_NW_ADDR)) {
        ft_clear(ft, OFPXMT_OFB_IPV4_SRC);
        ft_clear(ft, OFPXMT_OFB_IPV4_DST);
    }
    if (!(may & MAY_TP_ADDR)) {
        ft_clear(ft, OFPXMT_OFB_TCP_SRC);
        ft_clear(ft, OFPXMT_OFB_TCP_DST);
    }
    if (!(may & MAY_NW_PROTO)) {
        ft_clear(ft, OFPXMT_OFB_ARP_OP);    /* clears nw_proto's mirror too */
        ft_clear(ft, OFPXMT_OFB_IP_PROTO);
    }
    if (!(may & MAY_IPVX)) {
        ft_clear(ft, OFPXMT_OFB_IP_DSCP);
        ft_clear(ft, OFPXMT_OFB_IP_ECN);
    }
    if (!(may & MAY_ARP_SHA)) {
        ft_clear(ft, OFPXMT_OFB_ARP_SHA);
    }
    if (!(may & MAY_ARP_THA)) {
        ft_clear(ft, OFPXMT_OFB_ARP_THA);
    }
    if (!(may & MAY_IPV6)) {
        ft_clear(ft, OFPXMT_OFB_IPV6_SRC);
        ft_clear(ft, OFPXMT_OFB_IPV6_DST);
        ft_clear(ft, OFPXMT_OFB_IPV6_FLABEL);
    }
    if (!(may & MAY_ND_TARGET)) {
        ft_clear(ft, OFPXMT_OFB_IPV6_ND_TARGET);
    }
    if (!(may & MAY_MPLS)) {
        ft_clear(ft, OFPXMT_OFB_MPLS_LABEL);
        ft_clear(ft, OFPXMT_OFB_MPLS_TC);
        ft_clear(ft, OFPXMT_OFB_MPLS_BOS);
    }
}

/* The text name of OXM field 'f' for messages: the OVS name when there
 * is one. */
static const char *
field_text_name(uint8_t f)
{
    for (size_t i = 0; i < OF_ARRAY_SIZE(tf_fields); i++) {
        if (tf_fields[i].store == S_OXM && tf_fields[i].oxm == f) {
            return tf_fields[i].names[0];
        }
    }
    return of_oxm_field_name(f);
}

struct emitter {
    const struct fview *view;
    struct of_match *out;
    struct tx_err *e;
    int error;
};

static void
emit_raw(struct emitter *em, uint8_t field, const uint8_t *value,
         const uint8_t *mask)
{
    struct of_err oerr;
    if (em->error) {
        return;
    }
    if (of_match_add(em->out, field, value, mask, &oerr)) {
        em->error = tx_fail(em->e, "%s: not a valid OpenFlow 1.3 match "
                            "(%s)", field_text_name(field),
                            of_error_code_name(oerr.type, oerr.code));
        return;
    }
    if (of_match_check_prereqs(em->out, &oerr)) {
        em->error = tx_fail(em->e, "%s: OpenFlow 1.3 cannot match this field "
                            "with the rest of this match (its prerequisite "
                            "%s is missing)", field_text_name(field),
                            field == OFPXMT_OFB_VLAN_PCP ? "vlan_vid"
                            : field >= OFPXMT_OFB_ARP_OP
                              && field <= OFPXMT_OFB_ARP_THA
                            ? "eth_type=0x0806" : "field");
    }
}

/* Emits 'field' as matched in 'src' (its storage may be another OXM field
 * of the same key bits, e.g. UDP_SRC from tp_src): exact when fully
 * masked, masked when the codec allows, refused otherwise. */
static void
emit_as(struct emitter *em, uint8_t field, uint8_t src)
{
    uint8_t v[OF_OXM_MAX_VALUE_LEN], m[OF_OXM_MAX_VALUE_LEN];
    uint8_t full[OF_OXM_MAX_VALUE_LEN];
    if (em->error || !fview_get(em->view, src, v, m)) {
        return;
    }
    unsigned int len = of_oxm_field_len(field);
    full_mask(field, full);
    if (!memcmp(m, full, len)) {
        emit_raw(em, field, v, NULL);
    } else if (of_oxm_field_maskable(field)) {
        emit_raw(em, field, v, m);
    } else {
        em->error = tx_fail(em->e, "%s: OpenFlow 1.3 cannot mask this field",
                            field_text_name(field));
    }
}

static void
emit(struct emitter *em, uint8_t field)
{
    emit_as(em, field, field);
}

/* Emits 'field' exactly whenever any bit of it is matched (what ovs-ofctl
 * does for the narrow fields it keeps whole: DSCP, ECN, MPLS, ICMP). */
static void
emit_exact(struct emitter *em, uint8_t field, uint8_t src)
{
    uint8_t v[OF_OXM_MAX_VALUE_LEN], m[OF_OXM_MAX_VALUE_LEN];
    if (em->error || !fview_get(em->view, src, v, m)) {
        return;
    }
    emit_raw(em, field, v, NULL);
}

static void
emit_ovs_order(struct emitter *em)
{
    const struct fview *view = em->view;
    uint64_t dl_type = fview_int(view, OFPXMT_OFB_ETH_TYPE, NULL);
    uint64_t proto_mask, arp_mask;
    uint64_t nw_proto = fview_int(view, OFPXMT_OFB_IP_PROTO, &proto_mask);
    fview_int(view, OFPXMT_OFB_ARP_OP, &arp_mask);

    emit(em, OFPXMT_OFB_IN_PORT);
    emit(em, OFPXMT_OFB_IN_PHY_PORT);
    emit(em, OFPXMT_OFB_ETH_SRC);
    emit(em, OFPXMT_OFB_ETH_DST);
    emit(em, OFPXMT_OFB_ETH_TYPE);

    /* VLAN: VID|PRESENT, exact or masked; PCP exactly, only when a tag or
     * a VID is matched. */
    uint64_t vid_mask, pcp_mask;
    uint64_t vid = fview_int(view, OFPXMT_OFB_VLAN_VID, &vid_mask);
    fview_int(view, OFPXMT_OFB_VLAN_PCP, &pcp_mask);
    emit(em, OFPXMT_OFB_VLAN_VID);
    if (vid && pcp_mask) {
        emit_exact(em, OFPXMT_OFB_VLAN_PCP, OFPXMT_OFB_VLAN_PCP);
    }

    if (dl_type == ETH_TYPE_MPLS || dl_type == ETH_TYPE_MPLSM) {
        emit_exact(em, OFPXMT_OFB_MPLS_TC, OFPXMT_OFB_MPLS_TC);
        emit_exact(em, OFPXMT_OFB_MPLS_BOS, OFPXMT_OFB_MPLS_BOS);
        emit_exact(em, OFPXMT_OFB_MPLS_LABEL, OFPXMT_OFB_MPLS_LABEL);
    }
    if (dl_type == ETH_TYPE_PBB) {
        emit(em, OFPXMT_OFB_PBB_ISID);
    }

    if (dl_type == ETH_TYPE_IP || dl_type == ETH_TYPE_IPV6) {
        if (dl_type == ETH_TYPE_IP) {
            emit(em, OFPXMT_OFB_IPV4_SRC);
            emit(em, OFPXMT_OFB_IPV4_DST);
        } else {
            emit(em, OFPXMT_OFB_IPV6_SRC);
            emit(em, OFPXMT_OFB_IPV6_DST);
        }
        emit_exact(em, OFPXMT_OFB_IP_DSCP, OFPXMT_OFB_IP_DSCP);
        emit_exact(em, OFPXMT_OFB_IP_ECN, OFPXMT_OFB_IP_ECN);
        if (dl_type == ETH_TYPE_IPV6) {
            emit(em, OFPXMT_OFB_IPV6_FLABEL);
            emit(em, OFPXMT_OFB_IPV6_EXTHDR);
        }
        if (proto_mask) {
            emit_exact(em, OFPXMT_OFB_IP_PROTO, OFPXMT_OFB_IP_PROTO);
            if (nw_proto == IPPROTO_TCP_) {
                emit_as(em, OFPXMT_OFB_TCP_SRC, OFPXMT_OFB_TCP_SRC);
                emit_as(em, OFPXMT_OFB_TCP_DST, OFPXMT_OFB_TCP_DST);
            } else if (nw_proto == IPPROTO_UDP_) {
                emit_as(em, OFPXMT_OFB_UDP_SRC, OFPXMT_OFB_TCP_SRC);
                emit_as(em, OFPXMT_OFB_UDP_DST, OFPXMT_OFB_TCP_DST);
            } else if (nw_proto == IPPROTO_SCTP_) {
                emit_as(em, OFPXMT_OFB_SCTP_SRC, OFPXMT_OFB_TCP_SRC);
                emit_as(em, OFPXMT_OFB_SCTP_DST, OFPXMT_OFB_TCP_DST);
            } else if (nw_proto == IPPROTO_ICMP_ && dl_type == ETH_TYPE_IP) {
                emit_exact(em, OFPXMT_OFB_ICMPV4_TYPE, OFPXMT_OFB_ICMPV4_TYPE);
                emit_exact(em, OFPXMT_OFB_ICMPV4_CODE, OFPXMT_OFB_ICMPV4_CODE);
            } else if (nw_proto == IPPROTO_ICMP6_ && dl_type == ETH_TYPE_IPV6) {
                emit_exact(em, OFPXMT_OFB_ICMPV6_TYPE, OFPXMT_OFB_ICMPV4_TYPE);
                emit_exact(em, OFPXMT_OFB_ICMPV6_CODE, OFPXMT_OFB_ICMPV4_CODE);
                uint64_t type = fview_int(view, OFPXMT_OFB_ICMPV4_TYPE, NULL);
                uint64_t code = fview_int(view, OFPXMT_OFB_ICMPV4_CODE, NULL);
                if ((type == ND_SOLICIT || type == ND_ADVERT) && !code) {
                    emit(em, OFPXMT_OFB_IPV6_ND_TARGET);
                    if (type == ND_SOLICIT) {
                        emit_as(em, OFPXMT_OFB_IPV6_ND_SLL, OFPXMT_OFB_ARP_SHA);
                    } else {
                        emit_as(em, OFPXMT_OFB_IPV6_ND_TLL, OFPXMT_OFB_ARP_THA);
                    }
                }
            }
        }
    } else if (dl_type == ETH_TYPE_ARP || dl_type == ETH_TYPE_RARP) {
        if (proto_mask || arp_mask) {
            emit_exact(em, OFPXMT_OFB_ARP_OP, OFPXMT_OFB_ARP_OP);
        }
        emit(em, OFPXMT_OFB_ARP_SPA);
        emit(em, OFPXMT_OFB_ARP_TPA);
        emit(em, OFPXMT_OFB_ARP_SHA);
        emit(em, OFPXMT_OFB_ARP_THA);
    }

    emit(em, OFPXMT_OFB_TUNNEL_ID);
    emit(em, OFPXMT_OFB_METADATA);
}

int
tx_match_finish(struct tx_match *m, struct of_match *out,
                struct tx_err *note, struct tx_err *e)
{
    struct ft_match *ft = &m->ft;
    struct fview view;

    fview_init(&view, ft);
    uint64_t dl_type = fview_int(&view, OFPXMT_OFB_ETH_TYPE, NULL);

    /* Fields ovs-ofctl does not know: refuse rather than drop them. */
    uint64_t in_port_mask;
    fview_int(&view, OFPXMT_OFB_IN_PORT, &in_port_mask);
    if (m->in_phy_port && !in_port_mask) {
        return tx_fail(e, "in_phy_port requires in_port");
    }
    if (m->pbb_isid && dl_type != ETH_TYPE_PBB) {
        return tx_fail(e, "pbb_isid requires dl_type=0x88e7");
    }
    if (m->ipv6_exthdr && dl_type != ETH_TYPE_IPV6) {
        return tx_fail(e, "ipv6_exthdr requires ipv6 (add \"ipv6,\")");
    }

    /* ARP written as nw_proto: the opcode is the key's arp_op. */
    uint64_t proto_mask, arp_mask;
    uint64_t nw_proto = fview_int(&view, OFPXMT_OFB_IP_PROTO, &proto_mask);
    fview_int(&view, OFPXMT_OFB_ARP_OP, &arp_mask);
    if ((dl_type == ETH_TYPE_ARP || dl_type == ETH_TYPE_RARP)
        && proto_mask && !arp_mask) {
        ft_write_int(ft, OFPXMT_OFB_ARP_OP, nw_proto, 0xffff);
    }

    struct ft_match before = *ft;
    normalize(ft);
    ft_match_normalize(ft);
    fview_init(&view, ft);

    memset(out, 0, sizeof *out);
    struct emitter em = { .view = &view, .out = out, .e = e };
    emit_ovs_order(&em);
    if (em.error) {
        return em.error;
    }

    ft_match_normalize(&before);
    if (memcmp(&before.mask, &ft->mask, sizeof before.mask) && note) {
        struct of_buf pre, post;
        struct tx_out po, qo;
        of_buf_init(&pre);
        of_buf_init(&post);
        tx_out_init(&po, &pre);
        tx_out_init(&qo, &post);
        tx_format_match(&po, &before, 32768);
        tx_format_match(&qo, &out->ft, 32768);
        if (!po.error && !qo.error) {
            tx_fail(note, "normalization changed the match (a field needs its "
                    "protocol, e.g. \"ip,\" or \"tcp,\"): pre: %s post: %s",
                    (char *) pre.data, (char *) post.data);
        }
        of_buf_uninit(&pre);
        of_buf_uninit(&post);
    }
    return 0;
}

/* ------------------------------------------------------------------------
 * Formatting: ovs-ofctl's match_format().
 * ---------------------------------------------------------------------- */

static bool
is_cidr(const uint8_t *mask, unsigned int len, unsigned int *prefix)
{
    unsigned int n = 0, i = 0;
    while (i < len * 8 && mask[i / 8] & (0x80u >> (i % 8))) {
        i++;
        n++;
    }
    for (; i < len * 8; i++) {
        if (mask[i / 8] & (0x80u >> (i % 8))) {
            return false;
        }
    }
    *prefix = n;
    return true;
}

/* gcc 12 at -O3 reports the caller's live mask array, once inlined here,
 * as a dangling pointer (a known false positive of -Wdangling-pointer). */
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdangling-pointer"
#endif
static void
put_mac(struct tx_out *o, const uint8_t *a)
{
    tx_printf(o, "%02x:%02x:%02x:%02x:%02x:%02x",
              a[0], a[1], a[2], a[3], a[4], a[5]);
}
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12
#pragma GCC diagnostic pop
#endif

static void
put_ipv6(struct tx_out *o, const uint8_t *a)
{
    char buf[INET6_ADDRSTRLEN];
    inet_ntop(AF_INET6, a, buf, sizeof buf);
    tx_put(o, buf);
}

static void
fmt_eth(struct tx_out *o, const struct fview *v, const char *name, uint8_t f)
{
    uint8_t val[16], m[16];
    if (!fview_get(v, f, val, m)) {
        return;
    }
    tx_printf(o, "%s=", name);
    put_mac(o, val);
    static const uint8_t ones[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    if (memcmp(m, ones, 6)) {
        tx_putc(o, '/');
        put_mac(o, m);
    }
    tx_putc(o, ',');
}

static void
fmt_ipv4(struct tx_out *o, const struct fview *v, const char *name, uint8_t f)
{
    uint8_t a[16], m[16];
    unsigned int prefix;
    if (!fview_get(v, f, a, m)) {
        return;
    }
    tx_printf(o, "%s=%u.%u.%u.%u", name, a[0], a[1], a[2], a[3]);
    if (is_cidr(m, 4, &prefix)) {
        if (prefix != 32) {
            tx_printf(o, "/%u", prefix);
        }
    } else {
        tx_printf(o, "/%u.%u.%u.%u", m[0], m[1], m[2], m[3]);
    }
    tx_putc(o, ',');
}

static void
fmt_ipv6(struct tx_out *o, const struct fview *v, const char *name, uint8_t f)
{
    uint8_t a[16], m[16];
    unsigned int prefix;
    if (!fview_get(v, f, a, m)) {
        return;
    }
    tx_printf(o, "%s=", name);
    put_ipv6(o, a);
    if (is_cidr(m, 16, &prefix)) {
        if (prefix != 128) {
            tx_printf(o, "/%u", prefix);
        }
    } else {
        tx_putc(o, '/');
        put_ipv6(o, m);
    }
    tx_putc(o, ',');
}

/* A 64-bit field ovs-ofctl prints in hex ("tun_id=0x5", "metadata=0"). */
static void
fmt_hex64(struct tx_out *o, const struct fview *v, const char *name, uint8_t f)
{
    uint64_t m, val = fview_int(v, f, &m);
    if (!m) {
        return;
    }
    tx_printf(o, val ? "%s=%#" PRIx64 : "%s=%" PRIu64, name, val);
    if (m != UINT64_MAX) {
        tx_printf(o, "/%#" PRIx64, m);
    }
    tx_putc(o, ',');
}

/* An integer field: decimal when exact, "0x../0x.." when masked. */
static void
fmt_int(struct tx_out *o, const struct fview *v, const char *name, uint8_t f)
{
    uint8_t full[OF_OXM_MAX_VALUE_LEN];
    uint64_t m, val = fview_int(v, f, &m);
    if (!m) {
        return;
    }
    full_mask(f, full);
    if (m == of_wire_to_uint(full, of_oxm_field_len(f))) {
        tx_printf(o, "%s=%" PRIu64 ",", name, val);
    } else {
        tx_printf(o, "%s=%#" PRIx64 "/%#" PRIx64 ",", name, val, m);
    }
}

static void
fmt_vlan(struct tx_out *o, const struct fview *v)
{
    uint64_t vid_mask, pcp_mask;
    uint64_t vid = fview_int(v, OFPXMT_OFB_VLAN_VID, &vid_mask);
    uint64_t pcp = fview_int(v, OFPXMT_OFB_VLAN_PCP, &pcp_mask);
    uint16_t tci = (uint16_t) (pcp << 13 | vid);
    uint16_t mask = (uint16_t) (pcp_mask << 13 | vid_mask);
    uint16_t vmask = mask & FT_VLAN_VID_MASK, pmask = mask & FT_VLAN_PCP_MASK;

    if (!mask) {
        return;
    }
    if (mask & tci & FT_VLAN_PRESENT
        && (!vmask || vmask == FT_VLAN_VID_MASK)
        && (!pmask || pmask == FT_VLAN_PCP_MASK) && (vmask || pmask)) {
        if (vmask) {
            tx_printf(o, "dl_vlan=%u,", tci & FT_VLAN_VID_MASK);
        }
        if (pmask) {
            tx_printf(o, "dl_vlan_pcp=%u,", tci >> FT_VLAN_PCP_SHIFT);
        }
    } else if (mask == 0xffff) {
        tx_printf(o, "vlan_tci=0x%04x,", tci);
    } else {
        tx_printf(o, "vlan_tci=0x%04x/0x%04x,", tci, mask);
    }
}

void
tx_format_match(struct tx_out *o, const struct ft_match *ft,
                uint16_t priority)
{
    struct fview view;
    const struct fview *v = &view;
    size_t start = o->buf->len;
    fview_init(&view, ft);

    uint64_t type_mask, proto_mask;
    uint64_t dl_type = fview_int(v, OFPXMT_OFB_ETH_TYPE, &type_mask);
    uint64_t nw_proto = fview_int(v, OFPXMT_OFB_IP_PROTO, &proto_mask);
    bool skip_type = false, skip_proto = false;
    bool arp = dl_type == ETH_TYPE_ARP || dl_type == ETH_TYPE_RARP;

    if (priority != 32768) {
        tx_printf(o, "priority=%u,", priority);
    }
    if (type_mask) {
        static const struct { uint16_t type; const char *name; } l2[] = {
            { ETH_TYPE_ARP, "arp" }, { ETH_TYPE_RARP, "rarp" },
            { ETH_TYPE_MPLS, "mpls" }, { ETH_TYPE_MPLSM, "mplsm" },
        };
        skip_type = true;
        if (dl_type == ETH_TYPE_IP || dl_type == ETH_TYPE_IPV6) {
            bool v6 = dl_type == ETH_TYPE_IPV6;
            const char *name = NULL;
            if (proto_mask) {
                switch (nw_proto) {
                case IPPROTO_ICMP_: name = v6 ? NULL : "icmp"; break;
                case IPPROTO_ICMP6_: name = v6 ? "icmp6" : NULL; break;
                case IPPROTO_TCP_: name = v6 ? "tcp6" : "tcp"; break;
                case IPPROTO_UDP_: name = v6 ? "udp6" : "udp"; break;
                case IPPROTO_SCTP_: name = v6 ? "sctp6" : "sctp"; break;
                default: break;
                }
            }
            skip_proto = name != NULL;
            tx_printf(o, "%s,", name ? name : v6 ? "ipv6" : "ip");
        } else {
            skip_type = false;
            for (size_t i = 0; i < OF_ARRAY_SIZE(l2); i++) {
                if (dl_type == l2[i].type) {
                    tx_printf(o, "%s,", l2[i].name);
                    skip_type = true;
                }
            }
        }
    }

    fmt_hex64(o, v, "tun_id", OFPXMT_OFB_TUNNEL_ID);
    fmt_hex64(o, v, "metadata", OFPXMT_OFB_METADATA);
    uint64_t port_mask;
    uint64_t port = fview_int(v, OFPXMT_OFB_IN_PORT, &port_mask);
    if (port_mask) {
        tx_put(o, "in_port=");
        tx_format_port(o, (uint32_t) port);
        tx_putc(o, ',');
    }
    port = fview_int(v, OFPXMT_OFB_IN_PHY_PORT, &port_mask);
    if (port_mask) {
        tx_put(o, "in_phy_port=");
        tx_format_port(o, (uint32_t) port);
        tx_putc(o, ',');
    }
    fmt_vlan(o, v);
    fmt_eth(o, v, "dl_src", OFPXMT_OFB_ETH_SRC);
    fmt_eth(o, v, "dl_dst", OFPXMT_OFB_ETH_DST);
    if (!skip_type && type_mask) {
        tx_printf(o, "dl_type=0x%04" PRIx64 ",", dl_type);
    }
    if (dl_type == ETH_TYPE_PBB) {
        fmt_int(o, v, "pbb_isid", OFPXMT_OFB_PBB_ISID);
    }
    if (dl_type == ETH_TYPE_IPV6) {
        fmt_ipv6(o, v, "ipv6_src", OFPXMT_OFB_IPV6_SRC);
        fmt_ipv6(o, v, "ipv6_dst", OFPXMT_OFB_IPV6_DST);
        uint64_t lmask, label = fview_int(v, OFPXMT_OFB_IPV6_FLABEL, &lmask);
        if (lmask == 0xfffff) {
            tx_printf(o, "ipv6_label=0x%05" PRIx64 ",", label);
        } else if (lmask) {
            tx_printf(o, "ipv6_label=0x%05" PRIx64 "/0x%05" PRIx64 ",",
                      label, lmask);
        }
        uint64_t xmask, xh = fview_int(v, OFPXMT_OFB_IPV6_EXTHDR, &xmask);
        if (xmask == 0x1ff) {
            tx_printf(o, "ipv6_exthdr=%#" PRIx64 ",", xh);
        } else if (xmask) {
            tx_printf(o, "ipv6_exthdr=%#" PRIx64 "/%#" PRIx64 ",", xh, xmask);
        }
    } else if (arp) {
        fmt_ipv4(o, v, "arp_spa", OFPXMT_OFB_ARP_SPA);
        fmt_ipv4(o, v, "arp_tpa", OFPXMT_OFB_ARP_TPA);
    } else {
        fmt_ipv4(o, v, "nw_src", OFPXMT_OFB_IPV4_SRC);
        fmt_ipv4(o, v, "nw_dst", OFPXMT_OFB_IPV4_DST);
    }
    if (arp) {
        uint64_t op_mask, op = fview_int(v, OFPXMT_OFB_ARP_OP, &op_mask);
        if (op_mask) {
            tx_printf(o, "arp_op=%" PRIu64 ",", op);
        }
        fmt_eth(o, v, "arp_sha", OFPXMT_OFB_ARP_SHA);
        fmt_eth(o, v, "arp_tha", OFPXMT_OFB_ARP_THA);
    } else if (!skip_proto && proto_mask) {
        tx_printf(o, "nw_proto=%" PRIu64 ",", nw_proto);
    }
    uint64_t dscp_mask, ecn_mask;
    uint64_t dscp = fview_int(v, OFPXMT_OFB_IP_DSCP, &dscp_mask);
    uint64_t ecn = fview_int(v, OFPXMT_OFB_IP_ECN, &ecn_mask);
    if (dscp_mask) {
        tx_printf(o, "nw_tos=%" PRIu64 ",", dscp << 2);
    }
    if (ecn_mask) {
        tx_printf(o, "nw_ecn=%" PRIu64 ",", ecn);
    }
    uint64_t mmask, mval = fview_int(v, OFPXMT_OFB_MPLS_LABEL, &mmask);
    if (mmask) {
        tx_printf(o, "mpls_label=%" PRIu64 ",", mval);
    }
    mval = fview_int(v, OFPXMT_OFB_MPLS_TC, &mmask);
    if (mmask) {
        tx_printf(o, "mpls_tc=%" PRIu64 ",", mval);
    }
    mval = fview_int(v, OFPXMT_OFB_MPLS_BOS, &mmask);
    if (mmask) {
        tx_printf(o, "mpls_bos=%" PRIu64 ",", mval);
    }
    if ((dl_type == ETH_TYPE_IP && nw_proto == IPPROTO_ICMP_)
        || (dl_type == ETH_TYPE_IPV6 && nw_proto == IPPROTO_ICMP6_)) {
        fmt_int(o, v, "icmp_type", OFPXMT_OFB_ICMPV4_TYPE);
        fmt_int(o, v, "icmp_code", OFPXMT_OFB_ICMPV4_CODE);
        if (dl_type == ETH_TYPE_IPV6) {
            fmt_ipv6(o, v, "nd_target", OFPXMT_OFB_IPV6_ND_TARGET);
            fmt_eth(o, v, "nd_sll", OFPXMT_OFB_ARP_SHA);
            fmt_eth(o, v, "nd_tll", OFPXMT_OFB_ARP_THA);
        }
    } else {
        fmt_int(o, v, "tp_src", OFPXMT_OFB_TCP_SRC);
        fmt_int(o, v, "tp_dst", OFPXMT_OFB_TCP_DST);
    }
    if (o->buf->len > start) {
        tx_chomp(o, ',');
    }
}

int
of_text_format_match(const struct of_match *match, uint16_t priority,
                     struct of_buf *out)
{
    struct tx_out o;
    tx_out_init(&o, out);
    tx_format_match(&o, &match->ft, priority);
    return o.error;
}

int
of_text_parse_match(const char *text, struct of_match *match,
                    char *err, size_t err_size)
{
    struct tx_err e = { err, err_size };
    struct tx_match m;
    char *copy = tx_strdup(text);
    char *pos = copy, *key, *value;
    int error = 0;

    if (!copy) {
        return -ENOMEM;
    }
    tx_fail(&e, "%s", "");
    tx_match_init(&m);
    while (!error && tx_next_kv(&pos, &key, &value)) {
        int r = tx_match_parse_kv(&m, key, value, &e);
        if (r < 0) {
            error = r;
        } else if (!r) {
            error = tx_fail(&e, "unknown field \"%s\"", key);
        }
    }
    if (!error) {
        error = tx_match_finish(&m, match, &e, &e);
    }
    free(copy);
    return error;
}

/* ------------------------------------------------------------------------
 * Set-field destinations and values (for the actions).
 * ---------------------------------------------------------------------- */

/* The names ovs-ofctl prints after "->" in set_field (its field names);
 * fields it does not know keep their OXM names. */
static const char *const set_field_names[OF_OXM_N_FIELDS] = {
    [OFPXMT_OFB_IN_PORT] = "in_port", [OFPXMT_OFB_METADATA] = "metadata",
    [OFPXMT_OFB_ETH_DST] = "eth_dst", [OFPXMT_OFB_ETH_SRC] = "eth_src",
    [OFPXMT_OFB_ETH_TYPE] = "eth_type", [OFPXMT_OFB_VLAN_VID] = "vlan_vid",
    [OFPXMT_OFB_VLAN_PCP] = "vlan_pcp", [OFPXMT_OFB_IP_DSCP] = "ip_dscp",
    [OFPXMT_OFB_IP_ECN] = "nw_ecn", [OFPXMT_OFB_IP_PROTO] = "nw_proto",
    [OFPXMT_OFB_IPV4_SRC] = "ip_src", [OFPXMT_OFB_IPV4_DST] = "ip_dst",
    [OFPXMT_OFB_TCP_SRC] = "tcp_src", [OFPXMT_OFB_TCP_DST] = "tcp_dst",
    [OFPXMT_OFB_UDP_SRC] = "udp_src", [OFPXMT_OFB_UDP_DST] = "udp_dst",
    [OFPXMT_OFB_SCTP_SRC] = "sctp_src", [OFPXMT_OFB_SCTP_DST] = "sctp_dst",
    [OFPXMT_OFB_ICMPV4_TYPE] = "icmp_type", [OFPXMT_OFB_ICMPV4_CODE] = "icmp_code",
    [OFPXMT_OFB_ARP_OP] = "arp_op", [OFPXMT_OFB_ARP_SPA] = "arp_spa",
    [OFPXMT_OFB_ARP_TPA] = "arp_tpa", [OFPXMT_OFB_ARP_SHA] = "arp_sha",
    [OFPXMT_OFB_ARP_THA] = "arp_tha", [OFPXMT_OFB_IPV6_SRC] = "ipv6_src",
    [OFPXMT_OFB_IPV6_DST] = "ipv6_dst", [OFPXMT_OFB_IPV6_FLABEL] = "ipv6_label",
    [OFPXMT_OFB_ICMPV6_TYPE] = "icmpv6_type", [OFPXMT_OFB_ICMPV6_CODE] = "icmpv6_code",
    [OFPXMT_OFB_IPV6_ND_TARGET] = "nd_target", [OFPXMT_OFB_IPV6_ND_SLL] = "nd_sll",
    [OFPXMT_OFB_IPV6_ND_TLL] = "nd_tll", [OFPXMT_OFB_MPLS_LABEL] = "mpls_label",
    [OFPXMT_OFB_MPLS_TC] = "mpls_tc", [OFPXMT_OFB_MPLS_BOS] = "mpls_bos",
    [OFPXMT_OFB_TUNNEL_ID] = "tun_id",
};

const char *
tx_set_field_name(uint8_t field)
{
    if (field < OF_OXM_N_FIELDS && set_field_names[field]) {
        return set_field_names[field];
    }
    return of_oxm_field_name(field);
}

/* Fields ovs-ofctl prints in hex in set_field (its "hexadecimal" ones). */
static bool
field_is_hex(uint8_t field)
{
    return field == OFPXMT_OFB_METADATA || field == OFPXMT_OFB_TUNNEL_ID
           || field == OFPXMT_OFB_IPV6_FLABEL || field == OFPXMT_OFB_ETH_TYPE
           || field == OFPXMT_OFB_PBB_ISID || field == OFPXMT_OFB_IPV6_EXTHDR;
}

void
tx_format_field_value(struct tx_out *o, uint8_t field, const uint8_t *value)
{
    unsigned int len = of_oxm_field_len(field);
    switch (field) {
    case OFPXMT_OFB_ETH_DST: case OFPXMT_OFB_ETH_SRC:
    case OFPXMT_OFB_ARP_SHA: case OFPXMT_OFB_ARP_THA:
    case OFPXMT_OFB_IPV6_ND_SLL: case OFPXMT_OFB_IPV6_ND_TLL:
        put_mac(o, value);
        return;
    case OFPXMT_OFB_IPV4_SRC: case OFPXMT_OFB_IPV4_DST:
    case OFPXMT_OFB_ARP_SPA: case OFPXMT_OFB_ARP_TPA:
        tx_printf(o, "%u.%u.%u.%u", value[0], value[1], value[2], value[3]);
        return;
    case OFPXMT_OFB_IPV6_SRC: case OFPXMT_OFB_IPV6_DST:
    case OFPXMT_OFB_IPV6_ND_TARGET:
        put_ipv6(o, value);
        return;
    case OFPXMT_OFB_IN_PORT: case OFPXMT_OFB_IN_PHY_PORT:
        tx_format_port(o, (uint32_t) of_wire_to_uint(value, len));
        return;
    default:
        tx_printf(o, field_is_hex(field) ? "%#" PRIx64 : "%" PRIu64,
                  of_wire_to_uint(value, len));
        return;
    }
}

/* Parses a hex string of any length ("0x0123...") right-aligned into
 * 'len' bytes (loads into IPv6 fields take 128-bit values). */
static bool
parse_wide_hex(const char *s, uint8_t *wire, unsigned int len)
{
    if (s[0] != '0' || (s[1] != 'x' && s[1] != 'X') || !s[2]) {
        return false;
    }
    s += 2;
    size_t n = strlen(s);
    memset(wire, 0, len);
    for (size_t i = 0; i < n; i++) {
        char c = s[n - 1 - i];
        unsigned int d;
        if (c >= '0' && c <= '9') {
            d = (unsigned int) (c - '0');
        } else if (c >= 'a' && c <= 'f') {
            d = (unsigned int) (c - 'a' + 10);
        } else if (c >= 'A' && c <= 'F') {
            d = (unsigned int) (c - 'A' + 10);
        } else {
            return false;
        }
        if (i / 2 >= len) {
            if (d) {
                return false;
            }
            continue;
        }
        wire[len - 1 - i / 2] |= (uint8_t) (d << (4 * (i % 2)));
    }
    return true;
}

int
tx_parse_field_value(uint8_t field, const char *s, uint8_t *wire,
                     struct tx_err *e)
{
    const char *name = tx_set_field_name(field);
    unsigned int len = of_oxm_field_len(field);
    unsigned int bits = oxm_bits[field];

    if (len > 8 || bits == 48) {
        bool ok;
        if (bits == 48) {
            ok = tx_parse_mac(s, wire);
        } else {
            ok = tx_parse_ipv6(s, wire);
        }
        if (!ok && !parse_wide_hex(s, wire, len)) {
            return tx_fail(e, "%s: invalid value \"%s\"", name, s);
        }
        return 0;
    }
    if ((field == OFPXMT_OFB_IPV4_SRC || field == OFPXMT_OFB_IPV4_DST
         || field == OFPXMT_OFB_ARP_SPA || field == OFPXMT_OFB_ARP_TPA)
        && strchr(s, '.')) {
        if (!tx_parse_ipv4(s, wire)) {
            return tx_fail(e, "%s: invalid IP address \"%s\"", name, s);
        }
        return 0;
    }
    uint64_t v;
    if (field == OFPXMT_OFB_IN_PORT || field == OFPXMT_OFB_IN_PHY_PORT) {
        uint32_t port;
        if (tx_parse_port(s, name, &port, e)) {
            return -EINVAL;
        }
        v = port;
    } else if (tx_parse_uint(s, bits >= 64 ? UINT64_MAX : (1ull << bits) - 1,
                             name, &v, e)) {
        return -EINVAL;
    }
    of_uint_to_wire(v, wire, len);
    return 0;
}

/* NXM/OXM register-style names of the fields that have one whole OXM
 * counterpart (what load:...->NAME[] may target). */
static const struct {
    const char *name;
    uint8_t field;
} nxm_names[] = {
    { "NXM_OF_IN_PORT", OFPXMT_OFB_IN_PORT },
    { "NXM_OF_ETH_DST", OFPXMT_OFB_ETH_DST },
    { "NXM_OF_ETH_SRC", OFPXMT_OFB_ETH_SRC },
    { "NXM_OF_ETH_TYPE", OFPXMT_OFB_ETH_TYPE },
    { "NXM_OF_IP_PROTO", OFPXMT_OFB_IP_PROTO },
    { "NXM_OF_IP_SRC", OFPXMT_OFB_IPV4_SRC },
    { "NXM_OF_IP_DST", OFPXMT_OFB_IPV4_DST },
    { "NXM_OF_TCP_SRC", OFPXMT_OFB_TCP_SRC },
    { "NXM_OF_TCP_DST", OFPXMT_OFB_TCP_DST },
    { "NXM_OF_UDP_SRC", OFPXMT_OFB_UDP_SRC },
    { "NXM_OF_UDP_DST", OFPXMT_OFB_UDP_DST },
    { "NXM_OF_ICMP_TYPE", OFPXMT_OFB_ICMPV4_TYPE },
    { "NXM_OF_ICMP_CODE", OFPXMT_OFB_ICMPV4_CODE },
    { "NXM_OF_ARP_OP", OFPXMT_OFB_ARP_OP },
    { "NXM_OF_ARP_SPA", OFPXMT_OFB_ARP_SPA },
    { "NXM_OF_ARP_TPA", OFPXMT_OFB_ARP_TPA },
    { "NXM_NX_TUN_ID", OFPXMT_OFB_TUNNEL_ID },
    { "NXM_NX_ARP_SHA", OFPXMT_OFB_ARP_SHA },
    { "NXM_NX_ARP_THA", OFPXMT_OFB_ARP_THA },
    { "NXM_NX_IPV6_SRC", OFPXMT_OFB_IPV6_SRC },
    { "NXM_NX_IPV6_DST", OFPXMT_OFB_IPV6_DST },
    { "NXM_NX_IPV6_LABEL", OFPXMT_OFB_IPV6_FLABEL },
    { "NXM_NX_ICMPV6_TYPE", OFPXMT_OFB_ICMPV6_TYPE },
    { "NXM_NX_ICMPV6_CODE", OFPXMT_OFB_ICMPV6_CODE },
    { "NXM_NX_ND_TARGET", OFPXMT_OFB_IPV6_ND_TARGET },
    { "NXM_NX_ND_SLL", OFPXMT_OFB_IPV6_ND_SLL },
    { "NXM_NX_ND_TLL", OFPXMT_OFB_IPV6_ND_TLL },
    { "NXM_NX_IP_ECN", OFPXMT_OFB_IP_ECN },
    { "NXM_NX_MPLS_LABEL", OFPXMT_OFB_MPLS_LABEL },
    { "NXM_NX_MPLS_TC", OFPXMT_OFB_MPLS_TC },
    { "NXM_NX_MPLS_BOS", OFPXMT_OFB_MPLS_BOS },
    { "OXM_OF_METADATA", OFPXMT_OFB_METADATA },
};

int
tx_field_by_name(const char *name)
{
    int f = of_oxm_field_by_name(name);
    if (f >= 0) {
        return f;
    }
    for (int i = 0; i < OF_OXM_N_FIELDS; i++) {
        if (set_field_names[i] && !strcmp(name, set_field_names[i])) {
            return i;
        }
    }
    for (size_t i = 0; i < OF_ARRAY_SIZE(nxm_names); i++) {
        if (!strcmp(name, nxm_names[i].name)) {
            return nxm_names[i].field;
        }
    }
    if (!strncmp(name, "OXM_OF_", 7)) {
        /* OXM_OF_<FIELD>: the OXM name in capitals. */
        char lower[64];
        size_t n = strlen(name + 7);
        if (n < sizeof lower) {
            for (size_t i = 0; i <= n; i++) {
                char c = name[7 + i];
                lower[i] = (char) (c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
            }
            f = of_oxm_field_by_name(lower);
            if (f >= 0) {
                return f;
            }
        }
    }
    /* The OVS aliases the match accepts (nw_src, dl_dst, tp_src...). */
    const struct tf_desc *d = tf_lookup(name);
    if (d && d->store == S_OXM) {
        return d->oxm;
    }
    return -1;
}
