/*
 * of_ft.h — conversions between the OpenFlow codec's message forms
 * (openflow.h: struct of_flow_mod, of_action, of_instruction, of_bucket,
 * of_group_mod, of_meter_mod and the stats structs) and the flowtable
 * pipeline's (ft_pipeline.h, ft_action.h, ft_group.h, ft_meter.h).
 *
 * What it is
 * ----------
 * flowtable sits below openflow/ and never sees wire structs, so the
 * switch front (ctl/ofswitch.c) converts every request into its ft_* form
 * before handing it to the pipeline, and every ft_* answer (a flow entry,
 * a group description, meter stats...) back into the codec's form for the
 * reply. The conversions are purely structural plus the checks only the
 * wire form can make: an experimenter action or instruction has no ft_*
 * form (BAD_EXPERIMENTER), an instruction may appear once, a METER
 * instruction cannot name meter 0. Semantic validation (ports, groups,
 * prerequisites, table ranges) is the pipeline's (ft_actions_check and
 * ft_pipeline_flow_mod), so it is written once.
 *
 * SET_FIELD: the of -> ft direction writes the wire value on a zeroed key
 * and mask with of_set_field_apply() (the codec knows each OXM field's key
 * encoding) and builds the flowtable form from those bits with
 * ft_set_field_init(); the wire value is kept alongside, so the ft -> of
 * direction gives back exactly what the controller sent.
 *
 * Memory
 * ------
 *  - of -> ft: the arrays the result points to (action lists, buckets,
 *    bands) come from a caller-owned struct of_arena (zero-initialise it),
 *    released all at once with of_ft_arena_free(). The pipeline copies
 *    what it keeps, so the arena can go once the mod is applied.
 *  - ft -> of: arrays come from the target message's arena (of_msg_alloc),
 *    so of_msg_uninit() on the reply frees them. The message must be the
 *    one the converted struct ends up in (or outlive it).
 * Every function returns 0, -ENOMEM, or (of -> ft only) -EINVAL with the
 * OpenFlow error to send in '*err'.
 *
 * Order: ft_insts is a fixed struct (at most one instruction of each
 * type), so the ft -> of direction lists instructions in the order the
 * spec executes them (METER, APPLY_ACTIONS, CLEAR_ACTIONS, WRITE_ACTIONS,
 * WRITE_METADATA, GOTO_TABLE) whatever order the FLOW_MOD used. Matches
 * come back through of_match_from_ft(): fields in id order.
 *
 * Threads: pure functions of their arguments; any thread (in practice the
 * main thread, which owns the pipeline's flows and groups).
 */
#ifndef VSWITCH_OPENFLOW_OF_FT_H
#define VSWITCH_OPENFLOW_OF_FT_H

#include <stdint.h>

#include "flowtable/ft_action.h"
#include "flowtable/ft_group.h"
#include "flowtable/ft_meter.h"
#include "flowtable/ft_pipeline.h"
#include "openflow/openflow.h"

/* Frees every array an of -> ft conversion took from 'arena'. */
void of_ft_arena_free(struct of_arena *arena);

/* The OpenFlow error of a pipeline result (type and code are the wire's
 * on both sides). */
static inline struct of_err
of_ft_err(struct ft_ofperr e)
{
    return (struct of_err) { e.type, e.code };
}

/* ---- actions and instructions ---- */

int of_ft_actions_to_ft(const struct of_action_list *src,
                        struct ft_action_list *dst, struct of_arena *arena,
                        struct of_err *err);
int of_ft_actions_from_ft(const struct ft_action_list *src,
                          struct of_action_list *dst, struct of_msg *owner);

int of_ft_insts_to_ft(const struct of_instruction_list *src,
                      struct ft_insts *dst, struct of_arena *arena,
                      struct of_err *err);
int of_ft_insts_from_ft(const struct ft_insts *src,
                        struct of_instruction_list *dst, struct of_msg *owner);

/* ---- flows ---- */

/* buffer_id is not carried (the pipeline has no packet buffers: the
 * caller decides what a buffer_id means). */
int of_ft_flow_mod_to_ft(const struct of_flow_mod *src,
                         struct ft_flow_mod *dst, struct of_arena *arena,
                         struct of_err *err);
/* The inverse (buffer_id = OFP_NO_BUFFER); the match comes back through
 * of_match_from_ft(). */
int of_ft_flow_mod_from_ft(const struct ft_flow_mod *src,
                           struct of_flow_mod *dst, struct of_msg *owner);

/* A flow entry as OFPMP_FLOW reports it; durations are 'now_ms' minus the
 * entry's created_ms (the pipeline's clock). */
int of_ft_flow_stats_from_ft(const struct ft_flow *flow, int64_t now_ms,
                             struct of_flow_stats *dst, struct of_msg *owner);
/* FLOW_REMOVED for 'flow' removed for 'reason' at 'now_ms'. */
void of_ft_flow_removed_from_ft(const struct ft_flow *flow, uint8_t reason,
                                int64_t now_ms, struct of_flow_removed *dst);
/* OFPMP_FLOW / OFPMP_AGGREGATE request -> the pipeline's dump filter. */
void of_ft_flow_filter_from_of(const struct of_flow_stats_request *src,
                               struct ft_flow_filter *dst);
void of_ft_table_stats_from_ft(const struct ft_table_stats *src,
                               struct of_table_stats *dst);

/* ---- groups ---- */

int of_ft_group_mod_to_ft(const struct of_group_mod *src,
                          struct ft_group_mod *dst, struct of_arena *arena,
                          struct of_err *err);
int of_ft_group_mod_from_ft(const struct ft_group_mod *src,
                            struct of_group_mod *dst, struct of_msg *owner);
int of_ft_group_desc_from_ft(const struct ft_group_desc *src,
                             struct of_group_desc *dst, struct of_msg *owner);
int of_ft_group_stats_from_ft(const struct ft_group_stats *src,
                              struct of_group_stats *dst,
                              struct of_msg *owner);
void of_ft_group_features_from_ft(const struct ft_group_features *src,
                                  struct of_group_features *dst);

/* ---- meters ---- */

/* Bands of a type the pipeline does not know (EXPERIMENTER) are passed
 * through for ft_meter_mod() to refuse with BAD_BAND. */
int of_ft_meter_mod_to_ft(const struct of_meter_mod *src,
                          struct ft_meter_mod *dst, struct of_arena *arena,
                          struct of_err *err);
int of_ft_meter_mod_from_ft(const struct ft_meter_mod *src,
                            struct of_meter_mod *dst, struct of_msg *owner);
int of_ft_meter_config_from_ft(const struct ft_meter_config *src,
                               struct of_meter_config *dst,
                               struct of_msg *owner);
int of_ft_meter_stats_from_ft(const struct ft_meter_stats *src,
                              struct of_meter_stats *dst,
                              struct of_msg *owner);
void of_ft_meter_features_from_ft(const struct ft_meter_features *src,
                                  struct of_meter_features *dst);
/* METER_MOD_FAILED error of a meter table result (not FT_METER_OK). */
struct of_err of_ft_meter_err(enum ft_meter_err e);

#endif
