/*
 * Reading and validating a policy document (docs/policy.md): every field,
 * enum and GKE rule-map key checked, the exempt patterns compiled.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vouch/jansson.h"

#include "doc.h"
#include "readers.h"
#include "internal.h"
#include "policy_internal.h"
#include "resource.h"
#include "rule_map.h"


/* ---- field checks --------------------------------------------------- */

static bool policy_name_ok(const char *s, size_t n)
{
    static const char *const project[] = { "projects", "policy", NULL };
    static const char *const location[] = { "locations", "policy", NULL };

    return vouch__resource_name_ok(s, n, project, true) ||
           vouch__resource_name_ok(s, n, location, true);
}

static bool attestor_name_ok(const char *s, size_t n)
{
    static const char *const parts[] = { "projects", "attestors", NULL };

    return vouch__resource_name_ok(s, n, parts, false);
}

/* ---- reading -------------------------------------------------------- */

static int oom(const vouch__doc *doc, vouch_error *err)
{
    return vouch__error_set(err, VOUCH_ENOMEM, doc->source, 0, 0,
                            "out of memory");
}

/*
 * An enum field: its name, or (JSON only, as proto3 JSON allows) its
 * number. `*out` is the index in `names`; the caller rejects 0 where
 * UNSPECIFIED is not allowed.
 */
static int read_enum(const vouch__doc *doc, vouch__node *node,
                     const vouch__path *path, const char *const *names,
                     size_t count, int *out, vouch_error *err)
{
    const char *s = NULL;
    size_t n = 0;
    size_t i;
    char list[200];
    char shown[64];
    size_t used = 0;
    int rc;

    if (vouch__doc_is_json_number(doc, node)) {
        unsigned long long v = 0;

        rc = vouch__doc_uint(doc, node, path, count - 1, &v, err);
        if (rc < 0) {
            return rc;
        }
        *out = (int)v;
        return 0;
    }
    rc = vouch__doc_string(doc, node, path, &s, &n, err);
    if (rc < 0) {
        return rc;
    }
    for (i = 0; i < count; i++) {
        if (vouch__slice_eq(s, n, names[i])) {
            *out = (int)i;
            return 0;
        }
    }
    list[0] = '\0';
    for (i = 1; i < count; i++) {
        int w = snprintf(list + used, sizeof(list) - used, "%s%s",
                         i > 1 ? ", " : "", names[i]);

        if (w < 0 || (size_t)w >= sizeof(list) - used) {
            break;
        }
        used += (size_t)w;
    }
    vouch__quote_for_message(s, n, shown, sizeof(shown));
    return vouch__doc_fail(doc, node, path, err, VOUCH_EINVAL,
                           "unknown value '%s', expected one of %s", shown,
                           list);
}

static int read_required_enum(const vouch__doc *doc, vouch__node *parent,
                              vouch__path *path, const char *key,
                              const char *const *names, size_t count,
                              int *out, vouch_error *err)
{
    vouch__node *node = vouch__doc_get(doc, parent, key);
    size_t saved = vouch__path_push_key(path, key);
    int rc;

    if (node == NULL) {
        rc = vouch__doc_fail(doc, parent, path, err, VOUCH_EINVAL,
                             "required field is missing");
        goto cleanup;
    }
    rc = read_enum(doc, node, path, names, count, out, err);
    if (rc == 0 && *out == 0) {
        rc = vouch__doc_fail(doc, node, path, err, VOUCH_EINVAL,
                             "%s is not allowed, expected one of %s, %s%s%s",
                             names[0], names[1], names[2],
                             count > 3 ? ", " : "",
                             count > 3 ? names[3] : "");
    }

cleanup:
    vouch__path_pop(path, saved);
    return rc;
}

typedef struct sorted_ref {
    const char *s;
    size_t index;
} sorted_ref;

static int cmp_sorted_ref(const void *a, const void *b)
{
    const sorted_ref *x = a;
    const sorted_ref *y = b;
    int c = strcmp(x->s, y->s);

    if (c != 0) {
        return c;
    }
    return x->index < y->index ? -1 : x->index > y->index;
}

static int read_attestors(const vouch__doc *doc, vouch__node *node,
                          vouch__path *path, vouch_admission_rule *rule,
                          vouch_error *err)
{
    vouch__node *item;
    vouch__node **items = NULL;
    sorted_ref *sorted = NULL;
    vouch__iter iter = VOUCH__ITER_INIT;
    size_t count;
    size_t i = 0;
    int rc;

    rc = vouch__doc_expect_sequence(doc, node, path, err);
    if (rc < 0 || node == NULL || !vouch__doc_is_sequence(doc, node)) {
        return rc;
    }
    count = vouch__doc_count(doc, node);
    if (count == 0) {
        return 0;
    }
    rule->attestors = calloc(count, sizeof(*rule->attestors));
    items = calloc(count, sizeof(*items));
    sorted = calloc(count, sizeof(*sorted));
    if (rule->attestors == NULL || items == NULL || sorted == NULL) {
        rc = oom(doc, err);
        goto cleanup;
    }
    while ((item = vouch__doc_next(doc, node, &iter)) != NULL &&
           i < count) {
        size_t saved = vouch__path_push_index(path, i);
        const char *s = NULL;
        size_t n = 0;

        rc = vouch__doc_string(doc, item, path, &s, &n, err);
        if (rc == 0 && !attestor_name_ok(s, n)) {
            char shown[96];

            vouch__quote_for_message(s, n, shown, sizeof(shown));
            rc = vouch__doc_fail(doc, item, path, err, VOUCH_EINVAL,
                                 "'%s' is not an attestor name, expected "
                                 "projects/PROJECT/attestors/ATTESTOR",
                                 shown);
        }
        if (rc == 0) {
            rule->attestors[i] = vouch__strndup(s, n);
            if (rule->attestors[i] == NULL) {
                rc = oom(doc, err);
            }
        }
        vouch__path_pop(path, saved);
        if (rc < 0) {
            goto cleanup;
        }
        items[i] = item;
        sorted[i].s = rule->attestors[i];
        sorted[i].index = i;
        rule->attestor_count = ++i;
    }
    qsort(sorted, rule->attestor_count, sizeof(*sorted), cmp_sorted_ref);
    for (i = 1; i < rule->attestor_count; i++) {
        if (strcmp(sorted[i - 1].s, sorted[i].s) == 0) {
            size_t saved = vouch__path_push_index(path, sorted[i].index);

            rc = vouch__doc_fail(doc, items[sorted[i].index], path, err,
                                 VOUCH_EINVAL,
                                 "attestor %s is listed twice (first at "
                                 "index %zu)", sorted[i].s,
                                 sorted[i - 1].index);
            vouch__path_pop(path, saved);
            goto cleanup;
        }
    }

cleanup:
    free(items);
    free(sorted);
    return rc;
}

static int read_rule(const vouch__doc *doc, vouch__node *node,
                     vouch__path *path, vouch_admission_rule *rule,
                     vouch_error *err)
{
    static const char *const fields[] = {
        "evaluationMode", "requireAttestationsBy", "enforcementMode", NULL,
    };
    vouch__node *list;
    size_t saved;
    int evaluation = 0;
    int enforcement = 0;
    int rc;

    rc = vouch__doc_expect_mapping(doc, node, path, fields, err);
    if (rc == 0) {
        rc = read_required_enum(doc, node, path, "evaluationMode",
                                vouch__evaluation_names,
                                VOUCH__EVALUATION_NAMES, &evaluation, err);
    }
    if (rc == 0) {
        rc = read_required_enum(doc, node, path, "enforcementMode",
                                vouch__enforcement_names,
                                VOUCH__ENFORCEMENT_NAMES, &enforcement, err);
    }
    if (rc < 0) {
        return rc;
    }
    rule->evaluation = (vouch_evaluation_mode)evaluation;
    rule->enforcement = (vouch_enforcement_mode)enforcement;
    list = vouch__doc_get(doc, node, "requireAttestationsBy");
    saved = vouch__path_push_key(path, "requireAttestationsBy");
    rc = read_attestors(doc, list, path, rule, err);
    if (rc == 0 && rule->evaluation == VOUCH_REQUIRE_ATTESTATION &&
        rule->attestor_count == 0) {
        rc = vouch__doc_fail(doc, list != NULL ? list : node, path, err,
                             VOUCH_EINVAL,
                             "must name at least one attestor when "
                             "evaluationMode is REQUIRE_ATTESTATION");
    } else if (rc == 0 && rule->evaluation != VOUCH_REQUIRE_ATTESTATION &&
               rule->attestor_count > 0) {
        rc = vouch__doc_fail(doc, list, path, err, VOUCH_EINVAL,
                             "must be empty when evaluationMode is %s "
                             "(only REQUIRE_ATTESTATION uses attestors)",
                             vouch__evaluation_names[rule->evaluation]);
    }
    vouch__path_pop(path, saved);
    return rc;
}

static int read_rule_map(const vouch__doc *doc, vouch__node *root,
                         vouch__path *path, vouch_policy *policy,
                         vouch_rule_map map, vouch_error *err)
{
    const char *field = vouch__policy_map_fields[map];
    vouch__node *node = vouch__doc_get(doc, root, field);
    vouch__iter iter = VOUCH__ITER_INIT;
    size_t saved = vouch__path_push_key(path, field);
    size_t count;
    int rc;

    rc = vouch__doc_expect_mapping(doc, node, path, NULL, err);
    if (rc < 0 || !vouch__doc_is_mapping(doc, node)) {
        goto cleanup;
    }
    count = vouch__doc_count(doc, node);
    if (count == 0) {
        goto cleanup;
    }
    policy->maps[map] = calloc(count, sizeof(*policy->maps[map]));
    if (policy->maps[map] == NULL) {
        rc = oom(doc, err);
        goto cleanup;
    }
    while (policy->map_count[map] < count) {
        rule_entry *entry = &policy->maps[map][policy->map_count[map]];
        vouch__node *key = NULL;
        vouch__node *value = NULL;
        const char *s = NULL;
        size_t n = 0;
        char shown[96];
        char label[128];
        size_t inner;

        rc = vouch__doc_next_entry(doc, node, &iter, path, &s, &n, &key,
                                   &value, err);
        if (rc <= 0) {
            goto cleanup;
        }
        vouch__quote_for_message(s, n, shown, sizeof(shown));
        if (!vouch__rule_map_key_ok(map, s, n)) {
            rc = vouch__doc_fail(doc, key, path, err, VOUCH_EINVAL,
                                 "key '%s' is not %s", shown,
                                 vouch__policy_map_key_forms[map]);
            goto cleanup;
        }
        entry->key = vouch__strndup(s, n);
        if (entry->key == NULL) {
            rc = oom(doc, err);
            goto cleanup;
        }
        policy->map_count[map]++;
        snprintf(label, sizeof(label), "[\"%s\"]", shown);
        inner = path->len;
        /* "clusterAdmissionRules["us-east1-a.c"]" */
        if (path->len + strlen(label) < sizeof(path->text)) {
            memcpy(path->text + path->len, label, strlen(label) + 1);
            path->len += strlen(label);
        }
        rc = read_rule(doc, value, path, &entry->rule, err);
        vouch__path_pop(path, inner);
        if (rc < 0) {
            goto cleanup;
        }
    }
    rc = 0;

cleanup:
    vouch__path_pop(path, saved);
    return rc;
}

static int read_patterns(const vouch__doc *doc, vouch__node *root,
                         vouch__path *path, vouch_policy *policy,
                         vouch_error *err)
{
    static const char *const fields[] = { "namePattern", NULL };
    vouch__node *node = vouch__doc_get(doc, root, "admissionWhitelistPatterns");
    vouch__node *item;
    vouch_slice *slices = NULL;
    vouch__iter iter = VOUCH__ITER_INIT;
    size_t saved = vouch__path_push_key(path, "admissionWhitelistPatterns");
    size_t count = 0;
    size_t i;
    int rc;

    rc = vouch__doc_expect_sequence(doc, node, path, err);
    if (rc < 0) {
        goto cleanup;
    }
    if (node != NULL && vouch__doc_is_sequence(doc, node)) {
        count = vouch__doc_count(doc, node);
    }
    if (count > VOUCH_POLICY_MAX_PATTERNS) {
        rc = vouch__doc_fail(doc, node, path, err, VOUCH_ETOOBIG,
                             "%zu patterns, more than the %u allowed", count,
                             VOUCH_POLICY_MAX_PATTERNS);
        goto cleanup;
    }
    if (count > 0) {
        policy->patterns = calloc(count, sizeof(*policy->patterns));
        slices = calloc(count, sizeof(*slices));
        if (policy->patterns == NULL || slices == NULL) {
            rc = oom(doc, err);
            goto cleanup;
        }
    }
    i = 0;
    while (count > 0 && (item = vouch__doc_next(doc, node, &iter)) != NULL
           && i < count) {
        size_t at = vouch__path_push_index(path, i);
        vouch__node *pattern;
        const char *s = NULL;
        size_t n = 0;

        rc = vouch__doc_expect_mapping(doc, item, path, fields, err);
        if (rc == 0 && (!vouch__doc_is_mapping(doc, item))) {
            rc = vouch__doc_fail(doc, item, path, err, VOUCH_EINVAL,
                                 "expected a mapping with namePattern");
        }
        if (rc < 0) {
            goto cleanup;
        }
        pattern = vouch__doc_get(doc, item, "namePattern");
        vouch__path_push_key(path, "namePattern");
        if (pattern == NULL) {
            rc = vouch__doc_fail(doc, item, path, err, VOUCH_EINVAL,
                                 "required field is missing");
            goto cleanup;
        }
        rc = vouch__doc_string(doc, pattern, path, &s, &n, err);
        if (rc < 0) {
            goto cleanup;
        }
        rc = vouch_pattern_validate(s, n, err);
        if (rc < 0) {
            uint32_t offset = err != NULL ? err->column : 0;
            char msg[sizeof(err->message)];

            if (err != NULL) {
                memcpy(msg, err->message, sizeof(msg));
                rc = vouch__doc_fail(doc, pattern, path, err, (vouch_code)rc,
                                     "%s", msg);
                vouch__doc_scalar_column(doc, pattern, n, offset, err);
            }
            goto cleanup;
        }
        policy->patterns[i] = vouch__strndup(s, n);
        if (policy->patterns[i] == NULL) {
            rc = oom(doc, err);
            goto cleanup;
        }
        slices[i].ptr = policy->patterns[i];
        slices[i].len = n;
        policy->pattern_count = ++i;
        vouch__path_pop(path, at);
    }
    rc = vouch_pattern_set_new(&policy->set, slices, policy->pattern_count,
                               err);
    if (rc < 0) {
        vouch__error_prefix(err, "admissionWhitelistPatterns");
    }

cleanup:
    free(slices);
    vouch__path_pop(path, saved);
    return rc;
}

/* The static name of the rule-map field `key` (`n` bytes) names. */
static const char *policy_field_name(const char *key, size_t n)
{
    size_t m;

    for (m = 0; m < VOUCH_RULE_MAP_COUNT; m++) {
        if (vouch__slice_eq(key, n, vouch__policy_map_fields[m])) {
            return vouch__policy_map_fields[m];
        }
    }
    return "";
}

/* Is `key` the field of a GKE rule map that the policy fills? */
static bool names_filled_map(const vouch_policy *policy, const char *key,
                             size_t n)
{
    size_t m;

    for (m = 0; m < VOUCH_RULE_MAP_COUNT; m++) {
        if (policy->map_count[m] > 0 &&
            vouch__slice_eq(key, n, vouch__policy_map_fields[m])) {
            return true;
        }
    }
    return false;
}

/*
 * Google's API reference allows at most one non-empty GKE rule map
 * (docs/policy.md): a workload is matched by cluster, or namespace, or
 * service account, or Istio identity, never by two. The second map set,
 * in document order, is the one at fault.
 */
static int check_one_rule_map(const vouch__doc *doc, vouch__node *root,
                              const vouch_policy *policy, vouch_error *err)
{
    vouch__path path = VOUCH__PATH_INIT;
    vouch__iter iter = VOUCH__ITER_INIT;
    vouch__node *key = NULL;
    vouch__node *value = NULL;
    const char *first = NULL;
    size_t first_len = 0;
    const char *s = NULL;
    size_t n = 0;
    int rc;

    while ((rc = vouch__doc_next_entry(doc, root, &iter, &path, &s, &n, &key,
                                       &value, err)) > 0) {
        if (!names_filled_map(policy, s, n)) {
            continue;
        }
        if (first == NULL) {
            first = s;
            first_len = n;
            continue;
        }
        vouch__path_push_key(&path, policy_field_name(s, n));
        return vouch__doc_fail(doc, key, &path, err, VOUCH_EINVAL,
                               "cannot be set together with %.*s: a policy "
                               "sets at most one of clusterAdmissionRules, "
                               "kubernetesNamespaceAdmissionRules, "
                               "kubernetesServiceAccountAdmissionRules and "
                               "istioServiceIdentityAdmissionRules",
                               (int)first_len, first);
    }
    return rc;
}

static int read_policy(const vouch__doc *doc, vouch_policy *policy,
                       vouch_error *err)
{
    static const char *const fields[] = {
        "name", "description", "globalPolicyEvaluationMode",
        "admissionWhitelistPatterns", "clusterAdmissionRules",
        "kubernetesNamespaceAdmissionRules",
        "kubernetesServiceAccountAdmissionRules",
        "istioServiceIdentityAdmissionRules", "defaultAdmissionRule",
        "updateTime", "etag", NULL,
    };
    vouch__node *root = vouch__doc_root(doc);
    vouch__node *node;
    vouch__path path = VOUCH__PATH_INIT;
    size_t m;
    int rc;

    rc = vouch__doc_expect_root_mapping(doc, "a policy", fields, err);
    if (rc < 0) {
        return rc;
    }
    rc = vouch__doc_field_string(doc, root, &path, "name", policy_name_ok,
                                 "a policy name (projects/PROJECT/policy or "
                                 "locations/LOCATION/policy)",
                                 &policy->name, err);
    if (rc < 0) {
        return rc;
    }
    rc = vouch__doc_field_string(doc, root, &path, "description", NULL, NULL,
                                 &policy->description, err);
    if (rc < 0) {
        return rc;
    }
    rc = vouch__doc_field_string(doc, root, &path, "etag", NULL, NULL,
                                 &policy->etag, err);
    if (rc < 0) {
        return rc;
    }
    rc = vouch__doc_field_string(doc, root, &path, "updateTime",
                                 vouch__timestamp_ok,
                                 "an RFC 3339 UTC timestamp "
                                 "(2024-01-01T00:00:00.000000Z)",
                                 &policy->update_time, err);
    if (rc < 0) {
        return rc;
    }
    node = vouch__doc_get(doc, root, "globalPolicyEvaluationMode");
    if (node != NULL) {
        int value = 0;
        size_t saved =
            vouch__path_push_key(&path, "globalPolicyEvaluationMode");

        rc = read_enum(doc, node, &path, vouch__global_names,
                       VOUCH__GLOBAL_NAMES, &value, err);
        vouch__path_pop(&path, saved);
        if (rc < 0) {
            return rc;
        }
        policy->global_mode = (vouch_global_policy_mode)value;
    }
    rc = read_patterns(doc, root, &path, policy, err);
    if (rc < 0) {
        return rc;
    }
    for (m = 0; m < VOUCH_RULE_MAP_COUNT; m++) {
        rc = read_rule_map(doc, root, &path, policy, (vouch_rule_map)m, err);
        if (rc < 0) {
            return rc;
        }
    }
    rc = check_one_rule_map(doc, root, policy, err);
    if (rc < 0) {
        return rc;
    }
    node = vouch__doc_get(doc, root, "defaultAdmissionRule");
    vouch__path_push_key(&path, "defaultAdmissionRule");
    if (node == NULL) {
        return vouch__doc_fail(doc, root, &path, err, VOUCH_EINVAL,
                               "required field is missing");
    }
    return read_rule(doc, node, &path, &policy->default_rule, err);
}

VOUCH__MODEL_READER(vouch__policy_reader, policy, read_policy)
VOUCH__MODEL_PARSERS(policy, VOUCH_POLICY_MAX_BYTES, vouch__policy_reader)
