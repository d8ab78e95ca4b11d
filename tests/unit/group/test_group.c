/*
 * test_group.c — unit tests of OpenFlow groups (flowtable/ft_group.h):
 * every GROUP_MOD error with its exact code, ADD / MODIFY / DELETE /
 * DELETE ALL, references (flows, holds, chained groups, zombies),
 * chaining (loops through MODIFY, chain depth, CHAINED_GROUP), SELECT
 * slot shares and their stickiness across liveness changes and MODIFY,
 * FAST_FAILOVER with port and group watches (including a watch cycle),
 * stats and credit with generations, features, RCU-deferred frees with a
 * real qsbr, and readers running concurrently with GROUP_MOD.
 *
 * No EAL: the group code needs none; the QSBR variable lives in plain
 * aligned memory.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <rte_rcu_qsbr.h>

#include "flowtable/ft_group.h"

#define SEC 1000000000ull
#define T0 (7 * SEC)
#define ANYP FT_OFPP_ANY
#define ANYG FT_OFPG_ANY
#define NO_GROUP FT_OFPG_ANY        /* add_bucket: no GROUP action */
#define SLOTS FT_GROUP_SELECT_SLOTS

/* ---- helpers -------------------------------------------------------------- */

/* Port liveness the table asks about: ports 0..63. */
static bool port_up[64];

static bool
port_live(uint32_t port, void *aux)
{
    bool *up = aux;
    return port < 64 && up[port];
}

static void
all_ports_up(void)
{
    for (int i = 0; i < 64; i++) {
        port_up[i] = true;
    }
}

/* Buckets under construction. */
struct gbuild {
    uint32_t n;
    struct ft_bucket_cfg b[FT_GROUP_MAX_BUCKETS + 1];
    struct ft_action a[FT_GROUP_MAX_BUCKETS + 1][2];
};

static struct gbuild *
gb(void)
{
    static struct gbuild g;
    memset(&g, 0, sizeof g);
    return &g;
}

/* A bucket with OUTPUT:out_port (if nonzero) then GROUP:group (unless
 * NO_GROUP). */
static struct ft_bucket_cfg *
add_bucket(struct gbuild *g, uint16_t weight, uint32_t watch_port,
           uint32_t watch_group, uint32_t out_port, uint32_t group)
{
    struct ft_bucket_cfg *b = &g->b[g->n];
    struct ft_action *a = g->a[g->n];
    uint32_t n = 0;

    if (out_port) {
        a[n].type = FT_OFPAT_OUTPUT;
        a[n].output.port = out_port;
        n++;
    }
    if (group != NO_GROUP) {
        a[n].type = FT_OFPAT_GROUP;
        a[n].group.group_id = group;
        n++;
    }
    b->weight = weight;
    b->watch_port = watch_port;
    b->watch_group = watch_group;
    b->actions.acts = a;
    b->actions.n = n;
    g->n++;
    return b;
}

static struct ft_ofperr
gmod(struct ft_group_table *t, uint16_t cmd, uint8_t type, uint32_t id,
     const struct gbuild *g)
{
    struct ft_group_mod gm = {
        .command = cmd, .type = type, .group_id = id,
        .n_buckets = g ? g->n : 0, .buckets = g ? g->b : NULL,
    };
    return ft_group_mod(t, &gm, T0, NULL, 0, NULL);
}

static struct ft_ofperr
gdel(struct ft_group_table *t, uint32_t id)
{
    return gmod(t, FT_OFPGC_DELETE, 0, id, NULL);
}

/* A plain group: ALL with one bucket OUTPUT:1, or one forwarding to
 * 'chain'. */
static struct ft_ofperr
add_plain(struct ft_group_table *t, uint32_t id, uint32_t chain)
{
    struct gbuild *g = gb();
    add_bucket(g, 0, ANYP, ANYG, 1, chain);
    return gmod(t, FT_OFPGC_ADD, FT_OFPGT_ALL, id, g);
}

static struct ft_ofperr
modify_plain(struct ft_group_table *t, uint32_t id, uint32_t chain)
{
    struct gbuild *g = gb();
    add_bucket(g, 0, ANYP, ANYG, 1, chain);
    return gmod(t, FT_OFPGC_MODIFY, FT_OFPGT_ALL, id, g);
}

static void
assert_err(struct ft_ofperr e, uint16_t type, uint16_t code)
{
    if (e.type != type || e.code != code) {
        fail_msg("error %u/%u, expected %u/%u", e.type, e.code, type, code);
    }
}

#define ASSERT_OK(E) assert_err((E), 0, 0)
#define ASSERT_GMF(E, CODE) \
    assert_err((E), FT_OFPET_GROUP_MOD_FAILED, FT_OFPGMFC_##CODE)
#define ASSERT_BAC(E, CODE) \
    assert_err((E), FT_OFPET_BAD_ACTION, FT_OFPBAC_##CODE)

static uint32_t
ref_count(struct ft_group_table *t, uint32_t id)
{
    static struct ft_group_stats s;
    assert_int_equal(ft_group_get_stats(t, id, T0, &s), 0);
    return s.ref_count;
}

/* Bucket chosen for every slot, and the share of each bucket. */
static void
slot_map(struct ft_group_table *t, uint32_t id, int *map, uint32_t *share,
         uint32_t n_share)
{
    struct ft_group *g = ft_group_lookup(t, id);
    struct ft_group_view v;

    assert_non_null(g);
    ft_group_read(g, &v);
    memset(share, 0, n_share * sizeof *share);
    for (uint32_t s = 0; s < SLOTS; s++) {
        uint32_t mask = 0;
        map[s] = ft_group_choose(g, &v, s, &mask);
        assert_int_equal(mask, SLOTS - 1);
        if (map[s] >= 0) {
            assert_true((uint32_t) map[s] < n_share);
            share[map[s]]++;
        }
    }
}

static int
choose(struct ft_group_table *t, uint32_t id)
{
    struct ft_group *g = ft_group_lookup(t, id);
    struct ft_group_view v;

    assert_non_null(g);
    ft_group_read(g, &v);
    return ft_group_choose(g, &v, 0, NULL);
}

static void
assert_view_equal(const struct ft_group_view *a, const struct ft_group_view *b)
{
    assert_int_equal(a->type, b->type);
    assert_int_equal(a->n_buckets, b->n_buckets);
    assert_ptr_equal(a->buckets, b->buckets);
    assert_int_equal(a->generation, b->generation);
}

static struct ft_group_table *
table(uint32_t max)
{
    struct ft_group_table *t;
    all_ports_up();
    t = ft_group_table_create(max, NULL, port_live, port_up);
    assert_non_null(t);
    return t;
}

/* ---- GROUP_MOD errors ------------------------------------------------------- */

static void
test_errors(void **state)
{
    struct ft_group_table *t = table(3);
    struct gbuild *g;

    (void) state;
    ASSERT_OK(add_plain(t, 1, NO_GROUP));

    /* Command, id, type. */
    ASSERT_GMF(gmod(t, 3, FT_OFPGT_ALL, 2, NULL), BAD_COMMAND);
    ASSERT_GMF(gmod(t, 0xffff, FT_OFPGT_ALL, 2, NULL), BAD_COMMAND);
    static const uint32_t bad_ids[] = {
        FT_OFPG_MAX + 1, FT_OFPG_ALL, FT_OFPG_ANY, 0xfffffffd,
    };
    for (size_t i = 0; i < sizeof bad_ids / sizeof bad_ids[0]; i++) {
        ASSERT_GMF(add_plain(t, bad_ids[i], NO_GROUP), INVALID_GROUP);
        ASSERT_GMF(modify_plain(t, bad_ids[i], NO_GROUP), INVALID_GROUP);
        if (bad_ids[i] != FT_OFPG_ALL) {
            ASSERT_GMF(gdel(t, bad_ids[i]), INVALID_GROUP);
        }
    }
    g = gb();
    add_bucket(g, 0, ANYP, ANYG, 1, NO_GROUP);
    ASSERT_GMF(gmod(t, FT_OFPGC_ADD, 4, 2, g), BAD_TYPE);
    ASSERT_GMF(gmod(t, FT_OFPGC_ADD, 0xff, 2, g), BAD_TYPE);
    /* Type is checked before existence. */
    ASSERT_GMF(gmod(t, FT_OFPGC_ADD, 4, 1, g), BAD_TYPE);

    /* Buckets. */
    g = gb();
    for (int i = 0; i <= FT_GROUP_MAX_BUCKETS; i++) {
        add_bucket(g, 0, ANYP, ANYG, 1, NO_GROUP);
    }
    ASSERT_GMF(gmod(t, FT_OFPGC_ADD, FT_OFPGT_ALL, 2, g), OUT_OF_BUCKETS);
    g->n = FT_GROUP_MAX_BUCKETS;
    ASSERT_OK(gmod(t, FT_OFPGC_ADD, FT_OFPGT_ALL, 2, g));
    ASSERT_OK(gdel(t, 2));
    g = gb();
    ASSERT_GMF(gmod(t, FT_OFPGC_ADD, FT_OFPGT_INDIRECT, 2, g), BAD_BUCKET);
    add_bucket(g, 0, ANYP, ANYG, 1, NO_GROUP);
    add_bucket(g, 0, ANYP, ANYG, 2, NO_GROUP);
    ASSERT_GMF(gmod(t, FT_OFPGC_ADD, FT_OFPGT_INDIRECT, 2, g), BAD_BUCKET);
    struct ft_group_mod null_buckets = {
        .command = FT_OFPGC_ADD, .type = FT_OFPGT_ALL, .group_id = 2,
        .n_buckets = 1, .buckets = NULL,
    };
    ASSERT_GMF(ft_group_mod(t, &null_buckets, T0, NULL, 0, NULL),
               BAD_BUCKET);

    /* Weights only on SELECT. */
    static const uint8_t no_weight[] = {
        FT_OFPGT_ALL, FT_OFPGT_INDIRECT, FT_OFPGT_FF,
    };
    for (size_t i = 0; i < 3; i++) {
        g = gb();
        add_bucket(g, 1, no_weight[i] == FT_OFPGT_FF ? 1 : ANYP, ANYG, 1,
                   NO_GROUP);
        ASSERT_GMF(gmod(t, FT_OFPGC_ADD, no_weight[i], 2, g),
                   WEIGHT_UNSUPPORTED);
    }

    /* Watches: not on ALL / INDIRECT; required and valid on FF. */
    g = gb();
    add_bucket(g, 0, 1, ANYG, 1, NO_GROUP);
    ASSERT_GMF(gmod(t, FT_OFPGC_ADD, FT_OFPGT_ALL, 2, g), WATCH_UNSUPPORTED);
    g = gb();
    add_bucket(g, 0, ANYP, 1, 1, NO_GROUP);
    ASSERT_GMF(gmod(t, FT_OFPGC_ADD, FT_OFPGT_INDIRECT, 2, g),
               WATCH_UNSUPPORTED);
    g = gb();
    add_bucket(g, 0, 1, ANYG, 1, NO_GROUP);
    add_bucket(g, 0, ANYP, ANYG, 2, NO_GROUP);
    ASSERT_GMF(gmod(t, FT_OFPGC_ADD, FT_OFPGT_FF, 2, g), BAD_WATCH);
    static const uint32_t bad_ports[] = {
        0, FT_OFPP_MAX + 1, FT_OFPP_IN_PORT, FT_OFPP_CONTROLLER,
        FT_OFPP_TABLE,
    };
    for (size_t i = 0; i < sizeof bad_ports / sizeof bad_ports[0]; i++) {
        g = gb();
        add_bucket(g, 0, bad_ports[i], ANYG, 1, NO_GROUP);
        ASSERT_GMF(gmod(t, FT_OFPGC_ADD, FT_OFPGT_FF, 2, g), BAD_WATCH);
    }
    g = gb();
    add_bucket(g, 0, ANYP, 77, 1, NO_GROUP);    /* no such group */
    ASSERT_GMF(gmod(t, FT_OFPGC_ADD, FT_OFPGT_FF, 2, g), BAD_WATCH);
    ASSERT_GMF(gmod(t, FT_OFPGC_ADD, FT_OFPGT_SELECT, 2, g), BAD_WATCH);
    g = gb();
    add_bucket(g, 0, ANYP, 1, 1, NO_GROUP);     /* itself */
    ASSERT_GMF(gmod(t, FT_OFPGC_MODIFY, FT_OFPGT_FF, 1, g), BAD_WATCH);
    g = gb();
    add_bucket(g, 0, FT_OFPP_LOCAL, ANYG, 1, NO_GROUP);
    add_bucket(g, 0, FT_OFPP_MAX, 1, 1, NO_GROUP);
    ASSERT_OK(gmod(t, FT_OFPGC_ADD, FT_OFPGT_FF, 2, g));
    ASSERT_OK(gdel(t, 2));

    /* Bucket actions: loops, unknown groups, bad ports. */
    ASSERT_GMF(add_plain(t, 2, 2), LOOP);
    ASSERT_BAC(add_plain(t, 2, 99), BAD_OUT_GROUP);
    g = gb();
    add_bucket(g, 0, ANYP, ANYG, 1, NO_GROUP);
    g->a[0][0].output.port = 0;
    ASSERT_BAC(gmod(t, FT_OFPGC_ADD, FT_OFPGT_ALL, 2, g), BAD_OUT_PORT);
    g = gb();
    add_bucket(g, 0, ANYP, ANYG, 1, NO_GROUP);
    g->a[0][0].type = FT_OFPAT_PUSH_VLAN;
    g->a[0][0].ethertype = 0x0800;
    ASSERT_BAC(gmod(t, FT_OFPGC_ADD, FT_OFPGT_ALL, 2, g), BAD_ARGUMENT);

    /* Existence and capacity. */
    ASSERT_GMF(add_plain(t, 1, NO_GROUP), GROUP_EXISTS);
    ASSERT_GMF(modify_plain(t, 2, NO_GROUP), UNKNOWN_GROUP);
    ASSERT_OK(add_plain(t, 2, NO_GROUP));
    ASSERT_OK(add_plain(t, FT_OFPG_MAX, NO_GROUP));
    ASSERT_GMF(add_plain(t, 4, NO_GROUP), OUT_OF_GROUPS);
    /* MODIFY needs no room. */
    ASSERT_OK(modify_plain(t, 2, 1));

    /* Nothing changed on error: a failed MODIFY keeps the old buckets and
     * generation. */
    struct ft_group_view before, after;
    struct ft_group *g1 = ft_group_lookup(t, 1);
    ft_group_read(g1, &before);
    g = gb();
    add_bucket(g, 0, ANYP, ANYG, 1, 99);
    ASSERT_BAC(gmod(t, FT_OFPGC_MODIFY, FT_OFPGT_SELECT, 1, g),
               BAD_OUT_GROUP);
    ft_group_read(g1, &after);
    assert_view_equal(&before, &after);
    assert_int_equal(ft_group_count(t), 3);
    assert_int_equal(ref_count(t, 1), 1);   /* group 2 forwards to 1 */
    ft_group_table_destroy(t);
}

/* ---- ADD / MODIFY / DELETE -------------------------------------------------------- */

static void
test_add_modify_delete(void **state)
{
    struct ft_group_table *t = table(0);
    struct ft_group *deleted[4];
    uint32_t ids[4], n_del = 99;
    struct ft_group_desc d;
    struct gbuild *g;

    (void) state;
    ASSERT_OK(add_plain(t, 3, NO_GROUP));
    ASSERT_OK(add_plain(t, 1, NO_GROUP));
    ASSERT_OK(add_plain(t, 2, NO_GROUP));
    assert_int_equal(ft_group_count(t), 3);
    assert_int_equal(ft_group_list(t, ids, 4), 3);
    assert_int_equal(ids[0], 1);
    assert_int_equal(ids[1], 2);
    assert_int_equal(ids[2], 3);
    memset(ids, 0, sizeof ids);
    assert_int_equal(ft_group_list(t, ids, 2), 3);
    assert_int_equal(ids[1], 2);
    assert_int_equal(ids[2], 0);

    /* Description: type and buckets as given. */
    assert_int_equal(ft_group_get_desc(t, 2, &d), 0);
    assert_int_equal(d.group_id, 2);
    assert_int_equal(d.type, FT_OFPGT_ALL);
    assert_int_equal(d.n_buckets, 1);
    assert_int_equal(d.buckets[0].watch_port, ANYP);
    assert_int_equal(d.buckets[0].actions.n, 1);
    assert_int_equal(d.buckets[0].actions.acts[0].output.port, 1);
    assert_int_equal(ft_group_get_desc(t, 9, &d), -ENOENT);

    /* MODIFY: new type and buckets, same group object. */
    struct ft_group *p2 = ft_group_lookup(t, 2);
    g = gb();
    add_bucket(g, 3, ANYP, ANYG, 5, NO_GROUP);
    add_bucket(g, 1, 4, ANYG, 6, 3);
    ASSERT_OK(gmod(t, FT_OFPGC_MODIFY, FT_OFPGT_SELECT, 2, g));
    assert_ptr_equal(ft_group_lookup(t, 2), p2);
    assert_int_equal(ft_group_get_desc(t, 2, &d), 0);
    assert_int_equal(d.type, FT_OFPGT_SELECT);
    assert_int_equal(d.n_buckets, 2);
    assert_int_equal(d.buckets[0].weight, 3);
    assert_int_equal(d.buckets[1].watch_port, 4);
    assert_int_equal(d.buckets[1].actions.acts[1].group.group_id, 3);
    /* The GROUP action was resolved to the group object. */
    assert_ptr_equal(d.buckets[1].actions.acts[1].group.group,
                     ft_group_lookup(t, 3));
    /* The caller's buckets were copied. */
    g->a[0][0].output.port = 77;
    assert_int_equal(d.buckets[0].actions.acts[0].output.port, 5);

    /* DELETE of one id hands the group back, still readable. */
    ASSERT_OK(modify_plain(t, 2, NO_GROUP));
    struct ft_group_mod del = { .command = FT_OFPGC_DELETE, .group_id = 2 };
    ASSERT_OK(ft_group_mod(t, &del, T0, deleted, 4, &n_del));
    assert_int_equal(n_del, 1);
    assert_ptr_equal(deleted[0], p2);
    assert_int_equal(ft_group_id(deleted[0]), 2);
    assert_null(ft_group_lookup(t, 2));
    assert_int_equal(ft_group_count(t), 2);
    /* A missing id: success, nothing deleted. */
    del.group_id = 42;
    ASSERT_OK(ft_group_mod(t, &del, T0, deleted, 4, &n_del));
    assert_int_equal(n_del, 0);
    /* The id can be added again. */
    ASSERT_OK(add_plain(t, 2, NO_GROUP));
    assert_int_equal(ft_group_count(t), 3);

    /* DELETE ALL: every group; 'deleted' up to its capacity. */
    del.group_id = FT_OFPG_ALL;
    ASSERT_OK(ft_group_mod(t, &del, T0, deleted, 2, &n_del));
    assert_int_equal(n_del, 2);
    assert_int_equal(ft_group_count(t), 0);
    assert_int_equal(ft_group_list(t, ids, 4), 0);
    ASSERT_OK(add_plain(t, 1, NO_GROUP));
    ASSERT_OK(add_plain(t, 5, 1));
    ASSERT_OK(ft_group_mod(t, &del, T0, deleted, 4, &n_del));
    assert_int_equal(n_del, 2);
    /* Groups and chains are gone at the next reclaim (no qsbr). */
    assert_int_equal(ft_group_reclaim(t), 0);
    ASSERT_OK(add_plain(t, 1, NO_GROUP));
    ft_group_table_destroy(t);
}

/* ---- references ------------------------------------------------------------------ */

static void
test_references(void **state)
{
    struct ft_group_table *t = table(0);
    struct ft_group *deleted[4];
    uint32_t n_del;

    (void) state;
    ASSERT_OK(add_plain(t, 1, NO_GROUP));
    assert_int_equal(ref_count(t, 1), 0);
    struct ft_group *r1 = ft_group_ref(t, 1);
    assert_ptr_equal(r1, ft_group_lookup(t, 1));
    assert_null(ft_group_ref(t, 99));
    assert_null(ft_group_ref(t, FT_OFPG_ALL));
    assert_int_equal(ref_count(t, 1), 1);
    /* A megaflow cache's hold keeps the group alive but is not a flow:
     * the spec's ref_count does not move. */
    ft_group_hold(r1);
    assert_int_equal(ref_count(t, 1), 1);

    /* Groups forwarding to it count too. */
    ASSERT_OK(add_plain(t, 2, 1));
    assert_int_equal(ref_count(t, 1), 2);
    assert_int_equal(ref_count(t, 2), 0);
    ASSERT_GMF(gdel(t, 1), CHAINED_GROUP);
    /* Two GROUP actions count twice. */
    struct gbuild *g = gb();
    add_bucket(g, 0, ANYP, ANYG, 1, 1);
    add_bucket(g, 0, ANYP, ANYG, 2, 1);
    ASSERT_OK(gmod(t, FT_OFPGC_MODIFY, FT_OFPGT_ALL, 2, g));
    assert_int_equal(ref_count(t, 1), 3);
    ASSERT_OK(modify_plain(t, 2, NO_GROUP));
    assert_int_equal(ref_count(t, 1), 1);
    ft_group_release(t, r1);
    assert_int_equal(ref_count(t, 1), 1);
    ft_group_unref(t, r1);
    assert_int_equal(ref_count(t, 1), 0);
    ft_group_unref(t, NULL);                /* harmless */
    ASSERT_OK(gdel(t, 1));
    assert_int_equal(ft_group_reclaim(t), 0);

    /* A deleted group a flow still references lives on (a zombie) until
     * the flow lets go; the id is free at once. */
    ASSERT_OK(add_plain(t, 5, NO_GROUP));
    struct ft_group *r5 = ft_group_ref(t, 5);
    struct ft_group_mod del = { .command = FT_OFPGC_DELETE, .group_id = 5 };
    ASSERT_OK(ft_group_mod(t, &del, T0, deleted, 4, &n_del));
    assert_int_equal(n_del, 1);
    assert_ptr_equal(deleted[0], r5);
    assert_null(ft_group_lookup(t, 5));
    assert_int_equal(ft_group_reclaim(t), 0);
    assert_int_equal(ft_group_id(r5), 5);   /* still there */
    struct ft_group_view v;
    ft_group_read(r5, &v);
    assert_int_equal(v.n_buckets, 1);
    ASSERT_OK(add_plain(t, 5, NO_GROUP));
    assert_ptr_not_equal(ft_group_lookup(t, 5), r5);
    ft_group_unref(t, r5);
    assert_int_equal(ft_group_reclaim(t), 0);

    /* A chain of zombies: 10 -> 11, a flow on 10, DELETE ALL. 10's
     * buckets keep 11 alive until 10 goes. */
    ASSERT_OK(add_plain(t, 11, NO_GROUP));
    ASSERT_OK(add_plain(t, 10, 11));
    struct ft_group *r10 = ft_group_ref(t, 10);
    del.group_id = FT_OFPG_ALL;
    ASSERT_OK(ft_group_mod(t, &del, T0, deleted, 4, &n_del));
    assert_int_equal(n_del, 4);             /* 2, 5, 10, 11 */
    assert_int_equal(ft_group_reclaim(t), 0);
    ft_group_read(r10, &v);
    const struct ft_group *child = v.buckets[0].actions.acts[1].group.group;
    assert_int_equal(ft_group_id(child), 11);
    ft_group_read(child, &v);
    assert_int_equal(v.n_buckets, 1);
    ft_group_unref(t, r10);
    assert_int_equal(ft_group_reclaim(t), 0);
    ft_group_table_destroy(t);

    /* Destroy frees zombies too (leak-checked under ASan). */
    t = table(0);
    ASSERT_OK(add_plain(t, 1, NO_GROUP));
    ASSERT_OK(add_plain(t, 2, 1));
    (void) ft_group_ref(t, 2);
    ASSERT_OK(gdel(t, FT_OFPG_ALL));
    ft_group_table_destroy(t);
}

/* ---- chaining -------------------------------------------------------------------- */

static void
test_chaining(void **state)
{
    struct ft_group_table *t = table(0);

    (void) state;
    /* 1 -> 2 -> 3 */
    ASSERT_OK(add_plain(t, 3, NO_GROUP));
    ASSERT_OK(add_plain(t, 2, 3));
    ASSERT_OK(add_plain(t, 1, 2));
    ASSERT_GMF(modify_plain(t, 3, 1), LOOP);
    ASSERT_GMF(modify_plain(t, 3, 2), LOOP);
    ASSERT_GMF(modify_plain(t, 3, 3), LOOP);
    ASSERT_GMF(modify_plain(t, 2, 1), LOOP);
    /* A loop in a second bucket is found too. */
    struct gbuild *g = gb();
    add_bucket(g, 0, ANYP, ANYG, 1, NO_GROUP);
    add_bucket(g, 0, ANYP, ANYG, 2, 1);
    ASSERT_GMF(gmod(t, FT_OFPGC_MODIFY, FT_OFPGT_ALL, 3, g), LOOP);
    /* A diamond is not a loop. */
    ASSERT_OK(add_plain(t, 4, 3));
    ASSERT_OK(modify_plain(t, 1, 4));
    g = gb();
    add_bucket(g, 0, ANYP, ANYG, 1, 2);
    add_bucket(g, 0, ANYP, ANYG, 1, 4);
    ASSERT_OK(gmod(t, FT_OFPGC_MODIFY, FT_OFPGT_ALL, 1, g));
    ASSERT_OK(add_plain(t, 5, NO_GROUP));
    ASSERT_OK(modify_plain(t, 3, 5));
    ASSERT_GMF(modify_plain(t, 5, 1), LOOP);
    /* Deleting a group others forward to is refused. */
    ASSERT_GMF(gdel(t, 3), CHAINED_GROUP);
    ASSERT_GMF(gdel(t, 5), CHAINED_GROUP);
    ASSERT_OK(gdel(t, 1));
    ASSERT_OK(gdel(t, 2));                  /* 1 was its only parent */
    ASSERT_GMF(gdel(t, 3), CHAINED_GROUP);  /* 4 still forwards to it */
    ASSERT_OK(gdel(t, 4));
    ASSERT_OK(gdel(t, 3));
    ASSERT_OK(gdel(t, 5));
    assert_int_equal(ft_group_count(t), 0);
    ft_group_table_destroy(t);
}

/* CHAINED_GROUP follows the forwarding counts as groups go. */
static void
test_chained_counts(void **state)
{
    struct ft_group_table *t = table(0);

    (void) state;
    ASSERT_OK(add_plain(t, 3, NO_GROUP));
    ASSERT_OK(add_plain(t, 2, 3));
    ASSERT_OK(add_plain(t, 1, 2));
    assert_int_equal(ref_count(t, 2), 1);
    ASSERT_GMF(gdel(t, 2), CHAINED_GROUP);
    ASSERT_OK(gdel(t, 1));
    assert_int_equal(ref_count(t, 2), 0);
    ASSERT_OK(gdel(t, 2));
    ASSERT_OK(gdel(t, 3));
    assert_int_equal(ft_group_count(t), 0);
    ft_group_table_destroy(t);
}

static void
test_chain_depth(void **state)
{
    struct ft_group_table *t = table(0);
    const uint32_t base = 100, max = FT_GROUP_MAX_CHAIN;

    (void) state;
    /* 100 <- 101 <- ... <- 115: a chain of 16 groups. */
    ASSERT_OK(add_plain(t, base, NO_GROUP));
    for (uint32_t i = 1; i < max; i++) {
        ASSERT_OK(add_plain(t, base + i, base + i - 1));
    }
    ASSERT_GMF(add_plain(t, base + max, base + max - 1),
               CHAINING_UNSUPPORTED);
    /* Lengthening it below the top through MODIFY is refused too. */
    ASSERT_OK(add_plain(t, 200, NO_GROUP));
    ASSERT_GMF(modify_plain(t, base, 200), CHAINING_UNSUPPORTED);
    /* Cutting the chain at 110 (now -> 200) lowers every height above the
     * cut: 116 -> 115 -> ... -> 110 -> 200 is 8 groups and fits. */
    ASSERT_OK(modify_plain(t, base + 10, 200));
    ASSERT_OK(add_plain(t, base + max, base + max - 1));
    /* Growing the bottom of that chain counts from its top: 200 -> 109
     * would make 8 + 10 groups; 200 -> 105 makes 14. */
    ASSERT_GMF(modify_plain(t, 200, base + 9), CHAINING_UNSUPPORTED);
    ASSERT_OK(modify_plain(t, 200, base + 5));
    ASSERT_OK(add_plain(t, base + max + 1, base + max));        /* 15 */
    ASSERT_OK(add_plain(t, base + max + 2, base + max + 1));    /* 16 */
    ASSERT_GMF(add_plain(t, base + max + 3, base + max + 2),
               CHAINING_UNSUPPORTED);
    /* A refused change left the heights as they were. */
    ASSERT_OK(modify_plain(t, 200, base + 5));
    ft_group_table_destroy(t);
}

/* ---- SELECT ---------------------------------------------------------------------- */

static struct ft_ofperr
add_select(struct ft_group_table *t, uint16_t cmd, uint32_t id,
           const uint16_t *weights, const uint32_t *watch, uint32_t n)
{
    struct gbuild *g = gb();
    for (uint32_t i = 0; i < n; i++) {
        add_bucket(g, weights[i], watch ? watch[i] : ANYP, ANYG, i + 1,
                   NO_GROUP);
    }
    return gmod(t, cmd, FT_OFPGT_SELECT, id, g);
}

static void
test_select_shares(void **state)
{
    struct ft_group_table *t = table(0);
    int map[SLOTS];
    uint32_t share[4];

    (void) state;
    /* 1:3 -> exactly 64:192, laid out in bucket order. */
    ASSERT_OK(add_select(t, FT_OFPGC_ADD, 1, (uint16_t[]) { 1, 3 }, NULL, 2));
    slot_map(t, 1, map, share, 2);
    assert_int_equal(share[0], 64);
    assert_int_equal(share[1], 192);
    for (uint32_t s = 0; s < SLOTS; s++) {
        assert_int_equal(map[s], s < 64 ? 0 : 1);
    }
    /* Only the low hash bits matter: same slot, same bucket. */
    struct ft_group *g = ft_group_lookup(t, 1);
    struct ft_group_view v;
    ft_group_read(g, &v);
    for (uint32_t h = 0; h < 4096; h += 97) {
        assert_int_equal(ft_group_choose(g, &v, h, NULL),
                         ft_group_choose(g, &v, h + (h << 8) * SLOTS, NULL));
        assert_int_equal(ft_group_choose(g, &v, h, NULL), map[h % SLOTS]);
    }

    /* Largest remainder: 1:1:1 -> 86:85:85; 1:2:4 -> 37:73:146. */
    ASSERT_OK(add_select(t, FT_OFPGC_ADD, 2, (uint16_t[]) { 1, 1, 1 }, NULL,
                         3));
    slot_map(t, 2, map, share, 3);
    assert_int_equal(share[0], 86);
    assert_int_equal(share[1], 85);
    assert_int_equal(share[2], 85);
    ASSERT_OK(add_select(t, FT_OFPGC_ADD, 3, (uint16_t[]) { 1, 2, 4 }, NULL,
                         3));
    slot_map(t, 3, map, share, 3);
    assert_int_equal(share[0], 37);
    assert_int_equal(share[1], 73);
    assert_int_equal(share[2], 146);
    /* Big weights do not overflow: 65535:65535:1. */
    ASSERT_OK(add_select(t, FT_OFPGC_ADD, 4,
                         (uint16_t[]) { 65535, 65535, 1 }, NULL, 3));
    slot_map(t, 4, map, share, 3);
    assert_int_equal(share[0], 128);
    assert_int_equal(share[1], 128);
    assert_int_equal(share[2], 0);

    /* Weight 0 is never chosen; all zero or no bucket: -1. */
    ASSERT_OK(add_select(t, FT_OFPGC_ADD, 5, (uint16_t[]) { 0, 5 }, NULL, 2));
    slot_map(t, 5, map, share, 2);
    assert_int_equal(share[0], 0);
    assert_int_equal(share[1], 256);
    ASSERT_OK(add_select(t, FT_OFPGC_ADD, 6, (uint16_t[]) { 0, 0 }, NULL, 2));
    slot_map(t, 6, map, share, 2);
    assert_int_equal(map[0], -1);
    assert_int_equal(share[0] + share[1], 0);
    ASSERT_OK(add_select(t, FT_OFPGC_ADD, 7, NULL, NULL, 0));
    slot_map(t, 7, map, share, 1);
    assert_int_equal(map[9], -1);

    /* MODIFY from 1:1 to 1:3 moves only the 64 slots that must move. */
    int before[SLOTS];
    ASSERT_OK(add_select(t, FT_OFPGC_ADD, 8, (uint16_t[]) { 1, 1 }, NULL, 2));
    slot_map(t, 8, before, share, 2);
    assert_int_equal(share[0], 128);
    ASSERT_OK(add_select(t, FT_OFPGC_MODIFY, 8, (uint16_t[]) { 1, 3 }, NULL,
                         2));
    slot_map(t, 8, map, share, 2);
    assert_int_equal(share[0], 64);
    assert_int_equal(share[1], 192);
    uint32_t moved = 0;
    for (uint32_t s = 0; s < SLOTS; s++) {
        moved += map[s] != before[s];
        if (before[s] == 1) {
            assert_int_equal(map[s], 1);
        }
    }
    assert_int_equal(moved, 64);
    ft_group_table_destroy(t);
}

static void
test_select_liveness(void **state)
{
    struct ft_group_table *t = table(0);
    int before[SLOTS], map[SLOTS];
    uint32_t share[4];
    struct ft_group_view v0, v1;

    (void) state;
    ASSERT_OK(add_select(t, FT_OFPGC_ADD, 1, (uint16_t[]) { 1, 1, 1, 1 },
                         (uint32_t[]) { 11, 12, 13, 14 }, 4));
    slot_map(t, 1, before, share, 4);
    for (int b = 0; b < 4; b++) {
        assert_int_equal(share[b], 64);
    }
    ft_group_read(ft_group_lookup(t, 1), &v0);

    /* Bucket 1 dies: only its slots move; live buckets keep theirs. */
    port_up[12] = false;
    ft_group_table_ports_changed(t);
    slot_map(t, 1, map, share, 4);
    assert_int_equal(share[0], 86);
    assert_int_equal(share[1], 0);
    assert_int_equal(share[2], 85);
    assert_int_equal(share[3], 85);
    for (uint32_t s = 0; s < SLOTS; s++) {
        if (before[s] != 1) {
            assert_int_equal(map[s], before[s]);
        }
    }
    /* Liveness is not a MODIFY: same buckets, same generation. */
    ft_group_read(ft_group_lookup(t, 1), &v1);
    assert_view_equal(&v0, &v1);

    /* It comes back: each other bucket gives up only its excess. */
    memcpy(before, map, sizeof map);
    port_up[12] = true;
    ft_group_table_ports_changed(t);
    slot_map(t, 1, map, share, 4);
    uint32_t moved = 0;
    for (int b = 0; b < 4; b++) {
        assert_int_equal(share[b], 64);
    }
    for (uint32_t s = 0; s < SLOTS; s++) {
        moved += map[s] != before[s];
        if (map[s] != before[s]) {
            assert_int_equal(map[s], 1);
        }
    }
    assert_int_equal(moved, 64);

    /* Nothing live: -1 (the hash mask is still reported). */
    for (int p = 11; p <= 14; p++) {
        port_up[p] = false;
    }
    ft_group_table_ports_changed(t);
    slot_map(t, 1, map, share, 4);
    for (uint32_t s = 0; s < SLOTS; s++) {
        assert_int_equal(map[s], -1);
    }
    /* A port coming up after total loss gets everything. */
    port_up[13] = true;
    ft_group_table_ports_changed(t);
    slot_map(t, 1, map, share, 4);
    assert_int_equal(share[2], 256);
    ft_group_table_destroy(t);
}

/* ---- FAST_FAILOVER ------------------------------------------------------------------ */

static void
test_fast_failover(void **state)
{
    struct ft_group_table *t = table(0);
    struct gbuild *g;
    struct ft_group_view v;

    (void) state;
    g = gb();
    add_bucket(g, 0, 1, ANYG, 1, NO_GROUP);
    add_bucket(g, 0, 2, ANYG, 2, NO_GROUP);
    add_bucket(g, 0, 3, ANYG, 3, NO_GROUP);
    ASSERT_OK(gmod(t, FT_OFPGC_ADD, FT_OFPGT_FF, 1, g));
    assert_int_equal(choose(t, 1), 0);
    ft_group_read(ft_group_lookup(t, 1), &v);
    port_up[1] = false;
    ft_group_table_ports_changed(t);
    assert_int_equal(choose(t, 1), 1);
    /* A view taken before sees the same configuration's new choice. */
    assert_int_equal(ft_group_choose(ft_group_lookup(t, 1), &v, 0, NULL), 1);
    port_up[2] = false;
    ft_group_table_ports_changed(t);
    assert_int_equal(choose(t, 1), 2);
    port_up[3] = false;
    ft_group_table_ports_changed(t);
    assert_int_equal(choose(t, 1), -1);
    port_up[2] = true;
    ft_group_table_ports_changed(t);
    assert_int_equal(choose(t, 1), 1);
    /* Liveness at ADD/MODIFY time is computed then, not at the next
     * ports_changed. */
    g = gb();
    add_bucket(g, 0, 3, ANYG, 3, NO_GROUP);
    add_bucket(g, 0, 4, ANYG, 4, NO_GROUP);
    ASSERT_OK(gmod(t, FT_OFPGC_MODIFY, FT_OFPGT_FF, 1, g));
    assert_int_equal(choose(t, 1), 1);

    /* Watch groups: 11 watches 10, which watches port 5. */
    all_ports_up();
    ft_group_table_ports_changed(t);
    g = gb();
    add_bucket(g, 0, 5, ANYG, 1, NO_GROUP);
    ASSERT_OK(gmod(t, FT_OFPGC_ADD, FT_OFPGT_FF, 10, g));
    g = gb();
    add_bucket(g, 0, ANYP, 10, 1, NO_GROUP);
    add_bucket(g, 0, 6, ANYG, 2, NO_GROUP);
    ASSERT_OK(gmod(t, FT_OFPGC_ADD, FT_OFPGT_FF, 11, g));
    assert_int_equal(choose(t, 11), 0);
    port_up[5] = false;
    ft_group_table_ports_changed(t);
    assert_int_equal(choose(t, 10), -1);
    assert_int_equal(choose(t, 11), 1);
    port_up[5] = true;
    ft_group_table_ports_changed(t);
    assert_int_equal(choose(t, 11), 0);
    /* MODIFY of the watched group re-evaluates its watchers. */
    g = gb();
    add_bucket(g, 0, 7, ANYG, 1, NO_GROUP);
    port_up[7] = false;
    ASSERT_OK(gmod(t, FT_OFPGC_MODIFY, FT_OFPGT_FF, 10, g));
    assert_int_equal(choose(t, 11), 1);
    port_up[7] = true;
    ft_group_table_ports_changed(t);
    assert_int_equal(choose(t, 11), 0);
    /* Both watch port and group: both must be live. */
    g = gb();
    add_bucket(g, 0, 8, 10, 1, NO_GROUP);
    add_bucket(g, 0, 9, ANYG, 2, NO_GROUP);
    ASSERT_OK(gmod(t, FT_OFPGC_ADD, FT_OFPGT_FF, 12, g));
    assert_int_equal(choose(t, 12), 0);
    port_up[8] = false;
    ft_group_table_ports_changed(t);
    assert_int_equal(choose(t, 12), 1);
    port_up[8] = true;
    port_up[7] = false;     /* group 10 dies */
    ft_group_table_ports_changed(t);
    assert_int_equal(choose(t, 12), 1);
    port_up[7] = true;
    ft_group_table_ports_changed(t);
    assert_int_equal(choose(t, 12), 0);
    /* Deleting a watched group kills the buckets watching it. */
    ASSERT_OK(gdel(t, 10));
    assert_int_equal(choose(t, 11), 1);
    assert_int_equal(choose(t, 12), 1);

    /* A watch cycle lives only through a way out: 20 watches 21, 21
     * watches 20 or port 30. */
    g = gb();
    add_bucket(g, 0, 31, ANYG, 1, NO_GROUP);
    ASSERT_OK(gmod(t, FT_OFPGC_ADD, FT_OFPGT_FF, 20, g));
    g = gb();
    add_bucket(g, 0, ANYP, 20, 1, NO_GROUP);
    add_bucket(g, 0, 30, ANYG, 2, NO_GROUP);
    ASSERT_OK(gmod(t, FT_OFPGC_ADD, FT_OFPGT_FF, 21, g));
    g = gb();
    add_bucket(g, 0, ANYP, 21, 1, NO_GROUP);
    ASSERT_OK(gmod(t, FT_OFPGC_MODIFY, FT_OFPGT_FF, 20, g));
    assert_int_equal(choose(t, 20), 0);
    assert_int_equal(choose(t, 21), 0);
    port_up[30] = false;
    ft_group_table_ports_changed(t);
    assert_int_equal(choose(t, 20), -1);
    assert_int_equal(choose(t, 21), -1);
    port_up[30] = true;
    ft_group_table_ports_changed(t);
    assert_int_equal(choose(t, 20), 0);

    /* ALL is not chosen from; INDIRECT runs its bucket. */
    ASSERT_OK(add_plain(t, 40, NO_GROUP));
    assert_int_equal(choose(t, 40), -1);
    g = gb();
    add_bucket(g, 0, ANYP, ANYG, 1, NO_GROUP);
    ASSERT_OK(gmod(t, FT_OFPGC_ADD, FT_OFPGT_INDIRECT, 41, g));
    assert_int_equal(choose(t, 41), 0);
    uint32_t mask = 123;
    struct ft_group *g41 = ft_group_lookup(t, 41);
    ft_group_read(g41, &v);
    ft_group_choose(g41, &v, 77, &mask);
    assert_int_equal(mask, 0);
    ft_group_table_destroy(t);
}

/* ---- stats and features -------------------------------------------------------------- */

static void
test_stats_credit(void **state)
{
    struct ft_group_table *t = table(0);
    struct ft_group_stats *s = calloc(1, sizeof *s);
    struct ft_group_view v1, v2;
    struct gbuild *g;

    (void) state;
    g = gb();
    add_bucket(g, 0, ANYP, ANYG, 1, NO_GROUP);
    add_bucket(g, 0, ANYP, ANYG, 2, NO_GROUP);
    ASSERT_OK(gmod(t, FT_OFPGC_ADD, FT_OFPGT_ALL, 1, g));
    struct ft_group *g1 = ft_group_lookup(t, 1);
    ft_group_read(g1, &v1);
    ft_group_credit(g1, v1.generation, 0, 10, 1000);
    ft_group_credit(g1, v1.generation, 1, 5, 500);
    ft_group_credit(g1, v1.generation, -1, 1, 100);
    assert_int_equal(ft_group_get_stats(t, 1, T0 + 3 * SEC / 2, s), 0);
    assert_int_equal(s->group_id, 1);
    assert_int_equal(s->packet_count, 16);
    assert_int_equal(s->byte_count, 1600);
    assert_int_equal(s->duration_sec, 1);
    assert_int_equal(s->duration_nsec, 500000000);
    assert_int_equal(s->n_buckets, 2);
    assert_int_equal(s->buckets[0].packet_count, 10);
    assert_int_equal(s->buckets[0].byte_count, 1000);
    assert_int_equal(s->buckets[1].packet_count, 5);
    assert_int_equal(s->buckets[1].byte_count, 500);

    /* MODIFY: a new generation; group counters and duration stay, bucket
     * counters restart; credits of the old generation reach the group
     * only. */
    g = gb();
    add_bucket(g, 0, ANYP, ANYG, 1, NO_GROUP);
    add_bucket(g, 0, ANYP, ANYG, 2, NO_GROUP);
    add_bucket(g, 0, ANYP, ANYG, 3, NO_GROUP);
    struct ft_group_mod gm = { .command = FT_OFPGC_MODIFY,
                               .type = FT_OFPGT_ALL, .group_id = 1,
                               .n_buckets = 3, .buckets = g->b };
    ASSERT_OK(ft_group_mod(t, &gm, T0 + 10 * SEC, NULL, 0, NULL));
    ft_group_read(g1, &v2);
    assert_int_not_equal(v2.generation, v1.generation);
    ft_group_credit(g1, v1.generation, 0, 7, 700);
    ft_group_credit(g1, v2.generation, 2, 3, 300);
    ft_group_credit(g1, v2.generation, 9, 1, 1);    /* no such bucket */
    assert_int_equal(ft_group_get_stats(t, 1, T0 + 20 * SEC, s), 0);
    assert_int_equal(s->packet_count, 27);
    assert_int_equal(s->byte_count, 2601);
    assert_int_equal(s->duration_sec, 20);
    assert_int_equal(s->n_buckets, 3);
    assert_int_equal(s->buckets[0].packet_count, 0);
    assert_int_equal(s->buckets[1].packet_count, 0);
    assert_int_equal(s->buckets[2].packet_count, 3);
    assert_int_equal(s->buckets[2].byte_count, 300);
    /* Every MODIFY bumps it. */
    ASSERT_OK(ft_group_mod(t, &gm, T0, NULL, 0, NULL));
    ft_group_read(g1, &v1);
    assert_int_not_equal(v1.generation, v2.generation);
    assert_int_equal(ft_group_get_stats(t, 2, T0, s), -ENOENT);
    free(s);
    ft_group_table_destroy(t);
}

static void
test_features(void **state)
{
    struct ft_group_table *t = table(1000);
    struct ft_group_features f;

    (void) state;
    ft_group_get_features(t, &f);
    assert_int_equal(f.types, 0xf);
    assert_int_equal(f.capabilities, 1 | 2 | 4 | 8);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(f.max_groups[i], 1000);
        assert_true(f.actions[i] & 1u << FT_OFPAT_OUTPUT);
        assert_true(f.actions[i] & 1u << FT_OFPAT_GROUP);
        assert_true(f.actions[i] & 1u << FT_OFPAT_SET_FIELD);
        assert_true(f.actions[i] & 1u << FT_OFPAT_POP_PBB);
        assert_false(f.actions[i] & 1u << 1);   /* not an OF1.3 action */
    }
    ft_group_table_destroy(t);
    t = table(0);
    ft_group_get_features(t, &f);
    assert_int_equal(f.max_groups[FT_OFPGT_SELECT], FT_GROUP_MAX_GROUPS);
    ft_group_table_destroy(t);
    errno = 0;
    assert_null(ft_group_table_create(FT_GROUP_MAX_GROUPS + 1, NULL, NULL,
                                      NULL));
    assert_int_equal(errno, EINVAL);
    /* Without a liveness callback every port is live. */
    t = ft_group_table_create(0, NULL, NULL, NULL);
    struct gbuild *g = gb();
    add_bucket(g, 0, 3, ANYG, 1, NO_GROUP);
    ASSERT_OK(gmod(t, FT_OFPGC_ADD, FT_OFPGT_FF, 1, g));
    assert_int_equal(choose(t, 1), 0);
    ft_group_table_destroy(t);
}

/* ---- RCU -------------------------------------------------------------------------- */

static struct rte_rcu_qsbr *
qsbr_new(unsigned int n)
{
    size_t sz = rte_rcu_qsbr_get_memsize(n);
    struct rte_rcu_qsbr *q = aligned_alloc(RTE_CACHE_LINE_SIZE,
                                           (sz + RTE_CACHE_LINE_SIZE - 1)
                                           & ~(size_t) (RTE_CACHE_LINE_SIZE
                                                        - 1));
    assert_non_null(q);
    assert_int_equal(rte_rcu_qsbr_init(q, n), 0);
    return q;
}

static void
test_rcu_deferred_free(void **state)
{
    struct rte_rcu_qsbr *q = qsbr_new(1);
    struct ft_group_view v;
    int map[SLOTS];
    uint32_t share[2];

    (void) state;
    assert_int_equal(rte_rcu_qsbr_thread_register(q, 0), 0);
    rte_rcu_qsbr_thread_online(q, 0);
    all_ports_up();
    struct ft_group_table *t = ft_group_table_create(0, q, port_live,
                                                     port_up);
    ASSERT_OK(add_select(t, FT_OFPGC_ADD, 1, (uint16_t[]) { 1, 1 },
                         (uint32_t[]) { 1, 2 }, 2));
    struct ft_group *g = ft_group_lookup(t, 1);
    ft_group_read(g, &v);                   /* a reader's view */

    /* MODIFY: the old configuration (with its choice) waits. */
    ASSERT_OK(add_select(t, FT_OFPGC_MODIFY, 1, (uint16_t[]) { 1, 3 },
                         (uint32_t[]) { 1, 2 }, 2));
    assert_int_equal(ft_group_reclaim(t), 1);
    assert_int_equal(v.buckets[1].actions.acts[0].output.port, 2);
    assert_int_equal(ft_group_choose(g, &v, 200, NULL), 1);
    ft_group_credit(g, v.generation, 1, 1, 1);  /* stale: group only */

    /* A liveness change retires the current choice. */
    port_up[1] = false;
    ft_group_table_ports_changed(t);
    assert_int_equal(ft_group_reclaim(t), 2);
    slot_map(t, 1, map, share, 2);
    assert_int_equal(share[1], 256);
    /* An unchanged liveness retires nothing. */
    ft_group_table_ports_changed(t);
    assert_int_equal(ft_group_reclaim(t), 2);

    /* DELETE: the group and its configuration wait too. */
    ASSERT_OK(gdel(t, 1));
    assert_int_equal(ft_group_reclaim(t), 4);
    assert_int_equal(ft_group_id(g), 1);    /* still valid memory */
    assert_int_equal(v.buckets[0].actions.acts[0].output.port, 1);

    rte_rcu_qsbr_quiescent(q, 0);
    assert_int_equal(ft_group_reclaim(t), 0);

    /* A zombie chain frees in cascade, each step after a grace period. */
    ASSERT_OK(add_plain(t, 2, NO_GROUP));
    ASSERT_OK(add_plain(t, 3, 2));
    ASSERT_OK(gdel(t, FT_OFPG_ALL));
    assert_int_equal(ft_group_reclaim(t), 2);   /* 3 and its config */
    rte_rcu_qsbr_quiescent(q, 0);
    assert_int_equal(ft_group_reclaim(t), 2);   /* then 2, released by it */
    rte_rcu_qsbr_quiescent(q, 0);
    assert_int_equal(ft_group_reclaim(t), 0);

    /* Destroy frees what still waits. */
    ASSERT_OK(add_plain(t, 1, NO_GROUP));
    ASSERT_OK(modify_plain(t, 1, NO_GROUP));
    ASSERT_OK(gdel(t, 1));
    assert_int_equal(ft_group_reclaim(t), 3);
    ft_group_table_destroy(t);
    rte_rcu_qsbr_thread_offline(q, 0);
    free(q);
}

/* ---- concurrent readers ------------------------------------------------------------ */

#define N_READERS 2

struct reader {
    struct rte_rcu_qsbr *q;
    unsigned int id;
    struct ft_group *g;
    _Atomic bool *stop;
    uint64_t credited;
    _Atomic uint64_t rounds;
};

static void *
reader_main(void *arg)
{
    struct reader *r = arg;
    uint32_t hash = r->id * 7919;

    rte_rcu_qsbr_thread_register(r->q, r->id);
    rte_rcu_qsbr_thread_online(r->q, r->id);
    while (!atomic_load(r->stop)) {
        struct ft_group_view v;
        ft_group_read(r->g, &v);
        int b = ft_group_choose(r->g, &v, hash++, NULL);
        if (b >= 0) {
            /* Touch the bucket: use-after-free shows under ASan. */
            assert_true((uint32_t) b < v.n_buckets);
            volatile uint32_t port = v.buckets[b].actions.acts[0].output.port;
            (void) port;
        }
        ft_group_credit(r->g, v.generation, b, 1, 64);
        r->credited++;
        if (atomic_fetch_add(&r->rounds, 1) % 16 == 15) {
            rte_rcu_qsbr_quiescent(r->q, r->id);
        }
    }
    rte_rcu_qsbr_thread_offline(r->q, r->id);
    rte_rcu_qsbr_thread_unregister(r->q, r->id);
    return NULL;
}

static bool
readers_busy(struct reader *r)
{
    for (unsigned int i = 0; i < N_READERS; i++) {
        if (atomic_load(&r[i].rounds) < 100000) {
            return false;
        }
    }
    return true;
}

static void
test_concurrent_readers(void **state)
{
    struct rte_rcu_qsbr *q = qsbr_new(N_READERS);
    struct reader r[N_READERS];
    pthread_t th[N_READERS];
    _Atomic bool stop = false;
    struct ft_group_stats *s = calloc(1, sizeof *s);

    (void) state;
    all_ports_up();
    struct ft_group_table *t = ft_group_table_create(0, q, port_live,
                                                     port_up);
    ASSERT_OK(add_select(t, FT_OFPGC_ADD, 1, (uint16_t[]) { 1, 1, 1 },
                         (uint32_t[]) { 1, 2, 3 }, 3));
    struct ft_group *g = ft_group_ref(t, 1);
    for (unsigned int i = 0; i < N_READERS; i++) {
        r[i] = (struct reader) { .q = q, .id = i, .g = g, .stop = &stop };
        assert_int_equal(pthread_create(&th[i], NULL, reader_main, &r[i]),
                         0);
    }
    /* At least 3000 changes, and until every reader has translated a good
     * while across them. */
    for (unsigned int i = 0; i < 3000 || !readers_busy(r); i++) {
        uint16_t w[4] = { (uint16_t) (1 + i % 5), 2, (uint16_t) (i % 3), 1 };
        uint32_t n = 2 + i % 3;
        if (i % 3 == 0) {
            port_up[1 + i % 4] = !port_up[1 + i % 4];
            ft_group_table_ports_changed(t);
        } else {
            ASSERT_OK(add_select(t, FT_OFPGC_MODIFY, 1, w,
                                 (uint32_t[]) { 1, 2, 3, 4 }, n));
        }
        ft_group_reclaim(t);
    }
    atomic_store(&stop, true);
    uint64_t credited = 0;
    for (unsigned int i = 0; i < N_READERS; i++) {
        pthread_join(th[i], NULL);
        credited += r[i].credited;
    }
    assert_int_equal(ft_group_reclaim(t), 0);
    assert_int_equal(ft_group_get_stats(t, 1, T0, s), 0);
    assert_int_equal(s->packet_count, credited);
    assert_int_equal(s->byte_count, credited * 64);
    ft_group_unref(t, g);
    ft_group_table_destroy(t);
    free(s);
    free(q);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_add_modify_delete),
        cmocka_unit_test(test_references),
        cmocka_unit_test(test_chaining),
        cmocka_unit_test(test_chained_counts),
        cmocka_unit_test(test_chain_depth),
        cmocka_unit_test(test_select_shares),
        cmocka_unit_test(test_select_liveness),
        cmocka_unit_test(test_fast_failover),
        cmocka_unit_test(test_stats_credit),
        cmocka_unit_test(test_features),
        cmocka_unit_test(test_rcu_deferred_free),
        cmocka_unit_test(test_concurrent_readers),
    };
    return cmocka_run_group_tests_name("ft_group", tests, NULL, NULL);
}
