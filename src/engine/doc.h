/*
 * Library-internal: reading input documents (JSON and YAML) into the
 * models through one set of node accessors, and printing models through
 * jansson.
 *
 * A document is read through one of two trees, behind the same accessors:
 *
 * - jansson (JSON only): the fast path. JSON is parsed once, strictly
 *   (RFC 8259, duplicate keys rejected), and the model readers walk the
 *   json_t tree directly. jansson keeps no positions of values, so an error
 *   found this way has a field path but no line and column.
 * - libfyaml (YAML, and JSON when an error must be placed): every node
 *   keeps its line and column, which is what lets a validation error in a
 *   JSON body say "request body:12:7: defaultAdmissionRule.evaluationMode:
 *   ...".
 *
 * vouch__doc_parse() runs a model reader over the jansson tree first and,
 * only when that fails (anything but ENOMEM), runs it again over a libfyaml
 * tree of the same bytes, whose error (with its position) is the one
 * returned. Both trees hold the same values, so the second run fails the
 * same way, and the readers stay free of any knowledge of which tree they
 * walk. YAML goes straight to libfyaml.
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

/* A node of a loaded document (a libfyaml node or a jansson value, as the
 * document's tree is). Borrowed: valid until the document is closed. */
typedef struct vouch__node vouch__node;

typedef enum vouch__tree {
    VOUCH__TREE_FY = 0,            /* libfyaml: positions kept */
    VOUCH__TREE_JSON = 1           /* jansson: no positions */
} vouch__tree;

typedef struct vouch__doc {
    struct fy_document *fyd;       /* VOUCH__TREE_FY */
    json_t *json;                  /* VOUCH__TREE_JSON: the root */
    bool json_owned;               /* read from text here: released on
                                      close, and a failure is read again
                                      through libfyaml */
    vouch__tree tree;
    const char *source;            /* borrowed; may be NULL */
    vouch_format format;           /* JSON or YAML, after AUTO detection */
} vouch__doc;

/* Iteration state of vouch__doc_next()/vouch__doc_next_entry(). */
typedef struct vouch__iter {
    void *fy;
    size_t index;
} vouch__iter;

#define VOUCH__ITER_INIT { NULL, 0 }

/* A field path such as "userOwnedGrafeasNote.publicKeys[1].id". */
typedef struct vouch__path {
    char text[256];
    size_t len;
} vouch__path;

#define VOUCH__PATH_INIT { "", 0 }

/*
 * A model reader: read the document's root into `out` (a pointer to the
 * caller's model pointer, set only on success). Must leave nothing behind
 * on failure, so that it can be run a second time.
 */
typedef int (*vouch__doc_reader)(const vouch__doc *doc, void *out,
                                 vouch_error *err);

/*
 * Load `len` bytes as `format` (AUTO: JSON when the first non-blank byte is
 * '{' or '[', YAML otherwise) and run `reader` over them: JSON through
 * jansson, then, when that fails, through libfyaml for the error's
 * position; YAML through libfyaml. Over `max` bytes: VOUCH_ETOOBIG. The
 * load's rules are vouch__doc_load()'s. Returns 0 or a negative vouch_code
 * with `err` filled.
 */
int vouch__doc_parse(const char *data, size_t len, vouch_format format,
                     size_t max, const char *source, vouch__doc_reader reader,
                     void *out, vouch_error *err);

/*
 * Run `reader` over a jansson value the caller already holds (borrowed, not
 * modified). Errors carry the field path and `source`, no position.
 */
int vouch__doc_parse_value(const json_t *value, const char *source,
                           vouch__doc_reader reader, void *out,
                           vouch_error *err);

/*
 * Load `len` bytes into a libfyaml tree (positions kept), as `format` (AUTO
 * as above). Over `max` bytes: VOUCH_ETOOBIG. JSON is first checked by
 * jansson (strict RFC 8259, duplicate keys rejected), so a JSON syntax
 * error reads the same everywhere in vouch. YAML must be one document;
 * anchors, aliases, tags and merge keys are rejected, as are duplicate
 * keys. Also refused, because libfyaml 0.7.12 hangs, crashes or misreads
 * them (docs/policy.md): directives ('%' at a line start), explicit '?'
 * keys, raw control characters and DEL, and single-quoted scalars with two
 * escaped quotes in a row or an escaped quote across lines. Returns 0 or a
 * negative vouch_code with `err` filled.
 * On success the caller must call vouch__doc_close().
 */
int vouch__doc_load(vouch__doc *doc, const char *data, size_t len,
                    vouch_format format, size_t max, const char *source,
                    vouch_error *err);

/*
 * Load `len` bytes of JSON into a jansson tree (no positions). Returns 0,
 * VOUCH_EPARSE (jansson's line, column and text), VOUCH_ETOOBIG or
 * VOUCH_ENOMEM. A document nested deeper than libfyaml accepts is refused
 * with VOUCH_EINVAL and no message: vouch__doc_parse() then reads it
 * through libfyaml, which says why.
 */
int vouch__doc_load_json(vouch__doc *doc, const char *data, size_t len,
                         size_t max, const char *source, vouch_error *err);

void vouch__doc_close(vouch__doc *doc);
vouch__node *vouch__doc_root(const vouch__doc *doc);

/* Path building: push returns the previous length, pop restores it. */
size_t vouch__path_push_key(vouch__path *path, const char *key);
size_t vouch__path_push_index(vouch__path *path, size_t index);
void vouch__path_pop(vouch__path *path, size_t saved);

/*
 * Fail at `node` (its line and column; NULL or a jansson tree: no
 * position) with "PATH: message" (just "message" when the path is empty).
 * Returns `code`.
 */
int vouch__doc_fail(const vouch__doc *doc, vouch__node *node,
                    const vouch__path *path, vouch_error *err,
                    vouch_code code, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* Absent (NULL), or a null scalar (JSON null; YAML null, ~ or empty). */
bool vouch__doc_is_null(const vouch__doc *doc, vouch__node *node);

/* Node kinds. A NULL node is none of them. */
bool vouch__doc_is_mapping(const vouch__doc *doc, vouch__node *node);
bool vouch__doc_is_sequence(const vouch__doc *doc, vouch__node *node);

/* Number of items of a sequence or entries of a mapping; 0 otherwise. */
size_t vouch__doc_count(const vouch__doc *doc, vouch__node *node);

/* The next item of sequence `node`, or NULL at the end. */
vouch__node *vouch__doc_next(const vouch__doc *doc, vouch__node *node,
                             vouch__iter *iter);

/*
 * The next entry of mapping `node`: returns 1 with its key (a string, as
 * vouch__doc_string() reads it, borrowed), the node to place an error about
 * the key at, and the value; 0 at the end; or VOUCH_EINVAL when the key is
 * not a string ("PATH: expected a string, found ...").
 */
int vouch__doc_next_entry(const vouch__doc *doc, vouch__node *node,
                          vouch__iter *iter, const vouch__path *path,
                          const char **key, size_t *key_len,
                          vouch__node **key_node, vouch__node **value,
                          vouch_error *err);

/*
 * Require `node` to be a mapping whose keys are all plain strings listed in
 * `allowed` (NULL-terminated). An unknown key fails at the key's position
 * with "PATH.key: unknown field". A YAML/JSON null node counts as an empty
 * mapping. Returns 0 or VOUCH_EINVAL.
 */
int vouch__doc_expect_mapping(const vouch__doc *doc, vouch__node *node,
                              const vouch__path *path,
                              const char *const *allowed, vouch_error *err);

/* Require a sequence (null counts as empty). Returns 0 or VOUCH_EINVAL. */
int vouch__doc_expect_sequence(const vouch__doc *doc, vouch__node *node,
                               const vouch__path *path, vouch_error *err);

/* The value of `key` in mapping `node`, or NULL when absent. */
vouch__node *vouch__doc_get(const vouch__doc *doc, vouch__node *node,
                            const char *key);

/*
 * A string scalar. In JSON it must be a quoted string; in YAML any scalar
 * but null, a boolean or a number written plain is accepted as its text
 * (YAML 1.2: 'true' unquoted is a boolean, not a string, and is refused).
 * `*ptr` is borrowed from the document (not NUL-terminated).
 * Returns 0 or VOUCH_EINVAL ("PATH: expected a string").
 */
int vouch__doc_string(const vouch__doc *doc, vouch__node *node,
                      const vouch__path *path, const char **ptr,
                      size_t *len, vouch_error *err);

/* As vouch__doc_string, returning a malloc'd NUL-terminated copy. */
int vouch__doc_string_dup(const vouch__doc *doc, vouch__node *node,
                          const vouch__path *path, char **out,
                          vouch_error *err);

/* A boolean (JSON true/false; YAML true/false). */
int vouch__doc_bool(const vouch__doc *doc, vouch__node *node,
                    const vouch__path *path, bool *out, vouch_error *err);

/* True when `node` is a JSON number (the form proto3 JSON allows for an
 * enum); always false in YAML. */
bool vouch__doc_is_json_number(const vouch__doc *doc, vouch__node *node);

/* A non-negative integer up to `max` (JSON number, or a decimal string, as
 * proto3 JSON allows for int64). */
int vouch__doc_uint(const vouch__doc *doc, vouch__node *node,
                    const vouch__path *path, unsigned long long max,
                    unsigned long long *out, vouch_error *err);

/*
 * Move err->column from byte `offset` (1-based) inside the value of the
 * one-line scalar `node` (`len` bytes) to its column in the document, when
 * the tree keeps positions and the scalar has no escapes; otherwise leave
 * `err` as it is.
 */
void vouch__doc_scalar_column(const vouch__doc *doc, vouch__node *node,
                              size_t len, uint32_t offset, vouch_error *err);

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
