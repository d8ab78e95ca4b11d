/*
 * test_of_malformed.c — malformed-message suite for the OpenFlow codec:
 * each case is a hand-built message with one defect (truncated header,
 * lying lengths, bad OXM lengths, wrong prerequisites, duplicate fields,
 * unknown types...) and the OpenFlow error type/code the spec names for
 * it. Every rejection is also turned into an ERROR reply and checked.
 * Then two sweeps over the sample corpus (every truncation, every byte
 * overwritten) that must never crash or read out of bounds (run it under
 * ASan to make that a hard check). Single-threaded cmocka test.
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

/* ---- raw message builder ---- */

struct raw {
    uint8_t b[4096];
    size_t n;
};

static void put8(struct raw *r, uint8_t v) { r->b[r->n++] = v; }
static void put16(struct raw *r, uint16_t v) { put8(r, (uint8_t) (v >> 8)); put8(r, (uint8_t) v); }
static void put32(struct raw *r, uint32_t v) { put16(r, (uint16_t) (v >> 16)); put16(r, (uint16_t) v); }
static void put64(struct raw *r, uint64_t v) { put32(r, (uint32_t) (v >> 32)); put32(r, (uint32_t) v); }
static void
putb(struct raw *r, const void *p, size_t n)
{
    if (n) {
        memcpy(r->b + r->n, p, n);
        r->n += n;
    }
}
static void
pad8(struct raw *r, size_t from)
{
    while ((r->n - from) % 8) {
        put8(r, 0);
    }
}

static void
header(struct raw *r, uint8_t type)
{
    r->n = 0;
    put8(r, OFP_VERSION_1_3);
    put8(r, type);
    put16(r, 0);
    put32(r, 0xabcd);
}

static void
finish(struct raw *r)
{
    r->b[2] = (uint8_t) (r->n >> 8);
    r->b[3] = (uint8_t) r->n;
}

/* FLOW_MOD (ADD, table 0) with the given OXM TLVs and instruction bytes. */
static void
flow_mod(struct raw *r, const void *oxms, size_t oxm_len, const void *insts,
         size_t inst_len)
{
    header(r, OFPT_FLOW_MOD);
    put64(r, 0); put64(r, 0);                   /* cookie, cookie_mask */
    put8(r, 0); put8(r, 0);                     /* table_id, command */
    put16(r, 0); put16(r, 0); put16(r, 100);    /* idle, hard, priority */
    put32(r, OFP_NO_BUFFER); put32(r, OFPP_ANY); put32(r, OFPG_ANY);
    put16(r, 0); put16(r, 0);                   /* flags, pad */
    size_t m = r->n;
    put16(r, OFPMT_OXM);
    put16(r, (uint16_t) (4 + oxm_len));
    putb(r, oxms, oxm_len);
    pad8(r, m);
    putb(r, insts, inst_len);
    finish(r);
}

/* Decodes r and checks the error; then checks the ERROR reply. */
static void
expect_error_at(const struct raw *r, uint16_t type, uint16_t code,
                const char *what, int line)
{
    /* An exact-size heap copy, so ASan catches any read past the end. */
    uint8_t *copy = malloc(r->n ? r->n : 1);
    assert_non_null(copy);
    memcpy(copy, r->b, r->n);
    struct of_msg msg;
    struct of_err err = { 0xeeee, 0xeeee };
    int error = of_msg_decode(copy, r->n, &msg, &err);
    of_msg_uninit(&msg);
    if (error != -EBADMSG || err.type != type || err.code != code) {
        fail_msg("line %d (%s): got %d %s/%s, want %s/%s", line, what, error,
                 of_error_type_name(err.type), of_error_code_name(err.type, err.code),
                 of_error_type_name(type), of_error_code_name(type, code));
    }

    struct of_buf reply;
    of_buf_init(&reply);
    assert_int_equal(of_error_encode(&err, copy, r->n, &reply), 0);
    struct of_msg em;
    assert_int_equal(of_msg_decode(reply.data, reply.len, &em, NULL), 0);
    assert_int_equal(em.type, OFPT_ERROR);
    assert_int_equal(em.error.type, type);
    assert_int_equal(em.error.code, code);
    size_t echo = r->n < OFP_ERROR_ECHO_MAX ? r->n : OFP_ERROR_ECHO_MAX;
    assert_int_equal(em.error.data.len, echo);
    if (echo) {
        assert_memory_equal(em.error.data.data, copy, echo);
    }
    if (r->n >= 8) {
        assert_int_equal(em.xid, 0xabcd);
    }
    of_msg_uninit(&em);
    of_buf_uninit(&reply);
    free(copy);
}
#define expect_error(r, t, c, what) expect_error_at(r, t, c, what, __LINE__)

static void
expect_ok_at(const struct raw *r, int line)
{
    struct of_msg msg;
    struct of_err err = { 0, 0 };
    int error = of_msg_decode(r->b, r->n, &msg, &err);
    if (error) {
        fail_msg("line %d: unexpected %s/%s", line, of_error_type_name(err.type),
                 of_error_code_name(err.type, err.code));
    }
    struct of_buf out;
    of_buf_init(&out);
    assert_int_equal(of_msg_encode(&msg, &out), 0);
    assert_int_equal(out.len, r->n);
    assert_memory_equal(out.data, r->b, r->n);
    of_buf_uninit(&out);
    of_msg_uninit(&msg);
}
#define expect_ok(r) expect_ok_at(r, __LINE__)

/* ---- OXM cases: (bytes, expected OFPBMC code or -1 for accepted) ---- */

#define B(s) s, sizeof(s) - 1
#define ETH_IP   "\x80\x00\x0a\x02\x08\x00"
#define ETH_IP6  "\x80\x00\x0a\x02\x86\xdd"
#define ETH_ARP  "\x80\x00\x0a\x02\x08\x06"
#define ETH_MPLS "\x80\x00\x0a\x02\x88\x47"
#define IN_PORT1 "\x80\x00\x00\x04\x00\x00\x00\x01"

static const struct {
    const char *what;
    const char *oxm;
    size_t len;
    int code;
} oxm_cases[] = {
    { "in_port", B(IN_PORT1), -1 },
    { "masked ipv4", B(ETH_IP "\x80\x00\x17\x08\x0a\x00\x00\x00\xff\x00\x00\x00"), -1 },
    { "prereq after dependent", B("\x80\x00\x1a\x02\x00\x50" "\x80\x00\x14\x01\x06" ETH_IP), -1 },
    { "vlan none", B("\x80\x00\x0c\x02\x00\x00"), -1 },
    { "NXM class", B("\x00\x01\x00\x04\x00\x00\x00\x01"), OFPBMC_BAD_FIELD },
    { "experimenter class", B("\xff\xff\x00\x08\x00\x00\x23\x20\x00\x00\x00\x01"), OFPBMC_BAD_FIELD },
    { "field 40", B("\x80\x00\x50\x02\x00\x00"), OFPBMC_BAD_FIELD },
    { "field 127", B("\x80\x00\xfe\x02\x00\x00"), OFPBMC_BAD_FIELD },
    { "in_port len 2", B("\x80\x00\x00\x02\x00\x01"), OFPBMC_BAD_LEN },
    { "in_port len 0", B("\x80\x00\x00\x00"), OFPBMC_BAD_LEN },
    { "masked ipv4 len 4", B(ETH_IP "\x80\x00\x17\x04\x0a\x00\x00\x00"), OFPBMC_BAD_LEN },
    { "oxm past match", B("\x80\x00\x00\x08\x00\x00\x00\x01"), OFPBMC_BAD_LEN },
    { "truncated oxm header", B(IN_PORT1 "\x80\x00"), OFPBMC_BAD_LEN },
    { "masked eth_type", B("\x80\x00\x0b\x04\x08\x00\xff\xff"), OFPBMC_BAD_MASK },
    { "masked in_port", B("\x80\x00\x01\x08\x00\x00\x00\x01\xff\xff\xff\xff"), OFPBMC_BAD_MASK },
    { "masked tcp_src", B(ETH_IP "\x80\x00\x14\x01\x06" "\x80\x00\x1b\x04\x00\x50\xff\xff"), OFPBMC_BAD_MASK },
    { "flabel mask too wide", B(ETH_IP6 "\x80\x00\x39\x08\x00\x00\x00\x01\xff\xff\xff\xff"), OFPBMC_BAD_MASK },
    { "dup in_port", B(IN_PORT1 IN_PORT1), OFPBMC_DUP_FIELD },
    { "dup eth_type", B(ETH_IP ETH_IP6), OFPBMC_DUP_FIELD },
    { "tcp_src alone", B("\x80\x00\x1a\x02\x00\x50"), OFPBMC_BAD_PREREQ },
    { "tcp_src on udp", B(ETH_IP "\x80\x00\x14\x01\x11" "\x80\x00\x1a\x02\x00\x50"), OFPBMC_BAD_PREREQ },
    { "ip_proto on arp", B(ETH_ARP "\x80\x00\x14\x01\x06"), OFPBMC_BAD_PREREQ },
    { "ipv4_src on ipv6", B(ETH_IP6 "\x80\x00\x16\x04\x0a\x00\x00\x01"), OFPBMC_BAD_PREREQ },
    { "ipv6_src on ipv4", B(ETH_IP "\x80\x00\x34\x10" "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01"), OFPBMC_BAD_PREREQ },
    { "vlan_pcp alone", B("\x80\x00\x0e\x01\x03"), OFPBMC_BAD_PREREQ },
    { "vlan_pcp on no tag", B("\x80\x00\x0c\x02\x00\x00" "\x80\x00\x0e\x01\x03"), OFPBMC_BAD_PREREQ },
    { "in_phy_port alone", B("\x80\x00\x02\x04\x00\x00\x00\x01"), OFPBMC_BAD_PREREQ },
    { "nd_sll on NA", B(ETH_IP6 "\x80\x00\x14\x01\x3a" "\x80\x00\x3a\x01\x88" "\x80\x00\x40\x06\x00\x11\x22\x33\x44\x55"), OFPBMC_BAD_PREREQ },
    { "icmpv4 on ipv6", B(ETH_IP6 "\x80\x00\x14\x01\x01" "\x80\x00\x26\x01\x08"), OFPBMC_BAD_PREREQ },
    { "icmpv6 on ipv4", B(ETH_IP "\x80\x00\x14\x01\x3a" "\x80\x00\x3a\x01\x87"), OFPBMC_BAD_PREREQ },
    { "mpls on ip", B(ETH_IP "\x80\x00\x44\x04\x00\x00\x00\x01"), OFPBMC_BAD_PREREQ },
    { "arp_op with masked eth_type-less", B("\x80\x00\x2a\x02\x00\x01"), OFPBMC_BAD_PREREQ },
    { "vlan_pcp 8", B("\x80\x00\x0c\x02\x10\x01" "\x80\x00\x0e\x01\x08"), OFPBMC_BAD_VALUE },
    { "vlan_vid 0x2000", B("\x80\x00\x0c\x02\x20\x00"), OFPBMC_BAD_VALUE },
    { "dscp 64", B(ETH_IP "\x80\x00\x10\x01\x40"), OFPBMC_BAD_VALUE },
    { "ecn 4", B(ETH_IP "\x80\x00\x12\x01\x04"), OFPBMC_BAD_VALUE },
    { "mpls label 2^20", B(ETH_MPLS "\x80\x00\x44\x04\x00\x10\x00\x00"), OFPBMC_BAD_VALUE },
    { "mpls bos 2", B(ETH_MPLS "\x80\x00\x48\x01\x02"), OFPBMC_BAD_VALUE },
    { "ipv4 value outside mask", B(ETH_IP "\x80\x00\x17\x08\x0a\x00\x00\x01\xff\x00\x00\x00"), OFPBMC_BAD_WILDCARDS },
    { "eth_dst value outside mask", B("\x80\x00\x07\x0c\x00\x11\x22\x33\x44\x55\xff\xff\xff\x00\x00\x00"), OFPBMC_BAD_WILDCARDS },
};

static void
test_oxm_errors(void **state)
{
    (void) state;
    struct raw r;
    for (size_t i = 0; i < sizeof oxm_cases / sizeof oxm_cases[0]; i++) {
        flow_mod(&r, oxm_cases[i].oxm, oxm_cases[i].len, NULL, 0);
        if (oxm_cases[i].code < 0) {
            expect_ok(&r);
        } else {
            expect_error(&r, OFPET_BAD_MATCH, (uint16_t) oxm_cases[i].code,
                         oxm_cases[i].what);
        }
    }
}

static void
test_match_header_errors(void **state)
{
    (void) state;
    struct raw r;
    flow_mod(&r, NULL, 0, NULL, 0);
    r.b[49] = OFPMT_STANDARD;                  /* match type */
    expect_error(&r, OFPET_BAD_MATCH, OFPBMC_BAD_TYPE, "standard match");
    flow_mod(&r, NULL, 0, NULL, 0);
    r.b[51] = 2;                                /* match length < 4 */
    expect_error(&r, OFPET_BAD_MATCH, OFPBMC_BAD_LEN, "match len 2");
    flow_mod(&r, NULL, 0, NULL, 0);
    r.b[50] = 0x01;                             /* match length 260 */
    expect_error(&r, OFPET_BAD_MATCH, OFPBMC_BAD_LEN, "match past message");
    flow_mod(&r, NULL, 0, NULL, 0);
    r.n = 50;                                   /* match header cut */
    finish(&r);
    expect_error(&r, OFPET_BAD_REQUEST, OFPBRC_BAD_LEN, "match cut");
}

/* ---- actions and instructions ---- */

static void
apply_actions(struct raw *r, const void *acts, size_t len)
{
    struct raw in;
    in.n = 0;
    put16(&in, OFPIT_APPLY_ACTIONS);
    put16(&in, (uint16_t) (8 + len));
    put32(&in, 0);
    putb(&in, acts, len);
    flow_mod(r, NULL, 0, in.b, in.n);
}

#define SETF "\x00\x19\x00\x10"
static const struct {
    const char *what;
    const char *acts;
    size_t len;
    int code;
} action_cases[] = {
    { "output", B("\x00\x00\x00\x10\x00\x00\x00\x01\xff\xff\0\0\0\0\0\0"), -1 },
    { "set_field eth_dst", B("\x00\x19\x00\x10\x80\x00\x06\x06\x00\x11\x22\x33\x44\x55\0\0"), -1 },
    { "unknown type", B("\x00\x63\x00\x08\0\0\0\0"), OFPBAC_BAD_TYPE },
    { "type 1 (OF1.0)", B("\x00\x01\x00\x08\0\0\0\0"), OFPBAC_BAD_TYPE },
    { "len 12", B("\x00\x00\x00\x0c\x00\x00\x00\x01\xff\xff\0\0\0\0\0\0"), OFPBAC_BAD_LEN },
    { "len 0", B("\x00\x00\x00\x00\x00\x00\x00\x01"), OFPBAC_BAD_LEN },
    { "output len 8", B("\x00\x00\x00\x08\x00\x00\x00\x01"), OFPBAC_BAD_LEN },
    { "output len 24", B("\x00\x00\x00\x18\x00\x00\x00\x01\xff\xff\0\0\0\0\0\0\0\0\0\0\0\0\0\0"), OFPBAC_BAD_LEN },
    { "len past list", B("\x00\x00\x00\x20\x00\x00\x00\x01\xff\xff\0\0\0\0\0\0"), OFPBAC_BAD_LEN },
    { "trailing short action", B("\x00\x00\x00\x10\x00\x00\x00\x01\xff\xff\0\0\0\0\0\0\x00\x00\x00\x04\0\0\0\0"), OFPBAC_BAD_LEN },
    { "output port 0", B("\x00\x00\x00\x10\x00\x00\x00\x00\xff\xff\0\0\0\0\0\0"), OFPBAC_BAD_OUT_PORT },
    { "output port any", B("\x00\x00\x00\x10\xff\xff\xff\xff\xff\xff\0\0\0\0\0\0"), OFPBAC_BAD_OUT_PORT },
    { "output reserved gap", B("\x00\x00\x00\x10\xff\xff\xff\x01\xff\xff\0\0\0\0\0\0"), OFPBAC_BAD_OUT_PORT },
    { "push_vlan 0x0800", B("\x00\x11\x00\x08\x08\x00\x00\x00"), OFPBAC_BAD_ARGUMENT },
    { "push_mpls 0x8100", B("\x00\x13\x00\x08\x81\x00\x00\x00"), OFPBAC_BAD_ARGUMENT },
    { "set_field masked", B(SETF "\x80\x00\x0b\x04\x08\x00\xff\xff\0\0\0\0"), OFPBAC_BAD_SET_ARGUMENT },
    { "set_field in_port", B(SETF "\x80\x00\x00\x04\x00\x00\x00\x01\0\0\0\0"), OFPBAC_BAD_SET_TYPE },
    { "set_field metadata", B("\x00\x19\x00\x10\x80\x00\x04\x08\0\0\0\0\0\0\0\x01"), OFPBAC_BAD_SET_TYPE },
    { "set_field NXM", B(SETF "\x00\x01\x00\x04\x00\x00\x00\x01\0\0\0\0"), OFPBAC_BAD_SET_TYPE },
    { "set_field field 45", B(SETF "\x80\x00\x5a\x02\x00\x01\0\0\0\0\0\0"), OFPBAC_BAD_SET_TYPE },
    { "set_field oxm len", B(SETF "\x80\x00\x0a\x04\x08\x00\x00\x00\0\0\0\0"), OFPBAC_BAD_SET_LEN },
    { "set_field oxm past action", B(SETF "\x80\x00\x06\x0c\x00\x11\x22\x33\x44\x55\0\0"), OFPBAC_BAD_SET_LEN },
    { "set_field too long", B("\x00\x19\x00\x18\x80\x00\x0a\x02\x08\x00\0\0\0\0\0\0\0\0\0\0\0\0\0\0"), OFPBAC_BAD_SET_LEN },
    { "set_field pcp 9", B(SETF "\x80\x00\x0e\x01\x09\0\0\0\0\0\0\0"), OFPBAC_BAD_SET_ARGUMENT },
};

static void
test_action_errors(void **state)
{
    (void) state;
    struct raw r;
    for (size_t i = 0; i < sizeof action_cases / sizeof action_cases[0]; i++) {
        apply_actions(&r, action_cases[i].acts, action_cases[i].len);
        if (action_cases[i].code < 0) {
            expect_ok(&r);
        } else {
            expect_error(&r, OFPET_BAD_ACTION, (uint16_t) action_cases[i].code,
                         action_cases[i].what);
        }
    }
}

#define GOTO1 "\x00\x01\x00\x08\x01\x00\x00\x00"
#define APPLY_EMPTY "\x00\x04\x00\x08\x00\x00\x00\x00"
static const struct {
    const char *what;
    const char *insts;
    size_t len;
    int code;
} instruction_cases[] = {
    { "goto", B(GOTO1), -1 },
    { "unknown 9", B("\x00\x09\x00\x08\0\0\0\0"), OFPBIC_UNKNOWN_INST },
    { "type 0", B("\x00\x00\x00\x08\0\0\0\0"), OFPBIC_UNKNOWN_INST },
    { "goto len 16", B("\x00\x01\x00\x10\x01\0\0\0\0\0\0\0\0\0\0\0"), OFPBIC_BAD_LEN },
    { "goto len 4", B("\x00\x01\x00\x04\x01\0\0\0"), OFPBIC_BAD_LEN },
    { "len 12", B("\x00\x04\x00\x0c\0\0\0\0\0\0\0\0\0\0\0\0"), OFPBIC_BAD_LEN },
    { "write_metadata short", B("\x00\x02\x00\x10\0\0\0\0\0\0\0\0\0\0\0\x01"), OFPBIC_BAD_LEN },
    { "len past message", B("\x00\x04\x00\x40\0\0\0\0"), OFPBIC_BAD_LEN },
    { "trailing 4 bytes", B(GOTO1 "\x00\x04\x00\x08"), OFPBIC_BAD_LEN },
    { "clear with action", B("\x00\x05\x00\x18\0\0\0\0\x00\x00\x00\x10\x00\x00\x00\x01\xff\xff\0\0\0\0\0\0"), OFPBIC_BAD_LEN },
    { "duplicate apply", B(APPLY_EMPTY APPLY_EMPTY), OFPBIC_UNSUP_INST },
    { "goto table all", B("\x00\x01\x00\x08\xff\x00\x00\x00"), OFPBIC_BAD_TABLE_ID },
};

static void
test_instruction_errors(void **state)
{
    (void) state;
    struct raw r;
    for (size_t i = 0; i < sizeof instruction_cases / sizeof instruction_cases[0]; i++) {
        flow_mod(&r, NULL, 0, instruction_cases[i].insts, instruction_cases[i].len);
        if (instruction_cases[i].code < 0) {
            expect_ok(&r);
        } else {
            expect_error(&r, OFPET_BAD_INSTRUCTION,
                         (uint16_t) instruction_cases[i].code,
                         instruction_cases[i].what);
        }
    }
}

/* ---- message-level framing and per-message checks ---- */

static void
test_header_errors(void **state)
{
    (void) state;
    struct raw r;

    r.n = 0;
    expect_error(&r, OFPET_BAD_REQUEST, OFPBRC_BAD_LEN, "empty");
    header(&r, OFPT_BARRIER_REQUEST);
    r.n = 4;
    expect_error(&r, OFPET_BAD_REQUEST, OFPBRC_BAD_LEN, "4 bytes");
    header(&r, OFPT_BARRIER_REQUEST);
    finish(&r);
    r.b[3] = 16;                                /* claims more than given */
    expect_error(&r, OFPET_BAD_REQUEST, OFPBRC_BAD_LEN, "length lies up");
    header(&r, OFPT_ECHO_REQUEST);
    put32(&r, 1);
    finish(&r);
    r.b[3] = 8;                                 /* claims less than given */
    expect_error(&r, OFPET_BAD_REQUEST, OFPBRC_BAD_LEN, "length lies down");
    header(&r, OFPT_BARRIER_REQUEST);
    r.b[3] = 4;                                 /* below the header */
    r.n = 8;
    expect_error(&r, OFPET_BAD_REQUEST, OFPBRC_BAD_LEN, "length 4");
    header(&r, OFPT_FEATURES_REQUEST);
    r.b[0] = 0x01;
    finish(&r);
    expect_error(&r, OFPET_BAD_REQUEST, OFPBRC_BAD_VERSION, "version 1");
    header(&r, 30);
    finish(&r);
    expect_error(&r, OFPET_BAD_REQUEST, OFPBRC_BAD_TYPE, "type 30");
    header(&r, 0xff);
    finish(&r);
    expect_error(&r, OFPET_BAD_REQUEST, OFPBRC_BAD_TYPE, "type 255");
    header(&r, OFPT_BARRIER_REQUEST);
    put32(&r, 0);
    finish(&r);
    expect_error(&r, OFPET_BAD_REQUEST, OFPBRC_BAD_LEN, "barrier + 4");
    header(&r, OFPT_SET_CONFIG);
    put16(&r, 0);
    finish(&r);
    expect_error(&r, OFPET_BAD_REQUEST, OFPBRC_BAD_LEN, "set_config short");
    header(&r, OFPT_HELLO);
    r.b[0] = 0x06;                              /* HELLO of any version is fine */
    finish(&r);
    expect_ok(&r);
    header(&r, OFPT_HELLO);
    put16(&r, OFPHET_VERSIONBITMAP);
    put16(&r, 2);                               /* element shorter than its header */
    put32(&r, 0);
    finish(&r);
    expect_error(&r, OFPET_HELLO_FAILED, OFPHFC_INCOMPATIBLE, "hello elem len 2");
}

static void
test_message_errors(void **state)
{
    (void) state;
    struct raw r;

    flow_mod(&r, NULL, 0, NULL, 0);
    r.n = 40;
    finish(&r);
    expect_error(&r, OFPET_BAD_REQUEST, OFPBRC_BAD_LEN, "flow_mod cut");
    flow_mod(&r, NULL, 0, NULL, 0);
    r.b[25] = 5;                                /* command */
    expect_error(&r, OFPET_FLOW_MOD_FAILED, OFPFMFC_BAD_COMMAND, "flow_mod cmd 5");
    flow_mod(&r, NULL, 0, NULL, 0);
    r.b[24] = OFPTT_ALL;                        /* ADD to all tables */
    expect_error(&r, OFPET_FLOW_MOD_FAILED, 2, "flow_mod add table all");

    /* Multipart. */
    header(&r, OFPT_MULTIPART_REQUEST);
    put16(&r, OFPMP_DESC);
    put16(&r, 0);
    finish(&r);
    expect_error(&r, OFPET_BAD_REQUEST, OFPBRC_BAD_LEN, "multipart short");
    header(&r, OFPT_MULTIPART_REQUEST);
    put16(&r, 14);
    put16(&r, 0);
    put32(&r, 0);
    finish(&r);
    expect_error(&r, OFPET_BAD_REQUEST, OFPBRC_BAD_MULTIPART, "multipart 14");
    header(&r, OFPT_MULTIPART_REPLY);
    put16(&r, 0x100);
    put16(&r, 0);
    put32(&r, 0);
    finish(&r);
    expect_error(&r, OFPET_BAD_REQUEST, OFPBRC_BAD_MULTIPART, "multipart 256");
    header(&r, OFPT_MULTIPART_REQUEST);
    put16(&r, OFPMP_PORT_STATS);
    put16(&r, 0);
    put32(&r, 0);
    put64(&r, 0);
    put64(&r, 0);
    finish(&r);
    expect_error(&r, OFPET_BAD_REQUEST, OFPBRC_BAD_LEN, "port stats req long");
    header(&r, OFPT_MULTIPART_REPLY);
    put16(&r, OFPMP_PORT_DESC);
    put16(&r, 0);
    put32(&r, 0);
    for (int i = 0; i < 70; i++) {
        put8(&r, 0);                            /* 64 + 6: not whole ports */
    }
    finish(&r);
    expect_error(&r, OFPET_BAD_REQUEST, OFPBRC_BAD_LEN, "port desc 70 bytes");

    /* PACKET_OUT whose actions_len runs past the message. */
    header(&r, OFPT_PACKET_OUT);
    put32(&r, OFP_NO_BUFFER);
    put32(&r, OFPP_CONTROLLER);
    put16(&r, 32);
    put16(&r, 0); put32(&r, 0);
    putb(&r, "\x00\x00\x00\x10\x00\x00\x00\x01\xff\xff\0\0\0\0\0\0", 16);
    finish(&r);
    expect_error(&r, OFPET_BAD_REQUEST, OFPBRC_BAD_LEN, "packet_out actions_len");

    /* GROUP_MOD. */
    header(&r, OFPT_GROUP_MOD);
    put16(&r, 0); put8(&r, 7); put8(&r, 0); put32(&r, 1);
    finish(&r);
    expect_error(&r, OFPET_GROUP_MOD_FAILED, OFPGMFC_BAD_TYPE, "group type 7");
    header(&r, OFPT_GROUP_MOD);
    put16(&r, 9); put8(&r, 0); put8(&r, 0); put32(&r, 1);
    finish(&r);
    expect_error(&r, OFPET_GROUP_MOD_FAILED, OFPGMFC_BAD_COMMAND, "group cmd 9");
    header(&r, OFPT_GROUP_MOD);
    put16(&r, 0); put8(&r, 0); put8(&r, 0); put32(&r, 1);
    put16(&r, 8); put16(&r, 0); put32(&r, 0);   /* bucket len 8 < 16 */
    finish(&r);
    expect_error(&r, OFPET_GROUP_MOD_FAILED, OFPGMFC_BAD_BUCKET, "bucket len 8");

    /* METER_MOD. */
    header(&r, OFPT_METER_MOD);
    put16(&r, 0); put16(&r, 1); put32(&r, 1);
    put16(&r, 3); put16(&r, 16); put32(&r, 10); put32(&r, 1); put32(&r, 0);
    finish(&r);
    expect_error(&r, OFPET_METER_MOD_FAILED, OFPMMFC_BAD_BAND, "band type 3");
    header(&r, OFPT_METER_MOD);
    put16(&r, 0); put16(&r, 1); put32(&r, 1);
    put16(&r, OFPMBT_DROP); put16(&r, 12); put32(&r, 10); put32(&r, 1);
    finish(&r);
    expect_error(&r, OFPET_BAD_REQUEST, OFPBRC_BAD_LEN, "band len 12");
    header(&r, OFPT_METER_MOD);
    put16(&r, 3); put16(&r, 1); put32(&r, 1);
    finish(&r);
    expect_error(&r, OFPET_METER_MOD_FAILED, OFPMMFC_BAD_COMMAND, "meter cmd 3");

    /* TABLE_FEATURES request: one table, one bad property. */
    for (int k = 0; k < 3; k++) {
        header(&r, OFPT_MULTIPART_REQUEST);
        put16(&r, OFPMP_TABLE_FEATURES); put16(&r, 0); put32(&r, 0);
        size_t tf = r.n;
        put16(&r, 0); put8(&r, 0); putb(&r, "\0\0\0\0\0", 5);
        putb(&r, "table0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 32);
        put64(&r, 0); put64(&r, 0); put32(&r, 0); put32(&r, 10);
        put16(&r, k == 0 ? 9 : k == 1 ? OFPTFPT_NEXT_TABLES : OFPTFPT_MATCH);
        put16(&r, k == 1 ? 2 : 6);
        put16(&r, 0x0102); put16(&r, 0);
        r.b[tf] = (uint8_t) ((r.n - tf) >> 8);
        r.b[tf + 1] = (uint8_t) (r.n - tf);
        finish(&r);
        expect_error(&r, OFPET_TABLE_FEATURES_FAILED,
                     k == 0 ? OFPTFFC_BAD_TYPE : OFPTFFC_BAD_LEN, "table features prop");
    }

    /* Experimenter and bundles. */
    header(&r, OFPT_EXPERIMENTER);
    put32(&r, 0x2320);
    finish(&r);
    expect_error(&r, OFPET_BAD_REQUEST, OFPBRC_BAD_LEN, "experimenter 12 bytes");
    header(&r, OFPT_EXPERIMENTER);
    put32(&r, ONF_EXPERIMENTER_ID); put32(&r, ONF_ET_BUNDLE_ADD_MESSAGE);
    put32(&r, 1); put16(&r, 0); put16(&r, ONF_BF_ATOMIC);
    put8(&r, 4); put8(&r, OFPT_BARRIER_REQUEST); put16(&r, 16); put32(&r, 0xabcd);
    finish(&r);
    expect_error(&r, OFPET_BAD_REQUEST, OFPBRC_BAD_LEN, "bundle inner too long");
    header(&r, OFPT_EXPERIMENTER);
    put32(&r, ONF_EXPERIMENTER_ID); put32(&r, ONF_ET_BUNDLE_ADD_MESSAGE);
    put32(&r, 1); put16(&r, 0); put16(&r, ONF_BF_ATOMIC);
    put8(&r, 4); put8(&r, OFPT_EXPERIMENTER); put16(&r, 24); put32(&r, 0xabcd);
    put32(&r, ONF_EXPERIMENTER_ID); put32(&r, ONF_ET_BUNDLE_ADD_MESSAGE);
    put32(&r, 1); put16(&r, 0); put16(&r, ONF_BF_ATOMIC);
    finish(&r);
    expect_error(&r, OFPET_BAD_REQUEST, OFPBRC_BAD_EXP_TYPE, "nested bundle");
    header(&r, OFPT_EXPERIMENTER);
    put32(&r, ONF_EXPERIMENTER_ID); put32(&r, ONF_ET_BUNDLE_ADD_MESSAGE);
    put32(&r, 1); put16(&r, 0); put16(&r, ONF_BF_ATOMIC);
    put8(&r, 4); put8(&r, OFPT_FLOW_MOD); put16(&r, 8); put32(&r, 0xabcd);
    finish(&r);
    expect_error(&r, OFPET_BAD_REQUEST, OFPBRC_BAD_LEN, "bundle inner flow_mod cut");
}

/* ---- sweeps over the corpus ---- */

static void
decode_bytes(const uint8_t *bytes, size_t n)
{
    uint8_t *copy = malloc(n ? n : 1);
    assert_non_null(copy);
    memcpy(copy, bytes, n);
    struct of_msg msg;
    struct of_err err = { 0, 0 };
    int error = of_msg_decode(copy, n, &msg, &err);
    if (error) {
        assert_int_equal(error, -EBADMSG);
        assert_non_null(of_error_type_name(err.type));
        assert_non_null(of_error_code_name(err.type, err.code));
    } else {
        /* Whatever decodes must encode again. */
        struct of_buf out;
        of_buf_init(&out);
        assert_int_equal(of_msg_encode(&msg, &out), 0);
        of_buf_uninit(&out);
        char text[256];
        of_msg_format(&msg, text, sizeof text);
    }
    of_msg_uninit(&msg);
    free(copy);
}

static void
test_truncation_sweep(void **state)
{
    (void) state;
    struct of_sample *s;
    size_t n = of_samples_build(&s);
    struct of_buf buf;
    of_buf_init(&buf);
    for (size_t i = 0; i < n; i++) {
        of_buf_clear(&buf);
        assert_int_equal(of_msg_encode(&s[i].msg, &buf), 0);
        for (size_t len = 0; len < buf.len; len++) {
            /* As cut off by a short read: header length disagrees. */
            struct of_msg msg;
            struct of_err err;
            uint8_t *copy = malloc(len ? len : 1);
            memcpy(copy, buf.data, len);
            assert_int_equal(of_msg_decode(copy, len, &msg, &err), -EBADMSG);
            assert_int_equal(err.type, OFPET_BAD_REQUEST);
            assert_int_equal(err.code, OFPBRC_BAD_LEN);
            of_msg_uninit(&msg);
            free(copy);
            /* With a header that agrees: the body's own lengths now lie. */
            if (len >= OFP_HEADER_LEN) {
                uint8_t save2 = buf.data[2], save3 = buf.data[3];
                buf.data[2] = (uint8_t) (len >> 8);
                buf.data[3] = (uint8_t) len;
                decode_bytes(buf.data, len);
                buf.data[2] = save2;
                buf.data[3] = save3;
            }
        }
    }
    of_buf_uninit(&buf);
    of_samples_free(s, n);
}

static void
test_byte_sweep(void **state)
{
    (void) state;
    static const uint8_t values[] = { 0x00, 0xff, 0x01, 0x80, 0x07 };
    struct of_sample *s;
    size_t n = of_samples_build(&s);
    struct of_buf buf;
    of_buf_init(&buf);
    for (size_t i = 0; i < n; i++) {
        of_buf_clear(&buf);
        assert_int_equal(of_msg_encode(&s[i].msg, &buf), 0);
        for (size_t pos = 0; pos < buf.len; pos++) {
            uint8_t saved = buf.data[pos];
            for (size_t v = 0; v < sizeof values; v++) {
                buf.data[pos] = values[v];
                decode_bytes(buf.data, buf.len);
            }
            buf.data[pos] = saved;
        }
    }
    of_buf_uninit(&buf);
    of_samples_free(s, n);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_errors),
        cmocka_unit_test(test_message_errors),
        cmocka_unit_test(test_match_header_errors),
        cmocka_unit_test(test_oxm_errors),
        cmocka_unit_test(test_action_errors),
        cmocka_unit_test(test_instruction_errors),
        cmocka_unit_test(test_truncation_sweep),
        cmocka_unit_test(test_byte_sweep),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
