/*
 * ft_classifier.h — the OpenFlow classifier: priority-ordered wildcard rules
 * looked up by tuple-space search, with versioned (atomic) updates and the
 * megaflow mask of every lookup.
 *
 * What it is
 * ----------
 * A set of rules, each a match (key + mask, struct ft_match) and a priority.
 * ft_cls_lookup() returns the highest-priority rule that matches a packet's
 * key and is visible in a given version, and ORs into a caller's mask the
 * bits it had to examine to reach that answer: any packet that agrees with
 * the key on those bits gets the same answer. That mask is what xlate turns
 * into a megaflow, so it is kept as narrow as the rule set allows.
 *
 * How (the ideas, after Open vSwitch's classifier)
 * ------------------------------------------------
 *  - Tuple space: one subtable per distinct mask; inside it a hash table of
 *    masked keys. A lookup is one hash probe per subtable.
 *  - Priority order: subtables are visited by the highest priority they
 *    hold; once the best rule found outranks everything a subtable could
 *    hold, the search stops and later subtables cost (and un-wildcard)
 *    nothing.
 *  - Staged lookup: a subtable's mask is split at the key's stage
 *    boundaries (metadata, L2, L3, L4). After each stage but the last, a
 *    set of the hashes of that stage's masked-key prefixes says whether any
 *    rule could still match; a miss stops there and un-wildcards only the
 *    stages examined so far.
 *  - Prefix tries on nw_src, nw_dst, ipv6_src and ipv6_dst: when a
 *    subtable's mask on one of them is a CIDR prefix of length L, the trie
 *    of all such rule prefixes tells, looking at only as many leading
 *    address bits as needed, whether any rule prefix of length L matches the
 *    packet at all. If not, the subtable's miss costs only those leading
 *    bits instead of its whole mask, so LPM-style tables yield wide
 *    megaflows. Tries only narrow masks: they are walked (once per lookup)
 *    on the first subtable miss that can use them, never when no mask is
 *    asked for, and once walked they let later subtables be skipped
 *    before hashing.
 *  - Rules with equal masked keys share one hash slot, a list sorted by
 *    priority (then age); version visibility picks among them. A subtable
 *    keeps its rules in a heap by rank, so its rank stays exact under
 *    removals at O(log n).
 *
 * Megaflow mask contract: ft_cls_lookup() ORs into 'wc' a set of bits such
 * that every key agreeing with the looked-up key on them gets the same
 * result (same rule, or none) in the same classifier state and version.
 * The mask is sound, not minimal.
 *
 * Winner, deterministically: highest priority; among equal priorities
 * (OpenFlow leaves overlapping equal-priority rules unspecified) the rule
 * inserted first (smallest insertion sequence number) wins.
 *
 * Versions
 * --------
 * Every rule is visible in versions [add_version, remove_version).
 * ft_cls_insert() sets add_version; ft_cls_retire() sets remove_version.
 * The caller (the flow table layer) keeps one published "current version".
 * To apply a batch or bundle atomically: insert new rules and retire old ones
 * at current+1, ft_cls_publish(), then publish current+1 to readers (an
 * atomic store). Readers that loaded the old version keep seeing exactly the
 * old rule set; readers that load the new one see all of the batch. After
 * an RCU grace period no reader uses the old version and retired rules are
 * physically removed with ft_cls_remove(). Aborting a bundle: ft_cls_remove()
 * what it inserted (never visible) and ft_cls_unretire() what it retired.
 * A user without batches may insert everything at version 0 and look up
 * at version 0.
 *
 * Deferred publication
 * --------------------
 * Each insert/remove normally republishes the priority-ordered subtable
 * vector at once when it changes (O(subtables)). Between ft_cls_defer() and
 * ft_cls_publish() such work is postponed and done once, so a batch of N
 * flow_mods costs O(N). While deferred, lookups may miss rules inserted
 * since ft_cls_defer(); that is harmless when they were inserted in a
 * version not yet published, which is how batches are meant to be made.
 *
 * Threads and memory
 * ------------------
 *  - One writer (the main thread) calls everything except ft_cls_lookup().
 *  - Any number of readers (PMD, upcall threads) call ft_cls_lookup()
 *    concurrently with the writer, lock-free and allocation-free. Readers
 *    must be registered with the classifier's rte_rcu_qsbr and report
 *    quiescent states outside lookups; a reader sees each change either
 *    entirely before or entirely after (per rule), and a reader's view of
 *    a whole batch is made atomic by versions (above).
 *  - Internal memory is freed only after a grace period of the qsbr given
 *    to ft_cls_create(); with NULL the classifier is single-threaded and
 *    frees at once.
 *  - Rules are embedded in the caller's structs and owned by the caller.
 *    Passing a rule that is not inserted to ft_cls_retire/unretire/remove
 *    is a caller bug (not detected).
 *    After ft_cls_remove() readers may still hold the rule until a grace
 *    period passes: free it with ft_cls_defer_free() (or after
 *    rte_rcu_qsbr_synchronize()). A removed rule must not be re-inserted
 *    before that grace period either.
 *  - A rule's match and priority must not change while it is inserted.
 */
#ifndef VSWITCH_FLOWTABLE_FT_CLASSIFIER_H
#define VSWITCH_FLOWTABLE_FT_CLASSIFIER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ft_key.h"
#include "ft_match.h"

struct rte_rcu_qsbr;
struct ft_cls;
struct cls_subtable;

typedef uint64_t ft_cls_version_t;

/* remove_version of a rule that is not retired: visible from add_version on
 * forever. Lookups must use versions below it. */
#define FT_CLS_VERSION_NEVER UINT64_MAX

/* A classifier rule. Embed it in your own struct; the classifier never
 * allocates or frees it. Only 'priority' and 'match' are public (read-only
 * while inserted); the rest is the classifier's, laid out first so that a
 * lookup's version check and list walk touch one cache line. */
struct ft_cls_rule {
    /* private to the classifier */
    struct ft_cls_rule *next;           /* RCU: same masked key, lower rank */
    ft_cls_version_t add_version;       /* atomic: visible from... */
    ft_cls_version_t remove_version;    /* atomic: ...until (exclusive) */
    uint64_t seq;                       /* insertion order, tie-break */
    struct cls_subtable *subtable;      /* writer: where it lives */
    uint32_t hash;                      /* masked-key hash in its subtable */
    uint32_t heap_idx;                  /* writer: place in rank heap */

    int32_t priority;           /* higher wins; OpenFlow uses 0..65535 */
    struct ft_match match;      /* key pre-masked; set by ft_cls_rule_init */
};

/* Creates an empty classifier. 'qsbr' synchronises internal frees with
 * reader threads; NULL means single-threaded (frees are immediate).
 * Returns NULL with errno ENOMEM on failure. */
struct ft_cls *ft_cls_create(struct rte_rcu_qsbr *qsbr);

/* Frees the classifier and all internal memory at once (no reader may be
 * using it any more). Rules still inserted are left untouched: they are
 * the caller's. */
void ft_cls_destroy(struct ft_cls *cls);

/* Initialises 'rule' with a copy of 'match' (re-normalised so that
 * key & mask == key) and 'priority'. Does not insert it. */
void ft_cls_rule_init(struct ft_cls_rule *rule, const struct ft_match *match,
                      int32_t priority);

/* Inserts 'rule', visible in versions >= 'version'. Another rule with the
 * same match and priority may be present (OpenFlow replace is the caller's
 * job: retire the old one in the same version). Returns 0, -EINVAL if
 * 'version' is FT_CLS_VERSION_NEVER, -ENOMEM (nothing changed). */
int ft_cls_insert(struct ft_cls *cls, struct ft_cls_rule *rule,
                  ft_cls_version_t version);

/* Makes inserted 'rule' invisible in versions >= 'version' (it stays
 * visible to lookups in older versions until ft_cls_remove()). */
void ft_cls_retire(struct ft_cls *cls, struct ft_cls_rule *rule,
                   ft_cls_version_t version);

/* Undoes ft_cls_retire() (aborting a bundle): visible again for good. */
void ft_cls_unretire(struct ft_cls *cls, struct ft_cls_rule *rule);

/* Physically removes inserted 'rule'. Concurrent readers may still see it
 * until a grace period passes; the caller frees it only after that (see
 * ft_cls_defer_free). */
void ft_cls_remove(struct ft_cls *cls, struct ft_cls_rule *rule);

/* Is 'rule' visible in 'version'? Any thread. */
bool ft_cls_rule_visible(const struct ft_cls_rule *rule,
                         ft_cls_version_t version);

/* Postpones republishing subtable order until ft_cls_publish(). Nests. */
void ft_cls_defer(struct ft_cls *cls);

/* Ends one ft_cls_defer() level; at the outermost, publishes all changes
 * made since (subtable order, removal of emptied subtables) and reclaims
 * memory whose grace period has passed. Harmless when not deferred.
 * Needs no memory for what was inserted (each successful insert reserved
 * it), so everything inserted is visible afterwards; only the clean-up
 * after removals may wait for memory (harmlessly: until then emptied
 * subtables linger and ranks stay high). */
void ft_cls_publish(struct ft_cls *cls);

/* The highest-priority rule matching 'key' visible in 'version', or NULL.
 * If 'wc' is not NULL, ORs into it the bits examined (the megaflow mask);
 * the caller initialises it (to zero, or to bits it examined itself).
 * Lock-free and allocation-free; any registered reader thread. */
const struct ft_cls_rule *ft_cls_lookup(const struct ft_cls *cls,
                                        const struct ft_key *key,
                                        ft_cls_version_t version,
                                        struct ft_mask *wc);

/* The rule with exactly this match (after normalisation) and priority
 * visible in 'version' (the oldest, if several), or NULL. For
 * MODIFY_STRICT / DELETE_STRICT. Writer thread. */
struct ft_cls_rule *ft_cls_find_exactly(const struct ft_cls *cls,
                                        const struct ft_match *match,
                                        int32_t priority,
                                        ft_cls_version_t version);

/* Calls 'cb' for every rule visible in 'version' that is at least as
 * specific as 'filter' and agrees with it on the filter's bits (OpenFlow's
 * non-strict match: DELETE, MODIFY, flow stats); 'filter' NULL means all
 * rules. Order is unspecified. 'cb' may retire or remove the rule it was
 * given (no other) and must not insert; a nonzero return stops the walk and
 * is returned. Writer thread. */
typedef int ft_cls_visit_cb(struct ft_cls_rule *rule, void *aux);
int ft_cls_foreach(struct ft_cls *cls, const struct ft_match *filter,
                   ft_cls_version_t version, ft_cls_visit_cb *cb, void *aux);

/* Is there a rule visible in 'version' with priority 'priority' whose match
 * overlaps 'match' (some packet matches both)? For OpenFlow's
 * OFPFF_CHECK_OVERLAP. Linear in the number of rules. Writer thread. */
bool ft_cls_overlaps(const struct ft_cls *cls, const struct ft_match *match,
                     int32_t priority, ft_cls_version_t version);

/* Rules inserted and not removed (whatever their versions). Writer. */
size_t ft_cls_count(const struct ft_cls *cls);

/* Distinct masks (subtables) in use. Writer; for stats and tests. */
size_t ft_cls_n_subtables(const struct ft_cls *cls);

/* Runs fn(arg) once a grace period of the classifier's qsbr has passed
 * (at once without qsbr). For freeing removed rules. Returns 0 or -ENOMEM
 * (then it waits for the grace period itself and runs fn before
 * returning). Writer thread. */
int ft_cls_defer_free(struct ft_cls *cls, void (*fn)(void *), void *arg);

/* Runs the deferred frees whose grace period has passed. Writer; called by
 * ft_cls_publish() too. */
void ft_cls_reclaim(struct ft_cls *cls);

#endif
