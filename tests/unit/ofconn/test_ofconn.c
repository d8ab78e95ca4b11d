/*
 * test_ofconn.c — loopback tests of the OpenFlow connection layer:
 * of_stream (targets, tcp/unix/TLS), of_conn (HELLO negotiation, framing,
 * echo and inactivity probe, backoff, bounded queues) and of_connmgr
 * (features, roles with generation ids, async filtering per role,
 * barriers with asynchronous completion, reassembly of split multipart
 * requests).
 *
 * Peers are either of_conn objects on the same evloop ("controllers"
 * built on our own transport) or raw non-blocking sockets when the test
 * needs to misbehave (wrong versions, bad lengths, never reading).
 * Everything runs on one thread; timers are tens of milliseconds.
 * TLS certificates are generated into a temp dir with the openssl command
 * ($OPENSSL, else "openssl" on PATH). Only 127.0.0.1, ::1 and unix
 * sockets in the temp dir are used.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>

#include "lib/log.h"
#include "ofconn_harness.h"

/* ------------------------------------------------------------------ */
/* Tests                                                               */
/* ------------------------------------------------------------------ */

static void
test_target_parse(void **state)
{
    (void) state;
    struct of_target t;
    char err[256];

    assert_int_equal(of_target_parse("tcp:127.0.0.1", &t, err, sizeof err), 0);
    assert_int_equal(t.kind, OF_TARGET_TCP);
    assert_false(t.passive);
    assert_int_equal(ntohs(((struct sockaddr_in *) &t.addr)->sin_port), 6653);

    assert_int_equal(of_target_parse("ssl:127.0.0.1:6633", &t, err, sizeof err), 0);
    assert_int_equal(t.kind, OF_TARGET_SSL);
    assert_int_equal(ntohs(((struct sockaddr_in *) &t.addr)->sin_port), 6633);

    assert_int_equal(of_target_parse("tcp:[::1]:7000", &t, err, sizeof err), 0);
    assert_int_equal(t.addr.ss_family, AF_INET6);
    assert_int_equal(ntohs(((struct sockaddr_in6 *) &t.addr)->sin6_port), 7000);
    assert_int_equal(of_target_parse("tcp:::1", &t, err, sizeof err), 0);
    assert_int_equal(t.addr.ss_family, AF_INET6);

    assert_int_equal(of_target_parse("ptcp:", &t, err, sizeof err), 0);
    assert_true(t.passive);
    assert_int_equal(ntohs(((struct sockaddr_in *) &t.addr)->sin_port), 6653);
    assert_int_equal(of_target_parse("ptcp:6634:127.0.0.1", &t, err, sizeof err), 0);
    assert_int_equal(ntohs(((struct sockaddr_in *) &t.addr)->sin_port), 6634);
    assert_int_equal(of_target_parse("pssl::[::1]", &t, err, sizeof err), 0);
    assert_int_equal(t.addr.ss_family, AF_INET6);
    assert_int_equal(of_target_parse("punix:/tmp/x.sock", &t, err, sizeof err), 0);
    assert_int_equal(t.kind, OF_TARGET_UNIX);
    assert_string_equal(t.path, "/tmp/x.sock");

    static const struct { const char *name, *why; } bad[] = {
        { "tcp:", "missing IP address" },
        { "tcp:controller.example:6653", "names are not resolved" },
        { "tcp:127.0.0.1:65536", "bad port" },
        { "tcp:127.0.0.1:x", "bad port" },
        { "tcp:[::1", "bad IP address" },
        { "ptcp:99999", "bad port" },
        { "ptcp:6653:1.2.3", "bad IP address" },
        { "unix:", "missing socket path" },
        { "http:1.2.3.4", "unknown connection type" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        assert_int_equal(of_target_parse(bad[i].name, &t, err, sizeof err),
                         -EINVAL);
        if (!strstr(err, bad[i].why) || !strstr(err, bad[i].name)) {
            fail_msg("%s: error '%s' lacks '%s'", bad[i].name, err, bad[i].why);
        }
    }
}

/* HELLO, FEATURES, ECHO, a multipart reply and an unsupported request
 * over tcp (IPv4, IPv6 when available) and unix sockets. */
static void
test_handshake_features_echo(void **state)
{
    (void) state;
    char unix_listen[300], unix_connect[300];
    snprintf(unix_listen, sizeof unix_listen, "punix:%s/sw.sock", tmpdir);
    snprintf(unix_connect, sizeof unix_connect, "unix:%s/sw.sock", tmpdir);
    const char *listens[] = { "ptcp:0:127.0.0.1", "ptcp:0:[::1]", unix_listen };

    for (size_t i = 0; i < 3; i++) {
        struct of_connmgr *mgr = mgr_create(0, 0);
        char err[256], target[300];
        int error = of_connmgr_add(mgr, listens[i], err, sizeof err);
        if (error && i == 1) {
            print_message("IPv6 loopback unavailable (%s), skipped\n", err);
            of_connmgr_destroy(mgr);
            continue;
        }
        assert_int_equal(error, 0);
        uint16_t port = of_connmgr_listener_port(mgr, listens[i]);
        if (i == 0) {
            snprintf(target, sizeof target, "tcp:127.0.0.1:%u", port);
        } else if (i == 1) {
            snprintf(target, sizeof target, "tcp:[::1]:%u", port);
        } else {
            snprintf(target, sizeof target, "%s", unix_connect);
        }

        static struct peer p;
        peer_connect(&p, target, NULL);
        assert_true(run_until(peer_is_established, &p, 2000));

        struct of_msg msg;
        of_msg_init(&msg, OFPT_FEATURES_REQUEST, 7);
        const struct rec *r = peer_roundtrip(&p, &msg);
        assert_int_equal(r->type, OFPT_FEATURES_REPLY);
        assert_int_equal(r->xid, 7);
        assert_true(r->dpid == 0x0000123456789abcull);

        static const uint8_t payload[] = "are you there";
        of_msg_init(&msg, OFPT_ECHO_REQUEST, 8);
        msg.echo.data.data = payload;
        msg.echo.data.len = sizeof payload;
        r = peer_roundtrip(&p, &msg);
        assert_int_equal(r->type, OFPT_ECHO_REPLY);
        assert_int_equal(r->xid, 8);

        of_msg_init(&msg, OFPT_MULTIPART_REQUEST, 9);
        msg.multipart.type = OFPMP_DESC;
        r = peer_roundtrip(&p, &msg);
        assert_int_equal(r->type, OFPT_MULTIPART_REPLY);
        assert_int_equal(r->xid, 9);
        assert_string_equal(r->text, "vswitch test");

        /* No get_config handler: BAD_REQUEST/BAD_TYPE. */
        of_msg_init(&msg, OFPT_GET_CONFIG_REQUEST, 10);
        r = peer_roundtrip(&p, &msg);
        assert_int_equal(r->type, OFPT_ERROR);
        assert_int_equal(r->xid, 10);
        assert_int_equal(r->err_type, OFPET_BAD_REQUEST);
        assert_int_equal(r->err_code, OFPBRC_BAD_TYPE);

        struct of_connmgr_status st;
        assert_true(mgr_status(mgr, "service", &st));
        assert_string_equal(st.state, "active");
        assert_string_equal(st.role, "equal");
        assert_true(st.rx_msgs >= 5);
        assert_true(st.tx_msgs >= 5);
        char line[512];
        of_connmgr_status_format(&st, line, sizeof line);
        assert_non_null(strstr(line, "state=active"));

        peer_close(&p);
        of_connmgr_destroy(mgr);
    }
}

static void
test_version_negotiation(void **state)
{
    (void) state;
    struct of_connmgr *mgr = mgr_create(0, 0);
    uint16_t port = mgr_listen(mgr, "ptcp:0:127.0.0.1");
    static struct raw r;
    uint8_t msg[512];
    int n;

    /* 1.0 peer without bitmap: HELLO_FAILED/INCOMPATIBLE in version 1.0
     * with a readable reason, then the connection is closed. */
    raw_connect(&r, port);
    raw_write(&r, msg, make_hello(msg, 0x01, 0));
    assert_true(raw_read_msg(&r, msg, sizeof msg, 2000) > 0);
    assert_int_equal(msg[1], OFPT_HELLO);           /* ours, sent first */
    n = raw_read_msg(&r, msg, sizeof msg, 2000);
    assert_true(n > 12);
    assert_int_equal(msg[0], 0x01);
    assert_int_equal(msg[1], OFPT_ERROR);
    assert_int_equal(msg[8] << 8 | msg[9], OFPET_HELLO_FAILED);
    assert_int_equal(msg[10] << 8 | msg[11], OFPHFC_INCOMPATIBLE);
    msg[n < (int) sizeof msg ? n : (int) sizeof msg - 1] = '\0';
    assert_non_null(strstr((char *) msg + 12, "OpenFlow 1.3"));
    assert_non_null(strstr((char *) msg + 12, "0x01"));
    assert_int_equal(raw_read_msg(&r, msg, sizeof msg, 2000), 0);
    close(r.fd);
    assert_true(log_contains("version negotiation failed"));

    /* Bitmap without 1.3 (1.0 and 1.4): incompatible too. */
    raw_connect(&r, port);
    raw_write(&r, msg, make_hello(msg, 0x05, 1u << 1 | 1u << 5));
    assert_true(raw_read_msg(&r, msg, sizeof msg, 2000) > 0);
    assert_true(raw_read_msg(&r, msg, sizeof msg, 2000) > 0);
    assert_int_equal(msg[1], OFPT_ERROR);
    assert_int_equal(msg[8] << 8 | msg[9], OFPET_HELLO_FAILED);
    assert_int_equal(raw_read_msg(&r, msg, sizeof msg, 2000), 0);
    close(r.fd);

    /* A non-HELLO first message fails the handshake. */
    raw_connect(&r, port);
    raw_write(&r, msg, make_header(msg, 4, OFPT_FEATURES_REQUEST, 8, 3));
    assert_true(raw_read_msg(&r, msg, sizeof msg, 2000) > 0);
    assert_true(raw_read_msg(&r, msg, sizeof msg, 2000) > 0);
    assert_int_equal(msg[1], OFPT_ERROR);
    assert_int_equal(msg[8] << 8 | msg[9], OFPET_HELLO_FAILED);
    assert_int_equal(raw_read_msg(&r, msg, sizeof msg, 2000), 0);
    close(r.fd);

    /* A 1.5 peer offering 1.0|1.3|1.5 in its bitmap gets 1.3. */
    raw_connect(&r, port);
    raw_write(&r, msg, make_hello(msg, 0x06, 1u << 1 | 1u << 4 | 1u << 6));
    assert_true(raw_read_msg(&r, msg, sizeof msg, 2000) > 0);
    raw_write(&r, msg, make_header(msg, 4, OFPT_FEATURES_REQUEST, 8, 44));
    assert_true(raw_read_msg(&r, msg, sizeof msg, 2000) > 0);
    assert_int_equal(msg[1], OFPT_FEATURES_REPLY);
    assert_int_equal(msg[7], 44);

    /* Same connection: a 1.0 message after negotiation earns
     * BAD_REQUEST/BAD_VERSION but the connection stays. */
    raw_write(&r, msg, make_header(msg, 1, OFPT_ECHO_REQUEST, 8, 45));
    assert_true(raw_read_msg(&r, msg, sizeof msg, 2000) > 0);
    assert_int_equal(msg[1], OFPT_ERROR);
    assert_int_equal(msg[8] << 8 | msg[9], OFPET_BAD_REQUEST);
    assert_int_equal(msg[10] << 8 | msg[11], OFPBRC_BAD_VERSION);
    raw_write(&r, msg, make_header(msg, 4, OFPT_ECHO_REQUEST, 8, 46));
    assert_true(raw_read_msg(&r, msg, sizeof msg, 2000) > 0);
    assert_int_equal(msg[1], OFPT_ECHO_REPLY);

    /* A length below 8 loses framing: BAD_LEN, then close. */
    raw_write(&r, msg, make_header(msg, 4, OFPT_ECHO_REQUEST, 4, 47));
    assert_true(raw_read_msg(&r, msg, sizeof msg, 2000) > 0);
    assert_int_equal(msg[1], OFPT_ERROR);
    assert_int_equal(msg[8] << 8 | msg[9], OFPET_BAD_REQUEST);
    assert_int_equal(msg[10] << 8 | msg[11], OFPBRC_BAD_LEN);
    assert_int_equal(raw_read_msg(&r, msg, sizeof msg, 2000), 0);
    close(r.fd);

    /* A 1.3 peer without bitmap is fine too. */
    raw_connect(&r, port);
    raw_write(&r, msg, make_hello(msg, 0x04, 0));
    assert_true(raw_read_msg(&r, msg, sizeof msg, 2000) > 0);
    raw_write(&r, msg, make_header(msg, 4, OFPT_BARRIER_REQUEST, 8, 48));
    assert_true(raw_read_msg(&r, msg, sizeof msg, 2000) > 0);
    assert_int_equal(msg[1], OFPT_BARRIER_REPLY);
    close(r.fd);

    of_connmgr_destroy(mgr);
}

struct attempts_watch {
    struct of_connmgr *mgr;
    uint64_t last;
    int n;
    int64_t at[16];
};

static bool
attempts_reached(void *arg)
{
    struct attempts_watch *w = arg;
    struct of_connmgr_status st;
    if (mgr_status(w->mgr, "controller", &st) && st.attempts != w->last) {
        w->last = st.attempts;
        if (w->n < 16) {
            w->at[w->n] = evloop_now(loop);
        }
        w->n++;
    }
    return w->n >= 7;
}

static bool
listener_accepted_two(void *arg)
{
    return ((struct tlistener *) arg)->n_accepted >= 2;
}

/* The controller dies: the switch reconnects with backoff 20 -> 160 ms. */
static void
test_reconnect_backoff(void **state)
{
    (void) state;
    static struct peer p1, p2;
    struct tlistener l = { .peers = { &p1, &p2 } };
    char target[64];
    uint16_t port = tlistener_open(&l, "ptcp:0:127.0.0.1", NULL);
    snprintf(target, sizeof target, "tcp:127.0.0.1:%u", port);

    struct of_connmgr *mgr = mgr_create(0, 0);
    char err[128];
    assert_int_equal(of_connmgr_add(mgr, target, err, sizeof err), 0);
    assert_int_equal(of_connmgr_add(mgr, target, err, sizeof err), -EEXIST);
    assert_true(run_until(peer_is_established, &p1, 2000));

    /* Kill the controller's connection: the switch comes back after
     * about backoff_min. */
    int64_t killed = evloop_now(loop);
    peer_close(&p1);
    assert_true(run_until(listener_accepted_two, &l, 2000));
    int64_t gap = l.accepted_at[1] - killed;
    assert_true(gap >= 15);
    assert_true(gap < 1000);
    assert_true(run_until(peer_is_established, &p2, 2000));
    struct of_connmgr_status st;
    assert_true(mgr_status(mgr, "controller", &st));
    assert_int_equal(st.connects, 2);
    assert_true(log_contains("reconnecting in"));

    /* Now the controller is gone for good: attempts back off 20, 40, 80,
     * 160, 160 ms. */
    tlistener_close(&l);
    peer_close(&p2);
    struct attempts_watch w = { .mgr = mgr, .last = st.attempts };
    assert_true(run_until(attempts_reached, &w, 5000));
    for (int i = 1; i < 7; i++) {
        int64_t d = w.at[i] - w.at[i - 1];
        int64_t expect = 20 << (i < 4 ? i : 3);   /* 40, 80, 160, 160... */
        if (i == 1) {
            expect = 40;
        }
        if (expect > 160) {
            expect = 160;
        }
        /* The first gap follows the refused attempt after a good session
         * (backoff reset to 20, then doubled). Allow scheduling slack. */
        if (d < expect - 5 || d > expect + 100) {
            fail_msg("attempt %d after %lld ms, expected ~%lld", i,
                     (long long) d, (long long) expect);
        }
    }
    assert_true(mgr_status(mgr, "controller", &st));
    assert_int_equal(st.backoff_ms, 160);
    assert_int_equal(st.last_error, -ECONNREFUSED);
    of_connmgr_destroy(mgr);
}

static bool
raw_gone(void *arg)
{
    return ((struct of_connmgr *) arg) != NULL
           && of_connmgr_get_status(arg, NULL, 0) == 1;  /* listener only */
}

static void
test_echo_timeout(void **state)
{
    (void) state;
    struct of_connmgr *mgr = mgr_create(60, 0);
    uint16_t port = mgr_listen(mgr, "ptcp:0:127.0.0.1");
    static struct raw r;
    uint8_t msg[256];

    /* A peer that completes HELLO and then says nothing gets an ECHO
     * after the probe interval, and is dropped one interval later. */
    raw_handshake(&r, port);
    int64_t start = evloop_now(loop);
    assert_true(raw_read_msg(&r, msg, sizeof msg, 2000) > 0);
    assert_int_equal(msg[1], OFPT_ECHO_REQUEST);
    int64_t echo_at = evloop_now(loop);
    assert_true(echo_at - start >= 50);
    assert_int_equal(raw_read_msg(&r, msg, sizeof msg, 2000), 0);
    int64_t dropped_at = evloop_now(loop);
    assert_true(dropped_at - echo_at >= 50);
    assert_true(dropped_at - start < 1000);
    assert_true(run_until(raw_gone, mgr, 1000));
    assert_true(log_contains("no response to inactivity probe"));
    close(r.fd);

    /* A peer that connects but never sends HELLO is dropped after one
     * probe interval. */
    raw_connect(&r, port);
    start = evloop_now(loop);
    assert_true(raw_read_msg(&r, msg, sizeof msg, 2000) > 0);
    assert_int_equal(msg[1], OFPT_HELLO);
    assert_int_equal(raw_read_msg(&r, msg, sizeof msg, 2000), 0);
    assert_true(evloop_now(loop) - start >= 50);
    assert_true(log_contains("no HELLO from peer"));
    close(r.fd);

    /* A live peer (answers echoes) stays connected through many probes. */
    static struct peer p;
    char target[64];
    snprintf(target, sizeof target, "tcp:127.0.0.1:%u", port);
    peer_connect(&p, target, NULL);
    assert_true(run_until(peer_is_established, &p, 2000));
    run_for(400);
    assert_true(p.established);
    assert_int_equal(p.disconnects, 0);
    struct of_connmgr_status st;
    assert_true(mgr_status(mgr, "service", &st));
    assert_string_equal(st.state, "active");
    peer_close(&p);
    of_connmgr_destroy(mgr);
}

/* ---- TLS ---- */

static int
sh(const char *fmt, ...)
{
    char cmd[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    return system(cmd);
}

/* CA + switch and controller certificates it signed, plus a rogue CA and
 * a certificate signed by it. */
static bool
make_certs(void)
{
    const char *openssl = getenv("OPENSSL") ? getenv("OPENSSL") : "openssl";
    const char *subj[] = { "ca", "rogueca" };
    for (int i = 0; i < 2; i++) {
        if (sh("cd %s && %s req -x509 -newkey rsa:2048 -nodes -days 2 "
               "-subj /CN=%s -keyout %s.key -out %s.crt >/dev/null 2>&1",
               tmpdir, openssl, subj[i], subj[i], subj[i])) {
            return false;
        }
    }
    const struct { const char *name, *ca; } leaf[] = {
        { "switch", "ca" }, { "ctl", "ca" }, { "rogue", "rogueca" },
    };
    for (int i = 0; i < 3; i++) {
        if (sh("cd %s && %s req -newkey rsa:2048 -nodes -subj /CN=%s "
               "-keyout %s.key -out %s.csr >/dev/null 2>&1 && "
               "%s x509 -req -in %s.csr -CA %s.crt -CAkey %s.key "
               "-CAcreateserial -days 2 -out %s.crt >/dev/null 2>&1",
               tmpdir, openssl, leaf[i].name, leaf[i].name, leaf[i].name,
               openssl, leaf[i].name, leaf[i].ca, leaf[i].ca, leaf[i].name)) {
            return false;
        }
    }
    return true;
}

static struct of_ssl_ctx *
ssl_ctx(const char *ca, const char *leaf)
{
    char ca_file[320], cert[320], key[320];
    struct of_ssl_ctx *ctx;
    snprintf(ca_file, sizeof ca_file, "%s/%s.crt", tmpdir, ca);
    snprintf(cert, sizeof cert, "%s/%s.crt", tmpdir, leaf);
    snprintf(key, sizeof key, "%s/%s.key", tmpdir, leaf);
    assert_int_equal(of_ssl_ctx_create(ca_file, cert, key, &ctx), 0);
    return ctx;
}

static bool
peer_gave_up(void *arg)
{
    struct peer *p = arg;
    return p->disconnects > 0;
}

/* Tries a TLS handshake capped at TLS 1.1 against 127.0.0.1:port with
 * the controller's good certificate; returns true if it succeeded. */
static bool
old_tls_handshake(uint16_t port)
{
    char ca[320], cert[320], key[320];
    snprintf(ca, sizeof ca, "%s/ca.crt", tmpdir);
    snprintf(cert, sizeof cert, "%s/ctl.crt", tmpdir);
    snprintf(key, sizeof key, "%s/ctl.key", tmpdir);

    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    assert_non_null(ctx);
    /* Security level 0 lets this client offer TLS 1.1 at all. */
    SSL_CTX_set_security_level(ctx, 0);
    SSL_CTX_set_min_proto_version(ctx, TLS1_VERSION);
    SSL_CTX_set_max_proto_version(ctx, TLS1_1_VERSION);
    SSL_CTX_load_verify_locations(ctx, ca, NULL);
    SSL_CTX_use_certificate_file(ctx, cert, SSL_FILETYPE_PEM);
    SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM);

    static struct raw r;
    raw_connect(&r, port);
    SSL *ssl = SSL_new(ctx);
    SSL_set_fd(ssl, r.fd);
    bool ok = false;
    for (int64_t deadline = evloop_now(loop) + 2000;
         evloop_now(loop) < deadline;) {
        int ret = SSL_connect(ssl);
        if (ret == 1) {
            ok = true;
            break;
        }
        int e = SSL_get_error(ssl, ret);
        if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE
            && !(e == SSL_ERROR_SYSCALL && errno == ENOTCONN)) {
            break;
        }
        evloop_run_once(loop, 5);
    }
    run_for(30);
    SSL_free(ssl);
    SSL_CTX_free(ctx);
    close(r.fd);
    ERR_clear_error();
    return ok;
}

static void
test_tls(void **state)
{
    (void) state;
    if (!make_certs()) {
        fail_msg("cannot generate certificates with the openssl command");
    }
    char ca[320], cert[320], key[320], rogue_key[320];
    snprintf(ca, sizeof ca, "%s/ca.crt", tmpdir);
    snprintf(cert, sizeof cert, "%s/switch.crt", tmpdir);
    snprintf(key, sizeof key, "%s/switch.key", tmpdir);
    snprintf(rogue_key, sizeof rogue_key, "%s/rogue.key", tmpdir);

    struct of_connmgr *mgr = mgr_create(0, 0);
    char err[256];
    /* ssl targets need TLS configured first. */
    assert_int_equal(of_connmgr_add(mgr, "pssl:0:127.0.0.1", err, sizeof err),
                     -EINVAL);
    assert_non_null(strstr(err, "TLS"));
    /* A key that does not match the certificate is refused, loudly. */
    assert_int_equal(of_connmgr_set_ssl(mgr, ca, cert, rogue_key), -EINVAL);
    assert_true(log_contains("does not match the certificate"));
    assert_int_equal(of_connmgr_set_ssl(mgr, ca, cert, key), 0);
    uint16_t port = mgr_listen(mgr, "pssl:0:127.0.0.1");
    char target[64];
    snprintf(target, sizeof target, "ssl:127.0.0.1:%u", port);

    /* Good controller certificate: handshake, then OpenFlow works. */
    struct of_ssl_ctx *good = ssl_ctx("ca", "ctl");
    static struct peer p;
    peer_connect(&p, target, good);
    assert_true(run_until(peer_is_established, &p, 3000));
    struct of_msg msg;
    of_msg_init(&msg, OFPT_FEATURES_REQUEST, 70);
    const struct rec *r = peer_roundtrip(&p, &msg);
    assert_int_equal(r->type, OFPT_FEATURES_REPLY);
    assert_true(log_contains("connected (OpenFlow 1.3, TLS)"));
    peer_close(&p);

    /* A controller whose certificate a foreign CA signed is rejected and
     * the switch says why. */
    struct of_ssl_ctx *bad = ssl_ctx("ca", "rogue");
    peer_connect(&p, target, bad);
    assert_true(run_until(peer_gave_up, &p, 3000));
    assert_false(p.established);
    run_for(50);
    assert_true(log_contains("TLS handshake failed"));
    assert_true(log_contains("certificate verify failed"));
    peer_close(&p);

    /* TLS 1.1 is refused even with a good certificate. */
    assert_false(old_tls_handshake(port));
    assert_true(log_contains("unsupported protocol"));

    /* The other direction: the switch's controller target presents our
     * certificate to a controller with a rogue certificate; the switch
     * refuses it, naming the verification error. */
    static struct peer cp;
    struct tlistener l = { .peers = { &cp } };
    uint16_t cport = tlistener_open(&l, "pssl:0:127.0.0.1", bad);
    snprintf(target, sizeof target, "ssl:127.0.0.1:%u", cport);
    assert_int_equal(of_connmgr_add(mgr, target, err, sizeof err), 0);
    run_for(300);
    assert_false(cp.established);
    assert_true(log_contains("(peer certificate: unable to get local issuer "
                             "certificate)"));
    of_connmgr_destroy(mgr);
    if (cp.conn) {
        peer_close(&cp);
    }
    tlistener_close(&l);
    of_ssl_ctx_destroy(good);
    of_ssl_ctx_destroy(bad);
}

/* ---- roles ---- */

static void
test_roles_generation_ids(void **state)
{
    (void) state;
    struct of_connmgr *mgr = mgr_create(0, 0);
    uint16_t port = mgr_listen(mgr, "ptcp:0:127.0.0.1");
    char target[64];
    snprintf(target, sizeof target, "tcp:127.0.0.1:%u", port);
    static struct peer a, b;
    peer_connect(&a, target, NULL);
    peer_connect(&b, target, NULL);
    assert_true(run_until(peer_is_established, &a, 2000));
    assert_true(run_until(peer_is_established, &b, 2000));

    struct of_msg msg;
    const struct rec *r;
    /* A becomes MASTER with generation 10. */
    of_msg_init(&msg, OFPT_ROLE_REQUEST, 1);
    msg.role.role = OF_ROLE_MASTER;
    msg.role.generation_id = 10;
    r = peer_roundtrip(&a, &msg);
    assert_int_equal(r->type, OFPT_ROLE_REPLY);
    assert_int_equal(r->role, OF_ROLE_MASTER);
    assert_true(r->gen == 10);

    /* B takes over with 11: A is demoted to SLAVE. */
    msg.xid = 2;
    msg.role.generation_id = 11;
    r = peer_roundtrip(&b, &msg);
    assert_int_equal(r->role, OF_ROLE_MASTER);
    of_msg_init(&msg, OFPT_ROLE_REQUEST, 3);
    msg.role.role = OF_ROLE_NOCHANGE;
    r = peer_roundtrip(&a, &msg);
    assert_int_equal(r->type, OFPT_ROLE_REPLY);
    assert_int_equal(r->role, OF_ROLE_SLAVE);
    assert_true(r->gen == 11);

    /* A tries to come back with a stale id: ROLE_REQUEST_FAILED/STALE. */
    of_msg_init(&msg, OFPT_ROLE_REQUEST, 4);
    msg.role.role = OF_ROLE_MASTER;
    msg.role.generation_id = 9;
    r = peer_roundtrip(&a, &msg);
    assert_int_equal(r->type, OFPT_ERROR);
    assert_int_equal(r->xid, 4);
    assert_int_equal(r->err_type, OFPET_ROLE_REQUEST_FAILED);
    assert_int_equal(r->err_code, OFPRRFC_STALE);
    assert_true(log_contains("stale master request"));

    /* A SLAVE may not change state... */
    int before = a.n;
    peer_send_flow_mod(&a, 5);
    assert_true(peer_wait_n(&a, before + 1, 2000));
    assert_int_equal(a.recs[before].type, OFPT_ERROR);
    assert_int_equal(a.recs[before].err_type, OFPET_BAD_REQUEST);
    assert_int_equal(a.recs[before].err_code, OFPBRC_IS_SLAVE);
    assert_int_equal(sw.n_flow_mod, 0);
    /* ...but may read state. */
    of_msg_init(&msg, OFPT_MULTIPART_REQUEST, 6);
    msg.multipart.type = OFPMP_DESC;
    r = peer_roundtrip(&a, &msg);
    assert_int_equal(r->type, OFPT_MULTIPART_REPLY);

    /* The master may. */
    peer_send_flow_mod(&b, 7);
    peer_send_simple(&b, OFPT_BARRIER_REQUEST, 8);
    before = b.n;
    assert_true(peer_wait_n(&b, before + 1, 2000));
    assert_int_equal(b.recs[before].type, OFPT_BARRIER_REPLY);
    assert_int_equal(sw.n_flow_mod, 1);

    /* EQUAL ignores the generation id; a bad role value is BAD_ROLE. */
    of_msg_init(&msg, OFPT_ROLE_REQUEST, 9);
    msg.role.role = OF_ROLE_EQUAL;
    msg.role.generation_id = 0;
    r = peer_roundtrip(&a, &msg);
    assert_int_equal(r->role, OF_ROLE_EQUAL);
    msg.xid = 10;
    msg.role.role = 7;
    r = peer_roundtrip(&a, &msg);
    assert_int_equal(r->type, OFPT_ERROR);
    assert_int_equal(r->err_code, OFPRRFC_BAD_ROLE);

    /* Generation ids are compared as serial numbers (they wrap): step
     * forward by 2^62 three times (each newer), then 5 is newer still
     * than 11 + 3 * 2^62 although numerically smaller, and the old id is
     * then stale. */
    uint64_t gen = 11;
    for (uint32_t i = 0; i < 3; i++) {
        of_msg_init(&msg, OFPT_ROLE_REQUEST, 11 + i);
        msg.role.role = OF_ROLE_SLAVE;
        gen += 1ull << 62;
        msg.role.generation_id = gen;
        r = peer_roundtrip(&a, &msg);
        assert_int_equal(r->type, OFPT_ROLE_REPLY);
    }
    msg.xid = 14;
    msg.role.generation_id = 5;
    r = peer_roundtrip(&a, &msg);
    assert_int_equal(r->type, OFPT_ROLE_REPLY);
    assert_int_equal(r->role, OF_ROLE_SLAVE);
    assert_true(r->gen == 5);
    msg.xid = 15;
    msg.role.generation_id = gen;
    r = peer_roundtrip(&a, &msg);
    assert_int_equal(r->type, OFPT_ERROR);
    assert_int_equal(r->err_code, OFPRRFC_STALE);
    assert_true(sw.n_role_changes >= 4);

    peer_close(&a);
    peer_close(&b);
    of_connmgr_destroy(mgr);
}

/* ---- async filtering with two controllers ---- */

static int
count_type(const struct peer *p, uint8_t type, int from)
{
    int n = 0;
    for (int i = from; i < p->n; i++) {
        n += p->recs[i].type == type;
    }
    return n;
}

/* Sends a barrier and waits for its reply: everything before is done. */
static void
peer_sync(struct peer *p, uint32_t xid)
{
    peer_send_simple(p, OFPT_BARRIER_REQUEST, xid);
    for (int64_t deadline = evloop_now(loop) + 2000;;) {
        for (int i = 0; i < p->n; i++) {
            if (p->recs[i].type == OFPT_BARRIER_REPLY && p->recs[i].xid == xid) {
                return;
            }
        }
        assert_true(evloop_now(loop) < deadline);
        evloop_run_once(loop, 5);
    }
}

static void
test_async_two_controllers(void **state)
{
    (void) state;
    static struct peer a, b, svc;
    struct tlistener la = { .peers = { &a } }, lb = { .peers = { &b } };
    char ta[64], tb[64], tsvc[64];
    snprintf(ta, sizeof ta, "tcp:127.0.0.1:%u",
             tlistener_open(&la, "ptcp:0:127.0.0.1", NULL));
    snprintf(tb, sizeof tb, "tcp:127.0.0.1:%u",
             tlistener_open(&lb, "ptcp:0:127.0.0.1", NULL));

    struct of_connmgr *mgr = mgr_create(0, 0);
    const char *targets[] = { ta, tb, "ptcp:0:127.0.0.1" };
    char err[256];
    assert_int_equal(of_connmgr_set_targets(mgr, targets, 3, err, sizeof err), 0);
    snprintf(tsvc, sizeof tsvc, "tcp:127.0.0.1:%u",
             of_connmgr_listener_port(mgr, "ptcp:0:127.0.0.1"));
    peer_connect(&svc, tsvc, NULL);
    assert_true(run_until(peer_is_established, &a, 2000));
    assert_true(run_until(peer_is_established, &b, 2000));
    assert_true(run_until(peer_is_established, &svc, 2000));

    peer_send_role(&a, OF_ROLE_MASTER, 1, 1);
    peer_send_role(&b, OF_ROLE_SLAVE, 1, 1);
    peer_sync(&a, 2);
    peer_sync(&b, 2);
    assert_int_equal(of_connmgr_get_role(mgr, ta), OF_ROLE_MASTER);
    assert_int_equal(of_connmgr_get_role(mgr, tb), OF_ROLE_SLAVE);
    int a0 = a.n, b0 = b.n, s0 = svc.n;

    static const uint8_t frame[64] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
    struct of_packet_in pin = {
        .buffer_id = OFP_NO_BUFFER, .total_len = sizeof frame,
        .reason = OFPR_NO_MATCH, .data = { frame, sizeof frame },
    };
    struct of_port_status ps = { .reason = OFPPR_ADD };
    ps.desc.port_no = 3;
    snprintf(ps.desc.name, sizeof ps.desc.name, "p3");
    struct of_flow_removed fr = { .reason = OFPRR_IDLE_TIMEOUT, .priority = 1 };

    assert_int_equal(of_connmgr_send_packet_in(mgr, &pin), 1);     /* A */
    assert_int_equal(of_connmgr_send_port_status(mgr, &ps), 2);    /* A, B */
    assert_int_equal(of_connmgr_send_flow_removed(mgr, &fr), 1);   /* A */
    pin.reason = OFPR_INVALID_TTL;                                 /* off by default */
    assert_int_equal(of_connmgr_send_packet_in(mgr, &pin), 0);
    peer_sync(&a, 3);
    peer_sync(&b, 3);
    assert_int_equal(count_type(&a, OFPT_PACKET_IN, a0), 1);
    assert_int_equal(count_type(&a, OFPT_PORT_STATUS, a0), 1);
    assert_int_equal(count_type(&a, OFPT_FLOW_REMOVED, a0), 1);
    assert_int_equal(count_type(&b, OFPT_PACKET_IN, b0), 0);
    assert_int_equal(count_type(&b, OFPT_PORT_STATUS, b0), 1);
    assert_int_equal(count_type(&b, OFPT_FLOW_REMOVED, b0), 0);
    assert_int_equal(svc.n, s0);        /* service: nothing by default */

    /* The slave asks for table-miss packet-ins; the service connection
     * turns async messages on for itself. */
    struct of_msg msg;
    of_msg_init(&msg, OFPT_SET_ASYNC, 4);
    msg.async.packet_in_mask[0] = 1u << OFPR_NO_MATCH;
    msg.async.packet_in_mask[1] = 1u << OFPR_NO_MATCH;
    msg.async.port_status_mask[0] = msg.async.port_status_mask[1] = 0;
    peer_send(&b, &msg);
    peer_send(&svc, &msg);
    of_msg_init(&msg, OFPT_GET_ASYNC_REQUEST, 5);
    peer_send(&b, &msg);
    peer_sync(&b, 6);
    peer_sync(&svc, 6);
    assert_int_equal(count_type(&b, OFPT_GET_ASYNC_REPLY, b0), 1);
    for (int i = b0; i < b.n; i++) {
        if (b.recs[i].type == OFPT_GET_ASYNC_REPLY) {
            assert_int_equal(b.recs[i].pin_mask_slave, 1u << OFPR_NO_MATCH);
        }
    }
    a0 = a.n, b0 = b.n, s0 = svc.n;
    pin.reason = OFPR_NO_MATCH;
    assert_int_equal(of_connmgr_send_packet_in(mgr, &pin), 3);
    assert_int_equal(of_connmgr_send_port_status(mgr, &ps), 1);    /* A only */
    peer_sync(&a, 7);
    peer_sync(&b, 7);
    peer_sync(&svc, 7);
    assert_int_equal(count_type(&a, OFPT_PACKET_IN, a0), 1);
    assert_int_equal(count_type(&b, OFPT_PACKET_IN, b0), 1);
    assert_int_equal(count_type(&svc, OFPT_PACKET_IN, s0), 1);
    assert_int_equal(count_type(&b, OFPT_PORT_STATUS, b0), 0);

    /* Dropping a target from the set closes that controller only. */
    const char *fewer[] = { ta, "ptcp:0:127.0.0.1" };
    assert_int_equal(of_connmgr_set_targets(mgr, fewer, 2, err, sizeof err), 0);
    assert_true(run_until(peer_gave_up, &b, 2000));
    assert_int_equal(a.disconnects, 0);

    peer_close(&a);
    peer_close(&b);
    peer_close(&svc);
    of_connmgr_destroy(mgr);
    tlistener_close(&la);
    tlistener_close(&lb);
}

/* ---- barriers with asynchronous completion ---- */

static void
test_barrier_waits_for_pending(void **state)
{
    (void) state;
    struct of_connmgr *mgr = mgr_create(0, 0);
    uint16_t port = mgr_listen(mgr, "ptcp:0:127.0.0.1");
    char target[64];
    snprintf(target, sizeof target, "tcp:127.0.0.1:%u", port);
    static struct peer p;
    peer_connect(&p, target, NULL);
    assert_true(run_until(peer_is_established, &p, 2000));
    sw.pend_flow_mods = true;

    int n0 = p.n;
    peer_send_flow_mod(&p, 100);
    peer_send_flow_mod(&p, 101);
    peer_send_simple(&p, OFPT_BARRIER_REQUEST, 102);
    peer_send_simple(&p, OFPT_ECHO_REQUEST, 103);
    run_for(100);
    /* Nothing may come back: the flow mods are not in effect yet, and the
     * echo is behind the barrier. */
    assert_int_equal(p.n, n0);
    assert_int_equal(sw.n_flow_mod, 2);
    struct of_connmgr_status st;
    assert_true(mgr_status(mgr, "service", &st));
    assert_int_equal(st.pending_reqs, 2);

    /* The datapath confirms the second, rejects the first. */
    of_req_complete(sw.pending[1], NULL);
    run_for(30);
    assert_int_equal(p.n, n0);
    struct of_err err = { OFPET_FLOW_MOD_FAILED, 1 /* TABLE_FULL */ };
    of_req_complete(sw.pending[0], &err);
    assert_true(peer_wait_n(&p, n0 + 3, 2000));
    assert_int_equal(p.recs[n0].type, OFPT_ERROR);
    assert_int_equal(p.recs[n0].xid, 100);
    assert_int_equal(p.recs[n0].err_type, OFPET_FLOW_MOD_FAILED);
    assert_int_equal(p.recs[n0 + 1].type, OFPT_BARRIER_REPLY);
    assert_int_equal(p.recs[n0 + 1].xid, 102);
    assert_int_equal(p.recs[n0 + 2].type, OFPT_ECHO_REPLY);
    assert_int_equal(p.recs[n0 + 2].xid, 103);

    /* A barrier with nothing pending is answered at once. */
    peer_sync(&p, 104);

    /* A request may outlive its connection. */
    sw.n_pending = 0;
    peer_send_flow_mod(&p, 105);
    peer_send_simple(&p, OFPT_BARRIER_REQUEST, 106);
    run_for(50);
    assert_int_equal(sw.n_pending, 1);
    peer_close(&p);
    run_for(50);
    of_req_complete(sw.pending[0], NULL);
    of_connmgr_destroy(mgr);
}

/* ---- split multipart requests (spec 7.3.5) ---- */

static struct of_connmgr *
mp_setup(struct peer *p)
{
    struct of_connmgr *mgr = mgr_create(0, 0);
    uint16_t port = mgr_listen(mgr, "ptcp:0:127.0.0.1");
    char target[64];
    snprintf(target, sizeof target, "tcp:127.0.0.1:%u", port);
    peer_connect(p, target, NULL);
    assert_true(run_until(peer_is_established, p, 2000));
    return mgr;
}

/* The text the fake bridge must have seen for 'r' (whole, MORE clear). */
static void
expect_delivered(const struct tf_req *r, int nth)
{
    static char expect[16384];
    int len = of_msg_format(&r->msg, expect, sizeof expect);
    int slot = nth % SW_MP_KEEP;
    assert_int_equal(sw.mp_flags[slot], 0);
    assert_int_equal(sw.mp_text_len[slot], len);
    assert_string_equal(sw.mp_text[slot], expect);  /* truncated alike */
}

static void
test_mp_split_reassembly(void **state)
{
    (void) state;
    static struct peer p;
    struct of_connmgr *mgr = mp_setup(&p);
    struct of_connmgr_status st;
    struct of_buf a_buf, c_buf;
    size_t a_off[8], c_off[8];

    /* 1. Three parts: nothing reaches the bridge until the last. */
    struct tf_req a;
    tf_build(&a, 200, 6, 5);
    assert_int_equal(tf_split(&a, 2, &a_buf, a_off, 8), 3);
    int n0 = p.n;
    send_part(&p, &a_buf, a_off, 0);
    send_part(&p, &a_buf, a_off, 1);
    run_for(50);
    assert_int_equal(sw.n_multipart, 0);
    assert_int_equal(p.n, n0);
    assert_true(mgr_status(mgr, "service", &st));
    assert_int_equal(st.partial_reqs, 1);
    assert_true(st.partial_bytes >= a_off[2]);
    send_part(&p, &a_buf, a_off, 2);
    int i = wait_rec(&p, OFPT_MULTIPART_REPLY, 200, n0);
    assert_int_equal(p.recs[i].mp_type, OFPMP_TABLE_FEATURES);
    assert_int_equal(sw.n_multipart, 1);
    expect_delivered(&a, 0);
    peer_sync(&p, 201);
    assert_int_equal(count_type(&p, OFPT_ERROR, n0), 0);
    assert_int_equal(count_type(&p, OFPT_MULTIPART_REPLY, n0), 1);
    assert_true(mgr_status(mgr, "service", &st));
    assert_int_equal(st.partial_reqs, 0);
    assert_int_equal(st.partial_bytes, 0);

    /* 2. Two split requests interleaved, and a one-part request between
     * them: each is answered when it is whole, in that order. */
    struct tf_req c;
    a.msg.xid = 210;
    of_buf_uninit(&a_buf);
    assert_int_equal(tf_split(&a, 2, &a_buf, a_off, 8), 3);
    tf_build(&c, 220, 9, 7);
    assert_int_equal(tf_split(&c, 3, &c_buf, c_off, 8), 3);
    n0 = p.n;
    send_part(&p, &a_buf, a_off, 0);
    send_part(&p, &c_buf, c_off, 0);
    send_mp_simple(&p, OFPMP_DESC, 0, 215);
    send_part(&p, &a_buf, a_off, 1);
    send_part(&p, &c_buf, c_off, 1);
    send_part(&p, &c_buf, c_off, 2);
    send_part(&p, &a_buf, a_off, 2);
    int i_desc = wait_rec(&p, OFPT_MULTIPART_REPLY, 215, n0);
    int i_c = wait_rec(&p, OFPT_MULTIPART_REPLY, 220, n0);
    int i_a = wait_rec(&p, OFPT_MULTIPART_REPLY, 210, n0);
    assert_true(i_desc < i_c && i_c < i_a);
    assert_int_equal(sw.n_multipart, 4);
    expect_delivered(&c, 2);
    expect_delivered(&a, 3);

    /* 3. A request too big for one message, split by the sender's
     * encoder at 64 KiB, arrives whole. */
    struct tf_req big;
    tf_build(&big, 230, 400, 250);
    peer_send(&p, &big.msg);
    wait_rec(&p, OFPT_MULTIPART_REPLY, 230, n0);
    assert_int_equal(sw.n_multipart, 5);
    expect_delivered(&big, 4);
    peer_sync(&p, 231);
    assert_int_equal(count_type(&p, OFPT_ERROR, n0), 0);

    tf_free(&a);
    tf_free(&c);
    tf_free(&big);
    of_buf_uninit(&a_buf);
    of_buf_uninit(&c_buf);
    peer_close(&p);
    of_connmgr_destroy(mgr);
}

/* The errors of request 'xid' from 'from' on. */
static int
count_errors(const struct peer *p, uint32_t xid, uint16_t code, int from)
{
    int n = 0;
    for (int i = from; i < p->n; i++) {
        n += p->recs[i].type == OFPT_ERROR && p->recs[i].xid == xid
             && p->recs[i].err_type == OFPET_BAD_REQUEST
             && p->recs[i].err_code == code;
    }
    return n;
}

static void
test_mp_split_errors(void **state)
{
    (void) state;
    static struct peer p;
    struct of_connmgr *mgr = mp_setup(&p);
    struct of_connmgr_status st;
    struct tf_req r;
    struct of_buf buf;
    size_t off[8];
    tf_build(&r, 300, 6, 5);
    assert_int_equal(tf_split(&r, 2, &buf, off, 8), 3);

    /* A part of another multipart type: one BAD_MULTIPART, and the rest
     * of the failed request is dropped, not taken for a request. */
    int n0 = p.n;
    send_part(&p, &buf, off, 0);
    send_mp_simple(&p, OFPMP_DESC, OFPMPF_REQ_MORE, 300);
    send_part(&p, &buf, off, 1);
    send_part(&p, &buf, off, 2);
    peer_sync(&p, 301);
    assert_int_equal(count_errors(&p, 300, OFPBRC_BAD_MULTIPART, n0), 1);
    assert_int_equal(p.n, n0 + 2);
    assert_int_equal(sw.n_multipart, 0);
    assert_true(mgr_status(mgr, "service", &st));
    assert_int_equal(st.partial_reqs, 0);

    /* A mismatching last part ends the request there. */
    n0 = p.n;
    send_part(&p, &buf, off, 0);                /* xid 300 again */
    send_mp_simple(&p, OFPMP_DESC, 0, 300);
    peer_sync(&p, 302);
    assert_int_equal(count_errors(&p, 300, OFPBRC_BAD_MULTIPART, n0), 1);
    assert_int_equal(p.n, n0 + 2);
    assert_int_equal(sw.n_multipart, 0);

    /* REQ_MORE on a body that is not a list cannot be assembled. */
    n0 = p.n;
    send_mp_simple(&p, OFPMP_FLOW, OFPMPF_REQ_MORE, 310);
    send_mp_simple(&p, OFPMP_FLOW, 0, 310);
    send_mp_simple(&p, OFPMP_DESC, 0, 311);     /* unaffected */
    peer_sync(&p, 312);
    assert_int_equal(count_errors(&p, 310, OFPBRC_BAD_MULTIPART, n0), 1);
    assert_int_equal(p.n, n0 + 3);
    assert_int_equal(sw.n_multipart, 1);
    wait_rec(&p, OFPT_MULTIPART_REPLY, 311, n0);

    /* A SLAVE's TABLE_FEATURES set is refused once, when whole. */
    n0 = p.n;
    peer_send_role(&p, OF_ROLE_SLAVE, 1, 320);
    r.msg.xid = 321;
    of_buf_uninit(&buf);
    assert_int_equal(tf_split(&r, 2, &buf, off, 8), 3);
    for (int i = 0; i < 3; i++) {
        send_part(&p, &buf, off, i);
    }
    peer_sync(&p, 322);
    assert_int_equal(count_errors(&p, 321, OFPBRC_IS_SLAVE, n0), 1);
    assert_int_equal(p.n, n0 + 3);
    assert_int_equal(sw.n_multipart, 1);

    tf_free(&r);
    of_buf_uninit(&buf);
    peer_close(&p);
    of_connmgr_destroy(mgr);
}

static void
test_mp_split_overflow(void **state)
{
    (void) state;
    static struct peer p;
    struct of_connmgr *mgr = mp_setup(&p);
    struct of_connmgr_status st;
    enum { MAX_PENDING = 8 };
    struct tf_req r[MAX_PENDING + 1];
    struct of_buf buf[MAX_PENDING + 1];
    size_t off[MAX_PENDING + 1][8];

    /* 1. Eight requests may be in assembly at once; a ninth fails with
     * MULTIPART_BUFFER_OVERFLOW (its other parts are dropped) and does
     * not disturb the eight. */
    int n0 = p.n;
    for (int i = 0; i <= MAX_PENDING; i++) {
        tf_build(&r[i], 400 + (uint32_t) i, 6, 5);
        assert_int_equal(tf_split(&r[i], 2, &buf[i], off[i], 8), 3);
        send_part(&p, &buf[i], off[i], 0);
    }
    peer_sync(&p, 420);
    assert_int_equal(count_errors(&p, 400 + MAX_PENDING,
                                  OFPBRC_MULTIPART_BUFFER_OVERFLOW, n0), 1);
    assert_int_equal(p.n, n0 + 2);
    assert_true(mgr_status(mgr, "service", &st));
    assert_int_equal(st.partial_reqs, MAX_PENDING);
    for (int part = 1; part < 3; part++) {
        for (int i = MAX_PENDING; i >= 0; i--) {
            send_part(&p, &buf[i], off[i], part);
        }
    }
    peer_sync(&p, 421);
    assert_int_equal(count_type(&p, OFPT_MULTIPART_REPLY, n0), MAX_PENDING);
    assert_int_equal(count_type(&p, OFPT_ERROR, n0), 1);
    assert_int_equal(sw.n_multipart, MAX_PENDING);
    for (int i = 0; i < SW_MP_KEEP; i++) {
        /* Completed in reverse order: request i came (7 - i)th. */
        expect_delivered(&r[i], MAX_PENDING - 1 - i);
    }
    for (int i = 0; i <= MAX_PENDING; i++) {
        tf_free(&r[i]);
        of_buf_uninit(&buf[i]);
    }
    assert_true(mgr_status(mgr, "service", &st));
    assert_int_equal(st.partial_reqs, 0);
    assert_int_equal(st.partial_bytes, 0);

    /* 2. Bytes: about 870 kB of parts fit under the 1 MiB bound... */
    struct tf_req big;
    n0 = p.n;
    tf_build(&big, 500, 2600, 250);
    peer_send(&p, &big.msg);
    wait_rec(&p, OFPT_MULTIPART_REPLY, 500, n0);
    assert_int_equal(sw.n_multipart, MAX_PENDING + 1);
    tf_free(&big);

    /* ...about 1.3 MB do not: one error, the rest is dropped, and the
     * connection goes on. */
    tf_build(&big, 501, 3900, 250);
    peer_send(&p, &big.msg);
    send_mp_simple(&p, OFPMP_DESC, 0, 502);
    wait_rec(&p, OFPT_MULTIPART_REPLY, 502, n0);
    assert_int_equal(count_errors(&p, 501, OFPBRC_MULTIPART_BUFFER_OVERFLOW,
                                  n0), 1);
    assert_int_equal(count_type(&p, OFPT_ERROR, n0), 1);
    assert_int_equal(sw.n_multipart, MAX_PENDING + 2);
    assert_true(mgr_status(mgr, "service", &st));
    assert_int_equal(st.partial_reqs, 0);
    assert_int_equal(st.partial_bytes, 0);
    assert_true(log_contains("MULTIPART_BUFFER_OVERFLOW"));
    tf_free(&big);

    peer_close(&p);
    of_connmgr_destroy(mgr);
}

static bool
no_service(void *mgr)
{
    struct of_connmgr_status st;
    return !mgr_status(mgr, "service", &st);
}

static bool
controller_partials_freed(void *mgr)
{
    struct of_connmgr_status st;
    return mgr_status(mgr, "controller", &st) && strcmp(st.state, "active")
           && st.partial_reqs == 0 && st.partial_bytes == 0;
}

/* Parts held when a connection goes are freed (ASan reports leaks). */
static void
test_mp_split_close_pending(void **state)
{
    (void) state;
    static struct peer p, ctl;
    struct of_connmgr *mgr = mp_setup(&p);
    struct of_connmgr_status st;
    struct tf_req r;
    struct of_buf buf, buf2;
    size_t off[8], off2[8];
    tf_build(&r, 600, 6, 5);
    assert_int_equal(tf_split(&r, 2, &buf, off, 8), 3);
    r.msg.xid = 601;
    assert_int_equal(tf_split(&r, 2, &buf2, off2, 8), 3);

    /* 1. A service connection closes with two requests half-received. */
    send_part(&p, &buf, off, 0);
    send_part(&p, &buf, off, 1);
    send_mp_simple(&p, OFPMP_DESC, 0, 602);     /* answered meanwhile */
    send_part(&p, &buf2, off2, 0);
    peer_sync(&p, 603);
    assert_true(mgr_status(mgr, "service", &st));
    assert_int_equal(st.partial_reqs, 2);
    assert_true(st.partial_bytes > 0);
    peer_close(&p);
    assert_true(run_until(no_service, mgr, 2000));
    assert_int_equal(sw.n_multipart, 1);

    /* 2. A controller connection (kept, reconnecting) drops its parts
     * when the session ends. */
    struct tlistener l = { .peers = { &ctl } };
    char target[64], err[128];
    snprintf(target, sizeof target, "tcp:127.0.0.1:%u",
             tlistener_open(&l, "ptcp:0:127.0.0.1", NULL));
    assert_int_equal(of_connmgr_add(mgr, target, err, sizeof err), 0);
    assert_true(run_until(peer_is_established, &ctl, 2000));
    send_part(&ctl, &buf, off, 0);
    peer_sync(&ctl, 610);
    assert_true(mgr_status(mgr, "controller", &st));
    assert_int_equal(st.partial_reqs, 1);
    peer_close(&ctl);
    tlistener_close(&l);
    assert_true(run_until(controller_partials_freed, mgr, 2000));
    assert_int_equal(of_connmgr_remove(mgr, target), 0);

    /* 3. The manager goes away with parts held. */
    uint16_t port = of_connmgr_listener_port(mgr, "ptcp:0:127.0.0.1");
    snprintf(target, sizeof target, "tcp:127.0.0.1:%u", port);
    peer_connect(&p, target, NULL);
    assert_true(run_until(peer_is_established, &p, 2000));
    send_part(&p, &buf, off, 0);
    peer_sync(&p, 620);
    assert_true(mgr_status(mgr, "service", &st));
    assert_int_equal(st.partial_reqs, 1);
    of_connmgr_destroy(mgr);
    peer_close(&p);
    run_for(20);

    tf_free(&r);
    of_buf_uninit(&buf);
    of_buf_uninit(&buf2);
}

/* A barrier waits for the complete requests before it, not for an
 * incomplete one (whose last part comes after the barrier). */
static void
test_mp_split_barrier(void **state)
{
    (void) state;
    static struct peer p;
    struct of_connmgr *mgr = mp_setup(&p);
    struct tf_req r;
    struct of_buf buf;
    size_t off[8];
    tf_build(&r, 701, 6, 5);
    assert_int_equal(tf_split(&r, 2, &buf, off, 8), 3);
    sw.pend_flow_mods = true;

    /* FLOW_MOD (pending), two parts, BARRIER, last part, ECHO: the
     * barrier is answered when the flow mod completes; the request is
     * processed after the barrier, then the echo. */
    int n0 = p.n;
    peer_send_flow_mod(&p, 700);
    send_part(&p, &buf, off, 0);
    send_part(&p, &buf, off, 1);
    peer_send_simple(&p, OFPT_BARRIER_REQUEST, 702);
    send_part(&p, &buf, off, 2);
    peer_send_simple(&p, OFPT_ECHO_REQUEST, 703);
    run_for(100);
    assert_int_equal(p.n, n0);
    assert_int_equal(sw.n_multipart, 0);
    struct of_connmgr_status st;
    assert_true(mgr_status(mgr, "service", &st));
    assert_int_equal(st.pending_reqs, 1);
    assert_int_equal(st.partial_reqs, 1);
    of_req_complete(sw.pending[0], NULL);
    assert_true(peer_wait_n(&p, n0 + 3, 2000));
    assert_int_equal(p.recs[n0].type, OFPT_BARRIER_REPLY);
    assert_int_equal(p.recs[n0].xid, 702);
    assert_int_equal(p.recs[n0 + 1].type, OFPT_MULTIPART_REPLY);
    assert_int_equal(p.recs[n0 + 1].xid, 701);
    assert_int_equal(p.recs[n0 + 2].type, OFPT_ECHO_REPLY);
    assert_int_equal(sw.n_multipart, 1);
    expect_delivered(&r, 0);

    /* With only an incomplete request before it, the barrier is answered
     * at once (waiting would deadlock: the rest is behind it). */
    n0 = p.n;
    r.msg.xid = 710;
    of_buf_uninit(&buf);
    assert_int_equal(tf_split(&r, 2, &buf, off, 8), 3);
    send_part(&p, &buf, off, 0);
    peer_send_simple(&p, OFPT_BARRIER_REQUEST, 711);
    assert_int_equal(wait_rec(&p, OFPT_BARRIER_REPLY, 711, n0), n0);
    assert_int_equal(sw.n_multipart, 1);
    send_part(&p, &buf, off, 1);
    send_part(&p, &buf, off, 2);
    assert_int_equal(wait_rec(&p, OFPT_MULTIPART_REPLY, 710, n0), n0 + 1);
    expect_delivered(&r, 1);

    tf_free(&r);
    of_buf_uninit(&buf);
    peer_close(&p);
    of_connmgr_destroy(mgr);
}

/* ---- bounded send queues ---- */

struct raw_listener {
    int fd;
};

static bool
status_active(void *arg)
{
    struct of_connmgr_status st;
    return mgr_status(arg, "controller", &st) && !strcmp(st.state, "active");
}

static void
test_slow_reader_bounded_queue(void **state)
{
    (void) state;
    enum { BOUND = 32 };
    struct of_connmgr *mgr = mgr_create(0, BOUND);
    static struct raw r;
    uint8_t msg[256];

    /* 1. A controller that never reads, flooded with packet-ins: the
     * queue stays within its bound and the excess is dropped, counted. */
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sin = { .sin_family = AF_INET };
    inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
    socklen_t slen = sizeof sin;
    assert_int_equal(bind(lfd, (struct sockaddr *) &sin, sizeof sin), 0);
    assert_int_equal(listen(lfd, 4), 0);
    assert_int_equal(getsockname(lfd, (struct sockaddr *) &sin, &slen), 0);
    char target[64], err[128];
    snprintf(target, sizeof target, "tcp:127.0.0.1:%u", ntohs(sin.sin_port));
    assert_int_equal(of_connmgr_add(mgr, target, err, sizeof err), 0);
    run_for(50);
    r.fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
    assert_true(r.fd >= 0);
    r.len = 0;
    int small = 4096;
    setsockopt(r.fd, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
    assert_true(raw_read_msg(&r, msg, sizeof msg, 2000) > 0);
    raw_write(&r, msg, make_hello(msg, 4, 1u << 4));
    assert_true(run_until(status_active, mgr, 2000));

    static uint8_t frame[1400];
    struct of_packet_in pin = {
        .buffer_id = OFP_NO_BUFFER, .total_len = sizeof frame,
        .reason = OFPR_NO_MATCH, .data = { frame, sizeof frame },
    };
    int sent = 0;
    for (int i = 0; i < 20000; i++) {
        sent += of_connmgr_send_packet_in(mgr, &pin);
        if (i % 100 == 0) {
            evloop_run_once(loop, 0);
        }
    }
    struct of_connmgr_status st;
    assert_true(mgr_status(mgr, "controller", &st));
    assert_true(st.queue_msgs_max <= BOUND);
    assert_true(st.queue_msgs <= BOUND);
    assert_true(st.async_dropped > 0);
    assert_int_equal(st.async_dropped, 20000 - (uint64_t) sent);
    assert_true(st.queue_full > 0);
    close(r.fd);
    close(lfd);
    assert_int_equal(of_connmgr_remove(mgr, target), 0);

    /* 2. A management client that sends requests but does not read the
     * replies: replies are never dropped; the switch stops reading from it
     * instead, so the queue stays near its bound. Once the client reads,
     * every reply arrives. */
    uint16_t port = mgr_listen(mgr, "ptcp:0:127.0.0.1");
    r.len = 0;
    raw_rcvbuf = small;
    raw_connect(&r, port);
    raw_rcvbuf = 0;
    assert_true(raw_read_msg(&r, msg, sizeof msg, 2000) > 0);
    raw_write(&r, msg, make_hello(msg, 4, 1u << 4));

    enum { ECHO_LEN = 60000 };
    static uint8_t echo[ECHO_LEN];
    int n_sent = 0;
    size_t off = 0;
    int64_t until = evloop_now(loop) + 1500;
    while (evloop_now(loop) < until) {
        if (off == 0) {
            make_header(echo, 4, OFPT_ECHO_REQUEST, ECHO_LEN, (uint32_t) n_sent);
        }
        ssize_t n = send(r.fd, echo + off, ECHO_LEN - off, MSG_NOSIGNAL);
        if (n > 0) {
            off += (size_t) n;
            if (off == ECHO_LEN) {
                off = 0;
                n_sent++;
            }
        } else {
            evloop_run_once(loop, 5);
        }
    }
    assert_true(mgr_status(mgr, "service", &st));
    print_message("slow reader: %s, rx %llu tx %llu, %d echo requests "
                  "sent, queue max %u, backpressure %llu\n", st.state,
                  (unsigned long long) st.rx_msgs,
                  (unsigned long long) st.tx_msgs, n_sent, st.queue_msgs_max,
                  (unsigned long long) st.backpressure);
    assert_true(st.backpressure > 0);
    assert_true(st.queue_msgs_max <= BOUND);
    assert_int_equal(st.async_dropped, 0);

    /* Now read: finish the partial request on the way, and expect a reply
     * for every request. */
    static uint8_t big[ECHO_LEN];
    int n_replies = 0;
    int64_t deadline = evloop_now(loop) + 10000;
    while (off || n_replies < n_sent) {
        assert_true(evloop_now(loop) < deadline);
        if (off) {
            ssize_t n = send(r.fd, echo + off, ECHO_LEN - off, MSG_NOSIGNAL);
            if (n > 0 && (off += (size_t) n) == ECHO_LEN) {
                off = 0;
                n_sent++;
            }
        }
        evloop_run_once(loop, 1);
        int n = raw_read_msg(&r, big, sizeof big, 0);
        if (n > 0) {
            assert_int_equal(big[1], OFPT_ECHO_REPLY);
            assert_int_equal(n, ECHO_LEN);
            n_replies++;
        } else if (n == 0) {
            fail_msg("switch closed after %d of %d replies", n_replies, n_sent);
        }
    }
    assert_true(mgr_status(mgr, "service", &st));
    assert_true(st.queue_msgs_max <= BOUND);
    close(r.fd);
    of_connmgr_destroy(mgr);
}

/* ------------------------------------------------------------------ */

static int
setup(void **state)
{
    (void) state;
    snprintf(tmpdir, sizeof tmpdir, "/tmp/test_ofconn.XXXXXX");
    if (!mkdtemp(tmpdir)) {
        return -1;
    }
    snprintf(log_path, sizeof log_path, "%s/test.log", tmpdir);
    vlog_set_file(log_path);
    vlog_set_level(VLL_INFO);
    loop = evloop_create();
    return loop ? 0 : -1;
}

static int
teardown(void **state)
{
    (void) state;
    evloop_destroy(loop);
    if (!getenv("OFCONN_KEEP_TMP")) {
        sh("rm -rf %s", tmpdir);
    }
    return 0;
}

int
main(int argc, char *argv[])
{
    if (argc > 1) {
        cmocka_set_test_filter(argv[1]);    /* e.g. "test_tls" */
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_target_parse),
        cmocka_unit_test(test_handshake_features_echo),
        cmocka_unit_test(test_version_negotiation),
        cmocka_unit_test(test_reconnect_backoff),
        cmocka_unit_test(test_echo_timeout),
        cmocka_unit_test(test_tls),
        cmocka_unit_test(test_roles_generation_ids),
        cmocka_unit_test(test_async_two_controllers),
        cmocka_unit_test(test_barrier_waits_for_pending),
        cmocka_unit_test(test_slow_reader_bounded_queue),
        cmocka_unit_test(test_mp_split_reassembly),
        cmocka_unit_test(test_mp_split_errors),
        cmocka_unit_test(test_mp_split_overflow),
        cmocka_unit_test(test_mp_split_close_pending),
        cmocka_unit_test(test_mp_split_barrier),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
