/*
 * dp_parse.h — the packet parser: one pass over a frame's headers into a
 * flow key (struct ft_key) plus the offsets of its layers.
 *
 * What it understands: Ethernet II; 802.3 frames (LLC with a SNAP header of
 * OUI 00-00-00 yields the SNAP Ethertype; any other 802.3 frame gets
 * dl_type 0x05ff, as Open vSwitch does); up to FT_VLAN_MAX VLAN tags of TPID
 * 0x8100, 0x88a8 or 0x9100, outermost first (a tag beyond those leaves its
 * TPID as dl_type and ends parsing); the MPLS label stack (0x8847, 0x8848;
 * the top FT_MPLS_MAX entries are kept, the payload is not parsed); PBB
 * (802.1ah I-TAG, Ethertype 0x88e7: I-SID and UCA); ARP and RARP for
 * Ethernet/IPv4; IPv4 (options, fragments); IPv6 (extension headers with the
 * OpenFlow 1.3 IPV6_EXTHDR flags, fragments); TCP, UDP, SCTP, ICMPv4,
 * ICMPv6 and IPv6 Neighbour Discovery.
 *
 * Decisions, where protocols leave a choice:
 *  - PBB: dl_src/dl_dst are the backbone (outer) addresses and dl_type
 *    stays 0x88e7, as OpenFlow's PBB_ISID prerequisite demands. The
 *    customer frame after the I-TAG is payload, like an MPLS payload: its
 *    offset is layers->l3_ofs, its headers are not parsed (pop the I-TAG and
 *    recirculate to look inside).
 *  - VLAN: tci is the wire TCI with FT_VLAN_PRESENT (the CFI/DEI bit) set,
 *    as OpenFlow's OFPVID_PRESENT convention and Open vSwitch do.
 *  - A tag, LLC/SNAP header or I-TAG cut short by the end of the frame
 *    leaves dl_type at the last complete Ethertype (the TPID for a tag,
 *    0x05ff for LLC), as Open vSwitch does.
 *  - IPv4/IPv6 headers are taken only whole and valid (version, header
 *    length, total/payload length within the frame). The L4 parse is
 *    bounded by the IP length, not the frame length (Ethernet padding is
 *    ignored). A header that fails these checks leaves every L3 and L4
 *    field zero.
 *  - IPv6 extension headers: hop-by-hop, routing, fragment, destination
 *    options and AH are skipped; ESP and "no next header" end the walk.
 *    nw_proto is the upper-layer protocol (or 50 for ESP, 59 for no next
 *    header). IPV6_EXTHDR flags follow OpenFlow 1.3 (§7.2.3.10): UNREP
 *    when a header occurs more often than RFC 8200 allows (destination
 *    options twice, every other once); UNSEQ when a header comes out of the
 *    RFC 8200 order hop-by-hop, destination, routing, fragment, AH, ESP,
 *    destination, or hop-by-hop is not first. A truncated extension header
 *    leaves nw_proto zero and the flags of the headers before it.
 *  - Fragments: nw_frag has FT_FRAG_ANY on every fragment (for IPv6:
 *    whenever a fragment header is present) and FT_FRAG_LATER on non-first
 *    ones; later fragments carry no L4 fields.
 *  - TCP requires a data offset of at least 5 words that fits; otherwise
 *    ports and flags stay zero. ICMPv4/v6 need their 8-byte header.
 *  - ND (NS/NA, code 0): nd_target, SLL option into arp_sha, TLL option
 *    into arp_tha. A malformed option list (zero length, overrun, a second
 *    SLL or TLL) leaves both link-layer fields zero; nd_target is kept.
 *
 * The parser never writes tunnel, metadata, in_port, in_phy_port,
 * recirc_id or dp_hash: they stay zero and the caller (the port's rx path,
 * tunnel pop, recirculation) fills them after the call. dp_parse_mbuf()
 * sets in_port.
 *
 * Safety: no byte at or past 'len' is ever read, whatever the frame holds.
 * Speed: no allocation, no syscalls, no locks; one pass, front to back.
 *
 * Thread-safety: pure functions of their arguments; any thread, PMD
 * workers included.
 */
#ifndef VSWITCH_DATAPATH_DP_PARSE_H
#define VSWITCH_DATAPATH_DP_PARSE_H

#include <stdint.h>

#include <rte_mbuf.h>

#include "flowtable/ft_key.h"

/* Offset value of a layer the frame does not have (or that was cut short
 * or malformed). */
#define DP_LAYER_ABSENT 0xffff

/* Where each layer starts, as byte offsets from the frame's first byte.
 * Set-field actions and checksum fixes use them. An offset is present only
 * if that header was found complete and valid, except l3_ofs for Ethertypes
 * the parser does not understand, which marks where L2 (and L2.5) end. */
struct dp_parse_layers {
    uint16_t l2_5_ofs;      /* MPLS label stack, or the PBB I-TAG's TCI */
    uint16_t l3_ofs;        /* IPv4/IPv6/ARP header; after MPLS BOS; PBB C-DA */
    uint16_t l4_ofs;        /* transport header (absent on later fragments) */
    uint16_t payload_ofs;   /* after TCP/UDP/SCTP/ICMP/ICMPv6 header */
};

/* Parses the frame 'data' of 'len' bytes into 'key' (every field it can;
 * every other byte of the key, padding included, zero) and 'layers'.
 * Returns 0 if every header it recognized was complete and valid, -EINVAL
 * if it stopped at a truncated or malformed one (the key then holds what
 * came before). An Ethertype or IP protocol it does not know is not an
 * error. */
int dp_parse(const uint8_t *data, uint32_t len, struct ft_key *key,
             struct dp_parse_layers *layers);

/* dp_parse() over the first segment of 'm', then key->in_port = in_port.
 * Tunnel metadata, metadata and recirc_id are left zero for the caller. */
/* The TCP flags (host order, low 12 bits) dp_parse() would put in the
 * key, 0 when the frame is not a TCP segment it would parse: the one
 * field of a burst's stats the simple-match path needs. IPv4 is read
 * directly; other frames that may carry TCP go through dp_parse(). */
uint16_t dp_parse_tcp_flags(const uint8_t *data, uint32_t len);

static inline int
dp_parse_mbuf(struct rte_mbuf *m, uint32_t in_port, struct ft_key *key,
              struct dp_parse_layers *layers)
{
    int error = dp_parse(rte_pktmbuf_mtod(m, const uint8_t *),
                         rte_pktmbuf_data_len(m), key, layers);

    key->in_port = in_port;
    return error;
}

#endif
