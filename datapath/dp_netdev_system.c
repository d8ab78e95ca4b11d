/*
 * dp_netdev_system.c — the "system" netdev class: a kernel network
 * interface (veth, tap, a NIC left to its kernel driver) attached through
 * DPDK's net_af_xdp vdev, or net_af_packet when AF_XDP is unavailable
 * (old kernel, no XDP support, no libxdp program), as Open vSwitch's
 * "system" ports do through the kernel. Option "xdp-mode":
 *   best-effort (default)  AF_XDP, falling back to AF_PACKET with a WARN;
 *   native                 AF_XDP only (zero-copy when the driver can);
 *   generic                AF_XDP only, copy mode (force_copy=1);
 *   af-packet              AF_PACKET only.
 * The interface is brought up (IFF_UP) if it is down.
 *
 * Threads: main thread only.
 */
#include "dp_private.h"

#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <rte_errno.h>

/* Sets IFF_UP on 'ifname' if it is down. */
static int
dp_system_set_up(const char *ifname, char *err, size_t errlen)
{
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        dp_set_error(err, errlen, "socket: %s", strerror(errno));
        return -errno;
    }
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "%s", ifname);
    int error = 0;
    if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0) {
        error = -errno;
        dp_set_error(err, errlen, "interface '%s': cannot read flags: %s",
                     ifname, strerror(errno));
    } else if (!(ifr.ifr_flags & IFF_UP)) {
        ifr.ifr_flags |= IFF_UP;
        if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0) {
            error = -errno;
            dp_set_error(err, errlen, "interface '%s': cannot bring it up: "
                         "%s", ifname, strerror(errno));
        } else {
            VLOG_INFO(DP_LOG, "interface %s brought up", ifname);
        }
    }
    close(fd);
    return error;
}

static int
dp_system_try(struct dp_port *port, const char *devargs, char *err,
              size_t errlen)
{
    snprintf(port->devargs, sizeof port->devargs, "%s", devargs);
    return dp_netdev_probe_devargs(devargs, &port->port_id, err, errlen);
}

static int
dp_netdev_system_open(struct dp_port *port, char *err, size_t errlen)
{
    const char *ifname = port->name;
    if (strlen(ifname) >= IFNAMSIZ || !if_nametoindex(ifname)) {
        dp_set_error(err, errlen, "port %s: kernel interface '%s' does not "
                     "exist", port->name, ifname);
        return -ENODEV;
    }
    const char *mode = dp_option_str(port->options, "xdp-mode");
    if (!mode || !*mode) {
        mode = "best-effort";
    }
    bool best_effort = !strcmp(mode, "best-effort");
    bool xdp = (best_effort && !port->xdp_start_failed)
               || !strcmp(mode, "native") || !strcmp(mode, "generic");
    bool af_packet = best_effort || !strcmp(mode, "af-packet");
    if (!xdp && !af_packet) {
        dp_set_error(err, errlen, "port %s: unknown xdp-mode '%s' (expected "
                     "best-effort, native, generic or af-packet)",
                     port->name, mode);
        return -EINVAL;
    }
    int error = dp_system_set_up(ifname, err, errlen);
    if (error) {
        return error;
    }

    char devargs[DP_DEVARGS_LEN];
    char xdp_err[DP_ERR_LEN] = "";
    if (xdp) {
        snprintf(devargs, sizeof devargs,
                 "net_af_xdp_%s,iface=%s,start_queue=0,queue_count=%u%s",
                 ifname, ifname, port->req_n_rxq,
                 !strcmp(mode, "generic") ? ",force_copy=1" : "");
        error = dp_system_try(port, devargs, xdp_err, sizeof xdp_err);
        if (!error) {
            port->mode = "af_xdp";
            return 0;
        }
        if (!af_packet) {
            dp_set_error(err, errlen, "port %s: AF_XDP attach failed: %s",
                         port->name, xdp_err);
            return error;
        }
        VLOG_WARN(DP_LOG, "port %s: AF_XDP unavailable (%s); falling back "
                  "to AF_PACKET", port->name, xdp_err);
    }
    snprintf(devargs, sizeof devargs, "net_af_packet_%s,iface=%s,qpairs=%u",
             ifname, ifname, port->req_n_rxq);
    char pkt_err[DP_ERR_LEN] = "";
    error = dp_system_try(port, devargs, pkt_err, sizeof pkt_err);
    if (error) {
        if (xdp) {
            dp_set_error(err, errlen, "port %s: AF_XDP attach failed (%s) "
                         "and AF_PACKET too (%s)", port->name, xdp_err,
                         pkt_err);
        } else {
            dp_set_error(err, errlen, "port %s: AF_PACKET attach failed: %s",
                         port->name, pkt_err);
        }
        return error;
    }
    port->mode = "af_packet";
    return 0;
}

/* AF_XDP creates its socket, umem and XDP program at queue setup, after a
 * successful probe; in best-effort mode a failure there falls back to
 * AF_PACKET as a failed probe does. */
static bool
dp_netdev_system_fallback(struct dp_port *port, const char *why)
{
    const char *mode = dp_option_str(port->options, "xdp-mode");
    bool best_effort = !mode || !*mode || !strcmp(mode, "best-effort");
    if (!best_effort || !port->mode || strcmp(port->mode, "af_xdp")) {
        return false;
    }
    port->xdp_start_failed = true;
    VLOG_WARN(DP_LOG, "port %s: AF_XDP did not start (%s); falling back to "
              "AF_PACKET", port->name, why);
    return true;
}

static void
dp_netdev_system_close(struct dp_port *port)
{
    dp_netdev_remove_device(port);
    port->mode = NULL;
}

const struct dp_netdev_class dp_netdev_system_class = {
    .type = "system",
    .open = dp_netdev_system_open,
    .close = dp_netdev_system_close,
    .fallback = dp_netdev_system_fallback,
};
