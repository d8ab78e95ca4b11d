/*
 * of_samples.h — a named corpus of in-memory OpenFlow 1.3 messages that
 * together cover every message type, every multipart request and reply,
 * every OXM basic field (masked where allowed), every action and every
 * instruction, table-features properties, meter bands, queue properties
 * and the ONF bundle messages.
 *
 * Shared by the cmocka round-trip tests, the codec tool (which prints the
 * encoded corpus for the os-ken/tshark cross-check) and the fuzz corpus.
 * Single-threaded test code.
 */
#ifndef VSWITCH_TESTS_OF_SAMPLES_H
#define VSWITCH_TESTS_OF_SAMPLES_H

#include <stddef.h>

#include "openflow/openflow.h"

struct of_sample {
    const char *name;
    struct of_msg msg;
};

/* Builds the corpus into a malloc'd array; returns its length (0 on
 * allocation failure). Free with of_samples_free(). */
size_t of_samples_build(struct of_sample **samples);
void of_samples_free(struct of_sample *samples, size_t n);

#endif
