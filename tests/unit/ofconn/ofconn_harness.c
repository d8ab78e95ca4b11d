/*
 * ofconn_harness.c — shared helpers of the connection tests: loop driving,
 * log inspection, a fake bridge (of_switch_ops), controller-side peers on
 * of_conn, test listeners and raw misbehaving sockets. See ofconn_harness.h.
 * Single-threaded, like the code under test.
 */
#include "ofconn_harness.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lib/log.h"

struct evloop *loop;
char tmpdir[256];
char log_path[300];

/* ------------------------------------------------------------------ */
/* Helpers: loop driving, log inspection                               */
/* ------------------------------------------------------------------ */

/* Runs the loop until pred(arg) or 'timeout_ms' passed. */
bool
run_until(pred_fn *pred, void *arg, int timeout_ms)
{
    int64_t deadline = evloop_now(loop) + timeout_ms;
    while (!pred(arg)) {
        if (evloop_now(loop) >= deadline) {
            return false;
        }
        evloop_run_once(loop, 5);
    }
    return true;
}

void
run_for(int ms)
{
    int64_t deadline = evloop_now(loop) + ms;
    while (evloop_now(loop) < deadline) {
        evloop_run_once(loop, 5);
    }
}

bool
log_contains(const char *needle)
{
    FILE *f = fopen(log_path, "r");
    char line[2048];
    bool found = false;
    if (!f) {
        return false;
    }
    while (!found && fgets(line, sizeof line, f)) {
        found = strstr(line, needle) != NULL;
    }
    fclose(f);
    return found;
}

/* ------------------------------------------------------------------ */
/* A fake bridge                                                       */
/* ------------------------------------------------------------------ */

struct fake_switch sw;

static void
sw_features(void *aux, struct of_features_reply *f)
{
    (void) aux;
    f->datapath_id = 0x0000123456789abcull;
    f->n_buffers = 0;
    f->n_tables = 254;
    f->capabilities = 0x4f;
}

static enum of_req_result
sw_flow_mod(void *aux, struct of_req *req, const struct of_msg *msg,
            struct of_err *err)
{
    (void) aux; (void) msg; (void) err;
    sw.n_flow_mod++;
    if (sw.pend_flow_mods) {
        sw.pending[sw.n_pending++] = req;
        return OF_REQ_PENDING;
    }
    return OF_REQ_DONE;
}

static enum of_req_result
sw_packet_out(void *aux, struct of_req *req, const struct of_msg *msg,
              struct of_err *err)
{
    (void) aux; (void) req; (void) msg; (void) err;
    sw.n_packet_out++;
    return OF_REQ_DONE;
}

static enum of_req_result
sw_multipart(void *aux, struct of_req *req, const struct of_msg *msg,
             struct of_err *err)
{
    (void) aux;
    int slot = sw.n_multipart++ % SW_MP_KEEP;
    sw.mp_text_len[slot] = of_msg_format(msg, sw.mp_text[slot],
                                         sizeof sw.mp_text[slot]);
    sw.mp_flags[slot] = msg->multipart.flags;
    struct of_msg reply;
    of_msg_init(&reply, OFPT_MULTIPART_REPLY, 0);
    reply.multipart.type = msg->multipart.type;
    if (msg->multipart.type == OFPMP_DESC) {
        snprintf(reply.multipart.desc.sw_desc,
                 sizeof reply.multipart.desc.sw_desc, "vswitch test");
    } else if (msg->multipart.type != OFPMP_TABLE_FEATURES) {
        err->type = OFPET_BAD_REQUEST;
        err->code = OFPBRC_BAD_MULTIPART;
        return OF_REQ_ERROR;
    }
    of_req_reply(req, &reply);
    return OF_REQ_DONE;
}

static void
sw_role_changed(void *aux, const char *name, enum of_conn_role role)
{
    (void) aux; (void) name; (void) role;
    sw.n_role_changes++;
}

static const struct of_switch_ops sw_ops = {
    .get_features = sw_features,
    .flow_mod = sw_flow_mod,
    .packet_out = sw_packet_out,
    .multipart = sw_multipart,
    .role_changed = sw_role_changed,
};

struct of_connmgr *
mgr_create(int64_t probe_ms, uint32_t max_queue_msgs)
{
    struct of_connmgr_config cfg;
    of_connmgr_config_default(&cfg);
    cfg.probe_interval_ms = probe_ms;
    cfg.backoff_min_ms = 20;
    cfg.backoff_max_ms = 160;
    if (max_queue_msgs) {
        cfg.max_queue_msgs = max_queue_msgs;
    }
    memset(&sw, 0, sizeof sw);
    struct of_connmgr *mgr = of_connmgr_create(loop, &sw_ops, NULL, &cfg);
    assert_non_null(mgr);
    return mgr;
}

uint16_t
mgr_listen(struct of_connmgr *mgr, const char *target)
{
    char err[256] = "";
    int error = of_connmgr_add(mgr, target, err, sizeof err);
    if (error) {
        fail_msg("%s: %s", target, err);
    }
    return of_connmgr_listener_port(mgr, target);
}

/* Status of the first entry of 'kind'. */
bool
mgr_status(struct of_connmgr *mgr, const char *kind,
           struct of_connmgr_status *out)
{
    struct of_connmgr_status st[16];
    size_t n = of_connmgr_get_status(mgr, st, 16);
    for (size_t i = 0; i < n && i < 16; i++) {
        if (!strcmp(st[i].kind, kind)) {
            *out = st[i];
            return true;
        }
    }
    return false;
}

/* ------------------------------------------------------------------ */
/* Controller-side peers on of_conn                                    */
/* ------------------------------------------------------------------ */

static void
peer_established(struct of_conn *conn, void *aux)
{
    (void) conn;
    ((struct peer *) aux)->established = true;
}

static void
peer_received(struct of_conn *conn, const struct of_msg *msg,
              const uint8_t *raw, size_t len, void *aux)
{
    struct peer *p = aux;
    (void) conn; (void) raw; (void) len;
    if (p->n >= (int) (sizeof p->recs / sizeof p->recs[0])) {
        return;
    }
    struct rec *r = &p->recs[p->n++];
    memset(r, 0, sizeof *r);
    r->type = msg->type;
    r->xid = msg->xid;
    switch (msg->type) {
    case OFPT_ERROR:
        r->err_type = msg->error.type;
        r->err_code = msg->error.code;
        break;
    case OFPT_ROLE_REPLY:
        r->role = msg->role.role;
        r->gen = msg->role.generation_id;
        break;
    case OFPT_PACKET_IN:
        r->reason = msg->packet_in.reason;
        break;
    case OFPT_PORT_STATUS:
        r->reason = msg->port_status.reason;
        break;
    case OFPT_FLOW_REMOVED:
        r->reason = msg->flow_removed.reason;
        break;
    case OFPT_FEATURES_REPLY:
        r->dpid = msg->features.datapath_id;
        break;
    case OFPT_GET_ASYNC_REPLY:
        r->pin_mask_slave = msg->async.packet_in_mask[1];
        break;
    case OFPT_MULTIPART_REPLY:
        r->mp_type = msg->multipart.type;
        if (msg->multipart.type == OFPMP_DESC) {
            memcpy(r->text, msg->multipart.desc.sw_desc, sizeof r->text - 1);
        }
        break;
    default:
        break;
    }
}

static void
peer_disconnected(struct of_conn *conn, int error, void *aux)
{
    struct peer *p = aux;
    (void) conn; (void) error;
    p->disconnects++;
    p->established = false;
}

static const struct of_conn_cbs peer_cbs = {
    .established = peer_established,
    .received = peer_received,
    .disconnected = peer_disconnected,
};

static void
peer_cfg(struct of_conn_config *cfg)
{
    of_conn_config_default(cfg);
    cfg->probe_interval_ms = 0;         /* the switch probes, not us */
    cfg->backoff_min_ms = 60000;        /* one attempt per test */
    cfg->backoff_max_ms = 60000;
    cfg->max_queue_msgs = 100000;
    cfg->max_queue_bytes = 64u << 20;
}

void
peer_connect(struct peer *p, const char *name, struct of_ssl_ctx *ssl)
{
    struct of_target target;
    struct of_conn_config cfg;
    char err[128];

    memset(p, 0, sizeof *p);
    assert_int_equal(of_target_parse(name, &target, err, sizeof err), 0);
    peer_cfg(&cfg);
    p->conn = of_conn_create_active(loop, name, &target, ssl, &cfg,
                                    &peer_cbs, p);
    assert_non_null(p->conn);
}

void
peer_close(struct peer *p)
{
    of_conn_destroy(p->conn);
    p->conn = NULL;
}

bool
peer_is_established(void *arg)
{
    return ((struct peer *) arg)->established;
}

struct peer_wait {
    struct peer *p;
    int n;
};

static bool
peer_has_n(void *arg)
{
    struct peer_wait *w = arg;
    return w->p->n >= w->n;
}

/* Waits until 'p' received at least 'n' messages in total. */
bool
peer_wait_n(struct peer *p, int n, int timeout_ms)
{
    struct peer_wait w = { p, n };
    return run_until(peer_has_n, &w, timeout_ms);
}

void
peer_send(struct peer *p, struct of_msg *msg)
{
    assert_int_equal(of_conn_send_msg(p->conn, msg, OF_SEND_REPLY), 0);
}

void
peer_send_simple(struct peer *p, uint8_t type, uint32_t xid)
{
    struct of_msg msg;
    of_msg_init(&msg, type, xid);
    peer_send(p, &msg);
}

void
peer_send_role(struct peer *p, uint32_t role, uint64_t gen, uint32_t xid)
{
    struct of_msg msg;
    of_msg_init(&msg, OFPT_ROLE_REQUEST, xid);
    msg.role.role = role;
    msg.role.generation_id = gen;
    peer_send(p, &msg);
}

void
peer_send_flow_mod(struct peer *p, uint32_t xid)
{
    struct of_msg msg;
    of_msg_init(&msg, OFPT_FLOW_MOD, xid);
    msg.flow_mod.buffer_id = OFP_NO_BUFFER;
    msg.flow_mod.out_port = OFPP_ANY;
    msg.flow_mod.out_group = OFPG_ANY;
    msg.flow_mod.priority = 100;
    peer_send(p, &msg);
}

void
peer_send_raw(struct peer *p, const void *data, size_t len)
{
    assert_int_equal(of_conn_send(p->conn, data, len, OF_SEND_REPLY), 0);
}

/* Sends a request and waits for the next message, returned. */
const struct rec *
peer_roundtrip(struct peer *p, struct of_msg *msg)
{
    int before = p->n;
    peer_send(p, msg);
    if (!peer_wait_n(p, before + 1, 2000)) {
        fail_msg("no answer to %s", of_msg_type_name(msg->type));
    }
    return &p->recs[before];
}

/* Accepts into the next free peer slot, or drops (close_at_once). */
static void
tlistener_cb(int fd, uint32_t events, void *aux)
{
    struct tlistener *l = aux;
    struct of_stream *stream;
    (void) fd; (void) events;

    while (!of_pstream_accept(l->ps, &stream)) {
        if (l->n_accepted < 64) {
            l->accepted_at[l->n_accepted] = evloop_now(loop);
        }
        l->n_accepted++;
        if (l->close_at_once || l->n_peers >= 4 || !l->peers[l->n_peers]) {
            of_stream_close(stream);
            continue;
        }
        struct peer *p = l->peers[l->n_peers++];
        struct of_conn_config cfg;
        memset(p, 0, sizeof *p);
        peer_cfg(&cfg);
        p->conn = of_conn_create_passive(loop, stream, &cfg, &peer_cbs, p);
        assert_non_null(p->conn);
    }
}

uint16_t
tlistener_open(struct tlistener *l, const char *name, struct of_ssl_ctx *ssl)
{
    struct of_target target;
    char err[128];
    assert_int_equal(of_target_parse(name, &target, err, sizeof err), 0);
    assert_int_equal(of_pstream_open(&target, ssl, name, &l->ps), 0);
    assert_int_equal(evloop_fd_add(loop, of_pstream_fd(l->ps), EVLOOP_READ,
                                   tlistener_cb, l), 0);
    return of_pstream_port(l->ps);
}

void
tlistener_close(struct tlistener *l)
{
    if (l->ps) {
        evloop_fd_remove(loop, of_pstream_fd(l->ps));
        of_pstream_close(l->ps);
        l->ps = NULL;
    }
}

/* ------------------------------------------------------------------ */
/* Raw socket peers (for misbehaving on purpose)                       */
/* ------------------------------------------------------------------ */

/* SO_RCVBUF for the next raw_connect() (0: kernel default); it must be
 * set before connecting to shrink the advertised window. */
int raw_rcvbuf;

void
raw_connect(struct raw *r, uint16_t port)
{
    struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
    inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
    r->len = 0;
    r->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    assert_true(r->fd >= 0);
    if (raw_rcvbuf) {
        setsockopt(r->fd, SOL_SOCKET, SO_RCVBUF, &raw_rcvbuf,
                   sizeof raw_rcvbuf);
    }
    int rc = connect(r->fd, (struct sockaddr *) &sin, sizeof sin);
    assert_true(rc == 0 || errno == EINPROGRESS);
}

/* Writes everything, running the loop while the socket is full. */
void
raw_write(struct raw *r, const void *data, size_t len)
{
    const uint8_t *p = data;
    int64_t deadline = evloop_now(loop) + 2000;
    while (len) {
        ssize_t n = send(r->fd, p, len, MSG_NOSIGNAL);
        if (n > 0) {
            p += n;
            len -= (size_t) n;
        } else if (n < 0 && (errno == EAGAIN || errno == ENOTCONN)) {
            assert_true(evloop_now(loop) < deadline);
            evloop_run_once(loop, 5);
        } else {
            fail_msg("raw send: %s", strerror(errno));
        }
    }
}

/* Next message into out[] (up to 'cap'): its length, 0 on EOF, -1 on
 * timeout. */
int
raw_read_msg(struct raw *r, uint8_t *out, size_t cap, int timeout_ms)
{
    int64_t deadline = evloop_now(loop) + timeout_ms;
    for (;;) {
        size_t mlen = of_msg_peek_len(r->buf, r->len);
        if (mlen >= OFP_HEADER_LEN && r->len >= mlen) {
            memcpy(out, r->buf, mlen < cap ? mlen : cap);
            memmove(r->buf, r->buf + mlen, r->len - mlen);
            r->len -= mlen;
            return (int) mlen;
        }
        ssize_t n = recv(r->fd, r->buf + r->len, sizeof r->buf - r->len, 0);
        if (n > 0) {
            r->len += (size_t) n;
            continue;
        }
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != ENOTCONN)) {
            return 0;
        }
        if (evloop_now(loop) >= deadline) {
            return -1;
        }
        evloop_run_once(loop, 5);
    }
}

static void
put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t) (v >> 8);
    p[1] = (uint8_t) v;
}

static void
put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t) (v >> 16));
    put16(p + 2, (uint16_t) v);
}

/* HELLO of 'version', with a bitmap element when 'bitmap' is non-zero. */
size_t
make_hello(uint8_t *buf, uint8_t version, uint32_t bitmap)
{
    size_t len = bitmap ? 16 : 8;
    memset(buf, 0, len);
    buf[0] = version;
    buf[1] = OFPT_HELLO;
    put16(buf + 2, (uint16_t) len);
    put32(buf + 4, 1);
    if (bitmap) {
        put16(buf + 8, OFPHET_VERSIONBITMAP);
        put16(buf + 10, 8);
        put32(buf + 12, bitmap);
    }
    return len;
}

size_t
make_header(uint8_t *buf, uint8_t version, uint8_t type, uint16_t len,
            uint32_t xid)
{
    buf[0] = version;
    buf[1] = type;
    put16(buf + 2, len);
    put32(buf + 4, xid);
    return 8;
}

/* Connects, reads the switch's HELLO, answers with a 1.3 HELLO. */
void
raw_handshake(struct raw *r, uint16_t port)
{
    uint8_t msg[256];
    raw_connect(r, port);
    assert_true(raw_read_msg(r, msg, sizeof msg, 2000) > 0);
    assert_int_equal(msg[1], OFPT_HELLO);
    raw_write(r, msg, make_hello(msg, OFP_VERSION_1_3, 1u << 4));
}

/* ------------------------------------------------------------------ */
/* Split multipart requests                                            */
/* ------------------------------------------------------------------ */

static uint8_t tf_next[256];
static uint32_t tf_oxm[3] = { 0x80000004, 0x80000606, 0x80000a02 };

void
tf_build(struct tf_req *r, uint32_t xid, uint32_t n, uint32_t n_next)
{
    for (int i = 0; i < 256; i++) {
        tf_next[i] = (uint8_t) i;
    }
    assert_true(n_next + 6 <= sizeof tf_next);
    of_msg_init(&r->msg, OFPT_MULTIPART_REQUEST, xid);
    r->msg.multipart.type = OFPMP_TABLE_FEATURES;
    r->tables = calloc(n, sizeof *r->tables);
    r->props = calloc(2 * (size_t) n, sizeof *r->props);
    assert_true(r->tables && r->props);
    for (uint32_t i = 0; i < n; i++) {
        struct of_table_features *t = &r->tables[i];
        struct of_table_feature_prop *pp = &r->props[2 * i];
        t->table_id = (uint8_t) i;
        snprintf(t->name, sizeof t->name, "table-%03u", i % 1000);
        t->metadata_match = ~0ull;
        t->max_entries = 1000 + i;
        pp[0].type = OFPTFPT_NEXT_TABLES;
        pp[0].tables.items = tf_next + i % 7;
        pp[0].tables.n = n_next;
        pp[1].type = OFPTFPT_MATCH;
        pp[1].oxm_ids.items = tf_oxm;
        pp[1].oxm_ids.n = 3;
        t->properties.items = pp;
        t->properties.n = 2;
    }
    r->msg.multipart.table_features.items = r->tables;
    r->msg.multipart.table_features.n = n;
}

void
tf_free(struct tf_req *r)
{
    free(r->tables);
    free(r->props);
}

/* Encodes 'r' in parts of 'per_part' tables each; part i is
 * buf->data[off[i]..off[i + 1]). Returns the number of parts. */
int
tf_split(const struct tf_req *r, uint32_t per_part, struct of_buf *buf,
         size_t off[], int max)
{
    of_buf_init(buf);
    assert_int_equal(of_msg_encode(&r->msg, buf), 0);
    uint32_t n = r->msg.multipart.table_features.n;
    assert_int_equal((buf->len - 16) % n, 0);
    size_t entry = (buf->len - 16) / n;
    of_buf_clear(buf);
    int parts = of_multipart_encode_split(&r->msg, 16 + per_part * entry, buf);
    assert_true(parts > 0 && parts < max);
    off[0] = 0;
    for (int i = 0; i < parts; i++) {
        off[i + 1] = off[i] + of_msg_peek_len(buf->data + off[i],
                                              buf->len - off[i]);
    }
    assert_int_equal(off[parts], buf->len);
    return parts;
}

void
send_part(struct peer *p, const struct of_buf *buf, const size_t off[], int i)
{
    peer_send_raw(p, buf->data + off[i], off[i + 1] - off[i]);
}

/* Sends a one-part multipart request of 'type' with 'flags' (an empty
 * body: DESC; a FLOW request otherwise). */
void
send_mp_simple(struct peer *p, uint16_t type, uint16_t flags, uint32_t xid)
{
    struct of_msg msg;
    of_msg_init(&msg, OFPT_MULTIPART_REQUEST, xid);
    msg.multipart.type = type;
    msg.multipart.flags = flags;
    if (type == OFPMP_FLOW) {
        msg.multipart.flow_request.table_id = 0xff;
        msg.multipart.flow_request.out_port = OFPP_ANY;
        msg.multipart.flow_request.out_group = OFPG_ANY;
    }
    peer_send(p, &msg);
}

/* Index of the first message of 'type' with 'xid' at or after 'from',
 * waiting up to 2 s for it. */
int
wait_rec(struct peer *p, uint8_t type, uint32_t xid, int from)
{
    for (int64_t deadline = evloop_now(loop) + 2000;;) {
        for (int i = from; i < p->n; i++) {
            if (p->recs[i].type == type && p->recs[i].xid == xid) {
                return i;
            }
        }
        if (evloop_now(loop) >= deadline) {
            fail_msg("no %s with xid %u", of_msg_type_name(type), xid);
        }
        evloop_run_once(loop, 5);
    }
}
