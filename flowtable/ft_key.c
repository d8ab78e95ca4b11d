/*
 * ft_key.c — the flow key's sparse form (miniflow), its hashes and masked
 * compare, and the text form of a key or mask.
 *
 * A miniflow stores only the words whose bit is set in its map, in word
 * order. A "masked" miniflow (ft_miniflow_from_key_masked) has exactly the
 * map of its mask, even where the masked value is zero: that way
 * ft_key_hash_in_mask() and ft_key_matches_miniflow() can walk the mask's
 * map alone and read the key in place, with no copy.
 *
 * Hash: CRC32-C (SSE4.2 instruction via DPDK's rte_hash_crc_8byte) over the
 * map words and then the value words, finished with a multiply/xor-shift
 * mix so that every output bit depends on every input bit (bucket indexes
 * take low bits). ft_miniflow_hash() and ft_key_hash_in_mask() feed the
 * same words in the same order, so they agree by construction.
 *
 * Thread-safety: every function is pure and reentrant; any thread may call
 * any of them. ft_key_format() is for logs, traces and tests, not for the
 * per-packet path.
 */
#include "ft_key.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include <rte_hash_crc.h>

/* Mixes the CRC so that high and low output bits depend on all input bits
 * (CRC is linear; bucket selection takes the low bits). */
static inline uint32_t
hash_finish(uint32_t hash)
{
    hash ^= hash >> 16;
    hash *= 0x85ebca6bu;
    hash ^= hash >> 13;
    hash *= 0xc2b2ae35u;
    hash ^= hash >> 16;
    return hash;
}

unsigned int
ft_miniflow_n_values(const struct ft_miniflow *mf)
{
    unsigned int n = 0;

    for (unsigned int unit = 0; unit < FT_MAP_UNITS; unit++) {
        n += (unsigned int) __builtin_popcountll(mf->map[unit]);
    }
    return n;
}

void
ft_miniflow_from_key(struct ft_miniflow_buf *dst, const struct ft_key *key)
{
    const ft_key_word *words = ft_key_u64(key);
    uint64_t *out = dst->storage;
    uint64_t map[FT_MAP_UNITS] = { 0 };

    /* Values are written to 'storage', which is where mf.values points:
     * the struct places it right after the map. */
    _Static_assert(offsetof(struct ft_miniflow_buf, storage)
                   == offsetof(struct ft_miniflow_buf, mf)
                      + offsetof(struct ft_miniflow, values),
                   "miniflow values live in the buffer's storage");

    for (unsigned int idx = 0; idx < FT_KEY_U64S; idx++) {
        uint64_t word = words[idx];

        if (word) {
            map[idx / 64] |= UINT64_C(1) << (idx % 64);
            *out++ = word;
        }
    }
    memcpy(dst->mf.map, map, sizeof map);
}

void
ft_miniflow_from_key_masked(struct ft_miniflow_buf *dst,
                            const struct ft_key *key,
                            const struct ft_miniflow *mask)
{
    const ft_key_word *words = ft_key_u64(key);
    const uint64_t *mask_values = mask->values;
    uint64_t *out = dst->storage;

    for (unsigned int unit = 0; unit < FT_MAP_UNITS; unit++) {
        uint64_t map = mask->map[unit];

        dst->mf.map[unit] = map;
        for (; map; map &= map - 1) {
            unsigned int idx = unit * 64 + (unsigned int) __builtin_ctzll(map);

            *out++ = words[idx] & *mask_values++;
        }
    }
}

void
ft_miniflow_expand(const struct ft_miniflow *mf, struct ft_key *key)
{
    ft_key_word *words = ft_key_u64_rw(key);
    const uint64_t *values = mf->values;

    memset(key, 0, sizeof *key);
    for (unsigned int unit = 0; unit < FT_MAP_UNITS; unit++) {
        for (uint64_t map = mf->map[unit]; map; map &= map - 1) {
            unsigned int idx = unit * 64 + (unsigned int) __builtin_ctzll(map);

            words[idx] = *values++;
        }
    }
}

uint64_t
ft_miniflow_get(const struct ft_miniflow *mf, unsigned int idx)
{
    unsigned int unit = idx / 64;
    uint64_t bit = UINT64_C(1) << (idx % 64);
    unsigned int pos = 0;

    if (unit >= FT_MAP_UNITS || !(mf->map[unit] & bit)) {
        return 0;
    }
    for (unsigned int u = 0; u < unit; u++) {
        pos += (unsigned int) __builtin_popcountll(mf->map[u]);
    }
    pos += (unsigned int) __builtin_popcountll(mf->map[unit] & (bit - 1));
    return mf->values[pos];
}

uint32_t
ft_miniflow_hash(const struct ft_miniflow *mf, uint32_t basis)
{
    uint32_t hash = basis;
    unsigned int n = 0;

    for (unsigned int unit = 0; unit < FT_MAP_UNITS; unit++) {
        hash = rte_hash_crc_8byte(mf->map[unit], hash);
        n += (unsigned int) __builtin_popcountll(mf->map[unit]);
    }
    for (unsigned int i = 0; i < n; i++) {
        hash = rte_hash_crc_8byte(mf->values[i], hash);
    }
    return hash_finish(hash);
}

uint32_t
ft_key_hash_in_mask(const struct ft_key *key, const struct ft_miniflow *mask,
                    uint32_t basis)
{
    const ft_key_word *words = ft_key_u64(key);
    const uint64_t *mask_values = mask->values;
    uint32_t hash = basis;

    /* Same word sequence as ft_miniflow_hash() of the masked miniflow,
     * whose map is the mask's map. */
    for (unsigned int unit = 0; unit < FT_MAP_UNITS; unit++) {
        hash = rte_hash_crc_8byte(mask->map[unit], hash);
    }
    for (unsigned int unit = 0; unit < FT_MAP_UNITS; unit++) {
        for (uint64_t map = mask->map[unit]; map; map &= map - 1) {
            unsigned int idx = unit * 64 + (unsigned int) __builtin_ctzll(map);

            hash = rte_hash_crc_8byte(words[idx] & *mask_values++, hash);
        }
    }
    return hash_finish(hash);
}

bool
ft_key_matches_miniflow(const struct ft_key *key,
                        const struct ft_miniflow *mask,
                        const struct ft_miniflow *masked)
{
    const ft_key_word *words = ft_key_u64(key);
    const uint64_t *mask_values = mask->values;
    const uint64_t *masked_values = masked->values;

    for (unsigned int unit = 0; unit < FT_MAP_UNITS; unit++) {
        for (uint64_t map = mask->map[unit]; map; map &= map - 1) {
            unsigned int idx = unit * 64 + (unsigned int) __builtin_ctzll(map);

            if ((words[idx] & *mask_values++) != *masked_values++) {
                return false;
            }
        }
    }
    return true;
}

bool
ft_miniflow_equal(const struct ft_miniflow *a, const struct ft_miniflow *b)
{
    if (memcmp(a->map, b->map, sizeof a->map)) {
        return false;
    }
    return !memcmp(a->values, b->values,
                   ft_miniflow_n_values(a) * sizeof a->values[0]);
}

uint32_t
ft_key_hash(const struct ft_key *key, uint32_t basis)
{
    const ft_key_word *words = ft_key_u64(key);
    uint32_t hash = basis;

    for (unsigned int idx = 0; idx < FT_KEY_U64S; idx++) {
        hash = rte_hash_crc_8byte(words[idx], hash);
    }
    return hash_finish(hash);
}

/* ------------------------------------------------------------------------
 * Formatting.
 * ---------------------------------------------------------------------- */

/* snprintf-like accumulator: keeps counting the needed length after the
 * buffer is full, so the caller can learn the size to retry with. */
struct fmt_buf {
    char *buf;
    size_t size;
    size_t len;
};

static void __attribute__((format(printf, 2, 3)))
fmt_append(struct fmt_buf *fb, const char *fmt, ...)
{
    size_t room = fb->len < fb->size ? fb->size - fb->len : 0;
    va_list args;
    int n;

    va_start(args, fmt);
    n = vsnprintf(room ? fb->buf + fb->len : NULL, room, fmt, args);
    va_end(args);
    if (n > 0) {
        fb->len += (size_t) n;
    }
}

/* Starts a "name=" item, with the comma that separates it from the last. */
static void
fmt_name(struct fmt_buf *fb, const char *name)
{
    fmt_append(fb, "%s%s=", fb->len ? "," : "", name);
}

static void
fmt_word(struct fmt_buf *fb, const char *word)
{
    fmt_append(fb, "%s%s", fb->len ? "," : "", word);
}

/* Should a field with this value and mask be printed? With no mask, a field
 * prints when nonzero or when the packet's protocol makes it meaningful. */
static bool
want(bool have_mask, bool mask_nonzero, bool value_nonzero, bool relevant)
{
    return have_mask ? mask_nonzero : (value_nonzero || relevant);
}

/* Unsigned field: decimal when exact, hex value/mask otherwise. 'full' is
 * the all-ones mask of the field's width. */
static void
fmt_uint(struct fmt_buf *fb, const char *name, uint64_t value, uint64_t mask,
         uint64_t full)
{
    fmt_name(fb, name);
    if (mask == full) {
        fmt_append(fb, "%" PRIu64, value & mask);
    } else {
        fmt_append(fb, "0x%" PRIx64 "/0x%" PRIx64, value & mask, mask);
    }
}

/* Unsigned field shown in hex (identifiers, flags). */
static void
fmt_hex(struct fmt_buf *fb, const char *name, uint64_t value, uint64_t mask,
        uint64_t full)
{
    fmt_name(fb, name);
    fmt_append(fb, "0x%" PRIx64, value & mask);
    if (mask != full) {
        fmt_append(fb, "/0x%" PRIx64, mask);
    }
}

static void
fmt_eth_raw(struct fmt_buf *fb, const uint8_t ea[6])
{
    fmt_append(fb, "%02x:%02x:%02x:%02x:%02x:%02x",
               ea[0], ea[1], ea[2], ea[3], ea[4], ea[5]);
}

static void
fmt_eth(struct fmt_buf *fb, const char *name, const struct ft_eth_addr *value,
        const struct ft_eth_addr *mask)
{
    static const struct ft_eth_addr ones = {{ 0xff, 0xff, 0xff, 0xff, 0xff,
                                              0xff }};
    struct ft_eth_addr masked;

    for (int i = 0; i < 6; i++) {
        masked.ea[i] = value->ea[i] & mask->ea[i];
    }
    fmt_name(fb, name);
    fmt_eth_raw(fb, masked.ea);
    if (memcmp(mask, &ones, sizeof ones)) {
        fmt_append(fb, "/");
        fmt_eth_raw(fb, mask->ea);
    }
}

/* Length of the prefix if 'bytes' is a CIDR mask (ones then zeros), else
 * -1. */
static int
cidr_len(const uint8_t *bytes, size_t n)
{
    int len = 0;
    size_t i = 0;

    for (; i < n && bytes[i] == 0xff; i++) {
        len += 8;
    }
    if (i < n) {
        uint8_t b = bytes[i];
        int ones = b ? __builtin_clz((unsigned int) (uint8_t) ~b << 24) : 0;

        if ((uint8_t) (b << ones) != 0) {
            return -1;
        }
        len += ones;
        for (i++; i < n; i++) {
            if (bytes[i]) {
                return -1;
            }
        }
    }
    return len;
}

static void
fmt_ipv4(struct fmt_buf *fb, const char *name, be32 value, be32 mask)
{
    uint8_t v[4], m[4];
    be32 masked = value & mask;
    int prefix;

    memcpy(v, &masked, 4);
    memcpy(m, &mask, 4);
    fmt_name(fb, name);
    fmt_append(fb, "%u.%u.%u.%u", v[0], v[1], v[2], v[3]);
    prefix = cidr_len(m, 4);
    if (prefix == 32) {
        return;
    } else if (prefix >= 0) {
        fmt_append(fb, "/%d", prefix);
    } else {
        fmt_append(fb, "/%u.%u.%u.%u", m[0], m[1], m[2], m[3]);
    }
}

static void
fmt_ipv6(struct fmt_buf *fb, const char *name, const struct ft_in6_addr *value,
         const struct ft_in6_addr *mask)
{
    char text[INET6_ADDRSTRLEN];
    struct ft_in6_addr masked;
    int prefix;

    for (int i = 0; i < 16; i++) {
        masked.s6[i] = value->s6[i] & mask->s6[i];
    }
    inet_ntop(AF_INET6, masked.s6, text, sizeof text);
    fmt_name(fb, name);
    fmt_append(fb, "%s", text);
    prefix = cidr_len(mask->s6, 16);
    if (prefix == 128) {
        return;
    } else if (prefix >= 0) {
        fmt_append(fb, "/%d", prefix);
    } else {
        inet_ntop(AF_INET6, mask->s6, text, sizeof text);
        fmt_append(fb, "/%s", text);
    }
}

static bool
bytes_nonzero(const void *p, size_t n)
{
    const uint8_t *b = p;

    for (size_t i = 0; i < n; i++) {
        if (b[i]) {
            return true;
        }
    }
    return false;
}

/* One VLAN tag: "dl_vlan=V,dl_vlan_pcp=P" when whole subfields are
 * examined, "vlan_tci=0xT/0xM" otherwise. 'suffix' tells tags apart ("" for
 * the outer one, "1" for the inner one). */
static void
fmt_vlan(struct fmt_buf *fb, const struct ft_vlan_tag *tag,
         const struct ft_vlan_tag *tag_mask, bool have_mask,
         const char *suffix)
{
    uint16_t tci = ntohs(tag->tci), tci_mask = ntohs(tag_mask->tci);
    uint16_t tpid = ntohs(tag->tpid), tpid_mask = ntohs(tag_mask->tpid);
    const uint16_t vid_bits = FT_VLAN_PRESENT | FT_VLAN_VID_MASK;
    const uint16_t pcp_bits = FT_VLAN_PRESENT | FT_VLAN_PCP_MASK;
    char name[32];

    if (want(have_mask, tpid_mask, tpid && tpid != 0x8100, false)) {
        snprintf(name, sizeof name, "vlan_tpid%s", suffix);
        fmt_hex(fb, name, tpid, tpid_mask, 0xffff);
    }
    if (!want(have_mask, tci_mask, tci, false)) {
        return;
    }
    if ((tci & tci_mask & FT_VLAN_PRESENT)
        && (tci_mask == 0xffff || tci_mask == vid_bits
            || tci_mask == pcp_bits)) {
        if ((tci_mask & vid_bits) == vid_bits) {
            snprintf(name, sizeof name, "dl_vlan%s", suffix);
            fmt_uint(fb, name, tci & FT_VLAN_VID_MASK, UINT64_MAX, UINT64_MAX);
        }
        /* With no mask, PCP 0 is the common case and left unsaid. */
        if ((tci_mask & pcp_bits) == pcp_bits
            && (have_mask || (tci & FT_VLAN_PCP_MASK))) {
            snprintf(name, sizeof name, "dl_vlan_pcp%s", suffix);
            fmt_uint(fb, name, (tci & FT_VLAN_PCP_MASK) >> FT_VLAN_PCP_SHIFT,
                     UINT64_MAX, UINT64_MAX);
        }
    } else {
        snprintf(name, sizeof name, "vlan_tci%s", suffix);
        fmt_name(fb, name);
        fmt_append(fb, "0x%04x", tci & tci_mask);
        if (tci_mask != 0xffff) {
            fmt_append(fb, "/0x%04x", tci_mask);
        }
    }
}

/* Top MPLS label stack entry: by subfield when whole subfields are
 * examined, as a raw word otherwise. */
static void
fmt_mpls_top(struct fmt_buf *fb, uint32_t lse, uint32_t lse_mask)
{
    static const struct {
        const char *name;
        uint32_t bits;
        int shift;
    } subfields[] = {
        { "mpls_label", 0xfffff000u, 12 },
        { "mpls_tc",    0x00000e00u, 9 },
        { "mpls_bos",   0x00000100u, 8 },
        { "mpls_ttl",   0x000000ffu, 0 },
    };
    uint32_t covered = 0;

    for (size_t i = 0; i < sizeof subfields / sizeof subfields[0]; i++) {
        if ((lse_mask & subfields[i].bits) == subfields[i].bits) {
            covered |= subfields[i].bits;
        }
    }
    if (covered != lse_mask) {
        fmt_hex(fb, "mpls_lse0", lse, lse_mask, 0xffffffffu);
        return;
    }
    for (size_t i = 0; i < sizeof subfields / sizeof subfields[0]; i++) {
        if (lse_mask & subfields[i].bits) {
            fmt_uint(fb, subfields[i].name,
                     (lse & subfields[i].bits) >> subfields[i].shift,
                     UINT64_MAX, UINT64_MAX);
        }
    }
}

static void
fmt_nw_frag(struct fmt_buf *fb, uint8_t frag, uint8_t mask)
{
    const uint8_t both = FT_FRAG_ANY | FT_FRAG_LATER;
    const char *word = NULL;

    frag &= mask;
    if (mask == both) {
        word = frag == 0 ? "no" : frag == FT_FRAG_ANY ? "first"
               : frag == both ? "later" : NULL;
    } else if (mask == FT_FRAG_ANY) {
        word = frag ? "yes" : "no";
    } else if (mask == FT_FRAG_LATER) {
        word = frag ? "later" : "not_later";
    }
    if (word) {
        fmt_name(fb, "nw_frag");
        fmt_append(fb, "%s", word);
    } else {
        fmt_hex(fb, "nw_frag", frag, mask, 0xff);
    }
}

#define ETH_TYPE_IPV4  0x0800
#define ETH_TYPE_ARP   0x0806
#define ETH_TYPE_RARP  0x8035
#define ETH_TYPE_IPV6  0x86dd
#define ETH_TYPE_MPLS  0x8847
#define ETH_TYPE_MPLSM 0x8848
#define IP_PROTO_ICMP   1
#define IP_PROTO_TCP    6
#define IP_PROTO_UDP    17
#define IP_PROTO_SCTP   132
#define IP_PROTO_ICMPV6 58

static void
fmt_dl_type(struct fmt_buf *fb, uint16_t type, uint16_t mask, bool have_mask)
{
    static const struct {
        uint16_t type;
        const char *word;
    } words[] = {
        { ETH_TYPE_IPV4, "ip" }, { ETH_TYPE_IPV6, "ipv6" },
        { ETH_TYPE_ARP, "arp" }, { ETH_TYPE_RARP, "rarp" },
        { ETH_TYPE_MPLS, "mpls" }, { ETH_TYPE_MPLSM, "mplsm" },
    };

    if (!want(have_mask, mask, type, false)) {
        return;
    }
    if (mask == 0xffff) {
        for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
            if (words[i].type == type) {
                fmt_word(fb, words[i].word);
                return;
            }
        }
    }
    fmt_name(fb, "dl_type");
    fmt_append(fb, "0x%04x", type & mask);
    if (mask != 0xffff) {
        fmt_append(fb, "/0x%04x", mask);
    }
}

static void
fmt_metadata(struct fmt_buf *fb, const struct ft_key *k, const struct ft_key *m,
             bool have_mask)
{
    const struct ft_tunnel *t = &k->tunnel, *tm = &m->tunnel;

    if (want(have_mask, tm->tun_id, t->tun_id, false)) {
        fmt_hex(fb, "tun_id", t->tun_id, tm->tun_id, UINT64_MAX);
    }
    if (want(have_mask, tm->ipv4_src, t->ipv4_src, false)) {
        fmt_ipv4(fb, "tun_src", t->ipv4_src, tm->ipv4_src);
    }
    if (want(have_mask, tm->ipv4_dst, t->ipv4_dst, false)) {
        fmt_ipv4(fb, "tun_dst", t->ipv4_dst, tm->ipv4_dst);
    }
    if (want(have_mask, bytes_nonzero(&tm->ipv6_src, 16),
             bytes_nonzero(&t->ipv6_src, 16), false)) {
        fmt_ipv6(fb, "tun_ipv6_src", &t->ipv6_src, &tm->ipv6_src);
    }
    if (want(have_mask, bytes_nonzero(&tm->ipv6_dst, 16),
             bytes_nonzero(&t->ipv6_dst, 16), false)) {
        fmt_ipv6(fb, "tun_ipv6_dst", &t->ipv6_dst, &tm->ipv6_dst);
    }
    if (want(have_mask, tm->flags, t->flags, false)) {
        fmt_hex(fb, "tun_flags", t->flags, tm->flags, 0xffff);
    }
    if (want(have_mask, tm->tos, t->tos, false)) {
        fmt_uint(fb, "tun_tos", t->tos, tm->tos, 0xff);
    }
    if (want(have_mask, tm->ttl, t->ttl, false)) {
        fmt_uint(fb, "tun_ttl", t->ttl, tm->ttl, 0xff);
    }
    if (want(have_mask, tm->tp_src, t->tp_src, false)) {
        fmt_uint(fb, "tun_tp_src", ntohs(t->tp_src), ntohs(tm->tp_src), 0xffff);
    }
    if (want(have_mask, tm->tp_dst, t->tp_dst, false)) {
        fmt_uint(fb, "tun_tp_dst", ntohs(t->tp_dst), ntohs(tm->tp_dst), 0xffff);
    }
    if (want(have_mask, m->metadata, k->metadata, false)) {
        fmt_hex(fb, "metadata", k->metadata, m->metadata, UINT64_MAX);
    }
    if (want(have_mask, m->recirc_id, k->recirc_id, false)) {
        fmt_hex(fb, "recirc_id", k->recirc_id, m->recirc_id, UINT32_MAX);
    }
    if (want(have_mask, m->dp_hash, k->dp_hash, false)) {
        fmt_hex(fb, "dp_hash", k->dp_hash, m->dp_hash, UINT32_MAX);
    }
    if (want(have_mask, m->in_port, k->in_port, true)) {
        fmt_uint(fb, "in_port", k->in_port, m->in_port, UINT32_MAX);
    }
    if (want(have_mask, m->in_phy_port, k->in_phy_port, false)) {
        fmt_uint(fb, "in_phy_port", k->in_phy_port, m->in_phy_port,
                 UINT32_MAX);
    }
}

static void
fmt_l2(struct fmt_buf *fb, const struct ft_key *k, const struct ft_key *m,
       bool have_mask)
{
    static const char *const suffixes[FT_VLAN_MAX] = { "", "1" };

    for (int i = 0; i < FT_VLAN_MAX; i++) {
        fmt_vlan(fb, &k->vlans[i], &m->vlans[i], have_mask, suffixes[i]);
    }
    if (want(have_mask, bytes_nonzero(&m->dl_src, 6), false, true)) {
        fmt_eth(fb, "dl_src", &k->dl_src, &m->dl_src);
    }
    if (want(have_mask, bytes_nonzero(&m->dl_dst, 6), false, true)) {
        fmt_eth(fb, "dl_dst", &k->dl_dst, &m->dl_dst);
    }
    fmt_dl_type(fb, ntohs(k->dl_type), ntohs(m->dl_type), have_mask);
    if (want(have_mask, m->mpls_lse[0], k->mpls_lse[0], false)) {
        fmt_mpls_top(fb, ntohl(k->mpls_lse[0]), ntohl(m->mpls_lse[0]));
    }
    for (int i = 1; i < FT_MPLS_MAX; i++) {
        char name[16];

        if (want(have_mask, m->mpls_lse[i], k->mpls_lse[i], false)) {
            snprintf(name, sizeof name, "mpls_lse%d", i);
            fmt_hex(fb, name, ntohl(k->mpls_lse[i]), ntohl(m->mpls_lse[i]),
                    UINT32_MAX);
        }
    }
    if (want(have_mask, m->pbb_isid, k->pbb_isid, false)) {
        uint32_t isid_mask = ntohl(m->pbb_isid);

        fmt_uint(fb, "pbb_isid", ntohl(k->pbb_isid), isid_mask,
                 isid_mask == UINT32_MAX ? UINT32_MAX : 0xffffff);
    }
    if (want(have_mask, m->pbb_uca, k->pbb_uca, false)) {
        fmt_uint(fb, "pbb_uca", k->pbb_uca, m->pbb_uca, m->pbb_uca);
    }
}

static void
fmt_l3(struct fmt_buf *fb, const struct ft_key *k, const struct ft_key *m,
       bool have_mask)
{
    uint16_t dl_type = ntohs(k->dl_type & m->dl_type);
    bool is_ip4 = dl_type == ETH_TYPE_IPV4;
    bool is_ip6 = dl_type == ETH_TYPE_IPV6;
    bool is_arp = dl_type == ETH_TYPE_ARP || dl_type == ETH_TYPE_RARP;
    uint8_t tos_mask = m->nw_tos;

    if (want(have_mask, m->nw_src, k->nw_src, is_ip4 || is_arp)) {
        fmt_ipv4(fb, is_arp ? "arp_spa" : "nw_src", k->nw_src, m->nw_src);
    }
    if (want(have_mask, m->nw_dst, k->nw_dst, is_ip4 || is_arp)) {
        fmt_ipv4(fb, is_arp ? "arp_tpa" : "nw_dst", k->nw_dst, m->nw_dst);
    }
    if (want(have_mask, bytes_nonzero(&m->ipv6_src, 16),
             bytes_nonzero(&k->ipv6_src, 16), is_ip6)) {
        fmt_ipv6(fb, "ipv6_src", &k->ipv6_src, &m->ipv6_src);
    }
    if (want(have_mask, bytes_nonzero(&m->ipv6_dst, 16),
             bytes_nonzero(&k->ipv6_dst, 16), is_ip6)) {
        fmt_ipv6(fb, "ipv6_dst", &k->ipv6_dst, &m->ipv6_dst);
    }
    if (want(have_mask, m->ipv6_label, k->ipv6_label, false)) {
        fmt_hex(fb, "ipv6_label", ntohl(k->ipv6_label), ntohl(m->ipv6_label),
                ntohl(m->ipv6_label) == UINT32_MAX ? UINT32_MAX : 0xfffff);
    }
    if (is_arp) {
        /* nw_proto mirrors the opcode's low byte: show it only when the
         * mask looks at it without looking at the opcode. */
        if (have_mask && m->nw_proto && !m->arp_op) {
            fmt_uint(fb, "nw_proto", k->nw_proto, m->nw_proto, 0xff);
        }
    } else if (want(have_mask, m->nw_proto, k->nw_proto, is_ip4 || is_ip6)) {
        fmt_uint(fb, "nw_proto", k->nw_proto, m->nw_proto, 0xff);
    }
    if (want(have_mask, tos_mask & 0xfc, k->nw_tos & 0xfc, false)) {
        fmt_uint(fb, "nw_tos", k->nw_tos & 0xfc, tos_mask & 0xfc, 0xfc);
    }
    if (want(have_mask, tos_mask & 0x03, k->nw_tos & 0x03, false)) {
        fmt_uint(fb, "nw_ecn", k->nw_tos & 0x03, tos_mask & 0x03, 0x03);
    }
    if (want(have_mask, m->nw_ttl, k->nw_ttl, false)) {
        fmt_uint(fb, "nw_ttl", k->nw_ttl, m->nw_ttl, 0xff);
    }
    if (want(have_mask, m->nw_frag, k->nw_frag, false)) {
        fmt_nw_frag(fb, k->nw_frag, have_mask ? m->nw_frag
                                              : FT_FRAG_ANY | FT_FRAG_LATER);
    }
    if (want(have_mask, m->arp_op, k->arp_op, is_arp)) {
        fmt_uint(fb, "arp_op", ntohs(k->arp_op), ntohs(m->arp_op), 0xffff);
    }
    if (want(have_mask, bytes_nonzero(&m->nd_target, 16),
             bytes_nonzero(&k->nd_target, 16), false)) {
        fmt_ipv6(fb, "nd_target", &k->nd_target, &m->nd_target);
    }
    if (want(have_mask, bytes_nonzero(&m->arp_sha, 6),
             bytes_nonzero(&k->arp_sha, 6), false)) {
        fmt_eth(fb, is_ip6 ? "nd_sll" : "arp_sha", &k->arp_sha, &m->arp_sha);
    }
    if (want(have_mask, bytes_nonzero(&m->arp_tha, 6),
             bytes_nonzero(&k->arp_tha, 6), false)) {
        fmt_eth(fb, is_ip6 ? "nd_tll" : "arp_tha", &k->arp_tha, &m->arp_tha);
    }
    if (want(have_mask, m->ipv6_exthdr, k->ipv6_exthdr, false)) {
        fmt_hex(fb, "ipv6_exthdr", k->ipv6_exthdr, m->ipv6_exthdr,
                m->ipv6_exthdr == 0xffff ? 0xffff : 0x1ff);
    }
}

static void
fmt_l4(struct fmt_buf *fb, const struct ft_key *k, const struct ft_key *m,
       bool have_mask)
{
    uint16_t dl_type = ntohs(k->dl_type & m->dl_type);
    bool is_ip = dl_type == ETH_TYPE_IPV4 || dl_type == ETH_TYPE_IPV6;
    uint8_t proto = k->nw_proto & m->nw_proto;
    bool later = (k->nw_frag & m->nw_frag & FT_FRAG_LATER) != 0;
    bool has_ports = is_ip && !later
                     && (proto == IP_PROTO_TCP || proto == IP_PROTO_UDP
                         || proto == IP_PROTO_SCTP
                         || (proto == IP_PROTO_ICMP
                             && dl_type == ETH_TYPE_IPV4)
                         || (proto == IP_PROTO_ICMPV6
                             && dl_type == ETH_TYPE_IPV6));
    const char *src_name = "tp_src", *dst_name = "tp_dst";

    if (is_ip && proto == IP_PROTO_ICMP && dl_type == ETH_TYPE_IPV4) {
        src_name = "icmp_type";
        dst_name = "icmp_code";
    } else if (is_ip && proto == IP_PROTO_ICMPV6 && dl_type == ETH_TYPE_IPV6) {
        src_name = "icmpv6_type";
        dst_name = "icmpv6_code";
    }
    if (want(have_mask, m->tp_src, k->tp_src, has_ports)) {
        fmt_uint(fb, src_name, ntohs(k->tp_src), ntohs(m->tp_src), 0xffff);
    }
    if (want(have_mask, m->tp_dst, k->tp_dst, has_ports)) {
        fmt_uint(fb, dst_name, ntohs(k->tp_dst), ntohs(m->tp_dst), 0xffff);
    }
    if (want(have_mask, m->tcp_flags, k->tcp_flags, false)) {
        uint16_t flags_mask = ntohs(m->tcp_flags);

        fmt_hex(fb, "tcp_flags", ntohs(k->tcp_flags), flags_mask,
                flags_mask == 0xffff ? 0xffff : 0x0fff);
    }
}

int
ft_key_format(const struct ft_key *key, const struct ft_key *mask,
              char *buf, size_t size)
{
    struct fmt_buf fb = { .buf = buf, .size = size, .len = 0 };
    struct ft_key all_ones;
    const struct ft_key *m = mask;
    bool have_mask = mask != NULL;

    if (!m) {
        memset(&all_ones, 0xff, sizeof all_ones);
        m = &all_ones;
    }
    if (size) {
        buf[0] = '\0';
    }
    fmt_metadata(&fb, key, m, have_mask);
    fmt_l2(&fb, key, m, have_mask);
    fmt_l3(&fb, key, m, have_mask);
    fmt_l4(&fb, key, m, have_mask);
    return fb.len > INT32_MAX ? INT32_MAX : (int) fb.len;
}
