/*
 * rpc_client.c — blocking JSON-RPC client for the unixctl socket (see
 * rpc_client.h). Single-threaded; used by vswitch-ctl and tests.
 */
#include "ctl/rpc_client.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl/unixctl.h"
#include "lib/timeval.h"

struct ctl_rpc_client {
    int fd;
    int timeout_ms;
    json_int_t next_id;
    char *path;
    struct ctl_line_framer in;
};

int
ctl_rpc_connect(const char *path, int timeout_ms,
                struct ctl_rpc_client **out, char *err, size_t errlen)
{
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof sun.sun_path) {
        snprintf(err, errlen, "control socket path '%s' is too long", path);
        return -ENAMETOOLONG;
    }
    strcpy(sun.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        int e = errno;
        snprintf(err, errlen, "cannot create socket: %s", strerror(e));
        return -e;
    }
    if (connect(fd, (struct sockaddr *) &sun, sizeof sun) < 0) {
        int e = errno;
        close(fd);
        snprintf(err, errlen, "daemon not running at %s: %s", path,
                 e == ECONNREFUSED ? "connection refused"
                 : e == ENOENT ? "no such socket" : strerror(e));
        return -e;
    }
    struct ctl_rpc_client *c = calloc(1, sizeof *c);
    if (!c) {
        close(fd);
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    c->fd = fd;
    c->timeout_ms = timeout_ms;
    c->next_id = 1;
    c->path = strdup(path);
    /* Replies (a big 'show', a capture) may be larger than requests. */
    ctl_line_framer_init(&c->in, 64 * CTL_RPC_MAX_REQUEST);
    *out = c;
    return 0;
}

void
ctl_rpc_close(struct ctl_rpc_client *c)
{
    if (c) {
        close(c->fd);
        ctl_line_framer_destroy(&c->in);
        free(c->path);
        free(c);
    }
}

/* Milliseconds left before 'deadline' for poll(); -1 = no deadline. */
static int
time_left(int64_t deadline)
{
    if (deadline < 0) {
        return -1;
    }
    int64_t left = deadline - time_msec();
    return left > 0 ? (int) left : 0;
}

static int
send_all(struct ctl_rpc_client *c, const char *data, size_t len,
         int64_t deadline, char *err, size_t errlen)
{
    while (len > 0) {
        struct pollfd pfd = { .fd = c->fd, .events = POLLOUT };
        int rc = poll(&pfd, 1, time_left(deadline));
        if (rc == 0) {
            snprintf(err, errlen, "timed out sending to daemon at %s",
                     c->path);
            return -ETIMEDOUT;
        }
        if (rc < 0 && errno == EINTR) {
            continue;
        }
        ssize_t n = send(c->fd, data, len, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n < 0) {
            if (errno == EAGAIN || errno == EINTR) {
                continue;
            }
            int e = errno;
            snprintf(err, errlen, "lost connection to daemon at %s: %s",
                     c->path, strerror(e));
            return -e;
        }
        data += n;
        len -= n;
    }
    return 0;
}

static int
recv_line(struct ctl_rpc_client *c, char **line, int64_t deadline,
          char *err, size_t errlen)
{
    for (;;) {
        int rc = ctl_line_framer_next(&c->in, line);
        if (rc != 0) {
            return rc < 0 ? rc : 0;
        }
        struct pollfd pfd = { .fd = c->fd, .events = POLLIN };
        rc = poll(&pfd, 1, time_left(deadline));
        if (rc == 0) {
            snprintf(err, errlen, "timed out waiting for the daemon at %s",
                     c->path);
            return -ETIMEDOUT;
        }
        if (rc < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -errno;
        }
        char buf[65536];
        ssize_t n = recv(c->fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
            continue;
        }
        if (n <= 0) {
            snprintf(err, errlen, "daemon at %s closed the connection "
                     "without answering", c->path);
            return n == 0 ? -ECONNRESET : -errno;
        }
        if (ctl_line_framer_feed(&c->in, buf, n) < 0) {
            snprintf(err, errlen, "reply from daemon is too large");
            return -EMSGSIZE;
        }
    }
}

int
ctl_rpc_call(struct ctl_rpc_client *c, const char *method, json_t *params,
             json_t **result, int *rpc_code, char *err, size_t errlen)
{
    *result = NULL;
    if (rpc_code) {
        *rpc_code = 0;
    }
    json_int_t id = c->next_id++;
    json_t *req = json_pack("{s:s, s:s, s:o, s:I}", "jsonrpc", "2.0",
                            "method", method,
                            "params", params ? params : json_array(),
                            "id", id);
    char *text = req ? json_dumps(req, JSON_COMPACT) : NULL;
    json_decref(req);
    if (!text) {
        snprintf(err, errlen, "cannot encode request");
        return -ENOMEM;
    }
    int64_t deadline = c->timeout_ms > 0 ? time_msec() + c->timeout_ms : -1;
    size_t len = strlen(text);
    text[len] = '\n';   /* replaces the NUL; sent with explicit length */
    int rc = send_all(c, text, len + 1, deadline, err, errlen);
    free(text);
    if (rc < 0) {
        return rc;
    }

    for (;;) {
        char *line;
        rc = recv_line(c, &line, deadline, err, errlen);
        if (rc < 0) {
            return rc;
        }
        json_error_t jerr;
        json_t *reply = json_loads(line, 0, &jerr);
        free(line);
        if (!json_is_object(reply)) {
            json_decref(reply);
            snprintf(err, errlen, "daemon sent an unreadable reply");
            return -EPROTO;
        }
        json_t *rid = json_object_get(reply, "id");
        if (json_is_integer(rid) && json_integer_value(rid) != id) {
            json_decref(reply);     /* a stale reply to an earlier request */
            continue;
        }
        json_t *error = json_object_get(reply, "error");
        if (error) {
            const char *msg = json_string_value(json_object_get(error,
                                                                "message"));
            snprintf(err, errlen, "%s", msg ? msg : "unknown error");
            if (rpc_code) {
                *rpc_code = (int) json_integer_value(
                    json_object_get(error, "code"));
            }
            json_decref(reply);
            return -EREMOTEIO;
        }
        json_t *res = json_object_get(reply, "result");
        *result = json_incref(res ? res : json_null());
        json_decref(reply);
        return 0;
    }
}
