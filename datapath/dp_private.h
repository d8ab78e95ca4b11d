/*
 * dp_private.h — datapath internals shared by the files of datapath/:
 * the global state, ports, bridges and PMD workers. The netdev-class
 * interface is in dp_netdev.h.
 *
 * Ownership and threads:
 *  - The main thread is the only writer of everything here. PMD workers read
 *    ports (through dp_state.ports[]), bridges (MAC table, NORMAL port
 *    snapshot and pipeline pointers) and their own poll list, all under
 *    RCU: a writer unpublishes, calls dp_rcu_synchronize(), then frees.
 *  - Each worker owns a flow cache (megaflows, dp_dpcls.h), an EMC and a
 *    single-producer ring to main. The worker installs megaflows; main
 *    revalidates, credits and removes them (dp_revalidate.c). Datapath
 *    keys carry the port *slot* as in_port (unique across bridges); the
 *    pipeline sees OpenFlow port numbers.
 *  - Counters a worker updates live in its own struct dp_pmd (or in the
 *    struct dp_rxq it alone polls) and are written with relaxed atomic
 *    stores so main can read them at any time without a barrier.
 */
#ifndef VSWITCH_DATAPATH_DP_PRIVATE_H
#define VSWITCH_DATAPATH_DP_PRIVATE_H

#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>
#include <rte_spinlock.h>

#include "datapath/datapath.h"
#include "datapath/dp_dpcls.h"
#include "datapath/dp_emc.h"
#include "datapath/dp_execute.h"
#include "flowtable/ft_normal.h"
#include "flowtable/ft_xlate.h"
#include "lib/log.h"
#include "dp_netdev.h"

#define DP_LOG "dp"

/* Room for one tx queue per possible PMD plus the main thread's. */
#define DP_MAX_TXQ (DP_MAX_PMDS + 1)
/* Upper bound of rx queues per port we accept from "n_rxq". */
#define DP_MAX_RXQ 64
#define DP_NAME_LEN 64
#define DP_DEVARGS_LEN 256

struct rte_device;
struct rte_mempool;
struct rte_rcu_qsbr;
struct dp_port;
struct dp_pmd;

/* Relaxed counters: one writer (the owning worker), any reader. */
static inline void
dp_counter_add(uint64_t *counter, uint64_t n)
{
    __atomic_store_n(counter, __atomic_load_n(counter, __ATOMIC_RELAXED) + n,
                     __ATOMIC_RELAXED);
}

static inline uint64_t
dp_counter_read(const uint64_t *counter)
{
    return __atomic_load_n(counter, __ATOMIC_RELAXED);
}

/* Bytes in pkts[0..n) (whole frames), for ports that count in software. */
static inline uint64_t
dp_burst_bytes(struct rte_mbuf *const pkts[], unsigned int n)
{
    uint64_t bytes = 0;
    for (unsigned int i = 0; i < n; i++) {
        bytes += rte_pktmbuf_pkt_len(pkts[i]);
    }
    return bytes;
}

/* ---- ports -------------------------------------------------------------- */

/* One rx queue of a port, as the rxq scheduler and a PMD see it. */
struct dp_rxq {
    struct dp_port *port;
    uint16_t qid;
    int pmd_slot;                   /* -1 when not polled */
    /* Written by the polling PMD only. */
    uint64_t cycles;                /* busy cycles spent on this queue */
    uint64_t packets;
    /* Main-thread view of load, for "cycles" assignment and usage_pct. */
    uint64_t window_start_cycles;
    uint64_t last_window_cycles;
    bool have_window;
};

struct dp_port {
    char name[DP_NAME_LEN];
    const struct dp_netdev_class *class;
    struct dp_bridge *bridge;
    uint32_t ofport;
    uint32_t slot;                   /* index in dp_state.ports[]: the port
                                        handle given to NORMAL */
    struct dp_vlan_config vlan;
    json_t *options;                 /* owned reference */

    /* ethdev state */
    uint16_t port_id;
    bool ethdev_open;                /* class opened it */
    bool started;
    uint16_t req_n_rxq;
    uint16_t n_rxq, n_txq;
    uint16_t n_rxq_desc, n_txq_desc;
    uint16_t mtu;                    /* 0 = device default */
    bool txq_shared;                 /* fewer txqs than writers: lock */
    rte_spinlock_t txq_lock[DP_MAX_TXQ];
    struct dp_rxq *rxqs;             /* n_rxq entries */
    /* Cleared while the ethdev is (re)configured; workers drop instead of
     * transmitting. */
    bool tx_ready;

    struct rte_device *device;       /* the ethdev's device, for removal */
    char devargs[DP_DEVARGS_LEN];
    char driver[DP_NAME_LEN];
    const char *mode;                /* system: "af_xdp" / "af_packet" */
    bool xdp_start_failed;           /* system: AF_XDP probed but would not
                                        start; best-effort uses AF_PACKET */
    /* MAC reported when the driver cannot store one (ring ethdevs). */
    bool has_mac_override;
    uint8_t mac_override[6];
    void *class_data;

    /* The driver counts packets but not bytes (the ring PMD behind dummy
     * ports): workers count the port's bytes themselves, a sum per burst. */
    bool sw_byte_counts;

    /* Datapath drops of workers that exited, so stats never go backwards;
     * likewise software byte counts (sw_byte_counts) and main's own. */
    uint64_t retired_rx_dropped, retired_tx_dropped;
    uint64_t retired_rx_bytes, retired_tx_bytes;

    /* OpenFlow view. 'of_config' (FT_OFPPC_*) is written by main and read
     * by workers (relaxed): NO_RECV / PORT_DOWN drop at rx, PORT_DOWN at
     * tx too. 'link_up' is main's last look at the link, for liveness in
     * the pipeline's port map. */
    uint32_t of_config;
    bool link_up;
};

/* ---- bridges ------------------------------------------------------------ */

struct dp_bridge {
    struct dp_bridge *next;
    char name[DP_NAME_LEN];
    /* RCU-published for workers. */
    struct ft_mac_table *mac;
    struct ft_normal_ports *nports;  /* handles: OpenFlow port numbers */
    struct ft_pipeline *pipeline;    /* not owned; NULL: drop everything */
    unsigned int mac_aging_s;
    unsigned int mac_max;
    unsigned int mac_generation;     /* keeps rte_hash names unique */

    /* Main thread only: callbacks and generation syncs (dp_revalidate.c). */
    dp_generation_cb *gen_cb;
    void *gen_aux;
    dp_packet_in_cb *pin_cb;
    void *pin_aux;
    dp_port_status_cb *port_status_cb;
    void *port_status_aux;
    uint64_t *sync_pending;          /* generations asked for, ascending */
    unsigned int n_sync_pending;
    uint64_t synced_generation;      /* megaflows known to reflect it */
    bool sync_waiting;               /* a grace period for 'sync_wait_gen' */
    uint64_t sync_wait_gen;          /*   is running since 'sync_token' */
    uint64_t sync_token;
    uint64_t round_start_gen;        /* generation when the round began */
    uint64_t mac_events;             /* MAC table changes seen last round */
    bool mac_changed;                /* ...and whether this round saw more */
};

/* Rebuilds and publishes the NORMAL ports snapshot of 'br' (keyed by
 * OpenFlow port number) and the pipeline's port map (after a port was
 * added, removed or changed VLAN, OpenFlow config or link state). Frees
 * the old snapshot after a grace period. */
void dp_bridge_rebuild_ports(struct dp_bridge *br);

/* Removes every megaflow of 'br' from every worker (and, when
 * 'also_slot' >= 0, those entering on that port slot whatever its
 * bridge), destroying their xcaches. Main. */
void dp_bridge_flush_megaflows(struct dp_bridge *br, int also_slot);

/* ---- PMD workers -------------------------------------------------------- */

enum dp_rxq_assign { DP_RXQ_ASSIGN_ROUNDROBIN, DP_RXQ_ASSIGN_CYCLES };

struct dp_poll_entry {
    struct dp_port *port;
    struct dp_rxq *rxq;
    uint16_t port_id;
    uint16_t qid;
};

/* A worker's rx queues; immutable once published. */
struct dp_poll_list {
    unsigned int n;
    struct dp_poll_entry entries[];
};

/* Buckets of the per-miss cycle histogram: bucket i counts misses that
 * cost [2^i, 2^(i+1)) cycles (the last one everything above). */
#define DP_MISS_HIST_BUCKETS 32

/* Every field is a uint64_t: "stats clear" copies the struct word by word. */
struct dp_pmd_counters {
    uint64_t packets;
    uint64_t rx_batches;
    uint64_t tx_packets;
    uint64_t dropped;
    uint64_t busy_cycles;
    uint64_t idle_cycles;
    uint64_t sleep_us;
    /* the caches */
    uint64_t simple_hits;            /* bursts answered by the port's
                                        port-only megaflow, unparsed */
    uint64_t emc_hits;
    uint64_t megaflow_hits;
    uint64_t misses;                 /* neither cache had it */
    uint64_t upcalls_handled;        /* misses translated */
    uint64_t upcalls_queued;         /* misses that waited behind another
                                        miss of the same burst */
    uint64_t upcalls_dropped;        /* over the port's upcall rate */
    uint64_t miss_cycles;            /* spent translating and installing */
    uint64_t megaflow_full;          /* executed without installing */
    uint64_t packet_in_dropped;      /* packet-in ring full */
    uint64_t recirc_dropped;         /* past FT_RECIRC_MAX_DEPTH */
    uint64_t miss_hist[DP_MISS_HIST_BUCKETS];
};

/* Per-port upcall token bucket of one worker (worker-private). Tokens are
 * kept in units of 1/tsc_hz of a miss so refills need no division. */
struct dp_upcall_bucket {
    uint64_t tokens;
    uint64_t last_tsc;
};

/* A record a worker queues for main on its ring (dp_upcall.c). */
enum dp_upcall_msg_type {
    DP_UPCALL_PACKET_IN,             /* deliver to the bridge's callback */
    DP_UPCALL_XCACHE,                /* destroy an xcache (main only) */
};
struct dp_upcall_msg {
    uint32_t type;
    uint32_t in_slot;                /* PACKET_IN: port slot it came in */
    struct rte_mbuf *m;              /* PACKET_IN: the packet (owned) */
    struct ft_pipeline *pipeline;    /* XCACHE */
    struct ft_xcache *xcache;        /* XCACHE */
    struct ft_dpact act;             /* PACKET_IN: the CONTROLLER action */
    struct ft_key key;               /* PACKET_IN: in_port = OpenFlow port */
};

/* Worker ring size: packet-ins beyond it (main lagging) are dropped. */
#define DP_UPCALL_RING_SIZE 1024

/* What a worker's megaflow keeps besides its actions (its "xcache" in
 * dp_dpcls.h terms). The worker fills it before installing; afterwards
 * only main touches it (revalidation, stats crediting, removal); the flow
 * cache frees it with the megaflow (dp_megaflow_priv_free). */
struct dp_megaflow_priv {
    struct ft_pipeline *pipeline;
    struct ft_xcache *xcache;        /* NULL once main removed it */
    uint64_t generation;             /* pipeline generation translated at */
    bool uses_normal;
    uint64_t credited_packets;
    uint64_t credited_bytes;
};
void dp_megaflow_priv_free(void *priv, void *aux);

struct dp_txbuf {
    uint16_t n;
    bool dirty;                      /* listed in dp_pmd.dirty[] */
    struct rte_mbuf *pkts[DP_BURST];
};

struct dp_pmd {
    unsigned int core;
    unsigned int slot;               /* RCU thread id, txq selector */
    int numa;
    pthread_t thread;
    bool thread_started;
    bool stop;                       /* set by main, read by the worker */
    bool ready;                      /* worker registered and online */
    bool failed;                     /* worker could not register */
    bool retiring;                   /* main: being removed, gets no rxq */
    struct dp_poll_list *poll;       /* RCU-published by main */

    struct dp_pmd_counters cnt;      /* written by the worker */
    struct dp_pmd_counters cleared;  /* main: baseline of "stats clear" */
    uint64_t window_start_busy, window_start_total;
    uint64_t last_window_total;

    /* Per port slot, written by the worker. */
    uint64_t port_rx_dropped[DP_MAX_PORTS];
    uint64_t port_tx_dropped[DP_MAX_PORTS];
    uint64_t port_rx_bytes[DP_MAX_PORTS];   /* sw_byte_counts ports only */
    uint64_t port_tx_bytes[DP_MAX_PORTS];

    /* The caches. The flow cache is created and destroyed by main; the
     * EMC by the worker itself (NUMA-local). */
    struct dp_flow_cache *flows;
    struct dp_emc *emc;
    struct rte_ring *to_main;        /* dp_upcall_msg records, SP/SC */

    /* Worker-private scratch. */
    unsigned int n_dirty;
    uint16_t dirty[DP_MAX_PORTS];
    struct dp_txbuf txbufs[DP_MAX_PORTS];
    struct dp_exec_ctx exec;
    uint64_t tsc_hz;
    int64_t now_ms;                  /* of the current burst */
    int64_t last_sweep_ms;           /* EMC sweep and subtable ranking */
    /* The worker's clock (dp_pmd_clock_update): TSC ticks since a base
     * re-read from CLOCK_MONOTONIC once a second. */
    uint64_t clock_tsc0;
    uint64_t clock_ns0;
    double ns_per_tsc;
    unsigned int exec_depth;         /* recirculation depth executing */
    /* One translation buffer per recirculation depth: a miss during a
     * recirculation must not overwrite the actions being executed. */
    struct ft_xlate_out *xout[FT_RECIRC_MAX_DEPTH + 1];
    struct dp_upcall_bucket buckets[DP_MAX_PORTS];
};

/* Starts/stops workers to match the current mask. */
int dp_pmd_apply_mask(const uint64_t *mask_words, unsigned int n_words,
                      char *err, size_t errlen);
void dp_pmd_stop_all(void);
/* Reassigns every rx queue of every port to the workers and publishes the
 * new poll lists (dp_rxq.c). */
void dp_rxq_reassign(void);
/* Removes 'port' from every poll list and waits a grace period. */
void dp_rxq_unpoll_port(struct dp_port *port);
/* Folds rxq/PMD cycle counters into the "last window" used by cycles
 * assignment and usage_pct; dp_run_periodic calls it. */
void dp_rxq_window_tick(int64_t now_ms);
/* Publishes 'lists[i]' as the poll list of worker i (NULL = empty), waits a
 * grace period and frees the old lists. */
void dp_pmd_publish_poll_lists(struct dp_poll_list **lists);

/* ---- global state ------------------------------------------------------- */

struct dp_state {
    bool initialized;
    struct rte_mempool *pool;
    struct rte_rcu_qsbr *qsbr;

    /* memory plan */
    bool hugepages;
    bool private_runtime_dir;        /* per-process EAL prefix: rmdir it */
    unsigned int hugepage_size_kb;
    unsigned int mbufs;
    unsigned int mbuf_size;
    unsigned int mempool_mb;
    unsigned int main_core;
    unsigned int n_cpus_allowed;     /* bounds the number of PMDs */
    cpu_set_t allowed_cpus;          /* affinity before EAL pinned main */

    /* ports by slot, RCU-published for workers */
    struct dp_port *ports[DP_MAX_PORTS];
    unsigned int n_ports;
    struct dp_bridge *bridges;

    /* workers by slot */
    struct dp_pmd *pmds[DP_MAX_PMDS];
    unsigned int n_pmds;
    enum dp_rxq_assign rxq_assign;
    unsigned int pmd_max_sleep_us;   /* read by workers */
    int64_t window_start_ms;

    /* Cache and upcall tuning; workers read fields relaxed. */
    struct dp_flow_config flow_cfg;
    int64_t next_revalidate_ms;      /* main: next periodic round */

    /* main's datapath action execution (packet-out): txq 0 */
    struct dp_exec_ctx main_exec;
    struct ft_xlate_out *main_xout[FT_RECIRC_MAX_DEPTH + 1];
};

extern struct dp_state dp_state;

/* Waits until every worker went through a quiescent state. */
void dp_rcu_synchronize(void);

/* Writes "prefix: reason" into err (if non-NULL) and logs it at WARN. */
void dp_set_error(char *err, size_t errlen, const char *fmt, ...)
    PRINTF_FORMAT(3, 4);

/* Reads a string / unsigned option from a JSON options object. */
const char *dp_option_str(const json_t *options, const char *key);
int dp_option_uint(const json_t *options, const char *key, unsigned int dflt,
                   unsigned int max, unsigned int *out, char *err,
                   size_t errlen);

struct dp_port *dp_port_lookup(const char *name);
struct dp_port *dp_bridge_port_by_ofport(const struct dp_bridge *,
                                         uint32_t ofport);
/* Reads the port's link state into port->link_up; true if it changed. */
bool dp_port_refresh_link(struct dp_port *port);

/* ---- forwarding through the pipeline (dp_upcall.c) ------------------------ */

/* Looks up, translates misses of and executes a batch of packets entering
 * on port slot 'in_slot' of 'br', at recirculation depth 'depth'; keys
 * and layers as dp_parse_mbuf() left them with in_port = the slot. Takes
 * ownership of the packets. Worker. */
/* The simple-match path: when the port's classifier holds a megaflow that
 * matches all its first-pass packets and whose actions are one OUTPUT,
 * sends the whole burst there without parsing it and returns true;
 * false (nothing done) otherwise. */
bool dp_pmd_forward_port_only(struct dp_pmd *pmd, const struct dp_port *in,
                              struct rte_mbuf **pkts, unsigned int n);
void dp_pmd_forward(struct dp_pmd *pmd, struct dp_bridge *br,
                    uint32_t in_slot, struct rte_mbuf **pkts,
                    struct ft_key *keys, struct dp_parse_layers *layers,
                    unsigned int n, unsigned int depth);
/* Worker sinks for dp_execute (dp_pmd.c owns the tx buffers). */
void dp_pmd_output_sink(void *aux, uint32_t dp_port, uint32_t queue_id,
                        struct rte_mbuf *const pkts[], unsigned int n);
/* Sets up / tears down a worker's caches and scratch: main before the
 * thread starts (flow cache, ring, buffers) and after it ended. */
int dp_pmd_caches_init(struct dp_pmd *pmd);
void dp_pmd_caches_fini(struct dp_pmd *pmd);
/* Delivers up to 'budget' queued records of every worker; returns how
 * many packet-ins were delivered. Main. */
unsigned int dp_upcall_drain(unsigned int budget);
/* Main's executor for packet-out; set up by dp_init. */
int dp_main_exec_init(void);
void dp_main_exec_fini(void);

/* Removes one megaflow of 'pmd' from main: final stats credit, xcache
 * destroyed, megaflow removed. */
void dp_megaflow_remove_main(struct dp_pmd *pmd, struct dp_megaflow *mf);

#endif
