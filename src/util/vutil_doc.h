/*
 * vouch util — reading JSON and YAML documents through one set of node
 * accessors, keeping the line and column of every node: the engine's
 * models, vouchd's auth config and IAM policies all read their input
 * through it, so an error names FILE:LINE:COL and a field path the same
 * way everywhere.
 *
 * A document is read through one of two trees, behind the same accessors:
 *
 * - jansson (JSON only): the fast path. JSON is parsed once, strictly
 *   (RFC 8259, duplicate keys rejected), and the readers walk the json_t
 *   tree directly. jansson keeps no positions of values, so an error found
 *   this way has a field path but no line and column.
 * - libfyaml (YAML, and JSON when an error must be placed): every node
 *   keeps its line and column, which is what lets a validation error in a
 *   JSON body say "request body:12:7: defaultAdmissionRule.evaluationMode:
 *   ...".
 *
 * vutil_doc_parse() runs a reader over the jansson tree first and, only
 * when that fails (anything but ENOMEM), runs it again over a libfyaml tree
 * of the same bytes, whose error (with its position) is the one returned.
 * Both trees hold the same values, so the second run fails the same way,
 * and the readers stay free of any knowledge of which tree they walk. YAML
 * goes straight to libfyaml.
 *
 * Thread safety: reentrant; a loaded document belongs to one thread.
 */
#ifndef VUTIL_DOC_H
#define VUTIL_DOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>
#include <libfyaml.h>

#include "vouch/common.h"

/* A node of a loaded document (a libfyaml node or a jansson value, as the
 * document's tree is). Borrowed: valid until the document is closed. */
typedef struct vutil_node vutil_node;

typedef enum vutil_tree {
    VUTIL_TREE_FY = 0,            /* libfyaml: positions kept */
    VUTIL_TREE_JSON = 1           /* jansson: no positions */
} vutil_tree;

typedef struct vutil_doc {
    struct fy_document *fyd;       /* VUTIL_TREE_FY */
    json_t *json;                  /* VUTIL_TREE_JSON: the root */
    bool json_owned;               /* read from text here: released on
                                      close, and a failure is read again
                                      through libfyaml */
    vutil_tree tree;
    const char *source;            /* borrowed; may be NULL */
    vouch_format format;           /* JSON or YAML, after AUTO detection */
} vutil_doc;

/* Iteration state of vutil_doc_next()/vutil_doc_next_entry(). */
typedef struct vutil_iter {
    void *fy;
    size_t index;
} vutil_iter;

#define VUTIL_ITER_INIT { NULL, 0 }

/* A field path such as "userOwnedGrafeasNote.publicKeys[1].id". */
typedef struct vutil_path {
    char text[256];
    size_t len;
} vutil_path;

#define VUTIL_PATH_INIT { "", 0 }

/*
 * A model reader: read the document's root into `out` (a pointer to the
 * caller's model pointer, set only on success). Must leave nothing behind
 * on failure, so that it can be run a second time.
 */
typedef int (*vutil_doc_reader)(const vutil_doc *doc, void *out,
                                vouch_error *err);

/*
 * Load `len` bytes as `format` (AUTO: JSON when the first non-blank byte is
 * '{' or '[', YAML otherwise) and run `reader` over them: JSON through
 * jansson, then, when that fails, through libfyaml for the error's
 * position; YAML through libfyaml. Over `max` bytes: VOUCH_ETOOBIG. The
 * load's rules are vutil_doc_load()'s. Returns 0 or a negative vouch_code
 * with `err` filled.
 */
int vutil_doc_parse(const char *data, size_t len, vouch_format format,
                    size_t max, const char *source, vutil_doc_reader reader,
                    void *out, vouch_error *err);

/*
 * Run `reader` over a jansson value the caller already holds (borrowed, not
 * modified). Errors carry the field path and `source`, no position.
 */
int vutil_doc_parse_value(const json_t *value, const char *source,
                          vutil_doc_reader reader, void *out,
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
 * On success the caller must call vutil_doc_close().
 */
int vutil_doc_load(vutil_doc *doc, const char *data, size_t len,
                   vouch_format format, size_t max, const char *source,
                   vouch_error *err);

/*
 * Load `len` bytes of JSON into a jansson tree (no positions). Returns 0,
 * VOUCH_EPARSE (jansson's line, column and text), VOUCH_ETOOBIG or
 * VOUCH_ENOMEM. A document nested deeper than libfyaml accepts is refused
 * with VOUCH_EINVAL and no message: vutil_doc_parse() then reads it
 * through libfyaml, which says why.
 */
int vutil_doc_load_json(vutil_doc *doc, const char *data, size_t len,
                        size_t max, const char *source, vouch_error *err);

void vutil_doc_close(vutil_doc *doc);

/* The format of `len` bytes: AUTO is JSON when the first non-blank byte is
 * '{' or '[', YAML otherwise; any other format is itself. */
vouch_format vutil_doc_detect_format(const char *data, size_t len,
                                    vouch_format format);

/*
 * The checks vutil_doc_load() makes on its libfyaml tree (nesting,
 * aliases, anchors, tags, merge keys, misread single-quoted scalars), on
 * a document loaded by other means: one of a stream
 * (vutil_yaml_load_stream()). `data` and `len` are the bytes it was read
 * from; `format` JSON or YAML. Returns 0 or VOUCH_EPARSE with the
 * position.
 */
int vutil_doc_check_fy(struct fy_document *fyd, const char *data,
                       size_t len, vouch_format format, const char *source,
                       vouch_error *err);

/* The line and column (1-based) of a libfyaml node, as errors place it:
 * false (and 0, 0) when it has none. */
bool vutil_doc_node_position(struct fy_node *node, int *line, int *column);

/*
 * A YAML plain scalar's value under the core schema (docs/policy.md):
 * `*out` a new JSON null, boolean, integer or real; NULL when the text is
 * a string (or a number JSON cannot hold, such as .inf or an integer
 * beyond 64 bits, which stays text). Returns 0 or VOUCH_ENOMEM.
 */
int vutil_doc_plain_value(const char *s, size_t n, json_t **out);
vutil_node *vutil_doc_root(const vutil_doc *doc);

/* Path building: push returns the previous length, pop restores it. */
size_t vutil_path_push_key(vutil_path *path, const char *key);
size_t vutil_path_push_index(vutil_path *path, size_t index);
void vutil_path_pop(vutil_path *path, size_t saved);

/*
 * Fail at `node` (its line and column; NULL or a jansson tree: no
 * position) with "PATH: message" (just "message" when the path is empty).
 * Returns `code`.
 */
int vutil_doc_fail(const vutil_doc *doc, vutil_node *node,
                   const vutil_path *path, vouch_error *err,
                   vouch_code code, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* Absent (NULL), or a null scalar (JSON null; YAML null, ~ or empty). */
bool vutil_doc_is_null(const vutil_doc *doc, vutil_node *node);

/* Node kinds. A NULL node is none of them. */
bool vutil_doc_is_mapping(const vutil_doc *doc, vutil_node *node);
bool vutil_doc_is_sequence(const vutil_doc *doc, vutil_node *node);

/* Number of items of a sequence or entries of a mapping; 0 otherwise. */
size_t vutil_doc_count(const vutil_doc *doc, vutil_node *node);

/* The next item of sequence `node`, or NULL at the end. */
vutil_node *vutil_doc_next(const vutil_doc *doc, vutil_node *node,
                             vutil_iter *iter);

/*
 * The next entry of mapping `node`: returns 1 with its key (a string, as
 * vutil_doc_string() reads it, borrowed), the node to place an error about
 * the key at, and the value; 0 at the end; or VOUCH_EINVAL when the key is
 * not a string ("PATH: expected a string, found ...").
 */
int vutil_doc_next_entry(const vutil_doc *doc, vutil_node *node,
                         vutil_iter *iter, const vutil_path *path,
                         const char **key, size_t *key_len,
                         vutil_node **key_node, vutil_node **value,
                         vouch_error *err);

/*
 * Require `node` to be a mapping whose keys are all plain strings listed in
 * `allowed` (NULL-terminated). An unknown key fails at the key's position
 * with "PATH.key: unknown field". A YAML/JSON null node counts as an empty
 * mapping. Returns 0 or VOUCH_EINVAL.
 */
int vutil_doc_expect_mapping(const vutil_doc *doc, vutil_node *node,
                             const vutil_path *path,
                             const char *const *allowed, vouch_error *err);

/* vutil_doc_expect_mapping() for the document's root; a list there fails
 * with "WHAT must be a mapping, found a list". */
int vutil_doc_expect_root_mapping(const vutil_doc *doc, const char *what,
                                  const char *const *allowed,
                                  vouch_error *err);

/* Require a sequence (null counts as empty). Returns 0 or VOUCH_EINVAL. */
int vutil_doc_expect_sequence(const vutil_doc *doc, vutil_node *node,
                              const vutil_path *path, vouch_error *err);

/* The value of `key` in mapping `node`, or NULL when absent. */
vutil_node *vutil_doc_get(const vutil_doc *doc, vutil_node *node,
                            const char *key);

/*
 * A string scalar. In JSON it must be a quoted string; in YAML any scalar
 * but null, a boolean or a number written plain is accepted as its text
 * (YAML 1.2: 'true' unquoted is a boolean, not a string, and is refused).
 * `*ptr` is borrowed from the document (not NUL-terminated).
 * Returns 0 or VOUCH_EINVAL ("PATH: expected a string").
 */
int vutil_doc_string(const vutil_doc *doc, vutil_node *node,
                     const vutil_path *path, const char **ptr,
                     size_t *len, vouch_error *err);

/* As vutil_doc_string, returning a malloc'd NUL-terminated copy. */
int vutil_doc_string_dup(const vutil_doc *doc, vutil_node *node,
                         const vutil_path *path, char **out,
                         vouch_error *err);

/* A boolean (JSON true/false; YAML true/false). */
int vutil_doc_bool(const vutil_doc *doc, vutil_node *node,
                   const vutil_path *path, bool *out, vouch_error *err);

/* True when `node` is a JSON number (the form proto3 JSON allows for an
 * enum); always false in YAML. */
bool vutil_doc_is_json_number(const vutil_doc *doc, vutil_node *node);

/* A non-negative integer up to `max` (JSON number, or a decimal string, as
 * proto3 JSON allows for int64). */
int vutil_doc_uint(const vutil_doc *doc, vutil_node *node,
                   const vutil_path *path, unsigned long long max,
                   unsigned long long *out, vouch_error *err);

/*
 * Move err->column from byte `offset` (1-based) inside the value of the
 * one-line scalar `node` (`len` bytes) to its column in the document, when
 * the tree keeps positions and the scalar has no escapes; otherwise leave
 * `err` as it is.
 */
void vutil_doc_scalar_column(const vutil_doc *doc, vutil_node *node,
                             size_t len, uint32_t offset, vouch_error *err);

/*
 * Check `len` bytes as strict JSON with jansson (duplicate keys rejected).
 * Returns 0 or VOUCH_EPARSE with jansson's line, column and text.
 */
int vutil_json_check(const char *data, size_t len, const char *source,
                     vouch_error *err);

/*
 * Check `len` bytes as a well-formed YAML stream with libyaml, before
 * libfyaml reads them (libfyaml's error paths are not safe on every
 * malformed stream; vutil_yaml_check.c says which). Returns 0, or
 * VOUCH_EPARSE with libyaml's problem, context and position, or
 * VOUCH_ENOMEM. Thread safety: reentrant.
 */
int vutil_yaml_check(const char *data, size_t len, const char *source,
                     vouch_error *err);

/*
 * Parse `len` bytes with libfyaml (JSON mode when `json`) into exactly one
 * document. Returns 0 and `*out` (free with fy_document_destroy()), or
 * VOUCH_EPARSE with the parser's first error and its position, or
 * VOUCH_ENOMEM.
 */
int vutil_yaml_load(struct fy_document **out, const char *data, size_t len,
                    bool json, const char *source, vouch_error *err);

/*
 * Parse `len` bytes with libfyaml (JSON mode when `json`) into every
 * document of the stream, empty documents left out, by the same rules as
 * vutil_yaml_load(). Returns 0 with `*out` (`*count` documents; free with
 * vutil_yaml_stream_free()), or VOUCH_EPARSE with the parser's first
 * error and its position, VOUCH_ETOOBIG (more than `max_docs`
 * documents), or VOUCH_ENOMEM.
 */
int vutil_yaml_load_stream(struct fy_document ***out, size_t *count,
                           const char *data, size_t len, bool json,
                           size_t max_docs, const char *source,
                           vouch_error *err);

/* Destroy what vutil_yaml_load_stream() gave; NULL-safe. */
void vutil_yaml_stream_free(struct fy_document **docs, size_t count);

#endif /* VUTIL_DOC_H */
