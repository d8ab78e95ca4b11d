/*
 * frames.h — hand-built test frames for the packet parser: a small byte
 * builder (one helper per header, lengths and checksums fixed up at the
 * end) and a catalogue of valid frames, one or more per protocol.
 *
 * Used by the parser's unit tests (truncation sweeps walk the catalogue)
 * and by the fuzzer's seed generator (tests/fuzz/gen_seeds.c), so the two
 * exercise the same shapes. Test code only; single-threaded.
 */
#ifndef VSWITCH_TESTS_KEY_FRAMES_H
#define VSWITCH_TESTS_KEY_FRAMES_H

#include <stddef.h>
#include <stdint.h>

#define FRAME_MAX 2048

struct frame {
    uint8_t data[FRAME_MAX];
    uint32_t len;
};

extern const uint8_t MAC_A[6];
extern const uint8_t MAC_B[6];
extern const uint8_t MAC_C[6];
extern const uint8_t MAC_D[6];
extern const uint8_t IP6_A[16];
extern const uint8_t IP6_B[16];

void fr_init(struct frame *);
void fr_bytes(struct frame *, const void *, size_t);
void fr_zeros(struct frame *, size_t);
void fr_u8(struct frame *, uint8_t);
void fr_be16(struct frame *, uint16_t host);
void fr_be32(struct frame *, uint32_t host);
/* Overwrites a big-endian 16-bit value at 'ofs'. */
void fr_put16(struct frame *, uint32_t ofs, uint16_t host);

/* L2 */
void fr_eth(struct frame *, const uint8_t dst[6], const uint8_t src[6],
            uint16_t type);
/* A tag's TCI then the next Ethertype (the TPID precedes, as the type of
 * the header before). */
void fr_vlan(struct frame *, uint16_t tci, uint16_t next_type);
void fr_mpls(struct frame *, uint32_t label, uint8_t tc, int bos, uint8_t ttl);
/* I-TAG TCI (after Ethertype 0x88e7); the customer header follows. */
void fr_pbb_itag(struct frame *, int uca, uint32_t isid);
void fr_llc_snap(struct frame *, uint16_t snap_type);
/* 802.3 length field patch: call at the end for LLC frames. */
void fr_fix_8023_len(struct frame *, uint32_t type_ofs);

/* ARP/RARP body for Ethernet/IPv4. IPv4 addresses in host order. */
void fr_arp(struct frame *, uint16_t op, const uint8_t sha[6], uint32_t spa,
            const uint8_t tha[6], uint32_t tpa);

/* IPv4: returns the header's offset; fr_ipv4_end() fixes total length and
 * checksum. 'opt_words' 32-bit words of NOP options follow the header. */
uint32_t fr_ipv4(struct frame *, uint8_t proto, uint32_t src, uint32_t dst,
                 uint8_t tos, uint8_t ttl, uint16_t frag_field,
                 unsigned int opt_words);
void fr_ipv4_end(struct frame *, uint32_t ip_ofs);

uint32_t fr_ipv6(struct frame *, uint8_t next, const uint8_t src[16],
                 const uint8_t dst[16], uint8_t tclass, uint32_t label,
                 uint8_t hlim);
void fr_ipv6_end(struct frame *, uint32_t ip_ofs);
/* Hop-by-hop, routing or destination options header of (units+1)*8 bytes. */
void fr_ipv6_opts(struct frame *, uint8_t next, uint8_t units);
void fr_ipv6_frag(struct frame *, uint8_t next, uint16_t offset_units,
                  int more);
/* AH with a 12-byte ICV: (payload_len + 2) * 4 = 24 bytes. */
void fr_ipv6_ah(struct frame *, uint8_t next);

/* L4. tcp: 'data_off' in 32-bit words (5 for no options). */
void fr_tcp(struct frame *, uint16_t sport, uint16_t dport, uint16_t flags,
            uint8_t data_off);
void fr_udp(struct frame *, uint16_t sport, uint16_t dport);
void fr_sctp(struct frame *, uint16_t sport, uint16_t dport);
void fr_icmp(struct frame *, uint8_t type, uint8_t code);
/* ND NS (135) or NA (136): header, target, then options given (NULL =
 * absent). */
void fr_nd(struct frame *, uint8_t type, const uint8_t target[16],
           const uint8_t *sll, const uint8_t *tll);

/* The catalogue of valid frames. */
struct test_frame {
    const char *name;
    struct frame frame;
};

/* Fills 'out' (room for 'max') and returns how many frames were built. */
size_t frames_catalogue(struct test_frame *out, size_t max);

#endif
