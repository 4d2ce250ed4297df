/*
 * Tests for src/engine/rule_map.c (rule_map.h) and the decisions it drives
 * in src/engine/evaluate.c: the GKE rule maps of a policy, consulted when
 * vouch_evaluate() is given a Kubernetes context (docs/policy.md,
 * "Kubernetes rule maps").
 *
 * Sections:
 *   keys      vouch__rule_map_key_matches: each map's key against a
 *             context, defaults (service account, trust domain), both
 *             Istio forms, a context lacking what the map needs
 *   rules     vouch_evaluate with a context: every rule kind, the entry
 *             named in the reasons and by vouch_decision_rule(), missing
 *             entries (default rule), the rule's dry run, a tag under a
 *             rule needing attestations
 *   order     exempt patterns and the system policy before the rule maps
 *   versions  version-1 input and no context: exactly today's decision;
 *             a context of an unknown version is refused
 *
 * Fixtures: tests/data/core (attestor att-a and its key) and
 * tests/data/attestations/a-good.json (an attestation of IMAGE_A by att-a).
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

#include "vouch/vouch.h"
#include "rule_map.h"
#include "testutil.h"

#define DIGEST_A \
    "sha256:527584eb3a3ee27717e6cced437e86c83cee6c6be183a8d109fbddf9b875faf7"
#define IMAGE_A "gcr.io/core-proj/app@" DIGEST_A
#define ATT_A "projects/core-proj/attestors/att-a"

#define ENFORCED "ENFORCED_BLOCK_AND_AUDIT_LOG"
#define DRYRUN "DRYRUN_AUDIT_LOG_ONLY"

/* ---- helpers ------------------------------------------------------------ */

typedef struct fixture {
    vouch_attestor *attestor;
    vouch_attestation *occ;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    f->attestor = testutil_attestor("attestor-a.json");
    f->occ = testutil_attestation("a-good.json");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;

    vouch_attestor_free(f->attestor);
    vouch_attestation_free(f->occ);
    free(f);
    return 0;
}

/* A rule (YAML, indented under a map key) of `mode` and `enforcement`;
 * REQUIRE_ATTESTATION requires att-a. */
static void rule_yaml(char *out, size_t size, const char *indent,
                      const char *mode, const char *enforcement)
{
    bool attested = strcmp(mode, "REQUIRE_ATTESTATION") == 0;

    snprintf(out, size, "%sevaluationMode: %s\n%senforcementMode: %s\n%s%s",
             indent, mode, indent, enforcement, attested ? indent : "",
             attested ? "requireAttestationsBy: [\"" ATT_A "\"]\n" : "");
}

/*
 * A policy whose default rule is `default_mode` and whose map `field` has
 * one entry per key in `keys` (NULL-terminated), all `mode`/`enforcement`.
 * `extra` is appended as is (patterns, globalPolicyEvaluationMode).
 */
static vouch_policy *make_policy(const char *default_mode,
                                 const char *field,
                                 const char *const *keys, const char *mode,
                                 const char *enforcement, const char *extra)
{
    char doc[4096];
    char rule[512];
    size_t n;
    size_t i;
    vouch_policy *policy = NULL;
    vouch_error err = VOUCH_ERROR_INIT;

    rule_yaml(rule, sizeof(rule), "  ", default_mode, ENFORCED);
    n = (size_t)snprintf(doc, sizeof(doc), "defaultAdmissionRule:\n%s%s",
                         rule, extra != NULL ? extra : "");
    if (field != NULL) {
        n += (size_t)snprintf(doc + n, sizeof(doc) - n, "%s:\n", field);
        rule_yaml(rule, sizeof(rule), "    ", mode, enforcement);
        for (i = 0; keys[i] != NULL; i++) {
            n += (size_t)snprintf(doc + n, sizeof(doc) - n, "  \"%s\":\n%s",
                                  keys[i], rule);
        }
    }
    if (vouch_policy_parse(&policy, doc, strlen(doc), VOUCH_FORMAT_YAML,
                           "policy", &err) != 0) {
        fail_msg("%s\n%s", err.message, doc);
    }
    return policy;
}

/* Decide `image` (with att-a and its attestation at hand) in `ctx`. */
static vouch_decision *decide(const fixture *f, const vouch_policy *policy,
                              const vouch_policy *system_policy,
                              const char *image,
                              const vouch_kubernetes_context *ctx)
{
    const char *images[1];
    const vouch_attestor *attestors[1];
    const vouch_attestation *occs[1];
    vouch_evaluation_input in = VOUCH_EVALUATION_INPUT_INIT;
    vouch_decision *d = NULL;
    vouch_error err = VOUCH_ERROR_INIT;

    images[0] = image;
    attestors[0] = f->attestor;
    occs[0] = f->occ;
    in.policy = policy;
    in.system_policy = system_policy;
    in.images = images;
    in.image_count = 1;
    in.attestors = attestors;
    in.attestor_count = 1;
    in.attestations = occs;
    in.attestation_count = 1;
    in.kubernetes = ctx;
    if (vouch_evaluate(&d, &in, &err) != 0) {
        fail_msg("vouch_evaluate: %s", err.message);
    }
    return d;
}

static vouch_kubernetes_context context(const char *cluster,
                                        const char *ns, const char *sa,
                                        const char *trust_domain)
{
    vouch_kubernetes_context ctx = VOUCH_KUBERNETES_CONTEXT_INIT;

    ctx.cluster = cluster;
    ctx.namespace_name = ns;
    ctx.service_account = sa;
    ctx.trust_domain = trust_domain;
    return ctx;
}

/* ---- keys --------------------------------------------------------------- */

static void test_rule_map_keys_match_their_context(void **state)
{
    vouch_kubernetes_context prod = context("us-east1-b.prod", "prod",
                                            "deployer", NULL);
    vouch_kubernetes_context bare = context(NULL, NULL, NULL, NULL);
    vouch_kubernetes_context unset_sa = context(NULL, "prod", "", "");
    vouch_kubernetes_context mesh = context(NULL, "prod", "api",
                                            "example.org");

    (void)state;
    assert_true(vouch__rule_map_key_matches(VOUCH_CLUSTER_ADMISSION_RULES,
                                            "us-east1-b.prod", &prod));
    assert_false(vouch__rule_map_key_matches(VOUCH_CLUSTER_ADMISSION_RULES,
                                             "us-east1-b.pro", &prod));
    assert_false(vouch__rule_map_key_matches(VOUCH_CLUSTER_ADMISSION_RULES,
                                             "us-east1-b.prod", &bare));
    assert_true(vouch__rule_map_key_matches(
        VOUCH_KUBERNETES_NAMESPACE_ADMISSION_RULES, "prod", &prod));
    assert_false(vouch__rule_map_key_matches(
        VOUCH_KUBERNETES_NAMESPACE_ADMISSION_RULES, "prod", &bare));
    assert_true(vouch__rule_map_key_matches(
        VOUCH_KUBERNETES_SERVICE_ACCOUNT_ADMISSION_RULES, "prod:deployer",
        &prod));
    assert_false(vouch__rule_map_key_matches(
        VOUCH_KUBERNETES_SERVICE_ACCOUNT_ADMISSION_RULES, "prod:default",
        &prod));
    assert_false(vouch__rule_map_key_matches(
        VOUCH_KUBERNETES_SERVICE_ACCOUNT_ADMISSION_RULES, "pro:deployer",
        &prod));
    /* An unset service account is "default". */
    assert_true(vouch__rule_map_key_matches(
        VOUCH_KUBERNETES_SERVICE_ACCOUNT_ADMISSION_RULES, "prod:default",
        &unset_sa));
    /* Istio: both forms; the trust domain defaults to cluster.local. */
    assert_true(vouch__rule_map_key_matches(
        VOUCH_ISTIO_SERVICE_IDENTITY_ADMISSION_RULES,
        "spiffe://example.org/ns/prod/sa/api", &mesh));
    assert_true(vouch__rule_map_key_matches(
        VOUCH_ISTIO_SERVICE_IDENTITY_ADMISSION_RULES,
        "example.org/ns/prod/sa/api", &mesh));
    assert_false(vouch__rule_map_key_matches(
        VOUCH_ISTIO_SERVICE_IDENTITY_ADMISSION_RULES,
        "cluster.local/ns/prod/sa/api", &mesh));
    assert_true(vouch__rule_map_key_matches(
        VOUCH_ISTIO_SERVICE_IDENTITY_ADMISSION_RULES,
        "spiffe://cluster.local/ns/prod/sa/default", &unset_sa));
    assert_false(vouch__rule_map_key_matches(
        VOUCH_ISTIO_SERVICE_IDENTITY_ADMISSION_RULES,
        "example.org/ns/prod/sa/ap", &mesh));
    assert_false(vouch__rule_map_key_matches(VOUCH_RULE_MAP_COUNT, "prod",
                                             &prod));
    /* The public check of a key's form. */
    assert_true(vouch_rule_map_key_valid(VOUCH_CLUSTER_ADMISSION_RULES,
                                         "us-east1-b.prod", 15));
    assert_false(vouch_rule_map_key_valid(VOUCH_CLUSTER_ADMISSION_RULES,
                                          "us-east1-b.prod-", 16));
    assert_false(vouch_rule_map_key_valid(VOUCH_CLUSTER_ADMISSION_RULES,
                                          "nodot", 5));
    assert_false(vouch_rule_map_key_valid(VOUCH_CLUSTER_ADMISSION_RULES,
                                          NULL, 0));
    assert_true(vouch_rule_map_key_valid(
        VOUCH_KUBERNETES_NAMESPACE_ADMISSION_RULES, "prod", 4));
}

/* ---- rules -------------------------------------------------------------- */

static void test_rule_map_every_kind_selects_its_entry(void **state)
{
    static const struct {
        const char *field;
        const char *key;
        vouch_rule_map map;
    } maps[] = {
        { "clusterAdmissionRules", "us-east1-b.prod",
          VOUCH_CLUSTER_ADMISSION_RULES },
        { "kubernetesNamespaceAdmissionRules", "prod",
          VOUCH_KUBERNETES_NAMESPACE_ADMISSION_RULES },
        { "kubernetesServiceAccountAdmissionRules", "prod:deployer",
          VOUCH_KUBERNETES_SERVICE_ACCOUNT_ADMISSION_RULES },
        { "istioServiceIdentityAdmissionRules",
          "spiffe://cluster.local/ns/prod/sa/deployer",
          VOUCH_ISTIO_SERVICE_IDENTITY_ADMISSION_RULES },
        { "istioServiceIdentityAdmissionRules",
          "cluster.local/ns/prod/sa/deployer",
          VOUCH_ISTIO_SERVICE_IDENTITY_ADMISSION_RULES },
    };
    fixture *f = *state;
    vouch_kubernetes_context ctx = context("us-east1-b.prod", "prod",
                                           "deployer", NULL);
    size_t i;

    for (i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
        const char *keys[] = { "zz.other", maps[i].key, NULL };
        vouch_policy *policy;
        vouch_decision *d;
        char want[200];

        /* A key of the same map that names another workload. */
        keys[0] = strcmp(maps[i].field, "clusterAdmissionRules") == 0
                      ? "us-west1.other"
                  : strcmp(maps[i].field,
                           "kubernetesNamespaceAdmissionRules") == 0
                      ? "other"
                  : strcmp(maps[i].field,
                           "kubernetesServiceAccountAdmissionRules") == 0
                      ? "prod:other"
                      : "cluster.local/ns/other/sa/deployer";
        policy = make_policy("ALWAYS_ALLOW", maps[i].field, keys,
                             "ALWAYS_DENY", ENFORCED, NULL);
        d = decide(f, policy, NULL, IMAGE_A, &ctx);
        snprintf(want, sizeof(want), "%s[\"%s\"]", maps[i].field,
                 maps[i].key);
        assert_int_equal(vouch_decision_outcome(d), VOUCH_OUTCOME_DENY);
        assert_string_equal(vouch_decision_rule(d), want);
        snprintf(want, sizeof(want), "denied by %s[\"%s\"] (ALWAYS_DENY)",
                 maps[i].field, maps[i].key);
        assert_string_equal(vouch_decision_reason(d, 0), want);
        /* vouch_kubernetes_rule names the same rule before a decision. */
        assert_ptr_equal(vouch_kubernetes_rule(policy, &ctx),
                         vouch_policy_rule_map_rule(policy, maps[i].map, 1));
        assert_ptr_equal(vouch_kubernetes_rule(policy, NULL),
                         vouch_policy_default_rule(policy));
        vouch_decision_free(d);
        vouch_policy_free(policy);
    }
}

static void test_rule_map_missing_entry_takes_default_rule(void **state)
{
    fixture *f = *state;
    static const char *const keys[] = { "other", NULL };
    vouch_kubernetes_context ctx = context("us-east1-b.prod", "prod", NULL,
                                           NULL);
    vouch_kubernetes_context no_ns = context("us-east1-b.prod", NULL, NULL,
                                             NULL);
    vouch_policy *policy = make_policy("ALWAYS_DENY",
                                       "kubernetesNamespaceAdmissionRules",
                                       keys, "ALWAYS_ALLOW", ENFORCED, NULL);
    vouch_decision *d = decide(f, policy, NULL, IMAGE_A, &ctx);

    assert_int_equal(vouch_decision_outcome(d), VOUCH_OUTCOME_DENY);
    assert_string_equal(vouch_decision_rule(d), "defaultAdmissionRule");
    assert_string_equal(vouch_decision_reason(d, 0),
                        "denied by the default admission rule (ALWAYS_DENY)");
    vouch_decision_free(d);
    /* A context without a namespace matches no namespace key. */
    d = decide(f, policy, NULL, IMAGE_A, &no_ns);
    assert_string_equal(vouch_decision_rule(d), "defaultAdmissionRule");
    vouch_decision_free(d);
    vouch_policy_free(policy);
}

static void test_rule_map_require_attestation(void **state)
{
    fixture *f = *state;
    static const char *const keys[] = { "prod:default", NULL };
    vouch_kubernetes_context ctx = context(NULL, "prod", NULL, NULL);
    vouch_policy *policy = make_policy(
        "ALWAYS_DENY", "kubernetesServiceAccountAdmissionRules", keys,
        "REQUIRE_ATTESTATION", ENFORCED, NULL);
    vouch_decision *d = decide(f, policy, NULL, IMAGE_A, &ctx);

    /* Attested: the rule of the unset service account ("default"). */
    assert_int_equal(vouch_decision_outcome(d), VOUCH_OUTCOME_ALLOW);
    assert_string_equal(vouch_decision_reason(d, 0),
                        "attested by every required attestor");
    assert_string_equal(vouch_decision_rule(d),
                        "kubernetesServiceAccountAdmissionRules"
                        "[\"prod:default\"]");
    vouch_decision_free(d);

    /* Not attested: the reason names the entry. */
    d = decide(f, policy, NULL,
               "gcr.io/core-proj/app@sha256:"
               "f319bc3f1193c2734b23913d6fed7248015f39ffc877bffd441dc120f9"
               "b7cb1c", &ctx);
    assert_int_equal(vouch_decision_outcome(d), VOUCH_OUTCOME_DENY);
    assert_contains(vouch_decision_reason(d, 0),
                    "denied by kubernetesServiceAccountAdmissionRules"
                    "[\"prod:default\"] (REQUIRE_ATTESTATION): no "
                    "attestation on note");
    vouch_decision_free(d);

    /* By tag: denied, told to deploy by digest. */
    d = decide(f, policy, NULL, "gcr.io/core-proj/app:v1", &ctx);
    assert_int_equal(vouch_decision_outcome(d), VOUCH_OUTCOME_DENY);
    assert_string_equal(vouch_decision_reason(d, 0),
                        "the image is given by tag, not by digest, and "
                        "kubernetesServiceAccountAdmissionRules"
                        "[\"prod:default\"] requires attestations, which "
                        "are made for digests; deploy "
                        "gcr.io/core-proj/app@sha256:...");
    assert_contains(vouch_decision_message(d), "gcr.io/core-proj/app:v1");
    vouch_decision_free(d);
    vouch_policy_free(policy);
}

/* The entry's enforcement mode is the request's: dry run allows. */
static void test_rule_map_entry_dry_run(void **state)
{
    fixture *f = *state;
    static const char *const keys[] = { "us-east1-b.test", NULL };
    vouch_kubernetes_context test = context("us-east1-b.test", "prod", NULL,
                                            NULL);
    vouch_kubernetes_context prod = context("us-east1-b.prod", "prod", NULL,
                                            NULL);
    vouch_policy *policy = make_policy("ALWAYS_DENY",
                                       "clusterAdmissionRules", keys,
                                       "ALWAYS_DENY", DRYRUN, NULL);
    vouch_decision *d = decide(f, policy, NULL, IMAGE_A, &test);

    assert_int_equal(vouch_decision_outcome(d), VOUCH_OUTCOME_ALLOW_DRYRUN);
    assert_int_equal(vouch_decision_verdict(d, 0), VOUCH_VERDICT_DENIED);
    vouch_decision_free(d);
    d = decide(f, policy, NULL, IMAGE_A, &prod);
    assert_int_equal(vouch_decision_outcome(d), VOUCH_OUTCOME_DENY);
    vouch_decision_free(d);
    vouch_policy_free(policy);
}

/* ---- order -------------------------------------------------------------- */

static void test_rule_map_after_exempt_and_system_policy(void **state)
{
    fixture *f = *state;
    static const char *const keys[] = { "prod", NULL };
    vouch_kubernetes_context ctx = context(NULL, "prod", NULL, NULL);
    vouch_policy *policy = make_policy(
        "ALWAYS_ALLOW", "kubernetesNamespaceAdmissionRules", keys,
        "ALWAYS_DENY", ENFORCED,
        "globalPolicyEvaluationMode: ENABLE\n"
        "admissionWhitelistPatterns:\n- namePattern: gcr.io/exempt/*\n");
    vouch_policy *system = make_policy("ALWAYS_ALLOW", NULL, NULL, NULL,
                                       NULL,
                                       "admissionWhitelistPatterns:\n"
                                       "- namePattern: gke.gcr.io/**\n");
    vouch_decision *d;

    d = decide(f, policy, system, "gcr.io/exempt/app:1", &ctx);
    assert_int_equal(vouch_decision_outcome(d), VOUCH_OUTCOME_ALLOW);
    assert_int_equal(vouch_decision_verdict(d, 0), VOUCH_VERDICT_EXEMPT);
    vouch_decision_free(d);
    d = decide(f, policy, system, "gke.gcr.io/proxy/sidecar:1", &ctx);
    assert_int_equal(vouch_decision_verdict(d, 0), VOUCH_VERDICT_EXEMPT);
    assert_contains(vouch_decision_reason(d, 0), "system policy");
    vouch_decision_free(d);
    d = decide(f, policy, system, "gcr.io/other/app:1", &ctx);
    assert_int_equal(vouch_decision_outcome(d), VOUCH_OUTCOME_DENY);
    assert_contains(vouch_decision_reason(d, 0),
                    "kubernetesNamespaceAdmissionRules[\"prod\"]");
    vouch_decision_free(d);
    vouch_policy_free(system);
    vouch_policy_free(policy);
}

/* ---- versions ----------------------------------------------------------- */

/* The layout a caller built against version 1 of the input passes. */
typedef struct input_v1 {
    unsigned version;
    const vouch_policy *policy;
    const vouch_policy *system_policy;
    const char *const *images;
    size_t image_count;
    const vouch_attestor *const *attestors;
    size_t attestor_count;
    const vouch_attestation *const *attestations;
    size_t attestation_count;
    const char *breakglass;
    vouch_verify_cache *cache;
} input_v1;

static void test_rule_map_needs_a_context(void **state)
{
    fixture *f = *state;
    static const char *const keys[] = { "prod", NULL };
    static const char *const images[] = { IMAGE_A };
    vouch_policy *policy = make_policy("ALWAYS_ALLOW",
                                       "kubernetesNamespaceAdmissionRules",
                                       keys, "ALWAYS_DENY", ENFORCED, NULL);
    vouch_kubernetes_context future = context(NULL, "prod", NULL, NULL);
    vouch_evaluation_input in = VOUCH_EVALUATION_INPUT_INIT;
    input_v1 *v1 = calloc(1, sizeof(*v1));
    vouch_decision *d;
    vouch_error err = VOUCH_ERROR_INIT;

    (void)f;
    /* No context (Cloud Run): the maps are never consulted. */
    d = decide(f, policy, NULL, IMAGE_A, NULL);
    assert_int_equal(vouch_decision_outcome(d), VOUCH_OUTCOME_ALLOW);
    assert_string_equal(vouch_decision_reason(d, 0),
                        "allowed by the default admission rule "
                        "(ALWAYS_ALLOW)");
    vouch_decision_free(d);

    /* A version-1 caller: its struct ends before `kubernetes`, which is
     * never read (the allocation is exactly the old size). */
    assert_non_null(v1);
    v1->version = 1;
    v1->policy = policy;
    v1->images = images;
    v1->image_count = 1;
    d = NULL;
    assert_int_equal(vouch_evaluate(&d, (const vouch_evaluation_input *)v1,
                                    &err), 0);
    assert_int_equal(vouch_decision_outcome(d), VOUCH_OUTCOME_ALLOW);
    vouch_decision_free(d);
    free(v1);

    /* A context from the future is refused, not half-read. */
    future.version = 2;
    in.policy = policy;
    in.images = images;
    in.image_count = 1;
    in.kubernetes = &future;
    d = (vouch_decision *)1;
    assert_int_equal(vouch_evaluate(&d, &in, &err), VOUCH_EINVAL);
    assert_null(d);
    vouch_policy_free(policy);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rule_map_keys_match_their_context),
        cmocka_unit_test(test_rule_map_every_kind_selects_its_entry),
        cmocka_unit_test(test_rule_map_missing_entry_takes_default_rule),
        cmocka_unit_test(test_rule_map_require_attestation),
        cmocka_unit_test(test_rule_map_entry_dry_run),
        cmocka_unit_test(test_rule_map_after_exempt_and_system_policy),
        cmocka_unit_test(test_rule_map_needs_a_context),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
