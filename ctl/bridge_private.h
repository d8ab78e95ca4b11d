/*
 * bridge_private.h — what bridge.c shares with the other command files of
 * vswitchd (bridge_ofcmds.c): the committed config document, the commit
 * step and each bridge's OpenFlow side. Private to ctl/.
 *
 * Threads: main thread only.
 */
#ifndef VSWITCH_CTL_BRIDGE_PRIVATE_H
#define VSWITCH_CTL_BRIDGE_PRIVATE_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#include "ctl/bridge_openflow.h"

/* The committed document (borrowed; replaced by every commit). */
json_t *ctl_bridge_doc(void);

/* Saves 'newdoc' (taken over) atomically and adopts it: 0, or -errno with
 * 'err' set and the committed document unchanged. */
int ctl_bridge_commit(json_t *newdoc, char *err, size_t errlen);

/* The OpenFlow side of bridge 'name', NULL if it has none. */
struct ctl_ofbridge *ctl_bridge_ofbridge(const char *name);

/* The fail mode a bridge's config names (standalone when unset). */
enum ctl_fail_mode ctl_bridge_config_fail_mode(json_t *bridge);

/* Registers the OpenFlow-related commands (bridge_ofcmds.c). */
void ctl_bridge_register_openflow_commands(void);

#endif
