/*
 * frames.c — builders and the catalogue of test frames (see frames.h).
 */
#include "frames.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const uint8_t MAC_A[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x0a };
const uint8_t MAC_B[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x0b };
const uint8_t MAC_C[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x0c };
const uint8_t MAC_D[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x0d };
const uint8_t IP6_A[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
                            0, 0, 0, 0, 0, 0, 0, 0x01 };
const uint8_t IP6_B[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
                            0, 0, 0, 0, 0, 0, 0, 0x02 };

void
fr_init(struct frame *f)
{
    memset(f, 0, sizeof *f);
}

void
fr_bytes(struct frame *f, const void *p, size_t n)
{
    if (!n) {
        return;
    }
    assert(f->len + n <= FRAME_MAX);
    memcpy(f->data + f->len, p, n);
    f->len += (uint32_t) n;
}

void
fr_zeros(struct frame *f, size_t n)
{
    assert(f->len + n <= FRAME_MAX);
    memset(f->data + f->len, 0, n);
    f->len += (uint32_t) n;
}

void
fr_u8(struct frame *f, uint8_t v)
{
    fr_bytes(f, &v, 1);
}

void
fr_be16(struct frame *f, uint16_t v)
{
    uint8_t b[2] = { (uint8_t) (v >> 8), (uint8_t) v };

    fr_bytes(f, b, 2);
}

void
fr_be32(struct frame *f, uint32_t v)
{
    uint8_t b[4] = { (uint8_t) (v >> 24), (uint8_t) (v >> 16),
                     (uint8_t) (v >> 8), (uint8_t) v };

    fr_bytes(f, b, 4);
}

void
fr_put16(struct frame *f, uint32_t ofs, uint16_t v)
{
    f->data[ofs] = (uint8_t) (v >> 8);
    f->data[ofs + 1] = (uint8_t) v;
}

void
fr_eth(struct frame *f, const uint8_t dst[6], const uint8_t src[6],
       uint16_t type)
{
    fr_bytes(f, dst, 6);
    fr_bytes(f, src, 6);
    fr_be16(f, type);
}

void
fr_vlan(struct frame *f, uint16_t tci, uint16_t next_type)
{
    fr_be16(f, tci);
    fr_be16(f, next_type);
}

void
fr_mpls(struct frame *f, uint32_t label, uint8_t tc, int bos, uint8_t ttl)
{
    fr_be32(f, label << 12 | (uint32_t) (tc & 7) << 9 | (bos ? 1u : 0u) << 8
               | ttl);
}

void
fr_pbb_itag(struct frame *f, int uca, uint32_t isid)
{
    /* I-PCP 3, I-DEI 0, UCA, reserved 0, I-SID. */
    fr_be32(f, 3u << 29 | (uca ? 1u : 0u) << 27 | (isid & 0xffffff));
}

void
fr_llc_snap(struct frame *f, uint16_t snap_type)
{
    static const uint8_t llc_snap[6] = { 0xaa, 0xaa, 0x03, 0, 0, 0 };

    fr_bytes(f, llc_snap, sizeof llc_snap);
    fr_be16(f, snap_type);
}

void
fr_fix_8023_len(struct frame *f, uint32_t type_ofs)
{
    fr_put16(f, type_ofs, (uint16_t) (f->len - type_ofs - 2));
}

void
fr_arp(struct frame *f, uint16_t op, const uint8_t sha[6], uint32_t spa,
       const uint8_t tha[6], uint32_t tpa)
{
    fr_be16(f, 1);
    fr_be16(f, 0x0800);
    fr_u8(f, 6);
    fr_u8(f, 4);
    fr_be16(f, op);
    fr_bytes(f, sha, 6);
    fr_be32(f, spa);
    fr_bytes(f, tha, 6);
    fr_be32(f, tpa);
}

uint32_t
fr_ipv4(struct frame *f, uint8_t proto, uint32_t src, uint32_t dst,
        uint8_t tos, uint8_t ttl, uint16_t frag_field, unsigned int opt_words)
{
    uint32_t ofs = f->len;

    fr_u8(f, (uint8_t) (0x40 | (5 + opt_words)));
    fr_u8(f, tos);
    fr_be16(f, 0);              /* total length, fixed by fr_ipv4_end */
    fr_be16(f, 0x1234);         /* id */
    fr_be16(f, frag_field);
    fr_u8(f, ttl);
    fr_u8(f, proto);
    fr_be16(f, 0);              /* checksum, fixed by fr_ipv4_end */
    fr_be32(f, src);
    fr_be32(f, dst);
    for (unsigned int i = 0; i < opt_words * 4; i++) {
        fr_u8(f, 1);            /* NOP */
    }
    return ofs;
}

void
fr_ipv4_end(struct frame *f, uint32_t ip_ofs)
{
    uint32_t hlen = (uint32_t) (f->data[ip_ofs] & 0x0f) * 4;
    uint32_t sum = 0;

    fr_put16(f, ip_ofs + 2, (uint16_t) (f->len - ip_ofs));
    fr_put16(f, ip_ofs + 10, 0);
    for (uint32_t i = 0; i < hlen; i += 2) {
        sum += (uint32_t) f->data[ip_ofs + i] << 8 | f->data[ip_ofs + i + 1];
    }
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    fr_put16(f, ip_ofs + 10, (uint16_t) ~sum);
}

uint32_t
fr_ipv6(struct frame *f, uint8_t next, const uint8_t src[16],
        const uint8_t dst[16], uint8_t tclass, uint32_t label, uint8_t hlim)
{
    uint32_t ofs = f->len;

    fr_be32(f, 6u << 28 | (uint32_t) tclass << 20 | (label & 0xfffff));
    fr_be16(f, 0);              /* payload length, fixed by fr_ipv6_end */
    fr_u8(f, next);
    fr_u8(f, hlim);
    fr_bytes(f, src, 16);
    fr_bytes(f, dst, 16);
    return ofs;
}

void
fr_ipv6_end(struct frame *f, uint32_t ip_ofs)
{
    fr_put16(f, ip_ofs + 4, (uint16_t) (f->len - ip_ofs - 40));
}

void
fr_ipv6_opts(struct frame *f, uint8_t next, uint8_t units)
{
    fr_u8(f, next);
    fr_u8(f, units);
    /* PadN option filling the rest. */
    fr_u8(f, 1);
    fr_u8(f, (uint8_t) ((units + 1) * 8 - 4));
    fr_zeros(f, (size_t) (units + 1) * 8 - 4);
}

void
fr_ipv6_frag(struct frame *f, uint8_t next, uint16_t offset_units, int more)
{
    fr_u8(f, next);
    fr_u8(f, 0);
    fr_be16(f, (uint16_t) (offset_units << 3 | (more ? 1 : 0)));
    fr_be32(f, 0xabcdef01);
}

void
fr_ipv6_ah(struct frame *f, uint8_t next)
{
    fr_u8(f, next);
    fr_u8(f, 4);                /* (4 + 2) * 4 = 24 bytes */
    fr_be16(f, 0);
    fr_be32(f, 0x100);          /* SPI */
    fr_be32(f, 1);              /* sequence */
    fr_zeros(f, 12);            /* ICV */
}

void
fr_tcp(struct frame *f, uint16_t sport, uint16_t dport, uint16_t flags,
       uint8_t data_off)
{
    fr_be16(f, sport);
    fr_be16(f, dport);
    fr_be32(f, 1000);
    fr_be32(f, 2000);
    fr_be16(f, (uint16_t) ((data_off & 0xf) << 12 | (flags & 0x0fff)));
    fr_be16(f, 65535);
    fr_be16(f, 0);
    fr_be16(f, 0);
    if (data_off > 5) {
        fr_zeros(f, (size_t) (data_off - 5) * 4);
    }
}

void
fr_udp(struct frame *f, uint16_t sport, uint16_t dport)
{
    fr_be16(f, sport);
    fr_be16(f, dport);
    fr_be16(f, 8);
    fr_be16(f, 0);
}

void
fr_sctp(struct frame *f, uint16_t sport, uint16_t dport)
{
    fr_be16(f, sport);
    fr_be16(f, dport);
    fr_be32(f, 0x11223344);
    fr_be32(f, 0);
}

void
fr_icmp(struct frame *f, uint8_t type, uint8_t code)
{
    fr_u8(f, type);
    fr_u8(f, code);
    fr_be16(f, 0);
    fr_be32(f, 0x00010002);
}

void
fr_nd(struct frame *f, uint8_t type, const uint8_t target[16],
      const uint8_t *sll, const uint8_t *tll)
{
    fr_icmp(f, type, 0);
    fr_bytes(f, target, 16);
    if (sll) {
        fr_u8(f, 1);
        fr_u8(f, 1);
        fr_bytes(f, sll, 6);
    }
    if (tll) {
        fr_u8(f, 2);
        fr_u8(f, 1);
        fr_bytes(f, tll, 6);
    }
}

/* ---- catalogue ---------------------------------------------------------- */

#define IP4_A 0x0a000001u      /* 10.0.0.1 */
#define IP4_B 0xc0a80102u      /* 192.168.1.2 */

static struct frame *
next_frame(struct test_frame *out, size_t max, size_t *n, const char *name)
{
    if (*n >= max) {
        /* A test-build bug, checked in release builds too (no assert). */
        fprintf(stderr, "frame catalogue larger than %zu entries\n", max);
        abort();
    }
    out[*n].name = name;
    fr_init(&out[*n].frame);
    return &out[(*n)++].frame;
}

size_t
frames_catalogue(struct test_frame *out, size_t max)
{
    size_t n = 0;
    struct frame *f;
    uint32_t ip, type_ofs;

    f = next_frame(out, max, &n, "eth-unknown-type");
    fr_eth(f, MAC_B, MAC_A, 0x88b5);
    fr_zeros(f, 20);

    f = next_frame(out, max, &n, "vlan-ipv4-tcp");
    fr_eth(f, MAC_B, MAC_A, 0x8100);
    fr_vlan(f, 0x200a, 0x0800);
    ip = fr_ipv4(f, 6, IP4_A, IP4_B, 0x2e, 64, 0x4000, 0);
    fr_tcp(f, 12345, 80, 0x012, 5);
    fr_zeros(f, 10);
    fr_ipv4_end(f, ip);

    f = next_frame(out, max, &n, "qinq-ipv4-udp");
    fr_eth(f, MAC_B, MAC_A, 0x88a8);
    fr_vlan(f, 0x0064, 0x8100);
    fr_vlan(f, 0x600a, 0x0800);
    ip = fr_ipv4(f, 17, IP4_A, IP4_B, 0, 1, 0, 0);
    fr_udp(f, 5353, 53);
    fr_ipv4_end(f, ip);

    f = next_frame(out, max, &n, "ipv4-options-tcp-options");
    fr_eth(f, MAC_B, MAC_A, 0x0800);
    ip = fr_ipv4(f, 6, IP4_A, IP4_B, 0, 64, 0, 2);
    fr_tcp(f, 443, 50000, 0x018, 8);
    fr_zeros(f, 4);
    fr_ipv4_end(f, ip);

    f = next_frame(out, max, &n, "ipv4-sctp");
    fr_eth(f, MAC_B, MAC_A, 0x0800);
    ip = fr_ipv4(f, 132, IP4_A, IP4_B, 0, 64, 0, 0);
    fr_sctp(f, 2905, 2906);
    fr_ipv4_end(f, ip);

    f = next_frame(out, max, &n, "ipv4-icmp");
    fr_eth(f, MAC_B, MAC_A, 0x0800);
    ip = fr_ipv4(f, 1, IP4_A, IP4_B, 0, 64, 0, 0);
    fr_icmp(f, 8, 0);
    fr_zeros(f, 8);
    fr_ipv4_end(f, ip);

    f = next_frame(out, max, &n, "ipv4-first-fragment");
    fr_eth(f, MAC_B, MAC_A, 0x0800);
    ip = fr_ipv4(f, 17, IP4_A, IP4_B, 0, 64, 0x2000, 0);
    fr_udp(f, 1000, 2000);
    fr_zeros(f, 16);
    fr_ipv4_end(f, ip);

    f = next_frame(out, max, &n, "ipv4-later-fragment");
    fr_eth(f, MAC_B, MAC_A, 0x0800);
    ip = fr_ipv4(f, 17, IP4_A, IP4_B, 0, 64, 0x0003, 0);
    fr_zeros(f, 24);
    fr_ipv4_end(f, ip);

    f = next_frame(out, max, &n, "arp-request");
    fr_eth(f, (const uint8_t[6]) { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
           MAC_A, 0x0806);
    fr_arp(f, 1, MAC_A, IP4_A, (const uint8_t[6]) { 0 }, IP4_B);

    f = next_frame(out, max, &n, "rarp-reply");
    fr_eth(f, MAC_B, MAC_A, 0x8035);
    fr_arp(f, 4, MAC_A, IP4_A, MAC_B, IP4_B);

    f = next_frame(out, max, &n, "mpls-2-labels");
    fr_eth(f, MAC_B, MAC_A, 0x8847);
    fr_mpls(f, 100, 1, 0, 64);
    fr_mpls(f, 200, 2, 1, 63);
    ip = fr_ipv4(f, 17, IP4_A, IP4_B, 0, 64, 0, 0);
    fr_udp(f, 1, 2);
    fr_ipv4_end(f, ip);

    f = next_frame(out, max, &n, "mplsm-4-labels");
    fr_eth(f, MAC_B, MAC_A, 0x8848);
    fr_mpls(f, 16, 0, 0, 10);
    fr_mpls(f, 17, 0, 0, 11);
    fr_mpls(f, 18, 0, 0, 12);
    fr_mpls(f, 19, 0, 1, 13);
    fr_zeros(f, 8);

    f = next_frame(out, max, &n, "pbb");
    fr_eth(f, MAC_D, MAC_C, 0x88a8);
    fr_vlan(f, 0x0005, 0x88e7);
    fr_pbb_itag(f, 1, 0x123456);
    fr_eth(f, MAC_B, MAC_A, 0x0800);
    ip = fr_ipv4(f, 17, IP4_A, IP4_B, 0, 64, 0, 0);
    fr_udp(f, 1, 2);
    fr_ipv4_end(f, ip);

    f = next_frame(out, max, &n, "llc-snap-ipv4-udp");
    fr_eth(f, MAC_B, MAC_A, 0);
    type_ofs = 12;
    fr_llc_snap(f, 0x0800);
    ip = fr_ipv4(f, 17, IP4_A, IP4_B, 0, 64, 0, 0);
    fr_udp(f, 67, 68);
    fr_ipv4_end(f, ip);
    fr_fix_8023_len(f, type_ofs);

    f = next_frame(out, max, &n, "llc-stp");
    fr_eth(f, (const uint8_t[6]) { 0x01, 0x80, 0xc2, 0, 0, 0 }, MAC_A, 0);
    fr_bytes(f, (const uint8_t[3]) { 0x42, 0x42, 0x03 }, 3);
    fr_zeros(f, 35);
    fr_fix_8023_len(f, 12);

    f = next_frame(out, max, &n, "ipv6-tcp");
    fr_eth(f, MAC_B, MAC_A, 0x86dd);
    ip = fr_ipv6(f, 6, IP6_A, IP6_B, 0xb8, 0x12345, 64);
    fr_tcp(f, 40000, 22, 0x002, 5);
    fr_ipv6_end(f, ip);

    f = next_frame(out, max, &n, "ipv6-exthdrs-udp");
    fr_eth(f, MAC_B, MAC_A, 0x86dd);
    ip = fr_ipv6(f, 0, IP6_A, IP6_B, 0, 0, 64);
    fr_ipv6_opts(f, 60, 0);             /* hop-by-hop */
    fr_ipv6_opts(f, 43, 1);             /* destination (first) */
    fr_ipv6_opts(f, 44, 0);             /* routing */
    fr_ipv6_frag(f, 51, 0, 1);          /* first fragment */
    fr_ipv6_ah(f, 60);
    fr_ipv6_opts(f, 17, 0);             /* destination (final) */
    fr_udp(f, 3000, 4000);
    fr_ipv6_end(f, ip);

    f = next_frame(out, max, &n, "ipv6-later-fragment");
    fr_eth(f, MAC_B, MAC_A, 0x86dd);
    ip = fr_ipv6(f, 44, IP6_A, IP6_B, 0, 0, 64);
    fr_ipv6_frag(f, 6, 100, 0);
    fr_zeros(f, 32);
    fr_ipv6_end(f, ip);

    f = next_frame(out, max, &n, "ipv6-esp");
    fr_eth(f, MAC_B, MAC_A, 0x86dd);
    ip = fr_ipv6(f, 50, IP6_A, IP6_B, 0, 0, 64);
    fr_zeros(f, 24);
    fr_ipv6_end(f, ip);

    f = next_frame(out, max, &n, "ipv6-icmpv6-echo");
    fr_eth(f, MAC_B, MAC_A, 0x86dd);
    ip = fr_ipv6(f, 58, IP6_A, IP6_B, 0, 0, 255);
    fr_icmp(f, 128, 0);
    fr_zeros(f, 8);
    fr_ipv6_end(f, ip);

    f = next_frame(out, max, &n, "ipv6-nd-ns-sll");
    fr_eth(f, MAC_B, MAC_A, 0x86dd);
    ip = fr_ipv6(f, 58, IP6_A, IP6_B, 0, 0, 255);
    fr_nd(f, 135, IP6_B, MAC_A, NULL);
    fr_ipv6_end(f, ip);

    f = next_frame(out, max, &n, "ipv6-nd-na-tll");
    fr_eth(f, MAC_A, MAC_B, 0x86dd);
    ip = fr_ipv6(f, 58, IP6_B, IP6_A, 0, 0, 255);
    fr_nd(f, 136, IP6_B, NULL, MAC_B);
    fr_ipv6_end(f, ip);

    f = next_frame(out, max, &n, "vlan-ipv6-sctp");
    fr_eth(f, MAC_B, MAC_A, 0x9100);
    fr_vlan(f, 0xe123, 0x86dd);
    ip = fr_ipv6(f, 132, IP6_A, IP6_B, 0, 0, 64);
    fr_sctp(f, 7, 9);
    fr_ipv6_end(f, ip);

    return n;
}
