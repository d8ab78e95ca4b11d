/*
 * of_private.h — the codec's internal machinery, shared by the files of
 * openflow/ and by nothing else.
 *
 * A layout (struct of_layout) is the description of one wire structure: an
 * ordered list of ops, each naming a wire field and the offset of the C
 * member it maps to. The interpreter in of_layout.c walks a layout to
 * decode, encode, compare or format; message, multipart, action,
 * instruction, band, bucket and property tables are all layouts. Lists of
 * elements are described by struct of_list_desc: either one fixed layout,
 * or a type-length-value family whose element type (u16 at wire offset 0)
 * picks the layout.
 *
 * Pure data and pure functions; any thread.
 */
#ifndef VSWITCH_OPENFLOW_OF_PRIVATE_H
#define VSWITCH_OPENFLOW_OF_PRIVATE_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "openflow/openflow.h"

/* The generic view of every OF_LIST_OF(T). */
struct of_list {
    void *items;
    uint32_t n;
};
_Static_assert(sizeof(struct of_list) == sizeof(struct of_action_list),
               "typed lists share one layout");
_Static_assert(offsetof(struct of_action_list, n) == offsetof(struct of_list, n),
               "typed lists share one layout");

enum of_op_kind {
    OFL_U8, OFL_U16, OFL_U32, OFL_U64,  /* host-order scalar member */
    OFL_PAD,        /* 'n' bytes: zero on encode, ignored on decode */
    OFL_BYTES,      /* 'n' bytes copied to a byte/char array member */
    OFL_LEN16,      /* this element's own length (u16), not stored */
    OFL_SUBLEN16,   /* u16 byte length of the next OFL_LIST, not stored */
    OFL_STRUCT,     /* nested fixed layout 'sub' at member 'off' */
    OFL_MATCH,      /* struct of_match (ofp_match, padded to 8) */
    OFL_LIST,       /* list member described by 'list' up to element end */
    OFL_DATA,       /* struct of_blob member: rest of the element */
    OFL_SETFIELD,   /* struct of_set_field: one OXM TLV, then padding */
    OFL_MSG,        /* struct of_msg * member: a nested message (bundles) */
};

struct of_layout;
struct of_list_desc;

struct of_op {
    uint8_t kind;                   /* enum of_op_kind */
    uint16_t n;                     /* OFL_PAD/OFL_BYTES: byte count */
    uint32_t off;                   /* member offset in the C struct */
    const char *name;               /* JSON name (NULL for pads/lengths) */
    const struct of_layout *sub;    /* OFL_STRUCT */
    const struct of_list_desc *list;/* OFL_LIST */
};

struct of_layout {
    const char *name;
    const struct of_op *ops;
    unsigned int n_ops;
    /* Optional semantic check after a successful structural decode
     * (e.g. OUTPUT to port 0): 0 or -EBADMSG with *err set. */
    int (*check)(const void *obj, struct of_err *err);
};

/* One member of a TLV family: element type -> layout. */
struct of_variant {
    uint16_t type;
    const struct of_layout *layout;
};

enum of_list_len_rule {
    OF_LEN_FIXED,       /* elements are their layout's fixed size */
    OF_LEN_FIELD,       /* the layout's OFL_LEN16 gives the element length */
    OF_LEN_FIELD_PAD8,  /* ...which excludes padding to a multiple of 8 */
};

struct of_list_desc {
    const char *name;
    size_t elem_size;               /* sizeof the C element */
    const struct of_layout *fixed;  /* one layout for every element, or */
    const struct of_variant *variants;  /* a TLV family keyed by type@0 */
    unsigned int n_variants;
    const struct of_layout *unknown;/* layout for unknown types, or NULL */
    uint8_t len_rule;               /* enum of_list_len_rule */
    uint8_t align;                  /* element length must be a multiple (0: any) */
    struct of_err err_len;          /* element length wrong */
    struct of_err err_type;         /* unknown element type */
};

/* Scratch state of one walk. */
struct of_dec {
    struct of_msg *msg;             /* owner of the arena */
    struct of_err *err;
    struct of_err err_len;          /* error for a short/long element here */
};

/* ---- of_layout.c: the interpreter ---- */

/* Decodes buf[0..len) into 'obj' per 'layout'; the element ends exactly at
 * len (leftover bytes are an error unless the layout ends in a list/data). */
int of_layout_decode(struct of_dec *dec, const struct of_layout *layout,
                     const uint8_t *buf, size_t len, void *obj);
int of_layout_encode(const struct of_layout *layout, const void *obj,
                     struct of_buf *out);
bool of_layout_equal(const struct of_layout *layout, const void *a,
                     const void *b);
/* Minimum wire size of 'layout': its fixed ops up to the first list or
 * blob, counting a match as its empty 8-byte form. */
size_t of_layout_fixed_len(const struct of_layout *layout);

/* List helpers (also used for multipart split/append). */
int of_list_decode(struct of_dec *dec, const struct of_list_desc *desc,
                   const uint8_t *buf, size_t len, struct of_list *list);
int of_list_encode(const struct of_list_desc *desc, const struct of_list *list,
                   struct of_buf *out);
int of_list_elem_encode(const struct of_list_desc *desc, const void *elem,
                        struct of_buf *out);

/* JSON formatter state. */
struct of_fmt {
    char *buf;
    size_t size;
    size_t len;                     /* length needed so far */
};
void of_fmt_printf(struct of_fmt *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void of_layout_format(struct of_fmt *f, const struct of_layout *layout,
                      const void *obj);

/* ---- buffers and arena ---- */
int of_buf_reserve(struct of_buf *out, size_t more);
int of_buf_put(struct of_buf *out, const void *data, size_t len);
int of_buf_put_zeros(struct of_buf *out, size_t len);
void *of_arena_alloc(struct of_arena *arena, size_t size);
void of_arena_free(struct of_arena *arena);

static inline uint16_t of_get16(const uint8_t *p) { return (uint16_t) (p[0] << 8 | p[1]); }
static inline uint32_t
of_get32(const uint8_t *p)
{
    return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16 | (uint32_t) p[2] << 8 | p[3];
}
static inline uint64_t of_get64(const uint8_t *p) { return (uint64_t) of_get32(p) << 32 | of_get32(p + 4); }
static inline void of_put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t) (v >> 8); p[1] = (uint8_t) v; }
static inline void
of_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t) (v >> 24); p[1] = (uint8_t) (v >> 16);
    p[2] = (uint8_t) (v >> 8); p[3] = (uint8_t) v;
}
static inline void of_put64(uint8_t *p, uint64_t v) { of_put32(p, (uint32_t) (v >> 32)); of_put32(p + 4, (uint32_t) v); }

static inline int
of_fail(struct of_err *err, uint16_t type, uint16_t code)
{
    if (err) {
        err->type = type;
        err->code = code;
    }
    return -EBADMSG;
}

/* ---- of_oxm.c ---- */
int of_match_decode(struct of_dec *dec, const uint8_t *buf, size_t len,
                    struct of_match *match, size_t *consumed);
int of_match_encode(const struct of_match *match, struct of_buf *out);
bool of_match_equal(const struct of_match *a, const struct of_match *b);
void of_match_format(struct of_fmt *f, const struct of_match *match);
int of_set_field_decode(const uint8_t *buf, size_t len,
                        struct of_set_field *sf, struct of_err *err);
int of_set_field_encode(const struct of_set_field *sf, struct of_buf *out);
void of_set_field_format(struct of_fmt *f, const struct of_set_field *sf);
/* A big-endian wire field of 'len' bytes (at most 8) as a host integer,
 * and back (the low 'len' bytes of 'v'). */
uint64_t of_wire_to_uint(const uint8_t *p, unsigned int len);
void of_uint_to_wire(uint64_t v, uint8_t *p, unsigned int len);

/* ---- tables defined in of_actions.c / of_msg.c / of_multipart.c ---- */
extern const struct of_list_desc of_action_list_desc;
extern const struct of_list_desc of_instruction_list_desc;
extern const struct of_list_desc of_bucket_list_desc;
extern const struct of_list_desc of_meter_band_list_desc;
extern const struct of_layout of_port_layout;
extern const struct of_list_desc of_packet_queue_list_desc;

/* Multipart body dispatch (of_multipart.c). */
const struct of_layout *of_multipart_body_layout(uint16_t mp_type, bool reply);

/* Message dispatch (of_msg.c): the layout of a message's body. */
const struct of_layout *of_msg_body_layout(const struct of_msg *msg);
int of_msg_decode_nested(struct of_dec *dec, const uint8_t *buf, size_t len,
                         struct of_msg **out);

#define OF_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Layout-table builders: keep the tables one line per wire field. */
#define OF_U8(T, m)   { .kind = OFL_U8,  .off = offsetof(T, m), .name = #m }
#define OF_U16(T, m)  { .kind = OFL_U16, .off = offsetof(T, m), .name = #m }
#define OF_U32(T, m)  { .kind = OFL_U32, .off = offsetof(T, m), .name = #m }
#define OF_U64(T, m)  { .kind = OFL_U64, .off = offsetof(T, m), .name = #m }
#define OF_U32N(T, m, nm) { .kind = OFL_U32, .off = offsetof(T, m), .name = nm }
#define OF_PAD(N)     { .kind = OFL_PAD, .n = (N) }
#define OF_BYTES(T, m, N) { .kind = OFL_BYTES, .n = (N), .off = offsetof(T, m), .name = #m }
#define OF_LEN16()    { .kind = OFL_LEN16 }
#define OF_SUBLEN16() { .kind = OFL_SUBLEN16 }
#define OF_STRUCT(T, m, L) { .kind = OFL_STRUCT, .off = offsetof(T, m), .name = #m, .sub = &(L) }
#define OF_MATCH(T, m) { .kind = OFL_MATCH, .off = offsetof(T, m), .name = #m }
#define OF_LIST(T, m, D) { .kind = OFL_LIST, .off = offsetof(T, m), .name = #m, .list = &(D) }
#define OF_DATA(T, m) { .kind = OFL_DATA, .off = offsetof(T, m), .name = #m }
#define OF_SETFIELD(T, m) { .kind = OFL_SETFIELD, .off = offsetof(T, m), .name = #m }
#define OF_MSG(T, m)  { .kind = OFL_MSG, .off = offsetof(T, m), .name = #m }

/* OF_LAYOUT(static, x, ...) or OF_LAYOUT(, x, ...) for a shared table. */
#define OF_LAYOUT(storage, var, nm, ...)                                  \
    static const struct of_op var##_ops[] = { __VA_ARGS__ };            \
    storage const struct of_layout var = { .name = nm, .ops = var##_ops,        \
                                   .n_ops = OF_ARRAY_SIZE(var##_ops) }
#define OF_LAYOUT_CHECKED(storage, var, nm, chk, ...)                     \
    static const struct of_op var##_ops[] = { __VA_ARGS__ };            \
    storage const struct of_layout var = { .name = nm, .ops = var##_ops,        \
                                   .n_ops = OF_ARRAY_SIZE(var##_ops),   \
                                   .check = chk }
/* An empty body (BARRIER, FEATURES_REQUEST...). */
extern const struct of_layout of_empty_layout;

#endif
