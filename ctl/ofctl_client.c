/*
 * ofctl_client.c — blocking OpenFlow client for vswitch-ctl (see
 * ofctl_client.h). The socket is non-blocking underneath so writes and
 * reads interleave in one poll() loop; every wait is bounded by the
 * client's timeout.
 */
#include "ctl/ofctl_client.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* The output buffer is written once it holds this much: large writes
 * keep add-flows at a few syscalls per thousand flows. */
#define TX_FLUSH_BYTES (256 * 1024)
#define RX_CHUNK 65536

struct ofctl_client {
    int fd;
    int timeout_ms;
    struct of_buf tx;
    size_t tx_off;              /* bytes of tx already written */
    uint8_t *rx;
    size_t rx_len, rx_cap;
    uint32_t barrier_xid;
    ofctl_error_fn *on_error;
    void *error_aux;
    char err[256];
};

static char open_err[256];

static int set_err(struct ofctl_client *c, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
set_err(struct ofctl_client *c, int rc, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    vsnprintf(c ? c->err : open_err, c ? sizeof c->err : sizeof open_err,
              fmt, args);
    va_end(args);
    return rc;
}

static int64_t
now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *
ofctl_client_error(const struct ofctl_client *c)
{
    return c->err;
}

const char *
ofctl_client_open_error(void)
{
    return open_err;
}

void
ofctl_client_set_error_handler(struct ofctl_client *c, ofctl_error_fn *fn,
                               void *aux)
{
    c->on_error = fn;
    c->error_aux = aux;
}

void
ofctl_error_describe(const struct of_error_msg *e, char *buf, size_t size)
{
    const char *type = of_error_type_name(e->type);
    const char *code = of_error_code_name(e->type, e->code);
    char tbuf[16], cbuf[16];
    if (!type) {
        snprintf(tbuf, sizeof tbuf, "type %u", e->type);
        type = tbuf;
    }
    if (!code) {
        snprintf(cbuf, sizeof cbuf, "code %u", e->code);
        code = cbuf;
    }
    snprintf(buf, size, "%s/%s", type, code);
}

/* ---- I/O ---------------------------------------------------------------- */

/* Reads what is available into rx. 0, -EAGAIN when nothing was there,
 * -EPIPE at end of stream, -errno. */
static int
read_some(struct ofctl_client *c)
{
    if (c->rx_cap - c->rx_len < RX_CHUNK) {
        size_t cap = c->rx_cap ? c->rx_cap * 2 : 2 * RX_CHUNK;
        uint8_t *p = realloc(c->rx, cap);
        if (!p) {
            return set_err(c, -ENOMEM, "out of memory");
        }
        c->rx = p;
        c->rx_cap = cap;
    }
    ssize_t n = read(c->fd, c->rx + c->rx_len, c->rx_cap - c->rx_len);
    if (n > 0) {
        c->rx_len += (size_t) n;
        return 0;
    }
    if (n == 0) {
        return set_err(c, -EPIPE, "the switch closed the connection");
    }
    if (errno == EAGAIN || errno == EINTR) {
        return -EAGAIN;
    }
    return set_err(c, -errno, "read: %s", strerror(errno));
}

/* Pops one framed message from rx into 'msg' (decoded). 1, 0 if none is
 * complete, -errno. */
static int
pop_msg(struct ofctl_client *c, struct of_msg *msg)
{
    size_t len = of_msg_peek_len(c->rx, c->rx_len);
    if (!len || len > c->rx_len) {
        if (len && len < OFP_HEADER_LEN) {
            return set_err(c, -EBADMSG, "bad message length from the "
                           "switch");
        }
        return 0;
    }
    struct of_err oferr;
    int rc = of_msg_decode(c->rx, len, msg, &oferr);
    memmove(c->rx, c->rx + len, c->rx_len - len);
    c->rx_len -= len;
    if (rc) {
        of_msg_uninit(msg);
        return set_err(c, rc, "undecodable message from the switch (%s)",
                       strerror(-rc));
    }
    return 1;
}

static int queue_msg(struct ofctl_client *, struct of_msg *, uint32_t xid);

/* Handles what needs no caller: echo requests. True if consumed. */
static bool
handle_internal(struct ofctl_client *c, struct of_msg *msg)
{
    if (msg->type == OFPT_ECHO_REQUEST) {
        struct of_msg reply;
        of_msg_init(&reply, OFPT_ECHO_REPLY, msg->xid);
        reply.echo.data = msg->echo.data;
        queue_msg(c, &reply, msg->xid);
        return true;
    }
    return false;
}

/* Waits until the fd is ready for 'events' (or readable). */
static int
wait_fd(struct ofctl_client *c, short events, int64_t deadline)
{
    int timeout = -1;
    if (deadline) {
        int64_t left = deadline - now_ms();
        if (left <= 0) {
            return set_err(c, -ETIMEDOUT, "timed out waiting for the "
                           "switch");
        }
        timeout = (int) left;
    }
    struct pollfd pfd = { .fd = c->fd, .events = events | POLLIN };
    int n = poll(&pfd, 1, timeout);
    if (n < 0 && errno != EINTR) {
        return set_err(c, -errno, "poll: %s", strerror(errno));
    }
    if (n == 0) {
        return set_err(c, -ETIMEDOUT, "timed out waiting for the switch");
    }
    return 0;
}

static int64_t
deadline_of(const struct ofctl_client *c)
{
    return c->timeout_ms ? now_ms() + c->timeout_ms : 0;
}

/* Gives errors read while writing to the handler; anything else unasked
 * for is dropped (a management connection gets no async messages). */
static int
drain_incoming(struct ofctl_client *c)
{
    for (;;) {
        int rc = read_some(c);
        if (rc == -EAGAIN) {
            break;
        }
        if (rc) {
            return rc;
        }
    }
    for (;;) {
        struct of_msg msg;
        int got = pop_msg(c, &msg);
        if (got <= 0) {
            return got;
        }
        if (!handle_internal(c, &msg) && msg.type == OFPT_ERROR
            && c->on_error) {
            c->on_error(c->error_aux, msg.xid, &msg.error);
        }
        of_msg_uninit(&msg);
    }
}

/* Writes the whole output buffer, reading meanwhile; the buffer is left
 * as it is (see flush()). */
static int
flush_keep(struct ofctl_client *c)
{
    int64_t deadline = deadline_of(c);
    while (c->tx_off < c->tx.len) {
        ssize_t n = send(c->fd, c->tx.data + c->tx_off, c->tx.len - c->tx_off,
                         MSG_NOSIGNAL);
        if (n > 0) {
            c->tx_off += (size_t) n;
            deadline = deadline_of(c);
            continue;
        }
        if (n < 0 && errno != EAGAIN && errno != EINTR) {
            return set_err(c, -errno, "write: %s", strerror(errno));
        }
        int rc = wait_fd(c, POLLOUT, deadline);
        if (!rc) {
            rc = drain_incoming(c);
        }
        if (rc) {
            return rc;
        }
    }
    return 0;
}

static int
flush(struct ofctl_client *c)
{
    int rc = flush_keep(c);
    if (!rc) {
        of_buf_clear(&c->tx);
        c->tx_off = 0;
    }
    return rc;
}

static int
queue_msg(struct ofctl_client *c, struct of_msg *msg, uint32_t xid)
{
    msg->xid = xid;
    int rc = of_msg_encode(msg, &c->tx);
    if (rc) {
        return set_err(c, rc, "cannot encode %s: %s",
                       of_msg_type_name(msg->type), strerror(-rc));
    }
    return 0;
}

int
ofctl_client_queue(struct ofctl_client *c, struct of_msg *msg, uint32_t xid)
{
    int rc = queue_msg(c, msg, xid);
    if (!rc && c->tx.len - c->tx_off >= TX_FLUSH_BYTES) {
        rc = flush(c);
    }
    return rc;
}

int
ofctl_client_send_raw(struct ofctl_client *c, const void *data, size_t len)
{
    if (c->tx.cap - c->tx.len < len) {
        size_t cap = c->tx.len + len;
        uint8_t *p = realloc(c->tx.data, cap);
        if (!p) {
            return set_err(c, -ENOMEM, "out of memory");
        }
        c->tx.data = p;
        c->tx.cap = cap;
    }
    memcpy(c->tx.data + c->tx.len, data, len);
    c->tx.len += len;
    return flush(c);
}

/* Reads the next message the caller must see (echoes answered). */
static int
recv_msg(struct ofctl_client *c, struct of_msg *msg)
{
    int64_t deadline = deadline_of(c);
    for (;;) {
        int got = pop_msg(c, msg);
        if (got < 0) {
            return got;
        }
        if (got) {
            if (!handle_internal(c, msg)) {
                return 0;
            }
            of_msg_uninit(msg);
            int rc = flush(c);
            if (rc) {
                return rc;
            }
            continue;
        }
        int rc = read_some(c);
        if (rc == -EAGAIN) {
            rc = wait_fd(c, 0, deadline);
        }
        if (rc) {
            return rc;
        }
    }
}

/* ---- connection ----------------------------------------------------------- */

int
ofctl_client_open(const char *path, int timeout_ms, struct ofctl_client **out)
{
    *out = NULL;
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof sun.sun_path) {
        return set_err(NULL, -ENAMETOOLONG, "socket path %s is too long",
                       path);
    }
    strcpy(sun.sun_path, path);
    struct ofctl_client *c = calloc(1, sizeof *c);
    if (!c) {
        return set_err(NULL, -ENOMEM, "out of memory");
    }
    c->timeout_ms = timeout_ms;
    of_buf_init(&c->tx);
    c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c->fd < 0 || connect(c->fd, (struct sockaddr *) &sun, sizeof sun)) {
        int e = errno;
        ofctl_client_close(c);
        return set_err(NULL, -e, "cannot connect to %s: %s", path,
                       strerror(e));
    }
    fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);

    struct of_msg hello;
    of_msg_init(&hello, OFPT_HELLO, 0);
    int rc = queue_msg(c, &hello, 1);
    if (!rc) {
        rc = flush(c);
    }
    struct of_msg reply;
    if (!rc) {
        rc = recv_msg(c, &reply);
        if (!rc) {
            if (reply.type == OFPT_ERROR) {
                char why[128];
                ofctl_error_describe(&reply.error, why, sizeof why);
                rc = set_err(c, -EPROTO, "the switch refused the "
                             "connection: %s", why);
            } else if (reply.type != OFPT_HELLO) {
                rc = set_err(c, -EPROTO, "expected HELLO, got %s",
                             of_msg_type_name(reply.type));
            }
            of_msg_uninit(&reply);
        }
    }
    if (rc) {
        set_err(NULL, rc, "%s: %s", path, c->err);
        ofctl_client_close(c);
        return rc;
    }
    c->barrier_xid = 2;         /* as ovs-ofctl: its first request is 0x2 */
    *out = c;
    return 0;
}

void
ofctl_client_close(struct ofctl_client *c)
{
    if (!c) {
        return;
    }
    if (c->fd >= 0) {
        close(c->fd);
    }
    of_buf_uninit(&c->tx);
    free(c->rx);
    free(c);
}

/* ---- requests -------------------------------------------------------------- */

int
ofctl_client_barrier(struct ofctl_client *c)
{
    struct of_msg msg;
    of_msg_init(&msg, OFPT_BARRIER_REQUEST, 0);
    uint32_t xid = c->barrier_xid++;
    int rc = queue_msg(c, &msg, xid);
    if (!rc) {
        rc = flush(c);
    }
    while (!rc) {
        struct of_msg reply;
        rc = recv_msg(c, &reply);
        if (rc) {
            break;
        }
        bool done = reply.type == OFPT_BARRIER_REPLY && reply.xid == xid;
        if (reply.type == OFPT_ERROR && c->on_error) {
            c->on_error(c->error_aux, reply.xid, &reply.error);
        }
        of_msg_uninit(&reply);
        if (done) {
            break;
        }
    }
    return rc;
}

void
ofctl_reply_free(struct ofctl_reply *r)
{
    for (size_t i = 0; i < r->n_parts; i++) {
        of_msg_uninit(&r->parts[i]);
    }
    free(r->parts);
    of_msg_uninit(&r->msg);
    memset(r, 0, sizeof *r);
}

int
ofctl_client_dump_parts(struct ofctl_client *c, struct of_msg *req,
                        ofctl_part_fn *cb, void *aux)
{
    uint32_t xid = c->barrier_xid++;
    int rc = queue_msg(c, req, xid);
    if (!rc) {
        rc = flush(c);
    }
    while (!rc) {
        struct of_msg part;
        rc = recv_msg(c, &part);
        if (rc) {
            break;
        }
        if (part.xid != xid) {
            if (part.type == OFPT_ERROR && c->on_error) {
                c->on_error(c->error_aux, part.xid, &part.error);
            }
            of_msg_uninit(&part);
            continue;
        }
        if (part.type == OFPT_ERROR) {
            char why[128];
            ofctl_error_describe(&part.error, why, sizeof why);
            of_msg_uninit(&part);
            rc = set_err(c, -EPROTO, "the switch refused the %s request: "
                         "%s", of_multipart_type_name(req->multipart.type),
                         why);
            break;
        }
        if (part.type != OFPT_MULTIPART_REPLY
            || part.multipart.type != req->multipart.type) {
            of_msg_uninit(&part);
            rc = set_err(c, -EPROTO, "unexpected reply to the %s request",
                         of_multipart_type_name(req->multipart.type));
            break;
        }
        bool more = part.multipart.flags & OFPMPF_REPLY_MORE;
        rc = cb(aux, &part);
        if (rc) {
            set_err(c, rc, "cannot process the %s reply: %s",
                    of_multipart_type_name(req->multipart.type),
                    strerror(-rc));
        }
        if (!more) {
            break;
        }
    }
    return rc;
}

/* Keeps every part (the joined message points into them). */
static int
join_part(void *aux, struct of_msg *part)
{
    struct ofctl_reply *reply = aux;
    struct of_msg *parts = realloc(reply->parts, (reply->n_parts + 1)
                                   * sizeof *parts);
    if (!parts) {
        of_msg_uninit(part);
        return -ENOMEM;
    }
    reply->parts = parts;
    parts[reply->n_parts++] = *part;
    const struct of_msg *kept = &parts[reply->n_parts - 1];
    if (reply->n_parts == 1) {
        /* The first part is the accumulator's base: a shallow copy whose
         * own arena starts empty (the part keeps its memory). */
        reply->msg = *kept;
        memset(&reply->msg.arena, 0, sizeof reply->msg.arena);
        return 0;
    }
    return of_multipart_append(&reply->msg, kept);
}

int
ofctl_client_dump(struct ofctl_client *c, struct of_msg *req,
                  struct ofctl_reply *reply)
{
    memset(reply, 0, sizeof *reply);
    int rc = ofctl_client_dump_parts(c, req, join_part, reply);
    if (rc) {
        ofctl_reply_free(reply);
    }
    return rc;
}
