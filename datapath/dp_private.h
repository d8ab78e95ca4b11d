/*
 * dp_private.h — datapath internals shared by the files of datapath/:
 * the global state, ports, bridges and PMD workers. The netdev-class
 * interface is in dp_netdev.h.
 *
 * Ownership and threads:
 *  - The main thread is the only writer of everything here. PMD workers read
 *    ports (through dp_state.ports[]), bridges (MAC table and NORMAL port
 *    snapshot pointers) and their own poll list, all under RCU: a writer
 *    unpublishes, calls dp_rcu_synchronize(), then frees.
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

#include <rte_spinlock.h>

#include "datapath/datapath.h"
#include "flowtable/ft_normal.h"
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

    /* Datapath drops of workers that exited, so stats never go backwards. */
    uint64_t retired_rx_dropped, retired_tx_dropped;
};

/* ---- bridges ------------------------------------------------------------ */

struct dp_bridge {
    struct dp_bridge *next;
    char name[DP_NAME_LEN];
    /* RCU-published for workers. */
    struct ft_mac_table *mac;
    struct ft_normal_ports *nports;
    unsigned int mac_aging_s;
    unsigned int mac_max;
    unsigned int mac_generation;     /* keeps rte_hash names unique */
};

/* Rebuilds and publishes the NORMAL ports snapshot of 'br' (after a port
 * was added, removed or changed VLAN). Frees the old one after a grace
 * period. */
void dp_bridge_rebuild_ports(struct dp_bridge *br);

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

struct dp_pmd_counters {
    uint64_t packets;
    uint64_t rx_batches;
    uint64_t tx_packets;
    uint64_t dropped;
    uint64_t busy_cycles;
    uint64_t idle_cycles;
    uint64_t sleep_us;
};

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

    /* Worker-private scratch. */
    unsigned int n_dirty;
    uint16_t dirty[DP_MAX_PORTS];
    struct dp_txbuf txbufs[DP_MAX_PORTS];
    struct ft_normal_result result;
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

#endif
