/*
 * of_text_private.h — what the of_text*.c files share and nothing else
 * sees: the error sink, the text output sink, the ovs-ofctl key-value
 * lexer, scalar parsers (numbers, ports, addresses), and the entry points
 * one file offers the others (match, actions).
 *
 * File map:
 *   of_text.c          lexer, scalars, output sink, ports, file lines
 *   of_text_match.c    match fields: parse, normalise, OXM order, format;
 *                      set-field names and values
 *   of_text_actions.c  actions and instructions: parse, check, format
 *   of_text_flow.c     FLOW_MOD / flow-stats request; flow, table, port
 *                      dumps; the reply dispatcher
 *   of_text_group.c    groups and meters: parse and format
 *
 * Pure; any thread.
 */
#ifndef VSWITCH_OPENFLOW_OF_TEXT_PRIVATE_H
#define VSWITCH_OPENFLOW_OF_TEXT_PRIVATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "flowtable/ft_match.h"
#include "openflow/of_text.h"
#include "openflow/openflow.h"

/* ---- errors ---- */

/* Where a parser writes its message. 'buf' may be NULL (size 0). */
struct tx_err {
    char *buf;
    size_t size;
};

/* Writes the message and returns -EINVAL, so "return tx_fail(...)" reads
 * as what it does. */
int tx_fail(struct tx_err *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Prefixes the message already in 'e' with "<fmt>: ". */
void tx_prefix(struct tx_err *e, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ---- text output ---- */

/* Appends to an of_buf, keeping it NUL-terminated; the first allocation
 * failure sticks in 'error' and later appends are dropped. */
struct tx_out {
    struct of_buf *buf;
    int error;
};

void tx_out_init(struct tx_out *o, struct of_buf *buf);
void tx_put(struct tx_out *o, const char *s);
void tx_putc(struct tx_out *o, char c);
void tx_printf(struct tx_out *o, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The last character written, or '\0' for an empty buffer. */
char tx_last(const struct tx_out *o);
/* Drops a trailing 'c' if present. */
void tx_chomp(struct tx_out *o, char c);

/* ---- lexer ---- */

/* The next "key", "key=value", "key:value" or "key(value)" of a
 * comma/space-separated list, as ovs-ofctl splits its arguments:
 * separators are skipped, the key ends at one of ":=(, \t\r\n", a value
 * after ':' or '=' ends at a separator outside parentheses, a value after
 * '(' at the matching ')' (and "(x)->y" keeps its "->y"). Writes NULs into
 * the string. *value is "" for a bare key. False at the end. */
bool tx_next_kv(char **pos, char **key, char **value);

/* Copies 'text' into a new NUL-terminated heap string (NULL on ENOMEM). */
char *tx_strdup(const char *text);

/* ---- scalar parsers: 0 or tx_fail() with a message naming 'what' ---- */

/* Unsigned integer, C syntax (decimal, 0x hex, leading 0 octal) as
 * strtoull base 0, at most 'max'. */
int tx_parse_uint(const char *s, uint64_t max, const char *what,
                  uint64_t *out, struct tx_err *e);
int tx_parse_u8(const char *s, const char *what, uint8_t *out,
                struct tx_err *e);
int tx_parse_u16(const char *s, const char *what, uint16_t *out,
                 struct tx_err *e);
int tx_parse_u32(const char *s, const char *what, uint32_t *out,
                 struct tx_err *e);
/* Parses a 64-bit value where "-1" is accepted as all-ones (cookies). */
int tx_parse_u64(const char *s, const char *what, uint64_t *out,
                 struct tx_err *e);

/* An OpenFlow port: a number (0..0xfffffeff, or the 0xfffffff8+ reserved
 * values; OpenFlow 1.0's 0xfff8..0xffff map to their 1.3 values as in
 * ovs-ofctl) or a reserved name, case-insensitively: IN_PORT, TABLE,
 * NORMAL, FLOOD, ALL, CONTROLLER, LOCAL, ANY (or NONE). */
int tx_parse_port(const char *s, const char *what, uint32_t *port,
                  struct tx_err *e);
/* A group number or "ALL"/"ANY". */
int tx_parse_group(const char *s, const char *what, uint32_t *group,
                   struct tx_err *e);

/* "aa:bb:cc:dd:ee:ff" (one or two hex digits per byte). */
bool tx_parse_mac(const char *s, uint8_t mac[6]);
/* Dotted quad, network order bytes. */
bool tx_parse_ipv4(const char *s, uint8_t ip[4]);
/* inet_pton(AF_INET6). */
bool tx_parse_ipv6(const char *s, uint8_t ip[16]);

/* Reserved port name for formatting ("LOCAL"), or NULL for a number. */
const char *tx_port_name(uint32_t port);
void tx_format_port(struct tx_out *o, uint32_t port);

/* Case-insensitive string equality. */
bool tx_eq(const char *a, const char *b);

/* ---- match (of_text_match.c) ---- */

/* Match under construction: the OVS-style key and mask (ft conventions,
 * see flowtable/ft_key.h), as ovs-ofctl's struct match. */
struct tx_match {
    struct ft_match ft;
    uint64_t seen;                  /* text field ids seen, for duplicates */
    bool in_phy_port;               /* the fields ovs has no place for */
    bool pbb_isid;
    bool ipv6_exthdr;
};

void tx_match_init(struct tx_match *m);

/* Tries 'key'='value' as a match field or protocol shorthand. Returns 1
 * when consumed, 0 when 'key' is no match keyword (the caller tries its
 * own), or tx_fail()'s -EINVAL. */
int tx_match_parse_kv(struct tx_match *m, const char *key, const char *value,
                      struct tx_err *e);

/* Normalises as ovs-ofctl (drops fields whose protocol is not matched,
 * writing a note into 'note' if any was dropped) and builds the OXM form
 * in ovs-ofctl's wire order. 0 or -EINVAL (a mask OpenFlow 1.3 cannot
 * carry). */
int tx_match_finish(struct tx_match *m, struct of_match *out,
                    struct tx_err *note, struct tx_err *e);

/* Formats the match of an ft_match as ovs-ofctl's match_format(). */
void tx_format_match(struct tx_out *o, const struct ft_match *ft,
                     uint16_t priority);

/* Names for formatting set_field destinations: OVS names where ovs-ofctl
 * prints them ("eth_src", "ip_dscp", "tcp_src"...), OXM names otherwise. */
const char *tx_set_field_name(uint8_t oxm_field);
/* Formats a SET_FIELD value the way ovs-ofctl prints it for that field. */
void tx_format_field_value(struct tx_out *o, uint8_t oxm_field,
                           const uint8_t *value);
/* Parses a value for OXM field 'field' into wire form (set_field, load).
 * Accepts the field's natural syntax (MAC, IP, number). */
int tx_parse_field_value(uint8_t field, const char *s, uint8_t *wire,
                         struct tx_err *e);
/* Value width in bits of OXM field 'field' (VLAN_VID: 13). */
unsigned int tx_field_bits(uint8_t field);
/* The OXM field named 'name' for set_field/load destinations: OXM names,
 * OVS names and NXM_OF_/OXM_OF_ names; -1 if none. */
int tx_field_by_name(const char *name);

/* ---- actions (of_text_actions.c) ---- */

/* What the actions may assume about the packet, from the match, as the
 * actions change it (pushes, pops): set-field prerequisites, mod_tp_*'s
 * protocol, mod_vlan_vid's implicit push. */
struct tx_flow_ctx {
    uint16_t dl_type;               /* 0 if not matched */
    uint8_t nw_proto;               /* 0 if not matched */
    bool vlan;                      /* a VLAN tag is known present */
    uint16_t icmp_type;             /* ICMPv6 type for ND fields, or 0xffff */
    bool unknown;                   /* nothing is known (group buckets):
                                     * prerequisites are not checked */
};

void tx_flow_ctx_from_match(struct tx_flow_ctx *ctx, const struct ft_match *m);

/* Parses an ovs-ofctl action string (what follows "actions=") into
 * instructions allocated in 'msg's arena. */
int tx_parse_instructions(char *text, const struct tx_flow_ctx *ctx,
                          struct of_msg *msg, struct of_instruction_list *out,
                          struct tx_err *e);
/* Parses an action list (group buckets): no instructions allowed. */
int tx_parse_action_list(char *text, const struct tx_flow_ctx *ctx,
                         struct of_msg *msg, struct of_action_list *out,
                         struct tx_err *e);

void tx_format_actions(struct tx_out *o, const struct of_action_list *acts);
void tx_format_instructions(struct tx_out *o,
                            const struct of_instruction_list *insts);

/* ---- groups and meters (of_text_group.c) ---- */

void tx_format_group_desc(struct tx_out *o, const struct of_group_desc *gd);
void tx_format_group_stats(struct tx_out *o, const struct of_group_stats *gs);
void tx_format_meter_config(struct tx_out *o, const struct of_meter_config *mc);
void tx_format_meter_stats(struct tx_out *o, const struct of_meter_stats *ms);

/* ---- numbers ---- */

/* Prints seconds + nanoseconds the way ovs-ofctl prints durations. */
void tx_format_duration(struct tx_out *o, uint32_t sec, uint32_t nsec);

#endif
