/*
 * bench_dpcls.c — micro-benchmark of the PMD fast-path caches: the
 * exact-match cache (datapath/dp_emc.h) and the megaflow classifier
 * (datapath/dp_dpcls.h).
 *
 * Every case looks up batches of 32 keys (a PMD burst) and reports ns per
 * packet and millions of packets per second on one core:
 *  - EMC hits: 4096 active flows in an 8192-entry EMC, hashes given (as
 *    with a NIC's RSS hash);
 *  - dpcls hits with 1, 4 and 16 subtables (1000 megaflows each, masks of
 *    4 to 6 words), with the width-specialised lookup functions and with
 *    the generic one. Traffic is spread evenly over the subtables, so a
 *    hit searches (n+1)/2 subtables on average whatever the ranking: the
 *    last column shows it.
 * Keys are drawn at random from the flows (unmasked bits random too) and
 * walked in a fixed random order, so caches see a realistic spread.
 *
 * Single-threaded, no EAL, no qsbr. Deterministic data (fixed seeds);
 * times are the best of five runs (shared machines are noisy).
 * Usage: bench_dpcls [--quick]   (--quick: shorter runs, for CI)
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench_util.h"
#include "datapath/dp_dpcls.h"
#include "datapath/dp_emc.h"

#define N_KEYS 8192                 /* lookup keys walked in a loop */
#define FLOWS_PER_SUBTABLE 1000
#define EMC_FLOWS 4096
#define BATCH 32
#define RUNS 5

static uint64_t *
kw(struct ft_key *key)
{
    return (uint64_t *) (void *) key;
}

static void
die(const char *what)
{
    fprintf(stderr, "bench_dpcls: %s\n", what);
    exit(1);
}

/* Mask of subtable 's': metadata (the flow id), in_port and dl_type (the
 * subtable id) always; then an IPv4 source prefix of 8/16/24/32 bits, the
 * L4 ports or not, the MAC addresses or not: 16 shapes, 4 to 6 words. */
static void
subtable_mask(unsigned int s, struct ft_key *mask)
{
    static const uint32_t prefixes[4] = {
        0xff000000, 0xffff0000, 0xffffff00, 0xffffffff
    };

    memset(mask, 0, sizeof *mask);
    mask->metadata = UINT64_MAX;
    mask->in_port = UINT32_MAX;
    mask->dl_type = 0xffff;
    mask->nw_src = htonl(prefixes[s % 4]);
    if (s & 4) {
        mask->tp_src = mask->tp_dst = 0xffff;
    }
    if (s & 8) {
        memset(&mask->dl_dst, 0xff, sizeof mask->dl_dst);
        memset(&mask->dl_src, 0xff, sizeof mask->dl_src);
    }
}

/* A packet key of flow 'f' of subtable 's' (unmasked bits random). */
static void
flow_key(unsigned int s, unsigned int f, struct ft_key *key)
{
    for (unsigned int w = 0; w < FT_KEY_U64S; w++) {
        kw(key)[w] = bench_rnd();
    }
    key->in_port = 1;
    key->recirc_id = 0;
    key->metadata = f;
    key->dl_type = htons((uint16_t) (0x1000 + s));
}

struct result {
    double ns_per_pkt;
    double subtables_per_hit;
};

/* Times dp_dpcls_lookup over the keys; every key must hit. */
static struct result
time_dpcls(struct dp_flow_cache *fc, const struct ft_key *keys,
           unsigned int passes)
{
    struct dp_dpcls *cls = dp_flow_cache_find(fc, 1);
    const struct ft_key *kp[N_KEYS];
    struct dp_megaflow *rules[BATCH];
    struct dp_dpcls_stats s0, s1;
    double best = 1e30;

    for (unsigned int i = 0; i < N_KEYS; i++) {
        kp[i] = &keys[i];
    }
    dp_flow_cache_get_stats(fc, &s0);
    for (unsigned int run = 0; run < RUNS; run++) {
        double t0 = bench_now_s();

        for (unsigned int pass = 0; pass < passes; pass++) {
            for (unsigned int i = 0; i < N_KEYS; i += BATCH) {
                if (dp_dpcls_lookup(cls, &kp[i], BATCH, rules)
                    != UINT32_MAX) {
                    die("a dpcls lookup missed");
                }
            }
        }
        double t = bench_now_s() - t0;
        if (t < best) {
            best = t;
        }
    }
    dp_flow_cache_get_stats(fc, &s1);
    return (struct result) {
        best * 1e9 / ((double) passes * N_KEYS),
        (double) (s1.subtable_lookups - s0.subtable_lookups)
        / (double) (s1.hits - s0.hits),
    };
}

static struct result
time_emc(struct dp_emc *emc, const struct ft_key *keys,
         const uint32_t *hashes, unsigned int passes)
{
    const struct ft_key *kp[N_KEYS];
    struct dp_megaflow *mfs[BATCH];
    double best = 1e30;

    for (unsigned int i = 0; i < N_KEYS; i++) {
        kp[i] = &keys[i];
    }
    for (unsigned int run = 0; run < RUNS; run++) {
        double t0 = bench_now_s();

        for (unsigned int pass = 0; pass < passes; pass++) {
            for (unsigned int i = 0; i < N_KEYS; i += BATCH) {
                if (dp_emc_lookup(emc, &kp[i], &hashes[i], BATCH, mfs)
                    != UINT32_MAX) {
                    die("an EMC lookup missed");
                }
            }
        }
        double t = bench_now_s() - t0;
        if (t < best) {
            best = t;
        }
    }
    return (struct result) { best * 1e9 / ((double) passes * N_KEYS), 0 };
}

static void
print_row(const char *name, struct result r)
{
    printf("%-38s %8.1f %8.2f", name, r.ns_per_pkt, 1e3 / r.ns_per_pkt);
    if (r.subtables_per_hit > 0) {
        printf(" %10.2f", r.subtables_per_hit);
    }
    printf("\n");
}

static struct dp_actions *
drop_actions(void)
{
    struct dp_actions *a = dp_actions_create(NULL, 0);

    if (!a) {
        die("out of memory");
    }
    return a;
}

static void
bench_dpcls(unsigned int n_subtables, unsigned int passes)
{
    struct dp_flow_cache *fc = dp_flow_cache_create(NULL, 0, NULL, NULL);
    struct ft_key *keys = malloc(N_KEYS * sizeof *keys);
    char name[64];

    struct ft_key *flows = malloc(n_subtables * FLOWS_PER_SUBTABLE
                                  * sizeof *flows);
    struct ft_key *masks = malloc(n_subtables * sizeof *masks);

    if (!fc || !keys || !flows || !masks) {
        die("out of memory");
    }
    for (unsigned int s = 0; s < n_subtables; s++) {
        struct ft_mask mask;

        subtable_mask(s, &masks[s]);
        mask.masks = masks[s];
        for (unsigned int f = 0; f < FLOWS_PER_SUBTABLE; f++) {
            struct ft_key *key = &flows[s * FLOWS_PER_SUBTABLE + f];
            struct dp_megaflow *mf;

            flow_key(s, f, key);
            if (dp_flow_cache_insert(fc, key, &mask, drop_actions(), NULL,
                                     0, &mf)) {
                die("megaflow insert failed");
            }
        }
    }
    /* Packets of random flows: the flow's examined bits, random others. */
    for (unsigned int i = 0; i < N_KEYS; i++) {
        unsigned int s = (unsigned int) (bench_rnd() % n_subtables);
        unsigned int f = (unsigned int) (bench_rnd() % FLOWS_PER_SUBTABLE);

        keys[i] = flows[s * FLOWS_PER_SUBTABLE + f];
        for (unsigned int w = 0; w < FT_KEY_U64S; w++) {
            kw(&keys[i])[w] ^= bench_rnd() & ~kw(&masks[s])[w];
        }
    }

    for (unsigned int generic = 0; generic < 2; generic++) {
        dp_flow_cache_set_lookup_impl(fc, generic ? DP_DPCLS_IMPL_GENERIC
                                                  : DP_DPCLS_IMPL_AUTO);
        snprintf(name, sizeof name, "dpcls hit, %2u subtable%s, %s",
                 n_subtables, n_subtables > 1 ? "s" : "",
                 generic ? "generic" : "specialised");
        print_row(name, time_dpcls(fc, keys, passes));
    }
    dp_flow_cache_destroy(fc);
    free(masks);
    free(flows);
    free(keys);
}

static void
bench_emc(unsigned int passes)
{
    struct dp_flow_cache *fc = dp_flow_cache_create(NULL, 0, NULL, NULL);
    struct dp_emc *emc = dp_emc_create(DP_EMC_DEFAULT_ENTRIES, 1);
    struct ft_key *flows = malloc(EMC_FLOWS * sizeof *flows);
    struct ft_key *keys = malloc(N_KEYS * sizeof *keys);
    uint32_t *hashes = malloc(N_KEYS * sizeof *hashes);
    struct ft_mask mask;
    struct dp_megaflow *mf;

    if (!fc || !emc || !flows || !keys || !hashes) {
        die("out of memory");
    }
    /* One megaflow for all (the EMC does not care); exact flows of a
     * 5-tuple shape. */
    memset(&mask, 0, sizeof mask);
    mask.masks.in_port = UINT32_MAX;
    memset(&flows[0], 0, sizeof flows[0]);
    flows[0].in_port = 1;
    if (dp_flow_cache_insert(fc, &flows[0], &mask, drop_actions(), NULL, 0,
                             &mf)) {
        die("megaflow insert failed");
    }
    for (unsigned int f = 0; f < EMC_FLOWS; f++) {
        struct ft_key *k = &flows[f];

        memset(k, 0, sizeof *k);
        k->in_port = 1;
        k->dl_type = htons(0x0800);
        k->nw_src = (uint32_t) bench_rnd();
        k->nw_dst = (uint32_t) bench_rnd();
        k->nw_proto = 17;
        k->nw_ttl = 64;
        k->tp_src = (uint16_t) bench_rnd();
        k->tp_dst = htons(4789);
        memset(&k->dl_dst, 0x02, sizeof k->dl_dst);
        k->dl_src.ea[5] = (uint8_t) f;
    }
    /* Keep only flows that got a slot of their own (two-way collisions
     * evict a few). */
    unsigned int n = 0;
    for (unsigned int f = 0; f < EMC_FLOWS; f++) {
        dp_emc_insert(emc, &flows[f], dp_key_hash_5tuple(&flows[f]), mf);
    }
    for (unsigned int f = 0; f < EMC_FLOWS; f++) {
        const struct ft_key *kp = &flows[f];
        uint32_t h = dp_key_hash_5tuple(kp);
        struct dp_megaflow *got;

        if (dp_emc_lookup(emc, &kp, &h, 1, &got)) {
            flows[n++] = flows[f];
        }
    }
    for (unsigned int i = 0; i < N_KEYS; i++) {
        keys[i] = flows[bench_rnd() % n];
        hashes[i] = dp_key_hash_5tuple(&keys[i]);
    }
    char name[64];
    snprintf(name, sizeof name, "EMC hit, %u flows cached", n);
    print_row(name, time_emc(emc, keys, hashes, passes));
    dp_emc_destroy(emc);
    dp_flow_cache_destroy(fc);
    free(hashes);
    free(keys);
    free(flows);
}

int
main(int argc, char **argv)
{
    bool quick = bench_quick(argc, argv);

    bench_seed(0x2545f4914f6cdd1dull);
    unsigned int passes = quick ? 4 : 40;

    printf("batch of %u keys, best of %u runs, %u keys per run x %u\n\n",
           BATCH, RUNS, N_KEYS, passes);
    printf("%-38s %8s %8s %10s\n", "case", "ns/pkt", "Mpps", "subt/hit");
    printf("%-38s %8s %8s %10s\n", "----", "------", "----", "--------");
    bench_emc(passes);
    bench_dpcls(1, passes);
    bench_dpcls(4, passes);
    bench_dpcls(16, passes);
    return 0;
}
