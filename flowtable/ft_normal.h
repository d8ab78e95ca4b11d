/*
 * ft_normal.h — the OpenFlow NORMAL action: a MAC-learning L2 switch with
 * VLANs, as Open vSwitch's NORMAL behaves.
 *
 * Pieces:
 *  - struct ft_mac_table: learned (MAC, VLAN) -> port, one per bridge, with
 *    ageing (default 300 s) and a size bound. Built on rte_hash in lock-free
 *    read/write-concurrency mode: PMD workers look up and learn without
 *    locks on the fast path (a new MAC takes the hash's writer lock; an
 *    existing one only refreshes its timestamp, at most once a second, so
 *    steady traffic writes nothing shared). Entries are removed only by the
 *    main thread (ageing, flush); their slots are reclaimed after an RCU
 *    grace period on the QSBR variable given at creation.
 *  - struct ft_normal_ports: the bridge's ports and their VLAN config, an
 *    immutable snapshot the main thread builds and publishes (RCU); workers
 *    read it.
 *  - ft_normal_xlate(): for one packet, learn its source and produce the
 *    outputs (port + VLAN to put on the wire), i.e. the datapath actions of
 *    NORMAL. The same function is what OpenFlow xlate calls for
 *    OFPP_NORMAL once the pipeline lands.
 *
 * VLAN semantics (Open vSwitch's Port table):
 *  - access (tag=N): untagged frames in, belong to VLAN N; tagged frames in
 *    are dropped (except priority-tagged VID 0); frames out go untagged.
 *  - trunk (trunks=list, empty = all): only tagged frames of allowed VLANs
 *    in; untagged frames in belong to VLAN 0; out tagged (VLAN 0 untagged).
 *  - native-tagged (tag=N, trunks): like trunk, untagged in = VLAN N, out
 *    tagged even for N.
 *  - native-untagged (tag=N, trunks): like native-tagged but VLAN N goes out
 *    untagged.
 * Learning is per bridge and per VLAN; flooding of broadcast, multicast and
 * unknown unicast goes to every other port that carries the VLAN. A frame
 * is never sent back to its input port.
 *
 * Thread-safety: create/destroy/expire/flush/set_* and ft_normal_ports_*
 * builders: main thread. ft_mac_learn, ft_mac_lookup, ft_normal_xlate:
 * any thread (PMD workers), concurrently with each other and with main.
 */
#ifndef VSWITCH_FLOWTABLE_FT_NORMAL_H
#define VSWITCH_FLOWTABLE_FT_NORMAL_H

#include <stdbool.h>
#include <stdint.h>

#include "ft_key.h"

struct rte_rcu_qsbr;

#define FT_MAC_DEFAULT_AGING_S 300     /* as Open vSwitch and 802.1D */
#define FT_MAC_DEFAULT_MAX 8192        /* entries per bridge */
#define FT_NORMAL_MAX_OUTPUTS 256      /* flood fan-out bound = DP_MAX_PORTS */

enum ft_vlan_mode {
    FT_VLAN_TRUNK,               /* default when no tag is set */
    FT_VLAN_ACCESS,              /* default when a tag is set */
    FT_VLAN_NATIVE_TAGGED,
    FT_VLAN_NATIVE_UNTAGGED,
};

/* Parses "access", "trunk", "native-tagged", "native-untagged". */
int ft_vlan_mode_from_string(const char *, enum ft_vlan_mode *);
const char *ft_vlan_mode_to_string(enum ft_vlan_mode);

/* ---- MAC table ---------------------------------------------------------- */

struct ft_mac_table;

/* 'qsbr' may be NULL when no other thread reads the table (unit tests). */
struct ft_mac_table *ft_mac_table_create(const char *name,
                                         unsigned int max_entries,
                                         struct rte_rcu_qsbr *qsbr);
void ft_mac_table_destroy(struct ft_mac_table *);
void ft_mac_table_set_aging(struct ft_mac_table *, unsigned int seconds);
unsigned int ft_mac_table_get_aging(const struct ft_mac_table *);

/* Learns that 'mac' in 'vlan' is behind 'port'. Returns 0, or -ENOSPC when
 * the table is full (the frame is still forwarded, by flooding). */
int ft_mac_learn(struct ft_mac_table *, const struct ft_eth_addr *mac,
                 uint16_t vlan, uint32_t port, int64_t now_ms);
/* Returns the port 'mac' in 'vlan' was learned on, or -1. */
int64_t ft_mac_lookup(struct ft_mac_table *, const struct ft_eth_addr *mac,
                      uint16_t vlan);

/* Removes entries idle for longer than the ageing time; returns count. */
unsigned int ft_mac_expire(struct ft_mac_table *, int64_t now_ms);
/* Removes every entry (port < 0) or those learned on 'port'. */
void ft_mac_flush(struct ft_mac_table *, int64_t port);
unsigned int ft_mac_count(const struct ft_mac_table *);

struct ft_mac_entry {
    struct ft_eth_addr mac;
    uint16_t vlan;
    uint32_t port;
    int64_t last_seen_ms;
};
/* Calls 'cb' for every entry (main thread). */
void ft_mac_table_dump(const struct ft_mac_table *,
                       void (*cb)(const struct ft_mac_entry *, void *aux),
                       void *aux);

/* ---- ports snapshot ----------------------------------------------------- */

struct ft_normal_port {
    uint32_t port;                  /* caller's port handle */
    enum ft_vlan_mode mode;
    uint16_t tag;                   /* access / native VLAN */
    bool trunks_all;                /* trunks list empty = every VLAN */
    uint64_t trunks[4096 / 64];
};

struct ft_normal_ports {
    unsigned int n;
    struct ft_normal_port ports[];  /* sorted by 'port' */
};

/* Allocates a snapshot of 'n' ports (copied and sorted). free() it after an
 * RCU grace period once replaced. */
struct ft_normal_ports *ft_normal_ports_create(const struct ft_normal_port *,
                                               unsigned int n);

/* ---- the action --------------------------------------------------------- */

/* One output of NORMAL: the port and the VLAN header it must carry. */
struct ft_normal_output {
    uint32_t port;
    uint16_t vlan_tci;              /* host order; FT_VLAN_PRESENT set =
                                       send tagged with this TCI (VID + PCP),
                                       0 = send untagged */
};

struct ft_normal_result {
    unsigned int n_outputs;
    bool dropped;                   /* input VLAN not allowed on in_port */
    bool flooded;
    uint16_t vlan;                  /* VLAN the frame was switched in */
    struct ft_normal_output outputs[FT_NORMAL_MAX_OUTPUTS];
};

/* Switches one frame (parsed into 'key') received on 'in_port': learns its
 * source, then finds where it goes. Frames from ports not in 'ports' are
 * dropped. */
void ft_normal_xlate(const struct ft_normal_ports *ports,
                     struct ft_mac_table *mac, const struct ft_key *key,
                     uint32_t in_port, int64_t now_ms,
                     struct ft_normal_result *result);

#endif
