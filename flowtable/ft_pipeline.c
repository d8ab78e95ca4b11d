/*
 * ft_pipeline.c — the pipeline's state and machinery (the contract is in
 * ft_pipeline.h, the flow entry lifetime in ft_pipeline_impl.h): creation
 * and configuration, the port map, versions and transactions with their
 * undo log, flow entry references and grace-period frees, the timeout
 * heap, and the reader side xlate uses (ft_pipeline_private.h). The
 * OpenFlow semantics of FLOW_MOD / GROUP_MOD / METER_MOD, expiry and the
 * stats queries are in ft_pipeline_flowmod.c.
 *
 * Versions. Readers translate at 'version' (one atomic load). A
 * transaction writes at txn_version = version + 1: it inserts new entries
 * visible from txn_version and retires old ones from it, with the touched
 * classifiers deferred (ft_cls_defer) so a batch of N costs O(N). Commit
 * ends the deferral (one republish per touched table), then stores
 * txn_version, so a reader sees none or all of the transaction. Physical
 * removal of what it retired waits a grace period counted from after that
 * store: a reader that loaded the old version must still find the old
 * entries. Abort removes what the transaction inserted (never visible) and
 * unretires what it retired, newest first.
 *
 * Readers never take locks: the table pointers, the version, the port map
 * (copy-on-write, old copies freed after a grace period), the NORMAL
 * pointers and the switch config are each one atomic load.
 *
 * Timeouts. Entries with a timeout sit on a binary min-heap keyed by the
 * earliest time they could expire (hard deadline, or last use + idle
 * timeout as it was when the key was computed). Credits only move last
 * use forward, so a key is a lower bound: ft_pipeline_expire() pops keys
 * that are due, removes the entries that really expired and re-keys the
 * others. Each entry costs O(log n) at most once per idle period, and no
 * call rescans the table.
 */
#include "ft_pipeline_impl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_rcu_qsbr.h>

#include "lib/util.h"

/* ---- small helpers ------------------------------------------------------ */

void
pl_bump_generation(struct ft_pipeline *pl)
{
    atomic_fetch_add_explicit(&pl->generation, 1, memory_order_release);
}

static uint64_t
gc_token(const struct ft_pipeline *pl)
{
    return pl->qsbr ? rte_rcu_qsbr_start(pl->qsbr) : 0;
}

static bool
gc_passed(const struct ft_pipeline *pl, uint64_t token)
{
    return !pl->qsbr || rte_rcu_qsbr_check(pl->qsbr, token, false) == 1;
}

int
pl_flow_vec_push(struct pl_flow_vec *v, struct pl_flow *pf)
{
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 16;
        struct pl_flow **p = realloc(v->p, cap * sizeof *p);
        if (!p) {
            return -ENOMEM;
        }
        v->p = p;
        v->cap = cap;
    }
    v->p[v->n++] = pf;
    return 0;
}

/* ---- the port map ----------------------------------------------------------- */

const struct ft_port_map *
ft_pipeline_port_map(const struct ft_pipeline *pl)
{
    return atomic_load_explicit(&pl->ports, memory_order_acquire);
}

const struct ft_port *
ft_port_map_find(const struct ft_port_map *map, uint32_t ofp_port)
{
    unsigned int lo = 0, hi = map->n;

    while (lo < hi) {
        unsigned int mid = lo + (hi - lo) / 2;
        uint32_t p = map->ports[mid].ofp_port;
        if (p == ofp_port) {
            return &map->ports[mid];
        }
        if (p < ofp_port) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return NULL;
}

/* The group table's liveness input (FAST_FAILOVER watch ports, SELECT). */
static bool
port_live(uint32_t ofp_port, void *aux)
{
    const struct ft_pipeline *pl = aux;
    const struct ft_port *p = ft_port_map_find(ft_pipeline_port_map(pl),
                                               ofp_port);
    return p && p->live && !(p->config & FT_OFPPC_PORT_DOWN);
}

static int
port_cmp(const void *a_, const void *b_)
{
    const struct ft_port *a = a_, *b = b_;
    return a->ofp_port < b->ofp_port ? -1 : a->ofp_port > b->ofp_port;
}

int
ft_pipeline_set_ports(struct ft_pipeline *pl, const struct ft_port *ports,
                      unsigned int n)
{
    struct ft_port_map *map = malloc(sizeof *map + n * sizeof map->ports[0]);
    if (!map) {
        return -ENOMEM;
    }
    map->n = n;
    if (n) {
        memcpy(map->ports, ports, n * sizeof map->ports[0]);
        qsort(map->ports, n, sizeof map->ports[0], port_cmp);
    }
    for (unsigned int i = 1; i < n; i++) {
        if (map->ports[i].ofp_port == map->ports[i - 1].ofp_port) {
            free(map);
            return -EINVAL;
        }
    }
    if (pl->qsbr && pl->n_old_maps == pl->old_maps_cap) {
        size_t cap = pl->old_maps_cap ? pl->old_maps_cap * 2 : 4;
        struct pl_old_map *p = realloc(pl->old_maps, cap * sizeof *p);
        if (!p) {
            free(map);
            return -ENOMEM;
        }
        pl->old_maps = p;
        pl->old_maps_cap = cap;
    }

    struct ft_port_map *old = atomic_exchange_explicit(&pl->ports, map,
                                                       memory_order_acq_rel);
    if (pl->qsbr) {
        pl->old_maps[pl->n_old_maps++] = (struct pl_old_map) {
            gc_token(pl), old
        };
    } else {
        free(old);
    }
    ft_group_table_ports_changed(pl->groups);
    pl_bump_generation(pl);
    return 0;
}

static void
reclaim_old_maps(struct ft_pipeline *pl)
{
    size_t done = 0;
    while (done < pl->n_old_maps
           && gc_passed(pl, pl->old_maps[done].token)) {
        free(pl->old_maps[done].map);
        done++;
    }
    if (done) {
        memmove(pl->old_maps, pl->old_maps + done,
                (pl->n_old_maps - done) * sizeof pl->old_maps[0]);
        pl->n_old_maps -= done;
    }
}

/* ---- flow entries: creation, references, frees ------------------------- */

static void
all_link(struct ft_pipeline *pl, struct pl_flow *pf)
{
    pf->all_prev = NULL;
    pf->all_next = pl->all;
    if (pl->all) {
        pl->all->all_prev = pf;
    }
    pl->all = pf;
}

static void
all_unlink(struct ft_pipeline *pl, struct pl_flow *pf)
{
    if (pf->all_prev) {
        pf->all_prev->all_next = pf->all_next;
    } else {
        pl->all = pf->all_next;
    }
    if (pf->all_next) {
        pf->all_next->all_prev = pf->all_prev;
    }
}

/* Drops the group references of one action list (resolved entries only). */
static void
unref_groups(struct ft_pipeline *pl, struct ft_action_list *list)
{
    for (uint32_t i = 0; i < list->n; i++) {
        struct ft_action *a = &list->acts[i];
        if (a->type == FT_OFPAT_GROUP && a->group.group) {
            ft_group_unref(pl->groups, a->group.group);
            a->group.group = NULL;
        }
    }
}

/* Resolves and references the GROUP actions of 'list'. */
static bool
ref_groups(struct ft_pipeline *pl, struct ft_action_list *list,
           bool *uses_group)
{
    for (uint32_t i = 0; i < list->n; i++) {
        struct ft_action *a = &list->acts[i];
        if (a->type == FT_OFPAT_GROUP) {
            a->group.group = ft_group_ref(pl->groups, a->group.group_id);
            if (!a->group.group) {
                return false;
            }
            *uses_group = true;
        }
    }
    return true;
}

static void
flow_free(struct ft_pipeline *pl, struct pl_flow *pf, bool destroying)
{
    struct ft_flow *next = pf->f.replaced_by;
    if (next && !destroying) {
        /* Credits that raced with the commit's hand-over go on. */
        uint64_t p = atomic_load_explicit(&pf->f.n_packets,
                                          memory_order_relaxed);
        uint64_t b = atomic_load_explicit(&pf->f.n_bytes,
                                          memory_order_relaxed);
        if (p || b) {
            ft_flow_credit(next, p, b, INT64_MIN);
        }
        ft_flow_unref(pl, next);
    }
    unref_groups(pl, &pf->acts.insts.apply);
    unref_groups(pl, &pf->acts.insts.write);
    if (pf->f.meter) {
        ft_meter_unref(pl->meters, pf->f.meter);
    }
    all_unlink(pl, pf);
    free(pf);
}

struct pl_flow *
pl_flow_create(struct ft_pipeline *pl, uint8_t table_id,
               const struct ft_match *match, uint16_t priority,
               const struct ft_insts *insts, struct ft_meter *meter,
               struct ft_ofperr *err)
{
    uint32_t n_apply = insts->has_apply ? insts->apply.n : 0;
    uint32_t n_write = insts->has_write ? insts->write.n : 0;
    struct pl_flow *pf = calloc(1, sizeof *pf + ((size_t) n_apply + n_write)
                                               * sizeof pf->storage[0]);
    if (!pf) {
        *err = FT_OFPERR(FLOW_MOD_FAILED, FT_OFPFMFC_UNKNOWN);
        return NULL;
    }
    ft_cls_rule_init(&pf->f.cr, match, priority);
    pf->f.table_id = table_id;

    struct ft_insts *in = &pf->acts.insts;
    *in = *insts;
    in->apply = (struct ft_action_list) { n_apply ? pf->storage : NULL,
                                          n_apply };
    in->write = (struct ft_action_list) {
        n_write ? pf->storage + n_apply : NULL, n_write
    };
    if (n_apply) {
        memcpy(in->apply.acts, insts->apply.acts,
               n_apply * sizeof in->apply.acts[0]);
    }
    if (n_write) {
        memcpy(in->write.acts, insts->write.acts,
               n_write * sizeof in->write.acts[0]);
    }
    /* Whatever pointers the caller's lists carried are not ours to hold. */
    for (uint32_t i = 0; i < n_apply + n_write; i++) {
        if (pf->storage[i].type == FT_OFPAT_GROUP) {
            pf->storage[i].group.group = NULL;
        }
    }
    if (!ref_groups(pl, &in->apply, &pf->uses_group)
        || !ref_groups(pl, &in->write, &pf->uses_group)) {
        unref_groups(pl, &in->apply);
        unref_groups(pl, &in->write);
        free(pf);
        *err = FT_OFPERR(BAD_ACTION, FT_OFPBAC_BAD_OUT_GROUP);
        return NULL;
    }

    pf->f.actions = &pf->acts;
    pf->f.meter = meter;
    atomic_init(&pf->f.refcount, 1);    /* the pipeline's own */
    pf->heap_idx = PL_HEAP_NONE;
    pf->seq = pl->next_seq++;
    all_link(pl, pf);
    return pf;
}

void
pl_flow_discard(struct ft_pipeline *pl, struct pl_flow *pf)
{
    flow_free(pl, pf, false);
}

void
ft_flow_get_insts(const struct ft_flow *flow, struct ft_insts *out)
{
    *out = flow->actions->insts;
}

void
ft_flow_credit(struct ft_flow *flow, uint64_t packets, uint64_t bytes,
               int64_t used_ms)
{
    struct ft_flow *next;

    /* A MODIFY replaced this entry: its stats live on in the new one. */
    while ((next = __atomic_load_n(&flow->replaced_by, __ATOMIC_ACQUIRE))) {
        flow = next;
    }
    if (packets) {
        atomic_fetch_add_explicit(&flow->n_packets, packets,
                                  memory_order_relaxed);
        int64_t cur = atomic_load_explicit(&flow->used_ms,
                                           memory_order_relaxed);
        while (used_ms > cur
               && !atomic_compare_exchange_weak_explicit(
                      &flow->used_ms, &cur, used_ms, memory_order_relaxed,
                      memory_order_relaxed)) {
            continue;
        }
    }
    if (bytes) {
        atomic_fetch_add_explicit(&flow->n_bytes, bytes,
                                  memory_order_relaxed);
    }
}

uint64_t
ft_flow_packet_count(const struct ft_flow *flow)
{
    if (flow->flags & FT_OFPFF_NO_PKT_COUNTS) {
        return UINT64_MAX;
    }
    return atomic_load_explicit(&flow->n_packets, memory_order_relaxed);
}

uint64_t
ft_flow_byte_count(const struct ft_flow *flow)
{
    if (flow->flags & FT_OFPFF_NO_BYT_COUNTS) {
        return UINT64_MAX;
    }
    return atomic_load_explicit(&flow->n_bytes, memory_order_relaxed);
}

void
ft_flow_ref(struct ft_flow *flow)
{
    atomic_fetch_add_explicit(&flow->refcount, 1, memory_order_relaxed);
}

void
ft_flow_unref(struct ft_pipeline *pl, struct ft_flow *flow)
{
    if (atomic_fetch_sub_explicit(&flow->refcount, 1,
                                  memory_order_acq_rel) != 1) {
        return;
    }
    /* The last reference, and the pipeline's is gone: hand the flow to the
     * main thread (Treiber push; the main thread takes the whole stack at
     * once, so there is no ABA). */
    struct pl_flow *pf = pl_flow_cast(flow);
    struct pl_flow *head = atomic_load_explicit(&pl->unreffed,
                                                memory_order_relaxed);
    do {
        pf->unref_next = head;
    } while (!atomic_compare_exchange_weak_explicit(
                 &pl->unreffed, &head, pf, memory_order_release,
                 memory_order_relaxed));
}

bool
ft_flow_is_live(const struct ft_flow *flow)
{
    return !atomic_load_explicit(&pl_flow_cast(flow)->dead,
                                 memory_order_relaxed);
}

/* ---- grace-period queue ---------------------------------------------------- */

static void
gc_push(struct ft_pipeline *pl, struct pl_flow *pf, enum pl_gc_stage stage,
        uint64_t token)
{
    pf->gc_stage = (uint8_t) stage;
    pf->gc_token = token;
    pf->gc_next = NULL;
    if (pl->gc_tail) {
        pl->gc_tail->gc_next = pf;
    } else {
        pl->gc_head = pf;
    }
    pl->gc_tail = pf;
}

/* The pipeline drops its own reference (a grace period after unlinking). */
static void
flow_release(struct ft_pipeline *pl, struct pl_flow *pf)
{
    if (atomic_fetch_sub_explicit(&pf->f.refcount, 1,
                                  memory_order_acq_rel) == 1) {
        flow_free(pl, pf, false);
    }
}

/* Moves flows whose last megaflow reference went away into the queue. */
static void
drain_unreffed(struct ft_pipeline *pl)
{
    struct pl_flow *pf;

    /* A plain load first: the stack is nearly always empty. */
    while (atomic_load_explicit(&pl->unreffed, memory_order_relaxed)
           && (pf = atomic_exchange_explicit(&pl->unreffed, NULL,
                                             memory_order_acquire))) {
        while (pf) {
            struct pl_flow *next = pf->unref_next;
            gc_push(pl, pf, PL_GC_FREE, gc_token(pl));
            pf = next;
        }
    }
}

/* Runs every queued step whose grace period has passed (all of them
 * without a qsbr). Removals from one table are published once. */
static void
gc_run(struct ft_pipeline *pl)
{
    uint64_t deferred[(FT_N_TABLES + 63) / 64] = { 0 };
    uint8_t deferred_ids[FT_N_TABLES];
    unsigned int n_deferred = 0;

    drain_unreffed(pl);
    while (pl->gc_head && gc_passed(pl, pl->gc_head->gc_token)) {
        struct pl_flow *pf = pl->gc_head;
        pl->gc_head = pf->gc_next;
        if (!pl->gc_head) {
            pl->gc_tail = NULL;
        }
        enum pl_gc_stage stage = pf->gc_stage;
        pf->gc_stage = PL_GC_NONE;

        switch (stage) {
        case PL_GC_UNLINK: {
            uint8_t t = pf->f.table_id;
            struct ft_cls *cls = pl_table_cls(pl, t);
            if (!(deferred[t / 64] & (UINT64_C(1) << (t % 64)))) {
                deferred[t / 64] |= UINT64_C(1) << (t % 64);
                deferred_ids[n_deferred++] = t;
                ft_cls_defer(cls);
            }
            ft_cls_remove(cls, &pf->f.cr);
            pf->linked = false;
            gc_push(pl, pf, PL_GC_RELEASE, gc_token(pl));
            break;
        }
        case PL_GC_RELEASE:
            flow_release(pl, pf);
            break;
        case PL_GC_FREE:
            flow_free(pl, pf, false);
            break;
        case PL_GC_NONE:
            break;
        }
        /* A free may have dropped the last reference of a replacement. */
        drain_unreffed(pl);
    }
    for (unsigned int i = 0; i < n_deferred; i++) {
        ft_cls_publish(pl_table_cls(pl, deferred_ids[i]));
    }
}

/* ---- timeout heap ---------------------------------------------------------- */

int64_t
pl_flow_deadline(const struct pl_flow *pf, uint8_t *reason)
{
    int64_t at = INT64_MAX;

    *reason = PL_NO_REASON;
    if (pf->f.hard_timeout) {
        at = pf->f.hard_base_ms + (int64_t) pf->f.hard_timeout * 1000;
        *reason = FT_OFPRR_HARD_TIMEOUT;
    }
    if (pf->f.idle_timeout) {
        int64_t used = atomic_load_explicit(&pf->f.used_ms,
                                            memory_order_relaxed);
        int64_t idle_at = used + (int64_t) pf->f.idle_timeout * 1000;
        if (idle_at < at) {
            at = idle_at;
            *reason = FT_OFPRR_IDLE_TIMEOUT;
        }
    }
    return at;
}

static void
heap_set(struct ft_pipeline *pl, uint32_t i, struct pl_flow *pf)
{
    pl->heap[i] = pf;
    pf->heap_idx = i;
}

static void
heap_sift_up(struct ft_pipeline *pl, uint32_t i)
{
    struct pl_flow *pf = pl->heap[i];
    while (i) {
        uint32_t parent = (i - 1) / 2;
        if (pl->heap[parent]->timer_at <= pf->timer_at) {
            break;
        }
        heap_set(pl, i, pl->heap[parent]);
        i = parent;
    }
    heap_set(pl, i, pf);
}

static void
heap_sift_down(struct ft_pipeline *pl, uint32_t i)
{
    struct pl_flow *pf = pl->heap[i];
    for (;;) {
        uint32_t c = 2 * i + 1;
        if (c >= pl->heap_n) {
            break;
        }
        if (c + 1 < pl->heap_n
            && pl->heap[c + 1]->timer_at < pl->heap[c]->timer_at) {
            c++;
        }
        if (pf->timer_at <= pl->heap[c]->timer_at) {
            break;
        }
        heap_set(pl, i, pl->heap[c]);
        i = c;
    }
    heap_set(pl, i, pf);
}

/* Room for 'n' entries on the heap. */
static int
heap_reserve(struct ft_pipeline *pl, uint32_t n)
{
    if (n <= pl->heap_cap) {
        return 0;
    }
    uint32_t cap = MAX(n, pl->heap_cap ? pl->heap_cap * 2 : 64);
    struct pl_flow **h = realloc(pl->heap, cap * sizeof *h);
    if (!h) {
        return -ENOMEM;
    }
    pl->heap = h;
    pl->heap_cap = cap;
    return 0;
}

void
pl_heap_remove(struct ft_pipeline *pl, struct pl_flow *pf)
{
    uint32_t i = pf->heap_idx;
    if (i == PL_HEAP_NONE) {
        return;
    }
    pf->heap_idx = PL_HEAP_NONE;
    struct pl_flow *last = pl->heap[--pl->heap_n];
    if (last != pf) {
        heap_set(pl, i, last);
        heap_sift_up(pl, i);
        heap_sift_down(pl, last->heap_idx);
    }
}

/* (Re)keys 'pf' by its current deadline; adding needs reserved room (the
 * transaction reserves it when it inserts an entry with a timeout). */
void
pl_heap_update(struct ft_pipeline *pl, struct pl_flow *pf)
{
    uint8_t reason;
    int64_t at = pl_flow_deadline(pf, &reason);

    if (at == INT64_MAX) {
        pl_heap_remove(pl, pf);
        return;
    }
    if (pf->heap_idx == PL_HEAP_NONE) {
        if (heap_reserve(pl, pl->heap_n + 1)) {
            return;         /* not reached: room was reserved on insert */
        }
        pf->timer_at = at;
        heap_set(pl, pl->heap_n++, pf);
        heap_sift_up(pl, pf->heap_idx);
        return;
    }
    int64_t old = pf->timer_at;
    pf->timer_at = at;
    if (at < old) {
        heap_sift_up(pl, pf->heap_idx);
    } else {
        heap_sift_down(pl, pf->heap_idx);
    }
}

/* ---- transactions ---------------------------------------------------------- */

void
ft_pipeline_begin(struct ft_pipeline *pl)
{
    if (pl->in_txn) {
        return;                     /* already open: mods join it */
    }
    pl->in_txn = true;
    pl->txn_version = atomic_load_explicit(&pl->version,
                                           memory_order_relaxed) + 1;
    pl->txn_timed = 0;
}

struct ft_cls *
pl_table_for_write(struct ft_pipeline *pl, uint8_t table_id, bool create)
{
    struct pl_table *t = &pl->tables[table_id];
    struct ft_cls *cls = pl_table_cls(pl, table_id);

    if (!cls) {
        if (!create) {
            return NULL;
        }
        cls = ft_cls_create(pl->qsbr);
        if (!cls) {
            return NULL;
        }
        atomic_store_explicit(&t->cls, cls, memory_order_release);
    }
    if (!t->touched) {
        ft_cls_defer(cls);
        t->touched = true;
        pl->touched[pl->n_touched++] = table_id;
    }
    return cls;
}

int
pl_log_reserve(struct ft_pipeline *pl, size_t n)
{
    if (pl->log_cap - pl->n_log >= n) {
        return 0;
    }
    size_t cap = MAX(pl->log_cap * 2, pl->n_log + n);
    cap = MAX(cap, (size_t) 64);
    struct pl_undo *log = realloc(pl->log, cap * sizeof *log);
    if (!log) {
        return -ENOMEM;
    }
    pl->log = log;
    pl->log_cap = cap;
    return 0;
}

static void
count_flow(struct pl_table *t, const struct pl_flow *pf, int delta)
{
    t->n_flows += (uint32_t) delta;
    if (pf->uses_group) {
        t->n_group_users += (uint32_t) delta;
    }
    if (pf->f.meter) {
        t->n_meter_users += (uint32_t) delta;
    }
}

int
pl_insert(struct ft_pipeline *pl, struct pl_flow *pf)
{
    bool timed = pf->f.idle_timeout || pf->f.hard_timeout;
    if (timed && heap_reserve(pl, pl->heap_n + pl->txn_timed + 1)) {
        return -ENOMEM;
    }
    struct ft_cls *cls = pl_table_for_write(pl, pf->f.table_id, true);
    if (!cls || ft_cls_insert(cls, &pf->f.cr, pl->txn_version)) {
        return -ENOMEM;
    }
    pl->txn_timed += timed;
    pf->linked = true;
    count_flow(&pl->tables[pf->f.table_id], pf, 1);
    pl->log[pl->n_log++] = (struct pl_undo) {
        .flow = pf, .kind = PL_UNDO_INSERT, .reason = PL_NO_REASON,
    };
    return 0;
}

void
pl_retire(struct ft_pipeline *pl, struct pl_flow *pf,
          struct pl_flow *replacement, bool carry_counters, uint8_t reason,
          int64_t now_ms)
{
    struct ft_cls *cls = pl_table_for_write(pl, pf->f.table_id, false);

    ft_cls_retire(cls, &pf->f.cr, pl->txn_version);
    count_flow(&pl->tables[pf->f.table_id], pf, -1);
    pl->log[pl->n_log++] = (struct pl_undo) {
        .flow = pf, .replacement = replacement, .now_ms = now_ms,
        .kind = PL_UNDO_RETIRE, .reason = reason,
        .carry_counters = carry_counters,
    };
}

void
pl_undo_to(struct ft_pipeline *pl, size_t mark)
{
    while (pl->n_log > mark) {
        const struct pl_undo *u = &pl->log[--pl->n_log];
        struct pl_flow *pf = u->flow;
        struct ft_cls *cls = pl_table_cls(pl, pf->f.table_id);
        struct pl_table *t = &pl->tables[pf->f.table_id];

        if (u->kind == PL_UNDO_INSERT) {
            /* Never visible, but a reader may be walking past it. */
            ft_cls_remove(cls, &pf->f.cr);
            pf->linked = false;
            count_flow(t, pf, -1);
            gc_push(pl, pf, PL_GC_RELEASE, gc_token(pl));
        } else {
            ft_cls_unretire(cls, &pf->f.cr);
            count_flow(t, pf, 1);
        }
    }
}

/* Ends the deferral of every touched table; with 'counts', the committed
 * entry counts follow the writer's. */
static void
publish_touched(struct ft_pipeline *pl, bool counts)
{
    for (unsigned int i = 0; i < pl->n_touched; i++) {
        struct pl_table *t = &pl->tables[pl->touched[i]];
        ft_cls_publish(pl_table_cls(pl, pl->touched[i]));
        if (counts) {
            atomic_store_explicit(&t->n_active, t->n_flows,
                                  memory_order_relaxed);
        }
        t->touched = false;
    }
    pl->n_touched = 0;
}

/* MODIFY / ADD-replace: 'old' hands its stats to 'new', and late credits
 * to 'old' follow replaced_by (which holds a reference on 'new'). */
static void
hand_over(struct pl_flow *old, struct pl_flow *new, bool counters)
{
    ft_flow_ref(&new->f);
    __atomic_store_n(&old->f.replaced_by, &new->f, __ATOMIC_RELEASE);

    uint64_t p = atomic_exchange_explicit(&old->f.n_packets, 0,
                                          memory_order_relaxed);
    uint64_t b = atomic_exchange_explicit(&old->f.n_bytes, 0,
                                          memory_order_relaxed);
    if (counters) {
        atomic_fetch_add_explicit(&new->f.n_packets, p,
                                  memory_order_relaxed);
        atomic_fetch_add_explicit(&new->f.n_bytes, b, memory_order_relaxed);
    }
    int64_t used = atomic_load_explicit(&old->f.used_ms,
                                        memory_order_relaxed);
    int64_t cur = atomic_load_explicit(&new->f.used_ms, memory_order_relaxed);
    while (used > cur
           && !atomic_compare_exchange_weak_explicit(
                  &new->f.used_ms, &cur, used, memory_order_relaxed,
                  memory_order_relaxed)) {
        continue;
    }
}

static void
commit_entry(struct ft_pipeline *pl, const struct pl_undo *u,
             uint64_t token)
{
    struct pl_flow *pf = u->flow;

    if (u->kind == PL_UNDO_INSERT) {
        if (pf->f.idle_timeout || pf->f.hard_timeout) {
            pl_heap_update(pl, pf);
        }
        return;
    }
    if (u->replacement) {
        hand_over(pf, u->replacement, u->carry_counters);
    } else if (u->reason != PL_NO_REASON
               && (pf->f.flags & FT_OFPFF_SEND_FLOW_REM)
               && pl->flow_removed_cb) {
        pl->flow_removed_cb(&pf->f, u->reason, u->now_ms,
                            pl->flow_removed_aux);
    }
    atomic_store_explicit(&pf->dead, true, memory_order_relaxed);
    pl_heap_remove(pl, pf);
    gc_push(pl, pf, PL_GC_UNLINK, token);
}

void
ft_pipeline_commit(struct ft_pipeline *pl)
{
    if (!pl->in_txn) {
        return;
    }
    pl->in_txn = false;
    if (!pl->n_log) {
        publish_touched(pl, false);
        return;
    }
    publish_touched(pl, true);
    atomic_store_explicit(&pl->version, pl->txn_version,
                          memory_order_release);
    pl_bump_generation(pl);

    /* Taken after the store: the grace period it starts covers every
     * reader that could have loaded the old version. */
    uint64_t token = gc_token(pl);
    for (size_t i = 0; i < pl->n_log; i++) {
        commit_entry(pl, &pl->log[i], token);
    }
    pl->n_log = 0;
    gc_run(pl);
}

void
ft_pipeline_abort(struct ft_pipeline *pl)
{
    if (!pl->in_txn) {
        return;
    }
    pl_undo_to(pl, 0);
    publish_touched(pl, false);
    pl->in_txn = false;
    gc_run(pl);
}

ft_cls_version_t
ft_pipeline_version(const struct ft_pipeline *pl)
{
    return atomic_load_explicit(&pl->version, memory_order_acquire);
}

uint64_t
ft_pipeline_generation(const struct ft_pipeline *pl)
{
    return atomic_load_explicit(&pl->generation, memory_order_acquire);
}

/* ---- creation and configuration ------------------------------------------- */

struct ft_pipeline *
ft_pipeline_create(const struct ft_pipeline_config *cfg)
{
    unsigned int n_tables = cfg->n_tables ? cfg->n_tables : FT_N_TABLES;
    if (n_tables > FT_N_TABLES) {
        errno = EINVAL;
        return NULL;
    }
    struct ft_pipeline *pl = calloc(1, sizeof *pl
                                       + n_tables * sizeof pl->tables[0]);
    struct ft_port_map *map = calloc(1, sizeof *map);
    if (!pl || !map) {
        free(pl);
        free(map);
        errno = ENOMEM;
        return NULL;
    }
    pl->n_tables = (uint8_t) n_tables;
    pl->qsbr = cfg->qsbr;
    pl->max_flows_per_table = cfg->max_flows_per_table;
    atomic_init(&pl->switch_config, PL_DEFAULT_MISS_SEND_LEN);
    atomic_init(&pl->ports, map);
    for (unsigned int i = 0; i < n_tables; i++) {
        atomic_init(&pl->tables[i].miss, FT_TABLE_MISS_DROP);
    }

    pl->groups = ft_group_table_create(cfg->max_groups, cfg->qsbr,
                                       port_live, pl);
    if (!pl->groups) {
        goto error;
    }
    pl->meters = ft_meter_table_create(cfg->max_meters, cfg->qsbr);
    if (!pl->meters) {
        goto error;
    }
    pl->xlate_state = ft_xlate_state_create(cfg->qsbr);
    if (!pl->xlate_state) {
        goto error;
    }
    return pl;

error: {
        int err = errno ? errno : ENOMEM;
        ft_pipeline_destroy(pl);
        errno = err;
        return NULL;
    }
}

void
ft_pipeline_destroy(struct ft_pipeline *pl)
{
    if (!pl) {
        return;
    }
    ft_pipeline_abort(pl);
    if (pl->xlate_state) {
        ft_xlate_state_destroy(pl->xlate_state);
    }
    /* Every flow, whatever its stage and whoever still references it (no
     * reader may run any more). */
    while (pl->all) {
        flow_free(pl, pl->all, true);
    }
    for (unsigned int i = 0; i < pl->n_tables; i++) {
        ft_cls_destroy(pl_table_cls(pl, (uint8_t) i));
    }
    if (pl->groups) {
        ft_group_table_destroy(pl->groups);
    }
    if (pl->meters) {
        ft_meter_table_destroy(pl->meters);
    }
    for (size_t i = 0; i < pl->n_old_maps; i++) {
        free(pl->old_maps[i].map);
    }
    free(pl->old_maps);
    free(atomic_load_explicit(&pl->ports, memory_order_relaxed));
    free(pl->heap);
    free(pl->log);
    free(pl);
}

void
ft_pipeline_set_flow_removed_cb(struct ft_pipeline *pl,
                                ft_flow_removed_cb *cb, void *aux)
{
    pl->flow_removed_cb = cb;
    pl->flow_removed_aux = aux;
}

void
ft_pipeline_set_switch_config(struct ft_pipeline *pl,
                              const struct ft_switch_config *sc)
{
    uint32_t packed = (uint32_t) sc->flags << 16 | sc->miss_send_len;
    atomic_store_explicit(&pl->switch_config, packed, memory_order_release);
    pl_bump_generation(pl);
}

struct ft_switch_config
ft_pipeline_read_switch_config(const struct ft_pipeline *pl)
{
    uint32_t packed = atomic_load_explicit(&pl->switch_config,
                                           memory_order_acquire);
    return (struct ft_switch_config) {
        .flags = (uint16_t) (packed >> 16),
        .miss_send_len = (uint16_t) packed,
    };
}

void
ft_pipeline_get_switch_config(const struct ft_pipeline *pl,
                              struct ft_switch_config *sc)
{
    *sc = ft_pipeline_read_switch_config(pl);
}

int
ft_pipeline_set_table_miss(struct ft_pipeline *pl, uint8_t table_id,
                           enum ft_table_miss miss)
{
    if (table_id >= pl->n_tables || (unsigned int) miss
                                    > FT_TABLE_MISS_CONTINUE) {
        return -EINVAL;
    }
    atomic_store_explicit(&pl->tables[table_id].miss, (uint8_t) miss,
                          memory_order_release);
    pl_bump_generation(pl);
    return 0;
}

enum ft_table_miss
ft_pipeline_get_table_miss(const struct ft_pipeline *pl, uint8_t table_id)
{
    if (table_id >= pl->n_tables) {
        return FT_TABLE_MISS_DROP;
    }
    return (enum ft_table_miss) atomic_load_explicit(
        &pl->tables[table_id].miss, memory_order_acquire);
}

uint8_t
ft_pipeline_n_tables(const struct ft_pipeline *pl)
{
    return pl->n_tables;
}

void
ft_pipeline_set_normal(struct ft_pipeline *pl,
                       const struct ft_normal_ports *ports,
                       struct ft_mac_table *mac)
{
    atomic_store_explicit(&pl->normal_ports, ports, memory_order_release);
    atomic_store_explicit(&pl->mac, mac, memory_order_release);
    pl_bump_generation(pl);
}

void
ft_pipeline_get_normal(const struct ft_pipeline *pl,
                       const struct ft_normal_ports **ports,
                       struct ft_mac_table **mac)
{
    *ports = atomic_load_explicit(&pl->normal_ports, memory_order_acquire);
    *mac = atomic_load_explicit(&pl->mac, memory_order_acquire);
}

struct ft_group_table *
ft_pipeline_groups(struct ft_pipeline *pl)
{
    return pl->groups;
}

struct ft_meter_table *
ft_pipeline_meters(struct ft_pipeline *pl)
{
    return pl->meters;
}

/* ---- reader side (ft_pipeline_private.h) ------------------------------------ */

ft_cls_version_t
ft_pipeline_read_version(const struct ft_pipeline *pl)
{
    return atomic_load_explicit(&pl->version, memory_order_acquire);
}

struct ft_flow *
ft_pipeline_lookup(const struct ft_pipeline *pl, uint8_t table_id,
                   const struct ft_key *key, ft_cls_version_t version,
                   struct ft_mask *wc)
{
    if (table_id >= pl->n_tables) {
        return NULL;
    }
    const struct ft_cls *cls = atomic_load_explicit(&pl->tables[table_id].cls,
                                                    memory_order_acquire);
    if (!cls) {
        return NULL;
    }
    const struct ft_cls_rule *rule = ft_cls_lookup(cls, key, version, wc);
    return rule ? CONTAINER_OF(rule, struct ft_flow, cr) : NULL;
}

void
ft_pipeline_count_xlate_error(struct ft_pipeline *pl)
{
    atomic_fetch_add_explicit(&pl->xlate_errors, 1, memory_order_relaxed);
}

uint64_t
ft_pipeline_xlate_errors(const struct ft_pipeline *pl)
{
    return atomic_load_explicit(&pl->xlate_errors, memory_order_relaxed);
}

struct ft_xlate_state *
ft_pipeline_xlate_state(const struct ft_pipeline *pl)
{
    return pl->xlate_state;
}

struct rte_rcu_qsbr *
ft_pipeline_qsbr(const struct ft_pipeline *pl)
{
    return pl->qsbr;
}

/* ---- upkeep -------------------------------------------------------------------- */

void
ft_pipeline_reclaim(struct ft_pipeline *pl)
{
    gc_run(pl);
    reclaim_old_maps(pl);
    for (unsigned int i = 0; i < pl->n_tables; i++) {
        struct ft_cls *cls = pl_table_cls(pl, (uint8_t) i);
        if (cls && pl->qsbr) {
            ft_cls_reclaim(cls);
        }
    }
    ft_group_reclaim(pl->groups);
    ft_meter_reclaim(pl->meters);
    ft_xlate_state_reclaim(pl->xlate_state);
}
