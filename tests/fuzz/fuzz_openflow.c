/*
 * fuzz_openflow.c — libFuzzer target for the OpenFlow 1.3 codec.
 *
 * The input is treated as a TCP stream of OpenFlow messages, framed the
 * way a connection frames them (of_msg_peek_len). Each message is
 * decoded; a rejected one must yield an error that of_error_encode() can
 * turn into a reply, an accepted one must survive
 * decode(encode(decode(x))) == decode(x). Any read past a message, leak or
 * UB is a finding (build with -fsanitize=fuzzer,address,undefined).
 *
 * Seed corpus: tests/fuzz/corpus/openflow/ (one encoded corpus message per
 * file, written by `of_codec_tool corpus DIR`).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "openflow/openflow.h"

static void
check_one(const uint8_t *data, size_t len)
{
    struct of_msg msg, again;
    struct of_err err;
    struct of_buf out;

    of_buf_init(&out);
    /* An exact-size copy, so reads past the message are caught. */
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy) {
        return;
    }
    memcpy(copy, data, len);
    if (of_msg_decode(copy, len, &msg, &err)) {
        if (!of_error_type_name(err.type) || of_error_encode(&err, copy, len, &out)) {
            abort();
        }
    } else {
        char text[512];
        of_msg_format(&msg, text, sizeof text);
        if (of_msg_encode(&msg, &out) == 0) {
            if (of_msg_decode(out.data, out.len, &again, &err)
                || !of_msg_equal(&msg, &again)) {
                abort();            /* what we write we must read back */
            }
            of_msg_uninit(&again);
        }
    }
    of_msg_uninit(&msg);
    of_buf_uninit(&out);
    free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    while (size) {
        size_t len = of_msg_peek_len(data, size);
        if (len < OFP_HEADER_LEN || len > size) {
            check_one(data, size);  /* the framing is itself a test case */
            break;
        }
        check_one(data, len);
        data += len;
        size -= len;
    }
    return 0;
}
