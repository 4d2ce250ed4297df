/*
 * Reading input documents through one position-keeping tree (doc.h):
 * loading (JSON checked by jansson, then both formats parsed by libfyaml),
 * field paths, positioned errors and typed scalar access.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "doc.h"

/* Deepest nesting accepted by the tree checks (policies need 4). */
#define DOC_MAX_DEPTH 64


/* ---- positions ------------------------------------------------------ */

/*
 * libfyaml 0.7 keeps marks on tokens, not on collection nodes: a scalar
 * is placed by its token, a collection by its first child, an empty
 * collection by the key that holds it (or its parent's position).
 */
static bool node_mark_down(struct fy_node *node, int *line, int *column,
                           int depth)
{
    void *iter = NULL;
    struct fy_token *tok;
    const struct fy_mark *mark;

    if (node == NULL || depth > DOC_MAX_DEPTH + 2) {
        return false;
    }
    switch (fy_node_get_type(node)) {
    case FYNT_SCALAR:
        tok = fy_node_get_scalar_token(node);
        mark = tok != NULL ? fy_token_start_mark(tok) : NULL;
        if (mark == NULL) {
            return false;
        }
        *line = mark->line + 1;
        *column = mark->column + 1;
        return true;
    case FYNT_MAPPING: {
        struct fy_node_pair *pair = fy_node_mapping_iterate(node, &iter);

        return pair != NULL &&
               node_mark_down(fy_node_pair_key(pair), line, column,
                              depth + 1);
    }
    case FYNT_SEQUENCE:
        return node_mark_down(fy_node_sequence_iterate(node, &iter), line,
                              column, depth + 1);
    }
    return false;
}

/*
 * libfyaml 0.7 keeps marks on tokens, not on collection nodes: a scalar
 * is placed by its token, a collection by its first child, an empty
 * collection by the nearest key that holds it.
 */
static bool node_mark(struct fy_node *node, int *line, int *column,
                      int depth)
{
    struct fy_node *parent;

    (void)depth;
    if (node_mark_down(node, line, column, 0)) {
        return true;
    }
    while (node != NULL) {
        parent = fy_node_get_parent(node);
        if (parent != NULL && fy_node_is_mapping(parent)) {
            struct fy_node_pair *pair;
            void *iter = NULL;

            while ((pair = fy_node_mapping_iterate(parent, &iter)) != NULL) {
                if (fy_node_pair_value(pair) == node) {
                    return node_mark_down(fy_node_pair_key(pair), line,
                                          column, 0);
                }
            }
        }
        node = parent;
    }
    return false;
}

static bool node_is_plain(struct fy_node *node)
{
    return fy_node_get_style(node) == FYNS_PLAIN;
}

/* ---- YAML 1.2 core schema for plain scalars ------------------------- */

static bool is_null_text(const char *s, size_t n)
{
    return n == 0 || vouch__slice_eq(s, n, "~") ||
           vouch__slice_eq(s, n, "null") || vouch__slice_eq(s, n, "Null") ||
           vouch__slice_eq(s, n, "NULL");
}

static int bool_text(const char *s, size_t n)
{
    if (vouch__slice_eq(s, n, "true") || vouch__slice_eq(s, n, "True") ||
        vouch__slice_eq(s, n, "TRUE")) {
        return 1;
    }
    if (vouch__slice_eq(s, n, "false") || vouch__slice_eq(s, n, "False") ||
        vouch__slice_eq(s, n, "FALSE")) {
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
    if (vouch__slice_eq(s + i, n - i, ".inf") ||
        vouch__slice_eq(s + i, n - i, ".Inf") ||
        vouch__slice_eq(s + i, n - i, ".INF")) {
        return true;
    }
    if (i == 0 && (vouch__slice_eq(s, n, ".nan") ||
                   vouch__slice_eq(s, n, ".NaN") ||
                   vouch__slice_eq(s, n, ".NAN"))) {
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

static bool node_is_null(const vouch__doc *doc, struct fy_node *node)
{
    const char *s;
    size_t n = 0;

    if (node == NULL) {
        return true;
    }
    if (!fy_node_is_scalar(node) || !node_is_plain(node)) {
        return false;
    }
    s = fy_node_get_scalar(node, &n);
    if (s == NULL) {
        return true;
    }
    if (doc->format == VOUCH_FORMAT_JSON) {
        return vouch__slice_eq(s, n, "null");
    }
    return is_null_text(s, n);
}

/* ---- tree checks ---------------------------------------------------- */

/*
 * libfyaml 0.7.12 decodes some single-quoted scalars wrongly: two escaped
 * quotes in a row ('a''''b', meaning a''b), or an escaped quote in a
 * scalar that spans lines. Its text then comes out longer than the length
 * it computed, is truncated, and (once the scalar has more than a few
 * escapes) the atom iterator's chunk array leaks (fy_atom_format_text()
 * returns without fy_atom_iter_finish(); found by fuzz_policy_yaml). Such a
 * scalar is refused before anything reads its text. Differential testing
 * against PyYAML found no other single-quoted form read wrongly.
 */
static bool single_quoted_misread(const char *data, size_t len,
                                  struct fy_node *node)
{
    struct fy_token *tok = fy_node_get_scalar_token(node);
    const struct fy_mark *start;
    const struct fy_mark *end;
    size_t i;
    bool escape = false;
    bool lines = false;

    if (tok == NULL) {
        return false;
    }
    start = fy_token_start_mark(tok);
    end = fy_token_end_mark(tok);
    if (start == NULL || end == NULL || start->input_pos > end->input_pos ||
        end->input_pos > len) {
        return true;
    }
    /* The token's marks span what lies between the quotes. */
    for (i = start->input_pos; i < end->input_pos; i++) {
        if (data[i] == '\n' || data[i] == '\r') {
            lines = true;
        } else if (data[i] == '\'' && i + 1 < end->input_pos &&
                   data[i + 1] == '\'') {
            if (i + 3 < end->input_pos && data[i + 2] == '\'' &&
                data[i + 3] == '\'') {
                return true;
            }
            escape = true;
            i++;
        }
    }
    return escape && lines;
}

static int check_tree(const vouch__doc *doc, const char *data, size_t len,
                      struct fy_node *node, int depth, vouch_error *err)
{
    void *iter = NULL;
    size_t tlen = 0;
    int line = 0;
    int column = 0;
    int rc;

    if (node == NULL) {
        return 0;
    }
    if (depth > DOC_MAX_DEPTH) {
        node_mark(node, &line, &column, 0);
        return vouch__error_set(err, VOUCH_EPARSE, doc->source, line, column,
                                "document nested deeper than %d levels",
                                DOC_MAX_DEPTH);
    }
    if (fy_node_is_alias(node)) {
        node_mark(node, &line, &column, 0);
        return vouch__error_set(err, VOUCH_EPARSE, doc->source, line, column,
                                "YAML aliases are not accepted");
    }
    if (fy_node_get_anchor(node) != NULL) {
        node_mark(node, &line, &column, 0);
        return vouch__error_set(err, VOUCH_EPARSE, doc->source, line, column,
                                "YAML anchors are not accepted");
    }
    if (fy_node_get_tag(node, &tlen) != NULL) {
        node_mark(node, &line, &column, 0);
        return vouch__error_set(err, VOUCH_EPARSE, doc->source, line, column,
                                "YAML tags are not accepted");
    }
    if (fy_node_is_scalar(node) &&
        fy_node_get_style(node) == FYNS_SINGLE_QUOTED &&
        single_quoted_misread(data, len, node)) {
        node_mark(node, &line, &column, 0);
        return vouch__error_set(err, VOUCH_EPARSE, doc->source, line, column,
                                "a single-quoted string with two escaped "
                                "quotes ('') in a row, or with one on "
                                "several lines, is not accepted; use a "
                                "double-quoted string");
    }
    if (fy_node_is_mapping(node)) {
        struct fy_node_pair *pair;

        while ((pair = fy_node_mapping_iterate(node, &iter)) != NULL) {
            struct fy_node *key = fy_node_pair_key(pair);

            if (key != NULL && fy_node_is_scalar(key) &&
                node_is_plain(key) && doc->format == VOUCH_FORMAT_YAML) {
                size_t n = 0;
                const char *s = fy_node_get_scalar(key, &n);

                if (s != NULL && vouch__slice_eq(s, n, "<<")) {
                    node_mark(key, &line, &column, 0);
                    return vouch__error_set(err, VOUCH_EPARSE, doc->source,
                                            line, column,
                                            "YAML merge keys are not "
                                            "accepted");
                }
            }
            rc = check_tree(doc, data, len, key, depth + 1, err);
            if (rc < 0) {
                return rc;
            }
            rc = check_tree(doc, data, len, fy_node_pair_value(pair),
                            depth + 1, err);
            if (rc < 0) {
                return rc;
            }
        }
    } else if (fy_node_is_sequence(node)) {
        struct fy_node *item;

        while ((item = fy_node_sequence_iterate(node, &iter)) != NULL) {
            rc = check_tree(doc, data, len, item, depth + 1, err);
            if (rc < 0) {
                return rc;
            }
        }
    }
    return 0;
}

/* ---- loading -------------------------------------------------------- */

int vouch__doc_load(vouch__doc *doc, const char *data, size_t len,
                    vouch_format format, size_t max, const char *source,
                    vouch_error *err)
{
    int rc;

    doc->fyd = NULL;
    doc->source = source;
    doc->format = format;
    if (len > max) {
        return vouch__error_set(err, VOUCH_ETOOBIG, source, 0, 0,
                                "document is %zu bytes, over the limit of "
                                "%zu", len, max);
    }
    if (data == NULL && len > 0) {
        return vouch__error_set(err, VOUCH_EINVAL, source, 0, 0,
                                "no document given");
    }
    if (format == VOUCH_FORMAT_AUTO) {
        size_t i = 0;

        while (i < len && (data[i] == ' ' || data[i] == '\t' ||
                           data[i] == '\r' || data[i] == '\n')) {
            i++;
        }
        format = (i < len && (data[i] == '{' || data[i] == '['))
                     ? VOUCH_FORMAT_JSON
                     : VOUCH_FORMAT_YAML;
    }
    if (format != VOUCH_FORMAT_JSON && format != VOUCH_FORMAT_YAML) {
        return vouch__error_set(err, VOUCH_EINVAL, source, 0, 0,
                                "unknown document format %d", (int)format);
    }
    doc->format = format;
    if (format == VOUCH_FORMAT_JSON) {
        rc = vouch__json_check(data, len, source, err);
        if (rc < 0) {
            return rc;
        }
    }
    rc = vouch__yaml_load(&doc->fyd, data != NULL ? data : "", len,
                          format == VOUCH_FORMAT_JSON, source, err);
    if (rc < 0) {
        doc->fyd = NULL;
        return rc;
    }
    rc = check_tree(doc, data != NULL ? data : "", len,
                    fy_document_root(doc->fyd), 0, err);
    if (rc < 0) {
        vouch__doc_close(doc);
        return rc;
    }
    return 0;
}

void vouch__doc_close(vouch__doc *doc)
{
    if (doc != NULL && doc->fyd != NULL) {
        fy_document_destroy(doc->fyd);
        doc->fyd = NULL;
    }
}

struct fy_node *vouch__doc_root(const vouch__doc *doc)
{
    return doc->fyd != NULL ? fy_document_root(doc->fyd) : NULL;
}

/* ---- paths ---------------------------------------------------------- */

static void path_append(vouch__path *path, const char *s, size_t n)
{
    size_t room = sizeof(path->text) - 1 - path->len;

    if (n > room) {
        n = room;
    }
    memcpy(path->text + path->len, s, n);
    path->len += n;
    path->text[path->len] = '\0';
}

size_t vouch__path_push_key(vouch__path *path, const char *key)
{
    size_t saved = path->len;

    if (path->len > 0) {
        path_append(path, ".", 1);
    }
    path_append(path, key, strlen(key));
    return saved;
}

size_t vouch__path_push_index(vouch__path *path, size_t index)
{
    size_t saved = path->len;
    char buf[32];
    int n = snprintf(buf, sizeof(buf), "[%zu]", index);

    if (n > 0) {
        path_append(path, buf, (size_t)n);
    }
    return saved;
}

void vouch__path_pop(vouch__path *path, size_t saved)
{
    if (saved <= path->len) {
        path->len = saved;
        path->text[saved] = '\0';
    }
}

/* ---- failing -------------------------------------------------------- */

int vouch__doc_fail(const vouch__doc *doc, struct fy_node *node,
                    const vouch__path *path, vouch_error *err,
                    vouch_code code, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    int line = 0;
    int column = 0;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    node_mark(node, &line, &column, 0);
    if (path != NULL && path->len > 0) {
        return vouch__error_set(err, code, doc->source, line, column,
                                "%s: %s", path->text, msg);
    }
    return vouch__error_set(err, code, doc->source, line, column, "%s", msg);
}

/* ---- typed access --------------------------------------------------- */

static const char *node_kind(const vouch__doc *doc, struct fy_node *node)
{
    const char *s;
    size_t n = 0;

    if (node_is_null(doc, node)) {
        return "null";
    }
    if (fy_node_is_mapping(node)) {
        return "a mapping";
    }
    if (fy_node_is_sequence(node)) {
        return "a list";
    }
    if (!node_is_plain(node)) {
        return "a string";
    }
    s = fy_node_get_scalar(node, &n);
    if (s == NULL) {
        return "null";
    }
    if (doc->format == VOUCH_FORMAT_YAML) {
        if (bool_text(s, n) >= 0) {
            return "a boolean";
        }
        if (is_number_text(s, n)) {
            return "a number";
        }
        return "a string";
    }
    if (bool_text(s, n) >= 0) {
        return "a boolean";
    }
    return "a number";
}

int vouch__doc_expect_mapping(const vouch__doc *doc, struct fy_node *node,
                              const vouch__path *path,
                              const char *const *allowed, vouch_error *err)
{
    void *iter = NULL;
    struct fy_node_pair *pair;

    if (node_is_null(doc, node)) {
        return 0;
    }
    if (!fy_node_is_mapping(node)) {
        return vouch__doc_fail(doc, node, path, err, VOUCH_EINVAL,
                               "expected a mapping, found %s",
                               node_kind(doc, node));
    }
    while ((pair = fy_node_mapping_iterate(node, &iter)) != NULL) {
        struct fy_node *key = fy_node_pair_key(pair);
        const char *s = NULL;
        size_t n = 0;
        size_t i;
        bool known = false;

        if (key != NULL && fy_node_is_scalar(key)) {
            s = fy_node_get_scalar(key, &n);
        }
        if (key == NULL || !fy_node_is_scalar(key) ||
            (doc->format == VOUCH_FORMAT_YAML && node_is_plain(key) &&
             (s == NULL || is_null_text(s, n)))) {
            return vouch__doc_fail(doc, key != NULL ? key : node, path, err,
                                   VOUCH_EINVAL,
                                   "mapping keys must be strings");
        }
        if (s == NULL) {
            s = "";
            n = 0;
        }
        if (allowed == NULL) {
            continue;
        }
        for (i = 0; allowed[i] != NULL; i++) {
            if (vouch__slice_eq(s, n, allowed[i])) {
                known = true;
                break;
            }
        }
        if (!known) {
            char name[80];
            vouch__path p = *path;
            size_t shown = n < sizeof(name) - 4 ? n : sizeof(name) - 4;

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
            vouch__path_push_key(&p, name);
            return vouch__doc_fail(doc, key, &p, err, VOUCH_EINVAL,
                                   "unknown field");
        }
    }
    return 0;
}

int vouch__doc_expect_sequence(const vouch__doc *doc, struct fy_node *node,
                               const vouch__path *path, vouch_error *err)
{
    if (node_is_null(doc, node) || fy_node_is_sequence(node)) {
        return 0;
    }
    return vouch__doc_fail(doc, node, path, err, VOUCH_EINVAL,
                           "expected a list, found %s", node_kind(doc, node));
}

struct fy_node *vouch__doc_get(struct fy_node *node, const char *key)
{
    void *iter = NULL;
    struct fy_node_pair *pair;

    if (node == NULL || !fy_node_is_mapping(node)) {
        return NULL;
    }
    while ((pair = fy_node_mapping_iterate(node, &iter)) != NULL) {
        struct fy_node *k = fy_node_pair_key(pair);
        size_t n = 0;
        const char *s;

        if (k == NULL || !fy_node_is_scalar(k)) {
            continue;
        }
        s = fy_node_get_scalar(k, &n);
        if (s != NULL && vouch__slice_eq(s, n, key)) {
            return fy_node_pair_value(pair);
        }
    }
    return NULL;
}

int vouch__doc_string(const vouch__doc *doc, struct fy_node *node,
                      const vouch__path *path, const char **ptr,
                      size_t *len, vouch_error *err)
{
    const char *s;
    size_t n = 0;

    if (node == NULL || !fy_node_is_scalar(node) || node_is_null(doc, node)) {
        goto bad;
    }
    s = fy_node_get_scalar(node, &n);
    if (s == NULL) {
        goto bad;
    }
    if (node_is_plain(node)) {
        if (doc->format == VOUCH_FORMAT_JSON) {
            goto bad;
        }
        if (bool_text(s, n) >= 0 || is_number_text(s, n)) {
            goto bad;
        }
    }
    if (memchr(s, '\0', n) != NULL) {
        return vouch__doc_fail(doc, node, path, err, VOUCH_EINVAL,
                               "contains a NUL character");
    }
    *ptr = s;
    *len = n;
    return 0;

bad:
    return vouch__doc_fail(doc, node, path, err, VOUCH_EINVAL,
                           "expected a string, found %s",
                           node == NULL ? "null" : node_kind(doc, node));
}

int vouch__doc_string_dup(const vouch__doc *doc, struct fy_node *node,
                          const vouch__path *path, char **out,
                          vouch_error *err)
{
    const char *s = NULL;
    size_t n = 0;
    int rc;

    *out = NULL;
    rc = vouch__doc_string(doc, node, path, &s, &n, err);
    if (rc < 0) {
        return rc;
    }
    *out = vouch__strndup(s, n);
    if (*out == NULL) {
        return vouch__error_set(err, VOUCH_ENOMEM, doc->source, 0, 0,
                                "out of memory");
    }
    return 0;
}

int vouch__doc_bool(const vouch__doc *doc, struct fy_node *node,
                    const vouch__path *path, bool *out, vouch_error *err)
{
    const char *s;
    size_t n = 0;
    int b;

    if (node == NULL || !fy_node_is_scalar(node) || !node_is_plain(node)) {
        goto bad;
    }
    s = fy_node_get_scalar(node, &n);
    if (s == NULL) {
        goto bad;
    }
    if (doc->format == VOUCH_FORMAT_JSON) {
        b = vouch__slice_eq(s, n, "true")    ? 1
            : vouch__slice_eq(s, n, "false") ? 0
                                             : -1;
    } else {
        b = bool_text(s, n);
    }
    if (b < 0) {
        goto bad;
    }
    *out = b == 1;
    return 0;

bad:
    return vouch__doc_fail(doc, node, path, err, VOUCH_EINVAL,
                           "expected true or false, found %s",
                           node == NULL ? "null" : node_kind(doc, node));
}

int vouch__doc_uint(const vouch__doc *doc, struct fy_node *node,
                    const vouch__path *path, unsigned long long max,
                    unsigned long long *out, vouch_error *err)
{
    const char *s;
    size_t n = 0;
    size_t i;
    unsigned long long v = 0;

    if (node == NULL || !fy_node_is_scalar(node) || node_is_null(doc, node)) {
        goto bad;
    }
    s = fy_node_get_scalar(node, &n);
    if (s == NULL || n == 0) {
        goto bad;
    }
    for (i = 0; i < n; i++) {
        if (!is_digit(s[i])) {
            goto bad;
        }
        unsigned long long d = (unsigned long long)(s[i] - '0');

        if (d > max || v > (max - d) / 10) {
            return vouch__doc_fail(doc, node, path, err, VOUCH_EINVAL,
                                   "number is over the maximum of %llu",
                                   max);
        }
        v = v * 10 + d;
    }
    *out = v;
    return 0;

bad:
    return vouch__doc_fail(doc, node, path, err, VOUCH_EINVAL,
                           "expected a non-negative integer, found %s",
                           node == NULL ? "null" : node_kind(doc, node));
}

int vouch__print_model(json_t *root_taken, vouch_format format, char **out,
                       size_t *out_len, vouch_error *err, const char *what)
{
    int rc;

    *out = NULL;
    if (out_len != NULL) {
        *out_len = 0;
    }
    if (format != VOUCH_FORMAT_JSON && format != VOUCH_FORMAT_YAML) {
        json_decref(root_taken);
        return vouch__error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                                "output format must be JSON or YAML");
    }
    if (root_taken == NULL) {
        if (what == NULL) {
            return vouch__error_set(err, VOUCH_ENOMEM, NULL, 0, 0,
                                    "out of memory");
        }
        return vouch__error_set(err, VOUCH_ENOMEM, NULL, 0, 0,
                                "out of memory printing the %s", what);
    }
    rc = vouch__json_print(root_taken, format, out, out_len, err);
    json_decref(root_taken);
    return rc;
}

int vouch__string_replace(char **field, const char *value)
{
    char *copy = NULL;

    if (value == NULL) {
        return 0;
    }
    if (value[0] != '\0') {
        copy = vouch__strdup(value);
        if (copy == NULL) {
            return VOUCH_ENOMEM;
        }
    }
    free(*field);
    *field = copy;
    return 0;
}
