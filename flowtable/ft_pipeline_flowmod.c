/*
 * ft_pipeline_flowmod.c — what the controller's messages mean for the
 * pipeline (ft_pipeline.h): FLOW_MOD validation and its five commands,
 * GROUP_MOD and METER_MOD with the removal of the flows a deleted group or
 * meter leaves dangling, timeouts, and the flow and table stats queries.
 * The transaction, lifetime and heap machinery it builds on is in
 * ft_pipeline.c (ft_pipeline_impl.h).
 *
 * Every FLOW_MOD first collects its targets and reserves what it needs
 * (undo-log room, the new entries), so that a failure leaves nothing
 * changed; only then does it insert and retire, in the open transaction.
 * Validation runs in the order the errors are documented in ft_pipeline.h:
 * command, table, flags, then the instructions (goto, meter, apply and
 * write actions), then TABLE_FULL, then OVERLAP. Every table writes all 64
 * metadata bits, so UNSUP_METADATA_MASK never arises.
 *
 * Main thread only, except ft_pipeline_credit_table() (any thread).
 */
#include "ft_pipeline_impl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lib/util.h"

#define NS_PER_MS 1000000ull

static uint64_t
ms_to_ns(int64_t ms)
{
    return ms > 0 ? (uint64_t) ms * NS_PER_MS : 0;
}

static bool
ofperr_ok(struct ft_ofperr e)
{
    return ft_ofperr_is_ok(e);
}

/* ---- filters: cookie, out_port, out_group ------------------------------- */

struct pl_filter {
    uint64_t cookie, cookie_mask;
    uint32_t out_port;              /* FT_OFPP_ANY: none */
    uint32_t out_group;             /* FT_OFPG_ANY: none */
};

static bool
filter_admits(const struct pl_filter *f, const struct pl_flow *pf)
{
    const struct ft_insts *in = &pf->acts.insts;

    if ((pf->f.cookie ^ f->cookie) & f->cookie_mask) {
        return false;
    }
    if (f->out_port != FT_OFPP_ANY
        && !ft_action_list_has_output(&in->apply, f->out_port)
        && !ft_action_list_has_output(&in->write, f->out_port)) {
        return false;
    }
    if (f->out_group != FT_OFPG_ANY
        && !ft_action_list_has_group(&in->apply, f->out_group)
        && !ft_action_list_has_group(&in->write, f->out_group)) {
        return false;
    }
    return true;
}

struct collect_ctx {
    const struct pl_filter *filter;
    struct pl_flow_vec *vec;
};

static int
collect_cb(struct ft_cls_rule *rule, void *aux)
{
    struct collect_ctx *c = aux;
    struct pl_flow *pf = CONTAINER_OF(rule, struct pl_flow, f.cr);

    if (!filter_admits(c->filter, pf)) {
        return 0;
    }
    return pl_flow_vec_push(c->vec, pf) ? -ENOMEM : 0;
}

/* Appends to 'vec' the entries of 'table_id' visible in 'version' that
 * OpenFlow's (non-)strict match selects and 'filter' admits. 0 or
 * -ENOMEM. */
static int
collect(struct ft_pipeline *pl, uint8_t table_id, bool strict,
        const struct ft_match *match, uint16_t priority,
        ft_cls_version_t version, const struct pl_filter *filter,
        struct pl_flow_vec *vec)
{
    struct ft_cls *cls = pl_table_cls(pl, table_id);
    struct collect_ctx c = { filter, vec };

    if (!cls) {
        return 0;
    }
    if (strict) {
        struct ft_cls_rule *rule = ft_cls_find_exactly(cls, match, priority,
                                                       version);
        return rule ? collect_cb(rule, &c) : 0;
    }
    return ft_cls_foreach(cls, match, version, collect_cb, &c);
}

/* ---- FLOW_MOD validation ------------------------------------------------- */

static bool
is_delete(uint8_t command)
{
    return command == FT_OFPFC_DELETE || command == FT_OFPFC_DELETE_STRICT;
}

static struct ft_ofperr
check_header(const struct ft_pipeline *pl, const struct ft_flow_mod *fm)
{
    if (fm->command > FT_OFPFC_DELETE_STRICT) {
        return FT_OFPERR(FLOW_MOD_FAILED, FT_OFPFMFC_BAD_COMMAND);
    }
    if (fm->table_id >= pl->n_tables
        && !(is_delete(fm->command) && fm->table_id == FT_OFPTT_ALL)) {
        return FT_OFPERR(FLOW_MOD_FAILED, FT_OFPFMFC_BAD_TABLE_ID);
    }
    if (fm->flags & ~FT_OFPFF_ALL) {
        return FT_OFPERR(FLOW_MOD_FAILED, FT_OFPFMFC_BAD_FLAGS);
    }
    return FT_OFPERR_OK;
}

/* Checks the instructions of an ADD / MODIFY. On success '*meter' holds a
 * reference on the METER instruction's meter (NULL without one), which
 * the caller drops when done; each new entry takes its own. */
static struct ft_ofperr
check_insts(struct ft_pipeline *pl, const struct ft_flow_mod *fm,
            struct ft_meter **meter)
{
    const struct ft_insts *in = &fm->insts;
    struct ft_ofperr err = FT_OFPERR_OK;

    *meter = NULL;
    if (in->goto_table != FT_NO_GOTO
        && (in->goto_table <= fm->table_id
            || in->goto_table >= pl->n_tables)) {
        return FT_OFPERR(BAD_INSTRUCTION, FT_OFPBIC_BAD_TABLE_ID);
    }
    if (in->meter_id) {
        *meter = ft_meter_ref(pl->meters, in->meter_id);
        if (!*meter) {
            return FT_OFPERR(METER_MOD_FAILED, FT_OFPMMFC_UNKNOWN_METER);
        }
    }

    struct ft_action_ctx ctx = {
        .match = &fm->match,
        .groups = pl->groups,
        .max_port = FT_OFPP_MAX,
    };
    if (in->has_apply) {
        err = ft_actions_check(&in->apply, &ctx);
    }
    if (ofperr_ok(err) && in->has_write) {
        ctx.action_set = true;
        err = ft_actions_check(&in->write, &ctx);
    }
    if (!ofperr_ok(err) && *meter) {
        ft_meter_unref(pl->meters, *meter);
        *meter = NULL;
    }
    return err;
}

/* A new entry with 'fm's instructions; 'meter' is the validation's
 * reference (the entry takes one of its own). */
static struct pl_flow *
new_entry(struct ft_pipeline *pl, const struct ft_flow_mod *fm,
          uint8_t table_id, const struct ft_match *match, uint16_t priority,
          struct ft_meter *meter, struct ft_ofperr *err)
{
    struct ft_meter *own = NULL;
    if (meter) {
        own = ft_meter_ref(pl->meters, fm->insts.meter_id);
    }
    struct pl_flow *pf = pl_flow_create(pl, table_id, match, priority,
                                        &fm->insts, own, err);
    if (!pf && own) {
        ft_meter_unref(pl->meters, own);
    }
    return pf;
}

/* ---- the commands ------------------------------------------------------------ */

static struct ft_ofperr
flow_add(struct ft_pipeline *pl, const struct ft_flow_mod *fm, int64_t now_ms,
         uint32_t *changed)
{
    struct ft_meter *meter;
    struct ft_ofperr err = check_insts(pl, fm, &meter);
    if (!ofperr_ok(err)) {
        return err;
    }

    const struct pl_table *t = &pl->tables[fm->table_id];
    struct ft_cls *cls = pl_table_cls(pl, fm->table_id);
    struct ft_cls_rule *old_rule = NULL;
    if (cls) {
        old_rule = ft_cls_find_exactly(cls, &fm->match, fm->priority,
                                       pl->txn_version);
    }
    struct pl_flow *old = old_rule ? CONTAINER_OF(old_rule, struct pl_flow,
                                                  f.cr) : NULL;
    struct pl_flow *pf = NULL;

    if (!old && pl->max_flows_per_table
        && t->n_flows >= pl->max_flows_per_table) {
        err = FT_OFPERR(FLOW_MOD_FAILED, FT_OFPFMFC_TABLE_FULL);
    } else if ((fm->flags & FT_OFPFF_CHECK_OVERLAP) && cls
               && ft_cls_overlaps(cls, &fm->match, fm->priority,
                                  pl->txn_version)) {
        err = FT_OFPERR(FLOW_MOD_FAILED, FT_OFPFMFC_OVERLAP);
    } else if (pl_log_reserve(pl, 2)) {
        err = FT_OFPERR(FLOW_MOD_FAILED, FT_OFPFMFC_UNKNOWN);
    } else {
        pf = new_entry(pl, fm, fm->table_id, &fm->match, fm->priority, meter,
                       &err);
    }
    if (pf) {
        pf->f.cookie = fm->cookie;
        pf->f.idle_timeout = fm->idle_timeout;
        pf->f.hard_timeout = fm->hard_timeout;
        pf->f.flags = fm->flags;
        pf->f.created_ms = pf->f.hard_base_ms = now_ms;
        atomic_store_explicit(&pf->f.used_ms, now_ms, memory_order_relaxed);
        if (old) {
            pf->seq = old->seq;     /* the same entry, for stats order */
        }
        if (pl_insert(pl, pf)) {
            pl_flow_discard(pl, pf);
            err = FT_OFPERR(FLOW_MOD_FAILED, FT_OFPFMFC_UNKNOWN);
        } else {
            if (old) {
                pl_retire(pl, old, pf,
                          !(fm->flags & FT_OFPFF_RESET_COUNTS),
                          PL_NO_REASON, now_ms);
            }
            *changed = 1;
        }
    }
    if (meter) {
        ft_meter_unref(pl->meters, meter);
    }
    return err;
}

static struct ft_ofperr
flow_modify(struct ft_pipeline *pl, const struct ft_flow_mod *fm,
            int64_t now_ms, uint32_t *changed)
{
    struct ft_meter *meter;
    struct ft_ofperr err = check_insts(pl, fm, &meter);
    if (!ofperr_ok(err)) {
        return err;
    }

    /* 1.3: out_port / out_group do not filter MODIFY. */
    const struct pl_filter filter = {
        fm->cookie, fm->cookie_mask, FT_OFPP_ANY, FT_OFPG_ANY
    };
    struct pl_flow_vec olds = { 0 }, news = { 0 };
    bool strict = fm->command == FT_OFPFC_MODIFY_STRICT;

    if (collect(pl, fm->table_id, strict, &fm->match, fm->priority,
                pl->txn_version, &filter, &olds)
        || pl_log_reserve(pl, 2 * olds.n)) {
        err = FT_OFPERR(FLOW_MOD_FAILED, FT_OFPFMFC_UNKNOWN);
        goto out;
    }

    /* Every new entry exists before anything changes. */
    for (size_t i = 0; i < olds.n; i++) {
        const struct pl_flow *old = olds.p[i];
        struct pl_flow *pf = new_entry(pl, fm, old->f.table_id,
                                       &old->f.cr.match,
                                       (uint16_t) old->f.cr.priority, meter,
                                       &err);
        if (!pf) {
            goto discard;
        }
        if (pl_flow_vec_push(&news, pf)) {
            pl_flow_discard(pl, pf);
            err = FT_OFPERR(FLOW_MOD_FAILED, FT_OFPFMFC_UNKNOWN);
            goto discard;
        }
        pf->f.cookie = old->f.cookie;
        pf->f.idle_timeout = old->f.idle_timeout;
        pf->f.hard_timeout = old->f.hard_timeout;
        pf->f.flags = old->f.flags;
        pf->f.created_ms = old->f.created_ms;
        pf->f.hard_base_ms = old->f.hard_base_ms;
        atomic_store_explicit(&pf->f.used_ms,
                              atomic_load_explicit(&old->f.used_ms,
                                                   memory_order_relaxed),
                              memory_order_relaxed);
        pf->seq = old->seq;
    }

    size_t mark = pl->n_log;
    bool carry = !(fm->flags & FT_OFPFF_RESET_COUNTS);
    for (size_t i = 0; i < olds.n; i++) {
        if (pl_insert(pl, news.p[i])) {
            /* Back out what this mod did; the rest was never linked. */
            pl_undo_to(pl, mark);
            memmove(news.p, news.p + i, (news.n - i) * sizeof news.p[0]);
            news.n -= i;
            err = FT_OFPERR(FLOW_MOD_FAILED, FT_OFPFMFC_UNKNOWN);
            goto discard;
        }
        pl_retire(pl, olds.p[i], news.p[i], carry, PL_NO_REASON, now_ms);
    }
    *changed = (uint32_t) olds.n;
    goto out;

discard:
    for (size_t i = 0; i < news.n; i++) {
        pl_flow_discard(pl, news.p[i]);
    }
out:
    pl_flow_vec_free(&olds);
    pl_flow_vec_free(&news);
    if (meter) {
        ft_meter_unref(pl->meters, meter);
    }
    return err;
}

static struct ft_ofperr
flow_delete(struct ft_pipeline *pl, const struct ft_flow_mod *fm,
            int64_t now_ms, uint32_t *changed)
{
    const struct pl_filter filter = {
        fm->cookie, fm->cookie_mask, fm->out_port, fm->out_group
    };
    bool strict = fm->command == FT_OFPFC_DELETE_STRICT;
    unsigned int first = fm->table_id, last = fm->table_id;
    struct pl_flow_vec targets = { 0 };
    struct ft_ofperr err = FT_OFPERR_OK;

    if (fm->table_id == FT_OFPTT_ALL) {
        first = 0;
        last = pl->n_tables - 1u;
    }
    for (unsigned int t = first; t <= last; t++) {
        if (collect(pl, (uint8_t) t, strict, &fm->match, fm->priority,
                    pl->txn_version, &filter, &targets)) {
            err = FT_OFPERR(FLOW_MOD_FAILED, FT_OFPFMFC_UNKNOWN);
            goto out;
        }
    }
    if (pl_log_reserve(pl, targets.n)) {
        err = FT_OFPERR(FLOW_MOD_FAILED, FT_OFPFMFC_UNKNOWN);
        goto out;
    }
    for (size_t i = 0; i < targets.n; i++) {
        pl_retire(pl, targets.p[i], NULL, false, FT_OFPRR_DELETE, now_ms);
    }
    *changed = (uint32_t) targets.n;
out:
    pl_flow_vec_free(&targets);
    return err;
}

struct ft_ofperr
ft_pipeline_flow_mod(struct ft_pipeline *pl, const struct ft_flow_mod *fm,
                     int64_t now_ms, uint32_t *n_changed)
{
    bool own_txn = !pl->in_txn;
    uint32_t changed = 0;

    if (own_txn) {
        ft_pipeline_begin(pl);
    }
    size_t mark = pl->n_log;
    struct ft_ofperr err = check_header(pl, fm);
    if (ofperr_ok(err)) {
        switch (fm->command) {
        case FT_OFPFC_ADD:
            err = flow_add(pl, fm, now_ms, &changed);
            break;
        case FT_OFPFC_MODIFY:
        case FT_OFPFC_MODIFY_STRICT:
            err = flow_modify(pl, fm, now_ms, &changed);
            break;
        default:
            err = flow_delete(pl, fm, now_ms, &changed);
            break;
        }
    }
    if (!ofperr_ok(err)) {
        pl_undo_to(pl, mark);
        changed = 0;
    }
    if (own_txn) {
        if (ofperr_ok(err)) {
            ft_pipeline_commit(pl);
        } else {
            ft_pipeline_abort(pl);
        }
    }
    if (n_changed) {
        *n_changed = changed;
    }
    return err;
}

/* ---- GROUP_MOD / METER_MOD ------------------------------------------------- */

/* Does 'list' use a group that is no longer the table's group of its id? */
static bool
list_has_stale_group(const struct ft_pipeline *pl,
                     const struct ft_action_list *list)
{
    for (uint32_t i = 0; i < list->n; i++) {
        const struct ft_action *a = &list->acts[i];
        if (a->type == FT_OFPAT_GROUP
            && ft_group_lookup(pl->groups, a->group.group_id)
               != a->group.group) {
            return true;
        }
    }
    return false;
}

struct stale_ctx {
    struct ft_pipeline *pl;
    bool groups;                    /* else meters */
    struct pl_flow_vec *vec;
};

static int
stale_cb(struct ft_cls_rule *rule, void *aux)
{
    struct stale_ctx *c = aux;
    struct pl_flow *pf = CONTAINER_OF(rule, struct pl_flow, f.cr);
    bool stale;

    if (c->groups) {
        stale = pf->uses_group
                && (list_has_stale_group(c->pl, &pf->acts.insts.apply)
                    || list_has_stale_group(c->pl, &pf->acts.insts.write));
    } else {
        stale = pf->f.meter
                && ft_meter_lookup(c->pl->meters, ft_meter_id(pf->f.meter))
                   != pf->f.meter;
    }
    return stale ? (pl_flow_vec_push(c->vec, pf) ? -ENOMEM : 0) : 0;
}

/* Removes, in a transaction of its own, every entry that uses a group
 * ('groups') or meter (!'groups') that was deleted: one whose pointer is
 * no longer what the table finds under its id. Only tables that hold
 * such users at all are scanned. */
static void
remove_stale_users(struct ft_pipeline *pl, bool groups, uint8_t reason,
                   int64_t now_ms)
{
    struct pl_flow_vec vec = { 0 };
    struct stale_ctx c = { pl, groups, &vec };

    ft_pipeline_begin(pl);
    for (unsigned int i = 0; i < pl->n_tables; i++) {
        const struct pl_table *t = &pl->tables[i];
        struct ft_cls *cls = pl_table_cls(pl, (uint8_t) i);
        if (cls && (groups ? t->n_group_users : t->n_meter_users)) {
            /* Out of memory leaves some users for a later delete; nothing
             * better can be done for a GROUP_MOD already applied. */
            ft_cls_foreach(cls, NULL, pl->txn_version, stale_cb, &c);
        }
    }
    for (size_t i = 0; i < vec.n && !pl_log_reserve(pl, 1); i++) {
        pl_retire(pl, vec.p[i], NULL, false, reason, now_ms);
    }
    ft_pipeline_commit(pl);
    pl_flow_vec_free(&vec);
}

struct ft_ofperr
ft_pipeline_group_mod(struct ft_pipeline *pl, const struct ft_group_mod *gm,
                      int64_t now_ms)
{
    /* Applied at once: a pending transaction would publish with it. */
    if (pl->in_txn) {
        return FT_OFPERR(GROUP_MOD_FAILED, FT_OFPGMFC_EPERM);
    }
    /* Only the count matters: stale users are found by id lookups. */
    struct ft_group *deleted[16];
    uint32_t n_deleted = 0;
    struct ft_ofperr err = ft_group_mod(pl->groups, gm, ms_to_ns(now_ms),
                                        deleted, ARRAY_SIZE(deleted),
                                        &n_deleted);
    if (!ofperr_ok(err)) {
        return err;
    }
    pl_bump_generation(pl);
    if (gm->command == FT_OFPGC_DELETE && n_deleted) {
        remove_stale_users(pl, true, FT_OFPRR_GROUP_DELETE, now_ms);
    }
    return FT_OFPERR_OK;
}

struct ft_ofperr
ft_pipeline_meter_mod(struct ft_pipeline *pl, const struct ft_meter_mod *mm,
                      int64_t now_ms)
{
    if (pl->in_txn) {
        return FT_OFPERR(METER_MOD_FAILED,
                         ft_meter_err_to_ofp(FT_METER_ERR_UNKNOWN));
    }
    enum ft_meter_err e = ft_meter_mod(pl->meters, mm, ms_to_ns(now_ms));
    if (e != FT_METER_OK) {
        return FT_OFPERR(METER_MOD_FAILED, ft_meter_err_to_ofp(e));
    }
    pl_bump_generation(pl);
    if (mm->command == FT_OFPMC_DELETE) {
        /* 1.3 has no METER_DELETE reason; Open vSwitch reports DELETE. */
        remove_stale_users(pl, false, FT_OFPRR_DELETE, now_ms);
    }
    return FT_OFPERR_OK;
}

/* ---- timeouts --------------------------------------------------------------- */

int64_t
ft_pipeline_expire(struct ft_pipeline *pl, int64_t now_ms)
{
    bool began = false;

    /* Expiry publishes what it removes: never inside someone's batch. */
    while (!pl->in_txn || began) {
        if (!pl->heap_n || pl->heap[0]->timer_at > now_ms) {
            break;
        }
        struct pl_flow *pf = pl->heap[0];
        uint8_t reason;
        if (pl_flow_deadline(pf, &reason) > now_ms) {
            pl_heap_update(pl, pf);         /* used since: re-key */
            continue;
        }
        if (!began) {
            ft_pipeline_begin(pl);
            began = true;
        }
        if (pl_log_reserve(pl, 1)) {
            break;                          /* the rest on the next call */
        }
        pl_heap_remove(pl, pf);
        pl_retire(pl, pf, NULL, false, reason, now_ms);
    }
    if (began) {
        ft_pipeline_commit(pl);
    }
    return pl->heap_n ? pl->heap[0]->timer_at : INT64_MAX;
}

/* ---- queries ------------------------------------------------------------------ */

static int
flow_order(const void *a_, const void *b_)
{
    const struct pl_flow *a = *(struct pl_flow *const *) a_;
    const struct pl_flow *b = *(struct pl_flow *const *) b_;

    if (a->f.cr.priority != b->f.cr.priority) {
        return a->f.cr.priority > b->f.cr.priority ? -1 : 1;
    }
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

int
ft_pipeline_foreach_flow(struct ft_pipeline *pl,
                         const struct ft_flow_filter *ff, ft_flow_cb *cb,
                         void *aux)
{
    const struct pl_filter filter = {
        ff->cookie, ff->cookie_mask, ff->out_port, ff->out_group
    };
    ft_cls_version_t version = ft_pipeline_version(pl);
    unsigned int first = ff->table_id, last = ff->table_id;
    struct pl_flow_vec vec = { 0 };
    int ret = 0;

    if (ff->table_id == FT_OFPTT_ALL) {
        first = 0;
        last = pl->n_tables - 1u;
    } else if (ff->table_id >= pl->n_tables) {
        return 0;
    }
    for (unsigned int t = first; t <= last && !ret; t++) {
        vec.n = 0;
        if (collect(pl, (uint8_t) t, ff->strict, &ff->match, ff->priority,
                    version, &filter, &vec)) {
            ret = -ENOMEM;
            break;
        }
        if (vec.n > 1) {
            qsort(vec.p, vec.n, sizeof vec.p[0], flow_order);
        }
        for (size_t i = 0; i < vec.n && !ret; i++) {
            ret = cb(&vec.p[i]->f, aux);
        }
    }
    pl_flow_vec_free(&vec);
    return ret;
}

void
ft_pipeline_table_stats(const struct ft_pipeline *pl, uint8_t table_id,
                        struct ft_table_stats *st)
{
    memset(st, 0, sizeof *st);
    st->table_id = table_id;
    if (table_id >= pl->n_tables) {
        return;
    }
    const struct pl_table *t = &pl->tables[table_id];
    st->active_count = atomic_load_explicit(&t->n_active,
                                            memory_order_relaxed);
    st->lookup_count = atomic_load_explicit(&t->lookups,
                                            memory_order_relaxed);
    st->matched_count = atomic_load_explicit(&t->matched,
                                             memory_order_relaxed);
}

void
ft_pipeline_credit_table(struct ft_pipeline *pl, uint8_t table_id,
                         uint64_t lookups, uint64_t matched)
{
    if (table_id >= pl->n_tables) {
        return;
    }
    struct pl_table *t = &pl->tables[table_id];
    atomic_fetch_add_explicit(&t->lookups, lookups, memory_order_relaxed);
    atomic_fetch_add_explicit(&t->matched, matched, memory_order_relaxed);
}
