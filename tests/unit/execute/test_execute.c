/*
 * test_execute.c — datapath action execution (datapath/dp_execute.h):
 * ownership (move, share, copy; every mbuf back in the pool after every
 * test), shared and indirect input, CLONE isolation and nesting, RECIRC
 * and CONTROLLER hand-off with the metadata overlay, SET_QUEUE, meters on
 * a virtual clock (drop, DSCP remark), push/pop of VLAN, MPLS and PBB
 * (round trips give the original bytes), headroom exhaustion, batches of
 * mixed header layouts, chunking, and the drop reasons.
 *
 * SET_MASKED field by field is test_execute_set.c's subject.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "flowtable/ft_meter.h"
#include "exec_testlib.h"

#define KOFS(member) offsetof(struct ft_key, member)
#define SEC 1000000000ull

/* ---- ownership ----------------------------------------------------------- */

static void
test_empty_list_drops(void **state)
{
    struct dp_exec_ctx ctx;
    struct test_batch tb = { 0 };
    struct frame f = ipv4_tcp(0);

    (void) state;
    test_ctx_init(&ctx);
    add_n(&tb, &f, 5);
    assert_int_equal(tb_execute(&ctx, &tb, NULL, 0), 0);
    assert_int_equal(cap.n, 0);
    assert_int_equal(ctx.stats.drops[DP_EXEC_DROP_ACTION], 5);
    assert_no_leaks();
}

static void
test_list_without_output_drops(void **state)
{
    struct dp_exec_ctx ctx;
    struct test_batch tb = { 0 };
    struct frame f = ipv4_tcp(0);
    struct ft_dpact acts[3];
    unsigned int n;

    (void) state;
    test_ctx_init(&ctx);
    add_n(&tb, &f, 3);
    n = act_set_field(acts, KOFS(dl_dst), 6, MAC_C);
    acts[n++] = act_set_queue(3);
    assert_int_equal(tb_execute(&ctx, &tb, acts, n), 0);
    assert_int_equal(cap.n, 0);
    assert_int_equal(ctx.stats.drops[DP_EXEC_DROP_ACTION], 3);
    assert_no_leaks();
}

static void
test_output_moves(void **state)
{
    struct dp_exec_ctx ctx;
    struct test_batch tb = { 0 };
    struct frame f = ipv4_tcp(0);
    struct rte_mbuf *in[4];
    struct ft_dpact acts[3];
    unsigned int n;

    (void) state;
    test_ctx_init(&ctx);
    add_n(&tb, &f, 4);
    memcpy(in, tb.pkts, sizeof in);
    /* A set after the last output has nobody to see it. */
    acts[0] = act_output(7);
    n = 1 + act_set_field(acts + 1, KOFS(dl_dst), 6, MAC_C);
    assert_int_equal(tb_execute(&ctx, &tb, acts, n), 4);
    assert_int_equal(cap.n, 4);
    assert_int_equal(cap.calls, 1);     /* one burst to the sink */
    for (unsigned int i = 0; i < 4; i++) {
        assert_ptr_equal(cap.c[i].m, in[i]);
        assert_int_equal(cap.c[i].refcnt, 1);
        assert_int_equal(cap.c[i].port, 7);
        assert_int_equal(cap.c[i].queue, DP_EXEC_QUEUE_NONE);
        assert_memory_equal(cap.c[i].data, f.data, f.len);
    }
    assert_int_equal(ctx.stats.copies, 0);
    assert_int_equal(ctx.stats.drops[DP_EXEC_DROP_ACTION], 0);
    cap_reset();
    assert_no_leaks();
}

static void
test_outputs_share_when_read_only(void **state)
{
    struct dp_exec_ctx ctx;
    struct test_batch tb = { 0 };
    struct frame f = ipv4_tcp(0);
    struct rte_mbuf *in[3];
    struct ft_dpact acts[4];

    (void) state;
    test_ctx_init(&ctx);
    add_n(&tb, &f, 3);
    memcpy(in, tb.pkts, sizeof in);
    acts[0] = act_output(1);
    /* A metadata-only set does not modify the packet. */
    acts[1] = act_set(KOFS(metadata) / 8, 42, UINT64_MAX);
    acts[2] = act_output(2);
    acts[3] = act_output(3);
    assert_int_equal(tb_execute(&ctx, &tb, acts, 4), 9);
    assert_int_equal(ctx.stats.copies, 0);
    for (uint32_t port = 1; port <= 3; port++) {
        const struct captured *c[3];

        assert_int_equal(cap_for_port(port, c, 3), 3);
        for (unsigned int i = 0; i < 3; i++) {
            assert_ptr_equal(c[i]->m, in[i]);
            assert_memory_equal(c[i]->data, f.data, f.len);
        }
    }
    /* A reference was taken before each hand-off but the last, which
     * moved the packet: 2 holders at the first, 3 from the second on. */
    assert_int_equal(cap.c[0].refcnt, 2);
    assert_int_equal(cap.c[3].refcnt, 3);
    assert_int_equal(cap.c[6].refcnt, 3);
    cap_reset();
    assert_no_leaks();
}

static void
test_output_then_modify_copies(void **state)
{
    struct dp_exec_ctx ctx;
    struct test_batch tb = { 0 };
    struct frame f = ipv4_tcp(0);
    struct rte_mbuf *in[4];
    struct ft_dpact acts[4];
    const struct captured *p1[4], *p2[4];
    unsigned int n;

    (void) state;
    test_ctx_init(&ctx);
    add_n(&tb, &f, 4);
    memcpy(in, tb.pkts, sizeof in);
    acts[0] = act_output(1);
    n = 1 + act_set_field(acts + 1, KOFS(dl_dst), 6, MAC_C);
    acts[n++] = act_output(2);
    assert_int_equal(tb_execute(&ctx, &tb, acts, n), 8);
    assert_int_equal(cap_for_port(1, p1, 4), 4);
    assert_int_equal(cap_for_port(2, p2, 4), 4);
    for (unsigned int i = 0; i < 4; i++) {
        /* Port 1 got a private copy with the bytes as they were... */
        assert_ptr_not_equal(p1[i]->m, in[i]);
        assert_int_equal(p1[i]->refcnt, 1);
        assert_memory_equal(p1[i]->data, f.data, f.len);
        /* ...and its bytes stay so after the later set. */
        assert_memory_equal(rte_pktmbuf_mtod(p1[i]->m, void *), f.data,
                            f.len);
        /* Port 2 got the packet itself, modified. */
        assert_ptr_equal(p2[i]->m, in[i]);
        assert_memory_equal(p2[i]->data, MAC_C, 6);
        assert_memory_equal(p2[i]->data + 6, f.data + 6, f.len - 6);
    }
    assert_int_equal(ctx.stats.copies, 4);
    cap_reset();
    assert_no_leaks();
}

static void
test_shared_input_is_not_edited(void **state)
{
    struct dp_exec_ctx ctx;
    struct test_batch tb = { 0 };
    struct frame f = ipv4_tcp(0);
    struct rte_mbuf *shared, *direct, *indirect;
    struct ft_dpact acts[3];
    unsigned int n;

    (void) state;
    test_ctx_init(&ctx);
    /* One packet someone else also holds, one indirect clone of a
     * buffer someone else holds. */
    shared = mbuf_from(f.data, f.len);
    rte_mbuf_refcnt_update(shared, 1);
    direct = mbuf_from(f.data, f.len);
    indirect = rte_pktmbuf_clone(direct, test_pool);
    assert_non_null(indirect);
    tb_add_mbuf(&tb, shared);
    tb_add_mbuf(&tb, indirect);

    n = act_set_field(acts, KOFS(dl_dst), 6, MAC_C);
    acts[n++] = act_push_vlan(0x8100, 5);
    acts[n++] = act_output(1);
    tb_execute(&ctx, &tb, acts, n);
    assert_int_equal(cap.n, 2);
    for (unsigned int i = 0; i < 2; i++) {
        struct ft_key k = parsed(&cap.c[i]);

        assert_memory_equal(&k.dl_dst, MAC_C, 6);
        assert_int_equal(ntohs(k.vlans[0].tci), 0x1005);
        assert_int_equal(cap.c[i].refcnt, 1);
        assert_true(RTE_MBUF_DIRECT(cap.c[i].m));
    }
    /* The other holders' bytes are untouched. */
    assert_int_equal(rte_pktmbuf_data_len(shared), f.len);
    assert_memory_equal(rte_pktmbuf_mtod(shared, void *), f.data, f.len);
    assert_memory_equal(rte_pktmbuf_mtod(direct, void *), f.data, f.len);
    assert_int_equal(ctx.stats.copies, 2);
    rte_pktmbuf_free(shared);
    rte_pktmbuf_free(direct);
    cap_reset();
    assert_no_leaks();
}

/* ---- CLONE --------------------------------------------------------------- */

static void
test_clone_isolates_its_changes(void **state)
{
    struct dp_exec_ctx ctx;
    struct test_batch tb = { 0 };
    struct frame f = vlan_ipv4_udp();
    struct ft_dpact acts[8];
    const struct captured *p1[3], *p2[3];
    be32 addr = htonl(0x01010101);
    unsigned int n = 0, body;

    (void) state;
    test_ctx_init(&ctx);
    add_n(&tb, &f, 3);
    acts[n++] = act_clone(0);
    body = n;
    n += act_set_field(acts + n, KOFS(nw_dst), 4, &addr);
    acts[n++] = act_pop_vlan();
    acts[n++] = act_set_queue(9);
    acts[n++] = act_output(1);
    acts[0].clone.n = n - body;
    acts[n++] = act_output(2);
    tb_execute(&ctx, &tb, acts, n);

    assert_int_equal(cap_for_port(1, p1, 3), 3);
    assert_int_equal(cap_for_port(2, p2, 3), 3);
    for (unsigned int i = 0; i < 3; i++) {
        struct ft_key k1 = parsed(p1[i]);

        assert_int_equal(k1.nw_dst, addr);
        assert_false(ft_key_has_vlan(&k1));
        assert_int_equal(p1[i]->queue, 9);
        assert_checksums(p1[i]);
        /* The original continues as it was before the clone. */
        assert_int_equal(p2[i]->len, f.len);
        assert_memory_equal(p2[i]->data, f.data, f.len);
        assert_int_equal(p2[i]->queue, DP_EXEC_QUEUE_NONE);
    }
    assert_int_equal(ctx.stats.copies, 3);
    cap_reset();
    assert_no_leaks();
}

static void
test_clone_nested(void **state)
{
    struct dp_exec_ctx ctx;
    struct test_batch tb = { 0 };
    struct frame f = ipv4_tcp(0);
    struct ft_dpact acts[16];
    const struct captured *c[2];
    unsigned int n = 0;

    (void) state;
    test_ctx_init(&ctx);
    add_n(&tb, &f, 2);
    /* clone(set dst=C; clone(set src=D; out 1); out 2); out 3 */
    acts[n++] = act_clone(0);
    n += act_set_field(acts + n, KOFS(dl_dst), 6, MAC_C);
    acts[n++] = act_clone(0);
    n += act_set_field(acts + n, KOFS(dl_src), 6, MAC_D);
    acts[n++] = act_output(1);
    acts[2].clone.n = n - 3;
    acts[n++] = act_output(2);
    acts[0].clone.n = n - 1;
    acts[n++] = act_output(3);
    assert_int_equal(acts[2].type, FT_DPACT_CLONE);
    tb_execute(&ctx, &tb, acts, n);

    assert_int_equal(cap_for_port(1, c, 2), 2);
    assert_memory_equal(c[0]->data, MAC_C, 6);
    assert_memory_equal(c[0]->data + 6, MAC_D, 6);
    assert_int_equal(cap_for_port(2, c, 2), 2);
    assert_memory_equal(c[1]->data, MAC_C, 6);
    assert_memory_equal(c[1]->data + 6, MAC_A, 6);
    assert_int_equal(cap_for_port(3, c, 2), 2);
    assert_memory_equal(c[0]->data, f.data, f.len);
    cap_reset();
    assert_no_leaks();
}

static void
test_clone_last_uses_originals(void **state)
{
    struct dp_exec_ctx ctx;
    struct test_batch tb = { 0 };
    struct frame f = ipv4_tcp(0);
    struct rte_mbuf *in[2];
    struct ft_dpact acts[8];
    unsigned int n = 0;

    (void) state;
    test_ctx_init(&ctx);
    add_n(&tb, &f, 2);
    memcpy(in, tb.pkts, sizeof in);
    /* Nothing after the clone uses the packet: no copy. */
    acts[n++] = act_clone(0);
    n += act_set_field(acts + n, KOFS(dl_dst), 6, MAC_C);
    acts[n++] = act_output(1);
    acts[0].clone.n = n - 1;
    acts[n++] = act_set_queue(4);
    tb_execute(&ctx, &tb, acts, n);
    assert_int_equal(cap.n, 2);
    assert_ptr_equal(cap.c[0].m, in[0]);
    assert_ptr_equal(cap.c[1].m, in[1]);
    assert_memory_equal(cap.c[0].data, MAC_C, 6);
    assert_int_equal(ctx.stats.copies, 0);
    assert_int_equal(ctx.stats.drops[DP_EXEC_DROP_ACTION], 0);
    cap_reset();
    assert_no_leaks();
}

static void
test_clone_read_only_shares(void **state)
{
    struct dp_exec_ctx ctx;
    struct test_batch tb = { 0 };
    struct frame f = ipv4_tcp(0);
    struct rte_mbuf *in[2];
    struct ft_dpact acts[4];
    const struct captured *c[2];

    (void) state;
    test_ctx_init(&ctx);
    add_n(&tb, &f, 2);
    memcpy(in, tb.pkts, sizeof in);
    acts[0] = act_clone(1);
    acts[1] = act_output(1);
    acts[2] = act_output(2);
    tb_execute(&ctx, &tb, acts, 3);
    assert_int_equal(ctx.stats.copies, 0);
    assert_int_equal(cap_for_port(1, c, 2), 2);
    assert_ptr_equal(c[0]->m, in[0]);
    assert_int_equal(c[0]->refcnt, 2);
    assert_int_equal(cap_for_port(2, c, 2), 2);
    assert_ptr_equal(c[1]->m, in[1]);
    cap_reset();
    assert_no_leaks();

    /* A read-only body but a set after the clone: the body's outputs get
     * copies, the originals go on and are edited in place. */
    add_n(&tb, &f, 2);
    memcpy(in, tb.pkts, sizeof in);
    {
        struct ft_dpact l[4];
        unsigned int n = 0;

        l[n++] = act_clone(1);
        l[n++] = act_output(1);
        n += act_set_field(l + n, KOFS(dl_dst), 6, MAC_C);
        l[n++] = act_output(2);
        tb_execute(&ctx, &tb, l, n);
    }
    assert_int_equal(ctx.stats.copies, 2);
    assert_int_equal(cap_for_port(1, c, 2), 2);
    assert_ptr_not_equal(c[0]->m, in[0]);
    assert_memory_equal(rte_pktmbuf_mtod(c[0]->m, void *), f.data, f.len);
    assert_int_equal(cap_for_port(2, c, 2), 2);
    assert_ptr_equal(c[0]->m, in[0]);
    assert_memory_equal(c[0]->data, MAC_C, 6);
    cap_reset();
    assert_no_leaks();
    ctx.stats.copies = 0;

    /* A clone that hands nothing off costs nothing and changes nothing. */
    tb.n = 0;
    add_n(&tb, &f, 2);
    acts[0] = act_clone(1);
    acts[1] = act_push_vlan(0x8100, 1);
    acts[2] = act_output(3);
    tb_execute(&ctx, &tb, acts, 3);
    assert_int_equal(cap.n, 2);
    assert_memory_equal(cap.c[0].data, f.data, f.len);
    assert_int_equal(ctx.stats.copies, 0);
    cap_reset();
    assert_no_leaks();
}

static void
test_clone_recirculates_inside(void **state)
{
    struct dp_exec_ctx ctx;
    struct test_batch tb = { 0 };
    struct frame f = ipv4_tcp(0);
    struct ft_dpact acts[8];
    unsigned int n = 0;

    (void) state;
    test_ctx_init(&ctx);
    add_n(&tb, &f, 2);
    /* clone(set dst; recirc 5; out 9 [never runs]); out 2 */
    acts[n++] = act_clone(0);
    n += act_set_field(acts + n, KOFS(dl_dst), 6, MAC_C);
    acts[n++] = act_recirc(5);
    acts[n++] = act_output(9);
    acts[0].clone.n = n - 1;
    acts[n++] = act_output(2);
    assert_int_equal(tb_execute(&ctx, &tb, acts, n), 4);
    assert_int_equal(cap.n, 4);
    for (unsigned int i = 0; i < 4; i++) {
        const struct captured *c = &cap.c[i];

        if (c->kind == CAP_RECIRC) {
            assert_int_equal(c->recirc_id, 5);
            assert_memory_equal(c->data, MAC_C, 6);
        } else {
            assert_int_equal(c->kind, CAP_OUTPUT);
            assert_int_equal(c->port, 2);
            assert_memory_equal(c->data, f.data, f.len);
        }
    }
    cap_reset();
    assert_no_leaks();
}

static void
test_clone_too_deep(void **state)
{
    struct dp_exec_ctx ctx;
    struct test_batch tb = { 0 };
    struct frame f = ipv4_tcp(0);
    struct ft_dpact acts[DP_EXEC_MAX_DEPTH + 3];
    unsigned int n = DP_EXEC_MAX_DEPTH + 1;

    (void) state;
    test_ctx_init(&ctx);
    add_n(&tb, &f, 2);
    /* DP_EXEC_MAX_DEPTH + 1 nested clones around an output, then an
     * output of the originals. */
    for (unsigned int i = 0; i < n; i++) {
        acts[i] = act_clone(n - i);
    }
    acts[n] = act_output(1);
    acts[n + 1] = act_output(2);
    tb_execute(&ctx, &tb, acts, n + 2);
    assert_int_equal(ctx.stats.drops[DP_EXEC_DROP_INVALID], 2);
    assert_int_equal(cap.n, 2);
    assert_int_equal(cap.c[0].port, 2);
    cap_reset();
    assert_no_leaks();

    /* Exactly DP_EXEC_MAX_DEPTH levels run. */
    test_ctx_init(&ctx);
    add_n(&tb, &f, 1);
    n = DP_EXEC_MAX_DEPTH;
    for (unsigned int i = 0; i < n; i++) {
        acts[i] = act_clone(n - i);
    }
    acts[n] = act_output(1);
    acts[n + 1] = act_output(2);
    tb_execute(&ctx, &tb, acts, n + 2);
    assert_int_equal(ctx.stats.drops[DP_EXEC_DROP_INVALID], 0);
    assert_int_equal(cap.n, 2);
    cap_reset();
    assert_no_leaks();
}

/* ---- hand-offs ----------------------------------------------------------- */

static void
test_recirc_hands_off_with_metadata(void **state)
{
    struct dp_exec_ctx ctx;
    struct test_batch tb = { 0 };
    struct frame f = ipv4_tcp(0);
    struct rte_mbuf *in[3];
    struct ft_dpact acts[6];
    uint64_t tun_id = 0x1234567;
    unsigned int n = 0;

    (void) state;
    test_ctx_init(&ctx);
    add_n(&tb, &f, 3);
    memcpy(in, tb.pkts, sizeof in);
    n += act_set_field(acts + n, KOFS(tunnel.tun_id), 8, &tun_id);
    n += act_set_field(acts + n, KOFS(dl_src), 6, MAC_D);
    acts[n++] = act_recirc(77);
    acts[n++] = act_output(1);          /* after RECIRC: never runs */
    assert_int_equal(tb_execute(&ctx, &tb, acts, n), 3);
    assert_int_equal(cap.n, 3);
    assert_int_equal(cap.calls, 1);
    for (unsigned int i = 0; i < 3; i++) {
        const struct captured *c = &cap.c[i];
        struct ft_key k = parsed(c), want;
        struct dp_parse_layers l;

        assert_int_equal(c->kind, CAP_RECIRC);
        assert_int_equal(c->recirc_id, 77);
        assert_ptr_equal(c->m, in[i]);
        assert_memory_equal(&k.dl_src, MAC_D, 6);
        /* The recirculation key: the packet re-parsed, the metadata as
         * the sets left it. */
        dp_exec_recirc_key(&k, &c->key, &c->meta, 77);
        dp_parse(f.data, f.len, &want, &l);
        memcpy(&want.dl_src, MAC_D, 6);
        want.in_port = 1;
        want.tunnel.tun_id = tun_id;
        want.recirc_id = 77;
        assert_true(ft_key_equal(&k, &want));
    }
    cap_reset();

    /* An output before RECIRC gets a copy: the next pass may edit. */
    add_n(&tb, &f, 2);
    memcpy(in, tb.pkts, 2 * sizeof *in);
    acts[0] = act_output(1);
    acts[1] = act_recirc(3);
    assert_int_equal(tb_execute(&ctx, &tb, acts, 2), 4);
    assert_int_equal(cap.c[0].kind, CAP_OUTPUT);
    assert_ptr_not_equal(cap.c[0].m, in[0]);
    assert_int_equal(cap.c[0].refcnt, 1);
    assert_int_equal(cap.c[2].kind, CAP_RECIRC);
    assert_ptr_equal(cap.c[2].m, in[0]);
    assert_int_equal(cap.c[2].refcnt, 1);
    cap_reset();
    assert_no_leaks();
}

static void
test_controller_hand_off(void **state)
{
    struct dp_exec_ctx ctx;
    struct test_batch tb = { 0 };
    struct frame f = ipv4_tcp(0);
    struct rte_mbuf *in[2];
    struct ft_dpact acts[6];
    const struct captured *c[2];
    uint64_t md = 0xfeed;
    unsigned int n = 0;

    (void) state;
    test_ctx_init(&ctx);
    add_n(&tb, &f, 2);
    memcpy(in, tb.pkts, sizeof in);
    n += act_set_field(acts + n, KOFS(metadata), 8, &md);
    acts[n++] = act_controller(64, 1, 3, 0xc00c1e);
    acts[n++] = act_output(2);
    tb_execute(&ctx, &tb, acts, n);
    assert_int_equal(cap.n, 4);
    for (unsigned int i = 0; i < 2; i++) {
        const struct captured *k = &cap.c[i];

        assert_int_equal(k->kind, CAP_CONTROLLER);
        assert_int_equal(k->act.type, FT_DPACT_CONTROLLER);
        assert_int_equal(k->act.controller.max_len, 64);
        assert_int_equal(k->act.controller.reason, 1);
        assert_int_equal(k->act.controller.table_id, 3);
        assert_int_equal(k->act.controller.cookie, 0xc00c1e);
        /* The whole packet: max_len is the sink's to apply. */
        assert_int_equal(k->len, f.len);
        assert_int_equal(k->key.in_port, 1);
        assert_int_equal(k->meta.value[KOFS(metadata) / 8], md);
        assert_int_equal(k->meta.mask[KOFS(metadata) / 8], UINT64_MAX);
        /* Only outputs follow: a shared reference. */
        assert_ptr_equal(k->m, in[i]);
    }
    assert_int_equal(cap_for_port(2, c, 2), 2);
    assert_ptr_equal(c[0]->m, in[0]);
    cap_reset();

    /* CONTROLLER last: the packets themselves; a set after it copies. */
    add_n(&tb, &f, 2);
    memcpy(in, tb.pkts, sizeof in);
    acts[0] = act_output(1);
    acts[1] = act_controller(0xffff, 0, 0, 0);
    tb_execute(&ctx, &tb, acts, 2);
    assert_ptr_equal(cap.c[2].m, in[0]);
    assert_int_equal(cap.c[2].kind, CAP_CONTROLLER);
    assert_int_equal(ctx.stats.copies, 0);
    cap_reset();

    add_n(&tb, &f, 1);
    acts[0] = act_controller(0xffff, 0, 0, 0);
    n = 1 + act_set_field(acts + 1, KOFS(dl_dst), 6, MAC_C);
    acts[n++] = act_output(1);
    tb_execute(&ctx, &tb, acts, n);
    assert_int_equal(cap.n, 2);
    assert_memory_equal(cap.c[0].data, f.data, f.len);
    assert_memory_equal(rte_pktmbuf_mtod(cap.c[0].m, void *), f.data, 6);
    assert_memory_equal(cap.c[1].data, MAC_C, 6);
    cap_reset();
    assert_no_leaks();
}

static void
test_missing_sinks_drop(void **state)
{
    struct dp_exec_ctx ctx;
    struct test_batch tb = { 0 };
    struct frame f = ipv4_tcp(0);
    struct ft_dpact acts[3];

    (void) state;
    test_ctx_init(&ctx);
    ctx.controller = NULL;
    ctx.recirculate = NULL;
    add_n(&tb, &f, 2);
    acts[0] = act_controller(0, 0, 0, 0);
    acts[1] = act_output(1);
    acts[2] = act_recirc(3);
    tb_execute(&ctx, &tb, acts, 3);
    /* The output still happens; both other hand-offs are drops. */
    assert_int_equal(cap.n, 2);
    assert_int_equal(cap.c[0].kind, CAP_OUTPUT);
    assert_int_equal(ctx.stats.drops[DP_EXEC_DROP_NO_SINK], 4);
    cap_reset();
    assert_no_leaks();
}

static void
test_set_queue(void **state)
{
    struct dp_exec_ctx ctx;
    struct test_batch tb = { 0 };
    struct frame f = ipv4_tcp(0);
    struct ft_dpact acts[8];
    const struct captured *c[1];
    unsigned int n = 0;

    (void) state;
    test_ctx_init(&ctx);
    add_n(&tb, &f, 1);
    acts[n++] = act_set_queue(5);
    acts[n++] = act_output(1);
    acts[n++] = act_clone(2);
    acts[n++] = act_set_queue(6);
    acts[n++] = act_output(2);
    acts[n++] = act_output(3);
    tb_execute(&ctx, &tb, acts, n);
    assert_int_equal(cap_for_port(1, c, 1), 1);
    assert_int_equal(c[0]->queue, 5);
    assert_int_equal(cap_for_port(2, c, 1), 1);
    assert_int_equal(c[0]->queue, 6);
    assert_int_equal(cap_for_port(3, c, 1), 1);
    assert_int_equal(c[0]->queue, 5);
    cap_reset();
    assert_no_leaks();
}

/* ---- meters ------------------------------------------------------------ */

static struct ft_meter *
meter_add(struct ft_meter_table *t, uint32_t id, uint16_t band_type,
          uint32_t rate, uint32_t burst, uint8_t prec, uint64_t now)
{
    struct ft_meter_band_cfg band = { .type = band_type, .rate = rate,
                                      .burst_size = burst,
                                      .prec_level = prec };
    struct ft_meter_mod mm = {
        .command = FT_OFPMC_ADD, .meter_id = id, .n_bands = 1,
        .flags = FT_OFPMF_PKTPS | FT_OFPMF_BURST | FT_OFPMF_STATS,
        .bands = &band,
    };

    assert_int_equal(ft_meter_mod(t, &mm, now), FT_METER_OK);
    return ft_meter_ref(t, id);
}

static void
test_meter_drops_on_virtual_clock(void **state)
{
    struct ft_meter_table *t = ft_meter_table_create(0, NULL);
    struct dp_exec_ctx ctx;
    struct test_batch tb = { 0 };
    struct frame f = ipv4_tcp(0);
    struct ft_meter *m;
    struct ft_dpact acts[3];
    struct ft_meter_stats st;

    (void) state;
    assert_non_null(t);
    test_ctx_init(&ctx);
    m = meter_add(t, 1, FT_OFPMBT_DROP, 10, 4, 0, ctx.now_ns);
    assert_non_null(m);
    acts[0] = act_meter(m);
    acts[1] = act_output(1);

    /* A full bucket of 4 packets: 4 of 10 pass, in order. */
    add_n(&tb, &f, 10);
    struct rte_mbuf *first = tb.pkts[0];
    assert_int_equal(tb_execute(&ctx, &tb, acts, 2), 4);
    assert_int_equal(cap.n, 4);
    assert_ptr_equal(cap.c[0].m, first);
    assert_int_equal(ctx.stats.drops[DP_EXEC_DROP_METER], 6);
    cap_reset();

    /* Same instant: nothing left. */
    add_n(&tb, &f, 3);
    assert_int_equal(tb_execute(&ctx, &tb, acts, 2), 0);
    assert_int_equal(ctx.stats.drops[DP_EXEC_DROP_METER], 9);
    assert_int_equal(ctx.stats.drops[DP_EXEC_DROP_ACTION], 0);

    /* 200 ms later: 2 tokens at 10 pkt/s. */
    ctx.now_ns += SEC / 5;
    add_n(&tb, &f, 5);
    assert_int_equal(tb_execute(&ctx, &tb, acts, 2), 2);
    assert_int_equal(ctx.stats.drops[DP_EXEC_DROP_METER], 12);
    cap_reset();

    assert_int_equal(ft_meter_get_stats(t, 1, ctx.now_ns, &st), FT_METER_OK);
    assert_int_equal(st.packet_in_count, 18);
    assert_int_equal(st.bands[0].packet_band_count, 12);

    /* A meter after the output still counts the packets (the output got
     * copies), and what it passes was delivered: not a drop. */
    ctx.now_ns += 10 * SEC;
    add_n(&tb, &f, 6);
    acts[0] = act_output(1);
    acts[1] = act_meter(m);
    assert_int_equal(tb_execute(&ctx, &tb, acts, 2), 6);
    assert_int_equal(ctx.stats.drops[DP_EXEC_DROP_METER], 14);
    assert_int_equal(ctx.stats.drops[DP_EXEC_DROP_ACTION], 0);
    assert_int_equal(ft_meter_get_stats(t, 1, ctx.now_ns, &st), FT_METER_OK);
    assert_int_equal(st.packet_in_count, 24);
    cap_reset();
    ft_meter_unref(t, m);
    ft_meter_table_destroy(t);
    assert_no_leaks();
}

static void
test_meter_dscp_remark(void **state)
{
    struct ft_meter_table *t = ft_meter_table_create(0, NULL);
    struct dp_exec_ctx ctx;
    struct test_batch tb = { 0 };
    struct frame f4 = ipv4_tcp(10 << 2 | 1);   /* AF11, ECN 1 */
    struct frame f6 = ipv6_udp(18 << 2 | 2);   /* AF21, ECN 2 */
    struct ft_meter *m;
    struct ft_dpact acts[2];

    (void) state;
    test_ctx_init(&ctx);
    m = meter_add(t, 2, FT_OFPMBT_DSCP_REMARK, 10, 2, 1, ctx.now_ns);
    acts[0] = act_meter(m);
    acts[1] = act_output(1);

    add_n(&tb, &f4, 5);
    tb_execute(&ctx, &tb, acts, 2);
    assert_int_equal(cap.n, 5);
    for (unsigned int i = 0; i < 5; i++) {
        struct ft_key k = parsed(&cap.c[i]);

        /* 2 conform; the rest AF11 -> AF12 with ECN kept. */
        assert_int_equal(k.nw_tos, i < 2 ? (10 << 2 | 1) : (12 << 2 | 1));
        assert_checksums(&cap.c[i]);
    }
    cap_reset();

    ctx.now_ns += 10 * SEC;
    add_n(&tb, &f6, 4);
    tb_execute(&ctx, &tb, acts, 2);
    assert_int_equal(cap.n, 4);
    for (unsigned int i = 0; i < 4; i++) {
        struct ft_key k = parsed(&cap.c[i]);

        assert_int_equal(k.nw_tos, i < 2 ? (18 << 2 | 2) : (20 << 2 | 2));
        assert_int_equal(ntohl(k.ipv6_label), 0x12345);
        assert_checksums(&cap.c[i]);
    }
    assert_int_equal(ctx.stats.drops[DP_EXEC_DROP_METER], 0);
    cap_reset();

    /* Output, then meter: the output keeps the DSCP it saw. */
    ctx.now_ns += 10 * SEC;
    add_n(&tb, &f4, 3);
    {
        struct ft_dpact l[3] = { act_output(1), act_meter(m),
                                 act_output(2) };
        const struct captured *c1[3], *c2[3];

        tb_execute(&ctx, &tb, l, 3);
        assert_int_equal(cap_for_port(1, c1, 3), 3);
        assert_int_equal(cap_for_port(2, c2, 3), 3);
        assert_int_equal(parsed(c1[2]).nw_tos, 10 << 2 | 1);
        assert_int_equal(parsed(c2[2]).nw_tos, 12 << 2 | 1);
        assert_memory_equal(rte_pktmbuf_mtod(c1[2]->m, void *), f4.data,
                            f4.len);
        assert_checksums(c2[2]);
    }
    cap_reset();

    /* A packet that is not IP passes unchanged. */
    {
        struct frame arp;

        fr_init(&arp);
        fr_eth(&arp, MAC_B, MAC_A, 0x0806);
        fr_arp(&arp, 1, MAC_A, IP4_A, MAC_B, IP4_B);
        add_n(&tb, &arp, 4);
        tb_execute(&ctx, &tb, acts, 2);
        assert_int_equal(cap.n, 4);
        assert_memory_equal(cap.c[3].data, arp.data, arp.len);
        cap_reset();
    }
    ft_meter_unref(t, m);
    ft_meter_table_destroy(t);
    assert_no_leaks();
}

/* ---- batches ------------------------------------------------------------- */

static void
test_mixed_shapes_run_separately(void **state)
{
    struct dp_exec_ctx ctx;
    struct test_batch tb = { 0 };
    struct frame f4 = ipv4_tcp(0), f6 = ipv6_udp(0), fv = vlan_ipv4_udp();
    struct ft_dpact acts[4];
    be32 addr = htonl(0x08080808);
    unsigned int n;

    (void) state;
    test_ctx_init(&ctx);
    tb_add_frame(&tb, &f4);
    tb_add_frame(&tb, &f4);
    tb_add_frame(&tb, &f6);
    tb_add_frame(&tb, &fv);
    tb_add_frame(&tb, &f4);
    n = act_set_field(acts, KOFS(nw_dst), 4, &addr);
    acts[n++] = act_set(KOFS(vlans) / 8, (uint64_t) htons(77) << 16,
                        (uint64_t) htons(0xfff) << 16);
    acts[n++] = act_output(1);
    tb_execute(&ctx, &tb, acts, n);
    assert_int_equal(cap.n, 5);
    /* Four runs (f4 f4 | f6 | fv | f4), order kept. */
    assert_int_equal(cap.calls, 4);
    for (unsigned int i = 0; i < 5; i++) {
        struct ft_key k = parsed(&cap.c[i]);

        assert_checksums(&cap.c[i]);
        if (i == 2) {
            assert_memory_equal(cap.c[i].data, f6.data, f6.len);
            continue;
        }
        assert_int_equal(k.nw_dst, addr);
        if (i == 3) {
            assert_int_equal(ntohs(k.vlans[0].tci) & 0xfff, 77);
        } else {
            assert_false(ft_key_has_vlan(&k));
        }
    }
    cap_reset();

    /* A list that does not depend on headers does not split. */
    tb_add_frame(&tb, &f4);
    tb_add_frame(&tb, &f6);
    tb_add_frame(&tb, &fv);
    acts[0] = act_output(1);
    tb_execute(&ctx, &tb, acts, 1);
    assert_int_equal(cap.calls, 1);
    cap_reset();
    assert_no_leaks();
}

static void
test_large_batch_in_chunks(void **state)
{
    struct dp_exec_ctx ctx;
    struct test_batch tb = { 0 };
    struct frame f = ipv4_tcp(0);
    struct rte_mbuf *in[100];
    struct ft_dpact acts[3];
    unsigned int n;

    (void) state;
    test_ctx_init(&ctx);
    add_n(&tb, &f, 100);
    memcpy(in, tb.pkts, sizeof in);
    n = act_set_field(acts, KOFS(dl_src), 6, MAC_C);
    acts[n++] = act_output(1);
    assert_int_equal(tb_execute(&ctx, &tb, acts, n), 100);
    assert_int_equal(cap.n, 100);
    assert_int_equal(cap.calls, (100 + DP_EXEC_BATCH_MAX - 1)
                                / DP_EXEC_BATCH_MAX);
    for (unsigned int i = 0; i < 100; i++) {
        assert_ptr_equal(cap.c[i].m, in[i]);
        assert_memory_equal(cap.c[i].data + 6, MAC_C, 6);
    }
    cap_reset();
    assert_no_leaks();
}

static void
test_list_too_long(void **state)
{
    static struct ft_dpact acts[DP_EXEC_MAX_ACTS + 1];
    struct dp_exec_ctx ctx;
    struct test_batch tb = { 0 };
    struct frame f = ipv4_tcp(0);

    (void) state;
    test_ctx_init(&ctx);
    for (unsigned int i = 0; i <= DP_EXEC_MAX_ACTS; i++) {
        acts[i] = act_output(1);
    }
    add_n(&tb, &f, 3);
    assert_int_equal(tb_execute(&ctx, &tb, acts, DP_EXEC_MAX_ACTS + 1), 0);
    assert_int_equal(ctx.stats.drops[DP_EXEC_DROP_INVALID], 3);
    assert_int_equal(cap.n, 0);
    assert_no_leaks();

    /* The longest list runs: 1024 outputs share one packet. */
    add_n(&tb, &f, 1);
    assert_int_equal(tb_execute(&ctx, &tb, acts, DP_EXEC_MAX_ACTS),
                     DP_EXEC_MAX_ACTS);
    assert_int_equal(ctx.stats.copies, 0);
    for (unsigned int i = 0; i < cap.n; i++) {
        rte_pktmbuf_free(cap.c[i].m);
    }
    cap.n = 0;
    assert_no_leaks();
}

static void
test_drop_reason_names(void **state)
{
    (void) state;
    assert_string_equal(dp_exec_drop_reason_name(DP_EXEC_DROP_ACTION),
                        "action");
    assert_string_equal(dp_exec_drop_reason_name(DP_EXEC_DROP_METER),
                        "meter");
    assert_string_equal(dp_exec_drop_reason_name(DP_EXEC_DROP_NOMEM),
                        "nomem");
    assert_string_equal(dp_exec_drop_reason_name(DP_EXEC_DROP_NO_SINK),
                        "no-sink");
    assert_string_equal(dp_exec_drop_reason_name(DP_EXEC_DROP_INVALID),
                        "invalid");
    assert_string_equal(dp_exec_drop_reason_name(DP_EXEC_DROP_N_REASONS),
                        "unknown");
}

static void
test_copy_failure_counts_nomem(void **state)
{
    struct dp_exec_ctx ctx;
    struct test_batch tb = { 0 };
    struct frame f = ipv4_tcp(0);
    struct rte_mempool *tiny;
    struct ft_dpact acts[4];
    unsigned int n;

    (void) state;
    /* A pool with no mbuf free for copies. */
    tiny = rte_pktmbuf_pool_create("exec_tiny", 1, 0, 0,
                                   RTE_MBUF_DEFAULT_BUF_SIZE, SOCKET_ID_ANY);
    assert_non_null(tiny);
    struct rte_mbuf *hog = rte_pktmbuf_alloc(tiny);
    assert_non_null(hog);
    test_ctx_init(&ctx);
    ctx.pool = tiny;
    add_n(&tb, &f, 3);
    acts[0] = act_output(1);
    n = 1 + act_set_field(acts + 1, KOFS(dl_dst), 6, MAC_C);
    acts[n++] = act_output(2);
    tb_execute(&ctx, &tb, acts, n);
    /* The copies for port 1 failed; port 2 still gets the packets. */
    assert_int_equal(ctx.stats.drops[DP_EXEC_DROP_NOMEM], 3);
    assert_int_equal(cap.n, 3);
    assert_int_equal(cap.c[0].port, 2);
    cap_reset();
    rte_pktmbuf_free(hog);
    rte_mempool_free(tiny);
    assert_no_leaks();
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, exec_test_setup, \
                                              exec_test_teardown)

int
main(int argc, char **argv)
{
    const struct CMUnitTest tests[] = {
        T(test_empty_list_drops),
        T(test_list_without_output_drops),
        T(test_output_moves),
        T(test_outputs_share_when_read_only),
        T(test_output_then_modify_copies),
        T(test_shared_input_is_not_edited),
        T(test_clone_isolates_its_changes),
        T(test_clone_nested),
        T(test_clone_last_uses_originals),
        T(test_clone_read_only_shares),
        T(test_clone_recirculates_inside),
        T(test_clone_too_deep),
        T(test_recirc_hands_off_with_metadata),
        T(test_controller_hand_off),
        T(test_missing_sinks_drop),
        T(test_set_queue),
        T(test_meter_drops_on_virtual_clock),
        T(test_meter_dscp_remark),
        T(test_mixed_shapes_run_separately),
        T(test_large_batch_in_chunks),
        T(test_list_too_long),
        T(test_drop_reason_names),
        T(test_copy_failure_counts_nomem),
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
