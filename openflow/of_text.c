/*
 * of_text.c — the common ground of the ovs-ofctl text syntax: error and
 * output sinks, the key-value lexer every ovs-ofctl argument goes through,
 * numbers, ports and addresses, the walk over a file's lines, and the
 * dispatch of a reply to its formatter.
 *
 * The lexer reproduces how ovs-ofctl splits "k=v,k:v k(v)" lists (see
 * tx_next_kv() in of_text_private.h) because flow files depend on its
 * corner cases: "output:1" and "output(1)" mean the same, a parenthesised
 * value may hold commas, "set_field:1->eth_src" keeps its arrow.
 *
 * Pure; any thread.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "flowtable/ft_ofp.h"
#include "openflow/of_private.h"
#include "openflow/of_text_private.h"

/* ---- errors ---- */

int
tx_fail(struct tx_err *e, const char *fmt, ...)
{
    if (e && e->buf && e->size) {
        va_list args;
        va_start(args, fmt);
        vsnprintf(e->buf, e->size, fmt, args);
        va_end(args);
    }
    return -EINVAL;
}

void
tx_prefix(struct tx_err *e, const char *fmt, ...)
{
    if (!e || !e->buf || !e->size) {
        return;
    }
    char prefix[OF_TEXT_ERR_LEN];
    char old[OF_TEXT_ERR_LEN];
    va_list args;
    va_start(args, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, args);
    va_end(args);
    snprintf(old, sizeof old, "%s", e->buf);
    snprintf(e->buf, e->size, "%s: %s", prefix, old);
}

/* ---- output ---- */

void
tx_out_init(struct tx_out *o, struct of_buf *buf)
{
    o->buf = buf;
    o->error = of_buf_reserve(buf, 1);
    if (!o->error) {
        buf->data[buf->len] = '\0';
    }
}

static void
tx_write(struct tx_out *o, const char *s, size_t n)
{
    if (o->error) {
        return;
    }
    o->error = of_buf_reserve(o->buf, n + 1);
    if (o->error) {
        return;
    }
    memcpy(o->buf->data + o->buf->len, s, n);
    o->buf->len += n;
    o->buf->data[o->buf->len] = '\0';
}

void
tx_put(struct tx_out *o, const char *s)
{
    tx_write(o, s, strlen(s));
}

void
tx_putc(struct tx_out *o, char c)
{
    tx_write(o, &c, 1);
}

void
tx_printf(struct tx_out *o, const char *fmt, ...)
{
    char small[256];
    va_list args;
    va_start(args, fmt);
    int n = vsnprintf(small, sizeof small, fmt, args);
    va_end(args);
    if (n < 0) {
        return;
    }
    if ((size_t) n < sizeof small) {
        tx_write(o, small, (size_t) n);
        return;
    }
    char *big = malloc((size_t) n + 1);
    if (!big) {
        o->error = -ENOMEM;
        return;
    }
    va_start(args, fmt);
    vsnprintf(big, (size_t) n + 1, fmt, args);
    va_end(args);
    tx_write(o, big, (size_t) n);
    free(big);
}

char
tx_last(const struct tx_out *o)
{
    return o->buf->len ? (char) o->buf->data[o->buf->len - 1] : '\0';
}

void
tx_chomp(struct tx_out *o, char c)
{
    if (!o->error && o->buf->len && o->buf->data[o->buf->len - 1] == c) {
        o->buf->data[--o->buf->len] = '\0';
    }
}

/* ---- lexer ---- */

/* Length of the value at 's' up to one of 'delims' (or the end), with
 * parentheses nesting: a delimiter inside (...) does not end the value. */
static size_t
value_len(const char *s, const char *delims)
{
    size_t n = 0;
    while (s[n] && !strchr(delims, s[n])) {
        if (s[n] == '(') {
            int depth = 0;
            do {
                if (s[n] == '(') {
                    depth++;
                } else if (s[n] == ')') {
                    depth--;
                }
                n++;
            } while (s[n] && depth > 0);
        } else {
            n++;
        }
    }
    return n;
}

bool
tx_next_kv(char **pos, char **key, char **value)
{
    static const char separators[] = ", \t\r\n";
    char *s = *pos + strspn(*pos, separators);
    if (!*s) {
        *pos = s;
        return false;
    }

    size_t klen = strcspn(s, ":=(, \t\r\n");
    char kdelim = s[klen];
    *key = s;
    s[klen] = '\0';
    s += klen + (kdelim != '\0');

    const char *vdelims;
    if (kdelim == ':' || kdelim == '=') {
        vdelims = separators;
    } else if (kdelim == '(') {
        vdelims = ")";
    } else {
        *value = s - (kdelim != '\0');  /* the NUL we just wrote: "" */
        *pos = s;
        return true;
    }

    size_t vlen = value_len(s, vdelims);
    if (kdelim == '(' && s[vlen] == ')' && s[vlen + 1] == '-'
        && s[vlen + 2] == '>') {
        /* "load(x)->y" style: the value runs on past the parenthesis. */
        vlen += value_len(s + vlen, separators);
    }
    char vdelim = s[vlen];
    s[vlen] = '\0';
    *value = s;
    *pos = s + vlen + (vdelim != '\0');
    return true;
}

char *
tx_strdup(const char *text)
{
    size_t n = strlen(text);
    char *s = malloc(n + 1);
    if (s) {
        memcpy(s, text, n + 1);
    }
    return s;
}

bool
tx_eq(const char *a, const char *b)
{
    return !strcasecmp(a, b);
}

/* ---- numbers ---- */

int
tx_parse_uint(const char *s, uint64_t max, const char *what, uint64_t *out,
              struct tx_err *e)
{
    char *end;
    if (!*s || *s == '-' || *s == '+' || isspace((unsigned char) *s)) {
        return tx_fail(e, "%s: invalid value \"%s\"", what, s);
    }
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (*end || errno) {
        return tx_fail(e, "%s: invalid value \"%s\"", what, s);
    }
    if (v > max) {
        return tx_fail(e, "%s: value \"%s\" out of range (max %" PRIu64 ")",
                       what, s, max);
    }
    *out = v;
    return 0;
}

int
tx_parse_u8(const char *s, const char *what, uint8_t *out, struct tx_err *e)
{
    uint64_t v;
    int error = tx_parse_uint(s, UINT8_MAX, what, &v, e);
    if (!error) {
        *out = (uint8_t) v;
    }
    return error;
}

int
tx_parse_u16(const char *s, const char *what, uint16_t *out, struct tx_err *e)
{
    uint64_t v;
    int error = tx_parse_uint(s, UINT16_MAX, what, &v, e);
    if (!error) {
        *out = (uint16_t) v;
    }
    return error;
}

int
tx_parse_u32(const char *s, const char *what, uint32_t *out, struct tx_err *e)
{
    uint64_t v;
    int error = tx_parse_uint(s, UINT32_MAX, what, &v, e);
    if (!error) {
        *out = (uint32_t) v;
    }
    return error;
}

int
tx_parse_u64(const char *s, const char *what, uint64_t *out, struct tx_err *e)
{
    if (!strcmp(s, "-1")) {
        *out = UINT64_MAX;
        return 0;
    }
    return tx_parse_uint(s, UINT64_MAX, what, out, e);
}

/* ---- ports and groups ---- */

static const struct {
    const char *name;
    uint32_t port;
} reserved_ports[] = {
    { "IN_PORT", OFPP_IN_PORT }, { "TABLE", OFPP_TABLE },
    { "NORMAL", OFPP_NORMAL }, { "FLOOD", OFPP_FLOOD }, { "ALL", OFPP_ALL },
    { "CONTROLLER", OFPP_CONTROLLER }, { "LOCAL", OFPP_LOCAL },
    { "ANY", OFPP_ANY }, { "NONE", OFPP_ANY },
};

const char *
tx_port_name(uint32_t port)
{
    for (size_t i = 0; i < OF_ARRAY_SIZE(reserved_ports); i++) {
        if (reserved_ports[i].port == port) {
            return reserved_ports[i].name;
        }
    }
    return NULL;
}

void
tx_format_port(struct tx_out *o, uint32_t port)
{
    const char *name = tx_port_name(port);
    if (name) {
        tx_put(o, name);
    } else {
        tx_printf(o, "%" PRIu32, port);
    }
}

int
tx_parse_port(const char *s, const char *what, uint32_t *port,
              struct tx_err *e)
{
    for (size_t i = 0; i < OF_ARRAY_SIZE(reserved_ports); i++) {
        if (tx_eq(s, reserved_ports[i].name)) {
            *port = reserved_ports[i].port;
            return 0;
        }
    }
    uint64_t v;
    if (tx_parse_uint(s, UINT32_MAX, what, &v, NULL)) {
        return tx_fail(e, "%s: invalid or unknown port \"%s\"", what, s);
    }
    if (v >= 0xfff8 && v <= 0xffff) {
        /* OpenFlow 1.0 reserved numbers, as ovs-ofctl still reads them. */
        v += 0xffff0000u;
    } else if (v >= OFPP_MAX && v < OFPP_IN_PORT) {
        return tx_fail(e, "%s: invalid or unknown port \"%s\"", what, s);
    }
    *port = (uint32_t) v;
    return 0;
}

int
tx_parse_group(const char *s, const char *what, uint32_t *group,
               struct tx_err *e)
{
    if (tx_eq(s, "all")) {
        *group = OFPG_ALL;
        return 0;
    }
    if (tx_eq(s, "any")) {
        *group = OFPG_ANY;
        return 0;
    }
    return tx_parse_u32(s, what, group, e);
}

/* ---- addresses ---- */

bool
tx_parse_mac(const char *s, uint8_t mac[6])
{
    for (int i = 0; i < 6; i++) {
        if (!isxdigit((unsigned char) s[0])) {
            return false;
        }
        unsigned int v = 0;
        int n = 0;
        while (n < 2 && isxdigit((unsigned char) *s)) {
            v = v * 16 + (unsigned int) (isdigit((unsigned char) *s)
                                         ? *s - '0'
                                         : tolower((unsigned char) *s) - 'a' + 10);
            s++;
            n++;
        }
        mac[i] = (uint8_t) v;
        if (i < 5 && *s++ != ':') {
            return false;
        }
    }
    return *s == '\0';
}

bool
tx_parse_ipv4(const char *s, uint8_t ip[4])
{
    struct in_addr a;
    if (inet_pton(AF_INET, s, &a) != 1) {
        return false;
    }
    memcpy(ip, &a, 4);
    return true;
}

bool
tx_parse_ipv6(const char *s, uint8_t ip[16])
{
    struct in6_addr a;
    if (inet_pton(AF_INET6, s, &a) != 1) {
        return false;
    }
    memcpy(ip, &a, 16);
    return true;
}

/* ---- durations ---- */

void
tx_format_duration(struct tx_out *o, uint32_t sec, uint32_t nsec)
{
    /* Whole seconds print bare; whole milliseconds always with three
     * decimals (so dumps refreshed quickly line up); anything finer with
     * as many decimals as it takes. */
    tx_printf(o, "%" PRIu32, sec);
    if (nsec) {
        uint32_t msec = nsec / 1000000;
        if (msec * 1000000 == nsec) {
            tx_printf(o, ".%03" PRIu32, msec);
        } else {
            char frac[16];
            snprintf(frac, sizeof frac, "%09" PRIu32, nsec);
            for (int i = 8; i > 0 && frac[i] == '0'; i--) {
                frac[i] = '\0';
            }
            tx_printf(o, ".%s", frac);
        }
    }
    tx_putc(o, 's');
}

/* ---- files ---- */

/* Per-line command words of a flow file ("delete in_port=3"). */
static const struct {
    const char *word;
    uint8_t command;
} flow_line_commands[] = {
    { "add", FT_OFPFC_ADD },
    { "modify", FT_OFPFC_MODIFY },
    { "modify_strict", FT_OFPFC_MODIFY_STRICT },
    { "delete", FT_OFPFC_DELETE },
    { "delete_strict", FT_OFPFC_DELETE_STRICT },
};

static int
parse_one_line(char *line, enum of_text_kind kind, uint16_t command,
               struct of_msg *msg, char *err, size_t err_size)
{
    switch (kind) {
    case OF_TEXT_FLOW: {
        size_t wlen = strcspn(line, " \t");
        for (size_t i = 0; i < OF_ARRAY_SIZE(flow_line_commands); i++) {
            if (wlen == strlen(flow_line_commands[i].word)
                && !strncmp(line, flow_line_commands[i].word, wlen)) {
                command = flow_line_commands[i].command;
                line += wlen;
                break;
            }
        }
        return of_text_parse_flow_mod(line, (uint8_t) command, msg, err,
                                      err_size);
    }
    case OF_TEXT_GROUP:
        return of_text_parse_group_mod(line, command, msg, err, err_size);
    case OF_TEXT_METER:
        return of_text_parse_meter_mod(line, command, msg, err, err_size);
    }
    return -EINVAL;
}

int
of_text_parse_lines(const char *text, enum of_text_kind kind,
                    uint16_t command, of_text_line_cb *cb, void *aux,
                    char *err, size_t err_size)
{
    struct tx_err e = { err, err_size };
    char *copy = tx_strdup(text);
    if (!copy) {
        return -ENOMEM;
    }
    tx_fail(&e, "%s", "");

    int error = 0;
    unsigned int line_no = 0;
    for (char *line = copy; line && !error;) {
        char *next = strchr(line, '\n');
        if (next) {
            *next++ = '\0';
        }
        line_no++;

        char *hash = strchr(line, '#');
        if (hash) {
            *hash = '\0';
        }
        line += strspn(line, " \t\r\v\f");
        size_t len = strlen(line);
        while (len && isspace((unsigned char) line[len - 1])) {
            line[--len] = '\0';
        }
        if (len) {
            struct of_msg msg;
            char note[OF_TEXT_ERR_LEN];
            error = parse_one_line(line, kind, command, &msg, note,
                                   sizeof note);
            if (error) {
                tx_fail(&e, "line %u: %s", line_no, note);
            } else {
                error = cb(&msg, line_no, note, aux);
                tx_fail(&e, "%s", "");
            }
            of_msg_uninit(&msg);
        }
        line = next;
    }
    free(copy);
    return error;
}

/* ---- replies ---- */

int
of_text_format_port(uint32_t port, struct of_buf *out)
{
    struct tx_out o;
    tx_out_init(&o, out);
    tx_format_port(&o, port);
    return o.error;
}
