/*
 * ft_meter.c — OpenFlow 1.3 meter table and GCRA token buckets. The
 * semantics, the thread rules and the choice of shared atomic buckets are in
 * ft_meter.h.
 */
#include "ft_meter.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <rte_rcu_qsbr.h>

#include "lib/util.h"

/* Time is counted in ticks of 1/64 ns: fine enough that a cost rounds with
 * < 1% error up to ~3e8 packets/s, coarse enough that 64 bits last 9
 * years. */
#define TICKS_PER_NS 64u
#define TICKS_PER_S (TICKS_PER_NS * UINT64_C(1000000000))
#define COST_SHIFT 16               /* fixed-point bits of unit costs */
#define BATCH 64                    /* packets per bitmap / bucket commit */
#define MAX_BURST_TICKS ((uint64_t) FT_METER_MAX_BURST_S * TICKS_PER_S)
#define MIN_BUCKETS 16

/* Something freed after a grace period: a configuration or a meter. */
struct gc_node {
    struct gc_node *next;
    uint64_t token;                 /* rte_rcu_qsbr_start() at retirement */
    void *obj;
};

struct band {
    _Atomic uint64_t tat;           /* ticks since cfg->epoch_ns */
    _Atomic uint64_t packets;       /* packets this band was applied to */
    _Atomic uint64_t bytes;
    uint64_t unit_cost;             /* ticks << COST_SHIFT per packet/byte */
    uint64_t depth;                 /* bucket depth, ticks */
    struct ft_meter_band_cfg cfg;   /* as given */
};

struct meter_cfg {
    struct gc_node gc;
    uint64_t epoch_ns;              /* ADD/MODIFY time: TAT origin */
    uint16_t flags;
    uint16_t n_bands;
    uint8_t order[FT_METER_MAX_BANDS]; /* band indexes, rate descending */
    struct band bands[];
};

struct ft_meter {
    _Atomic(struct meter_cfg *) cfg;
    _Atomic uint64_t packets_in;
    _Atomic uint64_t bytes_in;
    /* Main thread only below. */
    uint32_t id;
    uint32_t flow_count;
    uint64_t created_ns;
    bool dead;                      /* deleted: unlinked from the index */
    struct ft_meter *next;          /* hash chain, or the zombie list */
    struct gc_node gc;
};

struct ft_meter_table {
    struct ft_meter **buckets;
    uint32_t mask;
    uint32_t max_meters;
    uint32_t n_regular;
    uint32_t n_virtual;
    struct ft_meter *zombies;       /* deleted, still referenced by flows */
    struct gc_node *pending;        /* waiting for a grace period */
    unsigned int n_pending;
    struct rte_rcu_qsbr *qsbr;
};

static const char *const err_names[] = {
    [FT_METER_OK] = "OK",
    [FT_METER_ERR_UNKNOWN] = "UNKNOWN",
    [FT_METER_ERR_EXISTS] = "METER_EXISTS",
    [FT_METER_ERR_INVALID_METER] = "INVALID_METER",
    [FT_METER_ERR_UNKNOWN_METER] = "UNKNOWN_METER",
    [FT_METER_ERR_BAD_COMMAND] = "BAD_COMMAND",
    [FT_METER_ERR_BAD_FLAGS] = "BAD_FLAGS",
    [FT_METER_ERR_BAD_RATE] = "BAD_RATE",
    [FT_METER_ERR_BAD_BURST] = "BAD_BURST",
    [FT_METER_ERR_BAD_BAND] = "BAD_BAND",
    [FT_METER_ERR_BAD_BAND_VALUE] = "BAD_BAND_VALUE",
    [FT_METER_ERR_OUT_OF_METERS] = "OUT_OF_METERS",
    [FT_METER_ERR_OUT_OF_BANDS] = "OUT_OF_BANDS",
};

const char *
ft_meter_err_name(enum ft_meter_err err)
{
    return (unsigned int) err < ARRAY_SIZE(err_names) ? err_names[err]
                                                      : "?";
}

static bool
is_virtual(uint32_t id)
{
    return id == FT_OFPM_SLOWPATH || id == FT_OFPM_CONTROLLER;
}

static uint32_t
hash_id(const struct ft_meter_table *t, uint32_t id)
{
    return (id * 0x9e3779b1u) >> 7 & t->mask;
}

/* ---- deferred frees ------------------------------------------------------ */

static void
retire(struct ft_meter_table *t, struct gc_node *gc, void *obj)
{
    if (!t->qsbr) {
        free(obj);
        return;
    }
    gc->obj = obj;
    gc->token = rte_rcu_qsbr_start(t->qsbr);
    gc->next = t->pending;
    t->pending = gc;
    t->n_pending++;
}

static void
retire_meter(struct ft_meter_table *t, struct ft_meter *m)
{
    struct meter_cfg *cfg = atomic_load_explicit(&m->cfg,
                                                 memory_order_relaxed);
    retire(t, &cfg->gc, cfg);
    retire(t, &m->gc, m);
}

unsigned int
ft_meter_reclaim(struct ft_meter_table *t)
{
    struct gc_node **p = &t->pending;

    if (!t->qsbr) {
        return 0;
    }
    while (*p) {
        struct gc_node *gc = *p;
        if (rte_rcu_qsbr_check(t->qsbr, gc->token, false) == 1) {
            *p = gc->next;
            t->n_pending--;
            free(gc->obj);
        } else {
            p = &gc->next;
        }
    }
    return t->n_pending;
}

/* ---- lifecycle ----------------------------------------------------------- */

struct ft_meter_table *
ft_meter_table_create(uint32_t max_meters, struct rte_rcu_qsbr *qsbr)
{
    struct ft_meter_table *t;
    uint32_t n = MIN_BUCKETS;

    if (!max_meters) {
        max_meters = FT_METER_MAX_METERS;
    }
    if (max_meters > FT_METER_MAX_METERS) {
        errno = EINVAL;
        return NULL;
    }
    while (n < max_meters / 4) {
        n *= 2;
    }
    t = calloc(1, sizeof *t);
    if (!t) {
        return NULL;
    }
    t->buckets = calloc(n, sizeof *t->buckets);
    if (!t->buckets) {
        free(t);
        return NULL;
    }
    t->mask = n - 1;
    t->max_meters = max_meters;
    t->qsbr = qsbr;
    return t;
}

static void
free_meter_now(struct ft_meter *m)
{
    free(atomic_load_explicit(&m->cfg, memory_order_relaxed));
    free(m);
}

void
ft_meter_table_destroy(struct ft_meter_table *t)
{
    if (!t) {
        return;
    }
    for (uint32_t i = 0; i <= t->mask; i++) {
        for (struct ft_meter *m = t->buckets[i], *next; m; m = next) {
            next = m->next;
            free_meter_now(m);
        }
    }
    for (struct ft_meter *m = t->zombies, *next; m; m = next) {
        next = m->next;
        free_meter_now(m);
    }
    for (struct gc_node *gc = t->pending, *next; gc; gc = next) {
        next = gc->next;
        free(gc->obj);
    }
    free(t->buckets);
    free(t);
}

/* ---- configuration ------------------------------------------------------- */

/* Fixed-point ticks per unit: one packet (pktps) or one byte (kbps). */
static uint64_t
unit_cost(uint16_t flags, uint32_t rate)
{
    if (flags & FT_OFPMF_PKTPS) {
        return ((TICKS_PER_S << COST_SHIFT) + rate / 2) / rate;
    }
    /* 8 bits per byte, rate in 1000 bit/s. */
    return ((TICKS_PER_S * 8 / 1000 << COST_SHIFT) + rate / 2) / rate;
}

static enum ft_meter_err
check_bands(const struct ft_meter_mod *mm)
{
    if (mm->n_bands > FT_METER_MAX_BANDS) {
        return FT_METER_ERR_OUT_OF_BANDS;
    }
    if (mm->n_bands && !mm->bands) {
        return FT_METER_ERR_BAD_BAND;
    }
    for (uint16_t i = 0; i < mm->n_bands; i++) {
        const struct ft_meter_band_cfg *b = &mm->bands[i];
        if (b->type != FT_OFPMBT_DROP && b->type != FT_OFPMBT_DSCP_REMARK) {
            return FT_METER_ERR_BAD_BAND;
        }
        if (!b->rate) {
            return FT_METER_ERR_BAD_RATE;
        }
        if (mm->flags & FT_OFPMF_BURST) {
            uint64_t units = mm->flags & FT_OFPMF_KBPS
                             ? (uint64_t) b->burst_size * 125 : b->burst_size;
            uint64_t cost = unit_cost(mm->flags, b->rate);
            if (!units || units > (MAX_BURST_TICKS << COST_SHIFT) / cost) {
                return FT_METER_ERR_BAD_BURST;
            }
        }
        if (b->type == FT_OFPMBT_DSCP_REMARK
            && (b->prec_level < 1
                || b->prec_level > FT_METER_MAX_PREC_LEVEL)) {
            return FT_METER_ERR_BAD_BAND_VALUE;
        }
    }
    return FT_METER_OK;
}

/* A configuration from a checked METER_MOD; NULL on ENOMEM. */
static struct meter_cfg *
cfg_create(const struct ft_meter_mod *mm, uint64_t now_ns)
{
    struct meter_cfg *cfg = calloc(1, sizeof *cfg
                                   + mm->n_bands * sizeof cfg->bands[0]);
    if (!cfg) {
        return NULL;
    }
    cfg->epoch_ns = now_ns;
    cfg->flags = mm->flags;
    cfg->n_bands = mm->n_bands;
    for (uint16_t i = 0; i < mm->n_bands; i++) {
        struct band *b = &cfg->bands[i];
        uint64_t units;

        b->cfg = mm->bands[i];
        if (b->cfg.type != FT_OFPMBT_DSCP_REMARK) {
            b->cfg.prec_level = 0;
        }
        b->unit_cost = unit_cost(mm->flags, b->cfg.rate);
        if (mm->flags & FT_OFPMF_BURST) {
            units = mm->flags & FT_OFPMF_KBPS
                    ? (uint64_t) b->cfg.burst_size * 125 : b->cfg.burst_size;
        } else if (mm->flags & FT_OFPMF_PKTPS) {
            units = MAX((uint64_t) b->cfg.rate * FT_METER_DEFAULT_BURST_MS
                        / 1000, FT_METER_MIN_BURST_PKTS);
        } else {
            /* rate kbit/s over the window, in bytes: rate * ms / 8. */
            units = MAX((uint64_t) b->cfg.rate * FT_METER_DEFAULT_BURST_MS
                        / 8, (uint64_t) FT_METER_MIN_BURST_PKTS
                             * FT_METER_FRAME_BYTES);
        }
        b->depth = units * b->unit_cost >> COST_SHIFT;
        atomic_init(&b->tat, 0);
        atomic_init(&b->packets, 0);
        atomic_init(&b->bytes, 0);

        /* Insertion sort by rate, descending; stable for ties. */
        uint16_t j = i;
        while (j > 0 && cfg->bands[cfg->order[j - 1]].cfg.rate < b->cfg.rate) {
            cfg->order[j] = cfg->order[j - 1];
            j--;
        }
        cfg->order[j] = (uint8_t) i;
    }
    return cfg;
}

static struct ft_meter **
find_slot(const struct ft_meter_table *t, uint32_t id)
{
    struct ft_meter **p = &t->buckets[hash_id(t, id)];

    while (*p && (*p)->id != id) {
        p = &(*p)->next;
    }
    return p;
}

struct ft_meter *
ft_meter_lookup(const struct ft_meter_table *t, uint32_t id)
{
    return *find_slot(t, id);
}

static void
delete_meter(struct ft_meter_table *t, struct ft_meter **slot)
{
    struct ft_meter *m = *slot;

    *slot = m->next;
    if (is_virtual(m->id)) {
        t->n_virtual--;
    } else {
        t->n_regular--;
    }
    m->dead = true;
    if (m->flow_count) {
        m->next = t->zombies;
        t->zombies = m;
    } else {
        retire_meter(t, m);
    }
}

static enum ft_meter_err
meter_delete(struct ft_meter_table *t, uint32_t id)
{
    if (id == FT_OFPM_ALL) {
        for (uint32_t i = 0; i <= t->mask; i++) {
            while (t->buckets[i]) {
                delete_meter(t, &t->buckets[i]);
            }
        }
        return FT_METER_OK;
    }
    struct ft_meter **slot = find_slot(t, id);
    if (*slot) {
        delete_meter(t, slot);
    }
    return FT_METER_OK;
}

enum ft_meter_err
ft_meter_mod(struct ft_meter_table *t, const struct ft_meter_mod *mm,
             uint64_t now_ns)
{
    uint32_t id = mm->meter_id;
    enum ft_meter_err err;

    ft_meter_reclaim(t);
    if (mm->command > FT_OFPMC_DELETE) {
        return FT_METER_ERR_BAD_COMMAND;
    }
    if (!id || (id > FT_OFPM_MAX && !is_virtual(id)
                && !(id == FT_OFPM_ALL && mm->command == FT_OFPMC_DELETE))) {
        return FT_METER_ERR_INVALID_METER;
    }
    if (mm->command == FT_OFPMC_DELETE) {
        return meter_delete(t, id);
    }

    uint16_t unit = mm->flags & (FT_OFPMF_KBPS | FT_OFPMF_PKTPS);
    if (mm->flags & ~(FT_OFPMF_KBPS | FT_OFPMF_PKTPS | FT_OFPMF_BURST
                      | FT_OFPMF_STATS)
        || (unit != FT_OFPMF_KBPS && unit != FT_OFPMF_PKTPS)) {
        return FT_METER_ERR_BAD_FLAGS;
    }
    err = check_bands(mm);
    if (err) {
        return err;
    }

    struct ft_meter **slot = find_slot(t, id);
    if (mm->command == FT_OFPMC_ADD) {
        if (*slot) {
            return FT_METER_ERR_EXISTS;
        }
        if (!is_virtual(id) && t->n_regular >= t->max_meters) {
            return FT_METER_ERR_OUT_OF_METERS;
        }
        struct ft_meter *m = calloc(1, sizeof *m);
        struct meter_cfg *cfg = cfg_create(mm, now_ns);
        if (!m || !cfg) {
            free(m);
            free(cfg);
            return FT_METER_ERR_OUT_OF_METERS;
        }
        atomic_init(&m->cfg, cfg);
        atomic_init(&m->packets_in, 0);
        atomic_init(&m->bytes_in, 0);
        m->id = id;
        m->created_ns = now_ns;
        *slot = m;
        if (is_virtual(id)) {
            t->n_virtual++;
        } else {
            t->n_regular++;
        }
        return FT_METER_OK;
    }

    /* MODIFY */
    struct ft_meter *m = *slot;
    if (!m) {
        return FT_METER_ERR_UNKNOWN_METER;
    }
    struct meter_cfg *cfg = cfg_create(mm, now_ns);
    if (!cfg) {
        return FT_METER_ERR_OUT_OF_METERS;
    }
    struct meter_cfg *old = atomic_exchange_explicit(&m->cfg, cfg,
                                                     memory_order_release);
    retire(t, &old->gc, old);
    return FT_METER_OK;
}

/* ---- queries ------------------------------------------------------------- */

void
ft_meter_get_features(const struct ft_meter_table *t,
                      struct ft_meter_features *f)
{
    memset(f, 0, sizeof *f);
    f->max_meter = t->max_meters;
    f->band_types = 1u << FT_OFPMBT_DROP | 1u << FT_OFPMBT_DSCP_REMARK;
    f->capabilities = FT_OFPMF_KBPS | FT_OFPMF_PKTPS | FT_OFPMF_BURST
                      | FT_OFPMF_STATS;
    f->max_bands = FT_METER_MAX_BANDS;
    f->max_color = FT_METER_MAX_PREC_LEVEL;
}

uint32_t
ft_meter_count(const struct ft_meter_table *t)
{
    return t->n_regular + t->n_virtual;
}

static int
cmp_u32(const void *a_, const void *b_)
{
    uint32_t a = *(const uint32_t *) a_, b = *(const uint32_t *) b_;
    return a < b ? -1 : a > b;
}

uint32_t
ft_meter_list(const struct ft_meter_table *t, uint32_t *ids, uint32_t cap)
{
    uint32_t total = ft_meter_count(t);
    uint32_t *all = total ? malloc(total * sizeof *all) : NULL;
    uint32_t n = 0;

    if (!total) {
        return 0;
    }
    if (!all) {
        /* Unsorted fallback: still every id that fits. */
        for (uint32_t i = 0; i <= t->mask; i++) {
            for (struct ft_meter *m = t->buckets[i]; m; m = m->next) {
                if (n < cap) {
                    ids[n] = m->id;
                }
                n++;
            }
        }
        return n;
    }
    for (uint32_t i = 0; i <= t->mask; i++) {
        for (struct ft_meter *m = t->buckets[i]; m; m = m->next) {
            all[n++] = m->id;
        }
    }
    qsort(all, n, sizeof *all, cmp_u32);
    memcpy(ids, all, MIN(n, cap) * sizeof *ids);
    free(all);
    return n;
}

enum ft_meter_err
ft_meter_get_stats(const struct ft_meter_table *t, uint32_t id,
                   uint64_t now_ns, struct ft_meter_stats *s)
{
    const struct ft_meter *m = ft_meter_lookup(t, id);

    memset(s, 0, sizeof *s);
    if (!m) {
        return FT_METER_ERR_UNKNOWN_METER;
    }
    const struct meter_cfg *cfg = atomic_load_explicit(&m->cfg,
                                                       memory_order_acquire);
    uint64_t age = now_ns > m->created_ns ? now_ns - m->created_ns : 0;

    s->meter_id = id;
    s->flow_count = m->flow_count;
    s->packet_in_count = atomic_load_explicit(&m->packets_in,
                                              memory_order_relaxed);
    s->byte_in_count = atomic_load_explicit(&m->bytes_in,
                                            memory_order_relaxed);
    s->duration_sec = (uint32_t) (age / 1000000000u);
    s->duration_nsec = (uint32_t) (age % 1000000000u);
    s->n_bands = cfg->n_bands;
    for (uint16_t i = 0; i < cfg->n_bands; i++) {
        s->bands[i].packet_band_count =
            atomic_load_explicit(&cfg->bands[i].packets, memory_order_relaxed);
        s->bands[i].byte_band_count =
            atomic_load_explicit(&cfg->bands[i].bytes, memory_order_relaxed);
    }
    return FT_METER_OK;
}

enum ft_meter_err
ft_meter_get_config(const struct ft_meter_table *t, uint32_t id,
                    struct ft_meter_config *c)
{
    const struct ft_meter *m = ft_meter_lookup(t, id);

    memset(c, 0, sizeof *c);
    if (!m) {
        return FT_METER_ERR_UNKNOWN_METER;
    }
    const struct meter_cfg *cfg = atomic_load_explicit(&m->cfg,
                                                       memory_order_acquire);
    c->meter_id = id;
    c->flags = cfg->flags;
    c->n_bands = cfg->n_bands;
    for (uint16_t i = 0; i < cfg->n_bands; i++) {
        c->bands[i] = cfg->bands[i].cfg;
    }
    return FT_METER_OK;
}

/* ---- flow references ----------------------------------------------------- */

struct ft_meter *
ft_meter_ref(struct ft_meter_table *t, uint32_t id)
{
    struct ft_meter *m;

    if (!id || id > FT_OFPM_MAX) {
        return NULL;
    }
    m = ft_meter_lookup(t, id);
    if (m) {
        m->flow_count++;
    }
    return m;
}

void
ft_meter_unref(struct ft_meter_table *t, struct ft_meter *m)
{
    if (!m || !m->flow_count) {
        return;
    }
    if (--m->flow_count || !m->dead) {
        return;
    }
    for (struct ft_meter **p = &t->zombies; *p; p = &(*p)->next) {
        if (*p == m) {
            *p = m->next;
            break;
        }
    }
    retire_meter(t, m);
}

uint32_t
ft_meter_flow_count(const struct ft_meter *m)
{
    return m->flow_count;
}

uint32_t
ft_meter_id(const struct ft_meter *m)
{
    return m->id;
}

/* ---- token buckets ------------------------------------------------------- */

/* Runs band 'b' over packets [0, n) at 'now' (ticks since epoch) and
 * returns the bitmap of packets that exceeded it. One CAS per call. */
static uint64_t
band_run(struct band *b, bool kbps, uint64_t now, const uint32_t *lens,
         unsigned int n)
{
    uint64_t old = atomic_load_explicit(&b->tat, memory_order_relaxed);
    uint64_t tat, exceed;

    do {
        tat = old;
        exceed = 0;
        for (unsigned int i = 0; i < n; i++) {
            uint64_t units = kbps ? MIN(lens[i], FT_METER_MAX_PKT_LEN) : 1;
            uint64_t cost = (units * b->unit_cost
                             + (UINT64_C(1) << (COST_SHIFT - 1)))
                            >> COST_SHIFT;
            uint64_t next = MAX(tat, now) + cost;

            if (next - now <= b->depth) {
                tat = next;
            } else {
                exceed |= UINT64_C(1) << i;
            }
        }
    } while (tat != old
             && !atomic_compare_exchange_weak_explicit(
                    &b->tat, &old, tat, memory_order_relaxed,
                    memory_order_relaxed));
    return exceed;
}

unsigned int
ft_meter_apply(struct ft_meter *m, uint64_t now_ns, const uint32_t *lens,
               unsigned int n, uint8_t *verdicts)
{
    struct meter_cfg *cfg = atomic_load_explicit(&m->cfg,
                                                 memory_order_acquire);
    bool kbps = cfg->flags & FT_OFPMF_KBPS;
    bool stats = cfg->flags & FT_OFPMF_STATS;
    uint64_t now = now_ns > cfg->epoch_ns
                   ? (now_ns - cfg->epoch_ns) * TICKS_PER_NS : 0;
    unsigned int drops = 0;
    uint64_t bytes_in = 0;

    for (unsigned int base = 0; base < n; base += BATCH) {
        unsigned int k = MIN(n - base, BATCH);
        const uint32_t *l = lens + base;
        uint8_t *v = verdicts + base;
        uint64_t exceed[FT_METER_MAX_BANDS];
        uint64_t hit_pkts[FT_METER_MAX_BANDS] = { 0 };
        uint64_t hit_bytes[FT_METER_MAX_BANDS] = { 0 };

        for (uint16_t j = 0; j < cfg->n_bands; j++) {
            exceed[j] = band_run(&cfg->bands[cfg->order[j]], kbps, now, l, k);
        }
        for (unsigned int i = 0; i < k; i++) {
            uint8_t verdict = FT_METER_PASS;

            bytes_in += l[i];
            for (uint16_t j = 0; j < cfg->n_bands; j++) {
                if (exceed[j] >> i & 1) {
                    const struct band *b = &cfg->bands[cfg->order[j]];
                    if (b->cfg.type == FT_OFPMBT_DROP) {
                        verdict = FT_METER_DROP;
                        drops++;
                    } else {
                        verdict = b->cfg.prec_level;
                    }
                    hit_pkts[j]++;
                    hit_bytes[j] += l[i];
                    break;
                }
            }
            v[i] = verdict;
        }
        if (stats) {
            for (uint16_t j = 0; j < cfg->n_bands; j++) {
                if (hit_pkts[j]) {
                    struct band *b = &cfg->bands[cfg->order[j]];
                    atomic_fetch_add_explicit(&b->packets, hit_pkts[j],
                                              memory_order_relaxed);
                    atomic_fetch_add_explicit(&b->bytes, hit_bytes[j],
                                              memory_order_relaxed);
                }
            }
        }
    }
    if (stats && n) {
        atomic_fetch_add_explicit(&m->packets_in, n, memory_order_relaxed);
        atomic_fetch_add_explicit(&m->bytes_in, bytes_in,
                                  memory_order_relaxed);
    }
    return drops;
}
