/*
 * of_multipart.c — multipart (stats) request and reply bodies, one table
 * row per OFPMP_* type with its request and reply layout, plus the
 * element layouts they list (flow/table/port/queue/group/meter stats,
 * group and meter descriptions, table features with all properties, port
 * descriptions) and the queue-config reply. Also the MORE-sequence
 * helpers: splitting a long reply into parts and reassembling parts.
 *
 * Pure; any thread.
 */
#include "openflow/of_private.h"

/* ---- small id lists (table-features properties) ---- */

static const struct of_op u8_ops[] = { { .kind = OFL_U8, .off = 0 } };
static const struct of_layout u8_layout = { "u8", u8_ops, 1, NULL };
static const struct of_list_desc u8_list_desc = {
    .name = "u8s", .elem_size = 1, .fixed = &u8_layout,
    .len_rule = OF_LEN_FIXED,
    .err_len = { OFPET_TABLE_FEATURES_FAILED, OFPTFFC_BAD_LEN },
};

static const struct of_op u32_ops[] = { { .kind = OFL_U32, .off = 0 } };
static const struct of_layout u32_layout = { "u32", u32_ops, 1, NULL };
static const struct of_list_desc u32_list_desc = {
    .name = "u32s", .elem_size = 4, .fixed = &u32_layout,
    .len_rule = OF_LEN_FIXED,
    .err_len = { OFPET_TABLE_FEATURES_FAILED, OFPTFFC_BAD_LEN },
};

#define FID struct of_feature_id
OF_LAYOUT(static, feature_id_layout, "feature_id",
    OF_U16(FID, type), OF_LEN16(), OF_DATA(FID, data));
#undef FID
static const struct of_list_desc feature_id_list_desc = {
    .name = "ids", .elem_size = sizeof(struct of_feature_id),
    .fixed = &feature_id_layout, .len_rule = OF_LEN_FIELD,
    .err_len = { OFPET_TABLE_FEATURES_FAILED, OFPTFFC_BAD_LEN },
};

/* ---- table features ---- */

#define TP struct of_table_feature_prop
OF_LAYOUT(static, tfp_ids, "ids",
    OF_U16(TP, type), OF_LEN16(), OF_LIST(TP, ids, feature_id_list_desc));
OF_LAYOUT(static, tfp_tables, "next_tables",
    OF_U16(TP, type), OF_LEN16(), OF_LIST(TP, tables, u8_list_desc));
OF_LAYOUT(static, tfp_oxm, "oxm_ids",
    OF_U16(TP, type), OF_LEN16(), OF_LIST(TP, oxm_ids, u32_list_desc));
OF_LAYOUT(static, tfp_experimenter, "experimenter",
    OF_U16(TP, type), OF_LEN16(), OF_U32(TP, experimenter),
    OF_U32(TP, exp_type), OF_DATA(TP, data));
#undef TP

static const struct of_variant tfp_variants[] = {
    { OFPTFPT_INSTRUCTIONS, &tfp_ids },
    { OFPTFPT_INSTRUCTIONS_MISS, &tfp_ids },
    { OFPTFPT_NEXT_TABLES, &tfp_tables },
    { OFPTFPT_NEXT_TABLES_MISS, &tfp_tables },
    { OFPTFPT_WRITE_ACTIONS, &tfp_ids },
    { OFPTFPT_WRITE_ACTIONS_MISS, &tfp_ids },
    { OFPTFPT_APPLY_ACTIONS, &tfp_ids },
    { OFPTFPT_APPLY_ACTIONS_MISS, &tfp_ids },
    { OFPTFPT_MATCH, &tfp_oxm },
    { OFPTFPT_WILDCARDS, &tfp_oxm },
    { OFPTFPT_WRITE_SETFIELD, &tfp_oxm },
    { OFPTFPT_WRITE_SETFIELD_MISS, &tfp_oxm },
    { OFPTFPT_APPLY_SETFIELD, &tfp_oxm },
    { OFPTFPT_APPLY_SETFIELD_MISS, &tfp_oxm },
    { OFPTFPT_EXPERIMENTER, &tfp_experimenter },
    { OFPTFPT_EXPERIMENTER_MISS, &tfp_experimenter },
};

static const struct of_list_desc tfp_list_desc = {
    .name = "properties", .elem_size = sizeof(struct of_table_feature_prop),
    .variants = tfp_variants, .n_variants = OF_ARRAY_SIZE(tfp_variants),
    .len_rule = OF_LEN_FIELD_PAD8,
    .err_len = { OFPET_TABLE_FEATURES_FAILED, OFPTFFC_BAD_LEN },
    .err_type = { OFPET_TABLE_FEATURES_FAILED, OFPTFFC_BAD_TYPE },
};

#define TF struct of_table_features
OF_LAYOUT(static, table_features_layout, "table_features",
    OF_LEN16(), OF_U8(TF, table_id), OF_PAD(5), OF_BYTES(TF, name, 32),
    OF_U64(TF, metadata_match), OF_U64(TF, metadata_write),
    OF_U32(TF, config), OF_U32(TF, max_entries),
    OF_LIST(TF, properties, tfp_list_desc));
#undef TF
static const struct of_list_desc table_features_list_desc = {
    .name = "table_features", .elem_size = sizeof(struct of_table_features),
    .fixed = &table_features_layout, .len_rule = OF_LEN_FIELD, .align = 8,
    .err_len = { OFPET_TABLE_FEATURES_FAILED, OFPTFFC_BAD_LEN },
};

/* ---- stats entries ---- */

#define FS struct of_flow_stats
OF_LAYOUT(static, flow_stats_layout, "flow_stats",
    OF_LEN16(), OF_U8(FS, table_id), OF_PAD(1), OF_U32(FS, duration_sec),
    OF_U32(FS, duration_nsec), OF_U16(FS, priority), OF_U16(FS, idle_timeout),
    OF_U16(FS, hard_timeout), OF_U16(FS, flags), OF_PAD(4), OF_U64(FS, cookie),
    OF_U64(FS, packet_count), OF_U64(FS, byte_count), OF_MATCH(FS, match),
    OF_LIST(FS, instructions, of_instruction_list_desc));
#undef FS

#define BAD_LEN_LIST(var, nm, T, layout, rule)                            \
    static const struct of_list_desc var = {                            \
        .name = nm, .elem_size = sizeof(T), .fixed = &(layout),         \
        .len_rule = rule, .err_len = { OFPET_BAD_REQUEST, OFPBRC_BAD_LEN } }

BAD_LEN_LIST(flow_stats_list_desc, "flows", struct of_flow_stats,
             flow_stats_layout, OF_LEN_FIELD);

#define TS struct of_table_stats
OF_LAYOUT(static, table_stats_layout, "table_stats",
    OF_U8(TS, table_id), OF_PAD(3), OF_U32(TS, active_count),
    OF_U64(TS, lookup_count), OF_U64(TS, matched_count));
#undef TS
BAD_LEN_LIST(table_stats_list_desc, "tables", struct of_table_stats,
             table_stats_layout, OF_LEN_FIXED);

#define PS struct of_port_stats
OF_LAYOUT(static, port_stats_layout, "port_stats",
    OF_U32(PS, port_no), OF_PAD(4), OF_U64(PS, rx_packets),
    OF_U64(PS, tx_packets), OF_U64(PS, rx_bytes), OF_U64(PS, tx_bytes),
    OF_U64(PS, rx_dropped), OF_U64(PS, tx_dropped), OF_U64(PS, rx_errors),
    OF_U64(PS, tx_errors), OF_U64(PS, rx_frame_err), OF_U64(PS, rx_over_err),
    OF_U64(PS, rx_crc_err), OF_U64(PS, collisions), OF_U32(PS, duration_sec),
    OF_U32(PS, duration_nsec));
#undef PS
BAD_LEN_LIST(port_stats_list_desc, "port_stats", struct of_port_stats,
             port_stats_layout, OF_LEN_FIXED);

#define QS struct of_queue_stats
OF_LAYOUT(static, queue_stats_layout, "queue_stats",
    OF_U32(QS, port_no), OF_U32(QS, queue_id), OF_U64(QS, tx_bytes),
    OF_U64(QS, tx_packets), OF_U64(QS, tx_errors), OF_U32(QS, duration_sec),
    OF_U32(QS, duration_nsec));
#undef QS
BAD_LEN_LIST(queue_stats_list_desc, "queue_stats", struct of_queue_stats,
             queue_stats_layout, OF_LEN_FIXED);

#define CP struct of_counter_pair
OF_LAYOUT(static, counter_pair_layout, "counters",
    OF_U64(CP, packet_count), OF_U64(CP, byte_count));
#undef CP
BAD_LEN_LIST(counter_pair_list_desc, "counters", struct of_counter_pair,
             counter_pair_layout, OF_LEN_FIXED);

#define GS struct of_group_stats
OF_LAYOUT(static, group_stats_layout, "group_stats",
    OF_LEN16(), OF_PAD(2), OF_U32(GS, group_id), OF_U32(GS, ref_count),
    OF_PAD(4), OF_U64(GS, packet_count), OF_U64(GS, byte_count),
    OF_U32(GS, duration_sec), OF_U32(GS, duration_nsec),
    OF_LIST(GS, bucket_stats, counter_pair_list_desc));
#undef GS
BAD_LEN_LIST(group_stats_list_desc, "group_stats", struct of_group_stats,
             group_stats_layout, OF_LEN_FIELD);

#define GD struct of_group_desc
OF_LAYOUT(static, group_desc_layout, "group_desc",
    OF_LEN16(), OF_U8(GD, type), OF_PAD(1), OF_U32(GD, group_id),
    OF_LIST(GD, buckets, of_bucket_list_desc));
#undef GD
BAD_LEN_LIST(group_desc_list_desc, "group_descs", struct of_group_desc,
             group_desc_layout, OF_LEN_FIELD);

#define MS struct of_meter_stats
OF_LAYOUT(static, meter_stats_layout, "meter_stats",
    OF_U32(MS, meter_id), OF_LEN16(), OF_PAD(6), OF_U32(MS, flow_count),
    OF_U64(MS, packet_in_count), OF_U64(MS, byte_in_count),
    OF_U32(MS, duration_sec), OF_U32(MS, duration_nsec),
    OF_LIST(MS, band_stats, counter_pair_list_desc));
#undef MS
BAD_LEN_LIST(meter_stats_list_desc, "meter_stats", struct of_meter_stats,
             meter_stats_layout, OF_LEN_FIELD);

#define MC struct of_meter_config
OF_LAYOUT(static, meter_config_layout, "meter_config",
    OF_LEN16(), OF_U16(MC, flags), OF_U32(MC, meter_id),
    OF_LIST(MC, bands, of_meter_band_list_desc));
#undef MC
BAD_LEN_LIST(meter_config_list_desc, "meter_configs", struct of_meter_config,
             meter_config_layout, OF_LEN_FIELD);

BAD_LEN_LIST(port_list_desc, "ports", struct of_port, of_port_layout,
             OF_LEN_FIXED);

/* ---- queue configuration (OFPT_QUEUE_GET_CONFIG_REPLY) ---- */

#define QP struct of_queue_prop
OF_LAYOUT(static, queue_prop_rate, "rate",
    OF_U16(QP, type), OF_LEN16(), OF_PAD(4), OF_U16(QP, rate), OF_PAD(6));
OF_LAYOUT(static, queue_prop_experimenter, "experimenter",
    OF_U16(QP, type), OF_LEN16(), OF_PAD(4),
    OF_U32(QP, experimenter.experimenter), OF_PAD(4),
    OF_DATA(QP, experimenter.data));
#undef QP
static const struct of_variant queue_prop_variants[] = {
    { OFPQT_MIN_RATE, &queue_prop_rate },
    { OFPQT_MAX_RATE, &queue_prop_rate },
    { OFPQT_EXPERIMENTER, &queue_prop_experimenter },
};
static const struct of_list_desc queue_prop_list_desc = {
    .name = "properties", .elem_size = sizeof(struct of_queue_prop),
    .variants = queue_prop_variants,
    .n_variants = OF_ARRAY_SIZE(queue_prop_variants),
    .len_rule = OF_LEN_FIELD, .align = 8,
    .err_len = { OFPET_BAD_REQUEST, OFPBRC_BAD_LEN },
    .err_type = { OFPET_BAD_REQUEST, OFPBRC_BAD_TYPE },
};

#define PQ struct of_packet_queue
OF_LAYOUT(static, packet_queue_layout, "queue",
    OF_U32(PQ, queue_id), OF_U32(PQ, port), OF_LEN16(), OF_PAD(6),
    OF_LIST(PQ, properties, queue_prop_list_desc));
#undef PQ
const struct of_list_desc of_packet_queue_list_desc = {
    .name = "queues", .elem_size = sizeof(struct of_packet_queue),
    .fixed = &packet_queue_layout, .len_rule = OF_LEN_FIELD,
    .err_len = { OFPET_BAD_REQUEST, OFPBRC_BAD_LEN },
};

/* ---- multipart bodies, relative to struct of_multipart ---- */

#define MP struct of_multipart
OF_LAYOUT(static, mp_desc_reply, "desc",
    OF_BYTES(MP, desc.mfr_desc, 256), OF_BYTES(MP, desc.hw_desc, 256),
    OF_BYTES(MP, desc.sw_desc, 256), OF_BYTES(MP, desc.serial_num, 32),
    OF_BYTES(MP, desc.dp_desc, 256));
OF_LAYOUT(static, mp_flow_request, "flow_request",
    OF_U8(MP, flow_request.table_id), OF_PAD(3),
    OF_U32(MP, flow_request.out_port), OF_U32(MP, flow_request.out_group),
    OF_PAD(4), OF_U64(MP, flow_request.cookie),
    OF_U64(MP, flow_request.cookie_mask), OF_MATCH(MP, flow_request.match));
OF_LAYOUT(static, mp_flow_reply, "flows",
    OF_LIST(MP, flows, flow_stats_list_desc));
OF_LAYOUT(static, mp_aggregate_reply, "aggregate",
    OF_U64(MP, aggregate.packet_count), OF_U64(MP, aggregate.byte_count),
    OF_U32(MP, aggregate.flow_count), OF_PAD(4));
OF_LAYOUT(static, mp_table_reply, "tables",
    OF_LIST(MP, tables, table_stats_list_desc));
OF_LAYOUT(static, mp_port_stats_request, "port_stats_request",
    OF_U32(MP, port_queue.port_no), OF_PAD(4));
OF_LAYOUT(static, mp_port_stats_reply, "port_stats",
    OF_LIST(MP, port_stats, port_stats_list_desc));
OF_LAYOUT(static, mp_queue_request, "queue_request",
    OF_U32(MP, port_queue.port_no), OF_U32(MP, port_queue.queue_id));
OF_LAYOUT(static, mp_queue_reply, "queue_stats",
    OF_LIST(MP, queue_stats, queue_stats_list_desc));
OF_LAYOUT(static, mp_id_request, "id_request",
    OF_U32(MP, id_request.id), OF_PAD(4));
OF_LAYOUT(static, mp_group_reply, "group_stats",
    OF_LIST(MP, group_stats, group_stats_list_desc));
OF_LAYOUT(static, mp_group_desc_reply, "group_descs",
    OF_LIST(MP, group_descs, group_desc_list_desc));
OF_LAYOUT(static, mp_group_features_reply, "group_features",
    OF_U32(MP, group_features.types), OF_U32(MP, group_features.capabilities),
    OF_U32N(MP, group_features.max_groups[0], "max_groups_all"),
    OF_U32N(MP, group_features.max_groups[1], "max_groups_select"),
    OF_U32N(MP, group_features.max_groups[2], "max_groups_indirect"),
    OF_U32N(MP, group_features.max_groups[3], "max_groups_ff"),
    OF_U32N(MP, group_features.actions[0], "actions_all"),
    OF_U32N(MP, group_features.actions[1], "actions_select"),
    OF_U32N(MP, group_features.actions[2], "actions_indirect"),
    OF_U32N(MP, group_features.actions[3], "actions_ff"));
OF_LAYOUT(static, mp_meter_reply, "meter_stats",
    OF_LIST(MP, meter_stats, meter_stats_list_desc));
OF_LAYOUT(static, mp_meter_config_reply, "meter_configs",
    OF_LIST(MP, meter_configs, meter_config_list_desc));
OF_LAYOUT(static, mp_meter_features_reply, "meter_features",
    OF_U32(MP, meter_features.max_meter), OF_U32(MP, meter_features.band_types),
    OF_U32(MP, meter_features.capabilities), OF_U8(MP, meter_features.max_bands),
    OF_U8(MP, meter_features.max_color), OF_PAD(2));
OF_LAYOUT(static, mp_table_features, "table_features",
    OF_LIST(MP, table_features, table_features_list_desc));
OF_LAYOUT(static, mp_port_desc_reply, "ports",
    OF_LIST(MP, ports, port_list_desc));
OF_LAYOUT(static, mp_experimenter, "experimenter",
    OF_U32(MP, experimenter.experimenter), OF_U32(MP, experimenter.exp_type),
    OF_DATA(MP, experimenter.data));
#undef MP

struct mp_type_desc {
    uint16_t type;
    const char *name;
    const struct of_layout *request;
    const struct of_layout *reply;
};

static const struct mp_type_desc mp_types[] = {
    { OFPMP_DESC, "DESC", &of_empty_layout, &mp_desc_reply },
    { OFPMP_FLOW, "FLOW", &mp_flow_request, &mp_flow_reply },
    { OFPMP_AGGREGATE, "AGGREGATE", &mp_flow_request, &mp_aggregate_reply },
    { OFPMP_TABLE, "TABLE", &of_empty_layout, &mp_table_reply },
    { OFPMP_PORT_STATS, "PORT_STATS", &mp_port_stats_request, &mp_port_stats_reply },
    { OFPMP_QUEUE, "QUEUE", &mp_queue_request, &mp_queue_reply },
    { OFPMP_GROUP, "GROUP", &mp_id_request, &mp_group_reply },
    { OFPMP_GROUP_DESC, "GROUP_DESC", &of_empty_layout, &mp_group_desc_reply },
    { OFPMP_GROUP_FEATURES, "GROUP_FEATURES", &of_empty_layout, &mp_group_features_reply },
    { OFPMP_METER, "METER", &mp_id_request, &mp_meter_reply },
    { OFPMP_METER_CONFIG, "METER_CONFIG", &mp_id_request, &mp_meter_config_reply },
    { OFPMP_METER_FEATURES, "METER_FEATURES", &of_empty_layout, &mp_meter_features_reply },
    { OFPMP_TABLE_FEATURES, "TABLE_FEATURES", &mp_table_features, &mp_table_features },
    { OFPMP_PORT_DESC, "PORT_DESC", &of_empty_layout, &mp_port_desc_reply },
    { OFPMP_EXPERIMENTER, "EXPERIMENTER", &mp_experimenter, &mp_experimenter },
};

static const struct mp_type_desc *
mp_type_desc(uint16_t type)
{
    for (size_t i = 0; i < OF_ARRAY_SIZE(mp_types); i++) {
        if (mp_types[i].type == type) {
            return &mp_types[i];
        }
    }
    return NULL;
}

const char *
of_multipart_type_name(uint16_t type)
{
    const struct mp_type_desc *d = mp_type_desc(type);
    return d ? d->name : NULL;
}

const struct of_layout *
of_multipart_body_layout(uint16_t mp_type, bool reply)
{
    const struct mp_type_desc *d = mp_type_desc(mp_type);
    return d ? (reply ? d->reply : d->request) : NULL;
}

/* The list op when the body is nothing but a list (the splittable kinds). */
static const struct of_op *
body_list_op(const struct of_msg *msg)
{
    const struct of_layout *l = of_multipart_body_layout(
        msg->multipart.type, msg->type == OFPT_MULTIPART_REPLY);
    return l && l->n_ops == 1 && l->ops[0].kind == OFL_LIST ? &l->ops[0] : NULL;
}

static bool
is_multipart(const struct of_msg *msg)
{
    return msg->type == OFPT_MULTIPART_REQUEST || msg->type == OFPT_MULTIPART_REPLY;
}

int
of_multipart_encode_split(const struct of_msg *msg, size_t max_len,
                          struct of_buf *out)
{
    if (!max_len || max_len > OFP_MAX_MSG_LEN) {
        max_len = OFP_MAX_MSG_LEN;
    }
    const struct of_op *op = is_multipart(msg) ? body_list_op(msg) : NULL;
    if (!op) {
        int error = of_msg_encode(msg, out);
        return error ? error : 1;
    }
    const size_t hdr = OFP_HEADER_LEN + 8;
    struct of_list list;
    memcpy(&list, (const char *) &msg->multipart + op->off, sizeof list);
    if (list.n && !list.items) {
        return -EINVAL;
    }

    size_t start = out->len;
    int n_msgs = 0;
    uint32_t i = 0;
    do {
        /* One part: header, then as many whole entries as fit. */
        size_t part = out->len;
        int error = of_buf_put_zeros(out, hdr);
        while (!error && i < list.n) {
            size_t before = out->len;
            error = of_list_elem_encode(
                op->list, (const char *) list.items + (size_t) i * op->list->elem_size, out);
            if (error) {
                break;
            }
            if (out->len - part > max_len) {
                if (before == part + hdr) {
                    error = -EMSGSIZE;      /* one entry alone is too big */
                    break;
                }
                out->len = before;
                break;
            }
            i++;
        }
        if (error) {
            out->len = start;
            return error;
        }
        uint8_t *h = out->data + part;
        h[0] = msg->version;
        h[1] = msg->type;
        of_put16(h + 2, (uint16_t) (out->len - part));
        of_put32(h + 4, msg->xid);
        of_put16(h + 8, msg->multipart.type);
        of_put16(h + 10, (uint16_t) ((msg->multipart.flags & ~OFPMPF_REPLY_MORE)
                                     | (i < list.n ? OFPMPF_REPLY_MORE : 0)));
        n_msgs++;
    } while (i < list.n);
    return n_msgs;
}

int
of_multipart_append(struct of_msg *acc, const struct of_msg *part)
{
    if (!is_multipart(acc) || acc->type != part->type
        || acc->multipart.type != part->multipart.type) {
        return -EINVAL;
    }
    const struct of_op *op = body_list_op(acc);
    if (!op) {
        return -EINVAL;
    }
    struct of_list a, b;
    memcpy(&a, (char *) &acc->multipart + op->off, sizeof a);
    memcpy(&b, (const char *) &part->multipart + op->off, sizeof b);
    size_t es = op->list->elem_size;
    void *items = of_arena_alloc(&acc->arena, ((size_t) a.n + b.n) * es + 1);
    if (!items) {
        return -ENOMEM;
    }
    if (a.n) {
        memcpy(items, a.items, a.n * es);
    }
    if (b.n) {
        /* Shallow copy: nested arrays stay in 'part's arena, which the
         * caller keeps alive until it is done with 'acc'. */
        memcpy((char *) items + a.n * es, b.items, b.n * es);
    }
    a.items = items;
    a.n += b.n;
    memcpy((char *) &acc->multipart + op->off, &a, sizeof a);
    acc->multipart.flags = part->multipart.flags;
    return 0;
}
