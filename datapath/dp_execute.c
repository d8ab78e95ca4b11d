/*
 * dp_execute.c — datapath action execution: the walk over an action list,
 * packet ownership (move / share / copy), CLONE, OUTPUT, CONTROLLER,
 * RECIRC, METER, SET_QUEUE and the push/pop actions. SET_MASKED lives in
 * dp_execute_set.c. The semantics are in dp_execute.h and ft_dpact.h.
 *
 * Structure. dp_execute() first marks every action of the list with what
 * comes after it in its scope (the list, or a CLONE's body): does a later
 * action use the packet (hand it off, meter it, clone it), does one modify
 * it. That decides, per action and per batch, whether a hand-off moves the
 * mbuf, shares it or copies it. Then it cuts the input into batches of at
 * most DP_EXEC_BATCH_MAX packets with one header shape and walks the list
 * over each batch. A CLONE recurses on a batch of copies (or of shared
 * references, or of the packets themselves: see the header).
 *
 * Invariant: every mbuf in a batch is owned by it; leaving the batch means
 * being handed to a sink or freed. exec_finish() frees what is left at the
 * end of a list.
 *
 * Threads: the caller's, with a context it owns.
 */
#include "dp_execute_private.h"

#include <string.h>

#include <rte_byteorder.h>
#include <rte_ether.h>
#include <rte_mbuf.h>

#include "flowtable/ft_meter.h"
#include "flowtable/ft_xlate.h"
#include "lib/util.h"

BUILD_ASSERT(DP_EXEC_MAX_ACTS == FT_XLATE_MAX_DPACTS);
BUILD_ASSERT(DP_EXEC_MAX_DEPTH == FT_XLATE_MAX_DEPTH);
BUILD_ASSERT(DP_EXEC_MAX_ACTS <= UINT16_MAX);
BUILD_ASSERT(sizeof(struct exec_shape) == 5);   /* no padding: memcmp */

#define ETH_ADDRS_LEN (2 * RTE_ETHER_ADDR_LEN)  /* dst + src */
#define ETH_HLEN RTE_ETHER_HDR_LEN
#define VLAN_HLEN 4
#define MPLS_HLEN 4
#define PBB_HLEN (ETH_HLEN + 4)     /* outer Ethernet header + I-TAG TCI */
#define ETH_TYPE_MIN 0x0600         /* below: an 802.3 length */
#define ETH_TYPE_PBB 0x88e7
#define MPLS_BOS htonl(0x00000100)
#define VLAN_PCP_SHIFT 13
#define PBB_IPCP_SHIFT 29
#define PBB_ISID_MASK 0x00ffffffu

/* Per-action marks (see analyze_scope). */
#define AF_USE_AFTER 0x01   /* a later action of the scope uses the packet */
#define AF_MOD_AFTER 0x02   /* a later action of the scope modifies it */
#define AF_BODY_USE  0x04   /* CLONE: its body uses its packets */
#define AF_BODY_MOD  0x08   /* CLONE: its body modifies its packets */
#define AF_TOO_DEEP  0x10   /* CLONE nested past DP_EXEC_MAX_DEPTH */

static const char *const drop_reason_names[DP_EXEC_DROP_N_REASONS] = {
    [DP_EXEC_DROP_ACTION] = "action",
    [DP_EXEC_DROP_METER] = "meter",
    [DP_EXEC_DROP_NOMEM] = "nomem",
    [DP_EXEC_DROP_NO_SINK] = "no-sink",
    [DP_EXEC_DROP_INVALID] = "invalid",
};

const char *
dp_exec_drop_reason_name(enum dp_exec_drop_reason reason)
{
    return (unsigned int) reason < DP_EXEC_DROP_N_REASONS
           ? drop_reason_names[reason] : "unknown";
}

/* ---- analysis ------------------------------------------------------------ */

struct scan {
    const struct ft_dpact *acts;
    uint8_t *flags;             /* AF_*, one per action */
    uint16_t *order;            /* scratch: top-level actions of scopes */
    unsigned int n_order;
    bool needs_shape;           /* some action depends on header layout */
};

static unsigned int
clone_body_end(const struct ft_dpact *a, unsigned int i, unsigned int end)
{
    uint64_t body_end = (uint64_t) i + 1 + a->clone.n;

    return body_end < end ? (unsigned int) body_end : end;
}

/* Marks acts[begin..end), one scope, and returns its summary: bit 0 if
 * the scope uses the packet, bit 1 if it modifies it. A scope is scanned
 * forward to find its top-level actions (recursing into CLONE bodies),
 * then backward to know, at each action, what comes after it. */
static unsigned int
analyze_scope(struct scan *s, unsigned int begin, unsigned int end,
              unsigned int depth)
{
    unsigned int first = s->n_order;
    bool use = false, mod = false;

    for (unsigned int i = begin; i < end;) {
        const struct ft_dpact *a = &s->acts[i];

        s->order[s->n_order++] = (uint16_t) i;
        s->flags[i] = 0;
        if (a->type == FT_DPACT_CLONE) {
            unsigned int body_end = clone_body_end(a, i, end);

            if (depth + 1 > DP_EXEC_MAX_DEPTH) {
                s->flags[i] = AF_TOO_DEEP;
            } else {
                unsigned int sum = analyze_scope(s, i + 1, body_end,
                                                 depth + 1);

                s->flags[i] = (uint8_t) ((sum & 1 ? AF_BODY_USE : 0)
                                         | (sum & 2 ? AF_BODY_MOD : 0));
            }
            i = body_end;
            continue;
        }
        if ((a->type == FT_DPACT_SET_MASKED && dp_exec_set_is_packet(a))
            || (a->type >= FT_DPACT_PUSH_VLAN && a->type <= FT_DPACT_METER)) {
            s->needs_shape = true;
        }
        i++;
    }

    for (unsigned int j = s->n_order; j-- > first;) {
        unsigned int i = s->order[j];
        const struct ft_dpact *a = &s->acts[i];

        s->flags[i] |= (uint8_t) ((use ? AF_USE_AFTER : 0)
                                  | (mod ? AF_MOD_AFTER : 0));
        switch (a->type) {
        case FT_DPACT_OUTPUT:
        case FT_DPACT_CONTROLLER:
            use = true;
            break;
        case FT_DPACT_RECIRC:
            /* Ends the scope, and the next pass may edit the packet. */
        case FT_DPACT_METER:
            /* Counts the packet; a remark band edits it. */
            use = mod = true;
            break;
        case FT_DPACT_SET_MASKED:
            mod |= dp_exec_set_is_packet(a);
            break;
        case FT_DPACT_PUSH_VLAN:
        case FT_DPACT_POP_VLAN:
        case FT_DPACT_PUSH_MPLS:
        case FT_DPACT_POP_MPLS:
        case FT_DPACT_PUSH_PBB:
        case FT_DPACT_POP_PBB:
            mod = true;
            break;
        case FT_DPACT_CLONE:
            /* Its body works on its own copies. One nested too deep is
             * reached, to count its packets as invalid. */
            use |= (s->flags[i] & (AF_BODY_USE | AF_TOO_DEEP)) != 0;
            break;
        default:
            break;
        }
    }
    s->n_order = first;
    return (use ? 1u : 0u) | (mod ? 2u : 0u);
}

/* ---- batches ------------------------------------------------------------- */

static void
shape_of(const struct ft_key *k, struct exec_shape *s)
{
    memset(s, 0, sizeof *s);
    if (k->vlans[0].tci & htons(FT_VLAN_PRESENT)) {
        s->n_vlans = k->vlans[1].tci & htons(FT_VLAN_PRESENT) ? 2 : 1;
    }
    switch (ntohs(k->dl_type)) {
    case RTE_ETHER_TYPE_IPV4:
        s->l3 = EXEC_L3_IPV4;
        switch (k->nw_proto) {
        case IPPROTO_TCP:  s->l4 = EXEC_L4_TCP; break;
        case IPPROTO_UDP:  s->l4 = EXEC_L4_UDP; break;
        case IPPROTO_SCTP: s->l4 = EXEC_L4_SCTP; break;
        case IPPROTO_ICMP: s->l4 = EXEC_L4_ICMP; break;
        default: break;
        }
        break;
    case RTE_ETHER_TYPE_IPV6:
        s->l3 = EXEC_L3_IPV6;
        switch (k->nw_proto) {
        case IPPROTO_TCP:  s->l4 = EXEC_L4_TCP; break;
        case IPPROTO_UDP:  s->l4 = EXEC_L4_UDP; break;
        case IPPROTO_SCTP: s->l4 = EXEC_L4_SCTP; break;
        case IPPROTO_ICMPV6:
            s->l4 = (k->tp_src == htons(135) || k->tp_src == htons(136))
                    && k->tp_dst == 0 ? EXEC_L4_ND : EXEC_L4_ICMPV6;
            break;
        default: break;
        }
        break;
    case RTE_ETHER_TYPE_ARP:
    case RTE_ETHER_TYPE_RARP:
        s->l3 = EXEC_L3_ARP;
        break;
    case RTE_ETHER_TYPE_MPLS:
    case RTE_ETHER_TYPE_MPLSM:
        s->n_mpls = k->mpls_lse[0] & MPLS_BOS ? 1
                    : k->mpls_lse[1] & MPLS_BOS ? 2 : FT_MPLS_MAX;
        break;
    case ETH_TYPE_PBB:
        s->pbb = 1;
        break;
    default:
        break;
    }
}

static bool
shape_equal(const struct exec_shape *a, const struct exec_shape *b)
{
    return !memcmp(a, b, sizeof *a);
}

static void
batch_init(struct exec_batch *b, struct rte_mbuf *const pkts[],
           const struct ft_key *const keys[],
           const struct dp_parse_layers layers[], unsigned int n,
           const struct exec_shape *shape)
{
    b->n = n;
    b->holes = false;
    b->shape = *shape;
    b->queue_id = DP_EXEC_QUEUE_NONE;
    memset(&b->meta, 0, sizeof b->meta);
    for (unsigned int i = 0; i < n; i++) {
        const struct dp_parse_layers *l = &layers[i];

        b->pkts[i] = pkts[i];
        b->keys[i] = keys[i];
        b->l3[i] = l->l3_ofs;
        b->l4[i] = l->l4_ofs;
        b->l2_end[i] = l->l2_5_ofs != DP_LAYER_ABSENT ? l->l2_5_ofs
                       : l->l3_ofs != DP_LAYER_ABSENT ? l->l3_ofs
                       : (uint16_t) (ETH_HLEN + VLAN_HLEN * shape->n_vlans);
    }
}

/* Removes the NULL entries left by drops, keeping the order. */
static void
batch_compact(struct exec_batch *b)
{
    unsigned int k = 0;

    if (!b->holes) {
        return;
    }
    for (unsigned int i = 0; i < b->n; i++) {
        if (!b->pkts[i]) {
            continue;
        }
        if (k != i) {
            b->pkts[k] = b->pkts[i];
            b->keys[k] = b->keys[i];
            b->l2_end[k] = b->l2_end[i];
            b->l3[k] = b->l3[i];
            b->l4[k] = b->l4[i];
        }
        k++;
    }
    b->n = k;
    b->holes = false;
}

static void
batch_drop_all(struct dp_exec_ctx *ctx, struct exec_batch *b,
               enum dp_exec_drop_reason reason)
{
    rte_pktmbuf_free_bulk(b->pkts, b->n);
    ctx->stats.drops[reason] += b->n;
    b->n = 0;
}

static inline void
ofs_shift(uint16_t *ofs, int delta)
{
    if (*ofs != DP_LAYER_ABSENT) {
        *ofs = (uint16_t) (*ofs + delta);
    }
}

static void
batch_shift(struct exec_batch *b, unsigned int i, int delta)
{
    ofs_shift(&b->l2_end[i], delta);
    ofs_shift(&b->l3[i], delta);
    ofs_shift(&b->l4[i], delta);
}

bool
dp_exec_writable(struct dp_exec_ctx *ctx, struct exec_batch *b,
                 unsigned int i)
{
    struct rte_mbuf *m = b->pkts[i];
    struct rte_mbuf *copy;

    if (likely(RTE_MBUF_DIRECT(m) && rte_mbuf_refcnt_read(m) == 1)) {
        return true;
    }
    copy = rte_pktmbuf_copy(m, ctx->pool, 0, UINT32_MAX);
    rte_pktmbuf_free(m);
    if (unlikely(!copy)) {
        b->pkts[i] = NULL;
        b->holes = true;
        ctx->stats.drops[DP_EXEC_DROP_NOMEM]++;
        return false;
    }
    ctx->stats.copies++;
    b->pkts[i] = copy;
    return true;
}

/* Makes room for 'len' bytes before writable packet i and returns its new
 * first byte. Without headroom the packet moves to a copy (which gets the
 * pool's headroom); NULL if that fails (packet dropped, a hole left). */
static uint8_t *
exec_prepend(struct dp_exec_ctx *ctx, struct exec_batch *b, unsigned int i,
             uint16_t len)
{
    struct rte_mbuf *m = b->pkts[i];
    char *p = rte_pktmbuf_prepend(m, len);
    struct rte_mbuf *copy;

    if (likely(p)) {
        return (uint8_t *) p;
    }
    copy = rte_pktmbuf_copy(m, ctx->pool, 0, UINT32_MAX);
    rte_pktmbuf_free(m);
    if (copy) {
        ctx->stats.copies++;
        p = rte_pktmbuf_prepend(copy, len);
        if (p) {
            b->pkts[i] = copy;
            return (uint8_t *) p;
        }
        rte_pktmbuf_free(copy);
    }
    b->pkts[i] = NULL;
    b->holes = true;
    ctx->stats.drops[DP_EXEC_DROP_NOMEM]++;
    return NULL;
}

/* Private copies of every packet of 'b' into 'out' (index[k]: which
 * packet out[k] copies); returns how many were made. */
static unsigned int
batch_copy(struct dp_exec_ctx *ctx, const struct exec_batch *b,
           struct rte_mbuf **out, unsigned int *index)
{
    unsigned int k = 0;

    for (unsigned int i = 0; i < b->n; i++) {
        struct rte_mbuf *copy = rte_pktmbuf_copy(b->pkts[i], ctx->pool, 0,
                                                 UINT32_MAX);
        if (unlikely(!copy)) {
            ctx->stats.drops[DP_EXEC_DROP_NOMEM]++;
            continue;
        }
        ctx->stats.copies++;
        index[k] = i;
        out[k++] = copy;
    }
    return k;
}

/* ---- the walk ------------------------------------------------------------ */

struct exec_run {
    struct dp_exec_ctx *ctx;
    const struct ft_dpact *acts;
    const uint8_t *flags;
    unsigned int handed;        /* mbufs given to sinks by this run */
};

static void exec_list(struct exec_run *, struct exec_batch *,
                      unsigned int begin, unsigned int end,
                      unsigned int depth);

static inline void
share_all(struct exec_batch *b)
{
    for (unsigned int i = 0; i < b->n; i++) {
        rte_pktmbuf_refcnt_update(b->pkts[i], 1);
    }
}

/* OUTPUT and CONTROLLER: hand the packets (or shares, or copies) over.
 * Returns false when the batch is consumed. */
static bool
exec_handoff(struct exec_run *r, struct exec_batch *b,
             const struct ft_dpact *a, uint8_t flags)
{
    struct dp_exec_ctx *ctx = r->ctx;
    struct rte_mbuf *copies[DP_EXEC_BATCH_MAX];
    const struct ft_key *keys[DP_EXEC_BATCH_MAX];
    unsigned int index[DP_EXEC_BATCH_MAX];
    struct rte_mbuf *const *send = b->pkts;
    const struct ft_key *const *send_keys = b->keys;
    bool last = !(flags & AF_USE_AFTER);
    unsigned int n = b->n;

    if (a->type == FT_DPACT_CONTROLLER && !ctx->controller) {
        if (last) {
            batch_drop_all(ctx, b, DP_EXEC_DROP_NO_SINK);
            return false;
        }
        ctx->stats.drops[DP_EXEC_DROP_NO_SINK] += n;
        return true;
    }

    if (!last) {
        if (!(flags & AF_MOD_AFTER)) {
            /* Later actions only read: one more reference each, taken
             * before the sink may transmit and free. */
            share_all(b);
        } else {
            n = batch_copy(ctx, b, copies, index);
            for (unsigned int k = 0; k < n; k++) {
                keys[k] = b->keys[index[k]];
            }
            send = copies;
            send_keys = keys;
        }
    }
    if (n) {
        if (a->type == FT_DPACT_OUTPUT) {
            ctx->output(ctx->aux, a->output.dp_port, b->queue_id, send, n);
        } else {
            ctx->controller(ctx->aux, a, send, send_keys, &b->meta, n);
        }
        r->handed += n;
    }
    if (last) {
        b->n = 0;
        return false;
    }
    return true;
}

static void
exec_recirc(struct exec_run *r, struct exec_batch *b, const struct ft_dpact *a)
{
    struct dp_exec_ctx *ctx = r->ctx;

    if (!ctx->recirculate) {
        batch_drop_all(ctx, b, DP_EXEC_DROP_NO_SINK);
        return;
    }
    ctx->recirculate(ctx->aux, a->recirc.id, b->pkts, b->keys, &b->meta,
                     b->n);
    r->handed += b->n;
    b->n = 0;
}

static void
exec_meter(struct dp_exec_ctx *ctx, struct exec_batch *b,
           const struct ft_dpact *a)
{
    uint32_t lens[DP_EXEC_BATCH_MAX];
    uint8_t verdicts[DP_EXEC_BATCH_MAX];
    bool ip = b->shape.l3 == EXEC_L3_IPV4 || b->shape.l3 == EXEC_L3_IPV6;

    if (!a->meter.meter) {
        return;
    }
    for (unsigned int i = 0; i < b->n; i++) {
        lens[i] = rte_pktmbuf_pkt_len(b->pkts[i]);
    }
    ft_meter_apply(a->meter.meter, ctx->now_ns, lens, b->n, verdicts);
    for (unsigned int i = 0; i < b->n; i++) {
        uint8_t v = verdicts[i];

        if (likely(v == FT_METER_PASS)) {
            continue;
        }
        if (v == FT_METER_DROP) {
            rte_pktmbuf_free(b->pkts[i]);
            b->pkts[i] = NULL;
            b->holes = true;
            ctx->stats.drops[DP_EXEC_DROP_METER]++;
        } else if (ip && dp_exec_writable(ctx, b, i)) {
            dp_exec_dscp_remark(b, i, v);
        }
    }
    batch_compact(b);
}

static void
exec_clone(struct exec_run *r, struct exec_batch *b, unsigned int i,
           unsigned int body_end, unsigned int depth)
{
    struct dp_exec_ctx *ctx = r->ctx;
    uint8_t flags = r->flags[i];
    struct exec_batch copy;
    unsigned int index[DP_EXEC_BATCH_MAX];

    copy.shape = b->shape;
    copy.queue_id = b->queue_id;
    copy.holes = false;
    copy.meta = b->meta;
    if (flags & (AF_BODY_MOD | AF_MOD_AFTER)) {
        copy.n = batch_copy(ctx, b, copy.pkts, index);
    } else {
        /* Nobody edits either side: the body reads shared references. */
        share_all(b);
        copy.n = b->n;
        for (unsigned int k = 0; k < b->n; k++) {
            copy.pkts[k] = b->pkts[k];
            index[k] = k;
        }
    }
    for (unsigned int k = 0; k < copy.n; k++) {
        copy.keys[k] = b->keys[index[k]];
        copy.l2_end[k] = b->l2_end[index[k]];
        copy.l3[k] = b->l3[index[k]];
        copy.l4[k] = b->l4[index[k]];
    }
    if (copy.n) {
        exec_list(r, &copy, i + 1, body_end, depth + 1);
        /* What the body did not hand off was a copy: not a drop. */
        rte_pktmbuf_free_bulk(copy.pkts, copy.n);
    }
}

/* Ethertype position of 802.3 frames' length field, to keep it right when
 * MPLS grows or shrinks the frame: the first type field after the tags,
 * if it is a length; 0 when the frame is Ethernet II. */
static uint32_t
llc_len_ofs(const uint8_t *p, uint32_t l2_end)
{
    uint32_t ofs = ETH_ADDRS_LEN;

    while (ofs + 2 < l2_end) {
        uint16_t type = rte_be_to_cpu_16(*(const unaligned_uint16_t *)
                                         (const void *) (p + ofs));
        if (type < ETH_TYPE_MIN) {
            return ofs;
        }
        if (type != RTE_ETHER_TYPE_VLAN && type != RTE_ETHER_TYPE_QINQ
            && type != RTE_ETHER_TYPE_QINQ1) {
            return 0;
        }
        ofs += VLAN_HLEN;
    }
    return 0;
}

static void
llc_len_adjust(uint8_t *p, uint32_t l2_end, int delta)
{
    uint32_t ofs = llc_len_ofs(p, l2_end);

    if (ofs) {
        uint16_t v = rte_be_to_cpu_16(*(unaligned_uint16_t *)
                                      (void *) (p + ofs));

        *(unaligned_uint16_t *) (void *) (p + ofs)
            = rte_cpu_to_be_16((uint16_t) (v + delta));
    }
}

static inline bool
is_vlan_tpid_be(be16 tpid)
{
    return tpid == htons(RTE_ETHER_TYPE_VLAN)
           || tpid == htons(RTE_ETHER_TYPE_QINQ)
           || tpid == htons(RTE_ETHER_TYPE_QINQ1);
}

static inline be16
load_be16(const uint8_t *p)
{
    be16 v;

    memcpy(&v, p, sizeof v);
    return v;
}

/* Offset after the Ethernet header and its VLAN tags, read from the wire
 * (after POP_PBB, whose customer frame the key never described). */
static uint16_t
wire_l2_end(const uint8_t *p, uint32_t len)
{
    uint32_t ofs = ETH_HLEN;

    while (ofs + VLAN_HLEN <= len && is_vlan_tpid_be(load_be16(p + ofs - 2))) {
        ofs += VLAN_HLEN;
    }
    return (uint16_t) ofs;
}

static void
exec_push_vlan(struct dp_exec_ctx *ctx, struct exec_batch *b,
               const struct ft_dpact *a)
{
    be16 tci = a->push_vlan.tci & htons((uint16_t) ~FT_VLAN_PRESENT);

    for (unsigned int i = 0; i < b->n; i++) {
        uint8_t *p;

        if (rte_pktmbuf_data_len(b->pkts[i]) < ETH_ADDRS_LEN
            || !dp_exec_writable(ctx, b, i)
            || !(p = exec_prepend(ctx, b, i, VLAN_HLEN))) {
            continue;
        }
        memmove(p, p + VLAN_HLEN, ETH_ADDRS_LEN);
        memcpy(p + ETH_ADDRS_LEN, &a->push_vlan.tpid, 2);
        memcpy(p + ETH_ADDRS_LEN + 2, &tci, 2);
        batch_shift(b, i, VLAN_HLEN);
    }
    if (b->shape.n_vlans < UINT8_MAX) {
        b->shape.n_vlans++;
    }
    batch_compact(b);
}

static void
exec_pop_vlan(struct dp_exec_ctx *ctx, struct exec_batch *b)
{
    for (unsigned int i = 0; i < b->n; i++) {
        struct rte_mbuf *m = b->pkts[i];
        uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);

        if (rte_pktmbuf_data_len(m) < ETH_HLEN + VLAN_HLEN
            || !is_vlan_tpid_be(load_be16(p + ETH_ADDRS_LEN))
            || !dp_exec_writable(ctx, b, i)) {
            continue;
        }
        m = b->pkts[i];
        p = rte_pktmbuf_mtod(m, uint8_t *);
        memmove(p + VLAN_HLEN, p, ETH_ADDRS_LEN);
        rte_pktmbuf_adj(m, VLAN_HLEN);
        batch_shift(b, i, -VLAN_HLEN);
    }
    if (b->shape.n_vlans) {
        b->shape.n_vlans--;
    }
    batch_compact(b);
}

static void
exec_push_mpls(struct dp_exec_ctx *ctx, struct exec_batch *b,
               const struct ft_dpact *a)
{
    for (unsigned int i = 0; i < b->n; i++) {
        uint16_t l2_end = b->l2_end[i];
        uint8_t *p;

        if (l2_end < ETH_HLEN || l2_end > rte_pktmbuf_data_len(b->pkts[i])
            || !dp_exec_writable(ctx, b, i)
            || !(p = exec_prepend(ctx, b, i, MPLS_HLEN))) {
            continue;
        }
        /* Everything before the insertion point moves to the front. */
        memmove(p, p + MPLS_HLEN, l2_end);
        memcpy(p + l2_end, &a->mpls.lse, MPLS_HLEN);
        memcpy(p + l2_end - 2, &a->mpls.ethertype, 2);
        llc_len_adjust(p, l2_end, MPLS_HLEN);
        ofs_shift(&b->l3[i], MPLS_HLEN);
        ofs_shift(&b->l4[i], MPLS_HLEN);
    }
    if (b->shape.n_mpls) {
        b->shape.n_mpls = (uint8_t) MIN(b->shape.n_mpls + 1, FT_MPLS_MAX);
    } else {
        /* What was L3 is now the label stack's payload. */
        b->shape.n_mpls = 1;
        b->shape.l3 = EXEC_L3_NONE;
        b->shape.l4 = EXEC_L4_NONE;
        b->shape.pbb = 0;
    }
    batch_compact(b);
}

static bool
is_mpls_type(be16 type)
{
    return type == htons(RTE_ETHER_TYPE_MPLS)
           || type == htons(RTE_ETHER_TYPE_MPLSM);
}

static void
exec_pop_mpls(struct dp_exec_ctx *ctx, struct exec_batch *b,
              const struct ft_dpact *a)
{
    bool still_mpls = is_mpls_type(a->mpls.ethertype);

    if (!b->shape.n_mpls) {
        return;
    }
    for (unsigned int i = 0; i < b->n; i++) {
        uint16_t l2_end = b->l2_end[i];
        struct rte_mbuf *m;
        uint8_t *p;

        if (l2_end < ETH_HLEN
            || l2_end + MPLS_HLEN > rte_pktmbuf_data_len(b->pkts[i])
            || !dp_exec_writable(ctx, b, i)) {
            continue;
        }
        m = b->pkts[i];
        p = rte_pktmbuf_mtod(m, uint8_t *);
        memmove(p + MPLS_HLEN, p, l2_end);
        p = (uint8_t *) rte_pktmbuf_adj(m, MPLS_HLEN);
        memcpy(p + l2_end - 2, &a->mpls.ethertype, 2);
        llc_len_adjust(p, l2_end, -MPLS_HLEN);
        if (still_mpls) {
            ofs_shift(&b->l3[i], -MPLS_HLEN);
            ofs_shift(&b->l4[i], -MPLS_HLEN);
        } else {
            /* The payload's headers were never parsed. */
            b->l3[i] = l2_end;
            b->l4[i] = DP_LAYER_ABSENT;
        }
    }
    if (still_mpls) {
        b->shape.n_mpls--;
    } else {
        b->shape.n_mpls = 0;
        b->shape.l3 = EXEC_L3_NONE;
        b->shape.l4 = EXEC_L4_NONE;
    }
    batch_compact(b);
}

static void
exec_push_pbb(struct dp_exec_ctx *ctx, struct exec_batch *b,
              const struct ft_dpact *a)
{
    uint32_t isid = ntohl(a->pbb.isid) & PBB_ISID_MASK;

    for (unsigned int i = 0; i < b->n; i++) {
        uint32_t len = rte_pktmbuf_data_len(b->pkts[i]);
        uint32_t pcp = 0;
        be32 itag;
        uint8_t *p;

        if (len < ETH_HLEN || !dp_exec_writable(ctx, b, i)
            || !(p = exec_prepend(ctx, b, i, PBB_HLEN))) {
            continue;
        }
        /* B-DA, B-SA: the customer's addresses (see the header). */
        memcpy(p, p + PBB_HLEN, ETH_ADDRS_LEN);
        *(unaligned_uint16_t *) (void *) (p + ETH_ADDRS_LEN)
            = htons(ETH_TYPE_PBB);
        if (len >= ETH_HLEN + VLAN_HLEN
            && is_vlan_tpid_be(load_be16(p + PBB_HLEN + ETH_ADDRS_LEN))) {
            pcp = (uint32_t) ntohs(load_be16(p + PBB_HLEN + ETH_HLEN))
                  >> VLAN_PCP_SHIFT;
        }
        itag = htonl(pcp << PBB_IPCP_SHIFT | isid);
        memcpy(p + ETH_HLEN, &itag, sizeof itag);
        b->l2_end[i] = ETH_HLEN;
        b->l3[i] = PBB_HLEN;
        b->l4[i] = DP_LAYER_ABSENT;
    }
    memset(&b->shape, 0, sizeof b->shape);
    b->shape.pbb = 1;
    batch_compact(b);
}

static void
exec_pop_pbb(struct dp_exec_ctx *ctx, struct exec_batch *b)
{
    if (!b->shape.pbb) {
        return;
    }
    for (unsigned int i = 0; i < b->n; i++) {
        uint16_t customer = b->l3[i];
        struct rte_mbuf *m;
        uint8_t *p;

        if (customer == DP_LAYER_ABSENT
            || customer + ETH_HLEN > rte_pktmbuf_data_len(b->pkts[i])
            || !dp_exec_writable(ctx, b, i)) {
            continue;
        }
        m = b->pkts[i];
        p = (uint8_t *) rte_pktmbuf_adj(m, customer);
        b->l2_end[i] = wire_l2_end(p, rte_pktmbuf_data_len(m));
        b->l3[i] = DP_LAYER_ABSENT;
        b->l4[i] = DP_LAYER_ABSENT;
    }
    /* Only the customer's addresses are known now. */
    memset(&b->shape, 0, sizeof b->shape);
    batch_compact(b);
}

static void
exec_list(struct exec_run *r, struct exec_batch *b, unsigned int begin,
          unsigned int end, unsigned int depth)
{
    struct dp_exec_ctx *ctx = r->ctx;
    unsigned int i = begin;

    while (i < end && b->n) {
        const struct ft_dpact *a = &r->acts[i];
        uint8_t flags = r->flags[i];

        switch (a->type) {
        case FT_DPACT_OUTPUT:
        case FT_DPACT_CONTROLLER:
            if (!exec_handoff(r, b, a, flags)) {
                return;
            }
            break;

        case FT_DPACT_SET_MASKED: {
            unsigned int j = i + 1;

            while (j < end && r->acts[j].type == FT_DPACT_SET_MASKED) {
                j++;
            }
            dp_exec_set_run(ctx, b, a, j - i);
            batch_compact(b);
            i = j;
            continue;
        }

        case FT_DPACT_PUSH_VLAN:
            exec_push_vlan(ctx, b, a);
            break;
        case FT_DPACT_POP_VLAN:
            exec_pop_vlan(ctx, b);
            break;
        case FT_DPACT_PUSH_MPLS:
            exec_push_mpls(ctx, b, a);
            break;
        case FT_DPACT_POP_MPLS:
            exec_pop_mpls(ctx, b, a);
            break;
        case FT_DPACT_PUSH_PBB:
            exec_push_pbb(ctx, b, a);
            break;
        case FT_DPACT_POP_PBB:
            exec_pop_pbb(ctx, b);
            break;

        case FT_DPACT_METER:
            exec_meter(ctx, b, a);
            break;

        case FT_DPACT_CLONE: {
            unsigned int body_end = clone_body_end(a, i, end);

            if (flags & AF_TOO_DEEP) {
                ctx->stats.drops[DP_EXEC_DROP_INVALID] += b->n;
            } else if (!(flags & AF_BODY_USE)) {
                /* A body that hands nothing off has no effect. */
            } else if (!(flags & AF_USE_AFTER)) {
                /* Nothing after the clone needs the packets: the body
                 * may have them. */
                exec_list(r, b, i + 1, body_end, depth + 1);
                return;
            } else {
                exec_clone(r, b, i, body_end, depth);
            }
            i = body_end;
            continue;
        }

        case FT_DPACT_RECIRC:
            exec_recirc(r, b, a);
            return;

        case FT_DPACT_SET_QUEUE:
            b->queue_id = a->set_queue.queue_id;
            break;

        default:
            break;
        }
        i++;
    }
}

/* Runs the list on one batch and settles what is left of it. */
static unsigned int
exec_batch_run(struct dp_exec_ctx *ctx, const struct ft_dpact *acts,
               unsigned int n_acts, const uint8_t *flags,
               struct exec_batch *b)
{
    struct exec_run r = { .ctx = ctx, .acts = acts, .flags = flags };

    exec_list(&r, b, 0, n_acts, 0);
    if (b->n) {
        /* Packets never handed anywhere were dropped by the list;
         * those left over after a hand-off had been delivered. */
        rte_pktmbuf_free_bulk(b->pkts, b->n);
        if (!r.handed) {
            ctx->stats.drops[DP_EXEC_DROP_ACTION] += b->n;
        }
        b->n = 0;
    }
    return r.handed;
}

unsigned int
dp_execute(struct dp_exec_ctx *ctx, struct rte_mbuf *const pkts[],
           const struct ft_key *const keys[],
           const struct dp_parse_layers layers[], unsigned int n,
           const struct ft_dpact *acts, unsigned int n_acts)
{
    uint8_t flags[DP_EXEC_MAX_ACTS];
    uint16_t order[DP_EXEC_MAX_ACTS];
    struct scan scan = { .acts = acts, .flags = flags, .order = order };
    struct exec_shape shape = { 0 };
    struct exec_batch b;
    unsigned int handed = 0;

    if (unlikely(!n_acts || n_acts > DP_EXEC_MAX_ACTS)) {
        for (unsigned int i = 0; i < n; i++) {
            rte_pktmbuf_free(pkts[i]);
        }
        ctx->stats.drops[n_acts ? DP_EXEC_DROP_INVALID
                                : DP_EXEC_DROP_ACTION] += n;
        return 0;
    }
    if (n_acts == 1 && acts[0].type == FT_DPACT_OUTPUT) {
        /* The most common list: nothing to analyse, batch or copy. */
        ctx->output(ctx->aux, acts[0].output.dp_port, DP_EXEC_QUEUE_NONE,
                    pkts, n);
        return n;
    }
    analyze_scope(&scan, 0, n_acts, 0);

    for (unsigned int start = 0; start < n;) {
        unsigned int run = MIN(n - start, (unsigned int) DP_EXEC_BATCH_MAX);

        if (scan.needs_shape) {
            /* A run ends where the header layout changes. */
            struct exec_shape next;

            shape_of(keys[start], &shape);
            for (unsigned int k = 1; k < run; k++) {
                shape_of(keys[start + k], &next);
                if (!shape_equal(&shape, &next)) {
                    run = k;
                    break;
                }
            }
        }
        batch_init(&b, pkts + start, keys + start, layers + start, run,
                   &shape);
        handed += exec_batch_run(ctx, acts, n_acts, flags, &b);
        start += run;
    }
    return handed;
}
