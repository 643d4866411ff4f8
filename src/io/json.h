/* json.h — a small, strict, bounded JSON reader (internal API).
 *
 * rnl_json_parse reads one complete RFC 8259 document into a tree and rejects everything
 * else: trailing bytes other than whitespace, comments, single quotes, trailing commas,
 * leading zeros, NaN/Infinity, numbers that overflow a double, control characters and invalid
 * UTF-8 in strings, lone surrogates in \u escapes, duplicate keys in one object, and a byte
 * order mark. Two deliberate restrictions beyond the RFC: strings may not contain U+0000 (so
 * every string and key is a plain C string), and nesting is limited to RNL_JSON_MAX_DEPTH.
 * Failures are RNL_ERR_DATA with a message "<what>: invalid JSON at line L, column C (byte B):
 * <problem>".
 *
 * The document owns every value; values stay valid until rnl_json_free. All accessors accept
 * NULL and then answer "absent", so lookups can be chained:
 *     rnl_json_get(rnl_json_get(root, "config"), "hidden")
 */
#ifndef RNL_JSON_H
#define RNL_JSON_H

#include <stddef.h>
#include <stdint.h>
#include "rnnlab.h"

#define RNL_JSON_MAX_DEPTH 64                   /* nested arrays/objects */
#define RNL_JSON_MAX_BYTES ((size_t)1 << 30)    /* document size */
#define RNL_JSON_MAX_VALUES ((size_t)1 << 24)   /* values in one document */
#define RNL_JSON_MAX_NUMBER 512                 /* characters in one number */

typedef enum {
    RNL_JSON_NULL,
    RNL_JSON_FALSE,
    RNL_JSON_TRUE,
    RNL_JSON_NUMBER,
    RNL_JSON_STRING,
    RNL_JSON_ARRAY,
    RNL_JSON_OBJECT
} rnl_json_type;

typedef struct rnl_json rnl_json;         /* one value inside a document */
typedef struct rnl_json_doc rnl_json_doc; /* a parsed document: owns all its values */

/* Parse n bytes of text (need not be NUL-terminated); `what` names the source in messages.
 * On success *out is a document the caller frees with rnl_json_free. */
rnl_status rnl_json_parse(const char *text, size_t n, const char *what, rnl_json_doc **out);
void rnl_json_free(rnl_json_doc *d);
/* Read the file at path whole and parse it (messages name path). */
rnl_status rnl_json_read(const char *path, rnl_json_doc **out);
const rnl_json *rnl_json_root(const rnl_json_doc *d);

/* The type of v; RNL_JSON_NULL for a NULL pointer. */
rnl_json_type rnl_json_type_of(const rnl_json *v);
/* "null", "false", "true", "number", "string", "array", "object". */
const char *rnl_json_type_name(rnl_json_type t);
/* Items of an array, members of an object, bytes of a string; 0 for anything else. */
size_t rnl_json_len(const rnl_json *v);
/* Item i of an array or the value of member i of an object (in document order); NULL if v is
 * neither or i is out of range. */
const rnl_json *rnl_json_at(const rnl_json *v, size_t i);
/* The key of member i of an object; NULL if v is not an object or i is out of range. */
const char *rnl_json_key_at(const rnl_json *v, size_t i);
/* The value of member `key` of an object; NULL if absent or v is not an object. */
const rnl_json *rnl_json_get(const rnl_json *v, const char *key);
/* The unescaped UTF-8 contents of a string value; NULL if v is not a string. */
const char *rnl_json_string(const rnl_json *v);
/* 1 and *out = the value if v is a number, else 0. */
int rnl_json_number(const rnl_json *v, double *out);
/* 1 and *out = the value if v is a number with an integral value of magnitude <= 2^53 (so
 * every such integer is exact), else 0. */
int rnl_json_integer(const rnl_json *v, int64_t *out);
/* 1 and *out = 0/1 if v is false/true, else 0. */
int rnl_json_bool(const rnl_json *v, int *out);

/* 1 if the n bytes at s are well-formed UTF-8 (the rules the reader applies to strings:
 * no overlong forms, no surrogates, nothing above U+10FFFF), else 0. Writers use it so that
 * what they write can be read back. */
int rnl_json_valid_utf8(const char *s, size_t n);

#endif
