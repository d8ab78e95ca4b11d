/*
 * of_msg.c — OpenFlow 1.3 messages: the table of message types (one row
 * per OFPT_*, plus the ONF bundle experimenter messages) with their body
 * layouts, and the top-level decode/encode/compare/format entry points.
 *
 * Framing rules enforced here: the header's length must equal the bytes
 * handed in, the version must be 1.3 (HELLO excepted: it negotiates), the
 * type must be known; each violation maps to the OFPET_BAD_REQUEST code
 * the spec names. Everything inside the body is the layout interpreter's.
 *
 * Pure; any thread.
 */
#include <stdio.h>
#include <stdlib.h>

#include "openflow/of_private.h"

static const struct of_op empty_ops[] = { { .kind = OFL_PAD, .n = 0 } };
const struct of_layout of_empty_layout = { "empty", empty_ops, 1, NULL };

#define P struct of_port
OF_LAYOUT(, of_port_layout, "port",
    OF_U32(P, port_no), OF_PAD(4), OF_BYTES(P, hw_addr, 6), OF_PAD(2),
    OF_BYTES(P, name, 16), OF_U32(P, config), OF_U32(P, state),
    OF_U32(P, curr), OF_U32(P, advertised), OF_U32(P, supported),
    OF_U32(P, peer), OF_U32(P, curr_speed), OF_U32(P, max_speed));
#undef P

/* ---- HELLO elements ---- */

static const struct of_op hello_u32_ops[] = { { .kind = OFL_U32, .off = 0 } };
static const struct of_layout hello_u32_layout = { "u32", hello_u32_ops, 1, NULL };
static const struct of_list_desc hello_bitmap_list_desc = {
    .name = "bitmaps", .elem_size = 4, .fixed = &hello_u32_layout,
    .len_rule = OF_LEN_FIXED,
    .err_len = { OFPET_HELLO_FAILED, OFPHFC_INCOMPATIBLE },
};

#define HE struct of_hello_elem
OF_LAYOUT(static, hello_versionbitmap, "versionbitmap",
    OF_U16(HE, type), OF_LEN16(), OF_LIST(HE, bitmaps, hello_bitmap_list_desc));
OF_LAYOUT(static, hello_unknown, "unknown",
    OF_U16(HE, type), OF_LEN16(), OF_DATA(HE, data));
#undef HE
static const struct of_variant hello_variants[] = {
    { OFPHET_VERSIONBITMAP, &hello_versionbitmap },
};
/* Unknown element types are kept, not rejected: the spec says ignore. */
static const struct of_list_desc hello_elem_list_desc = {
    .name = "elements", .elem_size = sizeof(struct of_hello_elem),
    .variants = hello_variants, .n_variants = OF_ARRAY_SIZE(hello_variants),
    .unknown = &hello_unknown, .len_rule = OF_LEN_FIELD_PAD8,
    .err_len = { OFPET_HELLO_FAILED, OFPHFC_INCOMPATIBLE },
};

/* ---- semantic checks the spec ties to message fields ---- */

static int
check_flow_mod(const void *obj, struct of_err *err)
{
    const struct of_flow_mod *fm = &((const struct of_msg *) obj)->flow_mod;
    if (fm->command > 4) {          /* OFPFC_ADD .. OFPFC_DELETE_STRICT */
        return of_fail(err, OFPET_FLOW_MOD_FAILED, OFPFMFC_BAD_COMMAND);
    }
    if (fm->table_id == OFPTT_ALL && fm->command <= 2) {
        /* Only deletes may name all tables. */
        return of_fail(err, OFPET_FLOW_MOD_FAILED, OFPFMFC_BAD_TABLE_ID);
    }
    /* At most one instruction of each type (spec 5.9). */
    uint32_t seen = 0;
    for (uint32_t i = 0; i < fm->instructions.n; i++) {
        uint16_t t = fm->instructions.items[i].type;
        uint32_t bit = t < 31 ? 1u << t : 1u << 31;
        if (seen & bit) {
            return of_fail(err, OFPET_BAD_INSTRUCTION, OFPBIC_UNSUP_INST);
        }
        seen |= bit;
    }
    return 0;
}

static int
check_group_mod(const void *obj, struct of_err *err)
{
    const struct of_group_mod *gm = &((const struct of_msg *) obj)->group_mod;
    if (gm->command > 2) {          /* OFPGC_ADD, MODIFY, DELETE */
        return of_fail(err, OFPET_GROUP_MOD_FAILED, OFPGMFC_BAD_COMMAND);
    }
    if (gm->type > 3) {             /* ALL, SELECT, INDIRECT, FF */
        return of_fail(err, OFPET_GROUP_MOD_FAILED, OFPGMFC_BAD_TYPE);
    }
    return 0;
}

static int
check_meter_mod(const void *obj, struct of_err *err)
{
    const struct of_meter_mod *mm = &((const struct of_msg *) obj)->meter_mod;
    if (mm->command > 2) {          /* OFPMC_ADD, MODIFY, DELETE */
        return of_fail(err, OFPET_METER_MOD_FAILED, OFPMMFC_BAD_COMMAND);
    }
    if (mm->flags & ~0xfu) {        /* KBPS, PKTPS, BURST, STATS */
        return of_fail(err, OFPET_METER_MOD_FAILED, OFPMMFC_BAD_FLAGS);
    }
    return 0;
}

/* ---- message bodies, relative to struct of_msg ---- */

#define M struct of_msg
OF_LAYOUT(static, body_hello, "hello",
    OF_LIST(M, hello.elements, hello_elem_list_desc));
OF_LAYOUT(static, body_error, "error",
    OF_U16(M, error.type), OF_U16(M, error.code), OF_DATA(M, error.data));
OF_LAYOUT(static, body_echo, "echo", OF_DATA(M, echo.data));
OF_LAYOUT(static, body_experimenter, "experimenter",
    OF_U32(M, experimenter.experimenter), OF_U32(M, experimenter.exp_type),
    OF_DATA(M, experimenter.data));
OF_LAYOUT(static, body_bundle_ctrl, "bundle_ctrl",
    OF_U32(M, bundle_ctrl.experimenter), OF_U32(M, bundle_ctrl.exp_type),
    OF_U32(M, bundle_ctrl.bundle_id), OF_U16(M, bundle_ctrl.type),
    OF_U16(M, bundle_ctrl.flags), OF_DATA(M, bundle_ctrl.properties));
OF_LAYOUT(static, body_bundle_add, "bundle_add",
    OF_U32(M, bundle_add.experimenter), OF_U32(M, bundle_add.exp_type),
    OF_U32(M, bundle_add.bundle_id), OF_PAD(2), OF_U16(M, bundle_add.flags),
    OF_MSG(M, bundle_add.message), OF_DATA(M, bundle_add.properties));
OF_LAYOUT(static, body_features_reply, "features",
    OF_U64(M, features.datapath_id), OF_U32(M, features.n_buffers),
    OF_U8(M, features.n_tables), OF_U8(M, features.auxiliary_id), OF_PAD(2),
    OF_U32(M, features.capabilities), OF_U32(M, features.reserved));
OF_LAYOUT(static, body_switch_config, "config",
    OF_U16(M, config.flags), OF_U16(M, config.miss_send_len));
OF_LAYOUT(static, body_packet_in, "packet_in",
    OF_U32(M, packet_in.buffer_id), OF_U16(M, packet_in.total_len),
    OF_U8(M, packet_in.reason), OF_U8(M, packet_in.table_id),
    OF_U64(M, packet_in.cookie), OF_MATCH(M, packet_in.match), OF_PAD(2),
    OF_DATA(M, packet_in.data));
OF_LAYOUT(static, body_flow_removed, "flow_removed",
    OF_U64(M, flow_removed.cookie), OF_U16(M, flow_removed.priority),
    OF_U8(M, flow_removed.reason), OF_U8(M, flow_removed.table_id),
    OF_U32(M, flow_removed.duration_sec), OF_U32(M, flow_removed.duration_nsec),
    OF_U16(M, flow_removed.idle_timeout), OF_U16(M, flow_removed.hard_timeout),
    OF_U64(M, flow_removed.packet_count), OF_U64(M, flow_removed.byte_count),
    OF_MATCH(M, flow_removed.match));
OF_LAYOUT(static, body_port_status, "port_status",
    OF_U8(M, port_status.reason), OF_PAD(7),
    OF_STRUCT(M, port_status.desc, of_port_layout));
OF_LAYOUT(static, body_packet_out, "packet_out",
    OF_U32(M, packet_out.buffer_id), OF_U32(M, packet_out.in_port),
    OF_SUBLEN16(), OF_PAD(6), OF_LIST(M, packet_out.actions, of_action_list_desc),
    OF_DATA(M, packet_out.data));
OF_LAYOUT_CHECKED(static, body_flow_mod, "flow_mod", check_flow_mod,
    OF_U64(M, flow_mod.cookie), OF_U64(M, flow_mod.cookie_mask),
    OF_U8(M, flow_mod.table_id), OF_U8(M, flow_mod.command),
    OF_U16(M, flow_mod.idle_timeout), OF_U16(M, flow_mod.hard_timeout),
    OF_U16(M, flow_mod.priority), OF_U32(M, flow_mod.buffer_id),
    OF_U32(M, flow_mod.out_port), OF_U32(M, flow_mod.out_group),
    OF_U16(M, flow_mod.flags), OF_PAD(2), OF_MATCH(M, flow_mod.match),
    OF_LIST(M, flow_mod.instructions, of_instruction_list_desc));
OF_LAYOUT_CHECKED(static, body_group_mod, "group_mod", check_group_mod,
    OF_U16(M, group_mod.command), OF_U8(M, group_mod.type), OF_PAD(1),
    OF_U32(M, group_mod.group_id),
    OF_LIST(M, group_mod.buckets, of_bucket_list_desc));
OF_LAYOUT(static, body_port_mod, "port_mod",
    OF_U32(M, port_mod.port_no), OF_PAD(4), OF_BYTES(M, port_mod.hw_addr, 6),
    OF_PAD(2), OF_U32(M, port_mod.config), OF_U32(M, port_mod.mask),
    OF_U32(M, port_mod.advertise), OF_PAD(4));
OF_LAYOUT(static, body_table_mod, "table_mod",
    OF_U8(M, table_mod.table_id), OF_PAD(3), OF_U32(M, table_mod.config));
OF_LAYOUT(static, body_queue_get_config_request, "queue_get_config_request",
    OF_U32(M, queue_get_config_request.port), OF_PAD(4));
OF_LAYOUT(static, body_queue_get_config_reply, "queue_get_config_reply",
    OF_U32(M, queue_get_config_reply.port), OF_PAD(4),
    OF_LIST(M, queue_get_config_reply.queues, of_packet_queue_list_desc));
OF_LAYOUT(static, body_role, "role",
    OF_U32(M, role.role), OF_PAD(4), OF_U64(M, role.generation_id));
OF_LAYOUT(static, body_async, "async",
    OF_U32N(M, async.packet_in_mask[0], "packet_in_mask_master"),
    OF_U32N(M, async.packet_in_mask[1], "packet_in_mask_slave"),
    OF_U32N(M, async.port_status_mask[0], "port_status_mask_master"),
    OF_U32N(M, async.port_status_mask[1], "port_status_mask_slave"),
    OF_U32N(M, async.flow_removed_mask[0], "flow_removed_mask_master"),
    OF_U32N(M, async.flow_removed_mask[1], "flow_removed_mask_slave"));
OF_LAYOUT_CHECKED(static, body_meter_mod, "meter_mod", check_meter_mod,
    OF_U16(M, meter_mod.command), OF_U16(M, meter_mod.flags),
    OF_U32(M, meter_mod.meter_id),
    OF_LIST(M, meter_mod.bands, of_meter_band_list_desc));
#undef M

/* Multipart bodies are dispatched a second time on their OFPMP type; this
 * marker layout stands for "type, flags, pad, then the per-type body". */
static const struct of_layout body_multipart = { "multipart", empty_ops, 1, NULL };

struct msg_type_desc {
    uint8_t type;
    const char *name;
    const struct of_layout *body;
    uint32_t experimenter;          /* experimenter messages: the id... */
    uint32_t exp_type;              /* ...and subtype this row is for */
};

static const struct msg_type_desc msg_types[] = {
    { OFPT_HELLO, "HELLO", &body_hello, 0, 0 },
    { OFPT_ERROR, "ERROR", &body_error, 0, 0 },
    { OFPT_ECHO_REQUEST, "ECHO_REQUEST", &body_echo, 0, 0 },
    { OFPT_ECHO_REPLY, "ECHO_REPLY", &body_echo, 0, 0 },
    { OFPT_EXPERIMENTER, "BUNDLE_CONTROL", &body_bundle_ctrl,
      ONF_EXPERIMENTER_ID, ONF_ET_BUNDLE_CONTROL },
    { OFPT_EXPERIMENTER, "BUNDLE_ADD_MESSAGE", &body_bundle_add,
      ONF_EXPERIMENTER_ID, ONF_ET_BUNDLE_ADD_MESSAGE },
    { OFPT_EXPERIMENTER, "EXPERIMENTER", &body_experimenter, 0, 0 },
    { OFPT_FEATURES_REQUEST, "FEATURES_REQUEST", &of_empty_layout, 0, 0 },
    { OFPT_FEATURES_REPLY, "FEATURES_REPLY", &body_features_reply, 0, 0 },
    { OFPT_GET_CONFIG_REQUEST, "GET_CONFIG_REQUEST", &of_empty_layout, 0, 0 },
    { OFPT_GET_CONFIG_REPLY, "GET_CONFIG_REPLY", &body_switch_config, 0, 0 },
    { OFPT_SET_CONFIG, "SET_CONFIG", &body_switch_config, 0, 0 },
    { OFPT_PACKET_IN, "PACKET_IN", &body_packet_in, 0, 0 },
    { OFPT_FLOW_REMOVED, "FLOW_REMOVED", &body_flow_removed, 0, 0 },
    { OFPT_PORT_STATUS, "PORT_STATUS", &body_port_status, 0, 0 },
    { OFPT_PACKET_OUT, "PACKET_OUT", &body_packet_out, 0, 0 },
    { OFPT_FLOW_MOD, "FLOW_MOD", &body_flow_mod, 0, 0 },
    { OFPT_GROUP_MOD, "GROUP_MOD", &body_group_mod, 0, 0 },
    { OFPT_PORT_MOD, "PORT_MOD", &body_port_mod, 0, 0 },
    { OFPT_TABLE_MOD, "TABLE_MOD", &body_table_mod, 0, 0 },
    { OFPT_MULTIPART_REQUEST, "MULTIPART_REQUEST", &body_multipart, 0, 0 },
    { OFPT_MULTIPART_REPLY, "MULTIPART_REPLY", &body_multipart, 0, 0 },
    { OFPT_BARRIER_REQUEST, "BARRIER_REQUEST", &of_empty_layout, 0, 0 },
    { OFPT_BARRIER_REPLY, "BARRIER_REPLY", &of_empty_layout, 0, 0 },
    { OFPT_QUEUE_GET_CONFIG_REQUEST, "QUEUE_GET_CONFIG_REQUEST",
      &body_queue_get_config_request, 0, 0 },
    { OFPT_QUEUE_GET_CONFIG_REPLY, "QUEUE_GET_CONFIG_REPLY",
      &body_queue_get_config_reply, 0, 0 },
    { OFPT_ROLE_REQUEST, "ROLE_REQUEST", &body_role, 0, 0 },
    { OFPT_ROLE_REPLY, "ROLE_REPLY", &body_role, 0, 0 },
    { OFPT_GET_ASYNC_REQUEST, "GET_ASYNC_REQUEST", &of_empty_layout, 0, 0 },
    { OFPT_GET_ASYNC_REPLY, "GET_ASYNC_REPLY", &body_async, 0, 0 },
    { OFPT_SET_ASYNC, "SET_ASYNC", &body_async, 0, 0 },
    { OFPT_METER_MOD, "METER_MOD", &body_meter_mod, 0, 0 },
};

/* The row for 'type'; experimenter messages pick their subtype's row and
 * fall back to the generic one. */
static const struct msg_type_desc *
msg_type_desc(uint8_t type, uint32_t experimenter, uint32_t exp_type)
{
    const struct msg_type_desc *generic = NULL;
    for (size_t i = 0; i < OF_ARRAY_SIZE(msg_types); i++) {
        const struct msg_type_desc *d = &msg_types[i];
        if (d->type != type) {
            continue;
        }
        if (type != OFPT_EXPERIMENTER || !d->experimenter) {
            generic = d;
            if (type != OFPT_EXPERIMENTER) {
                return d;
            }
        } else if (d->experimenter == experimenter && d->exp_type == exp_type) {
            return d;
        }
    }
    return generic;
}

static const struct msg_type_desc *
msg_desc_of(const struct of_msg *msg)
{
    return msg_type_desc(msg->type, msg->experimenter.experimenter,
                         msg->experimenter.exp_type);
}

const struct of_layout *
of_msg_body_layout(const struct of_msg *msg)
{
    const struct msg_type_desc *d = msg_desc_of(msg);
    return d ? d->body : NULL;
}

const char *
of_msg_type_name(uint8_t type)
{
    const struct msg_type_desc *d = msg_type_desc(type, 0, 0);
    return d ? d->name : NULL;
}

/* ---- lifecycle ---- */

void
of_msg_init(struct of_msg *msg, uint8_t type, uint32_t xid)
{
    memset(msg, 0, sizeof *msg);
    msg->version = OFP_VERSION_1_3;
    msg->type = type;
    msg->xid = xid;
}

void
of_msg_uninit(struct of_msg *msg)
{
    of_arena_free(&msg->arena);
}

void *
of_msg_alloc(struct of_msg *msg, size_t size)
{
    return of_arena_alloc(&msg->arena, size ? size : 1);
}

size_t
of_msg_peek_len(const void *buf, size_t len)
{
    return len < OFP_HEADER_LEN ? 0 : of_get16((const uint8_t *) buf + 2);
}

/* ---- decode ---- */

/* Nesting allowed for bundled messages: a bundle may hold a message, not
 * a bundle holding a bundle (which would let a peer drive recursion). */
#define OF_MAX_NESTING 1

static int
decode_msg(struct of_dec *dec, const uint8_t *buf, size_t len,
           struct of_msg *msg, int depth)
{
    static const struct of_err bad_len = { OFPET_BAD_REQUEST, OFPBRC_BAD_LEN };

    if (len < OFP_HEADER_LEN || of_get16(buf + 2) != len) {
        return of_fail(dec->err, OFPET_BAD_REQUEST, OFPBRC_BAD_LEN);
    }
    msg->version = buf[0];
    msg->type = buf[1];
    msg->xid = of_get32(buf + 4);
    if (msg->version != OFP_VERSION_1_3 && msg->type != OFPT_HELLO) {
        return of_fail(dec->err, OFPET_BAD_REQUEST, OFPBRC_BAD_VERSION);
    }
    uint32_t experimenter = 0, exp_type = 0;
    if (msg->type == OFPT_EXPERIMENTER) {
        if (len < 16) {
            return of_fail(dec->err, OFPET_BAD_REQUEST, OFPBRC_BAD_LEN);
        }
        experimenter = of_get32(buf + 8);
        exp_type = of_get32(buf + 12);
        if (depth >= OF_MAX_NESTING && experimenter == ONF_EXPERIMENTER_ID
            && exp_type == ONF_ET_BUNDLE_ADD_MESSAGE) {
            return of_fail(dec->err, OFPET_BAD_REQUEST, OFPBRC_BAD_EXP_TYPE);
        }
    }
    const struct msg_type_desc *d = msg_type_desc(msg->type, experimenter, exp_type);
    if (!d) {
        return of_fail(dec->err, OFPET_BAD_REQUEST, OFPBRC_BAD_TYPE);
    }

    dec->err_len = bad_len;
    if (d->body != &body_multipart) {
        return of_layout_decode(dec, d->body, buf + OFP_HEADER_LEN,
                                len - OFP_HEADER_LEN, msg);
    }
    if (len < OFP_HEADER_LEN + 8) {
        return of_fail(dec->err, OFPET_BAD_REQUEST, OFPBRC_BAD_LEN);
    }
    msg->multipart.type = of_get16(buf + 8);
    msg->multipart.flags = of_get16(buf + 10);
    const struct of_layout *body = of_multipart_body_layout(
        msg->multipart.type, msg->type == OFPT_MULTIPART_REPLY);
    if (!body) {
        return of_fail(dec->err, OFPET_BAD_REQUEST, OFPBRC_BAD_MULTIPART);
    }
    return of_layout_decode(dec, body, buf + 16, len - 16, &msg->multipart);
}

int
of_msg_decode_nested(struct of_dec *dec, const uint8_t *buf, size_t len,
                     struct of_msg **out)
{
    size_t inner_len = of_msg_peek_len(buf, len);
    if (inner_len < OFP_HEADER_LEN || inner_len > len) {
        return of_fail(dec->err, OFPET_BAD_REQUEST, OFPBRC_BAD_LEN);
    }
    struct of_msg *inner = of_arena_alloc(&dec->msg->arena, sizeof *inner);
    if (!inner) {
        return -ENOMEM;
    }
    struct of_err saved = dec->err_len;
    int error = decode_msg(dec, buf, inner_len, inner, 1);
    dec->err_len = saved;
    *out = inner;
    return error;
}

int
of_msg_decode(const void *buf, size_t len, struct of_msg *msg,
              struct of_err *err)
{
    struct of_err scratch;
    memset(msg, 0, sizeof *msg);
    struct of_dec dec = {
        .msg = msg, .err = err ? err : &scratch,
        .err_len = { OFPET_BAD_REQUEST, OFPBRC_BAD_LEN },
    };
    int error = decode_msg(&dec, buf, len, msg, 0);
    return error == -EINVAL ? -EBADMSG : error;
}

/* ---- encode ---- */

int
of_msg_encode(const struct of_msg *msg, struct of_buf *out)
{
    const struct msg_type_desc *d = msg_desc_of(msg);
    if (!d) {
        return -EINVAL;
    }
    size_t start = out->len;
    int error = of_buf_put_zeros(out, OFP_HEADER_LEN);
    if (error) {
        return error;
    }
    if (d->body != &body_multipart) {
        error = of_layout_encode(d->body, msg, out);
    } else {
        const struct of_layout *body = of_multipart_body_layout(
            msg->multipart.type, msg->type == OFPT_MULTIPART_REPLY);
        uint8_t mp[8] = { 0 };
        of_put16(mp, msg->multipart.type);
        of_put16(mp + 2, msg->multipart.flags);
        error = !body ? -EINVAL : of_buf_put(out, mp, sizeof mp);
        if (!error) {
            error = of_layout_encode(body, &msg->multipart, out);
        }
    }
    size_t len = out->len - start;
    if (!error && len > OFP_MAX_MSG_LEN) {
        error = -EMSGSIZE;
    }
    if (error) {
        out->len = start;
        return error;
    }
    uint8_t *h = out->data + start;
    h[0] = msg->version;
    h[1] = msg->type;
    of_put16(h + 2, (uint16_t) len);
    of_put32(h + 4, msg->xid);
    return 0;
}

/* ---- compare and format ---- */

bool
of_msg_equal(const struct of_msg *a, const struct of_msg *b)
{
    if (a->version != b->version || a->type != b->type || a->xid != b->xid) {
        return false;
    }
    const struct msg_type_desc *d = msg_desc_of(a);
    if (!d || d != msg_desc_of(b)) {
        return false;
    }
    if (d->body != &body_multipart) {
        return of_layout_equal(d->body, a, b);
    }
    if (a->multipart.type != b->multipart.type
        || a->multipart.flags != b->multipart.flags) {
        return false;
    }
    const struct of_layout *body = of_multipart_body_layout(
        a->multipart.type, a->type == OFPT_MULTIPART_REPLY);
    return body && of_layout_equal(body, &a->multipart, &b->multipart);
}

int
of_msg_format(const struct of_msg *msg, char *buf, size_t size)
{
    struct of_fmt f = { buf, size, 0 };
    const struct msg_type_desc *d = msg_desc_of(msg);
    if (size) {
        buf[0] = '\0';
    }
    of_fmt_printf(&f, "{\"version\":%u,\"type\":\"%s\",\"xid\":%u,\"body\":",
                  msg->version, d ? d->name : "UNKNOWN", msg->xid);
    if (!d) {
        of_fmt_printf(&f, "null");
    } else if (d->body != &body_multipart) {
        of_layout_format(&f, d->body, msg);
    } else {
        const char *name = of_multipart_type_name(msg->multipart.type);
        const struct of_layout *body = of_multipart_body_layout(
            msg->multipart.type, msg->type == OFPT_MULTIPART_REPLY);
        of_fmt_printf(&f, "{\"mp_type\":\"%s\",\"flags\":%u,\"body\":",
                      name ? name : "UNKNOWN", msg->multipart.flags);
        if (body) {
            of_layout_format(&f, body, &msg->multipart);
        } else {
            of_fmt_printf(&f, "null");
        }
        of_fmt_printf(&f, "}");
    }
    of_fmt_printf(&f, "}");
    return (int) f.len;
}
