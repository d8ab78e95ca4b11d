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
 *  - trunk (trunks=list, empty = all): tagged frames of allowed VLANs in;
 *    untagged (and priority-tagged) frames belong to VLAN 0 and are
 *    accepted only if VLAN 0 is trunked (it is when the list is empty);
 *    out tagged (VLAN 0 untagged).
 *  - native-tagged (tag=N, trunks): like trunk, untagged in = VLAN N, out
 *    tagged even for N.
 *  - native-untagged (tag=N, trunks): like native-tagged but VLAN N goes out
 *    untagged.
 * Learning is per bridge and per VLAN; flooding of broadcast, multicast and
 * unknown unicast goes to every other port that carries the VLAN. A frame
 * is never sent back to its input port. A tagged frame out keeps the PCP
 * of the tag it came in with. A destination learned on a port that is no
 * longer in the snapshot, or no longer carries the VLAN, is flooded (a
 * stale entry must not black-hole traffic); main flushes a port's entries
 * when it removes or reconfigures it.
 *
 * Thread-safety: create, destroy, expire, flush, set_*, dump, stats and
 * ft_normal_ports_* builders: main thread. ft_mac_learn, ft_mac_lookup,
 * ft_normal_xlate: any thread (PMD workers), concurrently with each other
 * and with main. Every thread that changes the table (learns a new
 * station, expires, flushes, destroys) must be an EAL lcore or registered
 * with rte_thread_register(): rte_hash's multi-writer mode keeps per-lcore
 * free-slot caches. An unregistered thread's new station is not learned
 * (-EINVAL) and its expire/flush is refused; lookups and refreshes work
 * from any thread. Readers of a table created with a QSBR variable must
 * report quiescence on it; destroy requires that no reader still uses the
 * table.
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

/* Parses "access", "trunk", "native-tagged", "native-untagged": 0 or
 * -EINVAL. */
int ft_vlan_mode_from_string(const char *, enum ft_vlan_mode *);
const char *ft_vlan_mode_to_string(enum ft_vlan_mode);

/* ---- MAC table ---------------------------------------------------------- */

struct ft_mac_table;

/* 'qsbr' may be NULL when no other thread reads the table (unit tests):
 * deleted slots are then reused at once. 'name' is for logs only.
 * 'max_entries' 0 means FT_MAC_DEFAULT_MAX. Returns NULL with errno set on
 * failure. */
struct ft_mac_table *ft_mac_table_create(const char *name,
                                         unsigned int max_entries,
                                         struct rte_rcu_qsbr *qsbr);
void ft_mac_table_destroy(struct ft_mac_table *);
/* 0 is taken as 1 s: an entry must at least survive its own second. */
void ft_mac_table_set_aging(struct ft_mac_table *, unsigned int seconds);
unsigned int ft_mac_table_get_aging(const struct ft_mac_table *);

/* Learns that 'mac' in 'vlan' is behind 'port'. Returns 0, or -ENOSPC when
 * the table is full (the frame is still forwarded, by flooding), or -EINVAL
 * for a VLAN above 4095 or a new entry from an unregistered thread.
 * Concurrent learners may overshoot max_entries by at most one entry each.
 * A learn that races the deletion of its entry is dropped (the next frame
 * learns again). */
int ft_mac_learn(struct ft_mac_table *, const struct ft_eth_addr *mac,
                 uint16_t vlan, uint32_t port, int64_t now_ms);
/* Returns the port 'mac' in 'vlan' was learned on, or -1. */
int64_t ft_mac_lookup(struct ft_mac_table *, const struct ft_eth_addr *mac,
                      uint16_t vlan);

/* Removes entries idle for longer than the ageing time; returns count. */
unsigned int ft_mac_expire(struct ft_mac_table *, int64_t now_ms);
/* Removes every entry (port < 0) or those learned on 'port'. */
void ft_mac_flush(struct ft_mac_table *, int64_t port);
/* Live entries (an entry being deleted no longer counts). */
unsigned int ft_mac_count(const struct ft_mac_table *);

/* Event counters since creation, summed over threads on read. */
struct ft_mac_stats {
    uint64_t learned;               /* new (MAC, VLAN) entries */
    uint64_t moved;                 /* entries that changed port */
    uint64_t expired;               /* removed by ageing */
    uint64_t flushed;               /* removed by ft_mac_flush */
    uint64_t full;                  /* learns refused: table full */
    unsigned int n_entries;         /* = ft_mac_count() */
    unsigned int max_entries;
    unsigned int n_deferred;        /* deleted, slot awaiting RCU grace */
};
void ft_mac_table_get_stats(const struct ft_mac_table *,
                            struct ft_mac_stats *);

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
 * RCU grace period once replaced. Returns NULL with errno EINVAL for a
 * duplicate handle, a tag above 4095, an unknown mode or n above
 * FT_NORMAL_MAX_OUTPUTS, ENOMEM when out of memory. */
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

/* No outputs, neither 'dropped' nor 'flooded', means the destination sits
 * on the input port: the frame needs no forwarding. A flood may also have
 * no outputs, when no other port carries the VLAN. */
struct ft_normal_result {
    unsigned int n_outputs;
    bool dropped;                   /* in_port unknown, or input VLAN not
                                       allowed on it */
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
/* The same with learning optional: revalidation and traces translate
 * without teaching the table anything. */
void ft_normal_xlate_learn(const struct ft_normal_ports *ports,
                           struct ft_mac_table *mac, const struct ft_key *key,
                           uint32_t in_port, int64_t now_ms, bool learn,
                           struct ft_normal_result *result);

#endif
