/*
 * dp_dpcls.c — the megaflow cache of a PMD worker: action lists,
 * megaflows and their references, the per-port classifiers and their
 * subtables (insert, remove, rank), the container's in_port map, dumps,
 * and the deferred frees behind all of it. The batch lookup is in
 * dp_dpcls_lookup.c; the model and the thread rules in dp_dpcls.h.
 *
 * Deferred frees. Anything a lookup may be standing on is retired, not
 * freed: it is pushed onto the container's lock-free 'retired' stack with
 * a token of the qsbr taken after it was unpublished (so any thread may
 * retire: a PMD dropping an EMC reference, main removing a megaflow).
 * dp_flow_cache_reclaim() moves the stack, oldest first, onto a FIFO only
 * it touches and frees from the front while the tokens have passed. A
 * megaflow is retired when its last reference goes, which cannot happen
 * before it is unlinked (the classifier holds a reference until then).
 *
 * Writers take the classifier's spinlock and only ever touch the current
 * (published) objects under it; an object they retire is not touched
 * again, since the reclaimer may run on another thread and does not take
 * that lock.
 */
#include "dp_dpcls_private.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <rte_branch_prediction.h>
#include <rte_common.h>
#include <rte_rcu_qsbr.h>

/* Slots of the in_port map: twice the ports, so probes stay short and an
 * empty slot always ends them. */
#define FC_PORT_SLOTS (2 * DP_FLOW_CACHE_MAX_PORTS)
_Static_assert((FC_PORT_SLOTS & (FC_PORT_SLOTS - 1)) == 0, "power of two");

struct dp_flow_cache {
    struct rte_rcu_qsbr *qsbr;
    dp_xcache_free_fn *xcache_free;
    void *xcache_aux;
    uint32_t n_flows;               /* atomic: installed megaflows */
    uint32_t max_flows;             /* atomic */
    uint32_t impl;                  /* atomic: enum dp_dpcls_impl */
    int64_t next_sort_ms;           /* owning PMD */

    /* Classifiers, never removed before destroy. The map is read by
     * lookups; 'all' by dumps (entries [0, n_cls) are published). */
    rte_spinlock_t ports_lock;      /* creation of classifiers */
    uint32_t n_cls;                 /* atomic */
    struct dp_dpcls *all[DP_FLOW_CACHE_MAX_PORTS];
    struct dp_dpcls *ports[FC_PORT_SLOTS];      /* RCU, by hash of in_port */

    /* Deferred frees. */
    struct dp_rcu_node *retired;    /* atomic stack, newest first */
    rte_spinlock_t reclaim_lock;
    struct dp_rcu_node *pending_head;   /* reclaimer's FIFO, oldest first */
    struct dp_rcu_node *pending_tail;
};

/* ---- deferred frees ---------------------------------------------------- */

/* Queues 'node' to be freed by 'fn' after a grace period. The object must
 * already be unreachable for new readers. Any thread, lock-free. */
static void
fc_retire(struct dp_flow_cache *fc, struct dp_rcu_node *node,
          void (*fn)(struct dp_rcu_node *))
{
    node->free = fn;
    node->token = fc->qsbr ? rte_rcu_qsbr_start(fc->qsbr) : 0;

    struct dp_rcu_node *head = __atomic_load_n(&fc->retired,
                                               __ATOMIC_RELAXED);
    do {
        node->next = head;
    } while (!__atomic_compare_exchange_n(&fc->retired, &head, node, true,
                                          __ATOMIC_RELEASE,
                                          __ATOMIC_RELAXED));
}

/* Moves the retired stack to the end of the FIFO, oldest first. Reclaim
 * lock held. */
static void
fc_collect_retired(struct dp_flow_cache *fc)
{
    struct dp_rcu_node *stack = __atomic_exchange_n(&fc->retired, NULL,
                                                    __ATOMIC_ACQUIRE);
    struct dp_rcu_node *oldest_first = NULL;
    struct dp_rcu_node *newest = stack;

    while (stack) {
        struct dp_rcu_node *next = stack->next;

        stack->next = oldest_first;
        oldest_first = stack;
        stack = next;
    }
    if (!oldest_first) {
        return;
    }
    if (fc->pending_tail) {
        fc->pending_tail->next = oldest_first;
    } else {
        fc->pending_head = oldest_first;
    }
    fc->pending_tail = newest;
}

unsigned int
dp_flow_cache_reclaim(struct dp_flow_cache *fc)
{
    unsigned int n = 0;

    if (!rte_spinlock_trylock(&fc->reclaim_lock)) {
        return 0;                   /* another thread is at it */
    }
    fc_collect_retired(fc);
    while (fc->pending_head) {
        struct dp_rcu_node *node = fc->pending_head;

        /* Tokens are taken in (nearly) FIFO order: stop at the first that
         * has not passed; the rest wait for the next call. */
        if (fc->qsbr && rte_rcu_qsbr_check(fc->qsbr, node->token, false) != 1) {
            break;
        }
        fc->pending_head = node->next;
        if (!fc->pending_head) {
            fc->pending_tail = NULL;
        }
        node->free(node);
        n++;
    }
    rte_spinlock_unlock(&fc->reclaim_lock);
    return n;
}

/* Frees everything retired without waiting: no reader is left. */
static void
fc_drain(struct dp_flow_cache *fc)
{
    rte_spinlock_lock(&fc->reclaim_lock);
    fc_collect_retired(fc);
    while (fc->pending_head) {
        struct dp_rcu_node *node = fc->pending_head;

        fc->pending_head = node->next;
        node->free(node);
    }
    fc->pending_tail = NULL;
    rte_spinlock_unlock(&fc->reclaim_lock);
}

/* ---- action lists ----------------------------------------------------------- */

struct dp_actions_box {
    struct dp_rcu_node rcu;
    struct dp_actions actions;      /* followed by its acts[] */
};

static struct dp_actions_box *
actions_box(struct dp_actions *actions)
{
    return (struct dp_actions_box *) (void *)
        ((char *) actions - offsetof(struct dp_actions_box, actions));
}

struct dp_actions *
dp_actions_create(const struct ft_dpact *acts, uint32_t n)
{
    struct dp_actions_box *box = malloc(sizeof *box
                                        + (size_t) n * sizeof acts[0]);
    if (!box) {
        return NULL;
    }
    box->actions.n = n;
    if (n) {
        memcpy(box->actions.acts, acts, (size_t) n * sizeof acts[0]);
    }
    return &box->actions;
}

void
dp_actions_free(struct dp_actions *actions)
{
    if (actions) {
        free(actions_box(actions));
    }
}

static void
actions_free_rcu(struct dp_rcu_node *node)
{
    free(node);                     /* 'rcu' is the box's first member */
}

/* ---- megaflows ---------------------------------------------------------- */

static size_t
megaflow_size(unsigned int n_words)
{
    return sizeof(struct dp_megaflow)
           + (2 * FT_MAP_UNITS + 2 * (size_t) n_words) * sizeof(uint64_t);
}

static uint32_t
actions_single_output(const struct dp_actions *actions)
{
    return actions->n == 1 && actions->acts[0].type == FT_DPACT_OUTPUT
           ? actions->acts[0].output.dp_port : DP_MEGAFLOW_NOT_SINGLE_OUTPUT;
}

static struct dp_megaflow *
megaflow_create(struct dp_dpcls *cls, const struct ft_key *key,
                const struct ft_miniflow *mask, unsigned int n_words,
                struct dp_actions *actions, void *xcache, int64_t now_ms)
{
    struct ft_miniflow_buf masked;
    struct dp_megaflow *mf;
    void *p;

    if (posix_memalign(&p, RTE_CACHE_LINE_SIZE, megaflow_size(n_words))) {
        return NULL;
    }
    mf = p;
    memset(mf, 0, sizeof *mf);
    ft_miniflow_from_key_masked(&masked, key, mask);
    memcpy(mf->flow, masked.mf.map, sizeof masked.mf.map);
    memcpy(&mf->flow[FT_MAP_UNITS], masked.storage,
           n_words * sizeof(uint64_t));
    memcpy(&mf->flow[FT_MAP_UNITS + n_words], mask->map, sizeof mask->map);
    memcpy(&mf->flow[2 * FT_MAP_UNITS + n_words], mask->values,
           n_words * sizeof(uint64_t));

    mf->hash = dpcls_hash_masked(&mf->flow[FT_MAP_UNITS], n_words);
    mf->n_words = n_words;
    mf->in_port = key->in_port;
    mf->refcnt = 1;                 /* the classifier's */
    mf->cls = cls;
    mf->actions = actions;
    mf->single_output = actions_single_output(actions);
    mf->xcache = xcache;
    mf->created_ms = now_ms;
    return mf;
}

static void
megaflow_free_rcu(struct dp_rcu_node *node)
{
    struct dp_megaflow *mf = (struct dp_megaflow *) (void *)
        ((char *) node - offsetof(struct dp_megaflow, rcu));
    struct dp_flow_cache *fc = mf->cls->fc;

    if (mf->xcache && fc->xcache_free) {
        fc->xcache_free(mf->xcache, fc->xcache_aux);
    }
    dp_actions_free(mf->actions);
    free(mf);
}

void
dp_megaflow_unref(struct dp_megaflow *mf)
{
    uint32_t old = __atomic_fetch_sub(&mf->refcnt, 1, __ATOMIC_ACQ_REL);

    RTE_ASSERT(old > 0);
    if (old == 1) {
        fc_retire(mf->cls->fc, &mf->rcu, megaflow_free_rcu);
    }
}

void
dp_megaflow_get_stats(const struct dp_megaflow *mf,
                      struct dp_megaflow_stats *stats)
{
    stats->packets = __atomic_load_n(&mf->stats.packets, __ATOMIC_RELAXED);
    stats->bytes = __atomic_load_n(&mf->stats.bytes, __ATOMIC_RELAXED);
    stats->used_ms = __atomic_load_n(&mf->stats.used_ms, __ATOMIC_RELAXED);
    stats->tcp_flags = __atomic_load_n(&mf->stats.tcp_flags,
                                       __ATOMIC_RELAXED);
}

void
dp_megaflow_set_actions(struct dp_megaflow *mf, struct dp_actions *actions)
{
    __atomic_store_n(&mf->single_output, actions_single_output(actions),
                     __ATOMIC_RELEASE);
    struct dp_actions *old = __atomic_exchange_n(&mf->actions, actions,
                                                 __ATOMIC_ACQ_REL);
    if (old) {
        fc_retire(mf->cls->fc, &actions_box(old)->rcu, actions_free_rcu);
    }
}

/* ---- subtable hash tables (classifier lock) -------------------------------- */

static struct dpcls_table *
table_alloc(uint32_t n_buckets)
{
    size_t size = sizeof(struct dpcls_table)
                  + (size_t) n_buckets * sizeof(struct dpcls_bucket);
    void *p;

    if (posix_memalign(&p, RTE_CACHE_LINE_SIZE, size)) {
        return NULL;
    }
    memset(p, 0, size);
    struct dpcls_table *t = p;
    t->mask = n_buckets - 1;
    return t;
}

static uint32_t
table_slots(const struct dpcls_table *t)
{
    return (t->mask + 1) * DPCLS_BUCKET_SLOTS;
}

static void
table_free_rcu(struct dp_rcu_node *node)
{
    free(node);                     /* 'rcu' is the table's first member */
}

/* Stores 'mf' in the first free (empty or tombstone) slot of its probe
 * sequence. The caller made sure the table has room. */
static void
table_put(struct dpcls_table *t, struct dp_megaflow *mf)
{
    for (uint32_t b = mf->hash & t->mask;; b = (b + 1) & t->mask) {
        struct dpcls_bucket *bk = &t->buckets[b];

        for (unsigned int i = 0; i < DPCLS_BUCKET_SLOTS; i++) {
            struct dp_megaflow *cur = bk->mfs[i];

            if (!cur || cur == DPCLS_TOMBSTONE) {
                t->n_used += !cur;
                t->n_live++;
                __atomic_store_n(&bk->hashes[i], mf->hash, __ATOMIC_RELAXED);
                __atomic_store_n(&bk->mfs[i], mf, __ATOMIC_RELEASE);
                return;
            }
        }
    }
}

/* An installed megaflow with the same masked key as 'mf', or NULL. */
static struct dp_megaflow *
table_find_equal(const struct dpcls_table *t, const struct dp_megaflow *mf)
{
    const uint64_t *values = &mf->flow[FT_MAP_UNITS];

    for (uint32_t b = mf->hash & t->mask;; b = (b + 1) & t->mask) {
        const struct dpcls_bucket *bk = &t->buckets[b];

        for (unsigned int i = 0; i < DPCLS_BUCKET_SLOTS; i++) {
            struct dp_megaflow *cur = bk->mfs[i];

            if (!cur) {
                return NULL;        /* the probe ends in this bucket */
            }
            if (cur != DPCLS_TOMBSTONE && bk->hashes[i] == mf->hash
                && !memcmp(&cur->flow[FT_MAP_UNITS], values,
                           mf->n_words * sizeof(uint64_t))) {
                return cur;
            }
        }
    }
}

static void
table_remove(struct dpcls_table *t, const struct dp_megaflow *mf)
{
    for (uint32_t b = mf->hash & t->mask;; b = (b + 1) & t->mask) {
        struct dpcls_bucket *bk = &t->buckets[b];

        for (unsigned int i = 0; i < DPCLS_BUCKET_SLOTS; i++) {
            RTE_ASSERT(bk->mfs[i]);
            if (bk->mfs[i] == mf) {
                __atomic_store_n(&bk->mfs[i], DPCLS_TOMBSTONE,
                                 __ATOMIC_RELEASE);
                t->n_live--;
                return;
            }
        }
    }
}

/* Replaces the subtable's table by a fresh one without tombstones, sized
 * so that 'want_live' megaflows fill at most a quarter of the slots. */
static struct dpcls_table *
table_rebuild(struct dp_flow_cache *fc, struct dpcls_subtable *st,
              uint32_t want_live)
{
    struct dpcls_table *old = st->table;
    uint32_t n_buckets = DPCLS_MIN_BUCKETS;

    while ((uint64_t) n_buckets * DPCLS_BUCKET_SLOTS < 4 * (uint64_t) want_live) {
        n_buckets *= 2;
    }
    struct dpcls_table *t = table_alloc(n_buckets);
    if (!t) {
        return NULL;
    }
    for (uint32_t b = 0; b <= old->mask; b++) {
        for (unsigned int i = 0; i < DPCLS_BUCKET_SLOTS; i++) {
            struct dp_megaflow *mf = old->buckets[b].mfs[i];

            if (mf && mf != DPCLS_TOMBSTONE) {
                table_put(t, mf);
            }
        }
    }
    __atomic_store_n(&st->table, t, __ATOMIC_RELEASE);
    fc_retire(fc, &old->rcu, table_free_rcu);
    return t;
}

/* Adds 'mf' to the subtable's table, growing or cleaning it first when
 * half of the slots are used: at that load nearly every probe, hit or
 * miss, ends in its home bucket. */
static int
table_insert(struct dp_flow_cache *fc, struct dpcls_subtable *st,
             struct dp_megaflow *mf)
{
    struct dpcls_table *t = st->table;

    if ((t->n_used + 1) * 2 > table_slots(t)) {
        t = table_rebuild(fc, st, t->n_live + 1);
        if (!t) {
            return -ENOMEM;
        }
    }
    table_put(t, mf);
    return 0;
}

/* ---- subtables (classifier lock) --------------------------------------------- */

/* Does the mask look at nothing but the input port and the recirculation
 * id? Its megaflow (one per recirc_id) then matches every packet of the
 * port at that pass. */
static bool
subtable_mask_is_port_only(const struct dpcls_subtable *st)
{
    struct ft_key allowed;

    ft_key_zero(&allowed);
    allowed.in_port = UINT32_MAX;
    allowed.recirc_id = UINT32_MAX;
    const ft_key_word *ok = ft_key_u64(&allowed);
    for (unsigned int i = 0; i < st->n_words; i++) {
        if (st->mask.storage[i] & ~ok[st->idx[i]]) {
            return false;
        }
    }
    return true;
}

static struct dpcls_subtable *
subtable_create(const struct dp_flow_cache *fc,
                const struct ft_miniflow *mask, unsigned int n_words)
{
    void *p;

    if (posix_memalign(&p, RTE_CACHE_LINE_SIZE,
                       sizeof(struct dpcls_subtable))) {
        return NULL;
    }
    struct dpcls_subtable *st = memset(p, 0, sizeof(struct dpcls_subtable));

    st->table = table_alloc(DPCLS_MIN_BUCKETS);
    if (!st->table) {
        free(st);
        return NULL;
    }
    st->n_words = n_words;
    memcpy(st->mask.mf.map, mask->map, sizeof mask->map);
    memcpy(st->mask.storage, mask->values, n_words * sizeof(uint64_t));
    unsigned int i = 0;
    for (unsigned int unit = 0; unit < FT_MAP_UNITS; unit++) {
        for (uint64_t map = mask->map[unit]; map; map &= map - 1) {
            st->idx[i++] = (uint8_t) (unit * 64 + __builtin_ctzll(map));
        }
    }
    st->lookup = dpcls_lookup_select(
        n_words, __atomic_load_n(&fc->impl, __ATOMIC_RELAXED)
                 == DP_DPCLS_IMPL_GENERIC);
    st->port_only = subtable_mask_is_port_only(st);
    return st;
}

static void
subtable_free(struct dpcls_subtable *st)
{
    free(st->table);
    free(st);
}

static void
subtable_free_rcu(struct dp_rcu_node *node)
{
    subtable_free((struct dpcls_subtable *) (void *)
                  ((char *) node - offsetof(struct dpcls_subtable, rcu)));
}

static bool
subtable_has_mask(const struct dpcls_subtable *st,
                  const struct ft_miniflow *mask, unsigned int n_words)
{
    return st->n_words == n_words
           && !memcmp(st->mask.mf.map, mask->map, sizeof mask->map)
           && !memcmp(st->mask.storage, mask->values,
                      n_words * sizeof(uint64_t));
}

/* ---- rank vectors (classifier lock) ------------------------------------------ */

static struct dpcls_pvec *
pvec_alloc(uint32_t n)
{
    struct dpcls_pvec *pv = malloc(sizeof *pv + n * sizeof pv->subtables[0]);

    if (pv) {
        pv->n = 0;
    }
    return pv;
}

static void
pvec_free_rcu(struct dp_rcu_node *node)
{
    free(node);                     /* 'rcu' is the vector's first member */
}

static void
pvec_publish(struct dp_dpcls *cls, struct dpcls_pvec *pv)
{
    struct dpcls_pvec *old = cls->pvec;

    __atomic_store_n(&cls->pvec, pv, __ATOMIC_RELEASE);
    fc_retire(cls->fc, &old->rcu, pvec_free_rcu);
}

/* Unlinks an emptied subtable and retires it. Out of memory, it stays in
 * place, empty (inserts reuse it, the next ranking drops it). */
static void
dpcls_drop_subtable(struct dp_dpcls *cls, struct dpcls_subtable *st)
{
    const struct dpcls_pvec *cur = cls->pvec;
    struct dpcls_pvec *pv = pvec_alloc(cur->n);

    if (!pv) {
        return;
    }
    for (uint32_t i = 0; i < cur->n; i++) {
        if (cur->subtables[i] != st) {
            pv->subtables[pv->n++] = cur->subtables[i];
        }
    }
    pvec_publish(cls, pv);
    fc_retire(cls->fc, &st->rcu, subtable_free_rcu);
}

struct rank_entry {
    uint64_t hits;
    uint32_t pos;
    struct dpcls_subtable *st;
};

static int
rank_compare(const void *a_, const void *b_)
{
    const struct rank_entry *a = a_, *b = b_;

    if (a->hits != b->hits) {
        return a->hits > b->hits ? -1 : 1;
    }
    return a->pos < b->pos ? -1 : a->pos > b->pos;
}

/* Orders the subtables by hits in the interval just ended (ties keep their
 * order), drops empty ones, and starts a new interval. Skipped when a
 * writer holds the lock: the PMD never waits for main. */
static void
dpcls_sort(struct dp_dpcls *cls)
{
    if (!rte_spinlock_trylock(&cls->lock)) {
        return;
    }
    const struct dpcls_pvec *cur = cls->pvec;
    struct rank_entry *rank = malloc((cur->n ? cur->n : 1) * sizeof *rank);
    uint32_t n = 0;
    bool changed = false;

    if (!rank) {
        rte_spinlock_unlock(&cls->lock);
        return;
    }
    for (uint32_t i = 0; i < cur->n; i++) {
        struct dpcls_subtable *st = cur->subtables[i];

        if (st->n_flows) {
            rank[n++] = (struct rank_entry) {
                __atomic_load_n(&st->hits, __ATOMIC_RELAXED), i, st
            };
        } else {
            changed = true;
        }
        __atomic_store_n(&st->hits, 0, __ATOMIC_RELAXED);
    }
    qsort(rank, n, sizeof *rank, rank_compare);
    for (uint32_t i = 0; i < n && !changed; i++) {
        changed = rank[i].st != cur->subtables[i];
    }
    if (changed) {
        struct dpcls_pvec *pv = pvec_alloc(n);

        if (pv) {
            for (uint32_t i = 0; i < cur->n; i++) {
                if (!cur->subtables[i]->n_flows) {
                    fc_retire(cls->fc, &cur->subtables[i]->rcu,
                              subtable_free_rcu);
                }
            }
            for (uint32_t i = 0; i < n; i++) {
                pv->subtables[pv->n++] = rank[i].st;
            }
            pvec_publish(cls, pv);
        }
    }
    free(rank);
    rte_spinlock_unlock(&cls->lock);
}

/* ---- classifiers ---------------------------------------------------------- */

static struct dp_dpcls *
dpcls_create(struct dp_flow_cache *fc, uint32_t in_port)
{
    struct dp_dpcls *cls;
    void *p;

    if (posix_memalign(&p, RTE_CACHE_LINE_SIZE, sizeof *cls)) {
        return NULL;
    }
    cls = memset(p, 0, sizeof *cls);
    cls->pvec = pvec_alloc(0);
    if (!cls->pvec) {
        free(cls);
        return NULL;
    }
    cls->fc = fc;
    cls->in_port = in_port;
    rte_spinlock_init(&cls->lock);
    return cls;
}

/* Frees a classifier whose megaflows are gone (destroy only). */
static void
dpcls_free(struct dp_dpcls *cls)
{
    for (uint32_t i = 0; i < cls->pvec->n; i++) {
        subtable_free(cls->pvec->subtables[i]);   /* empty leftovers */
    }
    free(cls->pvec);
    free(cls);
}

/* Marks 'mf' dead and unlinks it; drops its subtable when emptied. The
 * caller then adjusts the count and drops the classifier's reference. */
static void
dpcls_remove_locked(struct dp_dpcls *cls, struct dp_megaflow *mf)
{
    struct dpcls_subtable *st = mf->subtable;

    __atomic_store_n(&mf->dead, true, __ATOMIC_RELEASE);
    table_remove(st->table, mf);
    if (!--st->n_flows) {
        dpcls_drop_subtable(cls, st);
    }
}

/* Links a new megaflow into the subtable of its mask, creating that. */
static int
dpcls_insert_locked(struct dp_dpcls *cls, struct dp_megaflow *mf,
                    struct dp_megaflow **existing)
{
    const struct ft_miniflow *mask = dp_megaflow_mask(mf);
    const struct dpcls_pvec *cur = cls->pvec;
    struct dpcls_subtable *st = NULL;

    for (uint32_t i = 0; i < cur->n; i++) {
        if (subtable_has_mask(cur->subtables[i], mask, mf->n_words)) {
            st = cur->subtables[i];
            break;
        }
    }
    if (st) {
        struct dp_megaflow *dup = table_find_equal(st->table, mf);

        if (dup) {
            *existing = dup;
            return -EEXIST;
        }
        if (table_insert(cls->fc, st, mf)) {
            return -ENOMEM;
        }
    } else {
        /* A new subtable is complete before it is published, last in
         * rank; an empty table has room for one. */
        struct dpcls_pvec *pv = pvec_alloc(cur->n + 1);

        st = pv ? subtable_create(cls->fc, mask, mf->n_words) : NULL;
        if (!st) {
            free(pv);
            return -ENOMEM;
        }
        table_put(st->table, mf);
        memcpy(pv->subtables, cur->subtables,
               cur->n * sizeof cur->subtables[0]);
        pv->subtables[cur->n] = st;
        pv->n = cur->n + 1;
        st->n_flows = 1;
        mf->subtable = st;
        pvec_publish(cls, pv);
        return 0;
    }
    st->n_flows++;
    mf->subtable = st;
    return 0;
}

uint32_t
dp_dpcls_in_port(const struct dp_dpcls *cls)
{
    return cls->in_port;
}

void
dp_dpcls_get_stats(const struct dp_dpcls *cls, struct dp_dpcls_stats *stats)
{
    stats->lookups += __atomic_load_n(&cls->stats.lookups, __ATOMIC_RELAXED);
    stats->hits += __atomic_load_n(&cls->stats.hits, __ATOMIC_RELAXED);
    stats->subtable_lookups += __atomic_load_n(&cls->stats.subtable_lookups,
                                               __ATOMIC_RELAXED);
}

unsigned int
dp_dpcls_get_subtables(struct dp_dpcls *cls,
                       struct dp_dpcls_subtable_info *info, unsigned int max)
{
    rte_spinlock_lock(&cls->lock);
    const struct dpcls_pvec *pv = cls->pvec;
    unsigned int n = pv->n;

    for (unsigned int i = 0; i < n && i < max; i++) {
        const struct dpcls_subtable *st = pv->subtables[i];

        info[i] = (struct dp_dpcls_subtable_info) {
            .n_words = st->n_words,
            .n_flows = st->n_flows,
            .hits = __atomic_load_n(&st->hits, __ATOMIC_RELAXED),
            .hits_total = __atomic_load_n(&st->hits_total, __ATOMIC_RELAXED),
            .specialised = dpcls_lookup_is_specialised(
                __atomic_load_n(&st->lookup, __ATOMIC_RELAXED)),
        };
        ft_miniflow_expand(&st->mask.mf, &info[i].mask);
    }
    rte_spinlock_unlock(&cls->lock);
    return n;
}

/* ---- the container -------------------------------------------------------- */

struct dp_flow_cache *
dp_flow_cache_create(struct rte_rcu_qsbr *qsbr, unsigned int max_megaflows,
                     dp_xcache_free_fn *xcache_free, void *xcache_aux)
{
    struct dp_flow_cache *fc;
    void *p;

    if (posix_memalign(&p, RTE_CACHE_LINE_SIZE, sizeof *fc)) {
        return NULL;
    }
    fc = memset(p, 0, sizeof *fc);
    fc->qsbr = qsbr;
    fc->xcache_free = xcache_free;
    fc->xcache_aux = xcache_aux;
    fc->max_flows = max_megaflows ? max_megaflows
                                  : DP_FLOW_CACHE_DEFAULT_LIMIT;
    fc->impl = DP_DPCLS_IMPL_AUTO;
    rte_spinlock_init(&fc->ports_lock);
    rte_spinlock_init(&fc->reclaim_lock);
    return fc;
}

void
dp_flow_cache_destroy(struct dp_flow_cache *fc)
{
    if (!fc) {
        return;
    }
    dp_flow_cache_flush(fc);
    fc_drain(fc);                   /* megaflows use their classifier */
    for (uint32_t i = 0; i < fc->n_cls; i++) {
        dpcls_free(fc->all[i]);
    }
    free(fc);
}

void
dp_flow_cache_set_limit(struct dp_flow_cache *fc, unsigned int max)
{
    __atomic_store_n(&fc->max_flows, max ? max : DP_FLOW_CACHE_DEFAULT_LIMIT,
                     __ATOMIC_RELAXED);
}

unsigned int
dp_flow_cache_limit(const struct dp_flow_cache *fc)
{
    return __atomic_load_n(&fc->max_flows, __ATOMIC_RELAXED);
}

unsigned int
dp_flow_cache_count(const struct dp_flow_cache *fc)
{
    return __atomic_load_n(&fc->n_flows, __ATOMIC_RELAXED);
}

/* Counts a megaflow against the limit before it is built. */
static bool
fc_reserve(struct dp_flow_cache *fc)
{
    uint32_t n = __atomic_load_n(&fc->n_flows, __ATOMIC_RELAXED);

    do {
        if (n >= __atomic_load_n(&fc->max_flows, __ATOMIC_RELAXED)) {
            return false;
        }
    } while (!__atomic_compare_exchange_n(&fc->n_flows, &n, n + 1, true,
                                          __ATOMIC_RELAXED,
                                          __ATOMIC_RELAXED));
    return true;
}

static void
fc_unreserve(struct dp_flow_cache *fc)
{
    __atomic_fetch_sub(&fc->n_flows, 1, __ATOMIC_RELAXED);
}

static inline uint32_t
fc_port_slot(uint32_t in_port)
{
    return rte_hash_crc_4byte(in_port, 0) & (FC_PORT_SLOTS - 1);
}

struct dp_dpcls *
dp_flow_cache_find(const struct dp_flow_cache *fc, uint32_t in_port)
{
    for (uint32_t p = fc_port_slot(in_port);; p = (p + 1) & (FC_PORT_SLOTS - 1)) {
        struct dp_dpcls *cls = __atomic_load_n(&fc->ports[p],
                                               __ATOMIC_ACQUIRE);
        if (!cls || cls->in_port == in_port) {
            return cls;
        }
    }
}

/* The classifier of 'in_port', created on first use. */
static int
fc_get_dpcls(struct dp_flow_cache *fc, uint32_t in_port,
             struct dp_dpcls **clsp)
{
    struct dp_dpcls *cls = dp_flow_cache_find(fc, in_port);
    int error = 0;

    if (likely(cls)) {
        *clsp = cls;
        return 0;
    }
    rte_spinlock_lock(&fc->ports_lock);
    cls = dp_flow_cache_find(fc, in_port);
    if (!cls) {
        if (fc->n_cls >= DP_FLOW_CACHE_MAX_PORTS) {
            error = -ENOSPC;
        } else if (!(cls = dpcls_create(fc, in_port))) {
            error = -ENOMEM;
        } else {
            uint32_t p = fc_port_slot(in_port);

            while (fc->ports[p]) {
                p = (p + 1) & (FC_PORT_SLOTS - 1);
            }
            fc->all[fc->n_cls] = cls;
            __atomic_store_n(&fc->n_cls, fc->n_cls + 1, __ATOMIC_RELEASE);
            __atomic_store_n(&fc->ports[p], cls, __ATOMIC_RELEASE);
        }
    }
    rte_spinlock_unlock(&fc->ports_lock);
    *clsp = cls;
    return error;
}

int
dp_flow_cache_insert(struct dp_flow_cache *fc, const struct ft_key *key,
                     const struct ft_mask *mask, struct dp_actions *actions,
                     void *xcache, int64_t now_ms, struct dp_megaflow **mfp)
{
    struct ft_miniflow_buf mask_mf;
    struct dp_megaflow *mf, *existing = NULL;
    struct dp_dpcls *cls;
    int error;

    *mfp = NULL;
    ft_miniflow_from_key(&mask_mf, &mask->masks);
    if (!fc_reserve(fc)) {
        return -ENOSPC;
    }
    error = fc_get_dpcls(fc, key->in_port, &cls);
    if (error) {
        fc_unreserve(fc);
        return error;
    }
    mf = megaflow_create(cls, key, &mask_mf.mf,
                         ft_miniflow_n_values(&mask_mf.mf), actions, xcache,
                         now_ms);
    if (!mf) {
        fc_unreserve(fc);
        return -ENOMEM;
    }

    rte_spinlock_lock(&cls->lock);
    error = dpcls_insert_locked(cls, mf, &existing);
    rte_spinlock_unlock(&cls->lock);

    if (error) {
        free(mf);                   /* never published; the caller keeps
                                       actions and xcache */
        fc_unreserve(fc);
        *mfp = existing;
        return error;
    }
    *mfp = mf;
    return 0;
}

int
dp_flow_cache_remove(struct dp_flow_cache *fc, struct dp_megaflow *mf)
{
    struct dp_dpcls *cls = mf->cls;

    if (cls->fc != fc) {
        return -EINVAL;
    }
    rte_spinlock_lock(&cls->lock);
    if (__atomic_load_n(&mf->dead, __ATOMIC_RELAXED)) {
        rte_spinlock_unlock(&cls->lock);
        return -ENOENT;
    }
    dpcls_remove_locked(cls, mf);
    rte_spinlock_unlock(&cls->lock);

    fc_unreserve(fc);
    dp_megaflow_unref(mf);
    return 0;
}

/* Removes every megaflow of 'cls'; returns how many. */
static unsigned int
dpcls_flush(struct dp_dpcls *cls)
{
    unsigned int n = 0;

    rte_spinlock_lock(&cls->lock);
    for (;;) {
        const struct dpcls_pvec *pv = cls->pvec;
        struct dpcls_subtable *st = NULL;

        for (uint32_t i = 0; i < pv->n && !st; i++) {
            if (pv->subtables[i]->n_flows) {
                st = pv->subtables[i];
            }
        }
        if (!st) {
            break;
        }
        /* The last removal retires 'st' (and its table): stop touching
         * them right then. */
        const struct dpcls_table *t = st->table;
        uint32_t remaining = st->n_flows;

        for (uint32_t p = 0; remaining; p++) {
            struct dp_megaflow *mf =
                t->buckets[p / DPCLS_BUCKET_SLOTS].mfs[p % DPCLS_BUCKET_SLOTS];

            if (mf && mf != DPCLS_TOMBSTONE) {
                remaining--;
                dpcls_remove_locked(cls, mf);
                dp_megaflow_unref(mf);
                n++;
            }
        }
    }
    rte_spinlock_unlock(&cls->lock);
    return n;
}

void
dp_flow_cache_flush(struct dp_flow_cache *fc)
{
    uint32_t n_cls = __atomic_load_n(&fc->n_cls, __ATOMIC_ACQUIRE);

    for (uint32_t i = 0; i < n_cls; i++) {
        unsigned int n = dpcls_flush(fc->all[i]);

        __atomic_fetch_sub(&fc->n_flows, n, __ATOMIC_RELAXED);
    }
}

void
dp_flow_cache_dump(const struct dp_flow_cache *fc, dp_megaflow_visit_fn *cb,
                   void *aux)
{
    uint32_t n_cls = __atomic_load_n(&fc->n_cls, __ATOMIC_ACQUIRE);

    for (uint32_t c = 0; c < n_cls; c++) {
        const struct dpcls_pvec *pv = __atomic_load_n(&fc->all[c]->pvec,
                                                      __ATOMIC_ACQUIRE);
        for (uint32_t s = 0; s < pv->n; s++) {
            const struct dpcls_table *t =
                __atomic_load_n(&pv->subtables[s]->table, __ATOMIC_ACQUIRE);

            for (uint32_t p = 0; p < table_slots(t); p++) {
                struct dp_megaflow *mf = __atomic_load_n(
                    &t->buckets[p / DPCLS_BUCKET_SLOTS].mfs[p
                                                    % DPCLS_BUCKET_SLOTS],
                    __ATOMIC_ACQUIRE);
                if (mf && mf != DPCLS_TOMBSTONE && !dp_megaflow_is_dead(mf)
                    && !cb(mf, aux)) {
                    return;
                }
            }
        }
    }
}

void
dp_flow_cache_sort(struct dp_flow_cache *fc, int64_t now_ms)
{
    if (now_ms < fc->next_sort_ms) {
        return;
    }
    fc->next_sort_ms = now_ms + DP_DPCLS_SORT_INTERVAL_MS;

    uint32_t n_cls = __atomic_load_n(&fc->n_cls, __ATOMIC_ACQUIRE);
    for (uint32_t i = 0; i < n_cls; i++) {
        dpcls_sort(fc->all[i]);
    }
}

void
dp_flow_cache_set_lookup_impl(struct dp_flow_cache *fc,
                              enum dp_dpcls_impl impl)
{
    uint32_t n_cls;

    rte_spinlock_lock(&fc->ports_lock);
    __atomic_store_n(&fc->impl, (uint32_t) impl, __ATOMIC_RELAXED);
    n_cls = fc->n_cls;
    rte_spinlock_unlock(&fc->ports_lock);

    for (uint32_t i = 0; i < n_cls; i++) {
        struct dp_dpcls *cls = fc->all[i];

        rte_spinlock_lock(&cls->lock);
        for (uint32_t s = 0; s < cls->pvec->n; s++) {
            struct dpcls_subtable *st = cls->pvec->subtables[s];

            __atomic_store_n(&st->lookup,
                             dpcls_lookup_select(st->n_words,
                                                 impl == DP_DPCLS_IMPL_GENERIC),
                             __ATOMIC_RELAXED);
        }
        rte_spinlock_unlock(&cls->lock);
    }
}

void
dp_flow_cache_get_stats(const struct dp_flow_cache *fc,
                        struct dp_dpcls_stats *stats)
{
    uint32_t n_cls = __atomic_load_n(&fc->n_cls, __ATOMIC_ACQUIRE);

    memset(stats, 0, sizeof *stats);
    for (uint32_t i = 0; i < n_cls; i++) {
        dp_dpcls_get_stats(fc->all[i], stats);
    }
}
