#!/usr/bin/env bash
# demo.sh — set up, build and run vswitch with a demo topology:
#
#   [netns vsw-demo-a] eth0 10.99.0.1 ──veth── vsw-demo-a ─┐
#                                                          br0 (vswitchd, NORMAL)
#   [netns vsw-demo-b] eth0 10.99.0.2 ──veth── vsw-demo-b ─┘
#
# Both host-side veth ends are `system` ports (AF_XDP, or AF_PACKET where XDP
# is unavailable). The demo pings a→b through the switch, then prints
# `vswitch-ctl show` and `pmd-stats-show`. vswitchd keeps running afterwards
# (socket /var/run/vswitch/vswitchd.ctl) so you can explore with
# build/ctl/vswitch-ctl; `scripts/demo.sh --stop` tears everything down.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build="$top/build"
rundir=/var/run/vswitch
statedir=/var/lib/vswitch-demo
ctl_sock="$rundir/vswitchd.ctl"
ns_a=vsw-demo-a
ns_b=vsw-demo-b

ctl() { "$build/ctl/vswitch-ctl" --unixctl="$ctl_sock" "$@"; }

stop_demo() {
    if [ -f "$rundir/vswitchd-demo.pid" ]; then
        pid=$(cat "$rundir/vswitchd-demo.pid")
        if kill -0 "$pid" 2>/dev/null; then
            kill "$pid" 2>/dev/null || true
            for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            kill -9 "$pid" 2>/dev/null || true
        fi
        rm -f "$rundir/vswitchd-demo.pid"
    fi
    for ns in $ns_a $ns_b; do
        ip link del "$ns" 2>/dev/null || true
        ip netns del "$ns" 2>/dev/null || true
    done
}

case "${1:-}" in
    --stop) stop_demo; echo "demo stopped"; exit 0 ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    "") ;;
    *) echo "demo.sh: unknown argument '$1' (try --help)" >&2; exit 2 ;;
esac

eval "$("$top/scripts/setup.sh" --build-dir "$build" | tail -n 1)"
huge_arg=()
[ "${VSWITCH_NO_HUGE:-0}" = 1 ] && huge_arg=(--no-huge)

stop_demo
mkdir -p "$rundir" "$statedir"
rm -f "$statedir/conf.json"

echo "== creating namespaces $ns_a and $ns_b"
for ns in $ns_a $ns_b; do
    ip netns add "$ns"
    ip link add "$ns" type veth peer name eth0 netns "$ns"
    ip link set "$ns" up
    ip -n "$ns" link set lo up
    ip -n "$ns" link set eth0 up
    # Frames reach the switch complete: no checksum left to an offload engine,
    # no TSO super-frames (as OVS asks of veths on AF_XDP/AF_PACKET ports).
    ip netns exec "$ns" ethtool -K eth0 tx off tso off gso off >/dev/null 2>&1 || true
done
ip -n $ns_a addr add 10.99.0.1/24 dev eth0
ip -n $ns_b addr add 10.99.0.2/24 dev eth0
# No IPv6 chatter (router solicitations, DAD) in the demo's statistics.
for ns in $ns_a $ns_b; do ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1; done

echo "== starting vswitchd"
"$build/ctl/vswitchd" --db "$statedir/conf.json" --unixctl "$ctl_sock" \
    --pidfile "$rundir/vswitchd-demo.pid" --log-file "$statedir/vswitchd.log" \
    --file-prefix vswitch-demo "${huge_arg[@]}" >/dev/null 2>&1 &
for _ in $(seq 100); do [ -S "$ctl_sock" ] && ctl version >/dev/null 2>&1 && break; sleep 0.1; done
if ! ctl version >/dev/null 2>&1; then
    echo "vswitchd did not start; its log:" >&2
    tail -n 30 "$statedir/vswitchd.log" >&2 || true
    exit 1
fi

ctl add-br br0
ctl add-port br0 $ns_a -- type=system
ctl add-port br0 $ns_b -- type=system

echo "== ping 10.99.0.1 -> 10.99.0.2 through br0"
ip netns exec $ns_a ping -c 5 -i 0.2 -W 2 10.99.0.2

echo
echo "== vswitch-ctl show"
ctl show
echo
echo "== vswitch-ctl fdb-show br0"
ctl fdb-show br0
echo
echo "== vswitch-ctl pmd-stats-show"
ctl pmd-stats-show
echo
echo "vswitchd is running (log: $statedir/vswitchd.log)."
echo "Try: $build/ctl/vswitch-ctl --unixctl=$ctl_sock port-stats"
echo "     ip netns exec $ns_a ping 10.99.0.2"
echo "Stop it with: scripts/demo.sh --stop"
