/*
 * ctl_args.c — argument parsing shared by vswitch-ctl and vswitchd (see
 * ctl_args.h). Pure functions; any thread.
 */
#include "ctl/ctl_args.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/un.h>

/* Jumbo frames up to 9216 bytes are what DPDK NICs commonly accept. */
#define CTL_MAX_FRAME 9216
#define ETH_HEADER_LEN 14
/* A CPU mask of up to 256 CPUs; longer strings are surely typos. */
#define MAX_MASK_DIGITS 64

const char *const ctl_global_keys[] = {
    "pmd-cpu-mask", "pmd-max-sleep", "mac-aging-time", "mac-table-size",
    "rxq-assign", "emc-insert-inv-prob", "flow-limit", "max-idle",
    "max-revalidator", "upcall-rate", "upcall-burst", NULL,
};

/* The fast path's integer knobs (Open vSwitch's other_config names where
 * it has them). */
static const struct ctl_global_uint global_uints[] = {
    { "emc-insert-inv-prob", 0, UINT32_MAX,
      "1 in N misses enters the EMC; 0 turns it off" },
    { "flow-limit", 1, 10000000, "megaflows per worker" },
    { "max-idle", 100, 3600000, "ms before an idle megaflow expires" },
    { "max-revalidator", 10, 60000, "ms per revalidation round" },
    { "upcall-rate", 1, 100000000, "misses translated per second per port" },
    { "upcall-burst", 1, 100000000, "misses a port may burst" },
};

const struct ctl_global_uint *
ctl_global_uint_find(const char *key)
{
    for (size_t i = 0; i < sizeof global_uints / sizeof *global_uints; i++) {
        if (!strcmp(key, global_uints[i].name)) {
            return &global_uints[i];
        }
    }
    return NULL;
}

int
ctl_args_check_name(const char *name, const char *what, char *err,
                    size_t errlen)
{
    size_t len = strlen(name);
    if (len == 0 || len > CTL_MAX_NAME) {
        snprintf(err, errlen, "%s name '%s' must be 1 to %d characters", what,
                 name, CTL_MAX_NAME);
        return -EINVAL;
    }
    if (name[0] == '-') {
        snprintf(err, errlen, "%s name '%s' must not start with '-'", what,
                 name);
        return -EINVAL;
    }
    for (const char *p = name; *p; p++) {
        if (!isalnum((unsigned char) *p) && !strchr("_.:-", *p)) {
            snprintf(err, errlen, "%s name '%s' has an invalid character "
                     "'%c' (allowed: letters, digits, _ . : -)", what, name,
                     *p);
            return -EINVAL;
        }
    }
    return 0;
}

int
ctl_args_parse_uint(const char *s, unsigned long long min,
                    unsigned long long max, unsigned long long *out)
{
    if (!*s || !isdigit((unsigned char) s[0])) {
        return -EINVAL;
    }
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end) {
        return -EINVAL;
    }
    if (v < min || v > max) {
        return -ERANGE;
    }
    *out = v;
    return 0;
}

int
ctl_args_parse_vlan(const char *s, unsigned int *vlan, char *err,
                    size_t errlen)
{
    unsigned long long v;
    int rc = ctl_args_parse_uint(s, 0, 4095, &v);
    if (rc) {
        snprintf(err, errlen, "bad VLAN %s (must be a number 0..4095)", s);
        return -EINVAL;
    }
    *vlan = v;
    return 0;
}

int
ctl_args_parse_trunks(const char *s, json_t **trunks, char *err,
                      size_t errlen)
{
    uint64_t seen[4096 / 64] = { 0 };    /* VLAN bitmap */
    char *copy = strdup(s);
    if (!copy) {
        return -ENOMEM;
    }
    int rc = 0;
    char *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        char *dash = strchr(tok, '-');
        unsigned int lo, hi;
        if (dash) {
            *dash = '\0';
            if ((rc = ctl_args_parse_vlan(tok, &lo, err, errlen))
                || (rc = ctl_args_parse_vlan(dash + 1, &hi, err, errlen))) {
                goto out;
            }
            if (lo > hi) {
                snprintf(err, errlen, "bad VLAN range %u-%u in trunks", lo,
                         hi);
                rc = -EINVAL;
                goto out;
            }
        } else {
            if ((rc = ctl_args_parse_vlan(tok, &lo, err, errlen))) {
                goto out;
            }
            hi = lo;
        }
        for (unsigned int v = lo; v <= hi; v++) {
            seen[v / 64] |= UINT64_C(1) << (v % 64);
        }
    }
    *trunks = json_array();
    for (unsigned int v = 0; v < 4096; v++) {
        if (seen[v / 64] & (UINT64_C(1) << (v % 64))) {
            json_array_append_new(*trunks, json_integer(v));
        }
    }
out:
    free(copy);
    return rc;
}

bool
ctl_args_vlan_mode_valid(const char *s)
{
    return !strcmp(s, "access") || !strcmp(s, "trunk")
           || !strcmp(s, "native-tagged") || !strcmp(s, "native-untagged");
}

static bool
port_type_valid(const char *type)
{
    return !strcmp(type, "dpdk") || !strcmp(type, "system")
           || !strcmp(type, "dummy");
}

/* Splits "key=value" into a malloc'd key and a pointer to the value. */
static int
split_setting(const char *arg, char **key, const char **value, char *err,
              size_t errlen)
{
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg) {
        snprintf(err, errlen, "'%s' is not a KEY=VALUE setting", arg);
        return -EINVAL;
    }
    *key = strndup(arg, eq - arg);
    *value = eq + 1;
    return *key ? 0 : -ENOMEM;
}

static const char *
scope_keys(enum ctl_settings_scope scope)
{
    switch (scope) {
    case CTL_SCOPE_ADD_PORT:
        return "type, ofport, tag, trunks, vlan_mode, options:KEY";
    case CTL_SCOPE_INTERFACE:
        return "options:KEY";
    case CTL_SCOPE_PORT:
        return "tag, trunks, vlan_mode";
    }
    return "";
}

/* Handles one key of a port settings list; 'changes' gets the result. */
static int
parse_port_setting(const char *key, const char *value,
                   enum ctl_settings_scope scope, json_t *changes,
                   char *err, size_t errlen)
{
    bool add = scope == CTL_SCOPE_ADD_PORT;
    bool vlan_ok = add || scope == CTL_SCOPE_PORT;
    bool options_ok = add || scope == CTL_SCOPE_INTERFACE;

    if (!strncmp(key, "options:", 8) && options_ok) {
        const char *opt = key + 8;
        if (!*opt) {
            snprintf(err, errlen, "'options:' needs a key (options:KEY=VALUE)");
            return -EINVAL;
        }
        json_t *options = json_object_get(changes, "options");
        if (!options) {
            options = json_object();
            json_object_set_new(changes, "options", options);
        }
        json_object_set_new(options, opt,
                            *value || add ? json_string(value) : json_null());
        return 0;
    }
    if (!strcmp(key, "type") && add) {
        if (!port_type_valid(value)) {
            snprintf(err, errlen, "unknown port type '%s' (expected dpdk, "
                     "system or dummy)", value);
            return -EINVAL;
        }
        json_object_set_new(changes, "type", json_string(value));
        return 0;
    }
    if (!strcmp(key, "ofport") && add) {
        unsigned long long v;
        if (ctl_args_parse_uint(value, 1, 0xfeff, &v)) {
            snprintf(err, errlen, "bad ofport %s (must be 1..65279)", value);
            return -EINVAL;
        }
        json_object_set_new(changes, "ofport", json_integer(v));
        return 0;
    }
    if (!strcmp(key, "tag") && vlan_ok) {
        if (!*value) {
            json_object_set_new(changes, "tag", json_null());
            return 0;
        }
        unsigned int vlan;
        int rc = ctl_args_parse_vlan(value, &vlan, err, errlen);
        if (rc) {
            return rc;
        }
        json_object_set_new(changes, "tag", json_integer(vlan));
        return 0;
    }
    if (!strcmp(key, "trunks") && vlan_ok) {
        if (!*value) {
            json_object_set_new(changes, "trunks", json_null());
            return 0;
        }
        json_t *trunks;
        int rc = ctl_args_parse_trunks(value, &trunks, err, errlen);
        if (rc) {
            return rc;
        }
        json_object_set_new(changes, "trunks", trunks);
        return 0;
    }
    if (!strcmp(key, "vlan_mode") && vlan_ok) {
        if (!*value) {
            json_object_set_new(changes, "vlan_mode", json_null());
            return 0;
        }
        if (!ctl_args_vlan_mode_valid(value)) {
            snprintf(err, errlen, "bad vlan_mode '%s' (expected access, "
                     "trunk, native-tagged or native-untagged)", value);
            return -EINVAL;
        }
        json_object_set_new(changes, "vlan_mode", json_string(value));
        return 0;
    }
    snprintf(err, errlen, "unknown key '%s'%s (expected %s)", key,
             scope == CTL_SCOPE_INTERFACE ? " for Interface"
             : scope == CTL_SCOPE_PORT ? " for Port" : "", scope_keys(scope));
    return -EINVAL;
}

int
ctl_args_parse_port_settings(int argc, const char *const argv[],
                             enum ctl_settings_scope scope, json_t **out,
                             char *err, size_t errlen)
{
    json_t *changes = json_object();
    for (int i = 0; i < argc; i++) {
        if (!strcmp(argv[i], "--")) {
            continue;
        }
        char *key;
        const char *value;
        int rc = split_setting(argv[i], &key, &value, err, errlen);
        if (!rc) {
            rc = parse_port_setting(key, value, scope, changes, err, errlen);
            free(key);
        }
        if (rc) {
            json_decref(changes);
            return rc;
        }
    }
    if (scope == CTL_SCOPE_ADD_PORT) {
        const char *type = json_string_value(json_object_get(changes, "type"));
        json_t *options = json_object_get(changes, "options");
        if (type && !strcmp(type, "dpdk")
            && !json_object_get(options, "dpdk-devargs")) {
            json_decref(changes);
            snprintf(err, errlen, "a dpdk port needs "
                     "options:dpdk-devargs=DEVARGS");
            return -EINVAL;
        }
    }
    *out = changes;
    return 0;
}

void
ctl_args_apply_port_settings(json_t *port, const json_t *changes)
{
    const char *key;
    json_t *value;
    json_object_foreach((json_t *) changes, key, value) {
        if (!strcmp(key, "options")) {
            json_t *options = json_object_get(port, "options");
            if (!json_is_object(options)) {
                options = json_object();
                json_object_set_new(port, "options", options);
            }
            const char *okey;
            json_t *ovalue;
            json_object_foreach(value, okey, ovalue) {
                if (json_is_null(ovalue)) {
                    json_object_del(options, okey);
                } else {
                    json_object_set(options, okey, ovalue);
                }
            }
        } else if (json_is_null(value)) {
            json_object_del(port, key);
        } else {
            json_object_set(port, key, value);
        }
    }
}

static bool
hex_mask_valid(const char *s)
{
    if (!strncmp(s, "0x", 2) || !strncmp(s, "0X", 2)) {
        s += 2;
    }
    if (!*s || strlen(s) > MAX_MASK_DIGITS) {
        return false;
    }
    bool nonzero = false;
    for (; *s; s++) {
        if (!isxdigit((unsigned char) *s)) {
            return false;
        }
        nonzero |= *s != '0';
    }
    return nonzero;
}

int
ctl_global_uint_parse(const char *key, const char *value,
                      unsigned long long *v, char *err, size_t errlen)
{
    const struct ctl_global_uint *k = ctl_global_uint_find(key);
    if (!k || ctl_args_parse_uint(value, k->min, k->max, v)) {
        snprintf(err, errlen, "bad %s '%s' (expected %s, %llu..%llu)", key,
                 value, k ? k->what : "a known key", k ? k->min : 0,
                 k ? k->max : 0);
        return -EINVAL;
    }
    return 0;
}

static bool
global_key_known(const char *key)
{
    for (size_t i = 0; ctl_global_keys[i]; i++) {
        if (!strcmp(key, ctl_global_keys[i])) {
            return true;
        }
    }
    return false;
}

static int
check_global(const char *key, const char *value, char *err, size_t errlen)
{
    unsigned long long v;
    if (!strcmp(key, "pmd-cpu-mask")) {
        if (!hex_mask_valid(value)) {
            snprintf(err, errlen, "bad pmd-cpu-mask '%s' (expected a non-zero "
                     "hex CPU mask such as 0x2)", value);
            return -EINVAL;
        }
    } else if (!strcmp(key, "pmd-max-sleep")) {
        if (ctl_args_parse_uint(value, 0, 10000, &v)) {
            snprintf(err, errlen, "bad pmd-max-sleep '%s' (expected "
                     "microseconds 0..10000)", value);
            return -EINVAL;
        }
    } else if (!strcmp(key, "mac-aging-time")) {
        if (ctl_args_parse_uint(value, 1, 86400, &v)) {
            snprintf(err, errlen, "bad mac-aging-time '%s' (expected seconds "
                     "1..86400)", value);
            return -EINVAL;
        }
    } else if (!strcmp(key, "mac-table-size")) {
        if (ctl_args_parse_uint(value, 16, 1000000, &v)) {
            snprintf(err, errlen, "bad mac-table-size '%s' (expected entries "
                     "16..1000000)", value);
            return -EINVAL;
        }
    } else if (!strcmp(key, "rxq-assign")) {
        if (strcmp(value, "roundrobin") && strcmp(value, "cycles")) {
            snprintf(err, errlen, "bad rxq-assign '%s' (expected roundrobin "
                     "or cycles)", value);
            return -EINVAL;
        }
    } else if (ctl_global_uint_find(key)) {
        return ctl_global_uint_parse(key, value, &v, err, errlen);
    } else {
        snprintf(err, errlen, "unknown key '%s' (expected pmd-cpu-mask, "
                 "pmd-max-sleep, mac-aging-time, mac-table-size, "
                 "rxq-assign, emc-insert-inv-prob, flow-limit, max-idle, "
                 "max-revalidator, upcall-rate or upcall-burst)", key);
        return -EINVAL;
    }
    return 0;
}

int
ctl_args_parse_global(int argc, const char *const argv[], json_t **out,
                      char *err, size_t errlen)
{
    json_t *changes = json_object();
    for (int i = 0; i < argc; i++) {
        char *key;
        const char *value;
        int rc = split_setting(argv[i], &key, &value, err, errlen);
        if (rc) {
            json_decref(changes);
            return rc;
        }
        /* An empty value restores the default (removes the key). */
        rc = *value ? check_global(key, value, err, errlen)
             : global_key_known(key) ? 0
             : check_global(key, "", err, errlen);
        if (rc) {
            free(key);
            json_decref(changes);
            return rc;
        }
        json_object_set_new(changes, key,
                            *value ? json_string(value) : json_null());
        free(key);
    }
    *out = changes;
    return 0;
}

static int
hex_digit(int c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    c = tolower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int
ctl_args_parse_hex_frame(const char *s, uint8_t **framep, size_t *lenp,
                         char *err, size_t errlen)
{
    if (!strncmp(s, "0x", 2) || !strncmp(s, "0X", 2)) {
        s += 2;
    }
    uint8_t *frame = malloc(strlen(s) / 2 + 1);
    if (!frame) {
        return -ENOMEM;
    }
    size_t len = 0;
    int high = -1;
    for (const char *p = s; *p; p++) {
        if (strchr(": .\t\n", *p)) {
            continue;
        }
        int d = hex_digit((unsigned char) *p);
        if (d < 0) {
            free(frame);
            snprintf(err, errlen, "bad hex frame: invalid character '%c' at "
                     "offset %zu", *p, (size_t) (p - s));
            return -EINVAL;
        }
        if (high < 0) {
            high = d;
        } else {
            frame[len++] = (uint8_t) (high << 4 | d);
            high = -1;
        }
    }
    if (high >= 0) {
        free(frame);
        snprintf(err, errlen, "bad hex frame: odd number of hex digits");
        return -EINVAL;
    }
    if (len < ETH_HEADER_LEN || len > CTL_MAX_FRAME) {
        free(frame);
        snprintf(err, errlen, "bad hex frame: %zu bytes (must be %d..%d)",
                 len, ETH_HEADER_LEN, CTL_MAX_FRAME);
        return -EINVAL;
    }
    *framep = frame;
    *lenp = len;
    return 0;
}

/* ---- controller targets ---------------------------------------------- */

/* An IPv4 literal or a bracketed IPv6 literal in s[0..len). */
static bool
target_ip_ok(const char *s, size_t len)
{
    char buf[64];
    if (len == 0 || len >= sizeof buf) {
        return false;
    }
    memcpy(buf, s, len);
    buf[len] = '\0';
    unsigned char addr[16];
    if (buf[0] == '[') {
        if (len < 3 || buf[len - 1] != ']') {
            return false;
        }
        buf[len - 1] = '\0';
        return inet_pton(AF_INET6, buf + 1, addr) == 1;
    }
    return inet_pton(AF_INET, buf, addr) == 1;
}

static bool
target_port_ok(const char *s, size_t len, unsigned long long min)
{
    char buf[16];
    unsigned long long v;
    if (len == 0 || len >= sizeof buf) {
        return false;
    }
    memcpy(buf, s, len);
    buf[len] = '\0';
    return !ctl_args_parse_uint(buf, min, 65535, &v);
}

/* Length of the address part at 's' (a bracketed IPv6 runs to ']'). */
static size_t
target_ip_len(const char *s)
{
    if (s[0] == '[') {
        const char *end = strchr(s, ']');
        return end ? (size_t) (end - s) + 1 : strlen(s);
    }
    const char *colon = strchr(s, ':');
    return colon ? (size_t) (colon - s) : strlen(s);
}

int
ctl_args_check_controller_target(const char *target, char *err,
                                 size_t errlen)
{
    static const char *const kinds[] = {
        "tcp:", "ssl:", "unix:", "ptcp:", "pssl:", "punix:",
    };
    size_t k;
    for (k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        if (!strncmp(target, kinds[k], strlen(kinds[k]))) {
            break;
        }
    }
    if (k == sizeof kinds / sizeof kinds[0]) {
        snprintf(err, errlen, "bad controller target '%s' (expected tcp:IP"
                 "[:PORT], ssl:IP[:PORT], unix:PATH, ptcp:[PORT][:IP], "
                 "pssl:[PORT][:IP] or punix:PATH)", target);
        return -EINVAL;
    }
    const char *rest = target + strlen(kinds[k]);
    const char *why = NULL;
    if (k == 2 || k == 5) {                     /* unix:, punix: */
        if (!*rest) {
            why = "missing socket path";
        } else if (strlen(rest) >= sizeof ((struct sockaddr_un *) 0)->sun_path) {
            why = "socket path too long";
        }
    } else if (k <= 1) {                        /* tcp:, ssl: */
        size_t iplen = target_ip_len(rest);
        if (!target_ip_ok(rest, iplen)) {
            why = "expected an IP address literal";
        } else if (rest[iplen] == ':'
                   && !target_port_ok(rest + iplen + 1,
                                      strlen(rest + iplen + 1), 1)) {
            why = "port must be 1..65535";
        } else if (rest[iplen] && rest[iplen] != ':') {
            why = "unexpected text after the address";
        }
    } else {                                    /* ptcp:, pssl: */
        const char *colon = rest[0] == '[' ? NULL : strchr(rest, ':');
        size_t portlen = colon ? (size_t) (colon - rest) : strlen(rest);
        if (portlen && !target_port_ok(rest, portlen, 0)) {
            why = "port must be 0..65535";
        } else if (colon && !target_ip_ok(colon + 1, strlen(colon + 1))) {
            why = "expected an IP address literal after the port";
        } else if (rest[0] == '[') {
            why = "the port comes before the address (ptcp:PORT:IP)";
        }
    }
    if (why) {
        snprintf(err, errlen, "bad controller target '%s': %s", target, why);
        return -EINVAL;
    }
    return 0;
}
