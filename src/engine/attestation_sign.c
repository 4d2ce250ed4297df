/*
 * Signing: build the gcloud signature payload for an image, sign it with a
 * local key and print the attestation occurrence.
 */
#include <stdlib.h>
#include <string.h>

#include "attestation_internal.h"
#include "internal.h"

VOUCH_API int vouch_attestation_sign(const vouch_private_key *key,
                                     const char *artifact_url,
                                     const char *note, const char *key_id,
                                     char **out, vouch_error *err)
{
    char *payload = NULL;
    size_t payload_len = 0;
    unsigned char *sig = NULL;
    size_t sig_len = 0;
    char *default_id = NULL;
    vouch_attestation *att = NULL;
    const char *url = artifact_url;
    int rc;

    *out = NULL;
    if (note == NULL || !vouch__note_name_ok(note)) {
        return vouch__error_set(err, VOUCH_EINVAL, "--note", 0, 0,
                                "'%s' is not a note name of the form "
                                "projects/*/notes/*",
                                note != NULL ? note : "");
    }
    rc = vouch_signature_payload_create(artifact_url, strlen(artifact_url),
                                        &payload, &payload_len, err);
    if (rc < 0) {
        goto cleanup;
    }
    if (key_id == NULL || key_id[0] == '\0') {
        rc = vouch_private_key_public_id(key, &default_id, err);
        if (rc < 0) {
            goto cleanup;
        }
        key_id = default_id;
    }
    rc = vouch_private_key_sign(key, (const unsigned char *)payload,
                                payload_len, &sig, &sig_len, err);
    if (rc < 0) {
        goto cleanup;
    }
    att = calloc(1, sizeof(*att));
    if (att == NULL) {
        rc = vouch__error_set(err, VOUCH_ENOMEM, NULL, 0, 0, "out of memory");
        goto cleanup;
    }
    if (strncmp(url, "https://", 8) == 0) {
        url += 8;
    } else if (strncmp(url, "http://", 7) == 0) {
        url += 7;
    }
    att->note_name = vouch__strdup(note);
    att->resource_uri = vouch__strdup(url);
    att->payload = (unsigned char *)payload;
    att->payload_len = payload_len;
    payload = NULL;
    if (att->note_name == NULL || att->resource_uri == NULL) {
        rc = vouch__error_set(err, VOUCH_ENOMEM, NULL, 0, 0, "out of memory");
        goto cleanup;
    }
    {
        char *id_copy = vouch__strdup(key_id);

        rc = id_copy == NULL
                 ? VOUCH_ENOMEM
                 : vouch__attestation_add_signature(att, sig, sig_len,
                                                    id_copy);
        if (id_copy == NULL) {
            free(sig);
        }
    }
    sig = NULL;
    if (rc < 0) {
        rc = vouch__error_set(err, rc, NULL, 0, 0, "out of memory");
        goto cleanup;
    }
    rc = vouch_attestation_print(att, VOUCH_FORMAT_JSON, out, NULL, err);

cleanup:
    vouch_attestation_free(att);
    free(default_id);
    free(sig);
    free(payload);
    return rc;
}
