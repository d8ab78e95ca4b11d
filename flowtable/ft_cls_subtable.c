/*
 * ft_cls_subtable.c — the classifier's subtables (layout and concurrency
 * rules in ft_cls_private.h; the classifier itself in ft_classifier.c):
 * creating and freeing a subtable from a mask, its hash table of rule
 * lists, its staged-lookup hash indexes and its rank heap.
 *
 * Threads: everything here runs on the single writer (main) thread, called
 * from ft_classifier.c. Readers (ft_cls_lookup(), any registered reader
 * thread) never call in here; they read the structures concurrently, so
 * every change a reader can see is a single atomic store, published in an
 * order that keeps each reader's view consistent, and every array a reader
 * may hold is replaced whole and retired through cls_retire() (freed after
 * a grace period). The reader-side helpers are static inline in
 * ft_cls_private.h.
 */
#include "ft_cls_private.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <rte_hash_crc.h>

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

/* Writer: the slot of the entry for 'kw' in 't', or NULL. */
struct cls_slot *
cls_table_find_slot(const struct cls_subtable *st, struct cls_table *t,
                    uint32_t hash, const ft_key_word *kw)
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

void
cls_subtable_free(struct cls_subtable *st)
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
void
cls_subtable_retire(struct ft_cls *cls, struct cls_subtable *st)
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

struct cls_subtable *
cls_subtable_new(const struct ft_mask *mask, uint32_t mask_hash)
{
    struct cls_subtable *st = calloc(1, sizeof *st);
    if (!st) {
        return NULL;
    }
    st->full_mask = *mask;
    st->mask_hash = mask_hash;
    st->max_priority = INT32_MIN;
    st->max_seq = UINT64_MAX;

    const ft_key_word *mw = ft_key_u64(&mask->masks);
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
        cls_subtable_free(st);
        return NULL;
    }
    return st;
}

/* ---- masked keys and their rule lists --------------------------------- */

int
cls_subtable_reserve_key(struct ft_cls *cls, struct cls_subtable *st)
{
    int err = table_reserve(cls, st);
    for (unsigned int s = 0; !err && s + 1 < st->n_stages; s++) {
        err = index_reserve(cls, &st->index[s]);
    }
    return err;
}

void
cls_subtable_add_key(struct cls_subtable *st, struct ft_cls_rule *rule,
                     const ft_key_word *kw)
{
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
}

void
cls_subtable_del_key(struct cls_subtable *st, struct cls_slot *slot,
                     const ft_key_word *kw)
{
    __atomic_store_n(&slot->head, CLS_TOMBSTONE, __ATOMIC_RELEASE);
    st->table->n_live--;
    for (unsigned int s = 0; s + 1 < st->n_stages; s++) {
        index_unref(st->index[s], subtable_hash(st, kw, st->stage_end[s]));
    }
}

void
cls_slot_link_rule(struct cls_slot *slot, struct ft_cls_rule *rule)
{
    struct ft_cls_rule **pp = &slot->head;
    while (*pp && rule_outranks(*pp, rule)) {
        pp = &(*pp)->next;
    }
    rule->next = *pp;
    __atomic_store_n(pp, rule, __ATOMIC_RELEASE);
}

void
cls_slot_unlink_rule(struct cls_slot *slot, struct ft_cls_rule *rule)
{
    struct ft_cls_rule **pp = &slot->head;
    while (*pp != rule) {
        pp = &(*pp)->next;
    }
    /* rule->next stays: a reader standing on 'rule' can go on. */
    __atomic_store_n(pp, rule->next, __ATOMIC_RELEASE);
}

/* ---- rank heap: each subtable's rules by rank, best on top, so the rank
 * the classifier's pvec orders by stays exact under removals in
 * O(log n). ---- */

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
int
cls_heap_reserve(struct cls_subtable *st)
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
void
cls_heap_push(struct cls_subtable *st, struct ft_cls_rule *r)
{
    heap_place(st, st->n_rules, r);
    heap_sift_up(st, st->n_rules);
}

/* Removes 'r'; st->n_rules still counts it. */
void
cls_heap_remove(struct cls_subtable *st, struct ft_cls_rule *r)
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
