/*
 * ft_group.h — OpenFlow 1.3 groups: the group table (GROUP_MOD semantics,
 * chaining and loop detection, features, per-group and per-bucket stats)
 * and the bucket choice xlate makes for each group type.
 *
 * What
 * ----
 * A group has a type and a list of buckets, each a list of actions plus a
 * weight (SELECT) and a watch port / watch group (FAST_FAILOVER):
 *  - ALL: every bucket runs, each on its own copy of the packet;
 *  - SELECT: one live bucket, chosen by the packet's hash (key.dp_hash,
 *    which the datapath fills with its 5-tuple hash) in proportion to the
 *    weights, so all packets of one flow take the same bucket;
 *  - INDIRECT: its one bucket;
 *  - FAST_FAILOVER: the first live bucket in list order.
 * A bucket is live when its watch port is live (per the pipeline's port
 * map) or its watch group has a live bucket; a bucket that watches
 * nothing (both ANY) is live. ALL and INDIRECT ignore liveness.
 *
 * SELECT's choice: the group builds a table of FT_GROUP_SELECT_SLOTS slots
 * over its live buckets, each bucket owning a share of slots proportional
 * to its weight (largest-remainder); a packet takes slot dp_hash &
 * (FT_GROUP_SELECT_SLOTS - 1). So xlate un-wildcards only those low hash
 * bits, never the 5-tuple: a megaflow covers 1/SLOTS of the flows. The
 * slot table is rebuilt when liveness changes (ft_group_table_ports_changed).
 *
 * Chaining: a bucket may hold a GROUP action. GROUP_MOD refuses a change
 * that would make a group reach itself (OFPGMFC_LOOP) or chain deeper
 * than FT_GROUP_MAX_CHAIN; deleting a group another group forwards to is
 * refused with OFPGMFC_CHAINED_GROUP (unless the whole table is deleted
 * with OFPG_ALL).
 *
 * Threads and memory (as ft_meter.h)
 *  - Main thread: everything but the per-packet/xlate functions below.
 *  - Readers (xlate on PMD or upcall threads) hold struct ft_group
 *    pointers resolved at install time (flows and buckets keep them);
 *    the id index is main-thread only.
 *  - A group's identity (pointer), counters and duration survive MODIFY;
 *    its buckets are an immutable object published with one pointer store,
 *    the old one freed after an RCU grace period of the table's qsbr
 *    (NULL: single-threaded, immediate). Bucket counters restart at MODIFY.
 *  - DELETE unlinks the group at once; the object lives while references
 *    (flows, other groups) remain and is freed after the last unref plus a
 *    grace period. OpenFlow says deleting a group removes the flows that
 *    forward to it: the pipeline does that (ft_pipeline_group_mod).
 */
#ifndef VSWITCH_FLOWTABLE_FT_GROUP_H
#define VSWITCH_FLOWTABLE_FT_GROUP_H

#include <stdbool.h>
#include <stdint.h>

#include "ft_action.h"
#include "ft_ofp.h"

struct rte_rcu_qsbr;

#define FT_GROUP_MAX_GROUPS 65536   /* memory bound, as meters */
#define FT_GROUP_MAX_BUCKETS 256    /* per group; bounds xlate fan-out */
#define FT_GROUP_MAX_CHAIN 16       /* group -> group depth */
#define FT_GROUP_SELECT_SLOTS 256   /* hash slots of a SELECT group: weight
                                       resolution vs megaflow count */

struct ft_bucket_cfg {
    uint16_t weight;
    uint32_t watch_port;            /* FT_OFPP_ANY: none */
    uint32_t watch_group;           /* FT_OFPG_ANY: none */
    struct ft_action_list actions;  /* GROUP actions need not be resolved */
};

struct ft_group_mod {
    uint16_t command;               /* FT_OFPGC_* */
    uint8_t type;                   /* FT_OFPGT_*; ignored by DELETE */
    uint32_t group_id;
    uint32_t n_buckets;
    const struct ft_bucket_cfg *buckets;
};

struct ft_group_features {
    uint32_t types;                 /* bitmap of 1 << FT_OFPGT_* */
    uint32_t capabilities;          /* OFPGFC_SELECT_WEIGHT | _LIVENESS |
                                       _CHAINING | _CHAINING_CHECKS */
    uint32_t max_groups[4];         /* per type */
    uint32_t actions[4];            /* per type: bitmap of 1 << FT_OFPAT_* */
};

struct ft_bucket_stats {
    uint64_t packet_count;
    uint64_t byte_count;
};

struct ft_group_stats {
    uint32_t group_id;
    uint32_t ref_count;             /* flows + groups forwarding to it */
    uint64_t packet_count;
    uint64_t byte_count;
    uint32_t duration_sec;
    uint32_t duration_nsec;
    uint32_t n_buckets;
    struct ft_bucket_stats buckets[FT_GROUP_MAX_BUCKETS];
};

struct ft_group_table;
struct ft_group;

/* Port liveness, asked by the group table (FF/SELECT) and xlate: the
 * pipeline supplies it from its port map. */
typedef bool ft_port_live_fn(uint32_t ofp_port, void *aux);

/* 'max_groups' 0 means FT_GROUP_MAX_GROUPS. NULL with errno on failure. */
struct ft_group_table *ft_group_table_create(uint32_t max_groups,
                                             struct rte_rcu_qsbr *qsbr,
                                             ft_port_live_fn *port_live,
                                             void *port_live_aux);
/* Frees everything; no reader may be running. */
void ft_group_table_destroy(struct ft_group_table *);

/* Applies one GROUP_MOD at time 'now_ns' (for durations). Checks command,
 * group id (INVALID_GROUP for reserved ids, OFPG_ALL/ANY except DELETE of
 * ALL), type, buckets (count: OUT_OF_BUCKETS; weight on a non-SELECT
 * group: WEIGHT_UNSUPPORTED... see ft_group.c for the exact list, each
 * code as the 1.3 spec names it), bucket actions (ft_actions_check with
 * this table: BAD_OUT_GROUP for an unknown chained group), loops, then
 * existence (GROUP_EXISTS / UNKNOWN_GROUP) and capacity (OUT_OF_GROUPS).
 * Nothing changes on error. On success GROUP actions inside the buckets
 * are resolved to struct ft_group pointers (and referenced).
 * 'deleted' (may be NULL) receives the groups DELETE unlinked, for the
 * pipeline to remove their flows; up to 'deleted_cap', the count is
 * returned in '*n_deleted'. */
struct ft_ofperr ft_group_mod(struct ft_group_table *,
                              const struct ft_group_mod *, uint64_t now_ns,
                              struct ft_group **deleted,
                              uint32_t deleted_cap, uint32_t *n_deleted);

/* Frees objects whose grace period is over; returns how many wait. */
unsigned int ft_group_reclaim(struct ft_group_table *);

/* Liveness inputs changed (port up/down, config): rebuild SELECT slot
 * tables and FF choices. Main thread. */
void ft_group_table_ports_changed(struct ft_group_table *);

void ft_group_get_features(const struct ft_group_table *,
                           struct ft_group_features *);
uint32_t ft_group_count(const struct ft_group_table *);
/* Ids in ascending order, up to 'cap'; returns the total. */
uint32_t ft_group_list(const struct ft_group_table *, uint32_t *ids,
                       uint32_t cap);

/* Main thread lookups and references (flows' GROUP actions). */
struct ft_group *ft_group_lookup(const struct ft_group_table *,
                                 uint32_t group_id);
struct ft_group *ft_group_ref(struct ft_group_table *, uint32_t group_id);
/* One more reference on a group reached through a pointer (xcache,
 * recirculation state), dropped with ft_group_release(); holds keep the
 * object alive but are not the spec's ref_count. */
void ft_group_hold(struct ft_group *);
void ft_group_release(struct ft_group_table *, struct ft_group *);
void ft_group_unref(struct ft_group_table *, struct ft_group *);
uint32_t ft_group_id(const struct ft_group *);

/* Stats and description (0, or -ENOENT). The description's action lists
 * point into the group's current buckets: valid until the next GROUP_MOD
 * or reclaim on the main thread. */
int ft_group_get_stats(const struct ft_group_table *, uint32_t group_id,
                       uint64_t now_ns, struct ft_group_stats *);
struct ft_group_desc {
    uint32_t group_id;
    uint8_t type;
    uint32_t n_buckets;
    const struct ft_bucket_cfg *buckets;
};
int ft_group_get_desc(const struct ft_group_table *, uint32_t group_id,
                      struct ft_group_desc *);

/* ---- reader side (xlate, any registered reader thread) ----------------- */

/* A consistent view of a group's buckets for one translation. */
struct ft_group_view {
    uint8_t type;
    uint32_t n_buckets;
    const struct ft_bucket_cfg *buckets;
    uint32_t generation;            /* bumped by every MODIFY */
};
void ft_group_read(const struct ft_group *, struct ft_group_view *);

/* The bucket to run, for SELECT (by 'dp_hash'; sets the hash bits used in
 * '*hash_mask') and FAST_FAILOVER (first live; -1 when none is live).
 * ALL / INDIRECT: not used (every bucket / bucket 0). */
int ft_group_choose(const struct ft_group *, const struct ft_group_view *,
                    uint32_t dp_hash, uint32_t *hash_mask);

/* Credits 'packets' / 'bytes' to the group and, when the group is still
 * at 'generation' (from the view the translation used), to bucket
 * 'bucket' (-1: none); a bucket of a configuration replaced since is not
 * credited. Any thread; relaxed atomics. */
void ft_group_credit(struct ft_group *, uint32_t generation, int bucket,
                     uint64_t packets, uint64_t bytes);
/* Credits bucket 'bucket' only (ALL groups run several buckets per packet
 * but count the packet once): same generation rule. Any thread. */
void ft_group_credit_bucket(struct ft_group *, uint32_t generation,
                            int bucket, uint64_t packets, uint64_t bytes);

#endif
