/*
 * ft_xlate.h — translation: walk the OpenFlow pipeline for one flow key and
 * produce the datapath actions and the megaflow mask.
 *
 * What it is
 * ----------
 * ft_xlate() starts at table 0 (or where a recirculated packet's frozen
 * state says), looks the key up in each table it reaches, runs the
 * instructions of the entry found (METER, APPLY_ACTIONS, CLEAR_ACTIONS,
 * WRITE_ACTIONS, WRITE_METADATA, GOTO_TABLE), and at the end of the walk
 * executes the action set in the spec's order (copy TTL in, pop, push
 * MPLS, push PBB, push VLAN, copy TTL out, decrement TTL, set-fields,
 * set queue, group, output; output is ignored when a group is set).
 * A table with no matching entry applies its miss behaviour
 * (ft_pipeline_set_table_miss; drop by default, OpenFlow 1.3).
 *
 * It keeps a working copy of the key: actions that change the packet
 * change it, so later tables match the packet as modified. Changes reach
 * the datapath lazily: pending set-fields are committed as SET_MASKED
 * actions (one per key word) just before anything that needs the packet
 * as it is (output, push/pop, meter, controller, clone, recirculation),
 * so consecutive sets cost one datapath action.
 *
 * The megaflow mask ('wc') is the union of every bit the walk looked at:
 * each classifier lookup's mask, the fields an action read (dec_ttl reads
 * nw_ttl, push_vlan the outer tag, a prerequisite check dl_type and
 * nw_proto, NORMAL the MACs and VLAN, SELECT the low dp_hash bits), and
 * always in_port and recirc_id in full (the datapath keeps megaflows per
 * input port and pass). Bits a set-field overwrote before any read are
 * not un-wildcarded. Contract:
 *  - sound: any key equal to the input under 'wc' translates to the same
 *    actions in the same pipeline state;
 *  - deterministic: the same input and state give the same actions and
 *    the same mask;
 *  - bounded: at most FT_XLATE_MAX_DEPTH nested group/table steps,
 *    FT_XLATE_MAX_DPACTS actions, FT_XLATE_MAX_BUCKETS bucket executions;
 *    past a bound the result is a drop with 'error' set, and the
 *    pipeline's error counter grows;
 *  - compact: nothing is un-wildcarded that the above did not need.
 *
 * Recirculation (freezing): after POP_MPLS of the bottom label the inner
 * headers are unknown to the key. If anything later needs them (a table
 * lookup, an L3/L4 set-field or TTL action, a SELECT choice, NORMAL), xlate
 * freezes: it stores the rest of the work (table to resume at, metadata,
 * action set, remaining actions of the current list) in a recirculation
 * state with an id, and ends the list with RECIRC(id). The datapath
 * re-parses and translates again with key.recirc_id = id, which resumes
 * from the state. States are shared by content, referenced by the
 * translations that use them (struct ft_xcache), and freed after the
 * last reference plus a grace period.
 *
 * Threads
 * -------
 * ft_xlate() and ft_xlate_packet_out(): any thread registered with the
 * pipeline's qsbr (PMD / upcall, or main for packet-out and revalidation),
 * lock-free except recirculation state creation (a mutex, misses only).
 * NORMAL learns the source MAC when 'may_learn' (the thread must then be
 * an EAL or registered lcore, ft_normal.h). struct ft_xlate_out is big
 * (tens of KB): keep one per thread.
 */
#ifndef VSWITCH_FLOWTABLE_FT_XLATE_H
#define VSWITCH_FLOWTABLE_FT_XLATE_H

#include <stdbool.h>
#include <stdint.h>

#include "ft_dpact.h"
#include "ft_group.h"
#include "ft_pipeline.h"

#define FT_XLATE_MAX_DEPTH 64       /* tables + group nesting per pass */
#define FT_XLATE_MAX_DPACTS 1024    /* datapath actions per translation */
#define FT_XLATE_MAX_BUCKETS 4096   /* bucket executions (ALL fan-out) */
#define FT_XLATE_MAX_FLOWS 256      /* entries a translation may credit */
#define FT_XLATE_MAX_GROUPS 256     /* group/bucket credits kept */

enum ft_xlate_error {
    FT_XLATE_OK = 0,
    FT_XLATE_TOO_DEEP,              /* nesting past FT_XLATE_MAX_DEPTH */
    FT_XLATE_TOO_MANY_ACTIONS,      /* past FT_XLATE_MAX_DPACTS */
    FT_XLATE_TOO_MANY_BUCKETS,      /* past FT_XLATE_MAX_BUCKETS */
    FT_XLATE_RECIRC_TOO_DEEP,       /* recirc_id chain past the bound */
    FT_XLATE_NO_RECIRC_STATE,       /* unknown key.recirc_id, or no memory */
};
const char *ft_xlate_error_name(enum ft_xlate_error);

/* Trace sink (vswitch-ctl trace): one line per step, 'depth' for indent.
 * NULL for no trace; tracing does not change the result. */
typedef void ft_xlate_trace_fn(void *aux, unsigned int depth,
                               const char *line);

struct ft_xlate_in {
    const struct ft_key *key;       /* the packet's key */
    int64_t now_ms;                 /* NORMAL ageing / learning clock */
    bool may_learn;                 /* NORMAL learns source MACs */
    ft_xlate_trace_fn *trace;
    void *trace_aux;
};

struct ft_xlate_group_use {
    struct ft_group *group;
    uint32_t generation;
    int32_t bucket;                 /* -1: group only */
    bool bucket_only;               /* ALL: one of several buckets that ran;
                                       the group is counted by its own use */
};

struct ft_xlate_out {
    enum ft_xlate_error error;
    struct ft_mask wc;              /* the megaflow mask */
    uint32_t n_acts;
    uint32_t n_flows;               /* entries used, in walk order */
    uint32_t n_groups;
    uint32_t n_recirc;
    bool uses_normal;               /* depends on the MAC table */
    bool has_controller;            /* sends packet-ins */
    uint64_t generation;            /* ft_pipeline_generation() it saw */
    bool normal_learned;            /* NORMAL learned normal_mac in */
    uint16_t normal_vlan;           /* normal_vlan on normal_port: what */
    uint32_t normal_port;           /* ft_xcache_credit refreshes */
    struct ft_eth_addr normal_mac;
    uint16_t n_table_lookups;       /* tables looked up / matched, for */
    uint8_t table_lookup[FT_N_TABLES];  /* table stats: ids in order */
    uint8_t table_matched[FT_N_TABLES]; /* 1 when an entry matched */
    struct ft_flow *flows[FT_XLATE_MAX_FLOWS];       /* not referenced */
    struct ft_xlate_group_use groups[FT_XLATE_MAX_GROUPS];
    uint32_t recirc_ids[FT_RECIRC_MAX_DEPTH * 4];    /* states created or
                                                        used (referenced
                                                        only via xcache) */
    struct ft_dpact acts[FT_XLATE_MAX_DPACTS];
};

/* Translates one packet's key. Always fills 'out' (on error: no actions,
 * the error set, 'wc' still sound). */
void ft_xlate(struct ft_pipeline *, const struct ft_xlate_in *,
              struct ft_xlate_out *out);

/* Translates a PACKET_OUT: 'actions' run on the packet whose key is
 * in->key (key.in_port = the message's in_port; may be FT_OFPP_CONTROLLER
 * or FT_OFPP_LOCAL). OUTPUT:TABLE runs the pipeline from table 0. */
void ft_xlate_packet_out(struct ft_pipeline *, const struct ft_xlate_in *,
                         const struct ft_action_list *actions,
                         struct ft_xlate_out *out);

/* ---- keeping a translation (megaflows) ----------------------------------- */

/* What a megaflow keeps of its translation to credit stats and hold its
 * references: the flows (referenced), group buckets, recirculation states
 * (referenced), table lookups, and NORMAL's learned source to refresh. */
struct ft_xcache;

/* Allocates and references; NULL on ENOMEM (then nothing is held). Any
 * registered thread, right after the translation and before the thread
 * next reports quiescence (the recirculation states 'out' names are
 * guaranteed to exist until then). */
struct ft_xcache *ft_xcache_create(struct ft_pipeline *,
                                   const struct ft_xlate_out *,
                                   const struct ft_key *key);
/* Credits packets/bytes seen since the last credit (flows, groups, tables)
 * and refreshes NORMAL's learned MAC if packets > 0. Any thread. */
void ft_xcache_credit(struct ft_pipeline *, struct ft_xcache *,
                      uint64_t packets, uint64_t bytes, int64_t used_ms);
/* Drops the references and frees (deferred by a grace period). Main
 * thread (it drops group references). */
void ft_xcache_destroy(struct ft_pipeline *, struct ft_xcache *);

/* Live recirculation states (tests, memory-show). */
uint32_t ft_pipeline_n_recirc(const struct ft_pipeline *);

/* Translations that ended in an error (bounded loops and such). */
uint64_t ft_pipeline_xlate_errors(const struct ft_pipeline *);

#endif
