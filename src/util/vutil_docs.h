/*
 * vouch util — reading a stream of documents (YAML "---" separated, or one
 * JSON text) into jansson values, with the position of every value kept,
 * by the same loading rules as every other document vouch reads
 * (vutil_doc.h).
 *
 * This is how a caller reads input that is not one of libvouch's models
 * (Kubernetes manifests, for `vouch evaluate --manifest`) without a second
 * YAML reader: the values come out as jansson trees, and an error found in
 * them later is placed by vutil_docs_position() at FILE:LINE:COL.
 */
#ifndef VUTIL_DOCS_H
#define VUTIL_DOCS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "vouch/common.h"

/** The documents of one input, each a jansson value with positions. */
typedef struct vutil_docs vutil_docs;

/** Most documents in one stream. */
#define VUTIL_DOCS_MAX_COUNT 10000u

/**
 * Read every document of `len` bytes.
 *
 * VOUCH_FORMAT_JSON: one JSON text (RFC 8259, duplicate keys rejected).
 * VOUCH_FORMAT_YAML: a YAML stream of any number of documents; empty ones
 * (a trailing "---") are left out. VOUCH_FORMAT_AUTO: JSON when the text
 * opens with '{' or '[' and is one JSON value (or is not JSON at all:
 * jansson's error), YAML otherwise (JSON objects separated by "---" are a
 * YAML stream). YAML is read as every
 * vouch document is (docs/policy.md): no anchors, aliases, tags, merge
 * keys, directives or explicit keys; duplicate keys refused. A plain
 * scalar's value follows YAML 1.2's core schema (null, true/false,
 * integers, floats; anything else a string); a quoted scalar is always a
 * string.
 *
 * @param[out] out  Caller owns it; free with vutil_docs_free(). NULL
 *                  on failure.
 * @param data      Borrowed; not retained. Need not be NUL-terminated.
 * @param max       Most bytes accepted.
 * @param source    Name used in errors, e.g. "deploy.yaml"; may be NULL.
 * @param[out] err  May be NULL; filled on failure, with the position.
 * @return 0; VOUCH_EPARSE (malformed, with line and column); VOUCH_ETOOBIG
 *         (over `max` bytes, or more than VUTIL_DOCS_MAX_COUNT
 *         documents); VOUCH_EINVAL (unknown format); VOUCH_ENOMEM.
 *
 * Thread safety: reentrant. The result is immutable; it may be read from
 * several threads at once.
 */
int vutil_docs_parse(vutil_docs **out, const char *data,
                                    size_t len, vouch_format format,
                                    size_t max, const char *source,
                                    vouch_error *err);

/** Number of (non-empty) documents. */
size_t vutil_docs_count(const vutil_docs *docs);

/**
 * Document `index` as a jansson value. Borrowed; valid until `docs` is
 * freed. Do not modify it. NULL when `index` is out of range.
 */
const json_t *vutil_docs_get(const vutil_docs *docs,
                                            size_t index);

/**
 * Where a value of document `index` is in the input: follow `path`
 * (`depth` segments: a mapping key, or a sequence index in decimal) from
 * the document's root and give the 1-based line and column of the value
 * found (of the document's first value when `depth` is 0). When the path
 * leads nowhere, the position of the deepest value it reached.
 *
 * @return true when a position was found (then `*line` and `*column` are
 *         at least 1); false otherwise (both 0).
 */
bool vutil_docs_position(const vutil_docs *docs,
                                        size_t index,
                                        const char *const *path,
                                        size_t depth, uint32_t *line,
                                        uint32_t *column);

/** Free; NULL-safe. */
void vutil_docs_free(vutil_docs *docs);

#endif /* VUTIL_DOCS_H */
