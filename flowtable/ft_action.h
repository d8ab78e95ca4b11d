/*
 * ft_action.h — OpenFlow actions and instructions as the pipeline keeps
 * them: what a flow entry or a group bucket says to do with a packet.
 *
 * What it is
 * ----------
 * The bridge converts the codec's struct of_action / of_instruction into
 * these types once per FLOW_MOD / GROUP_MOD / PACKET_OUT (flowtable must
 * not include openflow/). They are OpenFlow-level: reserved ports, group
 * ids and meter ids are still symbolic; xlate (ft_xlate.h) turns them into
 * pre-resolved datapath actions (ft_dpact.h) once per megaflow.
 *
 * SET_FIELD is kept in two forms: the OXM field id and wire value (echoed
 * back in flow stats and group descriptions), and the masked word writes
 * on struct ft_key that the value means (what xlate applies). The bridge
 * fills both with ft_set_field_init() from the key bits the codec's
 * of_set_field_apply() produced, so flowtable needs no OXM wire knowledge
 * beyond each field's prerequisites (ft_field_prereq).
 *
 * Invariants
 * ----------
 *  - An action list is an array in the order given; instructions are a
 *    fixed struct (OpenFlow allows at most one of each type and executes
 *    them in a fixed order, so the order received carries no meaning).
 *  - ft_actions_check() is the one semantic validation (ports, groups,
 *    prerequisites against a match, argument ranges); it never changes
 *    anything. The codec has already checked lengths and types.
 *
 * Threads: pure data and pure functions; any thread.
 */
#ifndef VSWITCH_FLOWTABLE_FT_ACTION_H
#define VSWITCH_FLOWTABLE_FT_ACTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ft_key.h"
#include "ft_match.h"
#include "ft_ofp.h"

struct ft_group;
struct ft_group_table;

#define FT_SET_FIELD_MAX_WORDS 3    /* a 16-byte IPv6 address may straddle 3 */
#define FT_SET_FIELD_MAX_LEN 16     /* widest OXM value (IPv6 address) */

/* Which packet headers a field needs (OpenFlow 1.3 §7.2.3.6 prerequisites,
 * also what SET_FIELD needs to make sense at translation time). */
enum ft_prereq {
    FT_PREREQ_NONE,
    FT_PREREQ_VLAN,         /* a VLAN tag present */
    FT_PREREQ_IP_ANY,       /* IPv4 or IPv6 (dscp, ecn, ip_proto) */
    FT_PREREQ_IPV4,
    FT_PREREQ_IPV6,
    FT_PREREQ_ARP,
    FT_PREREQ_TCP,          /* IPv4 or IPv6 with nw_proto 6 */
    FT_PREREQ_UDP,          /* ... 17 */
    FT_PREREQ_SCTP,         /* ... 132 */
    FT_PREREQ_ICMPV4,       /* IPv4, nw_proto 1 */
    FT_PREREQ_ICMPV6,       /* IPv6, nw_proto 58 */
    FT_PREREQ_ND_TARGET,    /* ICMPv6 type 135 or 136 */
    FT_PREREQ_ND_SLL,       /* ICMPv6 type 135 */
    FT_PREREQ_ND_TLL,       /* ICMPv6 type 136 */
    FT_PREREQ_MPLS,         /* dl_type 0x8847 or 0x8848 */
    FT_PREREQ_PBB,          /* dl_type 0x88e7 */
};

/* The prerequisite of OXM basic field 'oxm_field' (OFPXMT_OFB_* number). */
enum ft_prereq ft_field_prereq(uint8_t oxm_field);

/* Does a match (key + mask) guarantee 'prereq'? For FLOW_MOD validation
 * (OFPBAC_MATCH_INCONSISTENT): the match must pin the fields that make
 * the prerequisite true (e.g. dl_type=0x0800 and nw_proto=6 for TCP). */
bool ft_prereq_guaranteed(enum ft_prereq, const struct ft_match *match);

/* Does the packet described by 'key' satisfy 'prereq'? For xlate: every
 * field of 'key' this reads is ORed into 'wc' (if not NULL). */
bool ft_prereq_holds(enum ft_prereq, const struct ft_key *key,
                     struct ft_mask *wc);

struct ft_set_field {
    uint8_t oxm_field;                      /* OFPXMT_OFB_* */
    uint8_t len;                            /* wire value length */
    uint8_t value[FT_SET_FIELD_MAX_LEN];    /* wire value (for stats echo) */
    uint8_t prereq;                         /* enum ft_prereq */
    uint8_t n_words;                        /* key words written, 1..3 */
    uint8_t word[FT_SET_FIELD_MAX_WORDS];   /* key word indexes, ascending */
    uint64_t bits[FT_SET_FIELD_MAX_WORDS];  /* new bits, within mask */
    uint64_t mask[FT_SET_FIELD_MAX_WORDS];  /* which bits of the word */
};

/* Fills 'sf' for OXM field 'oxm_field' whose wire value is value[0..len):
 * 'key_bits' / 'mask_bits' are a zeroed key and mask on which the field's
 * value was written (of_set_field_apply()). VLAN_VID writes only the VID
 * bits (the PRESENT bit is not the controller's to set: SET_FIELD on
 * vlan_vid changes an existing tag, never adds one). Returns 0, or -EINVAL
 * when the mask is empty or spans more than FT_SET_FIELD_MAX_WORDS words
 * or len is out of range. */
int ft_set_field_init(struct ft_set_field *sf, uint8_t oxm_field,
                      const void *value, unsigned int len,
                      const struct ft_key *key_bits,
                      const struct ft_key *mask_bits);

/* Writes 'sf' into 'key' (and its bits into 'written' if not NULL). */
void ft_set_field_apply(const struct ft_set_field *sf, struct ft_key *key,
                        struct ft_key *written);

struct ft_action {
    uint16_t type;                  /* FT_OFPAT_* */
    union {
        struct {
            uint32_t port;          /* regular port or FT_OFPP_* */
            uint16_t max_len;       /* CONTROLLER: bytes to send */
        } output;
        struct {
            uint32_t group_id;
            struct ft_group *group; /* resolved (and referenced) by the
                                       pipeline or group table on install;
                                       NULL in a list not installed yet */
        } group;
        uint32_t queue_id;          /* SET_QUEUE */
        uint8_t ttl;                /* SET_MPLS_TTL, SET_NW_TTL */
        uint16_t ethertype;         /* PUSH_VLAN/MPLS/PBB, POP_MPLS */
        struct ft_set_field set_field;
    };
};

struct ft_action_list {
    struct ft_action *acts;
    uint32_t n;
};

#define FT_NO_GOTO 0xff             /* ft_insts.goto_table: none */

/* A flow entry's instructions, at most one of each type. The executed
 * order is the spec's: METER, APPLY_ACTIONS, CLEAR_ACTIONS, WRITE_ACTIONS,
 * WRITE_METADATA, GOTO_TABLE; flow stats report them in that order. */
struct ft_insts {
    uint32_t meter_id;              /* METER; 0 = none */
    bool has_apply;
    struct ft_action_list apply;
    bool clear_actions;
    bool has_write;
    struct ft_action_list write;
    bool has_write_metadata;
    uint64_t metadata;
    uint64_t metadata_mask;
    uint8_t goto_table;             /* FT_NO_GOTO = none */
};

/* What ft_actions_check() checks against. */
struct ft_action_ctx {
    const struct ft_match *match;   /* the flow's match; NULL for group
                                       buckets and packet-out (prereqs are
                                       then checked per packet by xlate) */
    const struct ft_group_table *groups;  /* NULL: GROUP is refused */
    bool packet_out;                /* OUTPUT:TABLE allowed only here */
    bool action_set;                /* WRITE_ACTIONS: at most one action
                                       per type (per field for SET_FIELD) */
    uint32_t max_port;              /* highest regular port number allowed
                                       (FT_OFPP_MAX if unknown) */
};

/* Checks 'list' in 'ctx'. Errors (OFPET_BAD_ACTION unless noted):
 *  - OUTPUT to 0, OFPP_ANY, a port above max_port, or TABLE outside a
 *    packet-out: BAD_OUT_PORT;
 *  - GROUP to an id that does not exist: BAD_OUT_GROUP;
 *  - PUSH_VLAN other than 0x8100/0x88a8, PUSH_MPLS other than
 *    0x8847/0x8848, PUSH_PBB other than 0x88e7: BAD_ARGUMENT;
 *  - SET_FIELD of a field that cannot be set (in_port, metadata...):
 *    BAD_SET_TYPE (the codec has already checked value ranges);
 *  - with a match: SET_FIELD or an action whose header prerequisite the
 *    match does not guarantee (POP_VLAN without a tag, DEC_NW_TTL on
 *    non-IP, SET_MPLS_TTL on non-MPLS...): MATCH_INCONSISTENT;
 *  - action_set with two actions of one type: UNSUPPORTED_ORDER (as Open
 *    vSwitch; 1.3 names no code for it);
 *  - more than FT_MAX_ACTIONS actions: TOO_MANY. */
#define FT_MAX_ACTIONS 256          /* per list; bounds xlate work */
struct ft_ofperr ft_actions_check(const struct ft_action_list *list,
                                  const struct ft_action_ctx *ctx);

/* Deep copy into one allocation: returns a list whose 'acts' must be
 * freed with free(); group pointers are copied, not re-referenced. */
int ft_action_list_clone(const struct ft_action_list *src,
                         struct ft_action_list *dst);

bool ft_action_list_equal(const struct ft_action_list *a,
                          const struct ft_action_list *b);

/* Does 'list' contain OUTPUT to 'port' (FT_OFPP_ANY: always true) / GROUP
 * 'group_id' (FT_OFPG_ANY: always true)? For out_port / out_group
 * filters. */
bool ft_action_list_has_output(const struct ft_action_list *, uint32_t port);
bool ft_action_list_has_group(const struct ft_action_list *,
                              uint32_t group_id);

/* Formats 'list' in ovs-ofctl syntax ("output:2,set_field:10->vlan_vid")
 * for traces, logs and tests. snprintf semantics. */
int ft_action_list_format(const struct ft_action_list *, char *buf,
                          size_t size);

#endif
