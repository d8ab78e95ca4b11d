#!/usr/bin/env bash
# setup.sh — prepare a Debian 12 host (as root) to build and run vswitch:
# install the apt packages, mount hugetlbfs and bpffs, reserve hugepages
# (or tell the caller to fall back to --no-huge), and build with meson/ninja.
#
# Usage: scripts/setup.sh [--build-dir DIR] [--no-build] [--meson-opts "..."] [--bench]
# --bench also installs what the full benchmark needs (Open vSwitch with
# DPDK as the opponent, matplotlib for the chart).
# Prints "VSWITCH_NO_HUGE=1" on stdout's last line when no hugepages could be
# reserved, so callers can pass --no-huge to vswitchd; "VSWITCH_NO_HUGE=0"
# otherwise.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
build_dir="$top/build"
do_build=1
meson_opts=""
bench=0
while [ $# -gt 0 ]; do
    case "$1" in
        --build-dir) build_dir=$2; shift 2 ;;
        --no-build) do_build=0; shift ;;
        --meson-opts) meson_opts=$2; shift 2 ;;
        --bench) bench=1; shift ;;
        -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
        *) echo "setup.sh: unknown argument '$1'" >&2; exit 2 ;;
    esac
done

log() { echo "setup: $*" >&2; }

if [ "$(id -u)" != 0 ]; then
    echo "setup.sh: must run as root (it installs packages, reserves hugepages and creates network namespaces)" >&2
    exit 1
fi

# --- packages ---------------------------------------------------------------
# Build: DPDK 22.11 and the libraries DESIGN.md names. Test: cmocka, clang's
# libFuzzer runtime, Debian's python3 with pytest/scapy/os-ken, tshark,
# iproute2/ping for namespaces, ovs-ofctl (openvswitch-common: a client
# only, it starts no daemon) as the reference for the ovs-ofctl flow syntax.
# Open vSwitch's switch daemons come with the benchmarks.
packages=(
    build-essential meson ninja-build pkg-config
    dpdk dpdk-dev libdpdk-dev libnuma-dev libpcap-dev
    libbpf-dev libxdp-dev libelf-dev zlib1g-dev
    libssl-dev libunwind-dev libjansson-dev libcmocka-dev
    clang libclang-rt-14-dev
    python3 python3-pytest python3-scapy python3-os-ken
    iproute2 iputils-ping ethtool tcpdump tshark netcat-openbsd procps kmod openssl
    openvswitch-common
)
if [ "$bench" = 1 ]; then
    packages+=(openvswitch-switch-dpdk python3-matplotlib)
fi
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    log "installing: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q >&2
    apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
fi

# --- kernel file systems ----------------------------------------------------
# AF_XDP's libxdp prefers a bpffs; DPDK needs hugetlbfs for hugepages.
if ! mountpoint -q /sys/fs/bpf 2>/dev/null; then
    mount -t bpf bpf /sys/fs/bpf 2>/dev/null || log "no bpffs (AF_XDP still works without the dispatcher)"
fi
mkdir -p /dev/hugepages
if ! mount | grep -q "^[^ ]* on /dev/hugepages type hugetlbfs"; then
    mount -t hugetlbfs nodev /dev/hugepages 2>/dev/null || true
fi

# --- hugepages ---------------------------------------------------------------
# 512 x 2 MiB = 1 GiB: the daemon's default mempool plus test daemons and
# unit tests running side by side. Existing reservations are kept.
want=${VSWITCH_HUGEPAGES:-512}
hp=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
no_huge=1
if [ -w "$hp" ]; then
    have=$(cat "$hp")
    if [ "$have" -lt "$want" ]; then
        echo "$want" > "$hp" 2>/dev/null || true
        have=$(cat "$hp")
    fi
    if [ "$have" -gt 0 ] && mount | grep -q "on /dev/hugepages type hugetlbfs"; then
        no_huge=0
        log "hugepages: $have x 2 MiB reserved"
    fi
fi
if [ "$no_huge" = 1 ]; then
    log "WARNING: no hugepages could be reserved; vswitchd will run with --no-huge (slower, fine for tests and the demo)"
fi

# --- build -------------------------------------------------------------------
if [ "$do_build" = 1 ]; then
    if [ ! -f "$build_dir/build.ninja" ]; then
        # shellcheck disable=SC2086
        meson setup "$build_dir" "$top" $meson_opts >&2
    fi
    ninja -C "$build_dir" >&2
fi

echo "VSWITCH_NO_HUGE=$no_huge"
