/*
 * test_bridge_openflow.c — the OpenFlow side of vswitchd's bridges
 * (ctl/bridge_openflow.c, ctl/bridge_ofcmds.c) and vswitch-ctl's OpenFlow
 * client (ctl/ofctl_client.c), against fake_datapath.c:
 *  - fail modes as Open vSwitch: standalone's visible NORMAL flow, secure
 *    adds nothing, persistence and restore, no NORMAL flow with a
 *    controller configured;
 *  - controller targets: validation naming the target, persistence,
 *    restore, deletion;
 *  - the management socket: HELLO, FLOW_MODs, barrier (which waits for
 *    the datapath's generation sync), ERROR replies mapped to their
 *    request, multipart dumps, PORT_DESC of a port added by the CLI;
 *  - trace and dump-dp-flows replies.
 * The daemon's side runs on this thread's event loop (as vswitchd's main
 * thread); the blocking client runs on a second thread.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl/bridge.h"
#include "ctl/bridge_private.h"
#include "ctl/config_store.h"
#include "ctl/ofctl_client.h"
#include "ctl/unixctl.h"
#include "datapath/datapath.h"
#include "flowtable/ft_ofp.h"
#include "flowtable/ft_pipeline.h"
#include "lib/evloop.h"
#include "lib/timeval.h"
#include "openflow/of_connmgr.h"
#include "openflow/of_text.h"

static char dir[64];
static char db[128];
static struct evloop *loop;

/* ---- daemon side ------------------------------------------------------- */

#include "rpc_testlib.h"

static void
start_daemon(void)
{
    json_t *doc;
    char err[512];
    assert_int_equal(ctl_config_load(db, &doc, err, sizeof err), 0);
    loop = evloop_create();
    assert_non_null(loop);
    ctl_bridge_set_openflow(loop, dir);
    ctl_bridge_start(db, doc);
    ctl_bridge_register_commands();
}

static void
stop_daemon(void)
{
    ctl_command_unregister_all();
    ctl_bridge_stop();
    evloop_destroy(loop);
    loop = NULL;
    dp_fini();
}

static void
restart_daemon(void)
{
    stop_daemon();
    start_daemon();
}

static int
setup(void **state)
{
    (void) state;
    snprintf(dir, sizeof dir, "/tmp/ctl-ofbr-XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(db, sizeof db, "%s/conf.json", dir);
    start_daemon();
    return 0;
}

static int
teardown(void **state)
{
    (void) state;
    stop_daemon();
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
    return 0;
}

static json_t *
stored_bridge(const char *name)
{
    json_t *doc;
    char err[512];
    assert_int_equal(ctl_config_load(db, &doc, err, sizeof err), 0);
    json_t *br = json_incref(ctl_config_bridge(doc, name));
    json_decref(doc);
    return br;
}

/* ---- pipeline inspection ------------------------------------------------- */

struct flow_list {
    unsigned int n;
    const struct ft_flow *flows[16];
};

static int
collect_flow(const struct ft_flow *flow, void *aux)
{
    struct flow_list *fl = aux;
    if (fl->n < 16) {
        fl->flows[fl->n] = flow;
    }
    fl->n++;
    return 0;
}

static struct flow_list
bridge_flows(const char *name)
{
    struct ctl_ofbridge *ob = ctl_bridge_ofbridge(name);
    assert_non_null(ob);
    struct ft_flow_filter filter = {
        .table_id = FT_OFPTT_ALL,
        .out_port = FT_OFPP_ANY,
        .out_group = FT_OFPG_ANY,
    };
    struct flow_list fl = { 0 };
    ft_pipeline_foreach_flow(ctl_ofbridge_pipeline(ob), &filter,
                             collect_flow, &fl);
    return fl;
}

/* Exactly Open vSwitch's standalone flow: table 0, priority 0, match
 * all, apply-actions output:NORMAL. */
static void
assert_only_normal_flow(const char *bridge)
{
    struct flow_list fl = bridge_flows(bridge);
    assert_int_equal(fl.n, 1);
    const struct ft_flow *f = fl.flows[0];
    assert_int_equal(f->table_id, 0);
    assert_int_equal(f->cr.priority, 0);
    struct ft_insts insts;
    ft_flow_get_insts(f, &insts);
    assert_true(insts.has_apply);
    assert_int_equal(insts.apply.n, 1);
    assert_int_equal(insts.apply.acts[0].type, FT_OFPAT_OUTPUT);
    assert_int_equal(insts.apply.acts[0].output.port, FT_OFPP_NORMAL);
    assert_false(insts.has_write);
    assert_int_equal(insts.goto_table, FT_NO_GOTO);
}

/* ---- fail mode ------------------------------------------------------------ */

static void
test_standalone_default(void **state)
{
    (void) state;
    ok_void(CALL("add-br", "br0"));
    assert_only_normal_flow("br0");
    /* Unset in the store: get-fail-mode answers null, as ovs-vsctl
     * prints nothing. */
    json_t *mode = ok(CALL("get-fail-mode", "br0"));
    assert_true(json_is_null(mode));
    json_decref(mode);
    /* Flows are not persisted; the NORMAL flow comes back by itself. */
    restart_daemon();
    assert_only_normal_flow("br0");
    assert_int_equal(ctl_ofbridge_datapath_id(ctl_bridge_ofbridge("br0")),
                     ctl_ofbridge_dpid_from_name("br0"));
    assert_int_not_equal(ctl_ofbridge_dpid_from_name("br0"),
                         ctl_ofbridge_dpid_from_name("br1"));
}

static void
test_fail_mode_secure(void **state)
{
    (void) state;
    ok_void(CALL("add-br", "br0"));
    fails_with(CALL("set-fail-mode", "br0", "paranoid"),
               "bad fail mode 'paranoid'");
    fails_with(CALL("set-fail-mode", "brX", "secure"), "unknown bridge");
    ok_void(CALL("set-fail-mode", "br0", "secure"));
    assert_int_equal(bridge_flows("br0").n, 0);
    json_t *br = stored_bridge("br0");
    assert_string_equal(json_string_value(json_object_get(br, "fail_mode")),
                        "secure");
    json_decref(br);
    json_t *mode = ok(CALL("get-fail-mode", "br0"));
    assert_string_equal(json_string_value(mode), "secure");
    json_decref(mode);

    restart_daemon();
    assert_int_equal(bridge_flows("br0").n, 0);
    assert_int_equal(ctl_ofbridge_fail_mode(ctl_bridge_ofbridge("br0")),
                     CTL_FAIL_SECURE);

    /* Back to the default: the flows are flushed and NORMAL returns. */
    ok_void(CALL("del-fail-mode", "br0"));
    assert_only_normal_flow("br0");
    br = stored_bridge("br0");
    assert_null(json_object_get(br, "fail_mode"));
    json_decref(br);
}

/* ---- controllers ----------------------------------------------------------- */

static void
test_controllers(void **state)
{
    (void) state;
    ok_void(CALL("add-br", "br0"));
    fails_with(CALL("set-controller", "br0", "tcp:1.2.3"),
               "'tcp:1.2.3'");
    fails_with(CALL("set-controller", "br0", "tcp:10.0.0.1:99999"),
               "'tcp:10.0.0.1:99999': port must be 1..65535");
    fails_with(CALL("set-controller", "br0", "http://x"),
               "bad controller target 'http://x'");
    fails_with(CALL("set-controller", "br0", "ptcp:0:127.0.0.1",
                    "ptcp:0:127.0.0.1"), "given twice");
    /* Nothing was saved by the failures. */
    json_t *br = stored_bridge("br0");
    assert_null(json_object_get(br, "controller"));
    json_decref(br);

    ok_void(CALL("set-controller", "br0", "tcp:127.0.0.1:1",
                 "ptcp:0:127.0.0.1"));
    json_t *list = ok(CALL("get-controller", "br0"));
    json_t *expect = json_pack("[ss]", "tcp:127.0.0.1:1", "ptcp:0:127.0.0.1");
    assert_true(json_equal(list, expect));
    json_decref(list);
    br = stored_bridge("br0");
    assert_true(json_equal(json_object_get(br, "controller"), expect));
    json_decref(br);

    /* Restored at start-up; standalone with a controller configured adds
     * no NORMAL flow (Open vSwitch's connmgr). */
    restart_daemon();
    list = ok(CALL("get-controller", "br0"));
    assert_true(json_equal(list, expect));
    json_decref(list);
    json_decref(expect);
    assert_int_equal(ctl_ofbridge_n_controllers(ctl_bridge_ofbridge("br0")),
                     2);
    assert_int_equal(bridge_flows("br0").n, 0);

    ok_void(CALL("del-controller", "br0"));
    list = ok(CALL("get-controller", "br0"));
    assert_int_equal(json_array_size(list), 0);
    json_decref(list);
    br = stored_bridge("br0");
    assert_null(json_object_get(br, "controller"));
    json_decref(br);
    assert_int_equal(ctl_ofbridge_n_controllers(ctl_bridge_ofbridge("br0")),
                     0);
}

/* ---- the management socket ------------------------------------------------- */

struct client_run {
    char path[256];
    atomic_bool done;
    int rc;
    char why[256];
    unsigned int n_errors;
    uint32_t error_xid;
    char error_text[128];
    unsigned int n_flows;
    char first_flow[512];
    unsigned int n_ports;
    char port_name[16];
    uint32_t port_no;
};

static void
client_on_error(void *aux, uint32_t xid, const struct of_error_msg *e)
{
    struct client_run *cr = aux;
    cr->n_errors++;
    cr->error_xid = xid;
    ofctl_error_describe(e, cr->error_text, sizeof cr->error_text);
}

static int
client_queue_flow(struct ofctl_client *c, const char *text, uint32_t xid)
{
    struct of_msg msg;
    char err[OF_TEXT_ERR_LEN];
    int rc = of_text_parse_flow_mod(text, FT_OFPFC_ADD, &msg, err,
                                    sizeof err);
    if (!rc) {
        rc = ofctl_client_queue(c, &msg, xid);
    }
    of_msg_uninit(&msg);
    return rc;
}

static int
client_session(struct client_run *cr)
{
    struct ofctl_client *c;
    int rc = ofctl_client_open(cr->path, 5000, &c);
    if (rc) {
        snprintf(cr->why, sizeof cr->why, "%s", ofctl_client_open_error());
        return rc;
    }
    ofctl_client_set_error_handler(c, client_on_error, cr);
    rc = client_queue_flow(c, "table=1,priority=5,ip,nw_dst=10.0.0.1,"
                           "actions=output:3", 7);
    if (!rc) {
        /* Table 254 does not exist (254 tables: 0..253). */
        rc = client_queue_flow(c, "table=254,actions=drop", 8);
    }
    if (!rc) {
        rc = ofctl_client_barrier(c);
    }
    struct ofctl_reply reply;
    struct of_msg req;
    if (!rc) {
        char err[OF_TEXT_ERR_LEN];
        rc = of_text_parse_flow_stats_request("table=1", OFPMP_FLOW, &req,
                                              err, sizeof err);
        if (!rc) {
            rc = ofctl_client_dump(c, &req, &reply);
        }
        of_msg_uninit(&req);
    }
    if (!rc) {
        cr->n_flows = reply.msg.multipart.flows.n;
        struct of_buf out;
        of_buf_init(&out);
        if (cr->n_flows) {
            of_text_format_flow_stats(&reply.msg.multipart.flows.items[0],
                                      &out);
            snprintf(cr->first_flow, sizeof cr->first_flow, "%s",
                     (char *) out.data);
        }
        of_buf_uninit(&out);
        ofctl_reply_free(&reply);
        of_msg_init(&req, OFPT_MULTIPART_REQUEST, 0);
        req.multipart.type = OFPMP_PORT_DESC;
        rc = ofctl_client_dump(c, &req, &reply);
    }
    if (!rc) {
        cr->n_ports = reply.msg.multipart.ports.n;
        if (cr->n_ports) {
            memcpy(cr->port_name, reply.msg.multipart.ports.items[0].name,
                   sizeof cr->port_name);
            cr->port_no = reply.msg.multipart.ports.items[0].port_no;
        }
        ofctl_reply_free(&reply);
        /* A request the switch refuses fails the dump with the error. */
        of_msg_init(&req, OFPT_MULTIPART_REQUEST, 0);
        req.multipart.type = OFPMP_EXPERIMENTER;
        req.multipart.experimenter.experimenter = 0x123456;
        int bad = ofctl_client_dump(c, &req, &reply);
        if (bad != -EPROTO || !strstr(ofctl_client_error(c), "BAD_")) {
            snprintf(cr->why, sizeof cr->why, "experimenter: %d %s", bad,
                     ofctl_client_error(c));
            rc = -EINVAL;
        }
    }
    if (rc && !cr->why[0]) {
        snprintf(cr->why, sizeof cr->why, "%s", ofctl_client_error(c));
    }
    ofctl_client_close(c);
    return rc;
}

static void *
client_thread(void *aux)
{
    struct client_run *cr = aux;
    cr->rc = client_session(cr);
    atomic_store(&cr->done, true);
    return NULL;
}

/* Runs the daemon's loop (with vswitchd's datapath duties) until the
 * client thread is done. */
static void
serve_until_done(struct client_run *cr)
{
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, client_thread, cr), 0);
    int64_t deadline = time_msec() + 20000;
    while (!atomic_load(&cr->done) && time_msec() < deadline) {
        evloop_run_once(loop, 5);
        dp_run_upcalls(64);
        dp_run_revalidator(time_msec());
    }
    assert_true(atomic_load(&cr->done));
    pthread_join(t, NULL);
}

static void
test_management_socket(void **state)
{
    (void) state;
    ok_void(CALL("add-br", "br0"));
    ok_void(CALL("add-port", "br0", "p1", "--", "type=dummy", "ofport=3"));
    json_t *path = ok(CALL("openflow-socket", "br0"));
    struct client_run *cr = calloc(1, sizeof *cr);
    snprintf(cr->path, sizeof cr->path, "%s", json_string_value(path));
    char expect[128];
    snprintf(expect, sizeof expect, "%s/br0.mgmt", dir);
    assert_string_equal(cr->path, expect);
    json_decref(path);
    fails_with(CALL("openflow-socket", "brX"), "unknown bridge 'brX'");

    serve_until_done(cr);
    if (cr->rc) {
        fail_msg("client failed: %s", cr->why);
    }
    /* The refused FLOW_MOD's error names its request. */
    assert_int_equal(cr->n_errors, 1);
    assert_int_equal(cr->error_xid, 8);
    assert_string_equal(cr->error_text, "FLOW_MOD_FAILED/BAD_TABLE_ID");
    /* The accepted one is in the pipeline and dumps as ovs-ofctl. */
    assert_int_equal(cr->n_flows, 1);
    assert_non_null(strstr(cr->first_flow, "table=1"));
    assert_non_null(strstr(cr->first_flow,
                           "priority=5,ip,nw_dst=10.0.0.1 actions=output:3"));
    assert_int_equal(bridge_flows("br0").n, 2);       /* + NORMAL */
    /* The port the CLI added is an OpenFlow port. */
    assert_int_equal(cr->n_ports, 1);
    assert_string_equal(cr->port_name, "p1");
    assert_int_equal(cr->port_no, 3);
    free(cr);

    /* Deleting the bridge removes its management socket. */
    ok_void(CALL("del-br", "br0"));
    struct stat st;
    assert_int_not_equal(stat(expect, &st), 0);
}

/* ---- PORT_STATUS ------------------------------------------------------------ */

/* Runs the daemon's loop a little (the peer is on this thread). */
static void
spin(void)
{
    for (int i = 0; i < 20; i++) {
        evloop_run_once(loop, 1);
    }
}

static void
send_msg(int fd, struct of_msg *msg)
{
    struct of_buf buf;
    of_buf_init(&buf);
    assert_int_equal(of_msg_encode(msg, &buf), 0);
    assert_int_equal(write(fd, buf.data, buf.len), (ssize_t) buf.len);
    of_buf_uninit(&buf);
}

/* Reads what the switch sent and returns the reason of the first
 * PORT_STATUS about 'name' (-1 if none); 'port_no' gets its number. */
static int
read_port_status(int fd, const char *name, uint32_t *port_no)
{
    static uint8_t buf[65536];
    static size_t len;
    ssize_t n;
    while ((n = read(fd, buf + len, sizeof buf - len)) > 0) {
        len += (size_t) n;
    }
    int reason = -1;
    size_t off = 0;
    for (;;) {
        size_t mlen = of_msg_peek_len(buf + off, len - off);
        if (!mlen || mlen > len - off) {
            break;
        }
        struct of_msg msg;
        struct of_err oferr;
        assert_int_equal(of_msg_decode(buf + off, mlen, &msg, &oferr), 0);
        if (reason < 0 && msg.type == OFPT_PORT_STATUS
            && !strcmp(msg.port_status.desc.name, name)) {
            reason = msg.port_status.reason;
            *port_no = msg.port_status.desc.port_no;
        }
        of_msg_uninit(&msg);
        off += mlen;
    }
    memmove(buf, buf + off, len - off);
    len -= off;
    return reason;
}

static void
test_port_status(void **state)
{
    (void) state;
    ok_void(CALL("add-br", "br0"));
    json_t *path = ok(CALL("openflow-socket", "br0"));
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    snprintf(sun.sun_path, sizeof sun.sun_path, "%s",
             json_string_value(path));
    json_decref(path);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_int_equal(connect(fd, (struct sockaddr *) &sun, sizeof sun), 0);
    fcntl(fd, F_SETFL, O_NONBLOCK);
    struct of_msg msg;
    of_msg_init(&msg, OFPT_HELLO, 1);
    send_msg(fd, &msg);
    /* Management connections get async messages only once asked. */
    of_msg_init(&msg, OFPT_SET_ASYNC, 2);
    msg.async.port_status_mask[0] = 0x7;
    msg.async.port_status_mask[1] = 0x7;
    send_msg(fd, &msg);
    spin();

    uint32_t port_no = 0;
    ok_void(CALL("add-port", "br0", "ps1", "--", "type=dummy", "ofport=9"));
    spin();
    assert_int_equal(read_port_status(fd, "ps1", &port_no), OFPPR_ADD);
    assert_int_equal(port_no, 9);
    ok_void(CALL("del-port", "ps1"));
    spin();
    port_no = 0;
    assert_int_equal(read_port_status(fd, "ps1", &port_no), OFPPR_DELETE);
    assert_int_equal(port_no, 9);
    close(fd);
}

/* ---- trace and datapath views ---------------------------------------------- */

static void
test_trace(void **state)
{
    (void) state;
    ok_void(CALL("add-br", "br0"));
    fails_with(CALL("trace", "br0", "ip,nw_dst=10.0.0.1"), "needs in_port");
    fails_with(CALL("trace", "br0", "in_port=1,nw_sorc=1"), "bad flow");
    fails_with(CALL("trace", "brX", "in_port=1"), "unknown bridge");
    json_t *r = ok(CALL("trace", "br0", "in_port=1,dl_dst=ff:ff:ff:ff:ff:ff"));
    assert_true(json_array_size(json_object_get(r, "steps")) > 0);
    assert_non_null(strstr(json_string_value(json_object_get(r, "flow")),
                           "in_port=1"));
    /* The megaflow always holds the input port. */
    assert_non_null(strstr(json_string_value(json_object_get(r, "megaflow")),
                           "in_port=1"));
    assert_non_null(json_string_value(json_object_get(r,
                                                      "datapath_actions")));
    json_decref(r);

    /* secure: no flow, the walk ends in a drop. */
    ok_void(CALL("set-fail-mode", "br0", "secure"));
    r = ok(CALL("trace", "br0", "in_port=1"));
    assert_string_equal(json_string_value(json_object_get(
                            r, "datapath_actions")), "drop");
    json_decref(r);
}

static void
test_dump_dp_flows(void **state)
{
    (void) state;
    ok_void(CALL("add-br", "br0"));
    ok_void(CALL("add-br", "br1"));
    ok_void(CALL("add-port", "br0", "d0", "--", "type=dummy"));
    ok_void(CALL("add-port", "br1", "d1", "--", "type=dummy"));
    ok_void(CALL("dummy-inject", "d0", "ffffffffffff0200000000010800"));
    ok_void(CALL("dummy-inject", "d1", "ffffffffffff0200000000010800"));
    json_t *all = ok(call("dump-dp-flows", 0, NULL));
    assert_int_equal(json_array_size(all), 2);
    json_decref(all);
    json_t *one = ok(CALL("dump-dp-flows", "br1"));
    assert_int_equal(json_array_size(one), 1);
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(one, 0), "bridge")), "br1");
    json_decref(one);
    fails_with(CALL("dump-dp-flows", "brX"), "unknown bridge 'brX'");
    json_t *perf = ok(call("pmd-perf-show", 0, NULL));
    assert_true(json_is_array(perf));
    json_decref(perf);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_standalone_default, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_fail_mode_secure, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_controllers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_management_socket, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_port_status, setup, teardown),
        cmocka_unit_test_setup_teardown(test_trace, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dump_dp_flows, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
