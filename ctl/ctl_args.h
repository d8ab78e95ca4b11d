/*
 * ctl_args.h — parsing and validation of command arguments shared by the
 * vswitch-ctl client (to reject obvious mistakes before talking to the
 * daemon) and the daemon's command handlers (the authority).
 *
 * Port settings are parsed into a "changes" JSON object in the config
 * store's vocabulary (see config_store.h), where JSON null means "clear":
 *   add-port br0 p1 -- type=dpdk ofport=3 tag=10 options:dpdk-devargs=x
 *   -> {"type":"dpdk","ofport":3,"tag":10,"options":{"dpdk-devargs":"x"}}
 *   set Port p1 tag=          -> {"tag":null}
 * A "--" argument is a separator only and is skipped.
 *
 * Pure functions: no I/O, no global state; any thread.
 */
#ifndef VSWITCH_CTL_CTL_ARGS_H
#define VSWITCH_CTL_CTL_ARGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

/* Longest bridge or port name; DPDK and kernel names fit comfortably. */
#define CTL_MAX_NAME 63

/* Which keys a settings list may carry. */
enum ctl_settings_scope {
    CTL_SCOPE_ADD_PORT,     /* type, ofport, tag, trunks, vlan_mode, options: */
    CTL_SCOPE_INTERFACE,    /* set Interface: options: */
    CTL_SCOPE_PORT,         /* set Port: tag, trunks, vlan_mode */
};

/* Checks a bridge or port name: 1..CTL_MAX_NAME of [A-Za-z0-9_.:-], not
 * starting with '-'. 'what' is "bridge" or "port" for the message. */
int ctl_args_check_name(const char *name, const char *what,
                        char *err, size_t errlen);

/* Parses "KEY=VALUE" settings into *changes (new reference). */
int ctl_args_parse_port_settings(int argc, const char *const argv[],
                                 enum ctl_settings_scope,
                                 json_t **changes, char *err, size_t errlen);

/* Merges 'changes' into a config-store port object (null deletes). */
void ctl_args_apply_port_settings(json_t *port, const json_t *changes);

/* Parses set-global "KEY=VALUE" arguments into {"key": "value"|null}
 * after validating each key and value. */
int ctl_args_parse_global(int argc, const char *const argv[],
                          json_t **changes, char *err, size_t errlen);
/* The keys set-global accepts, NULL-terminated (for help texts). */
extern const char *const ctl_global_keys[];

/* "0".."4095". */
int ctl_args_parse_vlan(const char *s, unsigned int *vlan,
                        char *err, size_t errlen);
/* "10,20,30-35" into a sorted, de-duplicated JSON array of integers. */
int ctl_args_parse_trunks(const char *s, json_t **trunks,
                          char *err, size_t errlen);
/* "access" | "trunk" | "native-tagged" | "native-untagged". */
bool ctl_args_vlan_mode_valid(const char *s);

/* Strict unsigned decimal in [min, max]. */
/* Integer global keys with their range and meaning (for set-global). */
struct ctl_global_uint {
    const char *name;
    unsigned long long min, max;
    const char *what;
};
/* The key's entry, or NULL when 'key' is not an integer global key. */
const struct ctl_global_uint *ctl_global_uint_find(const char *key);
/* Parses 'value' for integer key 'key' within its range: 0, or -EINVAL
 * with a message naming the key, the value and the range. */
int ctl_global_uint_parse(const char *key, const char *value,
                          unsigned long long *v, char *err, size_t errlen);

int ctl_args_parse_uint(const char *s, unsigned long long min,
                        unsigned long long max, unsigned long long *out);

/* Hex frame ("0011aabb...", ':', '.', ' ' and "0x" tolerated) into a
 * malloc'd buffer; at least 14 bytes (an Ethernet header). */
int ctl_args_parse_hex_frame(const char *s, uint8_t **frame, size_t *len,
                             char *err, size_t errlen);

/* Checks an OpenFlow controller target without opening anything:
 * "tcp:IP[:PORT]", "ssl:IP[:PORT]", "unix:PATH" (active) and
 * "ptcp:[PORT][:IP]", "pssl:[PORT][:IP]", "punix:PATH" (passive); IP is
 * an address literal, IPv6 in brackets; PORT 1..65535 (0 allowed for the
 * passive forms: any free port). 0 or -EINVAL with a sentence naming the
 * target in 'err'. */
int ctl_args_check_controller_target(const char *target, char *err,
                                     size_t errlen);

#endif
