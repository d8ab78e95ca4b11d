/*
 * of_connmgr.h — a switch's OpenFlow 1.3 connections: controllers it
 * connects to and listeners management tools connect to, with roles,
 * asynchronous-message filtering, barriers and the narrow interface to
 * the bridge. (The wire codec is openflow.h; this is a separate interface:
 * the codec is pure, this module does I/O.)
 *
 * What it is
 * ----------
 * A connection manager owns, for one bridge:
 *   - controllers: active targets "tcp:IP[:PORT]", "ssl:IP[:PORT]",
 *     "unix:PATH", each reconnecting with exponential backoff;
 *   - listeners: "ptcp:[PORT][:IP]", "pssl:[PORT][:IP]", "punix:PATH",
 *     whose accepted connections ("service" connections) live until the
 *     peer leaves.
 * It answers on its own everything that is about the connection (HELLO,
 * ECHO, FEATURES_REQUEST from bridge data, ROLE_REQUEST, GET_ASYNC,
 * SET_ASYNC, BARRIER) and hands every switch-state message to the bridge
 * through struct of_switch_ops. The bridge emits PACKET_IN, FLOW_REMOVED
 * and PORT_STATUS through of_connmgr_send_*(), which filters per
 * connection by role and async configuration. No pipeline logic here.
 *
 * Roles (spec 6.3.5)
 * ------------------
 * Every connection starts EQUAL. A MASTER or SLAVE request carries a
 * generation_id; once one has been seen, a request whose id is older
 * (serial-number comparison: (int64_t)(id - last) < 0) fails with
 * ROLE_REQUEST_FAILED/STALE. A new MASTER turns every other MASTER into
 * SLAVE. A SLAVE's state-changing requests (FLOW_MOD, GROUP_MOD,
 * PORT_MOD, TABLE_MOD, METER_MOD, PACKET_OUT, bundles, TABLE_FEATURES
 * with a body) fail with BAD_REQUEST/IS_SLAVE.
 *
 * Async filtering (spec 7.3.10)
 * -----------------------------
 * Per connection, two mask sets (index 0: MASTER/EQUAL, 1: SLAVE), each
 * a bit per reason. Defaults: master/equal get packet-in NO_MATCH|ACTION,
 * all port-status and flow-removed reasons; slaves get port-status only.
 * SET_ASYNC replaces them. Service (listener) connections get no async
 * messages until they send SET_ASYNC: management tools poll, and a
 * packet-in flood must not reach them by default (as Open vSwitch does).
 *
 * Requests and barriers
 * ---------------------
 * Each handed-up message comes with a struct of_req. A handler returns
 * OF_REQ_DONE (success, replies already sent with of_req_reply()),
 * OF_REQ_ERROR (the manager sends *err), or OF_REQ_PENDING: the bridge
 * keeps 'req' and later calls of_req_complete() — e.g. once a flow change
 * is in effect in the datapath. A BARRIER_REQUEST is answered only when
 * every earlier request on its connection has completed; while it waits,
 * later messages from that connection are not read (so they cannot
 * overtake the barrier). A request may outlive its connection: replies
 * are then discarded, and of_req_complete() must still be called.
 *
 * Split multipart requests (spec 7.3.5)
 * -------------------------------------
 * A MULTIPART_REQUEST flagged REQ_MORE is one part of a request that
 * continues in later messages with the same xid. The manager keeps the
 * parts per connection and hands the bridge one assembled request (MORE
 * clear) when the last part arrives; the bridge never sees a part. Only
 * list bodies (TABLE_FEATURES) can be split; REQ_MORE on another type
 * fails with BAD_REQUEST/BAD_MULTIPART. Requests with different xids may
 * be assembled concurrently, up to 8 per connection holding at most
 * 1 MiB of parts; past either bound the request fails with
 * BAD_REQUEST/MULTIPART_BUFFER_OVERFLOW. A part whose multipart type
 * differs from its xid's first part fails the request with BAD_MULTIPART.
 * Once a request has failed, its remaining parts (up to the one without
 * REQ_MORE) are dropped silently: one error per request, and the tail is
 * never taken for a whole request. The SLAVE check applies to the whole
 * request. Parts are freed when the connection closes. OpenFlow 1.3 has
 * no timeout error for unfinished requests; the bounds cap what a
 * controller that never finishes can hold.
 * Barriers: an incomplete request has not been received yet, so it is
 * not among the "previously received" requests a BARRIER waits for (it
 * could not be: its remaining parts come after the barrier, behind the
 * input hold). The barrier is answered once the complete requests before
 * it are done; a request completed by parts after the barrier is
 * processed after the barrier, in arrival order of its last part.
 *
 * Send queues are bounded per connection (of_conn.h): dropped async
 * messages and back-pressure events are counted in the status.
 *
 * Wiring (what a daemon does)
 * ---------------------------
 *   loop = evloop_create();  mgr = of_connmgr_create(loop, &ops, br, NULL);
 *   of_connmgr_set_ssl(mgr, ca, cert, key);          (if TLS is configured)
 *   of_connmgr_set_targets(mgr, targets, n, ...);    (at every reconfigure)
 *   ... evloop_run(loop) ...
 * The bridge completes PENDING requests with of_req_complete() once the
 * change is visible to the datapath, emits async messages with
 * of_connmgr_send_*() from the main thread, and shows
 * of_connmgr_get_status() in its CLI. SIGPIPE must be ignored (TLS writes
 * use write(2)); of_ssl_ctx creation does it if nobody has.
 *
 * Threads
 * -------
 * Main thread only: everything runs from the evloop given at creation,
 * and the bridge's handlers are called from it.
 */
#ifndef VSWITCH_OPENFLOW_OF_CONNMGR_H
#define VSWITCH_OPENFLOW_OF_CONNMGR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "openflow/openflow.h"

struct evloop;
struct of_connmgr;
struct of_req;

enum of_conn_role {
    OF_ROLE_NOCHANGE = 0, OF_ROLE_EQUAL = 1, OF_ROLE_MASTER = 2,
    OF_ROLE_SLAVE = 3,
};
const char *of_role_name(uint32_t role);

/* ROLE_REQUEST_FAILED codes (OFPET_ROLE_REQUEST_FAILED). */
enum { OFPRRFC_STALE = 0, OFPRRFC_UNSUP = 1, OFPRRFC_BAD_ROLE = 2 };

/* Packet-in, port-status and flow-removed reasons (mask bits). */
enum { OFPR_NO_MATCH = 0, OFPR_ACTION = 1, OFPR_INVALID_TTL = 2 };
enum { OFPPR_ADD = 0, OFPPR_DELETE = 1, OFPPR_MODIFY = 2 };
enum { OFPRR_IDLE_TIMEOUT = 0, OFPRR_HARD_TIMEOUT = 1, OFPRR_DELETE = 2,
       OFPRR_GROUP_DELETE = 3 };

enum of_req_result {
    OF_REQ_DONE,        /* handled; replies (if any) already sent */
    OF_REQ_ERROR,       /* failed: the manager sends '*err' */
    OF_REQ_PENDING,     /* the bridge will call of_req_complete() */
};

/* A handler for one message type. 'msg' and its blobs are valid only
 * during the call (copy what a PENDING completion needs). */
typedef enum of_req_result of_switch_handler(void *aux, struct of_req *req,
                                             const struct of_msg *msg,
                                             struct of_err *err);

/* What the bridge implements. A NULL handler answers the message with
 * BAD_REQUEST/BAD_TYPE (or BAD_MULTIPART, BAD_EXPERIMENTER). */
struct of_switch_ops {
    /* FEATURES_REPLY body: datapath_id, n_buffers, n_tables, capabilities
     * (auxiliary_id is filled in here). Required. */
    void (*get_features)(void *aux, struct of_features_reply *features);

    of_switch_handler *flow_mod;
    of_switch_handler *group_mod;
    of_switch_handler *meter_mod;
    of_switch_handler *packet_out;
    of_switch_handler *port_mod;
    of_switch_handler *table_mod;
    of_switch_handler *multipart;       /* MULTIPART_REQUEST, any type */
    of_switch_handler *get_config;      /* GET_CONFIG_REQUEST */
    of_switch_handler *set_config;      /* SET_CONFIG */
    of_switch_handler *queue_get_config;
    of_switch_handler *experimenter;    /* bundles and other extensions */

    /* A connection's role changed (ROLE_REQUEST, or demoted to SLAVE by
     * another MASTER). Informational; optional. */
    void (*role_changed)(void *aux, const char *conn_name, enum of_conn_role role);

    /* The session of_req_conn_id() named 'conn_id' ended (disconnect,
     * target removed, manager destroyed): state the bridge keeps per
     * connection (open bundles) can go. Optional. */
    void (*conn_closed)(void *aux, uint64_t conn_id);
};

/* Per-connection tunables; see of_conn.h for the meaning. */
struct of_connmgr_config {
    int64_t probe_interval_ms;      /* default 5000; 0 disables */
    int64_t backoff_min_ms;         /* default 1000 */
    int64_t backoff_max_ms;         /* default 8000 */
    uint32_t max_queue_msgs;        /* default 256 */
    size_t max_queue_bytes;         /* default 4 MiB */
};
void of_connmgr_config_default(struct of_connmgr_config *cfg);

/* Creates a manager on 'loop' (NULL 'cfg': defaults). */
struct of_connmgr *of_connmgr_create(struct evloop *loop,
                                     const struct of_switch_ops *ops,
                                     void *aux,
                                     const struct of_connmgr_config *cfg);
/* Closes every connection and listener. Pending requests stay valid until
 * the bridge completes them. */
void of_connmgr_destroy(struct of_connmgr *mgr);

/* TLS files for ssl:/pssl: targets added afterwards. 0 or -errno (the
 * reason is logged). Replacing them does not affect existing targets. */
int of_connmgr_set_ssl(struct of_connmgr *mgr, const char *ca_file,
                       const char *cert_file, const char *key_file);

/* Adds a controller or listener target. 0, -EEXIST, -EINVAL with a reason
 * in err[] (bad target, TLS not configured), -errno from listen(). */
int of_connmgr_add(struct of_connmgr *mgr, const char *target,
                   char *err, size_t err_size);
/* Removes a target (closing its connections). 0 or -ENOENT. Not from
 * inside a handler running for that target's own connection. */
int of_connmgr_remove(struct of_connmgr *mgr, const char *target);
/* Makes the target set exactly 'targets' (adds and removes as needed).
 * Returns 0 or the first error (other targets are still applied). */
int of_connmgr_set_targets(struct of_connmgr *mgr,
                           const char *const *targets, size_t n,
                           char *err, size_t err_size);
/* TCP port a ptcp:/pssl: listener is bound to (after "ptcp:0"), or 0. */
uint16_t of_connmgr_listener_port(const struct of_connmgr *mgr,
                                  const char *target);

/* ---- requests ---- */

uint32_t of_req_xid(const struct of_req *req);
/* The connection session 'req' came from: an id unique within the manager
 * (a reconnect is a new session with a new id), for state the spec ties
 * to a connection (bundles); 0 once that session has ended. */
uint64_t of_req_conn_id(const struct of_req *req);
/* Sends 'reply' on the request's connection with the request's xid
 * (multipart bodies are split as needed). 0, -ENOTCONN if the connection
 * is gone, or an encode error. */
int of_req_reply(struct of_req *req, struct of_msg *reply);
/* Like of_req_reply() but 'msg' keeps its own xid: an error about a
 * message carried inside the request (a bundled message) names that
 * message's xid. */
int of_req_send(struct of_req *req, const struct of_msg *msg);
/* Completes a PENDING request: sends ERROR 'err' if non-NULL, releases a
 * waiting barrier, frees 'req'. */
void of_req_complete(struct of_req *req, const struct of_err *err);

/* ---- asynchronous messages from the bridge ---- */

/* Each is encoded once and queued on every connection whose role and
 * async masks accept its reason. Returns the number of connections that
 * got it. */
int of_connmgr_send_packet_in(struct of_connmgr *mgr,
                              const struct of_packet_in *pin);
int of_connmgr_send_flow_removed(struct of_connmgr *mgr,
                                 const struct of_flow_removed *fr);
int of_connmgr_send_port_status(struct of_connmgr *mgr,
                                const struct of_port_status *ps);
/* The same, but not to the session 'except_conn_id' (of_req_conn_id): a
 * PORT_MOD's own controller is not told of its change (OpenFlow before
 * 1.5; Open vSwitch tells the others). */
int of_connmgr_send_port_status_except(struct of_connmgr *mgr,
                                       const struct of_port_status *ps,
                                       uint64_t except_conn_id);

/* ---- status for the CLI ---- */

struct of_connmgr_status {
    char target[128];               /* controller target or peer name */
    const char *kind;               /* "controller", "service", "listener" */
    const char *state;              /* of_conn state or "listening" */
    const char *role;               /* "equal", "master", "slave" */
    int64_t connected_ms;           /* time ACTIVE so far, -1 if not */
    uint64_t rx_msgs, tx_msgs;
    uint32_t queue_msgs, queue_msgs_max;
    size_t queue_bytes;
    uint64_t async_dropped;         /* async messages dropped (queue full) */
    uint64_t queue_full;            /* episodes of the queue at its bound */
    uint64_t backpressure;          /* times reading paused for replies */
    uint64_t connects, attempts;
    int64_t backoff_ms;             /* last reconnect delay; 0 once up */
    int last_error;                 /* -errno of the last disconnect */
    uint32_t pending_reqs;          /* requests the bridge has not completed */
    uint32_t partial_reqs;          /* split multipart requests incomplete */
    size_t partial_bytes;           /* memory their parts hold */
};

/* Fills up to 'max' entries (controllers, listeners, service
 * connections); returns how many exist. */
size_t of_connmgr_get_status(const struct of_connmgr *mgr,
                             struct of_connmgr_status *out, size_t max);
/* One line per entry, for logs and the CLI. Returns the length needed,
 * like snprintf. */
int of_connmgr_status_format(const struct of_connmgr_status *st,
                             char *buf, size_t size);

/* The role a controller connection has ('target' as added; for service
 * connections the peer name). -ENOENT if unknown. For tests and CLI. */
int of_connmgr_get_role(const struct of_connmgr *mgr, const char *target);

#endif
