/*
 * bridge_ofcmds.c — vswitchd's OpenFlow-related unixctl commands:
 * controllers and fail mode (persisted in the config store, as Open
 * vSwitch's Bridge table columns "controller" and "fail_mode"), the
 * management socket lookup for vswitch-ctl's OpenFlow client, and the
 * datapath views: dump-dp-flows, pmd-perf-show and trace.
 *
 * Mutating commands follow bridge.c's pattern: validate, apply, save; a
 * failed save puts the running state back.
 *
 * Threads: main thread only.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl/bridge_private.h"
#include "ctl/config_store.h"
#include "ctl/ctl_args.h"
#include "ctl/unixctl.h"
#include "datapath/datapath.h"
#include "flowtable/ft_dpact.h"
#include "flowtable/ft_key.h"
#include "flowtable/ft_xlate.h"
#include "lib/log.h"
#include "lib/timeval.h"
#include "openflow/of_ft.h"
#include "openflow/of_text.h"

#define MOD "bridge"

/* The saved configuration of bridge 'name' in '*bridge' (borrowed from
 * the running document). 0 or -ENOENT. */
static int
find_bridge_config(const char *name, json_t **bridge, char *err,
                   size_t errlen)
{
    *bridge = ctl_config_bridge(ctl_bridge_doc(), name);
    if (!*bridge) {
        snprintf(err, errlen, "unknown bridge '%s'", name);
        return -ENOENT;
    }
    return 0;
}

/* Column 'column' of bridge 'name''s saved configuration in '*value'
 * (borrowed; NULL when the column is unset). 0 or -ENOENT. */
static int
get_bridge_column(const char *name, const char *column, json_t **value,
                  char *err, size_t errlen)
{
    json_t *bridge;
    int rc = find_bridge_config(name, &bridge, err, errlen);
    *value = rc ? NULL : json_object_get(bridge, column);
    return rc;
}

static int
find_ofbridge(const char *name, struct ctl_ofbridge **ob, char *err,
              size_t errlen)
{
    json_t *bridge;
    int rc = find_bridge_config(name, &bridge, err, errlen);
    if (rc) {
        return rc;
    }
    *ob = ctl_bridge_ofbridge(name);
    if (!*ob) {
        snprintf(err, errlen, "bridge '%s' has no OpenFlow switch (see the "
                 "daemon's log)", name);
        return -ENODEV;
    }
    return 0;
}

/* Saves column 'column' of bridge 'bname' as 'value' (taking its
 * reference; NULL removes the column). 0 or -errno. */
static int
commit_bridge_column(const char *bname, const char *column, json_t *value,
                     char *err, size_t errlen)
{
    json_t *newdoc = json_deep_copy(ctl_bridge_doc());
    json_t *nb = ctl_config_bridge(newdoc, bname);
    if (value) {
        json_object_set_new(nb, column, value);
    } else {
        json_object_del(nb, column);
    }
    return ctl_bridge_commit(newdoc, err, errlen);
}

/* Applies 'targets' to the running bridge and saves them (an empty list
 * removes the column). On failure the previous targets run again. */
static int
controllers_change(const char *bname, struct ctl_ofbridge *ob,
                   const char *const *targets, size_t n, char *err,
                   size_t errlen)
{
    json_t *bridge = ctl_config_bridge(ctl_bridge_doc(), bname);
    json_t *old = json_incref(json_object_get(bridge, "controller"));
    int rc = ctl_ofbridge_set_controllers(ob, targets, n, err, errlen);
    if (!rc) {
        json_t *list = NULL;
        if (n) {
            list = json_array();
            for (size_t i = 0; i < n; i++) {
                json_array_append_new(list, json_string(targets[i]));
            }
        }
        rc = commit_bridge_column(bname, "controller", list, err, errlen);
    }
    if (rc) {
        size_t n_old = json_array_size(old);
        const char **prev = calloc(n_old + 1, sizeof *prev);
        for (size_t i = 0; prev && i < n_old; i++) {
            prev[i] = json_string_value(json_array_get(old, i));
        }
        char why[CTL_ERR_LEN];
        ctl_ofbridge_set_controllers(ob, prev, prev ? n_old : 0, why,
                                     sizeof why);
        free(prev);
    } else {
        VLOG_INFO(MOD, "bridge %s: controllers set (%zu)", bname, n);
    }
    json_decref(old);
    return rc;
}

/* set-controller BR TARGET... */
static int
cmd_set_controller(int argc, const char *const argv[], void *aux,
                   json_t **result, char *err, size_t errlen)
{
    (void) aux; (void) result;
    struct ctl_ofbridge *ob;
    int rc = find_ofbridge(argv[0], &ob, err, errlen);
    for (int i = 1; !rc && i < argc; i++) {
        rc = ctl_args_check_controller_target(argv[i], err, errlen);
        for (int j = 1; !rc && j < i; j++) {
            if (!strcmp(argv[i], argv[j])) {
                snprintf(err, errlen, "controller target '%s' given twice",
                         argv[i]);
                rc = -EINVAL;
            }
        }
    }
    if (!rc) {
        rc = controllers_change(argv[0], ob, argv + 1, (size_t) argc - 1,
                                err, errlen);
    }
    return rc;
}

static int
cmd_del_controller(int argc, const char *const argv[], void *aux,
                   json_t **result, char *err, size_t errlen)
{
    (void) argc; (void) aux; (void) result;
    struct ctl_ofbridge *ob;
    int rc = find_ofbridge(argv[0], &ob, err, errlen);
    return rc ? rc : controllers_change(argv[0], ob, NULL, 0, err, errlen);
}

static int
cmd_get_controller(int argc, const char *const argv[], void *aux,
                   json_t **result, char *err, size_t errlen)
{
    (void) argc; (void) aux;
    json_t *list;
    int rc = get_bridge_column(argv[0], "controller", &list, err, errlen);
    if (!rc) {
        *result = list ? json_deep_copy(list) : json_array();
    }
    return rc;
}

/* Saves fail mode 'mode' (NULL: remove the column) and applies it. */
static int
fail_mode_change(const char *bname, const char *mode, char *err,
                 size_t errlen)
{
    struct ctl_ofbridge *ob;
    int rc = find_ofbridge(bname, &ob, err, errlen);
    enum ctl_fail_mode m = CTL_FAIL_STANDALONE;
    if (!rc && mode && ctl_fail_mode_parse(mode, &m)) {
        snprintf(err, errlen, "bad fail mode '%s' (expected standalone or "
                 "secure)", mode);
        rc = -EINVAL;
    }
    if (rc) {
        return rc;
    }
    rc = commit_bridge_column(bname, "fail_mode",
                              mode ? json_string(mode) : NULL, err, errlen);
    if (!rc) {
        ctl_ofbridge_set_fail_mode(ob, m);
    }
    return rc;
}

static int
cmd_set_fail_mode(int argc, const char *const argv[], void *aux,
                  json_t **result, char *err, size_t errlen)
{
    (void) argc; (void) aux; (void) result;
    return fail_mode_change(argv[0], argv[1], err, errlen);
}

static int
cmd_del_fail_mode(int argc, const char *const argv[], void *aux,
                  json_t **result, char *err, size_t errlen)
{
    (void) argc; (void) aux; (void) result;
    return fail_mode_change(argv[0], NULL, err, errlen);
}

/* get-fail-mode BR: the configured mode, or null when unset (as
 * ovs-vsctl, which prints nothing then). */
static int
cmd_get_fail_mode(int argc, const char *const argv[], void *aux,
                  json_t **result, char *err, size_t errlen)
{
    (void) argc; (void) aux;
    json_t *mode;
    int rc = get_bridge_column(argv[0], "fail_mode", &mode, err, errlen);
    if (!rc) {
        *result = mode ? json_incref(mode) : NULL;
    }
    return rc;
}

/* openflow-socket BR: where the bridge's management listener is, for
 * vswitch-ctl's OpenFlow commands. */
static int
cmd_openflow_socket(int argc, const char *const argv[], void *aux,
                    json_t **result, char *err, size_t errlen)
{
    (void) argc; (void) aux;
    struct ctl_ofbridge *ob;
    int rc = find_ofbridge(argv[0], &ob, err, errlen);
    if (!rc) {
        *result = json_string(ctl_ofbridge_mgmt_path(ob));
    }
    return rc;
}

/* dump-dp-flows [BR]: every bridge's megaflows, each tagged with its
 * bridge. */
static int
cmd_dump_dp_flows(int argc, const char *const argv[], void *aux,
                  json_t **result, char *err, size_t errlen)
{
    (void) aux;
    const char *bname;
    json_t *bridge;
    if (argc == 1 && find_bridge_config(argv[0], &bridge, err, errlen)) {
        return -ENOENT;
    }
    json_t *bridges = ctl_config_bridges(ctl_bridge_doc());
    json_t *all = json_array();
    json_object_foreach(bridges, bname, bridge) {
        struct dp_bridge *br = dp_bridge_find(bname);
        if ((argc == 1 && strcmp(bname, argv[0])) || !br) {
            continue;
        }
        json_t *flows = dp_bridge_dump_dp_flows(br);
        size_t i;
        json_t *f;
        json_array_foreach(flows, i, f) {
            json_object_set_new(f, "bridge", json_string(bname));
            json_array_append(all, f);
        }
        json_decref(flows);
    }
    *result = all;
    return 0;
}

static int
cmd_pmd_perf_show(int argc, const char *const argv[], void *aux,
                  json_t **result, char *err, size_t errlen)
{
    (void) argc; (void) argv; (void) aux; (void) err; (void) errlen;
    *result = dp_pmd_perf();
    return 0;
}

/* ---- trace ----------------------------------------------------------- */

static void
trace_line(void *aux, unsigned int depth, const char *line)
{
    json_t *lines = aux;
    size_t indent = (size_t) depth * 4;
    char *s = malloc(indent + strlen(line) + 1);
    if (s) {
        memset(s, ' ', indent);
        strcpy(s + indent, line);
        json_array_append_new(lines, json_string(s));
        free(s);
    }
}

/* The packet key a trace starts from: the match fields of 'text' (an
 * ovs-ofctl match), in_port required. */
static int
trace_key(const char *text, struct ft_key *key, char *err, size_t errlen)
{
    char why[OF_TEXT_ERR_LEN];
    struct of_msg msg;
    of_msg_init(&msg, OFPT_FLOW_MOD, 0);
    int rc = of_text_parse_match(text, &msg.flow_mod.match, why, sizeof why);
    if (rc) {
        snprintf(err, errlen, "bad flow '%s': %s", text, why);
        of_msg_uninit(&msg);
        return rc;
    }
    uint8_t v[OF_OXM_MAX_VALUE_LEN], m[OF_OXM_MAX_VALUE_LEN];
    bool has_mask;
    if (!of_match_get(&msg.flow_mod.match, OFPXMT_OFB_IN_PORT, v, m,
                      &has_mask)) {
        snprintf(err, errlen, "flow '%s' needs in_port=N (the port the "
                 "packet enters on)", text);
        of_msg_uninit(&msg);
        return -EINVAL;
    }
    msg.flow_mod.command = 0;
    msg.flow_mod.out_port = OFPP_ANY;
    msg.flow_mod.out_group = OFPG_ANY;
    struct ft_flow_mod fm;
    struct of_arena arena = { 0 };
    struct of_err oferr;
    rc = of_ft_flow_mod_to_ft(&msg.flow_mod, &fm, &arena, &oferr);
    if (rc) {
        snprintf(err, errlen, "flow '%s' cannot be a packet: %s", text,
                 of_error_code_name(oferr.type, oferr.code));
    } else {
        *key = fm.match.key;
    }
    of_ft_arena_free(&arena);
    of_msg_uninit(&msg);
    return rc;
}

/* trace BR FLOW: the pipeline walk of a packet with FLOW's fields, as
 * ovs-appctl ofproto/trace shows it: the tables and rules it went
 * through, the datapath actions and the megaflow it would install. */
static int
cmd_trace(int argc, const char *const argv[], void *aux, json_t **result,
          char *err, size_t errlen)
{
    (void) argc; (void) aux;
    struct ctl_ofbridge *ob;
    int rc = find_ofbridge(argv[0], &ob, err, errlen);
    struct ft_key key;
    if (!rc) {
        rc = trace_key(argv[1], &key, err, errlen);
    }
    if (rc) {
        return rc;
    }
    struct ft_xlate_out *out = malloc(sizeof *out);
    char *buf = malloc(65536);
    if (!out || !buf) {
        free(out);
        free(buf);
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    json_t *lines = json_array();
    struct ft_xlate_in in = {
        .key = &key,
        .now_ms = time_msec(),
        .may_learn = false,
        .trace = trace_line,
        .trace_aux = lines,
    };
    /* The main thread is the pipeline's only writer: nothing changes
     * under the walk. */
    ft_xlate(ctl_ofbridge_pipeline(ob), &in, out);

    ft_key_format(&key, NULL, buf, 65536);
    json_t *flow = json_string(buf);
    ft_dpacts_format(out->acts, out->n_acts, buf, 65536);
    json_t *acts = json_string(out->n_acts ? buf : "drop");
    ft_key_format(&key, &out->wc.masks, buf, 65536);
    json_t *megaflow = json_string(buf);
    *result = json_pack("{s:o, s:o, s:o, s:o, s:s*}", "flow", flow,
                        "steps", lines, "datapath_actions", acts,
                        "megaflow", megaflow, "error",
                        out->error ? ft_xlate_error_name(out->error) : NULL);
    free(out);
    free(buf);
    return 0;
}

void
ctl_bridge_register_openflow_commands(void)
{
    static const struct {
        const char *name, *usage;
        int min, max;
        ctl_command_fn *fn;
    } cmds[] = {
        { "set-controller", "BR TARGET...", 2, -1, cmd_set_controller },
        { "del-controller", "BR", 1, 1, cmd_del_controller },
        { "get-controller", "BR", 1, 1, cmd_get_controller },
        { "set-fail-mode", "BR standalone|secure", 2, 2, cmd_set_fail_mode },
        { "get-fail-mode", "BR", 1, 1, cmd_get_fail_mode },
        { "del-fail-mode", "BR", 1, 1, cmd_del_fail_mode },
        { "openflow-socket", "BR", 1, 1, cmd_openflow_socket },
        { "dump-dp-flows", "[BR]", 0, 1, cmd_dump_dp_flows },
        { "pmd-perf-show", "", 0, 0, cmd_pmd_perf_show },
        { "trace", "BR FLOW", 2, 2, cmd_trace },
    };
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
        ctl_command_register(cmds[i].name, cmds[i].usage, cmds[i].min,
                             cmds[i].max, cmds[i].fn, NULL);
    }
}
