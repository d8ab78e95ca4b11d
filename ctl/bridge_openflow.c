/*
 * bridge_openflow.c — a bridge's pipeline, switch front and connection
 * manager, and the datapath operations the switch needs (see
 * bridge_openflow.h).
 *
 * The port list kept here is what PORT_DESC reports: names and OpenFlow
 * numbers come from bridge.c as ports are added and deleted; MAC, link
 * state and speed are read live from the datapath (dp_port_info), so a
 * link change is reported as it is now.
 *
 * Threads: main thread only.
 */
#include "ctl/bridge_openflow.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ctl/ofswitch.h"
#include "datapath/datapath.h"
#include "flowtable/ft_action.h"
#include "flowtable/ft_match.h"
#include "flowtable/ft_pipeline.h"
#include "lib/log.h"
#include "lib/timeval.h"
#include "openflow/of_connmgr.h"

#define MOD "ofbridge"

/* OpenFlow 1.3 port state bits (spec 7.2.1) reported in PORT_DESC. */
#define OFPPS_LINK_DOWN 0x1u
#define OFPPS_LIVE 0x4u
/* Port feature bits for the current speed (spec 7.2.1). */
#define OFPPF_10MB_FD 0x2u
#define OFPPF_100MB_FD 0x8u
#define OFPPF_1GB_FD 0x20u
#define OFPPF_10GB_FD 0x40u
#define OFPPF_40GB_FD 0x80u
#define OFPPF_100GB_FD 0x100u
#define OFPPF_OTHER 0x4000u

/* Every table the pipeline can have (0..253), as Open vSwitch. */
#define OFBRIDGE_N_TABLES 254

struct ofbridge_port {
    char name[64];
    uint32_t ofport;
    int64_t created_ms;         /* for port stats duration */
};

struct ctl_ofbridge {
    char name[64];
    struct dp_bridge *dp;
    struct ft_pipeline *pipeline;
    struct ofswitch *sw;
    struct of_connmgr *mgr;
    enum ctl_fail_mode fail_mode;
    size_t n_controllers;
    char mgmt_target[128];      /* "punix:<rundir>/<name>.mgmt" */
    uint64_t dpid;
    struct ofbridge_port *ports;
    size_t n_ports, cap_ports;
};

/* ---- fail mode ---------------------------------------------------------- */

const char *
ctl_fail_mode_name(enum ctl_fail_mode mode)
{
    return mode == CTL_FAIL_SECURE ? "secure" : "standalone";
}

int
ctl_fail_mode_parse(const char *s, enum ctl_fail_mode *mode)
{
    if (!strcmp(s, "standalone")) {
        *mode = CTL_FAIL_STANDALONE;
    } else if (!strcmp(s, "secure")) {
        *mode = CTL_FAIL_SECURE;
    } else {
        return -EINVAL;
    }
    return 0;
}

/* Applies one flow mod to the pipeline as its own transaction and asks
 * the datapath to catch up. */
static void
apply_flow_mod(struct ctl_ofbridge *ob, const struct ft_flow_mod *fm)
{
    ft_pipeline_begin(ob->pipeline);
    struct ft_ofperr e = ft_pipeline_flow_mod(ob->pipeline, fm, time_msec(),
                                              NULL);
    ft_pipeline_commit(ob->pipeline);
    if (e.type) {
        VLOG_ERR(MOD, "%s: internal flow change failed (type %u code %u)",
                 ob->name, e.type, e.code);
    }
    dp_bridge_sync_generation(ob->dp, ft_pipeline_generation(ob->pipeline));
}

static void
flush_flows(struct ctl_ofbridge *ob)
{
    struct ft_flow_mod fm = {
        .command = FT_OFPFC_DELETE,
        .table_id = FT_OFPTT_ALL,
        .out_port = FT_OFPP_ANY,
        .out_group = FT_OFPG_ANY,
    };
    ft_match_init_catchall(&fm.match);
    fm.insts.goto_table = FT_NO_GOTO;
    apply_flow_mod(ob, &fm);
}

/* Open vSwitch's standalone-mode flow: "priority=0 actions=NORMAL". */
static void
add_normal_flow(struct ctl_ofbridge *ob)
{
    struct ft_action normal = {
        .type = FT_OFPAT_OUTPUT,
        .output = { .port = FT_OFPP_NORMAL },
    };
    struct ft_flow_mod fm = {
        .command = FT_OFPFC_ADD,
        .table_id = 0,
        .priority = 0,
        .out_port = FT_OFPP_ANY,
        .out_group = FT_OFPG_ANY,
    };
    ft_match_init_catchall(&fm.match);
    fm.insts.has_apply = true;
    fm.insts.apply.acts = &normal;
    fm.insts.apply.n = 1;
    fm.insts.goto_table = FT_NO_GOTO;
    apply_flow_mod(ob, &fm);
}

/* What Open vSwitch's connmgr does when flows are flushed. */
static void
add_fail_mode_flows(struct ctl_ofbridge *ob)
{
    if (!ob->n_controllers && ob->fail_mode == CTL_FAIL_STANDALONE) {
        add_normal_flow(ob);
    }
}

void
ctl_ofbridge_start_flows(struct ctl_ofbridge *ob)
{
    add_fail_mode_flows(ob);
}

void
ctl_ofbridge_set_fail_mode(struct ctl_ofbridge *ob, enum ctl_fail_mode mode)
{
    if (ob->fail_mode == mode) {
        return;
    }
    ob->fail_mode = mode;
    if (!ob->n_controllers) {
        flush_flows(ob);
        add_fail_mode_flows(ob);
    }
    VLOG_INFO(MOD, "%s: fail mode %s", ob->name, ctl_fail_mode_name(mode));
}

enum ctl_fail_mode
ctl_ofbridge_fail_mode(const struct ctl_ofbridge *ob)
{
    return ob->fail_mode;
}

/* ---- ports -------------------------------------------------------------- */

static struct ofbridge_port *
port_find(struct ctl_ofbridge *ob, const char *name)
{
    for (size_t i = 0; i < ob->n_ports; i++) {
        if (!strcmp(ob->ports[i].name, name)) {
            return &ob->ports[i];
        }
    }
    return NULL;
}

static struct ofbridge_port *
port_by_ofport(struct ctl_ofbridge *ob, uint32_t ofport)
{
    for (size_t i = 0; i < ob->n_ports; i++) {
        if (ob->ports[i].ofport == ofport) {
            return &ob->ports[i];
        }
    }
    return NULL;
}

static uint32_t
speed_feature(uint64_t mbps)
{
    switch (mbps) {
    case 10: return OFPPF_10MB_FD;
    case 100: return OFPPF_100MB_FD;
    case 1000: return OFPPF_1GB_FD;
    case 10000: return OFPPF_10GB_FD;
    case 40000: return OFPPF_40GB_FD;
    case 100000: return OFPPF_100GB_FD;
    default: return mbps ? OFPPF_OTHER : 0;
    }
}

static void
parse_mac(const char *s, uint8_t mac[6])
{
    unsigned int b[6];
    memset(mac, 0, 6);
    if (s && sscanf(s, "%x:%x:%x:%x:%x:%x", &b[0], &b[1], &b[2], &b[3],
                    &b[4], &b[5]) == 6) {
        for (int i = 0; i < 6; i++) {
            mac[i] = (uint8_t) b[i];
        }
    }
}

/* OpenFlow port names are 16 bytes with the NUL: longer names are cut,
 * as Open vSwitch does. */
static void
copy_port_name(char *dst, size_t size, const char *name)
{
    size_t n = strnlen(name, size - 1);
    memcpy(dst, name, n);
    dst[n] = '\0';
}

/* PORT_DESC view of one port, read live from the datapath. */
static void
port_describe(const struct ofbridge_port *p, struct of_port *out)
{
    memset(out, 0, sizeof *out);
    out->port_no = p->ofport;
    copy_port_name(out->name, sizeof out->name, p->name);
    json_t *info = dp_port_info(p->name);
    parse_mac(json_string_value(json_object_get(info, "mac")), out->hw_addr);
    const char *link = json_string_value(json_object_get(info, "link"));
    bool up = link && !strcmp(link, "up");
    out->config = dp_port_get_of_config(p->name);
    out->state = !up ? OFPPS_LINK_DOWN
                 : (out->config & FT_OFPPC_PORT_DOWN) ? 0 : OFPPS_LIVE;
    uint64_t mbps = (uint64_t) json_integer_value(
        json_object_get(info, "link_speed_mbps"));
    if (up && mbps) {
        out->curr = speed_feature(mbps);
        out->curr_speed = (uint32_t) (mbps * 1000);     /* kbps */
        out->max_speed = out->curr_speed;
    }
    json_decref(info);
}

int
ctl_ofbridge_port_add(struct ctl_ofbridge *ob, const char *name,
                      uint32_t ofport)
{
    if (port_find(ob, name)) {
        return -EEXIST;
    }
    if (ob->n_ports == ob->cap_ports) {
        size_t cap = ob->cap_ports ? ob->cap_ports * 2 : 8;
        struct ofbridge_port *p = realloc(ob->ports, cap * sizeof *p);
        if (!p) {
            return -ENOMEM;
        }
        ob->ports = p;
        ob->cap_ports = cap;
    }
    struct ofbridge_port *p = &ob->ports[ob->n_ports++];
    memset(p, 0, sizeof *p);
    snprintf(p->name, sizeof p->name, "%s", name);
    p->ofport = ofport;
    p->created_ms = time_msec();
    struct of_port desc;
    port_describe(p, &desc);
    ofswitch_port_changed(ob->sw, OFPPR_ADD, &desc);
    return 0;
}

void
ctl_ofbridge_port_del(struct ctl_ofbridge *ob, const char *name)
{
    struct ofbridge_port *p = port_find(ob, name);
    if (!p) {
        return;
    }
    /* The port is usually gone from the datapath already: report what
     * PORT_DESC would have said minus the live part. */
    struct of_port desc = { .port_no = p->ofport, .state = OFPPS_LINK_DOWN };
    copy_port_name(desc.name, sizeof desc.name, p->name);
    *p = ob->ports[--ob->n_ports];
    ofswitch_port_changed(ob->sw, OFPPR_DELETE, &desc);
}

/* ---- datapath operations for the switch ---------------------------------- */

static size_t
dp_get_ports(void *aux, struct of_port *ports, size_t max)
{
    struct ctl_ofbridge *ob = aux;
    for (size_t i = 0; i < ob->n_ports && i < max; i++) {
        port_describe(&ob->ports[i], &ports[i]);
    }
    return ob->n_ports;
}

static int
dp_get_port_stats(void *aux, uint32_t port_no, struct of_port_stats *ps)
{
    struct ctl_ofbridge *ob = aux;
    struct ofbridge_port *p = port_by_ofport(ob, port_no);
    struct dp_port_stats s;
    if (!p || dp_port_get_stats(p->name, &s)) {
        return -ENOENT;
    }
    int64_t age = time_msec() - p->created_ms;
    *ps = (struct of_port_stats) {
        .port_no = port_no,
        .rx_packets = s.rx_packets, .tx_packets = s.tx_packets,
        .rx_bytes = s.rx_bytes, .tx_bytes = s.tx_bytes,
        .rx_dropped = s.rx_dropped, .tx_dropped = s.tx_dropped,
        .rx_errors = s.rx_errors, .tx_errors = s.tx_errors,
        .rx_frame_err = UINT64_MAX, .rx_over_err = UINT64_MAX,
        .rx_crc_err = UINT64_MAX, .collisions = UINT64_MAX,
        .duration_sec = (uint32_t) (age / 1000),
        .duration_nsec = (uint32_t) (age % 1000) * 1000000u,
    };
    return 0;
}

static int
dp_port_mod(void *aux, uint32_t port_no, uint32_t config, uint32_t mask)
{
    struct ctl_ofbridge *ob = aux;
    struct ofbridge_port *p = port_by_ofport(ob, port_no);
    if (!p) {
        return -ENOENT;
    }
    return dp_port_set_of_config(p->name, config, mask);
}

static int
dp_packet_out(void *aux, const void *packet, size_t len, uint32_t in_port,
              const struct ft_dpact *acts, unsigned int n_acts)
{
    struct ctl_ofbridge *ob = aux;
    return dp_bridge_packet_out(ob->dp, packet, len, in_port, acts, n_acts);
}

static bool
dp_sync_generation(void *aux, uint64_t generation)
{
    struct ctl_ofbridge *ob = aux;
    return dp_bridge_sync_generation(ob->dp, generation);
}

static const struct ofswitch_dp_ops ofbridge_dp_ops = {
    .get_ports = dp_get_ports,
    .get_port_stats = dp_get_port_stats,
    .port_mod = dp_port_mod,
    .packet_out = dp_packet_out,
    .sync_generation = dp_sync_generation,
};

/* ---- callbacks from the datapath ----------------------------------------- */

static void
on_generation(void *aux, uint64_t generation)
{
    struct ctl_ofbridge *ob = aux;
    ofswitch_generation_applied(ob->sw, generation);
}

static void
on_packet_in(void *aux, const struct ft_dpact *act, const struct ft_key *key,
             const uint8_t *packet, size_t len)
{
    struct ctl_ofbridge *ob = aux;
    /* The pipeline metadata at the CONTROLLER action (written by earlier
     * tables), not the packet's at ingress: 1.3 puts it in the match. */
    struct ft_key at_action = *key;
    at_action.metadata = act->controller.metadata;
    ofswitch_send_packet_in(ob->sw, act->controller.reason,
                            act->controller.table_id, act->controller.cookie,
                            &at_action, packet, len, act->controller.max_len);
}

static void
on_port_status(void *aux, const char *port_name)
{
    struct ctl_ofbridge *ob = aux;
    struct ofbridge_port *p = port_find(ob, port_name);
    if (p) {
        struct of_port desc;
        port_describe(p, &desc);
        ofswitch_port_changed(ob->sw, OFPPR_MODIFY, &desc);
    }
}

/* ---- lifetime ------------------------------------------------------------ */

uint64_t
ctl_ofbridge_dpid_from_name(const char *name)
{
    /* FNV-1a: stable across restarts and builds, unlike a seeded hash. */
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (const unsigned char *p = (const unsigned char *) name; *p; p++) {
        h = (h ^ *p) * UINT64_C(0x100000001b3);
    }
    uint64_t dpid = h & UINT64_C(0xffffffffffff);
    /* A locally administered unicast "MAC", as OVS's derived ids. */
    dpid |= UINT64_C(0x020000000000);
    dpid &= ~UINT64_C(0x010000000000);
    return dpid;
}

int
ctl_ofbridge_create(struct dp_bridge *dp, const char *name,
                    struct evloop *loop, const char *rundir,
                    enum ctl_fail_mode fail_mode, struct ctl_ofbridge **out,
                    char *err, size_t errlen)
{
    *out = NULL;
    struct ctl_ofbridge *ob = calloc(1, sizeof *ob);
    if (!ob) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    snprintf(ob->name, sizeof ob->name, "%s", name);
    ob->dp = dp;
    ob->fail_mode = fail_mode;
    ob->dpid = ctl_ofbridge_dpid_from_name(name);
    int n = snprintf(ob->mgmt_target, sizeof ob->mgmt_target,
                     "punix:%s/%s.mgmt", rundir, name);
    if (n < 0 || (size_t) n >= sizeof ob->mgmt_target
        || (size_t) n - strlen("punix:") >= 108) {
        snprintf(err, errlen, "management socket path %s/%s.mgmt is too "
                 "long", rundir, name);
        free(ob);
        return -ENAMETOOLONG;
    }

    struct ft_pipeline_config pcfg = {
        .n_tables = OFBRIDGE_N_TABLES,
        .qsbr = dp_qsbr(),
    };
    ob->pipeline = ft_pipeline_create(&pcfg);
    if (ob->pipeline) {
        ob->sw = ofswitch_create(ob->pipeline, &ofbridge_dp_ops, ob,
                                 ob->dpid);
    }
    if (ob->sw) {
        ob->mgr = of_connmgr_create(loop, ofswitch_ops(), ob->sw, NULL);
    }
    if (!ob->mgr) {
        snprintf(err, errlen, "out of memory creating the OpenFlow switch "
                 "of bridge '%s'", name);
        ctl_ofbridge_destroy(ob);
        return -ENOMEM;
    }
    ofswitch_set_connmgr(ob->sw, ob->mgr);
    struct of_desc desc;
    memset(&desc, 0, sizeof desc);
    snprintf(desc.mfr_desc, sizeof desc.mfr_desc, "vswitch");
    snprintf(desc.hw_desc, sizeof desc.hw_desc, "vswitch");
    snprintf(desc.sw_desc, sizeof desc.sw_desc, "vswitch");
    snprintf(desc.serial_num, sizeof desc.serial_num, "None");
    snprintf(desc.dp_desc, sizeof desc.dp_desc, "%s", name);
    ofswitch_set_desc(ob->sw, &desc);

    char why[256] = "";
    unlink(ob->mgmt_target + strlen("punix:"));      /* stale socket */
    int rc = of_connmgr_add(ob->mgr, ob->mgmt_target, why, sizeof why);
    if (rc) {
        snprintf(err, errlen, "cannot listen on %s: %s", ob->mgmt_target,
                 why[0] ? why : strerror(-rc));
        ctl_ofbridge_destroy(ob);
        return rc;
    }

    dp_bridge_set_pipeline(dp, ob->pipeline);
    dp_bridge_set_generation_cb(dp, on_generation, ob);
    dp_bridge_set_packet_in_cb(dp, on_packet_in, ob);
    dp_bridge_set_port_status_cb(dp, on_port_status, ob);
    *out = ob;
    return 0;
}

void
ctl_ofbridge_destroy(struct ctl_ofbridge *ob)
{
    if (!ob) {
        return;
    }
    if (ob->mgr) {
        of_connmgr_destroy(ob->mgr);
        unlink(ob->mgmt_target + strlen("punix:"));
    }
    if (ob->sw) {
        ofswitch_destroy(ob->sw);
    }
    if (ob->dp && ob->pipeline) {
        dp_bridge_set_packet_in_cb(ob->dp, NULL, NULL);
        dp_bridge_set_port_status_cb(ob->dp, NULL, NULL);
        dp_bridge_set_generation_cb(ob->dp, NULL, NULL);
        dp_bridge_set_pipeline(ob->dp, NULL);
    }
    if (ob->pipeline) {
        ft_pipeline_destroy(ob->pipeline);
    }
    free(ob->ports);
    free(ob);
}

/* ---- controllers ---------------------------------------------------------- */

int
ctl_ofbridge_set_controllers(struct ctl_ofbridge *ob,
                             const char *const *targets, size_t n,
                             char *err, size_t errlen)
{
    /* The management listener is part of the set at all times. */
    const char **all = calloc(n + 1, sizeof *all);
    if (!all) {
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    all[0] = ob->mgmt_target;
    for (size_t i = 0; i < n; i++) {
        all[i + 1] = targets[i];
    }
    char why[256] = "";
    int rc = of_connmgr_set_targets(ob->mgr, all, n + 1, why, sizeof why);
    free(all);
    ob->n_controllers = n;
    if (rc) {
        snprintf(err, errlen, "%s", why[0] ? why : strerror(-rc));
    }
    VLOG_INFO(MOD, "%s: %zu controller target(s)", ob->name, n);
    return rc;
}

size_t
ctl_ofbridge_n_controllers(const struct ctl_ofbridge *ob)
{
    return ob->n_controllers;
}

/* ---- periodic ------------------------------------------------------------- */

int64_t
ctl_ofbridge_run(struct ctl_ofbridge *ob, int64_t now_ms)
{
    uint64_t generation = ft_pipeline_generation(ob->pipeline);
    int64_t next = ft_pipeline_expire(ob->pipeline, now_ms);
    if (ft_pipeline_generation(ob->pipeline) != generation) {
        /* Expired flows must stop forwarding: revalidate now. */
        dp_bridge_sync_generation(ob->dp,
                                  ft_pipeline_generation(ob->pipeline));
    }
    ft_pipeline_reclaim(ob->pipeline);
    return next;
}

size_t
ctl_ofbridge_n_waiting(const struct ctl_ofbridge *ob)
{
    return ofswitch_n_waiting(ob->sw);
}

struct ft_pipeline *
ctl_ofbridge_pipeline(struct ctl_ofbridge *ob)
{
    return ob->pipeline;
}

uint64_t
ctl_ofbridge_datapath_id(const struct ctl_ofbridge *ob)
{
    return ob->dpid;
}

const char *
ctl_ofbridge_mgmt_path(const struct ctl_ofbridge *ob)
{
    return ob->mgmt_target + strlen("punix:");
}
