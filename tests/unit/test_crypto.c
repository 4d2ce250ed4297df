/*
 * Unit tests for src/engine/crypto.c (private PKIX helpers).
 *
 * Sections:
 *   algorithm table ... vouch__alg_info_get
 *   JWS ............... vouch__public_key_verify_jws / vouch__pkix_verify_jws
 *                       with JWS made by openssl (tests/data/keys/jws-*)
 *   signing ........... vouch__pkix_sign: PSS salt = digest length
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/rsa.h>

#include "crypto.h"
#include "key_internal.h"
#include "testutil.h"

typedef struct blob {
    char *data;
    size_t len;
} blob;

static blob key_file(const char *name)
{
    char rel[256];
    blob b = { NULL, 0 };

    snprintf(rel, sizeof(rel), "keys/%s", name);
    b.data = testutil_read(rel, &b.len);
    return b;
}

static vouch_public_key *pkix(const char *file, vouch_signature_algorithm alg)
{
    blob b = key_file(file);
    vouch_public_key *key = NULL;
    vouch_error err = VOUCH_ERROR_INIT;

    assert_int_equal(vouch_public_key_new_pkix(&key, b.data, b.len, alg,
                                               NULL, NULL, &err), 0);
    free(b.data);
    return key;
}

static int jws(const vouch_public_key *key, const char *alg,
               const char *name, int flip, vouch_error *err)
{
    char file[64];
    blob input;
    blob sig;
    int rc;

    snprintf(file, sizeof(file), "%s.input", name);
    input = key_file(file);
    snprintf(file, sizeof(file), "%s.sig", name);
    sig = key_file(file);
    if (flip) {
        input.data[0] ^= 1;
    }
    rc = vouch__public_key_verify_jws(key, alg, strlen(alg),
                                      (unsigned char *)input.data, input.len,
                                      (unsigned char *)sig.data, sig.len,
                                      err);
    free(input.data);
    free(sig.data);
    return rc;
}

static void test_crypto_alg_table_is_complete(void **state)
{
    int a;

    (void)state;
    assert_null(vouch__alg_info_get(VOUCH_SIGNATURE_ALGORITHM_UNSPECIFIED));
    assert_null(vouch__alg_info_get((vouch_signature_algorithm)12));
    for (a = 1; a < VOUCH_SIGNATURE_ALGORITHM_COUNT; a++) {
        const vouch__alg_info *info =
            vouch__alg_info_get((vouch_signature_algorithm)a);

        assert_non_null(info);
        assert_int_equal(info->alg, a);
        assert_true(info->is_rsa ? info->rsa_bits >= 2048
                                 : info->ec_size >= 32);
    }
    assert_string_equal(vouch__alg_info_get(VOUCH_RSA_PSS_4096_SHA512)->jws,
                        "PS512");
    assert_string_equal(
        vouch__alg_info_get(VOUCH_RSA_SIGN_PKCS1_3072_SHA256)->jws, "RS256");
    assert_string_equal(vouch__alg_info_get(VOUCH_ECDSA_P521_SHA512)->jws,
                        "ES512");
}

static void test_crypto_jws_verifies_openssl_tokens(void **state)
{
    static const struct {
        const char *pub;
        vouch_signature_algorithm alg;
        const char *jose;
        const char *name;
    } cases[] = {
        { "p256.pub.pem", VOUCH_ECDSA_P256_SHA256, "ES256", "jws-es256" },
        { "p384.pub.pem", VOUCH_ECDSA_P384_SHA384, "ES384", "jws-es384" },
        { "p521.pub.pem", VOUCH_ECDSA_P521_SHA512, "ES512", "jws-es512" },
        { "rsa2048.pub.pem", VOUCH_RSA_SIGN_PKCS1_2048_SHA256, "RS256",
          "jws-rs256" },
        { "rsa2048.pub.pem", VOUCH_RSA_PSS_2048_SHA256, "PS256",
          "jws-ps256" },
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        vouch_public_key *key = pkix(cases[i].pub, cases[i].alg);
        vouch_error err = VOUCH_ERROR_INIT;

        if (jws(key, cases[i].jose, cases[i].name, 0, &err) != 0) {
            fail_msg("%s: %s", cases[i].name, err.message);
        }
        assert_int_equal(jws(key, cases[i].jose, cases[i].name, 1, &err),
                         VOUCH_ECRYPTO);
        vouch_public_key_free(key);
    }
}

static void test_crypto_jws_rejects_alg_mismatch(void **state)
{
    vouch_public_key *pss = pkix("rsa2048.pub.pem", VOUCH_RSA_PSS_2048_SHA256);
    vouch_public_key *ec = pkix("p256.pub.pem", VOUCH_ECDSA_P256_SHA256);
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    assert_int_equal(jws(pss, "RS256", "jws-rs256", 0, &err), VOUCH_ECRYPTO);
    assert_non_null(strstr(err.message, "needs \"PS256\""));
    assert_int_equal(jws(ec, "ES384", "jws-es256", 0, &err), VOUCH_ECRYPTO);
    assert_int_equal(jws(ec, "none", "jws-es256", 0, &err), VOUCH_ECRYPTO);
    assert_int_equal(jws(ec, "", "jws-es256", 0, &err), VOUCH_ECRYPTO);
    vouch_public_key_free(pss);
    vouch_public_key_free(ec);
}

static void test_crypto_jws_rejects_der_and_bad_lengths(void **state)
{
    vouch_public_key *ec = pkix("p256.pub.pem", VOUCH_ECDSA_P256_SHA256);
    blob input = key_file("jws-es256.input");
    blob der = key_file("p256.sig");
    blob raw = key_file("jws-es256.sig");
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    /* A DER signature is not what RFC 7518 puts in a JWS. */
    assert_int_equal(vouch__public_key_verify_jws(
                         ec, "ES256", 5, (unsigned char *)input.data,
                         input.len, (unsigned char *)der.data, der.len, &err),
                     VOUCH_ECRYPTO);
    assert_non_null(strstr(err.message, "64 bytes"));
    assert_int_equal(vouch__public_key_verify_jws(
                         ec, "ES256", 5, (unsigned char *)input.data,
                         input.len, (unsigned char *)raw.data, raw.len - 1,
                         &err), VOUCH_ECRYPTO);
    assert_int_equal(vouch__public_key_verify_jws(
                         ec, "ES256", 5, (unsigned char *)input.data,
                         input.len, NULL, 0, &err), VOUCH_ECRYPTO);
    vouch_public_key_free(ec);
    free(input.data);
    free(der.data);
    free(raw.data);
}

static void test_crypto_jws_rejects_pgp_key(void **state)
{
    blob asc = key_file("pgp.pub.asc");
    vouch_public_key *key = NULL;
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    assert_int_equal(vouch_public_key_new_pgp(&key, asc.data, asc.len, NULL,
                                              &err), 0);
    assert_int_equal(vouch__public_key_verify_jws(
                         key, "ES256", 5, (unsigned char *)"x", 1,
                         (unsigned char *)"y", 1, &err), VOUCH_ECRYPTO);
    assert_int_equal(vouch__public_key_verify_jws(
                         NULL, "ES256", 5, (unsigned char *)"x", 1,
                         (unsigned char *)"y", 1, &err), VOUCH_ECRYPTO);
    vouch_public_key_free(key);
    free(asc.data);
}

/* PSS signatures we make use salt length = digest length: check with an
 * EVP verifier pinned to that salt length (and one pinned to max fails). */
static void test_crypto_sign_pss_uses_digest_salt(void **state)
{
    blob pem = key_file("rsa2048.key.pem");
    EVP_PKEY *pkey = NULL;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    vouch_error err = VOUCH_ERROR_INIT;
    unsigned char *sig = NULL;
    size_t sig_len = 0;
    static const unsigned char msg[] = "m";

    (void)state;
    assert_non_null(ctx);
    assert_int_equal(vouch__pkix_parse_private_pem(pem.data, pem.len, &pkey,
                                                   &err), 0);
    assert_int_equal(vouch__pkix_sign(pkey, VOUCH_RSA_PSS_2048_SHA256, msg, 1,
                                      &sig, &sig_len, &err), 0);
    assert_int_equal(sig_len, 256);
    assert_int_equal(EVP_DigestVerifyInit_ex(ctx, &pctx, "SHA256", NULL,
                                             NULL, pkey, NULL), 1);
    assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(pctx,
                                                  RSA_PKCS1_PSS_PADDING), 1);
    assert_int_equal(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32), 1);
    assert_int_equal(EVP_DigestVerify(ctx, sig, sig_len, msg, 1), 1);
    EVP_MD_CTX_free(ctx);
    ctx = EVP_MD_CTX_new();
    assert_int_equal(EVP_DigestVerifyInit_ex(ctx, &pctx, "SHA256", NULL,
                                             NULL, pkey, NULL), 1);
    assert_int_equal(EVP_PKEY_CTX_set_rsa_padding(pctx,
                                                  RSA_PKCS1_PSS_PADDING), 1);
    assert_int_equal(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx,
                                                      RSA_PSS_SALTLEN_MAX),
                     1);
    assert_int_not_equal(EVP_DigestVerify(ctx, sig, sig_len, msg, 1), 1);
    EVP_MD_CTX_free(ctx);
    free(sig);
    EVP_PKEY_free(pkey);
    free(pem.data);
}

static void test_crypto_default_id_shape(void **state)
{
    static const unsigned char der[] = { 0x30, 0x00 };
    vouch_error err = VOUCH_ERROR_INIT;
    char *id = NULL;

    (void)state;
    assert_int_equal(vouch__pkix_default_id(der, sizeof(der), &id, &err), 0);
    assert_int_equal(strlen(id), strlen("ni:///sha-256;") + 43);
    assert_memory_equal(id, "ni:///sha-256;", 14);
    assert_null(strchr(id, '='));
    assert_null(strchr(id, '+'));
    assert_null(strchr(id + 14, '/'));
    free(id);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_crypto_alg_table_is_complete),
        cmocka_unit_test(test_crypto_jws_verifies_openssl_tokens),
        cmocka_unit_test(test_crypto_jws_rejects_alg_mismatch),
        cmocka_unit_test(test_crypto_jws_rejects_der_and_bad_lengths),
        cmocka_unit_test(test_crypto_jws_rejects_pgp_key),
        cmocka_unit_test(test_crypto_sign_pss_uses_digest_salt),
        cmocka_unit_test(test_crypto_default_id_shape),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
