/*
 * vouch util — the JSON → YAML printer (vutil_yaml.h).
 */
#include "vutil_yaml.h"

#include <ctype.h>
#include <regex.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libfyaml.h>

#include "vutil_error.h"

/* PyYAML's YAML 1.1 implicit resolvers: a plain scalar that matches one of
 * these would not read back as a string, so it is single-quoted. */
static const char *const implicit_patterns[] = {
    "^(yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON"
    "|off|Off|OFF)$",
    "^([-+]?([0-9][0-9_]*)\\.[0-9_]*([eE][-+][0-9]+)?"
    "|\\.[0-9][0-9_]*([eE][-+][0-9]+)?"
    "|[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\\.[0-9_]*"
    "|[-+]?\\.(inf|Inf|INF)|\\.(nan|NaN|NAN))$",
    "^([-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(0|[1-9][0-9_]*)"
    "|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(:[0-5]?[0-9])+)$",
    "^(<<|=|~|null|Null|NULL)$",
    /* YAML 1.2 core-schema numbers, which vouch's reader (libvouch) refuses
     * as strings although PyYAML would write some plain ("-.1", "089",
     * "0o17"; found by fuzz_policy_json). */
    "^(0o[0-7]+|0x[0-9a-fA-F]+"
    "|[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?"
    "|[-+]?\\.(inf|Inf|INF)|\\.(nan|NaN|NAN))$",
    "^([0-9][0-9][0-9][0-9]-[0-9][0-9]?-[0-9][0-9]?"
    "([Tt]|[ \t]+)[0-9][0-9]?:[0-9][0-9]:[0-9][0-9](\\.[0-9]*)?"
    "([ \t]*(Z|[-+][0-9][0-9]?(:[0-9][0-9])?))?"
    "|[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9])$",
};

#define IMPLICIT_COUNT \
    (sizeof(implicit_patterns) / sizeof(implicit_patterns[0]))

typedef struct printer {
    struct fy_document *fyd;
    vutil_yaml_style style;
    bool too_deep;
    bool long_key;      /* a key make_key cannot write */
    regex_t re[IMPLICIT_COUNT];
    size_t re_count;
} printer;

enum quoting { QUOTE_NONE, QUOTE_SINGLE, QUOTE_DOUBLE };

static bool is_ws(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * The length of the UTF-8 sequence at `s` (of `n` bytes) that YAML does
 * not allow raw and libfyaml 0.7.12's emitter would drop or turn into a
 * line break from a double-quoted scalar: DEL, the C1 controls U+0080 to
 * U+009F, LS U+2028, PS U+2029 and BOM U+FEFF; or would write raw: the
 * noncharacters U+FFFE and U+FFFF, outside YAML's printable set (found
 * by fuzz_policy_json). 0 for anything else.
 */
static size_t unsafe_len(const unsigned char *s, size_t n,
                         unsigned *code)
{
    if (s[0] == 0x7f) {
        *code = 0x7f;
        return 1;
    }
    if (n >= 2 && s[0] == 0xc2 && s[1] >= 0x80 && s[1] <= 0x9f) {
        *code = s[1];
        return 2;
    }
    if (n >= 3 && s[0] == 0xe2 && s[1] == 0x80 &&
        (s[2] == 0xa8 || s[2] == 0xa9)) {
        *code = 0x2000u + (s[2] - 0x80u);
        return 3;
    }
    if (n >= 3 && s[0] == 0xef && s[1] == 0xbb && s[2] == 0xbf) {
        *code = 0xfeff;
        return 3;
    }
    if (n >= 3 && s[0] == 0xef && s[1] == 0xbf &&
        (s[2] == 0xbe || s[2] == 0xbf)) {
        *code = 0xffc0u + (s[2] & 0x3fu);
        return 3;
    }
    return 0;
}

/* Does the character at s[i] need a double-quoted escape: a C0 control
 * (line breaks and tab included) or one of unsafe_len's? */
static bool escaped_at(const char *s, size_t n, size_t i)
{
    unsigned code;

    return (unsigned char)s[i] < 0x20 ||
           unsafe_len((const unsigned char *)s + i, n - i, &code) > 0;
}

/* PyYAML's analyze_scalar + choose_scalar_style, for block context. */
static enum quoting choose_quoting(const printer *p, const char *s, size_t n)
{
    size_t i;
    bool plain = true;

    if (n == 0) {
        return QUOTE_SINGLE;
    }
    for (i = 0; i < n; i++) {
        if (escaped_at(s, n, i)) {
            return QUOTE_DOUBLE;
        }
    }
    if (n >= 3 && (memcmp(s, "---", 3) == 0 || memcmp(s, "...", 3) == 0)) {
        plain = false;
    }
    if (s[0] == ' ' || s[n - 1] == ' ') {
        plain = false;
    }
    for (i = 0; i < n && plain; i++) {
        char c = s[i];
        bool followed_ws = i + 1 >= n || is_ws(s[i + 1]);

        if (i == 0) {
            if (strchr("#,[]{}&*!|>'\"%@`", c) != NULL) {
                plain = false;
            } else if ((c == '?' || c == ':' || c == '-') && followed_ws) {
                plain = false;
            }
        } else {
            if (c == ':' && followed_ws) {
                plain = false;
            } else if (c == '#' && s[i - 1] == ' ') {
                plain = false;
            }
        }
    }
    if (plain) {
        for (i = 0; i < p->re_count; i++) {
            if (regexec(&p->re[i], s, 0, NULL, 0) == 0) {
                plain = false;
                break;
            }
        }
    }
    return plain ? QUOTE_NONE : QUOTE_SINGLE;
}

/*
 * Two quotes in a row, single-quoted, would be written 'a''''b', which
 * libfyaml 0.7.12 emits and reads wrongly (libvouch's YAML reader checks
 * for it); such a string is double-quoted instead. (Plain, a''b is fine.)
 */
static bool has_quote_pair(const char *s, size_t n)
{
    size_t i;

    for (i = 0; i + 1 < n; i++) {
        if (s[i] == '\'' && s[i + 1] == '\'') {
            return true;
        }
    }
    return false;
}

/*
 * jansson writes those characters raw in a string literal; write them as
 * \uXXXX, which YAML reads back and libfyaml re-escapes faithfully.
 * Takes ownership of `json`; returns a malloc'd string or NULL.
 */
static char *escape_unsafe(char *json)
{
    const unsigned char *u = (const unsigned char *)json;
    size_t n = strlen(json);
    size_t count = 0;
    size_t i;
    size_t j = 0;
    unsigned code;
    char *out;

    for (i = 0; i < n; i++) {
        count += unsafe_len(u + i, n - i, &code) > 0;
    }
    if (count == 0) {
        return json;
    }
    out = malloc(n + 6 * count + 1);
    if (out != NULL) {
        for (i = 0; i < n; i++) {
            size_t k = unsafe_len(u + i, n - i, &code);

            if (k > 0) {
                snprintf(out + j, 7, "\\u%04x", code);
                j += 6;
                i += k - 1;
            } else {
                out[j++] = json[i];
            }
        }
        out[j] = '\0';
    }
    free(json);
    return out;
}

/*
 * VUTIL_YAML_SIMPLE: a letter, then letters, digits and _ . / @ -, at most
 * 200 bytes, and not a word YAML 1.1 reads as a boolean or null.
 */
static bool simple_plain(const char *s, size_t n)
{
    static const char *const words[] = {
        "y", "n", "yes", "no", "true", "false", "on", "off", "null",
    };

    if (n == 0 || n > 200 || !isalpha((unsigned char)s[0])) {
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];

        if (!isalnum(ch) && ch != '_' && ch != '.' && ch != '/' &&
            ch != '@' && ch != '-') {
            return false;
        }
    }
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++) {
        if (strlen(words[i]) == n && strncasecmp(words[i], s, n) == 0) {
            return false;
        }
    }
    return true;
}

/*
 * The YAML text of the string `s` (`n` bytes) as a scalar, quoted as the
 * printer's style says: plain (*text NULL: `s` itself is the text), or a
 * malloc'd single- or double-quoted scalar in *text. *len is the text's
 * length either way. Returns false when out of memory.
 */
static bool quote_string(const printer *p, const char *s, size_t n,
                         char **text, size_t *len)
{
    enum quoting q;
    char *buf = NULL;
    size_t i;
    size_t j = 0;

    *text = NULL;
    *len = n;
    if (p->style == VUTIL_YAML_SIMPLE) {
        q = simple_plain(s, n) ? QUOTE_NONE : QUOTE_DOUBLE;
    } else if (memchr(s, '\0', n) != NULL) {
        q = QUOTE_DOUBLE;
    } else {
        q = choose_quoting(p, s, n);
        if (q == QUOTE_SINGLE && has_quote_pair(s, n)) {
            q = QUOTE_DOUBLE;
        }
    }
    if (q == QUOTE_NONE) {
        return true;
    }
    if (q == QUOTE_SINGLE) {
        if (n > (SIZE_MAX - 3) / 2) {
            return false;
        }
        buf = malloc(2 * n + 3);
        if (buf == NULL) {
            return false;
        }
        buf[j++] = '\'';
        for (i = 0; i < n; i++) {
            if (s[i] == '\'') {
                buf[j++] = '\'';
            }
            buf[j++] = s[i];
        }
        buf[j++] = '\'';
        buf[j] = '\0';
    } else {
        /* A JSON string literal is a valid YAML double-quoted scalar. */
        json_t *str = json_stringn(s, n);

        if (str == NULL) {
            return false;
        }
        buf = json_dumps(str, JSON_ENCODE_ANY);
        json_decref(str);
        buf = buf != NULL ? escape_unsafe(buf) : NULL;
        if (buf == NULL) {
            return false;
        }
        j = strlen(buf);
    }
    *text = buf;
    *len = j;
    return true;
}

/* A scalar node of `text` (`len` bytes, owned: NULL for plain `s`). */
static struct fy_node *scalar_node(printer *p, const char *s, size_t n,
                                   char *text, size_t len)
{
    if (text == NULL) {
        return fy_node_create_scalar_copy(p->fyd, s, n);
    }
    /* The document keeps (and later frees) the source text. */
    return fy_node_build_from_malloc_string(p->fyd, text, len);
}

static struct fy_node *make_string(printer *p, const char *s, size_t n)
{
    char *text;
    size_t len;

    if (!quote_string(p, s, n, &text, &len)) {
        return NULL;
    }
    return scalar_node(p, s, n, text, len);
}

/* Every character of `s` may stand raw in a literal block scalar: none
 * that escaped_at asks to escape, but a tab (a key with a line break
 * never gets here: it is written explicit anyway). */
static bool literal_ok(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '\t' && escaped_at(s, n, i)) {
            return false;
        }
    }
    return true;
}

/*
 * A mapping key. YAML reads an implicit key ("key: value") of at most
 * 1024 characters, quotes included: libyaml, PyYAML and libvouch's reader
 * refuse a longer one. libfyaml 0.7.12 writes every key without a line
 * break that way, but a key in block (literal) style only as an explicit
 * one ("? |-", then ": value"), so a longer key is built as a literal
 * block. Its bytes are counted: never fewer than its characters. A key
 * that cannot stand in a literal block (control characters) is refused.
 */
static struct fy_node *make_key(printer *p, const char *s, size_t n)
{
    char *text;
    size_t len;
    char *block;
    size_t used;

    if (!quote_string(p, s, n, &text, &len)) {
        return NULL;
    }
    if (len <= VUTIL_YAML_IMPLICIT_KEY_MAX || memchr(s, '\n', n) != NULL ||
        memchr(s, '\r', n) != NULL) {
        return scalar_node(p, s, n, text, len);
    }
    free(text);
    if (!literal_ok(s, n)) {
        p->long_key = true;
        return NULL;
    }
    /* "|-" (no final line break), "|2-" when the text starts with a
     * space (its indentation cannot be guessed then), the text indented
     * by two spaces, a line break. */
    block = malloc(n + 8);
    if (block == NULL) {
        return NULL;
    }
    used = (size_t)snprintf(block, 8, "%s\n  ", s[0] == ' ' ? "|2-" : "|-");
    memcpy(block + used, s, n);
    used += n;
    block[used++] = '\n';
    block[used] = '\0';
    return fy_node_build_from_malloc_string(p->fyd, block, used);
}

static int cmp_keys(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static struct fy_node *build(printer *p, const json_t *v, int depth)
{
    struct fy_node *node = NULL;

    if (depth > VUTIL_YAML_MAX_DEPTH) {
        p->too_deep = true;
        return NULL;
    }
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        size_t count = json_object_size(v);
        const char **keys = NULL;
        const char *key;
        json_t *val;
        size_t i = 0;

        node = fy_node_create_mapping(p->fyd);
        if (node == NULL || count == 0) {
            return node;
        }
        keys = calloc(count, sizeof(*keys));
        if (keys == NULL) {
            fy_node_free(node);
            return NULL;
        }
        json_object_foreach((json_t *)v, key, val) {
            if (i < count) {
                keys[i++] = key;
            }
        }
        qsort(keys, i, sizeof(*keys), cmp_keys);
        count = i;
        for (i = 0; i < count; i++) {
            struct fy_node *k = make_key(p, keys[i], strlen(keys[i]));
            struct fy_node *child =
                build(p, json_object_get(v, keys[i]), depth + 1);

            if (k == NULL || child == NULL ||
                fy_node_mapping_append(node, k, child) != 0) {
                fy_node_free(k);
                fy_node_free(child);
                fy_node_free(node);
                node = NULL;
                break;
            }
        }
        free(keys);
        return node;
    }
    case JSON_ARRAY: {
        size_t i;

        node = fy_node_create_sequence(p->fyd);
        if (node == NULL) {
            return NULL;
        }
        for (i = 0; i < json_array_size(v); i++) {
            struct fy_node *child =
                build(p, json_array_get(v, i), depth + 1);

            if (child == NULL || fy_node_sequence_append(node, child) != 0) {
                fy_node_free(child);
                fy_node_free(node);
                return NULL;
            }
        }
        return node;
    }
    case JSON_STRING:
        return make_string(p, json_string_value(v), json_string_length(v));
    case JSON_INTEGER:
        return fy_node_create_scalarf(p->fyd, "%" JSON_INTEGER_FORMAT,
                                      json_integer_value(v));
    case JSON_REAL:
        return fy_node_create_scalarf(p->fyd, "%.17g", json_real_value(v));
    case JSON_TRUE:
        return fy_node_create_scalar(p->fyd, "true", 4);
    case JSON_FALSE:
        return fy_node_create_scalar(p->fyd, "false", 5);
    case JSON_NULL:
        return fy_node_create_scalar(p->fyd, "null", 4);
    }
    return NULL;
}

static int print_failed(vouch_error *err, const printer *p)
{
    if (p->too_deep) {
        return vutil_error_set(err, VOUCH_ETOOBIG, NULL, 0, 0,
                               "nested over %d levels",
                               VUTIL_YAML_MAX_DEPTH);
    }
    if (p->long_key) {
        return vutil_error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                               "a key of over %d bytes with control "
                               "characters cannot be written as YAML "
                               "(JSON can)", VUTIL_YAML_IMPLICIT_KEY_MAX);
    }
    return vutil_error_set(err, VOUCH_ENOMEM, NULL, 0, 0,
                           "out of memory printing YAML");
}

/* Append the final newline the emitter leaves out of some documents. */
static int end_with_newline(char **text, size_t *n)
{
    char *grown;

    if (*n > 0 && (*text)[*n - 1] == '\n') {
        return 0;
    }
    grown = realloc(*text, *n + 2);
    if (grown == NULL) {
        return VOUCH_ENOMEM;
    }
    *text = grown;
    (*text)[(*n)++] = '\n';
    (*text)[*n] = '\0';
    return 0;
}

int vutil_yaml_from_json(const json_t *root, vutil_yaml_style style,
                         char **out, size_t *out_len, vouch_error *err)
{
    printer p;
    struct fy_node *node = NULL;
    char *text = NULL;
    size_t n;
    size_t i;
    int rc = 0;

    *out = NULL;
    if (out_len != NULL) {
        *out_len = 0;
    }
    memset(&p, 0, sizeof(p));
    p.style = style;
    for (i = 0; i < IMPLICIT_COUNT; i++) {
        if (regcomp(&p.re[i], implicit_patterns[i],
                    REG_EXTENDED | REG_NOSUB) != 0) {
            rc = vutil_error_set(err, VOUCH_ENOMEM, NULL, 0, 0,
                                 "cannot prepare the YAML printer");
            goto cleanup;
        }
        p.re_count++;
    }
    p.fyd = fy_document_create(NULL);
    if (p.fyd == NULL) {
        rc = print_failed(err, &p);
        goto cleanup;
    }
    node = build(&p, root, 0);
    if (node == NULL || fy_document_set_root(p.fyd, node) != 0) {
        fy_node_free(node);
        rc = print_failed(err, &p);
        goto cleanup;
    }
    text = fy_emit_document_to_string(
        p.fyd, FYECF_MODE_BLOCK | FYECF_INDENT_2 | FYECF_WIDTH_INF |
                   FYECF_DOC_START_MARK_OFF | FYECF_DOC_END_MARK_OFF |
                   FYECF_VERSION_DIR_OFF | FYECF_TAG_DIR_OFF);
    if (text == NULL) {
        rc = print_failed(err, &p);
        goto cleanup;
    }
    n = strlen(text);
    if (end_with_newline(&text, &n) < 0) {
        rc = print_failed(err, &p);
        goto cleanup;
    }
    *out = text;
    text = NULL;
    if (out_len != NULL) {
        *out_len = n;
    }

cleanup:
    free(text);
    if (p.fyd != NULL) {
        fy_document_destroy(p.fyd);
    }
    for (i = 0; i < p.re_count; i++) {
        regfree(&p.re[i]);
    }
    return rc;
}

int vutil_json_print(const json_t *root, char **out, size_t *out_len,
                     vouch_error *err)
{
    char *text = json_dumps(root, JSON_SORT_KEYS | JSON_INDENT(2) |
                                      JSON_ENCODE_ANY);
    size_t n = text != NULL ? strlen(text) : 0;
    char *buf = text != NULL ? realloc(text, n + 2) : NULL;

    *out = NULL;
    if (out_len != NULL) {
        *out_len = 0;
    }
    if (buf == NULL) {
        free(text);
        return vutil_error_set(err, VOUCH_ENOMEM, NULL, 0, 0,
                               "out of memory printing JSON");
    }
    buf[n] = '\n';
    buf[n + 1] = '\0';
    *out = buf;
    if (out_len != NULL) {
        *out_len = n + 1;
    }
    return 0;
}
