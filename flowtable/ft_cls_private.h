/*
 * ft_cls_private.h — private to the classifier (ft_classifier.c and
 * ft_cls_subtable.c): the layout of a subtable and the helpers both files
 * share. Nothing outside flowtable/ includes it; the interface and the
 * model are in ft_classifier.h.
 *
 * Threads: the structures below are read by lookups (ft_cls_lookup(), any
 * registered reader thread, lock-free) and changed only by the single
 * writer (main) thread. Fields are marked "RCU" (published with a release
 * store, read with an acquire load, old copy freed after a grace period),
 * "writer" (never read by lookups) or immutable after creation. The
 * static inline helpers are pure reads, safe on any thread; those marked
 * "reader" are on the lookup path, inlined into it. Every function
 * declared at the end is writer-only.
 *
 * A subtable (one per distinct mask) holds:
 *  - its compact mask: the nonzero mask words and their key word indexes,
 *    grouped by stage; immutable after creation;
 *  - 'table', an open-addressing hash table (linear probing), one slot per
 *    distinct masked key: its hash and the head of an RCU list of the
 *    rules with that masked key, sorted by priority (desc) then seq (asc).
 *    The head rule's own (pre-masked) key is what probes compare with, so
 *    a hit costs two dependent cache misses: slot, then rule. A slot goes
 *    NULL -> rule -> (other head rules) -> TOMBSTONE, never back to NULL,
 *    and its hash is written before its first head, so a reader that sees
 *    a rule sees the right hash. Growth or too many tombstones: rebuilt
 *    into a new array, published, old one retired. Linking and unlinking
 *    a rule is a single release store (into the slot for a new head); a
 *    removed rule keeps its 'next' so a reader standing on it can go on;
 *  - 'index[s]', one per stage but the last: a set of the hashes of the
 *    masked-key prefixes up to that stage, with reference counts, packed
 *    in one 64-bit word per slot so readers read it atomically. Count 0 =
 *    tombstone;
 *  - 'heap', its rules by rank (writer only), so the rank the classifier
 *    orders subtables by stays exact under removals in O(log n);
 *  - which of its mask fields are CIDR prefixes with a prefix trie
 *    ('trie_check'; the tries themselves belong to the classifier).
 */
#ifndef VSWITCH_FLOWTABLE_FT_CLS_PRIVATE_H
#define VSWITCH_FLOWTABLE_FT_CLS_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <rte_byteorder.h>
#include <rte_hash_crc.h>

#include "ft_classifier.h"
#include "ft_trie.h"

#define CLS_N_STAGES 4
#define CLS_HASH_BASIS 0x5bd1e995u
#define CLS_TOMBSTONE ((struct ft_cls_rule *) (uintptr_t) 1)
/* Smallest hash table / index: small enough for one-rule subtables, large
 * enough that tiny tables never rehash. */
#define CLS_MIN_SLOTS 8

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

/* The field's bytes as host-order 32-bit words, MSB first, zero padded.
 * Reader and writer. */
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

/* ---- inline helpers (shared; the lookup path needs them inlined) ------- */

/* Index slots store the hash in the high half; a zero hash would look like
 * an empty slot, so it is stored (and probed) as 1. */
static inline uint32_t
index_hash(uint32_t hash)
{
    return hash ? hash : 1;
}

/* Reader: is 'hash' in stage index 'ix' with a nonzero count? */
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

/* Hash of the first 'n_words' compact words of 'kw' masked by 'st': the
 * whole masked key (st->n_words), or its prefix up to a stage's end.
 * Writer (lookups hash stage by stage, inline). */
static inline uint32_t
subtable_hash(const struct cls_subtable *st, const ft_key_word *kw,
              unsigned int n_words)
{
    uint32_t hash = CLS_HASH_BASIS;
    for (unsigned int i = 0; i < n_words; i++) {
        hash = rte_hash_crc_8byte(kw[st->idx[i]] & st->mask[i], hash);
    }
    return hash;
}

/* Reader and writer: does 'kw' masked by 'st' equal the (pre-masked) key
 * of rule 'r'? */
static inline bool
key_matches_rule(const struct cls_subtable *st, const struct ft_cls_rule *r,
                 const ft_key_word *kw)
{
    const ft_key_word *rk = ft_key_u64(&r->match.key);
    for (unsigned int i = 0; i < st->n_words; i++) {
        unsigned int w = st->idx[i];
        if ((kw[w] & st->mask[i]) != rk[w]) {
            return false;
        }
    }
    return true;
}

/* Reader and writer: does rule 'a' outrank rule 'b' in an entry list / as
 * a winner? */
static inline bool
rule_outranks(const struct ft_cls_rule *a, const struct ft_cls_rule *b)
{
    return a->priority > b->priority
           || (a->priority == b->priority && a->seq < b->seq);
}

/* ---- ft_classifier.c, for ft_cls_subtable.c (writer) ------------------- */

/* Frees internal memory 'p' after a grace period of the classifier's qsbr
 * (at once without one). */
void cls_retire(struct ft_cls *cls, void *p);

/* ---- ft_cls_subtable.c (all writer) ------------------------------------ */

/* A new, empty subtable for 'mask' (whose hash is 'mask_hash'), or NULL
 * (ENOMEM). Not yet visible to readers. */
struct cls_subtable *cls_subtable_new(const struct ft_mask *mask,
                                      uint32_t mask_hash);

/* Frees a subtable no reader can see, at once. NULL is a no-op. */
void cls_subtable_free(struct cls_subtable *st);

/* Retires an emptied subtable and what hangs off it after a grace period
 * (readers may still be in it). */
void cls_subtable_retire(struct ft_cls *cls, struct cls_subtable *st);

/* The slot of the entry for 'kw' (whose masked hash is 'hash') in 't', or
 * NULL. */
struct cls_slot *cls_table_find_slot(const struct cls_subtable *st,
                                     struct cls_table *t, uint32_t hash,
                                     const ft_key_word *kw);

/* Makes sure one more distinct masked key fits in the hash table and the
 * stage indexes (rebuilding and republishing them if needed). 0 or
 * -ENOMEM; on -ENOMEM what was already rebuilt stays, harmlessly. */
int cls_subtable_reserve_key(struct ft_cls *cls, struct cls_subtable *st);

/* Adds 'rule', whose masked key 'kw' is new in 'st' and for which room was
 * reserved, as the only rule of a new slot: stage indexes first, then the
 * slot, so a reader that finds the rule also passes the indexes. */
void cls_subtable_add_key(struct cls_subtable *st, struct ft_cls_rule *rule,
                          const ft_key_word *kw);

/* Kills 'slot', whose only rule has masked key 'kw': tombstones it and
 * drops the stage index references. */
void cls_subtable_del_key(struct cls_subtable *st, struct cls_slot *slot,
                          const ft_key_word *kw);

/* Links 'rule' into the rank-sorted list of 'slot' (maybe as head). */
void cls_slot_link_rule(struct cls_slot *slot, struct ft_cls_rule *rule);

/* Unlinks 'rule' from the list of 'slot', which stays alive (it holds
 * another rule). 'rule->next' is kept for readers standing on it. */
void cls_slot_unlink_rule(struct cls_slot *slot, struct ft_cls_rule *rule);

/* Rank heap: room for one more rule (call before anything else changes);
 * add 'r' as rule number st->n_rules (not yet counted); remove 'r' while
 * st->n_rules still counts it. st->heap[0] is the best rule. */
int cls_heap_reserve(struct cls_subtable *st);
void cls_heap_push(struct cls_subtable *st, struct ft_cls_rule *r);
void cls_heap_remove(struct cls_subtable *st, struct ft_cls_rule *r);

#endif
