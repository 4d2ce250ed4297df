/*
 * Tests for src/engine/decision.c: the decision JSON of docs/semantics.md
 * (vouch_decision_to_json), the summary message, the getters (also out of
 * range) and the outcome/verdict names.
 *
 * Decisions are made through vouch_evaluate with the fixtures of
 * tests/data/core and tests/data/attestations.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

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

typedef struct fixture {
    vouch_attestor *attestors[2];
    vouch_attestation *good_a;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));

    assert_non_null(f);
    f->attestors[0] = testutil_attestor("attestor-a.json");
    f->attestors[1] = testutil_attestor("attestor-b.json");
    f->good_a = testutil_attestation("a-good.json");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;

    vouch_attestor_free(f->attestors[0]);
    vouch_attestor_free(f->attestors[1]);
    vouch_attestation_free(f->good_a);
    free(f);
    return 0;
}

static vouch_policy *make_policy(const char *json)
{
    vouch_policy *policy = NULL;
    vouch_error err = VOUCH_ERROR_INIT;

    if (vouch_policy_parse(&policy, json, strlen(json), VOUCH_FORMAT_JSON,
                           "policy", &err) != 0) {
        fail_msg("%s", err.message);
    }
    return policy;
}

/* Exempts gcr.io/exempt/..., REQUIRE_ATTESTATION by att-a and att-b. */
#define MIXED_POLICY \
    "{\"admissionWhitelistPatterns\": [{\"namePattern\": " \
    "\"gcr.io/exempt/*\"}], \"defaultAdmissionRule\": {\"evaluationMode\": " \
    "\"REQUIRE_ATTESTATION\", \"enforcementMode\": " \
    "\"ENFORCED_BLOCK_AND_AUDIT_LOG\", \"requireAttestationsBy\": [\"" \
    ATT_A "\", \"" ATT_B "\"]}}"

static vouch_decision *decide(const fixture *f, const char *policy_json,
                              const char *const *images, size_t count,
                              const char *breakglass)
{
    vouch_policy *policy = make_policy(policy_json);
    vouch_evaluation_input in = VOUCH_EVALUATION_INPUT_INIT;
    const vouch_attestation *occs[1];
    vouch_decision *d = NULL;
    vouch_error err = VOUCH_ERROR_INIT;

    occs[0] = f->good_a;
    in.policy = policy;
    in.images = images;
    in.image_count = count;
    in.attestors = (const vouch_attestor *const *)f->attestors;
    in.attestor_count = 2;
    in.attestations = occs;
    in.attestation_count = 1;
    in.breakglass = breakglass;
    if (vouch_evaluate(&d, &in, &err) != 0) {
        fail_msg("%s", err.message);
    }
    vouch_policy_free(policy);
    return d;
}

/* The keys of a JSON object, in order, joined by ','. */
static void object_keys(json_t *obj, char *out, size_t size)
{
    const char *key;
    json_t *value;
    size_t len = 0;

    out[0] = '\0';
    assert_true(json_is_object(obj));
    json_object_foreach(obj, key, value) {
        (void)value;
        len += (size_t)snprintf(out + len, size - len, "%s%s",
                                len > 0 ? "," : "", key);
        assert_true(len < size);
    }
}

static void test_decision_json_shape(void **state)
{
    fixture *f = *state;
    static const char *const images[] = {
        "gcr.io/exempt/tool@" DIGEST_A, IMAGE_A, IMAGE_B};
    vouch_decision *d = decide(f, MIXED_POLICY, images, 3, NULL);
    vouch_error err = VOUCH_ERROR_INIT;
    char *text = NULL;
    json_t *root;
    json_t *list;
    json_t *img;
    json_t *att;
    json_error_t jerr;
    char keys[128];
    size_t i;

    assert_int_equal(vouch_decision_to_json(d, 2, &text, &err), 0);
    root = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
    if (root == NULL) {
        fail_msg("%s: %s", jerr.text, text);
    }
    object_keys(root, keys, sizeof(keys));
    assert_string_equal(keys, "decision,images");
    assert_string_equal(json_string_value(json_object_get(root, "decision")),
                        "DENY");
    list = json_object_get(root, "images");
    assert_true(json_is_array(list));
    assert_int_equal(json_array_size(list), 3);
    for (i = 0; i < 3; i++) {
        img = json_array_get(list, i);
        object_keys(img, keys, sizeof(keys));
        assert_string_equal(keys, "image,verdict,reason,attestors");
        assert_string_equal(json_string_value(json_object_get(img, "image")),
                            vouch_decision_image(d, i));
        assert_string_equal(json_string_value(json_object_get(img,
                                                              "reason")),
                            vouch_decision_reason(d, i));
        assert_true(json_is_array(json_object_get(img, "attestors")));
    }
    /* Exempt: no attestor consulted. */
    img = json_array_get(list, 0);
    assert_string_equal(json_string_value(json_object_get(img, "verdict")),
                        "EXEMPT");
    assert_int_equal(json_array_size(json_object_get(img, "attestors")), 0);
    /* Image A: att-a satisfied, att-b not. */
    img = json_array_get(list, 1);
    assert_string_equal(json_string_value(json_object_get(img, "verdict")),
                        "DENIED");
    assert_int_equal(json_array_size(json_object_get(img, "attestors")), 2);
    att = json_array_get(json_object_get(img, "attestors"), 0);
    object_keys(att, keys, sizeof(keys));
    assert_string_equal(keys, "name,satisfied,reason");
    assert_string_equal(json_string_value(json_object_get(att, "name")),
                        ATT_A);
    assert_true(json_is_true(json_object_get(att, "satisfied")));
    att = json_array_get(json_object_get(img, "attestors"), 1);
    assert_string_equal(json_string_value(json_object_get(att, "name")),
                        ATT_B);
    assert_true(json_is_false(json_object_get(att, "satisfied")));
    assert_string_equal(json_string_value(json_object_get(att, "reason")),
                        vouch_decision_attestor_reason(d, 1, 1));
    json_decref(root);
    vouch_free(text);
    vouch_decision_free(d);
}

static void test_decision_json_indent(void **state)
{
    fixture *f = *state;
    static const char *const images[] = {IMAGE_A};
    vouch_decision *d = decide(
        f, "{\"defaultAdmissionRule\": {\"evaluationMode\": \"ALWAYS_ALLOW\","
        " \"enforcementMode\": \"ENFORCED_BLOCK_AND_AUDIT_LOG\"}}",
        images, 1, NULL);
    char *compact = NULL;
    char *indented = NULL;
    json_t *a;
    json_t *b;

    assert_int_equal(vouch_decision_to_json(d, 0, &compact, NULL), 0);
    assert_int_equal(vouch_decision_to_json(d, 4, &indented, NULL), 0);
    assert_null(strchr(compact, '\n'));
    assert_contains(compact, "{\"decision\": \"ALLOW\"");
    assert_contains(indented, "\n    \"decision\": \"ALLOW\"");
    a = json_loads(compact, 0, NULL);
    b = json_loads(indented, 0, NULL);
    assert_non_null(a);
    assert_true(json_equal(a, b));
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(a, "images"), 0),
                            "verdict")), "ALLOWED");
    json_decref(a);
    json_decref(b);
    vouch_free(compact);
    vouch_free(indented);
    vouch_decision_free(d);
}

static void test_decision_json_escapes_text(void **state)
{
    fixture *f = *state;
    /* An unparsable image is reported as given: quotes and control bytes
     * must come out as valid JSON. */
    static const char *const images[] = {"gcr.io/\"quoted\"\n\x01"};
    vouch_decision *d = decide(f, MIXED_POLICY, images, 1, NULL);
    char *text = NULL;
    json_t *root;

    assert_int_equal(vouch_decision_to_json(d, 0, &text, NULL), 0);
    root = json_loads(text, 0, NULL);
    assert_non_null(root);
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(root, "images"),
                                           0), "image")), images[0]);
    json_decref(root);
    vouch_free(text);
    vouch_decision_free(d);
}

static void test_decision_message(void **state)
{
    fixture *f = *state;
    static const char *const images[] = {IMAGE_A, IMAGE_B};
    static const char *const exempt[] = {"gcr.io/exempt/x:1"};
    vouch_decision *d = decide(f, MIXED_POLICY, images, 2, NULL);
    const char *msg = vouch_decision_message(d);
    char want[1024];

    /* One sentence per denied image, in order, with its reason. */
    snprintf(want, sizeof(want), "Container image '%s' is not authorized "
             "by policy: %s.", IMAGE_A, vouch_decision_reason(d, 0));
    assert_int_equal(strncmp(msg, want, strlen(want)), 0);
    snprintf(want, sizeof(want), " Container image '%s' is not authorized "
             "by policy: %s.", IMAGE_B, vouch_decision_reason(d, 1));
    assert_contains(msg, want);
    vouch_decision_free(d);

    d = decide(f, MIXED_POLICY, images, 1, "on call");
    assert_int_equal(vouch_decision_outcome(d),
                     VOUCH_OUTCOME_ALLOW_BREAKGLASS);
    assert_contains(vouch_decision_message(d), "Breakglass");
    assert_contains(vouch_decision_message(d), IMAGE_A);
    vouch_decision_free(d);

    d = decide(f, MIXED_POLICY, exempt, 1, NULL);
    assert_string_equal(vouch_decision_message(d),
                        "Every image is authorized by policy.");
    vouch_decision_free(d);
}

static void test_decision_long_text_and_many_images(void **state)
{
    fixture *f = *state;
    enum { COUNT = 300 };
    const char *images[COUNT];
    char *storage = malloc(COUNT * 400);
    vouch_decision *d;
    char *text = NULL;
    json_t *root;
    size_t i;

    assert_non_null(storage);
    /* Each reference is over 256 bytes (the reason printf's fast path). */
    for (i = 0; i < COUNT; i++) {
        char *s = storage + i * 400;
        int n = snprintf(s, 400, "gcr.io/exempt/");

        memset(s + n, 'a' + (int)(i % 26), 300);
        snprintf(s + n + 300, 400 - (size_t)n - 300, "%zu:v1", i);
        images[i] = s;
    }
    d = decide(f, "{\"defaultAdmissionRule\": {\"evaluationMode\": "
               "\"ALWAYS_DENY\", \"enforcementMode\": "
               "\"ENFORCED_BLOCK_AND_AUDIT_LOG\"}}", images, COUNT, NULL);
    assert_int_equal(vouch_decision_image_count(d), COUNT);
    for (i = 0; i < COUNT; i++) {
        assert_string_equal(vouch_decision_image(d, i), images[i]);
        assert_int_equal(vouch_decision_verdict(d, i), VOUCH_VERDICT_DENIED);
        assert_contains(vouch_decision_message(d), images[i]);
    }
    assert_int_equal(vouch_decision_to_json(d, 0, &text, NULL), 0);
    root = json_loads(text, 0, NULL);
    assert_non_null(root);
    assert_int_equal(json_array_size(json_object_get(root, "images")), COUNT);
    json_decref(root);
    vouch_free(text);
    vouch_decision_free(d);
    free(storage);
}

static void test_decision_getters_out_of_range(void **state)
{
    fixture *f = *state;
    static const char *const images[] = {IMAGE_A};
    vouch_decision *d = decide(f, MIXED_POLICY, images, 1, NULL);

    assert_int_equal(vouch_decision_image_count(d), 1);
    assert_int_equal(vouch_decision_attestor_count(d, 0), 2);
    assert_null(vouch_decision_image(d, 1));
    assert_null(vouch_decision_image(d, SIZE_MAX));
    assert_int_equal(vouch_decision_verdict(d, 1), VOUCH_VERDICT_DENIED);
    assert_null(vouch_decision_reason(d, 1));
    assert_int_equal(vouch_decision_attestor_count(d, 1), 0);
    assert_null(vouch_decision_attestor_name(d, 0, 2));
    assert_null(vouch_decision_attestor_name(d, 1, 0));
    assert_false(vouch_decision_attestor_satisfied(d, 0, 2));
    assert_false(vouch_decision_attestor_satisfied(d, 5, 0));
    assert_null(vouch_decision_attestor_reason(d, 0, SIZE_MAX));
    assert_null(vouch_decision_attestor_reason(d, SIZE_MAX, 0));
    /* In range still works. */
    assert_string_equal(vouch_decision_attestor_name(d, 0, 0), ATT_A);
    assert_true(vouch_decision_attestor_satisfied(d, 0, 0));
    vouch_decision_free(d);
    vouch_decision_free(NULL);
}

static void test_decision_names(void **state)
{
    (void)state;
    assert_string_equal(vouch_outcome_name(VOUCH_OUTCOME_ALLOW), "ALLOW");
    assert_string_equal(vouch_outcome_name(VOUCH_OUTCOME_DENY), "DENY");
    assert_string_equal(vouch_outcome_name(VOUCH_OUTCOME_ALLOW_DRYRUN),
                        "ALLOW_DRYRUN");
    assert_string_equal(vouch_outcome_name(VOUCH_OUTCOME_ALLOW_BREAKGLASS),
                        "ALLOW_BREAKGLASS");
    /* An unknown value is named as the safe one. */
    assert_string_equal(vouch_outcome_name((vouch_outcome)42), "DENY");
    assert_string_equal(vouch_verdict_name(VOUCH_VERDICT_EXEMPT), "EXEMPT");
    assert_string_equal(vouch_verdict_name(VOUCH_VERDICT_ALLOWED),
                        "ALLOWED");
    assert_string_equal(vouch_verdict_name(VOUCH_VERDICT_DENIED), "DENIED");
    assert_string_equal(vouch_verdict_name((vouch_verdict)42), "DENIED");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decision_json_shape),
        cmocka_unit_test(test_decision_json_indent),
        cmocka_unit_test(test_decision_json_escapes_text),
        cmocka_unit_test(test_decision_message),
        cmocka_unit_test(test_decision_long_text_and_many_images),
        cmocka_unit_test(test_decision_getters_out_of_range),
        cmocka_unit_test(test_decision_names),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
