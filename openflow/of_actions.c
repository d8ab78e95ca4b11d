/*
 * of_actions.c — layout tables for actions, instructions, group buckets and
 * meter bands, with the semantic checks the spec attaches to them (output
 * port ranges, push ethertypes, CLEAR_ACTIONS being empty).
 *
 * Each action/instruction type is one row: its layout (wire fields in
 * order). The lists that hold them (struct of_list_desc) carry the errors
 * the spec names for an unknown type and for a bad length, so the
 * interpreter reports OFPET_BAD_ACTION/OFPBAC_BAD_TYPE for an unknown
 * action and OFPET_BAD_INSTRUCTION/OFPBIC_BAD_LEN for a short instruction
 * without knowing either.
 *
 * Pure tables and functions; any thread.
 */
#include "openflow/of_private.h"

/* ---- actions ---- */

static bool
output_port_valid(uint32_t port)
{
    if (port > 0 && port < OFPP_MAX) {
        return true;
    }
    switch (port) {
    case OFPP_IN_PORT: case OFPP_TABLE: case OFPP_NORMAL: case OFPP_FLOOD:
    case OFPP_ALL: case OFPP_CONTROLLER: case OFPP_LOCAL:
        return true;
    default:
        return false;           /* 0, OFPP_ANY and the unassigned range */
    }
}

static int
check_output(const void *obj, struct of_err *err)
{
    const struct of_action *a = obj;
    return output_port_valid(a->output.port)
           ? 0 : of_fail(err, OFPET_BAD_ACTION, OFPBAC_BAD_OUT_PORT);
}

static int
check_push(const void *obj, struct of_err *err)
{
    const struct of_action *a = obj;
    uint16_t t = a->push.ethertype;
    bool ok;
    switch (a->type) {
    case OFPAT_PUSH_VLAN: ok = t == 0x8100 || t == 0x88a8; break;
    case OFPAT_PUSH_MPLS: ok = t == 0x8847 || t == 0x8848; break;
    case OFPAT_PUSH_PBB: ok = t == 0x88e7; break;
    default: ok = true; break;  /* POP_MPLS: any next ethertype */
    }
    return ok ? 0 : of_fail(err, OFPET_BAD_ACTION, OFPBAC_BAD_ARGUMENT);
}

#define A struct of_action
OF_LAYOUT_CHECKED(static, act_output, "output", check_output,
    OF_U16(A, type), OF_LEN16(), OF_U32(A, output.port),
    OF_U16(A, output.max_len), OF_PAD(6));
OF_LAYOUT(static, act_bare, "bare",
    OF_U16(A, type), OF_LEN16(), OF_PAD(4));
OF_LAYOUT(static, act_ttl, "ttl",
    OF_U16(A, type), OF_LEN16(), OF_U8(A, ttl.ttl), OF_PAD(3));
OF_LAYOUT_CHECKED(static, act_push, "push", check_push,
    OF_U16(A, type), OF_LEN16(), OF_U16(A, push.ethertype), OF_PAD(2));
OF_LAYOUT(static, act_set_queue, "set_queue",
    OF_U16(A, type), OF_LEN16(), OF_U32(A, set_queue.queue_id));
OF_LAYOUT(static, act_group, "group",
    OF_U16(A, type), OF_LEN16(), OF_U32(A, group.group_id));
OF_LAYOUT(static, act_set_field, "set_field",
    OF_U16(A, type), OF_LEN16(), OF_SETFIELD(A, set_field));
OF_LAYOUT(static, act_experimenter, "experimenter",
    OF_U16(A, type), OF_LEN16(), OF_U32(A, experimenter.experimenter),
    OF_DATA(A, experimenter.data));
#undef A

static const struct of_variant action_variants[] = {
    { OFPAT_OUTPUT, &act_output },
    { OFPAT_COPY_TTL_OUT, &act_bare },
    { OFPAT_COPY_TTL_IN, &act_bare },
    { OFPAT_SET_MPLS_TTL, &act_ttl },
    { OFPAT_DEC_MPLS_TTL, &act_bare },
    { OFPAT_PUSH_VLAN, &act_push },
    { OFPAT_POP_VLAN, &act_bare },
    { OFPAT_PUSH_MPLS, &act_push },
    { OFPAT_POP_MPLS, &act_push },
    { OFPAT_SET_QUEUE, &act_set_queue },
    { OFPAT_GROUP, &act_group },
    { OFPAT_SET_NW_TTL, &act_ttl },
    { OFPAT_DEC_NW_TTL, &act_bare },
    { OFPAT_SET_FIELD, &act_set_field },
    { OFPAT_PUSH_PBB, &act_push },
    { OFPAT_POP_PBB, &act_bare },
    { OFPAT_EXPERIMENTER, &act_experimenter },
};

const struct of_list_desc of_action_list_desc = {
    .name = "actions",
    .elem_size = sizeof(struct of_action),
    .variants = action_variants,
    .n_variants = OF_ARRAY_SIZE(action_variants),
    .len_rule = OF_LEN_FIELD,
    .align = 8,
    .err_len = { OFPET_BAD_ACTION, OFPBAC_BAD_LEN },
    .err_type = { OFPET_BAD_ACTION, OFPBAC_BAD_TYPE },
};

/* ---- instructions ---- */

static int
check_clear_actions(const void *obj, struct of_err *err)
{
    const struct of_instruction *in = obj;
    if (in->type == OFPIT_CLEAR_ACTIONS && in->actions.n) {
        return of_fail(err, OFPET_BAD_INSTRUCTION, OFPBIC_BAD_LEN);
    }
    return 0;
}

static int
check_goto(const void *obj, struct of_err *err)
{
    const struct of_instruction *in = obj;
    /* OFPTT_ALL is a wildcard for requests, never a table to go to. */
    return in->goto_table.table_id == OFPTT_ALL
           ? of_fail(err, OFPET_BAD_INSTRUCTION, OFPBIC_BAD_TABLE_ID) : 0;
}

#define I struct of_instruction
OF_LAYOUT_CHECKED(static, inst_goto, "goto_table", check_goto,
    OF_U16(I, type), OF_LEN16(), OF_U8(I, goto_table.table_id), OF_PAD(3));
OF_LAYOUT(static, inst_write_metadata, "write_metadata",
    OF_U16(I, type), OF_LEN16(), OF_PAD(4), OF_U64(I, write_metadata.metadata),
    OF_U64(I, write_metadata.metadata_mask));
OF_LAYOUT_CHECKED(static, inst_actions, "actions", check_clear_actions,
    OF_U16(I, type), OF_LEN16(), OF_PAD(4),
    OF_LIST(I, actions, of_action_list_desc));
OF_LAYOUT(static, inst_meter, "meter",
    OF_U16(I, type), OF_LEN16(), OF_U32(I, meter.meter_id));
OF_LAYOUT(static, inst_experimenter, "experimenter",
    OF_U16(I, type), OF_LEN16(), OF_U32(I, experimenter.experimenter),
    OF_DATA(I, experimenter.data));
#undef I

static const struct of_variant instruction_variants[] = {
    { OFPIT_GOTO_TABLE, &inst_goto },
    { OFPIT_WRITE_METADATA, &inst_write_metadata },
    { OFPIT_WRITE_ACTIONS, &inst_actions },
    { OFPIT_APPLY_ACTIONS, &inst_actions },
    { OFPIT_CLEAR_ACTIONS, &inst_actions },
    { OFPIT_METER, &inst_meter },
    { OFPIT_EXPERIMENTER, &inst_experimenter },
};

const struct of_list_desc of_instruction_list_desc = {
    .name = "instructions",
    .elem_size = sizeof(struct of_instruction),
    .variants = instruction_variants,
    .n_variants = OF_ARRAY_SIZE(instruction_variants),
    .len_rule = OF_LEN_FIELD,
    .align = 8,
    .err_len = { OFPET_BAD_INSTRUCTION, OFPBIC_BAD_LEN },
    .err_type = { OFPET_BAD_INSTRUCTION, OFPBIC_UNKNOWN_INST },
};

/* ---- group buckets ---- */

#define B struct of_bucket
OF_LAYOUT(static, bucket_layout, "bucket",
    OF_LEN16(), OF_U16(B, weight), OF_U32(B, watch_port),
    OF_U32(B, watch_group), OF_PAD(4), OF_LIST(B, actions, of_action_list_desc));
#undef B

const struct of_list_desc of_bucket_list_desc = {
    .name = "buckets",
    .elem_size = sizeof(struct of_bucket),
    .fixed = &bucket_layout,
    .len_rule = OF_LEN_FIELD,
    .align = 8,
    .err_len = { OFPET_GROUP_MOD_FAILED, OFPGMFC_BAD_BUCKET },
};

/* ---- meter bands ---- */

#define MB struct of_meter_band
OF_LAYOUT(static, band_drop, "drop",
    OF_U16(MB, type), OF_LEN16(), OF_U32(MB, rate), OF_U32(MB, burst_size),
    OF_PAD(4));
OF_LAYOUT(static, band_dscp, "dscp_remark",
    OF_U16(MB, type), OF_LEN16(), OF_U32(MB, rate), OF_U32(MB, burst_size),
    OF_U8(MB, prec_level), OF_PAD(3));
OF_LAYOUT(static, band_experimenter, "experimenter",
    OF_U16(MB, type), OF_LEN16(), OF_U32(MB, rate), OF_U32(MB, burst_size),
    OF_U32(MB, experimenter));
#undef MB

static const struct of_variant band_variants[] = {
    { OFPMBT_DROP, &band_drop },
    { OFPMBT_DSCP_REMARK, &band_dscp },
    { OFPMBT_EXPERIMENTER, &band_experimenter },
};

const struct of_list_desc of_meter_band_list_desc = {
    .name = "bands",
    .elem_size = sizeof(struct of_meter_band),
    .variants = band_variants,
    .n_variants = OF_ARRAY_SIZE(band_variants),
    .len_rule = OF_LEN_FIELD,
    .align = 8,
    .err_len = { OFPET_BAD_REQUEST, OFPBRC_BAD_LEN },
    .err_type = { OFPET_METER_MOD_FAILED, OFPMMFC_BAD_BAND },
};
