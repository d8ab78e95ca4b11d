/*
 * test_format.c — unit tests of vswitch-ctl's human output
 * (ctl/ctl_format.c): column alignment, the show tree, tolerance of
 * missing members. Single-threaded; renders into memory with
 * open_memstream.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ctl_format.h"

static char *
render(ctl_format_fn *fn, const char *json_text)
{
    json_t *j = json_loads(json_text, 0, NULL);
    assert_non_null(j);
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    fn(out, j);
    fclose(out);
    json_decref(j);
    return buf;
}

/* Every line of 'text' has the same length (a rectangular table). */
static void
assert_aligned(const char *text)
{
    size_t first = strcspn(text, "\n");
    for (const char *p = text; *p; ) {
        size_t n = strcspn(p, "\n");
        if (n != first) {
            fail_msg("ragged table:\n%s", text);
        }
        p += n + (p[n] == '\n');
    }
}

static void
test_port_stats_aligned(void **state)
{
    (void) state;
    char *s = render(ctl_format_port_stats,
        "[{\"port\":\"p1\",\"rx_packets\":1,\"rx_bytes\":64,"
        "\"rx_dropped\":0,\"rx_errors\":0,\"tx_packets\":123456789,"
        "\"tx_bytes\":7,\"tx_dropped\":0,\"tx_errors\":0},"
        "{\"port\":\"long-port-name\",\"rx_packets\":22,\"rx_bytes\":1408}]");
    assert_non_null(strstr(s, "port"));
    assert_non_null(strstr(s, "rx pkts"));
    assert_non_null(strstr(s, "123456789"));
    assert_aligned(s);
    free(s);
}

static void
test_fdb(void **state)
{
    (void) state;
    char *s = render(ctl_format_fdb,
        "[{\"port\":\"p1\",\"ofport\":1,\"vlan\":10,"
        "\"mac\":\"00:11:22:33:44:55\",\"age\":3}]");
    assert_string_equal(s, "  port  VLAN  MAC                Age\n"
                           "    p1    10  00:11:22:33:44:55    3\n");
    free(s);
}

static void
test_show_tree(void **state)
{
    (void) state;
    char *s = render(ctl_format_show,
        "{\"version\":\"0.1.0\",\"bridges\":[{\"name\":\"br0\",\"ports\":["
        "{\"name\":\"p1\",\"type\":\"dpdk\",\"ofport\":1,"
        "\"options\":{\"dpdk-devargs\":\"net_null0\"},\"tag\":10,"
        "\"trunks\":[20,30],\"vlan_mode\":\"native-tagged\",\"link\":\"up\"},"
        "{\"name\":\"v1\",\"type\":\"system\",\"ofport\":2,\"options\":{},"
        "\"error\":\"kernel interface 'v1' does not exist\"}]}]}");
    assert_non_null(strstr(s, "vswitchd 0.1.0\n    Bridge br0\n"
                              "        Port p1\n            tag: 10\n"
                              "            trunks: [20, 30]\n"
                              "            vlan_mode: native-tagged\n"
                              "            Interface p1\n"
                              "                type: dpdk\n"
                              "                ofport: 1\n"
                              "                options: {dpdk-devargs="
                              "\"net_null0\"}\n"
                              "                link_state: up\n"));
    assert_non_null(strstr(s, "                error: \"kernel interface "
                              "'v1' does not exist\"\n"));
    free(s);
}

static void
test_missing_members_do_not_crash(void **state)
{
    (void) state;
    ctl_format_fn *fns[] = {
        ctl_format_show, ctl_format_global, ctl_format_fdb,
        ctl_format_port_stats, ctl_format_pmd_stats, ctl_format_pmd_rxq,
        ctl_format_memory, ctl_format_lines, ctl_format_generic,
    };
    const char *inputs[] = { "{}", "[]", "[{}]", "[{\"rxqs\":[{}]}]" };
    for (size_t i = 0; i < sizeof fns / sizeof fns[0]; i++) {
        for (size_t j = 0; j < sizeof inputs / sizeof inputs[0]; j++) {
            free(render(fns[i], inputs[j]));
        }
    }
}

static void
test_pmd_output(void **state)
{
    (void) state;
    char *s = render(ctl_format_pmd_stats,
        "[{\"core\":1,\"numa\":0,\"packets\":100,\"busy_cycles\":25,"
        "\"idle_cycles\":75,\"emc_hits\":90}]");
    assert_non_null(strstr(s, "pmd thread numa_id 0 core_id 1:\n"));
    assert_non_null(strstr(s, "processing cycles: 25 (25.00 %)"));
    assert_non_null(strstr(s, "  emc_hits: 90\n"));   /* unknown key kept */
    free(s);
    s = render(ctl_format_pmd_rxq,
        "[{\"core\":1,\"numa\":0,\"isolated\":false,\"rxqs\":["
        "{\"port\":\"p1\",\"queue\":0,\"enabled\":true,\"usage_pct\":12},"
        "{\"port\":\"longer\",\"queue\":1,\"enabled\":false,"
        "\"usage_pct\":0}]}]");
    assert_non_null(strstr(s, "  port: p1      queue-id:  0 (enabled)   "
                              "pmd usage:  12 %\n"));
    assert_non_null(strstr(s, "(disabled)"));
    free(s);
}

/* Column 'col' (0-based, split on runs of 2+ spaces) starts at the same
 * offset on every line. */
static void
assert_column_aligned(const char *text, const char *first_col_head,
                      const char *head)
{
    const char *hl = strstr(text, first_col_head);
    assert_non_null(hl);
    size_t offset = (size_t) (strstr(text, head) - text);
    for (const char *p = text; *p; ) {
        size_t n = strcspn(p, "\n");
        if (n > offset && p != text) {
            /* Every data cell of that column starts right after two
             * spaces of padding. */
            assert_true(p[offset - 1] == ' ' && p[offset - 2] == ' ');
            assert_true(p[offset] != ' ');
        }
        p += n + (p[n] == '\n');
    }
}

static void
test_dp_flows_aligned(void **state)
{
    (void) state;
    char *s = render(ctl_format_dp_flows,
        "[{\"bridge\":\"br0\",\"pmd\":1,\"in_port\":1,"
        "\"match\":\"in_port=1,ip,nw_dst=10.0.0.0/255.255.255.0\","
        "\"actions\":\"2\",\"packets\":123456,\"bytes\":1,"
        "\"used_ms\":1500,\"age_ms\":3},"
        "{\"bridge\":\"long-bridge\",\"pmd\":12,\"in_port\":2,"
        "\"match\":\"in_port=2\",\"actions\":\"drop\",\"packets\":0,"
        "\"bytes\":0,\"used_ms\":-1,\"age_ms\":3}]");
    assert_non_null(strstr(s, "1.500s"));
    assert_non_null(strstr(s, "never"));
    assert_column_aligned(s, "BRIDGE", "PACKETS");
    assert_column_aligned(s, "BRIDGE", "MATCH");
    assert_column_aligned(s, "BRIDGE", "ACTIONS");
    free(s);
    s = render(ctl_format_dp_flows, "[]");
    assert_string_equal(s, "no datapath flows\n");
    free(s);
}

static void
test_pmd_perf_aligned(void **state)
{
    (void) state;
    char *s = render(ctl_format_pmd_perf,
        "[{\"core\":1,\"packets\":10,\"cycles_per_pkt\":2.5,"
        "\"simple_hit_pct\":0.0,\"emc_hit_pct\":99.5,\"megaflow_hit_pct\":0.5,\"misses\":1,"
        "\"subtable_lookups_per_hit\":1.0,\"upcalls_handled\":1,"
        "\"upcalls_queued\":0,\"upcalls_dropped\":0,"
        "\"cycles_per_miss\":12345.0,\"miss_cycles_hist\":[0,1,2],"
        "\"idle_pct\":90.0,\"megaflows\":1},"
        "{\"core\":13,\"packets\":123456789,\"cycles_per_pkt\":100.25,"
        "\"simple_hit_pct\":97.0,\"emc_hit_pct\":1.0,\"megaflow_hit_pct\":2.0,\"misses\":3,"
        "\"subtable_lookups_per_hit\":4.0,\"upcalls_handled\":5,"
        "\"upcalls_queued\":6,\"upcalls_dropped\":7,"
        "\"cycles_per_miss\":8.0,\"idle_pct\":9.0,\"megaflows\":10}]");
    assert_non_null(strstr(s, "123456789"));
    assert_non_null(strstr(s, "core 1 miss cycles histogram (2^n buckets):"
                              " 0 1 2\n"));
    /* The table part (before the histogram line) is aligned. */
    char *hist = strstr(s, "core 1 miss");
    *hist = '\0';
    assert_column_aligned(s, "CORE", "PACKETS");
    assert_column_aligned(s, "CORE", "SIMPLE%");
    assert_column_aligned(s, "CORE", "MEGAFLOWS");
    free(s);
}

static void
test_trace_output(void **state)
{
    (void) state;
    char *s = render(ctl_format_trace,
        "{\"flow\":\"in_port=1\",\"steps\":[\"table 0: x\","
        "\"    output:2\"],\"datapath_actions\":\"1\","
        "\"megaflow\":\"recirc_id=0x0,in_port=1\"}");
    assert_string_equal(s, "Flow: in_port=1\n\ntable 0: x\n    output:2\n"
                        "\nFinal flow: in_port=1\n"
                        "Megaflow: recirc_id=0x0,in_port=1\n"
                        "Datapath actions: 1\n");
    free(s);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_port_stats_aligned),
        cmocka_unit_test(test_fdb),
        cmocka_unit_test(test_show_tree),
        cmocka_unit_test(test_missing_members_do_not_crash),
        cmocka_unit_test(test_pmd_output),
        cmocka_unit_test(test_dp_flows_aligned),
        cmocka_unit_test(test_pmd_perf_aligned),
        cmocka_unit_test(test_trace_output),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
