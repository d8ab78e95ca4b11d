/*
 * test_key.c — unit tests of the flow key's sparse form and helpers
 * (flowtable/ft_key.c): miniflow round trips, the two hash functions
 * agreeing, masked match, random-key property tests and ft_key_format().
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "flowtable/ft_key.h"

typedef uint64_t word_alias __attribute__((may_alias));

static uint64_t rng_state = 0x243f6a8885a308d3ull;

static uint64_t
rng_next(void)
{
    /* xorshift64*: deterministic, so failures reproduce. */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ull;
}

static word_alias *
words_of(struct ft_key *key)
{
    return (word_alias *) (void *) key;
}

/* A key with each word nonzero with probability 1/density, and random
 * bits there (sometimes a single bit, to exercise sparse values). */
static void
random_key(struct ft_key *key, unsigned int density)
{
    word_alias *w = words_of(key);

    memset(key, 0, sizeof *key);
    for (size_t i = 0; i < FT_KEY_U64S; i++) {
        if (rng_next() % density == 0) {
            uint64_t v = rng_next();

            w[i] = (v & 1) ? v | 1 : UINT64_C(1) << (v >> 58);
        }
    }
}

static void
test_miniflow_empty(void **state)
{
    struct ft_miniflow_buf mf;
    struct ft_key key, back;

    (void) state;
    memset(&key, 0, sizeof key);
    ft_miniflow_from_key(&mf, &key);
    assert_int_equal(ft_miniflow_n_values(&mf.mf), 0);
    assert_int_equal(mf.mf.map[0], 0);
    assert_int_equal(mf.mf.map[1], 0);
    memset(&back, 0xff, sizeof back);
    ft_miniflow_expand(&mf.mf, &back);
    assert_memory_equal(&key, &back, sizeof key);
    for (unsigned int i = 0; i < FT_KEY_U64S + 10; i++) {
        assert_int_equal(ft_miniflow_get(&mf.mf, i), 0);
    }
}

static void
test_miniflow_full(void **state)
{
    struct ft_miniflow_buf mf;
    struct ft_key key, back;

    (void) state;
    memset(&key, 0x11, sizeof key);
    ft_miniflow_from_key(&mf, &key);
    assert_int_equal(ft_miniflow_n_values(&mf.mf), FT_KEY_U64S);
    ft_miniflow_expand(&mf.mf, &back);
    assert_memory_equal(&key, &back, sizeof key);
}

static void
test_miniflow_round_trip_random(void **state)
{
    (void) state;
    for (int iter = 0; iter < 5000; iter++) {
        struct ft_miniflow_buf mf;
        struct ft_key key, back;
        unsigned int nonzero = 0;

        random_key(&key, 1 + (unsigned int) iter % 5);
        ft_miniflow_from_key(&mf, &key);
        for (size_t i = 0; i < FT_KEY_U64S; i++) {
            uint64_t w = words_of(&key)[i];

            nonzero += w != 0;
            assert_true(ft_miniflow_get(&mf.mf, (unsigned int) i) == w);
            assert_int_equal(!!(mf.mf.map[i / 64] & (UINT64_C(1) << (i % 64))),
                             w != 0);
        }
        assert_int_equal(ft_miniflow_n_values(&mf.mf), nonzero);
        memset(&back, 0x5a, sizeof back);
        ft_miniflow_expand(&mf.mf, &back);
        assert_memory_equal(&key, &back, sizeof key);
    }
}

static void
test_miniflow_equal(void **state)
{
    (void) state;
    for (int iter = 0; iter < 2000; iter++) {
        struct ft_miniflow_buf a, b;
        struct ft_key ka, kb;
        size_t word = rng_next() % FT_KEY_U64S;

        random_key(&ka, 3);
        kb = ka;
        ft_miniflow_from_key(&a, &ka);
        ft_miniflow_from_key(&b, &kb);
        assert_true(ft_miniflow_equal(&a.mf, &b.mf));
        assert_int_equal(ft_miniflow_hash(&a.mf, 7), ft_miniflow_hash(&b.mf, 7));

        /* Change one word: a value change or a map change. */
        words_of(&kb)[word] ^= UINT64_C(1) << (rng_next() % 64);
        ft_miniflow_from_key(&b, &kb);
        assert_false(ft_miniflow_equal(&a.mf, &b.mf));
        assert_false(ft_miniflow_equal(&b.mf, &a.mf));
    }
}

static void
test_masked_miniflow(void **state)
{
    (void) state;
    for (int iter = 0; iter < 5000; iter++) {
        struct ft_miniflow_buf mask_mf, masked;
        struct ft_key key, mask;
        uint32_t basis = (uint32_t) rng_next();

        random_key(&key, 1 + (unsigned int) iter % 3);
        random_key(&mask, 2 + (unsigned int) iter % 4);
        ft_miniflow_from_key(&mask_mf, &mask);
        ft_miniflow_from_key_masked(&masked, &key, &mask_mf.mf);

        /* Same map as the mask; values are key & mask. */
        assert_memory_equal(masked.mf.map, mask_mf.mf.map,
                            sizeof masked.mf.map);
        for (unsigned int i = 0; i < FT_KEY_U64S; i++) {
            assert_true(ft_miniflow_get(&masked.mf, i)
                        == (words_of(&key)[i] & words_of(&mask)[i]));
        }

        /* The two hashes agree. */
        assert_int_equal(ft_key_hash_in_mask(&key, &mask_mf.mf, basis),
                         ft_miniflow_hash(&masked.mf, basis));

        /* A key matches its own masked form. */
        assert_true(ft_key_matches_miniflow(&key, &mask_mf.mf, &masked.mf));
    }
}

/* Property: keys that agree under the mask hash equally and match; a key
 * that differs in a masked bit does not match. */
static void
test_masked_match_property(void **state)
{
    (void) state;
    for (int iter = 0; iter < 5000; iter++) {
        struct ft_miniflow_buf mask_mf, masked;
        struct ft_key key, mask, other;
        word_alias *wk, *wm, *wo;
        uint32_t basis = (uint32_t) iter;

        random_key(&key, 2);
        random_key(&mask, 2);
        words_of(&mask)[rng_next() % FT_KEY_U64S] |= UINT64_C(1) << (rng_next() % 64);
        ft_miniflow_from_key(&mask_mf, &mask);
        ft_miniflow_from_key_masked(&masked, &key, &mask_mf.mf);

        /* Flip only unmasked bits. */
        other = key;
        wk = words_of(&key);
        wm = words_of(&mask);
        wo = words_of(&other);
        for (size_t i = 0; i < FT_KEY_U64S; i++) {
            wo[i] ^= rng_next() & ~wm[i];
        }
        assert_true(ft_key_matches_miniflow(&other, &mask_mf.mf, &masked.mf));
        assert_int_equal(ft_key_hash_in_mask(&other, &mask_mf.mf, basis),
                         ft_key_hash_in_mask(&key, &mask_mf.mf, basis));

        /* Flip one masked bit. */
        for (;;) {
            size_t i = rng_next() % FT_KEY_U64S;
            uint64_t bit = UINT64_C(1) << (rng_next() % 64);

            if (wm[i] & bit) {
                wo[i] = wk[i] ^ bit;
                break;
            }
        }
        assert_false(ft_key_matches_miniflow(&other, &mask_mf.mf, &masked.mf));
    }
}

static void
test_key_hash(void **state)
{
    enum { N_KEYS = 20000, N_BUCKETS = 256 };
    static unsigned int buckets[N_BUCKETS];
    struct ft_key key, copy;

    (void) state;
    random_key(&key, 2);
    copy = key;
    assert_int_equal(ft_key_hash(&key, 0), ft_key_hash(&copy, 0));
    assert_int_not_equal(ft_key_hash(&key, 0), ft_key_hash(&key, 1));

    /* CRC detects every single-bit change and the finisher is a bijection,
     * so every one-bit neighbour hashes differently. */
    for (size_t i = 0; i < sizeof key * 8; i++) {
        copy = key;
        ((uint8_t *) &copy)[i / 8] ^= (uint8_t) (1u << (i % 8));
        assert_int_not_equal(ft_key_hash(&copy, 0), ft_key_hash(&key, 0));
    }

    /* Low bits spread evenly over keys that differ in one field only. */
    memset(&key, 0, sizeof key);
    key.dl_type = htons(0x0800);
    for (uint32_t i = 0; i < N_KEYS; i++) {
        key.nw_src = htonl(0x0a000000u + i);
        buckets[ft_key_hash(&key, 0) % N_BUCKETS]++;
    }
    for (int b = 0; b < N_BUCKETS; b++) {
        assert_in_range(buckets[b], N_KEYS / N_BUCKETS / 2,
                        N_KEYS / N_BUCKETS * 2);
    }
}

static void
test_miniflow_hash_map_matters(void **state)
{
    struct ft_miniflow_buf a, b;
    struct ft_key ka, kb;

    (void) state;
    /* Same single value in different words: the map tells them apart. */
    memset(&ka, 0, sizeof ka);
    memset(&kb, 0, sizeof kb);
    ka.nw_src = htonl(1);
    kb.nw_dst = htonl(1);
    ft_miniflow_from_key(&a, &ka);
    ft_miniflow_from_key(&b, &kb);
    assert_int_not_equal(ft_miniflow_hash(&a.mf, 0), ft_miniflow_hash(&b.mf, 0));
}

/* ---- format ------------------------------------------------------------- */

static const uint8_t MAC_A[6] = { 0x02, 0, 0, 0, 0, 0x0a };
static const uint8_t MAC_B[6] = { 0x02, 0, 0, 0, 0, 0x0b };

static void
tcp_key(struct ft_key *key)
{
    memset(key, 0, sizeof *key);
    key->in_port = 1;
    key->vlans[0].tpid = htons(0x8100);
    key->vlans[0].tci = htons(FT_VLAN_PRESENT | 10);
    memcpy(key->dl_src.ea, MAC_A, 6);
    memcpy(key->dl_dst.ea, MAC_B, 6);
    key->dl_type = htons(0x0800);
    key->nw_src = htonl(0x0a000001);
    key->nw_dst = htonl(0x0a000002);
    key->nw_proto = 6;
    key->nw_ttl = 64;
    key->tp_src = htons(1234);
    key->tp_dst = htons(80);
    key->tcp_flags = htons(0x002);
}

static void
assert_format(const struct ft_key *key, const struct ft_key *mask,
              const char *expected)
{
    char buf[1024];
    int n = ft_key_format(key, mask, buf, sizeof buf);

    assert_string_equal(buf, expected);
    assert_int_equal(n, (int) strlen(expected));
}

static void
test_format_exact(void **state)
{
    struct ft_key key;

    (void) state;
    tcp_key(&key);
    assert_format(&key, NULL,
                  "in_port=1,dl_vlan=10,dl_src=02:00:00:00:00:0a,"
                  "dl_dst=02:00:00:00:00:0b,ip,nw_src=10.0.0.1,"
                  "nw_dst=10.0.0.2,nw_proto=6,nw_ttl=64,tp_src=1234,"
                  "tp_dst=80,tcp_flags=0x2");

    key.vlans[0].tci |= htons(5 << FT_VLAN_PCP_SHIFT);
    key.nw_tos = 0x2e;
    key.nw_frag = FT_FRAG_ANY;
    assert_format(&key, NULL,
                  "in_port=1,dl_vlan=10,dl_vlan_pcp=5,"
                  "dl_src=02:00:00:00:00:0a,dl_dst=02:00:00:00:00:0b,ip,"
                  "nw_src=10.0.0.1,nw_dst=10.0.0.2,nw_proto=6,nw_tos=44,"
                  "nw_ecn=2,nw_ttl=64,nw_frag=first,tp_src=1234,tp_dst=80,"
                  "tcp_flags=0x2");
}

static void
test_format_masked(void **state)
{
    struct ft_key key, mask;

    (void) state;
    tcp_key(&key);
    memset(&mask, 0, sizeof mask);
    mask.in_port = UINT32_MAX;
    mask.dl_type = 0xffff;
    mask.nw_src = htonl(0xffffff00);
    mask.nw_dst = htonl(0xff00ff00);
    mask.tp_dst = 0xffff;
    mask.tcp_flags = htons(0x0002);
    mask.dl_dst.ea[0] = 0x01;
    mask.vlans[0].tci = htons(FT_VLAN_PRESENT | FT_VLAN_VID_MASK);
    assert_format(&key, &mask,
                  "in_port=1,dl_vlan=10,"
                  "dl_dst=00:00:00:00:00:00/01:00:00:00:00:00,ip,"
                  "nw_src=10.0.0.0/24,nw_dst=10.0.0.0/255.0.255.0,"
                  "tp_dst=80,tcp_flags=0x2/0x2");

    /* "No tag" matched exactly, and a partial TCI. */
    memset(&mask, 0, sizeof mask);
    mask.vlans[0].tci = 0xffff;
    key.vlans[0].tci = 0;
    assert_format(&key, &mask, "vlan_tci=0x0000");
    key.vlans[0].tci = htons(FT_VLAN_PRESENT | 10);
    mask.vlans[0].tci = htons(FT_VLAN_PRESENT);
    assert_format(&key, &mask, "vlan_tci=0x1000/0x1000");

    /* Fragment matches. */
    memset(&mask, 0, sizeof mask);
    mask.nw_frag = FT_FRAG_ANY | FT_FRAG_LATER;
    key.nw_frag = 0;
    assert_format(&key, &mask, "nw_frag=no");
    key.nw_frag = FT_FRAG_ANY | FT_FRAG_LATER;
    assert_format(&key, &mask, "nw_frag=later");
    mask.nw_frag = FT_FRAG_LATER;
    key.nw_frag = 0;
    assert_format(&key, &mask, "nw_frag=not_later");
}

static void
test_format_other_protocols(void **state)
{
    struct ft_key key, mask;

    (void) state;
    /* ARP. */
    memset(&key, 0, sizeof key);
    key.in_port = 2;
    key.dl_type = htons(0x0806);
    key.nw_src = htonl(0xc0a80001);
    key.nw_dst = htonl(0xc0a80002);
    key.nw_proto = 1;
    key.arp_op = htons(1);
    memcpy(key.arp_sha.ea, MAC_A, 6);
    assert_format(&key, NULL,
                  "in_port=2,dl_src=00:00:00:00:00:00,"
                  "dl_dst=00:00:00:00:00:00,arp,arp_spa=192.168.0.1,"
                  "arp_tpa=192.168.0.2,arp_op=1,arp_sha=02:00:00:00:00:0a");

    /* IPv6 ND with prefix masks. */
    memset(&key, 0, sizeof key);
    key.dl_type = htons(0x86dd);
    key.ipv6_src.s6[0] = 0x20;
    key.ipv6_src.s6[1] = 0x01;
    key.ipv6_src.s6[15] = 1;
    key.ipv6_dst.s6[0] = 0xff;
    key.ipv6_dst.s6[1] = 0x02;
    key.ipv6_dst.s6[15] = 1;
    key.ipv6_label = htonl(0x12345);
    key.nw_proto = 58;
    key.nw_ttl = 255;
    key.tp_src = htons(135);
    key.nd_target.s6[0] = 0xfe;
    key.nd_target.s6[1] = 0x80;
    key.nd_target.s6[15] = 2;
    memcpy(key.arp_sha.ea, MAC_B, 6);
    key.ipv6_exthdr = FT_IPV6_EXTHDR_HOP;
    assert_format(&key, NULL,
                  "in_port=0,dl_src=00:00:00:00:00:00,"
                  "dl_dst=00:00:00:00:00:00,ipv6,ipv6_src=2001::1,"
                  "ipv6_dst=ff02::1,ipv6_label=0x12345,nw_proto=58,"
                  "nw_ttl=255,nd_target=fe80::2,nd_sll=02:00:00:00:00:0b,"
                  "ipv6_exthdr=0x40,icmpv6_type=135,icmpv6_code=0");
    memset(&mask, 0, sizeof mask);
    mask.dl_type = 0xffff;
    memset(mask.ipv6_src.s6, 0xff, 8);
    mask.nw_proto = 0xff;
    mask.tp_src = 0xffff;
    mask.ipv6_label = htonl(0xff);
    assert_format(&key, &mask,
                  "ipv6,ipv6_src=2001::/64,ipv6_label=0x45/0xff,nw_proto=58,"
                  "icmpv6_type=135");

    /* ICMPv4 names its ports; a non-CIDR IPv6 mask is shown whole. */
    memset(&key, 0, sizeof key);
    key.dl_type = htons(0x0800);
    key.nw_proto = 1;
    key.tp_src = htons(8);
    memset(&mask, 0, sizeof mask);
    mask.dl_type = 0xffff;
    mask.nw_proto = 0xff;
    mask.tp_src = 0xffff;
    mask.tp_dst = 0xffff;
    mask.ipv6_dst.s6[15] = 0x0f;
    assert_format(&key, &mask,
                  "ip,ipv6_dst=::/::f,nw_proto=1,icmp_type=8,icmp_code=0");

    /* ARP target hardware address, and nd_tll on IPv6. */
    memset(&key, 0, sizeof key);
    memcpy(key.arp_tha.ea, MAC_A, 6);
    memset(&mask, 0, sizeof mask);
    memset(mask.arp_tha.ea, 0xff, 6);
    assert_format(&key, &mask, "arp_tha=02:00:00:00:00:0a");
    key.dl_type = htons(0x86dd);
    mask.dl_type = 0xffff;
    assert_format(&key, &mask, "ipv6,nd_tll=02:00:00:00:00:0a");

    /* MPLS and PBB. */
    memset(&key, 0, sizeof key);
    key.dl_type = htons(0x8847);
    key.mpls_lse[0] = htonl(100u << 12 | 3 << 9 | 1 << 8 | 64);
    key.mpls_lse[1] = htonl(0x12345);
    assert_format(&key, NULL,
                  "in_port=0,dl_src=00:00:00:00:00:00,"
                  "dl_dst=00:00:00:00:00:00,mpls,mpls_label=100,mpls_tc=3,"
                  "mpls_bos=1,mpls_ttl=64,mpls_lse1=0x12345");
    memset(&mask, 0, sizeof mask);
    mask.mpls_lse[0] = htonl(0xfffff000);
    assert_format(&key, &mask, "mpls_label=100");
    mask.mpls_lse[0] = htonl(0xffff0000);
    assert_format(&key, &mask, "mpls_lse0=0x60000/0xffff0000");

    memset(&key, 0, sizeof key);
    key.dl_type = htons(0x88e7);
    key.pbb_isid = htonl(0x123456);
    key.pbb_uca = 1;
    memset(&mask, 0, sizeof mask);
    mask.dl_type = 0xffff;
    mask.pbb_isid = htonl(0xffffff);
    mask.pbb_uca = 1;
    assert_format(&key, &mask, "dl_type=0x88e7,pbb_isid=1193046,pbb_uca=1");

    /* Tunnel and metadata. */
    memset(&key, 0, sizeof key);
    key.tunnel.tun_id = 0x1234;
    key.tunnel.ipv4_src = htonl(0x01010101);
    key.tunnel.ipv4_dst = htonl(0x02020202);
    key.tunnel.flags = FT_TNL_F_KEY;
    key.tunnel.ttl = 64;
    key.tunnel.tp_dst = htons(4789);
    key.tunnel.ipv6_dst.s6[15] = 1;
    key.metadata = 0xabc;
    key.recirc_id = 3;
    key.in_port = 5;
    key.in_phy_port = 6;
    key.dp_hash = 0x77;
    key.vlans[1].tpid = htons(0x8100);
    key.vlans[1].tci = htons(FT_VLAN_PRESENT | 20);
    key.vlans[0].tpid = htons(0x88a8);
    key.vlans[0].tci = htons(FT_VLAN_PRESENT | 30);
    key.dl_type = htons(0x1234);
    assert_format(&key, NULL,
                  "tun_id=0x1234,tun_src=1.1.1.1,tun_dst=2.2.2.2,"
                  "tun_ipv6_dst=::1,tun_flags=0x4,tun_ttl=64,tun_tp_dst=4789,"
                  "metadata=0xabc,recirc_id=0x3,dp_hash=0x77,in_port=5,"
                  "in_phy_port=6,vlan_tpid=0x88a8,dl_vlan=30,dl_vlan1=20,"
                  "dl_src=00:00:00:00:00:00,dl_dst=00:00:00:00:00:00,"
                  "dl_type=0x1234");
    memset(&mask, 0, sizeof mask);
    mask.tunnel.tun_id = 0xff00;
    mask.metadata = UINT64_MAX;
    assert_format(&key, &mask, "tun_id=0x1200/0xff00,metadata=0xabc");
}

static void
test_format_truncation(void **state)
{
    struct ft_key key;
    char full[512], small[16];
    int n_full, n;

    (void) state;
    tcp_key(&key);
    n_full = ft_key_format(&key, NULL, full, sizeof full);
    assert_true(n_full > (int) sizeof small);

    memset(small, 'x', sizeof small);
    n = ft_key_format(&key, NULL, small, sizeof small);
    assert_int_equal(n, n_full);
    assert_int_equal(strlen(small), sizeof small - 1);
    assert_memory_equal(small, full, sizeof small - 1);

    assert_int_equal(ft_key_format(&key, NULL, NULL, 0), n_full);

    /* An all-zero mask prints nothing. */
    {
        struct ft_key mask;

        memset(&mask, 0, sizeof mask);
        assert_int_equal(ft_key_format(&key, &mask, small, sizeof small), 0);
        assert_string_equal(small, "");
    }
}

/* Every random key and mask formats without overflowing, and the returned
 * length matches what is written. */
static void
test_format_random(void **state)
{
    (void) state;
    for (int iter = 0; iter < 3000; iter++) {
        struct ft_key key, mask;
        char buf[2048];
        int n;

        random_key(&key, 1);
        random_key(&mask, 1 + (unsigned int) iter % 3);
        n = ft_key_format(&key, iter % 2 ? &mask : NULL, buf, sizeof buf);
        assert_true(n > 0 && n < (int) sizeof buf);
        assert_int_equal(strlen(buf), (size_t) n);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_miniflow_empty),
        cmocka_unit_test(test_miniflow_full),
        cmocka_unit_test(test_miniflow_round_trip_random),
        cmocka_unit_test(test_miniflow_equal),
        cmocka_unit_test(test_masked_miniflow),
        cmocka_unit_test(test_masked_match_property),
        cmocka_unit_test(test_key_hash),
        cmocka_unit_test(test_miniflow_hash_map_matters),
        cmocka_unit_test(test_format_exact),
        cmocka_unit_test(test_format_masked),
        cmocka_unit_test(test_format_other_protocols),
        cmocka_unit_test(test_format_truncation),
        cmocka_unit_test(test_format_random),
    };

    return cmocka_run_group_tests_name("key", tests, NULL, NULL);
}
