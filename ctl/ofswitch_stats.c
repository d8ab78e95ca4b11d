/*
 * ofswitch_stats.c — the switch front's read side: every OFPT_MULTIPART
 * request type of OpenFlow 1.3 and QUEUE_GET_CONFIG (see ofswitch.h).
 *
 * Replies are built as one struct of_msg whose list may be any length:
 * of_req_reply() splits it into as many MORE-flagged messages as needed.
 * Nested arrays (instructions, buckets, bands, properties) come from the
 * reply's arena; top-level entry arrays are malloc'd and freed after the
 * reply is sent (the codec encodes lists from anywhere).
 *
 * Choices where the spec leaves room follow Open vSwitch: a request for a
 * port or group that does not exist gets an empty reply, for a meter that
 * does not exist UNKNOWN_METER; TABLE_FEATURES with a body (a request to
 * change the tables) is refused with EPERM; there are no queues.
 *
 * Main thread only.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ofswitch_private.h"
#include "lib/log.h"
#include "openflow/of_ft.h"

#define MOD "ofswitch"

static enum of_req_result
fail(struct of_err *err, uint16_t type, uint16_t code)
{
    err->type = type;
    err->code = code;
    return OF_REQ_ERROR;
}

static void
reply_init(struct of_msg *reply, uint16_t mp_type)
{
    of_msg_init(reply, OFPT_MULTIPART_REPLY, 0);
    reply->multipart.type = mp_type;
}

/* Sends 'reply' and frees its arena. A reply that cannot be encoded is a
 * bug (every list is split as needed), so it is logged. */
static enum of_req_result
reply_send(struct of_req *req, struct of_msg *reply)
{
    int error = of_req_reply(req, reply);
    if (error && error != -ENOTCONN) {
        VLOG_WARN(MOD, "%s reply to xid %u not sent: %s",
                  of_multipart_type_name(reply->multipart.type),
                  of_req_xid(req), strerror(-error));
    }
    of_msg_uninit(reply);
    return OF_REQ_DONE;
}

static enum of_req_result
nomem(struct of_msg *reply, struct of_err *err)
{
    of_msg_uninit(reply);
    return fail(err, OFPET_BAD_REQUEST, OFPBRC_EPERM);
}

/* ---- flows ---------------------------------------------------------------- */

struct flow_dump {
    struct of_msg *reply;
    int64_t now_ms;
    struct of_flow_stats *items;
    uint32_t n, cap;
    /* aggregate */
    uint64_t packets, bytes;
    uint32_t count;
};

static int
flow_stats_cb(const struct ft_flow *flow, void *aux)
{
    struct flow_dump *d = aux;
    if (d->n == d->cap) {
        uint32_t cap = d->cap ? 2 * d->cap : 64;
        struct of_flow_stats *items = realloc(d->items, cap * sizeof *items);
        if (!items) {
            return -ENOMEM;
        }
        d->items = items;
        d->cap = cap;
    }
    int error = of_ft_flow_stats_from_ft(flow, d->now_ms, &d->items[d->n],
                                         d->reply);
    if (!error) {
        d->n++;
    }
    return error;
}

static int
aggregate_cb(const struct ft_flow *flow, void *aux)
{
    struct flow_dump *d = aux;
    uint64_t packets = ft_flow_packet_count(flow);
    uint64_t bytes = ft_flow_byte_count(flow);
    /* Uncounted entries (NO_PKT_COUNTS / NO_BYT_COUNTS) add nothing. */
    if (packets != UINT64_MAX) {
        d->packets += packets;
    }
    if (bytes != UINT64_MAX) {
        d->bytes += bytes;
    }
    d->count++;
    return 0;
}

static enum of_req_result
handle_flow(struct ofswitch *sw, struct of_req *req, const struct of_msg *msg,
            struct of_err *err)
{
    const struct of_flow_stats_request *fr = &msg->multipart.flow_request;
    if (fr->table_id != OFPTT_ALL
        && fr->table_id >= ft_pipeline_n_tables(sw->pipeline)) {
        return fail(err, OFPET_BAD_REQUEST, OFPBRC_BAD_TABLE_ID);
    }
    struct ft_flow_filter filter;
    of_ft_flow_filter_from_of(fr, &filter);

    struct of_msg reply;
    reply_init(&reply, msg->multipart.type);
    struct flow_dump d = { .reply = &reply, .now_ms = ofs_now(sw) };
    if (msg->multipart.type == OFPMP_AGGREGATE) {
        ft_pipeline_foreach_flow(sw->pipeline, &filter, aggregate_cb, &d);
        reply.multipart.aggregate.packet_count = d.packets;
        reply.multipart.aggregate.byte_count = d.bytes;
        reply.multipart.aggregate.flow_count = d.count;
        return reply_send(req, &reply);
    }
    if (ft_pipeline_foreach_flow(sw->pipeline, &filter, flow_stats_cb, &d)) {
        free(d.items);
        return nomem(&reply, err);
    }
    reply.multipart.flows.items = d.items;
    reply.multipart.flows.n = d.n;
    enum of_req_result r = reply_send(req, &reply);
    free(d.items);
    return r;
}

static enum of_req_result
handle_table(struct ofswitch *sw, struct of_req *req, struct of_err *err)
{
    uint8_t n = ft_pipeline_n_tables(sw->pipeline);
    struct of_msg reply;
    reply_init(&reply, OFPMP_TABLE);
    struct of_table_stats *ts = of_msg_alloc(&reply, n * sizeof *ts);
    if (!ts) {
        return nomem(&reply, err);
    }
    for (uint8_t i = 0; i < n; i++) {
        struct ft_table_stats fts;
        ft_pipeline_table_stats(sw->pipeline, i, &fts);
        of_ft_table_stats_from_ft(&fts, &ts[i]);
    }
    reply.multipart.tables.items = ts;
    reply.multipart.tables.n = n;
    return reply_send(req, &reply);
}

/* ---- ports and queues ----------------------------------------------------- */

static enum of_req_result
handle_port_stats(struct ofswitch *sw, struct of_req *req,
                  const struct of_msg *msg, struct of_err *err)
{
    if (!sw->dp.get_port_stats) {
        return fail(err, OFPET_BAD_REQUEST, OFPBRC_BAD_MULTIPART);
    }
    uint32_t port_no = msg->multipart.port_queue.port_no;
    size_t n_ports = 1;
    struct of_port *ports = NULL;
    if (port_no == OFPP_ANY) {
        ports = ofs_get_ports(sw, &n_ports);
    }
    struct of_msg reply;
    reply_init(&reply, OFPMP_PORT_STATS);
    struct of_port_stats *ps = NULL;
    if (n_ports) {
        ps = of_msg_alloc(&reply, n_ports * sizeof *ps);
        if (!ps) {
            free(ports);
            return nomem(&reply, err);
        }
    }
    uint32_t n = 0;
    for (size_t i = 0; i < n_ports; i++) {
        uint32_t p = ports ? ports[i].port_no : port_no;
        if (!sw->dp.get_port_stats(sw->dp_aux, p, &ps[n])) {
            ps[n++].port_no = p;
        }
    }
    free(ports);
    reply.multipart.port_stats.items = ps;
    reply.multipart.port_stats.n = n;
    return reply_send(req, &reply);
}

static enum of_req_result
handle_port_desc(struct ofswitch *sw, struct of_req *req)
{
    size_t n;
    struct of_port *ports = ofs_get_ports(sw, &n);
    struct of_msg reply;
    reply_init(&reply, OFPMP_PORT_DESC);
    reply.multipart.ports.items = ports;
    reply.multipart.ports.n = (uint32_t) n;
    enum of_req_result r = reply_send(req, &reply);
    free(ports);
    return r;
}

/* A port a queue request may name: OFPP_ANY or one of the bridge's. */
static bool
queue_port_valid(struct ofswitch *sw, uint32_t port_no)
{
    struct of_port port;
    return port_no == OFPP_ANY || ofs_find_port(sw, port_no, &port);
}

static enum of_req_result
handle_queue(struct ofswitch *sw, struct of_req *req, const struct of_msg *msg,
             struct of_err *err)
{
    const struct of_port_queue_request *q = &msg->multipart.port_queue;
    if (!queue_port_valid(sw, q->port_no)) {
        return fail(err, OFPET_QUEUE_OP_FAILED, OFS_OFPQOFC_BAD_PORT);
    }
    /* No port has queues: "all" is an empty list, any one is unknown. */
    if (q->queue_id != OFS_OFPQ_ALL) {
        return fail(err, OFPET_QUEUE_OP_FAILED, OFS_OFPQOFC_BAD_QUEUE);
    }
    struct of_msg reply;
    reply_init(&reply, OFPMP_QUEUE);
    return reply_send(req, &reply);
}

enum of_req_result
ofs_handle_queue_get_config(void *aux, struct of_req *req,
                            const struct of_msg *msg, struct of_err *err)
{
    struct ofswitch *sw = aux;
    uint32_t port = msg->queue_get_config_request.port;
    if (!queue_port_valid(sw, port)) {
        return fail(err, OFPET_QUEUE_OP_FAILED, OFS_OFPQOFC_BAD_PORT);
    }
    struct of_msg reply;
    of_msg_init(&reply, OFPT_QUEUE_GET_CONFIG_REPLY, 0);
    reply.queue_get_config_reply.port = port;
    of_req_reply(req, &reply);
    return OF_REQ_DONE;
}

/* ---- groups ----------------------------------------------------------------- */

/* The ids a GROUP / GROUP_DESC request covers: all (OFPG_ALL) or one. A
 * malloc'd array of '*n' ids (NULL when none). */
static uint32_t *
group_ids(struct ft_group_table *groups, uint32_t group_id, uint32_t *n)
{
    uint32_t *ids;
    if (group_id != OFPG_ALL) {
        ids = ft_group_lookup(groups, group_id) ? malloc(sizeof *ids) : NULL;
        *n = ids ? 1 : 0;
        if (ids) {
            ids[0] = group_id;
        }
        return ids;
    }
    uint32_t cap = ft_group_count(groups);
    ids = cap ? malloc(cap * sizeof *ids) : NULL;
    *n = ids ? ft_group_list(groups, ids, cap) : 0;
    if (*n > cap) {
        *n = cap;       /* cannot grow between the calls: main thread */
    }
    return ids;
}

static enum of_req_result
handle_group(struct ofswitch *sw, struct of_req *req, const struct of_msg *msg,
             struct of_err *err)
{
    struct ft_group_table *groups = ft_pipeline_groups(sw->pipeline);
    bool desc = msg->multipart.type == OFPMP_GROUP_DESC;
    uint32_t n;
    uint32_t *ids = group_ids(groups, desc ? OFPG_ALL
                              : msg->multipart.id_request.id, &n);
    struct of_msg reply;
    reply_init(&reply, msg->multipart.type);
    size_t size = desc ? sizeof(struct of_group_desc)
                       : sizeof(struct of_group_stats);
    void *items = n ? of_msg_alloc(&reply, n * size) : NULL;
    if (n && !items) {
        free(ids);
        return nomem(&reply, err);
    }
    uint64_t now_ns = (uint64_t) ofs_now(sw) * 1000000u;
    /* ft_group_stats carries every bucket's counters: not for the stack. */
    struct ft_group_stats *gs = desc ? NULL : malloc(sizeof *gs);
    uint32_t k = 0;
    int error = !desc && !gs ? -ENOMEM : 0;
    for (uint32_t i = 0; i < n && !error; i++) {
        if (desc) {
            struct ft_group_desc gd;
            if (!ft_group_get_desc(groups, ids[i], &gd)) {
                error = of_ft_group_desc_from_ft(
                    &gd, &((struct of_group_desc *) items)[k++], &reply);
            }
        } else if (!ft_group_get_stats(groups, ids[i], now_ns, gs)) {
            error = of_ft_group_stats_from_ft(
                gs, &((struct of_group_stats *) items)[k++], &reply);
        }
    }
    free(gs);
    free(ids);
    if (error) {
        return nomem(&reply, err);
    }
    if (desc) {
        reply.multipart.group_descs.items = items;
        reply.multipart.group_descs.n = k;
    } else {
        reply.multipart.group_stats.items = items;
        reply.multipart.group_stats.n = k;
    }
    return reply_send(req, &reply);
}

static enum of_req_result
handle_group_features(struct ofswitch *sw, struct of_req *req)
{
    struct ft_group_features gf;
    struct of_msg reply;
    ft_group_get_features(ft_pipeline_groups(sw->pipeline), &gf);
    reply_init(&reply, OFPMP_GROUP_FEATURES);
    of_ft_group_features_from_ft(&gf, &reply.multipart.group_features);
    return reply_send(req, &reply);
}

/* ---- meters ----------------------------------------------------------------- */

static enum of_req_result
handle_meter(struct ofswitch *sw, struct of_req *req, const struct of_msg *msg,
             struct of_err *err)
{
    struct ft_meter_table *meters = ft_pipeline_meters(sw->pipeline);
    bool config = msg->multipart.type == OFPMP_METER_CONFIG;
    uint32_t meter_id = msg->multipart.id_request.id;
    uint32_t n, *ids;

    if (meter_id == FT_OFPM_ALL) {
        uint32_t cap = ft_meter_count(meters);
        ids = cap ? malloc(cap * sizeof *ids) : NULL;
        n = ids ? ft_meter_list(meters, ids, cap) : 0;
        if (n > cap) {
            n = cap;
        }
    } else {
        if (!ft_meter_lookup(meters, meter_id)) {
            return fail(err, OFPET_METER_MOD_FAILED,
                        OFS_OFPMMFC_UNKNOWN_METER);
        }
        ids = malloc(sizeof *ids);
        n = ids ? 1 : 0;
        if (ids) {
            ids[0] = meter_id;
        }
    }
    struct of_msg reply;
    reply_init(&reply, msg->multipart.type);
    size_t size = config ? sizeof(struct of_meter_config)
                         : sizeof(struct of_meter_stats);
    void *items = n ? of_msg_alloc(&reply, n * size) : NULL;
    if (n && !items) {
        free(ids);
        return nomem(&reply, err);
    }
    uint64_t now_ns = (uint64_t) ofs_now(sw) * 1000000u;
    uint32_t k = 0;
    int error = 0;
    for (uint32_t i = 0; i < n && !error; i++) {
        if (config) {
            struct ft_meter_config mc;
            if (ft_meter_get_config(meters, ids[i], &mc) == FT_METER_OK) {
                error = of_ft_meter_config_from_ft(
                    &mc, &((struct of_meter_config *) items)[k++], &reply);
            }
        } else {
            struct ft_meter_stats ms;
            if (ft_meter_get_stats(meters, ids[i], now_ns, &ms)
                == FT_METER_OK) {
                error = of_ft_meter_stats_from_ft(
                    &ms, &((struct of_meter_stats *) items)[k++], &reply);
            }
        }
    }
    free(ids);
    if (error) {
        return nomem(&reply, err);
    }
    if (config) {
        reply.multipart.meter_configs.items = items;
        reply.multipart.meter_configs.n = k;
    } else {
        reply.multipart.meter_stats.items = items;
        reply.multipart.meter_stats.n = k;
    }
    return reply_send(req, &reply);
}

static enum of_req_result
handle_meter_features(struct ofswitch *sw, struct of_req *req)
{
    struct ft_meter_features mf;
    struct of_msg reply;
    ft_meter_get_features(ft_pipeline_meters(sw->pipeline), &mf);
    reply_init(&reply, OFPMP_METER_FEATURES);
    of_ft_meter_features_from_ft(&mf, &reply.multipart.meter_features);
    return reply_send(req, &reply);
}

/* ---- table features ------------------------------------------------------- */

/* The id lists every table shares, built once per reply in its arena. */
struct tf_lists {
    struct of_feature_id insts[6];  /* GOTO_TABLE first: the last table
                                       lists the other five */
    struct of_feature_id actions[16];
    uint32_t n_actions;
    uint32_t match[OF_OXM_N_FIELDS];        /* with HM where maskable */
    uint32_t wildcards[OF_OXM_N_FIELDS];
    uint32_t n_fields;
    uint32_t setfields[OF_OXM_N_FIELDS];
    uint32_t n_setfields;
    uint8_t tables[FT_N_TABLES];            /* 0..253: next tables slice */
};

static uint32_t
oxm_header(uint8_t field, bool hasmask)
{
    unsigned int len = of_oxm_field_len(field);
    return (uint32_t) OFPXMC_OPENFLOW_BASIC << 16 | (uint32_t) field << 9
           | (uint32_t) hasmask << 8 | (hasmask ? 2 * len : len);
}

static void
tf_lists_init(struct tf_lists *l)
{
    static const uint16_t insts[] = {
        OFPIT_GOTO_TABLE, OFPIT_WRITE_METADATA, OFPIT_WRITE_ACTIONS,
        OFPIT_APPLY_ACTIONS, OFPIT_CLEAR_ACTIONS, OFPIT_METER,
    };
    /* Every 1.3 action but EXPERIMENTER is implemented. */
    static const uint16_t actions[] = {
        OFPAT_OUTPUT, OFPAT_COPY_TTL_OUT, OFPAT_COPY_TTL_IN,
        OFPAT_SET_MPLS_TTL, OFPAT_DEC_MPLS_TTL, OFPAT_PUSH_VLAN,
        OFPAT_POP_VLAN, OFPAT_PUSH_MPLS, OFPAT_POP_MPLS, OFPAT_SET_QUEUE,
        OFPAT_GROUP, OFPAT_SET_NW_TTL, OFPAT_DEC_NW_TTL, OFPAT_SET_FIELD,
        OFPAT_PUSH_PBB, OFPAT_POP_PBB,
    };
    memset(l, 0, sizeof *l);
    for (size_t i = 0; i < OFS_ARRAY_SIZE(insts); i++) {
        l->insts[i].type = insts[i];
    }
    for (size_t i = 0; i < OFS_ARRAY_SIZE(actions); i++) {
        l->actions[i].type = actions[i];
    }
    l->n_actions = OFS_ARRAY_SIZE(actions);
    /* Every basic field decodes into the flow key, so every one can be
     * matched (masked where OXM allows) and wildcarded. */
    for (unsigned int f = 0; f < OF_OXM_N_FIELDS; f++) {
        if (!of_oxm_field_len((uint8_t) f)) {
            continue;
        }
        l->match[l->n_fields] = oxm_header((uint8_t) f,
                                           of_oxm_field_maskable((uint8_t) f));
        l->wildcards[l->n_fields++] = oxm_header((uint8_t) f, false);
        if (of_oxm_field_settable((uint8_t) f)) {
            l->setfields[l->n_setfields++] = oxm_header((uint8_t) f, false);
        }
    }
    for (unsigned int i = 0; i < FT_N_TABLES; i++) {
        l->tables[i] = (uint8_t) i;
    }
}

/* The 14 standard properties of table 'id' of 'n': each kind and its
 * _MISS twin say the same (a table-miss entry may do what any entry
 * does). */
static void
tf_props(const struct tf_lists *l, uint8_t id, uint8_t n,
         struct of_table_feature_prop *p)
{
    bool last = id + 1 >= n;
    struct of_feature_id_list insts = {
        (struct of_feature_id *) (last ? l->insts + 1 : l->insts),
        last ? 5 : 6,
    };
    struct of_u8_list next = {
        (uint8_t *) (last ? NULL : l->tables + id + 1),
        last ? 0 : (uint32_t) (n - id - 1),
    };
    struct of_feature_id_list acts = {
        (struct of_feature_id *) l->actions, l->n_actions,
    };
    struct of_u32_list setf = { (uint32_t *) l->setfields, l->n_setfields };

    p[0] = (struct of_table_feature_prop) { .type = OFPTFPT_INSTRUCTIONS,
                                            .ids = insts };
    p[1] = (struct of_table_feature_prop) { .type = OFPTFPT_INSTRUCTIONS_MISS,
                                            .ids = insts };
    p[2] = (struct of_table_feature_prop) { .type = OFPTFPT_NEXT_TABLES,
                                            .tables = next };
    p[3] = (struct of_table_feature_prop) { .type = OFPTFPT_NEXT_TABLES_MISS,
                                            .tables = next };
    p[4] = (struct of_table_feature_prop) { .type = OFPTFPT_WRITE_ACTIONS,
                                            .ids = acts };
    p[5] = (struct of_table_feature_prop) { .type = OFPTFPT_WRITE_ACTIONS_MISS,
                                            .ids = acts };
    p[6] = (struct of_table_feature_prop) { .type = OFPTFPT_APPLY_ACTIONS,
                                            .ids = acts };
    p[7] = (struct of_table_feature_prop) { .type = OFPTFPT_APPLY_ACTIONS_MISS,
                                            .ids = acts };
    p[8] = (struct of_table_feature_prop) {
        .type = OFPTFPT_MATCH,
        .oxm_ids = { (uint32_t *) l->match, l->n_fields } };
    p[9] = (struct of_table_feature_prop) {
        .type = OFPTFPT_WILDCARDS,
        .oxm_ids = { (uint32_t *) l->wildcards, l->n_fields } };
    p[10] = (struct of_table_feature_prop) { .type = OFPTFPT_WRITE_SETFIELD,
                                             .oxm_ids = setf };
    p[11] = (struct of_table_feature_prop) {
        .type = OFPTFPT_WRITE_SETFIELD_MISS, .oxm_ids = setf };
    p[12] = (struct of_table_feature_prop) { .type = OFPTFPT_APPLY_SETFIELD,
                                             .oxm_ids = setf };
    p[13] = (struct of_table_feature_prop) {
        .type = OFPTFPT_APPLY_SETFIELD_MISS, .oxm_ids = setf };
}

#define OFS_TF_N_PROPS 14

static enum of_req_result
handle_table_features(struct ofswitch *sw, struct of_req *req,
                      const struct of_msg *msg, struct of_err *err)
{
    /* A body asks to reconfigure the tables: refused, as Open vSwitch. */
    if (msg->multipart.table_features.n) {
        return fail(err, OFPET_TABLE_FEATURES_FAILED, OFS_OFPTFFC_EPERM);
    }
    uint8_t n = ft_pipeline_n_tables(sw->pipeline);
    struct of_msg reply;
    reply_init(&reply, OFPMP_TABLE_FEATURES);
    struct tf_lists *lists = of_msg_alloc(&reply, sizeof *lists);
    struct of_table_features *tf = of_msg_alloc(&reply, n * sizeof *tf);
    struct of_table_feature_prop *props = of_msg_alloc(
        &reply, (size_t) n * OFS_TF_N_PROPS * sizeof *props);
    if (!lists || !tf || !props) {
        return nomem(&reply, err);
    }
    tf_lists_init(lists);
    for (uint8_t i = 0; i < n; i++) {
        tf[i].table_id = i;
        snprintf(tf[i].name, sizeof tf[i].name, "table%u", i);
        tf[i].metadata_match = UINT64_MAX;
        tf[i].metadata_write = UINT64_MAX;
        tf[i].config = 0;
        tf[i].max_entries = sw->max_flows ? sw->max_flows : UINT32_MAX;
        tf_props(lists, i, n, &props[i * OFS_TF_N_PROPS]);
        tf[i].properties.items = &props[i * OFS_TF_N_PROPS];
        tf[i].properties.n = OFS_TF_N_PROPS;
    }
    reply.multipart.table_features.items = tf;
    reply.multipart.table_features.n = n;
    return reply_send(req, &reply);
}

/* ---- dispatch ------------------------------------------------------------- */

enum of_req_result
ofs_handle_multipart(void *aux, struct of_req *req, const struct of_msg *msg,
                     struct of_err *err)
{
    struct ofswitch *sw = aux;
    struct of_msg reply;

    switch (msg->multipart.type) {
    case OFPMP_DESC:
        reply_init(&reply, OFPMP_DESC);
        reply.multipart.desc = sw->desc;
        return reply_send(req, &reply);
    case OFPMP_FLOW:
    case OFPMP_AGGREGATE:
        return handle_flow(sw, req, msg, err);
    case OFPMP_TABLE:
        return handle_table(sw, req, err);
    case OFPMP_PORT_STATS:
        return handle_port_stats(sw, req, msg, err);
    case OFPMP_QUEUE:
        return handle_queue(sw, req, msg, err);
    case OFPMP_GROUP:
    case OFPMP_GROUP_DESC:
        return handle_group(sw, req, msg, err);
    case OFPMP_GROUP_FEATURES:
        return handle_group_features(sw, req);
    case OFPMP_METER:
    case OFPMP_METER_CONFIG:
        return handle_meter(sw, req, msg, err);
    case OFPMP_METER_FEATURES:
        return handle_meter_features(sw, req);
    case OFPMP_TABLE_FEATURES:
        return handle_table_features(sw, req, msg, err);
    case OFPMP_PORT_DESC:
        return handle_port_desc(sw, req);
    case OFPMP_EXPERIMENTER:
        return fail(err, OFPET_BAD_REQUEST, OFPBRC_BAD_EXPERIMENTER);
    default:
        return fail(err, OFPET_BAD_REQUEST, OFPBRC_BAD_MULTIPART);
    }
}
