/*
 * of_stream.c — OpenFlow transports: target parsing, non-blocking TCP and
 * unix sockets, TLS through openssl, listeners (see of_stream.h).
 *
 * A stream is a socket plus, for TLS, an SSL object; state moves
 * CONNECTING (TCP connect in flight) -> HANDSHAKE (TLS only) -> OPEN.
 * Handshake failures are logged here, once, with every reason openssl
 * queued and the certificate verification result, because "the TLS
 * connection failed" without a why is what operators hate most.
 *
 * Main thread only.
 */
#include "openflow/of_stream.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "lib/evloop.h"
#include "lib/log.h"
#include "openflow/openflow.h"

#define LOG_MODULE "ofstream"

/* Pending connections a listener holds: management tools connect in
 * small bursts, more is only memory. */
#define OF_LISTEN_BACKLOG 64

/* ---- target parsing ---- */

static int
parse_fail(char *err, size_t err_size, const char *name, const char *fmt,
           const char *arg)
{
    if (err && err_size) {
        char reason[128];
        snprintf(reason, sizeof reason, fmt, arg);
        snprintf(err, err_size, "%s: %s", name, reason);
    }
    return -EINVAL;
}

static bool
parse_port(const char *s, uint16_t *port)
{
    if (!*s) {
        return false;
    }
    unsigned long v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9' || (v = v * 10 + (unsigned) (*p - '0')) > 65535) {
            return false;
        }
    }
    *port = (uint16_t) v;
    return true;
}

/* Fills target->addr from a literal 'ip' (brackets already stripped). */
static bool
parse_ip(const char *ip, uint16_t port, struct of_target *target)
{
    struct sockaddr_in *sin = (struct sockaddr_in *) &target->addr;
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *) &target->addr;

    memset(&target->addr, 0, sizeof target->addr);
    if (inet_pton(AF_INET, ip, &sin->sin_addr) == 1) {
        sin->sin_family = AF_INET;
        sin->sin_port = htons(port);
        target->addr_len = sizeof *sin;
        return true;
    }
    if (inet_pton(AF_INET6, ip, &sin6->sin6_addr) == 1) {
        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons(port);
        target->addr_len = sizeof *sin6;
        return true;
    }
    return false;
}

/* Splits "[v6]rest" or "v4rest" at the address's end: copies the address
 * into ip[] and returns a pointer to what follows, NULL if malformed. */
static const char *
split_ip(const char *s, char *ip, size_t ip_size)
{
    const char *end;
    if (*s == '[') {
        end = strchr(s, ']');
        if (!end || (size_t) (end - s - 1) >= ip_size) {
            return NULL;
        }
        memcpy(ip, s + 1, (size_t) (end - s - 1));
        ip[end - s - 1] = '\0';
        return end + 1;
    }
    /* Unbracketed: IPv4 up to the first ':', or a bare IPv6 literal (two
     * or more colons) taken whole, with the default port. */
    const char *colon = strchr(s, ':');
    if (colon && strchr(colon + 1, ':')) {
        end = s + strlen(s);
    } else {
        end = colon ? colon : s + strlen(s);
    }
    if ((size_t) (end - s) >= ip_size) {
        return NULL;
    }
    memcpy(ip, s, (size_t) (end - s));
    ip[end - s] = '\0';
    return end;
}

static int
parse_unix(const char *name, const char *path, struct of_target *target,
           char *err, size_t err_size)
{
    if (!*path) {
        return parse_fail(err, err_size, name, "missing socket path%s", "");
    }
    if (strlen(path) >= sizeof target->path) {
        char limit[16];
        snprintf(limit, sizeof limit, "%zu", sizeof target->path - 1);
        return parse_fail(err, err_size, name,
                          "socket path longer than %s bytes", limit);
    }
    target->kind = OF_TARGET_UNIX;
    strcpy(target->path, path);
    return 0;
}

int
of_target_parse(const char *name, struct of_target *target,
                char *err, size_t err_size)
{
    static const struct {
        const char *prefix;
        enum of_target_kind kind;
        bool passive;
    } kinds[] = {
        { "tcp:", OF_TARGET_TCP, false }, { "ssl:", OF_TARGET_SSL, false },
        { "unix:", OF_TARGET_UNIX, false }, { "ptcp:", OF_TARGET_TCP, true },
        { "pssl:", OF_TARGET_SSL, true }, { "punix:", OF_TARGET_UNIX, true },
    };
    char ip[INET6_ADDRSTRLEN + 1];
    const char *rest = NULL;

    memset(target, 0, sizeof *target);
    if (!name) {
        return parse_fail(err, err_size, "(null)", "no target%s", "");
    }
    for (size_t i = 0; i < ARRAY_SIZE(kinds); i++) {
        size_t n = strlen(kinds[i].prefix);
        if (!strncmp(name, kinds[i].prefix, n)) {
            target->kind = kinds[i].kind;
            target->passive = kinds[i].passive;
            rest = name + n;
            break;
        }
    }
    if (!rest) {
        return parse_fail(err, err_size, name,
                          "unknown connection type (expected tcp:, ssl:, "
                          "unix:, ptcp:, pssl: or punix:)%s", "");
    }
    if (target->kind == OF_TARGET_UNIX) {
        return parse_unix(name, rest, target, err, err_size);
    }

    uint16_t port = OFP_TCP_PORT;
    if (!target->passive) {
        /* tcp:IP[:PORT] */
        if (!*rest) {
            return parse_fail(err, err_size, name, "missing IP address%s", "");
        }
        const char *after = split_ip(rest, ip, sizeof ip);
        if (!after) {
            return parse_fail(err, err_size, name, "bad IP address '%s'", rest);
        }
        if (*after == ':' && !parse_port(after + 1, &port)) {
            return parse_fail(err, err_size, name, "bad port '%s'", after + 1);
        } else if (*after && *after != ':') {
            return parse_fail(err, err_size, name, "trailing garbage '%s'", after);
        }
        if (!parse_ip(ip, port, target)) {
            return parse_fail(err, err_size, name,
                              "bad IP address '%s' (names are not resolved)",
                              ip);
        }
        return 0;
    }

    /* ptcp:[PORT][:IP] */
    char port_str[8];
    const char *colon = strchr(rest, ':');
    size_t port_len = colon ? (size_t) (colon - rest) : strlen(rest);
    if (port_len >= sizeof port_str) {
        return parse_fail(err, err_size, name, "bad port '%s'", rest);
    }
    memcpy(port_str, rest, port_len);
    port_str[port_len] = '\0';
    if (port_len && !parse_port(port_str, &port)) {
        return parse_fail(err, err_size, name, "bad port '%s'", port_str);
    }
    strcpy(ip, "0.0.0.0");
    if (colon) {
        const char *after = split_ip(colon + 1, ip, sizeof ip);
        if (!after || *after || !*ip) {
            return parse_fail(err, err_size, name, "bad IP address '%s'",
                              colon + 1);
        }
    }
    if (!parse_ip(ip, port, target)) {
        return parse_fail(err, err_size, name, "bad IP address '%s'", ip);
    }
    return 0;
}

/* ---- TLS context ---- */

struct of_ssl_ctx {
    SSL_CTX *ctx;
};

/* Appends every queued openssl error reason to buf ("; "-separated) and
 * clears the queue. */
static void
ssl_errors(char *buf, size_t size)
{
    size_t used = 0;
    unsigned long e;
    buf[0] = '\0';
    while ((e = ERR_get_error()) != 0) {
        char one[256];
        ERR_error_string_n(e, one, sizeof one);
        int n = snprintf(buf + used, size - used, "%s%s", used ? "; " : "",
                         one);
        if (n < 0 || (size_t) n >= size - used) {
            break;
        }
        used += (size_t) n;
    }
}

int
of_ssl_ctx_create(const char *ca_file, const char *cert_file,
                  const char *key_file, struct of_ssl_ctx **ctxp)
{
    char why[512];
    const char *what = NULL, *file = NULL;

    *ctxp = NULL;
    if (!ca_file || !cert_file || !key_file) {
        VLOG_ERR(LOG_MODULE, "TLS needs a CA file, a certificate and a "
                 "private key (ca=%s cert=%s key=%s)", ca_file ? ca_file : "-",
                 cert_file ? cert_file : "-", key_file ? key_file : "-");
        return -EINVAL;
    }
    /* openssl writes to the socket with write(2), not send(MSG_NOSIGNAL):
     * a peer that hangs up mid-handshake would kill the process with
     * SIGPIPE. vswitchd ignores it already; make sure any user does. */
    struct sigaction old_pipe;
    if (!sigaction(SIGPIPE, NULL, &old_pipe) && old_pipe.sa_handler == SIG_DFL) {
        signal(SIGPIPE, SIG_IGN);
    }
    ERR_clear_error();
    SSL_CTX *ctx = SSL_CTX_new(TLS_method());
    if (!ctx) {
        return -ENOMEM;
    }
    /* TLS 1.0/1.1 are deprecated (RFC 8996); nothing older than 1.2. */
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_max_proto_version(ctx, TLS1_3_VERSION);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
                       NULL);
    SSL_CTX_set_mode(ctx, SSL_MODE_ENABLE_PARTIAL_WRITE
                          | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
    if (SSL_CTX_load_verify_locations(ctx, ca_file, NULL) != 1) {
        what = "CA file", file = ca_file;
    } else if (SSL_CTX_use_certificate_chain_file(ctx, cert_file) != 1) {
        what = "certificate", file = cert_file;
    } else if (SSL_CTX_use_PrivateKey_file(ctx, key_file, SSL_FILETYPE_PEM) != 1) {
        bool mismatch = ERR_GET_REASON(ERR_peek_last_error())
                        == X509_R_KEY_VALUES_MISMATCH;
        what = mismatch ? "private key (it does not match the certificate)"
                        : "private key";
        file = key_file;
    } else if (SSL_CTX_check_private_key(ctx) != 1) {
        what = "private key (it does not match the certificate)";
        file = key_file;
    }
    if (what) {
        ssl_errors(why, sizeof why);
        VLOG_ERR(LOG_MODULE, "TLS: cannot load %s %s: %s", what, file, why);
        SSL_CTX_free(ctx);
        return -EINVAL;
    }
    /* A client sends the CAs it trusts so a server with several
     * certificates can pick; cheap and helps diagnosis. */
    STACK_OF(X509_NAME) *cas = SSL_load_client_CA_file(ca_file);
    if (cas) {
        SSL_CTX_set_client_CA_list(ctx, cas);
    }
    struct of_ssl_ctx *c = malloc(sizeof *c);
    if (!c) {
        SSL_CTX_free(ctx);
        return -ENOMEM;
    }
    c->ctx = ctx;
    *ctxp = c;
    return 0;
}

void
of_ssl_ctx_destroy(struct of_ssl_ctx *ctx)
{
    if (ctx) {
        SSL_CTX_free(ctx->ctx);
        free(ctx);
    }
}

/* ---- streams ---- */

enum stream_state { STREAM_CONNECTING, STREAM_HANDSHAKE, STREAM_OPEN,
                    STREAM_FAILED };

struct of_stream {
    int fd;
    SSL *ssl;                   /* NULL for plain TCP / unix */
    bool server;                /* accepted (TLS: SSL_accept side) */
    enum stream_state state;
    bool received;              /* any application data read yet */
    uint32_t wants;             /* EVLOOP_* the last -EAGAIN waits for */
    char name[160];
};

static int
set_nonblock_cloexec(int fd)
{
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0
        || fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) {
        return -errno;
    }
    return 0;
}

static int
target_sockaddr(const struct of_target *target, struct sockaddr_storage *ss,
                socklen_t *len)
{
    if (target->kind == OF_TARGET_UNIX) {
        struct sockaddr_un *sun = (struct sockaddr_un *) ss;
        memset(sun, 0, sizeof *sun);
        sun->sun_family = AF_UNIX;
        strcpy(sun->sun_path, target->path);
        *len = (socklen_t) sizeof *sun;
        return AF_UNIX;
    }
    memcpy(ss, &target->addr, sizeof *ss);
    *len = target->addr_len;
    return target->addr.ss_family;
}

static int
stream_create(int fd, struct of_ssl_ctx *ssl, bool server, const char *name,
              struct of_stream **streamp)
{
    struct of_stream *s = calloc(1, sizeof *s);
    if (!s) {
        return -ENOMEM;
    }
    s->fd = fd;
    s->server = server;
    snprintf(s->name, sizeof s->name, "%s", name);
    if (ssl) {
        s->ssl = SSL_new(ssl->ctx);
        if (!s->ssl || SSL_set_fd(s->ssl, fd) != 1) {
            SSL_free(s->ssl);
            free(s);
            return -ENOMEM;
        }
        if (server) {
            SSL_set_accept_state(s->ssl);
        } else {
            SSL_set_connect_state(s->ssl);
        }
    }
    *streamp = s;
    return 0;
}

int
of_stream_open(const struct of_target *target, struct of_ssl_ctx *ssl,
               const char *name, struct of_stream **streamp)
{
    struct sockaddr_storage ss;
    socklen_t len;

    *streamp = NULL;
    if (target->passive) {
        return -EINVAL;
    }
    if (target->kind == OF_TARGET_SSL && !ssl) {
        VLOG_ERR(LOG_MODULE, "%s: TLS is not configured (no CA, certificate "
                 "and key)", name);
        return -EINVAL;
    }
    int family = target_sockaddr(target, &ss, &len);
    int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -errno;
    }
    if (family != AF_UNIX) {
        /* OpenFlow is request/response with small messages: Nagle only
         * adds latency to barriers and echo replies. */
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    struct of_stream *s;
    int error = stream_create(fd, target->kind == OF_TARGET_SSL ? ssl : NULL,
                              false, name, &s);
    if (error) {
        close(fd);
        return error;
    }
    if (connect(fd, (struct sockaddr *) &ss, len) < 0) {
        if (errno != EINPROGRESS && errno != EAGAIN) {
            error = -errno;
            of_stream_close(s);
            return error;
        }
        s->state = STREAM_CONNECTING;
        s->wants = EVLOOP_WRITE;
    } else {
        s->state = s->ssl ? STREAM_HANDSHAKE : STREAM_OPEN;
        s->wants = EVLOOP_READ | EVLOOP_WRITE;
    }
    *streamp = s;
    return 0;
}

static void
log_handshake_failure(struct of_stream *s, int ssl_error, int saved_errno)
{
    char why[768];
    ssl_errors(why, sizeof why);
    long verify = SSL_get_verify_result(s->ssl);
    const char *verify_str = verify != X509_V_OK
                             ? X509_verify_cert_error_string(verify) : NULL;

    if (!why[0]) {
        if (ssl_error == SSL_ERROR_SYSCALL && saved_errno) {
            snprintf(why, sizeof why, "%s", strerror(saved_errno));
        } else {
            snprintf(why, sizeof why, "peer closed the connection during the "
                     "handshake (it probably rejected our certificate)");
        }
    }
    VLOG_WARN(LOG_MODULE, "%s: TLS handshake failed: %s%s%s%s", s->name, why,
              verify_str ? " (peer certificate: " : "",
              verify_str ? verify_str : "", verify_str ? ")" : "");
}

static int
stream_handshake(struct of_stream *s)
{
    ERR_clear_error();
    errno = 0;
    int ret = SSL_do_handshake(s->ssl);
    if (ret == 1) {
        s->state = STREAM_OPEN;
        VLOG_DBG(LOG_MODULE, "%s: TLS established (%s, %s)", s->name,
                 SSL_get_version(s->ssl), SSL_get_cipher_name(s->ssl));
        return 0;
    }
    int saved_errno = errno;
    int e = SSL_get_error(s->ssl, ret);
    if (e == SSL_ERROR_WANT_READ) {
        s->wants = EVLOOP_READ;
        return -EAGAIN;
    }
    if (e == SSL_ERROR_WANT_WRITE) {
        s->wants = EVLOOP_WRITE;
        return -EAGAIN;
    }
    log_handshake_failure(s, e, saved_errno);
    s->state = STREAM_FAILED;
    return -EPROTO;
}

int
of_stream_connect(struct of_stream *s)
{
    switch (s->state) {
    case STREAM_CONNECTING: {
        int soerr = 0;
        socklen_t len = sizeof soerr;
        if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0) {
            soerr = errno;
        }
        if (soerr) {
            s->state = STREAM_FAILED;
            return -soerr;
        }
        /* A non-blocking connect that has not finished reports no error
         * either: ask the kernel whether we have a peer yet. */
        struct sockaddr_storage peer;
        socklen_t plen = sizeof peer;
        if (getpeername(s->fd, (struct sockaddr *) &peer, &plen) < 0) {
            if (errno == ENOTCONN) {
                s->wants = EVLOOP_WRITE;
                return -EAGAIN;
            }
            return -errno;
        }
        s->state = s->ssl ? STREAM_HANDSHAKE : STREAM_OPEN;
        return s->ssl ? stream_handshake(s) : 0;
    }
    case STREAM_HANDSHAKE:
        return stream_handshake(s);
    case STREAM_OPEN:
        return 0;
    case STREAM_FAILED:
    default:
        return -EPROTO;
    }
}

ssize_t
of_stream_recv(struct of_stream *s, void *buf, size_t n)
{
    if (s->state != STREAM_OPEN) {
        int error = of_stream_connect(s);
        if (error) {
            return error;
        }
    }
    if (!s->ssl) {
        ssize_t r = recv(s->fd, buf, n, 0);
        if (r < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                s->wants = EVLOOP_READ;
                return -EAGAIN;
            }
            return -errno;
        }
        return r;
    }
    ERR_clear_error();
    int r = SSL_read(s->ssl, buf, n > INT32_MAX ? INT32_MAX : (int) n);
    if (r > 0) {
        s->received = true;
        return r;
    }
    int e = SSL_get_error(s->ssl, r);
    switch (e) {
    case SSL_ERROR_WANT_READ:
        s->wants = EVLOOP_READ;
        return -EAGAIN;
    case SSL_ERROR_WANT_WRITE:
        s->wants = EVLOOP_WRITE;
        return -EAGAIN;
    case SSL_ERROR_ZERO_RETURN:
        return 0;
    case SSL_ERROR_SYSCALL:
        /* openssl 3 reports a peer that vanished without close_notify as
         * SSL_ERROR_SSL "unexpected eof"; older ones as SYSCALL/errno 0. */
        return errno ? -errno : 0;
    default: {
        char why[512];
        ssl_errors(why, sizeof why);
        /* In TLS 1.3 a client finishes its handshake before the server
         * has checked the client's certificate; a rejection arrives as an
         * alert on the first read. Call it what it is. */
        VLOG_WARN(LOG_MODULE, "%s: %s: %s", s->name,
                  s->received ? "TLS receive failed"
                              : "TLS handshake failed (rejected by peer)", why);
        return -EPROTO;
    }
    }
}

ssize_t
of_stream_send(struct of_stream *s, const void *buf, size_t n)
{
    if (s->state != STREAM_OPEN) {
        int error = of_stream_connect(s);
        if (error) {
            return error;
        }
    }
    if (!s->ssl) {
        ssize_t r = send(s->fd, buf, n, MSG_NOSIGNAL);
        if (r < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                s->wants = EVLOOP_WRITE;
                return -EAGAIN;
            }
            return -errno;
        }
        return r;
    }
    ERR_clear_error();
    int r = SSL_write(s->ssl, buf, n > INT32_MAX ? INT32_MAX : (int) n);
    if (r > 0) {
        return r;
    }
    int e = SSL_get_error(s->ssl, r);
    if (e == SSL_ERROR_WANT_WRITE) {
        s->wants = EVLOOP_WRITE;
        return -EAGAIN;
    }
    if (e == SSL_ERROR_WANT_READ) {
        s->wants = EVLOOP_READ;
        return -EAGAIN;
    }
    if (e == SSL_ERROR_SYSCALL && errno) {
        return -errno;
    }
    char why[512];
    ssl_errors(why, sizeof why);
    VLOG_WARN(LOG_MODULE, "%s: TLS send failed: %s", s->name,
              why[0] ? why : "connection closed");
    return -EPROTO;
}

uint32_t
of_stream_wants(const struct of_stream *s)
{
    return s->wants;
}

bool
of_stream_pending(const struct of_stream *s)
{
    return s->ssl && s->state == STREAM_OPEN && SSL_pending(s->ssl) > 0;
}

int
of_stream_fd(const struct of_stream *s)
{
    return s->fd;
}

const char *
of_stream_name(const struct of_stream *s)
{
    return s->name;
}

bool
of_stream_is_tls(const struct of_stream *s)
{
    return s->ssl != NULL;
}

void
of_stream_close(struct of_stream *s)
{
    if (!s) {
        return;
    }
    if (s->ssl) {
        if (s->state == STREAM_OPEN) {
            SSL_shutdown(s->ssl);   /* best effort close_notify */
        }
        SSL_free(s->ssl);
        ERR_clear_error();
    }
    close(s->fd);
    free(s);
}

/* ---- listeners ---- */

struct of_pstream {
    int fd;
    struct of_ssl_ctx *ssl;     /* not owned */
    enum of_target_kind kind;
    uint16_t port;
    char path[sizeof ((struct sockaddr_un *) 0)->sun_path];
    char name[160];
};

int
of_pstream_open(const struct of_target *target, struct of_ssl_ctx *ssl,
                const char *name, struct of_pstream **pstreamp)
{
    struct sockaddr_storage ss;
    socklen_t len;
    int error;

    *pstreamp = NULL;
    if (!target->passive) {
        return -EINVAL;
    }
    if (target->kind == OF_TARGET_SSL && !ssl) {
        VLOG_ERR(LOG_MODULE, "%s: TLS is not configured (no CA, certificate "
                 "and key)", name);
        return -EINVAL;
    }
    int family = target_sockaddr(target, &ss, &len);
    int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        return -errno;
    }
    if (family == AF_UNIX) {
        /* A stale socket file from a previous run would fail the bind. */
        unlink(target->path);
    } else {
        int one = 1;
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    }
    if (bind(fd, (struct sockaddr *) &ss, len) < 0
        || listen(fd, OF_LISTEN_BACKLOG) < 0) {
        error = -errno;
        VLOG_ERR(LOG_MODULE, "%s: cannot listen: %s", name, strerror(-error));
        close(fd);
        return error;
    }
    struct of_pstream *p = calloc(1, sizeof *p);
    if (!p) {
        close(fd);
        return -ENOMEM;
    }
    p->fd = fd;
    p->ssl = target->kind == OF_TARGET_SSL ? ssl : NULL;
    p->kind = target->kind;
    snprintf(p->name, sizeof p->name, "%s", name);
    if (family == AF_UNIX) {
        strcpy(p->path, target->path);
    } else {
        struct sockaddr_storage bound;
        socklen_t blen = sizeof bound;
        if (!getsockname(fd, (struct sockaddr *) &bound, &blen)) {
            p->port = ntohs(bound.ss_family == AF_INET
                            ? ((struct sockaddr_in *) &bound)->sin_port
                            : ((struct sockaddr_in6 *) &bound)->sin6_port);
        }
    }
    *pstreamp = p;
    return 0;
}

int
of_pstream_accept(struct of_pstream *p, struct of_stream **streamp)
{
    struct sockaddr_storage peer;
    socklen_t len = sizeof peer;
    char name[200];

    *streamp = NULL;
    int fd = accept4(p->fd, (struct sockaddr *) &peer, &len,
                     SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
        return errno == EWOULDBLOCK ? -EAGAIN : -errno;
    }
    if (p->kind == OF_TARGET_UNIX) {
        snprintf(name, sizeof name, "%s#%d", p->name, fd);
    } else {
        char ip[INET6_ADDRSTRLEN] = "?";
        uint16_t port = 0;
        if (peer.ss_family == AF_INET) {
            struct sockaddr_in *sin = (struct sockaddr_in *) &peer;
            inet_ntop(AF_INET, &sin->sin_addr, ip, sizeof ip);
            port = ntohs(sin->sin_port);
        } else if (peer.ss_family == AF_INET6) {
            struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *) &peer;
            inet_ntop(AF_INET6, &sin6->sin6_addr, ip, sizeof ip);
            port = ntohs(sin6->sin6_port);
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        snprintf(name, sizeof name, "%s<-%s%s%s:%u", p->name,
                 peer.ss_family == AF_INET6 ? "[" : "", ip,
                 peer.ss_family == AF_INET6 ? "]" : "", port);
    }
    int error = set_nonblock_cloexec(fd);
    struct of_stream *s = NULL;
    if (!error) {
        error = stream_create(fd, p->ssl, true, name, &s);
    }
    if (error) {
        close(fd);
        return error;
    }
    s->state = s->ssl ? STREAM_HANDSHAKE : STREAM_OPEN;
    s->wants = EVLOOP_READ;
    *streamp = s;
    return 0;
}

int
of_pstream_fd(const struct of_pstream *p)
{
    return p->fd;
}

uint16_t
of_pstream_port(const struct of_pstream *p)
{
    return p->port;
}

void
of_pstream_close(struct of_pstream *p)
{
    if (!p) {
        return;
    }
    close(p->fd);
    if (p->kind == OF_TARGET_UNIX && p->path[0]) {
        unlink(p->path);
    }
    free(p);
}
