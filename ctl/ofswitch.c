/*
 * ofswitch.c — the OpenFlow switch front of a bridge (see ofswitch.h):
 * creation, the handler table, FEATURES and switch config, FLOW_MOD,
 * GROUP_MOD, METER_MOD, PORT_MOD, TABLE_MOD, PACKET_OUT, the requests that
 * wait for the datapath, and the asynchronous messages. Multipart replies
 * are in ofswitch_stats.c, bundles in ofswitch_bundle.c.
 *
 * Every modification follows one pattern: check what only the switch can
 * check (buffers, ports), convert with of_ft.h, apply to the pipeline
 * (which checks the rest and leaves nothing changed on error), then wait
 * for the datapath to reach the pipeline's new generation so that a later
 * BARRIER_REPLY means the change is in effect.
 *
 * Main thread only.
 */
#include "ctl/ofswitch.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ofswitch_private.h"
#include "datapath/dp_parse.h"
#include "flowtable/ft_xlate.h"
#include "lib/log.h"
#include "lib/timeval.h"
#include "openflow/of_ft.h"
#include "vswitch-config.h"

#define MOD "ofswitch"

/* Ethernet header: a packet-out shorter than this is no packet. */
#define OFS_MIN_PACKET_LEN 14
/* PACKET_IN without its data: header, fixed part, the largest match we
 * build (in_port, metadata, tunnel id: 48 bytes) and the 2-byte pad,
 * rounded up; what is left of a message is room for packet bytes. */
#define OFS_PACKET_IN_OVERHEAD 128

static int64_t
default_clock(void *aux)
{
    (void) aux;
    return time_msec();
}

int64_t
ofs_now(const struct ofswitch *sw)
{
    return sw->clock(sw->clock_aux);
}

static enum of_req_result
fail(struct of_err *err, uint16_t type, uint16_t code)
{
    err->type = type;
    err->code = code;
    return OF_REQ_ERROR;
}

enum of_req_result
ofs_conv_error(int error, struct of_err *err)
{
    if (error != -EINVAL) {
        /* Out of memory: 1.3 has no better code for "cannot now". */
        return fail(err, OFPET_BAD_REQUEST, OFPBRC_EPERM);
    }
    return OF_REQ_ERROR;
}

/* ---- ports ---------------------------------------------------------------- */

struct of_port *
ofs_get_ports(struct ofswitch *sw, size_t *n)
{
    size_t cap = 64;
    for (;;) {
        struct of_port *ports = calloc(cap, sizeof *ports);
        if (!ports) {
            *n = 0;
            return NULL;
        }
        size_t total = sw->dp.get_ports(sw->dp_aux, ports, cap);
        if (total <= cap) {
            *n = total;
            return ports;
        }
        free(ports);
        cap = total;            /* ports appeared between the calls: retry */
    }
}

bool
ofs_find_port(struct ofswitch *sw, uint32_t port_no, struct of_port *out)
{
    size_t n;
    struct of_port *ports = ofs_get_ports(sw, &n);
    bool found = false;
    for (size_t i = 0; i < n && !found; i++) {
        if (ports[i].port_no == port_no) {
            *out = ports[i];
            found = true;
        }
    }
    free(ports);
    return found;
}

/* ---- waiting for the datapath ------------------------------------------- */

enum of_req_result
ofs_wait_datapath(struct ofswitch *sw, struct of_req *req)
{
    uint64_t gen = ft_pipeline_generation(sw->pipeline);

    if (!sw->dp.sync_generation || sw->applied_generation >= gen) {
        return OF_REQ_DONE;
    }
    /* One sync at a time: while one is outstanding, later requests only
     * queue, and ofswitch_generation_applied() asks for the newest
     * generation when it completes. A stream of FLOW_MODs thus costs the
     * datapath one revalidation per batch, not one per message. */
    if (!sw->waiters && sw->dp.sync_generation(sw->dp_aux, gen)) {
        return OF_REQ_DONE;
    }
    struct ofs_waiter *w = malloc(sizeof *w);
    if (!w) {
        /* The change is made; only the barrier guarantee is lost. */
        VLOG_WARN(MOD, "out of memory: request xid %u completes before the "
                  "datapath reaches generation %llu", of_req_xid(req),
                  (unsigned long long) gen);
        return OF_REQ_DONE;
    }
    w->next = NULL;
    w->req = req;
    w->generation = gen;
    if (sw->waiters_tail) {
        sw->waiters_tail->next = w;
    } else {
        sw->waiters = w;
    }
    sw->waiters_tail = w;
    sw->n_waiters++;
    return OF_REQ_PENDING;
}

void
ofswitch_generation_applied(struct ofswitch *sw, uint64_t generation)
{
    if (generation > sw->applied_generation) {
        sw->applied_generation = generation;
    }
    /* Waiters are appended with the pipeline's generation at the time,
     * which never decreases: the list is in generation order, so the
     * completed ones are a prefix. Stopping at the first one still
     * waiting keeps a long stream of FLOW_MODs (add-flows) linear; a
     * full scan per notice made it quadratic. */
    while (sw->waiters && sw->waiters->generation <= generation) {
        struct ofs_waiter *w = sw->waiters;
        sw->waiters = w->next;
        if (sw->waiters_tail == w) {
            sw->waiters_tail = NULL;
        }
        sw->n_waiters--;
        of_req_complete(w->req, NULL);
        free(w);
    }
    /* Requests queued behind the completed sync: ask for the newest
     * generation they wait for (the datapath may already be there). */
    if (sw->waiters && sw->dp.sync_generation
        && sw->dp.sync_generation(sw->dp_aux,
                                  sw->waiters_tail->generation)) {
        ofswitch_generation_applied(sw, sw->waiters_tail->generation);
    }
}

size_t
ofswitch_n_waiting(const struct ofswitch *sw)
{
    return sw->n_waiters;
}

/* ---- FEATURES and switch config ------------------------------------------ */

static void
handle_features(void *aux, struct of_features_reply *f)
{
    struct ofswitch *sw = aux;
    f->datapath_id = sw->datapath_id;
    f->n_buffers = 0;                   /* no packet buffering */
    f->n_tables = ft_pipeline_n_tables(sw->pipeline);
    /* Only what is true: no IP reassembly, queues or STP here. */
    f->capabilities = OFS_OFPC_FLOW_STATS | OFS_OFPC_TABLE_STATS
                      | OFS_OFPC_GROUP_STATS
                      | (sw->dp.get_port_stats ? OFS_OFPC_PORT_STATS : 0);
    f->reserved = 0;
}

static enum of_req_result
handle_get_config(void *aux, struct of_req *req, const struct of_msg *msg,
                  struct of_err *err)
{
    struct ofswitch *sw = aux;
    struct ft_switch_config cfg;
    struct of_msg reply;
    (void) msg;
    (void) err;

    ft_pipeline_get_switch_config(sw->pipeline, &cfg);
    of_msg_init(&reply, OFPT_GET_CONFIG_REPLY, 0);
    reply.config.flags = cfg.flags;
    reply.config.miss_send_len = cfg.miss_send_len;
    of_req_reply(req, &reply);
    return OF_REQ_DONE;
}

static enum of_req_result
handle_set_config(void *aux, struct of_req *req, const struct of_msg *msg,
                  struct of_err *err)
{
    struct ofswitch *sw = aux;
    const struct of_switch_config *c = &msg->config;

    /* Fragments are always handled "normally" (as any other packet), and
     * the only other flag is the one the pipeline implements. */
    if (c->flags & ~(uint16_t) FT_OFPC_INVALID_TTL_TO_CONTROLLER) {
        return fail(err, OFPET_SWITCH_CONFIG_FAILED, OFS_OFPSCFC_BAD_FLAGS);
    }
    struct ft_switch_config cfg = {
        .flags = c->flags,
        .miss_send_len = c->miss_send_len,
    };
    ft_pipeline_set_switch_config(sw->pipeline, &cfg);
    return ofs_wait_datapath(sw, req);
}

/* ---- FLOW_MOD, GROUP_MOD, METER_MOD -------------------------------------- */

static enum of_req_result
handle_flow_mod(void *aux, struct of_req *req, const struct of_msg *msg,
                struct of_err *err)
{
    struct ofswitch *sw = aux;
    const struct of_flow_mod *fm = &msg->flow_mod;

    /* Deletes ignore buffer_id (spec 7.3.4.1); others would release a
     * buffered packet, and there are none. */
    if (fm->command < FT_OFPFC_DELETE && fm->buffer_id != OFP_NO_BUFFER) {
        return fail(err, OFPET_BAD_REQUEST, OFPBRC_BUFFER_UNKNOWN);
    }
    struct of_arena arena = { NULL };
    struct ft_flow_mod ffm;
    int error = of_ft_flow_mod_to_ft(fm, &ffm, &arena, err);
    if (error) {
        of_ft_arena_free(&arena);
        return ofs_conv_error(error, err);
    }
    ft_pipeline_begin(sw->pipeline);
    struct ft_ofperr e = ft_pipeline_flow_mod(sw->pipeline, &ffm,
                                              ofs_now(sw), NULL);
    of_ft_arena_free(&arena);
    if (!ft_ofperr_is_ok(e)) {
        ft_pipeline_abort(sw->pipeline);
        *err = of_ft_err(e);
        return OF_REQ_ERROR;
    }
    ft_pipeline_commit(sw->pipeline);
    return ofs_wait_datapath(sw, req);
}

static enum of_req_result
handle_group_mod(void *aux, struct of_req *req, const struct of_msg *msg,
                 struct of_err *err)
{
    struct ofswitch *sw = aux;
    struct of_arena arena = { NULL };
    struct ft_group_mod gm;

    int error = of_ft_group_mod_to_ft(&msg->group_mod, &gm, &arena, err);
    if (error) {
        of_ft_arena_free(&arena);
        return ofs_conv_error(error, err);
    }
    struct ft_ofperr e = ft_pipeline_group_mod(sw->pipeline, &gm, ofs_now(sw));
    of_ft_arena_free(&arena);
    if (!ft_ofperr_is_ok(e)) {
        *err = of_ft_err(e);
        return OF_REQ_ERROR;
    }
    return ofs_wait_datapath(sw, req);
}

static enum of_req_result
handle_meter_mod(void *aux, struct of_req *req, const struct of_msg *msg,
                 struct of_err *err)
{
    struct ofswitch *sw = aux;
    struct of_arena arena = { NULL };
    struct ft_meter_mod mm;

    int error = of_ft_meter_mod_to_ft(&msg->meter_mod, &mm, &arena, err);
    if (error) {
        of_ft_arena_free(&arena);
        return ofs_conv_error(error, err);
    }
    struct ft_ofperr e = ft_pipeline_meter_mod(sw->pipeline, &mm, ofs_now(sw));
    of_ft_arena_free(&arena);
    if (!ft_ofperr_is_ok(e)) {
        *err = of_ft_err(e);
        return OF_REQ_ERROR;
    }
    return ofs_wait_datapath(sw, req);
}

/* ---- PORT_MOD, TABLE_MOD --------------------------------------------------- */

/* PORT_STATUS to every controller but the session 'except_conn_id'
 * (0: none). */
static void
send_port_status(struct ofswitch *sw, uint8_t reason,
                 const struct of_port *port, uint64_t except_conn_id)
{
    if (sw->mgr) {
        struct of_port_status ps = { .reason = reason, .desc = *port };
        of_connmgr_send_port_status_except(sw->mgr, &ps, except_conn_id);
    }
}

static enum of_req_result
handle_port_mod(void *aux, struct of_req *req, const struct of_msg *msg,
                struct of_err *err)
{
    struct ofswitch *sw = aux;
    const struct of_port_mod *pm = &msg->port_mod;
    struct of_port port;

    if (!ofs_find_port(sw, pm->port_no, &port)) {
        return fail(err, OFPET_PORT_MOD_FAILED, OFS_OFPPMFC_BAD_PORT);
    }
    /* The hardware address guards against a port number reused for
     * another port since the controller looked (spec 7.3.4.3). */
    if (memcmp(pm->hw_addr, port.hw_addr, sizeof port.hw_addr)) {
        return fail(err, OFPET_PORT_MOD_FAILED, OFS_OFPPMFC_BAD_HW_ADDR);
    }
    if (pm->mask & ~OFS_OFPPC_ALL) {
        return fail(err, OFPET_PORT_MOD_FAILED, OFS_OFPPMFC_BAD_CONFIG);
    }
    /* Link advertisement cannot be changed here; asking for what is
     * advertised already (or 0: "leave it") is fine. */
    if (pm->advertise && pm->advertise != port.advertised) {
        return fail(err, OFPET_PORT_MOD_FAILED, OFS_OFPPMFC_BAD_ADVERTISE);
    }
    uint32_t mask = pm->mask & OFS_OFPPC_ALL;
    if (!((pm->config ^ port.config) & mask)) {
        return OF_REQ_DONE;             /* nothing changes */
    }
    if (!sw->dp.port_mod) {
        return fail(err, OFPET_PORT_MOD_FAILED, OFS_OFPPMFC_EPERM);
    }
    int error = sw->dp.port_mod(sw->dp_aux, pm->port_no, pm->config & mask,
                                mask);
    if (error) {
        return fail(err, OFPET_PORT_MOD_FAILED, error == -ENOENT
                    ? OFS_OFPPMFC_BAD_PORT : OFS_OFPPMFC_EPERM);
    }
    /* The other controllers learn of the change; the one that made it
     * is not told (1.3 says PORT_MOD makes no PORT_STATUS; Open vSwitch's
     * compromise for several controllers, until 1.5 tells everyone). */
    if (ofs_find_port(sw, pm->port_no, &port)) {
        send_port_status(sw, OFPPR_MODIFY, &port, of_req_conn_id(req));
    }
    return ofs_wait_datapath(sw, req);
}

static enum of_req_result
handle_table_mod(void *aux, struct of_req *req, const struct of_msg *msg,
                 struct of_err *err)
{
    struct ofswitch *sw = aux;
    const struct of_table_mod *tm = &msg->table_mod;
    (void) req;

    if (tm->table_id != OFPTT_ALL
        && tm->table_id >= ft_pipeline_n_tables(sw->pipeline)) {
        return fail(err, OFPET_TABLE_MOD_FAILED, OFS_OFPTMFC_BAD_TABLE);
    }
    /* 1.3 deprecates every table config bit (the table-miss behaviour is
     * a flow entry now): the deprecated ones are accepted and ignored. */
    if (tm->config & ~OFS_OFPTC_DEPRECATED_MASK) {
        return fail(err, OFPET_TABLE_MOD_FAILED, OFS_OFPTMFC_BAD_CONFIG);
    }
    return OF_REQ_DONE;
}

/* ---- PACKET_OUT ------------------------------------------------------------ */

static bool
packet_out_in_port_valid(uint32_t port)
{
    return (port > 0 && port < OFPP_MAX) || port == OFPP_CONTROLLER
           || port == OFPP_LOCAL;
}

static enum of_req_result
handle_packet_out(void *aux, struct of_req *req, const struct of_msg *msg,
                  struct of_err *err)
{
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 1000);
    struct ofswitch *sw = aux;
    const struct of_packet_out *po = &msg->packet_out;
    (void) req;

    if (po->buffer_id != OFP_NO_BUFFER) {
        return fail(err, OFPET_BAD_REQUEST, OFPBRC_BUFFER_UNKNOWN);
    }
    if (!packet_out_in_port_valid(po->in_port)) {
        return fail(err, OFPET_BAD_REQUEST, OFPBRC_BAD_PORT);
    }
    if (po->data.len < OFS_MIN_PACKET_LEN) {
        return fail(err, OFPET_BAD_REQUEST, OFPBRC_BAD_PACKET);
    }

    struct of_arena arena = { NULL };
    struct ft_action_list acts;
    int error = of_ft_actions_to_ft(&po->actions, &acts, &arena, err);
    if (error) {
        of_ft_arena_free(&arena);
        return ofs_conv_error(error, err);
    }
    struct ft_group_table *groups = ft_pipeline_groups(sw->pipeline);
    struct ft_action_ctx ctx = {
        .match = NULL,
        .groups = groups,
        .packet_out = true,
        .action_set = false,
        .max_port = FT_OFPP_MAX,
    };
    struct ft_ofperr e = ft_actions_check(&acts, &ctx);
    if (!ft_ofperr_is_ok(e)) {
        of_ft_arena_free(&arena);
        *err = of_ft_err(e);
        return OF_REQ_ERROR;
    }
    /* The list is translated right now on this thread, so the groups it
     * names can be used through plain pointers (no reference needed). */
    for (uint32_t i = 0; i < acts.n; i++) {
        if (acts.acts[i].type == FT_OFPAT_GROUP) {
            acts.acts[i].group.group = ft_group_lookup(
                groups, acts.acts[i].group.group_id);
        }
    }

    struct ft_key key;
    struct dp_parse_layers layers;
    dp_parse(po->data.data, po->data.len, &key, &layers);
    key.in_port = po->in_port;
    /* No MAC learning from controller-made packets: their source address
     * says nothing about where a host is. */
    struct ft_xlate_in in = {
        .key = &key,
        .now_ms = ofs_now(sw),
        .may_learn = false,
    };
    ft_xlate_packet_out(sw->pipeline, &in, &acts, sw->xout);
    of_ft_arena_free(&arena);
    if (sw->xout->error) {
        VLOG_RL(&rl, VLL_WARN, MOD, "packet-out xid %u dropped: %s",
                msg->xid, ft_xlate_error_name(sw->xout->error));
        return OF_REQ_DONE;
    }
    error = sw->dp.packet_out(sw->dp_aux, po->data.data, po->data.len,
                              po->in_port, sw->xout->acts,
                              sw->xout->n_acts);
    if (error) {
        VLOG_RL(&rl, VLL_WARN, MOD, "packet-out xid %u not executed: %s",
                msg->xid, strerror(-error));
        return OF_REQ_DONE;
    }
    /* Entries, groups and tables the packet went through (OUTPUT:TABLE)
     * count it, as they would a packet from a port. */
    struct ft_xcache *xc = ft_xcache_create(sw->pipeline, sw->xout, &key);
    if (xc) {
        ft_xcache_credit(sw->pipeline, xc, 1, po->data.len, in.now_ms);
        ft_xcache_destroy(sw->pipeline, xc);
    }
    return OF_REQ_DONE;
}

/* ---- experimenter ------------------------------------------------------------ */

static enum of_req_result
handle_experimenter(void *aux, struct of_req *req, const struct of_msg *msg,
                    struct of_err *err)
{
    struct ofswitch *sw = aux;
    if (msg->experimenter.experimenter != ONF_EXPERIMENTER_ID) {
        return fail(err, OFPET_BAD_REQUEST, OFPBRC_BAD_EXPERIMENTER);
    }
    if (msg->experimenter.exp_type != ONF_ET_BUNDLE_CONTROL
        && msg->experimenter.exp_type != ONF_ET_BUNDLE_ADD_MESSAGE) {
        return fail(err, OFPET_BAD_REQUEST, OFPBRC_BAD_EXP_TYPE);
    }
    return ofs_handle_bundle(sw, req, msg, err);
}

/* ---- asynchronous messages ---------------------------------------------- */

static void
flow_removed_cb(const struct ft_flow *flow, uint8_t reason, int64_t now_ms,
                void *aux)
{
    struct ofswitch *sw = aux;
    if (sw->mgr) {
        struct of_flow_removed fr;
        of_ft_flow_removed_from_ft(flow, reason, now_ms, &fr);
        of_connmgr_send_flow_removed(sw->mgr, &fr);
    }
}

void
ofswitch_port_changed(struct ofswitch *sw, uint8_t reason,
                      const struct of_port *port)
{
    send_port_status(sw, reason, port, 0);
}

int
ofswitch_send_packet_in(struct ofswitch *sw, uint8_t reason, uint8_t table_id,
                        uint64_t cookie, const struct ft_key *key,
                        const void *packet, size_t len, uint16_t max_len)
{
    struct ft_match pipeline_fields;
    struct of_packet_in pin;

    /* The pipeline fields the packet had, as Open vSwitch reports them:
     * in_port always, metadata and tunnel id when set. */
    memset(&pipeline_fields, 0, sizeof pipeline_fields);
    pipeline_fields.key.in_port = key->in_port;
    pipeline_fields.mask.masks.in_port = UINT32_MAX;
    if (key->metadata) {
        pipeline_fields.key.metadata = key->metadata;
        pipeline_fields.mask.masks.metadata = UINT64_MAX;
    }
    if (key->tunnel.tun_id) {
        pipeline_fields.key.tunnel.tun_id = key->tunnel.tun_id;
        pipeline_fields.mask.masks.tunnel.tun_id = UINT64_MAX;
    }

    memset(&pin, 0, sizeof pin);
    pin.buffer_id = OFP_NO_BUFFER;
    pin.total_len = (uint16_t) (len < UINT16_MAX ? len : UINT16_MAX);
    pin.reason = reason;
    pin.table_id = table_id;
    pin.cookie = cookie;
    of_match_from_ft(&pin.match, &pipeline_fields);
    size_t data_len = len;
    if (max_len != OFPCML_NO_BUFFER && data_len > max_len) {
        data_len = max_len;
    }
    if (data_len > OFP_MAX_MSG_LEN - OFS_PACKET_IN_OVERHEAD) {
        data_len = OFP_MAX_MSG_LEN - OFS_PACKET_IN_OVERHEAD;
    }
    pin.data.data = packet;
    pin.data.len = (uint32_t) data_len;
    return sw->mgr ? of_connmgr_send_packet_in(sw->mgr, &pin) : 0;
}

/* ---- lifecycle ------------------------------------------------------------- */

static const struct of_switch_ops ofswitch_handlers = {
    .get_features = handle_features,
    .flow_mod = handle_flow_mod,
    .group_mod = handle_group_mod,
    .meter_mod = handle_meter_mod,
    .packet_out = handle_packet_out,
    .port_mod = handle_port_mod,
    .table_mod = handle_table_mod,
    .multipart = ofs_handle_multipart,
    .get_config = handle_get_config,
    .set_config = handle_set_config,
    .queue_get_config = ofs_handle_queue_get_config,
    .experimenter = handle_experimenter,
    .conn_closed = ofs_bundles_conn_closed,
};

const struct of_switch_ops *
ofswitch_ops(void)
{
    return &ofswitch_handlers;
}

struct ofswitch *
ofswitch_create(struct ft_pipeline *pipeline, const struct ofswitch_dp_ops *dp,
                void *dp_aux, uint64_t datapath_id)
{
    struct ofswitch *sw = calloc(1, sizeof *sw);
    if (!sw) {
        return NULL;
    }
    sw->xout = malloc(sizeof *sw->xout);
    if (!sw->xout) {
        free(sw);
        return NULL;
    }
    sw->pipeline = pipeline;
    sw->dp = *dp;
    sw->dp_aux = dp_aux;
    sw->datapath_id = datapath_id;
    sw->clock = default_clock;
    snprintf(sw->desc.mfr_desc, sizeof sw->desc.mfr_desc, "vswitch");
    snprintf(sw->desc.hw_desc, sizeof sw->desc.hw_desc,
             "DPDK userspace switch");
    snprintf(sw->desc.sw_desc, sizeof sw->desc.sw_desc, "%s",
             VSWITCH_VERSION);
    snprintf(sw->desc.serial_num, sizeof sw->desc.serial_num, "None");
    ft_pipeline_set_flow_removed_cb(pipeline, flow_removed_cb, sw);
    return sw;
}

void
ofswitch_destroy(struct ofswitch *sw)
{
    if (!sw) {
        return;
    }
    while (sw->waiters) {
        struct ofs_waiter *w = sw->waiters;
        sw->waiters = w->next;
        of_req_complete(w->req, NULL);
        free(w);
    }
    sw->waiters_tail = NULL;
    sw->n_waiters = 0;
    ofs_bundles_destroy(sw);
    ft_pipeline_set_flow_removed_cb(sw->pipeline, NULL, NULL);
    free(sw->xout);
    free(sw);
}

void
ofswitch_set_connmgr(struct ofswitch *sw, struct of_connmgr *mgr)
{
    sw->mgr = mgr;
}

void
ofswitch_set_clock(struct ofswitch *sw, ofswitch_clock_fn *clock, void *aux)
{
    sw->clock = clock ? clock : default_clock;
    sw->clock_aux = clock ? aux : NULL;
}

void
ofswitch_set_desc(struct ofswitch *sw, const struct of_desc *desc)
{
    sw->desc = *desc;
}

void
ofswitch_set_max_flows(struct ofswitch *sw, uint32_t max_flows_per_table)
{
    sw->max_flows = max_flows_per_table;
}
