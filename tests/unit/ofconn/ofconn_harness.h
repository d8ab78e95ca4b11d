/*
 * ofconn_harness.h — helpers shared by the OpenFlow connection tests.
 *
 * Everything runs on one evloop ('loop') in one thread: the switch side
 * (an of_connmgr over a fake bridge 'sw') and the controller side (peers
 * built on of_conn, or raw sockets that misbehave on purpose). Waiting
 * helpers drive the loop until a condition holds or a timeout passes.
 * Only loopback addresses and unix sockets under 'tmpdir' are used.
 */
#ifndef VSWITCH_TESTS_OFCONN_HARNESS_H
#define VSWITCH_TESTS_OFCONN_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/evloop.h"
#include "openflow/of_conn.h"
#include "openflow/of_connmgr.h"
#include "openflow/of_stream.h"
#include "openflow/openflow.h"

extern struct evloop *loop;
extern char tmpdir[256];        /* per-run temp dir (sockets, certs, log) */
extern char log_path[300];      /* where vlog lines also go */

/* ---- loop driving and logs ---- */

typedef bool pred_fn(void *arg);
/* Runs the loop until pred(arg) or 'timeout_ms' passed; pred's result. */
bool run_until(pred_fn *pred, void *arg, int timeout_ms);
void run_for(int ms);
/* True if a log line so far contains 'needle'. */
bool log_contains(const char *needle);

/* ---- the fake bridge ---- */

/* flow_mod (optionally left PENDING), packet_out, multipart DESC and
 * TABLE_FEATURES (answered with an empty TABLE_FEATURES reply), role
 * changes; no other handler, so other requests get BAD_REQUEST. */
#define SW_MP_KEEP 4
struct fake_switch {
    int n_flow_mod, n_packet_out, n_multipart, n_role_changes;
    bool pend_flow_mods;            /* flow_mod returns PENDING */
    struct of_req *pending[64];
    int n_pending;
    /* The last SW_MP_KEEP multipart requests as handed up: of_msg_format
     * text (request i at mp_text[i % SW_MP_KEEP]) and flags. */
    char mp_text[SW_MP_KEEP][16384];
    int mp_text_len[SW_MP_KEEP];    /* untruncated length */
    uint16_t mp_flags[SW_MP_KEEP];
};
extern struct fake_switch sw;

/* A manager over 'sw' (reset) with backoff 20 -> 160 ms, the given probe
 * interval (0: none) and queue bound (0: default). */
struct of_connmgr *mgr_create(int64_t probe_ms, uint32_t max_queue_msgs);
/* Adds a listener target; returns its TCP port (0 for punix). */
uint16_t mgr_listen(struct of_connmgr *mgr, const char *target);
/* Status of the first entry of 'kind' ("controller", "service"...). */
bool mgr_status(struct of_connmgr *mgr, const char *kind,
                struct of_connmgr_status *out);

/* ---- controller-side peers on of_conn ---- */

/* What a peer received, one summary per message. */
struct rec {
    uint8_t type;
    uint32_t xid;
    uint16_t err_type, err_code;
    uint32_t role;
    uint64_t gen;
    uint8_t reason;
    uint64_t dpid;
    uint32_t pin_mask_slave;
    uint16_t mp_type;               /* MULTIPART_REPLY */
    char text[64];
};

struct peer {
    struct of_conn *conn;
    bool established;
    int disconnects;
    int n;
    struct rec recs[512];
};

/* Connects 'p' to 'name' (no probe, no reconnect within a test). */
void peer_connect(struct peer *p, const char *name, struct of_ssl_ctx *ssl);
void peer_close(struct peer *p);
bool peer_is_established(void *peer);
/* Waits until 'p' received at least 'n' messages in total. */
bool peer_wait_n(struct peer *p, int n, int timeout_ms);
void peer_send(struct peer *p, struct of_msg *msg);
void peer_send_simple(struct peer *p, uint8_t type, uint32_t xid);
void peer_send_role(struct peer *p, uint32_t role, uint64_t gen,
                    uint32_t xid);
void peer_send_flow_mod(struct peer *p, uint32_t xid);
/* Queues wire bytes as they are (e.g. one part of a split request). */
void peer_send_raw(struct peer *p, const void *data, size_t len);
/* Sends 'msg' and returns the next message received (fails the test if
 * nothing comes within 2 s). */
const struct rec *peer_roundtrip(struct peer *p, struct of_msg *msg);

/* A test-side listener the manager's controller targets connect to;
 * accepted connections become peers[0], peers[1]... (when non-NULL). */
struct tlistener {
    struct of_pstream *ps;
    struct peer *peers[4];
    int n_peers;
    int n_accepted;
    bool close_at_once;             /* accept and drop (a dead controller) */
    int64_t accepted_at[64];
};
uint16_t tlistener_open(struct tlistener *l, const char *name,
                        struct of_ssl_ctx *ssl);
void tlistener_close(struct tlistener *l);

/* ---- raw sockets ---- */

/* SO_RCVBUF for the next raw_connect() (0: kernel default). */
extern int raw_rcvbuf;
struct raw {
    int fd;
    size_t len;
    uint8_t buf[1 << 18];
};

void raw_connect(struct raw *r, uint16_t port);
/* Writes everything, running the loop while the socket is full. */
void raw_write(struct raw *r, const void *data, size_t len);
/* Next message into out[]: its length, 0 on EOF, -1 on timeout. */
int raw_read_msg(struct raw *r, uint8_t *out, size_t cap, int timeout_ms);
/* HELLO of 'version', with a bitmap element when 'bitmap' is non-zero. */
size_t make_hello(uint8_t *buf, uint8_t version, uint32_t bitmap);
size_t make_header(uint8_t *buf, uint8_t version, uint8_t type,
                   uint16_t len, uint32_t xid);
/* Connects, reads the switch's HELLO, answers with a 1.3 HELLO. */
void raw_handshake(struct raw *r, uint16_t port);

/* ---- split multipart requests ---- */

/* A TABLE_FEATURES request whose entries all have the same wire size and
 * carry nested lists (so the shallow append in reassembly is exercised):
 * 'n' tables with a NEXT_TABLES property of 'n_next' ids and a MATCH one. */
struct tf_req {
    struct of_msg msg;
    struct of_table_features *tables;
    struct of_table_feature_prop *props;    /* two per table */
};
void tf_build(struct tf_req *r, uint32_t xid, uint32_t n, uint32_t n_next);
void tf_free(struct tf_req *r);
/* Encodes 'r' (into 'buf', initialised here) in parts of 'per_part'
 * tables each; part i is buf->data[off[i]..off[i + 1]). Returns the
 * number of parts (fewer than 'max'). */
int tf_split(const struct tf_req *r, uint32_t per_part, struct of_buf *buf,
             size_t off[], int max);
void send_part(struct peer *p, const struct of_buf *buf, const size_t off[],
               int i);
/* Sends a one-part multipart request of 'type' with 'flags' (an empty
 * body: DESC; a FLOW request otherwise). */
void send_mp_simple(struct peer *p, uint16_t type, uint16_t flags,
                    uint32_t xid);
/* Index of the first message of 'type' with 'xid' at or after 'from',
 * waiting up to 2 s for it (fails the test otherwise). */
int wait_rec(struct peer *p, uint8_t type, uint32_t xid, int from);

#endif
