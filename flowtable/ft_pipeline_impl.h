/*
 * ft_pipeline_impl.h — the pipeline's insides, shared by its own source
 * files only: ft_pipeline.c (tables, versions and transactions, flow entry
 * lifetime, port map, config, the reader side) and ft_pipeline_flowmod.c
 * (FLOW_MOD / GROUP_MOD / METER_MOD semantics, timeouts, flow and table
 * stats). Nothing outside those two files includes it; xlate reaches the
 * pipeline through ft_pipeline_private.h.
 *
 * Flow entry lifetime (struct pl_flow, one allocation with its actions)
 * -------------------------------------------------------------------------
 *  1. Created by a flow mod and inserted into its table's classifier at
 *     the transaction's version (txn_version = committed version + 1), so
 *     readers cannot see it before ft_pipeline_commit() publishes that
 *     version. An undo-log entry (INSERT) lets abort remove it.
 *  2. Removed or replaced: retired in the classifier at txn_version (log
 *     entry RETIRE, with the replacement for MODIFY / ADD-replace). At
 *     commit it is marked dead, its FLOW_REMOVED is reported, and it enters
 *     the grace-period queue.
 *  3. GC_UNLINK: once no reader can still use the old version (one grace
 *     period after the commit published the new one) it is physically
 *     removed from the classifier (ft_cls_remove).
 *  4. GC_RELEASE: one more grace period later (a reader may have been
 *     walking the classifier's rule list through it) the pipeline drops
 *     its own reference. The last reference frees it: at once if that was
 *     the pipeline's; if it was a megaflow's (ft_flow_unref, any thread),
 *     the flow is pushed on a lock-free stack that the main thread drains
 *     into GC_FREE, one more grace period, because a thread crediting
 *     through another cached pointer may still be touching it.
 * 'refcount' starts at 1: the pipeline's own reference, held from creation
 * to step 4. With no qsbr every grace period is empty and steps 2-4 happen
 * at commit.
 *
 * Everything here is main-thread only except what is marked atomic.
 */
#ifndef VSWITCH_FLOWTABLE_FT_PIPELINE_IMPL_H
#define VSWITCH_FLOWTABLE_FT_PIPELINE_IMPL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "ft_pipeline_private.h"

#define PL_NO_REASON 0xff           /* retired without FLOW_REMOVED */
#define PL_HEAP_NONE UINT32_MAX     /* pl_flow.heap_idx: not on the heap */
#define PL_DEFAULT_MISS_SEND_LEN 128 /* OFP_DEFAULT_MISS_SEND_LEN */

enum pl_gc_stage {
    PL_GC_NONE,
    PL_GC_UNLINK,                   /* next: ft_cls_remove */
    PL_GC_RELEASE,                  /* next: drop the pipeline's reference */
    PL_GC_FREE,                     /* next: free (refcount already 0) */
};

struct pl_flow {
    struct ft_flow f;               /* first: ft_flow <-> pl_flow casts */
    struct ft_flow_actions acts;    /* f.actions points here */
    uint64_t seq;                   /* creation order: stats tie-break */
    int64_t timer_at;               /* heap key: earliest possible expiry */
    uint32_t heap_idx;              /* PL_HEAP_NONE when not on the heap */
    _Atomic bool dead;              /* removed or replaced, committed */
    bool linked;                    /* in its table's classifier */
    bool uses_group;                /* some GROUP action (group deletes) */
    uint8_t gc_stage;               /* enum pl_gc_stage */
    uint64_t gc_token;              /* rte_rcu_qsbr_start() for the stage */
    struct pl_flow *gc_next;        /* grace-period FIFO */
    struct pl_flow *unref_next;     /* lock-free "last unref" stack */
    struct pl_flow *all_prev, *all_next;  /* every flow not yet freed */
    struct ft_action storage[];     /* apply actions, then write actions */
};

static inline struct pl_flow *
pl_flow_cast(const struct ft_flow *f)
{
    return (struct pl_flow *) (uintptr_t) f;
}

struct pl_table {
    _Atomic(struct ft_cls *) cls;   /* created on first insert */
    _Atomic uint8_t miss;           /* enum ft_table_miss */
    bool touched;                   /* written in the open transaction */
    uint32_t n_flows;               /* entries at txn_version (writer) */
    uint32_t n_group_users;         /* of those, entries with GROUP */
    uint32_t n_meter_users;         /* of those, entries with METER */
    _Atomic uint32_t n_active;      /* entries at the committed version */
    _Atomic uint64_t lookups;
    _Atomic uint64_t matched;
};

enum pl_undo_kind {
    PL_UNDO_INSERT,
    PL_UNDO_RETIRE,
};

/* One change of the open transaction: how to undo it, and what commit
 * still has to do for it (FLOW_REMOVED, stats hand-over, timers). */
struct pl_undo {
    struct pl_flow *flow;
    struct pl_flow *replacement;    /* RETIRE by MODIFY / ADD-replace */
    int64_t now_ms;                 /* time of the mod (FLOW_REMOVED) */
    uint8_t kind;                   /* enum pl_undo_kind */
    uint8_t reason;                 /* FT_OFPRR_* or PL_NO_REASON */
    bool carry_counters;            /* replacement takes the counters */
};

struct pl_old_map {
    uint64_t token;
    struct ft_port_map *map;
};

struct ft_pipeline {
    /* Read by readers (xlate), written by main. */
    _Atomic ft_cls_version_t version;   /* committed */
    _Atomic uint64_t generation;
    _Atomic uint32_t switch_config;     /* flags << 16 | miss_send_len */
    _Atomic(struct ft_port_map *) ports;
    _Atomic(const struct ft_normal_ports *) normal_ports;
    _Atomic(struct ft_mac_table *) mac;
    _Atomic uint64_t xlate_errors;
    uint8_t n_tables;
    struct rte_rcu_qsbr *qsbr;
    struct ft_group_table *groups;
    struct ft_meter_table *meters;
    struct ft_xlate_state *xlate_state;
    _Atomic(struct pl_flow *) unreffed; /* lock-free stack (any thread) */

    /* Main thread only. */
    uint32_t max_flows_per_table;
    ft_flow_removed_cb *flow_removed_cb;
    void *flow_removed_aux;

    bool in_txn;
    ft_cls_version_t txn_version;
    uint32_t txn_timed;                 /* heap room reserved by the txn */
    uint8_t touched[FT_N_TABLES];       /* tables deferred by the txn */
    unsigned int n_touched;
    struct pl_undo *log;
    size_t n_log, log_cap;

    uint64_t next_seq;
    struct pl_flow *all;                /* every flow not yet freed */
    struct pl_flow *gc_head, *gc_tail;  /* grace-period FIFO */

    struct pl_flow **heap;              /* timeouts: min-heap on timer_at */
    uint32_t heap_n, heap_cap;

    struct pl_old_map *old_maps;        /* port maps awaiting a grace */
    size_t n_old_maps, old_maps_cap;

    struct pl_table tables[];           /* n_tables */
};

/* A growable array of flows (collecting the targets of a mod). */
struct pl_flow_vec {
    struct pl_flow **p;
    size_t n, cap;
};

/* ---- ft_pipeline.c, for ft_pipeline_flowmod.c --------------------------- */

/* The table's classifier for writing in the open transaction: created if
 * 'create' and absent (NULL on ENOMEM, or when absent and !create), and
 * deferred (ft_cls_defer) until commit/abort. */
struct ft_cls *pl_table_for_write(struct ft_pipeline *, uint8_t table_id,
                                  bool create);
static inline struct ft_cls *
pl_table_cls(const struct ft_pipeline *pl, uint8_t table_id)
{
    return atomic_load_explicit(&pl->tables[table_id].cls,
                                memory_order_relaxed);
}

/* Room for 'n' more undo entries (0 or -ENOMEM), so that a mod never fails
 * half-way for want of log space. */
int pl_log_reserve(struct ft_pipeline *, size_t n);
/* Inserts 'pf' (not yet linked) into its table at txn_version and logs it;
 * 0 or -ENOMEM (then nothing changed). The log must have room. */
int pl_insert(struct ft_pipeline *, struct pl_flow *pf);
/* Retires 'pf' at txn_version and logs it (reason FT_OFPRR_* or
 * PL_NO_REASON; 'replacement' for replace). The log must have room. */
void pl_retire(struct ft_pipeline *, struct pl_flow *pf,
               struct pl_flow *replacement, bool carry_counters,
               uint8_t reason, int64_t now_ms);
/* Undoes the open transaction's entries from log index 'mark' on. */
void pl_undo_to(struct ft_pipeline *, size_t mark);

/* A new, unlinked flow of 'table_id' with a private copy of 'insts' (GROUP
 * actions resolved and referenced) and 'meter' (a reference the flow takes
 * over; may be NULL). NULL when out of memory or a group disappeared (then
 * *err says which). */
struct pl_flow *pl_flow_create(struct ft_pipeline *, uint8_t table_id,
                               const struct ft_match *match,
                               uint16_t priority,
                               const struct ft_insts *insts,
                               struct ft_meter *meter,
                               struct ft_ofperr *err);
/* Frees a flow that was never inserted (drops its group/meter refs). */
void pl_flow_discard(struct ft_pipeline *, struct pl_flow *pf);

/* Timeout heap. */
void pl_heap_update(struct ft_pipeline *, struct pl_flow *pf);
void pl_heap_remove(struct ft_pipeline *, struct pl_flow *pf);
/* The earliest time 'pf' may expire (INT64_MAX: never). */
int64_t pl_flow_deadline(const struct pl_flow *pf, uint8_t *reason);

void pl_bump_generation(struct ft_pipeline *);

int pl_flow_vec_push(struct pl_flow_vec *, struct pl_flow *);
static inline void
pl_flow_vec_free(struct pl_flow_vec *v)
{
    free(v->p);
    v->p = NULL;
    v->n = v->cap = 0;
}

#endif
