/*
 * vouchd — Kubernetes label selectors, as the Cloud Run Admin v1 list
 * calls take them in `labelSelector` (docs/gcloud.md "Lists"):
 *
 *   selector    := requirement { "," requirement }
 *   requirement := key ("=" | "==" | "!=") value
 *                | key ("in" | "notin") "(" value { "," value } ")"
 *                | key | "!" key
 *   key         := [prefix "/"] name      (A-Z a-z 0-9 - _ . /, 1..253)
 *   value       := 0..63 of A-Z a-z 0-9 - _ .
 *
 * Blanks (space, tab) may surround every token. An empty selector matches
 * everything. gcloud sends "serving.knative.dev/service = S",
 * "run.googleapis.com/execution = E,run.googleapis.com/runningState in
 * (Running,Succeeded)".
 *
 * Thread safety: a parsed selector is immutable; share it freely.
 */
#ifndef VOUCH_API_LABELSEL_H
#define VOUCH_API_LABELSEL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "vouch/common.h"

/* Longest selector accepted, most requirements, most values in one set. */
#define API_LABELSEL_MAX_BYTES 4096u
#define API_LABELSEL_MAX_REQS  32u
#define API_LABELSEL_MAX_VALUES 32u

typedef struct api_labelsel api_labelsel;

/*
 * Parse `len` bytes of `text`.
 *
 * @param[out] out  Caller owns it; free with api_labelsel_free(). NULL on
 *                  failure.
 * @return 0; VOUCH_EINVAL (err->column is the 1-based position of the
 *         fault, the message says what was expected there); VOUCH_ETOOBIG
 *         (over API_LABELSEL_MAX_BYTES or too many requirements or
 *         values); VOUCH_ENOMEM.
 */
int api_labelsel_parse(const char *text, size_t len, api_labelsel **out,
                       vouch_error *err);

/* Does the label map `labels` (a JSON object of strings, or NULL: none)
 * satisfy every requirement? */
bool api_labelsel_match(const api_labelsel *sel, const json_t *labels);

/*
 * The value `key` must have when the selector pins it to exactly one
 * value ("key = v", "key == v", "key in (v)"); NULL otherwise. Borrowed;
 * valid until `sel` is freed. Lets a list narrow its query to one parent.
 */
const char *api_labelsel_pinned(const api_labelsel *sel, const char *key);

/* NULL is a no-op. */
void api_labelsel_free(api_labelsel *sel);

#endif /* VOUCH_API_LABELSEL_H */
