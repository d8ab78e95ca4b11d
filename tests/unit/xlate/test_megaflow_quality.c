/*
 * test_megaflow_quality.c — how many megaflows translation makes for four
 * canonical pipelines, against how many exact-match entries the same
 * traffic would need:
 *  - l2:     a MAC table, 1k dl_dst -> output rules;
 *  - route:  10k /24 prefixes -> output (nw_dst only);
 *  - acl:    1k 5-tuple rules with varied masks on nw_src, nw_dst,
 *            nw_proto, tp_dst, plus a default;
 *  - tenant: table 0 classifies by in_port and dl_type and writes the
 *            tenant into metadata, table 1 routes on metadata + nw_dst.
 * Each gets 100k random flows (5-tuples and MACs over realistic ranges:
 * random hosts, ephemeral source ports, common services);
 * a megaflow is a distinct (mask, key & mask). The table is printed and
 * every set is held to a bound justified where it is asserted, plus the
 * compactness properties directly (no L4 in the routing masks, no L3 in
 * the L2 masks, no metadata that a table itself wrote).
 *
 * Sizes are the full ones in every build: the whole program takes about
 * a second, a few under AddressSanitizer, so nothing needs scaling.
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

#define N_FLOWS 100000
#define N_PORTS 8
#define N_MACS 1000
#define N_PREFIXES 10000
#define N_ACL 1000
#define N_TENANTS 4
#define TENANT_PREFIXES 2500        /* per tenant: 10k in all */

/* ---- seeded generator --------------------------------------------------------- */

static uint64_t rng_state;

static uint64_t
rnd(void)
{
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

/* ---- counting distinct things -------------------------------------------------- */

struct fp {
    uint64_t a, b;
};

static int
fp_cmp(const void *x_, const void *y_)
{
    const struct fp *x = x_, *y = y_;

    if (x->a != y->a) {
        return x->a < y->a ? -1 : 1;
    }
    return x->b < y->b ? -1 : x->b > y->b;
}

/* 128-bit fingerprint of a key (under a mask, with the mask). */
static struct fp
fingerprint(const struct ft_key *key, const struct ft_key *mask)
{
    struct ft_key masked;
    const ft_key_word *k = ft_key_u64(key);
    const ft_key_word *m = mask ? ft_key_u64(mask) : NULL;
    ft_key_word *o = ft_key_u64_rw(&masked);
    struct fp f;

    for (size_t i = 0; i < FT_KEY_U64S; i++) {
        o[i] = m ? k[i] & m[i] : k[i];
    }
    f.a = (uint64_t) ft_key_hash(&masked, 1) << 32 | ft_key_hash(&masked, 2);
    f.b = (uint64_t) ft_key_hash(&masked, 3) << 32 | ft_key_hash(&masked, 4);
    if (mask) {
        f.a ^= (uint64_t) ft_key_hash(mask, 5) << 32 | ft_key_hash(mask, 6);
        f.b ^= (uint64_t) ft_key_hash(mask, 7) << 32 | ft_key_hash(mask, 8);
    }
    return f;
}

static size_t
count_distinct(struct fp *v, size_t n)
{
    size_t d = 0;

    qsort(v, n, sizeof *v, fp_cmp);
    for (size_t i = 0; i < n; i++) {
        d += !i || fp_cmp(&v[i], &v[i - 1]);
    }
    return d;
}

/* ---- traffic ------------------------------------------------------------------ */

/* A flow: random hosts and ports over realistic ranges. 'dst' picks the
 * destination address. */
static struct ft_key
random_flow(uint32_t in_port, be32 dst)
{
    struct ft_key k;
    static const uint16_t services[] = { 22, 53, 80, 443, 8080, 3306 };

    memset(&k, 0, sizeof k);
    k.in_port = in_port;
    t_mac(&k.dl_src, 0x100000 + rnd_below(50000));
    t_mac(&k.dl_dst, 0x200000 + rnd_below(50000));
    k.dl_type = htons(T_ETH_IP);
    k.nw_src = htonl(0xac100000u + rnd_below(1u << 20));   /* 172.16/12 */
    k.nw_dst = dst;
    k.nw_proto = rnd_below(10) < 7 ? 6 : 17;
    k.nw_ttl = 64;
    k.tp_src = htons((uint16_t) (32768 + rnd_below(28000)));
    k.tp_dst = htons(rnd_below(4) ? services[rnd_below(6)]
                                  : (uint16_t) (1024 + rnd_below(60000)));
    k.dp_hash = (uint32_t) rnd();
    return k;
}

struct result {
    const char *name;
    size_t flows, megaflows, exact;
    size_t bound;
};

typedef struct ft_key flow_fn(uint32_t i);
typedef void check_fn(const struct ft_xlate_out *out,
                      const struct ft_key *key);

/* Translates N_FLOWS flows, checks each mask, counts. */
static struct result
measure(const char *name, struct ft_pipeline *p, flow_fn *make,
        check_fn *check)
{
    struct ft_xlate_out *out = t_out_new();
    struct fp *mf = malloc(N_FLOWS * sizeof *mf);
    struct fp *em = malloc(N_FLOWS * sizeof *em);
    struct result r = { .name = name, .flows = N_FLOWS };

    assert_non_null(mf);
    assert_non_null(em);
    for (uint32_t i = 0; i < N_FLOWS; i++) {
        struct ft_key k = make(i);
        struct ft_xlate_in in = { .key = &k, .now_ms = 1 };

        ft_xlate(p, &in, out);
        assert_int_equal(out->error, FT_XLATE_OK);
        check(out, &k);
        mf[i] = fingerprint(&k, &out->wc.masks);
        em[i] = fingerprint(&k, NULL);
    }
    r.megaflows = count_distinct(mf, N_FLOWS);
    r.exact = count_distinct(em, N_FLOWS);
    free(mf);
    free(em);
    free(out);
    return r;
}

static struct result results[4];
static unsigned int n_results;

static size_t
distinct_u64(uint64_t *v, size_t n)
{
    struct fp *f = malloc(n * sizeof *f);
    size_t d;

    for (size_t i = 0; i < n; i++) {
        f[i] = (struct fp) { v[i], 0 };
    }
    d = count_distinct(f, n);
    free(f);
    return d;
}

static bool
no_l3(const struct ft_xlate_out *out)
{
    return !T_WC_HAS(out, nw_src) && !T_WC_HAS(out, nw_dst)
           && !T_WC_HAS(out, nw_proto) && !T_WC_HAS(out, nw_ttl)
           && !T_WC_HAS(out, nw_tos) && !T_WC_HAS(out, tp_src)
           && !T_WC_HAS(out, tp_dst) && !T_WC_HAS(out, ipv6_dst);
}

static bool
no_l4(const struct ft_xlate_out *out)
{
    return !T_WC_HAS(out, tp_src) && !T_WC_HAS(out, tp_dst)
           && !T_WC_HAS(out, tcp_flags);
}

/* ---- l2: a MAC table ------------------------------------------------------------ */

static uint64_t *hit;               /* per flow: what it should key on */

static struct ft_key
l2_flow(uint32_t i)
{
    struct ft_key k = random_flow(1 + rnd_below(N_PORTS),
                                  htonl(0x0a000000u + rnd_below(1u << 24)));

    /* 90% to stations in the table, 10% to unknown ones. */
    t_mac(&k.dl_dst, rnd_below(10) ? 0x300000 + rnd_below(N_MACS)
                                   : 0x400000 + rnd_below(1000));
    hit[i] = (uint64_t) k.in_port << 48 | (uint64_t) k.dl_dst.ea[2] << 24
             | (uint64_t) k.dl_dst.ea[3] << 16
             | (uint64_t) k.dl_dst.ea[4] << 8 | k.dl_dst.ea[5];
    return k;
}

static void
l2_check(const struct ft_xlate_out *out, const struct ft_key *k)
{
    (void) k;
    /* A MAC table looks at MACs: the megaflow never names an IP field. */
    assert_true(no_l3(out));
    assert_false(T_WC_HAS(out, dl_type));
    assert_false(T_WC_HAS(out, dl_src));
}

static void
test_l2(void **state)
{
    struct ft_pipeline *p = t_pipeline(1);
    struct ft_action acts[N_PORTS][1];
    struct result r;

    (void) state;
    rng_state = 11;
    t_set_ports(p, N_PORTS);
    ft_pipeline_begin(p);
    for (uint32_t i = 0; i < N_MACS; i++) {
        struct ft_match m;
        struct ft_insts in;

        acts[i % N_PORTS][0] = t_output(1 + i % N_PORTS);
        t_match_all(&m);
        t_mac(&m.key.dl_dst, 0x300000 + i);
        memset(m.mask.masks.dl_dst.ea, 0xff, 6);
        t_insts_init(&in);
        in.has_apply = true;
        in.apply = (struct ft_action_list) { acts[i % N_PORTS], 1 };
        assert_true(ft_ofperr_is_ok(t_flow_mod_nocommit(p, 0, 100, &m, &in,
                                                        0)));
    }
    ft_pipeline_commit(p);

    hit = malloc(N_FLOWS * sizeof *hit);
    r = measure("l2 (1k MACs)", p, l2_flow, l2_check);
    /* Bound: a megaflow per (input port, destination MAC) at most — the
     * table reads dl_dst, nothing else; unknown MACs included. */
    r.bound = distinct_u64(hit, N_FLOWS);
    results[n_results++] = r;
    assert_true(r.megaflows <= r.bound);
    free(hit);
    ft_pipeline_destroy(p);
}

/* ---- route: 10k /24 prefixes ------------------------------------------------------ */

static be32
prefix_addr(uint32_t i)
{
    /* 10k /24s spread over 10.0.0.0/8 and 100.64.0.0/10. */
    return i % 2 ? htonl(0x0a000000u + (i / 2) * 3 * 256)
                 : htonl(0x64400000u + (i / 2) * 7 * 256);
}

static struct ft_key
route_flow(uint32_t i)
{
    be32 dst = rnd_below(10)
               ? prefix_addr(rnd_below(N_PREFIXES)) | htonl(rnd_below(256))
               : htonl(0xc0000000u + rnd_below(1u << 24));  /* off-table */
    struct ft_key k = random_flow(1 + rnd_below(2), dst);

    hit[i] = (uint64_t) k.in_port << 32 | (ntohl(dst) >> 8);
    return k;
}

static void
route_check(const struct ft_xlate_out *out, const struct ft_key *k)
{
    (void) k;
    /* Routing on /24s reads at most 24 bits of nw_dst, no source, no
     * ports. */
    assert_true(no_l4(out));
    assert_false(T_WC_HAS(out, nw_src));
    assert_false(T_WC_HAS(out, nw_proto));
    assert_int_equal(out->wc.masks.nw_dst & htonl(0xff), 0);
}

static void
add_routes(struct ft_pipeline *p, uint8_t table, uint32_t first, uint32_t n,
           const struct ft_match *base, struct ft_action acts[][1])
{
    for (uint32_t i = first; i < first + n; i++) {
        struct ft_match m = *base;
        struct ft_insts in;

        t_match_nw_dst(&m, prefix_addr(i), 24);
        t_insts_init(&in);
        in.has_apply = true;
        in.apply = (struct ft_action_list) { acts[i % N_PORTS], 1 };
        assert_true(ft_ofperr_is_ok(t_flow_mod_nocommit(p, table, 24, &m,
                                                        &in, 0)));
    }
}

static void
test_route(void **state)
{
    struct ft_pipeline *p = t_pipeline(1);
    struct ft_action acts[N_PORTS][1];
    struct ft_match base;
    struct result r;

    (void) state;
    rng_state = 22;
    t_set_ports(p, N_PORTS);
    for (uint32_t i = 0; i < N_PORTS; i++) {
        acts[i][0] = t_output(i + 1);
    }
    t_match_all(&base);
    ft_pipeline_begin(p);
    add_routes(p, 0, 0, N_PREFIXES, &base, acts);
    ft_pipeline_commit(p);

    hit = malloc(N_FLOWS * sizeof *hit);
    r = measure("route (10k /24)", p, route_flow, route_check);
    /* Bound: a megaflow per (input port, destination /24) at most; the
     * prefix trie makes misses cover wider ranges still. */
    r.bound = distinct_u64(hit, N_FLOWS);
    results[n_results++] = r;
    assert_true(r.megaflows <= r.bound);
    free(hit);
    ft_pipeline_destroy(p);
}

/* ---- acl: 1k 5-tuple rules --------------------------------------------------------- */

/* ACL traffic: connections from clients in 64 /24 subnets of 172.16/12
 * to 256 servers of 10.0/16 on six services, ephemeral source ports. */
static be32 acl_subnets[64], acl_servers[256];

static struct ft_key
acl_flow(uint32_t i)
{
    static const uint16_t services[] = { 22, 53, 80, 443, 8080, 3306 };
    be32 dst = acl_servers[rnd_below(256)];
    struct ft_key k = random_flow(1, dst);
    unsigned int svc = rnd_below(6);

    k.nw_src = acl_subnets[rnd_below(64)] | htonl(rnd_below(256));
    k.nw_proto = services[svc] == 53 ? 17 : 6;
    k.tp_dst = htons(services[svc]);
    /* What the rules could tell apart at most (a tuple-space search
     * that examined every rule mask): the source /24 (longest source
     * prefix), the destination host, protocol and destination port. */
    hit[i] = (uint64_t) (ntohl(k.nw_src) >> 8 & 0xfff) << 40
             | (uint64_t) (ntohl(k.nw_dst) & 0xffff) << 24
             | (uint64_t) k.nw_proto << 16 | ntohs(k.tp_dst);
    return k;
}

static void
acl_check(const struct ft_xlate_out *out, const struct ft_key *k)
{
    (void) k;
    /* No rule looks at the source port or the MACs, or at more than 24
     * bits of the source. */
    assert_false(T_WC_HAS(out, tp_src));
    assert_int_equal(out->wc.masks.nw_src & htonl(0xff), 0);
    assert_false(T_WC_HAS(out, dl_src));
    assert_false(T_WC_HAS(out, dl_dst));
}

static void
test_acl(void **state)
{
    struct ft_pipeline *p = t_pipeline(1);
    struct ft_action allow[] = { t_output(2) };
    static const uint16_t services[] = { 22, 53, 80, 443, 8080, 3306 };
    struct ft_match m;
    struct ft_insts in;
    struct result r;

    (void) state;
    rng_state = 33;
    t_set_ports(p, N_PORTS);
    ft_pipeline_begin(p);
    for (int i = 0; i < 64; i++) {
        acl_subnets[i] = htonl(0xac100000u + rnd_below(1u << 12) * 256);
    }
    for (int i = 0; i < 256; i++) {
        acl_servers[i] = htonl(0x0a000000u + rnd_below(1u << 16));
    }
    for (uint32_t i = 0; i < N_ACL; i++) {
        /* Mask shapes as ACLs write them: source any, /12, /16, /24;
         * destination /16, /24, a server /32; protocol or not; service
         * port or not. */
        static const unsigned int src_plens[] = { 0, 12, 16, 24 };
        static const unsigned int dst_plens[] = { 16, 24, 32 };
        unsigned int splen = src_plens[rnd_below(4)];
        unsigned int dplen = dst_plens[rnd_below(3)];
        be32 src = acl_subnets[rnd_below(64)];

        t_match_all(&m);
        t_match_nw_dst(&m, acl_servers[rnd_below(256)], dplen);
        m.mask.masks.nw_src = splen ? htonl(~0u << (32 - splen)) : 0;
        m.key.nw_src = src & m.mask.masks.nw_src;
        if (rnd_below(4)) {
            unsigned int svc = rnd_below(6);

            m.key.nw_proto = services[svc] == 53 ? 17 : 6;
            m.mask.masks.nw_proto = 0xff;
            if (rnd_below(3)) {
                m.key.tp_dst = htons(services[svc]);
                m.mask.masks.tp_dst = UINT16_MAX;
            }
        }
        t_insts_init(&in);
        if (rnd_below(2)) {                         /* allow, else deny */
            in.has_apply = true;
            in.apply = (struct ft_action_list) { allow, 1 };
        }
        assert_true(ft_ofperr_is_ok(t_flow_mod_nocommit(
            p, 0, (uint16_t) (100 + rnd_below(1000)), &m, &in, 0)));
    }
    t_match_all(&m);                                /* default: allow */
    t_insts_init(&in);
    in.has_apply = true;
    in.apply = (struct ft_action_list) { allow, 1 };
    assert_true(ft_ofperr_is_ok(t_flow_mod_nocommit(p, 0, 0, &m, &in, 0)));
    ft_pipeline_commit(p);

    hit = malloc(N_FLOWS * sizeof *hit);
    r = measure("acl (1k 5-tuple)", p, acl_flow, acl_check);
    /* Bound: the rule masks reach at most /24 of the source, the whole
     * destination, the protocol and the destination port, and never the
     * source port: at most one megaflow per distinct such tuple, whatever
     * the rule order (a tuple-space search that examined every mask would
     * reach exactly that). Below it wherever priorities, staging or the
     * prefix tries spare bits; the ephemeral source port alone keeps
     * exact match above it. */
    r.bound = distinct_u64(hit, N_FLOWS);
    results[n_results++] = r;
    assert_true(r.megaflows <= r.bound);
    assert_true(r.megaflows < r.exact);
    free(hit);
    ft_pipeline_destroy(p);
}

/* ---- tenant: metadata pipeline ------------------------------------------------------ */

static struct ft_key
tenant_flow(uint32_t i)
{
    uint32_t in_port = 1 + rnd_below(N_PORTS);
    uint32_t tenant = (in_port - 1) % N_TENANTS;
    uint32_t idx = tenant * TENANT_PREFIXES + rnd_below(TENANT_PREFIXES);
    be32 dst = prefix_addr(idx) | htonl(rnd_below(256));
    struct ft_key k = random_flow(in_port, dst);

    hit[i] = (uint64_t) in_port << 32 | (ntohl(dst) >> 8);
    return k;
}

static void
tenant_check(const struct ft_xlate_out *out, const struct ft_key *k)
{
    (void) k;
    /* Table 1 reads the tenant table 0 wrote: not an input. */
    assert_false(T_WC_HAS(out, metadata));
    assert_true(no_l4(out));
    assert_false(T_WC_HAS(out, nw_src));
    assert_int_equal(out->wc.masks.nw_dst & htonl(0xff), 0);
    assert_int_equal(out->n_table_lookups, 2);
    assert_int_equal(out->table_matched[1], 1);
}

static void
test_tenant(void **state)
{
    struct ft_pipeline *p = t_pipeline(2);
    struct ft_action acts[N_PORTS][1];
    struct result r;

    (void) state;
    rng_state = 44;
    t_set_ports(p, N_PORTS);
    for (uint32_t i = 0; i < N_PORTS; i++) {
        acts[i][0] = t_output(i + 1);
    }
    ft_pipeline_begin(p);
    for (uint32_t port = 1; port <= N_PORTS; port++) {
        struct ft_match m;
        struct ft_insts in;

        t_match_all(&m);
        t_match_in_port(&m, port);
        t_match_dl_type(&m, T_ETH_IP);
        t_insts_init(&in);
        in.has_write_metadata = true;
        in.metadata = (port - 1) % N_TENANTS + 1;
        in.metadata_mask = 0xffff;
        in.goto_table = 1;
        assert_true(ft_ofperr_is_ok(t_flow_mod_nocommit(p, 0, 10, &m, &in,
                                                        0)));
    }
    for (uint32_t t = 0; t < N_TENANTS; t++) {
        struct ft_match base;

        t_match_all(&base);
        t_match_metadata(&base, t + 1, 0xffff);
        add_routes(p, 1, t * TENANT_PREFIXES, TENANT_PREFIXES, &base, acts);
    }
    ft_pipeline_commit(p);

    hit = malloc(N_FLOWS * sizeof *hit);
    r = measure("tenant (2 tables)", p, tenant_flow, tenant_check);
    /* Bound: a megaflow per (input port, destination /24): the tenant is
     * a function of the input port, which every megaflow has exact. */
    r.bound = distinct_u64(hit, N_FLOWS);
    results[n_results++] = r;
    assert_true(r.megaflows <= r.bound);
    free(hit);
    ft_pipeline_destroy(p);
}

static int
print_table(void **state)
{
    (void) state;
    printf("\n%-20s %8s %10s %22s %8s\n", "set", "flows", "megaflows",
           "exact-match-would-need", "bound");
    for (unsigned int i = 0; i < n_results; i++) {
        const struct result *r = &results[i];

        printf("%-20s %8zu %10zu %22zu %8zu\n", r->name, r->flows,
               r->megaflows, r->exact, r->bound);
    }
    return 0;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_l2),
        cmocka_unit_test(test_route),
        cmocka_unit_test(test_acl),
        cmocka_unit_test(test_tenant),
    };

    return cmocka_run_group_tests(tests, NULL, print_table);
}
