/*
 * ft_xlate.c — translation: the pipeline walk (tables, instructions, the
 * action set, groups), the lazy commit of modifications, the megaflow
 * mask, freezing for recirculation, and the entry points. The actions
 * themselves are in ft_xlate_actions.c, the recirculation registry in
 * ft_xlate_recirc.c, xcaches in ft_xlate_cache.c. ft_xlate.h is the spec.
 *
 * The packet state (struct xlate_pkt)
 * -----------------------------------
 *  - 'key' is the packet as OpenFlow sees it now; 'base' is the packet as
 *    the datapath will have it after the actions emitted so far. They
 *    differ by 'pending' (set-fields not yet committed) and, after NORMAL
 *    retagged outputs, by the outer VLAN tag ('vlan_dirty'). xlate_commit()
 *    closes the gap right before anything that needs the packet as it is.
 *  - A commit writes SET_MASKED with the bits the walk set, never a diff
 *    of values: a set of a field to the value it already has must still be
 *    emitted, or a packet with another value would share the megaflow and
 *    skip the set.
 *  - 'written' is the mask of key bits whose value the walk determined
 *    (set-fields, write-metadata, pushes and pops). A later read of such a
 *    bit (a lookup, a prerequisite, NORMAL) tells nothing about the input,
 *    so it is not un-wildcarded: the megaflow mask is every read of an
 *    input bit, and only those. Pushes and pops move tags and labels
 *    within the key; they first un-wildcard the whole field they shift so
 *    that a later read of a moved value is covered, then count it written.
 *
 * Copies (clones)
 * ---------------
 * Group buckets and OUTPUT:TABLE of a packet-out run on a copy of the
 * packet: the walk saves the packet state, emits a CLONE header, runs the
 * work, and restores the state. The header is dropped again when the
 * work turned out not to modify the packet (outputs and packet-ins only),
 * and never emitted when nothing follows ('tail'), so the common cases
 * cost no CLONE at all.
 *
 * Freezing
 * --------
 * When an action needs headers the key no longer describes (ft_xlate.h),
 * xlate_freeze_begin() commits, snapshots metadata, the packet-in context
 * and the action set, and sets 'freezing'. From then on nothing executes:
 * every level of the walk, as it unwinds, appends what it had left to do
 * (the rest of its action list, the entry's remaining instructions, where
 * the pipeline goes on). A clone is a boundary: its frozen work is
 * registered and ends the clone with RECIRC, and the walk goes on after
 * it; otherwise the top level registers it and ends the list with RECIRC.
 *
 * Threads: see ft_xlate.h. Everything here is per translation (the
 * context lives on the caller's stack) except the pipeline state it reads
 * under RCU and the recirculation registry.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ft_xlate_private.h"

_Static_assert(XKOFF(metadata) / 8 == 7 && FT_STAGE_META_END == 10,
               "words 7..9 are pipeline metadata, not packet fields");

/* Datapath actions rewrite packet headers and tunnel metadata; metadata,
 * in_port, recirc_id and dp_hash are the pipeline's and never committed. */
static bool
packet_word(size_t w)
{
    return w < XKOFF(metadata) / 8 || w >= FT_STAGE_META_END;
}

const char *
ft_xlate_error_name(enum ft_xlate_error error)
{
    switch (error) {
    case FT_XLATE_OK: return "ok";
    case FT_XLATE_TOO_DEEP: return "too deep";
    case FT_XLATE_TOO_MANY_ACTIONS: return "too many actions";
    case FT_XLATE_TOO_MANY_BUCKETS: return "too many buckets";
    case FT_XLATE_RECIRC_TOO_DEEP: return "recirculation too deep";
    case FT_XLATE_NO_RECIRC_STATE: return "no recirculation state";
    }
    return "unknown";
}

uint32_t
ft_pipeline_n_recirc(const struct ft_pipeline *p)
{
    return ft_recirc_count(ft_pipeline_xlate_state(p));
}

/* ---- basics ---------------------------------------------------------------- */

void
xlate_set_error(struct xlate_ctx *x, enum ft_xlate_error error)
{
    if (!x->error) {
        x->error = error;
        xlate_trace(x, "error: %s", ft_xlate_error_name(error));
    }
}

void
xlate_trace(struct xlate_ctx *x, const char *fmt, ...)
{
    char line[1024];
    va_list args;

    if (!x->in->trace) {
        return;
    }
    va_start(args, fmt);
    vsnprintf(line, sizeof line, fmt, args);
    va_end(args);
    x->in->trace(x->in->trace_aux, x->depth, line);
}

struct ft_dpact *
xlate_emit(struct xlate_ctx *x, enum ft_dpact_type type)
{
    struct ft_dpact *a;

    if (x->error) {
        return NULL;
    }
    if (x->out->n_acts >= FT_XLATE_MAX_DPACTS) {
        xlate_set_error(x, FT_XLATE_TOO_MANY_ACTIONS);
        return NULL;
    }
    a = &x->out->acts[x->out->n_acts++];
    memset(a, 0, sizeof *a);
    a->type = (uint8_t) type;
    return a;
}

/* ---- the megaflow mask ------------------------------------------------------ */

void
xlate_wc_bytes(struct xlate_ctx *x, size_t ofs, size_t len)
{
    uint8_t *wc = (uint8_t *) &x->out->wc.masks;
    const uint8_t *written = (const uint8_t *) &x->pkt.written;

    for (size_t i = ofs; i < ofs + len; i++) {
        wc[i] |= (uint8_t) ~written[i];
    }
}

void
xlate_wc_mask(struct xlate_ctx *x, const struct ft_mask *m)
{
    ft_key_word *wc = ft_key_u64_rw(&x->out->wc.masks);
    const ft_key_word *bits = ft_key_u64(&m->masks);
    const ft_key_word *written = ft_key_u64(&x->pkt.written);

    for (size_t w = 0; w < FT_KEY_U64S; w++) {
        wc[w] |= bits[w] & ~written[w];
    }
}

void
xlate_written(struct xlate_ctx *x, size_t ofs, size_t len)
{
    memset((uint8_t *) &x->pkt.written + ofs, 0xff, len);
}

/* The walk set the bits 'mask' (bytes of a field at 'ofs') in the key:
 * they are pending for the datapath and no longer input. */
void
xlate_set_bits(struct xlate_ctx *x, size_t ofs, const void *mask, size_t len)
{
    uint8_t *pending = (uint8_t *) &x->pkt.pending + ofs;
    uint8_t *written = (uint8_t *) &x->pkt.written + ofs;
    const uint8_t *m = mask;

    for (size_t i = 0; i < len; i++) {
        pending[i] |= m[i];
        written[i] |= m[i];
    }
}

/* ---- committing -------------------------------------------------------------- */

/* NORMAL left the datapath's outer tag other than the key's: make it the
 * key's again (one action; the values it writes were read by NORMAL). */
static void
reconcile_vlan(struct xlate_ctx *x)
{
    struct xlate_pkt *k = &x->pkt;
    be16 present = htons(FT_VLAN_PRESENT);
    bool in_base = k->base.vlans[0].tci & present;
    bool in_key = k->key.vlans[0].tci & present;
    struct ft_dpact *a;

    k->vlan_dirty = false;
    if (in_base && !in_key) {
        if (!xlate_emit(x, FT_DPACT_POP_VLAN)) {
            return;
        }
        k->base.vlans[0] = k->base.vlans[1];
        memset(&k->base.vlans[1], 0, sizeof k->base.vlans[1]);
    } else if (!in_base && in_key) {
        xlate_wc_bytes(x, XKOFF(vlans[0].tpid), XKSIZE(vlans[0].tpid));
        a = xlate_emit(x, FT_DPACT_PUSH_VLAN);
        if (!a) {
            return;
        }
        a->push_vlan.tpid = k->key.vlans[0].tpid;
        a->push_vlan.tci = k->key.vlans[0].tci & ~present;
        k->base.vlans[1] = k->base.vlans[0];
        k->base.vlans[0] = k->key.vlans[0];
    } else if (in_key && k->base.vlans[0].tci != k->key.vlans[0].tci) {
        struct ft_key m;
        size_t w = XKOFF(vlans) / 8;

        memset(&m, 0, sizeof m);
        m.vlans[0].tci = htons(FT_VLAN_VID_MASK | FT_VLAN_PCP_MASK);
        a = xlate_emit(x, FT_DPACT_SET_MASKED);
        if (!a) {
            return;
        }
        a->set.word = (uint32_t) w;
        a->set.mask = ft_key_u64(&m)[w];
        a->set.value = ft_key_u64(&k->key)[w] & a->set.mask;
        k->base.vlans[0].tci = k->key.vlans[0].tci;
    }
}

void
xlate_commit(struct xlate_ctx *x)
{
    struct xlate_pkt *k = &x->pkt;
    const ft_key_word *key = ft_key_u64(&k->key);
    ft_key_word *pending = ft_key_u64_rw(&k->pending);
    ft_key_word *base = ft_key_u64_rw(&k->base);

    if (k->vlan_dirty) {
        reconcile_vlan(x);
    }
    for (size_t w = 0; w < FT_KEY_U64S; w++) {
        struct ft_dpact *a;

        if (!pending[w]) {
            continue;
        }
        if (packet_word(w)) {
            a = xlate_emit(x, FT_DPACT_SET_MASKED);
            if (!a) {
                return;
            }
            a->set.word = (uint32_t) w;
            a->set.value = key[w] & pending[w];
            a->set.mask = pending[w];
        }
        base[w] = (base[w] & ~pending[w]) | (key[w] & pending[w]);
        pending[w] = 0;
    }
}

/* ---- the action set ------------------------------------------------------------ */

static void
aset_write(struct xlate_ctx *x, const struct ft_action *a)
{
    unsigned int slot;

    if (a->type == FT_OFPAT_SET_FIELD) {
        slot = XLATE_ASET_SETF + (a->set_field.oxm_field & 127u);
    } else if (a->type < XLATE_ASET_SETF) {
        slot = a->type;
    } else {
        return;                     /* ft_actions_check refuses these */
    }
    if (!x->aset[slot]) {
        x->n_aset++;
    }
    x->aset[slot] = a;
}

static void
aset_clear(struct xlate_ctx *x)
{
    if (x->n_aset) {
        memset(x->aset, 0, sizeof x->aset);
        x->n_aset = 0;
    }
}

static void
write_metadata(struct xlate_ctx *x, uint64_t value, uint64_t mask)
{
    x->pkt.key.metadata = (x->pkt.key.metadata & ~mask) | (value & mask);
    x->pkt.written.metadata |= mask;
}

/* OpenFlow 1.3.5 §5.10 order. Pops go outermost first (VLAN, PBB, MPLS:
 * the reverse of the pushes), decrements MPLS before IP, then the set
 * class: the TTL sets and the set-fields by OXM field number. */
static const uint8_t aset_order_head[] = {
    FT_OFPAT_COPY_TTL_IN,
    FT_OFPAT_POP_VLAN, FT_OFPAT_POP_PBB, FT_OFPAT_POP_MPLS,
    FT_OFPAT_PUSH_MPLS, FT_OFPAT_PUSH_PBB, FT_OFPAT_PUSH_VLAN,
    FT_OFPAT_COPY_TTL_OUT,
    FT_OFPAT_DEC_MPLS_TTL, FT_OFPAT_DEC_NW_TTL,
    FT_OFPAT_SET_MPLS_TTL, FT_OFPAT_SET_NW_TTL,
};

static void
exec_ptr_list(struct xlate_ctx *x, const struct ft_action *const *list,
              unsigned int n, bool tail)
{
    for (unsigned int i = 0; i < n && !x->error && !x->pkt.stopped; i++) {
        if (x->freezing) {
            for (; i < n; i++) {
                xlate_freeze_action(x, list[i]);
            }
            return;
        }
        xlate_action(x, list[i], tail && i + 1 == n);
    }
}

static void
exec_action_set(struct xlate_ctx *x, bool tail)
{
    const struct ft_action *list[XLATE_ASET_SLOTS];
    unsigned int n = 0;

    if (!x->n_aset) {
        return;
    }
    for (size_t i = 0; i < sizeof aset_order_head; i++) {
        if (x->aset[aset_order_head[i]]) {
            list[n++] = x->aset[aset_order_head[i]];
        }
    }
    for (unsigned int s = XLATE_ASET_SETF; s < XLATE_ASET_SLOTS; s++) {
        if (x->aset[s]) {
            list[n++] = x->aset[s];
        }
    }
    if (x->aset[FT_OFPAT_SET_QUEUE]) {
        list[n++] = x->aset[FT_OFPAT_SET_QUEUE];
    }
    if (x->aset[FT_OFPAT_GROUP]) {
        list[n++] = x->aset[FT_OFPAT_GROUP];
        if (x->aset[FT_OFPAT_OUTPUT]) {
            xlate_trace(x, "action set: output ignored, a group is set");
        }
    } else if (x->aset[FT_OFPAT_OUTPUT]) {
        list[n++] = x->aset[FT_OFPAT_OUTPUT];
    }
    aset_clear(x);
    xlate_trace(x, "action set: %u actions", n);
    exec_ptr_list(x, list, n, tail);
}

/* ---- freezing -------------------------------------------------------------------- */

/* Appends an operation: to the action set snapshot ('snapshot', only
 * before any work) or to the work. */
static struct ft_frozen_op *
freeze_append(struct xlate_ctx *x, enum ft_frozen_kind kind, bool snapshot)
{
    struct ft_frozen *fz = x->fz;
    struct ft_frozen_op *op;
    uint32_t used;

    if (x->error || !fz) {
        return NULL;                /* freezing failed to begin */
    }
    used = (uint32_t) fz->n_set + fz->n_ops;
    if (used >= x->fz_cap) {
        uint32_t cap = x->fz_cap * 2;
        struct ft_frozen *bigger;

        if (cap > FT_FROZEN_MAX_OPS
            || !(bigger = realloc(fz, sizeof *fz + cap * sizeof fz->ops[0]))) {
            xlate_set_error(x, FT_XLATE_NO_RECIRC_STATE);
            return NULL;
        }
        x->fz = fz = bigger;
        x->fz_cap = cap;
    }
    op = &fz->ops[used];
    memset(op, 0, sizeof *op);
    op->kind = (uint16_t) kind;
    if (snapshot) {
        fz->n_set++;
    } else {
        fz->n_ops++;
    }
    return op;
}

static struct ft_frozen_op *
freeze_op(struct xlate_ctx *x, enum ft_frozen_kind kind)
{
    return freeze_append(x, kind, false);
}

void
xlate_freeze_begin(struct xlate_ctx *x)
{
    struct ft_frozen *fz;

    if (x->error) {
        return;
    }
    if (x->recirc_depth >= FT_RECIRC_MAX_DEPTH) {
        xlate_set_error(x, FT_XLATE_RECIRC_TOO_DEEP);
        return;
    }
    xlate_commit(x);
    if (!x->fz) {
        x->fz_cap = 64;
        x->fz = malloc(sizeof *x->fz + x->fz_cap * sizeof x->fz->ops[0]);
        if (!x->fz) {
            xlate_set_error(x, FT_XLATE_NO_RECIRC_STATE);
            return;
        }
    }
    fz = x->fz;
    memset(fz, 0, sizeof *fz);
    /* The state carries the metadata on: the input's bits of it count. */
    xlate_wc_bytes(x, XKOFF(metadata), XKSIZE(metadata));
    fz->metadata = x->pkt.key.metadata;
    fz->cookie = x->cookie;
    fz->table_id = x->table_id;
    fz->depth = (uint8_t) (x->recirc_depth + 1);
    fz->flags = (x->miss_entry ? FT_FROZEN_F_MISS_ENTRY : 0)
                | (x->packet_out ? FT_FROZEN_F_PACKET_OUT : 0);
    for (unsigned int s = 0; s < XLATE_ASET_SLOTS; s++) {
        struct ft_frozen_op *op;

        if (x->aset[s]) {
            op = freeze_append(x, FT_FROZEN_WRITE, true);
            if (!op) {
                return;
            }
            ft_action_canonical(&op->action, x->aset[s]);
        }
    }
    x->freezing = true;
    xlate_trace(x, "freeze: the key no longer describes the packet, "
                "recirculate to go on");
}

void
xlate_freeze_action(struct xlate_ctx *x, const struct ft_action *a)
{
    struct ft_frozen_op *op = freeze_op(x, FT_FROZEN_ACTION);

    if (op) {
        ft_action_canonical(&op->action, a);
    }
}

static void
freeze_copy(struct xlate_ctx *x, const struct ft_frozen_op *src)
{
    struct ft_frozen_op *op = freeze_op(x, (enum ft_frozen_kind) src->kind);

    if (op) {
        *op = *src;                 /* canonical already */
    }
}

static void
freeze_simple(struct xlate_ctx *x, enum ft_frozen_kind kind, uint8_t table,
              uint64_t value, uint64_t mask)
{
    struct ft_frozen_op *op = freeze_op(x, kind);

    if (op) {
        op->table_id = table;
        op->value = value;
        op->mask = mask;
    }
}

/* Registers the frozen work and ends the current list (or clone) with
 * RECIRC. 'keep_pipeline' is false for a bucket's clone, whose work never
 * reaches the action set. */
static void
freeze_finish(struct xlate_ctx *x, bool keep_pipeline)
{
    struct ft_frozen *fz = x->fz;
    struct ft_xlate_out *out = x->out;
    struct ft_dpact *a;
    uint32_t id;

    x->freezing = false;
    if (x->error) {
        return;
    }
    if (!keep_pipeline && fz->n_set) {
        memmove(fz->ops, fz->ops + fz->n_set, fz->n_ops * sizeof fz->ops[0]);
        fz->n_set = 0;
    }
    if (out->n_recirc >= sizeof out->recirc_ids / sizeof out->recirc_ids[0]
        || ft_recirc_acquire(ft_pipeline_xlate_state(x->p), fz,
                             ft_pipeline_groups(x->p), &id)) {
        xlate_set_error(x, FT_XLATE_NO_RECIRC_STATE);
        return;
    }
    out->recirc_ids[out->n_recirc++] = id;
    a = xlate_emit(x, FT_DPACT_RECIRC);
    if (a) {
        a->recirc.id = id;
        xlate_trace(x, "recirc(0x%"PRIx32"): %u operations to resume", id,
                    fz->n_ops);
    }
}

/* ---- copies ------------------------------------------------------------------------ */

static void
exec_list(struct xlate_ctx *x, const struct ft_action *acts, uint32_t n,
          bool tail)
{
    for (uint32_t i = 0; i < n && !x->error && !x->pkt.stopped; i++) {
        if (x->freezing) {
            for (; i < n; i++) {
                xlate_freeze_action(x, &acts[i]);
            }
            return;
        }
        xlate_action(x, &acts[i], tail && i + 1 == n);
    }
}

/* Does acts[0..n) change the packet (or end it) at its own level? A
 * nested clone changes nothing outside itself. */
static bool
modifies(const struct ft_dpact *acts, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        switch (acts[i].type) {
        case FT_DPACT_OUTPUT:
        case FT_DPACT_CONTROLLER:
            break;
        case FT_DPACT_CLONE:
            i += acts[i].clone.n;
            break;
        default:
            return true;
        }
    }
    return false;
}

enum iso_kind { ISO_BUCKET, ISO_TABLE };

static void
iso_body(struct xlate_ctx *x, enum iso_kind kind,
         const struct ft_action_list *list)
{
    if (kind == ISO_BUCKET) {
        exec_list(x, list->acts, list->n, true);
    } else {
        aset_clear(x);
        xlate_run_pipeline(x, 0, true);
    }
}

/* Runs a bucket's actions or a pipeline pass on a copy of the packet when
 * something follows ('tail' false), directly otherwise. */
static void
run_isolated(struct xlate_ctx *x, enum iso_kind kind,
             const struct ft_action_list *list, bool tail)
{
    struct xlate_pkt saved;
    const struct ft_action *saved_aset[XLATE_ASET_SLOTS];
    unsigned int saved_n_aset = x->n_aset;
    uint64_t cookie = x->cookie;
    uint8_t table_id = x->table_id;
    bool miss_entry = x->miss_entry;
    uint32_t start, n;

    if (tail) {
        iso_body(x, kind, list);
        return;
    }
    saved = x->pkt;
    if (kind == ISO_TABLE) {
        memcpy(saved_aset, x->aset, sizeof saved_aset);
    }
    start = x->out->n_acts;
    if (!xlate_emit(x, FT_DPACT_CLONE)) {
        return;
    }
    iso_body(x, kind, list);
    if (x->freezing) {
        freeze_finish(x, kind == ISO_TABLE);
    }
    if (!x->error) {
        struct ft_dpact *acts = x->out->acts;

        n = x->out->n_acts - start - 1;
        if (!n) {
            x->out->n_acts = start;
        } else if (!modifies(&acts[start + 1], n)) {
            memmove(&acts[start], &acts[start + 1], n * sizeof acts[0]);
            x->out->n_acts--;
        } else {
            acts[start].clone.n = n;
        }
    }
    x->pkt = saved;
    if (kind == ISO_TABLE) {
        memcpy(x->aset, saved_aset, sizeof saved_aset);
        x->n_aset = saved_n_aset;
        x->cookie = cookie;
        x->table_id = table_id;
        x->miss_entry = miss_entry;
    }
}

void
xlate_output_table(struct xlate_ctx *x, bool tail)
{
    if (!x->packet_out) {
        xlate_trace(x, "output:TABLE outside a packet-out: ignored");
        return;
    }
    run_isolated(x, ISO_TABLE, NULL, tail);
}

/* ---- groups -------------------------------------------------------------------------- */

static void
record_group_use(struct xlate_ctx *x, struct ft_group *g, uint32_t generation,
                 int32_t bucket, bool bucket_only)
{
    struct ft_xlate_out *out = x->out;

    if (out->n_groups < FT_XLATE_MAX_GROUPS) {
        out->groups[out->n_groups++] = (struct ft_xlate_group_use) {
            .group = g, .generation = generation, .bucket = bucket,
            .bucket_only = bucket_only,
        };
    }
}

static void
record_group(struct xlate_ctx *x, struct ft_group *g, uint32_t generation,
             int32_t bucket)
{
    record_group_use(x, g, generation, bucket, false);
}

static void
run_bucket(struct xlate_ctx *x, const struct ft_group_view *v, int bucket,
           bool tail)
{
    if (++x->n_bucket_runs > FT_XLATE_MAX_BUCKETS) {
        xlate_set_error(x, FT_XLATE_TOO_MANY_BUCKETS);
        return;
    }
    xlate_trace(x, "bucket %d", bucket);
    run_isolated(x, ISO_BUCKET, &v->buckets[bucket].actions, tail);
}

static const char *
group_type_name(uint8_t type)
{
    switch (type) {
    case FT_OFPGT_ALL: return "all";
    case FT_OFPGT_SELECT: return "select";
    case FT_OFPGT_INDIRECT: return "indirect";
    case FT_OFPGT_FF: return "fast_failover";
    }
    return "unknown";
}

/* Stats: every group use credits the group once, and each bucket that ran
 * (ALL: all of them, as bucket-only uses so the group is not counted
 * once per bucket). */
void
xlate_group(struct xlate_ctx *x, const struct ft_action *a, bool tail)
{
    struct ft_group *g = a->group.group;
    struct ft_group_view v;
    uint32_t hash_mask = 0;
    int b;

    if (!g) {
        xlate_trace(x, "group %"PRIu32" not resolved: dropped",
                    a->group.group_id);
        return;
    }
    ft_group_read(g, &v);
    if (x->pkt.stale && v.type == FT_OFPGT_SELECT) {
        xlate_freeze_begin(x);      /* the choice needs the packet's hash */
        xlate_freeze_action(x, a);
        return;
    }
    if (++x->depth > FT_XLATE_MAX_DEPTH) {
        xlate_set_error(x, FT_XLATE_TOO_DEEP);
        x->depth--;
        return;
    }
    xlate_trace(x, "group %"PRIu32" (%s, %"PRIu32" buckets)",
                ft_group_id(g), group_type_name(v.type), v.n_buckets);
    switch (v.type) {
    case FT_OFPGT_ALL:
        record_group(x, g, v.generation, -1);
        for (uint32_t i = 0; i < v.n_buckets && !x->error; i++) {
            if (x->freezing || x->pkt.stopped) {
                break;
            }
            record_group_use(x, g, v.generation, (int32_t) i, true);
            run_bucket(x, &v, (int) i, tail && i + 1 == v.n_buckets);
        }
        break;
    case FT_OFPGT_SELECT:
    case FT_OFPGT_FF:
        b = ft_group_choose(g, &v, x->pkt.key.dp_hash, &hash_mask);
        if (v.type == FT_OFPGT_SELECT) {
            x->out->wc.masks.dp_hash |= hash_mask;
        }
        record_group(x, g, v.generation, b);
        if (b < 0 || (uint32_t) b >= v.n_buckets) {
            xlate_trace(x, "no live bucket: dropped");
        } else {
            run_bucket(x, &v, b, tail);
        }
        break;
    case FT_OFPGT_INDIRECT:
        record_group(x, g, v.generation, v.n_buckets ? 0 : -1);
        if (v.n_buckets) {
            run_bucket(x, &v, 0, tail);
        }
        break;
    }
    x->depth--;
}

/* ---- the pipeline -------------------------------------------------------------------- */

static bool
is_miss_entry(const struct ft_flow *flow)
{
    const ft_key_word *m = ft_key_u64(&flow->cr.match.mask.masks);

    if (flow->cr.priority) {
        return false;
    }
    for (size_t w = 0; w < FT_KEY_U64S; w++) {
        if (m[w]) {
            return false;
        }
    }
    return true;
}

static void
format_list(const char *name, const struct ft_action_list *l, char *buf,
            size_t size, size_t *len)
{
    int n;

    if (*len >= size) {
        return;
    }
    n = snprintf(buf + *len, size - *len, "%s%s(", *len ? " " : "", name);
    if (n > 0) {
        *len += (size_t) n;
    }
    if (*len < size) {
        n = ft_action_list_format(l, buf + *len, size - *len);
        if (n > 0) {
            *len += (size_t) n;
        }
    }
    if (*len < size) {
        n = snprintf(buf + *len, size - *len, ")");
        if (n > 0) {
            *len += (size_t) n;
        }
    }
}

static void
format_insts(const struct ft_insts *in, char *buf, size_t size)
{
    size_t len = 0;
    int n = 0;

    buf[0] = '\0';
    if (in->meter_id) {
        n = snprintf(buf, size, "meter:%"PRIu32, in->meter_id);
        len = n > 0 ? (size_t) n : 0;
    }
    if (in->has_apply) {
        format_list("apply_actions", &in->apply, buf, size, &len);
    }
    if (in->clear_actions && len < size) {
        n = snprintf(buf + len, size - len, "%sclear_actions",
                     len ? " " : "");
        len += n > 0 ? (size_t) n : 0;
    }
    if (in->has_write) {
        format_list("write_actions", &in->write, buf, size, &len);
    }
    if (in->has_write_metadata && len < size) {
        n = snprintf(buf + len, size - len,
                     "%swrite_metadata:0x%"PRIx64"/0x%"PRIx64,
                     len ? " " : "", in->metadata, in->metadata_mask);
        len += n > 0 ? (size_t) n : 0;
    }
    if (in->goto_table != FT_NO_GOTO && len < size) {
        n = snprintf(buf + len, size - len, "%sgoto_table:%u",
                     len ? " " : "", in->goto_table);
        len += n > 0 ? (size_t) n : 0;
    }
    if (!len) {
        snprintf(buf, size, "drop");
    }
}

static void
trace_entry(struct xlate_ctx *x, uint8_t table_id, const struct ft_flow *flow,
            const struct ft_insts *insts)
{
    char match[512], acts[1024];

    if (!x->in->trace) {
        return;
    }
    ft_key_format(&flow->cr.match.key, &flow->cr.match.mask.masks, match,
                  sizeof match);
    format_insts(insts, acts, sizeof acts);
    xlate_trace(x, "table %u: priority %"PRId32"%s%s cookie 0x%"PRIx64
                " → %s", table_id, flow->cr.priority, match[0] ? " " : "",
                match, flow->cookie, acts);
}

static void
record_lookup(struct xlate_ctx *x, uint8_t table_id, struct ft_flow *flow)
{
    struct ft_xlate_out *out = x->out;

    if (out->n_table_lookups < FT_N_TABLES) {
        out->table_lookup[out->n_table_lookups] = table_id;
        out->table_matched[out->n_table_lookups] = flow != NULL;
        out->n_table_lookups++;
    }
    if (flow && out->n_flows < FT_XLATE_MAX_FLOWS) {
        out->flows[out->n_flows++] = flow;
    }
}

/* A table with no matching entry: false when the walk ends here. */
static bool
table_miss(struct xlate_ctx *x, uint8_t *table_id)
{
    switch (ft_pipeline_get_table_miss(x->p, *table_id)) {
    case FT_TABLE_MISS_CONTINUE:
        if (*table_id + 1 < x->n_tables) {
            xlate_trace(x, "table %u: no match: continue", *table_id);
            ++*table_id;
            return true;
        }
        xlate_trace(x, "table %u: no match, last table: drop", *table_id);
        return false;
    case FT_TABLE_MISS_CONTROLLER:
        xlate_trace(x, "table %u: no match: controller", *table_id);
        x->cookie = UINT64_MAX;     /* no entry to name (OFPP 1.3 §7.4.1) */
        x->table_id = *table_id;
        x->miss_entry = true;
        xlate_controller(x, x->sw.miss_send_len, FT_OFPR_NO_MATCH);
        return false;
    case FT_TABLE_MISS_DROP:
    default:
        xlate_trace(x, "table %u: no match: drop", *table_id);
        return false;
    }
}

void
xlate_run_pipeline(struct xlate_ctx *x, uint8_t table_id, bool tail)
{
    unsigned int depth0 = x->depth;
    struct ft_mask lookup_wc;
    struct ft_insts insts;

    while (!x->error && !x->pkt.stopped) {
        struct ft_flow *flow;
        bool set_empty_after;

        if (x->pkt.stale) {
            xlate_freeze_begin(x);
            freeze_simple(x, FT_FROZEN_GOTO, table_id, 0, 0);
            break;
        }
        if (++x->depth > FT_XLATE_MAX_DEPTH) {
            xlate_set_error(x, FT_XLATE_TOO_DEEP);
            break;
        }
        memset(&lookup_wc, 0, sizeof lookup_wc);
        flow = ft_pipeline_lookup(x->p, table_id, &x->pkt.key, x->version,
                                  &lookup_wc);
        xlate_wc_mask(x, &lookup_wc);
        record_lookup(x, table_id, flow);
        if (!flow) {
            if (table_miss(x, &table_id)) {
                continue;
            }
            break;                  /* the action set is discarded */
        }
        ft_flow_get_insts(flow, &insts);
        x->cookie = flow->cookie;
        x->table_id = table_id;
        x->miss_entry = is_miss_entry(flow);
        trace_entry(x, table_id, flow, &insts);

        if (insts.meter_id && flow->meter) {
            struct ft_dpact *m;

            xlate_commit(x);
            m = xlate_emit(x, FT_DPACT_METER);
            if (m) {
                m->meter.meter = flow->meter;
                m->meter.meter_id = insts.meter_id;
            }
        }
        set_empty_after = insts.clear_actions
                          ? !insts.has_write
                          : !x->n_aset && !insts.has_write;
        if (insts.has_apply) {
            exec_list(x, insts.apply.acts, insts.apply.n,
                      tail && insts.goto_table == FT_NO_GOTO
                      && set_empty_after);
        }
        if (x->error || x->pkt.stopped) {
            break;
        }
        if (x->freezing) {
            /* The rest of this entry's instructions, then the walk. */
            if (insts.clear_actions) {
                freeze_simple(x, FT_FROZEN_CLEAR, 0, 0, 0);
            }
            for (uint32_t i = 0; insts.has_write && i < insts.write.n; i++) {
                struct ft_frozen_op *op = freeze_op(x, FT_FROZEN_WRITE);
                if (op) {
                    ft_action_canonical(&op->action, &insts.write.acts[i]);
                }
            }
            if (insts.has_write_metadata) {
                freeze_simple(x, FT_FROZEN_METADATA, 0, insts.metadata,
                              insts.metadata_mask);
            }
            if (insts.goto_table != FT_NO_GOTO) {
                freeze_simple(x, FT_FROZEN_GOTO, insts.goto_table, 0, 0);
            } else {
                freeze_simple(x, FT_FROZEN_END, 0, 0, 0);
            }
            break;
        }
        if (insts.clear_actions) {
            aset_clear(x);
        }
        for (uint32_t i = 0; insts.has_write && i < insts.write.n; i++) {
            aset_write(x, &insts.write.acts[i]);
        }
        if (insts.has_write_metadata) {
            write_metadata(x, insts.metadata, insts.metadata_mask);
        }
        if (insts.goto_table == FT_NO_GOTO) {
            exec_action_set(x, tail);
            break;
        }
        table_id = insts.goto_table;
    }
    x->depth = depth0;
}

/* ---- resuming a frozen translation ----------------------------------------------------- */

static void
exec_ops(struct xlate_ctx *x, const struct ft_frozen_op *ops, uint32_t n)
{
    for (uint32_t i = 0; i < n && !x->error && !x->pkt.stopped; i++) {
        const struct ft_frozen_op *op = &ops[i];

        if (x->freezing) {
            for (; i < n; i++) {
                freeze_copy(x, &ops[i]);
            }
            return;
        }
        switch ((enum ft_frozen_kind) op->kind) {
        case FT_FROZEN_ACTION:
            xlate_action(x, &op->action, i + 1 == n);
            break;
        case FT_FROZEN_CLEAR:
            aset_clear(x);
            break;
        case FT_FROZEN_WRITE:
            aset_write(x, &op->action);
            break;
        case FT_FROZEN_METADATA:
            write_metadata(x, op->value, op->mask);
            break;
        case FT_FROZEN_GOTO:
            xlate_run_pipeline(x, op->table_id, true);
            break;
        case FT_FROZEN_END:
            exec_action_set(x, true);
            break;
        }
    }
}

static void
resume(struct xlate_ctx *x)
{
    uint32_t id = x->pkt.key.recirc_id;
    const struct ft_frozen *f = ft_recirc_find(ft_pipeline_xlate_state(x->p),
                                               id);
    struct ft_xlate_out *out = x->out;

    if (!f) {
        xlate_trace(x, "recirc_id 0x%"PRIx32": no such state", id);
        xlate_set_error(x, FT_XLATE_NO_RECIRC_STATE);
        return;
    }
    out->recirc_ids[out->n_recirc++] = id;
    x->recirc_depth = f->depth;
    x->pkt.key.metadata = f->metadata;
    x->pkt.written.metadata = UINT64_MAX;
    x->cookie = f->cookie;
    x->table_id = f->table_id;
    x->miss_entry = f->flags & FT_FROZEN_F_MISS_ENTRY;
    x->packet_out = f->flags & FT_FROZEN_F_PACKET_OUT;
    for (unsigned int i = 0; i < f->n_set; i++) {
        aset_write(x, &f->ops[i].action);
    }
    xlate_trace(x, "resume recirc(0x%"PRIx32"): pass %u, %u actions set, "
                "%u operations", id, f->depth, f->n_set, f->n_ops);
    exec_ops(x, &f->ops[f->n_set], f->n_ops);
}

/* ---- entry points ----------------------------------------------------------------------- */

static void
ctx_init(struct xlate_ctx *x, struct ft_pipeline *p,
         const struct ft_xlate_in *in, struct ft_xlate_out *out,
         bool packet_out)
{
    memset(x, 0, sizeof *x);
    x->p = p;
    x->in = in;
    x->out = out;
    x->packet_out = packet_out;

    out->error = FT_XLATE_OK;
    out->n_acts = 0;
    out->n_flows = 0;
    out->n_groups = 0;
    out->n_recirc = 0;
    out->uses_normal = false;
    out->has_controller = false;
    out->normal_learned = false;
    out->n_table_lookups = 0;
    memset(&out->wc, 0, sizeof out->wc);
    out->wc.masks.in_port = UINT32_MAX;
    out->wc.masks.recirc_id = UINT32_MAX;

    /* Generation first: a change racing this translation leaves it
     * marked stale for revalidation. */
    out->generation = ft_pipeline_generation(p);
    x->version = ft_pipeline_read_version(p);
    x->ports = ft_pipeline_port_map(p);
    x->sw = ft_pipeline_read_switch_config(p);
    x->n_tables = ft_pipeline_n_tables(p);

    x->pkt.key = *in->key;
    x->pkt.base = *in->key;
    if (in->key->dl_type == htons(0x8847) || in->key->dl_type == htons(0x8848)) {
        x->pkt.mpls_in_key = FT_MPLS_MAX;
    }
    x->cookie = UINT64_MAX;
}

static void
ctx_finish(struct xlate_ctx *x)
{
    struct ft_xlate_out *out = x->out;

    if (x->freezing) {
        freeze_finish(x, true);
    }
    if (x->error) {
        out->error = x->error;
        out->n_acts = 0;
        out->n_recirc = 0;          /* nothing refers to them */
        ft_pipeline_count_xlate_error(x->p);
    }
    if (x->in->trace) {
        char buf[4096];

        x->depth = 0;
        ft_dpacts_format(out->acts, out->n_acts, buf, sizeof buf);
        xlate_trace(x, "datapath actions: %s", buf);
        ft_key_format(x->in->key, &out->wc.masks, buf, sizeof buf);
        xlate_trace(x, "megaflow: %s", buf);
    }
    free(x->fz);
    x->fz = NULL;
}

void
ft_xlate(struct ft_pipeline *p, const struct ft_xlate_in *in,
         struct ft_xlate_out *out)
{
    struct xlate_ctx x;

    ctx_init(&x, p, in, out, false);
    if (in->key->recirc_id) {
        resume(&x);
    } else {
        xlate_run_pipeline(&x, 0, true);
    }
    ctx_finish(&x);
}

void
ft_xlate_packet_out(struct ft_pipeline *p, const struct ft_xlate_in *in,
                    const struct ft_action_list *actions,
                    struct ft_xlate_out *out)
{
    struct ft_group_table *groups = ft_pipeline_groups(p);
    struct ft_action *acts = NULL;
    struct xlate_ctx x;

    ctx_init(&x, p, in, out, true);
    xlate_trace(&x, "packet-out: %"PRIu32" actions", actions->n);
    /* A packet-out's list is not installed anywhere, so nothing resolved
     * its GROUP actions: resolve them here (packet-outs are translated on
     * the main thread, which may look groups up by id). A frozen rest
     * then carries the pointers, held by its state. */
    for (uint32_t i = 0; i < actions->n; i++) {
        const struct ft_action *a = &actions->acts[i];

        if (a->type == FT_OFPAT_GROUP && !a->group.group) {
            if (!acts) {
                acts = malloc(actions->n * sizeof *acts);
                if (!acts) {
                    break;          /* translated unresolved: dropped */
                }
                memcpy(acts, actions->acts, actions->n * sizeof *acts);
            }
            acts[i].group.group = ft_group_lookup(groups,
                                                  a->group.group_id);
        }
    }
    exec_list(&x, acts ? acts : actions->acts, actions->n, true);
    ctx_finish(&x);
    free(acts);
}
