/*
 * config_store.h — the daemon's persistent configuration: one JSON document
 * on disk, replaced atomically on every change.
 *
 * Document shape (version 1):
 *   {
 *     "format": "vswitch-config", "version": 1,
 *     "global":  {"pmd-cpu-mask": "0x2", "mac-aging-time": "300", ...},
 *     "bridges": {
 *       "br0": {"ports": {
 *         "p1": {"type": "dpdk", "ofport": 1,
 *                "options": {"dpdk-devargs": "net_null0"},
 *                "tag": 10, "trunks": [20, 30], "vlan_mode": "access"}},
 *         "controller": ["tcp:10.0.0.1:6653"], "fail_mode": "secure"}}
 *   }
 * Global values and options are strings (as Open vSwitch's other_config);
 * "tag", "trunks" and "vlan_mode" are present only when set, and so are a
 * bridge's "controller" targets and "fail_mode" (Open vSwitch's Bridge
 * columns; unset = no controller, standalone).
 *
 * Durability: ctl_config_save() writes a temp file in the target's
 * directory, fsyncs it, renames it over the target and fsyncs the
 * directory, so after a crash at any moment the file holds either the old
 * or the new document, never a mix. Temp files left by a crash are ignored
 * and removed by ctl_config_load().
 *
 * Threads: main thread only (plain file I/O, no shared state).
 */
#ifndef VSWITCH_CTL_CONFIG_STORE_H
#define VSWITCH_CTL_CONFIG_STORE_H

#include <stddef.h>
#include <jansson.h>

#define CTL_CONFIG_VERSION 1

/* A new empty document. */
json_t *ctl_config_new(void);

/* Loads 'path'. A missing file yields an empty document (first start).
 * An unreadable, corrupt or structurally invalid file is an error: -errno
 * (-EINVAL for bad content) and a sentence in 'err' naming the file and
 * the problem. Removes stale temp files of a previous crashed save. */
int ctl_config_load(const char *path, json_t **doc, char *err, size_t errlen);

/* Takes an exclusive lock on "<path>.lock" for the life of the process,
 * so two daemons never write one store. Returns the lock fd (kept open)
 * or -errno with 'err' set, e.g. when another vswitchd holds it. */
int ctl_config_lock(const char *path, char *err, size_t errlen);

/* Atomically replaces 'path' with 'doc' (see above). */
int ctl_config_save(const char *path, const json_t *doc,
                    char *err, size_t errlen);

/* Checks the document's structure (types of every known member). */
int ctl_config_validate(const json_t *doc, char *err, size_t errlen);

/* Accessors; all return borrowed references, created on demand by the
 * *_ensure variants. */
json_t *ctl_config_global(json_t *doc);
json_t *ctl_config_bridges(json_t *doc);
json_t *ctl_config_bridge(json_t *doc, const char *bridge);
json_t *ctl_config_bridge_ports(json_t *doc, const char *bridge);
/* Finds a port by name in any bridge; sets *bridge (may be NULL). */
json_t *ctl_config_find_port(json_t *doc, const char *port,
                             const char **bridge);

/* Lowest OpenFlow port number >= 1 not used in 'bridge'. */
unsigned int ctl_config_free_ofport(json_t *doc, const char *bridge);
/* Name of the port in 'bridge' holding 'ofport', or NULL. */
const char *ctl_config_ofport_owner(json_t *doc, const char *bridge,
                                    unsigned int ofport);

#endif
