/*
 * test_of_roundtrip.c — round-trip and coverage tests of the OpenFlow codec
 * over the sample corpus: encode(m) decodes to m, encode(decode(b)) == b,
 * and the corpus really covers every message, multipart type, OXM field,
 * action and instruction. Also multipart MORE split/reassembly and ERROR
 * replies. Single-threaded cmocka test.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "of_samples.h"

static struct of_sample *samples;
static size_t n_samples;

static int
setup(void **state)
{
    (void) state;
    n_samples = of_samples_build(&samples);
    return n_samples ? 0 : -1;
}

static int
teardown(void **state)
{
    (void) state;
    of_samples_free(samples, n_samples);
    return 0;
}

/* encode -> decode -> equal -> encode -> same bytes, for every sample. */
static void
test_corpus_round_trip(void **state)
{
    (void) state;
    struct of_buf a, b;
    of_buf_init(&a);
    of_buf_init(&b);
    for (size_t i = 0; i < n_samples; i++) {
        struct of_msg decoded;
        struct of_err err = { 0, 0 };
        of_buf_clear(&a);
        of_buf_clear(&b);
        if (of_msg_encode(&samples[i].msg, &a)) {
            fail_msg("%s: encode failed", samples[i].name);
        }
        int error = of_msg_decode(a.data, a.len, &decoded, &err);
        if (error) {
            fail_msg("%s: decode failed: %s/%s", samples[i].name,
                     of_error_type_name(err.type),
                     of_error_code_name(err.type, err.code));
        }
        if (!of_msg_equal(&samples[i].msg, &decoded)) {
            fail_msg("%s: decode(encode(m)) != m", samples[i].name);
        }
        assert_int_equal(of_msg_encode(&decoded, &b), 0);
        assert_int_equal(a.len, b.len);
        assert_memory_equal(a.data, b.data, a.len);
        char text[64];
        assert_true(of_msg_format(&decoded, text, sizeof text) > 0);
        of_msg_uninit(&decoded);
    }
    of_buf_uninit(&a);
    of_buf_uninit(&b);
}

/* ---- coverage ---- */

struct coverage {
    bool msg_type[30];
    bool mp_request[16], mp_reply[16];   /* index 15: EXPERIMENTER */
    bool oxm[OF_OXM_N_FIELDS];
    bool action[28], action_experimenter;
    bool instruction[7], instruction_experimenter;
    bool bundle_ctrl, bundle_add;
};

static void
cover_match(struct coverage *c, const struct of_match *m)
{
    for (unsigned int i = 0; i < m->n_fields; i++) {
        c->oxm[m->fields[i].field] = true;
    }
}

static void
cover_actions(struct coverage *c, const struct of_action_list *l)
{
    for (uint32_t i = 0; i < l->n; i++) {
        uint16_t t = l->items[i].type;
        if (t == OFPAT_EXPERIMENTER) {
            c->action_experimenter = true;
        } else if (t < 28) {
            c->action[t] = true;
        }
    }
}

static void
cover_instructions(struct coverage *c, const struct of_instruction_list *l)
{
    for (uint32_t i = 0; i < l->n; i++) {
        const struct of_instruction *in = &l->items[i];
        if (in->type == OFPIT_EXPERIMENTER) {
            c->instruction_experimenter = true;
        } else if (in->type < 7) {
            c->instruction[in->type] = true;
        }
        if (in->type >= OFPIT_WRITE_ACTIONS && in->type <= OFPIT_CLEAR_ACTIONS) {
            cover_actions(c, &in->actions);
        }
    }
}

static void
cover_msg(struct coverage *c, const struct of_msg *m)
{
    c->msg_type[m->type] = true;
    switch (m->type) {
    case OFPT_FLOW_MOD:
        cover_match(c, &m->flow_mod.match);
        cover_instructions(c, &m->flow_mod.instructions);
        break;
    case OFPT_PACKET_IN: cover_match(c, &m->packet_in.match); break;
    case OFPT_FLOW_REMOVED: cover_match(c, &m->flow_removed.match); break;
    case OFPT_PACKET_OUT: cover_actions(c, &m->packet_out.actions); break;
    case OFPT_GROUP_MOD:
        for (uint32_t i = 0; i < m->group_mod.buckets.n; i++) {
            cover_actions(c, &m->group_mod.buckets.items[i].actions);
        }
        break;
    case OFPT_EXPERIMENTER:
        if (m->experimenter.experimenter == ONF_EXPERIMENTER_ID) {
            if (m->experimenter.exp_type == ONF_ET_BUNDLE_CONTROL) {
                c->bundle_ctrl = true;
            } else if (m->experimenter.exp_type == ONF_ET_BUNDLE_ADD_MESSAGE) {
                c->bundle_add = true;
                cover_msg(c, m->bundle_add.message);
            }
        }
        break;
    case OFPT_MULTIPART_REQUEST:
    case OFPT_MULTIPART_REPLY: {
        unsigned int t = m->multipart.type == OFPMP_EXPERIMENTER ? 15
                         : m->multipart.type;
        (m->type == OFPT_MULTIPART_REPLY ? c->mp_reply : c->mp_request)[t] = true;
        if (m->type == OFPT_MULTIPART_REPLY && m->multipart.type == OFPMP_FLOW) {
            for (uint32_t i = 0; i < m->multipart.flows.n; i++) {
                cover_match(c, &m->multipart.flows.items[i].match);
                cover_instructions(c, &m->multipart.flows.items[i].instructions);
            }
        }
        break;
    }
    default:
        break;
    }
}

static void
test_corpus_coverage(void **state)
{
    (void) state;
    struct coverage c;
    memset(&c, 0, sizeof c);
    for (size_t i = 0; i < n_samples; i++) {
        cover_msg(&c, &samples[i].msg);
    }
    for (int t = 0; t <= OFPT_METER_MOD; t++) {
        if (!c.msg_type[t]) {
            fail_msg("message type %s not covered", of_msg_type_name((uint8_t) t));
        }
    }
    for (int t = 0; t < 16; t++) {
        if (t == 14) {
            continue;               /* no OFPMP 14 */
        }
        if (!c.mp_request[t] || !c.mp_reply[t]) {
            fail_msg("multipart type %d not covered", t);
        }
    }
    for (int f = 0; f < OF_OXM_N_FIELDS; f++) {
        if (!c.oxm[f]) {
            fail_msg("OXM field %s not covered", of_oxm_field_name((uint8_t) f));
        }
    }
    static const int actions[] = { 0, 11, 12, 15, 16, 17, 18, 19, 20, 21, 22,
                                   23, 24, 25, 26, 27 };
    for (size_t i = 0; i < sizeof actions / sizeof actions[0]; i++) {
        if (!c.action[actions[i]]) {
            fail_msg("action %d not covered", actions[i]);
        }
    }
    assert_true(c.action_experimenter);
    for (int t = 1; t < 7; t++) {
        if (!c.instruction[t]) {
            fail_msg("instruction %d not covered", t);
        }
    }
    assert_true(c.instruction_experimenter);
    assert_true(c.bundle_ctrl);
    assert_true(c.bundle_add);
}

/* ---- multipart MORE sequences ---- */

static void
check_split(uint32_t n_ports, size_t max_len, int expect_parts)
{
    struct of_msg big;
    of_msg_init(&big, OFPT_MULTIPART_REPLY, 77);
    big.multipart.type = OFPMP_PORT_DESC;
    struct of_port *ports = of_msg_alloc(&big, n_ports * sizeof *ports);
    assert_non_null(ports);
    for (uint32_t i = 0; i < n_ports; i++) {
        ports[i].port_no = i + 1;
        snprintf(ports[i].name, sizeof ports[i].name, "p%u", i);
    }
    big.multipart.ports = (struct of_port_list) { ports, n_ports };

    struct of_buf buf;
    of_buf_init(&buf);
    int parts = of_multipart_encode_split(&big, max_len, &buf);
    assert_int_equal(parts, expect_parts);

    /* Walk the parts: MORE on all but the last; reassemble. */
    struct of_msg acc, *part = calloc((size_t) parts, sizeof *part);
    assert_non_null(part);
    size_t off = 0;
    for (int i = 0; i < parts; i++) {
        size_t len = of_msg_peek_len(buf.data + off, buf.len - off);
        assert_true(len >= 16 && len <= (max_len ? max_len : OFP_MAX_MSG_LEN));
        struct of_err err;
        assert_int_equal(of_msg_decode(buf.data + off, len, &part[i], &err), 0);
        assert_int_equal(part[i].xid, 77);
        assert_int_equal(part[i].multipart.flags & OFPMPF_REPLY_MORE,
                         i + 1 < parts ? OFPMPF_REPLY_MORE : 0);
        if (i == 0) {
            acc = part[0];
            acc.arena.head = NULL;  /* part[0] keeps ownership */
        } else {
            assert_int_equal(of_multipart_append(&acc, &part[i]), 0);
        }
        off += len;
    }
    assert_int_equal(off, buf.len);
    acc.multipart.flags = 0;
    assert_true(of_msg_equal(&acc, &big));

    of_msg_uninit(&acc);
    for (int i = 0; i < parts; i++) {
        of_msg_uninit(&part[i]);
    }
    free(part);
    of_buf_uninit(&buf);
    of_msg_uninit(&big);
}

static void
test_multipart_split(void **state)
{
    (void) state;
    check_split(3, 0, 1);
    check_split(2000, 0, 2);        /* 128000 bytes of ports: two parts */
    check_split(100, 16 + 64 * 10, 10);
    check_split(0, 0, 1);
}

static void
test_multipart_split_entry_too_big(void **state)
{
    (void) state;
    struct of_msg m;
    struct of_port port;
    memset(&port, 0, sizeof port);
    of_msg_init(&m, OFPT_MULTIPART_REPLY, 1);
    m.multipart.type = OFPMP_PORT_DESC;
    m.multipart.ports = (struct of_port_list) { &port, 1 };
    struct of_buf buf;
    of_buf_init(&buf);
    assert_int_equal(of_multipart_encode_split(&m, 40, &buf), -EMSGSIZE);
    assert_int_equal(buf.len, 0);
    of_buf_uninit(&buf);
}

static void
test_encode_too_big(void **state)
{
    (void) state;
    static uint8_t data[70000];
    struct of_msg m;
    of_msg_init(&m, OFPT_ECHO_REQUEST, 1);
    m.echo.data = (struct of_blob) { data, sizeof data };
    struct of_buf buf;
    of_buf_init(&buf);
    assert_int_equal(of_msg_encode(&m, &buf), -EMSGSIZE);
    assert_int_equal(buf.len, 0);
    of_buf_uninit(&buf);
}

/* ---- ERROR replies ---- */

static void
test_error_encode(void **state)
{
    (void) state;
    struct of_buf req, reply;
    of_buf_init(&req);
    of_buf_init(&reply);
    /* The TCP flow-mod is well over 64 bytes: the echo is cut at 64. */
    for (size_t i = 0; i < n_samples; i++) {
        if (!strcmp(samples[i].name, "flow_mod_tcp")) {
            assert_int_equal(of_msg_encode(&samples[i].msg, &req), 0);
        }
    }
    assert_true(req.len > 64);
    struct of_err err = { OFPET_BAD_MATCH, OFPBMC_BAD_PREREQ };
    assert_int_equal(of_error_encode(&err, req.data, req.len, &reply), 0);
    assert_int_equal(reply.len, 12 + 64);

    struct of_msg m;
    assert_int_equal(of_msg_decode(reply.data, reply.len, &m, NULL), 0);
    assert_int_equal(m.type, OFPT_ERROR);
    assert_int_equal(m.xid, (uint32_t) req.data[4] << 24 | (uint32_t) req.data[5] << 16
                             | (uint32_t) req.data[6] << 8 | req.data[7]);
    assert_int_equal(m.error.type, OFPET_BAD_MATCH);
    assert_int_equal(m.error.code, OFPBMC_BAD_PREREQ);
    assert_int_equal(m.error.data.len, 64);
    assert_memory_equal(m.error.data.data, req.data, 64);
    of_msg_uninit(&m);

    /* A 3-byte scrap: echoed whole, xid 0. */
    of_buf_clear(&reply);
    err = (struct of_err) { OFPET_BAD_REQUEST, OFPBRC_BAD_LEN };
    assert_int_equal(of_error_encode(&err, "\x04\x00\x00", 3, &reply), 0);
    assert_int_equal(reply.len, 15);
    assert_int_equal(reply.data[4] | reply.data[5] | reply.data[6] | reply.data[7], 0);

    assert_string_equal(of_error_code_name(OFPET_BAD_MATCH, OFPBMC_DUP_FIELD), "DUP_FIELD");
    assert_string_equal(of_error_type_name(OFPET_TABLE_FEATURES_FAILED),
                        "TABLE_FEATURES_FAILED");
    assert_null(of_error_code_name(OFPET_BAD_MATCH, 99));
    of_buf_uninit(&req);
    of_buf_uninit(&reply);
}

/* ---- stats echo what the controller sent ---- */

static const struct of_msg *
sample(const char *name)
{
    for (size_t i = 0; i < n_samples; i++) {
        if (!strcmp(samples[i].name, name)) {
            return &samples[i].msg;
        }
    }
    fail_msg("no sample %s", name);
    return NULL;
}

static bool
contains(const struct of_buf *hay, const uint8_t *needle, size_t n)
{
    for (size_t i = 0; i + n <= hay->len; i++) {
        if (!memcmp(hay->data + i, needle, n)) {
            return true;
        }
    }
    return false;
}

/* Decodes 'name', builds the stats/description reply from the decoded
 * parts, and checks the reply carries the request's bytes from 'from' to
 * its end (match + instructions, buckets, bands) unchanged. */
static void
check_echo(const char *name, size_t from, uint16_t mp_type)
{
    struct of_buf req, reply;
    struct of_msg mod, rep;
    of_buf_init(&req);
    of_buf_init(&reply);
    assert_int_equal(of_msg_encode(sample(name), &req), 0);
    assert_int_equal(of_msg_decode(req.data, req.len, &mod, NULL), 0);

    of_msg_init(&rep, OFPT_MULTIPART_REPLY, 1);
    rep.multipart.type = mp_type;
    struct of_flow_stats fs;
    struct of_group_desc gd;
    struct of_meter_config mc;
    memset(&fs, 0, sizeof fs);
    memset(&gd, 0, sizeof gd);
    memset(&mc, 0, sizeof mc);
    switch (mp_type) {
    case OFPMP_FLOW:
        fs.match = mod.flow_mod.match;
        fs.instructions = mod.flow_mod.instructions;
        rep.multipart.flows = (struct of_flow_stats_list) { &fs, 1 };
        break;
    case OFPMP_GROUP_DESC:
        gd.type = mod.group_mod.type;
        gd.group_id = mod.group_mod.group_id;
        gd.buckets = mod.group_mod.buckets;
        rep.multipart.group_descs = (struct of_group_desc_list) { &gd, 1 };
        break;
    default:
        mc.flags = mod.meter_mod.flags;
        mc.meter_id = mod.meter_mod.meter_id;
        mc.bands = mod.meter_mod.bands;
        rep.multipart.meter_configs = (struct of_meter_config_list) { &mc, 1 };
        break;
    }
    assert_int_equal(of_msg_encode(&rep, &reply), 0);
    assert_true(req.len > from);
    if (!contains(&reply, req.data + from, req.len - from)) {
        fail_msg("%s: reply does not echo the request's bytes", name);
    }
    of_msg_uninit(&mod);
    of_buf_uninit(&req);
    of_buf_uninit(&reply);
}

static void
test_stats_echo_request(void **state)
{
    (void) state;
    /* FLOW_MOD: match + instructions start after the 48-byte fixed part;
     * the unordered match proves field order is kept. */
    check_echo("flow_mod_unordered", 48, OFPMP_FLOW);
    check_echo("flow_mod_tcp", 48, OFPMP_FLOW);
    check_echo("flow_mod_nd_sll", 48, OFPMP_FLOW);
    check_echo("group_mod", 16, OFPMP_GROUP_DESC);     /* buckets */
    check_echo("meter_mod", 16, OFPMP_METER_CONFIG);   /* bands */
}

/* HELLO: any version is accepted, unknown elements are kept verbatim. */
static void
test_hello_unknown_element(void **state)
{
    (void) state;
    static const uint8_t hello[] = {
        0x05, 0x00, 0x00, 0x20, 0x00, 0x00, 0x00, 0x01,
        0x00, 0x07, 0x00, 0x06, 0xaa, 0xbb, 0x00, 0x00,     /* unknown, padded */
        0x00, 0x01, 0x00, 0x0c, 0x00, 0x00, 0x00, 0x32,     /* bitmap: 1,4,5 */
        0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00,
    };
    struct of_msg m;
    assert_int_equal(of_msg_decode(hello, sizeof hello, &m, NULL), 0);
    assert_int_equal(m.version, 5);
    assert_int_equal(m.hello.elements.n, 2);
    assert_int_equal(m.hello.elements.items[0].type, 7);
    assert_int_equal(m.hello.elements.items[0].data.len, 2);
    assert_int_equal(m.hello.elements.items[1].bitmaps.n, 2);
    assert_int_equal(m.hello.elements.items[1].bitmaps.items[0], 0x32);
    struct of_buf buf;
    of_buf_init(&buf);
    assert_int_equal(of_msg_encode(&m, &buf), 0);
    assert_int_equal(buf.len, sizeof hello);
    assert_memory_equal(buf.data, hello, sizeof hello);
    of_buf_uninit(&buf);
    of_msg_uninit(&m);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_corpus_round_trip),
        cmocka_unit_test(test_corpus_coverage),
        cmocka_unit_test(test_multipart_split),
        cmocka_unit_test(test_multipart_split_entry_too_big),
        cmocka_unit_test(test_encode_too_big),
        cmocka_unit_test(test_error_encode),
        cmocka_unit_test(test_hello_unknown_element),
        cmocka_unit_test(test_stats_echo_request),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
