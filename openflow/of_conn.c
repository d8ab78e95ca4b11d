/*
 * of_conn.c — one OpenFlow connection: transport driving, framing, HELLO
 * negotiation, echo keepalive, inactivity probe, bounded send queue with
 * back-pressure, and reconnect with exponential backoff (see of_conn.h).
 *
 * Re-entrancy: callbacks (received, disconnected) may call back into this
 * file, including of_conn_destroy(). Every entry from the loop (fd event,
 * timer, kick) brackets its work with busy++/busy--; destroy during a busy
 * period only marks the connection and the outermost entry frees it.
 * Transport errors found while sending are never acted on inside the send
 * (which may be deep in a caller's callback): they are parked in
 * 'pending_error' and handled from the zero-delay "kick" timer.
 *
 * Main thread only.
 */
#include "openflow/of_conn.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/evloop.h"
#include "lib/log.h"

#define LOG_MODULE "ofconn"

/* Receive buffer: one maximal message plus room for the next read, so a
 * full-size message never needs more than one buffer. */
#define OF_CONN_RX_CAP (2 * (OFP_MAX_MSG_LEN + 1))

/* Reads per readiness event before yielding to other connections. */
#define OF_CONN_READS_PER_EVENT 16

/* Inactivity probe default (spec-agnostic; OVS uses 5 s too). */
#define OF_CONN_DEFAULT_PROBE_MS 5000
/* How long CONNECTING/HELLO may last when the probe is disabled. */
#define OF_CONN_HANDSHAKE_FALLBACK_MS 10000

struct of_txmsg {
    struct of_txmsg *next;
    size_t len, off;
    uint32_t n_msgs;
    uint8_t data[];
};

struct of_conn {
    struct evloop *loop;
    char name[160];
    bool active;                    /* we connect (and reconnect) */
    struct of_target target;
    struct of_ssl_ctx *ssl;
    struct of_conn_config cfg;
    struct of_conn_cbs cbs;
    void *aux;

    struct of_stream *stream;
    int fd;                         /* registered fd, -1 when none */
    uint32_t fd_events;
    enum of_conn_state state;
    int64_t state_since_ms;

    uint8_t *rx;
    size_t rx_len;

    struct of_txmsg *txq_head, *txq_tail;
    bool hold_owner;                /* of_conn_hold_input() */
    bool hold_backpressure;         /* queue over bound */
    bool queue_full_episode;        /* counted in st.queue_full already */

    int64_t next_backoff_ms;        /* what the next retry will wait */
    int64_t last_rx_ms;
    bool echo_outstanding;
    int64_t echo_sent_ms;

    int pending_error;              /* transport error found by a send */
    int closing_error;              /* reported once CLOSING flushed */
    struct evloop_timer timer;      /* backoff / timeouts / probe */
    struct evloop_timer kick;       /* deferred work, zero delay */

    uint32_t next_xid;
    int busy;
    bool destroy_pending;
    struct of_conn_stats st;
};

static void conn_arm_timer(struct of_conn *);
static void conn_update_events(struct of_conn *);
static void conn_fail(struct of_conn *, int error, const char *why);
static void conn_start_connect(struct of_conn *);
static void conn_free(struct of_conn *);

void
of_conn_config_default(struct of_conn_config *cfg)
{
    cfg->probe_interval_ms = OF_CONN_DEFAULT_PROBE_MS;
    cfg->backoff_min_ms = 1000;
    cfg->backoff_max_ms = 8000;
    cfg->max_queue_msgs = 256;
    cfg->max_queue_bytes = 4u << 20;
}

const char *
of_conn_state_name(enum of_conn_state state)
{
    switch (state) {
    case OF_CONN_BACKOFF: return "backoff";
    case OF_CONN_CONNECTING: return "connecting";
    case OF_CONN_HELLO: return "hello";
    case OF_CONN_ACTIVE: return "active";
    case OF_CONN_CLOSING: return "closing";
    case OF_CONN_DEAD: return "dead";
    }
    return "?";
}

static void
conn_set_state(struct of_conn *c, enum of_conn_state state)
{
    c->state = state;
    c->state_since_ms = evloop_now(c->loop);
}

static void
conn_enter(struct of_conn *c)
{
    c->busy++;
}

/* Leaves a loop entry; returns true if the connection is gone. */
static bool
conn_leave(struct of_conn *c)
{
    if (--c->busy == 0 && c->destroy_pending) {
        conn_free(c);
        return true;
    }
    return false;
}

static bool
input_held(const struct of_conn *c)
{
    return c->hold_owner || c->hold_backpressure;
}

static void
kick_cb(void *aux);

static void
conn_kick(struct of_conn *c)
{
    if (!evloop_timer_armed(&c->kick)) {
        evloop_timer_start(c->loop, &c->kick, 0, 0, kick_cb, c);
    }
}

/* ---- send queue ---- */

static void
txq_clear(struct of_conn *c)
{
    while (c->txq_head) {
        struct of_txmsg *m = c->txq_head;
        c->txq_head = m->next;
        free(m);
    }
    c->txq_tail = NULL;
    c->st.queue_msgs = 0;
    c->st.queue_bytes = 0;
}

static bool
queue_over_bound(const struct of_conn *c, uint32_t extra_msgs, size_t extra_bytes)
{
    return c->st.queue_msgs + extra_msgs > c->cfg.max_queue_msgs
           || c->st.queue_bytes + extra_bytes > c->cfg.max_queue_bytes;
}

/* Counts one "queue full" per episode (from reaching the bound until the
 * queue drains below it), not one per dropped message. */
static void
note_queue_full(struct of_conn *c)
{
    if (!c->queue_full_episode) {
        c->queue_full_episode = true;
        c->st.queue_full++;
    }
}

/* Writes as much of the queue as the transport takes. Errors are parked
 * (see the file comment). */
static void
conn_flush(struct of_conn *c)
{
    if (!c->stream || c->pending_error
        || (c->state != OF_CONN_HELLO && c->state != OF_CONN_ACTIVE
            && c->state != OF_CONN_CLOSING)) {
        return;
    }
    while (c->txq_head) {
        struct of_txmsg *m = c->txq_head;
        ssize_t r = of_stream_send(c->stream, m->data + m->off, m->len - m->off);
        if (r == -EAGAIN) {
            break;
        }
        if (r <= 0) {
            c->pending_error = r ? (int) r : -EPIPE;
            conn_kick(c);
            break;
        }
        m->off += (size_t) r;
        if (m->off < m->len) {
            continue;
        }
        c->txq_head = m->next;
        if (!c->txq_head) {
            c->txq_tail = NULL;
        }
        c->st.queue_msgs -= m->n_msgs;
        c->st.queue_bytes -= m->len;
        free(m);
    }
    if (c->queue_full_episode
        && c->st.queue_msgs < c->cfg.max_queue_msgs
        && c->st.queue_bytes < c->cfg.max_queue_bytes) {
        c->queue_full_episode = false;
    }
    /* Hysteresis: resume reading at half the bound, not just under it, so
     * a slow peer does not toggle reading per message. */
    if (c->hold_backpressure
        && c->st.queue_msgs <= c->cfg.max_queue_msgs / 2
        && c->st.queue_bytes <= c->cfg.max_queue_bytes / 2) {
        c->hold_backpressure = false;
        conn_kick(c);
    }
    if (c->state == OF_CONN_CLOSING && !c->txq_head) {
        conn_kick(c);
    }
    conn_update_events(c);
}

static uint32_t
count_msgs(const uint8_t *data, size_t len)
{
    uint32_t n = 0;
    size_t off = 0;
    while (off + OFP_HEADER_LEN <= len) {
        size_t mlen = of_msg_peek_len(data + off, len - off);
        if (mlen < OFP_HEADER_LEN) {
            break;
        }
        off += mlen;
        n++;
    }
    return n ? n : 1;
}

static int
conn_enqueue(struct of_conn *c, const void *data, size_t len,
             enum of_send_kind kind)
{
    uint32_t n = count_msgs(data, len);
    if (kind == OF_SEND_ASYNC && queue_over_bound(c, n, len)) {
        c->st.async_dropped += n;
        note_queue_full(c);
        return -ENOBUFS;
    }
    struct of_txmsg *m = malloc(sizeof *m + len);
    if (!m) {
        return -ENOMEM;
    }
    m->next = NULL;
    m->len = len;
    m->off = 0;
    m->n_msgs = n;
    memcpy(m->data, data, len);
    bool was_empty = !c->txq_head;
    if (c->txq_tail) {
        c->txq_tail->next = m;
    } else {
        c->txq_head = m;
    }
    c->txq_tail = m;
    c->st.queue_msgs += n;
    c->st.queue_bytes += len;
    c->st.tx_msgs += n;
    if (c->st.queue_msgs > c->st.queue_msgs_max) {
        c->st.queue_msgs_max = c->st.queue_msgs;
    }
    if (!c->hold_backpressure
        && (c->st.queue_msgs >= c->cfg.max_queue_msgs
            || c->st.queue_bytes >= c->cfg.max_queue_bytes)) {
        /* At the bound: stop taking requests whose replies would go past
         * it until the peer reads. */
        c->hold_backpressure = true;
        note_queue_full(c);
        c->st.backpressure++;
    }
    if (was_empty) {
        conn_flush(c);
    } else {
        conn_update_events(c);
    }
    return 0;
}

int
of_conn_send(struct of_conn *c, const void *data, size_t len,
             enum of_send_kind kind)
{
    if (c->state != OF_CONN_ACTIVE || c->destroy_pending) {
        return -ENOTCONN;
    }
    return conn_enqueue(c, data, len, kind);
}

static int
encode_msg(const struct of_msg *msg, struct of_buf *buf)
{
    if (msg->type == OFPT_MULTIPART_REPLY || msg->type == OFPT_MULTIPART_REQUEST) {
        int n = of_multipart_encode_split(msg, 0, buf);
        return n < 0 ? n : 0;
    }
    return of_msg_encode(msg, buf);
}

int
of_conn_send_msg(struct of_conn *c, const struct of_msg *msg,
                 enum of_send_kind kind)
{
    struct of_buf buf;
    of_buf_init(&buf);
    int error = encode_msg(msg, &buf);
    if (!error) {
        error = of_conn_send(c, buf.data, buf.len, kind);
    } else {
        VLOG_ERR(LOG_MODULE, "%s: cannot encode %s: %s", c->name,
                 of_msg_type_name(msg->type), strerror(-error));
    }
    of_buf_uninit(&buf);
    return error;
}

int
of_conn_send_error(struct of_conn *c, const struct of_err *err,
                   const void *raw, size_t len)
{
    struct of_buf buf;
    of_buf_init(&buf);
    int error = of_error_encode(err, raw, len, &buf);
    if (!error) {
        /* Errors may go out before the HELLO exchange completes. */
        error = c->state == OF_CONN_HELLO || c->state == OF_CONN_ACTIVE
                ? conn_enqueue(c, buf.data, buf.len, OF_SEND_REPLY)
                : -ENOTCONN;
    }
    of_buf_uninit(&buf);
    return error;
}

/* ---- fd registration ---- */

static void fd_cb(int fd, uint32_t events, void *aux);

static void
conn_update_events(struct of_conn *c)
{
    if (!c->stream) {
        return;
    }
    uint32_t want = 0;
    if (c->state == OF_CONN_CONNECTING) {
        want = of_stream_wants(c->stream);
    } else {
        if ((c->state == OF_CONN_HELLO || c->state == OF_CONN_ACTIVE)
            && !input_held(c) && c->rx_len < OF_CONN_RX_CAP) {
            want |= EVLOOP_READ;
        }
        if (c->txq_head) {
            want |= EVLOOP_WRITE;
            if (of_stream_is_tls(c->stream)) {
                want |= of_stream_wants(c->stream);   /* write wanting read */
            }
        }
    }
    if (c->fd < 0) {
        c->fd = of_stream_fd(c->stream);
        if (evloop_fd_add(c->loop, c->fd, want, fd_cb, c)) {
            c->fd = -1;
            c->pending_error = -ENOMEM;
            conn_kick(c);
            return;
        }
        c->fd_events = want;
    } else if (want != c->fd_events) {
        evloop_fd_modify(c->loop, c->fd, want);
        c->fd_events = want;
    }
}

static void
conn_close_stream(struct of_conn *c)
{
    if (c->fd >= 0) {
        evloop_fd_remove(c->loop, c->fd);
        c->fd = -1;
    }
    of_stream_close(c->stream);
    c->stream = NULL;
    c->rx_len = 0;
    c->hold_backpressure = false;
    c->queue_full_episode = false;
    c->echo_outstanding = false;
    c->pending_error = 0;
    c->closing_error = 0;
    txq_clear(c);
}

/* ---- HELLO ---- */

static void
conn_send_hello(struct of_conn *c)
{
    struct of_msg msg;
    struct of_hello_elem elem = { .type = OFPHET_VERSIONBITMAP };
    uint32_t bitmap = 1u << OFP_VERSION_1_3;
    struct of_buf buf;

    of_msg_init(&msg, OFPT_HELLO, of_conn_next_xid(c));
    elem.bitmaps.items = &bitmap;
    elem.bitmaps.n = 1;
    msg.hello.elements.items = &elem;
    msg.hello.elements.n = 1;
    of_buf_init(&buf);
    if (!of_msg_encode(&msg, &buf)) {
        conn_enqueue(c, buf.data, buf.len, OF_SEND_REPLY);
    }
    of_buf_uninit(&buf);
}

/* Sends HELLO_FAILED/INCOMPATIBLE with 'text' as its data (the spec asks
 * for an ASCII explanation), then closes once it is on the wire. */
static void
conn_hello_failed(struct of_conn *c, uint8_t peer_version, uint16_t code,
                  const char *text)
{
    struct of_msg msg;
    struct of_buf buf;

    VLOG_WARN(LOG_MODULE, "%s: version negotiation failed: %s", c->name, text);
    /* Answer in a version the peer can parse. */
    of_msg_init(&msg, OFPT_ERROR, 0);
    msg.version = peer_version && peer_version < OFP_VERSION_1_3
                  ? peer_version : OFP_VERSION_1_3;
    msg.error.type = OFPET_HELLO_FAILED;
    msg.error.code = code;
    msg.error.data.data = (const uint8_t *) text;
    msg.error.data.len = (uint32_t) strlen(text);
    of_buf_init(&buf);
    if (!of_msg_encode(&msg, &buf)) {
        conn_enqueue(c, buf.data, buf.len, OF_SEND_REPLY);
    }
    of_buf_uninit(&buf);
    c->closing_error = -EPROTO;
    conn_set_state(c, OF_CONN_CLOSING);
    conn_flush(c);
    conn_kick(c);
    conn_arm_timer(c);
}

static void
conn_established(struct of_conn *c)
{
    conn_set_state(c, OF_CONN_ACTIVE);
    c->st.connected_at_ms = evloop_now(c->loop);
    c->st.connects++;
    c->st.backoff_ms = 0;
    c->next_backoff_ms = c->cfg.backoff_min_ms;
    VLOG_INFO(LOG_MODULE, "%s: connected (OpenFlow 1.3%s)", c->name,
              of_stream_is_tls(c->stream) ? ", TLS" : "");
    conn_arm_timer(c);
    conn_update_events(c);
    if (c->cbs.established) {
        c->cbs.established(c, c->aux);
    }
}

static void
conn_handle_hello(struct of_conn *c, const uint8_t *raw, size_t len)
{
    struct of_msg msg;
    struct of_err err;
    char text[160];
    uint8_t version = raw[0];

    int error = of_msg_decode(raw, len, &msg, &err);
    if (error) {
        of_msg_uninit(&msg);
        snprintf(text, sizeof text, "malformed HELLO (%s/%s)",
                 of_error_type_name(err.type),
                 of_error_code_name(err.type, err.code));
        conn_hello_failed(c, version, OFPHFC_INCOMPATIBLE, text);
        return;
    }
    bool has_bitmap = false, ok = false;
    uint32_t peer_bits = 0;
    for (uint32_t i = 0; i < msg.hello.elements.n; i++) {
        const struct of_hello_elem *e = &msg.hello.elements.items[i];
        if (e->type != OFPHET_VERSIONBITMAP) {
            continue;       /* the spec says ignore unknown elements */
        }
        has_bitmap = true;
        if (e->bitmaps.n) {
            peer_bits |= e->bitmaps.items[0];
        }
    }
    of_msg_uninit(&msg);
    if (has_bitmap) {
        ok = peer_bits & (1u << OFP_VERSION_1_3);
    } else {
        /* No bitmap: both sides use min(ours, theirs), which must be 1.3. */
        ok = version >= OFP_VERSION_1_3;
        peer_bits = version < 32 ? 1u << version : 0;
    }
    if (!ok) {
        int n = snprintf(text, sizeof text, "we support OpenFlow 1.3 "
                         "(version 0x04) only; peer supports");
        for (int v = 0; v < 32 && n < (int) sizeof text - 8; v++) {
            if (peer_bits & (1u << v)) {
                n += snprintf(text + n, sizeof text - (size_t) n, " 0x%02x", v);
            }
        }
        if (!peer_bits) {
            snprintf(text + n, sizeof text - (size_t) n, " nothing usable");
        }
        conn_hello_failed(c, version, OFPHFC_INCOMPATIBLE, text);
        return;
    }
    conn_established(c);
}

/* ---- receiving ---- */

static void
conn_send_echo_reply(struct of_conn *c, const struct of_msg *req)
{
    struct of_msg reply;
    of_msg_init(&reply, OFPT_ECHO_REPLY, req->xid);
    reply.echo.data = req->echo.data;
    of_conn_send_msg(c, &reply, OF_SEND_REPLY);
}

static void
conn_handle_msg(struct of_conn *c, const uint8_t *raw, size_t len)
{
    c->st.rx_msgs++;
    if (c->state == OF_CONN_HELLO) {
        if (raw[1] != OFPT_HELLO) {
            char text[96];
            snprintf(text, sizeof text, "expected HELLO first, got %s",
                     of_msg_type_name(raw[1]) ? of_msg_type_name(raw[1]) : "?");
            conn_hello_failed(c, raw[0], OFPHFC_INCOMPATIBLE, text);
            return;
        }
        conn_handle_hello(c, raw, len);
        return;
    }
    if (raw[1] == OFPT_HELLO && raw[0] == OFP_VERSION_1_3) {
        return;             /* a late duplicate HELLO is harmless */
    }

    struct of_msg msg;
    struct of_err err;
    int error = of_msg_decode(raw, len, &msg, &err);
    if (error == -EBADMSG) {
        static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 1000);
        VLOG_RL(&rl, VLL_INFO, LOG_MODULE, "%s: bad %s message: %s/%s",
                c->name, of_msg_type_name(raw[1]) ? of_msg_type_name(raw[1]) : "?",
                of_error_type_name(err.type),
                of_error_code_name(err.type, err.code));
        of_conn_send_error(c, &err, raw, len);
    } else if (error) {
        struct of_err oom = { OFPET_BAD_REQUEST, OFPBRC_EPERM };
        of_conn_send_error(c, &oom, raw, len);
    } else if (msg.type == OFPT_ECHO_REQUEST) {
        conn_send_echo_reply(c, &msg);
    } else if (c->cbs.received) {
        /* ECHO_REPLY goes up too (liveness was noted when its bytes
         * arrived): a controller-side user may measure round trips. */
        c->cbs.received(c, &msg, raw, len, c->aux);
    }
    of_msg_uninit(&msg);
}

/* Hands up every complete message in the buffer, unless held. */
static void
conn_process_rx(struct of_conn *c)
{
    size_t off = 0;
    while (!input_held(c) && !c->destroy_pending
           && (c->state == OF_CONN_HELLO || c->state == OF_CONN_ACTIVE)
           && c->rx_len - off >= OFP_HEADER_LEN) {
        const uint8_t *p = c->rx + off;
        size_t len = of_msg_peek_len(p, c->rx_len - off);
        if (len < OFP_HEADER_LEN) {
            /* Framing is lost for good: say why and hang up. */
            struct of_err err = { OFPET_BAD_REQUEST, OFPBRC_BAD_LEN };
            VLOG_WARN(LOG_MODULE, "%s: message length %zu < 8, closing",
                      c->name, len);
            of_conn_send_error(c, &err, p, OFP_HEADER_LEN);
            c->closing_error = -EPROTO;
            conn_set_state(c, OF_CONN_CLOSING);
            conn_flush(c);
            conn_kick(c);
            conn_arm_timer(c);
            break;
        }
        if (c->rx_len - off < len) {
            break;
        }
        conn_handle_msg(c, p, len);
        off += len;
    }
    if (c->destroy_pending) {
        return;
    }
    if (off) {
        memmove(c->rx, c->rx + off, c->rx_len - off);
        c->rx_len -= off;
        conn_update_events(c);      /* room again: resume reading */
    }
}

static void
conn_read(struct of_conn *c)
{
    for (int i = 0; i < OF_CONN_READS_PER_EVENT; i++) {
        if (!c->stream || input_held(c) || c->destroy_pending
            || (c->state != OF_CONN_HELLO && c->state != OF_CONN_ACTIVE)
            || c->rx_len >= OF_CONN_RX_CAP) {
            return;
        }
        ssize_t r = of_stream_recv(c->stream, c->rx + c->rx_len,
                                   OF_CONN_RX_CAP - c->rx_len);
        if (r == -EAGAIN) {
            return;
        }
        if (r <= 0) {
            conn_fail(c, (int) r, r ? strerror((int) -r) : "connection closed by peer");
            return;
        }
        c->rx_len += (size_t) r;
        c->last_rx_ms = evloop_now(c->loop);
        c->echo_outstanding = false;
        conn_process_rx(c);
    }
    if (c->stream && of_stream_pending(c->stream)) {
        conn_kick(c);           /* TLS bytes epoll cannot see */
    }
}

/* ---- loop entries ---- */

static void
fd_cb(int fd, uint32_t events, void *aux)
{
    struct of_conn *c = aux;
    (void) fd;

    conn_enter(c);
    if (c->state == OF_CONN_CONNECTING) {
        int error = of_stream_connect(c->stream);
        if (!error) {
            conn_set_state(c, OF_CONN_HELLO);
            c->last_rx_ms = evloop_now(c->loop);
            conn_send_hello(c);
            conn_arm_timer(c);
            conn_update_events(c);
        } else if (error == -EAGAIN) {
            conn_update_events(c);
        } else {
            conn_fail(c, error, error == -EPROTO ? "TLS handshake failed"
                                                 : strerror(-error));
        }
    } else {
        if (c->txq_head) {
            conn_flush(c);
        }
        if (c->pending_error) {
            conn_fail(c, c->pending_error, strerror(-c->pending_error));
        } else if ((events & EVLOOP_ERROR) && input_held(c)) {
            conn_fail(c, -EPIPE, "connection reset");
        } else if (events & (EVLOOP_READ | EVLOOP_ERROR)) {
            conn_read(c);
        }
    }
    conn_leave(c);
}

static void
kick_cb(void *aux)
{
    struct of_conn *c = aux;

    conn_enter(c);
    if (c->pending_error) {
        conn_fail(c, c->pending_error, strerror(-c->pending_error));
    } else if (c->state == OF_CONN_CLOSING) {
        if (!c->txq_head) {
            conn_fail(c, c->closing_error ? c->closing_error : -EPROTO,
                      "protocol error");
        }
    } else if (c->state == OF_CONN_HELLO || c->state == OF_CONN_ACTIVE) {
        conn_process_rx(c);
        conn_read(c);
        if (c->stream && !c->destroy_pending) {
            conn_update_events(c);
        }
    }
    conn_leave(c);
}

static int64_t
handshake_limit(const struct of_conn *c)
{
    return c->cfg.probe_interval_ms > 0 ? c->cfg.probe_interval_ms
                                        : OF_CONN_HANDSHAKE_FALLBACK_MS;
}

static void timer_cb(void *aux);

/* Arms the state's single timer at its next deadline. */
static void
conn_arm_timer(struct of_conn *c)
{
    int64_t now = evloop_now(c->loop);
    int64_t deadline;

    switch (c->state) {
    case OF_CONN_CONNECTING:
    case OF_CONN_HELLO:
    case OF_CONN_CLOSING:
        deadline = c->state_since_ms + handshake_limit(c);
        break;
    case OF_CONN_ACTIVE:
        if (c->cfg.probe_interval_ms <= 0) {
            evloop_timer_stop(c->loop, &c->timer);
            return;
        }
        deadline = c->echo_outstanding
                   ? c->echo_sent_ms + c->cfg.probe_interval_ms
                   : c->last_rx_ms + c->cfg.probe_interval_ms;
        break;
    case OF_CONN_BACKOFF:
    case OF_CONN_DEAD:
    default:
        return;             /* backoff arms its own; dead has none */
    }
    evloop_timer_start(c->loop, &c->timer, deadline - now, 0, timer_cb, c);
}

static void
conn_probe(struct of_conn *c, int64_t now)
{
    if (c->hold_owner) {
        /* We are the slow side (a barrier waits on the datapath): silence
         * from the peer is expected, not a sign of death. */
        c->last_rx_ms = now;
    } else if (c->echo_outstanding
               && now - c->echo_sent_ms >= c->cfg.probe_interval_ms) {
        char why[96];
        snprintf(why, sizeof why, "no response to inactivity probe after "
                 "%" PRId64 " ms", now - c->last_rx_ms);
        conn_fail(c, -ETIMEDOUT, why);
        return;
    } else if (!c->echo_outstanding
               && now - c->last_rx_ms >= c->cfg.probe_interval_ms) {
        struct of_msg echo;
        of_msg_init(&echo, OFPT_ECHO_REQUEST, of_conn_next_xid(c));
        VLOG_DBG(LOG_MODULE, "%s: idle %" PRId64 " ms, sending inactivity "
                 "probe", c->name, now - c->last_rx_ms);
        of_conn_send_msg(c, &echo, OF_SEND_REPLY);
        c->echo_outstanding = true;
        c->echo_sent_ms = now;
        c->st.echo_sent++;
    }
    conn_arm_timer(c);
}

static void
timer_cb(void *aux)
{
    struct of_conn *c = aux;
    int64_t now = evloop_now(c->loop);

    conn_enter(c);
    switch (c->state) {
    case OF_CONN_BACKOFF:
        conn_start_connect(c);
        break;
    case OF_CONN_CONNECTING:
        conn_fail(c, -ETIMEDOUT, "connection timed out");
        break;
    case OF_CONN_HELLO:
        conn_fail(c, -ETIMEDOUT, "no HELLO from peer");
        break;
    case OF_CONN_CLOSING:
        conn_fail(c, c->closing_error ? c->closing_error : -ETIMEDOUT,
                  "closing");
        break;
    case OF_CONN_ACTIVE:
        conn_probe(c, now);
        break;
    case OF_CONN_DEAD:
        break;
    }
    conn_leave(c);
}

/* ---- connect / fail ---- */

/* Waits the current backoff before the next attempt and doubles it for
 * the attempt after (up to the ceiling). */
static void
conn_schedule_retry(struct of_conn *c)
{
    int64_t delay = c->next_backoff_ms;
    c->st.backoff_ms = delay;
    conn_set_state(c, OF_CONN_BACKOFF);
    evloop_timer_start(c->loop, &c->timer, delay, 0, timer_cb, c);
    c->next_backoff_ms = delay * 2 > c->cfg.backoff_max_ms
                         ? c->cfg.backoff_max_ms : delay * 2;
}

static void
conn_start_connect(struct of_conn *c)
{
    c->st.attempts++;
    int error = of_stream_open(&c->target, c->ssl, c->name, &c->stream);
    if (error) {
        c->st.last_error = error;
        conn_schedule_retry(c);
        VLOG_WARN(LOG_MODULE, "%s: connection failed: %s; retrying in "
                  "%" PRId64 " ms", c->name, strerror(-error), c->st.backoff_ms);
        return;
    }
    conn_set_state(c, OF_CONN_CONNECTING);
    conn_update_events(c);
    conn_arm_timer(c);
}

static void
conn_fail(struct of_conn *c, int error, const char *why)
{
    bool was_active = c->state == OF_CONN_ACTIVE;

    conn_close_stream(c);
    evloop_timer_stop(c->loop, &c->kick);
    evloop_timer_stop(c->loop, &c->timer);
    c->st.last_error = error;
    c->st.connected_at_ms = -1;
    if (c->active) {
        conn_schedule_retry(c);
        VLOG_WARN(LOG_MODULE, "%s: %s: %s; reconnecting in %" PRId64 " ms",
                  c->name, was_active ? "disconnected" : "connection failed",
                  why, c->st.backoff_ms);
    } else {
        VLOG_INFO(LOG_MODULE, "%s: %s: %s", c->name,
                  was_active ? "disconnected" : "connection failed", why);
        conn_set_state(c, OF_CONN_DEAD);
    }
    if (c->cbs.disconnected && !c->destroy_pending) {
        c->cbs.disconnected(c, error, c->aux);
    }
}

/* ---- lifecycle ---- */

static struct of_conn *
conn_alloc(struct evloop *loop, const char *name,
           const struct of_conn_config *cfg, const struct of_conn_cbs *cbs,
           void *aux)
{
    struct of_conn *c = calloc(1, sizeof *c);
    if (!c) {
        return NULL;
    }
    c->rx = malloc(OF_CONN_RX_CAP);
    if (!c->rx) {
        free(c);
        return NULL;
    }
    c->loop = loop;
    snprintf(c->name, sizeof c->name, "%s", name);
    if (cfg) {
        c->cfg = *cfg;
    } else {
        of_conn_config_default(&c->cfg);
    }
    if (c->cfg.backoff_min_ms <= 0) {
        c->cfg.backoff_min_ms = 1;
    }
    if (c->cfg.backoff_max_ms < c->cfg.backoff_min_ms) {
        c->cfg.backoff_max_ms = c->cfg.backoff_min_ms;
    }
    if (!c->cfg.max_queue_msgs) {
        c->cfg.max_queue_msgs = 1;
    }
    if (c->cfg.max_queue_bytes < OFP_MAX_MSG_LEN) {
        c->cfg.max_queue_bytes = OFP_MAX_MSG_LEN;
    }
    if (cbs) {
        c->cbs = *cbs;
    }
    c->aux = aux;
    c->fd = -1;
    c->st.connected_at_ms = -1;
    c->next_backoff_ms = c->cfg.backoff_min_ms;
    c->next_xid = 1;
    evloop_timer_init(&c->timer);
    evloop_timer_init(&c->kick);
    return c;
}

struct of_conn *
of_conn_create_active(struct evloop *loop, const char *name,
                      const struct of_target *target, struct of_ssl_ctx *ssl,
                      const struct of_conn_config *cfg,
                      const struct of_conn_cbs *cbs, void *aux)
{
    if (target->passive) {
        return NULL;
    }
    struct of_conn *c = conn_alloc(loop, name, cfg, cbs, aux);
    if (!c) {
        return NULL;
    }
    c->active = true;
    c->target = *target;
    c->ssl = ssl;
    /* First attempt from the loop, not from inside the caller. */
    conn_set_state(c, OF_CONN_BACKOFF);
    evloop_timer_start(loop, &c->timer, 0, 0, timer_cb, c);
    return c;
}

struct of_conn *
of_conn_create_passive(struct evloop *loop, struct of_stream *stream,
                       const struct of_conn_config *cfg,
                       const struct of_conn_cbs *cbs, void *aux)
{
    struct of_conn *c = conn_alloc(loop, of_stream_name(stream), cfg, cbs, aux);
    if (!c) {
        of_stream_close(stream);
        return NULL;
    }
    c->stream = stream;
    c->st.attempts = 1;
    conn_set_state(c, OF_CONN_CONNECTING);   /* TLS handshake, if any */
    conn_update_events(c);
    conn_arm_timer(c);
    /* A plain stream is already open: of_stream_connect() returns 0 on the
     * first event, which sends our HELLO. Make sure that event comes. */
    if (!of_stream_is_tls(stream)) {
        evloop_fd_modify(loop, c->fd, EVLOOP_READ | EVLOOP_WRITE);
        c->fd_events = EVLOOP_READ | EVLOOP_WRITE;
    }
    return c;
}

static void
conn_free(struct of_conn *c)
{
    conn_close_stream(c);
    evloop_timer_stop(c->loop, &c->timer);
    evloop_timer_stop(c->loop, &c->kick);
    free(c->rx);
    free(c);
}

void
of_conn_destroy(struct of_conn *c)
{
    if (!c) {
        return;
    }
    if (c->busy) {
        c->destroy_pending = true;
        memset(&c->cbs, 0, sizeof c->cbs);
        return;
    }
    conn_free(c);
}

void
of_conn_hold_input(struct of_conn *c, bool hold)
{
    if (c->hold_owner == hold) {
        return;
    }
    c->hold_owner = hold;
    if (!hold) {
        c->last_rx_ms = evloop_now(c->loop);
        conn_kick(c);       /* buffered messages: process from the loop */
    }
    conn_update_events(c);
}

uint32_t
of_conn_next_xid(struct of_conn *c)
{
    uint32_t xid = c->next_xid++;
    if (!c->next_xid) {
        c->next_xid = 1;
    }
    return xid;
}

enum of_conn_state
of_conn_get_state(const struct of_conn *c)
{
    return c->state;
}

const char *
of_conn_name(const struct of_conn *c)
{
    return c->name;
}

bool
of_conn_is_active_target(const struct of_conn *c)
{
    return c->active;
}

void
of_conn_get_stats(const struct of_conn *c, struct of_conn_stats *st)
{
    *st = c->st;
}
