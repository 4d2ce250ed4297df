/*
 * Field paths (vk8s_where) and the errors that name them.
 */
#include <stdio.h>
#include <string.h>

#include "vk8s_internal.h"
#include "vutil_error.h"

size_t vk8s_where_key(vk8s_where *w, const char *key)
{
    size_t saved = w->depth;

    if (w->depth < VK8S_WHERE_MAX) {
        w->seg[w->depth++] = key;
    }
    return saved;
}

size_t vk8s_where_index(vk8s_where *w, size_t index)
{
    size_t saved = w->depth;

    if (w->depth < VK8S_WHERE_MAX) {
        snprintf(w->index[w->depth], sizeof(w->index[0]), "%zu", index);
        w->seg[w->depth] = w->index[w->depth];
        w->depth++;
    }
    return saved;
}

void vk8s_where_pop(vk8s_where *w, size_t depth)
{
    if (depth < w->depth) {
        w->depth = depth;
    }
}

/* A key written bare after a dot: a letter or '_', then word characters. */
static bool plain_key(const char *key)
{
    if (key[0] == '\0' || (key[0] >= '0' && key[0] <= '9')) {
        return false;
    }
    for (const char *p = key; *p != '\0'; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              (*p >= '0' && *p <= '9') || *p == '_')) {
            return false;
        }
    }
    return true;
}

static void append(char *buf, size_t size, size_t *len, const char *fmt,
                   const char *s)
{
    int n;

    if (*len >= size) {
        return;
    }
    n = snprintf(buf + *len, size - *len, fmt, s);
    if (n > 0) {
        *len += (size_t)n;
    }
    if (*len >= size) {
        *len = size;
    }
}

void vk8s_where_text(const vk8s_where *w, char *buf, size_t size)
{
    size_t len = 0;

    if (size == 0) {
        return;
    }
    buf[0] = '\0';
    for (size_t i = 0; w != NULL && i < w->depth; i++) {
        const char *seg = w->seg[i] != NULL ? w->seg[i] : "";

        if (seg == w->index[i]) {
            append(buf, size, &len, "[%s]", seg);
        } else if (!plain_key(seg)) {
            append(buf, size, &len, "[\"%s\"]", seg);
        } else {
            append(buf, size, &len, len > 0 ? ".%s" : "%s", seg);
        }
    }
}

static int fail_v(vouch_error *err, int code, const char *prefix,
                  const vk8s_where *where, const char *fmt, va_list ap)
{
    char path[160];
    char what[200];
    const char *sep = "";
    bool named;

    if (err == NULL) {
        return code;
    }
    vk8s_where_text(where, path, sizeof(path));
    vsnprintf(what, sizeof(what), fmt, ap);
    if (prefix == NULL) {
        prefix = "";
    }
    if (prefix[0] != '\0' && path[0] != '\0') {
        sep = path[0] == '[' ? "" : ".";
    }
    named = prefix[0] != '\0' || path[0] != '\0';
    return vutil_error_set(err, code, NULL, 0, 0, "%s%s%s%s%s", prefix, sep,
                           path, named ? ": " : "", what);
}

int vk8s__fail(vouch_error *err, int code, const char *prefix,
               const vk8s_where *where, const char *fmt, ...)
{
    va_list ap;
    int rc;

    va_start(ap, fmt);
    rc = fail_v(err, code, prefix, where, fmt, ap);
    va_end(ap);
    return rc;
}

const char *vk8s__json_kind(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return "an array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    case JSON_NULL:
        return "null";
    }
    return "a value";
}

int vk8s__string(const json_t *obj, const char *key, const char **out,
                 const char *prefix, vk8s_where *where, vouch_error *err)
{
    const json_t *v = json_object_get(obj, key);

    *out = NULL;
    if (v == NULL || json_is_null(v)) {
        return 0;
    }
    if (!json_is_string(v)) {
        size_t saved = vk8s_where_key(where, key);
        int rc = vk8s__fail(err, VOUCH_EINVAL, prefix, where,
                            "expected a string, found %s",
                            vk8s__json_kind(v));

        (void)saved; /* the path stays at the value at fault */
        return rc;
    }
    if (strlen(json_string_value(v)) != json_string_length(v)) {
        vk8s_where_key(where, key);
        return vk8s__fail(err, VOUCH_EINVAL, prefix, where,
                          "holds a NUL character");
    }
    *out = json_string_value(v);
    return 0;
}
