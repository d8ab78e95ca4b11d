/*
 * unixctl.h — the daemon's control interface: JSON-RPC 2.0 over a unix
 * stream socket, one compact JSON object per line.
 *
 *   request: {"jsonrpc":"2.0","method":"add-br","params":["br0"],"id":1}
 *   reply:   {"jsonrpc":"2.0","result":...,"id":1}
 *        or  {"jsonrpc":"2.0","error":{"code":-32000,"message":"..."},"id":1}
 *
 * The server is non-blocking and owns a private epoll set holding its
 * listener and every client; the daemon's event loop adds that one fd
 * (ctl_unixctl_fd()) to its own epoll and calls ctl_unixctl_run() when it
 * is readable. A request larger than CTL_RPC_MAX_REQUEST, bad JSON, an
 * unknown method or a wrong argument count yields a JSON-RPC error, never
 * a crash. Handlers run synchronously on the main thread and must not block
 * for long.
 *
 * The line framer and the request dispatcher are exposed separately so the
 * framing can be tested without sockets.
 *
 * Threads: everything here is main-thread only.
 */
#ifndef VSWITCH_CTL_UNIXCTL_H
#define VSWITCH_CTL_UNIXCTL_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>

/* A request line may carry a jumbo frame in hex (2 x 9216 bytes) with room
 * to spare; anything bigger is a confused or hostile client. */
#define CTL_RPC_MAX_REQUEST (1024 * 1024)
#define CTL_ERR_LEN 512

/* JSON-RPC 2.0 error codes. */
#define CTL_RPC_PARSE_ERROR      (-32700)
#define CTL_RPC_INVALID_REQUEST  (-32600)
#define CTL_RPC_METHOD_NOT_FOUND (-32601)
#define CTL_RPC_INVALID_PARAMS   (-32602)
#define CTL_RPC_COMMAND_FAILED   (-32000)   /* the command ran and failed */

/* ---- line framing ------------------------------------------------------- */

/* Accumulates bytes read from a stream and cuts them into lines. */
struct ctl_line_framer {
    char *buf;
    size_t len;         /* bytes held */
    size_t cap;         /* allocated */
    size_t tail;        /* bytes after the last newline (the open line) */
    size_t max_line;    /* longest line accepted, without the newline */
    bool overflow;      /* a line exceeded max_line; the stream is unusable */
};

void ctl_line_framer_init(struct ctl_line_framer *, size_t max_line);
void ctl_line_framer_destroy(struct ctl_line_framer *);
/* Appends bytes. Returns 0, or -EMSGSIZE once the pending (unterminated)
 * data exceeds max_line. */
int ctl_line_framer_feed(struct ctl_line_framer *, const void *data,
                         size_t len);
/* Pops the next complete line into a malloc'd NUL-terminated string
 * (newline stripped, trailing '\r' stripped). Returns 1 with *line set,
 * 0 when no complete line is buffered. */
int ctl_line_framer_next(struct ctl_line_framer *, char **line);

/* ---- commands ----------------------------------------------------------- */

/* A command handler. 'argv' holds the request's params (all strings).
 * On success returns 0 and sets *result (NULL means JSON null is sent);
 * on failure returns -errno and writes a human sentence to 'err'. */
typedef int ctl_command_fn(int argc, const char *const argv[], void *aux,
                           json_t **result, char *err, size_t errlen);

/* Registers 'name' for the whole process. 'usage' is the argument synopsis
 * shown in errors ("BR PORT [KEY=VALUE]..."). max_args < 0 = unbounded. */
void ctl_command_register(const char *name, const char *usage, int min_args,
                          int max_args, ctl_command_fn *, void *aux);
/* Drops every registered command (tests, shutdown). */
void ctl_command_unregister_all(void);

/* Handles one request line and returns the reply line (malloc'd, compact
 * JSON with no newline), or NULL for a notification (request without id
 * that parsed correctly). */
char *ctl_rpc_handle_line(const char *line);

/* ---- server ------------------------------------------------------------- */

struct ctl_unixctl;

/* Listens on 'path' (mode 0660), replacing a stale socket file. */
int ctl_unixctl_create(const char *path, struct ctl_unixctl **out,
                       char *err, size_t errlen);
/* The fd to watch for readability (an epoll set). */
int ctl_unixctl_fd(const struct ctl_unixctl *);
/* Accepts, reads, dispatches and writes whatever is ready; never blocks. */
void ctl_unixctl_run(struct ctl_unixctl *);
/* Number of connected clients (tests). */
size_t ctl_unixctl_n_clients(const struct ctl_unixctl *);
/* Flushes pending replies (briefly blocking), closes everything and
 * removes the socket file. */
void ctl_unixctl_destroy(struct ctl_unixctl *);

#endif
