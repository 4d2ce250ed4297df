/*
 * Library-internal: reading input documents (JSON and YAML) through one
 * position-keeping tree, and printing models through jansson.
 *
 * Both formats are read into a libfyaml document, because every node of it
 * keeps its line and column: that is what lets a validation error in a JSON
 * body say "request body:12:7: defaultAdmissionRule.evaluationMode: ...",
 * which jansson (positions only for syntax errors) cannot. JSON input is
 * first checked by jansson (strict RFC 8259, duplicate keys rejected), so a
 * JSON syntax error reads the same everywhere in vouch.
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

typedef struct vouch__doc {
    struct fy_document *fyd;
    const char *source;            /* borrowed; may be NULL */
    vouch_format format;           /* JSON or YAML, after AUTO detection */
} vouch__doc;

/* A field path such as "userOwnedGrafeasNote.publicKeys[1].id". */
typedef struct vouch__path {
    char text[256];
    size_t len;
} vouch__path;

#define VOUCH__PATH_INIT { "", 0 }

/*
 * Load `len` bytes as `format` (AUTO: JSON when the first non-blank byte is
 * '{' or '[', YAML otherwise). Over `max` bytes: VOUCH_ETOOBIG. YAML must
 * be one document; anchors, aliases, tags and merge keys are rejected, as
 * are duplicate keys. Also refused, because libfyaml 0.7.12 hangs, crashes
 * or misreads them (docs/policy.md): directives ('%' at a line start),
 * explicit '?' keys, raw control characters and DEL, and single-quoted
 * scalars with two escaped quotes in a row or an escaped quote across
 * lines. Returns 0 or a negative vouch_code with `err` filled.
 * On success the caller must call vouch__doc_close().
 */
int vouch__doc_load(vouch__doc *doc, const char *data, size_t len,
                    vouch_format format, size_t max, const char *source,
                    vouch_error *err);
void vouch__doc_close(vouch__doc *doc);
struct fy_node *vouch__doc_root(const vouch__doc *doc);

/* Path building: push returns the previous length, pop restores it. */
size_t vouch__path_push_key(vouch__path *path, const char *key);
size_t vouch__path_push_index(vouch__path *path, size_t index);
void vouch__path_pop(vouch__path *path, size_t saved);

/*
 * Fail at `node` (its line and column; NULL: no position) with
 * "PATH: message" (just "message" when the path is empty). Returns `code`.
 */
int vouch__doc_fail(const vouch__doc *doc, struct fy_node *node,
                    const vouch__path *path, vouch_error *err,
                    vouch_code code, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/*
 * Require `node` to be a mapping whose keys are all plain strings listed in
 * `allowed` (NULL-terminated). An unknown key fails at the key's position
 * with "PATH.key: unknown field". A YAML/JSON null node counts as an empty
 * mapping. Returns 0 or VOUCH_EINVAL.
 */
int vouch__doc_expect_mapping(const vouch__doc *doc, struct fy_node *node,
                              const vouch__path *path,
                              const char *const *allowed, vouch_error *err);

/* Require a sequence (null counts as empty). Returns 0 or VOUCH_EINVAL. */
int vouch__doc_expect_sequence(const vouch__doc *doc, struct fy_node *node,
                               const vouch__path *path, vouch_error *err);

/* The value of `key` in mapping `node`, or NULL when absent. */
struct fy_node *vouch__doc_get(struct fy_node *node, const char *key);

/*
 * A string scalar. In JSON it must be a quoted string; in YAML any scalar
 * but null, a boolean or a number written plain is accepted as its text
 * (YAML 1.2: 'true' unquoted is a boolean, not a string, and is refused).
 * `*ptr` is borrowed from the document (not NUL-terminated).
 * Returns 0 or VOUCH_EINVAL ("PATH: expected a string").
 */
int vouch__doc_string(const vouch__doc *doc, struct fy_node *node,
                      const vouch__path *path, const char **ptr,
                      size_t *len, vouch_error *err);

/* As vouch__doc_string, returning a malloc'd NUL-terminated copy. */
int vouch__doc_string_dup(const vouch__doc *doc, struct fy_node *node,
                          const vouch__path *path, char **out,
                          vouch_error *err);

/* A boolean (JSON true/false; YAML true/false). */
int vouch__doc_bool(const vouch__doc *doc, struct fy_node *node,
                    const vouch__path *path, bool *out, vouch_error *err);

/* A non-negative integer up to `max` (JSON number, or a decimal string, as
 * proto3 JSON allows for int64). */
int vouch__doc_uint(const vouch__doc *doc, struct fy_node *node,
                    const vouch__path *path, unsigned long long max,
                    unsigned long long *out, vouch_error *err);

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
 * Replace a malloc'd string field: NULL `value` leaves `*field` as it is,
 * "" frees it and sets it to NULL, anything else frees it and stores a copy.
 * Returns 0 or VOUCH_ENOMEM (then `*field` is unchanged); sets no error.
 */
int vouch__string_replace(char **field, const char *value);

/* The YAML half of vouch__json_print (codec_yaml.c). */
int vouch__yaml_from_json(const json_t *root, char **out, size_t *out_len,
                          vouch_error *err);

#endif /* VOUCH_DOC_H */
