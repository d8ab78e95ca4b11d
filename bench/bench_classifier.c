/*
 * bench_classifier.c — micro-benchmark of the OpenFlow classifier
 * (flowtable/ft_classifier.h).
 *
 * For each rule set (L2 MAC table, /24 routing table, 5-tuple ACL,
 * multi-table-like metadata-keyed set) it prints:
 *  - lookups per second and ns per lookup, with megaflow-mask tracking (the
 *    upcall path) and without;
 *  - for 100k random flows, how many distinct megaflows (mask, masked key)
 *    the returned masks produce, against the number of exact-match flows;
 * and then flow_mod insert rates for 100k rules, one by one and batched
 * (ft_cls_defer/ft_cls_publish), plus removal rates.
 *
 * Single-threaded (no qsbr), main thread only. Deterministic (fixed seeds).
 * Lookup times are the best of five runs (shared machines are noisy).
 * Usage: bench_classifier [--quick]   (--quick: smaller sets, for CI)
 */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_hash_crc.h>
#include <rte_prefetch.h>

#include "bench/bench_util.h"
#include "flowtable/ft_classifier.h"

/* ---- small helpers ---------------------------------------------------- */

static uint32_t
below(uint32_t n)
{
    return (uint32_t) ((bench_rnd() >> 32) % n);
}

static void
set_field(struct ft_match *m, size_t ofs, size_t len, const void *v,
          const void *mask)
{
    uint8_t *kk = (uint8_t *) &m->key + ofs;
    uint8_t *mm = (uint8_t *) &m->mask.masks + ofs;
    const uint8_t *vv = v, *ms = mask;
    for (size_t i = 0; i < len; i++) {
        mm[i] = ms[i];
        kk[i] = vv[i] & ms[i];
    }
}

#define SET_EXACT(m, field, val) do { \
        __typeof__(((struct ft_key *) 0)->field) v_ = (val), m_; \
        memset(&m_, 0xff, sizeof m_); \
        set_field(m, offsetof(struct ft_key, field), sizeof v_, &v_, &m_); \
    } while (0)

static void
set_prefix32(struct ft_match *m, size_t ofs, uint32_t addr, unsigned int plen)
{
    be32 a = htonl(addr);
    be32 mask = htonl(plen ? UINT32_MAX << (32 - plen) : 0);
    set_field(m, ofs, 4, &a, &mask);
}

static struct ft_eth_addr
mac_of(uint32_t n)
{
    struct ft_eth_addr ea = { { 0x02, 0x00, (uint8_t) (n >> 24),
                                (uint8_t) (n >> 16), (uint8_t) (n >> 8),
                                (uint8_t) n } };
    return ea;
}

static void
key_l4(struct ft_key *k)
{
    memset(k, 0, sizeof *k);
    k->in_port = 1 + below(8);
    k->dl_src = mac_of((uint32_t) bench_rnd());
    k->dl_dst = mac_of((uint32_t) bench_rnd());
    k->dl_type = htons(0x0800);
    k->nw_src = (be32) bench_rnd();
    k->nw_dst = (be32) bench_rnd();
    k->nw_proto = below(2) ? 6 : 17;
    k->nw_ttl = 64;
    k->tp_src = (be16) bench_rnd();
    k->tp_dst = (be16) bench_rnd();
}

/* ---- rule sets ------------------------------------------------------- */

struct brule {
    struct ft_cls_rule cr;
};

struct ruleset {
    const char *name;
    struct brule *rules;
    size_t n;
    struct ft_key *keys;               /* the flows looked up */
    size_t n_keys;
};

static struct brule *
alloc_rules(size_t n)
{
    struct brule *r = calloc(n, sizeof *r);
    if (!r) {
        perror("calloc");
        exit(1);
    }
    return r;
}

/* L2 MAC table: (vlan, dl_dst) exact, one priority; plus a flood rule. */
static void
build_l2(struct ruleset *rs, size_t n, size_t n_keys)
{
    rs->name = "L2 MAC table";
    rs->rules = alloc_rules(n + 1);
    rs->n = n + 1;
    for (size_t i = 0; i < n; i++) {
        struct ft_match m;
        ft_match_init_catchall(&m);
        SET_EXACT(&m, dl_dst, mac_of((uint32_t) i));
        be16 tci = htons(FT_VLAN_PRESENT | (uint16_t) (1 + i % 16));
        be16 tmask = htons(FT_VLAN_PRESENT | FT_VLAN_VID_MASK);
        set_field(&m, offsetof(struct ft_key, vlans[0].tci), 2, &tci, &tmask);
        ft_cls_rule_init(&rs->rules[i].cr, &m, 100);
    }
    struct ft_match any;
    ft_match_init_catchall(&any);
    ft_cls_rule_init(&rs->rules[n].cr, &any, 0);

    rs->keys = calloc(n_keys, sizeof *rs->keys);
    rs->n_keys = n_keys;
    for (size_t i = 0; i < n_keys; i++) {
        struct ft_key *k = &rs->keys[i];
        key_l4(k);
        uint32_t d = below(10) ? below((uint32_t) n) : (uint32_t) bench_rnd();
        k->dl_dst = mac_of(d);
        k->vlans[0].tpid = htons(0x8100);
        k->vlans[0].tci = htons(FT_VLAN_PRESENT | (uint16_t) (1 + d % 16));
    }
}

/* Routing table: n distinct /24 prefixes (priority 24) and a default. */
static void
build_routes(struct ruleset *rs, size_t n, size_t n_keys)
{
    rs->name = "/24 routing table";
    rs->rules = alloc_rules(n + 1);
    rs->n = n + 1;
    uint32_t *pfx = malloc(n * sizeof *pfx);
    for (size_t i = 0; i < n; i++) {
        /* Distinct /24s spread over 10.0.0.0/8 .. 100.0.0.0/8. */
        pfx[i] = ((uint32_t) (10 + i % 91) << 24)
                 | ((uint32_t) (i / 91 * 7919 % 65536) << 8);
        struct ft_match m;
        ft_match_init_catchall(&m);
        SET_EXACT(&m, dl_type, htons(0x0800));
        set_prefix32(&m, offsetof(struct ft_key, nw_dst), pfx[i], 24);
        ft_cls_rule_init(&rs->rules[i].cr, &m, 24);
    }
    struct ft_match def;
    ft_match_init_catchall(&def);
    SET_EXACT(&def, dl_type, htons(0x0800));
    ft_cls_rule_init(&rs->rules[n].cr, &def, 0);

    rs->keys = calloc(n_keys, sizeof *rs->keys);
    rs->n_keys = n_keys;
    for (size_t i = 0; i < n_keys; i++) {
        key_l4(&rs->keys[i]);
        if (below(10)) {
            rs->keys[i].nw_dst = htonl(pfx[below((uint32_t) n)] | below(256));
        }
    }
    free(pfx);
}

/* 5-tuple ACL: proto, src/dst prefixes of varied lengths, dst port exact or
 * wildcard, src port mostly wildcard; random priorities. */
struct acl_tuple {
    uint32_t src, dst;
    uint8_t slen, dlen, proto;
    uint16_t sport, dport;
};

static void
build_acl(struct ruleset *rs, size_t n, size_t n_keys, bool many_masks)
{
    static const uint8_t lens[] = { 8, 16, 24, 32, 0, 12, 20, 28 };
    rs->name = many_masks ? "5-tuple ACL, any prefix length" : "5-tuple ACL";
    rs->rules = alloc_rules(n + 1);
    rs->n = n + 1;
    struct acl_tuple *t = malloc(n * sizeof *t);
    for (size_t i = 0; i < n; i++) {
        t[i] = (struct acl_tuple) {
            .src = 0x0a000000u | (uint32_t) (bench_rnd() & 0xffffff),
            .dst = 0xc0a80000u | (uint32_t) (bench_rnd() & 0xffff),
            .slen = many_masks ? (uint8_t) below(33) : lens[below(8)],
            .dlen = many_masks ? (uint8_t) below(33) : lens[below(4)],
            .proto = below(2) ? 6 : 17,
            .sport = below(8) ? 0 : (uint16_t) (1024 + below(60000)),
            .dport = below(4) ? (uint16_t) (1 + below(1024)) : 0,
        };
        struct ft_match m;
        ft_match_init_catchall(&m);
        SET_EXACT(&m, dl_type, htons(0x0800));
        SET_EXACT(&m, nw_proto, t[i].proto);
        set_prefix32(&m, offsetof(struct ft_key, nw_src), t[i].src,
                     t[i].slen);
        set_prefix32(&m, offsetof(struct ft_key, nw_dst), t[i].dst,
                     t[i].dlen);
        if (t[i].sport) {
            SET_EXACT(&m, tp_src, htons(t[i].sport));
        }
        if (t[i].dport) {
            SET_EXACT(&m, tp_dst, htons(t[i].dport));
        }
        ft_cls_rule_init(&rs->rules[i].cr, &m, 1 + (int32_t) below(10000));
    }
    struct ft_match def;
    ft_match_init_catchall(&def);
    ft_cls_rule_init(&rs->rules[n].cr, &def, 0);

    rs->keys = calloc(n_keys, sizeof *rs->keys);
    rs->n_keys = n_keys;
    for (size_t i = 0; i < n_keys; i++) {
        struct ft_key *k = &rs->keys[i];
        key_l4(k);
        if (below(4)) {
            /* Near a rule, so that rules hit, each field maybe off. */
            const struct acl_tuple *a = &t[below((uint32_t) n)];
            k->nw_src = htonl(a->src ^ (below(4) ? 0 : (uint32_t) bench_rnd()
                                        & 0xff));
            k->nw_dst = htonl(a->dst ^ (below(4) ? 0 : (uint32_t) bench_rnd()
                                        & 0xff));
            k->nw_proto = a->proto;
            if (a->dport && below(4)) {
                k->tp_dst = htons(a->dport);
            }
            if (a->sport && below(4)) {
                k->tp_src = htons(a->sport);
            }
        }
    }
    free(t);
}

/* Multi-table-like: the metadata word carries a table/VRF id (32 of them),
 * and each id has rules of one of four shapes: in_port, dl_dst,
 * nw_dst/16..24 with priority = length, tp_dst. */
static void
build_meta(struct ruleset *rs, size_t n, size_t n_keys)
{
    rs->name = "metadata-keyed (multi-table)";
    rs->rules = alloc_rules(n);
    rs->n = n;
    for (size_t i = 0; i < n; i++) {
        uint64_t table = i % 32;
        struct ft_match m;
        ft_match_init_catchall(&m);
        SET_EXACT(&m, metadata, table);
        int32_t prio = 10;
        switch (table % 4) {
        case 0:
            SET_EXACT(&m, in_port, 1 + (uint32_t) (i / 32) % 64);
            break;
        case 1:
            SET_EXACT(&m, dl_dst, mac_of((uint32_t) (i / 32)));
            break;
        case 2: {
            unsigned int len = 16 + (unsigned int) (i / 32) % 9;
            SET_EXACT(&m, dl_type, htons(0x0800));
            set_prefix32(&m, offsetof(struct ft_key, nw_dst),
                         0x0a000000u | (uint32_t) (i / 32) << 8, len);
            prio = (int32_t) len;
            break;
        }
        default:
            SET_EXACT(&m, dl_type, htons(0x0800));
            SET_EXACT(&m, nw_proto, 6);
            SET_EXACT(&m, tp_dst, htons((uint16_t) (i / 32)));
            break;
        }
        ft_cls_rule_init(&rs->rules[i].cr, &m, prio);
    }
    rs->keys = calloc(n_keys, sizeof *rs->keys);
    rs->n_keys = n_keys;
    uint32_t per = (uint32_t) (n / 32 ? n / 32 : 1);
    for (size_t i = 0; i < n_keys; i++) {
        struct ft_key *k = &rs->keys[i];
        key_l4(k);
        k->metadata = below(32);
        uint32_t j = below(per + per / 8);
        k->in_port = 1 + j % 64;
        k->dl_dst = mac_of(j);
        k->nw_dst = htonl(0x0a000000u | j << 8 | below(256));
        k->nw_proto = 6;
        k->tp_dst = htons((uint16_t) j);
    }
}

/* ---- measurements ---------------------------------------------------- */

/* Distinct (mask, masked key) pairs: a simple open-addressing set. */
struct mf_set {
    uint64_t (*slots)[2 * FT_KEY_U64S];
    bool *used;
    size_t mask, n;
};

static void
mf_set_add(struct mf_set *s, const uint64_t *rec)
{
    uint32_t h = 0;
    for (size_t i = 0; i < 2 * FT_KEY_U64S; i++) {
        h = rte_hash_crc_8byte(rec[i], h);
    }
    for (size_t i = h & s->mask;; i = (i + 1) & s->mask) {
        if (!s->used[i]) {
            s->used[i] = true;
            memcpy(s->slots[i], rec, sizeof s->slots[i]);
            s->n++;
            return;
        }
        if (!memcmp(s->slots[i], rec, sizeof s->slots[i])) {
            return;
        }
    }
}

/* Counts the distinct megaflows the lookups of 'keys' produce (or exact
 * flows, with 'exact'); '*n_tp_src' counts masks that examine any bit of
 * tp_src (a sign of a too-narrow megaflow on sets that never match it). */
static size_t
count_megaflows(const struct ft_cls *cls, const struct ft_key *keys,
                size_t n, bool exact, size_t *n_tp_src)
{
    struct mf_set s = { 0 };
    size_t cap = 1;
    while (cap < 2 * n) {
        cap *= 2;
    }
    s.slots = calloc(cap, sizeof *s.slots);
    s.used = calloc(cap, sizeof *s.used);
    s.mask = cap - 1;
    for (size_t i = 0; i < n; i++) {
        uint64_t rec[2 * FT_KEY_U64S];
        struct ft_mask wc;
        memset(&wc, exact ? 0xff : 0, sizeof wc);
        if (!exact) {
            ft_cls_lookup(cls, &keys[i], 0, &wc);
            *n_tp_src += wc.masks.tp_src != 0;
        }
        const ft_key_word *kw = ft_key_u64(&keys[i]);
        const ft_key_word *mw = ft_key_u64(&wc.masks);
        for (size_t j = 0; j < FT_KEY_U64S; j++) {
            rec[j] = mw[j];
            rec[FT_KEY_U64S + j] = kw[j] & mw[j];
        }
        mf_set_add(&s, rec);
    }
    free(s.slots);
    free(s.used);
    return s.n;
}

/* Zeroes a mask with plain word stores. (A libc memset call here costs
 * more than the whole L2 lookup on AVX-512 machines; the barrier keeps
 * the compiler from turning the loop back into one.) */
static inline void
wc_zero(struct ft_mask *wc)
{
    uint64_t *p = (uint64_t *) (void *) wc;
    for (size_t i = 0; i < FT_KEY_U64S; i++) {
        p[i] = 0;
    }
    __asm__ volatile("" ::: "memory");
}

/* Lookups of every key, repeated for at least 'min_s' seconds. Returns ns
 * per lookup; '*hits' counts lookups that found a rule in the first pass. */
static double
time_lookups(const struct ft_cls *cls, const struct ft_key *keys, size_t n,
             bool with_wc, double min_s, size_t *hits)
{
    size_t total = 0, h = 0;
    uintptr_t sink = 0;
    double t0 = bench_now_s(), t;
    do {
        for (size_t i = 0; i < n; i++) {
            struct ft_mask wc;
            /* A datapath looks up a key it just parsed, in cache: fetch
             * ours ahead so that streaming 100k keys from memory is not
             * what gets measured. */
            if (i + 8 < n) {
                const char *next = (const char *) &keys[i + 8];
                for (size_t b = 0; b < sizeof *keys; b += 64) {
                    rte_prefetch0(next + b);
                }
            }
            const struct ft_cls_rule *r;
            if (with_wc) {
                wc_zero(&wc);
                r = ft_cls_lookup(cls, &keys[i], 0, &wc);
                sink += wc.masks.in_port;
            } else {
                r = ft_cls_lookup(cls, &keys[i], 0, NULL);
            }
            sink += (uintptr_t) r;
            if (!total) {
                h += r != NULL;
            }
        }
        total += n;
        t = bench_now_s();
    } while (t - t0 < min_s);
    if (hits) {
        *hits = h;
    }
    if (sink == 1) {
        puts("");                      /* keeps the loop from being elided */
    }
    return (t - t0) * 1e9 / (double) total;
}

static void
bench_ruleset(struct ruleset *rs, double min_s)
{
    struct ft_cls *cls = ft_cls_create(NULL);
    ft_cls_defer(cls);
    for (size_t i = 0; i < rs->n; i++) {
        if (ft_cls_insert(cls, &rs->rules[i].cr, 0)) {
            fprintf(stderr, "insert failed\n");
            exit(1);
        }
    }
    ft_cls_publish(cls);

    size_t hits;
    /* Best of five: the box is shared, the best run is the one least
     * disturbed. */
    double ns_wc = 1e12, ns = 1e12;
    for (int trial = 0; trial < 5; trial++) {
        double a = time_lookups(cls, rs->keys, rs->n_keys, true, min_s / 5,
                                &hits);
        double b = time_lookups(cls, rs->keys, rs->n_keys, false, min_s / 5,
                                NULL);
        ns_wc = a < ns_wc ? a : ns_wc;
        ns = b < ns ? b : ns;
    }
    size_t n_tp_src = 0;
    size_t mf = count_megaflows(cls, rs->keys, rs->n_keys, false, &n_tp_src);
    size_t exact = count_megaflows(cls, rs->keys, rs->n_keys, true, NULL);

    printf("%-30s %7zu rules %5zu masks | with wc: %6.1f ns %6.2f Mlookup/s"
           " | no wc: %6.1f ns %6.2f Mlookup/s | hit %4.1f%%\n",
           rs->name, rs->n, ft_cls_n_subtables(cls), ns_wc, 1e3 / ns_wc, ns,
           1e3 / ns, 100.0 * (double) hits / (double) rs->n_keys);
    printf("%-30s megaflows for %zu flows: %zu (exact match: %zu, %.1fx "
           "fewer); masks examining tp_src: %zu\n", "", rs->n_keys, mf,
           exact, (double) exact / (double) mf, n_tp_src);

    for (size_t i = 0; i < rs->n; i++) {
        ft_cls_remove(cls, &rs->rules[i].cr);
    }
    ft_cls_destroy(cls);
}

/* flow_mod rates: 'n' rules inserted one by one (each published at once)
 * and in batches of 'batch' (deferred, one publication per batch). */
static void
bench_inserts(struct ruleset *rs, size_t batch)
{
    double t_single, t_batch, t_rm_single, t_rm_batch;

    struct ft_cls *cls = ft_cls_create(NULL);
    double t0 = bench_now_s();
    for (size_t i = 0; i < rs->n; i++) {
        ft_cls_insert(cls, &rs->rules[i].cr, 0);
    }
    t_single = bench_now_s() - t0;
    size_t masks = ft_cls_n_subtables(cls);
    t0 = bench_now_s();
    for (size_t i = 0; i < rs->n; i++) {
        ft_cls_remove(cls, &rs->rules[i].cr);
    }
    t_rm_single = bench_now_s() - t0;
    ft_cls_destroy(cls);

    cls = ft_cls_create(NULL);
    t0 = bench_now_s();
    for (size_t i = 0; i < rs->n; i += batch) {
        ft_cls_defer(cls);
        for (size_t j = i; j < i + batch && j < rs->n; j++) {
            ft_cls_insert(cls, &rs->rules[j].cr, 0);
        }
        ft_cls_publish(cls);
    }
    t_batch = bench_now_s() - t0;
    t0 = bench_now_s();
    for (size_t i = 0; i < rs->n; i += batch) {
        ft_cls_defer(cls);
        for (size_t j = i; j < i + batch && j < rs->n; j++) {
            ft_cls_remove(cls, &rs->rules[j].cr);
        }
        ft_cls_publish(cls);
    }
    t_rm_batch = bench_now_s() - t0;
    ft_cls_destroy(cls);

    double n = (double) rs->n;
    printf("%-30s %7zu rules %5zu masks | insert: single %8.0f k/s, "
           "batch(%zu) %8.0f k/s | remove: single %8.0f k/s, batch %8.0f "
           "k/s\n", rs->name, rs->n, masks, n / t_single / 1e3, batch,
           n / t_batch / 1e3, n / t_rm_single / 1e3, n / t_rm_batch / 1e3);
}

static void
free_ruleset(struct ruleset *rs)
{
    free(rs->rules);
    free(rs->keys);
    memset(rs, 0, sizeof *rs);
}

int
main(int argc, char **argv)
{
    bool quick = bench_quick(argc, argv);
    bench_seed(0x1234567);
    size_t div = quick ? 10 : 1;
    size_t n_keys = 100000 / div;
    double min_s = quick ? 0.1 : 1.0;
    struct ruleset rs;

    printf("classifier lookups (%zu random flows per set; ns per lookup, "
           "single thread)\n", n_keys);
    build_l2(&rs, 10000 / div, n_keys);
    bench_ruleset(&rs, min_s);
    free_ruleset(&rs);
    build_routes(&rs, 10000 / div, n_keys);
    bench_ruleset(&rs, min_s);
    free_ruleset(&rs);
    build_acl(&rs, 1000 / div, n_keys, false);
    bench_ruleset(&rs, min_s);
    free_ruleset(&rs);
    build_meta(&rs, 8192 / div, n_keys);
    bench_ruleset(&rs, min_s);
    free_ruleset(&rs);

    printf("\nflow_mod rates (%zu rules)\n", 100000 / div);
    build_routes(&rs, 100000 / div, 1);
    rs.name = "routes /24 (1 mask)";
    bench_inserts(&rs, 1000);
    free_ruleset(&rs);
    build_l2(&rs, 100000 / div, 1);
    bench_inserts(&rs, 1000);
    free_ruleset(&rs);
    build_acl(&rs, 100000 / div, 1, false);
    bench_inserts(&rs, 1000);
    free_ruleset(&rs);
    build_acl(&rs, 100000 / div, 1, true);
    bench_inserts(&rs, 1000);
    free_ruleset(&rs);
    build_meta(&rs, 100000 / div, 1);
    bench_inserts(&rs, 1000);
    free_ruleset(&rs);
    return 0;
}
