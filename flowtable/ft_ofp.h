/*
 * ft_ofp.h — the OpenFlow 1.3 numbers the pipeline speaks in: action and
 * instruction types, reserved ports and groups, FLOW_MOD / GROUP_MOD
 * commands and flags, packet-in and flow-removed reasons, and the error
 * types and codes the pipeline returns.
 *
 * flowtable sits below openflow/ in the layering (DESIGN.md), so it keeps
 * its own copy of the spec's values; they are the wire values, so the
 * bridge passes them through without mapping. ft_meter.h has the meter
 * numbers.
 *
 * Pure constants and one plain struct; any thread.
 */
#ifndef VSWITCH_FLOWTABLE_FT_OFP_H
#define VSWITCH_FLOWTABLE_FT_OFP_H

#include <stdbool.h>
#include <stdint.h>

/* Action types (ofp_action_type). */
enum ft_ofpat {
    FT_OFPAT_OUTPUT = 0,
    FT_OFPAT_COPY_TTL_OUT = 11,
    FT_OFPAT_COPY_TTL_IN = 12,
    FT_OFPAT_SET_MPLS_TTL = 15,
    FT_OFPAT_DEC_MPLS_TTL = 16,
    FT_OFPAT_PUSH_VLAN = 17,
    FT_OFPAT_POP_VLAN = 18,
    FT_OFPAT_PUSH_MPLS = 19,
    FT_OFPAT_POP_MPLS = 20,
    FT_OFPAT_SET_QUEUE = 21,
    FT_OFPAT_GROUP = 22,
    FT_OFPAT_SET_NW_TTL = 23,
    FT_OFPAT_DEC_NW_TTL = 24,
    FT_OFPAT_SET_FIELD = 25,
    FT_OFPAT_PUSH_PBB = 26,
    FT_OFPAT_POP_PBB = 27,
};

/* Instruction types (ofp_instruction_type). */
enum ft_ofpit {
    FT_OFPIT_GOTO_TABLE = 1,
    FT_OFPIT_WRITE_METADATA = 2,
    FT_OFPIT_WRITE_ACTIONS = 3,
    FT_OFPIT_APPLY_ACTIONS = 4,
    FT_OFPIT_CLEAR_ACTIONS = 5,
    FT_OFPIT_METER = 6,
};

/* Reserved ports (ofp_port_no). Regular ports are 1..FT_OFPP_MAX. */
#define FT_OFPP_MAX        0xffffff00u
#define FT_OFPP_IN_PORT    0xfffffff8u
#define FT_OFPP_TABLE      0xfffffff9u
#define FT_OFPP_NORMAL     0xfffffffau
#define FT_OFPP_FLOOD      0xfffffffbu
#define FT_OFPP_ALL        0xfffffffcu
#define FT_OFPP_CONTROLLER 0xfffffffdu
#define FT_OFPP_LOCAL      0xfffffffeu
#define FT_OFPP_ANY        0xffffffffu

/* Port config bits the pipeline honours (ofp_port_config). */
#define FT_OFPPC_PORT_DOWN    0x01
#define FT_OFPPC_NO_RECV      0x04
#define FT_OFPPC_NO_FWD       0x20
#define FT_OFPPC_NO_PACKET_IN 0x40

/* Groups (ofp_group). Regular groups are 0..FT_OFPG_MAX. */
#define FT_OFPG_MAX 0xffffff00u
#define FT_OFPG_ALL 0xfffffffcu
#define FT_OFPG_ANY 0xffffffffu

/* Group types and commands. */
#define FT_OFPGT_ALL      0
#define FT_OFPGT_SELECT   1
#define FT_OFPGT_INDIRECT 2
#define FT_OFPGT_FF       3
#define FT_OFPGC_ADD    0
#define FT_OFPGC_MODIFY 1
#define FT_OFPGC_DELETE 2

/* Tables. */
#define FT_N_TABLES 254             /* tables 0..253 (OFPTT_MAX = 0xfe) */
#define FT_OFPTT_ALL 0xff

/* FLOW_MOD commands and flags. */
#define FT_OFPFC_ADD           0
#define FT_OFPFC_MODIFY        1
#define FT_OFPFC_MODIFY_STRICT 2
#define FT_OFPFC_DELETE        3
#define FT_OFPFC_DELETE_STRICT 4
#define FT_OFPFF_SEND_FLOW_REM 0x01
#define FT_OFPFF_CHECK_OVERLAP 0x02
#define FT_OFPFF_RESET_COUNTS  0x04
#define FT_OFPFF_NO_PKT_COUNTS 0x08
#define FT_OFPFF_NO_BYT_COUNTS 0x10
#define FT_OFPFF_ALL           0x1f

/* Packet-in reasons (ofp_packet_in_reason). */
#define FT_OFPR_NO_MATCH    0
#define FT_OFPR_ACTION      1
#define FT_OFPR_INVALID_TTL 2

/* Flow-removed reasons (ofp_flow_removed_reason). */
#define FT_OFPRR_IDLE_TIMEOUT 0
#define FT_OFPRR_HARD_TIMEOUT 1
#define FT_OFPRR_DELETE       2
#define FT_OFPRR_GROUP_DELETE 3

/* Switch config flags the pipeline honours (ofp_config_flags). */
#define FT_OFPC_INVALID_TTL_TO_CONTROLLER 0x0004

/* OFPCML_NO_BUFFER: send the whole packet to the controller. */
#define FT_OFPCML_NO_BUFFER 0xffff

/* Error types (ofp_error_type) and the codes the pipeline returns. */
#define FT_OFPET_BAD_REQUEST       1
#define FT_OFPET_BAD_ACTION        2
#define FT_OFPET_BAD_INSTRUCTION   3
#define FT_OFPET_BAD_MATCH         4
#define FT_OFPET_FLOW_MOD_FAILED   5
#define FT_OFPET_GROUP_MOD_FAILED  6
#define FT_OFPET_METER_MOD_FAILED  12

/* OFPET_BAD_REQUEST */
#define FT_OFPBRC_BAD_TABLE_ID 9
#define FT_OFPBRC_BAD_PORT     11
/* OFPET_BAD_ACTION */
#define FT_OFPBAC_BAD_TYPE           0
#define FT_OFPBAC_BAD_OUT_PORT       4
#define FT_OFPBAC_BAD_ARGUMENT       5
#define FT_OFPBAC_TOO_MANY           7
#define FT_OFPBAC_BAD_QUEUE          8
#define FT_OFPBAC_BAD_OUT_GROUP      9
#define FT_OFPBAC_MATCH_INCONSISTENT 10
#define FT_OFPBAC_UNSUPPORTED_ORDER  11
#define FT_OFPBAC_BAD_TAG            12
#define FT_OFPBAC_BAD_SET_TYPE       13
#define FT_OFPBAC_BAD_SET_LEN        14
#define FT_OFPBAC_BAD_SET_ARGUMENT   15
/* OFPET_BAD_INSTRUCTION */
#define FT_OFPBIC_UNKNOWN_INST        0
#define FT_OFPBIC_UNSUP_INST          1
#define FT_OFPBIC_BAD_TABLE_ID        2
#define FT_OFPBIC_UNSUP_METADATA      3
#define FT_OFPBIC_UNSUP_METADATA_MASK 4
/* OFPET_BAD_MATCH */
#define FT_OFPBMC_BAD_PREREQ 9
/* OFPET_FLOW_MOD_FAILED */
#define FT_OFPFMFC_UNKNOWN      0
#define FT_OFPFMFC_TABLE_FULL   1
#define FT_OFPFMFC_BAD_TABLE_ID 2
#define FT_OFPFMFC_OVERLAP      3
#define FT_OFPFMFC_EPERM        4
#define FT_OFPFMFC_BAD_TIMEOUT  5
#define FT_OFPFMFC_BAD_COMMAND  6
#define FT_OFPFMFC_BAD_FLAGS    7
/* OFPET_GROUP_MOD_FAILED */
#define FT_OFPGMFC_GROUP_EXISTS         0
#define FT_OFPGMFC_INVALID_GROUP        1
#define FT_OFPGMFC_WEIGHT_UNSUPPORTED   2
#define FT_OFPGMFC_OUT_OF_GROUPS        3
#define FT_OFPGMFC_OUT_OF_BUCKETS       4
#define FT_OFPGMFC_CHAINING_UNSUPPORTED 5
#define FT_OFPGMFC_WATCH_UNSUPPORTED    6
#define FT_OFPGMFC_LOOP                 7
#define FT_OFPGMFC_UNKNOWN_GROUP        8
#define FT_OFPGMFC_CHAINED_GROUP        9
#define FT_OFPGMFC_BAD_TYPE             10
#define FT_OFPGMFC_BAD_COMMAND          11
#define FT_OFPGMFC_BAD_BUCKET           12
#define FT_OFPGMFC_BAD_WATCH            13
#define FT_OFPGMFC_EPERM                14
/* OFPET_METER_MOD_FAILED */
#define FT_OFPMMFC_UNKNOWN_METER 3

/* The result of a pipeline change: 0/0 is success, anything else is the
 * OpenFlow error to send back (type, code as on the wire). */
struct ft_ofperr {
    uint16_t type;
    uint16_t code;
};

#define FT_OFPERR_OK ((struct ft_ofperr) { 0, 0 })
#define FT_OFPERR(TYPE, CODE) \
    ((struct ft_ofperr) { FT_OFPET_##TYPE, (CODE) })

static inline bool
ft_ofperr_is_ok(struct ft_ofperr e)
{
    return e.type == 0 && e.code == 0;
}

#endif
