/*
 * fake_datapath.c — an in-memory stand-in for datapath.h, for testing the
 * ctl module (command handlers, daemon wiring) without DPDK.
 *
 * Models just enough: bridges and ports by name, port options, dummy
 * ports as a loopback queue (inject -> capture returns the same frames),
 * devargs "fail" making dp_port_add fail, counters. The OpenFlow hooks
 * keep what they are given: the attached pipeline, the callbacks, port
 * config bits, packet-outs (counted per bridge). A generation sync is
 * never immediate: it completes at the next dp_run_revalidator(), as the
 * real revalidator does after a round, so barriers wait for it. Megaflows
 * are synthesised, one per port that received packets. Not thread-safe;
 * main thread only, like the real API.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datapath/datapath.h"

#define FAKE_MAX_BRIDGES 32
#define FAKE_QUEUE 256

struct dp_bridge {
    char name[64];
    bool used;
    unsigned int aging, table_size;
    struct ft_pipeline *pipeline;
    dp_generation_cb *gen_cb;
    void *gen_aux;
    dp_packet_in_cb *pin_cb;
    void *pin_aux;
    uint64_t gen_wanted;        /* sync asked for, not yet applied */
    bool gen_pending;
    unsigned int n_packet_outs;
};

struct fake_port {
    bool used;
    char name[64];
    char type[16];
    struct dp_bridge *br;
    uint32_t ofport;
    json_t *options;
    struct dp_vlan_config vlan;
    struct dp_port_stats stats;
    uint32_t of_config;
    uint8_t *queue[FAKE_QUEUE];
    size_t qlen[FAKE_QUEUE];
    unsigned int n_queued;
};

static struct dp_bridge bridges[FAKE_MAX_BRIDGES];
static struct fake_port ports[DP_MAX_PORTS];
static unsigned int pmd_max_sleep;

int
dp_init(const struct dp_init_args *args, char *err, size_t errlen)
{
    if (args->eal_extra && strstr(args->eal_extra, "--fail")) {
        snprintf(err, errlen, "EAL initialisation failed (fake)");
        return -EINVAL;
    }
    return 0;
}

void
dp_fini(void)
{
    for (size_t i = 0; i < DP_MAX_PORTS; i++) {
        if (ports[i].used) {
            dp_port_del(ports[i].name);
        }
    }
    memset(bridges, 0, sizeof bridges);
}

json_t *
dp_memory_info(void)
{
    return json_pack("{s:b, s:i, s:i, s:i, s:i, s:i}", "hugepages", 0,
                     "hugepage_size_kb", 2048, "hugepages_used_mb", 0,
                     "mbufs", 16384, "mbuf_size", 2176, "mempool_mb", 34);
}

int
dp_bridge_add(const char *name, struct dp_bridge **out)
{
    if (dp_bridge_find(name)) {
        return -EEXIST;
    }
    for (size_t i = 0; i < FAKE_MAX_BRIDGES; i++) {
        if (!bridges[i].used) {
            bridges[i].used = true;
            snprintf(bridges[i].name, sizeof bridges[i].name, "%s", name);
            *out = &bridges[i];
            return 0;
        }
    }
    return -ENOSPC;
}

void
dp_bridge_del(struct dp_bridge *br)
{
    for (size_t i = 0; i < DP_MAX_PORTS; i++) {
        if (ports[i].used && ports[i].br == br) {
            dp_port_del(ports[i].name);
        }
    }
    memset(br, 0, sizeof *br);
}

struct dp_bridge *
dp_bridge_find(const char *name)
{
    for (size_t i = 0; i < FAKE_MAX_BRIDGES; i++) {
        if (bridges[i].used && !strcmp(bridges[i].name, name)) {
            return &bridges[i];
        }
    }
    return NULL;
}

const char *
dp_bridge_name(const struct dp_bridge *br)
{
    return br->name;
}

void
dp_bridge_set_mac_aging(struct dp_bridge *br, unsigned int seconds)
{
    br->aging = seconds;
}

void
dp_bridge_set_mac_table_size(struct dp_bridge *br, unsigned int entries)
{
    br->table_size = entries;
}

json_t *
dp_bridge_fdb_dump(struct dp_bridge *br)
{
    (void) br;
    return json_pack("[{s:s, s:i, s:i, s:s, s:i}]", "port", "p1", "ofport",
                     1, "vlan", 0, "mac", "00:11:22:33:44:55", "age", 3);
}

void
dp_bridge_fdb_flush(struct dp_bridge *br)
{
    (void) br;
}

void
dp_run_periodic(int64_t now_ms)
{
    (void) now_ms;
}

static struct fake_port *
port_find(const char *name)
{
    for (size_t i = 0; i < DP_MAX_PORTS; i++) {
        if (ports[i].used && !strcmp(ports[i].name, name)) {
            return &ports[i];
        }
    }
    return NULL;
}

int
dp_port_add(struct dp_bridge *br, const struct dp_port_spec *spec,
            char *err, size_t errlen)
{
    if (port_find(spec->name)) {
        snprintf(err, errlen, "port %s exists", spec->name);
        return -EEXIST;
    }
    const char *devargs = json_string_value(json_object_get(spec->options,
                                                            "dpdk-devargs"));
    if (devargs && !strcmp(devargs, "fail")) {
        snprintf(err, errlen, "cannot probe devargs 'fail': No such device "
                 "(fake)");
        return -ENODEV;
    }
    for (size_t i = 0; i < DP_MAX_PORTS; i++) {
        struct fake_port *p = &ports[i];
        if (!p->used) {
            memset(p, 0, sizeof *p);
            p->used = true;
            snprintf(p->name, sizeof p->name, "%s", spec->name);
            snprintf(p->type, sizeof p->type, "%s", spec->type);
            p->br = br;
            p->ofport = spec->ofport;
            p->options = json_deep_copy(spec->options);
            p->vlan = spec->vlan;
            return 0;
        }
    }
    snprintf(err, errlen, "too many ports");
    return -ENOSPC;
}

int
dp_port_del(const char *name)
{
    struct fake_port *p = port_find(name);
    if (!p) {
        return -ENOENT;
    }
    for (unsigned int i = 0; i < p->n_queued; i++) {
        free(p->queue[i]);
    }
    json_decref(p->options);
    memset(p, 0, sizeof *p);
    return 0;
}

int
dp_port_reconfigure(const char *name, json_t *options,
                    const struct dp_vlan_config *vlan, char *err,
                    size_t errlen)
{
    struct fake_port *p = port_find(name);
    if (!p) {
        snprintf(err, errlen, "no port %s", name);
        return -ENOENT;
    }
    const char *n_rxq = json_string_value(json_object_get(options, "n_rxq"));
    if (n_rxq && atoi(n_rxq) <= 0) {
        snprintf(err, errlen, "bad n_rxq '%s'", n_rxq);
        return -EINVAL;
    }
    json_decref(p->options);
    p->options = json_deep_copy(options);
    p->vlan = *vlan;
    return 0;
}

bool
dp_port_exists(const char *name)
{
    return port_find(name) != NULL;
}

int
dp_port_get_stats(const char *name, struct dp_port_stats *stats)
{
    struct fake_port *p = port_find(name);
    if (!p) {
        return -ENOENT;
    }
    *stats = p->stats;
    return 0;
}

json_t *
dp_port_info(const char *name)
{
    struct fake_port *p = port_find(name);
    if (!p) {
        return NULL;
    }
    return json_pack("{s:s, s:s, s:s, s:i, s:s, s:i, s:s, s:i}",
                     "name", p->name, "type", p->type, "bridge", p->br->name,
                     "ofport", (int) p->ofport, "mac", "02:00:00:00:00:01",
                     "mtu", 1500, "link", "up", "n_rxq", 1);
}

int
dp_dummy_inject(const char *name, const uint8_t *frame, size_t len)
{
    struct fake_port *p = port_find(name);
    if (!p) {
        return -ENOENT;
    }
    if (p->n_queued >= FAKE_QUEUE) {
        return -ENOBUFS;
    }
    p->queue[p->n_queued] = malloc(len);
    memcpy(p->queue[p->n_queued], frame, len);
    p->qlen[p->n_queued++] = len;
    p->stats.rx_packets++;
    p->stats.rx_bytes += len;
    return 0;
}

int
dp_dummy_capture(const char *name, unsigned int max,
                 void (*cb)(const uint8_t *, size_t, void *), void *aux)
{
    struct fake_port *p = port_find(name);
    if (!p) {
        return -ENOENT;
    }
    unsigned int n = 0;
    while (n < max && n < p->n_queued) {
        cb(p->queue[n], p->qlen[n], aux);
        free(p->queue[n]);
        n++;
    }
    memmove(p->queue, p->queue + n, (p->n_queued - n) * sizeof p->queue[0]);
    memmove(p->qlen, p->qlen + n, (p->n_queued - n) * sizeof p->qlen[0]);
    p->n_queued -= n;
    return (int) n;
}

/* Cores of the running workers (dp_pmd_stats reports them). */
static unsigned long long pmd_mask = 0x2;

int
dp_set_pmd_cpu_mask(const char *mask, char *err, size_t errlen)
{
    if (!strcmp(mask, "0x100000")) {
        snprintf(err, errlen, "CPU 20 is not available");
        return -EINVAL;
    }
    unsigned long long m = strtoull(mask, NULL, 16);
    if (m) {
        pmd_mask = m;
    }
    return 0;
}

void
dp_set_pmd_max_sleep(unsigned int usec)
{
    pmd_max_sleep = usec;
}

int
dp_set_rxq_assign(const char *mode, char *err, size_t errlen)
{
    if (strcmp(mode, "roundrobin") && strcmp(mode, "cycles")) {
        snprintf(err, errlen, "bad mode");
        return -EINVAL;
    }
    return 0;
}

void
dp_pmd_rebalance(void)
{
}

json_t *
dp_pmd_stats(void)
{
    json_t *array = json_array();
    for (int core = 0; core < 64; core++) {
        if (!(pmd_mask & (1ULL << core))) {
            continue;
        }
        json_array_append_new(array, json_pack(
            "{s:i, s:i, s:i, s:i, s:f, s:i, s:i, s:i, s:i, s:f, s:f, s:i, "
            "s:i}", "core", core, "numa", 0, "packets", 100,
            "rx_batches", 10, "avg_batch", 10.0, "tx_packets", 100,
            "dropped", 0, "busy_cycles", 1000, "idle_cycles", 9000,
            "busy_pct", 10.0, "cycles_per_pkt", 10.0, "sleep_us", 0,
            "rxqs", 1));
    }
    return array;
}

void
dp_pmd_stats_clear(void)
{
}

json_t *
dp_pmd_rxq_show(void)
{
    return json_pack("[{s:i, s:b, s:[{s:s, s:i, s:b, s:f}]}]", "core", 1,
                     "isolated", 0, "rxqs", "port", "p1", "queue", 0,
                     "enabled", 1, "usage_pct", 12.0);
}

/* ---- OpenFlow pipeline and the caches ------------------------------------ */

struct rte_rcu_qsbr *
dp_qsbr(void)
{
    return NULL;                /* no workers: single-threaded pipelines */
}

void
dp_bridge_set_pipeline(struct dp_bridge *br, struct ft_pipeline *pipeline)
{
    br->pipeline = pipeline;
}

void
dp_set_flow_config(const struct dp_flow_config *cfg)
{
    (void) cfg;
}

void
dp_get_flow_config(struct dp_flow_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
}

bool
dp_bridge_sync_generation(struct dp_bridge *br, uint64_t generation)
{
    if (!br->gen_pending || generation > br->gen_wanted) {
        br->gen_wanted = generation;
    }
    br->gen_pending = true;
    return false;
}

void
dp_bridge_set_generation_cb(struct dp_bridge *br, dp_generation_cb *cb,
                            void *aux)
{
    br->gen_cb = cb;
    br->gen_aux = aux;
}

void
dp_bridge_set_packet_in_cb(struct dp_bridge *br, dp_packet_in_cb *cb,
                           void *aux)
{
    br->pin_cb = cb;
    br->pin_aux = aux;
}

void
dp_bridge_set_port_status_cb(struct dp_bridge *br, dp_port_status_cb *cb,
                             void *aux)
{
    /* The fake's links never change. */
    (void) br;
    (void) cb;
    (void) aux;
}

int
dp_run_upcalls(unsigned int budget)
{
    (void) budget;
    return 10;
}

int64_t
dp_run_revalidator(int64_t now_ms)
{
    for (size_t i = 0; i < FAKE_MAX_BRIDGES; i++) {
        struct dp_bridge *br = &bridges[i];
        if (br->used && br->gen_pending) {
            br->gen_pending = false;
            if (br->gen_cb) {
                br->gen_cb(br->gen_aux, br->gen_wanted);
            }
        }
    }
    return now_ms;              /* every main-loop pass */
}

int
dp_bridge_packet_out(struct dp_bridge *br, const void *packet, size_t len,
                     uint32_t in_port, const struct ft_dpact *acts,
                     unsigned int n_acts)
{
    (void) packet; (void) len; (void) in_port; (void) acts; (void) n_acts;
    br->n_packet_outs++;
    return 0;
}

int
dp_port_set_of_config(const char *name, uint32_t config, uint32_t mask)
{
    struct fake_port *p = port_find(name);
    if (!p) {
        return -ENOENT;
    }
    p->of_config = (p->of_config & ~mask) | (config & mask);
    return 0;
}

uint32_t
dp_port_get_of_config(const char *name)
{
    struct fake_port *p = port_find(name);
    return p ? p->of_config : 0;
}

json_t *
dp_bridge_dump_dp_flows(struct dp_bridge *br)
{
    json_t *flows = json_array();
    for (size_t i = 0; i < DP_MAX_PORTS; i++) {
        struct fake_port *p = &ports[i];
        if (p->used && p->br == br && p->stats.rx_packets) {
            char match[32];
            snprintf(match, sizeof match, "in_port=%u", p->ofport);
            json_array_append_new(flows, json_pack(
                "{s:i, s:i, s:s, s:s, s:I, s:I, s:i, s:i}", "pmd", 1,
                "in_port", (int) p->ofport, "match", match, "actions",
                "drop", "packets", (json_int_t) p->stats.rx_packets,
                "bytes", (json_int_t) p->stats.rx_bytes, "used_ms", 5,
                "age_ms", 100));
        }
    }
    return flows;
}

json_t *
dp_pmd_perf(void)
{
    return json_pack("[{s:i, s:i, s:i, s:i, s:i, s:i, s:i, s:f, s:f, s:f, "
                     "s:f, s:i, s:i, s:i, s:i, s:[iii], s:f, s:i}]", "core",
                     1, "packets", 1000, "cycles_per_pkt", 250,
                     "simple_hits", 0, "emc_hits", 900,
                     "megaflow_hits", 90, "misses", 10, "simple_hit_pct",
                     0.0, "emc_hit_pct", 90.0,
                     "megaflow_hit_pct", 9.0, "subtable_lookups_per_hit",
                     1.5, "upcalls_handled", 10, "upcalls_queued", 0,
                     "upcalls_dropped", 0, "cycles_per_miss", 20000,
                     "miss_cycles_hist", 0, 4, 6, "idle_pct", 97.5,
                     "megaflows", 3);
}

/* Test hook: the packet-outs bridge 'name' executed. */
unsigned int fake_dp_packet_outs(const char *name);
unsigned int
fake_dp_packet_outs(const char *name)
{
    struct dp_bridge *br = dp_bridge_find(name);
    return br ? br->n_packet_outs : 0;
}
