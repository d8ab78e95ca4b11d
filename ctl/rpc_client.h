/*
 * rpc_client.h — the client side of the unixctl protocol (see unixctl.h):
 * connect to the daemon's socket, send a request, wait for its reply.
 *
 * Used by vswitch-ctl and by tests. Blocking with a deadline; single
 * threaded; one request in flight at a time.
 */
#ifndef VSWITCH_CTL_RPC_CLIENT_H
#define VSWITCH_CTL_RPC_CLIENT_H

#include <stddef.h>
#include <jansson.h>

struct ctl_rpc_client;

/* Connects to 'path'. 'timeout_ms' bounds every later call too (0 = wait
 * forever). On failure writes e.g. "daemon not running at PATH: connection
 * refused" to 'err'. */
int ctl_rpc_connect(const char *path, int timeout_ms,
                    struct ctl_rpc_client **out, char *err, size_t errlen);

/* Sends 'method' with 'params' (an array of strings; reference stolen,
 * NULL = none) and waits for the reply. Returns 0 with *result set (new
 * reference) or -errno with 'err' set: the server's error message for a
 * failed command, or a transport problem. *rpc_code gets the JSON-RPC
 * error code when the server answered with an error (else 0). */
int ctl_rpc_call(struct ctl_rpc_client *, const char *method, json_t *params,
                 json_t **result, int *rpc_code, char *err, size_t errlen);

void ctl_rpc_close(struct ctl_rpc_client *);

#endif
