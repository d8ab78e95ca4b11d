/*
 * of_samples.c — the named message corpus (see of_samples.h). Every
 * message is built through the public in-memory API only, the way the
 * rest of the switch will build them. Single-threaded test code.
 */
#include "of_samples.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Not 0x2320: os-ken reads Nicira's id as NX actions with a subtype. */
#define EXPERIMENTER_ID 0x00abcdef

struct builder {
    struct of_sample *s;
    size_t n, cap;
    bool failed;
};

static struct of_msg *
add(struct builder *b, const char *name, uint8_t type)
{
    if (b->n == b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 64;
        struct of_sample *s = realloc(b->s, cap * sizeof *s);
        if (!s) {
            b->failed = true;
            return NULL;
        }
        b->s = s;
        b->cap = cap;
    }
    struct of_sample *s = &b->s[b->n++];
    s->name = name;
    of_msg_init(&s->msg, type, 0x1000 + (uint32_t) b->n);
    return &s->msg;
}

#define ALLOC(msg, T, n) ((T *) of_msg_alloc(msg, (n) * sizeof(T)))

/* ---- matches ---- */

static void
put_be(uint8_t *p, uint64_t v, unsigned int len)
{
    for (unsigned int i = len; i-- > 0; v >>= 8) {
        p[i] = (uint8_t) v;
    }
}

/* The corpus must be valid: a rejected field is a bug in the corpus. */
static void
must_add(struct of_match *m, uint8_t field, const void *v, const void *mask)
{
    struct of_err err;
    if (of_match_add(m, field, v, mask, &err)) {
        fprintf(stderr, "of_samples: field %s rejected: %s/%s\n",
                of_oxm_field_name(field), of_error_type_name(err.type),
                of_error_code_name(err.type, err.code));
        abort();
    }
}

static void
m_int(struct of_match *m, uint8_t field, uint64_t value)
{
    uint8_t v[8];
    put_be(v, value, of_oxm_field_len(field));
    must_add(m, field, v, NULL);
}

static void
m_int_masked(struct of_match *m, uint8_t field, uint64_t value, uint64_t mask)
{
    uint8_t v[8], k[8];
    put_be(v, value, of_oxm_field_len(field));
    put_be(k, mask, of_oxm_field_len(field));
    must_add(m, field, v, k);
}

static void
m_bytes(struct of_match *m, uint8_t field, const uint8_t *v, const uint8_t *mask)
{
    must_add(m, field, v, mask);
}

static const uint8_t mac_a[6] = { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55 };
static const uint8_t mac_b[6] = { 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb };
static const uint8_t mac_mask[6] = { 0xff, 0xff, 0xff, 0x00, 0x00, 0x00 };
static const uint8_t mac_prefix[6] = { 0x00, 0x11, 0x22, 0x00, 0x00, 0x00 };
static const uint8_t ip6_a[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 0x01 };
static const uint8_t ip6_b[16] = { 0xfe, 0x80, [8] = 0x02, [15] = 0x42 };
static const uint8_t ip6_prefix[16] = { 0x20, 0x01, 0x0d, 0xb8 };
static const uint8_t ip6_mask[16] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t packet[] = {
    0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb,
    0x08, 0x00, 0x45, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x40, 0x06,
    0x00, 0x00, 0x0a, 0x00, 0x00, 0x01, 0x0a, 0x00, 0x00, 0x02,
};

enum match_kind {
    MATCH_TCP, MATCH_UDP, MATCH_SCTP, MATCH_ICMPV4, MATCH_ARP, MATCH_ND_SLL,
    MATCH_ND_TLL, MATCH_MPLS, MATCH_PBB, MATCH_UNORDERED, MATCH_EMPTY,
    N_MATCH_KINDS,
};
static const char *const match_names[N_MATCH_KINDS] = {
    "flow_mod_tcp", "flow_mod_udp", "flow_mod_sctp", "flow_mod_icmpv4",
    "flow_mod_arp", "flow_mod_nd_sll", "flow_mod_nd_tll", "flow_mod_mpls",
    "flow_mod_pbb", "flow_mod_unordered", "flow_mod_empty_match",
};

static void
build_match(struct of_match *m, enum match_kind kind)
{
    memset(m, 0, sizeof *m);
    switch (kind) {
    case MATCH_TCP:
        m_int(m, OFPXMT_OFB_IN_PORT, 7);
        m_int(m, OFPXMT_OFB_IN_PHY_PORT, 3);
        m_int_masked(m, OFPXMT_OFB_METADATA, 0x1234000000000000ull, 0xffff000000000000ull);
        m_bytes(m, OFPXMT_OFB_ETH_DST, mac_prefix, mac_mask);
        m_bytes(m, OFPXMT_OFB_ETH_SRC, mac_b, NULL);
        m_int(m, OFPXMT_OFB_ETH_TYPE, 0x0800);
        m_int(m, OFPXMT_OFB_VLAN_VID, OFPVID_PRESENT | 10);
        m_int(m, OFPXMT_OFB_VLAN_PCP, 5);
        m_int(m, OFPXMT_OFB_IP_DSCP, 46);
        m_int(m, OFPXMT_OFB_IP_ECN, 2);
        m_int(m, OFPXMT_OFB_IP_PROTO, 6);
        m_int_masked(m, OFPXMT_OFB_IPV4_SRC, 0x0a000000, 0xff000000);
        m_int(m, OFPXMT_OFB_IPV4_DST, 0xc0a80101);
        m_int(m, OFPXMT_OFB_TCP_SRC, 1234);
        m_int(m, OFPXMT_OFB_TCP_DST, 80);
        m_int_masked(m, OFPXMT_OFB_TUNNEL_ID, 0x5000, 0xff00);
        break;
    case MATCH_UDP:
        m_int(m, OFPXMT_OFB_ETH_TYPE, 0x86dd);
        m_int_masked(m, OFPXMT_OFB_VLAN_VID, OFPVID_PRESENT, OFPVID_PRESENT);
        m_int(m, OFPXMT_OFB_IP_PROTO, 17);
        m_int(m, OFPXMT_OFB_UDP_SRC, 68);
        m_int(m, OFPXMT_OFB_UDP_DST, 67);
        break;
    case MATCH_SCTP:
        m_int(m, OFPXMT_OFB_ETH_TYPE, 0x0800);
        m_int(m, OFPXMT_OFB_VLAN_VID, OFPVID_NONE);
        m_int(m, OFPXMT_OFB_IP_PROTO, 132);
        m_int(m, OFPXMT_OFB_SCTP_SRC, 5000);
        m_int(m, OFPXMT_OFB_SCTP_DST, 5001);
        break;
    case MATCH_ICMPV4:
        m_int(m, OFPXMT_OFB_ETH_TYPE, 0x0800);
        m_int(m, OFPXMT_OFB_IP_PROTO, 1);
        m_int(m, OFPXMT_OFB_ICMPV4_TYPE, 8);
        m_int(m, OFPXMT_OFB_ICMPV4_CODE, 0);
        break;
    case MATCH_ARP:
        m_int(m, OFPXMT_OFB_ETH_TYPE, 0x0806);
        m_int(m, OFPXMT_OFB_ARP_OP, 1);
        m_int_masked(m, OFPXMT_OFB_ARP_SPA, 0x0a000100, 0xffffff00);
        m_int(m, OFPXMT_OFB_ARP_TPA, 0x0a000002);
        m_bytes(m, OFPXMT_OFB_ARP_SHA, mac_prefix, mac_mask);
        m_bytes(m, OFPXMT_OFB_ARP_THA, mac_b, NULL);
        break;
    case MATCH_ND_SLL:
        m_int(m, OFPXMT_OFB_ETH_TYPE, 0x86dd);
        m_bytes(m, OFPXMT_OFB_IPV6_SRC, ip6_prefix, ip6_mask);
        m_bytes(m, OFPXMT_OFB_IPV6_DST, ip6_b, NULL);
        m_int_masked(m, OFPXMT_OFB_IPV6_FLABEL, 0x12345, 0xfffff);
        m_int(m, OFPXMT_OFB_IP_PROTO, 58);
        m_int(m, OFPXMT_OFB_ICMPV6_TYPE, 135);
        m_int(m, OFPXMT_OFB_ICMPV6_CODE, 0);
        m_bytes(m, OFPXMT_OFB_IPV6_ND_TARGET, ip6_b, NULL);
        m_bytes(m, OFPXMT_OFB_IPV6_ND_SLL, mac_a, NULL);
        m_int_masked(m, OFPXMT_OFB_IPV6_EXTHDR, 0x0040, 0x01c0);
        break;
    case MATCH_ND_TLL:
        m_int(m, OFPXMT_OFB_ETH_TYPE, 0x86dd);
        m_int(m, OFPXMT_OFB_IPV6_FLABEL, 7);
        m_int(m, OFPXMT_OFB_IP_PROTO, 58);
        m_int(m, OFPXMT_OFB_ICMPV6_TYPE, 136);
        m_bytes(m, OFPXMT_OFB_IPV6_ND_TARGET, ip6_a, NULL);
        m_bytes(m, OFPXMT_OFB_IPV6_ND_TLL, mac_b, NULL);
        m_int(m, OFPXMT_OFB_IPV6_EXTHDR, 0x0001);
        break;
    case MATCH_MPLS:
        m_int(m, OFPXMT_OFB_ETH_TYPE, 0x8847);
        m_int(m, OFPXMT_OFB_MPLS_LABEL, 0xabcde);
        m_int(m, OFPXMT_OFB_MPLS_TC, 5);
        m_int(m, OFPXMT_OFB_MPLS_BOS, 1);
        break;
    case MATCH_PBB:
        m_int(m, OFPXMT_OFB_ETH_TYPE, 0x88e7);
        m_int_masked(m, OFPXMT_OFB_PBB_ISID, 0x123400, 0xffff00);
        break;
    case MATCH_UNORDERED:
        /* Dependents before prerequisites: legal, and the order echoes. */
        m_int(m, OFPXMT_OFB_TCP_DST, 443);
        m_int(m, OFPXMT_OFB_IP_PROTO, 6);
        m_int(m, OFPXMT_OFB_IPV4_DST, 0x08080808);
        m_int(m, OFPXMT_OFB_ETH_TYPE, 0x0800);
        m_int(m, OFPXMT_OFB_IN_PORT, 1);
        break;
    default:
        break;
    }
}

/* ---- actions ---- */

static void
set_field_int(struct of_action *a, uint8_t field, uint64_t v)
{
    a->type = OFPAT_SET_FIELD;
    a->set_field.field = field;
    a->set_field.len = (uint8_t) of_oxm_field_len(field);
    put_be(a->set_field.value, v, a->set_field.len);
}

static void
set_field_bytes(struct of_action *a, uint8_t field, const uint8_t *v)
{
    a->type = OFPAT_SET_FIELD;
    a->set_field.field = field;
    a->set_field.len = (uint8_t) of_oxm_field_len(field);
    memcpy(a->set_field.value, v, a->set_field.len);
}

/* 8 bytes, so experimenter actions/instructions need no padding and
 * decode(encode(m)) == m holds byte for byte. */
static const uint8_t exp_data[] = { 0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4 };

/* Every action type once, plus SET_FIELD on a spread of field shapes. */
static struct of_action_list
all_actions(struct of_msg *msg)
{
    enum { N = 26 };
    struct of_action *a = ALLOC(msg, struct of_action, N);
    unsigned int i = 0;
    if (!a) {
        return (struct of_action_list) { NULL, 0 };
    }
    a[i].type = OFPAT_OUTPUT; a[i].output.port = 1; a[i++].output.max_len = 0;
    a[i].type = OFPAT_OUTPUT; a[i].output.port = OFPP_CONTROLLER;
    a[i++].output.max_len = OFPCML_NO_BUFFER;
    a[i++].type = OFPAT_COPY_TTL_OUT;
    a[i++].type = OFPAT_COPY_TTL_IN;
    a[i].type = OFPAT_SET_MPLS_TTL; a[i++].ttl.ttl = 64;
    a[i++].type = OFPAT_DEC_MPLS_TTL;
    a[i].type = OFPAT_PUSH_VLAN; a[i++].push.ethertype = 0x8100;
    a[i++].type = OFPAT_POP_VLAN;
    a[i].type = OFPAT_PUSH_MPLS; a[i++].push.ethertype = 0x8847;
    a[i].type = OFPAT_POP_MPLS; a[i++].push.ethertype = 0x0800;
    a[i].type = OFPAT_SET_QUEUE; a[i++].set_queue.queue_id = 3;
    a[i].type = OFPAT_GROUP; a[i++].group.group_id = 9;
    a[i].type = OFPAT_SET_NW_TTL; a[i++].ttl.ttl = 32;
    a[i++].type = OFPAT_DEC_NW_TTL;
    a[i].type = OFPAT_PUSH_PBB; a[i++].push.ethertype = 0x88e7;
    a[i++].type = OFPAT_POP_PBB;
    set_field_bytes(&a[i++], OFPXMT_OFB_ETH_DST, mac_b);
    set_field_int(&a[i++], OFPXMT_OFB_VLAN_VID, OFPVID_PRESENT | 20);
    set_field_int(&a[i++], OFPXMT_OFB_VLAN_PCP, 3);
    set_field_int(&a[i++], OFPXMT_OFB_IPV4_SRC, 0x0a0a0a0a);
    set_field_bytes(&a[i++], OFPXMT_OFB_IPV6_DST, ip6_a);
    set_field_int(&a[i++], OFPXMT_OFB_TCP_DST, 8080);
    set_field_int(&a[i++], OFPXMT_OFB_MPLS_LABEL, 0x54321);
    set_field_int(&a[i++], OFPXMT_OFB_TUNNEL_ID, 0x1122334455667788ull);
    set_field_int(&a[i++], OFPXMT_OFB_PBB_ISID, 0xabcdef);
    a[i].type = OFPAT_EXPERIMENTER; a[i].experimenter.experimenter = EXPERIMENTER_ID;
    a[i].experimenter.data.data = exp_data;
    a[i++].experimenter.data.len = sizeof exp_data;
    return (struct of_action_list) { a, i };
}

static struct of_action_list
one_output(struct of_msg *msg, uint32_t port)
{
    struct of_action *a = ALLOC(msg, struct of_action, 1);
    if (!a) {
        return (struct of_action_list) { NULL, 0 };
    }
    a->type = OFPAT_OUTPUT;
    a->output.port = port;
    a->output.max_len = 128;
    return (struct of_action_list) { a, 1 };
}

/* Every instruction type; the experimenter one only on request, because
 * os-ken (the cross-check's reference) cannot parse it. */
static struct of_instruction_list
all_instructions(struct of_msg *msg, bool with_experimenter)
{
    struct of_instruction *in = ALLOC(msg, struct of_instruction, 7);
    if (!in) {
        return (struct of_instruction_list) { NULL, 0 };
    }
    in[0].type = OFPIT_METER; in[0].meter.meter_id = 4;
    in[1].type = OFPIT_APPLY_ACTIONS; in[1].actions = all_actions(msg);
    in[2].type = OFPIT_CLEAR_ACTIONS;
    in[3].type = OFPIT_WRITE_ACTIONS; in[3].actions = one_output(msg, 2);
    in[4].type = OFPIT_WRITE_METADATA; in[4].write_metadata.metadata = 0xab;
    in[4].write_metadata.metadata_mask = 0xff;
    in[5].type = OFPIT_GOTO_TABLE; in[5].goto_table.table_id = 3;
    in[6].type = OFPIT_EXPERIMENTER; in[6].experimenter.experimenter = EXPERIMENTER_ID;
    in[6].experimenter.data.data = exp_data;
    in[6].experimenter.data.len = sizeof exp_data;
    return (struct of_instruction_list) { in, with_experimenter ? 7 : 6 };
}

static struct of_instruction_list
apply_output(struct of_msg *msg, uint32_t port)
{
    struct of_instruction *in = ALLOC(msg, struct of_instruction, 1);
    if (!in) {
        return (struct of_instruction_list) { NULL, 0 };
    }
    in->type = OFPIT_APPLY_ACTIONS;
    in->actions = one_output(msg, port);
    return (struct of_instruction_list) { in, 1 };
}

static struct of_bucket_list
buckets(struct of_msg *msg)
{
    struct of_bucket *b = ALLOC(msg, struct of_bucket, 2);
    if (!b) {
        return (struct of_bucket_list) { NULL, 0 };
    }
    b[0].weight = 1; b[0].watch_port = OFPP_ANY; b[0].watch_group = OFPG_ANY;
    b[0].actions = one_output(msg, 1);
    b[1].weight = 2; b[1].watch_port = 2; b[1].watch_group = OFPG_ANY;
    b[1].actions = all_actions(msg);
    return (struct of_bucket_list) { b, 2 };
}

static struct of_meter_band_list
bands(struct of_msg *msg)
{
    struct of_meter_band *mb = ALLOC(msg, struct of_meter_band, 3);
    if (!mb) {
        return (struct of_meter_band_list) { NULL, 0 };
    }
    mb[0].type = OFPMBT_DROP; mb[0].rate = 1000; mb[0].burst_size = 100;
    mb[1].type = OFPMBT_DSCP_REMARK; mb[1].rate = 500; mb[1].burst_size = 50;
    mb[1].prec_level = 1;
    mb[2].type = OFPMBT_EXPERIMENTER; mb[2].rate = 10; mb[2].burst_size = 1;
    mb[2].experimenter = EXPERIMENTER_ID;
    return (struct of_meter_band_list) { mb, 3 };
}

static void
fill_port(struct of_port *p, uint32_t no)
{
    memset(p, 0, sizeof *p);
    p->port_no = no;
    memcpy(p->hw_addr, mac_a, 6);
    p->hw_addr[5] = (uint8_t) no;
    snprintf(p->name, sizeof p->name, "port%u", no);
    p->config = 0;
    p->state = 4;                   /* OFPPS_LIVE */
    p->curr = 0x840;                /* 10GB_FD | COPPER */
    p->advertised = 0x840;
    p->supported = 0x840;
    p->peer = 0;
    p->curr_speed = 10000000;
    p->max_speed = 10000000;
}

/* ---- table features ---- */

static struct of_table_feature_prop_list
table_feature_props(struct of_msg *msg)
{
    static const uint16_t prop_types[] = {
        OFPTFPT_INSTRUCTIONS, OFPTFPT_INSTRUCTIONS_MISS, OFPTFPT_NEXT_TABLES,
        OFPTFPT_NEXT_TABLES_MISS, OFPTFPT_WRITE_ACTIONS,
        OFPTFPT_WRITE_ACTIONS_MISS, OFPTFPT_APPLY_ACTIONS,
        OFPTFPT_APPLY_ACTIONS_MISS, OFPTFPT_MATCH, OFPTFPT_WILDCARDS,
        OFPTFPT_WRITE_SETFIELD, OFPTFPT_WRITE_SETFIELD_MISS,
        OFPTFPT_APPLY_SETFIELD, OFPTFPT_APPLY_SETFIELD_MISS,
        OFPTFPT_EXPERIMENTER, OFPTFPT_EXPERIMENTER_MISS,
    };
    size_t n = sizeof prop_types / sizeof prop_types[0];
    struct of_table_feature_prop *p = ALLOC(msg, struct of_table_feature_prop, n);
    struct of_feature_id *inst_ids = ALLOC(msg, struct of_feature_id, 6);
    struct of_feature_id *act_ids = ALLOC(msg, struct of_feature_id, 3);
    uint8_t *tables = ALLOC(msg, uint8_t, 3);
    uint32_t *oxm_ids = ALLOC(msg, uint32_t, 3);
    if (!p || !inst_ids || !act_ids || !tables || !oxm_ids) {
        return (struct of_table_feature_prop_list) { NULL, 0 };
    }
    for (unsigned int i = 0; i < 6; i++) {
        inst_ids[i].type = (uint16_t) (i + 1);
    }
    act_ids[0].type = OFPAT_OUTPUT;
    act_ids[1].type = OFPAT_SET_FIELD;
    act_ids[2].type = OFPAT_GROUP;
    tables[0] = 1; tables[1] = 2; tables[2] = 3;
    oxm_ids[0] = 0x80000004;        /* IN_PORT */
    oxm_ids[1] = 0x80000606;        /* ETH_DST */
    oxm_ids[2] = 0x80000a02;        /* ETH_TYPE */
    for (size_t i = 0; i < n; i++) {
        p[i].type = prop_types[i];
        switch (prop_types[i]) {
        case OFPTFPT_INSTRUCTIONS: case OFPTFPT_INSTRUCTIONS_MISS:
            p[i].ids = (struct of_feature_id_list) { inst_ids, 6 };
            break;
        case OFPTFPT_NEXT_TABLES: case OFPTFPT_NEXT_TABLES_MISS:
            p[i].tables = (struct of_u8_list) { tables, 3 };
            break;
        case OFPTFPT_WRITE_ACTIONS: case OFPTFPT_WRITE_ACTIONS_MISS:
        case OFPTFPT_APPLY_ACTIONS: case OFPTFPT_APPLY_ACTIONS_MISS:
            p[i].ids = (struct of_feature_id_list) { act_ids, 3 };
            break;
        case OFPTFPT_EXPERIMENTER: case OFPTFPT_EXPERIMENTER_MISS:
            p[i].experimenter = EXPERIMENTER_ID;
            p[i].exp_type = 1;
            p[i].data.data = exp_data;
            p[i].data.len = sizeof exp_data;
            break;
        default:
            p[i].oxm_ids = (struct of_u32_list) { oxm_ids, 3 };
            break;
        }
    }
    return (struct of_table_feature_prop_list) { p, (uint32_t) n };
}

static struct of_table_features_list
table_features(struct of_msg *msg)
{
    struct of_table_features *tf = ALLOC(msg, struct of_table_features, 2);
    if (!tf) {
        return (struct of_table_features_list) { NULL, 0 };
    }
    for (unsigned int i = 0; i < 2; i++) {
        tf[i].table_id = (uint8_t) i;
        snprintf(tf[i].name, sizeof tf[i].name, "table%u", i);
        tf[i].metadata_match = UINT64_MAX;
        tf[i].metadata_write = UINT64_MAX;
        tf[i].config = 3;
        tf[i].max_entries = 1000000;
    }
    tf[0].properties = table_feature_props(msg);
    return (struct of_table_features_list) { tf, 2 };
}

/* ---- the corpus ---- */

static void
build_messages(struct builder *b)
{
    struct of_msg *m;

    if ((m = add(b, "hello", OFPT_HELLO))) {
        struct of_hello_elem *e = ALLOC(m, struct of_hello_elem, 1);
        uint32_t *bm = ALLOC(m, uint32_t, 1);
        if (e && bm) {
            bm[0] = 1u << OFP_VERSION_1_3 | 1u << 1;
            e->type = OFPHET_VERSIONBITMAP;
            e->bitmaps = (struct of_u32_list) { bm, 1 };
            m->hello.elements = (struct of_hello_elem_list) { e, 1 };
        }
    }
    add(b, "hello_empty", OFPT_HELLO);
    if ((m = add(b, "error", OFPT_ERROR))) {
        m->error.type = OFPET_BAD_MATCH;
        m->error.code = OFPBMC_BAD_PREREQ;
        m->error.data = (struct of_blob) { packet, 24 };
    }
    if ((m = add(b, "echo_request", OFPT_ECHO_REQUEST))) {
        m->echo.data = (struct of_blob) { exp_data, sizeof exp_data };
    }
    add(b, "echo_reply", OFPT_ECHO_REPLY);
    if ((m = add(b, "experimenter", OFPT_EXPERIMENTER))) {
        m->experimenter.experimenter = EXPERIMENTER_ID;
        m->experimenter.exp_type = 7;
        m->experimenter.data = (struct of_blob) { exp_data, sizeof exp_data };
    }
    add(b, "features_request", OFPT_FEATURES_REQUEST);
    if ((m = add(b, "features_reply", OFPT_FEATURES_REPLY))) {
        m->features.datapath_id = 0x0000aabbccddeeffull;
        m->features.n_buffers = 256;
        m->features.n_tables = 254;
        m->features.auxiliary_id = 0;
        m->features.capabilities = 0x4f;
    }
    add(b, "get_config_request", OFPT_GET_CONFIG_REQUEST);
    if ((m = add(b, "get_config_reply", OFPT_GET_CONFIG_REPLY))) {
        m->config.flags = 1;
        m->config.miss_send_len = 128;
    }
    if ((m = add(b, "set_config", OFPT_SET_CONFIG))) {
        m->config.flags = 0;
        m->config.miss_send_len = OFPCML_NO_BUFFER;
    }
    if ((m = add(b, "packet_in", OFPT_PACKET_IN))) {
        m->packet_in.buffer_id = OFP_NO_BUFFER;
        m->packet_in.total_len = sizeof packet;
        m->packet_in.reason = 1;
        m->packet_in.table_id = 2;
        m->packet_in.cookie = 0xfeedull;
        m_int(&m->packet_in.match, OFPXMT_OFB_IN_PORT, 5);
        m_int(&m->packet_in.match, OFPXMT_OFB_ETH_TYPE, 0x0800);
        m->packet_in.data = (struct of_blob) { packet, sizeof packet };
    }
    if ((m = add(b, "flow_removed", OFPT_FLOW_REMOVED))) {
        struct of_flow_removed *fr = &m->flow_removed;
        fr->cookie = 42; fr->priority = 100; fr->reason = 2; fr->table_id = 1;
        fr->duration_sec = 10; fr->duration_nsec = 500; fr->idle_timeout = 30;
        fr->hard_timeout = 60; fr->packet_count = 1000; fr->byte_count = 64000;
        build_match(&fr->match, MATCH_ARP);
    }
    if ((m = add(b, "port_status", OFPT_PORT_STATUS))) {
        m->port_status.reason = 2;
        fill_port(&m->port_status.desc, 4);
    }
    if ((m = add(b, "packet_out", OFPT_PACKET_OUT))) {
        m->packet_out.buffer_id = OFP_NO_BUFFER;
        m->packet_out.in_port = OFPP_CONTROLLER;
        m->packet_out.actions = all_actions(m);
        m->packet_out.data = (struct of_blob) { packet, sizeof packet };
    }
    for (int k = 0; k < N_MATCH_KINDS; k++) {
        if ((m = add(b, match_names[k], OFPT_FLOW_MOD))) {
            struct of_flow_mod *fm = &m->flow_mod;
            fm->cookie = 0x1122; fm->cookie_mask = 0; fm->table_id = 0;
            fm->command = 0; fm->idle_timeout = 10; fm->hard_timeout = 20;
            fm->priority = (uint16_t) (1000 + k); fm->buffer_id = OFP_NO_BUFFER;
            fm->out_port = OFPP_ANY; fm->out_group = OFPG_ANY; fm->flags = 1;
            build_match(&fm->match, (enum match_kind) k);
            fm->instructions = k == MATCH_TCP ? all_instructions(m, false)
                                              : apply_output(m, (uint32_t) k + 1);
        }
    }
    if ((m = add(b, "flow_mod_inst_experimenter", OFPT_FLOW_MOD))) {
        m->flow_mod.buffer_id = OFP_NO_BUFFER;
        m->flow_mod.out_port = OFPP_ANY;
        m->flow_mod.out_group = OFPG_ANY;
        m->flow_mod.instructions = all_instructions(m, true);
    }
    if ((m = add(b, "flow_mod_delete", OFPT_FLOW_MOD))) {
        m->flow_mod.command = 3;
        m->flow_mod.table_id = OFPTT_ALL;
        m->flow_mod.buffer_id = OFP_NO_BUFFER;
        m->flow_mod.out_port = OFPP_ANY;
        m->flow_mod.out_group = OFPG_ANY;
    }
    if ((m = add(b, "group_mod", OFPT_GROUP_MOD))) {
        m->group_mod.command = 0;
        m->group_mod.type = 1;
        m->group_mod.group_id = 9;
        m->group_mod.buckets = buckets(m);
    }
    if ((m = add(b, "port_mod", OFPT_PORT_MOD))) {
        m->port_mod.port_no = 3;
        memcpy(m->port_mod.hw_addr, mac_a, 6);
        m->port_mod.config = 1;
        m->port_mod.mask = 1;
        m->port_mod.advertise = 0x840;
    }
    if ((m = add(b, "table_mod", OFPT_TABLE_MOD))) {
        m->table_mod.table_id = 1;
        m->table_mod.config = 3;
    }
    add(b, "barrier_request", OFPT_BARRIER_REQUEST);
    add(b, "barrier_reply", OFPT_BARRIER_REPLY);
    if ((m = add(b, "queue_get_config_request", OFPT_QUEUE_GET_CONFIG_REQUEST))) {
        m->queue_get_config_request.port = 1;
    }
    if ((m = add(b, "queue_get_config_reply", OFPT_QUEUE_GET_CONFIG_REPLY))) {
        struct of_packet_queue *q = ALLOC(m, struct of_packet_queue, 2);
        struct of_queue_prop *qp = ALLOC(m, struct of_queue_prop, 3);
        if (q && qp) {
            qp[0].type = OFPQT_MIN_RATE; qp[0].rate = 100;
            qp[1].type = OFPQT_MAX_RATE; qp[1].rate = 900;
            qp[2].type = OFPQT_EXPERIMENTER; qp[2].experimenter.experimenter = EXPERIMENTER_ID;
            qp[2].experimenter.data = (struct of_blob) { packet, 8 };
            q[0].queue_id = 1; q[0].port = 1;
            q[0].properties = (struct of_queue_prop_list) { qp, 3 };
            q[1].queue_id = 2; q[1].port = 1;
            m->queue_get_config_reply.port = 1;
            m->queue_get_config_reply.queues = (struct of_packet_queue_list) { q, 2 };
        }
    }
    if ((m = add(b, "role_request", OFPT_ROLE_REQUEST))) {
        m->role.role = 2;
        m->role.generation_id = 77;
    }
    if ((m = add(b, "role_reply", OFPT_ROLE_REPLY))) {
        m->role.role = 3;
        m->role.generation_id = 78;
    }
    add(b, "get_async_request", OFPT_GET_ASYNC_REQUEST);
    for (int k = 0; k < 2; k++) {
        if ((m = add(b, k ? "set_async" : "get_async_reply",
                     k ? OFPT_SET_ASYNC : OFPT_GET_ASYNC_REPLY))) {
            m->async.packet_in_mask[0] = 7; m->async.packet_in_mask[1] = 0;
            m->async.port_status_mask[0] = 7; m->async.port_status_mask[1] = 7;
            m->async.flow_removed_mask[0] = 15; m->async.flow_removed_mask[1] = 0;
        }
    }
    if ((m = add(b, "meter_mod", OFPT_METER_MOD))) {
        m->meter_mod.command = 0;
        m->meter_mod.flags = 1 | 4;
        m->meter_mod.meter_id = 4;
        m->meter_mod.bands = bands(m);
    }
    static const struct { const char *name; uint16_t type, flags; } ctrls[] = {
        { "bundle_open", ONF_BCT_OPEN_REQUEST, ONF_BF_ATOMIC | ONF_BF_ORDERED },
        { "bundle_open_reply", ONF_BCT_OPEN_REPLY, ONF_BF_ATOMIC },
        { "bundle_close", ONF_BCT_CLOSE_REQUEST, ONF_BF_ATOMIC },
        { "bundle_commit", ONF_BCT_COMMIT_REQUEST, ONF_BF_ATOMIC | ONF_BF_ORDERED },
        { "bundle_discard", ONF_BCT_DISCARD_REQUEST, ONF_BF_ORDERED },
    };
    for (size_t i = 0; i < sizeof ctrls / sizeof ctrls[0]; i++) {
        if ((m = add(b, ctrls[i].name, OFPT_EXPERIMENTER))) {
            m->bundle_ctrl.experimenter = ONF_EXPERIMENTER_ID;
            m->bundle_ctrl.exp_type = ONF_ET_BUNDLE_CONTROL;
            m->bundle_ctrl.bundle_id = 7;
            m->bundle_ctrl.type = ctrls[i].type;
            m->bundle_ctrl.flags = ctrls[i].flags;
        }
    }
    if ((m = add(b, "bundle_add", OFPT_EXPERIMENTER))) {
        struct of_msg *inner = ALLOC(m, struct of_msg, 1);
        m->bundle_add.experimenter = ONF_EXPERIMENTER_ID;
        m->bundle_add.exp_type = ONF_ET_BUNDLE_ADD_MESSAGE;
        m->bundle_add.bundle_id = 7;
        m->bundle_add.flags = ONF_BF_ATOMIC;
        if (inner) {
            of_msg_init(inner, OFPT_FLOW_MOD, m->xid);
            inner->flow_mod.buffer_id = OFP_NO_BUFFER;
            inner->flow_mod.out_port = OFPP_ANY;
            inner->flow_mod.out_group = OFPG_ANY;
            inner->flow_mod.priority = 10;
            build_match(&inner->flow_mod.match, MATCH_ICMPV4);
            inner->flow_mod.instructions = apply_output(m, OFPP_NORMAL);
            m->bundle_add.message = inner;
        }
    }
}

static struct of_msg *
add_mp(struct builder *b, const char *name, bool reply, uint16_t mp_type)
{
    struct of_msg *m = add(b, name, reply ? OFPT_MULTIPART_REPLY
                                          : OFPT_MULTIPART_REQUEST);
    if (m) {
        m->multipart.type = mp_type;
    }
    return m;
}

static void
build_multipart(struct builder *b)
{
    struct of_msg *m;

    /* Requests. */
    add_mp(b, "mp_desc_request", false, OFPMP_DESC);
    for (int k = 0; k < 2; k++) {
        if ((m = add_mp(b, k ? "mp_aggregate_request" : "mp_flow_request", false,
                        k ? OFPMP_AGGREGATE : OFPMP_FLOW))) {
            m->multipart.flow_request.table_id = OFPTT_ALL;
            m->multipart.flow_request.out_port = OFPP_ANY;
            m->multipart.flow_request.out_group = OFPG_ANY;
            m->multipart.flow_request.cookie = 5;
            m->multipart.flow_request.cookie_mask = 0xff;
            build_match(&m->multipart.flow_request.match, MATCH_UDP);
        }
    }
    add_mp(b, "mp_table_request", false, OFPMP_TABLE);
    if ((m = add_mp(b, "mp_port_stats_request", false, OFPMP_PORT_STATS))) {
        m->multipart.port_queue.port_no = OFPP_ANY;
    }
    if ((m = add_mp(b, "mp_queue_request", false, OFPMP_QUEUE))) {
        m->multipart.port_queue.port_no = OFPP_ANY;
        m->multipart.port_queue.queue_id = 0xffffffff;
    }
    if ((m = add_mp(b, "mp_group_request", false, OFPMP_GROUP))) {
        m->multipart.id_request.id = OFPG_ALL;
    }
    add_mp(b, "mp_group_desc_request", false, OFPMP_GROUP_DESC);
    add_mp(b, "mp_group_features_request", false, OFPMP_GROUP_FEATURES);
    if ((m = add_mp(b, "mp_meter_request", false, OFPMP_METER))) {
        m->multipart.id_request.id = 0xffffffff;
    }
    if ((m = add_mp(b, "mp_meter_config_request", false, OFPMP_METER_CONFIG))) {
        m->multipart.id_request.id = 4;
    }
    add_mp(b, "mp_meter_features_request", false, OFPMP_METER_FEATURES);
    add_mp(b, "mp_table_features_request_empty", false, OFPMP_TABLE_FEATURES);
    if ((m = add_mp(b, "mp_table_features_request", false, OFPMP_TABLE_FEATURES))) {
        m->multipart.table_features = table_features(m);
    }
    add_mp(b, "mp_port_desc_request", false, OFPMP_PORT_DESC);
    if ((m = add_mp(b, "mp_experimenter_request", false, OFPMP_EXPERIMENTER))) {
        m->multipart.experimenter.experimenter = EXPERIMENTER_ID;
        m->multipart.experimenter.exp_type = 1;
        m->multipart.experimenter.data = (struct of_blob) { exp_data, 4 };
    }

    /* Replies. */
    if ((m = add_mp(b, "mp_desc_reply", true, OFPMP_DESC))) {
        struct of_desc *d = &m->multipart.desc;
        strcpy(d->mfr_desc, "vswitch project");
        strcpy(d->hw_desc, "DPDK");
        strcpy(d->sw_desc, "vswitch 0.1.0");
        strcpy(d->serial_num, "0001");
        strcpy(d->dp_desc, "br0");
    }
    if ((m = add_mp(b, "mp_flow_reply", true, OFPMP_FLOW))) {
        struct of_flow_stats *fs = ALLOC(m, struct of_flow_stats, 3);
        if (fs) {
            for (int i = 0; i < 3; i++) {
                fs[i].table_id = (uint8_t) i;
                fs[i].duration_sec = 5;
                fs[i].priority = (uint16_t) (100 + i);
                fs[i].cookie = (uint64_t) i;
                fs[i].packet_count = 10;
                fs[i].byte_count = 640;
            }
            build_match(&fs[0].match, MATCH_TCP);
            fs[0].instructions = all_instructions(m, false);
            build_match(&fs[1].match, MATCH_ND_SLL);
            fs[1].instructions = apply_output(m, 3);
            m->multipart.flows = (struct of_flow_stats_list) { fs, 3 };
        }
    }
    if ((m = add_mp(b, "mp_aggregate_reply", true, OFPMP_AGGREGATE))) {
        m->multipart.aggregate.packet_count = 100;
        m->multipart.aggregate.byte_count = 6400;
        m->multipart.aggregate.flow_count = 3;
    }
    if ((m = add_mp(b, "mp_table_reply", true, OFPMP_TABLE))) {
        struct of_table_stats *ts = ALLOC(m, struct of_table_stats, 2);
        if (ts) {
            ts[0] = (struct of_table_stats) { 0, 5, 100, 90 };
            ts[1] = (struct of_table_stats) { 1, 2, 90, 10 };
            m->multipart.tables = (struct of_table_stats_list) { ts, 2 };
        }
    }
    if ((m = add_mp(b, "mp_port_stats_reply", true, OFPMP_PORT_STATS))) {
        struct of_port_stats *ps = ALLOC(m, struct of_port_stats, 2);
        if (ps) {
            for (int i = 0; i < 2; i++) {
                ps[i].port_no = (uint32_t) i + 1;
                ps[i].rx_packets = 1; ps[i].tx_packets = 2; ps[i].rx_bytes = 3;
                ps[i].tx_bytes = 4; ps[i].rx_dropped = 5; ps[i].tx_dropped = 6;
                ps[i].rx_errors = 7; ps[i].tx_errors = 8; ps[i].rx_frame_err = 9;
                ps[i].rx_over_err = 10; ps[i].rx_crc_err = 11; ps[i].collisions = 12;
                ps[i].duration_sec = 13; ps[i].duration_nsec = 14;
            }
            m->multipart.port_stats = (struct of_port_stats_list) { ps, 2 };
        }
    }
    if ((m = add_mp(b, "mp_queue_reply", true, OFPMP_QUEUE))) {
        struct of_queue_stats *qs = ALLOC(m, struct of_queue_stats, 1);
        if (qs) {
            *qs = (struct of_queue_stats) { 1, 2, 300, 3, 0, 9, 10 };
            m->multipart.queue_stats = (struct of_queue_stats_list) { qs, 1 };
        }
    }
    if ((m = add_mp(b, "mp_group_reply", true, OFPMP_GROUP))) {
        struct of_group_stats *gs = ALLOC(m, struct of_group_stats, 2);
        struct of_counter_pair *cp = ALLOC(m, struct of_counter_pair, 2);
        if (gs && cp) {
            cp[0] = (struct of_counter_pair) { 5, 500 };
            cp[1] = (struct of_counter_pair) { 6, 600 };
            gs[0].group_id = 9; gs[0].ref_count = 1; gs[0].packet_count = 11;
            gs[0].byte_count = 1100; gs[0].duration_sec = 3;
            gs[0].bucket_stats = (struct of_counter_pair_list) { cp, 2 };
            gs[1].group_id = 10;
            m->multipart.group_stats = (struct of_group_stats_list) { gs, 2 };
        }
    }
    if ((m = add_mp(b, "mp_group_desc_reply", true, OFPMP_GROUP_DESC))) {
        struct of_group_desc *gd = ALLOC(m, struct of_group_desc, 2);
        if (gd) {
            gd[0].type = 1; gd[0].group_id = 9; gd[0].buckets = buckets(m);
            gd[1].type = 0; gd[1].group_id = 10;
            m->multipart.group_descs = (struct of_group_desc_list) { gd, 2 };
        }
    }
    if ((m = add_mp(b, "mp_group_features_reply", true, OFPMP_GROUP_FEATURES))) {
        struct of_group_features *gf = &m->multipart.group_features;
        gf->types = 0xf;
        gf->capabilities = 0x5;
        for (int i = 0; i < 4; i++) {
            gf->max_groups[i] = 1000u * (unsigned) (i + 1);
            gf->actions[i] = 0x03ff0001u;
        }
    }
    if ((m = add_mp(b, "mp_meter_reply", true, OFPMP_METER))) {
        struct of_meter_stats *ms = ALLOC(m, struct of_meter_stats, 1);
        struct of_counter_pair *cp = ALLOC(m, struct of_counter_pair, 3);
        if (ms && cp) {
            for (int i = 0; i < 3; i++) {
                cp[i] = (struct of_counter_pair) { (uint64_t) i, (uint64_t) i * 64 };
            }
            ms->meter_id = 4; ms->flow_count = 2; ms->packet_in_count = 50;
            ms->byte_in_count = 5000; ms->duration_sec = 8; ms->duration_nsec = 9;
            ms->band_stats = (struct of_counter_pair_list) { cp, 3 };
            m->multipart.meter_stats = (struct of_meter_stats_list) { ms, 1 };
        }
    }
    if ((m = add_mp(b, "mp_meter_config_reply", true, OFPMP_METER_CONFIG))) {
        struct of_meter_config *mc = ALLOC(m, struct of_meter_config, 1);
        if (mc) {
            mc->flags = 1 | 4;
            mc->meter_id = 4;
            mc->bands = bands(m);
            m->multipart.meter_configs = (struct of_meter_config_list) { mc, 1 };
        }
    }
    if ((m = add_mp(b, "mp_meter_features_reply", true, OFPMP_METER_FEATURES))) {
        struct of_meter_features *mf = &m->multipart.meter_features;
        mf->max_meter = 1024; mf->band_types = 6; mf->capabilities = 0xf;
        mf->max_bands = 4; mf->max_color = 0;
    }
    if ((m = add_mp(b, "mp_table_features_reply", true, OFPMP_TABLE_FEATURES))) {
        m->multipart.table_features = table_features(m);
    }
    if ((m = add_mp(b, "mp_port_desc_reply", true, OFPMP_PORT_DESC))) {
        struct of_port *p = ALLOC(m, struct of_port, 3);
        if (p) {
            fill_port(&p[0], 1);
            fill_port(&p[1], 2);
            fill_port(&p[2], OFPP_LOCAL);
            m->multipart.ports = (struct of_port_list) { p, 3 };
        }
    }
    if ((m = add_mp(b, "mp_port_desc_reply_more", true, OFPMP_PORT_DESC))) {
        struct of_port *p = ALLOC(m, struct of_port, 1);
        m->multipart.flags = OFPMPF_REPLY_MORE;
        if (p) {
            fill_port(&p[0], 9);
            m->multipart.ports = (struct of_port_list) { p, 1 };
        }
    }
    if ((m = add_mp(b, "mp_experimenter_reply", true, OFPMP_EXPERIMENTER))) {
        m->multipart.experimenter.experimenter = EXPERIMENTER_ID;
        m->multipart.experimenter.exp_type = 1;
        m->multipart.experimenter.data = (struct of_blob) { exp_data, 8 };
    }
    if ((m = add_mp(b, "mp_experimenter_reply_empty", true, OFPMP_EXPERIMENTER))) {
        m->multipart.experimenter.experimenter = EXPERIMENTER_ID;
        m->multipart.experimenter.exp_type = 2;
    }
}

size_t
of_samples_build(struct of_sample **samples)
{
    struct builder b = { NULL, 0, 0, false };
    build_messages(&b);
    build_multipart(&b);
    if (b.failed) {
        of_samples_free(b.s, b.n);
        *samples = NULL;
        return 0;
    }
    *samples = b.s;
    return b.n;
}

void
of_samples_free(struct of_sample *samples, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        of_msg_uninit(&samples[i].msg);
    }
    free(samples);
}
