/*
 * Tests for src/engine/attestation.c (include/vouch/attestation.h).
 *
 * Sections:
 *   parse    vouch_attestation_parse, vouch_attestation_list_parse and the
 *            getters: v1 JSON and YAML, v1beta1 shapes, lists, every error
 *   value    vouch_attestation_from_json_value (vouch/jansson.h)
 *   print    vouch_attestation_print (round trip)
 *   payload  vouch_signature_payload_create against
 *            tests/data/vectors/payloads.json
 *   verify   vouch_attestation_verify with the openssl/gpg-made fixtures
 *            of tests/data/core (see its README.md)
 *   sign     vouch_attestation_sign round trip
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

#include "vouch/jansson.h"
#include "vouch/vouch.h"
#include "testutil.h"

/* sha256("vouch core image a") and ("... b"): see make-fixtures.sh. */
#define DIGEST_A \
    "sha256:527584eb3a3ee27717e6cced437e86c83cee6c6be183a8d109fbddf9b875faf7"
#define DIGEST_B \
    "sha256:f319bc3f1193c2734b23913d6fed7248015f39ffc877bffd441dc120f9b7cb1c"
#define IMAGE_A "gcr.io/core-proj/app@" DIGEST_A
#define NOTE_A "projects/core-proj/notes/note-a"

/* ---- helpers ------------------------------------------------------------ */

/* Line `n` (0-based) of tests/data/core/ids.txt: key a, key b, PGP fpr. */
static void fixture_id(int n, char *out, size_t size)
{
    char *text = testutil_read("core/ids.txt", NULL);
    char *line = text;
    char *nl;
    int i;

    for (i = 0; i < n; i++) {
        line = strchr(line, '\n');
        assert_non_null(line);
        line++;
    }
    nl = strchr(line, '\n');
    if (nl != NULL) {
        *nl = '\0';
    }
    snprintf(out, size, "%s", line);
    free(text);
}

/* Verify fixture `att_name` against attestor fixture `attestor_name`. */
static int verify(const char *att_name, const char *attestor_name,
                  const char *digest, vouch_error *err)
{
    vouch_attestation *att = testutil_attestation(att_name);
    vouch_attestor *attestor = testutil_attestor(attestor_name);
    int rc;

    rc = vouch_attestation_verify(att, attestor, digest, NULL, err);
    vouch_attestation_free(att);
    vouch_attestor_free(attestor);
    return rc;
}

/* A JSON string's column: its opening quote, or its first character. */
static void assert_json_string_column(const vouch_error *err,
                                      uint32_t quote)
{
    if (err->column != quote && err->column != quote + 1) {
        fail_msg("column %u, want %u (the quote) or %u", err->column,
                 quote, quote + 1);
    }
}

/* Parse an inline document and expect failure `code` with `needle`. */
static vouch_error parse_fails(const char *doc, vouch_format format,
                               int code, const char *needle)
{
    vouch_attestation *att = (vouch_attestation *)1;
    vouch_error err = VOUCH_ERROR_INIT;

    assert_int_equal(vouch_attestation_parse(&att, doc, strlen(doc), format,
                                             "occ", &err), code);
    assert_null(att);
    assert_int_equal(err.code, code);
    assert_string_equal(err.source, "occ");
    assert_contains(err.message, needle);
    /* err may be NULL: same code, no crash. */
    assert_int_equal(vouch_attestation_parse(&att, doc, strlen(doc), format,
                                             "occ", NULL), code);
    assert_null(att);
    return err;
}

/* A valid v1 JSON occurrence, one field per line, so that tests can break
 * one line and know its position. */
#define PAYLOAD_B64 "eyJjcml0aWNhbCI6e319"  /* {"critical":{}} */
#define GOOD_HEAD \
    "{\n" \
    "  \"resourceUri\": \"gcr.io/p/a@" DIGEST_A "\",\n" \
    "  \"noteName\": \"projects/p/notes/n\",\n"
#define GOOD_BODY \
    "  \"attestation\": {\n" \
    "    \"serializedPayload\": \"" PAYLOAD_B64 "\",\n" \
    "    \"signatures\": [{\"signature\": \"AAAA\", \"publicKeyId\": " \
    "\"ni:///x\"}]\n" \
    "  }\n"

/* ---- parse ------------------------------------------------------------- */

static void test_attestation_parse_v1_json(void **state)
{
    vouch_attestation *att;

    (void)state;
    att = testutil_attestation("a-good.json");
    assert_string_equal(vouch_attestation_note_name(att), NOTE_A);
    assert_string_equal(vouch_attestation_resource_uri(att), IMAGE_A);
    assert_string_equal(vouch_attestation_resource_digest(att), DIGEST_A);
    vouch_attestation_free(att);
    vouch_attestation_free(NULL);
}

static void test_attestation_parse_v1_yaml(void **state)
{
    vouch_attestation *att = NULL;
    vouch_attestor *attestor = testutil_attestor("attestor-a.json");
    vouch_error err = VOUCH_ERROR_INIT;
    size_t len;
    char *text = testutil_read("attestations/a-good.yaml", &len);

    (void)state;
    assert_int_equal(vouch_attestation_parse(&att, text, len,
                                             VOUCH_FORMAT_YAML, "y", &err),
                     0);
    assert_string_equal(vouch_attestation_note_name(att), NOTE_A);
    assert_string_equal(vouch_attestation_resource_digest(att), DIGEST_A);
    /* The YAML form carries the same bytes: it verifies. */
    assert_int_equal(vouch_attestation_verify(att, attestor, DIGEST_A, NULL,
                                              &err), 0);
    vouch_attestation_free(att);
    /* AUTO detects YAML too. */
    assert_int_equal(vouch_attestation_parse(&att, text, len,
                                             VOUCH_FORMAT_AUTO, "y", &err),
                     0);
    vouch_attestation_free(att);
    vouch_attestor_free(attestor);
    free(text);
}

static void test_attestation_parse_reads_only_len_bytes(void **state)
{
    static const char doc[] = GOOD_HEAD GOOD_BODY "}garbage after len";
    vouch_attestation *att = NULL;
    vouch_error err = VOUCH_ERROR_INIT;
    size_t len = strlen(GOOD_HEAD GOOD_BODY "}");

    (void)state;
    assert_int_equal(vouch_attestation_parse(&att, doc, len,
                                             VOUCH_FORMAT_JSON, "occ", &err),
                     0);
    assert_string_equal(vouch_attestation_note_name(att),
                        "projects/p/notes/n");
    vouch_attestation_free(att);
}

static void test_attestation_parse_v1beta1_generic(void **state)
{
    vouch_attestation *att;
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    att = testutil_attestation("v1beta1-generic.json");
    /* resource.uri with the old https:// prefix still names the digest. */
    assert_string_equal(vouch_attestation_resource_digest(att), DIGEST_A);
    assert_string_equal(vouch_attestation_note_name(att), NOTE_A);
    vouch_attestation_free(att);
    assert_int_equal(verify("v1beta1-generic.json", "attestor-a.json",
                            DIGEST_A, &err), 0);
}

static void test_attestation_parse_v1beta1_pgp(void **state)
{
    vouch_attestation *att;
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    att = testutil_attestation("v1beta1-pgp.json");
    assert_string_equal(vouch_attestation_resource_digest(att), DIGEST_A);
    vouch_attestation_free(att);
    if (verify("v1beta1-pgp.json", "attestor-pgp.json", DIGEST_A,
               &err) != 0) {
        fail_msg("%s", err.message);
    }
}

static void test_attestation_list_parse_shapes(void **state)
{
    static const char *const files[] = {
        "attestations/list-array.json", "attestations/list-occurrences.json",
        "attestations/a-good.json", "attestations/a-good.yaml"};
    static const size_t counts[] = {2, 2, 1, 1};
    size_t i;

    (void)state;
    for (i = 0; i < 4; i++) {
        vouch_attestation_list *list = NULL;
        vouch_error err = VOUCH_ERROR_INIT;
        size_t len;
        char *text = testutil_read(files[i], &len);

        if (vouch_attestation_list_parse(&list, text, len, VOUCH_FORMAT_AUTO,
                                         files[i], &err) != 0) {
            fail_msg("%s: %s", files[i], err.message);
        }
        assert_int_equal(vouch_attestation_list_count(list), counts[i]);
        assert_string_equal(vouch_attestation_note_name(
                                vouch_attestation_list_get(list, 0)),
                            NOTE_A);
        if (counts[i] == 2) {
            assert_string_equal(vouch_attestation_note_name(
                                    vouch_attestation_list_get(list, 1)),
                                "projects/core-proj/notes/note-b");
        }
        assert_null(vouch_attestation_list_get(list, counts[i]));
        assert_null(vouch_attestation_list_get(list, SIZE_MAX));
        vouch_attestation_list_free(list);
        free(text);
    }
    vouch_attestation_list_free(NULL);
}

static void test_attestation_list_parse_empty(void **state)
{
    /* A null list is an empty one (the last two were found by
     * fuzz_occurrence: they made a calloc of SIZE_MAX elements). */
    static const char *const docs[] = {
        "[]", "{\"occurrences\": []}", "{\"occurrences\": null}",
        "occurrences:\n", "# list\noccurrences: ~\n"};
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
        vouch_attestation_list *list = NULL;

        assert_int_equal(vouch_attestation_list_parse(&list, docs[i],
                                                      strlen(docs[i]),
                                                      VOUCH_FORMAT_AUTO,
                                                      NULL, NULL), 0);
        assert_int_equal(vouch_attestation_list_count(list), 0);
        assert_null(vouch_attestation_list_get(list, 0));
        vouch_attestation_list_free(list);
    }
}

static void test_attestation_list_parse_error_names_element(void **state)
{
    static const char array_doc[] =
        "[" GOOD_HEAD GOOD_BODY "},\n {\"noteName\": \"projects/p/notes/n\","
        " \"resourceUri\": \"gcr.io/p/a@" DIGEST_A "\"}]";
    static const char list_doc[] =
        "{\"occurrences\": [" GOOD_HEAD GOOD_BODY "},\n" GOOD_HEAD
        GOOD_BODY ", \"bogus\": 1}]}";
    static const char extra_doc[] =
        "{\"occurrences\": [], \"pageToken\": \"x\"}";
    vouch_attestation_list *list = (vouch_attestation_list *)1;
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    assert_int_equal(vouch_attestation_list_parse(&list, array_doc,
                                                  strlen(array_doc),
                                                  VOUCH_FORMAT_JSON, "l",
                                                  &err), VOUCH_EINVAL);
    assert_null(list);
    assert_contains(err.message, "[1]");
    assert_contains(err.message, "attestation");

    assert_int_equal(vouch_attestation_list_parse(&list, list_doc,
                                                  strlen(list_doc),
                                                  VOUCH_FORMAT_JSON, "l",
                                                  &err), VOUCH_EINVAL);
    assert_null(list);
    assert_contains(err.message, "occurrences[1].bogus: unknown field");
    assert_int_equal(err.line, 16);

    assert_int_equal(vouch_attestation_list_parse(&list, extra_doc,
                                                  strlen(extra_doc),
                                                  VOUCH_FORMAT_JSON, "l",
                                                  &err), VOUCH_EINVAL);
    assert_contains(err.message, "pageToken: unknown field");
}

static void test_attestation_list_parse_over_limit(void **state)
{
    size_t len = VOUCH_OCCURRENCES_MAX_BYTES + 1u;
    char *big = malloc(len);
    vouch_attestation_list *list = (vouch_attestation_list *)1;
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    assert_non_null(big);
    memset(big, ' ', len);
    big[0] = '[';
    assert_int_equal(vouch_attestation_list_parse(&list, big, len,
                                                  VOUCH_FORMAT_JSON, "l",
                                                  &err), VOUCH_ETOOBIG);
    assert_null(list);
    free(big);
}

static void test_attestation_parse_over_limit(void **state)
{
    size_t len = VOUCH_OCCURRENCE_MAX_BYTES + 1u;
    char *big = malloc(len);
    vouch_attestation *att = (vouch_attestation *)1;
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    assert_non_null(big);
    memset(big, ' ', len);
    big[0] = '{';
    assert_int_equal(vouch_attestation_parse(&att, big, len,
                                             VOUCH_FORMAT_JSON, "occ", &err),
                     VOUCH_ETOOBIG);
    assert_null(att);
    free(big);
}

static void test_attestation_parse_missing_note_name(void **state)
{
    static const char doc[] =
        "{\n  \"resourceUri\": \"gcr.io/p/a@" DIGEST_A "\",\n" GOOD_BODY "}";
    vouch_error err;

    (void)state;
    err = parse_fails(doc, VOUCH_FORMAT_JSON, VOUCH_EINVAL,
                      "missing required field 'noteName'");
    /* The position is the occurrence's (its first line or first key). */
    assert_in_range(err.line, 1, 2);
}

static void test_attestation_parse_bad_note_name(void **state)
{
    static const char *const notes[] = {
        "notes/n", "projects/p/notes/", "projects//notes/n",
        "projects/p/notes/n/x", "projects/p/q/notes/n",
        "projects/p/attestors/a"};
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(notes) / sizeof(notes[0]); i++) {
        char doc[1024];
        vouch_error err;

        snprintf(doc, sizeof(doc), "{\n  \"resourceUri\": \"gcr.io/p/a@"
                 DIGEST_A "\",\n  \"noteName\": \"%s\",\n" GOOD_BODY "}",
                 notes[i]);
        err = parse_fails(doc, VOUCH_FORMAT_JSON, VOUCH_EINVAL, "noteName: ");
        assert_contains(err.message, "projects/*/notes/*");
        assert_int_equal(err.line, 3);
    }
}

static void test_attestation_parse_missing_resource_uri(void **state)
{
    static const char doc[] =
        "{\n  \"noteName\": \"projects/p/notes/n\",\n" GOOD_BODY "}";
    static const char beta_doc[] =
        "{\n  \"noteName\": \"projects/p/notes/n\",\n"
        "  \"resource\": {\"name\": \"x\"},\n" GOOD_BODY "}";

    (void)state;
    parse_fails(doc, VOUCH_FORMAT_JSON, VOUCH_EINVAL,
                "missing required field 'resourceUri'");
    parse_fails(beta_doc, VOUCH_FORMAT_JSON, VOUCH_EINVAL,
                "missing required field 'resourceUri'");
}

static void test_attestation_parse_resource_uri_without_digest(void **state)
{
    static const char doc[] =
        "{\n  \"noteName\": \"projects/p/notes/n\",\n"
        "  \"resourceUri\": \"gcr.io/p/a:latest\",\n" GOOD_BODY "}";
    static const char beta_doc[] =
        "{\n  \"noteName\": \"projects/p/notes/n\",\n"
        "  \"resource\": {\"uri\": \"https://gcr.io/p/a\"},\n" GOOD_BODY "}";
    vouch_error err;

    (void)state;
    err = parse_fails(doc, VOUCH_FORMAT_JSON, VOUCH_EINVAL,
                      "resourceUri: 'gcr.io/p/a:latest' names no digest");
    assert_int_equal(err.line, 3);
    assert_json_string_column(&err, 18);
    err = parse_fails(beta_doc, VOUCH_FORMAT_JSON, VOUCH_EINVAL,
                      "resource.uri: ");
    assert_contains(err.message, "names no digest");
}

static void test_attestation_parse_resource_uri_not_a_reference(void **state)
{
    static const char doc[] =
        "{\n  \"noteName\": \"projects/p/notes/n\",\n"
        "  \"resourceUri\": \"gcr.io/UPPER CASE@@\",\n" GOOD_BODY "}";

    (void)state;
    parse_fails(doc, VOUCH_FORMAT_JSON, VOUCH_EINVAL,
                "resourceUri: not an image reference");
}

static void test_attestation_parse_missing_attestation(void **state)
{
    static const char doc[] = GOOD_HEAD "  \"kind\": \"ATTESTATION\"\n}";

    (void)state;
    parse_fails(doc, VOUCH_FORMAT_JSON, VOUCH_EINVAL,
                "missing required field 'attestation'");
}

static void test_attestation_parse_no_signatures(void **state)
{
    static const char doc[] = GOOD_HEAD
        "  \"attestation\": {\"serializedPayload\": \"" PAYLOAD_B64 "\"}\n}";
    static const char empty_doc[] = GOOD_HEAD
        "  \"attestation\": {\"serializedPayload\": \"" PAYLOAD_B64 "\","
        " \"signatures\": []}\n}";

    (void)state;
    parse_fails(doc, VOUCH_FORMAT_JSON, VOUCH_EINVAL,
                "attestation: has neither signatures nor jwts");
    parse_fails(empty_doc, VOUCH_FORMAT_JSON, VOUCH_EINVAL,
                "has neither signatures nor jwts");
}

static void test_attestation_parse_kind_not_attestation(void **state)
{
    static const char doc[] = GOOD_HEAD "  \"kind\": \"VULNERABILITY\",\n"
        GOOD_BODY "}";
    vouch_error err;

    (void)state;
    err = parse_fails(doc, VOUCH_FORMAT_JSON, VOUCH_EINVAL,
                      "kind: must be ATTESTATION, got 'VULNERABILITY'");
    assert_int_equal(err.line, 4);
}

static void test_attestation_parse_bad_base64(void **state)
{
    static const char payload_doc[] = GOOD_HEAD
        "  \"attestation\": {\n"
        "    \"serializedPayload\": \"not base64!\",\n"
        "    \"signatures\": [{\"signature\": \"AAAA\"}]\n  }\n}";
    static const char sig_doc[] = GOOD_HEAD
        "  \"attestation\": {\n"
        "    \"serializedPayload\": \"" PAYLOAD_B64 "\",\n"
        "    \"signatures\": [{\"signature\": \"AAAA\"},\n"
        "                   {\"signature\": \"%%%%\"}]\n  }\n}";
    vouch_error err;

    (void)state;
    err = parse_fails(payload_doc, VOUCH_FORMAT_JSON, VOUCH_EINVAL,
                      "attestation.serializedPayload: not valid base64");
    assert_int_equal(err.line, 5);
    err = parse_fails(sig_doc, VOUCH_FORMAT_JSON, VOUCH_EINVAL,
                      "attestation.signatures[1].signature: not valid "
                      "base64");
    assert_int_equal(err.line, 7);
}

static void test_attestation_parse_unknown_field(void **state)
{
    static const char top_doc[] = GOOD_HEAD "  \"bogus\": true,\n" GOOD_BODY
        "}";
    static const char sig_doc[] = GOOD_HEAD
        "  \"attestation\": {\n"
        "    \"serializedPayload\": \"" PAYLOAD_B64 "\",\n"
        "    \"signatures\": [\n"
        "      {\"signature\": \"AAAA\", \"keyId\": \"x\"}\n    ]\n  }\n}";
    static const char yaml_doc[] =
        "noteName: projects/p/notes/n\n"
        "resourceUri: gcr.io/p/a@" DIGEST_A "\n"
        "attestation:\n"
        "  serializedPayload: " PAYLOAD_B64 "\n"
        "  signatures:\n"
        "  - signature: AAAA\n"
        "    extra: 1\n";
    vouch_error err;

    (void)state;
    err = parse_fails(top_doc, VOUCH_FORMAT_JSON, VOUCH_EINVAL,
                      "bogus: unknown field");
    assert_int_equal(err.line, 4);
    assert_json_string_column(&err, 3);
    err = parse_fails(sig_doc, VOUCH_FORMAT_JSON, VOUCH_EINVAL,
                      "attestation.signatures[0].keyId: unknown field");
    assert_int_equal(err.line, 7);
    assert_json_string_column(&err, 29);
    err = parse_fails(yaml_doc, VOUCH_FORMAT_YAML, VOUCH_EINVAL,
                      "attestation.signatures[0].extra: unknown field");
    assert_int_equal(err.line, 7);
    assert_int_equal(err.column, 5);
}

static void test_attestation_parse_not_well_formed(void **state)
{
    static const char doc[] = "{\n  \"noteName\": \"projects/p/notes/n\",\n"
        "  \"resourceUri\" \"x\"\n}";
    vouch_error err;

    (void)state;
    err = parse_fails(doc, VOUCH_FORMAT_JSON, VOUCH_EPARSE, "");
    assert_int_equal(err.line, 3);
    parse_fails("[1, 2]", VOUCH_FORMAT_JSON, VOUCH_EINVAL, "mapping");
    parse_fails("", VOUCH_FORMAT_JSON, VOUCH_EPARSE, "");
}

static void test_attestation_parse_signature_rules(void **state)
{
    static const char missing_sig[] = GOOD_HEAD
        "  \"attestation\": {\"serializedPayload\": \"" PAYLOAD_B64 "\","
        " \"signatures\": [{\"publicKeyId\": \"ni:///x\"}]}\n}";
    static const char missing_jwt[] = GOOD_HEAD
        "  \"attestation\": {\"jwts\": [{}]}\n}";
    static const char sigs_not_list[] = GOOD_HEAD
        "  \"attestation\": {\"serializedPayload\": \"" PAYLOAD_B64 "\","
        " \"signatures\": {\"signature\": \"AAAA\"}}\n}";
    static const char id_not_string[] = GOOD_HEAD
        "  \"attestation\": {\"serializedPayload\": \"" PAYLOAD_B64 "\","
        " \"signatures\": [{\"signature\": \"AAAA\", \"publicKeyId\": 7}]}\n}";
    static const char mixed[] = GOOD_HEAD
        "  \"attestation\": {\"serializedPayload\": \"" PAYLOAD_B64 "\","
        " \"attestation\": {\"genericSignedAttestation\": {}}}\n}";
    static const char both_legacy[] = GOOD_HEAD
        "  \"attestation\": {\"attestation\": {"
        "\"genericSignedAttestation\": {}, \"pgpSignedAttestation\": "
        "{\"signature\": \"x\"}}}\n}";
    static const char pgp_no_sig[] = GOOD_HEAD
        "  \"attestation\": {\"attestation\": {"
        "\"pgpSignedAttestation\": {\"pgpKeyId\": \"AB\"}}}\n}";
    /* Found by fuzz_occurrence: it parsed, but its print did not. */
    static const char generic_empty[] = GOOD_HEAD
        "  \"attestation\": {\"attestation\": {"
        "\"genericSignedAttestation\": {}}}\n}";

    (void)state;
    parse_fails(missing_sig, VOUCH_FORMAT_JSON, VOUCH_EINVAL,
                "attestation.signatures[0]: missing required field "
                "'signature'");
    parse_fails(missing_jwt, VOUCH_FORMAT_JSON, VOUCH_EINVAL,
                "attestation.jwts[0]: missing required field 'compactJwt'");
    parse_fails(sigs_not_list, VOUCH_FORMAT_JSON, VOUCH_EINVAL,
                "attestation.signatures: ");
    parse_fails(id_not_string, VOUCH_FORMAT_JSON, VOUCH_EINVAL,
                "attestation.signatures[0].publicKeyId: expected a string");
    parse_fails(mixed, VOUCH_FORMAT_JSON, VOUCH_EINVAL,
                "mixes the v1 fields with the v1beta1");
    parse_fails(both_legacy, VOUCH_FORMAT_JSON, VOUCH_EINVAL,
                "exactly one of pgpSignedAttestation and "
                "genericSignedAttestation");
    parse_fails(pgp_no_sig, VOUCH_FORMAT_JSON, VOUCH_EINVAL,
                "attestation.attestation.pgpSignedAttestation: missing "
                "required field 'signature'");
    parse_fails(generic_empty, VOUCH_FORMAT_JSON, VOUCH_EINVAL,
                "attestation.attestation: has no signatures");
}

static void test_attestation_parse_too_many_signatures(void **state)
{
    size_t cap = 200 + (VOUCH_SIGNATURES_MAX + 1) * 24;
    char *doc = malloc(cap);
    size_t len;
    unsigned i;

    (void)state;
    assert_non_null(doc);
    len = (size_t)snprintf(doc, cap, "%s  \"attestation\": {\"signatures\""
                           ": [", GOOD_HEAD);
    for (i = 0; i <= VOUCH_SIGNATURES_MAX; i++) {
        len += (size_t)snprintf(doc + len, cap - len,
                                "%s{\"signature\": \"AAAA\"}",
                                i > 0 ? "," : "");
    }
    snprintf(doc + len, cap - len, "]}}");
    parse_fails(doc, VOUCH_FORMAT_JSON, VOUCH_ETOOBIG, "more than 64");
    free(doc);
}

static void test_attestation_parse_signature_over_limit(void **state)
{
    size_t b64 = (VOUCH_SIGNATURE_MAX_BYTES / 3 + 8) * 4;
    size_t cap = b64 + 512;
    char *doc = malloc(cap);
    size_t len;

    (void)state;
    assert_non_null(doc);
    len = (size_t)snprintf(doc, cap, "%s  \"attestation\": {\"signatures\""
                           ": [{\"signature\": \"", GOOD_HEAD);
    memset(doc + len, 'A', b64);
    len += b64;
    snprintf(doc + len, cap - len, "\"}]}}");
    parse_fails(doc, VOUCH_FORMAT_JSON, VOUCH_ETOOBIG,
                "attestation.signatures[0].signature: over the limit");
    free(doc);
}

/* ---- print ------------------------------------------------------------- */

static void test_attestation_print_round_trip(void **state)
{
    static const char *const files[] = {
        "a-good.json", "v1beta1-generic.json", "jwt-es256.json",
        "pgp-attached.json"};
    size_t i;

    (void)state;
    for (i = 0; i < 4; i++) {
        vouch_attestation *att = testutil_attestation(files[i]);
        vouch_attestation *again = NULL;
        vouch_error err = VOUCH_ERROR_INIT;
        char *json1 = NULL;
        char *json2 = NULL;
        size_t len1 = 0;
        size_t len2 = 0;
        json_t *root;

        assert_int_equal(vouch_attestation_print(att, VOUCH_FORMAT_JSON,
                                                 &json1, &len1, &err), 0);
        assert_int_equal(strlen(json1), len1);
        root = json_loadb(json1, len1, 0, NULL);
        assert_non_null(root);
        assert_string_equal(json_string_value(json_object_get(root, "kind")),
                            "ATTESTATION");
        json_decref(root);
        assert_int_equal(vouch_attestation_parse(&again, json1, len1,
                                                 VOUCH_FORMAT_JSON, "p",
                                                 &err), 0);
        assert_string_equal(vouch_attestation_resource_digest(again),
                            DIGEST_A);
        assert_int_equal(vouch_attestation_print(again, VOUCH_FORMAT_JSON,
                                                 &json2, &len2, &err), 0);
        assert_int_equal(len1, len2);
        assert_memory_equal(json1, json2, len1);
        vouch_free(json1);
        vouch_free(json2);
        vouch_attestation_free(again);
        vouch_attestation_free(att);
    }
}

static void test_attestation_print_yaml_parses_back(void **state)
{
    vouch_attestation *att = testutil_attestation("a-good.json");
    vouch_attestation *again = NULL;
    vouch_attestor *attestor = testutil_attestor("attestor-a.json");
    vouch_error err = VOUCH_ERROR_INIT;
    char *yaml = NULL;
    size_t len = 0;

    (void)state;
    assert_int_equal(vouch_attestation_print(att, VOUCH_FORMAT_YAML, &yaml,
                                             &len, &err), 0);
    if (vouch_attestation_parse(&again, yaml, len, VOUCH_FORMAT_YAML, "p",
                                &err) != 0) {
        fail_msg("%s\n%s", err.message, yaml);
    }
    assert_int_equal(vouch_attestation_verify(again, attestor, DIGEST_A, NULL,
                                              &err), 0);
    vouch_free(yaml);
    vouch_attestation_free(again);
    vouch_attestation_free(att);
    vouch_attestor_free(attestor);
}

/* ---- payload ----------------------------------------------------------- */

static void test_attestation_payload_matches_vectors(void **state)
{
    size_t len;
    char *text = testutil_read("vectors/payloads.json", &len);
    json_t *root = json_loadb(text, len, 0, NULL);
    json_t *item;
    size_t i;
    size_t checked = 0;

    (void)state;
    assert_non_null(root);
    json_array_foreach(json_object_get(root, "payloads"), i, item) {
        const char *format = json_string_value(json_object_get(item,
                                                               "format"));
        const char *url = json_string_value(json_object_get(item,
                                                            "artifact_url"));
        const char *want = json_string_value(json_object_get(item,
                                                             "payload_text"));
        char *got = NULL;
        size_t got_len = 0;
        vouch_error err = VOUCH_ERROR_INIT;

        if (format == NULL || strcmp(format, "binauthz-gcloud") != 0) {
            continue;
        }
        assert_non_null(url);
        assert_non_null(want);
        if (vouch_signature_payload_create(url, strlen(url), &got, &got_len,
                                           &err) != 0) {
            fail_msg("%s: %s", url, err.message);
        }
        assert_int_equal(got_len, strlen(want));
        assert_memory_equal(got, want, got_len);
        assert_int_equal(got[got_len], '\0');
        vouch_free(got);
        checked++;
    }
    assert_int_equal(checked, 5);
    json_decref(root);
    free(text);
}

static void test_attestation_payload_rejects_invalid_urls(void **state)
{
    size_t len;
    char *text = testutil_read("vectors/payloads.json", &len);
    json_t *root = json_loadb(text, len, 0, NULL);
    json_t *item;
    size_t i;
    size_t checked = 0;

    (void)state;
    assert_non_null(root);
    json_array_foreach(json_object_get(root, "invalid_artifact_urls"), i,
                       item) {
        const char *url = json_string_value(json_object_get(item,
                                                            "artifact_url"));
        char *got = (char *)1;
        vouch_error err = VOUCH_ERROR_INIT;
        int rc;

        assert_non_null(url);
        rc = vouch_signature_payload_create(url, strlen(url), &got, NULL,
                                            &err);
        if (rc >= 0) {
            fail_msg("accepted %s", url);
        }
        assert_true(rc == VOUCH_EINVAL || rc == VOUCH_EPARSE);
        assert_null(got);
        assert_true(err.message[0] != '\0');
        /* The same with no error struct. */
        rc = vouch_signature_payload_create(url, strlen(url), &got, NULL,
                                            NULL);
        assert_true(rc == VOUCH_EINVAL || rc == VOUCH_EPARSE);
        checked++;
    }
    assert_int_equal(checked, 11);
    json_decref(root);
    free(text);
}

static void test_attestation_payload_messages(void **state)
{
    static const char short_digest[] = "gcr.io/p/a@sha256:123";
    static const char no_digest[] = "gcr.io/p/a:latest";
    static const char bad_name[] = "gcr.io/p/UPPER@" DIGEST_A;
    char *out = NULL;
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    assert_int_equal(vouch_signature_payload_create(short_digest,
                                                    strlen(short_digest),
                                                    &out, NULL, &err),
                     VOUCH_EINVAL);
    assert_contains(err.message, "Invalid digest: sha256:123");
    assert_int_equal(vouch_signature_payload_create(no_digest,
                                                    strlen(no_digest), &out,
                                                    NULL, &err),
                     VOUCH_EINVAL);
    assert_contains(err.message, "names no digest");
    assert_int_equal(vouch_signature_payload_create(bad_name,
                                                    strlen(bad_name), &out,
                                                    NULL, &err),
                     VOUCH_EPARSE);
    assert_null(out);
    assert_int_equal(vouch_signature_payload_create(bad_name,
                                                    strlen(bad_name), &out,
                                                    NULL, NULL),
                     VOUCH_EPARSE);
}

static void test_attestation_payload_scheme_tag_and_len(void **state)
{
    static const char plain[] = "gcr.io/p/a@" DIGEST_A;
    static const char https[] = "https://gcr.io/p/a@" DIGEST_A;
    static const char tagged[] = "gcr.io/p/a:v1@" DIGEST_A "trailing";
    char *a = NULL;
    char *b = NULL;
    char *c = NULL;
    size_t alen;
    size_t blen;
    size_t clen;

    (void)state;
    assert_int_equal(vouch_signature_payload_create(plain, strlen(plain), &a,
                                                    &alen, NULL), 0);
    assert_int_equal(vouch_signature_payload_create(https, strlen(https), &b,
                                                    &blen, NULL), 0);
    /* The tag is dropped from docker-reference; bytes past len unread. */
    assert_int_equal(vouch_signature_payload_create(
                         tagged, strlen(tagged) - strlen("trailing"), &c,
                         &clen, NULL), 0);
    assert_int_equal(alen, blen);
    assert_memory_equal(a, b, alen);
    assert_int_equal(alen, clen);
    assert_memory_equal(a, c, alen);
    assert_contains(a, "\"docker-reference\": \"gcr.io/p/a\"");
    assert_contains(a, "\"docker-manifest-digest\": \"" DIGEST_A "\"");
    assert_int_equal(a[alen - 1], '\n');
    vouch_free(a);
    vouch_free(b);
    vouch_free(c);
}

static void test_attestation_payload_over_limit(void **state)
{
    size_t len = VOUCH_IMAGE_REF_MAX_BYTES + 1;
    char *big = malloc(len);
    char *out = (char *)1;
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    assert_non_null(big);
    memset(big, 'a', len);
    assert_int_equal(vouch_signature_payload_create(big, len, &out, NULL,
                                                    &err), VOUCH_ETOOBIG);
    assert_null(out);
    free(big);
}

/* ---- verify ------------------------------------------------------------ */

static void test_attestation_verify_good_signature(void **state)
{
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    assert_int_equal(verify("a-good.json", "attestor-a.json", DIGEST_A,
                            &err), 0);
    /* The matching key may be any of the attestor's keys. */
    assert_int_equal(verify("a-good.json", "attestor-ab.json", DIGEST_A,
                            &err), 0);
    /* One good signature among bad ones is enough. */
    assert_int_equal(verify("a-two-sigs.json", "attestor-a.json", DIGEST_A,
                            &err), 0);
}

static void test_attestation_verify_unknown_key_id(void **state)
{
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    assert_int_equal(verify("a-unknown-id.json", "attestor-a.json",
                            DIGEST_A, &err), VOUCH_ECRYPTO);
    assert_contains(err.message, "ni:///sha-256;unknown");
    assert_contains(err.message, "does not trust");
}

static void test_attestation_verify_key_not_in_attestor(void **state)
{
    vouch_error err = VOUCH_ERROR_INIT;
    char ida[128];

    (void)state;
    fixture_id(0, ida, sizeof(ida));
    assert_int_equal(verify("a-good.json", "attestor-a-keyb.json", DIGEST_A,
                            &err), VOUCH_ECRYPTO);
    assert_contains(err.message, ida);
    assert_contains(err.message, "does not trust");
}

static void test_attestation_verify_wrong_key(void **state)
{
    vouch_error err = VOUCH_ERROR_INIT;
    char ida[128];

    (void)state;
    fixture_id(0, ida, sizeof(ida));
    /* Signed by key b but claims key a's id. */
    assert_int_equal(verify("a-wrong-key.json", "attestor-a.json", DIGEST_A,
                            &err), VOUCH_ECRYPTO);
    assert_contains(err.message, "signature 0 by key");
    assert_contains(err.message, ida);
}

static void test_attestation_verify_tampered_payload(void **state)
{
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    assert_int_equal(verify("a-tampered.json", "attestor-a.json", DIGEST_A,
                            &err), VOUCH_ECRYPTO);
    assert_contains(err.message, "signature 0 by key");
}

static void test_attestation_verify_other_digest(void **state)
{
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    /* Good signature, but its payload names image b. */
    assert_int_equal(verify("a-other-digest.json", "attestor-a.json",
                            DIGEST_A, &err), VOUCH_ECRYPTO);
    assert_contains(err.message, DIGEST_A);
    assert_contains(err.message, DIGEST_B);
    /* A good attestation asked about another digest. */
    assert_int_equal(verify("a-good.json", "attestor-a.json", DIGEST_B,
                            &err), VOUCH_ECRYPTO);
    assert_contains(err.message, DIGEST_A);
    assert_contains(err.message, DIGEST_B);
}

static void test_attestation_verify_attestor_without_keys(void **state)
{
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    assert_int_equal(verify("a-good.json", "attestor-empty.json", DIGEST_A,
                            &err), VOUCH_ECRYPTO);
    assert_contains(err.message, "no public keys");
}

static void test_attestation_verify_note_mismatch(void **state)
{
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    assert_int_equal(verify("b-good.json", "attestor-a.json", DIGEST_A,
                            &err), VOUCH_ECRYPTO);
    assert_contains(err.message, "projects/core-proj/notes/note-b");
    assert_contains(err.message, NOTE_A);
}

static void test_attestation_verify_payload_variants(void **state)
{
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    assert_int_equal(verify("a-compact.json", "attestor-a.json", DIGEST_A,
                            &err), 0);
    assert_int_equal(verify("a-atomic.json", "attestor-a.json", DIGEST_A,
                            &err), 0);
    assert_int_equal(verify("a-atomic.json", "attestor-a.json", DIGEST_B,
                            &err), VOUCH_ECRYPTO);
}

static void test_attestation_verify_pgp_attached(void **state)
{
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    if (verify("pgp-attached.json", "attestor-pgp.json", DIGEST_A,
               &err) != 0) {
        fail_msg("%s", err.message);
    }
    assert_int_equal(verify("pgp-attached-payload.json", "attestor-pgp.json",
                            DIGEST_A, &err), 0);
    assert_int_equal(verify("pgp-attached.json", "attestor-pgp.json",
                            DIGEST_B, &err), VOUCH_ECRYPTO);
    assert_contains(err.message, DIGEST_B);
}

static void test_attestation_verify_pgp_payload_mismatch(void **state)
{
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    assert_int_equal(verify("pgp-attached-mismatch.json",
                            "attestor-pgp.json", DIGEST_A, &err),
                     VOUCH_ECRYPTO);
    assert_contains(err.message, "differs from serializedPayload");
}

static void test_attestation_verify_pgp_wrong_key(void **state)
{
    vouch_error err = VOUCH_ERROR_INIT;
    char fpr[128];

    (void)state;
    fixture_id(2, fpr, sizeof(fpr));
    /* Signed by another PGP key, but claims the trusted fingerprint. */
    assert_int_equal(verify("pgp-wrong-key.json", "attestor-pgp.json",
                            DIGEST_A, &err), VOUCH_ECRYPTO);
    assert_contains(err.message, "signature 0 by key");
    assert_contains(err.message, fpr);
}

static void test_attestation_verify_jwt_es256(void **state)
{
    vouch_error err = VOUCH_ERROR_INIT;

    (void)state;
    if (verify("jwt-es256.json", "attestor-a.json", DIGEST_A, &err) != 0) {
        fail_msg("%s", err.message);
    }
    /* typ is optional. */
    assert_int_equal(verify("jwt-notyp.json", "attestor-a.json", DIGEST_A,
                            &err), 0);
    assert_int_equal(verify("jwt-es256.json", "attestor-a.json", DIGEST_B,
                            &err), VOUCH_ECRYPTO);
    assert_contains(err.message, DIGEST_B);
}

static void test_attestation_verify_jwt_header_rules(void **state)
{
    static const struct {
        const char *file;
        const char *needle;
    } cases[] = {
        {"jwt-badtyp.json", "'typ'"},
        {"jwt-crit.json", "'crit'"},
        {"jwt-nokid.json", "'kid'"},
        {"jwt-otherkid.json", "is not a key of the attestor"},
        {"jwt-badalg.json", "JWT by key"},
        {"jwt-der.json", "JWT by key"},
    };
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        vouch_error err = VOUCH_ERROR_INIT;

        if (verify(cases[i].file, "attestor-a.json", DIGEST_A, &err) !=
            VOUCH_ECRYPTO) {
            fail_msg("%s verified", cases[i].file);
        }
        assert_contains(err.message, cases[i].needle);
    }
}

static void test_attestation_verify_jwt_malformed(void **state)
{
    static const char *const jwts[] = {
        "onlyone", "a.b", "a.b.c.d", "e30=.e30.AAAA", "!!.e30.AAAA",
        "e30.e30.AAAA", "WzFd.e30.AAAA"};
    vouch_attestor *attestor = testutil_attestor("attestor-a.json");
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(jwts) / sizeof(jwts[0]); i++) {
        char doc[1024];
        vouch_attestation *att = NULL;
        vouch_error err = VOUCH_ERROR_INIT;

        snprintf(doc, sizeof(doc), "{\"noteName\": \"" NOTE_A "\", "
                 "\"resourceUri\": \"" IMAGE_A "\", \"attestation\": "
                 "{\"jwts\": [{\"compactJwt\": \"%s\"}]}}", jwts[i]);
        assert_int_equal(vouch_attestation_parse(&att, doc, strlen(doc),
                                                 VOUCH_FORMAT_JSON, "j",
                                                 &err), 0);
        assert_int_equal(vouch_attestation_verify(att, attestor, DIGEST_A,
                                                  NULL, &err),
                         VOUCH_ECRYPTO);
        assert_true(err.message[0] != '\0');
        vouch_attestation_free(att);
    }
    vouch_attestor_free(attestor);
}

static void test_attestation_verify_signature_without_payload(void **state)
{
    vouch_attestor *attestor = testutil_attestor("attestor-a.json");
    vouch_attestation *att = NULL;
    vouch_error err = VOUCH_ERROR_INIT;
    char doc[1024];
    char ida[128];

    (void)state;
    fixture_id(0, ida, sizeof(ida));
    snprintf(doc, sizeof(doc), "{\"noteName\": \"" NOTE_A "\", "
             "\"resourceUri\": \"" IMAGE_A "\", \"attestation\": "
             "{\"signatures\": [{\"signature\": \"AAAA\", \"publicKeyId\": "
             "\"%s\"}]}}", ida);
    assert_int_equal(vouch_attestation_parse(&att, doc, strlen(doc),
                                             VOUCH_FORMAT_JSON, "j", &err),
                     0);
    assert_int_equal(vouch_attestation_verify(att, attestor, DIGEST_A, NULL,
                                              &err), VOUCH_ECRYPTO);
    assert_contains(err.message, "no serializedPayload");
    /* err may be NULL. */
    assert_int_equal(vouch_attestation_verify(att, attestor, DIGEST_A, NULL,
                                              NULL), VOUCH_ECRYPTO);
    vouch_attestation_free(att);
    vouch_attestor_free(attestor);
}

/* ---- sign -------------------------------------------------------------- */

static vouch_private_key *load_private(const char *name)
{
    char rel[256];
    size_t len;
    char *pem;
    vouch_private_key *key = NULL;
    vouch_error err = VOUCH_ERROR_INIT;

    snprintf(rel, sizeof(rel), "core/%s", name);
    pem = testutil_read(rel, &len);
    if (vouch_private_key_new(&key, pem, len,
                              VOUCH_SIGNATURE_ALGORITHM_UNSPECIFIED,
                              &err) != 0) {
        fail_msg("%s: %s", name, err.message);
    }
    free(pem);
    return key;
}

static void test_attestation_sign_round_trip(void **state)
{
    vouch_private_key *key = load_private("p256-a.key.pem");
    vouch_attestor *attestor = testutil_attestor("attestor-a.json");
    vouch_attestation *att = NULL;
    vouch_error err = VOUCH_ERROR_INIT;
    char *json = NULL;
    char ida[128];
    json_t *root;

    (void)state;
    fixture_id(0, ida, sizeof(ida));
    assert_int_equal(vouch_attestation_sign(key, "https://" IMAGE_A, NOTE_A,
                                            NULL, &json, &err), 0);
    root = json_loads(json, 0, NULL);
    assert_non_null(root);
    assert_string_equal(json_string_value(json_object_get(root, "kind")),
                        "ATTESTATION");
    assert_string_equal(json_string_value(json_object_get(root,
                                                          "resourceUri")),
                        IMAGE_A);
    assert_string_equal(json_string_value(json_object_get(
                            json_array_get(json_object_get(
                                json_object_get(root, "attestation"),
                                "signatures"), 0), "publicKeyId")), ida);
    json_decref(root);
    assert_int_equal(vouch_attestation_parse(&att, json, strlen(json),
                                             VOUCH_FORMAT_JSON, "s", &err),
                     0);
    assert_int_equal(vouch_attestation_verify(att, attestor, DIGEST_A, NULL,
                                              &err), 0);
    assert_int_equal(vouch_attestation_verify(att, attestor, DIGEST_B, NULL,
                                              &err), VOUCH_ECRYPTO);
    vouch_attestation_free(att);
    vouch_free(json);

    /* An explicit id is recorded; the attestor does not know it. */
    assert_int_equal(vouch_attestation_sign(key, IMAGE_A, NOTE_A,
                                            "kms://elsewhere", &json, &err),
                     0);
    assert_int_equal(vouch_attestation_parse(&att, json, strlen(json),
                                             VOUCH_FORMAT_JSON, "s", &err),
                     0);
    assert_int_equal(vouch_attestation_verify(att, attestor, DIGEST_A, NULL,
                                              &err), VOUCH_ECRYPTO);
    assert_contains(err.message, "kms://elsewhere");
    vouch_attestation_free(att);
    vouch_free(json);
    vouch_attestor_free(attestor);
    vouch_private_key_free(key);
}

static void test_attestation_sign_rejects_bad_input(void **state)
{
    vouch_private_key *key = load_private("p256-a.key.pem");
    vouch_error err = VOUCH_ERROR_INIT;
    char *json = (char *)1;

    (void)state;
    assert_int_equal(vouch_attestation_sign(key, IMAGE_A, "notes/n", NULL,
                                            &json, &err), VOUCH_EINVAL);
    assert_null(json);
    assert_contains(err.message, "projects/*/notes/*");
    json = (char *)1;
    assert_int_equal(vouch_attestation_sign(key, "gcr.io/p/a:latest",
                                            NOTE_A, NULL, &json, &err),
                     VOUCH_EINVAL);
    assert_null(json);
    assert_contains(err.message, "digest");
    vouch_private_key_free(key);
}

/* ---- value ------------------------------------------------------------ */

static void test_attestation_from_json_value(void **state)
{
    static const char doc[] = GOOD_HEAD GOOD_BODY "}\n";
    json_t *body = json_pack("{s:o}", "attestation",
                             json_loads(doc, 0, NULL));
    json_t *occ = json_object_get(body, "attestation");
    vouch_attestation *att = NULL;
    vouch_attestation *text_att = NULL;
    vouch_error err = VOUCH_ERROR_INIT;
    char *a = NULL;
    char *b = NULL;

    (void)state;
    assert_non_null(occ);
    /* The member of a body already parsed: the same model as the text. */
    assert_int_equal(vouch_attestation_from_json_value(&att, occ,
                                                       "request body",
                                                       &err), 0);
    assert_int_equal(vouch_attestation_parse(&text_att, doc,
                                             sizeof(doc) - 1,
                                             VOUCH_FORMAT_JSON, "occ",
                                             &err), 0);
    assert_int_equal(vouch_attestation_print(att, VOUCH_FORMAT_JSON, &a,
                                             NULL, &err), 0);
    assert_int_equal(vouch_attestation_print(text_att, VOUCH_FORMAT_JSON,
                                             &b, NULL, &err), 0);
    assert_string_equal(a, b);
    assert_int_equal(json_object_size(occ), 3); /* borrowed, untouched */
    assert_int_equal(occ->refcount, 1);
    vouch_free(a);
    vouch_free(b);
    vouch_attestation_free(att);
    vouch_attestation_free(text_att);

    /* An error names the field path and the source, with no position. */
    json_object_set_new(json_array_get(
                            json_object_get(json_object_get(occ,
                                                            "attestation"),
                                            "signatures"), 0),
                        "signature", json_string("not base64!"));
    att = (vouch_attestation *)1;
    assert_int_equal(vouch_attestation_from_json_value(&att, occ,
                                                       "request body",
                                                       &err),
                     VOUCH_EINVAL);
    assert_null(att);
    assert_string_equal(err.message, "attestation.signatures[0].signature: "
                                     "not valid base64");
    assert_string_equal(err.source, "request body");
    assert_int_equal(err.line, 0);
    assert_int_equal(err.column, 0);
    assert_int_equal(vouch_attestation_from_json_value(&att, NULL, NULL,
                                                       NULL), VOUCH_EINVAL);
    assert_null(att);
    json_decref(body);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_attestation_parse_v1_json),
        cmocka_unit_test(test_attestation_from_json_value),
        cmocka_unit_test(test_attestation_parse_v1_yaml),
        cmocka_unit_test(test_attestation_parse_reads_only_len_bytes),
        cmocka_unit_test(test_attestation_parse_v1beta1_generic),
        cmocka_unit_test(test_attestation_parse_v1beta1_pgp),
        cmocka_unit_test(test_attestation_list_parse_shapes),
        cmocka_unit_test(test_attestation_list_parse_empty),
        cmocka_unit_test(test_attestation_list_parse_error_names_element),
        cmocka_unit_test(test_attestation_list_parse_over_limit),
        cmocka_unit_test(test_attestation_parse_over_limit),
        cmocka_unit_test(test_attestation_parse_missing_note_name),
        cmocka_unit_test(test_attestation_parse_bad_note_name),
        cmocka_unit_test(test_attestation_parse_missing_resource_uri),
        cmocka_unit_test(test_attestation_parse_resource_uri_without_digest),
        cmocka_unit_test(
            test_attestation_parse_resource_uri_not_a_reference),
        cmocka_unit_test(test_attestation_parse_missing_attestation),
        cmocka_unit_test(test_attestation_parse_no_signatures),
        cmocka_unit_test(test_attestation_parse_kind_not_attestation),
        cmocka_unit_test(test_attestation_parse_bad_base64),
        cmocka_unit_test(test_attestation_parse_unknown_field),
        cmocka_unit_test(test_attestation_parse_not_well_formed),
        cmocka_unit_test(test_attestation_parse_signature_rules),
        cmocka_unit_test(test_attestation_parse_too_many_signatures),
        cmocka_unit_test(test_attestation_parse_signature_over_limit),
        cmocka_unit_test(test_attestation_print_round_trip),
        cmocka_unit_test(test_attestation_print_yaml_parses_back),
        cmocka_unit_test(test_attestation_payload_matches_vectors),
        cmocka_unit_test(test_attestation_payload_rejects_invalid_urls),
        cmocka_unit_test(test_attestation_payload_messages),
        cmocka_unit_test(test_attestation_payload_scheme_tag_and_len),
        cmocka_unit_test(test_attestation_payload_over_limit),
        cmocka_unit_test(test_attestation_verify_good_signature),
        cmocka_unit_test(test_attestation_verify_unknown_key_id),
        cmocka_unit_test(test_attestation_verify_key_not_in_attestor),
        cmocka_unit_test(test_attestation_verify_wrong_key),
        cmocka_unit_test(test_attestation_verify_tampered_payload),
        cmocka_unit_test(test_attestation_verify_other_digest),
        cmocka_unit_test(test_attestation_verify_attestor_without_keys),
        cmocka_unit_test(test_attestation_verify_note_mismatch),
        cmocka_unit_test(test_attestation_verify_payload_variants),
        cmocka_unit_test(test_attestation_verify_pgp_attached),
        cmocka_unit_test(test_attestation_verify_pgp_payload_mismatch),
        cmocka_unit_test(test_attestation_verify_pgp_wrong_key),
        cmocka_unit_test(test_attestation_verify_jwt_es256),
        cmocka_unit_test(test_attestation_verify_jwt_header_rules),
        cmocka_unit_test(test_attestation_verify_jwt_malformed),
        cmocka_unit_test(test_attestation_verify_signature_without_payload),
        cmocka_unit_test(test_attestation_sign_round_trip),
        cmocka_unit_test(test_attestation_sign_rejects_bad_input),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
