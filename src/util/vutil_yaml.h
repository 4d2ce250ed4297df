/*
 * vouch util — the one JSON → YAML printer (libfyaml's emitter): block
 * style, keys sorted, 2-space indent, sequences not indented under their
 * key, a trailing newline. Two ways to quote a string:
 *
 * - VUTIL_YAML_GCLOUD: as `gcloud ... export` prints (PyYAML safe_dump):
 *   plain unless the text would read back as something else (a YAML 1.1
 *   boolean, null or number, an indicator, ": " or " #"), single-quoted
 *   then, double-quoted when it holds control or line-break characters.
 *   libvouch prints policies, attestors and attestations this way.
 * - VUTIL_YAML_SIMPLE: plain only when obviously a plain string (a letter,
 *   then at most 199 letters, digits and _ . / @ -, and not a YAML 1.1
 *   boolean or null word); anything else as a JSON string literal, which is
 *   a valid YAML double-quoted scalar. The CLI prints resources libvouch
 *   has no model of (notes, lists, operations) this way.
 *
 * Either way, characters libfyaml's emitter would drop or turn into line
 * breaks in a double-quoted scalar (DEL, C1 controls, U+2028, U+2029,
 * U+FEFF), and the noncharacters U+FFFE and U+FFFF that YAML does not
 * allow raw, are written as \uXXXX escapes, and a key whose text passes
 * VUTIL_YAML_IMPLICIT_KEY_MAX bytes is written as an explicit key ("? |-"
 * and the key as a literal block, then ": value"): YAML reads no longer
 * implicit key.
 *
 * Thread safety: reentrant.
 */
#ifndef VUTIL_YAML_H
#define VUTIL_YAML_H

#include <stddef.h>

#include <jansson.h>

#include "vouch/common.h"

typedef enum vutil_yaml_style {
    VUTIL_YAML_GCLOUD = 0,
    VUTIL_YAML_SIMPLE = 1
} vutil_yaml_style;

/* Deepest nesting printed. */
#define VUTIL_YAML_MAX_DEPTH 64

/* Longest implicit key YAML reads ("key: value"), in characters. */
#define VUTIL_YAML_IMPLICIT_KEY_MAX 1024

/*
 * Print `root` as one YAML document (no "---" or "..." marks).
 *
 * @param[out] out      malloc'd text ending in '\n'; caller frees it with
 *                      free(). NULL on failure.
 * @param[out] out_len  its length; may be NULL.
 * @return 0; VOUCH_ETOOBIG (nested deeper than VUTIL_YAML_MAX_DEPTH);
 *         VOUCH_EINVAL (a key over VUTIL_YAML_IMPLICIT_KEY_MAX bytes with
 *         control characters: only a double-quoted scalar holds those, and
 *         libfyaml writes one only as an implicit key); VOUCH_ENOMEM.
 */
int vutil_yaml_from_json(const json_t *root, vutil_yaml_style style,
                         char **out, size_t *out_len, vouch_error *err);

/*
 * Print `root` (any value) as JSON the way vouch prints every document:
 * keys sorted, 2-space indent, a trailing newline.
 *
 * @param[out] out      malloc'd; caller frees it with free(). NULL on
 *                      failure.
 * @param[out] out_len  its length; may be NULL.
 * @return 0; VOUCH_ENOMEM.
 */
int vutil_json_print(const json_t *root, char **out, size_t *out_len,
                     vouch_error *err);

#endif /* VUTIL_YAML_H */
