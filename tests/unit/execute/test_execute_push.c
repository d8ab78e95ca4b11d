/*
 * test_execute_push.c — the push and pop actions of datapath execution
 * (datapath/dp_execute.h): VLAN (any frame of the parser's catalogue:
 * push then pop gives the original bytes; stacking with an 802.1ad outer
 * tag; sets after pushes follow the new layout), MPLS (on IPv4, behind a
 * tag, on a label stack, on an 802.3 LLC/SNAP frame, bottom-of-stack pop),
 * PBB (outer header and I-TAG contents, B-TAG, round trip) and pushes on a
 * packet without headroom. Every mbuf is back in the pool after each test.
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

/* ---- push / pop ---------------------------------------------------------- */

/* Runs 'acts' on one copy of 'f' and returns the first capture. */
static const struct captured *
run1(struct dp_exec_ctx *ctx, const struct frame *f,
     const struct ft_dpact *acts, unsigned int n)
{
    struct test_batch tb = { 0 };

    tb_add_frame(&tb, f);
    tb_execute(ctx, &tb, acts, n);
    assert_true(cap.n >= 1);
    return &cap.c[0];
}

static void
test_push_pop_vlan_round_trip(void **state)
{
    static struct test_frame cat[64];
    size_t n_cat = frames_catalogue(cat, 64);
    struct dp_exec_ctx ctx;
    struct ft_dpact acts[4];

    (void) state;
    test_ctx_init(&ctx);
    acts[0] = act_push_vlan(0x8100, 0xa00a | FT_VLAN_PRESENT);
    acts[1] = act_output(1);
    acts[2] = act_pop_vlan();
    acts[3] = act_output(2);
    for (size_t i = 0; i < n_cat; i++) {
        const struct frame *f = &cat[i].frame;
        struct ft_key before, k;
        struct dp_parse_layers l;
        const struct captured *c[1];

        dp_parse(f->data, f->len, &before, &l);
        run1(&ctx, f, acts, 4);
        assert_int_equal(cap_for_port(1, c, 1), 1);
        k = parsed(c[0]);
        assert_int_equal(c[0]->len, f->len + 4);
        assert_int_equal(ntohs(k.vlans[0].tpid), 0x8100);
        /* The present bit is the key's, not sent: DEI stays 0. */
        assert_int_equal(c[0]->data[14] & 0x10, 0);
        assert_int_equal(ntohs(k.vlans[0].tci), 0xa00a | FT_VLAN_PRESENT);
        assert_memory_equal(&k.vlans[1], &before.vlans[0],
                            sizeof k.vlans[1]);
        if (!before.vlans[1].tci) {
            /* Room in the key for the old tag: everything else equal. */
            k.vlans[0] = k.vlans[1];
            k.vlans[1] = before.vlans[1];
            assert_true(ft_key_equal(&k, &before));
        }
        assert_int_equal(cap_for_port(2, c, 1), 1);
        assert_int_equal(c[0]->len, f->len);
        if (memcmp(c[0]->data, f->data, f->len)) {
            fail_msg("push/pop vlan changed %s", cat[i].name);
        }
        cap_reset();
    }
    assert_no_leaks();
}

static void
test_vlan_stacking(void **state)
{
    struct dp_exec_ctx ctx;
    struct frame f = ipv4_tcp(0);
    struct ft_dpact acts[8];
    const struct captured *c;
    struct ft_key k;
    be32 addr = htonl(0x0b0b0b0b);
    unsigned int n = 0;

    (void) state;
    test_ctx_init(&ctx);
    /* C-tag then S-tag (802.1ad outer), then an L3 set: offsets moved
     * twice, checksums right. */
    acts[n++] = act_push_vlan(0x8100, 100);
    acts[n++] = act_push_vlan(0x88a8, 0x2000 | 200);
    n += act_set_field(acts + n, KOFS(nw_src), 4, &addr);
    acts[n++] = act_output(1);
    c = run1(&ctx, &f, acts, n);
    k = parsed(c);
    assert_int_equal(ntohs(k.vlans[0].tpid), 0x88a8);
    assert_int_equal(ntohs(k.vlans[0].tci), 0x3000 | 200);
    assert_int_equal(ntohs(k.vlans[1].tpid), 0x8100);
    assert_int_equal(ntohs(k.vlans[1].tci), 0x1000 | 100);
    assert_int_equal(k.dl_type, htons(0x0800));
    assert_int_equal(k.nw_src, addr);
    assert_checksums(c);
    cap_reset();

    /* Set the outer and inner tag after the pushes (the shape follows),
     * then pop both: the L3 edit stays, the tags are gone. */
    n = 0;
    acts[n++] = act_push_vlan(0x8100, 100);
    acts[n++] = act_push_vlan(0x88a8, 200);
    acts[n++] = act_set(KOFS(vlans) / 8,
                        (uint64_t) htons(7) << 16 | (uint64_t) htons(9) << 48,
                        (uint64_t) htons(0x0fff) << 16
                        | (uint64_t) htons(0x0fff) << 48);
    acts[n++] = act_output(1);
    acts[n++] = act_pop_vlan();
    acts[n++] = act_pop_vlan();
    acts[n++] = act_pop_vlan();         /* no tag left: no-op */
    acts[n++] = act_output(2);
    c = run1(&ctx, &f, acts, n);
    k = parsed(c);
    assert_int_equal(ntohs(k.vlans[0].tci) & 0xfff, 7);
    assert_int_equal(ntohs(k.vlans[1].tci) & 0xfff, 9);
    assert_int_equal(cap.c[1].len, f.len);
    assert_memory_equal(cap.c[1].data, f.data, f.len);
    cap_reset();
    assert_no_leaks();
}

static struct frame
mpls_frame(unsigned int labels)
{
    struct frame f;
    uint32_t ip;

    fr_init(&f);
    fr_eth(&f, MAC_B, MAC_A, 0x8847);
    for (unsigned int i = 0; i < labels; i++) {
        fr_mpls(&f, 100 + i, (uint8_t) i, i + 1 == labels, (uint8_t) (64 - i));
    }
    ip = fr_ipv4(&f, 17, IP4_A, IP4_B, 0, 64, 0, 0);
    fr_udp(&f, 1, 2);
    fr_ipv4_end(&f, ip);
    return f;
}

static void
test_push_pop_mpls(void **state)
{
    struct dp_exec_ctx ctx;
    struct ft_dpact acts[6];
    const struct captured *c;
    struct ft_key k;
    struct frame f4 = ipv4_tcp(0), fv = vlan_ipv4_udp();
    uint32_t lse = 1000u << 12 | 5u << 9 | 1u << 8 | 63;
    unsigned int n;

    (void) state;
    test_ctx_init(&ctx);

    /* IPv4 -> MPLS -> IPv4, plain and behind a VLAN tag. */
    const struct frame *plain[2] = { &f4, &fv };
    for (int i = 0; i < 2; i++) {
        acts[0] = act_push_mpls(0x8847, lse);
        acts[1] = act_output(1);
        acts[2] = act_pop_mpls(0x0800);
        acts[3] = act_output(2);
        c = run1(&ctx, plain[i], acts, 4);
        k = parsed(c);
        assert_int_equal(ntohs(k.dl_type), 0x8847);
        assert_int_equal(ntohl(k.mpls_lse[0]), lse);
        assert_int_equal(ft_key_has_vlan(&k), i == 1);
        assert_int_equal(c->len, plain[i]->len + 4);
        assert_int_equal(cap.c[1].len, plain[i]->len);
        assert_memory_equal(cap.c[1].data, plain[i]->data, plain[i]->len);
        cap_reset();
    }

    /* On a 2-label stack: a third on top, then a set of its TTL (the
     * stack the sets see follows the push), pop back. */
    {
        struct frame f2 = mpls_frame(2);
        uint32_t top = 7u << 12 | 0 << 8 | 200;     /* not BOS */
        struct ft_key before;
        struct dp_parse_layers l;

        dp_parse(f2.data, f2.len, &before, &l);
        n = 0;
        acts[n++] = act_push_mpls(0x8847, top);
        acts[n++] = act_set(KOFS(mpls_lse) / 8,
                            (uint64_t) htonl(99), (uint64_t) htonl(0xff));
        acts[n++] = act_output(1);
        acts[n++] = act_pop_mpls(0x8847);
        acts[n++] = act_output(2);
        c = run1(&ctx, &f2, acts, n);
        k = parsed(c);
        assert_int_equal(ntohl(k.mpls_lse[0]), 7u << 12 | 99);
        assert_int_equal(k.mpls_lse[1], before.mpls_lse[0]);
        assert_int_equal(k.mpls_lse[2], before.mpls_lse[1]);
        assert_int_equal(cap.c[1].len, f2.len);
        /* The set hit the pushed label, which is gone again. */
        assert_memory_equal(cap.c[1].data, f2.data, f2.len);
        cap_reset();
    }

    /* Pop of the bottom label: the payload is not parsed, so an IPv4
     * set that follows leaves it alone; the key says IPv4 again. */
    {
        struct frame f1 = mpls_frame(1);
        be32 addr = htonl(0x01020304);

        n = 0;
        acts[n++] = act_pop_mpls(0x0800);
        n += act_set_field(acts + n, KOFS(nw_src), 4, &addr);
        acts[n++] = act_output(1);
        c = run1(&ctx, &f1, acts, n);
        k = parsed(c);
        assert_int_equal(ntohs(k.dl_type), 0x0800);
        assert_int_equal(ntohl(k.nw_src), IP4_A);
        assert_memory_equal(c->data + 12 + 2, f1.data + 18, f1.len - 18);
        cap_reset();
    }

    /* POP_MPLS on a packet without MPLS does nothing. */
    acts[0] = act_pop_mpls(0x0800);
    acts[1] = act_output(1);
    c = run1(&ctx, &f4, acts, 2);
    assert_memory_equal(c->data, f4.data, f4.len);
    cap_reset();
    assert_no_leaks();
}

static void
test_mpls_on_llc_frame(void **state)
{
    struct dp_exec_ctx ctx;
    struct frame f;
    struct ft_dpact acts[4];
    const struct captured *c;
    struct ft_key k;
    uint32_t ip;

    (void) state;
    test_ctx_init(&ctx);
    fr_init(&f);
    fr_eth(&f, MAC_B, MAC_A, 0);
    fr_llc_snap(&f, 0x0800);
    ip = fr_ipv4(&f, 17, IP4_A, IP4_B, 0, 64, 0, 0);
    fr_udp(&f, 67, 68);
    fr_ipv4_end(&f, ip);
    fr_fix_8023_len(&f, 12);

    acts[0] = act_push_mpls(0x8847, 5u << 12 | 1u << 8 | 9);
    acts[1] = act_output(1);
    acts[2] = act_pop_mpls(0x0800);
    acts[3] = act_output(2);
    c = run1(&ctx, &f, acts, 4);
    k = parsed(c);
    /* The SNAP type became MPLS and the 802.3 length grew with the
     * frame. */
    assert_int_equal(ntohs(k.dl_type), 0x8847);
    assert_int_equal(ntohl(k.mpls_lse[0]) >> 12, 5);
    assert_int_equal(c->data[12] << 8 | c->data[13], c->len - 14);
    assert_memory_equal(cap.c[1].data, f.data, f.len);
    cap_reset();
    assert_no_leaks();
}

static void
test_push_pop_pbb(void **state)
{
    struct dp_exec_ctx ctx;
    struct frame f = vlan_ipv4_udp();
    struct ft_dpact acts[8];
    const struct captured *c;
    struct ft_key k;
    struct dp_parse_layers l;
    unsigned int n = 0;

    (void) state;
    test_ctx_init(&ctx);
    acts[n++] = act_push_pbb(0xabcdef);
    acts[n++] = act_output(1);
    acts[n++] = act_push_vlan(0x88a8, 42);      /* B-TAG */
    n += act_set_field(acts + n, KOFS(dl_dst), 6, MAC_D);   /* B-DA */
    acts[n++] = act_output(2);
    acts[n++] = act_pop_vlan();
    acts[n++] = act_pop_pbb();
    acts[n++] = act_output(3);
    run1(&ctx, &f, acts, n);
    assert_int_equal(cap.n, 3);

    c = &cap.c[0];
    dp_parse(c->data, c->len, &k, &l);
    assert_int_equal(c->len, f.len + 18);
    assert_int_equal(ntohs(k.dl_type), 0x88e7);
    assert_int_equal(ntohl(k.pbb_isid), 0xabcdef);
    assert_int_equal(k.pbb_uca, 0);
    assert_false(ft_key_has_vlan(&k));
    /* B-DA/B-SA copy the customer's addresses; the I-PCP the customer
     * tag's PCP (3 in TCI 0x6064). */
    assert_memory_equal(&k.dl_dst, MAC_B, 6);
    assert_memory_equal(&k.dl_src, MAC_A, 6);
    assert_int_equal(c->data[14] >> 5, 3);
    assert_int_equal(l.l3_ofs, 18);
    assert_memory_equal(c->data + 18, f.data, f.len);

    c = &cap.c[1];
    dp_parse(c->data, c->len, &k, &l);
    assert_int_equal(ntohs(k.vlans[0].tpid), 0x88a8);
    assert_int_equal(ntohs(k.vlans[0].tci) & 0xfff, 42);
    assert_int_equal(ntohl(k.pbb_isid), 0xabcdef);
    assert_memory_equal(&k.dl_dst, MAC_D, 6);
    assert_memory_equal(c->data + 22, f.data, f.len);

    /* Outer header, B-TAG and I-TAG gone: the customer frame as it was. */
    assert_int_equal(cap.c[2].len, f.len);
    assert_memory_equal(cap.c[2].data, f.data, f.len);
    cap_reset();

    /* PBB set-fields after a push reach the new I-TAG. */
    n = 0;
    acts[n++] = act_push_pbb(1);
    {
        struct ft_key v = { 0 }, m = { 0 };
        unsigned int w = KOFS(pbb_isid) / 8;

        v.pbb_isid = htonl(0x123456);
        m.pbb_isid = htonl(0xffffff);
        acts[n++] = act_set(w, ft_key_u64(&v)[w], ft_key_u64(&m)[w]);
        v.pbb_uca = 1;
        m.pbb_uca = 1;
        w = KOFS(pbb_uca) / 8;
        acts[n++] = act_set(w, ft_key_u64(&v)[w], ft_key_u64(&m)[w]);
    }
    acts[n++] = act_output(1);
    c = run1(&ctx, &f, acts, n);
    k = parsed(c);
    assert_int_equal(ntohl(k.pbb_isid), 0x123456);
    assert_int_equal(k.pbb_uca, 1);
    cap_reset();
    assert_no_leaks();
}

static void
test_push_without_headroom(void **state)
{
    struct dp_exec_ctx ctx;
    struct test_batch tb = { 0 };
    struct frame f = ipv4_tcp(0);
    struct rte_mbuf *m = rte_pktmbuf_alloc(test_pool);
    struct ft_dpact acts[3];
    struct ft_key k;

    (void) state;
    test_ctx_init(&ctx);
    assert_non_null(m);
    m->data_off = 0;                    /* no headroom at all */
    memcpy(rte_pktmbuf_append(m, (uint16_t) f.len), f.data, f.len);
    assert_int_equal(rte_pktmbuf_headroom(m), 0);
    tb_add_mbuf(&tb, m);
    acts[0] = act_push_vlan(0x8100, 3);
    acts[1] = act_push_mpls(0x8847, 1u << 8 | 1);
    acts[2] = act_output(1);
    tb_execute(&ctx, &tb, acts, 3);
    assert_int_equal(cap.n, 1);
    k = parsed(&cap.c[0]);
    assert_int_equal(ntohs(k.vlans[0].tci) & 0xfff, 3);
    assert_int_equal(ntohs(k.dl_type), 0x8847);
    assert_int_equal(cap.c[0].len, f.len + 8);
    assert_int_equal(ctx.stats.copies, 1);
    cap_reset();
    assert_no_leaks();
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, exec_test_setup, \
                                              exec_test_teardown)

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        T(test_push_pop_vlan_round_trip),
        T(test_vlan_stacking),
        T(test_push_pop_mpls),
        T(test_mpls_on_llc_frame),
        T(test_push_pop_pbb),
        T(test_push_without_headroom),
    };
    int failed;

    (void) argc;
    if (exec_test_init(argv[0])) {
        return 1;
    }
    failed = cmocka_run_group_tests(tests, NULL, NULL);
    exec_test_fini();
    return failed;
}
