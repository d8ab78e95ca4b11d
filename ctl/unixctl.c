/*
 * unixctl.c — JSON-RPC 2.0 server over a unix stream socket (see
 * unixctl.h): line framing, the command registry, request dispatch and the
 * non-blocking connection handling.
 *
 * Threads: main thread only. The daemon's event loop calls
 * ctl_unixctl_run() whenever the private epoll fd is readable.
 */
#include "ctl/unixctl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <poll.h>
#include <unistd.h>

#include "lib/log.h"
#include "lib/timeval.h"

#define MOD "unixctl"

/* Clients beyond this are refused so a leak in some script cannot exhaust
 * the daemon's fds. */
#define CTL_MAX_CLIENTS 256
/* A client that sends requests without reading replies stops being read
 * once this much output is pending, so it cannot grow our memory. */
#define CTL_OUT_BACKPRESSURE (4 * 1024 * 1024)
/* How long shutdown waits for a slow client to take its last reply. */
#define CTL_FLUSH_TIMEOUT_MS 500

/* ---- line framing ------------------------------------------------------- */

void
ctl_line_framer_init(struct ctl_line_framer *f, size_t max_line)
{
    memset(f, 0, sizeof *f);
    f->max_line = max_line;
}

void
ctl_line_framer_destroy(struct ctl_line_framer *f)
{
    free(f->buf);
    memset(f, 0, sizeof *f);
}

int
ctl_line_framer_feed(struct ctl_line_framer *f, const void *data, size_t len)
{
    if (f->overflow) {
        return -EMSGSIZE;
    }
    if (f->len + len + 1 > f->cap) {
        size_t cap = f->cap ? f->cap : 4096;
        while (cap < f->len + len + 1) {
            cap *= 2;
        }
        char *buf = realloc(f->buf, cap);
        if (!buf) {
            return -ENOMEM;
        }
        f->buf = buf;
        f->cap = cap;
    }
    memcpy(f->buf + f->len, data, len);
    f->len += len;
    /* Only the open line can grow; complete lines are popped by the caller
     * right after feeding. Scanning just the new bytes keeps a large
     * request arriving in many pieces linear. */
    const char *nl = memrchr(data, '\n', len);
    f->tail = nl ? len - (size_t) (nl - (const char *) data) - 1
              : f->tail + len;
    if (f->tail > f->max_line) {
        f->overflow = true;
        return -EMSGSIZE;
    }
    return 0;
}

int
ctl_line_framer_next(struct ctl_line_framer *f, char **line)
{
    char *nl = f->len ? memchr(f->buf, '\n', f->len) : NULL;
    if (!nl) {
        return 0;
    }
    size_t n = nl - f->buf;
    size_t keep = n;
    if (keep > 0 && f->buf[keep - 1] == '\r') {
        keep--;
    }
    char *out = malloc(keep + 1);
    if (!out) {
        return -ENOMEM;
    }
    memcpy(out, f->buf, keep);
    out[keep] = '\0';
    memmove(f->buf, nl + 1, f->len - n - 1);
    f->len -= n + 1;
    *line = out;
    return 1;
}

/* ---- command registry --------------------------------------------------- */

struct ctl_command {
    char *name;
    char *usage;
    int min_args, max_args;
    ctl_command_fn *fn;
    void *aux;
};

static struct ctl_command *commands;
static size_t n_commands;

void
ctl_command_register(const char *name, const char *usage, int min_args,
                     int max_args, ctl_command_fn *fn, void *aux)
{
    struct ctl_command *c = realloc(commands,
                                    (n_commands + 1) * sizeof *commands);
    if (!c) {
        VLOG_ERR(MOD, "out of memory registering command %s", name);
        return;
    }
    commands = c;
    commands[n_commands++] = (struct ctl_command) {
        .name = strdup(name), .usage = strdup(usage ? usage : ""),
        .min_args = min_args, .max_args = max_args, .fn = fn, .aux = aux,
    };
}

void
ctl_command_unregister_all(void)
{
    for (size_t i = 0; i < n_commands; i++) {
        free(commands[i].name);
        free(commands[i].usage);
    }
    free(commands);
    commands = NULL;
    n_commands = 0;
}

static const struct ctl_command *
command_find(const char *name)
{
    for (size_t i = 0; i < n_commands; i++) {
        if (!strcmp(commands[i].name, name)) {
            return &commands[i];
        }
    }
    return NULL;
}

/* ---- dispatch ----------------------------------------------------------- */

static char *
reply_dump(json_t *reply)
{
    char *s = json_dumps(reply, JSON_COMPACT);
    json_decref(reply);
    return s;
}

static char *
make_error(json_t *id, int code, const char *message)
{
    json_t *reply = json_pack("{s:s, s:{s:i, s:s}, s:O}",
                              "jsonrpc", "2.0",
                              "error", "code", code, "message", message,
                              "id", id ? id : json_null());
    return reply_dump(reply);
}

char *
ctl_rpc_handle_line(const char *line)
{
    json_error_t jerr;
    json_t *req = json_loads(line, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY,
                             &jerr);
    if (!req) {
        char msg[CTL_ERR_LEN];
        snprintf(msg, sizeof msg, "request is not valid JSON: %s (column %d)",
                 jerr.text, jerr.column);
        return make_error(NULL, CTL_RPC_PARSE_ERROR, msg);
    }

    char *out = NULL;
    json_t *id = json_object_get(req, "id");
    if (!json_is_object(req)) {
        out = make_error(NULL, CTL_RPC_INVALID_REQUEST,
                         "request must be a JSON object");
        goto done;
    }
    if (id && !json_is_integer(id) && !json_is_string(id)
        && !json_is_null(id)) {
        out = make_error(NULL, CTL_RPC_INVALID_REQUEST,
                         "request 'id' must be a number or a string");
        goto done;
    }
    json_t *method = json_object_get(req, "method");
    if (!json_is_string(method)) {
        out = make_error(id, CTL_RPC_INVALID_REQUEST,
                         "request has no 'method' string");
        goto done;
    }
    const char *name = json_string_value(method);
    const struct ctl_command *cmd = command_find(name);
    if (!cmd) {
        char msg[CTL_ERR_LEN];
        snprintf(msg, sizeof msg, "unknown command '%s'", name);
        out = make_error(id, CTL_RPC_METHOD_NOT_FOUND, msg);
        goto done;
    }

    json_t *params = json_object_get(req, "params");
    if (params && !json_is_array(params) && !json_is_null(params)) {
        out = make_error(id, CTL_RPC_INVALID_PARAMS,
                         "'params' must be an array of strings");
        goto done;
    }
    size_t argc = json_is_array(params) ? json_array_size(params) : 0;
    if ((int) argc < cmd->min_args
        || (cmd->max_args >= 0 && (int) argc > cmd->max_args)) {
        char msg[CTL_ERR_LEN];
        snprintf(msg, sizeof msg, "'%s' takes %s%d argument%s, got %zu "
                 "(usage: %s %s)", name,
                 cmd->min_args == cmd->max_args ? ""
                 : argc < (size_t) cmd->min_args ? "at least " : "at most ",
                 argc < (size_t) cmd->min_args ? cmd->min_args
                 : cmd->max_args,
                 (argc < (size_t) cmd->min_args ? cmd->min_args
                  : cmd->max_args) == 1 ? "" : "s",
                 argc, name, cmd->usage);
        out = make_error(id, CTL_RPC_INVALID_PARAMS, msg);
        goto done;
    }
    const char **argv = calloc(argc + 1, sizeof *argv);
    if (!argv) {
        out = make_error(id, CTL_RPC_COMMAND_FAILED, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < argc; i++) {
        json_t *p = json_array_get(params, i);
        if (!json_is_string(p)) {
            free(argv);
            char msg[CTL_ERR_LEN];
            snprintf(msg, sizeof msg, "argument %zu of '%s' is not a string",
                     i + 1, name);
            out = make_error(id, CTL_RPC_INVALID_PARAMS, msg);
            goto done;
        }
        argv[i] = json_string_value(p);
    }

    char err[CTL_ERR_LEN] = "";
    json_t *result = NULL;
    int rc = cmd->fn((int) argc, argv, cmd->aux, &result, err, sizeof err);
    free(argv);
    if (!id) {
        /* A notification: run it, send nothing back. */
        json_decref(result);
        goto done;
    }
    if (rc < 0) {
        json_decref(result);
        if (!err[0]) {
            snprintf(err, sizeof err, "%s failed: %s", name, strerror(-rc));
        }
        out = make_error(id, CTL_RPC_COMMAND_FAILED, err);
    } else {
        json_t *reply = json_pack("{s:s, s:o, s:O}", "jsonrpc", "2.0",
                                  "result", result ? result : json_null(),
                                  "id", id);
        out = reply_dump(reply);
    }

done:
    json_decref(req);
    return out;
}

/* ---- connections -------------------------------------------------------- */

struct ctl_client {
    int fd;
    struct ctl_line_framer in;
    char *out;              /* replies not yet written */
    size_t out_len, out_cap;
    bool closing;           /* close once 'out' is drained */
    uint32_t events;        /* epoll events currently requested */
};

struct ctl_unixctl {
    int listen_fd;
    int epfd;
    char *path;
    struct ctl_client *clients[CTL_MAX_CLIENTS];
    size_t n_clients;
};

int
ctl_unixctl_fd(const struct ctl_unixctl *s)
{
    return s->epfd;
}

size_t
ctl_unixctl_n_clients(const struct ctl_unixctl *s)
{
    return s->n_clients;
}

int
ctl_unixctl_create(const char *path, struct ctl_unixctl **out,
                   char *err, size_t errlen)
{
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof sun.sun_path) {
        snprintf(err, errlen, "control socket path '%s' is too long (max %zu "
                 "bytes)", path, sizeof sun.sun_path - 1);
        return -ENAMETOOLONG;
    }
    strcpy(sun.sun_path, path);

    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        int e = errno;
        snprintf(err, errlen, "cannot create control socket: %s", strerror(e));
        return -e;
    }
    /* A socket file left by a daemon that died is stale only if nobody
     * answers on it; refusing to steal a live daemon's socket avoids two
     * daemons fighting over one config. */
    struct stat st;
    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            close(fd);
            snprintf(err, errlen, "control socket path '%s' exists and is "
                     "not a socket", path);
            return -EEXIST;
        }
        int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (probe >= 0 && connect(probe, (struct sockaddr *) &sun,
                                  sizeof sun) == 0) {
            close(probe);
            close(fd);
            snprintf(err, errlen, "another vswitchd is already listening on "
                     "'%s'", path);
            return -EADDRINUSE;
        }
        if (probe >= 0) {
            close(probe);
        }
        unlink(path);
    }

    mode_t old_umask = umask(0117);     /* socket file mode 0660 */
    int rc = bind(fd, (struct sockaddr *) &sun, sizeof sun);
    int e = errno;
    umask(old_umask);
    if (rc < 0) {
        close(fd);
        snprintf(err, errlen, "cannot bind control socket '%s': %s", path,
                 strerror(e));
        return -e;
    }
    chmod(path, 0660);
    if (listen(fd, 64) < 0) {
        e = errno;
        close(fd);
        unlink(path);
        snprintf(err, errlen, "cannot listen on '%s': %s", path, strerror(e));
        return -e;
    }

    struct ctl_unixctl *s = calloc(1, sizeof *s);
    if (!s) {
        close(fd);
        unlink(path);
        snprintf(err, errlen, "out of memory");
        return -ENOMEM;
    }
    s->listen_fd = fd;
    s->path = strdup(path);
    s->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (s->epfd < 0) {
        e = errno;
        snprintf(err, errlen, "epoll_create1: %s", strerror(e));
        ctl_unixctl_destroy(s);
        return -e;
    }
    struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
    if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
        e = errno;
        snprintf(err, errlen, "epoll_ctl: %s", strerror(e));
        ctl_unixctl_destroy(s);
        return -e;
    }
    *out = s;
    return 0;
}

static void
client_close(struct ctl_unixctl *s, struct ctl_client *c)
{
    epoll_ctl(s->epfd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
    ctl_line_framer_destroy(&c->in);
    free(c->out);
    for (size_t i = 0; i < s->n_clients; i++) {
        if (s->clients[i] == c) {
            s->clients[i] = s->clients[--s->n_clients];
            break;
        }
    }
    free(c);
}

/* Requests input until the client is closing (its EOF would otherwise
 * wake us forever) and output while replies are pending. */
static void
client_update_events(struct ctl_unixctl *s, struct ctl_client *c)
{
    bool want_in = !c->closing && c->out_len < CTL_OUT_BACKPRESSURE;
    uint32_t events = (want_in ? EPOLLIN : 0)
                      | (c->out_len > 0 ? EPOLLOUT : 0);
    if (events != c->events) {
        struct epoll_event ev = { .events = events, .data.ptr = c };
        epoll_ctl(s->epfd, EPOLL_CTL_MOD, c->fd, &ev);
        c->events = events;
    }
}

static int
client_queue(struct ctl_client *c, const char *data, size_t len)
{
    if (c->out_len + len > c->out_cap) {
        size_t cap = c->out_cap ? c->out_cap : 4096;
        while (cap < c->out_len + len) {
            cap *= 2;
        }
        char *out = realloc(c->out, cap);
        if (!out) {
            return -ENOMEM;
        }
        c->out = out;
        c->out_cap = cap;
    }
    memcpy(c->out + c->out_len, data, len);
    c->out_len += len;
    return 0;
}

/* Writes what the socket takes. Returns -errno when the peer is gone. */
static int
client_flush(struct ctl_client *c)
{
    while (c->out_len > 0) {
        ssize_t n = send(c->fd, c->out, c->out_len, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return errno == EAGAIN ? 0 : -errno;
        }
        memmove(c->out, c->out + n, c->out_len - n);
        c->out_len -= n;
    }
    return 0;
}

static void
client_accept(struct ctl_unixctl *s)
{
    for (;;) {
        int fd = accept4(s->listen_fd, NULL, NULL,
                         SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno != EAGAIN && errno != EINTR) {
                VLOG_WARN(MOD, "accept: %s", strerror(errno));
            }
            return;
        }
        if (s->n_clients >= CTL_MAX_CLIENTS) {
            static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(1, 5000);
            VLOG_RL(&rl, VLL_WARN, MOD, "refusing control client: %d "
                    "already connected", CTL_MAX_CLIENTS);
            close(fd);
            continue;
        }
        struct ctl_client *c = calloc(1, sizeof *c);
        if (!c) {
            close(fd);
            return;
        }
        c->fd = fd;
        c->events = EPOLLIN;
        ctl_line_framer_init(&c->in, CTL_RPC_MAX_REQUEST);
        struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };
        if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
            close(fd);
            ctl_line_framer_destroy(&c->in);
            free(c);
            continue;
        }
        s->clients[s->n_clients++] = c;
    }
}

/* Reads what is available and answers every complete request. Returns
 * false when the client must be closed now. */
static bool
client_read(struct ctl_client *c)
{
    char buf[16384];
    for (;;) {
        ssize_t n = recv(c->fd, buf, sizeof buf, 0);
        if (n == 0) {
            /* Peer closed its side: answer what we have, then close. */
            c->closing = true;
            return c->out_len > 0;
        }
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return errno == EAGAIN;
        }
        if (ctl_line_framer_feed(&c->in, buf, n) < 0) {
            char msg[CTL_ERR_LEN];
            snprintf(msg, sizeof msg, "request exceeds %d bytes; closing "
                     "connection", CTL_RPC_MAX_REQUEST);
            char *reply = make_error(NULL, CTL_RPC_INVALID_REQUEST, msg);
            if (reply) {
                client_queue(c, reply, strlen(reply));
                client_queue(c, "\n", 1);
                free(reply);
            }
            c->closing = true;
            return true;
        }
        char *line;
        while (ctl_line_framer_next(&c->in, &line) == 1) {
            /* Blank lines are keep-alives from hand-typed sessions. */
            if (line[strspn(line, " \t")] != '\0') {
                char *reply = ctl_rpc_handle_line(line);
                if (reply) {
                    client_queue(c, reply, strlen(reply));
                    client_queue(c, "\n", 1);
                    free(reply);
                }
            }
            free(line);
        }
        if ((size_t) n < sizeof buf || c->out_len >= CTL_OUT_BACKPRESSURE) {
            return true;
        }
    }
}

void
ctl_unixctl_run(struct ctl_unixctl *s)
{
    struct epoll_event events[32];
    int n = epoll_wait(s->epfd, events, ARRAY_SIZE(events), 0);
    for (int i = 0; i < n; i++) {
        struct ctl_client *c = events[i].data.ptr;
        if (!c) {
            client_accept(s);
            continue;
        }
        bool keep = true;
        if (!c->closing && c->out_len < CTL_OUT_BACKPRESSURE
            && (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))) {
            keep = client_read(c);
        }
        if (keep && client_flush(c) < 0) {
            keep = false;
        }
        if (!keep || (c->closing && c->out_len == 0)) {
            client_close(s, c);
        } else {
            client_update_events(s, c);
        }
    }
}

void
ctl_unixctl_destroy(struct ctl_unixctl *s)
{
    if (!s) {
        return;
    }
    /* Give clients their last replies (e.g. the answer to 'exit'). */
    int64_t deadline = time_msec() + CTL_FLUSH_TIMEOUT_MS;
    while (s->n_clients > 0) {
        struct ctl_client *c = s->clients[s->n_clients - 1];
        while (c->out_len > 0 && time_msec() < deadline) {
            if (client_flush(c) < 0) {
                break;
            }
            if (c->out_len > 0) {
                struct pollfd pfd = { .fd = c->fd, .events = POLLOUT };
                poll(&pfd, 1, 50);
            }
        }
        client_close(s, c);
    }
    if (s->listen_fd >= 0) {
        close(s->listen_fd);
    }
    if (s->epfd >= 0) {
        close(s->epfd);
    }
    if (s->path) {
        unlink(s->path);
        free(s->path);
    }
    free(s);
}
