/*
 * JSON through jansson: the printer of every model (vouch__json_print,
 * vouch__print_model). Reading is the util layer's (vutil_doc.h).
 */
#include <stdlib.h>
#include <string.h>

#include "doc.h"
#include "vutil_yaml.h"

int vouch__json_print(const json_t *root, vouch_format format, char **out,
                      size_t *out_len, vouch_error *err)
{
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
    return vutil_json_print(root, out, out_len, err);
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

int vouch__json_set_string(json_t *obj, const char *key, const char *value)
{
    if (value == NULL) {
        return 0;
    }
    return json_object_set_new(obj, key, json_string(value));
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

int vouch__output_fields_set(char **name, const char *name_value,
                             char **stamp, const char *stamp_value,
                             char **update_time, const char *update_value,
                             vouch_error *err)
{
    if (vouch__string_replace(name, name_value) != 0 ||
        vouch__string_replace(stamp, stamp_value) != 0 ||
        vouch__string_replace(update_time, update_value) != 0) {
        return vouch__error_set(err, VOUCH_ENOMEM, NULL, 0, 0,
                                "out of memory");
    }
    return VOUCH_OK;
}
