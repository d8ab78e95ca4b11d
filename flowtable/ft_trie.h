/*
 * ft_trie.h — private to flowtable/: the prefix trie the classifier keeps
 * for each address field (nw_src, nw_dst, ipv6_src, ipv6_dst).
 *
 * A path-compressed binary trie of the CIDR prefixes of the rules whose
 * mask on the field is a prefix. Each node holds up to 32 bits of the path
 * (a node's first bit is the bit that selected it from its parent) and the
 * number of rule prefixes that end exactly at its last bit.
 *
 * Addresses are given as arrays of FT_TRIE_WORDS host-order 32-bit words,
 * most significant bit first (the network-order address read as a big
 * bitstring), zero padded.
 *
 * Threads: the classifier's writer inserts and removes; readers look up
 * concurrently and lock-free. Writers never modify a node's path bits in
 * place: a node that must change shape is copied, the copy linked in with
 * a release store, and the old node handed to the 'retire' callback, which
 * frees it after an RCU grace period. Rule counts change in place
 * (atomically); a stale count only makes a reader search a subtable it
 * could have skipped, never skip one it must search, because the writer
 * adds a prefix to the trie before the rule becomes findable and removes
 * it only after the rule is gone.
 */
#ifndef VSWITCH_FLOWTABLE_FT_TRIE_H
#define VSWITCH_FLOWTABLE_FT_TRIE_H

#include <stdint.h>

#define FT_TRIE_WORDS 5            /* 128-bit addresses + one word of padding */
#define FT_TRIE_PLEN_WORDS 3       /* bitmap of prefix lengths 0..128 */

struct ft_trie_node;

struct ft_trie {
    struct ft_trie_node *root;     /* RCU */
    unsigned int width;            /* field width in bits: 32 or 128 */
};

/* Frees 'node' after a grace period. */
typedef void ft_trie_retire_fn(void *aux, void *node);

void ft_trie_init(struct ft_trie *trie, unsigned int width);

/* Frees every node at once (no reader may be using the trie). */
void ft_trie_destroy(struct ft_trie *trie);

/* Adds one reference to prefix 'value'/'plen' (1 <= plen <= width).
 * Returns 0 or -ENOMEM (the trie is unchanged). Writer. */
int ft_trie_insert(struct ft_trie *trie, const uint32_t *value,
                   unsigned int plen, ft_trie_retire_fn *retire, void *aux);

/* Drops one reference to a prefix added by ft_trie_insert(). Writer. */
void ft_trie_remove(struct ft_trie *trie, const uint32_t *value,
                    unsigned int plen, ft_trie_retire_fn *retire, void *aux);

/* Walks the trie along 'value'. Sets bit L of 'plens' for every prefix
 * length L such that some stored prefix of length L equals the first L bits
 * of 'value', and returns the number of leading bits of 'value' the walk
 * depended on: every address agreeing with 'value' on that many leading
 * bits yields the same 'plens'. Readers, lock-free. */
unsigned int ft_trie_lookup(const struct ft_trie *trie, const uint32_t *value,
                            uint64_t plens[FT_TRIE_PLEN_WORDS]);

#endif
