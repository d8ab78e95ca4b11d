/*
 * test_classifier.c — unit tests of the OpenFlow classifier
 * (flowtable/ft_classifier.h): priorities and tie-breaks, versions and
 * bundles, deferred publication, strict find and filtered iteration,
 * megaflow-mask quality (staged lookup, prefix tries), a property test
 * against a brute-force reference with mask soundness checks, and
 * concurrent readers under RCU while the writer churns.
 *
 * No EAL: the classifier only needs rte_rcu_qsbr, which works on plain
 * cache-aligned memory. Single process, main thread is the writer.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <rte_common.h>
#include <rte_rcu_qsbr.h>

#include "flowtable/ft_classifier.h"
#include "cls_testlib.h"

/* ---- helpers -------------------------------------------------------------- */

struct trule {
    struct ft_cls_rule cr;
    int id;
};

static void
match_ipv4_dst(struct ft_match *m, uint32_t addr, unsigned int plen)
{
    be32 a = htonl(addr);
    uint8_t mask[4];
    tl_prefix_mask(mask, 4, plen);
    be16 ip = htons(0x0800), all16 = 0xffff;
    ft_match_init_catchall(m);
    tl_match_set(m, offsetof(struct ft_key, dl_type), 2, &ip, &all16);
    tl_match_set(m, offsetof(struct ft_key, nw_dst), 4, &a, mask);
}

static void
key_ipv4(struct ft_key *k, uint32_t src, uint32_t dst, uint16_t sport,
         uint16_t dport)
{
    memset(k, 0, sizeof *k);
    k->in_port = 1;
    k->dl_type = htons(0x0800);
    k->nw_src = htonl(src);
    k->nw_dst = htonl(dst);
    k->nw_proto = 6;
    k->tp_src = htons(sport);
    k->tp_dst = htons(dport);
}

static bool
mask_is_zero_in(const struct ft_mask *wc, size_t ofs, size_t len)
{
    const uint8_t *p = (const uint8_t *) &wc->masks + ofs;
    for (size_t i = 0; i < len; i++) {
        if (p[i]) {
            return false;
        }
    }
    return true;
}

/* Leading one bits of a 32-bit big-endian field of the mask. */
static unsigned int
mask_plen32(const struct ft_mask *wc, size_t ofs)
{
    be32 v;
    memcpy(&v, (const uint8_t *) &wc->masks + ofs, 4);
    uint32_t h = ntohl(v);
    return h == UINT32_MAX ? 32 : (unsigned int) __builtin_clz(~h);
}

static const struct ft_cls_rule *
lookup(struct ft_cls *cls, const struct ft_key *k, struct ft_mask *wc)
{
    if (wc) {
        memset(wc, 0, sizeof *wc);
    }
    return ft_cls_lookup(cls, k, 0, wc);
}

/* ---- basic behaviour ------------------------------------------------------ */

static void
test_empty(void **state)
{
    (void) state;
    struct ft_cls *cls = ft_cls_create(NULL);
    assert_non_null(cls);
    struct ft_key k;
    struct ft_mask wc;
    key_ipv4(&k, 1, 2, 3, 4);
    assert_null(lookup(cls, &k, &wc));
    assert_true(mask_is_zero_in(&wc, 0, sizeof wc));
    assert_int_equal(ft_cls_count(cls), 0);
    ft_cls_destroy(cls);
}

static void
test_priority_and_ties(void **state)
{
    (void) state;
    struct ft_cls *cls = ft_cls_create(NULL);
    struct trule r[4];
    struct ft_match m;

    match_ipv4_dst(&m, 0x0a000000, 8);
    ft_cls_rule_init(&r[0].cr, &m, 10);
    match_ipv4_dst(&m, 0x0a010000, 16);
    ft_cls_rule_init(&r[1].cr, &m, 20);
    match_ipv4_dst(&m, 0x0a010100, 24);
    ft_cls_rule_init(&r[2].cr, &m, 20);     /* ties with r[1], later */
    ft_match_init_catchall(&m);
    ft_cls_rule_init(&r[3].cr, &m, 0);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(ft_cls_insert(cls, &r[i].cr, 0), 0);
    }
    assert_int_equal(ft_cls_count(cls), 4);
    assert_int_equal(ft_cls_n_subtables(cls), 4);

    struct ft_key k;
    key_ipv4(&k, 1, 0x0a010101, 1, 2);
    assert_ptr_equal(lookup(cls, &k, NULL), &r[1].cr);  /* older wins tie */
    key_ipv4(&k, 1, 0x0a020101, 1, 2);
    assert_ptr_equal(lookup(cls, &k, NULL), &r[0].cr);
    key_ipv4(&k, 1, 0x0b020101, 1, 2);
    assert_ptr_equal(lookup(cls, &k, NULL), &r[3].cr);

    ft_cls_remove(cls, &r[1].cr);
    key_ipv4(&k, 1, 0x0a010101, 1, 2);
    assert_ptr_equal(lookup(cls, &k, NULL), &r[2].cr);
    assert_int_equal(ft_cls_n_subtables(cls), 3);
    for (int i = 0; i < 4; i++) {
        if (i != 1) {
            ft_cls_remove(cls, &r[i].cr);
        }
    }
    assert_int_equal(ft_cls_count(cls), 0);
    assert_int_equal(ft_cls_n_subtables(cls), 0);
    assert_null(lookup(cls, &k, NULL));
    ft_cls_destroy(cls);
}

static void
test_same_match_list(void **state)
{
    (void) state;
    struct ft_cls *cls = ft_cls_create(NULL);
    struct trule r[5];
    struct ft_match m;
    match_ipv4_dst(&m, 0x0a000000, 8);
    const int32_t prio[5] = { 5, 9, 1, 9, 7 };
    for (int i = 0; i < 5; i++) {
        ft_cls_rule_init(&r[i].cr, &m, prio[i]);
        assert_int_equal(ft_cls_insert(cls, &r[i].cr, 0), 0);
    }
    assert_int_equal(ft_cls_n_subtables(cls), 1);
    struct ft_key k;
    key_ipv4(&k, 1, 0x0a000001, 1, 2);
    const int order[5] = { 1, 3, 4, 0, 2 };   /* rank order */
    for (int i = 0; i < 5; i++) {
        assert_ptr_equal(lookup(cls, &k, NULL), &r[order[i]].cr);
        assert_ptr_equal(ft_cls_find_exactly(cls, &m, prio[order[i]], 0),
                         &r[order[i]].cr);
        ft_cls_remove(cls, &r[order[i]].cr);
    }
    assert_null(lookup(cls, &k, NULL));
    ft_cls_destroy(cls);
}

static void
test_versions_and_bundles(void **state)
{
    (void) state;
    struct ft_cls *cls = ft_cls_create(NULL);
    struct trule a, b, c;
    struct ft_match m;
    struct ft_key k;
    key_ipv4(&k, 1, 0x0a000001, 1, 2);

    match_ipv4_dst(&m, 0x0a000000, 8);
    ft_cls_rule_init(&a.cr, &m, 10);
    assert_int_equal(ft_cls_insert(cls, &a.cr, 1), 0);
    assert_int_equal(ft_cls_insert(cls, &a.cr, FT_CLS_VERSION_NEVER),
                     -EINVAL);
    assert_null(ft_cls_lookup(cls, &k, 0, NULL));
    assert_ptr_equal(ft_cls_lookup(cls, &k, 1, NULL), &a.cr);

    /* Bundle at version 2: replace a by b (same match and priority). */
    ft_cls_defer(cls);
    ft_cls_rule_init(&b.cr, &m, 10);
    assert_int_equal(ft_cls_insert(cls, &b.cr, 2), 0);
    ft_cls_retire(cls, &a.cr, 2);
    ft_cls_publish(cls);
    assert_ptr_equal(ft_cls_lookup(cls, &k, 1, NULL), &a.cr);
    assert_ptr_equal(ft_cls_lookup(cls, &k, 2, NULL), &b.cr);
    assert_ptr_equal(ft_cls_find_exactly(cls, &m, 10, 1), &a.cr);
    assert_ptr_equal(ft_cls_find_exactly(cls, &m, 10, 2), &b.cr);
    ft_cls_remove(cls, &a.cr);              /* grace period over */
    assert_null(ft_cls_lookup(cls, &k, 1, NULL));

    /* Aborted bundle at version 3: add c, retire b, then undo. */
    ft_match_init_catchall(&m);
    ft_cls_rule_init(&c.cr, &m, 100);
    assert_int_equal(ft_cls_insert(cls, &c.cr, 3), 0);
    ft_cls_retire(cls, &b.cr, 3);
    assert_ptr_equal(ft_cls_lookup(cls, &k, 3, NULL), &c.cr);
    ft_cls_remove(cls, &c.cr);
    ft_cls_unretire(cls, &b.cr);
    assert_ptr_equal(ft_cls_lookup(cls, &k, 3, NULL), &b.cr);
    assert_ptr_equal(ft_cls_lookup(cls, &k, 2, NULL), &b.cr);
    assert_true(ft_cls_rule_visible(&b.cr, 1000));
    assert_false(ft_cls_rule_visible(&b.cr, 1));
    ft_cls_destroy(cls);
}

static int
count_cb(struct ft_cls_rule *rule, void *aux)
{
    (void) rule;
    (*(int *) aux)++;
    return 0;
}

struct rm_aux {
    struct ft_cls *cls;
    int n;
};

static int
remove_cb(struct ft_cls_rule *rule, void *aux_)
{
    struct rm_aux *aux = aux_;
    ft_cls_remove(aux->cls, rule);
    aux->n++;
    return 0;
}

static void
test_foreach_filter(void **state)
{
    (void) state;
    struct ft_cls *cls = ft_cls_create(NULL);
    enum { N = 300 };
    static struct trule r[N];
    struct ft_match m;
    for (int i = 0; i < N; i++) {
        /* 10.i/16 .. /24 alternating, so two masks. */
        unsigned int plen = i % 2 ? 24 : 16;
        match_ipv4_dst(&m, 0x0a000000u | (uint32_t) i << 8, plen);
        ft_cls_rule_init(&r[i].cr, &m, i);
        assert_int_equal(ft_cls_insert(cls, &r[i].cr, 0), 0);
    }
    int n = 0;
    assert_int_equal(ft_cls_foreach(cls, NULL, 0, count_cb, &n), 0);
    assert_int_equal(n, N);

    /* Non-strict filter 10.0/16: every rule inside it (/16 and /24 whose
     * address starts with 10.0). i < 256 -> 10.0.i.0. */
    match_ipv4_dst(&m, 0x0a000000, 16);
    n = 0;
    ft_cls_foreach(cls, &m, 0, count_cb, &n);
    int expect = 0;
    for (int i = 0; i < N; i++) {
        uint32_t a = (0x0a000000u | (uint32_t) i << 8)
                     & (i % 2 ? 0xffffff00u : 0xffff0000u);
        expect += (a & 0xffff0000u) == 0x0a000000u;
    }
    assert_int_equal(n, expect);

    /* A /24 filter admits no /16 rule (less specific). */
    match_ipv4_dst(&m, 0x0a000100, 24);
    n = 0;
    ft_cls_foreach(cls, &m, 0, count_cb, &n);
    assert_int_equal(n, 1);

    /* Overlap checks (OFPFF_CHECK_OVERLAP): 10.0.1/24 at priority 1 is in
     * the set; 10.0.0.0/8 overlaps it, 10.0.3/24 (priority 3) does not. */
    match_ipv4_dst(&m, 0x0a000000, 8);
    assert_true(ft_cls_overlaps(cls, &m, 1, 0));
    assert_false(ft_cls_overlaps(cls, &m, N + 5, 0));
    match_ipv4_dst(&m, 0x0a000300, 24);
    assert_true(ft_cls_overlaps(cls, &m, 3, 0));
    assert_false(ft_cls_overlaps(cls, &m, 1, 0));
    ft_cls_retire(cls, &r[3].cr, 1);
    assert_false(ft_cls_overlaps(cls, &m, 3, 1));
    ft_cls_unretire(cls, &r[3].cr);

    /* Remove everything from inside the walk. */
    struct rm_aux aux = { cls, 0 };
    assert_int_equal(ft_cls_foreach(cls, NULL, 0, remove_cb, &aux), 0);
    assert_int_equal(aux.n, N);
    assert_int_equal(ft_cls_count(cls), 0);
    assert_int_equal(ft_cls_n_subtables(cls), 0);
    ft_cls_destroy(cls);
}

/* ---- megaflow masks -------------------------------------------------------- */

static void
test_staged_wildcards(void **state)
{
    (void) state;
    struct ft_cls *cls = ft_cls_create(NULL);
    struct trule r;
    struct ft_match m;
    ft_match_init_catchall(&m);
    uint32_t port = 7, all32 = UINT32_MAX;
    be16 dport = htons(80), all16 = 0xffff;
    tl_match_set(&m, offsetof(struct ft_key, in_port), 4, &port, &all32);
    tl_match_set(&m, offsetof(struct ft_key, tp_dst), 2, &dport, &all16);
    ft_cls_rule_init(&r.cr, &m, 5);
    ft_cls_insert(cls, &r.cr, 0);

    struct ft_key k;
    struct ft_mask wc;
    key_ipv4(&k, 1, 2, 3, 80);              /* in_port 1: metadata miss */
    assert_null(lookup(cls, &k, &wc));
    assert_false(mask_is_zero_in(&wc, offsetof(struct ft_key, in_port), 4));
    assert_true(mask_is_zero_in(&wc, offsetof(struct ft_key, tp_dst), 2));

    k.in_port = 7;
    assert_ptr_equal(lookup(cls, &k, &wc), &r.cr);
    assert_false(mask_is_zero_in(&wc, offsetof(struct ft_key, tp_dst), 2));
    assert_true(mask_is_zero_in(&wc, offsetof(struct ft_key, tp_src), 2));
    ft_cls_remove(cls, &r.cr);
    ft_cls_destroy(cls);
}

static void
test_trie_wildcards(void **state)
{
    (void) state;
    struct ft_cls *cls = ft_cls_create(NULL);
    struct trule r[4];
    struct ft_match m;
    /* LPM: priority = prefix length. */
    match_ipv4_dst(&m, 0x0a000000, 8);
    ft_cls_rule_init(&r[0].cr, &m, 8);
    match_ipv4_dst(&m, 0x0a010000, 16);
    ft_cls_rule_init(&r[1].cr, &m, 16);
    match_ipv4_dst(&m, 0x0a010200, 24);
    ft_cls_rule_init(&r[2].cr, &m, 24);
    match_ipv4_dst(&m, 0x0a010203, 32);
    ft_cls_rule_init(&r[3].cr, &m, 32);
    for (int i = 0; i < 4; i++) {
        ft_cls_insert(cls, &r[i].cr, 0);
    }
    struct ft_key k;
    struct ft_mask wc;

    /* 10.200.x.x: /32 /24 /16 dropped by the trie on 9 bits: the 9th
     * (1) leaves the path to 10.1 (9th bit 0). */
    key_ipv4(&k, 1, 0x0ac80505, 1, 2);
    assert_ptr_equal(lookup(cls, &k, &wc), &r[0].cr);
    assert_int_equal(mask_plen32(&wc, offsetof(struct ft_key, nw_dst)), 9);
    assert_true(mask_is_zero_in(&wc, offsetof(struct ft_key, nw_src), 4));

    /* 10.1.9.9: the /16 wins; /24 and /32 cost at most 23 bits. */
    key_ipv4(&k, 1, 0x0a010909, 1, 2);
    assert_ptr_equal(lookup(cls, &k, &wc), &r[1].cr);
    assert_true(mask_plen32(&wc, offsetof(struct ft_key, nw_dst)) <= 23);

    /* 11.0.0.1: nothing matches, all dropped after 8 bits at most. */
    key_ipv4(&k, 1, 0x0b000001, 1, 2);
    assert_null(lookup(cls, &k, &wc));
    assert_true(mask_plen32(&wc, offsetof(struct ft_key, nw_dst)) <= 8);

    key_ipv4(&k, 1, 0x0a010203, 1, 2);
    assert_ptr_equal(lookup(cls, &k, &wc), &r[3].cr);
    assert_int_equal(mask_plen32(&wc, offsetof(struct ft_key, nw_dst)), 32);
    ft_cls_destroy(cls);
}

/* IPv6 LPM: /32, /48, /64 and /128 routes under 2001:db8::/32. */
static void
test_trie_ipv6(void **state)
{
    (void) state;
    struct ft_cls *cls = ft_cls_create(NULL);
    static const unsigned int plens[] = { 32, 48, 64, 128 };
    struct trule r[4];
    uint8_t addr[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2,
                         0, 0, 0, 0, 0, 0, 0, 3 };
    be16 ipv6 = htons(0x86dd), all16 = 0xffff;
    for (int i = 0; i < 4; i++) {
        struct ft_match m;
        uint8_t mask[16];
        ft_match_init_catchall(&m);
        tl_match_set(&m, offsetof(struct ft_key, dl_type), 2, &ipv6, &all16);
        tl_prefix_mask(mask, 16, plens[i]);
        tl_match_set(&m, offsetof(struct ft_key, ipv6_dst), 16, addr, mask);
        ft_cls_rule_init(&r[i].cr, &m, (int32_t) plens[i]);
        assert_int_equal(ft_cls_insert(cls, &r[i].cr, 0), 0);
    }
    struct ft_key k;
    struct ft_mask wc;
    memset(&k, 0, sizeof k);
    k.dl_type = ipv6;
    memcpy(k.ipv6_src.s6, addr, 16);
    memcpy(k.ipv6_dst.s6, addr, 16);
    assert_ptr_equal(lookup(cls, &k, &wc), &r[3].cr);

    /* 2001:db8:1:2:ffff::: the /64 wins; the /128 is dropped by the trie
     * after at most 65 bits, so nothing past bit 65 is examined. */
    k.ipv6_dst.s6[8] = 0xff;
    assert_ptr_equal(lookup(cls, &k, &wc), &r[2].cr);
    const uint8_t *m = wc.masks.ipv6_dst.s6;
    assert_int_equal(m[8] & 0x3f, 0);
    for (int i = 9; i < 16; i++) {
        assert_int_equal(m[i], 0);
    }
    assert_true(mask_is_zero_in(&wc, offsetof(struct ft_key, ipv6_src), 16));

    /* 2001:db9::: nothing matches; at most 32 bits looked at. */
    k.ipv6_dst.s6[3] = 0xb9;
    assert_null(lookup(cls, &k, &wc));
    for (int i = 4; i < 16; i++) {
        assert_int_equal(wc.masks.ipv6_dst.s6[i], 0);
    }
    for (int i = 0; i < 4; i++) {
        ft_cls_remove(cls, &r[i].cr);
    }
    ft_cls_destroy(cls);
}

/* A /24 routing table of 2k prefixes plus a default route: masks never
 * look at ports or nw_src and at most 24 bits of nw_dst. */
static void
test_routing_megaflows(void **state)
{
    (void) state;
    struct ft_cls *cls = ft_cls_create(NULL);
    enum { N = 2000 };
    struct trule *r = calloc(N + 1, sizeof *r);
    uint64_t rng = 42;
    struct ft_match m;
    for (int i = 0; i < N; i++) {
        match_ipv4_dst(&m, (uint32_t) tl_rand(&rng) & 0xffffff00u, 24);
        ft_cls_rule_init(&r[i].cr, &m, 24);
        ft_cls_insert(cls, &r[i].cr, 0);
    }
    ft_match_init_catchall(&m);
    ft_cls_rule_init(&r[N].cr, &m, 0);
    ft_cls_insert(cls, &r[N].cr, 0);
    for (int i = 0; i < 5000; i++) {
        struct ft_key k;
        struct ft_mask wc;
        uint32_t dst = i % 2 ? ntohl(r[tl_below(&rng, N)].cr.match.key.nw_dst)
                               | tl_below(&rng, 256)
                             : (uint32_t) tl_rand(&rng);
        key_ipv4(&k, (uint32_t) tl_rand(&rng), dst,
                 (uint16_t) tl_rand(&rng), (uint16_t) tl_rand(&rng));
        const struct ft_cls_rule *got = lookup(cls, &k, &wc);
        assert_non_null(got);
        assert_true(mask_is_zero_in(&wc, offsetof(struct ft_key, tp_src), 2));
        assert_true(mask_is_zero_in(&wc, offsetof(struct ft_key, tp_dst), 2));
        assert_true(mask_is_zero_in(&wc, offsetof(struct ft_key, nw_src), 4));
        assert_true(mask_plen32(&wc, offsetof(struct ft_key, nw_dst)) <= 24);
    }
    for (int i = 0; i <= N; i++) {
        ft_cls_remove(cls, &r[i].cr);
    }
    free(r);
    ft_cls_destroy(cls);
}

/* ---- property test against the brute-force reference ------------------------- */

struct prop_rule {
    struct ft_cls_rule cr;
    int ref_idx;                       /* index in ref, -1 if absent */
};

#define CONTAINER_OF_PR(r) \
    ((struct prop_rule *) (void *) ((char *) (r) \
                                    - offsetof(struct prop_rule, cr)))

static void
ref_add(struct tl_ref *ref, struct prop_rule *pr, ft_cls_version_t v)
{
    if (ref->n == ref->cap) {
        ref->cap = ref->cap ? ref->cap * 2 : 256;
        ref->r = realloc(ref->r, ref->cap * sizeof *ref->r);
    }
    pr->ref_idx = (int) ref->n;
    ref->r[ref->n++] = (struct tl_ref_rule) {
        &pr->cr, pr->cr.match, pr->cr.priority, ref->next_seq++, v,
        FT_CLS_VERSION_NEVER
    };
}

static void
ref_del(struct tl_ref *ref, struct prop_rule *pr)
{
    size_t i = (size_t) pr->ref_idx;
    ref->r[i] = ref->r[--ref->n];
    if (i < ref->n) {
        struct prop_rule *moved = CONTAINER_OF_PR(ref->r[i].rule);
        moved->ref_idx = (int) i;
    }
    pr->ref_idx = -1;
}

static unsigned long prop_hits;     /* lookups that found a rule */
static unsigned long prop_direct;   /* lookups compared (not probes) */
static size_t prop_max_subtables;

/* Checks one lookup against the reference, then the soundness of its mask
 * on 'n_probe' keys that agree with 'k' under the mask. Returns the
 * number of probes done. */
static unsigned int
check_lookup(struct ft_cls *cls, struct tl_ref *ref, struct tl_gen *g,
             const struct ft_key *k, ft_cls_version_t v, unsigned int n_probe)
{
    struct ft_mask wc;
    memset(&wc, 0, sizeof wc);
    const struct ft_cls_rule *got = ft_cls_lookup(cls, k, v, &wc);
    const struct ft_cls_rule *want = tl_ref_lookup(ref, k, v);
    if (got != want) {
        char buf[1024];
        ft_key_format(k, NULL, buf, sizeof buf);
        print_error("lookup mismatch at version %" PRIu64 " for %s: got prio "
                    "%d want prio %d\n", v, buf, got ? got->priority : -1,
                    want ? want->priority : -1);
    }
    assert_ptr_equal(got, want);
    assert_ptr_equal(ft_cls_lookup(cls, k, v, NULL), got);
    prop_hits += got != NULL;
    prop_direct++;

    const ft_key_word *kw = ft_key_u64(k);
    const ft_key_word *mw = ft_key_u64(&wc.masks);
    for (unsigned int p = 0; p < n_probe; p++) {
        struct ft_key other, probe;
        tl_gen_key(g, &other);
        const ft_key_word *ow = ft_key_u64(&other);
        uint64_t pw[FT_KEY_U64S];
        for (unsigned int i = 0; i < FT_KEY_U64S; i++) {
            /* Outside the mask: another plausible packet or noise. */
            uint64_t outside = p % 2 ? ow[i] : tl_rand(&g->rng);
            pw[i] = (kw[i] & mw[i]) | (outside & ~mw[i]);
        }
        memcpy(&probe, pw, sizeof probe);
        assert_ptr_equal(tl_ref_lookup(ref, &probe, v), got);
    }
    return n_probe;
}

struct prop_params {
    uint64_t seed;
    unsigned int n_rules;              /* rules built up to */
    unsigned int n_profiles;
    int32_t max_priority;
    unsigned int n_batches;            /* versioned churn batches */
    unsigned int n_lookups;            /* per check phase */
    unsigned int n_probe;              /* soundness probes per lookup */
    bool no_catchall;                  /* so that whole lookups miss */
};

static void
run_property(const struct prop_params *pp, unsigned long *n_checked)
{
    struct tl_gen g;
    tl_gen_init(&g, pp->seed, pp->n_profiles, pp->max_priority);
    g.catchalls = !pp->no_catchall;
    struct ft_cls *cls = ft_cls_create(NULL);
    size_t cap = pp->n_rules * 2 + 64;
    struct prop_rule *rules = calloc(cap, sizeof *rules);
    struct tl_ref ref = { 0 };
    size_t n_alloc = 0;
    ft_cls_version_t cur = 1;

    /* Bulk load, deferred, all at version 1. */
    ft_cls_defer(cls);
    for (unsigned int i = 0; i < pp->n_rules; i++) {
        struct ft_match m;
        int32_t prio;
        tl_gen_match(&g, &m, &prio);
        struct prop_rule *pr = &rules[n_alloc++];
        ft_cls_rule_init(&pr->cr, &m, prio);
        assert_int_equal(ft_cls_insert(cls, &pr->cr, cur), 0);
        ref_add(&ref, pr, cur);
    }
    ft_cls_publish(cls);
    if (ft_cls_n_subtables(cls) > prop_max_subtables) {
        prop_max_subtables = ft_cls_n_subtables(cls);
    }

    unsigned long checked = 0;
    for (unsigned int i = 0; i < pp->n_lookups; i++) {
        struct ft_key k;
        tl_gen_key(&g, &k);
        checked += 1 + check_lookup(cls, &ref, &g, &k, cur, pp->n_probe);
    }

    for (unsigned int b = 0; b < pp->n_batches; b++) {
        ft_cls_version_t nv = cur + 1;
        bool deferred = b % 2;
        bool abort = b % 5 == 4;
        struct prop_rule *added[64];
        struct prop_rule *retired[64];
        unsigned int n_added = 0, n_retired = 0;
        unsigned int n_ops = 1 + tl_below(&g.rng, 40);

        if (deferred) {
            ft_cls_defer(cls);
        }
        for (unsigned int o = 0; o < n_ops; o++) {
            if (tl_below(&g.rng, 2) && n_alloc < cap) {
                struct ft_match m;
                int32_t prio;
                tl_gen_match(&g, &m, &prio);
                struct prop_rule *pr = &rules[n_alloc++];
                ft_cls_rule_init(&pr->cr, &m, prio);
                assert_int_equal(ft_cls_insert(cls, &pr->cr, nv), 0);
                ref_add(&ref, pr, nv);
                added[n_added++] = pr;
            } else if (ref.n) {
                struct tl_ref_rule *rr = &ref.r[tl_below(&g.rng,
                                                         (uint32_t) ref.n)];
                if (rr->remove == FT_CLS_VERSION_NEVER && rr->add <= cur) {
                    struct prop_rule *pr = CONTAINER_OF_PR(rr->rule);
                    ft_cls_retire(cls, &pr->cr, nv);
                    rr->remove = nv;
                    retired[n_retired++] = pr;
                }
            }
        }
        if (deferred) {
            ft_cls_publish(cls);
        }

        /* Both versions are correct while the batch is pending. */
        for (unsigned int i = 0; i < pp->n_lookups / 8; i++) {
            struct ft_key k;
            tl_gen_key(&g, &k);
            checked += 1 + check_lookup(cls, &ref, &g, &k,
                                        i % 2 ? cur : nv, pp->n_probe);
        }

        if (abort) {
            for (unsigned int i = 0; i < n_added; i++) {
                ft_cls_remove(cls, &added[i]->cr);
                ref_del(&ref, added[i]);
            }
            for (unsigned int i = 0; i < n_retired; i++) {
                ft_cls_unretire(cls, &retired[i]->cr);
                ref.r[retired[i]->ref_idx].remove = FT_CLS_VERSION_NEVER;
            }
        } else {
            cur = nv;
            /* Grace period: physically remove what is retired in the
             * previous version, in a deferred batch half of the time. */
            if (b % 3 == 0) {
                ft_cls_defer(cls);
            }
            for (size_t i = 0; i < ref.n;) {
                if (ref.r[i].remove <= cur) {
                    struct prop_rule *pr = CONTAINER_OF_PR(ref.r[i].rule);
                    ft_cls_remove(cls, &pr->cr);
                    ref_del(&ref, pr);
                } else {
                    i++;
                }
            }
            if (b % 3 == 0) {
                ft_cls_publish(cls);
            }
        }
        assert_int_equal(ft_cls_count(cls), ref.n);
    }

    for (unsigned int i = 0; i < pp->n_lookups; i++) {
        struct ft_key k;
        tl_gen_key(&g, &k);
        checked += 1 + check_lookup(cls, &ref, &g, &k, cur, pp->n_probe);
    }

    /* Overlap checks agree with a brute-force scan. */
    for (unsigned int i = 0; i < 200; i++) {
        struct ft_match m;
        int32_t prio;
        tl_gen_match(&g, &m, &prio);
        bool want = false;
        for (size_t j = 0; j < ref.n && !want; j++) {
            const struct tl_ref_rule *rr = &ref.r[j];
            if (rr->priority != prio || rr->add > cur || cur >= rr->remove) {
                continue;
            }
            const ft_key_word *ak = ft_key_u64(&m.key);
            const ft_key_word *am = ft_key_u64(&m.mask.masks);
            const ft_key_word *bk = ft_key_u64(&rr->match.key);
            const ft_key_word *bm = ft_key_u64(&rr->match.mask.masks);
            bool overlap = true;
            for (unsigned int w = 0; w < FT_KEY_U64S; w++) {
                if ((ak[w] ^ bk[w]) & am[w] & bm[w]) {
                    overlap = false;
                }
            }
            want = overlap;
        }
        assert_int_equal(ft_cls_overlaps(cls, &m, prio, cur), want);
    }

    /* Strict find agrees for every rule left. */
    for (size_t i = 0; i < ref.n; i++) {
        const struct tl_ref_rule *rr = &ref.r[i];
        struct ft_cls_rule *f = ft_cls_find_exactly(cls, &rr->match,
                                                    rr->priority, cur);
        assert_non_null(f);
        assert_true(ft_match_matches(&f->match, &rr->match.key));
        assert_int_equal(f->priority, rr->priority);
    }

    ft_cls_destroy(cls);
    free(ref.r);
    free(rules);
    *n_checked += checked;
}

static void
test_property(void **state)
{
    (void) state;
    static const struct prop_params params[] = {
        /* seed, rules, profiles, max prio, batches, lookups, probes,
         * no catch-all */
        { 1, 3000, 40, 20, 60, 2000, 3, false },
        { 2, 3000, 8, 3, 60, 2000, 3, false },  /* few masks, many ties */
        { 3, 2000, 64, 1000, 60, 2000, 3, false }, /* many masks */
        { 4, 3000, 30, 50, 60, 2000, 3, true },  /* misses happen */
        { 5, 200, 20, 5, 200, 500, 4, true },    /* small, much churn */
    };
    unsigned long checked = 0;
    for (size_t i = 0; i < sizeof params / sizeof params[0]; i++) {
        run_property(&params[i], &checked);
    }

    /* Soak: CLS_PROP_SOAK=N runs N more sets with seeds 100.. and sizes
     * drawn from the seed (up to 10k rules); not part of the unit run. */
    const char *soak = getenv("CLS_PROP_SOAK");
    unsigned int n_soak = soak ? (unsigned int) strtoul(soak, NULL, 10) : 0;
    for (unsigned int i = 0; i < n_soak; i++) {
        uint64_t r = 100 + i;
        struct prop_params pp = {
            .seed = 100 + i,
            .n_rules = 100 + tl_below(&r, 10000),
            .n_profiles = 1 + tl_below(&r, 64),
            .max_priority = (int32_t) tl_below(&r, 2000),
            .n_batches = 100,
            .n_lookups = 2000,
            .n_probe = 3,
            .no_catchall = i % 2,
        };
        run_property(&pp, &checked);
        print_message("soak %u: seed %" PRIu64 ", %u rules, %u profiles, "
                      "max prio %d: ok\n", i, pp.seed, pp.n_rules,
                      pp.n_profiles, pp.max_priority);
    }
    print_message("property: %lu lookups checked against the reference "
                  "(%lu direct, %lu hit a rule; up to %zu subtables)\n",
                  checked, prop_direct, prop_hits, prop_max_subtables);
}

/* ---- concurrent readers --------------------------------------------------- */

#define N_READERS 2

struct conc {
    struct ft_cls *cls;
    struct rte_rcu_qsbr *qsbr;
    _Atomic ft_cls_version_t version;
    atomic_bool stop;
    atomic_ulong lookups;
    atomic_ulong errors;
    atomic_uint online;
};

struct conc_reader {
    struct conc *c;
    unsigned int id;
};

/* Every reader key is covered by a "replaced" rule of priority 50 that the
 * writer swaps atomically (new version) and never lets go missing, under
 * churn of other rules of random masks and priorities below 50. */
static void *
conc_reader_main(void *arg)
{
    struct conc_reader *r = arg;
    struct conc *c = r->c;
    uint64_t rng = 1000 + r->id;
    rte_rcu_qsbr_thread_register(c->qsbr, r->id);
    rte_rcu_qsbr_thread_online(c->qsbr, r->id);
    atomic_fetch_add(&c->online, 1);
    while (!atomic_load(&c->stop)) {
        struct ft_key k;
        key_ipv4(&k, (uint32_t) tl_rand(&rng), 0x0a000000u
                 | tl_below(&rng, 1u << 16), (uint16_t) tl_rand(&rng), 80);
        ft_cls_version_t v = atomic_load(&c->version);
        struct ft_mask wc;
        memset(&wc, 0, sizeof wc);
        const struct ft_cls_rule *got = ft_cls_lookup(c->cls, &k, v, &wc);
        if (!got || got->priority != 50 || !ft_cls_rule_visible(got, v)
            || !ft_match_matches(&got->match, &k)) {
            atomic_fetch_add(&c->errors, 1);
        }
        atomic_fetch_add_explicit(&c->lookups, 1, memory_order_relaxed);
        rte_rcu_qsbr_quiescent(c->qsbr, r->id);
    }
    rte_rcu_qsbr_thread_offline(c->qsbr, r->id);
    rte_rcu_qsbr_thread_unregister(c->qsbr, r->id);
    return NULL;
}

/* rte_rcu_qsbr_synchronize() without its busy spin (the box may have fewer
 * cores than threads) and inline, so that ThreadSanitizer sees its
 * acquire loads (the library copy is not instrumented). */
static void
wait_grace_period(struct rte_rcu_qsbr *qsbr)
{
    uint64_t token = rte_rcu_qsbr_start(qsbr);
    while (!rte_rcu_qsbr_check(qsbr, token, false)) {
        sched_yield();
    }
}

static struct prop_rule *
new_rule(const struct ft_match *m, int32_t prio)
{
    struct prop_rule *pr = malloc(sizeof *pr);
    ft_cls_rule_init(&pr->cr, m, prio);
    return pr;
}

static void
free_rule(void *p)
{
    free(p);
}

static void
test_concurrent_readers(void **state)
{
    (void) state;
    size_t sz = rte_rcu_qsbr_get_memsize(N_READERS);
    struct rte_rcu_qsbr *qsbr = aligned_alloc(RTE_CACHE_LINE_SIZE,
                                              RTE_ALIGN(sz,
                                                        RTE_CACHE_LINE_SIZE));
    assert_int_equal(rte_rcu_qsbr_init(qsbr, N_READERS), 0);
    struct conc c = { .cls = ft_cls_create(qsbr), .qsbr = qsbr };
    atomic_init(&c.version, 1);

    /* The guaranteed cover: 10.0/16 at priority 50. */
    struct ft_match cover_m;
    match_ipv4_dst(&cover_m, 0x0a000000, 16);
    struct prop_rule *cover = new_rule(&cover_m, 50);
    assert_int_equal(ft_cls_insert(c.cls, &cover->cr, 1), 0);

    pthread_t th[N_READERS];
    struct conc_reader rd[N_READERS];
    for (unsigned int i = 0; i < N_READERS; i++) {
        rd[i] = (struct conc_reader) { &c, i };
        pthread_create(&th[i], NULL, conc_reader_main, &rd[i]);
    }
    /* rte_rcu_qsbr_thread_online() reads the token relaxed: let readers
     * come online before the writer retires anything. */
    while (atomic_load(&c.online) < N_READERS) {
        sched_yield();
    }

    struct tl_gen g;
    tl_gen_init(&g, 77, 30, 49);
    enum { CHURN = 256 };
    struct prop_rule *churn[CHURN] = { 0 };
    ft_cls_version_t cur = 1;
    /* Bounded in rounds and in time: on a loaded 2-core box the writer
     * competes with the spinning readers for the CPU. */
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    unsigned int round;
    for (round = 0; round < 1500; round++) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (round >= 100 && now.tv_sec - t0.tv_sec >= 3) {
            break;
        }
        ft_cls_version_t nv = cur + 1;
        ft_cls_defer(c.cls);
        /* Atomic replacement of the cover. */
        struct prop_rule *next = new_rule(&cover_m, 50);
        assert_int_equal(ft_cls_insert(c.cls, &next->cr, nv), 0);
        ft_cls_retire(c.cls, &cover->cr, nv);
        /* Churn below it: trie splits, rehashes, subtables come and go. */
        for (unsigned int j = 0; j < 8; j++) {
            unsigned int slot = tl_below(&g.rng, CHURN);
            if (churn[slot]) {
                ft_cls_retire(c.cls, &churn[slot]->cr, nv);
            } else {
                struct ft_match m;
                int32_t prio;
                tl_gen_match(&g, &m, &prio);
                if (round % 2) {
                    /* Also address prefixes overlapping the readers'. */
                    uint32_t a = htonl(0x0a000000u | tl_below(&g.rng, 1u << 16));
                    uint8_t mask[4];
                    tl_prefix_mask(mask, 4, 8 + tl_below(&g.rng, 25));
                    tl_match_set(&m, offsetof(struct ft_key, nw_dst), 4, &a,
                                 mask);
                }
                churn[slot] = new_rule(&m, prio);
                assert_int_equal(ft_cls_insert(c.cls, &churn[slot]->cr, nv),
                                 0);
            }
        }
        ft_cls_publish(c.cls);
        atomic_store(&c.version, nv);
        cur = nv;

        /* Grace period for version cur-1, then drop what it retired. */
        wait_grace_period(qsbr);
        ft_cls_remove(c.cls, &cover->cr);
        ft_cls_defer_free(c.cls, free_rule, cover);
        cover = next;
        for (unsigned int s = 0; s < CHURN; s++) {
            if (churn[s] && !ft_cls_rule_visible(&churn[s]->cr, cur)) {
                ft_cls_remove(c.cls, &churn[s]->cr);
                ft_cls_defer_free(c.cls, free_rule, churn[s]);
                churn[s] = NULL;
            }
        }
    }
    atomic_store(&c.stop, true);
    for (unsigned int i = 0; i < N_READERS; i++) {
        pthread_join(th[i], NULL);
    }
    print_message("concurrent: %u writer rounds, %lu lookups, %lu errors\n",
                  round, atomic_load(&c.lookups), atomic_load(&c.errors));
    assert_int_equal(atomic_load(&c.errors), 0);
    assert_true(atomic_load(&c.lookups) > 0);

    ft_cls_remove(c.cls, &cover->cr);
    free(cover);
    for (unsigned int s = 0; s < CHURN; s++) {
        if (churn[s]) {
            ft_cls_remove(c.cls, &churn[s]->cr);
            free(churn[s]);
        }
    }
    ft_cls_destroy(c.cls);
    free(qsbr);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_priority_and_ties),
        cmocka_unit_test(test_same_match_list),
        cmocka_unit_test(test_versions_and_bundles),
        cmocka_unit_test(test_foreach_filter),
        cmocka_unit_test(test_staged_wildcards),
        cmocka_unit_test(test_trie_wildcards),
        cmocka_unit_test(test_trie_ipv6),
        cmocka_unit_test(test_routing_megaflows),
        cmocka_unit_test(test_property),
        cmocka_unit_test(test_concurrent_readers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
