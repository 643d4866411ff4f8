/* json.c — a strict, bounded JSON reader (see json.h for what it accepts).
 *
 * Recursive descent over the byte range, depth-limited. Values of an array or object being
 * read wait on one growable stack; when the container closes they are copied into a single
 * block of the document's arena, so every container's values are contiguous and the whole
 * document is freed by walking the arena's block list. */
#include "io/json.h"
#include "io/util.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------------------------
 * Values and the arena that owns them
 * ---------------------------------------------------------------------------------------- */

struct rnl_json {
    rnl_json_type type; /* which member of u is valid */
    size_t len;         /* items (array), members (object), bytes (string); else 0 */
    const char *key;    /* the member's key when this value sits in an object, else NULL */
    union {
        double num;      /* RNL_JSON_NUMBER */
        const char *str; /* RNL_JSON_STRING: NUL-terminated UTF-8, len bytes */
        rnl_json *items; /* RNL_JSON_ARRAY / RNL_JSON_OBJECT: len values (NULL if empty) */
    } u;
};

typedef struct arena_block {
    struct arena_block *next; /* older block */
    size_t used;              /* bytes handed out from this block */
    size_t cap;               /* bytes after the header */
} arena_block;

#define ARENA_BLOCK (64 * 1024) /* default block payload in bytes */
#define ARENA_ALIGN 8           /* every allocation starts on this boundary */

struct rnl_json_doc {
    rnl_json root;      /* the document's top-level value */
    arena_block *arena; /* newest block first; owns every string and value array */
};

/* Payload of a block: right after its header (24 bytes, so ARENA_ALIGN-aligned). */
static unsigned char *block_data(arena_block *b) { return (unsigned char *)(b + 1); }

/* n bytes from the arena, ARENA_ALIGN-aligned; NULL if out of memory. */
static void *arena_alloc(rnl_json_doc *d, size_t n) {
    n = (n + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
    arena_block *b = d->arena;
    if (!b || b->cap - b->used < n) {
        size_t cap = n > ARENA_BLOCK ? n : ARENA_BLOCK;
        b = malloc(sizeof(arena_block) + cap);
        if (!b) return NULL;
        b->used = 0;
        b->cap = cap;
        if (n > ARENA_BLOCK && d->arena) {
            /* A large block is full at once: keep the current one on top for small pieces. */
            b->next = d->arena->next;
            d->arena->next = b;
        } else {
            b->next = d->arena;
            d->arena = b;
        }
    }
    void *p = block_data(b) + b->used;
    b->used += n;
    return p;
}

void rnl_json_free(rnl_json_doc *d) {
    if (!d) return;
    arena_block *b = d->arena;
    while (b) {
        arena_block *next = b->next;
        free(b);
        b = next;
    }
    free(d);
}

/* ------------------------------------------------------------------------------------------
 * Parser state and errors
 * ---------------------------------------------------------------------------------------- */

typedef struct {
    const char *s;      /* the text */
    size_t n;           /* its length */
    size_t pos;         /* next byte to read */
    rnl_json_doc *doc;  /* receives strings and value arrays */
    rnl_json *stack;    /* values of the containers still open, innermost last */
    size_t sp;          /* values on the stack */
    size_t scap;        /* stack capacity */
    size_t nvalues;     /* values read so far (bounded by RNL_JSON_MAX_VALUES) */
    rnl_status st;      /* RNL_ERR_DATA for bad input, RNL_ERR_NOMEM for allocation failure */
    size_t errpos;      /* byte offset of the problem */
    char err[128];      /* the problem */
} parser;

/* Record a problem at byte `at`; returns -1 for `return fail(...)`. */
static int fail_at(parser *p, size_t at, rnl_status st, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

static int fail_at(parser *p, size_t at, rnl_status st, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->err, sizeof p->err, fmt, ap);
    va_end(ap);
    p->errpos = at;
    p->st = st;
    return -1;
}

static int nomem(parser *p) { return fail_at(p, p->pos, RNL_ERR_NOMEM, "out of memory"); }

static void skip_ws(parser *p) {
    while (p->pos < p->n) {
        char c = p->s[p->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
        p->pos++;
    }
}

/* Describe the byte at pos for a message. */
static void describe(const parser *p, size_t pos, char *out, size_t n) {
    if (pos >= p->n) {
        snprintf(out, n, "end of input");
        return;
    }
    unsigned char c = (unsigned char)p->s[pos];
    if (c >= 0x21 && c < 0x7f)
        snprintf(out, n, "'%c'", c);
    else
        snprintf(out, n, "byte 0x%02x", c);
}

static int unexpected(parser *p, const char *wanted) {
    char what[32];
    describe(p, p->pos, what, sizeof what);
    return fail_at(p, p->pos, RNL_ERR_DATA, "expected %s, found %s", wanted, what);
}

/* ------------------------------------------------------------------------------------------
 * Strings
 * ---------------------------------------------------------------------------------------- */

static int hexval(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Four hex digits at s[i..i+3] (all before end); -1 if not. */
static long hex4(const char *s, size_t i, size_t end) {
    if (end - i < 4) return -1;
    long v = 0;
    for (int k = 0; k < 4; k++) {
        int h = hexval(s[i + (size_t)k]);
        if (h < 0) return -1;
        v = v * 16 + h;
    }
    return v;
}

/* Write code point cp (valid, not a surrogate) as UTF-8; returns the bytes written. */
static size_t put_utf8(unsigned char *o, long cp) {
    if (cp < 0x80) {
        o[0] = (unsigned char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (unsigned char)(0xC0 | (cp >> 6));
        o[1] = (unsigned char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (unsigned char)(0xE0 | (cp >> 12));
        o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (unsigned char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (unsigned char)(0xF0 | (cp >> 18));
    o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (unsigned char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Length of the well-formed UTF-8 sequence at s[i] (i < end, s[i] >= 0x80), 0 if it is not
 * one (overlong forms, surrogates, code points above U+10FFFF, truncated sequences). */
static size_t utf8_len(const unsigned char *s, size_t i, size_t end) {
    unsigned char c = s[i];
    size_t k;
    unsigned char lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
    if (c >= 0xC2 && c <= 0xDF) {
        k = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        k = 3;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        k = 4;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else {
        return 0;
    }
    if (end - i < k) return 0;
    if (s[i + 1] < lo || s[i + 1] > hi) return 0;
    for (size_t j = 2; j < k; j++)
        if (s[i + j] < 0x80 || s[i + j] > 0xBF) return 0;
    return k;
}

int rnl_json_valid_utf8(const char *s, size_t n) {
    const unsigned char *u = (const unsigned char *)s;
    for (size_t i = 0; i < n;) {
        if (u[i] < 0x80) {
            i++;
            continue;
        }
        size_t m = utf8_len(u, i, n);
        if (!m) return 0;
        i += m;
    }
    return 1;
}

/* Read the string starting at the '"' at pos; *out gets the unescaped text in the arena. */
static int parse_string(parser *p, const char **out, size_t *outlen) {
    const char *s = p->s;
    size_t start = p->pos + 1, end = start;
    /* First pass: find the closing quote to bound the output (escapes only shrink). */
    while (end < p->n && s[end] != '"') end += s[end] == '\\' ? 2 : 1;
    if (end >= p->n) return fail_at(p, p->pos, RNL_ERR_DATA, "unterminated string");
    unsigned char *o = arena_alloc(p->doc, end - start + 1);
    if (!o) return nomem(p);
    size_t k = 0;
    for (size_t i = start; i < end;) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20)
            return fail_at(p, i, RNL_ERR_DATA, "control character 0x%02x in string", c);
        if (c >= 0x80) {
            size_t m = utf8_len((const unsigned char *)s, i, end);
            if (!m) return fail_at(p, i, RNL_ERR_DATA, "invalid UTF-8 in string");
            memcpy(o + k, s + i, m);
            k += m;
            i += m;
            continue;
        }
        if (c != '\\') {
            o[k++] = c;
            i++;
            continue;
        }
        char e = s[i + 1]; /* i + 1 < end: the first pass stepped over it */
        switch (e) {
        case '"': o[k++] = '"'; break;
        case '\\': o[k++] = '\\'; break;
        case '/': o[k++] = '/'; break;
        case 'b': o[k++] = '\b'; break;
        case 'f': o[k++] = '\f'; break;
        case 'n': o[k++] = '\n'; break;
        case 'r': o[k++] = '\r'; break;
        case 't': o[k++] = '\t'; break;
        case 'u': {
            long cp = hex4(s, i + 2, end);
            if (cp < 0) return fail_at(p, i, RNL_ERR_DATA, "\\u needs four hex digits");
            if (cp == 0) return fail_at(p, i, RNL_ERR_DATA, "\\u0000 is not allowed");
            if (cp >= 0xDC00 && cp <= 0xDFFF)
                return fail_at(p, i, RNL_ERR_DATA, "lone low surrogate \\u%04lX", cp);
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                long lo = end - i >= 12 && s[i + 6] == '\\' && s[i + 7] == 'u'
                              ? hex4(s, i + 8, end)
                              : -1;
                if (lo < 0xDC00 || lo > 0xDFFF)
                    return fail_at(p, i, RNL_ERR_DATA,
                                   "high surrogate \\u%04lX not followed by a low surrogate", cp);
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
                i += 6;
            }
            k += put_utf8(o + k, cp);
            i += 4;
            break;
        }
        default: {
            char what[32];
            describe(p, i + 1, what, sizeof what);
            return fail_at(p, i, RNL_ERR_DATA, "invalid escape \\ followed by %s", what);
        }
        }
        i += 2;
    }
    o[k] = '\0';
    *out = (const char *)o;
    *outlen = k;
    p->pos = end + 1;
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * Numbers and literals
 * ---------------------------------------------------------------------------------------- */

static int is_digit(const parser *p) {
    return p->pos < p->n && p->s[p->pos] >= '0' && p->s[p->pos] <= '9';
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? then strtod on a NUL-terminated copy. */
static int parse_number(parser *p, double *out) {
    size_t start = p->pos;
    if (p->pos < p->n && p->s[p->pos] == '-') p->pos++;
    if (!is_digit(p)) return unexpected(p, "a digit");
    if (p->s[p->pos] == '0') {
        p->pos++;
    } else {
        while (is_digit(p)) p->pos++;
    }
    if (p->pos < p->n && p->s[p->pos] == '.') {
        p->pos++;
        if (!is_digit(p)) return unexpected(p, "a digit after '.'");
        while (is_digit(p)) p->pos++;
    }
    if (p->pos < p->n && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
        p->pos++;
        if (p->pos < p->n && (p->s[p->pos] == '+' || p->s[p->pos] == '-')) p->pos++;
        if (!is_digit(p)) return unexpected(p, "a digit in the exponent");
        while (is_digit(p)) p->pos++;
    }
    size_t len = p->pos - start;
    if (len > RNL_JSON_MAX_NUMBER)
        return fail_at(p, start, RNL_ERR_DATA, "number longer than %d characters",
                       RNL_JSON_MAX_NUMBER);
    char tok[RNL_JSON_MAX_NUMBER + 1];
    memcpy(tok, p->s + start, len);
    tok[len] = '\0';
    double v = strtod(tok, NULL);
    if (isinf(v)) return fail_at(p, start, RNL_ERR_DATA, "number %s overflows a double", tok);
    *out = v;
    return 0;
}

static int parse_literal(parser *p, const char *word, rnl_json_type type, rnl_json *v) {
    size_t k = strlen(word);
    if (p->n - p->pos < k || memcmp(p->s + p->pos, word, k) != 0)
        return unexpected(p, "a value");
    p->pos += k;
    v->type = type;
    return 0;
}

/* ------------------------------------------------------------------------------------------
 * Arrays and objects
 * ---------------------------------------------------------------------------------------- */

static int parse_value(parser *p, rnl_json *v, int depth);

static int push(parser *p, const rnl_json *v) {
    if (p->sp == p->scap) {
        size_t cap = p->scap ? p->scap * 2 : 64;
        rnl_json *s = realloc(p->stack, cap * sizeof *s);
        if (!s) return nomem(p);
        p->stack = s;
        p->scap = cap;
    }
    p->stack[p->sp++] = *v;
    return 0;
}

/* Move the values above `base` on the stack into the arena as v's items. */
static int close_container(parser *p, rnl_json *v, size_t base) {
    v->len = p->sp - base;
    v->u.items = NULL;
    if (v->len) {
        v->u.items = arena_alloc(p->doc, v->len * sizeof(rnl_json));
        if (!v->u.items) return nomem(p);
        memcpy(v->u.items, p->stack + base, v->len * sizeof(rnl_json));
    }
    p->sp = base;
    return 0;
}

static int cmp_key(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Reject an object with two equal keys (sorting a list of its keys). */
static int check_unique_keys(parser *p, const rnl_json *obj, size_t at) {
    if (obj->len < 2) return 0;
    const char **keys = malloc(obj->len * sizeof *keys);
    if (!keys) return nomem(p);
    for (size_t i = 0; i < obj->len; i++) keys[i] = obj->u.items[i].key;
    qsort(keys, obj->len, sizeof *keys, cmp_key);
    int rc = 0;
    for (size_t i = 1; i < obj->len && rc == 0; i++)
        if (strcmp(keys[i - 1], keys[i]) == 0)
            rc = fail_at(p, at, RNL_ERR_DATA, "duplicate key \"%.60s\" in object", keys[i]);
    free(keys);
    return rc;
}

static int parse_array(parser *p, rnl_json *v, int depth) {
    size_t base = p->sp;
    v->type = RNL_JSON_ARRAY;
    p->pos++; /* '[' */
    skip_ws(p);
    if (p->pos < p->n && p->s[p->pos] == ']') {
        p->pos++;
        return close_container(p, v, base);
    }
    for (;;) {
        rnl_json item;
        if (parse_value(p, &item, depth + 1) || push(p, &item)) return -1;
        skip_ws(p);
        if (p->pos < p->n && p->s[p->pos] == ',') {
            p->pos++;
            continue;
        }
        if (p->pos < p->n && p->s[p->pos] == ']') {
            p->pos++;
            return close_container(p, v, base);
        }
        return unexpected(p, "',' or ']'");
    }
}

static int parse_object(parser *p, rnl_json *v, int depth) {
    size_t base = p->sp, open = p->pos;
    v->type = RNL_JSON_OBJECT;
    p->pos++; /* '{' */
    skip_ws(p);
    if (p->pos < p->n && p->s[p->pos] == '}') {
        p->pos++;
        return close_container(p, v, base);
    }
    for (;;) {
        skip_ws(p);
        if (p->pos >= p->n || p->s[p->pos] != '"') return unexpected(p, "a string key");
        const char *key;
        size_t klen;
        if (parse_string(p, &key, &klen)) return -1;
        skip_ws(p);
        if (p->pos >= p->n || p->s[p->pos] != ':') return unexpected(p, "':'");
        p->pos++;
        rnl_json item;
        if (parse_value(p, &item, depth + 1)) return -1;
        item.key = key;
        if (push(p, &item)) return -1;
        skip_ws(p);
        if (p->pos < p->n && p->s[p->pos] == ',') {
            p->pos++;
            continue;
        }
        if (p->pos < p->n && p->s[p->pos] == '}') {
            p->pos++;
            if (close_container(p, v, base)) return -1;
            return check_unique_keys(p, v, open);
        }
        return unexpected(p, "',' or '}'");
    }
}

/* Read one value at pos into *v; depth = containers enclosing it. */
static int parse_value(parser *p, rnl_json *v, int depth) {
    memset(v, 0, sizeof *v);
    skip_ws(p);
    if (p->pos >= p->n) return unexpected(p, "a value");
    if (++p->nvalues > RNL_JSON_MAX_VALUES)
        return fail_at(p, p->pos, RNL_ERR_DATA, "more than %zu values", RNL_JSON_MAX_VALUES);
    char c = p->s[p->pos];
    if ((c == '[' || c == '{') && depth >= RNL_JSON_MAX_DEPTH)
        return fail_at(p, p->pos, RNL_ERR_DATA, "nesting deeper than %d", RNL_JSON_MAX_DEPTH);
    switch (c) {
    case '{': return parse_object(p, v, depth);
    case '[': return parse_array(p, v, depth);
    case '"': v->type = RNL_JSON_STRING; return parse_string(p, &v->u.str, &v->len);
    case 't': return parse_literal(p, "true", RNL_JSON_TRUE, v);
    case 'f': return parse_literal(p, "false", RNL_JSON_FALSE, v);
    case 'n': return parse_literal(p, "null", RNL_JSON_NULL, v);
    default:
        if (c == '-' || (c >= '0' && c <= '9')) {
            v->type = RNL_JSON_NUMBER;
            return parse_number(p, &v->u.num);
        }
        return unexpected(p, "a value");
    }
}

/* ------------------------------------------------------------------------------------------
 * Entry point
 * ---------------------------------------------------------------------------------------- */

rnl_status rnl_json_parse(const char *text, size_t n, const char *what, rnl_json_doc **out) {
    *out = NULL;
    if (n > RNL_JSON_MAX_BYTES)
        return rnl_fail(RNL_ERR_DATA, "%s: JSON document of %zu bytes exceeds the limit of %zu",
                        what, n, RNL_JSON_MAX_BYTES);
    rnl_json_doc *d = calloc(1, sizeof *d);
    if (!d) return rnl_fail(RNL_ERR_NOMEM, "%s: out of memory", what);
    parser p = {.s = text, .n = n, .doc = d, .st = RNL_OK};
    int rc = parse_value(&p, &d->root, 0);
    if (rc == 0) {
        skip_ws(&p);
        if (p.pos < p.n) rc = unexpected(&p, "end of input after the document");
    }
    free(p.stack);
    if (rc != 0) {
        rnl_json_free(d);
        if (p.st == RNL_ERR_NOMEM) return rnl_fail(RNL_ERR_NOMEM, "%s: out of memory", what);
        size_t line = 1, col = 1;
        for (size_t i = 0; i < p.errpos && i < n; i++) {
            if (text[i] == '\n') {
                line++;
                col = 1;
            } else {
                col++;
            }
        }
        return rnl_fail(RNL_ERR_DATA, "%s: invalid JSON at line %zu, column %zu (byte %zu): %s",
                        what, line, col, p.errpos, p.err);
    }
    *out = d;
    return RNL_OK;
}

/* ------------------------------------------------------------------------------------------
 * Accessors
 * ---------------------------------------------------------------------------------------- */

const rnl_json *rnl_json_root(const rnl_json_doc *d) { return d ? &d->root : NULL; }

rnl_json_type rnl_json_type_of(const rnl_json *v) { return v ? v->type : RNL_JSON_NULL; }

const char *rnl_json_type_name(rnl_json_type t) {
    switch (t) {
    case RNL_JSON_NULL: return "null";
    case RNL_JSON_FALSE: return "false";
    case RNL_JSON_TRUE: return "true";
    case RNL_JSON_NUMBER: return "number";
    case RNL_JSON_STRING: return "string";
    case RNL_JSON_ARRAY: return "array";
    case RNL_JSON_OBJECT: return "object";
    }
    return "unknown";
}

size_t rnl_json_len(const rnl_json *v) {
    if (!v) return 0;
    switch (v->type) {
    case RNL_JSON_STRING:
    case RNL_JSON_ARRAY:
    case RNL_JSON_OBJECT: return v->len;
    default: return 0;
    }
}

const rnl_json *rnl_json_at(const rnl_json *v, size_t i) {
    if (!v || (v->type != RNL_JSON_ARRAY && v->type != RNL_JSON_OBJECT) || i >= v->len)
        return NULL;
    return &v->u.items[i];
}

const char *rnl_json_key_at(const rnl_json *v, size_t i) {
    if (!v || v->type != RNL_JSON_OBJECT || i >= v->len) return NULL;
    return v->u.items[i].key;
}

const rnl_json *rnl_json_get(const rnl_json *v, const char *key) {
    if (!v || v->type != RNL_JSON_OBJECT) return NULL;
    for (size_t i = 0; i < v->len; i++)
        if (strcmp(v->u.items[i].key, key) == 0) return &v->u.items[i];
    return NULL;
}

const char *rnl_json_string(const rnl_json *v) {
    return v && v->type == RNL_JSON_STRING ? v->u.str : NULL;
}

int rnl_json_number(const rnl_json *v, double *out) {
    if (!v || v->type != RNL_JSON_NUMBER) return 0;
    *out = v->u.num;
    return 1;
}

int rnl_json_integer(const rnl_json *v, int64_t *out) {
    if (!v || v->type != RNL_JSON_NUMBER) return 0;
    double x = v->u.num;
    if (x != floor(x) || fabs(x) > 9007199254740992.0) return 0;
    *out = (int64_t)x;
    return 1;
}

int rnl_json_bool(const rnl_json *v, int *out) {
    if (!v || (v->type != RNL_JSON_TRUE && v->type != RNL_JSON_FALSE)) return 0;
    *out = v->type == RNL_JSON_TRUE;
    return 1;
}

rnl_status rnl_json_read(const char *path, rnl_json_doc **out) {
    unsigned char *txt = NULL;
    size_t len = 0;
    *out = NULL;
    rnl_status st = rnl_read_file(path, &txt, &len);
    if (!st) st = rnl_json_parse((const char *)txt, len, path, out);
    free(txt);
    return st;
}
