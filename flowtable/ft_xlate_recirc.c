/*
 * ft_xlate_recirc.c — the registry of recirculation states (frozen
 * translations) of one pipeline, and xlate's deferred frees.
 *
 * Ids: a state lives in a slot of a two-level table (a fixed directory of
 * lazily allocated pages) that readers index without locks: id = slot |
 * generation << FT_RECIRC_SLOT_BITS. Slot 0 is never used, so no id is 0;
 * the generation grows each time a slot is reused, so an id outlives its
 * state by thousands of reuses before it can name another one.
 *
 * Content: a chained hash of the frozen bytes (writer side, under the
 * mutex) so equal work gets one id — megaflows that freeze the same rest
 * of the pipeline share their second-pass megaflows.
 *
 * Life: references are taken and dropped under the mutex (xcaches). A
 * state with no reference sits on the idle list, stamped with a qsbr
 * token each time it is handed out; ft_xlate_state_reclaim() unlinks the
 * idle states whose token has expired (no translation that saw them can
 * still be about to reference them), then frees them once a second token
 * has expired (no reader can still be looking at them by id).
 *
 * Threads: acquire/ref/unref/defer_free on any qsbr reader (mutex);
 * ft_recirc_find lock-free; create/destroy/reclaim main thread.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <rte_jhash.h>
#include <rte_rcu_qsbr.h>

#include "ft_xlate_private.h"

#define FT_RECIRC_SLOT_BITS 20      /* slots per registry: 1M states */
#define FT_RECIRC_PAGE_BITS 10      /* slots per page: 8 KB of pointers */
#define FT_RECIRC_PAGE_SIZE (1u << FT_RECIRC_PAGE_BITS)
#define FT_RECIRC_N_PAGES (1u << (FT_RECIRC_SLOT_BITS - FT_RECIRC_PAGE_BITS))
#define FT_RECIRC_SLOT_MASK ((1u << FT_RECIRC_SLOT_BITS) - 1)
#define FT_RECIRC_GEN_MASK ((1u << (32 - FT_RECIRC_SLOT_BITS)) - 1)
#define FT_RECIRC_MAX_STATES (FT_RECIRC_SLOT_MASK)  /* slot 0 unused */
#define FT_RECIRC_MIN_BUCKETS 64    /* content index, grows by doubling */

struct recirc {
    uint32_t id;
    uint32_t refcount;              /* under the mutex */
    uint32_t hash;                  /* of the frozen bytes */
    bool idle_linked;               /* on the idle list */
    uint64_t token;                 /* idle: last handed out; dying: unlinked */
    struct recirc *hnext;           /* content index chain */
    struct recirc *idle_prev, *idle_next;
    struct recirc *dying_next;
    struct ft_group_table *groups;  /* for the groups its actions hold */
    size_t size;                    /* of 'frozen' */
    struct ft_frozen frozen;        /* must be last */
};

struct recirc_page {
    _Atomic(struct recirc *) slot[FT_RECIRC_PAGE_SIZE];    /* readers */
    uint16_t gen[FT_RECIRC_PAGE_SIZE];                     /* writer */
};

struct ft_xlate_state {
    pthread_mutex_t mutex;
    struct rte_rcu_qsbr *qsbr;
    _Atomic uint32_t n_live;
    _Atomic(struct recirc_page *) pages[FT_RECIRC_N_PAGES];

    /* Below: under 'mutex'. */
    uint32_t next_slot;             /* never used slots start here */
    uint32_t *free_slots;           /* freed slots, reused LIFO */
    uint32_t n_free, free_cap;
    struct recirc **buckets;        /* content index */
    uint32_t n_buckets;
    struct recirc *idle_head;       /* unreferenced, still linked */
    struct recirc *dying;           /* unlinked, waiting to be freed */
    struct ft_xlate_gc *gc;         /* ft_xlate_defer_free() objects */
};

/* ---- canonical actions --------------------------------------------------- */

void
ft_action_canonical(struct ft_action *dst, const struct ft_action *src)
{
    memset(dst, 0, sizeof *dst);
    dst->type = src->type;
    switch (src->type) {
    case FT_OFPAT_OUTPUT:
        dst->output.port = src->output.port;
        dst->output.max_len = src->output.max_len;
        break;
    case FT_OFPAT_GROUP:
        dst->group.group_id = src->group.group_id;
        dst->group.group = src->group.group;
        break;
    case FT_OFPAT_SET_QUEUE:
        dst->queue_id = src->queue_id;
        break;
    case FT_OFPAT_SET_MPLS_TTL:
    case FT_OFPAT_SET_NW_TTL:
        dst->ttl = src->ttl;
        break;
    case FT_OFPAT_PUSH_VLAN:
    case FT_OFPAT_PUSH_MPLS:
    case FT_OFPAT_PUSH_PBB:
    case FT_OFPAT_POP_MPLS:
        dst->ethertype = src->ethertype;
        break;
    case FT_OFPAT_SET_FIELD: {
        const struct ft_set_field *s = &src->set_field;
        struct ft_set_field *d = &dst->set_field;
        unsigned int n = s->n_words <= FT_SET_FIELD_MAX_WORDS
                         ? s->n_words : FT_SET_FIELD_MAX_WORDS;

        d->oxm_field = s->oxm_field;
        d->len = s->len <= FT_SET_FIELD_MAX_LEN ? s->len
                                                : FT_SET_FIELD_MAX_LEN;
        memcpy(d->value, s->value, d->len);
        d->prereq = s->prereq;
        d->n_words = (uint8_t) n;
        for (unsigned int i = 0; i < n; i++) {
            d->word[i] = s->word[i];
            d->bits[i] = s->bits[i];
            d->mask[i] = s->mask[i];
        }
        break;
    }
    default:                        /* no argument */
        break;
    }
}

/* ---- slots ---------------------------------------------------------------- */

static struct recirc_page *
page_of(const struct ft_xlate_state *st, uint32_t slot)
{
    return atomic_load_explicit(&st->pages[slot >> FT_RECIRC_PAGE_BITS],
                                memory_order_acquire);
}

/* A free slot with its page allocated, or 0. */
static uint32_t
slot_alloc(struct ft_xlate_state *st)
{
    uint32_t slot;

    if (st->n_free) {
        return st->free_slots[--st->n_free];
    }
    if (st->next_slot > FT_RECIRC_MAX_STATES) {
        return 0;
    }
    slot = st->next_slot;
    if (!page_of(st, slot)) {
        struct recirc_page *page = calloc(1, sizeof *page);
        if (!page) {
            return 0;
        }
        atomic_store_explicit(&st->pages[slot >> FT_RECIRC_PAGE_BITS], page,
                              memory_order_release);
    }
    st->next_slot++;
    return slot;
}

/* Gives back the slot of a freed state, bumping its generation. A push
 * that cannot grow the free list leaks the slot (not the memory). */
static void
slot_free(struct ft_xlate_state *st, uint32_t slot)
{
    struct recirc_page *page = page_of(st, slot);
    uint32_t i = slot & (FT_RECIRC_PAGE_SIZE - 1);

    page->gen[i] = (uint16_t) ((page->gen[i] + 1) & FT_RECIRC_GEN_MASK);
    if (st->n_free == st->free_cap) {
        uint32_t cap = st->free_cap ? st->free_cap * 2 : 64;
        uint32_t *p = realloc(st->free_slots, cap * sizeof *p);
        if (!p) {
            return;
        }
        st->free_slots = p;
        st->free_cap = cap;
    }
    st->free_slots[st->n_free++] = slot;
}

static _Atomic(struct recirc *) *
slot_ptr(const struct ft_xlate_state *st, uint32_t slot)
{
    struct recirc_page *page = page_of(st, slot);
    return page ? &page->slot[slot & (FT_RECIRC_PAGE_SIZE - 1)] : NULL;
}

/* ---- content index -------------------------------------------------------- */

static void
index_grow(struct ft_xlate_state *st)
{
    uint32_t n = st->n_buckets * 2;
    struct recirc **b = calloc(n, sizeof *b);

    if (!b) {
        return;                     /* longer chains, still correct */
    }
    for (uint32_t i = 0; i < st->n_buckets; i++) {
        struct recirc *r = st->buckets[i], *next;
        for (; r; r = next) {
            next = r->hnext;
            r->hnext = b[r->hash & (n - 1)];
            b[r->hash & (n - 1)] = r;
        }
    }
    free(st->buckets);
    st->buckets = b;
    st->n_buckets = n;
}

static void
index_remove(struct ft_xlate_state *st, struct recirc *r)
{
    struct recirc **p = &st->buckets[r->hash & (st->n_buckets - 1)];

    while (*p != r) {
        p = &(*p)->hnext;
    }
    *p = r->hnext;
}

/* ---- idle list -------------------------------------------------------------- */

static uint64_t
grace_start(const struct ft_xlate_state *st)
{
    return st->qsbr ? rte_rcu_qsbr_start(st->qsbr) : 0;
}

static bool
grace_over(const struct ft_xlate_state *st, uint64_t token)
{
    return !st->qsbr || rte_rcu_qsbr_check(st->qsbr, token, false) == 1;
}

static void
idle_add(struct ft_xlate_state *st, struct recirc *r)
{
    r->idle_prev = NULL;
    r->idle_next = st->idle_head;
    if (st->idle_head) {
        st->idle_head->idle_prev = r;
    }
    st->idle_head = r;
    r->idle_linked = true;
}

static void
idle_remove(struct ft_xlate_state *st, struct recirc *r)
{
    if (r->idle_prev) {
        r->idle_prev->idle_next = r->idle_next;
    } else {
        st->idle_head = r->idle_next;
    }
    if (r->idle_next) {
        r->idle_next->idle_prev = r->idle_prev;
    }
    r->idle_linked = false;
}

/* ---- the registry ------------------------------------------------------------ */

struct ft_xlate_state *
ft_xlate_state_create(struct rte_rcu_qsbr *qsbr)
{
    struct ft_xlate_state *st = calloc(1, sizeof *st);

    if (!st) {
        return NULL;
    }
    st->buckets = calloc(FT_RECIRC_MIN_BUCKETS, sizeof *st->buckets);
    if (!st->buckets || pthread_mutex_init(&st->mutex, NULL)) {
        free(st->buckets);
        free(st);
        return NULL;
    }
    st->n_buckets = FT_RECIRC_MIN_BUCKETS;
    st->qsbr = qsbr;
    st->next_slot = 1;              /* slot 0 would make id 0 */
    return st;
}

static void
for_each_group(const struct ft_frozen *f,
               void (*fn)(struct ft_group *, struct ft_group_table *),
               struct ft_group_table *groups)
{
    for (unsigned int i = 0; i < (unsigned int) f->n_set + f->n_ops; i++) {
        const struct ft_action *a = &f->ops[i].action;
        if ((f->ops[i].kind == FT_FROZEN_ACTION
             || f->ops[i].kind == FT_FROZEN_WRITE)
            && a->type == FT_OFPAT_GROUP && a->group.group) {
            fn(a->group.group, groups);
        }
    }
}

static void
hold_group(struct ft_group *g, struct ft_group_table *groups)
{
    (void) groups;
    ft_group_hold(g);
}

static void
unref_group(struct ft_group *g, struct ft_group_table *groups)
{
    ft_group_release(groups, g);
}

static void
recirc_free(struct recirc *r)
{
    for_each_group(&r->frozen, unref_group, r->groups);
    free(r);
}

/* No reader may be running. Group references are not dropped: the
 * pipeline tears its group table down whole. */
void
ft_xlate_state_destroy(struct ft_xlate_state *st)
{
    if (!st) {
        return;
    }
    for (uint32_t i = 0; i < st->n_buckets; i++) {
        struct recirc *r = st->buckets[i], *next;
        for (; r; r = next) {
            next = r->hnext;
            free(r);
        }
    }
    for (struct recirc *r = st->dying, *next; r; r = next) {
        next = r->dying_next;
        free(r);
    }
    for (struct ft_xlate_gc *gc = st->gc, *next; gc; gc = next) {
        next = gc->next;
        free(gc->obj);
    }
    for (uint32_t i = 0; i < FT_RECIRC_N_PAGES; i++) {
        free(atomic_load_explicit(&st->pages[i], memory_order_relaxed));
    }
    free(st->free_slots);
    free(st->buckets);
    pthread_mutex_destroy(&st->mutex);
    free(st);
}

void
ft_xlate_state_reclaim(struct ft_xlate_state *st)
{
    pthread_mutex_lock(&st->mutex);

    /* Second phase first, so a state unlinked now waits a full period. */
    for (struct recirc **p = &st->dying; *p;) {
        struct recirc *r = *p;
        if (grace_over(st, r->token)) {
            *p = r->dying_next;
            slot_free(st, r->id & FT_RECIRC_SLOT_MASK);
            recirc_free(r);
        } else {
            p = &r->dying_next;
        }
    }
    for (struct recirc *r = st->idle_head, *next; r; r = next) {
        next = r->idle_next;
        if (!grace_over(st, r->token)) {
            continue;
        }
        idle_remove(st, r);
        index_remove(st, r);
        atomic_store_explicit(slot_ptr(st, r->id & FT_RECIRC_SLOT_MASK),
                              NULL, memory_order_release);
        atomic_fetch_sub_explicit(&st->n_live, 1, memory_order_relaxed);
        if (st->qsbr) {
            r->token = grace_start(st);
            r->dying_next = st->dying;
            st->dying = r;
        } else {
            slot_free(st, r->id & FT_RECIRC_SLOT_MASK);
            recirc_free(r);
        }
    }
    for (struct ft_xlate_gc **p = &st->gc; *p;) {
        struct ft_xlate_gc *gc = *p;
        if (grace_over(st, gc->token)) {
            *p = gc->next;
            free(gc->obj);
        } else {
            p = &gc->next;
        }
    }
    pthread_mutex_unlock(&st->mutex);
}

int
ft_recirc_acquire(struct ft_xlate_state *st, const struct ft_frozen *f,
                  struct ft_group_table *groups, uint32_t *id)
{
    size_t size = ft_frozen_size(f);
    uint32_t hash = rte_jhash(f, (uint32_t) size, 0);
    struct recirc *r;
    uint32_t slot;
    int error = 0;

    pthread_mutex_lock(&st->mutex);
    for (r = st->buckets[hash & (st->n_buckets - 1)]; r; r = r->hnext) {
        if (r->hash == hash && r->size == size
            && !memcmp(&r->frozen, f, size)) {
            goto found;
        }
    }
    r = malloc(sizeof *r - sizeof r->frozen + size);
    slot = r ? slot_alloc(st) : 0;
    if (!slot) {
        error = r ? -ENOSPC : -ENOMEM;
        free(r);
        goto out;
    }
    memset(r, 0, sizeof *r - sizeof r->frozen);
    memcpy(&r->frozen, f, size);
    r->size = size;
    r->hash = hash;
    r->groups = groups;
    r->id = slot | (uint32_t) page_of(st, slot)
                       ->gen[slot & (FT_RECIRC_PAGE_SIZE - 1)]
                   << FT_RECIRC_SLOT_BITS;
    for_each_group(&r->frozen, hold_group, groups);
    r->hnext = st->buckets[hash & (st->n_buckets - 1)];
    st->buckets[hash & (st->n_buckets - 1)] = r;
    idle_add(st, r);
    atomic_store_explicit(slot_ptr(st, slot), r, memory_order_release);
    if (atomic_fetch_add_explicit(&st->n_live, 1, memory_order_relaxed) + 1
        > 2 * st->n_buckets) {
        index_grow(st);
    }
found:
    if (!r->refcount) {
        r->token = grace_start(st);
    }
    *id = r->id;
out:
    pthread_mutex_unlock(&st->mutex);
    return error;
}

static struct recirc *
find(const struct ft_xlate_state *st, uint32_t id)
{
    _Atomic(struct recirc *) *p = slot_ptr(st, id & FT_RECIRC_SLOT_MASK);
    struct recirc *r;

    if (!id || !p) {
        return NULL;
    }
    r = atomic_load_explicit(p, memory_order_acquire);
    return r && r->id == id ? r : NULL;
}

const struct ft_frozen *
ft_recirc_find(const struct ft_xlate_state *st, uint32_t id)
{
    struct recirc *r = find(st, id);
    return r ? &r->frozen : NULL;
}

uint32_t
ft_recirc_ref(struct ft_xlate_state *st, const uint32_t *ids, uint32_t n,
              uint32_t *held)
{
    uint32_t n_held = 0;

    pthread_mutex_lock(&st->mutex);
    for (uint32_t i = 0; i < n; i++) {
        uint32_t id = ids[i];
        struct recirc *r = find(st, id);
        if (!r) {
            continue;
        }
        if (!r->refcount++) {
            idle_remove(st, r);
        }
        held[n_held++] = id;
    }
    pthread_mutex_unlock(&st->mutex);
    return n_held;
}

void
ft_recirc_unref(struct ft_xlate_state *st, const uint32_t *ids, uint32_t n)
{
    pthread_mutex_lock(&st->mutex);
    for (uint32_t i = 0; i < n; i++) {
        struct recirc *r = find(st, ids[i]);
        if (r && r->refcount && !--r->refcount) {
            r->token = grace_start(st);
            idle_add(st, r);
        }
    }
    pthread_mutex_unlock(&st->mutex);
}

void
ft_xlate_defer_free(struct ft_xlate_state *st, struct ft_xlate_gc *gc,
                    void *obj)
{
    if (!st->qsbr) {
        free(obj);
        return;
    }
    gc->obj = obj;
    pthread_mutex_lock(&st->mutex);
    gc->token = grace_start(st);
    gc->next = st->gc;
    st->gc = gc;
    pthread_mutex_unlock(&st->mutex);
}

uint32_t
ft_recirc_count(const struct ft_xlate_state *st)
{
    return atomic_load_explicit(&st->n_live, memory_order_relaxed);
}
