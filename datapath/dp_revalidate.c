/*
 * dp_revalidate.c — the main thread's side of the caches: revalidation
 * rounds over every worker's megaflows, stats crediting to the OpenFlow
 * flows, idle expiry, generation syncs, packet-in delivery and dumps.
 *
 * A round (dp_run_revalidator) is due every revalidate_ms, and at once
 * when a bridge has a generation sync pending or its MAC table changed
 * (NORMAL's megaflows depend on it). For each megaflow of each worker:
 *  - its stats delta since the last round is credited (ft_xcache_credit:
 *    flow, group and table counters, NORMAL's learned MAC refreshed);
 *  - idle longer than idle_ms: removed;
 *  - translated at an older pipeline generation, or using NORMAL when the
 *    MAC table changed: translated again from its masked key without
 *    learning. The same mask: the new actions are swapped in (RCU) with a
 *    new xcache; another mask or an error: removed (the next packet is a
 *    miss and installs the right megaflow).
 * Megaflows of a port that is gone, or of a pipeline no longer attached,
 * are removed.
 *
 * Generation syncs. dp_bridge_sync_generation(G) records G and, when the
 * pipeline has reached G, revalidates the bridge's megaflows at once. A
 * round that started when the pipeline was at G' >= G revalidated every
 * megaflow installed before it; a worker may however have been translating with an
 * older state while the round ran and install afterwards. So once a round
 * covers G, main takes an RCU token; when every worker has passed a
 * quiescent state (no worker can still be executing old actions or
 * finishing an old translation), main checks that no megaflow of the
 * bridge is older than G' (revalidating any straggler and starting over)
 * and only then calls the generation callback for every pending sync <= G'.
 * Main never waits for the workers: the token is polled on later calls.
 *
 * Threads: everything here runs on main. Megaflow dumps are lock-free
 * against the workers (dp_dpcls.h); main is the only thread that removes
 * megaflows or touches their private state after installation.
 */
#include "dp_private.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <rte_cycles.h>
#include <rte_rcu_qsbr.h>

#include "flowtable/ft_pipeline.h"
#include "lib/timeval.h"

/* ---- callbacks ------------------------------------------------------------- */

void
dp_bridge_set_generation_cb(struct dp_bridge *br, dp_generation_cb *cb,
                            void *aux)
{
    br->gen_cb = cb;
    br->gen_aux = aux;
}

void
dp_bridge_set_packet_in_cb(struct dp_bridge *br, dp_packet_in_cb *cb,
                           void *aux)
{
    br->pin_cb = cb;
    br->pin_aux = aux;
}

void
dp_bridge_set_port_status_cb(struct dp_bridge *br, dp_port_status_cb *cb,
                             void *aux)
{
    br->port_status_cb = cb;
    br->port_status_aux = aux;
}

/* The bridge a megaflow belongs to: that of its input port slot. */
static struct dp_bridge *
dp_megaflow_bridge(const struct dp_megaflow *mf)
{
    const struct dp_port *port = mf->in_port < DP_MAX_PORTS
                                 ? dp_state.ports[mf->in_port] : NULL;
    return port ? port->bridge : NULL;
}

/* ---- flushing ----------------------------------------------------------------- */

struct dp_flush_ctx {
    struct dp_pmd *pmd;
    struct dp_bridge *br;
    int also_slot;
};

static bool
dp_flush_cb(struct dp_megaflow *mf, void *aux)
{
    struct dp_flush_ctx *ctx = aux;
    struct dp_bridge *owner = dp_megaflow_bridge(mf);

    if (owner == ctx->br || !owner
        || (ctx->also_slot >= 0 && mf->in_port == (uint32_t) ctx->also_slot)) {
        dp_megaflow_remove_main(ctx->pmd, mf);
    }
    return true;
}

void
dp_bridge_flush_megaflows(struct dp_bridge *br, int also_slot)
{
    for (unsigned int i = 0; i < DP_MAX_PMDS; i++) {
        struct dp_pmd *pmd = dp_state.pmds[i];
        if (pmd && pmd->flows) {
            struct dp_flush_ctx ctx = { pmd, br, also_slot };
            dp_flow_cache_dump(pmd->flows, dp_flush_cb, &ctx);
        }
    }
}

/* ---- revalidation ------------------------------------------------------------- */

struct dp_reval_ctx {
    struct dp_pmd *pmd;
    int64_t now_ms;
    unsigned int idle_ms;
    bool stale_only;                 /* straggler check: no idle/credit */
    struct dp_bridge *only;          /* straggler check of one bridge */
    uint64_t stale_below;            /* straggler: translated before this */
    unsigned int n_stale;            /* stragglers found */
};

static void
dp_megaflow_credit(struct dp_megaflow *mf, struct dp_megaflow_priv *priv,
                   struct dp_megaflow_stats *st)
{
    dp_megaflow_get_stats(mf, st);
    if (priv->xcache && st->packets > priv->credited_packets) {
        ft_xcache_credit(priv->pipeline, priv->xcache,
                         st->packets - priv->credited_packets,
                         st->bytes - priv->credited_bytes, st->used_ms);
        priv->credited_packets = st->packets;
        priv->credited_bytes = st->bytes;
    }
}

/* Translates 'mf' again; true if it was kept (actions swapped). */
static bool
dp_megaflow_retranslate(struct dp_megaflow *mf, struct dp_megaflow_priv *priv,
                        const struct dp_port *in)
{
    struct ft_xlate_out *out = dp_state.main_xout[0];
    struct ft_key key, mask;

    ft_miniflow_expand(dp_megaflow_key(mf), &key);
    ft_miniflow_expand(dp_megaflow_mask(mf), &mask);
    key.in_port = in->ofport;
    struct ft_xlate_in xin = {
        .key = &key, .now_ms = time_msec(), .may_learn = false,
    };
    ft_xlate(priv->pipeline, &xin, out);
    if (out->error) {
        return false;
    }
    out->wc.masks.in_port = UINT32_MAX;
    out->wc.masks.recirc_id = UINT32_MAX;
    if (memcmp(&out->wc.masks, &mask, sizeof mask)) {
        return false;
    }
    const struct dp_actions *cur = dp_megaflow_actions(mf);
    struct ft_xcache *xc = ft_xcache_create(priv->pipeline, out, &key);
    if (!xc) {
        return false;
    }
    if (cur->n != out->n_acts
        || memcmp(cur->acts, out->acts, out->n_acts * sizeof out->acts[0])) {
        struct dp_actions *acts = dp_actions_create(out->acts, out->n_acts);
        if (!acts) {
            ft_xcache_destroy(priv->pipeline, xc);
            return false;
        }
        dp_megaflow_set_actions(mf, acts);
    }
    ft_xcache_destroy(priv->pipeline, priv->xcache);
    priv->xcache = xc;
    priv->generation = out->generation;
    priv->uses_normal = out->uses_normal;
    return true;
}

static bool
dp_reval_cb(struct dp_megaflow *mf, void *aux)
{
    struct dp_reval_ctx *ctx = aux;
    struct dp_megaflow_priv *priv = mf->xcache;
    const struct dp_port *in = mf->in_port < DP_MAX_PORTS
                               ? dp_state.ports[mf->in_port] : NULL;
    struct dp_bridge *br = in ? in->bridge : NULL;

    if (ctx->only && br != ctx->only) {
        return true;
    }
    if (!priv || !br || priv->pipeline != br->pipeline || !priv->xcache) {
        dp_megaflow_remove_main(ctx->pmd, mf);
        return true;
    }
    uint64_t gen = ft_pipeline_generation(priv->pipeline);
    bool stale = priv->generation < gen
                 || (priv->uses_normal && br->mac_changed);
    if (ctx->stale_only) {
        if (priv->generation < ctx->stale_below) {
            ctx->n_stale++;
            if (!dp_megaflow_retranslate(mf, priv, in)) {
                dp_megaflow_remove_main(ctx->pmd, mf);
            }
        }
        return true;
    }

    struct dp_megaflow_stats st;
    dp_megaflow_credit(mf, priv, &st);
    int64_t used = st.used_ms ? st.used_ms : mf->created_ms;
    if (ctx->now_ms - used > (int64_t) ctx->idle_ms) {
        dp_megaflow_remove_main(ctx->pmd, mf);
        return true;
    }
    if (stale && !dp_megaflow_retranslate(mf, priv, in)) {
        dp_megaflow_remove_main(ctx->pmd, mf);
    }
    return true;
}

/* One pass over every worker's megaflows. */
static unsigned int
dp_reval_pass(int64_t now_ms, bool stale_only, struct dp_bridge *only,
              uint64_t stale_below)
{
    struct dp_reval_ctx ctx = {
        .now_ms = now_ms,
        .idle_ms = dp_state.flow_cfg.idle_ms,
        .stale_only = stale_only,
        .only = only,
        .stale_below = stale_below,
    };
    for (unsigned int i = 0; i < DP_MAX_PMDS; i++) {
        struct dp_pmd *pmd = dp_state.pmds[i];
        if (pmd && pmd->flows) {
            ctx.pmd = pmd;
            dp_flow_cache_dump(pmd->flows, dp_reval_cb, &ctx);
        }
    }
    return ctx.n_stale;
}

static uint64_t
dp_mac_events(const struct dp_bridge *br)
{
    struct ft_mac_stats st;
    ft_mac_table_get_stats(br->mac, &st);
    return st.learned + st.moved + st.expired + st.flushed;
}

/* Calls the generation callback for every pending sync <= 'covered'. */
static void
dp_sync_complete(struct dp_bridge *br, uint64_t covered)
{
    br->synced_generation = covered;
    while (br->n_sync_pending && br->sync_pending[0] <= covered) {
        uint64_t g = br->sync_pending[0];
        memmove(br->sync_pending, br->sync_pending + 1,
                --br->n_sync_pending * sizeof *br->sync_pending);
        if (br->gen_cb) {
            br->gen_cb(br->gen_aux, g);
        }
    }
}

/* Polls a running grace period; on its end, checks for stragglers. */
static void
dp_sync_poll(struct dp_bridge *br, int64_t now_ms)
{
    if (!br->sync_waiting
        || rte_rcu_qsbr_check(dp_state.qsbr, br->sync_token, false) != 1) {
        return;
    }
    br->sync_waiting = false;
    if (dp_reval_pass(now_ms, true, br, br->sync_wait_gen)) {
        /* A worker installed from an older state during the round: those
         * are fixed now; their old actions need a grace period too. */
        br->sync_token = rte_rcu_qsbr_start(dp_state.qsbr);
        br->sync_waiting = true;
        return;
    }
    dp_sync_complete(br, br->sync_wait_gen);
}

bool
dp_bridge_sync_generation(struct dp_bridge *br, uint64_t generation)
{
    if (!br->pipeline || generation <= br->synced_generation) {
        return true;
    }
    unsigned int i = 0;
    while (i < br->n_sync_pending && br->sync_pending[i] < generation) {
        i++;
    }
    if (i < br->n_sync_pending && br->sync_pending[i] == generation) {
        return false;                /* already asked for */
    }
    uint64_t *p = realloc(br->sync_pending,
                          (br->n_sync_pending + 1) * sizeof *p);
    if (!p) {
        /* Fold it into the highest pending request's wait instead. */
        VLOG_WARN(DP_LOG, "bridge %s: out of memory queueing a sync",
                  br->name);
        return false;
    }
    br->sync_pending = p;
    memmove(p + i + 1, p + i, (br->n_sync_pending - i) * sizeof *p);
    p[i] = generation;
    br->n_sync_pending++;
    /* Revalidate the bridge now when the pipeline is there already and no
     * grace period is running (else dp_run_revalidator does it as soon as
     * it is); the callback always comes from dp_run_revalidator. */
    uint64_t gen = ft_pipeline_generation(br->pipeline);
    if (!br->sync_waiting && generation <= gen) {
        dp_reval_pass(time_msec(), false, br, 0);
        br->sync_wait_gen = gen;
        br->sync_token = rte_rcu_qsbr_start(dp_state.qsbr);
        br->sync_waiting = true;
    }
    return false;
}

int64_t
dp_run_revalidator(int64_t now_ms)
{
    if (!dp_state.initialized) {
        return INT64_MAX;
    }
    for (unsigned int i = 0; i < DP_MAX_PMDS; i++) {
        struct dp_pmd *pmd = dp_state.pmds[i];
        if (pmd && pmd->flows) {
            dp_flow_cache_reclaim(pmd->flows);
        }
    }

    bool urgent = false;
    for (struct dp_bridge *br = dp_state.bridges; br; br = br->next) {
        uint64_t ev = dp_mac_events(br);
        if (ev != br->mac_events) {
            br->mac_events = ev;
            br->mac_changed = true;
        }
        if (br->mac_changed) {
            urgent = true;
        }
        /* A sync the pipeline has reached (a generation it has not
         * reached yet waits for the commit that makes it). */
        if (br->pipeline && br->n_sync_pending && !br->sync_waiting
            && br->sync_pending[0] <= ft_pipeline_generation(br->pipeline)) {
            urgent = true;
        }
    }
    unsigned int period = dp_state.flow_cfg.revalidate_ms;
    if (urgent || now_ms >= dp_state.next_revalidate_ms) {
        for (struct dp_bridge *br = dp_state.bridges; br; br = br->next) {
            br->round_start_gen = br->pipeline
                                  ? ft_pipeline_generation(br->pipeline) : 0;
        }
        dp_reval_pass(now_ms, false, NULL, 0);
        dp_state.next_revalidate_ms = now_ms + period;
        for (struct dp_bridge *br = dp_state.bridges; br; br = br->next) {
            uint64_t covered = br->round_start_gen;
            br->mac_changed = false;
            if (br->pipeline && br->n_sync_pending && !br->sync_waiting
                && br->sync_pending[0] <= covered) {
                /* The round covered it: once no worker can hold what it
                 * replaced (a grace period), the sync is complete. */
                br->sync_wait_gen = covered;
                br->sync_token = rte_rcu_qsbr_start(dp_state.qsbr);
                br->sync_waiting = true;
            }
        }
    }
    int64_t next = dp_state.next_revalidate_ms - now_ms;
    for (struct dp_bridge *br = dp_state.bridges; br; br = br->next) {
        dp_sync_poll(br, now_ms);
        if (br->sync_waiting) {
            next = 1;                /* keep polling the grace period */
        }
    }
    return next < 0 ? 0 : next;
}

int
dp_run_upcalls(unsigned int budget)
{
    if (!dp_state.initialized) {
        return INT_MAX;
    }
    unsigned int n = dp_upcall_drain(budget);
    /* Workers keep queueing: come back soon while there was work. */
    return n >= budget ? 0 : 1;
}

/* ---- dumps ---------------------------------------------------------------------- */

struct dp_dump_ctx {
    struct dp_bridge *br;
    const struct dp_pmd *pmd;
    json_t *array;
    int64_t now_ms;
};

static bool
dp_dump_cb(struct dp_megaflow *mf, void *aux)
{
    struct dp_dump_ctx *ctx = aux;
    const struct dp_port *in = mf->in_port < DP_MAX_PORTS
                               ? dp_state.ports[mf->in_port] : NULL;
    if (!in || in->bridge != ctx->br || dp_megaflow_is_dead(mf)) {
        return true;
    }
    struct ft_key key, mask;
    ft_miniflow_expand(dp_megaflow_key(mf), &key);
    ft_miniflow_expand(dp_megaflow_mask(mf), &mask);
    key.in_port = in->ofport;
    char match[1024], actions[2048];
    ft_key_format(&key, &mask, match, sizeof match);
    const struct dp_actions *acts = dp_megaflow_actions(mf);
    ft_dpacts_format(acts->acts, acts->n, actions, sizeof actions);
    struct dp_megaflow_stats st;
    dp_megaflow_get_stats(mf, &st);
    json_array_append_new(ctx->array, json_pack(
        "{s:I, s:I, s:s, s:s, s:I, s:I, s:I, s:I}",
        "pmd", (json_int_t) ctx->pmd->core,
        "in_port", (json_int_t) in->ofport,
        "match", match,
        "actions", actions,
        "packets", (json_int_t) st.packets,
        "bytes", (json_int_t) st.bytes,
        "used_ms", (json_int_t) (st.used_ms ? ctx->now_ms - st.used_ms : -1),
        "age_ms", (json_int_t) (ctx->now_ms - mf->created_ms)));
    return true;
}

json_t *
dp_bridge_dump_dp_flows(struct dp_bridge *br)
{
    struct dp_dump_ctx ctx = { br, NULL, json_array(), time_msec() };
    for (unsigned int i = 0; i < DP_MAX_PMDS; i++) {
        const struct dp_pmd *pmd = dp_state.pmds[i];
        if (pmd && pmd->flows) {
            ctx.pmd = pmd;
            dp_flow_cache_dump(pmd->flows, dp_dump_cb, &ctx);
        }
    }
    return ctx.array;
}
