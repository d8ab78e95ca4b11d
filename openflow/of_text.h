/*
 * of_text.h — the ovs-ofctl text syntax for flows, groups and meters, and
 * the ovs-ofctl 3.1 rendering of the switch's replies.
 *
 * What it is
 * ----------
 * The parsers turn one line written for `ovs-ofctl -O OpenFlow13`
 * (add-flow, mod-flows, del-flows, dump-flows filters, add-group,
 * add-meter) into the codec's struct of_msg, producing the same OpenFlow
 * 1.3 message ovs-ofctl would send: same OXM fields in the same order,
 * same defaults (table, priority, buffer, out_port/out_group), the same
 * instruction and action encodings, so an operator's flow files work as
 * they are. The formatters print decoded replies (flow stats, groups,
 * meters, tables, ports) byte for byte as ovs-ofctl 3.1 prints them with
 * --no-names (ports by number), so the outputs can be diffed.
 *
 * Syntax references: ovs-ofctl(8) "Flow Syntax", "Group Syntax", "Meter
 * Syntax" and ovs-fields(7). Match fields are accepted under their OVS
 * names (nw_src, dl_vlan, tp_dst...) and their OXM names (ipv4_src,
 * vlan_vid, tcp_dst...); every OpenFlow 1.3 basic field is reachable,
 * including three ovs-ofctl lacks (in_phy_port, pbb_isid, ipv6_exthdr).
 *
 * Where ovs-ofctl would send a Nicira extension the standard form is
 * produced instead, and what has no standard form is refused with a
 * message naming it:
 *  - load:V->F[] (whole field) becomes SET_FIELD (ovs: NXAST_REG_LOAD);
 *    a partial field (F[3..7]) is refused.
 *  - controller(max_len=N,reason=action|no_match) becomes OUTPUT to
 *    CONTROLLER with max_len N (ovs: NXAST_CONTROLLER); the spec has the
 *    switch set the packet-in reason itself (no_match for a table-miss
 *    entry). Other reasons, id=, userdata=, pause are refused.
 *  - output(port=P,max_len=N) to a port other than the controller is
 *    refused: ovs truncates with NXAST_OUTPUT_TRUNC, OpenFlow 1.3 gives
 *    max_len a meaning only towards the controller.
 *  - set_field:V->vlan_vid with V < 0x1000 gets OFPVID_PRESENT added (ovs
 *    sends V as written, which its own decoder then refuses).
 *  - enqueue:P:Q is refused (ovs adds Nicira pop_queue); write
 *    set_queue:Q,output:P.
 *  - Masks on fields OpenFlow 1.3 does not let be masked (tcp/udp/sctp
 *    ports, nd_target...) are refused, unless the codec declares the field
 *    maskable (of_oxm_field_maskable()); ovs sends them masked anyway.
 *  - Match fields without an OXM form (nw_ttl, ip_frag, tcp_flags, ct_*,
 *    registers, tunnel addresses...) and OpenFlow 1.4+ options
 *    (importance, OpenFlow 1.5 group fields) are refused; so are values
 *    too wide for their field (ovs silently truncates dl_vlan=4096 to 0).
 *  - Port numbers are 32-bit (ovs-ofctl stops at 0xffff); 0xfff8..0xffff
 *    still read as OpenFlow 1.0's reserved ports, as in ovs-ofctl.
 *  - copy_ttl_in/out, push_pbb/pop_pbb (OpenFlow 1.3 actions ovs-ofctl
 *    does not know) are accepted and printed under those names.
 *
 * Match normalisation follows ovs-ofctl: a field whose protocol is not
 * matched (nw_src without "ip", tp_dst without "tcp"...) is dropped, not
 * refused, and the parser reports it as a note (see "Errors and notes"),
 * what ovs-ofctl logs in that case. (Where normalisation leaves a match
 * empty ovs-ofctl also puts an OpenFlow 1.5 packet_type field on the wire;
 * the message here carries the empty match.) Actions are checked against
 * what the match says of the packet, as ovs-ofctl does (set_field:...->
 * ip_src needs "ip"); group buckets have no match and are not checked.
 *
 * Errors and notes
 * ----------------
 * Every parser returns 0 or a negative errno (-EINVAL for bad text,
 * -ENOMEM) and writes a one-line, NUL-terminated message into
 * err[0..err_size) naming the problem and the offending token, e.g.
 *     unknown field "nw_sorc"
 *     tcp_dst: OpenFlow 1.3 cannot mask this field
 *     "drop" must not be accompanied by any other action or instruction
 * On success err holds "" or a note (a match field normalisation dropped);
 * callers may print a note as a warning. OF_TEXT_ERR_LEN bytes hold any
 * message (one quoting a very long token is cut, still terminated). err
 * may be NULL when err_size is 0.
 *
 * Messages
 * --------
 * A parsed message is built in 'msg's arena (of_msg_alloc): the caller
 * calls of_msg_uninit(msg) when done, on success and on failure alike;
 * 'msg' need not be initialised before. xid is 0; set it before encoding.
 *
 * Output
 * ------
 * Formatters append text to an of_buf and keep it NUL-terminated
 * (out->data[out->len] == '\0'), so out->data is a C string. They return
 * 0 or -ENOMEM (out then holds a truncated but terminated text).
 *
 * Threads
 * -------
 * Pure: no globals written, no I/O. Any thread, on its own objects.
 */
#ifndef VSWITCH_OPENFLOW_OF_TEXT_H
#define VSWITCH_OPENFLOW_OF_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "openflow/openflow.h"

/* An error or note never needs more than this (longer ones are cut). */
#define OF_TEXT_ERR_LEN 256

/* ------------------------------------------------------------------------
 * Parsing.
 * ---------------------------------------------------------------------- */

/* One flow (ovs-ofctl add-flow/mod-flows/del-flows argument) into an
 * OFPT_FLOW_MOD. 'command' is the wire OFPFC_* (FT_OFPFC_ADD ...
 * FT_OFPFC_DELETE_STRICT in flowtable/ft_ofp.h). As ovs-ofctl:
 *  - ADD: table defaults to 0; "actions=" is required; a cookie mask is
 *    refused; out_port/out_group are refused.
 *  - MODIFY(_STRICT): table defaults to 0; "actions=" is required;
 *    out_port/out_group are refused;
 *    cookie=V/M selects flows by cookie, a plain cookie=V is ignored
 *    (OpenFlow 1.3 cannot change a flow's cookie on modify).
 *  - DELETE(_STRICT): table defaults to all (255); "actions=" is refused;
 *    cookie needs a mask (cookie=V/M); out_port= and out_group= filter.
 * priority defaults to 32768 for every command. The dump-flows fields
 * duration=, n_packets=, n_bytes=, idle_age=, hard_age= are accepted and
 * ignored, so a dump-flows line can be fed back. */
int of_text_parse_flow_mod(const char *text, uint8_t command,
                           struct of_msg *msg, char *err, size_t err_size);

/* A dump-flows / dump-aggregate filter into an OFPT_MULTIPART_REQUEST of
 * type 'mp_type' (OFPMP_FLOW or OFPMP_AGGREGATE): match fields, table=
 * (default all), cookie=V/M, out_port=, out_group=. priority and actions
 * are refused, as ovs-ofctl does. An empty text selects every flow. */
int of_text_parse_flow_stats_request(const char *text, uint16_t mp_type,
                                     struct of_msg *msg,
                                     char *err, size_t err_size);

/* One group (add-group/mod-group/del-groups argument) into an
 * OFPT_GROUP_MOD; 'command' is the wire OFPGC_* (FT_OFPGC_*). Syntax:
 *   group_id=N,type=all|select|indirect|ff|fast_failover,
 *   bucket=[bucket_id:N,][weight:N,][watch_port:P,][watch_group:G,]
 *          [actions=]ACTION...[,bucket=...]
 * ADD/MODIFY need group_id (a regular one) and type. A bucket's weight
 * defaults to 1 in select groups and 0 elsewhere (only select groups may
 * weigh buckets); watch_port/watch_group default to ANY and
 * fast-failover buckets need one; an indirect group has at most one
 * bucket; bucket_id is accepted and ignored (OpenFlow 1.5). DELETE takes
 * no buckets and defaults to group_id=all. */
int of_text_parse_group_mod(const char *text, uint16_t command,
                            struct of_msg *msg, char *err, size_t err_size);

/* One meter (add-meter/mod-meter/del-meters argument) into an
 * OFPT_METER_MOD; 'command' is the wire OFPMC_* (FT_OFPMC_*). Syntax:
 *   meter=N|all,[kbps|pktps,][burst,][stats,]
 *   bands=type=drop,rate=R[,burst_size=B]
 *         [type=dscp_remark,rate=R[,burst_size=B],prec_level=P]...
 * ("band=" is accepted too). ADD/MODIFY need exactly one of kbps and
 * pktps and at least one band with a nonzero rate; with "burst" every band
 * needs a nonzero burst_size, without it none may have one; dscp_remark
 * needs prec_level. DELETE takes only meter= (default all). */
int of_text_parse_meter_mod(const char *text, uint16_t command,
                            struct of_msg *msg, char *err, size_t err_size);

/* A match alone ("tcp,nw_dst=10.0.0.0/8,tp_dst=80"), as a flow's match
 * part: fields in ovs-ofctl's wire order, normalised. */
int of_text_parse_match(const char *text, struct of_match *match,
                        char *err, size_t err_size);

/* What one line of a file holds. */
enum of_text_kind {
    OF_TEXT_FLOW,                   /* of_text_parse_flow_mod() */
    OF_TEXT_GROUP,                  /* of_text_parse_group_mod() */
    OF_TEXT_METER,                  /* of_text_parse_meter_mod() */
};

/* Called once per parsed line with its message (freed after the call
 * returns: copy or encode it), the 1-based line number and the parser's
 * note ("" if none). A nonzero return stops the walk and is returned. */
typedef int of_text_line_cb(struct of_msg *msg, unsigned int line,
                            const char *note, void *aux);

/* The lines of a file (ovs-ofctl add-flows/add-groups/add-meters FILE):
 * each line is parsed with the parser of 'kind' and 'command'. As
 * ovs-ofctl reads files: '#' starts a comment running to the end of the
 * line, blank lines are skipped, and in a flow file a line may start with
 * the command it is for ("add", "modify", "modify_strict", "delete",
 * "delete_strict"), overriding 'command'. Stops at the first bad line
 * with -EINVAL and an error "line N: <message>"; a callback's nonzero
 * return stops the walk too (err is then ""). 0 once every line was
 * handed over. */
int of_text_parse_lines(const char *text, enum of_text_kind kind,
                        uint16_t command, of_text_line_cb *cb, void *aux,
                        char *err, size_t err_size);

/* ------------------------------------------------------------------------
 * Formatting (ovs-ofctl 3.1, --no-names).
 * ---------------------------------------------------------------------- */

/* A match as ovs-ofctl prints it, "priority=N," first when 'priority' is
 * not the default 32768 (pass 32768 to leave it out); empty for a match
 * of everything. */
int of_text_format_match(const struct of_match *match, uint16_t priority,
                         struct of_buf *out);

/* An action list as inside "actions=" ("drop" when empty). */
int of_text_format_actions(const struct of_action_list *actions,
                           struct of_buf *out);

/* A flow's instructions as after "actions=" (meter:, the apply actions,
 * clear_actions, write_actions(...), write_metadata:, goto_table:). */
int of_text_format_instructions(const struct of_instruction_list *insts,
                                struct of_buf *out);

/* One dump-flows line, newline-terminated:
 *  " cookie=0x0, duration=1.5s, table=0, n_packets=0, n_bytes=0, ..." */
int of_text_format_flow_stats(const struct of_flow_stats *fs,
                              struct of_buf *out);

/* A decoded reply as the ovs-ofctl command that asked for it prints it:
 *   OFPMP_FLOW          dump-flows
 *   OFPMP_AGGREGATE     dump-aggregate
 *   OFPMP_TABLE         dump-tables
 *   OFPMP_PORT_STATS    dump-ports
 *   OFPMP_PORT_DESC     dump-ports-desc
 *   OFPMP_GROUP_DESC    dump-groups
 *   OFPMP_GROUP         dump-group-stats
 *   OFPMP_METER_CONFIG  dump-meters
 *   OFPMP_METER         meter-stats
 * including the "OFPST_... reply (OF1.3) (xid=0x..):" heading these
 * commands print when their output is not a terminal (the --no-names
 * case; at a terminal ovs-ofctl dump-flows shows port names and no
 * heading). 'msg' is one OFPT_MULTIPART_REPLY: ovs-ofctl prints a
 * heading per part of a MORE sequence, so format each part to match it
 * (a joined reply prints under one heading). Ports are listed in port
 * number order, equal successive table rows as "ditto", as ovs-ofctl
 * does. -EINVAL for another message or multipart type. */
int of_text_format_reply(const struct of_msg *msg, struct of_buf *out);

/* The pieces of the replies above, for callers that build their own
 * output. Each prints the entry's lines, newline-terminated. */
int of_text_format_group_desc(const struct of_group_desc *gd,
                              struct of_buf *out);
int of_text_format_group_stats(const struct of_group_stats *gs,
                               struct of_buf *out);
int of_text_format_meter_config(const struct of_meter_config *mc,
                                struct of_buf *out);
int of_text_format_meter_stats(const struct of_meter_stats *ms,
                               struct of_buf *out);
int of_text_format_table_stats(const struct of_table_stats *ts,
                               struct of_buf *out);
int of_text_format_port_stats(const struct of_port_stats *ps,
                              struct of_buf *out);
int of_text_format_port_desc(const struct of_port *port,
                             struct of_buf *out);

/* A port number as ovs-ofctl prints it: "5", "LOCAL", "CONTROLLER"... */
int of_text_format_port(uint32_t port, struct of_buf *out);

#endif
