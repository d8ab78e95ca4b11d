/*
 * oftext_tool — the of_text library on the command line, for the
 * cross-check against ovs-ofctl (tests/system/test_oftext_ovs.py):
 *
 *   oftext_tool flow COMMAND TEXT     FLOW_MOD (add, modify, modify_strict,
 *                                     delete, delete_strict) as hex
 *   oftext_tool dump TEXT             flow-stats request as hex
 *   oftext_tool aggregate TEXT        aggregate-stats request as hex
 *   oftext_tool group COMMAND TEXT    GROUP_MOD (add, modify, delete) as hex
 *   oftext_tool meter COMMAND TEXT    METER_MOD (add, modify, delete) as hex
 *   oftext_tool format HEX            a multipart reply, as ovs-ofctl prints
 *   oftext_tool reply KIND [TEXT...]  a sample multipart reply as hex:
 *       flows TEXT...   one flow-stats entry per flow (counters made up)
 *       groups TEXT...  group descriptions from group texts
 *       meters TEXT...  meter configurations from meter texts
 *       group-stats | meter-stats | tables | ports | port-desc | aggregate
 *
 * Hex goes to stdout, one message per line; parse notes go to stderr
 * prefixed "NOTE: "; a parse error prints "ERROR: <message>" on stdout
 * and exits 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flowtable/ft_meter.h"
#include "flowtable/ft_ofp.h"
#include "openflow/of_text.h"
#include "openflow/openflow.h"
#include "oftext_samples.h"

static void
print_hex(const struct of_buf *b)
{
    for (size_t i = 0; i < b->len; i++) {
        printf("%02x", b->data[i]);
    }
    putchar('\n');
}

static int
emit(struct of_msg *msg)
{
    struct of_buf b;
    of_buf_init(&b);
    msg->xid = 2;
    int error = of_msg_encode(msg, &b);
    if (error) {
        printf("ERROR: encode failed (%d)\n", error);
        of_buf_uninit(&b);
        return 1;
    }
    print_hex(&b);
    of_buf_uninit(&b);
    return 0;
}

static int
command_of(const char *word, int flow)
{
    static const char *const flow_cmds[] = {
        "add", "modify", "modify_strict", "delete", "delete_strict",
    };
    static const char *const gm_cmds[] = { "add", "modify", "delete" };
    const char *const *cmds = flow ? flow_cmds : gm_cmds;
    int n = flow ? 5 : 3;
    for (int i = 0; i < n; i++) {
        if (!strcmp(word, cmds[i])) {
            return i;
        }
    }
    fprintf(stderr, "unknown command %s\n", word);
    exit(2);
}

static int
finish(int error, struct of_msg *msg, const char *err)
{
    int rc;
    if (error) {
        printf("ERROR: %s\n", err);
        rc = 1;
    } else {
        if (*err) {
            fprintf(stderr, "NOTE: %s\n", err);
        }
        rc = emit(msg);
    }
    of_msg_uninit(msg);
    return rc;
}

static int
hexval(int c)
{
    return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

static int
format_hex(const char *hex)
{
    size_t n = strlen(hex) / 2;
    uint8_t *bytes = malloc(n ? n : 1);
    for (size_t i = 0; i < n; i++) {
        bytes[i] = (uint8_t) (hexval(hex[2 * i]) << 4 | hexval(hex[2 * i + 1]));
    }
    struct of_msg msg;
    struct of_err oerr;
    int rc = 0;
    if (of_msg_decode(bytes, n, &msg, &oerr)) {
        printf("ERROR: decode: %s\n", of_error_code_name(oerr.type, oerr.code));
        rc = 1;
    } else {
        struct of_buf out;
        of_buf_init(&out);
        if (of_text_format_reply(&msg, &out)) {
            printf("ERROR: format failed\n");
            rc = 1;
        } else {
            fputs((char *) out.data, stdout);
        }
        of_buf_uninit(&out);
    }
    of_msg_uninit(&msg);
    free(bytes);
    return rc;
}

/* ---- sample replies ---- */

static void
reply_init(struct of_msg *msg, uint16_t mp_type)
{
    of_msg_init(msg, OFPT_MULTIPART_REPLY, 2);
    msg->multipart.type = mp_type;
}

static int
reply_flows(int argc, char **argv)
{
    struct of_msg reply, *mods = calloc((size_t) argc + 1, sizeof *mods);
    struct of_flow_stats *fs = calloc((size_t) argc + 1, sizeof *fs);
    char err[OF_TEXT_ERR_LEN];
    int rc = 0;

    reply_init(&reply, OFPMP_FLOW);
    for (int i = 0; i < argc; i++) {
        if (of_text_parse_flow_mod(argv[i], FT_OFPFC_ADD, &mods[i], err,
                                   sizeof err)) {
            printf("ERROR: %s\n", err);
            rc = 1;
            argc = i + 1;
            break;
        }
        const struct of_flow_mod *fm = &mods[i].flow_mod;
        fs[i].table_id = fm->table_id;
        fs[i].duration_sec = (uint32_t) i * 7;
        /* whole seconds, whole milliseconds, and finer fractions */
        static const uint32_t nsecs[] = { 0, 5000000, 123000000, 120000,
                                          999999999, 500000000 };
        fs[i].duration_nsec = nsecs[i % 6];
        fs[i].priority = fm->priority;
        fs[i].idle_timeout = fm->idle_timeout;
        fs[i].hard_timeout = fm->hard_timeout;
        fs[i].flags = fm->flags;
        fs[i].cookie = fm->cookie;
        fs[i].packet_count = (uint64_t) i * 1000;
        fs[i].byte_count = (uint64_t) i * 64000 + 42;
        fs[i].match = fm->match;
        fs[i].instructions = fm->instructions;
    }
    if (!rc) {
        reply.multipart.flows.items = fs;
        reply.multipart.flows.n = (uint32_t) argc;
        rc = emit(&reply);
    }
    for (int i = 0; i < argc; i++) {
        of_msg_uninit(&mods[i]);
    }
    free(mods);
    free(fs);
    return rc;
}

static int
reply_groups(int argc, char **argv)
{
    struct of_msg reply, *mods = calloc((size_t) argc + 1, sizeof *mods);
    struct of_group_desc *gd = calloc((size_t) argc + 1, sizeof *gd);
    char err[OF_TEXT_ERR_LEN];
    int rc = 0;

    reply_init(&reply, OFPMP_GROUP_DESC);
    for (int i = 0; i < argc && !rc; i++) {
        if (of_text_parse_group_mod(argv[i], FT_OFPGC_ADD, &mods[i], err,
                                    sizeof err)) {
            printf("ERROR: %s\n", err);
            rc = 1;
            argc = i + 1;
            break;
        }
        gd[i].type = mods[i].group_mod.type;
        gd[i].group_id = mods[i].group_mod.group_id;
        gd[i].buckets = mods[i].group_mod.buckets;
    }
    if (!rc) {
        reply.multipart.group_descs.items = gd;
        reply.multipart.group_descs.n = (uint32_t) argc;
        rc = emit(&reply);
    }
    for (int i = 0; i < argc; i++) {
        of_msg_uninit(&mods[i]);
    }
    free(mods);
    free(gd);
    return rc;
}

static int
reply_meters(int argc, char **argv)
{
    struct of_msg reply, *mods = calloc((size_t) argc + 1, sizeof *mods);
    struct of_meter_config *mc = calloc((size_t) argc + 1, sizeof *mc);
    char err[OF_TEXT_ERR_LEN];
    int rc = 0;

    reply_init(&reply, OFPMP_METER_CONFIG);
    for (int i = 0; i < argc; i++) {
        if (of_text_parse_meter_mod(argv[i], FT_OFPMC_ADD, &mods[i], err,
                                    sizeof err)) {
            printf("ERROR: %s\n", err);
            rc = 1;
            argc = i + 1;
            break;
        }
        mc[i].flags = mods[i].meter_mod.flags;
        mc[i].meter_id = mods[i].meter_mod.meter_id;
        mc[i].bands = mods[i].meter_mod.bands;
    }
    if (!rc) {
        reply.multipart.meter_configs.items = mc;
        reply.multipart.meter_configs.n = (uint32_t) argc;
        rc = emit(&reply);
    }
    for (int i = 0; i < argc; i++) {
        of_msg_uninit(&mods[i]);
    }
    free(mods);
    free(mc);
    return rc;
}

static int
reply_sample(const char *kind)
{
    struct of_msg reply;
    if (oftext_sample_reply(kind, &reply)) {
        fprintf(stderr, "unknown reply kind %s\n", kind);
        return 2;
    }
    return emit(&reply);
}

int
main(int argc, char **argv)
{
    char err[OF_TEXT_ERR_LEN];
    struct of_msg msg;

    if (argc < 3) {
        fprintf(stderr, "usage: see the comment at the top of oftext_tool.c\n");
        return 2;
    }
    const char *what = argv[1];
    if (!strcmp(what, "flow") && argc == 4) {
        int error = of_text_parse_flow_mod(argv[3], (uint8_t) command_of(argv[2], 1),
                                           &msg, err, sizeof err);
        return finish(error, &msg, err);
    }
    if ((!strcmp(what, "dump") || !strcmp(what, "aggregate")) && argc == 3) {
        int error = of_text_parse_flow_stats_request(
            argv[2], !strcmp(what, "dump") ? OFPMP_FLOW : OFPMP_AGGREGATE,
            &msg, err, sizeof err);
        return finish(error, &msg, err);
    }
    if (!strcmp(what, "group") && argc == 4) {
        int error = of_text_parse_group_mod(argv[3], (uint16_t) command_of(argv[2], 0),
                                            &msg, err, sizeof err);
        return finish(error, &msg, err);
    }
    if (!strcmp(what, "meter") && argc == 4) {
        int error = of_text_parse_meter_mod(argv[3], (uint16_t) command_of(argv[2], 0),
                                            &msg, err, sizeof err);
        return finish(error, &msg, err);
    }
    if (!strcmp(what, "format") && argc == 3) {
        return format_hex(argv[2]);
    }
    if (!strcmp(what, "reply")) {
        if (!strcmp(argv[2], "flows")) {
            return reply_flows(argc - 3, argv + 3);
        }
        if (!strcmp(argv[2], "groups")) {
            return reply_groups(argc - 3, argv + 3);
        }
        if (!strcmp(argv[2], "meters")) {
            return reply_meters(argc - 3, argv + 3);
        }
        return reply_sample(argv[2]);
    }
    fprintf(stderr, "usage: see the comment at the top of oftext_tool.c\n");
    return 2;
}
