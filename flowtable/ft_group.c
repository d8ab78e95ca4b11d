/*
 * ft_group.c — the OpenFlow 1.3 group table: GROUP_MOD, chaining checks,
 * bucket liveness, SELECT slot tables, stats, references and RCU-deferred
 * frees. Semantics and thread rules are in ft_group.h; this essay records
 * the choices the header leaves to the implementation.
 *
 * Objects
 * -------
 *  - struct ft_group: identity, counters and main-thread bookkeeping. Its
 *    configuration is one immutable allocation (struct group_cfg: type,
 *    generation, the buckets with their action lists, per-bucket counters)
 *    published with one pointer store.
 *  - Liveness lives in its own small immutable object hung off the
 *    configuration (struct group_choice: FAST_FAILOVER's first live bucket,
 *    SELECT's slot table), so a port going down republishes 300 bytes
 *    instead of the buckets, and bucket counters and the generation are
 *    untouched by liveness changes. Readers do no callbacks: everything is
 *    computed here, on the main thread, at GROUP_MOD and
 *    ft_group_table_ports_changed().
 *  - Retired objects (replaced configurations and choices, groups whose
 *    last reference went) wait for a grace period of the table's qsbr.
 *    Without a qsbr they wait for the next ft_group_reclaim() (which
 *    ft_group_mod() calls first): the groups a DELETE hands back in
 *    'deleted' must stay readable while the pipeline removes their flows.
 *
 * References. refs counts the table index (1 while the id is in the
 * table), flow references (ft_group_ref), holds (ft_group_hold) and
 * GROUP actions in bucket configurations that may still be read (the
 * current one, and replaced ones until they are freed). A group leaves
 * memory when refs drops to zero, which can only happen after DELETE.
 * 'n_chained' counts GROUP actions in the current configurations of groups
 * still in the table: what OFPGMFC_CHAINED_GROUP looks at. 'holds'
 * counts the holds within refs (released by ft_group_release()), so the
 * stats' ref_count is what the spec means, flow references plus
 * n_chained, whatever megaflow caches hold. refs and holds are atomic
 * (holds come from any reader thread); refs reaches zero only in
 * ft_group_unref() / ft_group_release() or a free, on main.
 *
 * DELETE hands back the groups it unlinked in 'deleted', at most
 * 'deleted_cap' of them; '*n_deleted' is how many were written (DELETE of
 * OFPG_ALL should pass a capacity of ft_group_count() + 1).
 *
 * GROUP_MOD checks, in order, each as the 1.3.5 spec names it:
 *  1. command > DELETE: BAD_COMMAND.
 *  2. group id above OFPG_MAX (ALL/ANY included) : INVALID_GROUP, except
 *     DELETE of OFPG_ALL (every group).
 *  3. DELETE: a missing id succeeds (as Open vSwitch); a group another
 *     group's bucket forwards to: CHAINED_GROUP (not for OFPG_ALL, which
 *     takes the forwarding groups with it).
 *  4. type unknown: BAD_TYPE.
 *  5. more than FT_GROUP_MAX_BUCKETS buckets: OUT_OF_BUCKETS; an INDIRECT
 *     group with other than one bucket: BAD_BUCKET.
 *  6. per bucket: a nonzero weight outside SELECT: WEIGHT_UNSUPPORTED.
 *     Watches: FAST_FAILOVER needs one (both ANY: BAD_WATCH); SELECT may
 *     watch (liveness-aware selection, OFPGFC_SELECT_LIVENESS); ALL and
 *     INDIRECT execute every bucket whatever its liveness, so they cannot
 *     honour a watch: WATCH_UNSUPPORTED ("this group cannot watch the
 *     watch_port or watch_group specified"). A watch_port that is not a
 *     regular port or LOCAL, a watch_group that does not exist or is the
 *     group itself: BAD_WATCH.
 *  7. per bucket, actions: GROUP to the group itself: LOOP; then
 *     ft_actions_check() as an action list (match NULL, any port, this
 *     table's groups: BAD_OUT_GROUP for an unknown group). Bucket actions
 *     are lists, as Open vSwitch: two outputs in a bucket are fine.
 *  8. chaining: a MODIFY whose buckets can reach the group itself through
 *     GROUP actions: LOOP. A chain (group -> group -> ...) longer than
 *     FT_GROUP_MAX_CHAIN groups, counted from any group through the
 *     changed one: CHAINING_UNSUPPORTED (the switch does not support
 *     chaining that deep; it is not a loop).
 *  9. ADD of an existing id: GROUP_EXISTS; MODIFY of a missing id:
 *     UNKNOWN_GROUP.
 * 10. ADD past max_groups (or out of memory): OUT_OF_GROUPS.
 *
 * Liveness. A port is live per the pipeline's callback (no callback: all
 * live). A bucket is live when its watch port (if any) is live AND its
 * watch group (if any) is live; a group is live when one of its buckets
 * is. Group liveness is the least fixed point of that rule, iterated at
 * most FT_GROUP_MAX_CHAIN + 1 times: a watch cycle with no live way out
 * is dead, and liveness that only arrives through a deeper watch chain
 * than the bound is not seen.
 *
 * SELECT slots. The FT_GROUP_SELECT_SLOTS slots are shared among the live
 * buckets of nonzero weight by largest remainder (ties to the lower
 * bucket index): weights 1:3 give exactly 64:192. A fresh table (ADD)
 * lays the shares out in bucket order. A rebuild (liveness change or
 * MODIFY) starts from the previous table: each bucket keeps, in slot
 * order, as many of its old slots as its new share allows, and only the
 * slots left over (a dead bucket's, or a shrunk share's) are handed out,
 * in slot order, to buckets below their share in bucket order. So when a
 * bucket dies only its slots move (live buckets keep all of theirs), and
 * when one comes back each other bucket gives up only its excess.
 *
 * Threads: main thread for all but ft_group_read(), ft_group_choose(),
 * ft_group_credit() and ft_group_hold() (any thread inside a qsbr
 * read-side section).
 */
#include "ft_group.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <rte_rcu_qsbr.h>

#include "lib/util.h"

#define MIN_INDEX_BUCKETS 16

BUILD_ASSERT(FT_GROUP_MAX_BUCKETS <= 256);      /* slot entries are uint8_t */
BUILD_ASSERT((FT_GROUP_SELECT_SLOTS & (FT_GROUP_SELECT_SLOTS - 1)) == 0);

enum gc_kind { GC_CFG, GC_CHOICE, GC_GROUP };

/* Something freed after a grace period. */
struct gc_node {
    struct gc_node *next;
    uint64_t token;                 /* rte_rcu_qsbr_start() at retirement */
    uint8_t kind;                   /* enum gc_kind */
};

/* Which bucket runs, per liveness: immutable once published. */
struct group_choice {
    struct gc_node gc;
    int32_t ff_bucket;              /* FAST_FAILOVER: first live, or -1 */
    bool select_any;                /* SELECT: some live weighted bucket */
    uint8_t slot[FT_GROUP_SELECT_SLOTS];    /* SELECT: bucket per slot */
};

struct bucket_counters {
    _Atomic uint64_t packets;
    _Atomic uint64_t bytes;
};

struct group_cfg {
    struct gc_node gc;
    uint8_t type;
    uint32_t generation;
    uint32_t n_buckets;
    uint32_t n_group_watches;       /* buckets with a watch_group */
    struct bucket_counters *counters;       /* [n_buckets] */
    _Atomic(struct group_choice *) choice;  /* FF / SELECT only */
    struct ft_bucket_cfg buckets[]; /* then counters, then actions */
};

struct ft_group {
    _Atomic(struct group_cfg *) cfg;
    _Atomic uint64_t packets;
    _Atomic uint64_t bytes;
    _Atomic uint32_t refs;
    _Atomic uint32_t holds;         /* of refs: ft_group_hold()s */
    /* Main thread only below. */
    uint32_t id;
    uint64_t created_ns;
    uint32_t next_generation;
    uint32_t n_chained;             /* GROUP actions of in-table groups */
    uint32_t bucket_refs;           /* refs held by bucket configurations */
    uint8_t height;                 /* longest chain from here, in groups */
    uint8_t new_height;             /* scratch of height computations */
    bool in_table;
    bool live;                      /* some bucket live (watch_group) */
    bool new_live;                  /* scratch of the liveness fixed point */
    uint32_t mark;                  /* scratch: visit epoch */
    struct ft_group *next;          /* index chain */
    struct ft_group *zprev, *znext; /* zombie list: deleted, referenced */
    struct gc_node gc;
};

struct ft_group_table {
    struct ft_group **index;
    uint32_t mask;
    uint32_t n_groups;
    uint32_t max_groups;
    uint32_t n_group_watches;       /* over current configurations */
    uint32_t epoch;                 /* visit marks */
    struct ft_group *zombies;
    struct gc_node *pending;
    unsigned int n_pending;
    struct rte_rcu_qsbr *qsbr;
    ft_port_live_fn *port_live;
    void *port_live_aux;
};

#define GROUP_MOD_ERR(CODE) FT_OFPERR(GROUP_MOD_FAILED, FT_OFPGMFC_##CODE)

/* ---- index ----------------------------------------------------------------- */

static uint32_t
hash_id(const struct ft_group_table *t, uint32_t id)
{
    return (id * 0x9e3779b1u) >> 7 & t->mask;
}

static struct ft_group **
find_slot(const struct ft_group_table *t, uint32_t id)
{
    struct ft_group **p = &t->index[hash_id(t, id)];

    while (*p && (*p)->id != id) {
        p = &(*p)->next;
    }
    return p;
}

struct ft_group *
ft_group_lookup(const struct ft_group_table *t, uint32_t id)
{
    return id <= FT_OFPG_MAX ? *find_slot(t, id) : NULL;
}

#define FOR_EACH_GROUP(G, T)                                              \
    for (uint32_t i_##G = 0; i_##G <= (T)->mask; i_##G++)                 \
        for (struct ft_group *G = (T)->index[i_##G]; G; G = G->next)

static struct group_cfg *
group_cfg(const struct ft_group *g)
{
    return atomic_load_explicit(&((struct ft_group *) g)->cfg,
                                memory_order_acquire);
}

/* ---- deferred frees -------------------------------------------------------- */

static void
retire(struct ft_group_table *t, struct gc_node *gc, enum gc_kind kind)
{
    gc->kind = (uint8_t) kind;
    gc->token = t->qsbr ? rte_rcu_qsbr_start(t->qsbr) : 0;
    gc->next = t->pending;
    t->pending = gc;
    t->n_pending++;
}

static void unref(struct ft_group_table *, struct ft_group *);

/* Frees a configuration: its choice, and its references on chained
 * groups (which may retire them in turn). */
static void
free_cfg(struct ft_group_table *t, struct group_cfg *cfg, bool release)
{
    if (release) {
        for (uint32_t b = 0; b < cfg->n_buckets; b++) {
            const struct ft_action_list *l = &cfg->buckets[b].actions;
            for (uint32_t i = 0; i < l->n; i++) {
                if (l->acts[i].type == FT_OFPAT_GROUP) {
                    struct ft_group *child = l->acts[i].group.group;
                    child->bucket_refs--;
                    unref(t, child);
                }
            }
        }
    }
    free(atomic_load_explicit(&cfg->choice, memory_order_relaxed));
    free(cfg);
}

static void
free_node(struct ft_group_table *t, struct gc_node *gc)
{
    switch ((enum gc_kind) gc->kind) {
    case GC_CFG:
        free_cfg(t, CONTAINER_OF(gc, struct group_cfg, gc), true);
        break;
    case GC_CHOICE:
        free(CONTAINER_OF(gc, struct group_choice, gc));
        break;
    case GC_GROUP:
        free(CONTAINER_OF(gc, struct ft_group, gc));
        break;
    }
}

unsigned int
ft_group_reclaim(struct ft_group_table *t)
{
    bool progress = true;

    /* Freeing a configuration may retire the groups it chained to, so go
     * round until a pass frees nothing. */
    while (progress && t->pending) {
        struct gc_node *ready = NULL;
        progress = false;
        for (struct gc_node **p = &t->pending; *p;) {
            struct gc_node *gc = *p;
            if (!t->qsbr
                || rte_rcu_qsbr_check(t->qsbr, gc->token, false) == 1) {
                *p = gc->next;
                t->n_pending--;
                gc->next = ready;
                ready = gc;
            } else {
                p = &gc->next;
            }
        }
        while (ready) {
            struct gc_node *gc = ready;
            ready = gc->next;
            free_node(t, gc);
            progress = true;
        }
    }
    return t->n_pending;
}

static void
zombie_remove(struct ft_group_table *t, struct ft_group *g)
{
    if (g->zprev) {
        g->zprev->znext = g->znext;
    } else if (t->zombies == g) {
        t->zombies = g->znext;
    }
    if (g->znext) {
        g->znext->zprev = g->zprev;
    }
    g->zprev = g->znext = NULL;
}

/* The last reference is gone: the group, its configuration and choice
 * are freed after a grace period. */
static void
retire_group(struct ft_group_table *t, struct ft_group *g)
{
    zombie_remove(t, g);
    retire(t, &group_cfg(g)->gc, GC_CFG);
    retire(t, &g->gc, GC_GROUP);
}

static void
unref(struct ft_group_table *t, struct ft_group *g)
{
    uint32_t old = atomic_fetch_sub_explicit(&g->refs, 1,
                                             memory_order_acq_rel);
    if (old == 1) {
        retire_group(t, g);
    }
}

/* ---- lifecycle ------------------------------------------------------------- */

struct ft_group_table *
ft_group_table_create(uint32_t max_groups, struct rte_rcu_qsbr *qsbr,
                      ft_port_live_fn *port_live, void *port_live_aux)
{
    struct ft_group_table *t;
    uint32_t n = MIN_INDEX_BUCKETS;

    if (!max_groups) {
        max_groups = FT_GROUP_MAX_GROUPS;
    }
    if (max_groups > FT_GROUP_MAX_GROUPS) {
        errno = EINVAL;
        return NULL;
    }
    while (n < max_groups / 4) {
        n *= 2;
    }
    t = calloc(1, sizeof *t);
    if (!t) {
        return NULL;
    }
    t->index = calloc(n, sizeof *t->index);
    if (!t->index) {
        free(t);
        return NULL;
    }
    t->mask = n - 1;
    t->max_groups = max_groups;
    t->qsbr = qsbr;
    t->port_live = port_live;
    t->port_live_aux = port_live_aux;
    return t;
}

static void
free_group_now(struct ft_group *g)
{
    free_cfg(NULL, atomic_load_explicit(&g->cfg, memory_order_relaxed),
             false);
    free(g);
}

void
ft_group_table_destroy(struct ft_group_table *t)
{
    if (!t) {
        return;
    }
    for (uint32_t i = 0; i <= t->mask; i++) {
        for (struct ft_group *g = t->index[i], *next; g; g = next) {
            next = g->next;
            free_group_now(g);
        }
    }
    for (struct ft_group *g = t->zombies, *next; g; g = next) {
        next = g->znext;
        free_group_now(g);
    }
    for (struct gc_node *gc = t->pending, *next; gc; gc = next) {
        next = gc->next;
        if (gc->kind == GC_CFG) {
            /* Everything goes: no reference to release. */
            free_cfg(NULL, CONTAINER_OF(gc, struct group_cfg, gc), false);
        } else {
            free_node(t, gc);
        }
    }
    free(t->index);
    free(t);
}

/* ---- liveness and the bucket choice ---------------------------------------- */

static bool
port_is_live(const struct ft_group_table *t, uint32_t port)
{
    return !t->port_live || t->port_live(port, t->port_live_aux);
}

/* Is bucket 'b' live, with watched groups judged by 'live' (committed)
 * or 'new_live' (fixed point under way)? */
static bool
bucket_live(const struct ft_group_table *t, const struct ft_bucket_cfg *b,
            bool use_new)
{
    if (b->watch_port != FT_OFPP_ANY && !port_is_live(t, b->watch_port)) {
        return false;
    }
    if (b->watch_group != FT_OFPG_ANY) {
        const struct ft_group *w = ft_group_lookup(t, b->watch_group);
        return w && (use_new ? w->new_live : w->live);
    }
    return true;
}

static void
compute_bucket_liveness(const struct ft_group_table *t,
                        const struct group_cfg *cfg, bool use_new,
                        bool *live)
{
    for (uint32_t b = 0; b < cfg->n_buckets; b++) {
        live[b] = bucket_live(t, &cfg->buckets[b], use_new);
    }
}

/* SELECT: shares by largest remainder, laid out from 'prev' (or fresh). */
static void
build_select(const struct group_cfg *cfg, const bool *live,
             const struct group_choice *prev, struct group_choice *c)
{
    uint32_t n = cfg->n_buckets;
    uint32_t quota[FT_GROUP_MAX_BUCKETS] = { 0 };
    uint32_t rem[FT_GROUP_MAX_BUCKETS] = { 0 };
    uint32_t have[FT_GROUP_MAX_BUCKETS] = { 0 };
    bool free_slot[FT_GROUP_SELECT_SLOTS];
    uint64_t total = 0;
    uint32_t given = 0;

    for (uint32_t b = 0; b < n; b++) {
        if (live[b]) {
            total += cfg->buckets[b].weight;
        }
    }
    c->select_any = total > 0;
    if (!total) {
        return;
    }
    for (uint32_t b = 0; b < n; b++) {
        if (live[b] && cfg->buckets[b].weight) {
            uint64_t share = (uint64_t) FT_GROUP_SELECT_SLOTS
                             * cfg->buckets[b].weight;
            quota[b] = (uint32_t) (share / total);
            rem[b] = (uint32_t) (share % total);
            given += quota[b];
        }
    }
    /* The slots rounding left over go to the largest remainders. */
    while (given < FT_GROUP_SELECT_SLOTS) {
        uint32_t best = UINT32_MAX;
        for (uint32_t b = 0; b < n; b++) {
            if (live[b] && cfg->buckets[b].weight && rem[b]
                && (best == UINT32_MAX || rem[b] > rem[best])) {
                best = b;
            }
        }
        if (best == UINT32_MAX) {
            break;      /* cannot happen: remainders sum to the gap */
        }
        quota[best]++;
        rem[best] = 0;
        given++;
    }

    /* Keep what the previous table gave a bucket, up to its share. */
    for (uint32_t s = 0; s < FT_GROUP_SELECT_SLOTS; s++) {
        uint32_t b = prev && prev->select_any ? prev->slot[s] : UINT32_MAX;
        if (b < n && have[b] < quota[b]) {
            c->slot[s] = (uint8_t) b;
            have[b]++;
            free_slot[s] = false;
        } else {
            free_slot[s] = true;
        }
    }
    /* Hand out the rest in slot order, to buckets in bucket order. */
    uint32_t s = 0;
    for (uint32_t b = 0; b < n; b++) {
        while (have[b] < quota[b]) {
            while (!free_slot[s]) {
                s++;
            }
            c->slot[s] = (uint8_t) b;
            free_slot[s] = false;
            have[b]++;
        }
    }
}

/* The choice of 'cfg' under bucket liveness 'live'; 'prev' (may be NULL)
 * is the table SELECT rebuilds from. NULL on ENOMEM. */
static struct group_choice *
choice_create(const struct group_cfg *cfg, const bool *live,
              const struct group_choice *prev)
{
    struct group_choice *c = calloc(1, sizeof *c);

    if (!c) {
        return NULL;
    }
    c->ff_bucket = -1;
    if (cfg->type == FT_OFPGT_FF) {
        for (uint32_t b = 0; b < cfg->n_buckets; b++) {
            if (live[b]) {
                c->ff_bucket = (int32_t) b;
                break;
            }
        }
    } else if (cfg->type == FT_OFPGT_SELECT) {
        build_select(cfg, live, prev, c);
    }
    return c;
}

static bool
choice_equal(const struct group_choice *a, const struct group_choice *b)
{
    return a->ff_bucket == b->ff_bucket && a->select_any == b->select_any
           && (!a->select_any
               || !memcmp(a->slot, b->slot, sizeof a->slot));
}

static bool
needs_choice(uint8_t type)
{
    return type == FT_OFPGT_FF || type == FT_OFPGT_SELECT;
}

/* Recomputes every group's liveness and republishes the choices that
 * changed. On ENOMEM a group keeps its previous choice (stale liveness,
 * never a dangling one). */
static void
recompute_liveness(struct ft_group_table *t)
{
    bool live[FT_GROUP_MAX_BUCKETS];

    FOR_EACH_GROUP (g, t) {
        g->new_live = false;
    }
    for (unsigned int iter = 0; iter <= FT_GROUP_MAX_CHAIN; iter++) {
        bool changed = false;
        FOR_EACH_GROUP (g, t) {
            const struct group_cfg *cfg = group_cfg(g);
            if (g->new_live) {
                continue;
            }
            for (uint32_t b = 0; b < cfg->n_buckets; b++) {
                if (bucket_live(t, &cfg->buckets[b], true)) {
                    g->new_live = changed = true;
                    break;
                }
            }
        }
        if (!changed) {
            break;
        }
    }
    FOR_EACH_GROUP (g, t) {
        g->live = g->new_live;
    }
    FOR_EACH_GROUP (g, t) {
        struct group_cfg *cfg = group_cfg(g);
        if (!needs_choice(cfg->type)) {
            continue;
        }
        struct group_choice *old = atomic_load_explicit(&cfg->choice,
                                                        memory_order_relaxed);
        compute_bucket_liveness(t, cfg, false, live);
        struct group_choice *c = choice_create(cfg, live, old);
        if (!c) {
            continue;
        }
        if (old && choice_equal(old, c)) {
            free(c);
            continue;
        }
        atomic_store_explicit(&cfg->choice, c, memory_order_release);
        if (old) {
            retire(t, &old->gc, GC_CHOICE);
        }
    }
}

void
ft_group_table_ports_changed(struct ft_group_table *t)
{
    ft_group_reclaim(t);
    recompute_liveness(t);
}

/* ---- chaining ---------------------------------------------------------------- */

#define FOR_EACH_CHILD(CHILD, CFG)                                          \
    for (uint32_t b_ = 0; b_ < (CFG)->n_buckets; b_++)                      \
        for (uint32_t a_ = 0; a_ < (CFG)->buckets[b_].actions.n; a_++)      \
            for (struct ft_group *CHILD =                                   \
                     (CFG)->buckets[b_].actions.acts[a_].type               \
                     == FT_OFPAT_GROUP                                      \
                     ? (CFG)->buckets[b_].actions.acts[a_].group.group      \
                     : NULL;                                                \
                 CHILD; CHILD = NULL)

/* Can 'from' reach 'target' through GROUP actions (current configs)? */
static bool
reaches(struct ft_group_table *t, struct ft_group *from,
        const struct ft_group *target)
{
    if (from == target) {
        return true;
    }
    if (from->mark == t->epoch) {
        return false;
    }
    from->mark = t->epoch;
    FOR_EACH_CHILD (child, group_cfg(from)) {
        if (reaches(t, child, target)) {
            return true;
        }
    }
    return false;
}

/* Height (groups on the longest chain) of 'g', with 'over' (may be NULL)
 * taking configuration 'over_cfg'; memoized in new_height for this epoch.
 * The graph is known acyclic. */
static uint32_t
height_of(struct ft_group_table *t, struct ft_group *g,
          const struct ft_group *over, const struct group_cfg *over_cfg)
{
    uint32_t h = 1;

    if (g->mark == t->epoch) {
        return g->new_height;
    }
    FOR_EACH_CHILD (child, g == over ? over_cfg : group_cfg(g)) {
        h = MAX(h, 1 + height_of(t, child, over, over_cfg));
    }
    g->mark = t->epoch;
    g->new_height = (uint8_t) MIN(h, UINT8_MAX);
    return h;
}

/* Heights of every group in the table with 'over' at 'over_cfg': the
 * largest, and when 'store' the heights are committed. */
static uint32_t
compute_heights(struct ft_group_table *t, const struct ft_group *over,
                const struct group_cfg *over_cfg, bool store)
{
    uint32_t max = 0;

    t->epoch++;
    FOR_EACH_GROUP (g, t) {
        max = MAX(max, height_of(t, g, over, over_cfg));
    }
    if (store) {
        FOR_EACH_GROUP (g, t) {
            g->height = g->new_height;
        }
    }
    return max;
}

/* ---- GROUP_MOD --------------------------------------------------------------- */

static bool
watch_port_ok(uint32_t port)
{
    return (port >= 1 && port <= FT_OFPP_MAX) || port == FT_OFPP_LOCAL;
}

static struct ft_ofperr
check_buckets(const struct ft_group_table *t, const struct ft_group_mod *gm)
{
    struct ft_action_ctx actx = {
        .match = NULL, .groups = t, .packet_out = false,
        .action_set = false, .max_port = FT_OFPP_MAX,
    };

    if (gm->n_buckets > FT_GROUP_MAX_BUCKETS) {
        return GROUP_MOD_ERR(OUT_OF_BUCKETS);
    }
    if ((gm->n_buckets && !gm->buckets)
        || (gm->type == FT_OFPGT_INDIRECT && gm->n_buckets != 1)) {
        return GROUP_MOD_ERR(BAD_BUCKET);
    }
    for (uint32_t i = 0; i < gm->n_buckets; i++) {
        const struct ft_bucket_cfg *b = &gm->buckets[i];
        bool watches = b->watch_port != FT_OFPP_ANY
                       || b->watch_group != FT_OFPG_ANY;

        if (b->weight && gm->type != FT_OFPGT_SELECT) {
            return GROUP_MOD_ERR(WEIGHT_UNSUPPORTED);
        }
        if (watches && (gm->type == FT_OFPGT_ALL
                        || gm->type == FT_OFPGT_INDIRECT)) {
            return GROUP_MOD_ERR(WATCH_UNSUPPORTED);
        }
        if ((gm->type == FT_OFPGT_FF && !watches)
            || (b->watch_port != FT_OFPP_ANY && !watch_port_ok(b->watch_port))
            || (b->watch_group != FT_OFPG_ANY
                && (b->watch_group == gm->group_id
                    || !ft_group_lookup(t, b->watch_group)))) {
            return GROUP_MOD_ERR(BAD_WATCH);
        }
    }
    for (uint32_t i = 0; i < gm->n_buckets; i++) {
        const struct ft_action_list *l = &gm->buckets[i].actions;
        if (l->n > FT_MAX_ACTIONS) {
            return FT_OFPERR(BAD_ACTION, FT_OFPBAC_TOO_MANY);
        }
        for (uint32_t a = 0; l->acts && a < l->n; a++) {
            if (l->acts[a].type == FT_OFPAT_GROUP
                && l->acts[a].group.group_id == gm->group_id) {
                return GROUP_MOD_ERR(LOOP);
            }
        }
        struct ft_ofperr err = ft_actions_check(l, &actx);
        if (!ft_ofperr_is_ok(err)) {
            return err;
        }
    }
    return FT_OFPERR_OK;
}

/* A configuration from checked buckets, GROUP actions resolved but not
 * referenced yet (cfg_commit does that). NULL on ENOMEM. */
static struct group_cfg *
cfg_create(const struct ft_group_table *t, const struct ft_group_mod *gm)
{
    size_t n_acts = 0;
    size_t head = ROUND_UP(sizeof(struct group_cfg)
                           + gm->n_buckets * sizeof(struct ft_bucket_cfg), 8);
    size_t counters = ROUND_UP(gm->n_buckets * sizeof(struct bucket_counters),
                               8);

    for (uint32_t i = 0; i < gm->n_buckets; i++) {
        n_acts += gm->buckets[i].actions.n;
    }
    struct group_cfg *cfg = calloc(1, head + counters
                                      + n_acts * sizeof(struct ft_action));
    if (!cfg) {
        return NULL;
    }
    cfg->type = gm->type;
    cfg->n_buckets = gm->n_buckets;
    cfg->counters = (struct bucket_counters *) (void *) ((char *) cfg + head);
    struct ft_action *acts = (struct ft_action *) (void *)
                             ((char *) cfg + head + counters);
    for (uint32_t i = 0; i < gm->n_buckets; i++) {
        const struct ft_bucket_cfg *src = &gm->buckets[i];
        struct ft_bucket_cfg *dst = &cfg->buckets[i];

        *dst = *src;
        dst->actions.acts = src->actions.n ? acts : NULL;
        if (src->actions.n) {
            memcpy(acts, src->actions.acts,
                   src->actions.n * sizeof *acts);
        }
        for (uint32_t a = 0; a < src->actions.n; a++) {
            if (acts[a].type == FT_OFPAT_GROUP) {
                acts[a].group.group = ft_group_lookup(t,
                                                      acts[a].group.group_id);
            }
        }
        acts += src->actions.n;
        if (src->watch_group != FT_OFPG_ANY) {
            cfg->n_group_watches++;
        }
        atomic_init(&cfg->counters[i].packets, 0);
        atomic_init(&cfg->counters[i].bytes, 0);
    }
    atomic_init(&cfg->choice, NULL);
    return cfg;
}

/* 'cfg' becomes the current configuration of a group in the table:
 * reference and count its chained groups. */
static void
cfg_link(struct ft_group_table *t, struct group_cfg *cfg)
{
    FOR_EACH_CHILD (child, cfg) {
        atomic_fetch_add_explicit(&child->refs, 1, memory_order_relaxed);
        child->bucket_refs++;
        child->n_chained++;
    }
    t->n_group_watches += cfg->n_group_watches;
}

/* 'cfg' stops being current (MODIFY replaced it, or DELETE): no longer
 * counts as chaining; its references go when it is freed. */
static void
cfg_unlink(struct ft_group_table *t, struct group_cfg *cfg)
{
    FOR_EACH_CHILD (child, cfg) {
        child->n_chained--;
    }
    t->n_group_watches -= cfg->n_group_watches;
}

static void
delete_group(struct ft_group_table *t, struct ft_group **slot,
             struct ft_group **deleted, uint32_t deleted_cap,
             uint32_t *n_deleted)
{
    struct ft_group *g = *slot;

    *slot = g->next;
    g->next = NULL;
    g->in_table = false;
    t->n_groups--;
    cfg_unlink(t, group_cfg(g));
    if (deleted && *n_deleted < deleted_cap) {
        deleted[(*n_deleted)++] = g;
    }
    if (atomic_load_explicit(&g->refs, memory_order_relaxed) > 1) {
        g->znext = t->zombies;
        g->zprev = NULL;
        if (t->zombies) {
            t->zombies->zprev = g;
        }
        t->zombies = g;
    }
    unref(t, g);                    /* the index's reference */
}

static struct ft_ofperr
group_delete(struct ft_group_table *t, uint32_t id, struct ft_group **deleted,
             uint32_t deleted_cap, uint32_t *n_deleted)
{
    if (id == FT_OFPG_ALL) {
        for (uint32_t i = 0; i <= t->mask; i++) {
            while (t->index[i]) {
                delete_group(t, &t->index[i], deleted, deleted_cap,
                             n_deleted);
            }
        }
        return FT_OFPERR_OK;
    }
    struct ft_group **slot = find_slot(t, id);
    if (!*slot) {
        return FT_OFPERR_OK;
    }
    if ((*slot)->n_chained) {
        return GROUP_MOD_ERR(CHAINED_GROUP);
    }
    delete_group(t, slot, deleted, deleted_cap, n_deleted);
    if (t->n_group_watches) {
        recompute_liveness(t);
    }
    return FT_OFPERR_OK;
}

/* Loop and depth checks of 'cfg' for group 'g' (NULL: a new group). */
static struct ft_ofperr
check_chaining(struct ft_group_table *t, struct ft_group *g,
               const struct group_cfg *cfg, uint32_t *height)
{
    uint32_t h = 1;

    /* Without groups forwarding to it, nothing the new buckets reach can
     * lead back (self-reference was refused already). */
    if (g && g->n_chained) {
        t->epoch++;
        FOR_EACH_CHILD (child, cfg) {
            if (reaches(t, child, g)) {
                return GROUP_MOD_ERR(LOOP);
            }
        }
    }
    FOR_EACH_CHILD (child, cfg) {
        h = MAX(h, 1u + child->height);
    }
    if (h > FT_GROUP_MAX_CHAIN) {
        return GROUP_MOD_ERR(CHAINING_UNSUPPORTED);
    }
    if (g && g->n_chained && h > g->height
        && compute_heights(t, g, cfg, false) > FT_GROUP_MAX_CHAIN) {
        return GROUP_MOD_ERR(CHAINING_UNSUPPORTED);
    }
    *height = h;
    return FT_OFPERR_OK;
}

struct ft_ofperr
ft_group_mod(struct ft_group_table *t, const struct ft_group_mod *gm,
             uint64_t now_ns, struct ft_group **deleted,
             uint32_t deleted_cap, uint32_t *n_deleted)
{
    uint32_t id = gm->group_id;
    uint32_t n_deleted_local = 0;
    struct ft_ofperr err;

    if (!n_deleted) {
        n_deleted = &n_deleted_local;
    }
    *n_deleted = 0;
    ft_group_reclaim(t);
    if (gm->command > FT_OFPGC_DELETE) {
        return GROUP_MOD_ERR(BAD_COMMAND);
    }
    if (id > FT_OFPG_MAX
        && !(id == FT_OFPG_ALL && gm->command == FT_OFPGC_DELETE)) {
        return GROUP_MOD_ERR(INVALID_GROUP);
    }
    if (gm->command == FT_OFPGC_DELETE) {
        return group_delete(t, id, deleted, deleted_cap, n_deleted);
    }
    if (gm->type > FT_OFPGT_FF) {
        return GROUP_MOD_ERR(BAD_TYPE);
    }
    err = check_buckets(t, gm);
    if (!ft_ofperr_is_ok(err)) {
        return err;
    }

    struct ft_group *g = ft_group_lookup(t, id);
    struct group_cfg *cfg = cfg_create(t, gm);
    uint32_t height;
    if (!cfg) {
        return GROUP_MOD_ERR(OUT_OF_GROUPS);
    }
    err = check_chaining(t, gm->command == FT_OFPGC_MODIFY ? g : NULL, cfg,
                         &height);
    if (ft_ofperr_is_ok(err)) {
        if (gm->command == FT_OFPGC_ADD && g) {
            err = GROUP_MOD_ERR(GROUP_EXISTS);
        } else if (gm->command == FT_OFPGC_MODIFY && !g) {
            err = GROUP_MOD_ERR(UNKNOWN_GROUP);
        } else if (gm->command == FT_OFPGC_ADD
                   && t->n_groups >= t->max_groups) {
            err = GROUP_MOD_ERR(OUT_OF_GROUPS);
        }
    }

    /* The choice is built before publication: a reader never sees a
     * FF/SELECT configuration without one. */
    struct group_choice *choice = NULL;
    if (ft_ofperr_is_ok(err) && needs_choice(cfg->type)) {
        bool live[FT_GROUP_MAX_BUCKETS];
        struct group_cfg *old = g ? group_cfg(g) : NULL;
        const struct group_choice *prev = old && old->type == cfg->type
            ? atomic_load_explicit(&old->choice, memory_order_relaxed)
            : NULL;
        compute_bucket_liveness(t, cfg, false, live);
        choice = choice_create(cfg, live, prev);
        if (!choice) {
            err = GROUP_MOD_ERR(OUT_OF_GROUPS);
        }
    }
    struct ft_group *added = NULL;
    if (ft_ofperr_is_ok(err) && gm->command == FT_OFPGC_ADD) {
        added = calloc(1, sizeof *added);
        if (!added) {
            err = GROUP_MOD_ERR(OUT_OF_GROUPS);
        }
    }
    if (!ft_ofperr_is_ok(err)) {
        free(choice);
        free(cfg);
        return err;
    }

    atomic_init(&cfg->choice, choice);
    cfg_link(t, cfg);
    if (added) {
        g = added;
        g->id = id;
        g->created_ns = now_ns;
        g->in_table = true;
        g->next_generation = 1;
        atomic_init(&g->packets, 0);
        atomic_init(&g->bytes, 0);
        atomic_init(&g->refs, 1);   /* the index */
        atomic_init(&g->holds, 0);
        cfg->generation = g->next_generation++;
        g->height = (uint8_t) height;
        atomic_init(&g->cfg, cfg);
        struct ft_group **slot = find_slot(t, id);
        *slot = g;
        t->n_groups++;
    } else {
        struct group_cfg *old = group_cfg(g);
        bool grew_or_shrank = height != g->height;

        cfg->generation = g->next_generation++;
        atomic_store_explicit(&g->cfg, cfg, memory_order_release);
        cfg_unlink(t, old);
        retire(t, &old->gc, GC_CFG);
        g->height = (uint8_t) height;
        if (grew_or_shrank && g->n_chained) {
            compute_heights(t, NULL, NULL, true);
        }
    }
    g->live = false;
    for (uint32_t b = 0; b < cfg->n_buckets; b++) {
        if (bucket_live(t, &cfg->buckets[b], false)) {
            g->live = true;
            break;
        }
    }
    if (t->n_group_watches) {
        recompute_liveness(t);
    }
    return FT_OFPERR_OK;
}

/* ---- queries --------------------------------------------------------------- */

void
ft_group_get_features(const struct ft_group_table *t,
                      struct ft_group_features *f)
{
    uint32_t actions = 0;
    static const uint16_t supported[] = {
        FT_OFPAT_OUTPUT, FT_OFPAT_COPY_TTL_OUT, FT_OFPAT_COPY_TTL_IN,
        FT_OFPAT_SET_MPLS_TTL, FT_OFPAT_DEC_MPLS_TTL, FT_OFPAT_PUSH_VLAN,
        FT_OFPAT_POP_VLAN, FT_OFPAT_PUSH_MPLS, FT_OFPAT_POP_MPLS,
        FT_OFPAT_SET_QUEUE, FT_OFPAT_GROUP, FT_OFPAT_SET_NW_TTL,
        FT_OFPAT_DEC_NW_TTL, FT_OFPAT_SET_FIELD, FT_OFPAT_PUSH_PBB,
        FT_OFPAT_POP_PBB,
    };

    for (size_t i = 0; i < ARRAY_SIZE(supported); i++) {
        actions |= UINT32_C(1) << supported[i];
    }
    memset(f, 0, sizeof *f);
    f->types = 1u << FT_OFPGT_ALL | 1u << FT_OFPGT_SELECT
               | 1u << FT_OFPGT_INDIRECT | 1u << FT_OFPGT_FF;
    /* OFPGFC_SELECT_WEIGHT | SELECT_LIVENESS | CHAINING | CHAINING_CHECKS */
    f->capabilities = 1u | 2u | 4u | 8u;
    for (size_t i = 0; i < ARRAY_SIZE(f->max_groups); i++) {
        f->max_groups[i] = t->max_groups;   /* one pool for all types */
        f->actions[i] = actions;
    }
}

uint32_t
ft_group_count(const struct ft_group_table *t)
{
    return t->n_groups;
}

static int
cmp_u32(const void *a_, const void *b_)
{
    uint32_t a = *(const uint32_t *) a_, b = *(const uint32_t *) b_;
    return a < b ? -1 : a > b;
}

uint32_t
ft_group_list(const struct ft_group_table *t, uint32_t *ids, uint32_t cap)
{
    uint32_t *all = t->n_groups ? malloc(t->n_groups * sizeof *all) : NULL;
    uint32_t n = 0;

    if (!t->n_groups) {
        return 0;
    }
    if (!all) {
        /* Unsorted fallback: still every id that fits. */
        FOR_EACH_GROUP (g, t) {
            if (n < cap) {
                ids[n] = g->id;
            }
            n++;
        }
        return n;
    }
    FOR_EACH_GROUP (g, t) {
        all[n++] = g->id;
    }
    qsort(all, n, sizeof *all, cmp_u32);
    memcpy(ids, all, MIN(n, cap) * sizeof *ids);
    free(all);
    return n;
}

struct ft_group *
ft_group_ref(struct ft_group_table *t, uint32_t id)
{
    struct ft_group *g = ft_group_lookup(t, id);

    if (g) {
        atomic_fetch_add_explicit(&g->refs, 1, memory_order_relaxed);
    }
    return g;
}

void
ft_group_hold(struct ft_group *g)
{
    atomic_fetch_add_explicit(&g->holds, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&g->refs, 1, memory_order_relaxed);
}

void
ft_group_release(struct ft_group_table *t, struct ft_group *g)
{
    if (g) {
        atomic_fetch_sub_explicit(&g->holds, 1, memory_order_relaxed);
        unref(t, g);
    }
}

void
ft_group_unref(struct ft_group_table *t, struct ft_group *g)
{
    if (g) {
        unref(t, g);
    }
}

uint32_t
ft_group_id(const struct ft_group *g)
{
    return g->id;
}

int
ft_group_get_stats(const struct ft_group_table *t, uint32_t id,
                   uint64_t now_ns, struct ft_group_stats *s)
{
    struct ft_group *g = ft_group_lookup(t, id);

    memset(s, 0, sizeof *s);
    if (!g) {
        return -ENOENT;
    }
    const struct group_cfg *cfg = group_cfg(g);
    uint32_t refs = atomic_load_explicit(&g->refs, memory_order_relaxed);
    uint32_t holds = atomic_load_explicit(&g->holds, memory_order_relaxed);
    uint64_t age = now_ns > g->created_ns ? now_ns - g->created_ns : 0;

    s->group_id = id;
    /* Flows (everything but the index, bucket references and holds),
     * plus the in-table groups forwarding here. */
    s->ref_count = refs - 1 - g->bucket_refs - holds + g->n_chained;
    s->packet_count = atomic_load_explicit(&g->packets, memory_order_relaxed);
    s->byte_count = atomic_load_explicit(&g->bytes, memory_order_relaxed);
    s->duration_sec = (uint32_t) (age / 1000000000u);
    s->duration_nsec = (uint32_t) (age % 1000000000u);
    s->n_buckets = cfg->n_buckets;
    for (uint32_t b = 0; b < cfg->n_buckets; b++) {
        s->buckets[b].packet_count =
            atomic_load_explicit(&cfg->counters[b].packets,
                                 memory_order_relaxed);
        s->buckets[b].byte_count =
            atomic_load_explicit(&cfg->counters[b].bytes,
                                 memory_order_relaxed);
    }
    return 0;
}

int
ft_group_get_desc(const struct ft_group_table *t, uint32_t id,
                  struct ft_group_desc *d)
{
    const struct ft_group *g = ft_group_lookup(t, id);

    memset(d, 0, sizeof *d);
    if (!g) {
        return -ENOENT;
    }
    const struct group_cfg *cfg = group_cfg(g);
    d->group_id = id;
    d->type = cfg->type;
    d->n_buckets = cfg->n_buckets;
    d->buckets = cfg->buckets;
    return 0;
}

/* ---- reader side ------------------------------------------------------------- */

void
ft_group_read(const struct ft_group *g, struct ft_group_view *v)
{
    const struct group_cfg *cfg = group_cfg(g);

    v->type = cfg->type;
    v->n_buckets = cfg->n_buckets;
    v->buckets = cfg->buckets;
    v->generation = cfg->generation;
}

int
ft_group_choose(const struct ft_group *g, const struct ft_group_view *v,
                uint32_t dp_hash, uint32_t *hash_mask)
{
    /* The view's buckets are the configuration's: that configuration's
     * choice, consistent with the view even if a MODIFY came since. */
    const struct group_cfg *cfg = CONTAINER_OF(v->buckets, struct group_cfg,
                                               buckets);
    const struct group_choice *c;

    (void) g;
    if (hash_mask) {
        *hash_mask = 0;
    }
    switch (v->type) {
    case FT_OFPGT_SELECT:
        if (hash_mask) {
            *hash_mask = FT_GROUP_SELECT_SLOTS - 1;
        }
        c = atomic_load_explicit(&((struct group_cfg *) cfg)->choice,
                                 memory_order_acquire);
        return c && c->select_any
               ? c->slot[dp_hash & (FT_GROUP_SELECT_SLOTS - 1)] : -1;
    case FT_OFPGT_FF:
        c = atomic_load_explicit(&((struct group_cfg *) cfg)->choice,
                                 memory_order_acquire);
        return c ? c->ff_bucket : -1;
    case FT_OFPGT_INDIRECT:
        return v->n_buckets ? 0 : -1;
    default:
        return -1;
    }
}

void
ft_group_credit_bucket(struct ft_group *g, uint32_t generation, int bucket,
                       uint64_t packets, uint64_t bytes)
{
    struct group_cfg *cfg = atomic_load_explicit(&g->cfg,
                                                 memory_order_acquire);

    if (bucket >= 0 && cfg->generation == generation
        && (uint32_t) bucket < cfg->n_buckets) {
        atomic_fetch_add_explicit(&cfg->counters[bucket].packets, packets,
                                  memory_order_relaxed);
        atomic_fetch_add_explicit(&cfg->counters[bucket].bytes, bytes,
                                  memory_order_relaxed);
    }
}

void
ft_group_credit(struct ft_group *g, uint32_t generation, int bucket,
                uint64_t packets, uint64_t bytes)
{
    atomic_fetch_add_explicit(&g->packets, packets, memory_order_relaxed);
    atomic_fetch_add_explicit(&g->bytes, bytes, memory_order_relaxed);
    ft_group_credit_bucket(g, generation, bucket, packets, bytes);
}
