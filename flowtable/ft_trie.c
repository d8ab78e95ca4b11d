/*
 * ft_trie.c — the classifier's prefix tries (see ft_trie.h for the model).
 *
 * Writer (the classifier's writer thread): ft_trie_insert, ft_trie_remove,
 * ft_trie_destroy. Readers (any thread, lock-free): ft_trie_lookup.
 *
 * Publication discipline: a node reachable by readers never changes its
 * path bits or length. New nodes are fully built before a release store
 * links them in; a node whose shape changes (split, merge) is replaced by a
 * copy and retired. Child pointers and rule counts are updated with atomic
 * stores; readers load them with acquire/relaxed loads.
 */
#include "ft_trie.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct ft_trie_node {
    uint32_t bits;                    /* path bits, left-aligned */
    uint32_t n_bits;                  /* 0..32; 0 only for the root */
    uint32_t n_rules;                 /* prefixes ending at the last bit */
    struct ft_trie_node *child[2];    /* by the bit after this node */
};

/* Longest path a trie can have, in nodes: one per bit in the worst case
 * plus the zero-bit root. */
#define TRIE_MAX_DEPTH 130

static inline struct ft_trie_node *
load_child(const struct ft_trie_node *node, unsigned int b)
{
    return __atomic_load_n(&node->child[b], __ATOMIC_ACQUIRE);
}

static inline void
publish(struct ft_trie_node **slot, struct ft_trie_node *node)
{
    __atomic_store_n(slot, node, __ATOMIC_RELEASE);
}

/* Bit 'ofs' of 'value' (0 = most significant bit of value[0]). */
static inline unsigned int
get_bit(const uint32_t *value, unsigned int ofs)
{
    return (value[ofs / 32] >> (31 - ofs % 32)) & 1;
}

/* Keeps the first 'n' bits of left-aligned 'bits'. */
static inline uint32_t
keep_bits(uint32_t bits, unsigned int n)
{
    return n >= 32 ? bits : n == 0 ? 0 : bits & ~(UINT32_MAX >> n);
}

/* The 'n' (<= 32) bits of 'value' from 'ofs', left-aligned. 'value' has
 * FT_TRIE_WORDS words so the word after the last address word exists. */
static inline uint32_t
get_bits(const uint32_t *value, unsigned int ofs, unsigned int n)
{
    unsigned int w = ofs / 32, s = ofs % 32;
    uint32_t x = value[w] << s;
    if (s) {
        x |= value[w + 1] >> (32 - s);
    }
    return keep_bits(x, n);
}

/* Number of leading bits of 'node' equal to 'value' from 'ofs', at most
 * 'limit'. */
static inline unsigned int
common_bits(const struct ft_trie_node *node, const uint32_t *value,
            unsigned int ofs, unsigned int limit)
{
    unsigned int n = node->n_bits < limit ? node->n_bits : limit;
    uint32_t diff = (get_bits(value, ofs, n) ^ node->bits);
    diff = keep_bits(diff, n);
    return diff ? (unsigned int) __builtin_clz(diff) : n;
}

void
ft_trie_init(struct ft_trie *trie, unsigned int width)
{
    trie->root = NULL;
    trie->width = width;
}

static void
destroy_subtree(struct ft_trie_node *node)
{
    while (node) {
        destroy_subtree(node->child[0]);
        struct ft_trie_node *next = node->child[1];
        free(node);
        node = next;
    }
}

void
ft_trie_destroy(struct ft_trie *trie)
{
    destroy_subtree(trie->root);
    trie->root = NULL;
}

static struct ft_trie_node *
node_new(uint32_t bits, unsigned int n_bits, uint32_t n_rules)
{
    struct ft_trie_node *node = malloc(sizeof *node);
    if (node) {
        node->bits = keep_bits(bits, n_bits);
        node->n_bits = n_bits;
        node->n_rules = n_rules;
        node->child[0] = node->child[1] = NULL;
    }
    return node;
}

/* A chain of new nodes for bits [ofs, plen) of 'value', the last one
 * counting one rule; NULL on ENOMEM (nothing allocated). */
static struct ft_trie_node *
new_chain(const uint32_t *value, unsigned int ofs, unsigned int plen)
{
    struct ft_trie_node *head = NULL, **tail = &head;
    while (ofs < plen) {
        unsigned int n = plen - ofs > 32 ? 32 : plen - ofs;
        struct ft_trie_node *node = node_new(get_bits(value, ofs, n), n,
                                             ofs + n == plen);
        if (!node) {
            destroy_subtree(head);
            return NULL;
        }
        *tail = node;
        tail = &node->child[get_bit(value, ofs + n)];
        ofs += n;
    }
    return head;
}

int
ft_trie_insert(struct ft_trie *trie, const uint32_t *value, unsigned int plen,
               ft_trie_retire_fn *retire, void *aux)
{
    struct ft_trie_node **slot = &trie->root;
    unsigned int ofs = 0;

    for (;;) {
        struct ft_trie_node *node = *slot;
        if (!node) {
            struct ft_trie_node *chain = new_chain(value, ofs, plen);
            if (!chain) {
                return -ENOMEM;
            }
            publish(slot, chain);
            return 0;
        }

        unsigned int eq = common_bits(node, value, ofs, plen - ofs);
        if (eq < node->n_bits) {
            /* Split 'node' after 'eq' bits: 'upper' keeps the shared bits,
             * 'lower' (a copy: readers may be on 'node') the rest. */
            struct ft_trie_node *upper = node_new(node->bits, eq,
                                                  ofs + eq == plen);
            struct ft_trie_node *lower = node_new(node->bits << eq,
                                                  node->n_bits - eq,
                                                  node->n_rules);
            struct ft_trie_node *rest = NULL;
            if (upper && lower && ofs + eq < plen) {
                rest = new_chain(value, ofs + eq, plen);
            }
            if (!upper || !lower || (ofs + eq < plen && !rest)) {
                free(upper);
                free(lower);
                return -ENOMEM;
            }
            lower->child[0] = node->child[0];
            lower->child[1] = node->child[1];
            unsigned int lower_bit = node->bits << eq >> 31;
            upper->child[lower_bit] = lower;
            if (rest) {
                upper->child[!lower_bit] = rest;
            }
            publish(slot, upper);
            retire(aux, node);
            return 0;
        }

        ofs += node->n_bits;
        if (ofs == plen) {
            __atomic_store_n(&node->n_rules, node->n_rules + 1,
                             __ATOMIC_RELAXED);
            return 0;
        }
        slot = &node->child[get_bit(value, ofs)];
    }
}

void
ft_trie_remove(struct ft_trie *trie, const uint32_t *value, unsigned int plen,
               ft_trie_retire_fn *retire, void *aux)
{
    struct ft_trie_node **slots[TRIE_MAX_DEPTH];
    unsigned int depth = 0;
    struct ft_trie_node **slot = &trie->root;
    unsigned int ofs = 0;
    struct ft_trie_node *node;

    for (;;) {
        node = *slot;
        if (!node || depth >= TRIE_MAX_DEPTH
            || common_bits(node, value, ofs, plen - ofs) < node->n_bits) {
            return;                     /* not present: caller bug, ignore */
        }
        slots[depth++] = slot;
        ofs += node->n_bits;
        if (ofs == plen) {
            break;
        }
        slot = &node->child[get_bit(value, ofs)];
    }
    if (!node->n_rules) {
        return;
    }
    __atomic_store_n(&node->n_rules, node->n_rules - 1, __ATOMIC_RELAXED);

    /* Prune nodes left with no rule and no child, bottom up. */
    while (depth > 0) {
        slot = slots[depth - 1];
        node = *slot;
        if (node->n_rules || node->child[0] || node->child[1]) {
            break;
        }
        publish(slot, NULL);
        retire(aux, node);
        depth--;
    }

    /* A rule-less node with one child is merged with it when the bits fit,
     * so lookups after deletions stay as short as after inserts. */
    if (depth > 0) {
        slot = slots[depth - 1];
        node = *slot;
        struct ft_trie_node *only = node->child[0] ? node->child[0]
                                                   : node->child[1];
        if (!node->n_rules && !(node->child[0] && node->child[1]) && only
            && node->n_bits + only->n_bits <= 32) {
            struct ft_trie_node *merged = node_new(
                node->bits | (only->n_bits ? only->bits >> node->n_bits : 0),
                node->n_bits + only->n_bits, only->n_rules);
            if (merged) {               /* on ENOMEM just stay unmerged */
                merged->child[0] = only->child[0];
                merged->child[1] = only->child[1];
                publish(slot, merged);
                retire(aux, node);
                retire(aux, only);
            }
        }
    }
}

unsigned int
ft_trie_lookup(const struct ft_trie *trie, const uint32_t *value,
               uint64_t plens[FT_TRIE_PLEN_WORDS])
{
    const struct ft_trie_node *node = __atomic_load_n(&trie->root,
                                                      __ATOMIC_ACQUIRE);
    unsigned int ofs = 0;

    memset(plens, 0, FT_TRIE_PLEN_WORDS * sizeof plens[0]);
    if (!node) {
        return 0;
    }
    for (;;) {
        unsigned int eq = common_bits(node, value, ofs, trie->width - ofs);
        if (eq < node->n_bits) {
            return ofs + eq + 1;        /* depended on the differing bit */
        }
        ofs += node->n_bits;
        if (__atomic_load_n(&node->n_rules, __ATOMIC_RELAXED)) {
            plens[ofs / 64] |= UINT64_C(1) << (ofs % 64);
        }
        if (ofs >= trie->width) {
            return trie->width;
        }
        unsigned int b = get_bit(value, ofs);
        const struct ft_trie_node *next = load_child(node, b);
        if (!next) {
            /* With a sibling path, the bit at 'ofs' told us not to go
             * there; without one nothing below mattered. */
            return load_child(node, !b) ? ofs + 1 : ofs;
        }
        node = next;
    }
}
