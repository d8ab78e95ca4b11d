/*
 * test_of_text.c — the ovs-ofctl text syntax (openflow/of_text.h).
 *
 * The corpora (flows.corpus, groups_meters.corpus, passed as arguments)
 * hold texts with the exact message ovs-ofctl 3.1 sends for them and the
 * exact line it prints for that message; every entry is parsed, encoded
 * and compared byte for byte, decoded back, formatted and compared with
 * the printed line, and the printed line is parsed again to the same
 * message (parse(format(x)) == x). The tables below cover what the
 * corpora cannot: refused texts with their messages, the other FLOW_MOD
 * commands and dump filters (bytes again from ovs-ofctl), normalisation
 * notes, flow files, and the other dumps (text printed by ovs-ofctl for
 * oftext_samples.c's replies).
 */
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "flowtable/ft_meter.h"
#include "flowtable/ft_ofp.h"
#include "openflow/of_text.h"
#include "openflow/openflow.h"
#include "oftext_samples.h"

static const char *flows_corpus_path;
static const char *gm_corpus_path;

/* ---- helpers ---- */

static char *
read_file(const char *path)
{
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    assert_true(n > 0);
    rewind(f);
    char *buf = malloc((size_t) n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t) n, f), (size_t) n);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* Hex of 'msg' encoded with xid 0 (malloc'd). */
static char *
encode_hex(struct of_msg *msg)
{
    struct of_buf b;
    of_buf_init(&b);
    msg->xid = 0;
    assert_int_equal(of_msg_encode(msg, &b), 0);
    char *hex = malloc(b.len * 2 + 1);
    assert_non_null(hex);
    for (size_t i = 0; i < b.len; i++) {
        snprintf(hex + 2 * i, 3, "%02x", b.data[i]);
    }
    hex[b.len * 2] = '\0';
    of_buf_uninit(&b);
    return hex;
}

static uint8_t *
unhex(const char *hex, size_t *len)
{
    size_t n = strlen(hex) / 2;
    uint8_t *b = malloc(n ? n : 1);
    assert_non_null(b);
    for (size_t i = 0; i < n; i++) {
        unsigned int v;
        assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
        b[i] = (uint8_t) v;
    }
    *len = n;
    return b;
}

/* Decodes 'hex' and checks it equals 'msg' (the wire round trip). */
static void
assert_decodes_to(const char *hex, const struct of_msg *msg)
{
    size_t len;
    uint8_t *bytes = unhex(hex, &len);
    struct of_msg dec;
    struct of_err oerr;
    int error = of_msg_decode(bytes, len, &dec, &oerr);
    if (error) {
        fail_msg("decode of %s: %s", hex, of_error_code_name(oerr.type, oerr.code));
    }
    if (!of_msg_equal(&dec, msg)) {
        fail_msg("decoded %s differs from the parsed message", hex);
    }
    of_msg_uninit(&dec);
    free(bytes);
}

/* One corpus block: "key: value" lines. */
struct entry {
    const char *kind;               /* "flow", "group" or "meter" */
    char *text, *dump, *wire, *tags;
    unsigned int line;
};

/* Splits the corpus in place into entries; returns the count. */
static size_t
load_corpus(char *buf, struct entry *entries, size_t max)
{
    size_t n = 0;
    unsigned int line_no = 0;
    struct entry *cur = NULL;
    for (char *line = buf; line;) {
        char *next = strchr(line, '\n');
        if (next) {
            *next++ = '\0';
        }
        line_no++;
        if (!*line) {
            cur = NULL;
        } else if (*line != '#') {
            char *colon = strstr(line, ": ");
            assert_non_null(colon);
            *colon = '\0';
            char *value = colon + 2;
            if (!strcmp(line, "flow") || !strcmp(line, "group")
                || !strcmp(line, "meter")) {
                assert_true(n < max);
                cur = &entries[n++];
                memset(cur, 0, sizeof *cur);
                cur->kind = !strcmp(line, "flow") ? "flow"
                            : !strcmp(line, "group") ? "group" : "meter";
                cur->text = value;
                cur->line = line_no;
            } else {
                assert_non_null(cur);
                if (!strcmp(line, "dump")) {
                    cur->dump = value;
                } else if (!strcmp(line, "wire")) {
                    cur->wire = value;
                } else if (!strcmp(line, "tags")) {
                    cur->tags = value;
                } else {
                    fail_msg("corpus line %u: unknown key %s", line_no, line);
                }
            }
        }
        line = next;
    }
    return n;
}

/* "\n" in a corpus dump stands for a line break. */
static void
unescape_newlines(char *s)
{
    char *w = s;
    for (const char *r = s; *r; r++) {
        if (r[0] == '\\' && r[1] == 'n') {
            *w++ = '\n';
            r++;
        } else {
            *w++ = *r;
        }
    }
    *w = '\0';
}

/* ------------------------------------------------------------------------
 * Corpora.
 * ---------------------------------------------------------------------- */

static void
stats_from_mod(const struct of_flow_mod *fm, struct of_flow_stats *fs)
{
    memset(fs, 0, sizeof *fs);
    fs->table_id = fm->table_id;
    fs->priority = fm->priority;
    fs->idle_timeout = fm->idle_timeout;
    fs->hard_timeout = fm->hard_timeout;
    fs->flags = fm->flags;
    fs->cookie = fm->cookie;
    fs->match = fm->match;
    fs->instructions = fm->instructions;
}

#define MAX_ENTRIES 1024

static void
test_flow_corpus(void **state)
{
    (void) state;
    static struct entry entries[MAX_ENTRIES];
    char *buf = read_file(flows_corpus_path);
    size_t n = load_corpus(buf, entries, MAX_ENTRIES);
    assert_true(n >= 150);

    for (size_t i = 0; i < n; i++) {
        const struct entry *e = &entries[i];
        struct of_msg msg, again;
        char err[OF_TEXT_ERR_LEN];

        assert_string_equal(e->kind, "flow");
        assert_non_null(e->dump);
        assert_non_null(e->wire);
        if (of_text_parse_flow_mod(e->text, FT_OFPFC_ADD, &msg, err, sizeof err)) {
            fail_msg("corpus line %u: \"%s\": %s", e->line, e->text, err);
        }
        char *hex = encode_hex(&msg);
        if (strcmp(hex, e->wire)) {
            fail_msg("corpus line %u: \"%s\"\n  got  %s\n  want %s", e->line,
                     e->text, hex, e->wire);
        }
        assert_decodes_to(e->wire, &msg);

        struct of_flow_stats fs;
        struct of_buf out;
        char want[2048];
        stats_from_mod(&msg.flow_mod, &fs);
        of_buf_init(&out);
        assert_int_equal(of_text_format_flow_stats(&fs, &out), 0);
        snprintf(want, sizeof want, " cookie=0x%llx, duration=0s, table=%u, "
                 "n_packets=0, n_bytes=0, %s\n",
                 (unsigned long long) fs.cookie, fs.table_id, e->dump);
        if (strcmp((char *) out.data, want)) {
            fail_msg("corpus line %u: \"%s\"\n  got  %s  want %s", e->line,
                     e->text, (char *) out.data, want);
        }

        /* The printed line reads back as the same flow. */
        if (of_text_parse_flow_mod((char *) out.data, FT_OFPFC_ADD, &again,
                                   err, sizeof err)) {
            fail_msg("corpus line %u: reparsing \"%s\": %s", e->line,
                     (char *) out.data, err);
        }
        char *hex2 = encode_hex(&again);
        if (strcmp(hex2, e->wire)) {
            fail_msg("corpus line %u: \"%s\" reparsed to %s", e->line,
                     (char *) out.data, hex2);
        }
        free(hex2);
        free(hex);
        of_buf_uninit(&out);
        of_msg_uninit(&again);
        of_msg_uninit(&msg);
    }
    free(buf);
}

static void
test_group_meter_corpus(void **state)
{
    (void) state;
    static struct entry entries[MAX_ENTRIES];
    char *buf = read_file(gm_corpus_path);
    size_t n = load_corpus(buf, entries, MAX_ENTRIES);
    size_t n_groups = 0, n_meters = 0;

    for (size_t i = 0; i < n; i++) {
        struct entry *e = &entries[i];
        bool group = !strcmp(e->kind, "group");
        struct of_msg msg, again;
        char err[OF_TEXT_ERR_LEN];
        int error;

        unescape_newlines(e->dump);
        error = group ? of_text_parse_group_mod(e->text, FT_OFPGC_ADD, &msg,
                                                err, sizeof err)
                      : of_text_parse_meter_mod(e->text, FT_OFPMC_ADD, &msg,
                                                err, sizeof err);
        if (error) {
            fail_msg("corpus line %u: \"%s\": %s", e->line, e->text, err);
        }
        char *hex = encode_hex(&msg);
        if (strcmp(hex, e->wire)) {
            fail_msg("corpus line %u: \"%s\"\n  got  %s\n  want %s", e->line,
                     e->text, hex, e->wire);
        }
        assert_decodes_to(e->wire, &msg);

        struct of_buf out;
        of_buf_init(&out);
        if (group) {
            struct of_group_desc gd = {
                .type = msg.group_mod.type, .group_id = msg.group_mod.group_id,
                .buckets = msg.group_mod.buckets,
            };
            assert_int_equal(of_text_format_group_desc(&gd, &out), 0);
            n_groups++;
        } else {
            struct of_meter_config mc = {
                .flags = msg.meter_mod.flags, .meter_id = msg.meter_mod.meter_id,
                .bands = msg.meter_mod.bands,
            };
            assert_int_equal(of_text_format_meter_config(&mc, &out), 0);
            n_meters++;
        }
        char want[2048];
        snprintf(want, sizeof want, "%s\n", e->dump);
        if (strcmp((char *) out.data, want)) {
            fail_msg("corpus line %u: \"%s\"\n  got  %s  want %s", e->line,
                     e->text, (char *) out.data, want);
        }
        error = group ? of_text_parse_group_mod((char *) out.data, FT_OFPGC_ADD,
                                                &again, err, sizeof err)
                      : of_text_parse_meter_mod((char *) out.data, FT_OFPMC_ADD,
                                                &again, err, sizeof err);
        if (error) {
            fail_msg("corpus line %u: reparsing \"%s\": %s", e->line,
                     (char *) out.data, err);
        }
        char *hex2 = encode_hex(&again);
        assert_string_equal(hex2, e->wire);
        free(hex2);
        free(hex);
        of_buf_uninit(&out);
        of_msg_uninit(&again);
        of_msg_uninit(&msg);
    }
    assert_true(n_groups >= 15);
    assert_true(n_meters >= 8);
    free(buf);
}

/* ------------------------------------------------------------------------
 * Refused texts: each with the message it must earn.
 * ---------------------------------------------------------------------- */

struct bad_case {
    const char *kind;               /* "flow", "group", "meter", "dump" */
    int command;
    const char *text;
    const char *error;
};

#define ADD FT_OFPFC_ADD
#define MOD FT_OFPFC_MODIFY
#define DEL FT_OFPFC_DELETE
#define DEL_STRICT FT_OFPFC_DELETE_STRICT

static const struct bad_case bad_cases[] = {
    /* match fields */
    { "flow", ADD, "nw_sorc=1.2.3.4,actions=drop", "unknown field \"nw_sorc\"" },
    { "flow", ADD, "NW_SRC=1.2.3.4,ip,actions=drop", "unknown field \"NW_SRC\"" },
    { "flow", ADD, "ip,nw_src=1.2.3,actions=drop", "nw_src: invalid IP address \"1.2.3\"" },
    { "flow", ADD, "ip,nw_src=1.2.3.4/33,actions=drop", "nw_src: bad prefix length in \"1.2.3.4/33\" (0 to 32)" },
    { "flow", ADD, "ip,nw_dst=1.2.3.4/255.255.0.256,actions=drop", "nw_dst: invalid IP mask \"255.255.0.256\"" },
    { "flow", ADD, "dl_src=00:11:22:33:44,actions=drop", "dl_src: invalid Ethernet address \"00:11:22:33:44\"" },
    { "flow", ADD, "dl_dst=00:11:22:33:44:55/ff:ff,actions=drop", "dl_dst: invalid Ethernet mask \"ff:ff\"" },
    { "flow", ADD, "ipv6,ipv6_src=2001:db8::/129,actions=drop", "ipv6_src: bad prefix length in \"2001:db8::/129\" (0 to 128)" },
    { "flow", ADD, "ipv6,ipv6_src=2001:zz::1,actions=drop", "ipv6_src: invalid IPv6 address \"2001:zz::1\"" },
    { "flow", ADD, "tcp,tp_src=65536,actions=drop", "tp_src: value \"65536\" out of range (max 65535)" },
    { "flow", ADD, "tcp,tp_src=abc,actions=drop", "tp_src: invalid value \"abc\"" },
    { "flow", ADD, "tcp,tp_dst=0x50/0xfff0,actions=drop", "tp_dst: OpenFlow 1.3 cannot mask this field" },
    { "flow", ADD, "udp,udp_src=0x50/0xfff0,actions=drop", "udp_src: OpenFlow 1.3 cannot mask this field" },
    { "flow", ADD, "in_port=abc,actions=drop", "in_port: invalid or unknown port \"abc\"" },
    { "flow", ADD, "in_port=1/1,actions=drop", "in_port: invalid or unknown port \"1/1\"" },
    { "flow", ADD, "in_port=0xffffff00,actions=drop", "in_port: invalid or unknown port \"0xffffff00\"" },
    { "flow", ADD, "in_port,actions=drop", "in_port: missing value" },
    { "flow", ADD, "dl_type=0x800/0xff00,actions=drop", "dl_type: this field cannot be masked (\"0x800/0xff00\")" },
    { "flow", ADD, "dl_vlan=4096,actions=drop", "dl_vlan: VLAN id 4096 out of range (0 to 4095, or 0xffff for no VLAN)" },
    { "flow", ADD, "dl_vlan_pcp=8,actions=drop", "dl_vlan_pcp: value \"8\" out of range (max 7)" },
    { "flow", ADD, "vlan_vid=0x2000,actions=drop", "vlan_vid: value \"0x2000\" out of range (max 8191)" },
    { "flow", ADD, "ip,nw_tos=256,actions=drop", "nw_tos: value \"256\" out of range (max 255)" },
    { "flow", ADD, "ip,ip_dscp=64,actions=drop", "ip_dscp: value \"64\" out of range (max 63)" },
    { "flow", ADD, "ip,nw_ecn=4,actions=drop", "nw_ecn: value \"4\" out of range (max 3)" },
    { "flow", ADD, "mpls,mpls_label=0x100000,actions=drop", "mpls_label: value \"0x100000\" out of range (max 1048575)" },
    { "flow", ADD, "mpls,mpls_bos=2,actions=drop", "mpls_bos: value \"2\" out of range (max 1)" },
    { "flow", ADD, "ipv6,ipv6_label=0x100000,actions=drop", "ipv6_label: value \"0x100000\" out of range (max 1048575)" },
    { "flow", ADD, "icmp6,icmp_type=135,nd_target=::1/64,actions=drop", "nd_target: OpenFlow 1.3 cannot mask this field" },
    { "flow", ADD, "icmp6,icmp_type=135,nd_sll=00:00:00:00:00:01/ff:ff:ff:00:00:00,actions=drop", "nd_sll: OpenFlow 1.3 cannot mask this field" },
    { "flow", ADD, "rarp,arp_spa=1.2.3.4,actions=drop", "arp_spa: OpenFlow 1.3 cannot match this field with the rest of this match (its prerequisite eth_type=0x0806 is missing)" },
    { "flow", ADD, "nw_ttl=5,actions=drop", "nw_ttl: Open vSwitch extension field; OpenFlow 1.3 has no match field for it" },
    { "flow", ADD, "ip,ip_frag=yes,actions=drop", "ip_frag: Open vSwitch extension field; OpenFlow 1.3 has no match field for it" },
    { "flow", ADD, "tcp,tcp_flags=+syn,actions=drop", "tcp_flags: Open vSwitch extension field; OpenFlow 1.3 has no match field for it" },
    { "flow", ADD, "reg0=5,actions=drop", "reg0: Open vSwitch extension field; OpenFlow 1.3 has no match field for it" },
    { "flow", ADD, "ct_state=+trk,actions=drop", "ct_state: Open vSwitch extension field; OpenFlow 1.3 has no match field for it" },
    { "flow", ADD, "in_phy_port=3,actions=drop", "in_phy_port requires in_port" },
    { "flow", ADD, "pbb_isid=5,actions=drop", "pbb_isid requires dl_type=0x88e7" },
    { "flow", ADD, "ip,ipv6_exthdr=1,actions=drop", "ipv6_exthdr requires ipv6 (add \"ipv6,\")" },
    { "flow", ADD, "tcp=5,actions=drop", "tcp: a protocol shorthand takes no value" },
    /* flow keywords */
    { "flow", ADD, "importance=5,actions=drop", "importance: OpenFlow 1.4+ only (this is OpenFlow 1.3)" },
    { "flow", ADD, "priority=65536,actions=drop", "priority: value \"65536\" out of range (max 65535)" },
    { "flow", ADD, "priority=-1,actions=drop", "priority: invalid value \"-1\"" },
    { "flow", ADD, "idle_timeout=x,actions=drop", "idle_timeout: invalid value \"x\"" },
    { "flow", ADD, "table=256,actions=drop", "table: value \"256\" out of range (max 255)" },
    { "flow", ADD, "cookie=0x5/0xff,actions=drop", "cookie: flow additions cannot use a cookie mask (\"0x5/0xff\")" },
    { "flow", ADD, "out_port=5,actions=drop", "out_port: only deletes and dumps select flows by output" },
    { "flow", MOD, "cookie=1/1,out_port=3,actions=drop", "out_port: only deletes and dumps select flows by output" },
    { "flow", ADD, "in_port=1", "must specify an action (\"actions=...\")" },
    { "flow", DEL, "in_port=1,actions=drop", "actions: not allowed in a non-strict delete" },
    { "flow", DEL, "priority=5", "priority: not allowed in a non-strict delete (use a strict delete)" },
    { "flow", DEL, "idle_timeout=5", "idle_timeout: not allowed in a non-strict delete" },
    { "flow", DEL, "send_flow_rem", "send_flow_rem: not allowed in a non-strict delete" },
    { "flow", DEL, "cookie=5", "cookie: cannot set a cookie here (to match on a cookie, give a mask, e.g. cookie=5/-1)" },
    { "flow", DEL_STRICT, "cookie=5", "cookie: cannot set a cookie here (to match on a cookie, give a mask, e.g. cookie=5/-1)" },
    { "flow", 7, "actions=drop", "unknown flow_mod command 7" },
    /* actions */
    { "flow", ADD, "in_port=1,actions=bogus", "unknown action \"bogus\"" },
    { "flow", ADD, "actions=drop,output:1", "\"drop\" must not be accompanied by any other action or instruction" },
    { "flow", ADD, "actions=output:1,drop", "\"drop\" must not be accompanied by any other action or instruction" },
    { "flow", ADD, "actions=output:ANY", "output: ANY is not a port packets can be sent to" },
    { "flow", ADD, "actions=output:0", "output: 0 is not a port packets can be sent to" },
    { "flow", ADD, "actions=output", "output: missing port" },
    { "flow", ADD, "actions=output(port=3,max_len=100)", "output(port=3,max_len=100): truncating needs an Open vSwitch extension; OpenFlow 1.3 applies max_len only to the controller" },
    { "flow", ADD, "actions=output(max_len=5)", "output: port= is required" },
    { "flow", ADD, "actions=output(port=3,foo=1)", "output: unknown argument \"foo\"" },
    { "flow", ADD, "actions=controller(reason=invalid_ttl)", "controller: reason=invalid_ttl needs an Open vSwitch extension (OpenFlow 1.3 output to the controller has reason action or no_match)" },
    { "flow", ADD, "actions=controller(userdata=01.02)", "controller: userdata needs an Open vSwitch extension; OpenFlow 1.3 knows only max_len" },
    { "flow", ADD, "actions=controller:70000", "controller max_len: value \"70000\" out of range (max 65535)" },
    { "flow", ADD, "actions=enqueue:3:5", "enqueue: needs an Open vSwitch extension (pop_queue); write \"set_queue:Q,output:P\"" },
    { "flow", ADD, "actions=mod_vlan_vid:4096", "mod_vlan_vid: value \"4096\" out of range (max 4095)" },
    { "flow", ADD, "actions=mod_vlan_pcp:8", "mod_vlan_pcp: value \"8\" out of range (max 7)" },
    { "flow", ADD, "actions=strip_vlan", "strip_vlan: requires a VLAN tag (match dl_vlan=, or push_vlan first)" },
    { "flow", ADD, "dl_vlan=3,actions=strip_vlan,strip_vlan", "strip_vlan: requires a VLAN tag (match dl_vlan=, or push_vlan first)" },
    { "flow", ADD, "actions=push_vlan:0x8101", "push_vlan: 0x8101 is not a VLAN ethertype (0x8100 or 0x88a8)" },
    { "flow", ADD, "actions=push_mpls:0x0800", "push_mpls: 0x0800 is not an MPLS ethertype (0x8847 or 0x8848)" },
    { "flow", ADD, "actions=pop_mpls:0x0800", "pop_mpls: requires an MPLS match (add \"mpls,\", or push_mpls first)" },
    { "flow", ADD, "mpls,actions=pop_mpls:0x0800,set_mpls_label:3", "set_mpls_label: setting mpls_label requires an MPLS match (add \"mpls,\", or push_mpls first)" },
    { "flow", ADD, "actions=set_mpls_ttl:5", "set_mpls_ttl: requires an MPLS match (add \"mpls,\")" },
    { "flow", ADD, "actions=dec_mpls_ttl", "dec_mpls_ttl: requires an MPLS match (add \"mpls,\")" },
    { "flow", ADD, "actions=mod_nw_src:1.2.3.4", "mod_nw_src: setting ip_src requires an IPv4 match (add \"ip,\")" },
    { "flow", ADD, "ip,actions=mod_nw_src:1.2.3", "mod_nw_src: invalid IP address \"1.2.3\"" },
    { "flow", ADD, "ip,actions=mod_nw_tos:5", "mod_nw_tos: 5 is not a valid TOS (the low two bits are ECN; use mod_nw_ecn)" },
    { "flow", ADD, "ip,actions=mod_nw_ecn:4", "mod_nw_ecn: value \"4\" out of range (max 3)" },
    { "flow", ADD, "actions=mod_nw_ttl:5", "mod_nw_ttl: requires an IP match (add \"ip,\" or \"ipv6,\")" },
    { "flow", ADD, "ip,actions=mod_tp_src:5", "mod_tp_src: requires a TCP, UDP or SCTP match (add \"tcp,\", \"udp,\" or \"sctp,\")" },
    { "flow", ADD, "actions=dec_ttl", "dec_ttl: requires an IP match (add \"ip,\" or \"ipv6,\")" },
    { "flow", ADD, "ip,actions=dec_ttl(1,2)", "dec_ttl(1,2): controller ids need an Open vSwitch extension; write plain dec_ttl" },
    { "flow", ADD, "actions=mod_dl_src:00:11:22", "mod_dl_src: invalid Ethernet address \"00:11:22\"" },
    { "flow", ADD, "actions=set_field:5->vlan_vid", "set_field: setting vlan_vid requires a VLAN tag (match dl_vlan=, or push_vlan first)" },
    { "flow", ADD, "actions=set_field:1.2.3.4->ip_src", "set_field: setting ip_src requires an IPv4 match (add \"ip,\")" },
    { "flow", ADD, "tcp,actions=set_field:5->udp_src", "set_field: setting udp_src requires a UDP match (add \"udp,\" or \"udp6,\")" },
    { "flow", ADD, "icmp6,icmp_type=135,actions=set_field:00:00:00:00:00:01->nd_tll", "set_field: setting nd_tll requires a neighbour advertisement match (add \"icmp6,icmp_type=136,\")" },
    { "flow", ADD, "actions=set_field:5->in_port", "set_field: field in_port cannot be set in OpenFlow 1.3" },
    { "flow", ADD, "actions=set_field:7->metadata", "set_field: field metadata cannot be set in OpenFlow 1.3" },
    { "flow", ADD, "actions=set_field:5->bogus_field", "set_field: unknown field \"bogus_field\"" },
    { "flow", ADD, "actions=set_field:5", "set_field:5: expected VALUE->FIELD" },
    { "flow", ADD, "ip,actions=set_field:1.2.3.4/255.255.0.0->ip_src", "set_field: a masked value (\"1.2.3.4/255.255.0.0\") needs an Open vSwitch extension; OpenFlow 1.3 sets whole fields" },
    { "flow", ADD, "ip,actions=load:0x1->NXM_OF_IP_SRC[0..7]", "load: NXM_OF_IP_SRC[0..7] sets part of a field, which needs an Open vSwitch extension; OpenFlow 1.3 sets whole fields" },
    { "flow", ADD, "actions=load:5->NXM_NX_REG0[]", "load: NXM_NX_REG0 is an Open vSwitch register; OpenFlow 1.3 has none" },
    { "flow", ADD, "actions=load:5->eth_dst", "load: destination \"eth_dst\" needs a bit range, e.g. eth_dst[]" },
    { "flow", ADD, "tcp,actions=load:0x10000->NXM_OF_TCP_SRC[]", "tcp_src: value \"0x10000\" out of range (max 65535)" },
    { "flow", ADD, "actions=resubmit(,2)", "resubmit: Open vSwitch extension action; OpenFlow 1.3 has no form for it" },
    { "flow", ADD, "actions=learn(table=1)", "learn: Open vSwitch extension action; OpenFlow 1.3 has no form for it" },
    /* instructions */
    { "flow", ADD, "actions=output:1,meter:6", "invalid instruction ordering: meter must appear before apply_actions" },
    { "flow", ADD, "actions=goto_table:3,output:1", "invalid instruction ordering: apply_actions must appear before goto_table" },
    { "flow", ADD, "actions=goto_table:1,goto_table:2", "duplicate goto_table instruction not allowed" },
    { "flow", ADD, "actions=goto_table:255", "goto_table: value \"255\" out of range (max 254)" },
    { "flow", ADD, "actions=meter:0", "meter: 0 is not a valid meter id" },
    { "flow", ADD, "actions=write_metadata:0x5/0xff,write_metadata:6", "duplicate write_metadata instruction not allowed" },
    { "flow", ADD, "actions=write_actions(output:1),clear_actions", "invalid instruction ordering: clear_actions must appear before write_actions" },
    { "flow", ADD, "actions=write_actions(goto_table:1)", "goto_table instruction not allowed inside write_actions" },
    { "flow", ADD, "actions=clear_actions,output:1", "invalid instruction ordering: apply_actions must appear before clear_actions" },
    { "flow", ADD, "actions=write_metadata:", "write_metadata: missing value" },
    { "flow", ADD, "actions=group", "group: missing group id" },
    { "flow", ADD, "actions=set_queue:x", "set_queue: invalid value \"x\"" },
    /* dump filters */
    { "dump", OFPMP_FLOW, "priority=5", "priority: not allowed in a flow dump" },
    { "dump", OFPMP_FLOW, "in_port=1,actions=drop", "actions: a flow dump selects flows by match, not by actions" },
    { "dump", OFPMP_FLOW, "cookie=1", "cookie: cannot set a cookie here (to match on a cookie, give a mask, e.g. cookie=1/-1)" },
    { "dump", OFPMP_AGGREGATE, "idle_timeout=3", "idle_timeout: not allowed in a flow dump" },
    { "dump", OFPMP_TABLE, "", "multipart type 3 is no flow dump" },
    /* groups */
    { "group", FT_OFPGC_ADD, "group_id=5,bucket=output:1", "must specify a type" },
    { "group", FT_OFPGC_ADD, "type=all,bucket=output:1", "must specify a group_id" },
    { "group", FT_OFPGC_ADD, "group_id=5,type=foo,bucket=output:1", "type: unknown group type \"foo\" (all, select, indirect, ff or fast_failover)" },
    { "group", FT_OFPGC_ADD, "group_id=5,type=ff,bucket=output:1", "bucket 1: fast failover bucket requires watch_port or watch_group" },
    { "group", FT_OFPGC_ADD, "group_id=5,type=indirect,bucket=output:1,bucket=output:2", "indirect groups can have at most one bucket" },
    { "group", FT_OFPGC_ADD, "group_id=5,type=all,bucket=weight:5,output:1", "bucket 1: weight: only select groups weigh buckets" },
    { "group", FT_OFPGC_ADD, "group_id=all,type=all,bucket=output:1", "group_id: 0xfffffffc is reserved, not a group that can be added or modified" },
    { "group", FT_OFPGC_ADD, "group_id=5,type=all,bucket=bogus_action", "bucket 1: unknown action \"bogus_action\"" },
    { "group", FT_OFPGC_ADD, "group_id=5,type=all,bucket=goto_table:1", "bucket 1: goto_table instruction not allowed here" },
    { "group", FT_OFPGC_ADD, "group_id=5,type=all,bucket=output:1,bucket=drop,output:2", "bucket 2: \"drop\" must not be accompanied by any other action or instruction" },
    { "group", FT_OFPGC_ADD, "group_id=5,type=all,bucket=mod_tp_dst:5", "bucket 1: mod_tp_dst: the protocol is not known here; write set_field:5->tcp_dst (or udp_, sctp_)" },
    { "group", FT_OFPGC_ADD, "group_id=5,type=all,selection_method=hash", "selection_method: OpenFlow 1.5 only (this is OpenFlow 1.3)" },
    { "group", FT_OFPGC_ADD, "group_id=5,type=all,foo=1", "unknown group field \"foo\"" },
    { "group", FT_OFPGC_DELETE, "group_id=5,bucket=output:1", "bucket: deleting a group takes no buckets" },
    /* meters */
    { "meter", FT_OFPMC_ADD, "meter=1,bands=type=drop,rate=5", "meter must specify either 'kbps' or 'pktps'" },
    { "meter", FT_OFPMC_ADD, "meter=1,kbps", "must specify bands" },
    { "meter", FT_OFPMC_ADD, "meter=1,kbps,pktps,band=type=drop,rate=5", "meter must not specify both 'kbps' and 'pktps'" },
    { "meter", FT_OFPMC_ADD, "kbps,band=type=drop,rate=5", "must specify a meter (meter=N)" },
    { "meter", FT_OFPMC_ADD, "meter=0,kbps,band=type=drop,rate=5", "meter: 0 is not a valid meter id (1 to 0xffff0000, or all, controller, slowpath)" },
    { "meter", FT_OFPMC_ADD, "meter=1,kbps,band=type=foo,rate=5", "type: unknown band type \"foo\" (drop or dscp_remark)" },
    { "meter", FT_OFPMC_ADD, "meter=1,kbps,band=type=drop", "band 1 must have a nonzero 'rate'" },
    { "meter", FT_OFPMC_ADD, "meter=1,kbps,band=rate=5,type=drop", "band must start with the 'type' keyword (found \"rate\")" },
    { "meter", FT_OFPMC_ADD, "meter=1,kbps,band=type=dscp_remark,rate=5", "band 1: 'dscp_remark' band must have 'prec_level'" },
    { "meter", FT_OFPMC_ADD, "meter=1,kbps,band=type=drop,rate=5,burst_size=3", "burst_size: a band may have a burst_size only when the meter has the 'burst' flag" },
    { "meter", FT_OFPMC_ADD, "meter=1,kbps,burst,band=type=drop,rate=5", "band 1 must have a nonzero 'burst_size' (the meter has the 'burst' flag)" },
    { "meter", FT_OFPMC_ADD, "meter=1,kbps,band=type=drop,rate=5,prec_level=1", "prec_level: only dscp_remark bands have a prec_level" },
    { "meter", FT_OFPMC_ADD, "meter=1,kbps=3,band=type=drop,rate=5", "kbps: a meter flag takes no value" },
    { "meter", FT_OFPMC_DELETE, "meter=1,kbps", "deleting a meter takes only meter=" },
};

static void
test_refused(void **state)
{
    (void) state;
    size_t n_flows = 0;
    for (size_t i = 0; i < sizeof bad_cases / sizeof bad_cases[0]; i++) {
        const struct bad_case *c = &bad_cases[i];
        struct of_msg msg;
        char err[OF_TEXT_ERR_LEN];
        int error;

        if (!strcmp(c->kind, "flow")) {
            error = of_text_parse_flow_mod(c->text, (uint8_t) c->command, &msg,
                                           err, sizeof err);
            n_flows++;
        } else if (!strcmp(c->kind, "dump")) {
            error = of_text_parse_flow_stats_request(c->text, (uint16_t) c->command,
                                                     &msg, err, sizeof err);
        } else if (!strcmp(c->kind, "group")) {
            error = of_text_parse_group_mod(c->text, (uint16_t) c->command, &msg,
                                            err, sizeof err);
        } else {
            error = of_text_parse_meter_mod(c->text, (uint16_t) c->command, &msg,
                                            err, sizeof err);
        }
        if (error != -EINVAL) {
            fail_msg("\"%s\" gave %d, not -EINVAL", c->text, error);
        }
        if (strcmp(err, c->error)) {
            fail_msg("\"%s\"\n  got  %s\n  want %s", c->text, err, c->error);
        }
        of_msg_uninit(&msg);
    }
    assert_true(n_flows >= 40);
}

/* A short error buffer truncates but stays terminated; none at all is
 * allowed. */
static void
test_error_buffer(void **state)
{
    (void) state;
    struct of_msg msg;
    char small[8];
    assert_int_equal(of_text_parse_flow_mod("bogus=1,actions=drop", ADD, &msg,
                                            small, sizeof small), -EINVAL);
    assert_string_equal(small, "unknown");
    of_msg_uninit(&msg);
    assert_int_equal(of_text_parse_flow_mod("bogus=1,actions=drop", ADD, &msg,
                                            NULL, 0), -EINVAL);
    of_msg_uninit(&msg);
}

/* ------------------------------------------------------------------------
 * Commands other than ADD, and dump filters: bytes from ovs-ofctl
 * (mod-flows, del-flows, --strict, dump-flows, dump-aggregate), xid 0.
 * ---------------------------------------------------------------------- */

static const struct {
    int command;
    const char *text;
    const char *wire;
} command_cases[] = {
    { MOD, "in_port=1,actions=output:2", "040e005800000000000000000000000000000000000000000001000000008000ffffffffffffffffffffffff000000000001000c800000040000000100000000000400180000000000000010000000020000000000000000" },
    { MOD, "cookie=0x5/-1,in_port=1,actions=output:2", "040e0058000000000000000000000005ffffffffffffffff0001000000008000ffffffffffffffffffffffff000000000001000c800000040000000100000000000400180000000000000010000000020000000000000000" },
    { MOD, "cookie=0x5,in_port=1,actions=output:2", "040e005800000000000000000000000000000000000000000001000000008000ffffffffffffffffffffffff000000000001000c800000040000000100000000000400180000000000000010000000020000000000000000" },
    { MOD, "priority=5,idle_timeout=5,send_flow_rem,actions=drop", "040e003800000000000000000000000000000000000000000001000500000005ffffffffffffffffffffffff000100000001000400000000" },
    { MOD, "table=3,ip,actions=drop", "040e004000000000000000000000000000000000000000000301000000008000ffffffffffffffffffffffff000000000001000a80000a020800000000000000" },
    { FT_OFPFC_MODIFY_STRICT, "priority=5,idle_timeout=5,hard_timeout=7,send_flow_rem,actions=drop", "040e003800000000000000000000000000000000000000000002000500070005ffffffffffffffffffffffff000100000001000400000000" },
    { FT_OFPFC_MODIFY_STRICT, "in_port=1,actions=drop", "040e004000000000000000000000000000000000000000000002000000008000ffffffffffffffffffffffff000000000001000c800000040000000100000000" },
    { DEL, "", "040e00380000000000000000000000000000000000000000ff03000000008000ffffffffffffffffffffffff000000000001000400000000" },
    { DEL, "in_port=1", "040e00400000000000000000000000000000000000000000ff03000000008000ffffffffffffffffffffffff000000000001000c800000040000000100000000" },
    { DEL, "cookie=0x5/0xff,out_port=3,out_group=4,table=2", "040e003800000000000000000000000500000000000000ff0203000000008000ffffffff0000000300000004000000000001000400000000" },
    { DEL, "tcp,tp_dst=80,out_port=LOCAL", "040e00480000000000000000000000000000000000000000ff03000000008000fffffffffffffffeffffffff000000000001001580000a020800800014010680001c020050000000" },
    { DEL, "table=255", "040e00380000000000000000000000000000000000000000ff03000000008000ffffffffffffffffffffffff000000000001000400000000" },
    { DEL_STRICT, "in_port=1,priority=5", "040e00400000000000000000000000000000000000000000ff04000000000005ffffffffffffffffffffffff000000000001000c800000040000000100000000" },
    { DEL_STRICT, "priority=0", "040e00380000000000000000000000000000000000000000ff04000000000000ffffffffffffffffffffffff000000000001000400000000" },
    { DEL_STRICT, "cookie=1/1,ip,nw_dst=10.0.0.0/8,priority=100,table=7", "040e004800000000000000000000000100000000000000010704000000000064ffffffffffffffffffffffff000000000001001680000a020800800019080a000000ff0000000000" },
};

static const struct {
    uint16_t mp_type;
    const char *text;
    const char *wire;
} request_cases[] = {
    { OFPMP_FLOW, "", "04120038000000000001000000000000ff000000ffffffffffffffff00000000000000000000000000000000000000000001000400000000" },
    { OFPMP_FLOW, "in_port=1,cookie=1/1,table=3,out_port=5", "041200400000000000010000000000000300000000000005ffffffff00000000000000000000000100000000000000010001000c800000040000000100000000" },
    { OFPMP_FLOW, "tcp,tp_dst=80", "04120048000000000001000000000000ff000000ffffffffffffffff00000000000000000000000000000000000000000001001580000a020800800014010680001c020050000000" },
    { OFPMP_FLOW, "out_group=7", "04120038000000000001000000000000ff000000ffffffff0000000700000000000000000000000000000000000000000001000400000000" },
    { OFPMP_AGGREGATE, "", "04120038000000000002000000000000ff000000ffffffffffffffff00000000000000000000000000000000000000000001000400000000" },
    { OFPMP_AGGREGATE, "in_port=1", "04120040000000000002000000000000ff000000ffffffffffffffff00000000000000000000000000000000000000000001000c800000040000000100000000" },
};

static const struct {
    uint16_t command;
    bool group;
    const char *text;
    const char *wire;
} delete_cases[] = {
    { FT_OFPGC_DELETE, true, "", "040f00100000000000020000fffffffc" },
    { FT_OFPGC_DELETE, true, "group_id=5", "040f0010000000000002000000000005" },
    { FT_OFPGC_DELETE, true, "group_id=all", "040f00100000000000020000fffffffc" },
    { FT_OFPMC_DELETE, false, "", "041d00100000000000020000ffffffff" },
    { FT_OFPMC_DELETE, false, "meter=3", "041d0010000000000002000000000003" },
    { FT_OFPMC_DELETE, false, "meter=all", "041d00100000000000020000ffffffff" },
    { FT_OFPGC_MODIFY, true, "group_id=5,type=all,bucket=output:1", "040f003000000000000100000000000500200000ffffffffffffffff0000000000000010000000010000000000000000" },
    { FT_OFPMC_MODIFY, false, "meter=1,kbps,band=type=drop,rate=5", "041d002000000000000100010000000100010010000000050000000000000000" },
};

static void
test_commands(void **state)
{
    (void) state;
    char err[OF_TEXT_ERR_LEN];
    for (size_t i = 0; i < sizeof command_cases / sizeof command_cases[0]; i++) {
        struct of_msg msg;
        if (of_text_parse_flow_mod(command_cases[i].text,
                                   (uint8_t) command_cases[i].command, &msg,
                                   err, sizeof err)) {
            fail_msg("\"%s\": %s", command_cases[i].text, err);
        }
        assert_string_equal(err, "");
        char *hex = encode_hex(&msg);
        if (strcmp(hex, command_cases[i].wire)) {
            fail_msg("\"%s\"\n  got  %s\n  want %s", command_cases[i].text,
                     hex, command_cases[i].wire);
        }
        assert_decodes_to(hex, &msg);
        free(hex);
        of_msg_uninit(&msg);
    }
    for (size_t i = 0; i < sizeof request_cases / sizeof request_cases[0]; i++) {
        struct of_msg msg;
        if (of_text_parse_flow_stats_request(request_cases[i].text,
                                             request_cases[i].mp_type, &msg,
                                             err, sizeof err)) {
            fail_msg("\"%s\": %s", request_cases[i].text, err);
        }
        char *hex = encode_hex(&msg);
        assert_string_equal(hex, request_cases[i].wire);
        assert_decodes_to(hex, &msg);
        free(hex);
        of_msg_uninit(&msg);
    }
    for (size_t i = 0; i < sizeof delete_cases / sizeof delete_cases[0]; i++) {
        struct of_msg msg;
        int error = delete_cases[i].group
                    ? of_text_parse_group_mod(delete_cases[i].text,
                                              delete_cases[i].command, &msg,
                                              err, sizeof err)
                    : of_text_parse_meter_mod(delete_cases[i].text,
                                              delete_cases[i].command, &msg,
                                              err, sizeof err);
        if (error) {
            fail_msg("\"%s\": %s", delete_cases[i].text, err);
        }
        char *hex = encode_hex(&msg);
        assert_string_equal(hex, delete_cases[i].wire);
        free(hex);
        of_msg_uninit(&msg);
    }
}

/* ------------------------------------------------------------------------
 * Normalisation notes, the match alone, ports.
 * ---------------------------------------------------------------------- */

static void
test_normalization_note(void **state)
{
    (void) state;
    struct of_msg msg;
    char err[OF_TEXT_ERR_LEN];

    /* ovs-ofctl drops a field whose protocol is not matched, and says so. */
    assert_int_equal(of_text_parse_flow_mod("in_port=2,nw_src=10.0.0.1,tp_dst=80,"
                                            "actions=drop", ADD, &msg, err,
                                            sizeof err), 0);
    assert_string_equal(err, "normalization changed the match (a field needs "
                        "its protocol, e.g. \"ip,\" or \"tcp,\"): pre: "
                        "in_port=2,nw_src=10.0.0.1,tp_dst=80 post: in_port=2");
    assert_int_equal(msg.flow_mod.match.n_fields, 1);
    assert_int_equal(msg.flow_mod.match.fields[0].field, OFPXMT_OFB_IN_PORT);
    of_msg_uninit(&msg);

    assert_int_equal(of_text_parse_flow_mod("ip,nw_src=10.0.0.1,actions=drop",
                                            ADD, &msg, err, sizeof err), 0);
    assert_string_equal(err, "");
    of_msg_uninit(&msg);

    assert_int_equal(of_text_parse_flow_stats_request("udp,nw_ttl2=1", OFPMP_FLOW,
                                                      &msg, err, sizeof err),
                     -EINVAL);
    assert_string_equal(err, "unknown field \"nw_ttl2\"");
    of_msg_uninit(&msg);
    assert_int_equal(of_text_parse_flow_stats_request("tp_src=1", OFPMP_FLOW,
                                                      &msg, err, sizeof err), 0);
    assert_string_equal(err, "normalization changed the match (a field needs "
                        "its protocol, e.g. \"ip,\" or \"tcp,\"): pre: tp_src=1 "
                        "post: ");
    of_msg_uninit(&msg);
}

static void
test_match_api(void **state)
{
    (void) state;
    static const struct { const char *in, *out; } cases[] = {
        { "tcp,nw_dst=10.0.0.0/8,tp_dst=80", "tcp,nw_dst=10.0.0.0/8,tp_dst=80" },
        { "in_port=LOCAL,dl_vlan=7", "in_port=LOCAL,dl_vlan=7" },
        { "", "" },
        { "ipv6,ipv6_src=2001:db8::/48,nw_proto=50", "ipv6,ipv6_src=2001:db8::/48,nw_proto=50" },
        { "arp,nw_proto=1", "arp,arp_op=1" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct of_match m;
        struct of_buf out;
        char err[OF_TEXT_ERR_LEN];
        assert_int_equal(of_text_parse_match(cases[i].in, &m, err, sizeof err), 0);
        of_buf_init(&out);
        assert_int_equal(of_text_format_match(&m, 32768, &out), 0);
        assert_string_equal((char *) out.data, cases[i].out);
        of_buf_clear(&out);
        assert_int_equal(of_text_format_match(&m, 7, &out), 0);
        char want[256];
        snprintf(want, sizeof want, "priority=7%s%s", *cases[i].out ? "," : "",
                 cases[i].out);
        assert_string_equal((char *) out.data, want);
        of_buf_uninit(&out);
    }

    struct of_buf out;
    of_buf_init(&out);
    assert_int_equal(of_text_format_port(OFPP_CONTROLLER, &out), 0);
    assert_int_equal(of_text_format_port(5, &out), 0);
    assert_int_equal(of_text_format_port(OFPP_IN_PORT, &out), 0);
    assert_string_equal((char *) out.data, "CONTROLLER5IN_PORT");
    of_buf_uninit(&out);
}

/* The key-value lexer's corners, seen through flows: "k(v)" equals "k:v",
 * nested parentheses keep their commas, spaces separate like commas. */
static void
test_lexer_forms(void **state)
{
    (void) state;
    static const char *const same[][2] = {
        { "actions=output(1)", "actions=output:1" },
        { "in_port=1 actions=output:2 output:3", "in_port=1,actions=output:2,output:3" },
        { "  tcp ,, tp_dst=80\t, actions=drop ", "tcp,tp_dst=80,actions=drop" },
        { "actions=write_actions(output(2),group:1)", "actions=write_actions(output:2,group:1)" },
        { "action=drop", "actions=drop" },
        { "ip actions=load(0x01020304)->ip_src[]", "ip,actions=set_field:1.2.3.4->ip_src" },
        { "actions=controller(max_len=99)", "actions=controller:99" },
        { "actions=CONTROLLER:65535", "actions=controller" },
        /* ovs-ofctl: a bare 65533 sends no bytes, output:65533 all. */
        { "in_port=65534,actions=65533", "in_port=LOCAL,actions=CONTROLLER:0" },
        { "actions=output:65533", "actions=controller" },
        { "actions=Output:4294967293", "actions=CONTROLLER:65535" },
    };
    for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
        struct of_msg a, b;
        char err[OF_TEXT_ERR_LEN];
        if (of_text_parse_flow_mod(same[i][0], ADD, &a, err, sizeof err)) {
            fail_msg("\"%s\": %s", same[i][0], err);
        }
        if (of_text_parse_flow_mod(same[i][1], ADD, &b, err, sizeof err)) {
            fail_msg("\"%s\": %s", same[i][1], err);
        }
        if (!of_msg_equal(&a, &b)) {
            fail_msg("\"%s\" and \"%s\" differ", same[i][0], same[i][1]);
        }
        of_msg_uninit(&a);
        of_msg_uninit(&b);
    }
}

/* ------------------------------------------------------------------------
 * Files.
 * ---------------------------------------------------------------------- */

struct collected {
    unsigned int lines[16];
    uint8_t commands[16];
    char notes[16][OF_TEXT_ERR_LEN];
    size_t n;
    size_t stop_after;              /* return 99 after this many; 0 never */
};

static int
collect(struct of_msg *msg, unsigned int line, const char *note, void *aux)
{
    struct collected *c = aux;
    assert_true(c->n < 16);
    c->lines[c->n] = line;
    c->commands[c->n] = msg->type == OFPT_FLOW_MOD ? msg->flow_mod.command
                                                   : (uint8_t) msg->type;
    snprintf(c->notes[c->n], sizeof c->notes[0], "%s", note);
    c->n++;
    return c->stop_after && c->n == c->stop_after ? 99 : 0;
}

static void
test_lines(void **state)
{
    (void) state;
    static const char file[] =
        "# a flow file\n"
        "in_port=1,actions=output:2   # trailing comment\n"
        "\n"
        "   \t\n"
        "  # indented comment\n"
        "delete in_port=3\n"
        "modify_strict priority=5,in_port=4,actions=drop\r\n"
        "nw_src=1.2.3.4,actions=drop\n"
        "delete_strict priority=9";
    struct collected c = { .n = 0 };
    char err[OF_TEXT_ERR_LEN];

    assert_int_equal(of_text_parse_lines(file, OF_TEXT_FLOW, FT_OFPFC_ADD,
                                         collect, &c, err, sizeof err), 0);
    assert_string_equal(err, "");
    assert_int_equal(c.n, 5);
    assert_int_equal(c.lines[0], 2);
    assert_int_equal(c.commands[0], FT_OFPFC_ADD);
    assert_int_equal(c.lines[1], 6);
    assert_int_equal(c.commands[1], FT_OFPFC_DELETE);
    assert_int_equal(c.lines[2], 7);
    assert_int_equal(c.commands[2], FT_OFPFC_MODIFY_STRICT);
    assert_int_equal(c.lines[3], 8);
    assert_true(strstr(c.notes[3], "normalization changed the match") != NULL);
    assert_string_equal(c.notes[0], "");
    assert_int_equal(c.lines[4], 9);
    assert_int_equal(c.commands[4], FT_OFPFC_DELETE_STRICT);

    /* The first bad line stops the walk, named by its number. */
    static const char bad[] =
        "in_port=1,actions=drop\n"
        "# fine\n"
        "in_port=2,bad_field=3,actions=drop\n"
        "in_port=3,actions=drop\n";
    memset(&c, 0, sizeof c);
    assert_int_equal(of_text_parse_lines(bad, OF_TEXT_FLOW, FT_OFPFC_ADD,
                                         collect, &c, err, sizeof err), -EINVAL);
    assert_string_equal(err, "line 3: unknown field \"bad_field\"");
    assert_int_equal(c.n, 1);

    /* A callback's nonzero return stops the walk and is returned. */
    memset(&c, 0, sizeof c);
    c.stop_after = 2;
    assert_int_equal(of_text_parse_lines(file, OF_TEXT_FLOW, FT_OFPFC_ADD,
                                         collect, &c, err, sizeof err), 99);
    assert_int_equal(c.n, 2);

    /* Groups and meters files. */
    static const char groups[] =
        "group_id=1,type=all,bucket=output:1\n"
        "# comment\n"
        "group_id=2,type=select,bucket=output:1,bucket=output:2\n";
    memset(&c, 0, sizeof c);
    assert_int_equal(of_text_parse_lines(groups, OF_TEXT_GROUP, FT_OFPGC_ADD,
                                         collect, &c, err, sizeof err), 0);
    assert_int_equal(c.n, 2);
    assert_int_equal(c.commands[1], OFPT_GROUP_MOD);
    assert_int_equal(c.lines[1], 3);
    static const char meters[] =
        "meter=1,kbps,band=type=drop,rate=5\n"
        "meter=2,kbps\n";
    memset(&c, 0, sizeof c);
    assert_int_equal(of_text_parse_lines(meters, OF_TEXT_METER, FT_OFPMC_ADD,
                                         collect, &c, err, sizeof err), -EINVAL);
    assert_string_equal(err, "line 2: must specify bands");
    assert_int_equal(c.n, 1);
}

/* ------------------------------------------------------------------------
 * The other dumps: oftext_samples.c's replies, as ovs-ofctl 3.1 printed
 * them (dump-group-stats, meter-stats, dump-tables, dump-ports,
 * dump-ports-desc, dump-aggregate).
 * ---------------------------------------------------------------------- */

static const struct {
    const char *kind;
    const char *text;
} sample_dumps[] = {
    { "group-stats",
      "OFPST_GROUP reply (OF1.3) (xid=0x2):\n"
      " group_id=1,duration=5.500s,ref_count=2,packet_count=30,byte_count=3000,bucket0:packet_count=10,byte_count=1000,bucket1:packet_count=20,byte_count=2000\n"
      " group_id=4294967040,duration=0.000000001s,ref_count=0,packet_count=0,byte_count=0\n" },
    { "meter-stats",
      "OFPST_METER reply (OF1.3) (xid=0x2):\n"
      "meter:1 flow_count:3 packet_in_count:100 byte_in_count:10000 duration:12.345s bands:\n"
      "0: packet_count:7 byte_count:700\n"
      "1: packet_count:8 byte_count:800\n"
      "\n"
      "meter:controller flow_count:0 packet_in_count:0 byte_in_count:0 duration:1s bands:\n" },
    { "tables",
      "OFPST_TABLE reply (OF1.3) (xid=0x2):\n"
      "  table 0:\n"
      "    active=5, lookup=1000, matched=900\n"
      "\n"
      "  table 1:\n"
      "    active=0, lookup=0, matched=0\n"
      "\n"
      "  tables 2...4: ditto\n"
      "\n"
      "  table 5:\n"
      "    active=1, lookup=10, matched=10\n"
      "\n"
      "  table 6: ditto\n"
      "\n"
      "  table 7:\n"
      "    active=0, lookup=0, matched=0\n"
      "\n"
      "  tables 9...10: ditto\n"
      "\n"
      "  table 253:\n"
      "    active=2, lookup=3, matched=4\n" },
    { "ports",
      "OFPST_PORT reply (OF1.3) (xid=0x2): 4 ports\n"
      "  port  1: rx pkts=10, bytes=1000, drop=1, errs=3, frame=5, over=6, crc=7\n"
      "           tx pkts=20, bytes=2000, drop=2, errs=4, coll=8\n"
      "           duration=100.250s\n"
      "  port LOCAL: rx pkts=?, bytes=?, drop=?, errs=?, frame=?, over=?, crc=?\n"
      "           tx pkts=0, bytes=0, drop=?, errs=?, coll=?\n"
      "           duration=3s\n"
      "  port 12345: rx pkts=0, bytes=0, drop=0, errs=0, frame=0, over=0, crc=0\n"
      "           tx pkts=0, bytes=0, drop=0, errs=0, coll=0\n"
      "           duration=0s\n"
      "  port  4: rx pkts=1, bytes=0, drop=0, errs=0, frame=0, over=0, crc=0\n"
      "           tx pkts=0, bytes=0, drop=0, errs=0, coll=0\n" },
    { "port-desc",
      "OFPST_PORT_DESC reply (OF1.3) (xid=0x2):\n"
      " 1(eth1): addr:52:54:00:12:34:56\n"
      "     config:     0\n"
      "     state:      LIVE\n"
      "     current:    10GB-FD COPPER AUTO_NEG\n"
      "     advertised: 10GB-FD COPPER AUTO_NEG\n"
      "     supported:  10MB-HD 10MB-FD 100MB-HD 100MB-FD 10GB-FD COPPER AUTO_NEG\n"
      "     speed: 10000 Mbps now, 10000 Mbps max\n"
      " 3(sixteen-chars-x): addr:00:00:00:00:00:00\n"
      "     config:     0\n"
      "     state:      0\n"
      "     speed: 0 Mbps now, 0 Mbps max\n"
      " 7(vm7): addr:00:00:00:00:00:00\n"
      "     config:     PORT_DOWN NO_RECV NO_FWD NO_PACKET_IN\n"
      "     state:      BLOCKED LIVE\n"
      "     current:    10MB-HD 10MB-FD 100MB-HD 100MB-FD 1GB-HD 1GB-FD 10GB-FD 40GB-FD 100GB-FD 1TB-FD OTHER COPPER FIBER AUTO_NEG AUTO_PAUSE AUTO_PAUSE_ASYM\n"
      "     advertised: FIBER AUTO_NEG\n"
      "     peer:       1GB-FD\n"
      "     speed: 10 Mbps now, 0 Mbps max\n"
      " LOCAL(br0): addr:02:00:00:00:00:01\n"
      "     config:     PORT_DOWN\n"
      "     state:      LINK_DOWN\n"
      "     speed: 0 Mbps now, 0 Mbps max\n" },
    { "aggregate",
      "OFPST_AGGREGATE reply (OF1.3) (xid=0x2): packet_count=123 byte_count=45678 flow_count=9\n" },
};

static void
test_reply_dumps(void **state)
{
    (void) state;
    for (size_t i = 0; i < sizeof sample_dumps / sizeof sample_dumps[0]; i++) {
        struct of_msg msg;
        struct of_buf out;
        assert_int_equal(oftext_sample_reply(sample_dumps[i].kind, &msg), 0);
        of_buf_init(&out);
        assert_int_equal(of_text_format_reply(&msg, &out), 0);
        if (strcmp((char *) out.data, sample_dumps[i].text)) {
            fail_msg("%s:\n--- got\n%s--- want\n%s", sample_dumps[i].kind,
                     (char *) out.data, sample_dumps[i].text);
        }
        /* The same bytes decoded print the same (what vswitch-ctl does). */
        struct of_buf wire;
        of_buf_init(&wire);
        assert_int_equal(of_msg_encode(&msg, &wire), 0);
        struct of_msg dec;
        struct of_err oerr;
        assert_int_equal(of_msg_decode(wire.data, wire.len, &dec, &oerr), 0);
        of_buf_clear(&out);
        assert_int_equal(of_text_format_reply(&dec, &out), 0);
        assert_string_equal((char *) out.data, sample_dumps[i].text);
        of_msg_uninit(&dec);
        of_buf_uninit(&wire);
        of_buf_uninit(&out);
    }

    /* Not a reply this formats. */
    struct of_msg msg;
    struct of_buf out;
    of_buf_init(&out);
    of_msg_init(&msg, OFPT_ECHO_REQUEST, 1);
    assert_int_equal(of_text_format_reply(&msg, &out), -EINVAL);
    of_msg_init(&msg, OFPT_MULTIPART_REPLY, 1);
    msg.multipart.type = OFPMP_DESC;
    assert_int_equal(of_text_format_reply(&msg, &out), -EINVAL);
    of_buf_uninit(&out);
}

/* dump-flows: the heading, durations of every precision, counters, the
 * per-line pieces; checked against ovs-ofctl's output for the same. */
static void
test_flow_dump(void **state)
{
    (void) state;
    static const char *const flows[] = {
        "priority=10,ip,nw_src=1.2.3.4,actions=output:1",
        "cookie=0x5,table=3,idle_timeout=5,hard_timeout=10,send_flow_rem,"
        "check_overlap,tcp,tp_dst=80,actions=drop",
        "actions=drop",
        "in_port=1,actions=meter:2,output:2,write_metadata:0x1/0x1",
        "reset_counts,no_packet_counts,no_byte_counts,actions=drop",
        "arp,arp_op=2,actions=clear_actions",
    };
    static const uint32_t nsecs[] = { 0, 5000000, 123000000, 120000,
                                      999999999, 500000000 };
    static const char want[] =
        "OFPST_FLOW reply (OF1.3) (xid=0x2a):\n"
        " cookie=0x0, duration=0s, table=0, n_packets=0, n_bytes=42, priority=10,ip,nw_src=1.2.3.4 actions=output:1\n"
        " cookie=0x5, duration=7.005s, table=3, n_packets=1000, n_bytes=64042, idle_timeout=5, hard_timeout=10, send_flow_rem check_overlap tcp,tp_dst=80 actions=drop\n"
        " cookie=0x0, duration=14.123s, table=0, n_packets=2000, n_bytes=128042, actions=drop\n"
        " cookie=0x0, duration=21.00012s, table=0, n_packets=3000, n_bytes=192042, in_port=1 actions=meter:2,output:2,write_metadata:0x1/0x1\n"
        " cookie=0x0, duration=28.999999999s, table=0, n_packets=4000, n_bytes=256042, reset_counts no_packet_counts no_byte_counts actions=drop\n"
        " cookie=0x0, duration=35.500s, table=0, n_packets=5000, n_bytes=320042, arp,arp_op=2 actions=clear_actions\n";
    struct of_msg mods[6], reply;
    struct of_flow_stats fs[6];
    char err[OF_TEXT_ERR_LEN];

    of_msg_init(&reply, OFPT_MULTIPART_REPLY, 42);
    reply.multipart.type = OFPMP_FLOW;
    for (size_t i = 0; i < 6; i++) {
        assert_int_equal(of_text_parse_flow_mod(flows[i], ADD, &mods[i], err,
                                                sizeof err), 0);
        stats_from_mod(&mods[i].flow_mod, &fs[i]);
        fs[i].duration_sec = (uint32_t) i * 7;
        fs[i].duration_nsec = nsecs[i];
        fs[i].packet_count = i * 1000;
        fs[i].byte_count = i * 64000 + 42;
    }
    reply.multipart.flows.items = fs;
    reply.multipart.flows.n = 6;
    struct of_buf out;
    of_buf_init(&out);
    assert_int_equal(of_text_format_reply(&reply, &out), 0);
    assert_string_equal((char *) out.data, want);

    /* The pieces. */
    of_buf_clear(&out);
    assert_int_equal(of_text_format_instructions(&fs[3].instructions, &out), 0);
    assert_string_equal((char *) out.data, "meter:2,output:2,write_metadata:0x1/0x1");
    of_buf_clear(&out);
    assert_int_equal(of_text_format_instructions(&fs[2].instructions, &out), 0);
    assert_string_equal((char *) out.data, "drop");
    of_buf_clear(&out);
    assert_int_equal(of_text_format_actions(&fs[3].instructions.items[1].actions,
                                            &out), 0);
    assert_string_equal((char *) out.data, "output:2");
    of_buf_clear(&out);
    struct of_action_list none = { NULL, 0 };
    assert_int_equal(of_text_format_actions(&none, &out), 0);
    assert_string_equal((char *) out.data, "drop");
    of_buf_uninit(&out);
    for (size_t i = 0; i < 6; i++) {
        of_msg_uninit(&mods[i]);
    }
}

int
main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s flows.corpus groups_meters.corpus\n", argv[0]);
        return 2;
    }
    flows_corpus_path = argv[1];
    gm_corpus_path = argv[2];
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flow_corpus),
        cmocka_unit_test(test_group_meter_corpus),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_error_buffer),
        cmocka_unit_test(test_commands),
        cmocka_unit_test(test_normalization_note),
        cmocka_unit_test(test_match_api),
        cmocka_unit_test(test_lexer_forms),
        cmocka_unit_test(test_lines),
        cmocka_unit_test(test_reply_dumps),
        cmocka_unit_test(test_flow_dump),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
