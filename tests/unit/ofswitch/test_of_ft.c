/*
 * test_of_ft.c — of_* <-> ft_* conversions (openflow/of_ft.h).
 *
 * Round trips: a corpus of codec-built messages (every instruction type,
 * every action type, every settable field, groups of each type, meters)
 * converted of -> ft -> of must equal the original (of_msg_equal), also
 * after a trip over the wire (encode, decode, convert). The ft side is
 * checked where it carries meaning of its own (SET_FIELD key bits,
 * instruction slots), the conversion-only errors map to the spec's codes,
 * and flow entries read back from a real pipeline become the flow stats,
 * FLOW_REMOVED and table stats the controller's request implies.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flowtable/ft_pipeline.h"
#include "openflow/of_ft.h"
#include "openflow/openflow.h"

/* ---- helpers ---------------------------------------------------------------- */

static void
assert_msg_equal(const struct of_msg *a, const struct of_msg *b)
{
    if (!of_msg_equal(a, b)) {
        static char ta[16384], tb[16384];
        of_msg_format(a, ta, sizeof ta);
        of_msg_format(b, tb, sizeof tb);
        fail_msg("messages differ:\n  %s\n  %s", ta, tb);
    }
}

/* Encodes 'm' and decodes it into 'out' (whose blobs point into '*wire':
 * free it after 'out'). */
static void
wire_trip(const struct of_msg *m, struct of_msg *out, struct of_buf *wire)
{
    struct of_err err;
    of_buf_init(wire);
    assert_int_equal(of_msg_encode(m, wire), 0);
    assert_int_equal(of_msg_decode(wire->data, wire->len, out, &err), 0);
}

/* A test-owned value for a settable field: distinct bytes for address
 * fields, 1 for integer fields (fits every field width). */
static void
field_value(uint8_t field, struct of_set_field *sf)
{
    unsigned int len = of_oxm_field_len(field);
    memset(sf, 0, sizeof *sf);
    sf->field = field;
    sf->len = (uint8_t) len;
    if (len == 6 || len == 16) {
        for (unsigned int i = 0; i < len; i++) {
            sf->value[i] = (uint8_t) (0x10 + i + field);
        }
    } else {
        sf->value[len - 1] = 1;
    }
}

/* The action corpus: every 1.3 action type (EXPERIMENTER aside) once,
 * SET_FIELD several times. */
static struct of_action corpus_actions[32];
static uint32_t n_corpus_actions;

static void
build_action_corpus(void)
{
    struct of_action *a = corpus_actions;
    memset(corpus_actions, 0, sizeof corpus_actions);
    a->type = OFPAT_OUTPUT; a->output.port = 2; a++;
    a->type = OFPAT_OUTPUT; a->output.port = OFPP_CONTROLLER;
    a->output.max_len = 128; a++;
    a->type = OFPAT_COPY_TTL_OUT; a++;
    a->type = OFPAT_COPY_TTL_IN; a++;
    a->type = OFPAT_SET_MPLS_TTL; a->ttl.ttl = 10; a++;
    a->type = OFPAT_DEC_MPLS_TTL; a++;
    a->type = OFPAT_PUSH_VLAN; a->push.ethertype = 0x88a8; a++;
    a->type = OFPAT_POP_VLAN; a++;
    a->type = OFPAT_PUSH_MPLS; a->push.ethertype = 0x8847; a++;
    a->type = OFPAT_POP_MPLS; a->push.ethertype = 0x0800; a++;
    a->type = OFPAT_SET_QUEUE; a->set_queue.queue_id = 3; a++;
    a->type = OFPAT_GROUP; a->group.group_id = 5; a++;
    a->type = OFPAT_SET_NW_TTL; a->ttl.ttl = 33; a++;
    a->type = OFPAT_DEC_NW_TTL; a++;
    a->type = OFPAT_SET_FIELD; field_value(OFPXMT_OFB_ETH_DST, &a->set_field); a++;
    a->type = OFPAT_SET_FIELD; a->set_field.field = OFPXMT_OFB_VLAN_VID;
    a->set_field.len = 2; a->set_field.value[0] = 0x10;
    a->set_field.value[1] = 0x0a; a++;                 /* PRESENT | 10 */
    a->type = OFPAT_SET_FIELD; field_value(OFPXMT_OFB_IPV6_DST, &a->set_field); a++;
    a->type = OFPAT_SET_FIELD; field_value(OFPXMT_OFB_TUNNEL_ID, &a->set_field); a++;
    a->type = OFPAT_PUSH_PBB; a->push.ethertype = 0x88e7; a++;
    a->type = OFPAT_POP_PBB; a++;
    n_corpus_actions = (uint32_t) (a - corpus_actions);
}

static void
build_flow_mod(struct of_msg *m, uint32_t xid)
{
    of_msg_init(m, OFPT_FLOW_MOD, xid);
    m->flow_mod.cookie = 0x1122334455667788ull;
    m->flow_mod.cookie_mask = 0xffff;
    m->flow_mod.table_id = 1;
    m->flow_mod.command = 0;            /* ADD */
    m->flow_mod.idle_timeout = 30;
    m->flow_mod.hard_timeout = 60;
    m->flow_mod.priority = 1234;
    m->flow_mod.buffer_id = OFP_NO_BUFFER;
    m->flow_mod.out_port = OFPP_ANY;
    m->flow_mod.out_group = OFPG_ANY;
    m->flow_mod.flags = 0x1;
}

/* A match in field-id order (what of_match_from_ft gives back): in_port,
 * eth_type IPv4, ipv4_src/16, ip_proto TCP, tcp_dst 80. */
static void
build_match(struct of_match *mt)
{
    uint8_t v[16], mk[16];
    memset(mt, 0, sizeof *mt);
    v[0] = 0; v[1] = 0; v[2] = 0; v[3] = 1;
    assert_int_equal(of_match_add(mt, OFPXMT_OFB_IN_PORT, v, NULL, NULL), 0);
    v[0] = 0x08; v[1] = 0x00;
    assert_int_equal(of_match_add(mt, OFPXMT_OFB_ETH_TYPE, v, NULL, NULL), 0);
    v[0] = 6;
    assert_int_equal(of_match_add(mt, OFPXMT_OFB_IP_PROTO, v, NULL, NULL), 0);
    v[0] = 10; v[1] = 1; v[2] = 0; v[3] = 0;
    mk[0] = 255; mk[1] = 255; mk[2] = 0; mk[3] = 0;
    assert_int_equal(of_match_add(mt, OFPXMT_OFB_IPV4_SRC, v, mk, NULL), 0);
    v[0] = 0; v[1] = 80;
    assert_int_equal(of_match_add(mt, OFPXMT_OFB_TCP_DST, v, NULL, NULL), 0);
}

/* ---- actions ------------------------------------------------------------------ */

/* Every action type of the corpus, of -> ft -> of. */
static void
test_actions_roundtrip(void **state)
{
    (void) state;
    build_action_corpus();
    struct of_action_list src = { corpus_actions, n_corpus_actions };
    struct ft_action_list ft;
    struct of_arena arena = { NULL };
    struct of_err err;
    struct of_msg a, b;

    assert_int_equal(of_ft_actions_to_ft(&src, &ft, &arena, &err), 0);
    assert_int_equal(ft.n, n_corpus_actions);
    for (uint32_t i = 0; i < ft.n; i++) {
        assert_int_equal(ft.acts[i].type, corpus_actions[i].type);
    }
    assert_int_equal(ft.acts[0].output.port, 2);
    assert_int_equal(ft.acts[1].output.max_len, 128);
    assert_int_equal(ft.acts[6].ethertype, 0x88a8);
    assert_int_equal(ft.acts[11].group.group_id, 5);
    assert_null(ft.acts[11].group.group);

    /* Compare as the PACKET_OUT messages that carry them. */
    of_msg_init(&a, OFPT_PACKET_OUT, 9);
    a.packet_out.buffer_id = OFP_NO_BUFFER;
    a.packet_out.in_port = OFPP_CONTROLLER;
    b = a;
    a.packet_out.actions = src;
    assert_int_equal(of_ft_actions_from_ft(&ft, &b.packet_out.actions, &b), 0);
    assert_msg_equal(&a, &b);
    of_msg_uninit(&b);
    of_ft_arena_free(&arena);
}

/* Every settable field: the ft form writes exactly the field's key bits,
 * and the wire value comes back unchanged. */
static void
test_set_field_every_field(void **state)
{
    (void) state;
    int n_settable = 0;
    for (unsigned int f = 0; f < OF_OXM_N_FIELDS; f++) {
        struct of_action act = { .type = OFPAT_SET_FIELD };
        struct of_action_list src = { &act, 1 };
        struct ft_action_list ft;
        struct of_arena arena = { NULL };
        struct of_err err = { 0, 0 };

        field_value((uint8_t) f, &act.set_field);
        if (!of_oxm_field_settable((uint8_t) f)) {
            assert_int_equal(of_ft_actions_to_ft(&src, &ft, &arena, &err),
                             -EINVAL);
            assert_int_equal(err.type, OFPET_BAD_ACTION);
            assert_int_equal(err.code, OFPBAC_BAD_SET_TYPE);
            of_ft_arena_free(&arena);
            continue;
        }
        n_settable++;
        assert_int_equal(of_ft_actions_to_ft(&src, &ft, &arena, &err), 0);
        const struct ft_set_field *sf = &ft.acts[0].set_field;
        assert_int_equal(sf->oxm_field, f);
        assert_int_equal(sf->len, of_oxm_field_len((uint8_t) f));
        assert_memory_equal(sf->value, act.set_field.value, sf->len);
        assert_true(sf->n_words >= 1);

        /* Applying the ft form to a zero key gives the key the codec's
         * own apply gives (VLAN_VID aside: the tag's presence is not
         * written, see ft_set_field_init). */
        struct ft_key k1, k2, m2;
        memset(&k1, 0, sizeof k1);
        memset(&k2, 0, sizeof k2);
        memset(&m2, 0, sizeof m2);
        ft_set_field_apply(sf, &k1, NULL);
        of_set_field_apply(&act.set_field, &k2, &m2);
        if (f == OFPXMT_OFB_VLAN_VID) {
            k2.vlans[0].tci &= htons((uint16_t) ~0x1000);
        }
        assert_memory_equal(&k1, &k2, sizeof k1);

        struct of_msg m;
        of_msg_init(&m, OFPT_PACKET_OUT, 1);
        assert_int_equal(of_ft_actions_from_ft(&ft, &m.packet_out.actions,
                                               &m), 0);
        assert_int_equal(m.packet_out.actions.n, 1);
        assert_int_equal(m.packet_out.actions.items[0].type, OFPAT_SET_FIELD);
        assert_memory_equal(&m.packet_out.actions.items[0].set_field,
                            &act.set_field, sizeof act.set_field);
        of_msg_uninit(&m);
        of_ft_arena_free(&arena);
    }
    assert_true(n_settable >= 30);
}

/* Specific key bits: ipv4_dst 10.0.0.1 lands in nw_dst (network order);
 * vlan_vid PRESENT|5 writes VID 5 and not the PRESENT bit. */
static void
test_set_field_key_bits(void **state)
{
    (void) state;
    struct of_action acts[2] = {
        { .type = OFPAT_SET_FIELD,
          .set_field = { OFPXMT_OFB_IPV4_DST, 4, { 10, 0, 0, 1 } } },
        { .type = OFPAT_SET_FIELD,
          .set_field = { OFPXMT_OFB_VLAN_VID, 2, { 0x10, 0x05 } } },
    };
    struct of_action_list src = { acts, 2 };
    struct ft_action_list ft;
    struct of_arena arena = { NULL };
    struct of_err err;
    struct ft_key key, written;

    assert_int_equal(of_ft_actions_to_ft(&src, &ft, &arena, &err), 0);
    memset(&key, 0, sizeof key);
    memset(&written, 0, sizeof written);
    key.vlans[0].tci = htons(0x1000 | 0x2000 | 99);     /* PCP 1, VID 99 */
    ft_set_field_apply(&ft.acts[0].set_field, &key, &written);
    ft_set_field_apply(&ft.acts[1].set_field, &key, &written);
    assert_int_equal(key.nw_dst, htonl(0x0a000001));
    assert_int_equal(written.nw_dst, UINT32_MAX);
    assert_int_equal(ntohs(key.vlans[0].tci), 0x1000 | 0x2000 | 5);
    assert_int_equal(ntohs(written.vlans[0].tci), 0x0fff);
    of_ft_arena_free(&arena);
}

/* ---- instructions and flow mods ---------------------------------------------- */

static struct of_instruction corpus_insts[8];

/* Every instruction type, in the spec's order: METER, APPLY (the whole
 * action corpus), CLEAR, WRITE (one action of a kind), WRITE_METADATA,
 * GOTO_TABLE. */
static uint32_t
build_inst_corpus(void)
{
    static struct of_action write_acts[3];
    struct of_instruction *in = corpus_insts;

    build_action_corpus();
    memset(corpus_insts, 0, sizeof corpus_insts);
    memset(write_acts, 0, sizeof write_acts);
    write_acts[0].type = OFPAT_SET_FIELD;
    field_value(OFPXMT_OFB_TCP_DST, &write_acts[0].set_field);
    write_acts[1].type = OFPAT_DEC_NW_TTL;
    write_acts[2].type = OFPAT_OUTPUT;
    write_acts[2].output.port = 3;

    in->type = OFPIT_METER; in->meter.meter_id = 7; in++;
    in->type = OFPIT_APPLY_ACTIONS;
    in->actions = (struct of_action_list) { corpus_actions, n_corpus_actions };
    in++;
    in->type = OFPIT_CLEAR_ACTIONS; in++;
    in->type = OFPIT_WRITE_ACTIONS;
    in->actions = (struct of_action_list) { write_acts, 3 }; in++;
    in->type = OFPIT_WRITE_METADATA; in->write_metadata.metadata = 0x1200;
    in->write_metadata.metadata_mask = 0xff00; in++;
    in->type = OFPIT_GOTO_TABLE; in->goto_table.table_id = 3; in++;
    return (uint32_t) (in - corpus_insts);
}

/* of -> ft -> of over every subset of the instruction corpus, straight
 * and after a wire trip; the ft slots hold what the instructions said. */
static void
test_flow_mod_roundtrip(void **state)
{
    (void) state;
    uint32_t n = build_inst_corpus();
    int checked = 0;

    for (uint32_t subset = 0; subset < (1u << n); subset++) {
        struct of_instruction insts[8];
        uint32_t k = 0;
        for (uint32_t i = 0; i < n; i++) {
            if (subset & (1u << i)) {
                insts[k++] = corpus_insts[i];
            }
        }
        struct of_msg orig, back, decoded;
        struct of_buf wire;
        struct ft_flow_mod ffm;
        struct of_arena arena = { NULL };
        struct of_err err;

        build_flow_mod(&orig, 77);
        build_match(&orig.flow_mod.match);
        orig.flow_mod.instructions = (struct of_instruction_list) { insts, k };
        assert_int_equal(of_ft_flow_mod_to_ft(&orig.flow_mod, &ffm, &arena,
                                              &err), 0);
        assert_int_equal(ffm.insts.meter_id, subset & 1 ? 7 : 0);
        assert_int_equal(ffm.insts.has_apply, !!(subset & 2));
        assert_int_equal(ffm.insts.clear_actions, !!(subset & 4));
        assert_int_equal(ffm.insts.has_write, !!(subset & 8));
        assert_int_equal(ffm.insts.has_write_metadata, !!(subset & 16));
        assert_int_equal(ffm.insts.goto_table, subset & 32 ? 3 : FT_NO_GOTO);
        assert_int_equal(ffm.priority, 1234);
        assert_int_equal(ffm.cookie, 0x1122334455667788ull);
        assert_memory_equal(&ffm.match, &orig.flow_mod.match.ft,
                            sizeof ffm.match);

        of_msg_init(&back, OFPT_FLOW_MOD, 77);
        assert_int_equal(of_ft_flow_mod_from_ft(&ffm, &back.flow_mod, &back),
                         0);
        assert_msg_equal(&orig, &back);
        of_msg_uninit(&back);
        of_ft_arena_free(&arena);

        /* The same from the wire. */
        wire_trip(&orig, &decoded, &wire);
        assert_int_equal(of_ft_flow_mod_to_ft(&decoded.flow_mod, &ffm,
                                              &arena, &err), 0);
        of_msg_init(&back, OFPT_FLOW_MOD, 77);
        assert_int_equal(of_ft_flow_mod_from_ft(&ffm, &back.flow_mod, &back),
                         0);
        assert_msg_equal(&orig, &back);
        of_msg_uninit(&back);
        of_msg_uninit(&decoded);
        of_buf_uninit(&wire);
        of_ft_arena_free(&arena);
        checked++;
    }
    assert_int_equal(checked, 64);
}

/* Instructions given in any order come back in the spec's order. */
static void
test_instructions_canonical_order(void **state)
{
    (void) state;
    uint32_t n = build_inst_corpus();
    struct of_instruction reversed[8];
    for (uint32_t i = 0; i < n; i++) {
        reversed[i] = corpus_insts[n - 1 - i];
    }
    struct of_instruction_list src = { reversed, n };
    struct ft_insts fi;
    struct of_arena arena = { NULL };
    struct of_err err;
    struct of_msg a, b;

    assert_int_equal(of_ft_insts_to_ft(&src, &fi, &arena, &err), 0);
    of_msg_init(&a, OFPT_FLOW_MOD, 1);
    b = a;
    a.flow_mod.instructions = (struct of_instruction_list) { corpus_insts, n };
    assert_int_equal(of_ft_insts_from_ft(&fi, &b.flow_mod.instructions, &b), 0);
    assert_msg_equal(&a, &b);
    of_msg_uninit(&b);
    of_ft_arena_free(&arena);
}

static void
expect_insts_error(struct of_instruction *insts, uint32_t n, uint16_t type,
                   uint16_t code)
{
    struct of_instruction_list src = { insts, n };
    struct ft_insts fi;
    struct of_arena arena = { NULL };
    struct of_err err = { 0, 0 };
    assert_int_equal(of_ft_insts_to_ft(&src, &fi, &arena, &err), -EINVAL);
    assert_int_equal(err.type, type);
    assert_int_equal(err.code, code);
    of_ft_arena_free(&arena);
}

/* What only the wire form can refuse, each with the spec's code. */
static void
test_conversion_errors(void **state)
{
    (void) state;
    struct of_action act;
    struct of_instruction in[2];

    /* An experimenter action: none is implemented. */
    memset(&act, 0, sizeof act);
    act.type = OFPAT_EXPERIMENTER;
    act.experimenter.experimenter = 0x2320;
    memset(in, 0, sizeof in);
    in[0].type = OFPIT_APPLY_ACTIONS;
    in[0].actions = (struct of_action_list) { &act, 1 };
    expect_insts_error(in, 1, OFPET_BAD_ACTION, OFPBAC_BAD_EXPERIMENTER);

    /* An action type 1.3 does not have. */
    act.type = 99;
    expect_insts_error(in, 1, OFPET_BAD_ACTION, OFPBAC_BAD_TYPE);

    /* SET_FIELD of a field that cannot be set. */
    memset(&act, 0, sizeof act);
    act.type = OFPAT_SET_FIELD;
    field_value(OFPXMT_OFB_IN_PORT, &act.set_field);
    in[0].type = OFPIT_WRITE_ACTIONS;
    expect_insts_error(in, 1, OFPET_BAD_ACTION, OFPBAC_BAD_SET_TYPE);

    /* The same instruction twice. */
    memset(in, 0, sizeof in);
    in[0].type = in[1].type = OFPIT_GOTO_TABLE;
    in[0].goto_table.table_id = in[1].goto_table.table_id = 2;
    expect_insts_error(in, 2, OFPET_BAD_INSTRUCTION, OFPBIC_UNSUP_INST);

    /* METER naming meter 0. */
    memset(in, 0, sizeof in);
    in[0].type = OFPIT_METER;
    expect_insts_error(in, 1, OFPET_METER_MOD_FAILED, 2 /* INVALID_METER */);

    /* CLEAR_ACTIONS carrying actions. */
    memset(&act, 0, sizeof act);
    act.type = OFPAT_DEC_NW_TTL;
    in[0].type = OFPIT_CLEAR_ACTIONS;
    in[0].actions = (struct of_action_list) { &act, 1 };
    expect_insts_error(in, 1, OFPET_BAD_INSTRUCTION, OFPBIC_BAD_LEN);

    /* Experimenter and unknown instructions. */
    memset(in, 0, sizeof in);
    in[0].type = OFPIT_EXPERIMENTER;
    expect_insts_error(in, 1, OFPET_BAD_INSTRUCTION, OFPBIC_BAD_EXPERIMENTER);
    in[0].type = 7;
    expect_insts_error(in, 1, OFPET_BAD_INSTRUCTION, OFPBIC_UNKNOWN_INST);

    /* Pipeline errors pass through unchanged. */
    struct of_err e = of_ft_err(FT_OFPERR(FLOW_MOD_FAILED, FT_OFPFMFC_OVERLAP));
    assert_int_equal(e.type, OFPET_FLOW_MOD_FAILED);
    assert_int_equal(e.code, 3);
    e = of_ft_meter_err(FT_METER_ERR_BAD_BAND);
    assert_int_equal(e.type, OFPET_METER_MOD_FAILED);
    assert_int_equal(e.code, OFPMMFC_BAD_BAND);
}

/* ---- groups ---------------------------------------------------------------------- */

/* A group of each type: of -> ft -> of (as GROUP_MOD and as GROUP_DESC),
 * and over the wire. */
static void
test_group_roundtrip(void **state)
{
    (void) state;
    build_action_corpus();
    struct of_action out[4];
    memset(out, 0, sizeof out);
    for (int i = 0; i < 4; i++) {
        out[i].type = OFPAT_OUTPUT;
        out[i].output.port = (uint32_t) i + 1;
    }
    struct of_bucket buckets[3];

    for (uint8_t type = 0; type <= 3; type++) {
        uint32_t nb = type == 2 ? 1 : 3;
        memset(buckets, 0, sizeof buckets);
        for (uint32_t i = 0; i < nb; i++) {
            buckets[i].weight = type == 1 ? (uint16_t) (10 * (i + 1)) : 0;
            buckets[i].watch_port = type == 3 ? i + 1 : OFPP_ANY;
            buckets[i].watch_group = OFPG_ANY;
            buckets[i].actions = (struct of_action_list) { &out[i], 1 };
        }
        if (type == 0) {        /* one bucket with the whole corpus */
            buckets[2].actions = (struct of_action_list) {
                corpus_actions, n_corpus_actions };
        }
        struct of_msg orig, back, decoded;
        struct of_buf wire;
        struct ft_group_mod gm;
        struct of_arena arena = { NULL };
        struct of_err err;

        of_msg_init(&orig, OFPT_GROUP_MOD, 5);
        orig.group_mod.command = 0;
        orig.group_mod.type = type;
        orig.group_mod.group_id = 100 + type;
        orig.group_mod.buckets = (struct of_bucket_list) { buckets, nb };

        wire_trip(&orig, &decoded, &wire);
        assert_int_equal(of_ft_group_mod_to_ft(&decoded.group_mod, &gm,
                                               &arena, &err), 0);
        assert_int_equal(gm.type, type);
        assert_int_equal(gm.group_id, 100u + type);
        assert_int_equal(gm.n_buckets, nb);
        assert_int_equal(gm.buckets[0].watch_port, type == 3 ? 1 : OFPP_ANY);

        of_msg_init(&back, OFPT_GROUP_MOD, 5);
        assert_int_equal(of_ft_group_mod_from_ft(&gm, &back.group_mod, &back),
                         0);
        assert_msg_equal(&orig, &back);
        of_msg_uninit(&back);

        /* The description a GROUP_DESC reply carries. */
        struct ft_group_desc gd = { gm.group_id, gm.type, gm.n_buckets,
                                    gm.buckets };
        struct of_msg r1, r2;
        struct of_group_desc od1 = { type, 100u + type,
                                     { buckets, nb } };
        of_msg_init(&r1, OFPT_MULTIPART_REPLY, 5);
        r1.multipart.type = OFPMP_GROUP_DESC;
        r2 = r1;
        r1.multipart.group_descs = (struct of_group_desc_list) { &od1, 1 };
        struct of_group_desc od2;
        assert_int_equal(of_ft_group_desc_from_ft(&gd, &od2, &r2), 0);
        r2.multipart.group_descs = (struct of_group_desc_list) { &od2, 1 };
        assert_msg_equal(&r1, &r2);
        of_msg_uninit(&r2);

        of_msg_uninit(&decoded);
        of_buf_uninit(&wire);
        of_ft_arena_free(&arena);
    }

    /* A bucket action the ft side cannot hold fails the whole mod. */
    struct of_action bad = { .type = OFPAT_EXPERIMENTER };
    struct of_bucket b = { 0, OFPP_ANY, OFPG_ANY, { &bad, 1 } };
    struct of_group_mod ogm = { 0, 0, 1, { &b, 1 } };
    struct ft_group_mod gm;
    struct of_arena arena = { NULL };
    struct of_err err;
    assert_int_equal(of_ft_group_mod_to_ft(&ogm, &gm, &arena, &err), -EINVAL);
    assert_int_equal(err.type, OFPET_BAD_ACTION);
    assert_int_equal(err.code, OFPBAC_BAD_EXPERIMENTER);
    of_ft_arena_free(&arena);
}

static void
test_group_stats_features(void **state)
{
    (void) state;
    static struct ft_group_stats gs;
    memset(&gs, 0, sizeof gs);
    gs.group_id = 9;
    gs.ref_count = 4;
    gs.packet_count = 100;
    gs.byte_count = 6400;
    gs.duration_sec = 12;
    gs.duration_nsec = 500000000;
    gs.n_buckets = 2;
    gs.buckets[0] = (struct ft_bucket_stats) { 60, 3840 };
    gs.buckets[1] = (struct ft_bucket_stats) { 40, 2560 };

    struct of_msg m;
    of_msg_init(&m, OFPT_MULTIPART_REPLY, 3);
    m.multipart.type = OFPMP_GROUP;
    struct of_group_stats ogs;
    assert_int_equal(of_ft_group_stats_from_ft(&gs, &ogs, &m), 0);
    assert_int_equal(ogs.group_id, 9);
    assert_int_equal(ogs.ref_count, 4);
    assert_int_equal(ogs.packet_count, 100);
    assert_int_equal(ogs.byte_count, 6400);
    assert_int_equal(ogs.duration_sec, 12);
    assert_int_equal(ogs.duration_nsec, 500000000);
    assert_int_equal(ogs.bucket_stats.n, 2);
    assert_int_equal(ogs.bucket_stats.items[1].packet_count, 40);
    assert_int_equal(ogs.bucket_stats.items[1].byte_count, 2560);
    m.multipart.group_stats = (struct of_group_stats_list) { &ogs, 1 };
    struct of_msg d;
    struct of_buf wire;
    wire_trip(&m, &d, &wire);
    assert_msg_equal(&m, &d);
    of_msg_uninit(&d);
    of_buf_uninit(&wire);
    of_msg_uninit(&m);

    struct ft_group_features gf = {
        .types = 0xf, .capabilities = 0x7,
        .max_groups = { 1, 2, 3, 4 }, .actions = { 5, 6, 7, 8 },
    };
    struct of_group_features ogf;
    of_ft_group_features_from_ft(&gf, &ogf);
    assert_int_equal(ogf.types, 0xf);
    assert_int_equal(ogf.capabilities, 0x7);
    assert_int_equal(ogf.max_groups[3], 4);
    assert_int_equal(ogf.actions[0], 5);
}

/* ---- meters ----------------------------------------------------------------------- */

static void
test_meter_roundtrip(void **state)
{
    (void) state;
    struct of_meter_band bands[2] = {
        { .type = OFPMBT_DROP, .rate = 10000, .burst_size = 100 },
        { .type = OFPMBT_DSCP_REMARK, .rate = 5000, .burst_size = 50,
          .prec_level = 1 },
    };
    struct of_msg orig, back, decoded;
    struct of_buf wire;
    struct ft_meter_mod mm;
    struct of_arena arena = { NULL };
    struct of_err err;

    of_msg_init(&orig, OFPT_METER_MOD, 4);
    orig.meter_mod.command = 0;
    orig.meter_mod.flags = 0x1 | 0x4 | 0x8;     /* KBPS | BURST | STATS */
    orig.meter_mod.meter_id = 42;
    orig.meter_mod.bands = (struct of_meter_band_list) { bands, 2 };
    wire_trip(&orig, &decoded, &wire);
    assert_int_equal(of_ft_meter_mod_to_ft(&decoded.meter_mod, &mm, &arena,
                                           &err), 0);
    assert_int_equal(mm.meter_id, 42);
    assert_int_equal(mm.flags, 0xd);
    assert_int_equal(mm.n_bands, 2);
    assert_int_equal(mm.bands[1].type, FT_OFPMBT_DSCP_REMARK);
    assert_int_equal(mm.bands[1].prec_level, 1);
    assert_int_equal(mm.bands[0].burst_size, 100);
    of_msg_init(&back, OFPT_METER_MOD, 4);
    assert_int_equal(of_ft_meter_mod_from_ft(&mm, &back.meter_mod, &back), 0);
    assert_msg_equal(&orig, &back);
    of_msg_uninit(&back);

    /* METER_CONFIG reply entry from the meter table's form. */
    struct ft_meter_config mc = { .meter_id = 42, .flags = 0xd, .n_bands = 2 };
    for (int i = 0; i < 2; i++) {
        mc.bands[i] = mm.bands[i];
    }
    struct of_msg r1, r2;
    struct of_meter_config oc1 = { 0xd, 42, { bands, 2 } }, oc2;
    of_msg_init(&r1, OFPT_MULTIPART_REPLY, 4);
    r1.multipart.type = OFPMP_METER_CONFIG;
    r2 = r1;
    r1.multipart.meter_configs = (struct of_meter_config_list) { &oc1, 1 };
    assert_int_equal(of_ft_meter_config_from_ft(&mc, &oc2, &r2), 0);
    r2.multipart.meter_configs = (struct of_meter_config_list) { &oc2, 1 };
    assert_msg_equal(&r1, &r2);
    of_msg_uninit(&r2);

    /* METER stats. */
    struct ft_meter_stats ms = {
        .meter_id = 42, .flow_count = 3, .packet_in_count = 1000,
        .byte_in_count = 64000, .duration_sec = 5, .duration_nsec = 7,
        .n_bands = 2,
    };
    ms.bands[0] = (struct ft_meter_band_stats) { 10, 640 };
    ms.bands[1] = (struct ft_meter_band_stats) { 20, 1280 };
    struct of_meter_stats os;
    of_msg_init(&r2, OFPT_MULTIPART_REPLY, 4);
    r2.multipart.type = OFPMP_METER;
    assert_int_equal(of_ft_meter_stats_from_ft(&ms, &os, &r2), 0);
    assert_int_equal(os.meter_id, 42);
    assert_int_equal(os.flow_count, 3);
    assert_int_equal(os.packet_in_count, 1000);
    assert_int_equal(os.byte_in_count, 64000);
    assert_int_equal(os.duration_sec, 5);
    assert_int_equal(os.band_stats.n, 2);
    assert_int_equal(os.band_stats.items[1].packet_count, 20);
    assert_int_equal(os.band_stats.items[1].byte_count, 1280);
    of_msg_uninit(&r2);

    struct ft_meter_features mf = { 65536, 6, 0xf, 8, 2 };
    struct of_meter_features omf;
    of_ft_meter_features_from_ft(&mf, &omf);
    assert_int_equal(omf.max_meter, 65536);
    assert_int_equal(omf.band_types, 6);
    assert_int_equal(omf.capabilities, 0xf);
    assert_int_equal(omf.max_bands, 8);
    assert_int_equal(omf.max_color, 2);

    of_msg_uninit(&decoded);
    of_buf_uninit(&wire);
    of_ft_arena_free(&arena);
}

/* ---- flow entries from a real pipeline ---------------------------------------- */

struct collect {
    const struct ft_flow *flows[8];
    int n;
};

static int
collect_cb(const struct ft_flow *flow, void *aux)
{
    struct collect *c = aux;
    c->flows[c->n++] = flow;
    return 0;
}

static struct ofr {
    struct of_flow_removed fr;
    uint8_t reason;
    int n;
} removed;

static void
removed_cb(const struct ft_flow *flow, uint8_t reason, int64_t now_ms,
           void *aux)
{
    (void) aux;
    of_ft_flow_removed_from_ft(flow, reason, now_ms, &removed.fr);
    removed.n++;
}

/* A flow mod through the pipeline comes back as flow stats equal to what
 * was sent (instructions in canonical order, match in id order), with
 * durations from the pipeline's clock; FLOW_REMOVED and table stats
 * likewise. */
static void
test_flow_stats_from_pipeline(void **state)
{
    (void) state;
    struct ft_pipeline_config cfg = { .n_tables = 8 };
    struct ft_pipeline *pl = ft_pipeline_create(&cfg);
    assert_non_null(pl);
    struct ft_port ports[3] = {
        { 1, 101, 0, true }, { 2, 102, 0, true }, { 3, 103, 0, true },
    };
    assert_int_equal(ft_pipeline_set_ports(pl, ports, 3), 0);
    ft_pipeline_set_flow_removed_cb(pl, removed_cb, NULL);

    /* A meter and a group for the instructions to name. */
    struct ft_meter_band_cfg band = { FT_OFPMBT_DROP, 1000, 0, 0 };
    struct ft_meter_mod mm = { FT_OFPMC_ADD, FT_OFPMF_KBPS, 7, 1, &band };
    assert_true(ft_ofperr_is_ok(ft_pipeline_meter_mod(pl, &mm, 0)));
    struct ft_action gout = { .type = FT_OFPAT_OUTPUT, .output = { 2, 0 } };
    struct ft_bucket_cfg bucket = { 0, FT_OFPP_ANY, FT_OFPG_ANY, { &gout, 1 } };
    struct ft_group_mod gm = { FT_OFPGC_ADD, FT_OFPGT_INDIRECT, 5, 1, &bucket };
    assert_true(ft_ofperr_is_ok(ft_pipeline_group_mod(pl, &gm, 0)));

    /* Semantically valid instructions for the TCP match: */
    struct of_action apply[5], write[2];
    memset(apply, 0, sizeof apply);
    memset(write, 0, sizeof write);
    apply[0].type = OFPAT_SET_FIELD;
    apply[0].set_field = (struct of_set_field) { OFPXMT_OFB_IPV4_SRC, 4,
                                                 { 192, 168, 1, 1 } };
    apply[1].type = OFPAT_DEC_NW_TTL;
    apply[2].type = OFPAT_PUSH_VLAN;
    apply[2].push.ethertype = 0x8100;
    apply[3].type = OFPAT_SET_FIELD;
    apply[3].set_field = (struct of_set_field) { OFPXMT_OFB_VLAN_VID, 2,
                                                 { 0x10, 0x07 } };
    apply[4].type = OFPAT_OUTPUT;
    apply[4].output.port = 3;
    write[0].type = OFPAT_SET_FIELD;
    write[0].set_field = (struct of_set_field) { OFPXMT_OFB_TCP_DST, 2,
                                                 { 0x1f, 0x90 } };
    write[1].type = OFPAT_GROUP;
    write[1].group.group_id = 5;
    struct of_instruction insts[5];
    memset(insts, 0, sizeof insts);
    insts[0].type = OFPIT_METER;
    insts[0].meter.meter_id = 7;
    insts[1].type = OFPIT_APPLY_ACTIONS;
    insts[1].actions = (struct of_action_list) { apply, 5 };
    insts[2].type = OFPIT_WRITE_ACTIONS;
    insts[2].actions = (struct of_action_list) { write, 2 };
    insts[3].type = OFPIT_WRITE_METADATA;
    insts[3].write_metadata.metadata = 0xab;
    insts[3].write_metadata.metadata_mask = 0xff;
    insts[4].type = OFPIT_GOTO_TABLE;
    insts[4].goto_table.table_id = 4;

    struct of_msg fm;
    build_flow_mod(&fm, 1);
    build_match(&fm.flow_mod.match);
    fm.flow_mod.instructions = (struct of_instruction_list) { insts, 5 };
    struct ft_flow_mod ffm;
    struct of_arena arena = { NULL };
    struct of_err err;
    assert_int_equal(of_ft_flow_mod_to_ft(&fm.flow_mod, &ffm, &arena, &err), 0);
    ft_pipeline_begin(pl);
    struct ft_ofperr e = ft_pipeline_flow_mod(pl, &ffm, 5000, NULL);
    if (!ft_ofperr_is_ok(e)) {
        fail_msg("flow mod refused: %u/%u", e.type, e.code);
    }
    ft_pipeline_commit(pl);
    of_ft_arena_free(&arena);

    struct ft_flow_filter filter;
    struct of_flow_stats_request req = {
        .table_id = OFPTT_ALL, .out_port = OFPP_ANY, .out_group = OFPG_ANY,
    };
    of_ft_flow_filter_from_of(&req, &filter);
    struct collect c = { .n = 0 };
    ft_pipeline_foreach_flow(pl, &filter, collect_cb, &c);
    assert_int_equal(c.n, 1);
    ft_flow_credit((struct ft_flow *) c.flows[0], 3, 180, 6000);

    struct of_msg reply;
    of_msg_init(&reply, OFPT_MULTIPART_REPLY, 1);
    reply.multipart.type = OFPMP_FLOW;
    struct of_flow_stats fs;
    assert_int_equal(of_ft_flow_stats_from_ft(c.flows[0], 7250, &fs, &reply),
                     0);
    assert_int_equal(fs.table_id, 1);
    assert_int_equal(fs.duration_sec, 2);
    assert_int_equal(fs.duration_nsec, 250000000);
    assert_int_equal(fs.priority, 1234);
    assert_int_equal(fs.idle_timeout, 30);
    assert_int_equal(fs.hard_timeout, 60);
    assert_int_equal(fs.flags, 1);
    assert_int_equal(fs.cookie, 0x1122334455667788ull);
    assert_int_equal(fs.packet_count, 3);
    assert_int_equal(fs.byte_count, 180);
    /* Match and instructions as sent (compared as FLOW_MODs). */
    struct of_msg echo;
    build_flow_mod(&echo, 1);
    echo.flow_mod.match = fs.match;
    echo.flow_mod.instructions = fs.instructions;
    assert_msg_equal(&fm, &echo);
    reply.multipart.flows = (struct of_flow_stats_list) { &fs, 1 };
    struct of_msg d;
    struct of_buf wire;
    wire_trip(&reply, &d, &wire);
    assert_msg_equal(&reply, &d);
    of_msg_uninit(&d);
    of_buf_uninit(&wire);
    of_msg_uninit(&reply);

    /* Table stats of the table it is in. */
    struct ft_table_stats ts;
    struct of_table_stats ots;
    ft_pipeline_table_stats(pl, 1, &ts);
    of_ft_table_stats_from_ft(&ts, &ots);
    assert_int_equal(ots.table_id, 1);
    assert_int_equal(ots.active_count, 1);
    assert_int_equal(ots.lookup_count, ts.lookup_count);
    assert_int_equal(ots.matched_count, ts.matched_count);

    /* Deleting it reports FLOW_REMOVED (SEND_FLOW_REM is set). */
    struct of_msg del;
    build_flow_mod(&del, 2);
    del.flow_mod.command = 3;           /* DELETE */
    del.flow_mod.table_id = OFPTT_ALL;
    assert_int_equal(of_ft_flow_mod_to_ft(&del.flow_mod, &ffm, &arena, &err),
                     0);
    ft_pipeline_begin(pl);
    assert_true(ft_ofperr_is_ok(ft_pipeline_flow_mod(pl, &ffm, 9500, NULL)));
    ft_pipeline_commit(pl);
    of_ft_arena_free(&arena);
    assert_int_equal(removed.n, 1);
    assert_int_equal(removed.fr.reason, FT_OFPRR_DELETE);
    assert_int_equal(removed.fr.cookie, 0x1122334455667788ull);
    assert_int_equal(removed.fr.priority, 1234);
    assert_int_equal(removed.fr.table_id, 1);
    assert_int_equal(removed.fr.duration_sec, 4);
    assert_int_equal(removed.fr.duration_nsec, 500000000);
    assert_int_equal(removed.fr.idle_timeout, 30);
    assert_int_equal(removed.fr.hard_timeout, 60);
    assert_int_equal(removed.fr.packet_count, 3);
    assert_int_equal(removed.fr.byte_count, 180);
    struct of_msg fr1, fr2;
    of_msg_init(&fr1, OFPT_FLOW_REMOVED, 0);
    fr2 = fr1;
    fr1.flow_removed = removed.fr;
    fr2.flow_removed = removed.fr;
    fr2.flow_removed.match = fm.flow_mod.match;
    assert_msg_equal(&fr1, &fr2);

    ft_pipeline_destroy(pl);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_actions_roundtrip),
        cmocka_unit_test(test_set_field_every_field),
        cmocka_unit_test(test_set_field_key_bits),
        cmocka_unit_test(test_flow_mod_roundtrip),
        cmocka_unit_test(test_instructions_canonical_order),
        cmocka_unit_test(test_conversion_errors),
        cmocka_unit_test(test_group_roundtrip),
        cmocka_unit_test(test_group_stats_features),
        cmocka_unit_test(test_meter_roundtrip),
        cmocka_unit_test(test_flow_stats_from_pipeline),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
