/*
 * test_bridge.c — unit tests of vswitchd's command handlers (ctl/bridge.c)
 * over the JSON-RPC dispatcher, against fake_datapath.c: bridge and port
 * lifecycle, ofport assignment, VLAN and option changes, persistence of
 * every change, restore at start-up with a failing port, dummy ports.
 * Single-threaded (the main thread's role).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl/bridge.h"
#include "ctl/config_store.h"
#include "ctl/unixctl.h"
#include "datapath/datapath.h"
#include "lib/evloop.h"

static char dir[64];
static char db[128];
static struct evloop *loop;     /* bridges' OpenFlow listeners live here */

#include "rpc_testlib.h"

static json_t *
stored(void)
{
    json_t *doc;
    char err[512];
    assert_int_equal(ctl_config_load(db, &doc, err, sizeof err), 0);
    return doc;
}

static json_t *
stored_port(json_t *doc, const char *bridge, const char *port)
{
    return json_object_get(ctl_config_bridge_ports(doc, bridge), port);
}

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

static int
setup(void **state)
{
    (void) state;
    snprintf(dir, sizeof dir, "/tmp/ctl-bridge-XXXXXX");
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

static void
test_bridges(void **state)
{
    (void) state;
    ok_void(CALL("add-br", "br1"));
    ok_void(CALL("add-br", "br0"));
    fails_with(CALL("add-br", "br0"), "bridge 'br0' already exists");
    fails_with(CALL("add-br", "bad name"), "invalid character");
    json_t *list = ok(CALL0("list-br"));
    json_t *expect = json_pack("[ss]", "br0", "br1");
    assert_true(json_equal(list, expect));
    json_decref(list);
    json_decref(expect);

    json_t *doc = stored();
    assert_non_null(ctl_config_bridge(doc, "br0"));
    json_decref(doc);

    ok_void(CALL("del-br", "br1"));
    fails_with(CALL("del-br", "brX"), "unknown bridge 'brX'");
    doc = stored();
    assert_null(ctl_config_bridge(doc, "br1"));
    json_decref(doc);
    assert_null(dp_bridge_find("br1"));
}

static void
test_ports_and_ofports(void **state)
{
    (void) state;
    ok_void(CALL("add-br", "br0"));
    ok_void(CALL("add-port", "br0", "p1", "--", "type=dummy"));
    ok_void(CALL("add-port", "br0", "p2", "--", "type=dummy", "tag=10"));
    ok_void(CALL("add-port", "br0", "p5", "--", "type=dummy", "ofport=5"));
    fails_with(CALL("add-port", "br0", "p1", "--", "type=dummy"),
               "port 'p1' already exists on bridge 'br0'");
    fails_with(CALL("add-port", "brX", "p9"), "unknown bridge 'brX'");
    fails_with(CALL("add-port", "br0", "p9", "--", "type=dummy", "tag=5000"),
               "bad VLAN 5000");
    fails_with(CALL("add-port", "br0", "p9", "--", "type=dummy", "ofport=5"),
               "ofport 5 is already used by port 'p5'");
    fails_with(CALL("add-port", "br0", "p9", "--", "type=dpdk",
                    "options:dpdk-devargs=fail"), "cannot probe devargs");
    fails_with(CALL("add-port", "br0", "p9", "--", "type=dummy", "color=1"),
               "unknown key 'color'");

    json_t *doc = stored();
    assert_int_equal(json_integer_value(json_object_get(
        stored_port(doc, "br0", "p1"), "ofport")), 1);
    assert_int_equal(json_integer_value(json_object_get(
        stored_port(doc, "br0", "p2"), "ofport")), 2);
    assert_int_equal(json_integer_value(json_object_get(
        stored_port(doc, "br0", "p2"), "tag")), 10);
    assert_int_equal(json_integer_value(json_object_get(
        stored_port(doc, "br0", "p5"), "ofport")), 5);
    assert_null(stored_port(doc, "br0", "p9"));
    json_decref(doc);
    assert_false(dp_port_exists("p9"));

    /* Lowest free number is reused. */
    ok_void(CALL("del-port", "p1"));
    ok_void(CALL("add-port", "br0", "p3", "--", "type=dummy"));
    doc = stored();
    assert_int_equal(json_integer_value(json_object_get(
        stored_port(doc, "br0", "p3"), "ofport")), 1);
    json_decref(doc);

    fails_with(CALL("del-port", "br0", "nope"), "bridge 'br0' has no port");
    fails_with(CALL("del-port", "nope"), "unknown port 'nope'");
    ok_void(CALL("del-port", "br0", "p3"));
    assert_false(dp_port_exists("p3"));

    json_t *list = ok(CALL("list-ports", "br0"));
    json_t *expect = json_pack("[ss]", "p2", "p5");
    assert_true(json_equal(list, expect));
    json_decref(list);
    json_decref(expect);

    /* Deleting the bridge removes its ports from datapath and store. */
    ok_void(CALL("del-br", "br0"));
    assert_false(dp_port_exists("p2"));
}

static void
test_set(void **state)
{
    (void) state;
    ok_void(CALL("add-br", "br0"));
    ok_void(CALL("add-port", "br0", "p1", "--", "type=dummy", "tag=10"));
    ok_void(CALL("set", "Port", "p1", "tag=", "trunks=20,30",
                 "vlan_mode=trunk"));
    ok_void(CALL("set", "Interface", "p1", "options:n_rxq=2"));
    json_t *doc = stored();
    json_t *p = stored_port(doc, "br0", "p1");
    assert_null(json_object_get(p, "tag"));
    assert_int_equal(json_array_size(json_object_get(p, "trunks")), 2);
    assert_string_equal(json_string_value(json_object_get(p, "vlan_mode")),
                        "trunk");
    assert_string_equal(json_string_value(json_object_get(
        json_object_get(p, "options"), "n_rxq")), "2");
    json_decref(doc);

    /* A datapath refusal changes nothing on disk. */
    fails_with(CALL("set", "Interface", "p1", "options:n_rxq=0"),
               "bad n_rxq");
    doc = stored();
    assert_string_equal(json_string_value(json_object_get(json_object_get(
        stored_port(doc, "br0", "p1"), "options"), "n_rxq")), "2");
    json_decref(doc);

    fails_with(CALL("set", "Interface", "nope", "options:a=b"),
               "unknown port 'nope'");
    fails_with(CALL("set", "Bridge", "p1", "a=b"), "unknown table 'Bridge'");
    fails_with(CALL("set", "Port", "p1", "tag=4096"), "bad VLAN 4096");
    fails_with(CALL("set", "Interface", "p1", "tag=4"), "unknown key 'tag'");
}

static void
test_global(void **state)
{
    (void) state;
    ok_void(CALL("set-global", "mac-aging-time=10", "pmd-cpu-mask=0x2"));
    json_t *g = ok(CALL0("get-global"));
    assert_string_equal(json_string_value(json_object_get(g,
                                                          "mac-aging-time")),
                        "10");
    json_decref(g);
    fails_with(CALL("set-global", "pmd-cpu-mask=0x100000"),
               "CPU 20 is not available");
    fails_with(CALL("set-global", "bogus=1"), "unknown key 'bogus'");
    ok_void(CALL("set-global", "mac-aging-time="));
    json_t *doc = stored();
    assert_null(json_object_get(ctl_config_global(doc), "mac-aging-time"));
    assert_string_equal(json_string_value(json_object_get(
        ctl_config_global(doc), "pmd-cpu-mask")), "0x2");
    json_decref(doc);
}

/* Makes every save fail until unblock_saves(): a directory (not empty)
 * where the store writes its temp file. */
static void
block_saves(bool block)
{
    char blocker[256], cmd[600];
    snprintf(blocker, sizeof blocker, "%s.tmp.%ld", db, (long) getpid());
    if (block) {
        snprintf(cmd, sizeof cmd, "mkdir -p '%s/x'", blocker);
    } else {
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", blocker);
    }
    assert_int_equal(system(cmd), 0);
}

static json_int_t
first_pmd_core(void)
{
    json_t *stats = dp_pmd_stats();
    json_int_t core = json_integer_value(json_object_get(
        json_array_get(stats, 0), "core"));
    json_decref(stats);
    return core;
}

/* A mask change that cannot be saved puts the workers back where they
 * were, also when the committed document names no mask (the start-up
 * default placement). */
static void
test_global_rollback(void **state)
{
    (void) state;
    ok_void(CALL("set-global", "pmd-cpu-mask=0x2"));
    ok_void(CALL("set-global", "pmd-cpu-mask="));
    assert_int_equal(first_pmd_core(), 1);
    block_saves(true);
    fails_with(CALL("set-global", "pmd-cpu-mask=0x1"), "not saved");
    block_saves(false);
    assert_int_equal(first_pmd_core(), 1);
    /* Same when a later key of the command is refused. */
    fails_with(CALL("set-global", "pmd-cpu-mask=0x1", "bogus=1"),
               "unknown key 'bogus'");
    assert_int_equal(first_pmd_core(), 1);
}

static void
test_restart_restores_and_reports_errors(void **state)
{
    (void) state;
    ok_void(CALL("add-br", "br0"));
    ok_void(CALL("add-port", "br0", "d1", "--", "type=dummy", "tag=7",
                 "ofport=4"));
    ok_void(CALL("add-port", "br0", "n1", "--", "type=dpdk",
                 "options:dpdk-devargs=net_null0"));
    stop_daemon();

    /* Make n1's device "vanish" behind the daemon's back. */
    json_t *doc = stored();
    json_object_set_new(json_object_get(stored_port(doc, "br0", "n1"),
                                        "options"),
                        "dpdk-devargs", json_string("fail"));
    char err[256];
    assert_int_equal(ctl_config_save(db, doc, err, sizeof err), 0);
    json_decref(doc);

    start_daemon();
    assert_true(dp_port_exists("d1"));
    assert_false(dp_port_exists("n1"));
    json_t *show = ok(CALL0("show"));
    json_t *ports = json_object_get(json_array_get(
        json_object_get(show, "bridges"), 0), "ports");
    assert_int_equal(json_array_size(ports), 2);
    json_t *n1 = NULL;
    size_t i;
    json_t *p;
    json_array_foreach(ports, i, p) {
        if (!strcmp(json_string_value(json_object_get(p, "name")), "n1")) {
            n1 = p;
        } else {
            assert_int_equal(json_integer_value(json_object_get(p, "ofport")),
                             4);
            assert_string_equal(json_string_value(json_object_get(p, "link")),
                                "up");
        }
    }
    assert_non_null(n1);
    assert_non_null(strstr(json_string_value(json_object_get(n1, "error")),
                           "cannot probe"));
    json_decref(show);

    /* A fix that cannot be saved leaves the datapath as the committed
     * configuration says: still no n1, still its error. Saves fail while
     * a directory (not empty) sits where the temp file goes. */
    block_saves(true);
    fails_with(CALL("set", "Interface", "n1",
                    "options:dpdk-devargs=net_null1"), "not saved");
    block_saves(false);
    assert_false(dp_port_exists("n1"));
    show = ok(CALL0("show"));
    json_array_foreach(json_object_get(json_array_get(
        json_object_get(show, "bridges"), 0), "ports"), i, p) {
        if (!strcmp(json_string_value(json_object_get(p, "name")), "n1")) {
            assert_non_null(strstr(json_string_value(json_object_get(
                p, "error")), "cannot probe"));
        }
    }
    json_decref(show);

    /* The failed port stays configured; fixing its devargs revives it. */
    ok_void(CALL("set", "Interface", "n1", "options:dpdk-devargs=net_null1"));
    assert_true(dp_port_exists("n1"));
    show = ok(CALL0("show"));
    json_array_foreach(json_object_get(json_array_get(
        json_object_get(show, "bridges"), 0), "ports"), i, p) {
        assert_null(json_object_get(p, "error"));
    }
    json_decref(show);
}

static void
test_dummy_and_views(void **state)
{
    (void) state;
    ok_void(CALL("add-br", "br0"));
    ok_void(CALL("add-port", "br0", "d1", "--", "type=dummy"));
    ok_void(CALL("add-port", "br0", "n1", "--", "type=dpdk",
                 "options:dpdk-devargs=net_null0"));
    const char *frame = "ffffffffffff0011223344550800";
    ok_void(CALL("dummy-inject", "d1", frame, frame));
    fails_with(CALL("dummy-inject", "n1", frame), "not a dummy port");
    fails_with(CALL("dummy-inject", "d1", "zz"), "bad hex frame");
    json_t *frames = ok(CALL("dummy-capture", "d1", "1"));
    assert_int_equal(json_array_size(frames), 1);
    assert_string_equal(json_string_value(json_array_get(frames, 0)), frame);
    json_decref(frames);
    frames = ok(CALL("dummy-capture", "d1"));
    assert_int_equal(json_array_size(frames), 1);
    json_decref(frames);

    json_t *stats = ok(CALL("port-stats", "d1"));
    assert_int_equal(json_integer_value(json_object_get(
        json_array_get(stats, 0), "rx_packets")), 2);
    json_decref(stats);
    stats = ok(CALL0("port-stats"));
    assert_int_equal(json_array_size(stats), 2);
    json_decref(stats);
    fails_with(CALL("port-stats", "zz"), "unknown port 'zz'");

    json_decref(ok(CALL("fdb-show", "br0")));
    fails_with(CALL("fdb-show", "brX"), "unknown bridge 'brX'");
    ok_void(CALL("fdb-flush", "br0"));
    json_decref(ok(CALL0("pmd-stats-show")));
    ok_void(CALL0("pmd-stats-clear"));
    json_decref(ok(CALL0("pmd-rxq-show")));
    ok_void(CALL0("pmd-rxq-rebalance"));
    json_t *mem = ok(CALL0("memory-show"));
    assert_int_equal(json_integer_value(json_object_get(mem, "ports")), 2);
    json_decref(mem);
    json_t *version = ok(CALL0("version"));
    assert_non_null(json_object_get(version, "version"));
    json_decref(version);
    fails_with(CALL("list-br", "extra"), "takes 0 arguments");
    assert_false(ctl_bridge_exit_requested());
    ok_void(CALL0("exit"));
    assert_true(ctl_bridge_exit_requested());
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_bridges, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ports_and_ofports, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_set, setup, teardown),
        cmocka_unit_test_setup_teardown(test_global, setup, teardown),
        cmocka_unit_test_setup_teardown(test_global_rollback, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_restart_restores_and_reports_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dummy_and_views, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
