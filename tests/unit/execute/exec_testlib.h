/*
 * exec_testlib.h — shared harness of the datapath action execution tests:
 * EAL and an mbuf pool, packets from test frames, sinks that capture what
 * dp_execute() hands off, action builders, and checksum fillers and
 * verifiers written independently of the code under test (RFC 1071 sums,
 * a bitwise CRC32c).
 *
 * Test code only; single-threaded.
 */
#ifndef VSWITCH_TESTS_EXECUTE_EXEC_TESTLIB_H
#define VSWITCH_TESTS_EXECUTE_EXEC_TESTLIB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "datapath/dp_execute.h"
#include "datapath/dp_parse.h"
#include "frames.h"

/* Brings EAL up without hugepages and creates the pool (cache-less, so
 * rte_mempool_in_use_count() is exact). 0 or -1. */
int exec_test_init(const char *argv0);
void exec_test_fini(void);

extern struct rte_mempool *test_pool;

/* cmocka setup/teardown: remember the pool's in-use count, and fail if a
 * test left mbufs behind. */
int exec_test_setup(void **state);
int exec_test_teardown(void **state);
/* Fails the test unless the pool is back at its setup count. */
void assert_no_leaks(void);

#define IP4_A 0x0a000001u          /* 10.0.0.1 */
#define IP4_B 0xc0a80102u          /* 192.168.1.2 */

/* ---- packets ------------------------------------------------------------- */

/* An mbuf holding a copy of data[0..len) (headroom as the pool gives). */
struct rte_mbuf *mbuf_from(const void *data, uint32_t len);

/* A batch of packets and what the parser says of them. */
#define TB_MAX 128
struct test_batch {
    unsigned int n;
    struct rte_mbuf *pkts[TB_MAX];
    struct ft_key keys[TB_MAX];
    const struct ft_key *key_ptrs[TB_MAX];
    struct dp_parse_layers layers[TB_MAX];
};

/* Appends a packet made of data[0..len), parsed. */
void tb_add(struct test_batch *, const void *data, uint32_t len);
void tb_add_frame(struct test_batch *, const struct frame *);
/* Same, for a packet the caller built (takes it over). */
void tb_add_mbuf(struct test_batch *, struct rte_mbuf *);

/* Test frames with valid checksums: Ethernet/IPv4/TCP with 'tos',
 * Ethernet/IPv6/UDP with 'tclass', Ethernet/VLAN(TCI 0x6064)/IPv4/UDP. */
struct frame ipv4_tcp(uint8_t tos);
struct frame ipv6_udp(uint8_t tclass);
struct frame vlan_ipv4_udp(void);
/* Appends 'n' packets of frame 'f'. */
void add_n(struct test_batch *, const struct frame *f, unsigned int n);

/* ---- sinks ----------------------------------------------------------------- */

enum cap_kind { CAP_OUTPUT, CAP_CONTROLLER, CAP_RECIRC };

struct captured {
    enum cap_kind kind;
    uint32_t port;              /* OUTPUT */
    uint32_t queue;             /* OUTPUT */
    uint32_t recirc_id;         /* RECIRC */
    struct ft_dpact act;        /* CONTROLLER */
    struct rte_mbuf *m;
    uint16_t refcnt;            /* at capture time */
    struct ft_key key;          /* CONTROLLER, RECIRC: keys[i] */
    struct dp_exec_meta meta;   /* CONTROLLER, RECIRC */
    uint8_t data[FRAME_MAX];    /* bytes at capture time */
    uint32_t len;
};

#define CAP_MAX (DP_EXEC_MAX_ACTS + 8)
struct capture {
    unsigned int n;
    unsigned int calls;         /* sink invocations */
    struct captured c[CAP_MAX];
};

extern struct capture cap;

/* A context whose sinks append to 'cap' (taking over the mbufs). */
void test_ctx_init(struct dp_exec_ctx *);
/* Frees every captured mbuf and empties 'cap'. */
void cap_reset(void);
/* The key a captured packet parses into. */
struct ft_key parsed(const struct captured *);
/* Captured entries for one output port, in order; returns the count. */
unsigned int cap_for_port(uint32_t port, const struct captured **out,
                          unsigned int max);

/* Runs dp_execute() on the batch (which is then empty). */
unsigned int tb_execute(struct dp_exec_ctx *, struct test_batch *,
                        const struct ft_dpact *acts, unsigned int n_acts);

/* ---- actions ----------------------------------------------------------- */

struct ft_dpact act_output(uint32_t port);
struct ft_dpact act_set(unsigned int word, uint64_t value, uint64_t mask);
/* SET_MASKED of a whole key member: 'field_ofs'/'len' as offsetof/sizeof,
 * 'value' the bytes to write (all bits). Returns the number of actions
 * written to 'out' (a member may span two words). */
unsigned int act_set_field(struct ft_dpact *out, size_t field_ofs,
                           size_t len, const void *value);
struct ft_dpact act_push_vlan(uint16_t tpid, uint16_t tci);
struct ft_dpact act_pop_vlan(void);
struct ft_dpact act_push_mpls(uint16_t ethertype, uint32_t lse);
struct ft_dpact act_pop_mpls(uint16_t ethertype);
struct ft_dpact act_push_pbb(uint32_t isid);
struct ft_dpact act_pop_pbb(void);
struct ft_dpact act_clone(uint32_t n);
struct ft_dpact act_recirc(uint32_t id);
struct ft_dpact act_controller(uint16_t max_len, uint8_t reason,
                               uint8_t table_id, uint64_t cookie);
struct ft_dpact act_set_queue(uint32_t queue);
struct ft_dpact act_meter(struct ft_meter *);

/* ---- checksums (independent implementation) ---------------------------- */

/* CRC32c as SCTP uses it (reflected, init and final ~0), bit by bit. */
uint32_t crc32c_bitwise(const uint8_t *data, size_t len);

/* Recomputes the IPv4 header checksum and the TCP/UDP/ICMP/ICMPv6/SCTP
 * checksum of the frame (UDP too, unless 'keep_udp_zero' and it is zero). */
void fill_checksums(uint8_t *data, uint32_t len, bool keep_udp_zero);

/* True if every checksum of the frame is valid (a zero UDP checksum is
 * valid). On failure writes which one to 'why'. Also cross-checks TCP/UDP
 * with DPDK's rte_ipv4/ipv6_udptcp_cksum_verify where they apply. */
bool verify_checksums(const uint8_t *data, uint32_t len, char *why,
                      size_t why_size);

/* Fails the test unless every checksum of the captured packet verifies. */
void assert_checksums(const struct captured *);

/* Value of the L4 checksum field (TCP, UDP, ICMP, ICMPv6; SCTP's CRC as
 * on the wire, 32 bits), or -1 if the frame has none. */
int64_t l4_csum_field(const uint8_t *data, uint32_t len);

#endif
