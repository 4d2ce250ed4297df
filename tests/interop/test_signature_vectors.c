/*
 * Interop: every case of tests/data/vectors/signatures.json (64 cases from
 * kritis, containers/image and derived ones; see vectors/README.md) must
 * come out as its `expect` says.
 *
 *   pkix: vouch_public_key_new_pkix(algorithm) + vouch_public_key_verify
 *   pgp:  vouch_public_key_new_pgp + vouch_public_key_verify_attached, and
 *         the embedded payload must equal expected_payload_b64 when given.
 *
 * A case whose key our stricter rules reject counts as invalid. Cases where
 * vouch disagrees with `expect` would be listed in `known_disagreements`
 * with the reason; there are none.
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

#include "internal.h"
#include "vouch/key.h"
#include "../unit/testutil.h"

static const char *const known_disagreements[] = { NULL };

static bool is_known_disagreement(const char *id)
{
    size_t i;

    for (i = 0; known_disagreements[i] != NULL; i++) {
        if (strcmp(known_disagreements[i], id) == 0) {
            return true;
        }
    }
    return false;
}

static void decode(json_t *c, const char *field, unsigned char **out,
                   size_t *len)
{
    const char *b64 = json_string_value(json_object_get(c, field));

    *out = NULL;
    *len = 0;
    if (b64 == NULL) {
        return;
    }
    assert_int_equal(vouch__base64_decode(b64, strlen(b64), out, len), 0);
}

/* Returns true when vouch says "valid". */
static bool run_case(json_t *c, char *why, size_t why_size)
{
    const char *kind = json_string_value(json_object_get(c, "key_type"));
    const char *alg_name = json_string_value(json_object_get(c, "algorithm"));
    const char *pub = json_string_value(json_object_get(c, "public_key"));
    vouch_public_key *key = NULL;
    vouch_error err = VOUCH_ERROR_INIT;
    unsigned char *payload = NULL;
    unsigned char *sig = NULL;
    unsigned char *want = NULL;
    unsigned char *got = NULL;
    size_t payload_len;
    size_t sig_len;
    size_t want_len;
    size_t got_len = 0;
    bool valid = false;
    int rc;

    decode(c, "payload_b64", &payload, &payload_len);
    decode(c, "signature_b64", &sig, &sig_len);
    decode(c, "expected_payload_b64", &want, &want_len);
    if (strcmp(kind, "pkix") == 0) {
        vouch_signature_algorithm alg;

        assert_int_equal(vouch_signature_algorithm_parse(
                             alg_name, strlen(alg_name), &alg, &err), 0);
        rc = vouch_public_key_new_pkix(&key, pub, strlen(pub), alg, NULL,
                                       NULL, &err);
        if (rc == 0) {
            rc = vouch_public_key_verify(key, payload, payload_len, sig,
                                         sig_len, &err);
        }
        valid = rc == 0;
    } else {
        rc = vouch_public_key_new_pgp(&key, pub, strlen(pub), NULL, &err);
        if (rc == 0) {
            rc = vouch_public_key_verify_attached(key, sig, sig_len, &got,
                                                  &got_len, &err);
        }
        valid = rc == 0;
        if (valid && want != NULL &&
            (got_len != want_len || memcmp(got, want, want_len) != 0)) {
            snprintf(err.message, sizeof(err.message),
                     "embedded payload differs from expected_payload_b64");
            valid = false;
        }
    }
    snprintf(why, why_size, "%s", valid ? "verified" : err.message);
    vouch_public_key_free(key);
    free(payload);
    free(sig);
    free(want);
    vouch_free(got);
    return valid;
}

static void test_signature_vectors_all_cases_agree(void **state)
{
    json_t *root = testutil_read_json("vectors/signatures.json");
    size_t i;
    size_t n = json_array_size(root);
    size_t failures = 0;
    size_t valid = 0;

    (void)state;
    assert_int_equal(n, 64);
    for (i = 0; i < n; i++) {
        json_t *c = json_array_get(root, i);
        const char *id = json_string_value(json_object_get(c, "id"));
        const char *expect = json_string_value(json_object_get(c, "expect"));
        char why[512];
        bool got = run_case(c, why, sizeof(why));
        bool want = strcmp(expect, "valid") == 0;

        valid += got ? 1 : 0;
        if (got != want && !is_known_disagreement(id)) {
            print_error("%s: expected %s, vouch says %s (%s)\n", id, expect,
                        got ? "valid" : "invalid", why);
            failures++;
        }
    }
    json_decref(root);
    assert_int_equal(failures, 0);
    assert_int_equal(valid, 23);
}

/* The id of a PGP key is its primary fingerprint, even for a subkey. */
static void test_signature_vectors_pgp_ids_match_fingerprints(void **state)
{
    json_t *root = testutil_read_json("vectors/signatures.json");
    size_t i;
    size_t checked = 0;

    (void)state;
    for (i = 0; i < json_array_size(root); i++) {
        json_t *c = json_array_get(root, i);
        const char *fpr =
            json_string_value(json_object_get(c, "primary_fingerprint"));
        const char *pub = json_string_value(json_object_get(c, "public_key"));
        vouch_public_key *key = NULL;
        vouch_error err = VOUCH_ERROR_INIT;

        if (fpr == NULL || strcmp(json_string_value(json_object_get(
                                      c, "expect")), "valid") != 0) {
            continue;
        }
        assert_int_equal(vouch_public_key_new_pgp(&key, pub, strlen(pub),
                                                  NULL, &err), 0);
        assert_string_equal(vouch_public_key_id(key), fpr);
        vouch_public_key_free(key);
        checked++;
    }
    json_decref(root);
    assert_true(checked > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_signature_vectors_all_cases_agree),
        cmocka_unit_test(test_signature_vectors_pgp_ids_match_fingerprints),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
