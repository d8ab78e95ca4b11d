/*
 * dp_upcall.c — the fast path behind a parsed burst: EMC, megaflow
 * classifier, misses (upcalls) translated on the worker and installed as
 * megaflows, execution of each megaflow's datapath actions on the packets
 * that share it; the worker -> main ring (packet-ins, xcaches to release);
 * PACKET_OUT on main.
 *
 * Before the walk, the simple-match path (dp_pmd_forward_port_only): when
 * the input port's classifier holds a megaflow whose mask is in_port and
 * recirc_id only and whose actions are one OUTPUT, the burst is
 * sent there without being parsed (only TCP flags are read for the stats).
 *
 * The walk of a burst (dp_pmd_forward, worker):
 *   1. EMC batch lookup (unless disabled, or the port's classifier has
 *      fewer than DP_EMC_MIN_SUBTABLES subtables), then the classifier of
 *      the input port for the rest.
 *   2. Each miss is an upcall, in arrival order: the port's token bucket
 *      (upcall_rate per second, upcall_burst deep; kept per worker, so a
 *      port whose rx queues k workers poll admits up to k times the rate)
 *      admits it or it is dropped and counted; ft_xlate() runs with the bridge's pipeline
 *      (learning allowed); the megaflow is "key under wc" with in_port
 *      exact. The classifier is asked again first, because an earlier miss
 *      of the same burst may just have installed the answer. Past the
 *      megaflow limit the actions are executed without installing.
 *   3. A burst on one megaflow is executed in place. Otherwise packets of
 *      megaflows whose actions are one OUTPUT go straight to the port's
 *      tx buffer, and the rest are grouped by megaflow, each group executed
 *      once with dp_execute(); the megaflow's stats are credited by this
 *      worker.
 *
 * Datapath keys use the port *slot* as in_port (slots are unique across
 * bridges, OpenFlow numbers are not, and a worker has one flow cache);
 * translation sees the OpenFlow number. Megaflows therefore keep the slot
 * in their key; dumps and packet-ins translate back.
 *
 * Ownership of megaflow state: the worker allocates a dp_megaflow_priv and
 * the xcache before installing; once installed only main touches them.
 * xcaches must be destroyed on main (group references), so a worker that
 * fails to install after creating one queues it on its ring.
 *
 * Threads: dp_pmd_forward and the sinks run on workers; dp_upcall_drain,
 * dp_bridge_packet_out and the init/fini functions on main.
 */
#include "dp_private.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_rcu_qsbr.h>
#include <rte_ring.h>

#include "flowtable/ft_pipeline.h"
#include "lib/timeval.h"

/* ---- megaflow private state ------------------------------------------------ */

void
dp_megaflow_priv_free(void *priv_, void *aux)
{
    struct dp_megaflow_priv *priv = priv_;
    (void) aux;

    if (priv && priv->xcache) {
        /* Removed without dp_megaflow_remove_main (flow cache flush on
         * teardown): main runs reclaim, so this is main. */
        ft_xcache_destroy(priv->pipeline, priv->xcache);
    }
    free(priv);
}

/* ---- the worker -> main ring ------------------------------------------------- */

static void
dp_pmd_retire_xcache(struct dp_pmd *pmd, struct ft_pipeline *pipeline,
                     struct ft_xcache *xc)
{
    struct dp_upcall_msg msg;

    memset(&msg, 0, offsetof(struct dp_upcall_msg, act));
    msg.type = DP_UPCALL_XCACHE;
    msg.pipeline = pipeline;
    msg.xcache = xc;
    if (rte_ring_sp_enqueue_elem(pmd->to_main, &msg, sizeof msg)) {
        /* Main is far behind: the references leak rather than being
         * dropped on a thread that must not (only an allocation failure
         * after the limit check gets here, so this is next to never). */
        VLOG_WARN(DP_LOG, "PMD on core %u: ring to main full, an xcache "
                  "is leaked", pmd->core);
    }
}

/* dp_execute() controller sink: the packet goes to main with its action and
 * key (in_port as the OpenFlow number, metadata as the actions left it). */
static void
dp_pmd_controller_sink(void *aux, const struct ft_dpact *act,
                       struct rte_mbuf *const pkts[],
                       const struct ft_key *const keys[],
                       const struct dp_exec_meta *meta, unsigned int n)
{
    struct dp_pmd *pmd = aux;

    for (unsigned int i = 0; i < n; i++) {
        struct dp_upcall_msg msg;
        uint32_t slot = keys[i]->in_port;
        const struct dp_port *port = slot < DP_MAX_PORTS
            ? __atomic_load_n(&dp_state.ports[slot], __ATOMIC_ACQUIRE) : NULL;

        msg.type = DP_UPCALL_PACKET_IN;
        msg.in_slot = slot;
        msg.m = pkts[i];
        msg.pipeline = NULL;
        msg.xcache = NULL;
        msg.act = *act;
        msg.key = *keys[i];
        dp_exec_meta_apply(meta, &msg.key);
        msg.key.in_port = port ? port->ofport : 0;
        msg.key.recirc_id = 0;
        if (!port || rte_ring_sp_enqueue_elem(pmd->to_main, &msg,
                                              sizeof msg)) {
            rte_pktmbuf_free(pkts[i]);
            dp_counter_add(&pmd->cnt.packet_in_dropped, 1);
            dp_counter_add(&pmd->cnt.dropped, 1);
        }
    }
}

/* dp_execute() recirculation sink: re-parse, give back the metadata, look
 * up again one level deeper. */
static void
dp_pmd_recirc_sink(void *aux, uint32_t recirc_id,
                   struct rte_mbuf *const pkts[],
                   const struct ft_key *const keys[],
                   const struct dp_exec_meta *meta, unsigned int n)
{
    struct dp_pmd *pmd = aux;
    struct ft_key nkeys[DP_BURST];
    struct dp_parse_layers layers[DP_BURST];
    struct rte_mbuf *batch[DP_BURST];
    /* The depth rides in the key's recirc chain: count it from the
     * worker's current depth, kept across the nested call. */
    unsigned int depth = pmd->exec_depth + 1;

    for (unsigned int done = 0; done < n; ) {
        unsigned int k = MIN(n - done, (unsigned int) DP_BURST);
        uint32_t slot = keys[done]->in_port;
        const struct dp_port *port = slot < DP_MAX_PORTS
            ? __atomic_load_n(&dp_state.ports[slot], __ATOMIC_ACQUIRE) : NULL;

        if (depth > FT_RECIRC_MAX_DEPTH || !port) {
            rte_pktmbuf_free_bulk((struct rte_mbuf **) (uintptr_t)
                                  &pkts[done], k);
            dp_counter_add(&pmd->cnt.recirc_dropped, k);
            dp_counter_add(&pmd->cnt.dropped, k);
            done += k;
            continue;
        }
        for (unsigned int i = 0; i < k; i++) {
            batch[i] = pkts[done + i];
            dp_parse_mbuf(batch[i], slot, &nkeys[i], &layers[i]);
            dp_exec_recirc_key(&nkeys[i], keys[done + i], meta, recirc_id);
        }
        dp_pmd_forward(pmd, port->bridge, slot, batch, nkeys, layers, k,
                       depth);
        done += k;
    }
}

/* ---- caches of a worker (main) --------------------------------------------- */

int
dp_pmd_caches_init(struct dp_pmd *pmd)
{
    char name[RTE_RING_NAMESIZE];

    pmd->flows = dp_flow_cache_create(dp_state.qsbr,
                                      dp_state.flow_cfg.megaflow_limit,
                                      dp_megaflow_priv_free, NULL);
    snprintf(name, sizeof name, "dp_up%u_%p", pmd->slot, (void *) pmd);
    pmd->to_main = rte_ring_create_elem(name, sizeof(struct dp_upcall_msg),
                                        DP_UPCALL_RING_SIZE, SOCKET_ID_ANY,
                                        RING_F_SP_ENQ | RING_F_SC_DEQ);
    for (unsigned int i = 0; i <= FT_RECIRC_MAX_DEPTH; i++) {
        pmd->xout[i] = malloc(sizeof *pmd->xout[i]);
        if (!pmd->xout[i]) {
            return -ENOMEM;
        }
    }
    pmd->tsc_hz = rte_get_tsc_hz();
    pmd->exec.output = dp_pmd_output_sink;
    pmd->exec.controller = dp_pmd_controller_sink;
    pmd->exec.recirculate = dp_pmd_recirc_sink;
    pmd->exec.aux = pmd;
    pmd->exec.pool = dp_state.pool;
    return pmd->flows && pmd->to_main ? 0 : -ENOMEM;
}

static void
dp_pmd_remove_all_megaflows(struct dp_pmd *pmd);

void
dp_pmd_caches_fini(struct dp_pmd *pmd)
{
    if (pmd->flows) {
        dp_pmd_remove_all_megaflows(pmd);
        dp_flow_cache_destroy(pmd->flows);
        pmd->flows = NULL;
    }
    if (pmd->to_main) {
        struct dp_upcall_msg msg;
        while (!rte_ring_sc_dequeue_elem(pmd->to_main, &msg, sizeof msg)) {
            if (msg.type == DP_UPCALL_XCACHE) {
                ft_xcache_destroy(msg.pipeline, msg.xcache);
            } else {
                rte_pktmbuf_free(msg.m);
            }
        }
        rte_ring_free(pmd->to_main);
        pmd->to_main = NULL;
    }
    for (unsigned int i = 0; i <= FT_RECIRC_MAX_DEPTH; i++) {
        free(pmd->xout[i]);
        pmd->xout[i] = NULL;
    }
}

void
dp_megaflow_remove_main(struct dp_pmd *pmd, struct dp_megaflow *mf)
{
    struct dp_megaflow_priv *priv = mf->xcache;

    if (priv && priv->xcache) {
        struct dp_megaflow_stats st;
        dp_megaflow_get_stats(mf, &st);
        if (st.packets > priv->credited_packets) {
            ft_xcache_credit(priv->pipeline, priv->xcache,
                             st.packets - priv->credited_packets,
                             st.bytes - priv->credited_bytes, st.used_ms);
            priv->credited_packets = st.packets;
            priv->credited_bytes = st.bytes;
        }
        ft_xcache_destroy(priv->pipeline, priv->xcache);
        priv->xcache = NULL;
    }
    dp_flow_cache_remove(pmd->flows, mf);
}

static bool
dp_remove_all_cb(struct dp_megaflow *mf, void *aux)
{
    dp_megaflow_remove_main(aux, mf);
    return true;
}

static void
dp_pmd_remove_all_megaflows(struct dp_pmd *pmd)
{
    dp_flow_cache_dump(pmd->flows, dp_remove_all_cb, pmd);
}

/* ---- upcalls (worker) ------------------------------------------------------- */

/* Takes one token from the bucket of port 'slot'; false when empty. */
static bool
dp_upcall_admit(struct dp_pmd *pmd, uint32_t slot, uint64_t now_tsc)
{
    struct dp_upcall_bucket *b = &pmd->buckets[slot];
    uint64_t rate = __atomic_load_n(&dp_state.flow_cfg.upcall_rate,
                                    __ATOMIC_RELAXED);
    uint64_t depth = (uint64_t) __atomic_load_n(&dp_state.flow_cfg
                                                .upcall_burst,
                                                __ATOMIC_RELAXED)
                     * pmd->tsc_hz;

    if (!b->last_tsc) {
        b->tokens = depth;           /* a new port starts with a full bucket */
    } else {
        uint64_t elapsed = now_tsc - b->last_tsc;
        /* tokens are in units of 1/tsc_hz miss: elapsed ticks * rate */
        uint64_t add = !rate ? 0 : elapsed > depth / rate ? depth
                                                          : elapsed * rate;
        b->tokens = b->tokens + add > depth ? depth : b->tokens + add;
    }
    b->last_tsc = now_tsc;
    if (b->tokens < pmd->tsc_hz) {
        return false;
    }
    b->tokens -= pmd->tsc_hz;
    return true;
}

/* Translates the miss of 'key' (in_port = slot) and installs it. Returns
 * the megaflow, or NULL with the actions in '*acts'/'*n_acts' (pointing
 * into the depth's xlate buffer) when it could not be installed. */
static struct dp_megaflow *
dp_upcall(struct dp_pmd *pmd, struct ft_pipeline *pl,
          const struct dp_port *in, const struct ft_key *key,
          unsigned int depth, const struct ft_dpact **acts,
          unsigned int *n_acts)
{
    struct ft_xlate_out *out = pmd->xout[depth];
    struct ft_key xkey = *key;
    struct ft_xlate_in xin = {
        .key = &xkey,
        .now_ms = pmd->now_ms,
        .may_learn = true,
    };
    struct dp_megaflow *mf = NULL;

    xkey.in_port = in->ofport;
    ft_xlate(pl, &xin, out);
    *acts = out->acts;
    *n_acts = out->n_acts;

    /* The megaflow: the key under the mask, in the slot's classifier. */
    out->wc.masks.in_port = UINT32_MAX;
    out->wc.masks.recirc_id = UINT32_MAX;

    /* Another miss of this burst may have installed it already. */
    struct dp_dpcls *cls = dp_flow_cache_find(pmd->flows, key->in_port);
    if (cls) {
        const struct ft_key *k[1] = { key };
        if (dp_dpcls_lookup(cls, k, 1, &mf)) {
            return mf;
        }
    }
    if (dp_flow_cache_count(pmd->flows) >= dp_flow_cache_limit(pmd->flows)) {
        dp_counter_add(&pmd->cnt.megaflow_full, 1);
        return NULL;
    }
    struct dp_megaflow_priv *priv = malloc(sizeof *priv);
    struct dp_actions *actions = dp_actions_create(out->acts, out->n_acts);
    struct ft_xcache *xc = priv && actions
                           ? ft_xcache_create(pl, out, &xkey) : NULL;
    if (!xc) {
        free(priv);
        dp_actions_free(actions);
        dp_counter_add(&pmd->cnt.megaflow_full, 1);
        return NULL;
    }
    priv->pipeline = pl;
    priv->xcache = xc;
    priv->generation = out->generation;
    priv->uses_normal = out->uses_normal;
    priv->credited_packets = 0;
    priv->credited_bytes = 0;
    int error = dp_flow_cache_insert(pmd->flows, key, &out->wc, actions, priv,
                                     pmd->now_ms, &mf);
    if (error) {
        free(priv);
        dp_actions_free(actions);
        dp_pmd_retire_xcache(pmd, pl, xc);
        dp_counter_add(&pmd->cnt.megaflow_full, 1);
        return error == -EEXIST ? mf : NULL;
    }
    return mf;
}

static inline unsigned int
dp_hist_bucket(uint64_t cycles)
{
    unsigned int b = cycles ? 63u - (unsigned int) __builtin_clzll(cycles)
                            : 0;
    return b < DP_MISS_HIST_BUCKETS ? b : DP_MISS_HIST_BUCKETS - 1;
}

/* ---- the walk of a burst (worker) -------------------------------------------- */

static void
dp_pmd_drop_input(struct dp_pmd *pmd, uint32_t in_slot,
                  struct rte_mbuf **pkts, unsigned int n)
{
    rte_pktmbuf_free_bulk(pkts, n);
    dp_counter_add(&pmd->port_rx_dropped[in_slot], n);
    dp_counter_add(&pmd->cnt.dropped, n);
}

/* Accounts and executes the 'n' packets of one megaflow. */
static void
dp_pmd_execute_group(struct dp_pmd *pmd, uint32_t in_slot,
                     struct dp_megaflow *mf, struct rte_mbuf **pkts,
                     const struct ft_key **keys,
                     const struct dp_parse_layers *layers, unsigned int n,
                     unsigned int depth)
{
    uint32_t bytes = 0;
    uint16_t tcp_flags = 0;
    for (unsigned int i = 0; i < n; i++) {
        bytes += rte_pktmbuf_pkt_len(pkts[i]);
        tcp_flags |= keys[i]->tcp_flags;
    }
    dp_megaflow_account(mf, n, bytes, pmd->now_ms, ntohs(tcp_flags));
    const struct dp_actions *acts = dp_megaflow_actions(mf);
    if (!acts->n) {
        /* The pipeline drops these: an input drop of the port, as
         * NORMAL's refusals (VLAN not allowed) always counted. */
        dp_pmd_drop_input(pmd, in_slot, pkts, n);
        return;
    }
    unsigned int saved = pmd->exec_depth;
    pmd->exec_depth = depth;
    dp_execute(&pmd->exec, pkts, keys, layers, n, acts->acts, acts->n);
    pmd->exec_depth = saved;
}

bool
dp_pmd_forward_port_only(struct dp_pmd *pmd, const struct dp_port *in,
                         struct rte_mbuf **pkts, unsigned int n)
{
    struct dp_dpcls *cls = dp_flow_cache_find(pmd->flows, in->slot);
    struct dp_megaflow *mf = cls ? dp_dpcls_port_megaflow(cls) : NULL;

    if (likely(!mf) || unlikely(dp_megaflow_is_dead(mf))) {
        return false;
    }
    uint32_t out_port = dp_megaflow_single_output(mf);
    if (out_port == DP_MEGAFLOW_NOT_SINGLE_OUTPUT) {
        return false;               /* the actions need the parsed keys */
    }
    uint32_t bytes = 0;
    uint16_t tcp_flags = 0;
    for (unsigned int i = 0; i < n; i++) {
        uint32_t len = rte_pktmbuf_data_len(pkts[i]);
        if (unlikely(len < RTE_ETHER_HDR_LEN)) {
            return false;           /* runts are dropped by the full path */
        }
        bytes += rte_pktmbuf_pkt_len(pkts[i]);
        tcp_flags |= dp_parse_tcp_flags(rte_pktmbuf_mtod(pkts[i],
                                                         const uint8_t *),
                                        len);
    }
    dp_dpcls_credit(cls, mf, n);
    dp_counter_add(&pmd->cnt.simple_hits, n);
    dp_megaflow_account(mf, n, bytes, pmd->now_ms, tcp_flags);
    dp_pmd_output_sink(pmd, out_port, DP_EXEC_QUEUE_NONE, pkts, n);
    return true;
}

void
dp_pmd_forward(struct dp_pmd *pmd, struct dp_bridge *br, uint32_t in_slot,
               struct rte_mbuf **pkts, struct ft_key *keys,
               struct dp_parse_layers *layers, unsigned int n,
               unsigned int depth)
{
    struct ft_pipeline *pl = __atomic_load_n(&br->pipeline, __ATOMIC_ACQUIRE);
    const struct dp_port *in = __atomic_load_n(&dp_state.ports[in_slot],
                                               __ATOMIC_ACQUIRE);
    const struct ft_key *kp[DP_BURST];
    uint32_t hashes[DP_BURST];
    struct dp_megaflow *mfs[DP_BURST];
    uint32_t found = 0;

    if (unlikely(!pl || !in)) {
        rte_pktmbuf_free_bulk(pkts, n);
        dp_counter_add(&pmd->cnt.dropped, n);
        return;
    }
    struct dp_dpcls *cls = dp_flow_cache_find(pmd->flows, in_slot);
    bool emc_on = pmd->emc && cls
                  && dp_dpcls_n_subtables(cls) >= DP_EMC_MIN_SUBTABLES
                  && !__atomic_load_n(&dp_state.flow_cfg.emc_disable,
                                      __ATOMIC_RELAXED);
    for (unsigned int i = 0; i < n; i++) {
        kp[i] = &keys[i];
        mfs[i] = NULL;
    }

    /* 1. EMC, then the classifier for what is left. */
    if (emc_on) {
        for (unsigned int i = 0; i < n; i++) {
            /* dp_packet_hash() of the first pass is in the key already. */
            hashes[i] = keys[i].recirc_id
                        ? rte_hash_crc_4byte(keys[i].recirc_id,
                                             keys[i].dp_hash)
                        : keys[i].dp_hash;
        }
        found = dp_emc_lookup(pmd->emc, kp, hashes, n, mfs);
        dp_counter_add(&pmd->cnt.emc_hits,
                       (uint64_t) __builtin_popcount(found));
    }
    uint32_t all = n == 32 ? UINT32_MAX : (1u << n) - 1;
    uint32_t left = all & ~found;
    if (left == all && cls && !emc_on) {
        /* The whole burst goes to the classifier: no gathering. */
        uint32_t hit = dp_dpcls_lookup(cls, kp, n, mfs);
        dp_counter_add(&pmd->cnt.megaflow_hits,
                       (uint64_t) __builtin_popcount(hit));
        left &= ~hit;
    } else if (left) {
        if (cls) {
            const struct ft_key *lk[DP_BURST];
            struct dp_megaflow *lm[DP_BURST];
            unsigned int idx[DP_BURST], m = 0;
            for (uint32_t bits = left; bits; bits &= bits - 1) {
                unsigned int i = (unsigned int) __builtin_ctz(bits);
                idx[m] = i;
                lk[m++] = kp[i];
            }
            uint32_t hit = dp_dpcls_lookup(cls, lk, m, lm);
            dp_counter_add(&pmd->cnt.megaflow_hits,
                           (uint64_t) __builtin_popcount(hit));
            for (; hit; hit &= hit - 1) {
                unsigned int j = (unsigned int) __builtin_ctz(hit);
                unsigned int i = idx[j];
                mfs[i] = lm[j];
                left &= ~(1u << i);
                if (emc_on) {
                    dp_emc_probabilistic_insert(pmd->emc, kp[i], hashes[i],
                                                lm[j]);
                }
            }
        }
    }

    /* 2. Misses, in arrival order. */
    bool had_misses = left != 0;
    if (left) {
        unsigned int n_miss = (unsigned int) __builtin_popcount(left);
        dp_counter_add(&pmd->cnt.misses, n_miss);
        dp_counter_add(&pmd->cnt.upcalls_queued, n_miss - 1);
        for (uint32_t bits = left; bits; bits &= bits - 1) {
            unsigned int i = (unsigned int) __builtin_ctz(bits);
            uint64_t t0 = rte_rdtsc();
            if (!dp_upcall_admit(pmd, in_slot, t0)) {
                dp_counter_add(&pmd->cnt.upcalls_dropped, 1);
                dp_counter_add(&pmd->cnt.dropped, 1);
                rte_pktmbuf_free(pkts[i]);
                pkts[i] = NULL;
                continue;
            }
            const struct ft_dpact *acts;
            unsigned int n_acts;
            struct dp_megaflow *mf = dp_upcall(pmd, pl, in, &keys[i], depth,
                                               &acts, &n_acts);
            uint64_t spent = rte_rdtsc() - t0;
            dp_counter_add(&pmd->cnt.upcalls_handled, 1);
            dp_counter_add(&pmd->cnt.miss_cycles, spent);
            dp_counter_add(&pmd->cnt.miss_hist[dp_hist_bucket(spent)], 1);
            if (mf) {
                mfs[i] = mf;
                if (emc_on) {
                    dp_emc_probabilistic_insert(pmd->emc, kp[i], hashes[i],
                                                mf);
                }
            } else {
                /* Not installed: execute this one packet now. */
                struct rte_mbuf *one = pkts[i];
                pkts[i] = NULL;
                if (!n_acts) {
                    dp_pmd_drop_input(pmd, in_slot, &one, 1);
                    continue;
                }
                unsigned int saved = pmd->exec_depth;
                pmd->exec_depth = depth;
                dp_execute(&pmd->exec, &one, &kp[i], &layers[i], 1, acts,
                           n_acts);
                pmd->exec_depth = saved;
            }
        }
    }

    /* 3. Group by megaflow, execute each group once. */
    uint32_t todo = all;
    if (had_misses) {
        todo = 0;
        for (unsigned int i = 0; i < n; i++) {
            if (pkts[i] && mfs[i]) {
                todo |= UINT32_C(1) << i;
            }
        }
    }
    if (todo == all) {
        /* The common burst: every packet on one megaflow, executed in
         * place without gathering. */
        unsigned int i = 1;
        while (i < n && mfs[i] == mfs[0]) {
            i++;
        }
        if (i == n) {
            dp_pmd_execute_group(pmd, in_slot, mfs[0], pkts, kp, layers, n,
                                 depth);
            return;
        }
    }
    /* A burst of many megaflows: those whose actions are one OUTPUT need
     * no batch, so each packet goes to its port's tx buffer at once (runs
     * of one megaflow accounted together); the others are grouped. */
    struct dp_megaflow *run_mf = NULL;
    uint32_t run_n = 0, run_bytes = 0;
    uint16_t run_flags = 0;
    struct rte_mbuf *out[DP_BURST];
    unsigned int n_out = 0;
    uint32_t out_port = DP_MEGAFLOW_NOT_SINGLE_OUTPUT;
    for (uint32_t bits = todo; bits; bits &= bits - 1) {
        unsigned int i = (unsigned int) __builtin_ctz(bits);
        struct dp_megaflow *mf = mfs[i];
        uint32_t port = dp_megaflow_single_output(mf);
        if (port == DP_MEGAFLOW_NOT_SINGLE_OUTPUT) {
            continue;
        }
        if (port != out_port) {
            if (n_out) {
                dp_pmd_output_sink(pmd, out_port, DP_EXEC_QUEUE_NONE, out,
                                   n_out);
            }
            out_port = port;
            n_out = 0;
        }
        out[n_out++] = pkts[i];
        if (mf != run_mf) {
            if (run_mf) {
                dp_megaflow_account(run_mf, run_n, run_bytes, pmd->now_ms,
                                    ntohs(run_flags));
            }
            run_mf = mf;
            run_n = run_bytes = 0;
            run_flags = 0;
        }
        run_n++;
        run_bytes += rte_pktmbuf_pkt_len(pkts[i]);
        run_flags |= keys[i].tcp_flags;
        todo &= ~(UINT32_C(1) << i);
    }
    if (n_out) {
        dp_pmd_output_sink(pmd, out_port, DP_EXEC_QUEUE_NONE, out, n_out);
    }
    if (run_mf) {
        dp_megaflow_account(run_mf, run_n, run_bytes, pmd->now_ms,
                            ntohs(run_flags));
    }
    while (todo) {
        unsigned int i = (unsigned int) __builtin_ctz(todo);
        struct dp_megaflow *mf = mfs[i];
        struct rte_mbuf *gp[DP_BURST];
        const struct ft_key *gk[DP_BURST];
        struct dp_parse_layers gl[DP_BURST];
        unsigned int g = 0;
        for (uint32_t bits = todo; bits; bits &= bits - 1) {
            unsigned int j = (unsigned int) __builtin_ctz(bits);
            if (mfs[j] == mf) {
                todo &= ~(UINT32_C(1) << j);
                gp[g] = pkts[j];
                gk[g] = kp[j];
                gl[g] = layers[j];
                g++;
            }
        }
        dp_pmd_execute_group(pmd, in_slot, mf, gp, gk, gl, g, depth);
    }
}

/* ---- main: draining the rings -------------------------------------------------- */

static void
dp_deliver_packet_in(struct dp_upcall_msg *msg)
{
    const struct dp_port *port = msg->in_slot < DP_MAX_PORTS
                                 ? dp_state.ports[msg->in_slot] : NULL;
    struct dp_bridge *br = port ? port->bridge : NULL;

    if (br && br->pin_cb) {
        uint32_t len = rte_pktmbuf_pkt_len(msg->m);
        if (rte_pktmbuf_is_contiguous(msg->m)) {
            br->pin_cb(br->pin_aux, &msg->act, &msg->key,
                       rte_pktmbuf_mtod(msg->m, const uint8_t *), len);
        } else {
            /* Only a chained mbuf needs its bytes gathered. */
            uint8_t *buf = malloc(len ? len : 1);
            if (buf) {
                const void *data = rte_pktmbuf_read(msg->m, 0, len, buf);
                br->pin_cb(br->pin_aux, &msg->act, &msg->key, data, len);
                free(buf);
            }
        }
    }
    rte_pktmbuf_free(msg->m);
}

unsigned int
dp_upcall_drain(unsigned int budget)
{
    unsigned int delivered = 0;

    for (unsigned int i = 0; i < DP_MAX_PMDS; i++) {
        struct dp_pmd *pmd = dp_state.pmds[i];
        struct dp_upcall_msg msg;

        if (!pmd || !pmd->to_main) {
            continue;
        }
        while (delivered < budget
               && !rte_ring_sc_dequeue_elem(pmd->to_main, &msg, sizeof msg)) {
            if (msg.type == DP_UPCALL_XCACHE) {
                ft_xcache_destroy(msg.pipeline, msg.xcache);
            } else {
                dp_deliver_packet_in(&msg);
                delivered++;
            }
        }
    }
    return delivered;
}

/* ---- main: PACKET_OUT ----------------------------------------------------------- */

struct dp_main_exec_aux {
    struct dp_bridge *br;
    unsigned int depth;              /* recirculation depth executing */
};

static void
dp_main_output_sink(void *aux, uint32_t dp_port, uint32_t queue_id,
                    struct rte_mbuf *const pkts[], unsigned int n)
{
    (void) aux;
    (void) queue_id;
    struct dp_port *port = dp_port < DP_MAX_PORTS ? dp_state.ports[dp_port]
                                                  : NULL;
    uint16_t sent = 0;

    if (port && port->tx_ready && !(port->of_config & FT_OFPPC_PORT_DOWN)) {
        uint64_t bytes = port->sw_byte_counts ? dp_burst_bytes(pkts, n) : 0;
        /* txq 0 is main's; workers share it only under the lock. */
        rte_spinlock_lock(&port->txq_lock[0]);
        sent = rte_eth_tx_burst(port->port_id, 0,
                                (struct rte_mbuf **) (uintptr_t) pkts,
                                (uint16_t) n);
        rte_spinlock_unlock(&port->txq_lock[0]);
        if (bytes) {
            bytes -= dp_burst_bytes(&pkts[sent], n - sent);
            port->retired_tx_bytes += bytes;
        }
    }
    if (sent < n) {
        rte_pktmbuf_free_bulk((struct rte_mbuf **) (uintptr_t) &pkts[sent],
                              n - sent);
        if (port) {
            port->retired_tx_dropped += n - sent;
        }
    }
}

static void
dp_main_controller_sink(void *aux_, const struct ft_dpact *act,
                        struct rte_mbuf *const pkts[],
                        const struct ft_key *const keys[],
                        const struct dp_exec_meta *meta, unsigned int n)
{
    struct dp_main_exec_aux *aux = aux_;

    /* Already on main: deliver at once (the key's in_port is the OpenFlow
     * number the PACKET_OUT gave). */
    for (unsigned int i = 0; i < n; i++) {
        struct ft_key key = *keys[i];
        uint32_t len = rte_pktmbuf_pkt_len(pkts[i]);
        uint8_t *buf = aux->br->pin_cb ? malloc(len ? len : 1) : NULL;

        dp_exec_meta_apply(meta, &key);
        key.recirc_id = 0;
        if (buf) {
            const void *data = rte_pktmbuf_read(pkts[i], 0, len, buf);
            aux->br->pin_cb(aux->br->pin_aux, act, &key, data, len);
            free(buf);
        }
        rte_pktmbuf_free(pkts[i]);
    }
}

static void
dp_main_recirc_sink(void *aux_, uint32_t recirc_id,
                    struct rte_mbuf *const pkts[],
                    const struct ft_key *const keys[],
                    const struct dp_exec_meta *meta, unsigned int n)
{
    struct dp_main_exec_aux *aux = aux_;
    struct ft_pipeline *pl = aux->br->pipeline;
    unsigned int depth = aux->depth + 1;

    for (unsigned int i = 0; i < n; i++) {
        struct rte_mbuf *m = pkts[i];
        if (!pl || depth > FT_RECIRC_MAX_DEPTH) {
            rte_pktmbuf_free(m);
            continue;
        }
        struct ft_key key;
        struct dp_parse_layers layers;
        dp_parse_mbuf(m, keys[i]->in_port, &key, &layers);
        dp_exec_recirc_key(&key, keys[i], meta, recirc_id);
        struct ft_xlate_out *out = dp_state.main_xout[depth];
        struct ft_xlate_in xin = {
            .key = &key, .now_ms = time_msec(), .may_learn = false,
        };
        ft_xlate(pl, &xin, out);
        const struct ft_key *kp = &key;
        aux->depth = depth;
        dp_execute(&dp_state.main_exec, &m, &kp, &layers, 1, out->acts,
                   out->n_acts);
        aux->depth = depth - 1;
    }
}

int
dp_main_exec_init(void)
{
    for (unsigned int i = 0; i <= FT_RECIRC_MAX_DEPTH; i++) {
        dp_state.main_xout[i] = malloc(sizeof *dp_state.main_xout[i]);
        if (!dp_state.main_xout[i]) {
            dp_main_exec_fini();
            return -ENOMEM;
        }
    }
    dp_state.main_exec.output = dp_main_output_sink;
    dp_state.main_exec.controller = dp_main_controller_sink;
    dp_state.main_exec.recirculate = dp_main_recirc_sink;
    dp_state.main_exec.pool = dp_state.pool;
    return 0;
}

void
dp_main_exec_fini(void)
{
    for (unsigned int i = 0; i <= FT_RECIRC_MAX_DEPTH; i++) {
        free(dp_state.main_xout[i]);
        dp_state.main_xout[i] = NULL;
    }
}

int
dp_bridge_packet_out(struct dp_bridge *br, const void *packet, size_t len,
                     uint32_t in_port, const struct ft_dpact *acts,
                     unsigned int n_acts)
{
    if (!br || !packet || len < RTE_ETHER_HDR_LEN || len > UINT16_MAX) {
        return -EINVAL;
    }
    struct rte_mbuf *m = rte_pktmbuf_alloc(dp_state.pool);
    if (!m) {
        return -ENOMEM;
    }
    char *data = rte_pktmbuf_append(m, (uint16_t) len);
    if (!data) {
        rte_pktmbuf_free(m);
        return -EMSGSIZE;
    }
    memcpy(data, packet, len);

    /* Main never touches the flow caches: its keys carry the OpenFlow
     * in_port, as translation (of recirculations) wants it. */
    struct ft_key key;
    struct dp_parse_layers layers;
    dp_parse_mbuf(m, in_port, &key, &layers);
    key.dp_hash = dp_packet_hash(m, &key);
    const struct ft_key *kp = &key;
    struct dp_main_exec_aux aux = { br, 0 };
    dp_state.main_exec.aux = &aux;
    dp_state.main_exec.now_ns = (uint64_t) time_usec() * 1000;
    dp_execute(&dp_state.main_exec, &m, &kp, &layers, 1, acts, n_acts);
    dp_state.main_exec.aux = NULL;
    return 0;
}
