/*
 * ft_pipeline.h — one OpenFlow 1.3 switch's pipeline: tables 0..253 of
 * flow entries, FLOW_MOD semantics, flow stats and timeouts, the bridge's
 * port map, and the group and meter tables it owns.
 *
 * What it is
 * ----------
 * Each table is a classifier (ft_classifier.h) of struct ft_flow entries.
 * ft_pipeline_flow_mod() applies ADD / MODIFY / MODIFY_STRICT / DELETE /
 * DELETE_STRICT with the spec's semantics:
 *  - ADD replaces an entry with the same match and priority: cookie,
 *    timeouts, flags and duration come from the new mod, the packet and
 *    byte counters carry over unless OFPFF_RESET_COUNTS (Open vSwitch's
 *    behaviour). With CHECK_OVERLAP it fails with OVERLAP when another
 *    entry of that priority overlaps (an identical one included).
 *  - MODIFY(_STRICT) replaces the instructions of every matching entry
 *    whose cookie agrees under cookie_mask; the entry keeps its cookie,
 *    timeouts, flags and counters (RESET_COUNTS in the mod clears them).
 *    Matching nothing is success (1.3 has no ADD fallback).
 *  - DELETE(_STRICT) removes matching entries filtered by cookie/mask and
 *    out_port / out_group (an entry qualifies if any of its apply or write
 *    actions outputs to out_port / uses out_group), sending FLOW_REMOVED
 *    (reason DELETE) for those with SEND_FLOW_REM. table_id OFPTT_ALL
 *    means every table.
 *  - Errors: BAD_TABLE_ID (FLOW_MOD_FAILED) for a table >= n_tables,
 *    TABLE_FULL, OVERLAP, BAD_FLAGS for unknown flag bits, METER_MOD_FAILED
 *    UNKNOWN_METER for a METER instruction naming a missing meter,
 *    BAD_INSTRUCTION BAD_TABLE_ID for a GOTO_TABLE that is not forward or
 *    beyond the last table, UNSUP_METADATA_MASK for write-metadata bits the
 *    table cannot write, and every action error of ft_actions_check().
 *
 * Versions and batches (atomicity)
 * --------------------------------
 * Readers (xlate) see the pipeline at one version. Every change is made in
 * a transaction: ft_pipeline_begin(), any number of flow mods, then
 * ft_pipeline_commit() makes all of them visible at once (a bundle, a
 * batch of flow_mods from add-flows, or a single FLOW_MOD) or
 * ft_pipeline_abort() undoes all of them (a failed bundle: nothing was
 * ever visible). MODIFY is done as replace: a new ft_flow with the new
 * instructions takes over the old one's match, counters and times in the
 * new version, so a reader sees the old or the new instructions, never a
 * mix. Publication is deferred to commit, so a batch of N costs O(N).
 * GROUP_MOD and METER_MOD are applied immediately (outside transactions)
 * because the spec makes them individually atomic.
 *
 * Flow entry lifetime: removed entries are freed after an RCU grace period
 * of the pipeline's qsbr. A megaflow may keep a struct ft_flow pointer for
 * stats only while holding a reference (ft_flow_ref); xlate outputs list
 * the flows a translation used.
 *
 * Timeouts and stats
 * ------------------
 * Times are milliseconds of a clock the caller passes in (the tests move
 * it by hand). ft_pipeline_expire() removes entries past their hard
 * timeout (since added or last replaced by ADD) or idle timeout (since the
 * last packet credited, or since added), reporting FLOW_REMOVED with
 * reason HARD_TIMEOUT / IDLE_TIMEOUT. Packets are credited by
 * ft_flow_credit() from the datapath's megaflow stats (any thread; relaxed
 * atomics), honouring NO_PKT_COUNTS / NO_BYT_COUNTS (the counter then
 * reads UINT64_MAX, as Open vSwitch reports unavailable counters).
 *
 * Threads
 * -------
 * Main thread: everything here except ft_flow_credit() and what xlate
 * reads. xlate (ft_xlate.h) runs on any thread registered with the qsbr.
 */
#ifndef VSWITCH_FLOWTABLE_FT_PIPELINE_H
#define VSWITCH_FLOWTABLE_FT_PIPELINE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "ft_action.h"
#include "ft_classifier.h"
#include "ft_group.h"
#include "ft_meter.h"
#include "ft_normal.h"
#include "ft_ofp.h"

struct rte_rcu_qsbr;
struct ft_pipeline;
struct ft_flow;

/* ---- configuration ------------------------------------------------------ */

/* What a table does with a packet no entry matches (no table-miss entry):
 * DROP is OpenFlow 1.3's rule and the default. */
enum ft_table_miss {
    FT_TABLE_MISS_DROP,
    FT_TABLE_MISS_CONTROLLER,       /* packet-in, reason NO_MATCH */
    FT_TABLE_MISS_CONTINUE,         /* on to the next table */
};

struct ft_pipeline_config {
    uint8_t n_tables;               /* 1..FT_N_TABLES; 0 = FT_N_TABLES */
    uint32_t max_flows_per_table;   /* 0 = unlimited (TABLE_FULL bound) */
    uint32_t max_groups;            /* 0 = FT_GROUP_MAX_GROUPS */
    uint32_t max_meters;            /* 0 = FT_METER_MAX_METERS */
    struct rte_rcu_qsbr *qsbr;      /* NULL: single-threaded */
};

/* One port of the bridge as the pipeline sees it. */
struct ft_port {
    uint32_t ofp_port;              /* OpenFlow number (FT_OFPP_LOCAL ok) */
    uint32_t dp_port;               /* what FT_DPACT_OUTPUT names */
    uint32_t config;                /* FT_OFPPC_* */
    bool live;                      /* link up and not PORT_DOWN */
};

/* Switch-wide settings the controller sets (SET_CONFIG) or the bridge. */
struct ft_switch_config {
    uint16_t flags;                 /* FT_OFPC_INVALID_TTL_TO_CONTROLLER */
    uint16_t miss_send_len;         /* max_len of table-miss packet-ins */
};

/* Called (main thread) for every entry removed with SEND_FLOW_REM set,
 * before it is unlinked: the bridge builds FLOW_REMOVED from it. */
typedef void ft_flow_removed_cb(const struct ft_flow *flow, uint8_t reason,
                                int64_t now_ms, void *aux);

struct ft_pipeline *ft_pipeline_create(const struct ft_pipeline_config *);
/* No reader may be running. */
void ft_pipeline_destroy(struct ft_pipeline *);

void ft_pipeline_set_flow_removed_cb(struct ft_pipeline *,
                                     ft_flow_removed_cb *, void *aux);
void ft_pipeline_set_switch_config(struct ft_pipeline *,
                                   const struct ft_switch_config *);
void ft_pipeline_get_switch_config(const struct ft_pipeline *,
                                   struct ft_switch_config *);
int ft_pipeline_set_table_miss(struct ft_pipeline *, uint8_t table_id,
                               enum ft_table_miss);
uint8_t ft_pipeline_n_tables(const struct ft_pipeline *);

/* Replaces the port map (copied, published by RCU) and updates group
 * liveness. 0, -EINVAL (duplicate ofp_port), -ENOMEM. */
int ft_pipeline_set_ports(struct ft_pipeline *, const struct ft_port *ports,
                          unsigned int n);

/* NORMAL's state: the bridge's MAC table and VLAN port snapshot, whose
 * port handles are OpenFlow port numbers. Either may be NULL (NORMAL then
 * drops). The pipeline does not own them. */
void ft_pipeline_set_normal(struct ft_pipeline *,
                            const struct ft_normal_ports *ports,
                            struct ft_mac_table *mac);

struct ft_group_table *ft_pipeline_groups(struct ft_pipeline *);
struct ft_meter_table *ft_pipeline_meters(struct ft_pipeline *);

/* ---- flow entries -------------------------------------------------------- */

struct ft_flow_actions;             /* immutable instructions, private */

struct ft_flow {
    struct ft_cls_rule cr;          /* match and priority (classifier's) */
    uint8_t table_id;
    uint16_t idle_timeout;          /* seconds, 0 = none */
    uint16_t hard_timeout;
    uint16_t flags;                 /* FT_OFPFF_* */
    uint64_t cookie;
    int64_t created_ms;             /* ADD time (kept by MODIFY) */
    int64_t hard_base_ms;           /* hard timeout counts from here */
    _Atomic int64_t used_ms;        /* last packet credited, or created */
    _Atomic uint64_t n_packets;
    _Atomic uint64_t n_bytes;
    const struct ft_flow_actions *actions;  /* immutable (MODIFY replaces
                                               the whole entry) */
    /* private to the pipeline after this line */
    struct ft_meter *meter;
    _Atomic uint32_t refcount;
    struct ft_flow *replaced_by;    /* MODIFY: where late stats go */
    void *priv;
};

/* The instructions of 'flow' (any thread that may use the flow). Lists
 * are valid as long as the flow is. */
void ft_flow_get_insts(const struct ft_flow *, struct ft_insts *out);

/* Credits datapath stats (any thread). 'used_ms' only moves forward. */
void ft_flow_credit(struct ft_flow *, uint64_t packets, uint64_t bytes,
                    int64_t used_ms);
/* Counters as OpenFlow reports them (UINT64_MAX when not counted). */
uint64_t ft_flow_packet_count(const struct ft_flow *);
uint64_t ft_flow_byte_count(const struct ft_flow *);

/* References for megaflows that keep a flow pointer for stats; the flow
 * is freed (after a grace period) only once unreferenced and removed.
 * Any thread may ref a flow it reached under RCU; unref any thread. */
void ft_flow_ref(struct ft_flow *);
void ft_flow_unref(struct ft_pipeline *, struct ft_flow *);
/* Still in its table (not removed, not replaced)? */
bool ft_flow_is_live(const struct ft_flow *);

/* ---- FLOW_MOD -------------------------------------------------------------- */

struct ft_flow_mod {
    uint8_t command;                /* FT_OFPFC_* */
    uint8_t table_id;               /* or FT_OFPTT_ALL for deletes */
    uint16_t priority;
    uint16_t idle_timeout, hard_timeout;
    uint16_t flags;                 /* FT_OFPFF_* */
    uint64_t cookie, cookie_mask;
    uint32_t out_port;              /* FT_OFPP_ANY: no filter */
    uint32_t out_group;             /* FT_OFPG_ANY: no filter */
    struct ft_match match;
    struct ft_insts insts;          /* copied; GROUP actions resolved */
};

void ft_pipeline_begin(struct ft_pipeline *);
/* Applies one flow mod inside the open transaction at time 'now_ms'.
 * On error nothing of this mod is changed (earlier mods of the
 * transaction stay pending). 'n_changed' (may be NULL) gets how many
 * entries were added, modified or deleted. */
struct ft_ofperr ft_pipeline_flow_mod(struct ft_pipeline *,
                                      const struct ft_flow_mod *,
                                      int64_t now_ms, uint32_t *n_changed);
/* Makes the transaction visible at once; frees what it removed after a
 * grace period; sends FLOW_REMOVED for deleted entries. */
void ft_pipeline_commit(struct ft_pipeline *);
/* Undoes every mod of the transaction. */
void ft_pipeline_abort(struct ft_pipeline *);

/* The version readers should use now (xlate loads it itself). */
ft_cls_version_t ft_pipeline_version(const struct ft_pipeline *);
/* Bumped on every committed change to flows, groups, meters, ports or
 * config: revalidation compares it to know translations may be stale. */
uint64_t ft_pipeline_generation(const struct ft_pipeline *);

/* GROUP_MOD / METER_MOD, applied at once. Deleting a group or meter removes
 * the flows that use it (FLOW_REMOVED reason GROUP_DELETE / DELETE). */
struct ft_ofperr ft_pipeline_group_mod(struct ft_pipeline *,
                                       const struct ft_group_mod *,
                                       int64_t now_ms);
struct ft_ofperr ft_pipeline_meter_mod(struct ft_pipeline *,
                                       const struct ft_meter_mod *,
                                       int64_t now_ms);

/* ---- queries --------------------------------------------------------------- */

/* Flow stats / aggregate / dump filter (OFPMP_FLOW semantics). */
struct ft_flow_filter {
    uint8_t table_id;               /* FT_OFPTT_ALL: all */
    bool strict;                    /* exact match + priority */
    uint16_t priority;              /* strict only */
    uint32_t out_port, out_group;
    uint64_t cookie, cookie_mask;
    struct ft_match match;
};

/* Calls 'cb' for every visible entry matching 'filter', table by table,
 * within a table in descending priority. Nonzero from 'cb' stops and is
 * returned. Main thread. */
typedef int ft_flow_cb(const struct ft_flow *, void *aux);
int ft_pipeline_foreach_flow(struct ft_pipeline *,
                             const struct ft_flow_filter *, ft_flow_cb *,
                             void *aux);

struct ft_table_stats {
    uint8_t table_id;
    uint32_t active_count;
    uint64_t lookup_count;          /* packets looked up (credited) */
    uint64_t matched_count;
};
void ft_pipeline_table_stats(const struct ft_pipeline *, uint8_t table_id,
                             struct ft_table_stats *);
/* Credit table lookups from the datapath (any thread). */
void ft_pipeline_credit_table(struct ft_pipeline *, uint8_t table_id,
                              uint64_t lookups, uint64_t matched);

/* ---- timeouts ------------------------------------------------------------ */

/* Removes expired entries (in one transaction) and returns the time of
 * the next possible expiry (INT64_MAX if none). Main thread. */
int64_t ft_pipeline_expire(struct ft_pipeline *, int64_t now_ms);

/* Frees removed entries, groups and meters whose grace period is over. */
void ft_pipeline_reclaim(struct ft_pipeline *);

#endif
