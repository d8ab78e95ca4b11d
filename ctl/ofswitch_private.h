/*
 * ofswitch_private.h — what ofswitch.c (modifications, packet-out, async
 * messages), ofswitch_stats.c (multipart replies) and ofswitch_bundle.c
 * (ONF bundles) share. Nothing outside these three files includes it.
 *
 * Main thread only.
 */
#ifndef VSWITCH_CTL_OFSWITCH_PRIVATE_H
#define VSWITCH_CTL_OFSWITCH_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ctl/ofswitch.h"
#include "flowtable/ft_pipeline.h"
#include "openflow/of_connmgr.h"
#include "openflow/openflow.h"

/* OpenFlow 1.3 codes openflow.h does not name (the codec never produces
 * them; only the switch does). */
enum {
    OFS_OFPPMFC_BAD_PORT = 0,       /* OFPET_PORT_MOD_FAILED */
    OFS_OFPPMFC_BAD_HW_ADDR = 1,
    OFS_OFPPMFC_BAD_CONFIG = 2,
    OFS_OFPPMFC_BAD_ADVERTISE = 3,
    OFS_OFPPMFC_EPERM = 4,
    OFS_OFPTMFC_BAD_TABLE = 0,      /* OFPET_TABLE_MOD_FAILED */
    OFS_OFPTMFC_BAD_CONFIG = 1,
    OFS_OFPQOFC_BAD_PORT = 0,       /* OFPET_QUEUE_OP_FAILED */
    OFS_OFPQOFC_BAD_QUEUE = 1,
    OFS_OFPSCFC_BAD_FLAGS = 0,      /* OFPET_SWITCH_CONFIG_FAILED */
    OFS_OFPTFFC_EPERM = 5,          /* OFPET_TABLE_FEATURES_FAILED */
    OFS_OFPMMFC_UNKNOWN_METER = 3,  /* OFPET_METER_MOD_FAILED */
};

/* ofp_port_config bits 1.3 defines (the others were removed in 1.3). */
#define OFS_OFPPC_ALL (FT_OFPPC_PORT_DOWN | FT_OFPPC_NO_RECV \
                       | FT_OFPPC_NO_FWD | FT_OFPPC_NO_PACKET_IN)
/* ofp_table_config: 1.3 keeps only the deprecated bits 0..1. */
#define OFS_OFPTC_DEPRECATED_MASK 3u
#define OFS_OFPQ_ALL 0xffffffffu
/* ofp_capabilities. */
#define OFS_OFPC_FLOW_STATS  (1u << 0)
#define OFS_OFPC_TABLE_STATS (1u << 1)
#define OFS_OFPC_PORT_STATS  (1u << 2)
#define OFS_OFPC_GROUP_STATS (1u << 3)

#define OFS_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* A request waiting for the datapath to reach a generation. */
struct ofs_waiter {
    struct ofs_waiter *next;
    struct of_req *req;
    uint64_t generation;
};

struct ofs_bundle;
struct ft_xlate_out;

struct ofswitch {
    struct ft_pipeline *pipeline;
    struct ofswitch_dp_ops dp;
    void *dp_aux;
    uint64_t datapath_id;
    struct of_connmgr *mgr;
    ofswitch_clock_fn *clock;
    void *clock_aux;
    struct of_desc desc;
    uint32_t max_flows;             /* per table; 0 = unlimited */

    struct ofs_waiter *waiters;     /* oldest first */
    struct ofs_waiter *waiters_tail;
    size_t n_waiters;
    uint64_t applied_generation;    /* highest the datapath reported */

    struct ofs_bundle *bundles;
    size_t n_bundles;
    size_t n_bundle_msgs;           /* over all bundles */

    struct ft_xlate_out *xout;      /* packet-out scratch (big) */
};

int64_t ofs_now(const struct ofswitch *);

/* Ends a successful change: DONE if the datapath is already at the
 * pipeline's generation, else PENDING until ofswitch_generation_applied. */
enum of_req_result ofs_wait_datapath(struct ofswitch *, struct of_req *);

/* The error for a conversion that failed with 'error' (-EINVAL: '*err' is
 * already set; -ENOMEM: BAD_REQUEST/EPERM). Always OF_REQ_ERROR. */
enum of_req_result ofs_conv_error(int error, struct of_err *err);

/* The bridge's ports from the datapath: a malloc'd array (free() it) of
 * '*n' entries, or NULL with *n = 0 (none, or ENOMEM). */
struct of_port *ofs_get_ports(struct ofswitch *, size_t *n);
bool ofs_find_port(struct ofswitch *, uint32_t port_no, struct of_port *out);

/* ofswitch_stats.c: OFPT_MULTIPART_REQUEST and QUEUE_GET_CONFIG. */
enum of_req_result ofs_handle_multipart(void *aux, struct of_req *,
                                        const struct of_msg *,
                                        struct of_err *);
enum of_req_result ofs_handle_queue_get_config(void *aux, struct of_req *,
                                               const struct of_msg *,
                                               struct of_err *);

/* ofswitch_bundle.c: the ONF bundle experimenter messages. */
enum of_req_result ofs_handle_bundle(struct ofswitch *, struct of_req *,
                                     const struct of_msg *, struct of_err *);
void ofs_bundles_conn_closed(void *aux, uint64_t conn_id);
void ofs_bundles_destroy(struct ofswitch *);

#endif
