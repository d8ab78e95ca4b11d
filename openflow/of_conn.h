/*
 * of_conn.h — one OpenFlow 1.3 connection's protocol state (private to
 * openflow/; of_connmgr.c and the tests' peers use it).
 *
 * What it does
 * ------------
 *  - Drives the transport (of_stream) from an evloop: connect, TLS
 *    handshake, reads into a framing buffer, writes from a send queue.
 *  - Frames messages with of_msg_peek_len(); a header length below 8
 *    cannot be resynchronised, so it earns BAD_REQUEST/BAD_LEN and a close.
 *  - HELLO exchange: sends HELLO(1.3, versionbitmap {1.3}); accepts a peer
 *    whose bitmap has 1.3, or without bitmap whose version is >= 1.3;
 *    otherwise sends HELLO_FAILED/INCOMPATIBLE with a readable text and
 *    closes once it is flushed.
 *  - Answers ECHO_REQUEST; after 'probe_interval_ms' without any received
 *    byte sends an ECHO_REQUEST, and after another interval of silence
 *    drops the peer ("inactivity probe").
 *  - Send queue bounded by messages and bytes. Asynchronous messages that
 *    do not fit are dropped and counted. Replies are never dropped: when
 *    the queue is over its bound the connection stops reading from the
 *    peer (back-pressure) until the queue drains to half, so a slow
 *    reader bounds its own queue to the bound plus one request's replies.
 *  - Active connections reconnect with exponential backoff
 *    (backoff_min_ms doubling to backoff_max_ms; reset once a HELLO
 *    exchange succeeds). Passive (accepted) connections die for good.
 *
 * Callbacks run from the evloop; a callback may destroy the connection.
 * Main thread only.
 */
#ifndef VSWITCH_OPENFLOW_OF_CONN_H
#define VSWITCH_OPENFLOW_OF_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "openflow/of_stream.h"
#include "openflow/openflow.h"

struct evloop;
struct of_conn;

struct of_conn_config {
    int64_t probe_interval_ms;      /* idle time before ECHO; 0 disables */
    int64_t backoff_min_ms;         /* first reconnect delay */
    int64_t backoff_max_ms;         /* reconnect delay ceiling */
    uint32_t max_queue_msgs;        /* send queue bound, messages */
    size_t max_queue_bytes;         /* send queue bound, bytes */
};

/* Defaults: 5 s probe, 1 s -> 8 s backoff, 256 messages / 4 MiB. */
void of_conn_config_default(struct of_conn_config *cfg);

enum of_conn_state {
    OF_CONN_BACKOFF,        /* active, waiting to retry */
    OF_CONN_CONNECTING,     /* TCP connect / TLS handshake in flight */
    OF_CONN_HELLO,          /* transport up, waiting for the peer's HELLO */
    OF_CONN_ACTIVE,         /* version negotiated: messages flow */
    OF_CONN_CLOSING,        /* flushing a last error, then closing */
    OF_CONN_DEAD,           /* passive connection closed for good */
};
const char *of_conn_state_name(enum of_conn_state);

struct of_conn_cbs {
    /* HELLO exchange done. */
    void (*established)(struct of_conn *, void *aux);
    /* A decoded 1.3 message other than HELLO and ECHO_REQUEST (answered
     * here); 'raw' (the wire bytes, also backing the message's blobs) is
     * valid during the call. */
    void (*received)(struct of_conn *, const struct of_msg *,
                     const uint8_t *raw, size_t len, void *aux);
    /* The transport went away ('error' is a -errno, 0 for EOF). Active
     * connections will retry by themselves; passive ones are DEAD and
     * should be destroyed by the owner. */
    void (*disconnected)(struct of_conn *, int error, void *aux);
};

struct of_conn_stats {
    uint64_t rx_msgs, tx_msgs;      /* decoded in / queued out */
    uint64_t async_dropped;         /* async messages dropped, queue full */
    uint64_t queue_full;            /* episodes of the queue at its bound */
    uint64_t backpressure;          /* times reading paused for replies */
    uint64_t echo_sent, connects, attempts;
    uint32_t queue_msgs, queue_msgs_max;
    size_t queue_bytes;
    int64_t connected_at_ms;        /* loop clock; -1 when not ACTIVE */
    int64_t backoff_ms;             /* last reconnect delay; 0 once up */
    int last_error;                 /* -errno of the last disconnect */
};

/* Creates an active connection to 'target' and starts connecting. The
 * strings and 'ssl' are borrowed ('ssl' must outlive the connection). */
struct of_conn *of_conn_create_active(struct evloop *loop, const char *name,
                                      const struct of_target *target,
                                      struct of_ssl_ctx *ssl,
                                      const struct of_conn_config *cfg,
                                      const struct of_conn_cbs *cbs, void *aux);
/* Wraps an accepted stream (ownership passes to the connection). */
struct of_conn *of_conn_create_passive(struct evloop *loop,
                                       struct of_stream *stream,
                                       const struct of_conn_config *cfg,
                                       const struct of_conn_cbs *cbs,
                                       void *aux);
/* Closes and frees (deferred if called from the connection's callback). */
void of_conn_destroy(struct of_conn *conn);

enum of_send_kind {
    OF_SEND_REPLY,          /* never dropped; back-pressure instead */
    OF_SEND_ASYNC,          /* dropped and counted when the queue is full */
};
/* Queues wire bytes (one or more whole messages). 0, -ENOTCONN when not
 * ACTIVE, -ENOBUFS for an async message dropped, -ENOMEM. */
int of_conn_send(struct of_conn *conn, const void *data, size_t len,
                 enum of_send_kind kind);
/* Encodes 'msg' (multipart bodies split over several messages) and
 * queues it. Same returns plus the encoder's. */
int of_conn_send_msg(struct of_conn *conn, const struct of_msg *msg,
                     enum of_send_kind kind);
/* Sends ERROR 'err' about the message in raw[0..len). */
int of_conn_send_error(struct of_conn *conn, const struct of_err *err,
                       const void *raw, size_t len);

/* Stops (true) or resumes (false) handing received messages up; the
 * connection manager holds input while a BARRIER waits. */
void of_conn_hold_input(struct of_conn *conn, bool hold);

uint32_t of_conn_next_xid(struct of_conn *conn);
enum of_conn_state of_conn_get_state(const struct of_conn *conn);
const char *of_conn_name(const struct of_conn *conn);
bool of_conn_is_active_target(const struct of_conn *conn);
void of_conn_get_stats(const struct of_conn *conn, struct of_conn_stats *st);

#endif
