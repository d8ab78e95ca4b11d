/*
 * ft_classifier.c — tuple-space search classifier (interface and model in
 * ft_classifier.h).
 *
 * Threads: ft_cls_lookup() runs on any registered reader thread, lock-free;
 * every other function runs on the single writer (main) thread.
 *
 * Data structures, and how each stays safe for concurrent readers:
 *
 *  cls->pvec       RCU-published array of (best rank held, subtable)
 *                  sorted best first. Replaced whole (copy on write) when a
 *                  subtable appears, disappears or its best rank changes.
 *  subtable        One per distinct mask. Its compact mask (the nonzero
 *                  mask words and their key word indexes, grouped by stage)
 *                  is immutable after creation.
 *  subtable->table Open-addressing hash table, linear probing, one slot
 *                  per distinct masked key: its hash and the head of an
 *                  RCU list of the rules with that masked key, sorted by
 *                  priority (desc) then seq (asc). The head rule's own
 *                  (pre-masked) key is what probes compare with, so a hit
 *                  costs two dependent cache misses: slot, then rule.
 *                  A slot goes NULL -> rule -> (other head rules) ->
 *                  TOMBSTONE, never back to NULL, and its hash is written
 *                  before its first head, so a reader that sees a rule sees
 *                  the right hash. Growth or too many tombstones: rebuilt
 *                  into a new array, published, old one retired.
 *  subtable->index One per stage but the last: a set of the hashes of the
 *                  masked-key prefixes up to that stage, with reference
 *                  counts, packed in one 64-bit word per slot so readers
 *                  read it atomically. Count 0 = tombstone.
 *  rule lists      Linking and unlinking a rule is a single release store
 *                  (into the slot for a new head); a removed rule keeps its
 *                  'next' so a reader standing on it can go on.
 *  tries           ft_trie.c, one per address field.
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

#include <rte_byteorder.h>
#include <rte_common.h>
#include <rte_hash_crc.h>
#include <rte_prefetch.h>
#include <rte_rcu_qsbr.h>

#include "ft_trie.h"

#define CLS_N_STAGES 4
#define CLS_HASH_BASIS 0x5bd1e995u
#define CLS_TOMBSTONE ((struct ft_cls_rule *) (uintptr_t) 1)
/* Smallest hash table / index: small enough for one-rule subtables, large
 * enough that tiny tables never rehash. */
#define CLS_MIN_SLOTS 8
/* Deferred frees are checked against the qsbr once this many are pending,
 * so a long batch does not hoard memory. */
#define CLS_RECLAIM_BATCH 256

typedef uint64_t cls_word __attribute__((may_alias));

static inline const cls_word *
key_words(const struct ft_key *key)
{
    return (const cls_word *) (const void *) key;
}

static inline cls_word *
key_words_rw(struct ft_key *key)
{
    return (cls_word *) (void *) key;
}

/* ---- the address fields that have prefix tries ----------------------- */

enum { CLS_TRIE_NW_SRC, CLS_TRIE_NW_DST, CLS_TRIE_IPV6_SRC, CLS_TRIE_IPV6_DST,
       CLS_N_TRIES };

static const struct {
    uint16_t ofs;                /* byte offset in struct ft_key */
    uint16_t len;                /* bytes */
} trie_fields[CLS_N_TRIES] = {
    [CLS_TRIE_NW_SRC]   = { offsetof(struct ft_key, nw_src), 4 },
    [CLS_TRIE_NW_DST]   = { offsetof(struct ft_key, nw_dst), 4 },
    [CLS_TRIE_IPV6_SRC] = { offsetof(struct ft_key, ipv6_src), 16 },
    [CLS_TRIE_IPV6_DST] = { offsetof(struct ft_key, ipv6_dst), 16 },
};

/* The field's bytes as host-order 32-bit words, MSB first, zero padded. */
static inline void
trie_field_value(const struct ft_key *key, unsigned int t,
                 uint32_t value[FT_TRIE_WORDS])
{
    const uint8_t *p = (const uint8_t *) key + trie_fields[t].ofs;
    unsigned int i;
    for (i = 0; i < trie_fields[t].len / 4u; i++) {
        uint32_t be;
        memcpy(&be, p + 4 * i, 4);
        value[i] = rte_be_to_cpu_32(be);
    }
    for (; i < FT_TRIE_WORDS; i++) {
        value[i] = 0;
    }
}

/* Prefix length of the field's mask in 'mask', or -1 if it is not a CIDR
 * prefix (leading ones, then zeros). 0 = field wildcarded. */
static int
trie_field_plen(const struct ft_key *mask, unsigned int t)
{
    uint32_t v[FT_TRIE_WORDS];
    trie_field_value(mask, t, v);
    unsigned int n_words = trie_fields[t].len / 4u, plen = 0, i;
    for (i = 0; i < n_words && v[i] == UINT32_MAX; i++) {
        plen += 32;
    }
    if (i < n_words) {
        uint32_t w = v[i];
        unsigned int ones = w == 0 ? 0 : (unsigned int) __builtin_clz(~w);
        if (ones < 32 && (w << ones) != 0) {
            return -1;
        }
        plen += ones;
        for (i++; i < n_words; i++) {
            if (v[i]) {
                return -1;
            }
        }
    }
    return (int) plen;
}

/* Sets the first 'n' bits of field 't' in 'wc'. */
static inline void
wc_set_prefix(cls_word *wc, unsigned int t, unsigned int n)
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

struct cls_slot {
    uint32_t hash;
    struct ft_cls_rule *head;          /* NULL, best rule, or CLS_TOMBSTONE */
};

struct cls_table {
    uint32_t mask;                     /* n_slots - 1 */
    uint32_t n_used;                   /* writer: live + tombstones */
    uint32_t n_live;                   /* writer */
    struct cls_slot slots[];
};

struct cls_index {
    uint32_t mask;
    uint32_t n_used;                   /* writer: live + tombstones */
    uint32_t n_live;                   /* writer */
    uint64_t slots[];                  /* hash << 32 | refcount; 0 = empty */
};

struct cls_trie_check {
    uint8_t trie;                      /* CLS_TRIE_* */
    uint8_t stage;                     /* compact stage it is checked at */
    uint8_t plen;                      /* the subtable's prefix length */
};

struct cls_subtable {
    /* Read by lookups; immutable after creation except the pointers. */
    uint8_t n_words;
    uint8_t n_stages;
    uint8_t n_trie_checks;
    uint8_t stage_end[CLS_N_STAGES];   /* exclusive, into idx[]/mask[] */
    struct cls_trie_check trie_check[CLS_N_TRIES];
    struct cls_table *table;           /* RCU */
    struct cls_index *index[CLS_N_STAGES - 1];   /* RCU */
    uint8_t idx[FT_KEY_U64S];          /* key word of each compact word */
    uint64_t mask[FT_KEY_U64S];        /* mask value of each compact word */

    /* Writer only. */
    struct ft_mask full_mask;
    uint32_t mask_hash;
    uint32_t n_rules;
    int32_t max_priority;              /* rank last put in the pvec: */
    uint64_t max_seq;                  /* never below the best rule's */
    struct ft_cls_rule **heap;         /* its rules, a max-heap by rank */
    uint32_t heap_cap;
    size_t all_pos;                    /* position in cls->all */
    struct cls_subtable *map_next;     /* chain in cls->map */
};

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

/* Frees internal memory 'p' after a grace period. */
static void
cls_retire(struct ft_cls *cls, void *p)
{
    ft_cls_defer_free(cls, free, p);
}

static void
trie_retire(void *aux, void *node)
{
    cls_retire(aux, node);
}

/* ---- hash tables (shared shape: power-of-two slots, linear probing) ---- */

static uint32_t
slots_for(uint32_t n_live)
{
    uint32_t n = CLS_MIN_SLOTS;
    while (n < n_live * 4u) {          /* rebuild to at most 1/4 full */
        n *= 2;
    }
    return n;
}

static struct cls_table *
table_new(uint32_t n_slots)
{
    struct cls_table *t = calloc(1, sizeof *t + n_slots * sizeof t->slots[0]);
    if (t) {
        t->mask = n_slots - 1;
    }
    return t;
}

static struct cls_index *
index_new(uint32_t n_slots)
{
    struct cls_index *ix = calloc(1, sizeof *ix + n_slots * sizeof(uint64_t));
    if (ix) {
        ix->mask = n_slots - 1;
    }
    return ix;
}

/* Index slots store the hash in the high half; a zero hash would look like
 * an empty slot, so it is stored (and probed) as 1. */
static inline uint32_t
index_hash(uint32_t hash)
{
    return hash ? hash : 1;
}

static inline bool
index_contains(const struct cls_index *ix, uint32_t hash)
{
    hash = index_hash(hash);
    for (uint32_t i = hash & ix->mask;; i = (i + 1) & ix->mask) {
        uint64_t s = __atomic_load_n(&ix->slots[i], __ATOMIC_RELAXED);
        if (!s) {
            return false;
        }
        if ((uint32_t) (s >> 32) == hash && (uint32_t) s) {
            return true;
        }
    }
}

/* Writer: the slot holding 'hash' (live or tombstone), or NULL. */
static uint64_t *
index_find_slot(struct cls_index *ix, uint32_t hash)
{
    for (uint32_t i = hash & ix->mask;; i = (i + 1) & ix->mask) {
        uint64_t s = ix->slots[i];
        if (!s) {
            return NULL;
        }
        if ((uint32_t) (s >> 32) == hash && (uint32_t) s) {
            return &ix->slots[i];
        }
    }
}

/* Writer: makes sure one more distinct hash fits in the index at
 * '*ixp' (rebuilding it if needed). 0 or -ENOMEM. */
static int
index_reserve(struct ft_cls *cls, struct cls_index **ixp)
{
    struct cls_index *ix = *ixp;
    if ((ix->n_used + 1) * 2 <= ix->mask + 1) {
        return 0;
    }
    struct cls_index *nix = index_new(slots_for(ix->n_live + 1));
    if (!nix) {
        return -ENOMEM;
    }
    for (uint32_t i = 0; i <= ix->mask; i++) {
        uint64_t s = ix->slots[i];
        if ((uint32_t) s) {
            uint32_t j = (uint32_t) (s >> 32) & nix->mask;
            while (nix->slots[j]) {
                j = (j + 1) & nix->mask;
            }
            nix->slots[j] = s;
            nix->n_used++;
            nix->n_live++;
        }
    }
    __atomic_store_n(ixp, nix, __ATOMIC_RELEASE);
    cls_retire(cls, ix);
    return 0;
}

/* Writer: adds a reference to 'hash'; room must have been reserved. */
static void
index_ref(struct cls_index *ix, uint32_t hash)
{
    hash = index_hash(hash);
    uint64_t *s = index_find_slot(ix, hash);
    if (s) {
        __atomic_store_n(s, *s + 1, __ATOMIC_RELAXED);
        return;
    }
    uint32_t i = hash & ix->mask;
    while (ix->slots[i]) {
        i = (i + 1) & ix->mask;
    }
    __atomic_store_n(&ix->slots[i], (uint64_t) hash << 32 | 1,
                     __ATOMIC_RELEASE);
    ix->n_used++;
    ix->n_live++;
}

static void
index_unref(struct cls_index *ix, uint32_t hash)
{
    uint64_t *s = index_find_slot(ix, index_hash(hash));
    if (s) {
        __atomic_store_n(s, *s - 1, __ATOMIC_RELAXED);
        if (!(uint32_t) *s) {
            ix->n_live--;              /* now a tombstone */
        }
    }
}

/* ---- subtables --------------------------------------------------------- */

/* Hash of the first 'n_words' compact words of 'kw' masked by 'st': the
 * whole masked key (st->n_words), or its prefix up to a stage's end. */
static uint32_t
subtable_hash(const struct cls_subtable *st, const cls_word *kw,
              unsigned int n_words)
{
    uint32_t hash = CLS_HASH_BASIS;
    for (unsigned int i = 0; i < n_words; i++) {
        hash = rte_hash_crc_8byte(kw[st->idx[i]] & st->mask[i], hash);
    }
    return hash;
}

/* Does 'kw' masked by 'st' equal the (pre-masked) key of rule 'r'? */
static inline bool
key_matches_rule(const struct cls_subtable *st, const struct ft_cls_rule *r,
                 const cls_word *kw)
{
    const cls_word *rk = key_words(&r->match.key);
    for (unsigned int i = 0; i < st->n_words; i++) {
        unsigned int w = st->idx[i];
        if ((kw[w] & st->mask[i]) != rk[w]) {
            return false;
        }
    }
    return true;
}

/* Writer: the slot of the entry for 'kw' in 't', or NULL. */
static struct cls_slot *
table_find_slot(const struct cls_subtable *st, struct cls_table *t,
                uint32_t hash, const cls_word *kw)
{
    for (uint32_t i = hash & t->mask;; i = (i + 1) & t->mask) {
        struct ft_cls_rule *head = t->slots[i].head;
        if (!head) {
            return NULL;
        }
        if (head != CLS_TOMBSTONE && t->slots[i].hash == hash
            && key_matches_rule(st, head, kw)) {
            return &t->slots[i];
        }
    }
}

static int
table_reserve(struct ft_cls *cls, struct cls_subtable *st)
{
    struct cls_table *t = st->table;
    if ((t->n_used + 1) * 2 <= t->mask + 1) {
        return 0;
    }
    struct cls_table *nt = table_new(slots_for(t->n_live + 1));
    if (!nt) {
        return -ENOMEM;
    }
    for (uint32_t i = 0; i <= t->mask; i++) {
        struct ft_cls_rule *head = t->slots[i].head;
        if (head && head != CLS_TOMBSTONE) {
            uint32_t j = t->slots[i].hash & nt->mask;
            while (nt->slots[j].head) {
                j = (j + 1) & nt->mask;
            }
            nt->slots[j] = t->slots[i];
            nt->n_used++;
            nt->n_live++;
        }
    }
    __atomic_store_n(&st->table, nt, __ATOMIC_RELEASE);
    cls_retire(cls, t);
    return 0;
}

static void
subtable_free(struct cls_subtable *st)
{
    if (!st) {
        return;
    }
    free(st->table);
    free(st->heap);
    for (unsigned int s = 0; s + 1 < CLS_N_STAGES; s++) {
        free(st->index[s]);
    }
    free(st);
}

/* Retires a subtable and what hangs off it (its rules are gone). */
static void
subtable_retire(struct ft_cls *cls, struct cls_subtable *st)
{
    cls_retire(cls, st->table);
    free(st->heap);                    /* writer-only: no grace period */
    st->heap = NULL;
    for (unsigned int s = 0; s + 1 < st->n_stages; s++) {
        cls_retire(cls, st->index[s]);
    }
    cls_retire(cls, st);
}

static const uint8_t stage_ends[CLS_N_STAGES] = {
    FT_STAGE_META_END, FT_STAGE_L2_END, FT_STAGE_L3_END, FT_STAGE_L4_END,
};

static unsigned int
key_stage_of_word(unsigned int w)
{
    unsigned int s = 0;
    while (w >= stage_ends[s]) {
        s++;
    }
    return s;
}

static struct cls_subtable *
subtable_new(const struct ft_mask *mask, uint32_t mask_hash)
{
    struct cls_subtable *st = calloc(1, sizeof *st);
    if (!st) {
        return NULL;
    }
    st->full_mask = *mask;
    st->mask_hash = mask_hash;
    st->max_priority = INT32_MIN;
    st->max_seq = UINT64_MAX;

    const cls_word *mw = key_words(&mask->masks);
    int stage_of_key_stage[CLS_N_STAGES];
    int cur = -1;
    for (unsigned int ks = 0, w = 0; ks < CLS_N_STAGES; ks++) {
        bool any = false;
        for (; w < stage_ends[ks]; w++) {
            if (mw[w]) {
                st->idx[st->n_words] = (uint8_t) w;
                st->mask[st->n_words] = mw[w];
                st->n_words++;
                any = true;
            }
        }
        if (any) {
            cur++;
            st->stage_end[cur] = st->n_words;
        }
        stage_of_key_stage[ks] = cur;
    }
    st->n_stages = (uint8_t) (cur + 1);
    if (!st->n_stages) {
        st->n_stages = 1;              /* catch-all: one empty stage */
        st->stage_end[0] = 0;
    }

    for (unsigned int t = 0; t < CLS_N_TRIES; t++) {
        int plen = trie_field_plen(&mask->masks, t);
        if (plen > 0) {
            unsigned int ks = key_stage_of_word(trie_fields[t].ofs / 8);
            struct cls_trie_check *c = &st->trie_check[st->n_trie_checks++];
            c->trie = (uint8_t) t;
            c->stage = (uint8_t) stage_of_key_stage[ks];
            c->plen = (uint8_t) plen;
        }
    }

    st->table = table_new(CLS_MIN_SLOTS);
    bool ok = st->table != NULL;
    for (unsigned int s = 0; ok && s + 1 < st->n_stages; s++) {
        st->index[s] = index_new(CLS_MIN_SLOTS);
        ok = st->index[s] != NULL;
    }
    if (!ok) {
        subtable_free(st);
        return NULL;
    }
    return st;
}

static uint32_t
mask_hash(const struct ft_mask *mask)
{
    const cls_word *mw = key_words(&mask->masks);
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
                subtable_retire(cls, st);
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
        subtable_free(cls->all[i]);
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

/* Does rule 'a' outrank rule 'b' in an entry list / as a winner? */
static inline bool
rule_outranks(const struct ft_cls_rule *a, const struct ft_cls_rule *b)
{
    return a->priority > b->priority
           || (a->priority == b->priority && a->seq < b->seq);
}

/* ---- rank heap: each subtable's rules by rank, best on top, so the rank
 * the pvec orders by stays exact under removals in O(log n). ---- */

static inline void
heap_place(struct cls_subtable *st, uint32_t i, struct ft_cls_rule *r)
{
    st->heap[i] = r;
    r->heap_idx = i;
}

static void
heap_sift_up(struct cls_subtable *st, uint32_t i)
{
    struct ft_cls_rule *r = st->heap[i];
    while (i > 0) {
        uint32_t parent = (i - 1) / 2;
        if (!rule_outranks(r, st->heap[parent])) {
            break;
        }
        heap_place(st, i, st->heap[parent]);
        i = parent;
    }
    heap_place(st, i, r);
}

static void
heap_sift_down(struct cls_subtable *st, uint32_t i, uint32_t n)
{
    struct ft_cls_rule *r = st->heap[i];
    for (;;) {
        uint32_t c = 2 * i + 1;
        if (c >= n) {
            break;
        }
        if (c + 1 < n && rule_outranks(st->heap[c + 1], st->heap[c])) {
            c++;
        }
        if (!rule_outranks(st->heap[c], r)) {
            break;
        }
        heap_place(st, i, st->heap[c]);
        i = c;
    }
    heap_place(st, i, r);
}

/* Room for one more rule in the heap (before anything else changes). */
static int
heap_reserve(struct cls_subtable *st)
{
    if (st->n_rules < st->heap_cap) {
        return 0;
    }
    uint32_t cap = st->heap_cap ? st->heap_cap * 2 : 4;
    struct ft_cls_rule **h = realloc(st->heap, cap * sizeof *h);
    if (!h) {
        return -ENOMEM;
    }
    st->heap = h;
    st->heap_cap = cap;
    return 0;
}

/* Adds 'r' as rule number st->n_rules (not yet counted). */
static void
heap_push(struct cls_subtable *st, struct ft_cls_rule *r)
{
    heap_place(st, st->n_rules, r);
    heap_sift_up(st, st->n_rules);
}

/* Removes 'r'; st->n_rules still counts it. */
static void
heap_remove(struct cls_subtable *st, struct ft_cls_rule *r)
{
    uint32_t i = r->heap_idx, last = st->n_rules - 1;
    if (i != last) {
        /* The last rule fills the hole, then moves whichever way its rank
         * says. */
        heap_place(st, i, st->heap[last]);
        if (i > 0 && rule_outranks(st->heap[i], st->heap[(i - 1) / 2])) {
            heap_sift_up(st, i);
        } else {
            heap_sift_down(st, i, last);
        }
    }
}

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
           struct ft_cls_rule *rule, const cls_word *kw)
{
    int err = table_reserve(cls, st);
    for (unsigned int s = 0; !err && s + 1 < st->n_stages; s++) {
        err = index_reserve(cls, &st->index[s]);
    }
    if (!err) {
        err = tries_add(cls, st, &rule->match.key);
    }
    if (err) {
        return err;
    }
    rule->next = NULL;

    /* Stage indexes before the slot: a reader that finds the rule must
     * also pass the indexes leading to it. */
    for (unsigned int s = 0; s + 1 < st->n_stages; s++) {
        index_ref(st->index[s], subtable_hash(st, kw, st->stage_end[s]));
    }
    struct cls_table *t = st->table;
    uint32_t i = rule->hash & t->mask;
    while (t->slots[i].head) {
        i = (i + 1) & t->mask;
    }
    __atomic_store_n(&t->slots[i].hash, rule->hash, __ATOMIC_RELAXED);
    __atomic_store_n(&t->slots[i].head, rule, __ATOMIC_RELEASE);
    t->n_used++;
    t->n_live++;
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
        st = subtable_new(mask, mh);
        if (!st) {
            return -ENOMEM;
        }
        if (map_add(cls, st)) {
            subtable_free(st);
            return -ENOMEM;
        }
        new_st = true;
    }
    if (heap_reserve(st) || pvec_reserve(cls, cls->n_all)) {
        if (new_st) {
            map_remove(cls, st);
            subtable_free(st);
        }
        return -ENOMEM;
    }

    const cls_word *kw = key_words(&rule->match.key);
    rule->hash = subtable_hash(st, kw, st->n_words);
    rule->seq = cls->next_seq;
    rule->subtable = st;
    __atomic_store_n(&rule->add_version, version, __ATOMIC_RELAXED);
    __atomic_store_n(&rule->remove_version, FT_CLS_VERSION_NEVER,
                     __ATOMIC_RELAXED);

    struct cls_slot *slot = table_find_slot(st, st->table, rule->hash, kw);
    if (slot) {
        /* Same masked key: link into the sorted list (maybe as head). */
        struct ft_cls_rule **pp = &slot->head;
        while (*pp && rule_outranks(*pp, rule)) {
            pp = &(*pp)->next;
        }
        rule->next = *pp;
        __atomic_store_n(pp, rule, __ATOMIC_RELEASE);
    } else {
        int err = key_create(cls, st, rule, kw);
        if (err) {
            if (new_st) {
                map_remove(cls, st);
                subtable_free(st);
            }
            return err;
        }
    }

    cls->next_seq++;
    cls->n_rules++;
    heap_push(st, rule);
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
    const cls_word *kw = key_words(&rule->match.key);
    struct cls_slot *slot = table_find_slot(st, st->table, rule->hash, kw);

    if (slot->head == rule && !rule->next) {
        /* The masked key's last rule: the slot dies. */
        __atomic_store_n(&slot->head, CLS_TOMBSTONE, __ATOMIC_RELEASE);
        st->table->n_live--;
        for (unsigned int s = 0; s + 1 < st->n_stages; s++) {
            index_unref(st->index[s], subtable_hash(st, kw, st->stage_end[s]));
        }
        tries_del(cls, st, &rule->match.key);
    } else {
        struct ft_cls_rule **pp = &slot->head;
        while (*pp != rule) {
            pp = &(*pp)->next;
        }
        /* rule->next stays: a reader standing on 'rule' can go on. */
        __atomic_store_n(pp, rule->next, __ATOMIC_RELEASE);
    }
    rule->subtable = NULL;
    cls->n_rules--;
    heap_remove(st, rule);

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
wc_or_words(const struct cls_subtable *st, unsigned int n_words, cls_word *wc)
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
                const struct cls_trie_ctx *tctx, cls_word *wc)
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
             struct cls_trie_ctx *tctx, cls_word *wc)
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
                struct cls_trie_ctx *tctx, cls_word *wc)
{
    const cls_word *kw = key_words(key);
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
    cls_word *wcw = wc ? key_words_rw(&wc->masks) : NULL;
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
    const cls_word *kw = key_words(&m.key);
    struct cls_slot *slot = table_find_slot(st, st->table,
                                            subtable_hash(st, kw, st->n_words), kw);
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
    const cls_word *fk = key_words(&filter->key);
    const cls_word *fm = key_words(&filter->mask.masks);
    const cls_word *rm = key_words(&m->masks);
    const cls_word *rk = key_words(key);
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
    const cls_word *ak = key_words(&a->key), *am = key_words(&a->mask.masks);
    const cls_word *bk = key_words(&b->key), *bm = key_words(&b->mask.masks);
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
