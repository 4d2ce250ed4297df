/*
 * The Binary Authorization v1 Policy (policy.h, docs/policy.md): the model,
 * the default policy, printing and getters. Reading and validation are in
 * policy_read.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "doc.h"
#include "internal.h"
#include "policy_internal.h"
#include "resource.h"
#include "rule_map.h"

const char *const vouch__policy_map_fields[VOUCH_RULE_MAP_COUNT] = {
    "clusterAdmissionRules",
    "kubernetesNamespaceAdmissionRules",
    "kubernetesServiceAccountAdmissionRules",
    "istioServiceIdentityAdmissionRules",
};

const char *const vouch__policy_map_key_forms[VOUCH_RULE_MAP_COUNT] = {
    "LOCATION.CLUSTER_ID, e.g. us-central1-a.prod-cluster",
    "a namespace matching [a-z.-]+ of at most 63 characters",
    ("NAMESPACE:SERVICE_ACCOUNT of at most 63 and 253 characters, e.g. "
     "test-ns:default"),
    ("spiffe://DOMAIN/ns/NAMESPACE/sa/SERVICE_ACCOUNT or "
     "DOMAIN/ns/NAMESPACE/sa/SERVICE_ACCOUNT, each of letters, digits, "
     "'.', '_' and '-' and of at most 255, 63 and 253 characters"),
};

const char *const vouch__evaluation_names[VOUCH__EVALUATION_NAMES] = {
    "EVALUATION_MODE_UNSPECIFIED", "ALWAYS_ALLOW", "REQUIRE_ATTESTATION",
    "ALWAYS_DENY",
};

const char *const vouch__enforcement_names[VOUCH__ENFORCEMENT_NAMES] = {
    "ENFORCEMENT_MODE_UNSPECIFIED", "ENFORCED_BLOCK_AND_AUDIT_LOG",
    "DRYRUN_AUDIT_LOG_ONLY",
};

const char *const vouch__global_names[VOUCH__GLOBAL_NAMES] = {
    "GLOBAL_POLICY_EVALUATION_MODE_UNSPECIFIED", "ENABLE", "DISABLE",
};



/* ---- freeing -------------------------------------------------------- */

static void rule_clear(vouch_admission_rule *rule)
{
    size_t i;

    for (i = 0; i < rule->attestor_count; i++) {
        free(rule->attestors[i]);
    }
    free(rule->attestors);
    memset(rule, 0, sizeof(*rule));
}

VOUCH_API void vouch_policy_free(vouch_policy *policy)
{
    size_t i;
    size_t m;

    if (policy == NULL) {
        return;
    }
    free(policy->name);
    free(policy->description);
    free(policy->etag);
    free(policy->update_time);
    for (i = 0; i < policy->pattern_count; i++) {
        free(policy->patterns[i]);
    }
    free(policy->patterns);
    vouch_pattern_set_free(policy->set);
    for (m = 0; m < VOUCH_RULE_MAP_COUNT; m++) {
        for (i = 0; i < policy->map_count[m]; i++) {
            free(policy->maps[m][i].key);
            rule_clear(&policy->maps[m][i].rule);
        }
        free(policy->maps[m]);
    }
    rule_clear(&policy->default_rule);
    free(policy);
}

VOUCH_API int vouch_policy_new_default(vouch_policy **out,
                                       const char *project, vouch_error *err)
{
    vouch_policy *policy = NULL;
    size_t n;
    size_t i;
    int rc = 0;

    *out = NULL;
    if (project == NULL || project[0] == '\0') {
        return vouch__error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                                "project id is empty");
    }
    n = strlen(project);
    for (i = 0; i < n && n <= 128; i++) {
        if (!vouch__project_id_char(project[i])) {
            break;
        }
    }
    if (n > 128 || i < n) {
        return vouch__error_set(err, VOUCH_EINVAL, NULL, 0, 0,
                                "'%.64s' is not a project id", project);
    }
    policy = calloc(1, sizeof(*policy));
    if (policy == NULL) {
        rc = VOUCH_ENOMEM;
        goto cleanup;
    }
    policy->name = malloc(n + sizeof("projects//policy"));
    if (policy->name == NULL) {
        rc = VOUCH_ENOMEM;
        goto cleanup;
    }
    snprintf(policy->name, n + sizeof("projects//policy"),
             "projects/%s/policy", project);
    policy->global_mode = VOUCH_GLOBAL_ENABLE;
    policy->default_rule.evaluation = VOUCH_ALWAYS_ALLOW;
    policy->default_rule.enforcement = VOUCH_ENFORCED_BLOCK_AND_AUDIT_LOG;
    rc = vouch_pattern_set_new(&policy->set, NULL, 0, err);
    if (rc < 0) {
        goto cleanup;
    }
    *out = policy;
    policy = NULL;

cleanup:
    vouch_policy_free(policy);
    if (rc == VOUCH_ENOMEM) {
        vouch__error_set(err, rc, NULL, 0, 0, "out of memory");
    }
    return rc;
}

/* ---- printing ------------------------------------------------------- */

static json_t *rule_to_json(const vouch_admission_rule *rule)
{
    json_t *obj = json_object();
    size_t i;

    if (obj == NULL) {
        return NULL;
    }
    if (json_object_set_new(obj, "evaluationMode",
                            json_string(
                                vouch__evaluation_names[rule->evaluation]))
            != 0 ||
        json_object_set_new(obj, "enforcementMode",
                            json_string(vouch__enforcement_names
                                            [rule->enforcement])) != 0) {
        json_decref(obj);
        return NULL;
    }
    if (rule->attestor_count > 0) {
        json_t *list = json_array();

        if (list == NULL ||
            json_object_set_new(obj, "requireAttestationsBy", list) != 0) {
            json_decref(obj);
            return NULL;
        }
        for (i = 0; i < rule->attestor_count; i++) {
            if (json_array_append_new(list, json_string(rule->attestors[i]))
                != 0) {
                json_decref(obj);
                return NULL;
            }
        }
    }
    return obj;
}

static json_t *policy_to_json(const vouch_policy *policy)
{
    json_t *root = json_object();
    size_t i;
    size_t m;

    if (root == NULL) {
        return NULL;
    }
    if (vouch__json_set_string(root, "name", policy->name) != 0 ||
        vouch__json_set_string(root, "description", policy->description) != 0 ||
        vouch__json_set_string(root, "etag", policy->etag) != 0 ||
        vouch__json_set_string(root, "updateTime", policy->update_time) != 0) {
        goto fail;
    }
    if (policy->global_mode != VOUCH_GLOBAL_POLICY_EVALUATION_MODE_UNSPECIFIED
        && json_object_set_new(root, "globalPolicyEvaluationMode",
                               json_string(vouch__global_names
                                               [policy->global_mode]))
               != 0) {
        goto fail;
    }
    if (policy->pattern_count > 0) {
        json_t *list = json_array();

        if (list == NULL ||
            json_object_set_new(root, "admissionWhitelistPatterns", list)
                != 0) {
            goto fail;
        }
        for (i = 0; i < policy->pattern_count; i++) {
            json_t *item = json_pack("{s:s}", "namePattern",
                                     policy->patterns[i]);

            if (item == NULL || json_array_append_new(list, item) != 0) {
                goto fail;
            }
        }
    }
    for (m = 0; m < VOUCH_RULE_MAP_COUNT; m++) {
        json_t *map;

        if (policy->map_count[m] == 0) {
            continue;
        }
        map = json_object();
        if (map == NULL ||
            json_object_set_new(root, vouch__policy_map_fields[m], map)
                != 0) {
            goto fail;
        }
        for (i = 0; i < policy->map_count[m]; i++) {
            json_t *rule = rule_to_json(&policy->maps[m][i].rule);

            if (rule == NULL ||
                json_object_set_new(map, policy->maps[m][i].key, rule) != 0) {
                goto fail;
            }
        }
    }
    {
        json_t *rule = rule_to_json(&policy->default_rule);

        if (rule == NULL ||
            json_object_set_new(root, "defaultAdmissionRule", rule) != 0) {
            goto fail;
        }
    }
    return root;

fail:
    json_decref(root);
    return NULL;
}

VOUCH__MODEL_PRINT(policy, policy_to_json, "policy")
VOUCH__MODEL_OUTPUT_FIELDS(policy, etag)

/* ---- the rule of a Kubernetes workload ----------------------------- */

const vouch_admission_rule *
vouch__policy_rule_for(const vouch_policy *policy,
                       const vouch_kubernetes_context *ctx,
                       vouch_rule_map *map_out, size_t *index_out)
{
    size_t m;
    size_t i;

    for (m = 0; m < VOUCH_RULE_MAP_COUNT; m++) {
        for (i = 0; i < policy->map_count[m]; i++) {
            if (vouch__rule_map_key_matches((vouch_rule_map)m,
                                            policy->maps[m][i].key, ctx)) {
                *map_out = (vouch_rule_map)m;
                *index_out = i;
                return &policy->maps[m][i].rule;
            }
        }
    }
    return NULL;
}

/* ---- getters -------------------------------------------------------- */

VOUCH__GETTER(const char *, policy, name)
VOUCH__GETTER(const char *, policy, description)
VOUCH__GETTER(const char *, policy, etag)
VOUCH__GETTER(const char *, policy, update_time)
VOUCH__GETTER(vouch_global_policy_mode, policy, global_mode)

VOUCH_API const vouch_admission_rule *
vouch_policy_default_rule(const vouch_policy *policy)
{
    return &policy->default_rule;
}

VOUCH_API const vouch_pattern_set *
vouch_policy_patterns(const vouch_policy *policy)
{
    return policy->set;
}

VOUCH__ARRAY_GETTERS(const char *, policy, pattern, patterns)

VOUCH_API size_t vouch_policy_rule_map_count(const vouch_policy *policy,
                                             vouch_rule_map map)
{
    return (unsigned)map < VOUCH_RULE_MAP_COUNT ? policy->map_count[map] : 0;
}

VOUCH_API const char *vouch_policy_rule_map_key(const vouch_policy *policy,
                                                vouch_rule_map map,
                                                size_t index)
{
    if ((unsigned)map >= VOUCH_RULE_MAP_COUNT ||
        index >= policy->map_count[map]) {
        return NULL;
    }
    return policy->maps[map][index].key;
}

VOUCH_API const vouch_admission_rule *
vouch_policy_rule_map_rule(const vouch_policy *policy, vouch_rule_map map,
                           size_t index)
{
    if ((unsigned)map >= VOUCH_RULE_MAP_COUNT ||
        index >= policy->map_count[map]) {
        return NULL;
    }
    return &policy->maps[map][index].rule;
}

VOUCH_API const char *vouch_rule_map_field(vouch_rule_map map)
{
    return (unsigned)map < VOUCH_RULE_MAP_COUNT
               ? vouch__policy_map_fields[map]
               : NULL;
}

VOUCH_API vouch_evaluation_mode
vouch_admission_rule_evaluation_mode(const vouch_admission_rule *rule)
{
    return rule->evaluation;
}

VOUCH_API vouch_enforcement_mode
vouch_admission_rule_enforcement_mode(const vouch_admission_rule *rule)
{
    return rule->enforcement;
}

VOUCH__ARRAY_GETTERS(const char *, admission_rule, attestor, attestors)

VOUCH_API const char *vouch_evaluation_mode_name(vouch_evaluation_mode m)
{
    return (unsigned)m < VOUCH__EVALUATION_NAMES ? vouch__evaluation_names[m]
                                                 : "UNKNOWN";
}

VOUCH_API const char *vouch_enforcement_mode_name(vouch_enforcement_mode m)
{
    return (unsigned)m < VOUCH__ENFORCEMENT_NAMES
               ? vouch__enforcement_names[m]
               : "UNKNOWN";
}
