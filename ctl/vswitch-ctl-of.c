/*
 * vswitch-ctl-of.c — vswitch-ctl's OpenFlow commands (Open vSwitch's
 * ovs-ofctl and ovs-vsctl controller commands): the flow, group, meter,
 * table and port commands speak OpenFlow 1.3 to the bridge's management
 * socket "<rundir>/<BR>.mgmt" (located through the daemon's
 * "openflow-socket" command) with ofctl_client, parse their arguments
 * with of_text and print replies as ovs-ofctl does; controller, fail-mode
 * and datapath views go through the unixctl socket.
 *
 * A change command sends its message(s) then a BARRIER and waits for the
 * reply, so on success the change is in effect in the datapath. An
 * OpenFlow ERROR is reported with the text (or file line) that caused it
 * and makes the exit status 1.
 *
 * Single-threaded.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/ctl_args.h"
#include "ctl/ctl_format.h"
#include "ctl/ofctl_client.h"
#include "ctl/unixctl.h"
#include "ctl/vswitch-ctl.h"
#include "flowtable/ft_meter.h"
#include "flowtable/ft_ofp.h"
#include "lib/util.h"
#include "openflow/of_text.h"
#include "openflow/openflow.h"

/* OFPM_ALL (spec 7.3.4.4): every meter. */
#define OFPM_ALL_METERS 0xffffffffu

/* ---- plumbing ------------------------------------------------------------ */

/* The command's flags (--strict, --json) taken out of argv; the rest are
 * positional. Unknown "--" options are refused. */
struct of_args {
    bool strict;
    bool json;
    int n;
    char *pos[8];
};

static int
split_args(const struct command *cmd, int argc, char *argv[],
           struct of_args *a, bool allow_strict)
{
    memset(a, 0, sizeof *a);
    for (int i = 0; i < argc; i++) {
        if (allow_strict && !strcmp(argv[i], "--strict")) {
            a->strict = true;
        } else if (!strcmp(argv[i], "--json")) {
            a->json = true;
        } else if (!strncmp(argv[i], "--", 2)) {
            return fail("unknown option '%s' for '%s' (usage: %s %s)",
                        argv[i], cmd->name, cmd->name, cmd->args);
        } else if (a->n < (int) (sizeof a->pos / sizeof a->pos[0])) {
            a->pos[a->n++] = argv[i];
        }
    }
    return 0;
}

/* split_args() plus the count of positional arguments: 0, or 1 after
 * printing the error. */
static int
get_args(const struct command *cmd, int argc, char *argv[],
         struct of_args *a, bool allow_strict, int min, int max)
{
    if (split_args(cmd, argc, argv, a, allow_strict)) {
        return 1;
    }
    if (a->n < min || a->n > max) {
        return fail("%s arguments for '%s' (usage: %s %s)",
                    a->n < min ? "missing" : "too many", cmd->name,
                    cmd->name, cmd->args);
    }
    return 0;
}

/* Connects to bridge 'br's management socket. 0 or 1 (error printed). */
static int
of_open(const struct client_opts *o, const char *br, struct ofctl_client **c)
{
    struct ctl_rpc_client *rpc;
    if (connect_daemon(o, &rpc)) {
        return 1;
    }
    json_t *result;
    char err[CTL_ERR_LEN];
    int rc = ctl_rpc_call(rpc, "openflow-socket", json_pack("[s]", br),
                          &result, NULL, err, sizeof err);
    ctl_rpc_close(rpc);
    if (rc) {
        return fail("%s", err);
    }
    rc = ofctl_client_open(json_string_value(result), o->timeout_ms, c);
    json_decref(result);
    if (rc) {
        return fail("%s", ofctl_client_open_error());
    }
    return 0;
}

/* Ends a session on 'c': prints the client's error when 'rc' says the
 * exchange failed, closes 'c'. 0, or 1 after an error. */
static int
of_close(struct ofctl_client *c, int rc)
{
    if (rc) {
        fail("%s", ofctl_client_error(c));
    }
    ofctl_client_close(c);
    return rc ? 1 : 0;
}

/* Errors the switch sent for change requests. */
struct mod_errors {
    const char *cmd;
    const char *text;           /* single request: its text */
    const char *file;           /* add-flows: the file; xid = line */
    unsigned int n;
};

static void
on_mod_error(void *aux, uint32_t xid, const struct of_error_msg *e)
{
    struct mod_errors *me = aux;
    char why[128];
    ofctl_error_describe(e, why, sizeof why);
    if (me->file) {
        fprintf(stderr, "vswitch-ctl: %s: %s:%u: the switch refused the "
                "flow: %s\n", me->cmd, me->file, xid, why);
    } else {
        fprintf(stderr, "vswitch-ctl: %s: the switch refused \"%s\": %s\n",
                me->cmd, me->text ? me->text : "", why);
    }
    me->n++;
}

/* Ends a change session on 'c' whose sending returned 'rc': unless that
 * failed, waits (BARRIER) until the changes are in effect; closes 'c'. 0,
 * or 1 when anything failed or the switch refused a change ('me'). */
static int
of_close_after_changes(struct ofctl_client *c, int rc,
                       const struct mod_errors *me)
{
    if (!rc) {
        rc = ofctl_client_barrier(c);
    }
    return of_close(c, rc) || me->n ? 1 : 0;
}

/* Sends one parsed change message and waits for it to take effect. */
static int
send_mod(const struct client_opts *o, const char *br, const char *cmd,
         const char *text, struct of_msg *msg)
{
    struct ofctl_client *c;
    if (of_open(o, br, &c)) {
        return 1;
    }
    struct mod_errors me = { .cmd = cmd, .text = text };
    ofctl_client_set_error_handler(c, on_mod_error, &me);
    return of_close_after_changes(c, ofctl_client_queue(c, msg, 1), &me);
}

typedef int parse_mod_fn(const char *text, uint16_t command,
                         struct of_msg *msg, char *err, size_t err_size);

/* of_text_parse_flow_mod() as a parse_mod_fn (flow commands are 8-bit;
 * the group and meter parsers fit the type as they are). */
static int
flow_parse(const char *text, uint16_t command, struct of_msg *msg, char *err,
           size_t err_size)
{
    return of_text_parse_flow_mod(text, (uint8_t) command, msg, err,
                                  err_size);
}

/* Parses 'text' with 'parse' and sends it. */
static int
parse_and_send(const struct client_opts *o, const char *cmd, const char *br,
               const char *text, parse_mod_fn *parse, uint16_t command)
{
    struct of_msg msg;
    char err[OF_TEXT_ERR_LEN];
    int rc = parse(text, command, &msg, err, sizeof err);
    if (rc) {
        of_msg_uninit(&msg);
        return fail("%s: bad argument \"%s\": %s", cmd, text, err);
    }
    if (err[0]) {
        fprintf(stderr, "vswitch-ctl: %s: %s\n", cmd, err);
    }
    rc = send_mod(o, br, cmd, text, &msg);
    of_msg_uninit(&msg);
    return rc;
}

/* Prints one reply part as ovs-ofctl does (a heading per part). */
static int
print_part(void *aux, struct of_msg *part)
{
    struct of_buf *out = aux;
    of_buf_clear(out);
    int rc = of_text_format_reply(part, out);
    if (!rc && out->len) {
        fwrite(out->data, 1, out->len, stdout);
    }
    of_msg_uninit(part);
    return rc;
}

/* Sends multipart request 'req' to bridge 'br'. With 'cb', hands it the
 * reply parts; without, prints them as ovs-ofctl. 0 or 1 (error
 * printed). */
static int
dump(const struct client_opts *o, const char *br, struct of_msg *req,
     ofctl_part_fn *cb, void *aux)
{
    struct ofctl_client *c;
    if (of_open(o, br, &c)) {
        return 1;
    }
    struct of_buf out;
    of_buf_init(&out);
    int rc = ofctl_client_dump_parts(c, req, cb ? cb : print_part,
                                     cb ? aux : &out);
    of_buf_uninit(&out);
    return of_close(c, rc);
}

/* The whole reply of a small request (PORT_DESC), parts joined. */
static int
dump_joined(const struct client_opts *o, const char *br, struct of_msg *req,
            struct ofctl_reply *reply)
{
    struct ofctl_client *c;
    if (of_open(o, br, &c)) {
        return 1;
    }
    return of_close(c, ofctl_client_dump(c, req, reply));
}

static void
mp_init(struct of_msg *msg, uint16_t type)
{
    of_msg_init(msg, OFPT_MULTIPART_REQUEST, 0);
    msg->multipart.type = type;
}

/* ---- flows ------------------------------------------------------------------ */

/* add-flows: every line encoded first (a bad line sends nothing), then
 * one stream of FLOW_MODs with xid = line number, then one barrier. */
static int
encode_line(struct of_msg *msg, unsigned int line, const char *note,
            void *aux)
{
    struct of_buf *buf = aux;
    if (note[0]) {
        fprintf(stderr, "vswitch-ctl: line %u: %s\n", line, note);
    }
    msg->xid = line;
    return of_msg_encode(msg, buf);
}

static char *
read_file(const char *path, char *err, size_t errlen)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;
    if (!f) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    size_t len = 0, cap = 65536;
    char *text = malloc(cap);
    while (text) {
        size_t n = fread(text + len, 1, cap - len - 1, f);
        len += n;
        if (len + 1 < cap) {
            break;
        }
        cap *= 2;
        char *p = realloc(text, cap);
        if (!p) {
            free(text);
        }
        text = p;
    }
    bool bad = ferror(f);
    if (f != stdin) {
        fclose(f);
    }
    if (!text || bad) {
        free(text);
        snprintf(err, errlen, "cannot read %s", path);
        return NULL;
    }
    text[len] = '\0';
    return text;
}

static int
run_add_flows(const struct command *cmd, const struct client_opts *o,
              int argc, char *argv[])
{
    struct of_args a;
    if (get_args(cmd, argc, argv, &a, false, 2, 2)) {
        return 1;
    }
    char err[CTL_ERR_LEN];
    char *text = read_file(a.pos[1], err, sizeof err);
    if (!text) {
        return fail("%s", err);
    }
    struct of_buf buf;
    of_buf_init(&buf);
    char why[OF_TEXT_ERR_LEN];
    int rc = of_text_parse_lines(text, OF_TEXT_FLOW, FT_OFPFC_ADD,
                                 encode_line, &buf, why, sizeof why);
    free(text);
    if (rc) {
        of_buf_uninit(&buf);
        return why[0] ? fail("%s: %s", a.pos[1], why)
                      : fail("%s: cannot encode a flow: %s", a.pos[1],
                             strerror(-rc));
    }
    struct ofctl_client *c;
    if (of_open(o, a.pos[0], &c)) {
        of_buf_uninit(&buf);
        return 1;
    }
    struct mod_errors me = { .cmd = cmd->name, .file = a.pos[1] };
    ofctl_client_set_error_handler(c, on_mod_error, &me);
    rc = ofctl_client_send_raw(c, buf.data, buf.len);
    of_buf_uninit(&buf);
    return of_close_after_changes(c, rc, &me);
}

/* One flow of a dump as JSON, the text pieces rendered as ovs-ofctl. */
static json_t *
flow_json(const struct of_flow_stats *fs)
{
    struct of_buf match, acts;
    of_buf_init(&match);
    of_buf_init(&acts);
    of_text_format_match(&fs->match, 32768, &match);
    of_text_format_instructions(&fs->instructions, &acts);
    char cookie[32];
    snprintf(cookie, sizeof cookie, "0x%" PRIx64, fs->cookie);
    json_t *j = json_pack("{s:i, s:i, s:f, s:s, s:I, s:I, s:i, s:i, s:i, "
                          "s:s, s:s}", "table", fs->table_id,
                          "priority", fs->priority,
                          "duration", fs->duration_sec
                          + fs->duration_nsec / 1e9,
                          "cookie", cookie, "n_packets",
                          (json_int_t) fs->packet_count, "n_bytes",
                          (json_int_t) fs->byte_count, "idle_timeout",
                          fs->idle_timeout, "hard_timeout",
                          fs->hard_timeout, "flags", fs->flags,
                          "match", match.data ? (char *) match.data : "",
                          "actions", acts.data ? (char *) acts.data : "");
    of_buf_uninit(&match);
    of_buf_uninit(&acts);
    return j;
}

static int
flows_to_json(void *aux, struct of_msg *part)
{
    json_t *flows = aux;
    for (uint32_t i = 0; i < part->multipart.flows.n; i++) {
        json_array_append_new(flows, flow_json(
            &part->multipart.flows.items[i]));
    }
    of_msg_uninit(part);
    return 0;
}

static int
run_dump_flows(const struct command *cmd, const struct client_opts *o,
               int argc, char *argv[])
{
    struct of_args a;
    if (get_args(cmd, argc, argv, &a, false, 1, 2)) {
        return 1;
    }
    struct of_msg req;
    char err[OF_TEXT_ERR_LEN];
    const char *filter = a.n == 2 ? a.pos[1] : "";
    if (of_text_parse_flow_stats_request(filter, OFPMP_FLOW, &req, err,
                                         sizeof err)) {
        of_msg_uninit(&req);
        return fail("%s: bad argument \"%s\": %s", cmd->name, filter, err);
    }
    int rc;
    if (a.json || o->json) {
        json_t *flows = json_array();
        rc = dump(o, a.pos[0], &req, flows_to_json, flows);
        if (!rc) {
            ctl_format_generic(stdout, flows);
        }
        json_decref(flows);
    } else {
        rc = dump(o, a.pos[0], &req, NULL, NULL);
    }
    of_msg_uninit(&req);
    return rc;
}

/* ---- tables and ports ---------------------------------------------------------- */

/* The commands that print the reply to one argument-less multipart
 * request: the request type for each (groups and meters ask for all). */
static const struct dump_command {
    const char *name;
    uint16_t type;
} dump_commands[] = {
    { "dump-tables", OFPMP_TABLE },
    { "dump-ports-desc", OFPMP_PORT_DESC },
    { "dump-groups", OFPMP_GROUP_DESC },
    { "dump-group-stats", OFPMP_GROUP },
    { "dump-meters", OFPMP_METER_CONFIG },
    { "meter-stats", OFPMP_METER },
};

/* dump-tables, dump-ports-desc, dump-groups, dump-group-stats,
 * dump-meters, meter-stats: BR only. */
static int
run_dump_simple(const struct command *cmd, const struct client_opts *o,
                int argc, char *argv[])
{
    const struct dump_command *dc = NULL;
    for (size_t i = 0; !dc && i < ARRAY_SIZE(dump_commands); i++) {
        if (!strcmp(dump_commands[i].name, cmd->name)) {
            dc = &dump_commands[i];
        }
    }
    if (!dc) {
        return fail("'%s' is not a dump command", cmd->name);
    }
    struct of_args a;
    if (get_args(cmd, argc, argv, &a, false, 1, 1)) {
        return 1;
    }
    uint16_t type = dc->type;
    struct of_msg req;
    mp_init(&req, type);
    if (type == OFPMP_GROUP) {
        req.multipart.id_request.id = OFPG_ALL;
    } else if (type == OFPMP_METER || type == OFPMP_METER_CONFIG) {
        req.multipart.id_request.id = OFPM_ALL_METERS;
    }
    return dump(o, a.pos[0], &req, NULL, NULL);
}

/* The OpenFlow number of port 'spec': a number, LOCAL, or a port name
 * looked up in the bridge's PORT_DESC. */
static int
resolve_port(const struct client_opts *o, const char *br, const char *spec,
             uint32_t *port_no)
{
    unsigned long long v;
    if (!ctl_args_parse_uint(spec, 1, 0xffffff00, &v)) {
        *port_no = (uint32_t) v;
        return 0;
    }
    if (!strcmp(spec, "LOCAL")) {
        *port_no = OFPP_LOCAL;
        return 0;
    }
    struct of_msg req;
    mp_init(&req, OFPMP_PORT_DESC);
    struct ofctl_reply reply;
    if (dump_joined(o, br, &req, &reply)) {
        return 1;
    }
    int rc = 1;
    for (uint32_t i = 0; i < reply.msg.multipart.ports.n; i++) {
        if (!strcmp(reply.msg.multipart.ports.items[i].name, spec)) {
            *port_no = reply.msg.multipart.ports.items[i].port_no;
            rc = 0;
        }
    }
    ofctl_reply_free(&reply);
    return rc ? fail("bridge '%s' has no port '%s'", br, spec) : 0;
}

static int
run_dump_ports(const struct command *cmd, const struct client_opts *o,
               int argc, char *argv[])
{
    struct of_args a;
    if (get_args(cmd, argc, argv, &a, false, 1, 2)) {
        return 1;
    }
    struct of_msg req;
    mp_init(&req, OFPMP_PORT_STATS);
    req.multipart.port_queue.port_no = OFPP_ANY;
    if (a.n == 2 && resolve_port(o, a.pos[0], a.pos[1],
                                 &req.multipart.port_queue.port_no)) {
        return 1;
    }
    return dump(o, a.pos[0], &req, NULL, NULL);
}

/* ---- change commands: flows, groups, meters ---------------------------- */

/* How each change command turns its arguments into a message: the text
 * (BR's next argument; 'default_text' when absent, NULL: required) parsed
 * by 'parse' as OpenFlow 'command', or as 'strict_command' under
 * --strict for the commands that take it. */
static const struct change_command {
    const char *name;
    parse_mod_fn *parse;
    uint16_t command;
    bool takes_strict;
    uint16_t strict_command;
    const char *default_text;
} change_commands[] = {
    { "add-flow", flow_parse, FT_OFPFC_ADD, false, 0, NULL },
    { "mod-flows", flow_parse, FT_OFPFC_MODIFY, true, FT_OFPFC_MODIFY_STRICT,
      NULL },
    { "del-flows", flow_parse, FT_OFPFC_DELETE, true, FT_OFPFC_DELETE_STRICT,
      "" },
    { "add-group", of_text_parse_group_mod, FT_OFPGC_ADD, false, 0, NULL },
    { "mod-group", of_text_parse_group_mod, FT_OFPGC_MODIFY, false, 0,
      NULL },
    { "del-groups", of_text_parse_group_mod, FT_OFPGC_DELETE, false, 0,
      "group_id=all" },
    { "add-meter", of_text_parse_meter_mod, FT_OFPMC_ADD, false, 0, NULL },
    { "mod-meter", of_text_parse_meter_mod, FT_OFPMC_MODIFY, false, 0,
      NULL },
    { "del-meters", of_text_parse_meter_mod, FT_OFPMC_DELETE, false, 0,
      "meter=all" },
};

/* add-flow, mod-flows, del-flows, add-group ... del-meters: BR TEXT. */
static int
run_change(const struct command *cmd, const struct client_opts *o,
           int argc, char *argv[])
{
    const struct change_command *cc = NULL;
    for (size_t i = 0; !cc && i < ARRAY_SIZE(change_commands); i++) {
        if (!strcmp(change_commands[i].name, cmd->name)) {
            cc = &change_commands[i];
        }
    }
    if (!cc) {
        return fail("'%s' is not a change command", cmd->name);
    }
    struct of_args a;
    if (get_args(cmd, argc, argv, &a, cc->takes_strict,
                 cc->default_text ? 1 : 2, 2)) {
        return 1;
    }
    return parse_and_send(o, cmd->name, a.pos[0],
                          a.n == 2 ? a.pos[1] : cc->default_text, cc->parse,
                          a.strict ? cc->strict_command : cc->command);
}

/* ---- unixctl-backed ----------------------------------------------------------- */

static int
validate_set_controller(int argc, char *argv[], char *err, size_t errlen)
{
    int rc = ctl_args_check_name(argv[0], "bridge", err, errlen);
    for (int i = 1; !rc && i < argc; i++) {
        rc = ctl_args_check_controller_target(argv[i], err, errlen);
    }
    return rc;
}

static int
validate_fail_mode(int argc, char *argv[], char *err, size_t errlen)
{
    (void) argc;
    if (strcmp(argv[1], "standalone") && strcmp(argv[1], "secure")) {
        snprintf(err, errlen, "bad fail mode '%s' (expected standalone or "
                 "secure)", argv[1]);
        return -EINVAL;
    }
    return 0;
}

const struct command ctl_of_commands[] = {
    { "set-controller", "BR TARGET...",
      "make BR connect to (or listen for) the OpenFlow controllers TARGET:\n"
      "        tcp:IP[:PORT] ssl:IP[:PORT] unix:PATH ptcp:[PORT][:IP]\n"
      "        pssl:[PORT][:IP] punix:PATH (replaces the previous set)",
      2, -1, validate_set_controller, NULL, NULL },
    { "del-controller", "BR", "remove every controller of BR", 1, 1, NULL,
      NULL, NULL },
    { "get-controller", "BR", "print the controllers of BR", 1, 1, NULL,
      ctl_format_lines, NULL },
    { "set-fail-mode", "BR standalone|secure",
      "without a controller, standalone forwards with NORMAL (flow\n"
      "        priority=0 actions=NORMAL), secure forwards by flows only",
      2, 2, validate_fail_mode, NULL, NULL },
    { "get-fail-mode", "BR", "print the fail mode set for BR (if any)", 1,
      1, NULL, ctl_format_optional_string, NULL },
    { "del-fail-mode", "BR", "clear the fail mode of BR (standalone)", 1, 1,
      NULL, NULL, NULL },
    { "add-flow", "BR FLOW", "add a flow (ovs-ofctl syntax) to BR", 2, 2,
      NULL, NULL, run_change },
    { "add-flows", "BR FILE",
      "add the flows of FILE (one a line, '-' for stdin) to BR", 2, 2,
      NULL, NULL, run_add_flows },
    { "mod-flows", "BR FLOW [--strict]",
      "change the actions of the flows matching FLOW", 2, 3, NULL, NULL,
      run_change },
    { "del-flows", "BR [FLOW] [--strict]",
      "delete the flows matching FLOW (all without FLOW)", 1, 3, NULL, NULL,
      run_change },
    { "dump-flows", "BR [FLOW] [--json]",
      "print the flows of BR (matching FLOW) as ovs-ofctl", 1, 3, NULL, NULL,
      run_dump_flows },
    { "dump-tables", "BR", "print the table statistics of BR", 1, 1, NULL,
      NULL, run_dump_simple },
    { "dump-ports", "BR [PORT]", "print the port statistics of BR", 1, 2,
      NULL, NULL, run_dump_ports },
    { "dump-ports-desc", "BR", "print the OpenFlow ports of BR", 1, 1, NULL,
      NULL, run_dump_simple },
    { "add-group", "BR GROUP", "add a group (ovs-ofctl syntax) to BR", 2, 2,
      NULL, NULL, run_change },
    { "mod-group", "BR GROUP", "change a group of BR", 2, 2, NULL, NULL,
      run_change },
    { "del-groups", "BR [GROUP]", "delete a group (all without GROUP)", 1, 2,
      NULL, NULL, run_change },
    { "dump-groups", "BR", "print the groups of BR", 1, 1, NULL, NULL,
      run_dump_simple },
    { "dump-group-stats", "BR", "print the group statistics of BR", 1, 1,
      NULL, NULL, run_dump_simple },
    { "add-meter", "BR METER", "add a meter (ovs-ofctl syntax) to BR", 2, 2,
      NULL, NULL, run_change },
    { "mod-meter", "BR METER", "change a meter of BR", 2, 2, NULL, NULL,
      run_change },
    { "del-meters", "BR [METER]", "delete a meter (all without METER)", 1, 2,
      NULL, NULL, run_change },
    { "dump-meters", "BR", "print the meters of BR", 1, 1, NULL, NULL,
      run_dump_simple },
    { "meter-stats", "BR", "print the meter statistics of BR", 1, 1, NULL,
      NULL, run_dump_simple },
    { "dump-dp-flows", "[BR]", "print the datapath's megaflows", 0, 1, NULL,
      ctl_format_dp_flows, NULL },
    { "pmd-perf-show", "", "print PMD fast-path performance figures", 0, 0,
      NULL, ctl_format_pmd_perf, NULL },
    { "trace", "BR FLOW",
      "show how BR's pipeline handles a packet with FLOW's fields\n"
      "        (in_port required), and the megaflow it would install",
      2, 2, NULL, ctl_format_trace, NULL },
};
const size_t ctl_n_of_commands = sizeof ctl_of_commands
                                 / sizeof ctl_of_commands[0];
