/*
 * Fuzz vouch_attestation_list_parse() (format AUTO). On success every
 * occurrence is printed as JSON and re-parsed, which must succeed and print
 * the same bytes, and is verified against a fixed attestor (note
 * projects/core-proj/notes/note-a, the P-256 key of
 * tests/data/core/p256-a.pub.pem) for its own digest and for a fixed one,
 * with and without a verification cache: that must not crash, and a
 * cached answer must equal the uncached one. For JSON, the two trees (of
 * one occurrence and of a list) and vouch_attestation_from_json_value()
 * must agree (fuzz_trees.h).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vouch/jansson.h"
#include "vouch/attestation.h"

#include "fuzz_trees.h"
#include "vouch/attestor.h"

#define FIXED_DIGEST \
    "sha256:527584eb3a3ee27717e6cced437e86c83cee6c6be183a8d109fbddf9b875faf7"

static const char attestor_json[] =
    "{\"name\": \"projects/core-proj/attestors/att-a\","
    " \"userOwnedGrafeasNote\": {"
    "\"noteReference\": \"projects/core-proj/notes/note-a\","
    " \"publicKeys\": [{\"pkixPublicKey\": {\"publicKeyPem\": \""
    "-----BEGIN PUBLIC KEY-----\\n"
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEkCIrWTWVcTeYNOWDwR079XYEQb1L\\n"
    "CAcwBLW3Ampz8rKVOAxC64ROvUZRlinSWx0u+PT6gBdT9xey91+DRTzBSQ==\\n"
    "-----END PUBLIC KEY-----\\n\","
    " \"signatureAlgorithm\": \"ECDSA_P256_SHA256\"}}]}}";

/* Built once and kept for the life of the process (reachable, so LSan does
 * not count it); the library itself has no such state. */
static vouch_attestor *fixed_attestor(void)
{
    static vouch_attestor *attestor;

    if (attestor == NULL &&
        vouch_attestor_parse(&attestor, attestor_json,
                             sizeof(attestor_json) - 1, VOUCH_FORMAT_JSON,
                             "fuzz attestor", NULL) != 0) {
        abort();
    }
    return attestor;
}

static void check_print(const vouch_attestation *att)
{
    vouch_attestation *again = NULL;
    vouch_error err = VOUCH_ERROR_INIT;
    char *text = NULL;
    char *text2 = NULL;
    size_t len = 0;
    size_t len2 = 0;

    if (vouch_attestation_print(att, VOUCH_FORMAT_JSON, &text, &len,
                                NULL) != 0) {
        abort();
    }
    if (vouch_attestation_parse(&again, text, len, VOUCH_FORMAT_JSON,
                                "print", &err) != 0) {
        fprintf(stderr, "re-parse failed: %s\n%.*s\n", err.message,
                (int)len, text);
        abort();
    }
    if (vouch_attestation_print(again, VOUCH_FORMAT_JSON, &text2, &len2,
                                NULL) != 0 ||
        len != len2 || memcmp(text, text2, len) != 0) {
        abort();
    }
    vouch_free(text);
    vouch_free(text2);
    vouch_attestation_free(again);
}

static void check_verify(const vouch_attestation *att,
                         vouch_verify_cache *cache)
{
    const vouch_attestor *attestor = fixed_attestor();
    const char *digests[2];
    size_t i;

    digests[0] = vouch_attestation_resource_digest(att);
    digests[1] = FIXED_DIGEST;
    for (i = 0; i < 2; i++) {
        vouch_error err = VOUCH_ERROR_INIT;
        int plain;
        int cached;

        if (digests[i] == NULL) {
            abort(); /* a parsed occurrence always names a digest */
        }
        plain = vouch_attestation_verify(att, attestor, digests[i], NULL,
                                         &err);
        cached = vouch_attestation_verify(att, attestor, digests[i], cache,
                                          &err);
        if (plain != cached || (plain != 0 && plain != VOUCH_ECRYPTO)) {
            abort();
        }
        /* Second time through the cache: the same answer. */
        if (vouch_attestation_verify(att, attestor, digests[i], cache,
                                     NULL) != plain) {
            abort();
        }
    }
}

static int print_model(const void *model, char **out)
{
    return vouch_attestation_print(model, VOUCH_FORMAT_JSON, out, NULL, NULL);
}

static void release_model(void *model)
{
    vouch_attestation_free(model);
}

static int model_from_value(void **out, const json_t *value)
{
    vouch_attestation **model = (vouch_attestation **)out;

    return vouch_attestation_from_json_value(model, value, "fuzz", NULL);
}

/* A list prints as the concatenation of its occurrences. */
static int print_list(const void *model, char **out)
{
    const vouch_attestation_list *list = model;
    size_t total = 1;
    size_t i;
    char *all = malloc(1);

    if (all == NULL) {
        return -1;
    }
    all[0] = '\0';
    for (i = 0; i < vouch_attestation_list_count(list); i++) {
        char *one = NULL;
        size_t n = 0;
        char *grown;

        if (vouch_attestation_print(vouch_attestation_list_get(list, i),
                                    VOUCH_FORMAT_JSON, &one, &n,
                                    NULL) != 0 ||
            (grown = realloc(all, total + n)) == NULL) {
            vouch_free(one);
            free(all);
            return -1;
        }
        all = grown;
        memcpy(all + total - 1, one, n + 1);
        total += n;
        vouch_free(one);
    }
    *out = all;
    return 0;
}

static void release_list(void *model)
{
    vouch_attestation_list_free(model);
}

static const fuzz_model_ops list_ops = {
    vouch__occurrence_list_reader, print_list, release_list, NULL
};

static const fuzz_model_ops model_ops = {
    vouch__occurrence_reader, print_model, release_model, model_from_value
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vouch_attestation_list *list = NULL;
    vouch_verify_cache *cache = NULL;
    vouch_error err = VOUCH_ERROR_INIT;
    size_t i;

    fuzz_check_trees(&model_ops, data, size, VOUCH_OCCURRENCE_MAX_BYTES);
    fuzz_check_trees(&list_ops, data, size, VOUCH_OCCURRENCES_MAX_BYTES);

    if (vouch_attestation_list_parse(&list, (const char *)data, size,
                                     VOUCH_FORMAT_AUTO, "fuzz", &err) != 0) {
        if (list != NULL || err.message[0] == '\0') {
            abort();
        }
        return 0;
    }
    if (vouch_verify_cache_new(&cache, 4, NULL) != 0) {
        abort();
    }
    for (i = 0; i < vouch_attestation_list_count(list); i++) {
        const vouch_attestation *att = vouch_attestation_list_get(list, i);

        check_print(att);
        check_verify(att, cache);
    }
    vouch_verify_cache_free(cache);
    vouch_attestation_list_free(list);
    return 0;
}
