/*
 * test_ctl_args.c — unit tests of ctl/ctl_args.c: add-port and set
 * settings, VLAN/trunk parsing, global keys, names, hex frames.
 * Single-threaded, no I/O.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ctl_args.h"

#define ARGV(...) ((const char *const[]) { __VA_ARGS__ })
#define ARGC(...) ((int) (sizeof ARGV(__VA_ARGS__) / sizeof(const char *)))
#define PARSE(SCOPE, OUT, ERR, ...) \
    ctl_args_parse_port_settings(ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), \
                                 SCOPE, OUT, ERR, sizeof ERR)

static void
assert_json(const json_t *actual, const char *expected_text)
{
    json_t *expected = json_loads(expected_text, 0, NULL);
    assert_non_null(expected);
    if (!json_equal(actual, expected)) {
        char *s = json_dumps(actual, JSON_COMPACT);
        fail_msg("got %s, expected %s", s, expected_text);
    }
    json_decref(expected);
}

static void
test_add_port_full(void **state)
{
    (void) state;
    json_t *c;
    char err[256];
    assert_int_equal(PARSE(CTL_SCOPE_ADD_PORT, &c, err, "--", "type=dpdk",
                           "options:dpdk-devargs=net_null0,size=64",
                           "ofport=7", "tag=10", "trunks=30,20,21-22",
                           "vlan_mode=native-untagged"), 0);
    assert_json(c, "{\"type\":\"dpdk\",\"options\":{\"dpdk-devargs\":"
                "\"net_null0,size=64\"},\"ofport\":7,\"tag\":10,"
                "\"trunks\":[20,21,22,30],\"vlan_mode\":\"native-untagged\"}");
    json_decref(c);

    assert_int_equal(PARSE(CTL_SCOPE_ADD_PORT, &c, err, "type=dummy"), 0);
    assert_json(c, "{\"type\":\"dummy\"}");
    json_decref(c);
}

static void
test_add_port_errors(void **state)
{
    (void) state;
    json_t *c = NULL;
    char err[256];
    assert_int_equal(PARSE(CTL_SCOPE_ADD_PORT, &c, err, "tag=5000"), -EINVAL);
    assert_non_null(strstr(err, "bad VLAN 5000"));
    assert_int_equal(PARSE(CTL_SCOPE_ADD_PORT, &c, err, "type=tap"), -EINVAL);
    assert_non_null(strstr(err, "unknown port type 'tap'"));
    assert_int_equal(PARSE(CTL_SCOPE_ADD_PORT, &c, err, "colour=red"),
                     -EINVAL);
    assert_non_null(strstr(err, "unknown key 'colour'"));
    assert_int_equal(PARSE(CTL_SCOPE_ADD_PORT, &c, err, "type"), -EINVAL);
    assert_non_null(strstr(err, "not a KEY=VALUE"));
    assert_int_equal(PARSE(CTL_SCOPE_ADD_PORT, &c, err, "ofport=0"), -EINVAL);
    assert_int_equal(PARSE(CTL_SCOPE_ADD_PORT, &c, err, "ofport=65280"),
                     -EINVAL);
    assert_int_equal(PARSE(CTL_SCOPE_ADD_PORT, &c, err, "ofport=1x"),
                     -EINVAL);
    assert_int_equal(PARSE(CTL_SCOPE_ADD_PORT, &c, err, "trunks=1,x"),
                     -EINVAL);
    assert_int_equal(PARSE(CTL_SCOPE_ADD_PORT, &c, err, "trunks=9-3"),
                     -EINVAL);
    assert_int_equal(PARSE(CTL_SCOPE_ADD_PORT, &c, err, "vlan_mode=hybrid"),
                     -EINVAL);
    assert_int_equal(PARSE(CTL_SCOPE_ADD_PORT, &c, err, "tag=-1"), -EINVAL);
    assert_int_equal(PARSE(CTL_SCOPE_ADD_PORT, &c, err, "options:=x"),
                     -EINVAL);
    assert_int_equal(PARSE(CTL_SCOPE_ADD_PORT, &c, err, "type=dpdk"),
                     -EINVAL);
    assert_non_null(strstr(err, "dpdk-devargs"));
    assert_null(c);
}

static void
test_set_scopes(void **state)
{
    (void) state;
    json_t *c;
    char err[256];
    assert_int_equal(PARSE(CTL_SCOPE_INTERFACE, &c, err, "options:n_rxq=2",
                           "options:mtu="), 0);
    assert_json(c, "{\"options\":{\"n_rxq\":\"2\",\"mtu\":null}}");
    json_decref(c);

    assert_int_equal(PARSE(CTL_SCOPE_INTERFACE, &c, err, "tag=3"), -EINVAL);
    assert_non_null(strstr(err, "for Interface"));

    assert_int_equal(PARSE(CTL_SCOPE_PORT, &c, err, "tag=3", "trunks=",
                           "vlan_mode=access"), 0);
    assert_json(c, "{\"tag\":3,\"trunks\":null,\"vlan_mode\":\"access\"}");
    json_decref(c);
    assert_int_equal(PARSE(CTL_SCOPE_PORT, &c, err, "options:a=b"), -EINVAL);
    assert_int_equal(PARSE(CTL_SCOPE_PORT, &c, err, "type=dummy"), -EINVAL);
}

static void
test_apply_settings(void **state)
{
    (void) state;
    json_t *port = json_loads("{\"type\":\"dummy\",\"ofport\":1,\"tag\":5,"
                              "\"options\":{\"a\":\"1\",\"b\":\"2\"}}", 0,
                              NULL);
    json_t *changes = json_loads("{\"tag\":null,\"trunks\":[1,2],"
                                 "\"options\":{\"a\":null,\"c\":\"3\"}}", 0,
                                 NULL);
    ctl_args_apply_port_settings(port, changes);
    assert_json(port, "{\"type\":\"dummy\",\"ofport\":1,\"trunks\":[1,2],"
                "\"options\":{\"b\":\"2\",\"c\":\"3\"}}");
    json_decref(port);
    json_decref(changes);
}

static void
test_global(void **state)
{
    (void) state;
    json_t *c;
    char err[256];
    const char *const ok[] = { "pmd-cpu-mask=0x2", "pmd-max-sleep=50",
                               "mac-aging-time=10", "mac-table-size=2048",
                               "rxq-assign=roundrobin" };
    assert_int_equal(ctl_args_parse_global(5, ok, &c, err, sizeof err), 0);
    assert_json(c, "{\"pmd-cpu-mask\":\"0x2\",\"pmd-max-sleep\":\"50\","
                "\"mac-aging-time\":\"10\",\"mac-table-size\":\"2048\","
                "\"rxq-assign\":\"roundrobin\"}");
    json_decref(c);

    const char *const clear[] = { "pmd-cpu-mask=" };
    assert_int_equal(ctl_args_parse_global(1, clear, &c, err, sizeof err), 0);
    assert_json(c, "{\"pmd-cpu-mask\":null}");
    json_decref(c);

    const char *const bad[][1] = {
        { "pmd-cpu-mask=0x0" }, { "pmd-cpu-mask=zz" }, { "mac-aging-time=0" },
        { "pmd-max-sleep=-1" }, { "rxq-assign=random" }, { "foo=1" },
        { "foo=" }, { "mac-table-size" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(ctl_args_parse_global(1, bad[i], &c, err,
                                               sizeof err), -EINVAL);
    }
    assert_non_null(strstr(err, "not a KEY=VALUE"));
    const char *const unknown[] = { "foo=1" };
    ctl_args_parse_global(1, unknown, &c, err, sizeof err);
    assert_non_null(strstr(err, "unknown key 'foo'"));

    /* The fast path's knobs: ranges, and messages naming key and range. */
    const char *const fast[] = { "emc-insert-inv-prob=0", "flow-limit=1000",
                                 "max-idle=2000", "max-revalidator=100",
                                 "upcall-rate=5000", "upcall-burst=64" };
    assert_int_equal(ctl_args_parse_global(6, fast, &c, err, sizeof err), 0);
    assert_json(c, "{\"emc-insert-inv-prob\":\"0\",\"flow-limit\":\"1000\","
                "\"max-idle\":\"2000\",\"max-revalidator\":\"100\","
                "\"upcall-rate\":\"5000\",\"upcall-burst\":\"64\"}");
    json_decref(c);
    const char *const fast_bad[][1] = {
        { "flow-limit=0" }, { "max-idle=50" }, { "upcall-burst=x" },
        { "upcall-rate=-5" }, { "max-revalidator=60001" },
    };
    for (size_t i = 0; i < sizeof fast_bad / sizeof fast_bad[0]; i++) {
        assert_int_equal(ctl_args_parse_global(1, fast_bad[i], &c, err,
                                               sizeof err), -EINVAL);
    }
    assert_string_equal(err, "bad max-revalidator '60001' (expected ms per "
                        "revalidation round, 10..60000)");
}

static void
test_names(void **state)
{
    (void) state;
    char err[256];
    assert_int_equal(ctl_args_check_name("br0", "bridge", err, sizeof err),
                     0);
    assert_int_equal(ctl_args_check_name("vm1.eth-0:a_b", "port", err,
                                         sizeof err), 0);
    assert_int_equal(ctl_args_check_name("", "port", err, sizeof err),
                     -EINVAL);
    assert_int_equal(ctl_args_check_name("-x", "port", err, sizeof err),
                     -EINVAL);
    assert_int_equal(ctl_args_check_name("a b", "port", err, sizeof err),
                     -EINVAL);
    assert_int_equal(ctl_args_check_name("a/b", "bridge", err, sizeof err),
                     -EINVAL);
    char long_name[80];
    memset(long_name, 'a', sizeof long_name - 1);
    long_name[sizeof long_name - 1] = '\0';
    assert_int_equal(ctl_args_check_name(long_name, "port", err, sizeof err),
                     -EINVAL);
}

static void
test_hex_frame(void **state)
{
    (void) state;
    uint8_t *frame;
    size_t len;
    char err[256];
    const char *hex = "ffffffffffff 00:11:22:33:44:55 0800 4500";
    assert_int_equal(ctl_args_parse_hex_frame(hex, &frame, &len, err,
                                              sizeof err), 0);
    assert_int_equal(len, 16);
    assert_int_equal(frame[0], 0xff);
    assert_int_equal(frame[6], 0x00);
    assert_int_equal(frame[11], 0x55);
    assert_int_equal(frame[12], 0x08);
    free(frame);
    assert_int_equal(ctl_args_parse_hex_frame("0xffffffffffff0011223344550800",
                                              &frame, &len, err, sizeof err),
                     0);
    free(frame);
    assert_int_equal(ctl_args_parse_hex_frame("abc", &frame, &len, err,
                                              sizeof err), -EINVAL);
    assert_int_equal(ctl_args_parse_hex_frame("ffff", &frame, &len, err,
                                              sizeof err), -EINVAL);
    assert_int_equal(ctl_args_parse_hex_frame("ffffffffffffgg112233445508",
                                              &frame, &len, err, sizeof err),
                     -EINVAL);
}

static void
test_uint(void **state)
{
    (void) state;
    unsigned long long v;
    assert_int_equal(ctl_args_parse_uint("42", 0, 100, &v), 0);
    assert_int_equal(v, 42);
    assert_int_equal(ctl_args_parse_uint("101", 0, 100, &v), -ERANGE);
    assert_int_equal(ctl_args_parse_uint("", 0, 100, &v), -EINVAL);
    assert_int_equal(ctl_args_parse_uint(" 1", 0, 100, &v), -EINVAL);
    assert_int_equal(ctl_args_parse_uint("+1", 0, 100, &v), -EINVAL);
    assert_int_equal(ctl_args_parse_uint("99999999999999999999999", 0, 100,
                                         &v), -EINVAL);
}

static void
test_controller_targets(void **state)
{
    (void) state;
    static const char *const good[] = {
        "tcp:127.0.0.1", "tcp:10.0.0.1:6653", "ssl:[::1]:6633",
        "unix:/run/ctl.sock", "ptcp:", "ptcp:6653", "ptcp:0:127.0.0.1",
        "pssl:6653:[::1]", "punix:/tmp/x.mgmt",
    };
    char err[256];
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        if (ctl_args_check_controller_target(good[i], err, sizeof err)) {
            fail_msg("'%s' refused: %s", good[i], err);
        }
    }
    static const struct {
        const char *target, *why;
    } bad[] = {
        { "tcp:", "IP address" },
        { "tcp:1.2.3", "IP address" },
        { "tcp:controller.example", "IP address" },
        { "tcp:10.0.0.1:0", "port must be 1..65535" },
        { "tcp:10.0.0.1:70000", "port must be 1..65535" },
        { "tcp:[::1", "IP address" },
        { "ptcp:abc", "port must be 0..65535" },
        { "ptcp:6653:1.2", "IP address literal after the port" },
        { "unix:", "missing socket path" },
        { "udp:1.2.3.4", "bad controller target 'udp:1.2.3.4'" },
        { "127.0.0.1:6653", "expected tcp:IP" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int rc = ctl_args_check_controller_target(bad[i].target, err,
                                                  sizeof err);
        assert_int_equal(rc, -EINVAL);
        if (!strstr(err, bad[i].why) || !strstr(err, bad[i].target)) {
            fail_msg("'%s': message '%s' lacks '%s' or the target",
                     bad[i].target, err, bad[i].why);
        }
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_port_full),
        cmocka_unit_test(test_add_port_errors),
        cmocka_unit_test(test_set_scopes),
        cmocka_unit_test(test_apply_settings),
        cmocka_unit_test(test_global),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_hex_frame),
        cmocka_unit_test(test_uint),
        cmocka_unit_test(test_controller_targets),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
