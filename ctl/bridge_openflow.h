/*
 * bridge_openflow.h — the OpenFlow side of one vswitchd bridge (private to
 * ctl/): its flowtable pipeline, the switch front (ofswitch.h) and the
 * connection manager, wired to the datapath bridge.
 *
 * What it is
 * ----------
 * Each bridge is an OpenFlow 1.3 switch with 254 tables. Its connection
 * manager always listens on "punix:<rundir>/<bridge>.mgmt" (as Open
 * vSwitch does), which vswitch-ctl and ovs-ofctl use, plus the controller
 * targets the operator set (set-controller). The datapath executes the
 * pipeline; this module answers the switch front's datapath questions
 * (ports, port stats, PORT_MOD, PACKET_OUT, generation sync) over the
 * datapath API and forwards the datapath's packet-ins and generation
 * notices back to it.
 *
 * Fail mode (Open vSwitch's semantics)
 * ------------------------------------
 * "standalone" (the default): while no controller is configured the
 * bridge has a visible "priority=0 actions=NORMAL" flow in table 0, added
 * at creation and whenever the fail mode changes with no controller.
 * "secure": nothing is added; without flows packets are dropped. A fail
 * mode change with no controller configured flushes every flow first
 * (as ovs-vswitchd). Flows are never persisted.
 *
 * Datapath id: derived from the bridge name (stable across restarts): a
 * locally administered unicast MAC-like 48-bit value in the low bits.
 *
 * Lifetime: create after dp_bridge_add(), destroy before dp_bridge_del():
 * the destroy order is connection manager, switch, detach from the
 * datapath, pipeline.
 *
 * Threads: main thread only (the event loop given at creation).
 */
#ifndef VSWITCH_CTL_BRIDGE_OPENFLOW_H
#define VSWITCH_CTL_BRIDGE_OPENFLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dp_bridge;
struct evloop;
struct ft_pipeline;
struct ctl_ofbridge;

enum ctl_fail_mode {
    CTL_FAIL_STANDALONE,
    CTL_FAIL_SECURE,
};

/* "standalone"/"secure" <-> enum; parse returns 0 or -EINVAL. */
const char *ctl_fail_mode_name(enum ctl_fail_mode);
int ctl_fail_mode_parse(const char *s, enum ctl_fail_mode *);

/* Creates the OpenFlow side of datapath bridge 'dp' named 'name': the
 * pipeline (attached to 'dp', empty), the switch, the connection manager
 * on 'loop' with its management listener in 'rundir'. Configure the
 * controllers, then call ctl_ofbridge_start_flows(). 0 or -errno with
 * 'err' set. */
int ctl_ofbridge_create(struct dp_bridge *dp, const char *name,
                        struct evloop *loop, const char *rundir,
                        enum ctl_fail_mode fail_mode,
                        struct ctl_ofbridge **out, char *err, size_t errlen);
void ctl_ofbridge_destroy(struct ctl_ofbridge *);

/* The pipeline is new (empty): adds the fail-mode flows, as Open vSwitch
 * does when a bridge's flows are flushed. */
void ctl_ofbridge_start_flows(struct ctl_ofbridge *);

/* Replaces the controller targets ('n' may be 0). Returns 0 or the first
 * error (the other targets are still applied), 'err' naming the target. */
int ctl_ofbridge_set_controllers(struct ctl_ofbridge *,
                                 const char *const *targets, size_t n,
                                 char *err, size_t errlen);
size_t ctl_ofbridge_n_controllers(const struct ctl_ofbridge *);

/* Applies a fail-mode change (see above). */
void ctl_ofbridge_set_fail_mode(struct ctl_ofbridge *, enum ctl_fail_mode);
enum ctl_fail_mode ctl_ofbridge_fail_mode(const struct ctl_ofbridge *);

/* The bridge's ports, for PORT_DESC / PORT_STATUS: a port joined or left
 * (reason OFPPR_ADD / OFPPR_DELETE sent to controllers). */
int ctl_ofbridge_port_add(struct ctl_ofbridge *, const char *name,
                          uint32_t ofport);
void ctl_ofbridge_port_del(struct ctl_ofbridge *, const char *name);

/* Expires flows whose timeout passed; returns the next deadline (ms of
 * time_msec(), INT64_MAX when none). */
int64_t ctl_ofbridge_run(struct ctl_ofbridge *, int64_t now_ms);

/* Requests waiting for the datapath to reach a pipeline generation (a
 * barrier behind them cannot be answered before). */
size_t ctl_ofbridge_n_waiting(const struct ctl_ofbridge *);

/* Accessors. */
struct ft_pipeline *ctl_ofbridge_pipeline(struct ctl_ofbridge *);
uint64_t ctl_ofbridge_datapath_id(const struct ctl_ofbridge *);
const char *ctl_ofbridge_mgmt_path(const struct ctl_ofbridge *);

/* Datapath id of a bridge named 'name' (what create assigns). */
uint64_t ctl_ofbridge_dpid_from_name(const char *name);

#endif
