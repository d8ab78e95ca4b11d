/*
 * dp_emc.h — the exact-match cache (EMC) of a PMD worker, and the packet
 * hash it is indexed by.
 *
 * What it is
 * ----------
 * A small cache (default 8192 entries) from a packet's whole flow key to
 * the megaflow that matched it last, in front of the megaflow classifier:
 * a hit costs one hash compare and one key compare instead of a subtable
 * walk. Each key has two candidate slots, picked from the low and the high
 * 16 bits of its 32-bit hash (hence at most DP_EMC_MAX_ENTRIES entries);
 * a lookup checks both. An entry is {hash, full key, megaflow}: the key is
 * compared whole, so a hit is exact whatever the hash.
 *
 * Insertion is probabilistic: one megaflow hit in N (insert_inv_prob,
 * default 100, as Open vSwitch's emc-insert-inv-prob; 1 = always, 0 =
 * never) is inserted, so a flood of short flows does not churn the cache
 * while long flows get in after a few packets. An insert picks, among the
 * two candidates, an empty slot, else one holding a dead megaflow, else the
 * one with the smaller stored hash (an arbitrary but even choice).
 *
 * References: an entry holds a reference on its megaflow
 * (dp_megaflow_try_ref); overwriting, clearing or flushing the entry drops
 * it. A hit on a megaflow that has since been removed (dead) counts as a
 * miss and clears the slot; dp_emc_sweep() clears dead entries a few slots
 * per call, so a quiet cache does not pin removed megaflows for ever.
 *
 * Threads: an EMC belongs to one PMD; only that thread calls anything here
 * except dp_emc_get_stats() and dp_emc_set_insert_inv_prob() (any thread).
 * Whether a port uses the EMC at all is the caller's check. Create it on
 * the PMD so its pages are local to the PMD's NUMA node (first touch).
 * Destroy or flush it before the flow cache its megaflows belong to.
 *
 * The packet hash
 * ---------------
 * dp_packet_hash() is the NIC's RSS hash when the mbuf carries one
 * (RTE_MBUF_F_RX_RSS_HASH), else a CRC32-C (the CPU's instruction, through
 * rte_hash_crc) of in_port and the 5-tuple: IPv4 or IPv6 addresses, IP
 * protocol and L4 ports. For frames that have no IP header, the Ethernet
 * addresses, type and outer VLAN TCI stand in for the 5-tuple (hashing
 * zeros would put all L2 traffic of a port in one pair of slots). A
 * recirculated packet (recirc_id != 0) has its recirc_id mixed in, so its
 * second pass does not compete with its first for the same two slots.
 * Pure: any thread, tests included.
 */
#ifndef VSWITCH_DATAPATH_DP_EMC_H
#define VSWITCH_DATAPATH_DP_EMC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_byteorder.h>
#include <rte_hash_crc.h>
#include <rte_mbuf.h>

#include "datapath/dp_dpcls.h"
#include "flowtable/ft_key.h"

#define DP_EMC_DEFAULT_ENTRIES 8192       /* ~2 MB: fits L2/L3, covers
                                             thousands of active flows */
#define DP_EMC_MAX_ENTRIES 65536          /* slot indexes are 16-bit halves
                                             of the hash */
#define DP_EMC_DEFAULT_INSERT_INV_PROB 100 /* as OVS emc-insert-inv-prob */
#define DP_EMC_SWEEP_SLOTS 64             /* per busy millisecond */
/* The EMC is consulted only when the port's megaflow classifier has at
 * least this many subtables: with one, a classifier hit is one hash probe
 * over a few mask words, as cheap as an EMC hit and without the EMC's
 * misses (and insertions) when flows outnumber its entries. */
#define DP_EMC_MIN_SUBTABLES 2

struct dp_emc;

/* Counters, written by the owning PMD (relaxed), read by anyone. */
struct dp_emc_stats {
    uint64_t lookups;
    uint64_t hits;
    uint64_t inserts;               /* entries written */
    uint64_t evictions;             /* live entries overwritten */
    uint64_t dead_cleared;          /* entries of dead megaflows dropped */
};

/* Creates an empty EMC of 'n_entries' (a power of two, 2 to
 * DP_EMC_MAX_ENTRIES; 0 = DP_EMC_DEFAULT_ENTRIES). NULL with errno EINVAL
 * or ENOMEM. */
struct dp_emc *dp_emc_create(unsigned int n_entries,
                             unsigned int insert_inv_prob);
/* Drops every reference and frees the cache. */
void dp_emc_destroy(struct dp_emc *);
/* Drops every entry (and its reference). */
void dp_emc_flush(struct dp_emc *);

void dp_emc_set_insert_inv_prob(struct dp_emc *, unsigned int inv_prob);
unsigned int dp_emc_get_insert_inv_prob(const struct dp_emc *);
unsigned int dp_emc_capacity(const struct dp_emc *);
/* Entries in use. */
unsigned int dp_emc_count(const struct dp_emc *);
void dp_emc_get_stats(const struct dp_emc *, struct dp_emc_stats *);

/* Looks up 'n' (<= 32) keys with their hashes (dp_packet_hash). Bit i of
 * the result is set when keys[i] hit a live megaflow: mfs[i] is then that
 * megaflow (NULL otherwise). */
uint32_t dp_emc_lookup(struct dp_emc *, const struct ft_key *const keys[],
                       const uint32_t hashes[], unsigned int n,
                       struct dp_megaflow *mfs[]);

/* Caches key -> mf (found by the classifier for this key). Returns false
 * if 'mf' is dead or being freed (nothing cached). */
bool dp_emc_insert(struct dp_emc *, const struct ft_key *key, uint32_t hash,
                   struct dp_megaflow *mf);

/* dp_emc_insert() for one call in insert_inv_prob, at random. Returns
 * whether it inserted. */
bool dp_emc_probabilistic_insert(struct dp_emc *, const struct ft_key *key,
                                 uint32_t hash, struct dp_megaflow *mf);

/* Examines the next 'n_slots' slots (round robin) and clears those whose
 * megaflow is dead; returns how many it cleared. */
unsigned int dp_emc_sweep(struct dp_emc *, unsigned int n_slots);

/* ---- the packet hash ----------------------------------------------------- */

#define DP_PACKET_HASH_BASIS 0x9e3779b9u

/* One CRC32-C step over 8 bytes. The compiler's builtin where SSE4.2 is
 * enabled at build time: rte_hash_crc's volatile asm and run-time check
 * keep consecutive packets' hashes from overlapping. */
static inline uint32_t
dp_crc32_u64(uint64_t value, uint32_t hash)
{
#ifdef __SSE4_2__
    return (uint32_t) __builtin_ia32_crc32di(hash, value);
#else
    return rte_hash_crc_8byte(value, hash);
#endif
}

/* The hash of a packet without an RSS hash: CRC32-C over in_port and the
 * 5-tuple (IPv4 and IPv6), or over the MACs, Ethertype and outer VLAN of
 * anything else. */
static inline uint32_t
dp_key_hash_5tuple(const struct ft_key *key)
{
    uint32_t hash = DP_PACKET_HASH_BASIS ^ key->in_port;
    uint64_t l4 = (uint64_t) key->tp_src << 48 | (uint64_t) key->tp_dst << 32
                  | key->nw_proto;

    if (key->dl_type == RTE_BE16(0x0800)) {
        hash = dp_crc32_u64((uint64_t) key->nw_src << 32 | key->nw_dst,
                            hash);
    } else if (key->dl_type == RTE_BE16(0x86dd)) {
        /* ipv6_src and ipv6_dst are adjacent (static assert in dp_emc.c) */
        const ft_key_word *w = ft_key_u64(key)
                               + offsetof(struct ft_key, ipv6_src) / 8;

        for (unsigned int i = 0; i < 4; i++) {
            hash = dp_crc32_u64(w[i], hash);
        }
    } else {
        /* dl_dst, dl_src, dl_type are adjacent */
        const ft_key_word *w = ft_key_u64(key)
                               + offsetof(struct ft_key, dl_dst) / 8;

        hash = dp_crc32_u64(w[0], hash);
        return dp_crc32_u64((w[1] & UINT64_C(0xffffffffffff))
                            | (uint64_t) key->vlans[0].tci << 48, hash);
    }
    return dp_crc32_u64(l4, hash);
}

static inline uint32_t
dp_packet_hash(const struct rte_mbuf *m, const struct ft_key *key)
{
    uint32_t hash = m->ol_flags & RTE_MBUF_F_RX_RSS_HASH
                    ? m->hash.rss : dp_key_hash_5tuple(key);

    if (key->recirc_id) {
        hash = rte_hash_crc_4byte(key->recirc_id, hash);
    }
    return hash;
}

#endif
