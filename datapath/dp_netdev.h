/*
 * dp_netdev.h — the private netdev-class interface: what a port type must
 * provide. Every class yields a DPDK ethdev; dp_port.c does the rest
 * (queues, configure, start, stop, close, stats, info) the same way for
 * all of them, so the PMD loop is uniform (rte_eth_rx_burst /
 * rte_eth_tx_burst).
 *
 * Classes: dp_netdev_dpdk.c ("dpdk": devargs hot-plug), dp_netdev_system.c
 * ("system": kernel interface via AF_XDP or AF_PACKET), dp_netdev_dummy.c
 * ("dummy": ring ethdev fed and drained by the main thread).
 *
 * Threads: every hook runs on the main thread.
 */
#ifndef VSWITCH_DATAPATH_DP_NETDEV_H
#define VSWITCH_DATAPATH_DP_NETDEV_H

#include <stddef.h>
#include <stdint.h>

struct dp_port;

/* A port type. Every class produces a DPDK ethdev (port->port_id) that the
 * generic code in dp_port.c configures, starts, polls and closes; the class
 * only creates and removes the device. All hooks: main thread. */
struct dp_netdev_class {
    const char *type;
    /* Creates the ethdev of 'port' from port->options (port->name, n_rxq
     * already parsed into port->req_n_rxq). Sets port->port_id,
     * port->devargs, port->mode. 0 or -errno with a sentence in 'err'. */
    int (*open)(struct dp_port *, char *err, size_t errlen);
    /* Removes the device after dp_port.c stopped and closed the ethdev
     * (rte_dev_remove / ring free). Frees class state. */
    void (*close)(struct dp_port *);
    /* Optional: called after the ethdev is configured and started. */
    int (*post_start)(struct dp_port *, char *err, size_t errlen);
    /* Optional: the opened device failed to configure or start ('why');
     * called before it is closed.
     * Returns true if the class has another way to open the port and the
     * next open() will take it (system: AF_XDP, whose socket and program
     * are set up only at queue setup, falls back to AF_PACKET). */
    bool (*fallback)(struct dp_port *, const char *why);
};

extern const struct dp_netdev_class dp_netdev_dpdk_class;
extern const struct dp_netdev_class dp_netdev_system_class;
extern const struct dp_netdev_class dp_netdev_dummy_class;

/* Probes 'devargs' with rte_dev_probe and finds the resulting ethdev.
 * Shared by the dpdk and system classes. */
int dp_netdev_probe_devargs(const char *devargs, uint16_t *port_id,
                            char *err, size_t errlen);
/* Removes the rte_device behind 'port' (ethdev already closed). */
void dp_netdev_remove_device(struct dp_port *);

#endif
