/*
 * openflow.h — the OpenFlow 1.3.5 wire codec: messages, OXM matches,
 * instructions, actions, multipart bodies, the ONF bundle extension
 * (EXT-230) and OpenFlow ERROR replies.
 *
 * What it is
 * ----------
 * of_msg_decode() turns one framed message (header included) into a
 * struct of_msg; of_msg_encode() turns a struct of_msg back into bytes.
 * The in-memory form is narrow: one plain struct per message body,
 * actions/instructions/buckets/bands/properties as arrays of tagged
 * structs, and matches decoded straight into the flowtable's
 * struct ft_match (see flowtable/ft_key.h for the key conventions).
 *
 * How it is built (data-driven)
 * -----------------------------
 * Every fixed part (a message body, a multipart body, a flow-stats entry,
 * an action, an instruction, a band, a table-features property...) is
 * described once by a layout table: the list of wire fields in order
 * (u8/u16/u32/u64, pads, byte arrays, self-length fields) and where each
 * lands in the C struct. One interpreter (of_layout.c) decodes, encodes,
 * compares and formats every layout, so there is no per-message switch.
 * Each OXM field likewise has one descriptor (id, wire length, maskable,
 * prerequisite, key offset and bit mapping, settable by SET_FIELD) in
 * of_oxm.c; matches, set-field actions and the prereq check all walk it.
 *
 * Invariants
 * ----------
 *  - Never trust the wire: every length, count and offset is checked
 *    against the enclosing element before use; no read ever goes past the
 *    buffer passed in. A malformed message yields the OpenFlow error the
 *    spec names (struct of_err: type + code), ready for of_error_encode().
 *  - Round trip: encode(decode(bytes)) == bytes for every message whose
 *    pad bytes are zero, and decode(encode(m)) equals m (of_msg_equal()).
 *  - OXM fields keep the order in which they were received (struct
 *    of_match.fields), so stats replies echo the controller's match as
 *    sent; instructions, actions, buckets and bands are arrays in wire
 *    order for the same reason.
 *  - Opaque payloads (packet data, echo data, experimenter bodies) are
 *    of_blob views into the decoded buffer: the buffer must outlive the
 *    decoded message. Everything else a decode allocates lives in the
 *    message's arena and is freed by of_msg_uninit().
 *
 * Threads
 * -------
 * The codec is pure: no globals written, no locks, no I/O. Any thread may
 * call anything here on its own objects (in practice the main thread's
 * OpenFlow connections).
 */
#ifndef VSWITCH_OPENFLOW_OPENFLOW_H
#define VSWITCH_OPENFLOW_OPENFLOW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flowtable/ft_match.h"

/* ------------------------------------------------------------------------
 * Protocol constants (OpenFlow 1.3.5 + ONF EXT-230). Values are the wire's.
 * ---------------------------------------------------------------------- */

#define OFP_VERSION_1_3   0x04
#define OFP_HEADER_LEN    8
#define OFP_MAX_MSG_LEN   65535     /* the header's length field is 16 bits */
#define OFP_ERROR_ECHO_MAX 64       /* bytes of the offending message echoed */
#define OFP_TCP_PORT      6653

enum ofp_type {
    OFPT_HELLO = 0, OFPT_ERROR = 1, OFPT_ECHO_REQUEST = 2, OFPT_ECHO_REPLY = 3,
    OFPT_EXPERIMENTER = 4, OFPT_FEATURES_REQUEST = 5, OFPT_FEATURES_REPLY = 6,
    OFPT_GET_CONFIG_REQUEST = 7, OFPT_GET_CONFIG_REPLY = 8, OFPT_SET_CONFIG = 9,
    OFPT_PACKET_IN = 10, OFPT_FLOW_REMOVED = 11, OFPT_PORT_STATUS = 12,
    OFPT_PACKET_OUT = 13, OFPT_FLOW_MOD = 14, OFPT_GROUP_MOD = 15,
    OFPT_PORT_MOD = 16, OFPT_TABLE_MOD = 17, OFPT_MULTIPART_REQUEST = 18,
    OFPT_MULTIPART_REPLY = 19, OFPT_BARRIER_REQUEST = 20,
    OFPT_BARRIER_REPLY = 21, OFPT_QUEUE_GET_CONFIG_REQUEST = 22,
    OFPT_QUEUE_GET_CONFIG_REPLY = 23, OFPT_ROLE_REQUEST = 24,
    OFPT_ROLE_REPLY = 25, OFPT_GET_ASYNC_REQUEST = 26,
    OFPT_GET_ASYNC_REPLY = 27, OFPT_SET_ASYNC = 28, OFPT_METER_MOD = 29,
};

enum ofp_multipart_type {
    OFPMP_DESC = 0, OFPMP_FLOW = 1, OFPMP_AGGREGATE = 2, OFPMP_TABLE = 3,
    OFPMP_PORT_STATS = 4, OFPMP_QUEUE = 5, OFPMP_GROUP = 6,
    OFPMP_GROUP_DESC = 7, OFPMP_GROUP_FEATURES = 8, OFPMP_METER = 9,
    OFPMP_METER_CONFIG = 10, OFPMP_METER_FEATURES = 11,
    OFPMP_TABLE_FEATURES = 12, OFPMP_PORT_DESC = 13,
    OFPMP_EXPERIMENTER = 0xffff,
};
#define OFPMPF_REQ_MORE   0x0001    /* more request parts follow */
#define OFPMPF_REPLY_MORE 0x0001    /* more reply parts follow */

enum ofp_instruction_type {
    OFPIT_GOTO_TABLE = 1, OFPIT_WRITE_METADATA = 2, OFPIT_WRITE_ACTIONS = 3,
    OFPIT_APPLY_ACTIONS = 4, OFPIT_CLEAR_ACTIONS = 5, OFPIT_METER = 6,
    OFPIT_EXPERIMENTER = 0xffff,
};

enum ofp_action_type {
    OFPAT_OUTPUT = 0, OFPAT_COPY_TTL_OUT = 11, OFPAT_COPY_TTL_IN = 12,
    OFPAT_SET_MPLS_TTL = 15, OFPAT_DEC_MPLS_TTL = 16, OFPAT_PUSH_VLAN = 17,
    OFPAT_POP_VLAN = 18, OFPAT_PUSH_MPLS = 19, OFPAT_POP_MPLS = 20,
    OFPAT_SET_QUEUE = 21, OFPAT_GROUP = 22, OFPAT_SET_NW_TTL = 23,
    OFPAT_DEC_NW_TTL = 24, OFPAT_SET_FIELD = 25, OFPAT_PUSH_PBB = 26,
    OFPAT_POP_PBB = 27, OFPAT_EXPERIMENTER = 0xffff,
};

/* Reserved port numbers. */
#define OFPP_MAX        0xffffff00u
#define OFPP_IN_PORT    0xfffffff8u
#define OFPP_TABLE      0xfffffff9u
#define OFPP_NORMAL     0xfffffffau
#define OFPP_FLOOD      0xfffffffbu
#define OFPP_ALL        0xfffffffcu
#define OFPP_CONTROLLER 0xfffffffdu
#define OFPP_LOCAL      0xfffffffeu
#define OFPP_ANY        0xffffffffu
#define OFPG_ANY        0xffffffffu
#define OFPG_ALL        0xfffffffcu
#define OFPTT_ALL       0xff
#define OFP_NO_BUFFER   0xffffffffu
#define OFPCML_NO_BUFFER 0xffff

#define OFPMT_STANDARD  0           /* deprecated 1.1 match: rejected */
#define OFPMT_OXM       1

#define OFPXMC_NXM_0          0x0000
#define OFPXMC_NXM_1          0x0001
#define OFPXMC_OPENFLOW_BASIC 0x8000
#define OFPXMC_EXPERIMENTER   0xffff

#define OFPVID_PRESENT  0x1000      /* VLAN_VID: a tag is present */
#define OFPVID_NONE     0x0000      /* VLAN_VID: no tag */

/* OXM basic field ids (oxm_field of class OFPXMC_OPENFLOW_BASIC). */
enum of_oxm_field {
    OFPXMT_OFB_IN_PORT = 0, OFPXMT_OFB_IN_PHY_PORT = 1,
    OFPXMT_OFB_METADATA = 2, OFPXMT_OFB_ETH_DST = 3, OFPXMT_OFB_ETH_SRC = 4,
    OFPXMT_OFB_ETH_TYPE = 5, OFPXMT_OFB_VLAN_VID = 6,
    OFPXMT_OFB_VLAN_PCP = 7, OFPXMT_OFB_IP_DSCP = 8, OFPXMT_OFB_IP_ECN = 9,
    OFPXMT_OFB_IP_PROTO = 10, OFPXMT_OFB_IPV4_SRC = 11,
    OFPXMT_OFB_IPV4_DST = 12, OFPXMT_OFB_TCP_SRC = 13,
    OFPXMT_OFB_TCP_DST = 14, OFPXMT_OFB_UDP_SRC = 15,
    OFPXMT_OFB_UDP_DST = 16, OFPXMT_OFB_SCTP_SRC = 17,
    OFPXMT_OFB_SCTP_DST = 18, OFPXMT_OFB_ICMPV4_TYPE = 19,
    OFPXMT_OFB_ICMPV4_CODE = 20, OFPXMT_OFB_ARP_OP = 21,
    OFPXMT_OFB_ARP_SPA = 22, OFPXMT_OFB_ARP_TPA = 23,
    OFPXMT_OFB_ARP_SHA = 24, OFPXMT_OFB_ARP_THA = 25,
    OFPXMT_OFB_IPV6_SRC = 26, OFPXMT_OFB_IPV6_DST = 27,
    OFPXMT_OFB_IPV6_FLABEL = 28, OFPXMT_OFB_ICMPV6_TYPE = 29,
    OFPXMT_OFB_ICMPV6_CODE = 30, OFPXMT_OFB_IPV6_ND_TARGET = 31,
    OFPXMT_OFB_IPV6_ND_SLL = 32, OFPXMT_OFB_IPV6_ND_TLL = 33,
    OFPXMT_OFB_MPLS_LABEL = 34, OFPXMT_OFB_MPLS_TC = 35,
    OFPXMT_OFB_MPLS_BOS = 36, OFPXMT_OFB_PBB_ISID = 37,
    OFPXMT_OFB_TUNNEL_ID = 38, OFPXMT_OFB_IPV6_EXTHDR = 39,
};
#define OF_OXM_N_FIELDS 40          /* basic fields 0..39 */
#define OF_OXM_MAX_VALUE_LEN 16     /* IPv6 addresses are the widest */

/* Meter bands, queue properties, hello elements, table-features props. */
#define OFPMBT_DROP          1
#define OFPMBT_DSCP_REMARK   2
#define OFPMBT_EXPERIMENTER  0xffff
#define OFPQT_MIN_RATE       1
#define OFPQT_MAX_RATE       2
#define OFPQT_EXPERIMENTER   0xffff
#define OFPHET_VERSIONBITMAP 1
enum ofp_table_feature_prop_type {
    OFPTFPT_INSTRUCTIONS = 0, OFPTFPT_INSTRUCTIONS_MISS = 1,
    OFPTFPT_NEXT_TABLES = 2, OFPTFPT_NEXT_TABLES_MISS = 3,
    OFPTFPT_WRITE_ACTIONS = 4, OFPTFPT_WRITE_ACTIONS_MISS = 5,
    OFPTFPT_APPLY_ACTIONS = 6, OFPTFPT_APPLY_ACTIONS_MISS = 7,
    OFPTFPT_MATCH = 8, OFPTFPT_WILDCARDS = 10,
    OFPTFPT_WRITE_SETFIELD = 12, OFPTFPT_WRITE_SETFIELD_MISS = 13,
    OFPTFPT_APPLY_SETFIELD = 14, OFPTFPT_APPLY_SETFIELD_MISS = 15,
    OFPTFPT_EXPERIMENTER = 0xfffe, OFPTFPT_EXPERIMENTER_MISS = 0xffff,
};

/* ONF EXT-230 bundles, carried in OFPT_EXPERIMENTER messages. */
#define ONF_EXPERIMENTER_ID        0x4f4e4600u
#define ONF_ET_BUNDLE_CONTROL      2300
#define ONF_ET_BUNDLE_ADD_MESSAGE  2301
enum onf_bundle_ctrl_type {
    ONF_BCT_OPEN_REQUEST = 0, ONF_BCT_OPEN_REPLY = 1,
    ONF_BCT_CLOSE_REQUEST = 2, ONF_BCT_CLOSE_REPLY = 3,
    ONF_BCT_COMMIT_REQUEST = 4, ONF_BCT_COMMIT_REPLY = 5,
    ONF_BCT_DISCARD_REQUEST = 6, ONF_BCT_DISCARD_REPLY = 7,
};
#define ONF_BF_ATOMIC  0x0001
#define ONF_BF_ORDERED 0x0002

/* Error types and the codes the codec itself produces (the full code
 * tables are in the spec; of_error_name() knows them all). */
enum ofp_error_type {
    OFPET_HELLO_FAILED = 0, OFPET_BAD_REQUEST = 1, OFPET_BAD_ACTION = 2,
    OFPET_BAD_INSTRUCTION = 3, OFPET_BAD_MATCH = 4, OFPET_FLOW_MOD_FAILED = 5,
    OFPET_GROUP_MOD_FAILED = 6, OFPET_PORT_MOD_FAILED = 7,
    OFPET_TABLE_MOD_FAILED = 8, OFPET_QUEUE_OP_FAILED = 9,
    OFPET_SWITCH_CONFIG_FAILED = 10, OFPET_ROLE_REQUEST_FAILED = 11,
    OFPET_METER_MOD_FAILED = 12, OFPET_TABLE_FEATURES_FAILED = 13,
    OFPET_EXPERIMENTER = 0xffff,
};
enum { OFPHFC_INCOMPATIBLE = 0, OFPHFC_EPERM = 1 };
enum {
    OFPBRC_BAD_VERSION = 0, OFPBRC_BAD_TYPE = 1, OFPBRC_BAD_MULTIPART = 2,
    OFPBRC_BAD_EXPERIMENTER = 3, OFPBRC_BAD_EXP_TYPE = 4, OFPBRC_EPERM = 5,
    OFPBRC_BAD_LEN = 6, OFPBRC_BUFFER_EMPTY = 7, OFPBRC_BUFFER_UNKNOWN = 8,
    OFPBRC_BAD_TABLE_ID = 9, OFPBRC_IS_SLAVE = 10, OFPBRC_BAD_PORT = 11,
    OFPBRC_BAD_PACKET = 12, OFPBRC_MULTIPART_BUFFER_OVERFLOW = 13,
};
enum {
    OFPBAC_BAD_TYPE = 0, OFPBAC_BAD_LEN = 1, OFPBAC_BAD_EXPERIMENTER = 2,
    OFPBAC_BAD_EXP_TYPE = 3, OFPBAC_BAD_OUT_PORT = 4, OFPBAC_BAD_ARGUMENT = 5,
    OFPBAC_EPERM = 6, OFPBAC_TOO_MANY = 7, OFPBAC_BAD_QUEUE = 8,
    OFPBAC_BAD_OUT_GROUP = 9, OFPBAC_MATCH_INCONSISTENT = 10,
    OFPBAC_UNSUPPORTED_ORDER = 11, OFPBAC_BAD_TAG = 12,
    OFPBAC_BAD_SET_TYPE = 13, OFPBAC_BAD_SET_LEN = 14,
    OFPBAC_BAD_SET_ARGUMENT = 15,
};
enum {
    OFPBIC_UNKNOWN_INST = 0, OFPBIC_UNSUP_INST = 1, OFPBIC_BAD_TABLE_ID = 2,
    OFPBIC_UNSUP_METADATA = 3, OFPBIC_UNSUP_METADATA_MASK = 4,
    OFPBIC_BAD_EXPERIMENTER = 5, OFPBIC_BAD_EXP_TYPE = 6, OFPBIC_BAD_LEN = 7,
    OFPBIC_EPERM = 8,
};
enum {
    OFPBMC_BAD_TYPE = 0, OFPBMC_BAD_LEN = 1, OFPBMC_BAD_TAG = 2,
    OFPBMC_BAD_DL_ADDR_MASK = 3, OFPBMC_BAD_NW_ADDR_MASK = 4,
    OFPBMC_BAD_WILDCARDS = 5, OFPBMC_BAD_FIELD = 6, OFPBMC_BAD_VALUE = 7,
    OFPBMC_BAD_MASK = 8, OFPBMC_BAD_PREREQ = 9, OFPBMC_DUP_FIELD = 10,
    OFPBMC_EPERM = 11,
};
enum { OFPGMFC_BAD_TYPE = 10, OFPGMFC_BAD_COMMAND = 11, OFPGMFC_BAD_BUCKET = 12 };
enum { OFPMMFC_BAD_COMMAND = 4, OFPMMFC_BAD_FLAGS = 5, OFPMMFC_BAD_BAND = 8 };
enum { OFPTFFC_BAD_TYPE = 2, OFPTFFC_BAD_LEN = 3, OFPTFFC_BAD_ARGUMENT = 4 };
enum { OFPFMFC_BAD_TABLE_ID = 2, OFPFMFC_BAD_COMMAND = 6 };
enum { OFPQOFC_BAD_PORT = 0 };

/* An OpenFlow error: what a malformed message earns its sender. */
struct of_err {
    uint16_t type;                  /* OFPET_* */
    uint16_t code;                  /* the type's code */
};

/* ------------------------------------------------------------------------
 * In-memory representation.
 * ---------------------------------------------------------------------- */

/* A view of opaque bytes (packet data, experimenter bodies). Decoded blobs
 * point into the decoded buffer; for encoding they may point anywhere. */
struct of_blob {
    const uint8_t *data;
    uint32_t len;
};

/* Typed arrays: 'items' then 'n', the same layout for every element type
 * (the codec relies on it, see of_private.h). Decoded arrays live in the
 * message's arena; for encoding they may live anywhere. */
#define OF_LIST_OF(T) { T *items; uint32_t n; }

/* One OXM field of a match, in the order received. */
struct of_oxm_ref {
    uint8_t field;                  /* OFPXMT_OFB_* */
    uint8_t has_mask;               /* sent with OXM_HM (even if all-ones) */
};

/* A match: the decoded flowtable match plus the wire order of its fields.
 * ft.key/ft.mask hold the values (ft.key pre-masked); 'fields' says which
 * fields were on the wire, in which order and with or without a mask, so
 * encoding reproduces the controller's bytes exactly. */
struct of_match {
    struct ft_match ft;
    uint8_t n_fields;
    struct of_oxm_ref fields[OF_OXM_N_FIELDS];
};

/* SET_FIELD's argument: one unmasked OXM basic field, value as on the wire. */
struct of_set_field {
    uint8_t field;                  /* OFPXMT_OFB_* */
    uint8_t len;                    /* value length, the field's wire length */
    uint8_t value[OF_OXM_MAX_VALUE_LEN];
};

struct of_experimenter_body {
    uint32_t experimenter;
    struct of_blob data;
};

struct of_action {
    uint16_t type;                  /* OFPAT_* */
    union {
        struct { uint32_t port; uint16_t max_len; } output;
        struct { uint32_t group_id; } group;
        struct { uint32_t queue_id; } set_queue;
        struct { uint8_t ttl; } ttl;            /* SET_MPLS_TTL, SET_NW_TTL */
        struct { uint16_t ethertype; } push;    /* PUSH_*, POP_MPLS */
        struct of_set_field set_field;
        struct of_experimenter_body experimenter;
    };
};
struct of_action_list OF_LIST_OF(struct of_action);

struct of_instruction {
    uint16_t type;                  /* OFPIT_* */
    union {
        struct { uint8_t table_id; } goto_table;
        struct { uint64_t metadata; uint64_t metadata_mask; } write_metadata;
        struct of_action_list actions;  /* WRITE/APPLY/CLEAR_ACTIONS */
        struct { uint32_t meter_id; } meter;
        struct of_experimenter_body experimenter;
    };
};
struct of_instruction_list OF_LIST_OF(struct of_instruction);

struct of_bucket {
    uint16_t weight;
    uint32_t watch_port;
    uint32_t watch_group;
    struct of_action_list actions;
};
struct of_bucket_list OF_LIST_OF(struct of_bucket);

struct of_meter_band {
    uint16_t type;                  /* OFPMBT_* */
    uint32_t rate;
    uint32_t burst_size;
    uint8_t prec_level;             /* DSCP_REMARK */
    uint32_t experimenter;          /* EXPERIMENTER */
};
struct of_meter_band_list OF_LIST_OF(struct of_meter_band);

struct of_u8_list OF_LIST_OF(uint8_t);
struct of_u32_list OF_LIST_OF(uint32_t);

/* HELLO element; unknown types are kept raw (the spec says ignore them). */
struct of_hello_elem {
    uint16_t type;                  /* OFPHET_* */
    struct of_u32_list bitmaps;     /* VERSIONBITMAP */
    struct of_blob data;            /* any other type: body as received */
};
struct of_hello_elem_list OF_LIST_OF(struct of_hello_elem);

struct of_port {
    uint32_t port_no;
    uint8_t hw_addr[6];
    char name[16];
    uint32_t config, state;
    uint32_t curr, advertised, supported, peer;
    uint32_t curr_speed, max_speed;
};
struct of_port_list OF_LIST_OF(struct of_port);

struct of_queue_prop {
    uint16_t type;                  /* OFPQT_* */
    uint16_t rate;                  /* MIN_RATE, MAX_RATE */
    struct of_experimenter_body experimenter;
};
struct of_queue_prop_list OF_LIST_OF(struct of_queue_prop);

struct of_packet_queue {
    uint32_t queue_id;
    uint32_t port;
    struct of_queue_prop_list properties;
};
struct of_packet_queue_list OF_LIST_OF(struct of_packet_queue);

/* A type/length id as listed by table-features (instruction/action ids). */
struct of_feature_id {
    uint16_t type;
    struct of_blob data;            /* experimenter ids carry more */
};
struct of_feature_id_list OF_LIST_OF(struct of_feature_id);

struct of_table_feature_prop {
    uint16_t type;                  /* OFPTFPT_* */
    struct of_feature_id_list ids;  /* INSTRUCTIONS*, *_ACTIONS* */
    struct of_u8_list tables;       /* NEXT_TABLES* */
    struct of_u32_list oxm_ids;     /* MATCH, WILDCARDS, *_SETFIELD* */
    uint32_t experimenter;          /* EXPERIMENTER* */
    uint32_t exp_type;
    struct of_blob data;
};
struct of_table_feature_prop_list OF_LIST_OF(struct of_table_feature_prop);

struct of_table_features {
    uint8_t table_id;
    char name[32];
    uint64_t metadata_match, metadata_write;
    uint32_t config;
    uint32_t max_entries;
    struct of_table_feature_prop_list properties;
};
struct of_table_features_list OF_LIST_OF(struct of_table_features);

struct of_flow_stats {
    uint8_t table_id;
    uint32_t duration_sec, duration_nsec;
    uint16_t priority, idle_timeout, hard_timeout, flags;
    uint64_t cookie, packet_count, byte_count;
    struct of_match match;
    struct of_instruction_list instructions;
};
struct of_flow_stats_list OF_LIST_OF(struct of_flow_stats);

struct of_table_stats {
    uint8_t table_id;
    uint32_t active_count;
    uint64_t lookup_count, matched_count;
};
struct of_table_stats_list OF_LIST_OF(struct of_table_stats);

struct of_port_stats {
    uint32_t port_no;
    uint64_t rx_packets, tx_packets, rx_bytes, tx_bytes;
    uint64_t rx_dropped, tx_dropped, rx_errors, tx_errors;
    uint64_t rx_frame_err, rx_over_err, rx_crc_err, collisions;
    uint32_t duration_sec, duration_nsec;
};
struct of_port_stats_list OF_LIST_OF(struct of_port_stats);

struct of_queue_stats {
    uint32_t port_no, queue_id;
    uint64_t tx_bytes, tx_packets, tx_errors;
    uint32_t duration_sec, duration_nsec;
};
struct of_queue_stats_list OF_LIST_OF(struct of_queue_stats);

struct of_counter_pair {            /* bucket and band counters */
    uint64_t packet_count, byte_count;
};
struct of_counter_pair_list OF_LIST_OF(struct of_counter_pair);

struct of_group_stats {
    uint32_t group_id, ref_count;
    uint64_t packet_count, byte_count;
    uint32_t duration_sec, duration_nsec;
    struct of_counter_pair_list bucket_stats;
};
struct of_group_stats_list OF_LIST_OF(struct of_group_stats);

struct of_group_desc {
    uint8_t type;
    uint32_t group_id;
    struct of_bucket_list buckets;
};
struct of_group_desc_list OF_LIST_OF(struct of_group_desc);

struct of_meter_stats {
    uint32_t meter_id, flow_count;
    uint64_t packet_in_count, byte_in_count;
    uint32_t duration_sec, duration_nsec;
    struct of_counter_pair_list band_stats;
};
struct of_meter_stats_list OF_LIST_OF(struct of_meter_stats);

struct of_meter_config {
    uint16_t flags;
    uint32_t meter_id;
    struct of_meter_band_list bands;
};
struct of_meter_config_list OF_LIST_OF(struct of_meter_config);

/* ---- message bodies ---- */

struct of_hello { struct of_hello_elem_list elements; };

struct of_error_msg {
    uint16_t type;                  /* OFPET_* */
    uint16_t code;                  /* or exp_type when type is EXPERIMENTER */
    struct of_blob data;            /* echoed request; for OFPET_EXPERIMENTER
                                     * the 32-bit experimenter id, then data */
};

struct of_echo { struct of_blob data; };

struct of_experimenter_msg {
    uint32_t experimenter;
    uint32_t exp_type;
    struct of_blob data;
};

struct of_msg;
struct of_bundle_ctrl {
    uint32_t experimenter;          /* ONF_EXPERIMENTER_ID */
    uint32_t exp_type;              /* ONF_ET_BUNDLE_CONTROL */
    uint32_t bundle_id;
    uint16_t type;                  /* ONF_BCT_* */
    uint16_t flags;                 /* ONF_BF_* */
    struct of_blob properties;      /* raw property TLVs */
};
struct of_bundle_add {
    uint32_t experimenter;          /* ONF_EXPERIMENTER_ID */
    uint32_t exp_type;              /* ONF_ET_BUNDLE_ADD_MESSAGE */
    uint32_t bundle_id;
    uint16_t flags;                 /* ONF_BF_* */
    struct of_msg *message;         /* the bundled message, fully decoded */
    struct of_blob properties;      /* raw property TLVs (after 8-padding) */
};

struct of_features_reply {
    uint64_t datapath_id;
    uint32_t n_buffers;
    uint8_t n_tables, auxiliary_id;
    uint32_t capabilities, reserved;
};

struct of_switch_config { uint16_t flags, miss_send_len; };

struct of_packet_in {
    uint32_t buffer_id;
    uint16_t total_len;
    uint8_t reason, table_id;
    uint64_t cookie;
    struct of_match match;
    struct of_blob data;
};

struct of_flow_removed {
    uint64_t cookie;
    uint16_t priority;
    uint8_t reason, table_id;
    uint32_t duration_sec, duration_nsec;
    uint16_t idle_timeout, hard_timeout;
    uint64_t packet_count, byte_count;
    struct of_match match;
};

struct of_port_status {
    uint8_t reason;
    struct of_port desc;
};

struct of_packet_out {
    uint32_t buffer_id, in_port;
    struct of_action_list actions;
    struct of_blob data;
};

struct of_flow_mod {
    uint64_t cookie, cookie_mask;
    uint8_t table_id, command;
    uint16_t idle_timeout, hard_timeout, priority;
    uint32_t buffer_id, out_port, out_group;
    uint16_t flags;
    struct of_match match;
    struct of_instruction_list instructions;
};

struct of_group_mod {
    uint16_t command;
    uint8_t type;
    uint32_t group_id;
    struct of_bucket_list buckets;
};

struct of_port_mod {
    uint32_t port_no;
    uint8_t hw_addr[6];
    uint32_t config, mask, advertise;
};

struct of_table_mod { uint8_t table_id; uint32_t config; };

struct of_queue_get_config_request { uint32_t port; };
struct of_queue_get_config_reply {
    uint32_t port;
    struct of_packet_queue_list queues;
};

struct of_role { uint32_t role; uint64_t generation_id; };

struct of_async_config {
    uint32_t packet_in_mask[2], port_status_mask[2], flow_removed_mask[2];
};

struct of_meter_mod {
    uint16_t command, flags;
    uint32_t meter_id;
    struct of_meter_band_list bands;
};

/* Multipart bodies (request or reply, per 'type' and the message type). */
struct of_desc {
    char mfr_desc[256], hw_desc[256], sw_desc[256];
    char serial_num[32], dp_desc[256];
};
struct of_flow_stats_request {      /* OFPMP_FLOW and OFPMP_AGGREGATE */
    uint8_t table_id;
    uint32_t out_port, out_group;
    uint64_t cookie, cookie_mask;
    struct of_match match;
};
struct of_aggregate_reply {
    uint64_t packet_count, byte_count;
    uint32_t flow_count;
};
struct of_port_queue_request { uint32_t port_no, queue_id; };  /* PORT_STATS uses port_no */
struct of_id_request { uint32_t id; };   /* GROUP, METER, METER_CONFIG */
struct of_group_features {
    uint32_t types, capabilities;
    uint32_t max_groups[4], actions[4];
};
struct of_meter_features {
    uint32_t max_meter, band_types, capabilities;
    uint8_t max_bands, max_color;
};

struct of_multipart {
    uint16_t type;                  /* OFPMP_* */
    uint16_t flags;                 /* OFPMPF_*_MORE */
    union {
        struct of_desc desc;                        /* DESC reply */
        struct of_flow_stats_request flow_request;  /* FLOW, AGGREGATE req */
        struct of_flow_stats_list flows;            /* FLOW reply */
        struct of_aggregate_reply aggregate;        /* AGGREGATE reply */
        struct of_table_stats_list tables;          /* TABLE reply */
        struct of_port_queue_request port_queue;    /* PORT_STATS, QUEUE req */
        struct of_port_stats_list port_stats;       /* PORT_STATS reply */
        struct of_queue_stats_list queue_stats;     /* QUEUE reply */
        struct of_id_request id_request;            /* GROUP, METER, METER_CONFIG req */
        struct of_group_stats_list group_stats;     /* GROUP reply */
        struct of_group_desc_list group_descs;      /* GROUP_DESC reply */
        struct of_group_features group_features;    /* GROUP_FEATURES reply */
        struct of_meter_stats_list meter_stats;     /* METER reply */
        struct of_meter_config_list meter_configs;  /* METER_CONFIG reply */
        struct of_meter_features meter_features;    /* METER_FEATURES reply */
        struct of_table_features_list table_features; /* TABLE_FEATURES */
        struct of_port_list ports;                  /* PORT_DESC reply */
        struct of_experimenter_msg experimenter;    /* EXPERIMENTER */
    };
};

/* Decoded messages allocate from a per-message arena (chunks freed at
 * once by of_msg_uninit), so a failed decode half-way leaks nothing. */
struct of_arena_chunk;
struct of_arena {
    struct of_arena_chunk *head;
};

struct of_msg {
    uint8_t version;                /* OFP_VERSION_1_3 (HELLO: any) */
    uint8_t type;                   /* OFPT_* */
    uint32_t xid;
    union {
        struct of_hello hello;
        struct of_error_msg error;
        struct of_echo echo;                        /* ECHO_REQUEST/REPLY */
        struct of_experimenter_msg experimenter;    /* generic EXPERIMENTER */
        struct of_bundle_ctrl bundle_ctrl;          /* ONF bundle control */
        struct of_bundle_add bundle_add;            /* ONF bundle add */
        struct of_features_reply features;
        struct of_switch_config config;             /* GET_CONFIG_REPLY, SET_CONFIG */
        struct of_packet_in packet_in;
        struct of_flow_removed flow_removed;
        struct of_port_status port_status;
        struct of_packet_out packet_out;
        struct of_flow_mod flow_mod;
        struct of_group_mod group_mod;
        struct of_port_mod port_mod;
        struct of_table_mod table_mod;
        struct of_multipart multipart;              /* MULTIPART_REQUEST/REPLY */
        struct of_queue_get_config_request queue_get_config_request;
        struct of_queue_get_config_reply queue_get_config_reply;
        struct of_role role;                        /* ROLE_REQUEST/REPLY */
        struct of_async_config async;               /* GET_ASYNC_REPLY, SET_ASYNC */
        struct of_meter_mod meter_mod;
    };
    struct of_arena arena;          /* decode allocations; not compared */
};

/* A growable output buffer for encoding. */
struct of_buf {
    uint8_t *data;
    size_t len;
    size_t cap;
};

/* ------------------------------------------------------------------------
 * API.
 * ---------------------------------------------------------------------- */

/* Zeroes 'msg' and sets version 1.3, 'type' and 'xid'. */
void of_msg_init(struct of_msg *msg, uint8_t type, uint32_t xid);

/* Frees what a decode allocated (a no-op for a builder-made message). */
void of_msg_uninit(struct of_msg *msg);

/* Allocates 'size' zeroed bytes from 'msg's arena (for building lists);
 * NULL on out of memory. Freed by of_msg_uninit(). */
void *of_msg_alloc(struct of_msg *msg, size_t size);

/* Length of the message framed at 'buf' (from its header), or 0 when fewer
 * than OFP_HEADER_LEN bytes are available. For stream framing. */
size_t of_msg_peek_len(const void *buf, size_t len);

/* Decodes exactly one message occupying all of buf[0..len). On success
 * returns 0 and fills 'msg' (call of_msg_uninit() later). A malformed
 * message returns -EBADMSG and fills '*err' with the OpenFlow error to
 * send back (of_error_encode()); -ENOMEM on allocation failure. 'msg' must
 * be uninitialised with of_msg_uninit() in every case. */
int of_msg_decode(const void *buf, size_t len, struct of_msg *msg,
                  struct of_err *err);

/* Appends the wire form of 'msg' to 'out'. 0, -EINVAL for an in-memory
 * message that cannot be expressed (unknown type, bad field id), -EMSGSIZE
 * past 65535 bytes, -ENOMEM. On error 'out' is left as it was. */
int of_msg_encode(const struct of_msg *msg, struct of_buf *out);

/* Encodes a multipart reply (or request) whose body is a list, splitting
 * the list over as many messages as needed to stay under 'max_len' bytes
 * each (0 means OFP_MAX_MSG_LEN); every part but the last carries the MORE
 * flag. Non-list bodies encode as one message. Returns the number of
 * messages appended, or a negative errno as of_msg_encode(). */
int of_multipart_encode_split(const struct of_msg *msg, size_t max_len,
                              struct of_buf *out);

/* Reassembly of a MORE sequence: appends the list entries of 'part' to
 * 'acc' (both the same message and multipart type); 'acc' takes the
 * flags of 'part', so the MORE bit is clear once the last part is in.
 * The entry array is copied into 'acc's arena but the copy is shallow:
 * nested arrays (matches' instructions, buckets...) still live in 'part's
 * arena and blobs in its buffer, so keep every part alive as long as
 * 'acc'. 0, -EINVAL on a type mismatch or a non-list body, -ENOMEM. */
int of_multipart_append(struct of_msg *acc, const struct of_msg *part);

/* Deep equality (arenas and blob addresses are not compared, contents are). */
bool of_msg_equal(const struct of_msg *a, const struct of_msg *b);

/* Canonical one-line JSON rendering of 'msg' for logs and tests. Returns
 * the length needed, like snprintf. */
int of_msg_format(const struct of_msg *msg, char *buf, size_t size);

/* Name of a message type ("FLOW_MOD"), multipart type, error type/code. */
const char *of_msg_type_name(uint8_t type);
const char *of_multipart_type_name(uint16_t type);
const char *of_error_type_name(uint16_t type);
const char *of_error_code_name(uint16_t type, uint16_t code);

/* Appends an OFPT_ERROR with 'err' in reply to the message in
 * offending[0..len): xid copied from its header (0 if it had none), data
 * echoing its first min(len, OFP_ERROR_ECHO_MAX) bytes. 0 or -ENOMEM. */
int of_error_encode(const struct of_err *err, const void *offending,
                    size_t len, struct of_buf *out);

void of_buf_init(struct of_buf *buf);
void of_buf_uninit(struct of_buf *buf);
void of_buf_clear(struct of_buf *buf);

/* ---- OXM ---- */

/* Name ("vlan_vid"), wire value length and maskability of a basic field;
 * NULL/0/false for an unknown id. */
const char *of_oxm_field_name(uint8_t field);
int of_oxm_field_by_name(const char *name);      /* field id or -1 */
unsigned int of_oxm_field_len(uint8_t field);
bool of_oxm_field_maskable(uint8_t field);
bool of_oxm_field_settable(uint8_t field);

/* Adds 'field' to 'match' (after the fields already there) with the wire
 * value 'value' and mask 'mask' (NULL for exact). Validates as a decode
 * would: 0 or -EINVAL (with '*err' set when non-NULL). */
int of_match_add(struct of_match *match, uint8_t field, const void *value,
                 const void *mask, struct of_err *err);

/* Reads 'field' of 'match' back in wire form. Returns true if present. */
bool of_match_get(const struct of_match *match, uint8_t field,
                  uint8_t value[OF_OXM_MAX_VALUE_LEN],
                  uint8_t mask[OF_OXM_MAX_VALUE_LEN], bool *has_mask);

/* Builds 'match' from a flowtable match (e.g. a packet-in's key): every
 * OXM field whose mask is non-zero, in field-id order, masked where the
 * mask is partial. Fields the key holds but OXM cannot express (a second
 * VLAN tag, tunnel addresses, recirc_id...) are left out. */
void of_match_from_ft(struct of_match *match, const struct ft_match *ft);

/* Checks every field's prerequisites (spec 7.2.3.6) on an assembled match:
 * 0, or -EINVAL with *err = BAD_MATCH/BAD_PREREQ. */
int of_match_check_prereqs(const struct of_match *match, struct of_err *err);

/* Applies a SET_FIELD value to 'key' (what xlate and packet-out do): writes
 * the field's bits with the key's encoding conventions, leaving the rest.
 * 'mask', when non-NULL, gets the field's bits set. */
void of_set_field_apply(const struct of_set_field *sf, struct ft_key *key,
                        struct ft_key *mask);

#endif
