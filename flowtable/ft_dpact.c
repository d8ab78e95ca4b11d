/*
 * ft_dpact.c — datapath actions as text, in the style of Open vSwitch's
 * dump-dp-flows: outputs are bare datapath port numbers, a set shows the
 * fields it writes ("set(nw_ttl=63)", the key word's bits named by
 * ft_key_format), a clone encloses the actions it runs on the copy, and an
 * empty list is "drop". For traces, logs, vswitch-ctl and tests.
 *
 * Pure function; any thread.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "ft_dpact.h"
#include "ft_ofp.h"

/* snprintf into a growing buffer that keeps counting past its end. */
struct dp_fmt {
    char *buf;
    size_t size;
    size_t len;
};

static void __attribute__((format(printf, 2, 3)))
put(struct dp_fmt *f, const char *fmt, ...)
{
    va_list args;
    int n;

    va_start(args, fmt);
    n = vsnprintf(f->len < f->size ? f->buf + f->len : NULL,
                  f->len < f->size ? f->size - f->len : 0, fmt, args);
    va_end(args);
    if (n > 0) {
        f->len += (size_t) n;
    }
}

static void
put_set(struct dp_fmt *f, const struct ft_dpact *a)
{
    struct ft_key key, mask;
    char fields[512];

    if (a->set.word >= FT_KEY_U64S) {
        put(f, "set(word%"PRIu32"=0x%"PRIx64"/0x%"PRIx64")", a->set.word,
            a->set.value, a->set.mask);
        return;
    }
    memset(&key, 0, sizeof key);
    memset(&mask, 0, sizeof mask);
    ft_key_u64_rw(&key)[a->set.word] = a->set.value;
    ft_key_u64_rw(&mask)[a->set.word] = a->set.mask;
    ft_key_format(&key, &mask, fields, sizeof fields);
    put(f, "set(%s)", fields);
}

static const char *
reason_name(uint8_t reason)
{
    switch (reason) {
    case FT_OFPR_NO_MATCH: return "no_match";
    case FT_OFPR_ACTION: return "action";
    case FT_OFPR_INVALID_TTL: return "invalid_ttl";
    }
    return "unknown";
}

/* Formats acts[0..n); returns how many it consumed (a clone consumes its
 * contents). */
static unsigned int
put_acts(struct dp_fmt *f, const struct ft_dpact *acts, unsigned int n)
{
    unsigned int i = 0;

    while (i < n) {
        const struct ft_dpact *a = &acts[i++];
        uint32_t lse, inner;

        if (i > 1) {
            put(f, ",");
        }
        switch (a->type) {
        case FT_DPACT_OUTPUT:
            put(f, "%"PRIu32, a->output.dp_port);
            break;
        case FT_DPACT_SET_MASKED:
            put_set(f, a);
            break;
        case FT_DPACT_PUSH_VLAN:
            put(f, "push_vlan(tpid=0x%04x,vid=%u,pcp=%u)",
                ntohs(a->push_vlan.tpid),
                ntohs(a->push_vlan.tci) & FT_VLAN_VID_MASK,
                ntohs(a->push_vlan.tci) >> FT_VLAN_PCP_SHIFT);
            break;
        case FT_DPACT_POP_VLAN:
            put(f, "pop_vlan");
            break;
        case FT_DPACT_PUSH_MPLS:
            lse = ntohl(a->mpls.lse);
            put(f, "push_mpls(label=%"PRIu32",tc=%"PRIu32",ttl=%"PRIu32
                ",bos=%"PRIu32",eth_type=0x%04x)", lse >> 12,
                (lse >> 9) & 7, lse & 0xff, (lse >> 8) & 1,
                ntohs(a->mpls.ethertype));
            break;
        case FT_DPACT_POP_MPLS:
            put(f, "pop_mpls(eth_type=0x%04x)", ntohs(a->mpls.ethertype));
            break;
        case FT_DPACT_PUSH_PBB:
            put(f, "push_pbb(isid=%"PRIu32")",
                ntohl(a->pbb.isid) & 0xffffff);
            break;
        case FT_DPACT_POP_PBB:
            put(f, "pop_pbb");
            break;
        case FT_DPACT_METER:
            put(f, "meter(%"PRIu32")", a->meter.meter_id);
            break;
        case FT_DPACT_CLONE:
            inner = a->clone.n < n - i ? a->clone.n : n - i;
            put(f, "clone(");
            put_acts(f, &acts[i], inner);
            put(f, ")");
            i += inner;
            break;
        case FT_DPACT_RECIRC:
            put(f, "recirc(0x%"PRIx32")", a->recirc.id);
            break;
        case FT_DPACT_CONTROLLER:
            put(f, "controller(reason=%s,table=%u,cookie=0x%"PRIx64,
                reason_name(a->controller.reason), a->controller.table_id,
                a->controller.cookie);
            if (a->controller.max_len != FT_OFPCML_NO_BUFFER) {
                put(f, ",max_len=%u", a->controller.max_len);
            }
            if (a->controller.metadata) {
                put(f, ",metadata=0x%"PRIx64, a->controller.metadata);
            }
            put(f, ")");
            break;
        case FT_DPACT_SET_QUEUE:
            put(f, "set_queue(%"PRIu32")", a->set_queue.queue_id);
            break;
        default:
            put(f, "unknown(%u)", a->type);
            break;
        }
    }
    return i;
}

int
ft_dpacts_format(const struct ft_dpact *acts, unsigned int n, char *buf,
                 size_t size)
{
    struct dp_fmt f = { .buf = buf, .size = size, .len = 0 };

    if (size) {
        buf[0] = '\0';
    }
    if (!n) {
        put(&f, "drop");
    } else {
        put_acts(&f, acts, n);
    }
    return f.len > INT32_MAX ? INT32_MAX : (int) f.len;
}
