/*
 * Unit tests for src/engine/pgp.c (private RNP helpers).
 *
 * Sections:
 *   import ........ vouch__pgp_key_load (fingerprint, subkeys, errors)
 *   verification .. vouch__pgp_verify_attached / _detached: subkeys,
 *                   revoked subkey, V3 signatures, unknown signer
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pgp.h"
#include "testutil.h"

typedef struct blob {
    char *data;
    size_t len;
} blob;

static blob load(const char *name)
{
    blob b = { NULL, 0 };

    b.data = testutil_read(name, &b.len);
    return b;
}

static vouch__pgp_key *key_from(const char *file, char *fpr)
{
    blob b = load(file);
    vouch__pgp_key *key = NULL;
    vouch_error err = VOUCH_ERROR_INIT;

    if (vouch__pgp_key_load(&key, b.data, b.len, fpr, &err) != 0) {
        fail_msg("%s: %s", file, err.message);
    }
    free(b.data);
    return key;
}

static int verify_file(vouch__pgp_key *key, const char *file,
                       vouch_error *err)
{
    blob msg = load(file);
    unsigned char *out = NULL;
    size_t out_len = 0;
    int rc = vouch__pgp_verify_attached(key, (unsigned char *)msg.data,
                                        msg.len, &out, &out_len, err);

    free(out);
    free(msg.data);
    return rc;
}

static void test_pgp_load_reports_primary_fingerprint(void **state)
{
    char fpr[VOUCH__PGP_FPR_LEN + 1];
    vouch__pgp_key *key =
        key_from("vectors/files/containers-image_public-key-with-subkey.gpg",
                 fpr);

    (void)state;
    assert_string_equal(fpr, "B9F4CDB9FD8C475BFA340AC38D54A947EE396F36");
    vouch__pgp_key_free(key);
    vouch__pgp_key_free(NULL);
}

static void test_pgp_load_rejects_two_keys_and_junk(void **state)
{
    blob two = load("keys/pgp-two.pub.asc");
    vouch__pgp_key *key = NULL;
    vouch_error err = VOUCH_ERROR_INIT;
    char fpr[VOUCH__PGP_FPR_LEN + 1];

    (void)state;
    assert_int_equal(vouch__pgp_key_load(&key, two.data, two.len, fpr, &err),
                     VOUCH_EINVAL);
    assert_null(key);
    assert_int_equal(vouch__pgp_key_load(&key, "x", 1, fpr, &err),
                     VOUCH_EPARSE);
    assert_int_equal(err.line, 1);
    free(two.data);
}

static void test_pgp_signing_subkey_counts(void **state)
{
    char fpr[VOUCH__PGP_FPR_LEN + 1];
    vouch__pgp_key *key =
        key_from("vectors/files/containers-image_public-key-with-subkey.gpg",
                 fpr);
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    assert_int_equal(verify_file(key,
                                 "vectors/files/"
                                 "containers-image_subkey.signature", &err),
                     0);
    assert_int_equal(verify_file(key,
                                 "vectors/files/"
                                 "containers-image_subkey.signature-v3",
                                 &err), 0);
    vouch__pgp_key_free(key);
}

static void test_pgp_revoked_subkey_is_invalid(void **state)
{
    char fpr[VOUCH__PGP_FPR_LEN + 1];
    vouch__pgp_key *key = key_from(
        "vectors/files/containers-image_public-key-with-revoked-subkey.gpg",
        fpr);
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    assert_int_equal(verify_file(key,
                                 "vectors/files/"
                                 "containers-image_subkey-revoked.signature",
                                 &err), VOUCH_ECRYPTO);
    assert_int_equal(err.code, VOUCH_ECRYPTO);
    vouch__pgp_key_free(key);
}

static void test_pgp_unknown_signer_names_key_id(void **state)
{
    char fpr[VOUCH__PGP_FPR_LEN + 1];
    vouch__pgp_key *key =
        key_from("vectors/files/containers-image_public-key.gpg", fpr);
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    assert_int_equal(verify_file(key,
                                 "vectors/files/"
                                 "containers-image_unknown-key.signature",
                                 &err), VOUCH_ECRYPTO);
    assert_non_null(strstr(err.message, fpr));
    assert_null(strstr(err.message, "unknown,"));
    vouch__pgp_key_free(key);
}

static void test_pgp_detached_limits(void **state)
{
    char fpr[VOUCH__PGP_FPR_LEN + 1];
    vouch__pgp_key *key = key_from("keys/pgp.pub.asc", fpr);
    vouch_error err = VOUCH_ERROR_INIT;
    unsigned char *big = calloc(1, VOUCH_SIGNATURE_MAX_BYTES + 1);

    (void)state;
    assert_non_null(big);
    assert_int_equal(vouch__pgp_verify_detached(key, big, 1, big,
                                                VOUCH_SIGNATURE_MAX_BYTES + 1,
                                                &err), VOUCH_ECRYPTO);
    assert_non_null(strstr(err.message, "limit"));
    assert_int_equal(vouch__pgp_verify_detached(key, NULL, 0, NULL, 0, &err),
                     VOUCH_ECRYPTO);
    assert_int_equal(vouch__pgp_verify_detached(key, big, 1, big, 16, &err),
                     VOUCH_ECRYPTO);
    free(big);
    vouch__pgp_key_free(key);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pgp_load_reports_primary_fingerprint),
        cmocka_unit_test(test_pgp_load_rejects_two_keys_and_junk),
        cmocka_unit_test(test_pgp_signing_subkey_counts),
        cmocka_unit_test(test_pgp_revoked_subkey_is_invalid),
        cmocka_unit_test(test_pgp_unknown_signer_names_key_id),
        cmocka_unit_test(test_pgp_detached_limits),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
