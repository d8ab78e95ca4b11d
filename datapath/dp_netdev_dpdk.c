/*
 * dp_netdev_dpdk.c — the "dpdk" netdev class: any device DPDK can probe
 * from devargs (PCI addresses, vdevs such as net_pcap, net_null, net_ring,
 * net_tap, net_af_packet, net_af_xdp, net_virtio_user), hot-plugged with
 * rte_dev_probe when the port is added and rte_dev_remove when deleted.
 * Also the devargs helpers the "system" class shares.
 *
 * Threads: main thread only (hot-plug is a control-path operation).
 */
#include "dp_private.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_devargs.h>
#include <rte_errno.h>
#include <rte_ethdev.h>

/* Is ethdev 'port_id' already one of our ports? */
static struct dp_port *
dp_netdev_port_by_ethdev(uint16_t port_id)
{
    for (unsigned int i = 0; i < DP_MAX_PORTS; i++) {
        struct dp_port *port = dp_state.ports[i];
        if (port && port->ethdev_open && port->port_id == port_id) {
            return port;
        }
    }
    return NULL;
}

/* Detaches the device 'devargs' names (probed by us, no port uses it). */
static void
dp_netdev_unprobe_devargs(const char *devargs)
{
    struct rte_devargs da;
    if (rte_devargs_parse(&da, devargs)) {
        return;
    }
    int ret = da.bus ? rte_eal_hotplug_remove(rte_bus_name(da.bus), da.name)
                     : -ENODEV;
    if (ret) {
        VLOG_WARN(DP_LOG, "device '%s' stays probed without a port: %s",
                  da.name, rte_strerror(-ret));
    }
    rte_devargs_reset(&da);
}

int
dp_netdev_probe_devargs(const char *devargs, uint16_t *port_id,
                        char *err, size_t errlen)
{
    /* A name no bus or driver claims fails deep in EAL with a misleading
     * errno; say what it is. */
    struct rte_devargs da;
    if (rte_devargs_parse(&da, devargs)) {
        dp_set_error(err, errlen, "could not probe '%s': %s (no DPDK bus or "
                     "driver recognizes the name)", devargs,
                     rte_strerror(ENODEV));
        return -ENODEV;
    }
    rte_devargs_reset(&da);

    int ret = rte_dev_probe(devargs);
    bool probed_here = ret >= 0;
    if (ret < 0 && ret != -EEXIST) {
        dp_set_error(err, errlen, "could not probe '%s': %s", devargs,
                     rte_strerror(-ret));
        return ret;
    }

    /* The ethdev name is the device name: devargs up to the first ','. */
    char name[RTE_ETH_NAME_MAX_LEN];
    snprintf(name, sizeof name, "%s", devargs);
    name[strcspn(name, ",")] = '\0';
    uint16_t pid = RTE_MAX_ETHPORTS;
    if (rte_eth_dev_get_port_by_name(name, &pid)) {
        /* Representors and multi-port devices: match the devargs. */
        struct rte_dev_iterator iter;
        uint16_t id;
        pid = RTE_MAX_ETHPORTS;
        RTE_ETH_FOREACH_MATCHING_DEV(id, devargs, &iter) {
            if (!dp_netdev_port_by_ethdev(id)) {
                pid = id;
                rte_eth_iterator_cleanup(&iter);
                break;
            }
        }
    }
    if (pid == RTE_MAX_ETHPORTS) {
        dp_set_error(err, errlen, "'%s' was probed but has no usable "
                     "ethdev port", devargs);
        if (probed_here) {
            /* Undo our hot-plug, so a failed add leaves nothing behind. */
            dp_netdev_unprobe_devargs(devargs);
        }
        return -ENODEV;
    }
    struct dp_port *owner = dp_netdev_port_by_ethdev(pid);
    if (owner) {
        dp_set_error(err, errlen, "'%s' is already in use by port %s",
                     devargs, owner->name);
        return -EBUSY;
    }
    *port_id = pid;
    return 0;
}

void
dp_netdev_remove_device(struct dp_port *port)
{
    struct rte_device *dev = port->device;
    if (!dev) {
        return;
    }
    /* A device can carry several ethdevs (multi-port NICs, representors):
     * detach it only when its last port is gone. */
    uint16_t other;
    RTE_ETH_FOREACH_DEV_OF(other, dev) {
        if (other != port->port_id) {
            return;
        }
    }
    int ret = rte_dev_remove(dev);
    if (ret) {
        VLOG_WARN(DP_LOG, "port %s: could not remove device '%s': %s",
                  port->name, port->devargs, rte_strerror(-ret));
    }
}

static int
dp_netdev_dpdk_open(struct dp_port *port, char *err, size_t errlen)
{
    const char *devargs = dp_option_str(port->options, "dpdk-devargs");
    if (!devargs || !*devargs) {
        dp_set_error(err, errlen, "port %s: type dpdk needs option "
                     "dpdk-devargs", port->name);
        return -EINVAL;
    }
    if (strlen(devargs) >= sizeof port->devargs) {
        dp_set_error(err, errlen, "port %s: dpdk-devargs is too long",
                     port->name);
        return -EINVAL;
    }
    snprintf(port->devargs, sizeof port->devargs, "%s", devargs);
    int error = dp_netdev_probe_devargs(devargs, &port->port_id, err, errlen);
    if (error && err) {
        /* Name the port too, keeping DPDK's reason. */
        char inner[DP_ERR_LEN];
        snprintf(inner, sizeof inner, "%s", err);
        snprintf(err, errlen, "port %s: %s", port->name, inner);
    }
    return error;
}

static void
dp_netdev_dpdk_close(struct dp_port *port)
{
    dp_netdev_remove_device(port);
}

const struct dp_netdev_class dp_netdev_dpdk_class = {
    .type = "dpdk",
    .open = dp_netdev_dpdk_open,
    .close = dp_netdev_dpdk_close,
};
