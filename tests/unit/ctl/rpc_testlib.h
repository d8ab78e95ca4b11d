/*
 * rpc_testlib.h — calling the daemon's JSON-RPC handlers in-process for
 * the ctl unit tests: CALL(method, args...) returns the whole reply, ok()
 * asserts success and returns the result, fails_with() asserts an error
 * whose message contains a given text.
 */
#ifndef VSWITCH_TESTS_CTL_RPC_TESTLIB_H
#define VSWITCH_TESTS_CTL_RPC_TESTLIB_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "ctl/unixctl.h"

/* Sends 'method' with string params; returns the whole reply. */
static inline json_t *
call(const char *method, int argc, const char *const argv[])
{
    json_t *params = json_array();
    for (int i = 0; i < argc; i++) {
        json_array_append_new(params, json_string(argv[i]));
    }
    json_t *req = json_pack("{s:s, s:s, s:o, s:i}", "jsonrpc", "2.0",
                            "method", method, "params", params, "id", 1);
    char *text = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    char *reply = ctl_rpc_handle_line(text);
    free(text);
    json_t *j = json_loads(reply, 0, NULL);
    free(reply);
    assert_non_null(j);
    return j;
}

#define ARGS(...) ((const char *const[]) { __VA_ARGS__ })
#define NARGS(...) ((int) (sizeof ARGS(__VA_ARGS__) / sizeof(const char *)))
#define CALL(METHOD, ...) call(METHOD, NARGS(__VA_ARGS__), ARGS(__VA_ARGS__))
#define CALL0(METHOD) call(METHOD, 0, NULL)

/* Asserts success and returns the result (owned by the caller). */
static inline json_t *
ok(json_t *reply)
{
    json_t *error = json_object_get(reply, "error");
    if (error) {
        fail_msg("unexpected error: %s", json_string_value(
            json_object_get(error, "message")));
    }
    json_t *result = json_incref(json_object_get(reply, "result"));
    json_decref(reply);
    return result;
}

static inline void
ok_void(json_t *reply)
{
    json_decref(ok(reply));
}

static inline void
fails_with(json_t *reply, const char *substring)
{
    const char *msg = json_string_value(json_object_get(
        json_object_get(reply, "error"), "message"));
    if (!msg || !strstr(msg, substring)) {
        fail_msg("expected an error containing '%s', got %s", substring,
                 msg ? msg : "success");
    }
    json_decref(reply);
}

#endif
