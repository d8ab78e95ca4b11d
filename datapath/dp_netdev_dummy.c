/*
 * dp_netdev_dummy.c — the "dummy" netdev class: an ethdev made of rte_rings
 * (rte_eth_from_rings), for tests and for driving the datapath from the
 * control socket without hardware.
 *
 * Rings and their threads:
 *  - one rx ring per rx queue, single-producer/single-consumer: the main
 *    thread produces (dp_dummy_inject), the one worker polling that queue
 *    consumes (rte_eth_rx_burst);
 *  - one tx ring shared by every tx queue of the ethdev, multi-producer /
 *    single-consumer: any worker (and main) transmits into it through its
 *    own txq, so the ring needs no lock of ours; main consumes it
 *    (dp_dummy_capture).
 * Option "mac" sets the port's MAC address.
 */
#include "dp_private.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_errno.h>
#include <rte_eth_ring.h>
#include <rte_ethdev.h>
#include <rte_ether.h>
#include <rte_mbuf.h>
#include <rte_ring.h>

/* Enough to hold a test's burst of injected frames or of captures. */
#define DP_DUMMY_RING_SIZE 4096

struct dp_dummy {
    unsigned int n_rx;
    struct rte_ring *rx[DP_MAX_RXQ];
    struct rte_ring *tx;
    char vdev_name[RTE_DEV_NAME_MAX_LEN];
};

static void
dp_dummy_free(struct dp_dummy *d)
{
    for (unsigned int i = 0; i < d->n_rx; i++) {
        struct rte_mbuf *m;
        while (rte_ring_dequeue(d->rx[i], (void **) &m) == 0) {
            rte_pktmbuf_free(m);
        }
        rte_ring_free(d->rx[i]);
    }
    if (d->tx) {
        struct rte_mbuf *m;
        while (rte_ring_dequeue(d->tx, (void **) &m) == 0) {
            rte_pktmbuf_free(m);
        }
        rte_ring_free(d->tx);
    }
    free(d);
}

static int
dp_netdev_dummy_open(struct dp_port *port, char *err, size_t errlen)
{
    /* Names must be unique among live rings and vdevs; a generation
     * counter keeps a re-created port from colliding with itself. */
    static unsigned int generation;
    unsigned int gen = generation++;

    const char *mac = dp_option_str(port->options, "mac");
    struct rte_ether_addr ea;
    bool has_mac = mac && *mac;
    if (has_mac && rte_ether_unformat_addr(mac, &ea)) {
        dp_set_error(err, errlen, "port %s: bad mac '%s'", port->name, mac);
        return -EINVAL;
    }

    struct dp_dummy *d = calloc(1, sizeof *d);
    if (!d) {
        dp_set_error(err, errlen, "port %s: out of memory", port->name);
        return -ENOMEM;
    }
    int socket = (int) rte_socket_id();
    char name[RTE_RING_NAMESIZE];
    for (unsigned int q = 0; q < port->req_n_rxq; q++) {
        snprintf(name, sizeof name, "dd%u_rx%u", gen, q);
        d->rx[q] = rte_ring_create(name, DP_DUMMY_RING_SIZE, socket,
                                   RING_F_SP_ENQ | RING_F_SC_DEQ);
        if (!d->rx[q]) {
            dp_set_error(err, errlen, "port %s: cannot create ring: %s",
                         port->name, rte_strerror(rte_errno));
            dp_dummy_free(d);
            return -ENOMEM;
        }
        d->n_rx++;
    }
    snprintf(name, sizeof name, "dd%u_tx", gen);
    d->tx = rte_ring_create(name, DP_DUMMY_RING_SIZE, socket, RING_F_SC_DEQ);
    if (!d->tx) {
        dp_set_error(err, errlen, "port %s: cannot create ring: %s",
                     port->name, rte_strerror(rte_errno));
        dp_dummy_free(d);
        return -ENOMEM;
    }

    /* Every txq maps onto the one multi-producer tx ring. */
    struct rte_ring *tx[DP_MAX_TXQ];
    unsigned int n_tx = MIN(dp_state.n_cpus_allowed + 1, DP_MAX_TXQ);
    for (unsigned int i = 0; i < n_tx; i++) {
        tx[i] = d->tx;
    }
    snprintf(name, sizeof name, "dummy%u", gen);
    int pid = rte_eth_from_rings(name, d->rx, d->n_rx, tx, n_tx, socket);
    if (pid < 0) {
        dp_set_error(err, errlen, "port %s: cannot create ring ethdev: %s",
                     port->name, rte_strerror(rte_errno));
        dp_dummy_free(d);
        return -rte_errno ? -rte_errno : -EINVAL;
    }
    port->port_id = (uint16_t) pid;
    snprintf(d->vdev_name, sizeof d->vdev_name, "net_ring_%s", name);
    snprintf(port->devargs, sizeof port->devargs, "%s", d->vdev_name);
    port->class_data = d;
    /* rte_eth_stats of the ring PMD count packets, never bytes. */
    port->sw_byte_counts = true;

    /* The ring PMD cannot change its MAC; remember ours for dp_port_info.
     * Without a "mac" option: 02:dd:<generation>, locally administered. */
    if (!has_mac) {
        ea = (struct rte_ether_addr) { { 0x02, 0xdd, (uint8_t) (gen >> 24),
                                         (uint8_t) (gen >> 16),
                                         (uint8_t) (gen >> 8),
                                         (uint8_t) gen } };
    }
    if (rte_eth_dev_default_mac_addr_set(port->port_id, &ea)) {
        port->has_mac_override = true;
        memcpy(port->mac_override, ea.addr_bytes, 6);
    }
    return 0;
}

static void
dp_netdev_dummy_close(struct dp_port *port)
{
    struct dp_dummy *d = port->class_data;
    dp_netdev_remove_device(port);
    if (d) {
        dp_dummy_free(d);
    }
    port->class_data = NULL;
}

const struct dp_netdev_class dp_netdev_dummy_class = {
    .type = "dummy",
    .open = dp_netdev_dummy_open,
    .close = dp_netdev_dummy_close,
};

/* ---- inject / capture (main thread) ---------------------------------------- */

static struct dp_dummy *
dp_dummy_find(const char *name)
{
    struct dp_port *port = dp_port_lookup(name);
    if (!port || port->class != &dp_netdev_dummy_class) {
        return NULL;
    }
    return port->class_data;
}

int
dp_dummy_inject(const char *name, const uint8_t *frame, size_t len)
{
    struct dp_dummy *d = dp_dummy_find(name);
    if (!d) {
        return -ENOENT;
    }
    if (len < RTE_ETHER_HDR_LEN || len > RTE_MBUF_DEFAULT_DATAROOM) {
        return -EINVAL;
    }
    struct rte_mbuf *m = rte_pktmbuf_alloc(dp_state.pool);
    if (!m) {
        return -ENOBUFS;
    }
    char *data = rte_pktmbuf_append(m, (uint16_t) len);
    if (!data) {
        rte_pktmbuf_free(m);
        return -EMSGSIZE;
    }
    memcpy(data, frame, len);
    /* Spread flows over the rx queues by source MAC, keeping each flow's
     * order (one flow = one queue = one worker). */
    unsigned int q = 0;
    if (d->n_rx > 1) {
        unsigned int h = 0;
        for (int i = 6; i < 12; i++) {
            h = h * 31 + frame[i];
        }
        q = h % d->n_rx;
    }
    if (rte_ring_enqueue(d->rx[q], m)) {
        rte_pktmbuf_free(m);
        return -ENOBUFS;
    }
    return 0;
}

int
dp_dummy_capture(const char *name, unsigned int max,
                 void (*cb)(const uint8_t *frame, size_t len, void *aux),
                 void *aux)
{
    struct dp_dummy *d = dp_dummy_find(name);
    if (!d) {
        return -ENOENT;
    }
    unsigned int n = 0;
    uint8_t linear[RTE_MBUF_DEFAULT_DATAROOM * 4];
    while (n < max) {
        struct rte_mbuf *m;
        if (rte_ring_dequeue(d->tx, (void **) &m)) {
            break;
        }
        uint32_t len = rte_pktmbuf_pkt_len(m);
        const uint8_t *bytes = NULL;
        if (len <= sizeof linear) {
            bytes = rte_pktmbuf_read(m, 0, len, linear);
        }
        if (cb && bytes) {
            cb(bytes, len, aux);
        }
        rte_pktmbuf_free(m);
        n++;
    }
    return (int) n;
}
