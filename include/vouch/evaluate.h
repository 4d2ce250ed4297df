/*
 * vouch — the decision: may these images run under this policy?
 * (docs/semantics.md).
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
 * Where a Kubernetes workload runs, for the policy's GKE rule maps
 * (docs/policy.md, "Kubernetes rule maps"). Transparent; start from
 * VOUCH_KUBERNETES_CONTEXT_INIT. Every string is borrowed for the call and
 * NUL-terminated.
 */
typedef struct vouch_kubernetes_context {
    unsigned version;                 /* VOUCH_KUBERNETES_CONTEXT_VERSION */
    const char *cluster;              /* "LOCATION.NAME", e.g.
                                         "us-central1-a.prod"; NULL =
                                         unknown */
    const char *namespace_name;       /* the Pod's namespace; NULL =
                                         unknown */
    const char *service_account;      /* NULL or "" = "default" */
    const char *trust_domain;         /* Istio trust domain of the
                                         cluster; NULL or "" =
                                         "cluster.local" */
} vouch_kubernetes_context;

#define VOUCH_KUBERNETES_CONTEXT_VERSION 1
#define VOUCH_KUBERNETES_CONTEXT_INIT \
    { VOUCH_KUBERNETES_CONTEXT_VERSION, NULL, NULL, NULL, NULL }

/**
 * Everything a decision needs, prepared by the caller. The engine touches
 * nothing else (no store, no registry, no clock).
 *
 * Versions: 1 ends at `cache`; 2 appends `kubernetes`. A caller built
 * against version 1 keeps working unchanged.
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
    /* version 2 */
    const vouch_kubernetes_context *kubernetes; /* the workload's cluster,
                                          namespace, service account and
                                          trust domain, for the GKE rule
                                          maps; NULL = not Kubernetes
                                          (Cloud Run: the maps are never
                                          consulted) */
} vouch_evaluation_input;

#define VOUCH_EVALUATION_INPUT_VERSION 2
#define VOUCH_EVALUATION_INPUT_INIT \
    { VOUCH_EVALUATION_INPUT_VERSION, NULL, NULL, NULL, 0, NULL, 0, NULL, 0, \
      NULL, NULL, NULL }

/**
 * Decide. Order per image (docs/semantics.md): parse the reference;
 * project exempt patterns; the system policy when enabled; then the
 * request's rule: with a Kubernetes context, the entry of the policy's one
 * non-empty GKE rule map that names the workload (an Istio identity in
 * either key form), and otherwise, or when no entry names it, the default
 * rule. A rule is ALWAYS_ALLOW, ALWAYS_DENY, or REQUIRE_ATTESTATION: every
 * listed attestor must be satisfied, and a reference without digest never
 * satisfies it (its reason says to deploy by digest). The request is
 * allowed only if every image is. On a deny: the rule's dry run gives
 * ALLOW_DRYRUN; otherwise a breakglass justification gives
 * ALLOW_BREAKGLASS. Breakglass also marks a compliant request
 * ALLOW_BREAKGLASS, since its use is always logged.
 *
 * Reasons name the rule: "the default admission rule", or its field path,
 * e.g. kubernetesNamespaceAdmissionRules["prod"].
 *
 * Faults in the evidence (unknown attestor, unparsable reference, bad key)
 * are not errors: they make the image DENIED with the cause in its reason
 * (fail closed).
 *
 * @param[out] out  Caller owns it; free with vouch_decision_free().
 * @return 0; VOUCH_EINVAL (`in` malformed: NULL policy, unknown version of
 *         the input or of its Kubernetes context); VOUCH_ENOMEM.
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
 * The rule the request's images were decided by, unless exempt:
 * "defaultAdmissionRule" or the entry of a GKE rule map, e.g.
 * `kubernetesNamespaceAdmissionRules["prod"]`. Borrowed; valid until the
 * decision is freed.
 */
VOUCH_API const char *vouch_decision_rule(const vouch_decision *d);

/**
 * A one-paragraph summary for people, naming each denied image and why,
 * e.g. "Container image 'gcr.io/p/a@sha256:…' is not authorized by policy:
 * projects/p/attestors/a: no attestation …".
 */
VOUCH_API const char *vouch_decision_message(const vouch_decision *d);

/**
 * The rule vouch_evaluate() decides a Kubernetes workload by: the entry of
 * the policy's one non-empty GKE rule map that names the workload of
 * `ctx`, or the default rule (also when `ctx` is NULL). A caller that
 * gathers evidence per rule (the attestors it requires, before reading
 * their attestations) asks this first.
 *
 * @return Borrowed from `policy`; NULL only when `policy` is NULL or
 *         `ctx` has an unknown version.
 * Thread safety: reentrant.
 */
VOUCH_API const vouch_admission_rule *
vouch_kubernetes_rule(const vouch_policy *policy,
                      const vouch_kubernetes_context *ctx);

/** "ALLOW", "DENY", "ALLOW_DRYRUN", "ALLOW_BREAKGLASS"; static. */
VOUCH_API const char *vouch_outcome_name(vouch_outcome outcome);
/** "EXEMPT", "ALLOWED", "DENIED"; static. */
VOUCH_API const char *vouch_verdict_name(vouch_verdict verdict);

/**
 * The decision JSON of docs/semantics.md ("decision", "images"[{image, verdict,
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
