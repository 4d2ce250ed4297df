/*
 * vouch — the decision: may these images run under this policy?
 * (spec/binauthz.md §4).
 */
#ifndef VOUCH_EVALUATE_H
#define VOUCH_EVALUATE_H

#include "vouch/attestation.h"
#include "vouch/attestor.h"
#include "vouch/common.h"
#include "vouch/policy.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum vouch_outcome {
    VOUCH_OUTCOME_ALLOW = 0,
    VOUCH_OUTCOME_DENY = 1,
    VOUCH_OUTCOME_ALLOW_DRYRUN = 2,
    VOUCH_OUTCOME_ALLOW_BREAKGLASS = 3
} vouch_outcome;

typedef enum vouch_verdict {
    VOUCH_VERDICT_EXEMPT = 0,
    VOUCH_VERDICT_ALLOWED = 1,
    VOUCH_VERDICT_DENIED = 2
} vouch_verdict;

typedef struct vouch_decision vouch_decision;

/**
 * Everything a decision needs, prepared by the caller. The engine touches
 * nothing else (no store, no registry, no clock).
 */
typedef struct vouch_evaluation_input {
    unsigned version;                 /* VOUCH_EVALUATION_INPUT_VERSION */
    const vouch_policy *policy;       /* required */
    const vouch_policy *system_policy; /* consulted after the project's
                                          exempt patterns when the policy's
                                          globalPolicyEvaluationMode is
                                          ENABLE; NULL = none */
    const char *const *images;        /* image references, as deployed */
    size_t image_count;
    const vouch_attestor *const *attestors;     /* known attestors */
    size_t attestor_count;
    const vouch_attestation *const *attestations; /* candidate evidence */
    size_t attestation_count;
    const char *breakglass;           /* justification; NULL or "" = none */
    vouch_verify_cache *cache;        /* may be NULL */
} vouch_evaluation_input;

#define VOUCH_EVALUATION_INPUT_VERSION 1
#define VOUCH_EVALUATION_INPUT_INIT \
    { VOUCH_EVALUATION_INPUT_VERSION, NULL, NULL, NULL, 0, NULL, 0, NULL, 0, \
      NULL, NULL }

/**
 * Decide. Order per image (§4.1): parse the reference; project exempt
 * patterns; the system policy when enabled; the default rule (ALWAYS_ALLOW,
 * ALWAYS_DENY, or REQUIRE_ATTESTATION: every listed attestor must be
 * satisfied, and a reference without digest never satisfies it). The
 * request is allowed only if every image is. On a deny: dry run gives
 * ALLOW_DRYRUN; otherwise a breakglass justification gives
 * ALLOW_BREAKGLASS. Breakglass also marks a compliant request
 * ALLOW_BREAKGLASS, since its use is always logged.
 *
 * Faults in the evidence (unknown attestor, unparsable reference, bad key)
 * are not errors: they make the image DENIED with the cause in its reason
 * (fail closed).
 *
 * @param[out] out  Caller owns it; free with vouch_decision_free().
 * @return 0; VOUCH_EINVAL (`in` malformed: NULL policy, wrong version);
 *         VOUCH_ENOMEM.
 * Thread safety: reentrant; any number of threads may evaluate against the
 * same policy, attestors, attestations and cache at once.
 */
VOUCH_API int vouch_evaluate(vouch_decision **out,
                             const vouch_evaluation_input *in,
                             vouch_error *err);

VOUCH_API void vouch_decision_free(vouch_decision *decision);

/* Getters; strings borrowed, valid until the decision is freed. */
VOUCH_API vouch_outcome vouch_decision_outcome(const vouch_decision *d);
VOUCH_API size_t vouch_decision_image_count(const vouch_decision *d);
/** The image as evaluated (normalised when it parsed, else as given). */
VOUCH_API const char *vouch_decision_image(const vouch_decision *d,
                                           size_t index);
VOUCH_API vouch_verdict vouch_decision_verdict(const vouch_decision *d,
                                               size_t index);
VOUCH_API const char *vouch_decision_reason(const vouch_decision *d,
                                            size_t index);
VOUCH_API size_t vouch_decision_attestor_count(const vouch_decision *d,
                                               size_t image);
VOUCH_API const char *vouch_decision_attestor_name(const vouch_decision *d,
                                                   size_t image,
                                                   size_t index);
VOUCH_API int vouch_decision_attestor_satisfied(const vouch_decision *d,
                                                size_t image, size_t index);
VOUCH_API const char *vouch_decision_attestor_reason(const vouch_decision *d,
                                                     size_t image,
                                                     size_t index);

/**
 * A one-paragraph summary for people, naming each denied image and why,
 * e.g. "Container image 'gcr.io/p/a@sha256:…' is not authorized by policy:
 * projects/p/attestors/a: no attestation …".
 */
VOUCH_API const char *vouch_decision_message(const vouch_decision *d);

/** "ALLOW", "DENY", "ALLOW_DRYRUN", "ALLOW_BREAKGLASS"; static. */
VOUCH_API const char *vouch_outcome_name(vouch_outcome outcome);
/** "EXEMPT", "ALLOWED", "DENIED"; static. */
VOUCH_API const char *vouch_verdict_name(vouch_verdict verdict);

/**
 * The decision JSON of DESIGN.md ("decision", "images"[{image, verdict,
 * reason, attestors[{name, satisfied, reason}]}]), keys in that order,
 * compact or indented.
 *
 * @param[out] out  malloc'd; caller frees with vouch_free().
 */
VOUCH_API int vouch_decision_to_json(const vouch_decision *d, int indent,
                                     char **out, vouch_error *err);

#ifdef __cplusplus
}
#endif

#endif /* VOUCH_EVALUATE_H */
