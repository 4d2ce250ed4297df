/*
 * vouch util — a stream of documents as jansson values with positions
 * (vutil_docs.h): loaded and checked by the same code as every other vouch
 * document (vutil_doc_load.c, vutil_doc.c), then converted node by node;
 * the libfyaml trees are kept to place errors found later.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "vutil_docs.h"

#include "vutil_doc.h"
#include "vutil_error.h"

struct vutil_docs {
    struct fy_document **fyds;
    json_t **values;
    size_t count;
};

/* Deepest nesting converted; vutil_doc_check_fy() refuses deeper. */
#define DOCS_MAX_DEPTH 70

static int fail_at(struct fy_node *node, const char *source, int code,
                   const char *what, vouch_error *err)
{
    int line = 0;
    int column = 0;

    vutil_doc_node_position(node, &line, &column);
    return vutil_error_set(err, code, source, line, column, "%s", what);
}

static int convert(struct fy_node *node, const char *source, int depth,
                   json_t **out, vouch_error *err);

/* The entries of a mapping `node` into the object `obj`. */
static int fill_mapping(struct fy_node *node, const char *source, int depth,
                        json_t *obj, vouch_error *err)
{
    struct fy_node_pair *pair;
    void *iter = NULL;

    while ((pair = fy_node_mapping_iterate(node, &iter)) != NULL) {
        struct fy_node *key = fy_node_pair_key(pair);
        const char *text = NULL;
        size_t n = 0;
        json_t *value = NULL;
        int rc;

        if (key == NULL || !fy_node_is_scalar(key)) {
            return fail_at(key != NULL ? key : node, source, VOUCH_EPARSE,
                           "a mapping key must be a string", err);
        }
        text = fy_node_get_scalar(key, &n);
        if (text == NULL || memchr(text, '\0', n) != NULL) {
            return fail_at(key, source, VOUCH_EPARSE,
                           "a mapping key holds a NUL character", err);
        }
        if (json_object_getn(obj, text, n) != NULL) {
            return fail_at(key, source, VOUCH_EPARSE, "duplicate key", err);
        }
        rc = convert(fy_node_pair_value(pair), source, depth + 1, &value,
                     err);
        if (rc < 0) {
            return rc;
        }
        if (json_object_setn_new(obj, text, n, value) != 0) {
            return fail_at(key, source, VOUCH_EPARSE,
                           "a mapping key is not valid UTF-8", err);
        }
    }
    return 0;
}

/* The items of a sequence `node` appended to the array `arr`. */
static int fill_sequence(struct fy_node *node, const char *source, int depth,
                         json_t *arr, vouch_error *err)
{
    struct fy_node *item;
    void *iter = NULL;

    while ((item = fy_node_sequence_iterate(node, &iter)) != NULL) {
        json_t *value = NULL;
        int rc = convert(item, source, depth + 1, &value, err);

        if (rc < 0) {
            return rc;
        }
        if (json_array_append_new(arr, value) != 0) {
            return VOUCH_ENOMEM;
        }
    }
    return 0;
}

/* A mapping as an object, a sequence as an array; none on failure. */
static int convert_collection(struct fy_node *node, const char *source,
                              int depth, json_t **out, vouch_error *err)
{
    bool mapping = fy_node_is_mapping(node);
    json_t *collection = mapping ? json_object() : json_array();
    int rc;

    if (collection == NULL) {
        return VOUCH_ENOMEM;
    }
    rc = mapping ? fill_mapping(node, source, depth, collection, err)
                 : fill_sequence(node, source, depth, collection, err);
    if (rc < 0) {
        json_decref(collection);
        return rc;
    }
    *out = collection;
    return 0;
}

static int convert_scalar(struct fy_node *node, const char *source,
                          json_t **out, vouch_error *err)
{
    size_t n = 0;
    const char *text = fy_node_get_scalar(node, &n);
    int rc;

    if (text == NULL) {
        text = "";
        n = 0;
    }
    if (fy_node_get_style(node) == FYNS_PLAIN) {
        rc = vutil_doc_plain_value(text, n, out);
        if (rc < 0 || *out != NULL) {
            return rc;
        }
    }
    *out = json_stringn(text, n);
    if (*out == NULL) {
        return fail_at(node, source, VOUCH_EPARSE,
                       "a string is not valid UTF-8", err);
    }
    return 0;
}

static int convert(struct fy_node *node, const char *source, int depth,
                   json_t **out, vouch_error *err)
{
    *out = NULL;
    if (node == NULL) {
        *out = json_null();
        return *out == NULL ? VOUCH_ENOMEM : 0;
    }
    if (depth > DOCS_MAX_DEPTH) {
        return fail_at(node, source, VOUCH_EPARSE, "nested too deeply",
                       err);
    }
    if (fy_node_is_mapping(node) || fy_node_is_sequence(node)) {
        return convert_collection(node, source, depth, out, err);
    }
    return convert_scalar(node, source, out, err);
}

/*
 * The format AUTO stands for: JSON when the text is one JSON value (it
 * opens with '{' or '['), YAML otherwise, so that JSON objects separated
 * by "---" (several `kubectl ... -o json` in a row) read as the YAML
 * stream they are. A malformed single JSON text stays JSON, for jansson's
 * error.
 */
static vouch_format detect(const char *data, size_t len, vouch_format format)
{
    json_error_t jerr;
    json_t *value;

    if (format != VOUCH_FORMAT_AUTO ||
        vutil_doc_detect_format(data, len, format) != VOUCH_FORMAT_JSON) {
        return vutil_doc_detect_format(data, len, format);
    }
    value = json_loadb(data, len, JSON_DISABLE_EOF_CHECK, &jerr);
    if (value == NULL) {
        return VOUCH_FORMAT_JSON;
    }
    json_decref(value);
    for (size_t i = (size_t)jerr.position; i < len; i++) {
        if (data[i] != ' ' && data[i] != '\t' && data[i] != '\r' &&
            data[i] != '\n') {
            return VOUCH_FORMAT_YAML;
        }
    }
    return VOUCH_FORMAT_JSON;
}

int vutil_docs_parse(vutil_docs **out, const char *data,
                                    size_t len, vouch_format format,
                                    size_t max, const char *source,
                                    vouch_error *err)
{
    vutil_docs *docs = NULL;
    int rc;

    *out = NULL;
    if (len > max) {
        return vutil_error_set(err, VOUCH_ETOOBIG, source, 0, 0,
                                "input is %zu bytes, over the limit of %zu",
                                len, max);
    }
    if (data == NULL) {
        data = "";
        len = 0;
    }
    format = detect(data, len, format);
    if (format != VOUCH_FORMAT_JSON && format != VOUCH_FORMAT_YAML) {
        return vutil_error_set(err, VOUCH_EINVAL, source, 0, 0,
                                "unknown document format %d", (int)format);
    }
    if (format == VOUCH_FORMAT_JSON) {
        rc = vutil_json_check(data, len, source, err);
        if (rc < 0) {
            return rc;
        }
    }
    docs = calloc(1, sizeof(*docs));
    if (docs == NULL) {
        return vutil_error_set(err, VOUCH_ENOMEM, source, 0, 0,
                                "out of memory");
    }
    rc = vutil_yaml_load_stream(&docs->fyds, &docs->count, data, len,
                                 format == VOUCH_FORMAT_JSON,
                                 VUTIL_DOCS_MAX_COUNT, source, err);
    if (rc < 0) {
        goto cleanup;
    }
    docs->values = calloc(docs->count + 1, sizeof(*docs->values));
    if (docs->values == NULL) {
        rc = VOUCH_ENOMEM;
        goto cleanup;
    }
    for (size_t i = 0; i < docs->count;) {
        rc = vutil_doc_check_fy(docs->fyds[i], data, len, format, source,
                                 err);
        if (rc < 0) {
            goto cleanup;
        }
        rc = convert(fy_document_root(docs->fyds[i]), source, 0,
                     &docs->values[i], err);
        if (rc < 0) {
            goto cleanup;
        }
        if (json_is_null(docs->values[i])) {
            /* "---" with nothing after it, or a bare null: no document,
             * as kubectl reads a stream. */
            json_decref(docs->values[i]);
            fy_document_destroy(docs->fyds[i]);
            docs->count--;
            memmove(docs->fyds + i, docs->fyds + i + 1,
                    (docs->count - i) * sizeof(*docs->fyds));
            docs->values[docs->count] = NULL;
            continue;
        }
        i++;
    }
    *out = docs;
    docs = NULL;

cleanup:
    if (rc == VOUCH_ENOMEM) {
        vutil_error_set(err, rc, source, 0, 0, "out of memory");
    }
    vutil_docs_free(docs);
    return rc;
}

size_t vutil_docs_count(const vutil_docs *docs)
{
    return docs != NULL ? docs->count : 0;
}

const json_t *vutil_docs_get(const vutil_docs *docs,
                                            size_t index)
{
    if (docs == NULL || index >= docs->count) {
        return NULL;
    }
    return docs->values[index];
}

/* The child of `node` that one path segment names, or NULL. */
static struct fy_node *step(struct fy_node *node, const char *segment)
{
    if (fy_node_is_mapping(node)) {
        return fy_node_mapping_lookup_by_string(node, segment,
                                                strlen(segment));
    }
    if (fy_node_is_sequence(node)) {
        char *end = NULL;
        unsigned long index;

        if (segment[0] < '0' || segment[0] > '9') {
            return NULL;
        }
        index = strtoul(segment, &end, 10);
        if (end == NULL || *end != '\0' || index > (unsigned long)INT_MAX) {
            return NULL;
        }
        return fy_node_sequence_get_by_index(node, (int)index);
    }
    return NULL;
}

bool vutil_docs_position(const vutil_docs *docs,
                                        size_t index,
                                        const char *const *path,
                                        size_t depth, uint32_t *line,
                                        uint32_t *column)
{
    struct fy_node *node;
    int l = 0;
    int c = 0;

    *line = 0;
    *column = 0;
    if (docs == NULL || index >= docs->count) {
        return false;
    }
    node = fy_document_root(docs->fyds[index]);
    for (size_t i = 0; node != NULL && i < depth && path != NULL &&
                       path[i] != NULL;
         i++) {
        struct fy_node *next = step(node, path[i]);

        if (next == NULL) {
            break;
        }
        node = next;
    }
    if (node == NULL || !vutil_doc_node_position(node, &l, &c)) {
        return false;
    }
    *line = (uint32_t)l;
    *column = (uint32_t)c;
    return true;
}

void vutil_docs_free(vutil_docs *docs)
{
    if (docs == NULL) {
        return;
    }
    for (size_t i = 0; docs->values != NULL && i < docs->count; i++) {
        json_decref(docs->values[i]);
    }
    free(docs->values);
    vutil_yaml_stream_free(docs->fyds, docs->count);
    free(docs);
}
