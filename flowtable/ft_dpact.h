/*
 * ft_dpact.h — datapath actions: the compact, pre-resolved action list a
 * megaflow carries and a PMD worker executes on every packet of the flow.
 *
 * What it is
 * ----------
 * xlate (ft_xlate.h) walks the OpenFlow pipeline once per megaflow and
 * writes its verdict as an array of struct ft_dpact. Nothing in it needs
 * OpenFlow any more: reserved ports are expanded (FLOOD, ALL, NORMAL,
 * IN_PORT become outputs to datapath ports), groups are expanded (SELECT
 * through the packet's dp_hash), set-fields are merged per key word, TTL
 * decrements are resolved into plain sets, meters are object pointers.
 *
 * Semantics (how the datapath must execute a list)
 * -----------------------------------------------
 *  - Actions run in order on one packet. OUTPUT transmits the packet as it
 *    is at that point; later actions still see (and may change) the
 *    packet, so an OUTPUT followed by a modification sends a copy.
 *  - SET_MASKED rewrites key word 'word' of the packet: new = (old &
 *    ~mask) | value. The executor maps the word's bits to header bytes
 *    (the key layout in ft_key.h) and fixes IPv4, TCP, UDP and ICMPv6
 *    checksums incrementally. Consecutive sets of one header may be
 *    applied together. Sets only touch headers the packet has (xlate
 *    checked the prerequisites).
 *  - PUSH_VLAN inserts a tag (tpid, tci) outside the outermost one;
 *    POP_VLAN removes the outermost. PUSH_MPLS inserts an LSE after the
 *    Ethernet/VLAN headers and sets the Ethertype; POP_MPLS removes the top
 *    LSE and sets the Ethertype. PUSH_PBB / POP_PBB add / remove the
 *    802.1ah I-TAG and outer Ethernet header.
 *  - METER runs the packet through a meter: DROP verdict ends the list
 *    for that packet, a DSCP_REMARK verdict raises the IP DSCP drop
 *    precedence (ft_meter_dscp_remark) and goes on.
 *  - CLONE runs the next 'n' actions on a copy of the packet, then
 *    continues after them with the packet as it was before the clone.
 *  - RECIRC ends the list: the datapath re-parses the packet (as modified
 *    so far), sets key.recirc_id to 'id', keeps in_port and looks the
 *    packet up again (depth bounded by FT_RECIRC_MAX_DEPTH).
 *  - CONTROLLER hands a copy to the main thread for a PACKET_IN with the
 *    given reason, table, cookie and the packet's current metadata;
 *    max_len bounds the bytes sent (FT_OFPCML_NO_BUFFER: all).
 *  - An empty list drops the packet.
 *
 * Threads: plain data, written by xlate, read by PMD workers; a list is
 * immutable once installed in a megaflow.
 */
#ifndef VSWITCH_FLOWTABLE_FT_DPACT_H
#define VSWITCH_FLOWTABLE_FT_DPACT_H

#include <stdint.h>

#include "ft_key.h"

struct ft_meter;

#define FT_RECIRC_MAX_DEPTH 8       /* recirculations per received packet */

enum ft_dpact_type {
    FT_DPACT_OUTPUT = 1,
    FT_DPACT_SET_MASKED,
    FT_DPACT_PUSH_VLAN,
    FT_DPACT_POP_VLAN,
    FT_DPACT_PUSH_MPLS,
    FT_DPACT_POP_MPLS,
    FT_DPACT_PUSH_PBB,
    FT_DPACT_POP_PBB,
    FT_DPACT_METER,
    FT_DPACT_CLONE,
    FT_DPACT_RECIRC,
    FT_DPACT_CONTROLLER,
    FT_DPACT_SET_QUEUE,
};

struct ft_dpact {
    uint8_t type;                   /* enum ft_dpact_type */
    uint8_t pad[3];
    union {
        struct {
            uint32_t dp_port;       /* the datapath's port handle (from
                                       the pipeline's port map) */
        } output;
        struct {
            uint32_t word;          /* key word index, < FT_KEY_U64S */
            uint64_t value;         /* new bits (within mask) */
            uint64_t mask;
        } set;
        struct {
            be16 tpid;              /* 0x8100 or 0x88a8, network order */
            be16 tci;               /* network order, VID + PCP (the CFI/
                                       present bit is not sent) */
        } push_vlan;
        struct {
            be16 ethertype;         /* new Ethertype, network order */
            be32 lse;               /* PUSH_MPLS: the new top LSE */
        } mpls;
        struct {
            be32 isid;              /* PUSH_PBB: I-SID (low 24 bits) */
        } pbb;
        struct {
            struct ft_meter *meter; /* held by the flow that named it */
            uint32_t meter_id;
        } meter;
        struct {
            uint32_t n;             /* actions that follow inside the clone */
        } clone;
        struct {
            uint32_t id;            /* recirculation id, never 0 */
        } recirc;
        struct {
            uint16_t max_len;
            uint8_t reason;         /* FT_OFPR_* */
            uint8_t table_id;
            uint32_t pad;
            uint64_t cookie;        /* of the flow that sent it */
            uint64_t metadata;      /* pipeline metadata at that point */
        } controller;
        struct {
            uint32_t queue_id;
        } set_queue;
    };
};

_Static_assert(sizeof(struct ft_dpact) == 32, "datapath actions are 32 bytes");

/* Formats 'n' actions in a dump-dp-flows style ("set(nw_ttl=63),2,push_vlan
 * (...)"); snprintf semantics. */
int ft_dpacts_format(const struct ft_dpact *acts, unsigned int n, char *buf,
                     size_t size);

#endif
