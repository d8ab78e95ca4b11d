/*
 * test_xlate_property.c — translation against its contract on random
 * pipelines: several multi-table pipelines of hundreds of entries over
 * varied masks (ports, MACs, VLANs, metadata, IP prefixes, protocols,
 * ports), with gotos, set-fields, TTL decrements, VLAN pushes,
 * write-metadata, write-actions, packet-ins and groups of every type, and
 * random packets aimed at them. For every packet:
 *  (1) determinism: translating again gives the same actions and mask;
 *  (2) soundness: keys that agree with it under the mask — the rest of
 *      their bits random — translate to the same actions.
 * Thousands of checks; fixed seeds, so a failure reproduces. No EAL
 * (NORMAL, whose answer depends on learned state, is left out).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "flowtable/ft_pipeline.h"
#include "flowtable/ft_xlate.h"
#include "xlate_test_util.h"

#define N_TABLES 4
#define N_PORTS 8
#define FLOWS_PER_TABLE 150
#define N_KEYS 1000
#define N_NEIGHBOURS 24
#define N_SEEDS 5

/* ---- a seeded generator ----------------------------------------------------------- */

static uint64_t rng_state;

static uint64_t
rnd(void)
{
    /* splitmix64 */
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);

    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint32_t
rnd_below(uint32_t n)
{
    return (uint32_t) (rnd() % n);
}

static bool
chance(unsigned int percent)
{
    return rnd_below(100) < percent;
}

/* Small pools make random packets hit random rules. */
static const be32 *
dst_pool(void)
{
    static be32 pool[16];

    for (int i = 0; i < 16; i++) {
        pool[i] = t_ip(10, (unsigned) i % 4, (unsigned) i, 0);
    }
    return pool;
}

static const uint16_t tp_pool[] = { 22, 53, 80, 443 };
static const uint64_t md_pool[] = { 0x1, 0x2, 0x13, 0x100 };

/* ---- random pipelines --------------------------------------------------------------- */

static struct ft_action action_store[N_TABLES * FLOWS_PER_TABLE * 8];
static unsigned int n_action_store;

static struct ft_action *
store(struct ft_action a)
{
    assert_true(n_action_store < sizeof action_store / sizeof action_store[0]);
    action_store[n_action_store] = a;
    return &action_store[n_action_store++];
}

struct shape {
    bool ip, tcp, vlan;
};

static void
random_match(struct ft_match *m, uint8_t table, struct shape *s)
{
    const be32 *pool = dst_pool();

    t_match_all(m);
    memset(s, 0, sizeof *s);
    if (chance(30)) {
        t_match_in_port(m, 1 + rnd_below(N_PORTS));
    }
    if (chance(15)) {
        t_mac(&m->key.dl_dst, 0x2000 + rnd_below(4));
        memset(m->mask.masks.dl_dst.ea, 0xff, 6);
    }
    if (chance(15)) {
        m->key.vlans[0].tci = htons(FT_VLAN_PRESENT | (1 + rnd_below(4)));
        m->mask.masks.vlans[0].tci = htons(FT_VLAN_PRESENT
                                           | FT_VLAN_VID_MASK);
        s->vlan = true;
    }
    if (table && chance(35)) {
        t_match_metadata(m, md_pool[rnd_below(4)], chance(50) ? 0xff : 0xf);
    }
    if (chance(65)) {
        s->ip = true;
        t_match_dl_type(m, T_ETH_IP);
        if (chance(60)) {
            unsigned int plen = 8 + rnd_below(25);
            be32 mask = htonl(~0u << (32 - plen));
            m->key.nw_dst = pool[rnd_below(16)] & mask;
            m->mask.masks.nw_dst = mask;
        }
        if (chance(25)) {
            unsigned int plen = 1 + rnd_below(32);
            be32 mask = htonl(plen == 32 ? ~0u : ~(~0u >> plen));
            m->key.nw_src = t_ip(192, 168, 0, rnd_below(4)) & mask;
            m->mask.masks.nw_src = mask;
        }
        if (chance(45)) {
            s->tcp = chance(60);
            m->key.nw_proto = s->tcp ? 6 : 17;
            m->mask.masks.nw_proto = 0xff;
            if (chance(40)) {
                m->key.tp_dst = htons(tp_pool[rnd_below(4)]);
                m->mask.masks.tp_dst = UINT16_MAX;
            }
        }
    }
}

/* An action a flow with 'shape' may apply (its prerequisites hold). */
static struct ft_action
random_action(const struct shape *s, struct ft_pipeline *p)
{
    switch (rnd_below(10)) {
    case 0:
        return t_output(chance(10) ? FT_OFPP_IN_PORT : 1 + rnd_below(N_PORTS));
    case 1:
        return t_group(p, 1 + rnd_below(5));
    case 2:
        return t_set_eth_dst((uint8_t) rnd_below(4));
    case 3:
        return s->ip ? t_set_nw_dst(t_ip(10, 9, 9, rnd_below(4)))
                     : t_output(1 + rnd_below(N_PORTS));
    case 4:
        return s->tcp ? t_set_tp_dst(tp_pool[rnd_below(4)])
                      : t_set_eth_dst(9);
    case 5:
        return s->ip ? t_simple(FT_OFPAT_DEC_NW_TTL) : t_set_queue(1);
    case 6:
        return t_controller(64);
    case 7:
        return s->vlan ? t_set_vlan_vid((uint16_t) (1 + rnd_below(4)))
                       : t_set_queue(2);
    default:
        return t_output(1 + rnd_below(N_PORTS));
    }
}

static void
add_groups(struct ft_pipeline *p)
{
    static struct ft_action g1b0[2], g1b1[1], g1b2[2], g2[4][1], g3[2],
        g4[2][1], g5b0[1], g5b1[1];
    struct ft_bucket_cfg b[4];

    g1b0[0] = t_set_eth_dst(1);
    g1b0[1] = t_output(1);
    g1b1[0] = t_output(2);
    g1b2[0] = t_simple(FT_OFPAT_DEC_NW_TTL);
    g1b2[1] = t_output(3);
    b[0] = t_bucket(g1b0, 2);
    b[1] = t_bucket(g1b1, 1);
    b[2] = t_bucket(g1b2, 2);
    t_add_group(p, FT_OFPGT_ALL, 1, b, 3);

    for (int i = 0; i < 4; i++) {
        g2[i][0] = t_output(4 + (uint32_t) i);
        b[i] = t_bucket(g2[i], 1);
        b[i].weight = (uint16_t) (1 + i);
    }
    t_add_group(p, FT_OFPGT_SELECT, 2, b, 4);

    g3[0] = t_set_nw_dst(t_ip(1, 2, 3, 4));
    g3[1] = t_output(5);
    b[0] = t_bucket(g3, 2);
    t_add_group(p, FT_OFPGT_INDIRECT, 3, b, 1);

    g4[0][0] = t_output(2);
    g4[1][0] = t_output(3);
    b[0] = t_bucket(g4[0], 1);
    b[0].watch_port = 2;
    b[1] = t_bucket(g4[1], 1);
    b[1].watch_port = 3;
    t_add_group(p, FT_OFPGT_FF, 4, b, 2);

    g5b0[0] = t_group(p, 3);
    g5b1[0] = t_output(8);
    b[0] = t_bucket(g5b0, 1);
    b[1] = t_bucket(g5b1, 1);
    t_add_group(p, FT_OFPGT_ALL, 5, b, 2);
}

static struct ft_pipeline *
random_pipeline(unsigned int *n_flows)
{
    struct ft_pipeline *p = t_pipeline(N_TABLES);
    struct ft_port ports[N_PORTS];

    for (uint32_t i = 0; i < N_PORTS; i++) {
        /* Port 2 down: fast failover has something to fail over. */
        ports[i] = (struct ft_port) {
            .ofp_port = i + 1, .dp_port = T_DP(i + 1), .live = i != 1,
        };
    }
    assert_int_equal(ft_pipeline_set_ports(p, ports, N_PORTS), 0);
    add_groups(p);
    for (uint8_t t = 0; t < N_TABLES; t++) {
        ft_pipeline_set_table_miss(p, t, (enum ft_table_miss) rnd_below(3));
    }
    n_action_store = 0;
    *n_flows = 0;
    ft_pipeline_begin(p);
    {
        /* Most packets get past table 0, so later tables see traffic. */
        struct ft_match m;
        struct ft_insts in;

        t_match_all(&m);
        t_insts_init(&in);
        in.goto_table = 1;
        assert_true(ft_ofperr_is_ok(t_flow_mod_nocommit(p, 0, 0, &m, &in,
                                                        0)));
    }
    for (uint8_t t = 0; t < N_TABLES; t++) {
        for (int i = 0; i < FLOWS_PER_TABLE; i++) {
            struct ft_match m;
            struct shape s;
            struct ft_insts in;
            struct ft_action *first = NULL;
            unsigned int n;

            random_match(&m, t, &s);
            t_insts_init(&in);
            n = rnd_below(4);
            for (unsigned int j = 0; j < n; j++) {
                struct ft_action *a = store(random_action(&s, p));
                first = first ? first : a;
            }
            if (chance(10)) {
                struct ft_action *a
                    = store(t_ethertype(FT_OFPAT_PUSH_VLAN, 0x8100));
                first = first ? first : a;
                store(t_set_vlan_vid((uint16_t) (1 + rnd_below(4))));
                n += 2;
            }
            in.has_apply = n > 0;
            in.apply = (struct ft_action_list) { first, n };
            if (chance(30)) {
                struct ft_action *w = store(chance(50)
                                            ? t_output(1 + rnd_below(N_PORTS))
                                            : t_group(p, 1 + rnd_below(5)));
                in.has_write = true;
                in.write = (struct ft_action_list) { w, 1 };
            }
            in.clear_actions = chance(10);
            if (chance(30)) {
                in.has_write_metadata = true;
                in.metadata = md_pool[rnd_below(4)];
                in.metadata_mask = chance(50) ? 0xff : 0xf0f;
            }
            if (t + 1 < N_TABLES && chance(55)) {
                in.goto_table = (uint8_t) (t + 1 + rnd_below(N_TABLES - t - 1));
            }
            if (ft_ofperr_is_ok(t_flow_mod_nocommit(
                    p, t, (uint16_t) rnd_below(1000), &m, &in, rnd()))) {
                ++*n_flows;
            }
        }
    }
    ft_pipeline_commit(p);
    return p;
}

static struct ft_key
random_key(void)
{
    const be32 *pool = dst_pool();
    struct ft_key k;
    uint32_t r = rnd_below(100);

    memset(&k, 0, sizeof k);
    k.in_port = 1 + rnd_below(N_PORTS);
    t_mac(&k.dl_src, rnd_below(16));
    t_mac(&k.dl_dst, 0x2000 + rnd_below(6));
    if (chance(20)) {
        k.vlans[0].tpid = htons(0x8100);
        k.vlans[0].tci = htons(FT_VLAN_PRESENT | (1 + rnd_below(5))
                               | (uint16_t) (rnd_below(8) << 13));
    }
    k.dp_hash = (uint32_t) rnd();
    if (r < 80) {
        k.dl_type = htons(T_ETH_IP);
        k.nw_dst = pool[rnd_below(16)] | htonl(rnd_below(256) << 8
                                               | rnd_below(256));
        k.nw_src = t_ip(192, 168, rnd_below(2), rnd_below(8));
        k.nw_proto = (uint8_t[]) { 6, 17, 1 }[rnd_below(3)];
        k.nw_ttl = chance(5) ? 1 : (uint8_t) (2 + rnd_below(63));
        k.nw_tos = (uint8_t) rnd_below(256);
        k.tp_src = htons((uint16_t) rnd());
        k.tp_dst = chance(70) ? htons(tp_pool[rnd_below(4)])
                              : htons((uint16_t) rnd());
    } else if (r < 90) {
        k.dl_type = htons(T_ETH_ARP);
        k.nw_src = t_ip(192, 168, 0, rnd_below(8));
        k.nw_dst = pool[rnd_below(16)];
        k.nw_proto = 1;
        k.arp_op = htons(1);
    } else {
        k.dl_type = htons((uint16_t) (0x9000 + rnd_below(16)));
    }
    return k;
}

/* ---- checks ------------------------------------------------------------------------- */

static bool
same_result(const struct ft_xlate_out *a, const struct ft_xlate_out *b)
{
    return a->error == b->error && a->n_acts == b->n_acts
           && !memcmp(a->acts, b->acts, a->n_acts * sizeof a->acts[0]);
}

static void
report(const struct ft_key *k, const struct ft_key *k2,
       const struct ft_xlate_out *a, const struct ft_xlate_out *b)
{
    char s1[1024], s2[1024], w[1024], x1[2048], x2[2048];

    ft_key_format(k, NULL, s1, sizeof s1);
    ft_key_format(k2, NULL, s2, sizeof s2);
    ft_key_format(k, &a->wc.masks, w, sizeof w);
    ft_dpacts_format(a->acts, a->n_acts, x1, sizeof x1);
    ft_dpacts_format(b->acts, b->n_acts, x2, sizeof x2);
    fail_msg("key %s\n  -> %s\nneighbour %s\n  -> %s\nmegaflow %s", s1, x1,
             s2, x2, w);
}

struct coverage {
    unsigned int n_checks;
    unsigned int n_keys;
    unsigned int n_nonempty;        /* translations with actions */
    unsigned int n_groups;          /* ...through a group */
    unsigned int n_multi_table;     /* ...through more than one table */
};

static void
run_seed(uint64_t seed, struct coverage *cov)
{
    struct ft_xlate_out *out = t_out_new(), *again = t_out_new(),
                        *near = t_out_new();
    struct ft_pipeline *p;
    unsigned int n_flows;

    rng_state = seed;
    p = random_pipeline(&n_flows);
    /* Most random entries are valid (some draw an action whose
     * prerequisite their match does not guarantee). */
    assert_true(n_flows > N_TABLES * FLOWS_PER_TABLE / 2);

    for (int i = 0; i < N_KEYS; i++) {
        struct ft_key k = random_key();
        struct ft_xlate_in in = { .key = &k, .now_ms = 1 };
        const ft_key_word *kw = ft_key_u64(&k);
        const ft_key_word *mw = ft_key_u64(&out->wc.masks);

        ft_xlate(p, &in, out);
        assert_int_equal(out->error, FT_XLATE_OK);
        cov->n_keys++;
        cov->n_nonempty += out->n_acts > 0;
        cov->n_groups += out->n_groups > 0;
        cov->n_multi_table += out->n_flows > 1;

        ft_xlate(p, &in, again);
        if (!same_result(out, again)
            || memcmp(&out->wc, &again->wc, sizeof out->wc)) {
            report(&k, &k, out, again);
        }
        cov->n_checks++;

        for (int j = 0; j < N_NEIGHBOURS; j++) {
            struct ft_key k2;
            ft_key_word *w2 = ft_key_u64_rw(&k2);
            struct ft_xlate_in in2 = { .key = &k2, .now_ms = 1 };

            for (size_t w = 0; w < FT_KEY_U64S; w++) {
                w2[w] = (kw[w] & mw[w]) | (rnd() & ~mw[w]);
            }
            ft_xlate(p, &in2, near);
            if (!same_result(out, near)) {
                report(&k, &k2, out, near);
            }
            cov->n_checks++;
        }
    }
    ft_pipeline_destroy(p);
    free(out);
    free(again);
    free(near);
}

static void
test_random_pipelines(void **state)
{
    struct coverage cov = { 0 };

    (void) state;
    for (uint64_t seed = 1; seed <= N_SEEDS; seed++) {
        run_seed(seed * 0x5eed, &cov);
    }
    printf("property: %u checks over %d random pipelines; of %u packets "
           "%u forwarded, %u through groups, %u through several tables\n",
           cov.n_checks, N_SEEDS, cov.n_keys, cov.n_nonempty, cov.n_groups,
           cov.n_multi_table);
    assert_true(cov.n_checks >= N_SEEDS * N_KEYS * (N_NEIGHBOURS + 1));
    /* The packets exercised the pipelines, not just their misses. */
    assert_true(cov.n_nonempty > cov.n_keys / 4);
    assert_true(cov.n_groups > cov.n_keys / 20);
    assert_true(cov.n_multi_table > cov.n_keys / 4);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_pipelines),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
