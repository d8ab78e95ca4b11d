/*
 * exec_testlib.c — harness of the execution tests (see exec_testlib.h).
 */
#include "exec_testlib.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ip.h>
#include <rte_lcore.h>
#include <rte_mempool.h>

#define POOL_SIZE 4095

struct rte_mempool *test_pool;
struct capture cap;
static unsigned int pool_in_use_at_setup;

int
exec_test_init(const char *argv0)
{
    char *eal_args[] = {
        (char *) argv0, "--no-huge", "--no-pci", "--no-shconf",
        "--no-telemetry", "-m", "256", "--log-level=1", "-l", "0",
    };

    if (rte_eal_init((int) RTE_DIM(eal_args), eal_args) < 0) {
        fprintf(stderr, "EAL init failed\n");
        return -1;
    }
    test_pool = rte_pktmbuf_pool_create("exec_test", POOL_SIZE, 0, 0,
                                        RTE_MBUF_DEFAULT_BUF_SIZE,
                                        (int) rte_socket_id());
    if (!test_pool) {
        fprintf(stderr, "mbuf pool: %s\n", rte_strerror(rte_errno));
        return -1;
    }
    return 0;
}

void
exec_test_fini(void)
{
    rte_mempool_free(test_pool);
    rte_eal_cleanup();
}

int
exec_test_setup(void **state)
{
    (void) state;
    memset(&cap, 0, sizeof cap);
    pool_in_use_at_setup = rte_mempool_in_use_count(test_pool);
    return 0;
}

int
exec_test_teardown(void **state)
{
    (void) state;
    cap_reset();
    if (rte_mempool_in_use_count(test_pool) != pool_in_use_at_setup) {
        fprintf(stderr, "mbuf leak: %u in use, %u at setup\n",
                rte_mempool_in_use_count(test_pool), pool_in_use_at_setup);
        return -1;
    }
    return 0;
}

void
assert_no_leaks(void)
{
    assert_int_equal(rte_mempool_in_use_count(test_pool),
                     pool_in_use_at_setup);
}

/* ---- packets ------------------------------------------------------------- */

struct rte_mbuf *
mbuf_from(const void *data, uint32_t len)
{
    struct rte_mbuf *m = rte_pktmbuf_alloc(test_pool);
    char *p;

    assert_non_null(m);
    p = rte_pktmbuf_append(m, (uint16_t) len);
    assert_non_null(p);
    memcpy(p, data, len);
    return m;
}

void
tb_add_mbuf(struct test_batch *tb, struct rte_mbuf *m)
{
    unsigned int i = tb->n++;

    assert_true(i < TB_MAX);
    tb->pkts[i] = m;
    dp_parse_mbuf(m, 1, &tb->keys[i], &tb->layers[i]);
    tb->key_ptrs[i] = &tb->keys[i];
}

void
tb_add(struct test_batch *tb, const void *data, uint32_t len)
{
    tb_add_mbuf(tb, mbuf_from(data, len));
}

void
tb_add_frame(struct test_batch *tb, const struct frame *f)
{
    tb_add(tb, f->data, f->len);
}

unsigned int
tb_execute(struct dp_exec_ctx *ctx, struct test_batch *tb,
           const struct ft_dpact *acts, unsigned int n_acts)
{
    unsigned int handed = dp_execute(ctx, tb->pkts, tb->key_ptrs, tb->layers,
                                     tb->n, acts, n_acts);
    tb->n = 0;
    return handed;
}

/* ---- common frames and checks -------------------------------------------- */

struct frame
ipv4_tcp(uint8_t tos)
{
    struct frame f;
    uint32_t ip;

    fr_init(&f);
    fr_eth(&f, MAC_B, MAC_A, 0x0800);
    ip = fr_ipv4(&f, 6, IP4_A, IP4_B, tos, 64, 0x4000, 0);
    fr_tcp(&f, 1234, 80, 0x018, 5);
    fr_zeros(&f, 12);
    fr_ipv4_end(&f, ip);
    fill_checksums(f.data, f.len, false);
    return f;
}

struct frame
ipv6_udp(uint8_t tclass)
{
    struct frame f;
    uint32_t ip;

    fr_init(&f);
    fr_eth(&f, MAC_B, MAC_A, 0x86dd);
    ip = fr_ipv6(&f, 17, IP6_A, IP6_B, tclass, 0x12345, 64);
    fr_udp(&f, 1000, 2000);
    fr_zeros(&f, 10);
    fr_ipv6_end(&f, ip);
    fill_checksums(f.data, f.len, false);
    return f;
}

struct frame
vlan_ipv4_udp(void)
{
    struct frame f;
    uint32_t ip;

    fr_init(&f);
    fr_eth(&f, MAC_B, MAC_A, 0x8100);
    fr_vlan(&f, 0x6064, 0x0800);
    ip = fr_ipv4(&f, 17, IP4_A, IP4_B, 0, 64, 0, 0);
    fr_udp(&f, 53, 5353);
    fr_zeros(&f, 6);
    fr_ipv4_end(&f, ip);
    fill_checksums(f.data, f.len, false);
    return f;
}

void
add_n(struct test_batch *tb, const struct frame *f, unsigned int n)
{
    for (unsigned int i = 0; i < n; i++) {
        tb_add_frame(tb, f);
    }
}

struct ft_key
parsed(const struct captured *c)
{
    struct ft_key k;
    struct dp_parse_layers l;

    dp_parse(c->data, c->len, &k, &l);
    return k;
}

void
assert_checksums(const struct captured *c)
{
    char why[128];

    if (!verify_checksums(c->data, c->len, why, sizeof why)) {
        fail_msg("bad %s", why);
    }
}

/* ---- sinks ----------------------------------------------------------------- */

static struct captured *
cap_next(enum cap_kind kind, struct rte_mbuf *m)
{
    struct captured *c;

    assert_true(cap.n < CAP_MAX);
    c = &cap.c[cap.n++];
    memset(c, 0, offsetof(struct captured, data));
    c->kind = kind;
    c->m = m;
    c->refcnt = rte_mbuf_refcnt_read(m);
    c->len = rte_pktmbuf_data_len(m);
    assert_true(c->len <= FRAME_MAX);
    assert_int_equal(c->len, rte_pktmbuf_pkt_len(m));
    memcpy(c->data, rte_pktmbuf_mtod(m, void *), c->len);
    return c;
}

static void
sink_output(void *aux, uint32_t port, uint32_t queue,
            struct rte_mbuf *const pkts[], unsigned int n)
{
    assert_ptr_equal(aux, &cap);
    assert_true(n >= 1 && n <= DP_EXEC_BATCH_MAX);
    cap.calls++;
    for (unsigned int i = 0; i < n; i++) {
        struct captured *c = cap_next(CAP_OUTPUT, pkts[i]);

        c->port = port;
        c->queue = queue;
    }
}

static void
sink_controller(void *aux, const struct ft_dpact *act,
                struct rte_mbuf *const pkts[],
                const struct ft_key *const keys[],
                const struct dp_exec_meta *meta, unsigned int n)
{
    assert_ptr_equal(aux, &cap);
    assert_true(n >= 1 && n <= DP_EXEC_BATCH_MAX);
    cap.calls++;
    for (unsigned int i = 0; i < n; i++) {
        struct captured *c = cap_next(CAP_CONTROLLER, pkts[i]);

        c->act = *act;
        c->key = *keys[i];
        c->meta = *meta;
    }
}

static void
sink_recirc(void *aux, uint32_t recirc_id, struct rte_mbuf *const pkts[],
            const struct ft_key *const keys[],
            const struct dp_exec_meta *meta, unsigned int n)
{
    assert_ptr_equal(aux, &cap);
    assert_true(n >= 1 && n <= DP_EXEC_BATCH_MAX);
    cap.calls++;
    for (unsigned int i = 0; i < n; i++) {
        struct captured *c = cap_next(CAP_RECIRC, pkts[i]);

        c->recirc_id = recirc_id;
        c->key = *keys[i];
        c->meta = *meta;
    }
}

void
test_ctx_init(struct dp_exec_ctx *ctx)
{
    memset(ctx, 0, sizeof *ctx);
    ctx->output = sink_output;
    ctx->controller = sink_controller;
    ctx->recirculate = sink_recirc;
    ctx->aux = &cap;
    ctx->pool = test_pool;
    ctx->now_ns = 1000000000ull;
}

void
cap_reset(void)
{
    for (unsigned int i = 0; i < cap.n; i++) {
        rte_pktmbuf_free(cap.c[i].m);
    }
    cap.n = 0;
    cap.calls = 0;
}

unsigned int
cap_for_port(uint32_t port, const struct captured **out, unsigned int max)
{
    unsigned int k = 0;

    for (unsigned int i = 0; i < cap.n; i++) {
        if (cap.c[i].kind == CAP_OUTPUT && cap.c[i].port == port) {
            assert_true(k < max);
            out[k++] = &cap.c[i];
        }
    }
    return k;
}

/* ---- actions ----------------------------------------------------------- */

static struct ft_dpact
act_of(enum ft_dpact_type type)
{
    struct ft_dpact a;

    memset(&a, 0, sizeof a);
    a.type = (uint8_t) type;
    return a;
}

struct ft_dpact
act_output(uint32_t port)
{
    struct ft_dpact a = act_of(FT_DPACT_OUTPUT);

    a.output.dp_port = port;
    return a;
}

struct ft_dpact
act_set(unsigned int word, uint64_t value, uint64_t mask)
{
    struct ft_dpact a = act_of(FT_DPACT_SET_MASKED);

    a.set.word = word;
    a.set.value = value & mask;
    a.set.mask = mask;
    return a;
}

unsigned int
act_set_field(struct ft_dpact *out, size_t field_ofs, size_t len,
              const void *value)
{
    struct ft_key v, m;
    unsigned int n = 0;

    memset(&v, 0, sizeof v);
    memset(&m, 0, sizeof m);
    memcpy((uint8_t *) &v + field_ofs, value, len);
    memset((uint8_t *) &m + field_ofs, 0xff, len);
    for (size_t w = field_ofs / 8; w <= (field_ofs + len - 1) / 8; w++) {
        out[n++] = act_set((unsigned int) w, ft_key_u64(&v)[w],
                           ft_key_u64(&m)[w]);
    }
    return n;
}

struct ft_dpact
act_push_vlan(uint16_t tpid, uint16_t tci)
{
    struct ft_dpact a = act_of(FT_DPACT_PUSH_VLAN);

    a.push_vlan.tpid = htons(tpid);
    a.push_vlan.tci = htons(tci);
    return a;
}

struct ft_dpact
act_pop_vlan(void)
{
    return act_of(FT_DPACT_POP_VLAN);
}

struct ft_dpact
act_push_mpls(uint16_t ethertype, uint32_t lse)
{
    struct ft_dpact a = act_of(FT_DPACT_PUSH_MPLS);

    a.mpls.ethertype = htons(ethertype);
    a.mpls.lse = htonl(lse);
    return a;
}

struct ft_dpact
act_pop_mpls(uint16_t ethertype)
{
    struct ft_dpact a = act_of(FT_DPACT_POP_MPLS);

    a.mpls.ethertype = htons(ethertype);
    return a;
}

struct ft_dpact
act_push_pbb(uint32_t isid)
{
    struct ft_dpact a = act_of(FT_DPACT_PUSH_PBB);

    a.pbb.isid = htonl(isid);
    return a;
}

struct ft_dpact
act_pop_pbb(void)
{
    return act_of(FT_DPACT_POP_PBB);
}

struct ft_dpact
act_clone(uint32_t n)
{
    struct ft_dpact a = act_of(FT_DPACT_CLONE);

    a.clone.n = n;
    return a;
}

struct ft_dpact
act_recirc(uint32_t id)
{
    struct ft_dpact a = act_of(FT_DPACT_RECIRC);

    a.recirc.id = id;
    return a;
}

struct ft_dpact
act_controller(uint16_t max_len, uint8_t reason, uint8_t table_id,
               uint64_t cookie)
{
    struct ft_dpact a = act_of(FT_DPACT_CONTROLLER);

    a.controller.max_len = max_len;
    a.controller.reason = reason;
    a.controller.table_id = table_id;
    a.controller.cookie = cookie;
    return a;
}

struct ft_dpact
act_set_queue(uint32_t queue)
{
    struct ft_dpact a = act_of(FT_DPACT_SET_QUEUE);

    a.set_queue.queue_id = queue;
    return a;
}

struct ft_dpact
act_meter(struct ft_meter *meter)
{
    struct ft_dpact a = act_of(FT_DPACT_METER);

    a.meter.meter = meter;
    return a;
}

/* ---- checksums ----------------------------------------------------------- */

uint32_t
crc32c_bitwise(const uint8_t *data, size_t len)
{
    uint32_t crc = 0xffffffff;

    for (size_t i = 0; i < len; i++) {
        crc ^= data[i];
        for (int b = 0; b < 8; b++) {
            crc = crc & 1 ? (crc >> 1) ^ 0x82f63b78 : crc >> 1;
        }
    }
    return ~crc;
}

static uint16_t
rd16(const uint8_t *p)
{
    return (uint16_t) (p[0] << 8 | p[1]);
}

static void
wr16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t) (v >> 8);
    p[1] = (uint8_t) v;
}

/* Big-endian 16-bit word sum of data[0..len) (odd tail padded), unfolded. */
static uint32_t
be_sum(const uint8_t *data, size_t len, uint32_t sum)
{
    for (size_t i = 0; i + 1 < len; i += 2) {
        sum += rd16(data + i);
    }
    if (len & 1) {
        sum += (uint32_t) data[len - 1] << 8;
    }
    return sum;
}

static uint16_t
fold(uint32_t sum)
{
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return (uint16_t) sum;
}

/* Where the checksummed parts of a frame are. */
struct csum_view {
    bool ipv4, ipv6;
    uint32_t l3, l4, end;       /* end of the IP packet */
    uint8_t proto;
    bool l4_ok;                 /* an L4 header to check */
    uint8_t final_dst[16];      /* IPv6 pseudo-header destination */
};

static bool
csum_view(const uint8_t *data, uint32_t len, struct csum_view *v)
{
    struct ft_key key;
    struct dp_parse_layers layers;

    memset(v, 0, sizeof *v);
    dp_parse(data, len, &key, &layers);
    if (layers.l3_ofs == DP_LAYER_ABSENT) {
        return false;
    }
    v->l3 = layers.l3_ofs;
    if (key.dl_type == htons(0x0800)) {
        v->ipv4 = true;
        v->end = v->l3 + rd16(data + v->l3 + 2);
    } else if (key.dl_type == htons(0x86dd)) {
        v->ipv6 = true;
        v->end = v->l3 + 40 + rd16(data + v->l3 + 4);
        memcpy(v->final_dst, data + v->l3 + 24, 16);
        /* RFC 8200 8.1: with a routing header that has segments left the
         * pseudo-header carries the final destination. These test frames
         * keep it in the routing header's last 16 bytes, or nowhere (then
         * zeros: any constant works, it only must not be the field). */
        uint32_t ofs = v->l3 + 40;
        uint8_t next = data[v->l3 + 6];
        while (ofs + 8 <= v->end && layers.l4_ofs != DP_LAYER_ABSENT
               && ofs < layers.l4_ofs) {
            uint32_t hl = next == 51 ? (data[ofs + 1] + 2u) * 4
                          : next == 44 ? 8 : (data[ofs + 1] + 1u) * 8;
            if (next == 43 && data[ofs + 3]) {
                if (hl >= 24) {
                    memcpy(v->final_dst, data + ofs + hl - 16, 16);
                } else {
                    memset(v->final_dst, 0, 16);
                }
            }
            next = data[ofs];
            ofs += hl;
        }
    } else {
        return false;
    }
    v->proto = key.nw_proto;
    v->l4 = layers.l4_ofs;
    v->l4_ok = layers.l4_ofs != DP_LAYER_ABSENT
               && layers.payload_ofs != DP_LAYER_ABSENT;
    return true;
}

static uint32_t
pseudo_sum(const uint8_t *data, const struct csum_view *v)
{
    uint32_t l4_len = v->end - v->l4;
    uint32_t sum = 0;

    if (v->ipv4) {
        sum = be_sum(data + v->l3 + 12, 8, 0);
        sum += v->proto;
        sum += l4_len;
    } else {
        sum = be_sum(data + v->l3 + 8, 16, 0);
        sum = be_sum(v->final_dst, 16, sum);
        sum += l4_len >> 16;
        sum += l4_len & 0xffff;
        sum += v->proto;
    }
    return sum;
}

static int
csum_ofs(uint8_t proto)
{
    switch (proto) {
    case 6: return 16;
    case 17: return 6;
    case 1: case 58: return 2;
    case 132: return 8;
    default: return -1;
    }
}

int64_t
l4_csum_field(const uint8_t *data, uint32_t len)
{
    struct csum_view v;
    int ofs;

    if (!csum_view(data, len, &v) || !v.l4_ok
        || (ofs = csum_ofs(v.proto)) < 0) {
        return -1;
    }
    if (v.proto == 132) {
        return (int64_t) data[v.l4 + 8] | (int64_t) data[v.l4 + 9] << 8
               | (int64_t) data[v.l4 + 10] << 16
               | (int64_t) data[v.l4 + 11] << 24;
    }
    return rd16(data + v.l4 + ofs);
}

void
fill_checksums(uint8_t *data, uint32_t len, bool keep_udp_zero)
{
    struct csum_view v;
    int ofs;

    if (!csum_view(data, len, &v)) {
        return;
    }
    if (v.ipv4) {
        uint32_t hlen = (data[v.l3] & 0x0f) * 4u;

        wr16(data + v.l3 + 10, 0);
        wr16(data + v.l3 + 10, (uint16_t) ~fold(be_sum(data + v.l3, hlen, 0)));
    }
    if (!v.l4_ok || (ofs = csum_ofs(v.proto)) < 0
        || (v.proto == 1 && !v.ipv4) || (v.proto == 58 && !v.ipv6)) {
        return;
    }
    if (v.proto == 132) {
        uint32_t crc;

        memset(data + v.l4 + 8, 0, 4);
        crc = crc32c_bitwise(data + v.l4, v.end - v.l4);
        data[v.l4 + 8] = (uint8_t) crc;
        data[v.l4 + 9] = (uint8_t) (crc >> 8);
        data[v.l4 + 10] = (uint8_t) (crc >> 16);
        data[v.l4 + 11] = (uint8_t) (crc >> 24);
        return;
    }
    if (v.proto == 17 && keep_udp_zero && !rd16(data + v.l4 + 6)) {
        return;
    }
    wr16(data + v.l4 + ofs, 0);
    {
        uint32_t sum = be_sum(data + v.l4, v.end - v.l4, 0);
        uint16_t csum;

        if (v.proto != 1) {
            sum += pseudo_sum(data, &v);
        }
        csum = (uint16_t) ~fold(sum);
        if (v.proto == 17 && !csum) {
            csum = 0xffff;
        }
        wr16(data + v.l4 + ofs, csum);
    }
}

bool
verify_checksums(const uint8_t *data, uint32_t len, char *why,
                 size_t why_size)
{
    struct csum_view v;
    int ofs;

    if (!csum_view(data, len, &v)) {
        return true;
    }
    if (v.ipv4) {
        uint32_t hlen = (data[v.l3] & 0x0f) * 4u;

        if (fold(be_sum(data + v.l3, hlen, 0)) != 0xffff) {
            snprintf(why, why_size, "IPv4 header checksum");
            return false;
        }
    }
    if (!v.l4_ok || (ofs = csum_ofs(v.proto)) < 0
        || (v.proto == 1 && !v.ipv4) || (v.proto == 58 && !v.ipv6)) {
        return true;
    }
    if (v.proto == 132) {
        uint8_t copy[FRAME_MAX];
        uint32_t n = v.end - v.l4, crc;

        memcpy(copy, data + v.l4, n);
        memset(copy + 8, 0, 4);
        crc = crc32c_bitwise(copy, n);
        if ((int64_t) crc != l4_csum_field(data, len)) {
            snprintf(why, why_size, "SCTP CRC32c %08x, want %08x",
                     (unsigned int) l4_csum_field(data, len), crc);
            return false;
        }
        return true;
    }
    if (v.proto == 17 && !rd16(data + v.l4 + 6)) {
        return true;            /* no checksum */
    }
    {
        uint32_t sum = be_sum(data + v.l4, v.end - v.l4, 0);

        if (v.proto != 1) {
            sum += pseudo_sum(data, &v);
        }
        if (fold(sum) != 0xffff) {
            snprintf(why, why_size, "L4 (proto %u) checksum", v.proto);
            return false;
        }
    }
    /* DPDK's verifiers where their assumptions hold (the L4 header right
     * after a basic header, the whole datagram in the frame). */
    if ((v.proto == 6 || v.proto == 17)) {
        const void *l3 = data + v.l3, *l4 = data + v.l4;

        if (v.ipv4 && v.l4 == v.l3 + (data[v.l3] & 0x0f) * 4u
            && !(rd16(data + v.l3 + 6) & 0x3fff)
            && rte_ipv4_udptcp_cksum_verify(l3, l4)) {
            snprintf(why, why_size, "rte_ipv4_udptcp_cksum_verify");
            return false;
        }
        if (v.ipv6 && v.l4 == v.l3 + 40
            && rte_ipv6_udptcp_cksum_verify(l3, l4)) {
            snprintf(why, why_size, "rte_ipv6_udptcp_cksum_verify");
            return false;
        }
    }
    return true;
}
