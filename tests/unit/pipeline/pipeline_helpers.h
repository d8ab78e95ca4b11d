/*
 * pipeline_helpers.h — building blocks shared by the pipeline's unit tests
 * (test_pipeline.c, test_pipeline_lifetime.c): pipelines, matches and keys
 * of ip,nw_dst=10.0.0.x, actions, flow mods with their action storage, a
 * test clock, lookups, a text snapshot of everything a controller can
 * observe (for "nothing changed"), a FLOW_REMOVED recorder, and groups and
 * meters with their reference counts (how a test sees a flow freed).
 *
 * Header-only, static inline: each test program includes it once.
 */
#ifndef VSWITCH_TESTS_PIPELINE_HELPERS_H
#define VSWITCH_TESTS_PIPELINE_HELPERS_H

#include <arpa/inet.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "flowtable/ft_pipeline.h"
#include "flowtable/ft_pipeline_private.h"

#define N_TABLES 4
#define T0 1000000                  /* test clock start, ms */

/* ---- building blocks ------------------------------------------------------- */

static inline struct ft_pipeline *
new_pipeline(uint32_t max_flows, struct rte_rcu_qsbr *qsbr)
{
    struct ft_pipeline_config cfg = {
        .n_tables = N_TABLES, .max_flows_per_table = max_flows, .qsbr = qsbr,
    };
    struct ft_pipeline *pl = ft_pipeline_create(&cfg);
    assert_non_null(pl);
    return pl;
}

static inline struct ft_match
match_ip(void)
{
    struct ft_match m;
    ft_match_init_catchall(&m);
    m.key.dl_type = htons(0x0800);
    m.mask.masks.dl_type = UINT16_MAX;
    return m;
}

/* ip, nw_dst=10.0.0.0 + dst / plen */
static inline struct ft_match
match_dst(uint32_t dst, unsigned int plen)
{
    struct ft_match m = match_ip();
    uint32_t mask = plen ? UINT32_MAX << (32 - plen) : 0;
    m.key.nw_dst = htonl((0x0a000000u + dst) & mask);
    m.mask.masks.nw_dst = htonl(mask);
    return m;
}

static inline struct ft_key
key_dst(uint32_t dst)
{
    struct ft_key k;
    memset(&k, 0, sizeof k);
    k.dl_type = htons(0x0800);
    k.nw_dst = htonl(0x0a000000u + dst);
    k.in_port = 1;
    return k;
}

static inline struct ft_action
act_output(uint32_t port)
{
    struct ft_action a;
    memset(&a, 0, sizeof a);
    a.type = FT_OFPAT_OUTPUT;
    a.output.port = port;
    return a;
}

static inline struct ft_action
act_group(uint32_t id)
{
    struct ft_action a;
    memset(&a, 0, sizeof a);
    a.type = FT_OFPAT_GROUP;
    a.group.group_id = id;
    return a;
}

/* set_field:10.9.9.9->ip_dst (needs an IPv4 match) */
static inline struct ft_action
act_set_ip_dst(void)
{
    struct ft_action a;
    struct ft_key bits, mask;
    be32 v = htonl(0x0a090909);

    memset(&a, 0, sizeof a);
    memset(&bits, 0, sizeof bits);
    memset(&mask, 0, sizeof mask);
    bits.nw_dst = v;
    mask.nw_dst = UINT32_MAX;
    a.type = FT_OFPAT_SET_FIELD;
    assert_int_equal(ft_set_field_init(&a.set_field, 12, &v, 4, &bits,
                                       &mask), 0);
    return a;
}

/* A flow mod and the storage its action lists point into. */
struct mod {
    struct ft_flow_mod fm;
    struct ft_action apply[4];
    struct ft_action write[4];
};

static inline void
mod_init(struct mod *m, uint8_t command, uint8_t table_id, uint16_t priority,
         struct ft_match match)
{
    memset(m, 0, sizeof *m);
    m->fm.command = command;
    m->fm.table_id = table_id;
    m->fm.priority = priority;
    m->fm.out_port = FT_OFPP_ANY;
    m->fm.out_group = FT_OFPG_ANY;
    m->fm.match = match;
    m->fm.insts.goto_table = FT_NO_GOTO;
    m->fm.insts.apply.acts = m->apply;
    m->fm.insts.write.acts = m->write;
}

static inline void
mod_apply(struct mod *m, struct ft_action a)
{
    m->fm.insts.has_apply = true;
    m->apply[m->fm.insts.apply.n++] = a;
}

static inline void
mod_write(struct mod *m, struct ft_action a)
{
    m->fm.insts.has_write = true;
    m->write[m->fm.insts.write.n++] = a;
}

static int64_t now = T0;   /* the test clock, ms */

static inline struct ft_ofperr
run(struct ft_pipeline *pl, struct mod *m, uint32_t *n_changed)
{
    return ft_pipeline_flow_mod(pl, &m->fm, now, n_changed);
}

static inline void
assert_ok(struct ft_ofperr e)
{
    if (!ft_ofperr_is_ok(e)) {
        fail_msg("unexpected error type %u code %u", e.type, e.code);
    }
}

static inline void
assert_err(struct ft_ofperr e, uint16_t type, uint16_t code)
{
    if (e.type != type || e.code != code) {
        fail_msg("got error %u/%u, want %u/%u", e.type, e.code, type, code);
    }
}

/* ADD table 'table', priority 'prio', nw_dst=dst/32 -> output:port. */
static inline void
add_flow(struct ft_pipeline *pl, uint8_t table, uint16_t prio, uint32_t dst,
         uint32_t port, uint64_t cookie, uint16_t flags)
{
    struct mod m;
    mod_init(&m, FT_OFPFC_ADD, table, prio, match_dst(dst, 32));
    m.fm.cookie = cookie;
    m.fm.flags = flags;
    mod_apply(&m, act_output(port));
    assert_ok(run(pl, &m, NULL));
}

static inline struct ft_flow *
lookup(struct ft_pipeline *pl, uint8_t table, uint32_t dst)
{
    struct ft_key k = key_dst(dst);
    return ft_pipeline_lookup(pl, table, &k, ft_pipeline_version(pl), NULL);
}

/* The first apply action's output port (0 when there is none). */
static inline uint32_t
out_port(const struct ft_flow *f)
{
    struct ft_insts in;
    ft_flow_get_insts(f, &in);
    return in.apply.n && in.apply.acts[0].type == FT_OFPAT_OUTPUT
           ? in.apply.acts[0].output.port : 0;
}

static inline uint32_t
lookup_port(struct ft_pipeline *pl, uint8_t table, uint32_t dst)
{
    struct ft_flow *f = lookup(pl, table, dst);
    return f ? out_port(f) : 0;
}

static const struct ft_flow_filter all_flows = {
    .table_id = FT_OFPTT_ALL, .out_port = FT_OFPP_ANY,
    .out_group = FT_OFPG_ANY,
};

static inline int
count_cb(const struct ft_flow *f, void *aux)
{
    (void) f;
    (*(unsigned int *) aux)++;
    return 0;
}

static inline unsigned int
n_flows(struct ft_pipeline *pl)
{
    unsigned int n = 0;
    assert_int_equal(ft_pipeline_foreach_flow(pl, &all_flows, count_cb, &n),
                     0);
    return n;
}

/* Everything a controller could observe, as text: for "nothing changed". */
struct snap {
    char buf[16384];
    size_t len;
};

static inline int
snap_cb(const struct ft_flow *f, void *aux)
{
    struct snap *s = aux;
    struct ft_insts in;
    char acts[256], wacts[256];

    ft_flow_get_insts(f, &in);
    ft_action_list_format(&in.apply, acts, sizeof acts);
    ft_action_list_format(&in.write, wacts, sizeof wacts);
    s->len += (size_t) snprintf(
        s->buf + s->len, sizeof s->buf - s->len,
        "t%u p%d c%llx f%x i%u h%u pk%llu by%llu cr%lld m%u g%u [%s] [%s]\n",
        f->table_id, f->cr.priority, (unsigned long long) f->cookie,
        f->flags, f->idle_timeout, f->hard_timeout,
        (unsigned long long) ft_flow_packet_count(f),
        (unsigned long long) ft_flow_byte_count(f),
        (long long) f->created_ms, in.meter_id, in.goto_table, acts, wacts);
    return 0;
}

static inline void
snapshot(struct ft_pipeline *pl, struct snap *s)
{
    s->len = 0;
    s->buf[0] = 0;
    assert_int_equal(ft_pipeline_foreach_flow(pl, &all_flows, snap_cb, s), 0);
    for (uint8_t t = 0; t < N_TABLES; t++) {
        struct ft_table_stats st;
        ft_pipeline_table_stats(pl, t, &st);
        s->len += (size_t) snprintf(s->buf + s->len, sizeof s->buf - s->len,
                                    "table %u active %u\n", t,
                                    st.active_count);
    }
    s->len += (size_t) snprintf(s->buf + s->len, sizeof s->buf - s->len,
                                "version %llu generation %llu\n",
                                (unsigned long long) ft_pipeline_version(pl),
                                (unsigned long long)
                                ft_pipeline_generation(pl));
}

static inline void
assert_unchanged(struct ft_pipeline *pl, const struct snap *before)
{
    struct snap after;
    snapshot(pl, &after);
    assert_string_equal(before->buf, after.buf);
}

/* FLOW_REMOVED recorder. */
struct removed {
    unsigned int n;
    uint8_t reason[64];
    uint64_t cookie[64];
    uint64_t packets[64];
    int64_t created_ms[64];
    int64_t now_ms[64];
};

static inline void
removed_cb(const struct ft_flow *f, uint8_t reason, int64_t now_ms, void *aux)
{
    struct removed *r = aux;
    assert_true(r->n < 64);
    assert_true(f->flags & FT_OFPFF_SEND_FLOW_REM);
    r->reason[r->n] = reason;
    r->cookie[r->n] = f->cookie;
    r->packets[r->n] = ft_flow_packet_count(f);
    r->created_ms[r->n] = f->created_ms;
    r->now_ms[r->n] = now_ms;
    r->n++;
}

static inline void
add_group(struct ft_pipeline *pl, uint32_t id, uint8_t type,
          const uint32_t *watch_ports, const uint32_t *out_ports,
          unsigned int n)
{
    struct ft_bucket_cfg b[4];
    struct ft_action a[4];

    assert_true(n <= 4);
    for (unsigned int i = 0; i < n; i++) {
        a[i] = act_output(out_ports[i]);
        b[i] = (struct ft_bucket_cfg) {
            .weight = 0,
            .watch_port = watch_ports ? watch_ports[i] : FT_OFPP_ANY,
            .watch_group = FT_OFPG_ANY,
            .actions = { &a[i], 1 },
        };
    }
    struct ft_group_mod gm = {
        .command = FT_OFPGC_ADD, .type = type, .group_id = id,
        .n_buckets = n, .buckets = b,
    };
    assert_ok(ft_pipeline_group_mod(pl, &gm, now));
}

static inline uint32_t
group_refs(struct ft_pipeline *pl, uint32_t id)
{
    static struct ft_group_stats st;       /* 4 KB: off the stack */
    assert_int_equal(ft_group_get_stats(ft_pipeline_groups(pl), id, 0, &st),
                     0);
    return st.ref_count;
}

static inline void
add_meter(struct ft_pipeline *pl, uint32_t id)
{
    struct ft_meter_band_cfg band = {
        .type = FT_OFPMBT_DROP, .rate = 1000,
    };
    struct ft_meter_mod mm = {
        .command = FT_OFPMC_ADD, .flags = FT_OFPMF_KBPS, .meter_id = id,
        .n_bands = 1, .bands = &band,
    };
    assert_ok(ft_pipeline_meter_mod(pl, &mm, now));
}

static inline uint32_t
meter_flows(struct ft_pipeline *pl, uint32_t id)
{
    struct ft_meter *m = ft_meter_lookup(ft_pipeline_meters(pl), id);
    assert_non_null(m);
    return ft_meter_flow_count(m);
}


/* cmocka setup: every test starts at T0. */
static inline int
reset_clock(void **state)
{
    (void) state;
    now = T0;
    return 0;
}

#endif
