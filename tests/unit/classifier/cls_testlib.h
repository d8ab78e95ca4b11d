/*
 * cls_testlib.h — shared by the classifier unit test and its benchmark:
 * a seeded RNG, field setters for matches and keys, the random rule/packet
 * generator over many field combinations, and the brute-force reference
 * classifier (linear scan in priority order) the property test compares
 * against.
 *
 * Header-only (static functions), single-threaded test code.
 */
#ifndef VSWITCH_TESTS_CLS_TESTLIB_H
#define VSWITCH_TESTS_CLS_TESTLIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "flowtable/ft_classifier.h"

/* ---- RNG (xorshift64*), deterministic per seed ---------------------- */

static inline uint64_t
tl_rand(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545f4914f6cdd1dULL;
}

static inline uint32_t
tl_below(uint64_t *s, uint32_t n)
{
    return (uint32_t) ((tl_rand(s) >> 32) % n);
}

/* ---- byte-level field access ------------------------------------------ */

static inline void
tl_set_bytes(struct ft_key *k, size_t ofs, const void *v, size_t len)
{
    memcpy((uint8_t *) k + ofs, v, len);
}

/* Sets field [ofs, ofs+len) of 'm' to value 'v' under mask 'mask'. */
static inline void
tl_match_set(struct ft_match *m, size_t ofs, size_t len, const void *v,
             const void *mask)
{
    uint8_t *kk = (uint8_t *) &m->key + ofs;
    uint8_t *mm = (uint8_t *) &m->mask.masks + ofs;
    const uint8_t *vv = v, *ms = mask;
    for (size_t i = 0; i < len; i++) {
        mm[i] = ms[i];
        kk[i] = vv[i] & ms[i];
    }
}

/* A big-endian prefix mask of 'plen' bits over 'len' bytes. */
static inline void
tl_prefix_mask(uint8_t *mask, size_t len, unsigned int plen)
{
    for (size_t i = 0; i < len; i++) {
        unsigned int bits = plen >= 8 * (i + 1) ? 8
                            : plen > 8 * i ? plen - 8 * (unsigned int) i : 0;
        mask[i] = bits ? (uint8_t) (0xff << (8 - bits)) : 0;
    }
}

/* ---- random rule sets over many field combinations --------------------- */

enum tl_kind { TL_EXACT, TL_PREFIX, TL_BITS };

struct tl_field {
    const char *name;
    uint16_t ofs, len;
    enum tl_kind kind;
};

#define TL_F(field, kind) \
    { #field, offsetof(struct ft_key, field), \
      sizeof(((struct ft_key *) 0)->field), kind }

static const struct tl_field tl_fields[] = {
    TL_F(tunnel.tun_id, TL_EXACT),
    TL_F(metadata, TL_BITS),
    TL_F(in_port, TL_EXACT),
    TL_F(recirc_id, TL_EXACT),
    TL_F(dl_dst, TL_EXACT),
    TL_F(dl_src, TL_BITS),
    TL_F(dl_type, TL_EXACT),
    TL_F(vlans[0].tci, TL_BITS),
    TL_F(ipv6_src, TL_PREFIX),
    TL_F(ipv6_dst, TL_PREFIX),
    TL_F(nw_src, TL_PREFIX),
    TL_F(nw_dst, TL_PREFIX),
    TL_F(nw_proto, TL_EXACT),
    TL_F(nw_tos, TL_BITS),
    TL_F(tp_src, TL_BITS),
    TL_F(tp_dst, TL_EXACT),
    TL_F(tcp_flags, TL_BITS),
};
#define TL_N_FIELDS (sizeof tl_fields / sizeof tl_fields[0])
#define TL_POOL 4                      /* values per field: hits are common */

struct tl_gen {
    uint64_t rng;
    uint8_t pool[TL_N_FIELDS][TL_POOL][16];
    unsigned int n_profiles;
    uint32_t profiles[64];             /* bitmaps of fields */
    int32_t max_priority;
    bool catchalls;                    /* emit a catch-all now and then */
};

static inline void
tl_gen_init(struct tl_gen *g, uint64_t seed, unsigned int n_profiles,
            int32_t max_priority)
{
    memset(g, 0, sizeof *g);
    g->rng = seed * 0x9e3779b97f4a7c15ULL + 1;
    for (unsigned int f = 0; f < TL_N_FIELDS; f++) {
        for (unsigned int p = 0; p < TL_POOL; p++) {
            for (unsigned int b = 0; b < 16; b++) {
                g->pool[f][p][b] = (uint8_t) tl_rand(&g->rng);
            }
            if (tl_fields[f].kind == TL_PREFIX) {
                /* Pool addresses share their first bytes, so prefixes
                 * nest and overlap the way routes do. */
                g->pool[f][p][0] = 10;
                g->pool[f][p][1] = (uint8_t) (p & 1);
            }
        }
    }
    g->n_profiles = n_profiles > 64 ? 64 : n_profiles;
    for (unsigned int i = 0; i < g->n_profiles; i++) {
        uint32_t bits = 0;
        unsigned int n = 1 + tl_below(&g->rng, 4);
        while (n--) {
            bits |= 1u << tl_below(&g->rng, TL_N_FIELDS);
        }
        g->profiles[i] = bits;
    }
    g->max_priority = max_priority;
    g->catchalls = true;
}

/* A random match from one of the generator's profiles (a catch-all now and
 * then) and a random priority. */
static inline void
tl_gen_match(struct tl_gen *g, struct ft_match *m, int32_t *priority)
{
    ft_match_init_catchall(m);
    *priority = (int32_t) tl_below(&g->rng, (uint32_t) g->max_priority + 1);
    if (g->catchalls && !tl_below(&g->rng, 200)) {
        return;
    }
    uint32_t prof = g->profiles[tl_below(&g->rng, g->n_profiles)];
    for (unsigned int f = 0; f < TL_N_FIELDS; f++) {
        if (!(prof & (1u << f))) {
            continue;
        }
        const struct tl_field *d = &tl_fields[f];
        uint8_t mask[16];
        switch (d->kind) {
        case TL_EXACT:
            memset(mask, 0xff, sizeof mask);
            break;
        case TL_PREFIX:
            tl_prefix_mask(mask, d->len,
                           1 + tl_below(&g->rng, 8u * d->len));
            break;
        case TL_BITS:
            for (unsigned int b = 0; b < 16; b++) {
                /* Sparse random masks: a few bits, often zero bytes. */
                mask[b] = (uint8_t) (tl_rand(&g->rng) & tl_rand(&g->rng));
            }
            break;
        }
        tl_match_set(m, d->ofs, d->len,
                     g->pool[f][tl_below(&g->rng, TL_POOL)], mask);
    }
    ft_match_normalize(m);
}

/* A random packet key: mostly pool values (so that rules hit), addresses
 * a pool value with random low bits, sometimes fully random fields. */
static inline void
tl_gen_key(struct tl_gen *g, struct ft_key *k)
{
    memset(k, 0, sizeof *k);
    for (unsigned int f = 0; f < TL_N_FIELDS; f++) {
        const struct tl_field *d = &tl_fields[f];
        uint8_t v[16];
        memcpy(v, g->pool[f][tl_below(&g->rng, TL_POOL)], sizeof v);
        uint32_t r = tl_below(&g->rng, 10);
        if (r == 0) {
            for (unsigned int b = 0; b < 16; b++) {
                v[b] = (uint8_t) tl_rand(&g->rng);
            }
        } else if (d->kind == TL_PREFIX && r < 6) {
            unsigned int keep = tl_below(&g->rng, 8u * d->len + 1);
            uint8_t m[16];
            tl_prefix_mask(m, d->len, keep);
            for (unsigned int b = 0; b < d->len; b++) {
                v[b] = (uint8_t) ((v[b] & m[b])
                                  | (tl_rand(&g->rng) & ~m[b]));
            }
        }
        tl_set_bytes(k, d->ofs, v, d->len);
    }
}

/* ---- brute-force reference -------------------------------------------- */

struct tl_ref_rule {
    const struct ft_cls_rule *rule;    /* the classifier's rule */
    struct ft_match match;
    int32_t priority;
    uint64_t seq;                      /* our own count of inserts */
    ft_cls_version_t add, remove;
};

struct tl_ref {
    struct tl_ref_rule *r;
    size_t n, cap;
    uint64_t next_seq;
};

/* Winner: highest priority, then smallest seq, among visible matches. */
static inline const struct ft_cls_rule *
tl_ref_lookup(const struct tl_ref *ref, const struct ft_key *key,
              ft_cls_version_t version)
{
    const struct tl_ref_rule *best = NULL;
    for (size_t i = 0; i < ref->n; i++) {
        const struct tl_ref_rule *r = &ref->r[i];
        if (r->add > version || version >= r->remove) {
            continue;
        }
        if (best && (r->priority < best->priority
                     || (r->priority == best->priority
                         && r->seq > best->seq))) {
            continue;
        }
        if (ft_match_matches(&r->match, key)) {
            best = r;
        }
    }
    return best ? best->rule : NULL;
}

#endif
