/*
 * dp_rxq.c — rx queue placement: which worker polls which rx queue.
 *
 * Modes (as Open vSwitch's pmd-rxq-assign):
 *  - roundrobin: queues in port order, dealt to workers in turn;
 *  - cycles: queues sorted by measured busy cycles (the last measurement
 *    window, or everything so far before the first window closes), each
 *    given to the worker with the least load assigned so far.
 * Every placement builds new immutable poll lists, publishes them and waits
 * a grace period before freeing the old ones (dp_pmd_publish_poll_lists).
 *
 * Threads: main thread only. The cycle counters read here are written by
 * the workers (relaxed atomics).
 */
#include "dp_private.h"

#include <stdlib.h>
#include <string.h>

#include "lib/timeval.h"

/* Length of a load measurement window; OVS uses comparable intervals. */
#define DP_RXQ_WINDOW_MS 5000

struct dp_rxq_ref {
    struct dp_rxq *rxq;
    uint64_t load;
    unsigned int order;     /* port slot * DP_MAX_RXQ + qid: stable ties */
};

static uint64_t
dp_rxq_load(const struct dp_rxq *rxq)
{
    return rxq->have_window ? rxq->last_window_cycles
                            : dp_counter_read(&rxq->cycles)
                              - rxq->window_start_cycles;
}

static int
dp_rxq_cmp_load(const void *a_, const void *b_)
{
    const struct dp_rxq_ref *a = a_, *b = b_;
    if (a->load != b->load) {
        return a->load > b->load ? -1 : 1;
    }
    return a->order < b->order ? -1 : a->order > b->order;
}

/* Active workers (not retiring), ordered by core. */
static unsigned int
dp_rxq_active_pmds(struct dp_pmd **pmds)
{
    unsigned int n = 0;
    for (unsigned int i = 0; i < DP_MAX_PMDS; i++) {
        struct dp_pmd *pmd = dp_state.pmds[i];
        if (pmd && !pmd->retiring) {
            unsigned int j = n++;
            while (j && pmds[j - 1]->core > pmd->core) {
                pmds[j] = pmds[j - 1];
                j--;
            }
            pmds[j] = pmd;
        }
    }
    return n;
}

/* Builds the poll lists from each rxq's pmd_slot and publishes them. */
static void
dp_rxq_publish(void)
{
    unsigned int count[DP_MAX_PMDS] = { 0 };
    for (unsigned int p = 0; p < DP_MAX_PORTS; p++) {
        const struct dp_port *port = dp_state.ports[p];
        for (unsigned int q = 0; port && port->rxqs && q < port->n_rxq; q++) {
            if (port->rxqs[q].pmd_slot >= 0) {
                count[port->rxqs[q].pmd_slot]++;
            }
        }
    }
    struct dp_poll_list *lists[DP_MAX_PMDS] = { NULL };
    for (unsigned int i = 0; i < DP_MAX_PMDS; i++) {
        if (!dp_state.pmds[i]) {
            continue;
        }
        lists[i] = malloc(sizeof *lists[i]
                          + count[i] * sizeof lists[i]->entries[0]);
        if (!lists[i]) {
            /* Publish empty lists rather than nothing: a caller about to
             * free a port relies on no worker polling it afterwards. */
            VLOG_ERR(DP_LOG, "out of memory building poll lists: workers "
                     "poll nothing until the next placement");
            for (unsigned int j = 0; j < i; j++) {
                free(lists[j]);
                lists[j] = NULL;
            }
            dp_pmd_publish_poll_lists(lists);
            return;
        }
        lists[i]->n = 0;
    }
    for (unsigned int p = 0; p < DP_MAX_PORTS; p++) {
        struct dp_port *port = dp_state.ports[p];
        for (unsigned int q = 0; port && port->rxqs && q < port->n_rxq; q++) {
            struct dp_rxq *rxq = &port->rxqs[q];
            if (rxq->pmd_slot < 0 || !lists[rxq->pmd_slot]) {
                continue;
            }
            struct dp_poll_list *list = lists[rxq->pmd_slot];
            list->entries[list->n++] = (struct dp_poll_entry) {
                .port = port, .rxq = rxq,
                .port_id = port->port_id, .qid = rxq->qid,
            };
        }
    }
    dp_pmd_publish_poll_lists(lists);
}

void
dp_rxq_reassign(void)
{
    struct dp_pmd *pmds[DP_MAX_PMDS];
    unsigned int n_pmds = dp_rxq_active_pmds(pmds);

    struct dp_rxq_ref *refs = calloc((size_t) DP_MAX_PORTS * DP_MAX_RXQ,
                                     sizeof *refs);
    if (!refs) {
        VLOG_ERR(DP_LOG, "out of memory assigning rx queues");
        return;
    }
    unsigned int n = 0;
    for (unsigned int p = 0; p < DP_MAX_PORTS; p++) {
        struct dp_port *port = dp_state.ports[p];
        if (!port || !port->rxqs || !port->started) {
            continue;
        }
        for (unsigned int q = 0; q < port->n_rxq; q++) {
            struct dp_rxq *rxq = &port->rxqs[q];
            rxq->pmd_slot = -1;
            refs[n].rxq = rxq;
            refs[n].load = dp_rxq_load(rxq);
            refs[n].order = p * DP_MAX_RXQ + q;
            n++;
        }
    }

    if (n_pmds) {
        if (dp_state.rxq_assign == DP_RXQ_ASSIGN_ROUNDROBIN) {
            for (unsigned int i = 0; i < n; i++) {
                refs[i].rxq->pmd_slot = (int) pmds[i % n_pmds]->slot;
            }
        } else {
            qsort(refs, n, sizeof *refs, dp_rxq_cmp_load);
            uint64_t load[DP_MAX_PMDS] = { 0 };
            unsigned int nq[DP_MAX_PMDS] = { 0 };
            for (unsigned int i = 0; i < n; i++) {
                unsigned int best = 0;
                for (unsigned int k = 1; k < n_pmds; k++) {
                    if (load[k] < load[best]
                        || (load[k] == load[best] && nq[k] < nq[best])) {
                        best = k;
                    }
                }
                refs[i].rxq->pmd_slot = (int) pmds[best]->slot;
                load[best] += refs[i].load;
                nq[best]++;
            }
        }
    }
    free(refs);
    dp_rxq_publish();
}

void
dp_rxq_unpoll_port(struct dp_port *port)
{
    for (unsigned int q = 0; port->rxqs && q < port->n_rxq; q++) {
        port->rxqs[q].pmd_slot = -1;
    }
    dp_rxq_publish();
}

void
dp_rxq_window_tick(int64_t now_ms)
{
    if (now_ms - dp_state.window_start_ms < DP_RXQ_WINDOW_MS) {
        return;
    }
    dp_state.window_start_ms = now_ms;
    for (unsigned int p = 0; p < DP_MAX_PORTS; p++) {
        struct dp_port *port = dp_state.ports[p];
        for (unsigned int q = 0; port && port->rxqs && q < port->n_rxq; q++) {
            struct dp_rxq *rxq = &port->rxqs[q];
            uint64_t cycles = dp_counter_read(&rxq->cycles);
            rxq->last_window_cycles = cycles - rxq->window_start_cycles;
            rxq->window_start_cycles = cycles;
            rxq->have_window = true;
        }
    }
    for (unsigned int i = 0; i < DP_MAX_PMDS; i++) {
        struct dp_pmd *pmd = dp_state.pmds[i];
        if (pmd) {
            uint64_t total = dp_counter_read(&pmd->cnt.busy_cycles)
                             + dp_counter_read(&pmd->cnt.idle_cycles);
            pmd->last_window_total = total - pmd->window_start_total;
            pmd->window_start_total = total;
        }
    }
}

int
dp_set_rxq_assign(const char *mode, char *err, size_t errlen)
{
    if (mode && !strcmp(mode, "roundrobin")) {
        dp_state.rxq_assign = DP_RXQ_ASSIGN_ROUNDROBIN;
    } else if (mode && !strcmp(mode, "cycles")) {
        dp_state.rxq_assign = DP_RXQ_ASSIGN_CYCLES;
    } else {
        dp_set_error(err, errlen, "unknown rxq assignment '%s' (expected "
                     "roundrobin or cycles)", mode ? mode : "");
        return -EINVAL;
    }
    if (dp_state.initialized) {
        dp_rxq_reassign();
    }
    return 0;
}

void
dp_pmd_rebalance(void)
{
    if (dp_state.initialized) {
        dp_rxq_reassign();
    }
}

json_t *
dp_pmd_rxq_show(void)
{
    struct dp_pmd *pmds[DP_MAX_PMDS];
    unsigned int n_pmds = dp_rxq_active_pmds(pmds);
    json_t *array = json_array();
    for (unsigned int i = 0; i < n_pmds; i++) {
        const struct dp_pmd *pmd = pmds[i];
        uint64_t total = pmd->last_window_total
                         ? pmd->last_window_total
                         : dp_counter_read(&pmd->cnt.busy_cycles)
                           + dp_counter_read(&pmd->cnt.idle_cycles)
                           - pmd->window_start_total;
        json_t *rxqs = json_array();
        for (unsigned int p = 0; p < DP_MAX_PORTS; p++) {
            const struct dp_port *port = dp_state.ports[p];
            for (unsigned int q = 0; port && port->rxqs && q < port->n_rxq;
                 q++) {
                const struct dp_rxq *rxq = &port->rxqs[q];
                if (rxq->pmd_slot != (int) pmd->slot) {
                    continue;
                }
                double usage = total ? 100.0 * (double) dp_rxq_load(rxq)
                                       / (double) total : 0.0;
                json_array_append_new(rxqs, json_pack(
                    "{s:s, s:i, s:b, s:f}",
                    "port", port->name,
                    "queue", (int) q,
                    "enabled", 1,
                    "usage_pct", usage > 100.0 ? 100.0 : usage));
            }
        }
        json_array_append_new(array, json_pack(
            "{s:I, s:i, s:b, s:o}",
            "core", (json_int_t) pmd->core,
            "numa", pmd->numa,
            "isolated", 0,
            "rxqs", rxqs));
    }
    return array;
}
