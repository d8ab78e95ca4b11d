/*
 * of_stream.h — byte-stream transports for OpenFlow connections (private
 * to openflow/): non-blocking TCP (IPv4/IPv6 literals), unix sockets and
 * TLS through openssl, active (connect) and passive (listen/accept), plus
 * the parsing of target strings:
 *
 *   tcp:IP[:PORT]    ssl:IP[:PORT]     unix:PATH        (active)
 *   ptcp:[PORT][:IP] pssl:[PORT][:IP]  punix:PATH       (passive)
 *
 * PORT defaults to 6653; IPv6 addresses go in brackets ("tcp:[::1]:6653",
 * "ptcp:6653:[::1]"). Passive IP defaults to 0.0.0.0. Names are never
 * resolved: a controller is configured by address.
 *
 * TLS: TLS 1.2 and 1.3 only; both ends present a certificate and verify
 * the peer's against the CA file (SSL_VERIFY_PEER |
 * SSL_VERIFY_FAIL_IF_NO_PEER_CERT). A failed handshake is logged with the
 * reason openssl gives (certificate verification result included).
 * Creating a TLS context sets SIGPIPE to SIG_IGN if it was SIG_DFL,
 * because openssl writes to sockets without MSG_NOSIGNAL.
 *
 * Every call is non-blocking: -EAGAIN means "wait for of_stream_wants()".
 *
 * Main thread only (the connection layer's thread).
 */
#ifndef VSWITCH_OPENFLOW_OF_STREAM_H
#define VSWITCH_OPENFLOW_OF_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>

enum of_target_kind { OF_TARGET_TCP, OF_TARGET_SSL, OF_TARGET_UNIX };

struct of_target {
    enum of_target_kind kind;
    bool passive;
    struct sockaddr_storage addr;   /* TCP/SSL: IPv4 or IPv6 address+port */
    socklen_t addr_len;
    char path[sizeof ((struct sockaddr_un *) 0)->sun_path]; /* UNIX */
};

/* Parses 'name' into '*target'. 0, or -EINVAL with a one-line reason in
 * err[0..err_size) ("ssl:1.2.3: bad IP address '1.2.3'"). */
int of_target_parse(const char *name, struct of_target *target,
                    char *err, size_t err_size);

/* TLS settings shared by every TLS stream (client and server). */
struct of_ssl_ctx;
/* Loads CA, certificate and private key files. 0 or -errno (-EINVAL for a
 * file openssl rejects; the reason is logged). */
int of_ssl_ctx_create(const char *ca_file, const char *cert_file,
                      const char *key_file, struct of_ssl_ctx **ctxp);
void of_ssl_ctx_destroy(struct of_ssl_ctx *ctx);

struct of_stream;

/* Starts connecting to active 'target' ('ssl' may be NULL unless the
 * target is TLS: -EINVAL then). 'name' labels log lines. Poll with
 * of_stream_connect() until it returns 0. */
int of_stream_open(const struct of_target *target, struct of_ssl_ctx *ssl,
                   const char *name, struct of_stream **streamp);
/* Advances a pending connect and TLS handshake: 0 once established,
 * -EAGAIN while in progress, another -errno on failure (-ECONNREFUSED,
 * -EPROTO for a TLS failure, already logged). */
int of_stream_connect(struct of_stream *stream);
/* >0 bytes read, 0 on orderly EOF, -EAGAIN, -errno. */
ssize_t of_stream_recv(struct of_stream *stream, void *buf, size_t n);
/* >0 bytes written, -EAGAIN, -errno. */
ssize_t of_stream_send(struct of_stream *stream, const void *buf, size_t n);
/* EVLOOP_READ/EVLOOP_WRITE the last -EAGAIN was waiting for. */
uint32_t of_stream_wants(const struct of_stream *stream);
/* True if bytes are already buffered inside the stream (TLS records
 * decrypted but not read): epoll will not report them. */
bool of_stream_pending(const struct of_stream *stream);
int of_stream_fd(const struct of_stream *stream);
const char *of_stream_name(const struct of_stream *stream);
bool of_stream_is_tls(const struct of_stream *stream);
void of_stream_close(struct of_stream *stream);

struct of_pstream;

/* Listens on passive 'target'. 0 or -errno (-EADDRINUSE...). */
int of_pstream_open(const struct of_target *target, struct of_ssl_ctx *ssl,
                    const char *name, struct of_pstream **pstreamp);
/* Accepts one connection: 0 with '*streamp' set (handshake still to be
 * driven with of_stream_connect()), -EAGAIN, -errno. */
int of_pstream_accept(struct of_pstream *pstream, struct of_stream **streamp);
int of_pstream_fd(const struct of_pstream *pstream);
/* The bound TCP port (useful after "ptcp:0"), 0 for unix sockets. */
uint16_t of_pstream_port(const struct of_pstream *pstream);
void of_pstream_close(struct of_pstream *pstream);

#endif
