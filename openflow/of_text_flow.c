/*
 * of_text_flow.c — flows in ovs-ofctl syntax: FLOW_MOD and flow-stats
 * request parsing (the flow-level keywords around the match and the
 * actions), and the dump-flows / dump-aggregate / dump-tables /
 * dump-ports / dump-ports-desc output of ovs-ofctl 3.1.
 *
 * Which keywords a command takes mirrors ovs-ofctl: add and modify take
 * timeouts, flags, priority and actions; a non-strict delete takes none
 * of them but out_port/out_group; a strict delete adds priority; dump
 * filters take out_port/out_group and a masked cookie.
 *
 * Pure; any thread.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flowtable/ft_ofp.h"
#include "openflow/of_private.h"
#include "openflow/of_text_private.h"

/* Keyword sets, as ovs-ofctl's per-command field masks. */
enum {
    KW_ACTIONS = 1 << 0,            /* actions= required */
    KW_TIMEOUT = 1 << 1,            /* idle_timeout, hard_timeout */
    KW_PRIORITY = 1 << 2,
    KW_FLAGS = 1 << 3,              /* send_flow_rem ... no_byte_counts */
    KW_OUT_PORT = 1 << 4,           /* out_port, out_group */
};

static const struct {
    const char *name;
    uint16_t flag;
} flow_flags[] = {
    { "send_flow_rem", FT_OFPFF_SEND_FLOW_REM },
    { "check_overlap", FT_OFPFF_CHECK_OVERLAP },
    { "reset_counts", FT_OFPFF_RESET_COUNTS },
    { "no_packet_counts", FT_OFPFF_NO_PKT_COUNTS },
    { "no_byte_counts", FT_OFPFF_NO_BYT_COUNTS },
};

/* What the flow text says beyond the match. */
struct flow_text {
    int command;                    /* OFPFC_*, or -1 for a dump filter */
    unsigned int kw;                /* KW_* allowed */
    uint8_t table_id;
    bool table_set;
    uint16_t priority, idle_timeout, hard_timeout, flags;
    uint64_t cookie, cookie_mask;
    uint32_t out_port, out_group;
};

static const char *
command_words(int command)
{
    switch (command) {
    case FT_OFPFC_ADD: return "adding flows";
    case FT_OFPFC_MODIFY: case FT_OFPFC_MODIFY_STRICT: return "modifying flows";
    case FT_OFPFC_DELETE: return "a non-strict delete";
    case FT_OFPFC_DELETE_STRICT: return "a strict delete";
    default: return "a flow dump";
    }
}

/* Handles one non-match keyword. */
static int
flow_keyword(struct flow_text *ft, const char *key, char *value,
             struct tx_err *e)
{
    for (size_t i = 0; i < OF_ARRAY_SIZE(flow_flags); i++) {
        if (!strcmp(key, flow_flags[i].name)) {
            if (!(ft->kw & KW_FLAGS)) {
                return tx_fail(e, "%s: not allowed in %s", key,
                               command_words(ft->command));
            }
            ft->flags |= flow_flags[i].flag;
            return 0;
        }
    }
    if (!strcmp(key, "no_readonly_table")
        || !strcmp(key, "allow_hidden_fields")) {
        return 0;                   /* ovs-ofctl ignores these too */
    }
    if (!strcmp(key, "duration") || !strcmp(key, "n_packets")
        || !strcmp(key, "n_bytes") || !strcmp(key, "idle_age")
        || !strcmp(key, "hard_age")) {
        return 0;                   /* dump-flows output fed back */
    }
    if (!strcmp(key, "importance")) {
        return tx_fail(e, "importance: OpenFlow 1.4+ only (this is "
                       "OpenFlow 1.3)");
    }
    if (!strcmp(key, "table") || !strcmp(key, "priority")
        || !strcmp(key, "idle_timeout") || !strcmp(key, "hard_timeout")
        || !strcmp(key, "cookie") || !strcmp(key, "out_port")
        || !strcmp(key, "out_group")) {
        if (!*value) {
            return tx_fail(e, "%s: missing value", key);
        }
    } else {
        return tx_fail(e, "unknown field \"%s\"", key);
    }

    if (!strcmp(key, "table")) {
        if (tx_parse_u8(value, key, &ft->table_id, e)) {
            return -EINVAL;
        }
        ft->table_set = ft->table_id != OFPTT_ALL;
        return 0;
    }
    if (!strcmp(key, "priority")) {
        if (!(ft->kw & KW_PRIORITY)) {
            return tx_fail(e, "priority: not allowed in %s%s", command_words(ft->command),
                           ft->command == FT_OFPFC_DELETE ? " (use a strict delete)" : "");
        }
        return tx_parse_u16(value, key, &ft->priority, e);
    }
    if (!strcmp(key, "idle_timeout") || !strcmp(key, "hard_timeout")) {
        if (!(ft->kw & KW_TIMEOUT)) {
            return tx_fail(e, "%s: not allowed in %s", key,
                           command_words(ft->command));
        }
        return tx_parse_u16(value, key, key[0] == 'i' ? &ft->idle_timeout
                                                      : &ft->hard_timeout, e);
    }
    if (!strcmp(key, "out_port") || !strcmp(key, "out_group")) {
        if (!(ft->kw & KW_OUT_PORT)) {
            return tx_fail(e, "%s: only deletes and dumps select flows by "
                           "output", key);
        }
        if (key[4] == 'p') {
            return tx_parse_port(value, key, &ft->out_port, e);
        }
        return tx_parse_group(value, key, &ft->out_group, e);
    }

    /* cookie=V sets the cookie (add); cookie=V/M selects flows. */
    char *slash = strchr(value, '/');
    if (slash) {
        if (ft->command == FT_OFPFC_ADD) {
            return tx_fail(e, "cookie: flow additions cannot use a cookie "
                           "mask (\"%s\")", value);
        }
        *slash++ = '\0';
        if (tx_parse_u64(value, "cookie", &ft->cookie, e)
            || tx_parse_u64(slash, "cookie mask", &ft->cookie_mask, e)) {
            return -EINVAL;
        }
        return 0;
    }
    if (ft->command != FT_OFPFC_ADD && ft->command != FT_OFPFC_MODIFY
        && ft->command != FT_OFPFC_MODIFY_STRICT) {
        return tx_fail(e, "cookie: cannot set a cookie here (to match on a "
                       "cookie, give a mask, e.g. cookie=%s/-1)", value);
    }
    uint64_t cookie;
    if (tx_parse_u64(value, "cookie", &cookie, e)) {
        return -EINVAL;
    }
    if (ft->command == FT_OFPFC_ADD) {
        ft->cookie = cookie;
    }
    /* A modify cannot change a cookie in OpenFlow 1.3; ovs drops it too. */
    return 0;
}

/* Finds "action[s]=" as ovs-ofctl does: everything after it is actions.
 * Cuts the string there and returns the actions text, or NULL. */
static char *
split_actions(char *s, bool *found)
{
    char *a = strstr(s, "action");
    *found = a != NULL;
    if (!a) {
        return NULL;
    }
    *a = '\0';
    char *eq = strchr(a + 1, '=');
    return eq ? eq + 1 : NULL;
}

/* Parses the match and keywords of 'text' (actions already cut off). */
static int
parse_flow_fields(char *text, struct flow_text *ft, struct of_match *match,
                  struct tx_err *note, struct tx_err *e)
{
    struct tx_match m;
    char *pos = text, *key, *value;
    tx_match_init(&m);
    while (tx_next_kv(&pos, &key, &value)) {
        int r = tx_match_parse_kv(&m, key, value, e);
        if (r < 0) {
            return r;
        }
        if (!r && flow_keyword(ft, key, value, e)) {
            return -EINVAL;
        }
    }
    return tx_match_finish(&m, match, note, e);
}

int
of_text_parse_flow_mod(const char *text, uint8_t command, struct of_msg *msg,
                       char *err, size_t err_size)
{
    struct tx_err e = { err, err_size };
    struct flow_text ft = {
        .command = command, .priority = 32768,
        .out_port = OFPP_ANY, .out_group = OFPG_ANY,
    };

    of_msg_init(msg, OFPT_FLOW_MOD, 0);
    tx_fail(&e, "%s", "");
    switch (command) {
    case FT_OFPFC_ADD:
    case FT_OFPFC_MODIFY:
    case FT_OFPFC_MODIFY_STRICT:
        ft.kw = KW_ACTIONS | KW_TIMEOUT | KW_PRIORITY | KW_FLAGS;
        break;
    case FT_OFPFC_DELETE:
        ft.kw = KW_OUT_PORT;
        break;
    case FT_OFPFC_DELETE_STRICT:
        ft.kw = KW_OUT_PORT | KW_PRIORITY;
        break;
    default:
        return tx_fail(&e, "unknown flow_mod command %u", command);
    }

    char *copy = tx_strdup(text);
    if (!copy) {
        return -ENOMEM;
    }
    bool has_actions;
    char *actions = split_actions(copy, &has_actions);
    int error = 0;
    if (ft.kw & KW_ACTIONS) {
        if (!actions) {
            error = tx_fail(&e, "must specify an action (\"actions=...\")");
        }
    } else if (has_actions) {
        error = tx_fail(&e, "actions: not allowed in %s",
                        command_words(command));
    }

    struct of_flow_mod *fm = &msg->flow_mod;
    char note[OF_TEXT_ERR_LEN] = "";
    struct tx_err ne = { note, sizeof note };
    if (!error) {
        error = parse_flow_fields(copy, &ft, &fm->match, &ne, &e);
    }
    if (!error && actions) {
        struct tx_flow_ctx ctx;
        tx_flow_ctx_from_match(&ctx, &fm->match.ft);
        error = tx_parse_instructions(actions, &ctx, msg, &fm->instructions,
                                      &e);
    }
    free(copy);
    if (error) {
        return error;
    }

    fm->cookie = ft.cookie;
    fm->cookie_mask = ft.cookie_mask;
    fm->command = command;
    fm->table_id = ft.table_set ? ft.table_id
                   : command >= FT_OFPFC_DELETE ? OFPTT_ALL : 0;
    fm->idle_timeout = ft.idle_timeout;
    fm->hard_timeout = ft.hard_timeout;
    fm->priority = ft.priority;
    fm->buffer_id = OFP_NO_BUFFER;
    fm->out_port = ft.out_port;
    fm->out_group = ft.out_group;
    fm->flags = ft.flags;
    tx_fail(&e, "%s", note);
    return 0;
}

int
of_text_parse_flow_stats_request(const char *text, uint16_t mp_type,
                                 struct of_msg *msg, char *err,
                                 size_t err_size)
{
    struct tx_err e = { err, err_size };
    struct flow_text ft = {
        .command = -1, .kw = KW_OUT_PORT, .priority = 32768,
        .out_port = OFPP_ANY, .out_group = OFPG_ANY,
    };

    of_msg_init(msg, OFPT_MULTIPART_REQUEST, 0);
    tx_fail(&e, "%s", "");
    if (mp_type != OFPMP_FLOW && mp_type != OFPMP_AGGREGATE) {
        return tx_fail(&e, "multipart type %u is no flow dump", mp_type);
    }
    char *copy = tx_strdup(text);
    if (!copy) {
        return -ENOMEM;
    }
    bool has_actions;
    split_actions(copy, &has_actions);
    struct of_flow_stats_request *req = &msg->multipart.flow_request;
    char note[OF_TEXT_ERR_LEN] = "";
    struct tx_err ne = { note, sizeof note };
    int error = has_actions
                ? tx_fail(&e, "actions: a flow dump selects flows by match, "
                          "not by actions")
                : parse_flow_fields(copy, &ft, &req->match, &ne, &e);
    free(copy);
    if (error) {
        return error;
    }
    msg->multipart.type = mp_type;
    req->table_id = ft.table_set ? ft.table_id : OFPTT_ALL;
    req->out_port = ft.out_port;
    req->out_group = ft.out_group;
    req->cookie = ft.cookie;
    req->cookie_mask = ft.cookie_mask;
    tx_fail(&e, "%s", note);
    return 0;
}

/* ------------------------------------------------------------------------
 * dump-flows and friends.
 * ---------------------------------------------------------------------- */

static void
format_flow_stats(struct tx_out *o, const struct of_flow_stats *fs)
{
    tx_printf(o, " cookie=0x%" PRIx64 ", duration=", fs->cookie);
    tx_format_duration(o, fs->duration_sec, fs->duration_nsec);
    tx_printf(o, ", table=%u, n_packets=%" PRIu64 ", n_bytes=%" PRIu64 ", ",
              fs->table_id, fs->packet_count, fs->byte_count);
    if (fs->idle_timeout) {
        tx_printf(o, "idle_timeout=%u, ", fs->idle_timeout);
    }
    if (fs->hard_timeout) {
        tx_printf(o, "hard_timeout=%u, ", fs->hard_timeout);
    }
    for (size_t i = 0; i < OF_ARRAY_SIZE(flow_flags); i++) {
        if (fs->flags & flow_flags[i].flag) {
            tx_printf(o, "%s ", flow_flags[i].name);
        }
    }
    size_t before = o->buf->len;
    tx_format_match(o, &fs->match.ft, fs->priority);
    if (o->buf->len != before) {
        tx_putc(o, ' ');
    }
    tx_put(o, "actions=");
    tx_format_instructions(o, &fs->instructions);
    tx_putc(o, '\n');
}

int
of_text_format_flow_stats(const struct of_flow_stats *fs, struct of_buf *out)
{
    struct tx_out o;
    tx_out_init(&o, out);
    format_flow_stats(&o, fs);
    return o.error;
}

static void
format_table_stats(struct tx_out *o, const struct of_table_stats *ts)
{
    tx_printf(o, "  table %u:\n", ts->table_id);
    tx_printf(o, "    active=%" PRIu32 ", lookup=%" PRIu64 ", matched=%" PRIu64
              "\n", ts->active_count, ts->lookup_count, ts->matched_count);
}

int
of_text_format_table_stats(const struct of_table_stats *ts, struct of_buf *out)
{
    struct tx_out o;
    tx_out_init(&o, out);
    format_table_stats(&o, ts);
    return o.error;
}

static bool
table_stats_same(const struct of_table_stats *a, const struct of_table_stats *b)
{
    return a->active_count == b->active_count
           && a->lookup_count == b->lookup_count
           && a->matched_count == b->matched_count;
}

/* ovs-ofctl prints a table whose counters equal the previous one's as
 * "ditto", a run of them as "tables A...B: ditto"; blocks are separated
 * by blank lines. */
static void
format_table_list(struct tx_out *o, const struct of_table_stats_list *tl)
{
    for (uint32_t i = 0; i < tl->n;) {
        const struct of_table_stats *ts = &tl->items[i];
        if (i) {
            tx_putc(o, '\n');
        }
        if (!i || !table_stats_same(ts, &tl->items[i - 1])) {
            format_table_stats(o, ts);
            i++;
            continue;
        }
        uint32_t j = i;
        while (j + 1 < tl->n && table_stats_same(&tl->items[j + 1], ts)) {
            j++;
        }
        if (j == i) {
            tx_printf(o, "  table %u: ditto\n", ts->table_id);
        } else {
            tx_printf(o, "  tables %u...%u: ditto\n", ts->table_id,
                      tl->items[j].table_id);
        }
        i = j + 1;
    }
}

/* A counter, or "?" for the all-ones "not supported" value. */
static void
put_counter(struct tx_out *o, const char *name, uint64_t v, const char *sep)
{
    if (v == UINT64_MAX) {
        tx_printf(o, "%s=?%s", name, sep);
    } else {
        tx_printf(o, "%s=%" PRIu64 "%s", name, v, sep);
    }
}

static void
format_port_stats(struct tx_out *o, const struct of_port_stats *ps)
{
    tx_put(o, "  port ");
    const char *name = tx_port_name(ps->port_no);
    if (name) {
        tx_printf(o, "%s", name);
    } else {
        tx_printf(o, "%2" PRIu32, ps->port_no);
    }
    tx_put(o, ": rx ");
    put_counter(o, "pkts", ps->rx_packets, ", ");
    put_counter(o, "bytes", ps->rx_bytes, ", ");
    put_counter(o, "drop", ps->rx_dropped, ", ");
    put_counter(o, "errs", ps->rx_errors, ", ");
    put_counter(o, "frame", ps->rx_frame_err, ", ");
    put_counter(o, "over", ps->rx_over_err, ", ");
    put_counter(o, "crc", ps->rx_crc_err, "\n");
    tx_put(o, "           tx ");
    put_counter(o, "pkts", ps->tx_packets, ", ");
    put_counter(o, "bytes", ps->tx_bytes, ", ");
    put_counter(o, "drop", ps->tx_dropped, ", ");
    put_counter(o, "errs", ps->tx_errors, ", ");
    put_counter(o, "coll", ps->collisions, "\n");
    if (ps->duration_sec != UINT32_MAX) {
        tx_put(o, "           duration=");
        tx_format_duration(o, ps->duration_sec, ps->duration_nsec);
        tx_putc(o, '\n');
    }
}

int
of_text_format_port_stats(const struct of_port_stats *ps, struct of_buf *out)
{
    struct tx_out o;
    tx_out_init(&o, out);
    format_port_stats(&o, ps);
    return o.error;
}

/* ---- port descriptions ---- */

static const char *const port_config_names[] = {
    [0] = "PORT_DOWN", [2] = "NO_RECV", [5] = "NO_FWD", [6] = "NO_PACKET_IN",
};
static const char *const port_state_names[] = {
    [0] = "LINK_DOWN", [1] = "BLOCKED", [2] = "LIVE",
};
static const char *const port_feature_names[] = {
    "10MB-HD", "10MB-FD", "100MB-HD", "100MB-FD", "1GB-HD", "1GB-FD",
    "10GB-FD", "40GB-FD", "100GB-FD", "1TB-FD", "OTHER", "COPPER", "FIBER",
    "AUTO_NEG", "AUTO_PAUSE", "AUTO_PAUSE_ASYM",
};

static void
put_bits(struct tx_out *o, uint32_t bits, const char *const *names,
         size_t n_names)
{
    bool any = false;
    for (unsigned int i = 0; i < 32; i++) {
        if (!(bits & (1u << i))) {
            continue;
        }
        if (any) {
            tx_putc(o, ' ');
        }
        if (i < n_names && names[i]) {
            tx_put(o, names[i]);
        } else {
            tx_printf(o, "0x%" PRIx32, 1u << i);
        }
        any = true;
    }
    if (!any) {
        tx_putc(o, '0');
    }
    tx_putc(o, '\n');
}

/* Bits ovs-ofctl decodes; it drops the others before printing. */
#define PORT_CONFIG_KNOWN  0x65u
#define PORT_STATE_KNOWN   0x07u
#define PORT_FEATURE_KNOWN 0xffffu

static void
format_port_desc(struct tx_out *o, const struct of_port *p)
{
    /* The name is NUL-terminated within its 16 bytes: 15 characters. */
    char name[sizeof p->name];
    memcpy(name, p->name, sizeof p->name);
    name[sizeof p->name - 1] = '\0';

    uint32_t curr = p->curr & PORT_FEATURE_KNOWN;
    uint32_t advertised = p->advertised & PORT_FEATURE_KNOWN;
    uint32_t supported = p->supported & PORT_FEATURE_KNOWN;
    uint32_t peer = p->peer & PORT_FEATURE_KNOWN;

    tx_putc(o, ' ');
    tx_format_port(o, p->port_no);
    tx_printf(o, "(%s): addr:%02x:%02x:%02x:%02x:%02x:%02x\n", name,
              p->hw_addr[0], p->hw_addr[1], p->hw_addr[2], p->hw_addr[3],
              p->hw_addr[4], p->hw_addr[5]);
    tx_put(o, "     config:     ");
    put_bits(o, p->config & PORT_CONFIG_KNOWN, port_config_names,
             OF_ARRAY_SIZE(port_config_names));
    tx_put(o, "     state:      ");
    put_bits(o, p->state & PORT_STATE_KNOWN, port_state_names,
             OF_ARRAY_SIZE(port_state_names));
    if (curr) {
        tx_put(o, "     current:    ");
        put_bits(o, curr, port_feature_names, OF_ARRAY_SIZE(port_feature_names));
    }
    if (advertised) {
        tx_put(o, "     advertised: ");
        put_bits(o, advertised, port_feature_names,
                 OF_ARRAY_SIZE(port_feature_names));
    }
    if (supported) {
        tx_put(o, "     supported:  ");
        put_bits(o, supported, port_feature_names,
                 OF_ARRAY_SIZE(port_feature_names));
    }
    if (peer) {
        tx_put(o, "     peer:       ");
        put_bits(o, peer, port_feature_names, OF_ARRAY_SIZE(port_feature_names));
    }
    tx_printf(o, "     speed: %" PRIu32 " Mbps now, %" PRIu32 " Mbps max\n",
              p->curr_speed / 1000, p->max_speed / 1000);
}

int
of_text_format_port_desc(const struct of_port *port, struct of_buf *out)
{
    struct tx_out o;
    tx_out_init(&o, out);
    format_port_desc(&o, port);
    return o.error;
}

/* ---- whole replies ---- */

int
of_text_format_reply(const struct of_msg *msg, struct of_buf *out)
{
    struct tx_out o;
    const struct of_multipart *mp = &msg->multipart;

    if (msg->type != OFPT_MULTIPART_REPLY) {
        return -EINVAL;
    }
    tx_out_init(&o, out);
    switch (mp->type) {
    case OFPMP_FLOW:
        tx_printf(&o, "OFPST_FLOW reply (OF1.3) (xid=%#" PRIx32 "):\n",
                  msg->xid);
        for (uint32_t i = 0; i < mp->flows.n; i++) {
            format_flow_stats(&o, &mp->flows.items[i]);
        }
        break;
    case OFPMP_AGGREGATE:
        tx_printf(&o, "OFPST_AGGREGATE reply (OF1.3) (xid=%#" PRIx32 "): "
                  "packet_count=%" PRIu64 " byte_count=%" PRIu64
                  " flow_count=%" PRIu32 "\n", msg->xid,
                  mp->aggregate.packet_count, mp->aggregate.byte_count,
                  mp->aggregate.flow_count);
        break;
    case OFPMP_TABLE:
        tx_printf(&o, "OFPST_TABLE reply (OF1.3) (xid=%#" PRIx32 "):\n",
                  msg->xid);
        format_table_list(&o, &mp->tables);
        break;
    case OFPMP_PORT_STATS:
        tx_printf(&o, "OFPST_PORT reply (OF1.3) (xid=%#" PRIx32 "): %" PRIu32
                  " ports\n", msg->xid, mp->port_stats.n);
        for (uint32_t i = 0; i < mp->port_stats.n; i++) {
            format_port_stats(&o, &mp->port_stats.items[i]);
        }
        break;
    case OFPMP_PORT_DESC: {
        tx_printf(&o, "OFPST_PORT_DESC reply (OF1.3) (xid=%#" PRIx32 "):\n",
                  msg->xid);
        /* In port number order, as ovs-ofctl sorts them. */
        uint32_t last = 0;
        bool first = true;
        for (uint32_t done = 0; done < mp->ports.n; done++) {
            const struct of_port *next = NULL;
            for (uint32_t i = 0; i < mp->ports.n; i++) {
                const struct of_port *p = &mp->ports.items[i];
                if ((first || p->port_no > last)
                    && (!next || p->port_no < next->port_no)) {
                    next = p;
                }
            }
            if (!next) {
                break;              /* duplicate numbers: printed once */
            }
            format_port_desc(&o, next);
            last = next->port_no;
            first = false;
        }
        break;
    }
    case OFPMP_GROUP_DESC:
        tx_printf(&o, "OFPST_GROUP_DESC reply (OF1.3) (xid=%#" PRIx32 "):\n",
                  msg->xid);
        for (uint32_t i = 0; i < mp->group_descs.n; i++) {
            tx_format_group_desc(&o, &mp->group_descs.items[i]);
        }
        break;
    case OFPMP_GROUP:
        tx_printf(&o, "OFPST_GROUP reply (OF1.3) (xid=%#" PRIx32 "):\n",
                  msg->xid);
        for (uint32_t i = 0; i < mp->group_stats.n; i++) {
            tx_format_group_stats(&o, &mp->group_stats.items[i]);
        }
        break;
    case OFPMP_METER_CONFIG:
        tx_printf(&o, "OFPST_METER_CONFIG reply (OF1.3) (xid=%#" PRIx32 "):\n",
                  msg->xid);
        for (uint32_t i = 0; i < mp->meter_configs.n; i++) {
            if (i) {
                tx_putc(&o, '\n');     /* ovs separates meters by a blank line */
            }
            tx_format_meter_config(&o, &mp->meter_configs.items[i]);
        }
        break;
    case OFPMP_METER:
        tx_printf(&o, "OFPST_METER reply (OF1.3) (xid=%#" PRIx32 "):\n",
                  msg->xid);
        for (uint32_t i = 0; i < mp->meter_stats.n; i++) {
            if (i) {
                tx_putc(&o, '\n');
            }
            tx_format_meter_stats(&o, &mp->meter_stats.items[i]);
        }
        break;
    default:
        return -EINVAL;
    }
    return o.error;
}
