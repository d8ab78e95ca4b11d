/*
 * ofswitch.h — the OpenFlow 1.3 switch front of one bridge: the handlers
 * (struct of_switch_ops, of_connmgr.h) that make a bridge's struct
 * ft_pipeline an OpenFlow switch, plus the asynchronous messages the
 * bridge emits (PACKET_IN, FLOW_REMOVED, PORT_STATUS).
 *
 * What it is
 * ----------
 * One ofswitch per bridge, between the connection manager (which owns the
 * controllers and answers everything about connections) and the pipeline
 * (which owns flows, groups and meters). Every switch-state request is
 * converted with of_ft.h and applied to the pipeline:
 *  - FLOW_MOD: one pipeline transaction each; GROUP_MOD / METER_MOD:
 *    applied at once (the pipeline's rule); bundles (ONF EXT-230): one
 *    transaction per bundle at commit, so a failing message aborts all;
 *  - PACKET_OUT: checked (ft_actions_check with packet_out), translated
 *    (ft_xlate_packet_out) and executed by the datapath;
 *  - multipart requests: DESC, FLOW, AGGREGATE, TABLE, PORT_STATS, QUEUE,
 *    GROUP, GROUP_DESC, GROUP_FEATURES, METER, METER_CONFIG,
 *    METER_FEATURES, TABLE_FEATURES (read-only, as Open vSwitch),
 *    PORT_DESC;
 *  - FEATURES, GET/SET_CONFIG, PORT_MOD, TABLE_MOD, QUEUE_GET_CONFIG.
 * Errors are the codes the 1.3 spec (and EXT-230 for bundles) names.
 *
 * The datapath (struct ofswitch_dp_ops) stays behind a narrow interface
 * without an event loop: it lists ports and their stats, applies port
 * config bits, executes packet-outs, and tells when its caches reflect a
 * pipeline generation. The switch has no packet buffers (n_buffers 0):
 * a buffer_id other than OFP_NO_BUFFER is BUFFER_UNKNOWN.
 *
 * Barriers mean "done in the datapath"
 * ------------------------------------
 * A change that succeeded in the pipeline is not yet seen by packets: the
 * datapath's megaflows were translated from the previous pipeline state.
 * So every change (FLOW_MOD, GROUP_MOD, METER_MOD, PORT_MOD, SET_CONFIG,
 * bundle commit) ends with sync_generation(ft_pipeline_generation()):
 * if the datapath answers false, the request stays OF_REQ_PENDING until
 * the datapath calls ofswitch_generation_applied() with that generation
 * or a later one, and a BARRIER_REPLY (which waits for every earlier
 * request) then means the change is in effect.
 * One sync is outstanding at a time: requests made meanwhile wait with
 * it, and when it completes the switch asks for the newest generation
 * they need, so a stream of changes costs one revalidation per batch.
 *
 * Lifetime and wiring (what a bridge does)
 * ----------------------------------------
 *   sw = ofswitch_create(pipeline, &dp_ops, dp, dpid);
 *   mgr = of_connmgr_create(loop, ofswitch_ops(), sw, cfg);
 *   ofswitch_set_connmgr(sw, mgr);
 *   ... on port changes: ofswitch_port_changed(); on upcalls that go to
 *   the controller: ofswitch_send_packet_in(); after revalidation:
 *   ofswitch_generation_applied() ...
 *   of_connmgr_destroy(mgr); ofswitch_destroy(sw); ft_pipeline_destroy();
 * The switch registers itself as the pipeline's flow-removed callback, so
 * FLOW_REMOVED goes out for deletes, group/meter deletes and expiries
 * (ft_pipeline_expire) alike.
 *
 * Threads
 * -------
 * Main thread only, like the pipeline's writer side and the connection
 * manager. The dp ops are called from the main thread.
 */
#ifndef VSWITCH_CTL_OFSWITCH_H
#define VSWITCH_CTL_OFSWITCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flowtable/ft_dpact.h"
#include "flowtable/ft_key.h"
#include "openflow/of_connmgr.h"
#include "openflow/openflow.h"

struct ft_pipeline;
struct ofswitch;

/* What the switch asks of the datapath side of its bridge. */
struct ofswitch_dp_ops {
    /* The bridge's ports as PORT_DESC reports them (port_no, hw_addr,
     * name, config, state, features, speeds): up to 'max' into 'ports';
     * returns how many there are (may exceed 'max'). Required. */
    size_t (*get_ports)(void *dp_aux, struct of_port *ports, size_t max);

    /* Counters of port 'port_no' (duration included; unavailable counters
     * UINT64_MAX): 0 or -ENOENT. NULL: no port stats (PORT_STATS is then
     * not among the FEATURES capabilities and the request fails). */
    int (*get_port_stats)(void *dp_aux, uint32_t port_no,
                          struct of_port_stats *stats);

    /* PORT_MOD: sets the config bits in 'mask' (OFPPC_PORT_DOWN, NO_RECV,
     * NO_FWD, NO_PACKET_IN) of 'port_no' to those of 'config', and updates
     * the pipeline's port map (ft_pipeline_set_ports) to match. 0,
     * -ENOENT, or another -errno (EPERM to the controller). NULL: port
     * config cannot be changed (PORT_MOD fails with EPERM). The switch
     * sends the PORT_STATUS for a change made this way (to every
     * controller but the one that asked, as Open vSwitch does before
     * OpenFlow 1.5). */
    int (*port_mod)(void *dp_aux, uint32_t port_no, uint32_t config,
                    uint32_t mask);

    /* Executes datapath actions 'acts' (from ft_xlate_packet_out) on a
     * copy of packet[0..len) that entered on OpenFlow port 'in_port'
     * (possibly OFPP_CONTROLLER or OFPP_LOCAL), during the call: the
     * recirculation states a RECIRC action names are held only until it
     * returns (then for a grace period). 0 or -errno. Required. */
    int (*packet_out)(void *dp_aux, const void *packet, size_t len,
                      uint32_t in_port, const struct ft_dpact *acts,
                      unsigned int n_acts);

    /* Asks the datapath to bring its caches to pipeline generation
     * 'generation' or later (revalidate megaflows). Returns true if they
     * already are (a datapath without caches always is); otherwise the
     * datapath later calls ofswitch_generation_applied(). NULL: always
     * in sync. */
    bool (*sync_generation)(void *dp_aux, uint64_t generation);
};

/* Creates the switch front of 'pipeline' (not owned; it must outlive the
 * switch) and registers its flow-removed callback. NULL on ENOMEM. */
struct ofswitch *ofswitch_create(struct ft_pipeline *pipeline,
                                 const struct ofswitch_dp_ops *dp,
                                 void *dp_aux, uint64_t datapath_id);
/* Completes every request still waiting for the datapath (their
 * connections may be gone: of_req_complete is still owed), drops open
 * bundles and unregisters from the pipeline. Destroy the connection
 * manager first. */
void ofswitch_destroy(struct ofswitch *);

/* The handlers to give of_connmgr_create() with the ofswitch as 'aux'. */
const struct of_switch_ops *ofswitch_ops(void);

/* Where asynchronous messages go (NULL: nowhere). */
void ofswitch_set_connmgr(struct ofswitch *, struct of_connmgr *);

/* The clock of the pipeline's times (flow created/used, timeouts) in ms:
 * the one the bridge passes to ft_pipeline_expire(). Default: monotonic
 * milliseconds (lib/timeval.h time_msec), as the event loop's. */
typedef int64_t ofswitch_clock_fn(void *aux);
void ofswitch_set_clock(struct ofswitch *, ofswitch_clock_fn *, void *aux);

/* OFPMP_DESC strings (dp_desc names the bridge). Defaults: vswitch, its
 * version, serial "None", dp_desc empty. */
void ofswitch_set_desc(struct ofswitch *, const struct of_desc *);

/* The per-table flow limit the pipeline was created with
 * (ft_pipeline_config.max_flows_per_table; 0 = unlimited), reported as
 * max_entries in TABLE_FEATURES. */
void ofswitch_set_max_flows(struct ofswitch *, uint32_t max_flows_per_table);

/* The datapath's caches now reflect pipeline generation 'generation':
 * completes the requests that waited for it (or an earlier one). */
void ofswitch_generation_applied(struct ofswitch *, uint64_t generation);

/* A port was added, deleted or modified outside PORT_MOD (link state,
 * configuration): PORT_STATUS with 'reason' (OFPPR_*) to controllers. */
void ofswitch_port_changed(struct ofswitch *, uint8_t reason,
                           const struct of_port *port);

/* PACKET_IN of packet[0..len) for 'reason' (OFPR_*) from 'table_id' and
 * the flow with 'cookie' (all-ones for a table miss without an entry).
 * The match carries the key's in_port, and its metadata and tunnel id
 * when non-zero (as Open vSwitch does); the data is the first 'max_len'
 * bytes (OFPCML_NO_BUFFER: all, up to what fits in one message) and
 * total_len the whole length. Returns the number of connections that got
 * it, or -EMSGSIZE / -ENOMEM. */
int ofswitch_send_packet_in(struct ofswitch *, uint8_t reason,
                            uint8_t table_id, uint64_t cookie,
                            const struct ft_key *key, const void *packet,
                            size_t len, uint16_t max_len);

/* Open bundles (all connections), for tests and status. */
size_t ofswitch_n_bundles(const struct ofswitch *);
/* Requests waiting for the datapath, for tests and status. */
size_t ofswitch_n_waiting(const struct ofswitch *);

#endif
