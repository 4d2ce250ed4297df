/*
 * Tests for src/engine/attestor.c (include/vouch/attestor.h,
 * docs/policy.md section 3).
 *
 * Sections:
 *   fixtures    vouch_attestor_parse on tests/data/attestors/, getters,
 *               computed key ids, print -> parse round trips (JSON, YAML)
 *   keys        signatureAlgorithm names, aliases and gcloud spellings,
 *               algorithm/key mismatch, PKIX default and custom ids, PGP
 *               id overwritten, duplicate ids, too many keys, find_key
 *   errors      every invalid-input path with code, position, field path
 *   output      vouch_attestor_set_output_fields, print format check
 *
 * Keys come from tests/data/keys/ (see its README); documents with keys are
 * built here with jansson so that PEM text is escaped correctly.
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
#include <jansson.h>

#include "vouch/attestor.h"
#include "testutil.h"

/* Ids of the fixture keys (tests/data/keys/README.md says how to get them).
 */
#define P256_ID "ni:///sha-256;TSOmlyJgrdlY8ZKiP4ayya5ouND9I3BuScsHMcmImKU"
#define PGP_FPR "51652CA9F4323D2665103A9FDC934582FC68C7C3"
#define RSA_ID "https://kms.example.com/v1/keyRings/ci/cryptoKeys/rsa/" \
               "cryptoKeyVersions/1"

static vouch_attestor *parse_ok(const char *text, vouch_format format)
{
    vouch_attestor *attestor = NULL;
    vouch_error err = VOUCH_ERROR_INIT;
    int rc = vouch_attestor_parse(&attestor, text, strlen(text), format,
                                  "a.doc", &err);

    if (rc != 0) {
        fail_msg("parse failed: %u:%u %s", err.line, err.column,
                 err.message);
    }
    return attestor;
}

/* Parse and expect failure `code` at line:column with `needle` in it. */
static void expect_error(const char *text, vouch_format format, int code,
                         unsigned line, unsigned column, const char *needle)
{
    vouch_attestor *attestor = (vouch_attestor *)1;
    vouch_error err = VOUCH_ERROR_INIT;
    int rc = vouch_attestor_parse(&attestor, text, strlen(text), format,
                                  "a.doc", &err);

    if (rc != code || err.line != line || err.column != column ||
        strstr(err.message, needle) == NULL) {
        fail_msg("for %.300s\n got %s %u:%u '%s'\n want %s %u:%u '%s'", text,
                 vouch_code_name(rc), err.line, err.column, err.message,
                 vouch_code_name(code), line, column, needle);
    }
    assert_null(attestor);
    assert_string_equal(err.source, "a.doc");
}

static bool starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/*
 * A one-line JSON attestor whose only key is `key_json` (a JSON object
 * text, may contain one %s for the PEM of `pem_file`). Caller frees.
 */
static char *doc_with_key(const char *pem_file, const char *key_json)
{
    char *pem = pem_file != NULL ? testutil_read(pem_file, NULL) : NULL;
    json_t *pem_str = json_string(pem != NULL ? pem : "");
    char *quoted = json_dumps(pem_str, JSON_ENCODE_ANY);
    char key[65536];
    char *out;
    size_t n = 0;
    size_t i;

    assert_non_null(quoted);
    /* Every "%s" in key_json becomes the quoted PEM. */
    for (i = 0; key_json[i] != '\0'; i++) {
        if (key_json[i] == '%' && key_json[i + 1] == 's') {
            assert_true(n + strlen(quoted) < sizeof(key));
            memcpy(key + n, quoted, strlen(quoted));
            n += strlen(quoted);
            i++;
        } else {
            assert_true(n + 1 < sizeof(key));
            key[n++] = key_json[i];
        }
    }
    key[n] = '\0';
    n = strlen(key) + 256;
    out = malloc(n);
    assert_non_null(out);
    snprintf(out, n,
             "{\"name\": \"projects/p/attestors/a\", "
             "\"userOwnedGrafeasNote\": {\"noteReference\": "
             "\"projects/p/notes/n\", \"publicKeys\": [%s]}}",
             key);
    free(quoted);
    json_decref(pem_str);
    free(pem);
    return out;
}

/* ---- fixtures --------------------------------------------------------- */

static void check_ci(const vouch_attestor *a)
{
    const vouch_public_key *k;

    assert_string_equal(vouch_attestor_name(a),
                        "projects/demo-project/attestors/built-by-ci");
    assert_string_equal(vouch_attestor_description(a), "Images built by CI");
    assert_string_equal(vouch_attestor_note_reference(a),
                        "projects/demo-project/notes/built-by-ci");
    assert_string_equal(vouch_attestor_etag(a), "BwYa2xM=");
    assert_string_equal(vouch_attestor_update_time(a),
                        "2024-05-01T12:00:00.123456Z");
    assert_int_equal(vouch_attestor_key_count(a), 3);

    k = vouch_attestor_key(a, 0);
    assert_int_equal(vouch_public_key_kind(k), VOUCH_KEY_PKIX);
    assert_string_equal(vouch_public_key_id(k), P256_ID);
    assert_string_equal(vouch_public_key_comment(k), "CI signing key");
    assert_int_equal(vouch_public_key_algorithm(k),
                     VOUCH_ECDSA_P256_SHA256);
    k = vouch_attestor_key(a, 1);
    assert_string_equal(vouch_public_key_id(k), RSA_ID);
    assert_null(vouch_public_key_comment(k));
    assert_int_equal(vouch_public_key_algorithm(k),
                     VOUCH_RSA_SIGN_PKCS1_2048_SHA256);
    /* The API overwrites a PGP key's id ("ignored") with its fingerprint. */
    k = vouch_attestor_key(a, 2);
    assert_int_equal(vouch_public_key_kind(k), VOUCH_KEY_PGP);
    assert_string_equal(vouch_public_key_id(k), PGP_FPR);
    assert_null(vouch_attestor_key(a, 3));
}

static void test_attestor_fixtures_parse(void **state)
{
    static const char *const files[] = { "attestors/ci.json",
                                         "attestors/ci.yaml" };
    size_t i;

    (void)state;
    for (i = 0; i < 2; i++) {
        size_t len = 0;
        char *text = testutil_read(files[i], &len);
        vouch_attestor *a = NULL;
        vouch_error err = VOUCH_ERROR_INIT;

        assert_int_equal(vouch_attestor_parse(&a, text, len,
                                              VOUCH_FORMAT_AUTO, files[i],
                                              &err),
                         0);
        check_ci(a);
        vouch_attestor_free(a);
        free(text);
    }
}

static void test_attestor_print_round_trip(void **state)
{
    static const char *const files[] = {
        "attestors/ci.json", "attestors/ci.yaml", "attestors/v1beta1.json",
        "attestors/no-keys.json" };
    static const vouch_format formats[] = { VOUCH_FORMAT_JSON,
                                            VOUCH_FORMAT_YAML };
    size_t i;
    size_t f;

    (void)state;
    for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        char *text = testutil_read(files[i], NULL);
        vouch_attestor *a = parse_ok(text, VOUCH_FORMAT_AUTO);

        for (f = 0; f < 2; f++) {
            char *out = NULL;
            char *out2 = NULL;
            size_t len = 0;
            size_t len2 = 0;
            vouch_attestor *again;

            assert_int_equal(vouch_attestor_print(a, formats[f], &out, &len,
                                                  NULL),
                             0);
            assert_int_equal(len, strlen(out));
            again = parse_ok(out, formats[f]);
            assert_int_equal(vouch_attestor_print(again, formats[f], &out2,
                                                  &len2, NULL),
                             0);
            assert_string_equal(out, out2);
            assert_int_equal(vouch_attestor_key_count(again),
                             vouch_attestor_key_count(a));
            if (i < 2) {
                check_ci(again);
            }
            vouch_free(out);
            vouch_free(out2);
            vouch_attestor_free(again);
        }
        vouch_attestor_free(a);
        free(text);
    }
}

/* Printed JSON: keys sorted, computed ids written, v1 field name. */
static void test_attestor_print_json_shape(void **state)
{
    char *text = testutil_read("attestors/v1beta1.json", NULL);
    vouch_attestor *a = parse_ok(text, VOUCH_FORMAT_JSON);
    char *out = NULL;
    char *yaml = NULL;
    json_t *root;
    json_t *key;

    (void)state;
    assert_int_equal(vouch_attestor_print(a, VOUCH_FORMAT_JSON, &out, NULL,
                                          NULL),
                     0);
    root = json_loads(out, 0, NULL);
    assert_non_null(root);
    assert_null(json_object_get(root, "userOwnedDrydockNote"));
    key = json_array_get(json_object_get(json_object_get(
                                             root, "userOwnedGrafeasNote"),
                                         "publicKeys"),
                         0);
    assert_string_equal(json_string_value(json_object_get(key, "id")),
                        P256_ID);
    /* The alias prints as the first name of its number. */
    assert_string_equal(
        json_string_value(json_object_get(json_object_get(key,
                                                          "pkixPublicKey"),
                                          "signatureAlgorithm")),
        "ECDSA_P256_SHA256");
    assert_null(json_object_get(root, "description"));
    /* Sorted: "name" comes before "userOwnedGrafeasNote". */
    assert_true(strstr(out, "\"name\"") < strstr(out, "\"userOwned"));
    assert_int_equal(out[strlen(out) - 1], '\n');
    json_decref(root);

    assert_int_equal(vouch_attestor_print(a, VOUCH_FORMAT_YAML, &yaml, NULL,
                                          NULL),
                     0);
    assert_non_null(strstr(yaml, "name: projects/demo-project/attestors/"
                                 "legacy\nuserOwnedGrafeasNote:\n"
                                 "  noteReference: projects/demo-project/"
                                 "notes/legacy\n  publicKeys:\n  - id: "
                                 "ni:///sha-256;"));
    vouch_free(yaml);
    vouch_free(out);
    vouch_attestor_free(a);
    free(text);
}

static void test_attestor_accepts_v1beta1_note(void **state)
{
    char *text = testutil_read("attestors/v1beta1.json", NULL);
    vouch_attestor *a = parse_ok(text, VOUCH_FORMAT_JSON);

    (void)state;
    assert_string_equal(vouch_attestor_note_reference(a),
                        "projects/demo-project/notes/legacy");
    assert_int_equal(vouch_attestor_key_count(a), 1);
    assert_null(vouch_attestor_description(a));
    assert_null(vouch_attestor_etag(a));
    assert_null(vouch_attestor_update_time(a));
    vouch_attestor_free(a);
    free(text);
}

/*
 * docs/policy.md 1.4: a v1beta1 note may be a legacy
 * providers/PROVIDER/notes/NOTE; v1 has no field for it, so such an
 * attestor prints with the v1beta1 field name and reads back.
 */
static void test_attestor_v1beta1_accepts_provider_note(void **state)
{
    static const char doc[] = "userOwnedDrydockNote:\n"
                              "  noteReference: providers/goog/notes/n\n";
    vouch_attestor *a = parse_ok(doc, VOUCH_FORMAT_YAML);
    char *out = NULL;
    vouch_attestor *again;

    (void)state;
    assert_string_equal(vouch_attestor_note_reference(a),
                        "providers/goog/notes/n");
    assert_int_equal(vouch_attestor_print(a, VOUCH_FORMAT_YAML, &out, NULL,
                                          NULL),
                     0);
    assert_string_equal(out, "userOwnedDrydockNote:\n"
                             "  noteReference: providers/goog/notes/n\n");
    again = parse_ok(out, VOUCH_FORMAT_YAML);
    assert_string_equal(vouch_attestor_note_reference(again),
                        "providers/goog/notes/n");
    vouch_attestor_free(again);
    vouch_free(out);
    vouch_attestor_free(a);
    /* v1 does not take it. */
    expect_error("userOwnedGrafeasNote:\n"
                 "  noteReference: providers/goog/notes/n\n",
                 VOUCH_FORMAT_YAML, VOUCH_EINVAL, 2, 18,
                 "userOwnedGrafeasNote.noteReference: "
                 "'providers/goog/notes/n' is not a note name "
                 "(projects/PROJECT/notes/NOTE)");
    expect_error("userOwnedDrydockNote:\n"
                 "  noteReference: providers/goog/other/n\n",
                 VOUCH_FORMAT_YAML, VOUCH_EINVAL, 2, 18,
                 "is not a note name (projects/PROJECT/notes/NOTE or "
                 "providers/PROVIDER/notes/NOTE)");
}

/* docs/policy.md 3: no keys is valid (the attestor then never
 * verifies). */
static void test_attestor_accepts_no_keys(void **state)
{
    vouch_attestor *a;

    (void)state;
    a = parse_ok("name: projects/p/attestors/a\nuserOwnedGrafeasNote:\n"
                 "  noteReference: projects/p/notes/n\n  publicKeys: []\n",
                 VOUCH_FORMAT_YAML);
    assert_int_equal(vouch_attestor_key_count(a), 0);
    assert_null(vouch_attestor_key(a, 0));
    assert_null(vouch_attestor_find_key(a, "x", 1));
    vouch_attestor_free(a);
    /* The name is optional in the body (the server sets it). */
    a = parse_ok("{\"userOwnedGrafeasNote\": {\"noteReference\": "
                 "\"projects/p/notes/n\", \"publicKeys\": null}}",
                 VOUCH_FORMAT_JSON);
    assert_null(vouch_attestor_name(a));
    vouch_attestor_free(a);
}

/* ---- keys ------------------------------------------------------------- */

static void test_attestor_signature_algorithm_spellings(void **state)
{
    static const struct {
        const char *file;
        const char *name;
        vouch_signature_algorithm alg;
    } cases[] = {
        { "keys/p256.pub.pem", "ECDSA_P256_SHA256",
          VOUCH_ECDSA_P256_SHA256 },
        { "keys/p256.pub.pem", "EC_SIGN_P256_SHA256",
          VOUCH_ECDSA_P256_SHA256 },
        { "keys/p256.pub.pem", "ecdsa-p256-sha256",
          VOUCH_ECDSA_P256_SHA256 },
        { "keys/p384.pub.pem", "EC_SIGN_P384_SHA384",
          VOUCH_ECDSA_P384_SHA384 },
        { "keys/p521.pub.pem", "ecdsa-p521-sha512",
          VOUCH_ECDSA_P521_SHA512 },
        { "keys/rsa2048.pub.pem", "RSA_PSS_2048_SHA256",
          VOUCH_RSA_PSS_2048_SHA256 },
        { "keys/rsa2048.pub.pem", "RSA_SIGN_PSS_2048_SHA256",
          VOUCH_RSA_PSS_2048_SHA256 },
        { "keys/rsa2048.pub.pem", "rsa-pss-2048-sha256",
          VOUCH_RSA_PSS_2048_SHA256 },
        { "keys/rsa3072.pub.pem", "rsa-sign-pkcs1-3072-sha256",
          VOUCH_RSA_SIGN_PKCS1_3072_SHA256 },
        { "keys/rsa4096.pub.pem", "RSA_SIGN_PKCS1_4096_SHA512",
          VOUCH_RSA_SIGN_PKCS1_4096_SHA512 },
        { "keys/rsa4096.pub.pem", "rsa-pss-4096-sha512",
          VOUCH_RSA_PSS_4096_SHA512 },
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char tmpl[256];
        char *doc;
        vouch_attestor *a;
        const vouch_public_key *k;

        snprintf(tmpl, sizeof(tmpl),
                 "{\"pkixPublicKey\": {\"publicKeyPem\": %%s, "
                 "\"signatureAlgorithm\": \"%s\"}}",
                 cases[i].name);
        doc = doc_with_key(cases[i].file, tmpl);
        a = parse_ok(doc, VOUCH_FORMAT_JSON);
        k = vouch_attestor_key(a, 0);
        assert_int_equal(vouch_public_key_algorithm(k), cases[i].alg);
        assert_memory_equal(vouch_public_key_id(k), "ni:///sha-256;", 14);
        assert_int_equal(strlen(vouch_public_key_id(k)), 14 + 43);
        vouch_attestor_free(a);
        free(doc);
    }
}

static void test_attestor_rejects_bad_signature_algorithm(void **state)
{
    static const char *const bad[] = {
        "ECDSA_P256", "SIGNATURE_ALGORITHM_UNSPECIFIED", "",
        "rsa-pss-4096s-ha256", /* Kritis's misspelling, not gcloud's */
        "ecdsa_p256_sha256",
    };
    size_t i;
    char *doc;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char tmpl[256];

        snprintf(tmpl, sizeof(tmpl),
                 "{\"pkixPublicKey\": {\"publicKeyPem\": %%s, "
                 "\"signatureAlgorithm\": \"%s\"}}",
                 bad[i]);
        doc = doc_with_key("keys/p256.pub.pem", tmpl);
        /* Placed at the algorithm's value (first character inside the
         * quote); the column depends on the PEM length, so only the line
         * and the path are checked here. */
        {
            vouch_attestor *a = NULL;
            vouch_error err = VOUCH_ERROR_INIT;

            assert_int_equal(vouch_attestor_parse(&a, doc, strlen(doc),
                                                  VOUCH_FORMAT_JSON, "a.doc",
                                                  &err),
                             VOUCH_EINVAL);
            assert_null(a);
            assert_int_equal(err.line, 1);
            assert_true(err.column > 100);
            if (!starts_with(err.message,
                             "userOwnedGrafeasNote.publicKeys[0]."
                             "pkixPublicKey.signatureAlgorithm: ")) {
                fail_msg("message: %s", err.message);
            }
        }
        free(doc);
    }
    /* A number is not an algorithm name. */
    doc = doc_with_key("keys/p256.pub.pem",
                       "{\"pkixPublicKey\": {\"publicKeyPem\": %s, "
                       "\"signatureAlgorithm\": 9}}");
    {
        vouch_attestor *a = NULL;
        vouch_error err = VOUCH_ERROR_INIT;

        assert_int_equal(vouch_attestor_parse(&a, doc, strlen(doc),
                                              VOUCH_FORMAT_JSON, NULL, &err),
                         VOUCH_EINVAL);
        assert_non_null(strstr(err.message, "signatureAlgorithm: expected a "
                                            "string, found a number"));
    }
    free(doc);
}

/* The declared algorithm must agree with the key (docs/keys.md). */
static void test_attestor_rejects_algorithm_key_mismatch(void **state)
{
    static const char *const cases[][2] = {
        { "keys/p256.pub.pem", "RSA_PSS_2048_SHA256" },
        { "keys/p256.pub.pem", "ECDSA_P384_SHA384" },
        { "keys/rsa2048.pub.pem", "RSA_PSS_4096_SHA256" },
        { "keys/rsa4096.pub.pem", "ECDSA_P256_SHA256" },
    };
    size_t i;
    const char *pem_yaml =
        "name: projects/p/attestors/a\n"
        "userOwnedGrafeasNote:\n"
        "  noteReference: projects/p/notes/n\n"
        "  publicKeys:\n"
        "  - pkixPublicKey:\n"
        "      publicKeyPem: |\n%s"
        "      signatureAlgorithm: %s\n"
        "  - pkixPublicKey:\n"
        "      signatureAlgorithm: %s\n"
        "      publicKeyPem: |\n%s";

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *p256 = testutil_read("keys/p256.pub.pem", NULL);
        char *pem = testutil_read(cases[i][0], NULL);
        char ind_p256[2048];
        char ind_pem[8192];
        char doc[16384];
        size_t j;
        size_t n = 0;
        const char *src[2] = { p256, pem };
        char *dst[2] = { ind_p256, ind_pem };
        size_t k;

        /* Indent each PEM line by 8 for the literal block scalar. */
        for (k = 0; k < 2; k++) {
            n = 0;
            for (j = 0; src[k][j] != '\0'; j++) {
                if (j == 0 || src[k][j - 1] == '\n') {
                    memcpy(dst[k] + n, "        ", 8);
                    n += 8;
                }
                dst[k][n++] = src[k][j];
            }
            dst[k][n] = '\0';
        }
        snprintf(doc, sizeof(doc), pem_yaml, ind_p256, "ECDSA_P256_SHA256",
                 cases[i][1], ind_pem);
        /* The second key's fault, at its pkixPublicKey mapping (its
         * first key: line 13, column 7). */
        expect_error(doc, VOUCH_FORMAT_YAML, VOUCH_EINVAL, 13, 7,
                     "userOwnedGrafeasNote.publicKeys[1].pkixPublicKey: ");
        free(p256);
        free(pem);
    }
}

static void test_attestor_key_ids(void **state)
{
    char *doc;
    vouch_attestor *a;

    (void)state;
    /* An empty id is the default. */
    doc = doc_with_key("keys/p256.pub.pem",
                       "{\"id\": \"\", \"pkixPublicKey\": {\"publicKeyPem\":"
                       " %s, \"signatureAlgorithm\": \"ECDSA_P256_SHA256\"}}");
    a = parse_ok(doc, VOUCH_FORMAT_JSON);
    assert_string_equal(vouch_public_key_id(vouch_attestor_key(a, 0)),
                        P256_ID);
    vouch_attestor_free(a);
    free(doc);
    /* A custom id must be a URI; the error is on "...publicKeys[0].id". */
    doc = doc_with_key("keys/p256.pub.pem",
                       "{\"pkixPublicKey\": {\"publicKeyPem\": %s, "
                       "\"signatureAlgorithm\": \"ECDSA_P256_SHA256\"}, "
                       "\"id\": \"my-key\"}");
    {
        vouch_attestor *bad = NULL;
        vouch_error err = VOUCH_ERROR_INIT;

        assert_int_equal(vouch_attestor_parse(&bad, doc, strlen(doc),
                                              VOUCH_FORMAT_JSON, NULL, &err),
                         VOUCH_EINVAL);
        assert_null(bad);
        assert_int_equal(err.line, 1);
        assert_int_equal(err.column, strstr(doc, "my-key") - doc + 1);
        if (!starts_with(err.message,
                         "userOwnedGrafeasNote.publicKeys[0].id: key id must "
                         "be a URI")) {
            fail_msg("message: %s", err.message);
        }
    }
    free(doc);
    /* An over-long id is the id's fault too. */
    {
        char *tmpl = malloc(5000);
        vouch_attestor *bad = NULL;
        vouch_error err = VOUCH_ERROR_INIT;

        assert_non_null(tmpl);
        strcpy(tmpl, "{\"id\": \"x:");
        memset(tmpl + strlen(tmpl), 'a', 4095);
        strcpy(tmpl + 10 + 4095,
               "\", \"pkixPublicKey\": {\"publicKeyPem\": %s, "
               "\"signatureAlgorithm\": \"ECDSA_P256_SHA256\"}}");
        doc = doc_with_key("keys/p256.pub.pem", tmpl);
        assert_int_equal(vouch_attestor_parse(&bad, doc, strlen(doc),
                                              VOUCH_FORMAT_JSON, NULL, &err),
                         VOUCH_EINVAL);
        assert_int_equal(err.column, strstr(doc, "x:aaa") - doc + 1);
        if (!starts_with(err.message,
                         "userOwnedGrafeasNote.publicKeys[0].id: key id is "
                         "4097 bytes")) {
            fail_msg("message: %s", err.message);
        }
        free(doc);
        free(tmpl);
    }
    /* A URI id is kept byte for byte. */
    doc = doc_with_key("keys/p256.pub.pem",
                       "{\"id\": \"openpgp4fpr:ABC\", \"pkixPublicKey\": "
                       "{\"publicKeyPem\": %s, \"signatureAlgorithm\": "
                       "\"ECDSA_P256_SHA256\"}}");
    a = parse_ok(doc, VOUCH_FORMAT_JSON);
    assert_string_equal(vouch_public_key_id(vouch_attestor_key(a, 0)),
                        "openpgp4fpr:ABC");
    vouch_attestor_free(a);
    free(doc);
    /* PGP: the id is the fingerprint whatever was given. */
    doc = doc_with_key("keys/pgp-other.pub.asc",
                       "{\"id\": \"ni:///sha-256;given\", "
                       "\"asciiArmoredPgpPublicKey\": %s}");
    a = parse_ok(doc, VOUCH_FORMAT_JSON);
    assert_string_equal(vouch_public_key_id(vouch_attestor_key(a, 0)),
                        "DF2994BDFB1BB6B4FAEE6B745A8DB766E56E631E");
    vouch_attestor_free(a);
    free(doc);
}

static void test_attestor_rejects_duplicate_ids(void **state)
{
    char *doc;

    (void)state;
    /* The same key twice: both get the same default id. */
    doc = doc_with_key("keys/p256.pub.pem",
                       "{\"pkixPublicKey\": {\"publicKeyPem\": %s, "
                       "\"signatureAlgorithm\": \"ECDSA_P256_SHA256\"}},\n"
                       "{\"pkixPublicKey\": {\"publicKeyPem\": %s, "
                       "\"signatureAlgorithm\": \"ECDSA_P256_SHA256\"}}");
    expect_error(doc, VOUCH_FORMAT_JSON, VOUCH_EINVAL, 2, 3,
                 "userOwnedGrafeasNote.publicKeys[1]: key id '" P256_ID
                 "' is already used by publicKeys[0]; ids must be unique");
    free(doc);
    /* Two different keys given the same custom id. */
    {
        char *p256 = testutil_read("keys/p256.pub.pem", NULL);
        char *p384 = testutil_read("keys/p384.pub.pem", NULL);
        json_t *root = json_pack(
            "{s:s, s:{s:s, s:[{s:s, s:{s:s, s:s}}, {s:s, s:{s:s, s:s}}]}}",
            "name", "projects/p/attestors/a", "userOwnedGrafeasNote",
            "noteReference", "projects/p/notes/n", "publicKeys", "id",
            "x:1", "pkixPublicKey", "publicKeyPem", p256,
            "signatureAlgorithm", "ECDSA_P256_SHA256", "id", "x:1",
            "pkixPublicKey", "publicKeyPem", p384, "signatureAlgorithm",
            "ECDSA_P384_SHA384");
        char *text = json_dumps(root, JSON_INDENT(1) | JSON_PRESERVE_ORDER);

        assert_non_null(text);
        expect_error(text, VOUCH_FORMAT_JSON, VOUCH_EINVAL, 14, 6,
                     "publicKeys[1]: key id 'x:1' is already used by "
                     "publicKeys[0]");
        free(text);
        json_decref(root);
        free(p256);
        free(p384);
    }
}

static void test_attestor_rejects_too_many_keys(void **state)
{
    size_t n = VOUCH_ATTESTOR_MAX_KEYS + 1;
    size_t cap = 256 + 3 * n;
    char *doc = malloc(cap);
    size_t len;
    size_t i;

    (void)state;
    assert_non_null(doc);
    len = (size_t)snprintf(doc, cap,
                           "{\"userOwnedGrafeasNote\": {\"noteReference\": "
                           "\"projects/p/notes/n\", \"publicKeys\": [");
    for (i = 0; i < n; i++) {
        memcpy(doc + len, i == 0 ? "{}" : ",{}", i == 0 ? 2 : 3);
        len += i == 0 ? 2 : 3;
    }
    memcpy(doc + len, "]}}", 4);
    /* The count is checked before any key is read. */
    /* Placed at the list's key: its first item is an empty mapping. */
    expect_error(doc, VOUCH_FORMAT_JSON, VOUCH_ETOOBIG, 1, 67,
                 "userOwnedGrafeasNote.publicKeys: 257 keys; an attestor "
                 "holds at most 256");
    free(doc);
}

static void test_attestor_find_key(void **state)
{
    char *text = testutil_read("attestors/ci.json", NULL);
    vouch_attestor *a = parse_ok(text, VOUCH_FORMAT_JSON);

    (void)state;
    assert_ptr_equal(vouch_attestor_find_key(a, P256_ID, strlen(P256_ID)),
                     vouch_attestor_key(a, 0));
    assert_ptr_equal(vouch_attestor_find_key(a, PGP_FPR, strlen(PGP_FPR)),
                     vouch_attestor_key(a, 2));
    /* Byte equality: no prefix, no case folding, length counts. */
    assert_null(vouch_attestor_find_key(a, P256_ID, strlen(P256_ID) - 1));
    assert_null(vouch_attestor_find_key(a, "51652ca9f4323d2665103a9fdc934582"
                                           "fc68c7c3",
                                        40));
    assert_null(vouch_attestor_find_key(a, "ignored", 7));
    /* id need not be NUL-terminated. */
    {
        char buf[128];

        memcpy(buf, RSA_ID "zzz", strlen(RSA_ID) + 3);
        assert_ptr_equal(vouch_attestor_find_key(a, buf, strlen(RSA_ID)),
                         vouch_attestor_key(a, 1));
    }
    vouch_attestor_free(a);
    free(text);
}

/* ---- errors ----------------------------------------------------------- */

static void test_attestor_checks_name(void **state)
{
    static const char *const bad[] = {
        "projects/p/attestors",
        "projects/p/attestors/",
        "projects/p/notes/a",
        "projects//attestors/a",
        "projects/p!/attestors/a",
        "projects/p/attestors/a/b",
        "attestors/a",
        "projects/p/attestors/a b",
    };
    char doc[512];
    char seg[200];
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(doc, sizeof(doc),
                 "description: d\nname: \"%s\"\nuserOwnedGrafeasNote:\n"
                 "  noteReference: projects/p/notes/n\n",
                 bad[i]);
        expect_error(doc, VOUCH_FORMAT_YAML, VOUCH_EINVAL, 2, 8,
                     "name: '");
        expect_error(doc, VOUCH_FORMAT_YAML, VOUCH_EINVAL, 2, 8,
                     "' is not an attestor name "
                     "(projects/PROJECT/attestors/ID)");
    }
    /* A segment is 1..128 characters of [A-Za-z0-9._~:-]. */
    memset(seg, 'a', 128);
    seg[128] = '\0';
    snprintf(doc, sizeof(doc),
             "name: projects/p._~:-Z9/attestors/%s\nuserOwnedGrafeasNote:\n"
             "  noteReference: projects/p/notes/n\n",
             seg);
    vouch_attestor_free(parse_ok(doc, VOUCH_FORMAT_YAML));
    seg[128] = 'a';
    seg[129] = '\0';
    snprintf(doc, sizeof(doc),
             "name: projects/p/attestors/%s\nuserOwnedGrafeasNote:\n"
             "  noteReference: projects/p/notes/n\n",
             seg);
    expect_error(doc, VOUCH_FORMAT_YAML, VOUCH_EINVAL, 1, 7,
                 "is not an attestor name");
    /* Not a string. */
    expect_error("name: 12\nuserOwnedGrafeasNote:\n"
                 "  noteReference: projects/p/notes/n\n",
                 VOUCH_FORMAT_YAML, VOUCH_EINVAL, 1, 7,
                 "name: expected a string, found a number");
}

static void test_attestor_checks_note_reference(void **state)
{
    (void)state;
    expect_error("name: projects/p/attestors/a\nuserOwnedGrafeasNote:\n"
                 "  publicKeys: []\n",
                 VOUCH_FORMAT_YAML, VOUCH_EINVAL, 3, 3,
                 "userOwnedGrafeasNote.noteReference: required field is "
                 "missing");
    /* An empty note mapping: placed at its key. */
    expect_error("name: projects/p/attestors/a\nuserOwnedGrafeasNote: {}\n",
                 VOUCH_FORMAT_YAML, VOUCH_EINVAL, 2, 1,
                 "userOwnedGrafeasNote.noteReference: required field is "
                 "missing");
    expect_error("{\"userOwnedGrafeasNote\": {\n  \"noteReference\": "
                 "\"projects/p/attestors/n\"}}",
                 VOUCH_FORMAT_JSON, VOUCH_EINVAL, 2, 21,
                 "userOwnedGrafeasNote.noteReference: "
                 "'projects/p/attestors/n' is not a note name "
                 "(projects/PROJECT/notes/NOTE)");
    expect_error("userOwnedGrafeasNote:\n  noteReference: "
                 "providers/p/notes/n\n",
                 VOUCH_FORMAT_YAML, VOUCH_EINVAL, 2, 18,
                 "is not a note name");
    expect_error("userOwnedGrafeasNote:\n  noteReference: [a]\n",
                 VOUCH_FORMAT_YAML, VOUCH_EINVAL, 2, 19,
                 "userOwnedGrafeasNote.noteReference: expected a string, "
                 "found a list");
}

static void test_attestor_requires_one_note(void **state)
{
    (void)state;
    expect_error("name: projects/p/attestors/a\ndescription: d\n",
                 VOUCH_FORMAT_YAML, VOUCH_EINVAL, 1, 1,
                 "userOwnedGrafeasNote: required field is missing");
    expect_error("userOwnedGrafeasNote:\n  noteReference: projects/p/notes/n\n"
                 "userOwnedDrydockNote:\n  noteReference: projects/p/notes/n\n",
                 VOUCH_FORMAT_YAML, VOUCH_EINVAL, 4, 3,
                 "give userOwnedGrafeasNote or its v1beta1 name "
                 "userOwnedDrydockNote, not both");
    expect_error("userOwnedGrafeasNote: note\n", VOUCH_FORMAT_YAML,
                 VOUCH_EINVAL, 1, 23,
                 "userOwnedGrafeasNote: expected a mapping, found a string");
    /* A v1beta1 fault names the v1beta1 path. */
    expect_error("userOwnedDrydockNote:\n  noteReference: x\n",
                 VOUCH_FORMAT_YAML, VOUCH_EINVAL, 2, 18,
                 "userOwnedDrydockNote.noteReference: 'x' is not a note "
                 "name");
}

static void test_attestor_rejects_unknown_fields(void **state)
{
    (void)state;
    expect_error("name: projects/p/attestors/a\nkind: x\n", VOUCH_FORMAT_YAML,
                 VOUCH_EINVAL, 2, 1, "kind: unknown field");
    expect_error("userOwnedGrafeasNote:\n  noteReference: projects/p/notes/n\n"
                 "  keys: []\n",
                 VOUCH_FORMAT_YAML, VOUCH_EINVAL, 3, 3,
                 "userOwnedGrafeasNote.keys: unknown field");
    expect_error("userOwnedGrafeasNote:\n  noteReference: projects/p/notes/n\n"
                 "  publicKeys:\n  - comment: c\n    fingerprint: f\n",
                 VOUCH_FORMAT_YAML, VOUCH_EINVAL, 5, 5,
                 "userOwnedGrafeasNote.publicKeys[0].fingerprint: unknown "
                 "field");
    expect_error("userOwnedGrafeasNote:\n  noteReference: projects/p/notes/n\n"
                 "  publicKeys:\n  - pkixPublicKey:\n      der: x\n",
                 VOUCH_FORMAT_YAML, VOUCH_EINVAL, 5, 7,
                 "userOwnedGrafeasNote.publicKeys[0].pkixPublicKey.der: "
                 "unknown field");
    /* Field names are case-sensitive. */
    expect_error("{\"Name\": \"projects/p/attestors/a\"}", VOUCH_FORMAT_JSON,
                 VOUCH_EINVAL, 1, 3, "Name: unknown field");
}

static void test_attestor_checks_key_shape(void **state)
{
    static const char head[] =
        "userOwnedGrafeasNote:\n  noteReference: projects/p/notes/n\n"
        "  publicKeys:\n";
    char doc[1024];

    (void)state;
    /* Exactly one of the two key kinds. */
    snprintf(doc, sizeof(doc), "%s  - comment: c\n", head);
    expect_error(doc, VOUCH_FORMAT_YAML, VOUCH_EINVAL, 4, 5,
                 "userOwnedGrafeasNote.publicKeys[0]: exactly one of "
                 "asciiArmoredPgpPublicKey and pkixPublicKey is required");
    snprintf(doc, sizeof(doc),
             "%s  - asciiArmoredPgpPublicKey: x\n    pkixPublicKey: {}\n",
             head);
    expect_error(doc, VOUCH_FORMAT_YAML, VOUCH_EINVAL, 4, 5,
                 "exactly one of asciiArmoredPgpPublicKey and pkixPublicKey "
                 "is required");
    /* An empty list item: placed at the list's key. */
    snprintf(doc, sizeof(doc), "%s  - {}\n", head);
    expect_error(doc, VOUCH_FORMAT_YAML, VOUCH_EINVAL, 3, 3,
                 "publicKeys[0]: exactly one of");
    snprintf(doc, sizeof(doc), "%s  - key\n", head);
    expect_error(doc, VOUCH_FORMAT_YAML, VOUCH_EINVAL, 4, 5,
                 "userOwnedGrafeasNote.publicKeys[0]: expected a mapping, "
                 "found a string");
    snprintf(doc, sizeof(doc), "%s    x: 1\n", head);
    expect_error(doc, VOUCH_FORMAT_YAML, VOUCH_EINVAL, 4, 5,
                 "userOwnedGrafeasNote.publicKeys: expected a list, found a "
                 "mapping");
    /* pkixPublicKey needs both of its fields. */
    snprintf(doc, sizeof(doc),
             "%s  - pkixPublicKey:\n      signatureAlgorithm: "
             "ECDSA_P256_SHA256\n",
             head);
    expect_error(doc, VOUCH_FORMAT_YAML, VOUCH_EINVAL, 5, 7,
                 "userOwnedGrafeasNote.publicKeys[0].pkixPublicKey: "
                 "publicKeyPem and signatureAlgorithm are both required");
    snprintf(doc, sizeof(doc), "%s  - pkixPublicKey: pem\n", head);
    expect_error(doc, VOUCH_FORMAT_YAML, VOUCH_EINVAL, 4, 20,
                 "userOwnedGrafeasNote.publicKeys[0].pkixPublicKey: expected "
                 "a mapping, found a string");
    /* Key text that is not a key: key.c's message at the field. */
    snprintf(doc, sizeof(doc),
             "%s  - pkixPublicKey:\n      publicKeyPem: not a pem\n"
             "      signatureAlgorithm: ECDSA_P256_SHA256\n",
             head);
    expect_error(doc, VOUCH_FORMAT_YAML, VOUCH_EPARSE, 5, 7,
                 "userOwnedGrafeasNote.publicKeys[0].pkixPublicKey: ");
    snprintf(doc, sizeof(doc),
             "%s  - asciiArmoredPgpPublicKey: not armor\n", head);
    expect_error(doc, VOUCH_FORMAT_YAML, VOUCH_EPARSE, 4, 31,
                 "userOwnedGrafeasNote.publicKeys[0]."
                 "asciiArmoredPgpPublicKey: ");
    snprintf(doc, sizeof(doc), "%s  - asciiArmoredPgpPublicKey: true\n",
             head);
    expect_error(doc, VOUCH_FORMAT_YAML, VOUCH_EINVAL, 4, 31,
                 "asciiArmoredPgpPublicKey: expected a string, found a "
                 "boolean");
    snprintf(doc, sizeof(doc),
             "%s  - comment: 5\n    asciiArmoredPgpPublicKey: x\n", head);
    expect_error(doc, VOUCH_FORMAT_YAML, VOUCH_EINVAL, 4, 14,
                 "userOwnedGrafeasNote.publicKeys[0].comment: expected a "
                 "string, found a number");
}

static void test_attestor_checks_scalar_fields(void **state)
{
    static const char tail[] =
        "userOwnedGrafeasNote:\n  noteReference: projects/p/notes/n\n";
    char doc[512];

    (void)state;
    snprintf(doc, sizeof(doc), "updateTime: 2024-13-01T00:00:00Z\n%s", tail);
    expect_error(doc, VOUCH_FORMAT_YAML, VOUCH_EINVAL, 1, 13,
                 "updateTime: '2024-13-01T00:00:00Z' is not an RFC 3339 UTC "
                 "timestamp");
    snprintf(doc, sizeof(doc), "updateTime: '2024-01-01T00:00:00+01:00'\n%s",
             tail);
    expect_error(doc, VOUCH_FORMAT_YAML, VOUCH_EINVAL, 1, 14,
                 "is not an RFC 3339 UTC timestamp");
    snprintf(doc, sizeof(doc), "etag: true\n%s", tail);
    expect_error(doc, VOUCH_FORMAT_YAML, VOUCH_EINVAL, 1, 7,
                 "etag: expected a string, found a boolean");
    snprintf(doc, sizeof(doc), "description: {a: b}\n%s", tail);
    expect_error(doc, VOUCH_FORMAT_YAML, VOUCH_EINVAL, 1, 15,
                 "description: expected a string, found a mapping");
    expect_error("[1, 2]", VOUCH_FORMAT_JSON, VOUCH_EINVAL, 1, 2,
                 "an attestor must be a mapping, found a list");
    expect_error("12\n", VOUCH_FORMAT_YAML, VOUCH_EINVAL, 1, 1,
                 "expected a mapping, found a number");
    expect_error("{\"name\": \"projects/p/attestors/a\",}", VOUCH_FORMAT_JSON,
                 VOUCH_EPARSE, 1, 35, "string or '}' expected");
    expect_error("name: [\n", VOUCH_FORMAT_YAML, VOUCH_EPARSE, 2, 1,
                 "did not find expected node content while parsing a "
                 "flow node");
}

static void test_attestor_enforces_size_limit(void **state)
{
    size_t len = VOUCH_ATTESTOR_MAX_BYTES + 1;
    char *big = malloc(len);
    vouch_attestor *a = (vouch_attestor *)1;
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    assert_non_null(big);
    memset(big, ' ', len);
    big[0] = '{';
    assert_int_equal(vouch_attestor_parse(&a, big, len, VOUCH_FORMAT_JSON,
                                          "big", &err),
                     VOUCH_ETOOBIG);
    assert_null(a);
    assert_non_null(strstr(err.message, "over the limit of 1048576"));
    free(big);
    /* err may be NULL. */
    assert_int_equal(vouch_attestor_parse(&a, "x: [", 4, VOUCH_FORMAT_YAML,
                                          NULL, NULL),
                     VOUCH_EPARSE);
    assert_null(a);
}

/* ---- output ----------------------------------------------------------- */

static void test_attestor_set_output_fields(void **state)
{
    char *text = testutil_read("attestors/ci.json", NULL);
    vouch_attestor *a = parse_ok(text, VOUCH_FORMAT_JSON);
    char *out = NULL;
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    /* NULL leaves a field alone. */
    assert_int_equal(vouch_attestor_set_output_fields(a, NULL, NULL, NULL,
                                                      &err),
                     0);
    assert_string_equal(vouch_attestor_etag(a), "BwYa2xM=");
    /* Values are copied. */
    {
        char name[] = "projects/q/attestors/b";

        assert_int_equal(vouch_attestor_set_output_fields(
                             a, name, "e2", "2025-01-01T00:00:00Z", &err),
                         0);
        name[0] = 'X';
    }
    assert_string_equal(vouch_attestor_name(a), "projects/q/attestors/b");
    assert_string_equal(vouch_attestor_etag(a), "e2");
    assert_string_equal(vouch_attestor_update_time(a),
                        "2025-01-01T00:00:00Z");
    /* "" clears, and a cleared field is not printed. */
    assert_int_equal(vouch_attestor_set_output_fields(a, NULL, "", "", &err),
                     0);
    assert_null(vouch_attestor_etag(a));
    assert_null(vouch_attestor_update_time(a));
    assert_string_equal(vouch_attestor_name(a), "projects/q/attestors/b");
    assert_int_equal(vouch_attestor_print(a, VOUCH_FORMAT_JSON, &out, NULL,
                                          NULL),
                     0);
    assert_null(strstr(out, "\"etag\""));
    assert_null(strstr(out, "\"updateTime\""));
    assert_non_null(strstr(out, "\"name\": \"projects/q/attestors/b\""));
    vouch_free(out);
    /* Only JSON and YAML print. */
    {
        size_t len = 7;

        out = (char *)1;
        assert_int_equal(vouch_attestor_print(a, VOUCH_FORMAT_AUTO, &out,
                                              &len, &err),
                         VOUCH_EINVAL);
        assert_null(out);
        assert_int_equal(len, 0);
        assert_string_equal(err.message,
                            "output format must be JSON or YAML");
    }
    vouch_attestor_free(a);
    vouch_attestor_free(NULL);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_attestor_fixtures_parse),
        cmocka_unit_test(test_attestor_print_round_trip),
        cmocka_unit_test(test_attestor_print_json_shape),
        cmocka_unit_test(test_attestor_accepts_v1beta1_note),
        cmocka_unit_test(test_attestor_v1beta1_accepts_provider_note),
        cmocka_unit_test(test_attestor_accepts_no_keys),
        cmocka_unit_test(test_attestor_signature_algorithm_spellings),
        cmocka_unit_test(test_attestor_rejects_bad_signature_algorithm),
        cmocka_unit_test(test_attestor_rejects_algorithm_key_mismatch),
        cmocka_unit_test(test_attestor_key_ids),
        cmocka_unit_test(test_attestor_rejects_duplicate_ids),
        cmocka_unit_test(test_attestor_rejects_too_many_keys),
        cmocka_unit_test(test_attestor_find_key),
        cmocka_unit_test(test_attestor_checks_name),
        cmocka_unit_test(test_attestor_checks_note_reference),
        cmocka_unit_test(test_attestor_requires_one_note),
        cmocka_unit_test(test_attestor_rejects_unknown_fields),
        cmocka_unit_test(test_attestor_checks_key_shape),
        cmocka_unit_test(test_attestor_checks_scalar_fields),
        cmocka_unit_test(test_attestor_enforces_size_limit),
        cmocka_unit_test(test_attestor_set_output_fields),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
