/*
 * Unit tests for src/engine/key.c (include/vouch/key.h).
 *
 * Sections:
 *   algorithm names .... vouch_signature_algorithm_parse, _name
 *   PKIX public keys ... vouch_public_key_new_pkix, getters, PEM errors,
 *                        algorithm agreement, ids
 *   PKIX verify ........ vouch_public_key_verify with openssl-made fixtures
 *   PGP public keys .... vouch_public_key_new_pgp, _verify_attached,
 *                        _verify (detached)
 *   key ids ............ vouch_key_default_id
 *   private keys ....... vouch_private_key_new, _sign, _public_id
 *   threads ............ concurrent verification on one key
 *
 * Fixtures: tests/data/keys/ (made by make-keys.sh with openssl and gpg).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "internal.h"
#include "vouch/key.h"
#include "testutil.h"

#define PGP_FPR "51652CA9F4323D2665103A9FDC934582FC68C7C3"
#define PGP_OTHER_FPR "DF2994BDFB1BB6B4FAEE6B745A8DB766E56E631E"
#define RSA2048_ID "ni:///sha-256;nSeHLfA_nwW5lOC3iOXr4B2j4W9G31DWZim5Qf8PcoI"

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

static blob key_file(const char *name)
{
    char path[256];

    snprintf(path, sizeof(path), "keys/%s", name);
    return load(path);
}

static vouch_public_key *pkix(const char *file, vouch_signature_algorithm alg)
{
    blob b = key_file(file);
    vouch_public_key *key = NULL;
    vouch_error err = VOUCH_ERROR_INIT;

    if (vouch_public_key_new_pkix(&key, b.data, b.len, alg, NULL, NULL,
                                  &err) != 0) {
        fail_msg("%s: %s", file, err.message);
    }
    free(b.data);
    return key;
}

static vouch_public_key *pgp(const char *file)
{
    blob b = key_file(file);
    vouch_public_key *key = NULL;
    vouch_error err = VOUCH_ERROR_INIT;

    if (vouch_public_key_new_pgp(&key, b.data, b.len, "c", &err) != 0) {
        fail_msg("%s: %s", file, err.message);
    }
    free(b.data);
    return key;
}

/* new_pkix on literal text; returns the code and leaves err filled. */
static int pkix_text(const char *text, size_t len,
                     vouch_signature_algorithm alg, const char *id,
                     vouch_error *err)
{
    vouch_public_key *key = NULL;
    int rc = vouch_public_key_new_pkix(&key, text, len, alg, id, NULL, err);

    if (rc != 0) {
        assert_null(key);
    }
    vouch_public_key_free(key);
    return rc;
}

/* ---------------------------------------------------------------------- */
/* algorithm names                                                         */

static void test_key_algorithm_parse_accepts_every_spelling(void **state)
{
    static const struct {
        const char *name;
        vouch_signature_algorithm alg;
    } cases[] = {
        { "RSA_PSS_2048_SHA256", VOUCH_RSA_PSS_2048_SHA256 },
        { "RSA_PSS_3072_SHA256", VOUCH_RSA_PSS_3072_SHA256 },
        { "RSA_PSS_4096_SHA256", VOUCH_RSA_PSS_4096_SHA256 },
        { "RSA_PSS_4096_SHA512", VOUCH_RSA_PSS_4096_SHA512 },
        { "RSA_SIGN_PKCS1_2048_SHA256", VOUCH_RSA_SIGN_PKCS1_2048_SHA256 },
        { "RSA_SIGN_PKCS1_3072_SHA256", VOUCH_RSA_SIGN_PKCS1_3072_SHA256 },
        { "RSA_SIGN_PKCS1_4096_SHA256", VOUCH_RSA_SIGN_PKCS1_4096_SHA256 },
        { "RSA_SIGN_PKCS1_4096_SHA512", VOUCH_RSA_SIGN_PKCS1_4096_SHA512 },
        { "ECDSA_P256_SHA256", VOUCH_ECDSA_P256_SHA256 },
        { "ECDSA_P384_SHA384", VOUCH_ECDSA_P384_SHA384 },
        { "ECDSA_P521_SHA512", VOUCH_ECDSA_P521_SHA512 },
        { "EC_SIGN_P256_SHA256", VOUCH_ECDSA_P256_SHA256 },
        { "EC_SIGN_P384_SHA384", VOUCH_ECDSA_P384_SHA384 },
        { "EC_SIGN_P521_SHA512", VOUCH_ECDSA_P521_SHA512 },
        { "RSA_SIGN_PSS_2048_SHA256", VOUCH_RSA_PSS_2048_SHA256 },
        { "RSA_SIGN_PSS_3072_SHA256", VOUCH_RSA_PSS_3072_SHA256 },
        { "RSA_SIGN_PSS_4096_SHA256", VOUCH_RSA_PSS_4096_SHA256 },
        { "RSA_SIGN_PSS_4096_SHA512", VOUCH_RSA_PSS_4096_SHA512 },
        { "rsa-pss-2048-sha256", VOUCH_RSA_PSS_2048_SHA256 },
        { "rsa-pss-3072-sha256", VOUCH_RSA_PSS_3072_SHA256 },
        { "rsa-pss-4096-sha256", VOUCH_RSA_PSS_4096_SHA256 },
        { "rsa-pss-4096-sha512", VOUCH_RSA_PSS_4096_SHA512 },
        { "rsa-sign-pkcs1-2048-sha256", VOUCH_RSA_SIGN_PKCS1_2048_SHA256 },
        { "rsa-sign-pkcs1-3072-sha256", VOUCH_RSA_SIGN_PKCS1_3072_SHA256 },
        { "rsa-sign-pkcs1-4096-sha256", VOUCH_RSA_SIGN_PKCS1_4096_SHA256 },
        { "rsa-sign-pkcs1-4096-sha512", VOUCH_RSA_SIGN_PKCS1_4096_SHA512 },
        { "ecdsa-p256-sha256", VOUCH_ECDSA_P256_SHA256 },
        { "ecdsa-p384-sha384", VOUCH_ECDSA_P384_SHA384 },
        { "ecdsa-p521-sha512", VOUCH_ECDSA_P521_SHA512 },
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        vouch_signature_algorithm alg = VOUCH_SIGNATURE_ALGORITHM_UNSPECIFIED;
        vouch_error err = VOUCH_ERROR_INIT;

        assert_int_equal(vouch_signature_algorithm_parse(
                             cases[i].name, strlen(cases[i].name), &alg,
                             &err), 0);
        assert_int_equal(alg, cases[i].alg);
    }
}

static void test_key_algorithm_parse_rejects_unknown_names(void **state)
{
    static const char *const bad[] = {
        "", "SIGNATURE_ALGORITHM_UNSPECIFIED", "rsa-pss-4096s-ha256",
        "Ecdsa_P256_SHA256", "ECDSA_P256_SHA256 ", "ecdsa_p256_sha256",
        "ec-sign-p256-sha256", "ML_DSA_65", "ECDSA_P256",
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        vouch_signature_algorithm alg = VOUCH_ECDSA_P256_SHA256;
        vouch_error err = VOUCH_ERROR_INIT;

        assert_int_equal(vouch_signature_algorithm_parse(bad[i],
                                                         strlen(bad[i]),
                                                         &alg, &err),
                         VOUCH_EINVAL);
        assert_int_equal(err.code, VOUCH_EINVAL);
    }
    {
        vouch_signature_algorithm alg;
        vouch_error err = VOUCH_ERROR_INIT;

        /* Reads only `len` bytes: a prefix of a valid name is not it. */
        assert_int_equal(vouch_signature_algorithm_parse(
                             "ECDSA_P256_SHA256", 10, &alg, &err),
                         VOUCH_EINVAL);
        assert_contains(err.message, "ECDSA_P256");
    }
}

static void test_key_algorithm_name_is_canonical(void **state)
{
    (void)state;
    assert_string_equal(vouch_signature_algorithm_name(
                            VOUCH_ECDSA_P521_SHA512), "ECDSA_P521_SHA512");
    assert_string_equal(vouch_signature_algorithm_name(
                            VOUCH_RSA_PSS_2048_SHA256),
                        "RSA_PSS_2048_SHA256");
    assert_string_equal(vouch_signature_algorithm_name(
                            VOUCH_SIGNATURE_ALGORITHM_UNSPECIFIED),
                        "SIGNATURE_ALGORITHM_UNSPECIFIED");
}

/* ---------------------------------------------------------------------- */
/* PKIX public keys                                                        */

static void test_key_pkix_infers_algorithm_from_key(void **state)
{
    static const struct {
        const char *file;
        vouch_signature_algorithm alg;
    } cases[] = {
        { "rsa2048.pub.pem", VOUCH_RSA_SIGN_PKCS1_2048_SHA256 },
        { "rsa3072.pub.pem", VOUCH_RSA_SIGN_PKCS1_3072_SHA256 },
        { "rsa4096.pub.pem", VOUCH_RSA_SIGN_PKCS1_4096_SHA256 },
        { "p256.pub.pem", VOUCH_ECDSA_P256_SHA256 },
        { "p384.pub.pem", VOUCH_ECDSA_P384_SHA384 },
        { "p521.pub.pem", VOUCH_ECDSA_P521_SHA512 },
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        vouch_public_key *key =
            pkix(cases[i].file, VOUCH_SIGNATURE_ALGORITHM_UNSPECIFIED);

        assert_int_equal(vouch_public_key_algorithm(key), cases[i].alg);
        assert_int_equal(vouch_public_key_kind(key), VOUCH_KEY_PKIX);
        vouch_public_key_free(key);
    }
}

static void test_key_pkix_accepts_every_matching_algorithm(void **state)
{
    static const struct {
        const char *file;
        vouch_signature_algorithm alg;
    } cases[] = {
        { "rsa2048.pub.pem", VOUCH_RSA_PSS_2048_SHA256 },
        { "rsa3072.pub.pem", VOUCH_RSA_PSS_3072_SHA256 },
        { "rsa4096.pub.pem", VOUCH_RSA_PSS_4096_SHA256 },
        { "rsa4096.pub.pem", VOUCH_RSA_PSS_4096_SHA512 },
        { "rsa4096.pub.pem", VOUCH_RSA_SIGN_PKCS1_4096_SHA512 },
        { "p384.pub.pem", VOUCH_ECDSA_P384_SHA384 },
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        vouch_public_key *key = pkix(cases[i].file, cases[i].alg);

        assert_int_equal(vouch_public_key_algorithm(key), cases[i].alg);
        vouch_public_key_free(key);
    }
}

static void test_key_pkix_rejects_wrong_modulus_size(void **state)
{
    blob b = key_file("rsa3072.pub.pem");
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    assert_int_equal(pkix_text(b.data, b.len, VOUCH_RSA_PSS_2048_SHA256,
                               NULL, &err), VOUCH_EINVAL);
    assert_string_equal(err.message, "key is RSA 3072 bits but "
                        "RSA_PSS_2048_SHA256 needs a 2048-bit RSA key");
    free(b.data);
}

static void test_key_pkix_rejects_wrong_curve_and_type(void **state)
{
    blob p256 = key_file("p256.pub.pem");
    blob rsa = key_file("rsa2048.pub.pem");
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    assert_int_equal(pkix_text(p256.data, p256.len, VOUCH_ECDSA_P384_SHA384,
                               NULL, &err), VOUCH_EINVAL);
    assert_string_equal(err.message, "key is EC P-256 but ECDSA_P384_SHA384 "
                        "needs an EC P-384 key");
    assert_int_equal(pkix_text(p256.data, p256.len,
                               VOUCH_RSA_SIGN_PKCS1_2048_SHA256, NULL, &err),
                     VOUCH_EINVAL);
    assert_contains(err.message, "key is EC P-256 but");
    assert_int_equal(pkix_text(rsa.data, rsa.len, VOUCH_ECDSA_P256_SHA256,
                               NULL, &err), VOUCH_EINVAL);
    assert_contains(err.message, "key is RSA 2048 bits but");
    assert_int_equal(pkix_text(rsa.data, rsa.len,
                               (vouch_signature_algorithm)12, NULL, &err),
                     VOUCH_EINVAL);
    free(p256.data);
    free(rsa.data);
}

static void test_key_pkix_rejects_keys_no_algorithm_fits(void **state)
{
    static const char *const files[] = {
        "rsa1024.pub.pem", "k256.pub.pem", "ed25519.pub.pem",
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        blob b = key_file(files[i]);
        vouch_error err = VOUCH_ERROR_INIT;

        assert_int_equal(pkix_text(b.data, b.len,
                                   VOUCH_SIGNATURE_ALGORITHM_UNSPECIFIED,
                                   NULL, &err), VOUCH_EINVAL);
        assert_contains(err.message, "no signature algorithm fits");
        free(b.data);
    }
}

static void test_key_pkix_rejects_non_pem(void **state)
{
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    assert_int_equal(pkix_text("malformed key", 13,
                               VOUCH_SIGNATURE_ALGORITHM_UNSPECIFIED, NULL,
                               &err), VOUCH_EPARSE);
    assert_int_equal(err.line, 1);
    assert_int_equal(err.column, 1);
    assert_int_equal(pkix_text("", 0, VOUCH_SIGNATURE_ALGORITHM_UNSPECIFIED,
                               NULL, &err), VOUCH_EPARSE);
    assert_contains(err.message, "empty");
    assert_int_equal(pkix_text(NULL, 0, VOUCH_SIGNATURE_ALGORITHM_UNSPECIFIED,
                               NULL, &err), VOUCH_EPARSE);
}

static void test_key_pkix_rejects_private_key_and_pkcs1(void **state)
{
    blob priv = key_file("p256.key.pem");
    blob trad = key_file("rsa2048.trad.key.pem");
    blob pkcs1 = key_file("rsa2048.pkcs1.pub.pem");
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    assert_int_equal(pkix_text(priv.data, priv.len,
                               VOUCH_SIGNATURE_ALGORITHM_UNSPECIFIED, NULL,
                               &err), VOUCH_EPARSE);
    assert_contains(err.message, "private key");
    assert_int_equal(pkix_text(trad.data, trad.len,
                               VOUCH_SIGNATURE_ALGORITHM_UNSPECIFIED, NULL,
                               &err), VOUCH_EPARSE);
    assert_contains(err.message, "private key");
    assert_int_equal(pkix_text(pkcs1.data, pkcs1.len,
                               VOUCH_SIGNATURE_ALGORITHM_UNSPECIFIED, NULL,
                               &err), VOUCH_EPARSE);
    assert_contains(err.message, "RSA PUBLIC KEY");
    free(priv.data);
    free(trad.data);
    free(pkcs1.data);
}

static void test_key_pkix_rejects_two_blocks(void **state)
{
    blob a = key_file("p256.pub.pem");
    blob b = key_file("p384.pub.pem");
    char *both = malloc(a.len + b.len);
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    assert_non_null(both);
    memcpy(both, a.data, a.len);
    memcpy(both + a.len, b.data, b.len);
    assert_int_equal(pkix_text(both, a.len + b.len,
                               VOUCH_SIGNATURE_ALGORITHM_UNSPECIFIED, NULL,
                               &err), VOUCH_EPARSE);
    assert_contains(err.message, "second PEM block");
    assert_int_equal(err.line, 5); /* a P-256 SPKI PEM is 4 lines */
    assert_int_equal(err.column, 1);
    free(both);
    free(a.data);
    free(b.data);
}

static void test_key_pkix_rejects_trailing_garbage(void **state)
{
    blob a = key_file("p256.pub.pem");
    char *text = malloc(a.len + 32);
    vouch_error err = VOUCH_ERROR_INIT;
    size_t n;

    (void)state;
    assert_non_null(text);
    memcpy(text, a.data, a.len);
    n = a.len;
    memcpy(text + n, "\nwith some extra stuff", 22);
    n += 22;
    assert_int_equal(pkix_text(text, n,
                               VOUCH_SIGNATURE_ALGORITHM_UNSPECIFIED, NULL,
                               &err), VOUCH_EPARSE);
    assert_contains(err.message, "after the PEM block");
    assert_int_equal(err.line, 6);
    /* Whitespace around the block is fine, LF or CRLF. */
    memcpy(text, "  \r\n", 4);
    memcpy(text + 4, a.data, a.len);
    memcpy(text + 4 + a.len, "\r\n\t \n", 5);
    assert_int_equal(pkix_text(text, a.len + 9,
                               VOUCH_SIGNATURE_ALGORITHM_UNSPECIFIED, NULL,
                               &err), 0);
    free(text);
    free(a.data);
}

static void test_key_pkix_accepts_crlf(void **state)
{
    blob a = key_file("rsa2048.pub.pem");
    char *text = malloc(2 * a.len);
    vouch_public_key *key = NULL;
    vouch_error err = VOUCH_ERROR_INIT;
    size_t i;
    size_t n = 0;

    (void)state;
    assert_non_null(text);
    for (i = 0; i < a.len; i++) {
        if (a.data[i] == '\n') {
            text[n++] = '\r';
        }
        text[n++] = a.data[i];
    }
    assert_int_equal(vouch_public_key_new_pkix(
                         &key, text, n, VOUCH_SIGNATURE_ALGORITHM_UNSPECIFIED,
                         NULL, NULL, &err), 0);
    assert_string_equal(vouch_public_key_id(key), RSA2048_ID);
    vouch_public_key_free(key);
    free(text);
    free(a.data);
}

static void test_key_pkix_rejects_truncated_and_bad_body(void **state)
{
    static const char no_end[] =
        "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n";
    static const char bad_b64[] =
        "-----BEGIN PUBLIC KEY-----\nM!!!\n-----END PUBLIC KEY-----\n";
    static const char not_spki[] =
        "-----BEGIN PUBLIC KEY-----\naGVsbG8=\n-----END PUBLIC KEY-----\n";
    static const char empty_body[] =
        "-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n";
    static const char other[] =
        "-----BEGIN FOO-----\naGVsbG8=\n-----END FOO-----\n";
    blob a = key_file("p256.pub.pem");
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    assert_int_equal(pkix_text(no_end, sizeof(no_end) - 1,
                               VOUCH_SIGNATURE_ALGORITHM_UNSPECIFIED, NULL,
                               &err), VOUCH_EPARSE);
    assert_contains(err.message, "not terminated");
    assert_int_equal(pkix_text(bad_b64, sizeof(bad_b64) - 1,
                               VOUCH_SIGNATURE_ALGORITHM_UNSPECIFIED, NULL,
                               &err), VOUCH_EPARSE);
    assert_int_equal(pkix_text(not_spki, sizeof(not_spki) - 1,
                               VOUCH_SIGNATURE_ALGORITHM_UNSPECIFIED, NULL,
                               &err), VOUCH_EPARSE);
    assert_contains(err.message, "SubjectPublicKeyInfo");
    assert_int_equal(pkix_text(empty_body, sizeof(empty_body) - 1,
                               VOUCH_SIGNATURE_ALGORITHM_UNSPECIFIED, NULL,
                               &err), VOUCH_EPARSE);
    assert_int_equal(pkix_text(other, sizeof(other) - 1,
                               VOUCH_SIGNATURE_ALGORITHM_UNSPECIFIED, NULL,
                               &err), VOUCH_EPARSE);
    assert_contains(err.message, "FOO");
    /* The same key cut short by one byte (inside the END line). */
    assert_int_equal(pkix_text(a.data, a.len - 3,
                               VOUCH_SIGNATURE_ALGORITHM_UNSPECIFIED, NULL,
                               &err), VOUCH_EPARSE);
    free(a.data);
}

static void test_key_pkix_rejects_extra_der_bytes(void **state)
{
    blob a = key_file("p256.pub.pem");
    const char *body = a.data + strlen("-----BEGIN PUBLIC KEY-----\n");
    const char *end = strstr(a.data, "-----END");
    char b64[512];
    size_t n = 0;
    unsigned char *der = NULL;
    size_t der_len = 0;
    char *re = NULL;
    char pem[1024];
    vouch_error err = VOUCH_ERROR_INIT;
    const char *p;

    (void)state;
    for (p = body; p < end; p++) {
        if (*p != '\n') {
            b64[n++] = *p;
        }
    }
    assert_int_equal(vouch__base64_decode(b64, n, &der, &der_len), 0);
    der = realloc(der, der_len + 1);
    assert_non_null(der);
    der[der_len] = 0;
    assert_int_equal(vouch__base64_encode(der, der_len + 1, false, &re), 0);
    snprintf(pem, sizeof(pem),
             "-----BEGIN PUBLIC KEY-----\n%s\n-----END PUBLIC KEY-----\n",
             re);
    assert_int_equal(pkix_text(pem, strlen(pem),
                               VOUCH_SIGNATURE_ALGORITHM_UNSPECIFIED, NULL,
                               &err), VOUCH_EPARSE);
    assert_contains(err.message, "extra bytes");
    free(re);
    free(der);
    free(a.data);
}

static void test_key_pkix_rejects_too_big(void **state)
{
    size_t n = VOUCH_KEY_MAX_BYTES + 1;
    char *big = malloc(n);
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    assert_non_null(big);
    memset(big, ' ', n);
    assert_int_equal(pkix_text(big, n, VOUCH_SIGNATURE_ALGORITHM_UNSPECIFIED,
                               NULL, &err), VOUCH_ETOOBIG);
    free(big);
}

static void test_key_pkix_default_id_and_getters(void **state)
{
    blob a = key_file("rsa2048.pub.pem");
    vouch_public_key *key = NULL;
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    assert_int_equal(vouch_public_key_new_pkix(
                         &key, a.data, a.len,
                         VOUCH_SIGNATURE_ALGORITHM_UNSPECIFIED, "",
                         "my comment", &err), 0);
    assert_string_equal(vouch_public_key_id(key), RSA2048_ID);
    assert_string_equal(vouch_public_key_comment(key), "my comment");
    assert_string_equal(vouch_public_key_text(key), a.data);
    vouch_public_key_free(key);
    /* The kritis P-256 key: id computed with openssl + base64url. */
    {
        blob k = load("vectors/files/"
                      "grafeas-kritis_verify_detached_test_ec256PubKey.pem");

        assert_int_equal(vouch_public_key_new_pkix(
                             &key, k.data, k.len, VOUCH_ECDSA_P256_SHA256,
                             NULL, NULL, &err), 0);
        assert_string_equal(vouch_public_key_id(key),
                            "ni:///sha-256;"
                            "F8ZLbGLECGCxd8yEtBiqNnSMB7S-TC0CpJ1G9JLJpD4");
        assert_null(vouch_public_key_comment(key));
        vouch_public_key_free(key);
        free(k.data);
    }
    free(a.data);
}

static void test_key_pkix_accepts_uri_ids(void **state)
{
    static const char *const good[] = {
        "ni:///sha-256;abc", "openpgp4fpr:ABCDEF", "https://example.com/k",
        "a:", "x+y-z.w:anything/%20?#",
        /* gcloud's Cloud KMS key ids are network-path references (one
         * string, two lines: the parentheses tell clang it is meant). */
        ("//cloudkms.googleapis.com/v1/projects/p/locations/l/keyRings/r/"
         "cryptoKeys/k/cryptoKeyVersions/1"),
    };
    blob a = key_file("p256.pub.pem");
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        vouch_public_key *key = NULL;
        vouch_error err = VOUCH_ERROR_INIT;

        assert_int_equal(vouch_public_key_new_pkix(
                             &key, a.data, a.len,
                             VOUCH_SIGNATURE_ALGORITHM_UNSPECIFIED, good[i],
                             NULL, &err), 0);
        assert_string_equal(vouch_public_key_id(key), good[i]);
        vouch_public_key_free(key);
    }
    free(a.data);
}

static void test_key_pkix_rejects_bad_ids(void **state)
{
    static const char *const bad[] = {
        "no-scheme", "1abc:x", ":x", "ab_c:d", "a b:c", "ni:/// x",
        "ni:\x01", "ni:x\x7f", "ni:\ttab", "///three-slashes", "//",
        "//kms x",
    };
    blob a = key_file("p256.pub.pem");
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        vouch_error err = VOUCH_ERROR_INIT;

        assert_int_equal(pkix_text(a.data, a.len,
                                   VOUCH_SIGNATURE_ALGORITHM_UNSPECIFIED,
                                   bad[i], &err), VOUCH_EINVAL);
        assert_contains(err.message, "URI");
    }
    free(a.data);
}

/* ---------------------------------------------------------------------- */
/* PKIX verify                                                             */

static void check_sig(const char *pub, vouch_signature_algorithm alg,
                      const char *sig_file, int want)
{
    vouch_public_key *key = pkix(pub, alg);
    blob payload = key_file("payload.txt");
    blob sig = key_file(sig_file);
    vouch_error err = VOUCH_ERROR_INIT;
    int rc = vouch_public_key_verify(key, (unsigned char *)payload.data,
                                     payload.len, (unsigned char *)sig.data,
                                     sig.len, &err);

    if (rc != want) {
        fail_msg("%s with %s: got %d (%s), want %d", sig_file, pub, rc,
                 err.message, want);
    }
    vouch_public_key_free(key);
    free(payload.data);
    free(sig.data);
}

static void test_key_verify_openssl_signatures(void **state)
{
    (void)state;
    check_sig("rsa2048.pub.pem", VOUCH_RSA_SIGN_PKCS1_2048_SHA256,
              "rsa2048.pkcs1.sig", 0);
    check_sig("rsa4096.pub.pem", VOUCH_RSA_SIGN_PKCS1_4096_SHA512,
              "rsa4096.pkcs1-sha512.sig", 0);
    check_sig("p256.pub.pem", VOUCH_ECDSA_P256_SHA256, "p256.sig", 0);
    check_sig("p384.pub.pem", VOUCH_ECDSA_P384_SHA384, "p384.sig", 0);
    check_sig("p521.pub.pem", VOUCH_ECDSA_P521_SHA512, "p521.sig", 0);
}

static void test_key_verify_pss_any_salt_length(void **state)
{
    (void)state;
    check_sig("rsa2048.pub.pem", VOUCH_RSA_PSS_2048_SHA256,
              "rsa2048.pss-digest.sig", 0);
    check_sig("rsa2048.pub.pem", VOUCH_RSA_PSS_2048_SHA256,
              "rsa2048.pss-max.sig", 0);
    check_sig("rsa4096.pub.pem", VOUCH_RSA_PSS_4096_SHA512,
              "rsa4096.pss-sha512-max.sig", 0);
}

static void test_key_verify_rejects_wrong_scheme_or_hash(void **state)
{
    (void)state;
    check_sig("rsa2048.pub.pem", VOUCH_RSA_SIGN_PKCS1_2048_SHA256,
              "rsa2048.pss-digest.sig", VOUCH_ECRYPTO);
    check_sig("rsa2048.pub.pem", VOUCH_RSA_PSS_2048_SHA256,
              "rsa2048.pkcs1.sig", VOUCH_ECRYPTO);
    check_sig("rsa4096.pub.pem", VOUCH_RSA_SIGN_PKCS1_4096_SHA256,
              "rsa4096.pkcs1-sha512.sig", VOUCH_ECRYPTO);
}

static void test_key_verify_rejects_wrong_key(void **state)
{
    vouch_public_key *other = pkix("p256.pub.pem", VOUCH_ECDSA_P256_SHA256);
    blob payload = key_file("payload.txt");
    blob k = load("vectors/files/"
                  "grafeas-kritis_verify_detached_test_ec256PubKey.pem");
    blob sig = key_file("p256.sig");
    vouch_public_key *key = NULL;
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    assert_int_equal(vouch_public_key_verify(other,
                                             (unsigned char *)payload.data,
                                             payload.len,
                                             (unsigned char *)sig.data,
                                             sig.len, &err), 0);
    assert_int_equal(vouch_public_key_new_pkix(&key, k.data, k.len,
                                               VOUCH_ECDSA_P256_SHA256, NULL,
                                               NULL, &err), 0);
    assert_int_equal(vouch_public_key_verify(key,
                                             (unsigned char *)payload.data,
                                             payload.len,
                                             (unsigned char *)sig.data,
                                             sig.len, &err), VOUCH_ECRYPTO);
    assert_contains(err.message, "does not verify");
    vouch_public_key_free(key);
    vouch_public_key_free(other);
    free(k.data);
    free(payload.data);
    free(sig.data);
}

static void test_key_verify_rejects_tampered_payload(void **state)
{
    vouch_public_key *key = pkix("p384.pub.pem", VOUCH_ECDSA_P384_SHA384);
    blob payload = key_file("payload.txt");
    blob sig = key_file("p384.sig");
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    payload.data[0] ^= 1;
    assert_int_equal(vouch_public_key_verify(key,
                                             (unsigned char *)payload.data,
                                             payload.len,
                                             (unsigned char *)sig.data,
                                             sig.len, &err), VOUCH_ECRYPTO);
    payload.data[0] ^= 1;
    /* Without gcloud's trailing newline the digest differs too. */
    assert_int_equal(vouch_public_key_verify(key,
                                             (unsigned char *)payload.data,
                                             payload.len - 1,
                                             (unsigned char *)sig.data,
                                             sig.len, &err), VOUCH_ECRYPTO);
    vouch_public_key_free(key);
    free(payload.data);
    free(sig.data);
}

static void test_key_verify_rejects_bad_signature_shapes(void **state)
{
    vouch_public_key *rsa =
        pkix("rsa2048.pub.pem", VOUCH_RSA_SIGN_PKCS1_2048_SHA256);
    vouch_public_key *ec = pkix("p256.pub.pem", VOUCH_ECDSA_P256_SHA256);
    blob payload = key_file("payload.txt");
    blob sig = key_file("rsa2048.pkcs1.sig");
    blob esig = key_file("p256.sig");
    unsigned char *ber = malloc(esig.len + 2);
    const unsigned char *p = (unsigned char *)payload.data;
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    assert_int_equal(vouch_public_key_verify(rsa, p, payload.len, NULL, 0,
                                             &err), VOUCH_ECRYPTO);
    assert_contains(err.message, "empty");
    assert_int_equal(vouch_public_key_verify(rsa, p, payload.len,
                                             (unsigned char *)sig.data,
                                             sig.len - 1, &err),
                     VOUCH_ECRYPTO);
    assert_contains(err.message, "256-byte");
    /* A DER signature with a trailing byte is not DER. */
    assert_non_null(ber);
    memcpy(ber, esig.data, esig.len);
    ber[esig.len] = 0;
    assert_int_equal(vouch_public_key_verify(ec, p, payload.len, ber,
                                             esig.len + 1, &err),
                     VOUCH_ECRYPTO);
    assert_contains(err.message, "DER");
    /* Long-form length for the SEQUENCE: valid BER, not DER. */
    ber[0] = 0x30;
    ber[1] = 0x81;
    memcpy(ber + 2, esig.data + 1, esig.len - 1);
    assert_int_equal(vouch_public_key_verify(ec, p, payload.len, ber,
                                             esig.len + 1, &err),
                     VOUCH_ECRYPTO);
    assert_contains(err.message, "strict DER");
    vouch_public_key_free(rsa);
    vouch_public_key_free(ec);
    free(ber);
    free(payload.data);
    free(sig.data);
    free(esig.data);
}

static void test_key_verify_rejects_raw_ecdsa(void **state)
{
    vouch_public_key *key = NULL;
    vouch_error err = VOUCH_ERROR_INIT;
    unsigned char raw[64];
    blob k = load("vectors/files/"
                  "grafeas-kritis_verify_detached_test_ec256PubKey.pem");

    (void)state;
    memset(raw, 0x11, sizeof(raw));
    assert_int_equal(vouch_public_key_new_pkix(&key, k.data, k.len,
                                               VOUCH_ECDSA_P256_SHA256, NULL,
                                               NULL, &err), 0);
    assert_int_equal(vouch_public_key_verify(key, (unsigned char *)"x", 1,
                                             raw, sizeof(raw), &err),
                     VOUCH_ECRYPTO);
    assert_contains(err.message, "raw r||s");
    vouch_public_key_free(key);
    free(k.data);
}

/* ---------------------------------------------------------------------- */
/* PGP public keys                                                         */

static void test_key_pgp_id_is_fingerprint(void **state)
{
    vouch_public_key *key = pgp("pgp.pub.asc");
    vouch_public_key *crlf = pgp("pgp.pub.crlf.asc");
    blob text = key_file("pgp.pub.asc");

    (void)state;
    assert_int_equal(vouch_public_key_kind(key), VOUCH_KEY_PGP);
    assert_string_equal(vouch_public_key_id(key), PGP_FPR);
    assert_string_equal(vouch_public_key_id(crlf), PGP_FPR);
    assert_string_equal(vouch_public_key_text(key), text.data);
    assert_string_equal(vouch_public_key_comment(key), "c");
    assert_int_equal(vouch_public_key_algorithm(key),
                     VOUCH_SIGNATURE_ALGORITHM_UNSPECIFIED);
    vouch_public_key_free(key);
    vouch_public_key_free(crlf);
    free(text.data);
}

static int pgp_text(const char *text, size_t len, vouch_error *err)
{
    vouch_public_key *key = NULL;
    int rc = vouch_public_key_new_pgp(&key, text, len, NULL, err);

    if (rc != 0) {
        assert_null(key);
    }
    vouch_public_key_free(key);
    return rc;
}

static void test_key_pgp_rejects_two_primary_keys(void **state)
{
    blob two = key_file("pgp-two.pub.asc");
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    assert_int_equal(pgp_text(two.data, two.len, &err), VOUCH_EINVAL);
    assert_contains(err.message, "2 primary keys");
    free(two.data);
}

static void test_key_pgp_rejects_bad_armor(void **state)
{
    blob a = key_file("pgp.pub.asc");
    blob bin = key_file("pgp.pub.gpg");
    vouch_error err = VOUCH_ERROR_INIT;
    static const char priv[] = "-----BEGIN PGP PRIVATE KEY BLOCK-----\n";
    static const char armor_only[] =
        "-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n"
        "-----END PGP PUBLIC KEY BLOCK-----\n";

    (void)state;
    /* Truncated in the middle of the base64. */
    assert_int_equal(pgp_text(a.data, a.len / 2, &err), VOUCH_EPARSE);
    assert_int_equal(pgp_text(bin.data, bin.len, &err), VOUCH_EPARSE);
    assert_contains(err.message, "ASCII-armored");
    assert_int_equal(pgp_text("invalid-public-key", 18, &err),
                     VOUCH_EPARSE);
    assert_int_equal(pgp_text("", 0, &err), VOUCH_EPARSE);
    assert_int_equal(pgp_text(NULL, 0, &err), VOUCH_EPARSE);
    assert_int_equal(pgp_text(priv, sizeof(priv) - 1, &err), VOUCH_EPARSE);
    assert_contains(err.message, "private key");
    assert_int_equal(pgp_text(armor_only, sizeof(armor_only) - 1, &err),
                     VOUCH_EPARSE);
    free(a.data);
    free(bin.data);
}

static void test_key_pgp_rejects_too_big(void **state)
{
    size_t n = VOUCH_KEY_MAX_BYTES + 1;
    char *big = calloc(1, n);
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    assert_non_null(big);
    assert_int_equal(pgp_text(big, n, &err), VOUCH_ETOOBIG);
    free(big);
}

static int attached(const char *key_file_name, const char *msg_file,
                    vouch_error *err, blob *payload)
{
    vouch_public_key *key = pgp(key_file_name);
    blob msg = key_file(msg_file);
    unsigned char *out = NULL;
    size_t out_len = 0;
    int rc = vouch_public_key_verify_attached(key, (unsigned char *)msg.data,
                                              msg.len, &out, &out_len, err);

    if (rc != 0) {
        assert_null(out);
    }
    if (payload != NULL) {
        payload->data = (char *)out;
        payload->len = out_len;
    } else {
        vouch_free(out);
    }
    vouch_public_key_free(key);
    free(msg.data);
    return rc;
}

static void test_key_pgp_attached_returns_payload(void **state)
{
    static const char *const msgs[] = { "pgp.attached.asc",
                                        "pgp.attached.gpg" };
    blob want = key_file("payload.txt");
    size_t i;

    (void)state;
    for (i = 0; i < 2; i++) {
        vouch_error err = VOUCH_ERROR_INIT;
        blob got = { NULL, 0 };

        if (attached("pgp.pub.asc", msgs[i], &err, &got) != 0) {
            fail_msg("%s: %s", msgs[i], err.message);
        }
        assert_int_equal(got.len, want.len);
        assert_memory_equal(got.data, want.data, want.len);
        vouch_free(got.data);
    }
    free(want.data);
}

static void test_key_pgp_attached_rejects_wrong_key(void **state)
{
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    assert_int_equal(attached("pgp.pub.asc", "pgp-other.attached.asc", &err,
                              NULL), VOUCH_ECRYPTO);
    assert_contains(err.message, PGP_FPR);
    assert_int_equal(attached("pgp-other.pub.asc", "pgp.attached.asc", &err,
                              NULL), VOUCH_ECRYPTO);
}

static void test_key_pgp_attached_rejects_expired_signature(void **state)
{
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    assert_int_equal(attached("pgp.pub.asc", "pgp.expired-sig.asc", &err,
                              NULL), VOUCH_ECRYPTO);
    assert_contains(err.message, "expired");
}

static void test_key_pgp_attached_accepts_key_expired_since(void **state)
{
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    if (attached("pgp-expired.pub.asc", "pgp-expired.attached.asc", &err,
                 NULL) != 0) {
        fail_msg("%s", err.message);
    }
}

static void test_key_pgp_attached_rejects_unsigned_and_garbage(void **state)
{
    vouch_public_key *key = pgp("pgp.pub.asc");
    vouch_error err = VOUCH_ERROR_INIT;
    unsigned char *out = NULL;
    size_t out_len = 0;

    (void)state;
    assert_int_equal(attached("pgp.pub.asc", "pgp.unsigned.asc", &err,
                              NULL), VOUCH_ECRYPTO);
    assert_contains(err.message, "no signature");
    assert_int_equal(vouch_public_key_verify_attached(
                         key, (unsigned char *)"invalid-sig", 11, &out,
                         &out_len, &err), VOUCH_ECRYPTO);
    assert_null(out);
    assert_int_equal(vouch_public_key_verify_attached(key, NULL, 0, &out,
                                                      &out_len, &err),
                     VOUCH_ECRYPTO);
    vouch_public_key_free(key);
}

static void test_key_pgp_attached_rejects_tampered_message(void **state)
{
    vouch_public_key *key = pgp("pgp.pub.asc");
    blob msg = key_file("pgp.attached.gpg");
    vouch_error err = VOUCH_ERROR_INIT;
    unsigned char *out = NULL;
    size_t out_len = 0;

    (void)state;
    /* The binary message stores payload.txt compressed; flip a bit in the
     * last signature MPI byte instead, which always breaks it. */
    msg.data[msg.len - 1] ^= 1;
    assert_int_equal(vouch_public_key_verify_attached(
                         key, (unsigned char *)msg.data, msg.len, &out,
                         &out_len, &err), VOUCH_ECRYPTO);
    assert_null(out);
    vouch_public_key_free(key);
    free(msg.data);
}

static void test_key_pgp_attached_needs_pgp_key(void **state)
{
    vouch_public_key *key = pkix("p256.pub.pem", VOUCH_ECDSA_P256_SHA256);
    vouch_error err = VOUCH_ERROR_INIT;
    unsigned char *out = NULL;
    size_t out_len = 0;

    (void)state;
    assert_int_equal(vouch_public_key_verify_attached(
                         key, (unsigned char *)"x", 1, &out, &out_len, &err),
                     VOUCH_EINVAL);
    vouch_public_key_free(key);
}

static void test_key_pgp_detached_verifies(void **state)
{
    static const char *const sigs[] = { "pgp.detached.asc",
                                        "pgp.detached.gpg" };
    vouch_public_key *key = pgp("pgp.pub.asc");
    vouch_public_key *other = pgp("pgp-other.pub.asc");
    blob payload = key_file("payload.txt");
    size_t i;

    (void)state;
    for (i = 0; i < 2; i++) {
        blob sig = key_file(sigs[i]);
        vouch_error err = VOUCH_ERROR_INIT;

        assert_int_equal(vouch_public_key_verify(
                             key, (unsigned char *)payload.data, payload.len,
                             (unsigned char *)sig.data, sig.len, &err), 0);
        assert_int_equal(vouch_public_key_verify(
                             other, (unsigned char *)payload.data,
                             payload.len, (unsigned char *)sig.data, sig.len,
                             &err), VOUCH_ECRYPTO);
        payload.data[0] ^= 1;
        assert_int_equal(vouch_public_key_verify(
                             key, (unsigned char *)payload.data, payload.len,
                             (unsigned char *)sig.data, sig.len, &err),
                         VOUCH_ECRYPTO);
        payload.data[0] ^= 1;
        free(sig.data);
    }
    vouch_public_key_free(key);
    vouch_public_key_free(other);
    free(payload.data);
}

/* ---------------------------------------------------------------------- */
/* key ids                                                                 */

static void test_key_default_id_of_files(void **state)
{
    blob pem = key_file("rsa2048.pub.pem");
    blob asc = key_file("pgp.pub.asc");
    blob two = key_file("pgp-two.pub.asc");
    vouch_error err = VOUCH_ERROR_INIT;
    char *id = NULL;

    (void)state;
    assert_int_equal(vouch_key_default_id(pem.data, pem.len, &id, &err), 0);
    assert_string_equal(id, RSA2048_ID);
    vouch_free(id);
    assert_int_equal(vouch_key_default_id(asc.data, asc.len, &id, &err), 0);
    assert_string_equal(id, PGP_FPR);
    vouch_free(id);
    assert_int_equal(vouch_key_default_id(two.data, two.len, &id, &err),
                     VOUCH_EPARSE);
    assert_null(id);
    assert_int_equal(vouch_key_default_id("junk", 4, &id, &err),
                     VOUCH_EPARSE);
    assert_null(id);
    assert_int_equal(vouch_key_default_id(pem.data,
                                          VOUCH_KEY_MAX_BYTES + 1, &id, &err),
                     VOUCH_ETOOBIG);
    free(pem.data);
    free(asc.data);
    free(two.data);
}

/* ---------------------------------------------------------------------- */
/* private keys                                                            */

static void test_key_private_sign_roundtrip_every_algorithm(void **state)
{
    static const struct {
        const char *priv;
        const char *pub;
        vouch_signature_algorithm alg;
    } cases[] = {
        { "rsa2048.key.pem", "rsa2048.pub.pem", VOUCH_RSA_PSS_2048_SHA256 },
        { "rsa3072.key.pem", "rsa3072.pub.pem", VOUCH_RSA_PSS_3072_SHA256 },
        { "rsa4096.key.pem", "rsa4096.pub.pem", VOUCH_RSA_PSS_4096_SHA256 },
        { "rsa4096.key.pem", "rsa4096.pub.pem", VOUCH_RSA_PSS_4096_SHA512 },
        { "rsa2048.key.pem", "rsa2048.pub.pem",
          VOUCH_RSA_SIGN_PKCS1_2048_SHA256 },
        { "rsa3072.key.pem", "rsa3072.pub.pem",
          VOUCH_RSA_SIGN_PKCS1_3072_SHA256 },
        { "rsa4096.key.pem", "rsa4096.pub.pem",
          VOUCH_RSA_SIGN_PKCS1_4096_SHA256 },
        { "rsa4096.key.pem", "rsa4096.pub.pem",
          VOUCH_RSA_SIGN_PKCS1_4096_SHA512 },
        { "p256.key.pem", "p256.pub.pem", VOUCH_ECDSA_P256_SHA256 },
        { "p384.key.pem", "p384.pub.pem", VOUCH_ECDSA_P384_SHA384 },
        { "p521.key.pem", "p521.pub.pem", VOUCH_ECDSA_P521_SHA512 },
        { "rsa2048.trad.key.pem", "rsa2048.pub.pem",
          VOUCH_RSA_SIGN_PKCS1_2048_SHA256 },
        { "p256.trad.key.pem", "p256.pub.pem", VOUCH_ECDSA_P256_SHA256 },
    };
    static const unsigned char msg[] = "payload\n";
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        blob pem = key_file(cases[i].priv);
        vouch_private_key *priv = NULL;
        vouch_public_key *pub = pkix(cases[i].pub, cases[i].alg);
        vouch_error err = VOUCH_ERROR_INIT;
        unsigned char *sig = NULL;
        size_t sig_len = 0;
        char *id = NULL;

        assert_int_equal(vouch_private_key_new(&priv, pem.data, pem.len,
                                               cases[i].alg, &err), 0);
        assert_int_equal(vouch_private_key_algorithm(priv), cases[i].alg);
        assert_int_equal(vouch_private_key_sign(priv, msg, sizeof(msg) - 1,
                                                &sig, &sig_len, &err), 0);
        if (vouch_public_key_verify(pub, msg, sizeof(msg) - 1, sig, sig_len,
                                    &err) != 0) {
            fail_msg("%s %s: %s", cases[i].priv,
                     vouch_signature_algorithm_name(cases[i].alg),
                     err.message);
        }
        assert_int_equal(vouch_public_key_verify(pub, msg, sizeof(msg) - 2,
                                                 sig, sig_len, &err),
                         VOUCH_ECRYPTO);
        assert_int_equal(vouch_private_key_public_id(priv, &id, &err), 0);
        assert_string_equal(id, vouch_public_key_id(pub));
        vouch_free(id);
        vouch_free(sig);
        vouch_private_key_free(priv);
        vouch_public_key_free(pub);
        free(pem.data);
    }
}

static void test_key_private_infers_algorithm(void **state)
{
    blob pem = key_file("p521.key.pem");
    vouch_private_key *priv = NULL;
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    assert_int_equal(vouch_private_key_new(
                         &priv, pem.data, pem.len,
                         VOUCH_SIGNATURE_ALGORITHM_UNSPECIFIED, &err), 0);
    assert_int_equal(vouch_private_key_algorithm(priv),
                     VOUCH_ECDSA_P521_SHA512);
    vouch_private_key_free(priv);
    vouch_private_key_free(NULL);
    free(pem.data);
}

static void test_key_private_rejects_bad_input(void **state)
{
    blob pub = key_file("p256.pub.pem");
    blob enc = key_file("p256.enc.key.pem");
    blob rsa = key_file("rsa3072.key.pem");
    vouch_private_key *priv = NULL;
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    assert_int_equal(vouch_private_key_new(
                         &priv, pub.data, pub.len,
                         VOUCH_SIGNATURE_ALGORITHM_UNSPECIFIED, &err),
                     VOUCH_EPARSE);
    assert_contains(err.message, "public key");
    assert_int_equal(vouch_private_key_new(
                         &priv, enc.data, enc.len,
                         VOUCH_SIGNATURE_ALGORITHM_UNSPECIFIED, &err),
                     VOUCH_EPARSE);
    assert_contains(err.message, "encrypted");
    assert_int_equal(vouch_private_key_new(&priv, rsa.data, rsa.len,
                                           VOUCH_RSA_PSS_4096_SHA256, &err),
                     VOUCH_EINVAL);
    assert_string_equal(err.message, "key is RSA 3072 bits but "
                        "RSA_PSS_4096_SHA256 needs a 4096-bit RSA key");
    assert_int_equal(vouch_private_key_new(
                         &priv, "junk", 4,
                         VOUCH_SIGNATURE_ALGORITHM_UNSPECIFIED, &err),
                     VOUCH_EPARSE);
    assert_int_equal(vouch_private_key_new(
                         &priv, rsa.data, VOUCH_KEY_MAX_BYTES + 1,
                         VOUCH_SIGNATURE_ALGORITHM_UNSPECIFIED, &err),
                     VOUCH_ETOOBIG);
    assert_null(priv);
    free(pub.data);
    free(enc.data);
    free(rsa.data);
}

/* ---------------------------------------------------------------------- */
/* threads                                                                 */

typedef struct thread_arg {
    const vouch_public_key *key;
    const blob *payload;
    const blob *sig;
    int failures;
} thread_arg;

static void *verify_many(void *p)
{
    thread_arg *arg = p;
    int i;

    for (i = 0; i < 50; i++) {
        vouch_error err = VOUCH_ERROR_INIT;

        if (vouch_public_key_verify(arg->key,
                                    (unsigned char *)arg->payload->data,
                                    arg->payload->len,
                                    (unsigned char *)arg->sig->data,
                                    arg->sig->len, &err) != 0) {
            arg->failures++;
        }
    }
    return NULL;
}

static void run_threads(const vouch_public_key *key, const char *sig_file)
{
    blob payload = key_file("payload.txt");
    blob sig = key_file(sig_file);
    pthread_t threads[8];
    thread_arg args[8];
    size_t i;

    for (i = 0; i < 8; i++) {
        args[i].key = key;
        args[i].payload = &payload;
        args[i].sig = &sig;
        args[i].failures = 0;
        assert_int_equal(pthread_create(&threads[i], NULL, verify_many,
                                        &args[i]), 0);
    }
    for (i = 0; i < 8; i++) {
        assert_int_equal(pthread_join(threads[i], NULL), 0);
        assert_int_equal(args[i].failures, 0);
    }
    free(payload.data);
    free(sig.data);
}

static void test_key_verify_is_thread_safe(void **state)
{
    vouch_public_key *ec = pkix("p256.pub.pem", VOUCH_ECDSA_P256_SHA256);
    vouch_public_key *pg = pgp("pgp.pub.asc");

    (void)state;
    run_threads(ec, "p256.sig");
    run_threads(pg, "pgp.detached.gpg");
    vouch_public_key_free(ec);
    vouch_public_key_free(pg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_key_algorithm_parse_accepts_every_spelling),
        cmocka_unit_test(test_key_algorithm_parse_rejects_unknown_names),
        cmocka_unit_test(test_key_algorithm_name_is_canonical),
        cmocka_unit_test(test_key_pkix_infers_algorithm_from_key),
        cmocka_unit_test(test_key_pkix_accepts_every_matching_algorithm),
        cmocka_unit_test(test_key_pkix_rejects_wrong_modulus_size),
        cmocka_unit_test(test_key_pkix_rejects_wrong_curve_and_type),
        cmocka_unit_test(test_key_pkix_rejects_keys_no_algorithm_fits),
        cmocka_unit_test(test_key_pkix_rejects_non_pem),
        cmocka_unit_test(test_key_pkix_rejects_private_key_and_pkcs1),
        cmocka_unit_test(test_key_pkix_rejects_two_blocks),
        cmocka_unit_test(test_key_pkix_rejects_trailing_garbage),
        cmocka_unit_test(test_key_pkix_accepts_crlf),
        cmocka_unit_test(test_key_pkix_rejects_truncated_and_bad_body),
        cmocka_unit_test(test_key_pkix_rejects_extra_der_bytes),
        cmocka_unit_test(test_key_pkix_rejects_too_big),
        cmocka_unit_test(test_key_pkix_default_id_and_getters),
        cmocka_unit_test(test_key_pkix_accepts_uri_ids),
        cmocka_unit_test(test_key_pkix_rejects_bad_ids),
        cmocka_unit_test(test_key_verify_openssl_signatures),
        cmocka_unit_test(test_key_verify_pss_any_salt_length),
        cmocka_unit_test(test_key_verify_rejects_wrong_scheme_or_hash),
        cmocka_unit_test(test_key_verify_rejects_wrong_key),
        cmocka_unit_test(test_key_verify_rejects_tampered_payload),
        cmocka_unit_test(test_key_verify_rejects_bad_signature_shapes),
        cmocka_unit_test(test_key_verify_rejects_raw_ecdsa),
        cmocka_unit_test(test_key_pgp_id_is_fingerprint),
        cmocka_unit_test(test_key_pgp_rejects_two_primary_keys),
        cmocka_unit_test(test_key_pgp_rejects_bad_armor),
        cmocka_unit_test(test_key_pgp_rejects_too_big),
        cmocka_unit_test(test_key_pgp_attached_returns_payload),
        cmocka_unit_test(test_key_pgp_attached_rejects_wrong_key),
        cmocka_unit_test(test_key_pgp_attached_rejects_expired_signature),
        cmocka_unit_test(test_key_pgp_attached_accepts_key_expired_since),
        cmocka_unit_test(test_key_pgp_attached_rejects_unsigned_and_garbage),
        cmocka_unit_test(test_key_pgp_attached_rejects_tampered_message),
        cmocka_unit_test(test_key_pgp_attached_needs_pgp_key),
        cmocka_unit_test(test_key_pgp_detached_verifies),
        cmocka_unit_test(test_key_default_id_of_files),
        cmocka_unit_test(test_key_private_sign_roundtrip_every_algorithm),
        cmocka_unit_test(test_key_private_infers_algorithm),
        cmocka_unit_test(test_key_private_rejects_bad_input),
        cmocka_unit_test(test_key_verify_is_thread_safe),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
