/*
 * ft_xlate_cache.c — struct ft_xcache: what a megaflow keeps of the
 * translation that made it, to credit its statistics and to hold what the
 * translation pointed at.
 *
 * An xcache references every flow entry the walk matched (so crediting
 * late packets never touches freed memory), holds every group it used and
 * every recirculation state it created or resumed from (so the RECIRC ids
 * in the megaflow's actions stay valid), and remembers the table lookups
 * and NORMAL's learned source. It is immutable after creation: crediting
 * is a handful of relaxed atomic adds, from any thread, concurrently.
 *
 * Threads: create on any qsbr reader, right after the translation and
 * before the thread reports quiescence (the recirculation states it names
 * are guaranteed to exist only until then); credit anywhere; destroy on
 * the main thread (it drops group references, which only main may do),
 * freeing the memory after a grace period so a credit racing it is safe.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ft_xlate_private.h"

struct ft_xcache_table {
    uint8_t table_id;
    uint8_t matched;
};

struct ft_xcache {
    struct ft_xlate_gc gc;
    uint32_t n_flows;
    uint32_t n_groups;
    uint32_t n_recirc;
    uint16_t n_tables;
    bool normal_learned;
    uint16_t normal_vlan;
    uint32_t normal_port;
    struct ft_eth_addr normal_mac;
    uint32_t recirc_ids[FT_RECIRC_MAX_DEPTH * 4];
    struct ft_flow **flows;                 /* into 'storage' */
    struct ft_xlate_group_use *groups;      /* into 'storage' */
    struct ft_xcache_table *tables;         /* into 'storage' */
    uint64_t storage[];
};

_Static_assert(sizeof ((struct ft_xcache *) 0)->recirc_ids
               == sizeof ((struct ft_xlate_out *) 0)->recirc_ids,
               "an xcache keeps every state a translation names");

struct ft_xcache *
ft_xcache_create(struct ft_pipeline *p, const struct ft_xlate_out *out,
                 const struct ft_key *key)
{
    size_t flows_size = out->n_flows * sizeof(struct ft_flow *);
    size_t groups_size = out->n_groups * sizeof(struct ft_xlate_group_use);
    size_t tables_size = out->n_table_lookups
                         * sizeof(struct ft_xcache_table);
    struct ft_xcache *xc;

    (void) key;                     /* NORMAL's source is in 'out': the walk
                                       may have rewritten the key's */
    xc = malloc(sizeof *xc + flows_size + groups_size + tables_size);
    if (!xc) {
        return NULL;
    }
    memset(xc, 0, sizeof *xc);
    xc->flows = (struct ft_flow **) (void *) xc->storage;
    xc->groups = (struct ft_xlate_group_use *) (void *)
                 ((char *) xc->storage + flows_size);
    xc->tables = (struct ft_xcache_table *) (void *)
                 ((char *) xc->storage + flows_size + groups_size);

    for (uint32_t i = 0; i < out->n_flows; i++) {
        ft_flow_ref(out->flows[i]);
        xc->flows[i] = out->flows[i];
    }
    xc->n_flows = out->n_flows;
    for (uint32_t i = 0; i < out->n_groups; i++) {
        ft_group_hold(out->groups[i].group);
        xc->groups[i] = out->groups[i];
    }
    xc->n_groups = out->n_groups;
    for (uint16_t i = 0; i < out->n_table_lookups; i++) {
        xc->tables[i].table_id = out->table_lookup[i];
        xc->tables[i].matched = out->table_matched[i];
    }
    xc->n_tables = out->n_table_lookups;
    if (out->n_recirc) {
        xc->n_recirc = ft_recirc_ref(ft_pipeline_xlate_state(p),
                                     out->recirc_ids, out->n_recirc,
                                     xc->recirc_ids);
    }
    xc->normal_learned = out->normal_learned;
    xc->normal_vlan = out->normal_vlan;
    xc->normal_port = out->normal_port;
    xc->normal_mac = out->normal_mac;
    return xc;
}

/* Keeps NORMAL's entry for the source alive while the megaflow carries
 * traffic (the datapath, not NORMAL, sees those packets). A station that
 * has since moved to another port is left where it is. */
static void
refresh_normal(struct ft_pipeline *p, const struct ft_xcache *xc,
               int64_t used_ms)
{
    const struct ft_normal_ports *ports;
    struct ft_mac_table *mac;
    int64_t port;

    ft_pipeline_get_normal(p, &ports, &mac);
    if (!mac) {
        return;
    }
    port = ft_mac_lookup(mac, &xc->normal_mac, xc->normal_vlan);
    if (port < 0 || port == (int64_t) xc->normal_port) {
        ft_mac_learn(mac, &xc->normal_mac, xc->normal_vlan, xc->normal_port,
                     used_ms);
    }
}

void
ft_xcache_credit(struct ft_pipeline *p, struct ft_xcache *xc,
                 uint64_t packets, uint64_t bytes, int64_t used_ms)
{
    if (!packets && !bytes) {
        return;                     /* nothing happened: keep idle times */
    }
    for (uint32_t i = 0; i < xc->n_flows; i++) {
        ft_flow_credit(xc->flows[i], packets, bytes, used_ms);
    }
    for (uint32_t i = 0; i < xc->n_groups; i++) {
        const struct ft_xlate_group_use *u = &xc->groups[i];
        if (u->bucket_only) {
            ft_group_credit_bucket(u->group, u->generation, u->bucket,
                                   packets, bytes);
        } else {
            ft_group_credit(u->group, u->generation, u->bucket, packets,
                            bytes);
        }
    }
    for (uint16_t i = 0; i < xc->n_tables; i++) {
        ft_pipeline_credit_table(p, xc->tables[i].table_id, packets,
                                 xc->tables[i].matched ? packets : 0);
    }
    if (xc->normal_learned && packets) {
        refresh_normal(p, xc, used_ms);
    }
}

void
ft_xcache_destroy(struct ft_pipeline *p, struct ft_xcache *xc)
{
    struct ft_group_table *groups;

    if (!xc) {
        return;
    }
    for (uint32_t i = 0; i < xc->n_flows; i++) {
        ft_flow_unref(p, xc->flows[i]);
    }
    groups = ft_pipeline_groups(p);
    for (uint32_t i = 0; i < xc->n_groups; i++) {
        ft_group_release(groups, xc->groups[i].group);
    }
    if (xc->n_recirc) {
        ft_recirc_unref(ft_pipeline_xlate_state(p), xc->recirc_ids,
                        xc->n_recirc);
    }
    ft_xlate_defer_free(ft_pipeline_xlate_state(p), &xc->gc, xc);
}
