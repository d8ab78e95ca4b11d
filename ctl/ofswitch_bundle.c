/*
 * ofswitch_bundle.c — ONF EXT-230 bundles for OpenFlow 1.3 (the 1.4 bundle
 * semantics carried in OFPT_EXPERIMENTER messages): OPEN, ADD, CLOSE,
 * COMMIT, DISCARD, mapped onto one pipeline transaction per bundle.
 *
 * A bundle belongs to the connection session that opened it (the spec's
 * "attached to the controller"; of_req_conn_id) and goes when that session
 * ends. ADD validates and converts its message at once (an invalid message
 * is refused with its own error and the bundle stays), keeping the ft_*
 * form; COMMIT applies every message in order inside one transaction
 * (ft_pipeline_begin .. commit), so controllers and packets see all of
 * them or none: on the first failing message the transaction is aborted,
 * that message's error is sent with its own xid and data, and the commit
 * fails with OFPBFC_MSG_FAILED, as Open vSwitch does. The bundle is
 * discarded whatever the outcome.
 *
 * Only FLOW_MOD can be bundled: GROUP_MOD, METER_MOD and PORT_MOD are
 * applied outside the pipeline's transactions and could not be undone, so
 * accepting them would break the all-or-nothing promise (MSG_UNSUP). We
 * always apply in order and atomically, so both ORDERED and ATOMIC are
 * accepted.
 *
 * Errors are EXT-230's, which OpenFlow 1.3 carries as experimenter errors
 * (type OFPET_EXPERIMENTER, code = ONF error number, data = the ONF
 * experimenter id then the offending request's first bytes).
 *
 * Main thread only.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ofswitch_private.h"
#include "lib/log.h"
#include "openflow/of_ft.h"

#define MOD "ofswitch"

/* Bounds: what a controller that never commits can make us hold. A
 * bundled flow mod costs about 1 KB (match, instructions), so the switch
 * holds at most ~128 MB of bundles. */
#define OFS_BUNDLES_PER_CONN 16
#define OFS_BUNDLE_MAX_MSGS (1u << 16)
#define OFS_BUNDLE_MAX_TOTAL_MSGS (1u << 17)

/* EXT-230 error numbers (ONFERR_ET_*). */
enum {
    OFS_ONFERR_BAD_ID = 2302,
    OFS_ONFERR_BUNDLE_CLOSED = 2304,
    OFS_ONFERR_OUT_OF_BUNDLES = 2305,
    OFS_ONFERR_BAD_TYPE = 2306,
    OFS_ONFERR_BAD_FLAGS = 2307,
    OFS_ONFERR_MSG_BAD_XID = 2309,
    OFS_ONFERR_MSG_UNSUP = 2310,
    OFS_ONFERR_MSG_TOO_MANY = 2312,
    OFS_ONFERR_MSG_FAILED = 2313,
};

struct ofs_bundle_msg {
    struct ft_flow_mod fm;          /* converted at ADD */
    uint32_t xid;                   /* the bundled message's */
    uint16_t raw_len;
    uint8_t raw[OFP_ERROR_ECHO_MAX];    /* its first bytes, for an error */
};

struct ofs_bundle {
    struct ofs_bundle *next;
    uint64_t conn_id;               /* of_req_conn_id() of its opener */
    uint32_t id;
    uint16_t flags;                 /* ONF_BF_* given at OPEN */
    bool closed;
    struct of_arena arena;          /* the messages' action lists */
    struct ofs_bundle_msg *msgs;
    uint32_t n_msgs, cap;
};

/* ---- bundle objects ---------------------------------------------------- */

static struct ofs_bundle *
bundle_find(struct ofswitch *sw, uint64_t conn_id, uint32_t id)
{
    for (struct ofs_bundle *b = sw->bundles; b; b = b->next) {
        if (b->conn_id == conn_id && b->id == id) {
            return b;
        }
    }
    return NULL;
}

static size_t
bundles_of_conn(const struct ofswitch *sw, uint64_t conn_id)
{
    size_t n = 0;
    for (const struct ofs_bundle *b = sw->bundles; b; b = b->next) {
        n += b->conn_id == conn_id;
    }
    return n;
}

static void
bundle_free(struct ofswitch *sw, struct ofs_bundle *b)
{
    struct ofs_bundle **p = &sw->bundles;
    while (*p != b) {
        p = &(*p)->next;
    }
    *p = b->next;
    sw->n_bundles--;
    sw->n_bundle_msgs -= b->n_msgs;
    of_ft_arena_free(&b->arena);
    free(b->msgs);
    free(b);
}

static struct ofs_bundle *
bundle_new(struct ofswitch *sw, uint64_t conn_id, uint32_t id, uint16_t flags)
{
    struct ofs_bundle *b = calloc(1, sizeof *b);
    if (b) {
        b->conn_id = conn_id;
        b->id = id;
        b->flags = flags;
        b->next = sw->bundles;
        sw->bundles = b;
        sw->n_bundles++;
    }
    return b;
}

void
ofs_bundles_conn_closed(void *aux, uint64_t conn_id)
{
    struct ofswitch *sw = aux;
    struct ofs_bundle *b = sw->bundles;
    while (b) {
        struct ofs_bundle *next = b->next;
        if (b->conn_id == conn_id) {
            bundle_free(sw, b);
        }
        b = next;
    }
}

void
ofs_bundles_destroy(struct ofswitch *sw)
{
    while (sw->bundles) {
        bundle_free(sw, sw->bundles);
    }
}

size_t
ofswitch_n_bundles(const struct ofswitch *sw)
{
    return sw->n_bundles;
}

/* ---- replies and errors --------------------------------------------------- */

/* The first bytes of 'msg' re-encoded (decode/encode round-trips), for
 * echoing in an error; returns how many were written. */
static size_t
echo_bytes(const struct of_msg *msg, uint8_t *out, size_t max)
{
    struct of_buf buf;
    size_t n = 0;
    of_buf_init(&buf);
    if (!of_msg_encode(msg, &buf)) {
        n = buf.len < max ? buf.len : max;
        memcpy(out, buf.data, n);
    }
    of_buf_uninit(&buf);
    return n;
}

/* Sends EXT-230 error 'code' about 'request' and completes it. */
static enum of_req_result
onf_error(struct of_req *req, const struct of_msg *request, uint16_t code)
{
    uint8_t data[4 + OFP_ERROR_ECHO_MAX];
    uint32_t id = ONF_EXPERIMENTER_ID;
    data[0] = (uint8_t) (id >> 24);
    data[1] = (uint8_t) (id >> 16);
    data[2] = (uint8_t) (id >> 8);
    data[3] = (uint8_t) id;
    size_t n = echo_bytes(request, data + 4, OFP_ERROR_ECHO_MAX);

    struct of_msg m;
    of_msg_init(&m, OFPT_ERROR, 0);
    m.error.type = OFPET_EXPERIMENTER;
    m.error.code = code;
    m.error.data.data = data;
    m.error.data.len = (uint32_t) (4 + n);
    of_req_reply(req, &m);
    return OF_REQ_DONE;
}

static void
ctrl_reply(struct of_req *req, const struct of_bundle_ctrl *bc, uint16_t type)
{
    struct of_msg m;
    of_msg_init(&m, OFPT_EXPERIMENTER, 0);
    m.bundle_ctrl.experimenter = ONF_EXPERIMENTER_ID;
    m.bundle_ctrl.exp_type = ONF_ET_BUNDLE_CONTROL;
    m.bundle_ctrl.bundle_id = bc->bundle_id;
    m.bundle_ctrl.type = type;
    m.bundle_ctrl.flags = bc->flags;
    of_req_reply(req, &m);
}

static bool
flags_supported(uint16_t flags)
{
    return !(flags & ~(ONF_BF_ATOMIC | ONF_BF_ORDERED));
}

/* ---- control ----------------------------------------------------------------- */

static enum of_req_result
bundle_commit(struct ofswitch *sw, struct of_req *req,
              const struct of_msg *msg, struct ofs_bundle *b)
{
    struct ft_pipeline *p = sw->pipeline;
    int64_t now = ofs_now(sw);
    struct ft_ofperr e = FT_OFPERR_OK;
    uint32_t i;

    ft_pipeline_begin(p);
    for (i = 0; i < b->n_msgs; i++) {
        e = ft_pipeline_flow_mod(p, &b->msgs[i].fm, now, NULL);
        if (!ft_ofperr_is_ok(e)) {
            break;
        }
    }
    if (!ft_ofperr_is_ok(e)) {
        ft_pipeline_abort(p);
        /* The failing message's own error first, then the commit's. */
        struct of_msg m;
        of_msg_init(&m, OFPT_ERROR, b->msgs[i].xid);
        m.error.type = e.type;
        m.error.code = e.code;
        m.error.data.data = b->msgs[i].raw;
        m.error.data.len = b->msgs[i].raw_len;
        of_req_send(req, &m);
        bundle_free(sw, b);
        return onf_error(req, msg, OFS_ONFERR_MSG_FAILED);
    }
    ft_pipeline_commit(p);
    bundle_free(sw, b);
    ctrl_reply(req, &msg->bundle_ctrl, ONF_BCT_COMMIT_REPLY);
    return ofs_wait_datapath(sw, req);
}

static enum of_req_result
bundle_ctrl(struct ofswitch *sw, struct of_req *req, const struct of_msg *msg,
            uint64_t conn_id)
{
    const struct of_bundle_ctrl *bc = &msg->bundle_ctrl;
    struct ofs_bundle *b = bundle_find(sw, conn_id, bc->bundle_id);

    switch (bc->type) {
    case ONF_BCT_OPEN_REQUEST:
        if (b) {
            /* The spec: refuse, and the existing bundle is discarded. */
            bundle_free(sw, b);
            return onf_error(req, msg, OFS_ONFERR_BAD_ID);
        }
        if (!flags_supported(bc->flags)) {
            return onf_error(req, msg, OFS_ONFERR_BAD_FLAGS);
        }
        if (bundles_of_conn(sw, conn_id) >= OFS_BUNDLES_PER_CONN
            || !bundle_new(sw, conn_id, bc->bundle_id, bc->flags)) {
            return onf_error(req, msg, OFS_ONFERR_OUT_OF_BUNDLES);
        }
        ctrl_reply(req, bc, ONF_BCT_OPEN_REPLY);
        return OF_REQ_DONE;

    case ONF_BCT_CLOSE_REQUEST:
        if (!b) {
            return onf_error(req, msg, OFS_ONFERR_BAD_ID);
        }
        if (b->closed || b->flags != bc->flags) {
            uint16_t code = b->closed ? OFS_ONFERR_BUNDLE_CLOSED
                                      : OFS_ONFERR_BAD_FLAGS;
            bundle_free(sw, b);
            return onf_error(req, msg, code);
        }
        b->closed = true;
        ctrl_reply(req, bc, ONF_BCT_CLOSE_REPLY);
        return OF_REQ_DONE;

    case ONF_BCT_COMMIT_REQUEST:
        if (!b) {
            return onf_error(req, msg, OFS_ONFERR_BAD_ID);
        }
        if (b->flags != bc->flags) {
            bundle_free(sw, b);
            return onf_error(req, msg, OFS_ONFERR_BAD_FLAGS);
        }
        return bundle_commit(sw, req, msg, b);

    case ONF_BCT_DISCARD_REQUEST:
        if (!b) {
            return onf_error(req, msg, OFS_ONFERR_BAD_ID);
        }
        bundle_free(sw, b);
        ctrl_reply(req, bc, ONF_BCT_DISCARD_REPLY);
        return OF_REQ_DONE;

    default:            /* replies, unknown types */
        return onf_error(req, msg, OFS_ONFERR_BAD_TYPE);
    }
}

/* ---- add ------------------------------------------------------------------- */

static enum of_req_result
bundle_add(struct ofswitch *sw, struct of_req *req, const struct of_msg *msg,
           uint64_t conn_id, struct of_err *err)
{
    const struct of_bundle_add *ba = &msg->bundle_add;
    const struct of_msg *inner = ba->message;

    if (inner->xid != msg->xid) {
        return onf_error(req, msg, OFS_ONFERR_MSG_BAD_XID);
    }
    if (inner->type != OFPT_FLOW_MOD) {
        return onf_error(req, msg, OFS_ONFERR_MSG_UNSUP);
    }
    struct ofs_bundle *b = bundle_find(sw, conn_id, ba->bundle_id);
    if (!b) {
        /* ADD to an unknown id opens the bundle (EXT-230). */
        if (!flags_supported(ba->flags)) {
            return onf_error(req, msg, OFS_ONFERR_BAD_FLAGS);
        }
        if (bundles_of_conn(sw, conn_id) >= OFS_BUNDLES_PER_CONN
            || !(b = bundle_new(sw, conn_id, ba->bundle_id, ba->flags))) {
            return onf_error(req, msg, OFS_ONFERR_OUT_OF_BUNDLES);
        }
    } else if (b->closed || b->flags != ba->flags) {
        uint16_t code = b->closed ? OFS_ONFERR_BUNDLE_CLOSED
                                  : OFS_ONFERR_BAD_FLAGS;
        bundle_free(sw, b);
        return onf_error(req, msg, code);
    }
    if (b->n_msgs >= OFS_BUNDLE_MAX_MSGS
        || sw->n_bundle_msgs >= OFS_BUNDLE_MAX_TOTAL_MSGS) {
        return onf_error(req, msg, OFS_ONFERR_MSG_TOO_MANY);
    }
    const struct of_flow_mod *fm = &inner->flow_mod;
    if (fm->command < FT_OFPFC_DELETE && fm->buffer_id != OFP_NO_BUFFER) {
        err->type = OFPET_BAD_REQUEST;
        err->code = OFPBRC_BUFFER_UNKNOWN;
        return OF_REQ_ERROR;
    }
    if (b->n_msgs == b->cap) {
        uint32_t cap = b->cap ? 2 * b->cap : 16;
        struct ofs_bundle_msg *msgs = realloc(b->msgs, cap * sizeof *msgs);
        if (!msgs) {
            return onf_error(req, msg, OFS_ONFERR_MSG_TOO_MANY);
        }
        b->msgs = msgs;
        b->cap = cap;
    }
    struct ofs_bundle_msg *bm = &b->msgs[b->n_msgs];
    int error = of_ft_flow_mod_to_ft(fm, &bm->fm, &b->arena, err);
    if (error) {
        return ofs_conv_error(error, err);
    }
    bm->xid = inner->xid;
    bm->raw_len = (uint16_t) echo_bytes(inner, bm->raw, sizeof bm->raw);
    b->n_msgs++;
    sw->n_bundle_msgs++;
    return OF_REQ_DONE;
}

enum of_req_result
ofs_handle_bundle(struct ofswitch *sw, struct of_req *req,
                  const struct of_msg *msg, struct of_err *err)
{
    uint64_t conn_id = of_req_conn_id(req);
    if (!conn_id) {
        return OF_REQ_DONE;     /* its connection is gone: nobody to answer */
    }
    if (msg->experimenter.exp_type == ONF_ET_BUNDLE_ADD_MESSAGE) {
        return bundle_add(sw, req, msg, conn_id, err);
    }
    return bundle_ctrl(sw, req, msg, conn_id);
}
