/*
 * of_connmgr.c — the switch side of OpenFlow: controllers and listeners,
 * roles, async filtering, barriers, and dispatch to the bridge's
 * of_switch_ops (see of_connmgr.h for the rules implemented here).
 *
 * Each connection the manager knows is a struct ofc wrapping an of_conn:
 * controllers (active, reconnecting, kept across disconnects) and service
 * connections (accepted by a listener, freed when they die). A struct
 * of_req tracks one handed-up message until it completes; requests are
 * listed on their ofc so that a barrier knows when everything before it is
 * done, and are detached (ofc = NULL) when their connection goes, so a
 * late completion from the bridge is harmless.
 *
 * Main thread only.
 */
#include "openflow/of_connmgr.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/evloop.h"
#include "lib/log.h"
#include "openflow/of_conn.h"
#include "openflow/of_stream.h"

#define LOG_MODULE "ofconnmgr"

/* Connections accepted per listener readiness event: bounded so a connect
 * storm cannot starve the rest of the loop. */
#define OF_ACCEPTS_PER_EVENT 16

/* Split multipart requests (spec 7.3.5) held per connection until their
 * last part: bounded so a controller that never finishes cannot make us
 * hold unbounded memory (1.3 has no request timeout error). */
#define OF_MP_MAX_PENDING 8
#define OF_MP_MAX_BYTES (1u << 20)
/* Xids whose request failed while more parts were announced: their later
 * parts are dropped, so the tail of a failed request is never taken for
 * a whole one. A few suffice; the oldest is forgotten first. */
#define OF_MP_MAX_FAILED 8

/* One received part as wire bytes: the decoded message we are handed
 * lives only during the callback, and a decode points into its bytes
 * anyway, so the bytes are what must outlive it; decoded at the end. */
struct mp_part {
    struct mp_part *next;
    size_t len;
    uint8_t data[];
};

/* A multipart request whose last part has not arrived yet. */
struct mp_partial {
    struct mp_partial *next;
    uint32_t xid;
    uint16_t mp_type;               /* OFPMP_* of the first part */
    uint32_t n_parts;
    size_t bytes;                   /* charged to the connection */
    struct mp_part *parts, *parts_tail;     /* oldest first */
};

struct ofc {
    struct ofc *next;
    struct of_connmgr *mgr;
    struct of_conn *conn;
    uint64_t session_id;            /* of_req_conn_id(); 0: no session */
    char target[128];
    bool service;                   /* accepted from a listener */
    uint32_t role;                  /* OF_ROLE_EQUAL/MASTER/SLAVE */
    struct of_async_config async;
    bool async_set;                 /* SET_ASYNC received */
    struct of_req *reqs;            /* pending, oldest first */
    struct of_req *reqs_tail;
    uint32_t n_pending;
    bool barrier_waiting;
    uint32_t barrier_xid;
    struct mp_partial *partials;    /* split requests being assembled */
    uint32_t n_partials;
    size_t partial_bytes;
    uint32_t mp_failed[OF_MP_MAX_FAILED];   /* oldest first */
    uint32_t n_mp_failed;
};

struct of_req {
    struct of_req *prev, *next;
    struct ofc *ofc;                /* NULL once the connection is gone */
    uint32_t xid;
    uint8_t type;
    size_t raw_len;
    uint8_t raw[OFP_ERROR_ECHO_MAX];    /* echoed in an ERROR */
};

struct oflistener {
    struct oflistener *next;
    struct of_connmgr *mgr;
    char target[128];
    struct of_pstream *pstream;
};

struct of_connmgr {
    struct evloop *loop;
    struct of_switch_ops ops;
    void *aux;
    struct of_conn_config conn_cfg;
    struct of_ssl_ctx *ssl;
    /* Old TLS contexts stay alive while a connection may use them. */
    struct of_ssl_ctx **old_ssl;
    size_t n_old_ssl;
    struct ofc *conns;
    struct oflistener *listeners;
    bool gen_valid;                 /* a MASTER/SLAVE request was seen */
    uint64_t gen_id;
    uint64_t last_session_id;
};

const char *
of_role_name(uint32_t role)
{
    switch (role) {
    case OF_ROLE_NOCHANGE: return "nochange";
    case OF_ROLE_EQUAL: return "equal";
    case OF_ROLE_MASTER: return "master";
    case OF_ROLE_SLAVE: return "slave";
    }
    return "?";
}

void
of_connmgr_config_default(struct of_connmgr_config *cfg)
{
    struct of_conn_config c;
    of_conn_config_default(&c);
    cfg->probe_interval_ms = c.probe_interval_ms;
    cfg->backoff_min_ms = c.backoff_min_ms;
    cfg->backoff_max_ms = c.backoff_max_ms;
    cfg->max_queue_msgs = c.max_queue_msgs;
    cfg->max_queue_bytes = c.max_queue_bytes;
}

/* Spec 7.3.10 defaults: index 0 master/equal, 1 slave. */
static void
async_defaults(struct of_async_config *a)
{
    a->packet_in_mask[0] = 1u << OFPR_NO_MATCH | 1u << OFPR_ACTION;
    a->packet_in_mask[1] = 0;
    a->port_status_mask[0] = a->port_status_mask[1] =
        1u << OFPPR_ADD | 1u << OFPPR_DELETE | 1u << OFPPR_MODIFY;
    a->flow_removed_mask[0] = 1u << OFPRR_IDLE_TIMEOUT
                              | 1u << OFPRR_HARD_TIMEOUT | 1u << OFPRR_DELETE
                              | 1u << OFPRR_GROUP_DELETE;
    a->flow_removed_mask[1] = 0;
}

/* ---- requests ---- */

static void
req_unlink(struct of_req *req)
{
    struct ofc *ofc = req->ofc;
    if (req->prev) {
        req->prev->next = req->next;
    } else {
        ofc->reqs = req->next;
    }
    if (req->next) {
        req->next->prev = req->prev;
    } else {
        ofc->reqs_tail = req->prev;
    }
    req->prev = req->next = NULL;
    req->ofc = NULL;
    ofc->n_pending--;
}

static void
ofc_send_barrier_reply(struct ofc *ofc)
{
    struct of_msg reply;
    of_msg_init(&reply, OFPT_BARRIER_REPLY, ofc->barrier_xid);
    of_conn_send_msg(ofc->conn, &reply, OF_SEND_REPLY);
    ofc->barrier_waiting = false;
    of_conn_hold_input(ofc->conn, false);
}

static void
req_finish(struct of_req *req, const struct of_err *err)
{
    struct ofc *ofc = req->ofc;
    if (ofc) {
        if (err) {
            of_conn_send_error(ofc->conn, err, req->raw, req->raw_len);
        }
        req_unlink(req);
        if (ofc->barrier_waiting && !ofc->n_pending) {
            ofc_send_barrier_reply(ofc);
        }
    }
    free(req);
}

uint32_t
of_req_xid(const struct of_req *req)
{
    return req->xid;
}

uint64_t
of_req_conn_id(const struct of_req *req)
{
    return req->ofc ? req->ofc->session_id : 0;
}

int
of_req_reply(struct of_req *req, struct of_msg *reply)
{
    if (!req->ofc) {
        return -ENOTCONN;
    }
    reply->xid = req->xid;
    return of_conn_send_msg(req->ofc->conn, reply, OF_SEND_REPLY);
}

int
of_req_send(struct of_req *req, const struct of_msg *msg)
{
    if (!req->ofc) {
        return -ENOTCONN;
    }
    return of_conn_send_msg(req->ofc->conn, msg, OF_SEND_REPLY);
}

void
of_req_complete(struct of_req *req, const struct of_err *err)
{
    req_finish(req, err);
}

/* Drops every pending request's link to 'ofc' (its session ended). */
static void
ofc_detach_reqs(struct ofc *ofc)
{
    while (ofc->reqs) {
        req_unlink(ofc->reqs);
    }
    ofc->barrier_waiting = false;
}

/* ---- message handling ---- */

static void
ofc_send_error(struct ofc *ofc, uint16_t type, uint16_t code,
               const uint8_t *raw, size_t len)
{
    struct of_err err = { type, code };
    of_conn_send_error(ofc->conn, &err, raw, len);
}

static void
ofc_dispatch(struct ofc *ofc, of_switch_handler *handler, uint16_t code,
             const struct of_msg *msg, const uint8_t *raw, size_t len)
{
    struct of_connmgr *mgr = ofc->mgr;

    if (!handler) {
        ofc_send_error(ofc, OFPET_BAD_REQUEST, code, raw, len);
        return;
    }
    struct of_req *req = calloc(1, sizeof *req);
    if (!req) {
        ofc_send_error(ofc, OFPET_BAD_REQUEST, OFPBRC_EPERM, raw, len);
        return;
    }
    req->ofc = ofc;
    req->xid = msg->xid;
    req->type = msg->type;
    req->raw_len = len < OFP_ERROR_ECHO_MAX ? len : OFP_ERROR_ECHO_MAX;
    memcpy(req->raw, raw, req->raw_len);
    req->prev = ofc->reqs_tail;
    if (ofc->reqs_tail) {
        ofc->reqs_tail->next = req;
    } else {
        ofc->reqs = req;
    }
    ofc->reqs_tail = req;
    ofc->n_pending++;

    struct of_err err = { OFPET_BAD_REQUEST, OFPBRC_EPERM };
    switch (handler(mgr->aux, req, msg, &err)) {
    case OF_REQ_DONE:
        req_finish(req, NULL);
        break;
    case OF_REQ_ERROR:
        req_finish(req, &err);
        break;
    case OF_REQ_PENDING:
    default:
        break;
    }
}

static void
ofc_set_role(struct ofc *ofc, uint32_t role)
{
    if (ofc->role == role) {
        return;
    }
    VLOG_INFO(LOG_MODULE, "%s: role %s -> %s", ofc->target,
              of_role_name(ofc->role), of_role_name(role));
    ofc->role = role;
    if (ofc->mgr->ops.role_changed) {
        ofc->mgr->ops.role_changed(ofc->mgr->aux, ofc->target, role);
    }
}

static void
ofc_handle_role(struct ofc *ofc, const struct of_msg *msg,
                const uint8_t *raw, size_t len)
{
    struct of_connmgr *mgr = ofc->mgr;
    uint32_t role = msg->role.role;
    uint64_t gen = msg->role.generation_id;

    if (role > OF_ROLE_SLAVE) {
        ofc_send_error(ofc, OFPET_ROLE_REQUEST_FAILED, OFPRRFC_BAD_ROLE,
                       raw, len);
        return;
    }
    if (role == OF_ROLE_MASTER || role == OF_ROLE_SLAVE) {
        /* Serial-number comparison: ids wrap around (spec 6.3.5). */
        if (mgr->gen_valid && (int64_t) (gen - mgr->gen_id) < 0) {
            VLOG_INFO(LOG_MODULE, "%s: stale %s request (generation_id "
                      "%" PRIu64 " < %" PRIu64 ")", ofc->target,
                      of_role_name(role), gen, mgr->gen_id);
            ofc_send_error(ofc, OFPET_ROLE_REQUEST_FAILED, OFPRRFC_STALE,
                           raw, len);
            return;
        }
        mgr->gen_valid = true;
        mgr->gen_id = gen;
    }
    if (role == OF_ROLE_MASTER) {
        for (struct ofc *o = mgr->conns; o; o = o->next) {
            if (o != ofc && o->role == OF_ROLE_MASTER) {
                ofc_set_role(o, OF_ROLE_SLAVE);
            }
        }
    }
    if (role != OF_ROLE_NOCHANGE) {
        ofc_set_role(ofc, role);
    }
    struct of_msg reply;
    of_msg_init(&reply, OFPT_ROLE_REPLY, msg->xid);
    reply.role.role = ofc->role;
    reply.role.generation_id = mgr->gen_valid ? mgr->gen_id : 0;
    of_conn_send_msg(ofc->conn, &reply, OF_SEND_REPLY);
}

static void
ofc_handle_features(struct ofc *ofc, const struct of_msg *msg)
{
    struct of_msg reply;
    of_msg_init(&reply, OFPT_FEATURES_REPLY, msg->xid);
    if (ofc->mgr->ops.get_features) {
        ofc->mgr->ops.get_features(ofc->mgr->aux, &reply.features);
    }
    reply.features.auxiliary_id = 0;    /* no auxiliary connections */
    of_conn_send_msg(ofc->conn, &reply, OF_SEND_REPLY);
}

static void
ofc_handle_barrier(struct ofc *ofc, const struct of_msg *msg)
{
    ofc->barrier_xid = msg->xid;
    if (!ofc->n_pending) {
        ofc_send_barrier_reply(ofc);
        return;
    }
    /* Later messages must not overtake the barrier: stop reading until
     * the bridge completes what came before it. */
    ofc->barrier_waiting = true;
    of_conn_hold_input(ofc->conn, true);
}

/* True for messages a SLAVE may not send (spec 6.3.5). */
static bool
modifies_state(const struct of_msg *msg)
{
    switch (msg->type) {
    case OFPT_FLOW_MOD: case OFPT_GROUP_MOD: case OFPT_PORT_MOD:
    case OFPT_TABLE_MOD: case OFPT_METER_MOD: case OFPT_PACKET_OUT:
        return true;
    case OFPT_MULTIPART_REQUEST:
        return msg->multipart.type == OFPMP_TABLE_FEATURES
               && msg->multipart.table_features.n > 0;
    case OFPT_EXPERIMENTER:
        return msg->experimenter.experimenter == ONF_EXPERIMENTER_ID;
    default:
        return false;
    }
}

/* ---- split multipart requests (spec 7.3.5) ----
 *
 * A part flagged REQ_MORE is kept (wire bytes) under its xid; the part
 * without the flag completes the request, which is then decoded part by
 * part, assembled with of_multipart_append() and handed up once. Requests
 * with other xids may be in flight at the same time (the spec allows
 * concurrent requests); single-part requests take the direct path. */

static struct mp_partial *
mp_partial_find(const struct ofc *ofc, uint32_t xid)
{
    for (struct mp_partial *pm = ofc->partials; pm; pm = pm->next) {
        if (pm->xid == xid) {
            return pm;
        }
    }
    return NULL;
}

static void
mp_partial_unlink(struct ofc *ofc, struct mp_partial *pm)
{
    struct mp_partial **p = &ofc->partials;
    while (*p != pm) {
        p = &(*p)->next;
    }
    *p = pm->next;
    ofc->n_partials--;
    ofc->partial_bytes -= pm->bytes;
}

static void
mp_partial_free(struct mp_partial *pm)
{
    while (pm->parts) {
        struct mp_part *part = pm->parts;
        pm->parts = part->next;
        free(part);
    }
    free(pm);
}

/* Frees every request being assembled (the session ended). */
static void
ofc_drop_partials(struct ofc *ofc)
{
    while (ofc->partials) {
        struct mp_partial *pm = ofc->partials;
        mp_partial_unlink(ofc, pm);
        mp_partial_free(pm);
    }
    ofc->n_mp_failed = 0;
}

static void
mp_failed_add(struct ofc *ofc, uint32_t xid)
{
    if (ofc->n_mp_failed == OF_MP_MAX_FAILED) {
        memmove(ofc->mp_failed, ofc->mp_failed + 1,
                (OF_MP_MAX_FAILED - 1) * sizeof ofc->mp_failed[0]);
        ofc->n_mp_failed--;
    }
    ofc->mp_failed[ofc->n_mp_failed++] = xid;
}

/* True if 'xid' is a request that already failed: the part is dropped,
 * and the last part ('more' clear) ends the failed request. */
static bool
mp_failed_take(struct ofc *ofc, uint32_t xid, bool more)
{
    for (uint32_t i = 0; i < ofc->n_mp_failed; i++) {
        if (ofc->mp_failed[i] == xid) {
            if (!more) {
                memmove(&ofc->mp_failed[i], &ofc->mp_failed[i + 1],
                        (ofc->n_mp_failed - i - 1) * sizeof ofc->mp_failed[0]);
                ofc->n_mp_failed--;
            }
            return true;
        }
    }
    return false;
}

/* Fails the split request of 'msg's xid (freeing 'pm', if any) with
 * BAD_REQUEST/'code' about the part in raw[0..len). One error per
 * request: the parts still announced are dropped as they come. */
static void
mp_fail(struct ofc *ofc, struct mp_partial *pm, const struct of_msg *msg,
        uint16_t code, const uint8_t *raw, size_t len)
{
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 1000);
    VLOG_RL(&rl, VLL_INFO, LOG_MODULE, "%s: split %s request xid %" PRIu32
            " failed: %s", ofc->target,
            of_multipart_type_name(msg->multipart.type)
            ? of_multipart_type_name(msg->multipart.type) : "?",
            msg->xid, of_error_code_name(OFPET_BAD_REQUEST, code));
    if (pm) {
        mp_partial_unlink(ofc, pm);
        mp_partial_free(pm);
    }
    if (msg->multipart.flags & OFPMPF_REQ_MORE) {
        mp_failed_add(ofc, msg->xid);
    }
    ofc_send_error(ofc, OFPET_BAD_REQUEST, code, raw, len);
}

/* True if requests of 'msg's multipart type may span several messages,
 * i.e. the body is a list (in 1.3, TABLE_FEATURES). Asks the codec with
 * an empty part rather than keeping a second list of such types. */
static bool
mp_splittable(const struct of_msg *msg)
{
    struct of_msg acc = *msg, empty;
    acc.arena.head = NULL;          /* 'msg' keeps its own arena */
    of_msg_init(&empty, msg->type, msg->xid);
    empty.multipart.type = msg->multipart.type;
    int error = of_multipart_append(&acc, &empty);
    of_msg_uninit(&acc);
    return error != -EINVAL;
}

/* A whole multipart request (single part or assembled) goes to the
 * bridge. The SLAVE check waits for the whole request: whether a
 * TABLE_FEATURES request has a body is only known then. */
static void
ofc_mp_deliver(struct ofc *ofc, const struct of_msg *msg,
               const uint8_t *raw, size_t len)
{
    if (ofc->role == OF_ROLE_SLAVE && modifies_state(msg)) {
        ofc_send_error(ofc, OFPET_BAD_REQUEST, OFPBRC_IS_SLAVE, raw, len);
        return;
    }
    ofc_dispatch(ofc, ofc->mgr->ops.multipart, OFPBRC_BAD_MULTIPART, msg,
                 raw, len);
}

/* 'last' completes 'pm': decodes the held parts again (they decoded once
 * already, so only memory can fail), appends them and 'last', delivers
 * the result and frees everything. The parts' arenas and bytes back the
 * assembled message (the append is shallow), so they are freed after. */
static void
mp_complete(struct ofc *ofc, struct mp_partial *pm, const struct of_msg *last,
            const uint8_t *raw, size_t len)
{
    mp_partial_unlink(ofc, pm);
    struct of_msg *parts = calloc(pm->n_parts, sizeof *parts);
    uint32_t n = 0;
    int error = parts ? 0 : -ENOMEM;
    for (struct mp_part *p = pm->parts; !error && p; p = p->next) {
        struct of_err derr;
        error = of_msg_decode(p->data, p->len, &parts[n++], &derr);
    }
    if (!error) {
        struct of_msg acc = parts[0];
        acc.arena.head = NULL;      /* parts[0] keeps its own arena */
        for (uint32_t i = 1; !error && i < n; i++) {
            error = of_multipart_append(&acc, &parts[i]);
        }
        if (!error) {
            error = of_multipart_append(&acc, last);
        }
        if (!error) {
            /* An error about the request echoes its first part. */
            ofc_mp_deliver(ofc, &acc, pm->parts->data, pm->parts->len);
        }
        of_msg_uninit(&acc);
    }
    if (error) {
        ofc_send_error(ofc, OFPET_BAD_REQUEST, OFPBRC_EPERM, raw, len);
    }
    for (uint32_t i = 0; i < n; i++) {
        of_msg_uninit(&parts[i]);
    }
    free(parts);
    mp_partial_free(pm);
}

static void
ofc_handle_multipart(struct ofc *ofc, const struct of_msg *msg,
                     const uint8_t *raw, size_t len)
{
    bool more = msg->multipart.flags & OFPMPF_REQ_MORE;
    struct mp_partial *pm = mp_partial_find(ofc, msg->xid);

    if (!pm) {
        if (mp_failed_take(ofc, msg->xid, more)) {
            return;
        }
        if (!more) {
            ofc_mp_deliver(ofc, msg, raw, len);
            return;
        }
        if (!mp_splittable(msg)) {
            mp_fail(ofc, NULL, msg, OFPBRC_BAD_MULTIPART, raw, len);
            return;
        }
        if (ofc->n_partials >= OF_MP_MAX_PENDING) {
            mp_fail(ofc, NULL, msg, OFPBRC_MULTIPART_BUFFER_OVERFLOW, raw, len);
            return;
        }
        pm = calloc(1, sizeof *pm);
        if (!pm) {
            mp_fail(ofc, NULL, msg, OFPBRC_EPERM, raw, len);
            return;
        }
        pm->xid = msg->xid;
        pm->mp_type = msg->multipart.type;
        pm->next = ofc->partials;
        ofc->partials = pm;
        ofc->n_partials++;
    } else if (msg->multipart.type != pm->mp_type) {
        mp_fail(ofc, pm, msg, OFPBRC_BAD_MULTIPART, raw, len);
        return;
    }
    if (!more) {
        mp_complete(ofc, pm, msg, raw, len);
        return;
    }
    /* Held bytes are charged with the per-part overhead, so that tiny
     * parts cannot hold much more memory than the bound says. */
    size_t charge = sizeof (struct mp_part) + len;
    if (ofc->partial_bytes + charge > OF_MP_MAX_BYTES) {
        mp_fail(ofc, pm, msg, OFPBRC_MULTIPART_BUFFER_OVERFLOW, raw, len);
        return;
    }
    struct mp_part *part = malloc(charge);
    if (!part) {
        mp_fail(ofc, pm, msg, OFPBRC_EPERM, raw, len);
        return;
    }
    part->next = NULL;
    part->len = len;
    memcpy(part->data, raw, len);
    if (pm->parts_tail) {
        pm->parts_tail->next = part;
    } else {
        pm->parts = part;
    }
    pm->parts_tail = part;
    pm->n_parts++;
    pm->bytes += charge;
    ofc->partial_bytes += charge;
}

static void
ofc_received(struct of_conn *conn, const struct of_msg *msg,
             const uint8_t *raw, size_t len, void *aux)
{
    struct ofc *ofc = aux;
    const struct of_switch_ops *ops = &ofc->mgr->ops;
    (void) conn;

    /* Multipart requests are checked once whole (ofc_mp_deliver). */
    if (msg->type != OFPT_MULTIPART_REQUEST
        && ofc->role == OF_ROLE_SLAVE && modifies_state(msg)) {
        ofc_send_error(ofc, OFPET_BAD_REQUEST, OFPBRC_IS_SLAVE, raw, len);
        return;
    }
    switch (msg->type) {
    case OFPT_FEATURES_REQUEST:
        ofc_handle_features(ofc, msg);
        break;
    case OFPT_ROLE_REQUEST:
        ofc_handle_role(ofc, msg, raw, len);
        break;
    case OFPT_GET_ASYNC_REQUEST: {
        struct of_msg reply;
        of_msg_init(&reply, OFPT_GET_ASYNC_REPLY, msg->xid);
        reply.async = ofc->async;
        of_conn_send_msg(ofc->conn, &reply, OF_SEND_REPLY);
        break;
    }
    case OFPT_SET_ASYNC:
        ofc->async = msg->async;
        ofc->async_set = true;
        break;
    case OFPT_BARRIER_REQUEST:
        ofc_handle_barrier(ofc, msg);
        break;
    case OFPT_ECHO_REPLY:
        break;              /* answer to our inactivity probe */
    case OFPT_ERROR: {
        static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 1000);
        VLOG_RL(&rl, VLL_INFO, LOG_MODULE, "%s: peer sent error %s/%s",
                ofc->target, of_error_type_name(msg->error.type),
                of_error_code_name(msg->error.type, msg->error.code));
        break;
    }
    case OFPT_FLOW_MOD:
        ofc_dispatch(ofc, ops->flow_mod, OFPBRC_BAD_TYPE, msg, raw, len);
        break;
    case OFPT_GROUP_MOD:
        ofc_dispatch(ofc, ops->group_mod, OFPBRC_BAD_TYPE, msg, raw, len);
        break;
    case OFPT_METER_MOD:
        ofc_dispatch(ofc, ops->meter_mod, OFPBRC_BAD_TYPE, msg, raw, len);
        break;
    case OFPT_PACKET_OUT:
        ofc_dispatch(ofc, ops->packet_out, OFPBRC_BAD_TYPE, msg, raw, len);
        break;
    case OFPT_PORT_MOD:
        ofc_dispatch(ofc, ops->port_mod, OFPBRC_BAD_TYPE, msg, raw, len);
        break;
    case OFPT_TABLE_MOD:
        ofc_dispatch(ofc, ops->table_mod, OFPBRC_BAD_TYPE, msg, raw, len);
        break;
    case OFPT_MULTIPART_REQUEST:
        ofc_handle_multipart(ofc, msg, raw, len);
        break;
    case OFPT_GET_CONFIG_REQUEST:
        ofc_dispatch(ofc, ops->get_config, OFPBRC_BAD_TYPE, msg, raw, len);
        break;
    case OFPT_SET_CONFIG:
        ofc_dispatch(ofc, ops->set_config, OFPBRC_BAD_TYPE, msg, raw, len);
        break;
    case OFPT_QUEUE_GET_CONFIG_REQUEST:
        ofc_dispatch(ofc, ops->queue_get_config, OFPBRC_BAD_TYPE, msg, raw,
                     len);
        break;
    case OFPT_EXPERIMENTER:
        ofc_dispatch(ofc, ops->experimenter, OFPBRC_BAD_EXPERIMENTER, msg,
                     raw, len);
        break;
    default:
        /* Switch-to-controller types (replies, async) make no sense here. */
        ofc_send_error(ofc, OFPET_BAD_REQUEST, OFPBRC_BAD_TYPE, raw, len);
        break;
    }
}

/* A new session: fresh role and async config, nothing pending. */
static void
ofc_reset(struct ofc *ofc)
{
    ofc_detach_reqs(ofc);
    ofc_drop_partials(ofc);
    if (ofc->role != OF_ROLE_EQUAL) {
        ofc_set_role(ofc, OF_ROLE_EQUAL);
    }
    async_defaults(&ofc->async);
    ofc->async_set = false;
}

/* The session ends: the bridge drops what it kept for it. */
static void
ofc_end_session(struct ofc *ofc)
{
    uint64_t id = ofc->session_id;
    if (id) {
        ofc->session_id = 0;
        if (ofc->mgr->ops.conn_closed) {
            ofc->mgr->ops.conn_closed(ofc->mgr->aux, id);
        }
    }
}

static void
ofc_established(struct of_conn *conn, void *aux)
{
    struct ofc *ofc = aux;
    (void) conn;
    ofc_end_session(ofc);
    ofc_reset(ofc);
    ofc->session_id = ++ofc->mgr->last_session_id;
}

static void ofc_free(struct ofc *ofc);

static void
ofc_disconnected(struct of_conn *conn, int error, void *aux)
{
    struct ofc *ofc = aux;
    (void) error;

    ofc_end_session(ofc);
    ofc_reset(ofc);
    if (ofc->service && of_conn_get_state(conn) == OF_CONN_DEAD) {
        struct ofc **p = &ofc->mgr->conns;
        while (*p != ofc) {
            p = &(*p)->next;
        }
        *p = ofc->next;
        ofc_free(ofc);      /* of_conn_destroy defers: we are in its call */
    }
}

static const struct of_conn_cbs ofc_cbs = {
    .established = ofc_established,
    .received = ofc_received,
    .disconnected = ofc_disconnected,
};

static struct ofc *
ofc_new(struct of_connmgr *mgr, const char *target, bool service)
{
    struct ofc *ofc = calloc(1, sizeof *ofc);
    if (!ofc) {
        return NULL;
    }
    ofc->mgr = mgr;
    snprintf(ofc->target, sizeof ofc->target, "%s", target);
    ofc->service = service;
    ofc->role = OF_ROLE_EQUAL;
    async_defaults(&ofc->async);
    return ofc;
}

static void
ofc_free(struct ofc *ofc)
{
    ofc_end_session(ofc);
    ofc_detach_reqs(ofc);
    ofc_drop_partials(ofc);
    of_conn_destroy(ofc->conn);
    free(ofc);
}

/* ---- listeners ---- */

static void
listener_cb(int fd, uint32_t events, void *aux)
{
    struct oflistener *l = aux;
    struct of_connmgr *mgr = l->mgr;
    (void) fd;
    (void) events;

    for (int i = 0; i < OF_ACCEPTS_PER_EVENT; i++) {
        struct of_stream *stream;
        int error = of_pstream_accept(l->pstream, &stream);
        if (error) {
            if (error != -EAGAIN) {
                VLOG_WARN(LOG_MODULE, "%s: accept failed: %s", l->target,
                          strerror(-error));
            }
            return;
        }
        struct ofc *ofc = ofc_new(mgr, of_stream_name(stream), true);
        if (!ofc) {
            of_stream_close(stream);
            continue;
        }
        ofc->conn = of_conn_create_passive(mgr->loop, stream, &mgr->conn_cfg,
                                           &ofc_cbs, ofc);
        if (!ofc->conn) {
            free(ofc);
            continue;
        }
        ofc->next = mgr->conns;
        mgr->conns = ofc;
        VLOG_DBG(LOG_MODULE, "%s: accepted", ofc->target);
    }
}

static void
listener_free(struct of_connmgr *mgr, struct oflistener *l)
{
    evloop_fd_remove(mgr->loop, of_pstream_fd(l->pstream));
    of_pstream_close(l->pstream);
    free(l);
}

/* ---- manager ---- */

struct of_connmgr *
of_connmgr_create(struct evloop *loop, const struct of_switch_ops *ops,
                  void *aux, const struct of_connmgr_config *cfg)
{
    struct of_connmgr *mgr = calloc(1, sizeof *mgr);
    if (!mgr) {
        return NULL;
    }
    mgr->loop = loop;
    if (ops) {
        mgr->ops = *ops;
    }
    mgr->aux = aux;
    of_conn_config_default(&mgr->conn_cfg);
    if (cfg) {
        mgr->conn_cfg.probe_interval_ms = cfg->probe_interval_ms;
        mgr->conn_cfg.backoff_min_ms = cfg->backoff_min_ms;
        mgr->conn_cfg.backoff_max_ms = cfg->backoff_max_ms;
        mgr->conn_cfg.max_queue_msgs = cfg->max_queue_msgs;
        mgr->conn_cfg.max_queue_bytes = cfg->max_queue_bytes;
    }
    return mgr;
}

void
of_connmgr_destroy(struct of_connmgr *mgr)
{
    if (!mgr) {
        return;
    }
    while (mgr->conns) {
        struct ofc *ofc = mgr->conns;
        mgr->conns = ofc->next;
        ofc_free(ofc);
    }
    while (mgr->listeners) {
        struct oflistener *l = mgr->listeners;
        mgr->listeners = l->next;
        listener_free(mgr, l);
    }
    of_ssl_ctx_destroy(mgr->ssl);
    for (size_t i = 0; i < mgr->n_old_ssl; i++) {
        of_ssl_ctx_destroy(mgr->old_ssl[i]);
    }
    free(mgr->old_ssl);
    free(mgr);
}

int
of_connmgr_set_ssl(struct of_connmgr *mgr, const char *ca_file,
                   const char *cert_file, const char *key_file)
{
    struct of_ssl_ctx *ctx;
    int error = of_ssl_ctx_create(ca_file, cert_file, key_file, &ctx);
    if (error) {
        return error;
    }
    if (mgr->ssl) {
        struct of_ssl_ctx **old = realloc(mgr->old_ssl,
                                          (mgr->n_old_ssl + 1) * sizeof *old);
        if (!old) {
            of_ssl_ctx_destroy(ctx);
            return -ENOMEM;
        }
        old[mgr->n_old_ssl++] = mgr->ssl;
        mgr->old_ssl = old;
    }
    mgr->ssl = ctx;
    return 0;
}

static struct ofc *
find_controller(const struct of_connmgr *mgr, const char *target)
{
    for (struct ofc *o = mgr->conns; o; o = o->next) {
        if (!o->service && !strcmp(o->target, target)) {
            return o;
        }
    }
    return NULL;
}

static struct oflistener *
find_listener(const struct of_connmgr *mgr, const char *target)
{
    for (struct oflistener *l = mgr->listeners; l; l = l->next) {
        if (!strcmp(l->target, target)) {
            return l;
        }
    }
    return NULL;
}

int
of_connmgr_add(struct of_connmgr *mgr, const char *name, char *err,
               size_t err_size)
{
    struct of_target target;
    int error = of_target_parse(name, &target, err, err_size);
    if (error) {
        return error;
    }
    if (strlen(name) >= sizeof ((struct ofc *) 0)->target) {
        snprintf(err, err_size, "%s: target too long", name);
        return -EINVAL;
    }
    if (find_controller(mgr, name) || find_listener(mgr, name)) {
        snprintf(err, err_size, "%s: already configured", name);
        return -EEXIST;
    }
    if (target.kind == OF_TARGET_SSL && !mgr->ssl) {
        snprintf(err, err_size, "%s: TLS needs a CA file, a certificate "
                 "and a private key", name);
        return -EINVAL;
    }
    if (target.passive) {
        struct oflistener *l = calloc(1, sizeof *l);
        if (!l) {
            return -ENOMEM;
        }
        error = of_pstream_open(&target, mgr->ssl, name, &l->pstream);
        if (!error) {
            error = evloop_fd_add(mgr->loop, of_pstream_fd(l->pstream),
                                  EVLOOP_READ, listener_cb, l);
            if (error) {
                of_pstream_close(l->pstream);
            }
        }
        if (error) {
            snprintf(err, err_size, "%s: cannot listen: %s", name,
                     strerror(-error));
            free(l);
            return error;
        }
        l->mgr = mgr;
        snprintf(l->target, sizeof l->target, "%s", name);
        l->next = mgr->listeners;
        mgr->listeners = l;
        VLOG_INFO(LOG_MODULE, "%s: listening", name);
        return 0;
    }
    struct ofc *ofc = ofc_new(mgr, name, false);
    if (!ofc) {
        return -ENOMEM;
    }
    ofc->conn = of_conn_create_active(mgr->loop, name, &target, mgr->ssl,
                                      &mgr->conn_cfg, &ofc_cbs, ofc);
    if (!ofc->conn) {
        free(ofc);
        return -ENOMEM;
    }
    ofc->next = mgr->conns;
    mgr->conns = ofc;
    return 0;
}

int
of_connmgr_remove(struct of_connmgr *mgr, const char *target)
{
    for (struct ofc **p = &mgr->conns; *p; p = &(*p)->next) {
        if (!(*p)->service && !strcmp((*p)->target, target)) {
            struct ofc *ofc = *p;
            *p = ofc->next;
            ofc_free(ofc);
            return 0;
        }
    }
    for (struct oflistener **p = &mgr->listeners; *p; p = &(*p)->next) {
        if (!strcmp((*p)->target, target)) {
            struct oflistener *l = *p;
            *p = l->next;
            listener_free(mgr, l);
            return 0;
        }
    }
    return -ENOENT;
}

static bool
target_listed(const char *target, const char *const *targets, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(target, targets[i])) {
            return true;
        }
    }
    return false;
}

int
of_connmgr_set_targets(struct of_connmgr *mgr, const char *const *targets,
                       size_t n, char *err, size_t err_size)
{
    int first_error = 0;

    /* Removals first, so a target moved to another form (tcp: -> ssl:)
     * never has both connected at once. */
    for (struct ofc **p = &mgr->conns; *p;) {
        struct ofc *ofc = *p;
        if (!ofc->service && !target_listed(ofc->target, targets, n)) {
            *p = ofc->next;
            ofc_free(ofc);
        } else {
            p = &ofc->next;
        }
    }
    for (struct oflistener **p = &mgr->listeners; *p;) {
        struct oflistener *l = *p;
        if (!target_listed(l->target, targets, n)) {
            *p = l->next;
            listener_free(mgr, l);
        } else {
            p = &l->next;
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (find_controller(mgr, targets[i]) || find_listener(mgr, targets[i])) {
            continue;
        }
        char one[256];
        int error = of_connmgr_add(mgr, targets[i], one, sizeof one);
        if (error) {
            VLOG_ERR(LOG_MODULE, "%s", one);
            if (!first_error) {
                first_error = error;
                if (err && err_size) {
                    snprintf(err, err_size, "%s", one);
                }
            }
        }
    }
    return first_error;
}

uint16_t
of_connmgr_listener_port(const struct of_connmgr *mgr, const char *target)
{
    struct oflistener *l = find_listener(mgr, target);
    return l ? of_pstream_port(l->pstream) : 0;
}

int
of_connmgr_get_role(const struct of_connmgr *mgr, const char *target)
{
    for (struct ofc *o = mgr->conns; o; o = o->next) {
        if (!strcmp(o->target, target)) {
            return (int) o->role;
        }
    }
    return -ENOENT;
}

/* ---- asynchronous messages ---- */

enum async_kind { ASYNC_PACKET_IN, ASYNC_PORT_STATUS, ASYNC_FLOW_REMOVED };

static bool
ofc_wants(const struct ofc *ofc, enum async_kind kind, uint8_t reason)
{
    if (of_conn_get_state(ofc->conn) != OF_CONN_ACTIVE
        || (ofc->service && !ofc->async_set) || reason >= 32) {
        return false;
    }
    int idx = ofc->role == OF_ROLE_SLAVE ? 1 : 0;
    const uint32_t *masks = kind == ASYNC_PACKET_IN ? ofc->async.packet_in_mask
                          : kind == ASYNC_PORT_STATUS ? ofc->async.port_status_mask
                          : ofc->async.flow_removed_mask;
    return masks[idx] & (1u << reason);
}

/* Sends 'msg' to every connection that wants it, but the session
 * 'skip_session' (0: none). */
static int
send_async(struct of_connmgr *mgr, const struct of_msg *msg,
           enum async_kind kind, uint8_t reason, uint64_t skip_session)
{
    struct of_buf buf;
    int n = 0;
    bool encoded = false;

    of_buf_init(&buf);
    for (struct ofc *o = mgr->conns; o; o = o->next) {
        if (!ofc_wants(o, kind, reason)
            || (skip_session && o->session_id == skip_session)) {
            continue;
        }
        if (!encoded) {
            int error = of_msg_encode(msg, &buf);
            if (error) {
                VLOG_ERR(LOG_MODULE, "cannot encode %s: %s",
                         of_msg_type_name(msg->type), strerror(-error));
                break;
            }
            encoded = true;
        }
        if (!of_conn_send(o->conn, buf.data, buf.len, OF_SEND_ASYNC)) {
            n++;
        }
    }
    of_buf_uninit(&buf);
    return n;
}

int
of_connmgr_send_packet_in(struct of_connmgr *mgr,
                          const struct of_packet_in *pin)
{
    struct of_msg msg;
    of_msg_init(&msg, OFPT_PACKET_IN, 0);
    msg.packet_in = *pin;
    return send_async(mgr, &msg, ASYNC_PACKET_IN, pin->reason, 0);
}

int
of_connmgr_send_flow_removed(struct of_connmgr *mgr,
                             const struct of_flow_removed *fr)
{
    struct of_msg msg;
    of_msg_init(&msg, OFPT_FLOW_REMOVED, 0);
    msg.flow_removed = *fr;
    return send_async(mgr, &msg, ASYNC_FLOW_REMOVED, fr->reason, 0);
}

int
of_connmgr_send_port_status(struct of_connmgr *mgr,
                            const struct of_port_status *ps)
{
    return of_connmgr_send_port_status_except(mgr, ps, 0);
}

int
of_connmgr_send_port_status_except(struct of_connmgr *mgr,
                                   const struct of_port_status *ps,
                                   uint64_t except_conn_id)
{
    struct of_msg msg;
    of_msg_init(&msg, OFPT_PORT_STATUS, 0);
    msg.port_status = *ps;
    return send_async(mgr, &msg, ASYNC_PORT_STATUS, ps->reason,
                      except_conn_id);
}

/* ---- status ---- */

size_t
of_connmgr_get_status(const struct of_connmgr *mgr,
                      struct of_connmgr_status *out, size_t max)
{
    size_t n = 0;
    int64_t now = evloop_now(mgr->loop);

    for (const struct oflistener *l = mgr->listeners; l; l = l->next, n++) {
        if (n < max) {
            struct of_connmgr_status *s = &out[n];
            memset(s, 0, sizeof *s);
            snprintf(s->target, sizeof s->target, "%s", l->target);
            s->kind = "listener";
            s->state = "listening";
            s->role = "-";
            s->connected_ms = -1;
        }
    }
    for (const struct ofc *o = mgr->conns; o; o = o->next, n++) {
        if (n >= max) {
            continue;
        }
        struct of_connmgr_status *s = &out[n];
        struct of_conn_stats st;
        of_conn_get_stats(o->conn, &st);
        memset(s, 0, sizeof *s);
        snprintf(s->target, sizeof s->target, "%s", o->target);
        s->kind = o->service ? "service" : "controller";
        s->state = of_conn_state_name(of_conn_get_state(o->conn));
        s->role = of_role_name(o->role);
        s->connected_ms = st.connected_at_ms >= 0 ? now - st.connected_at_ms : -1;
        s->rx_msgs = st.rx_msgs;
        s->tx_msgs = st.tx_msgs;
        s->queue_msgs = st.queue_msgs;
        s->queue_msgs_max = st.queue_msgs_max;
        s->queue_bytes = st.queue_bytes;
        s->async_dropped = st.async_dropped;
        s->queue_full = st.queue_full;
        s->backpressure = st.backpressure;
        s->connects = st.connects;
        s->attempts = st.attempts;
        s->backoff_ms = o->service ? 0 : st.backoff_ms;
        s->last_error = st.last_error;
        s->pending_reqs = o->n_pending;
        s->partial_reqs = o->n_partials;
        s->partial_bytes = o->partial_bytes;
    }
    return n;
}

int
of_connmgr_status_format(const struct of_connmgr_status *s, char *buf,
                         size_t size)
{
    return snprintf(buf, size,
                    "%s %s state=%s role=%s connected=%" PRId64 "ms "
                    "rx=%" PRIu64 " tx=%" PRIu64 " queue=%u/%zuB "
                    "queue_max=%u dropped=%" PRIu64 " queue_full=%" PRIu64
                    " backpressure=%" PRIu64 " pending=%u partial=%u/%zuB"
                    " connects=%" PRIu64
                    " attempts=%" PRIu64 " backoff=%" PRId64 "ms%s%s",
                    s->kind, s->target, s->state, s->role,
                    s->connected_ms < 0 ? 0 : s->connected_ms,
                    s->rx_msgs, s->tx_msgs, s->queue_msgs, s->queue_bytes,
                    s->queue_msgs_max, s->async_dropped, s->queue_full,
                    s->backpressure, s->pending_reqs, s->partial_reqs,
                    s->partial_bytes, s->connects,
                    s->attempts, s->backoff_ms,
                    s->last_error ? " last_error=" : "",
                    s->last_error ? strerror(-s->last_error) : "");
}
