/*
 * dp_execute_set.c — SET_MASKED on packets: key word bits to header bytes,
 * with incremental checksum fixes (see dp_execute.h for the semantics).
 *
 * How. A table maps every writable key field to where it lives in the
 * packet: a base (frame start, L2.5, L3, L4, ND target, ND option) plus an
 * offset, the bits of it that are packet bits (the rest of the key's bits
 * there are structure or padding), and the checksums it is covered by.
 * Nearly every key field is byte-identical to its header field (network
 * order, same width), so an edit is a masked byte copy; the two that are
 * not (IPv6 traffic class, which straddles a nibble boundary, and PBB's
 * UCA bit) have their own kinds.
 *
 * A run of consecutive SET_MASKED actions is first turned, once per batch,
 * into a plan: the list of byte edits (segments) that apply to the batch's
 * shape. Then each packet gets every edit of the plan and at most one fix
 * per checksum: the ones' complement sum of the 16-bit words an edit
 * touches is taken before and after it (RFC 1624: HC' = ~(~HC + ~m + m'))
 * and the differences are summed per checksum. Address edits count both
 * in the IPv4 header checksum and in the L4 pseudo-header. SCTP's CRC32c
 * is not incremental: it is recomputed, XORed with the packet's old CRC and
 * the old correct one so that a corrupt packet stays corrupt.
 *
 * Every write is bounds-checked against the first segment, whatever the
 * shape promises, so a malformed packet can at worst be left unchanged.
 *
 * Threads: the executing thread; pure functions of the batch.
 */
#include "dp_execute_private.h"

#include <string.h>

#include <rte_byteorder.h>
#include <rte_hash_crc.h>

#include "flowtable/ft_meter.h"
#include "lib/util.h"

#define ETH_ADDR_LEN 6
#define IPV4_CSUM_OFS 10
#define IPV6_HLEN 40
#define TCP_CSUM_OFS 16
#define UDP_CSUM_OFS 6
#define ICMP_CSUM_OFS 2
#define SCTP_CSUM_OFS 8
#define SCTP_HLEN 12
#define ND_TARGET_END 24        /* ICMPv6 header + target */
#define ND_OPT_UNIT 8
#define ND_OPT_SLL 1
#define ND_OPT_TLL 2
#define ND_OPT_ADDR_OFS 2       /* type, length, then the address */
#define PBB_UCA_BIT 0x08        /* in the I-TAG's first byte */
#define IP_PROTO_HOPOPTS 0
#define IP_PROTO_ROUTING 43
#define IP_PROTO_FRAGMENT 44
#define IP_PROTO_AH 51
#define IP_PROTO_DSTOPTS 60

/* Where a field's offset counts from. */
enum seg_base {
    BASE_FRAME,
    BASE_L2_5,          /* MPLS top LSE or PBB I-TAG */
    BASE_L3,
    BASE_L4,
    BASE_ND,            /* L4 of an ND message whose target is complete */
    BASE_ND_SLL,        /* the ND source link-layer option */
    BASE_ND_TLL,        /* the ND target link-layer option */
    N_BASES
};

enum seg_kind {
    SEG_BYTES,          /* byte-identical: masked copy */
    SEG_TCLASS6,        /* IPv6 traffic class (nibble-shifted) */
    SEG_PBB_UCA,        /* bit 0 of the key byte is I-TAG bit 0x08 */
};

/* Checksums a field is covered by. */
#define CS_IP4       0x01   /* IPv4 header checksum */
#define CS_PSEUDO    0x02   /* L4 pseudo-header (TCP, UDP, ICMPv6) */
#define CS_L4        0x04   /* the L4 checksum (or SCTP CRC) itself */
#define CS_DST6      0x08   /* IPv6 destination: not the final one when a
                               routing header has segments left */

/* What the batch's shape must have for the field to exist. */
enum need {
    NEED_ETH,
    NEED_VLAN0,
    NEED_VLAN1,
    NEED_MPLS0,
    NEED_MPLS1,
    NEED_MPLS2,
    NEED_PBB,
    NEED_IPV4,
    NEED_IPV6,
    NEED_ARP,
    NEED_PORTS,         /* TCP, UDP or SCTP */
    NEED_TCP,
    NEED_ICMP,          /* ICMPv4, ICMPv6 or ND */
    NEED_ND,
};

struct field_map {
    uint16_t key_ofs;       /* byte offset in struct ft_key */
    uint8_t len;            /* bytes */
    uint8_t need;           /* enum need */
    uint8_t base;           /* enum seg_base */
    uint8_t hdr_ofs;        /* from the base */
    uint8_t csum;           /* CS_* */
    uint8_t kind;           /* enum seg_kind */
    uint8_t allow[4];       /* packet bits per byte; all zero: every bit */
};

#define KOFS(member) ((uint16_t) offsetof(struct ft_key, member))

/* Every key field a set can write. A field may appear once per header it
 * can live in (nw_src is IPv4's or ARP's). */
static const struct field_map fields[] = {
    { KOFS(dl_dst), 6, NEED_ETH, BASE_FRAME, 0, 0, SEG_BYTES, { 0 } },
    { KOFS(dl_src), 6, NEED_ETH, BASE_FRAME, 6, 0, SEG_BYTES, { 0 } },
    /* Outer tag at 12, inner at 16; the TCI's CFI/DEI bit is the key's
     * "present" marker, not the controller's. */
    { KOFS(vlans[0].tpid), 2, NEED_VLAN0, BASE_FRAME, 12, 0, SEG_BYTES,
      { 0 } },
    { KOFS(vlans[0].tci), 2, NEED_VLAN0, BASE_FRAME, 14, 0, SEG_BYTES,
      { 0xef, 0xff } },
    { KOFS(vlans[1].tpid), 2, NEED_VLAN1, BASE_FRAME, 16, 0, SEG_BYTES,
      { 0 } },
    { KOFS(vlans[1].tci), 2, NEED_VLAN1, BASE_FRAME, 18, 0, SEG_BYTES,
      { 0xef, 0xff } },
    /* Label, TC and TTL; the bottom-of-stack bit is structure. */
    { KOFS(mpls_lse[0]), 4, NEED_MPLS0, BASE_L2_5, 0, 0, SEG_BYTES,
      { 0xff, 0xff, 0xfe, 0xff } },
    { KOFS(mpls_lse[1]), 4, NEED_MPLS1, BASE_L2_5, 4, 0, SEG_BYTES,
      { 0xff, 0xff, 0xfe, 0xff } },
    { KOFS(mpls_lse[2]), 4, NEED_MPLS2, BASE_L2_5, 8, 0, SEG_BYTES,
      { 0xff, 0xff, 0xfe, 0xff } },
    { KOFS(pbb_isid), 4, NEED_PBB, BASE_L2_5, 0, 0, SEG_BYTES,
      { 0x00, 0xff, 0xff, 0xff } },
    { KOFS(pbb_uca), 1, NEED_PBB, BASE_L2_5, 0, 0, SEG_PBB_UCA, { 0x01 } },
    { KOFS(ipv6_src), 16, NEED_IPV6, BASE_L3, 8, CS_PSEUDO, SEG_BYTES,
      { 0 } },
    { KOFS(ipv6_dst), 16, NEED_IPV6, BASE_L3, 24, CS_PSEUDO | CS_DST6,
      SEG_BYTES, { 0 } },
    { KOFS(nd_target), 16, NEED_ND, BASE_ND, 8, CS_L4, SEG_BYTES, { 0 } },
    { KOFS(nw_src), 4, NEED_IPV4, BASE_L3, 12, CS_IP4 | CS_PSEUDO,
      SEG_BYTES, { 0 } },
    { KOFS(nw_dst), 4, NEED_IPV4, BASE_L3, 16, CS_IP4 | CS_PSEUDO,
      SEG_BYTES, { 0 } },
    { KOFS(nw_src), 4, NEED_ARP, BASE_L3, 14, 0, SEG_BYTES, { 0 } },
    { KOFS(nw_dst), 4, NEED_ARP, BASE_L3, 24, 0, SEG_BYTES, { 0 } },
    /* The flow label is the low 20 bits of the first IPv6 word. */
    { KOFS(ipv6_label), 4, NEED_IPV6, BASE_L3, 0, 0, SEG_BYTES,
      { 0x00, 0x0f, 0xff, 0xff } },
    { KOFS(nw_tos), 1, NEED_IPV4, BASE_L3, 1, CS_IP4, SEG_BYTES, { 0 } },
    { KOFS(nw_tos), 1, NEED_IPV6, BASE_L3, 0, 0, SEG_TCLASS6, { 0 } },
    { KOFS(nw_ttl), 1, NEED_IPV4, BASE_L3, 8, CS_IP4, SEG_BYTES, { 0 } },
    { KOFS(nw_ttl), 1, NEED_IPV6, BASE_L3, 7, 0, SEG_BYTES, { 0 } },
    { KOFS(arp_sha), 6, NEED_ARP, BASE_L3, 8, 0, SEG_BYTES, { 0 } },
    { KOFS(arp_tha), 6, NEED_ARP, BASE_L3, 18, 0, SEG_BYTES, { 0 } },
    { KOFS(arp_sha), 6, NEED_ND, BASE_ND_SLL, ND_OPT_ADDR_OFS, CS_L4,
      SEG_BYTES, { 0 } },
    { KOFS(arp_tha), 6, NEED_ND, BASE_ND_TLL, ND_OPT_ADDR_OFS, CS_L4,
      SEG_BYTES, { 0 } },
    { KOFS(arp_op), 2, NEED_ARP, BASE_L3, 6, 0, SEG_BYTES, { 0 } },
    { KOFS(tp_src), 2, NEED_PORTS, BASE_L4, 0, CS_L4, SEG_BYTES, { 0 } },
    { KOFS(tp_dst), 2, NEED_PORTS, BASE_L4, 2, CS_L4, SEG_BYTES, { 0 } },
    /* ICMP type and code are the low (second) bytes of tp_src/tp_dst. */
    { KOFS(tp_src) + 1, 1, NEED_ICMP, BASE_L4, 0, CS_L4, SEG_BYTES, { 0 } },
    { KOFS(tp_dst) + 1, 1, NEED_ICMP, BASE_L4, 1, CS_L4, SEG_BYTES, { 0 } },
    /* The 12 flag bits; the data offset above them is structure. */
    { KOFS(tcp_flags), 2, NEED_TCP, BASE_L4, 12, CS_L4, SEG_BYTES,
      { 0x0f, 0xff } },
};

/* One byte edit of a plan: packet[base + hdr_ofs + k] gets val[k] under
 * mask[k] (val already within mask). */
struct set_seg {
    uint8_t base;
    uint8_t kind;
    uint8_t csum;
    uint8_t len;
    uint8_t hdr_ofs;
    uint8_t val[8];
    uint8_t mask[8];
};

/* A word spans at most 8 fields, so an action adds at most 8 segments. */
#define SEGS_PER_ACTION 8
#define PLAN_MAX_SEGS 64

struct set_plan {
    unsigned int n;
    uint8_t csum;           /* union of the segments' CS_* */
    bool nd_opts;           /* some segment is an ND option */
    struct set_seg segs[PLAN_MAX_SEGS];
};

static bool
shape_has(const struct exec_shape *s, enum need need)
{
    switch (need) {
    case NEED_ETH:   return true;
    case NEED_VLAN0: return s->n_vlans >= 1;
    case NEED_VLAN1: return s->n_vlans >= 2;
    case NEED_MPLS0: return s->n_mpls >= 1;
    case NEED_MPLS1: return s->n_mpls >= 2;
    case NEED_MPLS2: return s->n_mpls >= 3;
    case NEED_PBB:   return s->pbb;
    case NEED_IPV4:  return s->l3 == EXEC_L3_IPV4;
    case NEED_IPV6:  return s->l3 == EXEC_L3_IPV6;
    case NEED_ARP:   return s->l3 == EXEC_L3_ARP;
    case NEED_PORTS: return s->l4 == EXEC_L4_TCP || s->l4 == EXEC_L4_UDP
                            || s->l4 == EXEC_L4_SCTP;
    case NEED_TCP:   return s->l4 == EXEC_L4_TCP;
    case NEED_ICMP:  return s->l4 == EXEC_L4_ICMP || s->l4 == EXEC_L4_ICMPV6
                            || s->l4 == EXEC_L4_ND;
    case NEED_ND:    return s->l4 == EXEC_L4_ND;
    }
    return false;
}

/* Adds the edits of set action 'a' (a packet word) for 'shape'. */
static void
plan_add(struct set_plan *plan, const struct exec_shape *shape,
         const struct ft_dpact *a)
{
    unsigned int word_start = a->set.word * 8;
    uint8_t val[8], mask[8];

    memcpy(val, &a->set.value, sizeof val);
    memcpy(mask, &a->set.mask, sizeof mask);

    for (size_t f = 0; f < ARRAY_SIZE(fields); f++) {
        const struct field_map *fm = &fields[f];
        unsigned int start = MAX(fm->key_ofs, word_start);
        unsigned int end = MIN(fm->key_ofs + fm->len, word_start + 8);
        struct set_seg *seg = &plan->segs[plan->n];
        bool any = false;

        if (start >= end || !shape_has(shape, fm->need)) {
            continue;
        }
        for (unsigned int k = start; k < end; k++) {
            unsigned int in_field = k - fm->key_ofs;
            uint8_t m = mask[k - word_start];

            if (fm->len <= sizeof fm->allow
                && (fm->allow[0] | fm->allow[1] | fm->allow[2]
                    | fm->allow[3])) {
                m &= fm->allow[in_field];
            }
            seg->mask[k - start] = m;
            seg->val[k - start] = val[k - word_start] & m;
            any |= m != 0;
        }
        if (!any) {
            continue;
        }
        seg->base = fm->base;
        seg->kind = fm->kind;
        seg->csum = fm->csum;
        seg->len = (uint8_t) (end - start);
        seg->hdr_ofs = (uint8_t) (fm->hdr_ofs + (start - fm->key_ofs));
        plan->csum |= fm->csum;
        plan->nd_opts |= fm->base == BASE_ND_SLL || fm->base == BASE_ND_TLL;
        plan->n++;
    }
}

/* ---- checksum arithmetic ------------------------------------------------- */

static inline uint16_t
load16(const uint8_t *p)
{
    uint16_t v;

    memcpy(&v, p, sizeof v);
    return v;
}

static inline void
store16(uint8_t *p, uint16_t v)
{
    memcpy(p, &v, sizeof v);
}

/* Ones' complement sum of the 16-bit words in p[0..len), len even, folded. */
static inline uint16_t
sum16(const uint8_t *p, unsigned int len)
{
    uint32_t sum = 0;

    for (unsigned int k = 0; k < len; k += 2) {
        sum += load16(p + k);
    }
    sum = (sum & 0xffff) + (sum >> 16);
    sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t) sum;
}

/* Checksum field 'csum' after words whose sums changed by 'diff'
 * (accumulated ~old + new). Byte order independent, like the sum. */
static inline uint16_t
csum_update(uint16_t csum, uint32_t diff)
{
    uint32_t sum = (uint16_t) ~csum + diff;

    sum = (sum & 0xffff) + (sum >> 16);
    sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t) ~sum;
}

/* CRC32c of p[0..len) continuing 'crc', with the CPU's CRC32 instruction
 * where there is one (rte_hash_crc_*). Packet bytes sit at any alignment:
 * they are loaded with memcpy, not through rte_hash_crc()'s casts. */
static uint32_t
crc32c_update(const uint8_t *p, uint32_t len, uint32_t crc)
{
    for (; len >= 8; p += 8, len -= 8) {
        uint64_t v;

        memcpy(&v, p, sizeof v);
        crc = rte_hash_crc_8byte(v, crc);
    }
    if (len >= 4) {
        uint32_t v;

        memcpy(&v, p, sizeof v);
        crc = rte_hash_crc_4byte(v, crc);
        p += 4;
        len -= 4;
    }
    while (len--) {
        crc = rte_hash_crc_1byte(*p++, crc);
    }
    return crc;
}

/* SCTP's CRC32c (RFC 4960 appendix B) over sctp[0..len), its checksum
 * field taken as zero; host order (the wire holds it little-endian). */
static uint32_t
sctp_crc(const uint8_t *sctp, uint32_t len)
{
    uint32_t crc = crc32c_update(sctp, SCTP_CSUM_OFS, 0xffffffff);

    crc = rte_hash_crc_4byte(0, crc);
    crc = crc32c_update(sctp + SCTP_HLEN, len - SCTP_HLEN, crc);
    return ~crc;
}

/* ---- per-packet helpers -------------------------------------------------- */

/* End of the IP packet at 'l3' (validated by the parser; still clamped). */
static uint32_t
ip_end(const uint8_t *p, uint32_t len, uint16_t l3, uint8_t l3_kind)
{
    uint32_t end = l3_kind == EXEC_L3_IPV4
                   ? l3 + (uint32_t) rte_be_to_cpu_16(load16(p + l3 + 2))
                   : l3 + IPV6_HLEN
                     + (uint32_t) rte_be_to_cpu_16(load16(p + l3 + 4));
    return MIN(end, len);
}

/* Does the IPv6 packet at 'l3' carry a routing header with segments left
 * (then its destination field is not the final destination the L4
 * pseudo-header uses)? Walks the extension headers up to 'l4'. */
static bool
ipv6_routed(const uint8_t *p, uint32_t len, uint16_t l3, uint16_t l4)
{
    uint32_t ofs = l3 + IPV6_HLEN;
    uint8_t next = p[l3 + 6];

    while (ofs + 8 <= MIN(len, (uint32_t) l4)) {
        uint32_t hlen;

        switch (next) {
        case IP_PROTO_ROUTING:
            return p[ofs + 3] != 0;
        case IP_PROTO_HOPOPTS:
        case IP_PROTO_DSTOPTS:
            hlen = ((uint32_t) p[ofs + 1] + 1) * 8;
            break;
        case IP_PROTO_AH:
            hlen = ((uint32_t) p[ofs + 1] + 2) * 4;
            break;
        case IP_PROTO_FRAGMENT:
            hlen = 8;
            break;
        default:
            return false;
        }
        next = p[ofs];
        ofs += hlen;
    }
    return false;
}

/* Offsets of the ND SLL and TLL options of the message at 'l4' (whose
 * target is complete), with the parser's rules: a malformed list or a
 * repeated option leaves both absent, as the key then has neither. */
static void
nd_options(const uint8_t *p, uint32_t l4, uint32_t end, uint16_t *sll,
           uint16_t *tll)
{
    uint32_t ofs = l4 + ND_TARGET_END;

    *sll = *tll = DP_LAYER_ABSENT;
    while (ofs < end) {
        uint32_t opt_len;

        if (end - ofs < ND_OPT_UNIT) {
            goto malformed;
        }
        opt_len = (uint32_t) p[ofs + 1] * ND_OPT_UNIT;
        if (opt_len == 0 || opt_len > end - ofs) {
            goto malformed;
        }
        if (opt_len == ND_OPT_UNIT && p[ofs] == ND_OPT_SLL) {
            if (*sll != DP_LAYER_ABSENT) {
                goto malformed;
            }
            *sll = (uint16_t) ofs;
        } else if (opt_len == ND_OPT_UNIT && p[ofs] == ND_OPT_TLL) {
            if (*tll != DP_LAYER_ABSENT) {
                goto malformed;
            }
            *tll = (uint16_t) ofs;
        }
        ofs += opt_len;
    }
    return;

malformed:
    *sll = *tll = DP_LAYER_ABSENT;
}

/* Checksum differences of one packet, by checksum. */
struct csum_acc {
    uint32_t ip4;
    uint32_t pseudo;
    uint32_t l4;
    bool ip4_touched;
    bool l4_touched;
};

static void
seg_apply(const struct set_seg *seg, uint8_t *p, uint32_t len, uint32_t base,
          bool routed, struct csum_acc *acc)
{
    uint32_t ofs = base + seg->hdr_ofs;

    switch (seg->kind) {
    case SEG_BYTES: {
        /* The 16-bit words around the edit, aligned to the base: every
         * base is at an even distance from its checksum's start. */
        uint32_t a0 = base + (seg->hdr_ofs & ~1u);
        uint32_t a1 = base + ((seg->hdr_ofs + seg->len + 1u) & ~1u);
        uint16_t old = 0;

        if (a1 > len) {
            return;
        }
        if (seg->csum) {
            old = sum16(p + a0, a1 - a0);
        }
        for (unsigned int k = 0; k < seg->len; k++) {
            p[ofs + k] = (uint8_t) ((p[ofs + k] & ~seg->mask[k])
                                    | seg->val[k]);
        }
        if (seg->csum) {
            uint32_t d = (uint16_t) ~old + (uint32_t) sum16(p + a0, a1 - a0);

            if (seg->csum & CS_IP4) {
                acc->ip4 += d;
                acc->ip4_touched = true;
            }
            if ((seg->csum & CS_PSEUDO)
                && !((seg->csum & CS_DST6) && routed)) {
                acc->pseudo += d;
                acc->l4_touched = true;
            }
            if (seg->csum & CS_L4) {
                acc->l4 += d;
                acc->l4_touched = true;
            }
        }
        break;
    }
    case SEG_TCLASS6: {
        uint8_t tc, new_tc;

        if (ofs + 2 > len) {
            return;
        }
        tc = (uint8_t) ((p[ofs] & 0x0f) << 4 | p[ofs + 1] >> 4);
        new_tc = (uint8_t) ((tc & ~seg->mask[0]) | seg->val[0]);
        p[ofs] = (uint8_t) ((p[ofs] & 0xf0) | new_tc >> 4);
        p[ofs + 1] = (uint8_t) ((p[ofs + 1] & 0x0f) | (new_tc & 0x0f) << 4);
        break;
    }
    case SEG_PBB_UCA:
        if (ofs + 1 > len) {
            return;
        }
        p[ofs] = (uint8_t) ((p[ofs] & ~PBB_UCA_BIT)
                            | (seg->val[0] ? PBB_UCA_BIT : 0));
        break;
    }
}

/* Writes the accumulated L4 checksum change. */
static void
l4_csum_fix(uint8_t *p, uint32_t len, uint16_t l4, uint8_t l4_kind,
            const struct csum_acc *acc)
{
    uint32_t ofs;
    uint32_t diff = acc->l4 + acc->pseudo;
    uint16_t csum;

    switch (l4_kind) {
    case EXEC_L4_TCP:
        ofs = l4 + TCP_CSUM_OFS;
        break;
    case EXEC_L4_UDP:
        ofs = l4 + UDP_CSUM_OFS;
        break;
    case EXEC_L4_ICMP:
        /* No pseudo-header in ICMPv4. */
        ofs = l4 + ICMP_CSUM_OFS;
        diff = acc->l4;
        break;
    case EXEC_L4_ICMPV6:
    case EXEC_L4_ND:
        ofs = l4 + ICMP_CSUM_OFS;
        break;
    default:
        return;
    }
    if (ofs + 2 > len) {
        return;
    }
    csum = load16(p + ofs);
    if (l4_kind == EXEC_L4_UDP) {
        if (!csum) {
            return;             /* no checksum: stays so */
        }
        csum = csum_update(csum, diff);
        store16(p + ofs, csum ? csum : 0xffff);
        return;
    }
    store16(p + ofs, csum_update(csum, diff));
}

/* ---- the run ------------------------------------------------------------ */

static void
plan_apply(struct dp_exec_ctx *ctx, struct exec_batch *b,
           const struct set_plan *plan)
{
    const struct exec_shape *shape = &b->shape;
    bool sctp_edits = shape->l4 == EXEC_L4_SCTP && (plan->csum & CS_L4);
    bool ip = shape->l3 == EXEC_L3_IPV4 || shape->l3 == EXEC_L3_IPV6;

    for (unsigned int i = 0; i < b->n; i++) {
        struct csum_acc acc = { 0 };
        uint32_t bases[N_BASES];
        uint32_t sctp_old_ok = 0, end = 0;
        uint16_t l3 = b->l3[i], l4 = b->l4[i];
        bool routed = false, sctp = false;
        uint32_t len;
        uint8_t *p;

        if (!dp_exec_writable(ctx, b, i)) {
            continue;
        }
        p = rte_pktmbuf_mtod(b->pkts[i], uint8_t *);
        len = rte_pktmbuf_data_len(b->pkts[i]);

        bases[BASE_FRAME] = 0;
        bases[BASE_L2_5] = b->l2_end[i];
        bases[BASE_L3] = l3;
        bases[BASE_L4] = l4;
        bases[BASE_ND] = bases[BASE_ND_SLL] = bases[BASE_ND_TLL]
            = DP_LAYER_ABSENT;
        if (ip && l3 != DP_LAYER_ABSENT) {
            end = ip_end(p, len, l3, shape->l3);
            if (shape->l3 == EXEC_L3_IPV6 && l4 != DP_LAYER_ABSENT
                && (b->keys[i]->ipv6_exthdr & FT_IPV6_EXTHDR_ROUTER)) {
                routed = ipv6_routed(p, len, l3, l4);
            }
        }
        if (shape->l4 == EXEC_L4_ND && l4 != DP_LAYER_ABSENT
            && (uint32_t) l4 + ND_TARGET_END <= end) {
            bases[BASE_ND] = l4;
            if (plan->nd_opts) {
                uint16_t sll, tll;

                nd_options(p, l4, end, &sll, &tll);
                bases[BASE_ND_SLL] = sll;
                bases[BASE_ND_TLL] = tll;
            }
        }
        if (sctp_edits && l4 != DP_LAYER_ABSENT
            && (uint32_t) l4 + SCTP_HLEN <= end) {
            /* The CRC the packet should have had, before the edits. */
            sctp = true;
            sctp_old_ok = sctp_crc(p + l4, end - l4);
        }

        for (unsigned int s = 0; s < plan->n; s++) {
            const struct set_seg *seg = &plan->segs[s];

            if (bases[seg->base] != DP_LAYER_ABSENT) {
                seg_apply(seg, p, len, bases[seg->base], routed, &acc);
            }
        }

        if (acc.ip4_touched && shape->l3 == EXEC_L3_IPV4) {
            uint32_t ofs = l3 + IPV4_CSUM_OFS;

            store16(p + ofs, csum_update(load16(p + ofs), acc.ip4));
        }
        if (acc.l4_touched && l4 != DP_LAYER_ABSENT) {
            if (sctp) {
                uint32_t wire, crc;

                memcpy(&wire, p + l4 + SCTP_CSUM_OFS, sizeof wire);
                crc = rte_le_to_cpu_32(wire) ^ sctp_old_ok
                      ^ sctp_crc(p + l4, end - l4);
                wire = rte_cpu_to_le_32(crc);
                memcpy(p + l4 + SCTP_CSUM_OFS, &wire, sizeof wire);
            } else {
                l4_csum_fix(p, len, l4, shape->l4, &acc);
            }
        }
    }
}

void
dp_exec_set_run(struct dp_exec_ctx *ctx, struct exec_batch *b,
                const struct ft_dpact *acts, unsigned int n)
{
    struct set_plan plan;

    plan.n = 0;
    plan.csum = 0;
    plan.nd_opts = false;
    for (unsigned int a = 0; a < n; a++) {
        const struct ft_dpact *act = &acts[a];

        if (!dp_exec_set_is_packet(act)) {
            unsigned int w = act->set.word;

            if (w < DP_EXEC_META_WORDS) {
                b->meta.value[w] = (b->meta.value[w] & ~act->set.mask)
                                   | (act->set.value & act->set.mask);
                b->meta.mask[w] |= act->set.mask;
            }
            continue;
        }
        if (plan.n + SEGS_PER_ACTION > PLAN_MAX_SEGS) {
            /* A long run: apply what we have, then go on. */
            plan_apply(ctx, b, &plan);
            plan.n = 0;
            plan.csum = 0;
            plan.nd_opts = false;
        }
        plan_add(&plan, &b->shape, act);
    }
    if (plan.n) {
        plan_apply(ctx, b, &plan);
    }
}

/* ---- meters' DSCP remark ------------------------------------------------- */

void
dp_exec_dscp_remark(struct exec_batch *b, unsigned int i, uint8_t prec_level)
{
    struct rte_mbuf *m = b->pkts[i];
    uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);
    uint32_t len = rte_pktmbuf_data_len(m);
    uint16_t l3 = b->l3[i];

    if (l3 == DP_LAYER_ABSENT) {
        return;
    }
    if (b->shape.l3 == EXEC_L3_IPV4) {
        uint8_t tos, new_tos;
        uint16_t old;

        if ((uint32_t) l3 + IPV4_CSUM_OFS + 2 > len) {
            return;
        }
        tos = p[l3 + 1];
        new_tos = (uint8_t) (ft_meter_dscp_remark(tos >> 2, prec_level) << 2
                             | (tos & 3));
        old = load16(p + l3);
        p[l3 + 1] = new_tos;
        store16(p + l3 + IPV4_CSUM_OFS,
                csum_update(load16(p + l3 + IPV4_CSUM_OFS),
                            (uint16_t) ~old + (uint32_t) load16(p + l3)));
    } else if (b->shape.l3 == EXEC_L3_IPV6) {
        uint8_t tc, new_tc;

        if ((uint32_t) l3 + 2 > len) {
            return;
        }
        tc = (uint8_t) ((p[l3] & 0x0f) << 4 | p[l3 + 1] >> 4);
        new_tc = (uint8_t) (ft_meter_dscp_remark(tc >> 2, prec_level) << 2
                            | (tc & 3));
        p[l3] = (uint8_t) ((p[l3] & 0xf0) | new_tc >> 4);
        p[l3 + 1] = (uint8_t) ((p[l3 + 1] & 0x0f) | (new_tc & 0x0f) << 4);
    }
}
