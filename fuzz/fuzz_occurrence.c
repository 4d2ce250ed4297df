/*
 * Fuzz vouch_attestation_list_parse() (format AUTO). On success every
 * occurrence is printed as JSON and re-parsed, which must succeed and print
 * the same bytes, and is verified against a fixed attestor (note
 * projects/core-proj/notes/note-a, the P-256 key of
 * tests/data/core/p256-a.pub.pem) for its own digest and for a fixed one,
 * with and without a verification cache: that must not crash, and a
 * cached answer must equal the uncached one.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vouch/attestation.h"
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vouch_attestation_list *list = NULL;
    vouch_verify_cache *cache = NULL;
    vouch_error err = VOUCH_ERROR_INIT;
    size_t i;

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
