/*
 * ofctl_client.h — vswitch-ctl's small blocking OpenFlow 1.3 client, the
 * management-tool side of a bridge's "<rundir>/<bridge>.mgmt" listener
 * (what ovs-ofctl is to Open vSwitch).
 *
 * What it is
 * ----------
 * A connection over a unix stream socket: HELLO exchange at open, then
 * requests queued in an output buffer and written in large chunks (so
 * add-flows streams thousands of FLOW_MODs in a few writes), replies read
 * and framed with the codec. Whenever the client waits to write it also
 * reads, so a switch answering errors while we stream can never deadlock
 * against us. ECHO_REQUESTs are answered internally.
 *
 * Errors: every function returns 0 or -errno and leaves a one-line
 * sentence in ofctl_client_error(). OpenFlow ERROR replies are not
 * failures of the transport: they go to the error handler with the xid
 * of the request they answer (callers map it back to the flow text or
 * file line), except for the request ofctl_dump() waits on, which fails
 * with -EPROTO and the error described.
 *
 * Single-threaded (the CLI process).
 */
#ifndef VSWITCH_CTL_OFCTL_CLIENT_H
#define VSWITCH_CTL_OFCTL_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "openflow/openflow.h"

struct ofctl_client;

/* Called for an OFPT_ERROR answering request 'xid'. */
typedef void ofctl_error_fn(void *aux, uint32_t xid,
                            const struct of_error_msg *error);

/* Connects to the unix socket 'path' and exchanges HELLOs; 'timeout_ms'
 * bounds every wait (0: none). */
int ofctl_client_open(const char *path, int timeout_ms,
                      struct ofctl_client **out);
/* The reason of the last failure (after open failed too, until the next
 * open: a static buffer then). */
const char *ofctl_client_error(const struct ofctl_client *);
const char *ofctl_client_open_error(void);
void ofctl_client_close(struct ofctl_client *);

void ofctl_client_set_error_handler(struct ofctl_client *, ofctl_error_fn *,
                                    void *aux);

/* Encodes 'msg' with xid 'xid' into the output buffer (written once it
 * holds enough, or by the next wait). */
int ofctl_client_queue(struct ofctl_client *, struct of_msg *msg,
                       uint32_t xid);

/* Appends already encoded messages (a whole add-flows file) and writes
 * them. */
int ofctl_client_send_raw(struct ofctl_client *, const void *data,
                          size_t len);

/* Sends a BARRIER_REQUEST after everything queued and waits for its
 * reply: every earlier request has then been answered (its errors given
 * to the handler). */
int ofctl_client_barrier(struct ofctl_client *);

/* Called with each part of a multipart reply, in order; the callback
 * owns 'part' (of_msg_uninit it or keep it). 0 to go on, -errno to
 * stop. */
typedef int ofctl_part_fn(void *aux, struct of_msg *part);

/* Sends multipart request 'req' and hands over its reply part by part,
 * as it arrives: large dumps (100k flows) stream with bounded memory. An
 * ERROR for it fails with -EPROTO ("BAD_REQUEST/BAD_TYPE ..."). */
int ofctl_client_dump_parts(struct ofctl_client *, struct of_msg *req,
                            ofctl_part_fn *cb, void *aux);

/* A multipart reply, MORE parts joined into 'msg' (which points into the
 * parts: keep the whole struct until ofctl_reply_free). */
struct ofctl_reply {
    struct of_msg msg;
    struct of_msg *parts;
    size_t n_parts;
};
void ofctl_reply_free(struct ofctl_reply *);

/* Sends multipart request 'req' and collects its whole reply (for small
 * replies: joining costs a copy per part). Errors as above. */
int ofctl_client_dump(struct ofctl_client *, struct of_msg *req,
                      struct ofctl_reply *reply);

/* "TYPE/CODE" names of an error message, e.g.
 * "OFPET_FLOW_MOD_FAILED/OFPFMFC_TABLE_FULL". */
void ofctl_error_describe(const struct of_error_msg *, char *buf,
                          size_t size);

#endif
