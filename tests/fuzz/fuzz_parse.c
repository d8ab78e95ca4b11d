/*
 * fuzz_parse.c — libFuzzer target over the packet parser, dp_parse().
 *
 * Each input is one frame. Besides ASan/UBSan catching any read past the
 * frame (libFuzzer hands over a buffer of exactly 'size' bytes), the target
 * checks the parser's promises and aborts if one is broken:
 *  - fields the parser must not set (tunnel, metadata, in_port, ...) and
 *    every padding byte of the key are zero;
 *  - layer offsets are absent or within the frame, in header order;
 *  - the parse is deterministic and ignores whatever the key held before;
 *  - the key survives the miniflow round trip, and the two hash functions
 *    agree on it; ft_key_format() terminates and reports its length.
 *
 * Build and run (see tests/fuzz/meson.build):
 *   CC=clang meson setup build-fuzz -Dfuzz=true \
 *       -Db_sanitize=address,undefined -Db_lundef=false
 *   ninja -C build-fuzz tests/fuzz/fuzz_parse
 *   build-fuzz/tests/fuzz/fuzz_parse -max_total_time=60 \
 *       build-fuzz/tests/fuzz/corpus/parse
 * or "meson test -C build-fuzz --suite fuzz" (60 s, the generated corpus).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datapath/dp_parse.h"

#define CHECK(cond)                                                        \
    do {                                                                   \
        if (!(cond)) {                                                     \
            fprintf(stderr, "fuzz_parse: invariant broken: %s (%s:%d)\n",  \
                    #cond, __FILE__, __LINE__);                            \
            abort();                                                       \
        }                                                                  \
    } while (0)

static bool
all_zero(const void *p, size_t n)
{
    const uint8_t *b = p;

    for (size_t i = 0; i < n; i++) {
        if (b[i]) {
            return false;
        }
    }
    return true;
}

static void
check_layers(const struct dp_parse_layers *l, size_t size)
{
    const uint16_t ofs[] = { l->l2_5_ofs, l->l3_ofs, l->l4_ofs,
                             l->payload_ofs };
    uint16_t last = 0;

    for (size_t i = 0; i < sizeof ofs / sizeof ofs[0]; i++) {
        if (ofs[i] == DP_LAYER_ABSENT) {
            continue;
        }
        CHECK(ofs[i] <= size);
        CHECK(ofs[i] >= 14);             /* after the Ethernet header */
        CHECK(ofs[i] >= last);           /* in header order */
        last = ofs[i];
    }
    /* Nothing above L2 without a complete Ethernet header; no payload
     * without a transport header. */
    if (size < 14) {
        CHECK(l->l3_ofs == DP_LAYER_ABSENT);
    }
    if (l->payload_ofs != DP_LAYER_ABSENT) {
        CHECK(l->l4_ofs != DP_LAYER_ABSENT && l->l4_ofs < l->payload_ofs);
    }
}

static void
check_key(const struct ft_key *key)
{
    struct ft_miniflow_buf mf, mask_mf, masked;
    struct ft_key back;
    char text[1024];
    int n;

    CHECK(all_zero(key, offsetof(struct ft_key, dl_dst)));
    CHECK(all_zero(key->pad_l2, sizeof key->pad_l2));
    CHECK(all_zero(key->pad_pbb, sizeof key->pad_pbb));
    CHECK(all_zero(key->pad_l4, sizeof key->pad_l4));
    CHECK(!(ntohl(key->pbb_isid) & 0xff000000u));
    CHECK(key->pbb_uca <= 1);
    CHECK(!(ntohl(key->ipv6_label) & 0xfff00000u));
    CHECK(!(ntohs(key->tcp_flags) & 0xf000u));
    CHECK(!(key->nw_frag & ~(FT_FRAG_ANY | FT_FRAG_LATER)));
    CHECK(!(key->ipv6_exthdr & ~0x1ffu));
    for (int i = 0; i < FT_VLAN_MAX; i++) {
        CHECK(!key->vlans[i].tpid
              == !(key->vlans[i].tci & htons(FT_VLAN_PRESENT)));
    }

    ft_miniflow_from_key(&mf, key);
    ft_miniflow_expand(&mf.mf, &back);
    CHECK(ft_key_equal(key, &back));

    /* The key as its own mask: masked form equals the plain form. */
    ft_miniflow_from_key(&mask_mf, key);
    ft_miniflow_from_key_masked(&masked, key, &mask_mf.mf);
    CHECK(ft_miniflow_equal(&masked.mf, &mf.mf));
    CHECK(ft_key_hash_in_mask(key, &mask_mf.mf, 42)
          == ft_miniflow_hash(&masked.mf, 42));
    CHECK(ft_key_matches_miniflow(key, &mask_mf.mf, &masked.mf));

    n = ft_key_format(key, NULL, text, sizeof text);
    CHECK(n >= 0 && (size_t) n < sizeof text && strlen(text) == (size_t) n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct dp_parse_layers layers, layers2;
    struct ft_key key, key2;
    int error, error2;

    error = dp_parse(data, (uint32_t) size, &key, &layers);
    CHECK(error == 0 || error == -EINVAL);
    check_layers(&layers, size);
    check_key(&key);

    /* Deterministic, and blind to what the key held before. */
    memset(&key2, 0xff, sizeof key2);
    memset(&layers2, 0, sizeof layers2);
    error2 = dp_parse(data, (uint32_t) size, &key2, &layers2);
    CHECK(error2 == error);
    CHECK(ft_key_equal(&key, &key2));
    CHECK(!memcmp(&layers, &layers2, sizeof layers));
    return 0;
}
