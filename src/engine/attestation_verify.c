/*
 * Verification of one attestation against one attestor: every signature
 * (PKIX or PGP) and every JWT is tried with the attestor's keys over the
 * exact stored bytes, through the verification cache, and the payload's
 * manifest digest must equal the image's (docs/semantics.md).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "vouch/attestor.h"

#include "attestation_internal.h"
#include "internal.h"
#include "key_internal.h"
#include "verify_cache.h"

/* A signature over serializedPayload: 0 and a copy of the manifest digest
 * the payload names (NULL, with the reason in `why`, when it names none). */
static int verify_payload(const vouch_attestation *att,
                          const att_signature *sig,
                          const vouch_public_key *key, char **found,
                          vouch_error *verr, char *why, size_t why_size)
{
    char problem[128];   /* the reason's room when it was read at parse */
    int rc = vouch_public_key_verify(key, att->payload, att->payload_len,
                                     sig->bytes, sig->len, verr);

    if (rc == 0) {
        *found = vouch__payload_manifest(att->payload, att->payload_len,
                                         problem, sizeof(problem));
        if (*found == NULL) {
            snprintf(why, why_size, "%s", problem);
        }
    }
    return rc;
}

/* Outcome of one signature the cache did not know: 0 and the manifest
 * digest it vouches for, or an error with the reason in `why`. */
static int verify_signature(const vouch_attestation *att,
                            const att_signature *sig,
                            const vouch_public_key *key,
                            vouch_verify_cache *cache, char *manifest,
                            char *why, size_t why_size)
{
    vouch_error verr = VOUCH_ERROR_INIT;
    unsigned char *embedded = NULL;
    size_t embedded_len = 0;
    char *found = NULL;
    int rc;

    if (vouch_public_key_kind(key) == VOUCH_KEY_PGP) {
        /* BinAuthz's documented PGP flow signs attached (gpg --sign);
         * a detached signature over serializedPayload is accepted too. */
        rc = vouch_public_key_verify_attached(key, sig->bytes, sig->len,
                                              &embedded, &embedded_len,
                                              &verr);
        if (rc == 0) {
            if (att->payload != NULL &&
                (embedded_len != att->payload_len ||
                 memcmp(embedded, att->payload, embedded_len) != 0)) {
                snprintf(why, why_size, "the signed PGP message carries a "
                         "payload that differs from serializedPayload");
                rc = VOUCH_ECRYPTO;
                goto cleanup;
            }
            found = vouch__payload_manifest(embedded, embedded_len, why,
                                            why_size);
        } else if (att->payload != NULL) {
            rc = verify_payload(att, sig, key, &found, &verr, why,
                                why_size);
        }
    } else if (att->payload == NULL) {
        snprintf(why, why_size, "the occurrence has no serializedPayload "
                 "for the signature to cover");
        rc = VOUCH_ECRYPTO;
        goto cleanup;
    } else {
        rc = verify_payload(att, sig, key, &found, &verr, why, why_size);
    }
    if (rc < 0) {
        snprintf(why, why_size, "%s", verr.message);
        goto cleanup;
    }
    snprintf(manifest, VOUCH__DIGEST_TEXT_MAX + 1, "%s",
             found != NULL ? found : "");
    if (cache != NULL) {
        vouch__verify_cache_put(cache, sig->key_id, sig->key_id_len,
                                sig->key_hash, att->payload_sha256,
                                sig->sha256, manifest);
    }
    rc = VOUCH_OK;

cleanup:
    free(found);
    free(embedded);
    return rc;
}

/* Decode one base64url part of a compact JWS into bytes. */
static int jws_part(const char *p, size_t len, unsigned char **out,
                    size_t *out_len)
{
    if (memchr(p, '=', len) != NULL) {
        return VOUCH_EPARSE; /* RFC 7515: no padding */
    }
    return vouch__base64_decode(p, len, out, out_len);
}

static int verify_jwt(const vouch_attestor *attestor, const att_jwt *jwt,
                      vouch_verify_cache *cache, char *manifest, char *why,
                      size_t why_size)
{
    vouch_error verr = VOUCH_ERROR_INIT;
    const char *dot1 = memchr(jwt->compact, '.', jwt->len);
    const char *dot2;
    unsigned char *header = NULL;
    unsigned char *payload = NULL;
    unsigned char *sig = NULL;
    size_t header_len;
    size_t payload_len;
    size_t sig_len;
    json_t *hdr = NULL;
    json_t *field;
    const vouch_public_key *key;
    const char *kid;
    size_t kid_len;
    uint64_t kid_hash;
    unsigned char input_sha[32];
    unsigned char sig_sha[32];
    char *found = NULL;
    int rc = VOUCH_ECRYPTO;

    dot2 = dot1 != NULL ? memchr(dot1 + 1, '.',
                                 jwt->len - (size_t)(dot1 + 1 - jwt->compact))
                        : NULL;
    if (dot1 == NULL || dot2 == NULL ||
        memchr(dot2 + 1, '.', jwt->len - (size_t)(dot2 + 1 - jwt->compact))
            != NULL) {
        snprintf(why, why_size, "compactJwt is not three base64url parts "
                 "joined by '.'");
        goto cleanup;
    }
    if (jws_part(jwt->compact, (size_t)(dot1 - jwt->compact), &header,
                 &header_len) < 0 ||
        jws_part(dot1 + 1, (size_t)(dot2 - dot1 - 1), &payload,
                 &payload_len) < 0 ||
        jws_part(dot2 + 1, jwt->len - (size_t)(dot2 + 1 - jwt->compact),
                 &sig, &sig_len) < 0) {
        snprintf(why, why_size, "compactJwt has a part that is not "
                 "unpadded base64url");
        goto cleanup;
    }
    hdr = json_loadb((const char *)header, header_len,
                     JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(hdr)) {
        snprintf(why, why_size, "JWT header is not a JSON object");
        goto cleanup;
    }
    field = json_object_get(hdr, "typ");
    if (field != NULL && !(json_is_string(field) &&
                           strcmp(json_string_value(field), "JWT") == 0)) {
        snprintf(why, why_size, "JWT header 'typ' must be \"JWT\"");
        goto cleanup;
    }
    if (json_object_get(hdr, "crit") != NULL) {
        snprintf(why, why_size, "JWT header has 'crit', which vouch does "
                 "not support");
        goto cleanup;
    }
    field = json_object_get(hdr, "kid");
    if (!json_is_string(field)) {
        snprintf(why, why_size, "JWT header has no string 'kid'");
        goto cleanup;
    }
    kid = json_string_value(field);
    key = vouch_attestor_find_key(attestor, kid, json_string_length(field));
    if (key == NULL) {
        snprintf(why, why_size, "JWT kid '%.80s' is not a key of the "
                 "attestor", kid);
        goto cleanup;
    }
    if (!json_is_string(json_object_get(hdr, "alg"))) {
        snprintf(why, why_size, "JWT header has no string 'alg'");
        goto cleanup;
    }
    vouch__sha256(jwt->compact, (size_t)(dot2 - jwt->compact), input_sha);
    vouch__sha256(sig, sig_len, sig_sha);
    kid_len = json_string_length(json_object_get(hdr, "kid"));
    kid_hash = vouch__verify_cache_key_hash(kid, kid_len);
    if (cache != NULL &&
        vouch__verify_cache_get(cache, kid, kid_len, kid_hash, input_sha,
                                sig_sha, manifest)) {
        rc = VOUCH_OK;
        goto cleanup;
    }
    field = json_object_get(hdr, "alg");
    rc = vouch__public_key_verify_jws(key, json_string_value(field),
                                      json_string_length(field),
                                      (const unsigned char *)jwt->compact,
                                      (size_t)(dot2 - jwt->compact), sig,
                                      sig_len, &verr);
    if (rc < 0) {
        snprintf(why, why_size, "JWT by key %.80s: %s", kid, verr.message);
        goto cleanup;
    }
    found = vouch__payload_manifest(payload, payload_len, why, why_size);
    snprintf(manifest, VOUCH__DIGEST_TEXT_MAX + 1, "%s",
             found != NULL ? found : "");
    if (cache != NULL) {
        vouch__verify_cache_put(cache, kid, kid_len, kid_hash, input_sha,
                                sig_sha, manifest);
    }
    rc = VOUCH_OK;

cleanup:
    json_decref(hdr);
    free(found);
    free(header);
    free(payload);
    free(sig);
    return rc;
}

/* Signature `i` of `att`: the attestor's key it names, the cache, then the
 * signature itself. 0 with the manifest digest, or the reason in `why`. */
static int verify_one_signature(const vouch_attestation *att, size_t i,
                                const vouch_attestor *attestor,
                                vouch_verify_cache *cache, char *manifest,
                                char *why, size_t why_size)
{
    const att_signature *sig = &att->sigs[i];
    const vouch_public_key *key =
        vouch_attestor_find_key(attestor, sig->key_id, sig->key_id_len);
    char tmp[200];
    int rc;

    if (key == NULL) {
        snprintf(why, why_size, "signature %zu names key id '%.80s', which "
                 "the attestor does not trust", i, sig->key_id);
        return VOUCH_ECRYPTO;
    }
    if (cache != NULL &&
        vouch__verify_cache_get(cache, sig->key_id, sig->key_id_len,
                                sig->key_hash, att->payload_sha256,
                                sig->sha256, manifest)) {
        return VOUCH_OK;
    }
    rc = verify_signature(att, sig, key, cache, manifest, why, why_size);
    if (rc < 0) {
        snprintf(tmp, sizeof(tmp), "%s", why);
        snprintf(why, why_size, "signature %zu by key %.80s: %s", i,
                 sig->key_id, tmp);
    }
    return rc;
}

VOUCH_API int vouch_attestation_verify(const vouch_attestation *att,
                                       const vouch_attestor *attestor,
                                       const char *digest,
                                       vouch_verify_cache *cache,
                                       vouch_error *err)
{
    const char *note = vouch_attestor_note_reference(attestor);
    char manifest[VOUCH__DIGEST_TEXT_MAX + 1];
    char why[200];
    char first[200];
    size_t i;

    /* The messages are written only on the way to a failure: a warm
     * decision verifies through here, and nothing is zeroed for it. */
    first[0] = '\0';
    if (note == NULL || strcmp(note, att->note_name) != 0) {
        return vouch__error_set(err, VOUCH_ECRYPTO, NULL, 0, 0,
                                "occurrence is attached to note %s, not to "
                                "the attestor's note %s", att->note_name,
                                note != NULL ? note : "(none)");
    }
    if (vouch_attestor_key_count(attestor) == 0) {
        return vouch__error_set(err, VOUCH_ECRYPTO, NULL, 0, 0,
                                "attestor has no public keys, so no "
                                "attestation can satisfy it");
    }
    for (i = 0; i < att->sig_count + att->jwt_count; i++) {
        int rc;

        manifest[0] = '\0';
        why[0] = '\0';
        if (i < att->sig_count) {
            rc = verify_one_signature(att, i, attestor, cache, manifest, why,
                                      sizeof(why));
        } else {
            rc = verify_jwt(attestor, &att->jwts[i - att->sig_count], cache,
                            manifest, why, sizeof(why));
        }
        if (rc == 0) {
            if (manifest[0] == '\0') {
                snprintf(why, sizeof(why), "signature %zu verifies but its "
                         "payload names no image digest", i);
            } else if (strcmp(manifest, digest) != 0) {
                snprintf(why, sizeof(why), "signature %zu verifies but is "
                         "for %.80s, not %.80s", i, manifest, digest);
            } else {
                return VOUCH_OK;
            }
        }
        if (first[0] == '\0') {
            snprintf(first, sizeof(first), "%s", why);
        }
    }
    return vouch__error_set(err, VOUCH_ECRYPTO, NULL, 0, 0, "%s",
                            first[0] != '\0' ? first
                                             : "occurrence has no signature");
}
