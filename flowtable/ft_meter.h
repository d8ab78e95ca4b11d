/*
 * ft_meter.h — OpenFlow 1.3 meters: the meter table (METER_MOD semantics,
 * features, per-meter and per-band stats, flow references) and the token
 * buckets that meter a batch of packets.
 *
 * What. A meter has a unit (OFPMF_KBPS: bytes on the wire, counted as bits;
 * OFPMF_PKTPS: packets) and 0..FT_METER_MAX_BANDS bands (DROP, DSCP_REMARK),
 * each with a rate and a burst. Every band is a token bucket of its own,
 * fed at its rate and as deep as its burst. Every packet entering the meter
 * is offered to every band; a band whose bucket holds enough tokens takes
 * them, a band whose bucket does not is "exceeded" by the packet. The band
 * applied to the packet is the exceeded band with the highest rate (the
 * OpenFlow rule "the band with the highest rate lower than the measured
 * rate"); no exceeded band means the packet passes. Ties in rate go to the
 * band listed first.
 *
 * Buckets are run as GCRA ("virtual scheduling"), the exact equivalent of a
 * token bucket kept in one 64-bit word: the band's theoretical arrival time
 * (TAT) in 1/64 ns ticks since the meter's configuration epoch. A packet of
 * cost c (ticks it takes the rate to pay for it) conforms at time t iff
 * max(TAT, t) + c - t <= depth, where depth = burst x cost of one unit; it
 * then moves TAT to max(TAT, t) + c. A full bucket is TAT <= t. The
 * per-packet path is integer-only: a cost is (units x fixed-point cost per
 * unit) >> 16, no division, no floating point.
 *
 * Burst: with OFPMF_BURST, the band's burst_size (packets, or kilobits);
 * without it, FT_METER_DEFAULT_BURST_MS of the rate, and at least
 * FT_METER_MIN_BURST_PKTS packets, full-size frames for kbps: PMDs deliver
 * packets a burst at a time with one timestamp, and a bucket shallower than
 * that wastes the tokens that build up between bursts, metering well below
 * the rate. A burst given by the controller is honoured as is, even a kbps
 * burst smaller than a frame (such frames always exceed the band).
 *
 * Threads and invariants.
 *  - Main thread: everything but ft_meter_apply() and ft_meter_dscp_remark().
 *    The id index is main-thread only; workers never look a meter up by id:
 *    the flow table takes a reference (ft_meter_ref) when a flow's METER
 *    instruction is installed and xlate hands the struct ft_meter pointer to
 *    the datapath actions.
 *  - PMD workers: ft_meter_apply() on any meter they hold a pointer to,
 *    concurrently with each other and with METER_MOD on main, without locks.
 *    Choice: the band state is SHARED, one atomic TAT word per band updated
 *    by compare-and-swap once per batch (retry on contention), not
 *    per-worker buckets: a meter limits the sum over all workers, and
 *    per-worker buckets would need the rate split by a traffic share nobody
 *    knows. Counters are relaxed atomic adds once per batch (per meter and
 *    per applied band), only for meters with OFPMF_STATS.
 *  - A meter's configuration (flags, bands, bucket state) is an immutable
 *    object published with one pointer store; MODIFY publishes a new one
 *    and the old one is freed after an RCU grace period on the QSBR variable
 *    given at creation (NULL: no concurrent readers, freed at once).
 *  - MODIFY keeps: the meter's identity (pointer), flow references,
 *    packet/byte-in counters and duration. MODIFY resets: bucket state (every
 *    band starts full, at its new burst) and per-band counters (the band
 *    list is replaced; OpenFlow reports band stats by position).
 *  - DELETE (of one id, or OFPM_ALL) unlinks the meter at once (the id may be
 *    added again); the object lives on while flows still reference it and is
 *    freed after the last ft_meter_unref() plus a grace period. OpenFlow
 *    says deleting a meter removes the flows that use it: that is the flow
 *    table's job, driven by ft_meter_flow_count().
 *  - A worker must not use a meter pointer after the reference covering it
 *    is dropped and a grace period has passed (same rule as the flow).
 *  - Ids: 1..OFPM_MAX are regular meters (at most max_meters of them);
 *    OFPM_SLOWPATH and OFPM_CONTROLLER are the spec's virtual meters: they
 *    can be added, modified, deleted, applied and counted, but not
 *    referenced by flows, and do not count against max_meters. 0 and the
 *    ids between OFPM_MAX and OFPM_SLOWPATH are invalid; OFPM_ALL only for
 *    DELETE. DELETE of a missing meter succeeds (as Open vSwitch; 1.3 names
 *    UNKNOWN_METER for MODIFY only).
 *  - The time arithmetic wraps 9 years after a meter's last ADD/MODIFY.
 */
#ifndef VSWITCH_FLOWTABLE_FT_METER_H
#define VSWITCH_FLOWTABLE_FT_METER_H

#include <stdbool.h>
#include <stdint.h>

struct rte_rcu_qsbr;

/* OpenFlow 1.3 constants (flowtable sits below openflow/, so it has its
 * own copy; values are the spec's). */
#define FT_OFPM_MAX         0xffff0000u  /* last regular meter id */
#define FT_OFPM_SLOWPATH    0xfffffffdu  /* virtual: slow datapath */
#define FT_OFPM_CONTROLLER  0xfffffffeu  /* virtual: controller connection */
#define FT_OFPM_ALL         0xffffffffu  /* all meters (DELETE, stats) */

#define FT_OFPMC_ADD    0
#define FT_OFPMC_MODIFY 1
#define FT_OFPMC_DELETE 2

#define FT_OFPMF_KBPS  0x1
#define FT_OFPMF_PKTPS 0x2
#define FT_OFPMF_BURST 0x4
#define FT_OFPMF_STATS 0x8

#define FT_OFPMBT_DROP        1
#define FT_OFPMBT_DSCP_REMARK 2

/* Bounds. */
#define FT_METER_MAX_METERS 65536   /* memory bound: ~40 MB at 8 bands each */
#define FT_METER_MAX_BANDS 8        /* per-packet work is linear in bands */
#define FT_METER_MAX_PREC_LEVEL 2   /* AF drop precedence goes 1..3 */
#define FT_METER_DEFAULT_BURST_MS 10 /* absorbs one PMD poll hiccup */
#define FT_METER_MIN_BURST_PKTS 32 /* one PMD rx burst (see the essay) */
#define FT_METER_FRAME_BYTES 1518   /* a full-size frame with a VLAN tag */
#define FT_METER_MAX_BURST_S 1000   /* deeper buckets are config errors;
                                     * keeps bucket depth in 64-bit ticks */
#define FT_METER_MAX_PKT_LEN 65535  /* longer (TSO) frames are charged this */

/* METER_MOD results. FT_METER_OK is 0; every error is its
 * OFPET_METER_MOD_FAILED code plus one (ft_meter_err_to_ofp). */
enum ft_meter_err {
    FT_METER_OK = 0,
    FT_METER_ERR_UNKNOWN = 1,        /* OFPMMFC_UNKNOWN */
    FT_METER_ERR_EXISTS,             /* OFPMMFC_METER_EXISTS */
    FT_METER_ERR_INVALID_METER,      /* OFPMMFC_INVALID_METER */
    FT_METER_ERR_UNKNOWN_METER,      /* OFPMMFC_UNKNOWN_METER */
    FT_METER_ERR_BAD_COMMAND,        /* OFPMMFC_BAD_COMMAND */
    FT_METER_ERR_BAD_FLAGS,          /* OFPMMFC_BAD_FLAGS */
    FT_METER_ERR_BAD_RATE,           /* OFPMMFC_BAD_RATE */
    FT_METER_ERR_BAD_BURST,          /* OFPMMFC_BAD_BURST */
    FT_METER_ERR_BAD_BAND,           /* OFPMMFC_BAD_BAND */
    FT_METER_ERR_BAD_BAND_VALUE,     /* OFPMMFC_BAD_BAND_VALUE */
    FT_METER_ERR_OUT_OF_METERS,      /* OFPMMFC_OUT_OF_METERS (and ENOMEM) */
    FT_METER_ERR_OUT_OF_BANDS,       /* OFPMMFC_OUT_OF_BANDS */
};

/* The OFPMMFC_* code of an error (not of FT_METER_OK). */
static inline uint16_t
ft_meter_err_to_ofp(enum ft_meter_err err)
{
    return (uint16_t) (err - 1);
}
const char *ft_meter_err_name(enum ft_meter_err);

struct ft_meter_band_cfg {
    uint16_t type;                  /* FT_OFPMBT_* */
    uint32_t rate;                  /* kbps or pktps, per the meter */
    uint32_t burst_size;            /* used only with FT_OFPMF_BURST */
    uint8_t prec_level;             /* DSCP_REMARK: 1..MAX_PREC_LEVEL */
};

struct ft_meter_mod {
    uint16_t command;               /* FT_OFPMC_* */
    uint16_t flags;                 /* FT_OFPMF_*; ignored by DELETE */
    uint32_t meter_id;
    uint16_t n_bands;               /* ignored by DELETE */
    const struct ft_meter_band_cfg *bands;
};

struct ft_meter_features {
    uint32_t max_meter;
    uint32_t band_types;            /* bitmap of 1 << FT_OFPMBT_* */
    uint32_t capabilities;          /* bitmap of FT_OFPMF_* */
    uint8_t max_bands;
    uint8_t max_color;              /* largest DSCP_REMARK prec_level */
};

struct ft_meter_band_stats {
    uint64_t packet_band_count;     /* packets the band was applied to */
    uint64_t byte_band_count;
};

struct ft_meter_stats {
    uint32_t meter_id;
    uint32_t flow_count;
    uint64_t packet_in_count;       /* 0 unless FT_OFPMF_STATS */
    uint64_t byte_in_count;
    uint32_t duration_sec;          /* since ADD (MODIFY keeps it) */
    uint32_t duration_nsec;
    uint16_t n_bands;
    struct ft_meter_band_stats bands[FT_METER_MAX_BANDS];
};

struct ft_meter_config {
    uint32_t meter_id;
    uint16_t flags;                 /* as given (BURST included) */
    uint16_t n_bands;               /* bands in the order given */
    struct ft_meter_band_cfg bands[FT_METER_MAX_BANDS];
};

struct ft_meter_table;
struct ft_meter;

/* 'max_meters' 0 means FT_METER_MAX_METERS; above it is refused (EINVAL).
 * 'qsbr' NULL: no concurrent readers, frees are immediate. NULL with errno
 * on failure. */
struct ft_meter_table *ft_meter_table_create(uint32_t max_meters,
                                             struct rte_rcu_qsbr *qsbr);
/* Frees every meter, referenced or not; no reader may be running. */
void ft_meter_table_destroy(struct ft_meter_table *);

/* Applies one METER_MOD at time 'now_ns' (the clock ft_meter_apply gets).
 * Checks in this order: command, meter id, flags, bands (count, type,
 * rate, burst, value), existence, capacity. Nothing changes on error. */
enum ft_meter_err ft_meter_mod(struct ft_meter_table *,
                               const struct ft_meter_mod *, uint64_t now_ns);

/* Frees configurations and meters whose grace period is over; returns how
 * many still wait. Call from the main loop (METER_MOD calls it too). */
unsigned int ft_meter_reclaim(struct ft_meter_table *);

void ft_meter_get_features(const struct ft_meter_table *,
                           struct ft_meter_features *);
/* Regular plus virtual meters in the table. */
uint32_t ft_meter_count(const struct ft_meter_table *);
/* Writes up to 'cap' ids in ascending order; returns the number of meters
 * (may exceed 'cap'). For OFPM_ALL multipart replies. */
uint32_t ft_meter_list(const struct ft_meter_table *, uint32_t *ids,
                       uint32_t cap);
/* FT_METER_OK or FT_METER_ERR_UNKNOWN_METER. */
enum ft_meter_err ft_meter_get_stats(const struct ft_meter_table *,
                                     uint32_t meter_id, uint64_t now_ns,
                                     struct ft_meter_stats *);
enum ft_meter_err ft_meter_get_config(const struct ft_meter_table *,
                                      uint32_t meter_id,
                                      struct ft_meter_config *);

/* Main thread: the meter with this id, or NULL. */
struct ft_meter *ft_meter_lookup(const struct ft_meter_table *,
                                 uint32_t meter_id);
/* Flow references. ft_meter_ref returns the meter and counts the flow, or
 * NULL (no such meter, or a virtual one: flows cannot use those). Every
 * successful ref needs one unref; unref of a deleted meter's last
 * reference schedules its free. */
struct ft_meter *ft_meter_ref(struct ft_meter_table *, uint32_t meter_id);
void ft_meter_unref(struct ft_meter_table *, struct ft_meter *);
uint32_t ft_meter_flow_count(const struct ft_meter *);
uint32_t ft_meter_id(const struct ft_meter *);

/* ---- per-packet path (PMD workers) -------------------------------------- */

/* Verdicts: FT_METER_PASS, FT_METER_DROP, or 1..FT_METER_MAX_PREC_LEVEL:
 * pass after raising the DSCP drop precedence by that many levels
 * (ft_meter_dscp_remark). */
#define FT_METER_PASS 0
#define FT_METER_DROP 0xff

/* Meters 'n' packets of lengths 'lens' (bytes on the wire) that arrive
 * at 'now_ns', writes one verdict each, and returns the number of drops.
 * Any 'n'; the buckets are committed every 64 packets. Lock-free. */
unsigned int ft_meter_apply(struct ft_meter *, uint64_t now_ns,
                            const uint32_t *lens, unsigned int n,
                            uint8_t *verdicts);

/* DSCP (6 bits) after raising its drop precedence by 'prec_level': for the
 * Assured Forwarding code points AFxy (RFC 2597), y grows to at most 3;
 * other code points are returned unchanged. */
static inline uint8_t
ft_meter_dscp_remark(uint8_t dscp, uint8_t prec_level)
{
    unsigned int cls = dscp >> 3, dp = (dscp >> 1) & 3;

    if (cls < 1 || cls > 4 || (dscp & 1) || dp == 0) {
        return dscp;
    }
    dp += prec_level;
    return (uint8_t) ((cls << 3) | ((dp > 3 ? 3 : dp) << 1));
}

#endif
