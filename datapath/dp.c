/*
 * dp.c — datapath bring-up (EAL, memory plan, mbuf pool, RCU), bridges and
 * the periodic housekeeping.
 *
 * Threads: every function here runs on the main thread. Workers only read
 * what this file publishes (bridge MAC table and NORMAL port snapshot
 * pointers) under RCU.
 */
#include "dp_private.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ether.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>
#include <rte_mbuf_pool_ops.h>
#include <rte_mempool.h>
#include <rte_memory.h>
#include <rte_rcu_qsbr.h>

#include "flowtable/ft_pipeline.h"
#include "lib/timeval.h"

struct dp_state dp_state;

/* Enough for a few ports with 1024-descriptor rings on every queue plus the
 * mbufs in flight in per-core caches; OVS sizes its pools similarly. */
#define DP_DEFAULT_MBUFS 16384
#define DP_MBUF_CACHE 256           /* per-lcore mempool cache */
/* Memory beyond the mempool: rte_hash MAC tables, rings, ethdev queues. */
#define DP_MEM_OVERHEAD_MB 64
#define DP_MAX_EAL_ARGS 64

/* ---- small helpers shared by the datapath files --------------------------- */

void
dp_set_error(char *err, size_t errlen, const char *fmt, ...)
{
    char buf[DP_ERR_LEN];
    va_list args;
    va_start(args, fmt);
    vsnprintf(buf, sizeof buf, fmt, args);
    va_end(args);
    if (err && errlen) {
        snprintf(err, errlen, "%s", buf);
    }
    VLOG_WARN(DP_LOG, "%s", buf);
}

const char *
dp_option_str(const json_t *options, const char *key)
{
    if (!options || !json_is_object(options)) {
        return NULL;
    }
    const json_t *v = json_object_get(options, key);
    return v && json_is_string(v) ? json_string_value(v) : NULL;
}

int
dp_option_uint(const json_t *options, const char *key, unsigned int dflt,
               unsigned int max, unsigned int *out, char *err, size_t errlen)
{
    *out = dflt;
    if (!options || !json_is_object(options)) {
        return 0;
    }
    const json_t *v = json_object_get(options, key);
    if (!v) {
        return 0;
    }
    unsigned long long value;
    if (json_is_integer(v) && json_integer_value(v) >= 0) {
        value = (unsigned long long) json_integer_value(v);
    } else if (json_is_string(v)) {
        const char *s = json_string_value(v);
        char *end;
        errno = 0;
        value = strtoull(s, &end, 0);
        if (errno || end == s || *end || *s == '-') {
            dp_set_error(err, errlen, "option %s: '%s' is not a number",
                         key, s);
            return -EINVAL;
        }
    } else {
        dp_set_error(err, errlen, "option %s must be a number", key);
        return -EINVAL;
    }
    if (value > max) {
        dp_set_error(err, errlen, "option %s: %llu is above the limit %u",
                     key, value, max);
        return -EINVAL;
    }
    *out = (unsigned int) value;
    return 0;
}

void
dp_rcu_synchronize(void)
{
    if (dp_state.qsbr) {
        rte_rcu_qsbr_synchronize(dp_state.qsbr, RTE_QSBR_THRID_INVALID);
    }
}

/* ---- EAL bring-up --------------------------------------------------------- */

/* Free hugepage memory in MiB over every page size, and the default page
 * size; 0 when hugetlbfs is not mounted (EAL could not use the pages). */
static unsigned int
dp_free_hugepage_mb(unsigned int *page_kb)
{
    *page_kb = 0;
    FILE *mounts = fopen("/proc/mounts", "r");
    bool mounted = false;
    if (mounts) {
        char line[512];
        while (fgets(line, sizeof line, mounts)) {
            if (strstr(line, " hugetlbfs ")) {
                mounted = true;
            }
        }
        fclose(mounts);
    }

    glob_t g;
    unsigned long long free_kb = 0;
    if (!glob("/sys/kernel/mm/hugepages/hugepages-*kB", 0, NULL, &g)) {
        for (size_t i = 0; i < g.gl_pathc; i++) {
            unsigned int kb = 0;
            if (sscanf(strrchr(g.gl_pathv[i], '/') + 1,
                       "hugepages-%ukB", &kb) != 1) {
                continue;
            }
            char path[PATH_MAX];
            snprintf(path, sizeof path, "%s/free_hugepages", g.gl_pathv[i]);
            FILE *f = fopen(path, "r");
            unsigned long long n = 0;
            if (f) {
                if (fscanf(f, "%llu", &n) != 1) {
                    n = 0;
                }
                fclose(f);
            }
            if (n && (!*page_kb || kb < *page_kb)) {
                *page_kb = kb;
            }
            free_kb += n * kb;
        }
        globfree(&g);
    }
    return mounted ? (unsigned int) (free_kb / 1024) : 0;
}

/* First and last CPU this process may run on, and how many. */
static void
dp_allowed_cpus(unsigned int *first, unsigned int *last, unsigned int *n)
{
    cpu_set_t set;
    *first = 0;
    *last = 0;
    *n = 1;
    CPU_ZERO(&dp_state.allowed_cpus);
    CPU_SET(0, &dp_state.allowed_cpus);
    if (sched_getaffinity(0, sizeof set, &set)) {
        return;
    }
    dp_state.allowed_cpus = set;
    bool seen = false;
    *n = 0;
    for (unsigned int cpu = 0; cpu < CPU_SETSIZE; cpu++) {
        if (CPU_ISSET(cpu, &set)) {
            if (!seen) {
                *first = cpu;
                seen = true;
            }
            *last = cpu;
            (*n)++;
        }
    }
    if (!*n) {
        *n = 1;
    }
}

static int
dp_memseg_sum(const struct rte_memseg_list *msl UNUSED,
              const struct rte_memseg *ms, void *arg)
{
    *(uint64_t *) arg += ms->len;
    return 0;
}

static unsigned int
dp_hugepages_used_mb(void)
{
    if (!dp_state.hugepages) {
        return 0;
    }
    uint64_t bytes = 0;
    rte_memseg_walk(dp_memseg_sum, &bytes);
    return (unsigned int) (bytes >> 20);
}

/* Is the EAL runtime config of 'prefix' locked by a live process? EAL
 * would fail on it without setting rte_errno; name the cause instead. */
static bool
dp_prefix_in_use(const char *prefix)
{
    char path[PATH_MAX];
    const char *xdg = getenv("XDG_RUNTIME_DIR");
    if (getuid() == 0 || !xdg) {
        snprintf(path, sizeof path, "/var/run/dpdk/%s/config", prefix);
    } else {
        snprintf(path, sizeof path, "%s/dpdk/%s/config", xdg, prefix);
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        return false;
    }
    struct flock lock = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
    bool busy = !fcntl(fd, F_GETLK, &lock) && lock.l_type != F_UNLCK;
    close(fd);
    return busy;
}

/* The packet buffer pool. Without hugepages EAL memory is made of 4 kB
 * pages and a default pool would keep every mbuf inside one page (one
 * 2.3 kB mbuf per 4 kB page: 1.7x the memory, and large pools fail). The
 * pages are virtually contiguous (IOVA as VA), so let objects straddle
 * them; no-huge mode has no DMA-capable devices anyway. */
static struct rte_mempool *
dp_mbuf_pool_create(unsigned int n_mbufs, bool no_huge)
{
    int socket = (int) rte_socket_id();
    if (!no_huge) {
        return rte_pktmbuf_pool_create("dp_mbufs", n_mbufs, DP_MBUF_CACHE, 0,
                                       RTE_MBUF_DEFAULT_BUF_SIZE, socket);
    }
    struct rte_pktmbuf_pool_private priv = {
        .mbuf_data_room_size = RTE_MBUF_DEFAULT_BUF_SIZE,
        .mbuf_priv_size = 0,
    };
    struct rte_mempool *mp = rte_mempool_create_empty(
        "dp_mbufs", n_mbufs, sizeof(struct rte_mbuf) + RTE_MBUF_DEFAULT_BUF_SIZE,
        DP_MBUF_CACHE, sizeof priv, socket, RTE_MEMPOOL_F_NO_IOVA_CONTIG);
    if (!mp) {
        return NULL;
    }
    int ret = rte_mempool_set_ops_byname(mp, rte_mbuf_best_mempool_ops(),
                                         NULL);
    if (!ret) {
        rte_pktmbuf_pool_init(mp, &priv);
        ret = rte_mempool_populate_default(mp);
    }
    if (ret < 0) {
        rte_mempool_free(mp);
        rte_errno = -ret;
        return NULL;
    }
    rte_mempool_obj_iter(mp, rte_pktmbuf_init, NULL);
    return mp;
}

int
dp_init(const struct dp_init_args *args, char *err, size_t errlen)
{
    if (dp_state.initialized) {
        dp_set_error(err, errlen, "datapath already initialized");
        return -EALREADY;
    }

    unsigned int first_cpu, last_cpu, n_cpus;
    dp_allowed_cpus(&first_cpu, &last_cpu, &n_cpus);
    dp_state.main_core = first_cpu;
    dp_state.n_cpus_allowed = n_cpus;

    /* Memory plan: the pool size decides the rest. */
    unsigned int n_mbufs = args->n_mbufs ? args->n_mbufs : DP_DEFAULT_MBUFS;
    uint32_t elt_size = sizeof(struct rte_mbuf) + RTE_MBUF_DEFAULT_BUF_SIZE;
    struct rte_mempool_objsz objsz;
    uint32_t obj_total = rte_mempool_calc_obj_size(elt_size, 0, &objsz);
    unsigned int mempool_mb =
        (unsigned int) DIV_ROUND_UP((uint64_t) n_mbufs * obj_total, 1 << 20);
    /* Headroom grows with the pool: its ring, per-lcore caches and heap
     * fragmentation around one large memzone. */
    unsigned int want_mb = args->socket_mem_mb
                           ? args->socket_mem_mb
                           : mempool_mb + mempool_mb / 8 + DP_MEM_OVERHEAD_MB;

    unsigned int page_kb;
    unsigned int free_mb = dp_free_hugepage_mb(&page_kb);
    bool no_huge = args->no_huge;
    if (!no_huge && free_mb < want_mb) {
        VLOG_WARN(DP_LOG, "only %u MiB of free hugepages (need %u MiB): "
                  "falling back to --no-huge (slower, no DMA to real NICs)",
                  free_mb, want_mb);
        no_huge = true;
    }

    /* argv for rte_eal_init; it may permute the array, so keep the
     * strings in our own storage. */
    static char storage[DP_MAX_EAL_ARGS][128];
    char *argv[DP_MAX_EAL_ARGS + 1];
    int argc = 0;
#define DP_ADD_ARG(...) \
    do { \
        if (argc < DP_MAX_EAL_ARGS) { \
            snprintf(storage[argc], sizeof storage[argc], __VA_ARGS__); \
            argv[argc] = storage[argc]; \
            argc++; \
        } \
    } while (0)
    DP_ADD_ARG("vswitchd");
    DP_ADD_ARG("-l");
    DP_ADD_ARG("%u", first_cpu);
    if (args->in_memory && !no_huge) {
        DP_ADD_ARG("--in-memory");
    } else if (args->in_memory) {
        /* --in-memory needs hugepages (EAL refuses it with --no-huge);
         * no shared config files and a per-process prefix come closest. */
        DP_ADD_ARG("--no-shconf");
        DP_ADD_ARG("--file-prefix=%s-%d",
                   args->file_prefix && *args->file_prefix ? args->file_prefix
                                                           : "vswitch",
                   (int) getpid());
    } else {
        DP_ADD_ARG("--file-prefix=%s",
                   args->file_prefix && *args->file_prefix ? args->file_prefix
                                                           : "vswitch");
    }
    if (no_huge) {
        DP_ADD_ARG("--no-huge");
        DP_ADD_ARG("-m");
        DP_ADD_ARG("%u", want_mb);
    } else if (args->socket_mem_mb) {
        DP_ADD_ARG("-m");
        DP_ADD_ARG("%u", args->socket_mem_mb);
    }
    /* PCI: probe nothing at start-up. A PCI scan would otherwise let a
     * DPDK driver grab any device it can drive (virtio legacy even while
     * the kernel owns it: the host's own NIC). An allowlist naming only
     * the host bridge keeps start-up clean; rte_dev_probe() adds a port's
     * PCI address to the list when it is hot-plugged. An explicit -a/-b in
     * eal_extra wins. */
    bool pci_policy = args->eal_extra
                      && (strstr(args->eal_extra, "-a ")
                          || strstr(args->eal_extra, "-b ")
                          || strstr(args->eal_extra, "--allow")
                          || strstr(args->eal_extra, "--block")
                          || strstr(args->eal_extra, "--no-pci"));
    if (!pci_policy) {
        DP_ADD_ARG("-a");
        DP_ADD_ARG("0000:00:00.0");
    }
    if (args->eal_extra) {
        char *copy = strdup(args->eal_extra);
        char *save = NULL;
        for (char *tok = copy ? strtok_r(copy, " ", &save) : NULL; tok;
             tok = strtok_r(NULL, " ", &save)) {
            DP_ADD_ARG("%s", tok);
        }
        free(copy);
    }
#undef DP_ADD_ARG
    argv[argc] = NULL;

    char cmdline[1024] = "";
    for (int i = 0; i < argc; i++) {
        size_t used = strlen(cmdline);
        snprintf(cmdline + used, sizeof cmdline - used, "%s%s",
                 i ? " " : "", argv[i]);
    }
    VLOG_INFO(DP_LOG, "EAL arguments: %s", cmdline);

    const char *prefix = args->file_prefix && *args->file_prefix
                         ? args->file_prefix : "vswitch";
    if (!args->in_memory && dp_prefix_in_use(prefix)) {
        dp_set_error(err, errlen, "DPDK EAL initialization failed: another "
                     "DPDK process is running with file prefix '%s'", prefix);
        return -EBUSY;
    }
    if (rte_eal_init(argc, argv) < 0) {
        int error = rte_errno;
        dp_set_error(err, errlen, "DPDK EAL initialization failed: %s",
                     error ? rte_strerror(error)
                           : "see the EAL messages above");
        return -(error ? error : EINVAL);
    }

    dp_state.pool = dp_mbuf_pool_create(n_mbufs, no_huge);
    if (!dp_state.pool) {
        int error = rte_errno;
        dp_set_error(err, errlen, "could not create mbuf pool of %u mbufs "
                     "(%u MiB): %s", n_mbufs, mempool_mb, rte_strerror(error));
        rte_eal_cleanup();
        return -error;
    }

    size_t qsbr_size = rte_rcu_qsbr_get_memsize(DP_MAX_PMDS);
    dp_state.qsbr = rte_zmalloc("dp_qsbr", qsbr_size, RTE_CACHE_LINE_SIZE);
    if (!dp_state.qsbr || rte_rcu_qsbr_init(dp_state.qsbr, DP_MAX_PMDS)) {
        dp_set_error(err, errlen, "could not set up RCU: %s",
                     rte_strerror(rte_errno));
        rte_free(dp_state.qsbr);
        dp_state.qsbr = NULL;
        rte_mempool_free(dp_state.pool);
        dp_state.pool = NULL;
        rte_eal_cleanup();
        return -ENOMEM;
    }

    dp_state.private_runtime_dir = args->in_memory && no_huge;
    dp_state.hugepages = !no_huge;
    dp_state.hugepage_size_kb = no_huge ? 0 : page_kb;
    dp_state.mbufs = n_mbufs;
    dp_state.mbuf_size = obj_total;
    dp_state.mempool_mb = mempool_mb;
    dp_state.pmd_max_sleep_us = 1000;
    dp_state.rxq_assign = DP_RXQ_ASSIGN_CYCLES;
    dp_state.flow_cfg = (struct dp_flow_config) {
        .emc_insert_inv_prob = DP_DEFAULT_EMC_INSERT_INV_PROB,
        .megaflow_limit = DP_DEFAULT_MEGAFLOW_LIMIT,
        .idle_ms = DP_DEFAULT_IDLE_MS,
        .revalidate_ms = DP_DEFAULT_REVALIDATE_MS,
        .upcall_rate = DP_DEFAULT_UPCALL_RATE,
        .upcall_burst = DP_DEFAULT_UPCALL_BURST,
    };
    if (dp_main_exec_init()) {
        dp_set_error(err, errlen, "out of memory for packet-out buffers");
        rte_free(dp_state.qsbr);
        dp_state.qsbr = NULL;
        rte_mempool_free(dp_state.pool);
        dp_state.pool = NULL;
        rte_eal_cleanup();
        return -ENOMEM;
    }
    dp_state.window_start_ms = time_msec();
    dp_state.initialized = true;

    if (no_huge) {
        VLOG_INFO(DP_LOG, "memory plan: %u mbufs x %u bytes = %u MiB mempool, "
                  "%u MiB reserved without hugepages (--no-huge)",
                  n_mbufs, obj_total, mempool_mb, want_mb);
    } else {
        VLOG_INFO(DP_LOG, "memory plan: %u mbufs x %u bytes = %u MiB mempool, "
                  "hugepages of %u kB, %u MiB in use (%u MiB were free)",
                  n_mbufs, obj_total, mempool_mb, page_kb,
                  dp_hugepages_used_mb(), free_mb);
    }

    /* Default worker: the last allowed core, like a small host wants.
     * The mask is hex of any width: digit cpu/4 (from the right) holds
     * bit cpu%4. */
    char mask[DP_MAX_PMDS * 4];
    int len = snprintf(mask, sizeof mask, "0x%x", 1u << (last_cpu % 4));
    for (unsigned int i = 0; i < last_cpu / 4 && len < (int) sizeof mask - 1;
         i++) {
        mask[len++] = '0';
    }
    mask[len] = '\0';
    char pmd_err[DP_ERR_LEN];
    if (dp_set_pmd_cpu_mask(mask, pmd_err, sizeof pmd_err)) {
        VLOG_WARN(DP_LOG, "could not start the default PMD on core %u: %s",
                  last_cpu, pmd_err);
    }
    return 0;
}

void
dp_fini(void)
{
    if (!dp_state.initialized) {
        return;
    }
    while (dp_state.bridges) {
        dp_bridge_del(dp_state.bridges);
    }
    dp_pmd_stop_all();
    dp_main_exec_fini();
    rte_free(dp_state.qsbr);
    dp_state.qsbr = NULL;
    rte_mempool_free(dp_state.pool);
    dp_state.pool = NULL;
    /* EAL empties its runtime directory but leaves it; a per-process one
     * (in_memory without hugepages) would pile up, so remove it. */
    char runtime_dir[PATH_MAX];
    snprintf(runtime_dir, sizeof runtime_dir, "%s", rte_eal_get_runtime_dir());
    rte_eal_cleanup();
    if (dp_state.private_runtime_dir) {
        rmdir(runtime_dir);
    }
    dp_state.initialized = false;
}

json_t *
dp_memory_info(void)
{
    return json_pack("{s:b, s:I, s:I, s:I, s:I, s:I}",
                     "hugepages", dp_state.hugepages,
                     "hugepage_size_kb", (json_int_t) dp_state.hugepage_size_kb,
                     "hugepages_used_mb", (json_int_t) dp_hugepages_used_mb(),
                     "mbufs", (json_int_t) dp_state.mbufs,
                     "mbuf_size", (json_int_t) dp_state.mbuf_size,
                     "mempool_mb", (json_int_t) dp_state.mempool_mb);
}

/* ---- bridges -------------------------------------------------------------- */

static struct ft_mac_table *
dp_bridge_new_mac_table(struct dp_bridge *br)
{
    char name[32];
    static unsigned int generation;
    snprintf(name, sizeof name, "dpmac%u", generation++);
    br->mac_generation = generation;
    struct ft_mac_table *mac = ft_mac_table_create(name, br->mac_max,
                                                   dp_state.qsbr);
    if (mac) {
        ft_mac_table_set_aging(mac, br->mac_aging_s);
    }
    return mac;
}

int
dp_bridge_add(const char *name, struct dp_bridge **out)
{
    if (!dp_state.initialized) {
        return -ENODEV;
    }
    if (!name || !*name || strlen(name) >= DP_NAME_LEN) {
        return -EINVAL;
    }
    if (dp_bridge_find(name)) {
        return -EEXIST;
    }
    struct dp_bridge *br = calloc(1, sizeof *br);
    if (!br) {
        return -ENOMEM;
    }
    snprintf(br->name, sizeof br->name, "%s", name);
    br->mac_aging_s = FT_MAC_DEFAULT_AGING_S;
    br->mac_max = FT_MAC_DEFAULT_MAX;
    br->mac = dp_bridge_new_mac_table(br);
    br->nports = ft_normal_ports_create(NULL, 0);
    if (!br->mac || !br->nports) {
        if (br->mac) {
            ft_mac_table_destroy(br->mac);
        }
        free(br->nports);
        free(br);
        return -ENOMEM;
    }
    br->next = dp_state.bridges;
    dp_state.bridges = br;
    VLOG_INFO(DP_LOG, "bridge %s added", name);
    if (out) {
        *out = br;
    }
    return 0;
}

void
dp_bridge_del(struct dp_bridge *br)
{
    if (!br) {
        return;
    }
    dp_bridge_set_pipeline(br, NULL);
    for (unsigned int i = 0; i < DP_MAX_PORTS; i++) {
        struct dp_port *port = dp_state.ports[i];
        if (port && port->bridge == br) {
            dp_port_del(port->name);
        }
    }
    for (struct dp_bridge **p = &dp_state.bridges; *p; p = &(*p)->next) {
        if (*p == br) {
            *p = br->next;
            break;
        }
    }
    /* No port points at the bridge any more and every worker went through a
     * grace period inside dp_port_del, but be explicit for empty bridges. */
    dp_rcu_synchronize();
    ft_mac_table_destroy(br->mac);
    free(br->nports);
    free(br->sync_pending);
    VLOG_INFO(DP_LOG, "bridge %s deleted", br->name);
    free(br);
}

struct dp_bridge *
dp_bridge_find(const char *name)
{
    for (struct dp_bridge *br = dp_state.bridges; br; br = br->next) {
        if (!strcmp(br->name, name)) {
            return br;
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
    br->mac_aging_s = seconds;
    ft_mac_table_set_aging(br->mac, seconds);
}

void
dp_bridge_set_mac_table_size(struct dp_bridge *br, unsigned int entries)
{
    if (!entries || entries == br->mac_max) {
        return;
    }
    unsigned int old_max = br->mac_max;
    br->mac_max = entries;
    struct ft_mac_table *mac = dp_bridge_new_mac_table(br);
    if (!mac) {
        VLOG_WARN(DP_LOG, "bridge %s: could not resize MAC table to %u "
                  "entries", br->name, entries);
        br->mac_max = old_max;
        return;
    }
    /* A resized table starts empty: learning refills it within seconds and
     * flooding covers the gap, as Open vSwitch does on the same change. */
    struct ft_mac_table *old = br->mac;
    __atomic_store_n(&br->mac, mac, __ATOMIC_RELEASE);
    if (br->pipeline) {
        ft_pipeline_set_normal(br->pipeline, br->nports, mac);
    }
    dp_rcu_synchronize();
    ft_mac_table_destroy(old);
    br->mac_events = 0;
    br->mac_changed = true;
}

struct dp_fdb_dump_ctx {
    json_t *array;
    int64_t now_ms;
    struct dp_bridge *br;
};

static void
dp_fdb_dump_cb(const struct ft_mac_entry *e, void *aux)
{
    struct dp_fdb_dump_ctx *ctx = aux;
    struct dp_port *port = dp_bridge_port_by_ofport(ctx->br, e->port);
    char mac[RTE_ETHER_ADDR_FMT_SIZE];
    snprintf(mac, sizeof mac, "%02x:%02x:%02x:%02x:%02x:%02x",
             e->mac.ea[0], e->mac.ea[1], e->mac.ea[2], e->mac.ea[3],
             e->mac.ea[4], e->mac.ea[5]);
    int64_t age = (ctx->now_ms - e->last_seen_ms) / 1000;
    json_array_append_new(ctx->array,
        json_pack("{s:s, s:I, s:i, s:s, s:I}",
                  "port", port ? port->name : "?",
                  "ofport", (json_int_t) e->port,
                  "vlan", (int) e->vlan,
                  "mac", mac,
                  "age", (json_int_t) (age < 0 ? 0 : age)));
}

json_t *
dp_bridge_fdb_dump(struct dp_bridge *br)
{
    struct dp_fdb_dump_ctx ctx = { json_array(), time_msec(), br };
    ft_mac_table_dump(br->mac, dp_fdb_dump_cb, &ctx);
    return ctx.array;
}

void
dp_bridge_fdb_flush(struct dp_bridge *br)
{
    ft_mac_flush(br->mac, -1);
}

struct dp_port *
dp_bridge_port_by_ofport(const struct dp_bridge *br, uint32_t ofport)
{
    for (unsigned int i = 0; i < DP_MAX_PORTS; i++) {
        struct dp_port *port = dp_state.ports[i];
        if (port && port->bridge == br && port->ofport == ofport) {
            return port;
        }
    }
    return NULL;
}

void
dp_bridge_rebuild_ports(struct dp_bridge *br)
{
    struct ft_normal_port *ports = calloc(DP_MAX_PORTS, sizeof *ports);
    struct ft_port *map = calloc(DP_MAX_PORTS, sizeof *map);
    unsigned int n = 0;
    if (!ports || !map) {
        VLOG_ERR(DP_LOG, "bridge %s: out of memory rebuilding ports",
                 br->name);
        free(ports);
        free(map);
        return;
    }
    for (unsigned int i = 0; i < DP_MAX_PORTS; i++) {
        const struct dp_port *port = dp_state.ports[i];
        if (!port || port->bridge != br) {
            continue;
        }
        /* NORMAL's handles are OpenFlow numbers, as xlate gives them. */
        map[n] = (struct ft_port) {
            .ofp_port = port->ofport,
            .dp_port = port->slot,
            .config = port->of_config,
            .live = port->link_up
                    && !(port->of_config & FT_OFPPC_PORT_DOWN),
        };
        struct ft_normal_port *np = &ports[n++];
        np->port = port->ofport;
        np->mode = port->vlan.mode;
        np->tag = port->vlan.tag;
        memcpy(np->trunks, port->vlan.trunks, sizeof np->trunks);
        np->trunks_all = true;
        for (size_t w = 0; w < ARRAY_SIZE(np->trunks); w++) {
            if (np->trunks[w]) {
                np->trunks_all = false;
            }
        }
    }
    struct ft_normal_ports *snapshot = ft_normal_ports_create(ports, n);
    free(ports);
    if (!snapshot) {
        VLOG_ERR(DP_LOG, "bridge %s: out of memory rebuilding ports",
                 br->name);
        free(map);
        return;
    }
    struct ft_normal_ports *old = br->nports;
    __atomic_store_n(&br->nports, snapshot, __ATOMIC_RELEASE);
    if (br->pipeline) {
        int error = ft_pipeline_set_ports(br->pipeline, map, n);
        if (error) {
            VLOG_ERR(DP_LOG, "bridge %s: cannot set the pipeline's port "
                     "map: %s", br->name, strerror(-error));
        }
        ft_pipeline_set_normal(br->pipeline, snapshot, br->mac);
    }
    free(map);
    dp_rcu_synchronize();
    free(old);
}

/* ---- OpenFlow pipeline ------------------------------------------------------ */

struct rte_rcu_qsbr *
dp_qsbr(void)
{
    return dp_state.qsbr;
}

void
dp_bridge_set_pipeline(struct dp_bridge *br, struct ft_pipeline *pipeline)
{
    if (br->pipeline == pipeline) {
        return;
    }
    struct ft_pipeline *old = br->pipeline;
    if (old) {
        ft_pipeline_set_normal(old, NULL, NULL);
    }
    __atomic_store_n(&br->pipeline, pipeline, __ATOMIC_RELEASE);
    /* After this no worker translates with 'old'; then no megaflow of the
     * bridge is left, and xcaches queued by workers are released while
     * 'old' still exists. */
    dp_rcu_synchronize();
    dp_bridge_flush_megaflows(br, -1);
    dp_upcall_drain(UINT_MAX);
    if (pipeline) {
        dp_bridge_rebuild_ports(br);
        br->synced_generation = ft_pipeline_generation(pipeline);
    } else {
        br->synced_generation = 0;
    }
    /* Syncs asked of the old pipeline: its megaflows are all gone. */
    while (br->n_sync_pending) {
        uint64_t g = br->sync_pending[0];
        memmove(br->sync_pending, br->sync_pending + 1,
                --br->n_sync_pending * sizeof *br->sync_pending);
        if (br->gen_cb) {
            br->gen_cb(br->gen_aux, g);
        }
    }
    br->sync_waiting = false;
    VLOG_INFO(DP_LOG, "bridge %s: pipeline %s", br->name,
              pipeline ? "attached" : "detached");
}

void
dp_set_flow_config(const struct dp_flow_config *cfg)
{
    struct dp_flow_config *c = &dp_state.flow_cfg;

    if (cfg->emc_insert_inv_prob) {
        __atomic_store_n(&c->emc_insert_inv_prob, cfg->emc_insert_inv_prob,
                         __ATOMIC_RELAXED);
    }
    __atomic_store_n(&c->emc_disable, cfg->emc_disable, __ATOMIC_RELAXED);
    if (cfg->megaflow_limit) {
        c->megaflow_limit = cfg->megaflow_limit;
    }
    if (cfg->idle_ms) {
        c->idle_ms = cfg->idle_ms;
    }
    if (cfg->revalidate_ms) {
        c->revalidate_ms = cfg->revalidate_ms;
        dp_state.next_revalidate_ms = 0;     /* re-plan from now */
    }
    if (cfg->upcall_rate) {
        __atomic_store_n(&c->upcall_rate, cfg->upcall_rate, __ATOMIC_RELAXED);
    }
    if (cfg->upcall_burst) {
        __atomic_store_n(&c->upcall_burst, cfg->upcall_burst,
                         __ATOMIC_RELAXED);
    }
    for (unsigned int i = 0; i < DP_MAX_PMDS; i++) {
        struct dp_pmd *pmd = dp_state.pmds[i];
        if (!pmd) {
            continue;
        }
        dp_flow_cache_set_limit(pmd->flows, c->megaflow_limit);
        if (pmd->emc) {
            dp_emc_set_insert_inv_prob(pmd->emc, c->emc_insert_inv_prob);
        }
    }
}

void
dp_get_flow_config(struct dp_flow_config *cfg)
{
    *cfg = dp_state.flow_cfg;
}

/* ---- periodic ------------------------------------------------------------- */

void
dp_run_periodic(int64_t now_ms)
{
    if (!dp_state.initialized) {
        return;
    }
    for (struct dp_bridge *br = dp_state.bridges; br; br = br->next) {
        unsigned int n = ft_mac_expire(br->mac, now_ms);
        if (n) {
            VLOG_DBG(DP_LOG, "bridge %s: %u MAC entries expired", br->name, n);
        }
    }
    /* Link changes reach the pipeline's port map (liveness). */
    for (unsigned int i = 0; i < DP_MAX_PORTS; i++) {
        struct dp_port *port = dp_state.ports[i];
        if (port && dp_port_refresh_link(port)) {
            VLOG_INFO(DP_LOG, "port %s: link %s", port->name,
                      port->link_up ? "up" : "down");
            dp_bridge_rebuild_ports(port->bridge);
            if (port->bridge->port_status_cb) {
                port->bridge->port_status_cb(port->bridge->port_status_aux,
                                             port->name);
            }
        }
    }
    dp_rxq_window_tick(now_ms);
}
