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
 * assigned to it in bursts of 32, forwarding through its bridge's NORMAL
 * action (flowtable's MAC-learning switch) into per-port tx buffers flushed
 * at the end of every burst.
 *
 * A bridge is a forwarding domain: a set of ports and one MAC table.
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
