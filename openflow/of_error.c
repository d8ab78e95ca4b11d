/*
 * of_error.c — OpenFlow ERROR replies and the names of error types and
 * codes (for logs, tests and the codec tool).
 *
 * of_error_encode() builds the reply a malformed message earns: the
 * offending message's xid, the type/code the decoder chose, and its first
 * bytes echoed (up to OFP_ERROR_ECHO_MAX), as the spec asks so the
 * controller can tell which request failed.
 *
 * Pure; any thread.
 */
#include "openflow/of_private.h"

#define N(a) OF_ARRAY_SIZE(a)

static const char *const hello_failed[] = { "INCOMPATIBLE", "EPERM" };
static const char *const bad_request[] = {
    "BAD_VERSION", "BAD_TYPE", "BAD_MULTIPART", "BAD_EXPERIMENTER",
    "BAD_EXP_TYPE", "EPERM", "BAD_LEN", "BUFFER_EMPTY", "BUFFER_UNKNOWN",
    "BAD_TABLE_ID", "IS_SLAVE", "BAD_PORT", "BAD_PACKET",
    "MULTIPART_BUFFER_OVERFLOW",
};
static const char *const bad_action[] = {
    "BAD_TYPE", "BAD_LEN", "BAD_EXPERIMENTER", "BAD_EXP_TYPE", "BAD_OUT_PORT",
    "BAD_ARGUMENT", "EPERM", "TOO_MANY", "BAD_QUEUE", "BAD_OUT_GROUP",
    "MATCH_INCONSISTENT", "UNSUPPORTED_ORDER", "BAD_TAG", "BAD_SET_TYPE",
    "BAD_SET_LEN", "BAD_SET_ARGUMENT",
};
static const char *const bad_instruction[] = {
    "UNKNOWN_INST", "UNSUP_INST", "BAD_TABLE_ID", "UNSUP_METADATA",
    "UNSUP_METADATA_MASK", "BAD_EXPERIMENTER", "BAD_EXP_TYPE", "BAD_LEN",
    "EPERM",
};
static const char *const bad_match[] = {
    "BAD_TYPE", "BAD_LEN", "BAD_TAG", "BAD_DL_ADDR_MASK", "BAD_NW_ADDR_MASK",
    "BAD_WILDCARDS", "BAD_FIELD", "BAD_VALUE", "BAD_MASK", "BAD_PREREQ",
    "DUP_FIELD", "EPERM",
};
static const char *const flow_mod_failed[] = {
    "UNKNOWN", "TABLE_FULL", "BAD_TABLE_ID", "OVERLAP", "EPERM",
    "BAD_TIMEOUT", "BAD_COMMAND", "BAD_FLAGS",
};
static const char *const group_mod_failed[] = {
    "GROUP_EXISTS", "INVALID_GROUP", "WEIGHT_UNSUPPORTED", "OUT_OF_GROUPS",
    "OUT_OF_BUCKETS", "CHAINING_UNSUPPORTED", "WATCH_UNSUPPORTED", "LOOP",
    "UNKNOWN_GROUP", "CHAINED_GROUP", "BAD_TYPE", "BAD_COMMAND", "BAD_BUCKET",
    "BAD_WATCH", "EPERM",
};
static const char *const port_mod_failed[] = {
    "BAD_PORT", "BAD_HW_ADDR", "BAD_CONFIG", "BAD_ADVERTISE", "EPERM",
};
static const char *const table_mod_failed[] = { "BAD_TABLE", "BAD_CONFIG", "EPERM" };
static const char *const queue_op_failed[] = { "BAD_PORT", "BAD_QUEUE", "EPERM" };
static const char *const switch_config_failed[] = { "BAD_FLAGS", "BAD_LEN", "EPERM" };
static const char *const role_request_failed[] = { "STALE", "UNSUP", "BAD_ROLE" };
static const char *const meter_mod_failed[] = {
    "UNKNOWN", "METER_EXISTS", "INVALID_METER", "UNKNOWN_METER",
    "BAD_COMMAND", "BAD_FLAGS", "BAD_RATE", "BAD_BURST", "BAD_BAND",
    "BAD_BAND_VALUE", "OUT_OF_METERS", "OUT_OF_BANDS",
};
static const char *const table_features_failed[] = {
    "BAD_TABLE", "BAD_METADATA", "BAD_TYPE", "BAD_LEN", "BAD_ARGUMENT", "EPERM",
};

struct error_type_desc {
    const char *name;
    const char *const *codes;
    size_t n_codes;
};

static const struct error_type_desc error_types[] = {
    [OFPET_HELLO_FAILED] = { "HELLO_FAILED", hello_failed, N(hello_failed) },
    [OFPET_BAD_REQUEST] = { "BAD_REQUEST", bad_request, N(bad_request) },
    [OFPET_BAD_ACTION] = { "BAD_ACTION", bad_action, N(bad_action) },
    [OFPET_BAD_INSTRUCTION] = { "BAD_INSTRUCTION", bad_instruction, N(bad_instruction) },
    [OFPET_BAD_MATCH] = { "BAD_MATCH", bad_match, N(bad_match) },
    [OFPET_FLOW_MOD_FAILED] = { "FLOW_MOD_FAILED", flow_mod_failed, N(flow_mod_failed) },
    [OFPET_GROUP_MOD_FAILED] = { "GROUP_MOD_FAILED", group_mod_failed, N(group_mod_failed) },
    [OFPET_PORT_MOD_FAILED] = { "PORT_MOD_FAILED", port_mod_failed, N(port_mod_failed) },
    [OFPET_TABLE_MOD_FAILED] = { "TABLE_MOD_FAILED", table_mod_failed, N(table_mod_failed) },
    [OFPET_QUEUE_OP_FAILED] = { "QUEUE_OP_FAILED", queue_op_failed, N(queue_op_failed) },
    [OFPET_SWITCH_CONFIG_FAILED] = { "SWITCH_CONFIG_FAILED", switch_config_failed,
                                     N(switch_config_failed) },
    [OFPET_ROLE_REQUEST_FAILED] = { "ROLE_REQUEST_FAILED", role_request_failed,
                                    N(role_request_failed) },
    [OFPET_METER_MOD_FAILED] = { "METER_MOD_FAILED", meter_mod_failed, N(meter_mod_failed) },
    [OFPET_TABLE_FEATURES_FAILED] = { "TABLE_FEATURES_FAILED", table_features_failed,
                                      N(table_features_failed) },
};

const char *
of_error_type_name(uint16_t type)
{
    if (type == OFPET_EXPERIMENTER) {
        return "EXPERIMENTER";
    }
    return type < N(error_types) ? error_types[type].name : NULL;
}

const char *
of_error_code_name(uint16_t type, uint16_t code)
{
    if (type >= N(error_types) || code >= error_types[type].n_codes) {
        return NULL;
    }
    return error_types[type].codes[code];
}

int
of_error_encode(const struct of_err *err, const void *offending, size_t len,
                struct of_buf *out)
{
    const uint8_t *req = offending;
    struct of_msg msg;

    of_msg_init(&msg, OFPT_ERROR, len >= OFP_HEADER_LEN ? of_get32(req + 4) : 0);
    msg.error.type = err->type;
    msg.error.code = err->code;
    msg.error.data.data = len ? req : NULL;
    msg.error.data.len = (uint32_t) (len < OFP_ERROR_ECHO_MAX ? len : OFP_ERROR_ECHO_MAX);
    return of_msg_encode(&msg, out);
}
