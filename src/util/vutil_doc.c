/*
 * Loading input documents (vutil_doc.h): JSON into jansson's tree,
 * either format into libfyaml's position-keeping tree, and
 * vutil_doc_parse(), which reads a model through the first and, only to
 * place an error, the second. Also field paths and positioned errors;
 * the typed access to nodes is in vutil_doc_node.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vutil_doc.h"
#include "vutil_error.h"
#include "vutil_str.h"

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
/*
 * What lies between the quotes of scalar `node`: [*from, *to) of the
 * `len` bytes read. 1 found; 0 no token (nothing to check); -1 marks
 * outside them.
 */
static int quoted_span(size_t len, struct fy_node *node, size_t *from,
                       size_t *to)
{
    struct fy_token *tok = fy_node_get_scalar_token(node);
    const struct fy_mark *start;
    const struct fy_mark *end;

    if (tok == NULL) {
        return 0;
    }
    start = fy_token_start_mark(tok);
    end = fy_token_end_mark(tok);
    if (start == NULL || end == NULL || start->input_pos > end->input_pos ||
        end->input_pos > len) {
        return -1;
    }
    *from = start->input_pos;
    *to = end->input_pos;
    return 1;
}

static bool single_quoted_misread(const char *data, size_t len,
                                  struct fy_node *node)
{
    size_t from = 0;
    size_t to = 0;
    size_t i;
    bool escape = false;
    bool lines = false;
    int span = quoted_span(len, node, &from, &to);

    if (span <= 0) {
        return span < 0;
    }
    for (i = from; i < to; i++) {
        if (data[i] == '\n' || data[i] == '\r') {
            lines = true;
        } else if (data[i] == '\'' && i + 1 < to &&
                   data[i + 1] == '\'') {
            if (i + 3 < to && data[i + 2] == '\'' &&
                data[i + 3] == '\'') {
                return true;
            }
            escape = true;
            i++;
        }
    }
    return escape && lines;
}

/*
 * libfyaml 0.7.12 also misreads a quoted scalar (single or double) whose
 * text ends in empty lines with CRLF line breaks ("'a\r\n\r\n\r\n\r\n
 * \r\n  '"): with a few of them the atom iterator's chunk array leaks as
 * above (found by fuzz_k8s_manifest: a Windows-edited manifest). Such a
 * scalar, a line break with a CR among the breaks and blanks that end it,
 * is refused before its text is read.
 */
static bool quoted_crlf_tail(const char *data, size_t len,
                             struct fy_node *node)
{
    size_t from = 0;
    size_t to = 0;
    bool cr = false;
    size_t i;
    int span = quoted_span(len, node, &from, &to);

    if (span <= 0) {
        return span < 0;
    }
    for (i = to; i > from; i--) {
        char c = data[i - 1];

        if (c == '\r') {
            cr = true;
        } else if (c != '\n' && c != ' ' && c != '\t') {
            break;
        }
    }
    return cr;
}

static int check_tree(const vutil_doc *doc, const char *data, size_t len,
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
        return vutil_error_set(err, VOUCH_EPARSE, doc->source, line, column,
                               "document nested deeper than %d levels",
                               DOC_MAX_DEPTH);
    }
    if (fy_node_is_alias(node)) {
        node_mark(node, &line, &column, 0);
        return vutil_error_set(err, VOUCH_EPARSE, doc->source, line, column,
                               "YAML aliases are not accepted");
    }
    if (fy_node_get_anchor(node) != NULL) {
        node_mark(node, &line, &column, 0);
        return vutil_error_set(err, VOUCH_EPARSE, doc->source, line, column,
                               "YAML anchors are not accepted");
    }
    if (fy_node_get_tag(node, &tlen) != NULL) {
        node_mark(node, &line, &column, 0);
        return vutil_error_set(err, VOUCH_EPARSE, doc->source, line, column,
                               "YAML tags are not accepted");
    }
    if (fy_node_is_scalar(node) &&
        fy_node_get_style(node) == FYNS_SINGLE_QUOTED &&
        single_quoted_misread(data, len, node)) {
        node_mark(node, &line, &column, 0);
        return vutil_error_set(err, VOUCH_EPARSE, doc->source, line, column,
                               "a single-quoted string with two escaped "
                               "quotes ('') in a row, or with one on "
                               "several lines, is not accepted; use a "
                               "double-quoted string");
    }
    if (fy_node_is_scalar(node) &&
        (fy_node_get_style(node) == FYNS_SINGLE_QUOTED ||
         fy_node_get_style(node) == FYNS_DOUBLE_QUOTED) &&
        quoted_crlf_tail(data, len, node)) {
        node_mark(node, &line, &column, 0);
        return vutil_error_set(err, VOUCH_EPARSE, doc->source, line, column,
                               "a quoted string that ends in empty lines "
                               "with CRLF line breaks is not accepted; end "
                               "it on its last line of text");
    }
    if (fy_node_is_mapping(node)) {
        struct fy_node_pair *pair;

        while ((pair = fy_node_mapping_iterate(node, &iter)) != NULL) {
            struct fy_node *key = fy_node_pair_key(pair);

            if (key != NULL && fy_node_is_scalar(key) &&
                node_is_plain(key) && doc->format == VOUCH_FORMAT_YAML) {
                size_t n = 0;
                const char *s = fy_node_get_scalar(key, &n);

                if (s != NULL && vutil_slice_eq(s, n, "<<")) {
                    node_mark(key, &line, &column, 0);
                    return vutil_error_set(err, VOUCH_EPARSE, doc->source,
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

int vutil_doc_check_fy(struct fy_document *fyd, const char *data,
                       size_t len, vouch_format format, const char *source,
                       vouch_error *err)
{
    vutil_doc doc = {.fyd = fyd, .tree = VUTIL_TREE_FY, .source = source,
                     .format = format};

    return check_tree(&doc, data != NULL ? data : "", len,
                      fy_document_root(fyd), 0, err);
}

bool vutil_doc_node_position(struct fy_node *node, int *line, int *column)
{
    *line = 0;
    *column = 0;
    return node_mark(node, line, column, 0);
}

/* ---- loading -------------------------------------------------------- */

vouch_format vutil_doc_detect_format(const char *data, size_t len,
                                    vouch_format format)
{
    size_t i = 0;

    if (format != VOUCH_FORMAT_AUTO) {
        return format;
    }
    while (i < len && (data[i] == ' ' || data[i] == '\t' ||
                       data[i] == '\r' || data[i] == '\n')) {
        i++;
    }
    return (i < len && (data[i] == '{' || data[i] == '['))
               ? VOUCH_FORMAT_JSON
               : VOUCH_FORMAT_YAML;
}

/* The checks every load starts with: the limit, the bytes, the format. */
static int load_start(vutil_doc *doc, const char *data, size_t len,
                      vouch_format format, size_t max, const char *source,
                      vouch_error *err)
{
    memset(doc, 0, sizeof(*doc));
    doc->source = source;
    doc->format = format;
    if (len > max) {
        return vutil_error_set(err, VOUCH_ETOOBIG, source, 0, 0,
                               "document is %zu bytes, over the limit of "
                               "%zu", len, max);
    }
    if (data == NULL && len > 0) {
        return vutil_error_set(err, VOUCH_EINVAL, source, 0, 0,
                               "no document given");
    }
    doc->format = vutil_doc_detect_format(data, len, format);
    if (doc->format != VOUCH_FORMAT_JSON &&
        doc->format != VOUCH_FORMAT_YAML) {
        return vutil_error_set(err, VOUCH_EINVAL, source, 0, 0,
                               "unknown document format %d", (int)format);
    }
    return 0;
}

/* The libfyaml half of a load, once the bytes are known to be acceptable
 * (for JSON: checked by jansson). */
static int load_fy(vutil_doc *doc, const char *data, size_t len,
                   vouch_error *err)
{
    int rc;

    rc = vutil_yaml_load(&doc->fyd, data != NULL ? data : "", len,
                         doc->format == VOUCH_FORMAT_JSON, doc->source, err);
    if (rc < 0) {
        doc->fyd = NULL;
        return rc;
    }
    doc->tree = VUTIL_TREE_FY;
    rc = check_tree(doc, data != NULL ? data : "", len,
                    fy_document_root(doc->fyd), 0, err);
    if (rc < 0) {
        vutil_doc_close(doc);
    }
    return rc;
}

int vutil_doc_load(vutil_doc *doc, const char *data, size_t len,
                   vouch_format format, size_t max, const char *source,
                   vouch_error *err)
{
    int rc = load_start(doc, data, len, format, max, source, err);

    if (rc < 0) {
        return rc;
    }
    if (doc->format == VOUCH_FORMAT_JSON) {
        rc = vutil_json_check(data, len, source, err);
        if (rc < 0) {
            return rc;
        }
    }
    return load_fy(doc, data, len, err);
}

/*
 * Deeper than libfyaml reads JSON (its flow collections stop at 64
 * levels)? No vouch document comes near; past half of it the libfyaml
 * reading decides, so both trees accept exactly the same documents.
 */
static bool json_too_deep(json_t *node, int depth)
{
    size_t i;
    const char *key;
    json_t *value;

    if (depth > DOC_MAX_DEPTH / 2) {
        return true;
    }
    if (json_is_array(node)) {
        for (i = 0; i < json_array_size(node); i++) {
            if (json_too_deep(json_array_get(node, i), depth + 1)) {
                return true;
            }
        }
    } else if (json_is_object(node)) {
        json_object_foreach(node, key, value) {
            if (json_too_deep(value, depth + 1)) {
                return true;
            }
        }
    }
    return false;
}

int vutil_doc_load_json(vutil_doc *doc, const char *data, size_t len,
                        size_t max, const char *source, vouch_error *err)
{
    json_error_t jerr;
    int rc = load_start(doc, data, len, VOUCH_FORMAT_JSON, max, source, err);

    if (rc < 0) {
        return rc;
    }
    memset(&jerr, 0, sizeof(jerr));
    doc->json = json_loadb(data != NULL ? data : "", len,
                           JSON_REJECT_DUPLICATES, &jerr);
    if (doc->json == NULL) {
        return vutil_error_set(err, VOUCH_EPARSE, source, jerr.line,
                               jerr.column, "%s", jerr.text);
    }
    doc->json_owned = true;
    doc->tree = VUTIL_TREE_JSON;
    if (json_too_deep(doc->json, 0)) {
        vutil_doc_close(doc);
        return VOUCH_EINVAL;
    }
    return 0;
}

void vutil_doc_close(vutil_doc *doc)
{
    if (doc == NULL) {
        return;
    }
    if (doc->fyd != NULL) {
        fy_document_destroy(doc->fyd);
        doc->fyd = NULL;
    }
    if (doc->json_owned) {
        json_decref(doc->json);
        doc->json_owned = false;
    }
    doc->json = NULL;
}

vutil_node *vutil_doc_root(const vutil_doc *doc)
{
    if (doc->tree == VUTIL_TREE_JSON) {
        return (vutil_node *)doc->json;
    }
    return doc->fyd != NULL ? (vutil_node *)fy_document_root(doc->fyd)
                            : NULL;
}

/* ---- reading a model ------------------------------------------------ */

int vutil_doc_parse(const char *data, size_t len, vouch_format format,
                    size_t max, const char *source, vutil_doc_reader reader,
                    void *out, vouch_error *err)
{
    vutil_doc doc;
    int rc = load_start(&doc, data, len, format, max, source, err);

    if (rc < 0) {
        return rc;
    }
    if (doc.format == VOUCH_FORMAT_JSON) {
        rc = vutil_doc_load_json(&doc, data, len, max, source, err);
        if (rc == VOUCH_EPARSE || rc == VOUCH_ENOMEM) {
            return rc;          /* a syntax error is jansson's to give */
        }
        if (rc == 0) {
            rc = reader(&doc, out, err);
            vutil_doc_close(&doc);
            if (rc == 0 || rc == VOUCH_ENOMEM) {
                return rc;
            }
        }
        /* The same bytes again, through the tree that keeps positions:
         * it fails the same way, and says where. */
        if (err != NULL) {
            *err = (vouch_error)VOUCH_ERROR_INIT;
        }
        doc.format = VOUCH_FORMAT_JSON;
        doc.source = source;
    }
    rc = load_fy(&doc, data, len, err);
    if (rc < 0) {
        return rc;
    }
    rc = reader(&doc, out, err);
    vutil_doc_close(&doc);
    return rc;
}

int vutil_doc_parse_value(const json_t *value, const char *source,
                          vutil_doc_reader reader, void *out,
                          vouch_error *err)
{
    /* The readers never modify a node; the accessors of jansson that walk
     * objects take non-const pointers. */
    vutil_doc doc = {.json = (json_t *)value, .tree = VUTIL_TREE_JSON,
                     .source = source, .format = VOUCH_FORMAT_JSON};

    if (value == NULL) {
        return vutil_error_set(err, VOUCH_EINVAL, source, 0, 0,
                               "no document given");
    }
    return reader(&doc, out, err);
}

/* ---- paths ---------------------------------------------------------- */

static void path_append(vutil_path *path, const char *s, size_t n)
{
    size_t room = sizeof(path->text) - 1 - path->len;

    if (n > room) {
        n = room;
    }
    memcpy(path->text + path->len, s, n);
    path->len += n;
    path->text[path->len] = '\0';
}

size_t vutil_path_push_key(vutil_path *path, const char *key)
{
    size_t saved = path->len;

    if (path->len > 0) {
        path_append(path, ".", 1);
    }
    path_append(path, key, strlen(key));
    return saved;
}

size_t vutil_path_push_index(vutil_path *path, size_t index)
{
    size_t saved = path->len;
    char buf[32];
    int n = snprintf(buf, sizeof(buf), "[%zu]", index);

    if (n > 0) {
        path_append(path, buf, (size_t)n);
    }
    return saved;
}

void vutil_path_pop(vutil_path *path, size_t saved)
{
    if (saved <= path->len) {
        path->len = saved;
        path->text[saved] = '\0';
    }
}

/*
 * libfyaml marks a quoted scalar's content, inside the quotes, so byte
 * `offset` of a one-line scalar without escapes is at column start + offset.
 */
void vutil_doc_scalar_column(const vutil_doc *doc, vutil_node *node,
                             size_t len, uint32_t offset, vouch_error *err)
{
    struct fy_token *tok;
    const struct fy_mark *start;
    const struct fy_mark *end;

    if (err == NULL || doc->tree != VUTIL_TREE_FY || node == NULL ||
        offset == 0) {
        return;
    }
    tok = fy_node_get_scalar_token((struct fy_node *)node);
    start = tok != NULL ? fy_token_start_mark(tok) : NULL;
    end = tok != NULL ? fy_token_end_mark(tok) : NULL;
    if (start == NULL || end == NULL || start->line != end->line ||
        end->input_pos < start->input_pos ||
        end->input_pos - start->input_pos != len) {
        return; /* escapes: offsets in the value are not source columns */
    }
    err->column = (uint32_t)start->column + offset;
}

/* ---- failing -------------------------------------------------------- */

int vutil_doc_fail(const vutil_doc *doc, vutil_node *node,
                   const vutil_path *path, vouch_error *err,
                   vouch_code code, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    int line = 0;
    int column = 0;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (doc->tree == VUTIL_TREE_FY) {
        node_mark((struct fy_node *)node, &line, &column, 0);
    }
    if (path != NULL && path->len > 0) {
        return vutil_error_set(err, code, doc->source, line, column,
                               "%s: %s", path->text, msg);
    }
    return vutil_error_set(err, code, doc->source, line, column, "%s", msg);
}

