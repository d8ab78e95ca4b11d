/*
 * vswitchd.c — the vswitch daemon's main: command line, start-up order,
 * signals, pidfile and the main thread's event loop.
 *
 * Start-up: parse options, block the termination signals (so EAL and PMD
 * threads inherit the mask and only the loop's signalfd sees them), load
 * the config store (a corrupt store stops us before touching hardware),
 * open the control socket (refusing if another daemon answers on it),
 * dp_init, recreate bridges and ports, then loop.
 *
 * The loop (main thread) is lib/evloop: the unixctl server's fd, a
 * signalfd (SIGTERM/SIGINT/SIGHUP), every bridge's OpenFlow connections
 * and listeners, a 1 s timer driving periodic work (MAC ageing through
 * dp_run_periodic) and a fast timer for the datapath's main-thread
 * duties: packet-ins queued by the workers (dp_run_upcalls), megaflow
 * revalidation and ageing (dp_run_revalidator) and flow timeouts of the
 * pipelines (ctl_bridge_run_openflow). Shutdown, by signal or the 'exit'
 * command, closes the OpenFlow side, flushes pending replies, then
 * dp_fini().
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctl/bridge.h"
#include "ctl/config_store.h"
#include "ctl/crash.h"
#include "ctl/unixctl.h"
#include "datapath/datapath.h"
#include "lib/evloop.h"
#include "lib/log.h"
#include "lib/timeval.h"
#include "vswitch-config.h"

#define MOD "vswitchd"

/* Periodic work (MAC ageing) runs about once a second, as in OVS. */
#define PERIODIC_INTERVAL_MS 1000
/* Packet-ins wait in the workers' queues until the main thread delivers
 * them: a few ms keeps controller round trips short (reactive
 * forwarding) without spinning an idle daemon. */
#define UPCALL_INTERVAL_MS 2
/* Flow timeouts are checked at least this often: a flow added since the
 * last check may expire before the deadline that check returned. */
#define EXPIRE_MAX_WAIT_MS 1000
/* Packet-ins delivered per run, so a flood cannot starve the loop. */
#define UPCALL_BUDGET 256

struct options {
    const char *db_path;
    const char *unixctl_path;
    const char *rundir;
    const char *log_file;
    const char *pidfile;
    struct dp_init_args dp;
    bool verbose;
};

static void
usage(void)
{
    printf("vswitchd %s — DPDK-accelerated OpenFlow virtual switch daemon\n"
           "\n"
           "usage: vswitchd [OPTIONS]\n"
           "\n"
           "  --db FILE           config store (default %s/conf.json)\n"
           "  --rundir DIR        directory of the control socket and of the\n"
           "                      bridges' OpenFlow management sockets\n"
           "                      BRIDGE.mgmt (default %s; with --unixctl\n"
           "                      alone: the control socket's directory)\n"
           "  --unixctl PATH      control socket (default RUNDIR/vswitchd.ctl)\n"
           "  --log-file FILE     also log to FILE\n"
           "  --pidfile FILE      write the daemon's pid to FILE\n"
           "  --no-huge           run DPDK without hugepages\n"
           "  --file-prefix P     DPDK runtime file prefix (several daemons"
           " per host)\n"
           "  --socket-mem MB     DPDK memory to reserve (default: sized from"
           " mbufs)\n"
           "  --n-mbufs N         packet buffers in the mempool\n"
           "  --eal-args \"...\"    extra DPDK EAL arguments\n"
           "  -v, --verbose       debug logging\n"
           "  -h, --help          this help\n"
           "  -V, --version       print the version\n",
           VSWITCH_VERSION, VSWITCH_DBDIR, VSWITCH_RUNDIR);
}

static int
parse_uint_opt(const char *name, const char *s, unsigned int *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || !*s || *end || v > UINT32_MAX) {
        fprintf(stderr, "vswitchd: bad value '%s' for %s\n", s, name);
        return -EINVAL;
    }
    *out = v;
    return 0;
}

/* Returns 0 to run, 1 to exit successfully (help/version), -1 on error. */
static int
parse_options(int argc, char *argv[], struct options *o)
{
    enum {
        OPT_DB = 256, OPT_UNIXCTL, OPT_RUNDIR, OPT_LOG_FILE, OPT_PIDFILE,
        OPT_NO_HUGE, OPT_FILE_PREFIX, OPT_EAL_ARGS, OPT_SOCKET_MEM,
        OPT_N_MBUFS,
    };
    static const struct option longopts[] = {
        { "db", required_argument, NULL, OPT_DB },
        { "unixctl", required_argument, NULL, OPT_UNIXCTL },
        { "rundir", required_argument, NULL, OPT_RUNDIR },
        { "log-file", required_argument, NULL, OPT_LOG_FILE },
        { "pidfile", required_argument, NULL, OPT_PIDFILE },
        { "no-huge", no_argument, NULL, OPT_NO_HUGE },
        { "file-prefix", required_argument, NULL, OPT_FILE_PREFIX },
        { "eal-args", required_argument, NULL, OPT_EAL_ARGS },
        { "socket-mem", required_argument, NULL, OPT_SOCKET_MEM },
        { "n-mbufs", required_argument, NULL, OPT_N_MBUFS },
        { "verbose", no_argument, NULL, 'v' },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    for (;;) {
        int c = getopt_long(argc, argv, "vhV", longopts, NULL);
        if (c == -1) {
            break;
        }
        switch (c) {
        case OPT_DB: o->db_path = optarg; break;
        case OPT_UNIXCTL: o->unixctl_path = optarg; break;
        case OPT_RUNDIR: o->rundir = optarg; break;
        case OPT_LOG_FILE: o->log_file = optarg; break;
        case OPT_PIDFILE: o->pidfile = optarg; break;
        case OPT_NO_HUGE: o->dp.no_huge = true; break;
        case OPT_FILE_PREFIX: o->dp.file_prefix = optarg; break;
        case OPT_EAL_ARGS: o->dp.eal_extra = optarg; break;
        case OPT_SOCKET_MEM:
            if (parse_uint_opt("--socket-mem", optarg,
                               &o->dp.socket_mem_mb)) {
                return -1;
            }
            break;
        case OPT_N_MBUFS:
            if (parse_uint_opt("--n-mbufs", optarg, &o->dp.n_mbufs)) {
                return -1;
            }
            break;
        case 'v': o->verbose = true; break;
        case 'h': usage(); return 1;
        case 'V': printf("vswitchd %s\n", VSWITCH_VERSION); return 1;
        default:
            fprintf(stderr, "vswitchd: try --help\n");
            return -1;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "vswitchd: unexpected argument '%s' (try --help)\n",
                argv[optind]);
        return -1;
    }
    return 0;
}

/* Creates the directory holding 'path' if it is missing (one level: the
 * parents of /var/run/vswitch or /etc/vswitch always exist). */
static void
ensure_parent_dir(const char *path)
{
    char *copy = strdup(path);
    if (copy) {
        mkdir(dirname(copy), 0750);
        free(copy);
    }
}

static int
write_pidfile(const char *path)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        return -errno;
    }
    fprintf(f, "%ld\n", (long) getpid());
    if (fclose(f) != 0 || rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return -e;
    }
    return 0;
}

struct main_loop {
    struct evloop *loop;
    struct ctl_unixctl *server;
    struct evloop_timer periodic;
    struct evloop_timer datapath;
    int64_t next_revalidate_ms;     /* dp_run_revalidator's next round */
    int64_t next_expire_ms;         /* earliest flow timeout */
    bool running;
};

static void
on_unixctl_ready(int fd UNUSED, uint32_t events UNUSED, void *aux)
{
    struct main_loop *ml = aux;
    ctl_unixctl_run(ml->server);
}

static void
on_periodic(void *aux UNUSED)
{
    dp_run_periodic(time_msec());
}

/* The datapath's main-thread duties and flow timeouts; re-arms itself
 * for the earliest of them (dp_run_upcalls and dp_run_revalidator return
 * the ms until they next need to run). */
static void
on_datapath(void *aux)
{
    struct main_loop *ml = aux;
    int64_t now = time_msec();
    int64_t delay = dp_run_upcalls(UPCALL_BUDGET);
    if (now >= ml->next_revalidate_ms) {
        ml->next_revalidate_ms = now + dp_run_revalidator(now);
    }
    if (now >= ml->next_expire_ms) {
        int64_t next = ctl_bridge_run_openflow(now);
        ml->next_expire_ms = next < now + EXPIRE_MAX_WAIT_MS
                             ? next : now + EXPIRE_MAX_WAIT_MS;
    }
    int64_t until = ml->next_revalidate_ms - now;
    delay = until < delay ? until : delay;
    until = ml->next_expire_ms - now;
    delay = until < delay ? until : delay;
    if (delay < 0) {
        delay = 0;
    } else if (delay > UPCALL_INTERVAL_MS) {
        delay = UPCALL_INTERVAL_MS;
    }
    evloop_timer_start(ml->loop, &ml->datapath, delay, 0, on_datapath, ml);
}

static void
on_signal(int sigfd, uint32_t events UNUSED, void *aux)
{
    struct main_loop *ml = aux;
    struct signalfd_siginfo si;
    if (read(sigfd, &si, sizeof si) != sizeof si) {
        return;
    }
    if (si.ssi_signo == SIGHUP) {
        VLOG_INFO(MOD, "SIGHUP ignored (config changes go through vswitch-ctl)");
    } else {
        VLOG_INFO(MOD, "caught %s, shutting down", strsignal(si.ssi_signo));
        ml->running = false;
    }
}

/* Runs 'loop' until a termination signal or 'exit'. */
static void
main_loop(struct evloop *loop, struct ctl_unixctl *server, int sigfd)
{
    struct main_loop ml = { .server = server, .running = true,
                            .loop = loop };
    if (evloop_fd_add(ml.loop, ctl_unixctl_fd(server), EVLOOP_READ,
                      on_unixctl_ready, &ml)
        || evloop_fd_add(ml.loop, sigfd, EVLOOP_READ, on_signal, &ml)) {
        VLOG_ERR(MOD, "cannot set up the event loop: %s", strerror(errno));
        return;
    }
    evloop_timer_init(&ml.periodic);
    evloop_timer_start(ml.loop, &ml.periodic, PERIODIC_INTERVAL_MS,
                       PERIODIC_INTERVAL_MS, on_periodic, NULL);
    evloop_timer_init(&ml.datapath);
    evloop_timer_start(ml.loop, &ml.datapath, UPCALL_INTERVAL_MS, 0,
                       on_datapath, &ml);

    while (ml.running && !ctl_bridge_exit_requested()) {
        int n = evloop_run_once(ml.loop, -1);
        if (n < 0 && n != -EINTR) {
            VLOG_ERR(MOD, "event loop: %s", strerror(-n));
            break;
        }
        /* A controller waits on a barrier behind changes the datapath is
         * still taking in: complete them as soon as the workers have
         * moved on, not at the next tick (tools like ovs-ofctl add-flows
         * send a barrier after every FLOW_MOD). */
        if (ctl_bridge_openflow_waiting()) {
            int64_t now = time_msec();
            ml.next_revalidate_ms = now + dp_run_revalidator(now);
            if (ml.next_revalidate_ms <= now + 1) {
                evloop_timer_start(ml.loop, &ml.datapath, 0, 0, on_datapath,
                                   &ml);
            }
        }
    }
    evloop_timer_stop(ml.loop, &ml.periodic);
    evloop_timer_stop(ml.loop, &ml.datapath);
    evloop_fd_remove(ml.loop, ctl_unixctl_fd(server));
    evloop_fd_remove(ml.loop, sigfd);
}

int
main(int argc, char *argv[])
{
    struct options o = { 0 };
    int rc = parse_options(argc, argv, &o);
    if (rc) {
        return rc > 0 ? 0 : 1;
    }
    /* Several daemons on one host each give their own --unixctl: their
     * bridges' management sockets must not collide either. */
    char unixctl_dir[4096];
    if (!o.rundir && o.unixctl_path) {
        snprintf(unixctl_dir, sizeof unixctl_dir, "%s", o.unixctl_path);
        o.rundir = dirname(unixctl_dir);
    } else if (!o.rundir) {
        o.rundir = VSWITCH_RUNDIR;
    }
    char default_db[4096], default_sock[4096];
    if (!o.db_path) {
        snprintf(default_db, sizeof default_db, "%s/conf.json",
                 VSWITCH_DBDIR);
        o.db_path = default_db;
    }
    if (!o.unixctl_path) {
        snprintf(default_sock, sizeof default_sock, "%s/vswitchd.ctl",
                 o.rundir);
        o.unixctl_path = default_sock;
    }
    if (o.verbose) {
        vlog_set_level(VLL_DBG);
    }
    if (o.log_file && (rc = vlog_set_file(o.log_file)) < 0) {
        fprintf(stderr, "vswitchd: cannot open log file %s: %s\n",
                o.log_file, strerror(-rc));
        return 1;
    }
    ctl_crash_handler_install(o.log_file);
    signal(SIGPIPE, SIG_IGN);

    /* Blocked before any thread exists so every thread inherits it and
     * the signalfd is the only receiver. */
    sigset_t term;
    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    sigaddset(&term, SIGINT);
    sigaddset(&term, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &term, NULL);
    int sigfd = signalfd(-1, &term, SFD_NONBLOCK | SFD_CLOEXEC);
    if (sigfd < 0) {
        fprintf(stderr, "vswitchd: signalfd: %s\n", strerror(errno));
        return 1;
    }

    char err[CTL_ERR_LEN];
    json_t *doc;
    ensure_parent_dir(o.db_path);
    int lock_fd = ctl_config_lock(o.db_path, err, sizeof err);
    if (lock_fd < 0) {
        VLOG_ERR(MOD, "%s", err);
        return 1;
    }
    rc = ctl_config_load(o.db_path, &doc, err, sizeof err);
    if (rc) {
        VLOG_ERR(MOD, "%s", err);
        return 1;
    }
    /* Probe the store's directory now: a read-only location would
     * otherwise surface only at the first configuration change. */
    if (access(o.db_path, F_OK) != 0) {
        rc = ctl_config_save(o.db_path, doc, err, sizeof err);
        if (rc) {
            VLOG_ERR(MOD, "cannot create the config store: %s", err);
            json_decref(doc);
            return 1;
        }
    }

    ensure_parent_dir(o.unixctl_path);
    struct ctl_unixctl *server;
    rc = ctl_unixctl_create(o.unixctl_path, &server, err, sizeof err);
    if (rc) {
        VLOG_ERR(MOD, "%s", err);
        json_decref(doc);
        return 1;
    }

    VLOG_INFO(MOD, "vswitchd %s starting (config %s, control socket %s)",
              VSWITCH_VERSION, o.db_path, o.unixctl_path);
    char dperr[DP_ERR_LEN] = "";
    rc = dp_init(&o.dp, dperr, sizeof dperr);
    if (rc) {
        VLOG_ERR(MOD, "datapath initialisation failed: %s",
                 dperr[0] ? dperr : strerror(-rc));
        ctl_unixctl_destroy(server);
        json_decref(doc);
        return 1;
    }

    struct evloop *loop = evloop_create();
    if (!loop) {
        VLOG_ERR(MOD, "cannot create the event loop: %s", strerror(errno));
        dp_fini();
        ctl_unixctl_destroy(server);
        json_decref(doc);
        return 1;
    }
    mkdir(o.rundir, 0750);
    ctl_bridge_set_openflow(loop, o.rundir);
    ctl_bridge_start(o.db_path, doc);
    ctl_bridge_register_commands();
    if (o.pidfile && (rc = write_pidfile(o.pidfile)) < 0) {
        VLOG_WARN(MOD, "cannot write pidfile %s: %s", o.pidfile,
                  strerror(-rc));
    }
    VLOG_INFO(MOD, "ready");

    main_loop(loop, server, sigfd);

    VLOG_INFO(MOD, "shutting down");
    ctl_unixctl_destroy(server);
    ctl_command_unregister_all();
    /* The OpenFlow side first: it detaches pipelines from the datapath
     * and its connections live on the loop. */
    ctl_bridge_stop();
    evloop_destroy(loop);
    dp_fini();
    if (o.pidfile) {
        unlink(o.pidfile);
    }
    close(sigfd);
    close(lock_fd);
    VLOG_INFO(MOD, "exited cleanly");
    return 0;
}
