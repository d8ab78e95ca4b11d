/*
 * ft_xlate_actions.c — what each OpenFlow action does to the packet state
 * of a translation (ft_xlate.c has the walk and the rules of that state).
 *
 * Conventions
 * -----------
 *  - An action that reads a field ORs the bits into the megaflow mask
 *    (xlate_wc_*), except bits the walk itself wrote.
 *  - A modification changes the key and marks its bits pending; anything
 *    that needs the packet as it is (outputs, pushes and pops, packet-ins)
 *    commits first.
 *  - An action whose header prerequisite does not hold on the packet now
 *    (set-field, pop, TTL) is skipped, as Open vSwitch does: flows were
 *    checked against their match, buckets and packet-outs could not be.
 *  - When the key no longer describes the headers an action needs
 *    (struct xlate_pkt 'stale'), the action freezes instead of running.
 *
 * Reserved ports: IN_PORT sends back out the input port; LOCAL is the map's
 * FT_OFPP_LOCAL entry; ALL is every port in the map but the input port;
 * FLOOD the same without ports that are not live (the non-OpenFlow
 * flooding path uses only forwarding ports). Both skip NO_FWD ports, as
 * every output does (OFPPC_NO_FWD: "drop packets forwarded to port").
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "ft_xlate_private.h"

#define ETH_TYPE_IPV4 0x0800
#define ETH_TYPE_IPV6 0x86dd
#define ETH_TYPE_VLAN 0x8100
#define ETH_TYPE_QINQ 0x88a8
#define ETH_TYPE_PBB 0x88e7
#define MPLS_BOS 0x00000100u
#define MPLS_TTL 0x000000ffu
#define MPLS_TC_SHIFT 9

static void
wc_bits(struct xlate_ctx *x, size_t ofs, const void *mask, size_t len)
{
    uint8_t *wc = (uint8_t *) &x->out->wc.masks + ofs;
    const uint8_t *written = (const uint8_t *) &x->pkt.written + ofs;
    const uint8_t *m = mask;

    for (size_t i = 0; i < len; i++) {
        wc[i] |= m[i] & (uint8_t) ~written[i];
    }
}

static void
wc_be32(struct xlate_ctx *x, size_t ofs, uint32_t host_mask)
{
    be32 m = htonl(host_mask);
    wc_bits(x, ofs, &m, sizeof m);
}

static void
set_be32(struct xlate_ctx *x, size_t ofs, uint32_t host_mask)
{
    be32 m = htonl(host_mask);
    xlate_set_bits(x, ofs, &m, sizeof m);
}

static bool
prereq(struct xlate_ctx *x, enum ft_prereq pr)
{
    struct ft_mask m;
    bool holds;

    memset(&m, 0, sizeof m);
    holds = ft_prereq_holds(pr, &x->pkt.key, &m);
    xlate_wc_mask(x, &m);
    return holds;
}

/* ---- outputs ---------------------------------------------------------------- */

static void
emit_output(struct xlate_ctx *x, const struct ft_port *port)
{
    struct ft_dpact *a = xlate_emit(x, FT_DPACT_OUTPUT);

    if (a) {
        a->output.dp_port = port->dp_port;
        xlate_trace(x, "output to port %"PRIu32" (datapath port %"PRIu32")",
                    port->ofp_port, port->dp_port);
    }
}

/* A port NORMAL, FLOOD or ALL may send to, or NULL. */
static const struct ft_port *
usable_port(struct xlate_ctx *x, uint32_t ofp_port, bool to_in_port)
{
    const struct ft_port *port;

    if (!to_in_port && ofp_port == x->pkt.key.in_port) {
        xlate_trace(x, "port %"PRIu32" is the input port: skipped", ofp_port);
        return NULL;
    }
    port = ft_port_map_find(x->ports, ofp_port);
    if (!port) {
        xlate_trace(x, "port %"PRIu32" is not on the bridge: dropped",
                    ofp_port);
        return NULL;
    }
    if (port->config & FT_OFPPC_NO_FWD) {
        xlate_trace(x, "port %"PRIu32" has no_fwd: dropped", ofp_port);
        return NULL;
    }
    return port;
}

static void
output_to(struct xlate_ctx *x, uint32_t ofp_port, bool to_in_port)
{
    const struct ft_port *port = usable_port(x, ofp_port, to_in_port);

    if (port) {
        xlate_commit(x);
        emit_output(x, port);
    }
}

static void
flood(struct xlate_ctx *x, bool all)
{
    for (unsigned int i = 0; i < x->ports->n && !x->error; i++) {
        const struct ft_port *port = &x->ports->ports[i];

        if (port->ofp_port == x->pkt.key.in_port
            || (port->config & FT_OFPPC_NO_FWD) || (!all && !port->live)) {
            continue;
        }
        xlate_commit(x);
        emit_output(x, port);
    }
}

void
xlate_controller(struct xlate_ctx *x, uint16_t max_len, uint8_t reason)
{
    const struct ft_port *in = ft_port_map_find(x->ports,
                                                x->pkt.key.in_port);
    struct ft_dpact *a;

    if (in && (in->config & FT_OFPPC_NO_PACKET_IN)) {
        xlate_trace(x, "packet-in suppressed: port %"PRIu32
                    " has no_packet_in", in->ofp_port);
        return;
    }
    xlate_commit(x);
    xlate_wc_bytes(x, XKOFF(metadata), XKSIZE(metadata));
    a = xlate_emit(x, FT_DPACT_CONTROLLER);
    if (!a) {
        return;
    }
    a->controller.max_len = max_len;
    a->controller.reason = reason;
    a->controller.table_id = x->table_id;
    a->controller.cookie = x->cookie;
    a->controller.metadata = x->pkt.key.metadata;
    x->out->has_controller = true;
    xlate_trace(x, "packet-in (reason %s, table %u, max_len %u)",
                reason == FT_OFPR_NO_MATCH ? "no_match"
                : reason == FT_OFPR_INVALID_TTL ? "invalid_ttl" : "action",
                x->table_id, max_len);
}

/* ---- NORMAL ---------------------------------------------------------------------- */

static void
emit_set_outer_tci(struct xlate_ctx *x, be16 tci)
{
    size_t w = XKOFF(vlans) / 8;
    struct ft_key m, v;
    struct ft_dpact *a;

    memset(&m, 0, sizeof m);
    memset(&v, 0, sizeof v);
    m.vlans[0].tci = htons(FT_VLAN_VID_MASK | FT_VLAN_PCP_MASK);
    v.vlans[0].tci = tci & m.vlans[0].tci;
    a = xlate_emit(x, FT_DPACT_SET_MASKED);
    if (a) {
        a->set.word = (uint32_t) w;
        a->set.mask = ft_key_u64(&m)[w];
        a->set.value = ft_key_u64(&v)[w];
    }
}

/* Makes the datapath's outer tag what a NORMAL output needs ('want': host
 * order, FT_VLAN_PRESENT set for tagged, 0 for untagged). The key keeps
 * the packet as OpenFlow sees it; the next commit puts it back. */
static void
set_outer_vlan(struct xlate_ctx *x, uint16_t want)
{
    struct ft_key *b = &x->pkt.base;
    uint16_t cur = ntohs(b->vlans[0].tci);
    uint16_t bits = FT_VLAN_VID_MASK | FT_VLAN_PCP_MASK;
    struct ft_dpact *a;

    if (want & FT_VLAN_PRESENT) {
        if (!(cur & FT_VLAN_PRESENT)) {
            a = xlate_emit(x, FT_DPACT_PUSH_VLAN);
            if (!a) {
                return;
            }
            a->push_vlan.tpid = htons(ETH_TYPE_VLAN);
            a->push_vlan.tci = htons(want & bits);
            b->vlans[1] = b->vlans[0];
            b->vlans[0].tpid = htons(ETH_TYPE_VLAN);
            b->vlans[0].tci = htons(want);
        } else if ((cur ^ want) & bits) {
            emit_set_outer_tci(x, htons(want));
            b->vlans[0].tci = htons((uint16_t) ((cur & ~bits) | (want & bits)));
        }
    } else if (cur & FT_VLAN_PRESENT) {
        if (!xlate_emit(x, FT_DPACT_POP_VLAN)) {
            return;
        }
        b->vlans[0] = b->vlans[1];
        memset(&b->vlans[1], 0, sizeof b->vlans[1]);
    }
    x->pkt.vlan_dirty = memcmp(b->vlans, x->pkt.key.vlans,
                               sizeof b->vlans) != 0;
}

static void
xlate_normal(struct xlate_ctx *x)
{
    const struct ft_normal_ports *ports;
    struct ft_mac_table *mac;
    struct ft_normal_result res;
    const struct ft_key *k = &x->pkt.key;
    bool learns = x->in->may_learn && !(k->dl_src.ea[0] & 1);

    ft_pipeline_get_normal(x->p, &ports, &mac);
    x->out->uses_normal = true;
    if (!ports || !mac) {
        xlate_trace(x, "NORMAL: not configured: dropped");
        return;
    }
    /* What NORMAL reads: the input port (always exact), both MACs (the
     * source for learning) and the outer tag (VLAN and PCP). */
    xlate_wc_bytes(x, XKOFF(dl_src), XKSIZE(dl_src));
    xlate_wc_bytes(x, XKOFF(dl_dst), XKSIZE(dl_dst));
    xlate_wc_bytes(x, XKOFF(vlans[0].tci), XKSIZE(vlans[0].tci));
    ft_normal_xlate_learn(ports, mac, k, k->in_port, x->in->now_ms,
                          x->in->may_learn, &res);
    if (res.dropped) {
        xlate_trace(x, "NORMAL: input port or VLAN not allowed: dropped");
        return;
    }
    if (learns) {
        x->out->normal_learned = true;
        x->out->normal_mac = x->pkt.key.dl_src;
        x->out->normal_vlan = res.vlan;
        x->out->normal_port = x->pkt.key.in_port;
    }
    xlate_trace(x, "NORMAL: vlan %u, %s, %u outputs", res.vlan,
                res.flooded ? "flooded" : "learned destination",
                res.n_outputs);
    xlate_commit(x);
    for (unsigned int i = 0; i < res.n_outputs && !x->error; i++) {
        const struct ft_port *port = usable_port(x, res.outputs[i].port,
                                                 false);
        if (port) {
            set_outer_vlan(x, res.outputs[i].vlan_tci);
            emit_output(x, port);
        }
    }
}

static void
output(struct xlate_ctx *x, const struct ft_action *a, bool tail)
{
    uint32_t port = a->output.port;

    switch (port) {
    case FT_OFPP_IN_PORT:
        output_to(x, x->pkt.key.in_port, true);
        break;
    case FT_OFPP_TABLE:
        xlate_output_table(x, tail);
        break;
    case FT_OFPP_NORMAL:
        xlate_normal(x);
        break;
    case FT_OFPP_FLOOD:
    case FT_OFPP_ALL:
        flood(x, port == FT_OFPP_ALL);
        break;
    case FT_OFPP_CONTROLLER:
        xlate_controller(x, a->output.max_len,
                         x->miss_entry ? FT_OFPR_NO_MATCH : FT_OFPR_ACTION);
        break;
    case FT_OFPP_LOCAL:
        output_to(x, FT_OFPP_LOCAL, false);
        break;
    default:
        if (port && port <= FT_OFPP_MAX) {
            output_to(x, port, false);
        } else {
            xlate_trace(x, "output to reserved port 0x%"PRIx32": ignored",
                        port);
        }
        break;
    }
}

/* ---- set-field and TTLs ------------------------------------------------------------- */

static void
set_field(struct xlate_ctx *x, const struct ft_set_field *sf)
{
    ft_key_word *pending = ft_key_u64_rw(&x->pkt.pending);
    ft_key_word *written = ft_key_u64_rw(&x->pkt.written);
    const ft_key_word *w;
    struct ft_key bits;

    if (!prereq(x, (enum ft_prereq) sf->prereq)) {
        xlate_trace(x, "prerequisite does not hold: skipped");
        return;
    }
    memset(&bits, 0, sizeof bits);
    ft_set_field_apply(sf, &x->pkt.key, &bits);
    w = ft_key_u64(&bits);
    for (size_t i = 0; i < FT_KEY_U64S; i++) {
        pending[i] |= w[i];
        written[i] |= w[i];
    }
}

/* TTL at or below 1 before a decrement: a packet-in if the switch is so
 * configured, and the end of this packet's processing either way. */
static void
invalid_ttl(struct xlate_ctx *x)
{
    xlate_trace(x, "TTL expired: processing stops");
    if (x->sw.flags & FT_OFPC_INVALID_TTL_TO_CONTROLLER) {
        xlate_controller(x, FT_OFPCML_NO_BUFFER, FT_OFPR_INVALID_TTL);
    }
    x->pkt.stopped = true;
}

static void
dec_nw_ttl(struct xlate_ctx *x)
{
    uint8_t ttl;

    if (!prereq(x, FT_PREREQ_IP_ANY)) {
        xlate_trace(x, "not IP: skipped");
        return;
    }
    xlate_wc_bytes(x, XKOFF(nw_ttl), XKSIZE(nw_ttl));
    ttl = x->pkt.key.nw_ttl;
    if (ttl <= 1) {
        invalid_ttl(x);
        return;
    }
    x->pkt.key.nw_ttl = (uint8_t) (ttl - 1);
    xlate_set_bits(x, XKOFF(nw_ttl), &(uint8_t) { 0xff }, 1);
    xlate_trace(x, "nw_ttl %u → %u", ttl, ttl - 1);
}

static void
set_nw_ttl(struct xlate_ctx *x, uint8_t ttl)
{
    if (!prereq(x, FT_PREREQ_IP_ANY)) {
        xlate_trace(x, "not IP: skipped");
        return;
    }
    x->pkt.key.nw_ttl = ttl;
    xlate_set_bits(x, XKOFF(nw_ttl), &(uint8_t) { 0xff }, 1);
}

static uint8_t
lse_ttl(be32 lse)
{
    return (uint8_t) (ntohl(lse) & MPLS_TTL);
}

static void
set_lse_ttl(struct xlate_ctx *x, unsigned int i, uint8_t ttl)
{
    be32 *lse = &x->pkt.key.mpls_lse[i];

    *lse = htonl((ntohl(*lse) & ~MPLS_TTL) | ttl);
    set_be32(x, XKOFF(mpls_lse[i]), MPLS_TTL);
}

static void
dec_mpls_ttl(struct xlate_ctx *x)
{
    uint8_t ttl;

    if (!prereq(x, FT_PREREQ_MPLS)) {
        xlate_trace(x, "not MPLS: skipped");
        return;
    }
    wc_be32(x, XKOFF(mpls_lse[0]), MPLS_TTL);
    ttl = lse_ttl(x->pkt.key.mpls_lse[0]);
    if (ttl <= 1) {
        invalid_ttl(x);
        return;
    }
    set_lse_ttl(x, 0, (uint8_t) (ttl - 1));
    xlate_trace(x, "mpls_ttl %u → %u", ttl, ttl - 1);
}

static void
set_mpls_ttl(struct xlate_ctx *x, uint8_t ttl)
{
    if (!prereq(x, FT_PREREQ_MPLS)) {
        xlate_trace(x, "not MPLS: skipped");
        return;
    }
    set_lse_ttl(x, 0, ttl);
}

static bool
top_is_bos(struct xlate_ctx *x)
{
    wc_be32(x, XKOFF(mpls_lse[0]), MPLS_BOS);
    return x->pkt.key.mpls_lse[0] & htonl(MPLS_BOS);
}

static bool
inner_is_ip(const struct xlate_pkt *k)
{
    return k->inner_known && (k->inner_dl_type == htons(ETH_TYPE_IPV4)
                              || k->inner_dl_type == htons(ETH_TYPE_IPV6));
}

/* Copies the TTL of the header under the outermost one out to it. The
 * key knows the next header's TTL for a label above another one, and for
 * IP under the bottom label only when this walk pushed that label; other
 * cases (IP in IP, a received MPLS packet's IP) leave the TTL alone. */
static void
copy_ttl_out(struct xlate_ctx *x)
{
    uint8_t ttl;

    if (!prereq(x, FT_PREREQ_MPLS)) {
        xlate_trace(x, "no MPLS outer header: skipped");
        return;
    }
    if (!top_is_bos(x) && x->pkt.mpls_in_key >= 2) {
        wc_be32(x, XKOFF(mpls_lse[1]), MPLS_TTL);
        ttl = lse_ttl(x->pkt.key.mpls_lse[1]);
    } else if (x->pkt.key.mpls_lse[0] & htonl(MPLS_BOS)
               && inner_is_ip(&x->pkt)) {
        xlate_wc_bytes(x, XKOFF(nw_ttl), XKSIZE(nw_ttl));
        ttl = x->pkt.key.nw_ttl;
    } else {
        xlate_trace(x, "inner TTL not known: skipped");
        return;
    }
    set_lse_ttl(x, 0, ttl);
}

/* Copies the outer label's TTL into the next label. An IP header under
 * the bottom label is not rewritten (the datapath edits only the headers
 * it parsed, and it does not parse under MPLS). */
static void
copy_ttl_in(struct xlate_ctx *x)
{
    if (!prereq(x, FT_PREREQ_MPLS)) {
        xlate_trace(x, "no MPLS outer header: skipped");
        return;
    }
    if (top_is_bos(x) || x->pkt.mpls_in_key < 2) {
        xlate_trace(x, "no inner label: skipped");
        return;
    }
    wc_be32(x, XKOFF(mpls_lse[0]), MPLS_TTL);
    set_lse_ttl(x, 1, lse_ttl(x->pkt.key.mpls_lse[0]));
}

/* ---- pushes and pops ------------------------------------------------------------------ */

static void
mark_stale(struct xlate_ctx *x, enum xlate_stale level)
{
    if (x->pkt.stale < level) {
        x->pkt.stale = (uint8_t) level;
    }
}

/* The key's tags after a push or pop: read as a whole first (they move,
 * so a later read of a moved tag reads these input bits), then the walk's
 * own. The datapath does the same to its packet. */
static void
vlans_moved(struct xlate_ctx *x)
{
    memcpy(x->pkt.base.vlans, x->pkt.key.vlans, sizeof x->pkt.key.vlans);
    xlate_written(x, XKOFF(vlans), XKSIZE(vlans));
}

static void
push_vlan(struct xlate_ctx *x, uint16_t tpid)
{
    struct xlate_pkt *k = &x->pkt;
    be16 bits = htons(FT_VLAN_VID_MASK | FT_VLAN_PCP_MASK);
    struct ft_dpact *a;
    be16 tci = 0;

    xlate_commit(x);
    xlate_wc_bytes(x, XKOFF(vlans), XKSIZE(vlans));
    if (ft_key_has_vlan(&k->key)) {
        tci = k->key.vlans[0].tci & bits;   /* new tag copies VID, PCP */
    }
    a = xlate_emit(x, FT_DPACT_PUSH_VLAN);
    if (!a) {
        return;
    }
    a->push_vlan.tpid = htons(tpid);
    a->push_vlan.tci = tci;
    if (k->key.vlans[1].tci & htons(FT_VLAN_PRESENT)) {
        if (k->n_vlan_hidden < XLATE_MAX_HIDDEN) {
            k->vlan_hidden[k->n_vlan_hidden++] = k->key.vlans[1];
        } else {
            mark_stale(x, XLATE_STALE_ALL);
        }
    }
    k->key.vlans[1] = k->key.vlans[0];
    k->key.vlans[0].tpid = htons(tpid);
    k->key.vlans[0].tci = tci | htons(FT_VLAN_PRESENT);
    vlans_moved(x);
}

static void
pop_vlan(struct xlate_ctx *x)
{
    struct xlate_pkt *k = &x->pkt;
    bool deeper_unknown = false;

    xlate_wc_bytes(x, XKOFF(vlans), XKSIZE(vlans));
    if (!ft_key_has_vlan(&k->key)) {
        xlate_trace(x, "no VLAN tag: skipped");
        return;
    }
    xlate_commit(x);
    if (!xlate_emit(x, FT_DPACT_POP_VLAN)) {
        return;
    }
    if (k->vlan_inner_unknown) {
        mark_stale(x, XLATE_STALE_ALL);     /* the new outer tag */
    }
    if (!k->n_vlan_hidden && k->key.vlans[1].tci & htons(FT_VLAN_PRESENT)) {
        /* A third tag the key never held lies under the second one when
         * the Ethertype after the tags is itself a tag. */
        xlate_wc_bytes(x, XKOFF(dl_type), XKSIZE(dl_type));
        deeper_unknown = k->key.dl_type == htons(ETH_TYPE_VLAN)
                         || k->key.dl_type == htons(ETH_TYPE_QINQ);
    }
    k->key.vlans[0] = k->key.vlans[1];
    if (k->n_vlan_hidden) {
        k->key.vlans[1] = k->vlan_hidden[--k->n_vlan_hidden];
    } else {
        memset(&k->key.vlans[1], 0, sizeof k->key.vlans[1]);
    }
    k->vlan_inner_unknown = deeper_unknown;
    vlans_moved(x);
}

static void
mpls_moved(struct xlate_ctx *x)
{
    struct xlate_pkt *k = &x->pkt;

    memcpy(k->base.mpls_lse, k->key.mpls_lse, sizeof k->key.mpls_lse);
    k->base.dl_type = k->key.dl_type;
    xlate_written(x, XKOFF(mpls_lse), XKSIZE(mpls_lse));
    xlate_written(x, XKOFF(dl_type), XKSIZE(dl_type));
}

/* PUSH_MPLS (OpenFlow 1.3.5 §5.12.1 defaults): onto a label, a copy of it
 * without BOS; otherwise label 0, TC from the IP precedence and TTL from
 * the IP TTL (0 for non-IP), bottom of stack. */
static void
push_mpls(struct xlate_ctx *x, uint16_t ethertype)
{
    struct xlate_pkt *k = &x->pkt;
    struct ft_dpact *a;
    be32 lse;

    xlate_commit(x);
    xlate_wc_bytes(x, XKOFF(mpls_lse), XKSIZE(mpls_lse));
    if (prereq(x, FT_PREREQ_MPLS)) {
        lse = k->key.mpls_lse[0] & ~htonl(MPLS_BOS);
    } else {
        uint32_t ttl = 0, tc = 0;

        if (prereq(x, FT_PREREQ_IP_ANY)) {
            xlate_wc_bytes(x, XKOFF(nw_ttl), XKSIZE(nw_ttl));
            wc_bits(x, XKOFF(nw_tos), &(uint8_t) { 0xe0 }, 1);
            ttl = k->key.nw_ttl;
            tc = k->key.nw_tos >> 5;
        }
        lse = htonl(tc << MPLS_TC_SHIFT | MPLS_BOS | ttl);
        k->inner_known = true;
        k->inner_dl_type = k->key.dl_type;
        k->mpls_in_key = 0;
        k->n_mpls_hidden = 0;
        memset(k->key.mpls_lse, 0, sizeof k->key.mpls_lse);
    }
    a = xlate_emit(x, FT_DPACT_PUSH_MPLS);
    if (!a) {
        return;
    }
    a->mpls.ethertype = htons(ethertype);
    a->mpls.lse = lse;
    if (k->mpls_in_key >= FT_MPLS_MAX) {
        if (k->n_mpls_hidden < XLATE_MAX_HIDDEN) {
            k->mpls_hidden[k->n_mpls_hidden++] = k->key.mpls_lse[2];
        } else {
            mark_stale(x, XLATE_STALE_ALL);
        }
    }
    memmove(&k->key.mpls_lse[1], &k->key.mpls_lse[0],
            (FT_MPLS_MAX - 1) * sizeof k->key.mpls_lse[0]);
    k->key.mpls_lse[0] = lse;
    if (k->mpls_in_key < FT_MPLS_MAX) {
        k->mpls_in_key++;
    }
    k->key.dl_type = htons(ethertype);
    mpls_moved(x);
}

static void
pop_mpls(struct xlate_ctx *x, uint16_t ethertype)
{
    struct xlate_pkt *k = &x->pkt;
    struct ft_dpact *a;

    if (!prereq(x, FT_PREREQ_MPLS)) {
        xlate_trace(x, "not MPLS: skipped");
        return;
    }
    xlate_commit(x);
    xlate_wc_bytes(x, XKOFF(mpls_lse), XKSIZE(mpls_lse));
    a = xlate_emit(x, FT_DPACT_POP_MPLS);
    if (!a) {
        return;
    }
    a->mpls.ethertype = htons(ethertype);
    if (k->key.mpls_lse[0] & htonl(MPLS_BOS)) {
        if (!k->inner_known || k->inner_dl_type != htons(ethertype)) {
            /* The key never held what lies under the stack. */
            mark_stale(x, XLATE_STALE_L3);
        }
        memset(k->key.mpls_lse, 0, sizeof k->key.mpls_lse);
        k->mpls_in_key = 0;
        k->n_mpls_hidden = 0;
        k->inner_known = false;
    } else {
        memmove(&k->key.mpls_lse[0], &k->key.mpls_lse[1],
                (FT_MPLS_MAX - 1) * sizeof k->key.mpls_lse[0]);
        if (k->n_mpls_hidden) {
            k->key.mpls_lse[FT_MPLS_MAX - 1]
                = k->mpls_hidden[--k->n_mpls_hidden];
        } else {
            k->key.mpls_lse[FT_MPLS_MAX - 1] = 0;
            if (k->mpls_in_key) {
                k->mpls_in_key--;
            }
        }
        if (!k->mpls_in_key) {
            mark_stale(x, XLATE_STALE_L3);  /* a label the key never held */
        }
    }
    k->key.dl_type = htons(ethertype);
    mpls_moved(x);
}

/* PUSH_PBB: the frame so far becomes the customer frame behind a new
 * I-TAG (I-SID copied from an existing one, else 0) and outer MACs equal
 * to its own; tags and labels are now inside, out of the key's reach. */
static void
push_pbb(struct xlate_ctx *x, uint16_t ethertype)
{
    struct xlate_pkt *k = &x->pkt;
    struct ft_dpact *a;
    be32 isid = 0;

    xlate_commit(x);
    if (prereq(x, FT_PREREQ_PBB)) {
        xlate_wc_bytes(x, XKOFF(pbb_isid), XKSIZE(pbb_isid));
        isid = k->key.pbb_isid;
    }
    a = xlate_emit(x, FT_DPACT_PUSH_PBB);
    if (!a) {
        return;
    }
    a->pbb.isid = isid;
    memset(k->key.vlans, 0, sizeof k->key.vlans);
    memset(k->key.mpls_lse, 0, sizeof k->key.mpls_lse);
    k->n_vlan_hidden = 0;
    k->vlan_inner_unknown = false;
    k->mpls_in_key = 0;
    k->n_mpls_hidden = 0;
    k->inner_known = false;
    k->key.dl_type = htons(ethertype);
    k->key.pbb_isid = isid;
    k->key.pbb_uca = 0;
    k->base.pbb_isid = isid;
    k->base.pbb_uca = 0;
    vlans_moved(x);
    mpls_moved(x);
    xlate_written(x, XKOFF(pbb_isid), XKSIZE(pbb_isid));
    xlate_written(x, XKOFF(pbb_uca), XKSIZE(pbb_uca));
}

static void
pop_pbb(struct xlate_ctx *x)
{
    if (!prereq(x, FT_PREREQ_PBB)) {
        xlate_trace(x, "not PBB: skipped");
        return;
    }
    xlate_commit(x);
    if (xlate_emit(x, FT_DPACT_POP_PBB)) {
        mark_stale(x, XLATE_STALE_ALL);     /* the customer frame */
    }
}

/* ---- dispatch ---------------------------------------------------------------------------- */

/* Does 'a' need headers the key no longer describes? */
static bool
needs_fresh_key(const struct xlate_ctx *x, const struct ft_action *a)
{
    uint8_t stale = x->pkt.stale;

    if (!stale) {
        return false;
    }
    switch (a->type) {
    case FT_OFPAT_OUTPUT:
        return a->output.port == FT_OFPP_NORMAL
               || a->output.port == FT_OFPP_TABLE;
    case FT_OFPAT_SET_QUEUE:
    case FT_OFPAT_GROUP:            /* SELECT freezes in xlate_group */
        return false;
    case FT_OFPAT_SET_FIELD:
        return stale == XLATE_STALE_ALL
               || (a->set_field.prereq != FT_PREREQ_NONE
                   && a->set_field.prereq != FT_PREREQ_VLAN);
    case FT_OFPAT_PUSH_VLAN:
    case FT_OFPAT_POP_VLAN:
        return stale == XLATE_STALE_ALL;
    default:                        /* TTLs, MPLS, PBB */
        return true;
    }
}

static void
trace_action(struct xlate_ctx *x, const struct ft_action *a)
{
    struct ft_action_list l = { .acts = (struct ft_action *) a, .n = 1 };
    char buf[256];

    if (x->in->trace) {
        ft_action_list_format(&l, buf, sizeof buf);
        xlate_trace(x, "%s", buf);
    }
}

void
xlate_action(struct xlate_ctx *x, const struct ft_action *a, bool tail)
{
    struct ft_dpact *d;

    if (needs_fresh_key(x, a)) {
        xlate_freeze_begin(x);
        xlate_freeze_action(x, a);
        return;
    }
    trace_action(x, a);
    switch (a->type) {
    case FT_OFPAT_OUTPUT:
        output(x, a, tail);
        break;
    case FT_OFPAT_GROUP:
        xlate_group(x, a, tail);
        break;
    case FT_OFPAT_SET_FIELD:
        set_field(x, &a->set_field);
        break;
    case FT_OFPAT_PUSH_VLAN:
        push_vlan(x, a->ethertype);
        break;
    case FT_OFPAT_POP_VLAN:
        pop_vlan(x);
        break;
    case FT_OFPAT_PUSH_MPLS:
        push_mpls(x, a->ethertype);
        break;
    case FT_OFPAT_POP_MPLS:
        pop_mpls(x, a->ethertype);
        break;
    case FT_OFPAT_PUSH_PBB:
        push_pbb(x, a->ethertype);
        break;
    case FT_OFPAT_POP_PBB:
        pop_pbb(x);
        break;
    case FT_OFPAT_SET_MPLS_TTL:
        set_mpls_ttl(x, a->ttl);
        break;
    case FT_OFPAT_DEC_MPLS_TTL:
        dec_mpls_ttl(x);
        break;
    case FT_OFPAT_SET_NW_TTL:
        set_nw_ttl(x, a->ttl);
        break;
    case FT_OFPAT_DEC_NW_TTL:
        dec_nw_ttl(x);
        break;
    case FT_OFPAT_COPY_TTL_OUT:
        copy_ttl_out(x);
        break;
    case FT_OFPAT_COPY_TTL_IN:
        copy_ttl_in(x);
        break;
    case FT_OFPAT_SET_QUEUE:
        d = xlate_emit(x, FT_DPACT_SET_QUEUE);
        if (d) {
            d->set_queue.queue_id = a->queue_id;
        }
        break;
    default:
        xlate_trace(x, "unknown action type %u: ignored", a->type);
        break;
    }
}
