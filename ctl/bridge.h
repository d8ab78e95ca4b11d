/*
 * bridge.h — the daemon's configuration state machine: holds the committed
 * config document, applies it to the datapath at start-up and implements
 * every unixctl command (add-br, add-port, set, show, ...).
 *
 * Invariant: the committed document equals the file on disk. A mutating
 * command changes the datapath, saves the new document atomically and only
 * then replies success; if saving fails the datapath change is undone.
 * Ports that fail to come back at start-up stay in the document and carry
 * their error (shown by 'show') until fixed with 'set' or removed.
 *
 * Threads: main thread only (the event loop of vswitchd.c).
 */
#ifndef VSWITCH_CTL_BRIDGE_H
#define VSWITCH_CTL_BRIDGE_H

#include <stdbool.h>
#include <stdint.h>
#include <jansson.h>

struct evloop;

/* Where bridges' OpenFlow connections run ('loop') and where their
 * management sockets ("<rundir>/<bridge>.mgmt") go. Call before
 * ctl_bridge_start(). */
void ctl_bridge_set_openflow(struct evloop *loop, const char *rundir);

/* Expires flows of every bridge whose timeouts passed; returns the next
 * deadline (time_msec() clock; INT64_MAX: none). */
int64_t ctl_bridge_run_openflow(int64_t now_ms);

/* True while some bridge has OpenFlow requests waiting for the datapath
 * (then the main loop polls the datapath's revalidator without delay). */
bool ctl_bridge_openflow_waiting(void);

/* Takes ownership of 'doc' (as loaded from 'db_path'), applies global
 * settings and recreates bridges and ports. Failures of single items are
 * logged and remembered, not fatal. */
void ctl_bridge_start(const char *db_path, json_t *doc);

/* Registers every command with the unixctl registry. */
void ctl_bridge_register_commands(void);

/* True once a client sent 'exit'. */
bool ctl_bridge_exit_requested(void);

/* Closes every bridge's OpenFlow side (connections, switch, pipeline) and
 * releases the document; call before dp_fini() and before destroying the
 * event loop (the datapath's bridges are torn down by dp_fini()). */
void ctl_bridge_stop(void);

#endif
