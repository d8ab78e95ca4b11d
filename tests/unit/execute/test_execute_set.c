/*
 * test_execute_set.c — SET_MASKED through dp_execute() against an oracle:
 * the packet parser.
 *
 * For every kind of frame (Ethernet, VLAN, QinQ, MPLS with 1..4 labels,
 * PBB, LLC/SNAP, ARP/RARP, IPv4 and IPv6 with TCP, UDP, SCTP, ICMP,
 * ICMPv6, ND, options, extension headers, fragments) random SET_MASKED
 * actions — random words, random values, random partial masks — are
 * applied both to the parsed key (the expected result, honouring only the
 * bits this test's own table calls packet bits) and through dp_execute()
 * to the packet. The packet is parsed again and must give exactly the
 * expected key; every checksum must verify (independent RFC 1071 sums and
 * a bitwise CRC32c, plus DPDK's verifiers); the payload must be untouched.
 * Lists interleave outputs (copy semantics), end in OUTPUT or RECIRC (the
 * metadata overlay is checked through the recirculation key), and batches
 * sometimes mix frame kinds (runs of one shape).
 *
 * Directed tests cover what random masks rarely reach: a known SCTP CRC
 * from scapy, UDP checksum zero, ICMPv6 type rewrite, TPID rewrite, absent
 * ND options, IPv6 routing headers and corrupt SCTP CRCs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "exec_testlib.h"

#define KOFS(member) offsetof(struct ft_key, member)
#define N_WORDS ((unsigned int) FT_KEY_U64S)
#define META_WORDS ((unsigned int) DP_EXEC_META_WORDS)

/* ---- the frames ---------------------------------------------------------- */

struct oracle_frame {
    char name[48];
    struct frame f;
    bool keep_udp_zero;
};

#define MAX_FRAMES 64
static struct oracle_frame frames[MAX_FRAMES];
static size_t n_frames;

static struct frame *
extra(const char *name, bool keep_udp_zero)
{
    struct oracle_frame *of = &frames[n_frames++];

    assert_true(n_frames <= MAX_FRAMES);
    snprintf(of->name, sizeof of->name, "%s", name);
    of->keep_udp_zero = keep_udp_zero;
    fr_init(&of->f);
    return &of->f;
}

static void
build_frames(void)
{
    static struct test_frame cat[64];
    size_t n = frames_catalogue(cat, 64);
    struct frame *f;
    uint32_t ip;

    n_frames = 0;
    for (size_t i = 0; i < n; i++) {
        struct oracle_frame *of = &frames[n_frames++];

        snprintf(of->name, sizeof of->name, "%s", cat[i].name);
        of->f = cat[i].frame;
        of->keep_udp_zero = false;
    }

    f = extra("ipv4-tcp", false);
    fr_eth(f, MAC_B, MAC_A, 0x0800);
    ip = fr_ipv4(f, 6, IP4_A, IP4_B, 0x28, 64, 0x4000, 0);
    fr_tcp(f, 1234, 80, 0x018, 5);
    fr_zeros(f, 7);
    fr_ipv4_end(f, ip);

    f = extra("ipv4-udp-zero-csum", true);
    fr_eth(f, MAC_B, MAC_A, 0x0800);
    ip = fr_ipv4(f, 17, IP4_A, IP4_B, 0, 64, 0, 0);
    fr_udp(f, 68, 67);
    fr_zeros(f, 5);
    fr_ipv4_end(f, ip);

    f = extra("mpls-1-label", false);
    fr_eth(f, MAC_B, MAC_A, 0x8847);
    fr_mpls(f, 1000, 5, 1, 64);
    fr_zeros(f, 20);

    f = extra("vlan-mpls-3-labels", false);
    fr_eth(f, MAC_B, MAC_A, 0x8100);
    fr_vlan(f, 0x0123, 0x8847);
    fr_mpls(f, 0xfffff, 7, 0, 255);
    fr_mpls(f, 16, 0, 0, 1);
    fr_mpls(f, 17, 3, 1, 2);
    fr_zeros(f, 20);

    f = extra("ipv6-udp", false);
    fr_eth(f, MAC_B, MAC_A, 0x86dd);
    ip = fr_ipv6(f, 17, IP6_A, IP6_B, 0x12, 0xabcde, 64);
    fr_udp(f, 5000, 6000);
    fr_zeros(f, 9);
    fr_ipv6_end(f, ip);

    f = extra("ipv6-nd-ns-both", false);
    fr_eth(f, MAC_B, MAC_A, 0x86dd);
    ip = fr_ipv6(f, 58, IP6_A, IP6_B, 0, 0, 255);
    fr_nd(f, 135, IP6_B, MAC_C, MAC_D);
    fr_ipv6_end(f, ip);

    f = extra("ipv6-nd-na-none", false);
    fr_eth(f, MAC_B, MAC_A, 0x86dd);
    ip = fr_ipv6(f, 58, IP6_A, IP6_B, 0, 0, 255);
    fr_nd(f, 136, IP6_A, NULL, NULL);
    fr_ipv6_end(f, ip);

    f = extra("ipv6-routed-tcp", false);
    fr_eth(f, MAC_B, MAC_A, 0x86dd);
    ip = fr_ipv6(f, 43, IP6_A, IP6_B, 0, 7, 64);
    fr_ipv6_opts(f, 6, 2);      /* routing header, segments left 20 */
    fr_tcp(f, 4000, 443, 0x010, 6);
    fr_zeros(f, 3);
    fr_ipv6_end(f, ip);

    f = extra("ipv6-rh-sl0-udp", false);
    fr_eth(f, MAC_B, MAC_A, 0x86dd);
    ip = fr_ipv6(f, 43, IP6_A, IP6_B, 0, 7, 64);
    fr_bytes(f, (const uint8_t[8]) { 17, 0, 0, 0, 0, 0, 0, 0 }, 8);
    fr_udp(f, 1, 2);
    fr_ipv6_end(f, ip);

    f = extra("qinq-ipv6-icmpv6", false);
    fr_eth(f, MAC_B, MAC_A, 0x88a8);
    fr_vlan(f, 0xa00b, 0x8100);
    fr_vlan(f, 0x0fff, 0x86dd);
    ip = fr_ipv6(f, 58, IP6_B, IP6_A, 0xff, 0xfffff, 1);
    fr_icmp(f, 129, 0);
    fr_zeros(f, 11);
    fr_ipv6_end(f, ip);

    f = extra("ipv4-sctp-data", false);
    fr_eth(f, MAC_B, MAC_A, 0x0800);
    ip = fr_ipv4(f, 132, IP4_A, IP4_B, 0, 64, 0, 1);
    fr_sctp(f, 9, 10);
    fr_zeros(f, 37);
    fr_ipv4_end(f, ip);

    f = extra("pbb-untagged", false);
    fr_eth(f, MAC_D, MAC_C, 0x88e7);
    fr_pbb_itag(f, 0, 0xfedcba);
    fr_eth(f, MAC_B, MAC_A, 0x0800);
    fr_zeros(f, 30);

    for (size_t i = 0; i < n_frames; i++) {
        fill_checksums(frames[i].f.data, frames[i].f.len,
                       frames[i].keep_udp_zero);
    }
}

/* ---- what a set may write, per frame (this test's own table) ------------- */

struct frame_rules {
    struct ft_key writable;     /* bits the executor must write */
    struct ft_key forbidden;    /* bits the generator leaves alone: they
                                   would change the packet's structure */
    uint32_t protect_from;      /* bytes from here on must not change */
};

static void
all_ones(struct ft_key *k, size_t ofs, size_t len)
{
    memset((uint8_t *) k + ofs, 0xff, len);
}

static const uint8_t zero_mac[6];

static void
rules_of(const struct frame *f, struct frame_rules *r)
{
    struct ft_key k;
    struct dp_parse_layers l;
    struct ft_key *w = &r->writable;
    bool l4;

    memset(r, 0, sizeof *r);
    dp_parse(f->data, f->len, &k, &l);

    all_ones(w, KOFS(dl_dst), 6);
    all_ones(w, KOFS(dl_src), 6);
    for (int i = 0; i < FT_VLAN_MAX; i++) {
        if (!(k.vlans[i].tci & htons(FT_VLAN_PRESENT))) {
            break;
        }
        w->vlans[i].tci = htons(0xefff);
        r->forbidden.vlans[i].tpid = 0xffff;
    }
    r->protect_from = l.l3_ofs != DP_LAYER_ABSENT ? l.l3_ofs : f->len;

    switch (ntohs(k.dl_type)) {
    case 0x8847:
    case 0x8848:
        for (int i = 0; i < FT_MPLS_MAX; i++) {
            w->mpls_lse[i] = htonl(0xfffffeff);
            if (k.mpls_lse[i] & htonl(0x100)) {
                break;
            }
        }
        break;
    case 0x88e7:
        w->pbb_isid = htonl(0xffffff);
        w->pbb_uca = 1;
        break;
    case 0x0806:
    case 0x8035:
        if (l.l3_ofs != DP_LAYER_ABSENT) {
            w->nw_src = w->nw_dst = 0xffffffff;
            all_ones(w, KOFS(arp_sha), 6);
            all_ones(w, KOFS(arp_tha), 6);
            w->arp_op = 0xffff;
            r->protect_from = l.l3_ofs + 28;
        }
        break;
    case 0x0800:
    case 0x86dd:
        if (l.l3_ofs == DP_LAYER_ABSENT) {
            break;
        }
        if (k.dl_type == htons(0x0800)) {
            w->nw_src = w->nw_dst = 0xffffffff;
        } else {
            all_ones(w, KOFS(ipv6_src), 32);
            w->ipv6_label = htonl(0xfffff);
        }
        w->nw_tos = w->nw_ttl = 0xff;
        r->protect_from = l.l4_ofs != DP_LAYER_ABSENT ? l.l4_ofs : f->len;
        l4 = l.payload_ofs != DP_LAYER_ABSENT;
        if (!l4) {
            break;
        }
        r->protect_from = l.payload_ofs;
        switch (k.nw_proto) {
        case 6:
            w->tcp_flags = htons(0x0fff);
            /* fall through */
        case 17:
        case 132:
            w->tp_src = w->tp_dst = 0xffff;
            break;
        case 1:
            ((uint8_t *) &w->tp_src)[1] = 0xff;
            ((uint8_t *) &w->tp_dst)[1] = 0xff;
            break;
        case 58:
            if (k.tp_src == htons(135) || k.tp_src == htons(136)) {
                /* ND: the type and code make it ND. */
                r->forbidden.tp_src = r->forbidden.tp_dst = 0xffff;
                all_ones(w, KOFS(nd_target), 16);
                /* The test frames' link-layer addresses are never zero:
                 * a zero one is an absent option. */
                if (memcmp(&k.arp_sha, zero_mac, 6)) {
                    all_ones(w, KOFS(arp_sha), 6);
                }
                if (memcmp(&k.arp_tha, zero_mac, 6)) {
                    all_ones(w, KOFS(arp_tha), 6);
                }
                r->protect_from = f->len;
            } else {
                /* Another type could make it ND: only the code. */
                r->forbidden.tp_src = 0xffff;
                ((uint8_t *) &w->tp_dst)[1] = 0xff;
            }
            break;
        default:
            break;
        }
        break;
    default:
        break;
    }
}

/* ---- random ------------------------------------------------------------ */

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t
rnd(void)
{
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 0x2545f4914f6cdd1dull;
}

static unsigned int
rnd_below(unsigned int n)
{
    return (unsigned int) (rnd() % n);
}

static uint64_t
rnd_mask(void)
{
    switch (rnd_below(7)) {
    case 0: return UINT64_MAX;
    case 1: return rnd();
    case 2: return rnd() & rnd();
    case 3: return 0xffull << (8 * rnd_below(8));
    case 4: return 1ull << rnd_below(64);
    case 5: return rnd() | rnd();
    default: return 0xffffull << (16 * rnd_below(4));
    }
}

/* A random set for a packet with rules 'r': mostly a word with writable
 * bits, sometimes any word (metadata, or bits it must ignore). */
static struct ft_dpact
rnd_set(const struct frame_rules *r)
{
    const ft_key_word *w = ft_key_u64(&r->writable);
    const ft_key_word *forbidden = ft_key_u64(&r->forbidden);
    unsigned int word;

    if (rnd_below(10) < 7) {
        do {
            word = rnd_below(N_WORDS);
        } while (!w[word]);
    } else {
        word = rnd_below(N_WORDS);
    }
    return act_set(word, rnd(), rnd_mask() & ~forbidden[word]);
}

/* Applies a set to the expected key and metadata as the test's table
 * says the executor must. */
static void
expect_set(struct ft_key *exp, struct dp_exec_meta *meta,
           const struct frame_rules *r, const struct ft_dpact *a)
{
    unsigned int word = a->set.word;

    if (word < META_WORDS) {
        meta->value[word] = (meta->value[word] & ~a->set.mask)
                            | (a->set.value & a->set.mask);
        meta->mask[word] |= a->set.mask;
    } else {
        uint64_t m = a->set.mask & ft_key_u64(&r->writable)[word];

        ft_key_u64_rw(exp)[word] = (ft_key_u64(exp)[word] & ~m)
                                   | (a->set.value & m);
    }
    if (exp->dl_type == htons(0x0806) || exp->dl_type == htons(0x8035)) {
        /* nw_proto is the low byte of the opcode (ft_key.h). */
        if (r->writable.arp_op) {
            exp->nw_proto = (uint8_t) ntohs(exp->arp_op);
        }
    }
}

static void
dump_case(const char *what, const struct ft_key *got, const struct ft_key *exp,
          const struct ft_dpact *acts, unsigned int n_acts)
{
    char a[2048], b[2048];

    ft_key_format(got, NULL, a, sizeof a);
    ft_key_format(exp, NULL, b, sizeof b);
    fprintf(stderr, "%s\n got: %s\nwant: %s\n", what, a, b);
    for (unsigned int i = 0; i < n_acts; i++) {
        if (acts[i].type == FT_DPACT_SET_MASKED) {
            fprintf(stderr, "  set word %u value %016llx mask %016llx\n",
                    acts[i].set.word,
                    (unsigned long long) acts[i].set.value,
                    (unsigned long long) acts[i].set.mask);
        } else {
            fprintf(stderr, "  action %u\n", acts[i].type);
        }
    }
    for (unsigned int w = 0; w < N_WORDS; w++) {
        if (ft_key_u64(got)[w] != ft_key_u64(exp)[w]) {
            fprintf(stderr, "  word %u: got %016llx want %016llx\n", w,
                    (unsigned long long) ft_key_u64(got)[w],
                    (unsigned long long) ft_key_u64(exp)[w]);
        }
    }
}

static unsigned long n_checked;     /* delivered packets checked */

/* Checks one delivered packet against its expectation. */
static void
check_delivered(const struct captured *c, const struct oracle_frame *of,
                const struct frame_rules *r, const struct ft_key *exp,
                const struct dp_exec_meta *meta, bool recirc,
                const struct ft_dpact *acts, unsigned int n_acts)
{
    struct ft_key got;
    struct dp_parse_layers layers;
    char why[128];

    n_checked++;
    assert_int_equal(c->len, of->f.len);
    dp_parse(c->data, c->len, &got, &layers);
    got.in_port = 1;            /* as tb_add parsed the original */
    if (recirc) {
        struct ft_key want = *exp;

        assert_int_equal(c->recirc_id, 9);
        dp_exec_recirc_key(&got, &c->key, &c->meta, 9);
        dp_exec_meta_apply(meta, &want);
        want.recirc_id = 9;
        if (!ft_key_equal(&got, &want)) {
            dump_case(of->name, &got, &want, acts, n_acts);
            fail_msg("recirculated key differs (%s)", of->name);
        }
    } else if (!ft_key_equal(&got, exp)) {
        dump_case(of->name, &got, exp, acts, n_acts);
        fail_msg("output key differs (%s)", of->name);
    }
    if (!verify_checksums(c->data, c->len, why, sizeof why)) {
        dump_case(of->name, &got, exp, acts, n_acts);
        fail_msg("%s: bad %s", of->name, why);
    }
    if (of->keep_udp_zero) {
        assert_int_equal(l4_csum_field(c->data, c->len), 0);
    }
    if (memcmp(c->data + r->protect_from, of->f.data + r->protect_from,
               of->f.len - r->protect_from)) {
        fail_msg("%s: payload changed", of->name);
    }
}

#define MAX_SEGS 3
#define MAX_SETS 4
#define MAX_BATCH 6

/* One random case: a batch of 'n' packets of frames[idx[]] and a list of
 * 1..MAX_SEGS segments "sets...; OUTPUT(k)" (the last may be RECIRC). */
static void
run_case(struct dp_exec_ctx *ctx, const size_t *idx, unsigned int n)
{
    struct frame_rules rules[MAX_BATCH];
    struct ft_key exp[MAX_BATCH][MAX_SEGS];
    struct dp_exec_meta meta[MAX_BATCH][MAX_SEGS];
    struct ft_key cur[MAX_BATCH];
    struct dp_exec_meta cur_meta[MAX_BATCH];
    struct ft_dpact acts[MAX_SEGS * (MAX_SETS + 1)];
    unsigned int n_acts = 0, n_segs = 1 + rnd_below(MAX_SEGS);
    bool recirc = rnd_below(4) == 0;
    struct test_batch tb;

    tb.n = 0;
    for (unsigned int p = 0; p < n; p++) {
        rules_of(&frames[idx[p]].f, &rules[p]);
        tb_add_frame(&tb, &frames[idx[p]].f);
        cur[p] = tb.keys[p];
        memset(&cur_meta[p], 0, sizeof cur_meta[p]);
    }
    for (unsigned int s = 0; s < n_segs; s++) {
        unsigned int n_sets = rnd_below(MAX_SETS + 1);

        for (unsigned int k = 0; k < n_sets; k++) {
            /* Sets are drawn for the first packet's frame; the others of
             * a mixed batch see them as whatever they are to them. */
            struct ft_dpact a = rnd_set(&rules[0]);

            for (unsigned int p = 1; p < n; p++) {
                a.set.mask &= ~ft_key_u64(&rules[p].forbidden)[a.set.word];
            }
            a.set.value &= a.set.mask;
            acts[n_acts++] = a;
            for (unsigned int p = 0; p < n; p++) {
                expect_set(&cur[p], &cur_meta[p], &rules[p], &a);
            }
        }
        for (unsigned int p = 0; p < n; p++) {
            exp[p][s] = cur[p];
            meta[p][s] = cur_meta[p];
        }
        acts[n_acts++] = recirc && s == n_segs - 1 ? act_recirc(9)
                                                    : act_output(s + 1);
    }

    tb_execute(ctx, &tb, acts, n_acts);

    for (unsigned int s = 0; s < n_segs; s++) {
        bool is_recirc = recirc && s == n_segs - 1;
        const struct captured *got[MAX_BATCH];
        unsigned int k = 0;

        for (unsigned int c = 0; c < cap.n; c++) {
            const struct captured *cp = &cap.c[c];

            if (is_recirc ? cp->kind == CAP_RECIRC
                          : cp->kind == CAP_OUTPUT && cp->port == s + 1) {
                assert_true(k < n);
                got[k++] = cp;
            }
        }
        assert_int_equal(k, n);
        for (unsigned int p = 0; p < n; p++) {
            check_delivered(got[p], &frames[idx[p]], &rules[p], &exp[p][s],
                            &meta[p][s], is_recirc, acts, n_acts);
        }
    }
    cap_reset();
}

static void
test_random_sets_per_frame(void **state)
{
    struct dp_exec_ctx ctx;

    (void) state;
    test_ctx_init(&ctx);
    n_checked = 0;
    for (size_t f = 0; f < n_frames; f++) {
        for (int iter = 0; iter < 300; iter++) {
            size_t idx[MAX_BATCH];
            unsigned int n = 1 + rnd_below(4);

            for (unsigned int p = 0; p < n; p++) {
                idx[p] = f;
            }
            run_case(&ctx, idx, n);
        }
    }
    assert_int_equal(ctx.stats.drops[DP_EXEC_DROP_NOMEM], 0);
    /* ~36 frames x 300 cases x 2.5 packets x 2 segments. */
    assert_true(n_checked > 30000);
    assert_no_leaks();
}

static void
test_random_sets_mixed_batches(void **state)
{
    struct dp_exec_ctx ctx;

    (void) state;
    test_ctx_init(&ctx);
    for (int iter = 0; iter < 3000; iter++) {
        size_t idx[MAX_BATCH];
        unsigned int n = 2 + rnd_below(MAX_BATCH - 1);
        size_t first = rnd_below((unsigned int) n_frames);

        for (unsigned int p = 0; p < n; p++) {
            idx[p] = rnd_below(3) ? first : rnd_below((unsigned int) n_frames);
        }
        run_case(&ctx, idx, n);
    }
    assert_no_leaks();
}

/* ---- directed ------------------------------------------------------------ */

static const uint8_t sctp4_before[74] = {
    0x02, 0x00, 0x00, 0x00, 0x00, 0x0b, 0x02, 0x00, 0x00, 0x00, 0x00, 0x0a,
    0x08, 0x00, 0x45, 0x00, 0x00, 0x3c, 0x00, 0x01, 0x00, 0x00, 0x40, 0x84,
    0xae, 0x92, 0x0a, 0x00, 0x00, 0x01, 0xc0, 0xa8, 0x01, 0x02, 0x03, 0xe8,
    0x07, 0xd0, 0x11, 0x22, 0x33, 0x44, 0xd6, 0x33, 0x1a, 0x05, 0x00, 0x00,
    0x00, 0x1a, 0x00, 0x00, 0x00, 0x07, 0x00, 0x01, 0x00, 0x02, 0x00, 0x00,
    0x00, 0x03, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x20, 0x73, 0x63, 0x74, 0x70,
    0x00, 0x00,
};

/* The same packet with ports 4242 -> 2001, as scapy checksums it. */
static const uint8_t sctp4_after[74] = {
    0x02, 0x00, 0x00, 0x00, 0x00, 0x0b, 0x02, 0x00, 0x00, 0x00, 0x00, 0x0a,
    0x08, 0x00, 0x45, 0x00, 0x00, 0x3c, 0x00, 0x01, 0x00, 0x00, 0x40, 0x84,
    0xae, 0x92, 0x0a, 0x00, 0x00, 0x01, 0xc0, 0xa8, 0x01, 0x02, 0x10, 0x92,
    0x07, 0xd1, 0x11, 0x22, 0x33, 0x44, 0x06, 0xda, 0xa6, 0x27, 0x00, 0x00,
    0x00, 0x1a, 0x00, 0x00, 0x00, 0x07, 0x00, 0x01, 0x00, 0x02, 0x00, 0x00,
    0x00, 0x03, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x20, 0x73, 0x63, 0x74, 0x70,
    0x00, 0x00,
};

static void
test_crc32c_known_answer(void **state)
{
    static const uint8_t zeros[32];

    (void) state;
    /* RFC 3720 B.4 and the usual check value. */
    assert_int_equal(crc32c_bitwise(zeros, sizeof zeros), 0x8a9136aa);
    assert_int_equal(crc32c_bitwise((const uint8_t *) "123456789", 9),
                     0xe3069283);
}

static void
test_sctp_ports_match_scapy(void **state)
{
    struct dp_exec_ctx ctx;
    struct test_batch tb = { 0 };
    struct ft_dpact acts[3];
    be16 ports[2] = { htons(4242), htons(2001) };
    unsigned int n;

    (void) state;
    test_ctx_init(&ctx);
    tb_add(&tb, sctp4_before, sizeof sctp4_before);
    n = act_set_field(acts, KOFS(tp_src), 4, ports);
    acts[n++] = act_output(1);
    assert_int_equal(tb_execute(&ctx, &tb, acts, n), 1);
    assert_int_equal(cap.n, 1);
    assert_int_equal(cap.c[0].len, sizeof sctp4_after);
    assert_memory_equal(cap.c[0].data, sctp4_after, sizeof sctp4_after);
    cap_reset();
    assert_no_leaks();
}

static void
test_sctp_bad_crc_stays_bad(void **state)
{
    struct dp_exec_ctx ctx;
    struct test_batch tb = { 0 };
    uint8_t bad[sizeof sctp4_before];
    struct ft_dpact acts[2];
    be16 ports[2] = { htons(4242), htons(2001) };
    unsigned int n;
    char why[64];

    (void) state;
    test_ctx_init(&ctx);
    memcpy(bad, sctp4_before, sizeof bad);
    bad[42] ^= 0x5a;                    /* corrupt the CRC */
    tb_add(&tb, bad, sizeof bad);
    n = act_set_field(acts, KOFS(tp_src), 4, ports);
    acts[n++] = act_output(1);
    tb_execute(&ctx, &tb, acts, n);
    assert_int_equal(cap.n, 1);
    assert_false(verify_checksums(cap.c[0].data, cap.c[0].len, why,
                                  sizeof why));
    /* Exactly as wrong as before: the good CRC XOR the same error. */
    assert_int_equal(cap.c[0].data[42], sctp4_after[42] ^ 0x5a);
    assert_memory_equal(cap.c[0].data + 43, sctp4_after + 43, 3);
    cap_reset();
    assert_no_leaks();
}

static struct oracle_frame *
frame_named(const char *name)
{
    for (size_t i = 0; i < n_frames; i++) {
        if (!strcmp(frames[i].name, name)) {
            return &frames[i];
        }
    }
    fail_msg("no frame %s", name);
    return NULL;
}

/* Sets every writable key bit of 'of' to a new value in one list and
 * returns the captured output. */
static const struct captured *
run_sets(struct dp_exec_ctx *ctx, const uint8_t *data, uint32_t len,
         const struct ft_dpact *sets, unsigned int n_sets)
{
    struct test_batch tb = { 0 };
    struct ft_dpact acts[16];

    assert_true(n_sets < 16);
    memcpy(acts, sets, n_sets * sizeof *sets);
    acts[n_sets] = act_output(1);
    tb_add(&tb, data, len);
    tb_execute(ctx, &tb, acts, n_sets + 1);
    assert_int_equal(cap.n, 1);
    return &cap.c[cap.n - 1];
}

static void
test_udp_zero_checksum_stays_zero(void **state)
{
    struct dp_exec_ctx ctx;
    struct frame f;
    struct ft_dpact acts[4];
    be32 addr = htonl(0x01020304);
    be16 port = htons(999);
    unsigned int n;
    const struct captured *c;
    uint32_t ip;

    (void) state;
    test_ctx_init(&ctx);
    /* IPv4: addresses and ports change, the checksum stays "none". */
    n = act_set_field(acts, KOFS(nw_src), 4, &addr);
    n += act_set_field(acts + n, KOFS(tp_dst), 2, &port);
    c = run_sets(&ctx, frame_named("ipv4-udp-zero-csum")->f.data,
                 frame_named("ipv4-udp-zero-csum")->f.len, acts, n);
    assert_int_equal(l4_csum_field(c->data, c->len), 0);
    assert_int_equal(c->data[26], 1);   /* the source address did change */
    cap_reset();

    /* IPv6 (RFC 6935 tunnels): the same. */
    fr_init(&f);
    fr_eth(&f, MAC_B, MAC_A, 0x86dd);
    ip = fr_ipv6(&f, 17, IP6_A, IP6_B, 0, 0, 64);
    fr_udp(&f, 4789, 4789);
    fr_zeros(&f, 8);
    fr_ipv6_end(&f, ip);
    n = act_set_field(acts, KOFS(ipv6_dst), 16, IP6_A);
    c = run_sets(&ctx, f.data, f.len, acts, n);
    assert_int_equal(l4_csum_field(c->data, c->len), 0);
    assert_memory_equal(c->data + 14 + 24, IP6_A, 16);
    cap_reset();

    /* A nonzero checksum that would become 0 is sent as 0xffff: find a
     * source port that makes the sum come out zero. */
    {
        struct oracle_frame *of = frame_named("ipv6-udp");
        uint8_t data[FRAME_MAX];
        uint16_t csum, old_port;
        be16 want;

        memcpy(data, of->f.data, of->f.len);
        csum = (uint16_t) l4_csum_field(data, of->f.len);
        old_port = (uint16_t) (data[54] << 8 | data[55]);
        /* new checksum = ~(~csum + ~old + new) == 0 when new = ~(~csum +
         * ~old) in ones' complement. */
        uint32_t s = (uint16_t) ~csum + (uint32_t) (uint16_t) ~old_port;
        s = (s & 0xffff) + (s >> 16);
        want = htons((uint16_t) ~s);
        n = act_set_field(acts, KOFS(tp_src), 2, &want);
        c = run_sets(&ctx, data, of->f.len, acts, n);
        assert_int_equal(l4_csum_field(c->data, c->len), 0xffff);
        char why[64];
        assert_true(verify_checksums(c->data, c->len, why, sizeof why));
        cap_reset();
    }
    assert_no_leaks();
}

static void
test_structural_bits_ignored(void **state)
{
    struct dp_exec_ctx ctx;
    struct ft_dpact acts[8];
    struct oracle_frame *of;
    const struct captured *c;
    struct ft_key before, after, v, m;
    struct dp_parse_layers l;
    unsigned int n = 0;

    (void) state;
    test_ctx_init(&ctx);

    /* Every structural field of a VLAN/IPv6 frame at once: dl_type,
     * nw_proto, nw_frag, ipv6_exthdr, the VLAN present bit. */
    of = frame_named("vlan-ipv6-sctp");
    memset(&v, 0, sizeof v);
    memset(&m, 0, sizeof m);
    v.dl_type = htons(0x0800);
    m.dl_type = 0xffff;
    /* The frame's DEI is 0; a set of the present bit must not make it 1
     * (nor could a parse of the result tell). */
    v.vlans[0].tci = htons(FT_VLAN_PRESENT);
    m.vlans[0].tci = htons(FT_VLAN_PRESENT);
    v.nw_proto = 6;
    m.nw_proto = 0xff;
    v.nw_frag = 3;
    m.nw_frag = 0xff;
    v.ipv6_exthdr = 0xffff;
    m.ipv6_exthdr = 0xffff;
    for (unsigned int w = META_WORDS; w < N_WORDS; w++) {
        if (ft_key_u64(&m)[w]) {
            acts[n++] = act_set(w, ft_key_u64(&v)[w], ft_key_u64(&m)[w]);
        }
    }
    c = run_sets(&ctx, of->f.data, of->f.len, acts, n);
    assert_memory_equal(c->data, of->f.data, of->f.len);
    cap_reset();

    /* MPLS: the bottom-of-stack bit; TCP: the data offset. */
    of = frame_named("mpls-2-labels");
    dp_parse(of->f.data, of->f.len, &before, &l);
    n = 0;
    acts[n++] = act_set(KOFS(mpls_lse) / 8, 0, htonl(0x100) | (uint64_t)
                        htonl(0x100) << 32);
    c = run_sets(&ctx, of->f.data, of->f.len, acts, n);
    assert_memory_equal(c->data, of->f.data, of->f.len);
    cap_reset();

    of = frame_named("ipv4-tcp");
    memset(&m, 0, sizeof m);
    memset(&v, 0, sizeof v);
    m.tcp_flags = 0xffff;
    v.tcp_flags = htons(0xf000 | 0x0002);   /* data offset 15, SYN */
    acts[0] = act_set(KOFS(tcp_flags) / 8, ft_key_u64(&v)[KOFS(tcp_flags)
                                                         / 8],
                      ft_key_u64(&m)[KOFS(tcp_flags) / 8]);
    c = run_sets(&ctx, of->f.data, of->f.len, acts, 1);
    dp_parse(c->data, c->len, &after, &l);
    assert_int_equal(ntohs(after.tcp_flags), 0x0002);
    assert_int_equal(c->data[14 + 20 + 12] >> 4, 5);    /* offset kept */
    char why[64];
    assert_true(verify_checksums(c->data, c->len, why, sizeof why));
    cap_reset();
    assert_no_leaks();
}

static void
test_vlan_tpid_rewrite(void **state)
{
    struct dp_exec_ctx ctx;
    struct ft_dpact acts[2];
    struct oracle_frame *of = frame_named("qinq-ipv4-udp");
    be16 tpids[2] = { htons(0x9100), htons(0x88a8) };
    const struct captured *c;
    struct ft_key k;
    struct dp_parse_layers l;

    (void) state;
    test_ctx_init(&ctx);
    assert_int_equal(act_set_field(acts, KOFS(vlans[0].tpid), 2, &tpids[0]),
                     1);
    assert_int_equal(act_set_field(acts + 1, KOFS(vlans[1].tpid), 2,
                                   &tpids[1]), 1);
    c = run_sets(&ctx, of->f.data, of->f.len, acts, 2);
    dp_parse(c->data, c->len, &k, &l);
    assert_int_equal(ntohs(k.vlans[0].tpid), 0x9100);
    assert_int_equal(ntohs(k.vlans[1].tpid), 0x88a8);
    assert_int_equal(ntohs(k.vlans[0].tci), 0x1064);
    cap_reset();
    assert_no_leaks();
}

static void
test_icmpv6_type_rewrite(void **state)
{
    struct dp_exec_ctx ctx;
    struct ft_dpact acts[2];
    struct oracle_frame *of = frame_named("ipv6-icmpv6-echo");
    be16 type = htons(129);
    const struct captured *c;
    struct ft_key k;
    struct dp_parse_layers l;
    char why[64];

    (void) state;
    test_ctx_init(&ctx);
    c = run_sets(&ctx, of->f.data, of->f.len, acts,
                 act_set_field(acts, KOFS(tp_src), 2, &type));
    dp_parse(c->data, c->len, &k, &l);
    assert_int_equal(ntohs(k.tp_src), 129);
    assert_true(verify_checksums(c->data, c->len, why, sizeof why));
    assert_int_not_equal(l4_csum_field(c->data, c->len),
                         l4_csum_field(of->f.data, of->f.len));
    cap_reset();
    assert_no_leaks();
}

static void
test_nd_absent_option_not_added(void **state)
{
    struct dp_exec_ctx ctx;
    struct ft_dpact acts[4];
    struct oracle_frame *of = frame_named("ipv6-nd-ns-sll");
    const struct captured *c;
    struct ft_key k;
    struct dp_parse_layers l;
    unsigned int n;
    char why[64];

    (void) state;
    test_ctx_init(&ctx);
    /* The NS carries SLL only: a TLL set changes nothing, an SLL set the
     * option in place. */
    n = act_set_field(acts, KOFS(arp_tha), 6, MAC_D);
    c = run_sets(&ctx, of->f.data, of->f.len, acts, n);
    assert_int_equal(c->len, of->f.len);
    assert_memory_equal(c->data, of->f.data, of->f.len);
    cap_reset();

    n = act_set_field(acts, KOFS(arp_sha), 6, MAC_D);
    c = run_sets(&ctx, of->f.data, of->f.len, acts, n);
    dp_parse(c->data, c->len, &k, &l);
    assert_memory_equal(&k.arp_sha, MAC_D, 6);
    assert_true(verify_checksums(c->data, c->len, why, sizeof why));
    cap_reset();
    assert_no_leaks();
}

static void
test_ipv6_routing_header_destination(void **state)
{
    struct dp_exec_ctx ctx;
    struct ft_dpact acts[4];
    const struct captured *c;
    unsigned int n;
    char why[64];

    (void) state;
    test_ctx_init(&ctx);
    /* Segments left: the destination field is not the pseudo-header's,
     * the TCP checksum must not move. */
    {
        struct oracle_frame *of = frame_named("ipv6-routed-tcp");

        n = act_set_field(acts, KOFS(ipv6_dst), 16, IP6_A);
        c = run_sets(&ctx, of->f.data, of->f.len, acts, n);
        assert_int_equal(l4_csum_field(c->data, c->len),
                         l4_csum_field(of->f.data, of->f.len));
        assert_true(verify_checksums(c->data, c->len, why, sizeof why));
        cap_reset();
        /* The source is always in the pseudo-header. */
        n = act_set_field(acts, KOFS(ipv6_src), 16, IP6_B);
        c = run_sets(&ctx, of->f.data, of->f.len, acts, n);
        assert_int_not_equal(l4_csum_field(c->data, c->len),
                             l4_csum_field(of->f.data, of->f.len));
        assert_true(verify_checksums(c->data, c->len, why, sizeof why));
        cap_reset();
    }
    /* No segments left: the field is the final destination. */
    {
        struct oracle_frame *of = frame_named("ipv6-rh-sl0-udp");

        n = act_set_field(acts, KOFS(ipv6_dst), 16, IP6_A);
        c = run_sets(&ctx, of->f.data, of->f.len, acts, n);
        assert_int_not_equal(l4_csum_field(c->data, c->len),
                             l4_csum_field(of->f.data, of->f.len));
        assert_true(verify_checksums(c->data, c->len, why, sizeof why));
        cap_reset();
    }
    assert_no_leaks();
}

static void
test_long_set_run(void **state)
{
    struct dp_exec_ctx ctx;
    struct ft_dpact acts[64];
    struct oracle_frame *of = frame_named("ipv4-tcp");
    const struct captured *c;
    struct ft_key k;
    struct dp_parse_layers l;
    struct test_batch tb = { 0 };
    char why[64];
    unsigned int n = 0;

    (void) state;
    test_ctx_init(&ctx);
    /* More edits than one plan holds: TTL counts down 30 times. */
    for (int i = 0; i < 30; i++) {
        uint8_t ttl = (uint8_t) (63 - i);

        n += act_set_field(acts + n, KOFS(nw_ttl), 1, &ttl);
        n += act_set_field(acts + n, KOFS(dl_dst), 6, i & 1 ? MAC_C : MAC_D);
    }
    acts[n++] = act_output(1);
    assert_true(n <= 64);
    tb_add(&tb, of->f.data, of->f.len);
    tb_execute(&ctx, &tb, acts, n);
    c = &cap.c[0];
    dp_parse(c->data, c->len, &k, &l);
    assert_int_equal(k.nw_ttl, 34);
    assert_memory_equal(&k.dl_dst, MAC_C, 6);
    assert_true(verify_checksums(c->data, c->len, why, sizeof why));
    cap_reset();
    assert_no_leaks();
}

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crc32c_known_answer),
        cmocka_unit_test_setup_teardown(test_random_sets_per_frame,
                                        exec_test_setup, exec_test_teardown),
        cmocka_unit_test_setup_teardown(test_random_sets_mixed_batches,
                                        exec_test_setup, exec_test_teardown),
        cmocka_unit_test_setup_teardown(test_sctp_ports_match_scapy,
                                        exec_test_setup, exec_test_teardown),
        cmocka_unit_test_setup_teardown(test_sctp_bad_crc_stays_bad,
                                        exec_test_setup, exec_test_teardown),
        cmocka_unit_test_setup_teardown(test_udp_zero_checksum_stays_zero,
                                        exec_test_setup, exec_test_teardown),
        cmocka_unit_test_setup_teardown(test_structural_bits_ignored,
                                        exec_test_setup, exec_test_teardown),
        cmocka_unit_test_setup_teardown(test_vlan_tpid_rewrite,
                                        exec_test_setup, exec_test_teardown),
        cmocka_unit_test_setup_teardown(test_icmpv6_type_rewrite,
                                        exec_test_setup, exec_test_teardown),
        cmocka_unit_test_setup_teardown(test_nd_absent_option_not_added,
                                        exec_test_setup, exec_test_teardown),
        cmocka_unit_test_setup_teardown(test_ipv6_routing_header_destination,
                                        exec_test_setup, exec_test_teardown),
        cmocka_unit_test_setup_teardown(test_long_set_run,
                                        exec_test_setup, exec_test_teardown),
    };
    int failed;

    (void) argc;
    if (exec_test_init(argv[0])) {
        return 1;
    }
    build_frames();
    failed = cmocka_run_group_tests(tests, NULL, NULL);
    exec_test_fini();
    return failed;
}
