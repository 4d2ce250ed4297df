/*
 * vouch — the Binary Authorization v1 Policy (docs/policy.md).
 */
#ifndef VOUCH_POLICY_H
#define VOUCH_POLICY_H

#include <stdbool.h>
#include <stddef.h>

#include "vouch/common.h"
#include "vouch/pattern.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct vouch_policy vouch_policy;
typedef struct vouch_admission_rule vouch_admission_rule;

typedef enum vouch_evaluation_mode {
    VOUCH_EVALUATION_MODE_UNSPECIFIED = 0,
    VOUCH_ALWAYS_ALLOW = 1,
    VOUCH_REQUIRE_ATTESTATION = 2,
    VOUCH_ALWAYS_DENY = 3
} vouch_evaluation_mode;

typedef enum vouch_enforcement_mode {
    VOUCH_ENFORCEMENT_MODE_UNSPECIFIED = 0,
    VOUCH_ENFORCED_BLOCK_AND_AUDIT_LOG = 1,
    VOUCH_DRYRUN_AUDIT_LOG_ONLY = 2
} vouch_enforcement_mode;

typedef enum vouch_global_policy_mode {
    VOUCH_GLOBAL_POLICY_EVALUATION_MODE_UNSPECIFIED = 0,
    VOUCH_GLOBAL_ENABLE = 1,
    VOUCH_GLOBAL_DISABLE = 2
} vouch_global_policy_mode;

/**
 * The GKE rule maps. A valid policy sets at most one of them. Consulted
 * only when a decision is given a Kubernetes context (vouch_evaluate());
 * Cloud Run decisions never look at them.
 */
typedef enum vouch_rule_map {
    VOUCH_CLUSTER_ADMISSION_RULES = 0,
    VOUCH_KUBERNETES_NAMESPACE_ADMISSION_RULES = 1,
    VOUCH_KUBERNETES_SERVICE_ACCOUNT_ADMISSION_RULES = 2,
    VOUCH_ISTIO_SERVICE_IDENTITY_ADMISSION_RULES = 3,
    VOUCH_RULE_MAP_COUNT = 4
} vouch_rule_map;

/**
 * Parse and validate a policy document (gcloud export YAML, or REST JSON).
 *
 * Reads exactly `len` bytes of `data`. JSON and YAML go through the same
 * validation path: unknown fields are rejected with their path, enum values
 * and aliases checked, the rules of docs/policy.md (section 2) enforced,
 * at most one GKE rule map, every exempt pattern
 * validated and compiled.
 *
 * @param[out] out  Caller owns it; free with vouch_policy_free(). NULL on
 *                  failure.
 * @param data      Borrowed; not retained.
 * @param len       At most VOUCH_POLICY_MAX_BYTES.
 * @param format    VOUCH_FORMAT_JSON, VOUCH_FORMAT_YAML or VOUCH_FORMAT_AUTO.
 * @param source    Name used in error positions, e.g. "policy.yaml"; may be
 *                  NULL.
 * @param[out] err  May be NULL. Filled with line and column of the fault and
 *                  a message naming the field path
 *                  ("defaultAdmissionRule.evaluationMode: ...").
 * @return 0; VOUCH_EPARSE (malformed document); VOUCH_EINVAL (well-formed
 *         but not a valid policy); VOUCH_ETOOBIG; VOUCH_ENOMEM.
 * Thread safety: reentrant. The policy is immutable and may be shared.
 */
VOUCH_API int vouch_policy_parse(vouch_policy **out, const char *data,
                                 size_t len, vouch_format format,
                                 const char *source, vouch_error *err);

/**
 * The policy GetPolicy returns for a project that never wrote one
 * (docs/policy.md, section 2):
 * name "projects/PROJECT/policy", globalPolicyEvaluationMode ENABLE,
 * ALWAYS_ALLOW + ENFORCED_BLOCK_AND_AUDIT_LOG.
 *
 * @param project  Borrowed, NUL-terminated project id.
 * @return 0; VOUCH_EINVAL (empty project or one containing '/'); VOUCH_ENOMEM.
 * Ownership and thread safety as vouch_policy_parse().
 */
VOUCH_API int vouch_policy_new_default(vouch_policy **out,
                                       const char *project, vouch_error *err);

/** Free a policy. NULL is a no-op. */
VOUCH_API void vouch_policy_free(vouch_policy *policy);

/**
 * Print in canonical form: gcloud's export (YAML, keys sorted) or REST JSON
 * (keys sorted, 2-space indent, trailing newline). Unset optional fields are
 * left out. Parsing the output gives back an equal policy.
 *
 * @param[out] out      malloc'd text; caller frees with vouch_free().
 * @param[out] out_len  Its length, without the NUL; may be NULL.
 * @return 0; VOUCH_EINVAL (format AUTO); VOUCH_ENOMEM.
 * Thread safety: safe to call concurrently on one policy.
 */
VOUCH_API int vouch_policy_print(const vouch_policy *policy,
                                 vouch_format format, char **out,
                                 size_t *out_len, vouch_error *err);

/**
 * Set the server-owned output fields (name, etag, updateTime); NULL leaves
 * a field as it is, "" clears it. Strings are copied.
 *
 * @return 0; VOUCH_ENOMEM.
 * Thread safety: not thread-safe; call before the policy is shared.
 */
VOUCH_API int vouch_policy_set_output_fields(vouch_policy *policy,
                                             const char *name,
                                             const char *etag,
                                             const char *update_time,
                                             vouch_error *err);

/*
 * Getters. Strings are borrowed and valid until the policy is freed; NULL
 * when the field is unset. Safe to call concurrently.
 */
VOUCH_API const char *vouch_policy_name(const vouch_policy *policy);
VOUCH_API const char *vouch_policy_description(const vouch_policy *policy);
VOUCH_API const char *vouch_policy_etag(const vouch_policy *policy);
VOUCH_API const char *vouch_policy_update_time(const vouch_policy *policy);
VOUCH_API vouch_global_policy_mode
vouch_policy_global_mode(const vouch_policy *policy);
/** The default admission rule; never NULL on a parsed policy. */
VOUCH_API const vouch_admission_rule *
vouch_policy_default_rule(const vouch_policy *policy);
/** The compiled exempt patterns; never NULL (possibly empty). */
VOUCH_API const vouch_pattern_set *
vouch_policy_patterns(const vouch_policy *policy);
VOUCH_API size_t vouch_policy_pattern_count(const vouch_policy *policy);
/** Pattern text as written in the document (index < count). */
VOUCH_API const char *vouch_policy_pattern(const vouch_policy *policy,
                                           size_t index);
/** Number of entries in one of the GKE-only maps. */
VOUCH_API size_t vouch_policy_rule_map_count(const vouch_policy *policy,
                                             vouch_rule_map map);
/** Key of entry `index` of a GKE-only map ("us-east1-a.prod"), in
 *  document order; NULL when out of range. Owned by the policy. */
VOUCH_API const char *vouch_policy_rule_map_key(const vouch_policy *policy,
                                                vouch_rule_map map,
                                                size_t index);
/** Rule of entry `index` of a GKE-only map; NULL when out of range. Owned
 *  by the policy. */
VOUCH_API const vouch_admission_rule *
vouch_policy_rule_map_rule(const vouch_policy *policy, vouch_rule_map map,
                           size_t index);
/** The map's field name ("clusterAdmissionRules"); static; NULL when
 *  `map` is out of range. */
VOUCH_API const char *vouch_rule_map_field(vouch_rule_map map);

/**
 * Is `len` bytes of `s` a key of `map` as Google defines them
 * (docs/policy.md, "Kubernetes rule maps")? For example
 * "us-central1-a.prod" (LOCATION.CLUSTER) for clusterAdmissionRules: what
 * names a cluster anywhere else too (the webhook's path, --cluster).
 * Reentrant.
 */
VOUCH_API bool vouch_rule_map_key_valid(vouch_rule_map map, const char *s,
                                        size_t len);

VOUCH_API vouch_evaluation_mode
vouch_admission_rule_evaluation_mode(const vouch_admission_rule *rule);
VOUCH_API vouch_enforcement_mode
vouch_admission_rule_enforcement_mode(const vouch_admission_rule *rule);
VOUCH_API size_t
vouch_admission_rule_attestor_count(const vouch_admission_rule *rule);
/** "projects/P/attestors/A" (index < count). */
VOUCH_API const char *
vouch_admission_rule_attestor(const vouch_admission_rule *rule, size_t index);

/** Enum names as printed ("REQUIRE_ATTESTATION"); static strings. */
VOUCH_API const char *vouch_evaluation_mode_name(vouch_evaluation_mode m);
VOUCH_API const char *vouch_enforcement_mode_name(vouch_enforcement_mode m);

#ifdef __cplusplus
}
#endif

#endif /* VOUCH_POLICY_H */
