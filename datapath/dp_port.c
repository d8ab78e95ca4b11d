/*
 * dp_port.c — ports: the class-independent half of every port type. A
 * netdev class (dp_netdev_*.c) creates the DPDK ethdev; this file sizes
 * its queues, configures, starts, stops and closes it, wires it into a
 * bridge and the workers' poll lists, and reports stats and state.
 *
 * Threads: every function here runs on the main thread. Workers see a port
 * through dp_state.ports[slot] and their poll lists, both RCU-published; a
 * port is unpublished, a grace period passes, and only then is its ethdev
 * stopped and its memory freed, so deletion is safe under traffic.
 */
#include "dp_private.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#include "lib/timeval.h"

/* Descriptor ring sizes, as Open vSwitch's defaults. */
#define DP_DEFAULT_RXQ_DESC 2048
#define DP_DEFAULT_TXQ_DESC 2048
#define DP_MAX_DESC 4096
/* Largest MTU that fits one default mbuf with room for two VLAN tags. */
#define DP_MAX_MTU (RTE_MBUF_DEFAULT_DATAROOM - RTE_ETHER_HDR_LEN \
                    - RTE_ETHER_CRC_LEN - 2 * RTE_VLAN_HLEN)

static const struct dp_netdev_class *const dp_classes[] = {
    &dp_netdev_dpdk_class,
    &dp_netdev_system_class,
    &dp_netdev_dummy_class,
};

static const struct dp_netdev_class *
dp_class_find(const char *type)
{
    for (size_t i = 0; i < ARRAY_SIZE(dp_classes); i++) {
        if (!strcmp(dp_classes[i]->type, type)) {
            return dp_classes[i];
        }
    }
    return NULL;
}

struct dp_port *
dp_port_lookup(const char *name)
{
    if (!name) {
        return NULL;
    }
    for (unsigned int i = 0; i < DP_MAX_PORTS; i++) {
        struct dp_port *port = dp_state.ports[i];
        if (port && !strcmp(port->name, name)) {
            return port;
        }
    }
    return NULL;
}

bool
dp_port_exists(const char *name)
{
    return dp_port_lookup(name) != NULL;
}

/* ---- options -------------------------------------------------------------- */

/* Reads the generic queue/MTU options into 'port' (before open). */
static int
dp_port_parse_options(struct dp_port *port, const json_t *options,
                      char *err, size_t errlen)
{
    unsigned int n_rxq, rxd, txd, mtu;
    int error;
    if ((error = dp_option_uint(options, "n_rxq", 1, DP_MAX_RXQ, &n_rxq,
                                err, errlen))
        || (error = dp_option_uint(options, "n_rxq_desc", DP_DEFAULT_RXQ_DESC,
                                   DP_MAX_DESC, &rxd, err, errlen))
        || (error = dp_option_uint(options, "n_txq_desc", DP_DEFAULT_TXQ_DESC,
                                   DP_MAX_DESC, &txd, err, errlen))
        || (error = dp_option_uint(options, "mtu", 0, DP_MAX_MTU, &mtu,
                                   err, errlen))) {
        return error;
    }
    if (!n_rxq) {
        dp_set_error(err, errlen, "port %s: n_rxq must be at least 1",
                     port->name);
        return -EINVAL;
    }
    if (mtu && mtu < RTE_ETHER_MIN_MTU) {
        dp_set_error(err, errlen, "port %s: mtu %u is below %u", port->name,
                     mtu, RTE_ETHER_MIN_MTU);
        return -EINVAL;
    }
    port->req_n_rxq = (uint16_t) n_rxq;
    port->n_rxq_desc = (uint16_t) (rxd ? rxd : DP_DEFAULT_RXQ_DESC);
    port->n_txq_desc = (uint16_t) (txd ? txd : DP_DEFAULT_TXQ_DESC);
    port->mtu = (uint16_t) mtu;
    return 0;
}

/* Options whose change needs the device re-created (everything but mtu). */
static bool
dp_port_options_need_reopen(const json_t *a, const json_t *b)
{
    json_t *ca = a ? json_deep_copy(a) : json_object();
    json_t *cb = b ? json_deep_copy(b) : json_object();
    json_object_del(ca, "mtu");
    json_object_del(cb, "mtu");
    bool differ = !json_equal(ca, cb);
    json_decref(ca);
    json_decref(cb);
    return differ;
}

/* ---- ethdev lifecycle ----------------------------------------------------- */

static int
dp_port_ethdev_start(struct dp_port *port, char *err, size_t errlen)
{
    uint16_t pid = port->port_id;
    struct rte_eth_dev_info info;
    int ret = rte_eth_dev_info_get(pid, &info);
    if (ret) {
        dp_set_error(err, errlen, "port %s: cannot query device: %s",
                     port->name, rte_strerror(-ret));
        return ret;
    }
    port->device = info.device;
    snprintf(port->driver, sizeof port->driver, "%s",
             info.driver_name ? info.driver_name : "");

    port->n_rxq = MIN(port->req_n_rxq, info.max_rx_queues);
    if (!port->n_rxq) {
        dp_set_error(err, errlen, "port %s: device has no rx queue",
                     port->name);
        return -ENOTSUP;
    }
    if (port->n_rxq < port->req_n_rxq) {
        VLOG_WARN(DP_LOG, "port %s: n_rxq %u capped to the device maximum %u",
                  port->name, port->req_n_rxq, port->n_rxq);
    }
    /* One txq per possible worker plus main, so no worker ever locks; a
     * device with fewer shares its txqs under a spinlock (as OVS's dynamic
     * txqs). Workers never outnumber the CPUs we may use. */
    unsigned int want_txq = MIN(dp_state.n_cpus_allowed + 1, DP_MAX_TXQ);
    port->n_txq = (uint16_t) MIN(want_txq, info.max_tx_queues);
    if (!port->n_txq) {
        dp_set_error(err, errlen, "port %s: device has no tx queue",
                     port->name);
        return -ENOTSUP;
    }
    port->txq_shared = port->n_txq < want_txq;
    for (unsigned int i = 0; i < DP_MAX_TXQ; i++) {
        rte_spinlock_init(&port->txq_lock[i]);
    }

    struct rte_eth_conf conf;
    memset(&conf, 0, sizeof conf);
    if (port->mtu) {
        conf.rxmode.mtu = port->mtu;
    }
    if (port->n_rxq > 1 && info.flow_type_rss_offloads) {
        conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
        conf.rx_adv_conf.rss_conf.rss_hf =
            (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP)
            & info.flow_type_rss_offloads;
    }
    ret = rte_eth_dev_configure(pid, port->n_rxq, port->n_txq, &conf);
    if (ret) {
        dp_set_error(err, errlen, "port %s: cannot configure %u rxq / %u "
                     "txq: %s", port->name, port->n_rxq, port->n_txq,
                     rte_strerror(-ret));
        return ret;
    }
    uint16_t nb_rxd = port->n_rxq_desc, nb_txd = port->n_txq_desc;
    rte_eth_dev_adjust_nb_rx_tx_desc(pid, &nb_rxd, &nb_txd);
    int socket = rte_eth_dev_socket_id(pid);
    for (uint16_t q = 0; q < port->n_rxq; q++) {
        ret = rte_eth_rx_queue_setup(pid, q, nb_rxd, socket, NULL,
                                     dp_state.pool);
        if (ret) {
            dp_set_error(err, errlen, "port %s: cannot set up rxq %u: %s",
                         port->name, q, rte_strerror(-ret));
            return ret;
        }
    }
    for (uint16_t q = 0; q < port->n_txq; q++) {
        ret = rte_eth_tx_queue_setup(pid, q, nb_txd, socket, NULL);
        if (ret) {
            dp_set_error(err, errlen, "port %s: cannot set up txq %u: %s",
                         port->name, q, rte_strerror(-ret));
            return ret;
        }
    }
    ret = rte_eth_dev_start(pid);
    if (ret) {
        dp_set_error(err, errlen, "port %s: cannot start device: %s",
                     port->name, rte_strerror(-ret));
        return ret;
    }
    port->started = true;
    /* A switch port must see every destination MAC. */
    ret = rte_eth_promiscuous_enable(pid);
    if (ret && ret != -ENOTSUP) {
        VLOG_WARN(DP_LOG, "port %s: cannot enable promiscuous mode: %s",
                  port->name, rte_strerror(-ret));
    }
    if (port->class->post_start) {
        ret = port->class->post_start(port, err, errlen);
        if (ret) {
            return ret;
        }
    }

    port->rxqs = calloc(port->n_rxq, sizeof *port->rxqs);
    if (!port->rxqs) {
        dp_set_error(err, errlen, "port %s: out of memory", port->name);
        return -ENOMEM;
    }
    for (uint16_t q = 0; q < port->n_rxq; q++) {
        port->rxqs[q].port = port;
        port->rxqs[q].qid = q;
        port->rxqs[q].pmd_slot = -1;
    }
    return 0;
}

/* Stops, closes and removes the device. The port must be out of every
 * poll list and tx_ready cleared, with a grace period passed. */
static void
dp_port_ethdev_close(struct dp_port *port)
{
    if (port->ethdev_open) {
        if (port->started) {
            int ret = rte_eth_dev_stop(port->port_id);
            if (ret) {
                VLOG_WARN(DP_LOG, "port %s: stop failed: %s", port->name,
                          rte_strerror(-ret));
            }
            port->started = false;
        }
        if (!port->device) {
            struct rte_eth_dev_info info;
            if (!rte_eth_dev_info_get(port->port_id, &info)) {
                port->device = info.device;
            }
        }
        rte_eth_dev_close(port->port_id);
        port->class->close(port);
        port->ethdev_open = false;
        port->device = NULL;
    }
    free(port->rxqs);
    port->rxqs = NULL;
    port->n_rxq = 0;
    port->n_txq = 0;
}

static int
dp_port_open(struct dp_port *port, char *err, size_t errlen)
{
    int error = port->class->open(port, err, errlen);
    if (error) {
        return error;
    }
    port->ethdev_open = true;
    error = dp_port_ethdev_start(port, err, errlen);
    if (error) {
        bool retry = port->class->fallback && port->class->fallback(port, err);
        dp_port_ethdev_close(port);
        return retry ? dp_port_open(port, err, errlen) : error;
    }
    __atomic_store_n(&port->tx_ready, true, __ATOMIC_RELEASE);
    return 0;
}

/* Takes 'port' off the workers (rx and tx) and waits a grace period. */
static void
dp_port_quiesce(struct dp_port *port)
{
    __atomic_store_n(&port->tx_ready, false, __ATOMIC_RELEASE);
    dp_rxq_unpoll_port(port);   /* publishes and synchronizes */
}

/* ---- add / delete / reconfigure -------------------------------------------- */

static int
dp_port_check_vlan(const char *name, const struct dp_vlan_config *vlan,
                   char *err, size_t errlen)
{
    if (vlan->tag > FT_VLAN_VID_MASK) {
        dp_set_error(err, errlen, "port %s: VLAN tag %u is above 4095", name,
                     vlan->tag);
        return -EINVAL;
    }
    switch (vlan->mode) {
    case FT_VLAN_TRUNK:
    case FT_VLAN_ACCESS:
    case FT_VLAN_NATIVE_TAGGED:
    case FT_VLAN_NATIVE_UNTAGGED:
        return 0;
    }
    dp_set_error(err, errlen, "port %s: unknown VLAN mode %d", name,
                 (int) vlan->mode);
    return -EINVAL;
}

int
dp_port_add(struct dp_bridge *br, const struct dp_port_spec *spec,
            char *err, size_t errlen)
{
    if (!dp_state.initialized) {
        dp_set_error(err, errlen, "datapath is not initialized");
        return -ENODEV;
    }
    if (!br || !spec || !spec->name || !*spec->name) {
        dp_set_error(err, errlen, "port needs a bridge and a name");
        return -EINVAL;
    }
    if (strlen(spec->name) >= DP_NAME_LEN) {
        dp_set_error(err, errlen, "port name '%s' is too long (max %d)",
                     spec->name, DP_NAME_LEN - 1);
        return -EINVAL;
    }
    const char *type = spec->type && *spec->type ? spec->type : "dpdk";
    const struct dp_netdev_class *class = dp_class_find(type);
    if (!class) {
        dp_set_error(err, errlen, "port %s: unknown type '%s' (expected "
                     "dpdk, system or dummy)", spec->name, type);
        return -EINVAL;
    }
    if (dp_port_lookup(spec->name)) {
        dp_set_error(err, errlen, "port %s already exists", spec->name);
        return -EEXIST;
    }
    if (spec->options && !json_is_object(spec->options)) {
        dp_set_error(err, errlen, "port %s: options must be an object",
                     spec->name);
        return -EINVAL;
    }
    int error = dp_port_check_vlan(spec->name, &spec->vlan, err, errlen);
    if (error) {
        return error;
    }
    int slot = -1;
    for (unsigned int i = 0; i < DP_MAX_PORTS; i++) {
        struct dp_port *other = dp_state.ports[i];
        if (!other) {
            if (slot < 0) {
                slot = (int) i;
            }
        } else if (other->bridge == br && other->ofport == spec->ofport) {
            dp_set_error(err, errlen, "port %s: ofport %u is already used by "
                         "%s in bridge %s", spec->name, spec->ofport,
                         other->name, br->name);
            return -EEXIST;
        }
    }
    if (slot < 0) {
        dp_set_error(err, errlen, "port %s: too many ports (max %d)",
                     spec->name, DP_MAX_PORTS);
        return -ENOSPC;
    }

    struct dp_port *port = calloc(1, sizeof *port);
    if (!port) {
        dp_set_error(err, errlen, "port %s: out of memory", spec->name);
        return -ENOMEM;
    }
    snprintf(port->name, sizeof port->name, "%s", spec->name);
    port->class = class;
    port->bridge = br;
    port->ofport = spec->ofport;
    port->slot = (uint32_t) slot;
    port->vlan = spec->vlan;
    port->options = spec->options ? json_deep_copy(spec->options)
                                  : json_object();
    error = dp_port_parse_options(port, port->options, err, errlen);
    if (!error) {
        error = dp_port_open(port, err, errlen);
    }
    if (error) {
        json_decref(port->options);
        free(port);
        return error;
    }

    /* Per-slot worker counters may hold a previous port's drops. */
    for (unsigned int i = 0; i < DP_MAX_PMDS; i++) {
        struct dp_pmd *pmd = dp_state.pmds[i];
        if (pmd) {
            __atomic_store_n(&pmd->port_rx_dropped[slot], 0, __ATOMIC_RELAXED);
            __atomic_store_n(&pmd->port_tx_dropped[slot], 0, __ATOMIC_RELAXED);
            __atomic_store_n(&pmd->port_rx_bytes[slot], 0, __ATOMIC_RELAXED);
            __atomic_store_n(&pmd->port_tx_bytes[slot], 0, __ATOMIC_RELAXED);
        }
    }
    dp_port_refresh_link(port);
    __atomic_store_n(&dp_state.ports[slot], port, __ATOMIC_RELEASE);
    dp_state.n_ports++;
    dp_bridge_rebuild_ports(br);
    /* Floods translated before the port existed would miss it. */
    dp_bridge_flush_megaflows(br, -1);
    dp_rxq_reassign();

    VLOG_INFO(DP_LOG, "port %s added to bridge %s: type %s, ofport %u, "
              "ethdev %u (%s%s%s), %u rxq, %u txq%s", port->name, br->name,
              class->type, port->ofport, port->port_id, port->driver,
              port->mode ? ", " : "", port->mode ? port->mode : "",
              port->n_rxq, port->n_txq,
              port->txq_shared ? " (shared, locked)" : "");
    return 0;
}

int
dp_port_del(const char *name)
{
    struct dp_port *port = dp_port_lookup(name);
    if (!port) {
        return -ENOENT;
    }
    struct dp_bridge *br = port->bridge;

    /* 1. No worker polls it or transmits to it after this grace period. */
    dp_port_quiesce(port);
    /* 2. Unpublish the slot and drop it from NORMAL and the pipeline's
     *    port map (another grace period, after which no worker holds the
     *    old snapshot), then every megaflow that may name the slot: a
     *    later port, maybe of another bridge, reuses it. */
    __atomic_store_n(&dp_state.ports[port->slot], NULL, __ATOMIC_RELEASE);
    dp_state.n_ports--;
    dp_bridge_rebuild_ports(br);
    dp_bridge_flush_megaflows(br, (int) port->slot);
    /* 3. MACs learned on it would be forwarded to a port that is gone. */
    ft_mac_flush(br->mac, port->ofport);
    /* 4. Keep the datapath drops of the port's lifetime out of the next
     *    port's stats: zero the per-slot worker counters. */
    for (unsigned int i = 0; i < DP_MAX_PMDS; i++) {
        struct dp_pmd *pmd = dp_state.pmds[i];
        if (pmd) {
            __atomic_store_n(&pmd->port_rx_dropped[port->slot], 0,
                             __ATOMIC_RELAXED);
            __atomic_store_n(&pmd->port_tx_dropped[port->slot], 0,
                             __ATOMIC_RELAXED);
            __atomic_store_n(&pmd->port_rx_bytes[port->slot], 0,
                             __ATOMIC_RELAXED);
            __atomic_store_n(&pmd->port_tx_bytes[port->slot], 0,
                             __ATOMIC_RELAXED);
        }
    }
    /* Tx buffers are flushed by each worker before it reports quiescence,
     * so none holds a packet for this port now. */
    dp_port_ethdev_close(port);
    VLOG_INFO(DP_LOG, "port %s deleted from bridge %s", port->name, br->name);
    json_decref(port->options);
    free(port);
    return 0;
}

static void
dp_port_set_vlan(struct dp_port *port, const struct dp_vlan_config *vlan)
{
    if (!memcmp(&port->vlan, vlan, sizeof *vlan)) {
        return;
    }
    port->vlan = *vlan;
    dp_bridge_rebuild_ports(port->bridge);
    /* Learned (MAC, VLAN) pairs may no longer be valid on this port, nor
     * megaflows NORMAL made from them. */
    ft_mac_flush(port->bridge->mac, port->ofport);
    dp_bridge_flush_megaflows(port->bridge, -1);
}

int
dp_port_reconfigure(const char *name, json_t *options,
                    const struct dp_vlan_config *vlan,
                    char *err, size_t errlen)
{
    struct dp_port *port = dp_port_lookup(name);
    if (!port) {
        dp_set_error(err, errlen, "no port named '%s'", name ? name : "");
        return -ENOENT;
    }
    if (options && !json_is_object(options)) {
        dp_set_error(err, errlen, "port %s: options must be an object", name);
        return -EINVAL;
    }
    if (vlan) {
        int error = dp_port_check_vlan(name, vlan, err, errlen);
        if (error) {
            return error;
        }
    }
    if (!options || json_equal(options, port->options)) {
        if (vlan) {
            dp_port_set_vlan(port, vlan);
        }
        return 0;
    }

    /* Validate first so a bad option leaves the port untouched. */
    struct dp_port probe = *port;
    int error = dp_port_parse_options(&probe, options, err, errlen);
    if (error) {
        return error;
    }
    /* A failure below puts the VLAN settings back with the options. */
    struct dp_vlan_config old_vlan = port->vlan;
    if (vlan) {
        dp_port_set_vlan(port, vlan);
    }

    if (!dp_port_options_need_reopen(port->options, options)
        && port->ethdev_open) {
        /* MTU only: the device takes it live. */
        if (probe.mtu && probe.mtu != port->mtu) {
            int ret = rte_eth_dev_set_mtu(port->port_id, probe.mtu);
            if (ret == -ENOTSUP) {
                /* Virtual devices without an MTU (ring, null) carry any
                 * frame that fits an mbuf; keep the value as configured. */
                VLOG_INFO(DP_LOG, "port %s: device has no MTU setting; mtu "
                          "%u recorded only", name, probe.mtu);
            } else if (ret) {
                dp_set_error(err, errlen, "port %s: cannot set mtu %u: %s",
                             name, probe.mtu, rte_strerror(-ret));
                dp_port_set_vlan(port, &old_vlan);
                return ret;
            }
        }
        port->mtu = probe.mtu;
        json_decref(port->options);
        port->options = json_deep_copy(options);
        return 0;
    }

    /* Everything else re-creates the device. */
    json_t *old_options = port->options;
    dp_port_quiesce(port);
    dp_port_ethdev_close(port);
    port->options = json_deep_copy(options);
    dp_port_parse_options(port, port->options, NULL, 0);
    error = dp_port_open(port, err, errlen);
    if (error) {
        char err2[DP_ERR_LEN];
        VLOG_WARN(DP_LOG, "port %s: reconfiguration failed, restoring the "
                  "previous options", name);
        json_decref(port->options);
        port->options = old_options;
        dp_port_set_vlan(port, &old_vlan);
        dp_port_parse_options(port, port->options, NULL, 0);
        if (dp_port_open(port, err2, sizeof err2)) {
            VLOG_ERR(DP_LOG, "port %s: is down: %s", name, err2);
        }
    } else {
        json_decref(old_options);
    }
    if (dp_port_refresh_link(port)) {
        dp_bridge_rebuild_ports(port->bridge);
    }
    dp_rxq_reassign();
    return error;
}

bool
dp_port_refresh_link(struct dp_port *port)
{
    struct rte_eth_link link;
    bool up = false;

    if (port->ethdev_open && port->started) {
        memset(&link, 0, sizeof link);
        up = rte_eth_link_get_nowait(port->port_id, &link) == 0
             && link.link_status == RTE_ETH_LINK_UP;
    }
    if (up == port->link_up) {
        return false;
    }
    port->link_up = up;
    return true;
}

int
dp_port_set_of_config(const char *name, uint32_t config, uint32_t mask)
{
    struct dp_port *port = dp_port_lookup(name);
    if (!port) {
        return -ENOENT;
    }
    const uint32_t known = FT_OFPPC_PORT_DOWN | FT_OFPPC_NO_RECV
                           | FT_OFPPC_NO_FWD | FT_OFPPC_NO_PACKET_IN;
    if (mask & ~known) {
        return -EINVAL;
    }
    uint32_t new = (port->of_config & ~mask) | (config & mask);
    if (new == port->of_config) {
        return 0;
    }
    /* Workers read it at rx and tx; the pipeline's map follows, and with
     * it the generation, so the revalidator fixes existing megaflows. */
    __atomic_store_n(&port->of_config, new, __ATOMIC_RELAXED);
    dp_bridge_rebuild_ports(port->bridge);
    VLOG_INFO(DP_LOG, "port %s: OpenFlow config 0x%x", name, new);
    return 0;
}

uint32_t
dp_port_get_of_config(const char *name)
{
    const struct dp_port *port = dp_port_lookup(name);
    return port ? port->of_config : 0;
}

/* ---- stats and info -------------------------------------------------------- */

int
dp_port_get_stats(const char *name, struct dp_port_stats *stats)
{
    struct dp_port *port = dp_port_lookup(name);
    if (!port) {
        return -ENOENT;
    }
    memset(stats, 0, sizeof *stats);
    struct rte_eth_stats es;
    if (port->ethdev_open && !rte_eth_stats_get(port->port_id, &es)) {
        stats->rx_packets = es.ipackets;
        stats->rx_bytes = es.ibytes;
        stats->rx_dropped = es.imissed + es.rx_nombuf;
        stats->rx_errors = es.ierrors;
        stats->tx_packets = es.opackets;
        stats->tx_bytes = es.obytes;
        stats->tx_errors = es.oerrors;
    }
    stats->rx_dropped += port->retired_rx_dropped;
    stats->tx_dropped += port->retired_tx_dropped;
    if (port->sw_byte_counts) {
        stats->rx_bytes = port->retired_rx_bytes;
        stats->tx_bytes = port->retired_tx_bytes;
    }
    for (unsigned int i = 0; i < DP_MAX_PMDS; i++) {
        const struct dp_pmd *pmd = dp_state.pmds[i];
        if (pmd) {
            stats->rx_dropped +=
                dp_counter_read(&pmd->port_rx_dropped[port->slot]);
            stats->tx_dropped +=
                dp_counter_read(&pmd->port_tx_dropped[port->slot]);
            if (port->sw_byte_counts) {
                stats->rx_bytes +=
                    dp_counter_read(&pmd->port_rx_bytes[port->slot]);
                stats->tx_bytes +=
                    dp_counter_read(&pmd->port_tx_bytes[port->slot]);
            }
        }
    }
    return 0;
}

json_t *
dp_port_info(const char *name)
{
    struct dp_port *port = dp_port_lookup(name);
    if (!port) {
        return NULL;
    }
    char mac[RTE_ETHER_ADDR_FMT_SIZE] = "";
    struct rte_ether_addr ea;
    struct rte_eth_link link;
    memset(&link, 0, sizeof link);
    uint16_t mtu = port->mtu;
    if (port->ethdev_open) {
        bool have = port->has_mac_override
                    || !rte_eth_macaddr_get(port->port_id, &ea);
        if (port->has_mac_override) {
            memcpy(ea.addr_bytes, port->mac_override, 6);
        }
        if (have) {
            /* Lowercase, as the MAC table dump and Open vSwitch print. */
            snprintf(mac, sizeof mac, "%02x:%02x:%02x:%02x:%02x:%02x",
                     ea.addr_bytes[0], ea.addr_bytes[1], ea.addr_bytes[2],
                     ea.addr_bytes[3], ea.addr_bytes[4], ea.addr_bytes[5]);
        }
        rte_eth_link_get_nowait(port->port_id, &link);
        uint16_t dev_mtu;
        if (!port->mtu && !rte_eth_dev_get_mtu(port->port_id, &dev_mtu)) {
            mtu = dev_mtu;
        }
    }
    json_t *trunks = json_array();
    for (unsigned int vid = 0; vid < 4096; vid++) {
        if (port->vlan.trunks[vid / 64] & (1ULL << (vid % 64))) {
            json_array_append_new(trunks, json_integer(vid));
        }
    }
    json_t *info = json_pack(
        "{s:s, s:s, s:s, s:I, s:I, s:s, s:I, s:s, s:I, s:I, s:s, s:s, "
        "s:s, s:I, s:o}",
        "name", port->name,
        "type", port->class->type,
        "bridge", port->bridge->name,
        "ofport", (json_int_t) port->ofport,
        "port_id", (json_int_t) port->port_id,
        "mac", mac,
        "mtu", (json_int_t) mtu,
        "link", link.link_status ? "up" : "down",
        "n_rxq", (json_int_t) port->n_rxq,
        "n_txq", (json_int_t) port->n_txq,
        "driver", port->driver,
        "devargs", port->devargs,
        "vlan_mode", ft_vlan_mode_to_string(port->vlan.mode),
        "tag", (json_int_t) port->vlan.tag,
        "trunks", trunks);
    if (port->mode) {
        json_object_set_new(info, "mode", json_string(port->mode));
    }
    if (link.link_status) {
        json_object_set_new(info, "link_speed_mbps",
                            json_integer(link.link_speed));
    }
    if (!port->ethdev_open) {
        json_object_set_new(info, "error", json_string("device is closed"));
    }
    return info;
}
