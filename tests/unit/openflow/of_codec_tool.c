/*
 * of_codec_tool.c — a tiny driver that lets Python tests talk to the C
 * OpenFlow codec (tests/system/test_openflow_oskeen_crosscheck.py).
 *
 *   of_codec_tool samples     print "name<TAB>hex" for every corpus message
 *   of_codec_tool decode      read one hex message per line on stdin; print
 *                             one JSON line each: {"ok":true,"msg":{...},
 *                             "reencoded":"hex"} or {"ok":false,"error":
 *                             {"type":T,"code":C,...},"reply":"hex"}
 *   of_codec_tool constants   print "NAME value" for the header constants
 *                             (compared against os-ken's ofproto_v1_3)
 *   of_codec_tool corpus DIR  write each corpus message to DIR/<name>.bin
 *                             (the fuzz seed corpus)
 *
 * Single-threaded test program.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "of_samples.h"

static void
print_hex(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        printf("%02x", p[i]);
    }
}

static int
cmd_samples(bool to_dir, const char *dir)
{
    struct of_sample *s;
    size_t n = of_samples_build(&s);
    struct of_buf buf;
    int status = 0;

    of_buf_init(&buf);
    for (size_t i = 0; i < n; i++) {
        of_buf_clear(&buf);
        int error = of_msg_encode(&s[i].msg, &buf);
        if (error) {
            fprintf(stderr, "%s: encode failed (%d)\n", s[i].name, error);
            status = 1;
            continue;
        }
        if (to_dir) {
            char path[512];
            snprintf(path, sizeof path, "%s/%s.bin", dir, s[i].name);
            FILE *f = fopen(path, "wb");
            if (!f || fwrite(buf.data, 1, buf.len, f) != buf.len) {
                status = 1;
            }
            if (f) {
                fclose(f);
            }
        } else {
            printf("%s\t", s[i].name);
            print_hex(buf.data, buf.len);
            printf("\n");
        }
    }
    of_buf_uninit(&buf);
    of_samples_free(s, n);
    return status;
}

static int
hex_nibble(int c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static int
cmd_decode(void)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    struct of_buf out;
    size_t fmt_cap = 1 << 20;
    char *fmt = malloc(fmt_cap);

    if (!fmt) {
        return 1;
    }
    of_buf_init(&out);
    while ((got = getline(&line, &cap, stdin)) >= 0) {
        size_t n = 0;
        uint8_t *bytes = malloc((size_t) got / 2 + 1);
        if (!bytes) {
            break;
        }
        for (ssize_t i = 0; i + 1 < got; i += 2) {
            int hi = hex_nibble(line[i]), lo = hex_nibble(line[i + 1]);
            if (hi < 0 || lo < 0) {
                break;
            }
            bytes[n++] = (uint8_t) (hi << 4 | lo);
        }
        struct of_msg msg;
        struct of_err err = { 0, 0 };
        int error = of_msg_decode(bytes, n, &msg, &err);
        of_buf_clear(&out);
        if (!error) {
            of_msg_format(&msg, fmt, fmt_cap);
            int enc = of_msg_encode(&msg, &out);
            printf("{\"ok\":true,\"msg\":%s,\"reencoded\":\"", fmt);
            if (!enc) {
                print_hex(out.data, out.len);
            }
            printf("\"}\n");
        } else {
            const char *tn = of_error_type_name(err.type);
            const char *cn = of_error_code_name(err.type, err.code);
            of_error_encode(&err, bytes, n, &out);
            printf("{\"ok\":false,\"errno\":%d,\"error\":{\"type\":%u,\"code\":%u,"
                   "\"type_name\":\"%s\",\"code_name\":\"%s\"},\"reply\":\"",
                   error, err.type, err.code, tn ? tn : "?", cn ? cn : "?");
            print_hex(out.data, out.len);
            printf("\"}\n");
        }
        fflush(stdout);
        of_msg_uninit(&msg);
        free(bytes);
    }
    free(line);
    free(fmt);
    of_buf_uninit(&out);
    return 0;
}

static int
cmd_constants(void)
{
#define C(x) printf("%s %llu\n", #x, (unsigned long long) (x))
    C(OFPT_HELLO); C(OFPT_ERROR); C(OFPT_ECHO_REQUEST); C(OFPT_ECHO_REPLY);
    C(OFPT_EXPERIMENTER); C(OFPT_FEATURES_REQUEST); C(OFPT_FEATURES_REPLY);
    C(OFPT_GET_CONFIG_REQUEST); C(OFPT_GET_CONFIG_REPLY); C(OFPT_SET_CONFIG);
    C(OFPT_PACKET_IN); C(OFPT_FLOW_REMOVED); C(OFPT_PORT_STATUS);
    C(OFPT_PACKET_OUT); C(OFPT_FLOW_MOD); C(OFPT_GROUP_MOD); C(OFPT_PORT_MOD);
    C(OFPT_TABLE_MOD); C(OFPT_MULTIPART_REQUEST); C(OFPT_MULTIPART_REPLY);
    C(OFPT_BARRIER_REQUEST); C(OFPT_BARRIER_REPLY);
    C(OFPT_QUEUE_GET_CONFIG_REQUEST); C(OFPT_QUEUE_GET_CONFIG_REPLY);
    C(OFPT_ROLE_REQUEST); C(OFPT_ROLE_REPLY); C(OFPT_GET_ASYNC_REQUEST);
    C(OFPT_GET_ASYNC_REPLY); C(OFPT_SET_ASYNC); C(OFPT_METER_MOD);
    C(OFPMP_DESC); C(OFPMP_FLOW); C(OFPMP_AGGREGATE); C(OFPMP_TABLE);
    C(OFPMP_PORT_STATS); C(OFPMP_QUEUE); C(OFPMP_GROUP); C(OFPMP_GROUP_DESC);
    C(OFPMP_GROUP_FEATURES); C(OFPMP_METER); C(OFPMP_METER_CONFIG);
    C(OFPMP_METER_FEATURES); C(OFPMP_TABLE_FEATURES); C(OFPMP_PORT_DESC);
    C(OFPMP_EXPERIMENTER);
    C(OFPIT_GOTO_TABLE); C(OFPIT_WRITE_METADATA); C(OFPIT_WRITE_ACTIONS);
    C(OFPIT_APPLY_ACTIONS); C(OFPIT_CLEAR_ACTIONS); C(OFPIT_METER);
    C(OFPIT_EXPERIMENTER);
    C(OFPAT_OUTPUT); C(OFPAT_COPY_TTL_OUT); C(OFPAT_COPY_TTL_IN);
    C(OFPAT_SET_MPLS_TTL); C(OFPAT_DEC_MPLS_TTL); C(OFPAT_PUSH_VLAN);
    C(OFPAT_POP_VLAN); C(OFPAT_PUSH_MPLS); C(OFPAT_POP_MPLS); C(OFPAT_SET_QUEUE);
    C(OFPAT_GROUP); C(OFPAT_SET_NW_TTL); C(OFPAT_DEC_NW_TTL); C(OFPAT_SET_FIELD);
    C(OFPAT_PUSH_PBB); C(OFPAT_POP_PBB); C(OFPAT_EXPERIMENTER);
    C(OFPP_MAX); C(OFPP_IN_PORT); C(OFPP_TABLE); C(OFPP_NORMAL); C(OFPP_FLOOD);
    C(OFPP_ALL); C(OFPP_CONTROLLER); C(OFPP_LOCAL); C(OFPP_ANY);
    C(OFPG_ANY); C(OFPG_ALL); C(OFPTT_ALL); C(OFP_NO_BUFFER); C(OFPCML_NO_BUFFER);
    C(OFPMT_STANDARD); C(OFPMT_OXM); C(OFPXMC_NXM_0); C(OFPXMC_NXM_1);
    C(OFPXMC_OPENFLOW_BASIC); C(OFPXMC_EXPERIMENTER);
    C(OFPVID_PRESENT); C(OFPVID_NONE);
    C(OFPMBT_DROP); C(OFPMBT_DSCP_REMARK); C(OFPMBT_EXPERIMENTER);
    C(OFPQT_MIN_RATE); C(OFPQT_MAX_RATE); C(OFPQT_EXPERIMENTER);
    C(OFPHET_VERSIONBITMAP);
    C(OFPTFPT_INSTRUCTIONS); C(OFPTFPT_INSTRUCTIONS_MISS); C(OFPTFPT_NEXT_TABLES);
    C(OFPTFPT_NEXT_TABLES_MISS); C(OFPTFPT_WRITE_ACTIONS);
    C(OFPTFPT_WRITE_ACTIONS_MISS); C(OFPTFPT_APPLY_ACTIONS);
    C(OFPTFPT_APPLY_ACTIONS_MISS); C(OFPTFPT_MATCH); C(OFPTFPT_WILDCARDS);
    C(OFPTFPT_WRITE_SETFIELD); C(OFPTFPT_WRITE_SETFIELD_MISS);
    C(OFPTFPT_APPLY_SETFIELD); C(OFPTFPT_APPLY_SETFIELD_MISS);
    C(OFPTFPT_EXPERIMENTER); C(OFPTFPT_EXPERIMENTER_MISS);
    C(ONF_ET_BUNDLE_CONTROL); C(ONF_ET_BUNDLE_ADD_MESSAGE);
    C(ONF_BCT_OPEN_REQUEST); C(ONF_BCT_OPEN_REPLY); C(ONF_BCT_CLOSE_REQUEST);
    C(ONF_BCT_CLOSE_REPLY); C(ONF_BCT_COMMIT_REQUEST); C(ONF_BCT_COMMIT_REPLY);
    C(ONF_BCT_DISCARD_REQUEST); C(ONF_BCT_DISCARD_REPLY);
    C(ONF_BF_ATOMIC); C(ONF_BF_ORDERED);
    C(OFPET_HELLO_FAILED); C(OFPET_BAD_REQUEST); C(OFPET_BAD_ACTION);
    C(OFPET_BAD_INSTRUCTION); C(OFPET_BAD_MATCH); C(OFPET_FLOW_MOD_FAILED);
    C(OFPET_GROUP_MOD_FAILED); C(OFPET_PORT_MOD_FAILED);
    C(OFPET_TABLE_MOD_FAILED); C(OFPET_QUEUE_OP_FAILED);
    C(OFPET_SWITCH_CONFIG_FAILED); C(OFPET_ROLE_REQUEST_FAILED);
    C(OFPET_METER_MOD_FAILED); C(OFPET_TABLE_FEATURES_FAILED);
    C(OFPET_EXPERIMENTER);
#undef C
    /* Error codes by name, through the codec's own name tables. */
    for (unsigned int t = 0; t <= OFPET_TABLE_FEATURES_FAILED; t++) {
        for (unsigned int c = 0; of_error_code_name((uint16_t) t, (uint16_t) c); c++) {
            printf("ERR %s %s %u %u\n", of_error_type_name((uint16_t) t),
                   of_error_code_name((uint16_t) t, (uint16_t) c), t, c);
        }
    }
    for (unsigned int f = 0; f < OF_OXM_N_FIELDS; f++) {
        printf("OXM %s %u %u %d\n", of_oxm_field_name((uint8_t) f), f,
               of_oxm_field_len((uint8_t) f), of_oxm_field_maskable((uint8_t) f));
    }
    return 0;
}

int
main(int argc, char *argv[])
{
    const char *cmd = argc > 1 ? argv[1] : "";
    if (!strcmp(cmd, "samples")) {
        return cmd_samples(false, NULL);
    } else if (!strcmp(cmd, "corpus") && argc > 2) {
        return cmd_samples(true, argv[2]);
    } else if (!strcmp(cmd, "decode")) {
        return cmd_decode();
    } else if (!strcmp(cmd, "constants")) {
        return cmd_constants();
    }
    fprintf(stderr, "usage: %s samples|decode|constants|corpus DIR\n", argv[0]);
    return 2;
}
