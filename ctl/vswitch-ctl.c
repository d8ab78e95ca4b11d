/*
 * vswitch-ctl.c — the command-line client of vswitchd: parses global
 * options, validates the command's arguments locally (ctl_args), sends the
 * request over the unixctl socket (rpc_client) and prints the result as
 * JSON (--json) or human-readable tables (ctl_format). The OpenFlow
 * commands (flows, groups, meters, controllers, trace) are in
 * vswitch-ctl-of.c.
 *
 *   vswitch-ctl [--unixctl=PATH] [--json] [--timeout=SECS] COMMAND [ARGS]
 *
 * Exit status: 0 on success, 1 on any error (one line on stderr).
 * Single-threaded.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "ctl/ctl_args.h"
#include "ctl/ctl_format.h"
#include "ctl/pcap.h"
#include "ctl/rpc_client.h"
#include "ctl/unixctl.h"
#include "ctl/vswitch-ctl.h"
#include "lib/util.h"
#include "vswitch-config.h"

/* Scripts hang forever on a wedged daemon without a bound; generous
 * enough for slow port bring-up (AF_XDP, vhost). */
#define DEFAULT_TIMEOUT_S 60
/* Frames per dummy-inject request when replaying a pcap. */
#define INJECT_BATCH 32
/* Frames per dummy-capture request (the daemon's cap). */
#define CAPTURE_BATCH 1024

/* ---- errors ------------------------------------------------------------- */

int
fail(const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    fputs("vswitch-ctl: ", stderr);
    vfprintf(stderr, fmt, args);
    fputc('\n', stderr);
    va_end(args);
    return 1;
}

/* ---- transport ---------------------------------------------------------- */

int
connect_daemon(const struct client_opts *o, struct ctl_rpc_client **c)
{
    char err[CTL_ERR_LEN];
    if (ctl_rpc_connect(o->unixctl, o->timeout_ms, c, err, sizeof err)) {
        return fail("%s", err);
    }
    return 0;
}

static json_t *
params_from_argv(int argc, char *argv[])
{
    json_t *params = json_array();
    for (int i = 0; i < argc; i++) {
        json_array_append_new(params, json_string(argv[i]));
    }
    return params;
}

/* One request; on success prints the result through 'format'. */
int
run_simple(const struct command *cmd, const struct client_opts *o, int argc,
           char *argv[])
{
    struct ctl_rpc_client *c;
    if (connect_daemon(o, &c)) {
        return 1;
    }
    json_t *result;
    char err[CTL_ERR_LEN];
    int rc = ctl_rpc_call(c, cmd->name, params_from_argv(argc, argv),
                          &result, NULL, err, sizeof err);
    ctl_rpc_close(c);
    if (rc) {
        return fail("%s", err);
    }
    if (o->json) {
        if (!json_is_null(result)) {
            ctl_format_generic(stdout, result);
        }
    } else if (cmd->format) {
        cmd->format(stdout, result);
    }
    json_decref(result);
    return 0;
}

/* ---- client-side validation --------------------------------------------- */

static int
validate_bridge_name(int argc, char *argv[], char *err, size_t errlen)
{
    (void) argc;
    return ctl_args_check_name(argv[0], "bridge", err, errlen);
}

static int
validate_add_port(int argc, char *argv[], char *err, size_t errlen)
{
    int rc = ctl_args_check_name(argv[0], "bridge", err, errlen);
    if (!rc) {
        rc = ctl_args_check_name(argv[1], "port", err, errlen);
    }
    if (!rc) {
        json_t *changes;
        rc = ctl_args_parse_port_settings(argc - 2,
                                          (const char *const *) argv + 2,
                                          CTL_SCOPE_ADD_PORT, &changes, err,
                                          errlen);
        if (!rc) {
            json_decref(changes);
        }
    }
    return rc;
}

static int
validate_set(int argc, char *argv[], char *err, size_t errlen)
{
    enum ctl_settings_scope scope;
    if (!strcasecmp(argv[0], "Interface")) {
        scope = CTL_SCOPE_INTERFACE;
    } else if (!strcasecmp(argv[0], "Port")) {
        scope = CTL_SCOPE_PORT;
    } else {
        snprintf(err, errlen, "unknown table '%s' (expected Interface or "
                 "Port)", argv[0]);
        return -EINVAL;
    }
    json_t *changes;
    int rc = ctl_args_parse_port_settings(argc - 2,
                                          (const char *const *) argv + 2,
                                          scope, &changes, err, errlen);
    if (!rc) {
        json_decref(changes);
    }
    return rc;
}

static int
validate_set_global(int argc, char *argv[], char *err, size_t errlen)
{
    json_t *changes;
    int rc = ctl_args_parse_global(argc, (const char *const *) argv,
                                   &changes, err, errlen);
    if (!rc) {
        json_decref(changes);
    }
    return rc;
}

/* ---- special commands --------------------------------------------------- */

static int
run_version(const struct command *cmd, const struct client_opts *o, int argc,
            char *argv[])
{
    (void) cmd; (void) argc; (void) argv;
    struct ctl_rpc_client *c;
    char err[CTL_ERR_LEN];
    json_t *result = NULL;
    int rc = ctl_rpc_connect(o->unixctl, o->timeout_ms, &c, err, sizeof err);
    if (!rc) {
        rc = ctl_rpc_call(c, "version", NULL, &result, NULL, err, sizeof err);
        ctl_rpc_close(c);
    }
    if (o->json) {
        json_t *out = json_pack("{s:s, s:O}", "client", VSWITCH_VERSION,
                                "daemon", result ? result : json_null());
        ctl_format_generic(stdout, out);
        json_decref(out);
    } else {
        printf("vswitch-ctl %s\n", VSWITCH_VERSION);
        if (!rc) {
            printf("vswitchd %s (%s)\n",
                   json_string_value(json_object_get(result, "version")),
                   json_string_value(json_object_get(result, "dpdk")));
        }
    }
    json_decref(result);
    return rc ? fail("%s", err) : 0;
}

/* dummy-inject PORT HEX | dummy-inject PORT --pcap FILE */
static int
run_dummy_inject(const struct command *cmd, const struct client_opts *o,
                 int argc, char *argv[])
{
    char err[CTL_ERR_LEN];
    const char *pcap_path = NULL;
    if (argc >= 2 && !strcmp(argv[1], "--pcap")) {
        if (argc != 3) {
            return fail("usage: dummy-inject PORT --pcap FILE");
        }
        pcap_path = argv[2];
    } else if (!strncmp(argv[1], "--pcap=", 7) && argc == 2) {
        pcap_path = argv[1] + 7;
    } else {
        for (int i = 1; i < argc; i++) {
            uint8_t *frame;
            size_t len;
            if (ctl_args_parse_hex_frame(argv[i], &frame, &len, err,
                                         sizeof err)) {
                return fail("%s", err);
            }
            free(frame);
        }
        return run_simple(cmd, o, argc, argv);
    }

    struct ctl_pcap_reader r;
    if (ctl_pcap_open_read(pcap_path, &r, err, sizeof err)) {
        return fail("%s", err);
    }
    struct ctl_rpc_client *c;
    if (connect_daemon(o, &c)) {
        ctl_pcap_close_read(&r);
        return 1;
    }
    long total = 0;
    int rc = 0;
    for (bool eof = false; !eof && !rc;) {
        json_t *params = json_pack("[s]", argv[0]);
        int n = 0;
        while (n < INJECT_BATCH) {
            uint8_t *frame;
            size_t len;
            int got = ctl_pcap_read(&r, &frame, &len, err, sizeof err);
            if (got < 0) {
                rc = -1;
                break;
            }
            if (got == 0) {
                eof = true;
                break;
            }
            char *hex = malloc(len * 2 + 1);
            for (size_t i = 0; i < len; i++) {
                snprintf(hex + 2 * i, 3, "%02x", frame[i]);
            }
            json_array_append_new(params, json_string(hex));
            free(hex);
            free(frame);
            n++;
        }
        if (rc || n == 0) {
            json_decref(params);
            break;
        }
        json_t *result;
        if (ctl_rpc_call(c, "dummy-inject", params, &result, NULL, err,
                         sizeof err)) {
            rc = -1;
            break;
        }
        json_decref(result);
        total += n;
    }
    ctl_rpc_close(c);
    ctl_pcap_close_read(&r);
    if (rc) {
        return fail("%s (after injecting %ld frames)", err, total);
    }
    if (o->json) {
        printf("{\"injected\": %ld}\n", total);
    }
    return 0;
}

/* dummy-capture PORT [--max N] [--pcap FILE] */
static int
run_dummy_capture(const struct command *cmd, const struct client_opts *o,
                  int argc, char *argv[])
{
    (void) cmd;
    unsigned long long max = 0;       /* 0 = everything queued */
    const char *pcap_path = NULL;
    for (int i = 1; i < argc; i++) {
        const char *value = NULL;
        if (!strcmp(argv[i], "--max") || !strcmp(argv[i], "--pcap")) {
            if (i + 1 >= argc) {
                return fail("%s needs a value", argv[i]);
            }
            value = argv[i + 1];
        }
        if (!strcmp(argv[i], "--max") || !strncmp(argv[i], "--max=", 6)) {
            value = value ? value : argv[i] + 6;
            if (ctl_args_parse_uint(value, 1, 100000000, &max)) {
                return fail("bad --max '%s' (expected a positive count)",
                            value);
            }
        } else if (!strcmp(argv[i], "--pcap")
                   || !strncmp(argv[i], "--pcap=", 7)) {
            pcap_path = value ? value : argv[i] + 7;
        } else {
            return fail("unexpected argument '%s' (usage: dummy-capture PORT "
                        "[--max N] [--pcap FILE])", argv[i]);
        }
        if (value == argv[i + 1]) {
            i++;
        }
    }

    char err[CTL_ERR_LEN];
    struct ctl_rpc_client *c;
    if (connect_daemon(o, &c)) {
        return 1;
    }
    FILE *pcap = NULL;
    if (pcap_path && !(pcap = ctl_pcap_open_write(pcap_path, err,
                                                   sizeof err))) {
        ctl_rpc_close(c);
        return fail("%s", err);
    }
    json_t *all = json_array();
    unsigned long long got = 0;
    int rc = 0;
    for (;;) {
        unsigned long long want = CAPTURE_BATCH;
        if (max && max - got < want) {
            want = max - got;
        }
        char count[32];
        snprintf(count, sizeof count, "%llu", want);
        json_t *result;
        rc = ctl_rpc_call(c, "dummy-capture", json_pack("[ss]", argv[0],
                                                        count),
                          &result, NULL, err, sizeof err);
        if (rc) {
            break;
        }
        size_t n = json_array_size(result);
        size_t i;
        json_t *hex;
        json_array_foreach(result, i, hex) {
            const char *s = json_string_value(hex);
            if (pcap) {
                uint8_t *frame;
                size_t len;
                char why[CTL_ERR_LEN];
                if (s && !ctl_args_parse_hex_frame(s, &frame, &len, why,
                                                   sizeof why)) {
                    ctl_pcap_write(pcap, frame, len);
                    free(frame);
                }
            } else if (o->json) {
                json_array_append(all, hex);
            } else {
                printf("%s\n", s ? s : "");
            }
        }
        json_decref(result);
        got += n;
        if (n < want || (max && got >= max)) {
            break;
        }
    }
    ctl_rpc_close(c);
    if (pcap && fclose(pcap) != 0 && !rc) {
        snprintf(err, sizeof err, "cannot write %s", pcap_path);
        rc = -EIO;
    }
    if (!rc && o->json) {
        ctl_format_generic(stdout, pcap ? json_pack("{s:I}", "captured",
                                                    (json_int_t) got) : all);
    }
    json_decref(all);
    return rc ? fail("%s", err) : 0;
}

/* ---- command table ------------------------------------------------------ */

static const struct command commands[] = {
    { "add-br", "BR", "create bridge BR", 1, 1, validate_bridge_name,
      NULL, NULL },
    { "del-br", "BR", "delete bridge BR and all its ports", 1, 1, NULL,
      NULL, NULL },
    { "list-br", "", "print the names of all bridges", 0, 0, NULL,
      ctl_format_lines, NULL },
    { "add-port", "BR PORT [-- type=TYPE] [ofport=N] [tag=N] "
      "[trunks=N,...] [vlan_mode=MODE] [options:KEY=VALUE]...",
      "add PORT to bridge BR; TYPE is system (default), dpdk or dummy;\n"
      "        MODE is access, trunk, native-tagged or native-untagged;\n"
      "        dpdk ports need options:dpdk-devargs=DEVARGS",
      2, -1, validate_add_port, NULL, NULL },
    { "del-port", "[BR] PORT", "delete PORT (from BR, if given)", 1, 2, NULL,
      NULL, NULL },
    { "list-ports", "BR", "print the names of the ports of BR", 1, 1, NULL,
      ctl_format_lines, NULL },
    { "show", "", "print an overview of bridges and ports", 0, 0, NULL,
      ctl_format_show, NULL },
    { "set", "Interface|Port PORT KEY=VALUE...",
      "Interface: options:KEY=VALUE; Port: tag=N trunks=N,... "
      "vlan_mode=MODE;\n        an empty VALUE clears the setting",
      3, -1, validate_set, NULL, NULL },
    { "set-global", "KEY=VALUE...",
      "set pmd-cpu-mask=HEX, pmd-max-sleep=USEC, mac-aging-time=SECS,\n"
      "        mac-table-size=N, rxq-assign=roundrobin|cycles,\n"
      "        emc-insert-inv-prob=N (0: no EMC), flow-limit=N, "
      "max-idle=MS,\n        max-revalidator=MS, upcall-rate=N, "
      "upcall-burst=N (empty VALUE = default)", 1, -1, validate_set_global, NULL, NULL },
    { "get-global", "", "print the global settings", 0, 0, NULL,
      ctl_format_global, NULL },
    { "fdb-show", "BR", "print the learned MAC table of BR", 1, 1, NULL,
      ctl_format_fdb, NULL },
    { "fdb-flush", "BR", "forget every learned MAC of BR", 1, 1, NULL,
      NULL, NULL },
    { "port-stats", "[PORT]", "print packet counters of every port or PORT",
      0, 1, NULL, ctl_format_port_stats, NULL },
    { "pmd-stats-show", "", "print PMD worker statistics", 0, 0, NULL,
      ctl_format_pmd_stats, NULL },
    { "pmd-stats-clear", "", "reset PMD worker statistics", 0, 0, NULL,
      NULL, NULL },
    { "pmd-rxq-show", "", "print rx queue placement on PMD workers", 0, 0,
      NULL, ctl_format_pmd_rxq, NULL },
    { "pmd-rxq-rebalance", "", "reassign rx queues to PMD workers now", 0, 0,
      NULL, NULL, NULL },
    { "memory-show", "", "print the memory plan (hugepages, mbufs)", 0, 0,
      NULL, ctl_format_memory, NULL },
    { "version", "", "print client and daemon versions", 0, 0, NULL, NULL,
      run_version },
    { "dummy-inject", "PORT HEX... | PORT --pcap FILE",
      "inject frames (hex or from a pcap file) into dummy PORT", 2, -1,
      NULL, NULL, run_dummy_inject },
    { "dummy-capture", "PORT [--max N] [--pcap FILE]",
      "pop frames sent on dummy PORT; print hex lines or write a pcap",
      1, 5, NULL, NULL, run_dummy_capture },
    { "exit", "", "shut the daemon down", 0, 0, NULL, NULL, NULL },
};

static const struct command *
command_find(const char *name)
{
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        if (!strcmp(commands[i].name, name)) {
            return &commands[i];
        }
    }
    for (size_t i = 0; i < ctl_n_of_commands; i++) {
        if (!strcmp(ctl_of_commands[i].name, name)) {
            return &ctl_of_commands[i];
        }
    }
    return NULL;
}

static void
command_usage(FILE *out, const struct command *cmd)
{
    fprintf(out, "  %s%s%s\n        %s\n", cmd->name, cmd->args[0] ? " " : "",
            cmd->args, cmd->help);
}

static void
usage(FILE *out)
{
    fprintf(out,
            "vswitch-ctl %s — control a running vswitchd\n\n"
            "usage: vswitch-ctl [OPTIONS] COMMAND [ARGS]\n\n"
            "options:\n"
            "  --unixctl=PATH   daemon control socket (default: "
            "$VSWITCH_UNIXCTL,\n"
            "                   else %s/vswitchd.ctl)\n"
            "  --json           print results as JSON\n"
            "  --timeout=SECS   give up after SECS (default %d; 0 = never)\n"
            "  -h, --help       this help; COMMAND --help for one command\n"
            "  -V, --version    print the client version\n\n"
            "commands:\n", VSWITCH_VERSION, VSWITCH_RUNDIR,
            DEFAULT_TIMEOUT_S);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        command_usage(out, &commands[i]);
    }
    fprintf(out, "\nOpenFlow commands (over BR's management socket "
            "<rundir>/BR.mgmt):\n");
    for (size_t i = 0; i < ctl_n_of_commands; i++) {
        command_usage(out, &ctl_of_commands[i]);
    }
}

/* Parses the options before COMMAND; returns the index of COMMAND, or -1
 * after printing an error, or 0 when help/version was printed. */
static int
parse_options(int argc, char *argv[], struct client_opts *o)
{
    int i;
    for (i = 1; i < argc && argv[i][0] == '-'; i++) {
        const char *arg = argv[i];
        const char *value = NULL;
        if (!strcmp(arg, "--unixctl") || !strcmp(arg, "--timeout")) {
            if (i + 1 >= argc) {
                fail("%s needs a value", arg);
                return -1;
            }
            value = argv[++i];
        } else if (!strncmp(arg, "--unixctl=", 10)) {
            value = arg + 10;
        } else if (!strncmp(arg, "--timeout=", 10)) {
            value = arg + 10;
        }
        if (!strncmp(arg, "--unixctl", 9)) {
            o->unixctl = value;
        } else if (!strncmp(arg, "--timeout", 9)) {
            unsigned long long secs;
            if (ctl_args_parse_uint(value, 0, 86400, &secs)) {
                fail("bad --timeout '%s' (expected seconds 0..86400)", value);
                return -1;
            }
            o->timeout_ms = (int) secs * 1000;
        } else if (!strcmp(arg, "--json")) {
            o->json = true;
        } else if (!strcmp(arg, "-h") || !strcmp(arg, "--help")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(arg, "-V") || !strcmp(arg, "--version")) {
            printf("vswitch-ctl %s\n", VSWITCH_VERSION);
            return 0;
        } else {
            fail("unknown option '%s' (try --help)", arg);
            return -1;
        }
    }
    if (i >= argc) {
        fail("missing command (try --help)");
        return -1;
    }
    return i;
}

int
main(int argc, char *argv[])
{
    static char default_path[4096];
    snprintf(default_path, sizeof default_path, "%s/vswitchd.ctl",
             VSWITCH_RUNDIR);
    struct client_opts o = {
        .unixctl = getenv("VSWITCH_UNIXCTL") && *getenv("VSWITCH_UNIXCTL")
                   ? getenv("VSWITCH_UNIXCTL") : default_path,
        .timeout_ms = DEFAULT_TIMEOUT_S * 1000,
    };
    int first = parse_options(argc, argv, &o);
    if (first <= 0) {
        return first == 0 ? 0 : 1;
    }
    const struct command *cmd = command_find(argv[first]);
    if (!cmd) {
        return fail("unknown command '%s' (try --help)", argv[first]);
    }
    int cargc = argc - first - 1;
    char **cargv = argv + first + 1;
    /* "--json" may follow the command too ("dump-flows br0 --json"). */
    int kept = 0;
    for (int i = 0; i < cargc; i++) {
        if (!strcmp(cargv[i], "--json")) {
            o.json = true;
        } else {
            cargv[kept++] = cargv[i];
        }
    }
    cargc = kept;
    for (int i = 0; i < cargc; i++) {
        if (!strcmp(cargv[i], "--help") || !strcmp(cargv[i], "-h")) {
            printf("usage: vswitch-ctl [OPTIONS] %s %s\n", cmd->name,
                   cmd->args);
            printf("  %s\n", cmd->help);
            return 0;
        }
    }
    if (cargc < cmd->min_args
        || (cmd->max_args >= 0 && cargc > cmd->max_args)) {
        return fail("%s arguments for '%s' (usage: %s %s)",
                    cargc < cmd->min_args ? "missing" : "too many",
                    cmd->name, cmd->name, cmd->args);
    }
    if (cmd->validate) {
        char err[CTL_ERR_LEN];
        if (cmd->validate(cargc, cargv, err, sizeof err)) {
            return fail("%s", err);
        }
    }
    return (cmd->run ? cmd->run : run_simple)(cmd, &o, cargc, cargv);
}
