/*
 * vouch — the bridge from jansson: build the models from a JSON value that
 * the caller has already parsed with jansson, without printing it back to
 * text and parsing that again.
 *
 * A server that reads a request body with jansson (for example
 * validateAttestationOccurrence, whose body holds the AttestationOccurrence
 * as its "attestation" member) hands that member to
 * vouch_attestation_from_json_value(). The model is read and validated by
 * exactly the rules of vouch_attestation_parse() and friends; only the
 * error differs: jansson keeps no positions of values, so an error names
 * the field path ("attestation.signatures[0].signature: not valid base64")
 * but has no line and column. A caller that needs the position parses the
 * text with the vouch_*_parse() function instead.
 *
 * Not included by vouch/vouch.h: include it (and link jansson) only where
 * jansson is used. Link with pkg-config's `vouch` and `jansson`.
 */
#ifndef VOUCH_JANSSON_H
#define VOUCH_JANSSON_H

#include <jansson.h>

#include "vouch/attestation.h"
#include "vouch/attestor.h"
#include "vouch/common.h"
#include "vouch/policy.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Read an AttestationOccurrence (Grafeas v1, or the legacy v1beta1 shapes)
 * from a jansson value, by the rules of vouch_attestation_parse().
 *
 * @param[out] out  On success the attestation; caller owns it, free with
 *                  vouch_attestation_free(). NULL on failure.
 * @param value     The occurrence object. Borrowed: read, never modified
 *                  nor retained; its reference count is untouched.
 * @param source    Name used in errors, e.g. "request body"; may be NULL.
 * @param[out] err  May be NULL. On failure: the field path and what is
 *                  wrong; line and column are 0.
 * @return 0; VOUCH_EINVAL (not a valid occurrence, or `value` NULL);
 *         VOUCH_ETOOBIG (over a documented limit: payload, signatures);
 *         VOUCH_ENOMEM.
 * Thread safety: reentrant; `value` may be read by other threads at the
 * same time (jansson values are safe to read concurrently).
 */
VOUCH_API int vouch_attestation_from_json_value(vouch_attestation **out,
                                                const json_t *value,
                                                const char *source,
                                                vouch_error *err);

/**
 * Read an Attestor resource from a jansson value, by the rules of
 * vouch_attestor_parse() (every public key parsed, ids unique).
 *
 * @param[out] out  Caller owns it; free with vouch_attestor_free(). NULL on
 *                  failure.
 * @param value     Borrowed; never modified nor retained.
 * @param source    Name used in errors; may be NULL.
 * @param[out] err  May be NULL. Field path, no position.
 * @return 0; VOUCH_EPARSE (a public key that does not parse); VOUCH_EINVAL;
 *         VOUCH_ETOOBIG; VOUCH_ENOMEM.
 * Thread safety: reentrant.
 */
VOUCH_API int vouch_attestor_from_json_value(vouch_attestor **out,
                                             const json_t *value,
                                             const char *source,
                                             vouch_error *err);

/**
 * Read a Policy from a jansson value, by the rules of vouch_policy_parse()
 * (patterns validated and compiled, at most one GKE rule map).
 *
 * @param[out] out  Caller owns it; free with vouch_policy_free(). NULL on
 *                  failure.
 * @param value     Borrowed; never modified nor retained.
 * @param source    Name used in errors; may be NULL.
 * @param[out] err  May be NULL. Field path, no position.
 * @return 0; VOUCH_EINVAL; VOUCH_ETOOBIG; VOUCH_ENOMEM.
 * Thread safety: reentrant.
 */
VOUCH_API int vouch_policy_from_json_value(vouch_policy **out,
                                           const json_t *value,
                                           const char *source,
                                           vouch_error *err);

#ifdef __cplusplus
}
#endif

#endif /* VOUCH_JANSSON_H */
