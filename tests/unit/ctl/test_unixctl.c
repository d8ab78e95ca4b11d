/*
 * test_unixctl.c — unit tests of the JSON-RPC layer (ctl/unixctl.c and
 * ctl/rpc_client.c): line framing with split and merged messages, error
 * replies for bad requests, and the non-blocking server over a real unix
 * socket with many clients. Single-threaded: the test pumps the server
 * between client writes and reads.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl/rpc_client.h"
#include "ctl/unixctl.h"

/* ---- framing ------------------------------------------------------------ */

static void
test_framer_split_and_merged(void **state)
{
    (void) state;
    struct ctl_line_framer f;
    ctl_line_framer_init(&f, 100);
    char *line;
    assert_int_equal(ctl_line_framer_feed(&f, "{\"a\":", 5), 0);
    assert_int_equal(ctl_line_framer_next(&f, &line), 0);
    assert_int_equal(ctl_line_framer_feed(&f, "1}\n{\"b\":2}\r\n{\"c\"", 16),
                     0);
    assert_int_equal(ctl_line_framer_next(&f, &line), 1);
    assert_string_equal(line, "{\"a\":1}");
    free(line);
    assert_int_equal(ctl_line_framer_next(&f, &line), 1);
    assert_string_equal(line, "{\"b\":2}");
    free(line);
    assert_int_equal(ctl_line_framer_next(&f, &line), 0);
    assert_int_equal(ctl_line_framer_feed(&f, ":3}\n", 4), 0);
    assert_int_equal(ctl_line_framer_next(&f, &line), 1);
    assert_string_equal(line, "{\"c\":3}");
    free(line);
    ctl_line_framer_destroy(&f);
}

static void
test_framer_overflow(void **state)
{
    (void) state;
    struct ctl_line_framer f;
    ctl_line_framer_init(&f, 10);
    assert_int_equal(ctl_line_framer_feed(&f, "0123456789", 10), 0);
    assert_int_equal(ctl_line_framer_feed(&f, "x", 1), -EMSGSIZE);
    assert_int_equal(ctl_line_framer_feed(&f, "\n", 1), -EMSGSIZE);
    ctl_line_framer_destroy(&f);

    /* Complete lines do not count against the limit of the next one. */
    ctl_line_framer_init(&f, 10);
    assert_int_equal(ctl_line_framer_feed(&f, "0123456789\n0123456789", 21),
                     0);
    ctl_line_framer_destroy(&f);
}

/* ---- dispatch ----------------------------------------------------------- */

static int
cmd_echo(int argc, const char *const argv[], void *aux, json_t **result,
         char *err, size_t errlen)
{
    (void) aux; (void) err; (void) errlen;
    *result = json_array();
    for (int i = 0; i < argc; i++) {
        json_array_append_new(*result, json_string(argv[i]));
    }
    return 0;
}

static int
cmd_fail(int argc, const char *const argv[], void *aux, json_t **result,
         char *err, size_t errlen)
{
    (void) argc; (void) argv; (void) aux; (void) result;
    snprintf(err, errlen, "unknown bridge 'brX'");
    return -ENOENT;
}

static int
setup_commands(void **state)
{
    (void) state;
    ctl_command_register("echo", "[ARG]...", 0, 3, cmd_echo, NULL);
    ctl_command_register("fail", "", 0, 0, cmd_fail, NULL);
    ctl_command_register("two", "A B", 2, 2, cmd_echo, NULL);
    return 0;
}

static int
teardown_commands(void **state)
{
    (void) state;
    ctl_command_unregister_all();
    return 0;
}

static json_t *
handle(const char *line)
{
    char *reply = ctl_rpc_handle_line(line);
    if (!reply) {
        return NULL;
    }
    json_t *j = json_loads(reply, 0, NULL);
    assert_non_null(j);
    assert_null(strchr(reply, '\n'));
    free(reply);
    return j;
}

static void
assert_error(json_t *reply, int code, const char *substring)
{
    json_t *error = json_object_get(reply, "error");
    assert_non_null(error);
    assert_int_equal(json_integer_value(json_object_get(error, "code")),
                     code);
    const char *msg = json_string_value(json_object_get(error, "message"));
    assert_non_null(msg);
    if (!strstr(msg, substring)) {
        fail_msg("message '%s' lacks '%s'", msg, substring);
    }
    json_decref(reply);
}

static void
test_dispatch_ok(void **state)
{
    (void) state;
    json_t *r = handle("{\"jsonrpc\":\"2.0\",\"method\":\"echo\","
                       "\"params\":[\"a\",\"b\"],\"id\":7}");
    assert_int_equal(json_integer_value(json_object_get(r, "id")), 7);
    json_t *expect = json_pack("[ss]", "a", "b");
    assert_true(json_equal(json_object_get(r, "result"), expect));
    json_decref(expect);
    json_decref(r);

    r = handle("{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"id\":\"x\"}");
    assert_string_equal(json_string_value(json_object_get(r, "id")), "x");
    json_decref(r);

    /* A notification (no id) gets no reply. */
    assert_null(handle("{\"jsonrpc\":\"2.0\",\"method\":\"echo\"}"));
}

static void
test_dispatch_errors(void **state)
{
    (void) state;
    assert_error(handle("{\"method\": \"echo\", "), CTL_RPC_PARSE_ERROR,
                 "not valid JSON");
    assert_error(handle("[1,2,3]"), CTL_RPC_INVALID_REQUEST, "object");
    assert_error(handle("{\"id\":1}"), CTL_RPC_INVALID_REQUEST, "method");
    assert_error(handle("{\"method\":\"nope\",\"id\":1}"),
                 CTL_RPC_METHOD_NOT_FOUND, "unknown command 'nope'");
    assert_error(handle("{\"method\":\"two\",\"params\":[\"a\"],\"id\":1}"),
                 CTL_RPC_INVALID_PARAMS, "takes 2 arguments, got 1");
    assert_error(handle("{\"method\":\"echo\",\"params\":[\"1\",\"2\",\"3\","
                        "\"4\"],\"id\":1}"),
                 CTL_RPC_INVALID_PARAMS, "at most 3");
    assert_error(handle("{\"method\":\"echo\",\"params\":[1],\"id\":1}"),
                 CTL_RPC_INVALID_PARAMS, "not a string");
    assert_error(handle("{\"method\":\"echo\",\"params\":{},\"id\":1}"),
                 CTL_RPC_INVALID_PARAMS, "array");
    assert_error(handle("{\"method\":\"fail\",\"id\":1}"),
                 CTL_RPC_COMMAND_FAILED, "unknown bridge 'brX'");
    assert_error(handle("{\"method\":\"echo\",\"id\":[1]}"),
                 CTL_RPC_INVALID_REQUEST, "id");
    assert_error(handle("\"just a string\""), CTL_RPC_INVALID_REQUEST,
                 "object");
}

/* ---- server over a socket ----------------------------------------------- */

struct server_fixture {
    char dir[64];
    char path[128];
    struct ctl_unixctl *server;
};

static int
setup_server(void **state)
{
    setup_commands(state);
    struct server_fixture *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/ctl-rpc-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof f->path, "%s/test.ctl", f->dir);
    char err[256];
    assert_int_equal(ctl_unixctl_create(f->path, &f->server, err,
                                        sizeof err), 0);
    *state = f;
    return 0;
}

static int
teardown_server(void **state)
{
    struct server_fixture *f = *state;
    ctl_unixctl_destroy(f->server);
    assert_int_equal(access(f->path, F_OK), -1);   /* socket removed */
    rmdir(f->dir);
    free(f);
    return teardown_commands(state);
}

static int
raw_connect(const char *path)
{
    struct sockaddr_un sun = { .sun_family = AF_UNIX };
    strcpy(sun.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    assert_int_equal(connect(fd, (struct sockaddr *) &sun, sizeof sun), 0);
    return fd;
}

static void
pump(struct ctl_unixctl *s, int rounds)
{
    for (int i = 0; i < rounds; i++) {
        struct pollfd pfd = { .fd = ctl_unixctl_fd(s), .events = POLLIN };
        poll(&pfd, 1, 10);
        ctl_unixctl_run(s);
    }
}

/* Reads one reply line from 'fd', pumping the server meanwhile. */
static json_t *
read_reply(struct ctl_unixctl *s, int fd)
{
    static char buf[65536];
    size_t len = 0;
    for (int tries = 0; tries < 500; tries++) {
        pump(s, 1);
        ssize_t n = recv(fd, buf + len, sizeof buf - len - 1, MSG_DONTWAIT);
        if (n > 0) {
            len += n;
            buf[len] = '\0';
            char *nl = strchr(buf, '\n');
            if (nl) {
                *nl = '\0';
                json_t *j = json_loads(buf, 0, NULL);
                assert_non_null(j);
                size_t rest = len - (nl + 1 - buf);
                memmove(buf, nl + 1, rest);
                assert_int_equal(rest, 0);
                return j;
            }
        } else if (n == 0) {
            return NULL;
        }
    }
    fail_msg("no reply");
    return NULL;
}

static void
test_server_socket_mode(void **state)
{
    struct server_fixture *f = *state;
    struct stat st;
    assert_int_equal(stat(f->path, &st), 0);
    assert_true(S_ISSOCK(st.st_mode));
    assert_int_equal(st.st_mode & 0777, 0660);

    /* A second server on the same live path is refused. */
    struct ctl_unixctl *other;
    char err[256];
    assert_int_equal(ctl_unixctl_create(f->path, &other, err, sizeof err),
                     -EADDRINUSE);
    assert_non_null(strstr(err, "already listening"));
}

static void
test_server_split_bytes(void **state)
{
    struct server_fixture *f = *state;
    int fd = raw_connect(f->path);
    const char *req = "{\"jsonrpc\":\"2.0\",\"method\":\"echo\","
                      "\"params\":[\"x\"],\"id\":1}\n";
    for (const char *p = req; *p; p++) {
        assert_int_equal(send(fd, p, 1, 0), 1);
        pump(f->server, 1);
    }
    json_t *r = read_reply(f->server, fd);
    assert_int_equal(json_integer_value(json_object_get(r, "id")), 1);
    json_decref(r);
    close(fd);
    pump(f->server, 3);
    assert_int_equal(ctl_unixctl_n_clients(f->server), 0);
}

static void
test_server_merged_and_bad(void **state)
{
    struct server_fixture *f = *state;
    int fd = raw_connect(f->path);
    const char *reqs = "{\"method\":\"echo\",\"id\":1}\n"
                       "this is not json\n"
                       "\n"
                       "{\"method\":\"fail\",\"id\":3}\n"
                       "{\"method\":\"echo\",\"params\":[\"z\"],\"id\":4}\n";
    assert_int_equal(send(fd, reqs, strlen(reqs), 0), (ssize_t) strlen(reqs));
    /* Replies come in order, one per line; read them all. */
    char buf[8192];
    size_t len = 0;
    int lines = 0;
    for (int tries = 0; tries < 500 && lines < 4; tries++) {
        pump(f->server, 1);
        ssize_t n = recv(fd, buf + len, sizeof buf - len - 1, MSG_DONTWAIT);
        if (n > 0) {
            len += n;
            buf[len] = '\0';
            lines = 0;
            for (char *p = buf; (p = strchr(p, '\n')); p++) {
                lines++;
            }
        }
    }
    assert_int_equal(lines, 4);
    char *save = NULL;
    json_t *r[4];
    char *line = strtok_r(buf, "\n", &save);
    for (int i = 0; i < 4; i++, line = strtok_r(NULL, "\n", &save)) {
        r[i] = json_loads(line, 0, NULL);
        assert_non_null(r[i]);
    }
    assert_non_null(json_object_get(r[0], "result"));
    assert_int_equal(json_integer_value(json_object_get(
        json_object_get(r[1], "error"), "code")), CTL_RPC_PARSE_ERROR);
    assert_true(json_is_null(json_object_get(r[1], "id")));
    assert_int_equal(json_integer_value(json_object_get(
        json_object_get(r[2], "error"), "code")), CTL_RPC_COMMAND_FAILED);
    assert_int_equal(json_integer_value(json_object_get(r[3], "id")), 4);
    for (int i = 0; i < 4; i++) {
        json_decref(r[i]);
    }
    /* The connection survives bad requests. */
    assert_int_equal(ctl_unixctl_n_clients(f->server), 1);
    close(fd);
}

static void
test_server_half_close(void **state)
{
    struct server_fixture *f = *state;
    int fd = raw_connect(f->path);
    const char *req = "{\"method\":\"echo\",\"params\":[\"bye\"],\"id\":9}\n";
    assert_int_equal(send(fd, req, strlen(req), 0), (ssize_t) strlen(req));
    shutdown(fd, SHUT_WR);      /* like 'echo ... | socat - UNIX:...' */
    json_t *r = read_reply(f->server, fd);
    assert_int_equal(json_integer_value(json_object_get(r, "id")), 9);
    json_decref(r);
    pump(f->server, 5);
    assert_int_equal(ctl_unixctl_n_clients(f->server), 0);
    close(fd);
}

static void
test_server_oversize_request(void **state)
{
    struct server_fixture *f = *state;
    int fd = raw_connect(f->path);
    size_t big = CTL_RPC_MAX_REQUEST + 4096;
    char *junk = malloc(big);
    memset(junk, 'a', big);
    size_t sent = 0;
    bool closed = false;
    for (int tries = 0; tries < 2000 && sent < big && !closed; tries++) {
        ssize_t n = send(fd, junk + sent, big - sent,
                         MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n > 0) {
            sent += n;
        } else if (n < 0 && errno != EAGAIN) {
            closed = true;
        }
        pump(f->server, 1);
    }
    free(junk);
    json_t *r = read_reply(f->server, fd);
    assert_non_null(r);
    assert_int_equal(json_integer_value(json_object_get(
        json_object_get(r, "error"), "code")), CTL_RPC_INVALID_REQUEST);
    json_decref(r);
    pump(f->server, 5);
    assert_int_equal(ctl_unixctl_n_clients(f->server), 0);
    close(fd);
}

static void
test_server_many_clients(void **state)
{
    struct server_fixture *f = *state;
    enum { N = 50 };
    int fds[N];
    for (int i = 0; i < N; i++) {
        fds[i] = raw_connect(f->path);
        char req[128];
        int len = snprintf(req, sizeof req, "{\"method\":\"echo\","
                           "\"params\":[\"c%d\"],\"id\":%d}\n", i, i);
        assert_int_equal(send(fds[i], req, len, 0), len);
    }
    pump(f->server, 5);
    assert_int_equal(ctl_unixctl_n_clients(f->server), N);
    for (int i = N - 1; i >= 0; i--) {
        json_t *r = read_reply(f->server, fds[i]);
        assert_int_equal(json_integer_value(json_object_get(r, "id")), i);
        json_decref(r);
        close(fds[i]);
    }
    pump(f->server, 5);
    assert_int_equal(ctl_unixctl_n_clients(f->server), 0);
}

static void
test_rpc_client_connect_refused(void **state)
{
    (void) state;
    struct ctl_rpc_client *c;
    char err[256];
    assert_true(ctl_rpc_connect("/tmp/definitely-not-here.ctl", 1000, &c,
                                err, sizeof err) < 0);
    assert_non_null(strstr(err, "daemon not running at "
                           "/tmp/definitely-not-here.ctl"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_framer_split_and_merged),
        cmocka_unit_test(test_framer_overflow),
        cmocka_unit_test_setup_teardown(test_dispatch_ok, setup_commands,
                                        teardown_commands),
        cmocka_unit_test_setup_teardown(test_dispatch_errors, setup_commands,
                                        teardown_commands),
        cmocka_unit_test_setup_teardown(test_server_socket_mode, setup_server,
                                        teardown_server),
        cmocka_unit_test_setup_teardown(test_server_split_bytes, setup_server,
                                        teardown_server),
        cmocka_unit_test_setup_teardown(test_server_merged_and_bad,
                                        setup_server, teardown_server),
        cmocka_unit_test_setup_teardown(test_server_half_close,
                                        setup_server, teardown_server),
        cmocka_unit_test_setup_teardown(test_server_oversize_request,
                                        setup_server, teardown_server),
        cmocka_unit_test_setup_teardown(test_server_many_clients,
                                        setup_server, teardown_server),
        cmocka_unit_test(test_rpc_client_connect_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
