/*
 * ofconn_testd.c — a tiny OpenFlow 1.3 "switch" for interoperability tests:
 * an of_connmgr on an evloop with a trivial bridge. It answers FEATURES,
 * DESC and PORT_DESC, accepts FLOW_MOD (completed asynchronously one loop
 * turn later, like a datapath would, so BARRIER waits for it) and
 * PACKET_OUT, and sends a PACKET_IN every --packet-in-ms. Events and the
 * final connection status are printed to stdout, one line each, flushed.
 *
 *   ofconn_testd [--controller TARGET]... [--listen TARGET]...
 *                [--ssl-ca F --ssl-cert F --ssl-key F] [--probe MS]
 *                [--packet-in-ms MS] [--dpid N]
 *
 * Prints "listening TARGET PORT" for each listener, runs until SIGTERM or
 * SIGINT. Single-threaded (main thread only).
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/evloop.h"
#include "openflow/of_connmgr.h"

#define MAX_TARGETS 8

static volatile sig_atomic_t stop_requested;
static uint64_t dpid = 0x00000000000000aaull;
static struct evloop *loop;
static struct of_connmgr *mgr;

/* FLOW_MODs waiting for their (simulated) datapath confirmation. */
static struct of_req *pending[256];
static size_t n_pending;
static struct evloop_timer complete_timer;

static void
on_signal(int sig)
{
    (void) sig;
    stop_requested = 1;
}

static void
event(const char *fmt, const char *arg)
{
    printf(fmt, arg);
    putchar('\n');
    fflush(stdout);
}

static void
get_features(void *aux, struct of_features_reply *f)
{
    (void) aux;
    f->datapath_id = dpid;
    f->n_buffers = 0;
    f->n_tables = 254;
    f->capabilities = 0x0f;     /* FLOW, TABLE, PORT, GROUP stats */
}

static void
complete_pending(void *aux)
{
    (void) aux;
    for (size_t i = 0; i < n_pending; i++) {
        of_req_complete(pending[i], NULL);
    }
    n_pending = 0;
}

static enum of_req_result
flow_mod(void *aux, struct of_req *req, const struct of_msg *msg,
         struct of_err *err)
{
    (void) aux; (void) msg;
    event("flow_mod", "");
    if (n_pending == sizeof pending / sizeof pending[0]) {
        err->type = OFPET_FLOW_MOD_FAILED;
        err->code = 1;          /* TABLE_FULL */
        return OF_REQ_ERROR;
    }
    pending[n_pending++] = req;
    evloop_timer_start(loop, &complete_timer, 0, 0, complete_pending, NULL);
    return OF_REQ_PENDING;
}

static enum of_req_result
packet_out(void *aux, struct of_req *req, const struct of_msg *msg,
           struct of_err *err)
{
    (void) aux; (void) req; (void) msg; (void) err;
    event("packet_out", "");
    return OF_REQ_DONE;
}

static enum of_req_result
multipart(void *aux, struct of_req *req, const struct of_msg *msg,
          struct of_err *err)
{
    (void) aux;
    struct of_msg reply;
    of_msg_init(&reply, OFPT_MULTIPART_REPLY, 0);
    reply.multipart.type = msg->multipart.type;
    event("multipart %s", of_multipart_type_name(msg->multipart.type));
    switch (msg->multipart.type) {
    case OFPMP_DESC:
        snprintf(reply.multipart.desc.mfr_desc,
                 sizeof reply.multipart.desc.mfr_desc, "vswitch");
        snprintf(reply.multipart.desc.sw_desc,
                 sizeof reply.multipart.desc.sw_desc, "ofconn_testd");
        break;
    case OFPMP_PORT_DESC: {
        static struct of_port port = {
            .port_no = 1, .hw_addr = { 0x02, 0, 0, 0, 0, 1 }, .name = "p1",
            .curr_speed = 10000000, .max_speed = 10000000,
        };
        reply.multipart.ports.items = &port;
        reply.multipart.ports.n = 1;
        break;
    }
    default:
        err->type = OFPET_BAD_REQUEST;
        err->code = OFPBRC_BAD_MULTIPART;
        return OF_REQ_ERROR;
    }
    of_req_reply(req, &reply);
    return OF_REQ_DONE;
}

static void
role_changed(void *aux, const char *name, enum of_conn_role role)
{
    (void) aux;
    char line[256];
    snprintf(line, sizeof line, "%s %s", name, of_role_name(role));
    event("role %s", line);
}

static const struct of_switch_ops ops = {
    .get_features = get_features,
    .flow_mod = flow_mod,
    .packet_out = packet_out,
    .multipart = multipart,
    .role_changed = role_changed,
};

static void
send_packet_in(void *aux)
{
    (void) aux;
    static const uint8_t frame[60] = {
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 2, 0x08, 0x06,
    };
    struct of_packet_in pin = {
        .buffer_id = OFP_NO_BUFFER, .total_len = sizeof frame,
        .reason = 0 /* NO_MATCH */, .data = { frame, sizeof frame },
    };
    static const uint8_t in_port[4] = { 0, 0, 0, 1 };   /* wire order */
    of_match_add(&pin.match, OFPXMT_OFB_IN_PORT, in_port, NULL, NULL);
    of_connmgr_send_packet_in(mgr, &pin);
}

static void
check_stop(void *aux)
{
    (void) aux;
    if (stop_requested) {
        evloop_stop(loop);
    }
}

static void
usage(void)
{
    fprintf(stderr, "usage: ofconn_testd [--controller T]... [--listen T]... "
            "[--ssl-ca F --ssl-cert F --ssl-key F] [--probe MS] "
            "[--packet-in-ms MS] [--dpid N]\n");
    exit(2);
}

int
main(int argc, char *argv[])
{
    const char *targets[MAX_TARGETS];
    size_t n_targets = 0;
    const char *ca = NULL, *cert = NULL, *key = NULL;
    struct of_connmgr_config cfg;
    long packet_in_ms = 0;

    of_connmgr_config_default(&cfg);
    for (int i = 1; i < argc; i++) {
        const char *opt = argv[i];
        if (i + 1 >= argc) {
            usage();
        }
        const char *val = argv[++i];
        if ((!strcmp(opt, "--controller") || !strcmp(opt, "--listen"))
            && n_targets < MAX_TARGETS) {
            targets[n_targets++] = val;
        } else if (!strcmp(opt, "--ssl-ca")) {
            ca = val;
        } else if (!strcmp(opt, "--ssl-cert")) {
            cert = val;
        } else if (!strcmp(opt, "--ssl-key")) {
            key = val;
        } else if (!strcmp(opt, "--probe")) {
            cfg.probe_interval_ms = strtol(val, NULL, 10);
        } else if (!strcmp(opt, "--packet-in-ms")) {
            packet_in_ms = strtol(val, NULL, 10);
        } else if (!strcmp(opt, "--dpid")) {
            dpid = strtoull(val, NULL, 0);
        } else {
            usage();
        }
    }

    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    signal(SIGPIPE, SIG_IGN);
    loop = evloop_create();
    mgr = of_connmgr_create(loop, &ops, NULL, &cfg);
    if (!loop || !mgr) {
        return 1;
    }
    if (ca || cert || key) {
        int error = of_connmgr_set_ssl(mgr, ca, cert, key);
        if (error) {
            fprintf(stderr, "TLS setup failed: %s\n", strerror(-error));
            return 1;
        }
    }
    for (size_t i = 0; i < n_targets; i++) {
        char err[256];
        if (of_connmgr_add(mgr, targets[i], err, sizeof err)) {
            fprintf(stderr, "%s\n", err);
            return 1;
        }
        uint16_t port = of_connmgr_listener_port(mgr, targets[i]);
        if (port) {
            printf("listening %s %u\n", targets[i], port);
            fflush(stdout);
        }
    }

    struct evloop_timer stop_timer, pin_timer;
    evloop_timer_init(&stop_timer);
    evloop_timer_init(&pin_timer);
    evloop_timer_init(&complete_timer);
    /* Signals only set a flag; poll it often enough to exit promptly. */
    evloop_timer_start(loop, &stop_timer, 50, 50, check_stop, NULL);
    if (packet_in_ms > 0) {
        evloop_timer_start(loop, &pin_timer, packet_in_ms, packet_in_ms,
                           send_packet_in, NULL);
    }
    evloop_run(loop);

    struct of_connmgr_status st[16];
    size_t n = of_connmgr_get_status(mgr, st, 16);
    for (size_t i = 0; i < n && i < 16; i++) {
        char line[512];
        of_connmgr_status_format(&st[i], line, sizeof line);
        printf("status %s\n", line);
    }
    fflush(stdout);
    complete_pending(NULL);
    evloop_timer_stop(loop, &stop_timer);
    evloop_timer_stop(loop, &pin_timer);
    evloop_timer_stop(loop, &complete_timer);
    of_connmgr_destroy(mgr);
    evloop_destroy(loop);
    return 0;
}
