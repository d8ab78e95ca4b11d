/*
 * ft_classifier.c — tuple-space search classifier (interface and model in
 * ft_classifier.h): the classifier-level logic. The subtables it searches
 * (per-mask hash table of rule lists, staged-lookup indexes, rank heap)
 * are in ft_cls_subtable.c, their layout in ft_cls_private.h; the prefix
 * tries in ft_trie.c.
 *
 * Threads: ft_cls_lookup() (and ft_cls_rule_visible()) run on any
 * registered reader thread, lock-free and allocation-free; every other
 * function here, and everything in ft_cls_subtable.c, runs on the single
 * writer (main) thread.
 *
 * Data structures kept here, and how each stays safe for concurrent
 * readers:
 *
 *  cls->pvec       RCU-published array of (best rank held, subtable)
 *                  sorted best first. Replaced whole (copy on write) when a
 *                  subtable appears, disappears or its best rank changes.
 *  cls->all/map    Writer only: every subtable, and the same chained by
 *                  mask hash to find a rule's subtable.
 *  cls->tries      ft_trie.c, one per address field, holding the prefixes
 *                  of the subtables' masked keys (see ft_cls_private.h for
 *                  which subtables use them).
 *  rules           A rule's version range is read atomically by readers.
 *  subtables       See ft_cls_private.h.
 *
 * Memory is retired through cls_retire(): freed after a grace period of the
 * qsbr, at once without one.
 *
 * Megaflow mask rules (soundness: any key agreeing with the looked-up key on
 * the returned bits gets the same rule):
 *  - a subtable holding the masked key contributes its whole mask;
 *  - a subtable that misses contributes either the leading address bits a
 *    prefix trie walk depended on (at most the subtable's prefix length),
 *    when the trie shows no rule prefix of that length matches at all, or
 *    else the mask words of the stages probed (all, for a final miss);
 *  - a subtable not visited because it cannot outrank the winner
 *    contributes nothing.
 */
#include "ft_classifier.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_common.h>
#include <rte_hash_crc.h>
#include <rte_prefetch.h>
#include <rte_rcu_qsbr.h>

#include "ft_cls_private.h"
#include "ft_trie.h"

/* Deferred frees are checked against the qsbr once this many are pending,
 * so a long batch does not hoard memory. */
#define CLS_RECLAIM_BATCH 256

/* Sets the first 'n' bits of field 't' in 'wc'. */
static inline void
wc_set_prefix(ft_key_word *wc, unsigned int t, unsigned int n)
{
    uint8_t *p = (uint8_t *) wc + trie_fields[t].ofs;
    unsigned int i;
    for (i = 0; i < n / 8; i++) {
        p[i] = 0xff;
    }
    if (n % 8) {
        p[i] |= (uint8_t) (0xff << (8 - n % 8));
    }
}

/* ---- structures -------------------------------------------------------- */

struct cls_pvec_entry {
    int32_t max_priority;
    uint64_t max_seq;
    struct cls_subtable *subtable;
};

struct cls_pvec {
    size_t n;
    struct cls_pvec_entry e[];
};

struct cls_deferred {
    void (*fn)(void *);
    void *arg;
    uint64_t token;
};

struct ft_cls {
    /* Read by lookups. */
    struct cls_pvec *pvec;             /* RCU */
    struct ft_trie tries[CLS_N_TRIES];

    /* Writer only. */
    struct cls_pvec *spare;            /* next pvec, reserved by inserts */
    size_t spare_cap;
    struct rte_rcu_qsbr *qsbr;
    size_t n_rules;
    uint64_t next_seq;
    unsigned int defer_depth;
    unsigned int iterating;            /* ft_cls_foreach nesting */
    bool pvec_dirty;                   /* republish at publication */
    bool has_empty;                    /* an emptied subtable awaits sweep */

    struct cls_subtable **all;         /* every subtable */
    size_t n_all, all_cap;
    struct cls_subtable **map;         /* by mask hash, chained */
    size_t map_mask;

    struct cls_deferred *deferred;     /* FIFO of pending frees */
    size_t def_head, def_tail, def_cap;
};

/* ---- deferred frees ---------------------------------------------------- */

static bool
deferred_push(struct ft_cls *cls, void (*fn)(void *), void *arg)
{
    if (cls->def_tail == cls->def_cap) {
        if (cls->def_head > cls->def_cap / 2) {
            size_t n = cls->def_tail - cls->def_head;
            memmove(cls->deferred, cls->deferred + cls->def_head,
                    n * sizeof *cls->deferred);
            cls->def_head = 0;
            cls->def_tail = n;
        } else {
            size_t cap = cls->def_cap ? cls->def_cap * 2 : 64;
            struct cls_deferred *d = realloc(cls->deferred, cap * sizeof *d);
            if (!d) {
                return false;
            }
            cls->deferred = d;
            cls->def_cap = cap;
        }
    }
    cls->deferred[cls->def_tail++] = (struct cls_deferred) {
        fn, arg, rte_rcu_qsbr_start(cls->qsbr)
    };
    return true;
}

void
ft_cls_reclaim(struct ft_cls *cls)
{
    while (cls->def_head < cls->def_tail) {
        struct cls_deferred *d = &cls->deferred[cls->def_head];
        if (!rte_rcu_qsbr_check(cls->qsbr, d->token, false)) {
            break;                     /* tokens grow: later ones wait too */
        }
        cls->def_head++;
        d->fn(d->arg);
    }
    if (cls->def_head == cls->def_tail) {
        cls->def_head = cls->def_tail = 0;
    }
}

int
ft_cls_defer_free(struct ft_cls *cls, void (*fn)(void *), void *arg)
{
    if (!cls->qsbr) {
        fn(arg);
        return 0;
    }
    if (!deferred_push(cls, fn, arg)) {
        rte_rcu_qsbr_synchronize(cls->qsbr, RTE_QSBR_THRID_INVALID);
        fn(arg);
        return -ENOMEM;
    }
    if (cls->def_tail - cls->def_head >= CLS_RECLAIM_BATCH
        && (cls->def_tail - cls->def_head) % CLS_RECLAIM_BATCH == 0) {
        ft_cls_reclaim(cls);
    }
    return 0;
}

/* Frees internal memory 'p' after a grace period (ft_cls_private.h). */
void
cls_retire(struct ft_cls *cls, void *p)
{
    ft_cls_defer_free(cls, free, p);
}

static void
trie_retire(void *aux, void *node)
{
    cls_retire(aux, node);
}

/* ---- subtables by mask ------------------------------------------------- */

static uint32_t
mask_hash(const struct ft_mask *mask)
{
    const ft_key_word *mw = ft_key_u64(&mask->masks);
    uint32_t hash = CLS_HASH_BASIS;
    for (unsigned int i = 0; i < FT_KEY_U64S; i++) {
        hash = rte_hash_crc_8byte(mw[i], hash);
    }
    return hash;
}

static struct cls_subtable *
map_find(const struct ft_cls *cls, const struct ft_mask *mask, uint32_t hash)
{
    if (!cls->map) {
        return NULL;
    }
    for (struct cls_subtable *st = cls->map[hash & cls->map_mask]; st;
         st = st->map_next) {
        if (st->mask_hash == hash
            && !memcmp(&st->full_mask, mask, sizeof *mask)) {
            return st;
        }
    }
    return NULL;
}

static int
map_add(struct ft_cls *cls, struct cls_subtable *st)
{
    if (cls->n_all == cls->all_cap) {
        size_t cap = cls->all_cap ? cls->all_cap * 2 : 16;
        struct cls_subtable **all = realloc(cls->all, cap * sizeof *all);
        if (!all) {
            return -ENOMEM;
        }
        cls->all = all;
        cls->all_cap = cap;
    }
    if (!cls->map || cls->n_all + 1 > cls->map_mask + 1) {
        size_t n = cls->map ? (cls->map_mask + 1) * 2 : 16;
        struct cls_subtable **map = calloc(n, sizeof *map);
        if (!map) {
            return -ENOMEM;
        }
        for (size_t i = 0; i < cls->n_all; i++) {
            struct cls_subtable *o = cls->all[i];
            o->map_next = map[o->mask_hash & (n - 1)];
            map[o->mask_hash & (n - 1)] = o;
        }
        free(cls->map);
        cls->map = map;
        cls->map_mask = n - 1;
    }
    st->map_next = cls->map[st->mask_hash & cls->map_mask];
    cls->map[st->mask_hash & cls->map_mask] = st;
    st->all_pos = cls->n_all;
    cls->all[cls->n_all++] = st;
    return 0;
}

static void
map_remove(struct ft_cls *cls, struct cls_subtable *st)
{
    struct cls_subtable **pp = &cls->map[st->mask_hash & cls->map_mask];
    while (*pp != st) {
        pp = &(*pp)->map_next;
    }
    *pp = st->map_next;
    cls->all[st->all_pos] = cls->all[--cls->n_all];
    cls->all[st->all_pos]->all_pos = st->all_pos;
}

/* ---- priority vector --------------------------------------------------- */

static int
pvec_cmp(const void *a_, const void *b_)
{
    const struct cls_pvec_entry *a = a_, *b = b_;
    if (a->max_priority != b->max_priority) {
        return a->max_priority > b->max_priority ? -1 : 1;
    }
    return a->max_seq < b->max_seq ? -1 : a->max_seq > b->max_seq;
}

/* Writer: makes sure the next publication cannot fail for lack of memory
 * with up to 'n' subtables. Inserts call it before changing anything, so
 * a successful insert is always published; removals need no memory to be
 * correct (a stale vector only ranks too high). */
static int
pvec_reserve(struct ft_cls *cls, size_t n)
{
    if (cls->spare && cls->spare_cap >= n) {
        return 0;
    }
    size_t cap = n < 8 ? 16 : n * 2;
    struct cls_pvec *pv = malloc(sizeof *pv + cap * sizeof pv->e[0]);
    if (!pv) {
        return -ENOMEM;
    }
    free(cls->spare);
    cls->spare = pv;
    cls->spare_cap = cap;
    return 0;
}

/* Writer: sweeps emptied subtables and publishes a new priority vector,
 * in the spare reserved by inserts when it is big enough. On ENOMEM
 * (possible only after removals) nothing changes: the old vector still
 * points to the emptied subtables, so they stay, and ranks stay high,
 * which is safe; the work is retried at the next change or publication. */
static void
cls_republish(struct ft_cls *cls)
{
    struct cls_pvec *pv;
    if (cls->spare && cls->spare_cap >= cls->n_all) {
        pv = cls->spare;
        cls->spare = NULL;
    } else {
        pv = malloc(sizeof *pv + cls->n_all * sizeof pv->e[0]);
        if (!pv) {
            cls->pvec_dirty = true;
            return;
        }
    }
    if (cls->has_empty && !cls->iterating) {
        for (size_t i = 0; i < cls->n_all;) {
            struct cls_subtable *st = cls->all[i];
            if (!st->n_rules) {
                map_remove(cls, st);   /* moves the last one to i */
                cls_subtable_retire(cls, st);
            } else {
                i++;
            }
        }
        cls->has_empty = false;
    }

    pv->n = 0;
    for (size_t i = 0; i < cls->n_all; i++) {
        struct cls_subtable *st = cls->all[i];
        if (st->n_rules) {
            pv->e[pv->n++] = (struct cls_pvec_entry) {
                st->max_priority, st->max_seq, st
            };
        }
    }
    qsort(pv->e, pv->n, sizeof pv->e[0], pvec_cmp);
    struct cls_pvec *old = cls->pvec;
    __atomic_store_n(&cls->pvec, pv, __ATOMIC_RELEASE);
    cls_retire(cls, old);
    cls->pvec_dirty = false;
}

/* Writer: the subtable order changed; republish now or at publication. */
static void
cls_changed(struct ft_cls *cls)
{
    cls->pvec_dirty = true;
    if (!cls->defer_depth && !cls->iterating) {
        cls_republish(cls);
    }
}

static inline bool
rule_visible(const struct ft_cls_rule *rule, ft_cls_version_t version)
{
    return __atomic_load_n(&rule->add_version, __ATOMIC_RELAXED) <= version
           && version < __atomic_load_n(&rule->remove_version,
                                        __ATOMIC_RELAXED);
}

/* ---- public: life cycle ------------------------------------------------ */

struct ft_cls *
ft_cls_create(struct rte_rcu_qsbr *qsbr)
{
    struct ft_cls *cls = calloc(1, sizeof *cls);
    if (!cls) {
        errno = ENOMEM;
        return NULL;
    }
    cls->qsbr = qsbr;
    cls->pvec = calloc(1, sizeof *cls->pvec);
    if (!cls->pvec) {
        free(cls);
        errno = ENOMEM;
        return NULL;
    }
    ft_trie_init(&cls->tries[CLS_TRIE_NW_SRC], 32);
    ft_trie_init(&cls->tries[CLS_TRIE_NW_DST], 32);
    ft_trie_init(&cls->tries[CLS_TRIE_IPV6_SRC], 128);
    ft_trie_init(&cls->tries[CLS_TRIE_IPV6_DST], 128);
    return cls;
}

void
ft_cls_destroy(struct ft_cls *cls)
{
    if (!cls) {
        return;
    }
    for (size_t i = 0; i < cls->n_all; i++) {
        cls_subtable_free(cls->all[i]);
    }
    for (size_t i = cls->def_head; i < cls->def_tail; i++) {
        cls->deferred[i].fn(cls->deferred[i].arg);
    }
    for (unsigned int t = 0; t < CLS_N_TRIES; t++) {
        ft_trie_destroy(&cls->tries[t]);
    }
    free(cls->deferred);
    free(cls->spare);
    free(cls->all);
    free(cls->map);
    free(cls->pvec);
    free(cls);
}

void
ft_cls_rule_init(struct ft_cls_rule *rule, const struct ft_match *match,
                 int32_t priority)
{
    memset(rule, 0, sizeof *rule);
    rule->match = *match;
    ft_match_normalize(&rule->match);
    rule->priority = priority;
    rule->remove_version = FT_CLS_VERSION_NEVER;
}

/* ---- public: updates --------------------------------------------------- */

/* Adds the new entry's prefixes to the tries; -ENOMEM undoes them. */
static int
tries_add(struct ft_cls *cls, const struct cls_subtable *st,
          const struct ft_key *key)
{
    for (unsigned int i = 0; i < st->n_trie_checks; i++) {
        const struct cls_trie_check *c = &st->trie_check[i];
        uint32_t v[FT_TRIE_WORDS];
        trie_field_value(key, c->trie, v);
        if (ft_trie_insert(&cls->tries[c->trie], v, c->plen, trie_retire,
                           cls)) {
            while (i--) {
                c = &st->trie_check[i];
                trie_field_value(key, c->trie, v);
                ft_trie_remove(&cls->tries[c->trie], v, c->plen, trie_retire,
                               cls);
            }
            return -ENOMEM;
        }
    }
    return 0;
}

static void
tries_del(struct ft_cls *cls, const struct cls_subtable *st,
          const struct ft_key *key)
{
    for (unsigned int i = 0; i < st->n_trie_checks; i++) {
        const struct cls_trie_check *c = &st->trie_check[i];
        uint32_t v[FT_TRIE_WORDS];
        trie_field_value(key, c->trie, v);
        ft_trie_remove(&cls->tries[c->trie], v, c->plen, trie_retire, cls);
    }
}

/* Inserts a rule whose masked key is new in 'st': a new slot. */
static int
key_create(struct ft_cls *cls, struct cls_subtable *st,
           struct ft_cls_rule *rule, const ft_key_word *kw)
{
    int err = cls_subtable_reserve_key(cls, st);
    if (!err) {
        err = tries_add(cls, st, &rule->match.key);
    }
    if (err) {
        return err;
    }
    cls_subtable_add_key(st, rule, kw);
    return 0;
}

int
ft_cls_insert(struct ft_cls *cls, struct ft_cls_rule *rule,
              ft_cls_version_t version)
{
    if (version == FT_CLS_VERSION_NEVER) {
        return -EINVAL;
    }
    const struct ft_mask *mask = &rule->match.mask;
    uint32_t mh = mask_hash(mask);
    struct cls_subtable *st = map_find(cls, mask, mh);
    bool new_st = false;
    if (!st) {
        st = cls_subtable_new(mask, mh);
        if (!st) {
            return -ENOMEM;
        }
        if (map_add(cls, st)) {
            cls_subtable_free(st);
            return -ENOMEM;
        }
        new_st = true;
    }
    if (cls_heap_reserve(st) || pvec_reserve(cls, cls->n_all)) {
        if (new_st) {
            map_remove(cls, st);
            cls_subtable_free(st);
        }
        return -ENOMEM;
    }

    const ft_key_word *kw = ft_key_u64(&rule->match.key);
    rule->hash = subtable_hash(st, kw, st->n_words);
    rule->seq = cls->next_seq;
    rule->subtable = st;
    __atomic_store_n(&rule->add_version, version, __ATOMIC_RELAXED);
    __atomic_store_n(&rule->remove_version, FT_CLS_VERSION_NEVER,
                     __ATOMIC_RELAXED);

    struct cls_slot *slot = cls_table_find_slot(st, st->table, rule->hash,
                                                kw);
    if (slot) {
        /* Same masked key: link into the sorted list (maybe as head). */
        cls_slot_link_rule(slot, rule);
    } else {
        int err = key_create(cls, st, rule, kw);
        if (err) {
            if (new_st) {
                map_remove(cls, st);
                cls_subtable_free(st);
            }
            return err;
        }
    }

    cls->next_seq++;
    cls->n_rules++;
    cls_heap_push(st, rule);
    st->n_rules++;
    if (st->n_rules == 1 || rule->priority > st->max_priority) {
        /* New, revived after being emptied, or outranking: re-rank. (An
         * equal priority never outranks: seqs only grow.) */
        st->max_priority = rule->priority;
        st->max_seq = rule->seq;
        cls_changed(cls);
    }
    return 0;
}

void
ft_cls_retire(struct ft_cls *cls, struct ft_cls_rule *rule,
              ft_cls_version_t version)
{
    (void) cls;
    __atomic_store_n(&rule->remove_version, version, __ATOMIC_RELAXED);
}

void
ft_cls_unretire(struct ft_cls *cls, struct ft_cls_rule *rule)
{
    (void) cls;
    __atomic_store_n(&rule->remove_version, FT_CLS_VERSION_NEVER,
                     __ATOMIC_RELAXED);
}

void
ft_cls_remove(struct ft_cls *cls, struct ft_cls_rule *rule)
{
    struct cls_subtable *st = rule->subtable;
    const ft_key_word *kw = ft_key_u64(&rule->match.key);
    struct cls_slot *slot = cls_table_find_slot(st, st->table, rule->hash,
                                                kw);

    if (slot->head == rule && !rule->next) {
        /* The masked key's last rule: the slot dies. */
        cls_subtable_del_key(st, slot, kw);
        tries_del(cls, st, &rule->match.key);
    } else {
        cls_slot_unlink_rule(slot, rule);
    }
    rule->subtable = NULL;
    cls->n_rules--;
    cls_heap_remove(st, rule);

    if (!--st->n_rules) {
        cls->has_empty = true;
        cls_changed(cls);
    } else if (st->heap[0]->priority < st->max_priority) {
        /* The best priority left: lower the rank so pruning stays tight.
         * A mere seq change is left alone: the old, smaller seq only makes
         * the rank a little high, which is safe. */
        st->max_priority = st->heap[0]->priority;
        st->max_seq = st->heap[0]->seq;
        cls_changed(cls);
    }
}

bool
ft_cls_rule_visible(const struct ft_cls_rule *rule, ft_cls_version_t version)
{
    return rule_visible(rule, version);
}

void
ft_cls_defer(struct ft_cls *cls)
{
    cls->defer_depth++;
}

void
ft_cls_publish(struct ft_cls *cls)
{
    if (cls->defer_depth) {
        cls->defer_depth--;
    }
    if (!cls->defer_depth && !cls->iterating
        && (cls->pvec_dirty || cls->has_empty)) {
        cls_republish(cls);
    }
    if (cls->qsbr) {
        ft_cls_reclaim(cls);
    }
}

/* ---- public: lookup ---------------------------------------------------- */

/* Per-lookup cache of trie walks (each trie is walked at most once). */
struct cls_trie_ctx {
    bool done;
    unsigned int checkbits;
    uint64_t plens[FT_TRIE_PLEN_WORDS];
};

static inline void
wc_or_words(const struct cls_subtable *st, unsigned int n_words, ft_key_word *wc)
{
    for (unsigned int i = 0; i < n_words; i++) {
        wc[st->idx[i]] |= st->mask[i];
    }
}

static inline bool
trie_has_plen(const struct cls_trie_ctx *t, unsigned int plen)
{
    return t->plens[plen / 64] & (UINT64_C(1) << (plen % 64));
}

/* Before probing stage 's' of 'st': if a trie already walked for this
 * lookup shows the subtable holds no match, ORs the trie's bits into 'wc'
 * and returns true (cheaper than hashing, and fewer bits). */
static inline bool
trie_early_skip(const struct cls_subtable *st, unsigned int s,
                const struct cls_trie_ctx *tctx, ft_key_word *wc)
{
    for (unsigned int tc = 0; tc < st->n_trie_checks; tc++) {
        const struct cls_trie_check *c = &st->trie_check[tc];
        const struct cls_trie_ctx *t = &tctx[c->trie];
        if (c->stage == s && t->done && !trie_has_plen(t, c->plen)) {
            wc_set_prefix(wc, c->trie, RTE_MIN((unsigned int) c->plen,
                                               t->checkbits));
            return true;
        }
    }
    return false;
}

/* Called once 'st' is known to hold no match for 'key' after probing
 * stages 0..'last_stage': a prefix trie may prove that on fewer bits. If,
 * for one of the subtable's address prefixes (checked at a stage <=
 * 'last_stage'), no rule prefix of that length matches the address at all,
 * ORs into 'wc' only the leading address bits the trie walk depended on
 * (a subset of the stage bits) and returns true. Each trie is walked at
 * most once per lookup. */
static bool
trie_witness(const struct ft_cls *cls, const struct cls_subtable *st,
             const struct ft_key *key, unsigned int last_stage,
             struct cls_trie_ctx *tctx, ft_key_word *wc)
{
    for (unsigned int tc = 0; tc < st->n_trie_checks; tc++) {
        const struct cls_trie_check *c = &st->trie_check[tc];
        if (c->stage > last_stage) {
            break;
        }
        struct cls_trie_ctx *t = &tctx[c->trie];
        if (!t->done) {
            uint32_t v[FT_TRIE_WORDS];
            trie_field_value(key, c->trie, v);
            t->checkbits = ft_trie_lookup(&cls->tries[c->trie], v, t->plens);
            t->done = true;
        }
        if (!trie_has_plen(t, c->plen)) {
            wc_set_prefix(wc, c->trie, RTE_MIN((unsigned int) c->plen,
                                               t->checkbits));
            return true;
        }
    }
    return false;
}

/* Looks 'key' up in one subtable. Returns the best rule of the matching
 * entry visible in 'version' (or NULL) and ORs the bits examined into
 * 'wc' (if not NULL).
 *
 * The tries only narrow the mask of a miss, so they are walked only on a
 * miss and only when a mask is wanted: a hit needs the whole mask anyway,
 * and without 'wc' the hash probes alone decide. Once walked (by an
 * earlier subtable's miss), a trie result is free and is checked before
 * hashing the stage it covers. */
static inline const struct ft_cls_rule *
subtable_lookup(const struct ft_cls *cls, const struct cls_subtable *st,
                const struct ft_key *key, ft_cls_version_t version,
                struct cls_trie_ctx *tctx, ft_key_word *wc)
{
    const ft_key_word *kw = ft_key_u64(key);
    uint32_t hash = CLS_HASH_BASIS;
    unsigned int w = 0;
    unsigned int last = st->n_stages - 1u;

    for (unsigned int s = 0; s < last; s++) {
        if (wc && st->n_trie_checks && trie_early_skip(st, s, tctx, wc)) {
            return NULL;
        }
        for (; w < st->stage_end[s]; w++) {
            hash = rte_hash_crc_8byte(kw[st->idx[w]] & st->mask[w], hash);
        }
        const struct cls_index *ix = __atomic_load_n(&st->index[s],
                                                     __ATOMIC_ACQUIRE);
        if (!index_contains(ix, hash)) {
            if (wc && !trie_witness(cls, st, key, s, tctx, wc)) {
                wc_or_words(st, w, wc);
            }
            return NULL;
        }
    }
    if (wc && st->n_trie_checks && trie_early_skip(st, last, tctx, wc)) {
        return NULL;
    }
    for (; w < st->n_words; w++) {
        hash = rte_hash_crc_8byte(kw[st->idx[w]] & st->mask[w], hash);
    }

    const struct cls_table *t = __atomic_load_n(&st->table, __ATOMIC_ACQUIRE);
    for (uint32_t i = hash & t->mask;; i = (i + 1) & t->mask) {
        const struct ft_cls_rule *head = __atomic_load_n(&t->slots[i].head,
                                                         __ATOMIC_ACQUIRE);
        if (!head) {
            break;
        }
        if (head != CLS_TOMBSTONE
            && __atomic_load_n(&t->slots[i].hash, __ATOMIC_RELAXED) == hash
            && key_matches_rule(st, head, kw)) {
            if (wc) {
                wc_or_words(st, st->n_words, wc);
            }
            for (const struct ft_cls_rule *r = head; r;
                 r = __atomic_load_n(&r->next, __ATOMIC_ACQUIRE)) {
                if (rule_visible(r, version)) {
                    return r;
                }
            }
            return NULL;
        }
    }
    if (wc && !trie_witness(cls, st, key, last, tctx, wc)) {
        wc_or_words(st, st->n_words, wc);
    }
    return NULL;
}

const struct ft_cls_rule *
ft_cls_lookup(const struct ft_cls *cls, const struct ft_key *key,
              ft_cls_version_t version, struct ft_mask *wc)
{
    const struct cls_pvec *pv = __atomic_load_n(&cls->pvec, __ATOMIC_ACQUIRE);
    ft_key_word *wcw = wc ? ft_key_u64_rw(&wc->masks) : NULL;
    struct cls_trie_ctx tctx[CLS_N_TRIES];
    const struct ft_cls_rule *best = NULL;

    for (unsigned int t = 0; t < CLS_N_TRIES; t++) {
        tctx[t].done = false;
    }
    for (size_t i = 0; i < pv->n; i++) {
        const struct cls_pvec_entry *pe = &pv->e[i];
        if (best && (pe->max_priority < best->priority
                     || (pe->max_priority == best->priority
                         && pe->max_seq > best->seq))) {
            break;                     /* nothing further can outrank */
        }
        if (i + 1 < pv->n) {
            rte_prefetch0(pv->e[i + 1].subtable);
        }
        const struct ft_cls_rule *r = subtable_lookup(cls, pe->subtable, key,
                                                      version, tctx, wcw);
        if (r && (!best || rule_outranks(r, best))) {
            best = r;
        }
    }
    return best;
}

/* ---- public: writer queries -------------------------------------------- */

struct ft_cls_rule *
ft_cls_find_exactly(const struct ft_cls *cls, const struct ft_match *match,
                    int32_t priority, ft_cls_version_t version)
{
    struct ft_match m = *match;
    ft_match_normalize(&m);
    struct cls_subtable *st = map_find(cls, &m.mask, mask_hash(&m.mask));
    if (!st || !st->n_rules) {
        return NULL;
    }
    const ft_key_word *kw = ft_key_u64(&m.key);
    uint32_t hash = subtable_hash(st, kw, st->n_words);
    struct cls_slot *slot = cls_table_find_slot(st, st->table, hash, kw);
    if (!slot) {
        return NULL;
    }
    for (struct ft_cls_rule *r = slot->head; r; r = r->next) {
        if (r->priority == priority && ft_cls_rule_visible(r, version)) {
            return r;
        }
        if (r->priority < priority) {
            break;
        }
    }
    return NULL;
}

/* Is every bit of 'filter' examined by mask 'm', with equal values? */
static bool
filter_admits(const struct ft_match *filter, const struct ft_mask *m,
              const struct ft_key *key)
{
    const ft_key_word *fk = ft_key_u64(&filter->key);
    const ft_key_word *fm = ft_key_u64(&filter->mask.masks);
    const ft_key_word *rm = ft_key_u64(&m->masks);
    const ft_key_word *rk = ft_key_u64(key);
    for (unsigned int i = 0; i < FT_KEY_U64S; i++) {
        if ((fm[i] & ~rm[i]) || (rk[i] & fm[i]) != fk[i]) {
            return false;
        }
    }
    return true;
}

int
ft_cls_foreach(struct ft_cls *cls, const struct ft_match *filter,
               ft_cls_version_t version, ft_cls_visit_cb *cb, void *aux)
{
    struct ft_match f = { 0 };
    if (filter) {
        f = *filter;
        ft_match_normalize(&f);
    }
    int ret = 0;
    cls->iterating++;
    for (size_t i = 0; i < cls->n_all && !ret; i++) {
        struct cls_subtable *st = cls->all[i];
        struct cls_table *t = st->table;   /* callbacks never grow it */
        for (uint32_t j = 0; j <= t->mask && !ret; j++) {
            struct ft_cls_rule *r = t->slots[j].head;
            if (!r || r == CLS_TOMBSTONE) {
                continue;
            }
            if (filter && !filter_admits(&f, &st->full_mask, &r->match.key)) {
                continue;
            }
            while (r && !ret) {
                struct ft_cls_rule *next = r->next;  /* cb may remove r */
                if (ft_cls_rule_visible(r, version)) {
                    ret = cb(r, aux);
                }
                r = next;
            }
        }
    }
    cls->iterating--;
    if (!cls->iterating && !cls->defer_depth
        && (cls->pvec_dirty || cls->has_empty)) {
        cls_republish(cls);
    }
    return ret;
}

/* Some packet matches both: the keys agree wherever both masks look. */
static bool
matches_overlap(const struct ft_match *a, const struct ft_match *b)
{
    const ft_key_word *ak = ft_key_u64(&a->key), *am = ft_key_u64(&a->mask.masks);
    const ft_key_word *bk = ft_key_u64(&b->key), *bm = ft_key_u64(&b->mask.masks);
    for (unsigned int i = 0; i < FT_KEY_U64S; i++) {
        if ((ak[i] ^ bk[i]) & am[i] & bm[i]) {
            return false;
        }
    }
    return true;
}

bool
ft_cls_overlaps(const struct ft_cls *cls, const struct ft_match *match,
                int32_t priority, ft_cls_version_t version)
{
    struct ft_match m = *match;
    ft_match_normalize(&m);
    for (size_t i = 0; i < cls->n_all; i++) {
        const struct cls_subtable *st = cls->all[i];
        const struct cls_table *t = st->table;
        for (uint32_t j = 0; st->n_rules && j <= t->mask; j++) {
            const struct ft_cls_rule *r = t->slots[j].head;
            if (!r || r == CLS_TOMBSTONE || !matches_overlap(&m, &r->match)) {
                continue;
            }
            for (; r && r->priority >= priority; r = r->next) {
                if (r->priority == priority && rule_visible(r, version)) {
                    return true;
                }
            }
        }
    }
    return false;
}

size_t
ft_cls_count(const struct ft_cls *cls)
{
    return cls->n_rules;
}

size_t
ft_cls_n_subtables(const struct ft_cls *cls)
{
    size_t n = 0;
    for (size_t i = 0; i < cls->n_all; i++) {
        n += cls->all[i]->n_rules != 0;
    }
    return n;
}
