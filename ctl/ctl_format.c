/*
 * ctl_format.c — human-readable rendering of daemon results for vswitch-ctl
 * (see ctl_format.h). Single-threaded.
 */
#include "ctl/ctl_format.h"

#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* Renders a scalar member as text into 'buf' ("-" when absent). */
static const char *
member_text(const json_t *obj, const char *key, char *buf, size_t size)
{
    json_t *v = json_object_get(obj, key);
    if (json_is_string(v)) {
        snprintf(buf, size, "%s", json_string_value(v));
    } else if (json_is_integer(v)) {
        snprintf(buf, size, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    } else if (json_is_real(v)) {
        snprintf(buf, size, "%.2f", json_real_value(v));
    } else if (json_is_boolean(v)) {
        snprintf(buf, size, "%s", json_is_true(v) ? "true" : "false");
    } else {
        snprintf(buf, size, "-");
    }
    return buf;
}

static double
member_number(const json_t *obj, const char *key)
{
    return json_number_value(json_object_get(obj, key));
}

void
ctl_format_generic(FILE *out, const json_t *result)
{
    if (!result || json_is_null(result)) {
        return;
    }
    char *s = json_dumps(result, JSON_INDENT(2) | JSON_ENCODE_ANY);
    if (s) {
        fprintf(out, "%s\n", s);
        free(s);
    }
}

void
ctl_format_lines(FILE *out, const json_t *result)
{
    size_t i;
    json_t *v;
    json_array_foreach(result, i, v) {
        fprintf(out, "%s\n", json_string_value(v) ? json_string_value(v)
                : "?");
    }
}

/* {k="v", k2="v2"} as ovs-vsctl shows maps. */
static void
print_map(FILE *out, const json_t *map)
{
    fputc('{', out);
    const char *key;
    json_t *value;
    bool first = true;
    json_object_foreach((json_t *) map, key, value) {
        fprintf(out, "%s%s=\"%s\"", first ? "" : ", ", key,
                json_string_value(value) ? json_string_value(value) : "");
        first = false;
    }
    fputc('}', out);
}

static void
print_trunks(FILE *out, const json_t *trunks)
{
    fputc('[', out);
    size_t i;
    json_t *v;
    json_array_foreach(trunks, i, v) {
        fprintf(out, "%s%" JSON_INTEGER_FORMAT, i ? ", " : "",
                json_integer_value(v));
    }
    fputc(']', out);
}

void
ctl_format_show(FILE *out, const json_t *result)
{
    char buf[256];
    fprintf(out, "vswitchd %s\n",
            member_text(result, "version", buf, sizeof buf));
    size_t i;
    json_t *bridge;
    json_array_foreach(json_object_get(result, "bridges"), i, bridge) {
        fprintf(out, "    Bridge %s\n",
                member_text(bridge, "name", buf, sizeof buf));
        size_t j;
        json_t *port;
        json_array_foreach(json_object_get(bridge, "ports"), j, port) {
            fprintf(out, "        Port %s\n",
                    member_text(port, "name", buf, sizeof buf));
            if (json_object_get(port, "tag")) {
                fprintf(out, "            tag: %s\n",
                        member_text(port, "tag", buf, sizeof buf));
            }
            json_t *trunks = json_object_get(port, "trunks");
            if (json_array_size(trunks)) {
                fprintf(out, "            trunks: ");
                print_trunks(out, trunks);
                fputc('\n', out);
            }
            if (json_object_get(port, "vlan_mode")) {
                fprintf(out, "            vlan_mode: %s\n",
                        member_text(port, "vlan_mode", buf, sizeof buf));
            }
            fprintf(out, "            Interface %s\n",
                    member_text(port, "name", buf, sizeof buf));
            fprintf(out, "                type: %s\n",
                    member_text(port, "type", buf, sizeof buf));
            fprintf(out, "                ofport: %s\n",
                    member_text(port, "ofport", buf, sizeof buf));
            json_t *options = json_object_get(port, "options");
            if (json_object_size(options)) {
                fprintf(out, "                options: ");
                print_map(out, options);
                fputc('\n', out);
            }
            static const char *const live[][2] = {
                { "link", "link_state" }, { "mac", "mac_in_use" },
                { "mtu", "mtu" }, { "n_rxq", "n_rxq" },
                { "driver", "driver" }, { "mode", "mode" },
            };
            for (size_t k = 0; k < sizeof live / sizeof live[0]; k++) {
                if (json_object_get(port, live[k][0])) {
                    fprintf(out, "                %s: %s\n", live[k][1],
                            member_text(port, live[k][0], buf, sizeof buf));
                }
            }
            if (json_object_get(port, "error")) {
                fprintf(out, "                error: \"%s\"\n",
                        member_text(port, "error", buf, sizeof buf));
            }
        }
    }
}

void
ctl_format_global(FILE *out, const json_t *result)
{
    if (!json_object_size(result)) {
        fprintf(out, "(no global settings; defaults apply)\n");
        return;
    }
    const char *key;
    json_t *value;
    json_object_foreach((json_t *) result, key, value) {
        fprintf(out, "%s=%s\n", key, json_string_value(value)
                ? json_string_value(value) : "?");
    }
}

/* Width of the widest 'key' text among the array's objects, at least
 * 'min'. */
static int
column_width(const json_t *rows, const char *key, int min)
{
    int w = min;
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row) {
        char buf[256];
        int len = (int) strlen(member_text(row, key, buf, sizeof buf));
        if (len > w) {
            w = len;
        }
    }
    return w;
}

void
ctl_format_fdb(FILE *out, const json_t *result)
{
    int pw = column_width(result, "port", 5);
    fprintf(out, " %*s  VLAN  MAC                Age\n", pw, "port");
    size_t i;
    json_t *e;
    json_array_foreach(result, i, e) {
        char port[256], vlan[32], mac[64], age[32];
        fprintf(out, " %*s  %4s  %-17s  %3s\n", pw,
                member_text(e, "port", port, sizeof port),
                member_text(e, "vlan", vlan, sizeof vlan),
                member_text(e, "mac", mac, sizeof mac),
                member_text(e, "age", age, sizeof age));
    }
}

void
ctl_format_port_stats(FILE *out, const json_t *result)
{
    static const struct {
        const char *key, *title;
    } cols[] = {
        { "rx_packets", "rx pkts" }, { "rx_bytes", "rx bytes" },
        { "rx_dropped", "rx drop" }, { "rx_errors", "rx err" },
        { "tx_packets", "tx pkts" }, { "tx_bytes", "tx bytes" },
        { "tx_dropped", "tx drop" }, { "tx_errors", "tx err" },
    };
    enum { N_COLS = sizeof cols / sizeof cols[0] };
    int pw = column_width(result, "port", 4);
    int w[N_COLS];
    for (int c = 0; c < N_COLS; c++) {
        w[c] = column_width(result, cols[c].key, (int) strlen(cols[c].title));
    }
    fprintf(out, "%-*s", pw, "port");
    for (int c = 0; c < N_COLS; c++) {
        fprintf(out, "  %*s", w[c], cols[c].title);
    }
    fputc('\n', out);
    size_t i;
    json_t *row;
    json_array_foreach(result, i, row) {
        char buf[256];
        fprintf(out, "%-*s", pw, member_text(row, "port", buf, sizeof buf));
        for (int c = 0; c < N_COLS; c++) {
            fprintf(out, "  %*s", w[c],
                    member_text(row, cols[c].key, buf, sizeof buf));
        }
        fputc('\n', out);
    }
}

void
ctl_format_pmd_stats(FILE *out, const json_t *result)
{
    if (!json_array_size(result)) {
        fprintf(out, "no PMD threads (set pmd-cpu-mask and add ports)\n");
        return;
    }
    size_t i;
    json_t *pmd;
    json_array_foreach(result, i, pmd) {
        char core[32], numa[32], buf[64];
        fprintf(out, "pmd thread numa_id %s core_id %s:\n",
                member_text(pmd, "numa", numa, sizeof numa),
                member_text(pmd, "core", core, sizeof core));
        fprintf(out, "  packets received: %s\n",
                member_text(pmd, "packets", buf, sizeof buf));
        fprintf(out, "  rx batches: %s\n",
                member_text(pmd, "rx_batches", buf, sizeof buf));
        fprintf(out, "  avg. packets per rx batch: %.2f\n",
                member_number(pmd, "avg_batch"));
        fprintf(out, "  packets sent: %s\n",
                member_text(pmd, "tx_packets", buf, sizeof buf));
        fprintf(out, "  packets dropped: %s\n",
                member_text(pmd, "dropped", buf, sizeof buf));
        double busy = member_number(pmd, "busy_cycles");
        double idle = member_number(pmd, "idle_cycles");
        double total = busy + idle;
        fprintf(out, "  idle cycles: %.0f (%.2f %%)\n", idle,
                total > 0 ? 100.0 * idle / total : 0.0);
        fprintf(out, "  processing cycles: %.0f (%.2f %%)\n", busy,
                total > 0 ? 100.0 * busy / total : 0.0);
        fprintf(out, "  avg cycles per packet: %.2f\n",
                member_number(pmd, "cycles_per_pkt"));
        fprintf(out, "  sleep time: %s us\n",
                member_text(pmd, "sleep_us", buf, sizeof buf));
        json_t *rxqs = json_object_get(pmd, "rxqs");
        if (json_is_integer(rxqs)) {
            fprintf(out, "  rx queues: %" JSON_INTEGER_FORMAT "\n",
                    json_integer_value(rxqs));
        }
        /* Counters a newer datapath adds (cache hits, upcalls...) still
         * show up, under their JSON names. */
        static const char *const shown[] = {
            "core", "numa", "packets", "rx_batches", "avg_batch",
            "tx_packets", "dropped", "busy_cycles", "idle_cycles",
            "busy_pct", "cycles_per_pkt", "sleep_us", "rxqs",
        };
        const char *key;
        json_t *value;
        json_object_foreach((json_t *) pmd, key, value) {
            bool known = false;
            for (size_t k = 0; k < sizeof shown / sizeof shown[0]; k++) {
                known |= !strcmp(key, shown[k]);
            }
            if (!known && (json_is_number(value) || json_is_string(value))) {
                fprintf(out, "  %s: %s\n", key,
                        member_text(pmd, key, buf, sizeof buf));
            }
        }
    }
}

void
ctl_format_pmd_rxq(FILE *out, const json_t *result)
{
    if (!json_array_size(result)) {
        fprintf(out, "no PMD threads (set pmd-cpu-mask and add ports)\n");
        return;
    }
    /* One port column width across all workers keeps the table aligned. */
    int pw = 4;
    size_t i;
    json_t *pmd;
    json_array_foreach(result, i, pmd) {
        int w = column_width(json_object_get(pmd, "rxqs"), "port", 4);
        pw = w > pw ? w : pw;
    }
    json_array_foreach(result, i, pmd) {
        char core[32], numa[32];
        fprintf(out, "pmd thread numa_id %s core_id %s:\n",
                member_text(pmd, "numa", numa, sizeof numa),
                member_text(pmd, "core", core, sizeof core));
        fprintf(out, "  isolated : %s\n",
                json_is_true(json_object_get(pmd, "isolated"))
                ? "true" : "false");
        size_t j;
        json_t *q;
        json_array_foreach(json_object_get(pmd, "rxqs"), j, q) {
            char port[256], queue[32];
            json_t *enabled = json_object_get(q, "enabled");
            fprintf(out, "  port: %-*s  queue-id: %2s %-10s  pmd usage: "
                    "%3.0f %%\n", pw,
                    member_text(q, "port", port, sizeof port),
                    member_text(q, "queue", queue, sizeof queue),
                    !enabled || json_is_true(enabled) ? "(enabled)"
                    : "(disabled)",
                    member_number(q, "usage_pct"));
        }
    }
}

void
ctl_format_memory(FILE *out, const json_t *result)
{
    const char *key;
    json_t *value;
    int w = 0;
    json_object_foreach((json_t *) result, key, value) {
        int len = (int) strlen(key);
        w = len > w ? len : w;
    }
    json_object_foreach((json_t *) result, key, value) {
        char buf[256];
        fprintf(out, "%-*s  %s\n", w + 1, key,
                member_text(result, key, buf, sizeof buf));
    }
}

/* ---- aligned tables ------------------------------------------------------ */

static void
print_cell(FILE *out, const char *text, size_t width, bool last)
{
    if (last) {
        fprintf(out, "%s\n", text);
    } else {
        fprintf(out, "%-*s  ", (int) width, text);
    }
}

/* Prints the members 'keys' of every object in 'rows' under 'heads', each
 * column as wide as its widest cell; the last column is not padded (it
 * holds free text: matches, actions). */
static void
print_table(FILE *out, const json_t *rows, const char *const *heads,
            const char *const *keys, size_t n_cols)
{
    size_t width[16] = { 0 };
    char buf[4096];
    for (size_t c = 0; c < n_cols; c++) {
        width[c] = strlen(heads[c]);
    }
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row) {
        for (size_t c = 0; c < n_cols; c++) {
            size_t w = strlen(member_text(row, keys[c], buf, sizeof buf));
            width[c] = w > width[c] ? w : width[c];
        }
    }
    for (size_t c = 0; c < n_cols; c++) {
        print_cell(out, heads[c], width[c], c + 1 == n_cols);
    }
    json_array_foreach(rows, i, row) {
        for (size_t c = 0; c < n_cols; c++) {
            member_text(row, keys[c], buf, sizeof buf);
            print_cell(out, buf, width[c], c + 1 == n_cols);
        }
    }
}

void
ctl_format_dp_flows(FILE *out, const json_t *result)
{
    if (!json_array_size(result)) {
        fprintf(out, "no datapath flows\n");
        return;
    }
    /* "used" as Open vSwitch shows it: seconds ago, or never. */
    json_t *rows = json_deep_copy(result);
    size_t i;
    json_t *row;
    json_array_foreach(rows, i, row) {
        json_int_t used = json_integer_value(json_object_get(row, "used_ms"));
        char text[32];
        if (!json_is_integer(json_object_get(row, "used_ms")) || used < 0) {
            snprintf(text, sizeof text, "never");
        } else {
            snprintf(text, sizeof text, "%.3fs", used / 1000.0);
        }
        json_object_set_new(row, "used", json_string(text));
    }
    static const char *const heads[] = {
        "BRIDGE", "PMD", "IN_PORT", "PACKETS", "BYTES", "USED", "MATCH",
        "ACTIONS",
    };
    static const char *const keys[] = {
        "bridge", "pmd", "in_port", "packets", "bytes", "used", "match",
        "actions",
    };
    /* Match and actions are free text of any length: the last two
     * columns, only the match padded. */
    size_t n = sizeof heads / sizeof heads[0];
    print_table(out, rows, heads, keys, n);
    json_decref(rows);
}

void
ctl_format_pmd_perf(FILE *out, const json_t *result)
{
    if (!json_array_size(result)) {
        fprintf(out, "no PMD threads (set pmd-cpu-mask and add ports)\n");
        return;
    }
    static const char *const heads[] = {
        "CORE", "PACKETS", "CYC/PKT", "SIMPLE%", "EMC%", "MEGAFLOW%",
        "MISSES",
        "LOOKUPS/HIT", "UPCALLS", "QUEUED", "DROPPED", "CYC/MISS", "IDLE%",
        "MEGAFLOWS",
    };
    static const char *const keys[] = {
        "core", "packets", "cycles_per_pkt", "simple_hit_pct",
        "emc_hit_pct", "megaflow_hit_pct", "misses",
        "subtable_lookups_per_hit",
        "upcalls_handled", "upcalls_queued", "upcalls_dropped",
        "cycles_per_miss", "idle_pct", "megaflows",
    };
    print_table(out, result, heads, keys, sizeof heads / sizeof heads[0]);
    /* The miss-cost histogram: one line per worker, power-of-two
     * buckets of cycles. */
    size_t i;
    json_t *pmd;
    json_array_foreach(result, i, pmd) {
        json_t *hist = json_object_get(pmd, "miss_cycles_hist");
        if (!json_array_size(hist)) {
            continue;
        }
        char core[32];
        fprintf(out, "core %s miss cycles histogram (2^n buckets):",
                member_text(pmd, "core", core, sizeof core));
        size_t j;
        json_t *v;
        json_array_foreach(hist, j, v) {
            fprintf(out, " %" JSON_INTEGER_FORMAT, json_integer_value(v));
        }
        fputc('\n', out);
    }
}

void
ctl_format_trace(FILE *out, const json_t *result)
{
    char buf[4096];
    fprintf(out, "Flow: %s\n\n",
            member_text(result, "flow", buf, sizeof buf));
    size_t i;
    json_t *line;
    json_array_foreach(json_object_get(result, "steps"), i, line) {
        fprintf(out, "%s\n", json_string_value(line));
    }
    if (json_object_get(result, "error")) {
        fprintf(out, "\nTranslation failed: %s\n",
                member_text(result, "error", buf, sizeof buf));
    }
    fprintf(out, "\nFinal flow: %s\n",
            member_text(result, "flow", buf, sizeof buf));
    fprintf(out, "Megaflow: %s\n",
            member_text(result, "megaflow", buf, sizeof buf));
    fprintf(out, "Datapath actions: %s\n",
            member_text(result, "datapath_actions", buf, sizeof buf));
}

void
ctl_format_optional_string(FILE *out, const json_t *result)
{
    if (json_is_string(result)) {
        fprintf(out, "%s\n", json_string_value(result));
    }
}
