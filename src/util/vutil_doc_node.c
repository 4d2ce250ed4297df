/*
 * Typed access to the nodes of a loaded document (vutil_doc.h), over either of
 * its trees: libfyaml (YAML, and JSON read for positions) or jansson (JSON
 * read directly). Both give the same answer for the same JSON bytes; only
 * the libfyaml tree places its errors.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vutil_doc.h"
#include "vutil_error.h"
#include "vutil_str.h"

#define FY(node) ((struct fy_node *)(node))
#define JS(node) ((json_t *)(node))

static bool is_json_tree(const vutil_doc *doc)
{
    return doc->tree == VUTIL_TREE_JSON;
}

static bool fy_is_plain(struct fy_node *node)
{
    return fy_node_get_style(node) == FYNS_PLAIN;
}

/* Is `node` a plain (unquoted) scalar? Then `*s` (NULL for an empty
 * one) and `*n` are its text: only plain scalars can be null, booleans
 * or numbers. */
static bool fy_plain_scalar(struct fy_node *node, const char **s, size_t *n)
{
    if (!fy_node_is_scalar(node) || !fy_is_plain(node)) {
        return false;
    }
    *s = fy_node_get_scalar(node, n);
    return true;
}

/* ---- YAML 1.2 core schema for plain scalars ------------------------- */

static bool is_null_text(const char *s, size_t n)
{
    return n == 0 || vutil_slice_eq(s, n, "~") ||
           vutil_slice_eq(s, n, "null") || vutil_slice_eq(s, n, "Null") ||
           vutil_slice_eq(s, n, "NULL");
}

static int bool_text(const char *s, size_t n)
{
    if (vutil_slice_eq(s, n, "true") || vutil_slice_eq(s, n, "True") ||
        vutil_slice_eq(s, n, "TRUE")) {
        return 1;
    }
    if (vutil_slice_eq(s, n, "false") || vutil_slice_eq(s, n, "False") ||
        vutil_slice_eq(s, n, "FALSE")) {
        return 0;
    }
    return -1;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool all_of(const char *s, size_t n, const char *set)
{
    size_t i;

    if (n == 0) {
        return false;
    }
    for (i = 0; i < n; i++) {
        if (strchr(set, s[i]) == NULL || s[i] == '\0') {
            return false;
        }
    }
    return true;
}

static bool is_special_float(const char *s, size_t n, bool signed_)
{
    if (vutil_slice_eq(s, n, ".inf") || vutil_slice_eq(s, n, ".Inf") ||
        vutil_slice_eq(s, n, ".INF")) {
        return true;
    }
    return !signed_ && (vutil_slice_eq(s, n, ".nan") ||
                        vutil_slice_eq(s, n, ".NaN") ||
                        vutil_slice_eq(s, n, ".NAN"));
}

/* int: [-+]?[0-9]+ | 0o[0-7]+ | 0x[0-9a-fA-F]+; float per the core schema */
static bool is_number_text(const char *s, size_t n)
{
    size_t i = 0;
    size_t digits = 0;

    if (n > 2 && s[0] == '0' && s[1] == 'o') {
        return all_of(s + 2, n - 2, "01234567");
    }
    if (n > 2 && s[0] == '0' && s[1] == 'x') {
        return all_of(s + 2, n - 2, "0123456789abcdefABCDEF");
    }
    if (i < n && (s[i] == '-' || s[i] == '+')) {
        i++;
    }
    if (is_special_float(s + i, n - i, i > 0)) {
        return true;
    }
    while (i < n && is_digit(s[i])) {
        i++;
        digits++;
    }
    if (i < n && s[i] == '.') {
        i++;
        while (i < n && is_digit(s[i])) {
            i++;
            digits++;
        }
    }
    if (digits == 0) {
        return false;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        size_t exp = 0;

        i++;
        if (i < n && (s[i] == '-' || s[i] == '+')) {
            i++;
        }
        while (i < n && is_digit(s[i])) {
            i++;
            exp++;
        }
        if (exp == 0) {
            return false;
        }
    }
    return i == n;
}

int vutil_doc_plain_value(const char *s, size_t n, json_t **out)
{
    char text[128];
    char *end = NULL;
    int b = bool_text(s, n);

    *out = NULL;
    if (is_null_text(s, n)) {
        *out = json_null();
    } else if (b >= 0) {
        *out = json_boolean(b);
    } else if (!is_number_text(s, n) || n >= sizeof(text) ||
               memchr(s, '\0', n) != NULL) {
        return 0; /* a string, or a number kept as its text */
    } else {
        bool octal = n > 2 && s[0] == '0' && s[1] == 'o';
        bool hex = n > 2 && s[0] == '0' && s[1] == 'x';
        size_t skip = octal || hex ? 2 : 0;

        memcpy(text, s + skip, n - skip);
        text[n - skip] = '\0';
        errno = 0;
        if (octal || hex || strcspn(text, ".eEinIN") == n - skip) {
            long long v = strtoll(text, &end, octal ? 8 : hex ? 16 : 10);

            if (errno != 0 || end == NULL || *end != '\0') {
                return 0;
            }
            *out = json_integer((json_int_t)v);
        } else {
            double v = strtod(text, &end);

            if (errno != 0 || end == NULL || *end != '\0' || v != v ||
                v - v != 0) {
                return 0; /* .inf and .nan: JSON has no such number */
            }
            *out = json_real(v);
        }
    }
    return *out == NULL ? VOUCH_ENOMEM : 0;
}

/* ---- kinds ---------------------------------------------------------- */

bool vutil_doc_is_null(const vutil_doc *doc, vutil_node *node)
{
    const char *s;
    size_t n = 0;

    if (node == NULL) {
        return true;
    }
    if (is_json_tree(doc)) {
        return json_is_null(JS(node));
    }
    if (!fy_plain_scalar(FY(node), &s, &n)) {
        return false;
    }
    if (s == NULL) {
        return true;
    }
    if (doc->format == VOUCH_FORMAT_JSON) {
        return vutil_slice_eq(s, n, "null");
    }
    return is_null_text(s, n);
}

static const char *json_kind(json_t *node)
{
    switch (json_typeof(node)) {
    case JSON_OBJECT: return "a mapping";
    case JSON_ARRAY: return "a list";
    case JSON_STRING: return "a string";
    case JSON_INTEGER:
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    }
    return "null";
}

static const char *node_kind(const vutil_doc *doc, vutil_node *node)
{
    const char *s;
    size_t n = 0;

    if (vutil_doc_is_null(doc, node)) {
        return "null";
    }
    if (is_json_tree(doc)) {
        return json_kind(JS(node));
    }
    if (fy_node_is_mapping(FY(node))) {
        return "a mapping";
    }
    if (fy_node_is_sequence(FY(node))) {
        return "a list";
    }
    if (!fy_is_plain(FY(node))) {
        return "a string";
    }
    s = fy_node_get_scalar(FY(node), &n);
    if (s == NULL) {
        return "null";
    }
    if (bool_text(s, n) >= 0) {
        return "a boolean";
    }
    if (doc->format == VOUCH_FORMAT_YAML && !is_number_text(s, n)) {
        return "a string";
    }
    return "a number";
}

bool vutil_doc_is_mapping(const vutil_doc *doc, vutil_node *node)
{
    if (node == NULL) {
        return false;
    }
    return is_json_tree(doc) ? json_is_object(JS(node))
                             : fy_node_is_mapping(FY(node));
}

bool vutil_doc_is_sequence(const vutil_doc *doc, vutil_node *node)
{
    if (node == NULL) {
        return false;
    }
    return is_json_tree(doc) ? json_is_array(JS(node))
                             : fy_node_is_sequence(FY(node));
}

size_t vutil_doc_count(const vutil_doc *doc, vutil_node *node)
{
    int n;

    if (node == NULL) {
        return 0;
    }
    if (is_json_tree(doc)) {
        return json_is_array(JS(node))    ? json_array_size(JS(node))
               : json_is_object(JS(node)) ? json_object_size(JS(node))
                                          : 0;
    }
    n = fy_node_is_sequence(FY(node))  ? fy_node_sequence_item_count(FY(node))
        : fy_node_is_mapping(FY(node)) ? fy_node_mapping_item_count(FY(node))
                                       : 0;
    return n > 0 ? (size_t)n : 0;
}

/* ---- walking -------------------------------------------------------- */

vutil_node *vutil_doc_next(const vutil_doc *doc, vutil_node *node,
                             vutil_iter *iter)
{
    if (!vutil_doc_is_sequence(doc, node)) {
        return NULL;
    }
    if (is_json_tree(doc)) {
        return (vutil_node *)json_array_get(JS(node), iter->index++);
    }
    return (vutil_node *)fy_node_sequence_iterate(FY(node), &iter->fy);
}

int vutil_doc_next_entry(const vutil_doc *doc, vutil_node *node,
                         vutil_iter *iter, const vutil_path *path,
                         const char **key, size_t *key_len,
                         vutil_node **key_node, vutil_node **value,
                         vouch_error *err)
{
    struct fy_node_pair *pair;
    int rc;

    if (!vutil_doc_is_mapping(doc, node)) {
        return 0;
    }
    if (is_json_tree(doc)) {
        void *it = iter->fy != NULL ? json_object_iter_next(JS(node),
                                                            iter->fy)
                                    : json_object_iter(JS(node));

        iter->fy = it;
        if (it == NULL) {
            return 0;
        }
        *key = json_object_iter_key(it);
        *key_len = json_object_iter_key_len(it);
        *value = (vutil_node *)json_object_iter_value(it);
        *key_node = *value;     /* no positions in this tree */
        return 1;
    }
    pair = fy_node_mapping_iterate(FY(node), &iter->fy);
    if (pair == NULL) {
        return 0;
    }
    *key_node = (vutil_node *)fy_node_pair_key(pair);
    *value = (vutil_node *)fy_node_pair_value(pair);
    rc = vutil_doc_string(doc, *key_node, path, key, key_len, err);
    return rc < 0 ? rc : 1;
}

vutil_node *vutil_doc_get(const vutil_doc *doc, vutil_node *node,
                            const char *key)
{
    struct fy_node_pair *pair;
    void *iter = NULL;

    if (!vutil_doc_is_mapping(doc, node)) {
        return NULL;
    }
    if (is_json_tree(doc)) {
        return (vutil_node *)json_object_get(JS(node), key);
    }
    while ((pair = fy_node_mapping_iterate(FY(node), &iter)) != NULL) {
        struct fy_node *k = fy_node_pair_key(pair);
        size_t n = 0;
        const char *s;

        if (k == NULL || !fy_node_is_scalar(k)) {
            continue;
        }
        s = fy_node_get_scalar(k, &n);
        if (s != NULL && vutil_slice_eq(s, n, key)) {
            return (vutil_node *)fy_node_pair_value(pair);
        }
    }
    return NULL;
}

/* ---- shapes --------------------------------------------------------- */

/* A key as a message shows it: at most 76 bytes, controls masked. */
static void shown_key(const char *s, size_t n, char *name, size_t size)
{
    size_t shown = n < size - 4 ? n : size - 4;
    size_t i;

    memcpy(name, s, shown);
    name[shown] = '\0';
    if (shown < n) {
        memcpy(name + shown, "...", 4);
    }
    for (i = 0; name[i] != '\0'; i++) {
        if ((unsigned char)name[i] < 0x20) {
            name[i] = '?';
        }
    }
}

static bool key_allowed(const char *s, size_t n, const char *const *allowed)
{
    size_t i;

    for (i = 0; allowed[i] != NULL; i++) {
        if (vutil_slice_eq(s, n, allowed[i])) {
            return true;
        }
    }
    return false;
}

/* The key of a libfyaml pair, or NULL when it is not a string key. */
static const char *fy_key_text(const vutil_doc *doc, struct fy_node *key,
                               size_t *n)
{
    const char *s = NULL;

    *n = 0;
    if (key == NULL || !fy_node_is_scalar(key)) {
        return NULL;
    }
    s = fy_node_get_scalar(key, n);
    if (doc->format == VOUCH_FORMAT_YAML && fy_is_plain(key) &&
        (s == NULL || is_null_text(s, *n))) {
        return NULL;
    }
    if (s == NULL) {
        *n = 0;
        return "";
    }
    return s;
}

static int unknown_field(const vutil_doc *doc, vutil_node *key,
                         const vutil_path *path, const char *s, size_t n,
                         vouch_error *err)
{
    char name[80];
    vutil_path p = *path;

    shown_key(s, n, name, sizeof(name));
    vutil_path_push_key(&p, name);
    return vutil_doc_fail(doc, key, &p, err, VOUCH_EINVAL, "unknown field");
}

int vutil_doc_expect_mapping(const vutil_doc *doc, vutil_node *node,
                             const vutil_path *path,
                             const char *const *allowed, vouch_error *err)
{
    void *iter = NULL;
    struct fy_node_pair *pair;

    if (vutil_doc_is_null(doc, node)) {
        return 0;
    }
    if (!vutil_doc_is_mapping(doc, node)) {
        return vutil_doc_fail(doc, node, path, err, VOUCH_EINVAL,
                              "expected a mapping, found %s",
                              node_kind(doc, node));
    }
    if (allowed != NULL && is_json_tree(doc)) {
        const char *key;
        json_t *value;

        json_object_foreach(JS(node), key, value) {
            size_t n = strlen(key);

            if (!key_allowed(key, n, allowed)) {
                return unknown_field(doc, (vutil_node *)value, path, key,
                                     n, err);
            }
        }
        return 0;
    }
    while (!is_json_tree(doc) &&
           (pair = fy_node_mapping_iterate(FY(node), &iter)) != NULL) {
        struct fy_node *key = fy_node_pair_key(pair);
        size_t n = 0;
        const char *s = fy_key_text(doc, key, &n);

        if (s == NULL) {
            return vutil_doc_fail(doc,
                                  (vutil_node *)(key != NULL ? key
                                                               : FY(node)),
                                  path, err, VOUCH_EINVAL,
                                  "mapping keys must be strings");
        }
        if (allowed != NULL && !key_allowed(s, n, allowed)) {
            return unknown_field(doc, (vutil_node *)key, path, s, n, err);
        }
    }
    return 0;
}

int vutil_doc_expect_root_mapping(const vutil_doc *doc, const char *what,
                                  const char *const *allowed,
                                  vouch_error *err)
{
    vutil_node *root = vutil_doc_root(doc);
    vutil_path path = VUTIL_PATH_INIT;

    if (vutil_doc_is_sequence(doc, root)) {
        return vutil_doc_fail(doc, root, &path, err, VOUCH_EINVAL,
                              "%s must be a mapping, found a list", what);
    }
    return vutil_doc_expect_mapping(doc, root, &path, allowed, err);
}

int vutil_doc_expect_sequence(const vutil_doc *doc, vutil_node *node,
                              const vutil_path *path, vouch_error *err)
{
    if (vutil_doc_is_null(doc, node) || vutil_doc_is_sequence(doc, node)) {
        return 0;
    }
    return vutil_doc_fail(doc, node, path, err, VOUCH_EINVAL,
                          "expected a list, found %s", node_kind(doc, node));
}

/* ---- scalars -------------------------------------------------------- */

/* The text of a string scalar, or NULL when `node` is not one. */
static const char *string_text(const vutil_doc *doc, vutil_node *node,
                               size_t *n)
{
    const char *s;

    if (node == NULL) {
        return NULL;
    }
    if (is_json_tree(doc)) {
        if (!json_is_string(JS(node))) {
            return NULL;
        }
        *n = json_string_length(JS(node));
        return json_string_value(JS(node));
    }
    if (!fy_node_is_scalar(FY(node)) || vutil_doc_is_null(doc, node)) {
        return NULL;
    }
    s = fy_node_get_scalar(FY(node), n);
    if (s != NULL && fy_is_plain(FY(node)) &&
        (doc->format == VOUCH_FORMAT_JSON || bool_text(s, *n) >= 0 ||
         is_number_text(s, *n))) {
        return NULL;
    }
    return s;
}

int vutil_doc_string(const vutil_doc *doc, vutil_node *node,
                     const vutil_path *path, const char **ptr,
                     size_t *len, vouch_error *err)
{
    size_t n = 0;
    const char *s = string_text(doc, node, &n);

    if (s == NULL) {
        return vutil_doc_fail(doc, node, path, err, VOUCH_EINVAL,
                              "expected a string, found %s",
                              node == NULL ? "null" : node_kind(doc, node));
    }
    if (memchr(s, '\0', n) != NULL) {
        return vutil_doc_fail(doc, node, path, err, VOUCH_EINVAL,
                              "contains a NUL character");
    }
    *ptr = s;
    *len = n;
    return 0;
}

int vutil_doc_string_dup(const vutil_doc *doc, vutil_node *node,
                         const vutil_path *path, char **out,
                         vouch_error *err)
{
    const char *s = NULL;
    size_t n = 0;
    int rc;

    *out = NULL;
    rc = vutil_doc_string(doc, node, path, &s, &n, err);
    if (rc < 0) {
        return rc;
    }
    *out = vutil_strndup(s, n);
    if (*out == NULL) {
        return vutil_error_set(err, VOUCH_ENOMEM, doc->source, 0, 0,
                               "out of memory");
    }
    return 0;
}

/* 1 true, 0 false, -1 not a boolean. */
static int bool_value(const vutil_doc *doc, vutil_node *node)
{
    const char *s;
    size_t n = 0;

    if (node == NULL) {
        return -1;
    }
    if (is_json_tree(doc)) {
        return json_is_boolean(JS(node)) ? json_is_true(JS(node)) : -1;
    }
    if (!fy_plain_scalar(FY(node), &s, &n) || s == NULL) {
        return -1;
    }
    if (doc->format == VOUCH_FORMAT_JSON) {
        return vutil_slice_eq(s, n, "true")    ? 1
               : vutil_slice_eq(s, n, "false") ? 0
                                                : -1;
    }
    return bool_text(s, n);
}

int vutil_doc_bool(const vutil_doc *doc, vutil_node *node,
                   const vutil_path *path, bool *out, vouch_error *err)
{
    int b = bool_value(doc, node);

    if (b < 0) {
        return vutil_doc_fail(doc, node, path, err, VOUCH_EINVAL,
                              "expected true or false, found %s",
                              node == NULL ? "null" : node_kind(doc, node));
    }
    *out = b == 1;
    return 0;
}

bool vutil_doc_is_json_number(const vutil_doc *doc, vutil_node *node)
{
    const char *s;
    size_t n = 0;

    if (node == NULL || doc->format != VOUCH_FORMAT_JSON) {
        return false;
    }
    if (is_json_tree(doc)) {
        return json_is_number(JS(node));
    }
    return fy_plain_scalar(FY(node), &s, &n) && s != NULL && n > 0 &&
           is_digit(s[0]);
}

static int uint_failure(const vutil_doc *doc, vutil_node *node,
                        const vutil_path *path, vouch_error *err)
{
    return vutil_doc_fail(doc, node, path, err, VOUCH_EINVAL,
                          "expected a non-negative integer, found %s",
                          node == NULL ? "null" : node_kind(doc, node));
}

/* Decimal digits up to `max`: 0, -1 (not digits) or -2 (over `max`). */
static int uint_text(const char *s, size_t n, unsigned long long max,
                     unsigned long long *out)
{
    unsigned long long v = 0;
    size_t i;

    if (s == NULL || n == 0) {
        return -1;
    }
    for (i = 0; i < n; i++) {
        unsigned long long d;

        if (!is_digit(s[i])) {
            return -1;
        }
        d = (unsigned long long)(s[i] - '0');
        if (d > max || v > (max - d) / 10) {
            return -2;
        }
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

/* The number of a jansson value: 0, -1 (not one) or -2 (over `max`). */
static int json_uint(const vutil_doc *doc, json_t *node,
                     unsigned long long max, unsigned long long *out)
{
    json_int_t v;

    if (json_is_string(node)) {
        return uint_text(json_string_value(node), json_string_length(node),
                         max, out);
    }
    if (!json_is_integer(node)) {
        return -1;
    }
    v = json_integer_value(node);
    /* jansson reads "-0" as 0, which the text reader refuses: with a
     * libfyaml retry to come, let it decide. */
    if (v < 0 || (v == 0 && doc->json_owned)) {
        return -1;
    }
    if ((unsigned long long)v > max) {
        return -2;
    }
    *out = (unsigned long long)v;
    return 0;
}

int vutil_doc_uint(const vutil_doc *doc, vutil_node *node,
                   const vutil_path *path, unsigned long long max,
                   unsigned long long *out, vouch_error *err)
{
    const char *s;
    size_t n = 0;
    int rc = -1;

    if (node != NULL && is_json_tree(doc)) {
        rc = json_uint(doc, JS(node), max, out);
    } else if (node != NULL && fy_node_is_scalar(FY(node)) &&
               !vutil_doc_is_null(doc, node)) {
        s = fy_node_get_scalar(FY(node), &n);
        rc = uint_text(s, n, max, out);
    }
    if (rc == -2) {
        return vutil_doc_fail(doc, node, path, err, VOUCH_EINVAL,
                              "number is over the maximum of %llu", max);
    }
    return rc < 0 ? uint_failure(doc, node, path, err) : 0;
}
