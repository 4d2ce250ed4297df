/*
 * Library-internal: the two halves of vouch__doc_load() that live in the
 * codec files (doc.c calls them).
 */
#ifndef VOUCH_CODEC_H
#define VOUCH_CODEC_H

#include <stdbool.h>
#include <stddef.h>

#include <libfyaml.h>

#include "internal.h"

/*
 * Check `len` bytes as strict JSON with jansson (duplicate keys rejected).
 * Returns 0 or VOUCH_EPARSE with jansson's line, column and text.
 */
int vouch__json_check(const char *data, size_t len, const char *source,
                      vouch_error *err);

/*
 * Parse `len` bytes with libfyaml (JSON mode when `json`) into exactly one
 * document. Returns 0 and `*out` (free with fy_document_destroy()), or
 * VOUCH_EPARSE with the parser's first error and its position, or
 * VOUCH_ENOMEM.
 */
int vouch__yaml_load(struct fy_document **out, const char *data, size_t len,
                     bool json, const char *source, vouch_error *err);

/*
 * Parse `len` bytes with libfyaml (JSON mode when `json`) into every
 * document of the stream, empty documents left out, by the same rules as
 * vouch__yaml_load(). Returns 0 with `*out` (`*count` documents; free with
 * vouch__yaml_stream_free()), or VOUCH_EPARSE with the parser's first
 * error and its position, VOUCH_ETOOBIG (more than `max_docs`
 * documents), or VOUCH_ENOMEM.
 */
int vouch__yaml_load_stream(struct fy_document ***out, size_t *count,
                            const char *data, size_t len, bool json,
                            size_t max_docs, const char *source,
                            vouch_error *err);

/* Destroy what vouch__yaml_load_stream() gave; NULL-safe. */
void vouch__yaml_stream_free(struct fy_document **docs, size_t count);

#endif /* VOUCH_CODEC_H */
