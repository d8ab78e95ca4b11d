/*
 * of_text_group.c — groups and meters in ovs-ofctl syntax: GROUP_MOD and
 * METER_MOD parsing, and the dump-groups / dump-group-stats /
 * dump-meters / meter-stats output of ovs-ofctl 3.1.
 *
 * A group line is split as ovs-ofctl splits it: the text before the first
 * "bucket=" holds group_id= and type=, each "bucket=" starts a bucket
 * whose key-values are either bucket parameters (weight, watch_port,
 * watch_group, bucket_id) or actions. A meter line holds meter=, the
 * flags, then "bands=" (or "band=") and bands that each start with type=.
 *
 * Pure; any thread.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flowtable/ft_meter.h"
#include "flowtable/ft_ofp.h"
#include "openflow/of_private.h"
#include "openflow/of_text_private.h"

/* ------------------------------------------------------------------------
 * Groups.
 * ---------------------------------------------------------------------- */

static const struct {
    const char *name;
    uint8_t type;
} group_types[] = {
    { "all", FT_OFPGT_ALL }, { "select", FT_OFPGT_SELECT },
    { "indirect", FT_OFPGT_INDIRECT }, { "ff", FT_OFPGT_FF },
    { "fast_failover", FT_OFPGT_FF },
};

static const char *
group_type_name(uint8_t type)
{
    for (size_t i = 0; i < OF_ARRAY_SIZE(group_types); i++) {
        if (group_types[i].type == type) {
            return group_types[i].name;
        }
    }
    return NULL;
}

/* Appends "key(value)," or "key," to the action text being rebuilt. */
static int
append_action(char **buf, size_t *len, size_t *cap, const char *key,
              const char *value)
{
    size_t need = strlen(key) + strlen(value) + 4;
    if (*len + need >= *cap) {
        size_t ncap = (*cap + need) * 2;
        char *nbuf = realloc(*buf, ncap);
        if (!nbuf) {
            return -ENOMEM;
        }
        *buf = nbuf;
        *cap = ncap;
    }
    *len += (size_t) (*value ? snprintf(*buf + *len, *cap - *len, "%s(%s),",
                                        key, value)
                             : snprintf(*buf + *len, *cap - *len, "%s,", key));
    return 0;
}

/* One bucket's text (what follows "bucket="). */
static int
parse_bucket(char *text, uint8_t group_type, struct of_msg *msg,
             struct of_bucket *b, struct tx_err *e)
{
    char *pos = text, *key, *value;
    char *acts = NULL;
    size_t len = 0, cap = 0;
    int error = 0;
    bool watched = false;

    b->weight = group_type == FT_OFPGT_SELECT ? 1 : 0;
    b->watch_port = OFPP_ANY;
    b->watch_group = OFPG_ANY;
    cap = 256;
    acts = malloc(cap);
    if (!acts) {
        return -ENOMEM;
    }
    acts[0] = '\0';
    while (!error && tx_next_kv(&pos, &key, &value)) {
        if (!strcmp(key, "weight")) {
            error = tx_parse_u16(value, "weight", &b->weight, e);
        } else if (!strcmp(key, "watch_port")) {
            error = tx_parse_port(value, "watch_port", &b->watch_port, e);
            watched = true;
        } else if (!strcmp(key, "watch_group")) {
            error = tx_parse_group(value, "watch_group", &b->watch_group, e);
            watched = true;
        } else if (!strcmp(key, "bucket_id")) {
            /* OpenFlow 1.5's bucket ids have no OpenFlow 1.3 form; ovs
             * ignores them for 1.3 as well. */
            uint32_t id;
            error = tx_parse_u32(value, "bucket_id", &id, e);
        } else if (!strcmp(key, "actions") || !strcmp(key, "action")) {
            /* "actions=A": A is the first action; re-lex it. */
            char *k2, *v2, *p2 = value;
            while (!error && tx_next_kv(&p2, &k2, &v2)) {
                error = append_action(&acts, &len, &cap, k2, v2);
            }
        } else {
            error = append_action(&acts, &len, &cap, key, value);
        }
    }
    if (!error && group_type == FT_OFPGT_FF && !watched) {
        error = tx_fail(e, "fast failover bucket requires watch_port or "
                        "watch_group");
    }
    if (!error && group_type != FT_OFPGT_SELECT && b->weight) {
        error = tx_fail(e, "weight: only select groups weigh buckets");
    }
    if (!error) {
        /* Bucket actions see no match: nothing is known of the packet,
         * and ovs-ofctl checks no prerequisites there. */
        struct tx_flow_ctx ctx = { .icmp_type = 0xffff, .unknown = true };
        error = tx_parse_action_list(acts, &ctx, msg, &b->actions, e);
    }
    free(acts);
    return error;
}

int
of_text_parse_group_mod(const char *text, uint16_t command,
                        struct of_msg *msg, char *err, size_t err_size)
{
    struct tx_err e = { err, err_size };
    struct of_group_mod *gm = &msg->group_mod;
    bool have_id = false, have_type = false;

    of_msg_init(msg, OFPT_GROUP_MOD, 0);
    tx_fail(&e, "%s", "");
    if (command > FT_OFPGC_DELETE) {
        return tx_fail(&e, "unknown group_mod command %u", command);
    }
    char *copy = tx_strdup(text);
    if (!copy) {
        return -ENOMEM;
    }

    /* Cut at each "bucket=": part 0 is the group's own fields. */
    char *parts[1024];
    size_t n_parts = 0;
    int error = 0;
    parts[n_parts++] = copy;
    for (char *s = strstr(copy, "bucket="); s; s = strstr(s, "bucket=")) {
        if (n_parts == OF_ARRAY_SIZE(parts)) {
            error = tx_fail(&e, "too many buckets (max %zu)",
                            OF_ARRAY_SIZE(parts) - 1);
            break;
        }
        *s = '\0';
        s += strlen("bucket=");
        parts[n_parts++] = s;
    }

    char *pos = parts[0], *key, *value;
    gm->command = command;
    gm->group_id = command == FT_OFPGC_DELETE ? OFPG_ALL : 0;
    while (!error && tx_next_kv(&pos, &key, &value)) {
        if (!strcmp(key, "group_id")) {
            error = tx_parse_group(value, "group_id", &gm->group_id, &e);
            have_id = true;
        } else if (!strcmp(key, "type")) {
            have_type = false;
            for (size_t i = 0; i < OF_ARRAY_SIZE(group_types); i++) {
                if (!strcmp(value, group_types[i].name)) {
                    gm->type = group_types[i].type;
                    have_type = true;
                }
            }
            if (!have_type) {
                error = tx_fail(&e, "type: unknown group type \"%s\" (all, "
                                "select, indirect, ff or fast_failover)",
                                value);
            }
        } else if (!strcmp(key, "selection_method")
                   || !strcmp(key, "selection_method_param")
                   || !strcmp(key, "fields")
                   || !strcmp(key, "command_bucket_id")) {
            error = tx_fail(&e, "%s: OpenFlow 1.5 only (this is OpenFlow "
                            "1.3)", key);
        } else {
            error = tx_fail(&e, "unknown group field \"%s\"", key);
        }
    }
    if (!error && command != FT_OFPGC_DELETE) {
        if (!have_id) {
            error = tx_fail(&e, "must specify a group_id");
        } else if (!have_type) {
            error = tx_fail(&e, "must specify a type");
        } else if (gm->group_id > FT_OFPG_MAX) {
            error = tx_fail(&e, "group_id: %#" PRIx32 " is reserved, not a "
                            "group that can be added or modified",
                            gm->group_id);
        }
    }
    if (!error && command == FT_OFPGC_DELETE) {
        gm->type = 0;
        if (n_parts > 1) {
            error = tx_fail(&e, "bucket: deleting a group takes no buckets");
        }
    }
    if (!error && gm->type == FT_OFPGT_INDIRECT && n_parts > 2) {
        error = tx_fail(&e, "indirect groups can have at most one bucket");
    }
    if (!error && n_parts > 1) {
        gm->buckets.items = of_msg_alloc(msg, (n_parts - 1)
                                              * sizeof *gm->buckets.items);
        if (!gm->buckets.items) {
            error = -ENOMEM;
        }
        for (size_t i = 1; !error && i < n_parts; i++) {
            error = parse_bucket(parts[i], gm->type, msg,
                                 &gm->buckets.items[i - 1], &e);
            if (error == -EINVAL) {
                tx_prefix(&e, "bucket %zu", i);
            }
            gm->buckets.n = (uint32_t) i;
        }
    }
    free(copy);
    return error;
}

static void
format_buckets(struct tx_out *o, uint8_t type, const struct of_bucket_list *bl)
{
    for (uint32_t i = 0; i < bl->n; i++) {
        const struct of_bucket *b = &bl->items[i];
        tx_put(o, ",bucket=");
        if (type == FT_OFPGT_SELECT && b->weight != 1) {
            tx_printf(o, "weight:%u,", b->weight);
        }
        if (b->watch_port != OFPP_ANY) {
            tx_put(o, "watch_port:");
            tx_format_port(o, b->watch_port);
            tx_putc(o, ',');
        }
        if (b->watch_group != OFPG_ANY) {
            tx_printf(o, "watch_group:%" PRIu32 ",", b->watch_group);
        }
        tx_put(o, "actions=");
        if (b->actions.n) {
            tx_format_actions(o, &b->actions);
        } else {
            tx_put(o, "drop");
        }
    }
}

void
tx_format_group_desc(struct tx_out *o, const struct of_group_desc *gd)
{
    const char *type = group_type_name(gd->type);
    tx_printf(o, " group_id=%" PRIu32 ",type=", gd->group_id);
    if (type) {
        tx_put(o, type);
    } else {
        tx_printf(o, "%u", gd->type);
    }
    format_buckets(o, gd->type, &gd->buckets);
    tx_putc(o, '\n');
}

int
of_text_format_group_desc(const struct of_group_desc *gd, struct of_buf *out)
{
    struct tx_out o;
    tx_out_init(&o, out);
    tx_format_group_desc(&o, gd);
    return o.error;
}

void
tx_format_group_stats(struct tx_out *o, const struct of_group_stats *gs)
{
    tx_printf(o, " group_id=%" PRIu32 ",duration=", gs->group_id);
    tx_format_duration(o, gs->duration_sec, gs->duration_nsec);
    tx_printf(o, ",ref_count=%" PRIu32 ",packet_count=%" PRIu64
              ",byte_count=%" PRIu64, gs->ref_count, gs->packet_count,
              gs->byte_count);
    for (uint32_t i = 0; i < gs->bucket_stats.n; i++) {
        const struct of_counter_pair *c = &gs->bucket_stats.items[i];
        tx_printf(o, ",bucket%" PRIu32 ":packet_count=%" PRIu64
                  ",byte_count=%" PRIu64, i, c->packet_count, c->byte_count);
    }
    tx_putc(o, '\n');
}

int
of_text_format_group_stats(const struct of_group_stats *gs, struct of_buf *out)
{
    struct tx_out o;
    tx_out_init(&o, out);
    tx_format_group_stats(&o, gs);
    return o.error;
}

/* ------------------------------------------------------------------------
 * Meters.
 * ---------------------------------------------------------------------- */

#define OFPM_MAX 0xffff0000u     /* last regular meter id */

static const struct {
    const char *name;
    uint32_t id;
} meter_ids[] = {
    { "all", 0xffffffffu }, { "controller", 0xfffffffeu },
    { "slowpath", 0xfffffffdu },
};

static int
parse_meter_id(const char *s, uint32_t *id, struct tx_err *e)
{
    for (size_t i = 0; i < OF_ARRAY_SIZE(meter_ids); i++) {
        if (!strcmp(s, meter_ids[i].name)) {
            *id = meter_ids[i].id;
            return 0;
        }
    }
    if (tx_parse_u32(s, "meter", id, e)) {
        return -EINVAL;
    }
    if (!*id || *id > OFPM_MAX) {
        return tx_fail(e, "meter: %s is not a valid meter id (1 to %#x, or "
                       "all, controller, slowpath)", s, OFPM_MAX);
    }
    return 0;
}

static const struct {
    const char *name;
    uint16_t flag;
} meter_flags[] = {
    { "kbps", FT_OFPMF_KBPS }, { "pktps", FT_OFPMF_PKTPS },
    { "burst", FT_OFPMF_BURST }, { "stats", FT_OFPMF_STATS },
};

/* Parses the bands text (after "bands="): bands start at each type=. */
static int
parse_bands(char *text, uint16_t flags, struct of_msg *msg,
            struct of_meter_band_list *out, struct tx_err *e)
{
    struct of_meter_band bands[64];
    bool have_prec[64] = { false };
    size_t n = 0;
    char *pos = text, *key, *value;

    while (tx_next_kv(&pos, &key, &value)) {
        if (!strcmp(key, "type")) {
            if (n == OF_ARRAY_SIZE(bands)) {
                return tx_fail(e, "too many bands (max %zu)",
                               OF_ARRAY_SIZE(bands));
            }
            memset(&bands[n], 0, sizeof bands[n]);
            if (!strcmp(value, "drop")) {
                bands[n].type = OFPMBT_DROP;
            } else if (!strcmp(value, "dscp_remark")) {
                bands[n].type = OFPMBT_DSCP_REMARK;
            } else {
                return tx_fail(e, "type: unknown band type \"%s\" (drop or "
                               "dscp_remark)", value);
            }
            n++;
            continue;
        }
        if (!n) {
            return tx_fail(e, "band must start with the 'type' keyword "
                           "(found \"%s\")", key);
        }
        struct of_meter_band *b = &bands[n - 1];
        if (!strcmp(key, "rate")) {
            if (tx_parse_u32(value, "rate", &b->rate, e)) {
                return -EINVAL;
            }
        } else if (!strcmp(key, "burst_size")) {
            if (tx_parse_u32(value, "burst_size", &b->burst_size, e)) {
                return -EINVAL;
            }
            if (b->burst_size && !(flags & FT_OFPMF_BURST)) {
                return tx_fail(e, "burst_size: a band may have a burst_size "
                               "only when the meter has the 'burst' flag");
            }
        } else if (!strcmp(key, "prec_level")) {
            if (b->type != OFPMBT_DSCP_REMARK) {
                return tx_fail(e, "prec_level: only dscp_remark bands have "
                               "a prec_level");
            }
            if (tx_parse_u8(value, "prec_level", &b->prec_level, e)) {
                return -EINVAL;
            }
            have_prec[n - 1] = true;
        } else {
            return tx_fail(e, "unknown band field \"%s\"", key);
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (!bands[i].rate) {
            return tx_fail(e, "band %zu must have a nonzero 'rate'", i + 1);
        }
        if ((flags & FT_OFPMF_BURST) && !bands[i].burst_size) {
            return tx_fail(e, "band %zu must have a nonzero 'burst_size' (the "
                           "meter has the 'burst' flag)", i + 1);
        }
        if (bands[i].type == OFPMBT_DSCP_REMARK && !have_prec[i]) {
            return tx_fail(e, "band %zu: 'dscp_remark' band must have "
                           "'prec_level'", i + 1);
        }
    }
    if (!n) {
        return tx_fail(e, "must specify bands");
    }
    out->items = of_msg_alloc(msg, n * sizeof *out->items);
    if (!out->items) {
        return -ENOMEM;
    }
    memcpy(out->items, bands, n * sizeof *out->items);
    out->n = (uint32_t) n;
    return 0;
}

int
of_text_parse_meter_mod(const char *text, uint16_t command,
                        struct of_msg *msg, char *err, size_t err_size)
{
    struct tx_err e = { err, err_size };
    struct of_meter_mod *mm = &msg->meter_mod;
    bool have_id = false;

    of_msg_init(msg, OFPT_METER_MOD, 0);
    tx_fail(&e, "%s", "");
    if (command > FT_OFPMC_DELETE) {
        return tx_fail(&e, "unknown meter_mod command %u", command);
    }
    char *copy = tx_strdup(text);
    if (!copy) {
        return -ENOMEM;
    }

    /* "bands=" / "band=" ends the meter's own fields. */
    char *bands = strstr(copy, "band");
    if (bands) {
        *bands = '\0';
        bands = strchr(bands + 1, '=');
        bands = bands ? bands + 1 : NULL;
    }

    char *pos = copy, *key, *value;
    int error = 0;
    mm->command = command;
    mm->meter_id = command == FT_OFPMC_DELETE ? 0xffffffffu : 0;
    while (!error && tx_next_kv(&pos, &key, &value)) {
        bool flag = false;
        for (size_t i = 0; i < OF_ARRAY_SIZE(meter_flags); i++) {
            if (!strcmp(key, meter_flags[i].name)) {
                mm->flags |= meter_flags[i].flag;
                flag = true;
            }
        }
        if (flag) {
            if (*value) {
                error = tx_fail(&e, "%s: a meter flag takes no value", key);
            }
        } else if (!strcmp(key, "meter")) {
            error = parse_meter_id(value, &mm->meter_id, &e);
            have_id = true;
        } else {
            error = tx_fail(&e, "unknown meter field \"%s\"", key);
        }
    }
    if (!error && command == FT_OFPMC_DELETE) {
        if (bands || mm->flags) {
            error = tx_fail(&e, "deleting a meter takes only meter=");
        }
    } else if (!error) {
        if (!have_id) {
            error = tx_fail(&e, "must specify a meter (meter=N)");
        } else if (!(mm->flags & (FT_OFPMF_KBPS | FT_OFPMF_PKTPS))) {
            error = tx_fail(&e, "meter must specify either 'kbps' or "
                            "'pktps'");
        } else if ((mm->flags & FT_OFPMF_KBPS) && (mm->flags & FT_OFPMF_PKTPS)) {
            error = tx_fail(&e, "meter must not specify both 'kbps' and "
                            "'pktps'");
        } else if (!bands) {
            error = tx_fail(&e, "must specify bands");
        } else {
            error = parse_bands(bands, mm->flags, msg, &mm->bands, &e);
        }
    }
    free(copy);
    return error;
}

static void
put_meter_id(struct tx_out *o, uint32_t id)
{
    for (size_t i = 0; i < OF_ARRAY_SIZE(meter_ids); i++) {
        if (meter_ids[i].id == id) {
            tx_put(o, meter_ids[i].name);
            return;
        }
    }
    if (id > OFPM_MAX) {
        tx_put(o, "unknown");
    } else {
        tx_printf(o, "%" PRIu32, id);
    }
}

void
tx_format_meter_config(struct tx_out *o, const struct of_meter_config *mc)
{
    tx_put(o, "meter=");
    put_meter_id(o, mc->meter_id);
    for (size_t i = 0; i < OF_ARRAY_SIZE(meter_flags); i++) {
        if (mc->flags & meter_flags[i].flag) {
            tx_printf(o, " %s", meter_flags[i].name);
        }
    }
    tx_put(o, " bands=\n");
    for (uint32_t i = 0; i < mc->bands.n; i++) {
        const struct of_meter_band *b = &mc->bands.items[i];
        switch (b->type) {
        case OFPMBT_DROP: tx_put(o, "type=drop"); break;
        case OFPMBT_DSCP_REMARK: tx_put(o, "type=dscp_remark"); break;
        default: tx_printf(o, "type=%u", b->type); break;
        }
        tx_printf(o, " rate=%" PRIu32, b->rate);
        if (mc->flags & FT_OFPMF_BURST) {
            tx_printf(o, " burst_size=%" PRIu32, b->burst_size);
        }
        if (b->type == OFPMBT_DSCP_REMARK) {
            tx_printf(o, " prec_level=%u", b->prec_level);
        }
        tx_putc(o, '\n');
    }
}

int
of_text_format_meter_config(const struct of_meter_config *mc,
                            struct of_buf *out)
{
    struct tx_out o;
    tx_out_init(&o, out);
    tx_format_meter_config(&o, mc);
    return o.error;
}

void
tx_format_meter_stats(struct tx_out *o, const struct of_meter_stats *ms)
{
    tx_put(o, "meter:");
    put_meter_id(o, ms->meter_id);
    tx_printf(o, " flow_count:%" PRIu32 " packet_in_count:%" PRIu64
              " byte_in_count:%" PRIu64 " duration:", ms->flow_count,
              ms->packet_in_count, ms->byte_in_count);
    tx_format_duration(o, ms->duration_sec, ms->duration_nsec);
    tx_put(o, " bands:\n");
    for (uint32_t i = 0; i < ms->band_stats.n; i++) {
        const struct of_counter_pair *c = &ms->band_stats.items[i];
        tx_printf(o, "%" PRIu32 ": packet_count:%" PRIu64 " byte_count:%"
                  PRIu64 "\n", i, c->packet_count, c->byte_count);
    }
}

int
of_text_format_meter_stats(const struct of_meter_stats *ms,
                           struct of_buf *out)
{
    struct tx_out o;
    tx_out_init(&o, out);
    tx_format_meter_stats(&o, ms);
    return o.error;
}
