/*
 * ft_xlate_private.h — what the pieces of xlate share: the frozen state a
 * recirculation resumes from and the registry that keeps it
 * (ft_xlate_recirc.c), used by the walk (ft_xlate.c) and the xcache
 * (ft_xlate_cache.c). Private to flowtable/.
 *
 * A frozen state is the rest of a translation's work, flattened: the
 * pipeline metadata, the packet-in context of the entry being executed,
 * the action set, and a list of operations to run in order — actions as in
 * an action list, the entry's remaining instructions (CLEAR, WRITE,
 * WRITE_METADATA) and, last, where the walk goes on (GOTO a table, or END:
 * execute the action set; neither when the freeze happened inside a clone,
 * whose work ends with its actions). It is plain, canonical bytes (every
 * pad zero) so that equal work compares equal with memcmp: the registry
 * is content-addressed.
 *
 * Registry invariants
 * -------------------
 *  - An id names one state for the state's whole life and is never 0;
 *    a freed state's slot comes back with another generation, so a stale
 *    id does not find a newer state for a long while (4096 reuses).
 *  - References and the content index are changed under the registry's
 *    mutex only (translation misses, xcache create/destroy); lookups by id
 *    are lock-free (resuming translations, on any qsbr reader).
 *  - A state nobody references lives on for a grace period after it was
 *    last handed out (a translation that found or created it must be able
 *    to reference it from ft_xcache_create before it next reports
 *    quiescence), then it is unlinked, and freed a grace period later.
 */
#ifndef VSWITCH_FLOWTABLE_FT_XLATE_PRIVATE_H
#define VSWITCH_FLOWTABLE_FT_XLATE_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ft_action.h"
#include "ft_pipeline_private.h"

enum ft_frozen_kind {
    FT_FROZEN_ACTION = 1,       /* run 'action' as part of an action list */
    FT_FROZEN_CLEAR,            /* CLEAR_ACTIONS */
    FT_FROZEN_WRITE,            /* merge 'action' into the action set */
    FT_FROZEN_METADATA,         /* WRITE_METADATA 'value' / 'mask' */
    FT_FROZEN_GOTO,             /* go on at table 'table_id' (last op) */
    FT_FROZEN_END,              /* execute the action set (last op) */
};

struct ft_frozen_op {
    uint16_t kind;              /* enum ft_frozen_kind */
    uint8_t table_id;           /* GOTO */
    uint8_t pad[5];
    uint64_t value;             /* METADATA */
    uint64_t mask;
    struct ft_action action;    /* ACTION, WRITE: canonical (pads zero) */
};

#define FT_FROZEN_F_MISS_ENTRY 0x01 /* the entry is a table-miss entry */
#define FT_FROZEN_F_PACKET_OUT 0x02 /* OUTPUT:TABLE allowed (packet-out) */

/* Bound on the operations of one state: a list of FT_MAX_ACTIONS per
 * nesting level is far more than real pipelines freeze. */
#define FT_FROZEN_MAX_OPS 2048

struct ft_frozen {
    uint64_t metadata;          /* pipeline metadata to resume with */
    uint64_t cookie;            /* packet-in context: the entry's cookie */
    uint8_t table_id;           /* ...its table */
    uint8_t depth;              /* recirculations up to this state, 1.. */
    uint8_t flags;              /* FT_FROZEN_F_* */
    uint8_t pad;
    uint16_t n_set;             /* action set: ops[0..n_set), kind WRITE */
    uint16_t n_ops;             /* then the work: ops[n_set..+n_ops) */
    struct ft_frozen_op ops[];
};

static inline size_t
ft_frozen_size(const struct ft_frozen *f)
{
    return sizeof *f + (size_t) (f->n_set + f->n_ops) * sizeof f->ops[0];
}

/* Writes 'src' into '*dst' canonically: every byte 'src' does not define
 * (pads, union members of other types) zero. */
void ft_action_canonical(struct ft_action *dst, const struct ft_action *src);

/* Finds the live state with the content 'f' or creates it (holding the
 * groups its actions name), and returns its id in '*id'. A state handed
 * out stays alive for a grace period even unreferenced. 0, -ENOMEM,
 * -ENOSPC (FT_RECIRC_MAX_STATES live). Any qsbr reader; takes the mutex. */
int ft_recirc_acquire(struct ft_xlate_state *, const struct ft_frozen *f,
                      struct ft_group_table *groups, uint32_t *id);

/* The content of state 'id', or NULL. Lock-free; valid until the caller
 * next reports quiescence. */
const struct ft_frozen *ft_recirc_find(const struct ft_xlate_state *,
                                       uint32_t id);

/* References each of ids[0..n) that is still live and writes those into
 * 'held' (may be 'ids'); returns how many. Takes the mutex. */
uint32_t ft_recirc_ref(struct ft_xlate_state *, const uint32_t *ids,
                       uint32_t n, uint32_t *held);
/* Drops references ft_recirc_ref took. Takes the mutex. */
void ft_recirc_unref(struct ft_xlate_state *, const uint32_t *ids,
                     uint32_t n);

/* Frees 'obj' with free() after a grace period (at a later
 * ft_xlate_state_reclaim; at once without qsbr). 'gc' is storage inside
 * 'obj' the registry links it by. Any thread; takes the mutex. */
struct ft_xlate_gc {
    struct ft_xlate_gc *next;
    uint64_t token;
    void *obj;
};
void ft_xlate_defer_free(struct ft_xlate_state *, struct ft_xlate_gc *gc,
                         void *obj);

/* Live (linked) states. */
uint32_t ft_recirc_count(const struct ft_xlate_state *);

/* ---- the walk's context (ft_xlate.c, ft_xlate_actions.c) ---------------- */

/* How much of the packet the key no longer describes (see ft_xlate.h,
 * recirculation): after popping the bottom MPLS label the headers under
 * it; after POP_PBB, or popping a tag the key never held, everything
 * past the outer Ethernet addresses. */
enum xlate_stale {
    XLATE_FRESH = 0,
    XLATE_STALE_L3,
    XLATE_STALE_ALL,
};

#define XLATE_MAX_HIDDEN 4          /* tags / labels pushed out of the key */

/* The packet as translation sees it; saved and restored around a bucket
 * or a pipeline run that executes on a copy (clone). */
struct xlate_pkt {
    struct ft_key key;              /* the packet as modified so far */
    struct ft_key base;             /* ...as the emitted actions leave it */
    struct ft_key pending;          /* mask: set, not yet committed */
    struct ft_key written;          /* mask: bits the walk determined (not
                                       read from the input key) */
    bool vlan_dirty;                /* base's outer tag differs (NORMAL) */
    bool stopped;                   /* processing ended (invalid TTL) */
    uint8_t stale;                  /* enum xlate_stale */
    uint8_t n_vlan_hidden;
    bool vlan_inner_unknown;        /* key.vlans[1] is not known */
    uint8_t mpls_in_key;            /* known labels at the top of the key */
    uint8_t n_mpls_hidden;
    bool inner_known;               /* key's L3 is what lies under the MPLS
                                       stack (pushed in this walk) */
    be16 inner_dl_type;
    struct ft_vlan_tag vlan_hidden[XLATE_MAX_HIDDEN];
    be32 mpls_hidden[XLATE_MAX_HIDDEN];
};

/* Action set slots: one per action type below 32, then one per OXM field
 * for SET_FIELD. */
#define XLATE_ASET_SETF 32
#define XLATE_ASET_SLOTS (XLATE_ASET_SETF + 128)

struct xlate_ctx {
    struct ft_pipeline *p;
    const struct ft_xlate_in *in;
    struct ft_xlate_out *out;
    ft_cls_version_t version;
    const struct ft_port_map *ports;
    struct ft_switch_config sw;
    uint8_t n_tables;
    bool packet_out;                /* OUTPUT:TABLE allowed */

    struct xlate_pkt pkt;

    /* The entry being executed: packet-in context. */
    uint64_t cookie;
    uint8_t table_id;
    bool miss_entry;

    const struct ft_action *aset[XLATE_ASET_SLOTS];
    unsigned int n_aset;

    unsigned int depth;             /* tables + groups, FT_XLATE_MAX_DEPTH */
    unsigned int n_bucket_runs;     /* FT_XLATE_MAX_BUCKETS */
    uint8_t recirc_depth;           /* of the state resumed from */

    bool freezing;                  /* collecting the rest into 'fz' */
    struct ft_frozen *fz;
    uint32_t fz_cap;                /* ops 'fz' has room for */

    enum ft_xlate_error error;
};

/* ft_xlate.c */
void xlate_set_error(struct xlate_ctx *, enum ft_xlate_error);
void xlate_trace(struct xlate_ctx *, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
struct ft_dpact *xlate_emit(struct xlate_ctx *, enum ft_dpact_type);
void xlate_commit(struct xlate_ctx *);
void xlate_wc_bytes(struct xlate_ctx *, size_t ofs, size_t len);
void xlate_wc_mask(struct xlate_ctx *, const struct ft_mask *);
void xlate_written(struct xlate_ctx *, size_t ofs, size_t len);
void xlate_set_bits(struct xlate_ctx *, size_t ofs, const void *mask,
                    size_t len);
void xlate_freeze_begin(struct xlate_ctx *);
void xlate_freeze_action(struct xlate_ctx *, const struct ft_action *);
void xlate_run_pipeline(struct xlate_ctx *, uint8_t table_id, bool tail);
void xlate_group(struct xlate_ctx *, const struct ft_action *, bool tail);
void xlate_output_table(struct xlate_ctx *, bool tail);

/* ft_xlate_actions.c */
void xlate_action(struct xlate_ctx *, const struct ft_action *, bool tail);
void xlate_controller(struct xlate_ctx *, uint16_t max_len, uint8_t reason);

#define XKOFF(FIELD) offsetof(struct ft_key, FIELD)
#define XKSIZE(FIELD) sizeof(((struct ft_key *) 0)->FIELD)

#endif
