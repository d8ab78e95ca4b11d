/*
 * dp_execute.h — datapath action execution: runs a megaflow's datapath
 * actions (flowtable/ft_dpact.h, whose essay is the semantics) on the
 * batch of packets of one burst that share them.
 *
 * What it is
 * ----------
 * dp_execute() takes a batch of received packets with their parsed keys and
 * layer offsets (dp_parse.h) and one action list, and executes the list on
 * every packet: it rewrites headers, pushes and pops tags, meters, copies,
 * and hands packets to the sinks the caller plugged into the context
 * (output to a datapath port, to the controller, back to the datapath for
 * recirculation). It is the building block the PMD loop calls once per
 * megaflow per burst; it owns nothing between calls.
 *
 * Ownership (the invariant the tests check with a mempool count)
 * ---------
 * dp_execute() takes ownership of every mbuf it is given. Each one ends up,
 * exactly once, handed to a sink (which then owns it) or freed (counted as
 * a drop by reason). Copies it makes come from ctx->pool and obey the same
 * rule. Sinks receive arrays they must not keep; they own the mbufs.
 *
 * Move, share or copy. An action that hands the packet off (OUTPUT,
 * CONTROLLER) gives:
 *  - the mbuf itself when no later action of the list uses the packet (the
 *    common "set...; output" list costs no copy);
 *  - the same mbuf with one more reference (rte_pktmbuf_refcnt_update)
 *    when later actions only read it (more outputs, controller): flooding
 *    to N ports costs N-1 counter increments, no bytes copied;
 *  - a private copy (rte_pktmbuf_copy) when a later action modifies the
 *    packet (a set, push/pop, meter remark) or hands it to recirculation,
 *    which may modify it: transmission is deferred to the end of the burst,
 *    so a shared buffer would leave with edits made after its OUTPUT.
 * Consequently a sink may receive a shared mbuf (refcnt > 1): it must
 * treat the bytes as read-only, or copy first, unless
 * rte_mbuf_refcnt_read(m) == 1 and RTE_MBUF_DIRECT(m). The executor itself
 * follows that rule: before editing a packet that arrived shared or
 * indirect it replaces it with a private copy.
 * CLONE runs its body on the packets themselves when nothing after the
 * clone uses them, on shared references when neither the body nor what
 * follows modifies them, and on private copies otherwise.
 *
 * SET_MASKED. Key word bits map to header bits field by field (ft_key.h):
 * Ethernet addresses; VLAN TPID and TCI of the outer and inner tag; MPLS
 * label, TC and TTL of the top FT_MPLS_MAX entries; PBB I-SID and UCA;
 * IPv4 addresses, TOS, TTL (header checksum fixed incrementally); IPv6
 * addresses, traffic class, flow label, hop limit; TCP/UDP/SCTP ports, TCP
 * flags, ICMPv4/v6 type and code (TCP, UDP, ICMP and ICMPv6 checksums fixed
 * incrementally, address rewrites included through the pseudo-header; a
 * zero UDP checksum means "none" and stays zero, over IPv4 and, for
 * tunnels (RFC 6935), IPv6; SCTP's CRC32c is recomputed, keeping a wrong
 * CRC wrong); ARP opcode, SPA, TPA, SHA, THA; ND target and the SLL/TLL
 * options (an option the packet lacks is not added). Partial masks are
 * honoured bit by bit; consecutive sets are applied in one pass with one
 * checksum fix per header.
 * Bits that describe the packet's structure rather than a field are
 * ignored: dl_type, nw_proto (including the ARP opcode's alias of it),
 * nw_frag, ipv6_exthdr, the VLAN "present" bit (the wire's DEI position,
 * which is left as it is), the MPLS bottom-of-stack bit, the TCP data
 * offset, the ICMP high bytes of tp_src/tp_dst, and padding. A set on a
 * header the packet does not have leaves it unchanged (xlate checked the
 * prerequisites, so a megaflow's packets have the header or not alike).
 * Metadata words (tunnel, metadata, in_port, in_phy_port, recirc_id,
 * dp_hash: FT_STAGE_META_END words) are not packet bytes: sets on them
 * accumulate in a struct dp_exec_meta overlay that the controller and
 * recirculation sinks receive, so a recirculated packet keeps e.g. a
 * tunnel id set before RECIRC (dp_exec_recirc_key()).
 *
 * Push and pop. PUSH_VLAN inserts (tpid, tci) outside the outermost tag
 * (any number of stacked tags; the TCI's present bit is not sent); POP_VLAN
 * removes the outermost tag, if any (TPID 0x8100, 0x88a8 or 0x9100).
 * PUSH_MPLS inserts the LSE after the Ethernet header and its tags (on an
 * MPLS packet: on top of the stack) and writes the Ethertype before it;
 * POP_MPLS removes the top LSE and writes the given Ethertype (an 802.3
 * frame's length field follows). PUSH_PBB prepends the outer Ethernet
 * header and the I-TAG: B-DA and B-SA are copies of the customer's
 * destination and source MACs (OpenFlow 1.3 copies existing fields into the
 * new header; set-fields after the push change them), the Ethertype is
 * 0x88e7, the I-TAG holds I-PCP = the customer's outer VLAN PCP (0 when
 * untagged), DEI 0, UCA 0 and the action's I-SID. POP_PBB removes
 * everything before the customer frame (outer header, any B-TAG, I-TAG).
 * After a pop that exposes headers the key never described (POP_MPLS of the
 * bottom label, POP_PBB) only the Ethernet addresses remain known to
 * set-fields; xlate recirculates when it needs more.
 *
 * METER runs the batch's packet lengths through ft_meter_apply() at
 * ctx->now_ns: DROP verdicts free the packet (DP_EXEC_DROP_METER) and end
 * the list for it; DSCP_REMARK verdicts raise the IPv4/IPv6 DSCP
 * (ft_meter_dscp_remark, ECN kept, IPv4 checksum fixed). RECIRC hands the
 * packets to the recirculation sink and ends the list (inside a CLONE: the
 * clone's list). CONTROLLER hands a packet (moved, shared or copied as
 * above; never truncated: max_len is in the action the sink receives) to
 * the controller sink. SET_QUEUE sets the queue later OUTPUTs pass to the
 * output sink (DP_EXEC_QUEUE_NONE before any). A packet that reaches the
 * end of the list without ever being handed off is dropped
 * (DP_EXEC_DROP_ACTION); an empty list drops every packet.
 *
 * Cost model (hot path)
 * ---------------------
 * Work is column-wise: each action runs over the whole batch, sinks get
 * arrays. Per call: one O(n_acts) pass that marks, for every action, whether
 * a later one uses or modifies the packet (the move/share/copy choice), and
 * per run of SET_MASKED one walk of a small field table that turns the
 * masks into byte edits. Per packet: only the edits, bounds checks against
 * the first segment and checksum arithmetic. No allocation except mbuf
 * copies; no locks; no syscalls. A batch whose keys disagree on the header
 * layout (VLAN count, Ethertype, IP protocol, MPLS depth; a megaflow's
 * packets never do when the list depends on it) is executed as consecutive
 * runs of packets that agree.
 *
 * Limits. Headers must lie in the first segment (dp_parse() only looks
 * there). Batches of any size are processed DP_EXEC_BATCH_MAX packets at a
 * time. Lists longer than DP_EXEC_MAX_ACTS or CLONEs nested deeper than
 * DP_EXEC_MAX_DEPTH are not executed (DP_EXEC_DROP_INVALID). Unknown action
 * types are skipped.
 *
 * Threads: dp_execute() may run on any thread, PMD workers included, with
 * a context that thread owns (its counters are plain). Sinks run
 * synchronously on that thread. The actions and meters must stay valid for
 * the call (RCU, as for the megaflow that holds them).
 */
#ifndef VSWITCH_DATAPATH_DP_EXECUTE_H
#define VSWITCH_DATAPATH_DP_EXECUTE_H

#include <stdint.h>
#include <string.h>

#include <rte_mbuf.h>

#include "datapath/dp_parse.h"
#include "flowtable/ft_dpact.h"
#include "flowtable/ft_key.h"

#define DP_EXEC_BATCH_MAX 32        /* packets per internal pass: one PMD
                                       rx burst */
#define DP_EXEC_MAX_ACTS 1024       /* longest list (= FT_XLATE_MAX_DPACTS) */
#define DP_EXEC_MAX_DEPTH 64        /* CLONE nesting (= FT_XLATE_MAX_DEPTH:
                                       nested groups become nested clones) */
#define DP_EXEC_QUEUE_NONE UINT32_MAX   /* no SET_QUEUE before the OUTPUT */
#define DP_EXEC_META_WORDS FT_STAGE_META_END  /* key words that are
                                                 metadata, not bytes */

enum dp_exec_drop_reason {
    DP_EXEC_DROP_ACTION,    /* list ended (or was empty) before any hand-off */
    DP_EXEC_DROP_METER,     /* a meter's DROP band */
    DP_EXEC_DROP_NOMEM,     /* no mbuf for a copy or for headroom */
    DP_EXEC_DROP_NO_SINK,   /* CONTROLLER or RECIRC without a sink */
    DP_EXEC_DROP_INVALID,   /* list too long or clones nested too deep */
    DP_EXEC_DROP_N_REASONS
};

/* Name of a drop reason ("action", "meter", ...), for pmd-stats. */
const char *dp_exec_drop_reason_name(enum dp_exec_drop_reason);

/* Metadata words as the SET_MASKED actions so far left them, as an overlay
 * on a key: word i is (key_word[i] & ~mask[i]) | value[i]. */
struct dp_exec_meta {
    uint64_t mask[DP_EXEC_META_WORDS];
    uint64_t value[DP_EXEC_META_WORDS];
};

/* Writes 'meta' over the metadata words of 'key'. */
static inline void
dp_exec_meta_apply(const struct dp_exec_meta *meta, struct ft_key *key)
{
    ft_key_word *w = ft_key_u64_rw(key);

    for (unsigned int i = 0; i < DP_EXEC_META_WORDS; i++) {
        w[i] = (w[i] & ~meta->mask[i]) | meta->value[i];
    }
}

/* For a recirculation sink: 'key' was just re-parsed from the packet (its
 * metadata words are zero); gives it the metadata 'old' (the packet's key
 * before execution) had, as modified by 'meta', and 'recirc_id'. */
static inline void
dp_exec_recirc_key(struct ft_key *key, const struct ft_key *old,
                   const struct dp_exec_meta *meta, uint32_t recirc_id)
{
    memcpy(ft_key_u64_rw(key), ft_key_u64(old),
           DP_EXEC_META_WORDS * sizeof(uint64_t));
    dp_exec_meta_apply(meta, key);
    key->recirc_id = recirc_id;
}

/* Sinks. Each receives 'n' >= 1 mbufs and owns them from then on (see
 * "Ownership" about shared ones); 'pkts' and 'keys' are only valid during
 * the call. keys[i] is the key packet i was parsed into before execution
 * (its packet fields may be stale: the packet is what counts); 'meta' is the
 * metadata overlay at the action. */
typedef void dp_exec_output_fn(void *aux, uint32_t dp_port, uint32_t queue_id,
                               struct rte_mbuf *const pkts[], unsigned int n);
typedef void dp_exec_controller_fn(void *aux, const struct ft_dpact *act,
                                   struct rte_mbuf *const pkts[],
                                   const struct ft_key *const keys[],
                                   const struct dp_exec_meta *meta,
                                   unsigned int n);
typedef void dp_exec_recirc_fn(void *aux, uint32_t recirc_id,
                               struct rte_mbuf *const pkts[],
                               const struct ft_key *const keys[],
                               const struct dp_exec_meta *meta,
                               unsigned int n);

struct dp_exec_stats {
    uint64_t drops[DP_EXEC_DROP_N_REASONS];
    uint64_t copies;            /* private copies made (rte_pktmbuf_copy) */
};

/* One per thread that executes; fill it once, update now_ns per burst. */
struct dp_exec_ctx {
    dp_exec_output_fn *output;          /* required */
    dp_exec_controller_fn *controller;  /* NULL: DP_EXEC_DROP_NO_SINK */
    dp_exec_recirc_fn *recirculate;     /* NULL: DP_EXEC_DROP_NO_SINK */
    void *aux;                          /* passed to every sink */
    struct rte_mempool *pool;           /* copies come from here */
    uint64_t now_ns;                    /* meters' clock (ft_meter_apply) */
    struct dp_exec_stats stats;         /* plain counters, owner thread */
};

/* Executes acts[0..n_acts) on pkts[0..n). keys[i] and layers[i] are what
 * dp_parse_mbuf() gave for pkts[i] (the layers locate the headers the sets
 * rewrite, so nothing is parsed twice). Takes ownership of every packet.
 * Returns the number of mbufs handed to sinks (copies included). */
unsigned int dp_execute(struct dp_exec_ctx *ctx, struct rte_mbuf *const pkts[],
                        const struct ft_key *const keys[],
                        const struct dp_parse_layers layers[], unsigned int n,
                        const struct ft_dpact *acts, unsigned int n_acts);

#endif
