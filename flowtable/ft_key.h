/*
 * ft_key.h — the flow key: every field a packet can be matched on.
 *
 * struct ft_key holds every OpenFlow 1.3.5 OXM basic field plus the switch's
 * own metadata (tunnel metadata, recirculation id, a second VLAN tag and
 * the whole MPLS stack top). The datapath parses packets into it, the
 * classifier and the megaflow caches match on it, xlate reads it.
 *
 * Layout rules (the classifier depends on them):
 *  - The key is an array of 64-bit words (FT_KEY_U64S); the sparse form
 *    (miniflow) and the classifier work word by word, masks bit by bit.
 *  - Fields are grouped by lookup stage in this order: metadata, L2, L3, L4.
 *    The FT_STAGE_*_END offsets mark the boundaries; a staged lookup that
 *    misses at stage N examines no word of a later stage.
 *  - Packet fields are in network byte order (ovs_be* style naming: be16,
 *    be32); switch metadata (in_port, recirc_id, metadata, tun_id) is in
 *    host byte order.
 *  - A field that is absent in the packet is zero, and so is all padding,
 *    so that two keys of identical packets compare equal byte for byte.
 *
 * Encoding conventions (as Open vSwitch, so OpenFlow semantics map 1:1):
 *  - vlans[i].tci carries FT_VLAN_PRESENT (the CFI bit 0x1000) when the tag
 *    exists; vlans[0] is the outermost tag. OXM VLAN_VID with OFPVID_PRESENT
 *    maps to vlans[0].tci & (FT_VLAN_PRESENT|FT_VLAN_VID_MASK).
 *  - ICMPv4/ICMPv6 type and code live in tp_src and tp_dst (low byte).
 *  - ARP: nw_src/nw_dst are SPA/TPA, arp_sha/arp_tha are SHA/THA, nw_proto
 *    holds the low 8 bits of the opcode (arp_op keeps all 16).
 *  - IPv6 ND: nd_target, and arp_sha/arp_tha hold the SLL/TLL options.
 *  - nw_tos is the whole TOS/traffic-class byte: DSCP = nw_tos >> 2,
 *    ECN = nw_tos & 3.
 *  - mpls_lse[0] is the top label stack entry (label, TC, BOS, TTL as on
 *    the wire); deeper entries follow, up to FT_MPLS_MAX.
 *
 * Thread-safety: plain data. Functions in this header are pure and may be
 * called from any thread, including PMD workers.
 */
#ifndef VSWITCH_FLOWTABLE_FT_KEY_H
#define VSWITCH_FLOWTABLE_FT_KEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>

typedef uint16_t be16;
typedef uint32_t be32;
typedef uint64_t be64;

struct ft_eth_addr {
    uint8_t ea[6];
};

struct ft_in6_addr {
    uint8_t s6[16];
};

/* VLAN TCI bits, host order (convert with htons when applying to tci). */
#define FT_VLAN_PCP_MASK  0xe000
#define FT_VLAN_PCP_SHIFT 13
#define FT_VLAN_PRESENT   0x1000   /* the CFI bit, reused as "tag present" */
#define FT_VLAN_VID_MASK  0x0fff

#define FT_MPLS_MAX 3              /* label stack entries kept in the key */
#define FT_VLAN_MAX 2              /* 802.1Q / 802.1ad tags kept in the key */

/* nw_frag bits. */
#define FT_FRAG_ANY   0x01         /* packet is a fragment */
#define FT_FRAG_LATER 0x02         /* ...and not the first one */

/* tunnel.flags bits. */
#define FT_TNL_F_DONT_FRAGMENT 0x0001
#define FT_TNL_F_CSUM          0x0002
#define FT_TNL_F_KEY           0x0004  /* tun_id is meaningful */
#define FT_TNL_F_OAM           0x0008

/* OFPIEH_* bits of OXM IPV6_EXTHDR (OpenFlow 1.3, ofp_ipv6exthdr_flags). */
#define FT_IPV6_EXTHDR_NONEXT 0x0001  /* "No next header" encountered */
#define FT_IPV6_EXTHDR_ESP    0x0002  /* Encrypted Sec Payload header present */
#define FT_IPV6_EXTHDR_AUTH   0x0004  /* Authentication header present */
#define FT_IPV6_EXTHDR_DEST   0x0008  /* 1 or 2 dest headers present */
#define FT_IPV6_EXTHDR_FRAG   0x0010  /* Fragment header present */
#define FT_IPV6_EXTHDR_ROUTER 0x0020  /* Router header present */
#define FT_IPV6_EXTHDR_HOP    0x0040  /* Hop-by-hop header present */
#define FT_IPV6_EXTHDR_UNREP  0x0080  /* Unexpected repeats encountered */
#define FT_IPV6_EXTHDR_UNSEQ  0x0100  /* Unexpected sequencing encountered */

struct ft_tunnel {
    struct ft_in6_addr ipv6_src;    /* outer IPv6 source, or zero */
    struct ft_in6_addr ipv6_dst;    /* outer IPv6 destination, or zero */
    be32 ipv4_src;                  /* outer IPv4 source, or zero */
    be32 ipv4_dst;                  /* outer IPv4 destination, or zero */
    uint64_t tun_id;                /* VNI / GRE key / STT context, host order */
    uint16_t flags;                 /* FT_TNL_F_* */
    uint8_t tos;
    uint8_t ttl;
    be16 tp_src;                    /* outer UDP/TCP ports (VXLAN, STT) */
    be16 tp_dst;
};

struct ft_vlan_tag {
    be16 tpid;                      /* 0x8100 or 0x88a8 when present */
    be16 tci;                       /* with FT_VLAN_PRESENT when present */
};

struct ft_key {
    /* ---- stage 0: metadata ------------------------------------------ */
    struct ft_tunnel tunnel;        /* 56 bytes, words 0..6 */
    uint64_t metadata;              /* OXM METADATA, word 7 */
    uint32_t in_port;               /* OpenFlow port number, host order */
    uint32_t in_phy_port;           /* OXM IN_PHY_PORT */
    uint32_t recirc_id;             /* 0 on first pass */
    uint32_t dp_hash;               /* hash used by SELECT groups */

    /* ---- stage 1: L2 ---------------------------------------------------- */
    struct ft_eth_addr dl_dst;
    struct ft_eth_addr dl_src;
    be16 dl_type;                   /* innermost Ethertype (after tags) */
    uint8_t pad_l2[2];
    struct ft_vlan_tag vlans[FT_VLAN_MAX];
    be32 mpls_lse[FT_MPLS_MAX];     /* label stack, top first */
    be32 pbb_isid;                  /* 802.1ah I-SID (low 24 bits) */
    uint8_t pbb_uca;                /* 802.1ah I-TAG UCA bit */
    uint8_t pad_pbb[7];

    /* ---- stage 2: L3 ---------------------------------------------------- */
    struct ft_in6_addr ipv6_src;
    struct ft_in6_addr ipv6_dst;
    struct ft_in6_addr nd_target;
    be32 nw_src;                    /* IPv4 source or ARP SPA */
    be32 nw_dst;                    /* IPv4 destination or ARP TPA */
    be32 ipv6_label;                /* low 20 bits */
    uint8_t nw_frag;                /* FT_FRAG_* */
    uint8_t nw_tos;                 /* DSCP << 2 | ECN */
    uint8_t nw_ttl;
    uint8_t nw_proto;               /* IP protocol or low 8 bits of ARP op */
    struct ft_eth_addr arp_sha;     /* ARP SHA or ND source link-layer */
    struct ft_eth_addr arp_tha;     /* ARP THA or ND target link-layer */
    be16 arp_op;
    uint16_t ipv6_exthdr;           /* FT_IPV6_EXTHDR_* */

    /* ---- stage 3: L4 ---------------------------------------------------- */
    be16 tp_src;                    /* TCP/UDP/SCTP port, or ICMP type */
    be16 tp_dst;                    /* TCP/UDP/SCTP port, or ICMP code */
    be16 tcp_flags;                 /* low 12 bits */
    uint8_t pad_l4[2];
} __attribute__((aligned(8)));

#define FT_KEY_U64S (sizeof(struct ft_key) / sizeof(uint64_t))

/* Word offsets where each lookup stage ends (exclusive). */
#define FT_STAGE_META_END (offsetof(struct ft_key, dl_dst) / 8)
#define FT_STAGE_L2_END   (offsetof(struct ft_key, ipv6_src) / 8)
#define FT_STAGE_L3_END   (offsetof(struct ft_key, tp_src) / 8)
#define FT_STAGE_L4_END   FT_KEY_U64S

_Static_assert(sizeof(struct ft_key) % 8 == 0, "key is whole words");
_Static_assert(offsetof(struct ft_key, dl_dst) % 8 == 0, "stage boundary");
_Static_assert(offsetof(struct ft_key, ipv6_src) % 8 == 0, "stage boundary");
_Static_assert(offsetof(struct ft_key, tp_src) % 8 == 0, "stage boundary");

/* A mask has the same layout as the key: 1-bits are examined. */
struct ft_mask {
    struct ft_key masks;
};

/* The key is read and written word by word through this type, which may
 * alias the key's fields (the parser writes fields, the classifier and
 * caches read words of the same object); a plain uint64_t pointer would
 * let the compiler reorder those accesses under strict aliasing. */
typedef uint64_t ft_key_word __attribute__((may_alias));

static inline const ft_key_word *
ft_key_u64(const struct ft_key *key)
{
    return (const ft_key_word *) (const void *) key;
}

static inline ft_key_word *
ft_key_u64_rw(struct ft_key *key)
{
    return (ft_key_word *) (void *) key;
}

/* Whole-key zeroing and compares run once or twice per packet (parser,
 * EMC): as a handful of 32-byte vector operations (GCC vector extension;
 * split into SSE halves where AVX is missing) rather than memset/memcmp,
 * whose start-up cost (rep stos, a library call) dominated the parse. */
typedef uint64_t ft_key_vec
    __attribute__((vector_size(32), aligned(8), may_alias));

#define FT_KEY_VECS (sizeof(struct ft_key) / sizeof(ft_key_vec))

static inline void
ft_key_zero(struct ft_key *key)
{
    ft_key_vec *v = (ft_key_vec *) (void *) key;
    ft_key_word *w = ft_key_u64_rw(key);
    const ft_key_vec zero = { 0, 0, 0, 0 };

    for (size_t i = 0; i < FT_KEY_VECS; i++) {
        v[i] = zero;
    }
    for (size_t i = FT_KEY_VECS * 4; i < FT_KEY_U64S; i++) {
        w[i] = 0;
    }
}

static inline bool
ft_key_equal(const struct ft_key *a, const struct ft_key *b)
{
    const ft_key_vec *va = (const ft_key_vec *) (const void *) a;
    const ft_key_vec *vb = (const ft_key_vec *) (const void *) b;
    const ft_key_word *wa = ft_key_u64(a), *wb = ft_key_u64(b);
    ft_key_vec diff = { 0, 0, 0, 0 };
    uint64_t rest = 0;

    for (size_t i = 0; i < FT_KEY_VECS; i++) {
        diff |= va[i] ^ vb[i];
    }
    for (size_t i = FT_KEY_VECS * 4; i < FT_KEY_U64S; i++) {
        rest |= wa[i] ^ wb[i];
    }
    return !(diff[0] | diff[1] | diff[2] | diff[3] | rest);
}

/* Does the packet of 'key' carry at least one VLAN tag? */
static inline bool
ft_key_has_vlan(const struct ft_key *key)
{
    return (key->vlans[0].tci & htons(FT_VLAN_PRESENT)) != 0;
}

/* ------------------------------------------------------------------------
 * Miniflow: the sparse form of a key (or a mask), for hashing and masked
 * compare. 'map' has one bit per key word that is stored; 'values' holds
 * only those words, in word order. A key is mostly zero (no tunnel, no
 * IPv6 on an IPv4 packet...), so a miniflow is a fraction of the key's
 * size and hashing it touches only the words that matter.
 *
 * struct ft_miniflow is followed in memory by its values; use
 * FT_MINIFLOW_INLINE(N) to declare one with room for N values on the stack.
 * ---------------------------------------------------------------------- */

#define FT_MAP_UNITS 2            /* 128 bits of map cover FT_KEY_U64S words */
_Static_assert(FT_KEY_U64S <= 64 * FT_MAP_UNITS, "map covers the key");

struct ft_miniflow {
    uint64_t map[FT_MAP_UNITS];
    uint64_t values[];
};

/* A miniflow with room for every word of a key. Embedding a struct with a
 * flexible array member is a GNU extension (gcc and clang lay 'storage' out
 * right where mf.values points; ft_key.c asserts it); clang warns about it
 * even without -pedantic, hence the pragma. */
#if defined(__clang__)
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wgnu-variable-sized-type-not-at-end"
#endif
struct ft_miniflow_buf {
    struct ft_miniflow mf;
    uint64_t storage[FT_KEY_U64S];
};
#if defined(__clang__)
#pragma clang diagnostic pop
#endif

/* Count of values stored in 'mf'. */
unsigned int ft_miniflow_n_values(const struct ft_miniflow *mf);

/* Builds the sparse form of 'key' (only nonzero words are stored). */
void ft_miniflow_from_key(struct ft_miniflow_buf *dst, const struct ft_key *key);

/* Builds the sparse form of 'key' restricted to the words present in
 * 'mask' and ANDed with it: the "masked key" of a megaflow or rule. */
void ft_miniflow_from_key_masked(struct ft_miniflow_buf *dst,
                                 const struct ft_key *key,
                                 const struct ft_miniflow *mask);

/* Expands 'mf' back into a full key (absent words are zero). */
void ft_miniflow_expand(const struct ft_miniflow *mf, struct ft_key *key);

/* Value of key word 'idx' in 'mf' (zero when absent). */
uint64_t ft_miniflow_get(const struct ft_miniflow *mf, unsigned int idx);

/* Hash of the words of 'mf' (and of its map), seeded with 'basis'.
 * Uses the CPU's CRC32 instruction. Equal miniflows hash equally. */
uint32_t ft_miniflow_hash(const struct ft_miniflow *mf, uint32_t basis);

/* Hash of 'key' under 'mask': equal to ft_miniflow_hash() of
 * ft_miniflow_from_key_masked(key, mask). The hot-path form: no copy. */
uint32_t ft_key_hash_in_mask(const struct ft_key *key,
                             const struct ft_miniflow *mask, uint32_t basis);

/* True if 'key' & 'mask' == 'masked' (a miniflow built by
 * ft_miniflow_from_key_masked with the same mask). */
bool ft_key_matches_miniflow(const struct ft_key *key,
                             const struct ft_miniflow *mask,
                             const struct ft_miniflow *masked);

bool ft_miniflow_equal(const struct ft_miniflow *a,
                       const struct ft_miniflow *b);

/* Hash of a whole key (all words). */
uint32_t ft_key_hash(const struct ft_key *key, uint32_t basis);

/* Formats 'key' (or, with 'mask' non-NULL, only the fields it examines) as
 * an ovs-ofctl-style match string ("in_port=1,dl_vlan=10,ip,nw_src=..."),
 * for logs, traces and tests. Returns the length that was needed, like
 * snprintf. */
int ft_key_format(const struct ft_key *key, const struct ft_key *mask,
                  char *buf, size_t size);

#endif
