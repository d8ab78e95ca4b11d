/*
 * datapath.h — the packet-moving half of vswitch: DPDK bring-up, ports,
 * PMD workers and forwarding.
 *
 * Model. The datapath owns every port of every bridge. Each port is a DPDK
 * ethdev created by a netdev class ("dpdk": any devargs; "system": a kernel
 * interface through net_af_xdp, falling back to net_af_packet; "dummy": a
 * pair of rte_rings behind rte_eth_from_rings, fed and drained through
 * dp_dummy_inject()/dp_dummy_capture()). PMD workers are pthreads pinned to
 * the cores of pmd-cpu-mask, registered with EAL, each polling the rx queues
 * assigned to it in bursts of 32, forwarding through its bridge's OpenFlow
 * pipeline (below) into per-port tx buffers flushed at the end of every
 * burst.
 *
 * A bridge is a forwarding domain: a set of ports, one MAC table (for the
 * NORMAL action) and one OpenFlow pipeline.
 *
 * Threads. Every function here is for the main thread only (the daemon's
 * event loop), except where a comment says otherwise. Reconfiguration
 * (ports, PMD mask, rxq placement) builds new poll lists and publishes them
 * with RCU (rte_rcu_qsbr); workers report quiescence every loop iteration
 * and go offline while sleeping, so a change waits at most one iteration.
 * Statistics are per-worker counters summed on read.
 *
 * Errors: 0 or -errno; where an 'err' buffer is taken, a human sentence
 * naming the cause (including DPDK's reason) is written there on failure.
 */
#ifndef VSWITCH_DATAPATH_DATAPATH_H
#define VSWITCH_DATAPATH_DATAPATH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "flowtable/flowtable.h"

#define DP_ERR_LEN 256        /* size of the 'err' buffers below */
#define DP_BURST 32           /* packets per rx burst and tx flush */
#define DP_MAX_PORTS 256      /* ports across all bridges */
#define DP_MAX_PMDS 64

/* ---- bring-up ----------------------------------------------------------- */

struct dp_init_args {
    /* Extra EAL arguments (split on spaces), e.g. "--log-level=8". */
    const char *eal_extra;
    /* Memory to reserve, MiB; 0 picks a default sized from n_mbufs. */
    unsigned int socket_mem_mb;
    /* Run without hugepages (slower; for machines with none reserved). */
    bool no_huge;
    /* Packet buffers in the shared mempool; 0 picks the default. */
    unsigned int n_mbufs;
    /* EAL --file-prefix, so several daemons can share a host. */
    const char *file_prefix;
    /* Tests only: EAL --in-memory instead of a shared file prefix, so
     * parallel test programs never collide. EAL refuses --in-memory with
     * --no-huge; there it becomes --no-shconf with a per-process prefix
     * (file_prefix or "vswitch", then "-PID"), removed by dp_fini(). */
    bool in_memory;
};

/* Initializes EAL, the mbuf pool and RCU. Prints the memory plan (mempool
 * size, hugepages used) to the log. Call once, before anything else. */
int dp_init(const struct dp_init_args *, char *err, size_t errlen);

/* Stops every worker, closes every port, releases EAL. */
void dp_fini(void);

/* Memory plan as JSON: {"hugepages": bool, "hugepage_size_kb": N,
 * "hugepages_used_mb": N, "mbufs": N, "mbuf_size": N, "mempool_mb": N}. */
json_t *dp_memory_info(void);

/* ---- bridges ------------------------------------------------------------ */

struct dp_bridge;

int dp_bridge_add(const char *name, struct dp_bridge **out);
/* Removes the bridge and every port in it. */
void dp_bridge_del(struct dp_bridge *);
struct dp_bridge *dp_bridge_find(const char *name);
const char *dp_bridge_name(const struct dp_bridge *);
void dp_bridge_set_mac_aging(struct dp_bridge *, unsigned int seconds);
void dp_bridge_set_mac_table_size(struct dp_bridge *, unsigned int entries);

/* Learned MAC table as JSON array of
 * {"port": NAME, "ofport": N, "vlan": N, "mac": "aa:bb:..", "age": SECONDS}. */
json_t *dp_bridge_fdb_dump(struct dp_bridge *);
void dp_bridge_fdb_flush(struct dp_bridge *);

/* Expires aged MAC entries of every bridge and closes rxq load
 * measurement windows; call about once a second. 'now_ms' must be
 * time_msec() (lib/timeval.h): workers stamp learned MACs with it. */
void dp_run_periodic(int64_t now_ms);

/* ---- OpenFlow pipeline and the caches -------------------------------------
 *
 * Every bridge forwards through an OpenFlow pipeline (flowtable's
 * struct ft_pipeline) that ctl creates and attaches; the datapath never
 * interprets OpenFlow itself. A PMD worker looks each packet up in its
 * exact-match cache, then its megaflow classifier for the input port; a
 * miss is translated (ft_xlate) on the worker, installed as a megaflow and
 * executed. The main thread revalidates megaflows when the pipeline
 * changes (and every revalidation interval), credits their stats to the
 * OpenFlow flows, and expires idle ones.
 *
 * The datapath keeps the pipeline's port map (ft_pipeline_set_ports:
 * OpenFlow number -> port slot, liveness, OFPPC_* config) and NORMAL's
 * state (ft_pipeline_set_normal: the bridge's MAC table and VLAN ports
 * keyed by OpenFlow port number) up to date as ports come and go. */

struct ft_pipeline;
struct rte_rcu_qsbr;

/* The RCU variable PMD workers report on: pass it to ft_pipeline_create()
 * (ft_pipeline_config.qsbr) for a pipeline the workers will translate
 * with. Valid after dp_init(). */
struct rte_rcu_qsbr *dp_qsbr(void);

/* Attaches 'pipeline' (not owned) to the bridge; NULL detaches (the bridge
 * then drops every packet). Flushes the bridge's megaflows. */
void dp_bridge_set_pipeline(struct dp_bridge *, struct ft_pipeline *);

/* Cache and upcall defaults: Open vSwitch's where it has one (EMC insertion
 * 1 in 100, flow-limit 200k, max-idle 10 s, revalidator round 500 ms).
 * Upcalls are bounded per port so a flood of new flows cannot starve
 * established ones; the bucket absorbs a burst of a few thousand new flows
 * (a host starting a workload, a pcap replay) without dropping. */
#define DP_DEFAULT_EMC_INSERT_INV_PROB 100
#define DP_DEFAULT_MEGAFLOW_LIMIT 200000
#define DP_DEFAULT_IDLE_MS 10000
#define DP_DEFAULT_REVALIDATE_MS 500
#define DP_DEFAULT_UPCALL_RATE 100000
#define DP_DEFAULT_UPCALL_BURST 4096

/* Cache and upcall tuning (set-global keys in ctl): zero fields keep the
 * current value. */
struct dp_flow_config {
    unsigned int emc_insert_inv_prob; /* insert 1 in N misses; default 100 */
    bool emc_disable;                 /* true: no EMC (set false to undo) */
    unsigned int megaflow_limit;      /* per worker; default 200000 */
    unsigned int idle_ms;             /* megaflow idle expiry; 10000 */
    unsigned int revalidate_ms;       /* revalidation round; 500 */
    unsigned int upcall_rate;         /* misses translated per second per
                                         port; default 100000 */
    unsigned int upcall_burst;        /* and bucket depth; default 1000 */
};
void dp_set_flow_config(const struct dp_flow_config *);
void dp_get_flow_config(struct dp_flow_config *);

/* Asks for the bridge's megaflows to reflect pipeline generation
 * 'generation': true if they already do; otherwise a revalidation round
 * starts at once and, when it is complete and every worker has passed a
 * quiescent state (no packet can still follow old actions), the bridge's
 * generation callback is called with it. */
bool dp_bridge_sync_generation(struct dp_bridge *, uint64_t generation);
typedef void dp_generation_cb(void *aux, uint64_t generation);
void dp_bridge_set_generation_cb(struct dp_bridge *, dp_generation_cb *,
                                 void *aux);

/* Packets the pipeline sends to the controller: workers queue them, the
 * main thread delivers them through the bridge's callback from
 * dp_run_upcalls(). 'act' is the FT_DPACT_CONTROLLER action (reason,
 * table_id, cookie, max_len, metadata); 'key' the packet's key with the
 * pipeline metadata at that point. */
typedef void dp_packet_in_cb(void *aux, const struct ft_dpact *act,
                             const struct ft_key *key, const uint8_t *packet,
                             size_t len);
void dp_bridge_set_packet_in_cb(struct dp_bridge *, dp_packet_in_cb *,
                                void *aux);

/* A port of the bridge changed link state (seen by dp_run_periodic, which
 * also updates the pipeline's port map): the bridge reports PORT_STATUS
 * (reason MODIFY). Called on the main thread with the port's name. */
typedef void dp_port_status_cb(void *aux, const char *port_name);
void dp_bridge_set_port_status_cb(struct dp_bridge *, dp_port_status_cb *,
                                  void *aux);

/* Main loop duties: deliver queued packet-ins (at most 'budget'), run due
 * revalidation/ageing rounds and complete generation syncs. Call every few
 * milliseconds; returns the ms until it next needs to run. */
int dp_run_upcalls(unsigned int budget);
int64_t dp_run_revalidator(int64_t now_ms);

/* Executes datapath actions on a copy of packet[0..len) entering on
 * OpenFlow port 'in_port' of the bridge (PACKET_OUT), from the main
 * thread. 0 or -errno. */
int dp_bridge_packet_out(struct dp_bridge *, const void *packet, size_t len,
                         uint32_t in_port, const struct ft_dpact *acts,
                         unsigned int n_acts);

/* OpenFlow port config (FT_OFPPC_PORT_DOWN, NO_RECV, NO_FWD,
 * NO_PACKET_IN) of a port: sets the bits in 'mask' to those of 'config'.
 * NO_RECV drops what the port receives, PORT_DOWN stops the port in both
 * directions, NO_FWD / NO_PACKET_IN go to the pipeline's port map. */
int dp_port_set_of_config(const char *name, uint32_t config, uint32_t mask);
uint32_t dp_port_get_of_config(const char *name);

/* Megaflows of the bridge as a JSON array of {"pmd": core, "in_port":
 * ofport, "match": "in_port=1,ip,nw_dst=10.0.0.0/255.255.255.0" (key
 * under its mask, ft_key_format), "actions": (ft_dpacts_format),
 * "packets", "bytes", "used_ms" (age of last use, -1 never), "age_ms"}. */
json_t *dp_bridge_dump_dp_flows(struct dp_bridge *);

/* Per-worker fast-path figures as a JSON array of {"core", "packets",
 * "cycles_per_pkt", "simple_hits" (packets of bursts sent unparsed by the
 * port's port-only megaflow: OVS's "simple match"), "emc_hits",
 * "megaflow_hits", "misses", "simple_hit_pct", "emc_hit_pct",
 * "megaflow_hit_pct", "subtable_lookups_per_hit", "upcalls_handled",
 * "upcalls_queued", "upcalls_dropped", "cycles_per_miss", "miss_cycles_hist"
 * [counts per power-of-two bucket], "idle_pct", "megaflows"}. */
json_t *dp_pmd_perf(void);

/* ---- ports -------------------------------------------------------------- */

/* VLAN configuration of a port, as Open vSwitch's Port table. */
struct dp_vlan_config {
    enum ft_vlan_mode mode;
    uint16_t tag;                          /* access / native VLAN */
    uint64_t trunks[4096 / 64];            /* allowed VLANs; all zero = all */
};

struct dp_port_spec {
    const char *name;           /* unique across bridges */
    const char *type;           /* "dpdk", "system", "dummy" */
    uint32_t ofport;            /* OpenFlow port number in its bridge */
    /* Class options, a JSON object of string values:
     *  dpdk:   "dpdk-devargs" (required), "n_rxq", "n_rxq_desc", "n_txq_desc", "mtu"
     *  system: "n_rxq", "xdp-mode" ("best-effort" | "native" | "generic" |
     *          "af-packet"), "mtu". best-effort tries AF_XDP and falls back
     *          to AF_PACKET (WARN with the reason); native = AF_XDP only;
     *          generic = AF_XDP only, copy mode; af-packet = AF_PACKET only.
     *          The port name is the kernel interface; it is set up (IFF_UP).
     *  dummy:  "n_rxq", "mac"
     * Values may be JSON strings or integers. Changing anything but "mtu"
     * with dp_port_reconfigure() re-creates the device (brief traffic
     * loss on that port). */
    json_t *options;
    struct dp_vlan_config vlan;
};

int dp_port_add(struct dp_bridge *, const struct dp_port_spec *,
                char *err, size_t errlen);
int dp_port_del(const char *name);
/* Changes class options (n_rxq, mtu...) or VLAN config of a live port. */
int dp_port_reconfigure(const char *name, json_t *options,
                        const struct dp_vlan_config *vlan,
                        char *err, size_t errlen);
bool dp_port_exists(const char *name);

struct dp_port_stats {
    uint64_t rx_packets, rx_bytes, rx_dropped, rx_errors;
    uint64_t tx_packets, tx_bytes, tx_dropped, tx_errors;
};
int dp_port_get_stats(const char *name, struct dp_port_stats *);

/* Port state as JSON: {"name", "type", "bridge", "ofport", "port_id" (DPDK),
 * "mac", "mtu", "link": "up"|"down", "n_rxq", "n_txq", "driver",
 * "devargs", "mode" (system: "af_xdp"|"af_packet"), "vlan_mode", "tag",
 * "trunks": [..]}, plus "link_speed_mbps" when the link is up and "error"
 * when a failed reconfiguration left the device closed. */
json_t *dp_port_info(const char *name);

/* ---- dummy ports -------------------------------------------------------- */

/* Queues 'len' bytes as a packet received on dummy port 'name'. */
int dp_dummy_inject(const char *name, const uint8_t *frame, size_t len);
/* Pops up to 'max' packets transmitted on dummy port 'name', calling 'cb'
 * for each; returns the count popped or -errno. */
int dp_dummy_capture(const char *name, unsigned int max,
                     void (*cb)(const uint8_t *frame, size_t len, void *aux),
                     void *aux);

/* ---- PMD workers -------------------------------------------------------- */

/* Parses and applies a hex CPU mask ("0x2", "6"). Workers are created,
 * pinned and destroyed to match; rx queues are reassigned. */
int dp_set_pmd_cpu_mask(const char *mask, char *err, size_t errlen);
/* Longest sleep of an idle worker, microseconds (0 = busy poll forever).
 * An idle worker backs off from 1 us doubling up to this. */
void dp_set_pmd_max_sleep(unsigned int usec);
/* "roundrobin" or "cycles" (by measured load). */
int dp_set_rxq_assign(const char *mode, char *err, size_t errlen);
/* Reassigns rx queues now (cycles mode uses the last interval's load). */
void dp_pmd_rebalance(void);

/* Per-worker statistics as a JSON array of {"core", "numa", "packets",
 * "rx_batches", "avg_batch", "tx_packets", "dropped", "busy_cycles",
 * "idle_cycles", "busy_pct", "cycles_per_pkt", "sleep_us", "rxqs"}. */
json_t *dp_pmd_stats(void);
void dp_pmd_stats_clear(void);
/* rx queue placement as a JSON array of {"core", "numa", "isolated",
 * "rxqs": [{"port", "queue", "enabled", "usage_pct"}]}. usage_pct is the
 * queue's share of its worker's cycles over the last 5 s window (since the
 * start before the first window closes). */
json_t *dp_pmd_rxq_show(void);

#endif
