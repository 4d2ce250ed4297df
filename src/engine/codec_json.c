/*
 * JSON through jansson: the printer of every model (vouch__json_print,
 * vouch__print_model). Reading is the util layer's (vutil_doc.h).
 */
#include <stdlib.h>
#include <string.h>

#include "doc.h"

int vouch__json_print(const json_t *root, vouch_format format, char **out,
                      size_t *out_len, vouch_error *err)
{
    char *text = NULL;
    char *buf = NULL;
    size_t n;

    *out = NULL;
    if (out_len != NULL) {
        *out_len = 0;
    }
    if (format == VOUCH_FORMAT_YAML) {
        return vouch__yaml_from_json(root, out, out_len, err);
    }
    if (format != VOUCH_FORMAT_JSON) {
        return vouch__error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                                "output format must be JSON or YAML");
    }
    text = json_dumps(root, JSON_SORT_KEYS | JSON_INDENT(2) |
                                JSON_ENCODE_ANY);
    if (text == NULL) {
        return vouch__error_set(err, VOUCH_ENOMEM, NULL, 0, 0,
                                "out of memory printing JSON");
    }
    n = strlen(text);
    buf = malloc(n + 2);
    if (buf == NULL) {
        free(text);
        return vouch__error_set(err, VOUCH_ENOMEM, NULL, 0, 0,
                                "out of memory printing JSON");
    }
    memcpy(buf, text, n);
    buf[n] = '\n';
    buf[n + 1] = '\0';
    free(text);
    *out = buf;
    if (out_len != NULL) {
        *out_len = n + 1;
    }
    return 0;
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
