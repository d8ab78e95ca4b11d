/*
 * bridge.c — configuration state and the unixctl command handlers of
 * vswitchd (see bridge.h): bridges, ports, VLAN settings, global settings,
 * and the read-only views (show, stats, fdb, pmd). Each bridge also gets
 * its OpenFlow side (bridge_openflow.h) when it is created or restored,
 * which hears of every port that comes and goes; the OpenFlow commands
 * themselves are in bridge_ofcmds.c.
 *
 * Every mutating handler follows one pattern: validate, copy the committed
 * document, change the datapath, save the copy atomically, then adopt it;
 * a failed save undoes the datapath change so memory, datapath and disk
 * never disagree on success.
 *
 * Threads: main thread only (called from the unixctl dispatcher and from
 * vswitchd's start-up).
 */
#include "ctl/bridge.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <rte_version.h>

#include "ctl/bridge_openflow.h"
#include "ctl/bridge_private.h"
#include "ctl/config_store.h"
#include "ctl/ctl_args.h"
#include "ctl/unixctl.h"
#include "datapath/datapath.h"
#include "flowtable/ft_normal.h"
#include "lib/log.h"
#include "vswitch-config.h"

#define MOD "bridge"

/* Frames returned by one dummy-capture request; the client asks again for
 * more, so one reply stays a few MiB at most. */
#define CAPTURE_MAX_PER_CALL 1024
/* Defaults restored when a global key is cleared: the datapath's own
 * start-up values (datapath/dp.c). */
#define DEFAULT_PMD_MAX_SLEEP_US 1000
#define DEFAULT_RXQ_ASSIGN "cycles"

/* A bridge's OpenFlow side, by name (bridges are few). */
struct of_entry {
    char name[64];
    struct ctl_ofbridge *ob;
};

static struct {
    char *db_path;
    json_t *doc;            /* committed document == file on disk */
    json_t *port_errors;    /* port name -> why it is not in the datapath */
    bool exit_requested;
    struct evloop *loop;    /* OpenFlow connections run here */
    char *rundir;           /* management sockets go here */
    struct of_entry *ofbridges;
    size_t n_ofbridges;
} ctl;

/* ---- helpers ------------------------------------------------------------ */

int
ctl_bridge_commit(json_t *newdoc, char *err, size_t errlen)
{
    char why[CTL_ERR_LEN];
    int rc = ctl_config_save(ctl.db_path, newdoc, why, sizeof why);
    if (rc) {
        snprintf(err, errlen, "configuration not saved: %s", why);
        json_decref(newdoc);
        return rc;
    }
    json_decref(ctl.doc);
    ctl.doc = newdoc;
    return 0;
}

static int
unknown_bridge(const char *name, char *err, size_t errlen)
{
    snprintf(err, errlen, "unknown bridge '%s'", name);
    return -ENOENT;
}

static int
unknown_port(const char *name, char *err, size_t errlen)
{
    snprintf(err, errlen, "unknown port '%s'", name);
    return -ENOENT;
}

static unsigned int
global_uint(const char *key, unsigned int dflt)
{
    const char *s = json_string_value(json_object_get(
        json_object_get(ctl.doc, "global"), key));
    unsigned long long v;
    return s && !ctl_args_parse_uint(s, 0, UINT32_MAX, &v) ? v : dflt;
}

/* Applies the bridge-scoped global settings to one datapath bridge. */
static void
bridge_apply_globals(struct dp_bridge *br)
{
    dp_bridge_set_mac_aging(br, global_uint("mac-aging-time",
                                            FT_MAC_DEFAULT_AGING_S));
    dp_bridge_set_mac_table_size(br, global_uint("mac-table-size",
                                                 FT_MAC_DEFAULT_MAX));
}

/* ---- OpenFlow side ------------------------------------------------------ */

struct ctl_ofbridge *
ctl_bridge_ofbridge(const char *name)
{
    for (size_t i = 0; i < ctl.n_ofbridges; i++) {
        if (!strcmp(ctl.ofbridges[i].name, name)) {
            return ctl.ofbridges[i].ob;
        }
    }
    return NULL;
}

json_t *
ctl_bridge_doc(void)
{
    return ctl.doc;
}

/* The controller targets a bridge's config names (borrowed strings). */
static size_t
config_controllers(json_t *bridge, const char ***targets)
{
    json_t *list = json_object_get(bridge, "controller");
    size_t n = json_array_size(list);
    *targets = calloc(n + 1, sizeof **targets);
    for (size_t i = 0; i < n && *targets; i++) {
        (*targets)[i] = json_string_value(json_array_get(list, i));
    }
    return *targets ? n : 0;
}

enum ctl_fail_mode
ctl_bridge_config_fail_mode(json_t *bridge)
{
    enum ctl_fail_mode mode = CTL_FAIL_STANDALONE;
    const char *s = json_string_value(json_object_get(bridge, "fail_mode"));
    if (s) {
        ctl_fail_mode_parse(s, &mode);
    }
    return mode;
}

/* Gives datapath bridge 'br' its OpenFlow side as the config describes
 * it (fail mode, controllers). Errors in controller targets are logged:
 * the bridge still forwards and listens for management. */
static int
ofbridge_attach(const char *bname, struct dp_bridge *br, char *err,
                size_t errlen)
{
    if (!ctl.loop) {
        snprintf(err, errlen, "no event loop for OpenFlow connections");
        return -EINVAL;
    }
    struct of_entry *grown = realloc(ctl.ofbridges, (ctl.n_ofbridges + 1)
                                     * sizeof *grown);
    if (!grown) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    ctl.ofbridges = grown;
    json_t *bridge = ctl_config_bridge(ctl.doc, bname);
    struct ctl_ofbridge *ob;
    int rc = ctl_ofbridge_create(br, bname, ctl.loop, ctl.rundir,
                                 ctl_bridge_config_fail_mode(bridge), &ob,
                                 err, errlen);
    if (rc) {
        return rc;
    }
    const char **targets;
    size_t n = config_controllers(bridge, &targets);
    if (n) {
        char why[CTL_ERR_LEN];
        if (ctl_ofbridge_set_controllers(ob, targets, n, why, sizeof why)) {
            VLOG_ERR(MOD, "bridge %s: controller not applied: %s", bname,
                     why);
        }
    }
    free(targets);
    ctl_ofbridge_start_flows(ob);
    struct of_entry *e = &ctl.ofbridges[ctl.n_ofbridges++];
    snprintf(e->name, sizeof e->name, "%s", bname);
    e->ob = ob;
    return 0;
}

static void
ofbridge_detach(const char *bname)
{
    for (size_t i = 0; i < ctl.n_ofbridges; i++) {
        if (!strcmp(ctl.ofbridges[i].name, bname)) {
            ctl_ofbridge_destroy(ctl.ofbridges[i].ob);
            ctl.ofbridges[i] = ctl.ofbridges[--ctl.n_ofbridges];
            return;
        }
    }
}

/* Deletes port 'pname' of bridge 'bname' from the datapath and tells the
 * controllers. */
static void
port_remove(const char *bname, const char *pname)
{
    if (dp_port_exists(pname)) {
        dp_port_del(pname);
    }
    struct ctl_ofbridge *ob = ctl_bridge_ofbridge(bname);
    if (ob) {
        ctl_ofbridge_port_del(ob, pname);
    }
}

void
ctl_bridge_set_openflow(struct evloop *loop, const char *rundir)
{
    ctl.loop = loop;
    free(ctl.rundir);
    ctl.rundir = strdup(rundir);
}

int64_t
ctl_bridge_run_openflow(int64_t now_ms)
{
    int64_t next = INT64_MAX;
    for (size_t i = 0; i < ctl.n_ofbridges; i++) {
        int64_t t = ctl_ofbridge_run(ctl.ofbridges[i].ob, now_ms);
        next = t < next ? t : next;
    }
    return next;
}

bool
ctl_bridge_openflow_waiting(void)
{
    for (size_t i = 0; i < ctl.n_ofbridges; i++) {
        if (ctl_ofbridge_n_waiting(ctl.ofbridges[i].ob)) {
            return true;
        }
    }
    return false;
}

/* Translates a config-store port into the datapath's VLAN config. */
static void
port_vlan_config(const json_t *port, struct dp_vlan_config *vlan)
{
    memset(vlan, 0, sizeof *vlan);
    json_t *tag = json_object_get(port, "tag");
    const char *mode = json_string_value(json_object_get(port, "vlan_mode"));
    enum ft_vlan_mode m = tag ? FT_VLAN_ACCESS : FT_VLAN_TRUNK;
    if (mode) {
        ft_vlan_mode_from_string(mode, &m);
    }
    vlan->mode = m;
    vlan->tag = tag ? (uint16_t) json_integer_value(tag) : 0;
    size_t i;
    json_t *v;
    json_array_foreach(json_object_get(port, "trunks"), i, v) {
        unsigned int vid = json_integer_value(v) & 4095;
        vlan->trunks[vid / 64] |= UINT64_C(1) << (vid % 64);
    }
}

/* Creates port 'name' of 'bridge' in the datapath from its config. */
static int
port_instantiate(const char *bridge, const char *name, json_t *port,
                 char *err, size_t errlen)
{
    struct dp_bridge *br = dp_bridge_find(bridge);
    if (!br) {
        snprintf(err, errlen, "bridge '%s' is not in the datapath", bridge);
        return -ENOENT;
    }
    json_t *options = json_object_get(port, "options");
    json_t *empty = options ? NULL : json_object();
    struct dp_port_spec spec = {
        .name = name,
        .type = json_string_value(json_object_get(port, "type")),
        .ofport = (uint32_t) json_integer_value(json_object_get(port,
                                                                "ofport")),
        .options = options ? options : empty,
    };
    port_vlan_config(port, &spec.vlan);
    char why[DP_ERR_LEN] = "";
    int rc = dp_port_add(br, &spec, why, sizeof why);
    json_decref(empty);
    if (rc) {
        snprintf(err, errlen, "%s", why[0] ? why : strerror(-rc));
        return rc;
    }
    struct ctl_ofbridge *ob = ctl_bridge_ofbridge(bridge);
    if (ob) {
        ctl_ofbridge_port_add(ob, name, spec.ofport);
    }
    return 0;
}

static void
port_error_set(const char *port, const char *msg)
{
    if (msg) {
        json_object_set_new(ctl.port_errors, port, json_string(msg));
    } else {
        json_object_del(ctl.port_errors, port);
    }
}

/* Sorted names of an object's keys, as a JSON array. */
static int
cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *) a, *(const char *const *) b);
}

static json_t *
sorted_keys(json_t *obj)
{
    size_t n = json_object_size(obj);
    const char **keys = calloc(n + 1, sizeof *keys);
    size_t i = 0;
    const char *key;
    json_t *value;
    json_object_foreach(obj, key, value) {
        keys[i++] = key;
    }
    qsort(keys, n, sizeof *keys, cmp_str);
    json_t *arr = json_array();
    for (i = 0; i < n; i++) {
        json_array_append_new(arr, json_string(keys[i]));
    }
    free(keys);
    return arr;
}

/* Port names of a bridge ordered by ofport. */
static json_t *
ports_by_ofport(const char *bridge)
{
    json_t *ports = ctl_config_bridge_ports(ctl.doc, bridge);
    json_t *names = sorted_keys(ports);
    size_t n = json_array_size(names);
    /* Insertion sort: bridges hold at most DP_MAX_PORTS ports. */
    for (size_t i = 1; i < n; i++) {
        for (size_t j = i; j > 0; j--) {
            json_t *a = json_object_get(ports, json_string_value(
                                            json_array_get(names, j - 1)));
            json_t *b = json_object_get(ports, json_string_value(
                                            json_array_get(names, j)));
            if (json_integer_value(json_object_get(a, "ofport"))
                <= json_integer_value(json_object_get(b, "ofport"))) {
                break;
            }
            json_t *tmp = json_incref(json_array_get(names, j - 1));
            json_array_set(names, j - 1, json_array_get(names, j));
            json_array_set_new(names, j, tmp);
        }
    }
    return names;
}

/* ---- start-up ----------------------------------------------------------- */

static int apply_global(const char *key, const char *value, char *err,
                        size_t errlen);

void
ctl_bridge_start(const char *db_path, json_t *doc)
{
    ctl.db_path = strdup(db_path);
    ctl.doc = doc;
    ctl.port_errors = json_object();

    const char *key;
    json_t *value;
    json_object_foreach(ctl_config_global(ctl.doc), key, value) {
        char err[CTL_ERR_LEN];
        if (apply_global(key, json_string_value(value), err, sizeof err)) {
            VLOG_ERR(MOD, "global setting %s=%s not applied: %s", key,
                     json_string_value(value), err);
        }
    }

    const char *bname;
    json_t *bridge;
    json_object_foreach(ctl_config_bridges(ctl.doc), bname, bridge) {
        struct dp_bridge *br;
        int rc = dp_bridge_add(bname, &br);
        if (rc) {
            VLOG_ERR(MOD, "cannot create bridge %s: %s", bname,
                     strerror(-rc));
            json_t *names = sorted_keys(json_object_get(bridge, "ports"));
            size_t i;
            json_t *n;
            json_array_foreach(names, i, n) {
                port_error_set(json_string_value(n), "bridge could not be "
                               "created");
            }
            json_decref(names);
            continue;
        }
        bridge_apply_globals(br);
        char oferr[CTL_ERR_LEN];
        if (ofbridge_attach(bname, br, oferr, sizeof oferr)) {
            VLOG_ERR(MOD, "bridge %s has no OpenFlow switch: %s", bname,
                     oferr);
        }
        json_t *names = ports_by_ofport(bname);
        size_t i;
        json_t *n;
        json_array_foreach(names, i, n) {
            const char *pname = json_string_value(n);
            json_t *port = json_object_get(json_object_get(bridge, "ports"),
                                           pname);
            char err[CTL_ERR_LEN];
            if (port_instantiate(bname, pname, port, err, sizeof err)) {
                VLOG_WARN(MOD, "port %s of bridge %s not restored: %s",
                          pname, bname, err);
                port_error_set(pname, err);
            } else {
                VLOG_INFO(MOD, "restored port %s on bridge %s (ofport %lld)",
                          pname, bname, (long long) json_integer_value(
                              json_object_get(port, "ofport")));
            }
        }
        json_decref(names);
    }
}

void
ctl_bridge_stop(void)
{
    while (ctl.n_ofbridges) {
        ofbridge_detach(ctl.ofbridges[0].name);
    }
    free(ctl.ofbridges);
    free(ctl.rundir);
    json_decref(ctl.doc);
    json_decref(ctl.port_errors);
    free(ctl.db_path);
    memset(&ctl, 0, sizeof ctl);
}

bool
ctl_bridge_exit_requested(void)
{
    return ctl.exit_requested;
}

/* ---- bridges ------------------------------------------------------------ */

static int
cmd_add_br(int argc, const char *const argv[], void *aux, json_t **result,
           char *err, size_t errlen)
{
    (void) argc; (void) aux; (void) result;
    const char *name = argv[0];
    int rc = ctl_args_check_name(name, "bridge", err, errlen);
    if (rc) {
        return rc;
    }
    if (ctl_config_bridge(ctl.doc, name)) {
        snprintf(err, errlen, "bridge '%s' already exists", name);
        return -EEXIST;
    }
    struct dp_bridge *br;
    rc = dp_bridge_add(name, &br);
    if (rc) {
        snprintf(err, errlen, "cannot create bridge '%s': %s", name,
                 strerror(-rc));
        return rc;
    }
    bridge_apply_globals(br);
    json_t *newdoc = json_deep_copy(ctl.doc);
    json_object_set_new(ctl_config_bridges(newdoc), name,
                        json_pack("{s:{}}", "ports"));
    rc = ctl_bridge_commit(newdoc, err, errlen);
    if (!rc) {
        rc = ofbridge_attach(name, br, err, errlen);
        if (rc) {
            /* Undo the save: a bridge without its switch is not added. */
            json_t *undo = json_deep_copy(ctl.doc);
            json_object_del(ctl_config_bridges(undo), name);
            char why[CTL_ERR_LEN];
            ctl_bridge_commit(undo, why, sizeof why);
        }
    }
    if (rc) {
        dp_bridge_del(br);
        return rc;
    }
    VLOG_INFO(MOD, "added bridge %s", name);
    return 0;
}

static int
cmd_del_br(int argc, const char *const argv[], void *aux, json_t **result,
           char *err, size_t errlen)
{
    (void) argc; (void) aux; (void) result;
    const char *name = argv[0];
    json_t *bridge = ctl_config_bridge(ctl.doc, name);
    if (!bridge) {
        return unknown_bridge(name, err, errlen);
    }
    json_t *ports = sorted_keys(json_object_get(bridge, "ports"));
    json_t *newdoc = json_deep_copy(ctl.doc);
    json_object_del(ctl_config_bridges(newdoc), name);
    int rc = ctl_bridge_commit(newdoc, err, errlen);
    if (rc) {
        json_decref(ports);
        return rc;
    }
    size_t i;
    json_t *p;
    json_array_foreach(ports, i, p) {
        port_error_set(json_string_value(p), NULL);
    }
    json_decref(ports);
    ofbridge_detach(name);
    struct dp_bridge *br = dp_bridge_find(name);
    if (br) {
        dp_bridge_del(br);
    }
    VLOG_INFO(MOD, "deleted bridge %s", name);
    return 0;
}

static int
cmd_list_br(int argc, const char *const argv[], void *aux, json_t **result,
            char *err, size_t errlen)
{
    (void) argc; (void) argv; (void) aux; (void) err; (void) errlen;
    *result = sorted_keys(ctl_config_bridges(ctl.doc));
    return 0;
}

/* ---- ports -------------------------------------------------------------- */

static int
cmd_add_port(int argc, const char *const argv[], void *aux, json_t **result,
             char *err, size_t errlen)
{
    (void) aux; (void) result;
    const char *bname = argv[0], *pname = argv[1];
    if (!ctl_config_bridge(ctl.doc, bname)) {
        return unknown_bridge(bname, err, errlen);
    }
    int rc = ctl_args_check_name(pname, "port", err, errlen);
    if (rc) {
        return rc;
    }
    const char *owner;
    if (ctl_config_find_port(ctl.doc, pname, &owner)) {
        snprintf(err, errlen, "port '%s' already exists on bridge '%s'",
                 pname, owner);
        return -EEXIST;
    }
    json_t *changes;
    rc = ctl_args_parse_port_settings(argc - 2, argv + 2, CTL_SCOPE_ADD_PORT,
                                      &changes, err, errlen);
    if (rc) {
        return rc;
    }
    json_t *ofport = json_object_get(changes, "ofport");
    if (ofport) {
        owner = ctl_config_ofport_owner(ctl.doc, bname,
                                        json_integer_value(ofport));
        if (owner) {
            snprintf(err, errlen, "ofport %lld is already used by port '%s' "
                     "on bridge '%s'", (long long) json_integer_value(ofport),
                     owner, bname);
            json_decref(changes);
            return -EEXIST;
        }
    }
    json_t *port = json_pack("{s:s, s:i, s:{}}", "type", "system",
                             "ofport", ctl_config_free_ofport(ctl.doc, bname),
                             "options");
    ctl_args_apply_port_settings(port, changes);
    json_decref(changes);
    if (json_integer_value(json_object_get(port, "ofport")) == 0) {
        json_decref(port);
        snprintf(err, errlen, "bridge '%s' has no free ofport", bname);
        return -ENOSPC;
    }

    rc = port_instantiate(bname, pname, port, err, errlen);
    if (rc) {
        json_decref(port);
        return rc;
    }
    json_t *newdoc = json_deep_copy(ctl.doc);
    json_object_set(ctl_config_bridge_ports(newdoc, bname), pname, port);
    rc = ctl_bridge_commit(newdoc, err, errlen);
    if (rc) {
        port_remove(bname, pname);
        json_decref(port);
        return rc;
    }
    VLOG_INFO(MOD, "added port %s to bridge %s (type %s, ofport %lld)",
              pname, bname, json_string_value(json_object_get(port, "type")),
              (long long) json_integer_value(json_object_get(port,
                                                             "ofport")));
    json_decref(port);
    return 0;
}

static int
cmd_del_port(int argc, const char *const argv[], void *aux, json_t **result,
             char *err, size_t errlen)
{
    (void) aux; (void) result;
    const char *pname = argv[argc - 1];
    const char *owner;
    if (argc == 2) {
        if (!ctl_config_bridge(ctl.doc, argv[0])) {
            return unknown_bridge(argv[0], err, errlen);
        }
        if (!json_object_get(ctl_config_bridge_ports(ctl.doc, argv[0]),
                             pname)) {
            snprintf(err, errlen, "bridge '%s' has no port '%s'", argv[0],
                     pname);
            return -ENOENT;
        }
    }
    if (!ctl_config_find_port(ctl.doc, pname, &owner)) {
        return unknown_port(pname, err, errlen);
    }
    char *bname = strdup(owner);
    json_t *newdoc = json_deep_copy(ctl.doc);
    json_object_del(ctl_config_bridge_ports(newdoc, bname), pname);
    int rc = ctl_bridge_commit(newdoc, err, errlen);
    if (!rc) {
        port_remove(bname, pname);
        port_error_set(pname, NULL);
        VLOG_INFO(MOD, "deleted port %s from bridge %s", pname, bname);
    }
    free(bname);
    return rc;
}

static int
cmd_list_ports(int argc, const char *const argv[], void *aux,
               json_t **result, char *err, size_t errlen)
{
    (void) argc; (void) aux;
    json_t *ports = ctl_config_bridge_ports(ctl.doc, argv[0]);
    if (!ports) {
        return unknown_bridge(argv[0], err, errlen);
    }
    *result = sorted_keys(ports);
    return 0;
}

/* set Interface PORT options:K=V... | set Port PORT tag=N trunks=.. ... */
static int
cmd_set(int argc, const char *const argv[], void *aux, json_t **result,
        char *err, size_t errlen)
{
    (void) aux; (void) result;
    const char *table = argv[0], *pname = argv[1];
    enum ctl_settings_scope scope;
    if (!strcasecmp(table, "Interface")) {
        scope = CTL_SCOPE_INTERFACE;
    } else if (!strcasecmp(table, "Port")) {
        scope = CTL_SCOPE_PORT;
    } else {
        snprintf(err, errlen, "unknown table '%s' (expected Interface or "
                 "Port)", table);
        return -EINVAL;
    }
    const char *bname;
    json_t *port = ctl_config_find_port(ctl.doc, pname, &bname);
    if (!port) {
        return unknown_port(pname, err, errlen);
    }
    json_t *changes;
    int rc = ctl_args_parse_port_settings(argc - 2, argv + 2, scope,
                                          &changes, err, errlen);
    if (rc) {
        return rc;
    }
    json_t *newdoc = json_deep_copy(ctl.doc);
    json_t *newport = json_object_get(ctl_config_bridge_ports(newdoc, bname),
                                      pname);
    ctl_args_apply_port_settings(newport, changes);
    json_decref(changes);

    bool live = dp_port_exists(pname);
    bool was_live = live;
    /* A port that is not in the datapath keeps its reason, to put back if
     * the new settings cannot be saved. */
    json_t *old_error = json_incref(json_object_get(ctl.port_errors, pname));
    if (live) {
        struct dp_vlan_config vlan;
        port_vlan_config(newport, &vlan);
        json_t *options = json_object_get(newport, "options");
        json_t *empty = options ? NULL : json_object();
        char why[DP_ERR_LEN] = "";
        rc = dp_port_reconfigure(pname, options ? options : empty, &vlan,
                                 why, sizeof why);
        json_decref(empty);
        if (rc) {
            snprintf(err, errlen, "%s", why[0] ? why : strerror(-rc));
            json_decref(newdoc);
            json_decref(old_error);
            return rc;
        }
    } else {
        /* A port that failed to come back: the new settings may fix it
         * (e.g. corrected devargs). If it still fails the settings are
         * kept, as the operator asked for them, and the error shown. */
        char why[CTL_ERR_LEN];
        if (port_instantiate(bname, pname, newport, why, sizeof why)) {
            port_error_set(pname, why);
        } else {
            port_error_set(pname, NULL);
            live = true;
        }
    }
    char *saved_bridge = strdup(bname);
    rc = ctl_bridge_commit(newdoc, err, errlen);
    if (rc && !was_live) {
        /* The committed settings had no port in the datapath: keep it so
         * (a port revived by unsaved settings would not come back after a
         * restart) and show the previous reason again. */
        if (live) {
            port_remove(saved_bridge, pname);
        }
        port_error_set(pname, json_string_value(old_error));
    } else if (rc && live) {
        /* Put the datapath back to the committed settings. */
        json_t *old = ctl_config_find_port(ctl.doc, pname, NULL);
        struct dp_vlan_config vlan;
        port_vlan_config(old, &vlan);
        json_t *options = json_object_get(old, "options");
        json_t *empty = options ? NULL : json_object();
        char why[DP_ERR_LEN];
        dp_port_reconfigure(pname, options ? options : empty, &vlan, why,
                            sizeof why);
        json_decref(empty);
    } else if (!rc) {
        VLOG_INFO(MOD, "reconfigured port %s on bridge %s", pname,
                  saved_bridge);
    }
    free(saved_bridge);
    json_decref(old_error);
    return rc;
}

/* ---- global settings ---------------------------------------------------- */

/* The fast path's knobs, Open vSwitch's other_config names where it has
 * them: emc-insert-inv-prob (0 turns the EMC off), flow-limit (megaflows
 * per worker), max-idle and max-revalidator (ms); upcall-rate and
 * upcall-burst (misses translated per second per port, and the bucket). */
static const struct flow_config_key {
    const char *name;
    unsigned int dflt;
} flow_config_keys[] = {
    { "emc-insert-inv-prob", DP_DEFAULT_EMC_INSERT_INV_PROB },
    { "flow-limit", DP_DEFAULT_MEGAFLOW_LIMIT },
    { "max-idle", DP_DEFAULT_IDLE_MS },
    { "max-revalidator", DP_DEFAULT_REVALIDATE_MS },
    { "upcall-rate", DP_DEFAULT_UPCALL_RATE },
    { "upcall-burst", DP_DEFAULT_UPCALL_BURST },
};

static const struct flow_config_key *
flow_config_key_find(const char *key)
{
    for (size_t i = 0; i < sizeof flow_config_keys / sizeof *flow_config_keys;
         i++) {
        if (!strcmp(key, flow_config_keys[i].name)) {
            return &flow_config_keys[i];
        }
    }
    return NULL;
}

static bool
is_flow_config_key(const char *key)
{
    return flow_config_key_find(key) != NULL;
}

static int
apply_flow_config(const char *key, const char *value, char *err,
                  size_t errlen)
{
    const struct flow_config_key *k = flow_config_key_find(key);
    unsigned long long v = k->dflt;
    if (value && ctl_global_uint_parse(key, value, &v, err, errlen)) {
        return -EINVAL;
    }
    struct dp_flow_config cfg;
    dp_get_flow_config(&cfg);
    unsigned int u = (unsigned int) v;
    if (!strcmp(key, "emc-insert-inv-prob")) {
        cfg.emc_disable = u == 0;
        if (u) {
            cfg.emc_insert_inv_prob = u;
        }
    } else if (!strcmp(key, "flow-limit")) {
        cfg.megaflow_limit = u;
    } else if (!strcmp(key, "max-idle")) {
        cfg.idle_ms = u;
    } else if (!strcmp(key, "max-revalidator")) {
        cfg.revalidate_ms = u;
    } else if (!strcmp(key, "upcall-rate")) {
        cfg.upcall_rate = u;
    } else {
        cfg.upcall_burst = u;
    }
    dp_set_flow_config(&cfg);
    return 0;
}

/* Applies one global setting to the datapath; NULL value = default. */
static int
apply_global(const char *key, const char *value, char *err, size_t errlen)
{
    char why[DP_ERR_LEN] = "";
    int rc = 0;
    if (!strcmp(key, "pmd-cpu-mask")) {
        /* The default worker placement is chosen by dp_init() from the
         * host's cores; clearing the key keeps the current workers until
         * the next start, when that default applies again. */
        if (value) {
            rc = dp_set_pmd_cpu_mask(value, why, sizeof why);
        } else {
            VLOG_INFO(MOD, "pmd-cpu-mask cleared: the default worker "
                      "placement applies from the next start");
        }
    } else if (!strcmp(key, "pmd-max-sleep")) {
        unsigned long long v = DEFAULT_PMD_MAX_SLEEP_US;
        if (value && ctl_args_parse_uint(value, 0, 10000, &v)) {
            snprintf(err, errlen, "bad pmd-max-sleep '%s'", value);
            return -EINVAL;
        }
        dp_set_pmd_max_sleep((unsigned int) v);
    } else if (!strcmp(key, "mac-aging-time")
               || !strcmp(key, "mac-table-size")) {
        /* Read back through the document by the caller: handled per
         * bridge in bridge_apply_globals(). */
    } else if (!strcmp(key, "rxq-assign")) {
        rc = dp_set_rxq_assign(value ? value : DEFAULT_RXQ_ASSIGN, why,
                               sizeof why);
    } else if (is_flow_config_key(key)) {
        return apply_flow_config(key, value, err, errlen);
    } else {
        snprintf(err, errlen, "unknown key '%s'", key);
        return -EINVAL;
    }
    if (rc) {
        snprintf(err, errlen, "%s", why[0] ? why : strerror(-rc));
    }
    return rc;
}

static void
apply_bridge_globals_all(void)
{
    const char *bname;
    json_t *bridge;
    json_object_foreach(ctl_config_bridges(ctl.doc), bname, bridge) {
        struct dp_bridge *br = dp_bridge_find(bname);
        if (br) {
            bridge_apply_globals(br);
        }
    }
}

/* The running workers' cores as a pmd-cpu-mask ("0x.."), or NULL when
 * there is none; the caller frees it. */
static char *
current_pmd_mask(void)
{
    enum { MAX_CPUS = 1024 };
    uint8_t nibbles[MAX_CPUS / 4] = { 0 };
    int top = -1;
    json_t *stats = dp_pmd_stats();
    size_t i;
    json_t *pmd;
    json_array_foreach(stats, i, pmd) {
        json_int_t core = json_integer_value(json_object_get(pmd, "core"));
        if (core >= 0 && core < MAX_CPUS) {
            nibbles[core / 4] |= (uint8_t) (1u << (core % 4));
            if (core / 4 > top) {
                top = (int) (core / 4);
            }
        }
    }
    json_decref(stats);
    if (top < 0) {
        return NULL;
    }
    char *mask = malloc((size_t) top + 4);
    if (mask) {
        char *p = mask;
        *p++ = '0';
        *p++ = 'x';
        for (int d = top; d >= 0; d--) {
            *p++ = "0123456789abcdef"[nibbles[d]];
        }
        *p = '\0';
    }
    return mask;
}

/* Puts the first 'n' keys of 'changes' back to their committed values
 * after a later key or the save failed. The workers go back to the cores
 * they ran on before, 'prev_pmd_mask' (the committed document may name no
 * mask: the start-up default was in use). */
static void
restore_committed_globals(json_t *changes, size_t n,
                          const char *prev_pmd_mask)
{
    json_t *committed = ctl_config_global(ctl.doc);
    const char *key;
    json_t *value;
    size_t i = 0;
    json_object_foreach(changes, key, value) {
        if (i++ >= n) {
            break;
        }
        char err[CTL_ERR_LEN];
        const char *old = json_string_value(json_object_get(committed, key));
        if (!strcmp(key, "pmd-cpu-mask") && prev_pmd_mask) {
            old = prev_pmd_mask;
        }
        apply_global(key, old, err, sizeof err);
    }
    apply_bridge_globals_all();
}

static int
cmd_set_global(int argc, const char *const argv[], void *aux,
               json_t **result, char *err, size_t errlen)
{
    (void) aux; (void) result;
    json_t *changes;
    int rc = ctl_args_parse_global(argc, argv, &changes, err, errlen);
    if (rc) {
        return rc;
    }
    const char *key;
    json_t *value;
    size_t applied = 0;
    char *prev_pmd_mask = current_pmd_mask();
    json_object_foreach(changes, key, value) {
        rc = apply_global(key, json_string_value(value), err, errlen);
        if (rc) {
            restore_committed_globals(changes, applied, prev_pmd_mask);
            json_decref(changes);
            free(prev_pmd_mask);
            return rc;
        }
        applied++;
    }
    json_t *newdoc = json_deep_copy(ctl.doc);
    json_t *global = ctl_config_global(newdoc);
    json_object_foreach(changes, key, value) {
        if (json_is_null(value)) {
            json_object_del(global, key);
        } else {
            json_object_set(global, key, value);
        }
    }
    rc = ctl_bridge_commit(newdoc, err, errlen);
    if (rc) {
        restore_committed_globals(changes, applied, prev_pmd_mask);
    } else {
        /* Bridge-scoped keys (MAC ageing, table size) read the document. */
        apply_bridge_globals_all();
        VLOG_INFO(MOD, "global settings changed");
    }
    json_decref(changes);
    free(prev_pmd_mask);
    return rc;
}

static int
cmd_get_global(int argc, const char *const argv[], void *aux,
               json_t **result, char *err, size_t errlen)
{
    (void) argc; (void) argv; (void) aux; (void) err; (void) errlen;
    *result = json_deep_copy(ctl_config_global(ctl.doc));
    return 0;
}

/* ---- views -------------------------------------------------------------- */

static json_t *
port_view(const char *bname, const char *pname)
{
    json_t *cfg = json_object_get(ctl_config_bridge_ports(ctl.doc, bname),
                                  pname);
    json_t *view = json_deep_copy(cfg);
    json_object_set_new(view, "name", json_string(pname));
    if (!json_object_get(view, "options")) {
        json_object_set_new(view, "options", json_object());
    }
    json_t *info = dp_port_exists(pname) ? dp_port_info(pname) : NULL;
    if (info) {
        static const char *const live_keys[] = {
            "link", "mac", "mtu", "n_rxq", "n_txq", "driver", "port_id",
            "mode",
        };
        for (size_t i = 0; i < ARRAY_SIZE(live_keys); i++) {
            json_t *v = json_object_get(info, live_keys[i]);
            if (v) {
                json_object_set(view, live_keys[i], v);
            }
        }
        json_decref(info);
    }
    json_t *error = json_object_get(ctl.port_errors, pname);
    if (error) {
        json_object_set(view, "error", error);
    } else if (!dp_port_exists(pname)) {
        json_object_set_new(view, "error",
                            json_string("not present in the datapath"));
    }
    return view;
}

static int
cmd_show(int argc, const char *const argv[], void *aux, json_t **result,
         char *err, size_t errlen)
{
    (void) argc; (void) argv; (void) aux; (void) err; (void) errlen;
    json_t *bridges = json_array();
    json_t *bnames = sorted_keys(ctl_config_bridges(ctl.doc));
    size_t i;
    json_t *bn;
    json_array_foreach(bnames, i, bn) {
        const char *bname = json_string_value(bn);
        json_t *ports = json_array();
        json_t *pnames = ports_by_ofport(bname);
        size_t j;
        json_t *pn;
        json_array_foreach(pnames, j, pn) {
            json_array_append_new(ports,
                                  port_view(bname, json_string_value(pn)));
        }
        json_decref(pnames);
        json_array_append_new(bridges, json_pack("{s:s, s:o}", "name", bname,
                                                 "ports", ports));
    }
    json_decref(bnames);
    *result = json_pack("{s:s, s:O, s:o}", "version", VSWITCH_VERSION,
                        "global", ctl_config_global(ctl.doc),
                        "bridges", bridges);
    return 0;
}

static json_t *
port_stats_json(const char *bname, const char *pname)
{
    struct dp_port_stats s;
    if (!dp_port_exists(pname) || dp_port_get_stats(pname, &s)) {
        return NULL;
    }
    json_t *cfg = json_object_get(ctl_config_bridge_ports(ctl.doc, bname),
                                  pname);
    return json_pack("{s:s, s:s, s:O, s:I, s:I, s:I, s:I, s:I, s:I, s:I, "
                     "s:I}", "port", pname, "bridge", bname,
                     "ofport", json_object_get(cfg, "ofport"),
                     "rx_packets", (json_int_t) s.rx_packets,
                     "rx_bytes", (json_int_t) s.rx_bytes,
                     "rx_dropped", (json_int_t) s.rx_dropped,
                     "rx_errors", (json_int_t) s.rx_errors,
                     "tx_packets", (json_int_t) s.tx_packets,
                     "tx_bytes", (json_int_t) s.tx_bytes,
                     "tx_dropped", (json_int_t) s.tx_dropped,
                     "tx_errors", (json_int_t) s.tx_errors);
}

static int
cmd_port_stats(int argc, const char *const argv[], void *aux,
               json_t **result, char *err, size_t errlen)
{
    (void) aux;
    if (argc == 1) {
        const char *bname;
        if (!ctl_config_find_port(ctl.doc, argv[0], &bname)) {
            return unknown_port(argv[0], err, errlen);
        }
        json_t *stats = port_stats_json(bname, argv[0]);
        if (!stats) {
            snprintf(err, errlen, "port '%s' is not in the datapath (see "
                     "'show' for its error)", argv[0]);
            return -ENODEV;
        }
        *result = json_pack("[o]", stats);
        return 0;
    }
    json_t *all = json_array();
    json_t *bnames = sorted_keys(ctl_config_bridges(ctl.doc));
    size_t i;
    json_t *bn;
    json_array_foreach(bnames, i, bn) {
        json_t *pnames = ports_by_ofport(json_string_value(bn));
        size_t j;
        json_t *pn;
        json_array_foreach(pnames, j, pn) {
            json_t *stats = port_stats_json(json_string_value(bn),
                                            json_string_value(pn));
            if (stats) {
                json_array_append_new(all, stats);
            }
        }
        json_decref(pnames);
    }
    json_decref(bnames);
    *result = all;
    return 0;
}

static int
find_live_bridge(const char *name, struct dp_bridge **br, char *err,
                 size_t errlen)
{
    if (!ctl_config_bridge(ctl.doc, name)) {
        return unknown_bridge(name, err, errlen);
    }
    *br = dp_bridge_find(name);
    if (!*br) {
        snprintf(err, errlen, "bridge '%s' is not in the datapath", name);
        return -ENODEV;
    }
    return 0;
}

static int
cmd_fdb_show(int argc, const char *const argv[], void *aux, json_t **result,
             char *err, size_t errlen)
{
    (void) argc; (void) aux;
    struct dp_bridge *br;
    int rc = find_live_bridge(argv[0], &br, err, errlen);
    if (!rc) {
        *result = dp_bridge_fdb_dump(br);
    }
    return rc;
}

static int
cmd_fdb_flush(int argc, const char *const argv[], void *aux, json_t **result,
              char *err, size_t errlen)
{
    (void) argc; (void) aux; (void) result;
    struct dp_bridge *br;
    int rc = find_live_bridge(argv[0], &br, err, errlen);
    if (!rc) {
        dp_bridge_fdb_flush(br);
    }
    return rc;
}

static int
cmd_pmd_stats_show(int argc, const char *const argv[], void *aux,
                   json_t **result, char *err, size_t errlen)
{
    (void) argc; (void) argv; (void) aux; (void) err; (void) errlen;
    *result = dp_pmd_stats();
    return 0;
}

static int
cmd_pmd_stats_clear(int argc, const char *const argv[], void *aux,
                    json_t **result, char *err, size_t errlen)
{
    (void) argc; (void) argv; (void) aux; (void) result; (void) err;
    (void) errlen;
    dp_pmd_stats_clear();
    return 0;
}

static int
cmd_pmd_rxq_show(int argc, const char *const argv[], void *aux,
                 json_t **result, char *err, size_t errlen)
{
    (void) argc; (void) argv; (void) aux; (void) err; (void) errlen;
    *result = dp_pmd_rxq_show();
    return 0;
}

static int
cmd_pmd_rxq_rebalance(int argc, const char *const argv[], void *aux,
                      json_t **result, char *err, size_t errlen)
{
    (void) argc; (void) argv; (void) aux; (void) result; (void) err;
    (void) errlen;
    dp_pmd_rebalance();
    return 0;
}

static int
cmd_memory_show(int argc, const char *const argv[], void *aux,
                json_t **result, char *err, size_t errlen)
{
    (void) argc; (void) argv; (void) aux; (void) err; (void) errlen;
    json_t *mem = dp_memory_info();
    if (!mem) {
        mem = json_object();
    }
    size_t n_ports = 0;
    const char *bname;
    json_t *bridge;
    json_object_foreach(ctl_config_bridges(ctl.doc), bname, bridge) {
        n_ports += json_object_size(json_object_get(bridge, "ports"));
    }
    json_object_set_new(mem, "bridges",
                        json_integer(json_object_size(
                            ctl_config_bridges(ctl.doc))));
    json_object_set_new(mem, "ports", json_integer(n_ports));
    *result = mem;
    return 0;
}

static int
cmd_version(int argc, const char *const argv[], void *aux, json_t **result,
            char *err, size_t errlen)
{
    (void) argc; (void) argv; (void) aux; (void) err; (void) errlen;
    *result = json_pack("{s:s, s:s}", "version", VSWITCH_VERSION,
                        "dpdk", rte_version());
    return 0;
}

/* ---- dummy ports -------------------------------------------------------- */

static int
find_dummy_port(const char *pname, char *err, size_t errlen)
{
    json_t *port = ctl_config_find_port(ctl.doc, pname, NULL);
    if (!port) {
        return unknown_port(pname, err, errlen);
    }
    const char *type = json_string_value(json_object_get(port, "type"));
    if (strcmp(type, "dummy")) {
        snprintf(err, errlen, "port '%s' is not a dummy port (type %s)",
                 pname, type);
        return -EINVAL;
    }
    if (!dp_port_exists(pname)) {
        snprintf(err, errlen, "port '%s' is not in the datapath", pname);
        return -ENODEV;
    }
    return 0;
}

/* dummy-inject PORT HEX...: several frames per request keep pcap replay
 * from paying one round trip per frame. */
static int
cmd_dummy_inject(int argc, const char *const argv[], void *aux,
                 json_t **result, char *err, size_t errlen)
{
    (void) aux;
    int rc = find_dummy_port(argv[0], err, errlen);
    if (rc) {
        return rc;
    }
    /* Parse everything first so a bad frame injects nothing. */
    uint8_t **frames = calloc(argc, sizeof *frames);
    size_t *lens = calloc(argc, sizeof *lens);
    int n = 0;
    for (int i = 1; i < argc && !rc; i++, n++) {
        char why[CTL_ERR_LEN];
        rc = ctl_args_parse_hex_frame(argv[i], &frames[n], &lens[n], why,
                                      sizeof why);
        if (rc) {
            snprintf(err, errlen, "frame %d: %s", i, why);
        }
    }
    int injected = 0;
    for (int i = 0; i < n && !rc; i++) {
        rc = dp_dummy_inject(argv[0], frames[i], lens[i]);
        if (rc) {
            snprintf(err, errlen, "cannot inject into '%s' after %d "
                     "frame(s): %s", argv[0], injected, strerror(-rc));
        } else {
            injected++;
        }
    }
    for (int i = 0; i < n; i++) {
        free(frames[i]);
    }
    free(frames);
    free(lens);
    if (!rc) {
        *result = json_pack("{s:i}", "injected", injected);
    }
    return rc;
}

static void
capture_one(const uint8_t *frame, size_t len, void *aux)
{
    json_t *frames = aux;
    char *hex = malloc(len * 2 + 1);
    if (!hex) {
        return;
    }
    for (size_t i = 0; i < len; i++) {
        snprintf(hex + 2 * i, 3, "%02x", frame[i]);
    }
    json_array_append_new(frames, json_string(hex));
    free(hex);
}

/* dummy-capture PORT [MAX]: pops up to MAX transmitted frames as hex. */
static int
cmd_dummy_capture(int argc, const char *const argv[], void *aux,
                  json_t **result, char *err, size_t errlen)
{
    (void) aux;
    int rc = find_dummy_port(argv[0], err, errlen);
    if (rc) {
        return rc;
    }
    unsigned long long max = CAPTURE_MAX_PER_CALL;
    if (argc > 1 && ctl_args_parse_uint(argv[1], 1, CAPTURE_MAX_PER_CALL,
                                        &max)) {
        snprintf(err, errlen, "bad count '%s' (must be 1..%d)", argv[1],
                 CAPTURE_MAX_PER_CALL);
        return -EINVAL;
    }
    json_t *frames = json_array();
    rc = dp_dummy_capture(argv[0], (unsigned int) max, capture_one, frames);
    if (rc < 0) {
        json_decref(frames);
        snprintf(err, errlen, "cannot capture from '%s': %s", argv[0],
                 strerror(-rc));
        return rc;
    }
    *result = frames;
    return 0;
}

static int
cmd_exit(int argc, const char *const argv[], void *aux, json_t **result,
         char *err, size_t errlen)
{
    (void) argc; (void) argv; (void) aux; (void) result; (void) err;
    (void) errlen;
    VLOG_INFO(MOD, "exit requested through the control socket");
    ctl.exit_requested = true;
    return 0;
}

void
ctl_bridge_register_commands(void)
{
    static const struct {
        const char *name, *usage;
        int min, max;
        ctl_command_fn *fn;
    } cmds[] = {
        { "add-br", "BR", 1, 1, cmd_add_br },
        { "del-br", "BR", 1, 1, cmd_del_br },
        { "list-br", "", 0, 0, cmd_list_br },
        { "add-port", "BR PORT [-- type=TYPE] [ofport=N] [tag=N] "
          "[trunks=N,...] [vlan_mode=MODE] [options:KEY=VALUE]...",
          2, -1, cmd_add_port },
        { "del-port", "[BR] PORT", 1, 2, cmd_del_port },
        { "list-ports", "BR", 1, 1, cmd_list_ports },
        { "show", "", 0, 0, cmd_show },
        { "set", "Interface|Port PORT KEY=VALUE...", 3, -1, cmd_set },
        { "set-global", "KEY=VALUE...", 1, -1, cmd_set_global },
        { "get-global", "", 0, 0, cmd_get_global },
        { "fdb-show", "BR", 1, 1, cmd_fdb_show },
        { "fdb-flush", "BR", 1, 1, cmd_fdb_flush },
        { "port-stats", "[PORT]", 0, 1, cmd_port_stats },
        { "pmd-stats-show", "", 0, 0, cmd_pmd_stats_show },
        { "pmd-stats-clear", "", 0, 0, cmd_pmd_stats_clear },
        { "pmd-rxq-show", "", 0, 0, cmd_pmd_rxq_show },
        { "pmd-rxq-rebalance", "", 0, 0, cmd_pmd_rxq_rebalance },
        { "memory-show", "", 0, 0, cmd_memory_show },
        { "version", "", 0, 0, cmd_version },
        { "dummy-inject", "PORT HEX...", 2, -1, cmd_dummy_inject },
        { "dummy-capture", "PORT [MAX]", 1, 2, cmd_dummy_capture },
        { "exit", "", 0, 0, cmd_exit },
    };
    for (size_t i = 0; i < ARRAY_SIZE(cmds); i++) {
        ctl_command_register(cmds[i].name, cmds[i].usage, cmds[i].min,
                             cmds[i].max, cmds[i].fn, NULL);
    }
    ctl_bridge_register_openflow_commands();
}
