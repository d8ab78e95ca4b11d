/*
 * ft_normal.c — the NORMAL action: MAC learning table and VLAN switching.
 *
 * MAC table layout: an rte_hash (lock-free readers, multi-writer insert)
 * maps {mac, vlan} to a position; 'slots[position]' holds the entry's port
 * and last-seen time, read and written with atomics. The port word is 64
 * bits so that every 32-bit port stays usable next to two states, which
 * give each change a single atomic transition:
 *   NONE -> port     an entry is born (counted in n_entries)
 *   port -> port'    a station moved
 *   port -> DYING    main retires the entry, then deletes its key
 *   DYING -> NONE    the key's slot is reclaimed, ready for a new key
 * Readers treat NONE and DYING as unknown. Learners only ever leave NONE
 * or a port, so a learner still holding a retired slot cannot bring it
 * back to life, and the counts stay exact.
 *
 * Slot reuse: with a QSBR variable, a deleted key's slot goes through the
 * hash's RCU defer queue, and our reclaim callback turns DYING into NONE
 * only after every reader has passed a quiescent state, just before the
 * hash hands the slot to a new key. The callback only gets the key's data
 * pointer, so main stores position + 1 there right before deleting.
 * Without QSBR (no concurrent readers) main resets and frees at once.
 */
#include "ft_normal.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_errno.h>
#include <rte_hash.h>
#include <rte_hash_crc.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_memory.h>
#include <rte_rcu_qsbr.h>

#include "lib/log.h"

#define FT_NORMAL_LOG "normal"

#define MAC_PORT_NONE UINT64_MAX       /* slot free or being born */
#define MAC_PORT_DYING (UINT64_MAX - 1) /* retired, awaiting reclaim */
#define MAC_REFRESH_MS 1000            /* steady traffic writes last_seen at
                                          most this often */
#define MAC_HASH_MIN_ENTRIES 64        /* rte_hash wants >= one bucket */
#define MAC_NAME_MAX 32
/* Per-lcore event counters, plus one shared slot for unregistered
 * threads (which can still refresh and move entries). */
#define MAC_STATS_SLOTS (RTE_MAX_LCORE + 1)

struct mac_hash_key {
    uint8_t mac[6];
    uint16_t vlan;                     /* VID, host order */
};
_Static_assert(sizeof(struct mac_hash_key) == 8, "hash key has no padding");

struct mac_slot {
    _Atomic uint64_t port;             /* a port, or MAC_PORT_NONE/DYING */
    _Atomic int64_t last_seen_ms;
};

struct mac_lcore_stats {
    _Atomic uint64_t learned;
    _Atomic uint64_t moved;
    _Atomic uint64_t full;
} __rte_cache_aligned;

struct ft_mac_table {
    struct rte_hash *hash;
    struct mac_slot *slots;            /* indexed by rte_hash position */
    uint32_t n_slots;
    unsigned int max_entries;
    bool deferred_free;                /* QSBR attached to the hash */
    int64_t aging_ms;                  /* main only */
    _Atomic unsigned int n_entries;    /* slots holding a port */

    /* Main-only counters. */
    uint64_t expired;
    uint64_t flushed;
    uint64_t deferred;                 /* deletions through the RCU queue */
    _Atomic uint64_t reclaimed;        /* ...whose slot came back */

    struct mac_lcore_stats *lcore_stats;
    char name[MAC_NAME_MAX];
};

/* rte_hash names must be unique in the process and short enough for the
 * ring names DPDK derives from them; the caller's name is kept for logs. */
static _Atomic unsigned int next_hash_id;

/* ---- VLAN mode names ---------------------------------------------------- */

static const char *const vlan_mode_names[] = {
    [FT_VLAN_TRUNK] = "trunk",
    [FT_VLAN_ACCESS] = "access",
    [FT_VLAN_NATIVE_TAGGED] = "native-tagged",
    [FT_VLAN_NATIVE_UNTAGGED] = "native-untagged",
};

int
ft_vlan_mode_from_string(const char *s, enum ft_vlan_mode *mode)
{
    if (!s) {
        return -EINVAL;
    }
    for (unsigned int i = 0; i < RTE_DIM(vlan_mode_names); i++) {
        if (!strcmp(s, vlan_mode_names[i])) {
            *mode = (enum ft_vlan_mode) i;
            return 0;
        }
    }
    return -EINVAL;
}

const char *
ft_vlan_mode_to_string(enum ft_vlan_mode mode)
{
    if ((unsigned int) mode < RTE_DIM(vlan_mode_names)) {
        return vlan_mode_names[mode];
    }
    return "unknown";
}

/* ---- MAC table: helpers ------------------------------------------------- */

static inline bool
eth_addr_is_multicast(const struct ft_eth_addr *ea)
{
    return ea->ea[0] & 1;               /* broadcast included */
}

static inline void
mac_key_init(struct mac_hash_key *key, const struct ft_eth_addr *mac,
             uint16_t vlan)
{
    memcpy(key->mac, mac->ea, sizeof key->mac);
    key->vlan = vlan;
}

static inline hash_sig_t
mac_key_hash(const struct mac_hash_key *key)
{
    return rte_hash_crc(key, sizeof *key, 0);
}

static inline struct mac_lcore_stats *
mac_my_stats(struct ft_mac_table *table)
{
    unsigned int lcore = rte_lcore_id();

    return &table->lcore_stats[lcore < RTE_MAX_LCORE ? lcore
                                                     : RTE_MAX_LCORE];
}

/* rte_hash's multi-writer mode indexes per-lcore free-slot caches by
 * rte_lcore_id() whenever a slot is taken or given back; an unregistered
 * thread would index out of bounds. */
static inline bool
mac_thread_may_write(void)
{
    return rte_lcore_id() != LCORE_ID_ANY;
}

static inline void
mac_count_event(_Atomic uint64_t *counter)
{
    atomic_fetch_add_explicit(counter, 1, memory_order_relaxed);
}

static inline bool
mac_port_is_live(uint64_t port)
{
    return port < MAC_PORT_DYING;
}

/* Makes retired slot 'pos' ready for a new key. */
static void
mac_slot_reset(struct ft_mac_table *table, uint32_t pos)
{
    atomic_store_explicit(&table->slots[pos].port, MAC_PORT_NONE,
                          memory_order_release);
}

/* RCU reclaim callback: the deleted key's slot is about to be handed out
 * again. Runs on main (in a delete) or on a worker (in an insert that
 * found no free slot). */
static void
mac_slot_reclaimed(void *table_, void *key_data)
{
    struct ft_mac_table *table = table_;
    uintptr_t tag = (uintptr_t) key_data;

    if (tag == 0 || tag > table->n_slots) {
        return;                         /* not tagged by mac_delete() */
    }
    mac_slot_reset(table, (uint32_t) (tag - 1));
    atomic_fetch_add_explicit(&table->reclaimed, 1, memory_order_relaxed);
}

static unsigned int
mac_hash_entries(unsigned int max_entries)
{
    /* Headroom so cuckoo displacement failures cannot refuse an insert
     * before max_entries is reached. */
    unsigned int n = max_entries + max_entries / 4;

    return n < MAC_HASH_MIN_ENTRIES ? MAC_HASH_MIN_ENTRIES : n;
}

/* ---- MAC table: lifecycle ------------------------------------------------ */

struct ft_mac_table *
ft_mac_table_create(const char *name, unsigned int max_entries,
                    struct rte_rcu_qsbr *qsbr)
{
    char hash_name[RTE_HASH_NAMESIZE];
    struct ft_mac_table *table;
    int err;

    if (!max_entries) {
        max_entries = FT_MAC_DEFAULT_MAX;
    }
    if (max_entries > RTE_HASH_ENTRIES_MAX / 2) {
        errno = EINVAL;
        return NULL;
    }

    table = rte_zmalloc("ft_mac_table", sizeof *table, RTE_CACHE_LINE_SIZE);
    if (!table) {
        errno = ENOMEM;
        return NULL;
    }
    snprintf(table->name, sizeof table->name, "%s", name ? name : "");
    table->max_entries = max_entries;
    table->aging_ms = (int64_t) FT_MAC_DEFAULT_AGING_S * 1000;

    snprintf(hash_name, sizeof hash_name, "ftmac%u",
             atomic_fetch_add(&next_hash_id, 1));
    struct rte_hash_parameters params = {
        .name = hash_name,
        .entries = mac_hash_entries(max_entries),
        .key_len = sizeof(struct mac_hash_key),
        .hash_func = rte_hash_crc,
        .hash_func_init_val = 0,
        .socket_id = SOCKET_ID_ANY,
        .extra_flag = RTE_HASH_EXTRA_FLAGS_RW_CONCURRENCY_LF
                      | RTE_HASH_EXTRA_FLAGS_MULTI_WRITER_ADD,
    };
    table->hash = rte_hash_create(&params);
    if (!table->hash) {
        err = rte_errno ? rte_errno : ENOMEM;
        goto error;
    }

    /* Positions run up to max_key_id: more than 'entries', because
     * multi-writer mode adds per-lcore free-slot caches. */
    int32_t max_key_id = rte_hash_max_key_id(table->hash);
    if (max_key_id < 0) {
        err = EINVAL;
        goto error;
    }
    table->n_slots = (uint32_t) max_key_id + 1;
    table->slots = rte_malloc("ft_mac_slots",
                              sizeof *table->slots * table->n_slots,
                              RTE_CACHE_LINE_SIZE);
    table->lcore_stats = rte_zmalloc("ft_mac_stats",
                                     sizeof *table->lcore_stats
                                     * MAC_STATS_SLOTS,
                                     RTE_CACHE_LINE_SIZE);
    if (!table->slots || !table->lcore_stats) {
        err = ENOMEM;
        goto error;
    }
    for (uint32_t i = 0; i < table->n_slots; i++) {
        atomic_init(&table->slots[i].port, MAC_PORT_NONE);
        atomic_init(&table->slots[i].last_seen_ms, 0);
    }

    if (qsbr) {
        struct rte_hash_rcu_config rcu = {
            .v = qsbr,
            .mode = RTE_HASH_QSBR_MODE_DQ,
            .key_data_ptr = table,
            .free_key_data_func = mac_slot_reclaimed,
        };
        if (rte_hash_rcu_qsbr_add(table->hash, &rcu)) {
            err = rte_errno ? rte_errno : EINVAL;
            goto error;
        }
        table->deferred_free = true;
    }
    return table;

error:
    VLOG_ERR(FT_NORMAL_LOG, "MAC table %s: creation failed: %s",
             table->name, rte_strerror(err));
    rte_hash_free(table->hash);
    rte_free(table->slots);
    rte_free(table->lcore_stats);
    rte_free(table);
    errno = err;
    return NULL;
}

void
ft_mac_table_destroy(struct ft_mac_table *table)
{
    if (!table) {
        return;
    }
    /* Frees the defer queue, which reclaims into 'slots': free it first. */
    rte_hash_free(table->hash);
    rte_free(table->slots);
    rte_free(table->lcore_stats);
    rte_free(table);
}

void
ft_mac_table_set_aging(struct ft_mac_table *table, unsigned int seconds)
{
    table->aging_ms = (int64_t) (seconds ? seconds : 1) * 1000;
}

unsigned int
ft_mac_table_get_aging(const struct ft_mac_table *table)
{
    return (unsigned int) (table->aging_ms / 1000);
}

unsigned int
ft_mac_count(const struct ft_mac_table *table)
{
    return atomic_load_explicit(&table->n_entries, memory_order_relaxed);
}

void
ft_mac_table_get_stats(const struct ft_mac_table *table,
                       struct ft_mac_stats *stats)
{
    memset(stats, 0, sizeof *stats);
    for (unsigned int i = 0; i < MAC_STATS_SLOTS; i++) {
        const struct mac_lcore_stats *s = &table->lcore_stats[i];

        stats->learned += atomic_load_explicit(&s->learned,
                                               memory_order_relaxed);
        stats->moved += atomic_load_explicit(&s->moved, memory_order_relaxed);
        stats->full += atomic_load_explicit(&s->full, memory_order_relaxed);
    }
    stats->expired = table->expired;
    stats->flushed = table->flushed;
    stats->n_entries = ft_mac_count(table);
    stats->max_entries = table->max_entries;
    stats->n_deferred = (unsigned int)
        (table->deferred - atomic_load_explicit(&table->reclaimed,
                                                memory_order_relaxed));
}

/* ---- MAC table: fast path ------------------------------------------------- */

/* Adds a key for a new station; returns its position or -errno. */
static int32_t
mac_insert(struct ft_mac_table *table, const struct mac_hash_key *key,
           hash_sig_t sig)
{
    if (!mac_thread_may_write()) {
        return -EINVAL;
    }
    if (atomic_load_explicit(&table->n_entries, memory_order_relaxed)
        >= table->max_entries) {
        mac_count_event(&mac_my_stats(table)->full);
        return -ENOSPC;
    }
    int32_t pos = rte_hash_add_key_with_hash(table->hash, key, sig);
    if (pos == -ENOSPC) {
        mac_count_event(&mac_my_stats(table)->full);
    }
    return pos;
}

/* Makes 'slot' say 'port' as of 'now_ms'. */
static void
mac_slot_learn(struct ft_mac_table *table, struct mac_slot *slot,
               uint32_t port, int64_t now_ms)
{
    uint64_t cur = atomic_load_explicit(&slot->port, memory_order_acquire);

    for (;;) {
        if (cur == MAC_PORT_DYING) {
            return;                     /* being deleted: the next frame
                                           learns into a new slot */
        }
        if (cur == port) {
            int64_t last = atomic_load_explicit(&slot->last_seen_ms,
                                                memory_order_relaxed);
            if (now_ms - last >= MAC_REFRESH_MS) {
                atomic_store_explicit(&slot->last_seen_ms, now_ms,
                                      memory_order_relaxed);
            }
            return;
        }
        /* Time first, so ageing never pairs the new port with the
         * previous owner's timestamp. */
        atomic_store_explicit(&slot->last_seen_ms, now_ms,
                              memory_order_relaxed);
        if (atomic_compare_exchange_weak_explicit(&slot->port, &cur, port,
                                                  memory_order_release,
                                                  memory_order_acquire)) {
            struct mac_lcore_stats *stats = mac_my_stats(table);

            if (cur == MAC_PORT_NONE) {
                atomic_fetch_add_explicit(&table->n_entries, 1,
                                          memory_order_relaxed);
                mac_count_event(&stats->learned);
            } else {
                mac_count_event(&stats->moved);
            }
            return;
        }
    }
}

int
ft_mac_learn(struct ft_mac_table *table, const struct ft_eth_addr *mac,
             uint16_t vlan, uint32_t port, int64_t now_ms)
{
    struct mac_hash_key key;

    if (vlan > FT_VLAN_VID_MASK) {
        return -EINVAL;
    }
    mac_key_init(&key, mac, vlan);
    hash_sig_t sig = mac_key_hash(&key);
    int32_t pos = rte_hash_lookup_with_hash(table->hash, &key, sig);
    if (pos < 0) {
        pos = mac_insert(table, &key, sig);
        if (pos < 0) {
            return pos;
        }
    }
    mac_slot_learn(table, &table->slots[pos], port, now_ms);
    return 0;
}

int64_t
ft_mac_lookup(struct ft_mac_table *table, const struct ft_eth_addr *mac,
              uint16_t vlan)
{
    struct mac_hash_key key;

    if (vlan > FT_VLAN_VID_MASK) {
        return -1;
    }
    mac_key_init(&key, mac, vlan);
    int32_t pos = rte_hash_lookup_with_hash(table->hash, &key,
                                            mac_key_hash(&key));
    if (pos < 0) {
        return -1;
    }
    uint64_t port = atomic_load_explicit(&table->slots[pos].port,
                                         memory_order_acquire);
    return mac_port_is_live(port) ? (int64_t) port : -1;
}

/* ---- MAC table: removal (main thread) ----------------------------------- */

/* Retires the entry in 'slot' if its port is still 'expected'. */
static bool
mac_slot_retire(struct ft_mac_table *table, struct mac_slot *slot,
                uint64_t expected)
{
    if (!atomic_compare_exchange_strong_explicit(&slot->port, &expected,
                                                 MAC_PORT_DYING,
                                                 memory_order_acq_rel,
                                                 memory_order_relaxed)) {
        return false;                   /* moved meanwhile: still alive */
    }
    atomic_fetch_sub_explicit(&table->n_entries, 1, memory_order_relaxed);
    return true;
}

/* Deletes the key of a retired entry at 'pos'. */
static void
mac_delete(struct ft_mac_table *table, const struct mac_hash_key *key,
           int32_t pos)
{
    if (table->deferred_free) {
        /* Tag the key with its position for mac_slot_reclaimed(): on an
         * existing key this only updates its data. */
        rte_hash_add_key_data(table->hash, key,
                              (void *) (uintptr_t) ((uint32_t) pos + 1));
        if (rte_hash_del_key(table->hash, key) >= 0) {
            table->deferred++;
        }
    } else if (rte_hash_del_key(table->hash, key) >= 0) {
        /* No readers besides us: the slot may be reused right away. */
        mac_slot_reset(table, (uint32_t) pos);
        rte_hash_free_key_with_position(table->hash, pos);
    }
}

/* Calls 'fn' for every key in the table, with a copy of the key (the
 * callback may delete it). */
static void
mac_for_each(struct ft_mac_table *table,
             void (*fn)(struct ft_mac_table *, const struct mac_hash_key *,
                        int32_t pos, void *aux),
             void *aux)
{
    const void *key_ptr;
    void *data;
    uint32_t iter = 0;
    int32_t pos;

    while ((pos = rte_hash_iterate(table->hash, &key_ptr, &data, &iter))
           >= 0) {
        struct mac_hash_key key;

        if ((uint32_t) pos >= table->n_slots) {
            continue;
        }
        memcpy(&key, key_ptr, sizeof key);
        fn(table, &key, pos, aux);
    }
}

struct mac_expire_ctx {
    int64_t now_ms;
    unsigned int n;
};

static void
mac_expire_one(struct ft_mac_table *table, const struct mac_hash_key *key,
               int32_t pos, void *ctx_)
{
    struct mac_expire_ctx *ctx = ctx_;
    struct mac_slot *slot = &table->slots[pos];
    uint64_t port = atomic_load_explicit(&slot->port, memory_order_acquire);

    if (!mac_port_is_live(port)) {
        return;                         /* being born or being deleted */
    }
    int64_t last = atomic_load_explicit(&slot->last_seen_ms,
                                        memory_order_relaxed);
    if (ctx->now_ms - last > table->aging_ms
        && mac_slot_retire(table, slot, port)) {
        mac_delete(table, key, pos);
        table->expired++;
        ctx->n++;
    }
}

unsigned int
ft_mac_expire(struct ft_mac_table *table, int64_t now_ms)
{
    struct mac_expire_ctx ctx = { .now_ms = now_ms, .n = 0 };

    if (!mac_thread_may_write()) {
        VLOG_ERR(FT_NORMAL_LOG, "MAC table %s: expiry from an unregistered "
                 "thread refused", table->name);
        return 0;
    }
    mac_for_each(table, mac_expire_one, &ctx);
    return ctx.n;
}

static void
mac_flush_one(struct ft_mac_table *table, const struct mac_hash_key *key,
              int32_t pos, void *port_)
{
    int64_t only_port = *(const int64_t *) port_;
    struct mac_slot *slot = &table->slots[pos];

    for (;;) {
        uint64_t port = atomic_load_explicit(&slot->port,
                                             memory_order_acquire);
        if (!mac_port_is_live(port)
            || (only_port >= 0 && port != (uint64_t) only_port)) {
            return;
        }
        if (mac_slot_retire(table, slot, port)) {
            mac_delete(table, key, pos);
            table->flushed++;
            return;
        }
    }
}

void
ft_mac_flush(struct ft_mac_table *table, int64_t port)
{
    if (!mac_thread_may_write()) {
        VLOG_ERR(FT_NORMAL_LOG, "MAC table %s: flush from an unregistered "
                 "thread refused", table->name);
        return;
    }
    mac_for_each(table, mac_flush_one, &port);
}

struct mac_dump_ctx {
    void (*cb)(const struct ft_mac_entry *, void *aux);
    void *aux;
};

static void
mac_dump_one(struct ft_mac_table *table, const struct mac_hash_key *key,
             int32_t pos, void *ctx_)
{
    const struct mac_dump_ctx *ctx = ctx_;
    const struct mac_slot *slot = &table->slots[pos];
    struct ft_mac_entry entry;

    uint64_t port = atomic_load_explicit(&slot->port, memory_order_acquire);
    if (!mac_port_is_live(port)) {
        return;
    }
    entry.port = (uint32_t) port;
    memcpy(entry.mac.ea, key->mac, sizeof entry.mac.ea);
    entry.vlan = key->vlan;
    entry.last_seen_ms = atomic_load_explicit(&slot->last_seen_ms,
                                              memory_order_relaxed);
    ctx->cb(&entry, ctx->aux);
}

void
ft_mac_table_dump(const struct ft_mac_table *table,
                  void (*cb)(const struct ft_mac_entry *, void *aux),
                  void *aux)
{
    struct mac_dump_ctx ctx = { .cb = cb, .aux = aux };

    /* Iteration does not modify the table; the walker is shared with the
     * deleting walks, hence the cast. */
    mac_for_each((struct ft_mac_table *) table, mac_dump_one, &ctx);
}

/* ---- ports snapshot -------------------------------------------------------- */

static int
normal_port_cmp(const void *a_, const void *b_)
{
    const struct ft_normal_port *a = a_, *b = b_;

    return a->port < b->port ? -1 : a->port > b->port;
}

struct ft_normal_ports *
ft_normal_ports_create(const struct ft_normal_port *src, unsigned int n)
{
    struct ft_normal_ports *ports;

    if (n > FT_NORMAL_MAX_OUTPUTS || (n && !src)) {
        errno = EINVAL;
        return NULL;
    }
    for (unsigned int i = 0; i < n; i++) {
        if ((unsigned int) src[i].mode >= RTE_DIM(vlan_mode_names)
            || src[i].tag > FT_VLAN_VID_MASK) {
            errno = EINVAL;
            return NULL;
        }
    }

    ports = malloc(sizeof *ports + sizeof ports->ports[0] * n);
    if (!ports) {
        errno = ENOMEM;
        return NULL;
    }
    ports->n = n;
    if (n) {
        memcpy(ports->ports, src, sizeof ports->ports[0] * n);
        qsort(ports->ports, n, sizeof ports->ports[0], normal_port_cmp);
    }
    for (unsigned int i = 1; i < n; i++) {
        if (ports->ports[i].port == ports->ports[i - 1].port) {
            free(ports);
            errno = EINVAL;
            return NULL;
        }
    }
    return ports;
}

static const struct ft_normal_port *
normal_port_find(const struct ft_normal_ports *ports, uint32_t handle)
{
    unsigned int lo = 0, hi = ports->n;

    while (lo < hi) {
        unsigned int mid = lo + (hi - lo) / 2;
        uint32_t cur = ports->ports[mid].port;

        if (cur == handle) {
            return &ports->ports[mid];
        }
        if (cur < handle) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return NULL;
}

static inline bool
normal_port_trunks(const struct ft_normal_port *p, uint16_t vlan)
{
    return p->trunks_all || ((p->trunks[vlan / 64] >> (vlan % 64)) & 1);
}

/* Does 'p' carry 'vlan', i.e. may frames of that VLAN leave through it? */
static bool
normal_port_carries(const struct ft_normal_port *p, uint16_t vlan)
{
    switch (p->mode) {
    case FT_VLAN_ACCESS:
        return vlan == p->tag;
    case FT_VLAN_TRUNK:
        return normal_port_trunks(p, vlan);
    case FT_VLAN_NATIVE_TAGGED:
    case FT_VLAN_NATIVE_UNTAGGED:
        return vlan == p->tag || normal_port_trunks(p, vlan);
    }
    return false;
}

/* The VLAN a frame with VID 'vid' (0: untagged or priority-tagged) is in
 * after entering through 'in', or -1 if 'in' does not admit it. */
static int
normal_input_vlan(const struct ft_normal_port *in, uint16_t vid)
{
    switch (in->mode) {
    case FT_VLAN_ACCESS:
        return vid ? -1 : in->tag;
    case FT_VLAN_TRUNK:
        return normal_port_trunks(in, vid) ? vid : -1;
    case FT_VLAN_NATIVE_TAGGED:
    case FT_VLAN_NATIVE_UNTAGGED:
        if (!vid) {
            return in->tag;
        }
        return normal_port_carries(in, vid) ? vid : -1;
    }
    return -1;
}

/* The TCI (host order) a frame of 'vlan' carries out of 'out'; 0 for
 * untagged. 'pcp' is the PCP bits of the input tag. */
static uint16_t
normal_output_tci(const struct ft_normal_port *out, uint16_t vlan,
                  uint16_t pcp)
{
    bool untagged = vlan == 0
                    || out->mode == FT_VLAN_ACCESS
                    || (out->mode == FT_VLAN_NATIVE_UNTAGGED
                        && vlan == out->tag);

    return untagged ? 0 : (uint16_t) (FT_VLAN_PRESENT | pcp | vlan);
}

static inline void
normal_add_output(struct ft_normal_result *result,
                  const struct ft_normal_port *out, uint16_t vlan,
                  uint16_t pcp)
{
    if (result->n_outputs < FT_NORMAL_MAX_OUTPUTS) {
        struct ft_normal_output *o = &result->outputs[result->n_outputs++];

        o->port = out->port;
        o->vlan_tci = normal_output_tci(out, vlan, pcp);
    }
}

void
ft_normal_xlate(const struct ft_normal_ports *ports,
                struct ft_mac_table *mac, const struct ft_key *key,
                uint32_t in_port, int64_t now_ms,
                struct ft_normal_result *result)
{
    ft_normal_xlate_learn(ports, mac, key, in_port, now_ms, true, result);
}

void
ft_normal_xlate_learn(const struct ft_normal_ports *ports,
                      struct ft_mac_table *mac, const struct ft_key *key,
                      uint32_t in_port, int64_t now_ms, bool learn,
                      struct ft_normal_result *result)
{
    result->n_outputs = 0;
    result->dropped = false;
    result->flooded = false;
    result->vlan = 0;

    const struct ft_normal_port *in = normal_port_find(ports, in_port);
    if (!in) {
        result->dropped = true;
        return;
    }

    uint16_t tci = ntohs(key->vlans[0].tci);
    bool tagged = tci & FT_VLAN_PRESENT;
    uint16_t vid = tagged ? tci & FT_VLAN_VID_MASK : 0;
    uint16_t pcp = tagged ? tci & FT_VLAN_PCP_MASK : 0;
    int in_vlan = normal_input_vlan(in, vid);
    if (in_vlan < 0) {
        result->dropped = true;
        return;
    }
    uint16_t vlan = (uint16_t) in_vlan;
    result->vlan = vlan;

    if (learn && !eth_addr_is_multicast(&key->dl_src)) {
        /* A full table refuses (and counts); the frame still goes out. */
        ft_mac_learn(mac, &key->dl_src, vlan, in_port, now_ms);
    }

    if (!eth_addr_is_multicast(&key->dl_dst)) {
        int64_t dst_port = ft_mac_lookup(mac, &key->dl_dst, vlan);

        if (dst_port == (int64_t) in_port) {
            return;                     /* already on its segment */
        }
        if (dst_port >= 0) {
            const struct ft_normal_port *out
                = normal_port_find(ports, (uint32_t) dst_port);
            if (out && normal_port_carries(out, vlan)) {
                normal_add_output(result, out, vlan, pcp);
                return;
            }
        }
    }

    result->flooded = true;
    for (unsigned int i = 0; i < ports->n; i++) {
        const struct ft_normal_port *out = &ports->ports[i];

        if (out != in && normal_port_carries(out, vlan)) {
            normal_add_output(result, out, vlan, pcp);
        }
    }
}
