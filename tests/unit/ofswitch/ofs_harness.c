/*
 * ofs_harness.c — the switch-front tests' world (see ofs_harness.h): a
 * pipeline, an ofswitch, a connection manager on loopback, a fake datapath
 * and a plain-socket controller client. Single-threaded.
 */
#include "ofs_harness.h"

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

#include "lib/timeval.h"

struct ofs_env env;

/* ---- fake datapath -------------------------------------------------------- */

static struct of_port *
fake_find(uint32_t port_no, size_t *idx)
{
    for (size_t i = 0; i < env.dp.n_ports; i++) {
        if (env.dp.ports[i].port_no == port_no) {
            if (idx) {
                *idx = i;
            }
            return &env.dp.ports[i];
        }
    }
    return NULL;
}

static size_t
fake_get_ports(void *aux, struct of_port *ports, size_t max)
{
    (void) aux;
    for (size_t i = 0; i < env.dp.n_ports && i < max; i++) {
        ports[i] = env.dp.ports[i];
    }
    return env.dp.n_ports;
}

static int
fake_port_stats(void *aux, uint32_t port_no, struct of_port_stats *stats)
{
    size_t i;
    (void) aux;
    if (!fake_find(port_no, &i)) {
        return -ENOENT;
    }
    *stats = env.dp.stats[i];
    return 0;
}

void
fake_dp_publish_ports(void)
{
    struct ft_port ports[FAKE_MAX_PORTS];
    for (size_t i = 0; i < env.dp.n_ports; i++) {
        const struct of_port *p = &env.dp.ports[i];
        ports[i] = (struct ft_port) {
            .ofp_port = p->port_no,
            .dp_port = p->port_no + FAKE_DP_PORT_BASE,
            .config = p->config,
            .live = !(p->config & FT_OFPPC_PORT_DOWN) && !(p->state & 1),
        };
    }
    assert_int_equal(ft_pipeline_set_ports(env.pl, ports,
                                           (unsigned int) env.dp.n_ports), 0);
}

static int
fake_port_mod(void *aux, uint32_t port_no, uint32_t config, uint32_t mask)
{
    (void) aux;
    struct of_port *p = fake_find(port_no, NULL);
    if (!p) {
        return -ENOENT;
    }
    env.dp.n_port_mods++;
    env.dp.mod_port = port_no;
    env.dp.mod_config = config;
    env.dp.mod_mask = mask;
    p->config = (p->config & ~mask) | (config & mask);
    fake_dp_publish_ports();
    return 0;
}

static int
fake_packet_out(void *aux, const void *packet, size_t len, uint32_t in_port,
                const struct ft_dpact *acts, unsigned int n_acts)
{
    (void) aux;
    assert_true(len <= sizeof env.dp.po_data);
    assert_true(n_acts <= 64);
    env.dp.n_packet_outs++;
    env.dp.po_in_port = in_port;
    env.dp.po_len = len;
    memcpy(env.dp.po_data, packet, len);
    env.dp.po_n_acts = n_acts;
    memcpy(env.dp.po_acts, acts, n_acts * sizeof *acts);
    return 0;
}

static bool
fake_sync(void *aux, uint64_t generation)
{
    (void) aux;
    env.dp.n_syncs++;
    if (generation > env.dp.sync_asked) {
        env.dp.sync_asked = generation;
    }
    return !env.dp.lazy_sync;
}

static int64_t
virtual_clock(void *aux)
{
    (void) aux;
    return env.now_ms;
}

static void
add_port(uint32_t no, const char *name, uint32_t config, uint32_t state)
{
    struct of_port *p = &env.dp.ports[env.dp.n_ports];
    struct of_port_stats *s = &env.dp.stats[env.dp.n_ports];
    env.dp.n_ports++;
    memset(p, 0, sizeof *p);
    p->port_no = no;
    uint8_t mac[6] = { 0x02, 0, 0, 0, 0, (uint8_t) no };
    memcpy(p->hw_addr, mac, 6);
    snprintf(p->name, sizeof p->name, "%s", name);
    p->config = config;
    p->state = state;
    p->curr = 0x840;                /* 10GB_FD | FIBER */
    p->advertised = p->supported = 0x840;
    p->curr_speed = p->max_speed = 10000000;
    memset(s, 0, sizeof *s);
    s->port_no = no;
    s->rx_packets = 1000 + no;
    s->tx_packets = 2000 + no;
    s->rx_bytes = 3000 + no;
    s->tx_bytes = 4000 + no;
    s->rx_crc_err = UINT64_MAX;     /* unavailable */
    s->duration_sec = 7;
}

void
env_setup(uint8_t n_tables, bool lazy_sync)
{
    static const struct ofswitch_dp_ops ops = {
        .get_ports = fake_get_ports,
        .get_port_stats = fake_port_stats,
        .port_mod = fake_port_mod,
        .packet_out = fake_packet_out,
        .sync_generation = fake_sync,
    };
    static const struct ofswitch_dp_ops ops_no_stats = {
        .get_ports = fake_get_ports,
        .port_mod = fake_port_mod,
        .packet_out = fake_packet_out,
        .sync_generation = fake_sync,
    };
    bool no_stats = env.dp.no_port_stats;

    memset(&env, 0, sizeof env);
    env.dp.no_port_stats = no_stats;
    env.dp.lazy_sync = lazy_sync;
    env.now_ms = 1000000;
    env.loop = evloop_create();
    assert_non_null(env.loop);
    struct ft_pipeline_config cfg = { .n_tables = n_tables };
    env.pl = ft_pipeline_create(&cfg);
    assert_non_null(env.pl);
    add_port(1, "p1", 0, 4);                        /* LIVE */
    add_port(2, "p2", 0, 4);
    add_port(3, "p3", FT_OFPPC_PORT_DOWN, 1);       /* LINK_DOWN */
    fake_dp_publish_ports();

    env.sw = ofswitch_create(env.pl, no_stats ? &ops_no_stats : &ops, NULL,
                             0x0000aabbccddeeffull);
    assert_non_null(env.sw);
    ofswitch_set_clock(env.sw, virtual_clock, NULL);

    struct of_connmgr_config mcfg;
    of_connmgr_config_default(&mcfg);
    mcfg.probe_interval_ms = 0;
    mcfg.max_queue_msgs = 100000;
    mcfg.max_queue_bytes = 256u << 20;
    env.mgr = of_connmgr_create(env.loop, ofswitch_ops(), env.sw, &mcfg);
    assert_non_null(env.mgr);
    ofswitch_set_connmgr(env.sw, env.mgr);
    char err[256] = "";
    assert_int_equal(of_connmgr_add(env.mgr, "ptcp:0:127.0.0.1", err,
                                    sizeof err), 0);
    env.port = of_connmgr_listener_port(env.mgr, "ptcp:0:127.0.0.1");
    assert_true(env.port != 0);
}

void
env_teardown(void)
{
    of_connmgr_destroy(env.mgr);
    ofswitch_destroy(env.sw);
    ft_pipeline_destroy(env.pl);
    evloop_destroy(env.loop);
    memset(&env, 0, sizeof env);
}

/* ---- client ----------------------------------------------------------------- */

struct rxmsg {
    struct of_msg msg;              /* first: rx_free() casts back */
    size_t len;
    uint8_t raw[];
};

void
client_send(struct client *c, const struct of_msg *msg)
{
    struct of_buf buf;
    of_buf_init(&buf);
    assert_int_equal(of_msg_encode(msg, &buf), 0);
    const uint8_t *p = buf.data;
    size_t len = buf.len;
    int64_t deadline = time_msec() + 2000;
    while (len) {
        ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);
        if (n > 0) {
            p += n;
            len -= (size_t) n;
        } else if (n < 0 && (errno == EAGAIN || errno == ENOTCONN)) {
            assert_true(time_msec() < deadline);
            evloop_run_once(env.loop, 2);
        } else {
            fail_msg("send: %s", strerror(errno));
        }
    }
    of_buf_uninit(&buf);
}

struct of_msg *
client_recv_timeout(struct client *c, int timeout_ms)
{
    int64_t deadline = time_msec() + timeout_ms;
    for (;;) {
        size_t mlen = of_msg_peek_len(c->buf, c->len);
        if (mlen >= OFP_HEADER_LEN && c->len >= mlen) {
            struct rxmsg *rx = malloc(sizeof *rx + mlen);
            assert_non_null(rx);
            rx->len = mlen;
            memcpy(rx->raw, c->buf, mlen);
            memmove(c->buf, c->buf + mlen, c->len - mlen);
            c->len -= mlen;
            struct of_err err;
            int error = of_msg_decode(rx->raw, mlen, &rx->msg, &err);
            if (error) {
                fail_msg("undecodable message from the switch: %s/%s",
                         of_error_type_name(err.type),
                         of_error_code_name(err.type, err.code));
            }
            return &rx->msg;
        }
        ssize_t n = recv(c->fd, c->buf + c->len, sizeof c->buf - c->len, 0);
        if (n > 0) {
            c->len += (size_t) n;
            continue;
        }
        if (n == 0 || (errno != EAGAIN && errno != ENOTCONN)) {
            fail_msg("switch closed the connection");
        }
        if (time_msec() >= deadline) {
            return NULL;
        }
        evloop_run_once(env.loop, 2);
    }
}

struct of_msg *
client_recv(struct client *c)
{
    struct of_msg *m = client_recv_timeout(c, 2000);
    if (!m) {
        fail_msg("no message from the switch within 2 s");
    }
    return m;
}

void
rx_free(struct of_msg *msg)
{
    if (msg) {
        of_msg_uninit(msg);
        free((struct rxmsg *) (void *) msg);
    }
}

void
client_connect(struct client *c)
{
    struct sockaddr_in sin = { .sin_family = AF_INET,
                               .sin_port = htons(env.port) };
    inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
    c->len = 0;
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    assert_true(c->fd >= 0);
    int rc = connect(c->fd, (struct sockaddr *) &sin, sizeof sin);
    assert_true(rc == 0 || errno == EINPROGRESS);

    struct of_msg *hello = client_recv(c);
    assert_int_equal(hello->type, OFPT_HELLO);
    rx_free(hello);
    struct of_msg m;
    of_msg_init(&m, OFPT_HELLO, 1);
    client_send(c, &m);

    /* A service connection gets no async messages until it asks. */
    of_msg_init(&m, OFPT_SET_ASYNC, 2);
    for (int i = 0; i < 2; i++) {
        m.async.packet_in_mask[i] = 0x7;
        m.async.port_status_mask[i] = 0x7;
        m.async.flow_removed_mask[i] = 0xf;
    }
    client_send(c, &m);
    client_barrier(c);
}

void
client_close(struct client *c)
{
    close(c->fd);
    c->fd = -1;
    /* Let the manager notice (its session ends). */
    for (int i = 0; i < 20; i++) {
        evloop_run_once(env.loop, 2);
    }
}

void
client_expect_error(struct client *c, uint32_t xid, uint16_t type,
                    uint16_t code)
{
    struct of_msg *m = client_recv(c);
    if (m->type != OFPT_ERROR) {
        fail_msg("expected ERROR %s/%s for xid %u, got %s xid %u",
                 of_error_type_name(type), of_error_code_name(type, code),
                 xid, of_msg_type_name(m->type), m->xid);
    }
    if (m->xid != xid || m->error.type != type || m->error.code != code) {
        fail_msg("expected ERROR %s/%s (%u/%u) xid %u, got %s/%s (%u/%u) "
                 "xid %u", of_error_type_name(type),
                 of_error_code_name(type, code), type, code, xid,
                 of_error_type_name(m->error.type),
                 of_error_code_name(m->error.type, m->error.code),
                 m->error.type, m->error.code, m->xid);
    }
    rx_free(m);
}

void
client_barrier(struct client *c)
{
    static uint32_t xid = 0x7b000000;
    struct of_msg m;
    of_msg_init(&m, OFPT_BARRIER_REQUEST, ++xid);
    client_send(c, &m);
    struct of_msg *r = client_recv(c);
    if (r->type != OFPT_BARRIER_REPLY) {
        char text[512];
        of_msg_format(r, text, sizeof text);
        fail_msg("expected BARRIER_REPLY, got %s", text);
    }
    assert_int_equal(r->xid, xid);
    rx_free(r);
}

void
client_req_error(struct client *c, const struct of_msg *req, uint16_t type,
                 uint16_t code)
{
    client_send(c, req);
    client_expect_error(c, req->xid, type, code);
}

void
client_multipart(struct client *c, const struct of_msg *req,
                 struct mp_reply *out)
{
    memset(out, 0, sizeof *out);
    client_send(c, req);
    for (;;) {
        struct of_msg *m = client_recv(c);
        if (m->type == OFPT_ERROR) {
            fail_msg("%s request xid %u failed: %s/%s",
                     of_multipart_type_name(req->multipart.type), req->xid,
                     of_error_type_name(m->error.type),
                     of_error_code_name(m->error.type, m->error.code));
        }
        assert_int_equal(m->type, OFPT_MULTIPART_REPLY);
        assert_int_equal(m->xid, req->xid);
        assert_int_equal(m->multipart.type, req->multipart.type);
        assert_true(out->n_parts < (int) (sizeof out->parts
                                          / sizeof out->parts[0]));
        out->parts[out->n_parts++] = m;
        if (out->n_parts == 1) {
            out->msg = *m;
            out->msg.arena.head = NULL;     /* the part keeps its arena */
        } else {
            assert_int_equal(of_multipart_append(&out->msg, m), 0);
        }
        if (!(m->multipart.flags & OFPMPF_REPLY_MORE)) {
            break;
        }
    }
}

void
mp_reply_free(struct mp_reply *r)
{
    of_msg_uninit(&r->msg);
    for (int i = 0; i < r->n_parts; i++) {
        rx_free(r->parts[i]);
    }
    r->n_parts = 0;
}

/* ---- builders ---------------------------------------------------------------- */

void
build_flow_mod(struct of_msg *m, uint32_t xid, uint8_t command,
               uint8_t table_id, uint16_t priority)
{
    of_msg_init(m, OFPT_FLOW_MOD, xid);
    m->flow_mod.command = command;
    m->flow_mod.table_id = table_id;
    m->flow_mod.priority = priority;
    m->flow_mod.buffer_id = OFP_NO_BUFFER;
    m->flow_mod.out_port = OFPP_ANY;
    m->flow_mod.out_group = OFPG_ANY;
}

void
build_mp_request(struct of_msg *m, uint32_t xid, uint16_t type)
{
    of_msg_init(m, OFPT_MULTIPART_REQUEST, xid);
    m->multipart.type = type;
    switch (type) {
    case OFPMP_FLOW:
    case OFPMP_AGGREGATE:
        m->multipart.flow_request.table_id = OFPTT_ALL;
        m->multipart.flow_request.out_port = OFPP_ANY;
        m->multipart.flow_request.out_group = OFPG_ANY;
        break;
    case OFPMP_PORT_STATS:
        m->multipart.port_queue.port_no = OFPP_ANY;
        break;
    case OFPMP_QUEUE:
        m->multipart.port_queue.port_no = OFPP_ANY;
        m->multipart.port_queue.queue_id = 0xffffffffu;
        break;
    case OFPMP_GROUP:
        m->multipart.id_request.id = OFPG_ALL;
        break;
    case OFPMP_METER:
    case OFPMP_METER_CONFIG:
        m->multipart.id_request.id = 0xffffffffu;
        break;
    default:
        break;
    }
}
