/*
 * of_ft.c — of_* <-> ft_* conversions for flow mods, actions,
 * instructions, groups, meters and their stats (see of_ft.h).
 *
 * Each direction is a field-by-field copy; the only logic is what the wire
 * form alone can decide (experimenter elements, duplicate instructions,
 * meter 0) and SET_FIELD, which is translated into key bits through the
 * codec's OXM tables (of_set_field_apply) so that flowtable needs no OXM
 * wire knowledge.
 *
 * Pure; any thread.
 */
#include "openflow/of_ft.h"

#include <errno.h>
#include <string.h>

#include "openflow/of_private.h"

/* OFPMMFC_INVALID_METER: a METER instruction naming meter 0 (1.3 has no
 * meter 0; the flowtable uses 0 for "no meter"). */
#define OF_FT_OFPMMFC_INVALID_METER 2

void
of_ft_arena_free(struct of_arena *arena)
{
    of_arena_free(arena);
}

static int
fail(struct of_err *err, uint16_t type, uint16_t code)
{
    if (err) {
        err->type = type;
        err->code = code;
    }
    return -EINVAL;
}

/* 'n' zeroed elements of 'size' from 'arena' (NULL for none: an empty list
 * is NULL/0 as the decoder leaves it). */
static int
arena_array(struct of_arena *arena, size_t n, size_t size, void **out)
{
    *out = NULL;
    if (!n) {
        return 0;
    }
    *out = of_arena_alloc(arena, n * size);
    return *out ? 0 : -ENOMEM;
}

static int
msg_array(struct of_msg *owner, size_t n, size_t size, void **out)
{
    *out = NULL;
    if (!n) {
        return 0;
    }
    *out = of_msg_alloc(owner, n * size);
    return *out ? 0 : -ENOMEM;
}

static void
duration_from_ms(int64_t ms, uint32_t *sec, uint32_t *nsec)
{
    if (ms < 0) {
        ms = 0;             /* a clock that went back reports zero */
    }
    *sec = (uint32_t) (ms / 1000);
    *nsec = (uint32_t) (ms % 1000) * 1000000u;
}

/* ---- actions ---- */

static int
set_field_to_ft(const struct of_set_field *src, struct ft_set_field *dst,
                struct of_err *err)
{
    if (!of_oxm_field_settable(src->field)
        || src->len != of_oxm_field_len(src->field)) {
        return fail(err, OFPET_BAD_ACTION, OFPBAC_BAD_SET_TYPE);
    }
    struct ft_key key, mask;
    memset(&key, 0, sizeof key);
    memset(&mask, 0, sizeof mask);
    of_set_field_apply(src, &key, &mask);
    if (ft_set_field_init(dst, src->field, src->value, src->len, &key,
                          &mask)) {
        return fail(err, OFPET_BAD_ACTION, OFPBAC_BAD_SET_TYPE);
    }
    return 0;
}

static int
action_to_ft(const struct of_action *a, struct ft_action *fa,
             struct of_err *err)
{
    fa->type = a->type;
    switch (a->type) {
    case OFPAT_OUTPUT:
        fa->output.port = a->output.port;
        fa->output.max_len = a->output.max_len;
        return 0;
    case OFPAT_COPY_TTL_OUT:
    case OFPAT_COPY_TTL_IN:
    case OFPAT_DEC_MPLS_TTL:
    case OFPAT_POP_VLAN:
    case OFPAT_DEC_NW_TTL:
    case OFPAT_POP_PBB:
        return 0;
    case OFPAT_SET_MPLS_TTL:
    case OFPAT_SET_NW_TTL:
        fa->ttl = a->ttl.ttl;
        return 0;
    case OFPAT_PUSH_VLAN:
    case OFPAT_PUSH_MPLS:
    case OFPAT_POP_MPLS:
    case OFPAT_PUSH_PBB:
        fa->ethertype = a->push.ethertype;
        return 0;
    case OFPAT_SET_QUEUE:
        fa->queue_id = a->set_queue.queue_id;
        return 0;
    case OFPAT_GROUP:
        fa->group.group_id = a->group.group_id;
        fa->group.group = NULL;
        return 0;
    case OFPAT_SET_FIELD:
        return set_field_to_ft(&a->set_field, &fa->set_field, err);
    case OFPAT_EXPERIMENTER:
        /* No experimenter action is implemented. */
        return fail(err, OFPET_BAD_ACTION, OFPBAC_BAD_EXPERIMENTER);
    default:
        return fail(err, OFPET_BAD_ACTION, OFPBAC_BAD_TYPE);
    }
}

int
of_ft_actions_to_ft(const struct of_action_list *src,
                    struct ft_action_list *dst, struct of_arena *arena,
                    struct of_err *err)
{
    void *acts;
    int error = arena_array(arena, src->n, sizeof(struct ft_action), &acts);
    dst->acts = acts;
    dst->n = 0;
    if (error) {
        return error;
    }
    for (uint32_t i = 0; i < src->n; i++) {
        error = action_to_ft(&src->items[i], &dst->acts[i], err);
        if (error) {
            return error;
        }
    }
    dst->n = src->n;
    return 0;
}

static void
action_from_ft(const struct ft_action *fa, struct of_action *a)
{
    a->type = fa->type;
    switch (fa->type) {
    case FT_OFPAT_OUTPUT:
        a->output.port = fa->output.port;
        a->output.max_len = fa->output.max_len;
        break;
    case FT_OFPAT_SET_MPLS_TTL:
    case FT_OFPAT_SET_NW_TTL:
        a->ttl.ttl = fa->ttl;
        break;
    case FT_OFPAT_PUSH_VLAN:
    case FT_OFPAT_PUSH_MPLS:
    case FT_OFPAT_POP_MPLS:
    case FT_OFPAT_PUSH_PBB:
        a->push.ethertype = fa->ethertype;
        break;
    case FT_OFPAT_SET_QUEUE:
        a->set_queue.queue_id = fa->queue_id;
        break;
    case FT_OFPAT_GROUP:
        a->group.group_id = fa->group.group_id;
        break;
    case FT_OFPAT_SET_FIELD: {
        const struct ft_set_field *sf = &fa->set_field;
        unsigned int len = sf->len < OF_OXM_MAX_VALUE_LEN
                           ? sf->len : OF_OXM_MAX_VALUE_LEN;
        a->set_field.field = sf->oxm_field;
        a->set_field.len = (uint8_t) len;
        memcpy(a->set_field.value, sf->value, len);
        break;
    }
    default:                /* bare actions carry nothing more */
        break;
    }
}

int
of_ft_actions_from_ft(const struct ft_action_list *src,
                      struct of_action_list *dst, struct of_msg *owner)
{
    void *items;
    int error = msg_array(owner, src->n, sizeof(struct of_action), &items);
    dst->items = items;
    dst->n = 0;
    if (error) {
        return error;
    }
    for (uint32_t i = 0; i < src->n; i++) {
        action_from_ft(&src->acts[i], &dst->items[i]);
    }
    dst->n = src->n;
    return 0;
}

/* ---- instructions ---- */

int
of_ft_insts_to_ft(const struct of_instruction_list *src,
                  struct ft_insts *dst, struct of_arena *arena,
                  struct of_err *err)
{
    uint32_t seen = 0;

    memset(dst, 0, sizeof *dst);
    dst->goto_table = FT_NO_GOTO;
    for (uint32_t i = 0; i < src->n; i++) {
        const struct of_instruction *in = &src->items[i];
        uint32_t bit = in->type < 31 ? 1u << in->type : 1u << 31;
        int error = 0;

        if (in->type != OFPIT_EXPERIMENTER && (seen & bit)) {
            /* At most one of each type (spec 5.9); 1.3 names no code for
             * a duplicate, the codec answers UNSUP_INST as well. */
            return fail(err, OFPET_BAD_INSTRUCTION, OFPBIC_UNSUP_INST);
        }
        seen |= bit;
        switch (in->type) {
        case OFPIT_GOTO_TABLE:
            if (in->goto_table.table_id == FT_NO_GOTO) {
                return fail(err, OFPET_BAD_INSTRUCTION, OFPBIC_BAD_TABLE_ID);
            }
            dst->goto_table = in->goto_table.table_id;
            break;
        case OFPIT_WRITE_METADATA:
            dst->has_write_metadata = true;
            dst->metadata = in->write_metadata.metadata;
            dst->metadata_mask = in->write_metadata.metadata_mask;
            break;
        case OFPIT_WRITE_ACTIONS:
            dst->has_write = true;
            error = of_ft_actions_to_ft(&in->actions, &dst->write, arena, err);
            break;
        case OFPIT_APPLY_ACTIONS:
            dst->has_apply = true;
            error = of_ft_actions_to_ft(&in->actions, &dst->apply, arena, err);
            break;
        case OFPIT_CLEAR_ACTIONS:
            if (in->actions.n) {
                return fail(err, OFPET_BAD_INSTRUCTION, OFPBIC_BAD_LEN);
            }
            dst->clear_actions = true;
            break;
        case OFPIT_METER:
            if (!in->meter.meter_id) {
                return fail(err, OFPET_METER_MOD_FAILED,
                            OF_FT_OFPMMFC_INVALID_METER);
            }
            dst->meter_id = in->meter.meter_id;
            break;
        case OFPIT_EXPERIMENTER:
            return fail(err, OFPET_BAD_INSTRUCTION, OFPBIC_BAD_EXPERIMENTER);
        default:
            return fail(err, OFPET_BAD_INSTRUCTION, OFPBIC_UNKNOWN_INST);
        }
        if (error) {
            return error;
        }
    }
    return 0;
}

int
of_ft_insts_from_ft(const struct ft_insts *src,
                    struct of_instruction_list *dst, struct of_msg *owner)
{
    size_t n = (src->meter_id != 0) + src->has_apply + src->clear_actions
               + src->has_write + src->has_write_metadata
               + (src->goto_table != FT_NO_GOTO);
    void *items;
    int error = msg_array(owner, n, sizeof(struct of_instruction), &items);

    dst->items = items;
    dst->n = 0;
    if (error) {
        return error;
    }
    /* The spec's execution order (5.9). */
    struct of_instruction *in = dst->items;
    if (src->meter_id) {
        in->type = OFPIT_METER;
        in->meter.meter_id = src->meter_id;
        in++;
    }
    if (src->has_apply) {
        in->type = OFPIT_APPLY_ACTIONS;
        error = of_ft_actions_from_ft(&src->apply, &in->actions, owner);
        in++;
    }
    if (src->clear_actions) {
        in->type = OFPIT_CLEAR_ACTIONS;
        in++;
    }
    if (!error && src->has_write) {
        in->type = OFPIT_WRITE_ACTIONS;
        error = of_ft_actions_from_ft(&src->write, &in->actions, owner);
        in++;
    }
    if (src->has_write_metadata) {
        in->type = OFPIT_WRITE_METADATA;
        in->write_metadata.metadata = src->metadata;
        in->write_metadata.metadata_mask = src->metadata_mask;
        in++;
    }
    if (src->goto_table != FT_NO_GOTO) {
        in->type = OFPIT_GOTO_TABLE;
        in->goto_table.table_id = src->goto_table;
        in++;
    }
    if (error) {
        return error;
    }
    dst->n = (uint32_t) n;
    return 0;
}

/* ---- flows ---- */

int
of_ft_flow_mod_to_ft(const struct of_flow_mod *src, struct ft_flow_mod *dst,
                     struct of_arena *arena, struct of_err *err)
{
    memset(dst, 0, sizeof *dst);
    dst->command = src->command;
    dst->table_id = src->table_id;
    dst->priority = src->priority;
    dst->idle_timeout = src->idle_timeout;
    dst->hard_timeout = src->hard_timeout;
    dst->flags = src->flags;
    dst->cookie = src->cookie;
    dst->cookie_mask = src->cookie_mask;
    dst->out_port = src->out_port;
    dst->out_group = src->out_group;
    dst->match = src->match.ft;
    return of_ft_insts_to_ft(&src->instructions, &dst->insts, arena, err);
}

int
of_ft_flow_mod_from_ft(const struct ft_flow_mod *src, struct of_flow_mod *dst,
                       struct of_msg *owner)
{
    memset(dst, 0, sizeof *dst);
    dst->cookie = src->cookie;
    dst->cookie_mask = src->cookie_mask;
    dst->table_id = src->table_id;
    dst->command = src->command;
    dst->idle_timeout = src->idle_timeout;
    dst->hard_timeout = src->hard_timeout;
    dst->priority = src->priority;
    dst->buffer_id = OFP_NO_BUFFER;
    dst->out_port = src->out_port;
    dst->out_group = src->out_group;
    dst->flags = src->flags;
    of_match_from_ft(&dst->match, &src->match);
    return of_ft_insts_from_ft(&src->insts, &dst->instructions, owner);
}

int
of_ft_flow_stats_from_ft(const struct ft_flow *flow, int64_t now_ms,
                         struct of_flow_stats *dst, struct of_msg *owner)
{
    struct ft_insts insts;

    memset(dst, 0, sizeof *dst);
    dst->table_id = flow->table_id;
    duration_from_ms(now_ms - flow->created_ms, &dst->duration_sec,
                     &dst->duration_nsec);
    dst->priority = (uint16_t) flow->cr.priority;
    dst->idle_timeout = flow->idle_timeout;
    dst->hard_timeout = flow->hard_timeout;
    dst->flags = flow->flags;
    dst->cookie = flow->cookie;
    dst->packet_count = ft_flow_packet_count(flow);
    dst->byte_count = ft_flow_byte_count(flow);
    of_match_from_ft(&dst->match, &flow->cr.match);
    ft_flow_get_insts(flow, &insts);
    return of_ft_insts_from_ft(&insts, &dst->instructions, owner);
}

void
of_ft_flow_removed_from_ft(const struct ft_flow *flow, uint8_t reason,
                           int64_t now_ms, struct of_flow_removed *dst)
{
    memset(dst, 0, sizeof *dst);
    dst->cookie = flow->cookie;
    dst->priority = (uint16_t) flow->cr.priority;
    dst->reason = reason;
    dst->table_id = flow->table_id;
    duration_from_ms(now_ms - flow->created_ms, &dst->duration_sec,
                     &dst->duration_nsec);
    dst->idle_timeout = flow->idle_timeout;
    dst->hard_timeout = flow->hard_timeout;
    dst->packet_count = ft_flow_packet_count(flow);
    dst->byte_count = ft_flow_byte_count(flow);
    of_match_from_ft(&dst->match, &flow->cr.match);
}

void
of_ft_flow_filter_from_of(const struct of_flow_stats_request *src,
                          struct ft_flow_filter *dst)
{
    memset(dst, 0, sizeof *dst);
    dst->table_id = src->table_id;
    dst->strict = false;
    dst->out_port = src->out_port;
    dst->out_group = src->out_group;
    dst->cookie = src->cookie;
    dst->cookie_mask = src->cookie_mask;
    dst->match = src->match.ft;
}

void
of_ft_table_stats_from_ft(const struct ft_table_stats *src,
                          struct of_table_stats *dst)
{
    memset(dst, 0, sizeof *dst);
    dst->table_id = src->table_id;
    dst->active_count = src->active_count;
    dst->lookup_count = src->lookup_count;
    dst->matched_count = src->matched_count;
}

/* ---- groups ---- */

int
of_ft_group_mod_to_ft(const struct of_group_mod *src, struct ft_group_mod *dst,
                      struct of_arena *arena, struct of_err *err)
{
    void *buckets;
    int error = arena_array(arena, src->buckets.n,
                            sizeof(struct ft_bucket_cfg), &buckets);

    memset(dst, 0, sizeof *dst);
    dst->command = src->command;
    dst->type = src->type;
    dst->group_id = src->group_id;
    if (error) {
        return error;
    }
    struct ft_bucket_cfg *b = buckets;
    for (uint32_t i = 0; i < src->buckets.n; i++) {
        const struct of_bucket *ob = &src->buckets.items[i];
        b[i].weight = ob->weight;
        b[i].watch_port = ob->watch_port;
        b[i].watch_group = ob->watch_group;
        error = of_ft_actions_to_ft(&ob->actions, &b[i].actions, arena, err);
        if (error) {
            return error;
        }
    }
    dst->buckets = b;
    dst->n_buckets = src->buckets.n;
    return 0;
}

static int
buckets_from_ft(const struct ft_bucket_cfg *src, uint32_t n,
                struct of_bucket_list *dst, struct of_msg *owner)
{
    void *items;
    int error = msg_array(owner, n, sizeof(struct of_bucket), &items);

    dst->items = items;
    dst->n = 0;
    if (error) {
        return error;
    }
    for (uint32_t i = 0; i < n; i++) {
        struct of_bucket *b = &dst->items[i];
        b->weight = src[i].weight;
        b->watch_port = src[i].watch_port;
        b->watch_group = src[i].watch_group;
        error = of_ft_actions_from_ft(&src[i].actions, &b->actions, owner);
        if (error) {
            return error;
        }
    }
    dst->n = n;
    return 0;
}

int
of_ft_group_mod_from_ft(const struct ft_group_mod *src,
                        struct of_group_mod *dst, struct of_msg *owner)
{
    memset(dst, 0, sizeof *dst);
    dst->command = src->command;
    dst->type = src->type;
    dst->group_id = src->group_id;
    return buckets_from_ft(src->buckets, src->n_buckets, &dst->buckets, owner);
}

int
of_ft_group_desc_from_ft(const struct ft_group_desc *src,
                         struct of_group_desc *dst, struct of_msg *owner)
{
    memset(dst, 0, sizeof *dst);
    dst->type = src->type;
    dst->group_id = src->group_id;
    return buckets_from_ft(src->buckets, src->n_buckets, &dst->buckets, owner);
}

int
of_ft_group_stats_from_ft(const struct ft_group_stats *src,
                          struct of_group_stats *dst, struct of_msg *owner)
{
    uint32_t n = src->n_buckets < FT_GROUP_MAX_BUCKETS
                 ? src->n_buckets : FT_GROUP_MAX_BUCKETS;
    void *items;
    int error = msg_array(owner, n, sizeof(struct of_counter_pair), &items);

    memset(dst, 0, sizeof *dst);
    dst->group_id = src->group_id;
    dst->ref_count = src->ref_count;
    dst->packet_count = src->packet_count;
    dst->byte_count = src->byte_count;
    dst->duration_sec = src->duration_sec;
    dst->duration_nsec = src->duration_nsec;
    if (error) {
        return error;
    }
    dst->bucket_stats.items = items;
    for (uint32_t i = 0; i < n; i++) {
        dst->bucket_stats.items[i].packet_count = src->buckets[i].packet_count;
        dst->bucket_stats.items[i].byte_count = src->buckets[i].byte_count;
    }
    dst->bucket_stats.n = n;
    return 0;
}

void
of_ft_group_features_from_ft(const struct ft_group_features *src,
                             struct of_group_features *dst)
{
    memset(dst, 0, sizeof *dst);
    dst->types = src->types;
    dst->capabilities = src->capabilities;
    for (int i = 0; i < 4; i++) {
        dst->max_groups[i] = src->max_groups[i];
        dst->actions[i] = src->actions[i];
    }
}

/* ---- meters ---- */

int
of_ft_meter_mod_to_ft(const struct of_meter_mod *src, struct ft_meter_mod *dst,
                      struct of_arena *arena, struct of_err *err)
{
    memset(dst, 0, sizeof *dst);
    dst->command = src->command;
    dst->flags = src->flags;
    dst->meter_id = src->meter_id;
    if (src->bands.n > UINT16_MAX) {
        /* Cannot come off the wire (65535-byte messages); a builder's. */
        return fail(err, OFPET_METER_MOD_FAILED, OFPMMFC_BAD_BAND);
    }
    void *bands;
    int error = arena_array(arena, src->bands.n,
                            sizeof(struct ft_meter_band_cfg), &bands);
    if (error) {
        return error;
    }
    struct ft_meter_band_cfg *b = bands;
    for (uint32_t i = 0; i < src->bands.n; i++) {
        const struct of_meter_band *ob = &src->bands.items[i];
        b[i].type = ob->type;
        b[i].rate = ob->rate;
        b[i].burst_size = ob->burst_size;
        b[i].prec_level = ob->prec_level;
    }
    dst->bands = b;
    dst->n_bands = (uint16_t) src->bands.n;
    return 0;
}

static int
bands_from_ft(const struct ft_meter_band_cfg *src, uint32_t n,
              struct of_meter_band_list *dst, struct of_msg *owner)
{
    void *items;
    int error = msg_array(owner, n, sizeof(struct of_meter_band), &items);

    dst->items = items;
    dst->n = 0;
    if (error) {
        return error;
    }
    for (uint32_t i = 0; i < n; i++) {
        struct of_meter_band *b = &dst->items[i];
        b->type = src[i].type;
        b->rate = src[i].rate;
        b->burst_size = src[i].burst_size;
        /* prec_level is on the wire only for DSCP_REMARK. */
        b->prec_level = src[i].type == FT_OFPMBT_DSCP_REMARK
                        ? src[i].prec_level : 0;
    }
    dst->n = n;
    return 0;
}

int
of_ft_meter_mod_from_ft(const struct ft_meter_mod *src,
                        struct of_meter_mod *dst, struct of_msg *owner)
{
    memset(dst, 0, sizeof *dst);
    dst->command = src->command;
    dst->flags = src->flags;
    dst->meter_id = src->meter_id;
    return bands_from_ft(src->bands, src->n_bands, &dst->bands, owner);
}

int
of_ft_meter_config_from_ft(const struct ft_meter_config *src,
                           struct of_meter_config *dst, struct of_msg *owner)
{
    uint32_t n = src->n_bands < FT_METER_MAX_BANDS
                 ? src->n_bands : FT_METER_MAX_BANDS;

    memset(dst, 0, sizeof *dst);
    dst->flags = src->flags;
    dst->meter_id = src->meter_id;
    return bands_from_ft(src->bands, n, &dst->bands, owner);
}

int
of_ft_meter_stats_from_ft(const struct ft_meter_stats *src,
                          struct of_meter_stats *dst, struct of_msg *owner)
{
    uint32_t n = src->n_bands < FT_METER_MAX_BANDS
                 ? src->n_bands : FT_METER_MAX_BANDS;
    void *items;
    int error = msg_array(owner, n, sizeof(struct of_counter_pair), &items);

    memset(dst, 0, sizeof *dst);
    dst->meter_id = src->meter_id;
    dst->flow_count = src->flow_count;
    dst->packet_in_count = src->packet_in_count;
    dst->byte_in_count = src->byte_in_count;
    dst->duration_sec = src->duration_sec;
    dst->duration_nsec = src->duration_nsec;
    if (error) {
        return error;
    }
    dst->band_stats.items = items;
    for (uint32_t i = 0; i < n; i++) {
        dst->band_stats.items[i].packet_count = src->bands[i].packet_band_count;
        dst->band_stats.items[i].byte_count = src->bands[i].byte_band_count;
    }
    dst->band_stats.n = n;
    return 0;
}

void
of_ft_meter_features_from_ft(const struct ft_meter_features *src,
                             struct of_meter_features *dst)
{
    memset(dst, 0, sizeof *dst);
    dst->max_meter = src->max_meter;
    dst->band_types = src->band_types;
    dst->capabilities = src->capabilities;
    dst->max_bands = src->max_bands;
    dst->max_color = src->max_color;
}

struct of_err
of_ft_meter_err(enum ft_meter_err e)
{
    return (struct of_err) { OFPET_METER_MOD_FAILED, ft_meter_err_to_ofp(e) };
}
