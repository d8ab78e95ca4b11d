/*
 * of_text_actions.c — actions and instructions in ovs-ofctl syntax: the
 * text after "actions=" into OpenFlow 1.3 instructions, and back.
 *
 * Parsing follows ovs-ofctl for OpenFlow 1.3:
 *  - The text is one list; instruction keywords (meter:, clear_actions,
 *    write_actions(...), write_metadata:, goto_table:) may appear among
 *    the actions but only in the spec's instruction order (meter, apply
 *    actions, clear, write, metadata, goto), each at most once; "drop"
 *    stands alone; an empty list means drop.
 *  - OpenFlow 1.0 style actions become their 1.3 forms (mod_dl_src ->
 *    set_field eth_src, mod_nw_tos -> set_field ip_dscp, mod_vlan_vid ->
 *    [push_vlan] + set_field vlan_vid|PRESENT...).
 *  - Each action is checked against what the match and the earlier
 *    actions say about the packet (struct tx_flow_ctx): a set_field needs
 *    its field's protocol, pops need what they pop. ovs-ofctl refuses the
 *    same flows; the messages here say what to add.
 * Formatting prints decoded instructions in ovs-ofctl 3.1's words.
 *
 * Pure; any thread.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "openflow/of_private.h"
#include "openflow/of_text_private.h"

#define ETH_TYPE_IP    0x0800
#define ETH_TYPE_ARP   0x0806
#define ETH_TYPE_RARP  0x8035
#define ETH_TYPE_IPV6  0x86dd
#define ETH_TYPE_MPLS  0x8847
#define ETH_TYPE_MPLSM 0x8848
#define ETH_TYPE_PBB   0x88e7
#define ETH_TYPE_VLAN  0x8100
#define ETH_TYPE_VLAN8021AD 0x88a8

void
tx_flow_ctx_from_match(struct tx_flow_ctx *ctx, const struct ft_match *m)
{
    const struct ft_key *k = &m->key, *mk = &m->mask.masks;
    memset(ctx, 0, sizeof *ctx);
    ctx->dl_type = mk->dl_type ? ntohs(k->dl_type) : 0;
    ctx->nw_proto = mk->nw_proto ? k->nw_proto : 0;
    ctx->vlan = (mk->vlans[0].tci & k->vlans[0].tci & htons(FT_VLAN_PRESENT)) != 0;
    ctx->icmp_type = mk->tp_src ? ntohs(k->tp_src) : 0xffff;
}

/* ---- prerequisites of set-field destinations ---- */

static bool
ctx_ip_any(const struct tx_flow_ctx *c)
{
    return c->dl_type == ETH_TYPE_IP || c->dl_type == ETH_TYPE_IPV6;
}

static bool
ctx_mpls(const struct tx_flow_ctx *c)
{
    return c->dl_type == ETH_TYPE_MPLS || c->dl_type == ETH_TYPE_MPLSM;
}

/* NULL if 'field' may be set on the packet 'c' describes, else what the
 * match lacks, phrased as advice. */
static const char *
set_field_missing(uint8_t field, const struct tx_flow_ctx *c)
{
    if (c->unknown) {
        return NULL;
    }
    switch (field) {
    case OFPXMT_OFB_VLAN_VID: case OFPXMT_OFB_VLAN_PCP:
        return c->vlan ? NULL : "a VLAN tag (match dl_vlan=, or push_vlan first)";
    case OFPXMT_OFB_IP_DSCP: case OFPXMT_OFB_IP_ECN: case OFPXMT_OFB_IP_PROTO:
        return ctx_ip_any(c) ? NULL : "an IP match (add \"ip,\" or \"ipv6,\")";
    case OFPXMT_OFB_IPV4_SRC: case OFPXMT_OFB_IPV4_DST:
        return c->dl_type == ETH_TYPE_IP ? NULL : "an IPv4 match (add \"ip,\")";
    case OFPXMT_OFB_IPV6_SRC: case OFPXMT_OFB_IPV6_DST:
    case OFPXMT_OFB_IPV6_FLABEL:
        return c->dl_type == ETH_TYPE_IPV6 ? NULL : "an IPv6 match (add \"ipv6,\")";
    case OFPXMT_OFB_TCP_SRC: case OFPXMT_OFB_TCP_DST:
        return ctx_ip_any(c) && c->nw_proto == 6 ? NULL
               : "a TCP match (add \"tcp,\" or \"tcp6,\")";
    case OFPXMT_OFB_UDP_SRC: case OFPXMT_OFB_UDP_DST:
        return ctx_ip_any(c) && c->nw_proto == 17 ? NULL
               : "a UDP match (add \"udp,\" or \"udp6,\")";
    case OFPXMT_OFB_SCTP_SRC: case OFPXMT_OFB_SCTP_DST:
        return ctx_ip_any(c) && c->nw_proto == 132 ? NULL
               : "an SCTP match (add \"sctp,\" or \"sctp6,\")";
    case OFPXMT_OFB_ICMPV4_TYPE: case OFPXMT_OFB_ICMPV4_CODE:
        return c->dl_type == ETH_TYPE_IP && c->nw_proto == 1 ? NULL
               : "an ICMP match (add \"icmp,\")";
    case OFPXMT_OFB_ICMPV6_TYPE: case OFPXMT_OFB_ICMPV6_CODE:
        return c->dl_type == ETH_TYPE_IPV6 && c->nw_proto == 58 ? NULL
               : "an ICMPv6 match (add \"icmp6,\")";
    case OFPXMT_OFB_IPV6_ND_TARGET:
        return c->dl_type == ETH_TYPE_IPV6 && c->nw_proto == 58
               && (c->icmp_type == 135 || c->icmp_type == 136) ? NULL
               : "a neighbour discovery match (add \"icmp6,icmp_type=135,\" or 136)";
    case OFPXMT_OFB_IPV6_ND_SLL:
        return c->dl_type == ETH_TYPE_IPV6 && c->nw_proto == 58
               && c->icmp_type == 135 ? NULL
               : "a neighbour solicitation match (add \"icmp6,icmp_type=135,\")";
    case OFPXMT_OFB_IPV6_ND_TLL:
        return c->dl_type == ETH_TYPE_IPV6 && c->nw_proto == 58
               && c->icmp_type == 136 ? NULL
               : "a neighbour advertisement match (add \"icmp6,icmp_type=136,\")";
    case OFPXMT_OFB_ARP_OP: case OFPXMT_OFB_ARP_SPA: case OFPXMT_OFB_ARP_TPA:
    case OFPXMT_OFB_ARP_SHA: case OFPXMT_OFB_ARP_THA:
        return c->dl_type == ETH_TYPE_ARP || c->dl_type == ETH_TYPE_RARP ? NULL
               : "an ARP match (add \"arp,\")";
    case OFPXMT_OFB_MPLS_LABEL: case OFPXMT_OFB_MPLS_TC: case OFPXMT_OFB_MPLS_BOS:
        return ctx_mpls(c) ? NULL : "an MPLS match (add \"mpls,\", or push_mpls first)";
    case OFPXMT_OFB_PBB_ISID:
        return c->dl_type == ETH_TYPE_PBB ? NULL : "a PBB match (dl_type=0x88e7)";
    default:
        return NULL;
    }
}

/* ---- the list being built ---- */

struct alist {
    struct of_action *items;
    uint32_t n, cap;
};

static struct of_action *
alist_add(struct alist *l, uint16_t type, int *error)
{
    if (*error) {
        return NULL;
    }
    if (l->n == l->cap) {
        uint32_t cap = l->cap ? l->cap * 2 : 8;
        struct of_action *items = realloc(l->items, cap * sizeof *items);
        if (!items) {
            *error = -ENOMEM;
            return NULL;
        }
        l->items = items;
        l->cap = cap;
    }
    struct of_action *a = &l->items[l->n++];
    memset(a, 0, sizeof *a);
    a->type = type;
    return a;
}

/* Copies 'l' into 'msg's arena as 'out'. */
static int
alist_commit(struct alist *l, struct of_msg *msg, struct of_action_list *out)
{
    out->items = NULL;
    out->n = 0;
    if (!l->n) {
        return 0;
    }
    out->items = of_msg_alloc(msg, l->n * sizeof *out->items);
    if (!out->items) {
        return -ENOMEM;
    }
    memcpy(out->items, l->items, l->n * sizeof *out->items);
    out->n = l->n;
    return 0;
}

/* ---- individual actions ---- */

struct aparse {
    struct tx_flow_ctx ctx;
    struct alist *list;
    struct tx_err *e;
    int error;
};

static void
add_output(struct aparse *p, uint32_t port, uint16_t max_len)
{
    struct of_action *a = alist_add(p->list, OFPAT_OUTPUT, &p->error);
    if (a) {
        a->output.port = port;
        a->output.max_len = max_len;
    }
}

static int
add_set_field(struct aparse *p, const char *spelled, uint8_t field,
              const uint8_t *value)
{
    const char *missing = set_field_missing(field, &p->ctx);
    if (missing) {
        return tx_fail(p->e, "%s: setting %s requires %s", spelled,
                       tx_set_field_name(field), missing);
    }
    struct of_action *a = alist_add(p->list, OFPAT_SET_FIELD, &p->error);
    if (a) {
        a->set_field.field = field;
        a->set_field.len = (uint8_t) of_oxm_field_len(field);
        memcpy(a->set_field.value, value, a->set_field.len);
    }
    return p->error;
}

static int
add_set_field_int(struct aparse *p, const char *spelled, uint8_t field,
                  uint64_t v)
{
    uint8_t wire[8];
    unsigned int len = of_oxm_field_len(field);
    for (unsigned int i = len; i-- > 0; v >>= 8) {
        wire[i] = (uint8_t) v;
    }
    return add_set_field(p, spelled, field, wire);
}

/* mod_vlan_vid / mod_vlan_pcp push a tag first when the packet may have
 * none, as ovs-ofctl does for OpenFlow 1.1+. */
static void
push_vlan_if_needed(struct aparse *p)
{
    if (!p->ctx.vlan) {
        struct of_action *a = alist_add(p->list, OFPAT_PUSH_VLAN, &p->error);
        if (a) {
            a->push.ethertype = ETH_TYPE_VLAN;
        }
        p->ctx.vlan = true;
    }
}

static int
parse_output(struct aparse *p, const char *key, char *value)
{
    uint32_t port;
    uint16_t max_len = 0;
    bool have_port = false;

    if (strchr(value, '=')) {
        /* output(port=P,max_len=N) */
        char *pos = value, *k, *v;
        while (tx_next_kv(&pos, &k, &v)) {
            if (!strcmp(k, "port")) {
                if (tx_parse_port(v, "output", &port, p->e)) {
                    return -EINVAL;
                }
                have_port = true;
            } else if (!strcmp(k, "max_len")) {
                if (tx_parse_u16(v, "output max_len", &max_len, p->e)) {
                    return -EINVAL;
                }
            } else {
                return tx_fail(p->e, "output: unknown argument \"%s\"", k);
            }
        }
        if (!have_port) {
            return tx_fail(p->e, "output: port= is required");
        }
        if (max_len && port != OFPP_CONTROLLER) {
            /* ovs truncates with an extension (output_trunc); OpenFlow
             * 1.3 gives max_len a meaning only towards the controller. */
            return tx_fail(p->e, "output(port=%" PRIu32 ",max_len=%u): "
                           "truncating needs an Open vSwitch extension; "
                           "OpenFlow 1.3 applies max_len only to the "
                           "controller", port, max_len);
        }
    } else {
        if (!*value) {
            return tx_fail(p->e, "%s: missing port", key);
        }
        if (tx_parse_port(value, "output", &port, p->e)) {
            return -EINVAL;
        }
        if (port == OFPP_CONTROLLER) {
            max_len = OFPCML_NO_BUFFER;
        }
    }
    if (port == OFPP_ANY || port == 0) {
        return tx_fail(p->e, "output: %s is not a port packets can be sent to",
                       value);
    }
    add_output(p, port, max_len);
    return p->error;
}

static int
parse_controller(struct aparse *p, char *value)
{
    uint16_t max_len = OFPCML_NO_BUFFER;
    if (!*value) {
        /* plain "controller" */
    } else if (!strchr(value, '=')) {
        if (tx_parse_u16(value, "controller max_len", &max_len, p->e)) {
            return -EINVAL;
        }
    } else {
        char *pos = value, *k, *v;
        while (tx_next_kv(&pos, &k, &v)) {
            if (!strcmp(k, "max_len")) {
                if (tx_parse_u16(v, "controller max_len", &max_len, p->e)) {
                    return -EINVAL;
                }
            } else if (!strcmp(k, "reason")) {
                /* The switch sets the reason itself (no_match for the
                 * table-miss entry, action otherwise, spec 7.4.1). */
                if (strcmp(v, "action") && strcmp(v, "no_match")) {
                    return tx_fail(p->e, "controller: reason=%s needs an "
                                   "Open vSwitch extension (OpenFlow 1.3 "
                                   "output to the controller has reason "
                                   "action or no_match)", v);
                }
            } else {
                return tx_fail(p->e, "controller: %s needs an Open vSwitch "
                               "extension; OpenFlow 1.3 knows only "
                               "max_len", k);
            }
        }
    }
    add_output(p, OFPP_CONTROLLER, max_len);
    return p->error;
}

static int
parse_u16_arg(struct aparse *p, const char *key, const char *value,
              uint16_t *out)
{
    if (!*value) {
        return tx_fail(p->e, "%s: missing argument", key);
    }
    return tx_parse_u16(value, key, out, p->e);
}

/* set_field:VALUE->FIELD and load:VALUE->FIELD[] */
static int
parse_set_field(struct aparse *p, const char *key, char *value, bool load)
{
    char *arrow = strstr(value, "->");
    if (!arrow) {
        return tx_fail(p->e, "%s:%s: expected VALUE->FIELD", key, value);
    }
    *arrow = '\0';
    char *dst = arrow + 2;
    size_t vlen = strlen(value);
    if (vlen && value[vlen - 1] == ')' && !strchr(value, '(')) {
        /* "load(V)->F": the lexer leaves V's closing parenthesis. */
        value[vlen - 1] = '\0';
    }
    char *bracket = strchr(dst, '[');
    char range[64] = "";
    if (bracket) {
        snprintf(range, sizeof range, "%s", bracket);
        *bracket = '\0';
    } else if (load) {
        return tx_fail(p->e, "load: destination \"%s\" needs a bit range, "
                       "e.g. %s[]", dst, dst);
    }
    int field = tx_field_by_name(dst);
    if (field < 0) {
        if (!strncmp(dst, "NXM_NX_REG", 10) || !strncmp(dst, "reg", 3)
            || !strncmp(dst, "xreg", 4) || !strncmp(dst, "xxreg", 5)) {
            return tx_fail(p->e, "%s: %s is an Open vSwitch register; "
                           "OpenFlow 1.3 has none", key, dst);
        }
        return tx_fail(p->e, "%s: unknown field \"%s\"", key, dst);
    }
    if (!of_oxm_field_settable((uint8_t) field)) {
        return tx_fail(p->e, "%s: field %s cannot be set in OpenFlow 1.3",
                       key, dst);
    }
    if (bracket) {
        /* Only the whole field has a standard form (SET_FIELD). */
        unsigned int bits = tx_field_bits((uint8_t) field);
        unsigned int lo, hi;
        int end = 0;
        bool whole = !strcmp(range, "[]");
        if (!whole && sscanf(range, "[%u..%u]%n", &lo, &hi, &end) == 2
            && end && !range[end] && lo == 0) {
            /* [0..N] spanning the whole field. */
            whole = hi + 1 == bits;
        }
        if (!whole) {
            return tx_fail(p->e, "%s: %s%s sets part of a field, which "
                           "needs an Open vSwitch extension; OpenFlow 1.3 "
                           "sets whole fields", key, dst, range);
        }
    }
    if (strchr(value, '/')) {
        return tx_fail(p->e, "%s: a masked value (\"%s\") needs an Open "
                       "vSwitch extension; OpenFlow 1.3 sets whole fields",
                       key, value);
    }
    uint8_t wire[OF_OXM_MAX_VALUE_LEN];
    if (tx_parse_field_value((uint8_t) field, value, wire, p->e)) {
        return -EINVAL;
    }
    if (field == OFPXMT_OFB_VLAN_VID && !(wire[0] & 0x10)) {
        /* A bare VID: the tag is there (set_field needs it), say so. */
        wire[0] |= 0x10;
    }
    return add_set_field(p, key, (uint8_t) field, wire);
}

/* Open vSwitch actions that only exist as Nicira extensions. */
static const char *const ovs_only_actions[] = {
    "resubmit", "learn", "ct", "ct_clear", "note", "move", "multipath",
    "bundle", "bundle_load", "pop_queue", "exit", "fin_timeout", "sample",
    "clone", "conjunction", "check_pkt_larger", "encap", "decap", "nat",
    "dec_nsh_ttl", "output_trunc", "delete_field", "stack_push",
    "stack_pop", "set_mpls_ttl_nx", "push", "pop", "debug_recirc",
    "debug_slow", "unroll_xlate",
};

/* One action: 'key' with 'value' ("" when bare). */
static int
parse_action(struct aparse *p, const char *key, char *value)
{
    struct tx_err *e = p->e;
    uint64_t u;
    uint16_t u16;

    if (tx_eq(key, "output")) {
        return parse_output(p, key, value);
    }
    if (tx_eq(key, "controller")) {
        return parse_controller(p, value);
    }
    if (tx_eq(key, "enqueue")) {
        return tx_fail(e, "enqueue: needs an Open vSwitch extension "
                       "(pop_queue); write \"set_queue:Q,output:P\"");
    }
    if (tx_eq(key, "mod_vlan_vid")) {
        if (tx_parse_uint(value, 0xfff, key, &u, e)) {
            return -EINVAL;
        }
        push_vlan_if_needed(p);
        return add_set_field_int(p, key, OFPXMT_OFB_VLAN_VID, u | OFPVID_PRESENT);
    }
    if (tx_eq(key, "mod_vlan_pcp")) {
        if (tx_parse_uint(value, 7, key, &u, e)) {
            return -EINVAL;
        }
        push_vlan_if_needed(p);
        return add_set_field_int(p, key, OFPXMT_OFB_VLAN_PCP, u);
    }
    if (tx_eq(key, "strip_vlan") || tx_eq(key, "pop_vlan")) {
        if (!p->ctx.vlan && !p->ctx.unknown) {
            return tx_fail(e, "%s: requires a VLAN tag (match dl_vlan=, or "
                           "push_vlan first)", key);
        }
        alist_add(p->list, OFPAT_POP_VLAN, &p->error);
        p->ctx.vlan = false;
        return p->error;
    }
    if (tx_eq(key, "push_vlan")) {
        if (parse_u16_arg(p, key, value, &u16)) {
            return -EINVAL;
        }
        if (u16 != ETH_TYPE_VLAN && u16 != ETH_TYPE_VLAN8021AD) {
            return tx_fail(e, "push_vlan: %s is not a VLAN ethertype "
                           "(0x8100 or 0x88a8)", value);
        }
        struct of_action *a = alist_add(p->list, OFPAT_PUSH_VLAN, &p->error);
        if (a) {
            a->push.ethertype = u16;
        }
        p->ctx.vlan = true;
        return p->error;
    }
    if (tx_eq(key, "push_mpls")) {
        if (parse_u16_arg(p, key, value, &u16)) {
            return -EINVAL;
        }
        if (u16 != ETH_TYPE_MPLS && u16 != ETH_TYPE_MPLSM) {
            return tx_fail(e, "push_mpls: %s is not an MPLS ethertype "
                           "(0x8847 or 0x8848)", value);
        }
        struct of_action *a = alist_add(p->list, OFPAT_PUSH_MPLS, &p->error);
        if (a) {
            a->push.ethertype = u16;
        }
        p->ctx.dl_type = u16;
        p->ctx.nw_proto = 0;
        return p->error;
    }
    if (tx_eq(key, "pop_mpls")) {
        if (parse_u16_arg(p, key, value, &u16)) {
            return -EINVAL;
        }
        if (!ctx_mpls(&p->ctx) && !p->ctx.unknown) {
            return tx_fail(e, "pop_mpls: requires an MPLS match (add "
                           "\"mpls,\", or push_mpls first)");
        }
        struct of_action *a = alist_add(p->list, OFPAT_POP_MPLS, &p->error);
        if (a) {
            a->push.ethertype = u16;
        }
        p->ctx.dl_type = u16;
        p->ctx.nw_proto = 0;
        return p->error;
    }
    if (tx_eq(key, "push_pbb")) {
        if (parse_u16_arg(p, key, value, &u16)) {
            return -EINVAL;
        }
        if (u16 != ETH_TYPE_PBB) {
            return tx_fail(e, "push_pbb: %s is not the PBB ethertype (0x88e7)",
                           value);
        }
        struct of_action *a = alist_add(p->list, OFPAT_PUSH_PBB, &p->error);
        if (a) {
            a->push.ethertype = u16;
        }
        return p->error;
    }
    if (tx_eq(key, "pop_pbb")) {
        alist_add(p->list, OFPAT_POP_PBB, &p->error);
        return p->error;
    }
    if (tx_eq(key, "set_mpls_label") || tx_eq(key, "set_mpls_tc")) {
        bool label = tx_eq(key, "set_mpls_label");
        if (tx_parse_uint(value, label ? 0xfffff : 7, key, &u, e)) {
            return -EINVAL;
        }
        return add_set_field_int(p, key, label ? OFPXMT_OFB_MPLS_LABEL
                                               : OFPXMT_OFB_MPLS_TC, u);
    }
    if (tx_eq(key, "set_mpls_ttl") || tx_eq(key, "mod_nw_ttl")) {
        bool mpls = tx_eq(key, "set_mpls_ttl");
        uint8_t ttl;
        if (!*value) {
            return tx_fail(e, "%s: missing argument", key);
        }
        if (tx_parse_u8(value, key, &ttl, e)) {
            return -EINVAL;
        }
        if (!p->ctx.unknown
            && (mpls ? !ctx_mpls(&p->ctx) : !ctx_ip_any(&p->ctx))) {
            return tx_fail(e, "%s: requires %s", key,
                           mpls ? "an MPLS match (add \"mpls,\")"
                                : "an IP match (add \"ip,\" or \"ipv6,\")");
        }
        struct of_action *a = alist_add(p->list, mpls ? OFPAT_SET_MPLS_TTL
                                                      : OFPAT_SET_NW_TTL,
                                        &p->error);
        if (a) {
            a->ttl.ttl = ttl;
        }
        return p->error;
    }
    if (tx_eq(key, "dec_mpls_ttl")) {
        if (!ctx_mpls(&p->ctx) && !p->ctx.unknown) {
            return tx_fail(e, "dec_mpls_ttl: requires an MPLS match (add "
                           "\"mpls,\")");
        }
        alist_add(p->list, OFPAT_DEC_MPLS_TTL, &p->error);
        return p->error;
    }
    if (tx_eq(key, "dec_ttl")) {
        if (*value) {
            return tx_fail(e, "dec_ttl(%s): controller ids need an Open "
                           "vSwitch extension; write plain dec_ttl", value);
        }
        if (!ctx_ip_any(&p->ctx) && !p->ctx.unknown) {
            return tx_fail(e, "dec_ttl: requires an IP match (add \"ip,\" or "
                           "\"ipv6,\")");
        }
        alist_add(p->list, OFPAT_DEC_NW_TTL, &p->error);
        return p->error;
    }
    if (tx_eq(key, "copy_ttl_out") || tx_eq(key, "copy_ttl_in")) {
        alist_add(p->list, tx_eq(key, "copy_ttl_out") ? OFPAT_COPY_TTL_OUT
                                                      : OFPAT_COPY_TTL_IN,
                  &p->error);
        return p->error;
    }
    if (tx_eq(key, "mod_dl_src") || tx_eq(key, "mod_dl_dst")) {
        uint8_t mac[6];
        if (!tx_parse_mac(value, mac)) {
            return tx_fail(e, "%s: invalid Ethernet address \"%s\"", key, value);
        }
        return add_set_field(p, key, tx_eq(key, "mod_dl_src")
                             ? OFPXMT_OFB_ETH_SRC : OFPXMT_OFB_ETH_DST, mac);
    }
    if (tx_eq(key, "mod_nw_src") || tx_eq(key, "mod_nw_dst")) {
        uint8_t ip[4];
        if (!tx_parse_ipv4(value, ip)) {
            return tx_fail(e, "%s: invalid IP address \"%s\"", key, value);
        }
        return add_set_field(p, key, tx_eq(key, "mod_nw_src")
                             ? OFPXMT_OFB_IPV4_SRC : OFPXMT_OFB_IPV4_DST, ip);
    }
    if (tx_eq(key, "mod_nw_tos")) {
        if (tx_parse_uint(value, 255, key, &u, e)) {
            return -EINVAL;
        }
        if (u & 3) {
            return tx_fail(e, "mod_nw_tos: %s is not a valid TOS (the low two "
                           "bits are ECN; use mod_nw_ecn)", value);
        }
        return add_set_field_int(p, key, OFPXMT_OFB_IP_DSCP, u >> 2);
    }
    if (tx_eq(key, "mod_nw_ecn")) {
        if (tx_parse_uint(value, 3, key, &u, e)) {
            return -EINVAL;
        }
        return add_set_field_int(p, key, OFPXMT_OFB_IP_ECN, u);
    }
    if (tx_eq(key, "mod_tp_src") || tx_eq(key, "mod_tp_dst")) {
        bool src = tx_eq(key, "mod_tp_src");
        uint8_t field;
        if (tx_parse_uint(value, 0xffff, key, &u, e)) {
            return -EINVAL;
        }
        switch (ctx_ip_any(&p->ctx) ? p->ctx.nw_proto : 0) {
        case 6: field = src ? OFPXMT_OFB_TCP_SRC : OFPXMT_OFB_TCP_DST; break;
        case 17: field = src ? OFPXMT_OFB_UDP_SRC : OFPXMT_OFB_UDP_DST; break;
        case 132: field = src ? OFPXMT_OFB_SCTP_SRC : OFPXMT_OFB_SCTP_DST; break;
        default:
            if (p->ctx.unknown) {
                return tx_fail(e, "%s: the protocol is not known here; write "
                               "set_field:%s->tcp_%s (or udp_, sctp_)", key,
                               value, src ? "src" : "dst");
            }
            return tx_fail(e, "%s: requires a TCP, UDP or SCTP match (add "
                           "\"tcp,\", \"udp,\" or \"sctp,\")", key);
        }
        return add_set_field_int(p, key, field, u);
    }
    if (tx_eq(key, "set_tunnel") || tx_eq(key, "set_tunnel64")) {
        if (tx_parse_uint(value, UINT64_MAX, key, &u, e)) {
            return -EINVAL;
        }
        return add_set_field_int(p, key, OFPXMT_OFB_TUNNEL_ID, u);
    }
    if (tx_eq(key, "set_field")) {
        return parse_set_field(p, key, value, false);
    }
    if (tx_eq(key, "load")) {
        return parse_set_field(p, key, value, true);
    }
    if (tx_eq(key, "set_queue")) {
        uint32_t q;
        if (!*value) {
            return tx_fail(e, "set_queue: missing queue id");
        }
        if (tx_parse_u32(value, key, &q, e)) {
            return -EINVAL;
        }
        struct of_action *a = alist_add(p->list, OFPAT_SET_QUEUE, &p->error);
        if (a) {
            a->set_queue.queue_id = q;
        }
        return p->error;
    }
    if (tx_eq(key, "group")) {
        uint32_t g;
        if (!*value) {
            return tx_fail(e, "group: missing group id");
        }
        if (tx_parse_u32(value, key, &g, e)) {
            return -EINVAL;
        }
        struct of_action *a = alist_add(p->list, OFPAT_GROUP, &p->error);
        if (a) {
            a->group.group_id = g;
        }
        return p->error;
    }
    for (size_t i = 0; i < OF_ARRAY_SIZE(ovs_only_actions); i++) {
        if (tx_eq(key, ovs_only_actions[i])) {
            return tx_fail(e, "%s: Open vSwitch extension action; OpenFlow "
                           "1.3 has no form for it", key);
        }
    }

    /* A bare port ("2", "LOCAL", "normal", "in_port"): output to it. */
    uint32_t port;
    if (!*value && !tx_parse_port(key, "output", &port, NULL)) {
        if (port == OFPP_ANY || port == 0) {
            return tx_fail(e, "output: %s is not a port packets can be sent "
                           "to", key);
        }
        /* A bare number naming the controller sends 0 bytes: ovs-ofctl's
         * reading (the name "controller" is the controller action). */
        add_output(p, port, 0);
        return p->error;
    }
    return tx_fail(e, "unknown action \"%s\"", key);
}

/* ---- instruction lists ---- */

/* The spec's instruction order, which ovs-ofctl enforces on the text. */
enum inst_slot {
    SLOT_METER, SLOT_APPLY, SLOT_CLEAR, SLOT_WRITE, SLOT_METADATA, SLOT_GOTO,
};
static const char *const slot_names[] = {
    "meter", "apply_actions", "clear_actions", "write_actions",
    "write_metadata", "goto_table",
};

static int
slot_enter(int *last, unsigned int *seen, enum inst_slot slot,
           struct tx_err *e)
{
    if (slot != SLOT_APPLY && *seen & (1u << slot)) {
        return tx_fail(e, "duplicate %s instruction not allowed",
                       slot_names[slot]);
    }
    if ((int) slot < *last) {
        /* *last is a slot seen before, so within slot_names; the explicit
         * bound is for gcc -O3, which cannot prove it. */
        const char *later = *last < (int) (sizeof slot_names
                                           / sizeof *slot_names)
                            ? slot_names[*last] : "?";
        return tx_fail(e, "invalid instruction ordering: %s must appear "
                       "before %s", slot_names[slot], later);
    }
    *last = (int) slot;
    *seen |= 1u << slot;
    return 0;
}

struct iparse {
    struct aparse ap;               /* the apply-actions list */
    struct alist write;             /* write_actions(...) */
    unsigned int seen;              /* 1 << enum inst_slot */
    int last;
    bool drop;
    bool has_write;
    uint32_t meter_id;
    uint8_t goto_table;
    uint64_t metadata, metadata_mask;
};

static int
parse_instruction(struct iparse *ip, const char *key, char *value,
                  struct tx_err *e)
{
    uint64_t u;

    if (tx_eq(key, "drop")) {
        ip->drop = true;
        return 0;
    }
    if (tx_eq(key, "meter")) {
        if (slot_enter(&ip->last, &ip->seen, SLOT_METER, e)) {
            return -EINVAL;
        }
        if (tx_parse_uint(value, UINT32_MAX, key, &u, e)) {
            return -EINVAL;
        }
        if (!u) {
            return tx_fail(e, "meter: 0 is not a valid meter id");
        }
        ip->meter_id = (uint32_t) u;
        return 0;
    }
    if (tx_eq(key, "clear_actions")) {
        return slot_enter(&ip->last, &ip->seen, SLOT_CLEAR, e);
    }
    if (tx_eq(key, "write_actions")) {
        if (slot_enter(&ip->last, &ip->seen, SLOT_WRITE, e)) {
            return -EINVAL;
        }
        struct aparse wp = { .ctx = ip->ap.ctx, .list = &ip->write, .e = e };
        char *pos = value, *k, *v;
        bool drop = false;
        while (tx_next_kv(&pos, &k, &v)) {
            if (tx_eq(k, "drop")) {
                drop = true;
                continue;
            }
            if (tx_eq(k, "meter") || tx_eq(k, "clear_actions")
                || tx_eq(k, "write_actions") || tx_eq(k, "write_metadata")
                || tx_eq(k, "goto_table")) {
                return tx_fail(e, "%s instruction not allowed inside "
                               "write_actions", k);
            }
            int error = parse_action(&wp, k, v);
            if (error) {
                return error;
            }
        }
        if (drop && ip->write.n) {
            return tx_fail(e, "\"drop\" must not be accompanied by any other "
                           "action or instruction");
        }
        ip->has_write = ip->write.n > 0;
        return 0;
    }
    if (tx_eq(key, "write_metadata")) {
        if (slot_enter(&ip->last, &ip->seen, SLOT_METADATA, e)) {
            return -EINVAL;
        }
        char *slash = strchr(value, '/');
        ip->metadata_mask = UINT64_MAX;
        if (slash) {
            *slash++ = '\0';
            if (tx_parse_u64(slash, "write_metadata mask", &ip->metadata_mask, e)) {
                return -EINVAL;
            }
        }
        if (!*value) {
            return tx_fail(e, "write_metadata: missing value");
        }
        if (tx_parse_u64(value, key, &ip->metadata, e)) {
            return -EINVAL;
        }
        return 0;
    }
    if (tx_eq(key, "goto_table")) {
        if (slot_enter(&ip->last, &ip->seen, SLOT_GOTO, e)) {
            return -EINVAL;
        }
        if (!*value) {
            return tx_fail(e, "goto_table: missing table id");
        }
        if (tx_parse_uint(value, 254, key, &u, e)) {
            return -EINVAL;
        }
        ip->goto_table = (uint8_t) u;
        return 0;
    }
    if (slot_enter(&ip->last, &ip->seen, SLOT_APPLY, e)) {
        return -EINVAL;
    }
    return parse_action(&ip->ap, key, value);
}

int
tx_parse_instructions(char *text, const struct tx_flow_ctx *ctx,
                      struct of_msg *msg, struct of_instruction_list *out,
                      struct tx_err *e)
{
    struct alist apply = { 0 };
    struct iparse ip = { .ap = { .ctx = *ctx, .list = &apply, .e = e },
                         .last = -1 };
    char *pos = text, *key, *value;
    int error = 0;
    unsigned int n_items = 0;

    out->items = NULL;
    out->n = 0;
    while (!error && tx_next_kv(&pos, &key, &value)) {
        error = parse_instruction(&ip, key, value, e);
        n_items++;
    }
    if (!error && ip.drop && n_items > 1) {
        error = tx_fail(e, "\"drop\" must not be accompanied by any other "
                        "action or instruction");
    }

    /* Canonical order: meter, apply, clear, write, metadata, goto. */
    struct of_instruction insts[6];
    unsigned int n = 0;
    memset(insts, 0, sizeof insts);
    if (!error && ip.seen & (1u << SLOT_METER)) {
        insts[n].type = OFPIT_METER;
        insts[n++].meter.meter_id = ip.meter_id;
    }
    if (!error && apply.n) {
        insts[n].type = OFPIT_APPLY_ACTIONS;
        error = alist_commit(&apply, msg, &insts[n++].actions);
    }
    if (!error && ip.seen & (1u << SLOT_CLEAR)) {
        insts[n++].type = OFPIT_CLEAR_ACTIONS;
    }
    if (!error && ip.has_write) {
        insts[n].type = OFPIT_WRITE_ACTIONS;
        error = alist_commit(&ip.write, msg, &insts[n++].actions);
    }
    if (!error && ip.seen & (1u << SLOT_METADATA)) {
        insts[n].type = OFPIT_WRITE_METADATA;
        insts[n].write_metadata.metadata = ip.metadata;
        insts[n++].write_metadata.metadata_mask = ip.metadata_mask;
    }
    if (!error && ip.seen & (1u << SLOT_GOTO)) {
        insts[n].type = OFPIT_GOTO_TABLE;
        insts[n++].goto_table.table_id = ip.goto_table;
    }
    if (!error && n) {
        out->items = of_msg_alloc(msg, n * sizeof *out->items);
        if (!out->items) {
            error = -ENOMEM;
        } else {
            memcpy(out->items, insts, n * sizeof *out->items);
            out->n = n;
        }
    }
    free(apply.items);
    free(ip.write.items);
    return error;
}

int
tx_parse_action_list(char *text, const struct tx_flow_ctx *ctx,
                     struct of_msg *msg, struct of_action_list *out,
                     struct tx_err *e)
{
    struct alist list = { 0 };
    struct aparse ap = { .ctx = *ctx, .list = &list, .e = e };
    char *pos = text, *key, *value;
    int error = 0;
    bool drop = false;

    while (!error && tx_next_kv(&pos, &key, &value)) {
        if (tx_eq(key, "drop")) {
            drop = true;
        } else if (tx_eq(key, "meter") || tx_eq(key, "clear_actions")
                   || tx_eq(key, "write_actions")
                   || tx_eq(key, "write_metadata")
                   || tx_eq(key, "goto_table")) {
            error = tx_fail(e, "%s instruction not allowed here", key);
        } else {
            error = parse_action(&ap, key, value);
        }
    }
    if (!error && drop && list.n) {
        error = tx_fail(e, "\"drop\" must not be accompanied by any other "
                        "action or instruction");
    }
    if (!error) {
        error = alist_commit(&list, msg, out);
    }
    free(list.items);
    return error;
}

/* ---- formatting ---- */

static void
format_action(struct tx_out *o, const struct of_action *a)
{
    switch (a->type) {
    case OFPAT_OUTPUT:
        if (a->output.port == OFPP_CONTROLLER) {
            tx_printf(o, "CONTROLLER:%u", a->output.max_len);
        } else if (tx_port_name(a->output.port)) {
            tx_format_port(o, a->output.port);
        } else {
            /* max_len means nothing here (spec); ovs does not print it. */
            tx_printf(o, "output:%" PRIu32, a->output.port);
        }
        break;
    case OFPAT_COPY_TTL_OUT: tx_put(o, "copy_ttl_out"); break;
    case OFPAT_COPY_TTL_IN: tx_put(o, "copy_ttl_in"); break;
    case OFPAT_SET_MPLS_TTL: tx_printf(o, "set_mpls_ttl(%u)", a->ttl.ttl); break;
    case OFPAT_DEC_MPLS_TTL: tx_put(o, "dec_mpls_ttl"); break;
    case OFPAT_PUSH_VLAN: tx_printf(o, "push_vlan:%#" PRIx16, a->push.ethertype); break;
    case OFPAT_POP_VLAN: tx_put(o, "pop_vlan"); break;
    case OFPAT_PUSH_MPLS: tx_printf(o, "push_mpls:0x%04" PRIx16, a->push.ethertype); break;
    case OFPAT_POP_MPLS: tx_printf(o, "pop_mpls:0x%04" PRIx16, a->push.ethertype); break;
    case OFPAT_SET_QUEUE: tx_printf(o, "set_queue:%" PRIu32, a->set_queue.queue_id); break;
    case OFPAT_GROUP: tx_printf(o, "group:%" PRIu32, a->group.group_id); break;
    case OFPAT_SET_NW_TTL: tx_printf(o, "mod_nw_ttl:%u", a->ttl.ttl); break;
    case OFPAT_DEC_NW_TTL: tx_put(o, "dec_ttl"); break;
    case OFPAT_SET_FIELD:
        tx_put(o, "set_field:");
        tx_format_field_value(o, a->set_field.field, a->set_field.value);
        tx_printf(o, "->%s", tx_set_field_name(a->set_field.field));
        break;
    case OFPAT_PUSH_PBB: tx_printf(o, "push_pbb:%#" PRIx16, a->push.ethertype); break;
    case OFPAT_POP_PBB: tx_put(o, "pop_pbb"); break;
    case OFPAT_EXPERIMENTER:
        tx_printf(o, "experimenter(id=%#" PRIx32 ",len=%" PRIu32 ")",
                  a->experimenter.experimenter, a->experimenter.data.len);
        break;
    default:
        tx_printf(o, "action(type=%u)", a->type);
        break;
    }
}

void
tx_format_actions(struct tx_out *o, const struct of_action_list *acts)
{
    for (uint32_t i = 0; i < acts->n; i++) {
        if (i) {
            tx_putc(o, ',');
        }
        format_action(o, &acts->items[i]);
    }
}

void
tx_format_instructions(struct tx_out *o,
                       const struct of_instruction_list *insts)
{
    /* Printed in the spec's order whatever the wire order, as ovs does. */
    static const uint16_t order[] = {
        OFPIT_METER, OFPIT_APPLY_ACTIONS, OFPIT_CLEAR_ACTIONS,
        OFPIT_WRITE_ACTIONS, OFPIT_WRITE_METADATA, OFPIT_GOTO_TABLE,
        OFPIT_EXPERIMENTER,
    };
    size_t start = o->buf->len;
    for (size_t k = 0; k < OF_ARRAY_SIZE(order); k++) {
        for (uint32_t i = 0; i < insts->n; i++) {
            const struct of_instruction *in = &insts->items[i];
            if (in->type != order[k]) {
                continue;
            }
            size_t before = o->buf->len;
            if (before > start) {
                tx_putc(o, ',');
            }
            switch (in->type) {
            case OFPIT_METER:
                tx_printf(o, "meter:%" PRIu32, in->meter.meter_id);
                break;
            case OFPIT_APPLY_ACTIONS:
                tx_format_actions(o, &in->actions);
                if (!in->actions.n) {
                    tx_chomp(o, ',');
                }
                break;
            case OFPIT_CLEAR_ACTIONS:
                tx_put(o, "clear_actions");
                break;
            case OFPIT_WRITE_ACTIONS:
                tx_put(o, "write_actions(");
                tx_format_actions(o, &in->actions);
                tx_putc(o, ')');
                break;
            case OFPIT_WRITE_METADATA:
                tx_printf(o, "write_metadata:%#" PRIx64,
                          in->write_metadata.metadata);
                if (in->write_metadata.metadata_mask != UINT64_MAX) {
                    tx_printf(o, "/%#" PRIx64, in->write_metadata.metadata_mask);
                }
                break;
            case OFPIT_GOTO_TABLE:
                tx_printf(o, "goto_table:%u", in->goto_table.table_id);
                break;
            default:
                tx_printf(o, "experimenter_instruction(id=%#" PRIx32 ")",
                          in->experimenter.experimenter);
                break;
            }
        }
    }
    if (o->buf->len == start) {
        tx_put(o, "drop");
    }
}

int
of_text_format_actions(const struct of_action_list *actions,
                       struct of_buf *out)
{
    struct tx_out o;
    tx_out_init(&o, out);
    if (!actions->n) {
        tx_put(&o, "drop");
    }
    tx_format_actions(&o, actions);
    return o.error;
}

int
of_text_format_instructions(const struct of_instruction_list *insts,
                            struct of_buf *out)
{
    struct tx_out o;
    tx_out_init(&o, out);
    tx_format_instructions(&o, insts);
    return o.error;
}
