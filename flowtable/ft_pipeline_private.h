/*
 * ft_pipeline_private.h — what xlate (ft_xlate.c) needs of the pipeline's
 * insides. Private to flowtable/.
 *
 * ft_pipeline.c owns tables, flows, ports, config and counters;
 * ft_xlate.c owns recirculation states and xcaches and reaches the rest
 * only through the functions here. Reader-side functions (marked
 * "reader") are lock-free and may run on any thread registered with the
 * pipeline's qsbr.
 */
#ifndef VSWITCH_FLOWTABLE_FT_PIPELINE_PRIVATE_H
#define VSWITCH_FLOWTABLE_FT_PIPELINE_PRIVATE_H

#include "ft_pipeline.h"
#include "ft_xlate.h"

/* A flow entry's instructions: one immutable allocation; the action lists
 * of 'insts' point into it. GROUP actions carry resolved (referenced)
 * group pointers; the meter is ft_flow.meter. */
struct ft_flow_actions {
    struct ft_insts insts;
};

/* The port map as published: sorted by ofp_port. */
struct ft_port_map {
    unsigned int n;
    struct ft_port ports[];
};

/* Reader: the version to translate at (one load per translation). */
ft_cls_version_t ft_pipeline_read_version(const struct ft_pipeline *);

/* Reader: the best entry of table 'table_id' for 'key' at 'version', ORing
 * the bits looked at into 'wc'. NULL when nothing matches (or the table is
 * empty / beyond n_tables). */
struct ft_flow *ft_pipeline_lookup(const struct ft_pipeline *,
                                   uint8_t table_id, const struct ft_key *key,
                                   ft_cls_version_t version,
                                   struct ft_mask *wc);

/* Reader: miss behaviour of a table. */
enum ft_table_miss ft_pipeline_get_table_miss(const struct ft_pipeline *,
                                              uint8_t table_id);

/* Reader: the current port map (never NULL; may be empty), and one port
 * by OpenFlow number (NULL if absent). */
const struct ft_port_map *ft_pipeline_port_map(const struct ft_pipeline *);
const struct ft_port *ft_port_map_find(const struct ft_port_map *,
                                       uint32_t ofp_port);

/* Reader: NORMAL's state (either may be NULL). */
void ft_pipeline_get_normal(const struct ft_pipeline *,
                            const struct ft_normal_ports **ports,
                            struct ft_mac_table **mac);

/* Reader: switch config (flags, miss_send_len), read atomically. */
struct ft_switch_config ft_pipeline_read_switch_config(
    const struct ft_pipeline *);

/* Reader: counts a translation that ended in an error. */
void ft_pipeline_count_xlate_error(struct ft_pipeline *);

/* ft_xlate.c's per-pipeline state (recirculation states), created and
 * destroyed with the pipeline. */
struct ft_xlate_state;
struct ft_xlate_state *ft_xlate_state_create(struct rte_rcu_qsbr *qsbr);
void ft_xlate_state_destroy(struct ft_xlate_state *);
/* Main thread: frees states whose grace period is over. */
void ft_xlate_state_reclaim(struct ft_xlate_state *);
struct ft_xlate_state *ft_pipeline_xlate_state(const struct ft_pipeline *);

/* Reader: the pipeline's qsbr (NULL: single-threaded). */
struct rte_rcu_qsbr *ft_pipeline_qsbr(const struct ft_pipeline *);

#endif
