/*
 * Tests for src/engine/evaluate.c (vouch_evaluate, include/vouch/evaluate.h).
 *
 * Sections:
 *   order     docs/semantics.md: exempt patterns, the system policy, the
 *             default rule (ALWAYS_ALLOW, ALWAYS_DENY,
 *             REQUIRE_ATTESTATION)
 *   evidence  attestors and attestations: AND over attestors and images,
 *             tag-only and unparsable references, missing attestors
 *   outcome   ALLOW / DENY / ALLOW_DRYRUN / ALLOW_BREAKGLASS
 *   input     malformed evaluation input
 *   threads   many threads on one policy and one cache
 *
 * Fixtures: tests/data/core (attestors, keys) and tests/data/attestations.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pthread.h>

#include <cmocka.h>

#include "vouch/vouch.h"
#include "testutil.h"

#define DIGEST_A \
    "sha256:527584eb3a3ee27717e6cced437e86c83cee6c6be183a8d109fbddf9b875faf7"
#define DIGEST_B \
    "sha256:f319bc3f1193c2734b23913d6fed7248015f39ffc877bffd441dc120f9b7cb1c"
#define IMAGE_A "gcr.io/core-proj/app@" DIGEST_A
#define IMAGE_B "gcr.io/core-proj/app@" DIGEST_B
#define ATT_A "projects/core-proj/attestors/att-a"
#define ATT_B "projects/core-proj/attestors/att-b"
#define ATT_EMPTY "projects/core-proj/attestors/att-empty"
#define NOTE_A "projects/core-proj/notes/note-a"

enum { F_ATT_A, F_ATT_B, F_ATT_EMPTY, F_ATTESTOR_COUNT };
enum { F_A_GOOD, F_B_GOOD, F_A_WRONG_KEY, F_A_OTHER_DIGEST, F_OCC_COUNT };

typedef struct fixture {
    vouch_attestor *attestors[F_ATTESTOR_COUNT];
    vouch_attestation *occs[F_OCC_COUNT];
} fixture;

/* ---- helpers ------------------------------------------------------------ */

static void assert_lacks(const char *hay, const char *needle)
{
    if (hay != NULL && strstr(hay, needle) != NULL) {
        fail_msg("did not expect \"%s\" in \"%s\"", needle, hay);
    }
}

static int setup(void **state)
{
    static const char *const attestor_files[] = {
        "attestor-a.json", "attestor-b.json", "attestor-empty.json"};
    static const char *const occ_files[] = {
        "a-good.json", "b-good.json", "a-wrong-key.json",
        "a-other-digest.json"};
    fixture *f = calloc(1, sizeof(*f));
    size_t i;

    assert_non_null(f);
    for (i = 0; i < F_ATTESTOR_COUNT; i++) {
        f->attestors[i] = testutil_attestor(attestor_files[i]);
    }
    for (i = 0; i < F_OCC_COUNT; i++) {
        f->occs[i] = testutil_attestation(occ_files[i]);
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    size_t i;

    for (i = 0; i < F_ATTESTOR_COUNT; i++) {
        vouch_attestor_free(f->attestors[i]);
    }
    for (i = 0; i < F_OCC_COUNT; i++) {
        vouch_attestation_free(f->occs[i]);
    }
    free(f);
    return 0;
}

/*
 * A policy: `mode` and `enforcement` of the default rule, `attestors` a
 * comma-separated JSON list body (may be ""), `patterns` likewise,
 * `global` "ENABLE", "DISABLE" or NULL.
 */
static vouch_policy *make_policy(const char *mode, const char *enforcement,
                                 const char *attestors, const char *patterns,
                                 const char *global)
{
    char doc[4096];
    char global_field[128] = "";
    vouch_policy *policy = NULL;
    vouch_error err = VOUCH_ERROR_INIT;

    if (global != NULL) {
        snprintf(global_field, sizeof(global_field),
                 "\"globalPolicyEvaluationMode\": \"%s\",", global);
    }
    snprintf(doc, sizeof(doc),
             "{%s \"admissionWhitelistPatterns\": [%s],"
             " \"defaultAdmissionRule\": {\"evaluationMode\": \"%s\","
             " \"enforcementMode\": \"%s\"%s%s%s}}",
             global_field, patterns, mode, enforcement,
             attestors[0] != '\0' ? ", \"requireAttestationsBy\": [" : "",
             attestors, attestors[0] != '\0' ? "]" : "");
    if (vouch_policy_parse(&policy, doc, strlen(doc), VOUCH_FORMAT_JSON,
                           "policy", &err) != 0) {
        fail_msg("%s\n%s", err.message, doc);
    }
    return policy;
}

#define ENFORCED "ENFORCED_BLOCK_AND_AUDIT_LOG"
#define DRYRUN "DRYRUN_AUDIT_LOG_ONLY"

/* Evaluate `images` with all fixture attestors and the listed evidence. */
static vouch_decision *decide(const fixture *f, const vouch_policy *policy,
                              const vouch_policy *system_policy,
                              const char *const *images, size_t image_count,
                              const vouch_attestation *const *occs,
                              size_t occ_count, const char *breakglass,
                              vouch_verify_cache *cache)
{
    vouch_evaluation_input in = VOUCH_EVALUATION_INPUT_INIT;
    vouch_decision *d = NULL;
    vouch_error err = VOUCH_ERROR_INIT;

    in.policy = policy;
    in.system_policy = system_policy;
    in.images = images;
    in.image_count = image_count;
    in.attestors = (const vouch_attestor *const *)f->attestors;
    in.attestor_count = F_ATTESTOR_COUNT;
    in.attestations = occs;
    in.attestation_count = occ_count;
    in.breakglass = breakglass;
    in.cache = cache;
    if (vouch_evaluate(&d, &in, &err) != 0) {
        fail_msg("vouch_evaluate: %s", err.message);
    }
    return d;
}

/* ---- order ------------------------------------------------------------- */

static void test_evaluate_exempt_pattern_wins(void **state)
{
    fixture *f = *state;
    static const char *const images[] = {IMAGE_A, "gcr.io/other/x:1"};
    vouch_policy *policy = make_policy(
        "REQUIRE_ATTESTATION", ENFORCED, "\"" ATT_A "\"",
        "{\"namePattern\": \"gcr.io/unrelated/*\"},"
        "{\"namePattern\": \"gcr.io/core-proj/*\"}", NULL);
    vouch_decision *d;

    /* No attestation at all, yet image A is exempt. */
    d = decide(f, policy, NULL, images, 1, NULL, 0, NULL, NULL);
    assert_int_equal(vouch_decision_outcome(d), VOUCH_OUTCOME_ALLOW);
    assert_int_equal(vouch_decision_verdict(d, 0), VOUCH_VERDICT_EXEMPT);
    assert_contains(vouch_decision_reason(d, 0),
                    "admissionWhitelistPatterns[1] 'gcr.io/core-proj/*'");
    assert_int_equal(vouch_decision_attestor_count(d, 0), 0);
    vouch_decision_free(d);

    /* The second image is not exempt, so the request is denied. */
    d = decide(f, policy, NULL, images, 2, NULL, 0, NULL, NULL);
    assert_int_equal(vouch_decision_outcome(d), VOUCH_OUTCOME_DENY);
    assert_int_equal(vouch_decision_verdict(d, 0), VOUCH_VERDICT_EXEMPT);
    assert_int_equal(vouch_decision_verdict(d, 1), VOUCH_VERDICT_DENIED);
    vouch_decision_free(d);
    vouch_policy_free(policy);
}

static void test_evaluate_system_policy_only_when_enabled(void **state)
{
    fixture *f = *state;
    static const char *const images[] = {IMAGE_A};
    static const char *const modes[] = {"ENABLE", "DISABLE", NULL};
    vouch_policy *system = make_policy(
        "ALWAYS_DENY", ENFORCED, "",
        "{\"namePattern\": \"gcr.io/core-proj/**\"}", NULL);
    size_t i;

    for (i = 0; i < 3; i++) {
        vouch_policy *policy = make_policy("ALWAYS_DENY", ENFORCED, "", "",
                                           modes[i]);
        vouch_decision *d = decide(f, policy, system, images, 1, NULL, 0,
                                   NULL, NULL);

        if (i == 0) {
            assert_int_equal(vouch_decision_outcome(d), VOUCH_OUTCOME_ALLOW);
            assert_int_equal(vouch_decision_verdict(d, 0),
                             VOUCH_VERDICT_EXEMPT);
            assert_contains(vouch_decision_reason(d, 0), "system policy");
            assert_contains(vouch_decision_reason(d, 0),
                            "gcr.io/core-proj/**");
        } else {
            assert_int_equal(vouch_decision_outcome(d), VOUCH_OUTCOME_DENY);
            assert_contains(vouch_decision_reason(d, 0), "ALWAYS_DENY");
        }
        vouch_decision_free(d);
        /* Without a system policy, ENABLE changes nothing. */
        d = decide(f, policy, NULL, images, 1, NULL, 0, NULL, NULL);
        assert_int_equal(vouch_decision_outcome(d), VOUCH_OUTCOME_DENY);
        vouch_decision_free(d);
        vouch_policy_free(policy);
    }
    vouch_policy_free(system);
}

static void test_evaluate_project_pattern_before_system(void **state)
{
    fixture *f = *state;
    static const char *const images[] = {IMAGE_A};
    vouch_policy *system = make_policy(
        "ALWAYS_DENY", ENFORCED, "",
        "{\"namePattern\": \"gcr.io/core-proj/**\"}", NULL);
    vouch_policy *policy = make_policy(
        "ALWAYS_DENY", ENFORCED, "",
        "{\"namePattern\": \"gcr.io/core-proj/app\"}", "ENABLE");
    vouch_decision *d = decide(f, policy, system, images, 1, NULL, 0, NULL,
                               NULL);

    assert_int_equal(vouch_decision_verdict(d, 0), VOUCH_VERDICT_EXEMPT);
    assert_contains(vouch_decision_reason(d, 0),
                    "admissionWhitelistPatterns[0]");
    vouch_decision_free(d);
    vouch_policy_free(policy);
    vouch_policy_free(system);
}

static void test_evaluate_always_allow(void **state)
{
    fixture *f = *state;
    static const char *const images[] = {IMAGE_A, "gcr.io/x/y:tag", "nginx"};
    vouch_policy *policy = make_policy("ALWAYS_ALLOW", ENFORCED, "", "",
                                       NULL);
    vouch_decision *d = decide(f, policy, NULL, images, 3, NULL, 0, NULL,
                               NULL);
    size_t i;

    assert_int_equal(vouch_decision_outcome(d), VOUCH_OUTCOME_ALLOW);
    assert_int_equal(vouch_decision_image_count(d), 3);
    for (i = 0; i < 3; i++) {
        assert_int_equal(vouch_decision_verdict(d, i), VOUCH_VERDICT_ALLOWED);
        assert_contains(vouch_decision_reason(d, i), "ALWAYS_ALLOW");
    }
    /* Images are reported normalised. */
    assert_string_equal(vouch_decision_image(d, 0), IMAGE_A);
    assert_contains(vouch_decision_image(d, 2), "docker.io/library/nginx");
    vouch_decision_free(d);
    vouch_policy_free(policy);
}

static void test_evaluate_always_deny(void **state)
{
    fixture *f = *state;
    static const char *const images[] = {IMAGE_A};
    vouch_policy *policy = make_policy("ALWAYS_DENY", ENFORCED, "", "",
                                       NULL);
    /* Even a valid attestation does not help under ALWAYS_DENY. */
    const vouch_attestation *occs[] = {f->occs[F_A_GOOD]};
    vouch_decision *d = decide(f, policy, NULL, images, 1, occs, 1, NULL,
                               NULL);

    assert_int_equal(vouch_decision_outcome(d), VOUCH_OUTCOME_DENY);
    assert_int_equal(vouch_decision_verdict(d, 0), VOUCH_VERDICT_DENIED);
    assert_contains(vouch_decision_reason(d, 0), "ALWAYS_DENY");
    assert_contains(vouch_decision_message(d), IMAGE_A);
    assert_contains(vouch_decision_message(d), "not authorized by policy");
    vouch_decision_free(d);
    vouch_policy_free(policy);
}

/* ---- evidence ---------------------------------------------------------- */

static void test_evaluate_require_one_attestor(void **state)
{
    fixture *f = *state;
    static const char *const images[] = {IMAGE_A};
    const vouch_attestation *occs[] = {f->occs[F_B_GOOD], f->occs[F_A_GOOD]};
    vouch_policy *policy = make_policy("REQUIRE_ATTESTATION", ENFORCED,
                                       "\"" ATT_A "\"", "", NULL);
    vouch_decision *d;

    d = decide(f, policy, NULL, images, 1, occs, 2, NULL, NULL);
    assert_int_equal(vouch_decision_outcome(d), VOUCH_OUTCOME_ALLOW);
    assert_int_equal(vouch_decision_verdict(d, 0), VOUCH_VERDICT_ALLOWED);
    assert_int_equal(vouch_decision_attestor_count(d, 0), 1);
    assert_string_equal(vouch_decision_attestor_name(d, 0, 0), ATT_A);
    assert_true(vouch_decision_attestor_satisfied(d, 0, 0));
    assert_contains(vouch_decision_attestor_reason(d, 0, 0), NOTE_A);
    vouch_decision_free(d);

    /* Only the other attestor's attestation: denied, and the reason says
     * what is missing and how to fix it. */
    d = decide(f, policy, NULL, images, 1, occs, 1, NULL, NULL);
    assert_int_equal(vouch_decision_outcome(d), VOUCH_OUTCOME_DENY);
    assert_int_equal(vouch_decision_verdict(d, 0), VOUCH_VERDICT_DENIED);
    assert_false(vouch_decision_attestor_satisfied(d, 0, 0));
    assert_contains(vouch_decision_attestor_reason(d, 0, 0),
                    "no attestation on note " NOTE_A " for " DIGEST_A);
    assert_contains(vouch_decision_attestor_reason(d, 0, 0), ATT_A);
    assert_contains(vouch_decision_reason(d, 0), "REQUIRE_ATTESTATION");
    assert_contains(vouch_decision_message(d), IMAGE_A);
    vouch_decision_free(d);
    vouch_policy_free(policy);
}

static void test_evaluate_require_two_attestors_is_and(void **state)
{
    fixture *f = *state;
    static const char *const images[] = {IMAGE_A};
    const vouch_attestation *both[] = {f->occs[F_A_GOOD], f->occs[F_B_GOOD]};
    vouch_policy *policy = make_policy("REQUIRE_ATTESTATION", ENFORCED,
                                       "\"" ATT_A "\", \"" ATT_B "\"", "",
                                       NULL);
    vouch_decision *d;

    d = decide(f, policy, NULL, images, 1, both, 2, NULL, NULL);
    assert_int_equal(vouch_decision_outcome(d), VOUCH_OUTCOME_ALLOW);
    assert_int_equal(vouch_decision_attestor_count(d, 0), 2);
    assert_true(vouch_decision_attestor_satisfied(d, 0, 0));
    assert_true(vouch_decision_attestor_satisfied(d, 0, 1));
    vouch_decision_free(d);

    d = decide(f, policy, NULL, images, 1, both, 1, NULL, NULL);
    assert_int_equal(vouch_decision_outcome(d), VOUCH_OUTCOME_DENY);
    assert_true(vouch_decision_attestor_satisfied(d, 0, 0));
    assert_false(vouch_decision_attestor_satisfied(d, 0, 1));
    assert_string_equal(vouch_decision_attestor_name(d, 0, 1), ATT_B);
    assert_contains(vouch_decision_reason(d, 0), ATT_B);
    vouch_decision_free(d);

    d = decide(f, policy, NULL, images, 1, NULL, 0, NULL, NULL);
    assert_int_equal(vouch_decision_outcome(d), VOUCH_OUTCOME_DENY);
    assert_contains(vouch_decision_reason(d, 0), "2 of 2");
    vouch_decision_free(d);
    vouch_policy_free(policy);
}

static void test_evaluate_several_images_is_and(void **state)
{
    fixture *f = *state;
    static const char *const images[] = {IMAGE_A, IMAGE_B};
    const vouch_attestation *occs[] = {f->occs[F_A_GOOD]};
    vouch_policy *policy = make_policy("REQUIRE_ATTESTATION", ENFORCED,
                                       "\"" ATT_A "\"", "", NULL);
    vouch_decision *d = decide(f, policy, NULL, images, 2, occs, 1, NULL,
                               NULL);

    assert_int_equal(vouch_decision_outcome(d), VOUCH_OUTCOME_DENY);
    assert_int_equal(vouch_decision_verdict(d, 0), VOUCH_VERDICT_ALLOWED);
    assert_int_equal(vouch_decision_verdict(d, 1), VOUCH_VERDICT_DENIED);
    /* The summary names the denied image only. */
    assert_contains(vouch_decision_message(d), IMAGE_B);
    assert_lacks(vouch_decision_message(d), IMAGE_A);
    vouch_decision_free(d);
    vouch_policy_free(policy);
}

static void test_evaluate_digest_is_authoritative(void **state)
{
    fixture *f = *state;
    /* The same digest pulled from another location (docs/semantics.md,
     * "Attestations"). */
    static const char *const images[] = {"eu.gcr.io/mirror/app@" DIGEST_A};
    const vouch_attestation *occs[] = {f->occs[F_A_GOOD]};
    vouch_policy *policy = make_policy("REQUIRE_ATTESTATION", ENFORCED,
                                       "\"" ATT_A "\"", "", NULL);
    vouch_decision *d = decide(f, policy, NULL, images, 1, occs, 1, NULL,
                               NULL);

    assert_int_equal(vouch_decision_outcome(d), VOUCH_OUTCOME_ALLOW);
    vouch_decision_free(d);
    vouch_policy_free(policy);
}

static void test_evaluate_tag_only_reference_denied(void **state)
{
    fixture *f = *state;
    static const char *const images[] = {"gcr.io/core-proj/app:v1"};
    const vouch_attestation *occs[] = {f->occs[F_A_GOOD]};
    vouch_policy *policy = make_policy("REQUIRE_ATTESTATION", ENFORCED,
                                       "\"" ATT_A "\"", "", NULL);
    vouch_decision *d = decide(f, policy, NULL, images, 1, occs, 1, NULL,
                               NULL);

    assert_int_equal(vouch_decision_outcome(d), VOUCH_OUTCOME_DENY);
    assert_int_equal(vouch_decision_verdict(d, 0), VOUCH_VERDICT_DENIED);
    assert_contains(vouch_decision_reason(d, 0), "by tag, not by digest");
    assert_contains(vouch_decision_reason(d, 0),
                    "gcr.io/core-proj/app@sha256:");
    assert_contains(vouch_decision_message(d), "gcr.io/core-proj/app:v1");
    vouch_decision_free(d);
    vouch_policy_free(policy);
}

static void test_evaluate_unparsable_image_denied(void **state)
{
    fixture *f = *state;
    static const char *const images[] = {"gcr.io/core-proj/App:v1"};
    static const char *const empty[] = {""};
    /* Fail closed: even ALWAYS_ALLOW does not let it through. */
    vouch_policy *policy = make_policy("ALWAYS_ALLOW", ENFORCED, "", "",
                                       NULL);
    vouch_decision *d = decide(f, policy, NULL, images, 1, NULL, 0, NULL,
                               NULL);

    assert_int_equal(vouch_decision_outcome(d), VOUCH_OUTCOME_DENY);
    assert_int_equal(vouch_decision_verdict(d, 0), VOUCH_VERDICT_DENIED);
    assert_string_equal(vouch_decision_image(d, 0), images[0]);
    assert_contains(vouch_decision_reason(d, 0), "not a valid image "
                    "reference (column 18");
    vouch_decision_free(d);

    d = decide(f, policy, NULL, empty, 1, NULL, 0, NULL, NULL);
    assert_int_equal(vouch_decision_outcome(d), VOUCH_OUTCOME_DENY);
    vouch_decision_free(d);
    vouch_policy_free(policy);
}

static void test_evaluate_null_image_denied(void **state)
{
    fixture *f = *state;
    const char *images[] = {NULL};
    vouch_policy *policy = make_policy("ALWAYS_ALLOW", ENFORCED, "", "",
                                       NULL);
    vouch_decision *d = decide(f, policy, NULL, images, 1, NULL, 0, NULL,
                               NULL);

    assert_int_equal(vouch_decision_outcome(d), VOUCH_OUTCOME_DENY);
    vouch_decision_free(d);
    vouch_policy_free(policy);
}

static void test_evaluate_missing_attestor_denied(void **state)
{
    fixture *f = *state;
    static const char *const images[] = {IMAGE_A};
    const vouch_attestation *occs[] = {f->occs[F_A_GOOD]};
    vouch_policy *policy = make_policy(
        "REQUIRE_ATTESTATION", ENFORCED,
        "\"" ATT_A "\", \"projects/core-proj/attestors/gone\"", "", NULL);
    vouch_decision *d = decide(f, policy, NULL, images, 1, occs, 1, NULL,
                               NULL);

    assert_int_equal(vouch_decision_outcome(d), VOUCH_OUTCOME_DENY);
    assert_true(vouch_decision_attestor_satisfied(d, 0, 0));
    assert_false(vouch_decision_attestor_satisfied(d, 0, 1));
    assert_contains(vouch_decision_attestor_reason(d, 0, 1),
                    "projects/core-proj/attestors/gone does not exist");
    assert_contains(vouch_decision_reason(d, 0),
                    "projects/core-proj/attestors/gone");
    vouch_decision_free(d);
    vouch_policy_free(policy);
}

static void test_evaluate_attestor_without_keys_denied(void **state)
{
    fixture *f = *state;
    static const char *const images[] = {IMAGE_A};
    const vouch_attestation *occs[] = {f->occs[F_A_GOOD]};
    vouch_policy *policy = make_policy("REQUIRE_ATTESTATION", ENFORCED,
                                       "\"" ATT_EMPTY "\"", "", NULL);
    vouch_decision *d = decide(f, policy, NULL, images, 1, occs, 1, NULL,
                               NULL);

    assert_int_equal(vouch_decision_outcome(d), VOUCH_OUTCOME_DENY);
    assert_contains(vouch_decision_attestor_reason(d, 0, 0),
                    "no public keys");
    assert_contains(vouch_decision_attestor_reason(d, 0, 0), ATT_EMPTY);
    vouch_decision_free(d);
    vouch_policy_free(policy);
}

static void test_evaluate_invalid_attestation_names_key(void **state)
{
    fixture *f = *state;
    static const char *const images[] = {IMAGE_A};
    const vouch_attestation *one[] = {f->occs[F_A_WRONG_KEY]};
    const vouch_attestation *two[] = {f->occs[F_A_WRONG_KEY],
                                      f->occs[F_A_OTHER_DIGEST]};
    vouch_policy *policy = make_policy("REQUIRE_ATTESTATION", ENFORCED,
                                       "\"" ATT_A "\"", "", NULL);
    vouch_decision *d;
    char ids[256];
    size_t len;
    char *text = testutil_read("core/ids.txt", &len);
    char *nl = strchr(text, '\n');

    assert_non_null(nl);
    *nl = '\0';
    snprintf(ids, sizeof(ids), "%s", text);
    free(text);

    d = decide(f, policy, NULL, images, 1, one, 1, NULL, NULL);
    assert_int_equal(vouch_decision_outcome(d), VOUCH_OUTCOME_DENY);
    assert_contains(vouch_decision_attestor_reason(d, 0, 0), "is not valid");
    assert_contains(vouch_decision_attestor_reason(d, 0, 0), ids);
    vouch_decision_free(d);

    /* a-other-digest names image A in resourceUri, but its payload is for
     * image B: also a candidate, also invalid. */
    d = decide(f, policy, NULL, images, 1, two, 2, NULL, NULL);
    assert_int_equal(vouch_decision_outcome(d), VOUCH_OUTCOME_DENY);
    assert_contains(vouch_decision_attestor_reason(d, 0, 0),
                    "none of the 2 attestations");
    vouch_decision_free(d);
    vouch_policy_free(policy);
}

/* ---- outcome ----------------------------------------------------------- */

static void test_evaluate_outcomes(void **state)
{
    fixture *f = *state;
    static const char *const images[] = {IMAGE_A};
    const vouch_attestation *occs[] = {f->occs[F_A_GOOD]};
    vouch_policy *enforced = make_policy("REQUIRE_ATTESTATION", ENFORCED,
                                         "\"" ATT_A "\"", "", NULL);
    vouch_policy *dryrun = make_policy("REQUIRE_ATTESTATION", DRYRUN,
                                       "\"" ATT_A "\"", "", NULL);
    static const struct {
        int dry;
        int attested;
        const char *breakglass;
        vouch_outcome want;
        vouch_verdict verdict;
    } cases[] = {
        {0, 1, NULL, VOUCH_OUTCOME_ALLOW, VOUCH_VERDICT_ALLOWED},
        {0, 0, NULL, VOUCH_OUTCOME_DENY, VOUCH_VERDICT_DENIED},
        {0, 0, "", VOUCH_OUTCOME_DENY, VOUCH_VERDICT_DENIED},
        {1, 0, NULL, VOUCH_OUTCOME_ALLOW_DRYRUN, VOUCH_VERDICT_DENIED},
        {1, 1, NULL, VOUCH_OUTCOME_ALLOW, VOUCH_VERDICT_ALLOWED},
        {0, 0, "incident 42", VOUCH_OUTCOME_ALLOW_BREAKGLASS,
         VOUCH_VERDICT_DENIED},
        /* Breakglass on a compliant request is still breakglass. */
        {0, 1, "incident 42", VOUCH_OUTCOME_ALLOW_BREAKGLASS,
         VOUCH_VERDICT_ALLOWED},
    };
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        vouch_decision *d = decide(f, cases[i].dry ? dryrun : enforced, NULL,
                                   images, 1, occs,
                                   cases[i].attested ? 1 : 0,
                                   cases[i].breakglass, NULL);

        if (vouch_decision_outcome(d) != cases[i].want) {
            fail_msg("case %zu: got %s, want %s", i,
                     vouch_outcome_name(vouch_decision_outcome(d)),
                     vouch_outcome_name(cases[i].want));
        }
        assert_int_equal(vouch_decision_verdict(d, 0), cases[i].verdict);
        if (cases[i].want == VOUCH_OUTCOME_ALLOW_DRYRUN) {
            assert_contains(vouch_decision_message(d), "Dry run");
            assert_contains(vouch_decision_message(d), IMAGE_A);
        }
        if (cases[i].want == VOUCH_OUTCOME_ALLOW_BREAKGLASS) {
            assert_contains(vouch_decision_message(d), "reakglass");
        }
        vouch_decision_free(d);
    }
    vouch_policy_free(enforced);
    vouch_policy_free(dryrun);
}

/* ---- input ------------------------------------------------------------- */

static void test_evaluate_rejects_malformed_input(void **state)
{
    fixture *f = *state;
    static const char *const images[] = {IMAGE_A};
    vouch_policy *policy = make_policy("ALWAYS_ALLOW", ENFORCED, "", "",
                                       NULL);
    vouch_evaluation_input good = VOUCH_EVALUATION_INPUT_INIT;
    vouch_evaluation_input in;
    vouch_decision *d;
    vouch_error err = VOUCH_ERROR_INIT;
    int i;

    (void)f;
    good.policy = policy;
    good.images = images;
    good.image_count = 1;
    d = NULL;
    assert_int_equal(vouch_evaluate(&d, &good, &err), 0);
    vouch_decision_free(d);

    d = (vouch_decision *)1;
    assert_int_equal(vouch_evaluate(&d, NULL, &err), VOUCH_EINVAL);
    assert_null(d);
    for (i = 0; i < 6; i++) {
        in = good;
        switch (i) {
        case 0: in.version = 99; break;
        case 1: in.policy = NULL; break;
        case 2: in.images = NULL; break;
        case 3: in.image_count = 0; break;
        case 4: in.attestor_count = 1; break;
        default: in.attestation_count = 2; break;
        }
        d = (vouch_decision *)1;
        err.message[0] = '\0';
        assert_int_equal(vouch_evaluate(&d, &in, &err), VOUCH_EINVAL);
        assert_null(d);
        assert_true(err.message[0] != '\0');
        assert_int_equal(vouch_evaluate(&d, &in, NULL), VOUCH_EINVAL);
    }
    vouch_policy_free(policy);
}

/* ---- cache and threads --------------------------------------------------- */

static void test_evaluate_uses_cache(void **state)
{
    fixture *f = *state;
    static const char *const images[] = {IMAGE_A};
    const vouch_attestation *occs[] = {f->occs[F_A_GOOD]};
    vouch_policy *policy = make_policy("REQUIRE_ATTESTATION", ENFORCED,
                                       "\"" ATT_A "\"", "", NULL);
    vouch_verify_cache *cache = NULL;
    uint64_t hits = 0;
    uint64_t misses = 0;
    int i;

    assert_int_equal(vouch_verify_cache_new(&cache, 16, NULL), 0);
    for (i = 0; i < 3; i++) {
        vouch_decision *d = decide(f, policy, NULL, images, 1, occs, 1, NULL,
                                   cache);

        assert_int_equal(vouch_decision_outcome(d), VOUCH_OUTCOME_ALLOW);
        vouch_decision_free(d);
    }
    vouch_verify_cache_stats(cache, &hits, &misses);
    assert_int_equal(misses, 1);
    assert_int_equal(hits, 2);
    vouch_verify_cache_free(cache);
    vouch_policy_free(policy);
}

typedef struct thread_arg {
    const fixture *f;
    const vouch_policy *policy;
    vouch_verify_cache *cache;
    int failures;
} thread_arg;

#define THREADS 8
#define ROUNDS 100

static void *evaluate_thread(void *p)
{
    thread_arg *arg = p;
    static const char *const images[] = {IMAGE_A, IMAGE_B};
    const vouch_attestation *occs[] = {
        arg->f->occs[F_A_WRONG_KEY], arg->f->occs[F_A_GOOD],
        arg->f->occs[F_B_GOOD], arg->f->occs[F_A_OTHER_DIGEST]};
    int i;

    for (i = 0; i < ROUNDS; i++) {
        vouch_evaluation_input in = VOUCH_EVALUATION_INPUT_INIT;
        vouch_decision *d = NULL;
        size_t count = (size_t)(i % 2) + 1;

        in.policy = arg->policy;
        in.images = images;
        in.image_count = count;
        in.attestors = (const vouch_attestor *const *)arg->f->attestors;
        in.attestor_count = F_ATTESTOR_COUNT;
        in.attestations = occs;
        in.attestation_count = 4;
        in.cache = arg->cache;
        if (vouch_evaluate(&d, &in, NULL) != 0) {
            arg->failures++;
            continue;
        }
        /* Image A has both attestations; image B has none. */
        if (vouch_decision_outcome(d) !=
                (count == 1 ? VOUCH_OUTCOME_ALLOW : VOUCH_OUTCOME_DENY) ||
            vouch_decision_verdict(d, 0) != VOUCH_VERDICT_ALLOWED) {
            arg->failures++;
        }
        vouch_decision_free(d);
    }
    return NULL;
}

static void test_evaluate_many_threads_one_policy_one_cache(void **state)
{
    fixture *f = *state;
    vouch_policy *policy = make_policy("REQUIRE_ATTESTATION", ENFORCED,
                                       "\"" ATT_A "\", \"" ATT_B "\"", "",
                                       NULL);
    vouch_verify_cache *cache = NULL;
    pthread_t threads[THREADS];
    thread_arg args[THREADS];
    uint64_t hits = 0;
    uint64_t misses = 0;
    int i;

    /* Capacity 2 < the 3 distinct good signatures: constant eviction. */
    assert_int_equal(vouch_verify_cache_new(&cache, 2, NULL), 0);
    for (i = 0; i < THREADS; i++) {
        args[i].f = f;
        args[i].policy = policy;
        args[i].cache = cache;
        args[i].failures = 0;
        assert_int_equal(pthread_create(&threads[i], NULL, evaluate_thread,
                                        &args[i]), 0);
    }
    for (i = 0; i < THREADS; i++) {
        assert_int_equal(pthread_join(threads[i], NULL), 0);
        assert_int_equal(args[i].failures, 0);
    }
    vouch_verify_cache_stats(cache, &hits, &misses);
    assert_true(hits > 0);
    assert_true(misses > 0);
    vouch_verify_cache_free(cache);
    vouch_policy_free(policy);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_evaluate_exempt_pattern_wins),
        cmocka_unit_test(test_evaluate_system_policy_only_when_enabled),
        cmocka_unit_test(test_evaluate_project_pattern_before_system),
        cmocka_unit_test(test_evaluate_always_allow),
        cmocka_unit_test(test_evaluate_always_deny),
        cmocka_unit_test(test_evaluate_require_one_attestor),
        cmocka_unit_test(test_evaluate_require_two_attestors_is_and),
        cmocka_unit_test(test_evaluate_several_images_is_and),
        cmocka_unit_test(test_evaluate_digest_is_authoritative),
        cmocka_unit_test(test_evaluate_tag_only_reference_denied),
        cmocka_unit_test(test_evaluate_unparsable_image_denied),
        cmocka_unit_test(test_evaluate_null_image_denied),
        cmocka_unit_test(test_evaluate_missing_attestor_denied),
        cmocka_unit_test(test_evaluate_attestor_without_keys_denied),
        cmocka_unit_test(test_evaluate_invalid_attestation_names_key),
        cmocka_unit_test(test_evaluate_outcomes),
        cmocka_unit_test(test_evaluate_rejects_malformed_input),
        cmocka_unit_test(test_evaluate_uses_cache),
        cmocka_unit_test(test_evaluate_many_threads_one_policy_one_cache),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
