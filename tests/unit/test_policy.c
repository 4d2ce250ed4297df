/*
 * Tests for src/engine/policy.c (include/vouch/policy.h).
 *
 * Sections:
 *   fixtures      vouch_policy_parse + vouch_policy_print on tests/data/
 *                 policies/ (gcloud's examples byte for byte, round
 *                 trips; docs/policy.md section 4)
 *   getters       every getter on parsed and default policies
 *   errors        every invalid-input path: code, line, column, field path
 *   default       vouch_policy_new_default, vouch_policy_set_output_fields
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vouch/jansson.h"
#include "vouch/policy.h"
#include "testutil.h"

static vouch_policy *parse_ok(const char *text, vouch_format format)
{
    vouch_policy *policy = NULL;
    vouch_error err = VOUCH_ERROR_INIT;
    int rc = vouch_policy_parse(&policy, text, strlen(text), format, "t",
                                &err);

    if (rc != 0) {
        fail_msg("parse failed: %s", err.message);
    }
    return policy;
}

static char *print(const vouch_policy *policy, vouch_format format)
{
    char *out = NULL;
    size_t len = 0;

    assert_int_equal(vouch_policy_print(policy, format, &out, &len, NULL), 0);
    assert_non_null(out);
    assert_int_equal(len, strlen(out));
    return out;
}

/* Parse `text` and expect failure `code` at line:column naming `needle`. */
static void expect_error(const char *text, vouch_format format, int code,
                         unsigned line, unsigned column, const char *needle)
{
    vouch_policy *policy = (vouch_policy *)1;
    vouch_error err = VOUCH_ERROR_INIT;
    int rc = vouch_policy_parse(&policy, text, strlen(text), format,
                                "p.doc", &err);

    if (rc != code || err.line != line || err.column != column ||
        strstr(err.message, needle) == NULL) {
        fail_msg("for %s\n got %s %u:%u '%s'\n want %s %u:%u '%s'", text,
                 vouch_code_name(rc), err.line, err.column, err.message,
                 vouch_code_name(code), line, column, needle);
    }
    assert_null(policy);
    assert_string_equal(err.source, "p.doc");
}

/* ---- fixtures --------------------------------------------------------- */

static const char *const fixtures[] = {
    "policies/default.yaml", "policies/default.json",
    "policies/cloudrun.yaml", "policies/cloudrun.json",
    "policies/gke-cluster.yaml", "policies/gke-namespace.yaml",
    "policies/gke-service-account.yaml", "policies/gke-istio.yaml",
};

static void test_policy_fixtures_round_trip(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++) {
        size_t len = 0;
        char *text = testutil_read(fixtures[i], &len);
        vouch_policy *policy = NULL;
        vouch_error err = VOUCH_ERROR_INIT;
        char *yaml;
        char *json;
        vouch_policy *again;
        char *yaml2;
        char *json2;

        assert_int_equal(vouch_policy_parse(&policy, text, len,
                                            VOUCH_FORMAT_AUTO, fixtures[i],
                                            &err), 0);
        yaml = print(policy, VOUCH_FORMAT_YAML);
        json = print(policy, VOUCH_FORMAT_JSON);
        /* YAML -> parse -> print gives the same text in both formats. */
        again = parse_ok(yaml, VOUCH_FORMAT_YAML);
        yaml2 = print(again, VOUCH_FORMAT_YAML);
        json2 = print(again, VOUCH_FORMAT_JSON);
        assert_string_equal(yaml, yaml2);
        assert_string_equal(json, json2);
        vouch_policy_free(again);
        vouch_free(yaml2);
        vouch_free(json2);
        again = parse_ok(json, VOUCH_FORMAT_JSON);
        yaml2 = print(again, VOUCH_FORMAT_YAML);
        json2 = print(again, VOUCH_FORMAT_JSON);
        assert_string_equal(yaml, yaml2);
        assert_string_equal(json, json2);
        assert_int_equal(vouch_policy_pattern_count(again),
                         vouch_policy_pattern_count(policy));
        vouch_policy_free(again);
        vouch_free(yaml2);
        vouch_free(json2);
        vouch_free(yaml);
        vouch_free(json);
        vouch_policy_free(policy);
        free(text);
    }
}

/* gcloud's export of the default policies prints byte for byte
 * (docs/policy.md, section 4). */
static void test_policy_print_matches_gcloud_export(void **state)
{
    static const char *const names[] = { "policies/default.yaml",
                                         "policies/cloudrun.yaml" };
    size_t i;

    (void)state;
    for (i = 0; i < 2; i++) {
        size_t len = 0;
        char *text = testutil_read(names[i], &len);
        vouch_policy *policy = parse_ok(text, VOUCH_FORMAT_YAML);
        char *yaml = print(policy, VOUCH_FORMAT_YAML);

        assert_string_equal(yaml, text);
        vouch_free(yaml);
        vouch_policy_free(policy);
        free(text);
    }
}

static void test_policy_print_json_is_sorted_and_indented(void **state)
{
    size_t len = 0;
    char *text = testutil_read("policies/default.json", &len);
    vouch_policy *policy = parse_ok(text, VOUCH_FORMAT_JSON);
    char *json = print(policy, VOUCH_FORMAT_JSON);

    (void)state;
    assert_string_equal(json,
                        "{\n"
                        "  \"defaultAdmissionRule\": {\n"
                        "    \"enforcementMode\": "
                        "\"ENFORCED_BLOCK_AND_AUDIT_LOG\",\n"
                        "    \"evaluationMode\": \"ALWAYS_ALLOW\"\n"
                        "  },\n"
                        "  \"globalPolicyEvaluationMode\": \"ENABLE\",\n"
                        "  \"name\": \"projects/PROJECT_ID/policy\"\n"
                        "}\n");
    vouch_free(json);
    vouch_policy_free(policy);
    free(text);
}

static void test_policy_print_quotes_like_pyyaml(void **state)
{
    static const char doc[] =
        "{\"description\": \"yes\", \"etag\": \"a: b\\tc\","
        " \"defaultAdmissionRule\": {\"evaluationMode\": 1,"
        " \"enforcementMode\": 2}}";
    vouch_policy *policy = parse_ok(doc, VOUCH_FORMAT_JSON);
    char *yaml = print(policy, VOUCH_FORMAT_YAML);

    (void)state;
    assert_string_equal(yaml, "defaultAdmissionRule:\n"
                              "  enforcementMode: DRYRUN_AUDIT_LOG_ONLY\n"
                              "  evaluationMode: ALWAYS_ALLOW\n"
                              "description: 'yes'\n"
                              "etag: \"a: b\\tc\"\n");
    vouch_free(yaml);
    assert_int_equal(vouch_policy_print(policy, VOUCH_FORMAT_AUTO, &yaml,
                                        NULL, NULL), VOUCH_EINVAL);
    assert_null(yaml);
    vouch_policy_free(policy);
}

/* ---- getters ---------------------------------------------------------- */

static vouch_policy *parse_fixture(const char *rel)
{
    char *text = testutil_read(rel, NULL);
    vouch_policy *policy = parse_ok(text, VOUCH_FORMAT_YAML);

    free(text);
    return policy;
}

/* Entries of one GKE map, and none in the three others. */
static void assert_only_map(const vouch_policy *policy, vouch_rule_map map,
                            size_t count)
{
    size_t m;

    for (m = 0; m < VOUCH_RULE_MAP_COUNT; m++) {
        assert_int_equal(vouch_policy_rule_map_count(policy,
                                                     (vouch_rule_map)m),
                         m == (size_t)map ? count : 0);
    }
}

static void test_policy_getters(void **state)
{
    size_t len = 0;
    vouch_policy *policy = parse_fixture("policies/gke-cluster.yaml");
    const vouch_admission_rule *rule = vouch_policy_default_rule(policy);
    char *text;

    (void)state;
    assert_string_equal(vouch_policy_name(policy),
                        "projects/gke-project/policy");
    assert_null(vouch_policy_description(policy));
    assert_null(vouch_policy_etag(policy));
    assert_null(vouch_policy_update_time(policy));
    assert_int_equal(vouch_policy_global_mode(policy), VOUCH_GLOBAL_DISABLE);
    assert_int_equal(vouch_policy_pattern_count(policy), 2);
    assert_string_equal(vouch_policy_pattern(policy, 1),
                        "gcr.io/gke-release/*");
    assert_null(vouch_policy_pattern(policy, 2));
    assert_int_equal(vouch_pattern_set_count(vouch_policy_patterns(policy)),
                     2);
    assert_true(vouch_pattern_set_match(vouch_policy_patterns(policy),
                                        "gke.gcr.io/a/b", 14) == 0);
    assert_only_map(policy, VOUCH_CLUSTER_ADMISSION_RULES, 2);
    assert_string_equal(vouch_policy_rule_map_key(
                            policy, VOUCH_CLUSTER_ADMISSION_RULES, 0),
                        "us-central1-a.prod-cluster");
    assert_string_equal(
        vouch_admission_rule_attestor(
            vouch_policy_rule_map_rule(policy,
                                       VOUCH_CLUSTER_ADMISSION_RULES, 0),
            0),
        "projects/gke-project/attestors/prod");
    assert_int_equal(vouch_admission_rule_evaluation_mode(
                         vouch_policy_rule_map_rule(
                             policy, VOUCH_CLUSTER_ADMISSION_RULES, 1)),
                     VOUCH_ALWAYS_ALLOW);
    assert_null(vouch_policy_rule_map_key(policy,
                                          VOUCH_CLUSTER_ADMISSION_RULES, 2));
    assert_null(vouch_policy_rule_map_rule(policy, VOUCH_RULE_MAP_COUNT, 0));
    assert_string_equal(vouch_rule_map_field(VOUCH_CLUSTER_ADMISSION_RULES),
                        "clusterAdmissionRules");
    assert_null(vouch_rule_map_field(VOUCH_RULE_MAP_COUNT));
    assert_int_equal(vouch_admission_rule_evaluation_mode(rule),
                     VOUCH_ALWAYS_DENY);
    assert_int_equal(vouch_admission_rule_enforcement_mode(rule),
                     VOUCH_ENFORCED_BLOCK_AND_AUDIT_LOG);
    assert_int_equal(vouch_admission_rule_attestor_count(rule), 0);
    assert_null(vouch_admission_rule_attestor(rule, 0));
    assert_string_equal(vouch_evaluation_mode_name(VOUCH_REQUIRE_ATTESTATION),
                        "REQUIRE_ATTESTATION");
    assert_string_equal(vouch_enforcement_mode_name(
                            VOUCH_DRYRUN_AUDIT_LOG_ONLY),
                        "DRYRUN_AUDIT_LOG_ONLY");
    vouch_policy_free(policy);

    policy = parse_fixture("policies/gke-namespace.yaml");
    assert_only_map(policy, VOUCH_KUBERNETES_NAMESPACE_ADMISSION_RULES, 2);
    assert_string_equal(
        vouch_policy_rule_map_key(
            policy, VOUCH_KUBERNETES_NAMESPACE_ADMISSION_RULES, 1), "prod");
    vouch_policy_free(policy);
    policy = parse_fixture("policies/gke-service-account.yaml");
    assert_only_map(policy, VOUCH_KUBERNETES_SERVICE_ACCOUNT_ADMISSION_RULES,
                    2);
    vouch_policy_free(policy);
    policy = parse_fixture("policies/gke-istio.yaml");
    assert_only_map(policy, VOUCH_ISTIO_SERVICE_IDENTITY_ADMISSION_RULES, 2);
    assert_int_equal(
        vouch_admission_rule_attestor_count(vouch_policy_rule_map_rule(
            policy, VOUCH_ISTIO_SERVICE_IDENTITY_ADMISSION_RULES, 0)),
        2);
    vouch_policy_free(policy);

    text = testutil_read("policies/cloudrun.json", &len);
    policy = parse_ok(text, VOUCH_FORMAT_JSON);
    rule = vouch_policy_default_rule(policy);
    assert_int_equal(vouch_admission_rule_attestor_count(rule), 2);
    assert_string_equal(vouch_admission_rule_attestor(rule, 1),
                        "projects/my-project/attestors/qa");
    assert_string_equal(vouch_policy_update_time(policy),
                        "2024-06-30T12:34:56.123456789Z");
    assert_string_equal(vouch_policy_etag(policy), "\"Zm9vYmFy\"");
    vouch_policy_free(policy);
    free(text);
}

/* ---- errors ----------------------------------------------------------- */

#define RULE "defaultAdmissionRule:\n  evaluationMode: ALWAYS_ALLOW\n" \
             "  enforcementMode: ENFORCED_BLOCK_AND_AUDIT_LOG\n"

static void test_policy_parse_rejects_unknown_enum(void **state)
{
    (void)state;
    expect_error("defaultAdmissionRule:\n  evaluationMode: ALWAYS\n"
                 "  enforcementMode: ENFORCED_BLOCK_AND_AUDIT_LOG\n",
                 VOUCH_FORMAT_YAML, VOUCH_EINVAL, 2, 19,
                 "defaultAdmissionRule.evaluationMode: unknown value "
                 "'ALWAYS', expected one of ALWAYS_ALLOW, "
                 "REQUIRE_ATTESTATION, ALWAYS_DENY");
    expect_error("defaultAdmissionRule:\n  evaluationMode: ALWAYS_ALLOW\n"
                 "  enforcementMode: BLOCK\n",
                 VOUCH_FORMAT_YAML, VOUCH_EINVAL, 3, 20,
                 "defaultAdmissionRule.enforcementMode: unknown value "
                 "'BLOCK'");
    expect_error(RULE "globalPolicyEvaluationMode: ON\n", VOUCH_FORMAT_YAML,
                 VOUCH_EINVAL, 4, 29, "globalPolicyEvaluationMode: unknown "
                 "value 'ON', expected one of ENABLE, DISABLE");
}

static void test_policy_parse_rejects_unspecified(void **state)
{
    (void)state;
    expect_error("defaultAdmissionRule:\n"
                 "  evaluationMode: EVALUATION_MODE_UNSPECIFIED\n"
                 "  enforcementMode: ENFORCED_BLOCK_AND_AUDIT_LOG\n",
                 VOUCH_FORMAT_YAML, VOUCH_EINVAL, 2, 19,
                 "defaultAdmissionRule.evaluationMode: "
                 "EVALUATION_MODE_UNSPECIFIED is not allowed");
    expect_error("{\"defaultAdmissionRule\": {\"evaluationMode\": 1,\n"
                 " \"enforcementMode\": 0}}",
                 VOUCH_FORMAT_JSON, VOUCH_EINVAL, 2, 21,
                 "defaultAdmissionRule.enforcementMode: "
                 "ENFORCEMENT_MODE_UNSPECIFIED is not allowed");
    expect_error("{\"defaultAdmissionRule\": {\"evaluationMode\": 4,"
                 " \"enforcementMode\": 1}}",
                 VOUCH_FORMAT_JSON, VOUCH_EINVAL, 1, 45,
                 "defaultAdmissionRule.evaluationMode: number is over the "
                 "maximum of 3");
    /* Numbers are a JSON-only spelling. */
    expect_error("defaultAdmissionRule:\n  evaluationMode: 1\n"
                 "  enforcementMode: 1\n", VOUCH_FORMAT_YAML, VOUCH_EINVAL,
                 2, 19, "defaultAdmissionRule.evaluationMode: expected a "
                 "string, found a number");
}

static void test_policy_parse_requires_fields(void **state)
{
    (void)state;
    expect_error("name: projects/p/policy\n", VOUCH_FORMAT_YAML, VOUCH_EINVAL,
                 1, 1, "defaultAdmissionRule: required field is missing");
    expect_error("defaultAdmissionRule:\n  evaluationMode: ALWAYS_ALLOW\n",
                 VOUCH_FORMAT_YAML, VOUCH_EINVAL, 2, 3,
                 "defaultAdmissionRule.enforcementMode: required field is "
                 "missing");
    expect_error("defaultAdmissionRule: 7\n", VOUCH_FORMAT_YAML,
                 VOUCH_EINVAL, 1, 23,
                 "defaultAdmissionRule: expected a mapping, found a number");
    expect_error("[1]", VOUCH_FORMAT_JSON, VOUCH_EINVAL, 1, 2,
                 "a policy must be a mapping");
}

static void test_policy_parse_rejects_unknown_field(void **state)
{
    (void)state;
    expect_error(RULE "colour: blue\n", VOUCH_FORMAT_YAML, VOUCH_EINVAL, 4, 1,
                 "colour: unknown field");
    expect_error("defaultAdmissionRule:\n  evaluationMode: ALWAYS_ALLOW\n"
                 "  enforcementMode: ENFORCED_BLOCK_AND_AUDIT_LOG\n"
                 "  extra: 1\n", VOUCH_FORMAT_YAML, VOUCH_EINVAL, 4, 3,
                 "defaultAdmissionRule.extra: unknown field");
    expect_error(RULE "admissionWhitelistPatterns:\n- name: x\n",
                 VOUCH_FORMAT_YAML, VOUCH_EINVAL, 5, 3,
                 "admissionWhitelistPatterns[0].name: unknown field");
}

static void test_policy_parse_checks_attestor_list(void **state)
{
    (void)state;
    expect_error("defaultAdmissionRule:\n"
                 "  evaluationMode: REQUIRE_ATTESTATION\n"
                 "  enforcementMode: ENFORCED_BLOCK_AND_AUDIT_LOG\n",
                 VOUCH_FORMAT_YAML, VOUCH_EINVAL, 2, 3,
                 "defaultAdmissionRule.requireAttestationsBy: must name at "
                 "least one attestor when evaluationMode is "
                 "REQUIRE_ATTESTATION");
    expect_error("defaultAdmissionRule:\n"
                 "  evaluationMode: ALWAYS_DENY\n"
                 "  enforcementMode: ENFORCED_BLOCK_AND_AUDIT_LOG\n"
                 "  requireAttestationsBy: [projects/p/attestors/a]\n",
                 VOUCH_FORMAT_YAML, VOUCH_EINVAL, 4, 27,
                 "defaultAdmissionRule.requireAttestationsBy: must be empty "
                 "when evaluationMode is ALWAYS_DENY");
    expect_error("defaultAdmissionRule:\n"
                 "  evaluationMode: REQUIRE_ATTESTATION\n"
                 "  enforcementMode: ENFORCED_BLOCK_AND_AUDIT_LOG\n"
                 "  requireAttestationsBy:\n"
                 "  - projects/p/attestors/a\n"
                 "  - projects/p/attestor/b\n",
                 VOUCH_FORMAT_YAML, VOUCH_EINVAL, 6, 5,
                 "defaultAdmissionRule.requireAttestationsBy[1]: "
                 "'projects/p/attestor/b' is not an attestor name");
    expect_error("defaultAdmissionRule:\n"
                 "  evaluationMode: REQUIRE_ATTESTATION\n"
                 "  enforcementMode: ENFORCED_BLOCK_AND_AUDIT_LOG\n"
                 "  requireAttestationsBy:\n"
                 "  - projects/p/attestors/a\n"
                 "  - projects/p/attestors/a\n",
                 VOUCH_FORMAT_YAML, VOUCH_EINVAL, 6, 5,
                 "defaultAdmissionRule.requireAttestationsBy[1]: attestor "
                 "projects/p/attestors/a is listed twice");
    expect_error("defaultAdmissionRule:\n"
                 "  evaluationMode: REQUIRE_ATTESTATION\n"
                 "  enforcementMode: ENFORCED_BLOCK_AND_AUDIT_LOG\n"
                 "  requireAttestationsBy: projects/p/attestors/a\n",
                 VOUCH_FORMAT_YAML, VOUCH_EINVAL, 4, 26,
                 "defaultAdmissionRule.requireAttestationsBy: expected a "
                 "list, found a string");
    expect_error("defaultAdmissionRule:\n"
                 "  evaluationMode: REQUIRE_ATTESTATION\n"
                 "  enforcementMode: ENFORCED_BLOCK_AND_AUDIT_LOG\n"
                 "  requireAttestationsBy: [projects//attestors/a]\n",
                 VOUCH_FORMAT_YAML, VOUCH_EINVAL, 4, 27,
                 "is not an attestor name");
}

static void test_policy_parse_checks_scalar_fields(void **state)
{
    (void)state;
    expect_error(RULE "name: projects/p/policies\n", VOUCH_FORMAT_YAML,
                 VOUCH_EINVAL, 4, 7, "name: 'projects/p/policies' is not a "
                 "policy name");
    expect_error(RULE "name: projects/a/b/policy\n", VOUCH_FORMAT_YAML,
                 VOUCH_EINVAL, 4, 7, "is not a policy name");
    expect_error(RULE "updateTime: '2024-02-30T00:00:00Z'\n",
                 VOUCH_FORMAT_YAML, VOUCH_EINVAL, 4, 14,
                 "updateTime: '2024-02-30T00:00:00Z' is not an RFC 3339");
    expect_error(RULE "updateTime: '2024-01-01T00:00:00.1234567890Z'\n",
                 VOUCH_FORMAT_YAML, VOUCH_EINVAL, 4, 14, "updateTime");
    expect_error(RULE "updateTime: '2024-01-01T00:00:00+01:00'\n",
                 VOUCH_FORMAT_YAML, VOUCH_EINVAL, 4, 14, "updateTime");
    expect_error(RULE "description: true\n", VOUCH_FORMAT_YAML, VOUCH_EINVAL,
                 4, 14, "description: expected a string, found a boolean");
    expect_error(RULE "etag: ~\n", VOUCH_FORMAT_YAML, VOUCH_EINVAL, 4, 7,
                 "etag: expected a string, found null");
    expect_error("{\"defaultAdmissionRule\": {\"evaluationMode\": 1,"
                 " \"enforcementMode\": 1}, \"etag\": 5}",
                 VOUCH_FORMAT_JSON, VOUCH_EINVAL, 1, 79,
                 "etag: expected a string, found a number");
}

static void test_policy_parse_reports_pattern_column(void **state)
{
    (void)state;
    /* The fault is the '*' in the registry, at column 17 of the line. */
    expect_error(RULE "admissionWhitelistPatterns:\n- namePattern: g*r.io/x\n",
                 VOUCH_FORMAT_YAML, VOUCH_EINVAL, 5, 17,
                 "admissionWhitelistPatterns[0].namePattern: ");
    expect_error(RULE "admissionWhitelistPatterns:\n"
                 "- namePattern: gcr.io/x/*\n"
                 "- namePattern: \"gcr.io/n*x\"\n",
                 VOUCH_FORMAT_YAML, VOUCH_EINVAL, 6, 25,
                 "admissionWhitelistPatterns[1].namePattern: ");
    expect_error(RULE "admissionWhitelistPatterns:\n- {}\n",
                 VOUCH_FORMAT_YAML, VOUCH_EINVAL, 4, 1,
                 "admissionWhitelistPatterns[0].namePattern: required field");
    expect_error(RULE "admissionWhitelistPatterns: {}\n",
                 VOUCH_FORMAT_YAML, VOUCH_EINVAL, 4, 1,
                 "admissionWhitelistPatterns: expected a list, found a "
                 "mapping");
}

static void test_policy_parse_checks_rule_map_keys(void **state)
{
    (void)state;
    expect_error(RULE "clusterAdmissionRules:\n  nodot:\n"
                 "    evaluationMode: ALWAYS_ALLOW\n"
                 "    enforcementMode: ENFORCED_BLOCK_AND_AUDIT_LOG\n",
                 VOUCH_FORMAT_YAML, VOUCH_EINVAL, 5, 3,
                 "clusterAdmissionRules: key 'nodot' is not LOCATION.");
    expect_error(RULE "kubernetesNamespaceAdmissionRules:\n  Bad_NS:\n"
                 "    evaluationMode: ALWAYS_ALLOW\n"
                 "    enforcementMode: ENFORCED_BLOCK_AND_AUDIT_LOG\n",
                 VOUCH_FORMAT_YAML, VOUCH_EINVAL, 5, 3,
                 "kubernetesNamespaceAdmissionRules: key 'Bad_NS'");
    expect_error(RULE "kubernetesServiceAccountAdmissionRules:\n  ns-only:\n"
                 "    evaluationMode: ALWAYS_ALLOW\n"
                 "    enforcementMode: ENFORCED_BLOCK_AND_AUDIT_LOG\n",
                 VOUCH_FORMAT_YAML, VOUCH_EINVAL, 5, 3,
                 "kubernetesServiceAccountAdmissionRules: key 'ns-only'");
    expect_error(RULE "istioServiceIdentityAdmissionRules:\n"
                 "  spiffe://d/ns/n/x/s:\n"
                 "    evaluationMode: ALWAYS_ALLOW\n"
                 "    enforcementMode: ENFORCED_BLOCK_AND_AUDIT_LOG\n",
                 VOUCH_FORMAT_YAML, VOUCH_EINVAL, 5, 3,
                 "istioServiceIdentityAdmissionRules: key");
    /* The value of a map entry is validated as an AdmissionRule. */
    expect_error(RULE "clusterAdmissionRules:\n  us-east1.c1:\n"
                 "    evaluationMode: REQUIRE_ATTESTATION\n"
                 "    enforcementMode: ENFORCED_BLOCK_AND_AUDIT_LOG\n",
                 VOUCH_FORMAT_YAML, VOUCH_EINVAL, 6, 5,
                 "clusterAdmissionRules[\"us-east1.c1\"]"
                 ".requireAttestationsBy: must name at least one");
}

#define ALLOW_RULE \
    "    evaluationMode: ALWAYS_ALLOW\n" \
    "    enforcementMode: ENFORCED_BLOCK_AND_AUDIT_LOG\n"

/* Google's reference: at most one of the four maps is non-empty. The
 * error names both fields, at the second one in the document. */
static void test_policy_parse_allows_one_rule_map(void **state)
{
    static const char json[] =
        "{\"defaultAdmissionRule\": {\"evaluationMode\": \"ALWAYS_ALLOW\",\n"
        "  \"enforcementMode\": \"ENFORCED_BLOCK_AND_AUDIT_LOG\"},\n"
        " \"istioServiceIdentityAdmissionRules\": {\"d/ns/n/sa/s\": {\n"
        "  \"evaluationMode\": \"ALWAYS_DENY\",\n"
        "  \"enforcementMode\": \"ENFORCED_BLOCK_AND_AUDIT_LOG\"}},\n"
        " \"clusterAdmissionRules\": {\"us-east1.c1\": {\n"
        "  \"evaluationMode\": \"ALWAYS_DENY\",\n"
        "  \"enforcementMode\": \"ENFORCED_BLOCK_AND_AUDIT_LOG\"}}}\n";
    vouch_policy *policy;

    (void)state;
    expect_error(RULE "clusterAdmissionRules:\n  us-east1.c1:\n" ALLOW_RULE
                 "kubernetesNamespaceAdmissionRules:\n  prod:\n" ALLOW_RULE,
                 VOUCH_FORMAT_YAML, VOUCH_EINVAL, 8, 1,
                 "kubernetesNamespaceAdmissionRules: cannot be set together "
                 "with clusterAdmissionRules: a policy sets at most one of "
                 "clusterAdmissionRules, kubernetesNamespaceAdmissionRules, "
                 "kubernetesServiceAccountAdmissionRules and "
                 "istioServiceIdentityAdmissionRules");
    /* The order of the document decides which one is named first. */
    expect_error(json, VOUCH_FORMAT_JSON, VOUCH_EINVAL, 6, 3,
                 "clusterAdmissionRules: cannot be set together with "
                 "istioServiceIdentityAdmissionRules");
    /* Empty or null maps are not set. */
    policy = parse_ok(RULE "clusterAdmissionRules: {}\n"
                      "kubernetesServiceAccountAdmissionRules:\n"
                      "istioServiceIdentityAdmissionRules:\n"
                      "  d/ns/n/sa/s:\n" ALLOW_RULE, VOUCH_FORMAT_YAML);
    assert_int_equal(vouch_policy_rule_map_count(
                         policy, VOUCH_ISTIO_SERVICE_IDENTITY_ADMISSION_RULES),
                     1);
    vouch_policy_free(policy);
}

/* Keys as Google defines them, valid and not, per map. */
static void test_policy_parse_checks_rule_map_key_forms(void **state)
{
    static const struct {
        const char *field;
        const char *key;
        bool ok;
    } cases[] = {
        { "clusterAdmissionRules", "us-central1-a.prod-cluster", true },
        { "clusterAdmissionRules", "us-central1.c", true },
        /* A cluster name has at most 40 bytes. */
        { "clusterAdmissionRules", "europe-west4.a12345678901234567890"
                                   "1234567890123456789", true },
        { "clusterAdmissionRules", "europe-west4.a12345678901234567890"
                                   "12345678901234567890", false },
        { "clusterAdmissionRules", "us-east1.prod-", false },
        { "clusterAdmissionRules", "us-east1.1prod", false },
        { "clusterAdmissionRules", "1us.prod", false },
        { "clusterAdmissionRules", "us-east1.prod.x", false },
        { "clusterAdmissionRules", "US-EAST1.prod", false },
        { "clusterAdmissionRules", ".prod", false },
        { "kubernetesNamespaceAdmissionRules", "team.a-b", true },
        { "kubernetesNamespaceAdmissionRules", "team1", false },
        { "kubernetesServiceAccountAdmissionRules", "prod:deployer-1", true },
        { "kubernetesServiceAccountAdmissionRules", "prod:", false },
        { "kubernetesServiceAccountAdmissionRules", ":sa", false },
        { "kubernetesServiceAccountAdmissionRules", "prod:Deployer", false },
        { "istioServiceIdentityAdmissionRules",
          "spiffe://cluster.local/ns/prod/sa/api", true },
        { "istioServiceIdentityAdmissionRules", "cluster.local/ns/prod/sa/api",
          true },
        { "istioServiceIdentityAdmissionRules", "spiffe://d/ns/prod/sa/",
          false },
        { "istioServiceIdentityAdmissionRules", "d/ns/prod/sa/api/x", false },
        { "istioServiceIdentityAdmissionRules", "d/sa/api/ns/prod", false },
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char doc[512];
        vouch_policy *policy = NULL;
        vouch_error err = VOUCH_ERROR_INIT;
        int rc;

        snprintf(doc, sizeof(doc), RULE "%s:\n  \"%s\":\n" ALLOW_RULE,
                 cases[i].field, cases[i].key);
        rc = vouch_policy_parse(&policy, doc, strlen(doc), VOUCH_FORMAT_YAML,
                                "p.doc", &err);
        if ((rc == 0) != cases[i].ok) {
            fail_msg("%s key '%s': got %s (%s)", cases[i].field,
                     cases[i].key, vouch_code_name(rc), err.message);
        }
        if (rc != 0) {
            assert_int_equal(rc, VOUCH_EINVAL);
            assert_int_equal(err.line, 5);
            assert_non_null(strstr(err.message, "is not"));
        }
        vouch_policy_free(policy);
    }
}

/* `field` with one key built from `parts` (each run: a text, or a byte
 * repeated), parsed from YAML: 0 or the error code. With `round_trip`, a
 * parsed policy must print as YAML and JSON that read back the same. */
typedef struct key_run {
    const char *text;
    char byte;
    size_t count;
} key_run;

static int parse_long_key(const char *field, const key_run *runs,
                          size_t nruns, bool round_trip)
{
    char key[1200];
    char doc[1600];
    size_t used = 0;
    vouch_policy *policy = NULL;
    vouch_error err = VOUCH_ERROR_INIT;
    int rc;

    for (size_t i = 0; i < nruns; i++) {
        if (runs[i].text != NULL) {
            used += (size_t)snprintf(key + used, sizeof(key) - used, "%s",
                                     runs[i].text);
        } else {
            memset(key + used, runs[i].byte, runs[i].count);
            used += runs[i].count;
        }
    }
    key[used] = '\0';
    snprintf(doc, sizeof(doc), RULE "%s:\n  %s:\n" ALLOW_RULE, field, key);
    rc = vouch_policy_parse(&policy, doc, strlen(doc), VOUCH_FORMAT_YAML,
                            "p.doc", &err);
    if (rc != 0) {
        assert_non_null(strstr(err.message, "is not"));
        return rc;
    }
    if (round_trip) {
        for (int f = 0; f < 2; f++) {
            vouch_format format = f == 0 ? VOUCH_FORMAT_YAML
                                         : VOUCH_FORMAT_JSON;
            char *text = print(policy, format);
            vouch_policy *again = parse_ok(text, format);
            char *text2 = print(again, format);

            assert_string_equal(text, text2);
            assert_non_null(strstr(text, key));
            vouch_free(text);
            vouch_free(text2);
            vouch_policy_free(again);
        }
    }
    vouch_policy_free(policy);
    return 0;
}

/* The names behind the keys are as long as Kubernetes, GKE and SPIFFE let
 * them be, and no longer: so the longest key still prints as a YAML key
 * (at most 1,024 characters) and reads back. fuzz_policy_json found a
 * 1,142-character Istio key that printed as YAML no reader takes. */
static void test_policy_rule_map_keys_have_their_names_lengths(void **state)
{
    static const char *const istio = "istioServiceIdentityAdmissionRules";
    static const char *const sa = "kubernetesServiceAccountAdmissionRules";
    static const char *const ns = "kubernetesNamespaceAdmissionRules";
    static const char *const cluster = "clusterAdmissionRules";

    (void)state;
    {
        key_run longest[] = { { "spiffe://", 0, 0 }, { NULL, 'd', 255 },
                              { "/ns/", 0, 0 }, { NULL, 'n', 63 },
                              { "/sa/", 0, 0 }, { NULL, 's', 253 } };
        key_run domain[] = { { NULL, 'd', 256 }, { "/ns/n/sa/s", 0, 0 } };
        key_run name_space[] = { { "d/ns/", 0, 0 }, { NULL, 'n', 64 },
                                 { "/sa/s", 0, 0 } };
        key_run account[] = { { "d/ns/n/sa/", 0, 0 }, { NULL, 's', 254 } };
        key_run odd[] = { { "d(1)/ns/n/sa/s", 0, 0 } };

        assert_int_equal(parse_long_key(istio, longest, 6, true), 0);
        assert_int_equal(parse_long_key(istio, domain, 2, false),
                         VOUCH_EINVAL);
        assert_int_equal(parse_long_key(istio, name_space, 3, false),
                         VOUCH_EINVAL);
        assert_int_equal(parse_long_key(istio, account, 2, false),
                         VOUCH_EINVAL);
        assert_int_equal(parse_long_key(istio, odd, 1, false), VOUCH_EINVAL);
    }
    {
        key_run longest[] = { { NULL, 'n', 63 }, { ":", 0, 0 },
                              { NULL, 's', 253 } };
        key_run name_space[] = { { NULL, 'n', 64 }, { ":s", 0, 0 } };
        key_run account[] = { { "n:", 0, 0 }, { NULL, 's', 254 } };

        assert_int_equal(parse_long_key(sa, longest, 3, true), 0);
        assert_int_equal(parse_long_key(sa, name_space, 2, false),
                         VOUCH_EINVAL);
        assert_int_equal(parse_long_key(sa, account, 2, false),
                         VOUCH_EINVAL);
    }
    {
        key_run longest[] = { { NULL, 'n', 63 } };
        key_run over[] = { { NULL, 'n', 64 } };
        key_run location[] = { { NULL, 'l', 63 }, { ".c", 0, 0 } };
        key_run far[] = { { NULL, 'l', 64 }, { ".c", 0, 0 } };

        assert_int_equal(parse_long_key(ns, longest, 1, true), 0);
        assert_int_equal(parse_long_key(ns, over, 1, false), VOUCH_EINVAL);
        assert_int_equal(parse_long_key(cluster, location, 2, true), 0);
        assert_int_equal(parse_long_key(cluster, far, 2, false),
                         VOUCH_EINVAL);
    }
}

static void test_policy_parse_rejects_malformed_documents(void **state)
{
    (void)state;
    expect_error("{\"defaultAdmissionRule\": {}, \"defaultAdmissionRule\": {}}",
                 VOUCH_FORMAT_JSON, VOUCH_EPARSE, 1, 51, "duplicate");
    expect_error("{\"a\": }", VOUCH_FORMAT_JSON, VOUCH_EPARSE, 1, 7, "");
    expect_error(RULE "name: a\nname: b\n", VOUCH_FORMAT_YAML, VOUCH_EPARSE,
                 5, 1, "duplicate key");
    expect_error(RULE "description: &a x\n", VOUCH_FORMAT_YAML,
                 VOUCH_EPARSE, 4, 17, "anchors");
    expect_error(RULE "description: !!str x\n", VOUCH_FORMAT_YAML,
                 VOUCH_EPARSE, 4, 20, "tags");
    expect_error(RULE "<<: {}\n", VOUCH_FORMAT_YAML, VOUCH_EPARSE, 4, 1,
                 "merge keys");
    expect_error(RULE "---\n" RULE, VOUCH_FORMAT_YAML, VOUCH_EPARSE, 0, 0,
                 "exactly one document");
    expect_error("", VOUCH_FORMAT_YAML, VOUCH_EPARSE, 0, 0, "empty");
    expect_error("a: [1\n", VOUCH_FORMAT_YAML, VOUCH_EPARSE, 2, 1, "");
    /* Regression (fuzz_policy_yaml): a directive line once hung libfyaml. */
    expect_error(RULE "%    enforcementMode: \xe0\xb1N\n", VOUCH_FORMAT_YAML,
                 VOUCH_EPARSE, 4, 1, "directives are not accepted");
    expect_error("%YAML 1.2\n---\n" RULE, VOUCH_FORMAT_YAML, VOUCH_EPARSE,
                 1, 1, "directives");
}

static void test_policy_parse_enforces_size_limit(void **state)
{
    vouch_policy *policy = NULL;
    vouch_error err = VOUCH_ERROR_INIT;
    static const char small[] = "{}";

    (void)state;
    /* The limit is checked before any byte is read. */
    assert_int_equal(vouch_policy_parse(&policy, small,
                                        VOUCH_POLICY_MAX_BYTES + 1u,
                                        VOUCH_FORMAT_JSON, NULL, &err),
                     VOUCH_ETOOBIG);
    assert_null(policy);
    assert_non_null(strstr(err.message, "over the limit"));
}

static void test_policy_parse_reads_only_len_bytes(void **state)
{
    char *buf;
    size_t len = 0;
    char *text = testutil_read("policies/default.yaml", &len);
    vouch_policy *policy = NULL;

    (void)state;
    buf = malloc(len);
    assert_non_null(buf);
    memcpy(buf, text, len); /* no NUL: ASan catches any read past len */
    assert_int_equal(vouch_policy_parse(&policy, buf, len, VOUCH_FORMAT_AUTO,
                                        NULL, NULL), 0);
    vouch_policy_free(policy);
    free(buf);
    free(text);
}

/* ---- default and output fields ------------------------------------ */

static void test_policy_new_default_matches_spec(void **state)
{
    vouch_policy *policy = NULL;
    vouch_error err = VOUCH_ERROR_INIT;
    size_t len = 0;
    char *text = testutil_read("policies/default.yaml", &len);
    char *yaml;

    (void)state;
    assert_int_equal(vouch_policy_new_default(&policy, "PROJECT_ID", &err), 0);
    yaml = print(policy, VOUCH_FORMAT_YAML);
    assert_string_equal(yaml, text);
    assert_int_equal(vouch_pattern_set_count(vouch_policy_patterns(policy)),
                     0);
    vouch_free(yaml);

    assert_int_equal(vouch_policy_set_output_fields(policy, NULL, "\"e1\"",
                                                    "2024-01-01T00:00:00Z",
                                                    &err), 0);
    assert_string_equal(vouch_policy_name(policy),
                        "projects/PROJECT_ID/policy");
    assert_string_equal(vouch_policy_etag(policy), "\"e1\"");
    assert_int_equal(vouch_policy_set_output_fields(policy, "", "", NULL,
                                                    &err), 0);
    assert_null(vouch_policy_name(policy));
    assert_null(vouch_policy_etag(policy));
    assert_string_equal(vouch_policy_update_time(policy),
                        "2024-01-01T00:00:00Z");
    vouch_policy_free(policy);
    free(text);

    assert_int_equal(vouch_policy_new_default(&policy, "", &err),
                     VOUCH_EINVAL);
    assert_null(policy);
    assert_int_equal(vouch_policy_new_default(&policy, "a/b", &err),
                     VOUCH_EINVAL);
    assert_null(policy);
    vouch_policy_free(NULL);
}

/* A JSON body already read by jansson, and the same body as text: one
 * model, one rule set; the text's error has a position, the value's not. */
static void test_policy_from_json_value(void **state)
{
    static const char text[] =
        "{\"defaultAdmissionRule\": {\"evaluationMode\": 1,\n"
        " \"enforcementMode\": \"ENFORCED_BLOCK_AND_AUDIT_LOG\"},\n"
        " \"globalPolicyEvaluationMode\": \"ENABLE\"}";
    json_t *value = json_loads(text, 0, NULL);
    vouch_policy *policy = NULL;
    vouch_policy *again;
    vouch_error err = VOUCH_ERROR_INIT;
    char *a;
    char *b;

    (void)state;
    assert_int_equal(vouch_policy_from_json_value(&policy, value, "body",
                                                  &err), 0);
    again = parse_ok(text, VOUCH_FORMAT_JSON);
    a = print(policy, VOUCH_FORMAT_JSON);
    b = print(again, VOUCH_FORMAT_JSON);
    assert_string_equal(a, b);
    vouch_free(a);
    vouch_free(b);
    vouch_policy_free(again);
    vouch_policy_free(policy);

    json_object_set_new(json_object_get(value, "defaultAdmissionRule"),
                        "enforcementMode", json_string("LOUD"));
    policy = (vouch_policy *)1;
    assert_int_equal(vouch_policy_from_json_value(&policy, value, "body",
                                                  &err), VOUCH_EINVAL);
    assert_null(policy);
    assert_int_equal(err.line, 0);
    assert_contains(err.message, "defaultAdmissionRule.enforcementMode: "
                                 "unknown value 'LOUD'");
    /* The same fault in text: the path, and where it is. */
    expect_error("{\"defaultAdmissionRule\": {\"evaluationMode\": 1,\n"
                 " \"enforcementMode\": \"LOUD\"}}", VOUCH_FORMAT_JSON,
                 VOUCH_EINVAL, 2, 22,
                 "defaultAdmissionRule.enforcementMode: unknown value "
                 "'LOUD'");
    json_decref(value);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_policy_fixtures_round_trip),
        cmocka_unit_test(test_policy_print_matches_gcloud_export),
        cmocka_unit_test(test_policy_print_json_is_sorted_and_indented),
        cmocka_unit_test(test_policy_print_quotes_like_pyyaml),
        cmocka_unit_test(test_policy_getters),
        cmocka_unit_test(test_policy_parse_rejects_unknown_enum),
        cmocka_unit_test(test_policy_parse_rejects_unspecified),
        cmocka_unit_test(test_policy_parse_requires_fields),
        cmocka_unit_test(test_policy_parse_rejects_unknown_field),
        cmocka_unit_test(test_policy_parse_checks_attestor_list),
        cmocka_unit_test(test_policy_parse_checks_scalar_fields),
        cmocka_unit_test(test_policy_parse_reports_pattern_column),
        cmocka_unit_test(test_policy_parse_checks_rule_map_keys),
        cmocka_unit_test(test_policy_parse_allows_one_rule_map),
        cmocka_unit_test(test_policy_parse_checks_rule_map_key_forms),
        cmocka_unit_test(test_policy_rule_map_keys_have_their_names_lengths),
        cmocka_unit_test(test_policy_parse_rejects_malformed_documents),
        cmocka_unit_test(test_policy_parse_enforces_size_limit),
        cmocka_unit_test(test_policy_parse_reads_only_len_bytes),
        cmocka_unit_test(test_policy_new_default_matches_spec),
        cmocka_unit_test(test_policy_from_json_value),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
