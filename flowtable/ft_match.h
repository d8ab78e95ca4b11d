/*
 * ft_match.h — a match: a flow key and the mask of the bits that matter.
 *
 * The one match type shared by the OpenFlow codec (OXM decodes straight
 * into it), the classifier (rules are matches plus a priority) and xlate
 * (a megaflow is a match). 'key' is always pre-masked: key & mask == key,
 * so two equal matches compare equal byte for byte.
 *
 * Pure data; any thread.
 */
#ifndef VSWITCH_FLOWTABLE_FT_MATCH_H
#define VSWITCH_FLOWTABLE_FT_MATCH_H

#include "ft_key.h"

struct ft_match {
    struct ft_key key;
    struct ft_mask mask;
};

/* Sets every bit of 'match' to wildcard. */
static inline void
ft_match_init_catchall(struct ft_match *match)
{
    memset(match, 0, sizeof *match);
}

/* Re-establishes key & mask == key after fields were set one by one. */
static inline void
ft_match_normalize(struct ft_match *match)
{
    ft_key_word *k = ft_key_u64_rw(&match->key);
    const ft_key_word *m = ft_key_u64(&match->mask.masks);
    for (size_t i = 0; i < FT_KEY_U64S; i++) {
        k[i] &= m[i];
    }
}

/* Does 'key' (a packet's full key) match 'match'? */
static inline bool
ft_match_matches(const struct ft_match *match, const struct ft_key *key)
{
    const ft_key_word *p = ft_key_u64(key);
    const ft_key_word *k = ft_key_u64(&match->key);
    const ft_key_word *m = ft_key_u64(&match->mask.masks);
    for (size_t i = 0; i < FT_KEY_U64S; i++) {
        if ((p[i] & m[i]) != k[i]) {
            return false;
        }
    }
    return true;
}

#endif
