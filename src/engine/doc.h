/*
 * Library-internal: the engine reads its input documents (JSON and YAML)
 * through the util layer's document reader (src/util/vutil_doc.h: one set
 * of node accessors over jansson's tree or libfyaml's position-keeping
 * one), under the engine's own vouch__ names, and prints its models
 * through jansson.
 *
 * Output always goes model -> json_t (field names written in one place, the
 * model's file) -> text: JSON by jansson with sorted keys, YAML by
 * converting that json_t to a libfyaml document and emitting it.
 */
#ifndef VOUCH_DOC_H
#define VOUCH_DOC_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>
#include <libfyaml.h>

#include "internal.h"
#include "vutil_doc.h"

/* The reader, by the engine's names (vutil_doc.h documents each). */
typedef vutil_node vouch__node;
typedef vutil_tree vouch__tree;
typedef vutil_doc vouch__doc;
typedef vutil_iter vouch__iter;
typedef vutil_path vouch__path;
typedef vutil_doc_reader vouch__doc_reader;

#define VOUCH__TREE_FY VUTIL_TREE_FY
#define VOUCH__TREE_JSON VUTIL_TREE_JSON
#define VOUCH__ITER_INIT VUTIL_ITER_INIT
#define VOUCH__PATH_INIT VUTIL_PATH_INIT
#define vouch__doc_bool vutil_doc_bool
#define vouch__doc_close vutil_doc_close
#define vouch__doc_count vutil_doc_count
#define vouch__doc_expect_mapping vutil_doc_expect_mapping
#define vouch__doc_expect_root_mapping vutil_doc_expect_root_mapping
#define vouch__doc_expect_sequence vutil_doc_expect_sequence
#define vouch__doc_fail vutil_doc_fail
#define vouch__doc_get vutil_doc_get
#define vouch__doc_is_json_number vutil_doc_is_json_number
#define vouch__doc_is_mapping vutil_doc_is_mapping
#define vouch__doc_is_null vutil_doc_is_null
#define vouch__doc_is_sequence vutil_doc_is_sequence
#define vouch__doc_load vutil_doc_load
#define vouch__doc_load_json vutil_doc_load_json
#define vouch__doc_next vutil_doc_next
#define vouch__doc_next_entry vutil_doc_next_entry
#define vouch__doc_parse vutil_doc_parse
#define vouch__doc_parse_value vutil_doc_parse_value
#define vouch__doc_root vutil_doc_root
#define vouch__doc_scalar_column vutil_doc_scalar_column
#define vouch__doc_string vutil_doc_string
#define vouch__doc_string_dup vutil_doc_string_dup
#define vouch__doc_uint vutil_doc_uint
#define vouch__path_pop vutil_path_pop
#define vouch__path_push_index vutil_path_push_index
#define vouch__path_push_key vutil_path_push_key

/*
 * Print a json_t as JSON (sorted keys, 2-space indent, trailing newline) or
 * YAML (gcloud's export style: block style, sorted keys, sequences of
 * mappings as "- key: value"). `*out` is malloc'd; free with vouch_free().
 */
int vouch__json_print(const json_t *root, vouch_format format, char **out,
                      size_t *out_len, vouch_error *err);

/*
 * The body of every vouch_<model>_print(): takes `root_taken` (the model as
 * built by its to-json function; NULL means that ran out of memory) and
 * always releases it. Sets `*out` to NULL and `*out_len` (may be NULL) to 0
 * first; a format other than JSON or YAML fails with VOUCH_EINVAL ("output
 * format must be JSON or YAML"), a NULL root with VOUCH_ENOMEM ("out of
 * memory printing the WHAT", or "out of memory" when `what` is NULL);
 * otherwise prints as vouch__json_print().
 */
int vouch__print_model(json_t *root_taken, vouch_format format, char **out,
                       size_t *out_len, vouch_error *err, const char *what);

/*
 * Set `key` of `obj` to the string `value`; a NULL `value` sets nothing.
 * 0, or -1 when out of memory or `value` is not valid UTF-8 (as jansson).
 */
int vouch__json_set_string(json_t *obj, const char *key, const char *value);

/*
 * Replace a malloc'd string field: NULL `value` leaves `*field` as it is,
 * "" frees it and sets it to NULL, anything else frees it and stores a copy.
 * Returns 0 or VOUCH_ENOMEM (then `*field` is unchanged); sets no error.
 */
int vouch__string_replace(char **field, const char *value);

/*
 * The body of every vouch_<model>_set_output_fields(): the fields the
 * server sets (the name, an etag or create time, the update time), each
 * replaced as by vouch__string_replace, in that order; VOUCH_ENOMEM ("out
 * of memory") stops at the first that cannot be copied.
 */
int vouch__output_fields_set(char **name, const char *name_value,
                             char **stamp, const char *stamp_value,
                             char **update_time, const char *update_value,
                             vouch_error *err);

/*
 * Define the public vouch_TYPE_print(): the model as TO_JSON builds it,
 * printed by vouch__print_model() (WHAT names it when out of memory).
 */
#define VOUCH__MODEL_PRINT(type, to_json, what)                              \
    VOUCH_API int vouch_##type##_print(const vouch_##type *self,             \
                                       vouch_format format, char **out,      \
                                       size_t *out_len, vouch_error *err)    \
    {                                                                        \
        return vouch__print_model(to_json(self), format, out, out_len, err,  \
                                  what);                                     \
    }

/*
 * Define the public vouch_TYPE_set_output_fields(): the name, the STAMP
 * field (an etag or a create time) and the update time, set by
 * vouch__output_fields_set().
 */
#define VOUCH__MODEL_OUTPUT_FIELDS(type, stamp)                              \
    VOUCH_API int vouch_##type##_set_output_fields(                          \
        vouch_##type *self, const char *name, const char *stamp,             \
        const char *update_time, vouch_error *err)                           \
    {                                                                        \
        return vouch__output_fields_set(&self->name, name, &self->stamp,     \
                                        stamp, &self->update_time,           \
                                        update_time, err);                   \
    }

/* The YAML half of vouch__json_print (codec_yaml.c). */
int vouch__yaml_from_json(const json_t *root, char **out, size_t *out_len,
                          vouch_error *err);

#endif /* VOUCH_DOC_H */
