/*
 * dp_pmd.c — PMD workers: creation and pinning from pmd-cpu-mask, the poll
 * loop (rx burst, parse, hand to the caches in dp_upcall.c), per-port tx
 * buffers, idle back-off, cycle accounting and per-worker statistics.
 *
 * Threads:
 *  - dp_pmd_main() and everything it calls (dp_pmd_loop, dp_pmd_process,
 *    dp_pmd_output_sink, dp_pmd_tx_*) run on a worker. They read RCU-published
 *    state only (poll list, ports by slot, bridge snapshots), allocate
 *    nothing but mbufs, take no lock unless a port has fewer tx queues than
 *    writers, and make no syscall on the packet path (time_msec() is vDSO;
 *    nanosleep only when idle, after going RCU-offline).
 *  - Every other function runs on the main thread.
 *
 * RCU: a worker reports quiescence after each loop iteration, when it holds
 * no pointer into published state and its tx buffers are empty. So after
 * dp_rcu_synchronize() a deleted port is neither polled nor transmitted to
 * and no buffered packet refers to it.
 */
#include "dp_private.h"

#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_prefetch.h>
#include <rte_rcu_qsbr.h>

#include "datapath/dp_parse.h"
#include "lib/timeval.h"

/* Distinct egress VLAN edits of one frame we share buffers for; NORMAL
 * yields at most two (tagged / untagged) for a frame in one VLAN. */
#define DP_MAX_VARIANTS 8
#define DP_MAX_MASK_CPUS 1024

/* ---- tx buffers (worker) ---------------------------------------------------- */

static void
dp_pmd_tx_flush(struct dp_pmd *pmd, uint32_t slot)
{
    struct dp_txbuf *buf = &pmd->txbufs[slot];
    uint16_t n = buf->n;
    if (!n) {
        return;
    }
    buf->n = 0;
    struct dp_port *port = __atomic_load_n(&dp_state.ports[slot],
                                           __ATOMIC_ACQUIRE);
    uint16_t sent = 0;
    /* Counted before the hand-off: the mbufs are the driver's after it. */
    uint64_t bytes = port && unlikely(port->sw_byte_counts)
                     ? dp_burst_bytes(buf->pkts, n) : 0;
    if (likely(port && __atomic_load_n(&port->tx_ready, __ATOMIC_ACQUIRE))) {
        /* txq 0 is main's; worker slot s uses s + 1 when the device has
         * enough queues, otherwise queues are shared and locked. */
        uint16_t qid = (uint16_t) ((pmd->slot + 1) % port->n_txq);
        if (unlikely(port->txq_shared || pmd->slot + 1 >= port->n_txq)) {
            rte_spinlock_lock(&port->txq_lock[qid]);
            sent = rte_eth_tx_burst(port->port_id, qid, buf->pkts, n);
            rte_spinlock_unlock(&port->txq_lock[qid]);
        } else {
            sent = rte_eth_tx_burst(port->port_id, qid, buf->pkts, n);
        }
    }
    if (unlikely(sent < n)) {
        bytes -= bytes ? dp_burst_bytes(&buf->pkts[sent], n - sent) : 0;
        rte_pktmbuf_free_bulk(&buf->pkts[sent], n - sent);
        dp_counter_add(&pmd->port_tx_dropped[slot], n - sent);
        dp_counter_add(&pmd->cnt.dropped, n - sent);
    }
    if (unlikely(bytes)) {
        dp_counter_add(&pmd->port_tx_bytes[slot], bytes);
    }
    dp_counter_add(&pmd->cnt.tx_packets, sent);
}

static void
dp_pmd_tx_flush_all(struct dp_pmd *pmd)
{
    for (unsigned int i = 0; i < pmd->n_dirty; i++) {
        uint16_t slot = pmd->dirty[i];
        dp_pmd_tx_flush(pmd, slot);
        pmd->txbufs[slot].dirty = false;
    }
    pmd->n_dirty = 0;
}

/* The dp_execute() output sink: datapath port handles are port slots. A
 * packet for a slot that is gone or administratively down is dropped. */
void
dp_pmd_output_sink(void *aux, uint32_t dp_port, uint32_t queue_id,
                   struct rte_mbuf *const pkts[], unsigned int n)
{
    struct dp_pmd *pmd = aux;
    (void) queue_id;                 /* no QoS queues on these ports yet */

    const struct dp_port *port = dp_port < DP_MAX_PORTS
        ? __atomic_load_n(&dp_state.ports[dp_port], __ATOMIC_ACQUIRE) : NULL;
    if (unlikely(!port || (__atomic_load_n(&port->of_config, __ATOMIC_RELAXED)
                           & FT_OFPPC_PORT_DOWN))) {
        rte_pktmbuf_free_bulk((struct rte_mbuf **) (uintptr_t) pkts, n);
        if (port) {
            dp_counter_add(&pmd->port_tx_dropped[dp_port], n);
        }
        dp_counter_add(&pmd->cnt.dropped, n);
        return;
    }
    struct dp_txbuf *buf = &pmd->txbufs[dp_port];
    if (!buf->dirty) {
        buf->dirty = true;
        pmd->dirty[pmd->n_dirty++] = (uint16_t) dp_port;
    }
    /* Whole runs at a time: a per-packet enqueue reloads buf->n after
     * every store (the mbuf array may alias it). */
    while (n) {
        unsigned int room = DP_BURST - buf->n;
        unsigned int k = n < room ? n : room;
        memcpy(&buf->pkts[buf->n], pkts, k * sizeof pkts[0]);
        buf->n = (uint16_t) (buf->n + k);
        pkts += k;
        n -= k;
        if (buf->n == DP_BURST) {
            dp_pmd_tx_flush(pmd, dp_port);
        }
    }
}

/* ---- the poll loop (worker) ------------------------------------------------------ */

/* The time of a burst for meters, megaflow 'used' stamps and the upcall
 * buckets, without a clock_gettime per burst: TSC ticks since a base that
 * is re-read from CLOCK_MONOTONIC once a second (the TSC is the kernel's
 * clocksource here, so only NTP slewing separates the two). The clock
 * never steps back: when the extrapolation is ahead of the system clock,
 * it keeps its value and runs slower for the next second to close the
 * gap; when behind, it jumps forward. */
static void
dp_pmd_clock_update(struct dp_pmd *pmd, uint64_t tsc)
{
    uint64_t ticks = tsc - pmd->clock_tsc0;
    uint64_t ns = pmd->clock_ns0 + (uint64_t) ((double) ticks
                                               * pmd->ns_per_tsc);

    if (unlikely(!pmd->clock_tsc0 || ticks >= pmd->tsc_hz)) {
        uint64_t sys = (uint64_t) time_usec() * 1000;
        double hz = (double) (pmd->tsc_hz ? pmd->tsc_hz : 1);
        double second_ns = 1e9;

        if (pmd->clock_tsc0 && ns > sys) {
            uint64_t ahead = ns - sys;
            second_ns = ahead < 500000000 ? 1e9 - (double) ahead : 5e8;
        } else {
            ns = sys;
        }
        pmd->clock_tsc0 = tsc;
        pmd->clock_ns0 = ns;
        pmd->ns_per_tsc = second_ns / hz;
    }
    pmd->exec.now_ns = ns;
    pmd->now_ms = (int64_t) (ns / 1000000);
}

static void
dp_pmd_drop_rx(struct dp_pmd *pmd, const struct dp_port *in,
               struct rte_mbuf **pkts, unsigned int n)
{
    rte_pktmbuf_free_bulk(pkts, n);
    dp_counter_add(&pmd->port_rx_dropped[in->slot], n);
    dp_counter_add(&pmd->cnt.dropped, n);
}

/* Parses a burst and hands it to the caches (dp_upcall.c). */
static void
dp_pmd_process(struct dp_pmd *pmd, struct dp_port *in, struct rte_mbuf **pkts,
               uint16_t n)
{
    struct dp_bridge *br = in->bridge;
    struct ft_key keys[DP_BURST];
    struct dp_parse_layers layers[DP_BURST];
    struct rte_mbuf *good[DP_BURST];
    unsigned int n_good = 0;

    if (unlikely(__atomic_load_n(&in->of_config, __ATOMIC_RELAXED)
                 & (FT_OFPPC_NO_RECV | FT_OFPPC_PORT_DOWN))) {
        dp_pmd_drop_rx(pmd, in, pkts, n);
        return;
    }
    if (unlikely(!__atomic_load_n(&br->pipeline, __ATOMIC_ACQUIRE))) {
        /* No pipeline attached: the bridge drops. */
        dp_pmd_drop_rx(pmd, in, pkts, n);
        return;
    }
    dp_pmd_clock_update(pmd, rte_rdtsc());
    if (dp_pmd_forward_port_only(pmd, in, pkts, n)) {
        return;
    }
    for (uint16_t i = 0; i < n; i++) {
        struct rte_mbuf *m = pkts[i];
        if (i + 1 < n) {
            rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 1], void *));
        }
        if (unlikely(rte_pktmbuf_data_len(m) < RTE_ETHER_HDR_LEN)) {
            /* A runt has no MACs: it would parse as 00:00:00:00:00:00 to
             * 00:00:00:00:00:00, be learned and flooded. */
            dp_pmd_drop_rx(pmd, in, &m, 1);
            continue;
        }
        struct ft_key *key = &keys[n_good];
        dp_parse_mbuf(m, in->slot, key, &layers[n_good]);
        key->dp_hash = dp_packet_hash(m, key);
        good[n_good++] = m;
    }
    if (n_good) {
        dp_pmd_forward(pmd, br, in->slot, good, keys, layers, n_good, 0);
    }
}

static void
dp_pmd_loop(struct dp_pmd *pmd)
{
    unsigned int sleep_us = 0;
    uint64_t prev = rte_rdtsc();
    uint64_t tsc_per_us = rte_get_tsc_hz() / 1000000;
    if (!tsc_per_us) {
        tsc_per_us = 1;
    }

    while (!__atomic_load_n(&pmd->stop, __ATOMIC_ACQUIRE)) {
        const struct dp_poll_list *list =
            __atomic_load_n(&pmd->poll, __ATOMIC_ACQUIRE);
        uint64_t busy = 0, idle = 0, packets = 0, batches = 0;

        for (unsigned int i = 0; list && i < list->n; i++) {
            const struct dp_poll_entry *e = &list->entries[i];
            struct rte_mbuf *pkts[DP_BURST];
            uint16_t n = rte_eth_rx_burst(e->port_id, e->qid, pkts, DP_BURST);
            if (n) {
                if (unlikely(e->port->sw_byte_counts)) {
                    dp_counter_add(&pmd->port_rx_bytes[e->port->slot],
                                   dp_burst_bytes(pkts, n));
                }
                dp_pmd_process(pmd, e->port, pkts, n);
                dp_pmd_tx_flush_all(pmd);
            }
            uint64_t now = rte_rdtsc();
            uint64_t spent = now - prev;
            prev = now;
            if (n) {
                busy += spent;
                packets += n;
                batches++;
                dp_counter_add(&e->rxq->cycles, spent);
                dp_counter_add(&e->rxq->packets, n);
            } else {
                idle += spent;
            }
        }
        if (!list || !list->n) {
            uint64_t now = rte_rdtsc();
            idle += now - prev;
            prev = now;
        }
        if (packets && pmd->now_ms != pmd->last_sweep_ms) {
            /* Once a millisecond at most: subtable ranking (itself once a
             * second), and a few EMC slots checked for removed megaflows
             * (each is a cache miss; 64 a millisecond visit the default
             * 8k-entry EMC in about 130 ms). */
            pmd->last_sweep_ms = pmd->now_ms;
            dp_flow_cache_sort(pmd->flows, pmd->now_ms);
            if (pmd->emc) {
                dp_emc_sweep(pmd->emc, DP_EMC_SWEEP_SLOTS);
            }
        }
        if (busy) {
            dp_counter_add(&pmd->cnt.busy_cycles, busy);
            dp_counter_add(&pmd->cnt.packets, packets);
            dp_counter_add(&pmd->cnt.rx_batches, batches);
        }

        /* Nothing of the published state is held past this point. */
        rte_rcu_qsbr_quiescent(dp_state.qsbr, pmd->slot);

        unsigned int max_sleep = __atomic_load_n(&dp_state.pmd_max_sleep_us,
                                                 __ATOMIC_RELAXED);
        if (packets || !max_sleep) {
            sleep_us = 0;
        } else {
            sleep_us = sleep_us ? MIN(sleep_us * 2, max_sleep) : 1;
            /* Offline: main never waits for a sleeping worker. */
            rte_rcu_qsbr_thread_offline(dp_state.qsbr, pmd->slot);
            struct timespec ts = {
                .tv_sec = sleep_us / 1000000,
                .tv_nsec = (long) (sleep_us % 1000000) * 1000,
            };
            nanosleep(&ts, NULL);
            rte_rcu_qsbr_thread_online(dp_state.qsbr, pmd->slot);
            uint64_t now = rte_rdtsc();
            uint64_t slept = now - prev;
            prev = now;
            idle += slept;
            dp_counter_add(&pmd->cnt.sleep_us, slept / tsc_per_us);
        }
        if (idle) {
            dp_counter_add(&pmd->cnt.idle_cycles, idle);
        }
    }
    dp_pmd_tx_flush_all(pmd);
}

static void *
dp_pmd_main(void *arg)
{
    struct dp_pmd *pmd = arg;
    char name[16];
    snprintf(name, sizeof name, "pmd-c%02u", pmd->core);
    pthread_setname_np(pthread_self(), name);

    if (rte_thread_register()) {
        VLOG_ERR(DP_LOG, "PMD on core %u: cannot register with EAL: %s",
                 pmd->core, rte_strerror(rte_errno));
        __atomic_store_n(&pmd->failed, true, __ATOMIC_RELEASE);
        return NULL;
    }
    pmd->numa = (int) rte_socket_id();
    /* First touch on the worker: the EMC's pages are NUMA-local. Without
     * one (no memory) every packet goes to the megaflow classifier. */
    pmd->emc = dp_emc_create(0, dp_state.flow_cfg.emc_insert_inv_prob);
    if (!pmd->emc) {
        VLOG_WARN(DP_LOG, "PMD on core %u: no memory for an EMC; running "
                  "without", pmd->core);
    }
    rte_rcu_qsbr_thread_register(dp_state.qsbr, pmd->slot);
    rte_rcu_qsbr_thread_online(dp_state.qsbr, pmd->slot);
    __atomic_store_n(&pmd->ready, true, __ATOMIC_RELEASE);

    dp_pmd_loop(pmd);

    rte_rcu_qsbr_thread_offline(dp_state.qsbr, pmd->slot);
    rte_rcu_qsbr_thread_unregister(dp_state.qsbr, pmd->slot);
    /* Its references go before main destroys the flow cache. */
    dp_emc_destroy(pmd->emc);
    pmd->emc = NULL;
    rte_thread_unregister();
    return NULL;
}

/* ---- worker lifecycle (main) ---------------------------------------------------- */

static struct dp_pmd *
dp_pmd_start(unsigned int core, char *err, size_t errlen)
{
    int slot = -1;
    for (unsigned int i = 0; i < DP_MAX_PMDS; i++) {
        if (!dp_state.pmds[i]) {
            slot = (int) i;
            break;
        }
    }
    if (slot < 0) {
        dp_set_error(err, errlen, "too many PMD workers (max %d)",
                     DP_MAX_PMDS);
        return NULL;
    }
    struct dp_pmd *pmd = rte_zmalloc("dp_pmd", sizeof *pmd,
                                     RTE_CACHE_LINE_SIZE);
    if (!pmd) {
        dp_set_error(err, errlen, "out of memory for a PMD worker");
        return NULL;
    }
    pmd->core = core;
    pmd->slot = (unsigned int) slot;
    pmd->numa = -1;
    if (dp_pmd_caches_init(pmd)) {
        dp_set_error(err, errlen, "out of memory for the caches of a PMD "
                     "worker");
        dp_pmd_caches_fini(pmd);
        rte_free(pmd);
        return NULL;
    }

    pthread_attr_t attr;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(core, &set);
    pthread_attr_init(&attr);
    pthread_attr_setaffinity_np(&attr, sizeof set, &set);
    int error = pthread_create(&pmd->thread, &attr, dp_pmd_main, pmd);
    pthread_attr_destroy(&attr);
    if (error) {
        dp_set_error(err, errlen, "cannot start PMD on core %u: %s", core,
                     strerror(error));
        dp_pmd_caches_fini(pmd);
        rte_free(pmd);
        return NULL;
    }
    /* Wait until it is registered, so its failures are ours to report. */
    for (int i = 0; i < 5000; i++) {
        if (__atomic_load_n(&pmd->ready, __ATOMIC_ACQUIRE)
            || __atomic_load_n(&pmd->failed, __ATOMIC_ACQUIRE)) {
            break;
        }
        struct timespec ts = { 0, 1000000 };
        nanosleep(&ts, NULL);
    }
    if (!__atomic_load_n(&pmd->ready, __ATOMIC_ACQUIRE)) {
        __atomic_store_n(&pmd->stop, true, __ATOMIC_RELEASE);
        pthread_join(pmd->thread, NULL);
        dp_set_error(err, errlen, "PMD on core %u failed to start", core);
        dp_pmd_caches_fini(pmd);
        rte_free(pmd);
        return NULL;
    }
    dp_state.pmds[slot] = pmd;
    dp_state.n_pmds++;
    VLOG_INFO(DP_LOG, "PMD worker started on core %u (numa %d)", core,
              pmd->numa);
    return pmd;
}

static void
dp_pmd_join(struct dp_pmd *pmd)
{
    __atomic_store_n(&pmd->stop, true, __ATOMIC_RELEASE);
    pthread_join(pmd->thread, NULL);
    /* Keep its port drop counts in the ports' totals. */
    for (unsigned int i = 0; i < DP_MAX_PORTS; i++) {
        struct dp_port *port = dp_state.ports[i];
        if (port) {
            port->retired_rx_dropped += pmd->port_rx_dropped[i];
            port->retired_tx_dropped += pmd->port_tx_dropped[i];
            port->retired_rx_bytes += pmd->port_rx_bytes[i];
            port->retired_tx_bytes += pmd->port_tx_bytes[i];
        }
    }
    dp_state.pmds[pmd->slot] = NULL;
    dp_state.n_pmds--;
    free(pmd->poll);
    dp_pmd_caches_fini(pmd);
    VLOG_INFO(DP_LOG, "PMD worker on core %u stopped", pmd->core);
    rte_free(pmd);
}

void
dp_pmd_stop_all(void)
{
    for (unsigned int i = 0; i < DP_MAX_PMDS; i++) {
        if (dp_state.pmds[i]) {
            dp_state.pmds[i]->retiring = true;
        }
    }
    dp_rxq_reassign();
    for (unsigned int i = 0; i < DP_MAX_PMDS; i++) {
        if (dp_state.pmds[i]) {
            dp_pmd_join(dp_state.pmds[i]);
        }
    }
}

static bool
dp_poll_list_has(const struct dp_poll_list *list,
                 const struct dp_poll_entry *e)
{
    for (unsigned int i = 0; list && i < list->n; i++) {
        const struct dp_poll_entry *f = &list->entries[i];
        if (f->rxq == e->rxq && f->port_id == e->port_id && f->qid == e->qid) {
            return true;
        }
    }
    return false;
}

/* An rx queue must never be polled by two workers at once (rx bursts on
 * one queue are not thread-safe; its counters have one writer). Before a
 * queue moves, every worker is left with only the queues it keeps, and a
 * grace period passes; only then do the new lists go out. */
static void
dp_pmd_drop_moving_rxqs(struct dp_poll_list **lists)
{
    struct dp_poll_list *kept[DP_MAX_PMDS] = { NULL };
    struct dp_poll_list *old[DP_MAX_PMDS] = { NULL };
    bool change = false;
    for (unsigned int i = 0; i < DP_MAX_PMDS; i++) {
        struct dp_pmd *pmd = dp_state.pmds[i];
        const struct dp_poll_list *cur = pmd ? pmd->poll : NULL;
        if (!cur) {
            continue;
        }
        unsigned int n = 0;
        for (unsigned int k = 0; k < cur->n; k++) {
            n += dp_poll_list_has(lists[i], &cur->entries[k]);
        }
        if (n == cur->n) {
            continue;                /* loses nothing */
        }
        change = true;
        /* Out of memory: an empty list (NULL) is just as safe. */
        kept[i] = malloc(sizeof *kept[i] + n * sizeof kept[i]->entries[0]);
        if (kept[i]) {
            kept[i]->n = 0;
            for (unsigned int k = 0; k < cur->n; k++) {
                if (dp_poll_list_has(lists[i], &cur->entries[k])) {
                    kept[i]->entries[kept[i]->n++] = cur->entries[k];
                }
            }
        }
        old[i] = pmd->poll;
        __atomic_store_n(&pmd->poll, kept[i], __ATOMIC_RELEASE);
    }
    if (!change) {
        return;
    }
    dp_rcu_synchronize();
    for (unsigned int i = 0; i < DP_MAX_PMDS; i++) {
        free(old[i]);
    }
}

void
dp_pmd_publish_poll_lists(struct dp_poll_list **lists)
{
    struct dp_poll_list *old[DP_MAX_PMDS];
    dp_pmd_drop_moving_rxqs(lists);
    for (unsigned int i = 0; i < DP_MAX_PMDS; i++) {
        struct dp_pmd *pmd = dp_state.pmds[i];
        old[i] = NULL;
        if (pmd) {
            old[i] = pmd->poll;
            __atomic_store_n(&pmd->poll, lists[i], __ATOMIC_RELEASE);
        } else {
            free(lists[i]);
        }
    }
    dp_rcu_synchronize();
    for (unsigned int i = 0; i < DP_MAX_PMDS; i++) {
        free(old[i]);
    }
}

/* Parses a hex CPU mask of any width into 'cpus' (bitmap). */
static int
dp_parse_cpu_mask(const char *mask, uint64_t *cpus, size_t n_words,
                  char *err, size_t errlen)
{
    memset(cpus, 0, n_words * sizeof *cpus);
    const char *s = mask;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        s += 2;
    }
    size_t len = strlen(s);
    if (!len) {
        dp_set_error(err, errlen, "pmd-cpu-mask '%s' is empty", mask);
        return -EINVAL;
    }
    for (size_t i = 0; i < len; i++) {
        char c = s[len - 1 - i];
        unsigned int v;
        if (c >= '0' && c <= '9') {
            v = (unsigned int) (c - '0');
        } else if (c >= 'a' && c <= 'f') {
            v = (unsigned int) (c - 'a' + 10);
        } else if (c >= 'A' && c <= 'F') {
            v = (unsigned int) (c - 'A' + 10);
        } else {
            dp_set_error(err, errlen, "pmd-cpu-mask '%s' is not hexadecimal",
                         mask);
            return -EINVAL;
        }
        if (v && i * 4 >= n_words * 64) {
            dp_set_error(err, errlen, "pmd-cpu-mask '%s' names a CPU above "
                         "%zu", mask, n_words * 64 - 1);
            return -EINVAL;
        }
        if (v) {
            cpus[i / 16] |= (uint64_t) v << ((i % 16) * 4);
        }
    }
    return 0;
}

int
dp_set_pmd_cpu_mask(const char *mask, char *err, size_t errlen)
{
    if (!dp_state.initialized) {
        dp_set_error(err, errlen, "datapath is not initialized");
        return -ENODEV;
    }
    uint64_t cpus[DP_MAX_MASK_CPUS / 64];
    if (!mask) {
        mask = "";
    }
    int error = dp_parse_cpu_mask(mask, cpus, ARRAY_SIZE(cpus), err, errlen);
    if (error) {
        return error;
    }
    /* Checked against the affinity the process had before EAL pinned the
     * main thread to its core. */
    unsigned int n = 0;
    for (unsigned int cpu = 0; cpu < DP_MAX_MASK_CPUS; cpu++) {
        if (!(cpus[cpu / 64] & (1ULL << (cpu % 64)))) {
            continue;
        }
        if (cpu >= (unsigned int) CPU_SETSIZE
            || (!CPU_ISSET(cpu, &dp_state.allowed_cpus))) {
            dp_set_error(err, errlen, "pmd-cpu-mask '%s': CPU %u is not "
                         "available to this process", mask, cpu);
            return -EINVAL;
        }
        n++;
    }
    if (!n) {
        dp_set_error(err, errlen, "pmd-cpu-mask '%s' selects no CPU", mask);
        return -EINVAL;
    }
    if (n > DP_MAX_PMDS) {
        dp_set_error(err, errlen, "pmd-cpu-mask '%s' selects %u CPUs (max "
                     "%d)", mask, n, DP_MAX_PMDS);
        return -EINVAL;
    }

    /* Start the new workers first so rx queues move without a gap. */
    struct dp_pmd *started[DP_MAX_PMDS];
    unsigned int n_started = 0;
    for (unsigned int cpu = 0; cpu < DP_MAX_MASK_CPUS; cpu++) {
        if (!(cpus[cpu / 64] & (1ULL << (cpu % 64)))) {
            continue;
        }
        bool have = false;
        for (unsigned int i = 0; i < DP_MAX_PMDS; i++) {
            if (dp_state.pmds[i] && dp_state.pmds[i]->core == cpu) {
                have = true;
            }
        }
        if (!have) {
            struct dp_pmd *pmd = dp_pmd_start(cpu, err, errlen);
            if (!pmd) {
                /* Leave the workers as they were: the ones started here
                 * have no rx queue yet. */
                for (unsigned int i = 0; i < n_started; i++) {
                    dp_pmd_join(started[i]);
                }
                return -EAGAIN;
            }
            started[n_started++] = pmd;
        }
    }
    bool retiring = false;
    for (unsigned int i = 0; i < DP_MAX_PMDS; i++) {
        struct dp_pmd *pmd = dp_state.pmds[i];
        if (pmd && !(cpus[pmd->core / 64] & (1ULL << (pmd->core % 64)))) {
            pmd->retiring = true;
            retiring = true;
        }
    }
    dp_rxq_reassign();
    if (retiring) {
        for (unsigned int i = 0; i < DP_MAX_PMDS; i++) {
            struct dp_pmd *pmd = dp_state.pmds[i];
            if (pmd && pmd->retiring) {
                dp_pmd_join(pmd);
            }
        }
    }
    VLOG_INFO(DP_LOG, "pmd-cpu-mask set to %s: %u worker(s)", mask,
              dp_state.n_pmds);
    return 0;
}

void
dp_set_pmd_max_sleep(unsigned int usec)
{
    __atomic_store_n(&dp_state.pmd_max_sleep_us, usec, __ATOMIC_RELAXED);
}

/* ---- statistics (main) -------------------------------------------------------- */

static uint64_t
dp_stat(const struct dp_pmd *pmd, size_t offset)
{
    const uint64_t *now = (const uint64_t *)
        (const void *) ((const char *) &pmd->cnt + offset);
    const uint64_t *base = (const uint64_t *)
        (const void *) ((const char *) &pmd->cleared + offset);
    return dp_counter_read(now) - *base;
}

#define DP_STAT(PMD, FIELD) \
    dp_stat(PMD, offsetof(struct dp_pmd_counters, FIELD))

/* 'num' / 'den', or 0 when 'den' is 0 (nothing counted yet). */
static double
ratio(uint64_t num, uint64_t den)
{
    return den ? (double) num / (double) den : 0.0;
}

/* 'part' as a percentage of 'whole', or 0 when 'whole' is 0. */
static double
percent(uint64_t part, uint64_t whole)
{
    return whole ? 100.0 * (double) part / (double) whole : 0.0;
}

static void
set_counter(json_t *o, const char *name, uint64_t value)
{
    json_object_set_new(o, name, json_integer((json_int_t) value));
}

json_t *
dp_pmd_stats(void)
{
    json_t *array = json_array();
    for (unsigned int i = 0; i < DP_MAX_PMDS; i++) {
        const struct dp_pmd *pmd = dp_state.pmds[i];
        if (!pmd) {
            continue;
        }
        uint64_t packets = DP_STAT(pmd, packets);
        uint64_t batches = DP_STAT(pmd, rx_batches);
        uint64_t busy = DP_STAT(pmd, busy_cycles);
        uint64_t idle = DP_STAT(pmd, idle_cycles);
        unsigned int n_rxqs = pmd->poll ? pmd->poll->n : 0;
        json_array_append_new(array, json_pack(
            "{s:I, s:i, s:I, s:I, s:f, s:I, s:I, s:I, s:I, s:f, s:f, s:I, "
            "s:I}",
            "core", (json_int_t) pmd->core,
            "numa", pmd->numa,
            "packets", (json_int_t) packets,
            "rx_batches", (json_int_t) batches,
            "avg_batch", ratio(packets, batches),
            "tx_packets", (json_int_t) DP_STAT(pmd, tx_packets),
            "dropped", (json_int_t) DP_STAT(pmd, dropped),
            "busy_cycles", (json_int_t) busy,
            "idle_cycles", (json_int_t) idle,
            "busy_pct", percent(busy, busy + idle),
            "cycles_per_pkt", ratio(busy, packets),
            "sleep_us", (json_int_t) DP_STAT(pmd, sleep_us),
            "rxqs", (json_int_t) n_rxqs));
        json_t *o = json_array_get(array, json_array_size(array) - 1);
        set_counter(o, "simple_hits", DP_STAT(pmd, simple_hits));
        set_counter(o, "emc_hits", DP_STAT(pmd, emc_hits));
        set_counter(o, "megaflow_hits", DP_STAT(pmd, megaflow_hits));
        set_counter(o, "misses", DP_STAT(pmd, misses));
    }
    return array;
}

void
dp_pmd_stats_clear(void)
{
    for (unsigned int i = 0; i < DP_MAX_PMDS; i++) {
        struct dp_pmd *pmd = dp_state.pmds[i];
        if (!pmd) {
            continue;
        }
        const uint64_t *src = (const uint64_t *) (const void *) &pmd->cnt;
        uint64_t *dst = (uint64_t *) (void *) &pmd->cleared;
        for (size_t w = 0; w < sizeof pmd->cnt / sizeof(uint64_t); w++) {
            dst[w] = dp_counter_read(&src[w]);
        }
    }
}

json_t *
dp_pmd_perf(void)
{
    json_t *array = json_array();
    for (unsigned int i = 0; i < DP_MAX_PMDS; i++) {
        const struct dp_pmd *pmd = dp_state.pmds[i];
        if (!pmd) {
            continue;
        }
        uint64_t packets = DP_STAT(pmd, packets);
        uint64_t busy = DP_STAT(pmd, busy_cycles);
        uint64_t idle = DP_STAT(pmd, idle_cycles);
        uint64_t simple = DP_STAT(pmd, simple_hits);
        uint64_t emc = DP_STAT(pmd, emc_hits);
        uint64_t mega = DP_STAT(pmd, megaflow_hits);
        uint64_t misses = DP_STAT(pmd, misses);
        uint64_t handled = DP_STAT(pmd, upcalls_handled);
        uint64_t lookups = simple + emc + mega + misses;
        struct dp_dpcls_stats cls = { 0, 0, 0 };
        if (pmd->flows) {
            dp_flow_cache_get_stats(pmd->flows, &cls);
        }
        json_t *hist = json_array();
        for (unsigned int b = 0; b < DP_MISS_HIST_BUCKETS; b++) {
            json_array_append_new(hist, json_integer(
                (json_int_t) DP_STAT(pmd, miss_hist[b])));
        }
        json_t *o = json_pack(
            "{s:I, s:I, s:f, s:I, s:I, s:I, s:f, s:f, s:f}",
            "core", (json_int_t) pmd->core,
            "packets", (json_int_t) packets,
            "cycles_per_pkt", ratio(busy, packets),
            "emc_hits", (json_int_t) emc,
            "megaflow_hits", (json_int_t) mega,
            "misses", (json_int_t) misses,
            "emc_hit_pct", percent(emc, lookups),
            "megaflow_hit_pct", percent(mega, lookups),
            "subtable_lookups_per_hit",
            ratio(cls.subtable_lookups, cls.hits));
        set_counter(o, "simple_hits", simple);
        json_object_set_new(o, "simple_hit_pct",
                            json_real(percent(simple, lookups)));
        set_counter(o, "upcalls_handled", handled);
        set_counter(o, "upcalls_queued", DP_STAT(pmd, upcalls_queued));
        set_counter(o, "upcalls_dropped", DP_STAT(pmd, upcalls_dropped));
        json_object_set_new(o, "cycles_per_miss", json_real(
            ratio(DP_STAT(pmd, miss_cycles), handled)));
        json_object_set_new(o, "miss_cycles_hist", hist);
        json_object_set_new(o, "idle_pct",
                            json_real(percent(idle, busy + idle)));
        set_counter(o, "megaflows",
                    pmd->flows ? dp_flow_cache_count(pmd->flows) : 0);
        set_counter(o, "megaflow_full", DP_STAT(pmd, megaflow_full));
        set_counter(o, "packet_in_dropped", DP_STAT(pmd, packet_in_dropped));
        json_array_append_new(array, o);
    }
    return array;
}
