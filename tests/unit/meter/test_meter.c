/*
 * test_meter.c — unit tests of OpenFlow meters (flowtable/ft_meter.h):
 * every METER_MOD error, add/modify/delete (one id, OFPM_ALL, virtual
 * meters), features, stats, flow references, RCU-deferred frees, and the
 * token buckets on a virtual clock (burst, pktps, kbps, two bands, modify,
 * 1% rate accuracy over 10 simulated seconds, concurrent workers).
 *
 * No EAL: the meter code needs none; the QSBR variable for the deferred
 * free test lives in plain aligned memory.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <rte_rcu_qsbr.h>

#include "flowtable/ft_meter.h"

#define MS 1000000ull
#define SEC 1000000000ull
#define T0 (5 * SEC)                /* virtual clock start: not 0 */

/* ---- helpers -------------------------------------------------------------- */

static struct ft_meter_band_cfg
band(uint16_t type, uint32_t rate, uint32_t burst, uint8_t prec)
{
    struct ft_meter_band_cfg b = { .type = type, .rate = rate,
                                   .burst_size = burst, .prec_level = prec };
    return b;
}

static enum ft_meter_err
mod(struct ft_meter_table *t, uint16_t cmd, uint32_t id, uint16_t flags,
    const struct ft_meter_band_cfg *bands, uint16_t n, uint64_t now)
{
    struct ft_meter_mod mm = { .command = cmd, .flags = flags,
                               .meter_id = id, .n_bands = n, .bands = bands };
    return ft_meter_mod(t, &mm, now);
}

static enum ft_meter_err
add1(struct ft_meter_table *t, uint32_t id, uint16_t flags,
     struct ft_meter_band_cfg b, uint64_t now)
{
    return mod(t, FT_OFPMC_ADD, id, flags, &b, 1, now);
}

static const struct ft_meter_band_cfg drop1000 = {
    .type = FT_OFPMBT_DROP, .rate = 1000, .burst_size = 100,
};

struct tally {
    uint64_t pass, drop, remark[FT_METER_MAX_PREC_LEVEL + 1];
};

/* Offers 'pps' packets/s of 'len' bytes to 'm' during [start, start+dur),
 * in batches of 'batch' packets sharing a timestamp. */
static void
offer(struct ft_meter *m, uint64_t start, uint64_t dur, uint64_t pps,
      uint32_t len, unsigned int batch, struct tally *tl)
{
    uint64_t total = pps * dur / SEC;
    uint32_t lens[256];
    uint8_t v[256];

    for (unsigned int i = 0; i < batch; i++) {
        lens[i] = len;
    }
    for (uint64_t sent = 0; sent < total; sent += batch) {
        unsigned int k = (unsigned int) (total - sent < batch
                                         ? total - sent : batch);
        uint64_t now = start + sent * SEC / pps;
        ft_meter_apply(m, now, lens, k, v);
        for (unsigned int i = 0; i < k; i++) {
            if (v[i] == FT_METER_PASS) {
                tl->pass++;
            } else if (v[i] == FT_METER_DROP) {
                tl->drop++;
            } else {
                assert_true(v[i] <= FT_METER_MAX_PREC_LEVEL);
                tl->remark[v[i]]++;
            }
        }
    }
}

/* Passes among 'n' packets of 'len' bytes offered at once at 'now'. */
static unsigned int
passes_at(struct ft_meter *m, uint64_t now, unsigned int n, uint32_t len)
{
    struct tally tl = { 0 };
    uint32_t lens[1024];
    uint8_t v[1024];

    assert_true(n <= 1024);
    for (unsigned int i = 0; i < n; i++) {
        lens[i] = len;
    }
    unsigned int drops = ft_meter_apply(m, now, lens, n, v);
    for (unsigned int i = 0; i < n; i++) {
        tl.pass += v[i] == FT_METER_PASS;
        tl.drop += v[i] == FT_METER_DROP;
    }
    assert_int_equal(drops, tl.drop);
    return (unsigned int) tl.pass;
}

static void
assert_within(double got, double want, double rel)
{
    if (got < want * (1 - rel) || got > want * (1 + rel)) {
        fail_msg("got %.0f, want %.0f +- %.2f%%", got, want, rel * 100);
    }
}

/* ---- METER_MOD errors ------------------------------------------------------ */

static void
test_errors(void **state)
{
    (void) state;
    struct ft_meter_table *t = ft_meter_table_create(2, NULL);
    const uint16_t P = FT_OFPMF_PKTPS, K = FT_OFPMF_KBPS;
    struct ft_meter_band_cfg bands[FT_METER_MAX_BANDS + 1];

    assert_non_null(t);
    for (unsigned int i = 0; i < FT_METER_MAX_BANDS + 1; i++) {
        bands[i] = band(FT_OFPMBT_DROP, 100 * (i + 1), 0, 0);
    }

    /* BAD_COMMAND */
    assert_int_equal(mod(t, 3, 1, P, bands, 1, T0), FT_METER_ERR_BAD_COMMAND);
    /* INVALID_METER: 0, above OFPM_MAX, ALL for ADD/MODIFY. */
    assert_int_equal(add1(t, 0, P, drop1000, T0), FT_METER_ERR_INVALID_METER);
    assert_int_equal(add1(t, FT_OFPM_MAX + 1, P, drop1000, T0),
                     FT_METER_ERR_INVALID_METER);
    assert_int_equal(add1(t, 0xfffffffcu, P, drop1000, T0),
                     FT_METER_ERR_INVALID_METER);
    assert_int_equal(add1(t, FT_OFPM_ALL, P, drop1000, T0),
                     FT_METER_ERR_INVALID_METER);
    assert_int_equal(mod(t, FT_OFPMC_MODIFY, FT_OFPM_ALL, P, bands, 1, T0),
                     FT_METER_ERR_INVALID_METER);
    assert_int_equal(mod(t, FT_OFPMC_DELETE, 0, 0, NULL, 0, T0),
                     FT_METER_ERR_INVALID_METER);
    assert_int_equal(mod(t, FT_OFPMC_DELETE, FT_OFPM_MAX + 5, 0, NULL, 0, T0),
                     FT_METER_ERR_INVALID_METER);
    /* BAD_FLAGS: neither or both units, unknown bits. */
    assert_int_equal(add1(t, 1, 0, drop1000, T0), FT_METER_ERR_BAD_FLAGS);
    assert_int_equal(add1(t, 1, FT_OFPMF_STATS, drop1000, T0),
                     FT_METER_ERR_BAD_FLAGS);
    assert_int_equal(add1(t, 1, K | P, drop1000, T0), FT_METER_ERR_BAD_FLAGS);
    assert_int_equal(add1(t, 1, P | 0x10, drop1000, T0),
                     FT_METER_ERR_BAD_FLAGS);
    /* BAD_RATE */
    assert_int_equal(add1(t, 1, P, band(FT_OFPMBT_DROP, 0, 10, 0), T0),
                     FT_METER_ERR_BAD_RATE);
    /* BAD_BURST: zero with BURST; deeper than FT_METER_MAX_BURST_S. */
    assert_int_equal(add1(t, 1, P | FT_OFPMF_BURST,
                          band(FT_OFPMBT_DROP, 10, 0, 0), T0),
                     FT_METER_ERR_BAD_BURST);
    assert_int_equal(add1(t, 1, P | FT_OFPMF_BURST,
                          band(FT_OFPMBT_DROP, 1,
                               FT_METER_MAX_BURST_S + 1, 0), T0),
                     FT_METER_ERR_BAD_BURST);
    assert_int_equal(add1(t, 1, K | FT_OFPMF_BURST,
                          band(FT_OFPMBT_DROP, 1, UINT32_MAX, 0), T0),
                     FT_METER_ERR_BAD_BURST);
    /* ... but a zero burst without BURST is ignored. */
    assert_int_equal(add1(t, 1, P, band(FT_OFPMBT_DROP, 10, 0, 0), T0),
                     FT_METER_OK);
    /* BAD_BAND: experimenter and unknown types. */
    assert_int_equal(add1(t, 2, P, band(0xffff, 10, 0, 0), T0),
                     FT_METER_ERR_BAD_BAND);
    assert_int_equal(add1(t, 2, P, band(3, 10, 0, 0), T0),
                     FT_METER_ERR_BAD_BAND);
    assert_int_equal(add1(t, 2, P, band(0, 10, 0, 0), T0),
                     FT_METER_ERR_BAD_BAND);
    /* BAD_BAND_VALUE: prec_level 0 and above the maximum. */
    assert_int_equal(add1(t, 2, P, band(FT_OFPMBT_DSCP_REMARK, 10, 0, 0), T0),
                     FT_METER_ERR_BAD_BAND_VALUE);
    assert_int_equal(add1(t, 2, P, band(FT_OFPMBT_DSCP_REMARK, 10, 0,
                                        FT_METER_MAX_PREC_LEVEL + 1), T0),
                     FT_METER_ERR_BAD_BAND_VALUE);
    /* OUT_OF_BANDS */
    assert_int_equal(mod(t, FT_OFPMC_ADD, 2, P, bands,
                         FT_METER_MAX_BANDS + 1, T0),
                     FT_METER_ERR_OUT_OF_BANDS);
    assert_int_equal(mod(t, FT_OFPMC_ADD, 2, P, bands, FT_METER_MAX_BANDS,
                         T0), FT_METER_OK);
    /* EXISTS */
    assert_int_equal(add1(t, 2, P, drop1000, T0), FT_METER_ERR_EXISTS);
    /* OUT_OF_METERS: max 2 regular meters; virtual ones do not count. */
    assert_int_equal(add1(t, 3, P, drop1000, T0),
                     FT_METER_ERR_OUT_OF_METERS);
    assert_int_equal(add1(t, FT_OFPM_CONTROLLER, P, drop1000, T0),
                     FT_METER_OK);
    assert_int_equal(add1(t, FT_OFPM_SLOWPATH, P, drop1000, T0), FT_METER_OK);
    /* UNKNOWN_METER */
    assert_int_equal(mod(t, FT_OFPMC_MODIFY, 3, P, bands, 1, T0),
                     FT_METER_ERR_UNKNOWN_METER);
    /* A failed MODIFY changes nothing. */
    struct ft_meter_config c;
    assert_int_equal(mod(t, FT_OFPMC_MODIFY, 2, P, bands,
                         FT_METER_MAX_BANDS + 1, T0),
                     FT_METER_ERR_OUT_OF_BANDS);
    assert_int_equal(ft_meter_get_config(t, 2, &c), FT_METER_OK);
    assert_int_equal(c.n_bands, FT_METER_MAX_BANDS);

    assert_int_equal(ft_meter_err_to_ofp(FT_METER_ERR_EXISTS), 1);
    assert_int_equal(ft_meter_err_to_ofp(FT_METER_ERR_OUT_OF_BANDS), 11);
    assert_string_equal(ft_meter_err_name(FT_METER_ERR_BAD_BAND_VALUE),
                        "BAD_BAND_VALUE");
    assert_int_equal(ft_meter_count(t), 4);
    ft_meter_table_destroy(t);

    assert_null(ft_meter_table_create(FT_METER_MAX_METERS + 1, NULL));
}

/* ---- add / modify / delete ----------------------------------------------- */

static void
test_add_modify_delete(void **state)
{
    (void) state;
    struct ft_meter_table *t = ft_meter_table_create(0, NULL);
    struct ft_meter_band_cfg two[2] = {
        band(FT_OFPMBT_DSCP_REMARK, 500, 50, 1),
        band(FT_OFPMBT_DROP, 900, 90, 0),
    };
    struct ft_meter_config c;
    uint32_t ids[8];

    assert_int_equal(add1(t, 7, FT_OFPMF_PKTPS | FT_OFPMF_BURST, drop1000,
                          T0), FT_METER_OK);
    assert_int_equal(mod(t, FT_OFPMC_ADD, 3, FT_OFPMF_KBPS | FT_OFPMF_STATS,
                         two, 2, T0), FT_METER_OK);
    assert_int_equal(add1(t, FT_OFPM_MAX, FT_OFPMF_KBPS, drop1000, T0),
                     FT_METER_OK);
    /* A meter with no band only counts. */
    assert_int_equal(mod(t, FT_OFPMC_ADD, 9, FT_OFPMF_PKTPS, NULL, 0, T0),
                     FT_METER_OK);
    assert_int_equal(ft_meter_count(t), 4);
    assert_int_equal(passes_at(ft_meter_lookup(t, 9), T0, 100, 64), 100);
    assert_int_equal(ft_meter_list(t, ids, 8), 4);
    assert_int_equal(ids[0], 3);
    assert_int_equal(ids[1], 7);
    assert_int_equal(ids[2], 9);
    assert_int_equal(ids[3], FT_OFPM_MAX);
    assert_int_equal(ft_meter_list(t, ids, 2), 4);

    assert_int_equal(ft_meter_get_config(t, 3, &c), FT_METER_OK);
    assert_int_equal(c.meter_id, 3);
    assert_int_equal(c.flags, FT_OFPMF_KBPS | FT_OFPMF_STATS);
    assert_int_equal(c.n_bands, 2);
    assert_int_equal(c.bands[0].type, FT_OFPMBT_DSCP_REMARK);
    assert_int_equal(c.bands[0].rate, 500);
    assert_int_equal(c.bands[0].prec_level, 1);
    assert_int_equal(c.bands[1].type, FT_OFPMBT_DROP);
    assert_int_equal(c.bands[1].burst_size, 90);

    /* MODIFY replaces flags and bands, keeps the meter object. */
    struct ft_meter *m7 = ft_meter_lookup(t, 7);
    assert_non_null(m7);
    assert_int_equal(ft_meter_id(m7), 7);
    assert_int_equal(mod(t, FT_OFPMC_MODIFY, 7, FT_OFPMF_KBPS, two, 2, T0),
                     FT_METER_OK);
    assert_ptr_equal(ft_meter_lookup(t, 7), m7);
    assert_int_equal(ft_meter_get_config(t, 7, &c), FT_METER_OK);
    assert_int_equal(c.flags, FT_OFPMF_KBPS);
    assert_int_equal(c.n_bands, 2);

    /* DELETE one; a missing one is not an error; ids can be re-added. */
    assert_int_equal(mod(t, FT_OFPMC_DELETE, 7, 0, NULL, 0, T0), FT_METER_OK);
    assert_null(ft_meter_lookup(t, 7));
    assert_int_equal(ft_meter_get_config(t, 7, &c),
                     FT_METER_ERR_UNKNOWN_METER);
    assert_int_equal(mod(t, FT_OFPMC_DELETE, 7, 0, NULL, 0, T0), FT_METER_OK);
    assert_int_equal(add1(t, 7, FT_OFPMF_PKTPS, drop1000, T0), FT_METER_OK);

    /* Virtual meters: added, applied, not referenced by flows. */
    assert_int_equal(add1(t, FT_OFPM_CONTROLLER, FT_OFPMF_PKTPS, drop1000,
                          T0), FT_METER_OK);
    assert_non_null(ft_meter_lookup(t, FT_OFPM_CONTROLLER));
    assert_null(ft_meter_ref(t, FT_OFPM_CONTROLLER));
    assert_int_equal(mod(t, FT_OFPMC_MODIFY, FT_OFPM_CONTROLLER,
                         FT_OFPMF_PKTPS, two, 2, T0), FT_METER_OK);

    /* DELETE OFPM_ALL removes every meter, virtual ones too. */
    assert_int_equal(ft_meter_count(t), 5);
    assert_int_equal(mod(t, FT_OFPMC_DELETE, FT_OFPM_ALL, 0, NULL, 0, T0),
                     FT_METER_OK);
    assert_int_equal(ft_meter_count(t), 0);
    assert_int_equal(ft_meter_list(t, ids, 8), 0);
    assert_null(ft_meter_lookup(t, 3));
    assert_int_equal(add1(t, 3, FT_OFPMF_PKTPS, drop1000, T0), FT_METER_OK);
    ft_meter_table_destroy(t);
}

static void
test_features(void **state)
{
    (void) state;
    struct ft_meter_table *t = ft_meter_table_create(0, NULL);
    struct ft_meter_features f;

    ft_meter_get_features(t, &f);
    assert_int_equal(f.max_meter, FT_METER_MAX_METERS);
    assert_int_equal(f.band_types, (1u << FT_OFPMBT_DROP)
                                   | (1u << FT_OFPMBT_DSCP_REMARK));
    assert_int_equal(f.capabilities, FT_OFPMF_KBPS | FT_OFPMF_PKTPS
                                     | FT_OFPMF_BURST | FT_OFPMF_STATS);
    assert_int_equal(f.max_bands, FT_METER_MAX_BANDS);
    assert_int_equal(f.max_color, FT_METER_MAX_PREC_LEVEL);
    ft_meter_table_destroy(t);

    t = ft_meter_table_create(100, NULL);
    ft_meter_get_features(t, &f);
    assert_int_equal(f.max_meter, 100);
    ft_meter_table_destroy(t);
}

/* ---- stats and references ------------------------------------------------- */

static void
test_stats(void **state)
{
    (void) state;
    struct ft_meter_table *t = ft_meter_table_create(0, NULL);
    struct ft_meter_band_cfg two[2] = {
        band(FT_OFPMBT_DROP, 20, 20, 0),
        band(FT_OFPMBT_DSCP_REMARK, 10, 10, 2),
    };
    struct ft_meter_stats s;
    uint32_t lens[40];
    uint8_t v[40];

    assert_int_equal(mod(t, FT_OFPMC_ADD, 1, FT_OFPMF_PKTPS | FT_OFPMF_BURST
                         | FT_OFPMF_STATS, two, 2, T0), FT_METER_OK);
    assert_int_equal(mod(t, FT_OFPMC_ADD, 2, FT_OFPMF_PKTPS | FT_OFPMF_BURST,
                         two, 2, T0), FT_METER_OK);
    for (unsigned int i = 0; i < 40; i++) {
        lens[i] = 100 + i;
    }
    /* 40 at once: 10 pass, 10 remarked (exceed the 10-deep band only), 20
     * dropped (exceed both: the 20-pps drop band is the higher). */
    struct ft_meter *m1 = ft_meter_lookup(t, 1);
    assert_int_equal(ft_meter_apply(m1, T0 + 1500 * MS, lens, 40, v), 20);
    for (unsigned int i = 0; i < 40; i++) {
        assert_int_equal(v[i], i < 10 ? FT_METER_PASS
                               : i < 20 ? 2 : FT_METER_DROP);
    }
    ft_meter_apply(ft_meter_lookup(t, 2), T0, lens, 40, v);

    assert_int_equal(ft_meter_get_stats(t, 1, T0 + 1500 * MS, &s),
                     FT_METER_OK);
    assert_int_equal(s.meter_id, 1);
    assert_int_equal(s.flow_count, 0);
    assert_int_equal(s.packet_in_count, 40);
    assert_int_equal(s.byte_in_count, 40 * 100 + 39 * 40 / 2);
    assert_int_equal(s.duration_sec, 1);
    assert_int_equal(s.duration_nsec, 500 * MS);
    assert_int_equal(s.n_bands, 2);
    /* Bands in configured order: [0] drop, [1] remark. */
    assert_int_equal(s.bands[0].packet_band_count, 20);
    assert_int_equal(s.bands[0].byte_band_count,
                     20 * 100 + (20 + 39) * 20 / 2);
    assert_int_equal(s.bands[1].packet_band_count, 10);
    assert_int_equal(s.bands[1].byte_band_count,
                     10 * 100 + (10 + 19) * 10 / 2);

    /* Without OFPMF_STATS nothing is counted but the flows and age. */
    assert_int_equal(ft_meter_get_stats(t, 2, T0 + 2 * SEC, &s),
                     FT_METER_OK);
    assert_int_equal(s.packet_in_count, 0);
    assert_int_equal(s.bands[0].packet_band_count, 0);
    assert_int_equal(s.duration_sec, 2);
    /* Clock behind creation: duration 0, not a wrap. */
    assert_int_equal(ft_meter_get_stats(t, 2, T0 - SEC, &s), FT_METER_OK);
    assert_int_equal(s.duration_sec, 0);

    assert_int_equal(ft_meter_get_stats(t, 3, T0, &s),
                     FT_METER_ERR_UNKNOWN_METER);
    ft_meter_table_destroy(t);
}

static void
test_flow_refs(void **state)
{
    (void) state;
    struct ft_meter_table *t = ft_meter_table_create(0, NULL);
    struct ft_meter_stats s;
    uint32_t len = 64;
    uint8_t v;

    assert_int_equal(add1(t, 5, FT_OFPMF_PKTPS | FT_OFPMF_STATS, drop1000,
                          T0), FT_METER_OK);
    assert_null(ft_meter_ref(t, 6));
    assert_null(ft_meter_ref(t, 0));
    struct ft_meter *a = ft_meter_ref(t, 5);
    struct ft_meter *b = ft_meter_ref(t, 5);
    assert_non_null(a);
    assert_ptr_equal(a, b);
    assert_int_equal(ft_meter_flow_count(a), 2);
    assert_int_equal(ft_meter_get_stats(t, 5, T0, &s), FT_METER_OK);
    assert_int_equal(s.flow_count, 2);
    ft_meter_unref(t, b);
    assert_int_equal(ft_meter_flow_count(a), 1);

    /* Deleted while referenced: unlinked, still usable by its flow until
     * the last unref (ASan would flag a premature free). */
    assert_int_equal(mod(t, FT_OFPMC_DELETE, 5, 0, NULL, 0, T0), FT_METER_OK);
    assert_null(ft_meter_lookup(t, 5));
    assert_int_equal(ft_meter_apply(a, T0, &len, 1, &v), 0);
    assert_int_equal(v, FT_METER_PASS);
    /* The id is free again, for a different meter. */
    assert_int_equal(add1(t, 5, FT_OFPMF_KBPS, drop1000, T0), FT_METER_OK);
    assert_ptr_not_equal(ft_meter_lookup(t, 5), a);
    ft_meter_unref(t, a);

    /* A zombie left at destroy is freed too (no leak under ASan). */
    struct ft_meter *c = ft_meter_ref(t, 5);
    assert_non_null(c);
    assert_int_equal(mod(t, FT_OFPMC_DELETE, FT_OFPM_ALL, 0, NULL, 0, T0),
                     FT_METER_OK);
    ft_meter_table_destroy(t);
}

/* ---- RCU ----------------------------------------------------------------- */

static void
test_rcu_deferred_free(void **state)
{
    (void) state;
    size_t sz = rte_rcu_qsbr_get_memsize(1);
    struct rte_rcu_qsbr *q = aligned_alloc(RTE_CACHE_LINE_SIZE,
                                           (sz + RTE_CACHE_LINE_SIZE - 1)
                                           & ~(size_t) (RTE_CACHE_LINE_SIZE
                                                        - 1));
    assert_non_null(q);
    assert_int_equal(rte_rcu_qsbr_init(q, 1), 0);
    assert_int_equal(rte_rcu_qsbr_thread_register(q, 0), 0);
    rte_rcu_qsbr_thread_online(q, 0);

    struct ft_meter_table *t = ft_meter_table_create(0, q);
    uint32_t len = 64;
    uint8_t v;

    assert_int_equal(add1(t, 1, FT_OFPMF_PKTPS, drop1000, T0), FT_METER_OK);
    struct ft_meter *m = ft_meter_lookup(t, 1);
    ft_meter_apply(m, T0, &len, 1, &v);            /* reader "holds" m */
    assert_int_equal(mod(t, FT_OFPMC_MODIFY, 1, FT_OFPMF_KBPS, &drop1000, 1,
                         T0), FT_METER_OK);
    assert_int_equal(ft_meter_reclaim(t), 1);       /* old config waits */
    assert_int_equal(mod(t, FT_OFPMC_DELETE, 1, 0, NULL, 0, T0), FT_METER_OK);
    assert_int_equal(ft_meter_reclaim(t), 3);       /* + meter, its config */
    ft_meter_apply(m, T0, &len, 1, &v);             /* still valid memory */

    rte_rcu_qsbr_quiescent(q, 0);
    assert_int_equal(ft_meter_reclaim(t), 0);

    /* Destroy frees what still waits. */
    assert_int_equal(add1(t, 1, FT_OFPMF_PKTPS, drop1000, T0), FT_METER_OK);
    assert_int_equal(mod(t, FT_OFPMC_DELETE, 1, 0, NULL, 0, T0), FT_METER_OK);
    assert_int_equal(ft_meter_reclaim(t), 2);
    ft_meter_table_destroy(t);

    rte_rcu_qsbr_thread_offline(q, 0);
    free(q);
}

/* ---- token buckets -------------------------------------------------------- */

static void
test_pktps_burst(void **state)
{
    (void) state;
    struct ft_meter_table *t = ft_meter_table_create(0, NULL);

    assert_int_equal(add1(t, 1, FT_OFPMF_PKTPS | FT_OFPMF_BURST, drop1000,
                          T0), FT_METER_OK);
    struct ft_meter *m = ft_meter_lookup(t, 1);

    /* 1000 pps, burst 100: a full bucket passes 100 of 300. */
    assert_int_equal(passes_at(m, T0, 300, 64), 100);
    /* Then one per millisecond. */
    for (unsigned int i = 1; i <= 50; i++) {
        assert_int_equal(passes_at(m, T0 + i * MS, 5, 64), 1);
    }
    /* 0.5 ms later: nothing; 10 ms of silence refills 10. */
    assert_int_equal(passes_at(m, T0 + 50 * MS + MS / 2, 5, 64), 0);
    assert_int_equal(passes_at(m, T0 + 60 * MS, 50, 64), 10);
    /* A long silence refills to the burst, never beyond. */
    assert_int_equal(passes_at(m, T0 + 100 * SEC, 300, 64), 100);
    /* More than 64 in one call (several bitmap chunks). */
    assert_int_equal(passes_at(m, T0 + 200 * SEC, 1000, 64), 100);
    /* A clock step backwards does not refill. */
    assert_int_equal(passes_at(m, T0 + 150 * SEC, 10, 64), 0);
    ft_meter_table_destroy(t);
}

static void
test_kbps(void **state)
{
    (void) state;
    struct ft_meter_table *t = ft_meter_table_create(0, NULL);

    /* 1000 kbps = 125000 B/s; burst 100 kbit = 12500 B. */
    assert_int_equal(add1(t, 1, FT_OFPMF_KBPS | FT_OFPMF_BURST, drop1000,
                          T0), FT_METER_OK);
    struct ft_meter *m = ft_meter_lookup(t, 1);

    assert_int_equal(passes_at(m, T0, 20, 1250), 10);
    /* 1250 B take 10 ms at 125000 B/s. */
    assert_int_equal(passes_at(m, T0 + 9 * MS, 3, 1250), 0);
    assert_int_equal(passes_at(m, T0 + 10 * MS, 3, 1250), 1);
    /* Bytes, not packets: 20 ms pays for 2500 B = 25 x 100 B. */
    assert_int_equal(passes_at(m, T0 + 30 * MS, 40, 100), 25);
    /* Frames larger than the bucket never pass. */
    assert_int_equal(passes_at(m, T0 + 100 * SEC, 1, 13000), 0);
    assert_int_equal(passes_at(m, T0 + 100 * SEC, 1, 12500), 1);
    ft_meter_table_destroy(t);
}

static void
test_default_burst(void **state)
{
    (void) state;
    struct ft_meter_table *t = ft_meter_table_create(0, NULL);

    /* pktps: 10 ms of the rate. */
    assert_int_equal(add1(t, 1, FT_OFPMF_PKTPS, band(FT_OFPMBT_DROP, 5000,
                                                     7, 0), T0), FT_METER_OK);
    assert_int_equal(passes_at(ft_meter_lookup(t, 1), T0, 100, 64), 50);
    /* ... at least one rx burst. */
    assert_int_equal(add1(t, 2, FT_OFPMF_PKTPS, band(FT_OFPMBT_DROP, 10,
                                                     7, 0), T0), FT_METER_OK);
    assert_int_equal(passes_at(ft_meter_lookup(t, 2), T0, 100, 64),
                     FT_METER_MIN_BURST_PKTS);
    /* kbps: 10 ms of 80000 kbps = 100000 B. */
    assert_int_equal(add1(t, 3, FT_OFPMF_KBPS, band(FT_OFPMBT_DROP, 80000,
                                                    7, 0), T0), FT_METER_OK);
    assert_int_equal(passes_at(ft_meter_lookup(t, 3), T0, 200, 1000), 100);
    /* ... at least one rx burst of full-size frames. */
    assert_int_equal(add1(t, 4, FT_OFPMF_KBPS, band(FT_OFPMBT_DROP, 8,
                                                    7, 0), T0), FT_METER_OK);
    assert_int_equal(passes_at(ft_meter_lookup(t, 4), T0, 100,
                               FT_METER_FRAME_BYTES),
                     FT_METER_MIN_BURST_PKTS);
    ft_meter_table_destroy(t);
}

static void
test_two_bands(void **state)
{
    (void) state;
    struct ft_meter_table *t = ft_meter_table_create(0, NULL);
    /* Listed drop first: the order given must not matter. */
    struct ft_meter_band_cfg two[2] = {
        band(FT_OFPMBT_DROP, 2000, 20, 0),
        band(FT_OFPMBT_DSCP_REMARK, 1000, 10, 1),
    };
    struct tally tl = { 0 };

    assert_int_equal(mod(t, FT_OFPMC_ADD, 1, FT_OFPMF_PKTPS | FT_OFPMF_BURST,
                         two, 2, T0), FT_METER_OK);
    struct ft_meter *m = ft_meter_lookup(t, 1);

    /* Below both rates: everything passes unmarked. */
    offer(m, T0, 2 * SEC, 800, 100, 8, &tl);
    assert_int_equal(tl.pass, 1600);
    assert_int_equal(tl.drop + tl.remark[1], 0);

    /* Between the rates (1500 pps): ~1000/s pass, ~500/s remarked. */
    memset(&tl, 0, sizeof tl);
    offer(m, T0 + 10 * SEC, 10 * SEC, 1500, 100, 8, &tl);
    assert_int_equal(tl.drop, 0);
    assert_within(tl.pass, 10000, 0.01);
    assert_within(tl.remark[1], 5000, 0.02);

    /* Above both (4000 pps): ~2000/s dropped; of the 2000/s left, at most
     * ~1000/s pass unmarked and the rest are remarked. */
    memset(&tl, 0, sizeof tl);
    offer(m, T0 + 30 * SEC, 10 * SEC, 4000, 100, 16, &tl);
    assert_within(tl.drop, 20000, 0.01);
    assert_within(tl.pass + tl.remark[1], 20000, 0.01);
    assert_true(tl.pass <= 10000 + 10);
    assert_true(tl.remark[1] >= 10000 - 10);
    assert_int_equal(tl.remark[2], 0);
    ft_meter_table_destroy(t);
}

static void
test_modify_resets_buckets(void **state)
{
    (void) state;
    struct ft_meter_table *t = ft_meter_table_create(0, NULL);
    struct ft_meter_stats s;
    const uint16_t F = FT_OFPMF_PKTPS | FT_OFPMF_BURST | FT_OFPMF_STATS;

    assert_int_equal(add1(t, 1, F, drop1000, T0), FT_METER_OK);
    struct ft_meter *m = ft_meter_lookup(t, 1);
    assert_int_equal(passes_at(m, T0, 150, 64), 100);
    assert_int_equal(passes_at(m, T0 + MS, 10, 64), 1);

    /* MODIFY at T0+2s: the new band starts full at its new burst; meter
     * counters and duration stay, band counters restart. */
    assert_int_equal(add1(t, 1, F, drop1000, T0), FT_METER_ERR_EXISTS);
    struct ft_meter_band_cfg b = band(FT_OFPMBT_DROP, 1000, 40, 0);
    assert_int_equal(mod(t, FT_OFPMC_MODIFY, 1, F, &b, 1, T0 + 2 * SEC),
                     FT_METER_OK);
    assert_int_equal(ft_meter_get_stats(t, 1, T0 + 2 * SEC, &s), FT_METER_OK);
    assert_int_equal(s.packet_in_count, 160);
    assert_int_equal(s.bands[0].packet_band_count, 0);
    assert_int_equal(s.duration_sec, 2);
    assert_int_equal(passes_at(m, T0 + 2 * SEC, 100, 64), 40);
    assert_int_equal(passes_at(m, T0 + 2 * SEC + MS, 10, 64), 1);
    assert_int_equal(ft_meter_get_stats(t, 1, T0 + 3 * SEC, &s), FT_METER_OK);
    assert_int_equal(s.packet_in_count, 270);
    assert_int_equal(s.bands[0].packet_band_count, 69);

    /* Unit change pktps -> kbps takes effect on the next packet. */
    b = band(FT_OFPMBT_DROP, 8, 1, 0);  /* 1 kbit = 125 B burst */
    assert_int_equal(mod(t, FT_OFPMC_MODIFY, 1, FT_OFPMF_KBPS | FT_OFPMF_BURST,
                         &b, 1, T0 + 4 * SEC), FT_METER_OK);
    assert_int_equal(passes_at(m, T0 + 4 * SEC, 3, 100), 1);
    ft_meter_table_destroy(t);
}

/* Steady-state rate at 1.5x the offered load, default bursts, several
 * rates, units, frame sizes and batch sizes: within 1% over 10 s. */
static void
test_rate_accuracy(void **state)
{
    (void) state;
    static const struct {
        uint16_t unit;
        uint32_t rate;              /* pktps or kbps */
        uint32_t len;
        unsigned int batch;
    } cases[] = {
        { FT_OFPMF_PKTPS, 1000, 64, 1 },
        { FT_OFPMF_PKTPS, 12345, 64, 32 },
        { FT_OFPMF_PKTPS, 1000000, 64, 32 },
        { FT_OFPMF_KBPS, 1000, 1500, 1 },
        { FT_OFPMF_KBPS, 77777, 700, 32 },
        { FT_OFPMF_KBPS, 1000000, 1500, 32 },   /* 1 Gbit/s */
        { FT_OFPMF_KBPS, 10000000, 9000, 32 },  /* 10 Gbit/s, jumbo */
    };

    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct ft_meter_table *t = ft_meter_table_create(0, NULL);
        struct tally tl = { 0 };
        uint64_t pps;
        double want;

        assert_int_equal(add1(t, 1, cases[i].unit,
                              band(FT_OFPMBT_DROP, cases[i].rate, 0, 0), T0),
                         FT_METER_OK);
        if (cases[i].unit == FT_OFPMF_PKTPS) {
            pps = 3 * (uint64_t) cases[i].rate / 2;
            want = cases[i].rate * 10.0;
        } else {
            pps = 3 * (uint64_t) cases[i].rate * 125 / 2 / cases[i].len;
            want = cases[i].rate * 125.0 * 10 / cases[i].len;
        }
        /* 2 s drain the initial burst; the next 10 s are measured. */
        offer(ft_meter_lookup(t, 1), T0, 2 * SEC, pps, cases[i].len,
              cases[i].batch, &tl);
        memset(&tl, 0, sizeof tl);
        offer(ft_meter_lookup(t, 1), T0 + 2 * SEC, 10 * SEC, pps,
              cases[i].len, cases[i].batch, &tl);
        print_message("%s rate %u, %u B, batch %u: %.4f%% off\n",
                      cases[i].unit == FT_OFPMF_PKTPS ? "pktps" : "kbps",
                      cases[i].rate, cases[i].len, cases[i].batch,
                      ((double) tl.pass - want) * 100 / want);
        assert_within((double) tl.pass, want, 0.01);
        assert_int_equal(tl.pass + tl.drop, pps * 10);
        ft_meter_table_destroy(t);
    }
}

/* ---- concurrency ---------------------------------------------------------- */

#define N_WORKERS 4
#define PER_WORKER 20000

struct worker {
    struct ft_meter *m;
    uint64_t passed;
};

static void *
worker_main(void *arg)
{
    struct worker *w = arg;
    uint32_t lens[32];
    uint8_t v[32];

    for (unsigned int i = 0; i < 32; i++) {
        lens[i] = 64;
    }
    /* Every worker meters at the same instant: exactly the burst passes,
     * whatever the interleaving of the bucket CASes. */
    for (unsigned int sent = 0; sent < PER_WORKER; sent += 32) {
        ft_meter_apply(w->m, T0 + SEC, lens, 32, v);
        for (unsigned int i = 0; i < 32; i++) {
            w->passed += v[i] == FT_METER_PASS;
        }
    }
    return NULL;
}

static void
test_concurrent_workers(void **state)
{
    (void) state;
    struct ft_meter_table *t = ft_meter_table_create(0, NULL);
    struct worker w[N_WORKERS];
    pthread_t th[N_WORKERS];
    struct ft_meter_stats s;
    uint64_t passed = 0;

    assert_int_equal(add1(t, 1, FT_OFPMF_PKTPS | FT_OFPMF_BURST
                          | FT_OFPMF_STATS,
                          band(FT_OFPMBT_DROP, 1000, 5000, 0), T0),
                     FT_METER_OK);
    for (int i = 0; i < N_WORKERS; i++) {
        w[i].m = ft_meter_lookup(t, 1);
        w[i].passed = 0;
        assert_int_equal(pthread_create(&th[i], NULL, worker_main, &w[i]), 0);
    }
    for (int i = 0; i < N_WORKERS; i++) {
        pthread_join(th[i], NULL);
        passed += w[i].passed;
    }
    assert_int_equal(passed, 5000);
    assert_int_equal(ft_meter_get_stats(t, 1, T0 + SEC, &s), FT_METER_OK);
    assert_int_equal(s.packet_in_count, N_WORKERS * PER_WORKER);
    assert_int_equal(s.bands[0].packet_band_count,
                     N_WORKERS * PER_WORKER - 5000);
    ft_meter_table_destroy(t);
}

static void
test_dscp_remark(void **state)
{
    (void) state;
    /* AF11 (10) +1 -> AF12 (12); +2 -> AF13 (14); AF13 stays. */
    assert_int_equal(ft_meter_dscp_remark(10, 1), 12);
    assert_int_equal(ft_meter_dscp_remark(10, 2), 14);
    assert_int_equal(ft_meter_dscp_remark(14, 1), 14);
    assert_int_equal(ft_meter_dscp_remark(34, 1), 36);  /* AF41 -> AF42 */
    assert_int_equal(ft_meter_dscp_remark(38, 2), 38);  /* AF43 */
    /* Not AF: BE, EF, CS1, CS5, class 5+. */
    assert_int_equal(ft_meter_dscp_remark(0, 1), 0);
    assert_int_equal(ft_meter_dscp_remark(46, 1), 46);
    assert_int_equal(ft_meter_dscp_remark(8, 1), 8);
    assert_int_equal(ft_meter_dscp_remark(40, 1), 40);
    assert_int_equal(ft_meter_dscp_remark(42, 1), 42);
    assert_int_equal(ft_meter_dscp_remark(11, 1), 11);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_errors),
        cmocka_unit_test(test_add_modify_delete),
        cmocka_unit_test(test_features),
        cmocka_unit_test(test_stats),
        cmocka_unit_test(test_flow_refs),
        cmocka_unit_test(test_rcu_deferred_free),
        cmocka_unit_test(test_pktps_burst),
        cmocka_unit_test(test_kbps),
        cmocka_unit_test(test_default_burst),
        cmocka_unit_test(test_two_bands),
        cmocka_unit_test(test_modify_resets_buckets),
        cmocka_unit_test(test_rate_accuracy),
        cmocka_unit_test(test_concurrent_workers),
        cmocka_unit_test(test_dscp_remark),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
