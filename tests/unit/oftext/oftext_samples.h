/*
 * oftext_samples.h — sample replies for oftext_tool and test_of_text.
 */
#ifndef VSWITCH_TESTS_OFTEXT_SAMPLES_H
#define VSWITCH_TESTS_OFTEXT_SAMPLES_H

#include "openflow/openflow.h"

/* Fills 'msg' (xid 2) with the sample reply 'kind': group-stats,
 * meter-stats, tables, ports, port-desc or aggregate. Its lists are static
 * data: do not of_msg_uninit() it. 0, or -1 for an unknown kind. */
int oftext_sample_reply(const char *kind, struct of_msg *msg);

#endif
