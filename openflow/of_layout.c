/*
 * of_layout.c — the layout interpreter: one decoder, encoder, comparator
 * and JSON formatter for every wire structure described by a layout table
 * (see of_private.h), plus the codec's output buffer and decode arena.
 *
 * Bounds discipline: every read is preceded by a check against the end of
 * the current element, and an element's end is never past its parent's,
 * so a lying length can only produce an error, never an out-of-bounds
 * read. Which error depends on where it happens: the caller sets
 * dec->err_len for its context (BAD_REQUEST/BAD_LEN for a message body,
 * BAD_ACTION/BAD_LEN inside an action list, ...).
 *
 * Pure functions on caller-owned objects; any thread.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "openflow/of_private.h"

/* ---- output buffer ---- */

void
of_buf_init(struct of_buf *buf)
{
    buf->data = NULL;
    buf->len = 0;
    buf->cap = 0;
}

void
of_buf_uninit(struct of_buf *buf)
{
    free(buf->data);
    of_buf_init(buf);
}

void
of_buf_clear(struct of_buf *buf)
{
    buf->len = 0;
}

int
of_buf_reserve(struct of_buf *out, size_t more)
{
    if (out->cap - out->len >= more) {
        return 0;
    }
    size_t cap = out->cap ? out->cap : 256;
    while (cap - out->len < more) {
        cap *= 2;
    }
    uint8_t *data = realloc(out->data, cap);
    if (!data) {
        return -ENOMEM;
    }
    out->data = data;
    out->cap = cap;
    return 0;
}

int
of_buf_put(struct of_buf *out, const void *data, size_t len)
{
    int error = of_buf_reserve(out, len);
    if (!error && len) {
        memcpy(out->data + out->len, data, len);
        out->len += len;
    }
    return error;
}

int
of_buf_put_zeros(struct of_buf *out, size_t len)
{
    int error = of_buf_reserve(out, len);
    if (!error && len) {
        memset(out->data + out->len, 0, len);
        out->len += len;
    }
    return error;
}

/* ---- arena: chunks freed together, so error paths never leak ---- */

struct of_arena_chunk {
    struct of_arena_chunk *next;
    size_t size, used;
    max_align_t data[];
};

#define OF_ARENA_CHUNK 4096

void *
of_arena_alloc(struct of_arena *arena, size_t size)
{
    size = (size + 15) & ~(size_t) 15;
    struct of_arena_chunk *c = arena->head;
    if (!c || c->size - c->used < size) {
        size_t cap = size > OF_ARENA_CHUNK ? size : OF_ARENA_CHUNK;
        c = malloc(sizeof *c + cap);
        if (!c) {
            return NULL;
        }
        c->size = cap;
        c->used = 0;
        c->next = arena->head;
        arena->head = c;
    }
    void *p = (char *) c->data + c->used;
    c->used += size;
    memset(p, 0, size);
    return p;
}

void
of_arena_free(struct of_arena *arena)
{
    struct of_arena_chunk *c = arena->head;
    while (c) {
        struct of_arena_chunk *next = c->next;
        free(c);
        c = next;
    }
    arena->head = NULL;
}

/* ---- member access ---- */

static void *
member(void *obj, uint32_t off)
{
    return (char *) obj + off;
}

static const void *
cmember(const void *obj, uint32_t off)
{
    return (const char *) obj + off;
}

static struct of_list
list_get(const void *obj, uint32_t off)
{
    struct of_list list;
    memcpy(&list, cmember(obj, off), sizeof list);
    return list;
}

static void
list_set(void *obj, uint32_t off, const struct of_list *list)
{
    memcpy(member(obj, off), list, sizeof *list);
}

static size_t
op_fixed_len(const struct of_op *op)
{
    switch (op->kind) {
    case OFL_U8: return 1;
    case OFL_U16: return 2;
    case OFL_U32: return 4;
    case OFL_U64: return 8;
    case OFL_PAD:
    case OFL_BYTES: return op->n;
    case OFL_LEN16:
    case OFL_SUBLEN16: return 2;
    case OFL_STRUCT: return of_layout_fixed_len(op->sub);
    default: return 0;
    }
}

static bool
op_is_variable(const struct of_op *op)
{
    return op->kind >= OFL_MATCH;
}

size_t
of_layout_fixed_len(const struct of_layout *layout)
{
    size_t len = 0;
    for (unsigned int i = 0; i < layout->n_ops; i++) {
        if (op_is_variable(&layout->ops[i])) {
            /* A match is at least its 8-byte empty form. */
            if (layout->ops[i].kind == OFL_MATCH) {
                len += 8;
                continue;
            }
            break;
        }
        len += op_fixed_len(&layout->ops[i]);
    }
    return len;
}

/* Wire offset of the layout's own length field, or -1. */
static int
layout_len_offset(const struct of_layout *layout)
{
    size_t off = 0;
    for (unsigned int i = 0; i < layout->n_ops; i++) {
        const struct of_op *op = &layout->ops[i];
        if (op->kind == OFL_LEN16) {
            return (int) off;
        }
        if (op_is_variable(op)) {
            return -1;
        }
        off += op_fixed_len(op);
    }
    return -1;
}

/* ---- decode ---- */

int
of_layout_decode(struct of_dec *dec, const struct of_layout *layout,
                 const uint8_t *buf, size_t len, void *obj)
{
    size_t pos = 0;
    long sublen = -1;               /* pending OFL_SUBLEN16 value */
    int error;

    for (unsigned int i = 0; i < layout->n_ops; i++) {
        const struct of_op *op = &layout->ops[i];
        size_t need = op_fixed_len(op);
        if (len - pos < need) {
            return of_fail(dec->err, dec->err_len.type, dec->err_len.code);
        }
        const uint8_t *p = buf + pos;
        switch (op->kind) {
        case OFL_U8:
            *(uint8_t *) member(obj, op->off) = p[0];
            break;
        case OFL_U16: {
            uint16_t v = of_get16(p);
            memcpy(member(obj, op->off), &v, sizeof v);
            break;
        }
        case OFL_U32: {
            uint32_t v = of_get32(p);
            memcpy(member(obj, op->off), &v, sizeof v);
            break;
        }
        case OFL_U64: {
            uint64_t v = of_get64(p);
            memcpy(member(obj, op->off), &v, sizeof v);
            break;
        }
        case OFL_PAD:
        case OFL_LEN16:             /* validated by whoever framed us */
            break;
        case OFL_BYTES:
            memcpy(member(obj, op->off), p, op->n);
            break;
        case OFL_SUBLEN16:
            sublen = of_get16(p);
            break;
        case OFL_STRUCT:
            error = of_layout_decode(dec, op->sub, p, need, member(obj, op->off));
            if (error) {
                return error;
            }
            break;
        case OFL_MATCH: {
            size_t used;
            error = of_match_decode(dec, p, len - pos, member(obj, op->off), &used);
            if (error) {
                return error;
            }
            need = used;
            break;
        }
        case OFL_LIST: {
            size_t end = len - pos;
            if (sublen >= 0) {
                if ((size_t) sublen > end) {
                    return of_fail(dec->err, dec->err_len.type, dec->err_len.code);
                }
                end = (size_t) sublen;
                sublen = -1;
            }
            struct of_list list = { NULL, 0 };
            error = of_list_decode(dec, op->list, p, end, &list);
            if (error) {
                return error;
            }
            list_set(obj, op->off, &list);
            need = end;
            break;
        }
        case OFL_DATA: {
            struct of_blob blob = { len - pos ? p : NULL, (uint32_t) (len - pos) };
            memcpy(member(obj, op->off), &blob, sizeof blob);
            need = len - pos;
            break;
        }
        case OFL_SETFIELD: {
            error = of_set_field_decode(p, len - pos, member(obj, op->off), dec->err);
            if (error) {
                return error;
            }
            need = len - pos;
            break;
        }
        case OFL_MSG: {
            struct of_msg *inner = NULL;
            error = of_msg_decode_nested(dec, p, len - pos, &inner);
            if (error) {
                return error;
            }
            memcpy(member(obj, op->off), &inner, sizeof inner);
            need = of_msg_peek_len(p, len - pos);
            /* Anything after the inner message starts 8-aligned. */
            if (need < len - pos) {
                size_t padded = (need + 7) & ~(size_t) 7;
                if (padded > len - pos) {
                    return of_fail(dec->err, dec->err_len.type, dec->err_len.code);
                }
                need = padded;
            }
            break;
        }
        }
        pos += need;
    }
    if (pos != len) {
        return of_fail(dec->err, dec->err_len.type, dec->err_len.code);
    }
    return layout->check ? layout->check(obj, dec->err) : 0;
}

static const struct of_layout *
variant_layout(const struct of_list_desc *desc, uint16_t type)
{
    for (unsigned int i = 0; i < desc->n_variants; i++) {
        if (desc->variants[i].type == type) {
            return desc->variants[i].layout;
        }
    }
    return desc->unknown;
}

/* Frames the element at buf[0..len): its layout, its own length (without
 * padding) and the bytes it occupies (with padding). */
static int
frame_elem(struct of_dec *dec, const struct of_list_desc *desc,
           const uint8_t *buf, size_t len, const struct of_layout **layoutp,
           size_t *elem_len, size_t *step)
{
    const struct of_layout *layout = desc->fixed;
    const struct of_err *el = &desc->err_len;

    if (!layout) {
        if (len < 4) {
            return of_fail(dec->err, el->type, el->code);
        }
        layout = variant_layout(desc, of_get16(buf));
        if (!layout) {
            return of_fail(dec->err, desc->err_type.type, desc->err_type.code);
        }
    }
    size_t min = of_layout_fixed_len(layout);
    size_t n;
    if (desc->len_rule == OF_LEN_FIXED) {
        n = min;
        *step = n;
    } else {
        int lo = desc->fixed ? layout_len_offset(layout) : 2;
        if (lo < 0 || len < (size_t) lo + 2) {
            return of_fail(dec->err, el->type, el->code);
        }
        n = of_get16(buf + lo);
        *step = desc->len_rule == OF_LEN_FIELD_PAD8 ? (n + 7) & ~(size_t) 7 : n;
        if (n < min || n < (size_t) lo + 2
            || (desc->align && n % desc->align)) {
            return of_fail(dec->err, el->type, el->code);
        }
    }
    if (n == 0 || *step > len) {
        return of_fail(dec->err, el->type, el->code);
    }
    *layoutp = layout;
    *elem_len = n;
    return 0;
}

int
of_list_decode(struct of_dec *dec, const struct of_list_desc *desc,
               const uint8_t *buf, size_t len, struct of_list *list)
{
    struct of_err saved = dec->err_len;
    const struct of_layout *layout;
    size_t n = 0, elem_len, step;
    int error = 0;

    dec->err_len = desc->err_len;
    /* Pass 1: frame every element, so the array is allocated once. */
    for (size_t pos = 0; pos < len; pos += step, n++) {
        error = frame_elem(dec, desc, buf + pos, len - pos, &layout,
                           &elem_len, &step);
        if (error) {
            goto out;
        }
    }
    list->n = (uint32_t) n;
    list->items = NULL;
    if (n) {
        list->items = of_arena_alloc(&dec->msg->arena, n * desc->elem_size);
        if (!list->items) {
            error = -ENOMEM;
            goto out;
        }
    }
    /* Pass 2: decode each element within its own bounds. */
    size_t pos = 0;
    for (size_t i = 0; i < n; i++, pos += step) {
        (void) frame_elem(dec, desc, buf + pos, len - pos, &layout,
                          &elem_len, &step);    /* succeeded in pass 1 */
        error = of_layout_decode(dec, layout, buf + pos, elem_len,
                                 (char *) list->items + i * desc->elem_size);
        if (error) {
            goto out;
        }
    }
out:
    dec->err_len = saved;
    return error;
}

/* ---- encode ---- */

static int
put_be(struct of_buf *out, uint64_t v, size_t n)
{
    uint8_t b[8];
    for (size_t i = 0; i < n; i++) {
        b[i] = (uint8_t) (v >> (8 * (n - 1 - i)));
    }
    return of_buf_put(out, b, n);
}

int
of_layout_encode(const struct of_layout *layout, const void *obj,
                 struct of_buf *out)
{
    size_t start = out->len;
    long len_pos = -1, sublen_pos = -1;
    int error = 0;

    for (unsigned int i = 0; i < layout->n_ops && !error; i++) {
        const struct of_op *op = &layout->ops[i];
        const void *m = cmember(obj, op->off);
        switch (op->kind) {
        case OFL_U8:
            error = put_be(out, *(const uint8_t *) m, 1);
            break;
        case OFL_U16: {
            uint16_t v;
            memcpy(&v, m, sizeof v);
            error = put_be(out, v, 2);
            break;
        }
        case OFL_U32: {
            uint32_t v;
            memcpy(&v, m, sizeof v);
            error = put_be(out, v, 4);
            break;
        }
        case OFL_U64: {
            uint64_t v;
            memcpy(&v, m, sizeof v);
            error = put_be(out, v, 8);
            break;
        }
        case OFL_PAD:
            error = of_buf_put_zeros(out, op->n);
            break;
        case OFL_BYTES:
            error = of_buf_put(out, m, op->n);
            break;
        case OFL_LEN16:
            len_pos = (long) out->len;
            error = of_buf_put_zeros(out, 2);
            break;
        case OFL_SUBLEN16:
            sublen_pos = (long) out->len;
            error = of_buf_put_zeros(out, 2);
            break;
        case OFL_STRUCT:
            error = of_layout_encode(op->sub, m, out);
            break;
        case OFL_MATCH:
            error = of_match_encode(m, out);
            break;
        case OFL_LIST: {
            struct of_list list = list_get(obj, op->off);
            size_t list_start = out->len;
            error = of_list_encode(op->list, &list, out);
            if (!error && sublen_pos >= 0) {
                size_t n = out->len - list_start;
                if (n > UINT16_MAX) {
                    error = -EMSGSIZE;
                    break;
                }
                of_put16(out->data + sublen_pos, (uint16_t) n);
                sublen_pos = -1;
            }
            break;
        }
        case OFL_DATA: {
            struct of_blob blob;
            memcpy(&blob, m, sizeof blob);
            if (blob.len && !blob.data) {
                error = -EINVAL;
                break;
            }
            error = of_buf_put(out, blob.data, blob.len);
            break;
        }
        case OFL_SETFIELD:
            error = of_set_field_encode(m, out);
            if (!error) {
                size_t n = out->len - start;
                error = of_buf_put_zeros(out, ((n + 7) & ~(size_t) 7) - n);
            }
            break;
        case OFL_MSG: {
            const struct of_msg *inner;
            memcpy(&inner, m, sizeof inner);
            if (!inner) {
                error = -EINVAL;
                break;
            }
            size_t inner_start = out->len;
            error = of_msg_encode(inner, out);
            /* Properties after the message start 8-aligned (EXT-230). */
            if (!error && i + 1 < layout->n_ops
                && layout->ops[i + 1].kind == OFL_DATA) {
                struct of_blob props;
                memcpy(&props, cmember(obj, layout->ops[i + 1].off), sizeof props);
                if (props.len) {
                    size_t n = out->len - inner_start;
                    error = of_buf_put_zeros(out, ((n + 7) & ~(size_t) 7) - n);
                }
            }
            break;
        }
        }
    }
    if (!error && len_pos >= 0) {
        size_t n = out->len - start;
        if (n > UINT16_MAX) {
            error = -EMSGSIZE;
        } else {
            of_put16(out->data + len_pos, (uint16_t) n);
        }
    }
    if (error) {
        out->len = start;
    }
    return error;
}

static const struct of_layout *
elem_layout(const struct of_list_desc *desc, const void *elem)
{
    if (desc->fixed) {
        return desc->fixed;
    }
    uint16_t type;
    memcpy(&type, elem, sizeof type);   /* variant elements start with type */
    return variant_layout(desc, type);
}

int
of_list_elem_encode(const struct of_list_desc *desc, const void *elem,
                    struct of_buf *out)
{
    const struct of_layout *layout = elem_layout(desc, elem);
    if (!layout) {
        return -EINVAL;
    }
    size_t start = out->len;
    int error = of_layout_encode(layout, elem, out);
    if (error || desc->len_rule == OF_LEN_FIXED) {
        return error;
    }
    size_t n = out->len - start;
    size_t padded = n;
    if (desc->len_rule == OF_LEN_FIELD_PAD8) {
        padded = (n + 7) & ~(size_t) 7;
    } else if (desc->align) {
        padded = (n + desc->align - 1) / desc->align * desc->align;
    }
    error = of_buf_put_zeros(out, padded - n);
    if (!error && desc->len_rule == OF_LEN_FIELD && padded != n) {
        int lo = desc->fixed ? layout_len_offset(layout) : 2;
        if (padded > UINT16_MAX) {
            error = -EMSGSIZE;
        } else if (lo >= 0) {
            of_put16(out->data + start + lo, (uint16_t) padded);
        }
    }
    if (error) {
        out->len = start;
    }
    return error;
}

int
of_list_encode(const struct of_list_desc *desc, const struct of_list *list,
               struct of_buf *out)
{
    size_t start = out->len;
    if (list->n && !list->items) {
        return -EINVAL;
    }
    for (uint32_t i = 0; i < list->n; i++) {
        int error = of_list_elem_encode(
            desc, (const char *) list->items + (size_t) i * desc->elem_size, out);
        if (error) {
            out->len = start;
            return error;
        }
    }
    return 0;
}

/* ---- equality ---- */

static bool list_equal(const struct of_list_desc *desc,
                       const struct of_list *a, const struct of_list *b);

bool
of_layout_equal(const struct of_layout *layout, const void *a, const void *b)
{
    for (unsigned int i = 0; i < layout->n_ops; i++) {
        const struct of_op *op = &layout->ops[i];
        const void *ma = cmember(a, op->off), *mb = cmember(b, op->off);
        bool same = true;
        switch (op->kind) {
        case OFL_U8: same = !memcmp(ma, mb, 1); break;
        case OFL_U16: same = !memcmp(ma, mb, 2); break;
        case OFL_U32: same = !memcmp(ma, mb, 4); break;
        case OFL_U64: same = !memcmp(ma, mb, 8); break;
        case OFL_BYTES: same = !memcmp(ma, mb, op->n); break;
        case OFL_PAD:
        case OFL_LEN16:
        case OFL_SUBLEN16: break;
        case OFL_STRUCT: same = of_layout_equal(op->sub, ma, mb); break;
        case OFL_MATCH: same = of_match_equal(ma, mb); break;
        case OFL_LIST: {
            struct of_list la = list_get(a, op->off), lb = list_get(b, op->off);
            same = list_equal(op->list, &la, &lb);
            break;
        }
        case OFL_DATA: {
            struct of_blob ba, bb;
            memcpy(&ba, ma, sizeof ba);
            memcpy(&bb, mb, sizeof bb);
            same = ba.len == bb.len && (!ba.len || !memcmp(ba.data, bb.data, ba.len));
            break;
        }
        case OFL_SETFIELD: {
            const struct of_set_field *sa = ma, *sb = mb;
            same = sa->field == sb->field && sa->len == sb->len
                   && sa->len <= OF_OXM_MAX_VALUE_LEN
                   && !memcmp(sa->value, sb->value, sa->len);
            break;
        }
        case OFL_MSG: {
            const struct of_msg *xa, *xb;
            memcpy(&xa, ma, sizeof xa);
            memcpy(&xb, mb, sizeof xb);
            same = xa && xb ? of_msg_equal(xa, xb) : xa == xb;
            break;
        }
        }
        if (!same) {
            return false;
        }
    }
    return true;
}

static bool
list_equal(const struct of_list_desc *desc, const struct of_list *a,
           const struct of_list *b)
{
    if (a->n != b->n) {
        return false;
    }
    for (uint32_t i = 0; i < a->n; i++) {
        const void *ea = (const char *) a->items + (size_t) i * desc->elem_size;
        const void *eb = (const char *) b->items + (size_t) i * desc->elem_size;
        const struct of_layout *la = elem_layout(desc, ea);
        if (!la || la != elem_layout(desc, eb) || !of_layout_equal(la, ea, eb)) {
            return false;
        }
    }
    return true;
}

/* ---- JSON formatting ---- */

void
of_fmt_printf(struct of_fmt *f, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    size_t room = f->len < f->size ? f->size - f->len : 0;
    int n = vsnprintf(room ? f->buf + f->len : NULL, room, fmt, args);
    va_end(args);
    if (n > 0) {
        f->len += (size_t) n;
    }
}

static void
fmt_string(struct of_fmt *f, const uint8_t *s, size_t n)
{
    of_fmt_printf(f, "\"");
    for (size_t i = 0; i < n && s[i]; i++) {
        if (s[i] < 0x20 || s[i] >= 0x7f || s[i] == '"' || s[i] == '\\') {
            of_fmt_printf(f, "\\u%04x", s[i]);
        } else {
            of_fmt_printf(f, "%c", s[i]);
        }
    }
    of_fmt_printf(f, "\"");
}

static void
fmt_hex(struct of_fmt *f, const uint8_t *p, size_t n)
{
    of_fmt_printf(f, "\"");
    for (size_t i = 0; i < n; i++) {
        of_fmt_printf(f, "%02x", p[i]);
    }
    of_fmt_printf(f, "\"");
}

static void fmt_list(struct of_fmt *f, const struct of_list_desc *desc,
                     const struct of_list *list);

static void
fmt_op_value(struct of_fmt *f, const struct of_op *op, const void *obj)
{
    const void *m = cmember(obj, op->off);
    switch (op->kind) {
    case OFL_U8: of_fmt_printf(f, "%u", *(const uint8_t *) m); break;
    case OFL_U16: { uint16_t v; memcpy(&v, m, 2); of_fmt_printf(f, "%u", v); break; }
    case OFL_U32: { uint32_t v; memcpy(&v, m, 4); of_fmt_printf(f, "%u", v); break; }
    case OFL_U64: {
        uint64_t v;
        memcpy(&v, m, 8);
        of_fmt_printf(f, "%llu", (unsigned long long) v);
        break;
    }
    case OFL_BYTES:
        if (op->n == 6) {       /* hardware addresses */
            const uint8_t *e = m;
            of_fmt_printf(f, "\"%02x:%02x:%02x:%02x:%02x:%02x\"",
                          e[0], e[1], e[2], e[3], e[4], e[5]);
        } else {
            fmt_string(f, m, op->n);
        }
        break;
    case OFL_STRUCT: of_layout_format(f, op->sub, m); break;
    case OFL_MATCH: of_match_format(f, m); break;
    case OFL_LIST: {
        struct of_list list = list_get(obj, op->off);
        fmt_list(f, op->list, &list);
        break;
    }
    case OFL_DATA: {
        struct of_blob blob;
        memcpy(&blob, m, sizeof blob);
        fmt_hex(f, blob.data, blob.len);
        break;
    }
    case OFL_SETFIELD: of_set_field_format(f, m); break;
    case OFL_MSG: {
        const struct of_msg *inner;
        memcpy(&inner, m, sizeof inner);
        if (inner) {
            struct of_fmt sub = { f->len < f->size ? f->buf + f->len : NULL,
                                  f->len < f->size ? f->size - f->len : 0, 0 };
            f->len += (size_t) of_msg_format(inner, sub.buf, sub.size);
        } else {
            of_fmt_printf(f, "null");
        }
        break;
    }
    default: of_fmt_printf(f, "null"); break;
    }
}

void
of_layout_format(struct of_fmt *f, const struct of_layout *layout,
                 const void *obj)
{
    /* A one-field unnamed layout is a bare value (u8/u32 id lists). */
    if (layout->n_ops == 1 && !layout->ops[0].name
        && layout->ops[0].kind <= OFL_U64) {
        fmt_op_value(f, &layout->ops[0], obj);
        return;
    }
    const char *sep = "";
    of_fmt_printf(f, "{");
    for (unsigned int i = 0; i < layout->n_ops; i++) {
        const struct of_op *op = &layout->ops[i];
        if (!op->name) {
            continue;
        }
        /* "flow_mod.cookie" -> "cookie": the member path, last step. */
        const char *dot = strrchr(op->name, '.');
        of_fmt_printf(f, "%s\"%s\":", sep, dot ? dot + 1 : op->name);
        fmt_op_value(f, op, obj);
        sep = ",";
    }
    of_fmt_printf(f, "}");
}

static void
fmt_list(struct of_fmt *f, const struct of_list_desc *desc,
         const struct of_list *list)
{
    of_fmt_printf(f, "[");
    for (uint32_t i = 0; i < list->n; i++) {
        const void *e = (const char *) list->items + (size_t) i * desc->elem_size;
        const struct of_layout *layout = elem_layout(desc, e);
        if (i) {
            of_fmt_printf(f, ",");
        }
        if (layout) {
            of_layout_format(f, layout, e);
        } else {
            of_fmt_printf(f, "null");
        }
    }
    of_fmt_printf(f, "]");
}
