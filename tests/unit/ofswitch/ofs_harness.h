/*
 * ofs_harness.h — the switch-front tests' world: a real ft_pipeline behind
 * an ofswitch, an of_connmgr listening on loopback, a fake datapath
 * (struct fake_dp: ports, stats, PORT_MOD, packet-out recording, a
 * generation sync the test controls) and a controller-side client on a
 * plain socket that sends codec-built messages and decodes what comes
 * back.
 *
 * Everything runs in the test's thread: waiting for a message runs the
 * event loop. The switch's clock is virtual (env.now_ms), so durations and
 * timeouts are exact.
 */
#ifndef VSWITCH_TESTS_OFS_HARNESS_H
#define VSWITCH_TESTS_OFS_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctl/ofswitch.h"
#include "flowtable/ft_pipeline.h"
#include "lib/evloop.h"
#include "openflow/of_connmgr.h"
#include "openflow/openflow.h"

#define FAKE_MAX_PORTS 8
#define FAKE_DP_PORT_BASE 100       /* dp_port = ofp_port + this */

struct fake_dp {
    struct of_port ports[FAKE_MAX_PORTS];
    struct of_port_stats stats[FAKE_MAX_PORTS];
    size_t n_ports;
    bool no_port_stats;             /* get_port_stats op left NULL */

    int n_port_mods;
    uint32_t mod_port, mod_config, mod_mask;

    int n_packet_outs;
    uint32_t po_in_port;
    size_t po_len;
    uint8_t po_data[2048];
    unsigned int po_n_acts;
    struct ft_dpact po_acts[64];

    bool lazy_sync;                 /* sync_generation answers false */
    int n_syncs;
    uint64_t sync_asked;            /* highest generation asked for */
};

struct ofs_env {
    struct evloop *loop;
    struct ft_pipeline *pl;
    struct ofswitch *sw;
    struct of_connmgr *mgr;
    uint16_t port;                  /* the listener's TCP port */
    int64_t now_ms;                 /* the switch's virtual clock */
    struct fake_dp dp;
};
extern struct ofs_env env;

/* Builds the world with 'n_tables' tables and three ports (1, 2, 3; port 3
 * administratively down) and no client. 'lazy_sync': the fake datapath
 * does not apply generations until the test says so. */
void env_setup(uint8_t n_tables, bool lazy_sync);
void env_teardown(void);
/* Pushes the fake's ports into the pipeline's port map. */
void fake_dp_publish_ports(void);

/* ---- the controller-side client ---- */

struct client {
    int fd;
    size_t len;
    uint8_t buf[1 << 18];
};

/* Connects, exchanges HELLO and enables every asynchronous message. */
void client_connect(struct client *c);
void client_close(struct client *c);
/* Encodes and sends 'msg' as is (xid included). */
void client_send(struct client *c, const struct of_msg *msg);
/* The next message, decoded; NULL after 'timeout_ms' without one. The
 * message owns its wire bytes: release it with rx_free(). */
struct of_msg *client_recv_timeout(struct client *c, int timeout_ms);
/* The same, failing the test after 2 s. */
struct of_msg *client_recv(struct client *c);
void rx_free(struct of_msg *msg);

/* Expects the next message to be an ERROR with 'xid', 'type', 'code'. */
void client_expect_error(struct client *c, uint32_t xid, uint16_t type,
                         uint16_t code);
/* Sends a BARRIER_REQUEST and expects its reply as the next message: every
 * earlier request succeeded silently. */
void client_barrier(struct client *c);
/* Sends 'req' and expects the next message to be an ERROR of 'type' and
 * 'code' with req's xid. */
void client_req_error(struct client *c, const struct of_msg *req,
                      uint16_t type, uint16_t code);

/* A multipart request's whole answer: the parts as received and their
 * lists appended into 'msg' (MORE clear). 'n_parts' counts the replies. */
struct mp_reply {
    struct of_msg msg;
    struct of_msg *parts[512];
    int n_parts;
};
/* Sends a multipart request and gathers the reply parts (fails the test
 * on an ERROR). */
void client_multipart(struct client *c, const struct of_msg *req,
                      struct mp_reply *out);
void mp_reply_free(struct mp_reply *r);

/* ---- builders ---- */

/* A FLOW_MOD with no buffer, OFPP_ANY / OFPG_ANY filters. */
void build_flow_mod(struct of_msg *m, uint32_t xid, uint8_t command,
                    uint8_t table_id, uint16_t priority);
/* An OFPMP request of 'type' with an empty or catch-all body. */
void build_mp_request(struct of_msg *m, uint32_t xid, uint16_t type);

#endif
