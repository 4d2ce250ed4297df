/*
 * Attestations: the model of a Grafeas ATTESTATION occurrence, its getters,
 * lists, and printing as REST JSON. Reading is in attestation_occurrence.c,
 * the signature payload in attestation_payload.c, verification in
 * attestation_verify.c and signing in attestation_sign.c.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "attestation_internal.h"
#include "doc.h"
#include "internal.h"
#include "verify_cache.h"

/* SHA-256 fetched once: EVP_sha256() makes every EVP_Digest look the
 * implementation up again, which costs more than hashing a payload. Kept
 * for the life of the process. */
static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void sha256_fetch(void)
{
    sha256_md = EVP_MD_fetch(NULL, "SHA2-256", NULL);
}

void vouch__sha256(const void *data, size_t len, unsigned char out[32])
{
    unsigned int n = 32;

    pthread_once(&sha256_once, sha256_fetch);
    if (EVP_Digest(data, len, out, &n,
                   sha256_md != NULL ? sha256_md : EVP_sha256(),
                   NULL) != 1) {
        memset(out, 0, 32); /* cannot happen with the default provider */
    }
}

VOUCH_API void vouch_attestation_free(vouch_attestation *att)
{
    size_t i;

    if (att == NULL) {
        return;
    }
    free(att->name);
    free(att->note_name);
    free(att->resource_uri);
    free(att->resource_digest);
    free(att->create_time);
    free(att->update_time);
    free(att->remediation);
    free(att->payload);
    for (i = 0; i < att->sig_count; i++) {
        free(att->sigs[i].bytes);
        free(att->sigs[i].key_id);
    }
    free(att->sigs);
    for (i = 0; i < att->jwt_count; i++) {
        free(att->jwts[i].compact);
    }
    free(att->jwts);
    free(att);
}

int vouch__attestation_add_signature(vouch_attestation *att,
                                     unsigned char *bytes, size_t len,
                                     char *key_id)
{
    att_signature *grown;

    grown = realloc(att->sigs, (att->sig_count + 1) * sizeof(*grown));
    if (grown == NULL) {
        free(bytes);
        free(key_id);
        return VOUCH_ENOMEM;
    }
    att->sigs = grown;
    grown[att->sig_count].bytes = bytes;
    grown[att->sig_count].len = len;
    grown[att->sig_count].key_id = key_id;
    grown[att->sig_count].key_id_len = strlen(key_id);
    grown[att->sig_count].key_hash =
        vouch__verify_cache_key_hash(key_id, strlen(key_id));
    vouch__sha256(bytes, len, grown[att->sig_count].sha256);
    att->sig_count++;
    return VOUCH_OK;
}

VOUCH_API void vouch_attestation_list_free(vouch_attestation_list *list)
{
    size_t i;

    if (list == NULL) {
        return;
    }
    for (i = 0; i < list->count; i++) {
        vouch_attestation_free(list->items[i]);
    }
    free(list->items);
    free(list);
}

VOUCH_API size_t
vouch_attestation_list_count(const vouch_attestation_list *list)
{
    return list->count;
}

VOUCH_API const vouch_attestation *
vouch_attestation_list_get(const vouch_attestation_list *list, size_t index)
{
    return index < list->count ? list->items[index] : NULL;
}

VOUCH__MODEL_OUTPUT_FIELDS(attestation, create_time)

VOUCH__GETTER(const char *, attestation, name)
VOUCH__GETTER(const char *, attestation, note_name)
VOUCH__GETTER(const char *, attestation, resource_uri)
VOUCH__GETTER(const char *, attestation, resource_digest)

static int set_base64(json_t *obj, const char *key, const unsigned char *data,
                      size_t len)
{
    char *text = NULL;
    int rc;

    rc = vouch__base64_encode(data, len, false, &text);
    if (rc < 0) {
        return rc;
    }
    rc = json_object_set_new(obj, key, json_string(text)) == 0
             ? VOUCH_OK : VOUCH_ENOMEM;
    free(text);
    return rc;
}

/* The REST JSON of an occurrence; field names are written only here. */
static json_t *occurrence_to_json(const vouch_attestation *a)
{
    json_t *root = json_object();
    json_t *body = json_object();
    json_t *sigs = json_array();
    json_t *jwts = json_array();
    size_t i;
    int rc = VOUCH_OK;

    if (root == NULL || body == NULL || sigs == NULL || jwts == NULL) {
        goto fail;
    }
    rc |= vouch__json_set_string(root, "name", a->name);
    rc |= vouch__json_set_string(root, "resourceUri", a->resource_uri);
    rc |= vouch__json_set_string(root, "noteName", a->note_name);
    rc |= vouch__json_set_string(root, "kind", "ATTESTATION");
    rc |= vouch__json_set_string(root, "remediation", a->remediation);
    rc |= vouch__json_set_string(root, "createTime", a->create_time);
    rc |= vouch__json_set_string(root, "updateTime", a->update_time);
    if (a->payload != NULL) {
        rc |= set_base64(body, "serializedPayload", a->payload,
                         a->payload_len);
    }
    for (i = 0; i < a->sig_count; i++) {
        json_t *sig = json_object();

        if (sig == NULL || json_array_append_new(sigs, sig) != 0) {
            goto fail;
        }
        rc |= set_base64(sig, "signature", a->sigs[i].bytes, a->sigs[i].len);
        if (a->sigs[i].key_id[0] != '\0') {
            rc |= vouch__json_set_string(sig, "publicKeyId", a->sigs[i].key_id);
        }
    }
    for (i = 0; i < a->jwt_count; i++) {
        json_t *jwt = json_object();

        if (jwt == NULL || json_array_append_new(jwts, jwt) != 0) {
            goto fail;
        }
        rc |= vouch__json_set_string(jwt, "compactJwt", a->jwts[i].compact);
    }
    if (a->sig_count > 0) {
        rc |= json_object_set(body, "signatures", sigs);
    }
    if (a->jwt_count > 0) {
        rc |= json_object_set(body, "jwts", jwts);
    }
    rc |= json_object_set(root, "attestation", body);
    if (rc != 0) {
        goto fail;
    }
    json_decref(sigs);
    json_decref(jwts);
    json_decref(body);
    return root;

fail:
    json_decref(sigs);
    json_decref(jwts);
    json_decref(body);
    json_decref(root);
    return NULL;
}

VOUCH__MODEL_PRINT(attestation, occurrence_to_json, NULL)
