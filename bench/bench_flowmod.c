/*
 * bench_flowmod.c — FLOW_MOD throughput of the OpenFlow pipeline
 * (flowtable/ft_pipeline.h), and what 100k entries cost in memory.
 *
 * Two rule sets of N distinct entries (N = 100k, 10k with --quick):
 *  - routes: table 0, ip,nw_dst=a.b.c.d/32 -> output (one mask);
 *  - acl: 5-tuple style entries, tcp,nw_src/16|24|32,nw_dst/16|24|32 with
 *    and without tp_dst, random priorities (18 masks).
 * For each it measures ADD as the controller's single FLOW_MODs would
 * arrive (begin / flow_mod / commit per entry) and as one batch (one
 * transaction of N, as a bundle or add-flows), then a MODIFY of every
 * entry in one batch (the replace path) and one non-strict DELETE of all.
 * It reports the heap in use per entry (mallinfo2) and the process RSS
 * after the batched load, and the cost of ft_pipeline_expire() with N idle
 * timeouts: a call with nothing due, and one that removes all N.
 *
 * Single-threaded, no qsbr (frees are immediate), deterministic.
 * Usage: bench_flowmod [--quick]
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <malloc.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/bench_util.h"
#include "flowtable/ft_pipeline.h"
#include "lib/util.h"

static double
rss_mb(void)
{
    long pages_total, pages_res;
    FILE *f = fopen("/proc/self/statm", "r");
    if (!f) {
        return 0;
    }
    if (fscanf(f, "%ld %ld", &pages_total, &pages_res) != 2) {
        pages_res = 0;
    }
    fclose(f);
    return (double) pages_res * (double) sysconf(_SC_PAGESIZE) / 1e6;
}

static size_t
heap_in_use(void)
{
    return mallinfo2().uordblks;
}

/* ---- rule sets ------------------------------------------------------------ */

struct rule {
    struct ft_match match;
    uint16_t priority;
};

static uint32_t
prefix_mask(unsigned int plen)
{
    return plen ? UINT32_MAX << (32 - plen) : 0;
}

static void
make_routes(struct rule *r, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        ft_match_init_catchall(&r[i].match);
        r[i].match.key.dl_type = htons(0x0800);
        r[i].match.mask.masks.dl_type = UINT16_MAX;
        r[i].match.key.nw_dst = htonl(0x0a000000u + (uint32_t) i);
        r[i].match.mask.masks.nw_dst = UINT32_MAX;
        r[i].priority = 100;
    }
}

/* 5-tuple entries over 18 masks: nw_src /16, /24 or /32, nw_dst /16, /24
 * or /32, tp_dst exact or wildcarded. Distinct by construction: the top 16
 * bits of nw_src (kept by every mask) and the priority encode the index. */
static void
make_acl(struct rule *r, size_t n)
{
    static const unsigned int plens[] = { 16, 24, 32 };

    for (size_t i = 0; i < n; i++) {
        unsigned int ps = plens[i % 3], pd = plens[i / 3 % 3];
        bool port = i / 9 % 2;
        struct ft_match *m = &r[i].match;
        uint32_t src = (uint32_t) (i & 0xffff) << 16
                       | (uint32_t) (bench_rnd() & 0xffff);
        uint32_t dst = 0xc0a80000u | (uint32_t) (bench_rnd() & 0xffff);

        ft_match_init_catchall(m);
        m->key.dl_type = htons(0x0800);
        m->mask.masks.dl_type = UINT16_MAX;
        m->key.nw_proto = 6;
        m->mask.masks.nw_proto = UINT8_MAX;
        m->key.nw_src = htonl(src & prefix_mask(ps));
        m->mask.masks.nw_src = htonl(prefix_mask(ps));
        m->key.nw_dst = htonl(dst & prefix_mask(pd));
        m->mask.masks.nw_dst = htonl(prefix_mask(pd));
        if (port) {
            m->key.tp_dst = htons((uint16_t) (1 + bench_rnd() % 1024));
            m->mask.masks.tp_dst = UINT16_MAX;
        }
        r[i].priority = (uint16_t) (1000 + (i >> 16));
    }
}

/* ---- one set --------------------------------------------------------------- */

static struct ft_pipeline *
new_pipeline(void)
{
    struct ft_pipeline_config cfg = { .n_tables = 0 };   /* all 254 */
    struct ft_pipeline *pl = ft_pipeline_create(&cfg);
    if (!pl) {
        fprintf(stderr, "ft_pipeline_create failed\n");
        exit(1);
    }
    return pl;
}

static void
flow_mod(struct ft_pipeline *pl, uint8_t command, const struct rule *r,
         uint32_t port, uint16_t idle, int64_t now)
{
    struct ft_action out = { .type = FT_OFPAT_OUTPUT };
    out.output.port = port;
    struct ft_flow_mod fm = {
        .command = command, .table_id = 0, .priority = r->priority,
        .idle_timeout = idle, .out_port = FT_OFPP_ANY,
        .out_group = FT_OFPG_ANY, .match = r->match,
        .insts = {
            .has_apply = true, .apply = { &out, 1 },
            .goto_table = FT_NO_GOTO,
        },
    };
    uint32_t changed;
    struct ft_ofperr err = ft_pipeline_flow_mod(pl, &fm, now, &changed);
    if (!ft_ofperr_is_ok(err) || changed != 1) {
        fprintf(stderr, "flow_mod %u failed: %u/%u changed %u\n", command,
                err.type, err.code, changed);
        exit(1);
    }
}

static void
row(const char *set, const char *what, size_t n, double secs)
{
    printf("%-8s %-30s %9.0f k/s %8.2f us/mod\n", set, what,
           (double) n / secs / 1e3, secs * 1e6 / (double) n);
}

/* Best of REPS runs: the machine is shared and malloc's state varies. */
#define REPS 3

static void
bench_set(const char *name, const struct rule *rules, size_t n)
{
    struct ft_pipeline *pl;
    double best = 1e9;

    /* ADD, one transaction per FLOW_MOD. */
    for (int rep = 0; rep < REPS; rep++) {
        pl = new_pipeline();
        double t = bench_now_s();
        for (size_t i = 0; i < n; i++) {
            ft_pipeline_begin(pl);
            flow_mod(pl, FT_OFPFC_ADD, &rules[i], 1, 0, 0);
            ft_pipeline_commit(pl);
        }
        best = MIN(best, bench_now_s() - t);
        ft_pipeline_destroy(pl);
        malloc_trim(0);
    }
    row(name, "add, single (txn per mod)", n, best);

    /* ADD, one transaction of n; the last run's table stays for the
     * rest. */
    size_t heap0 = 0, heap1 = 0;
    double rss = 0;
    best = 1e9;
    pl = NULL;
    for (int rep = 0; rep < REPS; rep++) {
        if (pl) {
            ft_pipeline_destroy(pl);
            malloc_trim(0);
        }
        heap0 = heap_in_use();
        pl = new_pipeline();
        double t = bench_now_s();
        ft_pipeline_begin(pl);
        for (size_t i = 0; i < n; i++) {
            flow_mod(pl, FT_OFPFC_ADD, &rules[i], 1, 0, 0);
        }
        ft_pipeline_commit(pl);
        best = MIN(best, bench_now_s() - t);
        heap1 = heap_in_use();
        rss = rss_mb();
    }
    row(name, "add, batched (one txn)", n, best);

    /* MODIFY_STRICT of every entry, one transaction (replace path). */
    double t = bench_now_s();
    ft_pipeline_begin(pl);
    for (size_t i = 0; i < n; i++) {
        flow_mod(pl, FT_OFPFC_MODIFY_STRICT, &rules[i], 2, 0, 0);
    }
    ft_pipeline_commit(pl);
    row(name, "modify_strict, batched", n, bench_now_s() - t);

    /* One non-strict DELETE of everything. */
    struct ft_flow_mod del = {
        .command = FT_OFPFC_DELETE, .table_id = FT_OFPTT_ALL,
        .out_port = FT_OFPP_ANY, .out_group = FT_OFPG_ANY,
        .insts = { .goto_table = FT_NO_GOTO },
    };
    uint32_t changed = 0;
    t = bench_now_s();
    ft_pipeline_flow_mod(pl, &del, 0, &changed);
    row(name, "delete all (one DELETE)", changed, bench_now_s() - t);
    if (changed != n) {
        fprintf(stderr, "delete removed %u of %zu\n", changed, n);
        exit(1);
    }
    printf("%-8s %-30s %9.0f B/entry, RSS after load %.1f MB\n", name,
           "heap in use", (double) (heap1 - heap0) / (double) n, rss);
    ft_pipeline_destroy(pl);
    malloc_trim(0);
}

static void
bench_expire(const struct rule *rules, size_t n)
{
    struct ft_pipeline *pl = new_pipeline();
    const int64_t t0 = 1000000;

    ft_pipeline_begin(pl);
    for (size_t i = 0; i < n; i++) {
        flow_mod(pl, FT_OFPFC_ADD, &rules[i], 1, (uint16_t) (10 + i % 10),
                 t0);
    }
    ft_pipeline_commit(pl);

    /* Nothing due: the heap's top says so at once. */
    enum { CALLS = 100000 };
    double t = bench_now_s();
    int64_t next = 0;
    for (int i = 0; i < CALLS; i++) {
        next = ft_pipeline_expire(pl, t0 + 5000);
    }
    double idle_ns = (bench_now_s() - t) * 1e9 / CALLS;

    t = bench_now_s();
    int64_t after = ft_pipeline_expire(pl, t0 + 30000);
    double all_s = bench_now_s() - t;
    if (after != INT64_MAX) {
        fprintf(stderr, "expire left entries behind\n");
        exit(1);
    }
    printf("%-8s %-30s %9.0f ns/call (next %" PRId64 ")\n", "expire",
           "nothing due", idle_ns, next);
    row("expire", "all idle-timed-out (one call)", n, all_s);
    ft_pipeline_destroy(pl);
}

int
main(int argc, char **argv)
{
    bool quick = bench_quick(argc, argv);
    bench_seed(0x9e3779b97f4a7c15ull);
    size_t n = quick ? 10000 : 100000;
    struct rule *rules = malloc(n * sizeof *rules);
    if (!rules) {
        return 1;
    }

    printf("flow_mod rates, %zu entries per set (k/s = thousand flow_mods "
           "per second)\n", n);
    make_routes(rules, n);
    bench_set("routes", rules, n);
    bench_expire(rules, n);
    make_acl(rules, n);
    bench_set("acl", rules, n);
    free(rules);
    return 0;
}
