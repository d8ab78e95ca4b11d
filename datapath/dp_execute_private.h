/*
 * dp_execute_private.h — what dp_execute.c (the list walk, ownership,
 * push/pop, meters) and dp_execute_set.c (SET_MASKED and checksums) share:
 * the batch being executed and the shape of its headers.
 *
 * A batch is a set of packets that run through the same actions and have
 * the same header layout ("shape": VLAN count, L2.5, L3 and L4 kinds), so
 * every decision that depends on the layout is made once per batch and
 * only offsets and bytes are per packet. Offsets are kept as the actions
 * change the packets (a push moves what follows); DP_LAYER_ABSENT marks a
 * header a packet does not have (or that the parser found cut short).
 *
 * Threads: the executing thread only; nothing here is shared.
 */
#ifndef VSWITCH_DATAPATH_DP_EXECUTE_PRIVATE_H
#define VSWITCH_DATAPATH_DP_EXECUTE_PRIVATE_H

#include <stdbool.h>
#include <stdint.h>

#include "datapath/dp_execute.h"

enum exec_l3 {
    EXEC_L3_NONE,       /* none, unknown, or not parsed (MPLS/PBB payload) */
    EXEC_L3_IPV4,
    EXEC_L3_IPV6,
    EXEC_L3_ARP,        /* Ethernet/IPv4 ARP or RARP */
};

enum exec_l4 {
    EXEC_L4_NONE,
    EXEC_L4_TCP,
    EXEC_L4_UDP,
    EXEC_L4_SCTP,
    EXEC_L4_ICMP,       /* ICMPv4 in IPv4 */
    EXEC_L4_ICMPV6,     /* ICMPv6 in IPv6, not ND */
    EXEC_L4_ND,         /* ICMPv6 NS/NA with code 0 */
};

/* The header layout a batch shares. Compared as a whole (memcmp): keep
 * it free of padding. */
struct exec_shape {
    uint8_t n_vlans;    /* VLAN tags the key describes, then as pushed and
                           popped */
    uint8_t n_mpls;     /* label stack entries known (0..FT_MPLS_MAX) */
    uint8_t l3;         /* enum exec_l3 */
    uint8_t l4;         /* enum exec_l4 */
    uint8_t pbb;        /* the outer Ethertype is 0x88e7 (I-TAG follows) */
};

struct exec_batch {
    unsigned int n;
    bool holes;                     /* some pkts[] were set to NULL */
    struct exec_shape shape;
    uint32_t queue_id;              /* SET_QUEUE so far */
    struct rte_mbuf *pkts[DP_EXEC_BATCH_MAX];
    const struct ft_key *keys[DP_EXEC_BATCH_MAX];
    uint16_t l2_end[DP_EXEC_BATCH_MAX]; /* after the last L2 Ethertype:
                                           where MPLS / I-TAG / L3 start */
    uint16_t l3[DP_EXEC_BATCH_MAX];
    uint16_t l4[DP_EXEC_BATCH_MAX];
    struct dp_exec_meta meta;
};

/* Makes b->pkts[i] safe to edit: a shared or indirect mbuf is replaced by
 * a private copy. On failure the packet is freed, pkts[i] becomes NULL
 * (b->holes is set; the caller compacts) and false is returned. */
bool dp_exec_writable(struct dp_exec_ctx *, struct exec_batch *,
                      unsigned int i);

/* Applies acts[0..n) (all SET_MASKED) to every packet of 'b' in one pass
 * per packet; metadata words go to b->meta. May leave holes. */
void dp_exec_set_run(struct dp_exec_ctx *, struct exec_batch *,
                     const struct ft_dpact *acts, unsigned int n);

/* Raises the DSCP of IP packet b->pkts[i] (writable, of an IPv4 or IPv6
 * batch) by 'prec_level' drop-precedence levels, ECN kept, IPv4 header
 * checksum fixed. */
void dp_exec_dscp_remark(struct exec_batch *, unsigned int i,
                         uint8_t prec_level);

/* Does this set touch packet bytes (not only metadata)? */
static inline bool
dp_exec_set_is_packet(const struct ft_dpact *a)
{
    return a->set.word >= DP_EXEC_META_WORDS && a->set.word < FT_KEY_U64S;
}

#endif
